
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <ngx_http_webauthn_event.h>
#include <ngx_http_webauthn_event_ssl.h>


typedef struct {
    ngx_http_webauthn_peer_t     *server;
    ngx_queue_t                   queue;
    ngx_connection_t             *connection;
    ngx_sockaddr_t                sockaddr;  /* its peer */
    socklen_t                     socklen;
} ngx_http_webauthn_event_cache_t;


static void ngx_http_webauthn_event_cleanup(void *data);
static ngx_int_t ngx_http_webauthn_event_init(
    ngx_http_webauthn_peer_t *server);
static ngx_int_t ngx_http_webauthn_event_connect(
    ngx_http_webauthn_event_t *ev);
static ngx_int_t ngx_http_webauthn_event_resolve(
    ngx_http_webauthn_event_t *ev);
static void ngx_http_webauthn_event_resolve_handler(
    ngx_resolver_ctx_t *resolve);
static ngx_int_t ngx_http_webauthn_event_connect_peer(
    ngx_http_webauthn_event_t *ev, ngx_addr_t *addr);
static void ngx_http_webauthn_event_fail(ngx_http_webauthn_event_t *ev);
static ngx_addr_t *ngx_http_webauthn_event_target(
    ngx_http_webauthn_event_t *ev);
static void ngx_http_webauthn_event_close(ngx_connection_t *c);
static ngx_str_t *ngx_http_webauthn_event_label(
    ngx_http_webauthn_peer_t *server);
static ngx_connection_t *ngx_http_webauthn_event_get_cached(
    ngx_http_webauthn_event_t *ev);
static ngx_int_t ngx_http_webauthn_event_test_connect(
    ngx_http_webauthn_event_t *ev, ngx_connection_t *c);
static ngx_int_t ngx_http_webauthn_event_retry(ngx_http_webauthn_event_t *ev);
static void ngx_http_webauthn_event_reply_timer(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c);
static void ngx_http_webauthn_event_write_handler(ngx_event_t *wev);
static void ngx_http_webauthn_event_read_handler(ngx_event_t *rev);
static void ngx_http_webauthn_event_keepalive(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c);
static void ngx_http_webauthn_event_idle_handler(ngx_event_t *ev);
static void ngx_http_webauthn_event_dummy_handler(ngx_event_t *ev);
static void ngx_http_webauthn_event_wipe(ngx_http_webauthn_event_t *ev);
static u_char *ngx_http_webauthn_event_log_error(ngx_log_t *log, u_char *buf,
    size_t len);


void
ngx_http_webauthn_peer_init(ngx_http_webauthn_peer_t *server,
    const char *name)
{
    server->name = name;
    server->connect_timeout = 1000;
    server->timeout = 1000;
    server->keepalive = 32;
    server->keepalive_timeout = 60000;
}


ngx_int_t
ngx_http_webauthn_peer_param(ngx_http_webauthn_peer_t *server,
    ngx_str_t *value)
{
    ngx_int_t    n;
    ngx_str_t    s;
    ngx_msec_t   t;

    if (ngx_strncmp(value->data, "keepalive=", 10) == 0) {
        n = ngx_atoi(value->data + 10, value->len - 10);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        server->keepalive = n;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "connect_timeout=", 16) == 0) {
        s.data = value->data + 16;
        s.len = value->len - 16;

    } else if (ngx_strncmp(value->data, "timeout=", 8) == 0) {
        s.data = value->data + 8;
        s.len = value->len - 8;

    } else if (ngx_strncmp(value->data, "keepalive_timeout=", 18) == 0) {
        s.data = value->data + 18;
        s.len = value->len - 18;

    } else {
        return NGX_DECLINED;
    }

    t = ngx_parse_time(&s, 0);

    if (t == (ngx_msec_t) NGX_ERROR) {
        return NGX_ERROR;
    }

    switch (value->data[0]) {

    case 'c':
        if (t == 0) {
            return NGX_ERROR;
        }

        server->connect_timeout = t;
        break;

    case 't':
        if (t == 0) {
            return NGX_ERROR;
        }

        server->timeout = t;
        break;

    default: /* keepalive_timeout */
        server->keepalive_timeout = t;
    }

    return NGX_OK;
}


void
ngx_http_webauthn_peer_cleanup(ngx_http_webauthn_peer_t *server)
{
    ngx_queue_t                      *q;
    ngx_http_webauthn_event_cache_t  *item;

    /* the connections that persist (pipelines) take no new exchanges */

    server->generation++;

    if (!server->initialized) {
        return;
    }

    while (!ngx_queue_empty(&server->cache)) {
        q = ngx_queue_head(&server->cache);
        ngx_queue_remove(q);

        item = ngx_queue_data(q, ngx_http_webauthn_event_cache_t, queue);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "%s close idle connection %p",
                       server->name, item->connection);

        ngx_http_webauthn_event_close(item->connection);
        item->connection = NULL;

        ngx_queue_insert_head(&server->free, q);
    }

    ngx_http_webauthn_event_ssl_session(server, NULL);
}


