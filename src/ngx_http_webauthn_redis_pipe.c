
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Redis pipelines: the ops of a worker's requests share a connection to
 * the server (design.md, "Pipelining").
 *
 * A pipeline is a persistent exchange of the event-client base (its
 * connect, TLS and write machinery) and one bounded reader.  An op joins
 * a pipeline with room ("pipeline=" ops in flight at most), its commands
 * are appended to the connection's send buffer, and the base writes
 * everything appended during a pass of the event loop at once.  Replies
 * come back in the order the commands went out: an entry per op, in that
 * order, says how many replies are its.
 *
 *   - Every op has its own timer: timeout= (or WAIT's), plus
 *     connect_timeout while the connection is not up yet.  When it fires
 *     the op fails, and its entry stays, orphaned, to eat its replies when
 *     they come: they are never given to another op.  The pipeline then
 *     takes no new ops ("draining") and is closed when the ops left on it
 *     are done.
 *   - A connection that fails (closed, reset, garbage, AUTH refused)
 *     fails every op on it; one that owes only the replies of ops gone
 *     is closed after timeout= without an answer.  An op
 *     of which no reply byte had arrived, on a connection that had already
 *     answered others (a stale one), is sent once more on a new
 *     connection, marked "retried" (the store knows what that means for
 *     the commit).
 *   - An op with WAIT has its connection to itself while in flight: WAIT
 *     holds the connection until the replicas acknowledge.
 *   - An empty pipeline waits for the next ops up to keepalive_timeout=,
 *     and at most keepalive= of them wait; one to a server that has moved
 *     on (Sentinel's new master: the server's generation) takes no new op.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <ngx_http_webauthn_redis_pipe.h>


typedef struct ngx_http_webauthn_redis_pipe_s  ngx_http_webauthn_redis_pipe_t;


/* an op's place in the reply stream */

typedef struct {
    ngx_queue_t                        queue;     /* pipe->entries, free */
    ngx_http_webauthn_redis_op_t      *op;        /* NULL: orphaned */
    ngx_uint_t                         replies;   /* its replies */
    ngx_uint_t                         read;      /* of them, read */
} ngx_http_webauthn_redis_entry_t;


struct ngx_http_webauthn_redis_pipe_s {
    ngx_queue_t                        queue;     /* conf->pipes */
    ngx_http_webauthn_redis_conf_t    *conf;
    ngx_http_webauthn_event_t         *ev;        /* the connection's */
    wa_resp_t                         *reader;

    ngx_queue_t                        entries;   /* in flight, in order */
    ngx_queue_t                        free;      /* spare entries */
    ngx_uint_t                         nentries;
    ngx_uint_t                         live;      /* entries with an op */

    ngx_http_webauthn_redis_setup_t    setup;
    ngx_uint_t                         setup_read;

    ngx_uint_t                         generation; /* the server's */
    ngx_sockaddr_t                     sockaddr;  /* a host name's address */
    socklen_t                          socklen;   /* 0: the server's own */
    ngx_uint_t                         busy;      /* within its handlers */
    ngx_event_t                        timer;     /* a stall, or idle */

    unsigned                           draining:1;
    unsigned                           exclusive:1; /* WAIT in flight */
    unsigned                           served:1;  /* an op answered */
    unsigned                           invalid:1; /* not RESP, refused */
    unsigned                           stalled:1;
};


static ngx_int_t ngx_http_webauthn_redis_pipe_join(
    ngx_http_webauthn_redis_op_t *op, ngx_addr_t *addr);
static ngx_int_t ngx_http_webauthn_redis_pipe_resolve(
    ngx_http_webauthn_redis_op_t *op);
static void ngx_http_webauthn_redis_pipe_resolved(ngx_resolver_ctx_t *r);
static ngx_http_webauthn_redis_pipe_t *ngx_http_webauthn_redis_pipe_get(
    ngx_http_webauthn_redis_conf_t *conf, ngx_uint_t exclusive,
    ngx_uint_t fresh, ngx_addr_t *addr, ngx_str_t *reason, ngx_pool_t *pool);
static ngx_http_webauthn_redis_pipe_t *ngx_http_webauthn_redis_pipe_new(
    ngx_http_webauthn_redis_conf_t *conf, ngx_addr_t *addr,
    ngx_str_t *reason, ngx_pool_t *pool);
static ngx_int_t ngx_http_webauthn_redis_pipe_add(
    ngx_http_webauthn_redis_pipe_t *pipe, ngx_http_webauthn_redis_op_t *op);
static ngx_int_t ngx_http_webauthn_redis_pipe_create_request(
    ngx_http_webauthn_event_t *ev, ngx_uint_t fresh);
static void ngx_http_webauthn_redis_pipe_ready(ngx_http_webauthn_event_t *ev);
static ngx_int_t ngx_http_webauthn_redis_pipe_process(
    ngx_http_webauthn_event_t *ev, u_char *data, size_t len);
static ngx_int_t ngx_http_webauthn_redis_pipe_reply(
    ngx_http_webauthn_redis_pipe_t *pipe, redisReply *reply);
static ngx_uint_t ngx_http_webauthn_redis_pipe_idle(
    ngx_http_webauthn_redis_pipe_t *pipe);
static void ngx_http_webauthn_redis_pipe_done(ngx_http_webauthn_event_t *ev);
static void ngx_http_webauthn_redis_pipe_timer(ngx_event_t *ev);
static void ngx_http_webauthn_redis_pipe_op_timer(ngx_event_t *ev);
static void ngx_http_webauthn_redis_pipe_detach(
    ngx_http_webauthn_redis_pipe_t *pipe, ngx_http_webauthn_redis_op_t *op);
static void ngx_http_webauthn_redis_pipe_free(
    ngx_http_webauthn_redis_pipe_t *pipe);
static void ngx_http_webauthn_redis_pipe_fail(ngx_http_webauthn_redis_op_t *op,
    ngx_str_t *reason);


ngx_int_t
ngx_http_webauthn_redis_pipe_start(ngx_http_webauthn_redis_op_t *op)
{
    if (op->conf->server.addr == NULL) {

        /* a host name resolved at every op: a pipeline to its address */

        return ngx_http_webauthn_redis_pipe_resolve(op);
    }

    return ngx_http_webauthn_redis_pipe_join(op, NULL);
}


static ngx_int_t
ngx_http_webauthn_redis_pipe_join(ngx_http_webauthn_redis_op_t *op,
    ngx_addr_t *addr)
{
    ngx_http_webauthn_redis_pipe_t  *pipe;

    pipe = ngx_http_webauthn_redis_pipe_get(op->conf, op->timeout != 0, 0,
                                            addr, &op->reason, op->pool);
    if (pipe == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_redis_pipe_add(pipe, op) != NGX_OK) {
        ngx_str_set(&op->reason, "redis pipeline: out of memory");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * as the base resolves for a pooled connection (nginx's resolver answers
 * from its cache, within the call, until "valid=" runs out): the op's
 * pipeline is one to the address the name has now
 */

static ngx_int_t
ngx_http_webauthn_redis_pipe_resolve(ngx_http_webauthn_redis_op_t *op)
{
    ngx_int_t                       rc;
    ngx_resolver_ctx_t             *r;
    ngx_http_webauthn_peer_t       *server;
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = op->priv;
    server = &op->conf->server;

    rc = ngx_http_webauthn_peer_resolve(server, server->resolver,
                                        server->resolver_timeout,
                                        ngx_http_webauthn_redis_pipe_resolved,
                                        op, &r);

    if (rc == NGX_ERROR) {
        ngx_str_set(&op->reason, "redis resolver failed: out of memory");
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_str_set(&op->reason, "no resolver defined to resolve the "
                                 "redis host");
        return NGX_ERROR;
    }

    ctx->resolve = r;
    ctx->starting = 1;
    ctx->start_failed = 0;

    /* the handler may be called from within, with a cached answer */

    if (ngx_resolve_name(r) != NGX_OK) {
        ctx->resolve = NULL;
        ctx->starting = 0;
        ngx_str_set(&op->reason, "redis resolver failed to start");
        return NGX_ERROR;
    }

    ctx->starting = 0;

    return ctx->start_failed ? NGX_ERROR : NGX_OK;
}


static void
ngx_http_webauthn_redis_pipe_resolved(ngx_resolver_ctx_t *r)
{
    ngx_http_webauthn_redis_op_t  *op = r->data;

    u_char                         *p;
    ngx_addr_t                      addr;
    ngx_http_webauthn_peer_t       *server;
    ngx_http_webauthn_redis_ctx_t  *ctx;
    ngx_http_webauthn_peer_addr_t   mem;

    ctx = op->priv;
    server = &op->conf->server;
    ctx->resolve = NULL;

    if (ngx_http_webauthn_peer_resolved(server, r, &addr, &mem) != NGX_OK) {
        p = ngx_pnalloc(op->pool, NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE);

        if (p) {
            op->reason.data = p;
            op->reason.len = ngx_snprintf(p,
                                 NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE,
                                 "%V could not be resolved (%i: %s)",
                                 &r->name, r->state,
                                 ngx_resolver_strerror(r->state))
                             - p;

        } else {
            ngx_str_set(&op->reason, "out of memory");
        }

        ngx_resolve_name_done(r);
        goto failed;
    }

    ngx_resolve_name_done(r);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, op->pool->log, 0,
                   "redis pipeline: \"%V\" is at %V", &server->host,
                   &addr.name);

    if (ngx_http_webauthn_redis_pipe_join(op, &addr) == NGX_OK) {
        return;
    }

failed:

    if (ctx->starting) {
        ctx->start_failed = 1;
        return;
    }

    op->rc = NGX_ERROR;

    ngx_http_webauthn_redis_op_done(op);
}


/* the op goes away while on a pipeline: its replies are dropped */

void
ngx_http_webauthn_redis_pipe_cancel(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_redis_ctx_t   *ctx;
    ngx_http_webauthn_redis_pipe_t  *pipe;

    ctx = op->priv;
    pipe = ctx->pipe;

    if (ctx->resolve) {
        ngx_resolve_name_done(ctx->resolve);
        ctx->resolve = NULL;
    }

    if (ctx->entry == NULL) {
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, op->pool->log, 0,
                   "redis pipeline %p: op %p cancelled", pipe, op);

    /* the entry stays to eat the replies; the op's are freed with it */

    ngx_http_webauthn_redis_pipe_detach(pipe, op);
}


void
ngx_http_webauthn_redis_pipe_cleanup(ngx_http_webauthn_redis_conf_t *conf)
{
    ngx_queue_t                     *q;
    ngx_http_webauthn_redis_pipe_t  *pipe;

    if (!conf->pipes_initialized) {
        return;
    }

    while (!ngx_queue_empty(&conf->pipes)) {
        q = ngx_queue_head(&conf->pipes);
        pipe = ngx_queue_data(q, ngx_http_webauthn_redis_pipe_t, queue);

        ngx_http_webauthn_redis_pipe_free(pipe);
    }
}


/*
 * a pipeline for an op: the busiest one with room (the most ops share a
 * write), else an empty one, else a new one; "exclusive" (WAIT): an empty
 * one or a new one; "fresh": a new one
 */

static ngx_http_webauthn_redis_pipe_t *
ngx_http_webauthn_redis_pipe_get(ngx_http_webauthn_redis_conf_t *conf,
    ngx_uint_t exclusive, ngx_uint_t fresh, ngx_addr_t *addr,
    ngx_str_t *reason, ngx_pool_t *pool)
{
    ngx_queue_t                     *q, *next;
    ngx_http_webauthn_redis_pipe_t  *pipe, *best;

    if (!conf->pipes_initialized) {
        ngx_queue_init(&conf->pipes);
        conf->pipes_initialized = 1;
    }

    best = NULL;

    for (q = ngx_queue_head(&conf->pipes);
         q != ngx_queue_sentinel(&conf->pipes);
         q = next)
    {
        next = ngx_queue_next(q);

        pipe = ngx_queue_data(q, ngx_http_webauthn_redis_pipe_t, queue);

        /*
         * a host name that moved, a Sentinel master in doubt or replaced
         * (the server's generation moved on): no more ops to it, and
         * closed now when idle
         */

        if (pipe->generation != conf->server.generation
            || (addr
                && ngx_cmp_sockaddr(&pipe->sockaddr.sockaddr, pipe->socklen,
                                    addr->sockaddr, addr->socklen, 1)
                   != NGX_OK))
        {
            pipe->draining = 1;

            if (pipe->nentries == 0 && pipe->busy == 0) {
                ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                               "redis pipeline %p: closed, to a former "
                               "address", pipe);

                ngx_http_webauthn_event_finish(pipe->ev);
            }

            continue;
        }

        if (fresh
            || pipe->draining
            || pipe->exclusive
            || pipe->nentries >= conf->pipeline)
        {
            continue;
        }

        if (exclusive) {
            if (pipe->nentries == 0 && best == NULL) {
                best = pipe;
            }

            continue;
        }

        if (best == NULL || pipe->nentries > best->nentries) {
            best = pipe;
        }
    }

    if (best) {
        return best;
    }

    return ngx_http_webauthn_redis_pipe_new(conf, addr, reason, pool);
}


static ngx_http_webauthn_redis_pipe_t *
ngx_http_webauthn_redis_pipe_new(ngx_http_webauthn_redis_conf_t *conf,
    ngx_addr_t *addr, ngx_str_t *reason, ngx_pool_t *pool)
{
    u_char                          *p;
    ngx_http_webauthn_event_t       *ev;
    ngx_http_webauthn_redis_pipe_t  *pipe;

    ev = ngx_http_webauthn_event_create(&conf->server, ngx_cycle->log);
    if (ev == NULL) {
        goto nomem;
    }

    pipe = ngx_pcalloc(ev->pool, sizeof(ngx_http_webauthn_redis_pipe_t));
    if (pipe == NULL) {
        ngx_http_webauthn_event_free(ev);
        goto nomem;
    }

    pipe->reader = wa_resp_new(0, 0);
    if (pipe->reader == NULL) {
        ngx_http_webauthn_event_free(ev);
        goto nomem;
    }

    /* the bound is on each reply, not on all the connection ever reads */

    wa_resp_stream(pipe->reader);

    pipe->conf = conf;
    pipe->ev = ev;
    pipe->generation = conf->server.generation;

    if (addr) {

        /* a host name's address now: the base connects there, as resolved */

        pipe->socklen = addr->socklen;
        ngx_memcpy(&pipe->sockaddr, addr->sockaddr, addr->socklen);

        p = ngx_pnalloc(ev->pool, addr->name.len);
        if (p == NULL) {
            wa_resp_free(pipe->reader);
            ngx_http_webauthn_event_free(ev);
            goto nomem;
        }

        ev->resolved.sockaddr = &pipe->sockaddr.sockaddr;
        ev->resolved.socklen = pipe->socklen;
        ev->resolved.name.data = p;
        ev->resolved.name.len = ngx_cpymem(p, addr->name.data, addr->name.len)
                                - p;
    }

    ngx_queue_init(&pipe->entries);
    ngx_queue_init(&pipe->free);

    pipe->timer.handler = ngx_http_webauthn_redis_pipe_timer;
    pipe->timer.data = pipe;
    pipe->timer.log = ngx_cycle->log;

    /*
     * a worker shutting down does not wait for it (the ops in flight have
     * timers of their own, which it waits for)
     */

    pipe->timer.cancelable = 1;

    ev->persistent = 1;
    ev->create_request = ngx_http_webauthn_redis_pipe_create_request;
    ev->process = ngx_http_webauthn_redis_pipe_process;
    ev->done = ngx_http_webauthn_redis_pipe_done;
    ev->ready = ngx_http_webauthn_redis_pipe_ready;
    ev->data = pipe;

    if (ngx_http_webauthn_event_start(ev) != NGX_OK) {
        p = ngx_pnalloc(pool, ev->reason.len ? ev->reason.len : 1);

        if (p) {
            reason->data = p;
            reason->len = ngx_cpymem(p, ev->reason.data, ev->reason.len) - p;

        } else {
            ngx_str_set(reason, "out of memory");
        }

        wa_resp_free(pipe->reader);
        ngx_http_webauthn_event_free(ev);

        return NULL;
    }

    ngx_queue_insert_head(&conf->pipes, &pipe->queue);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "redis pipeline %p: new, %ui ops at most",
                   pipe, conf->pipeline);

    return pipe;

nomem:

    ngx_str_set(reason, "redis pipeline: out of memory");

    return NULL;
}


