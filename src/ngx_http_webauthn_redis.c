
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <ngx_http_webauthn_redis.h>

#include <hiredis/read.h>


/* all replies of an op, AUTH and SELECT included, may not exceed this */
#define NGX_HTTP_WEBAUTHN_REDIS_MAX_REPLY     (1024 * 1024)

/* an array element takes at least 4 bytes on the wire ("$-1\r\n") */
#define NGX_HTTP_WEBAUTHN_REDIS_MAX_ELEMENTS                                  \
    (NGX_HTTP_WEBAUTHN_REDIS_MAX_REPLY / 4)

#define NGX_HTTP_WEBAUTHN_REDIS_RECV_SIZE     4096
#define NGX_HTTP_WEBAUTHN_REDIS_REASON_SIZE   256


typedef struct {
    ngx_http_webauthn_redis_conf_t    *conf;
    ngx_queue_t                        queue;
    ngx_connection_t                  *connection;
} ngx_http_webauthn_redis_cache_t;


typedef struct {
    ngx_http_webauthn_redis_op_t      *op;
    ngx_peer_connection_t              peer;

    /* the owner's log, with ", redis: ADDRESS" added */
    ngx_log_t                          log;
    ngx_log_handler_pt                 log_handler;
    void                              *log_data;

    ngx_str_t                          cmds[NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS];
    size_t                             cmds_len;

    ngx_buf_t                         *request;
    size_t                             secret;     /* AUTH bytes in request */

    redisReader                       *reader;
    ngx_uint_t                         nsetup;     /* AUTH, SELECT replies */
    ngx_uint_t                         nreplies;   /* replies read */
    size_t                             received;

    unsigned                           running:1;
    unsigned                           connected:1;
    unsigned                           cached:1;
    unsigned                           retried:1;
    unsigned                           auth:1;
    unsigned                           logged:1;
    unsigned                           too_large:1;
} ngx_http_webauthn_redis_ctx_t;


typedef void *(*ngx_http_webauthn_redis_create_array_pt)(
    const redisReadTask *task, int elements);


static void ngx_http_webauthn_redis_cleanup_op(void *data);
static ngx_int_t ngx_http_webauthn_redis_init(
    ngx_http_webauthn_redis_conf_t *conf);
static ngx_int_t ngx_http_webauthn_redis_connect(
    ngx_http_webauthn_redis_ctx_t *ctx);
