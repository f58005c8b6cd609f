
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Sessions and per-route policy: session tokens (compact JWS, the core's
 * wa_token.c) issued by webauthn_session for an assertion and taken by
 * auth_webauthn from "Authorization: Bearer" or the session cookie (then
 * checked against the revocation list, ngx_http_webauthn_revocations.c),
 * and the policy step (auth_webauthn_roles, auth_webauthn_max_age, UV of
 * tokens) and the CORS preflight.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include <ngx_http_webauthn.h>


#define NGX_HTTP_WEBAUTHN_SESSION_TTL      900          /* s, 15m */
#define NGX_HTTP_WEBAUTHN_SESSION_TTL_MAX  86400        /* s, a day */
#define NGX_HTTP_WEBAUTHN_SESSION_LEEWAY   30           /* s */
#define NGX_HTTP_WEBAUTHN_SESSION_KEY_MAX  65536        /* bytes of a file */

/*
 * tokens verified by this worker, by their bytes: a request with one of
 * them skips the decoding, the signature and the JSON (its expiry is
 * checked again, the revocation list always); a slot per hash, the last
 * one in it wins
 */
#define NGX_HTTP_WEBAUTHN_TOKEN_CACHE  1024

typedef struct {
    u_char                          *text;          /* malloc()ed */
    size_t                           len;
    u_char                           aud[NGX_HTTP_WEBAUTHN_RP_ID_MAX];
    size_t                           aud_len;
    ngx_cycle_t                     *cycle;         /* of the keys */
    wa_token_t                       token;
} ngx_http_webauthn_token_slot_t;


static ngx_int_t ngx_http_webauthn_session_verify(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static wa_err_t ngx_http_webauthn_token_check(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, wa_token_claims_t **claims,
    const char **detail);
static ngx_int_t ngx_http_webauthn_token_copy(ngx_pool_t *pool,
    const char *s, size_t len, ngx_str_t *out);
static ngx_int_t ngx_http_webauthn_session_set_cookie(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, char *token, size_t len);
static void ngx_http_webauthn_session_keys_free(void *data);


static ngx_http_webauthn_token_slot_t
    ngx_http_webauthn_token_cache[NGX_HTTP_WEBAUTHN_TOKEN_CACHE];

static ngx_str_t  ngx_http_webauthn_session_json_type =
    ngx_string("application/json");


/* webauthn_session_key file [id=kid] */

char *
ngx_http_webauthn_session_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    u_char               *p, *dot;
    ssize_t               n;
    ngx_fd_t              fd;
    wa_err_t              err;
    ngx_str_t            *value, file, kid, data;
    const char           *detail;
    wa_token_key_t      **k;
    ngx_file_info_t       fi;
    ngx_pool_cleanup_t   *cln;

    value = cf->args->elts;
    file = value[1];

    if (cf->args->nelts == 3) {
        if (value[2].len <= sizeof("id=") - 1
            || ngx_strncmp(value[2].data, "id=", sizeof("id=") - 1) != 0)
        {
            return "has an invalid parameter: \"id=\" expected";
        }

        kid.data = value[2].data + sizeof("id=") - 1;
        kid.len = value[2].len - (sizeof("id=") - 1);

    } else {
        /* the file's name without its directory and its extension */

        p = file.data + file.len;

        while (p > file.data && p[-1] != '/') {
            p--;
        }

        kid.data = p;
        kid.len = file.data + file.len - p;

        dot = ngx_strlchr(kid.data, kid.data + kid.len, '.');
        if (dot && dot != kid.data) {
            kid.len = dot - kid.data;
        }
    }

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (wmcf->session_keys == NULL) {
        wmcf->session_keys = ngx_array_create(cf->pool, 2,
                                              sizeof(wa_token_key_t *));
        if (wmcf->session_keys == NULL) {
            return NGX_CONF_ERROR;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_webauthn_session_keys_free;
        cln->data = wmcf->session_keys;
    }

    fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &file);
        return NGX_CONF_ERROR;
    }

    data.data = NULL;
    data.len = 0;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &file);
        goto failed;
    }

    if (ngx_file_size(&fi) == 0
        || ngx_file_size(&fi) > NGX_HTTP_WEBAUTHN_SESSION_KEY_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is empty or larger than 64 KB", &file);
        goto failed;
    }

    data.len = (size_t) ngx_file_size(&fi);
    data.data = ngx_pnalloc(cf->pool, data.len);
    if (data.data == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, data.data, data.len);

    if (n != (ssize_t) data.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", &file);
        goto failed;
    }

    (void) ngx_close_file(fd);
    fd = NGX_INVALID_FILE;

    k = ngx_array_push(wmcf->session_keys);
    if (k == NULL) {
        goto failed;
    }

    *k = NULL;
    detail = NULL;

    err = wa_token_key_new(k, data.data, data.len, (char *) kid.data,
                           kid.len, &detail);

    /* the key material lives in the key alone */

    wa_memzero(data.data, data.len);

    if (err != WA_OK) {
        wmcf->session_keys->nelts--;
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                      "webauthn_session_key \"%V\" id=%V: %s", &file, &kid,
                      detail ? detail : "invalid");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

