
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * "webauthn_admin": the administration API, JSON in and out, its routes
 * under the location's prefix (the location's name as configured):
 *
 *   POST   invitations               201, an invitation token
 *   GET    users/<user_name>         200, the user and their credentials
 *   DELETE users/<user_name>         204, the user, their credentials and
 *                                    open invitations deleted
 *   PATCH  credentials/<id>          200, the credential with new roles
 *   POST   credentials/<id>/revoke   200, the credential, revoked
 *   GET    trust                     200, the attestation trust in use
 *
 * It has no access control of its own: the location's (allow, deny,
 * auth_request, ...) is what protects it.  Refusals are problem+json
 * (ngx_http_webauthn_problem()); a refused request changes nothing.  The
 * store's operations are ngx_http_webauthn_store_admin.c's.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include <ngx_http_webauthn.h>


#define NGX_HTTP_WEBAUTHN_ADMIN_BODY_MAX     65536     /* bytes */
#define NGX_HTTP_WEBAUTHN_ADMIN_TOKEN_LEN    32        /* random bytes */
#define NGX_HTTP_WEBAUTHN_ADMIN_HANDLE_LEN   32        /* random bytes */
#define NGX_HTTP_WEBAUTHN_ADMIN_DISPLAY_MAX  256       /* bytes */
#define NGX_HTTP_WEBAUTHN_ADMIN_EXPIRING     (30 * 86400)


typedef enum {
    NGX_HTTP_WEBAUTHN_ADMIN_INVITE = 0,
    NGX_HTTP_WEBAUTHN_ADMIN_USER_GET,
    NGX_HTTP_WEBAUTHN_ADMIN_USER_DELETE,
    NGX_HTTP_WEBAUTHN_ADMIN_CRED_ROLES,
    NGX_HTTP_WEBAUTHN_ADMIN_CRED_REVOKE,
    NGX_HTTP_WEBAUTHN_ADMIN_TRUST
} ngx_http_webauthn_admin_op_e;


typedef struct {
    ngx_http_request_t              *request;
    ngx_http_webauthn_admin_op_e     op;
    ngx_str_t                        arg;       /* the route's user name
                                                   or credential id */
    ngx_str_t                        token;     /* the invitation's: wiped
                                                   once sent */
    ngx_http_webauthn_store_req_t    store;
    ngx_http_webauthn_enroll_t       enroll;    /* POST invitations */
    ngx_http_webauthn_admin_t        admin;
} ngx_http_webauthn_admin_ctx_t;


