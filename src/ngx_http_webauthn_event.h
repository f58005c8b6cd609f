
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The event-client base: one exchange with an outside server on nginx's
 * event loop, modelled on the OCSP stapling client
 * (ngx_event_openssl_stapling.c) and the upstream keepalive module.  It
 * owns the peer connection, the connect and I/O timers, the per-worker
 * keepalive pool, the log context (", redis: ADDRESS") and one transparent
 * retry on a fresh connection when a pooled one turns out dead.  For the
 * AWS credential sources it also speaks TLS through nginx's own SSL code,
 * as the upstream's does (server name, verification, session reuse across
 * the pool: ngx_http_webauthn_event_ssl.c), and resolves a server's host
 * name at each new connection (or, "reresolve", at each exchange, for
 * Redis) with nginx's resolver, never with a blocking call.  A protocol
 * (RESP; HTTP for the AWS credential chain) gives it three functions:
 *
 *   create_request  builds ev->request; "fresh" is set for a new
 *                   connection (which may need a handshake: AUTH, SELECT);
 *                   called again on the retry, so it resets its parser too
 *   process         is fed every byte received; NGX_AGAIN for more,
 *                   NGX_OK when the exchange is complete (ev->reusable set
 *                   when nothing is left over), NGX_ERROR with a reason
 *   done            called exactly once, from the event loop, with ev->rc
 *                   NGX_OK or NGX_ERROR (ev->reason says why, for the log:
 *                   never with secrets); the owner may free ev there
 *
 * The base never logs a failure at "error" itself: the owner logs the
 * reason once, with what it was doing.  See design.md, "Event client".
 */


#ifndef _NGX_HTTP_WEBAUTHN_EVENT_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_EVENT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>


#define NGX_HTTP_WEBAUTHN_EVENT_RECV_SIZE    4096
#define NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE  256


typedef struct ngx_http_webauthn_event_s  ngx_http_webauthn_event_t;

typedef ngx_int_t (*ngx_http_webauthn_event_request_pt)(
    ngx_http_webauthn_event_t *ev, ngx_uint_t fresh);
typedef ngx_int_t (*ngx_http_webauthn_event_process_pt)(
    ngx_http_webauthn_event_t *ev, u_char *data, size_t len);
typedef void (*ngx_http_webauthn_event_done_pt)(ngx_http_webauthn_event_t *ev);
typedef void (*ngx_http_webauthn_event_ready_pt)(
    ngx_http_webauthn_event_t *ev);


/*
 * a server: its address or host name, its TLS and timeouts
 * (configuration), and per worker, after fork, its idle connections and
 * its last TLS session
 */

typedef struct {
    ngx_addr_t                          *addr;      /* NULL: host is
                                                       resolved */
    ngx_str_t                            host;      /* null-terminated: the
                                                       name resolved, and
                                                       TLS's server name */
    in_port_t                            port;      /* with a host name */
    ngx_str_t                            label;     /* host:port, or the
                                                       address: for logs */
    const char                          *name;      /* "redis" */

    ngx_ssl_t                           *ssl;       /* NULL: plain TCP */
    ngx_str_t                            ssl_name;  /* null-terminated: the
                                                       TLS server name and
                                                       the name checked;
                                                       empty: host */
    ngx_resolver_t                      *resolver;  /* the default of new
                                                       exchanges */
    ngx_msec_t                           resolver_timeout;
    ngx_uint_t                           reresolve; /* the host resolved at
                                                       every exchange; idle
                                                       connections to
                                                       another address are
                                                       closed */

    ngx_msec_t                           connect_timeout;
    ngx_msec_t                           timeout;   /* send + reply */
    ngx_msec_t                           keepalive_timeout;
    ngx_uint_t                           keepalive; /* idle connections */

    /* per worker */
    ngx_queue_t                          cache;     /* idle connections */
    ngx_queue_t                          free;      /* spare items */
    ngx_ssl_session_t                   *ssl_session;
    ngx_uint_t                           generation; /* of its connections:
                                                        cleanup moves it on */
    ngx_uint_t                           initialized;
} ngx_http_webauthn_peer_t;


struct ngx_http_webauthn_event_s {
    ngx_http_webauthn_peer_t            *server;
    ngx_pool_t                          *pool;      /* owned */

    ngx_http_webauthn_event_request_pt   create_request;
    ngx_http_webauthn_event_process_pt   process;
    ngx_http_webauthn_event_done_pt      done;
    void                                *data;      /* the protocol's */

    ngx_buf_t                           *request;
    size_t                               secret;    /* bytes of request
                                                       wiped once sent */

    ngx_int_t                            rc;
    ngx_str_t                            reason;

    /* send + reply: server->timeout unless the owner sets another */
    ngx_msec_t                           timeout;

    /* for a host name: server->resolver unless the owner sets another */
    ngx_resolver_t                      *resolver;
    ngx_msec_t                           resolver_timeout;

    /* private */
    ngx_peer_connection_t                peer;
    ngx_resolver_ctx_t                  *resolve;
    ngx_addr_t                           resolved;  /* the host's address */
    ngx_sockaddr_t                       sockaddr;  /* the connection's */
    socklen_t                            socklen;   /* peer, 0: none yet */
    ngx_log_t                            log;
    ngx_log_handler_pt                   log_handler;
    void                                *log_data;

