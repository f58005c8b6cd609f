
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * "webauthn_redis sentinel=NAME ADDRESS ...": the master's address is
 * asked of the sentinels (SENTINEL get-master-addr-by-name NAME), in turn
 * from the last one that answered, on the event loop, once per worker
 * until it is doubted: an op that fails (connect, timeout, closed
 * connection, a new connection whose ROLE is not "master"), gets a
 * -READONLY, -LOADING or -MASTERDOWN reply, or a WAIT short of wait=
 * (the replicas may follow another master) makes the next op ask again.
 * Ops that arrive meanwhile wait for the answer (one question at a time);
 * when no sentinel answers they fail, and the store answers 503.  A new
 * address closes the idle connections to the former master.  See
 * design.md, "Event client" and "Failure semantics".
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <ngx_http_webauthn_redis.h>


#define NGX_HTTP_WEBAUTHN_SENTINEL_REASON  256


struct ngx_http_webauthn_redis_sentinel_s {
    ngx_str_t                        name;       /* the master's */
    ngx_array_t                      sentinels;  /* of redis_conf_t */
    ngx_str_t                        user;       /* sentinel_user= */
    ngx_str_t                        password;   /* sentinel_password= */
    ngx_http_webauthn_redis_conf_t  *rcf;        /* the master's */

    /* per worker */
    ngx_uint_t                       known;      /* master is its address */
    ngx_uint_t                       next;       /* the sentinel to ask */
    ngx_uint_t                       tried;
    ngx_http_webauthn_redis_op_t    *query;      /* under way */
    ngx_queue_t                      waiting;    /* ops */

    ngx_addr_t                       master;
    ngx_sockaddr_t                   sockaddr;
    u_char                           text[NGX_SOCKADDR_STRLEN];
    u_char                           host[NGX_SOCKADDR_STRLEN];

    ngx_str_t                        reason;     /* of the last question */
    u_char                           buf[NGX_HTTP_WEBAUTHN_SENTINEL_REASON];
};


static ngx_int_t ngx_http_webauthn_redis_sentinel_ask(
    ngx_http_webauthn_redis_sentinel_t *s);
static void ngx_http_webauthn_redis_sentinel_handler(
    ngx_http_webauthn_redis_op_t *q);
static ngx_int_t ngx_http_webauthn_redis_sentinel_master(
    ngx_http_webauthn_redis_sentinel_t *s, ngx_http_webauthn_redis_op_t *q);
static void ngx_http_webauthn_redis_sentinel_drain(
    ngx_http_webauthn_redis_sentinel_t *s, ngx_uint_t ok);
static ngx_str_t *ngx_http_webauthn_redis_sentinel_label(
    ngx_http_webauthn_redis_conf_t *sc);
static void ngx_http_webauthn_redis_sentinel_reason(
    ngx_http_webauthn_redis_sentinel_t *s, ngx_http_webauthn_redis_conf_t *sc,
    const char *fmt, ...);