static ngx_int_t
ngx_http_webauthn_redis_pipe_add(ngx_http_webauthn_redis_pipe_t *pipe,
    ngx_http_webauthn_redis_op_t *op)
{
    ngx_msec_t                        timeout;
    ngx_queue_t                      *q;
    ngx_http_webauthn_peer_t         *server;
    ngx_http_webauthn_redis_ctx_t    *ctx;
    ngx_http_webauthn_redis_entry_t  *entry;

    ctx = op->priv;
    server = &pipe->conf->server;

    if (ngx_queue_empty(&pipe->free)) {
        entry = ngx_palloc(pipe->ev->pool,
                           sizeof(ngx_http_webauthn_redis_entry_t));
        if (entry == NULL) {
            return NGX_ERROR;
        }

    } else {
        q = ngx_queue_head(&pipe->free);
        ngx_queue_remove(q);
        entry = ngx_queue_data(q, ngx_http_webauthn_redis_entry_t, queue);
    }

    /* the op's commands, whole, or nothing of them (out of memory) */

    if (ngx_http_webauthn_event_append(pipe->ev, ctx->cmds, op->ncmds)
        != NGX_OK)
    {
        ngx_queue_insert_head(&pipe->free, &entry->queue);
        return NGX_ERROR;
    }

    entry->op = op;
    entry->replies = op->ncmds;
    entry->read = 0;

    ngx_queue_insert_tail(&pipe->entries, &entry->queue);
    pipe->nentries++;
    pipe->live++;

    ctx->pipe = pipe;
    ctx->entry = entry;

    if (op->timeout) {
        pipe->exclusive = 1;
    }

    /* the op's own timeout; the connection's, a stall of all of them */

    timeout = op->timeout ? op->timeout : server->timeout;

    if (!pipe->ev->up) {
        /* until the connection is up (ready), connect_timeout runs too */
        timeout += server->connect_timeout;
    }

    ctx->timer.handler = ngx_http_webauthn_redis_pipe_op_timer;
    ctx->timer.data = op;
    ctx->timer.log = op->pool->log;

    ngx_add_timer(&ctx->timer, timeout);

    if (pipe->nentries == 1 || pipe->timer.timer_set == 0) {
        pipe->stalled = 0;
        ngx_add_timer(&pipe->timer, timeout);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, op->pool->log, 0,
                   "redis pipeline %p: op %p, %ui in flight",
                   pipe, op, pipe->nentries);

    return NGX_OK;
}


