
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <ngx_http_webauthn_redis_cluster.h>
#include <ngx_http_webauthn_redis_pipe.h>


/* the nodes a worker knows: the seeds and those the slot map named */
#define NGX_HTTP_WEBAUTHN_CLUSTER_NODES    64

/* a stale slot map is asked for again at most this often, ms */
#define NGX_HTTP_WEBAUTHN_CLUSTER_REFRESH  1000

#define NGX_HTTP_WEBAUTHN_CLUSTER_PORT     6379

/*
 * -TRYAGAIN (a multi-key command on a slot being migrated, its keys not
 * yet on one node): sent again this many times, this long apart (ms)
 */
#define NGX_HTTP_WEBAUTHN_CLUSTER_TRYAGAIN  3
#define NGX_HTTP_WEBAUTHN_CLUSTER_TRYAGAIN_DELAY  50


typedef struct {
    ngx_http_webauthn_redis_conf_t     conf;      /* the directive's, with
                                                     a server of its own */
    ngx_str_t                          name;      /* "ip:port" */
} ngx_http_webauthn_cluster_node_t;


typedef struct {
    ngx_addr_t                        *seeds;
    ngx_uint_t                         nseeds;
    unsigned                           by_address:1; /* the first node is
                                                        an address */

    /* per worker */
    ngx_http_webauthn_cluster_node_t  *nodes[NGX_HTTP_WEBAUTHN_CLUSTER_NODES];
    ngx_uint_t                         nnodes;
    u_char                            *map;       /* slot: node index + 1,
                                                     0 for none */
    ngx_uint_t                         ask;       /* the node a refresh
                                                     asks first (< nnodes,
                                                     which only grows): the
                                                     last that answered */
    ngx_msec_t                         refreshed;
    unsigned                           initialized:1;
    unsigned                           loaded:1;
    unsigned                           stale:1;
    unsigned                           refreshing:1;
} ngx_http_webauthn_cluster_t;


typedef struct {
    ngx_http_webauthn_redis_op_t      *op;        /* the store's */
    ngx_http_webauthn_cluster_t       *cluster;
    ngx_log_t                         *log;
    ngx_uint_t                         slot;

    int                                argc[NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS];
    const char                       **argv[NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS];
    size_t                           **argvlen;

    ngx_http_webauthn_redis_op_t      *inner;     /* on a node */
    ngx_http_webauthn_cluster_node_t  *asking;    /* -ASK's node */
    ngx_http_webauthn_cluster_node_t  *slots;     /* asked CLUSTER SLOTS */
    ngx_uint_t                         tries;     /* of a refresh */
    ngx_str_t                          last;      /* why the last node
                                                     asked did not answer */
    ngx_uint_t                         tryagain;  /* -TRYAGAIN retries */
    ngx_event_t                        retry;

    unsigned                           moved:1;
    unsigned                           asked:1;
    unsigned                           refreshed:1;
    unsigned                           refreshing:1;
    unsigned                           running:1; /* the handler may be
                                                     called */
} ngx_http_webauthn_cluster_op_t;


static ngx_int_t ngx_http_webauthn_cluster_init(
    ngx_http_webauthn_cluster_t *cl, ngx_http_webauthn_redis_conf_t *conf);
static ngx_http_webauthn_cluster_node_t *ngx_http_webauthn_cluster_node(
    ngx_http_webauthn_cluster_t *cl, ngx_http_webauthn_redis_conf_t *conf,
    u_char *name, size_t len, ngx_uint_t *index);
static ngx_int_t ngx_http_webauthn_cluster_dispatch(
    ngx_http_webauthn_cluster_op_t *cop);
static ngx_int_t ngx_http_webauthn_cluster_refresh(
    ngx_http_webauthn_cluster_op_t *cop);
static void ngx_http_webauthn_cluster_refresh_handler(
    ngx_http_webauthn_redis_op_t *inner);
static void ngx_http_webauthn_cluster_refresh_failed(
    ngx_http_webauthn_cluster_op_t *cop,
    ngx_http_webauthn_cluster_node_t *node, ngx_str_t *reason);
static ngx_int_t ngx_http_webauthn_cluster_slots(
    ngx_http_webauthn_cluster_op_t *cop,
    ngx_http_webauthn_cluster_node_t *asked, redisReply *reply);
