
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_sha1.h>

#include <wa_core.h>
#include <ngx_http_webauthn_store.h>
#include <ngx_http_webauthn_metrics.h>


#define NGX_HTTP_WEBAUTHN_STORE_REASON_MAX  128


typedef struct {
    ngx_str_t                        name;
    int                              outcome;   /* WA_COMMIT_* */
    ngx_http_webauthn_store_rc_e     rc;
} ngx_http_webauthn_store_reply_t;


static ngx_int_t ngx_http_webauthn_store_send(
    ngx_http_webauthn_store_req_t *sr, ngx_str_t *key, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_webauthn_redis_handler_pt handler);
static void ngx_http_webauthn_store_lookup_handler(
    ngx_http_webauthn_redis_op_t *op);
static void ngx_http_webauthn_store_commit_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static void ngx_http_webauthn_store_eval_handler(
    ngx_http_webauthn_redis_op_t *op);
static void ngx_http_webauthn_store_revocations_handler(
    ngx_http_webauthn_redis_op_t *op);
static void ngx_http_webauthn_store_wait(ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_redis_op_t *op);
static void ngx_http_webauthn_store_done(ngx_http_webauthn_store_req_t *sr);
static ngx_int_t ngx_http_webauthn_store_subkey_raw(
    ngx_http_webauthn_store_req_t *sr, ngx_str_t *key, const char *kind,
    const u_char *id, size_t len, const u_char *sub, size_t slen);


