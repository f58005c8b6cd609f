
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * AWS credentials: the base ones, in the AWS SDKs' order and with their
 * environment variables (design.md, "AWS credentials"):
 *
 *   1. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN,
 *      AWS_ROLE_SESSION_NAME: STS AssumeRoleWithWebIdentity, the token
 *      file read again at each fetch (EKS IRSA);
 *   3. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (ECS), else
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN (EKS Pod
 *      Identity), plain http to loopback or the ECS/EKS addresses only;
 *   4. EC2 instance metadata, IMDSv2 only, unless
 *      AWS_EC2_METADATA_DISABLED=true;
 *
 * and per person the role the location maps the credential to, through
 * STS AssumeRole signed with the base ones.  Every fetched set is kept in
 * the "webauthn_aws_credentials" shared zone for all workers: refreshed
 * ahead of its expiry (5 minutes or a fifth of its lifetime), one fetch
 * per set at a time across all workers (the others sign with the still
 * valid set, or wait for the fetch when there is none), and a source that
 * fails is tried again with back-off, never in a loop.  A fetch belongs
 * to its worker, not to a request: a request that goes away leaves it to
 * complete for the others.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>
#include <ngx_http_webauthn_http.h>


#define NGX_HTTP_WEBAUTHN_AWS_SECRET_MAX   128
#define NGX_HTTP_WEBAUTHN_AWS_TOKEN_MAX    4096
#define NGX_HTTP_WEBAUTHN_AWS_ERROR_MAX    160
#define NGX_HTTP_WEBAUTHN_AWS_POLL         25       /* ms between looks */
#define NGX_HTTP_WEBAUTHN_AWS_AHEAD        300      /* s, at most */
#define NGX_HTTP_WEBAUTHN_AWS_BACKOFF_MAX  60       /* s */
#define NGX_HTTP_WEBAUTHN_AWS_CHAIN_MAX    3600     /* s: role chaining */
#define NGX_HTTP_WEBAUTHN_AWS_TIMEOUT      5000     /* ms, a fetch */
#define NGX_HTTP_WEBAUTHN_AWS_IMDS_TTL     "21600"
#define NGX_HTTP_WEBAUTHN_AWS_EXCHANGES    3        /* at most, a fetch */
#define NGX_HTTP_WEBAUTHN_AWS_ECS_HOST     "169.254.170.2"


typedef enum {
    NGX_HTTP_WEBAUTHN_AWS_FRESH = 0,    /* valid: use it */
    NGX_HTTP_WEBAUTHN_AWS_REFRESH,      /* valid, near expiry: use it,
                                           and fetch (the caller's turn) */
    NGX_HTTP_WEBAUTHN_AWS_FETCH,        /* none: fetch (the caller's turn) */
    NGX_HTTP_WEBAUTHN_AWS_WAIT,         /* none: another fetch is under way */
    NGX_HTTP_WEBAUTHN_AWS_BACKOFF       /* none: the source failed lately */
} ngx_http_webauthn_aws_state_e;


typedef enum {
    NGX_HTTP_WEBAUTHN_AWS_ASSUME = 0,
    NGX_HTTP_WEBAUTHN_AWS_WEB_IDENTITY,
    NGX_HTTP_WEBAUTHN_AWS_CONTAINER,
    NGX_HTTP_WEBAUTHN_AWS_IMDS
} ngx_http_webauthn_aws_kind_e;


typedef ngx_http_webauthn_zone_sh_t  ngx_http_webauthn_aws_sh_t;


typedef struct {
    ngx_http_webauthn_aws_sh_t      *sh;
    ngx_slab_pool_t                 *shpool;
    ngx_msec_t                       timeout;
} ngx_http_webauthn_aws_zone_t;


/* one set of credentials in the zone; the key is a SHA-256 of its name */

typedef struct {
    ngx_str_node_t                   sn;
    ngx_queue_t                      queue;
    u_char                           key[WA_SHA256_LEN];

    time_t                           expires;      /* 0: none yet */
    time_t                           issued;
    uint64_t                         fetching;     /* until, ms; 0: no */
    time_t                           retry;        /* back-off until */
    ngx_uint_t                       failures;

    size_t                           akid_len;
    size_t                           secret_len;
    size_t                           token_len;
    size_t                           error_len;
    u_char                           akid[NGX_HTTP_WEBAUTHN_AWS_AKID_MAX];
    u_char                           secret[NGX_HTTP_WEBAUTHN_AWS_SECRET_MAX];
    u_char                           token[NGX_HTTP_WEBAUTHN_AWS_TOKEN_MAX];
    u_char                           error[NGX_HTTP_WEBAUTHN_AWS_ERROR_MAX];
} ngx_http_webauthn_aws_node_t;


/* the base source the environment names (read once per worker) */

typedef struct {
    ngx_http_webauthn_aws_creds_t    env;          /* 1.: access_key set */
    ngx_http_webauthn_aws_kind_e     kind;         /* else */
    const char                      *source;       /* NULL: none at all */
} ngx_http_webauthn_aws_source_t;


/* a fetch: the worker's, with a pool of its own */

typedef struct {
    ngx_pool_t                      *pool;
    ngx_http_webauthn_aws_zone_t    *zone;
    u_char                           key[WA_SHA256_LEN];
    ngx_http_webauthn_aws_kind_e     kind;
    ngx_uint_t                       stage;        /* IMDS: 0, 1, 2 */
    const char                      *source;       /* for the log */
    ngx_http_webauthn_peer_t        *server;
    ngx_str_t                        host;
    ngx_str_t                        path;
    ngx_str_t                        auth;         /* container token */
    ngx_uint_t                       auth_copy;    /* 1: the pool's copy
                                                      (of its file) */
    ngx_str_t                        imds_token;
    ngx_http_webauthn_http_t        *hr;
} ngx_http_webauthn_aws_fetch_t;


