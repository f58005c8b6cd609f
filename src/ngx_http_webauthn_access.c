
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>


/*
 * A step of the check.  It returns
 *   NGX_OK        done: the next step runs
 *   NGX_AGAIN     waiting for the store; the same step runs again when
 *                 the reply is in (ctx->replied)
 *   NGX_DECLINED  refused: ctx->err says why
 *   NGX_ERROR     an internal failure (refused as internal_error)
 *   NGX_DONE      the step chose the next one itself (the one retry of
 *                 the key lookup), with ngx_http_webauthn_goto()
 * New steps (a session token, a role check, AWS credentials, signing)
 * go into ngx_http_webauthn_steps[] below, in the order they run.
 */

typedef ngx_int_t (*ngx_http_webauthn_step_pt)(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);


static ngx_int_t ngx_http_webauthn_check(ngx_http_request_t *r);
static ngx_http_webauthn_ctx_t *ngx_http_webauthn_borrow(
    ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_run(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_goto(ngx_http_webauthn_ctx_t *ctx,
    ngx_http_webauthn_step_pt step);
static void ngx_http_webauthn_recheck(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_http_webauthn_loc_conf_t *wlcf);

static ngx_int_t ngx_http_webauthn_step_token(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_step_check(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_step_key(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_step_verify(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_step_commit(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_step_accept(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);

static wa_err_t ngx_http_webauthn_check_challenge(void *data,
    const unsigned char *challenge, size_t len, const char **detail);
static ngx_int_t ngx_http_webauthn_store_io(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx,
    ngx_int_t (*start)(ngx_http_webauthn_store_req_t *sr));
static void ngx_http_webauthn_store_handler(ngx_http_webauthn_store_req_t *sr);
static ngx_int_t ngx_http_webauthn_fail(ngx_http_webauthn_ctx_t *ctx,
    wa_err_t err, const char *detail);
static ngx_int_t ngx_http_webauthn_store_refuse(ngx_http_webauthn_ctx_t *ctx,
    ngx_str_t *reason);
static ngx_int_t ngx_http_webauthn_internal(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, const char *detail);
static void ngx_http_webauthn_cleanup(void *data);


#define ngx_http_webauthn_store_refuse_text(ctx, text)                      \
    ngx_http_webauthn_store_refuse(ctx, &ngx_http_webauthn_str(text))

#define ngx_http_webauthn_str(text)                                         \
    (ngx_str_t) { sizeof(text) - 1, (u_char *) text }


/* WebAuthn L3, 7.2, in order; design.md, "Request driver" */

static ngx_http_webauthn_step_pt  ngx_http_webauthn_steps[] = {
    ngx_http_webauthn_step_token,      /* the Authorization header */
    ngx_http_webauthn_step_check,      /* steps 5, 9-20: nothing stored */
    ngx_http_webauthn_step_key,        /* step 7: cache or HMGET */
    ngx_http_webauthn_step_verify,     /* steps 6, 21 */
    ngx_http_webauthn_step_commit,     /* steps 22, 24: one EVALSHA */
    ngx_http_webauthn_step_session,    /* a session token instead: its
                                          check, the revocation list */
    ngx_http_webauthn_step_accept,     /* variables, the header removed */
    ngx_http_webauthn_step_policy,     /* roles, max age, a token's UV */
    ngx_http_webauthn_aws_step_role,   /* the IAM role of the credential */
    ngx_http_webauthn_aws_step_credentials,  /* base, or STS AssumeRole */
    ngx_http_webauthn_aws_step_body,   /* the whole body, to sign it */
    NULL
};


ngx_int_t
ngx_http_webauthn_access_handler(ngx_http_request_t *r)
{
    return ngx_http_webauthn_check(r);
}


/*
 * nginx runs no access-phase handler for subrequests (auth_request,
 * SSI, mirror): for them the check runs in the preaccess phase, which
 * they do run; a pass lets the phase go on (NGX_DECLINED)
 */

ngx_int_t
ngx_http_webauthn_subrequest_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r == r->main) {
        return NGX_DECLINED;
    }

    rc = ngx_http_webauthn_check(r);

    return (rc == NGX_OK) ? NGX_DECLINED : rc;
}


static ngx_int_t
ngx_http_webauthn_check(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      realm;
    ngx_pool_cleanup_t            *cln;
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (wlcf->realm == NULL) {
        return NGX_DECLINED;
    }

    /*
     * an enrollment location takes an invitation instead of an
     * assertion: its content handler checks it
     * (ngx_http_webauthn_enroll.c)
     */

    if (wlcf->enroll && ngx_http_webauthn_invitation(r, &realm) == NGX_OK) {
        return NGX_DECLINED;
    }

    /* auth_webauthn_preflight: a CORS preflight carries no credentials */

    if (ngx_http_webauthn_preflight(r, wlcf)) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_webauthn_get_ctx(r);

    if (ctx && ctx->request != r) {

        if (!ctx->done) {
            /* under way for another request: not shared */
            ctx = NULL;

        } else {
            ctx = ngx_http_webauthn_borrow(r, ctx);
            if (ctx == NULL) {
                return NGX_ERROR;
            }
        }
    }

    if (ctx == NULL || (ctx->done && ctx->wlcf != wlcf)) {

        if (ngx_http_complex_value(r, wlcf->realm, &realm) != NGX_OK) {
            return NGX_ERROR;
        }

        if (realm.len == 3 && ngx_strncmp(realm.data, "off", 3) == 0) {
            return NGX_DECLINED;
        }

        if (ctx) {
            /* another location: an internal redirect, a subrequest */

            ctx->realm = realm;
            ngx_http_webauthn_recheck(r, ctx, wlcf);

            if (ctx->done) {
                goto decided;
            }

            /* a signing location: its role and credentials, by the driver */

            goto run;
        }

        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_webauthn_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_webauthn_cleanup;
        cln->data = ctx;

        ctx->request = r;
        ctx->wlcf = wlcf;
        ctx->realm = realm;
        ctx->started = ngx_current_msec;

        ngx_http_set_ctx(r, ctx, ngx_http_webauthn_module);
    }

run:

    if (!ctx->done) {

        if (ctx->waiting) {
            return NGX_AGAIN;
        }

        rc = ngx_http_webauthn_run(r, ctx);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }
    }

decided:

    if (ctx->status) {
        /* reading the body failed: nginx's own answer (413, 400, ...) */
        return ctx->status;
    }

    ngx_http_webauthn_metrics_decide(ctx);

    if (ctx->err == WA_OK) {
        return NGX_OK;
    }

    return ngx_http_webauthn_deny(r, ctx);
}


/*
 * the check was made for another request of this one: the main request
 * for a subrequest, a subrequest (auth_request) for the main request.
 * This request gets a context of its own, sharing the kept assertion (the
 * owner's pool cleanup frees it, and subrequests share the main request's
 * pool), so that its location's outcome does not overwrite the owner's.
 * A check still under way for another request is not shared: this
 * request makes its own (and the second use of an assertion is refused).
 * Only a decided context is borrowed.
 */

static ngx_http_webauthn_ctx_t *
ngx_http_webauthn_borrow(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    ngx_http_webauthn_ctx_t  *own;

    own = ngx_palloc(r->pool, sizeof(ngx_http_webauthn_ctx_t));
    if (own == NULL) {
        return NULL;
    }

    *own = *ctx;

    own->request = r;
    own->wlcf = NULL;               /* this location is checked */

    ngx_http_set_ctx(r, own, ngx_http_webauthn_module);

    return own;
}


/* the request driver: runs the steps from ctx->step on */

static ngx_int_t
ngx_http_webauthn_run(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_http_webauthn_step_pt   step;

    for ( ;; ) {

        step = ngx_http_webauthn_steps[ctx->step];

        if (step == NULL) {
            ctx->err = WA_OK;
            ctx->done = 1;
            return NGX_OK;
        }

        rc = step(r, ctx);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webauthn step %ui: %i", ctx->step, rc);

        switch (rc) {

        case NGX_OK:
            ctx->step++;
            break;

        case NGX_DONE:
            break;

        case NGX_AGAIN:
            ctx->waiting = 1;
            return NGX_AGAIN;

        case NGX_DECLINED:
            ctx->done = 1;
            return NGX_DECLINED;

        default:
            if (ctx->err == WA_OK) {
                (void) ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
            }

            ctx->done = 1;
            return NGX_DECLINED;
        }
    }
}


static ngx_int_t
ngx_http_webauthn_goto(ngx_http_webauthn_ctx_t *ctx,
    ngx_http_webauthn_step_pt step)
{
    ngx_uint_t  i;

    for (i = 0; ngx_http_webauthn_steps[i]; i++) {
        if (ngx_http_webauthn_steps[i] == step) {
            ctx->step = i;
            return NGX_DONE;
        }
    }

    return NGX_ERROR;
}


/*
 * A request that passed reaches another location (try_files, error_page,
 * X-Accel-Redirect, a subrequest): the decision is kept, as the
 * challenge is spent, but this location's own requirements are checked
 * against the assertion: origins, cross-origin use, RP ID, UP, UV and
 * the challenge's age.
 */

static void
ngx_http_webauthn_recheck(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx,
    ngx_http_webauthn_loc_conf_t *wlcf)
{
    wa_err_t     err;
    const char  *detail;

    ctx->wlcf = wlcf;

    if (!ctx->verified) {
        /* refused where it was checked: refused everywhere */
        return;
    }

    detail = NULL;

    if (ctx->session) {
        /* a token has no assertion to check again: the policy below */
        err = WA_OK;

    } else {
        err = wa_assertion_recheck(&ctx->assertion, &wlcf->policy, &detail);

        if (err == WA_OK
            && ctx->challenge.issued_ms + wlcf->challenge_timeout
               <= ctx->verified_at)
        {
            err = WA_ERR_CHALLENGE_INVALID;
            detail = "challenge is older than this location accepts";
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webauthn recheck at another location: %s, \"%V\"",
                   wa_err_code(err), &r->uri);

    ctx->err = err;
    ctx->detail = detail;
    ngx_str_null(&ctx->reason);

    /* this location's roles, max age and UV of a token */

    if (err == WA_OK && ngx_http_webauthn_policy(r, ctx) != NGX_OK) {
        return;
    }

    /*
     * a location that signs maps the credential to its own IAM role and
     * gets its credentials: the AWS steps run again for it (the body, read
     * once, is kept)
     */

    if (err == WA_OK && wlcf->aws_sign) {
        ngx_memzero(&ctx->aws, sizeof(ngx_http_webauthn_aws_creds_t));
        ngx_str_null(&ctx->aws_role);
        ctx->aws_ready = 0;
        ctx->aws_base = 0;
        ctx->aws_wait_until = 0;
        ctx->done = 0;

        (void) ngx_http_webauthn_goto(ctx, ngx_http_webauthn_aws_step_role);
    }
}


/*
 * "Authorization: WebAuthn <token>" (RFC 9110, 11.4; design.md,
 * "Authorization header")
 */

static ngx_int_t
ngx_http_webauthn_step_token(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t    rc;
    ngx_str_t    token;
    wa_err_t     err;
    const char  *detail;

    rc = ngx_http_webauthn_token(r, &token);

    if (rc == NGX_DECLINED) {

        /* a session token: Authorization: Bearer, or the cookie */

        if (ngx_http_webauthn_session_source(r, ctx) == NGX_OK) {
            return ngx_http_webauthn_goto(ctx,
                                          ngx_http_webauthn_step_session);
        }

        return ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_MISSING,
                                      "no \"Authorization: WebAuthn\" header");
    }

    if (rc == NGX_ERROR) {
        return ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_MALFORMED,
                                      "the Authorization header is not "
                                      "\"WebAuthn\", one or more spaces and "
                                      "a token (RFC 9110, 11.4)");
    }

    if (token.len == 0) {
        return ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_MALFORMED,
                                      "the WebAuthn credentials are empty");
    }

    detail = NULL;

    err = wa_assertion_parse(&ctx->assertion, token.data, token.len, &detail);
    if (err != WA_OK) {
        if (err == WA_ERR_INTERNAL) {
            return ngx_http_webauthn_internal(r, ctx, detail);
        }

        return ngx_http_webauthn_fail(ctx, err, detail);
    }

    ctx->cred.id.data = (u_char *) ctx->assertion.cred_id;
    ctx->cred.id.len = ctx->assertion.cred_id_len;

    return NGX_OK;
}


/* WebAuthn L3, 7.2, steps 9 to 20: nothing stored is needed */

static ngx_int_t
ngx_http_webauthn_step_check(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    wa_err_t     err;
    const char  *detail;

    ctx->policy = ctx->wlcf->policy;
    ctx->policy.check_challenge = ngx_http_webauthn_check_challenge;
    ctx->policy.check_challenge_data = ctx;

    detail = NULL;

    err = wa_assertion_check(&ctx->assertion, &ctx->policy, &detail);

    if (err == WA_ERR_INTERNAL) {
        return ngx_http_webauthn_internal(r, ctx, detail);
    }

    if (err != WA_OK) {
        return ngx_http_webauthn_fail(ctx, err, detail);
    }

    return NGX_OK;
}


/* WebAuthn L3, 7.2, step 12: a sealed challenge of this relying party */

static wa_err_t
ngx_http_webauthn_check_challenge(void *data, const unsigned char *challenge,
    size_t len, const char **detail)
{
    ngx_http_webauthn_ctx_t *ctx = data;

    ngx_http_webauthn_loc_conf_t   *wlcf;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wlcf = ctx->wlcf;
    wmcf = ngx_http_get_module_main_conf(ctx->request,
                                         ngx_http_webauthn_module);

    /* the verifying location's timeout bounds the challenge's age too */

    return wa_challenge_check(challenge, len, wmcf->secret.data,
                              wmcf->secret.len, (char *) wlcf->rp_id.data,
                              wlcf->rp_id.len, ngx_http_webauthn_now(),
                              wlcf->challenge_timeout, &ctx->challenge,
                              detail);
}


/* WebAuthn L3, 7.2, step 7: the credential's key, cached or stored */

static ngx_int_t
ngx_http_webauthn_step_key(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t                       rc;
    ngx_http_webauthn_main_conf_t  *wmcf;

    if (ctx->store.handler) {

        /* the lookup is done */

        ctx->store.handler = NULL;

        switch (ctx->store.rc) {

        case NGX_HTTP_WEBAUTHN_STORE_OK:
            ctx->cached = 0;
            return NGX_OK;

        case NGX_HTTP_WEBAUTHN_STORE_UNKNOWN:
            return ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_UNKNOWN,
                                          "no credential is registered "
                                          "with this id");

        case NGX_HTTP_WEBAUTHN_STORE_REVOKED:
            return ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_REVOKED,
                                          "the credential has been revoked");

        default:
            return ngx_http_webauthn_store_refuse(ctx, &ctx->store.reason);
        }
    }

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (wmcf->cache_zone && !ctx->retried) {

        rc = ngx_http_webauthn_cache_get(wmcf->cache_zone->data,
                                         &ctx->cred.id, r->pool,
                                         &ctx->cred.public_key,
                                         &ctx->cred.handle);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "webauthn key cache hit: \"%V\"", &ctx->cred.id);

            if (ngx_http_webauthn_store_decode(r->pool, &ctx->cred.handle,
                                               &ctx->cred.user_handle)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            ctx->cached = 1;
            return NGX_OK;
        }
    }

    return ngx_http_webauthn_store_io(r, ctx, ngx_http_webauthn_store_lookup);
}