ngx_http_webauthn_event_t *
ngx_http_webauthn_event_create(ngx_http_webauthn_peer_t *server,
    ngx_log_t *log)
{
    ngx_pool_t                 *pool;
    ngx_pool_cleanup_t         *cln;
    ngx_http_webauthn_event_t  *ev;

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NULL;
    }

    ev = ngx_pcalloc(pool, sizeof(ngx_http_webauthn_event_t));
    if (ev == NULL) {
        goto failed;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    cln->handler = ngx_http_webauthn_event_cleanup;
    cln->data = ev;

    ev->server = server;
    ev->pool = pool;
    ev->rc = NGX_ERROR;
    ev->timeout = server->timeout;
    ev->resolver = server->resolver;
    ev->resolver_timeout = server->resolver_timeout;

    ev->log = *log;
    ev->log_handler = log->handler;
    ev->log_data = log->data;
    ev->log.handler = ngx_http_webauthn_event_log_error;
    ev->log.data = ev;
    ev->log.action = NULL;

    pool->log = &ev->log;

    return ev;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


ngx_int_t
ngx_http_webauthn_event_start(ngx_http_webauthn_event_t *ev)
{
    ngx_int_t  rc;

    if (ev->running) {
        ngx_http_webauthn_event_reason(ev, 0, "%s exchange already running",
                                       ev->server->name);
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_event_init(ev->server) != NGX_OK) {
        ngx_http_webauthn_event_reason(ev, 0, "%s keepalive pool "
                                       "allocation failed", ev->server->name);
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s start: %V", ev->server->name,
                   ngx_http_webauthn_event_label(ev->server));

    /* a resolver may answer from its cache, within this call */

    ev->starting = 1;
    ev->start_failed = 0;

    rc = ngx_http_webauthn_event_connect(ev);

    ev->starting = 0;

    if (rc != NGX_OK || ev->start_failed) {
        return NGX_ERROR;
    }

    ev->running = 1;

    return NGX_OK;
}


void
ngx_http_webauthn_event_free(ngx_http_webauthn_event_t *ev)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ev->log, 0, "%s free",
                   ev->server->name);

    /* the cleanup closes a connection still in use */

    ngx_destroy_pool(ev->pool);
}


ngx_buf_t *
ngx_http_webauthn_event_buffer(ngx_http_webauthn_event_t *ev, size_t len)
{
    ngx_http_webauthn_event_wipe(ev);

    ev->request = ngx_create_temp_buf(ev->pool, len);

    return ev->request;
}


static void
ngx_http_webauthn_event_cleanup(void *data)
{
    ngx_http_webauthn_event_t  *ev = data;

    if (ev->resolve) {
        ngx_resolve_name_done(ev->resolve);
        ev->resolve = NULL;
    }

    if (ev->peer.connection) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                       "%s close connection %p of a cancelled exchange",
                       ev->server->name, ev->peer.connection);

        ngx_http_webauthn_event_close(ev->peer.connection);
        ev->peer.connection = NULL;
    }

    ev->running = 0;

    ngx_http_webauthn_event_wipe(ev);
}