char *
ngx_http_webauthn_redis_sentinel_conf(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *name, ngx_str_t *value,
    ngx_uint_t n)
{
    ngx_uint_t                           i;
    ngx_http_webauthn_redis_conf_t      *sc;
    ngx_http_webauthn_redis_sentinel_t  *s;

    if (name->len == 0) {
        return "has an empty sentinel= master name";
    }

    if (n == 0) {
        return "has sentinel= without a sentinel address";
    }

    s = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_redis_sentinel_t));
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_array_init(&s->sentinels, cf->pool, n,
                       sizeof(ngx_http_webauthn_redis_conf_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    s->name = *name;
    s->rcf = rcf;
    ngx_queue_init(&s->waiting);

    for (i = 0; i < n; i++) {
        sc = ngx_array_push(&s->sentinels);
        if (sc == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(sc, sizeof(ngx_http_webauthn_redis_conf_t));

        ngx_http_webauthn_peer_init(&sc->server, "sentinel");

        if (ngx_http_webauthn_redis_address(cf, sc, &value[i]) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    rcf->sentinel = s;

    return NGX_CONF_OK;
}


/* sentinel_user=, sentinel_password=: AUTH to the sentinels */

ngx_int_t
ngx_http_webauthn_redis_sentinel_param(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value)
{
    ngx_http_webauthn_redis_sentinel_t  *s;

    s = rcf->sentinel;

    if (ngx_strncmp(value->data, "sentinel_user=", 14) == 0) {
        s->user.data = value->data + 14;
        s->user.len = value->len - 14;
        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "sentinel_password=", 18) == 0) {
        s->password.data = value->data + 18;
        s->password.len = value->len - 18;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* the sentinels: the master's timeouts and TLS, their own names */

ngx_int_t
ngx_http_webauthn_redis_sentinel_init(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf)
{
    ngx_uint_t                           i;
    ngx_http_webauthn_redis_conf_t      *sc;
    ngx_http_webauthn_redis_sentinel_t  *s;

    s = rcf->sentinel;
    sc = s->sentinels.elts;

    for (i = 0; i < s->sentinels.nelts; i++) {
        sc[i].server.connect_timeout = rcf->server.connect_timeout;
        sc[i].server.timeout = rcf->server.timeout;
        sc[i].server.keepalive = 1;
        sc[i].server.keepalive_timeout = rcf->server.keepalive_timeout;
        sc[i].tls = rcf->tls;
        sc[i].server.ssl = rcf->server.ssl;
        sc[i].user = s->user;
        sc[i].password = s->password;

        if (ngx_http_webauthn_redis_init_conf(cf, &sc[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_redis_sentinel_run(ngx_http_webauthn_redis_op_t *op)
{
    u_char                              *p;
    ngx_http_webauthn_redis_sentinel_t  *s;

    s = op->conf->sentinel;

    if (s->known) {
        if (ngx_http_webauthn_redis_start(op) == NGX_OK) {
            return NGX_OK;
        }

        /* the master refused a connection at once */

        ngx_http_webauthn_redis_sentinel_forget(s);

        return NGX_ERROR;
    }

    ngx_queue_insert_tail(&s->waiting, &op->queue);
    op->waiting = 1;

    if (s->query) {
        return NGX_OK;
    }

    s->tried = 0;

    if (ngx_http_webauthn_redis_sentinel_ask(s) == NGX_OK) {
        return NGX_OK;
    }

    /* no sentinel could be asked: the queue was empty, this op is alone */

    ngx_queue_remove(&op->queue);
    op->waiting = 0;

    p = ngx_pnalloc(op->pool, s->reason.len);
    if (p == NULL) {
        ngx_str_set(&op->reason, "out of memory");
        return NGX_ERROR;
    }

    op->reason.data = p;
    op->reason.len = ngx_cpymem(p, s->reason.data, s->reason.len) - p;

    return NGX_ERROR;
}


void
ngx_http_webauthn_redis_sentinel_cancel(ngx_http_webauthn_redis_op_t *op)
{
    ngx_queue_remove(&op->queue);
    op->waiting = 0;
}


/* an op of the master is done: is its address still to be trusted? */

void
ngx_http_webauthn_redis_sentinel_check(ngx_http_webauthn_redis_op_t *op)
{
    ngx_uint_t   i;
    redisReply  *r;

    if (op->rc != NGX_OK) {
        ngx_http_webauthn_redis_sentinel_forget(op->conf->sentinel);
        return;
    }

    for (i = 0; i < op->ncmds; i++) {
        r = op->replies[i];

        if (r == NULL || r->type != REDIS_REPLY_ERROR) {
            continue;
        }

        if ((r->len >= 8 && ngx_strncmp(r->str, "READONLY", 8) == 0)
            || (r->len >= 7 && ngx_strncmp(r->str, "LOADING", 7) == 0)
            || (r->len >= 10 && ngx_strncmp(r->str, "MASTERDOWN", 10) == 0))
        {
            ngx_http_webauthn_redis_sentinel_forget(op->conf->sentinel);
            return;
        }
    }
}


void
ngx_http_webauthn_redis_sentinel_wipe(ngx_http_webauthn_redis_conf_t *rcf)
{
    ngx_http_webauthn_redis_sentinel_t  *s;

    s = rcf->sentinel;

    if (s->password.data) {
        ngx_explicit_memzero(s->password.data, s->password.len);
    }
}


void
ngx_http_webauthn_redis_sentinel_cleanup(ngx_http_webauthn_redis_conf_t *rcf)
{
    ngx_uint_t                           i;
    ngx_http_webauthn_redis_conf_t      *sc;
    ngx_http_webauthn_redis_sentinel_t  *s;

    s = rcf->sentinel;

    if (s->query) {
        ngx_http_webauthn_redis_free(s->query);
        s->query = NULL;
    }

    sc = s->sentinels.elts;

    for (i = 0; i < s->sentinels.nelts; i++) {
        ngx_http_webauthn_redis_cleanup(&sc[i]);
    }
}


/* SENTINEL get-master-addr-by-name NAME, of the sentinels not yet tried */

static ngx_int_t
ngx_http_webauthn_redis_sentinel_ask(ngx_http_webauthn_redis_sentinel_t *s)
{
    size_t                           len[3];
    const char                      *argv[3];
    ngx_http_webauthn_redis_op_t    *q;
    ngx_http_webauthn_redis_conf_t  *sc;

    argv[0] = "SENTINEL";
    len[0] = sizeof("SENTINEL") - 1;
    argv[1] = "get-master-addr-by-name";
    len[1] = sizeof("get-master-addr-by-name") - 1;
    argv[2] = (const char *) s->name.data;
    len[2] = s->name.len;

    while (s->tried < s->sentinels.nelts) {

        sc = (ngx_http_webauthn_redis_conf_t *) s->sentinels.elts + s->next;

        q = ngx_http_webauthn_redis_create(sc, ngx_cycle->log);
        if (q == NULL) {
            ngx_http_webauthn_redis_sentinel_reason(s, NULL, "out of memory");
            return NGX_ERROR;
        }

        q->handler = ngx_http_webauthn_redis_sentinel_handler;
        q->data = s;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "redis sentinel: asking %V for \"%V\"",
                       ngx_http_webauthn_redis_sentinel_label(sc),
                       &s->name);

        if (ngx_http_webauthn_redis_append(q, 3, argv, len) == NGX_OK
            && ngx_http_webauthn_redis_run(q) == NGX_OK)
        {
            s->query = q;
            return NGX_OK;
        }

        ngx_http_webauthn_redis_sentinel_reason(s, sc, "%V", &q->reason);
        ngx_http_webauthn_redis_free(q);

        s->next = (s->next + 1) % s->sentinels.nelts;
        s->tried++;
    }

    return NGX_ERROR;
}


static void
ngx_http_webauthn_redis_sentinel_handler(ngx_http_webauthn_redis_op_t *q)
{
    ngx_http_webauthn_redis_sentinel_t *s = q->data;

    ngx_http_webauthn_redis_conf_t  *sc;

    s->query = NULL;

    sc = (ngx_http_webauthn_redis_conf_t *) s->sentinels.elts + s->next;

    if (q->rc != NGX_OK) {
        ngx_http_webauthn_redis_sentinel_reason(s, sc, "%V", &q->reason);

    } else if (ngx_http_webauthn_redis_sentinel_master(s, q) == NGX_OK) {
        ngx_http_webauthn_redis_free(q);
        ngx_http_webauthn_redis_sentinel_drain(s, 1);
        return;
    }

    ngx_http_webauthn_redis_free(q);

    s->next = (s->next + 1) % s->sentinels.nelts;
    s->tried++;

    if (ngx_http_webauthn_redis_sentinel_ask(s) == NGX_OK) {
        return;
    }

    ngx_http_webauthn_redis_sentinel_drain(s, 0);
}


/* the answer: [ip, port], or nil for a master the sentinel does not know */

static ngx_int_t
ngx_http_webauthn_redis_sentinel_master(ngx_http_webauthn_redis_sentinel_t *s,
    ngx_http_webauthn_redis_op_t *q)
{
    u_char                          *p;
    size_t                           len;
    ngx_url_t                        u;
    redisReply                      *r, *ip, *port;
    ngx_http_webauthn_redis_conf_t  *sc, *rcf;
    u_char                           text[NGX_SOCKADDR_STRLEN + 8];

    sc = (ngx_http_webauthn_redis_conf_t *) s->sentinels.elts + s->next;
    rcf = s->rcf;
    r = q->replies[0];

    if (r->type == REDIS_REPLY_NIL) {
        ngx_http_webauthn_redis_sentinel_reason(s, sc, "it knows no master "
                                                "\"%V\"", &s->name);
        return NGX_ERROR;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        len = ngx_min((size_t) r->len, 128);
        ngx_http_webauthn_redis_sentinel_reason(s, sc, "\"%*s\"", len,
                                                r->str);
        return NGX_ERROR;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
        || r->element[0]->type != REDIS_REPLY_STRING
        || r->element[1]->type != REDIS_REPLY_STRING
        || r->element[0]->len == 0
        || r->element[0]->len > NGX_INET6_ADDRSTRLEN
        || r->element[1]->len == 0 || r->element[1]->len > 5)
    {
        ngx_http_webauthn_redis_sentinel_reason(s, sc, "unexpected reply to "
                                                "SENTINEL "
                                                "get-master-addr-by-name");
        return NGX_ERROR;
    }

    ip = r->element[0];
    port = r->element[1];

    /* an address, never a name: no blocking resolution in a worker */

    ngx_memzero(&u, sizeof(ngx_url_t));

    p = (ngx_strlchr((u_char *) ip->str, (u_char *) ip->str + ip->len, ':'))
        ? ngx_sprintf(text, "[%*s]:%*s", (size_t) ip->len, ip->str,
                      (size_t) port->len, port->str)
        : ngx_sprintf(text, "%*s:%*s", (size_t) ip->len, ip->str,
                      (size_t) port->len, port->str);

    u.url.data = text;
    u.url.len = p - text;
    u.no_resolve = 1;

    if (ngx_parse_url(q->pool, &u) != NGX_OK || u.naddrs != 1
        || u.wildcard || u.addrs[0].socklen > sizeof(ngx_sockaddr_t))
    {
        ngx_http_webauthn_redis_sentinel_reason(s, sc, "the master \"%V\" "
                                                "is at \"%*s\", not an "
                                                "address and port",
                                                &s->name, u.url.len,
                                                u.url.data);
        return NGX_ERROR;
    }

    if (s->master.sockaddr
        && ngx_cmp_sockaddr(s->master.sockaddr, s->master.socklen,
                            u.addrs[0].sockaddr, u.addrs[0].socklen, 1)
           == NGX_OK)
    {
        s->known = 1;
        return NGX_OK;
    }

    /* a new master: the idle connections to the former one are closed */

    if (s->master.sockaddr) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "webauthn: redis sentinel %V: the master \"%V\" is at "
                      "%V, was %V", ngx_http_webauthn_redis_sentinel_label(sc),
                      &s->name, &u.url, &s->master.name);

    } else {
        ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                      "webauthn: redis sentinel %V: the master \"%V\" is at "
                      "%V", ngx_http_webauthn_redis_sentinel_label(sc),
                      &s->name, &u.url);
    }

    ngx_http_webauthn_peer_cleanup(&rcf->server);

    ngx_memcpy(&s->sockaddr, u.addrs[0].sockaddr, u.addrs[0].socklen);
    s->master.sockaddr = (struct sockaddr *) &s->sockaddr;
    s->master.socklen = u.addrs[0].socklen;
    s->master.name.data = s->text;
    s->master.name.len = ngx_cpymem(s->text, u.url.data, u.url.len) - s->text;

    /* TLS checks the address unless tls_name= says otherwise */

    rcf->server.host.data = s->host;
    rcf->server.host.len = ngx_cpystrn(s->host, (u_char *) ip->str,
                                       ip->len + 1)
                           - s->host;

    rcf->server.addr = &s->master;
    s->known = 1;

    return NGX_OK;
}


/* the ops that waited: started on the master, or failed with the reason */

static void
ngx_http_webauthn_redis_sentinel_drain(ngx_http_webauthn_redis_sentinel_t *s,
    ngx_uint_t ok)
{
    u_char                        *p;
    ngx_queue_t                    queue, *q;
    ngx_http_webauthn_redis_op_t  *op;

    /* ops queued by the handlers called here wait for another answer */

    if (ngx_queue_empty(&s->waiting)) {
        return;
    }

    queue = s->waiting;
    queue.next->prev = &queue;
    queue.prev->next = &queue;
    ngx_queue_init(&s->waiting);

    while (!ngx_queue_empty(&queue)) {
        q = ngx_queue_head(&queue);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, ngx_http_webauthn_redis_op_t, queue);
        op->waiting = 0;

        if (ok && ngx_http_webauthn_redis_sentinel_run(op) == NGX_OK) {
            continue;
        }

        if (!ok) {
            p = ngx_pnalloc(op->pool, s->reason.len);

            if (p == NULL) {
                ngx_str_set(&op->reason, "out of memory");

            } else {
                op->reason.data = p;
                op->reason.len = ngx_cpymem(p, s->reason.data, s->reason.len)
                                 - p;
            }
        }

        op->rc = NGX_ERROR;

        /* the handler may free the op */

        op->handler(op);
    }
}


/* the master is in doubt: the next op asks the sentinels again */

void
ngx_http_webauthn_redis_sentinel_forget(ngx_http_webauthn_redis_sentinel_t *s)
{
    if (!s->known) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "redis sentinel: the master \"%V\" is asked for again",
                   &s->name);

    s->known = 0;

    /* idle connections to a master in doubt are not reused */

    ngx_http_webauthn_peer_cleanup(&s->rcf->server);
}


static ngx_str_t *
ngx_http_webauthn_redis_sentinel_label(ngx_http_webauthn_redis_conf_t *sc)
{
    return sc->server.addr ? &sc->server.addr->name : &sc->server.host;
}


static void
ngx_http_webauthn_redis_sentinel_reason(ngx_http_webauthn_redis_sentinel_t *s,
    ngx_http_webauthn_redis_conf_t *sc, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = s->buf;
    last = s->buf + NGX_HTTP_WEBAUTHN_SENTINEL_REASON;

    p = ngx_slprintf(p, last, "no sentinel gave the master \"%V\"",
                     &s->name);

    if (sc) {
        p = ngx_slprintf(p, last, "; the last, %V: ",
                         ngx_http_webauthn_redis_sentinel_label(sc));
    } else {
        p = ngx_slprintf(p, last, ": ");
    }

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    s->reason.data = s->buf;
    s->reason.len = p - s->buf;
}
