
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <wa_core.h>
#include <ngx_http_webauthn_redis.h>
#include <ngx_http_webauthn_redis_pipe.h>
#include <ngx_http_webauthn_redis_cluster.h>
#include <ngx_http_webauthn_metrics.h>


/*
 * the replies are read by the core's bounded reader (wa_resp.c): all
 * replies of an op, AUTH and SELECT included, at most WA_RESP_MAX_BYTES,
 * arrays at most WA_RESP_MAX_DEPTH deep; the directive and its
 * parameters are ngx_http_webauthn_redis_conf.c's
 */


static void ngx_http_webauthn_redis_cleanup_op(void *data);
static ngx_int_t ngx_http_webauthn_redis_create_request(
    ngx_http_webauthn_event_t *ev, ngx_uint_t fresh);
static ngx_int_t ngx_http_webauthn_redis_process(ngx_http_webauthn_event_t *ev,
    u_char *data, size_t len);
static void ngx_http_webauthn_redis_done(ngx_http_webauthn_event_t *ev);
static ngx_int_t ngx_http_webauthn_redis_format(ngx_pool_t *pool,
    ngx_str_t *out, int argc, const char **argv, const size_t *argvlen);
static void ngx_http_webauthn_redis_free_replies(
    ngx_http_webauthn_redis_op_t *op);
static ngx_int_t ngx_http_webauthn_redis_check_role(
    ngx_http_webauthn_event_t *ev, redisReply *reply);


ngx_http_webauthn_redis_op_t *
ngx_http_webauthn_redis_create(ngx_http_webauthn_redis_conf_t *conf,
    ngx_log_t *log)
{
    ngx_pool_t                     *pool;
    ngx_pool_cleanup_t             *cln;
    ngx_http_webauthn_redis_op_t   *op;
    ngx_http_webauthn_redis_ctx_t  *ctx;

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NULL;
    }

    op = ngx_pcalloc(pool, sizeof(ngx_http_webauthn_redis_op_t));
    ctx = ngx_pcalloc(pool, sizeof(ngx_http_webauthn_redis_ctx_t));
    cln = ngx_pool_cleanup_add(pool, 0);

    if (op == NULL || ctx == NULL || cln == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    ctx->op = op;

    cln->handler = ngx_http_webauthn_redis_cleanup_op;
    cln->data = ctx;

    op->pool = pool;
    op->conf = conf;
    op->rc = NGX_ERROR;
    op->priv = ctx;

    return op;
}