    unsigned                             running:1;
    unsigned                             starting:1;
    unsigned                             start_failed:1;
    unsigned                             connected:1;
    unsigned                             secured:1; /* TLS up, or none */
    unsigned                             cached:1;
    unsigned                             retried:1;
    unsigned                             received:1;
    unsigned                             reusable:1;

    /*
     * set by the owner before start: the connection is the exchange's for
     * its whole life (a Redis pipeline), new, never pooled or retried, with
     * no reply timer of the base's (the owner times its requests); more
     * bytes go out with ngx_http_webauthn_event_append(), process returns
     * NGX_AGAIN until the owner is done with the connection
     */
    unsigned                             persistent:1;
    unsigned                             up:1;      /* ready was called */

    /* optional: connected and secured, about to send the first bytes */
    ngx_http_webauthn_event_ready_pt     ready;
};


/* a resolved address's memory (ngx_http_webauthn_peer_resolved()) */

typedef struct {
    ngx_sockaddr_t                       sockaddr;
    u_char                               text[NGX_SOCKADDR_STRLEN];
} ngx_http_webauthn_peer_addr_t;


/* sets the defaults of a server's timeouts and pool */
void ngx_http_webauthn_peer_init(ngx_http_webauthn_peer_t *server,
    const char *name);

/*
 * a directive parameter of the server: connect_timeout=, timeout=,
 * keepalive=, keepalive_timeout=; NGX_OK when taken, NGX_DECLINED when
 * not one of these, NGX_ERROR when invalid
 */
ngx_int_t ngx_http_webauthn_peer_param(ngx_http_webauthn_peer_t *server,
    ngx_str_t *value);

/*
 * a client TLS context for servers (TLSv1.2 and TLSv1.3, peers verified
 * against trusted, a CA bundle file, or the system's bundle when empty):
 * created at configuration, freed with cf->pool; *ssl is NULL when there
 * is no system bundle
 */
ngx_int_t ngx_http_webauthn_peer_ssl(ngx_conf_t *cf, ngx_str_t *trusted,
    ngx_ssl_t **ssl);

/* a literal IPv4 or IPv6 address, not a host name */
ngx_uint_t ngx_http_webauthn_peer_literal(ngx_str_t *host);

/*
 * worker exit, or the server moved (a new master): closes the idle
 * connections, frees the TLS session
 */
void ngx_http_webauthn_peer_cleanup(ngx_http_webauthn_peer_t *server);

/*
 * the server's host name, resolved with nginx's resolver: a context to
 * start with ngx_resolve_name() (NGX_OK), NGX_DECLINED without a
 * resolver, NGX_ERROR out of memory; then, in its handler, the first
 * address with the server's port (NGX_OK, addr pointing into mem), or
 * NGX_ERROR (r->state says why)
 */
ngx_int_t ngx_http_webauthn_peer_resolve(ngx_http_webauthn_peer_t *server,
    ngx_resolver_t *resolver, ngx_msec_t timeout,
    ngx_resolver_handler_pt handler, void *data, ngx_resolver_ctx_t **rp);
ngx_int_t ngx_http_webauthn_peer_resolved(ngx_http_webauthn_peer_t *server,
    ngx_resolver_ctx_t *r, ngx_addr_t *addr,
    ngx_http_webauthn_peer_addr_t *mem);

/* an exchange with a pool of its own, logging to log */
ngx_http_webauthn_event_t *ngx_http_webauthn_event_create(
    ngx_http_webauthn_peer_t *server, ngx_log_t *log);

/*
 * NGX_OK: under way, ev->done is called later from the event loop, never
 * from within this call; NGX_ERROR: it could not start, ev->reason says
 * why, ev->done is never called
 */
ngx_int_t ngx_http_webauthn_event_start(ngx_http_webauthn_event_t *ev);

/*
 * frees the exchange and its pool; while it is under way (the owner is
 * going away) its connection is closed, not reused, and done is never
 * called
 */
void ngx_http_webauthn_event_free(ngx_http_webauthn_event_t *ev);

/*
 * a persistent exchange: n strings more to send, after those not sent
 * yet, all of them or (NGX_ERROR: out of memory) none; everything
 * appended during one pass of the event loop goes out in one write, from
 * the loop (a posted write event); NGX_OK or NGX_ERROR
 */
ngx_int_t ngx_http_webauthn_event_append(ngx_http_webauthn_event_t *ev,
    ngx_str_t *data, ngx_uint_t n);

/*
 * a persistent exchange the owner is done with, from the event loop but
 * not from within process: its connection is closed (its TLS session
 * kept), done is called with NGX_OK
 */
void ngx_http_webauthn_event_finish(ngx_http_webauthn_event_t *ev);

void ngx_http_webauthn_event_reason(ngx_http_webauthn_event_t *ev,
    ngx_err_t err, const char *fmt, ...);

/* the request buffer, with room for len bytes */
ngx_buf_t *ngx_http_webauthn_event_buffer(ngx_http_webauthn_event_t *ev,
    size_t len);


#endif /* _NGX_HTTP_WEBAUTHN_EVENT_H_INCLUDED_ */
