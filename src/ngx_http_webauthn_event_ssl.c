
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The event-client base's TLS, through nginx's own SSL code as the
 * upstream's: the client context made at configuration, the handshake of
 * a new connection (server name, the pool's last session), the peer's
 * certificate and name checked once it is done, the session kept for the
 * next new connection, the shutdown of a connection that ends.  The
 * exchange itself (connect, I/O, keepalive) is ngx_http_webauthn_event.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <ngx_http_webauthn_event.h>
#include <ngx_http_webauthn_event_ssl.h>


/* Debian's bundle of the system's trusted CAs (ca-certificates) */
#define NGX_HTTP_WEBAUTHN_EVENT_CA_FILE  "/etc/ssl/certs/ca-certificates.crt"

/* intermediate CAs a chain may have: AWS's endpoints send one or two */
#define NGX_HTTP_WEBAUTHN_EVENT_VERIFY_DEPTH  4


static void ngx_http_webauthn_event_ssl_handler(ngx_connection_t *c);
static void ngx_http_webauthn_event_ssl_handshaked(
    ngx_http_webauthn_event_t *ev, ngx_connection_t *c);
static ngx_int_t ngx_http_webauthn_event_ssl_verify(
    ngx_http_webauthn_event_t *ev, ngx_connection_t *c);
static ngx_str_t *ngx_http_webauthn_event_ssl_name(
    ngx_http_webauthn_peer_t *server);


/*
 * TLS as the upstream's proxy_ssl_verify does it: the handshake verifies
 * without failing (SSL_VERIFY_NONE, nginx's verify callback), and the
 * result and the name are checked once it is done, so that a failure has
 * a reason of its own
 */

ngx_int_t
ngx_http_webauthn_peer_ssl(ngx_conf_t *cf, ngx_str_t *trusted,
    ngx_ssl_t **sslp)
{
    ngx_str_t            file;
    ngx_ssl_t           *ssl;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    *sslp = NULL;

    if (trusted->len) {
        file = *trusted;

    } else {
        ngx_str_set(&file, NGX_HTTP_WEBAUTHN_EVENT_CA_FILE);

        if (ngx_file_info(file.data, &fi) == NGX_FILE_ERROR) {
            /* no system bundle: an https server is refused, with a reason */
            return NGX_OK;
        }
    }

    ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (ssl == NULL) {
        return NGX_ERROR;
    }

    ssl->log = cf->log;

    if (ngx_ssl_create(ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(ssl);
        return NGX_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = ssl;

    if (ngx_ssl_trusted_certificate(cf, ssl, &file,
                                    NGX_HTTP_WEBAUTHN_EVENT_VERIFY_DEPTH)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    *sslp = ssl;

    return NGX_OK;
}


/*
 * TLS on a new connection, as ngx_http_upstream_ssl_init_connection()
 * does: the server name (RFC 6066, 3: never a literal address), the last
 * session of the pool, the handshake within connect_timeout
 */

void
ngx_http_webauthn_event_ssl_init(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c)
{
    ngx_int_t                  rc;
    ngx_str_t                 *name;
    ngx_http_webauthn_peer_t  *server;

    server = ev->server;

    if (ngx_ssl_create_connection(server->ssl, c, NGX_SSL_CLIENT) != NGX_OK) {
        ngx_http_webauthn_event_reason(ev, 0, "%s TLS connection could not "
                                       "be created", server->name);
        goto failed;
    }

    name = ngx_http_webauthn_event_ssl_name(server);

    if (name->len
        && !ngx_http_webauthn_peer_literal(name)
        && SSL_set_tlsext_host_name(c->ssl->connection, (char *) name->data)
           == 0)
    {
        ngx_ssl_error(NGX_LOG_ALERT, c->log, 0,
                      "SSL_set_tlsext_host_name(\"%s\") failed",
                      name->data);
        ngx_http_webauthn_event_reason(ev, 0, "%s TLS server name could not "
                                       "be set", server->name);
        goto failed;
    }

    if (ngx_ssl_set_session(c, server->ssl_session) != NGX_OK) {
        ngx_http_webauthn_event_reason(ev, 0, "%s TLS session could not be "
                                       "set", server->name);
        goto failed;
    }

    ev->log.action = "SSL handshaking";

    rc = ngx_ssl_handshake(c);

    if (rc == NGX_AGAIN) {

        if (!c->write->timer_set) {
            ngx_add_timer(c->write, server->connect_timeout);
        }

        c->ssl->handler = ngx_http_webauthn_event_ssl_handler;
        return;
    }

    ngx_http_webauthn_event_ssl_handshaked(ev, c);
    return;

failed:

    ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
}


static void
ngx_http_webauthn_event_ssl_handler(ngx_connection_t *c)
{
    ngx_http_webauthn_event_ssl_handshaked(c->data, c);
}


static void
ngx_http_webauthn_event_ssl_handshaked(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c)
{
    ngx_http_webauthn_peer_t  *server;

    server = ev->server;

    if (!c->ssl->handshaked) {
        if (c->write->timedout || c->read->timedout) {
            ngx_http_webauthn_event_reason(ev, 0, "%s TLS handshake timed "
                                           "out", server->name);

        } else {
            ngx_http_webauthn_event_reason(ev, 0, "%s TLS handshake failed",
                                           server->name);
        }

        ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s TLS handshake done, session %s", server->name,
                   SSL_session_reused(c->ssl->connection) ? "reused" : "new");

    if (ngx_http_webauthn_event_ssl_verify(ev, c) != NGX_OK) {
        ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
        return;
    }

    /* a persistent connection's session is kept as soon as it is up */

    if (ev->persistent) {
        ngx_http_webauthn_event_ssl_save(ev, c);
    }

    ngx_http_webauthn_event_secured(ev, c);
}


/* as ngx_http_upstream_ssl_handshake() checks: the chain, then the name */

static ngx_int_t
ngx_http_webauthn_event_ssl_verify(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c)
{
    int                        ok;
    long                       rc;
    X509                      *cert;
    ngx_str_t                 *name;
    ngx_http_webauthn_peer_t  *server;

    server = ev->server;
    name = ngx_http_webauthn_event_ssl_name(server);

    rc = SSL_get_verify_result(c->ssl->connection);

    if (rc != X509_V_OK) {
        ngx_http_webauthn_event_reason(ev, 0, "%s TLS certificate verify "
                                       "failed: %s (%l)", server->name,
                                       X509_verify_cert_error_string(rc), rc);
        return NGX_ERROR;
    }

    if (name->len == 0) {
        ngx_http_webauthn_event_reason(ev, 0, "%s TLS certificate verify "
                                       "failed: no name to check it "
                                       "against", server->name);
        return NGX_ERROR;
    }

    if (!ngx_http_webauthn_peer_literal(name)) {
        ok = (ngx_ssl_check_host(c, name) == NGX_OK);

    } else {
        /* an address: its iPAddress entry (RFC 6125, 6.2.1) */

        cert = SSL_get_peer_certificate(c->ssl->connection);

        ok = (cert != NULL
              && X509_check_ip_asc(cert, (char *) name->data, 0)
                 == 1);

        if (cert) {
            X509_free(cert);
        }
    }

    if (!ok) {
        ngx_http_webauthn_event_reason(ev, 0, "%s TLS certificate verify "
                                       "failed: the certificate is not for "
                                       "\"%V\"", server->name, name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the session the next new connection resumes */

void
ngx_http_webauthn_event_ssl_save(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c)
{
    ngx_ssl_session_t         *session;
    ngx_http_webauthn_peer_t  *server;

    server = ev->server;

    session = ngx_ssl_get_session(c);

    if (session == NULL) {
        return;
    }

    if (!SSL_SESSION_is_resumable(session)) {
        ngx_ssl_free_session(session);
        return;
    }

    ngx_http_webauthn_event_ssl_session(server, session);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s TLS session saved", server->name);
}


/* the session the next new connection resumes, or none: the former freed */

void
ngx_http_webauthn_event_ssl_session(ngx_http_webauthn_peer_t *server,
    ngx_ssl_session_t *session)
{
    if (server->ssl_session) {
        ngx_ssl_free_session(server->ssl_session);
    }

    server->ssl_session = session;
}


/* a connection that ends: TLS freed, no close_notify sent or waited for */

void
ngx_http_webauthn_event_ssl_shutdown(ngx_connection_t *c)
{
    c->ssl->no_wait_shutdown = 1;
    c->ssl->no_send_shutdown = 1;

    (void) ngx_ssl_shutdown(c);
}


/* a literal address (no TLS server name; checked as an address) */

ngx_uint_t
ngx_http_webauthn_peer_literal(ngx_str_t *host)
{
#if (NGX_HAVE_INET6)
    u_char  buf[16];

    if (ngx_inet6_addr(host->data, host->len, buf) == NGX_OK) {
        return 1;
    }
#endif

    return ngx_inet_addr(host->data, host->len) != INADDR_NONE;
}


/* the TLS server name, and the name the certificate is checked against */

static ngx_str_t *
ngx_http_webauthn_event_ssl_name(ngx_http_webauthn_peer_t *server)
{
    return server->ssl_name.len ? &server->ssl_name : &server->host;
}