static ngx_int_t ngx_http_webauthn_cluster_send(
    ngx_http_webauthn_cluster_op_t *cop);
static void ngx_http_webauthn_cluster_handler(
    ngx_http_webauthn_redis_op_t *inner);
static void ngx_http_webauthn_cluster_retry_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_webauthn_cluster_redirect(
    ngx_http_webauthn_cluster_op_t *cop, redisReply *reply);
static void ngx_http_webauthn_cluster_fail(ngx_http_webauthn_cluster_op_t *cop,
    const char *fmt, ...);
static void ngx_http_webauthn_cluster_finish(
    ngx_http_webauthn_cluster_op_t *cop);


/* the CRC16 of the Redis Cluster specification (XMODEM: 0x1021, init 0) */

ngx_uint_t
ngx_http_webauthn_redis_slot(u_char *key, size_t len)
{
    u_char      *s, *e;
    size_t       i;
    uint16_t     crc;
    ngx_uint_t   k;

    /* the hash tag: from the first "{" to the first "}" after it */

    s = ngx_strlchr(key, key + len, '{');

    if (s) {
        e = ngx_strlchr(s + 1, key + len, '}');

        if (e && e > s + 1) {
            key = s + 1;
            len = e - key;
        }
    }

    crc = 0;

    for (i = 0; i < len; i++) {
        crc ^= (uint16_t) key[i] << 8;

        for (k = 0; k < 8; k++) {
            crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021)
                                 : (uint16_t) (crc << 1);
        }
    }

    return crc & (NGX_HTTP_WEBAUTHN_CLUSTER_SLOTS - 1);
}


char *
ngx_http_webauthn_redis_cluster_conf(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value, ngx_uint_t n)
{
    ngx_url_t                     u;
    ngx_uint_t                    i;
    ngx_http_webauthn_cluster_t  *cl;

    if (n > NGX_HTTP_WEBAUTHN_CLUSTER_NODES / 2) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many cluster nodes in \"webauthn_redis\"");
        return NGX_CONF_ERROR;
    }

    cl = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_cluster_t));
    if (cl == NULL) {
        return NGX_CONF_ERROR;
    }

    cl->seeds = ngx_pcalloc(cf->pool, n * sizeof(ngx_addr_t));
    if (cl->seeds == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < n; i++) {
        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url = value[i];
        u.default_port = NGX_HTTP_WEBAUTHN_CLUSTER_PORT;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in cluster node \"%V\" of "
                               "\"webauthn_redis\"",
                               u.err ? u.err : "no address", &u.url);
            return NGX_CONF_ERROR;
        }

        cl->seeds[i] = u.addrs[0];
    }

    cl->nseeds = n;

    /*
     * the name TLS checks (without tls_name=): with an address first,
     * each node's own; a host name first (a managed Cluster's
     * configuration endpoint) is every node's
     */

    cl->by_address = ngx_http_webauthn_peer_literal(&rcf->host);

    rcf->cluster = cl;

    return NGX_CONF_OK;
}


/* the seeds become the worker's first nodes */

