
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn_http.h>


typedef struct {
    ngx_http_webauthn_http_t         *hr;
    ngx_http_webauthn_event_t        *ev;
    ngx_str_t                         request;

    ngx_buf_t                        *in;        /* the response so far */
    ngx_http_request_t                fake;      /* for nginx's parsers */
    ngx_http_status_t                 st;
    off_t                             length;    /* Content-Length */
    u_char                           *body;      /* NULL: headers not yet */
    unsigned                          close:1;
} ngx_http_webauthn_http_ctx_t;


static ngx_int_t ngx_http_webauthn_http_create_request(
    ngx_http_webauthn_event_t *ev, ngx_uint_t fresh);
static ngx_int_t ngx_http_webauthn_http_process(ngx_http_webauthn_event_t *ev,
    u_char *data, size_t len);
static ngx_int_t ngx_http_webauthn_http_head(ngx_http_webauthn_http_ctx_t *ctx);
static void ngx_http_webauthn_http_done(ngx_http_webauthn_event_t *ev);
static void ngx_http_webauthn_http_wipe(void *data);
static void ngx_http_webauthn_http_wipe_buf(ngx_buf_t *b);


ngx_http_webauthn_http_t *
ngx_http_webauthn_http_create(ngx_http_webauthn_peer_t *server, ngx_log_t *log)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_webauthn_http_t      *hr;
    ngx_http_webauthn_event_t     *ev;
    ngx_http_webauthn_http_ctx_t  *ctx;

    ev = ngx_http_webauthn_event_create(server, log);
    if (ev == NULL) {
        return NULL;
    }

    hr = ngx_pcalloc(ev->pool, sizeof(ngx_http_webauthn_http_t));
    ctx = ngx_pcalloc(ev->pool, sizeof(ngx_http_webauthn_http_ctx_t));
    cln = ngx_pool_cleanup_add(ev->pool, 0);

    if (hr == NULL || ctx == NULL || cln == NULL) {
        ngx_http_webauthn_event_free(ev);
        return NULL;
    }

    ctx->hr = hr;
    ctx->ev = ev;

    /* run before the pool is freed, after whoever read the response */

    cln->handler = ngx_http_webauthn_http_wipe;
    cln->data = ctx;

    ev->create_request = ngx_http_webauthn_http_create_request;
    ev->process = ngx_http_webauthn_http_process;
    ev->done = ngx_http_webauthn_http_done;
    ev->data = ctx;

    hr->pool = ev->pool;
    hr->rc = NGX_ERROR;
    hr->priv = ctx;

    return hr;
}