static ngx_int_t
ngx_http_webauthn_event_init(ngx_http_webauthn_peer_t *server)
{
    u_char                           *p;
    ngx_uint_t                        i;
    ngx_http_webauthn_event_cache_t  *cached;

    if (server->initialized) {
        return NGX_OK;
    }

    if (server->addr == NULL && server->label.len == 0) {
        p = ngx_pnalloc(ngx_cycle->pool, server->host.len + sizeof(":65535"));
        if (p == NULL) {
            return NGX_ERROR;
        }

        server->label.data = p;
        server->label.len = ngx_sprintf(p, "%V:%d", &server->host,
                                        (int) server->port)
                            - p;
    }

    ngx_queue_init(&server->cache);
    ngx_queue_init(&server->free);

    if (server->keepalive) {
        cached = ngx_pcalloc(ngx_cycle->pool,
                     sizeof(ngx_http_webauthn_event_cache_t)
                     * server->keepalive);
        if (cached == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < server->keepalive; i++) {
            cached[i].server = server;
            ngx_queue_insert_head(&server->free, &cached[i].queue);
        }
    }

    server->initialized = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_event_connect(ngx_http_webauthn_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_webauthn_peer_t  *server;

    server = ev->server;

    ev->connected = 0;
    ev->secured = 0;
    ev->up = 0;
    ev->cached = 0;
    ev->received = 0;
    ev->reusable = 0;

    ngx_memzero(&ev->peer, sizeof(ngx_peer_connection_t));
    ev->socklen = 0;

    /*
     * a host name that may move (a cloud endpoint after a failover): its
     * address first, at every exchange (the resolver's cache answers
     * within the call until "valid=" runs out), then an idle connection
     * to that address, or a new one
     */

    if (server->addr == NULL && server->reresolve
        && ev->resolved.sockaddr == NULL)
    {
        return ngx_http_webauthn_event_resolve(ev);
    }

    /* a retry is on a fresh connection: the other idle ones may be stale */

    c = (ev->retried || ev->persistent)
        ? NULL : ngx_http_webauthn_event_get_cached(ev);

    if (c == NULL) {
        if (ev->create_request(ev, 1) != NGX_OK) {
            ngx_http_webauthn_event_wipe(ev);
            ngx_http_webauthn_event_reason(ev, 0, "%s request could not be "
                                           "built", server->name);
            return NGX_ERROR;
        }

        if (server->addr) {
            return ngx_http_webauthn_event_connect_peer(ev, server->addr);
        }

        /* a host name: resolved once per exchange, at its first connect */

        if (ev->resolved.sockaddr) {
            return ngx_http_webauthn_event_connect_peer(ev, &ev->resolved);
        }

        return ngx_http_webauthn_event_resolve(ev);
    }

    if (ev->create_request(ev, 0) != NGX_OK) {
        ngx_http_webauthn_event_close(c);
        ev->peer.connection = NULL;

        ngx_http_webauthn_event_wipe(ev);
        ngx_http_webauthn_event_reason(ev, 0, "%s request could not be "
                                       "built", server->name);
        return NGX_ERROR;
    }

    /* a reused connection: connected, its TLS (if any) up */

    ev->connected = 1;
    ev->secured = 1;

    c->data = ev;
    c->read->handler = ngx_http_webauthn_event_read_handler;
    c->write->handler = ngx_http_webauthn_event_write_handler;

    ngx_add_timer(c->read, ev->timeout);

    /* the write happens from the event loop, never from within start() */

    ngx_post_event(c->write, &ngx_posted_events);

    return NGX_OK;
}


/*
 * as the OCSP client resolves its responder: nginx's resolver, the
 * server's host; NGX_OK with the context, not started (the caller starts
 * it with ngx_resolve_name(), whose handler may run within), NGX_DECLINED
 * without a resolver, NGX_ERROR out of memory
 */

ngx_int_t
ngx_http_webauthn_peer_resolve(ngx_http_webauthn_peer_t *server,
    ngx_resolver_t *resolver, ngx_msec_t timeout,
    ngx_resolver_handler_pt handler, void *data, ngx_resolver_ctx_t **rp)
{
    ngx_resolver_ctx_t  *r, temp;

    *rp = NULL;

    if (resolver == NULL) {
        return NGX_DECLINED;
    }

    temp.name = server->host;

    r = ngx_resolve_start(resolver, &temp);

    if (r == NULL) {
        return NGX_ERROR;
    }

    if (r == NGX_NO_RESOLVER) {
        return NGX_DECLINED;
    }

    r->name = server->host;
    r->handler = handler;
    r->data = data;
    r->timeout = timeout;

    *rp = r;

    return NGX_OK;
}


/*
 * its answer: NGX_OK with the first address (as the OCSP client tries
 * them in turn) and the server's port in addr, which points into mem;
 * NGX_ERROR when it failed (r->state says why); the caller is done with
 * the context
 */

ngx_int_t
ngx_http_webauthn_peer_resolved(ngx_http_webauthn_peer_t *server,
    ngx_resolver_ctx_t *r, ngx_addr_t *addr,
    ngx_http_webauthn_peer_addr_t *mem)
{
    if (r->state || r->naddrs == 0) {
        return NGX_ERROR;
    }

    addr->socklen = ngx_min(r->addrs[0].socklen,
                            (socklen_t) sizeof(ngx_sockaddr_t));
    ngx_memcpy(&mem->sockaddr, r->addrs[0].sockaddr, addr->socklen);
    ngx_inet_set_port(&mem->sockaddr.sockaddr, server->port);

    addr->sockaddr = &mem->sockaddr.sockaddr;
    addr->name.data = mem->text;
    addr->name.len = ngx_sock_ntop(addr->sockaddr, addr->socklen, mem->text,
                                   NGX_SOCKADDR_STRLEN, 1);

    return NGX_OK;
}


/* as the OCSP client resolves its responder: nginx's resolver, no port */

static ngx_int_t
ngx_http_webauthn_event_resolve(ngx_http_webauthn_event_t *ev)
{
    ngx_int_t                  rc;
    ngx_resolver_ctx_t        *resolve;
    ngx_http_webauthn_peer_t  *server;

    server = ev->server;

    rc = ngx_http_webauthn_peer_resolve(server, ev->resolver,
                                        ev->resolver_timeout,
                                        ngx_http_webauthn_event_resolve_handler,
                                        ev, &resolve);

    if (rc == NGX_ERROR) {
        ngx_http_webauthn_event_wipe(ev);
        ngx_http_webauthn_event_reason(ev, 0, "%s resolver failed: "
                                       "out of memory", server->name);
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_webauthn_event_wipe(ev);
        ngx_http_webauthn_event_reason(ev, 0, "no resolver defined to "
                                       "resolve %V", &server->host);
        return NGX_ERROR;
    }

    ev->resolve = resolve;
    ev->log.action = "resolving";

    /* the handler may be called from within, with a cached answer */

    if (ngx_resolve_name(resolve) != NGX_OK) {
        ev->resolve = NULL;

        ngx_http_webauthn_event_wipe(ev);
        ngx_http_webauthn_event_reason(ev, 0, "%s resolver failed to start "
                                       "resolving %V", server->name,
                                       &server->host);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_webauthn_event_resolve_handler(ngx_resolver_ctx_t *resolve)
{
    ngx_http_webauthn_event_t *ev = resolve->data;

    ngx_int_t                       rc;
    ngx_http_webauthn_peer_t       *server;
    ngx_http_webauthn_peer_addr_t  *mem;

    server = ev->server;
    ev->resolve = NULL;

    mem = ngx_palloc(ev->pool, sizeof(ngx_http_webauthn_peer_addr_t));
    if (mem == NULL) {
        ngx_http_webauthn_event_reason(ev, 0, "out of memory");
        goto failed;
    }

    if (ngx_http_webauthn_peer_resolved(server, resolve, &ev->resolved, mem)
        != NGX_OK)
    {
        ngx_http_webauthn_event_reason(ev, 0, "%V could not be resolved "
                                       "(%i: %s)", &resolve->name,
                                       resolve->state,
                                       ngx_resolver_strerror(resolve->state));
        goto failed;
    }

    ngx_resolve_name_done(resolve);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s: \"%V\" was resolved to %V", server->name,
                   &server->host, &ev->resolved.name);

    if (server->reresolve) {
        rc = ngx_http_webauthn_event_connect(ev);

    } else {
        rc = ngx_http_webauthn_event_connect_peer(ev, &ev->resolved);
    }

    if (rc != NGX_OK) {
        ngx_http_webauthn_event_fail(ev);
    }

    return;

failed:

    ngx_resolve_name_done(resolve);

    ngx_http_webauthn_event_wipe(ev);
    ngx_http_webauthn_event_fail(ev);
}


/* a new connection to addr */

static ngx_int_t
ngx_http_webauthn_event_connect_peer(ngx_http_webauthn_event_t *ev,
    ngx_addr_t *addr)
{
    ngx_int_t                  rc;
    ngx_err_t                  err;
    ngx_connection_t          *c;
    ngx_http_webauthn_peer_t  *server;

    server = ev->server;

    ev->peer.sockaddr = addr->sockaddr;
    ev->peer.socklen = addr->socklen;
    ev->peer.name = &addr->name;
    ev->peer.get = ngx_event_get_peer;
    ev->peer.log = &ev->log;
    ev->peer.log_error = NGX_ERROR_INFO;

    ev->log.action = "connecting";

    rc = ngx_event_connect_peer(&ev->peer);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s connect: %i", server->name, rc);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        err = (rc == NGX_DECLINED) ? ngx_socket_errno : 0;

        ngx_http_webauthn_event_reason(ev, err, "%s connect() to %V failed",
                                       server->name, &addr->name);
        ev->peer.connection = NULL;

        ngx_http_webauthn_event_wipe(ev);

        return NGX_ERROR;
    }

    c = ev->peer.connection;

    /* the peer, for the keepalive pool: addr may not outlive the exchange */

    ev->socklen = ngx_min(addr->socklen, (socklen_t) sizeof(ngx_sockaddr_t));
    ngx_memcpy(&ev->sockaddr, addr->sockaddr, ev->socklen);

    /* a request goes in one write; do not let Nagle hold it */

    if (c->type == SOCK_STREAM
        && addr->sockaddr->sa_family != AF_UNIX
        && ngx_tcp_nodelay(c) != NGX_OK)
    {
        goto failed;
    }

    if (server->ssl) {

        /* the TLS state outlives the exchange in the keepalive pool */

        c->pool = ngx_create_pool(256, ngx_cycle->log);
        if (c->pool == NULL) {
            goto failed;
        }
    }

    c->data = ev;
    c->read->handler = ngx_http_webauthn_event_read_handler;
    c->write->handler = ngx_http_webauthn_event_write_handler;

    if (rc == NGX_AGAIN) {
        ngx_add_timer(c->write, server->connect_timeout);
        return NGX_OK;
    }

    /* a unix socket (or loopback) connected at once */

    ev->connected = 1;

    if (server->ssl) {
        /* the handshake, from the write handler, within connect_timeout */
        ngx_add_timer(c->write, server->connect_timeout);

    } else {
        ev->secured = 1;
        ngx_http_webauthn_event_reply_timer(ev, c);
    }

    ngx_post_event(c->write, &ngx_posted_events);

    return NGX_OK;

failed:

    ngx_http_webauthn_event_close(c);
    ev->peer.connection = NULL;

    ngx_http_webauthn_event_wipe(ev);

    ngx_http_webauthn_event_reason(ev, 0, "%s connection to %V failed",
                                   server->name, &addr->name);

    return NGX_ERROR;
}


/* a failure after start() returned: done; within start(): its NGX_ERROR */

static void
ngx_http_webauthn_event_fail(ngx_http_webauthn_event_t *ev)
{
    if (ev->starting) {
        ev->start_failed = 1;
        return;
    }

    ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
}


/*
 * a new connection's TLS is up and its peer verified
 * (ngx_http_webauthn_event_ssl.c): the exchange's handlers, the reply
 * timer, the request
 */

void
ngx_http_webauthn_event_secured(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c)
{
    /* the handshake had handlers of its own */

    c->read->handler = ngx_http_webauthn_event_read_handler;
    c->write->handler = ngx_http_webauthn_event_write_handler;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    ev->secured = 1;

    ngx_http_webauthn_event_reply_timer(ev, c);

    /* c->send and c->recv are nginx's SSL ones now */

    ngx_http_webauthn_event_write_handler(c->write);
}


/* where a new connection of the exchange goes: NULL while not known */

static ngx_addr_t *
ngx_http_webauthn_event_target(ngx_http_webauthn_event_t *ev)
{
    if (ev->server->addr) {
        return ev->server->addr;
    }

    return ev->resolved.sockaddr ? &ev->resolved : NULL;
}


/* every connection of the base ends here: TLS freed, no close_notify wait */

static void
ngx_http_webauthn_event_close(ngx_connection_t *c)
{
    ngx_pool_t  *pool;

    if (c->ssl) {
        ngx_http_webauthn_event_ssl_shutdown(c);
    }

    pool = c->pool;

    ngx_close_connection(c);

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


static ngx_str_t *
ngx_http_webauthn_event_label(ngx_http_webauthn_peer_t *server)
{
    return server->addr ? &server->addr->name : &server->label;
}


static ngx_connection_t *
ngx_http_webauthn_event_get_cached(ngx_http_webauthn_event_t *ev)
{
    ngx_queue_t                      *q;
    ngx_addr_t                       *addr;
    ngx_connection_t                 *c;
    ngx_http_webauthn_peer_t         *server;
    ngx_http_webauthn_event_cache_t  *item;

    server = ev->server;
    addr = ngx_http_webauthn_event_target(ev);

    for ( ;; ) {

        if (server->keepalive == 0 || ngx_queue_empty(&server->cache)) {
            return NULL;
        }

        q = ngx_queue_head(&server->cache);
        ngx_queue_remove(q);
        ngx_queue_insert_head(&server->free, q);

        item = ngx_queue_data(q, ngx_http_webauthn_event_cache_t, queue);

        c = item->connection;
        item->connection = NULL;

        /* one to an address the server no longer has is of no use */

        if (addr == NULL
            || ngx_cmp_sockaddr((struct sockaddr *) &item->sockaddr,
                                item->socklen, addr->sockaddr, addr->socklen,
                                1)
               == NGX_OK)
        {
            break;
        }

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                       "%s close idle connection %p to a former address",
                       server->name, c);

        ngx_http_webauthn_event_close(c);
    }

    ev->socklen = item->socklen;
    ngx_memcpy(&ev->sockaddr, &item->sockaddr, item->socklen);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s using keepalive connection %p", server->name, c);

    c->idle = 0;
    c->log = &ev->log;
    c->read->log = &ev->log;
    c->write->log = &ev->log;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    ev->peer.connection = c;
    ev->cached = 1;

    return c;
}


static ngx_int_t
ngx_http_webauthn_event_test_connect(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c)
{
    int        err;
    socklen_t  len;

#if (NGX_HAVE_KQUEUE)

    if (ngx_event_flags & NGX_USE_KQUEUE_EVENT) {

        if (c->write->pending_eof || c->read->pending_eof) {
            err = c->write->pending_eof ? c->write->kq_errno
                                        : c->read->kq_errno;
            goto failed;
        }

        return NGX_OK;
    }

#endif

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = ngx_socket_errno;
    }

    if (err == 0) {
        return NGX_OK;
    }

#if (NGX_HAVE_KQUEUE)
failed:
#endif

    ngx_http_webauthn_event_reason(ev, err, "%s connect() to %V failed",
                                   ev->server->name, ev->peer.name);

    return NGX_ERROR;
}