/*
 * The commit, atomic in Redis (WebAuthn L3, 7.2, steps 22 and 24; a Lua
 * script runs with no other command between its reads and its writes):
 *
 *   1. the record exists and is not pending (a registration under way,
 *      design.md, "Enrollment"), is not revoked ("revoked" absent, "" or
 *      "0" keep it; any other value revokes) and still has the public key
 *      and user handle the signature was checked with;
 *   2. its fields are readable (design.md, "Record fields"): sign_count 1
 *      to 10 decimal digits, at most 2^32-1 (absent counts as 0),
 *      user_name UTF-8 without control characters (as wa_record.c), roles
 *      tokens of A-Za-z0-9._:- separated by one space, aaguid absent or
 *      a UUID in its 8-4-4-4-12 hex form;
 *   3. the challenge was issued after the credential's store epoch: the
 *      time since which this Redis has kept every used nonce of the
 *      credential (its keys are in one hash slot, so lost together).  An
 *      absent epoch means
 *      the data is gone (a restart without persistence, a flush): it is
 *      set to now and the challenge refused, so a restart costs a retry,
 *      not a replay;
 *   4. the nonce was not used (a replay is told as such, whatever its
 *      counter), and the counter moved forward (or both are 0).
 *
 * What Redis spends on it bounds the requests one Redis core can verify
 * (make bench): the checks take the cheap path for the usual record (a
 * printable ASCII user_name is one pattern match, not the UTF-8 loop; a
 * roles value of 64 bytes or fewer cannot hold a token too long or too
 * many of them), and with the counter moved forward the nonce is
 * recorded by one SET NX, which tells a replay by itself (EXISTS only
 * when the counter did not move: replayed or regressed?); last_used is
 * written only when it changes (it is in seconds: a credential used
 * again within the second leaves it as it is).
 *
 * Only then is the nonce recorded, the counter stored and last_used set
 * (seconds): a refusal changes nothing.  The replies are strings
 * (design.md, "Commit replies").
 *
 * The user_name, roles and aaguid the worker last read of this record
 * (checked then, kept with its parsed key) come with the commit when it
 * has them: the same in the record, they are neither checked again nor
 * sent back ("ok" alone), which takes up to a sixth of the script's time
 * off the usual request (a UUID aaguid and a few roles; bench/README.md,
 * "The commit script's floor"); any other value is checked and sent as
 * before.  Only equality is taken from the worker, so a wrong hint costs
 * the checks, never a pass.
 *
 * KEYS[1] the record, KEYS[2] the used-nonce key, KEYS[3] the epoch, all
 * three tagged with the credential id (one slot of a Cluster);
 * ARGV[1] the new sign count, ARGV[2] the nonce's time to live (ms),
 * ARGV[3] the public_key and ARGV[4] the user_handle the signature was
 * checked with, ARGV[5] the challenge's issue time, ARGV[6] now (ms);
 * with the worker's fields, ARGV[7] user_name, ARGV[8] roles and ARGV[9]
 * aaguid ("" for none)
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_commit_script = {
    ngx_string(
    "local function utf8ok(s)\n"
    "    local i, n = 1, #s\n"
    "    while i <= n do\n"
    "        local b = string.byte(s, i)\n"
    "        local k, lo, hi = 0, 128, 191\n"
    "        if b < 32 or b == 127 then return false\n"
    "        elseif b < 128 then k = 0\n"
    "        elseif b >= 194 and b <= 223 then k = 1\n"
    "            if b == 194 then lo = 160 end\n"
    "        elseif b >= 224 and b <= 239 then k = 2\n"
    "            if b == 224 then lo = 160 elseif b == 237 then hi = 159 end\n"
    "        elseif b >= 240 and b <= 244 then k = 3\n"
    "            if b == 240 then lo = 144 elseif b == 244 then hi = 143 end\n"
    "        else return false end\n"
    "        for j = 1, k do\n"
    "            local x = string.byte(s, i + j)\n"
    "            if not x or x < lo or x > hi then return false end\n"
    "            lo, hi = 128, 191\n"
    "        end\n"
    "        i = i + k + 1\n"
    "    end\n"
    "    return true\n"
    "end\n"
    "local c = redis.call('HMGET', KEYS[1], 'public_key', 'user_handle',\n"
    "    'revoked', 'sign_count', 'user_name', 'roles', 'aaguid', 'pending',\n"
    "    'last_used')\n"
    "if not c[1] or (c[8] and c[8] ~= '') then return {'unknown'} end\n"
    "if c[3] and c[3] ~= '' and c[3] ~= '0' then return {'revoked'} end\n"
    "if c[1] ~= ARGV[3] or (c[2] or '') ~= ARGV[4] then\n"
    "    return {'stale'} end\n"
    "local n = c[4] or '0'\n"
    "if #n > 10 or not string.find(n, '^[0-9]+$')\n"
    "    or tonumber(n) > 4294967295 then\n"
    "    return {'bad_record', 'sign_count'} end\n"
    "local u, r, a = c[5] or '', c[6] or '', c[7] or ''\n"
    "local same = ARGV[7] and u == ARGV[7] and r == ARGV[8]\n"
    "    and a == ARGV[9]\n"
    "if not same then\n"
    "    if #u > 256 or (string.find(u, '[^ -~]') and not utf8ok(u)) then\n"
    "        return {'bad_record', 'user_name'} end\n"
    "    if r ~= '' then\n"
    "        if string.find(r, '[^A-Za-z0-9._:%- ]')\n"
    "            or string.find(' ' .. r .. ' ', '  ') then\n"
    "            return {'bad_record', 'roles'} end\n"
    "        if #r > 64 then\n"
    "            local k = 0\n"
    "            for t in string.gmatch(r, '[^ ]+') do\n"
    "                k = k + 1\n"
    "                if #t > 64 then return {'bad_record', 'roles'} end\n"
    "            end\n"
    "            if k > 32 then return {'bad_record', 'roles'} end\n"
    "        end\n"
    "    end\n"
    "    if a ~= '' and not string.find(a,\n"
    "        '^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-'\n"
    "        .. '%x%x%x%x%x%x%x%x%x%x%x%x$') then\n"
    "        return {'bad_record', 'aaguid'} end\n"
    "end\n"
    "local e = redis.call('GET', KEYS[3])\n"
    "if not e then\n"
    "    redis.call('SET', KEYS[3], ARGV[6])\n"
    "    return {'reset'} end\n"
    "if not string.find(e, '^[0-9]+$') then\n"
    "    return {'bad_record', 'epoch'} end\n"
    "if tonumber(ARGV[5]) < tonumber(e) then return {'reset'} end\n"
    "local old, new = tonumber(n), tonumber(ARGV[1])\n"
    "if (new ~= 0 or old ~= 0) and new <= old then\n"
    "    if redis.call('EXISTS', KEYS[2]) == 1 then return {'replayed'} end\n"
    "    return {'regressed'} end\n"
    "if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[2], 'NX') then\n"
    "    return {'replayed'} end\n"
    "local t = string.sub(ARGV[6], 1, -4)\n"
    "if new > old then\n"
    "    redis.call('HSET', KEYS[1], 'sign_count', ARGV[1], 'last_used', t)\n"
    "elseif c[9] ~= t then redis.call('HSET', KEYS[1], 'last_used', t) end\n"
    "if same then return {'ok'} end\n"
    "return {'ok', u, r, a}\n"),
    { 0 }, 0
};


static ngx_http_webauthn_store_reply_t  ngx_http_webauthn_store_replies[] = {
    { ngx_string("ok"), WA_COMMIT_OK, NGX_HTTP_WEBAUTHN_STORE_OK },
    { ngx_string("unknown"), WA_COMMIT_UNKNOWN,
      NGX_HTTP_WEBAUTHN_STORE_UNKNOWN },
    { ngx_string("revoked"), WA_COMMIT_REVOKED,
      NGX_HTTP_WEBAUTHN_STORE_REVOKED },
    { ngx_string("stale"), WA_COMMIT_STALE, NGX_HTTP_WEBAUTHN_STORE_STALE },
    { ngx_string("reset"), WA_COMMIT_RESET, NGX_HTTP_WEBAUTHN_STORE_RESET },
    { ngx_string("replayed"), WA_COMMIT_REPLAYED,
      NGX_HTTP_WEBAUTHN_STORE_REPLAYED },
    { ngx_string("regressed"), WA_COMMIT_REGRESSED,
      NGX_HTTP_WEBAUTHN_STORE_REGRESSED },
    { ngx_string("bad_record"), WA_COMMIT_BAD_RECORD,
      NGX_HTTP_WEBAUTHN_STORE_FAULT },
    { ngx_null_string, WA_COMMIT_INVALID, NGX_HTTP_WEBAUTHN_STORE_FAULT }
};


ngx_int_t
ngx_http_webauthn_store_init(ngx_http_webauthn_store_t *store,
    ngx_http_webauthn_redis_conf_t *redis)
{
    store->redis = redis;

    if (redis && redis->prefix.data) {
        store->prefix = redis->prefix;

    } else {
        ngx_str_set(&store->prefix, NGX_HTTP_WEBAUTHN_STORE_PREFIX);
    }

    return NGX_OK;
}


/* HMGET <prefix>cred:{<id>} public_key user_handle revoked pending */