static ngx_connection_t *ngx_http_webauthn_redis_get_cached(
    ngx_http_webauthn_redis_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_redis_create_request(
    ngx_http_webauthn_redis_ctx_t *ctx, ngx_uint_t setup);
static ngx_int_t ngx_http_webauthn_redis_format(
    ngx_http_webauthn_redis_ctx_t *ctx, ngx_str_t *out, int argc,
    const char **argv, const size_t *argvlen);
static ngx_int_t ngx_http_webauthn_redis_test_connect(
    ngx_http_webauthn_redis_ctx_t *ctx, ngx_connection_t *c);
static ngx_int_t ngx_http_webauthn_redis_retry(
    ngx_http_webauthn_redis_ctx_t *ctx);
static void ngx_http_webauthn_redis_write_handler(ngx_event_t *wev);
static void ngx_http_webauthn_redis_read_handler(ngx_event_t *rev);
static ngx_int_t ngx_http_webauthn_redis_process(
    ngx_http_webauthn_redis_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_redis_check_setup(
    ngx_http_webauthn_redis_ctx_t *ctx, redisReply *reply);
static void ngx_http_webauthn_redis_finalize(
    ngx_http_webauthn_redis_ctx_t *ctx, ngx_int_t rc);
static void ngx_http_webauthn_redis_keepalive(
    ngx_http_webauthn_redis_ctx_t *ctx, ngx_connection_t *c);
static void ngx_http_webauthn_redis_idle_handler(ngx_event_t *ev);
static void ngx_http_webauthn_redis_dummy_handler(ngx_event_t *ev);
static void ngx_http_webauthn_redis_wipe(ngx_http_webauthn_redis_ctx_t *ctx);
static void ngx_http_webauthn_redis_reason(ngx_http_webauthn_redis_ctx_t *ctx,
    ngx_err_t err, const char *fmt, ...);
static u_char *ngx_http_webauthn_redis_log_error(ngx_log_t *log, u_char *buf,
    size_t len);
static void *ngx_http_webauthn_redis_create_array(const redisReadTask *task,
    int elements);


static redisReplyObjectFunctions         ngx_http_webauthn_redis_functions;
static ngx_http_webauthn_redis_create_array_pt
                                         ngx_http_webauthn_redis_array;


ngx_http_webauthn_redis_op_t *
ngx_http_webauthn_redis_create(ngx_http_webauthn_redis_conf_t *conf,
    ngx_log_t *log)
{
    ngx_pool_t                     *pool;
    redisReader                    *reader;
    ngx_pool_cleanup_t             *cln;
    ngx_http_webauthn_redis_op_t   *op;
    ngx_http_webauthn_redis_ctx_t  *ctx;

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NULL;
    }

    op = ngx_pcalloc(pool, sizeof(ngx_http_webauthn_redis_op_t));
    if (op == NULL) {
        goto failed;
    }

    ctx = ngx_pcalloc(pool, sizeof(ngx_http_webauthn_redis_ctx_t));
    if (ctx == NULL) {
        goto failed;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    reader = redisReaderCreate();
    if (reader == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0, "redisReaderCreate() failed");
        goto failed;
    }

    /*
     * hiredis allocates an array's element vector as soon as it sees its
     * header, so a bogus "*2000000000" would make it allocate gigabytes:
     * the reader gets hiredis' own functions with a bounded createArray
     */

    if (ngx_http_webauthn_redis_array == NULL) {
        ngx_http_webauthn_redis_functions = *reader->fn;
        ngx_http_webauthn_redis_array = reader->fn->createArray;
        ngx_http_webauthn_redis_functions.createArray =
                                        ngx_http_webauthn_redis_create_array;
    }

    reader->fn = &ngx_http_webauthn_redis_functions;
    reader->privdata = ctx;

    ctx->reader = reader;

    cln->handler = ngx_http_webauthn_redis_cleanup_op;
    cln->data = ctx;

    ctx->op = op;

    ctx->log = *log;
    ctx->log_handler = log->handler;
    ctx->log_data = log->data;
    ctx->log.handler = ngx_http_webauthn_redis_log_error;
    ctx->log.data = ctx;
    ctx->log.action = NULL;

    pool->log = &ctx->log;

    op->pool = pool;
    op->log = log;
    op->conf = conf;
    op->rc = NGX_ERROR;
    op->priv = ctx;

    return op;

failed:

    ngx_destroy_pool(pool);

    return NULL;
}


ngx_int_t
ngx_http_webauthn_redis_append(ngx_http_webauthn_redis_op_t *op, int argc,
    const char **argv, const size_t *argvlen)
{
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = op->priv;

    if (op->ncmds == NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS
        || argc < 1
        || ctx->running
        || ctx->request != NULL)
    {
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_redis_format(ctx, &ctx->cmds[op->ncmds], argc,
                                       argv, argvlen)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->cmds_len += ctx->cmds[op->ncmds].len;
    op->ncmds++;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_redis_run(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = op->priv;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                   "redis run: %ui commands to %V",
                   op->ncmds, &op->conf->addr->name);

    if (op->ncmds == 0 || ctx->running || ctx->request != NULL) {
        ngx_str_set(&op->reason, "redis operation cannot be run");
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_redis_init(op->conf) != NGX_OK) {
        ngx_str_set(&op->reason, "redis keepalive pool allocation failed");
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_redis_connect(ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->running = 1;

    return NGX_OK;
}


void
ngx_http_webauthn_redis_cancel(ngx_http_webauthn_redis_op_t *op)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, op->log, 0, "redis cancel");

    /*
     * the I/O ends at once: the connection is closed (a half-read pipeline
     * cannot be reused) and everything is freed by the pool cleanup
     */

    ngx_destroy_pool(op->pool);
}


void
ngx_http_webauthn_redis_free(ngx_http_webauthn_redis_op_t *op)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, op->log, 0, "redis free");

    ngx_destroy_pool(op->pool);
}


