
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The enrollment's store operations (see ngx_http_webauthn_store.h): what
 * the creation options need (the invitation or the user, and the user's
 * credentials), and the registration's write.  The keys are design.md's
 * "Redis schema": a credential's keys, a user's and an invitation are
 * each in a hash slot of their own (a Cluster), so both run as steps of
 * one slot each, driven from here (design.md, "Enrollment").
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <wa_core.h>
#include <ngx_http_webauthn_store.h>
#include <ngx_http_webauthn_metrics.h>


#define NGX_HTTP_WEBAUTHN_ENROLL_CREDS_MAX  1000   /* ids in one reply */

/* a pending record (a registration under way) expires after this, ms */
#define NGX_HTTP_WEBAUTHN_PENDING_TTL       "300000"

/* the random bytes of a registration's attempt token */
#define NGX_HTTP_WEBAUTHN_ATTEMPT_LEN       16


static void ngx_http_webauthn_store_invitation_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_enroll_user(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_enroll_info_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static void ngx_http_webauthn_store_register_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_used_key(
    ngx_http_webauthn_store_req_t *sr, ngx_str_t *key);
static ngx_int_t ngx_http_webauthn_store_register_invite(
    ngx_http_webauthn_store_req_t *sr);
static ngx_int_t ngx_http_webauthn_store_register_user(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_register_step_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_register_end(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_register_end_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);


/*
 * enroll_user, in the user's slot: KEYS[1] user, KEYS[2] user_creds.
 * Replies {"ok", user_handle, display_name, id...}.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_enroll_user_script = {
    ngx_string(
    "local u = redis.call('HMGET', KEYS[1], 'user_handle', 'display_name')\n"
    "local r = {'ok', u[1] or '', u[2] or ''}\n"
    "for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
    "    r[#r + 1] = id\n"
    "end\n"
    "return r\n"),
    { 0 }, 0
};


/*
 * register, step 1, in the credential's slot (WebAuthn L3, 7.1, steps
 * 25-27): the nonce is unused, the credential id not registered; then
 * the nonce is recorded, the record written "pending" (it authenticates
 * only once the last step clears that; until then it expires) with the
 * registration's attempt token, and the credential's store epoch set to
 * the challenge's issue time.  A pending record of this attempt: this
 * script sent again by the module (design.md, "Failure semantics") after
 * its first run wrote it; it answers as that run did.
 *
 * KEYS[1] cred, KEYS[2] used nonce, KEYS[3] epoch; ARGV[1] user_name,
 * ARGV[2] user_handle, ARGV[3] roles, ARGV[4] public_key, ARGV[5]
 * sign_count, ARGV[6] aaguid, ARGV[7] attestation_format, ARGV[8]
 * transports, ARGV[9] backup_eligible, ARGV[10] backup_state, ARGV[11]
 * now (s), ARGV[12] the nonce's time to live (ms), ARGV[13] the
 * challenge's issue time (ms), ARGV[14] the attempt
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_register_script = {
    ngx_string(
    "if redis.call('HGET', KEYS[1], 'attempt') == ARGV[14] then\n"
    "    return {'ok'} end\n"
    "if redis.call('EXISTS', KEYS[2]) == 1 then return {'replayed'} end\n"
    "if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end\n"
    "redis.call('SET', KEYS[2], '1', 'PX', ARGV[12])\n"
    "redis.call('HSET', KEYS[1], 'public_key', ARGV[4],\n"
    "    'user_handle', ARGV[2], 'user_name', ARGV[1], 'roles', ARGV[3],\n"
    "    'sign_count', ARGV[5], 'aaguid', ARGV[6],\n"
    "    'attestation_format', ARGV[7], 'transports', ARGV[8],\n"
    "    'backup_eligible', ARGV[9], 'backup_state', ARGV[10],\n"
    "    'created', ARGV[11], 'pending', '1', 'attempt', ARGV[14])\n"
    "redis.call('PEXPIRE', KEYS[1], " NGX_HTTP_WEBAUTHN_PENDING_TTL ")\n"
    "redis.call('SET', KEYS[3], ARGV[13], 'NX')\n"
    "return {'ok'}\n"),
    { 0 }, 0
};


/*
 * register, step 2 (with an invitation), in the invitation's slot: it is
 * still there and for this user, and is consumed: deleted, and the
 * attempt that consumed it kept for the pending record's time to live
 * beside it, so that this script sent again by the module answers as
 * its first run did.  KEYS[1] invite, KEYS[2] invite_used; ARGV[1]
 * user_name, ARGV[2] the attempt.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_register_invite_script =
{
    ngx_string(
    "local u = redis.call('HGET', KEYS[1], 'user_name')\n"
    "if not u then\n"
    "    if redis.call('GET', KEYS[2]) == ARGV[2] then return {'ok'} end\n"
    "    return {'invitation'}\n"
    "end\n"
    "if u ~= ARGV[1] then return {'invitation'} end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('SET', KEYS[2], ARGV[2], 'PX', "
    NGX_HTTP_WEBAUTHN_PENDING_TTL ")\n"
    "return {'ok'}\n"),
    { 0 }, 0
};


/*
 * register, step 3, in the user's slot: the user (when there) still has
 * the handle the options gave; the id is added to the user's, the user
 * stored when new, the invitation dropped from the open ones.  Run
 * twice, it answers the same (the second finds the user with that
 * handle).
 * KEYS[1] user, KEYS[2] user_creds, KEYS[3] user_invites; ARGV[1]
 * user_handle, ARGV[2] display_name, ARGV[3] now (s), ARGV[4] the id,
 * ARGV[5] the invitation hash or "".
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_register_user_script = {
    ngx_string(
    "local h = redis.call('HGET', KEYS[1], 'user_handle')\n"
    "if h and h ~= ARGV[1] then return {'stale'} end\n"
    "redis.call('SADD', KEYS[2], ARGV[4])\n"
    "if not h then\n"
    "    redis.call('HSET', KEYS[1], 'user_handle', ARGV[1],\n"
    "        'display_name', ARGV[2], 'created', ARGV[3])\n"
    "end\n"
    "if ARGV[5] ~= '' then redis.call('ZREM', KEYS[3], ARGV[5]) end\n"
    "return {'ok'}\n"),
    { 0 }, 0
};


/*
 * register, last step, in the credential's slot, on the record pending
 * with this attempt: ARGV[1] "1" clears "pending" and the attempt (the
 * record authenticates from now on, and no longer expires) and keeps
 * the attempt in the used nonce's key for the pending record's time to
 * live or as long as the nonce was kept, the longer (the challenge may
 * live longer: its nonce stays used), so that this script sent again by
 * the module finds it and answers "ok" as its first run did; "0" deletes
 * the record a refused registration left pending.  KEYS[1] cred, KEYS[2]
 * used nonce; ARGV[2] the attempt.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_register_end_script = {
    ngx_string(
    "if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[2] then\n"
    "    if ARGV[1] == '1' and redis.call('GET', KEYS[2]) == ARGV[2] then\n"
    "        return {'ok'} end\n"
    "    return {'gone'}\n"
    "end\n"
    "if ARGV[1] == '1' then\n"
    "    redis.call('HDEL', KEYS[1], 'pending', 'attempt')\n"
    "    redis.call('PERSIST', KEYS[1])\n"
    "    local t = redis.call('PTTL', KEYS[2])\n"
    "    if t < " NGX_HTTP_WEBAUTHN_PENDING_TTL " then\n"
    "        t = " NGX_HTTP_WEBAUTHN_PENDING_TTL " end\n"
    "    redis.call('SET', KEYS[2], ARGV[2], 'PX', t)\n"
    "else redis.call('DEL', KEYS[1]) end\n"
    "return {'ok'}\n"),
    { 0 }, 0
};


static const char  *ngx_http_webauthn_enroll_replies[] = {
    "ok", NULL
};

static const char  *ngx_http_webauthn_register_replies[] = {
    "ok", "invitation", "reset", "replayed", "exists", "stale", "gone", NULL
};


/*
 * enroll_info: with an invitation, HMGET of it (its slot), then the
 * user's slot; without, the user's slot only
 */

ngx_int_t
ngx_http_webauthn_store_enroll_info(ngx_http_webauthn_store_req_t *sr)
{
    size_t                       len[6];
    ngx_str_t                    key;
    const char                  *argv[6];
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;
    sr->next = NULL;

    if (e->invite.len == 0) {
        return ngx_http_webauthn_store_enroll_user(sr);
    }

    if (ngx_http_webauthn_store_key(sr, &key, "invite:", e->invite.data,
                                    e->invite.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[0] = "HMGET";
    len[0] = sizeof("HMGET") - 1;
    argv[1] = (char *) key.data;
    len[1] = key.len;
    argv[2] = "user_name";
    len[2] = sizeof("user_name") - 1;
    argv[3] = "display_name";
    len[3] = sizeof("display_name") - 1;
    argv[4] = "roles";
    len[4] = sizeof("roles") - 1;
    argv[5] = "user_handle";
    len[5] = sizeof("user_handle") - 1;

    return ngx_http_webauthn_store_command(sr, &key, 6, argv, len,
                                   ngx_http_webauthn_store_invitation_reply);
}


static void
ngx_http_webauthn_store_invitation_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    redisReply                 **el;
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        ngx_http_webauthn_store_bad_reply(sr, "enroll_info");
        return;
    }

    el = reply->element;

    if (el[0]->type == REDIS_REPLY_NIL) {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_INVITATION;
        return;
    }

    if (ngx_http_webauthn_store_string(sr->pool, el[0], &e->user_name)
        != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, el[1], &e->display_name)
           != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, el[2], &e->roles)
           != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, el[3], &e->user_handle)
           != NGX_OK)
    {
        ngx_http_webauthn_store_bad_reply(sr, "enroll_info");
        return;
    }

    if (e->user_name.len == 0) {
        ngx_http_webauthn_store_error(sr, "the invitation or user record "
                                      "has an invalid field");
        return;
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;
    sr->next = ngx_http_webauthn_store_enroll_user;
}