static ngx_int_t ngx_http_webauthn_aws_obtain(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_str_t *name,
    ngx_http_webauthn_aws_kind_e kind, const char *source);
static ngx_int_t ngx_http_webauthn_aws_wait(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static void ngx_http_webauthn_aws_wake(ngx_event_t *ev);
static ngx_int_t ngx_http_webauthn_aws_fetch(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, u_char *key,
    ngx_http_webauthn_aws_kind_e kind, const char *source,
    const char **reason);
static ngx_int_t ngx_http_webauthn_aws_next(ngx_http_webauthn_aws_fetch_t *f);
static void ngx_http_webauthn_aws_fetch_handler(ngx_http_webauthn_http_t *hr);
static ngx_int_t ngx_http_webauthn_aws_json(ngx_http_webauthn_aws_fetch_t *f,
    ngx_str_t *body, ngx_http_webauthn_aws_creds_t *c, ngx_str_t *why);
static void ngx_http_webauthn_aws_fetch_done(ngx_http_webauthn_aws_fetch_t *f,
    ngx_http_webauthn_aws_creds_t *c, ngx_str_t *why);
static ngx_http_webauthn_aws_state_e ngx_http_webauthn_aws_lookup(
    ngx_http_webauthn_aws_zone_t *zone, u_char *key, ngx_pool_t *pool,
    ngx_http_webauthn_aws_creds_t *out, ngx_str_t *error);
static void ngx_http_webauthn_aws_store(ngx_http_webauthn_aws_zone_t *zone,
    u_char *key, ngx_http_webauthn_aws_creds_t *c, ngx_str_t *why,
    ngx_log_t *log);
static ngx_http_webauthn_aws_node_t *ngx_http_webauthn_aws_node(
    ngx_http_webauthn_aws_zone_t *zone, u_char *key, ngx_uint_t create);
static ngx_int_t ngx_http_webauthn_aws_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_http_webauthn_aws_source_t *ngx_http_webauthn_aws_source(void);
static char *ngx_http_webauthn_aws_getenv(const char *name);
static ngx_int_t ngx_http_webauthn_aws_token_file(ngx_pool_t *pool,
    const char *var, u_char *buf, ngx_str_t *token, const char **reason);


/* worker exit */

void
ngx_http_webauthn_aws_creds_cleanup(void)
{
    ngx_http_webauthn_endpoints_cleanup();
}


/* webauthn_aws_credentials zone=name:size [timeout=time]; */

char *
ngx_http_webauthn_aws_credentials(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *c = conf;

    ssize_t                        size;
    ngx_str_t                     *value, name, s;
    ngx_uint_t                     i;
    ngx_msec_t                     timeout;
    ngx_shm_zone_t               **zp;
    ngx_http_webauthn_aws_zone_t  *zone;

    zp = (ngx_shm_zone_t **) (c + cmd->offset);

    if (*zp) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_null(&name);
    size = 0;
    timeout = NGX_HTTP_WEBAUTHN_AWS_TIMEOUT;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {

            if (ngx_http_webauthn_zone_param(cf, &value[i], &name, &size)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            timeout = ngx_parse_time(&s, 0);
            if (timeout == (ngx_msec_t) NGX_ERROR || timeout == 0) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_aws_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->timeout = timeout;

    *zp = ngx_http_webauthn_zone_add(cf, cmd, &name, size,
                                     ngx_http_webauthn_aws_init_zone, zone);

    return *zp ? NGX_CONF_OK : NGX_CONF_ERROR;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_webauthn_aws_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_webauthn_aws_zone_t  *ozone = data;

    ngx_http_webauthn_aws_zone_t  *zone;

    zone = shm_zone->data;

    return ngx_http_webauthn_zone_init(shm_zone, &zone->sh, &zone->shpool,
                                       ozone ? ozone->sh : NULL,
                                       ozone ? ozone->shpool : NULL,
                                       "webauthn_aws_credentials");
}


/* the step: the credentials that sign this request */

ngx_int_t
ngx_http_webauthn_aws_step_credentials(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t                       rc;
    ngx_str_t                       name;
    ngx_http_webauthn_aws_source_t *src;

    if (!ctx->wlcf->aws_sign) {
        return NGX_OK;
    }

    if (!ctx->aws_base) {

        src = ngx_http_webauthn_aws_source();

        if (src->env.access_key.len) {
            ctx->aws = src->env;

        } else if (src->source == NULL) {
            return ngx_http_webauthn_refuse(ctx,
                                   WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
                                   "no AWS credentials are available",
                                   "no AWS credentials: no source is "
                                   "configured (environment, web identity, "
                                   "container) and AWS_EC2_METADATA_DISABLED "
                                   "is true");

        } else {
            ngx_str_set(&name, "base");

            rc = ngx_http_webauthn_aws_obtain(r, ctx, &name, src->kind,
                                              src->source);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        ctx->aws_base = 1;
    }

    if (ctx->aws_role.len == 0) {
        return NGX_OK;
    }

    /* the person's session: role, user, credential (tags name the device) */

    /* and the duration: locations asking for other lengths do not share */

    name.len = sizeof("role\n\n\n\n") - 1 + ctx->aws_role.len
               + ctx->cred.user_name.len + ctx->cred.id.len + NGX_TIME_T_LEN;
    name.data = ngx_pnalloc(r->pool, name.len);
    if (name.data == NULL) {
        return NGX_ERROR;
    }

    name.len = ngx_sprintf(name.data, "role\n%V\n%V\n%V\n%T",
                           &ctx->aws_role, &ctx->cred.user_name,
                           &ctx->cred.id, ctx->wlcf->aws_role_duration)
               - name.data;

    return ngx_http_webauthn_aws_obtain(r, ctx, &name,
                                        NGX_HTTP_WEBAUTHN_AWS_ASSUME,
                                        "STS AssumeRole");
}


static ngx_int_t
ngx_http_webauthn_aws_obtain(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_str_t *name,
    ngx_http_webauthn_aws_kind_e kind, const char *source)
{
    u_char                          *p;
    ngx_str_t                        error;
    const char                      *reason;
    ngx_http_webauthn_aws_creds_t    creds;
    ngx_http_webauthn_aws_zone_t    *zone;
    ngx_http_webauthn_main_conf_t   *wmcf;
    u_char                           key[WA_SHA256_LEN];

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);
    zone = wmcf->aws_zone->data;

    wa_sha256(key, name->data, name->len);

    ngx_memzero(&creds, sizeof(ngx_http_webauthn_aws_creds_t));
    ngx_str_null(&error);

    switch (ngx_http_webauthn_aws_lookup(zone, key, r->pool, &creds,
                                         &error))
    {

    case NGX_HTTP_WEBAUTHN_AWS_FRESH:
        ctx->aws = creds;
        return NGX_OK;

    case NGX_HTTP_WEBAUTHN_AWS_REFRESH:

        /* signs with these; the fetch is for the next requests */

        reason = NULL;

        if (ngx_http_webauthn_aws_fetch(r, ctx, key, kind, source, &reason)
            != NGX_OK)
        {
            ngx_http_webauthn_metrics_aws(kind, 0, 0);
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "webauthn: %s refresh failed to start: %s",
                          source, reason ? reason : "out of memory");
        }

        ctx->aws = creds;
        return NGX_OK;

    case NGX_HTTP_WEBAUTHN_AWS_FETCH:

        reason = NULL;

        if (ngx_http_webauthn_aws_fetch(r, ctx, key, kind, source, &reason)
            != NGX_OK)
        {
            ngx_http_webauthn_metrics_aws(kind, 0, 0);
            error.data = (u_char *) (reason ? reason : "out of memory");
            error.len = ngx_strlen(error.data);
            ngx_http_webauthn_aws_store(zone, key, NULL, &error,
                                        r->connection->log);
            goto unavailable;
        }

        /* fall through */

    case NGX_HTTP_WEBAUTHN_AWS_WAIT:
        return ngx_http_webauthn_aws_wait(r, ctx);

    default: /* NGX_HTTP_WEBAUTHN_AWS_BACKOFF */
        goto unavailable;
    }

unavailable:

    p = ngx_pnalloc(r->pool, ngx_strlen(source) + sizeof(": ") + error.len);
    if (p) {
        ngx_sprintf(p, "%s: %V%Z", source, &error);
    }

    return ngx_http_webauthn_refuse(ctx, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
                                    "no AWS credentials are available",
                                    p ? (char *) p : source);
}


/* waiting for another fetch: looked at again every few milliseconds */

static ngx_int_t
ngx_http_webauthn_aws_wait(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    ngx_http_webauthn_main_conf_t  *wmcf;
    ngx_http_webauthn_aws_zone_t   *zone;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);
    zone = wmcf->aws_zone->data;

    if (ctx->aws_wait_until == 0) {
        ctx->aws_wait_until = ngx_http_webauthn_now()
                              + NGX_HTTP_WEBAUTHN_AWS_EXCHANGES
                                * zone->timeout
                              + 2 * NGX_HTTP_WEBAUTHN_AWS_POLL;

    } else if (ngx_http_webauthn_now() > ctx->aws_wait_until) {
        return ngx_http_webauthn_refuse(ctx,
                                        WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
                                        "no AWS credentials are available",
                                        "no AWS credentials: the fetch did "
                                        "not complete in time");
    }

    ctx->aws_timer.handler = ngx_http_webauthn_aws_wake;
    ctx->aws_timer.data = r;
    ctx->aws_timer.log = r->connection->log;

    ngx_add_timer(&ctx->aws_timer, NGX_HTTP_WEBAUTHN_AWS_POLL);

    return NGX_AGAIN;
}


static void
ngx_http_webauthn_aws_wake(ngx_event_t *ev)
{
    ngx_http_request_t       *r;
    ngx_http_webauthn_ctx_t  *ctx;

    r = ev->data;

    ctx = ngx_http_webauthn_get_ctx(r);
    if (ctx) {
        ctx->waiting = 0;
    }

    ngx_http_webauthn_wake(r);
}


void
ngx_http_webauthn_aws_cancel(ngx_http_webauthn_ctx_t *ctx)
{
    if (ctx->aws_timer.timer_set) {
        ngx_del_timer(&ctx->aws_timer);
    }
}


/* starts the worker's fetch of one set; the zone says it is under way */

static ngx_int_t
ngx_http_webauthn_aws_fetch(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx,
    u_char *key, ngx_http_webauthn_aws_kind_e kind, const char *source,
    const char **reason)
{
    u_char                          *p;
    char                            *env;
    size_t                           len;
    ngx_str_t                        req, arn, session, token, host;
    ngx_str_t                        region, url;
    ngx_pool_t                      *pool;
    ngx_http_webauthn_endpoint_t    *ep;
    ngx_http_webauthn_aws_fetch_t   *f;
    ngx_http_webauthn_main_conf_t   *wmcf;
    u_char                           buf[NGX_HTTP_WEBAUTHN_AWS_TOKEN_MAX];

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    ngx_str_null(&req);

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    f = ngx_pcalloc(pool, sizeof(ngx_http_webauthn_aws_fetch_t));
    if (f == NULL) {
        goto failed;
    }

    f->pool = pool;
    f->zone = wmcf->aws_zone->data;
    f->kind = kind;
    f->source = source;
    ngx_memcpy(f->key, key, WA_SHA256_LEN);

    switch (kind) {

    case NGX_HTTP_WEBAUTHN_AWS_ASSUME:
    case NGX_HTTP_WEBAUTHN_AWS_WEB_IDENTITY:

        /* web identity: STS in AWS_REGION, else the first one configured */

        region = ctx->wlcf->aws_region;

        if (kind == NGX_HTTP_WEBAUTHN_AWS_WEB_IDENTITY) {
            region = wmcf->aws_region;
        }

        if (kind == NGX_HTTP_WEBAUTHN_AWS_WEB_IDENTITY) {
            env = ngx_http_webauthn_aws_getenv("AWS_REGION");
            if (env == NULL) {
                env = ngx_http_webauthn_aws_getenv("AWS_DEFAULT_REGION");
            }

            if (env) {
                region.data = (u_char *) env;
                region.len = ngx_strlen(env);
            }
        }

        if (ngx_http_webauthn_sts_endpoint(r, &region, &f->server, &host,
                                           reason)
            != NGX_OK)
        {
            goto failed;
        }

        if (kind == NGX_HTTP_WEBAUTHN_AWS_ASSUME) {
            if (ngx_http_webauthn_sts_assume_request(r, ctx, &ctx->aws,
                                                     &host, &req)
                != NGX_OK)
            {
                *reason = "the AssumeRole request cannot be made";
                goto failed;
            }

            break;
        }

        /* the token file is read again at each fetch: it is rotated */

        if (ngx_http_webauthn_aws_token_file(r->pool,
                                             "AWS_WEB_IDENTITY_TOKEN_FILE",
                                             buf, &token, reason)
            != NGX_OK)
        {
            goto failed;
        }

        arn.data = (u_char *) ngx_http_webauthn_aws_getenv("AWS_ROLE_ARN");
        arn.len = ngx_strlen(arn.data);

        env = ngx_http_webauthn_aws_getenv("AWS_ROLE_SESSION_NAME");
        if (env == NULL) {
            env = "webauthn-gateway";
        }

        session.data = (u_char *) env;
        session.len = ngx_strlen(env);

        if (ngx_http_webauthn_sts_web_identity_request(pool, &arn, &session,
                                                       &token, &host, &req)
            != NGX_OK)
        {
            wa_memzero(buf, sizeof(buf));
            *reason = "the AssumeRoleWithWebIdentity request cannot be made";
            goto failed;
        }

        wa_memzero(buf, sizeof(buf));
        break;

    case NGX_HTTP_WEBAUTHN_AWS_CONTAINER:

        env = ngx_http_webauthn_aws_getenv(
                                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

        if (env) {
            p = ngx_pnalloc(pool,
                            sizeof("http://" NGX_HTTP_WEBAUTHN_AWS_ECS_HOST)
                            + ngx_strlen(env));
            if (p == NULL) {
                goto failed;
            }

            ngx_sprintf(p, "http://" NGX_HTTP_WEBAUTHN_AWS_ECS_HOST "%s%Z",
                        env);
            env = (char *) p;

        } else {
            env = ngx_http_webauthn_aws_getenv(
                                         "AWS_CONTAINER_CREDENTIALS_FULL_URI");
        }

        url.data = (u_char *) env;
        url.len = ngx_strlen(env);

        if (ngx_http_webauthn_endpoint(r, &url, "container",
                                       "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                       NGX_HTTP_WEBAUTHN_PLAIN_ECS
                                       |NGX_HTTP_WEBAUTHN_PLAIN_LOCAL,
                                       wmcf->aws_ssl, &ep, reason)
            != NGX_OK)
        {
            goto failed;
        }

        f->server = &ep->server;
        f->host = ep->host;
        f->path = ep->path;

        /* the token file is read at each fetch (EKS Pod Identity) */

        if (ngx_http_webauthn_aws_getenv(
                                  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
        {
            if (ngx_http_webauthn_aws_token_file(r->pool,
                                     "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                                     buf, &token, reason)
                != NGX_OK)
            {
                goto failed;
            }

            f->auth.data = ngx_pnalloc(pool, token.len);
            if (f->auth.data == NULL) {
                wa_memzero(buf, sizeof(buf));
                goto failed;
            }

            ngx_memcpy(f->auth.data, token.data, token.len);
            f->auth.len = token.len;
            f->auth_copy = 1;
            wa_memzero(buf, sizeof(buf));

        } else {
            env = ngx_http_webauthn_aws_getenv(
                                          "AWS_CONTAINER_AUTHORIZATION_TOKEN");
            if (env) {
                f->auth.data = (u_char *) env;
                f->auth.len = ngx_strlen(env);
            }
        }

        len = sizeof("GET  HTTP/1.1\r\nHost: \r\nAccept: application/json"
                     "\r\nAuthorization: \r\n\r\n") - 1
              + f->path.len + f->host.len + f->auth.len;

        req.data = ngx_pnalloc(pool, len);
        if (req.data == NULL) {
            goto failed;
        }

        p = ngx_sprintf(req.data, "GET %V HTTP/1.1\r\nHost: %V\r\n"
                        "Accept: application/json\r\n", &f->path, &f->host);
        if (f->auth.len) {
            p = ngx_sprintf(p, "Authorization: %V\r\n", &f->auth);
        }

        *p++ = CR; *p++ = LF;
        req.len = p - req.data;
        break;

    default: /* NGX_HTTP_WEBAUTHN_AWS_IMDS */

        env = ngx_http_webauthn_aws_getenv(
                                          "AWS_EC2_METADATA_SERVICE_ENDPOINT");
        if (env == NULL) {
            env = "http://169.254.169.254";
        }

        url.data = (u_char *) env;
        url.len = ngx_strlen(env);

        if (ngx_http_webauthn_endpoint(r, &url, "imds",
                                       "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                       NGX_HTTP_WEBAUTHN_PLAIN_IMDS
                                       |NGX_HTTP_WEBAUTHN_PLAIN_LOCAL,
                                       wmcf->aws_ssl, &ep, reason)
            != NGX_OK)
        {
            goto failed;
        }

        f->server = &ep->server;
        f->host = ep->host;

        /* IMDSv2: a session token first, never IMDSv1 */

        len = sizeof("PUT /latest/api/token HTTP/1.1\r\nHost: \r\n"
                     "X-aws-ec2-metadata-token-ttl-seconds: "
                     NGX_HTTP_WEBAUTHN_AWS_IMDS_TTL
                     "\r\nContent-Length: 0\r\n\r\n") - 1
              + f->host.len;

        p = ngx_pnalloc(pool, len);
        if (p == NULL) {
            goto failed;
        }

        req.data = p;
        p = ngx_sprintf(p, "PUT /latest/api/token HTTP/1.1\r\nHost: %V\r\n"
                        "X-aws-ec2-metadata-token-ttl-seconds: "
                        NGX_HTTP_WEBAUTHN_AWS_IMDS_TTL "\r\n"
                        "Content-Length: 0\r\n\r\n", &f->host);
        req.len = p - req.data;
        break;
    }

    /* every exchange of a fetch within webauthn_aws_credentials timeout= */

    f->server->timeout = f->zone->timeout;
    f->server->connect_timeout = f->zone->timeout;

    f->hr = ngx_http_webauthn_http_create(f->server, ngx_cycle->log);
    if (f->hr == NULL) {
        goto failed;
    }

    f->hr->handler = ngx_http_webauthn_aws_fetch_handler;
    f->hr->data = f;

    if (ngx_http_webauthn_http_start(f->hr, &req) != NGX_OK) {
        p = ngx_pnalloc(r->pool, f->hr->reason.len + 1);
        if (p) {
            *ngx_cpymem(p, f->hr->reason.data, f->hr->reason.len) = '\0';
            *reason = (char *) p;
        }

        ngx_http_webauthn_http_free(f->hr);
        goto failed;
    }

    /* copied by the exchange: this copy (a token, a signature) goes */

    wa_memzero(req.data, req.len);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webauthn aws: fetch from %s", source);

    return NGX_OK;

failed:

    /* the request (a token, a signature) and the container token */

    if (req.data) {
        wa_memzero(req.data, req.len);
    }

    if (f && f->auth_copy) {
        wa_memzero(f->auth.data, f->auth.len);
    }

    ngx_destroy_pool(pool);

    return NGX_ERROR;
}


static void
ngx_http_webauthn_aws_fetch_handler(ngx_http_webauthn_http_t *hr)
{
    ngx_http_webauthn_aws_fetch_t *f = hr->data;

    u_char                         *p;
    ngx_str_t                       why, req;
    ngx_http_webauthn_aws_creds_t   c;

    ngx_memzero(&c, sizeof(ngx_http_webauthn_aws_creds_t));
    ngx_str_null(&why);

    f->hr = NULL;

    if (hr->rc != NGX_OK) {
        why.data = ngx_pstrdup(f->pool, &hr->reason);
        why.len = why.data ? hr->reason.len : 0;
        goto done;
    }

    switch (f->kind) {

    case NGX_HTTP_WEBAUTHN_AWS_ASSUME:
    case NGX_HTTP_WEBAUTHN_AWS_WEB_IDENTITY:
        (void) ngx_http_webauthn_sts_parse(f->pool, hr->status, &hr->body, &c,
                                           &why);
        goto done;

    case NGX_HTTP_WEBAUTHN_AWS_CONTAINER:
        (void) ngx_http_webauthn_aws_json(f, &hr->body, &c, &why);

        if (hr->status != NGX_HTTP_OK && why.len == 0) {
            ngx_str_set(&why, "an error status");
        }

        goto done;

    default: /* IMDS */
        break;
    }

    if (hr->status != NGX_HTTP_OK) {
        p = ngx_pnalloc(f->pool, 64);
        if (p) {
            why.data = p;
            why.len = ngx_sprintf(p, "status %ui at step %ui", hr->status,
                                  f->stage) - p;
        }

        goto done;
    }

    switch (f->stage) {

    case 0:
        /* the session token */
        f->imds_token.data = ngx_pstrdup(f->pool, &hr->body);
        f->imds_token.len = hr->body.len;
        ngx_str_set(&req, "/latest/meta-data/iam/security-credentials/");
        break;

    case 1:
        /* the instance profile's role name, one line */

        for (p = hr->body.data; p < hr->body.data + hr->body.len; p++) {
            if (*p == '\n' || *p == '\r') {
                break;
            }
        }

        f->path.len = sizeof("/latest/meta-data/iam/security-credentials/")
                      - 1 + (p - hr->body.data);
        f->path.data = ngx_pnalloc(f->pool, f->path.len);
        if (f->path.data == NULL || p == hr->body.data) {
            ngx_str_set(&why, "no instance profile role");
            goto done;
        }

        ngx_sprintf(f->path.data, "/latest/meta-data/iam/security-credentials/"
                    "%*s", (size_t) (p - hr->body.data), hr->body.data);
        req = f->path;
        break;

    default:
        (void) ngx_http_webauthn_aws_json(f, &hr->body, &c, &why);
        goto done;
    }

    ngx_http_webauthn_http_free(hr);

    f->stage++;
    f->path = req;

    if (ngx_http_webauthn_aws_next(f) != NGX_OK) {
        ngx_str_set(&why, "the next instance metadata request failed");
        ngx_http_webauthn_aws_fetch_done(f, NULL, &why);
    }

    return;

done:

    ngx_http_webauthn_http_free(hr);

    /* a set read from an answer refused all the same (an error status) */

    if (why.len) {
        ngx_http_webauthn_aws_wipe(&c);
    }

    ngx_http_webauthn_aws_fetch_done(f, why.len ? NULL : &c, &why);
}


/* IMDS: a GET with the session token */

static ngx_int_t
ngx_http_webauthn_aws_next(ngx_http_webauthn_aws_fetch_t *f)
{
    u_char     *p;
    size_t      len;
    ngx_int_t   rc;
    ngx_str_t   req;

    len = sizeof("GET  HTTP/1.1\r\nHost: \r\nX-aws-ec2-metadata-token: "
                 "\r\n\r\n") - 1
          + f->path.len + f->host.len + f->imds_token.len;

    req.data = ngx_pnalloc(f->pool, len);
    if (req.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(req.data, "GET %V HTTP/1.1\r\nHost: %V\r\n"
                    "X-aws-ec2-metadata-token: %V\r\n\r\n",
                    &f->path, &f->host, &f->imds_token);
    req.len = p - req.data;

    f->hr = ngx_http_webauthn_http_create(f->server, ngx_cycle->log);
    if (f->hr == NULL) {
        return NGX_ERROR;
    }

    f->hr->handler = ngx_http_webauthn_aws_fetch_handler;
    f->hr->data = f;

    rc = ngx_http_webauthn_http_start(f->hr, &req);

    wa_memzero(req.data, req.len);

    if (rc != NGX_OK) {
        ngx_http_webauthn_http_free(f->hr);
        f->hr = NULL;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the container and IMDS answers: JSON, read by the core (wa_awscred.c) */

static ngx_int_t
ngx_http_webauthn_aws_json(ngx_http_webauthn_aws_fetch_t *f, ngx_str_t *body,
    ngx_http_webauthn_aws_creds_t *c, ngx_str_t *why)
{
    wa_err_t         err;
    ngx_int_t        rc;
    const char      *detail;
    wa_aws_creds_t   wc;

    detail = "the answer is not a JSON object";

    err = wa_awscred_parse(&wc, body->data, body->len, ngx_time(), &detail);

    if (err != WA_OK) {
        why->data = (u_char *) detail;
        why->len = ngx_strlen(detail);
        wa_aws_creds_free(&wc);
        return NGX_ERROR;
    }

    rc = ngx_http_webauthn_aws_creds_copy(f->pool, c, &wc);

    wa_aws_creds_free(&wc);

    if (rc != NGX_OK) {
        ngx_str_set(why, "out of memory");
    }

    return rc;
}


/* a set the core parsed, copied to the fetch's pool (its secret wiped) */

ngx_int_t
ngx_http_webauthn_aws_creds_copy(ngx_pool_t *pool,
    ngx_http_webauthn_aws_creds_t *dst, wa_aws_creds_t *src)
{
    ngx_memzero(dst, sizeof(ngx_http_webauthn_aws_creds_t));

    dst->access_key.data = ngx_pnalloc(pool, src->access_key_len + 1);
    dst->secret.data = ngx_pnalloc(pool, src->secret_len + 1);
    dst->token.data = ngx_pnalloc(pool, src->token_len + 1);

    if (dst->access_key.data == NULL || dst->secret.data == NULL
        || dst->token.data == NULL)
    {
        ngx_memzero(dst, sizeof(ngx_http_webauthn_aws_creds_t));
        return NGX_ERROR;
    }

    ngx_memcpy(dst->access_key.data, src->access_key, src->access_key_len);
    dst->access_key.data[src->access_key_len] = '\0';
    dst->access_key.len = src->access_key_len;

    ngx_memcpy(dst->secret.data, src->secret, src->secret_len);
    dst->secret.data[src->secret_len] = '\0';
    dst->secret.len = src->secret_len;

    if (src->token_len) {
        ngx_memcpy(dst->token.data, src->token, src->token_len);
    }

    dst->token.data[src->token_len] = '\0';
    dst->token.len = src->token_len;

    dst->expires = (time_t) src->expires;

    return NGX_OK;
}


static void
ngx_http_webauthn_aws_fetch_done(ngx_http_webauthn_aws_fetch_t *f,
    ngx_http_webauthn_aws_creds_t *c, ngx_str_t *why)
{
    /*
     * the requests refused for it log the reason at "error"; this line is
     * for a refresh that failed while the old credentials still sign
     */

    if (c == NULL) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "webauthn: AWS credentials from %s failed: %V",
                      f->source, why);
    }

    ngx_http_webauthn_metrics_aws(f->kind, c ? c->expires : 0, c != NULL);
    ngx_http_webauthn_aws_store(f->zone, f->key, c, why, ngx_cycle->log);

    if (c) {
        ngx_http_webauthn_aws_wipe(c);
    }

    if (f->imds_token.data) {
        wa_memzero(f->imds_token.data, f->imds_token.len);
    }

    if (f->auth_copy) {
        wa_memzero(f->auth.data, f->auth.len);
    }

    ngx_destroy_pool(f->pool);
}


/* the zone: what a request may do with the set named by key */

static ngx_http_webauthn_aws_state_e
ngx_http_webauthn_aws_lookup(ngx_http_webauthn_aws_zone_t *zone, u_char *key,
    ngx_pool_t *pool, ngx_http_webauthn_aws_creds_t *out, ngx_str_t *error)
{
    time_t                          now, ahead;
    uint64_t                        ms;
    ngx_pool_cleanup_t             *cln;
    ngx_http_webauthn_aws_creds_t  *wipe;
    ngx_http_webauthn_aws_node_t   *n;
    ngx_http_webauthn_aws_state_e   state;

    now = ngx_time();
    ms = ngx_http_webauthn_now();

    ngx_shmtx_lock(&zone->shpool->mutex);

    n = ngx_http_webauthn_aws_node(zone, key, 1);

    if (n == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        ngx_str_set(error, "the credentials zone is full");
        return NGX_HTTP_WEBAUTHN_AWS_BACKOFF;
    }

    if (n->fetching && n->fetching < ms) {
        /* a fetch that never finished: its worker is gone */
        n->fetching = 0;
    }

    if (n->expires > now) {
        ahead = ngx_min(NGX_HTTP_WEBAUTHN_AWS_AHEAD,
                        (n->expires - n->issued) / 5);

        state = NGX_HTTP_WEBAUTHN_AWS_FRESH;

        if (n->expires - now <= ahead && !n->fetching && n->retry <= now) {
            state = NGX_HTTP_WEBAUTHN_AWS_REFRESH;
            n->fetching = ms
                          + NGX_HTTP_WEBAUTHN_AWS_EXCHANGES * zone->timeout;
        }

        out->access_key.data = ngx_pnalloc(pool, n->akid_len);
        out->secret.data = ngx_pnalloc(pool, n->secret_len);
        out->token.data = ngx_pnalloc(pool, n->token_len + 1);
        wipe = ngx_palloc(pool, sizeof(ngx_http_webauthn_aws_creds_t));
        cln = ngx_pool_cleanup_add(pool, 0);

        if (out->access_key.data == NULL || out->secret.data == NULL
            || out->token.data == NULL || wipe == NULL || cln == NULL)
        {
            if (state == NGX_HTTP_WEBAUTHN_AWS_REFRESH) {
                n->fetching = 0;
            }

            ngx_shmtx_unlock(&zone->shpool->mutex);
            ngx_str_set(error, "out of memory");
            return NGX_HTTP_WEBAUTHN_AWS_BACKOFF;
        }

        ngx_memcpy(out->access_key.data, n->akid, n->akid_len);
        out->access_key.len = n->akid_len;
        ngx_memcpy(out->secret.data, n->secret, n->secret_len);
        out->secret.len = n->secret_len;
        ngx_memcpy(out->token.data, n->token, n->token_len);
        out->token.len = n->token_len;
        out->expires = n->expires;

        ngx_queue_remove(&n->queue);
        ngx_queue_insert_head(&zone->sh->queue, &n->queue);

        ngx_shmtx_unlock(&zone->shpool->mutex);

        /* the request's copy of the secret and token go with its pool */

        *wipe = *out;

        cln->handler = ngx_http_webauthn_aws_wipe;
        cln->data = wipe;

        return state;
    }

    /* expired: its secret and token are of no more use */

    if (n->secret_len || n->token_len) {
        wa_memzero(n->secret, sizeof(n->secret));
        wa_memzero(n->token, sizeof(n->token));
        n->secret_len = 0;
        n->token_len = 0;
    }

    if (n->fetching) {
        state = NGX_HTTP_WEBAUTHN_AWS_WAIT;

    } else if (n->retry > now) {
        state = NGX_HTTP_WEBAUTHN_AWS_BACKOFF;

        error->data = ngx_pnalloc(pool, n->error_len);
        if (error->data) {
            ngx_memcpy(error->data, n->error, n->error_len);
            error->len = n->error_len;
        }

    } else {
        state = NGX_HTTP_WEBAUTHN_AWS_FETCH;
        n->fetching = ms + NGX_HTTP_WEBAUTHN_AWS_EXCHANGES * zone->timeout;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return state;
}


/* a set's secret and token (a pool cleanup's, or after use) */

void
ngx_http_webauthn_aws_wipe(void *data)
{
    ngx_http_webauthn_aws_creds_t  *c = data;

    if (c->secret.data) {
        wa_memzero(c->secret.data, c->secret.len);
    }

    if (c->token.data) {
        wa_memzero(c->token.data, c->token.len);
    }
}


/* a fetch's outcome: the set, or a failure and its back-off */

static void
ngx_http_webauthn_aws_store(ngx_http_webauthn_aws_zone_t *zone, u_char *key,
    ngx_http_webauthn_aws_creds_t *c, ngx_str_t *why, ngx_log_t *log)
{
    time_t                         now, backoff;
    ngx_http_webauthn_aws_node_t  *n;

    now = ngx_time();

    if (c && (c->access_key.len > NGX_HTTP_WEBAUTHN_AWS_AKID_MAX
              || c->secret.len > NGX_HTTP_WEBAUTHN_AWS_SECRET_MAX
              || c->token.len > NGX_HTTP_WEBAUTHN_AWS_TOKEN_MAX))
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "webauthn: aws_credentials_unavailable: the fetched "
                      "credentials are larger than this module keeps");
        c = NULL;
        ngx_str_set(why, "the fetched credentials are too large");
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    n = ngx_http_webauthn_aws_node(zone, key, 1);

    if (n == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return;
    }

    n->fetching = 0;

    if (c) {
        wa_memzero(n->secret, sizeof(n->secret));
        wa_memzero(n->token, sizeof(n->token));

        ngx_memcpy(n->akid, c->access_key.data, c->access_key.len);
        n->akid_len = c->access_key.len;
        ngx_memcpy(n->secret, c->secret.data, c->secret.len);
        n->secret_len = c->secret.len;
        ngx_memcpy(n->token, c->token.data, c->token.len);
        n->token_len = c->token.len;
        n->expires = c->expires;
        n->issued = now;
        n->error_len = 0;

        /*
         * a source that hands back credentials already inside the refresh
         * window would be asked again by every request: backed off too
         */

        if (c->expires - now <= NGX_HTTP_WEBAUTHN_AWS_AHEAD) {
            backoff = (time_t) 1 << ngx_min(n->failures, 6);
            n->failures++;
            n->retry = now + ngx_min(backoff,
                                     NGX_HTTP_WEBAUTHN_AWS_BACKOFF_MAX);

        } else {
            n->failures = 0;
            n->retry = 0;
        }

    } else {

        /* 1, 2, 4, ... seconds, at most a minute: never in a loop */

        backoff = (time_t) 1 << ngx_min(n->failures, 6);
        n->failures++;
        n->retry = now + ngx_min(backoff, NGX_HTTP_WEBAUTHN_AWS_BACKOFF_MAX);
        n->error_len = ngx_min(why->len, sizeof(n->error));
        ngx_memcpy(n->error, why->data, n->error_len);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* under the zone lock */

static ngx_http_webauthn_aws_node_t *
ngx_http_webauthn_aws_node(ngx_http_webauthn_aws_zone_t *zone, u_char *key,
    ngx_uint_t create)
{
    uint32_t                       hash;
    ngx_str_t                      k;
    ngx_queue_t                   *q;
    ngx_http_webauthn_aws_node_t  *n;

    k.data = key;
    k.len = WA_SHA256_LEN;
    hash = ngx_crc32_short(key, WA_SHA256_LEN);

    n = (ngx_http_webauthn_aws_node_t *)
            ngx_str_rbtree_lookup(&zone->sh->rbtree, &k, hash);

    if (n || !create) {
        return n;
    }

    n = ngx_slab_alloc_locked(zone->shpool,
                              sizeof(ngx_http_webauthn_aws_node_t));

    if (n == NULL && !ngx_queue_empty(&zone->sh->queue)) {

        /* the least recently used set gives way, unless it is fetching */

        q = ngx_queue_last(&zone->sh->queue);
        n = ngx_queue_data(q, ngx_http_webauthn_aws_node_t, queue);

        if (n->fetching) {
            return NULL;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&zone->sh->rbtree, &n->sn.node);
        wa_memzero(n, sizeof(ngx_http_webauthn_aws_node_t));
        ngx_slab_free_locked(zone->shpool, n);

        n = ngx_slab_alloc_locked(zone->shpool,
                                  sizeof(ngx_http_webauthn_aws_node_t));
    }

    if (n == NULL) {
        return NULL;
    }

    ngx_memzero(n, sizeof(ngx_http_webauthn_aws_node_t));

    ngx_memcpy(n->key, key, WA_SHA256_LEN);
    n->sn.node.key = hash;
    n->sn.str.data = n->key;
    n->sn.str.len = WA_SHA256_LEN;

    ngx_rbtree_insert(&zone->sh->rbtree, &n->sn.node);
    ngx_queue_insert_head(&zone->sh->queue, &n->queue);

    return n;
}


/*
 * the base source, from the environment: a worker's environment does not
 * change, so it is read once, at the first signing request
 */

static ngx_http_webauthn_aws_source_t *
ngx_http_webauthn_aws_source(void)
{
    char                            *akid, *secret, *token, *v;
    ngx_http_webauthn_aws_source_t  *src;

    static ngx_uint_t                      read;
    static ngx_http_webauthn_aws_source_t  source;

    src = &source;

    if (read) {
        return src;
    }

    read = 1;

    /* 1. the environment */

    akid = ngx_http_webauthn_aws_getenv("AWS_ACCESS_KEY_ID");
    secret = ngx_http_webauthn_aws_getenv("AWS_SECRET_ACCESS_KEY");
    token = ngx_http_webauthn_aws_getenv("AWS_SESSION_TOKEN");

    if (akid && secret) {
        src->env.access_key.data = (u_char *) akid;
        src->env.access_key.len = ngx_strlen(akid);
        src->env.secret.data = (u_char *) secret;
        src->env.secret.len = ngx_strlen(secret);

        if (token) {
            src->env.token.data = (u_char *) token;
            src->env.token.len = ngx_strlen(token);
        }

        return src;
    }

    /* 2. web identity, 3. container, 4. instance metadata */

    if (ngx_http_webauthn_aws_getenv("AWS_WEB_IDENTITY_TOKEN_FILE")
        && ngx_http_webauthn_aws_getenv("AWS_ROLE_ARN"))
    {
        src->kind = NGX_HTTP_WEBAUTHN_AWS_WEB_IDENTITY;
        src->source = "STS AssumeRoleWithWebIdentity";

    } else if (ngx_http_webauthn_aws_getenv(
                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
               || ngx_http_webauthn_aws_getenv(
                   "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
    {
        src->kind = NGX_HTTP_WEBAUTHN_AWS_CONTAINER;
        src->source = "container credentials";

    } else {
        v = ngx_http_webauthn_aws_getenv("AWS_EC2_METADATA_DISABLED");

        if (v == NULL || ngx_strcasecmp((u_char *) v, (u_char *) "true") != 0)
        {
            src->kind = NGX_HTTP_WEBAUTHN_AWS_IMDS;
            src->source = "instance metadata";
        }
    }

    return src;
}


/* a variable that is set and not empty ("env" passes it to workers) */

static char *
ngx_http_webauthn_aws_getenv(const char *name)
{
    char  *v;

    v = getenv(name);

    return (v && v[0]) ? v : NULL;
}


/*
 * a token in the file the variable names, read at each fetch (it is
 * rotated) into buf (NGX_HTTP_WEBAUTHN_AWS_TOKEN_MAX bytes; the caller
 * wipes it), trailing CR, LF and SP removed; a reason in the request's
 * pool
 */

static ngx_int_t
ngx_http_webauthn_aws_token_file(ngx_pool_t *pool, const char *var,
    u_char *buf, ngx_str_t *token, const char **reason)
{
    u_char    *p;
    char      *file;
    ssize_t    n;
    ngx_fd_t   fd;

    file = ngx_http_webauthn_aws_getenv(var);

    fd = ngx_open_file(file, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        n = -1;

    } else {
        n = ngx_read_fd(fd, buf, NGX_HTTP_WEBAUTHN_AWS_TOKEN_MAX);
        (void) ngx_close_file(fd);

        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                         || buf[n - 1] == ' '))
        {
            n--;
        }

        if (n > 0 && n < NGX_HTTP_WEBAUTHN_AWS_TOKEN_MAX) {
            token->data = buf;
            token->len = n;
            return NGX_OK;
        }
    }

    p = ngx_pnalloc(pool, ngx_strlen(var) + sizeof(" is empty or too large"));

    if (p == NULL) {
        *reason = "out of memory";

    } else {
        ngx_sprintf(p, "%s %s%Z", var, (fd == NGX_INVALID_FILE)
                                       ? "cannot be opened"
                                       : "is empty or too large");
        *reason = (char *) p;
    }

    wa_memzero(buf, NGX_HTTP_WEBAUTHN_AWS_TOKEN_MAX);

    return NGX_ERROR;
}
