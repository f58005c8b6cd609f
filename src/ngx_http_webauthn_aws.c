
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * AWS SigV4 re-signing of proxied requests (design.md, "SigV4").
 *
 * The signature must cover exactly what nginx sends upstream, so the
 * request is signed after the proxy module has built it, by wrapping the
 * upstream's create_request.  The location's content handler (the
 * proxy's) is wrapped at configuration: it runs with r->aio set, which
 * makes nginx's ngx_http_upstream_init_request() return before it builds
 * anything (as it does while a cache file is read); the wrapper then puts
 * its create_request around the proxy's and starts the upstream again
 * with ngx_http_upstream_init().  So every proxy_pass works the same: with
 * or without a URI part, with variables ($request_uri), after rewrite.
 * The wrapper reads the request line and headers the proxy built, hashes
 * the body as it will be sent (memory or temporary file), signs with the
 * credentials the access phase prepared, and rebuilds the header block
 * with X-Amz-Date, X-Amz-Security-Token and Authorization.  Any failure
 * fails the request (500): nothing leaves a signing location unsigned.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>


#define NGX_HTTP_WEBAUTHN_AWS_KEYS          8     /* signing keys a worker
                                                     keeps */
#define NGX_HTTP_WEBAUTHN_AWS_READ          16384 /* body file reads */
#define NGX_HTTP_WEBAUTHN_AWS_DURATION      900   /* s, STS's minimum */
#define NGX_HTTP_WEBAUTHN_AWS_DURATION_MAX  43200


/* a derived signing key: per access key, day, region and service */

typedef struct {
    u_char                     access_key[NGX_HTTP_WEBAUTHN_AWS_AKID_MAX];
    size_t                            access_key_len;
    u_char                            date[8];
    ngx_str_t                        *region;
    ngx_str_t                        *service;
    unsigned char                     key[WA_SHA256_LEN];
    ngx_uint_t                        used;
} ngx_http_webauthn_aws_key_t;


static ngx_int_t ngx_http_webauthn_aws_content_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_aws_create_request(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_aws_sign(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_http_webauthn_loc_conf_t *wlcf);
static ngx_int_t ngx_http_webauthn_aws_hash_body(ngx_http_request_t *r,
    u_char *rest, u_char *last, ngx_chain_t *cl, char *hex);
static ngx_int_t ngx_http_webauthn_aws_signs(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_webauthn_aws_key(ngx_http_webauthn_aws_creds_t *c,
    const u_char *date, ngx_str_t *region, ngx_str_t *service,
    unsigned char **key);
static ngx_int_t ngx_http_webauthn_aws_remove_amz(ngx_http_request_t *r);
static void ngx_http_webauthn_aws_body_handler(ngx_http_request_t *r);


static ngx_http_webauthn_aws_key_t  ngx_http_webauthn_aws_keys[
                                        NGX_HTTP_WEBAUTHN_AWS_KEYS];
static ngx_uint_t                   ngx_http_webauthn_aws_tick;


/* webauthn_aws_role_duration: STS's DurationSeconds, 900 to 43200 */

static char *
ngx_http_webauthn_aws_duration_check(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *t = data;

    if (*t < NGX_HTTP_WEBAUTHN_AWS_DURATION
        || *t > NGX_HTTP_WEBAUTHN_AWS_DURATION_MAX)
    {
        return "must be 15m to 12h (STS's DurationSeconds, 900 to 43200)";
    }

    return NGX_CONF_OK;
}


ngx_conf_post_t  ngx_http_webauthn_aws_duration_post = {
    ngx_http_webauthn_aws_duration_check
};


/* webauthn_aws_role ROLE ARN; lines are tried in order */

char *
ngx_http_webauthn_aws_role(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_str_t                     *value;
    ngx_http_webauthn_aws_role_t  *role;

    value = cf->args->elts;

    if (!wa_record_roles_ok(value[1].data, value[1].len)
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, ' '))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid role \"%V\": a role is 1 to 64 of "
                           "A-Z a-z 0-9 . _ : -", &value[1]);
        return NGX_CONF_ERROR;
    }

    /* arn:aws:iam::<account>:role/<name> (or another partition) */

    if (value[2].len < sizeof("arn:aws:iam::") - 1
        || ngx_strncmp(value[2].data, "arn:", 4) != 0
        || ngx_strstrn(value[2].data, ":iam::", sizeof(":iam::") - 2) == NULL
        || ngx_strstrn(value[2].data, ":role/", sizeof(":role/") - 2) == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid role ARN \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (wlcf->aws_roles == NGX_CONF_UNSET_PTR) {
        wlcf->aws_roles = ngx_array_create(cf->pool, 4,
                                       sizeof(ngx_http_webauthn_aws_role_t));
        if (wlcf->aws_roles == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    role = ngx_array_push(wlcf->aws_roles);
    if (role == NULL) {
        return NGX_CONF_ERROR;
    }

    role->name = value[1];
    role->arn = value[2];

    return NGX_CONF_OK;
}


char *
ngx_http_webauthn_aws_merge(ngx_conf_t *cf, ngx_http_webauthn_loc_conf_t *prev,
    ngx_http_webauthn_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t       *clcf;
    ngx_http_webauthn_main_conf_t  *wmcf;

    ngx_conf_merge_value(conf->aws_sign, prev->aws_sign, 0);
    ngx_conf_merge_str_value(conf->aws_region, prev->aws_region, "");
    ngx_conf_merge_str_value(conf->aws_service, prev->aws_service,
                             "execute-api");
    ngx_conf_merge_str_value(conf->aws_host, prev->aws_host, "");
    ngx_conf_merge_ptr_value(conf->aws_roles, prev->aws_roles, NULL);
    ngx_conf_merge_sec_value(conf->aws_role_duration,
                             prev->aws_role_duration,
                             NGX_HTTP_WEBAUTHN_AWS_DURATION);

    if (!conf->aws_sign) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    /* the locations that answer requests: not http{} or server{} */

    if (clcf->handler == NULL) {
        return NGX_CONF_OK;
    }

    /*
     * STS caps role chaining at an hour: where the environment nginx -t
     * sees says the base credentials are a role session, say so (the
     * module asks for an hour then; see ngx_http_webauthn_sts.c)
     */

    if (conf->aws_roles && conf->aws_role_duration > 3600
        && (getenv("AWS_SESSION_TOKEN") || getenv("AWS_WEB_IDENTITY_TOKEN_FILE")
            || getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            || getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")))
    {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"webauthn_aws_role_duration\" %T is more than "
                           "the hour STS allows a chained role session: the "
                           "base credentials here are a role session, so "
                           "sessions of 1h are asked for",
                           conf->aws_role_duration);
    }

    if (conf->aws_region.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_aws_region\" is required where "
                           "\"webauthn_aws_sign\" is on");
        return NGX_CONF_ERROR;
    }

    if (conf->realm == NULL
        || (conf->realm->lengths == NULL && conf->realm->value.len == 3
            && ngx_strncmp(conf->realm->value.data, "off", 3) == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_aws_sign\" needs \"auth_webauthn\" in "
                           "the same location");
        return NGX_CONF_ERROR;
    }

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_webauthn_module);

    if (wmcf->aws_zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_aws_credentials\" is required where "
                           "\"webauthn_aws_sign\" is on");
        return NGX_CONF_ERROR;
    }

    /* web identity's STS: AWS_REGION, else the first region configured */

    if (wmcf->aws_region.len == 0) {
        wmcf->aws_region = conf->aws_region;
    }

    /* the proxy's content handler, wrapped: see the top of this file */

    conf->aws_handler = clcf->handler;
    clcf->handler = ngx_http_webauthn_aws_content_handler;

    return NGX_CONF_OK;
}


void
ngx_http_webauthn_aws_cleanup(void)
{
    wa_memzero(ngx_http_webauthn_aws_keys,
               sizeof(ngx_http_webauthn_aws_keys));
}


static ngx_int_t
ngx_http_webauthn_aws_content_handler(ngx_http_request_t *r)
{
    unsigned                       aio;
    ngx_int_t                      rc;
    ngx_http_upstream_t           *u;
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    ctx = ngx_http_webauthn_get_ctx(r);

    /* fail closed: a signing location sends nothing unsigned */

    if (ctx == NULL || !ctx->aws_ready || ctx->err != WA_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "webauthn: aws_credentials_unavailable: the request "
                      "reached a signing location without credentials "
                      "prepared for it (an internal redirect from a "
                      "location that does not sign?)");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    aio = r->aio;
    r->aio = 1;

    rc = wlcf->aws_handler(r);

    r->aio = aio;

    u = r->upstream;

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE || rc == NGX_ERROR || u == NULL
        || u->create_request == NULL
        || u->create_request == ngx_http_webauthn_aws_create_request)
    {
        if (u == NULL && rc < NGX_HTTP_SPECIAL_RESPONSE && rc != NGX_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "webauthn: \"webauthn_aws_sign\" is on where the "
                          "content handler is not proxy_pass");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return rc;
    }

    ctx->aws_create_request = u->create_request;
    u->create_request = ngx_http_webauthn_aws_create_request;

    /* what reading the body would have done, now with the wrapper */

    ngx_http_upstream_init(r);

    return rc;
}


