
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The private umbrella header of the nginx glue.  The module's files, by
 * job (design.md, "Layout"):
 *
 *   ngx_http_webauthn_module.c     directives, configuration, phases
 *   ngx_http_webauthn_access.c     the access handler and its request
 *                                  driver: the check as a list of steps
 *   ngx_http_webauthn_challenge.c  the challenge endpoint
 *   ngx_http_webauthn_response.c   refusals: problem+json, WWW-Authenticate,
 *                                  Retry-After, the error log line
 *   ngx_http_webauthn_variables.c  $webauthn_*
 *   ngx_http_webauthn_headers.c    the Authorization header: parsed, removed
 *   ngx_http_webauthn_store.c      the Redis schema (the only code that
 *                                  knows it)
 *   ngx_http_webauthn_redis.c      RESP, "webauthn_redis"
 *   ngx_http_webauthn_redis_sentinel.c
 *                                  the master through Redis Sentinel
 *   ngx_http_webauthn_event.c      the event-client base
 *   ngx_http_webauthn_event_ssl.c  its TLS
 *   ngx_http_webauthn_cache.c      the key caches, "webauthn_key_cache"
 *   ngx_http_webauthn_metrics.c    "webauthn_metrics", its shared zone
 *
 * The verification core (src/core, wa_core.h) has no nginx headers.
 */


#ifndef _NGX_HTTP_WEBAUTHN_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <wa_core.h>
#include <ngx_http_webauthn_event.h>
#include <ngx_http_webauthn_redis.h>
#include <ngx_http_webauthn_store.h>
#include <ngx_http_webauthn_cache.h>
#include <ngx_http_webauthn_metrics.h>


#define NGX_HTTP_WEBAUTHN_SCHEME       "WebAuthn"
#define NGX_HTTP_WEBAUTHN_INVITATION   "Invitation"

#define NGX_HTTP_WEBAUTHN_ENROLL_OFF       0
#define NGX_HTTP_WEBAUTHN_ENROLL_OPTIONS   1   /* webauthn_register_options */
#define NGX_HTTP_WEBAUTHN_ENROLL_REGISTER  2   /* webauthn_register */
#define NGX_HTTP_WEBAUTHN_RP_ID_MAX    253      /* RFC 1035, 2.3.4 */
#define NGX_HTTP_WEBAUTHN_AWS_AKID_MAX 128      /* an access key id */


typedef struct {
    ngx_http_webauthn_redis_conf_t  *redis;
    ngx_http_webauthn_store_t        store;

    ngx_str_t                        secret;        /* challenge MAC key */
    ngx_str_t                        secret_file;

    ngx_shm_zone_t                  *cache_zone;    /* NULL: no key cache */
    ngx_shm_zone_t                  *aws_zone;      /* AWS credentials */
    ngx_str_t                        aws_region;    /* the first one */

    /* TLS of the AWS credential sources (ngx_http_webauthn_event_ssl.c) */
    ngx_str_t                        aws_trusted_certificate;
    ngx_ssl_t                       *aws_ssl;       /* NULL: not needed, or
                                                       no CA bundle */

    /* session tokens (ngx_http_webauthn_session.c) */
    ngx_array_t                     *session_keys;  /* of wa_token_key_t *,
                                                       the first signs */

    /* attestation trust (ngx_http_webauthn_enroll.c) */
    ngx_str_t                        trust_anchors; /* a PEM bundle */
    ngx_str_t                        mds;           /* an MDS3 BLOB */
    ngx_str_t                        mds_root;      /* its FIDO root */
    wa_trust_t                      *trust;         /* NULL: none */
} ngx_http_webauthn_main_conf_t;


/* "webauthn_aws_role ROLE ARN" */

typedef struct {
    ngx_str_t                        name;          /* the WebAuthn role */
    ngx_str_t                        arn;           /* the IAM role */
} ngx_http_webauthn_aws_role_t;


/* AWS credentials, as a source gave them */

typedef struct {
    ngx_str_t                        access_key;
    ngx_str_t                        secret;
    ngx_str_t                        token;         /* empty: none */
    time_t                           expires;       /* 0: does not expire */
} ngx_http_webauthn_aws_creds_t;


