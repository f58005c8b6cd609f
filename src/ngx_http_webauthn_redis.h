
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * RESP on the event-client base (ngx_http_webauthn_event.h): an operation
 * is a batch of commands written in one pipelined write, whose replies are
 * parsed by hiredis' reader as they arrive.  A new connection sends AUTH
 * and SELECT in the same pipeline as the first operation's commands.
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


/* the "webauthn_redis" directive */

typedef struct {
    ngx_http_webauthn_peer_t            server;
    ngx_str_t                           user;      /* ACL user, or empty */
    ngx_str_t                           password;  /* empty: no AUTH */
    ngx_int_t                           db;        /* 0: no SELECT */
    ngx_str_t                           prefix;    /* of the store's keys */
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
    redisReply                  *replies[NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS];

    void                               *priv;      /* redis.c's */
};


/* parses the "webauthn_redis" directive into the pointer at cmd->offset */
char *ngx_http_webauthn_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

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

/* frees the op; while it is under way its handler is then never called */
void ngx_http_webauthn_redis_free(ngx_http_webauthn_redis_op_t *op);

/* worker exit: closes idle connections */
void ngx_http_webauthn_redis_cleanup(ngx_http_webauthn_redis_conf_t *conf);


#endif /* _NGX_HTTP_WEBAUTHN_REDIS_H_INCLUDED_ */