/* a pooled connection that fails before any reply byte: once, afresh */

static ngx_int_t
ngx_http_webauthn_event_retry(ngx_http_webauthn_event_t *ev)
{
    if (!ev->cached || ev->retried || ev->received || ev->persistent) {
        return NGX_DECLINED;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s keepalive connection %p is dead, retrying",
                   ev->server->name, ev->peer.connection);

    ngx_http_webauthn_event_close(ev->peer.connection);
    ev->peer.connection = NULL;

    ev->retried = 1;

    if (ngx_http_webauthn_event_connect(ev) != NGX_OK) {
        ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
    }

    return NGX_OK;
}


/* a reply is awaited: a persistent connection's owner times its own */

static void
ngx_http_webauthn_event_reply_timer(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c)
{
    if (!ev->persistent) {
        ngx_add_timer(c->read, ev->timeout);
    }
}


ngx_int_t
ngx_http_webauthn_event_append(ngx_http_webauthn_event_t *ev, ngx_str_t *data,
    ngx_uint_t n)
{
    size_t             size, sent, unsent, len;
    ngx_buf_t         *b, *nb;
    ngx_uint_t         i;
    ngx_connection_t  *c;

    b = ev->request;

    if (b == NULL) {
        return NGX_ERROR;
    }

    len = 0;

    for (i = 0; i < n; i++) {
        len += data[i].len;
    }

    if ((size_t) (b->end - b->last) < len) {

        /*
         * the bytes not yet sent, and these, in a new buffer twice their
         * size: it grows with what waits to be sent, not with time
         */

        sent = b->pos - b->start;
        unsent = b->last - b->pos;
        size = ngx_max(2 * (unsent + len), NGX_HTTP_WEBAUTHN_EVENT_RECV_SIZE);

        nb = ngx_create_temp_buf(ev->pool, size);
        if (nb == NULL) {
            return NGX_ERROR;
        }

        nb->last = ngx_cpymem(nb->last, b->pos, unsent);

        /* a secret (AUTH) not yet sent moves with the rest */

        if (ev->secret) {
            ngx_explicit_memzero(b->start, b->last - b->start);
            ev->secret = (ev->secret > sent) ? ev->secret - sent : 0;
        }

        (void) ngx_pfree(ev->pool, b->start);

        ev->request = nb;
        b = nb;
    }

    /* all of them or nothing: the stream never holds half an op */

    for (i = 0; i < n; i++) {
        b->last = ngx_cpymem(b->last, data[i].data, data[i].len);
    }

    /* one write for what the pass appended: from the event loop */

    c = ev->peer.connection;

    if (c && ev->connected && ev->secured) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


void
ngx_http_webauthn_event_finish(ngx_http_webauthn_event_t *ev)
{
    ev->reusable = 0;

    ngx_http_webauthn_event_finalize(ev, NGX_OK);
}


static void
ngx_http_webauthn_event_write_handler(ngx_event_t *wev)
{
    ssize_t                     n, size;
    ngx_err_t                   err;
    ngx_buf_t                  *b;
    ngx_connection_t           *c;
    ngx_http_webauthn_peer_t   *server;
    ngx_http_webauthn_event_t  *ev;

    c = wev->data;
    ev = c->data;
    server = ev->server;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, wev->log, 0,
                   "%s write handler", server->name);

    if (wev->timedout) {
        ngx_http_webauthn_event_reason(ev, 0, "%s timed out", server->name);
        ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
        return;
    }

    if (!ev->connected) {
        if (ngx_http_webauthn_event_test_connect(ev, c) != NGX_OK) {
            ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
            return;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, wev->log, 0,
                       "%s connected", server->name);

        ev->connected = 1;

        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        if (server->ssl == NULL) {
            ev->secured = 1;
            ngx_http_webauthn_event_reply_timer(ev, c);
        }
    }

    if (!ev->secured) {
        /* the request is sent once the handshake is done */
        ngx_http_webauthn_event_ssl_init(ev, c);
        return;
    }

    if (!ev->up) {
        ev->up = 1;

        if (ev->ready) {
            ev->ready(ev);
        }
    }

    ev->log.action = "sending request";

    b = ev->request;
    size = b->last - b->pos;

    if (size == 0) {
        /* the write event was both posted and reported */
        return;
    }

    n = c->send(c, b->pos, size);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, wev->log, 0,
                   "%s send: %z of %z", server->name, n, size);

    if (n == NGX_ERROR) {
        err = ngx_socket_errno;

        if (ngx_http_webauthn_event_retry(ev) == NGX_OK) {
            return;
        }

        ngx_http_webauthn_event_reason(ev, err, "%s send() failed",
                                       server->name);
        ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
        return;
    }

    if (n > 0) {
        b->pos += n;

        if (n == size) {
            ngx_http_webauthn_event_wipe(ev);

            ev->log.action = "reading reply";

            if (ev->persistent) {
                /* the buffer takes the next writes from its start */
                b->pos = b->start;
                b->last = b->start;

            } else {
                wev->handler = ngx_http_webauthn_event_dummy_handler;
            }

            if (wev->timer_set) {
                ngx_del_timer(wev);
            }

            if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                ngx_http_webauthn_event_reason(ev, 0, "%s write event failed",
                                               server->name);
                ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
            }

            return;
        }
    }

    if (!wev->timer_set) {
        ngx_add_timer(wev, ev->timeout);
    }

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_http_webauthn_event_reason(ev, 0, "%s write event failed",
                                       server->name);
        ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
    }
}