/* a new connection: AUTH, SELECT and ROLE go first */

static ngx_int_t
ngx_http_webauthn_redis_pipe_create_request(ngx_http_webauthn_event_t *ev,
    ngx_uint_t fresh)
{
    ngx_buf_t                       *b;
    ngx_http_webauthn_redis_pipe_t  *pipe;

    pipe = ev->data;

    if (ngx_http_webauthn_redis_setup(pipe->conf, ev->pool, &pipe->setup)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    pipe->setup_read = 0;

    b = ngx_http_webauthn_event_buffer(ev,
                            ngx_max(pipe->setup.cmds.len,
                                    NGX_HTTP_WEBAUTHN_EVENT_RECV_SIZE));
    if (b == NULL) {
        if (pipe->setup.secret) {
            ngx_explicit_memzero(pipe->setup.cmds.data, pipe->setup.secret);
        }

        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->last, pipe->setup.cmds.data,
                         pipe->setup.cmds.len);

    ev->secret = pipe->setup.secret;

    if (pipe->setup.secret) {
        ngx_explicit_memzero(pipe->setup.cmds.data, pipe->setup.secret);
    }

    return NGX_OK;
}


/* the connection is up: the ops' timeouts run from now, as on a reused one */

static void
ngx_http_webauthn_redis_pipe_ready(ngx_http_webauthn_event_t *ev)
{
    ngx_msec_t                        timeout, longest;
    ngx_queue_t                      *q;
    ngx_http_webauthn_redis_op_t     *op;
    ngx_http_webauthn_redis_ctx_t    *ctx;
    ngx_http_webauthn_redis_pipe_t   *pipe;
    ngx_http_webauthn_redis_entry_t  *entry;

    pipe = ev->data;
    longest = pipe->conf->server.timeout;

    for (q = ngx_queue_head(&pipe->entries);
         q != ngx_queue_sentinel(&pipe->entries);
         q = ngx_queue_next(q))
    {
        entry = ngx_queue_data(q, ngx_http_webauthn_redis_entry_t, queue);

        op = entry->op;

        if (op == NULL) {
            continue;
        }

        ctx = op->priv;
        timeout = op->timeout ? op->timeout : pipe->conf->server.timeout;

        ngx_add_timer(&ctx->timer, timeout);

        longest = ngx_max(longest, timeout);
    }

    /* a stall: no reply for as long as the longest op may take (WAIT) */

    if (pipe->nentries) {
        ngx_add_timer(&pipe->timer, longest);
    }
}


static ngx_int_t
ngx_http_webauthn_redis_pipe_process(ngx_http_webauthn_event_t *ev,
    u_char *data, size_t len)
{
    int                              rc;
    ngx_int_t                        done;
    redisReply                      *reply;
    ngx_http_webauthn_redis_pipe_t  *pipe;

    pipe = ev->data;

    if (pipe->nentries == 0 && pipe->setup_read == pipe->setup.n) {
        ngx_http_webauthn_event_reason(ev, 0, "redis sent bytes nobody "
                                       "asked for");
        pipe->invalid = 1;
        return NGX_ERROR;
    }

    rc = wa_resp_feed(pipe->reader, data, len);

    /* the handlers called from here may not close it */

    pipe->busy++;

    done = NGX_AGAIN;

    while (rc == WA_RESP_OK) {

        if (pipe->setup_read == pipe->setup.n && pipe->nentries == 0) {
            if (wa_resp_pending(pipe->reader)) {
                ngx_http_webauthn_event_reason(ev, 0, "redis sent bytes "
                                               "nobody asked for");
                done = NGX_ERROR;
            }

            break;
        }

        rc = wa_resp_reply(pipe->reader, &reply);

        if (rc != WA_RESP_OK) {
            break;
        }

        if (pipe->setup_read < pipe->setup.n) {
            rc = ngx_http_webauthn_redis_setup_reply(ev, &pipe->setup,
                                                     pipe->setup_read, reply);
            freeReplyObject(reply);

            if (rc != NGX_OK) {
                done = NGX_ERROR;
                break;
            }

            pipe->setup_read++;
            continue;
        }

        if (ngx_http_webauthn_redis_pipe_reply(pipe, reply) != NGX_OK) {
            done = NGX_ERROR;
            break;
        }
    }

    pipe->busy--;

    if (done == NGX_ERROR) {
        pipe->invalid = 1;
        return NGX_ERROR;
    }

    pipe->invalid = (rc != WA_RESP_OK && rc != WA_RESP_AGAIN);

    if (rc == WA_RESP_TOO_LARGE) {
        ngx_http_webauthn_event_reason(ev, 0, "redis reply is too large: %s",
                                       wa_resp_why(pipe->reader));
        return NGX_ERROR;
    }

    if (rc != WA_RESP_OK && rc != WA_RESP_AGAIN) {
        ngx_http_webauthn_event_reason(ev, 0, "redis sent an invalid reply: "
                                       "%s", wa_resp_why(pipe->reader));
        return NGX_ERROR;
    }

    if (pipe->nentries) {
        return NGX_AGAIN;
    }

    /* empty: closed, or kept for the next ops */

    if (ngx_http_webauthn_redis_pipe_idle(pipe)) {
        return NGX_AGAIN;
    }

    ev->reusable = 0;

    return NGX_OK;
}


/* the head entry's next reply */

static ngx_int_t
ngx_http_webauthn_redis_pipe_reply(ngx_http_webauthn_redis_pipe_t *pipe,
    redisReply *reply)
{
    ngx_queue_t                      *q;
    ngx_http_webauthn_redis_op_t     *op;
    ngx_http_webauthn_redis_entry_t  *entry;

    q = ngx_queue_head(&pipe->entries);
    entry = ngx_queue_data(q, ngx_http_webauthn_redis_entry_t, queue);

    op = entry->op;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, pipe->ev->pool->log, 0,
                   "redis pipeline %p: reply %ui type %d of op %p",
                   pipe, entry->read, reply->type, op);

    if (op) {
        op->replies[entry->read] = reply;

    } else {
        freeReplyObject(reply);
    }

    if (++entry->read < entry->replies) {
        return NGX_OK;
    }

    /* the entry is answered */

    ngx_queue_remove(q);
    ngx_queue_insert_head(&pipe->free, q);
    pipe->nentries--;
    pipe->served = 1;
    pipe->exclusive = 0;

    /* the connection makes progress: its stall timer starts again */

    if (pipe->nentries) {
        ngx_add_timer(&pipe->timer, pipe->conf->server.timeout);
    }

    if (op == NULL) {
        return NGX_OK;
    }

    ngx_http_webauthn_redis_pipe_detach(pipe, op);

    op->rc = NGX_OK;

    /* the handler may free the op, and start others on this pipeline */

    ngx_http_webauthn_redis_op_done(op);

    return NGX_OK;
}


