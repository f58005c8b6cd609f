
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * A non-blocking Redis client on nginx's event loop, modelled on the OCSP
 * stapling client (ngx_event_openssl_stapling.c) and the upstream keepalive
 * module: an operation is a batch of commands written in one pipelined
 * write, whose replies are parsed by hiredis' reader as they arrive.
 * Connections are kept per worker in an idle pool and reused; a new
 * connection sends AUTH and SELECT in the same pipeline as the first
 * operation's commands.
 *
 * hiredis is used only to format commands and to parse replies; it never
 * does I/O.
 */


#ifndef _NGX_HTTP_WEBAUTHN_REDIS_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <hiredis/hiredis.h>


#define NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS  8


typedef struct ngx_http_webauthn_redis_op_s  ngx_http_webauthn_redis_op_t;

typedef void (*ngx_http_webauthn_redis_handler_pt)(
    ngx_http_webauthn_redis_op_t *op);


/* configuration (http{} level, "webauthn_redis" directive) and per-worker
 * state: after fork each worker owns its copy of the idle queues */

typedef struct {
    ngx_addr_t                     *addr;          /* resolved at config */
    ngx_str_t                       user;          /* ACL user, or empty */
    ngx_str_t                       password;      /* empty: no AUTH */
    ngx_int_t                       db;            /* 0: no SELECT */
    ngx_msec_t                      connect_timeout;
    ngx_msec_t                      timeout;       /* send + reply */
    ngx_msec_t                      keepalive_timeout;
    ngx_uint_t                      keepalive;     /* idle connections */

    /* per worker */
    ngx_queue_t                     cache;         /* idle connections */
    ngx_queue_t                     free;          /* spare items */
    ngx_uint_t                      initialized;   /* queues set up */
} ngx_http_webauthn_redis_conf_t;


struct ngx_http_webauthn_redis_op_s {
    ngx_pool_t                         *pool;      /* owned by the op */
    ngx_log_t                          *log;
    ngx_http_webauthn_redis_conf_t     *conf;

    ngx_http_webauthn_redis_handler_pt  handler;
    void                               *data;      /* for the handler */

    /*
     * after the handler is called:
     *   NGX_OK     every reply arrived; replies[i] is the reply to the
     *              i-th appended command (possibly a REDIS_REPLY_ERROR)
     *   NGX_ERROR  connect failure, timeout, connection closed, protocol
     *              garbage, AUTH/SELECT refused; "reason" says which,
     *              for the error log (never with secrets)
     */
    ngx_int_t                           rc;
    ngx_str_t                           reason;
    ngx_uint_t                          ncmds;
    redisReply                  *replies[NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS];

    /* private to ngx_http_webauthn_redis.c */
    void                               *priv;
};


/* creates an op with a pool of its own */
ngx_http_webauthn_redis_op_t *ngx_http_webauthn_redis_create(
    ngx_http_webauthn_redis_conf_t *conf, ngx_log_t *log);

/* appends one command; arguments are copied; NGX_OK or NGX_ERROR */
ngx_int_t ngx_http_webauthn_redis_append(ngx_http_webauthn_redis_op_t *op,
    int argc, const char **argv, const size_t *argvlen);

/*
 * Starts the op.  Returns NGX_OK when it is under way: op->handler is then
 * called exactly once, later, from the event loop (never from inside this
 * call).  Returns NGX_ERROR when it could not start (op->reason says why);
 * the handler is then never called.
 */
ngx_int_t ngx_http_webauthn_redis_run(ngx_http_webauthn_redis_op_t *op);

/*
 * The owner is going away while the op is under way (the request was
 * finalized): the handler will not be called, and the op frees itself
 * when its I/O ends (its connection is closed, not reused).
 */
void ngx_http_webauthn_redis_cancel(ngx_http_webauthn_redis_op_t *op);

/* frees replies and the op's pool; only when not under way */
void ngx_http_webauthn_redis_free(ngx_http_webauthn_redis_op_t *op);

/* worker exit: closes idle connections */
void ngx_http_webauthn_redis_cleanup(ngx_http_webauthn_redis_conf_t *conf);


#endif /* _NGX_HTTP_WEBAUTHN_REDIS_H_INCLUDED_ */