static ngx_int_t
ngx_http_webauthn_aws_create_request(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    ctx = ngx_http_webauthn_get_ctx(r);
    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    rc = ctx->aws_create_request(r);

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_webauthn_aws_sign(r, ctx, wlcf);
}


/*
 * The request the proxy built: "METHOD SP target SP HTTP/1.x CRLF",
 * header lines, CRLF, then (proxy_set_body) body bytes in the same
 * buffer and the body's buffers after it.  It is signed as it is and sent
 * with three lines more.  AWS: "Create a canonical request for Signature
 * Version 4"; the canonical form is the core's (wa_sigv4.c).
 */

static ngx_int_t
ngx_http_webauthn_aws_sign(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx,
    ngx_http_webauthn_loc_conf_t *wlcf)
{
    u_char                 *p, *last, *end, *line, *colon, *v, *ve, *hb;
    char                   *authz;
    size_t                  len;
    wa_err_t                err;
    ngx_str_t               name, value, method, target;
    ngx_buf_t              *b, *nb;
    ngx_uint_t              i, nhosts;
    ngx_array_t             hdrs, lines;
    const char             *detail;
    unsigned char          *key;
    wa_sigv4_header_t      *h;
    wa_sigv4_request_t      req;
    ngx_http_upstream_t    *u;
    ngx_str_t              *l;
    char                    hash[WA_SIGV4_HEX_LEN];
    u_char                  date[WA_SIGV4_DATE_LEN + 1];

    u = r->upstream;
    b = u->request_bufs->buf;

    p = b->pos;
    last = b->last;

    end = ngx_strnstr(p, "\r\n\r\n", last - p);
    if (end == NULL) {
        goto invalid;
    }

    /* the request line */

    line = ngx_strnstr(p, "\r\n", end + 2 - p);
    method.data = p;
    v = ngx_strlchr(p, line, ' ');
    if (v == NULL) {
        goto invalid;
    }

    method.len = v - p;
    target.data = v + 1;
    ve = ngx_strlchr(target.data, line, ' ');
    if (ve == NULL) {
        goto invalid;
    }

    target.len = ve - target.data;

    if (ngx_array_init(&hdrs, r->pool, 16, sizeof(wa_sigv4_header_t))
        != NGX_OK
        || ngx_array_init(&lines, r->pool, 16, sizeof(ngx_str_t)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_webauthn_aws_date(date);

    nhosts = 0;

    for (p = line + 2; p < end + 2; p = line + 2) {

        line = ngx_strnstr(p, "\r\n", end + 4 - p);
        if (line == NULL) {
            goto invalid;
        }

        colon = ngx_strlchr(p, line, ':');
        if (colon == NULL || colon == p) {
            goto invalid;
        }

        name.data = p;
        name.len = colon - p;

        for (v = colon + 1; v < line && (*v == ' ' || *v == '\t'); v++) {
            /* void */
        }

        value.data = v;
        value.len = line - v;

        l = ngx_array_push(&lines);
        if (l == NULL) {
            return NGX_ERROR;
        }

        l->data = p;
        l->len = line + 2 - p;

        if (name.len == 4 && ngx_strncasecmp(name.data, (u_char *) "host", 4)
                             == 0)
        {
            nhosts++;

            if (wlcf->aws_host.len) {
                /* webauthn_aws_host: the Host signed and sent */

                len = sizeof("Host: \r\n") - 1 + wlcf->aws_host.len;
                hb = ngx_pnalloc(r->pool, len);
                if (hb == NULL) {
                    return NGX_ERROR;
                }

                ngx_sprintf(hb, "Host: %V\r\n", &wlcf->aws_host);
                l->data = hb;
                l->len = len;
                value = wlcf->aws_host;
            }
        }

        if (!ngx_http_webauthn_aws_signs(r, &name, &value)) {
            continue;
        }

        h = ngx_array_push(&hdrs);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->name = (char *) name.data;
        h->name_len = name.len;
        h->value = (char *) value.data;
        h->value_len = value.len;
    }

    if (nhosts != 1) {
        goto invalid;
    }

    h = ngx_array_push_n(&hdrs, ctx->aws.token.len ? 2 : 1);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h[0].name = "x-amz-date";
    h[0].name_len = sizeof("x-amz-date") - 1;
    h[0].value = (char *) date;
    h[0].value_len = WA_SIGV4_DATE_LEN;

    if (ctx->aws.token.len) {
        h[1].name = "x-amz-security-token";
        h[1].name_len = sizeof("x-amz-security-token") - 1;
        h[1].value = (char *) ctx->aws.token.data;
        h[1].value_len = ctx->aws.token.len;
    }

    /* the payload: SHA-256 of the body exactly as it is sent */

    if (ngx_http_webauthn_aws_hash_body(r, end + 4, last, u->request_bufs->next,
                                        hash)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_aws_key(&ctx->aws, date, &wlcf->aws_region,
                                  &wlcf->aws_service, &key)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&req, sizeof(wa_sigv4_request_t));

    req.method = (char *) method.data;
    req.method_len = method.len;
    req.target = (char *) target.data;
    req.target_len = target.len;
    req.headers = hdrs.elts;
    req.nheaders = hdrs.nelts;
    req.payload_hash = hash;
    req.amz_date = (char *) date;
    req.region = (char *) wlcf->aws_region.data;
    req.region_len = wlcf->aws_region.len;
    req.service = (char *) wlcf->aws_service.data;
    req.service_len = wlcf->aws_service.len;
    req.normalize = 1;

    authz = NULL;
    detail = NULL;

    err = wa_sigv4_sign(&req, key, (char *) ctx->aws.access_key.data,
                        ctx->aws.access_key.len, &authz, NULL, NULL, &detail);
    if (err != WA_OK) {
        ngx_http_webauthn_log_internal(r, detail);
        return NGX_ERROR;
    }

    /* the header block again, with the three lines */

    l = lines.elts;
    len = (line = ngx_strnstr(b->pos, "\r\n", last - b->pos)) + 2 - b->pos;

    for (i = 0; i < lines.nelts; i++) {
        len += l[i].len;
    }

    len += sizeof("X-Amz-Date: \r\n") - 1 + WA_SIGV4_DATE_LEN
           + sizeof("Authorization: \r\n") - 1 + ngx_strlen(authz)
           + sizeof(CRLF) - 1 + (last - (end + 4));

    if (ctx->aws.token.len) {
        len += sizeof("X-Amz-Security-Token: \r\n") - 1 + ctx->aws.token.len;
    }

    nb = ngx_create_temp_buf(r->pool, len);
    if (nb == NULL) {
        wa_sigv4_free(authz);
        return NGX_ERROR;
    }

    p = ngx_cpymem(nb->last, b->pos, line + 2 - b->pos);

    for (i = 0; i < lines.nelts; i++) {
        p = ngx_cpymem(p, l[i].data, l[i].len);
    }

    p = ngx_sprintf(p, "X-Amz-Date: %s\r\n", date);

    if (ctx->aws.token.len) {
        p = ngx_sprintf(p, "X-Amz-Security-Token: %V\r\n", &ctx->aws.token);
    }

    p = ngx_sprintf(p, "Authorization: %s\r\n\r\n", authz);
    p = ngx_cpymem(p, end + 4, last - (end + 4));

    nb->last = p;
    nb->flush = b->flush;
    nb->last_buf = b->last_buf;
    nb->last_in_chain = b->last_in_chain;

    u->request_bufs->buf = nb;

    ngx_http_webauthn_metrics_inc(sigv4_signed);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webauthn aws signed with \"%V\": %s",
                   &ctx->aws.access_key, authz);

    wa_sigv4_free(authz);

    return NGX_OK;

invalid:

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "webauthn: the request built for the upstream cannot be "
                  "signed: it is not one HTTP/1.x header block with one Host");

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_webauthn_aws_hash_body(ngx_http_request_t *r, u_char *rest,
    u_char *last, ngx_chain_t *cl, char *hex)
{
    off_t             off;
    ssize_t           n;
    ngx_buf_t        *b;
    wa_sha256_ctx_t  *sha;
    u_char            buf[NGX_HTTP_WEBAUTHN_AWS_READ];

    sha = wa_sha256_new();
    if (sha == NULL) {
        return NGX_ERROR;
    }

    if (wa_sha256_update(sha, rest, last - rest) != 0) {
        goto failed;
    }

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            if (wa_sha256_update(sha, b->pos, b->last - b->pos) != 0) {
                goto failed;
            }

            continue;
        }

        if (!b->in_file) {
            continue;
        }

        /* the temporary file of a large body: read as sendfile would */

        for (off = b->file_pos; off < b->file_last; off += n) {
            n = ngx_read_file(b->file, buf,
                              ngx_min((off_t) sizeof(buf), b->file_last - off),
                              off);
            if (n <= 0) {
                goto failed;
            }

            if (wa_sha256_update(sha, buf, n) != 0) {
                goto failed;
            }
        }
    }

    if (wa_sha256_final_hex(sha, hex) != 0) {
        goto failed;
    }

    wa_sha256_free(sha);

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "webauthn: hashing the request body failed");

    wa_sha256_free(sha);

    return NGX_ERROR;
}