void
ngx_http_webauthn_redis_cleanup(ngx_http_webauthn_redis_conf_t *conf)
{
    ngx_queue_t                      *q;
    ngx_http_webauthn_redis_cache_t  *item;

    if (!conf->initialized) {
        return;
    }

    while (!ngx_queue_empty(&conf->cache)) {
        q = ngx_queue_head(&conf->cache);
        ngx_queue_remove(q);

        item = ngx_queue_data(q, ngx_http_webauthn_redis_cache_t, queue);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "redis close idle connection %p", item->connection);

        ngx_close_connection(item->connection);
        item->connection = NULL;

        ngx_queue_insert_head(&conf->free, q);
    }
}


static void
ngx_http_webauthn_redis_cleanup_op(void *data)
{
    ngx_http_webauthn_redis_ctx_t  *ctx = data;

    ngx_uint_t                     i;
    ngx_http_webauthn_redis_op_t  *op;

    op = ctx->op;

    if (ctx->peer.connection) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                       "redis close connection %p of a cancelled op",
                       ctx->peer.connection);

        ngx_close_connection(ctx->peer.connection);
        ctx->peer.connection = NULL;
    }

    ctx->running = 0;

    ngx_http_webauthn_redis_wipe(ctx);

    redisReaderFree(ctx->reader);
    ctx->reader = NULL;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS; i++) {
        if (op->replies[i]) {
            freeReplyObject(op->replies[i]);
            op->replies[i] = NULL;
        }
    }
}


static ngx_int_t
ngx_http_webauthn_redis_init(ngx_http_webauthn_redis_conf_t *conf)
{
    ngx_uint_t                        i;
    ngx_http_webauthn_redis_cache_t  *cached;

    if (conf->initialized) {
        return NGX_OK;
    }

    ngx_queue_init(&conf->cache);
    ngx_queue_init(&conf->free);

    if (conf->keepalive) {
        cached = ngx_pcalloc(ngx_cycle->pool,
                     sizeof(ngx_http_webauthn_redis_cache_t) * conf->keepalive);
        if (cached == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < conf->keepalive; i++) {
            cached[i].conf = conf;
            ngx_queue_insert_head(&conf->free, &cached[i].queue);
        }
    }

    conf->initialized = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_redis_connect(ngx_http_webauthn_redis_ctx_t *ctx)
{
    ngx_int_t                        rc;
    ngx_err_t                        err;
    ngx_connection_t                *c;
    ngx_http_webauthn_redis_conf_t  *conf;

    conf = ctx->op->conf;

    ctx->connected = 0;
    ctx->cached = 0;
    ctx->nreplies = 0;
    ctx->received = 0;

    ngx_memzero(&ctx->peer, sizeof(ngx_peer_connection_t));

    ctx->peer.sockaddr = conf->addr->sockaddr;
    ctx->peer.socklen = conf->addr->socklen;
    ctx->peer.name = &conf->addr->name;
    ctx->peer.get = ngx_event_get_peer;
    ctx->peer.log = &ctx->log;
    ctx->peer.log_error = NGX_ERROR_INFO;

    /* a retry is on a fresh connection: the other idle ones may be stale */

    c = ctx->retried ? NULL : ngx_http_webauthn_redis_get_cached(ctx);

    if (c != NULL) {
        rc = NGX_OK;

        if (ngx_http_webauthn_redis_create_request(ctx, 0) != NGX_OK) {
            goto failed;
        }

    } else {
        if (ngx_http_webauthn_redis_create_request(ctx, 1) != NGX_OK) {
            goto failed;
        }

        ctx->log.action = "connecting to redis";

        rc = ngx_event_connect_peer(&ctx->peer);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                       "redis connect: %i", rc);

        if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
            err = (rc == NGX_DECLINED) ? ngx_socket_errno : 0;

            /* ngx_event_connect_peer() has logged it */

            ngx_http_webauthn_redis_reason(ctx, err,
                                           "redis connect() to %V failed",
                                           &conf->addr->name);
            ctx->logged = 1;
            ctx->peer.connection = NULL;

            ngx_http_webauthn_redis_wipe(ctx);

            return NGX_ERROR;
        }

        c = ctx->peer.connection;

        /* the pipeline goes in one write; do not let Nagle hold it */

        if (ngx_tcp_nodelay(c) != NGX_OK) {
            goto failed;
        }
    }

    c->data = ctx;
    c->read->handler = ngx_http_webauthn_redis_read_handler;
    c->write->handler = ngx_http_webauthn_redis_write_handler;

    if (rc == NGX_AGAIN) {
        ngx_add_timer(c->write, conf->connect_timeout);
        return NGX_OK;
    }

    /* a reused connection, or a unix socket connected at once */

    ctx->connected = 1;

    ngx_add_timer(c->read, conf->timeout);

    /* the write happens from the event loop, never from within run() */

    ngx_post_event(c->write, &ngx_posted_events);

    return NGX_OK;

