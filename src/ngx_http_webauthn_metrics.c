
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * "webauthn_metrics": the module's counters in the Prometheus text
 * exposition format, version 0.0.4.  The counters live in the
 * "webauthn_metrics" shared zone, added at configuration (no directive
 * names it), reused on reload as limit_req reuses its zones, and bumped
 * with atomic adds where the events happen (design.md, "Metrics").
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>


#define NGX_HTTP_WEBAUTHN_METRICS_ZONE  "webauthn_metrics"
#define NGX_HTTP_WEBAUTHN_METRICS_SIZE  (64 * 1024)
#define NGX_HTTP_WEBAUTHN_METRICS_OUT   (64 * 1024)


typedef struct {
    const char                      *name;
    const char                      *help;
} ngx_http_webauthn_metrics_hist_name_t;


static ngx_int_t ngx_http_webauthn_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_webauthn_metrics_handler(ngx_http_request_t *r);
static u_char *ngx_http_webauthn_metrics_print_trust(u_char *p, u_char *last,
    wa_trust_t *trust);
static u_char *ngx_http_webauthn_metrics_print_codes(u_char *p, u_char *last,
    const char *name, const char *ok, ngx_atomic_t *counters);
static u_char *ngx_http_webauthn_metrics_print(u_char *p, u_char *last,
    ngx_http_webauthn_metrics_t *m);
static u_char *ngx_http_webauthn_metrics_print_hist(u_char *p, u_char *last,
    ngx_uint_t which, ngx_http_webauthn_metrics_hist_t *h);


ngx_http_webauthn_metrics_t  *ngx_http_webauthn_metrics_sh;


/* the zone's tag: no other zone of the module may take its name */
static ngx_uint_t  ngx_http_webauthn_metrics_tag;


/* upper bounds, microseconds */
static const ngx_msec_t  ngx_http_webauthn_metrics_le[] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000
};

static const char  *ngx_http_webauthn_metrics_le_text[] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "+Inf"
};

typedef char  ngx_http_webauthn_metrics_le_check[
    (sizeof(ngx_http_webauthn_metrics_le_text)
     / sizeof(ngx_http_webauthn_metrics_le_text[0])
     == NGX_HTTP_WEBAUTHN_METRICS_BUCKETS
     && sizeof(ngx_http_webauthn_metrics_le)
        / sizeof(ngx_http_webauthn_metrics_le[0])
        == NGX_HTTP_WEBAUTHN_METRICS_BUCKETS - 1) ? 1 : -1];


static const ngx_http_webauthn_metrics_hist_name_t
    ngx_http_webauthn_metrics_hists[NGX_HTTP_WEBAUTHN_METRICS_HISTS] =
{
    { "webauthn_verify_duration_seconds",
      "Access-phase time of a request's check, from its first step to "
      "its decision." },
    { "webauthn_redis_duration_seconds",
      "Time of a Redis round trip, from its start to its last reply or "
      "its failure." }
};


static const char  *ngx_http_webauthn_metrics_reasons[] = {
    "connect", "timeout", "closed", "protocol", "reply"
};

typedef char  ngx_http_webauthn_metrics_reasons_check[
    (sizeof(ngx_http_webauthn_metrics_reasons)
     / sizeof(ngx_http_webauthn_metrics_reasons[0])
     == NGX_HTTP_WEBAUTHN_METRICS_REASONS) ? 1 : -1];


/* as ngx_http_webauthn_aws_kind_e orders them */
static const char  *ngx_http_webauthn_metrics_sources[] = {
    "sts", "web_identity", "container", "imds"
};

typedef char  ngx_http_webauthn_metrics_sources_check[
    (sizeof(ngx_http_webauthn_metrics_sources)
     / sizeof(ngx_http_webauthn_metrics_sources[0])
     == NGX_HTTP_WEBAUTHN_METRICS_SOURCES) ? 1 : -1];


/*
 * the event client's reasons (ngx_http_webauthn_event.c,
 * ngx_http_webauthn_redis.c), looked for in this order; any other one
 * is an exchange that could not be started or connected
 */