/*
 * the headers signed: host, content-type, every x-amz-* and x-apigw-*,
 * and those the configuration adds (proxy_set_header: a name and value
 * the client did not send), but never hop-by-hop ones nor those an
 * intermediary may rewrite
 */

static ngx_int_t
ngx_http_webauthn_aws_signs(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    static ngx_str_t  always[] = {
        ngx_string("host"), ngx_string("content-type"), ngx_null_string
    };

    static ngx_str_t  never[] = {
        ngx_string("connection"), ngx_string("keep-alive"),
        ngx_string("te"), ngx_string("trailer"),
        ngx_string("transfer-encoding"), ngx_string("upgrade"),
        ngx_string("proxy-connection"), ngx_string("expect"),
        ngx_string("user-agent"), ngx_string("content-length"),
        ngx_null_string
    };

    for (i = 0; always[i].len; i++) {
        if (name->len == always[i].len
            && ngx_strncasecmp(name->data, always[i].data, name->len) == 0)
        {
            return 1;
        }
    }

    if ((name->len > 6 && ngx_strncasecmp(name->data, (u_char *) "x-amz-", 6)
                          == 0)
        || (name->len > 8
            && ngx_strncasecmp(name->data, (u_char *) "x-apigw-", 8) == 0))
    {
        return 1;
    }

    for (i = 0; never[i].len; i++) {
        if (name->len == never[i].len
            && ngx_strncasecmp(name->data, never[i].data, name->len) == 0)
        {
            return 0;
        }
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len && h[i].value.len == value->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0
            && ngx_strncmp(h[i].value.data, value->data, value->len) == 0)
        {
            /* the client's, passed through */
            return 0;
        }
    }

    return 1;
}