static void
ngx_http_webauthn_event_read_handler(ngx_event_t *rev)
{
    ssize_t                     n;
    ngx_int_t                   rc;
    ngx_err_t                   err;
    ngx_connection_t           *c;
    ngx_http_webauthn_peer_t   *server;
    ngx_http_webauthn_event_t  *ev;
    u_char                      buf[NGX_HTTP_WEBAUTHN_EVENT_RECV_SIZE];

    c = rev->data;
    ev = c->data;
    server = ev->server;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rev->log, 0,
                   "%s read handler", server->name);

    if (rev->timedout) {
        ngx_http_webauthn_event_reason(ev, 0, "%s timed out", server->name);
        ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
        return;
    }

    if (!ev->connected) {
        if (ngx_http_webauthn_event_test_connect(ev, c) != NGX_OK) {
            ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
        }

        /* otherwise the write event completes the connect */

        return;
    }

    for ( ;; ) {

        n = c->recv(c, buf, NGX_HTTP_WEBAUTHN_EVENT_RECV_SIZE);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rev->log, 0,
                       "%s recv: %z", server->name, n);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(rev, 0) != NGX_OK) {
                ngx_http_webauthn_event_reason(ev, 0, "%s read event failed",
                                               server->name);
                ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
            }

            return;
        }

        if (n == NGX_ERROR || n == 0) {
            err = (n == NGX_ERROR) ? ngx_socket_errno : 0;

            /* a reused connection closed before any reply byte */

            if (ngx_http_webauthn_event_retry(ev) == NGX_OK) {
                return;
            }

            if (n == 0) {
                ngx_http_webauthn_event_reason(ev, 0, "%s closed the "
                                               "connection", server->name);

            } else {
                ngx_http_webauthn_event_reason(ev, err, "%s recv() failed",
                                               server->name);
            }

            ngx_http_webauthn_event_finalize(ev, NGX_ERROR);
            return;
        }

        ev->received = 1;

        rc = ev->process(ev, buf, n);

        if (rc == NGX_AGAIN) {
            continue;
        }

        ngx_http_webauthn_event_finalize(ev, rc);
        return;
    }
}