static const struct {
    ngx_str_t                        text;
    ngx_uint_t                       reason;
} ngx_http_webauthn_metrics_texts[] = {
    { ngx_string("timed out"), NGX_HTTP_WEBAUTHN_METRICS_TIMEOUT },
    { ngx_string("closed the connection"), NGX_HTTP_WEBAUTHN_METRICS_CLOSED },
    { ngx_string("recv() failed"), NGX_HTTP_WEBAUTHN_METRICS_CLOSED },
    { ngx_string("send() failed"), NGX_HTTP_WEBAUTHN_METRICS_CLOSED },
    { ngx_string("event failed"), NGX_HTTP_WEBAUTHN_METRICS_CLOSED },
    { ngx_string("redis sent an invalid"),
      NGX_HTTP_WEBAUTHN_METRICS_PROTOCOL },
    { ngx_string("redis reply is too large"),
      NGX_HTTP_WEBAUTHN_METRICS_PROTOCOL },
    { ngx_string("redis sent bytes nobody"),
      NGX_HTTP_WEBAUTHN_METRICS_PROTOCOL },
    { ngx_string("redis AUTH failed"), NGX_HTTP_WEBAUTHN_METRICS_REPLY },
    { ngx_string("redis SELECT failed"), NGX_HTTP_WEBAUTHN_METRICS_REPLY },
    { ngx_null_string, 0 }
};


/* at configuration: the zone, whether or not /metrics is served */

