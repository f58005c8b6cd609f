
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Prometheus counters, in one small shared zone ("webauthn_metrics") that
 * the module adds itself, shared by all workers and kept across reloads.
 * Counters are bumped with ngx_atomic_fetch_add(), no lock; "webauthn_metrics"
 * answers them in the text exposition format (ngx_http_webauthn_metrics.c).
 */


#ifndef _NGX_HTTP_WEBAUTHN_METRICS_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <wa_core.h>


/* 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 +Inf (seconds) */
#define NGX_HTTP_WEBAUTHN_METRICS_BUCKETS  11


/* webauthn_redis_errors_total{reason} */

typedef enum {
    NGX_HTTP_WEBAUTHN_METRICS_CONNECT = 0,  /* not connected, not started */
    NGX_HTTP_WEBAUTHN_METRICS_TIMEOUT,
    NGX_HTTP_WEBAUTHN_METRICS_CLOSED,       /* closed, send/recv failed */
    NGX_HTTP_WEBAUTHN_METRICS_PROTOCOL,     /* not RESP, too large */
    NGX_HTTP_WEBAUTHN_METRICS_REPLY,        /* an error reply, or one of
                                               the wrong shape */
    NGX_HTTP_WEBAUTHN_METRICS_REASONS
} ngx_http_webauthn_metrics_reason_e;


/*
 * webauthn_aws_credential_*{source}: fetched sources, in the order of
 * ngx_http_webauthn_aws_kind_e (ngx_http_webauthn_aws_creds.c)
 */

#define NGX_HTTP_WEBAUTHN_METRICS_SOURCES  4


/* the histograms */

#define NGX_HTTP_WEBAUTHN_METRICS_VERIFY   0    /* access phase, a request */
#define NGX_HTTP_WEBAUTHN_METRICS_REDIS    1    /* a round trip */
#define NGX_HTTP_WEBAUTHN_METRICS_HISTS    2


typedef struct {
    ngx_atomic_t                     bucket[NGX_HTTP_WEBAUTHN_METRICS_BUCKETS];
    ngx_atomic_t                     sum;           /* ms */
    ngx_atomic_t                     count;
} ngx_http_webauthn_metrics_hist_t;


typedef struct {
    ngx_atomic_t                     requests[WA_ERR_LAST];
    ngx_atomic_t                     challenges;
    ngx_atomic_t                     registrations[WA_ERR_LAST];
    ngx_atomic_t                     sessions;

    ngx_atomic_t                     cache_hits;
    ngx_atomic_t                     cache_misses;

    ngx_atomic_t                     redis_round_trips;
    ngx_atomic_t                     redis_resends;
    ngx_atomic_t                     redis_errors[
                                         NGX_HTTP_WEBAUTHN_METRICS_REASONS];

    ngx_atomic_t                     sigv4_signed;
    ngx_atomic_t                     aws_refresh[
                                         NGX_HTTP_WEBAUTHN_METRICS_SOURCES][2];
    ngx_atomic_t                     aws_expires[
                                         NGX_HTTP_WEBAUTHN_METRICS_SOURCES];

    ngx_http_webauthn_metrics_hist_t hist[NGX_HTTP_WEBAUTHN_METRICS_HISTS];
} ngx_http_webauthn_metrics_t;


/* the zone's counters; NULL before the zone is there */
extern ngx_http_webauthn_metrics_t  *ngx_http_webauthn_metrics_sh;


#define ngx_http_webauthn_metrics_add(field, n)                             \
    do {                                                                    \
        if (ngx_http_webauthn_metrics_sh) {                                 \
            (void) ngx_atomic_fetch_add(                                    \
                       &ngx_http_webauthn_metrics_sh->field, n);            \
        }                                                                   \
    } while (0)

#define ngx_http_webauthn_metrics_inc(field)                                \
    ngx_http_webauthn_metrics_add(field, 1)


/* a registration's outcome (WA_OK: a credential stored) */
#define ngx_http_webauthn_metrics_registration(err)                         \
    ngx_http_webauthn_metrics_inc(registrations[                            \
        ((unsigned) (err) < WA_ERR_LAST) ? (err) : WA_ERR_INTERNAL])

/* an observation of ms milliseconds in histogram "which" */
void ngx_http_webauthn_metrics_observe(ngx_uint_t which, ngx_msec_t ms);

/* a failed Redis exchange, by the event client's reason text */
void ngx_http_webauthn_metrics_redis_fault(ngx_str_t *reason);

/* a fetch of AWS credentials from a source: ok, and its expiry */
void ngx_http_webauthn_metrics_aws(ngx_uint_t source, time_t expires,
    ngx_uint_t ok);


#endif /* _NGX_HTTP_WEBAUTHN_METRICS_H_INCLUDED_ */
