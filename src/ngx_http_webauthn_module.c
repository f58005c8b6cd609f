
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_sha1.h>
#include "ngx_http_webauthn.h"


#define NGX_HTTP_WEBAUTHN_START   0
#define NGX_HTTP_WEBAUTHN_LOOKUP  1     /* HMGET under way */
#define NGX_HTTP_WEBAUTHN_COMMIT  2     /* EVALSHA under way */
#define NGX_HTTP_WEBAUTHN_DONE    3


/* the replies of the commit script */
#define NGX_HTTP_WEBAUTHN_COMMIT_UNKNOWN    0
#define NGX_HTTP_WEBAUTHN_COMMIT_REVOKED    1
#define NGX_HTTP_WEBAUTHN_COMMIT_REGRESSED  2
#define NGX_HTTP_WEBAUTHN_COMMIT_REPLAYED   3
#define NGX_HTTP_WEBAUTHN_COMMIT_OK         4
#define NGX_HTTP_WEBAUTHN_COMMIT_BAD_COUNT  5
#define NGX_HTTP_WEBAUTHN_COMMIT_STALE_KEY  6


#define ngx_http_webauthn_store_error(ctx, text)                            \
    ngx_http_webauthn_store_fault(ctx, text, sizeof(text) - 1)


typedef struct {
    ngx_http_request_t             *request;
    ngx_uint_t                      state;
    ngx_str_t                       realm;

    wa_assertion_t                  assertion;
    wa_policy_t                     policy;
    ngx_http_webauthn_redis_op_t   *op;

    ngx_str_t                       cred_key;     /* "webauthn:cred:<id>" */
    ngx_str_t                       public_key;   /* base64url, stored */
    ngx_str_t                       stored_handle;  /* base64url, stored */
    u_char                          nonce[NGX_HTTP_WEBAUTHN_NONCE_B64];
    uint64_t                        expires;      /* challenge, epoch ms */

    unsigned                        cached:1;     /* key from the cache */
    unsigned                        retried:1;    /* stale cache, again */
    unsigned                        eval:1;       /* EVAL after NOSCRIPT */

    wa_err_t                        err;
    const char                     *detail;       /* public */
    ngx_str_t                       reason;       /* log only */

    /* variables */
    ngx_str_t                       user;
    ngx_str_t                       user_handle;
    ngx_str_t                       credential_id;
    ngx_str_t                       roles;
    ngx_str_t                       sign_count;
    ngx_str_t                       user_verified;
    ngx_str_t                       error;
} ngx_http_webauthn_ctx_t;


static ngx_int_t ngx_http_webauthn_handler(ngx_http_request_t *r);
static ngx_http_webauthn_ctx_t *ngx_http_webauthn_get_ctx(
    ngx_http_request_t *r);
static void ngx_http_webauthn_start(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_http_webauthn_loc_conf_t *wlcf);
static ngx_int_t ngx_http_webauthn_token(ngx_http_request_t *r,
    ngx_str_t *token);
static wa_err_t ngx_http_webauthn_check_challenge(void *data,
    const unsigned char *challenge, size_t len, const char **detail);
static ngx_int_t ngx_http_webauthn_key(ngx_http_request_t *r,
    ngx_str_t *key, const char *kind, u_char *id, size_t len);