typedef struct {
    ngx_str_t                        rp_id;
    ngx_array_t                     *origins;       /* of wa_origin_t */
    ngx_flag_t                       allow_cross_origin;
    ngx_msec_t                       challenge_timeout;
    ngx_http_complex_value_t        *realm;         /* auth_webauthn */
    ngx_uint_t                       user_verification;
    ngx_flag_t                       challenge;     /* webauthn_challenge */

    wa_policy_t                      policy;        /* built at merge */

    /* sessions and policy (ngx_http_webauthn_session.c) */
    ngx_flag_t                       session;       /* webauthn_session */
    time_t                           session_ttl;
    ngx_str_t                        cookie_name;   /* empty: no cookie */
    ngx_str_t                        cookie_samesite;
    ngx_array_t                     *roles;         /* of ngx_str_t */
    time_t                           max_age;       /* -1: no bound */
    ngx_flag_t                       preflight;

    /* enrollment (ngx_http_webauthn_enroll.c, ngx_http_webauthn_admin.c) */
    ngx_uint_t                       enroll;        /* NGX_HTTP_WEBAUTHN_
                                                       ENROLL_* */
    ngx_flag_t                       admin;         /* webauthn_admin */
    ngx_str_t                        rp_name;
    ngx_uint_t                       attestation;   /* WA_ATTESTATION_* */
    ngx_array_t                     *aaguid_allow;  /* of u_char[16] */
    time_t                           invitation_ttl;
    wa_reg_policy_t                  reg_policy;    /* built at merge */

    /* AWS SigV4 (ngx_http_webauthn_aws.c) */
    ngx_flag_t                       aws_sign;
    ngx_str_t                        aws_region;
    ngx_str_t                        aws_service;
    ngx_str_t                        aws_host;      /* empty: nginx's */
    ngx_array_t                     *aws_roles;     /* of ..._aws_role_t */
    time_t                           aws_role_duration;
    ngx_http_handler_pt              aws_handler;   /* the proxy's, wrapped */
} ngx_http_webauthn_loc_conf_t;


/*
 * The state of one request's check.  It outlives an internal redirect
 * (found again through its pool cleanup) and is shared with the request's
 * subrequests: an assertion is verified and its challenge spent once, and
 * every location the request then reaches checks its own policy against
 * it (design.md, "Request driver").
 */

typedef struct {
    ngx_http_request_t              *request;
    ngx_http_webauthn_loc_conf_t    *wlcf;          /* the deciding one */
    ngx_str_t                        realm;
    ngx_uint_t                       step;

    wa_assertion_t                   assertion;
    wa_policy_t                      policy;
    wa_challenge_info_t              challenge;
    ngx_http_webauthn_cred_t         cred;
    ngx_http_webauthn_use_t          use;
    ngx_http_webauthn_store_req_t    store;
    uint64_t                         verified_at;   /* ms */
    ngx_msec_t                       started;       /* the first step */

    wa_err_t                         err;           /* this location's */
    const char                      *detail;        /* public */
    ngx_str_t                        reason;        /* log only */
    wa_err_t                         logged;

    /* AWS: the credentials that sign the request, and their role */
    ngx_http_webauthn_aws_creds_t    aws;
    ngx_str_t                        aws_role;
    ngx_event_t                      aws_timer;     /* waiting for a
                                                       fetch */
    uint64_t                         aws_wait_until;
    ngx_int_t                      (*aws_create_request)(
                                         ngx_http_request_t *r);

    /* a session token (ngx_http_webauthn_session.c) */
    wa_token_t                       token;
    ngx_str_t                        token_text;
    time_t                           auth_time;     /* of the assertion
                                                       behind the request */
    ngx_queue_t                      session_wait;  /* for the revocation
                                                       list */

    /* variables */
    ngx_str_t                        sign_count;
    ngx_str_t                        user_verified;
    ngx_str_t                        auth_method;   /* "assertion" */
    ngx_str_t                        error;

    ngx_int_t                        status;        /* nginx's own */

    unsigned                         waiting:1;     /* store I/O */
    unsigned                         done:1;        /* decided */
    unsigned                         verified:1;    /* the assertion
                                                       passed, spent */
    unsigned                         cached:1;      /* key from cache */
    unsigned                         retried:1;     /* key looked up again */
    unsigned                         was_logged:1;
    unsigned                         aws_ready:1;   /* credentials, body */
    unsigned                         aws_base:1;    /* base ones known */
    unsigned                         body_waiting:1;
    unsigned                         body_read:1;
    unsigned                         counted:1;     /* in the metrics */
    unsigned                         session:1;     /* a session token */
    unsigned                         cookie:1;      /* ... from the cookie */
    unsigned                         session_uv:1;  /* its "uv" */
    unsigned                         session_waiting:1;
} ngx_http_webauthn_ctx_t;


