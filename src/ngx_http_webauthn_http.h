
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * HTTP/1.1 on the event-client base, for the AWS credential sources
 * (STS today): one request, sent as given, and one response read whole,
 * parsed with nginx's own status and header line parsers.  Responses must
 * carry Content-Length (STS, IMDS and the container endpoints do) and
 * are bounded; a connection is kept when the response allows it.
 */


#ifndef _NGX_HTTP_WEBAUTHN_HTTP_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_HTTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn_event.h>


#define NGX_HTTP_WEBAUTHN_HTTP_MAX  65536      /* bytes of a response */


typedef struct ngx_http_webauthn_http_s  ngx_http_webauthn_http_t;

typedef void (*ngx_http_webauthn_http_handler_pt)(
    ngx_http_webauthn_http_t *hr);

struct ngx_http_webauthn_http_s {
    ngx_pool_t                         *pool;      /* the exchange's */
    ngx_http_webauthn_http_handler_pt   handler;
    void                               *data;

    /* when the handler is called: NGX_OK with status and body, or
     * NGX_ERROR with reason */
    ngx_int_t                           rc;
    ngx_str_t                           reason;
    ngx_uint_t                          status;
    ngx_str_t                           body;

    void                               *priv;
};


ngx_http_webauthn_http_t *ngx_http_webauthn_http_create(
    ngx_http_webauthn_peer_t *server, ngx_log_t *log);

/*
 * sends request (copied); NGX_OK: under way, the handler is called once,
 * later; NGX_ERROR: it could not start (reason)
 */
ngx_int_t ngx_http_webauthn_http_start(ngx_http_webauthn_http_t *hr,
    ngx_str_t *request);

/* frees it; while under way the handler is then never called */
void ngx_http_webauthn_http_free(ngx_http_webauthn_http_t *hr);


#endif /* _NGX_HTTP_WEBAUTHN_HTTP_H_INCLUDED_ */