static void ngx_http_webauthn_lookup(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static void ngx_http_webauthn_lookup_handler(
    ngx_http_webauthn_redis_op_t *op);
static void ngx_http_webauthn_verify(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static void ngx_http_webauthn_commit(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static void ngx_http_webauthn_commit_handler(
    ngx_http_webauthn_redis_op_t *op);
static void ngx_http_webauthn_accept(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, redisReply *user, redisReply *roles);
static ngx_int_t ngx_http_webauthn_send_op(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, int argc, const char **argv,
    const size_t *argvlen, ngx_http_webauthn_redis_handler_pt handler);
static ngx_int_t ngx_http_webauthn_reply_str(ngx_pool_t *pool,
    redisReply *reply, ngx_str_t *s);
static void ngx_http_webauthn_fail(ngx_http_webauthn_ctx_t *ctx,
    wa_err_t err, const char *detail);
static void ngx_http_webauthn_store_fault(ngx_http_webauthn_ctx_t *ctx,
    const char *reason, size_t len);
static void ngx_http_webauthn_wake(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_deny(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_remove_header(ngx_http_request_t *r,
    ngx_list_t *list, ngx_table_elt_t *h);
static void ngx_http_webauthn_cleanup(void *data);

static ngx_int_t ngx_http_webauthn_challenge_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_issue(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_str_t *challenge);
static ngx_int_t ngx_http_webauthn_send_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *type, u_char *body, size_t len);
static uint64_t ngx_http_webauthn_now(void);

static ngx_int_t ngx_http_webauthn_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_webauthn_add_variables(ngx_conf_t *cf);
static void *ngx_http_webauthn_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_webauthn_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_webauthn_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_webauthn_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_webauthn_init(ngx_conf_t *cf);
static void ngx_http_webauthn_exit_process(ngx_cycle_t *cycle);
static void ngx_http_webauthn_wipe(void *data);

static char *ngx_http_webauthn_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_key_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_challenge(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_challenge_secret(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


/*
 * The commit, atomic in Redis (WebAuthn L3, 7.2, steps 22 and 24): the
 * credential still exists, is not revoked and has the key that verified
 * the signature; the challenge was not used before (a replay is told as
 * such, whatever its counter); the sign count moved forward (or both are
 * 0).  Only then is the nonce recorded and the counter stored, so a
 * rejected assertion changes nothing.  A Lua script runs atomically: no
 * other command comes between the checks and the writes.
 *
 * KEYS[1] credential hash, KEYS[2] used-nonce key,
 * ARGV[1] new sign count, ARGV[2] nonce time to live (ms),
 * ARGV[3] the public_key the signature was verified with
 */

static ngx_str_t  ngx_http_webauthn_script = ngx_string(
    "local c = redis.call('HMGET', KEYS[1], 'public_key', 'revoked', "
        "'sign_count', 'user_name', 'roles')\n"
    "if not c[1] then return {0} end\n"
    "if c[2] == '1' then return {1} end\n"
    "if c[1] ~= ARGV[3] then return {6} end\n"
    "if redis.call('EXISTS', KEYS[2]) == 1 then return {3} end\n"
    "local old = tonumber(c[3] or '0')\n"
    "local new = tonumber(ARGV[1])\n"
    "if old == nil or new == nil then return {5} end\n"
    "if (new ~= 0 or old ~= 0) and new <= old then return {2} end\n"
    "redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])\n"
    "if new > old then redis.call('HSET', KEYS[1], 'sign_count', ARGV[1]) "
        "end\n"
    "return {4, c[4] or '', c[5] or ''}\n");


static ngx_conf_enum_t  ngx_http_webauthn_uv[] = {
    { ngx_string("required"), WA_UV_REQUIRED },
    { ngx_string("preferred"), WA_UV_PREFERRED },
    { ngx_string("discouraged"), WA_UV_DISCOURAGED },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_webauthn_commands[] = {

    { ngx_string("webauthn_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_challenge_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_challenge_secret,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_webauthn_key_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_rp_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, rp_id),
      NULL },

    { ngx_string("webauthn_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_allow_cross_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, allow_cross_origin),
      NULL },

    { ngx_string("webauthn_challenge_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, challenge_timeout),
      NULL },

    { ngx_string("webauthn_challenge"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webauthn_challenge,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_webauthn"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, realm),
      NULL },

    { ngx_string("auth_webauthn_user_verification"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, user_verification),
      &ngx_http_webauthn_uv },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_webauthn_module_ctx = {
    ngx_http_webauthn_add_variables,       /* preconfiguration */
    ngx_http_webauthn_init,                /* postconfiguration */

    ngx_http_webauthn_create_main_conf,    /* create main configuration */
    ngx_http_webauthn_init_main_conf,      /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_webauthn_create_loc_conf,     /* create location configuration */
    ngx_http_webauthn_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_webauthn_module = {
    NGX_MODULE_V1,
    &ngx_http_webauthn_module_ctx,         /* module context */
    ngx_http_webauthn_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_webauthn_exit_process,        /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_webauthn_vars[] = {

    { ngx_string("webauthn_user"), NULL, ngx_http_webauthn_variable,
      offsetof(ngx_http_webauthn_ctx_t, user), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_user_handle"), NULL, ngx_http_webauthn_variable,
      offsetof(ngx_http_webauthn_ctx_t, user_handle),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_credential_id"), NULL, ngx_http_webauthn_variable,
      offsetof(ngx_http_webauthn_ctx_t, credential_id),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_roles"), NULL, ngx_http_webauthn_variable,
      offsetof(ngx_http_webauthn_ctx_t, roles), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_sign_count"), NULL, ngx_http_webauthn_variable,
      offsetof(ngx_http_webauthn_ctx_t, sign_count),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_user_verified"), NULL, ngx_http_webauthn_variable,
      offsetof(ngx_http_webauthn_ctx_t, user_verified),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_error"), NULL, ngx_http_webauthn_variable,
      offsetof(ngx_http_webauthn_ctx_t, error), NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_webauthn_json_type =
    ngx_string("application/json");
static ngx_str_t  ngx_http_webauthn_problem_type =
    ngx_string("application/problem+json");


/* the access phase */

static ngx_int_t
ngx_http_webauthn_handler(ngx_http_request_t *r)
{
    ngx_str_t                      realm;
    ngx_pool_cleanup_t            *cln;
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (wlcf->realm == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_webauthn_get_ctx(r);

    if (ctx == NULL) {

        if (ngx_http_complex_value(r, wlcf->realm, &realm) != NGX_OK) {
            return NGX_ERROR;
        }

        if (realm.len == 3 && ngx_strncmp(realm.data, "off", 3) == 0) {
            return NGX_DECLINED;
        }

        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_webauthn_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_webauthn_cleanup;
        cln->data = ctx;

        ctx->request = r;
        ctx->realm = realm;

        ngx_http_set_ctx(r, ctx, ngx_http_webauthn_module);

        ngx_http_webauthn_start(r, ctx, wlcf);
    }

    if (ctx->state != NGX_HTTP_WEBAUTHN_DONE) {
        return NGX_AGAIN;
    }

    if (ctx->err == WA_OK) {
        return NGX_OK;
    }

    return ngx_http_webauthn_deny(r, ctx);
}


/*
 * after an internal redirect the module context is gone; the decision
 * made for this request is still found through its pool cleanup, as in
 * the realip module, so it is neither lost nor checked twice
 */

static ngx_http_webauthn_ctx_t *
ngx_http_webauthn_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t       *cln;
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_webauthn_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {

        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_webauthn_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_webauthn_module);
                break;
            }
        }
    }

    return ctx;
}


static void
ngx_http_webauthn_start(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx,
    ngx_http_webauthn_loc_conf_t *wlcf)
{
    wa_err_t                        err;
    ngx_int_t                       rc;
    ngx_str_t                       token;
    const char                     *detail;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    rc = ngx_http_webauthn_token(r, &token);

    if (rc == NGX_DECLINED) {
        ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_MISSING,
                               "no \"Authorization: WebAuthn\" header");
        return;
    }

    if (token.len == 0) {
        ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_MALFORMED,
                               "the WebAuthn credentials are empty");
        return;
    }

    detail = NULL;

    err = wa_assertion_parse(&ctx->assertion, token.data, token.len, &detail);
    if (err != WA_OK) {
        ngx_http_webauthn_fail(ctx, err, detail);
        return;
    }

    ctx->credential_id.data = (u_char *) ctx->assertion.cred_id;
    ctx->credential_id.len = ctx->assertion.cred_id_len;

    ctx->policy = wlcf->policy;
    ctx->policy.check_challenge = ngx_http_webauthn_check_challenge;
    ctx->policy.check_challenge_data = ctx;

    /* WebAuthn L3, 7.2, steps 9 to 20: nothing stored is needed */

    err = wa_assertion_check(&ctx->assertion, &ctx->policy, &detail);
    if (err != WA_OK) {
        ngx_http_webauthn_fail(ctx, err, detail);
        return;
    }

    /* the credential's key in Redis, for the lookup and the commit */

    if (ngx_http_webauthn_key(r, &ctx->cred_key, "cred:",
                              ctx->credential_id.data, ctx->credential_id.len)
        != NGX_OK)
    {
        ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
        return;
    }

    if (wmcf->cache_zone) {
        rc = ngx_http_webauthn_cache_get(wmcf->cache_zone->data,
                                         &ctx->credential_id, r->pool,
                                         &ctx->public_key,
                                         &ctx->stored_handle);
        if (rc == NGX_ERROR) {
            ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
            return;
        }

        if (rc == NGX_OK) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "webauthn key cache hit: \"%V\"",
                           &ctx->credential_id);

            ctx->cached = 1;
            ngx_http_webauthn_verify(r, ctx);
            return;
        }
    }

    ngx_http_webauthn_lookup(r, ctx);
}


/* "Authorization: WebAuthn <token>"; the scheme is case-insensitive */

static ngx_int_t
ngx_http_webauthn_token(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char  *p, *last;

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;

    if ((size_t) (last - p) < sizeof(NGX_HTTP_WEBAUTHN_SCHEME) - 1
        || ngx_strncasecmp(p, (u_char *) NGX_HTTP_WEBAUTHN_SCHEME,
                           sizeof(NGX_HTTP_WEBAUTHN_SCHEME) - 1)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof(NGX_HTTP_WEBAUTHN_SCHEME) - 1;

    if (p < last && *p != ' ' && *p != '\t') {
        return NGX_DECLINED;
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    token->data = p;
    token->len = last - p;

    return NGX_OK;
}


/* WebAuthn L3, 7.2, step 12: a sealed challenge of this relying party */

static wa_err_t
ngx_http_webauthn_check_challenge(void *data, const unsigned char *challenge,
    size_t len, const char **detail)
{
    ngx_http_webauthn_ctx_t *ctx = data;

    wa_err_t                        err;
    const unsigned char            *nonce;
    ngx_http_webauthn_loc_conf_t   *wlcf;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wlcf = ngx_http_get_module_loc_conf(ctx->request,
                                        ngx_http_webauthn_module);
    wmcf = ngx_http_get_module_main_conf(ctx->request,
                                         ngx_http_webauthn_module);

    err = wa_challenge_check(challenge, len, wmcf->secret.data,
                             wmcf->secret.len, (char *) wlcf->rp_id.data,
                             wlcf->rp_id.len, ngx_http_webauthn_now(),
                             &ctx->expires, &nonce, detail);
    if (err != WA_OK) {
        return err;
    }

    wa_b64url_encode(ctx->nonce, nonce, WA_CHALLENGE_NONCE_LEN);

    return WA_OK;
}


/* "webauthn:" "cred:" id */

static ngx_int_t
ngx_http_webauthn_key(ngx_http_request_t *r, ngx_str_t *key,
    const char *kind, u_char *id, size_t len)
{
    u_char                         *p;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    key->len = wmcf->prefix.len + ngx_strlen(kind) + len;
    key->data = ngx_pnalloc(r->pool, key->len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(key->data, wmcf->prefix.data, wmcf->prefix.len);
    p = ngx_cpymem(p, kind, ngx_strlen(kind));
    ngx_memcpy(p, id, len);

    return NGX_OK;
}


/* a cache miss: HMGET the record, then verify and commit */

static void
ngx_http_webauthn_lookup(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    size_t       len[5];
    const char  *argv[5];

    argv[0] = "HMGET";
    len[0] = sizeof("HMGET") - 1;
    argv[1] = (char *) ctx->cred_key.data;
    len[1] = ctx->cred_key.len;
    argv[2] = "public_key";
    len[2] = sizeof("public_key") - 1;
    argv[3] = "user_handle";
    len[3] = sizeof("user_handle") - 1;
    argv[4] = "revoked";
    len[4] = sizeof("revoked") - 1;

    if (ngx_http_webauthn_send_op(r, ctx, 5, argv, len,
                                  ngx_http_webauthn_lookup_handler)
        == NGX_OK)
    {
        ctx->state = NGX_HTTP_WEBAUTHN_LOOKUP;
    }
}


static void
ngx_http_webauthn_lookup_handler(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_ctx_t *ctx = op->data;

    redisReply                     *reply, **f;
    ngx_http_request_t             *r;
    ngx_http_webauthn_main_conf_t  *wmcf;

    r = ctx->request;
    ctx->op = NULL;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (op->rc != NGX_OK) {
        ngx_http_webauthn_store_fault(ctx, (char *) op->reason.data,
                                      op->reason.len);
        goto done;
    }

    reply = op->replies[0];

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_webauthn_store_fault(ctx, reply->str, reply->len);
        goto done;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
        ngx_http_webauthn_store_error(ctx, "unexpected reply to HMGET");
        goto done;
    }

    f = reply->element;

    if (f[0]->type == REDIS_REPLY_NIL) {
        /* WebAuthn L3, 7.2, step 7 */
        ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_UNKNOWN,
                               "no credential is registered with this id");
        goto done;
    }

    if (f[2]->type == REDIS_REPLY_STRING
        && f[2]->len == 1 && f[2]->str[0] == '1')
    {
        ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_REVOKED,
                               "the credential has been revoked");
        goto done;
    }

    if (ngx_http_webauthn_reply_str(r->pool, f[0], &ctx->public_key)
        != NGX_OK
        || ngx_http_webauthn_reply_str(r->pool, f[1], &ctx->stored_handle)
           != NGX_OK)
    {
        ngx_http_webauthn_store_error(ctx, "unexpected reply to HMGET");
        goto done;
    }

    ngx_http_webauthn_redis_free(op);
    op = NULL;

    ngx_http_webauthn_verify(r, ctx);

    if (ctx->state == NGX_HTTP_WEBAUTHN_DONE) {
        goto done;
    }

    /* the signature verified with this key: worth caching */

    if (wmcf->cache_zone) {
        ngx_http_webauthn_cache_put(wmcf->cache_zone->data,
                                    &ctx->credential_id, &ctx->public_key,
                                    &ctx->stored_handle,
                                    r->connection->log);
    }

    return;

done:

    if (op) {
        ngx_http_webauthn_redis_free(op);
    }

    ngx_http_webauthn_wake(r);
}


/* WebAuthn L3, 7.2, steps 6 and 21, with the stored record */

static void
ngx_http_webauthn_verify(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    u_char      *handle;
    size_t       handle_len;
    wa_err_t     err;
    wa_pkey_t   *pkey;
    const char  *detail;

    handle = ngx_pnalloc(r->pool,
                         wa_b64url_decoded_max(ctx->stored_handle.len) + 1);
    if (handle == NULL) {
        ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
        return;
    }

    if (wa_b64url_decode(handle, &handle_len, ctx->stored_handle.data,
                         ctx->stored_handle.len)
        != 0)
    {
        ngx_http_webauthn_store_error(ctx, "the credential record has an "
                                      "invalid user_handle");
        return;
    }

    detail = NULL;

    err = ngx_http_webauthn_pkey_get(&ctx->public_key, &pkey, &detail,
                                     r->connection->log);

    if (err == WA_ERR_CREDENTIAL_MALFORMED) {
        ngx_http_webauthn_store_error(ctx, "the credential record's "
                                      "public_key is not a COSE key");
        return;
    }

    if (err != WA_OK) {
        ngx_http_webauthn_fail(ctx, err, detail);
        return;
    }

    /* the key is borrowed from the worker's cache: used at once */

    err = wa_assertion_verify(&ctx->assertion, pkey,
                              ctx->stored_handle.len ? handle : NULL,
                              handle_len, &detail);

    if (err != WA_OK) {
        ngx_http_webauthn_fail(ctx, err, detail);
        return;
    }

    ngx_http_webauthn_commit(r, ctx);
}


static void
ngx_http_webauthn_commit(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    size_t                          len[8];
    uint64_t                        now, ttl;
    ngx_str_t                       used;
    const char                     *argv[8];
    ngx_http_webauthn_main_conf_t  *wmcf;
    u_char                          count[NGX_INT32_LEN];
    u_char                          ms[NGX_INT64_LEN];

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (ngx_http_webauthn_key(r, &used, "used:", ctx->nonce,
                              NGX_HTTP_WEBAUTHN_NONCE_B64)
        != NGX_OK)
    {
        ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
        return;
    }

    /* the nonce is kept a second beyond the challenge's expiry */

    now = ngx_http_webauthn_now();
    ttl = (ctx->expires > now ? ctx->expires - now : 0) + 1000;

    if (ctx->eval) {
        argv[0] = "EVAL";
        len[0] = sizeof("EVAL") - 1;
        argv[1] = (char *) ngx_http_webauthn_script.data;
        len[1] = ngx_http_webauthn_script.len;

    } else {
        argv[0] = "EVALSHA";
        len[0] = sizeof("EVALSHA") - 1;
        argv[1] = (char *) wmcf->script_sha;
        len[1] = sizeof(wmcf->script_sha);
    }

    argv[2] = "2";
    len[2] = 1;
    argv[3] = (char *) ctx->cred_key.data;
    len[3] = ctx->cred_key.len;
    argv[4] = (char *) used.data;
    len[4] = used.len;
    argv[5] = (char *) count;
    len[5] = ngx_sprintf(count, "%uD", ctx->assertion.sign_count) - count;
    argv[6] = (char *) ms;
    len[6] = ngx_sprintf(ms, "%uL", ttl) - ms;
    argv[7] = (char *) ctx->public_key.data;
    len[7] = ctx->public_key.len;

    if (ngx_http_webauthn_send_op(r, ctx, 8, argv, len,
                                  ngx_http_webauthn_commit_handler)
        == NGX_OK)
    {
        ctx->state = NGX_HTTP_WEBAUTHN_COMMIT;
    }
}


static void
ngx_http_webauthn_commit_handler(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_ctx_t *ctx = op->data;

    redisReply                     *reply, **e;
    ngx_http_request_t             *r;
    ngx_http_webauthn_main_conf_t  *wmcf;

    r = ctx->request;
    ctx->op = NULL;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (op->rc != NGX_OK) {
        ngx_http_webauthn_store_fault(ctx, (char *) op->reason.data,
                                      op->reason.len);
        goto done;
    }

    reply = op->replies[0];

    if (reply->type == REDIS_REPLY_ERROR) {

        if (!ctx->eval && reply->len >= 8
            && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
        {
            /* Redis restarted or flushed its scripts: send it once */

            ngx_http_webauthn_redis_free(op);
            op = NULL;

            ctx->eval = 1;
            ngx_http_webauthn_commit(r, ctx);

            if (ctx->state == NGX_HTTP_WEBAUTHN_DONE) {
                goto done;
            }

            return;
        }

        ngx_http_webauthn_store_fault(ctx, reply->str, reply->len);
        goto done;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
    {
        goto invalid;
    }

    e = reply->element;

    switch (e[0]->integer) {

    case NGX_HTTP_WEBAUTHN_COMMIT_OK:

        if (reply->elements != 3
            || e[1]->type != REDIS_REPLY_STRING
            || e[2]->type != REDIS_REPLY_STRING)
        {
            goto invalid;
        }

        ngx_http_webauthn_accept(r, ctx, e[1], e[2]);
        break;

    case NGX_HTTP_WEBAUTHN_COMMIT_UNKNOWN:

        /* deleted since its key was cached */

        if (wmcf->cache_zone) {
            ngx_http_webauthn_cache_delete(wmcf->cache_zone->data,
                                           &ctx->credential_id);
        }

        ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_UNKNOWN,
                               "no credential is registered with this id");
        break;

    case NGX_HTTP_WEBAUTHN_COMMIT_REVOKED:
        ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_REVOKED,
                               "the credential has been revoked");
        break;

    case NGX_HTTP_WEBAUTHN_COMMIT_REGRESSED:
        /* WebAuthn L3, 7.2, step 22 */
        ngx_http_webauthn_fail(ctx, WA_ERR_SIGN_COUNT_REGRESSED,
                               "the signature counter did not increase: "
                               "the authenticator may have been cloned");
        break;

    case NGX_HTTP_WEBAUTHN_COMMIT_REPLAYED:
        ngx_http_webauthn_fail(ctx, WA_ERR_CHALLENGE_INVALID,
                               "the challenge has already been used");
        break;

    case NGX_HTTP_WEBAUTHN_COMMIT_BAD_COUNT:
        ngx_http_webauthn_store_error(ctx, "the credential record has an "
                                      "invalid sign_count");
        break;

    case NGX_HTTP_WEBAUTHN_COMMIT_STALE_KEY:

        /* the record's key changed since it was cached: look it up */

        if (wmcf->cache_zone) {
            ngx_http_webauthn_cache_delete(wmcf->cache_zone->data,
                                           &ctx->credential_id);
        }

        if (ctx->retried) {
            ngx_http_webauthn_store_error(ctx, "the credential record changed "
                                          "during the check");
            break;
        }

        ctx->retried = 1;
        ctx->cached = 0;

        ngx_http_webauthn_redis_free(op);
        op = NULL;

        ngx_http_webauthn_lookup(r, ctx);

        if (ctx->state == NGX_HTTP_WEBAUTHN_DONE) {
            goto done;
        }

        return;

    default:
        goto invalid;
    }

    goto done;

invalid:

    ngx_http_webauthn_store_error(ctx, "unexpected reply to the commit script");

done:

    if (op) {
        ngx_http_webauthn_redis_free(op);
    }

    ngx_http_webauthn_wake(r);
}


static void
ngx_http_webauthn_accept(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx,
    redisReply *user, redisReply *roles)
{
    u_char  *p;

    if (ngx_http_webauthn_reply_str(r->pool, user, &ctx->user) != NGX_OK
        || ngx_http_webauthn_reply_str(r->pool, roles, &ctx->roles) != NGX_OK)
    {
        ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
        return;
    }

    p = ngx_pnalloc(r->pool, NGX_INT32_LEN);
    if (p == NULL) {
        ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
        return;
    }

    ctx->sign_count.data = p;
    ctx->sign_count.len = ngx_sprintf(p, "%uD", ctx->assertion.sign_count)
                          - p;

    if (ctx->assertion.flags & WA_FLAG_UV) {
        ngx_str_set(&ctx->user_verified, "1");

    } else {
        ngx_str_set(&ctx->user_verified, "0");
    }

    ctx->user_handle = ctx->stored_handle;

    /* the assertion is not passed on to the upstream */

    if (ngx_http_webauthn_remove_header(r, &r->headers_in.headers,
                                        r->headers_in.authorization)
        != NGX_OK)
    {
        ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
        return;
    }

    r->headers_in.authorization = NULL;

    ctx->err = WA_OK;
    ctx->state = NGX_HTTP_WEBAUTHN_DONE;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "webauthn: access granted to \"%V\", credential: \"%V\", "
                  "sign count: %V, user verified: %V",
                  &ctx->user, &ctx->credential_id, &ctx->sign_count,
                  &ctx->user_verified);
}


static ngx_int_t
ngx_http_webauthn_send_op(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx,
    int argc, const char **argv, const size_t *argvlen,
    ngx_http_webauthn_redis_handler_pt handler)
{
    ngx_http_webauthn_redis_op_t   *op;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    op = ngx_http_webauthn_redis_create(wmcf->redis, r->connection->log);
    if (op == NULL) {
        ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
        return NGX_ERROR;
    }

    op->handler = handler;
    op->data = ctx;

    if (ngx_http_webauthn_redis_append(op, argc, argv, argvlen) != NGX_OK) {
        ngx_http_webauthn_redis_free(op);
        ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_redis_run(op) != NGX_OK) {
        ngx_http_webauthn_store_fault(ctx, (char *) op->reason.data,
                                      op->reason.len);
        ngx_http_webauthn_redis_free(op);
        return NGX_ERROR;
    }

    ctx->op = op;

    return NGX_OK;
}


/* a bulk string or nil (empty) reply, copied to the pool */

static ngx_int_t
ngx_http_webauthn_reply_str(ngx_pool_t *pool, redisReply *reply,
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


static void
ngx_http_webauthn_fail(ngx_http_webauthn_ctx_t *ctx, wa_err_t err,
    const char *detail)
{
    ctx->err = err;
    ctx->detail = detail;
    ctx->state = NGX_HTTP_WEBAUTHN_DONE;
}


/* the reason goes to the error log only; the client is told less */

static void
ngx_http_webauthn_store_fault(ngx_http_webauthn_ctx_t *ctx,
    const char *reason, size_t len)
{
    ngx_http_request_t  *r;

    r = ctx->request;

    ctx->reason.data = ngx_pnalloc(r->pool, len);

    if (ctx->reason.data != NULL) {
        ngx_memcpy(ctx->reason.data, reason, len);
        ctx->reason.len = len;
    }

    ngx_http_webauthn_fail(ctx, WA_ERR_STORE_UNAVAILABLE,
                           "the credential store is unavailable");
}


/* the reply arrived: the access phase goes on */

static void
ngx_http_webauthn_wake(ngx_http_request_t *r)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_webauthn_deny(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    u_char                        *body, *p;
    size_t                         len;
    ngx_int_t                      rc, status;
    ngx_uint_t                     level;
    ngx_str_t                      challenge, reason;
    const char                    *code, *title, *detail;
    ngx_table_elt_t               *h;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    status = wa_err_status(ctx->err);
    code = wa_err_code(ctx->err);
    title = wa_err_title(ctx->err);
    detail = ctx->detail ? ctx->detail : title;

    if (ctx->error.len == 0) {
        ctx->error.data = (u_char *) code;
        ctx->error.len = ngx_strlen(code);

        level = wa_err_is_client(ctx->err) ? NGX_LOG_INFO : NGX_LOG_ERR;

        if (ctx->reason.len) {
            reason = ctx->reason;

        } else {
            reason.data = (u_char *) detail;
            reason.len = ngx_strlen(detail);
        }

        ngx_log_error(level, r->connection->log, 0,
                      "webauthn: %s: %V, credential: \"%s\"",
                      code, &reason,
                      ctx->credential_id.len ? ctx->assertion.cred_id : "-");
    }

    ngx_str_null(&challenge);

    if (status == NGX_HTTP_UNAUTHORIZED) {

        if (ngx_http_webauthn_issue(r, wlcf, &challenge) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = sizeof("WebAuthn realm=\"\", challenge=\"\"") - 1
              + ctx->realm.len + ngx_escape_json(NULL, ctx->realm.data,
                                                 ctx->realm.len)
              + challenge.len;

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "WWW-Authenticate");
        h->value.data = p;

        p = ngx_cpymem(p, "WebAuthn realm=\"", sizeof("WebAuthn realm=\"") - 1);
        p = (u_char *) ngx_escape_json(p, ctx->realm.data, ctx->realm.len);
        p = ngx_cpymem(p, "\", challenge=\"", sizeof("\", challenge=\"") - 1);
        p = ngx_cpymem(p, challenge.data, challenge.len);
        *p++ = '"';

        h->value.len = p - h->value.data;

        r->headers_out.www_authenticate = h;

        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        if (clcf->satisfy == NGX_HTTP_SATISFY_ANY) {
            /* let another access module allow the request */
            return NGX_HTTP_UNAUTHORIZED;
        }

    } else if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");
    }

    /* RFC 9457 */

    len = sizeof("{\"type\":\"urn:ngx-webauthn:error:\",\"title\":\"\","
                 "\"status\":,\"detail\":\"\",\"code\":\"\","
                 "\"challenge\":\"\"}") - 1
          + 2 * ngx_strlen(code) + NGX_INT_T_LEN + challenge.len
          + ngx_strlen(title)
          + ngx_escape_json(NULL, (u_char *) title, ngx_strlen(title))
          + ngx_strlen(detail)
          + ngx_escape_json(NULL, (u_char *) detail, ngx_strlen(detail));

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(body, "{\"type\":\"urn:ngx-webauthn:error:%s\","
                          "\"title\":\"", code);
    p = (u_char *) ngx_escape_json(p, (u_char *) title, ngx_strlen(title));
    p = ngx_sprintf(p, "\",\"status\":%i,\"detail\":\"", status);
    p = (u_char *) ngx_escape_json(p, (u_char *) detail, ngx_strlen(detail));
    p = ngx_sprintf(p, "\",\"code\":\"%s\"", code);

    if (challenge.len) {
        p = ngx_sprintf(p, ",\"challenge\":\"%V\"", &challenge);
    }

    *p++ = '}';

    rc = ngx_http_webauthn_send_json(r, status,
                                     &ngx_http_webauthn_problem_type,
                                     body, p - body);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/*
 * the header is taken out of the list without moving any other element,
 * as r->headers_in keeps pointers to them.  nginx walks a list assuming
 * that no part but the first is empty, so none is left empty; and
 * ngx_list_push() appends to the last part while its nelts is below
 * nalloc, so when the last part no longer starts its allocation, nalloc
 * is lowered to the room it really has
 */

static ngx_int_t
ngx_http_webauthn_remove_header(ngx_http_request_t *r, ngx_list_t *list,
    ngx_table_elt_t *h)
{
    ngx_uint_t        i, n;
    ngx_table_elt_t  *elts;
    ngx_list_part_t  *part, *prev, *tail;

    if (h == NULL) {
        return NGX_OK;
    }

    prev = NULL;

    for (part = &list->part; part; prev = part, part = part->next) {

        elts = part->elts;
        n = part->nelts;

        if (h < elts || h >= elts + n) {
            continue;
        }

        i = h - elts;

        if (n == 1) {

            if (prev == NULL) {
                part->nelts = 0;
                return NGX_OK;
            }

            /* the parts before a later one are full: prev stays full */

            prev->next = part->next;

            if (list->last == part) {
                list->last = prev;
            }

            return NGX_OK;
        }

        if (i == n - 1) {
            part->nelts--;
            return NGX_OK;
        }

        if (i == 0) {
            part->elts = &elts[1];
            part->nelts--;

            if (list->last == part) {
                list->nalloc--;
            }

            return NGX_OK;
        }

        tail = ngx_palloc(r->pool, sizeof(ngx_list_part_t));
        if (tail == NULL) {
            return NGX_ERROR;
        }

        tail->elts = &elts[i + 1];
        tail->nelts = n - i - 1;
        tail->next = part->next;

        part->nelts = i;
        part->next = tail;

        if (list->last == part) {
            list->last = tail;
            list->nalloc -= i + 1;
        }

        return NGX_OK;
    }

    return NGX_OK;
}


static void
ngx_http_webauthn_cleanup(void *data)
{
    ngx_http_webauthn_ctx_t *ctx = data;

    if (ctx->op) {
        ngx_http_webauthn_redis_cancel(ctx->op);
        ctx->op = NULL;
    }

    wa_assertion_free(&ctx->assertion);
}


/* the challenge endpoint */

static ngx_int_t
ngx_http_webauthn_challenge_handler(ngx_http_request_t *r)
{
    u_char                        *body, *p;
    size_t                         len;
    ngx_int_t                      rc;
    ngx_str_t                      challenge, *uv;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (ngx_http_webauthn_issue(r, wlcf, &challenge) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    uv = &ngx_http_webauthn_uv[wlcf->user_verification].name;

    /* WebAuthn L3, 5.5: PublicKeyCredentialRequestOptionsJSON */

    len = sizeof("{\"challenge\":\"\",\"rpId\":\"\",\"timeout\":,"
                 "\"userVerification\":\"\"}") - 1
          + challenge.len + wlcf->rp_id.len
          + ngx_escape_json(NULL, wlcf->rp_id.data, wlcf->rp_id.len)
          + NGX_INT_T_LEN + uv->len;

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(body, "{\"challenge\":\"%V\",\"rpId\":\"", &challenge);
    p = (u_char *) ngx_escape_json(p, wlcf->rp_id.data, wlcf->rp_id.len);
    p = ngx_sprintf(p, "\",\"timeout\":%M,\"userVerification\":\"%V\"}",
                    wlcf->challenge_timeout, uv);

    return ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                       &ngx_http_webauthn_json_type,
                                       body, p - body);
}


static ngx_int_t
ngx_http_webauthn_issue(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_str_t *challenge)
{
    ngx_http_webauthn_main_conf_t  *wmcf;
    u_char                          raw[WA_CHALLENGE_LEN];

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (wa_challenge_issue(raw, wmcf->secret.data, wmcf->secret.len,
                           (char *) wlcf->rp_id.data, wlcf->rp_id.len,
                           ngx_http_webauthn_now() + wlcf->challenge_timeout)
        != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "webauthn: RAND_bytes() failed");
        return NGX_ERROR;
    }

    challenge->data = ngx_pnalloc(r->pool, NGX_HTTP_WEBAUTHN_CHALLENGE_B64);
    if (challenge->data == NULL) {
        return NGX_ERROR;
    }

    challenge->len = wa_b64url_encode(challenge->data, raw, sizeof(raw));

    return NGX_OK;
}


/* sends a complete JSON response; returns as a content handler does */

static ngx_int_t
ngx_http_webauthn_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *body, size_t len)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *cc;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    cc = ngx_list_push(&r->headers_out.headers);
    if (cc == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cc->hash = 1;
    ngx_str_set(&cc->key, "Cache-Control");
    ngx_str_set(&cc->value, "no-store");

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_length_n = len;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}


static uint64_t
ngx_http_webauthn_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/* variables */

static ngx_int_t
ngx_http_webauthn_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                *s;
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_webauthn_get_ctx(r->main);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (data != offsetof(ngx_http_webauthn_ctx_t, error)
        && (ctx->state != NGX_HTTP_WEBAUTHN_DONE || ctx->err != WA_OK))
    {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


/* configuration */

static ngx_int_t
ngx_http_webauthn_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_webauthn_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_webauthn_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_main_conf_t));
    if (wmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     wmcf->redis = NULL;
     *     wmcf->prefix = { 0, NULL };
     *     wmcf->secret = { 0, NULL };
     *     wmcf->secret_file = { 0, NULL };
     *     wmcf->cache_zone = NULL;
     */

    return wmcf;
}


static char *
ngx_http_webauthn_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    ngx_uint_t           i;
    ngx_sha1_t           sha1;
    ngx_pool_cleanup_t  *cln;
    u_char               digest[20];

    if (wmcf->prefix.data == NULL) {
        ngx_str_set(&wmcf->prefix, NGX_HTTP_WEBAUTHN_PREFIX);
    }

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, ngx_http_webauthn_script.data,
                    ngx_http_webauthn_script.len);
    ngx_sha1_final(digest, &sha1);

    for (i = 0; i < 20; i++) {
        wmcf->script_sha[2 * i] = "0123456789abcdef"[digest[i] >> 4];
        wmcf->script_sha[2 * i + 1] = "0123456789abcdef"[digest[i] & 0xf];
    }

    if (wmcf->secret.data == NULL) {

        /* a key of this configuration alone; see README */

        wmcf->secret.len = WA_CHALLENGE_KEY_MIN;
        wmcf->secret.data = ngx_pnalloc(cf->pool, wmcf->secret.len);
        if (wmcf->secret.data == NULL) {
            return NGX_CONF_ERROR;
        }

        if (wa_random(wmcf->secret.data, wmcf->secret.len) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "webauthn: RAND_bytes() failed");
            return NGX_CONF_ERROR;
        }
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_webauthn_wipe;
    cln->data = wmcf;

    return NGX_CONF_OK;
}


/* key material does not outlive its configuration */

static void
ngx_http_webauthn_wipe(void *data)
{
    ngx_http_webauthn_main_conf_t *wmcf = data;

    if (wmcf->secret.data) {
        wa_memzero(wmcf->secret.data, wmcf->secret.len);
    }

    if (wmcf->redis && wmcf->redis->password.data) {
        wa_memzero(wmcf->redis->password.data, wmcf->redis->password.len);
    }
}


static void *
ngx_http_webauthn_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_webauthn_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->rp_id = { 0, NULL };
     *     conf->policy = { 0 };
     */

    conf->origins = NGX_CONF_UNSET_PTR;
    conf->allow_cross_origin = NGX_CONF_UNSET;
    conf->challenge_timeout = NGX_CONF_UNSET_MSEC;
    conf->realm = NGX_CONF_UNSET_PTR;
    conf->user_verification = NGX_CONF_UNSET_UINT;
    conf->challenge = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_webauthn_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_webauthn_loc_conf_t *prev = parent;
    ngx_http_webauthn_loc_conf_t *conf = child;

    ngx_http_webauthn_main_conf_t  *wmcf;

    ngx_conf_merge_str_value(conf->rp_id, prev->rp_id, "");
    ngx_conf_merge_ptr_value(conf->origins, prev->origins, NULL);
    ngx_conf_merge_value(conf->allow_cross_origin, prev->allow_cross_origin,
                         0);
    ngx_conf_merge_msec_value(conf->challenge_timeout,
                              prev->challenge_timeout, 60000);
    ngx_conf_merge_ptr_value(conf->realm, prev->realm, NULL);
    ngx_conf_merge_uint_value(conf->user_verification,
                              prev->user_verification, WA_UV_PREFERRED);
    /* like the content handler it sets, not inherited */

    if (conf->challenge == NGX_CONF_UNSET) {
        conf->challenge = 0;
    }

    /* challenges are for clients that have no assertion yet */

    if (conf->challenge) {
        conf->realm = NULL;
    }

    if (conf->realm == NULL && !conf->challenge) {
        return NGX_CONF_OK;
    }

    if (conf->realm && conf->realm->lengths == NULL
        && conf->realm->value.len == 3
        && ngx_strncmp(conf->realm->value.data, "off", 3) == 0)
    {
        conf->realm = NULL;

        if (!conf->challenge) {
            return NGX_CONF_OK;
        }
    }

    if (conf->rp_id.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_rp_id\" is required where "
                           "\"auth_webauthn\" or \"webauthn_challenge\" "
                           "is used");
        return NGX_CONF_ERROR;
    }

    if (conf->rp_id.len > 253) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_rp_id\" \"%V\" is longer than a "
                           "domain name can be", &conf->rp_id);
        return NGX_CONF_ERROR;
    }

    if (conf->realm && conf->origins == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_origin\" is required where "
                           "\"auth_webauthn\" is used");
        return NGX_CONF_ERROR;
    }

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_webauthn_module);

    if (conf->realm && wmcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_redis\" is required where "
                           "\"auth_webauthn\" is used");
        return NGX_CONF_ERROR;
    }

    /* WebAuthn L3, 7.2, step 15: the hash of the RP ID, computed once */

    wa_sha256(conf->policy.rp_id_hash, conf->rp_id.data, conf->rp_id.len);

    if (conf->origins) {
        conf->policy.origins = conf->origins->elts;
        conf->policy.norigins = conf->origins->nelts;
    }

    conf->policy.allow_cross_origin = conf->allow_cross_origin;
    conf->policy.user_verification = (int) conf->user_verification;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_webauthn_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_webauthn_handler;

    return NGX_OK;
}