failed:

    if (ctx->peer.connection) {
        ngx_close_connection(ctx->peer.connection);
        ctx->peer.connection = NULL;
    }

    ngx_http_webauthn_redis_wipe(ctx);

    ngx_http_webauthn_redis_reason(ctx, 0, "redis connection to %V failed",
                                   &conf->addr->name);
    ctx->logged = 1;

    return NGX_ERROR;
}


static ngx_connection_t *
ngx_http_webauthn_redis_get_cached(ngx_http_webauthn_redis_ctx_t *ctx)
{
    ngx_queue_t                      *q;
    ngx_connection_t                 *c;
    ngx_http_webauthn_redis_conf_t   *conf;
    ngx_http_webauthn_redis_cache_t  *item;

    conf = ctx->op->conf;

    if (conf->keepalive == 0 || ngx_queue_empty(&conf->cache)) {
        return NULL;
    }

    q = ngx_queue_head(&conf->cache);
    ngx_queue_remove(q);
    ngx_queue_insert_head(&conf->free, q);

    item = ngx_queue_data(q, ngx_http_webauthn_redis_cache_t, queue);

    c = item->connection;
    item->connection = NULL;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                   "redis using keepalive connection %p", c);

    c->idle = 0;
    c->log = &ctx->log;
    c->read->log = &ctx->log;
    c->write->log = &ctx->log;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    ctx->peer.connection = c;
    ctx->cached = 1;

    return c;
}


