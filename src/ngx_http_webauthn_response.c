
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include <ngx_http_webauthn.h>


/* what a refusal by auth_webauthn tells; design.md, "Errors" */

typedef struct {
    const char                   *title;
    ngx_uint_t                    status;
} ngx_http_webauthn_error_t;


static ngx_int_t ngx_http_webauthn_www_authenticate(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_str_t *challenge);
static ngx_int_t ngx_http_webauthn_bearer_challenge(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static u_char *ngx_http_webauthn_quote(u_char *dst, ngx_str_t *src);
static void ngx_http_webauthn_log_refusal(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, const char *detail);


static const ngx_http_webauthn_error_t  ngx_http_webauthn_errors[] = {
    [WA_OK] =
        { "OK", NGX_HTTP_OK },
    [WA_ERR_CREDENTIAL_MISSING] =
        { "Credential missing", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_CREDENTIAL_MALFORMED] =
        { "Malformed credential", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_CREDENTIAL_UNKNOWN] =
        { "Unknown credential", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_CREDENTIAL_REVOKED] =
        { "Revoked credential", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_CLIENT_DATA_INVALID] =
        { "Invalid client data", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_CHALLENGE_INVALID] =
        { "Invalid challenge", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_ORIGIN_NOT_ALLOWED] =
        { "Origin not allowed", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_RP_ID_MISMATCH] =
        { "Relying party ID mismatch", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_USER_NOT_PRESENT] =
        { "User not present", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_USER_NOT_VERIFIED] =
        { "User not verified", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_USER_HANDLE_MISMATCH] =
        { "User handle mismatch", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_ALGORITHM_UNSUPPORTED] =
        { "Unsupported algorithm", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_SIGNATURE_INVALID] =
        { "Invalid signature", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_SIGN_COUNT_REGRESSED] =
        { "Signature counter regressed", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_STORE_UNAVAILABLE] =
        { "Credential store unavailable", NGX_HTTP_SERVICE_UNAVAILABLE },
    [WA_ERR_ROLE_FORBIDDEN] =
        { "Role forbidden", NGX_HTTP_FORBIDDEN },
    [WA_ERR_AWS_CREDENTIALS_UNAVAILABLE] =
        { "AWS credentials unavailable", NGX_HTTP_SERVICE_UNAVAILABLE },
    [WA_ERR_INVITATION_INVALID] =
        { "Invitation invalid", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_ATTESTATION_MALFORMED] =
        { "Attestation malformed", NGX_HTTP_BAD_REQUEST },
    [WA_ERR_ATTESTATION_INVALID] =
        { "Attestation invalid", NGX_HTTP_BAD_REQUEST },
    [WA_ERR_ATTESTATION_UNTRUSTED] =
        { "Attestation untrusted", NGX_HTTP_BAD_REQUEST },
    [WA_ERR_CREDENTIAL_EXISTS] =
        { "Credential exists", NGX_HTTP_CONFLICT },
    [WA_ERR_REQUEST_INVALID] =
        { "Request invalid", NGX_HTTP_BAD_REQUEST },
    [WA_ERR_NOT_FOUND] =
        { "Not found", NGX_HTTP_NOT_FOUND },
    [WA_ERR_TOKEN_INVALID] =
        { "Invalid session token", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_TOKEN_EXPIRED] =
        { "Session token expired", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_REAUTHENTICATION_REQUIRED] =
        { "Reauthentication required", NGX_HTTP_UNAUTHORIZED },
    [WA_ERR_INTERNAL] =
        { "Internal error", NGX_HTTP_INTERNAL_SERVER_ERROR }
};

/* every code of the core has its entry */
typedef char  ngx_http_webauthn_errors_check[
    (sizeof(ngx_http_webauthn_errors) / sizeof(ngx_http_webauthn_errors[0])
     == WA_ERR_LAST) ? 1 : -1];


static ngx_str_t  ngx_http_webauthn_problem_type =
    ngx_string("application/problem+json");


static const ngx_http_webauthn_error_t *
ngx_http_webauthn_error(wa_err_t err)
{
    if ((unsigned) err >= WA_ERR_LAST) {
        err = WA_ERR_INTERNAL;
    }

    return &ngx_http_webauthn_errors[err];
}


/*
 * a refusal: one error log line (once per request and code), and RFC 9457
 * problem+json with WWW-Authenticate and a fresh challenge on 401, or
 * Retry-After on 503
 */

ngx_int_t
ngx_http_webauthn_deny(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t                         rc;
    json_t                           *body;
    ngx_str_t                         challenge, type;
    ngx_uint_t                        status;
    const char                       *code, *detail;
    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_webauthn_loc_conf_t     *wlcf;
    const ngx_http_webauthn_error_t  *e;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    e = ngx_http_webauthn_error(ctx->err);
    status = e->status;
    code = wa_err_code(ctx->err);

    /* an internal failure's text is for the log only */

    detail = (ctx->detail && ctx->err != WA_ERR_INTERNAL) ? ctx->detail
                                                           : e->title;

    ctx->error.data = (u_char *) code;
    ctx->error.len = ngx_strlen(code);

    ngx_http_webauthn_log_refusal(r, ctx, detail);

    ngx_str_null(&challenge);

    if (status == NGX_HTTP_UNAUTHORIZED) {

        if (ngx_http_webauthn_issue(r, wlcf, &challenge) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_webauthn_www_authenticate(r, ctx, &challenge)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /*
         * a session token refused: RFC 6750, 3, beside the WebAuthn
         * challenge (RFC 9110, 11.6.1 allows both); a step-up is RFC 9470,
         * 3's insufficient_user_authentication
         */

        if (ctx->session
            && ngx_http_webauthn_bearer_challenge(r, ctx) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        if (r == r->main && clcf->satisfy == NGX_HTTP_SATISFY_ANY) {
            /* let another access module allow the request */
            return NGX_HTTP_UNAUTHORIZED;
        }

    } else if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {

        if (ngx_http_webauthn_header_out(r, "Retry-After", "1") == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* RFC 9457, 3.1 */

    body = json_object();
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    type.len = sizeof("urn:ngx-webauthn:error:") - 1 + ctx->error.len;
    type.data = ngx_pnalloc(r->pool, type.len + 1);
    if (type.data == NULL) {
        json_decref(body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(type.data, "urn:ngx-webauthn:error:%V%Z", &ctx->error);

    if (json_object_set_new(body, "type",
                            json_string((char *) type.data)) != 0
        || json_object_set_new(body, "title", json_string(e->title)) != 0
        || json_object_set_new(body, "status", json_integer(status)) != 0
        || json_object_set_new(body, "detail", json_string(detail)) != 0
        || json_object_set_new(body, "code", json_string(code)) != 0
        || (challenge.len
            && json_object_set_new(body, "challenge",
                                   json_stringn((char *) challenge.data,
                                                challenge.len))
               != 0))
    {
        json_decref(body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_webauthn_send_json(r, status,
                                     &ngx_http_webauthn_problem_type, body);

    json_decref(body);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/* a response header of a static name and value, or NULL */

ngx_table_elt_t *
ngx_http_webauthn_header_out(ngx_http_request_t *r, char *key, char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = (u_char *) value;
    h->value.len = ngx_strlen(value);

    return h;
}


/*
 * RFC 9457 problem+json of the enrollment and admin endpoints, with the
 * status the endpoint gives the code (400 unless said otherwise): the
 * detail is the core's public phrase or the endpoint's own; internal
 * failures show only their title.  Returns as a content handler does.
 */

ngx_int_t
ngx_http_webauthn_problem(ngx_http_request_t *r, ngx_uint_t status,
    wa_err_t err, const char *detail)
{
    u_char                           *p;
    json_t                           *body;
    ngx_int_t                         rc;
    const char                       *code;
    ngx_table_elt_t                  *h;
    const ngx_http_webauthn_error_t  *e;

    e = ngx_http_webauthn_error(err);
    code = wa_err_code(err);

    if (detail == NULL || err == WA_ERR_INTERNAL) {
        detail = e->title;
    }

    if (status == NGX_HTTP_UNAUTHORIZED) {
        h = ngx_http_webauthn_header_out(r, "WWW-Authenticate",
                                         "Invitation, WebAuthn");
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.www_authenticate = h;

    } else if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        if (ngx_http_webauthn_header_out(r, "Retry-After", "1") == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    p = ngx_pnalloc(r->pool, sizeof("urn:ngx-webauthn:error:")
                             + ngx_strlen(code));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(p, "urn:ngx-webauthn:error:%s%Z", code);

    body = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", (char *) p,
                     "title", e->title, "status", (int) status,
                     "detail", detail, "code", code);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_webauthn_send_json(r, status,
                                     &ngx_http_webauthn_problem_type, body);

    json_decref(body);

    return rc;
}


/* Bearer realm="<realm>", error="..." (RFC 6750, 3; RFC 9470, 3) */

static ngx_int_t
ngx_http_webauthn_bearer_challenge(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    u_char           *p;
    size_t            len;
    const char       *error;
    ngx_table_elt_t  *h;

    error = (ctx->err == WA_ERR_REAUTHENTICATION_REQUIRED
             || ctx->err == WA_ERR_USER_NOT_VERIFIED)
            ? "insufficient_user_authentication" : "invalid_token";

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    len = sizeof("Bearer realm=\"\", error=\"\"") - 1 + 2 * ctx->realm.len
          + ngx_strlen(error);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = p;

    p = ngx_cpymem(p, "Bearer realm=\"", sizeof("Bearer realm=\"") - 1);
    p = ngx_http_webauthn_quote(p, &ctx->realm);
    p = ngx_sprintf(p, "\", error=\"%s\"", error);

    h->value.len = p - h->value.data;

    return NGX_OK;
}


/* WebAuthn realm="<realm>", challenge="<challenge>" (RFC 9110, 11.6.1) */

static ngx_int_t
ngx_http_webauthn_www_authenticate(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_str_t *challenge)
{
    u_char           *p;
    size_t            len;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    len = sizeof("WebAuthn realm=\"\", challenge=\"\"") - 1
          + 2 * ctx->realm.len + challenge->len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = p;

    p = ngx_cpymem(p, "WebAuthn realm=\"", sizeof("WebAuthn realm=\"") - 1);
    p = ngx_http_webauthn_quote(p, &ctx->realm);
    p = ngx_cpymem(p, "\", challenge=\"", sizeof("\", challenge=\"") - 1);
    p = ngx_cpymem(p, challenge->data, challenge->len);
    *p++ = '"';

    h->value.len = p - h->value.data;

    r->headers_out.www_authenticate = h;

    return NGX_OK;
}


/*
 * the inside of an RFC 9110, 5.6.4 quoted-string: '"' and '\' escaped,
 * control characters (never valid in a field) replaced; writes at most
 * twice src->len bytes
 */

static u_char *
ngx_http_webauthn_quote(u_char *dst, ngx_str_t *src)
{
    u_char  c;
    size_t  i;

    for (i = 0; i < src->len; i++) {
        c = src->data[i];

        if (c == '"' || c == '\\') {
            *dst++ = '\\';

        } else if (c < 0x20 || c == 0x7f) {
            c = '?';
        }

        *dst++ = c;
    }

    return dst;
}


/*
 * "webauthn: <code>: <reason>, credential: <id>" once per request and
 * code, at "info" for refusals of the client (401, 403), at "error" for
 * faults of the store or of AWS credentials (503); internal failures were
 * logged where they happened
 */

static void
ngx_http_webauthn_log_refusal(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, const char *detail)
{
    static ngx_str_t  dash = ngx_string("-");

    ngx_str_t   reason;
    ngx_uint_t  level, status;

    if (ctx->was_logged && ctx->logged == ctx->err) {
        return;
    }

    ctx->was_logged = 1;
    ctx->logged = ctx->err;

    if (ctx->reason.len) {
        reason = ctx->reason;

    } else {
        reason.data = (u_char *) detail;
        reason.len = ngx_strlen(detail);
    }

    status = ngx_http_webauthn_error(ctx->err)->status;

    level = (status == NGX_HTTP_UNAUTHORIZED || status == NGX_HTTP_FORBIDDEN)
            ? NGX_LOG_INFO : NGX_LOG_ERR;

    /* credential ids are base64url: they cannot split the line */

    /* the assertion's or the session token's credential */

    ngx_log_error(level, r->connection->log, 0,
                  "webauthn: %s: %V, credential: \"%V\"",
                  wa_err_code(ctx->err), &reason,
                  ctx->cred.id.len ? &ctx->cred.id : &dash);
}


void
ngx_http_webauthn_log_internal(ngx_http_request_t *r, const char *detail)
{
    /* the core leaves OpenSSL's error queue for this */

    ngx_ssl_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "webauthn: internal_error: %s",
                  detail ? detail : "unknown failure");
}


/*
 * sends a complete JSON response (a json_t *, kept by the caller) with
 * Cache-Control: no-store; returns as a content handler does
 */

ngx_int_t
ngx_http_webauthn_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, void *json)
{
    char         *text;
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(text);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, text, len);

    /* an answer may hold a secret (an invitation token) */

    wa_memzero(text, len);
    free(text);

    if (ngx_http_webauthn_header_out(r, "Cache-Control", "no-store")
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_length_n = len;

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
