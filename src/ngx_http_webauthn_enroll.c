
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Enrollment: the creation options (webauthn_register_options) and the
 * registration (webauthn_register), WebAuthn L3, 5.4 and 7.1, for a person
 * holding an invitation ("Authorization: Invitation <token>") or a fresh
 * assertion of one of their credentials (verified by the access phase,
 * as auth_webauthn does); the attestation trust anchors
 * (webauthn_trust_anchors, webauthn_mds) and the enrollment directives.
 * The ceremony is the core's (wa_registration.c); what is stored, the
 * store's (ngx_http_webauthn_store_enroll.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include <ngx_http_webauthn.h>


#define NGX_HTTP_WEBAUTHN_INVITATION_TTL   86400        /* s */
#define NGX_HTTP_WEBAUTHN_TRUST_WARN       (30 * 86400) /* s */
#define NGX_HTTP_WEBAUTHN_TOKEN_MAX        128          /* invitation */


typedef struct {
    ngx_http_request_t              *request;
    ngx_http_webauthn_loc_conf_t    *wlcf;
    ngx_http_webauthn_store_req_t    store;
    ngx_http_webauthn_enroll_t       enroll;
    ngx_str_t                        body;
    wa_registration_t                reg;
    wa_challenge_info_t              challenge;
    u_char                           binding[WA_SHA256_LEN];
    unsigned                         assertion:1;   /* a device added */
    unsigned                         registered:1;  /* verified, storing */
} ngx_http_webauthn_enroll_ctx_t;


static ngx_int_t ngx_http_webauthn_enroll_start(ngx_http_request_t *r);
static void ngx_http_webauthn_enroll_body(ngx_http_request_t *r);
static void ngx_http_webauthn_enroll_info_done(
    ngx_http_webauthn_store_req_t *sr);
static ngx_int_t ngx_http_webauthn_enroll_options(
    ngx_http_webauthn_enroll_ctx_t *ec);
static ngx_int_t ngx_http_webauthn_enroll_verify(
    ngx_http_webauthn_enroll_ctx_t *ec);
static void ngx_http_webauthn_enroll_stored(ngx_http_webauthn_store_req_t *sr);
static ngx_int_t ngx_http_webauthn_enroll_store_refused(
    ngx_http_webauthn_enroll_ctx_t *ec, ngx_http_webauthn_store_req_t *sr);
static ngx_int_t ngx_http_webauthn_enroll_refuse(
    ngx_http_webauthn_enroll_ctx_t *ec, wa_err_t err, const char *detail);
static ngx_int_t ngx_http_webauthn_enroll_fault(
    ngx_http_webauthn_enroll_ctx_t *ec, ngx_str_t *reason);
static void ngx_http_webauthn_enroll_finish(ngx_http_webauthn_enroll_ctx_t *ec,
    ngx_int_t rc);
static wa_err_t ngx_http_webauthn_enroll_challenge(void *data,
    const unsigned char *challenge, size_t len, const char **detail);
static void ngx_http_webauthn_enroll_bind(ngx_http_webauthn_enroll_ctx_t *ec);
static ngx_http_webauthn_enroll_ctx_t *ngx_http_webauthn_enroll_ctx(
    ngx_http_request_t *r);
static void ngx_http_webauthn_enroll_cleanup(void *data);
static ngx_int_t ngx_http_webauthn_trust_load(ngx_conf_t *cf,
    ngx_str_t *name, ngx_str_t *out);
static void ngx_http_webauthn_trust_report(ngx_conf_t *cf, wa_trust_t *trust);


static ngx_str_t  ngx_http_webauthn_enroll_json_type =
    ngx_string("application/json");


/*
 * WebAuthn L3, 5.4, pubKeyCredParams: what the core verifies, ES256 and
 * EdDSA first (the order is the relying party's preference)
 */

static const int  ngx_http_webauthn_enroll_algs[] = {
    WA_COSE_ALG_ES256, WA_COSE_ALG_EDDSA, WA_COSE_ALG_ES384,
    WA_COSE_ALG_ES512, WA_COSE_ALG_PS256, WA_COSE_ALG_RS256
};