/* X-Amz-Date: ISO 8601 basic format, UTC, NUL-terminated */

void
ngx_http_webauthn_aws_date(u_char *date)
{
    ngx_tm_t  tm;

    ngx_gmtime(ngx_time(), &tm);

    ngx_sprintf(date, "%4d%02d%02dT%02d%02d%02dZ%Z",
                tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
}


/* kSigning, derived once per access key and day (and region, service) */

static ngx_int_t
ngx_http_webauthn_aws_key(ngx_http_webauthn_aws_creds_t *c, const u_char *date,
    ngx_str_t *region, ngx_str_t *service, unsigned char **key)
{
    ngx_uint_t                    i, oldest;
    ngx_http_webauthn_aws_key_t  *k;

    if (c->access_key.len > NGX_HTTP_WEBAUTHN_AWS_AKID_MAX) {
        return NGX_ERROR;
    }

    k = ngx_http_webauthn_aws_keys;
    oldest = 0;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_AWS_KEYS; i++) {

        if (k[i].access_key_len == c->access_key.len
            && k[i].region == region && k[i].service == service
            && ngx_memcmp(k[i].date, date, 8) == 0
            && ngx_memcmp(k[i].access_key, c->access_key.data,
                          c->access_key.len) == 0)
        {
            k[i].used = ++ngx_http_webauthn_aws_tick;
            *key = k[i].key;
            return NGX_OK;
        }

        if (k[i].used < k[oldest].used) {
            oldest = i;
        }
    }

    k = &k[oldest];

    wa_memzero(k, sizeof(ngx_http_webauthn_aws_key_t));

    if (wa_sigv4_signing_key(k->key, (char *) c->secret.data, c->secret.len,
                             (char *) date, (char *) region->data, region->len,
                             (char *) service->data, service->len)
        != 0)
    {
        return NGX_ERROR;
    }

    ngx_memcpy(k->access_key, c->access_key.data, c->access_key.len);
    k->access_key_len = c->access_key.len;
    ngx_memcpy(k->date, date, 8);
    k->region = region;
    k->service = service;
    k->used = ++ngx_http_webauthn_aws_tick;

    *key = k->key;

    return NGX_OK;
}