static ngx_int_t
ngx_http_webauthn_redis_create_request(ngx_http_webauthn_redis_ctx_t *ctx,
    ngx_uint_t setup)
{
    int                              argc;
    u_char                          *p;
    size_t                           len, argvlen[3];
    ngx_buf_t                       *b;
    ngx_str_t                        auth, select;
    ngx_uint_t                       i;
    const char                      *argv[3];
    u_char                           db[NGX_INT_T_LEN];
    ngx_http_webauthn_redis_conf_t  *conf;

    conf = ctx->op->conf;

    ngx_str_null(&auth);
    ngx_str_null(&select);

    ctx->nsetup = 0;
    ctx->auth = 0;

    len = ctx->cmds_len;

    if (setup && conf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = 4;

        if (conf->user.len) {
            argv[argc] = (const char *) conf->user.data;
            argvlen[argc++] = conf->user.len;
        }

        argv[argc] = (const char *) conf->password.data;
        argvlen[argc++] = conf->password.len;

        if (ngx_http_webauthn_redis_format(ctx, &auth, argc, argv, argvlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        len += auth.len;
        ctx->nsetup++;
        ctx->auth = 1;
    }

    if (setup && conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", conf->db) - db;

        if (ngx_http_webauthn_redis_format(ctx, &select, 2, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }

        len += select.len;
        ctx->nsetup++;
    }

    b = ngx_create_temp_buf(ctx->op->pool, len);
    if (b == NULL) {
        goto failed;
    }

    p = ngx_cpymem(b->last, auth.data, auth.len);
    p = ngx_cpymem(p, select.data, select.len);

    for (i = 0; i < ctx->op->ncmds; i++) {
        p = ngx_cpymem(p, ctx->cmds[i].data, ctx->cmds[i].len);
    }

    b->last = p;

    ngx_http_webauthn_redis_wipe(ctx);

    ctx->request = b;
    ctx->secret = auth.len;

    if (auth.len) {
        ngx_explicit_memzero(auth.data, auth.len);
    }

    return NGX_OK;

failed:

    if (auth.len) {
        ngx_explicit_memzero(auth.data, auth.len);
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_webauthn_redis_format(ngx_http_webauthn_redis_ctx_t *ctx,
    ngx_str_t *out, int argc, const char **argv, const size_t *argvlen)
{
    int      n;
    char    *cmd;
    u_char  *p;

    cmd = NULL;

    n = redisFormatCommandArgv(&cmd, argc, argv, argvlen);

    if (n < 0 || cmd == NULL) {
        ngx_log_error(NGX_LOG_ALERT, &ctx->log, 0,
                      "redisFormatCommandArgv() failed");
        return NGX_ERROR;
    }

    p = ngx_pnalloc(ctx->op->pool, n);

    if (p != NULL) {
        ngx_memcpy(p, cmd, n);
    }

    /* the command may be AUTH */

    ngx_explicit_memzero(cmd, n);
    redisFreeCommand(cmd);

    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_redis_test_connect(ngx_http_webauthn_redis_ctx_t *ctx,
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

    ngx_http_webauthn_redis_reason(ctx, err, "redis connect() to %V failed",
                                   &ctx->op->conf->addr->name);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_webauthn_redis_retry(ngx_http_webauthn_redis_ctx_t *ctx)
{
    if (!ctx->cached || ctx->retried || ctx->received) {
        return NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                   "redis keepalive connection %p is dead, retrying",
                   ctx->peer.connection);

    ngx_close_connection(ctx->peer.connection);
    ctx->peer.connection = NULL;

    ctx->retried = 1;

    if (ngx_http_webauthn_redis_connect(ctx) != NGX_OK) {
        ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
    }

    return NGX_OK;
}


static void
ngx_http_webauthn_redis_write_handler(ngx_event_t *wev)
{
    ssize_t                          n, size;
    ngx_err_t                        err;
    ngx_buf_t                       *b;
    ngx_connection_t                *c;
    ngx_http_webauthn_redis_ctx_t   *ctx;
    ngx_http_webauthn_redis_conf_t  *conf;

    c = wev->data;
    ctx = c->data;
    conf = ctx->op->conf;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, wev->log, 0, "redis write handler");

    if (wev->timedout) {
        ngx_http_webauthn_redis_reason(ctx, 0, "redis timed out");
        ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
        return;
    }

    if (!ctx->connected) {
        if (ngx_http_webauthn_redis_test_connect(ctx, c) != NGX_OK) {
            ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
            return;
        }

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, wev->log, 0, "redis connected");

        ctx->connected = 1;

        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        ngx_add_timer(c->read, conf->timeout);
    }

    ctx->log.action = "sending request to redis";

    b = ctx->request;
    size = b->last - b->pos;

    if (size == 0) {
        /* the write event was both posted and reported */
        return;
    }

    n = c->send(c, b->pos, size);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, wev->log, 0,
                   "redis send: %z of %z", n, size);

    if (n == NGX_ERROR) {
        err = ngx_socket_errno;

        if (ngx_http_webauthn_redis_retry(ctx) == NGX_OK) {
            return;
        }

        ngx_http_webauthn_redis_reason(ctx, err, "redis send() failed");
        ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
        return;
    }

    if (n > 0) {
        b->pos += n;

        if (n == size) {
            ngx_http_webauthn_redis_wipe(ctx);

            ctx->log.action = "reading reply from redis";

            wev->handler = ngx_http_webauthn_redis_dummy_handler;

            if (wev->timer_set) {
                ngx_del_timer(wev);
            }

            if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                ngx_http_webauthn_redis_reason(ctx, 0,
                                               "redis write event failed");
                ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
            }

            return;
        }
    }

    if (!wev->timer_set) {
        ngx_add_timer(wev, conf->timeout);
    }

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_http_webauthn_redis_reason(ctx, 0, "redis write event failed");
        ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
    }
}


static void
ngx_http_webauthn_redis_read_handler(ngx_event_t *rev)
{
    ssize_t                         n;
    ngx_int_t                       rc;
    ngx_err_t                       err;
    ngx_connection_t               *c;
    ngx_http_webauthn_redis_ctx_t  *ctx;
    u_char                          buf[NGX_HTTP_WEBAUTHN_REDIS_RECV_SIZE];

    c = rev->data;
    ctx = c->data;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rev->log, 0, "redis read handler");

    if (rev->timedout) {
        ngx_http_webauthn_redis_reason(ctx, 0, "redis timed out");
        ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
        return;
    }

    if (!ctx->connected) {
        if (ngx_http_webauthn_redis_test_connect(ctx, c) != NGX_OK) {
            ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
        }

        /* otherwise the write event completes the connect */

        return;
    }

    for ( ;; ) {

        n = c->recv(c, buf, NGX_HTTP_WEBAUTHN_REDIS_RECV_SIZE);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rev->log, 0,
                       "redis recv: %z", n);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(rev, 0) != NGX_OK) {
                ngx_http_webauthn_redis_reason(ctx, 0,
                                               "redis read event failed");
                ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
            }

            return;
        }

        if (n == NGX_ERROR || n == 0) {
            err = (n == NGX_ERROR) ? ngx_socket_errno : 0;

            /* a reused connection closed before any reply byte */

            if (ngx_http_webauthn_redis_retry(ctx) == NGX_OK) {
                return;
            }

            if (n == 0) {
                ngx_http_webauthn_redis_reason(ctx, 0,
                                               "redis closed the connection");

            } else {
                ngx_http_webauthn_redis_reason(ctx, err,
                                               "redis recv() failed");
            }

            ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
            return;
        }

        ctx->received += n;

        if (ctx->received > NGX_HTTP_WEBAUTHN_REDIS_MAX_REPLY) {
            ngx_http_webauthn_redis_reason(ctx, 0,
                                           "redis reply is too large");
            ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
            return;
        }

        if (redisReaderFeed(ctx->reader, (const char *) buf, n)
            != REDIS_OK)
        {
            ngx_http_webauthn_redis_reason(ctx, 0,
                                           "redis sent an invalid reply");
            ngx_http_webauthn_redis_finalize(ctx, NGX_ERROR);
            return;
        }

        rc = ngx_http_webauthn_redis_process(ctx);

        if (rc == NGX_AGAIN) {
            continue;
        }

        ngx_http_webauthn_redis_finalize(ctx, rc);
        return;
    }
}