ngx_int_t
ngx_http_webauthn_http_start(ngx_http_webauthn_http_t *hr, ngx_str_t *request)
{
    ngx_http_webauthn_http_ctx_t  *ctx;

    ctx = hr->priv;

    ctx->request.data = ngx_pstrdup(hr->pool, request);
    if (ctx->request.data == NULL) {
        ngx_str_set(&hr->reason, "out of memory");
        return NGX_ERROR;
    }

    ctx->request.len = request->len;

    if (ngx_http_webauthn_event_start(ctx->ev) != NGX_OK) {
        hr->reason = ctx->ev->reason;
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_webauthn_http_free(ngx_http_webauthn_http_t *hr)
{
    ngx_http_webauthn_http_ctx_t  *ctx;

    ctx = hr->priv;

    ngx_http_webauthn_event_free(ctx->ev);
}


static ngx_int_t
ngx_http_webauthn_http_create_request(ngx_http_webauthn_event_t *ev,
    ngx_uint_t fresh)
{
    ngx_buf_t                     *b;
    ngx_http_webauthn_http_ctx_t  *ctx;

    ctx = ev->data;

    /* a retry: the former copies go */

    ngx_http_webauthn_http_wipe_buf(ev->request);
    ngx_http_webauthn_http_wipe_buf(ctx->in);

    b = ngx_http_webauthn_event_buffer(ev, ctx->request.len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->last, ctx->request.data, ctx->request.len);

    /* a retry starts the response afresh */

    ctx->in = NULL;
    ctx->body = NULL;
    ctx->length = -1;
    ctx->close = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_http_process(ngx_http_webauthn_event_t *ev, u_char *data,
    size_t len)
{
    ngx_http_webauthn_http_ctx_t  *ctx;

    ctx = ev->data;

    if (ctx->in == NULL) {
        ctx->in = ngx_create_temp_buf(ev->pool, NGX_HTTP_WEBAUTHN_HTTP_MAX);
        if (ctx->in == NULL) {
            ngx_http_webauthn_event_reason(ev, 0, "out of memory");
            return NGX_ERROR;
        }
    }

    if ((size_t) (ctx->in->end - ctx->in->last) < len) {
        ngx_http_webauthn_event_reason(ev, 0, "%s response is larger than "
                                       "%d bytes", ev->server->name,
                                       NGX_HTTP_WEBAUTHN_HTTP_MAX);
        return NGX_ERROR;
    }

    ctx->in->last = ngx_cpymem(ctx->in->last, data, len);

    /* where it was read (the event's buffer) keeps no copy */

    ngx_explicit_memzero(data, len);

    if (ctx->body == NULL) {
        switch (ngx_http_webauthn_http_head(ctx)) {
        case NGX_AGAIN:
            return NGX_AGAIN;
        case NGX_ERROR:
            return NGX_ERROR;
        }
    }

    if (ctx->in->last - ctx->body < ctx->length) {
        return NGX_AGAIN;
    }

    if (ctx->in->last - ctx->body > ctx->length) {
        ngx_http_webauthn_event_reason(ev, 0, "%s sent more than its "
                                       "Content-Length", ev->server->name);
        return NGX_ERROR;
    }

    ctx->hr->status = ctx->st.code;
    ctx->hr->body.data = ctx->body;
    ctx->hr->body.len = (size_t) ctx->length;

    ev->reusable = !ctx->close;

    return NGX_OK;
}


/* the status line and headers, with nginx's parsers */

static ngx_int_t
ngx_http_webauthn_http_head(ngx_http_webauthn_http_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_str_t                   value;
    ngx_buf_t                   b;
    ngx_http_request_t         *r;
    ngx_http_webauthn_event_t  *ev;

    ev = ctx->ev;
    r = &ctx->fake;

    ngx_memzero(r, sizeof(ngx_http_request_t));
    ngx_memzero(&ctx->st, sizeof(ngx_http_status_t));

    b = *ctx->in;

    rc = ngx_http_parse_status_line(r, &b, &ctx->st);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc != NGX_OK) {
        ngx_http_webauthn_event_reason(ev, 0, "%s sent an invalid status "
                                       "line", ev->server->name);
        return NGX_ERROR;
    }

    ctx->length = -1;

    for ( ;; ) {

        rc = ngx_http_parse_header_line(r, &b, 1);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc == NGX_HTTP_PARSE_HEADER_DONE) {
            break;
        }

        if (rc != NGX_OK) {
            ngx_http_webauthn_event_reason(ev, 0, "%s sent an invalid "
                                           "header", ev->server->name);
            return NGX_ERROR;
        }

        value.data = r->header_start;
        value.len = r->header_end - r->header_start;

        if (r->header_name_end - r->header_name_start
            == sizeof("Content-Length") - 1
            && ngx_strncasecmp(r->header_name_start,
                               (u_char *) "Content-Length",
                               sizeof("Content-Length") - 1) == 0)
        {
            ctx->length = ngx_atoof(value.data, value.len);

            if (ctx->length == NGX_ERROR) {
                ngx_http_webauthn_event_reason(ev, 0, "%s sent an invalid "
                                               "Content-Length",
                                               ev->server->name);
                return NGX_ERROR;
            }
        }

        if (r->header_name_end - r->header_name_start
            == sizeof("Connection") - 1
            && ngx_strncasecmp(r->header_name_start, (u_char *) "Connection",
                               sizeof("Connection") - 1) == 0
            && ngx_strlcasestrn(value.data, value.data + value.len,
                                (u_char *) "close", sizeof("close") - 2)
               != NULL)
        {
            ctx->close = 1;
        }
    }

    if (ctx->length < 0) {
        ngx_http_webauthn_event_reason(ev, 0, "%s sent no Content-Length",
                                       ev->server->name);
        return NGX_ERROR;
    }

    ctx->body = b.pos;

    return NGX_OK;
}


static void
ngx_http_webauthn_http_done(ngx_http_webauthn_event_t *ev)
{
    ngx_http_webauthn_http_t      *hr;
    ngx_http_webauthn_http_ctx_t  *ctx;

    ctx = ev->data;
    hr = ctx->hr;

    hr->rc = ev->rc;
    hr->reason = ev->reason;

    hr->handler(hr);
}


/*
 * what the exchange held of a credential source's secrets, before its
 * pool is freed: the request (a web identity token, a session token, a
 * signature) and the response (a secret key, STS's XML or the JSON)
 */

static void
ngx_http_webauthn_http_wipe(void *data)
{
    ngx_http_webauthn_http_ctx_t  *ctx = data;

    if (ctx->request.data) {
        ngx_explicit_memzero(ctx->request.data, ctx->request.len);
    }

    ngx_http_webauthn_http_wipe_buf(ctx->ev->request);
    ngx_http_webauthn_http_wipe_buf(ctx->in);
}


static void
ngx_http_webauthn_http_wipe_buf(ngx_buf_t *b)
{
    if (b && b->start) {
        ngx_explicit_memzero(b->start, b->last - b->start);
    }
}


/* the endpoints of the credential sources: a worker's, kept until it exits */

#define NGX_HTTP_WEBAUTHN_ENDPOINTS      16     /* distinct URLs */
#define NGX_HTTP_WEBAUTHN_ENDPOINT_MAX   512    /* bytes of a URL */
#define NGX_HTTP_WEBAUTHN_ENDPOINT_TIME  5000   /* ms, until a fetch sets */


static ngx_int_t ngx_http_webauthn_endpoint_parse(ngx_http_request_t *r,
    ngx_str_t *url, const char *what, const char *var, ngx_uint_t plain,
    ngx_ssl_t *ssl, ngx_http_webauthn_endpoint_t *e, const char **reason);
static ngx_uint_t ngx_http_webauthn_endpoint_plain(struct sockaddr *sa,
    ngx_uint_t plain);


static ngx_http_webauthn_endpoint_t  ngx_http_webauthn_endpoints[
                                         NGX_HTTP_WEBAUTHN_ENDPOINTS];
static ngx_uint_t                    ngx_http_webauthn_nendpoints;


ngx_int_t
ngx_http_webauthn_endpoint(ngx_http_request_t *r, ngx_str_t *url,
    const char *what, const char *var, ngx_uint_t plain, ngx_ssl_t *ssl,
    ngx_http_webauthn_endpoint_t **ep, const char **reason)
{
    ngx_uint_t                     i;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_webauthn_endpoint_t  *e;

    e = NULL;

    for (i = 0; i < ngx_http_webauthn_nendpoints; i++) {
        if (ngx_http_webauthn_endpoints[i].url.len == url->len
            && ngx_strncmp(ngx_http_webauthn_endpoints[i].url.data,
                           url->data, url->len)
               == 0)
        {
            e = &ngx_http_webauthn_endpoints[i];
            break;
        }
    }

    if (e == NULL) {
        if (ngx_http_webauthn_nendpoints == NGX_HTTP_WEBAUTHN_ENDPOINTS) {
            *reason = "too many distinct credential endpoints in one worker";
            return NGX_ERROR;
        }

        e = &ngx_http_webauthn_endpoints[ngx_http_webauthn_nendpoints];

        if (ngx_http_webauthn_endpoint_parse(r, url, what, var, plain, ssl, e,
                                             reason)
            != NGX_OK)
        {
            ngx_memzero(e, sizeof(ngx_http_webauthn_endpoint_t));
            return NGX_ERROR;
        }

        ngx_http_webauthn_nendpoints++;
    }

    /* a host name is resolved with the calling location's resolver */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    e->server.resolver = clcf->resolver;
    e->server.resolver_timeout = clcf->resolver_timeout;

    *ep = e;

    return NGX_OK;
}


void
ngx_http_webauthn_endpoints_cleanup(void)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_webauthn_nendpoints; i++) {
        ngx_http_webauthn_peer_cleanup(&ngx_http_webauthn_endpoints[i].server);
    }
}