/* the role of the credential that the location maps to an IAM role */

ngx_int_t
ngx_http_webauthn_aws_step_role(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    u_char                        *p, *last, *t;
    ngx_uint_t                     i;
    ngx_http_webauthn_aws_role_t  *role;

    if (!ctx->wlcf->aws_sign || ctx->wlcf->aws_roles == NULL) {
        return NGX_OK;
    }

    role = ctx->wlcf->aws_roles->elts;

    for (i = 0; i < ctx->wlcf->aws_roles->nelts; i++) {

        p = ctx->cred.roles.data;
        last = p + ctx->cred.roles.len;

        while (p < last) {
            t = ngx_strlchr(p, last, ' ');
            if (t == NULL) {
                t = last;
            }

            if ((size_t) (t - p) == role[i].name.len
                && ngx_strncmp(p, role[i].name.data, role[i].name.len) == 0)
            {
                ctx->aws_role = role[i].arn;
                return NGX_OK;
            }

            p = t + 1;
        }
    }

    return ngx_http_webauthn_refuse(ctx, WA_ERR_ROLE_FORBIDDEN,
                                    "none of the credential's roles has an "
                                    "IAM role at this location", NULL);
}


/*
 * the whole body is needed to sign it: read here, whatever
 * proxy_request_buffering says, as the mirror module reads it
 */