ngx_int_t
ngx_http_webauthn_metrics_init(ngx_conf_t *cf)
{
    ngx_str_t        name;
    ngx_shm_zone_t  *shm_zone;

    ngx_str_set(&name, NGX_HTTP_WEBAUTHN_METRICS_ZONE);

    shm_zone = ngx_shared_memory_add(cf, &name,
                                     NGX_HTTP_WEBAUTHN_METRICS_SIZE,
                                     &ngx_http_webauthn_metrics_tag);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_webauthn_metrics_init_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_webauthn_metrics_t *om = data;

    size_t                        len;
    ngx_slab_pool_t              *shpool;
    ngx_http_webauthn_metrics_t  *m;

    if (om) {
        /* a reload: the counters go on */
        shm_zone->data = om;
        ngx_http_webauthn_metrics_sh = om;

        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        ngx_http_webauthn_metrics_sh = shpool->data;

        return NGX_OK;
    }

    m = ngx_slab_calloc(shpool, sizeof(ngx_http_webauthn_metrics_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    shpool->data = m;

    len = sizeof(" in webauthn metrics zone \"\"") + shm_zone->shm.name.len;

    shpool->log_ctx = ngx_slab_alloc(shpool, len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in webauthn metrics zone \"%V\"%Z",
                &shm_zone->shm.name);

    shm_zone->data = m;
    ngx_http_webauthn_metrics_sh = m;

    return NGX_OK;
}


/*
 * a request's decision, counted once: an internal redirect or a
 * subrequest that checks it again at another location shares the
 * context, and so the mark
 */

void
ngx_http_webauthn_metrics_decide(ngx_http_webauthn_ctx_t *ctx)
{
    ngx_uint_t  err;

    if (ctx->counted) {
        return;
    }

    ctx->counted = 1;

    err = ((unsigned) ctx->err < WA_ERR_LAST) ? ctx->err : WA_ERR_INTERNAL;

    ngx_http_webauthn_metrics_inc(requests[err]);
    ngx_http_webauthn_metrics_observe(NGX_HTTP_WEBAUTHN_METRICS_VERIFY,
                                      ngx_current_msec - ctx->started);
}


void
ngx_http_webauthn_metrics_observe(ngx_uint_t which, ngx_msec_t ms)
{
    ngx_uint_t                         i;
    ngx_http_webauthn_metrics_hist_t  *h;

    if (ngx_http_webauthn_metrics_sh == NULL) {
        return;
    }

    h = &ngx_http_webauthn_metrics_sh->hist[which];

    /* the first bucket that holds it; +Inf holds all */

    for (i = 0; i < NGX_HTTP_WEBAUTHN_METRICS_BUCKETS - 1; i++) {
        if ((uint64_t) ms * 1000 <= ngx_http_webauthn_metrics_le[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&h->bucket[i], 1);
    (void) ngx_atomic_fetch_add(&h->sum, ms);
    (void) ngx_atomic_fetch_add(&h->count, 1);
}


void
ngx_http_webauthn_metrics_redis_fault(ngx_str_t *reason)
{
    ngx_uint_t  i, n;

    n = NGX_HTTP_WEBAUTHN_METRICS_CONNECT;

    for (i = 0; ngx_http_webauthn_metrics_texts[i].text.len; i++) {
        if (ngx_strlcasestrn(reason->data, reason->data + reason->len,
                             ngx_http_webauthn_metrics_texts[i].text.data,
                             ngx_http_webauthn_metrics_texts[i].text.len - 1)
            != NULL)
        {
            n = ngx_http_webauthn_metrics_texts[i].reason;
            break;
        }
    }

    ngx_http_webauthn_metrics_inc(redis_errors[n]);
}


void
ngx_http_webauthn_metrics_aws(ngx_uint_t source, time_t expires,
    ngx_uint_t ok)
{
    if (ngx_http_webauthn_metrics_sh == NULL
        || source >= NGX_HTTP_WEBAUTHN_METRICS_SOURCES)
    {
        return;
    }

    ngx_http_webauthn_metrics_inc(aws_refresh[source][ok ? 0 : 1]);

    if (ok) {
        ngx_http_webauthn_metrics_sh->aws_expires[source] =
                                                    (ngx_atomic_uint_t) expires;
    }
}


/* webauthn_metrics; the location's access rules say who may read it */

char *
ngx_http_webauthn_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_webauthn_metrics_handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_webauthn_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_webauthn_metrics_handler(ngx_http_request_t *r)
{
    u_char                         *last;
    ngx_int_t                       rc;
    ngx_buf_t                      *b;
    ngx_chain_t                     out;
    ngx_http_webauthn_main_conf_t  *wmcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_webauthn_metrics_sh == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_WEBAUTHN_METRICS_OUT);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = b->end;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    b->last = ngx_http_webauthn_metrics_print(b->pos, last,
                                              ngx_http_webauthn_metrics_sh);
    b->last = ngx_http_webauthn_metrics_print_trust(b->last, last,
                                                    wmcf->trust);

    if (b->last == last) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "webauthn: the metrics do not fit in %uz bytes",
                      (size_t) NGX_HTTP_WEBAUTHN_METRICS_OUT);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


#define ngx_http_webauthn_metrics_head(p, last, name, type, help)          \
    ngx_slprintf(p, last, "# HELP " name " " help "\n"                     \
                          "# TYPE " name " " type "\n")


/* the exposition; p == last when it did not fit */

static u_char *
ngx_http_webauthn_metrics_print(u_char *p, u_char *last,
    ngx_http_webauthn_metrics_t *m)
{
    time_t      now, left;
    ngx_uint_t  i;

    p = ngx_http_webauthn_metrics_head(p, last, "webauthn_requests_total",
            "counter", "Access decisions of auth_webauthn, one per request, "
            "by result and error code.");
    p = ngx_http_webauthn_metrics_print_codes(p, last,
            "webauthn_requests_total", "allowed", m->requests);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_challenges_issued_total", "counter",
            "Challenges issued, by webauthn_challenge and with refusals.");
    p = ngx_slprintf(p, last, "webauthn_challenges_issued_total %uA\n",
                     m->challenges);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_registrations_total", "counter",
            "Registrations of webauthn_register, by result and error code.");
    p = ngx_http_webauthn_metrics_print_codes(p, last,
            "webauthn_registrations_total", "registered", m->registrations);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_sessions_issued_total", "counter",
            "Session tokens issued by webauthn_session.");
    p = ngx_slprintf(p, last, "webauthn_sessions_issued_total %uA\n",
                     m->sessions);

    p = ngx_http_webauthn_metrics_print_hist(p, last,
            NGX_HTTP_WEBAUTHN_METRICS_VERIFY,
            &m->hist[NGX_HTTP_WEBAUTHN_METRICS_VERIFY]);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_key_cache_hits_total", "counter",
            "Credential keys found in webauthn_key_cache.");
    p = ngx_slprintf(p, last, "webauthn_key_cache_hits_total %uA\n",
                     m->cache_hits);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_key_cache_misses_total", "counter",
            "Credential keys looked for in webauthn_key_cache and not found.");
    p = ngx_slprintf(p, last, "webauthn_key_cache_misses_total %uA\n",
                     m->cache_misses);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_redis_round_trips_total", "counter",
            "Redis round trips that finished, answered or failed.");
    p = ngx_slprintf(p, last, "webauthn_redis_round_trips_total %uA\n",
                     m->redis_round_trips);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_redis_resends_total", "counter",
            "Redis operations sent again on a new connection: theirs closed "
            "before any byte of their reply.");
    p = ngx_slprintf(p, last, "webauthn_redis_resends_total %uA\n",
                     m->redis_resends);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_redis_errors_total", "counter",
            "Faults of the credential store's Redis exchanges, by reason.");

    for (i = 0; i < NGX_HTTP_WEBAUTHN_METRICS_REASONS; i++) {
        p = ngx_slprintf(p, last,
                         "webauthn_redis_errors_total{reason=\"%s\"} %uA\n",
                         ngx_http_webauthn_metrics_reasons[i],
                         m->redis_errors[i]);
    }

    p = ngx_http_webauthn_metrics_print_hist(p, last,
            NGX_HTTP_WEBAUTHN_METRICS_REDIS,
            &m->hist[NGX_HTTP_WEBAUTHN_METRICS_REDIS]);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_sigv4_signed_total", "counter",
            "Requests to an upstream signed with AWS SigV4.");
    p = ngx_slprintf(p, last, "webauthn_sigv4_signed_total %uA\n",
                     m->sigv4_signed);

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_aws_credential_refresh_total", "counter",
            "Fetches of AWS credentials, by source and result.");

    for (i = 0; i < NGX_HTTP_WEBAUTHN_METRICS_SOURCES; i++) {
        p = ngx_slprintf(p, last, "webauthn_aws_credential_refresh_total"
                         "{source=\"%s\",result=\"ok\"} %uA\n"
                         "webauthn_aws_credential_refresh_total"
                         "{source=\"%s\",result=\"error\"} %uA\n",
                         ngx_http_webauthn_metrics_sources[i],
                         m->aws_refresh[i][0],
                         ngx_http_webauthn_metrics_sources[i],
                         m->aws_refresh[i][1]);
    }

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_aws_credential_expiry_seconds", "gauge",
            "Seconds left of the last set of AWS credentials fetched from "
            "a source, 0 when none.");

    now = ngx_time();

    for (i = 0; i < NGX_HTTP_WEBAUTHN_METRICS_SOURCES; i++) {
        left = (time_t) m->aws_expires[i] - now;

        p = ngx_slprintf(p, last, "webauthn_aws_credential_expiry_seconds"
                         "{source=\"%s\"} %T\n",
                         ngx_http_webauthn_metrics_sources[i],
                         (m->aws_expires[i] && left > 0) ? left : 0);
    }

    return p;
}


