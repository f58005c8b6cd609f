
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * RESP on the event-client base (ngx_http_webauthn_event.h): an operation
 * is a batch of commands, whose replies are parsed by hiredis' reader as
 * they arrive.  The operations of a worker share a connection to the
 * server, up to "pipeline=" of them in flight on it: everything made ready
 * in one pass of the event loop goes out in one write, and the replies are
 * matched to the operations in order (ngx_http_webauthn_redis_pipe.c).  A
 * new connection sends AUTH, SELECT (and behind Sentinel ROLE) first.
 * hiredis formats commands and parses replies; it never does I/O.
 *
 * Nothing here knows the module's keys or scripts: that is the store
 * (ngx_http_webauthn_store.c).
 */


#ifndef _NGX_HTTP_WEBAUTHN_REDIS_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>

#include <ngx_http_webauthn_event.h>


#define NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS  8


typedef struct ngx_http_webauthn_redis_op_s  ngx_http_webauthn_redis_op_t;

typedef void (*ngx_http_webauthn_redis_handler_pt)(
    ngx_http_webauthn_redis_op_t *op);

typedef struct ngx_http_webauthn_redis_sentinel_s
    ngx_http_webauthn_redis_sentinel_t;


/* the "webauthn_redis" directive */

typedef struct {
    ngx_http_webauthn_peer_t            server;
    ngx_str_t                           user;      /* ACL user, or empty */
    ngx_str_t                           password;  /* empty: no AUTH */
    ngx_int_t                           db;        /* 0: no SELECT */
    ngx_str_t                           prefix;    /* of the store's keys */

    /* a host name: resolved by init_conf, or at each exchange */
    ngx_str_t                           host;
    in_port_t                           port;

    /* TLS ("tls" and its parameters) */
    ngx_uint_t                          tls;
    ngx_str_t                           tls_trusted;
    ngx_str_t                           tls_certificate;
    ngx_str_t                           tls_certificate_key;

    /* "wait=": WAIT after the commit; 0: none */
    ngx_uint_t                          wait;
    ngx_msec_t                          wait_timeout;

    /*
     * "pipeline=": ops in flight on one connection (1: one op per
     * connection); per worker, its pipelines (ngx_http_webauthn_redis_pipe.c)
     */
    ngx_uint_t                          pipeline;
    ngx_queue_t                         pipes;
    ngx_uint_t                          pipes_initialized;

    /* "sentinel=": the master found through these; NULL: a plain server */
    ngx_http_webauthn_redis_sentinel_t *sentinel;
    void                               *cluster;   /* "cluster": the
                                                      nodes, the slot map
                                                      (redis_cluster.c) */
} ngx_http_webauthn_redis_conf_t;


struct ngx_http_webauthn_redis_op_s {
    ngx_pool_t                         *pool;      /* the op's own */
    ngx_http_webauthn_redis_conf_t     *conf;

    ngx_http_webauthn_redis_handler_pt  handler;
    void                               *data;      /* for the handler */

    /*
     * when the handler is called:
     *   NGX_OK     every reply arrived; replies[i] answers the i-th
     *              appended command (possibly a REDIS_REPLY_ERROR)
     *   NGX_ERROR  connect failure, timeout, connection closed, protocol
     *              garbage, AUTH/SELECT refused: "reason" says which, for
     *              the error log (never with secrets); nothing is logged
     *              at "error" by the client itself
     */
    ngx_int_t                           rc;
    ngx_str_t                           reason;
    ngx_uint_t                          ncmds;

    /*
     * the commands were sent again on a fresh connection, the pooled one
     * having closed before any reply byte: Redis may have run them twice
     */
    ngx_uint_t                          retried;

    /* the reply timeout when not the server's (WAIT), set before run */
    ngx_msec_t                          timeout;

    redisReply                  *replies[NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS];

    void                               *priv;      /* redis.c's */

    /* waiting for the master's address (the sentinel file's) */
    ngx_queue_t                         queue;
    unsigned                            waiting:1;
};


/* parses the "webauthn_redis" directive into the pointer at cmd->offset */
char *ngx_http_webauthn_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * the http{} block's configuration is known (its "resolver"): host names
 * resolved, TLS contexts made
 */
ngx_int_t ngx_http_webauthn_redis_init_conf(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf);

/* wipes the password at configuration release */
void ngx_http_webauthn_redis_wipe_conf(ngx_http_webauthn_redis_conf_t *rcf);

ngx_http_webauthn_redis_op_t *ngx_http_webauthn_redis_create(
    ngx_http_webauthn_redis_conf_t *conf, ngx_log_t *log);

/* appends one command; arguments are copied; NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_webauthn_redis_append(ngx_http_webauthn_redis_op_t *op,
    int argc, const char **argv, const size_t *argvlen);

/*
 * NGX_OK: under way, op->handler is called exactly once, later, from the
 * event loop; NGX_ERROR: it could not start (op->reason), the handler is
 * never called
 */
ngx_int_t ngx_http_webauthn_redis_run(ngx_http_webauthn_redis_op_t *op);

/*
 * "wait=": appends WAIT numreplicas timeout after the commands appended
 * so far, and gives the op the time WAIT may take; NGX_OK or NGX_ERROR
 */
ngx_int_t ngx_http_webauthn_redis_wait_append(
    ngx_http_webauthn_redis_op_t *op);

/*
 * the WAIT reply: NGX_OK when enough replicas acknowledged, NGX_DECLINED
 * otherwise, with the counts in *reason (the op's pool)
 */
ngx_int_t ngx_http_webauthn_redis_wait_check(ngx_http_webauthn_redis_op_t *op,
    redisReply *reply, ngx_str_t *reason);

/* frees the op; while it is under way its handler is then never called */
void ngx_http_webauthn_redis_free(ngx_http_webauthn_redis_op_t *op);

/* worker exit: closes idle connections */
void ngx_http_webauthn_redis_cleanup(ngx_http_webauthn_redis_conf_t *conf);

/*
 * shared with the sentinel file (ngx_http_webauthn_redis_sentinel.c):
 * an address parameter of the directive, into a server; an op started on
 * its server now (what ngx_http_webauthn_redis_run() does for a plain
 * server)
 */
ngx_int_t ngx_http_webauthn_redis_address(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value);
ngx_int_t ngx_http_webauthn_redis_start(ngx_http_webauthn_redis_op_t *op);

/* the sentinel file */
char *ngx_http_webauthn_redis_sentinel_conf(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *name, ngx_str_t *value,
    ngx_uint_t n);
ngx_int_t ngx_http_webauthn_redis_sentinel_param(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value);
ngx_int_t ngx_http_webauthn_redis_sentinel_init(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf);
ngx_int_t ngx_http_webauthn_redis_sentinel_run(
    ngx_http_webauthn_redis_op_t *op);
void ngx_http_webauthn_redis_sentinel_cancel(
    ngx_http_webauthn_redis_op_t *op);
void ngx_http_webauthn_redis_sentinel_check(ngx_http_webauthn_redis_op_t *op);
void ngx_http_webauthn_redis_sentinel_forget(
    ngx_http_webauthn_redis_sentinel_t *s);
void ngx_http_webauthn_redis_sentinel_cleanup(
    ngx_http_webauthn_redis_conf_t *rcf);
void ngx_http_webauthn_redis_sentinel_wipe(
    ngx_http_webauthn_redis_conf_t *rcf);


#endif /* _NGX_HTTP_WEBAUTHN_REDIS_H_INCLUDED_ */
