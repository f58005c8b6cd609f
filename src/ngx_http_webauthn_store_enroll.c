
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The enrollment's store operations (see ngx_http_webauthn_store.h): what
 * the creation options need (the invitation or the user, and the user's
 * credentials), and the registration's one atomic write.  The keys are
 * design.md's "Redis schema".
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <wa_core.h>
#include <ngx_http_webauthn_store.h>
#include <ngx_http_webauthn_metrics.h>


#define NGX_HTTP_WEBAUTHN_ENROLL_CREDS_MAX  1000   /* ids in one reply */


static void ngx_http_webauthn_store_enroll_info_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static void ngx_http_webauthn_store_register_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);


/*
 * enroll_info: ARGV[1] the prefix, ARGV[2] the invitation hash or "",
 * ARGV[3] the user name (when no invitation).  Replies {"invitation"} or
 * {"ok", user_name, display_name, roles, user_handle, id...}.  The keys
 * of the user are known only once the invitation is read, so they are
 * made here from the prefix.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_enroll_info_script = {
    ngx_string(
    "local p = ARGV[1]\n"
    "local name, display, roles, handle = ARGV[3], '', '', ''\n"
    "if ARGV[2] ~= '' then\n"
    "    local i = redis.call('HMGET', p .. 'invite:' .. ARGV[2],\n"
    "        'user_name', 'display_name', 'roles', 'user_handle')\n"
    "    if not i[1] then return {'invitation'} end\n"
    "    name, display, roles, handle = i[1], i[2] or '', i[3] or '',\n"
    "        i[4] or ''\n"
    "else\n"
    "    local u = redis.call('HMGET', p .. 'user:' .. name,\n"
    "        'user_handle', 'display_name')\n"
    "    handle, display = u[1] or '', u[2] or ''\n"
    "end\n"
    "local r = {'ok', name, display, roles, handle}\n"
    "for _, id in ipairs(redis.call('SMEMBERS',\n"
    "    p .. 'user_creds:' .. name)) do\n"
    "    r[#r + 1] = id\n"
    "end\n"
    "return r\n"),
    { 0 }, 0
};


/*
 * register, atomic (WebAuthn L3, 7.1, steps 25-27):
 *   1. the invitation (when ARGV[1] is its hash) is still there and for
 *      this user;
 *   2. the challenge was issued after the store epoch (as the commit
 *      script: an absent epoch is set and the challenge refused);
 *   3. its nonce is unused, the credential id is not registered, and the
 *      user (when there) still has the handle the options gave;
 * then the nonce is recorded, the credential and (when new) the user
 * stored, and the invitation deleted.
 *
 * KEYS[1] cred, KEYS[2] used nonce, KEYS[3] epoch, KEYS[4] user,
 * KEYS[5] user_creds, KEYS[6] invite, KEYS[7] user_invites;
 * ARGV[1] invitation hash or "", ARGV[2] user_name, ARGV[3] display_name,
 * ARGV[4] user_handle, ARGV[5] roles, ARGV[6] public_key, ARGV[7]
 * sign_count, ARGV[8] aaguid, ARGV[9] attestation_format, ARGV[10]
 * transports, ARGV[11] backup_eligible, ARGV[12] backup_state, ARGV[13]
 * now (s), ARGV[14] the nonce's time to live (ms), ARGV[15] the
 * challenge's issue time (ms), ARGV[16] now (ms), ARGV[17] the id
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_register_script = {
    ngx_string(
    "if ARGV[1] ~= '' then\n"
    "    local u = redis.call('HGET', KEYS[6], 'user_name')\n"
    "    if not u or u ~= ARGV[2] then return {'invitation'} end\n"
    "end\n"
    "local e = redis.call('GET', KEYS[3])\n"
    "if not e then\n"
    "    redis.call('SET', KEYS[3], ARGV[16])\n"
    "    return {'reset'} end\n"
    "if not string.find(e, '^[0-9]+$') then\n"
    "    return {'bad_record', 'epoch'} end\n"
    "if tonumber(ARGV[15]) < tonumber(e) then return {'reset'} end\n"
    "if redis.call('EXISTS', KEYS[2]) == 1 then return {'replayed'} end\n"
    "if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end\n"
    "local h = redis.call('HGET', KEYS[4], 'user_handle')\n"
    "if h and h ~= ARGV[4] then return {'stale'} end\n"
    "redis.call('SET', KEYS[2], '1', 'PX', ARGV[14])\n"
    "redis.call('HSET', KEYS[1], 'public_key', ARGV[6],\n"
    "    'user_handle', ARGV[4], 'user_name', ARGV[2], 'roles', ARGV[5],\n"
    "    'sign_count', ARGV[7], 'aaguid', ARGV[8],\n"
    "    'attestation_format', ARGV[9], 'transports', ARGV[10],\n"
    "    'backup_eligible', ARGV[11], 'backup_state', ARGV[12],\n"
    "    'created', ARGV[13])\n"
    "redis.call('SADD', KEYS[5], ARGV[17])\n"
    "if not h then\n"
    "    redis.call('HSET', KEYS[4], 'user_handle', ARGV[4],\n"
    "        'display_name', ARGV[3], 'created', ARGV[13])\n"
    "end\n"
    "if ARGV[1] ~= '' then\n"
    "    redis.call('DEL', KEYS[6])\n"
    "    redis.call('SREM', KEYS[7], ARGV[1])\n"
    "end\n"
    "return {'ok'}\n"),
    { 0 }, 0
};


static const char  *ngx_http_webauthn_enroll_replies[] = {
    "ok", "invitation", NULL
};

static const char  *ngx_http_webauthn_register_replies[] = {
    "ok", "invitation", "reset", "replayed", "exists", "stale",
    "bad_record", NULL
};


ngx_int_t
ngx_http_webauthn_store_enroll_info(ngx_http_webauthn_store_req_t *sr)
{
    size_t                       *len;
    const char                  **argv;
    ngx_http_webauthn_enroll_t   *e;

    e = sr->enroll;

    if (ngx_http_webauthn_store_argv(sr, 6, &argv, &len) != NGX_OK) {
        return NGX_ERROR;
    }

    argv[3] = (char *) sr->store->prefix.data;
    len[3] = sr->store->prefix.len;
    argv[4] = (char *) e->invite.data;
    len[4] = e->invite.len;
    argv[5] = (char *) e->user_name.data;
    len[5] = e->invite.len ? 0 : e->user_name.len;

    return ngx_http_webauthn_store_eval(sr,
                                   &ngx_http_webauthn_enroll_info_script, 0, 6,
                                   argv, len,
                                   ngx_http_webauthn_store_enroll_info_reply);
}


static void
ngx_http_webauthn_store_enroll_info_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    size_t                       i, n;
    ngx_int_t                    st;
    ngx_str_t                   *id, handle;
    redisReply                 **el;
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;

    st = ngx_http_webauthn_store_status(reply,
                                        ngx_http_webauthn_enroll_replies);

    if (st == 1 && reply->elements == 1) {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_INVITATION;
        return;
    }

    if (st != 0 || reply->elements < 5
        || reply->elements > 5 + NGX_HTTP_WEBAUTHN_ENROLL_CREDS_MAX)
    {
        goto invalid;
    }

    el = reply->element;

    if (ngx_http_webauthn_store_string(sr->pool, el[1], &e->user_name)
        != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, el[2], &e->display_name)
           != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, el[3], &e->roles)
           != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, el[4], &e->user_handle)
           != NGX_OK)
    {
        goto invalid;
    }

    /* design.md, "Record fields": what becomes the options' JSON */

    if (e->user_name.len == 0
        || !wa_record_user_name_ok(e->user_name.data, e->user_name.len)
        || !wa_record_user_name_ok(e->display_name.data,
                                   e->display_name.len)
        || !wa_record_roles_ok(e->roles.data, e->roles.len)
        || ngx_http_webauthn_store_decode(sr->pool, &e->user_handle, &handle)
           != NGX_OK
        || handle.len > 64)
    {
        ngx_http_webauthn_store_error(sr, "the invitation or user record "
                                      "has an invalid field");
        return;
    }

    n = reply->elements - 5;

    e->cred_ids = ngx_array_create(sr->pool, n ? n : 1, sizeof(ngx_str_t));
    if (e->cred_ids == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return;
    }

    for (i = 0; i < n; i++) {
        id = ngx_array_push(e->cred_ids);

        if (ngx_http_webauthn_store_string(sr->pool, el[5 + i], id)
            != NGX_OK)
        {
            goto invalid;
        }

        /* a stored id is base64url: it is copied into JSON as it is */

        if (!wa_record_cred_id_ok(id->data, id->len)) {
            goto invalid;
        }
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;

    return;

invalid:

    ngx_http_webauthn_store_bad_reply(sr, "enroll_info");
}