void
ngx_http_webauthn_event_finalize(ngx_http_webauthn_event_t *ev, ngx_int_t rc)
{
    ngx_connection_t  *c;

    c = ev->peer.connection;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s finalize: %i", ev->server->name, rc);

    ngx_http_webauthn_event_wipe(ev);

    if (c) {
        ev->peer.connection = NULL;

        /* the session a new connection resumes, kept or not this one */

        if (rc == NGX_OK && c->ssl && c->ssl->handshaked) {
            ngx_http_webauthn_event_ssl_save(ev, c);
        }

        if (rc == NGX_OK
            && ev->reusable
            && !ev->persistent
            && ev->server->keepalive
            && !ngx_terminate
            && !ngx_exiting
            && !c->read->eof
            && !c->read->error
            && !c->read->timedout
            && !c->write->error
            && !c->write->timedout
            && ev->request->pos == ev->request->last)
        {
            ngx_http_webauthn_event_keepalive(ev, c);

        } else {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                           "%s close connection %p", ev->server->name, c);

            ngx_http_webauthn_event_close(c);
        }
    }

    ev->log.action = NULL;
    ev->running = 0;
    ev->rc = rc;

    /* the owner may free ev */

    ev->done(ev);
}


static void
ngx_http_webauthn_event_keepalive(ngx_http_webauthn_event_t *ev,
    ngx_connection_t *c)
{
    ngx_queue_t                      *q;
    ngx_http_webauthn_peer_t         *server;
    ngx_http_webauthn_event_cache_t  *item;

    server = ev->server;

    /* a connection to where the server was (a former master) is closed */

    if (ev->socklen == 0
        || (server->addr
            && ngx_cmp_sockaddr((struct sockaddr *) &ev->sockaddr,
                                ev->socklen, server->addr->sockaddr,
                                server->addr->socklen, 1)
               != NGX_OK))
    {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                       "%s close connection %p to a former address",
                       server->name, c);

        ngx_http_webauthn_event_close(c);
        return;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_http_webauthn_event_close(c);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ev->log, 0,
                   "%s saving keepalive connection %p", server->name, c);

    if (ngx_queue_empty(&server->free)) {
        q = ngx_queue_last(&server->cache);
        ngx_queue_remove(q);

        item = ngx_queue_data(q, ngx_http_webauthn_event_cache_t, queue);

        ngx_http_webauthn_event_close(item->connection);

    } else {
        q = ngx_queue_head(&server->free);
        ngx_queue_remove(q);

        item = ngx_queue_data(q, ngx_http_webauthn_event_cache_t, queue);
    }

    ngx_queue_insert_head(&server->cache, q);

    item->connection = c;
    item->socklen = ev->socklen;
    ngx_memcpy(&item->sockaddr, &ev->sockaddr, ev->socklen);

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    ngx_add_timer(c->read, server->keepalive_timeout);

    c->read->handler = ngx_http_webauthn_event_idle_handler;
    c->write->handler = ngx_http_webauthn_event_dummy_handler;

    c->data = item;
    c->idle = 1;
    c->log = ngx_cycle->log;
    c->read->log = ngx_cycle->log;
    c->write->log = ngx_cycle->log;

    if (c->read->ready) {
        ngx_http_webauthn_event_idle_handler(c->read);
    }
}