static ngx_int_t
ngx_http_webauthn_redis_process(ngx_http_webauthn_redis_ctx_t *ctx)
{
    void                          *reply;
    ngx_uint_t                     expect;
    ngx_http_webauthn_redis_op_t  *op;

    op = ctx->op;
    expect = ctx->nsetup + op->ncmds;

    while (ctx->nreplies < expect) {

        if (redisReaderGetReply(ctx->reader, &reply) != REDIS_OK) {

            if (ctx->too_large) {
                ngx_http_webauthn_redis_reason(ctx, 0,
                                               "redis reply is too large");
                return NGX_ERROR;
            }

            ngx_log_error(NGX_LOG_ERR, &ctx->log, 0,
                          "redis sent an invalid reply: %s",
                          ctx->reader->errstr);

            ngx_http_webauthn_redis_reason(ctx, 0,
                                           "redis sent an invalid reply");
            ctx->logged = 1;

            return NGX_ERROR;
        }

        if (reply == NULL) {
            return NGX_AGAIN;
        }

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                       "redis reply %ui type: %d",
                       ctx->nreplies, ((redisReply *) reply)->type);

        if (ctx->nreplies < ctx->nsetup) {

            if (ngx_http_webauthn_redis_check_setup(ctx, reply) != NGX_OK) {
                freeReplyObject(reply);
                return NGX_ERROR;
            }

            freeReplyObject(reply);

        } else {
            op->replies[ctx->nreplies - ctx->nsetup] = reply;
        }

        ctx->nreplies++;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_redis_check_setup(ngx_http_webauthn_redis_ctx_t *ctx,
    redisReply *reply)
{
    size_t       len;
    const char  *what;

    if (reply->type == REDIS_REPLY_STATUS
        && reply->len == 2
        && ngx_strncmp(reply->str, "OK", 2) == 0)
    {
        return NGX_OK;
    }

    what = (ctx->auth && ctx->nreplies == 0) ? "AUTH" : "SELECT";

    if (reply->type == REDIS_REPLY_ERROR) {
        len = ngx_min((size_t) reply->len, 128);

        ngx_log_error(NGX_LOG_ERR, &ctx->log, 0,
                      "redis %s failed: \"%*s\"", what, len, reply->str);

    } else {
        ngx_log_error(NGX_LOG_ERR, &ctx->log, 0,
                      "redis %s failed: unexpected reply type %d",
                      what, reply->type);
    }

    ngx_http_webauthn_redis_reason(ctx, 0, "redis %s failed", what);
    ctx->logged = 1;

    return NGX_ERROR;
}


static void
ngx_http_webauthn_redis_finalize(ngx_http_webauthn_redis_ctx_t *ctx,
    ngx_int_t rc)
{
    ngx_connection_t              *c;
    ngx_http_webauthn_redis_op_t  *op;

    op = ctx->op;
    c = ctx->peer.connection;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                   "redis finalize: %i", rc);

    if (rc != NGX_OK && !ctx->logged) {
        ngx_log_error(NGX_LOG_ERR, &ctx->log, 0, "%V", &op->reason);
    }

    ngx_http_webauthn_redis_wipe(ctx);

    if (c) {
        ctx->peer.connection = NULL;

        if (rc == NGX_OK
            && op->conf->keepalive
            && !ngx_terminate
            && !ngx_exiting
            && !c->read->eof
            && !c->read->error
            && !c->read->timedout
            && !c->write->error
            && !c->write->timedout
            && ctx->request->pos == ctx->request->last
            && ctx->reader->pos == ctx->reader->len)
        {
            ngx_http_webauthn_redis_keepalive(ctx, c);

        } else {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                           "redis close connection %p", c);

            ngx_close_connection(c);
        }
    }

    ctx->log.action = NULL;
    ctx->running = 0;

    op->rc = rc;

    /* the handler may free the op */

    op->handler(op);
}


