
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Private to the RESP client (ngx_http_webauthn_redis.c) and its
 * pipelines (ngx_http_webauthn_redis_pipe.c): an op's state, the setup
 * commands of a new connection (AUTH, SELECT, ROLE) and their checks.
 *
 * A pipeline is one connection of a worker to one server that carries
 * the ops of many requests: every op made ready during one pass of the
 * event loop goes out in one write, and the replies are given to the ops
 * in the order they were sent.  See design.md, "Pipelining".
 */


#ifndef _NGX_HTTP_WEBAUTHN_REDIS_PIPE_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_REDIS_PIPE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <wa_core.h>
#include <ngx_http_webauthn_redis.h>


/* "pipeline=": the default, and the most ops in flight on a connection */
#define NGX_HTTP_WEBAUTHN_REDIS_PIPELINE      32
#define NGX_HTTP_WEBAUTHN_REDIS_MAX_PIPELINE  1024


/* the first commands of a new connection */

typedef struct {
    ngx_str_t                          cmds;      /* formatted; wiped once
                                                     copied (AUTH) */
    size_t                             secret;    /* AUTH's bytes, first */
    ngx_uint_t                         n;         /* their replies */
    unsigned                           auth:1;
    unsigned                           role:1;    /* ROLE is the last */
} ngx_http_webauthn_redis_setup_t;


typedef struct {
    ngx_http_webauthn_redis_op_t      *op;

    ngx_str_t                          cmds[NGX_HTTP_WEBAUTHN_REDIS_MAX_CMDS];
    size_t                             cmds_len;

    ngx_msec_t                         started;   /* for the metrics */

    /* one op per connection: its own exchange and reader */
    ngx_http_webauthn_event_t         *ev;
    wa_resp_t                         *reader;
    ngx_http_webauthn_redis_setup_t    setup;
    ngx_uint_t                         nreplies;  /* replies read */
    size_t                             received;

    /* on a pipeline (ngx_http_webauthn_redis_pipe.c) */
    void                              *pipe;      /* NULL: on none */
    void                              *entry;
    ngx_resolver_ctx_t                *resolve;   /* the host, for it */
    unsigned                           starting:1;
    unsigned                           start_failed:1;
    ngx_event_t                        timer;     /* the op's timeout */
} ngx_http_webauthn_redis_ctx_t;


/*
 * the setup commands a new connection of conf sends first, formatted in
 * pool; NGX_OK or NGX_ERROR
 */
ngx_int_t ngx_http_webauthn_redis_setup(ngx_http_webauthn_redis_conf_t *conf,
    ngx_pool_t *pool, ngx_http_webauthn_redis_setup_t *setup);

/*
 * the i-th setup reply: NGX_OK, or NGX_ERROR with the reason in ev (it
 * frees no reply)
 */
ngx_int_t ngx_http_webauthn_redis_setup_reply(ngx_http_webauthn_event_t *ev,
    ngx_http_webauthn_redis_setup_t *setup, ngx_uint_t i, redisReply *reply);

/*
 * an op is answered (op->rc, op->reason, op->replies set): the metrics,
 * Sentinel's check, then its handler, which may free it
 */
void ngx_http_webauthn_redis_op_done(ngx_http_webauthn_redis_op_t *op);

/* op->reason: a copy of reason (which may go away) in the op's pool */
void ngx_http_webauthn_redis_reason(ngx_http_webauthn_redis_op_t *op,
    ngx_str_t *reason);

/* the pipelines: conf->pipeline > 1 */
ngx_int_t ngx_http_webauthn_redis_pipe_start(ngx_http_webauthn_redis_op_t *op);
void ngx_http_webauthn_redis_pipe_cancel(ngx_http_webauthn_redis_op_t *op);
void ngx_http_webauthn_redis_pipe_cleanup(
    ngx_http_webauthn_redis_conf_t *conf);


#endif /* _NGX_HTTP_WEBAUTHN_REDIS_PIPE_H_INCLUDED_ */
