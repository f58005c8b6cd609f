
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The "webauthn_redis" directive: its addresses (a server, Sentinel's,
 * a Cluster's seeds), its parameters, and at the http{} block's init its
 * TLS context and its host name (ngx_http_webauthn_redis.h).  The I/O is
 * ngx_http_webauthn_redis.c's.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn_redis.h>
#include <ngx_http_webauthn_redis_pipe.h>
#include <ngx_http_webauthn_redis_cluster.h>


#define NGX_HTTP_WEBAUTHN_REDIS_PORT          6379


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