static void
ngx_http_webauthn_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_webauthn_module);

    if (wmcf && wmcf->redis) {
        ngx_http_webauthn_redis_cleanup(wmcf->redis);
    }

    ngx_http_webauthn_pkey_cleanup();
    wa_core_cleanup();
}


/*
 * webauthn_redis address [user=name] [password=secret] [db=n]
 *     [connect_timeout=time] [timeout=time] [keepalive=n]
 *     [keepalive_timeout=time] [prefix=string];
 */

static char *
ngx_http_webauthn_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    ngx_int_t                        n;
    ngx_str_t                       *value, s;
    ngx_url_t                        u;
    ngx_uint_t                       i;
    ngx_http_webauthn_redis_conf_t  *rcf;

    if (wmcf->redis) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[1];
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        if (u.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in \"%V\" of \"webauthn_redis\"",
                               u.err, &u.url);
        }

        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no address in \"%V\" of \"webauthn_redis\"",
                           &u.url);
        return NGX_CONF_ERROR;
    }

    rcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_redis_conf_t));
    if (rcf == NULL) {
        return NGX_CONF_ERROR;
    }

    rcf->addr = &u.addrs[0];
    rcf->connect_timeout = 1000;
    rcf->timeout = 1000;
    rcf->keepalive = 32;
    rcf->keepalive_timeout = 60000;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "user=", 5) == 0) {
            rcf->user.data = value[i].data + 5;
            rcf->user.len = value[i].len - 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {
            rcf->password.data = value[i].data + 9;
            rcf->password.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            rcf->db = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "connect_timeout=", 16) == 0) {
            s.data = value[i].data + 16;
            s.len = value[i].len - 16;

            rcf->connect_timeout = ngx_parse_time(&s, 0);
            if (rcf->connect_timeout == (ngx_msec_t) NGX_ERROR
                || rcf->connect_timeout == 0)
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            rcf->timeout = ngx_parse_time(&s, 0);
            if (rcf->timeout == (ngx_msec_t) NGX_ERROR || rcf->timeout == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "keepalive=", 10) == 0) {
            n = ngx_atoi(value[i].data + 10, value[i].len - 10);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            rcf->keepalive = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "keepalive_timeout=", 18) == 0) {
            s.data = value[i].data + 18;
            s.len = value[i].len - 18;

            rcf->keepalive_timeout = ngx_parse_time(&s, 0);
            if (rcf->keepalive_timeout == (ngx_msec_t) NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            wmcf->prefix.data = value[i].data + 7;
            wmcf->prefix.len = value[i].len - 7;
            continue;
        }

        goto invalid;
    }

    wmcf->redis = rcf;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_webauthn_origin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    u_char       *colon;
    ngx_str_t    *value;
    ngx_uint_t    i;
    wa_origin_t  *o;

    if (wlcf->origins != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    wlcf->origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(wa_origin_t));
    if (wlcf->origins == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        /* an origin is scheme "://" host [ ":" port ], no path */

        colon = ngx_strlchr(value[i].data, value[i].data + value[i].len, ':');

        if (colon == NULL || colon == value[i].data
            || value[i].data[value[i].len - 1] == '/')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\": an origin is "
                               "scheme://host[:port], with no path and no "
                               "trailing slash", &value[i]);
            return NGX_CONF_ERROR;
        }

        o = ngx_array_push(wlcf->origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        o->data = (char *) value[i].data;
        o->len = value[i].len;
    }

    return NGX_CONF_OK;
}