#define NGX_HTTP_WEBAUTHN_ENROLL_NALGS                                      \
    (sizeof(ngx_http_webauthn_enroll_algs)                                  \
     / sizeof(ngx_http_webauthn_enroll_algs[0]))


/* webauthn_register_options; webauthn_register */

char *
ngx_http_webauthn_register(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (wlcf->enroll != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    wlcf->enroll = cmd->offset;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_webauthn_enroll_handler;

    return NGX_CONF_OK;
}


/* webauthn_aaguid_allow uuid ...; the UUIDs in their 8-4-4-4-12 form */

char *
ngx_http_webauthn_aaguid_allow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    u_char      *a, *p;
    ngx_int_t    n;
    ngx_str_t   *value;
    ngx_uint_t   i, j;

    if (wlcf->aaguid_allow != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    wlcf->aaguid_allow = ngx_array_create(cf->pool, cf->args->nelts - 1, 16);
    if (wlcf->aaguid_allow == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (!wa_record_aaguid_ok(value[i].data, value[i].len)
            || value[i].len == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid AAGUID \"%V\": a UUID as "
                               "8-4-4-4-12 hex digits", &value[i]);
            return NGX_CONF_ERROR;
        }

        a = ngx_array_push(wlcf->aaguid_allow);
        if (a == NULL) {
            return NGX_CONF_ERROR;
        }

        p = value[i].data;

        for (j = 0; j < 16; j++) {
            if (*p == '-') {
                p++;
            }

            n = ngx_hextoi(p, 2);
            a[j] = (u_char) n;
            p += 2;
        }
    }

    return NGX_CONF_OK;
}


/* webauthn_mds blob root=file */

char *
ngx_http_webauthn_mds(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    ngx_str_t  *value;

    if (wmcf->mds.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[2].len <= sizeof("root=") - 1
        || ngx_strncmp(value[2].data, "root=", sizeof("root=") - 1) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_mds\" needs \"root=\" with the FIDO "
                           "Metadata Service root certificate, not \"%V\"",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    wmcf->mds = value[1];
    wmcf->mds_root.data = value[2].data + sizeof("root=") - 1;
    wmcf->mds_root.len = value[2].len - (sizeof("root=") - 1);

    return NGX_CONF_OK;
}


/*
 * the trust anchors, loaded at configuration: a reload (nginx -s reload)
 * reads new files while the old workers finish with the old ones, so no
 * request is dropped
 */

ngx_int_t
ngx_http_webauthn_trust_init(ngx_conf_t *cf,
    ngx_http_webauthn_main_conf_t *wmcf)
{
    wa_err_t             err;
    ngx_str_t            pem, blob, root;
    const char          *detail;
    ngx_pool_cleanup_t  *cln;

    if (wmcf->trust_anchors.data == NULL && wmcf->mds.data == NULL) {
        return NGX_OK;
    }

    wmcf->trust = wa_trust_new();
    if (wmcf->trust == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        wa_trust_free(wmcf->trust);
        return NGX_ERROR;
    }

    cln->handler = (ngx_pool_cleanup_pt) wa_trust_free;
    cln->data = wmcf->trust;

    detail = NULL;

    if (wmcf->trust_anchors.data) {
        if (ngx_http_webauthn_trust_load(cf, &wmcf->trust_anchors, &pem)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        err = wa_trust_add_pem(wmcf->trust, pem.data, pem.len, &detail);

        if (err != WA_OK) {
            ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                          "webauthn_trust_anchors \"%V\": %s",
                          &wmcf->trust_anchors, detail);
            return NGX_ERROR;
        }
    }

    if (wmcf->mds.data) {
        if (ngx_http_webauthn_trust_load(cf, &wmcf->mds, &blob) != NGX_OK
            || ngx_http_webauthn_trust_load(cf, &wmcf->mds_root, &root)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        err = wa_trust_add_mds(wmcf->trust, blob.data, blob.len, root.data,
                               root.len, (int64_t) ngx_time(), &detail);

        if (err != WA_OK) {
            ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                          "webauthn_mds \"%V\": %s", &wmcf->mds, detail);
            return NGX_ERROR;
        }
    }

    ngx_http_webauthn_trust_report(cf, wmcf->trust);

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_trust_load(ngx_conf_t *cf, ngx_str_t *name, ngx_str_t *out)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_int_t        rc;
    ngx_file_info_t  fi;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, ngx_errno,
                      ngx_open_file_n " \"%V\" failed", name);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, ngx_errno,
                      ngx_fd_info_n " \"%V\" failed", name);
        goto done;
    }

    /* the FIDO BLOB is some megabytes; 64 MB bounds a wrong file */

    if (ngx_file_size(&fi) == 0 || ngx_file_size(&fi) > 64 * 1024 * 1024) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%V\" is empty or larger than 64 MB", name);
        goto done;
    }

    out->len = (size_t) ngx_file_size(&fi);
    out->data = ngx_pnalloc(cf->temp_pool, out->len);
    if (out->data == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, out->data, out->len);

    if (n != (ssize_t) out->len) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, ngx_errno,
                      ngx_read_fd_n " \"%V\" failed", name);
        goto done;
    }

    rc = NGX_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", name);
    }

    return rc;
}