failed:

    if (data.data) {
        wa_memzero(data.data, data.len);
    }

    if (fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(fd);
    }

    return NGX_CONF_ERROR;
}


static void
ngx_http_webauthn_session_keys_free(void *data)
{
    ngx_array_t *keys = data;

    ngx_uint_t        i;
    wa_token_key_t  **k;

    k = keys->elts;

    for (i = 0; i < keys->nelts; i++) {
        wa_token_key_free(k[i]);
    }

    keys->nelts = 0;
}


/* webauthn_session_cookie name=... [samesite=strict|lax|none] */

char *
ngx_http_webauthn_session_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    u_char      *p;
    ngx_str_t   *value, v;
    ngx_uint_t   i;

    if (wlcf->cookie_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_set(&wlcf->cookie_samesite, "Strict");

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "name=", 5) == 0) {
            v.data = value[i].data + 5;
            v.len = value[i].len - 5;

            /* RFC 6265, 4.1.1: a cookie-name is a token */

            for (p = v.data; p < v.data + v.len; p++) {
                if (*p <= 0x20 || *p >= 0x7f
                    || ngx_strlchr((u_char *) "()<>@,;:\\\"/[]?={}",
                                   (u_char *) "()<>@,;:\\\"/[]?={}" + 18, *p))
                {
                    return "has an invalid cookie name";
                }
            }

            if (v.len == 0) {
                return "has an empty cookie name";
            }

            wlcf->cookie_name = v;
            continue;
        }

        if (ngx_strcasecmp(value[i].data, (u_char *) "samesite=strict")
            == 0)
        {
            ngx_str_set(&wlcf->cookie_samesite, "Strict");
            continue;
        }

        if (ngx_strcasecmp(value[i].data, (u_char *) "samesite=lax") == 0) {
            ngx_str_set(&wlcf->cookie_samesite, "Lax");
            continue;
        }

        if (ngx_strcasecmp(value[i].data, (u_char *) "samesite=none") == 0) {
            ngx_str_set(&wlcf->cookie_samesite, "None");
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (wlcf->cookie_name.data == NULL) {
        return "needs \"name=\"";
    }

    return NGX_CONF_OK;
}


/* auth_webauthn_roles role ...: any one of them */

char *
ngx_http_webauthn_roles(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_str_t   *value, *role;
    ngx_uint_t   i;

    if (wlcf->roles != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    wlcf->roles = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                   sizeof(ngx_str_t));
    if (wlcf->roles == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        /* one role: the record's rules, without a space */

        if (value[i].len == 0
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, ' ')
            || !wa_record_roles_ok(value[i].data, value[i].len))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid role \"%V\": a role is 1 to 64 of "
                               "A-Z a-z 0-9 . _ : -", &value[i]);
            return NGX_CONF_ERROR;
        }

        role = ngx_array_push(wlcf->roles);
        if (role == NULL) {
            return NGX_CONF_ERROR;
        }

        *role = value[i];
    }

    return NGX_CONF_OK;
}


