
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


/*
 * an http:// or https:// endpoint of a credential source, parsed once per
 * worker and URL: https is verified (ssl), a host name is resolved at
 * request time with the location's "resolver", plain http goes only to a
 * loopback address or to what the caller allows
 */

#define NGX_HTTP_WEBAUTHN_PLAIN_ECS    0x01   /* 169.254.170.2, .23,
                                                 fd00:ec2::23 */
#define NGX_HTTP_WEBAUTHN_PLAIN_IMDS   0x02   /* 169.254.169.254,
                                                 fd00:ec2::254 */
#define NGX_HTTP_WEBAUTHN_PLAIN_LOCAL  0x04   /* "localhost", 127.0.0.1
                                                 (as the AWS SDKs do) */

typedef struct {
    ngx_str_t                           url;
    ngx_str_t                           host;      /* the Host header */
    ngx_str_t                           path;      /* "/" when none */
    ngx_http_webauthn_peer_t            server;
    ngx_addr_t                          addr;
} ngx_http_webauthn_endpoint_t;


/*
 * what: "STS", for messages; var: the variable the URL came from;
 * NGX_OK with *ep, or NGX_ERROR with *reason
 */
ngx_int_t ngx_http_webauthn_endpoint(ngx_http_request_t *r, ngx_str_t *url,
    const char *what, const char *var, ngx_uint_t plain, ngx_ssl_t *ssl,
    ngx_http_webauthn_endpoint_t **ep, const char **reason);

/* worker exit: the endpoints' idle connections and TLS sessions */
void ngx_http_webauthn_endpoints_cleanup(void);

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
