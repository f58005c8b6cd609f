
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The credential store: the only code that knows the Redis schema (key
 * names, fields, the commit script, its SHA and its replies) and how
 * stored fields are encoded.  Lookup and commit today; registration,
 * revocation, listing and invitations go through here too.  The schema
 * and the script's replies are written down in design.md, "Redis schema".
 */


#ifndef _NGX_HTTP_WEBAUTHN_STORE_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <ngx_http_webauthn_redis.h>


#define NGX_HTTP_WEBAUTHN_STORE_PREFIX  "webauthn:"
#define NGX_HTTP_WEBAUTHN_SHA1_HEX      40


/* what a lookup or a commit found */

typedef enum {
    NGX_HTTP_WEBAUTHN_STORE_OK = 0,
    NGX_HTTP_WEBAUTHN_STORE_UNKNOWN,    /* no such credential */
    NGX_HTTP_WEBAUTHN_STORE_REVOKED,
    NGX_HTTP_WEBAUTHN_STORE_STALE,      /* key or user handle changed */
    NGX_HTTP_WEBAUTHN_STORE_RESET,      /* issued before the store epoch */
    NGX_HTTP_WEBAUTHN_STORE_REPLAYED,   /* the nonce was used */
    NGX_HTTP_WEBAUTHN_STORE_REGRESSED,  /* the counter did not increase */
    NGX_HTTP_WEBAUTHN_STORE_FAULT       /* down, garbage, bad record:
                                           "reason" says which */
} ngx_http_webauthn_store_rc_e;


typedef struct {
    ngx_http_webauthn_redis_conf_t     *redis;
    ngx_str_t                           prefix;
    u_char                              script_sha[NGX_HTTP_WEBAUTHN_SHA1_HEX];
} ngx_http_webauthn_store_t;


/* a credential record, as far as the gateway reads it */

typedef struct {
    ngx_str_t                           id;            /* base64url */
    ngx_str_t                           public_key;    /* stored form */
    ngx_str_t                           handle;        /* stored form */
    ngx_str_t                           user_handle;   /* decoded */
    ngx_str_t                           user_name;     /* from the commit */
    ngx_str_t                           roles;         /* from the commit */
    ngx_str_t                           aaguid;        /* from the commit */
} ngx_http_webauthn_cred_t;


/* one use of a credential: what the commit records */

typedef struct {
    uint32_t                            sign_count;
    uint64_t                            issued;        /* challenge, ms */
    uint64_t                            expires;       /* ms */
    const u_char                       *nonce;
} ngx_http_webauthn_use_t;


typedef struct ngx_http_webauthn_store_req_s  ngx_http_webauthn_store_req_t;

typedef void (*ngx_http_webauthn_store_handler_pt)(
    ngx_http_webauthn_store_req_t *sr);

struct ngx_http_webauthn_store_req_s {
    ngx_http_webauthn_store_t          *store;
    ngx_pool_t                         *pool;      /* for the results */
    ngx_log_t                          *log;

    ngx_http_webauthn_store_handler_pt  handler;
    void                               *data;

    ngx_http_webauthn_cred_t           *cred;
    ngx_http_webauthn_use_t            *use;       /* commit only */

    ngx_http_webauthn_store_rc_e        rc;
    ngx_str_t                           reason;    /* FAULT: for the log */

    /* private */
    ngx_http_webauthn_redis_op_t       *op;
    ngx_str_t                           key;       /* the record's key */
    unsigned                            eval:1;
};


/* the script's SHA; the prefix's default */
ngx_int_t ngx_http_webauthn_store_init(ngx_http_webauthn_store_t *store,
    ngx_http_webauthn_redis_conf_t *redis);

/*
 * Both return NGX_OK when under way: sr->handler is then called once,
 * from the event loop, with sr->rc set.  NGX_ERROR: it could not start,
 * sr->rc is FAULT with its reason, the handler is never called.
 *
 * lookup: OK with cred->public_key, handle and user_handle; UNKNOWN,
 *     REVOKED or FAULT
 * commit: atomically re-checks the record against cred (key and handle),
 *     the store epoch, the nonce and the counter, then records the use;
 *     OK with cred->user_name and roles; UNKNOWN, REVOKED, STALE, RESET,
 *     REPLAYED, REGRESSED or FAULT (then nothing was written)
 */
ngx_int_t ngx_http_webauthn_store_lookup(ngx_http_webauthn_store_req_t *sr);
ngx_int_t ngx_http_webauthn_store_commit(ngx_http_webauthn_store_req_t *sr);

/* the owner goes away while a request is under way */
void ngx_http_webauthn_store_cancel(ngx_http_webauthn_store_req_t *sr);

/* a stored base64url field (public_key, user_handle), decoded into pool */
ngx_int_t ngx_http_webauthn_store_decode(ngx_pool_t *pool, ngx_str_t *stored,
    ngx_str_t *out);


#endif /* _NGX_HTTP_WEBAUTHN_STORE_H_INCLUDED_ */