/* an empty pipeline: kept (NGX_OK, 1) or to be closed (0) */

static ngx_uint_t
ngx_http_webauthn_redis_pipe_idle(ngx_http_webauthn_redis_pipe_t *pipe)
{
    ngx_uint_t                       idle;
    ngx_queue_t                     *q;
    ngx_http_webauthn_peer_t        *server;
    ngx_http_webauthn_redis_pipe_t  *p;

    server = &pipe->conf->server;

    if (pipe->draining
        || pipe->generation != server->generation
        || ngx_terminate
        || ngx_exiting)
    {
        return 0;
    }

    idle = 0;

    for (q = ngx_queue_head(&pipe->conf->pipes);
         q != ngx_queue_sentinel(&pipe->conf->pipes);
         q = ngx_queue_next(q))
    {
        p = ngx_queue_data(q, ngx_http_webauthn_redis_pipe_t, queue);

        if (p->nentries == 0) {
            idle++;
        }
    }

    if (idle > server->keepalive) {
        return 0;
    }

    pipe->stalled = 0;
    ngx_add_timer(&pipe->timer, server->keepalive_timeout);

    return 1;
}


/*
 * the connection is closed (a failure, or finished): every op on it
 * fails, or is sent again once on a new connection
 */

static void
ngx_http_webauthn_redis_pipe_done(ngx_http_webauthn_event_t *ev)
{
    ngx_int_t                         rc;
    ngx_str_t                         reason;
    ngx_uint_t                        retry, partial;
    ngx_queue_t                       ops, *q;
    ngx_http_webauthn_redis_op_t     *op;
    ngx_http_webauthn_redis_pipe_t   *pipe, *fresh;
    ngx_http_webauthn_redis_conf_t   *conf;
    ngx_http_webauthn_redis_entry_t  *entry;
    ngx_addr_t                        where, *addr;
    ngx_sockaddr_t                    sa;
    u_char                            buf[NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE];

    pipe = ev->data;
    conf = pipe->conf;
    rc = ev->rc;

    /* a host name's: the ops sent again go where this one went */

    addr = NULL;

    if (pipe->socklen) {
        ngx_memcpy(&sa, &pipe->sockaddr, pipe->socklen);
        where.sockaddr = &sa.sockaddr;
        where.socklen = pipe->socklen;
        ngx_str_null(&where.name);
        addr = &where;
    }

    /* the reason outlives the pipeline's pool */

    if (pipe->stalled) {
        ngx_str_set(&reason, "redis timed out");

    } else if (rc == NGX_OK || ev->reason.len == 0) {
        ngx_str_set(&reason, "redis closed the connection");

    } else {
        reason.data = buf;
        reason.len = ngx_min(ev->reason.len, sizeof(buf));
        ngx_memcpy(buf, ev->reason.data, reason.len);
    }

    /*
     * sent again: the ops of which no reply byte came, when the connection
     * broke (not a stall, not garbage) after it had answered others
     */

    retry = (rc != NGX_OK && pipe->served && !pipe->stalled
             && !pipe->invalid);

    /* the head entry may have had part of its reply */

    partial = wa_resp_pending(pipe->reader);

    ngx_queue_init(&ops);

    for (q = ngx_queue_head(&pipe->entries);
         q != ngx_queue_sentinel(&pipe->entries);
         q = ngx_queue_next(q))
    {
        entry = ngx_queue_data(q, ngx_http_webauthn_redis_entry_t, queue);

        op = entry->op;

        if (op) {
            ngx_http_webauthn_redis_pipe_detach(pipe, op);

            if (retry && !op->retried && entry->read == 0 && !partial) {
                op->retried = 1;
                op->rc = NGX_AGAIN;

            } else {
                ngx_http_webauthn_redis_pipe_fail(op, &reason);
            }

            /* op->queue is free: the op is not waiting for Sentinel */

            ngx_queue_insert_tail(&ops, &op->queue);
        }

        partial = 0;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "redis pipeline %p: closed (%i)", pipe, rc);

    ngx_http_webauthn_redis_pipe_free(pipe);

    /* the ops to send again, on a new connection */

    fresh = NULL;

    for (q = ngx_queue_head(&ops);
         q != ngx_queue_sentinel(&ops);
         q = ngx_queue_next(q))
    {
        op = ngx_queue_data(q, ngx_http_webauthn_redis_op_t, queue);

        if (op->rc != NGX_AGAIN) {
            continue;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->pool->log, 0,
                       "redis pipeline: op %p sent again on a new "
                       "connection", op);

        if (fresh == NULL || fresh->nentries >= conf->pipeline
            || op->timeout)
        {
            fresh = ngx_http_webauthn_redis_pipe_get(conf, op->timeout != 0,
                                                     1, addr, &op->reason,
                                                     op->pool);
        }

        if (fresh && ngx_http_webauthn_redis_pipe_add(fresh, op) == NGX_OK) {
            op->rc = NGX_DONE;
            continue;
        }

        if (op->reason.len == 0) {
            ngx_str_set(&op->reason, "redis pipeline: out of memory");
        }

        op->rc = NGX_ERROR;
    }

    /* the failed ones: their handlers may free them */

    while (!ngx_queue_empty(&ops)) {
        q = ngx_queue_head(&ops);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, ngx_http_webauthn_redis_op_t, queue);

        if (op->rc == NGX_DONE) {
            op->rc = NGX_ERROR;
            continue;
        }

        ngx_http_webauthn_redis_op_done(op);
    }
}


