
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <ngx_http_webauthn_redis.h>
#include <ngx_http_webauthn_redis_cluster.h>
#include <ngx_http_webauthn_metrics.h>

#include <hiredis/read.h>


/* all replies of an op, AUTH and SELECT included, may not exceed this */
#define NGX_HTTP_WEBAUTHN_REDIS_MAX_REPLY     (1024 * 1024)

/*
 * the shortest RESP2 element on the wire is an empty simple string or
 * error, "+\r\n" (3 bytes; ":0\r\n" and "*0\r\n" take 4, "$-1\r\n" 5):
 * an array header announcing more elements than this is a lie
 */
#define NGX_HTTP_WEBAUTHN_REDIS_MAX_ELEMENTS                                  \
    (NGX_HTTP_WEBAUTHN_REDIS_MAX_REPLY / 3)

#define NGX_HTTP_WEBAUTHN_REDIS_PORT          6379


typedef struct {
    ngx_http_webauthn_redis_op_t      *op;
    ngx_http_webauthn_event_t         *ev;

    ngx_str_t                          cmds[NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS];
    size_t                             cmds_len;

    redisReader                       *reader;
    ngx_uint_t                         nsetup;     /* AUTH, SELECT replies */
    ngx_uint_t                         nreplies;   /* replies read */
    size_t                             received;
    ngx_msec_t                         started;    /* for the metrics */

    unsigned                           auth:1;
    unsigned                           too_large:1;
} ngx_http_webauthn_redis_ctx_t;


typedef void *(*ngx_http_webauthn_redis_create_array_pt)(
    const redisReadTask *task, int elements);


static void ngx_http_webauthn_redis_cleanup_op(void *data);
static ngx_int_t ngx_http_webauthn_redis_create_request(
    ngx_http_webauthn_event_t *ev, ngx_uint_t fresh);
static ngx_int_t ngx_http_webauthn_redis_process(ngx_http_webauthn_event_t *ev,
    u_char *data, size_t len);
static void ngx_http_webauthn_redis_done(ngx_http_webauthn_event_t *ev);
static ngx_int_t ngx_http_webauthn_redis_format(
    ngx_http_webauthn_redis_ctx_t *ctx, ngx_str_t *out, int argc,
    const char **argv, const size_t *argvlen);