/* WebAuthn L3, 7.2, steps 6 and 21, with the stored record */

static ngx_int_t
ngx_http_webauthn_step_verify(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    wa_err_t                        err;
    wa_pkey_t                      *pkey;
    const char                     *detail;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    detail = NULL;

    err = ngx_http_webauthn_pkey_get(&ctx->cred, r->pool, &pkey, &detail,
                                     r->connection->log);

    if (err == WA_ERR_CREDENTIAL_MALFORMED) {
        return ngx_http_webauthn_store_refuse_text(ctx,
                                        "the credential record's public_key "
                                        "is not a COSE key");
    }

    if (err == WA_ERR_INTERNAL) {
        return ngx_http_webauthn_internal(r, ctx, detail);
    }

    if (err != WA_OK) {
        return ngx_http_webauthn_fail(ctx, err, detail);
    }

    /* the key is borrowed from the worker's cache: used at once */

    err = wa_assertion_verify(&ctx->assertion, pkey,
                              ctx->cred.user_handle.len
                              ? ctx->cred.user_handle.data : NULL,
                              ctx->cred.user_handle.len, &detail);

    if ((err == WA_ERR_SIGNATURE_INVALID
         || err == WA_ERR_USER_HANDLE_MISMATCH)
        && ctx->cached && !ctx->retried)
    {
        /* the record may have a new key or handle: looked up once */

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webauthn: %s with a cached key, looking it up",
                       wa_err_code(err));

        ngx_http_webauthn_cache_delete(wmcf->cache_zone->data,
                                       &ctx->cred.id);

        ctx->retried = 1;
        ctx->cached = 0;

        return ngx_http_webauthn_goto(ctx, ngx_http_webauthn_step_key);
    }

    if (err == WA_ERR_INTERNAL) {
        return ngx_http_webauthn_internal(r, ctx, detail);
    }

    if (err != WA_OK) {
        return ngx_http_webauthn_fail(ctx, err, detail);
    }

    /* the signature verified with this key: worth caching */

    if (wmcf->cache_zone && !ctx->cached) {
        ngx_http_webauthn_cache_put(wmcf->cache_zone->data, &ctx->cred.id,
                                    &ctx->cred.public_key, &ctx->cred.handle,
                                    r->connection->log);
    }

    return NGX_OK;
}