/* webauthn_key_cache zone=name:size [valid=time] | off; */

static char *
ngx_http_webauthn_key_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    u_char                     *p;
    ssize_t                     size;
    ngx_str_t                  *value, name, s;
    ngx_uint_t                  i;
    ngx_msec_t                  valid;
    ngx_shm_zone_t             *shm_zone;
    ngx_http_webauthn_cache_t  *cache;

    if (wmcf->cache_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0 && cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    ngx_str_null(&name);
    size = 0;
    valid = 600000;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {

            name.data = value[i].data + 5;

            p = (u_char *) ngx_strchr(name.data, ':');

            if (p == NULL) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone size \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            name.len = p - name.data;

            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone size \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "zone \"%V\" is too small", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "valid=", 6) == 0) {

            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            valid = ngx_parse_time(&s, 0);
            if (valid == (ngx_msec_t) NGX_ERROR || valid == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid valid time \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_http_webauthn_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_cache_t));
    if (cache == NULL) {
        return NGX_CONF_ERROR;
    }

    cache->valid = valid;

    shm_zone->init = ngx_http_webauthn_cache_init_zone;
    shm_zone->data = cache;

    wmcf->cache_zone = shm_zone;

    return NGX_CONF_OK;
}


static char *
ngx_http_webauthn_challenge(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (wlcf->challenge != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    wlcf->challenge = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_webauthn_challenge_handler;

    return NGX_CONF_OK;
}


/* webauthn_challenge_secret file; read here, so errors name this line */

static char *
ngx_http_webauthn_challenge_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    char             *rv;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value;
    ngx_file_info_t   fi;

    if (wmcf->secret_file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    wmcf->secret_file = value[1];

    if (ngx_conf_full_name(cf->cycle, &wmcf->secret_file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(wmcf->secret_file.data, NGX_FILE_RDONLY,
                       NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed",
                           &wmcf->secret_file);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &wmcf->secret_file);
        goto done;
    }

    if (ngx_file_size(&fi) < WA_CHALLENGE_KEY_MIN
        || ngx_file_size(&fi) > 4096)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must hold 32 to 4096 bytes",
                           &wmcf->secret_file);
        goto done;
    }

    wmcf->secret.len = (size_t) ngx_file_size(&fi);
    wmcf->secret.data = ngx_pnalloc(cf->pool, wmcf->secret.len);
    if (wmcf->secret.data == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, wmcf->secret.data, wmcf->secret.len);

    if (n != (ssize_t) wmcf->secret.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", &wmcf->secret_file);
        wa_memzero(wmcf->secret.data, wmcf->secret.len);
        ngx_str_null(&wmcf->secret);
        goto done;
    }

    rv = NGX_CONF_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &wmcf->secret_file);
    }

    return rv;
}