ngx_int_t
ngx_http_webauthn_store_lookup(ngx_http_webauthn_store_req_t *sr)
{
    size_t       len[6];
    const char  *argv[6];

    if (ngx_http_webauthn_store_key(sr, &sr->key, "cred:", sr->cred->id.data,
                                    sr->cred->id.len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[0] = "HMGET";
    len[0] = sizeof("HMGET") - 1;
    argv[1] = (char *) sr->key.data;
    len[1] = sr->key.len;
    argv[2] = "public_key";
    len[2] = sizeof("public_key") - 1;
    argv[3] = "user_handle";
    len[3] = sizeof("user_handle") - 1;
    argv[4] = "revoked";
    len[4] = sizeof("revoked") - 1;
    argv[5] = "pending";
    len[5] = sizeof("pending") - 1;

    return ngx_http_webauthn_store_send(sr, &sr->key, 6, argv, len,
                                        ngx_http_webauthn_store_lookup_handler);
}


static void
ngx_http_webauthn_store_lookup_handler(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_store_req_t *sr = op->data;

    redisReply                *reply, **f;
    ngx_http_webauthn_cred_t  *cred;

    cred = sr->cred;

    if (op->rc != NGX_OK) {
        ngx_http_webauthn_metrics_redis_fault(&op->reason);
        ngx_http_webauthn_store_fault(sr, (char *) op->reason.data,
                                      op->reason.len);
        goto done;
    }

    reply = op->replies[0];

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_webauthn_metrics_inc(
            redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);
        ngx_http_webauthn_store_fault(sr, reply->str, reply->len);
        goto done;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        ngx_http_webauthn_metrics_inc(
            redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);
        ngx_http_webauthn_store_error(sr, "unexpected reply to HMGET");
        goto done;
    }

    f = reply->element;

    /* a pending record (a registration under way) never authenticates */

    if (f[0]->type == REDIS_REPLY_NIL
        || (f[3]->type == REDIS_REPLY_STRING && f[3]->len))
    {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_UNKNOWN;
        goto done;
    }

    if (ngx_http_webauthn_store_string(sr->pool, f[0], &cred->public_key)
        != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, f[1], &cred->handle)
           != NGX_OK
        || (f[2]->type != REDIS_REPLY_NIL && f[2]->type != REDIS_REPLY_STRING))
    {
        ngx_http_webauthn_metrics_inc(
            redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);
        ngx_http_webauthn_store_error(sr, "unexpected reply to HMGET");
        goto done;
    }

    /* design.md, "Record fields": the same rule as the commit script's */

    if (f[2]->type == REDIS_REPLY_STRING
        && wa_record_revoked((u_char *) f[2]->str, f[2]->len))
    {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_REVOKED;
        goto done;
    }

    if (cred->public_key.len == 0) {
        ngx_http_webauthn_store_error(sr, "the credential record has an "
                                      "empty public_key");
        goto done;
    }

    if (ngx_http_webauthn_store_decode(sr->pool, &cred->handle,
                                       &cred->user_handle)
        != NGX_OK)
    {
        ngx_http_webauthn_store_error(sr, "the credential record has an "
                                      "invalid user_handle");
        goto done;
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;

done:

    ngx_http_webauthn_store_done(sr);
}


ngx_int_t
ngx_http_webauthn_store_commit(ngx_http_webauthn_store_req_t *sr)
{
    u_char                     *p;
    size_t                     *len;
    uint64_t                    ttl, now;
    ngx_uint_t                  n;
    ngx_str_t                   used, epoch;
    ngx_time_t                 *tp;
    const char                **argv;
    ngx_http_webauthn_use_t    *use;
    ngx_http_webauthn_cred_t   *cred;
    u_char                      nonce[WA_CHALLENGE_NONCE_B64_LEN];

    cred = sr->cred;
    use = sr->use;

    wa_b64url_encode(nonce, use->nonce, WA_CHALLENGE_NONCE_LEN);

    if (ngx_http_webauthn_store_key(sr, &sr->key, "cred:", cred->id.data,
                                    cred->id.len)
        != NGX_OK
        || ngx_http_webauthn_store_subkey(sr, &used, "used:", &cred->id,
                                          nonce, sizeof(nonce))
           != NGX_OK
        || ngx_http_webauthn_store_key(sr, &epoch, "epoch:", cred->id.data,
                                       cred->id.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the arguments live until the reply: a NOSCRIPT sends them again */

    n = cred->hinted ? 15 : 12;

    if (ngx_http_webauthn_store_argv(sr, n, &argv, &len) != NGX_OK) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(sr->pool, NGX_INT32_LEN + 3 * NGX_INT64_LEN);
    if (p == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    /* the nonce is kept a second beyond the challenge's expiry */

    tp = ngx_timeofday();
    now = (uint64_t) tp->sec * 1000 + tp->msec;
    ttl = (use->expires > now ? use->expires - now : 0) + 1000;

    argv[3] = (char *) sr->key.data;
    len[3] = sr->key.len;
    argv[4] = (char *) used.data;
    len[4] = used.len;
    argv[5] = (char *) epoch.data;
    len[5] = epoch.len;

    argv[6] = (char *) p;
    p = ngx_sprintf(p, "%uD", use->sign_count);
    len[6] = p - (u_char *) argv[6];
    argv[7] = (char *) p;
    p = ngx_sprintf(p, "%uL", ttl);
    len[7] = p - (u_char *) argv[7];

    argv[8] = (char *) cred->public_key.data;
    len[8] = cred->public_key.len;
    argv[9] = (char *) cred->handle.data;
    len[9] = cred->handle.len;

    argv[10] = (char *) p;
    p = ngx_sprintf(p, "%uL", use->issued);
    len[10] = p - (u_char *) argv[10];
    argv[11] = (char *) p;
    p = ngx_sprintf(p, "%uL", now);
    len[11] = p - (u_char *) argv[11];

    if (cred->hinted) {
        argv[12] = cred->user_name.len ? (char *) cred->user_name.data : "";
        len[12] = cred->user_name.len;
        argv[13] = cred->roles.len ? (char *) cred->roles.data : "";
        len[13] = cred->roles.len;
        argv[14] = cred->aaguid.len ? (char *) cred->aaguid.data : "";
        len[14] = cred->aaguid.len;
    }

    /* "wait=": the nonce on N replicas, in the same round trip */

    sr->wait = (sr->store->redis->wait != 0);

    return ngx_http_webauthn_store_eval(sr, &ngx_http_webauthn_commit_script,
                                        3, n, argv, len,
                                        ngx_http_webauthn_store_commit_reply);
}


/* design.md, "Commit replies": read by the core (wa_commit.c) */

static void
ngx_http_webauthn_store_commit_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    u_char                           *p;
    size_t                            len;
    wa_err_t                          err;
    wa_commit_t                       c;
    const char                       *detail;
    ngx_http_webauthn_cred_t         *cred;
    ngx_http_webauthn_store_reply_t  *r;

    cred = sr->cred;

    detail = "unexpected reply to the commit script";

    err = wa_commit_reply(&c, reply, cred->hinted, &detail);

    if (err != WA_OK) {
        if (c.outcome == WA_COMMIT_INVALID) {
            ngx_http_webauthn_metrics_inc(
                redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);
        }

        ngx_http_webauthn_store_fault(sr, detail, ngx_strlen(detail));
        return;
    }

    for (r = ngx_http_webauthn_store_replies; r->name.len; r++) {
        if (r->outcome == c.outcome) {
            break;
        }
    }

    switch (c.outcome) {

    case WA_COMMIT_OK:

        if (c.hinted) {
            break;      /* the record's fields are cred's, as hinted */
        }

        cred->read = 1;

        if (ngx_http_webauthn_store_copy(sr->pool, &cred->user_name,
                                         c.user_name, c.user_name_len)
            != NGX_OK
            || ngx_http_webauthn_store_copy(sr->pool, &cred->roles, c.roles,
                                            c.roles_len)
               != NGX_OK
            || ngx_http_webauthn_store_copy(sr->pool, &cred->aaguid,
                                            c.aaguid, c.aaguid_len)
               != NGX_OK)
        {
            ngx_http_webauthn_store_error(sr, "out of memory");
            return;
        }

        break;

    case WA_COMMIT_BAD_RECORD:

        /* bad_record: the field that cannot be read (a-z _, checked) */

        len = sizeof("the credential record has an invalid ") - 1
              + c.field_len;

        p = ngx_pnalloc(sr->pool, len);
        if (p == NULL) {
            ngx_http_webauthn_store_error(sr, "out of memory");
            return;
        }

        sr->reason.data = p;
        sr->reason.len = ngx_sprintf(p, "the credential record has an "
                                     "invalid %*s", c.field_len, c.field)
                         - p;
        break;

    default:
        break;
    }

    if (r->rc == NGX_HTTP_WEBAUTHN_STORE_REPLAYED && sr->op->retried) {

        /*
         * the connection closed after the commit went out, and the commit
         * sent again found its nonce used: by the first one, maybe, not by
         * a replay (design.md, "Failure semantics")
         */

        ngx_str_set(&sr->reason, "redis closed the connection during the "
                    "commit; sent again, it found the challenge used");
        ngx_http_webauthn_metrics_redis_fault(&sr->reason);
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_FAULT;
        return;
    }

    sr->rc = r->rc;
}


/* a string the core found in a reply, copied to the pool */

ngx_int_t
ngx_http_webauthn_store_copy(ngx_pool_t *pool, ngx_str_t *s,
    const char *data, size_t len)
{
    if (len == 0) {
        ngx_str_null(s);
        return NGX_OK;
    }

    s->data = ngx_pnalloc(pool, len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, data, len);
    s->data[len] = '\0';
    s->len = len;

    return NGX_OK;
}


void
ngx_http_webauthn_store_cancel(ngx_http_webauthn_store_req_t *sr)
{
    if (sr->op) {
        ngx_http_webauthn_redis_slot_free(sr->op);
        sr->op = NULL;
    }
}


ngx_int_t
ngx_http_webauthn_store_decode(ngx_pool_t *pool, ngx_str_t *stored,
    ngx_str_t *out)
{
    size_t   len;
    u_char  *p;

    if (stored->len == 0) {
        ngx_str_null(out);
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, wa_b64url_decoded_max(stored->len));
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (wa_b64url_decode(p, &len, stored->data, stored->len) != 0) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = len;

    return NGX_OK;
}


/*
 * prefix kind {id}: "webauthn:cred:{<id>}", "webauthn:user:{<name>}", the
 * id a Cluster's hash tag (design.md, "Redis schema"); without an id,
 * prefix kind: "webauthn:revoked"
 */

ngx_int_t
ngx_http_webauthn_store_key(ngx_http_webauthn_store_req_t *sr, ngx_str_t *key,
    const char *kind, const u_char *id, size_t len)
{
    return ngx_http_webauthn_store_subkey_raw(sr, key, kind, id, len, NULL, 0);
}


/* prefix kind {tag}:sub: "webauthn:used:{<id>}:<nonce>" */

ngx_int_t
ngx_http_webauthn_store_subkey(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *key, const char *kind, ngx_str_t *tag, const u_char *sub,
    size_t len)
{
    return ngx_http_webauthn_store_subkey_raw(sr, key, kind, tag->data,
                                              tag->len, sub, len);
}


static ngx_int_t
ngx_http_webauthn_store_subkey_raw(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *key, const char *kind, const u_char *id, size_t len,
    const u_char *sub, size_t slen)
{
    u_char     *p;
    size_t      klen;
    ngx_str_t  *prefix;

    prefix = &sr->store->prefix;
    klen = ngx_strlen(kind);

    key->len = prefix->len + klen + (id ? len + 2 : 0) + (sub ? slen + 1 : 0);
    key->data = ngx_pnalloc(sr->pool, key->len);
    if (key->data == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    p = ngx_cpymem(key->data, prefix->data, prefix->len);
    p = ngx_cpymem(p, kind, klen);

    if (id) {
        *p++ = '{';
        p = ngx_cpymem(p, id, len);
        *p++ = '}';
    }

    if (sub) {
        *p++ = ':';
        ngx_memcpy(p, sub, slen);
    }

    return NGX_OK;
}


/* one op, addressed to the hash slot of key (a Cluster's node) */

static ngx_int_t
ngx_http_webauthn_store_send(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *key, int argc, const char **argv, const size_t *argvlen,
    ngx_http_webauthn_redis_handler_pt handler)
{
    ngx_http_webauthn_redis_op_t  *op;

    op = ngx_http_webauthn_redis_slot_create(sr->store->redis, key, sr->log);
    if (op == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    op->handler = handler;
    op->data = sr;

    if (ngx_http_webauthn_redis_slot_append(op, argc, argv, argvlen)
        != NGX_OK
        || (sr->wait && ngx_http_webauthn_redis_wait_append(op) != NGX_OK))
    {
        ngx_http_webauthn_redis_slot_free(op);
        ngx_http_webauthn_store_error(sr, "redis command formatting failed");
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_redis_slot_run(op) != NGX_OK) {
        ngx_http_webauthn_metrics_redis_fault(&op->reason);
        ngx_http_webauthn_store_fault(sr, (char *) op->reason.data,
                                      op->reason.len);
        ngx_http_webauthn_redis_slot_free(op);
        return NGX_ERROR;
    }

    sr->op = op;

    return NGX_OK;
}


/*
 * ZRANGE <prefix>revoked 0 max-1: the sorted set (member the credential
 * id, score the time of its revocation, s) the admin API's revoke and
 * delete scripts add to and keep to the last two days
 */

ngx_int_t
ngx_http_webauthn_store_revocations(ngx_http_webauthn_store_req_t *sr)
{
    size_t       len[4];
    const char  *argv[4];
    u_char       max[NGX_INT_T_LEN];

    if (ngx_http_webauthn_store_key(sr, &sr->key, "revoked", NULL, 0)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[0] = "ZRANGE";
    len[0] = sizeof("ZRANGE") - 1;
    argv[1] = (char *) sr->key.data;
    len[1] = sr->key.len;
    argv[2] = "0";
    len[2] = 1;
    argv[3] = (char *) max;
    len[3] = ngx_sprintf(max, "%d", NGX_HTTP_WEBAUTHN_REVOKED_MAX - 1) - max;

    return ngx_http_webauthn_store_send(sr, &sr->key, 4, argv, len,
                               ngx_http_webauthn_store_revocations_handler);
}


static void
ngx_http_webauthn_store_revocations_handler(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_store_req_t *sr = op->data;

    size_t       i;
    ngx_str_t   *id;
    redisReply  *reply;

    if (op->rc != NGX_OK) {
        ngx_http_webauthn_metrics_redis_fault(&op->reason);
        ngx_http_webauthn_store_fault(sr, (char *) op->reason.data,
                                      op->reason.len);
        goto done;
    }

    reply = op->replies[0];

    if (reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_webauthn_metrics_inc(
            redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);
        ngx_http_webauthn_store_error(sr, "unexpected reply to ZRANGE");
        goto done;
    }

    sr->revoked = ngx_array_create(sr->pool,
                                   reply->elements ? reply->elements : 1,
                                   sizeof(ngx_str_t));
    if (sr->revoked == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        goto done;
    }

    for (i = 0; i < reply->elements; i++) {
        id = ngx_array_push(sr->revoked);

        if (ngx_http_webauthn_store_string(sr->pool, reply->element[i], id)
            != NGX_OK
            || !wa_record_cred_id_ok(id->data, id->len))
        {
            ngx_http_webauthn_metrics_inc(
                redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);
            ngx_http_webauthn_store_error(sr, "unexpected reply to ZRANGE");
            goto done;
        }
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;

done:

    ngx_http_webauthn_store_done(sr);
}


/*
 * A script of the store: EVALSHA, or EVAL when Redis (a Cluster's node)
 * does not have it (NOSCRIPT: a restart, SCRIPT FLUSH), once.  argv[0]
 * and argv[1] are filled here; argv[2] onward are nkeys keys then the
 * arguments, nargs in all with the first two; they must live until the
 * handler runs (the request's pool).  Every script has a key, and all
 * its keys share one hash slot: the op goes to the first key's.
 */

ngx_int_t
ngx_http_webauthn_store_eval(ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_script_t *script, ngx_uint_t nkeys, ngx_uint_t nargs,
    const char **argv, size_t *argvlen, ngx_http_webauthn_store_reply_pt reply)
{
    u_char      *p;
    ngx_sha1_t   sha1;
    u_char       digest[20];

    if (!script->ready) {
        ngx_sha1_init(&sha1);
        ngx_sha1_update(&sha1, script->source.data, script->source.len);
        ngx_sha1_final(digest, &sha1);
        ngx_hex_dump(script->sha, digest, sizeof(digest));
        script->ready = 1;
    }

    sr->script = script;
    sr->reply = reply;
    sr->nargs = nargs;
    sr->argv = argv;
    sr->argvlen = argvlen;
    sr->route.data = (u_char *) argv[3];
    sr->route.len = argvlen[3];

    if (sr->eval) {
        argv[0] = "EVAL";
        argvlen[0] = sizeof("EVAL") - 1;
        argv[1] = (char *) script->source.data;
        argvlen[1] = script->source.len;

    } else {
        argv[0] = "EVALSHA";
        argvlen[0] = sizeof("EVALSHA") - 1;
        argv[1] = (char *) script->sha;
        argvlen[1] = NGX_HTTP_WEBAUTHN_SHA1_HEX;
    }

    /* argv[2] is the number of keys, kept in the request's pool */

    p = ngx_pnalloc(sr->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    argv[2] = (char *) p;
    argvlen[2] = ngx_sprintf(p, "%ui", nkeys) - p;

    return ngx_http_webauthn_store_send(sr, &sr->route, (int) nargs, argv,
                                        argvlen,
                                        ngx_http_webauthn_store_eval_handler);
}


/*
 * One plain command on the slot of key (argv copied), its reply to
 * reply(), as a script's: a step of an operation driven from here
 */

ngx_int_t
ngx_http_webauthn_store_command(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *key, int argc, const char **argv, size_t *argvlen,
    ngx_http_webauthn_store_reply_pt reply)
{
    sr->script = NULL;
    sr->reply = reply;

    return ngx_http_webauthn_store_send(sr, key, argc, argv, argvlen,
                                        ngx_http_webauthn_store_eval_handler);
}


static void
ngx_http_webauthn_store_eval_handler(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_store_req_t *sr = op->data;

    redisReply                       *reply;
    ngx_http_webauthn_store_next_pt   next;

    if (op->rc != NGX_OK) {
        ngx_http_webauthn_metrics_redis_fault(&op->reason);
        ngx_http_webauthn_store_fault(sr, (char *) op->reason.data,
                                      op->reason.len);
        goto done;
    }

    reply = op->replies[0];

    if (reply->type == REDIS_REPLY_ERROR) {

        if (sr->script && !sr->eval && reply->len >= 8
            && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, sr->log, 0,
                           "webauthn store: NOSCRIPT, sending the script");

            ngx_http_webauthn_redis_slot_free(op);
            sr->op = NULL;
            sr->eval = 1;

            sr->argv[0] = "EVAL";
            sr->argvlen[0] = sizeof("EVAL") - 1;
            sr->argv[1] = (char *) sr->script->source.data;
            sr->argvlen[1] = sr->script->source.len;

            if (ngx_http_webauthn_store_send(sr, &sr->route, (int) sr->nargs,
                                             sr->argv, sr->argvlen,
                                          ngx_http_webauthn_store_eval_handler)
                != NGX_OK)
            {
                ngx_http_webauthn_store_done(sr);
            }

            return;
        }

        ngx_http_webauthn_metrics_inc(
            redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);
        ngx_http_webauthn_store_fault(sr, reply->str, reply->len);
        goto done;
    }

    sr->reply(sr, reply);

    if (sr->wait) {
        ngx_http_webauthn_store_wait(sr, op);
    }

    /* the reply asked for the next step of a multi-step operation */

    if (sr->next && sr->rc == NGX_HTTP_WEBAUTHN_STORE_OK) {
        next = sr->next;
        sr->next = NULL;

        ngx_http_webauthn_redis_slot_free(op);
        sr->op = NULL;
        sr->eval = 0;

        if (next(sr) != NGX_OK) {
            ngx_http_webauthn_store_done(sr);
        }

        return;
    }

done:

    sr->next = NULL;

    ngx_http_webauthn_store_done(sr);
}


/*
 * a commit that passed counts only once WAIT says enough replicas have
 * it; otherwise the nonce is spent on the master alone, and the client
 * needs a fresh challenge (design.md, "Failure semantics")
 */

static void
ngx_http_webauthn_store_wait(ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_redis_op_t *op)
{
    ngx_str_t  reason;

    if (sr->rc != NGX_HTTP_WEBAUTHN_STORE_OK) {
        return;
    }

    if (op->ncmds < 2 || op->replies[1] == NULL) {
        ngx_http_webauthn_store_error(sr, "no reply to WAIT");
        return;
    }

    if (ngx_http_webauthn_redis_wait_check(op, op->replies[1], &reason)
        == NGX_OK)
    {
        return;
    }

    ngx_http_webauthn_metrics_inc(
        redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);
    ngx_http_webauthn_store_fault(sr, (char *) reason.data, reason.len);
}


void
ngx_http_webauthn_store_bad_reply(ngx_http_webauthn_store_req_t *sr,
    const char *script)
{
    u_char  *p;
    size_t   len;

    ngx_http_webauthn_metrics_inc(
        redis_errors[NGX_HTTP_WEBAUTHN_METRICS_REPLY]);

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_FAULT;

    len = sizeof("unexpected reply to the  script") - 1 + ngx_strlen(script);

    p = ngx_pnalloc(sr->pool, len);
    if (p == NULL) {
        ngx_str_set(&sr->reason, "out of memory");
        return;
    }

    sr->reason.data = p;
    sr->reason.len = ngx_sprintf(p, "unexpected reply to the %s script",
                                 script)
                     - p;
}


ngx_int_t
ngx_http_webauthn_store_status(redisReply *reply, const char **names)
{
    ngx_int_t  i;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }

    for (i = 0; names[i]; i++) {
        if ((size_t) reply->element[0]->len == ngx_strlen(names[i])
            && ngx_strncmp(reply->element[0]->str, names[i],
                           reply->element[0]->len)
               == 0)
        {
            return i;
        }
    }

    return NGX_ERROR;
}


/* a user's keys: <prefix>user:, user_creds: and user_invites:<name> */

ngx_int_t
ngx_http_webauthn_store_user_keys(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *name, ngx_str_t keys[3])
{
    if (ngx_http_webauthn_store_key(sr, &keys[0], "user:", name->data,
                                    name->len)
        != NGX_OK
        || ngx_http_webauthn_store_key(sr, &keys[1], "user_creds:",
                                       name->data, name->len)
           != NGX_OK
        || ngx_http_webauthn_store_key(sr, &keys[2], "user_invites:",
                                       name->data, name->len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the argv and lengths of a command of n arguments, in the pool */

ngx_int_t
ngx_http_webauthn_store_argv(ngx_http_webauthn_store_req_t *sr, ngx_uint_t n,
    const char ***argv, size_t **len)
{
    *argv = ngx_palloc(sr->pool, n * sizeof(char *));
    *len = ngx_palloc(sr->pool, n * sizeof(size_t));

    if (*argv == NULL || *len == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_store_eval_keys(ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_script_t *script, ngx_str_t *keys, ngx_uint_t nkeys,
    ngx_http_webauthn_store_reply_pt reply)
{
    size_t       *len;
    ngx_uint_t    i;
    const char  **argv;

    if (ngx_http_webauthn_store_argv(sr, 3 + nkeys, &argv, &len) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < nkeys; i++) {
        argv[3 + i] = (char *) keys[i].data;
        len[3 + i] = keys[i].len;
    }

    return ngx_http_webauthn_store_eval(sr, script, nkeys, 3 + nkeys, argv,
                                        len, reply);
}


/* a bulk string or nil (empty) reply, copied to the pool */

ngx_int_t
ngx_http_webauthn_store_string(ngx_pool_t *pool, redisReply *reply,
    ngx_str_t *s)
{
    if (reply->type == REDIS_REPLY_NIL) {
        ngx_str_null(s);
        return NGX_OK;
    }

    if (reply->type != REDIS_REPLY_STRING) {
        return NGX_ERROR;
    }

    s->len = reply->len;
    s->data = ngx_pnalloc(pool, reply->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, reply->str, reply->len);
    s->data[s->len] = '\0';

    return NGX_OK;
}


/*
 * the reason goes to the error log only; text from Redis (error replies)
 * is cut short and has its non-printable bytes replaced, so that it
 * cannot split or forge a log line
 */

void
ngx_http_webauthn_store_fault(ngx_http_webauthn_store_req_t *sr,
    const char *text, size_t len)
{
    u_char  *p;
    size_t   i;

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_FAULT;

    len = ngx_min(len, NGX_HTTP_WEBAUTHN_STORE_REASON_MAX);

    p = ngx_pnalloc(sr->pool, len);
    if (p == NULL) {
        ngx_str_set(&sr->reason, "out of memory");
        return;
    }

    for (i = 0; i < len; i++) {
        p[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? (u_char) text[i] : '?';
    }

    sr->reason.data = p;
    sr->reason.len = len;
}


static void
ngx_http_webauthn_store_done(ngx_http_webauthn_store_req_t *sr)
{
    sr->wait = 0;

    if (sr->op) {
        ngx_http_webauthn_redis_slot_free(sr->op);
        sr->op = NULL;
    }

    sr->handler(sr);
}