static ngx_int_t ngx_http_webauthn_admin_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_admin_cross_origin(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_admin_route(ngx_http_request_t *r,
    ngx_http_webauthn_admin_ctx_t *ctx, ngx_str_t *allow);
static void ngx_http_webauthn_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_admin_start(
    ngx_http_webauthn_admin_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_admin_read(ngx_http_request_t *r,
    json_t **json, const char **detail);
static ngx_int_t ngx_http_webauthn_admin_invite(
    ngx_http_webauthn_admin_ctx_t *ctx, const char **detail);
static ngx_int_t ngx_http_webauthn_admin_invite_parse(ngx_http_request_t *r,
    json_t *body, ngx_http_webauthn_enroll_t *e, const char **detail);
static ngx_int_t ngx_http_webauthn_admin_roles(ngx_pool_t *pool, json_t *v,
    ngx_str_t *roles, const char **detail);
static ngx_int_t ngx_http_webauthn_admin_random(ngx_http_request_t *r,
    size_t n, ngx_str_t *out);
static void ngx_http_webauthn_admin_done(ngx_http_webauthn_store_req_t *sr);
static ngx_int_t ngx_http_webauthn_admin_answer(
    ngx_http_webauthn_admin_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_admin_invitation(
    ngx_http_webauthn_admin_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_admin_user(
    ngx_http_webauthn_admin_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_admin_deleted(
    ngx_http_webauthn_admin_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_admin_credential(
    ngx_http_webauthn_admin_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_admin_trust(ngx_http_request_t *r);
static json_t *ngx_http_webauthn_admin_trust_item(wa_trust_item_t *item,
    time_t now);
static ngx_int_t ngx_http_webauthn_admin_expiry(json_t *o, int64_t not_after,
    time_t now);
static json_t *ngx_http_webauthn_admin_cred_json(
    ngx_http_webauthn_cred_info_t *ci, ngx_uint_t user);
static json_t *ngx_http_webauthn_admin_str(ngx_str_t *s);
static json_t *ngx_http_webauthn_admin_str_null(ngx_str_t *s);
static json_t *ngx_http_webauthn_admin_words(ngx_str_t *s);
static json_t *ngx_http_webauthn_admin_time(ngx_str_t *s);
static json_t *ngx_http_webauthn_admin_flag(ngx_str_t *s);
static ngx_int_t ngx_http_webauthn_admin_send(ngx_http_request_t *r,
    ngx_uint_t status, json_t *body);
static ngx_int_t ngx_http_webauthn_admin_fault(
    ngx_http_webauthn_admin_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_admin_copy(ngx_pool_t *pool, u_char *s,
    size_t len, ngx_str_t *out);
static ngx_http_webauthn_admin_ctx_t *ngx_http_webauthn_admin_ctx(
    ngx_http_request_t *r);
static void ngx_http_webauthn_admin_cleanup(void *data);


static ngx_str_t  ngx_http_webauthn_admin_json_type =
    ngx_string("application/json");


char *
ngx_http_webauthn_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (wlcf->admin != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    /* the routes follow the location's name: a prefix */

    if (clcf->named) {
        return "cannot be used in a named location";
    }

#if (NGX_PCRE)
    if (clcf->regex) {
        return "cannot be used in a regex location";
    }
#endif

    wlcf->admin = 1;
    clcf->handler = ngx_http_webauthn_admin_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_webauthn_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_str_t                       allow;
    ngx_table_elt_t                *h;
    ngx_pool_cleanup_t             *cln;
    ngx_http_webauthn_admin_ctx_t  *ctx;
    ngx_http_webauthn_main_conf_t  *wmcf;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_webauthn_admin_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;

    if (ngx_http_webauthn_admin_cross_origin(r)) {
        return ngx_http_webauthn_problem(r, NGX_HTTP_FORBIDDEN,
                                         WA_ERR_REQUEST_INVALID,
                                         "a change from a page of another "
                                         "origin");
    }

    rc = ngx_http_webauthn_admin_route(r, ctx, &allow);

    if (rc == NGX_DECLINED) {
        return ngx_http_webauthn_problem(r, NGX_HTTP_NOT_FOUND,
                                         WA_ERR_NOT_FOUND, "unknown route");
    }

    if (rc == NGX_HTTP_NOT_ALLOWED) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        h->value = allow;

        return ngx_http_webauthn_problem(r, NGX_HTTP_NOT_ALLOWED,
                                         WA_ERR_REQUEST_INVALID,
                                         "method not allowed on this route");
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_webauthn_admin_cleanup;
    cln->data = ctx;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    ctx->store.store = &wmcf->store;
    ctx->store.pool = r->pool;
    ctx->store.log = r->connection->log;
    ctx->store.handler = ngx_http_webauthn_admin_done;
    ctx->store.data = ctx;
    ctx->store.enroll = &ctx->enroll;
    ctx->store.admin = &ctx->admin;

    if (ctx->op == NGX_HTTP_WEBAUTHN_ADMIN_INVITE
        || ctx->op == NGX_HTTP_WEBAUTHN_ADMIN_CRED_ROLES)
    {
        /* a body: refused at once when it says it is too long */

        if (r->headers_in.content_length_n > NGX_HTTP_WEBAUTHN_ADMIN_BODY_MAX)
        {
            return ngx_http_webauthn_problem(r, NGX_HTTP_BAD_REQUEST,
                                             WA_ERR_REQUEST_INVALID,
                                             "body is longer than 65536 "
                                             "bytes");
        }

        r->request_body_in_single_buf = 1;

        rc = ngx_http_read_client_request_body(r,
                                               ngx_http_webauthn_admin_body);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_webauthn_admin_start(ctx);

    if (rc == NGX_DONE) {
        r->main->count++;
    }

    return rc;
}


/*
 * Cross-site request forgery: the API's only guard is where it may be
 * called from, so a page of another origin open in a browser there could
 * send it changes (a form's POST needs no CORS preflight).  Browsers say
 * where a request comes from (Fetch, "Origin" on every POST, PUT, PATCH
 * and DELETE); a change that carries an Origin must come from the API's
 * own.  Clients that are no browsers (curl) send none.
 */

static ngx_int_t
ngx_http_webauthn_admin_cross_origin(ngx_http_request_t *r)
{
    size_t            n;
    ngx_str_t        *origin, *host;
    const char       *scheme;
    ngx_table_elt_t  *h;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return 0;
    }

    h = ngx_http_webauthn_request_header(r, "Origin");
    if (h == NULL) {
        return 0;
    }

    origin = &h->value;

    if (r->headers_in.host == NULL) {
        return 1;
    }

    host = &r->headers_in.host->value;

#if (NGX_HTTP_SSL)
    scheme = r->connection->ssl ? "https://" : "http://";
#else
    scheme = "http://";
#endif

    n = ngx_strlen(scheme);

    return !(origin->len == n + host->len
             && ngx_strncasecmp(origin->data, (u_char *) scheme, n) == 0
             && ngx_strncasecmp(origin->data + n, host->data, host->len)
                == 0);
}


/*
 * the route: the URI after the location's name; NGX_OK with ctx->op and
 * ctx->arg, NGX_DECLINED for no route, NGX_HTTP_NOT_ALLOWED with the
 * methods of the route in allow
 */

static ngx_int_t
ngx_http_webauthn_admin_route(ngx_http_request_t *r,
    ngx_http_webauthn_admin_ctx_t *ctx, ngx_str_t *allow)
{
    u_char                    *p, *last, *slash;
    ngx_str_t                  route;
    ngx_uint_t                 methods;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (r->uri.len < clcf->name.len
        || ngx_strncmp(r->uri.data, clcf->name.data, clcf->name.len) != 0)
    {
        return NGX_DECLINED;
    }

    p = r->uri.data + clcf->name.len;
    last = r->uri.data + r->uri.len;

    /* "location /admin" as "location /admin/" */

    if (clcf->name.len == 0 || clcf->name.data[clcf->name.len - 1] != '/') {
        if (p == last || *p != '/') {
            return NGX_DECLINED;
        }

        p++;
    }

    route.data = p;
    route.len = last - p;

#define ngx_http_webauthn_route_is(s)                                         \
    (route.len == sizeof(s) - 1                                               \
     && ngx_strncmp(route.data, s, sizeof(s) - 1) == 0)

#define ngx_http_webauthn_route_starts(s)                                     \
    (route.len > sizeof(s) - 1                                                \
     && ngx_strncmp(route.data, s, sizeof(s) - 1) == 0)

    if (ngx_http_webauthn_route_is("invitations")) {
        ctx->op = NGX_HTTP_WEBAUTHN_ADMIN_INVITE;
        methods = NGX_HTTP_POST;
        ngx_str_set(allow, "POST");

    } else if (ngx_http_webauthn_route_is("trust")) {
        ctx->op = NGX_HTTP_WEBAUTHN_ADMIN_TRUST;
        methods = NGX_HTTP_GET|NGX_HTTP_HEAD;
        ngx_str_set(allow, "GET, HEAD");

    } else if (ngx_http_webauthn_route_starts("users/")) {
        ctx->op = (r->method == NGX_HTTP_DELETE)
                  ? NGX_HTTP_WEBAUTHN_ADMIN_USER_DELETE
                  : NGX_HTTP_WEBAUTHN_ADMIN_USER_GET;
        ctx->arg.data = route.data + sizeof("users/") - 1;
        ctx->arg.len = last - ctx->arg.data;
        methods = NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_DELETE;
        ngx_str_set(allow, "GET, HEAD, DELETE");

    } else if (ngx_http_webauthn_route_starts("credentials/")) {
        ctx->arg.data = route.data + sizeof("credentials/") - 1;
        ctx->arg.len = last - ctx->arg.data;

        slash = ngx_strlchr(ctx->arg.data, last, '/');

        if (slash == NULL) {
            ctx->op = NGX_HTTP_WEBAUTHN_ADMIN_CRED_ROLES;
            methods = NGX_HTTP_PATCH;
            ngx_str_set(allow, "PATCH");

        } else if (slash != ctx->arg.data
                   && (size_t) (last - slash) == sizeof("/revoke") - 1
                   && ngx_strncmp(slash, "/revoke", sizeof("/revoke") - 1)
                      == 0)
        {
            ctx->op = NGX_HTTP_WEBAUTHN_ADMIN_CRED_REVOKE;
            ctx->arg.len = slash - ctx->arg.data;
            methods = NGX_HTTP_POST;
            ngx_str_set(allow, "POST");

        } else {
            return NGX_DECLINED;
        }

    } else {
        return NGX_DECLINED;
    }

#undef ngx_http_webauthn_route_is
#undef ngx_http_webauthn_route_starts

    if (!(r->method & methods)) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    return NGX_OK;
}


/* the body is in (ngx_http_read_client_request_body()) */

static void
ngx_http_webauthn_admin_body(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_webauthn_admin_ctx_t  *ctx;

    ctx = ngx_http_webauthn_admin_ctx(r);

    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_webauthn_admin_start(ctx);

    if (rc == NGX_DONE) {
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * the request checked, then the store's operation started: NGX_DONE
 * while it runs (ngx_http_webauthn_admin_done() answers), or the
 * response's status
 */

static ngx_int_t
ngx_http_webauthn_admin_start(ngx_http_webauthn_admin_ctx_t *ctx)
{
    json_t                     *body, *v;
    ngx_int_t                   rc;
    const char                 *detail;
    ngx_http_request_t         *r;
    ngx_http_webauthn_admin_t  *a;

    r = ctx->request;
    a = &ctx->admin;

    switch (ctx->op) {

    case NGX_HTTP_WEBAUTHN_ADMIN_TRUST:
        return ngx_http_webauthn_admin_trust(r);

    case NGX_HTTP_WEBAUTHN_ADMIN_INVITE:
        rc = ngx_http_webauthn_admin_invite(ctx, &detail);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_webauthn_problem(r, NGX_HTTP_BAD_REQUEST,
                                             WA_ERR_REQUEST_INVALID, detail);
        }

        if (ngx_http_webauthn_store_invite(&ctx->store) != NGX_OK) {
            return ngx_http_webauthn_admin_fault(ctx);
        }

        return NGX_DONE;

    case NGX_HTTP_WEBAUTHN_ADMIN_USER_GET:
    case NGX_HTTP_WEBAUTHN_ADMIN_USER_DELETE:

        /* design.md, "Record fields": no other name can be stored */

        if (!wa_record_user_name_ok(ctx->arg.data, ctx->arg.len)) {
            return ngx_http_webauthn_problem(r, NGX_HTTP_BAD_REQUEST,
                                             WA_ERR_REQUEST_INVALID,
                                             "the user name is not valid "
                                             "UTF-8 without control "
                                             "characters, at most 256 bytes");
        }

        a->user_name = ctx->arg;

        rc = (ctx->op == NGX_HTTP_WEBAUTHN_ADMIN_USER_GET)
             ? ngx_http_webauthn_store_user_get(&ctx->store)
             : ngx_http_webauthn_store_user_delete(&ctx->store);

        if (rc != NGX_OK) {
            return ngx_http_webauthn_admin_fault(ctx);
        }

        return NGX_DONE;

    default: /* CRED_ROLES, CRED_REVOKE */

        if (!wa_record_cred_id_ok(ctx->arg.data, ctx->arg.len)) {
            return ngx_http_webauthn_problem(r, NGX_HTTP_BAD_REQUEST,
                                             WA_ERR_REQUEST_INVALID,
                                             "the credential id is not "
                                             "unpadded base64url");
        }

        a->cred_id = ctx->arg;

        if (ctx->op == NGX_HTTP_WEBAUTHN_ADMIN_CRED_REVOKE) {
            if (ngx_http_webauthn_store_cred_revoke(&ctx->store) != NGX_OK) {
                return ngx_http_webauthn_admin_fault(ctx);
            }

            return NGX_DONE;
        }

        rc = ngx_http_webauthn_admin_read(r, &body, &detail);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_webauthn_problem(r, NGX_HTTP_BAD_REQUEST,
                                             WA_ERR_REQUEST_INVALID, detail);
        }

        v = json_object_get(body, "roles");

        if (v == NULL) {
            json_decref(body);
            return ngx_http_webauthn_problem(r, NGX_HTTP_BAD_REQUEST,
                                             WA_ERR_REQUEST_INVALID,
                                             "\"roles\" is missing");
        }

        rc = ngx_http_webauthn_admin_roles(r->pool, v, &a->roles, &detail);

        json_decref(body);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_webauthn_problem(r, NGX_HTTP_BAD_REQUEST,
                                             WA_ERR_REQUEST_INVALID, detail);
        }

        if (ngx_http_webauthn_store_cred_roles(&ctx->store) != NGX_OK) {
            return ngx_http_webauthn_admin_fault(ctx);
        }

        return NGX_DONE;
    }
}


/*
 * the body as a JSON object: in memory or in its temporary file, at most
 * NGX_HTTP_WEBAUTHN_ADMIN_BODY_MAX bytes (a chunked body is measured once
 * read).  NGX_OK with *json (the caller's to release), NGX_DECLINED with
 * *detail, NGX_ERROR
 */

static ngx_int_t
ngx_http_webauthn_admin_read(ngx_http_request_t *r, json_t **json,
    const char **detail)
{
    json_t        *j;
    ngx_int_t      rc;
    ngx_str_t      body;
    json_error_t   error;

    rc = ngx_http_webauthn_read_body(r, NGX_HTTP_WEBAUTHN_ADMIN_BODY_MAX,
                                     &body);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        *detail = (rc == NGX_ABORT) ? "body is longer than 65536 bytes"
                                    : "body is not a JSON object";
        return NGX_DECLINED;
    }

    j = json_loadb((char *) body.data, body.len,
                   JSON_REJECT_DUPLICATES|JSON_DECODE_ANY, &error);

    if (j == NULL) {
        *detail = (json_error_code(&error) == json_error_duplicate_key)
                  ? "body has a member twice" : "body is not JSON";
        return NGX_DECLINED;
    }

    if (!json_is_object(j)) {
        json_decref(j);
        *detail = "body is not a JSON object";
        return NGX_DECLINED;
    }

    *json = j;

    return NGX_OK;
}


/*
 * POST invitations: the body checked, the token, its hash and a user
 * handle for a new user made; NGX_OK, NGX_DECLINED with *detail (a bad
 * body), NGX_ERROR
 */

static ngx_int_t
ngx_http_webauthn_admin_invite(ngx_http_webauthn_admin_ctx_t *ctx,
    const char **detail)
{
    json_t                      *body;
    ngx_int_t                    rc;
    ngx_http_request_t          *r;
    ngx_http_webauthn_enroll_t  *e;

    r = ctx->request;
    e = &ctx->enroll;

    rc = ngx_http_webauthn_admin_read(r, &body, detail);

    if (rc == NGX_OK) {
        rc = ngx_http_webauthn_admin_invite_parse(r, body, e, detail);
        json_decref(body);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    /* the token is the client's only: the store keeps its SHA-256 */

    if (ngx_http_webauthn_admin_random(r, NGX_HTTP_WEBAUTHN_ADMIN_TOKEN_LEN,
                                       &ctx->token)
        != NGX_OK
        || ngx_http_webauthn_admin_random(r,
                                          NGX_HTTP_WEBAUTHN_ADMIN_HANDLE_LEN,
                                          &e->user_handle)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_webauthn_invitation_hash(r->pool, &ctx->token,
                                             &e->invite);
}


/*
 * {"user_name": "alice", "display_name": "Alice Liddell", "roles":
 * ["reader"], "ttl": 86400}: user_name required, the others optional;
 * members of other names are ignored.  NGX_OK, NGX_DECLINED with
 * *detail, NGX_ERROR
 */

static ngx_int_t
ngx_http_webauthn_admin_invite_parse(ngx_http_request_t *r, json_t *body,
    ngx_http_webauthn_enroll_t *e, const char **detail)
{
    u_char                        *s;
    size_t                         len;
    json_t                        *v;
    json_int_t                     ttl;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    /* design.md, "Record fields": user_name */

    v = json_object_get(body, "user_name");

    if (v == NULL) {
        *detail = "\"user_name\" is missing";
        return NGX_DECLINED;
    }

    if (!json_is_string(v)) {
        *detail = "\"user_name\" is not a string";
        return NGX_DECLINED;
    }

    s = (u_char *) json_string_value(v);
    len = json_string_length(v);

    if (len == 0 || !wa_record_user_name_ok(s, len)) {
        *detail = "\"user_name\" is not 1 to 256 bytes of UTF-8 without "
                  "control characters";
        return NGX_DECLINED;
    }

    if (ngx_http_webauthn_admin_copy(r->pool, s, len, &e->user_name)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* empty or absent: the user's, or for a new user the user name */

    ngx_str_set(&e->display_name, "");

    v = json_object_get(body, "display_name");

    if (v) {
        if (!json_is_string(v)) {
            *detail = "\"display_name\" is not a string";
            return NGX_DECLINED;
        }

        s = (u_char *) json_string_value(v);
        len = json_string_length(v);

        if (len > NGX_HTTP_WEBAUTHN_ADMIN_DISPLAY_MAX
            || !wa_record_user_name_ok(s, len))
        {
            *detail = "\"display_name\" is not at most 256 bytes of UTF-8 "
                      "without control characters";
            return NGX_DECLINED;
        }

        if (len
            && ngx_http_webauthn_admin_copy(r->pool, s, len, &e->display_name)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_str_set(&e->roles, "");

    v = json_object_get(body, "roles");

    if (v) {
        switch (ngx_http_webauthn_admin_roles(r->pool, v, &e->roles, detail))
        {
        case NGX_OK:
            break;

        case NGX_DECLINED:
            return NGX_DECLINED;

        default:
            return NGX_ERROR;
        }
    }

    e->ttl = (ngx_uint_t) wlcf->invitation_ttl;

    v = json_object_get(body, "ttl");

    if (v) {
        if (!json_is_integer(v)) {
            *detail = "\"ttl\" is not an integer";
            return NGX_DECLINED;
        }

        ttl = json_integer_value(v);

        if (ttl < 1 || ttl > (json_int_t) wlcf->invitation_ttl) {
            *detail = "\"ttl\" is not from 1 to the location's "
                      "webauthn_invitation_ttl seconds";
            return NGX_DECLINED;
        }

        e->ttl = (ngx_uint_t) ttl;
    }

    return NGX_OK;
}


/*
 * "roles": an array of 0 to 32 roles (design.md, "Record fields"),
 * stored joined with one SP
 */

static ngx_int_t
ngx_http_webauthn_admin_roles(ngx_pool_t *pool, json_t *v, ngx_str_t *roles,
    const char **detail)
{
    u_char      *p;
    size_t       i, n, len, size;
    json_t      *role;
    const char  *s;

    if (!json_is_array(v)) {
        *detail = "\"roles\" is not an array of strings";
        return NGX_DECLINED;
    }

    n = json_array_size(v);

    if (n > WA_ROLES_NMAX) {
        *detail = "\"roles\" has more than 32 roles";
        return NGX_DECLINED;
    }

    size = 0;

    for (i = 0; i < n; i++) {
        role = json_array_get(v, i);

        if (!json_is_string(role)) {
            *detail = "\"roles\" is not an array of strings";
            return NGX_DECLINED;
        }

        s = json_string_value(role);
        len = json_string_length(role);

        /* one role: a SP would make it two */

        if (len == 0 || memchr(s, ' ', len) != NULL
            || !wa_record_roles_ok((u_char *) s, len))
        {
            *detail = "\"roles\" has a role that is not 1 to 64 of "
                      "A-Z a-z 0-9 . _ : -";
            return NGX_DECLINED;
        }

        size += len + 1;
    }

    if (n == 0) {
        ngx_str_set(roles, "");
        return NGX_OK;
    }

    roles->data = ngx_pnalloc(pool, size);
    if (roles->data == NULL) {
        return NGX_ERROR;
    }

    p = roles->data;

    for (i = 0; i < n; i++) {
        role = json_array_get(v, i);

        if (i) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, json_string_value(role), json_string_length(role));
    }

    roles->len = p - roles->data;

    if (!wa_record_roles_ok(roles->data, roles->len)) {
        *detail = "\"roles\" is not a valid list of roles";
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* n random bytes, base64url, into the pool */

static ngx_int_t
ngx_http_webauthn_admin_random(ngx_http_request_t *r, size_t n,
    ngx_str_t *out)
{
    out->data = ngx_pnalloc(r->pool, wa_b64url_encoded_len(n));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = wa_random_b64url(out->data, n);

    if (out->len == 0) {
        ngx_http_webauthn_log_internal(r, "RAND_bytes() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the store answered */

static void
ngx_http_webauthn_admin_done(ngx_http_webauthn_store_req_t *sr)
{
    ngx_int_t                       rc;
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_webauthn_admin_ctx_t  *ctx;

    ctx = sr->data;
    r = ctx->request;
    c = r->connection;

    rc = ngx_http_webauthn_admin_answer(ctx);

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_webauthn_admin_answer(ngx_http_webauthn_admin_ctx_t *ctx)
{
    const char                     *detail;
    ngx_http_request_t             *r;
    ngx_http_webauthn_store_req_t  *sr;

    r = ctx->request;
    sr = &ctx->store;

    if (sr->rc == NGX_HTTP_WEBAUTHN_STORE_FAULT) {
        return ngx_http_webauthn_admin_fault(ctx);
    }

    if (sr->rc == NGX_HTTP_WEBAUTHN_STORE_UNKNOWN) {

        /* refused: nothing was written */

        detail = (ctx->op == NGX_HTTP_WEBAUTHN_ADMIN_USER_GET
                  || ctx->op == NGX_HTTP_WEBAUTHN_ADMIN_USER_DELETE)
                 ? "no such user" : "no such credential";

        return ngx_http_webauthn_problem(r, NGX_HTTP_NOT_FOUND,
                                         WA_ERR_NOT_FOUND, detail);
    }

    if (sr->rc != NGX_HTTP_WEBAUTHN_STORE_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "webauthn admin: unexpected store result %d",
                      (int) sr->rc);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ctx->op) {

    case NGX_HTTP_WEBAUTHN_ADMIN_INVITE:
        return ngx_http_webauthn_admin_invitation(ctx);

    case NGX_HTTP_WEBAUTHN_ADMIN_USER_GET:
        return ngx_http_webauthn_admin_user(ctx);

    case NGX_HTTP_WEBAUTHN_ADMIN_USER_DELETE:
        return ngx_http_webauthn_admin_deleted(ctx);

    default: /* CRED_ROLES, CRED_REVOKE */
        return ngx_http_webauthn_admin_credential(ctx);
    }
}


/* 201 {"token": "...", "expires": <epoch s>, "user_handle": "..."} */

static ngx_int_t
ngx_http_webauthn_admin_invitation(ngx_http_webauthn_admin_ctx_t *ctx)
{
    json_t                      *body, *token;
    ngx_int_t                    rc;
    ngx_http_request_t          *r;
    ngx_http_webauthn_enroll_t  *e;

    r = ctx->request;
    e = &ctx->enroll;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "webauthn admin: invited \"%V\", expires %T",
                  &e->user_name, e->expires);

    token = json_stringn((char *) ctx->token.data, ctx->token.len);

    /* the pool's copy is wiped now, the one in the JSON once sent */

    wa_memzero(ctx->token.data, ctx->token.len);

    if (token == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body = json_object();

    if (body == NULL
        || json_object_set(body, "token", token) != 0
        || json_object_set_new(body, "expires",
                               json_integer((json_int_t) e->expires))
           != 0
        || json_object_set_new(body, "user_handle",
                               ngx_http_webauthn_admin_str(&e->user_handle))
           != 0)
    {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    } else {
        rc = ngx_http_webauthn_admin_send(r, NGX_HTTP_CREATED, body);
    }

    wa_memzero((char *) json_string_value(token), json_string_length(token));

    json_decref(token);
    json_decref(body);

    return rc;
}


/*
 * 200 {"user_name", "display_name", "user_handle", "credentials": [...]}:
 * display_name and user_handle null for a user with credentials and no
 * user hash (stored by hand)
 */

static ngx_int_t
ngx_http_webauthn_admin_user(ngx_http_webauthn_admin_ctx_t *ctx)
{
    json_t                         *body, *creds;
    ngx_int_t                       rc;
    ngx_uint_t                      i;
    ngx_http_request_t             *r;
    ngx_http_webauthn_admin_t      *a;
    ngx_http_webauthn_cred_info_t  *ci;

    r = ctx->request;
    a = &ctx->admin;

    body = json_object();
    creds = json_array();

    if (body == NULL || creds == NULL) {
        goto failed;
    }

    ci = a->creds->elts;

    for (i = 0; i < a->creds->nelts; i++) {
        if (json_array_append_new(creds,
                                 ngx_http_webauthn_admin_cred_json(&ci[i], 0))
            != 0)
        {
            goto failed;
        }
    }

    if (json_object_set_new(body, "user_name",
                            ngx_http_webauthn_admin_str(&a->user_name))
        != 0
        || json_object_set_new(body, "display_name",
                       ngx_http_webauthn_admin_str_null(&a->display_name))
           != 0
        || json_object_set_new(body, "user_handle",
                       ngx_http_webauthn_admin_str_null(&a->user_handle))
           != 0
        || json_object_set(body, "credentials", creds) != 0)
    {
        goto failed;
    }

    rc = ngx_http_webauthn_admin_send(r, NGX_HTTP_OK, body);

    json_decref(creds);
    json_decref(body);

    return rc;

failed:

    json_decref(creds);
    json_decref(body);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* 204: the user is gone */

static ngx_int_t
ngx_http_webauthn_admin_deleted(ngx_http_webauthn_admin_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->request;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "webauthn admin: deleted user \"%V\", credentials: %ui",
                  &ctx->admin.user_name, ctx->admin.creds->nelts);

    if (ngx_http_webauthn_header_out(r, "Cache-Control", "no-store")
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}


/* 200, the credential with its user_name: PATCH and revoke */

static ngx_int_t
ngx_http_webauthn_admin_credential(ngx_http_webauthn_admin_ctx_t *ctx)
{
    json_t                         *body;
    ngx_int_t                       rc;
    ngx_http_request_t             *r;
    ngx_http_webauthn_cred_info_t  *ci;

    r = ctx->request;
    ci = ctx->admin.cred;

    if (ctx->op == NGX_HTTP_WEBAUTHN_ADMIN_CRED_REVOKE) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "webauthn admin: revoked credential \"%V\"", &ci->id);

    } else {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "webauthn admin: set the roles of credential \"%V\" "
                      "to \"%V\"", &ci->id, &ci->roles);
    }

    body = ngx_http_webauthn_admin_cred_json(ci, 1);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_webauthn_admin_send(r, NGX_HTTP_OK, body);

    json_decref(body);

    return rc;
}


/*
 * 200 {"anchors": [{"subject", "not_before", "not_after", "expired",
 * "expiring"}], "mds": null or {"no", "next_update", "entries",
 * "expired", "expiring", "signer": {as an anchor} or null}}, times in
 * seconds since the epoch; "expiring" within 30 days
 */

static ngx_int_t
ngx_http_webauthn_admin_trust(ngx_http_request_t *r)
{
    u_char                         *p, *last;
    json_t                         *body, *anchors, *mds, *signer, *no;
    size_t                          i, n;
    time_t                          now;
    ngx_int_t                       rc, blob;
    wa_trust_item_t                 item;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    now = ngx_time();

    body = json_object();
    anchors = json_array();
    mds = NULL;
    signer = NULL;

    if (body == NULL || anchors == NULL) {
        goto failed;
    }

    n = wa_trust_count(wmcf->trust);

    for (i = 0; i < n; i++) {
        if (wa_trust_item(wmcf->trust, i, &item) != 0) {
            goto failed;
        }

        item.subject[sizeof(item.subject) - 1] = '\0';

        switch (item.kind) {

        case WA_TRUST_ANCHOR:
            if (json_array_append_new(anchors,
                               ngx_http_webauthn_admin_trust_item(&item, now))
                != 0)
            {
                goto failed;
            }

            break;

        case WA_TRUST_MDS_BLOB:
            if (mds) {
                break;
            }

            /* the subject is "FIDO MDS BLOB <no>" */

            p = (u_char *) item.subject;
            last = p + ngx_strlen(p);
            p = ngx_strlchr(p, last, ' ');
            p = p ? ngx_strlchr(p + 1, last, ' ') : NULL;
            p = p ? ngx_strlchr(p + 1, last, ' ') : NULL;

            blob = p ? ngx_atoi(p + 1, last - p - 1) : NGX_ERROR;

            no = (blob == NGX_ERROR) ? json_null()
                                     : json_integer((json_int_t) blob);

            mds = json_object();

            if (mds == NULL
                || json_object_set_new(mds, "no", no) != 0
                || json_object_set_new(mds, "next_update",
                                     json_integer((json_int_t) item.not_after))
                   != 0
                || json_object_set_new(mds, "entries",
                                       json_integer((json_int_t) item.entries))
                   != 0
                || ngx_http_webauthn_admin_expiry(mds, item.not_after, now)
                   != NGX_OK)
            {
                goto failed;
            }

            break;

        case WA_TRUST_MDS_SIGNER:
            if (signer == NULL) {
                signer = ngx_http_webauthn_admin_trust_item(&item, now);
                if (signer == NULL) {
                    goto failed;
                }
            }

            break;

        default:
            break;
        }
    }

    if (mds
        && json_object_set(mds, "signer", signer ? signer : json_null()) != 0)
    {
        goto failed;
    }

    if (json_object_set(body, "anchors", anchors) != 0
        || json_object_set(body, "mds", mds ? mds : json_null()) != 0)
    {
        goto failed;
    }

    rc = ngx_http_webauthn_admin_send(r, NGX_HTTP_OK, body);

    json_decref(signer);
    json_decref(mds);
    json_decref(anchors);
    json_decref(body);

    return rc;

failed:

    json_decref(signer);
    json_decref(mds);
    json_decref(anchors);
    json_decref(body);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static json_t *
ngx_http_webauthn_admin_trust_item(wa_trust_item_t *item, time_t now)
{
    json_t  *o;

    o = json_object();

    if (o == NULL
        || json_object_set_new(o, "subject", json_string(item->subject)) != 0
        || json_object_set_new(o, "not_before",
                               json_integer((json_int_t) item->not_before))
           != 0
        || json_object_set_new(o, "not_after",
                               json_integer((json_int_t) item->not_after))
           != 0
        || ngx_http_webauthn_admin_expiry(o, item->not_after, now) != NGX_OK)
    {
        json_decref(o);
        return NULL;
    }

    return o;
}


/* "expired", and "expiring" within 30 days */

static ngx_int_t
ngx_http_webauthn_admin_expiry(json_t *o, int64_t not_after, time_t now)
{
    ngx_uint_t  expired, expiring;

    expired = (now >= not_after);
    expiring = (!expired
                && not_after - now <= NGX_HTTP_WEBAUTHN_ADMIN_EXPIRING);

    if (json_object_set_new(o, "expired", json_boolean(expired)) != 0
        || json_object_set_new(o, "expiring", json_boolean(expiring)) != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * {"id", ["user_name",] "aaguid", "attestation_format", "roles",
 * "transports", "created", "last_used", "sign_count", "revoked",
 * "backup_eligible", "backup_state"}: what is absent is null (roles and
 * transports: []; sign_count: 0), the store checked every field
 */

static json_t *
ngx_http_webauthn_admin_cred_json(ngx_http_webauthn_cred_info_t *ci,
    ngx_uint_t user)
{
    json_t    *o;
    uint32_t   count;

    count = 0;

    if (ci->sign_count.len
        && wa_record_sign_count(ci->sign_count.data, ci->sign_count.len,
                                &count)
           != 0)
    {
        return NULL;
    }

    o = json_object();

    if (o == NULL
        || json_object_set_new(o, "id", ngx_http_webauthn_admin_str(&ci->id))
           != 0
        || (user
            && json_object_set_new(o, "user_name",
                                 ngx_http_webauthn_admin_str(&ci->user_name))
               != 0)
        || json_object_set_new(o, "aaguid",
                               ngx_http_webauthn_admin_str_null(&ci->aaguid))
           != 0
        || json_object_set_new(o, "attestation_format",
                     ngx_http_webauthn_admin_str_null(&ci->attestation_format))
           != 0
        || json_object_set_new(o, "roles",
                               ngx_http_webauthn_admin_words(&ci->roles))
           != 0
        || json_object_set_new(o, "transports",
                               ngx_http_webauthn_admin_words(&ci->transports))
           != 0
        || json_object_set_new(o, "created",
                               ngx_http_webauthn_admin_time(&ci->created))
           != 0
        || json_object_set_new(o, "last_used",
                               ngx_http_webauthn_admin_time(&ci->last_used))
           != 0
        || json_object_set_new(o, "sign_count", json_integer(count)) != 0
        || json_object_set_new(o, "revoked",
                               json_boolean(wa_record_revoked(
                                                ci->revoked.data,
                                                ci->revoked.len)))
           != 0
        || json_object_set_new(o, "backup_eligible",
                               ngx_http_webauthn_admin_flag(
                                   &ci->backup_eligible))
           != 0
        || json_object_set_new(o, "backup_state",
                               ngx_http_webauthn_admin_flag(&ci->backup_state))
           != 0)
    {
        json_decref(o);
        return NULL;
    }

    return o;
}


/* JSON values of stored fields, all checked by the store; NULL: failed */

static json_t *
ngx_http_webauthn_admin_str(ngx_str_t *s)
{
    return json_stringn(s->len ? (char *) s->data : "", s->len);
}


static json_t *
ngx_http_webauthn_admin_str_null(ngx_str_t *s)
{
    return s->len ? json_stringn((char *) s->data, s->len) : json_null();
}


/* "reader deployer" as ["reader", "deployer"] */

static json_t *
ngx_http_webauthn_admin_words(ngx_str_t *s)
{
    u_char  *p, *last, *sp;
    json_t  *a;

    a = json_array();
    if (a == NULL) {
        return NULL;
    }

    p = s->data;
    last = s->data + s->len;

    while (p < last) {
        sp = ngx_strlchr(p, last, ' ');

        if (sp == NULL) {
            sp = last;
        }

        if (json_array_append_new(a, json_stringn((char *) p, sp - p)) != 0) {
            json_decref(a);
            return NULL;
        }

        p = sp + 1;
    }

    return a;
}


static json_t *
ngx_http_webauthn_admin_time(ngx_str_t *s)
{
    size_t      i;
    json_int_t  t;

    if (s->len == 0) {
        return json_null();
    }

    /* at most 15 digits (the store's rule): no overflow */

    t = 0;

    for (i = 0; i < s->len; i++) {
        t = t * 10 + (s->data[i] - '0');
    }

    return json_integer(t);
}


static json_t *
ngx_http_webauthn_admin_flag(ngx_str_t *s)
{
    return s->len ? json_boolean(s->data[0] == '1') : json_null();
}


static ngx_int_t
ngx_http_webauthn_admin_send(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body)
{
    return ngx_http_webauthn_send_json(r, status,
                                       &ngx_http_webauthn_admin_json_type,
                                       body);
}


/* 503: the cause goes to the error log only */

static ngx_int_t
ngx_http_webauthn_admin_fault(ngx_http_webauthn_admin_ctx_t *ctx)
{
    ngx_http_request_t  *r;

    r = ctx->request;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "webauthn admin: store_unavailable: %V",
                  &ctx->store.reason);

    return ngx_http_webauthn_problem(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                     WA_ERR_STORE_UNAVAILABLE,
                                     "the credential store is unavailable");
}


/* a JSON string's bytes, kept beyond the JSON */

static ngx_int_t
ngx_http_webauthn_admin_copy(ngx_pool_t *pool, u_char *s, size_t len,
    ngx_str_t *out)
{
    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = len;
    ngx_memcpy(out->data, s, len);

    return NGX_OK;
}


/* the request's context, found through its pool cleanup */

static ngx_http_webauthn_admin_ctx_t *
ngx_http_webauthn_admin_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_webauthn_admin_cleanup) {
            return cln->data;
        }
    }

    return NULL;
}


static void
ngx_http_webauthn_admin_cleanup(void *data)
{
    ngx_http_webauthn_admin_ctx_t *ctx = data;

    ngx_http_webauthn_store_cancel(&ctx->store);

    if (ctx->token.len) {
        wa_memzero(ctx->token.data, ctx->token.len);
    }
}