ngx_int_t
ngx_http_webauthn_redis_append(ngx_http_webauthn_redis_op_t *op, int argc,
    const char **argv, const size_t *argvlen)
{
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = op->priv;

    if (op->ncmds == NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS
        || argc < 1
        || ctx->entry
        || (ctx->ev && ctx->ev->running))
    {
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_redis_format(op->pool, &ctx->cmds[op->ncmds], argc,
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
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->pool->log, 0,
                   "redis run: %ui commands", op->ncmds);

    if (op->ncmds == 0) {
        ngx_str_set(&op->reason, "redis operation without commands");
        return NGX_ERROR;
    }

    if (op->conf->sentinel) {
        return ngx_http_webauthn_redis_sentinel_run(op);
    }

    return ngx_http_webauthn_redis_start(op);
}


/* on a pipeline; "pipeline=1": one op per connection */

ngx_int_t
ngx_http_webauthn_redis_start(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_event_t       *ev;
    ngx_http_webauthn_redis_ctx_t   *ctx;
    ngx_http_webauthn_redis_conf_t  *conf;

    ctx = op->priv;
    conf = op->conf;

    ctx->started = ngx_current_msec;

    if (conf->pipeline > 1) {
        return ngx_http_webauthn_redis_pipe_start(op);
    }

    ev = ctx->ev;

    if (ev == NULL) {
        ev = ngx_http_webauthn_event_create(&conf->server, op->pool->log);
        if (ev == NULL) {
            ngx_str_set(&op->reason, "out of memory");
            return NGX_ERROR;
        }

        ctx->reader = wa_resp_new(0, 0);
        if (ctx->reader == NULL) {
            ngx_http_webauthn_event_free(ev);
            ngx_str_set(&op->reason, "out of memory");
            return NGX_ERROR;
        }

        ev->create_request = ngx_http_webauthn_redis_create_request;
        ev->process = ngx_http_webauthn_redis_process;
        ev->done = ngx_http_webauthn_redis_done;
        ev->data = ctx;

        ctx->ev = ev;
    }

    if (op->timeout) {
        ev->timeout = op->timeout;
    }

    if (ngx_http_webauthn_event_start(ev) != NGX_OK) {
        ngx_http_webauthn_redis_reason(op, &ev->reason);
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_webauthn_redis_free(ngx_http_webauthn_redis_op_t *op)
{
    if (op->waiting) {
        ngx_http_webauthn_redis_sentinel_cancel(op);
    }

    /* the cleanup closes the op's own connection, leaves its pipeline */

    ngx_destroy_pool(op->pool);
}


void
ngx_http_webauthn_redis_cleanup(ngx_http_webauthn_redis_conf_t *conf)
{
    ngx_http_webauthn_redis_pipe_cleanup(conf);
    ngx_http_webauthn_peer_cleanup(&conf->server);

    if (conf->sentinel) {
        ngx_http_webauthn_redis_sentinel_cleanup(conf);
    }

    if (conf->cluster) {
        ngx_http_webauthn_redis_cluster_cleanup(conf);
    }
}


void
ngx_http_webauthn_redis_op_done(ngx_http_webauthn_redis_op_t *op)
{
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = op->priv;

    ngx_http_webauthn_metrics_inc(redis_round_trips);
    ngx_http_webauthn_metrics_observe(NGX_HTTP_WEBAUTHN_METRICS_REDIS,
                                      ngx_current_msec - ctx->started);

    /*
     * sent again on a new connection, theirs dead before any reply byte
     * (the event client's retry of a pooled one, or a pipeline's close)
     */

    if (op->retried) {
        ngx_http_webauthn_metrics_inc(redis_resends);
    }

    /* a failure or a -READONLY: where is the master now? */

    if (op->conf->sentinel) {
        ngx_http_webauthn_redis_sentinel_check(op);
    }

    /* the handler may free the op */

    op->handler(op);
}


/* a reason of an exchange that goes away, in the op's pool */

void
ngx_http_webauthn_redis_reason(ngx_http_webauthn_redis_op_t *op,
    ngx_str_t *reason)
{
    u_char  *p;

    p = ngx_pnalloc(op->pool, reason->len ? reason->len : 1);
    if (p == NULL) {
        ngx_str_set(&op->reason, "out of memory");
        return;
    }

    op->reason.data = p;
    op->reason.len = ngx_cpymem(p, reason->data, reason->len) - p;
}


static void
ngx_http_webauthn_redis_cleanup_op(void *data)
{
    ngx_http_webauthn_redis_ctx_t  *ctx = data;

    if (ctx->entry || ctx->resolve) {
        ngx_http_webauthn_redis_pipe_cancel(ctx->op);
    }

    if (ctx->ev) {
        ngx_http_webauthn_event_free(ctx->ev);
        ctx->ev = NULL;
    }

    ngx_http_webauthn_redis_free_replies(ctx->op);

    wa_resp_free(ctx->reader);
    ctx->reader = NULL;
}


ngx_int_t
ngx_http_webauthn_redis_setup(ngx_http_webauthn_redis_conf_t *conf,
    ngx_pool_t *pool, ngx_http_webauthn_redis_setup_t *setup)
{
    int          argc;
    u_char      *p;
    size_t       argvlen[3];
    ngx_str_t    auth, select, role;
    const char  *argv[3];
    u_char       db[NGX_INT_T_LEN];

    ngx_memzero(setup, sizeof(ngx_http_webauthn_redis_setup_t));

    ngx_str_null(&auth);
    ngx_str_null(&select);
    ngx_str_null(&role);

    if (conf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = sizeof("AUTH") - 1;

        if (conf->user.len) {
            argv[argc] = (const char *) conf->user.data;
            argvlen[argc++] = conf->user.len;
        }

        argv[argc] = (const char *) conf->password.data;
        argvlen[argc++] = conf->password.len;

        if (ngx_http_webauthn_redis_format(pool, &auth, argc, argv, argvlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        setup->n++;
        setup->auth = 1;
    }

    if (conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = sizeof("SELECT") - 1;
        argv[1] = (const char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", conf->db) - db;

        if (ngx_http_webauthn_redis_format(pool, &select, 2, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }

        setup->n++;
    }

    /* on a new connection to a master found through Sentinel: is it one? */

    if (conf->sentinel) {
        argv[0] = "ROLE";
        argvlen[0] = sizeof("ROLE") - 1;

        if (ngx_http_webauthn_redis_format(pool, &role, 1, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }

        setup->n++;
        setup->role = 1;
    }

    setup->cmds.len = auth.len + select.len + role.len;

    if (setup->cmds.len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, setup->cmds.len);
    if (p == NULL) {
        goto failed;
    }

    setup->cmds.data = p;

    p = ngx_cpymem(p, auth.data, auth.len);
    p = ngx_cpymem(p, select.data, select.len);
    (void) ngx_cpymem(p, role.data, role.len);

    /* the password is in the first bytes: wiped once they are sent */

    setup->secret = auth.len;

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
ngx_http_webauthn_redis_create_request(ngx_http_webauthn_event_t *ev,
    ngx_uint_t fresh)
{
    u_char                          *p;
    ngx_buf_t                       *b;
    ngx_uint_t                       i;
    ngx_http_webauthn_redis_op_t    *op;
    ngx_http_webauthn_redis_ctx_t   *ctx;
    ngx_http_webauthn_redis_setup_t *setup;

    ctx = ev->data;
    op = ctx->op;
    setup = &ctx->setup;

    /* a retry starts the replies afresh */

    ngx_http_webauthn_redis_free_replies(op);

    if (ctx->received) {
        if (wa_resp_reset(ctx->reader) != 0) {
            return NGX_ERROR;
        }

        ctx->received = 0;
    }

    ctx->nreplies = 0;

    if (fresh) {
        if (ngx_http_webauthn_redis_setup(op->conf, ev->pool, setup)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else {
        ngx_memzero(setup, sizeof(ngx_http_webauthn_redis_setup_t));
    }

    b = ngx_http_webauthn_event_buffer(ev, setup->cmds.len + ctx->cmds_len);
    if (b == NULL) {
        goto failed;
    }

    p = ngx_cpymem(b->last, setup->cmds.data, setup->cmds.len);

    for (i = 0; i < op->ncmds; i++) {
        p = ngx_cpymem(p, ctx->cmds[i].data, ctx->cmds[i].len);
    }

    b->last = p;

    ev->secret = setup->secret;

    if (setup->secret) {
        ngx_explicit_memzero(setup->cmds.data, setup->secret);
    }

    return NGX_OK;

failed:

    if (setup->secret) {
        ngx_explicit_memzero(setup->cmds.data, setup->secret);
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_webauthn_redis_process(ngx_http_webauthn_event_t *ev, u_char *data,
    size_t len)
{
    int                             rc;
    redisReply                     *reply;
    ngx_uint_t                      expect, nsetup;
    ngx_http_webauthn_redis_op_t   *op;
    ngx_http_webauthn_redis_ctx_t  *ctx;

    ctx = ev->data;
    op = ctx->op;
    nsetup = ctx->setup.n;

    ctx->received += len;

    rc = wa_resp_feed(ctx->reader, data, len);

    expect = nsetup + op->ncmds;

    while (rc == WA_RESP_OK && ctx->nreplies < expect) {

        rc = wa_resp_reply(ctx->reader, &reply);

        if (rc == WA_RESP_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != WA_RESP_OK) {
            break;
        }

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ev->pool->log, 0,
                       "redis reply %ui type: %d",
                       ctx->nreplies, ((redisReply *) reply)->type);

        if (ctx->nreplies < nsetup) {
            rc = ngx_http_webauthn_redis_setup_reply(ev, &ctx->setup,
                                                     ctx->nreplies, reply);
            freeReplyObject(reply);

            if (rc != NGX_OK) {
                return NGX_ERROR;
            }

        } else {
            op->replies[ctx->nreplies - nsetup] = reply;
        }

        ctx->nreplies++;
    }

    if (rc == WA_RESP_TOO_LARGE) {
        ngx_http_webauthn_event_reason(ev, 0, "redis reply is too large: %s",
                                       wa_resp_why(ctx->reader));
        return NGX_ERROR;
    }

    if (rc != WA_RESP_OK) {
        ngx_http_webauthn_event_reason(ev, 0, "redis sent an invalid reply: "
                                       "%s", wa_resp_why(ctx->reader));
        return NGX_ERROR;
    }

    /* a connection with bytes nobody asked for is not reused */

    ev->reusable = !wa_resp_pending(ctx->reader);

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
    op->retried = ev->retried;

    if (ev->rc != NGX_OK) {
        ngx_http_webauthn_redis_reason(op, &ev->reason);
    }

    ngx_http_webauthn_redis_op_done(op);
}


static ngx_int_t
ngx_http_webauthn_redis_format(ngx_pool_t *pool, ngx_str_t *out, int argc,
    const char **argv, const size_t *argvlen)
{
    int      n;
    sds      cmd;
    u_char  *p;

    /*
     * the sds variant: its lengths are written by sdscatfmt(), not by a
     * sprintf() per argument (a third of the cost, for a commit's twelve)
     */

    cmd = NULL;

    n = redisFormatSdsCommandArgv(&cmd, argc, argv, argvlen);

    if (n < 0 || cmd == NULL) {
        ngx_log_error(NGX_LOG_ALERT, pool->log, 0,
                      "redisFormatSdsCommandArgv() failed");
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, n);

    if (p != NULL) {
        ngx_memcpy(p, cmd, n);
    }

    /* the command may be AUTH */

    ngx_explicit_memzero(cmd, n);
    redisFreeSdsCommand(cmd);

    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = n;

    return NGX_OK;
}


static void
ngx_http_webauthn_redis_free_replies(ngx_http_webauthn_redis_op_t *op)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS; i++) {
        if (op->replies[i]) {
            freeReplyObject(op->replies[i]);
            op->replies[i] = NULL;
        }
    }
}


ngx_int_t
ngx_http_webauthn_redis_setup_reply(ngx_http_webauthn_event_t *ev,
    ngx_http_webauthn_redis_setup_t *setup, ngx_uint_t i, redisReply *reply)
{
    size_t       len;
    const char  *what;

    if (setup->role && i == setup->n - 1) {
        return ngx_http_webauthn_redis_check_role(ev, reply);
    }

    if (reply->type == REDIS_REPLY_STATUS
        && reply->len == 2
        && ngx_strncmp(reply->str, "OK", 2) == 0)
    {
        return NGX_OK;
    }

    what = (setup->auth && i == 0) ? "AUTH" : "SELECT";

    if (reply->type == REDIS_REPLY_ERROR) {
        len = ngx_min((size_t) reply->len, 128);

        ngx_http_webauthn_event_reason(ev, 0, "redis %s failed: \"%*s\"",
                                       what, len, reply->str);

    } else {
        ngx_http_webauthn_event_reason(ev, 0, "redis %s failed: "
                                       "unexpected reply type %d",
                                       what, reply->type);
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_webauthn_redis_check_role(ngx_http_webauthn_event_t *ev,
    redisReply *reply)
{
    size_t       len;
    redisReply  *r;

    if (reply->type == REDIS_REPLY_ERROR) {
        len = ngx_min((size_t) reply->len, 128);

        ngx_http_webauthn_event_reason(ev, 0, "redis ROLE failed: "
                                       "\"%*s\"", len, reply->str);
        return NGX_ERROR;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || (reply->element[0]->type != REDIS_REPLY_STRING
            && reply->element[0]->type != REDIS_REPLY_STATUS))
    {
        ngx_http_webauthn_event_reason(ev, 0, "redis ROLE failed: "
                                       "unexpected reply type %d",
                                       reply->type);
        return NGX_ERROR;
    }

    r = reply->element[0];

    if (r->len == 6 && ngx_strncmp(r->str, "master", 6) == 0) {
        return NGX_OK;
    }

    len = ngx_min((size_t) r->len, 32);

    ngx_http_webauthn_event_reason(ev, 0, "redis is not a master: its "
                                   "ROLE is \"%*s\"", len, r->str);

    return NGX_ERROR;
}


/* WAIT numreplicas timeout: design.md, "Failure semantics" */

ngx_int_t
ngx_http_webauthn_redis_wait_append(ngx_http_webauthn_redis_op_t *op)
{
    size_t                           len[3];
    const char                      *argv[3];
    ngx_http_webauthn_redis_conf_t  *conf;
    u_char                           n[NGX_INT_T_LEN], t[NGX_INT_T_LEN];

    conf = op->conf;

    argv[0] = "WAIT";
    len[0] = sizeof("WAIT") - 1;
    argv[1] = (const char *) n;
    len[1] = ngx_sprintf(n, "%ui", conf->wait) - n;
    argv[2] = (const char *) t;
    len[2] = ngx_sprintf(t, "%M", conf->wait_timeout) - t;

    if (ngx_http_webauthn_redis_slot_append(op, 3, argv, len) != NGX_OK) {
        return NGX_ERROR;
    }

    /*
     * the replies may take as long as WAIT does, on top of the rest (on a
     * Cluster, the exchange with the slot's node is given it)
     */

    op->timeout = conf->server.timeout + conf->wait_timeout;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_redis_wait_check(ngx_http_webauthn_redis_op_t *op,
    redisReply *reply, ngx_str_t *reason)
{
    u_char                          *p;
    size_t                           len;
    ngx_http_webauthn_redis_conf_t  *conf;

    conf = op->conf;

    if (reply->type == REDIS_REPLY_INTEGER
        && reply->integer >= (long long) conf->wait)
    {
        return NGX_OK;
    }

    /*
     * behind Sentinel, too few replicas may mean that they follow another
     * master now (a failover leaves the former one a master for seconds)
     */

    if (conf->sentinel) {
        ngx_http_webauthn_redis_sentinel_forget(conf->sentinel);
    }

    p = ngx_pnalloc(op->pool, 256);
    if (p == NULL) {
        ngx_str_set(reason, "redis WAIT failed: out of memory");
        return NGX_DECLINED;
    }

    reason->data = p;

    if (reply->type == REDIS_REPLY_INTEGER) {
        reason->len = ngx_sprintf(p, "redis WAIT: %L of %ui replicas "
                                  "acknowledged the commit within %Mms "
                                  "(the nonce is spent on the master)",
                                  (int64_t) reply->integer, conf->wait,
                                  conf->wait_timeout)
                      - p;
        return NGX_DECLINED;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        len = ngx_min((size_t) reply->len, 128);

        reason->len = ngx_sprintf(p, "redis WAIT failed: \"%*s\"", len,
                                  reply->str)
                      - p;
        return NGX_DECLINED;
    }

    reason->len = ngx_sprintf(p, "redis WAIT failed: unexpected reply type "
                              "%d", reply->type)
                  - p;

    return NGX_DECLINED;
}

