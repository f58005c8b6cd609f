
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The administration's store operations (see ngx_http_webauthn_store.h):
 * invitations, a user and their credentials, a credential's roles and
 * its revocation.  Each is one Lua script, so atomic; the keys are
 * design.md's "Redis schema".  A script that writes first checks what it
 * will answer with the record rules (design.md, "Record fields") and
 * writes nothing when they fail; every reply is checked again here
 * before it is used.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <wa_core.h>
#include <ngx_http_webauthn_store.h>


#define NGX_HTTP_WEBAUTHN_CRED_FIELDS    11  /* a credential's, below */
/* NGX_HTTP_WEBAUTHN_REVOKED_KEEP in the scripts' text */
#define NGX_HTTP_WEBAUTHN_REVOKED_KEEP_S  "172800"

#define NGX_HTTP_WEBAUTHN_HANDLE_MAX     64  /* WebAuthn L3, 5.4.3 */
#define NGX_HTTP_WEBAUTHN_FORMAT_MAX     32  /* attestation_format */
#define NGX_HTTP_WEBAUTHN_TIME_DIGITS    15  /* created, last_used */
#define NGX_HTTP_WEBAUTHN_ADMIN_IDS_MAX  1000  /* a user's ids, invitations */


static ngx_int_t ngx_http_webauthn_store_invite_user(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_invite_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_invite_cred(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_invite_cred_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_invite_write(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_ok_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_ids(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply, size_t from,
    ngx_array_t **list);
static ngx_int_t ngx_http_webauthn_store_user_read(
    ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_store_reply_pt reply);
static ngx_int_t ngx_http_webauthn_store_user_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply,
    const char *script);
static void ngx_http_webauthn_store_user_get_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static void ngx_http_webauthn_store_user_get_next(
    ngx_http_webauthn_store_req_t *sr);
static ngx_int_t ngx_http_webauthn_store_user_get_cred(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_user_get_cred_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static void ngx_http_webauthn_store_user_delete_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_revoke_ids(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_revoke_ids_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_user_delete_next(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_store_user_delete_step(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_cred_op(
    ngx_http_webauthn_store_req_t *sr, ngx_http_webauthn_script_t *script,
    ngx_str_t *arg);
static void ngx_http_webauthn_store_cred_reply(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);
static ngx_int_t ngx_http_webauthn_store_cred_info(
    ngx_http_webauthn_store_req_t *sr, ngx_str_t *id, redisReply **f,
    ngx_http_webauthn_cred_info_t *ci, const char *script);
static const char *ngx_http_webauthn_store_cred_check(
    ngx_http_webauthn_cred_info_t *ci);
static ngx_int_t ngx_http_webauthn_store_bad_record(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply, const char *what);
static void ngx_http_webauthn_store_invalid(ngx_http_webauthn_store_req_t *sr,
    const char *what, ngx_str_t *id, const char *field, size_t len);
static ngx_int_t ngx_http_webauthn_store_handle_ok(ngx_pool_t *pool,
    ngx_str_t *handle);
static ngx_int_t ngx_http_webauthn_store_words_ok(ngx_str_t *s, size_t max);
static ngx_int_t ngx_http_webauthn_store_digits_ok(ngx_str_t *s,
    size_t max);


/*
 * The fields of a credential the admin API shows, in the order of
 * ngx_http_webauthn_cred_info_t after the id, and the rules of the
 * stored values (design.md, "Record fields"), as the C checks below:
 *
 *   user_name, aaguid, roles, sign_count    wa_record.c's rules
 *   attestation_format     empty, or up to 32 of a-z 0-9 -
 *   transports             empty, or words of a-z - separated by one
 *                          SP, less than 128 bytes
 *   created, last_used     absent, empty, or 1 to 15 decimal digits
 *   backup_eligible, backup_state           absent, empty, "0" or "1"
 *   revoked                anything (wa_record_revoked() reads it)
 */

#define NGX_HTTP_WEBAUTHN_LUA_FIELDS                                          \
    "local F = {'user_name', 'aaguid', 'attestation_format', 'roles',\n"      \
    "    'transports', 'created', 'last_used', 'sign_count', 'revoked',\n"    \
    "    'backup_eligible', 'backup_state'}\n"

#define NGX_HTTP_WEBAUTHN_LUA_UTF8                                            \
    "local function utf8ok(s)\n"                                              \
    "    local i, n = 1, #s\n"                                                \
    "    while i <= n do\n"                                                   \
    "        local b = string.byte(s, i)\n"                                   \
    "        local k, lo, hi = 0, 128, 191\n"                                 \
    "        if b < 32 or b == 127 then return false\n"                       \
    "        elseif b < 128 then k = 0\n"                                     \
    "        elseif b >= 194 and b <= 223 then k = 1\n"                       \
    "            if b == 194 then lo = 160 end\n"                             \
    "        elseif b >= 224 and b <= 239 then k = 2\n"                       \
    "            if b == 224 then lo = 160 elseif b == 237 then hi = 159 "    \
    "end\n"                                                                   \
    "        elseif b >= 240 and b <= 244 then k = 3\n"                       \
    "            if b == 240 then lo = 144 elseif b == 244 then hi = 143 "    \
    "end\n"                                                                   \
    "        else return false end\n"                                         \
    "        for j = 1, k do\n"                                               \
    "            local x = string.byte(s, i + j)\n"                           \
    "            if not x or x < lo or x > hi then return false end\n"        \
    "            lo, hi = 128, 191\n"                                         \
    "        end\n"                                                           \
    "        i = i + k + 1\n"                                                 \
    "    end\n"                                                               \
    "    return true\n"                                                       \
    "end\n"

/* bad(c): the first field of c (HMGET of F) breaking its rule, or nil */

#define NGX_HTTP_WEBAUTHN_LUA_CHECK                                           \
    NGX_HTTP_WEBAUTHN_LUA_FIELDS                                              \
    NGX_HTTP_WEBAUTHN_LUA_UTF8                                                \
    "local function words(s, pat, len, n)\n"                                  \
    "    if s == '' then return true end\n"                                   \
    "    if string.find(s, '^ ') or string.find(s, ' $')\n"                   \
    "        or string.find(s, '  ') then return false end\n"                 \
    "    local k = 0\n"                                                       \
    "    for t in string.gmatch(s, '[^ ]+') do\n"                             \
    "        k = k + 1\n"                                                     \
    "        if k > n or #t > len or not string.find(t, pat) then\n"          \
    "            return false end\n"                                          \
    "    end\n"                                                               \
    "    return true\n"                                                       \
    "end\n"                                                                   \
    "local function digits(s)\n"                                              \
    "    return not s or s == ''\n"                                           \
    "        or (#s <= 15 and string.find(s, '^[0-9]+$') ~= nil)\n"           \
    "end\n"                                                                   \
    "local function bad(c)\n"                                                 \
    "    local u = c[1] or ''\n"                                              \
    "    if #u > 256 or not utf8ok(u) then return F[1] end\n"                 \
    "    local a = c[2] or ''\n"                                              \
    "    if a ~= '' and not string.find(a, '^%x%x%x%x%x%x%x%x%-'\n"           \
    "        .. '%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$')\n"  \
    "        then return F[2] end\n"                                          \
    "    local f = c[3] or ''\n"                                              \
    "    if #f > 32 or string.find(f, '[^a-z0-9%-]') then return F[3] end\n"  \
    "    if not words(c[4] or '', '^[A-Za-z0-9._:%-]+$', 64, 32) then\n"      \
    "        return F[4] end\n"                                               \
    "    local t = c[5] or ''\n"                                              \
    "    if #t >= 128 or not words(t, '^[a-z%-]+$', 127, 127) then\n"         \
    "        return F[5] end\n"                                               \
    "    if not digits(c[6]) then return F[6] end\n"                          \
    "    if not digits(c[7]) then return F[7] end\n"                          \
    "    local n = c[8]\n"                                                    \
    "    if n and (#n > 10 or not string.find(n, '^[0-9]+$')\n"               \
    "        or tonumber(n) > 4294967295) then return F[8] end\n"             \
    "    for i = 10, 11 do\n"                                                 \
    "        local b = c[i]\n"                                                \
    "        if b and b ~= '' and b ~= '0' and b ~= '1' then\n"               \
    "            return F[i] end\n"                                           \
    "    end\n"                                                               \
    "    return nil\n"                                                        \
    "end\n"


/*
 * invite, in the user's slot: the user is created when new (their user
 * handle: one of their credentials' when they have some stored by hand,
 * which this script asks the C code to read from the credentials' slots
 * first, else ARGV[3]), an existing one keeps theirs and gets the
 * display name when one is given; invitations of the user that expired
 * are dropped from their set.
 *
 * KEYS[1] user, KEYS[2] user_creds, KEYS[3] user_invites; ARGV[1]
 * user_name, ARGV[2] display_name ("": not given), ARGV[3] a new user
 * handle, ARGV[4] "1" when the credentials were looked at, ARGV[5]
 * expires (s), ARGV[6] now (s), ARGV[7] the invitation's hash.
 * Replies {"ok", user_handle, display_name}, {"creds", id...} (the
 * user's credentials, sorted, to look at) or {"bad_record", field}.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_invite_script = {
    ngx_string(
    NGX_HTTP_WEBAUTHN_LUA_UTF8
    "local u = redis.call('HMGET', KEYS[1], 'user_handle', 'display_name',\n"
    "    'created')\n"
    "local h, d = u[1], ARGV[2]\n"
    "if not h or h == '' then\n"
    "    h = ARGV[3]\n"
    "    if ARGV[4] ~= '1' then\n"
    "        local ids = redis.call('SMEMBERS', KEYS[2])\n"
    "        if #ids > 0 then\n"
    "            table.sort(ids)\n"
    "            local r = {'creds'}\n"
    "            for _, id in ipairs(ids) do r[#r + 1] = id end\n"
    "            return r\n"
    "        end\n"
    "    end\n"
    "end\n"
    "if #h > 86 or #h % 4 == 1 or not string.find(h, '^[A-Za-z0-9_%-]+$')\n"
    "    then return {'bad_record', 'user_handle'} end\n"
    "if d == '' then d = u[2] or '' end\n"
    "if d == '' then d = ARGV[1] end\n"
    "if #d > 256 or not utf8ok(d) then\n"
    "    return {'bad_record', 'display_name'} end\n"
    "redis.call('HSET', KEYS[1], 'user_handle', h, 'display_name', d)\n"
    "if not u[3] then redis.call('HSET', KEYS[1], 'created', ARGV[6]) end\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[6])\n"
    "redis.call('ZADD', KEYS[3], ARGV[5], ARGV[7])\n"
    "return {'ok', h, d}\n"),
    { 0 }, 0
};


/*
 * invite, then, in the invitation's slot: KEYS[1] invite; ARGV[1]
 * user_name, ARGV[2] display_name, ARGV[3] roles, ARGV[4] user_handle,
 * ARGV[5] expires (s)
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_invite_write_script = {
    ngx_string(
    "redis.call('HSET', KEYS[1], 'user_name', ARGV[1], 'display_name',\n"
    "    ARGV[2], 'roles', ARGV[3], 'user_handle', ARGV[4],\n"
    "    'expires', ARGV[5])\n"
    "redis.call('EXPIREAT', KEYS[1], ARGV[5])\n"
    "return {'ok'}\n"),
    { 0 }, 0
};


/*
 * user_get and user_delete, in the user's slot: KEYS[1] user, KEYS[2]
 * user_creds, KEYS[3] user_invites.  Replies {"ok", user_handle,
 * display_name, the user hash exists (0 or 1), {id...}, {hash...}}, the
 * ids and the open invitations sorted; the records are then read (or
 * deleted) from the credentials' slots, one op each.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_user_read_script = {
    ngx_string(
    "local u = redis.call('HMGET', KEYS[1], 'user_handle', 'display_name')\n"
    "local ids = redis.call('SMEMBERS', KEYS[2])\n"
    "table.sort(ids)\n"
    "return {'ok', u[1], u[2], redis.call('EXISTS', KEYS[1]), ids,\n"
    "    redis.call('ZRANGE', KEYS[3], 0, -1)}\n"),
    { 0 }, 0
};


/*
 * user_delete, a credential: KEYS[1] the record, KEYS[2] its epoch.
 * Replies {"ok"} (deleted) or {"unknown"}.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_cred_delete_script = {
    ngx_string(
    "local n = redis.call('DEL', KEYS[1])\n"
    "redis.call('DEL', KEYS[2])\n"
    "if n == 1 then return {'ok'} end\n"
    "return {'unknown'}\n"),
    { 0 }, 0
};


/*
 * revocations: KEYS[1] the revocations (a sorted set by time, kept two
 * days: what session tokens are checked against); ARGV the ids revoked
 * or deleted
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_revoke_ids_script = {
    ngx_string(
    "local t = tonumber(redis.call('TIME')[1])\n"
    "for i = 1, #ARGV do redis.call('ZADD', KEYS[1], t, ARGV[i]) end\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - "
    NGX_HTTP_WEBAUTHN_REVOKED_KEEP_S ")\n"
    "return {'ok'}\n"),
    { 0 }, 0
};


/*
 * cred_roles: KEYS[1] the credential; ARGV[1] the roles.  Replies
 * {"unknown"}, {"bad_record", field} (nothing written), or {"ok", F...}
 * with the new roles.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_cred_roles_script = {
    ngx_string(
    NGX_HTTP_WEBAUTHN_LUA_CHECK
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown'} end\n"
    "local c = redis.call('HMGET', KEYS[1], unpack(F))\n"
    "c[4] = ARGV[1]\n"
    "local b = bad(c)\n"
    "if b then return {'bad_record', b} end\n"
    "redis.call('HSET', KEYS[1], 'roles', ARGV[1])\n"
    "return {'ok', unpack(c)}\n"),
    { 0 }, 0
};


/*
 * cred_revoke: KEYS[1] the credential, revoked ("1"): the commit script
 * refuses it from the next assertion on; the id is then added to the
 * revocations (their own key, so another op).  Replies as cred_roles.
 */

static ngx_http_webauthn_script_t  ngx_http_webauthn_cred_revoke_script = {
    ngx_string(
    NGX_HTTP_WEBAUTHN_LUA_CHECK
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown'} end\n"
    "local c = redis.call('HMGET', KEYS[1], unpack(F))\n"
    "c[9] = '1'\n"
    "local b = bad(c)\n"
    "if b then return {'bad_record', b} end\n"
    "redis.call('HSET', KEYS[1], 'revoked', '1')\n"
    "return {'ok', unpack(c)}\n"),
    { 0 }, 0
};


static const char  *ngx_http_webauthn_admin_replies[] = {
    "ok", "unknown", "bad_record", "creds", NULL
};


ngx_int_t
ngx_http_webauthn_store_invite(ngx_http_webauthn_store_req_t *sr)
{
    sr->next = NULL;
    sr->found = 0;
    sr->handle = sr->enroll->user_handle;

    return ngx_http_webauthn_store_invite_user(sr);
}


static ngx_int_t
ngx_http_webauthn_store_invite_user(ngx_http_webauthn_store_req_t *sr)
{
    u_char                      *p;
    size_t                      *len;
    ngx_str_t                    keys[3];
    ngx_uint_t                   i;
    const char                 **argv;
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;

    if (ngx_http_webauthn_store_user_keys(sr, &e->user_name, keys) != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 13, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(sr->pool, 2 * NGX_TIME_T_LEN);
    if (p == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    for (i = 0; i < 3; i++) {
        argv[3 + i] = (char *) keys[i].data;
        len[3 + i] = keys[i].len;
    }

    e->expires = ngx_time() + (time_t) e->ttl;

    argv[6] = (char *) e->user_name.data;
    len[6] = e->user_name.len;
    argv[7] = (char *) e->display_name.data;
    len[7] = e->display_name.len;
    argv[8] = (char *) sr->handle.data;
    len[8] = sr->handle.len;
    argv[9] = sr->found ? "1" : "0";
    len[9] = 1;

    argv[10] = (char *) p;
    p = ngx_sprintf(p, "%T", e->expires);
    len[10] = p - (u_char *) argv[10];

    argv[11] = (char *) p;
    p = ngx_sprintf(p, "%T", ngx_time());
    len[11] = p - (u_char *) argv[11];

    argv[12] = (char *) e->invite.data;
    len[12] = e->invite.len;

    return ngx_http_webauthn_store_eval(sr, &ngx_http_webauthn_invite_script,
                                        3, 13, argv, len,
                                        ngx_http_webauthn_store_invite_reply);
}


static void
ngx_http_webauthn_store_invite_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_int_t                    st;
    ngx_str_t                    handle, display;
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;

    st = ngx_http_webauthn_store_status(reply,
                                        ngx_http_webauthn_admin_replies);

    if (st == 2) {
        (void) ngx_http_webauthn_store_bad_record(sr, reply, "user");
        return;
    }

    if (st == 3 && !sr->found) {

        /* a user of credentials stored by hand: their handle, first */

        if (ngx_http_webauthn_store_ids(sr, reply, 1, &sr->list) != NGX_OK)
        {
            return;
        }

        sr->found = 1;
        sr->index = 0;
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;
        sr->next = ngx_http_webauthn_store_invite_cred;
        return;
    }

    if (st != 0 || reply->elements != 3
        || ngx_http_webauthn_store_string(sr->pool, reply->element[1],
                                          &handle)
           != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, reply->element[2],
                                          &display)
           != NGX_OK)
    {
        ngx_http_webauthn_store_bad_reply(sr, "invite");
        return;
    }

    /* design.md, "Record fields": the user's, as the enrollment reads them */

    if (ngx_http_webauthn_store_handle_ok(sr->pool, &handle) != NGX_OK) {
        ngx_http_webauthn_store_invalid(sr, "user", NULL, "user_handle",
                                        sizeof("user_handle") - 1);
        return;
    }

    if (display.len == 0
        || !wa_record_user_name_ok(display.data, display.len))
    {
        ngx_http_webauthn_store_invalid(sr, "user", NULL, "display_name",
                                        sizeof("display_name") - 1);
        return;
    }

    e->user_handle = handle;
    e->display_name = display;

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;
    sr->next = ngx_http_webauthn_store_invite_write;
}


/* HGET <prefix>cred:{<id>} user_handle, for each id until one has it */

static ngx_int_t
ngx_http_webauthn_store_invite_cred(ngx_http_webauthn_store_req_t *sr)
{
    size_t       len[3];
    ngx_str_t    key, *id;
    const char  *argv[3];

    if (sr->index == sr->list->nelts) {
        return ngx_http_webauthn_store_invite_user(sr);
    }

    id = (ngx_str_t *) sr->list->elts + sr->index;

    if (ngx_http_webauthn_store_key(sr, &key, "cred:", id->data, id->len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[0] = "HGET";
    len[0] = sizeof("HGET") - 1;
    argv[1] = (char *) key.data;
    len[1] = key.len;
    argv[2] = "user_handle";
    len[2] = sizeof("user_handle") - 1;

    return ngx_http_webauthn_store_command(sr, &key, 3, argv, len,
                                   ngx_http_webauthn_store_invite_cred_reply);
}


static void
ngx_http_webauthn_store_invite_cred_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_str_t  handle;

    if (ngx_http_webauthn_store_string(sr->pool, reply, &handle) != NGX_OK) {
        ngx_http_webauthn_store_bad_reply(sr, "invite");
        return;
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;

    if (handle.len) {
        sr->handle = handle;
        sr->next = ngx_http_webauthn_store_invite_user;
        return;
    }

    sr->index++;
    sr->next = ngx_http_webauthn_store_invite_cred;
}


static ngx_int_t
ngx_http_webauthn_store_invite_write(ngx_http_webauthn_store_req_t *sr)
{
    u_char                      *p;
    size_t                      *len;
    ngx_str_t                    key;
    const char                 **argv;
    ngx_http_webauthn_enroll_t  *e;

    e = sr->enroll;

    if (ngx_http_webauthn_store_key(sr, &key, "invite:", e->invite.data,
                                    e->invite.len)
        != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 9, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(sr->pool, NGX_TIME_T_LEN);
    if (p == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    argv[3] = (char *) key.data;
    len[3] = key.len;
    argv[4] = (char *) e->user_name.data;
    len[4] = e->user_name.len;
    argv[5] = (char *) e->display_name.data;
    len[5] = e->display_name.len;
    argv[6] = (char *) e->roles.data;
    len[6] = e->roles.len;
    argv[7] = (char *) e->user_handle.data;
    len[7] = e->user_handle.len;
    argv[8] = (char *) p;
    len[8] = ngx_sprintf(p, "%T", e->expires) - p;

    return ngx_http_webauthn_store_eval(sr,
                                     &ngx_http_webauthn_invite_write_script, 1,
                                     9, argv, len,
                                     ngx_http_webauthn_store_ok_reply);
}


/* {"ok"}: the last step's reply */

static void
ngx_http_webauthn_store_ok_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    if (ngx_http_webauthn_store_status(reply,
                                       ngx_http_webauthn_admin_replies)
        != 0
        || reply->elements != 1)
    {
        ngx_http_webauthn_store_bad_reply(sr, "admin");
        return;
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;
}


/* the ids (base64url) of reply->element[from...], into *list */

static ngx_int_t
ngx_http_webauthn_store_ids(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply, size_t from, ngx_array_t **list)
{
    size_t      i;
    ngx_str_t  *id;

    if (reply->type != REDIS_REPLY_ARRAY
        || reply->elements - from > NGX_HTTP_WEBAUTHN_ADMIN_IDS_MAX)
    {
        goto invalid;
    }

    *list = ngx_array_create(sr->pool, ngx_max(reply->elements - from, 1),
                             sizeof(ngx_str_t));
    if (*list == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    for (i = from; i < reply->elements; i++) {
        id = ngx_array_push(*list);

        if (reply->element[i]->type != REDIS_REPLY_STRING
            || ngx_http_webauthn_store_string(sr->pool, reply->element[i],
                                              id)
               != NGX_OK
            || !wa_record_cred_id_ok(id->data, id->len))
        {
            goto invalid;
        }
    }

    return NGX_OK;

invalid:

    ngx_http_webauthn_store_bad_reply(sr, "admin");

    return NGX_ERROR;
}


/* user_get and user_delete: the user's slot first */

static ngx_int_t
ngx_http_webauthn_store_user_read(ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_store_reply_pt reply)
{
    ngx_str_t  keys[3];

    sr->next = NULL;

    if (ngx_http_webauthn_store_user_keys(sr, &sr->admin->user_name, keys)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_webauthn_store_eval_keys(sr,
                                          &ngx_http_webauthn_user_read_script,
                                          keys, 3, reply);
}


ngx_int_t
ngx_http_webauthn_store_user_get(ngx_http_webauthn_store_req_t *sr)
{
    return ngx_http_webauthn_store_user_read(sr,
                                       ngx_http_webauthn_store_user_get_reply);
}


/*
 * {"ok", user_handle, display_name, exists, {id...}, {hash...}}: the ids
 * in sr->list, the invitations in sr->list2, exists in sr->found
 */

static ngx_int_t
ngx_http_webauthn_store_user_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply, const char *script)
{
    size_t                       i, k;
    ngx_str_t                   *h;
    redisReply                 **el;
    ngx_http_webauthn_admin_t   *a;

    a = sr->admin;

    if (ngx_http_webauthn_store_status(reply,
                                       ngx_http_webauthn_admin_replies)
        != 0
        || reply->elements != 6
        || reply->element[3]->type != REDIS_REPLY_INTEGER
        || reply->element[4]->type != REDIS_REPLY_ARRAY
        || reply->element[5]->type != REDIS_REPLY_ARRAY
        || reply->element[5]->elements > NGX_HTTP_WEBAUTHN_ADMIN_IDS_MAX)
    {
        goto invalid;
    }

    el = reply->element;

    if (ngx_http_webauthn_store_string(sr->pool, el[1], &a->user_handle)
        != NGX_OK
        || ngx_http_webauthn_store_string(sr->pool, el[2], &a->display_name)
           != NGX_OK)
    {
        goto invalid;
    }

    sr->found = (el[3]->integer == 1);

    if (ngx_http_webauthn_store_ids(sr, el[4], 0, &sr->list) != NGX_OK) {
        return NGX_ERROR;
    }

    sr->list2 = ngx_array_create(sr->pool, ngx_max(el[5]->elements, 1),
                                 sizeof(ngx_str_t));
    a->creds = ngx_array_create(sr->pool, ngx_max(sr->list->nelts, 1),
                                sizeof(ngx_http_webauthn_cred_info_t));
    if (sr->list2 == NULL || a->creds == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return NGX_ERROR;
    }

    /* an invitation's hash: 64 hex digits */

    for (i = 0; i < el[5]->elements; i++) {
        h = ngx_array_push(sr->list2);

        if (ngx_http_webauthn_store_string(sr->pool, el[5]->element[i], h)
            != NGX_OK
            || h->len != 64)
        {
            goto invalid;
        }

        for (k = 0; k < h->len; k++) {
            if (!((h->data[k] >= '0' && h->data[k] <= '9')
                  || (h->data[k] >= 'a' && h->data[k] <= 'f')))
            {
                goto invalid;
            }
        }
    }

    sr->index = 0;

    return NGX_OK;

invalid:

    ngx_http_webauthn_store_bad_reply(sr, script);

    return NGX_ERROR;
}


static void
ngx_http_webauthn_store_user_get_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_http_webauthn_admin_t  *a;

    a = sr->admin;

    if (ngx_http_webauthn_store_user_reply(sr, reply, "user_get") != NGX_OK) {
        return;
    }

    if (a->user_handle.len
        && ngx_http_webauthn_store_handle_ok(sr->pool, &a->user_handle)
           != NGX_OK)
    {
        ngx_http_webauthn_store_invalid(sr, "user", NULL, "user_handle",
                                        sizeof("user_handle") - 1);
        return;
    }

    if (!wa_record_user_name_ok(a->display_name.data, a->display_name.len)) {
        ngx_http_webauthn_store_invalid(sr, "user", NULL, "display_name",
                                        sizeof("display_name") - 1);
        return;
    }

    ngx_http_webauthn_store_user_get_next(sr);
}


/* the next credential to read, or the end */

static void
ngx_http_webauthn_store_user_get_next(ngx_http_webauthn_store_req_t *sr)
{
    if (sr->index < sr->list->nelts) {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;
        sr->next = ngx_http_webauthn_store_user_get_cred;
        return;
    }

    /* neither a user hash nor a stored credential */

    sr->rc = (sr->admin->creds->nelts == 0 && !sr->found)
             ? NGX_HTTP_WEBAUTHN_STORE_UNKNOWN : NGX_HTTP_WEBAUTHN_STORE_OK;
}


/* HMGET <prefix>cred:{<id>} public_key F... */

static ngx_int_t
ngx_http_webauthn_store_user_get_cred(ngx_http_webauthn_store_req_t *sr)
{
    size_t        len[3 + NGX_HTTP_WEBAUTHN_CRED_FIELDS];
    ngx_str_t     key, *id;
    ngx_uint_t    i;
    const char   *argv[3 + NGX_HTTP_WEBAUTHN_CRED_FIELDS];

    static const char  *fields[NGX_HTTP_WEBAUTHN_CRED_FIELDS] = {
        "user_name", "aaguid", "attestation_format", "roles", "transports",
        "created", "last_used", "sign_count", "revoked", "backup_eligible",
        "backup_state"
    };

    id = (ngx_str_t *) sr->list->elts + sr->index;

    if (ngx_http_webauthn_store_key(sr, &key, "cred:", id->data, id->len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[0] = "HMGET";
    len[0] = sizeof("HMGET") - 1;
    argv[1] = (char *) key.data;
    len[1] = key.len;
    argv[2] = "public_key";
    len[2] = sizeof("public_key") - 1;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_CRED_FIELDS; i++) {
        argv[3 + i] = fields[i];
        len[3 + i] = ngx_strlen(fields[i]);
    }

    return ngx_http_webauthn_store_command(sr, &key,
                                 3 + NGX_HTTP_WEBAUTHN_CRED_FIELDS, argv, len,
                                 ngx_http_webauthn_store_user_get_cred_reply);
}


/* a credential of the set without a record is left out */

static void
ngx_http_webauthn_store_user_get_cred_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_str_t                      *id;
    ngx_http_webauthn_cred_info_t  *ci;

    if (reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 1 + NGX_HTTP_WEBAUTHN_CRED_FIELDS)
    {
        ngx_http_webauthn_store_bad_reply(sr, "user_get");
        return;
    }

    id = (ngx_str_t *) sr->list->elts + sr->index;
    sr->index++;

    if (reply->element[0]->type != REDIS_REPLY_NIL) {
        ci = ngx_array_push(sr->admin->creds);
        if (ci == NULL) {
            ngx_http_webauthn_store_error(sr, "out of memory");
            return;
        }

        if (ngx_http_webauthn_store_cred_info(sr, id, &reply->element[1], ci,
                                              "user_get")
            != NGX_OK)
        {
            return;
        }
    }

    ngx_http_webauthn_store_user_get_next(sr);
}


/*
 * user_delete, in steps: the user's slot is read; the ids are added to
 * the revocations; each record is deleted in its slot, then each open
 * invitation in its; the user's keys last.  An interrupted deletion
 * leaves the user: deleting again finishes it.
 */

ngx_int_t
ngx_http_webauthn_store_user_delete(ngx_http_webauthn_store_req_t *sr)
{
    return ngx_http_webauthn_store_user_read(sr,
                                    ngx_http_webauthn_store_user_delete_reply);
}


static void
ngx_http_webauthn_store_user_delete_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    if (ngx_http_webauthn_store_user_reply(sr, reply, "user_delete")
        != NGX_OK)
    {
        return;
    }

    if (sr->list->nelts == 0 && !sr->found) {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_UNKNOWN;
        return;
    }

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;
    sr->step = 0;
    sr->next = sr->list->nelts ? ngx_http_webauthn_store_revoke_ids
                               : ngx_http_webauthn_store_user_delete_next;
}


/*
 * the revocations get sr->list's ids; then user_delete (sr->step 0) goes
 * on, cred_revoke (sr->step 1) ends
 */

static ngx_int_t
ngx_http_webauthn_store_revoke_ids(ngx_http_webauthn_store_req_t *sr)
{
    size_t       *len;
    ngx_str_t     key, *ids;
    ngx_uint_t    i, n;
    const char  **argv;

    n = sr->list->nelts;
    ids = sr->list->elts;

    if (ngx_http_webauthn_store_key(sr, &key, "revoked", NULL, 0) != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 4 + n, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[3] = (char *) key.data;
    len[3] = key.len;

    for (i = 0; i < n; i++) {
        argv[4 + i] = (char *) ids[i].data;
        len[4 + i] = ids[i].len;
    }

    return ngx_http_webauthn_store_eval(sr,
                                     &ngx_http_webauthn_revoke_ids_script, 1,
                                     4 + n, argv, len,
                                     ngx_http_webauthn_store_revoke_ids_reply);
}


static void
ngx_http_webauthn_store_revoke_ids_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_http_webauthn_store_ok_reply(sr, reply);

    if (sr->rc == NGX_HTTP_WEBAUTHN_STORE_OK && sr->step == 0) {
        sr->index = 0;
        sr->next = ngx_http_webauthn_store_user_delete_next;
    }
}


/*
 * user_delete's steps after the revocations: sr->step 0 the records, 1
 * the invitations, 2 the user's keys
 */

static ngx_int_t
ngx_http_webauthn_store_user_delete_next(ngx_http_webauthn_store_req_t *sr)
{
    size_t        len[4];
    ngx_str_t     key, keys[3], *s;
    ngx_uint_t    i;
    const char   *argv[4];

    if (sr->step == 0 && sr->index == sr->list->nelts) {
        sr->step = 1;
        sr->index = 0;
    }

    if (sr->step == 1 && sr->index == sr->list2->nelts) {
        sr->step = 2;
    }

    switch (sr->step) {

    case 0:
        s = (ngx_str_t *) sr->list->elts + sr->index;

        if (ngx_http_webauthn_store_key(sr, &keys[0], "cred:", s->data,
                                        s->len)
            != NGX_OK
            || ngx_http_webauthn_store_key(sr, &keys[1], "epoch:", s->data,
                                           s->len)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_webauthn_store_eval_keys(sr,
                                     &ngx_http_webauthn_cred_delete_script,
                                     keys, 2,
                                     ngx_http_webauthn_store_user_delete_step);

    case 1:
        s = (ngx_str_t *) sr->list2->elts + sr->index;

        if (ngx_http_webauthn_store_key(sr, &key, "invite:", s->data, s->len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        argv[0] = "DEL";
        len[0] = sizeof("DEL") - 1;
        argv[1] = (char *) key.data;
        len[1] = key.len;

        return ngx_http_webauthn_store_command(sr, &key, 2, argv, len,
                                     ngx_http_webauthn_store_user_delete_step);

    default:
        if (ngx_http_webauthn_store_user_keys(sr, &sr->admin->user_name,
                                              keys)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        argv[0] = "DEL";
        len[0] = sizeof("DEL") - 1;

        for (i = 0; i < 3; i++) {
            argv[1 + i] = (char *) keys[i].data;
            len[1 + i] = keys[i].len;
        }

        sr->step = 3;

        return ngx_http_webauthn_store_command(sr, &keys[0], 4, argv, len,
                                     ngx_http_webauthn_store_user_delete_step);
    }
}


static void
ngx_http_webauthn_store_user_delete_step(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_int_t                       st;
    ngx_http_webauthn_cred_info_t  *ci;

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;

    if (sr->step == 0) {
        st = ngx_http_webauthn_store_status(reply,
                                            ngx_http_webauthn_admin_replies);

        if (reply->elements != 1 || (st != 0 && st != 1)) {
            ngx_http_webauthn_store_bad_reply(sr, "user_delete");
            return;
        }

        /*
         * the ids deleted, in admin->creds (only their id set); "unknown"
         * from a delete the module sent again (design.md, "Failure
         * semantics") may be its first run's work: the record is gone
         * either way, and counted as the first run would have
         */

        if (st == 0 || sr->op->retried) {
            ci = ngx_array_push(sr->admin->creds);
            if (ci == NULL) {
                ngx_http_webauthn_store_error(sr, "out of memory");
                return;
            }

            ngx_memzero(ci, sizeof(ngx_http_webauthn_cred_info_t));
            ci->id = ((ngx_str_t *) sr->list->elts)[sr->index];
        }

    } else if (reply->type != REDIS_REPLY_INTEGER) {
        ngx_http_webauthn_store_bad_reply(sr, "user_delete");
        return;
    }

    if (sr->step == 3) {
        return;
    }

    sr->index++;
    sr->next = ngx_http_webauthn_store_user_delete_next;
}


ngx_int_t
ngx_http_webauthn_store_cred_roles(ngx_http_webauthn_store_req_t *sr)
{
    return ngx_http_webauthn_store_cred_op(sr,
                                        &ngx_http_webauthn_cred_roles_script,
                                        &sr->admin->roles);
}


ngx_int_t
ngx_http_webauthn_store_cred_revoke(ngx_http_webauthn_store_req_t *sr)
{
    return ngx_http_webauthn_store_cred_op(sr,
                                        &ngx_http_webauthn_cred_revoke_script,
                                        NULL);
}


static ngx_int_t
ngx_http_webauthn_store_cred_op(ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_script_t *script, ngx_str_t *arg)
{
    size_t                      *len;
    ngx_uint_t                   n;
    const char                 **argv;
    ngx_http_webauthn_admin_t   *a;

    a = sr->admin;
    sr->next = NULL;

    if (ngx_http_webauthn_store_key(sr, &sr->key, "cred:", a->cred_id.data,
                                    a->cred_id.len)
        != NGX_OK
        || ngx_http_webauthn_store_argv(sr, 5, &argv, &len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[3] = (char *) sr->key.data;
    len[3] = sr->key.len;

    /* ARGV[1]: the roles (cred_roles) */

    n = 4;

    if (arg) {
        argv[4] = (char *) arg->data;
        len[4] = arg->len;
        n = 5;
    }

    return ngx_http_webauthn_store_eval(sr, script, 1, n, argv, len,
                                        ngx_http_webauthn_store_cred_reply);
}


static void
ngx_http_webauthn_store_cred_reply(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply)
{
    ngx_int_t                       st;
    ngx_str_t                      *id;
    const char                     *script;
    ngx_http_webauthn_admin_t      *a;
    ngx_http_webauthn_cred_info_t  *ci;

    a = sr->admin;
    script = (sr->script == &ngx_http_webauthn_cred_roles_script)
             ? "cred_roles" : "cred_revoke";

    st = ngx_http_webauthn_store_status(reply,
                                        ngx_http_webauthn_admin_replies);

    if (st == 1 && reply->elements == 1) {
        sr->rc = NGX_HTTP_WEBAUTHN_STORE_UNKNOWN;
        return;
    }

    if (st == 2) {
        (void) ngx_http_webauthn_store_bad_record(sr, reply, "credential");
        return;
    }

    if (st != 0 || reply->elements != 1 + NGX_HTTP_WEBAUTHN_CRED_FIELDS) {
        ngx_http_webauthn_store_bad_reply(sr, script);
        return;
    }

    ci = ngx_pcalloc(sr->pool, sizeof(ngx_http_webauthn_cred_info_t));
    if (ci == NULL) {
        ngx_http_webauthn_store_error(sr, "out of memory");
        return;
    }

    if (ngx_http_webauthn_store_cred_info(sr, &a->cred_id, &reply->element[1],
                                          ci, script)
        != NGX_OK)
    {
        return;
    }

    a->cred = ci;

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_OK;

    /* a revocation: then the revocations, for session tokens */

    if (sr->script == &ngx_http_webauthn_cred_revoke_script) {
        sr->list = ngx_array_create(sr->pool, 1, sizeof(ngx_str_t));
        if (sr->list == NULL) {
            ngx_http_webauthn_store_error(sr, "out of memory");
            return;
        }

        id = ngx_array_push(sr->list);
        *id = a->cred_id;

        sr->step = 1;
        sr->next = ngx_http_webauthn_store_revoke_ids;
    }
}


/*
 * a credential of a reply: its id and NGX_HTTP_WEBAUTHN_CRED_FIELDS
 * strings or nils in f, copied and checked; NGX_ERROR with the store's
 * fault set otherwise
 */

static ngx_int_t
ngx_http_webauthn_store_cred_info(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *id, redisReply **f, ngx_http_webauthn_cred_info_t *ci,
    const char *script)
{
    ngx_str_t   *s[NGX_HTTP_WEBAUTHN_CRED_FIELDS];
    ngx_uint_t   i;
    const char  *field;

    s[0] = &ci->user_name;
    s[1] = &ci->aaguid;
    s[2] = &ci->attestation_format;
    s[3] = &ci->roles;
    s[4] = &ci->transports;
    s[5] = &ci->created;
    s[6] = &ci->last_used;
    s[7] = &ci->sign_count;
    s[8] = &ci->revoked;
    s[9] = &ci->backup_eligible;
    s[10] = &ci->backup_state;

    if (!wa_record_cred_id_ok(id->data, id->len)) {
        ngx_http_webauthn_store_bad_reply(sr, script);
        return NGX_ERROR;
    }

    ci->id = *id;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_CRED_FIELDS; i++) {
        if (ngx_http_webauthn_store_string(sr->pool, f[i], s[i]) != NGX_OK) {
            ngx_http_webauthn_store_bad_reply(sr, script);
            return NGX_ERROR;
        }
    }

    /* design.md, "Record fields" */

    field = ngx_http_webauthn_store_cred_check(ci);

    if (field) {
        ngx_http_webauthn_store_invalid(sr, "credential", id, field,
                                        ngx_strlen(field));
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the rules of the scripts' bad(): the first field breaking its, or NULL */

static const char *
ngx_http_webauthn_store_cred_check(ngx_http_webauthn_cred_info_t *ci)
{
    size_t      i;
    uint32_t    count;
    ngx_str_t  *s;

    if (!wa_record_user_name_ok(ci->user_name.data, ci->user_name.len)) {
        return "user_name";
    }

    if (!wa_record_aaguid_ok(ci->aaguid.data, ci->aaguid.len)) {
        return "aaguid";
    }

    s = &ci->attestation_format;

    if (s->len > NGX_HTTP_WEBAUTHN_FORMAT_MAX) {
        return "attestation_format";
    }

    for (i = 0; i < s->len; i++) {
        if (!((s->data[i] >= 'a' && s->data[i] <= 'z')
              || (s->data[i] >= '0' && s->data[i] <= '9')
              || s->data[i] == '-'))
        {
            return "attestation_format";
        }
    }

    if (!wa_record_roles_ok(ci->roles.data, ci->roles.len)) {
        return "roles";
    }

    if (ngx_http_webauthn_store_words_ok(&ci->transports,
                                         WA_TRANSPORTS_MAX - 1)
        != NGX_OK)
    {
        return "transports";
    }

    if (ngx_http_webauthn_store_digits_ok(&ci->created,
                                          NGX_HTTP_WEBAUTHN_TIME_DIGITS)
        != NGX_OK)
    {
        return "created";
    }

    if (ngx_http_webauthn_store_digits_ok(&ci->last_used,
                                          NGX_HTTP_WEBAUTHN_TIME_DIGITS)
        != NGX_OK)
    {
        return "last_used";
    }

    /* absent is 0; an empty one is no counter */

    if (ci->sign_count.data
        && wa_record_sign_count(ci->sign_count.data, ci->sign_count.len,
                                &count)
           != 0)
    {
        return "sign_count";
    }

    s = &ci->backup_eligible;

    if (s->len > 1 || (s->len == 1 && s->data[0] != '0' && s->data[0] != '1'))
    {
        return "backup_eligible";
    }

    s = &ci->backup_state;

    if (s->len > 1 || (s->len == 1 && s->data[0] != '0' && s->data[0] != '1'))
    {
        return "backup_state";
    }

    return NULL;
}


/* {"bad_record", field}: the script refused the record, wrote nothing */

static ngx_int_t
ngx_http_webauthn_store_bad_record(ngx_http_webauthn_store_req_t *sr,
    redisReply *reply, const char *what)
{
    size_t       i;
    redisReply  *f;

    if (reply->elements != 2) {
        goto invalid;
    }

    f = reply->element[1];

    /* the field name is the script's own, yet checked for the log */

    if (f->type != REDIS_REPLY_STRING || f->len == 0 || f->len > 32) {
        goto invalid;
    }

    for (i = 0; i < f->len; i++) {
        if (f->str[i] != '_' && (f->str[i] < 'a' || f->str[i] > 'z')) {
            goto invalid;
        }
    }

    ngx_http_webauthn_store_invalid(sr, what,
                                    sr->admin ? &sr->admin->cred_id : NULL,
                                    f->str, f->len);

    return NGX_OK;

invalid:

    ngx_http_webauthn_store_bad_reply(sr, "admin");

    return NGX_ERROR;
}


/* "the credential record "<id>" has an invalid <field>", for the log */

static void
ngx_http_webauthn_store_invalid(ngx_http_webauthn_store_req_t *sr,
    const char *what, ngx_str_t *id, const char *field, size_t len)
{
    u_char  *p;
    size_t   n;

    if (id && id->len == 0) {
        id = NULL;
    }

    n = sizeof("the  record \"\" has an invalid ") - 1 + ngx_strlen(what)
        + (id ? id->len : 0) + len;

    sr->rc = NGX_HTTP_WEBAUTHN_STORE_FAULT;

    p = ngx_pnalloc(sr->pool, n);
    if (p == NULL) {
        ngx_str_set(&sr->reason, "out of memory");
        return;
    }

    sr->reason.data = p;

    if (id) {
        p = ngx_sprintf(p, "the %s record \"%V\" has an invalid %*s", what,
                        id, len, field);

    } else {
        p = ngx_sprintf(p, "the %s record has an invalid %*s", what, len,
                        field);
    }

    sr->reason.len = p - sr->reason.data;
}


/* a user handle: base64url of 1 to 64 bytes */

static ngx_int_t
ngx_http_webauthn_store_handle_ok(ngx_pool_t *pool, ngx_str_t *handle)
{
    ngx_str_t  raw;

    if (!wa_record_cred_id_ok(handle->data, handle->len)
        || ngx_http_webauthn_store_decode(pool, handle, &raw) != NGX_OK
        || raw.len == 0 || raw.len > NGX_HTTP_WEBAUTHN_HANDLE_MAX)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* transports: words of a-z and "-", one SP between, at most max bytes */

static ngx_int_t
ngx_http_webauthn_store_words_ok(ngx_str_t *s, size_t max)
{
    size_t  i;
    u_char  c;

    if (s->len == 0) {
        return NGX_OK;
    }

    if (s->len > max || s->data[0] == ' ' || s->data[s->len - 1] == ' ') {
        return NGX_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c == ' ') {
            if (s->data[i + 1] == ' ') {
                return NGX_ERROR;
            }

            continue;
        }

        if (!((c >= 'a' && c <= 'z') || c == '-')) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* absent, empty, or 1 to max decimal digits */

static ngx_int_t
ngx_http_webauthn_store_digits_ok(ngx_str_t *s, size_t max)
{
    size_t  i;

    if (s->len > max) {
        return NGX_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
