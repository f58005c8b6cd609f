
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The worker's copy of the revocation list of session tokens (design.md,
 * "Sessions"): the credentials revoked or deleted through the admin API,
 * read from the store (one ZRANGE) every few seconds by a timer, kept
 * sorted; token requests wait for it when it is stale and are refused
 * when it cannot be had.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>


/*
 * the revocation list: refreshed every INTERVAL; token requests are
 * refused (503) once it is older than STALE, so a revocation takes
 * effect within INTERVAL (and never later than STALE)
 */
#define NGX_HTTP_WEBAUTHN_REVOCATION_INTERVAL  5000    /* ms */
#define NGX_HTTP_WEBAUTHN_REVOCATION_STALE     30      /* s */


/* the worker's copy of the revocations (ids sorted, binary searched) */

typedef struct {
    ngx_pool_t                      *pool;          /* of ids */
    ngx_str_t                       *ids;
    ngx_uint_t                       nids;
    time_t                           refreshed;     /* 0: never */

    ngx_http_webauthn_store_req_t    sr;
    ngx_pool_t                      *sr_pool;       /* a refresh's */
    ngx_event_t                      timer;
    ngx_queue_t                      waiters;       /* requests */
    ngx_http_webauthn_main_conf_t   *wmcf;
    ngx_log_t                       *log;

    unsigned                         in_flight:1;
    unsigned                         failing:1;     /* logged once */
} ngx_http_webauthn_revocations_t;


static void ngx_http_webauthn_revocations_timer(ngx_event_t *ev);
static void ngx_http_webauthn_revocations_refresh(void);
static void ngx_http_webauthn_revocations_done(
    ngx_http_webauthn_store_req_t *sr);
static void ngx_http_webauthn_revocations_failed(
    ngx_http_webauthn_revocations_t *rv, ngx_str_t *reason);
static ngx_int_t ngx_http_webauthn_revocations_cmp(const void *a,
    const void *b);


static ngx_http_webauthn_revocations_t  ngx_http_webauthn_revocations;


/*
 * the revocation list is fresh, or the request waits for it (at most
 * one refresh in flight per worker); refused when it cannot be had
 */

ngx_int_t
ngx_http_webauthn_revocations_wait(ngx_http_webauthn_ctx_t *ctx)
{
    ngx_http_webauthn_revocations_t  *rv;

    rv = &ngx_http_webauthn_revocations;

    if (rv->refreshed
        && ngx_time() - rv->refreshed <= NGX_HTTP_WEBAUTHN_REVOCATION_STALE)
    {
        return NGX_OK;
    }

    if (rv->wmcf == NULL) {
        /* no worker state: no Redis */
        return ngx_http_webauthn_refuse(ctx, WA_ERR_STORE_UNAVAILABLE, NULL,
                                        "the session revocation list needs "
                                        "\"webauthn_redis\"");
    }

    if (ctx->session_waiting) {
        /* woken: the refresh failed */
        return ngx_http_webauthn_refuse(ctx, WA_ERR_STORE_UNAVAILABLE, NULL,
                                        "the session revocation list is "
                                        "older than 30 s and could not be "
                                        "refreshed");
    }

    if (!rv->in_flight) {
        ngx_http_webauthn_revocations_refresh();
    }

    if (!rv->in_flight) {
        return ngx_http_webauthn_refuse(ctx, WA_ERR_STORE_UNAVAILABLE, NULL,
                                        "the session revocation list could "
                                        "not be refreshed");
    }

    ctx->session_waiting = 1;
    ngx_queue_insert_tail(&rv->waiters, &ctx->session_wait);

    return NGX_AGAIN;
}