ngx_int_t
ngx_http_webauthn_aws_step_body(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (!ctx->wlcf->aws_sign) {
        return NGX_OK;
    }

    if (ctx->body_read) {
        ctx->aws_ready = 1;
        return NGX_OK;
    }

    /* the client's own signing headers never reach the upstream */

    if (ngx_http_webauthn_aws_remove_amz(r) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_webauthn_aws_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ctx->status = rc;
        return NGX_ERROR;
    }

    /* balances the count the read took */

    ngx_http_finalize_request(r, NGX_DONE);

    if (ctx->body_read) {
        ctx->aws_ready = 1;
        return NGX_OK;
    }

    ctx->body_waiting = 1;

    return NGX_AGAIN;
}


static void
ngx_http_webauthn_aws_body_handler(ngx_http_request_t *r)
{
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_webauthn_get_ctx(r);

    ctx->body_read = 1;

    if (!ctx->body_waiting) {
        /* read at once, within the step */
        return;
    }

    ctx->body_waiting = 0;
    ctx->waiting = 0;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/* X-Amz-* headers of the client, taken out before the proxy copies them */

static ngx_int_t
ngx_http_webauthn_aws_remove_amz(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    for ( ;; ) {

        part = &r->headers_in.headers.part;
        h = part->elts;

        for (i = 0; /* void */; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    return NGX_OK;
                }

                part = part->next;
                h = part->elts;
                i = 0;
            }

            if (h[i].key.len > 6
                && ngx_strncasecmp(h[i].key.data, (u_char *) "x-amz-", 6)
                   == 0)
            {
                break;
            }
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webauthn aws: removing the client's \"%V\"",
                       &h[i].key);

        if (ngx_http_webauthn_remove_header(r, &r->headers_in.headers, &h[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }
}