static void
ngx_http_webauthn_redis_keepalive(ngx_http_webauthn_redis_ctx_t *ctx,
    ngx_connection_t *c)
{
    ngx_queue_t                      *q;
    ngx_http_webauthn_redis_conf_t   *conf;
    ngx_http_webauthn_redis_cache_t  *item;

    conf = ctx->op->conf;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &ctx->log, 0,
                   "redis saving keepalive connection %p", c);

    if (ngx_queue_empty(&conf->free)) {
        q = ngx_queue_last(&conf->cache);
        ngx_queue_remove(q);

        item = ngx_queue_data(q, ngx_http_webauthn_redis_cache_t, queue);

        ngx_close_connection(item->connection);

    } else {
        q = ngx_queue_head(&conf->free);
        ngx_queue_remove(q);

        item = ngx_queue_data(q, ngx_http_webauthn_redis_cache_t, queue);
    }

    ngx_queue_insert_head(&conf->cache, q);

    item->connection = c;

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    ngx_add_timer(c->read, conf->keepalive_timeout);

    c->read->handler = ngx_http_webauthn_redis_idle_handler;
    c->write->handler = ngx_http_webauthn_redis_dummy_handler;

    c->data = item;
    c->idle = 1;
    c->log = ngx_cycle->log;
    c->read->log = ngx_cycle->log;
    c->write->log = ngx_cycle->log;

    if (c->read->ready) {
        ngx_http_webauthn_redis_idle_handler(c->read);
    }
}