/* WebAuthn L3, 7.2, steps 22 and 24, atomic in the store */

static ngx_int_t
ngx_http_webauthn_step_commit(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (ctx->store.handler == NULL) {
        ctx->use.sign_count = ctx->assertion.sign_count;
        ctx->use.issued = ctx->challenge.issued_ms;
        ctx->use.expires = ctx->challenge.expires_ms;
        ctx->use.nonce = ctx->challenge.nonce;

        return ngx_http_webauthn_store_io(r, ctx,
                                          ngx_http_webauthn_store_commit);
    }

    ctx->store.handler = NULL;

    switch (ctx->store.rc) {

    case NGX_HTTP_WEBAUTHN_STORE_OK:

        /* the record's fields, when the reply had them: the next hint */

        ngx_http_webauthn_pkey_fields(&ctx->cred, r->connection->log);

        return NGX_OK;

    case NGX_HTTP_WEBAUTHN_STORE_UNKNOWN:

        /* deleted since its key was cached */

        if (wmcf->cache_zone) {
            ngx_http_webauthn_cache_delete(wmcf->cache_zone->data,
                                           &ctx->cred.id);
        }

        return ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_UNKNOWN,
                                      "no credential is registered with "
                                      "this id");

    case NGX_HTTP_WEBAUTHN_STORE_REVOKED:
        return ngx_http_webauthn_fail(ctx, WA_ERR_CREDENTIAL_REVOKED,
                                      "the credential has been revoked");

    case NGX_HTTP_WEBAUTHN_STORE_STALE:

        /* the record's key or handle changed since it was cached */

        if (wmcf->cache_zone) {
            ngx_http_webauthn_cache_delete(wmcf->cache_zone->data,
                                           &ctx->cred.id);
        }

        if (ctx->retried) {
            return ngx_http_webauthn_store_refuse_text(ctx,
                                        "the credential record changed "
                                        "during the check");
        }

        ctx->retried = 1;
        ctx->cached = 0;

        return ngx_http_webauthn_goto(ctx, ngx_http_webauthn_step_key);

    case NGX_HTTP_WEBAUTHN_STORE_RESET:
        return ngx_http_webauthn_fail(ctx, WA_ERR_CHALLENGE_INVALID,
                                      "the credential store lost its record "
                                      "of used challenges since this "
                                      "challenge was issued; sign a fresh "
                                      "one");

    case NGX_HTTP_WEBAUTHN_STORE_REPLAYED:
        return ngx_http_webauthn_fail(ctx, WA_ERR_CHALLENGE_INVALID,
                                      "the challenge has already been used");

    case NGX_HTTP_WEBAUTHN_STORE_REGRESSED:
        /* WebAuthn L3, 7.2, step 22 */
        return ngx_http_webauthn_fail(ctx, WA_ERR_SIGN_COUNT_REGRESSED,
                                      "the signature counter did not "
                                      "increase: the authenticator may "
                                      "have been cloned");

    default:
        return ngx_http_webauthn_store_refuse(ctx, &ctx->store.reason);
    }
}