/*
 * nothing answered for timeout= (or WAIT's) while only the replies of ops
 * gone are owed, or keepalive_timeout= idle
 */

static void
ngx_http_webauthn_redis_pipe_timer(ngx_event_t *ev)
{
    ngx_http_webauthn_redis_pipe_t  *pipe = ev->data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "redis pipeline %p: timer, %ui in flight",
                   pipe, pipe->nentries);

    /*
     * the ops still waiting have timers of their own, and keep theirs: an
     * op sent behind a late one may still get its reply in time
     */

    if (pipe->live) {
        ngx_add_timer(&pipe->timer, pipe->conf->server.timeout);
        return;
    }

    /* only the replies of ops gone are owed: not worth the connection */

    if (pipe->nentries) {
        pipe->stalled = 1;
        ngx_http_webauthn_event_reason(pipe->ev, 0, "redis timed out");
    }

    /* done is called from within: it frees the pipeline */

    ngx_http_webauthn_event_finish(pipe->ev);
}


static void
ngx_http_webauthn_redis_pipe_op_timer(ngx_event_t *ev)
{
    ngx_http_webauthn_redis_op_t  *op = ev->data;

    ngx_http_webauthn_redis_ctx_t   *ctx;
    ngx_http_webauthn_redis_pipe_t  *pipe;

    ctx = op->priv;
    pipe = ctx->pipe;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "redis pipeline %p: op %p timed out", pipe, op);

    /* orphaned: its replies, if they come, are dropped */

    ngx_http_webauthn_redis_pipe_detach(pipe, op);

    /* a connection this slow takes no more ops */

    pipe->draining = 1;

    op->rc = NGX_ERROR;
    ngx_str_set(&op->reason, "redis timed out");

    /* the handler may free the op; it never frees the pipeline */

    pipe->busy++;

    ngx_http_webauthn_redis_op_done(op);

    pipe->busy--;

    /* nothing left on it but the replies of ops gone */

    if (pipe->live == 0) {
        ngx_http_webauthn_event_finish(pipe->ev);
    }
}