ngx_int_t
ngx_http_webauthn_store_register(ngx_http_webauthn_store_req_t *sr)
{
    u_char                       *p;
    size_t                       *len;
    uint64_t                      now, ttl;
    ngx_str_t                     keys[7], user[3];
    ngx_uint_t                    i;
    ngx_time_t                   *tp;
    const char                  **argv;
    ngx_http_webauthn_enroll_t   *e;
    u_char                        nonce[WA_CHALLENGE_NONCE_B64_LEN];

    e = sr->enroll;

    wa_b64url_encode(nonce, e->nonce, WA_CHALLENGE_NONCE_LEN);

    if (ngx_http_webauthn_store_key(sr, &keys[0], "cred:", e->cred_id.data,
                                    e->cred_id.len)
        != NGX_OK
        || ngx_http_webauthn_store_key(sr, &keys[1], "used:", nonce,
                                       sizeof(nonce))
           != NGX_OK
        || ngx_http_webauthn_store_key(sr, &keys[2], "epoch", NULL, 0)
           != NGX_OK
        || ngx_http_webauthn_store_user_keys(sr, &e->user_name, user)
           != NGX_OK
        || ngx_http_webauthn_store_key(sr, &keys[5], "invite:",
                                       e->invite.data, e->invite.len)
           != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 27, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the script's KEYS order: user, user_creds, invite, user_invites */

    keys[3] = user[0];
    keys[4] = user[1];
    keys[6] = user[2];

    p = ngx_pnalloc(sr->pool, 4 * NGX_INT64_LEN + NGX_INT32_LEN);
    if (p == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    for (i = 0; i < 7; i++) {
        argv[3 + i] = (char *) keys[i].data;
        len[3 + i] = keys[i].len;
    }

#define ngx_http_webauthn_arg(n, s)                                         \
    argv[9 + (n)] = (char *) (s).data; len[9 + (n)] = (s).len

    ngx_http_webauthn_arg(1, e->invite);
    ngx_http_webauthn_arg(2, e->user_name);
    ngx_http_webauthn_arg(3, e->display_name);
    ngx_http_webauthn_arg(4, e->user_handle);
    ngx_http_webauthn_arg(5, e->roles);
    ngx_http_webauthn_arg(6, e->public_key);
    ngx_http_webauthn_arg(8, e->aaguid);
    ngx_http_webauthn_arg(9, e->attestation_format);
    ngx_http_webauthn_arg(10, e->transports);
    ngx_http_webauthn_arg(17, e->cred_id);

#undef ngx_http_webauthn_arg

    tp = ngx_timeofday();
    now = (uint64_t) tp->sec * 1000 + tp->msec;
    ttl = (e->expires_ms > now ? e->expires_ms - now : 0) + 1000;

    argv[16] = (char *) p;
    p = ngx_sprintf(p, "%uD", e->sign_count);
    len[16] = p - (u_char *) argv[16];

    argv[20] = e->backup_eligible ? "1" : "0";
    len[20] = 1;
    argv[21] = e->backup_state ? "1" : "0";
    len[21] = 1;

    argv[22] = (char *) p;
    p = ngx_sprintf(p, "%T", tp->sec);
    len[22] = p - (u_char *) argv[22];

    argv[23] = (char *) p;
    p = ngx_sprintf(p, "%uL", ttl);
    len[23] = p - (u_char *) argv[23];

    argv[24] = (char *) p;
    p = ngx_sprintf(p, "%uL", e->issued);
    len[24] = p - (u_char *) argv[24];

    argv[25] = (char *) p;
    p = ngx_sprintf(p, "%uL", now);
    len[25] = p - (u_char *) argv[25];

    return ngx_http_webauthn_store_eval(sr,
                                     &ngx_http_webauthn_register_script, 7, 27,
                                     argv, len,
                                     ngx_http_webauthn_store_register_reply);
}


static void
ngx_http_webauthn_store_register_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_int_t  st;

    static ngx_http_webauthn_store_rc_e  rcs[] = {
        NGX_HTTP_WEBAUTHN_STORE_OK,
        NGX_HTTP_WEBAUTHN_STORE_INVITATION,
        NGX_HTTP_WEBAUTHN_STORE_RESET,
        NGX_HTTP_WEBAUTHN_STORE_REPLAYED,
        NGX_HTTP_WEBAUTHN_STORE_EXISTS,
        NGX_HTTP_WEBAUTHN_STORE_STALE
    };

    st = ngx_http_webauthn_store_status(reply,
                                        ngx_http_webauthn_register_replies);

    if (st == 6 && reply->elements == 2
        && reply->element[1]->type == REDIS_REPLY_STRING
        && reply->element[1]->len == sizeof("epoch") - 1
        && ngx_strncmp(reply->element[1]->str, "epoch", 5) == 0)
    {
        ngx_http_webauthn_store_error(sr, "the store epoch is invalid");
        return;
    }

    if (st < 0 || st > 5 || reply->elements != 1) {
        ngx_http_webauthn_store_bad_reply(sr, "register");
        return;
    }

    sr->rc = rcs[st];
}
