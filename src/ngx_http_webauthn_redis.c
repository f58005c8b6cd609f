
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
 * arrays at most WA_RESP_MAX_DEPTH deep
 */

#define NGX_HTTP_WEBAUTHN_REDIS_PORT          6379


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
static ngx_int_t ngx_http_webauthn_redis_param(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value);
static ngx_int_t ngx_http_webauthn_redis_init_tls(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf);
static ngx_int_t ngx_http_webauthn_redis_init_host(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf);


/*
 * webauthn_redis address | cluster address... [user=name]
 *     [password=secret] [db=number]
 *     [connect_timeout=time] [timeout=time] [keepalive=number]
 *     [keepalive_timeout=time] [prefix=string]
 *     [tls] [tls_trusted_certificate=file] [tls_name=name]
 *     [tls_certificate=file tls_certificate_key=file]
 *     [wait=number] [wait_timeout=time] [pipeline=number];
 *
 * webauthn_redis sentinel=master address ... [sentinel_user=name]
 *     [sentinel_password=secret] [the parameters above];
 */

char *
ngx_http_webauthn_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    char                             *rv;
    ngx_int_t                         n, rc;
    ngx_str_t                        *value, name;
    ngx_uint_t                        i, first, nodes;
    ngx_http_webauthn_redis_conf_t   *rcf, **rcfp;

    rcfp = (ngx_http_webauthn_redis_conf_t **) (p + cmd->offset);

    if (*rcfp) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* "cluster" and its nodes: the words up to the first parameter */

    nodes = 0;

    if (ngx_strcmp(value[1].data, "cluster") == 0) {

        while (2 + nodes < cf->args->nelts
               && ngx_strlchr(value[2 + nodes].data,
                              value[2 + nodes].data + value[2 + nodes].len,
                              '=')
                  == NULL
               && !(value[2 + nodes].len == 3
                    && ngx_strncmp(value[2 + nodes].data, "tls", 3) == 0))
        {
            nodes++;
        }

        if (nodes == 0) {
            return "has no cluster nodes";
        }
    }

    rcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_redis_conf_t));
    if (rcf == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_http_webauthn_peer_init(&rcf->server, "redis");

    rcf->wait_timeout = NGX_CONF_UNSET_MSEC;
    rcf->pipeline = NGX_CONF_UNSET_UINT;

    if (value[1].len >= 9 && ngx_strncmp(value[1].data, "sentinel=", 9) == 0) {

        /* the sentinels: every address up to the first parameter */

        name.data = value[1].data + 9;
        name.len = value[1].len - 9;

        for (first = 2; first < cf->args->nelts; first++) {
            if (ngx_strlchr(value[first].data,
                            value[first].data + value[first].len, '=')
                != NULL
                || (value[first].len == 3
                    && ngx_strncmp(value[first].data, "tls", 3) == 0))
            {
                break;
            }
        }

        rv = ngx_http_webauthn_redis_sentinel_conf(cf, rcf, &name, &value[2],
                                                   first - 2);
        if (rv != NGX_CONF_OK) {
            return rv;
        }

    } else if (nodes) {

        /* the first node is the directive's server: its name for TLS */

        if (ngx_http_webauthn_redis_address(cf, rcf, &value[2]) != NGX_OK
            || ngx_http_webauthn_redis_cluster_conf(cf, rcf, &value[2], nodes)
               != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        first = 2 + nodes;

    } else {
        if (ngx_http_webauthn_redis_address(cf, rcf, &value[1]) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        first = 2;
    }

    for (i = first; i < cf->args->nelts; i++) {

        rc = ngx_http_webauthn_peer_param(&rcf->server, &value[i]);

        if (rc == NGX_DECLINED) {
            rc = ngx_http_webauthn_redis_param(cf, rcf, &value[i]);
        }

        if (rc == NGX_DECLINED && rcf->sentinel) {
            rc = ngx_http_webauthn_redis_sentinel_param(cf, rcf, &value[i]);
        }

        if (rc == NGX_OK) {
            continue;
        }

        if (rc == NGX_ERROR) {
            goto invalid;
        }

        if (rc == NGX_ABORT) {
            return NGX_CONF_ERROR;
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


/*
 * host:port, [v6]:port or unix:/path; a literal address is taken as it
 * is, a host name kept for ngx_http_webauthn_redis_init_host()
 */

ngx_int_t
ngx_http_webauthn_redis_address(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value)
{
    u_char     *p;
    ngx_str_t   host;
    ngx_url_t   u;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = *value;
    u.default_port = NGX_HTTP_WEBAUTHN_REDIS_PORT;
    u.no_resolve = 1;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        if (u.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in \"%V\" of \"webauthn_redis\"",
                               u.err, &u.url);
        }

        return NGX_ERROR;
    }

    if (u.wildcard) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no address in \"%V\" of \"webauthn_redis\"",
                           &u.url);
        return NGX_ERROR;
    }

    /* the name TLS checks by default: the host as written, or the address */

    host = u.host;

    if (host.len > 2 && host.data[0] == '[') {
        host.data++;
        host.len -= 2;
    }

    p = ngx_pnalloc(cf->pool, host.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rcf->host.data = p;
    rcf->host.len = ngx_cpystrn(p, host.data, host.len + 1) - p;
    rcf->port = u.port;

    rcf->server.host = rcf->host;
    rcf->server.port = u.port;

    if (u.naddrs) {
        rcf->server.addr = &u.addrs[0];

    } else if (u.host.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no address in \"%V\" of \"webauthn_redis\"",
                           &u.url);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* tls, tls_*=, wait=, wait_timeout=, pipeline= */

static ngx_int_t
ngx_http_webauthn_redis_param(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value)
{
    u_char      *p;
    ngx_int_t    n;
    ngx_str_t    s;
    ngx_msec_t   t;

    if (value->len == 3 && ngx_strncmp(value->data, "tls", 3) == 0) {
        rcf->tls = 1;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "tls_trusted_certificate=", 24) == 0) {
        rcf->tls_trusted.data = value->data + 24;
        rcf->tls_trusted.len = value->len - 24;
        return rcf->tls_trusted.len ? NGX_OK : NGX_ERROR;
    }

    if (ngx_strncmp(value->data, "tls_certificate=", 16) == 0) {
        rcf->tls_certificate.data = value->data + 16;
        rcf->tls_certificate.len = value->len - 16;
        return rcf->tls_certificate.len ? NGX_OK : NGX_ERROR;
    }

    if (ngx_strncmp(value->data, "tls_certificate_key=", 20) == 0) {
        rcf->tls_certificate_key.data = value->data + 20;
        rcf->tls_certificate_key.len = value->len - 20;
        return rcf->tls_certificate_key.len ? NGX_OK : NGX_ERROR;
    }

    if (ngx_strncmp(value->data, "tls_name=", 9) == 0) {
        if (value->len == 9) {
            return NGX_ERROR;
        }

        p = ngx_pnalloc(cf->pool, value->len - 9 + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        rcf->server.ssl_name.data = p;
        rcf->server.ssl_name.len = ngx_cpystrn(p, value->data + 9,
                                               value->len - 9 + 1)
                                   - p;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "pipeline=", 9) == 0) {
        n = ngx_atoi(value->data + 9, value->len - 9);
        if (n == NGX_ERROR || n < 1
            || n > NGX_HTTP_WEBAUTHN_REDIS_MAX_PIPELINE)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" of \"webauthn_redis\" must be a "
                               "number from 1 to %d", value,
                               NGX_HTTP_WEBAUTHN_REDIS_MAX_PIPELINE);
            return NGX_ABORT;
        }

        rcf->pipeline = n;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "wait=", 5) == 0) {
        n = ngx_atoi(value->data + 5, value->len - 5);
        if (n == NGX_ERROR || n == 0) {
            return NGX_ERROR;
        }

        rcf->wait = n;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "wait_timeout=", 13) == 0) {
        s.data = value->data + 13;
        s.len = value->len - 13;

        t = ngx_parse_time(&s, 0);
        if (t == (ngx_msec_t) NGX_ERROR || t == 0) {
            return NGX_ERROR;
        }

        rcf->wait_timeout = t;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_webauthn_redis_init_conf(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf)
{
    if (rcf->wait_timeout == NGX_CONF_UNSET_MSEC) {
        rcf->wait_timeout = rcf->server.timeout;
    }

    if (rcf->pipeline == NGX_CONF_UNSET_UINT) {
        rcf->pipeline = NGX_HTTP_WEBAUTHN_REDIS_PIPELINE;
    }

    if (ngx_http_webauthn_redis_init_tls(cf, rcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (rcf->sentinel) {
        return ngx_http_webauthn_redis_sentinel_init(cf, rcf);
    }

    return ngx_http_webauthn_redis_init_host(cf, rcf);
}


static ngx_int_t
ngx_http_webauthn_redis_init_tls(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf)
{
    ngx_ssl_t  *ssl;

    if (!rcf->tls) {
        if (rcf->tls_trusted.len || rcf->tls_certificate.len
            || rcf->tls_certificate_key.len || rcf->server.ssl_name.len)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"webauthn_redis\" has tls_* parameters "
                               "without \"tls\"");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if ((rcf->tls_certificate.len == 0) != (rcf->tls_certificate_key.len == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_redis\" needs both tls_certificate= "
                           "and tls_certificate_key=, or neither");
        return NGX_ERROR;
    }

    if (rcf->server.ssl) {
        /* a sentinel's, given its master's */
        return NGX_OK;
    }

    if (ngx_http_webauthn_peer_ssl(cf, &rcf->tls_trusted, &ssl) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ssl == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_redis\" with \"tls\" needs "
                           "tls_trusted_certificate=: "
                           "/etc/ssl/certs/ca-certificates.crt was not found");
        return NGX_ERROR;
    }

    if (rcf->tls_certificate.len
        && ngx_ssl_certificate(cf, ssl, &rcf->tls_certificate,
                               &rcf->tls_certificate_key, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    rcf->server.ssl = ssl;

    return NGX_OK;
}


/*
 * a host name: with a "resolver" in http{}, resolved by it at every
 * exchange (cloud endpoints move on failover); without one, once, here,
 * as nginx resolves proxy_pass names
 */

static ngx_int_t
ngx_http_webauthn_redis_init_host(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf)
{
    u_char                    *p;
    ngx_url_t                  u;
    ngx_http_core_loc_conf_t  *clcf;

    if (rcf->server.addr) {
        return NGX_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->resolver && clcf->resolver->connections.nelts) {
        rcf->server.resolver = clcf->resolver;
        rcf->server.resolver_timeout =
                                 (clcf->resolver_timeout == NGX_CONF_UNSET_MSEC)
                                 ? 30000 : clcf->resolver_timeout;
        rcf->server.reresolve = 1;
        return NGX_OK;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    p = ngx_pnalloc(cf->pool, rcf->host.len + sizeof(":65535"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    u.url.data = p;
    u.url.len = ngx_sprintf(p, "%V:%d", &rcf->host, (int) rcf->port) - p;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s in \"%V\" of \"webauthn_redis\"",
                           u.err ? u.err : "host not found", &u.url);
        return NGX_ERROR;
    }

    rcf->server.addr = &u.addrs[0];

    return NGX_OK;
}


void
ngx_http_webauthn_redis_wipe_conf(ngx_http_webauthn_redis_conf_t *rcf)
{
    if (rcf->password.data) {
        ngx_explicit_memzero(rcf->password.data, rcf->password.len);
    }

    if (rcf->sentinel) {
        ngx_http_webauthn_redis_sentinel_wipe(rcf);
    }
}


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
    char    *cmd;
    u_char  *p;

    cmd = NULL;

    n = redisFormatCommandArgv(&cmd, argc, argv, argvlen);

    if (n < 0 || cmd == NULL) {
        ngx_log_error(NGX_LOG_ALERT, pool->log, 0,
                      "redisFormatCommandArgv() failed");
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, n);

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