static void
ngx_http_webauthn_redis_idle_handler(ngx_event_t *ev)
{
    int                               n;
    char                              buf[1];
    ngx_connection_t                 *c;
    ngx_http_webauthn_redis_cache_t  *item;

    c = ev->data;
    item = c->data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "redis idle handler %p", c);

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
                   "redis close idle connection %p", c);

    ngx_close_connection(c);

    item->connection = NULL;

    ngx_queue_remove(&item->queue);
    ngx_queue_insert_head(&item->conf->free, &item->queue);
}


static void
ngx_http_webauthn_redis_dummy_handler(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0, "redis dummy handler");
}


static void
ngx_http_webauthn_redis_wipe(ngx_http_webauthn_redis_ctx_t *ctx)
{
    if (ctx->secret) {
        ngx_explicit_memzero(ctx->request->start, ctx->secret);
        ctx->secret = 0;
    }
}


static void
ngx_http_webauthn_redis_reason(ngx_http_webauthn_redis_ctx_t *ctx,
    ngx_err_t err, const char *fmt, ...)
{
    u_char                        *p, *last;
    va_list                        args;
    ngx_http_webauthn_redis_op_t  *op;

    op = ctx->op;

    p = ngx_pnalloc(op->pool, NGX_HTTP_WEBAUTHN_REDIS_REASON_SIZE);
    if (p == NULL) {
        ngx_str_set(&op->reason, "redis failed");
        return;
    }

    op->reason.data = p;
    last = p + NGX_HTTP_WEBAUTHN_REDIS_REASON_SIZE;

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    if (err) {
        p = ngx_slprintf(p, last, " (%d: ", err);
        p = ngx_strerror(err, p, last - p);
        p = ngx_slprintf(p, last, ")");
    }

    op->reason.len = p - op->reason.data;
}


static u_char *
ngx_http_webauthn_redis_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char                         *p;
    ngx_log_t                       owner;
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = log->data;
    p = buf;

    if (ctx->log_handler) {
        owner = *log;
        owner.handler = ctx->log_handler;
        owner.data = ctx->log_data;

        p = ctx->log_handler(&owner, buf, len);

    } else if (log->action) {
        p = ngx_snprintf(buf, len, " while %s", log->action);
    }

    len -= p - buf;

    return ngx_snprintf(p, len, ", redis: %V", &ctx->op->conf->addr->name);
}


static void *
ngx_http_webauthn_redis_create_array(const redisReadTask *task, int elements)
{
    ngx_http_webauthn_redis_ctx_t  *ctx;

    if (elements > NGX_HTTP_WEBAUTHN_REDIS_MAX_ELEMENTS) {
        ctx = task->privdata;
        ctx->too_large = 1;

        /* hiredis takes NULL as out of memory and fails the reader */

        return NULL;
    }

    return ngx_http_webauthn_redis_array(task, elements);
}