static ngx_int_t
ngx_http_webauthn_step_accept(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    u_char              *p;
    ngx_http_request_t  *pr;

    if (ctx->session) {
        /* a session token: no counter; UV as the token says */

        ngx_str_null(&ctx->sign_count);

        if (ctx->session_uv) {
            ngx_str_set(&ctx->user_verified, "1");

        } else {
            ngx_str_set(&ctx->user_verified, "0");
        }

    } else {
        p = ngx_pnalloc(r->pool, NGX_INT32_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ctx->sign_count.data = p;
        ctx->sign_count.len = ngx_sprintf(p, "%uD",
                                          ctx->assertion.sign_count)
                              - p;

        if (ctx->assertion.flags & WA_FLAG_UV) {
            ngx_str_set(&ctx->user_verified, "1");

        } else {
            ngx_str_set(&ctx->user_verified, "0");
        }

        ctx->auth_time = ngx_time();
    }

    /* the session cookie is not passed on either */

    if (ctx->cookie
        && ngx_http_webauthn_remove_cookie(r, &ctx->wlcf->cookie_name)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * the assertion is not passed on to any upstream; a subrequest shares
     * its headers with the main request (a copy of the list's head), so
     * it is taken out of the main request's list, which every request of
     * the chain then sees
     */

    if (ngx_http_webauthn_remove_header(r, &r->main->headers_in.headers,
                                        r->main->headers_in.authorization)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (pr = r; pr; pr = (pr == r->main) ? NULL : pr->parent) {
        pr->headers_in.headers = r->main->headers_in.headers;
        pr->headers_in.authorization = NULL;
    }

    if (ctx->session) {
        ngx_str_set(&ctx->auth_method, "session");

    } else {
        ngx_str_set(&ctx->auth_method, "assertion");
    }

    ctx->verified = 1;
    ctx->verified_at = ngx_http_webauthn_now();

    /* the audit trail is the access log's, with $webauthn_* */

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webauthn: access granted to \"%V\", credential: \"%V\", "
                   "sign count: %V",
                   &ctx->cred.user_name, &ctx->cred.id, &ctx->sign_count);

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_store_io(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx,
    ngx_int_t (*start)(ngx_http_webauthn_store_req_t *sr))
{
    ngx_http_webauthn_store_req_t  *sr;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    sr = &ctx->store;

    ngx_memzero(sr, sizeof(ngx_http_webauthn_store_req_t));

    sr->store = &wmcf->store;
    sr->pool = r->pool;
    sr->log = r->connection->log;
    sr->data = ctx;
    sr->cred = &ctx->cred;
    sr->use = &ctx->use;

    if (start(sr) != NGX_OK) {
        return ngx_http_webauthn_store_refuse(ctx, &sr->reason);
    }

    /* set only now: the handler is called only after this returns */

    sr->handler = ngx_http_webauthn_store_handler;

    return NGX_AGAIN;
}


/* the store answered: the phase goes on, and so does the driver */

static void
ngx_http_webauthn_store_handler(ngx_http_webauthn_store_req_t *sr)
{
    ngx_http_request_t       *r;
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = sr->data;
    r = ctx->request;

    ctx->waiting = 0;

    ngx_http_webauthn_wake(r);
}


/* outside I/O is done: the phase, and so the driver, go on */

void
ngx_http_webauthn_wake(ngx_http_request_t *r)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_webauthn_fail(ngx_http_webauthn_ctx_t *ctx, wa_err_t err,
    const char *detail)
{
    ctx->err = err;
    ctx->detail = detail;

    return NGX_DECLINED;
}


/* for steps of other files: a refusal, with a reason for the log only */

ngx_int_t
ngx_http_webauthn_refuse(ngx_http_webauthn_ctx_t *ctx, wa_err_t err,
    const char *detail, const char *reason)
{
    if (reason) {
        ctx->reason.data = (u_char *) reason;
        ctx->reason.len = ngx_strlen(reason);
    }

    return ngx_http_webauthn_fail(ctx, err, detail);
}


/* the reason goes to the error log only; the client is told less */

static ngx_int_t
ngx_http_webauthn_store_refuse(ngx_http_webauthn_ctx_t *ctx,
    ngx_str_t *reason)
{
    ctx->reason = *reason;

    return ngx_http_webauthn_fail(ctx, WA_ERR_STORE_UNAVAILABLE,
                                  "the credential store is unavailable");
}


/* an internal failure: OpenSSL's errors to the log, a plain 500 out */

static ngx_int_t
ngx_http_webauthn_internal(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx,
    const char *detail)
{
    ngx_http_webauthn_log_internal(r, detail);

    ctx->was_logged = 1;
    ctx->logged = WA_ERR_INTERNAL;

    return ngx_http_webauthn_fail(ctx, WA_ERR_INTERNAL, NULL);
}


/*
 * after an internal redirect the module context is gone, and a
 * subrequest has none of its own: the check made for this request is
 * found on the main request or through the pool's cleanup, as in the
 * realip module, so it is neither lost nor made twice
 */

ngx_http_webauthn_ctx_t *
ngx_http_webauthn_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t       *cln;
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_webauthn_module);

    if (ctx) {
        return ctx;
    }

    if (r != r->main) {
        ctx = ngx_http_get_module_ctx(r->main, ngx_http_webauthn_module);
    }

    if (ctx == NULL) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_webauthn_cleanup) {
                ctx = cln->data;
                break;
            }
        }
    }

    if (ctx) {
        ngx_http_set_ctx(r, ctx, ngx_http_webauthn_module);
    }

    return ctx;
}


uint64_t
ngx_http_webauthn_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


static void
ngx_http_webauthn_cleanup(void *data)
{
    ngx_http_webauthn_ctx_t *ctx = data;

    ngx_http_webauthn_store_cancel(&ctx->store);
    ngx_http_webauthn_aws_cancel(ctx);
    ngx_http_webauthn_session_cancel(ctx);

    wa_assertion_free(&ctx->assertion);
}