static void
ngx_http_webauthn_event_idle_handler(ngx_event_t *ev)
{
    int                               n;
    char                              buf[1];
    ngx_connection_t                 *c;
    ngx_http_webauthn_event_cache_t  *item;

    c = ev->data;
    item = c->data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "webauthn idle handler %p", c);

    if (c->close || ev->timedout) {
        goto close;
    }

    n = recv(c->fd, buf, 1, MSG_PEEK);

    if (n == -1 && ngx_socket_errno == NGX_EAGAIN) {
        ev->ready = 0;

        if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
            goto close;
        }

        return;
    }

    /* data nobody asked for, EOF, or an error */

close:

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "webauthn close idle connection %p", c);

    ngx_http_webauthn_event_close(c);

    item->connection = NULL;

    ngx_queue_remove(&item->queue);
    ngx_queue_insert_head(&item->server->free, &item->queue);
}


static void
ngx_http_webauthn_event_dummy_handler(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "webauthn dummy handler");
}


/* secrets (AUTH) do not outlive their write */

static void
ngx_http_webauthn_event_wipe(ngx_http_webauthn_event_t *ev)
{
    if (ev->secret && ev->request) {
        ngx_explicit_memzero(ev->request->start, ev->secret);
    }

    ev->secret = 0;
}


void
ngx_http_webauthn_event_reason(ngx_http_webauthn_event_t *ev, ngx_err_t err,
    const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = ngx_pnalloc(ev->pool, NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE);
    if (p == NULL) {
        ngx_str_set(&ev->reason, "out of memory");
        return;
    }

    ev->reason.data = p;
    last = p + NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE;

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    if (err) {
        p = ngx_slprintf(p, last, " (%d: ", err);
        p = ngx_strerror(err, p, last - p);
        p = ngx_slprintf(p, last, ")");
    }

    ev->reason.len = p - ev->reason.data;
}


static u_char *
ngx_http_webauthn_event_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char                     *p;
    ngx_log_t                   owner;
    ngx_http_webauthn_event_t  *ev;

    ev = log->data;
    p = buf;

    if (ev->log_handler) {
        owner = *log;
        owner.handler = ev->log_handler;
        owner.data = ev->log_data;

        p = ev->log_handler(&owner, buf, len);

    } else if (log->action) {
        p = ngx_snprintf(buf, len, " while %s", log->action);
    }

    len -= p - buf;

    return ngx_snprintf(p, len, ", %s: %V", ev->server->name,
                        ngx_http_webauthn_event_label(ev->server));
}
