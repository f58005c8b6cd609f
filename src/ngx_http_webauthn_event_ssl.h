
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Private to the event-client base: what its exchanges
 * (ngx_http_webauthn_event.c) and its TLS (ngx_http_webauthn_event_ssl.c)
 * call of each other.  Only ngx_http_webauthn_event*.c include it; the
 * protocols and owners use ngx_http_webauthn_event.h alone.
 */


#ifndef _NGX_HTTP_WEBAUTHN_EVENT_SSL_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_EVENT_SSL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <ngx_http_webauthn_event.h>


/* ngx_http_webauthn_event_ssl.c */

/*
 * the TLS of a new, connected connection: the handshake; then, with the
 * peer verified, ngx_http_webauthn_event_secured(), or else
 * ngx_http_webauthn_event_finalize() with NGX_ERROR and a reason
 */
void ngx_http_webauthn_event_ssl_init(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c);

/* the connection's session, for the server's next new connection */
void ngx_http_webauthn_event_ssl_save(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c);

/* the server's session to resume: session, or (NULL) none; the former freed */
void ngx_http_webauthn_event_ssl_session(ngx_http_webauthn_peer_t *server,
    ngx_ssl_session_t *session);

/* a connection with TLS that is closed: no close_notify */
void ngx_http_webauthn_event_ssl_shutdown(ngx_connection_t *c);


/* ngx_http_webauthn_event.c */

/* TLS up: the exchange goes on, its request is sent */
void ngx_http_webauthn_event_secured(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c);

/* the exchange ends: its connection kept or closed, done called */
void ngx_http_webauthn_event_finalize(ngx_http_webauthn_event_t *ev,
    ngx_int_t rc);


#endif /* _NGX_HTTP_WEBAUTHN_EVENT_SSL_H_INCLUDED_ */