/* anchors and BLOBs that expired, or expire within 30 days, at "warn" */

static void
ngx_http_webauthn_trust_report(ngx_conf_t *cf, wa_trust_t *trust)
{
    time_t           now;
    size_t           i, n;
    wa_trust_item_t  item;

    now = ngx_time();
    n = wa_trust_count(trust);

    for (i = 0; i < n; i++) {
        if (wa_trust_item(trust, i, &item) != 0) {
            break;
        }

        if (item.not_after <= now) {
            ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                          "webauthn: trust anchor \"%s\" has expired",
                          item.subject);

        } else if (item.not_after - now <= NGX_HTTP_WEBAUTHN_TRUST_WARN) {
            ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                          "webauthn: trust anchor \"%s\" expires in %T "
                          "days", item.subject,
                          (time_t) ((item.not_after - now) / 86400));
        }
    }
}


char *
ngx_http_webauthn_enroll_merge(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *prev, ngx_http_webauthn_loc_conf_t *conf)
{
    ngx_http_webauthn_main_conf_t  *wmcf;

    ngx_conf_merge_str_value(conf->rp_name, prev->rp_name, "");
    ngx_conf_merge_uint_value(conf->attestation, prev->attestation,
                              WA_ATTESTATION_NONE);
    ngx_conf_merge_ptr_value(conf->aaguid_allow, prev->aaguid_allow, NULL);
    ngx_conf_merge_sec_value(conf->invitation_ttl, prev->invitation_ttl,
                             NGX_HTTP_WEBAUTHN_INVITATION_TTL);

    /* like the content handlers they set, not inherited */

    if (conf->enroll == NGX_CONF_UNSET_UINT) {
        conf->enroll = NGX_HTTP_WEBAUTHN_ENROLL_OFF;
    }

    if (conf->admin == NGX_CONF_UNSET) {
        conf->admin = 0;
    }

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_webauthn_module);

    if (conf->admin && wmcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_redis\" is required where "
                           "\"webauthn_admin\" is used");
        return NGX_CONF_ERROR;
    }

    if (conf->enroll == NGX_HTTP_WEBAUTHN_ENROLL_OFF) {
        return NGX_CONF_OK;
    }

    /*
     * an enrollment location checks an assertion (adding a device) as
     * auth_webauthn does, so it needs what auth_webauthn needs (the
     * module's merge checks it), and never signs for AWS; with
     * "auth_webauthn off" in the location itself it takes invitations only
     */

    if (ngx_http_webauthn_checks_assertions(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->attestation == WA_ATTESTATION_TRUSTED && wmcf->trust == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_attestation trusted\" needs "
                           "\"webauthn_trust_anchors\" or \"webauthn_mds\"");
        return NGX_CONF_ERROR;
    }

    if (conf->aaguid_allow && conf->attestation != WA_ATTESTATION_TRUSTED) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"webauthn_aaguid_allow\" has no effect without "
                           "\"webauthn_attestation trusted\": an untrusted "
                           "AAGUID is whatever the client claims");
    }

    conf->reg_policy.algs = ngx_http_webauthn_enroll_algs;
    conf->reg_policy.nalgs = NGX_HTTP_WEBAUTHN_ENROLL_NALGS;
    conf->reg_policy.attestation = (int) conf->attestation;
    conf->reg_policy.trust = wmcf->trust;

    if (conf->aaguid_allow) {
        conf->reg_policy.aaguid_allow = conf->aaguid_allow->elts;
        conf->reg_policy.naaguid_allow = conf->aaguid_allow->nelts;
    }

    /*
     * SHA-1 attestation signatures, as Windows Hello TPMs make them, are
     * taken (as py_webauthn and SimpleWebAuthn do); SHA-1 credential
     * keys never (they are not offered)
     */

    conf->reg_policy.allow_sha1 = 1;
    conf->reg_policy.allow_sha1_keys = 0;
    conf->reg_policy.safetynet_cts = 1;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_webauthn_invitation_hash(ngx_pool_t *pool, ngx_str_t *token,
    ngx_str_t *hash)
{
    u_char  digest[WA_SHA256_LEN];

    hash->data = ngx_pnalloc(pool, 2 * WA_SHA256_LEN);
    if (hash->data == NULL) {
        return NGX_ERROR;
    }

    wa_sha256(digest, token->data, token->len);
    wa_hex((char *) hash->data, digest, WA_SHA256_LEN);
    hash->len = 2 * WA_SHA256_LEN;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_enroll_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_webauthn_loc_conf_t   *wlcf;

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (wlcf->enroll == NGX_HTTP_WEBAUTHN_ENROLL_OPTIONS) {

        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_webauthn_enroll_start(r);

        if (rc == NGX_DONE) {
            r->main->count++;
        }

        return rc;
    }

    /* the registration: the body first */

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_webauthn_enroll_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_webauthn_enroll_body(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_http_webauthn_enroll_ctx_t  *ec;

    rc = ngx_http_webauthn_enroll_start(r);

    if (rc == NGX_DONE) {
        return;
    }

    ec = ngx_http_webauthn_enroll_ctx(r);

    if (ec) {
        ngx_http_webauthn_enroll_finish(ec, rc);
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * who enrolls: the person an invitation names, or the owner of the
 * credential whose assertion the access phase verified; then the store
 * says who that is (enroll_info).  NGX_DONE when under way, else a status
 */

static ngx_int_t
ngx_http_webauthn_enroll_start(ngx_http_request_t *r)
{
    ngx_str_t                        token;
    ngx_pool_cleanup_t              *cln;
    ngx_http_webauthn_ctx_t         *actx;
    ngx_http_webauthn_enroll_ctx_t  *ec;
    ngx_http_webauthn_main_conf_t   *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    ec = ngx_pcalloc(r->pool, sizeof(ngx_http_webauthn_enroll_ctx_t));
    if (ec == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_webauthn_enroll_cleanup;
    cln->data = ec;

    ec->request = r;
    ec->wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    ec->store.store = &wmcf->store;
    ec->store.pool = r->pool;
    ec->store.log = r->connection->log;
    ec->store.handler = ngx_http_webauthn_enroll_info_done;
    ec->store.data = ec;
    ec->store.enroll = &ec->enroll;

    if (ec->wlcf->enroll == NGX_HTTP_WEBAUTHN_ENROLL_REGISTER) {
        if (ngx_http_webauthn_read_body(r, WA_REGISTRATION_MAX, &ec->body)
            != NGX_OK)
        {
            return ngx_http_webauthn_enroll_refuse(ec,
                                           WA_ERR_CREDENTIAL_MALFORMED,
                                           "credential is missing or longer "
                                           "than 65536 bytes");
        }
    }

    actx = ngx_http_webauthn_get_ctx(r);

    if (actx && actx->verified) {

        /* a device added: the user of the credential just verified */

        ec->assertion = 1;
        ec->enroll.user_name = actx->cred.user_name;
        ec->enroll.roles = actx->cred.roles;

    } else {
        if (ngx_http_webauthn_invitation(r, &token) != NGX_OK
            || token.len == 0 || token.len > NGX_HTTP_WEBAUTHN_TOKEN_MAX)
        {
            return ngx_http_webauthn_enroll_refuse(ec,
                                           WA_ERR_INVITATION_INVALID,
                                           "no invitation or assertion");
        }

        if (ngx_http_webauthn_invitation_hash(r->pool, &token,
                                              &ec->enroll.invite)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_webauthn_store_enroll_info(&ec->store) != NGX_OK) {
        return ngx_http_webauthn_enroll_fault(ec, &ec->store.reason);
    }

    return NGX_DONE;
}


static void
ngx_http_webauthn_enroll_info_done(ngx_http_webauthn_store_req_t *sr)
{
    ngx_int_t                        rc;
    ngx_http_webauthn_ctx_t         *actx;
    ngx_http_webauthn_enroll_ctx_t  *ec;

    ec = sr->data;

    if (sr->rc != NGX_HTTP_WEBAUTHN_STORE_OK) {
        rc = ngx_http_webauthn_enroll_store_refused(ec, sr);
        ngx_http_webauthn_enroll_finish(ec, rc);
        return;
    }

    if (ec->assertion) {
        /*
         * a device added gets the roles of the credential that proved
         * who this is; a credential stored by hand has no user record,
         * its handle is the user's
         */

        actx = ngx_http_webauthn_get_ctx(ec->request);
        ec->enroll.roles = actx->cred.roles;

        if (ec->enroll.user_handle.len == 0) {
            ec->enroll.user_handle = actx->cred.handle;
        }
    }

    if (ec->enroll.display_name.len == 0) {
        ec->enroll.display_name = ec->enroll.user_name;
    }

    if (ec->enroll.user_handle.len == 0) {
        ngx_str_t  reason = ngx_string("the user has no user handle");

        rc = ngx_http_webauthn_enroll_fault(ec, &reason);
        ngx_http_webauthn_enroll_finish(ec, rc);
        return;
    }

    ngx_http_webauthn_enroll_bind(ec);

    if (ec->wlcf->enroll == NGX_HTTP_WEBAUTHN_ENROLL_OPTIONS) {
        rc = ngx_http_webauthn_enroll_options(ec);
        ngx_http_webauthn_enroll_finish(ec, rc);
        return;
    }

    rc = ngx_http_webauthn_enroll_verify(ec);

    if (rc != NGX_DONE) {
        ngx_http_webauthn_enroll_finish(ec, rc);
    }
}


/*
 * the challenge is bound to what the enrollment is for: the invitation,
 * or the user adding a device; so one issued for one enrollment passes
 * for no other (wa_challenge_check_register())
 */

static void
ngx_http_webauthn_enroll_bind(ngx_http_webauthn_enroll_ctx_t *ec)
{
    u_char     *p;
    ngx_str_t  *what;
    u_char      buf[sizeof("user") + 128];

    if (ec->assertion) {
        p = ngx_cpymem(buf, "user", sizeof("user"));
        what = &ec->enroll.user_handle;

    } else {
        p = ngx_cpymem(buf, "invitation", sizeof("invitation"));
        what = &ec->enroll.invite;
    }

    if (what->len > 128) {
        /* a stored handle is at most 86 characters, a hash 64 */
        ngx_memzero(ec->binding, sizeof(ec->binding));
        return;
    }

    p = ngx_cpymem(p, what->data, what->len);

    wa_sha256(ec->binding, buf, p - buf);
}


/* WebAuthn L3, 5.4: PublicKeyCredentialCreationOptionsJSON */

static ngx_int_t
ngx_http_webauthn_enroll_options(ngx_http_webauthn_enroll_ctx_t *ec)
{
    json_t                         *body, *params, *exclude;
    ngx_int_t                       rc;
    ngx_str_t                      *ids, *name;
    ngx_uint_t                      i;
    ngx_http_request_t             *r;
    ngx_http_webauthn_loc_conf_t   *wlcf;
    ngx_http_webauthn_main_conf_t  *wmcf;
    u_char                          raw[WA_CHALLENGE_LEN];
    u_char                          challenge[WA_CHALLENGE_B64_LEN];

    r = ec->request;
    wlcf = ec->wlcf;
    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (wa_challenge_issue_register(raw, wmcf->secret.data, wmcf->secret.len,
                                    (char *) wlcf->rp_id.data,
                                    wlcf->rp_id.len, ec->binding,
                                    ngx_http_webauthn_now(),
                                    wlcf->challenge_timeout)
        != 0)
    {
        ngx_ssl_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "webauthn: wa_challenge_issue_register() failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    wa_b64url_encode(challenge, raw, sizeof(raw));

    ngx_http_webauthn_metrics_inc(challenges);

    params = json_array();
    exclude = json_array();

    if (params == NULL || exclude == NULL) {
        json_decref(params);
        json_decref(exclude);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < NGX_HTTP_WEBAUTHN_ENROLL_NALGS; i++) {
        if (json_array_append_new(params,
                                  json_pack("{s:s, s:i}", "type",
                                            "public-key", "alg",
                                            ngx_http_webauthn_enroll_algs[i]))
            != 0)
        {
            goto failed;
        }
    }

    ids = ec->enroll.cred_ids->elts;

    for (i = 0; i < ec->enroll.cred_ids->nelts; i++) {
        if (json_array_append_new(exclude,
                                  json_pack("{s:s, s:s%}", "type",
                                            "public-key", "id",
                                            (char *) ids[i].data,
                                            ids[i].len))
            != 0)
        {
            goto failed;
        }
    }

    name = wlcf->rp_name.len ? &wlcf->rp_name : &wlcf->rp_id;

    /* json_pack() steals the references of "o" */

    body = json_pack("{s:{s:s%, s:s%}, s:{s:s%, s:s%, s:s%}, s:s%, s:o, "
                     "s:I, s:s, s:{s:s, s:s}, s:o}",
                     "rp",
                         "id", (char *) wlcf->rp_id.data, wlcf->rp_id.len,
                         "name", (char *) name->data, name->len,
                     "user",
                         "id", (char *) ec->enroll.user_handle.data,
                             ec->enroll.user_handle.len,
                         "name", (char *) ec->enroll.user_name.data,
                             ec->enroll.user_name.len,
                         "displayName",
                             (char *) ec->enroll.display_name.data,
                             ec->enroll.display_name.len,
                     "challenge", (char *) challenge, sizeof(challenge),
                     "pubKeyCredParams", params,
                     "timeout", (json_int_t) wlcf->challenge_timeout,
                     "attestation",
                         (wlcf->attestation == WA_ATTESTATION_NONE)
                         ? "none" : "direct",
                     "authenticatorSelection",
                         "residentKey", "preferred",
                         "userVerification",
                         ngx_http_webauthn_uv_name(wlcf->user_verification),
                     "excludeCredentials", exclude);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                     &ngx_http_webauthn_enroll_json_type,
                                     body);
    json_decref(body);

    return rc;

failed:

    json_decref(params);
    json_decref(exclude);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* WebAuthn L3, 7.1, by the core; then the store's write */

static ngx_int_t
ngx_http_webauthn_enroll_verify(ngx_http_webauthn_enroll_ctx_t *ec)
{
    u_char                        *p;
    size_t                         n;
    wa_err_t                       err;
    const char                    *detail;
    wa_reg_policy_t                policy;
    ngx_http_request_t            *r;
    ngx_http_webauthn_enroll_t    *e;

    r = ec->request;
    e = &ec->enroll;
    detail = NULL;

    err = wa_registration_parse(&ec->reg, ec->body.data, ec->body.len,
                                &detail);

    if (err == WA_OK) {
        policy = ec->wlcf->reg_policy;
        policy.base = ec->wlcf->policy;
        policy.base.check_challenge = ngx_http_webauthn_enroll_challenge;
        policy.base.check_challenge_data = ec;
        policy.now_s = (int64_t) ngx_time();

        err = wa_registration_check(&ec->reg, &policy, &detail);
    }

    if (err != WA_OK) {
        if (err == WA_ERR_INTERNAL) {
            ngx_http_webauthn_log_internal(r, detail);
        }

        return ngx_http_webauthn_enroll_refuse(ec, err, detail);
    }

    /* what the store keeps: README, "Redis schema" */

    e->cred_id.data = (u_char *) ec->reg.cred_id;
    e->cred_id.len = ec->reg.cred_id_len;

    n = wa_b64url_encoded_len(ec->reg.public_key_len);
    p = ngx_pnalloc(r->pool, n);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    e->public_key.data = p;
    e->public_key.len = wa_b64url_encode(p, ec->reg.public_key,
                                         ec->reg.public_key_len);

    e->aaguid.data = (u_char *) ec->reg.aaguid_text;
    e->aaguid.len = WA_AAGUID_TEXT_LEN;
    e->attestation_format.data = (u_char *) ec->reg.fmt;
    e->attestation_format.len = ngx_strlen(ec->reg.fmt);
    e->transports.data = (u_char *) ec->reg.transports;
    e->transports.len = ngx_strlen(ec->reg.transports);
    e->sign_count = ec->reg.sign_count;
    e->backup_eligible = (ec->reg.flags & WA_FLAG_BE) ? 1 : 0;
    e->backup_state = (ec->reg.flags & WA_FLAG_BS) ? 1 : 0;
    e->issued = ec->challenge.issued_ms;
    e->expires_ms = ec->challenge.expires_ms;
    e->nonce = ec->challenge.nonce;

    ec->registered = 1;
    ec->store.handler = ngx_http_webauthn_enroll_stored;

    if (ngx_http_webauthn_store_register(&ec->store) != NGX_OK) {
        return ngx_http_webauthn_enroll_fault(ec, &ec->store.reason);
    }

    return NGX_DONE;
}


static wa_err_t
ngx_http_webauthn_enroll_challenge(void *data, const unsigned char *challenge,
    size_t len, const char **detail)
{
    ngx_http_webauthn_enroll_ctx_t *ec = data;

    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(ec->request,
                                         ngx_http_webauthn_module);

    return wa_challenge_check_register(challenge, len, wmcf->secret.data,
                                       wmcf->secret.len,
                                       (char *) ec->wlcf->rp_id.data,
                                       ec->wlcf->rp_id.len, ec->binding,
                                       ngx_http_webauthn_now(),
                                       ec->wlcf->challenge_timeout,
                                       &ec->challenge, detail);
}


static void
ngx_http_webauthn_enroll_stored(ngx_http_webauthn_store_req_t *sr)
{
    json_t                          *body;
    ngx_int_t                        rc;
    ngx_http_request_t              *r;
    ngx_http_webauthn_enroll_ctx_t  *ec;

    ec = sr->data;
    r = ec->request;

    if (sr->rc != NGX_HTTP_WEBAUTHN_STORE_OK) {
        rc = ngx_http_webauthn_enroll_store_refused(ec, sr);
        goto done;
    }

    ngx_http_webauthn_metrics_registration(WA_OK);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "webauthn: registered credential \"%V\" of \"%V\", "
                  "format \"%s\", aaguid %s%s", &ec->enroll.cred_id,
                  &ec->enroll.user_name, ec->reg.fmt, ec->reg.aaguid_text,
                  ec->reg.trusted ? ", trusted" : "");

    body = json_pack("{s:s%, s:s%, s:s, s:s}",
                     "id", (char *) ec->enroll.cred_id.data,
                         ec->enroll.cred_id.len,
                     "user_name", (char *) ec->enroll.user_name.data,
                         ec->enroll.user_name.len,
                     "attestation_format", ec->reg.fmt,
                     "aaguid", ec->reg.aaguid_text);
    if (body == NULL) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    rc = ngx_http_webauthn_send_json(r, NGX_HTTP_CREATED,
                                     &ngx_http_webauthn_enroll_json_type,
                                     body);
    json_decref(body);

done:

    ngx_http_webauthn_enroll_finish(ec, rc);
}


/* what the store's answer (not OK) means for the client */

static ngx_int_t
ngx_http_webauthn_enroll_store_refused(ngx_http_webauthn_enroll_ctx_t *ec,
    ngx_http_webauthn_store_req_t *sr)
{
    ngx_int_t  rc;

    switch (sr->rc) {

    case NGX_HTTP_WEBAUTHN_STORE_INVITATION:
        rc = ngx_http_webauthn_enroll_refuse(ec, WA_ERR_INVITATION_INVALID,
                                             "invitation is unknown, "
                                             "expired or used");
        break;

    case NGX_HTTP_WEBAUTHN_STORE_RESET:
        rc = ngx_http_webauthn_enroll_refuse(ec, WA_ERR_CHALLENGE_INVALID,
                                             "challenge was issued before "
                                             "the store lost its data");
        break;

    case NGX_HTTP_WEBAUTHN_STORE_REPLAYED:
        rc = ngx_http_webauthn_enroll_refuse(ec, WA_ERR_CHALLENGE_INVALID,
                                             "challenge was already used");
        break;

    case NGX_HTTP_WEBAUTHN_STORE_EXISTS:
        rc = ngx_http_webauthn_enroll_refuse(ec, WA_ERR_CREDENTIAL_EXISTS,
                                             "credential id is already "
                                             "registered");
        break;

    case NGX_HTTP_WEBAUTHN_STORE_STALE:
        rc = ngx_http_webauthn_enroll_refuse(ec, WA_ERR_CHALLENGE_INVALID,
                                             "the user changed since the "
                                             "options were issued");
        break;

    default:
        rc = ngx_http_webauthn_enroll_fault(ec, &sr->reason);
        break;
    }

    return rc;
}


/*
 * a refusal of the enrollment: 400 but for invitation_invalid (401) and
 * credential_exists (409); one line at "info" in the error log
 */

static ngx_int_t
ngx_http_webauthn_enroll_refuse(ngx_http_webauthn_enroll_ctx_t *ec,
    wa_err_t err, const char *detail)
{
    ngx_uint_t  status;

    switch (err) {

    case WA_ERR_INVITATION_INVALID:
        status = NGX_HTTP_UNAUTHORIZED;
        break;

    case WA_ERR_CREDENTIAL_EXISTS:
        status = NGX_HTTP_CONFLICT;
        break;

    case WA_ERR_INTERNAL:
        status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        break;

    default:
        status = NGX_HTTP_BAD_REQUEST;
        break;
    }

    if (err != WA_ERR_INTERNAL) {
        ngx_log_error(NGX_LOG_INFO, ec->request->connection->log, 0,
                      "webauthn: registration refused: %s: %s",
                      wa_err_code(err), detail ? detail : "-");
    }

    ngx_http_webauthn_metrics_registration(err);

    return ngx_http_webauthn_problem(ec->request, status, err, detail);
}


/* the store failed: 503, its reason in the log once */

static ngx_int_t
ngx_http_webauthn_enroll_fault(ngx_http_webauthn_enroll_ctx_t *ec,
    ngx_str_t *reason)
{
    ngx_log_error(NGX_LOG_ERR, ec->request->connection->log, 0,
                  "webauthn: store_unavailable: %V", reason);

    ngx_http_webauthn_metrics_registration(WA_ERR_STORE_UNAVAILABLE);

    return ngx_http_webauthn_problem(ec->request,
                                     NGX_HTTP_SERVICE_UNAVAILABLE,
                                     WA_ERR_STORE_UNAVAILABLE, NULL);
}


static void
ngx_http_webauthn_enroll_finish(ngx_http_webauthn_enroll_ctx_t *ec,
    ngx_int_t rc)
{
    ngx_connection_t  *c;

    c = ec->request->connection;

    ngx_http_finalize_request(ec->request, rc);
    ngx_http_run_posted_requests(c);
}


static ngx_http_webauthn_enroll_ctx_t *
ngx_http_webauthn_enroll_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_webauthn_enroll_cleanup) {
            return cln->data;
        }
    }

    return NULL;
}


static void
ngx_http_webauthn_enroll_cleanup(void *data)
{
    ngx_http_webauthn_enroll_ctx_t *ec = data;

    ngx_http_webauthn_store_cancel(&ec->store);
    wa_registration_free(&ec->reg);
}
