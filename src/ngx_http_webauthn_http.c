
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


ngx_http_webauthn_http_t *
ngx_http_webauthn_http_create(ngx_http_webauthn_peer_t *server, ngx_log_t *log)
{
    ngx_http_webauthn_http_t      *hr;
    ngx_http_webauthn_event_t     *ev;
    ngx_http_webauthn_http_ctx_t  *ctx;

    ev = ngx_http_webauthn_event_create(server, log);
    if (ev == NULL) {
        return NULL;
    }

    hr = ngx_pcalloc(ev->pool, sizeof(ngx_http_webauthn_http_t));
    ctx = ngx_pcalloc(ev->pool, sizeof(ngx_http_webauthn_http_ctx_t));

    if (hr == NULL || ctx == NULL) {
        ngx_http_webauthn_event_free(ev);
        return NULL;
    }

    ctx->hr = hr;
    ctx->ev = ev;

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