static void ngx_http_webauthn_redis_free_replies(
    ngx_http_webauthn_redis_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_redis_check_setup(
    ngx_http_webauthn_redis_ctx_t *ctx, redisReply *reply);
static void *ngx_http_webauthn_redis_create_array(const redisReadTask *task,
    int elements);


static redisReplyObjectFunctions         ngx_http_webauthn_redis_functions;
static ngx_http_webauthn_redis_create_array_pt
                                         ngx_http_webauthn_redis_array;


/*
 * webauthn_redis address | cluster address... [user=name]
 *     [password=secret] [db=number]
 *     [connect_timeout=time] [timeout=time] [keepalive=number]
 *     [keepalive_timeout=time] [prefix=string];
 */

char *
ngx_http_webauthn_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_int_t                         n, rc;
    ngx_str_t                        *value;
    ngx_url_t                         u;
    ngx_uint_t                        i, first, nodes;
    ngx_http_webauthn_redis_conf_t   *rcf, **rcfp;

    rcfp = (ngx_http_webauthn_redis_conf_t **) (p + cmd->offset);

    if (*rcfp) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* "cluster" and its nodes: the words up to the first parameter */

    first = 1;
    nodes = 0;

    if (ngx_strcmp(value[1].data, "cluster") == 0) {
        first = 2;

        while (first + nodes < cf->args->nelts
               && ngx_strlchr(value[first + nodes].data,
                              value[first + nodes].data
                              + value[first + nodes].len, '=')
                  == NULL)
        {
            nodes++;
        }

        if (nodes == 0) {
            return "has no cluster nodes";
        }
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[first];
    u.default_port = NGX_HTTP_WEBAUTHN_REDIS_PORT;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        if (u.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in \"%V\" of \"webauthn_redis\"",
                               u.err, &u.url);
        }

        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no address in \"%V\" of \"webauthn_redis\"",
                           &u.url);
        return NGX_CONF_ERROR;
    }

    rcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_redis_conf_t));
    if (rcf == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_http_webauthn_peer_init(&rcf->server, "redis");

    rcf->server.addr = &u.addrs[0];

    if (nodes
        && ngx_http_webauthn_redis_cluster_conf(cf, rcf, &value[first], nodes)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = first + (nodes ? nodes : 1); i < cf->args->nelts; i++) {

        rc = ngx_http_webauthn_peer_param(&rcf->server, &value[i]);

        if (rc == NGX_OK) {
            continue;
        }

        if (rc == NGX_ERROR) {
            goto invalid;
        }

        if (ngx_strncmp(value[i].data, "user=", 5) == 0) {
            rcf->user.data = value[i].data + 5;
            rcf->user.len = value[i].len - 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {
            rcf->password.data = value[i].data + 9;
            rcf->password.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            rcf->db = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "prefix=", 7) == 0) {
            rcf->prefix.data = value[i].data + 7;
            rcf->prefix.len = value[i].len - 7;
            continue;
        }

        goto invalid;
    }

    if (rcf->cluster && rcf->db) {
        return "has \"db=\" with \"cluster\": a Redis Cluster has only "
               "database 0";
    }

    *rcfp = rcf;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


void
ngx_http_webauthn_redis_wipe_conf(ngx_http_webauthn_redis_conf_t *rcf)
{
    if (rcf->password.data) {
        ngx_explicit_memzero(rcf->password.data, rcf->password.len);
    }
}


ngx_http_webauthn_redis_op_t *
ngx_http_webauthn_redis_create(ngx_http_webauthn_redis_conf_t *conf,
    ngx_log_t *log)
{
    redisReader                    *reader;
    ngx_pool_cleanup_t             *cln;
    ngx_http_webauthn_event_t      *ev;
    ngx_http_webauthn_redis_op_t   *op;
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ev = ngx_http_webauthn_event_create(&conf->server, log);
    if (ev == NULL) {
        return NULL;
    }

    op = ngx_pcalloc(ev->pool, sizeof(ngx_http_webauthn_redis_op_t));
    ctx = ngx_pcalloc(ev->pool, sizeof(ngx_http_webauthn_redis_ctx_t));
    cln = ngx_pool_cleanup_add(ev->pool, 0);

    if (op == NULL || ctx == NULL || cln == NULL) {
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
    ctx->op = op;
    ctx->ev = ev;

    cln->handler = ngx_http_webauthn_redis_cleanup_op;
    cln->data = ctx;

    ev->create_request = ngx_http_webauthn_redis_create_request;
    ev->process = ngx_http_webauthn_redis_process;
    ev->done = ngx_http_webauthn_redis_done;
    ev->data = ctx;

    op->pool = ev->pool;
    op->conf = conf;
    op->rc = NGX_ERROR;
    op->priv = ctx;

    return op;

failed:

    ngx_http_webauthn_event_free(ev);

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
        || ctx->ev->running)
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

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->pool->log, 0,
                   "redis run: %ui commands", op->ncmds);

    if (op->ncmds == 0) {
        ngx_str_set(&op->reason, "redis operation without commands");
        return NGX_ERROR;
    }

    ctx->started = ngx_current_msec;

    if (ngx_http_webauthn_event_start(ctx->ev) != NGX_OK) {
        op->reason = ctx->ev->reason;
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_webauthn_redis_free(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = op->priv;

    ngx_http_webauthn_event_free(ctx->ev);
}


void
ngx_http_webauthn_redis_cleanup(ngx_http_webauthn_redis_conf_t *conf)
{
    ngx_http_webauthn_peer_cleanup(&conf->server);

    if (conf->cluster) {
        ngx_http_webauthn_redis_cluster_cleanup(conf);
    }
}


static void
ngx_http_webauthn_redis_cleanup_op(void *data)
{
    ngx_http_webauthn_redis_ctx_t  *ctx = data;

    ngx_http_webauthn_redis_free_replies(ctx);

    redisReaderFree(ctx->reader);
    ctx->reader = NULL;
}


static ngx_int_t
ngx_http_webauthn_redis_create_request(ngx_http_webauthn_event_t *ev,
    ngx_uint_t fresh)
{
    int                              argc;
    u_char                          *p;
    size_t                           len, argvlen[3];
    ngx_buf_t                       *b;
    ngx_str_t                        auth, select;
    ngx_uint_t                       i;
    const char                      *argv[3];
    u_char                           db[NGX_INT_T_LEN];
    redisReader                     *reader;
    ngx_http_webauthn_redis_ctx_t   *ctx;
    ngx_http_webauthn_redis_conf_t  *conf;

    ctx = ev->data;
    conf = ctx->op->conf;

    /* a retry starts the replies afresh */

    ngx_http_webauthn_redis_free_replies(ctx);

    if (ctx->received) {
        reader = redisReaderCreate();
        if (reader == NULL) {
            return NGX_ERROR;
        }

        reader->fn = &ngx_http_webauthn_redis_functions;
        reader->privdata = ctx;

        redisReaderFree(ctx->reader);
        ctx->reader = reader;
        ctx->received = 0;
    }

    ngx_str_null(&auth);
    ngx_str_null(&select);

    ctx->nsetup = 0;
    ctx->nreplies = 0;
    ctx->auth = 0;

    len = ctx->cmds_len;

    if (fresh && conf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = sizeof("AUTH") - 1;

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

    if (fresh && conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = sizeof("SELECT") - 1;
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

    b = ngx_http_webauthn_event_buffer(ev, len);
    if (b == NULL) {
        goto failed;
    }

    p = ngx_cpymem(b->last, auth.data, auth.len);
    p = ngx_cpymem(p, select.data, select.len);

    for (i = 0; i < ctx->op->ncmds; i++) {
        p = ngx_cpymem(p, ctx->cmds[i].data, ctx->cmds[i].len);
    }

    b->last = p;

    /* the password is in the first bytes: wiped once they are sent */

    ev->secret = auth.len;

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
ngx_http_webauthn_redis_process(ngx_http_webauthn_event_t *ev, u_char *data,
    size_t len)
{
    void                           *reply;
    ngx_uint_t                      expect;
    ngx_http_webauthn_redis_op_t   *op;
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = ev->data;
    op = ctx->op;

    ctx->received += len;

    if (ctx->received > NGX_HTTP_WEBAUTHN_REDIS_MAX_REPLY) {
        ngx_http_webauthn_event_reason(ev, 0, "redis reply is too large");
        return NGX_ERROR;
    }

    if (redisReaderFeed(ctx->reader, (const char *) data, len) != REDIS_OK) {
        ngx_http_webauthn_event_reason(ev, 0, "redis sent an invalid reply");
        return NGX_ERROR;
    }

    expect = ctx->nsetup + op->ncmds;

    while (ctx->nreplies < expect) {

        if (redisReaderGetReply(ctx->reader, &reply) != REDIS_OK) {

            if (ctx->too_large) {
                ngx_http_webauthn_event_reason(ev, 0,
                                               "redis reply is too large");

            } else {
                ngx_http_webauthn_event_reason(ev, 0, "redis sent an invalid "
                                               "reply: %s",
                                               ctx->reader->errstr);
            }

            return NGX_ERROR;
        }

        if (reply == NULL) {
            return NGX_AGAIN;
        }

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->pool->log, 0,
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

    /* a connection with bytes nobody asked for is not reused */

    ev->reusable = (ctx->reader->pos == ctx->reader->len);

    return NGX_OK;
}


static void
ngx_http_webauthn_redis_done(ngx_http_webauthn_event_t *ev)
{
    ngx_http_webauthn_redis_op_t   *op;
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = ev->data;
    op = ctx->op;

    op->rc = ev->rc;
    op->reason = ev->reason;

    ngx_http_webauthn_metrics_inc(redis_round_trips);
    ngx_http_webauthn_metrics_observe(NGX_HTTP_WEBAUTHN_METRICS_REDIS,
                                      ngx_current_msec - ctx->started);

    /* the handler may free the op */

    op->handler(op);
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
        ngx_log_error(NGX_LOG_ALERT, ctx->ev->pool->log, 0,
                      "redisFormatCommandArgv() failed");
        return NGX_ERROR;
    }

    p = ngx_pnalloc(ctx->ev->pool, n);

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


static void
ngx_http_webauthn_redis_free_replies(ngx_http_webauthn_redis_ctx_t *ctx)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS; i++) {
        if (ctx->op->replies[i]) {
            freeReplyObject(ctx->op->replies[i]);
            ctx->op->replies[i] = NULL;
        }
    }
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

        ngx_http_webauthn_event_reason(ctx->ev, 0, "redis %s failed: \"%*s\"",
                                       what, len, reply->str);

    } else {
        ngx_http_webauthn_event_reason(ctx->ev, 0, "redis %s failed: "
                                       "unexpected reply type %d",
                                       what, reply->type);
    }

    return NGX_ERROR;
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