/*
 * the op leaves the pipeline: answered, failed, timed out or cancelled;
 * its entry, if still queued, is an orphan's that eats the replies
 */

static void
ngx_http_webauthn_redis_pipe_detach(ngx_http_webauthn_redis_pipe_t *pipe,
    ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_redis_ctx_t    *ctx;
    ngx_http_webauthn_redis_entry_t  *entry;

    ctx = op->priv;
    entry = ctx->entry;

    entry->op = NULL;

    ctx->pipe = NULL;
    ctx->entry = NULL;
    pipe->live--;

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }
}


static void
ngx_http_webauthn_redis_pipe_free(ngx_http_webauthn_redis_pipe_t *pipe)
{
    ngx_queue_t                      *q;
    ngx_http_webauthn_redis_entry_t  *entry;

    if (pipe->timer.timer_set) {
        ngx_del_timer(&pipe->timer);
    }

    ngx_queue_remove(&pipe->queue);

    /* worker exit: ops still on it are left without a pipeline */

    for (q = ngx_queue_head(&pipe->entries);
         q != ngx_queue_sentinel(&pipe->entries);
         q = ngx_queue_next(q))
    {
        entry = ngx_queue_data(q, ngx_http_webauthn_redis_entry_t, queue);

        if (entry->op) {
            ngx_http_webauthn_redis_pipe_detach(pipe, entry->op);
        }
    }

    wa_resp_free(pipe->reader);
    pipe->reader = NULL;

    /* the pipeline is in the exchange's pool */

    ngx_http_webauthn_event_free(pipe->ev);
}


static void
ngx_http_webauthn_redis_pipe_fail(ngx_http_webauthn_redis_op_t *op,
    ngx_str_t *reason)
{
    op->rc = NGX_ERROR;

    ngx_http_webauthn_redis_reason(op, reason);
}
