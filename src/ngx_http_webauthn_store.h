
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The credential store: the only code that knows the Redis schema (key
 * names, fields, the commit script, its SHA and its replies) and how
 * stored fields are encoded: lookup and commit (this file's .c),
 * enrollment (ngx_http_webauthn_store_enroll.c: invitations, the
 * registration's lookup and its write) and administration
 * (ngx_http_webauthn_store_admin.c: users, credentials).  The schema and
 * the scripts' replies are written down in design.md, "Redis schema".
 */


#ifndef _NGX_HTTP_WEBAUTHN_STORE_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <ngx_http_webauthn_redis.h>
#include <ngx_http_webauthn_redis_cluster.h>


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
    NGX_HTTP_WEBAUTHN_STORE_INVITATION, /* no such invitation (unknown,
                                           expired, used) */
    NGX_HTTP_WEBAUTHN_STORE_EXISTS,     /* the credential id is taken */
    NGX_HTTP_WEBAUTHN_STORE_FAULT       /* down, garbage, bad record:
                                           "reason" says which */
} ngx_http_webauthn_store_rc_e;


typedef struct {
    ngx_http_webauthn_redis_conf_t     *redis;
    ngx_str_t                           prefix;
} ngx_http_webauthn_store_t;


/* a Lua script of the store and its SHA-1, made once per process */

typedef struct {
    ngx_str_t                           source;
    u_char                              sha[NGX_HTTP_WEBAUTHN_SHA1_HEX];
    ngx_uint_t                          ready;
} ngx_http_webauthn_script_t;


/*
 * An enrollment (invitations, the registration ceremony): what the
 * store is told and what it answers.  Strings are in their stored form
 * (user_handle base64url); the store copies replies into sr->pool.
 */

typedef struct {
    ngx_str_t                           invite;        /* SHA-256 of the
                                                          token, hex; empty
                                                          for the assertion
                                                          path */
    ngx_str_t                           user_name;
    ngx_str_t                           display_name;
    ngx_str_t                           roles;
    ngx_str_t                           user_handle;   /* base64url */
    time_t                              expires;       /* invitation */
    ngx_uint_t                          ttl;           /* invitation, s */
    ngx_array_t                        *cred_ids;      /* ngx_str_t: the
                                                          user's, for
                                                          excludeCredentials */

    /* the new credential (register) */
    ngx_str_t                           cred_id;       /* base64url */
    ngx_str_t                           public_key;    /* base64url */
    ngx_str_t                           aaguid;        /* 8-4-4-4-12 */
    ngx_str_t                           attestation_format;
    ngx_str_t                           transports;
    uint32_t                            sign_count;
    unsigned                            backup_eligible:1;
    unsigned                            backup_state:1;
    uint64_t                            issued;        /* challenge, ms */
    uint64_t                            expires_ms;    /* challenge, ms */
    const u_char                       *nonce;
    ngx_str_t                           attempt;       /* register's token,
                                                          base64url */
} ngx_http_webauthn_enroll_t;


/* a credential as the admin API shows it */

typedef struct {
    ngx_str_t                           id;
    ngx_str_t                           user_name;
    ngx_str_t                           aaguid;
    ngx_str_t                           attestation_format;
    ngx_str_t                           roles;
    ngx_str_t                           transports;
    ngx_str_t                           created;       /* s, decimal */
    ngx_str_t                           last_used;     /* s, decimal */
    ngx_str_t                           sign_count;
    ngx_str_t                           revoked;
    ngx_str_t                           backup_eligible;
    ngx_str_t                           backup_state;
} ngx_http_webauthn_cred_info_t;


typedef struct {
    ngx_str_t                           user_name;
    ngx_str_t                           display_name;
    ngx_str_t                           user_handle;
    ngx_array_t                        *creds;   /* ..._cred_info_t */
    ngx_http_webauthn_cred_info_t      *cred;    /* PATCH, revoke */
    ngx_str_t                           cred_id; /* PATCH, revoke */
    ngx_str_t                           roles;   /* PATCH */
} ngx_http_webauthn_admin_t;


/* a credential record, as far as the gateway reads it */

typedef struct {
    ngx_str_t                           id;            /* base64url */
    ngx_str_t                           public_key;    /* stored form */
    ngx_str_t                           handle;        /* stored form */
    ngx_str_t                           user_handle;   /* decoded */
    ngx_str_t                           user_name;     /* from the commit */
    ngx_str_t                           roles;         /* from the commit */
    ngx_str_t                           aaguid;        /* from the commit */
    unsigned                            hinted:1; /* the 3 above: a hint */
    unsigned                            read:1;   /* the reply had them */
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
/* starts the next step of an operation; NGX_ERROR with sr's fault set */
typedef ngx_int_t (*ngx_http_webauthn_store_next_pt)(
    ngx_http_webauthn_store_req_t *sr);
/* parses a script's reply into sr; sets sr->rc (and reason) */
typedef void (*ngx_http_webauthn_store_reply_pt)(
    ngx_http_webauthn_store_req_t *sr, redisReply *reply);

struct ngx_http_webauthn_store_req_s {
    ngx_http_webauthn_store_t          *store;
    ngx_pool_t                         *pool;      /* for the results */
    ngx_log_t                          *log;

    ngx_http_webauthn_store_handler_pt  handler;
    void                               *data;

    ngx_http_webauthn_cred_t           *cred;
    ngx_http_webauthn_use_t            *use;       /* commit only */
    ngx_http_webauthn_enroll_t         *enroll;    /* enrollment */
    ngx_http_webauthn_admin_t          *admin;     /* administration */
    ngx_array_t                        *revoked;   /* revocations: ids,
                                                      ngx_str_t */

    ngx_http_webauthn_store_rc_e        rc;
    ngx_str_t                           reason;    /* FAULT: for the log */

    /* private */
    ngx_http_webauthn_redis_op_t       *op;
    ngx_str_t                           key;       /* the record's key */
    ngx_http_webauthn_script_t         *script;    /* of store_eval() */
    ngx_http_webauthn_store_reply_pt    reply;     /* of store_eval() */
    ngx_uint_t                          nargs;
    const char                        **argv;
    size_t                             *argvlen;
    ngx_str_t                           route;     /* the op's slot key */

    /*
     * an operation of several steps, one slot each (design.md,
     * "Enrollment", "Administration"): a reply that sets next (with rc
     * OK) has next() run instead of the handler
     */
    ngx_http_webauthn_store_next_pt     next;
    ngx_uint_t                          step;
    ngx_uint_t                          index;
    ngx_array_t                        *list;      /* ngx_str_t */
    ngx_array_t                        *list2;     /* ngx_str_t */
    ngx_str_t                           handle;
    ngx_uint_t                          found;

    unsigned                            eval:1;
    unsigned                            wait:1;    /* WAIT after it */
};


/* the prefix's default */
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

/*
 * Enrollment (ngx_http_webauthn_store_enroll.c), each as lookup/commit:
 *
 * enroll_info: by enroll->invite (then user_name, display_name, roles and
 *     user_handle come from the invitation; INVITATION when there is
 *     none) or by enroll->user_name (display_name and user_handle of the
 *     user, empty for a credential stored by hand); cred_ids either way
 * register: atomically: the invitation (when enroll->invite) is there and
 *     for this user, the challenge was issued after the store epoch
 *     (RESET), its nonce unused (REPLAYED), the credential id free
 *     (EXISTS); then stores the credential, the user when new, records
 *     the nonce and deletes the invitation; OK
 */
ngx_int_t ngx_http_webauthn_store_enroll_info(
    ngx_http_webauthn_store_req_t *sr);
ngx_int_t ngx_http_webauthn_store_register(ngx_http_webauthn_store_req_t *sr);

/*
 * Administration (ngx_http_webauthn_store_admin.c):
 *
 * invite: creates the user when new (a new user keeps enroll->user_handle,
 *     an existing one keeps theirs: enroll->user_handle is set to it; an
 *     empty display_name is "not given") and an invitation under
 *     enroll->invite expiring after enroll->ttl; OK
 * user_get: admin->user_name; OK with display_name, user_handle, creds;
 *     UNKNOWN
 * user_delete: the user, their credentials and open invitations; OK,
 *     UNKNOWN
 * cred_roles: admin->cred_id gets admin->roles; OK with admin->cred;
 *     UNKNOWN
 * cred_revoke: admin->cred_id is revoked; OK with admin->cred; UNKNOWN
 */
ngx_int_t ngx_http_webauthn_store_invite(ngx_http_webauthn_store_req_t *sr);
ngx_int_t ngx_http_webauthn_store_user_get(ngx_http_webauthn_store_req_t *sr);
ngx_int_t ngx_http_webauthn_store_user_delete(
    ngx_http_webauthn_store_req_t *sr);
ngx_int_t ngx_http_webauthn_store_cred_roles(
    ngx_http_webauthn_store_req_t *sr);
ngx_int_t ngx_http_webauthn_store_cred_revoke(
    ngx_http_webauthn_store_req_t *sr);

/*
 * revocations: the ids of the credentials revoked or deleted (through
 * the admin API) in the last NGX_HTTP_WEBAUTHN_REVOKED_KEEP seconds, into
 * sr->revoked; OK or FAULT.  One command, for session tokens: a token
 * carries no record, so its credential is looked for here.
 */
#define NGX_HTTP_WEBAUTHN_REVOKED_KEEP  (2 * 86400)
#define NGX_HTTP_WEBAUTHN_REVOKED_MAX   100000
ngx_int_t ngx_http_webauthn_store_revocations(
    ngx_http_webauthn_store_req_t *sr);

/* the owner goes away while a request is under way */
void ngx_http_webauthn_store_cancel(ngx_http_webauthn_store_req_t *sr);

/* a string copied to pool, NUL-terminated; a null string when empty */
ngx_int_t ngx_http_webauthn_store_copy(ngx_pool_t *pool, ngx_str_t *s,
    const char *data, size_t len);

/* a stored base64url field (public_key, user_handle), decoded into pool */
ngx_int_t ngx_http_webauthn_store_decode(ngx_pool_t *pool, ngx_str_t *stored,
    ngx_str_t *out);


/*
 * For the store's own files only: key names, running a script (EVALSHA,
 * once EVAL after NOSCRIPT; sr->reply parses its reply, then
 * sr->handler runs), reply strings, faults.
 */
ngx_int_t ngx_http_webauthn_store_key(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *key, const char *kind, const u_char *id, size_t len);
ngx_int_t ngx_http_webauthn_store_subkey(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *key, const char *kind, ngx_str_t *tag, const u_char *sub,
    size_t len);
ngx_int_t ngx_http_webauthn_store_user_keys(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *name, ngx_str_t keys[3]);
ngx_int_t ngx_http_webauthn_store_argv(ngx_http_webauthn_store_req_t *sr,
    ngx_uint_t n, const char ***argv, size_t **len);
ngx_int_t ngx_http_webauthn_store_eval(ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_script_t *script, ngx_uint_t nkeys, ngx_uint_t nargs,
    const char **argv, size_t *argvlen, ngx_http_webauthn_store_reply_pt reply);
/* a script whose arguments are its keys alone */
ngx_int_t ngx_http_webauthn_store_eval_keys(ngx_http_webauthn_store_req_t *sr,
    ngx_http_webauthn_script_t *script, ngx_str_t *keys, ngx_uint_t nkeys,
    ngx_http_webauthn_store_reply_pt reply);
ngx_int_t ngx_http_webauthn_store_command(ngx_http_webauthn_store_req_t *sr,
    ngx_str_t *key, int argc, const char **argv, size_t *argvlen,
    ngx_http_webauthn_store_reply_pt reply);
ngx_int_t ngx_http_webauthn_store_string(ngx_pool_t *pool,
    redisReply *reply, ngx_str_t *s);
void ngx_http_webauthn_store_fault(ngx_http_webauthn_store_req_t *sr,
    const char *text, size_t len);
/* the reply was not what the script returns: a fault, counted */
void ngx_http_webauthn_store_bad_reply(ngx_http_webauthn_store_req_t *sr,
    const char *script);
/* the reply's first element is one of names[] (NULL-ended): its index */
ngx_int_t ngx_http_webauthn_store_status(redisReply *reply,
    const char **names);

#define ngx_http_webauthn_store_error(sr, text)                             \
    ngx_http_webauthn_store_fault(sr, text, sizeof(text) - 1)


#endif /* _NGX_HTTP_WEBAUTHN_STORE_H_INCLUDED_ */