static ngx_int_t
ngx_http_webauthn_endpoint_parse(ngx_http_request_t *r, ngx_str_t *url,
    const char *what, const char *var, ngx_uint_t plain, ngx_ssl_t *ssl,
    ngx_http_webauthn_endpoint_t *e, const char **reason)
{
    u_char      *p, *slash, *peer;
    size_t       len;
    ngx_str_t    rest, name, host, path;
    ngx_url_t    u, lo;
    ngx_uint_t   tls;
    ngx_pool_t  *pool;
    u_char       loopback[sizeof("127.0.0.1:65535")];

    ngx_memzero(&u, sizeof(ngx_url_t));

    if (url->len > 8 && ngx_strncasecmp(url->data, (u_char *) "https://", 8)
                        == 0)
    {
        tls = 1;
        rest.data = url->data + 8;
        rest.len = url->len - 8;

    } else if (url->len > 7
               && ngx_strncasecmp(url->data, (u_char *) "http://", 7) == 0)
    {
        tls = 0;
        rest.data = url->data + 7;
        rest.len = url->len - 7;

    } else {
        goto invalid;
    }

    if (rest.len == 0 || rest.len >= NGX_HTTP_WEBAUTHN_ENDPOINT_MAX) {
        goto invalid;
    }

    /* the authority is the Host header; the rest, the path */

    slash = ngx_strlchr(rest.data, rest.data + rest.len, '/');

    host.data = rest.data;
    host.len = slash ? (size_t) (slash - rest.data) : rest.len;

    if (slash && slash + 1 < rest.data + rest.len) {
        path.data = slash;
        path.len = rest.data + rest.len - slash;

    } else {
        ngx_str_set(&path, "/");
    }

    if (host.len == 0) {
        goto invalid;
    }

    /* never resolved here: a worker does not block on getaddrinfo() */

    u.url = host;
    u.default_port = tls ? 443 : 80;
    u.no_resolve = 1;

    if (ngx_parse_url(r->pool, &u) != NGX_OK
        || u.wildcard
        || u.host.len == 0)
    {
        goto invalid;
    }

    /* the credential sources' "localhost": 127.0.0.1, never resolved */

    if (!tls && u.naddrs == 0 && (plain & NGX_HTTP_WEBAUTHN_PLAIN_LOCAL)
        && u.host.len == sizeof("localhost") - 1
        && ngx_strncasecmp(u.host.data, (u_char *) "localhost",
                           sizeof("localhost") - 1)
           == 0)
    {
        ngx_memzero(&lo, sizeof(ngx_url_t));

        lo.url.data = loopback;
        lo.url.len = ngx_sprintf(loopback, "127.0.0.1:%d", (int) u.port)
                     - loopback;
        lo.no_resolve = 1;

        if (ngx_parse_url(r->pool, &lo) != NGX_OK) {
            goto invalid;
        }

        u.addrs = lo.addrs;
        u.naddrs = lo.naddrs;
    }

    if (!tls
        && (u.naddrs == 0
            || !ngx_http_webauthn_endpoint_plain(u.addrs[0].sockaddr, plain)))
    {
        p = ngx_pnalloc(r->pool, 256);
        if (p == NULL) {
            *reason = "out of memory";
            return NGX_ERROR;
        }

        ngx_sprintf(p, "no %s endpoint: plain http:// in %s is only for a "
                    "loopback address (127.0.0.0/8, [::1])%s; use https://%Z",
                    what, var,
                    (plain & NGX_HTTP_WEBAUTHN_PLAIN_ECS)
                    ? " or the ECS/EKS container addresses"
                    : (plain & NGX_HTTP_WEBAUTHN_PLAIN_IMDS)
                      ? " or the instance metadata addresses" : "");

        *reason = (char *) p;
        return NGX_ERROR;
    }

    if (tls && ssl == NULL) {
        *reason = "https:// needs trusted CA certificates, and "
                  "\"webauthn_aws_trusted_certificate\" is not set and "
                  "/etc/ssl/certs/ca-certificates.crt was not found";
        return NGX_ERROR;
    }

    /* the worker's: kept until it exits */

    pool = ngx_cycle->pool;

    name = u.host;

    if (name.len > 2 && name.data[0] == '[') {
        name.data++;
        name.len -= 2;
    }

    e->url.data = ngx_pstrdup(pool, url);
    e->host.data = ngx_pstrdup(pool, &host);
    e->path.data = ngx_pstrdup(pool, &path);
    p = ngx_pnalloc(pool, name.len + 1);

    /* the peer's name in its log lines: "sts", "container", "imds" */

    len = ngx_strlen(what);
    peer = ngx_pnalloc(pool, len + 1);

    if (e->url.data == NULL || e->host.data == NULL || e->path.data == NULL
        || p == NULL || peer == NULL)
    {
        *reason = "out of memory";
        return NGX_ERROR;
    }

    e->url.len = url->len;
    e->host.len = host.len;
    e->path.len = path.len;

    ngx_strlow(peer, (u_char *) what, len);
    peer[len] = '\0';

    ngx_http_webauthn_peer_init(&e->server, (const char *) peer);

    e->server.timeout = NGX_HTTP_WEBAUTHN_ENDPOINT_TIME;
    e->server.connect_timeout = NGX_HTTP_WEBAUTHN_ENDPOINT_TIME;
    e->server.keepalive = 4;

    e->server.host.data = p;
    e->server.host.len = ngx_cpystrn(p, name.data, name.len + 1) - p;
    e->server.port = u.port;
    e->server.ssl = tls ? ssl : NULL;

    if (u.naddrs) {
        e->addr.socklen = u.addrs[0].socklen;
        e->addr.sockaddr = ngx_palloc(pool, e->addr.socklen);
        e->addr.name.data = ngx_pstrdup(pool, &u.addrs[0].name);

        if (e->addr.sockaddr == NULL || e->addr.name.data == NULL) {
            *reason = "out of memory";
            return NGX_ERROR;
        }

        ngx_memcpy(e->addr.sockaddr, u.addrs[0].sockaddr, e->addr.socklen);
        e->addr.name.len = u.addrs[0].name.len;

        e->server.addr = &e->addr;
    }

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webauthn endpoint \"%V\": host \"%V\", port %d, %s",
                   url, &e->server.host, (int) e->server.port,
                   tls ? "tls" : "plain");

    return NGX_OK;