/* webauthn_session */

char *
ngx_http_webauthn_session(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (wlcf->session != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    wlcf->session = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_webauthn_session_handler;

    return NGX_CONF_OK;
}


char *
ngx_http_webauthn_session_merge(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *prev, ngx_http_webauthn_loc_conf_t *conf)
{
    ngx_http_webauthn_main_conf_t  *wmcf;

    ngx_conf_merge_sec_value(conf->session_ttl, prev->session_ttl,
                             NGX_HTTP_WEBAUTHN_SESSION_TTL);
    ngx_conf_merge_str_value(conf->cookie_name, prev->cookie_name, "");
    ngx_conf_merge_str_value(conf->cookie_samesite, prev->cookie_samesite,
                             "Strict");
    ngx_conf_merge_ptr_value(conf->roles, prev->roles, NULL);
    ngx_conf_merge_sec_value(conf->max_age, prev->max_age, -1);
    ngx_conf_merge_value(conf->preflight, prev->preflight, 0);

    if (conf->session_ttl < 1
        || conf->session_ttl > NGX_HTTP_WEBAUTHN_SESSION_TTL_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_session_ttl\" must be 1s to 1d");
        return NGX_CONF_ERROR;
    }

    /* like the content handler it sets, not inherited */

    if (conf->session == NGX_CONF_UNSET) {
        conf->session = 0;
    }

    if (!conf->session) {
        return NGX_CONF_OK;
    }

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_webauthn_module);

    if (wmcf->session_keys == NULL || wmcf->session_keys->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_session\" needs "
                           "\"webauthn_session_key\"");
        return NGX_CONF_ERROR;
    }

    /* the location checks an assertion, as auth_webauthn does */

    if (ngx_http_webauthn_checks_assertions(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * where the credentials come from: "Authorization: WebAuthn" is the
 * driver's; "Authorization: Bearer" or, without an Authorization header,
 * the session cookie make the request a session's.  NGX_OK: a session
 * token (ctx->token_text); NGX_DECLINED: none
 */

ngx_int_t
ngx_http_webauthn_session_source(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t                       rc;
    ngx_str_t                       token;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (wmcf->session_keys == NULL || wmcf->session_keys->nelts == 0) {
        return NGX_DECLINED;
    }

    rc = ngx_http_webauthn_bearer(r, &token);

    if (rc == NGX_OK) {
        ctx->session = 1;
        ctx->token_text = token;
        return NGX_OK;
    }

    if (r->headers_in.authorization == NULL
        && ctx->wlcf->cookie_name.len
        && ngx_http_webauthn_cookie(r, &ctx->wlcf->cookie_name, &token)
           == NGX_OK)
    {
        ctx->session = 1;
        ctx->cookie = 1;
        ctx->token_text = token;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/*
 * the session step: the token (once), then the revocation list, fresh;
 * a request of an assertion passes through
 */

ngx_int_t
ngx_http_webauthn_step_session(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (!ctx->session) {
        return NGX_OK;
    }

    if (ctx->cred.id.len == 0) {
        rc = ngx_http_webauthn_session_verify(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    rc = ngx_http_webauthn_revocations_wait(ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_webauthn_revoked(&ctx->cred.id)) {
        return ngx_http_webauthn_refuse(ctx, WA_ERR_CREDENTIAL_REVOKED,
                                        "the session's credential is "
                                        "revoked", NULL);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_session_verify(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    wa_err_t                        err;
    ngx_str_t                      *origin;
    ngx_uint_t                      i;
    const char                     *detail;
    ngx_table_elt_t                *h;
    const wa_origin_t              *o;
    wa_token_claims_t              *c;
    ngx_http_webauthn_loc_conf_t   *wlcf;

    wlcf = ctx->wlcf;

    detail = NULL;

    err = ngx_http_webauthn_token_check(r, ctx, &c, &detail);

    if (err == WA_ERR_INTERNAL) {
        ngx_http_webauthn_log_internal(r, detail);
        return ngx_http_webauthn_refuse(ctx, err, NULL, NULL);
    }

    if (err != WA_OK) {
        return ngx_http_webauthn_refuse(ctx, err, detail, NULL);
    }

    /*
     * a request authenticated by the cookie that carries an Origin (a
     * WebSocket handshake, a cross-site POST) comes from an origin of
     * this relying party, or is a forged one (CSRF, WebSocket hijacking)
     */

    if (ctx->cookie) {
        h = ngx_http_webauthn_request_header(r, "Origin");

        if (h) {
            origin = &h->value;
            o = wlcf->policy.origins;

            for (i = 0; i < wlcf->policy.norigins; i++) {
                if (o[i].len == origin->len
                    && ngx_strncmp(o[i].data, origin->data, o[i].len) == 0)
                {
                    break;
                }
            }

            if (i == wlcf->policy.norigins) {
                return ngx_http_webauthn_refuse(ctx,
                                            WA_ERR_ORIGIN_NOT_ALLOWED,
                                            "a request with the session "
                                            "cookie comes from an origin "
                                            "that is not allowed", NULL);
            }
        }
    }

    /* the claims outlive the cache slot: copies in the request's pool */

    if (ngx_http_webauthn_token_copy(r->pool, c->cid, c->cid_len,
                                     &ctx->cred.id)
           != NGX_OK
        || ngx_http_webauthn_token_copy(r->pool, c->sub, c->sub_len,
                                        &ctx->cred.user_name)
           != NGX_OK
        || ngx_http_webauthn_token_copy(r->pool, c->roles, c->roles_len,
                                        &ctx->cred.roles)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->session_uv = c->uv ? 1 : 0;
    ctx->auth_time = (time_t) c->auth_time;

    return NGX_OK;
}


/*
 * the token verified (wa_token_verify()), or found verified in this
 * worker's cache: the same bytes, compared in constant time, for the
 * same audience under the same keys, and not expired since
 */

static wa_err_t
ngx_http_webauthn_token_check(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, wa_token_claims_t **claims,
    const char **detail)
{
    time_t                           now;
    wa_err_t                         err;
    ngx_str_t                       *text, *aud;
    wa_token_t                       token;
    ngx_http_webauthn_main_conf_t   *wmcf;
    ngx_http_webauthn_token_slot_t  *slot;

    text = &ctx->token_text;
    aud = &ctx->wlcf->rp_id;
    now = ngx_time();

    if (text->len == 0 || text->len > WA_TOKEN_MAX
        || aud->len > NGX_HTTP_WEBAUTHN_RP_ID_MAX)
    {
        slot = NULL;

    } else {
        slot = &ngx_http_webauthn_token_cache[
                   ngx_murmur_hash2(text->data, text->len)
                   % NGX_HTTP_WEBAUTHN_TOKEN_CACHE];

        if (slot->text && slot->len == text->len
            && slot->cycle == (ngx_cycle_t *) ngx_cycle
            && slot->aud_len == aud->len
            && ngx_memcmp(slot->aud, aud->data, aud->len) == 0
            && wa_memeq(slot->text, text->data, text->len))
        {
            if (now >= slot->token.claims.exp
                       + NGX_HTTP_WEBAUTHN_SESSION_LEEWAY)
            {
                *detail = "token has expired";
                return WA_ERR_TOKEN_EXPIRED;
            }

            *claims = &slot->token.claims;
            return WA_OK;
        }
    }

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    err = wa_token_verify(&ctx->token, text->data, text->len,
                          wmcf->session_keys->elts,
                          wmcf->session_keys->nelts, (char *) aud->data,
                          aud->len, (int64_t) now,
                          NGX_HTTP_WEBAUTHN_SESSION_LEEWAY, detail);

    if (err != WA_OK || slot == NULL) {
        *claims = &ctx->token.claims;
        return err;
    }

    /* kept for the next requests: the slot takes the verified token over */

    token = ctx->token;
    ngx_memzero(&ctx->token, sizeof(wa_token_t));

    free(slot->text);
    wa_token_free(&slot->token);

    slot->text = malloc(text->len);

    if (slot->text == NULL) {
        /* no cache entry, the request goes on with its token */
        ctx->token = token;
        slot->len = 0;
        *claims = &ctx->token.claims;
        return WA_OK;
    }

    ngx_memcpy(slot->text, text->data, text->len);
    slot->len = text->len;
    ngx_memcpy(slot->aud, aud->data, aud->len);
    slot->aud_len = aud->len;
    slot->cycle = (ngx_cycle_t *) ngx_cycle;
    slot->token = token;

    *claims = &slot->token.claims;

    return WA_OK;
}


static ngx_int_t
ngx_http_webauthn_token_copy(ngx_pool_t *pool, const char *s, size_t len,
    ngx_str_t *out)
{
    out->data = ngx_pnalloc(pool, len + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, s, len);
    out->data[len] = '\0';
    out->len = len;

    return NGX_OK;
}


void
ngx_http_webauthn_session_cancel(ngx_http_webauthn_ctx_t *ctx)
{
    ngx_http_webauthn_revocations_cancel(ctx);

    wa_token_free(&ctx->token);
}


/*
 * at the worker's exit (the module's exit_process): the token cache is
 * freed, it would be lost when the module is unloaded with the cycle
 */

void
ngx_http_webauthn_session_cleanup(void)
{
    ngx_uint_t                       i;
    ngx_http_webauthn_token_slot_t  *slot;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_TOKEN_CACHE; i++) {
        slot = &ngx_http_webauthn_token_cache[i];

        free(slot->text);
        wa_token_free(&slot->token);
        ngx_memzero(slot, sizeof(ngx_http_webauthn_token_slot_t));
    }
}


/*
 * the policy of the location, for assertions and tokens alike:
 * auth_webauthn_roles (403), auth_webauthn_max_age (401 with a challenge,
 * so the client asks the person again), and UV required of a token
 */

ngx_int_t
ngx_http_webauthn_step_policy(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    return ngx_http_webauthn_policy(r, ctx);
}


ngx_int_t
ngx_http_webauthn_policy(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    u_char                        *p, *last, *start;
    time_t                         age;
    ngx_str_t                     *role;
    ngx_uint_t                     i;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ctx->wlcf;

    if (wlcf->roles && wlcf->roles->nelts) {
        role = wlcf->roles->elts;

        for (i = 0; i < wlcf->roles->nelts; i++) {
            p = ctx->cred.roles.data;
            last = p + ctx->cred.roles.len;

            while (p < last) {
                start = p;

                while (p < last && *p != ' ') {
                    p++;
                }

                if ((size_t) (p - start) == role[i].len
                    && ngx_strncmp(start, role[i].data, role[i].len) == 0)
                {
                    goto role_ok;
                }

                p++;
            }
        }

        return ngx_http_webauthn_refuse(ctx, WA_ERR_ROLE_FORBIDDEN,
                                        "the credential has none of the "
                                        "roles of this location", NULL);
    }

role_ok:

    if (ctx->session) {

        if (wlcf->max_age >= 0) {
            age = ngx_time() - ctx->auth_time;

            if (wlcf->max_age == 0 || age > wlcf->max_age) {
                return ngx_http_webauthn_refuse(ctx,
                                   WA_ERR_REAUTHENTICATION_REQUIRED,
                                   wlcf->max_age == 0
                                   ? "this location needs an assertion in "
                                     "the request itself"
                                   : "the assertion behind the session is "
                                     "older than this location accepts",
                                   NULL);
            }
        }

        if (wlcf->user_verification == WA_UV_REQUIRED && !ctx->session_uv) {
            return ngx_http_webauthn_refuse(ctx, WA_ERR_USER_NOT_VERIFIED,
                                            "user verification is required "
                                            "but the session's assertion "
                                            "had none", NULL);
        }
    }

    return NGX_OK;
}


/*
 * auth_webauthn_preflight: a CORS preflight (an OPTIONS request with
 * Origin and Access-Control-Request-Method; Fetch, 3.2.2) carries no
 * credentials by design: it passes, for the operator's CORS answer
 */

ngx_int_t
ngx_http_webauthn_preflight(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf)
{
    return wlcf->preflight
           && r->method == NGX_HTTP_OPTIONS
           && ngx_http_webauthn_request_header(r, "Origin") != NULL
           && ngx_http_webauthn_request_header(r,
                                     "Access-Control-Request-Method")
              != NULL;
}


/*
 * webauthn_session: a token for the assertion this request's access
 * phase verified (RFC 6749, 5.1: the JSON, Cache-Control: no-store)
 */

ngx_int_t
ngx_http_webauthn_session_handler(ngx_http_request_t *r)
{
    char                           *token;
    json_t                         *body;
    size_t                          len;
    time_t                          now;
    wa_err_t                        err;
    ngx_int_t                       rc;
    const char                     *detail;
    wa_token_key_t                **keys;
    wa_token_claims_t               c;
    ngx_http_webauthn_ctx_t        *ctx;
    ngx_http_webauthn_loc_conf_t   *wlcf;
    ngx_http_webauthn_main_conf_t  *wmcf;

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);
    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    ctx = ngx_http_webauthn_get_ctx(r);

    if (ctx == NULL || !ctx->verified || ctx->err != WA_OK || ctx->session) {
        /* a token makes no token: a session ends */
        return ngx_http_webauthn_problem(r, NGX_HTTP_UNAUTHORIZED,
                                         WA_ERR_CREDENTIAL_MISSING,
                                         "a session is issued for an "
                                         "assertion only");
    }

    now = ngx_time();

    ngx_memzero(&c, sizeof(wa_token_claims_t));

    c.sub = (char *) ctx->cred.user_name.data;
    c.sub_len = ctx->cred.user_name.len;
    c.cid = (char *) ctx->cred.id.data;
    c.cid_len = ctx->cred.id.len;
    c.roles = (char *) ctx->cred.roles.data;
    c.roles_len = ctx->cred.roles.len;
    c.uv = (ctx->assertion.flags & WA_FLAG_UV) ? 1 : 0;
    c.iat = now;
    c.exp = now + wlcf->session_ttl;
    c.auth_time = (int64_t) (ctx->verified_at / 1000);
    c.iss = (char *) wlcf->rp_id.data;
    c.iss_len = wlcf->rp_id.len;
    c.aud = c.iss;
    c.aud_len = c.iss_len;

    keys = wmcf->session_keys->elts;
    detail = NULL;

    err = wa_token_sign(keys[0], &c, &token, &len, &detail);
    if (err != WA_OK) {
        ngx_http_webauthn_log_internal(r, detail);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body = json_pack("{s:s%, s:s, s:I}", "token", token, len,
                     "token_type", "Bearer",
                     "expires_in", (json_int_t) wlcf->session_ttl);

    rc = NGX_OK;

    if (body == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    if (wlcf->cookie_name.len
        && ngx_http_webauthn_session_set_cookie(r, wlcf, token, len)
           != NGX_OK)
    {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    ngx_http_webauthn_metrics_inc(sessions);

    rc = ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                     &ngx_http_webauthn_session_json_type,
                                     body);

done:

    json_decref(body);
    wa_memzero(token, len);
    free(token);

    return rc;
}


/* RFC 6265, 4.1: the token in a cookie only this origin's HTTPS sees */

static ngx_int_t
ngx_http_webauthn_session_set_cookie(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, char *token, size_t len)
{
    u_char           *p;
    size_t            n;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    n = wlcf->cookie_name.len + 1 + len
        + sizeof("; Max-Age=; Path=/; Secure; HttpOnly; SameSite=") - 1
        + NGX_TIME_T_LEN + wlcf->cookie_samesite.len;

    p = ngx_pnalloc(r->pool, n);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    p = ngx_sprintf(p, "%V=%*s; Max-Age=%T; Path=/; Secure; HttpOnly; "
                    "SameSite=%V", &wlcf->cookie_name, len, token,
                    wlcf->session_ttl, &wlcf->cookie_samesite);

    h->value.len = p - h->value.data;

    return NGX_OK;
}
