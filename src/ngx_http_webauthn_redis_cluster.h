
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Redis Cluster on the RESP client (ngx_http_webauthn_redis.h): an op is
 * addressed to the hash slot of a key (CRC16 of its hash tag, as the
 * Redis Cluster specification says), sent to the node the worker's slot
 * map gives, and follows -MOVED (the map refreshed, once) and -ASK
 * (ASKING, once), and sends an op again after -TRYAGAIN (a migration
 * under way), three times 50 ms apart.  Each node has a peer of its
 * own, so a keepalive pool of its own.  With a single Redis the same
 * functions run the op on it: the store has one code path.  See
 * design.md, "Redis Cluster".
 */


#ifndef _NGX_HTTP_WEBAUTHN_REDIS_CLUSTER_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_REDIS_CLUSTER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <ngx_http_webauthn_redis.h>


#define NGX_HTTP_WEBAUTHN_CLUSTER_SLOTS  16384


/* the slot of a key: CRC16 (XMODEM) of its hash tag, or of it whole */
ngx_uint_t ngx_http_webauthn_redis_slot(u_char *key, size_t len);

/*
 * "webauthn_redis cluster host:port ...": value[0..n-1] are the seed
 * nodes; the first becomes rcf->server (the parameters' defaults)
 */
char *ngx_http_webauthn_redis_cluster_conf(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value, ngx_uint_t n);

/* as ngx_http_webauthn_redis_create() .. _free(), for the slot of key */
ngx_http_webauthn_redis_op_t *ngx_http_webauthn_redis_slot_create(
    ngx_http_webauthn_redis_conf_t *conf, ngx_str_t *key, ngx_log_t *log);
ngx_int_t ngx_http_webauthn_redis_slot_append(
    ngx_http_webauthn_redis_op_t *op, int argc, const char **argv,
    const size_t *argvlen);
ngx_int_t ngx_http_webauthn_redis_slot_run(ngx_http_webauthn_redis_op_t *op);
void ngx_http_webauthn_redis_slot_free(ngx_http_webauthn_redis_op_t *op);

/* worker exit: the nodes' idle connections */
void ngx_http_webauthn_redis_cluster_cleanup(
    ngx_http_webauthn_redis_conf_t *conf);


#endif /* _NGX_HTTP_WEBAUTHN_REDIS_CLUSTER_H_INCLUDED_ */