invalid:

    len = ngx_min(url->len, 256);

    p = ngx_pnalloc(r->pool, 128 + len);

    if (p == NULL) {
        *reason = "the endpoint is not http[s]://HOST[:PORT][/PATH]";
        return NGX_ERROR;
    }

    ngx_sprintf(p, "no %s endpoint: \"%*s\" is not "
                "http[s]://HOST[:PORT][/PATH]%s%s%Z", what, len, url->data,
                u.err ? ": " : "", u.err ? u.err : "");

    *reason = (char *) p;

    return NGX_ERROR;
}


/* where plain http may go: loopback, and the link-local addresses allowed */

static ngx_uint_t
ngx_http_webauthn_endpoint_plain(struct sockaddr *sa, ngx_uint_t plain)
{
    in_addr_t             a;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    u_char               *b;
    struct sockaddr_in6  *sin6;

    static u_char  ecs6[16] = { 0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                0, 0, 0, 0, 0, 0, 0, 0x23 };
    static u_char  imds6[16] = { 0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0x02, 0x54 };
#endif

    switch (sa->sa_family) {

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        b = sin6->sin6_addr.s6_addr;

        return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)
               || ((plain & NGX_HTTP_WEBAUTHN_PLAIN_ECS)
                   && ngx_memcmp(b, ecs6, 16) == 0)
               || ((plain & NGX_HTTP_WEBAUTHN_PLAIN_IMDS)
                   && ngx_memcmp(b, imds6, 16) == 0);
#endif

    case AF_INET:
        sin = (struct sockaddr_in *) sa;
        a = ntohl(sin->sin_addr.s_addr);

        return (a >> 24) == 127
               || ((plain & NGX_HTTP_WEBAUTHN_PLAIN_ECS)
                   && (a == 0xa9feaa02 || a == 0xa9feaa17))
               || ((plain & NGX_HTTP_WEBAUTHN_PLAIN_IMDS)
                   && a == 0xa9fea9fe);

    default:
        return 0;
    }
}