/* a family {result="<ok>"|"refused",code="..."}: a series per core code */

static u_char *
ngx_http_webauthn_metrics_print_codes(u_char *p, u_char *last,
    const char *name, const char *ok, ngx_atomic_t *counters)
{
    ngx_uint_t  i;

    for (i = 0; i < WA_ERR_LAST; i++) {
        p = ngx_slprintf(p, last, "%s{result=\"%s\",code=\"%s\"} %uA\n",
                         name, i == WA_OK ? ok : "refused",
                         wa_err_code((wa_err_t) i), counters[i]);
    }

    return p;
}


/*
 * the attestation trust in use (this configuration's): seconds left of
 * each anchor, the MDS BLOB (its nextUpdate) and its signer, negative
 * once expired; subjects escaped as label values (exposition format:
 * backslash, double quote, line feed)
 */

static u_char *
ngx_http_webauthn_metrics_print_trust(u_char *p, u_char *last,
    wa_trust_t *trust)
{
    u_char           *s;
    size_t            i, n;
    time_t            now;
    wa_trust_item_t   item;

    p = ngx_http_webauthn_metrics_head(p, last,
            "webauthn_trust_anchor_expiry_seconds", "gauge",
            "Seconds until an attestation trust anchor, the MDS BLOB "
            "(nextUpdate) or its signer expires; negative once expired.");

    if (trust == NULL) {
        return p;
    }

    now = ngx_time();
    n = wa_trust_count(trust);

    for (i = 0; i < n && p < last; i++) {
        if (wa_trust_item(trust, i, &item) != 0) {
            break;
        }

        p = ngx_slprintf(p, last, "webauthn_trust_anchor_expiry_seconds"
                         "{kind=\"%s\",subject=\"",
                         item.kind == WA_TRUST_ANCHOR ? "anchor"
                         : item.kind == WA_TRUST_MDS_BLOB ? "mds_blob"
                         : "mds_signer");

        for (s = (u_char *) item.subject; *s && p < last - 1; s++) {
            if (*s == '\\' || *s == '"') {
                *p++ = '\\';
                *p++ = *s;

            } else if (*s == '\n') {
                *p++ = '\\';
                *p++ = 'n';

            } else {
                *p++ = *s;
            }
        }

        p = ngx_slprintf(p, last, "\"} %T\n",
                         (time_t) (item.not_after - now));
    }

    return p;
}


static u_char *
ngx_http_webauthn_metrics_print_hist(u_char *p, u_char *last,
    ngx_uint_t which, ngx_http_webauthn_metrics_hist_t *h)
{
    ngx_uint_t          i;
    const char         *name;
    ngx_atomic_uint_t   n, sum;

    name = ngx_http_webauthn_metrics_hists[which].name;

    p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s histogram\n", name,
                     ngx_http_webauthn_metrics_hists[which].help, name);

    /* cumulative; read bucket by bucket, so _count is their sum */

    n = 0;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_METRICS_BUCKETS; i++) {
        n += h->bucket[i];

        p = ngx_slprintf(p, last, "%s_bucket{le=\"%s\"} %uA\n", name,
                         ngx_http_webauthn_metrics_le_text[i], n);
    }

    sum = h->sum;

    p = ngx_slprintf(p, last, "%s_sum %uA.%03uA\n%s_count %uA\n",
                     name, sum / 1000, sum % 1000, name, n);

    return p;
}