static ngx_int_t
ngx_http_webauthn_cluster_init(ngx_http_webauthn_cluster_t *cl,
    ngx_http_webauthn_redis_conf_t *conf)
{
    ngx_uint_t  i, index;

    if (cl->initialized) {
        return NGX_OK;
    }

    cl->map = ngx_pcalloc(ngx_cycle->pool, NGX_HTTP_WEBAUTHN_CLUSTER_SLOTS);
    if (cl->map == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < cl->nseeds; i++) {
        if (ngx_http_webauthn_cluster_node(cl, conf, cl->seeds[i].name.data,
                                           cl->seeds[i].name.len, &index)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    cl->initialized = 1;

    return NGX_OK;
}


/* the node "ip:port", made when new; NULL when it cannot be */

static ngx_http_webauthn_cluster_node_t *
ngx_http_webauthn_cluster_node(ngx_http_webauthn_cluster_t *cl,
    ngx_http_webauthn_redis_conf_t *conf, u_char *name, size_t len,
    ngx_uint_t *index)
{
    u_char                            *host;
    ngx_addr_t                        *addr;
    ngx_uint_t                         i;
    ngx_http_webauthn_cluster_node_t  *node;

    for (i = 0; i < cl->nnodes; i++) {
        node = cl->nodes[i];

        if (node->name.len == len
            && ngx_strncmp(node->name.data, name, len) == 0)
        {
            *index = i;
            return node;
        }
    }

    if (cl->nnodes == NGX_HTTP_WEBAUTHN_CLUSTER_NODES) {
        return NULL;
    }

    addr = ngx_pcalloc(ngx_cycle->pool, sizeof(ngx_addr_t));
    node = ngx_pcalloc(ngx_cycle->pool,
                       sizeof(ngx_http_webauthn_cluster_node_t));
    if (addr == NULL || node == NULL) {
        return NULL;
    }

    if (ngx_parse_addr_port(ngx_cycle->pool, addr, name, len) != NGX_OK) {
        return NULL;
    }

    addr->name.data = ngx_pnalloc(ngx_cycle->pool, len);
    if (addr->name.data == NULL) {
        return NULL;
    }

    ngx_memcpy(addr->name.data, name, len);
    addr->name.len = len;

    /* the directive's settings, a server (and so a pool) of its own */

    node->conf = *conf;
    node->conf.cluster = NULL;
    node->conf.server.addr = addr;
    node->conf.server.initialized = 0;
    node->conf.pipes_initialized = 0;
    node->conf.server.ssl_session = NULL;
    ngx_str_null(&node->conf.server.label);
    node->name = addr->name;

    /*
     * TLS without tls_name= to a Cluster given by its addresses: the
     * certificate of a node is checked against the node's own address,
     * as a single Redis's is against its own, not against the first
     * node's (the host of the directive's server)
     */

    if (conf->server.ssl && conf->server.ssl_name.len == 0
        && cl->by_address)
    {
        host = ngx_pnalloc(ngx_cycle->pool, NGX_SOCKADDR_STRLEN + 1);
        if (host == NULL) {
            return NULL;
        }

        node->conf.server.host.len = ngx_sock_ntop(addr->sockaddr,
                                                   addr->socklen, host,
                                                   NGX_SOCKADDR_STRLEN, 0);
        host[node->conf.server.host.len] = '\0';
        node->conf.server.host.data = host;
    }

    *index = cl->nnodes;
    cl->nodes[cl->nnodes++] = node;

    return node;
}


ngx_http_webauthn_redis_op_t *
ngx_http_webauthn_redis_slot_create(ngx_http_webauthn_redis_conf_t *conf,
    ngx_str_t *key, ngx_log_t *log)
{
    ngx_pool_t                      *pool;
    ngx_http_webauthn_redis_op_t    *op;
    ngx_http_webauthn_cluster_op_t  *cop;

    if (conf->cluster == NULL) {
        return ngx_http_webauthn_redis_create(conf, log);
    }

    if (ngx_http_webauthn_cluster_init(conf->cluster, conf) != NGX_OK) {
        return NULL;
    }

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NULL;
    }

    op = ngx_pcalloc(pool, sizeof(ngx_http_webauthn_redis_op_t));
    cop = ngx_pcalloc(pool, sizeof(ngx_http_webauthn_cluster_op_t));
    if (op == NULL || cop == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    op->pool = pool;
    op->conf = conf;
    op->rc = NGX_ERROR;
    op->priv = cop;

    cop->argvlen = ngx_pcalloc(pool, NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS
                                     * sizeof(size_t *));
    if (cop->argvlen == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    cop->op = op;
    cop->cluster = conf->cluster;
    cop->log = log;
    cop->slot = ngx_http_webauthn_redis_slot(key->data, key->len);

    return op;
}


ngx_int_t
ngx_http_webauthn_redis_slot_append(ngx_http_webauthn_redis_op_t *op,
    int argc, const char **argv, const size_t *argvlen)
{
    int                              i;
    u_char                          *p;
    ngx_http_webauthn_cluster_op_t  *cop;

    if (op->conf->cluster == NULL) {
        return ngx_http_webauthn_redis_append(op, argc, argv, argvlen);
    }

    cop = op->priv;

    if (op->ncmds == NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS || argc < 1
        || cop->running)
    {
        return NGX_ERROR;
    }

    /* kept to be sent again to another node */

    cop->argv[op->ncmds] = ngx_palloc(op->pool, argc * sizeof(char *));
    cop->argvlen[op->ncmds] = ngx_palloc(op->pool, argc * sizeof(size_t));

    if (cop->argv[op->ncmds] == NULL || cop->argvlen[op->ncmds] == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < argc; i++) {
        p = ngx_pnalloc(op->pool, argvlen[i] ? argvlen[i] : 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, argv[i], argvlen[i]);

        cop->argv[op->ncmds][i] = (const char *) p;
        cop->argvlen[op->ncmds][i] = argvlen[i];
    }

    cop->argc[op->ncmds] = argc;
    op->ncmds++;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_redis_slot_run(ngx_http_webauthn_redis_op_t *op)
{
    ngx_int_t                        rc;
    ngx_http_webauthn_cluster_op_t  *cop;

    if (op->conf->cluster == NULL) {
        return ngx_http_webauthn_redis_run(op);
    }

    cop = op->priv;

    if (op->ncmds == 0) {
        ngx_str_set(&op->reason, "redis operation without commands");
        return NGX_ERROR;
    }

    rc = ngx_http_webauthn_cluster_dispatch(cop);

    if (rc == NGX_OK) {
        cop->running = 1;
    }

    return rc;
}


void
ngx_http_webauthn_redis_slot_free(ngx_http_webauthn_redis_op_t *op)
{
    ngx_uint_t                       i;
    ngx_http_webauthn_cluster_op_t  *cop;

    if (op->conf->cluster == NULL) {
        ngx_http_webauthn_redis_free(op);
        return;
    }

    cop = op->priv;

    if (cop->inner) {
        ngx_http_webauthn_redis_free(cop->inner);
        cop->inner = NULL;
    }

    if (cop->retry.timer_set) {
        ngx_del_timer(&cop->retry);
    }

    /* a refresh given up: another op may ask */

    if (cop->refreshing) {
        cop->cluster->refreshing = 0;
    }

    for (i = 0; i < NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS; i++) {
        if (op->replies[i]) {
            freeReplyObject(op->replies[i]);
            op->replies[i] = NULL;
        }
    }

    ngx_destroy_pool(op->pool);
}


void
ngx_http_webauthn_redis_cluster_cleanup(ngx_http_webauthn_redis_conf_t *conf)
{
    ngx_uint_t                    i;
    ngx_http_webauthn_cluster_t  *cl;

    cl = conf->cluster;

    for (i = 0; i < cl->nnodes; i++) {
        ngx_http_webauthn_redis_pipe_cleanup(&cl->nodes[i]->conf);
        ngx_http_webauthn_peer_cleanup(&cl->nodes[i]->conf.server);
    }
}


/*
 * the slot map first when there is none (the worker's first op) or it
 * went stale (-MOVED, a node failed) and was not asked for lately
 */

static ngx_int_t
ngx_http_webauthn_cluster_dispatch(ngx_http_webauthn_cluster_op_t *cop)
{
    ngx_http_webauthn_cluster_t  *cl;

    cl = cop->cluster;

    if (!cop->refreshed
        && (!cl->loaded
            || (cl->stale && !cl->refreshing
                && ngx_current_msec - cl->refreshed
                   >= NGX_HTTP_WEBAUTHN_CLUSTER_REFRESH)))
    {
        cop->refreshed = 1;
        cop->tries = 0;

        return ngx_http_webauthn_cluster_refresh(cop);
    }

    return ngx_http_webauthn_cluster_send(cop);
}


/*
 * CLUSTER SLOTS, of one node after another until one answers; the next
 * refresh asks the one that answered first (as the sentinels are asked):
 * a node that failed is not asked again while the others answer, so a
 * frozen node (it accepts, never replies) costs one timeout, not one in
 * every round of the nodes
 */

static ngx_int_t
ngx_http_webauthn_cluster_refresh(ngx_http_webauthn_cluster_op_t *cop)
{
    size_t                             len[2];
    const char                        *argv[2];
    ngx_http_webauthn_cluster_t       *cl;
    ngx_http_webauthn_redis_op_t      *inner;
    ngx_http_webauthn_cluster_node_t  *node;

    cl = cop->cluster;

    argv[0] = "CLUSTER";
    len[0] = sizeof("CLUSTER") - 1;
    argv[1] = "SLOTS";
    len[1] = sizeof("SLOTS") - 1;

    while (cop->tries < cl->nnodes) {
        cop->tries++;

        node = cl->nodes[cl->ask];

        inner = ngx_http_webauthn_redis_create(&node->conf, cop->log);
        if (inner == NULL) {
            ngx_http_webauthn_cluster_fail(cop, "out of memory");
            return NGX_ERROR;
        }

        inner->handler = ngx_http_webauthn_cluster_refresh_handler;
        inner->data = cop;

        if (ngx_http_webauthn_redis_append(inner, 2, argv, len) == NGX_OK
            && ngx_http_webauthn_redis_run(inner) == NGX_OK)
        {
            cop->inner = inner;
            cop->slots = node;
            cop->refreshing = 1;
            cl->refreshing = 1;
            return NGX_OK;
        }

        ngx_http_webauthn_cluster_refresh_failed(cop, node, &inner->reason);
        ngx_http_webauthn_redis_free(inner);
    }

    /* nobody answered: the map as it is, if there is one */

    if (cl->loaded) {
        return ngx_http_webauthn_cluster_send(cop);
    }

    /* the reason first: the store keeps the first 128 bytes */

    if (cop->last.len) {
        ngx_http_webauthn_cluster_fail(cop, "%V (no node answered "
                                       "CLUSTER SLOTS)", &cop->last);

    } else {
        ngx_http_webauthn_cluster_fail(cop, "no node of the redis cluster "
                                       "answered CLUSTER SLOTS");
    }

    return NGX_ERROR;
}


/*
 * logged, and kept for the op's reason should no node answer; refreshes
 * start at the next node (unless another op's failure moved on already)
 */

static void
ngx_http_webauthn_cluster_refresh_failed(ngx_http_webauthn_cluster_op_t *cop,
    ngx_http_webauthn_cluster_node_t *node, ngx_str_t *reason)
{
    ngx_str_t                     why;
    ngx_http_webauthn_cluster_t  *cl;

    cl = cop->cluster;

    if (cl->nodes[cl->ask] == node) {
        cl->ask = (cl->ask + 1) % cl->nnodes;
    }

    if (reason && reason->len) {
        why = *reason;

    } else {
        ngx_str_set(&why, "no usable slot map");
    }

    ngx_log_error(NGX_LOG_INFO, cop->log, 0,
                  "webauthn redis cluster: CLUSTER SLOTS of %V: %V",
                  &node->name, &why);

    if (cop->last.data == NULL) {
        cop->last.data = ngx_pnalloc(cop->op->pool,
                                     NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE);
        if (cop->last.data == NULL) {
            return;
        }
    }

    cop->last.len = ngx_cpymem(cop->last.data, why.data,
                               ngx_min(why.len,
                                       NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE))
                    - cop->last.data;
}


static void
ngx_http_webauthn_cluster_refresh_handler(ngx_http_webauthn_redis_op_t *inner)
{
    ngx_http_webauthn_cluster_op_t *cop = inner->data;

    ngx_http_webauthn_cluster_t       *cl;
    ngx_http_webauthn_cluster_node_t  *asked;

    cl = cop->cluster;
    cl->refreshing = 0;
    cl->refreshed = ngx_current_msec;

    cop->refreshing = 0;
    asked = cop->slots;

    if (inner->rc == NGX_OK
        && ngx_http_webauthn_cluster_slots(cop, asked, inner->replies[0])
           == NGX_OK)
    {
        cl->loaded = 1;
        cl->stale = 0;

    } else {
        ngx_http_webauthn_cluster_refresh_failed(cop, asked,
                                                 inner->rc == NGX_OK
                                                 ? NULL : &inner->reason);
    }

    cop->inner = NULL;
    ngx_http_webauthn_redis_free(inner);

    if (!cl->loaded || cl->stale) {
        if (ngx_http_webauthn_cluster_refresh(cop) != NGX_OK) {
            ngx_http_webauthn_cluster_finish(cop);
        }

        return;
    }

    if (ngx_http_webauthn_cluster_send(cop) != NGX_OK) {
        ngx_http_webauthn_cluster_finish(cop);
    }
}


/*
 * CLUSTER SLOTS: [[start, end, [ip, port, ...], replicas...], ...]; the
 * map is replaced only by a whole valid reply
 */

static ngx_int_t
ngx_http_webauthn_cluster_slots(ngx_http_webauthn_cluster_op_t *cop,
    ngx_http_webauthn_cluster_node_t *asked, redisReply *reply)
{
    u_char                            *p, *map, *colon;
    size_t                             i, hlen;
    ngx_int_t                          start, end, port;
    ngx_uint_t                         index, s;
    redisReply                        *r, *m;
    ngx_http_webauthn_cluster_t       *cl;
    u_char                             name[NGX_SOCKADDR_STRLEN + 16];

    cl = cop->cluster;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements == 0)
    {
        return NGX_ERROR;
    }

    map = ngx_pcalloc(cop->op->pool, NGX_HTTP_WEBAUTHN_CLUSTER_SLOTS);
    if (map == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < reply->elements; i++) {
        r = reply->element[i];

        if (r->type != REDIS_REPLY_ARRAY || r->elements < 3
            || r->element[0]->type != REDIS_REPLY_INTEGER
            || r->element[1]->type != REDIS_REPLY_INTEGER
            || r->element[2]->type != REDIS_REPLY_ARRAY
            || r->element[2]->elements < 2)
        {
            return NGX_ERROR;
        }

        start = r->element[0]->integer;
        end = r->element[1]->integer;
        m = r->element[2];

        if (start < 0 || end < start
            || end >= NGX_HTTP_WEBAUTHN_CLUSTER_SLOTS
            || m->element[0]->type != REDIS_REPLY_STRING
            || m->element[1]->type != REDIS_REPLY_INTEGER
            || m->element[0]->len > NGX_SOCKADDR_STRLEN)
        {
            return NGX_ERROR;
        }

        port = m->element[1]->integer;

        if (port < 1 || port > 65535) {
            return NGX_ERROR;
        }

        /* an empty address is the node asked's */

        if (m->element[0]->len == 0) {
            colon = NULL;

            for (p = asked->name.data;
                 p < asked->name.data + asked->name.len;
                 p++)
            {
                if (*p == ':') {
                    colon = p;
                }
            }

            if (colon == NULL) {
                return NGX_ERROR;
            }

            hlen = colon - asked->name.data;
            p = ngx_sprintf(name, "%*s:%i", hlen, asked->name.data, port);

        } else if (ngx_strlchr((u_char *) m->element[0]->str,
                               (u_char *) m->element[0]->str
                               + m->element[0]->len, ':'))
        {
            p = ngx_sprintf(name, "[%*s]:%i", (size_t) m->element[0]->len,
                            m->element[0]->str, port);

        } else {
            p = ngx_sprintf(name, "%*s:%i", (size_t) m->element[0]->len,
                            m->element[0]->str, port);
        }

        if (ngx_http_webauthn_cluster_node(cl, &asked->conf, name, p - name,
                                           &index)
            == NULL)
        {
            ngx_log_error(NGX_LOG_INFO, cop->log, 0,
                          "webauthn redis cluster: node \"%*s\" "
                          "not usable", p - name, name);
            return NGX_ERROR;
        }

        for (s = (ngx_uint_t) start; s <= (ngx_uint_t) end; s++) {
            map[s] = (u_char) (index + 1);
        }
    }

    ngx_memcpy(cl->map, map, NGX_HTTP_WEBAUTHN_CLUSTER_SLOTS);

    return NGX_OK;
}


/* the commands, to the slot's node (or -ASK's, after ASKING) */

static ngx_int_t
ngx_http_webauthn_cluster_send(ngx_http_webauthn_cluster_op_t *cop)
{
    size_t                             len[1];
    ngx_uint_t                         i;
    const char                        *argv[1];
    ngx_http_webauthn_cluster_t       *cl;
    ngx_http_webauthn_redis_op_t      *inner, *op;
    ngx_http_webauthn_cluster_node_t  *node;

    cl = cop->cluster;
    op = cop->op;

    node = cop->asking;

    if (node == NULL) {
        if (cl->map[cop->slot] == 0) {
            cl->stale = 1;
            ngx_http_webauthn_cluster_fail(cop, "no node of the redis cluster "
                                           "serves slot %ui", cop->slot);
            return NGX_ERROR;
        }

        node = cl->nodes[cl->map[cop->slot] - 1];
    }

    inner = ngx_http_webauthn_redis_create(&node->conf, cop->log);
    if (inner == NULL) {
        ngx_http_webauthn_cluster_fail(cop, "out of memory");
        return NGX_ERROR;
    }

    inner->handler = ngx_http_webauthn_cluster_handler;
    inner->data = cop;

    inner->timeout = op->timeout;

    if (cop->asking) {
        argv[0] = "ASKING";
        len[0] = sizeof("ASKING") - 1;

        if (ngx_http_webauthn_redis_append(inner, 1, argv, len) != NGX_OK) {
            goto failed;
        }
    }

    for (i = 0; i < op->ncmds; i++) {
        if (ngx_http_webauthn_redis_append(inner, cop->argc[i], cop->argv[i],
                                           cop->argvlen[i])
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (ngx_http_webauthn_redis_run(inner) != NGX_OK) {
        cl->stale = 1;
        ngx_http_webauthn_cluster_fail(cop, "%V", &inner->reason);
        ngx_http_webauthn_redis_free(inner);
        return NGX_ERROR;
    }

    cop->inner = inner;

    return NGX_OK;

failed:

    ngx_http_webauthn_redis_free(inner);
    ngx_http_webauthn_cluster_fail(cop, "redis command formatting failed");

    return NGX_ERROR;
}


static void
ngx_http_webauthn_cluster_handler(ngx_http_webauthn_redis_op_t *inner)
{
    ngx_http_webauthn_cluster_op_t *cop = inner->data;

    ngx_int_t                      rc;
    ngx_uint_t                     i, k;
    redisReply                    *r;
    ngx_http_webauthn_redis_op_t  *op;

    op = cop->op;
    cop->inner = NULL;

    if (inner->rc != NGX_OK) {

        /* a node down: its slots may have moved to a replica */

        cop->cluster->stale = 1;
        ngx_http_webauthn_cluster_fail(cop, "%V", &inner->reason);
        ngx_http_webauthn_redis_free(inner);
        ngx_http_webauthn_cluster_finish(cop);
        return;
    }

    k = cop->asking ? 1 : 0;
    r = inner->replies[k];

    if (k && (inner->replies[0]->type != REDIS_REPLY_STATUS)) {
        ngx_http_webauthn_redis_free(inner);
        ngx_http_webauthn_cluster_fail(cop, "redis cluster refused ASKING");
        ngx_http_webauthn_cluster_finish(cop);
        return;
    }

    if (r->type == REDIS_REPLY_ERROR
        && ((r->len > 6 && ngx_strncmp(r->str, "MOVED ", 6) == 0)
            || (r->len > 4 && ngx_strncmp(r->str, "ASK ", 4) == 0)))
    {
        rc = ngx_http_webauthn_cluster_redirect(cop, r);
        ngx_http_webauthn_redis_free(inner);

        if (rc != NGX_OK || ngx_http_webauthn_cluster_send(cop) != NGX_OK) {
            ngx_http_webauthn_cluster_finish(cop);
        }

        return;
    }

    /* a migration under way: the same op again, a little later */

    if (r->type == REDIS_REPLY_ERROR && r->len >= 8
        && ngx_strncmp(r->str, "TRYAGAIN", 8) == 0
        && cop->tryagain < NGX_HTTP_WEBAUTHN_CLUSTER_TRYAGAIN)
    {
        ngx_http_webauthn_redis_free(inner);

        cop->tryagain++;
        cop->asking = NULL;
        cop->asked = 0;
        cop->moved = 0;

        cop->retry.handler = ngx_http_webauthn_cluster_retry_handler;
        cop->retry.data = cop;
        cop->retry.log = cop->log;

        ngx_add_timer(&cop->retry, NGX_HTTP_WEBAUTHN_CLUSTER_TRYAGAIN_DELAY);

        return;
    }

    /* the replies become the store's */

    for (i = 0; i < op->ncmds; i++) {
        op->replies[i] = inner->replies[k + i];
        inner->replies[k + i] = NULL;
    }

    op->rc = NGX_OK;
    op->retried = inner->retried;

    ngx_http_webauthn_redis_free(inner);
    ngx_http_webauthn_cluster_finish(cop);
}


static void
ngx_http_webauthn_cluster_retry_handler(ngx_event_t *ev)
{
    ngx_http_webauthn_cluster_op_t *cop = ev->data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, cop->log, 0,
                   "webauthn redis cluster: TRYAGAIN, slot %ui, retry %ui",
                   cop->slot, cop->tryagain);

    if (ngx_http_webauthn_cluster_send(cop) != NGX_OK) {
        ngx_http_webauthn_cluster_finish(cop);
    }
}


/*
 * "-MOVED 3999 127.0.0.1:6381": the slot is the node's now (the map gets
 * it, and is asked for again before long), the op goes there, once;
 * "-ASK 3999 127.0.0.1:6381": the slot is migrating, this op goes there
 * after ASKING, once, and the map stays
 */

static ngx_int_t
ngx_http_webauthn_cluster_redirect(ngx_http_webauthn_cluster_op_t *cop,
    redisReply *reply)
{
    u_char                            *p, *last, *addr;
    ngx_int_t                          slot;
    ngx_uint_t                         moved, index;
    ngx_http_webauthn_cluster_t       *cl;
    ngx_http_webauthn_cluster_node_t  *node;

    cl = cop->cluster;
    moved = (reply->str[0] == 'M');

    p = (u_char *) reply->str + (moved ? 6 : 4);
    last = (u_char *) reply->str + reply->len;

    addr = ngx_strlchr(p, last, ' ');

    if (addr == NULL) {
        goto invalid;
    }

    slot = ngx_atoi(p, addr - p);
    addr++;

    if (slot == NGX_ERROR || slot >= NGX_HTTP_WEBAUTHN_CLUSTER_SLOTS
        || (ngx_uint_t) slot != cop->slot || last - addr == 0
        || (size_t) (last - addr) > NGX_SOCKADDR_STRLEN + 8)
    {
        goto invalid;
    }

    if ((moved && cop->moved) || (!moved && cop->asked)) {
        ngx_http_webauthn_cluster_fail(cop, "redis cluster redirected "
                                       "slot %ui again", cop->slot);
        return NGX_ERROR;
    }

    node = ngx_http_webauthn_cluster_node(cl, cop->op->conf, addr,
                                          last - addr, &index);
    if (node == NULL) {
        goto invalid;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, cop->log, 0,
                   "webauthn redis cluster: %s slot %ui to %V",
                   moved ? "MOVED" : "ASK", cop->slot, &node->name);

    if (moved) {
        cop->moved = 1;
        cop->asking = NULL;
        cl->map[cop->slot] = (u_char) (index + 1);
        cl->stale = 1;

    } else {
        cop->asked = 1;
        cop->asking = node;
    }

    return NGX_OK;

invalid:

    ngx_http_webauthn_cluster_fail(cop, "redis cluster sent an invalid "
                                   "redirection");

    return NGX_ERROR;
}


static void
ngx_http_webauthn_cluster_fail(ngx_http_webauthn_cluster_op_t *cop,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    cop->op->rc = NGX_ERROR;

    p = ngx_pnalloc(cop->op->pool, NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE);
    if (p == NULL) {
        ngx_str_set(&cop->op->reason, "out of memory");
        return;
    }

    va_start(args, fmt);
    cop->op->reason.len = ngx_vslprintf(p,
                                        p + NGX_HTTP_WEBAUTHN_EVENT_REASON_SIZE,
                                        fmt, args)
                          - p;
    va_end(args);

    cop->op->reason.data = p;
}


/* the store's handler, from the event loop (it may free the op) */

static void
ngx_http_webauthn_cluster_finish(ngx_http_webauthn_cluster_op_t *cop)
{
    ngx_http_webauthn_redis_op_t  *op;

    op = cop->op;

    op->handler(op);
}