static ngx_int_t
ngx_http_webauthn_store_enroll_user(ngx_http_webauthn_store_req_t *sr)
{
    ngx_str_t  user[3];

    if (ngx_http_webauthn_store_user_keys(sr, &sr->enroll->user_name, user)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the user's record and credentials: KEYS[1], KEYS[2] */

    return ngx_http_webauthn_store_eval_keys(sr,
                                   &ngx_http_webauthn_enroll_user_script,
                                   user, 2,
                                   ngx_http_webauthn_store_enroll_info_reply);
}


/* {"ok", user_handle, display_name, id...} */

static void
ngx_http_webauthn_store_enroll_info_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    size_t                       i, n;
    ngx_int_t                    st;
    ngx_str_t                   *id, handle, display;
    redisReply                 **el;
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;

    st = ngx_http_webauthn_store_status(reply,
                                        ngx_http_webauthn_enroll_replies);

    if (st != 0 || reply->elements < 3
        || reply->elements > 3 + NGX_HTTP_WEBAUTHN_ENROLL_CREDS_MAX)
    {
        goto invalid;
    }

    el = reply->element;

    if (ngx_http_webauthn_store_string(sr->pool, el[1], &handle) != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, el[2], &display)
           != NGX_OK)
    {
        goto invalid;
    }

    /* with an invitation, the user is the invitation's */

    if (e->invite.len == 0) {
        e->user_handle = handle;
        e->display_name = display;
        ngx_str_set(&e->roles, "");
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

    n = reply->elements - 3;

    e->cred_ids = ngx_array_create(sr->pool, n ? n : 1, sizeof(ngx_str_t));
    if (e->cred_ids == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return;
    }

    for (i = 0; i < n; i++) {
        id = ngx_array_push(e->cred_ids);

        if (ngx_http_webauthn_store_string(sr->pool, el[3 + i], id)
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


/*
 * register, in steps of one slot each (design.md, "Enrollment"): 1. the
 * credential's (the record written pending), 2. the invitation's (when
 * there is one: consumed), 3. the user's, 4. the credential's again
 * ("pending" cleared).  A refusal at 2 or 3 deletes the pending record.
 * The steps carry the registration's attempt token, random: a step the
 * module sent again after its first run answers as that run did; a
 * client's second request has an attempt of its own.
 */

ngx_int_t
ngx_http_webauthn_store_register(ngx_http_webauthn_store_req_t *sr)
{
    u_char                       *p;
    size_t                       *len;
    uint64_t                      now, ttl;
    ngx_str_t                     keys[3];
    ngx_uint_t                    i;
    ngx_time_t                   *tp;
    const char                  **argv;
    ngx_http_webauthn_enroll_t   *e;

    e = sr->enroll;
    sr->next = NULL;
    sr->step = 1;
    sr->found = NGX_HTTP_WEBAUTHN_STORE_OK;

    if (ngx_http_webauthn_store_key(sr, &keys[0], "cred:", e->cred_id.data,
                                    e->cred_id.len)
        != NGX_OK
        || ngx_http_webauthn_store_used_key(sr, &keys[1]) != NGX_OK
        || ngx_http_webauthn_store_key(sr, &keys[2], "epoch:",
                                       e->cred_id.data, e->cred_id.len)
           != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 20, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the attempt token: design.md, "Failure semantics" */

    e->attempt.data = ngx_pnalloc(sr->pool,
                                  wa_b64url_encoded_len(
                                      NGX_HTTP_WEBAUTHN_ATTEMPT_LEN));
    if (e->attempt.data == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    e->attempt.len = wa_random_b64url(e->attempt.data,
                                      NGX_HTTP_WEBAUTHN_ATTEMPT_LEN);
    if (e->attempt.len == 0) {
        ngx_http_webauthn_store_error(sr, "RAND_bytes() failed");
        return NGX_ERROR;
    }

    sr->key = keys[0];

    p = ngx_pnalloc(sr->pool, 4 * NGX_INT64_LEN + NGX_INT32_LEN);
    if (p == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    for (i = 0; i < 3; i++) {
        argv[3 + i] = (char *) keys[i].data;
        len[3 + i] = keys[i].len;
    }

#define ngx_http_webauthn_arg(n, s)                                         \
    argv[5 + (n)] = (char *) (s).data; len[5 + (n)] = (s).len

    ngx_http_webauthn_arg(1, e->user_name);
    ngx_http_webauthn_arg(2, e->user_handle);
    ngx_http_webauthn_arg(3, e->roles);
    ngx_http_webauthn_arg(4, e->public_key);
    ngx_http_webauthn_arg(6, e->aaguid);
    ngx_http_webauthn_arg(7, e->attestation_format);
    ngx_http_webauthn_arg(8, e->transports);

#undef ngx_http_webauthn_arg

    tp = ngx_timeofday();
    now = (uint64_t) tp->sec * 1000 + tp->msec;
    ttl = (e->expires_ms > now ? e->expires_ms - now : 0) + 1000;

    argv[10] = (char *) p;
    p = ngx_sprintf(p, "%uD", e->sign_count);
    len[10] = p - (u_char *) argv[10];

    argv[14] = e->backup_eligible ? "1" : "0";
    len[14] = 1;
    argv[15] = e->backup_state ? "1" : "0";
    len[15] = 1;

    argv[16] = (char *) p;
    p = ngx_sprintf(p, "%T", tp->sec);
    len[16] = p - (u_char *) argv[16];

    argv[17] = (char *) p;
    p = ngx_sprintf(p, "%uL", ttl);
    len[17] = p - (u_char *) argv[17];

    argv[18] = (char *) p;
    p = ngx_sprintf(p, "%uL", e->issued);
    len[18] = p - (u_char *) argv[18];

    argv[19] = (char *) e->attempt.data;
    len[19] = e->attempt.len;

    return ngx_http_webauthn_store_eval(sr,
                                     &ngx_http_webauthn_register_script, 3, 20,
                                     argv, len,
                                     ngx_http_webauthn_store_register_reply);
}


/* "webauthn:used:{<id>}:<nonce>", the registration challenge's */

static ngx_int_t
ngx_http_webauthn_store_used_key(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *key)
{
    ngx_http_webauthn_enroll_t  *e;
    u_char                       nonce[WA_CHALLENGE_NONCE_B64_LEN];

    e = sr->enroll;

    wa_b64url_encode(nonce, e->nonce, WA_CHALLENGE_NONCE_LEN);

    return ngx_http_webauthn_store_subkey(sr, key, "used:", &e->cred_id,
                                          nonce, sizeof(nonce));
}


static void
ngx_http_webauthn_store_register_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_int_t  st;

    st = ngx_http_webauthn_store_status(reply,
                                        ngx_http_webauthn_register_replies);

    if (reply->elements != 1 || (st != 0 && st != 3 && st != 4)) {
        ngx_http_webauthn_store_bad_reply(sr, "register");
        return;
    }

    if (st == 3) {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_REPLAYED;
        return;
    }

    if (st == 4) {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_EXISTS;
        return;
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;
    sr->next = sr->enroll->invite.len
               ? ngx_http_webauthn_store_register_invite
               : ngx_http_webauthn_store_register_user;
}


static ngx_int_t
ngx_http_webauthn_store_register_invite(ngx_http_webauthn_store_req_t *sr)
{
    size_t                      *len;
    ngx_str_t                    key, used;
    const char                 **argv;
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;
    sr->step = 2;

    if (ngx_http_webauthn_store_key(sr, &key, "invite:", e->invite.data,
                                    e->invite.len)
        != NGX_OK
        || ngx_http_webauthn_store_key(sr, &used, "invite_used:",
                                       e->invite.data, e->invite.len)
           != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 7, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[3] = (char *) key.data;
    len[3] = key.len;
    argv[4] = (char *) used.data;
    len[4] = used.len;
    argv[5] = (char *) e->user_name.data;
    len[5] = e->user_name.len;
    argv[6] = (char *) e->attempt.data;
    len[6] = e->attempt.len;

    return ngx_http_webauthn_store_eval(sr,
                                 &ngx_http_webauthn_register_invite_script, 2,
                                 7, argv, len,
                                 ngx_http_webauthn_store_register_step_reply);
}


static ngx_int_t
ngx_http_webauthn_store_register_user(ngx_http_webauthn_store_req_t *sr)
{
    u_char                      *p;
    size_t                      *len;
    ngx_str_t                    user[3];
    ngx_uint_t                   i;
    const char                 **argv;
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;
    sr->step = 3;

    if (ngx_http_webauthn_store_user_keys(sr, &e->user_name, user) != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 11, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(sr->pool, NGX_TIME_T_LEN);
    if (p == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    for (i = 0; i < 3; i++) {
        argv[3 + i] = (char *) user[i].data;
        len[3 + i] = user[i].len;
    }

    argv[6] = (char *) e->user_handle.data;
    len[6] = e->user_handle.len;
    argv[7] = (char *) e->display_name.data;
    len[7] = e->display_name.len;
    argv[8] = (char *) p;
    len[8] = ngx_sprintf(p, "%T", ngx_time()) - p;
    argv[9] = (char *) e->cred_id.data;
    len[9] = e->cred_id.len;
    argv[10] = (char *) e->invite.data;
    len[10] = e->invite.len;

    return ngx_http_webauthn_store_eval(sr,
                                 &ngx_http_webauthn_register_user_script, 3,
                                 11, argv, len,
                                 ngx_http_webauthn_store_register_step_reply);
}


/* steps 2 and 3: "ok", or a refusal that ends with the record deleted */

static void
ngx_http_webauthn_store_register_step_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_int_t  st;

    st = ngx_http_webauthn_store_status(reply,
                                        ngx_http_webauthn_register_replies);

    if (reply->elements != 1
        || !(st == 0 || (st == 1 && sr->step == 2)
             || (st == 5 && sr->step == 3)))
    {
        ngx_http_webauthn_store_bad_reply(sr, "register");
        return;
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;

    if (st == 1) {
        sr->found = NGX_HTTP_WEBAUTHN_STORE_INVITATION;
        sr->next = ngx_http_webauthn_store_register_end;
        return;
    }

    if (st == 5) {
        sr->found = NGX_HTTP_WEBAUTHN_STORE_STALE;
        sr->next = ngx_http_webauthn_store_register_end;
        return;
    }

    sr->next = (sr->step == 2) ? ngx_http_webauthn_store_register_user
                               : ngx_http_webauthn_store_register_end;
}


static ngx_int_t
ngx_http_webauthn_store_register_end(ngx_http_webauthn_store_req_t *sr)
{
    size_t        *len;
    ngx_str_t      used;
    const char   **argv;

    sr->step = 4;

    if (ngx_http_webauthn_store_used_key(sr, &used) != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 7, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[3] = (char *) sr->key.data;
    len[3] = sr->key.len;
    argv[4] = (char *) used.data;
    len[4] = used.len;
    argv[5] = (sr->found == NGX_HTTP_WEBAUTHN_STORE_OK) ? "1" : "0";
    len[5] = 1;
    argv[6] = (char *) sr->enroll->attempt.data;
    len[6] = sr->enroll->attempt.len;

    return ngx_http_webauthn_store_eval(sr,
                                  &ngx_http_webauthn_register_end_script, 2,
                                  7, argv, len,
                                  ngx_http_webauthn_store_register_end_reply);
}


/*
 * "gone": the pending record of this attempt expired (or was deleted)
 * between the steps: the registration did not happen
 */

static void
ngx_http_webauthn_store_register_end_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_int_t  st;

    st = ngx_http_webauthn_store_status(reply,
                                        ngx_http_webauthn_register_replies);

    if (reply->elements != 1 || (st != 0 && st != 6)) {
        ngx_http_webauthn_store_bad_reply(sr, "register");
        return;
    }

    if (sr->found != NGX_HTTP_WEBAUTHN_STORE_OK) {
        sr->rc = (ngx_http_webauthn_store_rc_e) sr->found;
        return;
    }

    if (st == 6) {
        ngx_http_webauthn_store_error(sr, "the pending credential record "
                                      "expired before the registration "
                                      "ended");
        return;
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;
}