ngx_uint_t
ngx_http_webauthn_revoked(ngx_str_t *id)
{
    ngx_http_webauthn_revocations_t  *rv;

    rv = &ngx_http_webauthn_revocations;

    ngx_int_t   c;
    ngx_uint_t  lo, hi, mid;

    lo = 0;
    hi = rv->nids;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = ngx_http_webauthn_revocations_cmp(id, &rv->ids[mid]);

        if (c == 0) {
            return 1;
        }

        if (c < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_webauthn_revocations_cmp(const void *a, const void *b)
{
    const ngx_str_t  *x = a;
    const ngx_str_t  *y = b;

    if (x->len != y->len) {
        return (x->len < y->len) ? -1 : 1;
    }

    return ngx_memcmp(x->data, y->data, x->len);
}


void
ngx_http_webauthn_revocations_cancel(ngx_http_webauthn_ctx_t *ctx)
{
    if (ctx->session_waiting && ctx->session_wait.next) {
        ngx_queue_remove(&ctx->session_wait);
        ctx->session_wait.next = NULL;
    }
}


/*
 * at the worker's exit (the module's exit_process, before the Redis
 * connections are closed): a refresh in flight is cancelled, its pool and
 * the list's freed, they would be lost when the module is unloaded
 */

void
ngx_http_webauthn_revocations_cleanup(void)
{
    ngx_http_webauthn_revocations_t  *rv;

    rv = &ngx_http_webauthn_revocations;

    if (rv->in_flight) {
        ngx_http_webauthn_store_cancel(&rv->sr);
        rv->in_flight = 0;
    }

    if (rv->sr_pool) {
        ngx_destroy_pool(rv->sr_pool);
        rv->sr_pool = NULL;
    }

    if (rv->pool) {
        ngx_destroy_pool(rv->pool);
        rv->pool = NULL;
    }

    rv->ids = NULL;
    rv->nids = 0;
    rv->refreshed = 0;
}


/* the worker's revocation list: a timer and one ZRANGE at a time */

ngx_int_t
ngx_http_webauthn_revocations_init_process(ngx_cycle_t *cycle)
{
    ngx_http_webauthn_main_conf_t    *wmcf;
    ngx_http_webauthn_revocations_t  *rv;

    wmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_webauthn_module);

    if (wmcf == NULL || wmcf->redis == NULL || wmcf->session_keys == NULL
        || wmcf->session_keys->nelts == 0)
    {
        return NGX_OK;
    }

    rv = &ngx_http_webauthn_revocations;

    ngx_memzero(rv, sizeof(ngx_http_webauthn_revocations_t));

    rv->wmcf = wmcf;
    rv->log = cycle->log;
    ngx_queue_init(&rv->waiters);

    rv->timer.handler = ngx_http_webauthn_revocations_timer;
    rv->timer.data = rv;
    rv->timer.log = cycle->log;
    rv->timer.cancelable = 1;

    /* the first list at once: token requests wait for it */

    ngx_http_webauthn_revocations_refresh();

    return NGX_OK;
}


static void
ngx_http_webauthn_revocations_timer(ngx_event_t *ev)
{
    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (!ngx_http_webauthn_revocations.in_flight) {
        ngx_http_webauthn_revocations_refresh();
    }
}


static void
ngx_http_webauthn_revocations_refresh(void)
{
    ngx_http_webauthn_store_req_t    *sr;
    ngx_http_webauthn_revocations_t  *rv;

    rv = &ngx_http_webauthn_revocations;

    rv->sr_pool = ngx_create_pool(4096, rv->log);
    if (rv->sr_pool == NULL) {
        goto next;
    }

    sr = &rv->sr;
    ngx_memzero(sr, sizeof(ngx_http_webauthn_store_req_t));

    sr->store = &rv->wmcf->store;
    sr->pool = rv->sr_pool;
    sr->log = rv->log;
    sr->data = rv;

    if (ngx_http_webauthn_store_revocations(sr) != NGX_OK) {
        ngx_http_webauthn_revocations_failed(rv, &sr->reason);
        ngx_destroy_pool(rv->sr_pool);
        rv->sr_pool = NULL;
        goto next;
    }

    /* set only now: the handler is called only after this returns */

    sr->handler = ngx_http_webauthn_revocations_done;
    rv->in_flight = 1;

    return;

next:

    if (!rv->timer.timer_set && !ngx_exiting) {
        ngx_add_timer(&rv->timer, NGX_HTTP_WEBAUTHN_REVOCATION_INTERVAL);
    }
}


static void
ngx_http_webauthn_revocations_done(ngx_http_webauthn_store_req_t *sr)
{
    ngx_queue_t                      *q;
    ngx_http_webauthn_ctx_t          *ctx;
    ngx_http_webauthn_revocations_t  *rv;

    rv = sr->data;
    rv->in_flight = 0;

    if (sr->rc == NGX_HTTP_WEBAUTHN_STORE_OK) {

        if (rv->failing) {
            ngx_log_error(NGX_LOG_NOTICE, rv->log, 0,
                          "webauthn: session revocation list: refreshed "
                          "again");
            rv->failing = 0;
        }

        ngx_sort(sr->revoked->elts, sr->revoked->nelts, sizeof(ngx_str_t),
                 ngx_http_webauthn_revocations_cmp);

        if (rv->pool) {
            ngx_destroy_pool(rv->pool);
        }

        rv->pool = rv->sr_pool;
        rv->ids = sr->revoked->elts;
        rv->nids = sr->revoked->nelts;
        rv->refreshed = ngx_time();

    } else {
        ngx_http_webauthn_revocations_failed(rv, &sr->reason);
        ngx_destroy_pool(rv->sr_pool);
    }

    rv->sr_pool = NULL;

    if (!rv->timer.timer_set && !ngx_exiting) {
        ngx_add_timer(&rv->timer, NGX_HTTP_WEBAUTHN_REVOCATION_INTERVAL);
    }

    /* the requests that waited go on (a failure refuses them) */

    while (!ngx_queue_empty(&rv->waiters)) {
        q = ngx_queue_head(&rv->waiters);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_webauthn_ctx_t, session_wait);
        ctx->session_wait.next = NULL;

        if (rv->refreshed
            && ngx_time() - rv->refreshed
               <= NGX_HTTP_WEBAUTHN_REVOCATION_STALE)
        {
            ctx->session_waiting = 0;
        }

        ctx->waiting = 0;
        ngx_http_webauthn_wake(ctx->request);
    }
}


/* a failure is logged once, until the list is read again */

static void
ngx_http_webauthn_revocations_failed(ngx_http_webauthn_revocations_t *rv,
    ngx_str_t *reason)
{
    if (!rv->failing) {
        ngx_log_error(NGX_LOG_ERR, rv->log, 0,
                      "webauthn: session revocation list: "
                      "store_unavailable: %V", reason);
        rv->failing = 1;
    }
}