/* ngx_http_webauthn_module.c */
ngx_int_t ngx_http_webauthn_checks_assertions(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *conf);

/* ngx_http_webauthn_access.c */
ngx_int_t ngx_http_webauthn_access_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_webauthn_subrequest_handler(ngx_http_request_t *r);
ngx_http_webauthn_ctx_t *ngx_http_webauthn_get_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_webauthn_refuse(ngx_http_webauthn_ctx_t *ctx,
    wa_err_t err, const char *detail, const char *reason);
void ngx_http_webauthn_wake(ngx_http_request_t *r);
uint64_t ngx_http_webauthn_now(void);

/* ngx_http_webauthn_aws.c */
ngx_int_t ngx_http_webauthn_aws_step_role(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
ngx_int_t ngx_http_webauthn_aws_step_credentials(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
ngx_int_t ngx_http_webauthn_aws_step_body(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
char *ngx_http_webauthn_aws_role(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_webauthn_aws_merge(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *prev, ngx_http_webauthn_loc_conf_t *conf);
void ngx_http_webauthn_aws_cleanup(void);
void ngx_http_webauthn_aws_date(u_char *date);
extern ngx_conf_post_t  ngx_http_webauthn_aws_duration_post;

/* ngx_http_webauthn_aws_creds.c */
char *ngx_http_webauthn_aws_credentials(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_webauthn_aws_cancel(ngx_http_webauthn_ctx_t *ctx);
void ngx_http_webauthn_aws_creds_cleanup(void);
void ngx_http_webauthn_aws_wipe(void *data);
ngx_int_t ngx_http_webauthn_aws_creds_copy(ngx_pool_t *pool,
    ngx_http_webauthn_aws_creds_t *dst, wa_aws_creds_t *src);

/* ngx_http_webauthn_sts.c */
ngx_int_t ngx_http_webauthn_sts_endpoint(ngx_http_request_t *r,
    ngx_str_t *region, ngx_http_webauthn_peer_t **server, ngx_str_t *host,
    const char **reason);
ngx_int_t ngx_http_webauthn_sts_assume_request(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_http_webauthn_aws_creds_t *base,
    ngx_str_t *host, ngx_str_t *out);
ngx_int_t ngx_http_webauthn_sts_web_identity_request(ngx_pool_t *pool,
    ngx_str_t *arn, ngx_str_t *session, ngx_str_t *token, ngx_str_t *host,
    ngx_str_t *out);
ngx_int_t ngx_http_webauthn_sts_parse(ngx_pool_t *pool, ngx_uint_t status,
    ngx_str_t *body, ngx_http_webauthn_aws_creds_t *c, ngx_str_t *why);

/* ngx_http_webauthn_challenge.c */
ngx_int_t ngx_http_webauthn_challenge_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_webauthn_issue(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_str_t *challenge);
const char *ngx_http_webauthn_uv_name(ngx_uint_t uv);

/* ngx_http_webauthn_session.c */
ngx_int_t ngx_http_webauthn_session_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_webauthn_step_session(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
ngx_int_t ngx_http_webauthn_step_policy(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
ngx_int_t ngx_http_webauthn_policy(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
ngx_int_t ngx_http_webauthn_session_source(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
ngx_int_t ngx_http_webauthn_preflight(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf);
void ngx_http_webauthn_session_cancel(ngx_http_webauthn_ctx_t *ctx);
void ngx_http_webauthn_session_cleanup(void);
char *ngx_http_webauthn_session_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_webauthn_session_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_webauthn_session(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_webauthn_roles(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_webauthn_session_merge(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *prev, ngx_http_webauthn_loc_conf_t *conf);

/* ngx_http_webauthn_revocations.c */
ngx_int_t ngx_http_webauthn_revocations_init_process(ngx_cycle_t *cycle);
/* NGX_OK: fresh; NGX_AGAIN: the request waits; NGX_DECLINED: refused */
ngx_int_t ngx_http_webauthn_revocations_wait(ngx_http_webauthn_ctx_t *ctx);
ngx_uint_t ngx_http_webauthn_revoked(ngx_str_t *id);
void ngx_http_webauthn_revocations_cancel(ngx_http_webauthn_ctx_t *ctx);
void ngx_http_webauthn_revocations_cleanup(void);

/* ngx_http_webauthn_enroll.c */
ngx_int_t ngx_http_webauthn_enroll_handler(ngx_http_request_t *r);
char *ngx_http_webauthn_register(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_webauthn_aaguid_allow(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_webauthn_mds(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_webauthn_enroll_merge(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *prev, ngx_http_webauthn_loc_conf_t *conf);
ngx_int_t ngx_http_webauthn_trust_init(ngx_conf_t *cf,
    ngx_http_webauthn_main_conf_t *wmcf);
/* SHA-256 of an invitation token in lowercase hex (64 bytes) into pool */
ngx_int_t ngx_http_webauthn_invitation_hash(ngx_pool_t *pool,
    ngx_str_t *token, ngx_str_t *hash);

/* ngx_http_webauthn_admin.c */
char *ngx_http_webauthn_admin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_webauthn_response.c */
ngx_int_t ngx_http_webauthn_deny(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
ngx_int_t ngx_http_webauthn_send_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *type, void *json);
ngx_int_t ngx_http_webauthn_problem(ngx_http_request_t *r, ngx_uint_t status,
    wa_err_t err, const char *detail);
ngx_table_elt_t *ngx_http_webauthn_header_out(ngx_http_request_t *r,
    char *key, char *value);
void ngx_http_webauthn_log_internal(ngx_http_request_t *r,
    const char *detail);

/* ngx_http_webauthn_metrics.c */
ngx_int_t ngx_http_webauthn_metrics_init(ngx_conf_t *cf);
char *ngx_http_webauthn_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_webauthn_metrics_decide(ngx_http_webauthn_ctx_t *ctx);

/* ngx_http_webauthn_variables.c */
ngx_int_t ngx_http_webauthn_add_variables(ngx_conf_t *cf);

/* ngx_http_webauthn_headers.c */
ngx_int_t ngx_http_webauthn_token(ngx_http_request_t *r, ngx_str_t *token);
ngx_table_elt_t *ngx_http_webauthn_request_header(ngx_http_request_t *r,
    const char *name);
/* Authorization: Bearer <token> (RFC 6750, 2.1), as _token() */
ngx_int_t ngx_http_webauthn_bearer(ngx_http_request_t *r, ngx_str_t *token);
/* the value of cookie name, NGX_OK, or NGX_DECLINED */
ngx_int_t ngx_http_webauthn_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value);
/* the body, whole, at most max bytes: NGX_OK, NGX_DECLINED (empty),
 * NGX_ABORT (too long), NGX_ERROR */
ngx_int_t ngx_http_webauthn_read_body(ngx_http_request_t *r, size_t max,
    ngx_str_t *out);
/* cookie name taken out of the request's Cookie headers */
ngx_int_t ngx_http_webauthn_remove_cookie(ngx_http_request_t *r,
    ngx_str_t *name);
/* Authorization: Invitation <token>: NGX_OK with it, or NGX_DECLINED */
ngx_int_t ngx_http_webauthn_invitation(ngx_http_request_t *r,
    ngx_str_t *token);
ngx_int_t ngx_http_webauthn_remove_header(ngx_http_request_t *r,
    ngx_list_t *list, ngx_table_elt_t *h);


extern ngx_module_t  ngx_http_webauthn_module;


#endif /* _NGX_HTTP_WEBAUTHN_H_INCLUDED_ */
