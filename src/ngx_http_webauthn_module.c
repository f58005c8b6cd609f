
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* directives, configuration, phases; the rest is in the files that
 * ngx_http_webauthn.h lists */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>


#define NGX_HTTP_WEBAUTHN_CHALLENGE_TIMEOUT  60000     /* ms */


static void *ngx_http_webauthn_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_webauthn_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_webauthn_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_webauthn_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_webauthn_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_webauthn_init_process(ngx_cycle_t *cycle);
static void ngx_http_webauthn_exit_process(ngx_cycle_t *cycle);
static void ngx_http_webauthn_exit_master(ngx_cycle_t *cycle);
static void ngx_http_webauthn_wipe(void *data);

static char *ngx_http_webauthn_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_challenge(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_challenge_secret(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_conf_enum_t  ngx_http_webauthn_attestation[] = {
    { ngx_string("none"), WA_ATTESTATION_NONE },
    { ngx_string("any"), WA_ATTESTATION_ANY },
    { ngx_string("trusted"), WA_ATTESTATION_TRUSTED },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_webauthn_uv[] = {
    { ngx_string("required"), WA_UV_REQUIRED },
    { ngx_string("preferred"), WA_UV_PREFERRED },
    { ngx_string("discouraged"), WA_UV_DISCOURAGED },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_webauthn_commands[] = {

    { ngx_string("webauthn_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_webauthn_main_conf_t, redis),
      NULL },

    { ngx_string("webauthn_challenge_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_challenge_secret,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_webauthn_key_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_webauthn_main_conf_t, cache_zone),
      &ngx_http_webauthn_module },

    { ngx_string("webauthn_rp_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, rp_id),
      NULL },

    { ngx_string("webauthn_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_allow_cross_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, allow_cross_origin),
      NULL },

    { ngx_string("webauthn_challenge_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, challenge_timeout),
      NULL },

    { ngx_string("webauthn_challenge"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webauthn_challenge,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_webauthn"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, realm),
      NULL },

    { ngx_string("auth_webauthn_user_verification"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, user_verification),
      &ngx_http_webauthn_uv },

    { ngx_string("webauthn_aws_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_aws_credentials,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_webauthn_main_conf_t, aws_zone),
      &ngx_http_webauthn_module },

    { ngx_string("webauthn_aws_sign"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, aws_sign),
      NULL },

    { ngx_string("webauthn_aws_region"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, aws_region),
      NULL },

    { ngx_string("webauthn_aws_service"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, aws_service),
      NULL },

    { ngx_string("webauthn_aws_host"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, aws_host),
      NULL },

    { ngx_string("webauthn_aws_role"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_webauthn_aws_role,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_aws_role_duration"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, aws_role_duration),
      &ngx_http_webauthn_aws_duration_post },

    { ngx_string("webauthn_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webauthn_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    /* sessions and policy (ngx_http_webauthn_session.c) */

    { ngx_string("webauthn_session_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_webauthn_session_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_session_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, session_ttl),
      NULL },

    { ngx_string("webauthn_session_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_webauthn_session_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_session"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webauthn_session,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_webauthn_roles"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_1MORE,
      ngx_http_webauthn_roles,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_webauthn_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, max_age),
      NULL },

    { ngx_string("auth_webauthn_preflight"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, preflight),
      NULL },

    /* enrollment and administration (ngx_http_webauthn_enroll.c, _admin.c) */

    { ngx_string("webauthn_rp_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, rp_name),
      NULL },

    { ngx_string("webauthn_attestation"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, attestation),
      &ngx_http_webauthn_attestation },

    { ngx_string("webauthn_trust_anchors"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_webauthn_main_conf_t, trust_anchors),
      NULL },

    { ngx_string("webauthn_mds"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_webauthn_mds,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_aaguid_allow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_aaguid_allow,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_invitation_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, invitation_ttl),
      NULL },

    { ngx_string("webauthn_register_options"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webauthn_register,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_WEBAUTHN_ENROLL_OPTIONS,
      NULL },

    { ngx_string("webauthn_register"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webauthn_register,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_WEBAUTHN_ENROLL_REGISTER,
      NULL },

    { ngx_string("webauthn_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_webauthn_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    /* TLS of the AWS credential sources (ngx_http_webauthn_event_ssl.c) */

    { ngx_string("webauthn_aws_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_webauthn_main_conf_t, aws_trusted_certificate),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_webauthn_module_ctx = {
    ngx_http_webauthn_add_variables,       /* preconfiguration */
    ngx_http_webauthn_init,                /* postconfiguration */

    ngx_http_webauthn_create_main_conf,    /* create main configuration */
    ngx_http_webauthn_init_main_conf,      /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_webauthn_create_loc_conf,     /* create location configuration */
    ngx_http_webauthn_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_webauthn_module = {
    NGX_MODULE_V1,
    &ngx_http_webauthn_module_ctx,         /* module context */
    ngx_http_webauthn_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_webauthn_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_webauthn_exit_process,        /* exit process */
    ngx_http_webauthn_exit_master,         /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_webauthn_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_main_conf_t));
    if (wmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     wmcf->redis = NULL;
     *     wmcf->store = { 0 };
     *     wmcf->secret = { 0, NULL };
     *     wmcf->secret_file = { 0, NULL };
     *     wmcf->cache_zone = NULL;
     *     wmcf->aws_trusted_certificate = { 0, NULL };
     *     wmcf->aws_ssl = NULL;
     */

    return wmcf;
}


static char *
ngx_http_webauthn_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    ngx_pool_cleanup_t  *cln;

    if (ngx_http_webauthn_store_init(&wmcf->store, wmcf->redis) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (wmcf->redis
        && ngx_http_webauthn_redis_init_conf(cf, wmcf->redis) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_webauthn_trust_init(cf, wmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (wmcf->secret.data == NULL) {

        /* a key of this configuration alone; see README */

        wmcf->secret.len = WA_CHALLENGE_KEY_MIN;
        wmcf->secret.data = ngx_pnalloc(cf->pool, wmcf->secret.len);
        if (wmcf->secret.data == NULL) {
            return NGX_CONF_ERROR;
        }

        if (wa_random(wmcf->secret.data, wmcf->secret.len) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "webauthn: RAND_bytes() failed");
            return NGX_CONF_ERROR;
        }
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_webauthn_wipe;
    cln->data = wmcf;

    return NGX_CONF_OK;
}


/* key material does not outlive its configuration */

static void
ngx_http_webauthn_wipe(void *data)
{
    ngx_http_webauthn_main_conf_t *wmcf = data;

    if (wmcf->secret.data) {
        wa_memzero(wmcf->secret.data, wmcf->secret.len);
    }

    if (wmcf->redis) {
        ngx_http_webauthn_redis_wipe_conf(wmcf->redis);
    }
}


static void *
ngx_http_webauthn_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_webauthn_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->rp_id = { 0, NULL };
     *     conf->policy = { 0 };
     */

    conf->origins = NGX_CONF_UNSET_PTR;
    conf->allow_cross_origin = NGX_CONF_UNSET;
    conf->challenge_timeout = NGX_CONF_UNSET_MSEC;
    conf->realm = NGX_CONF_UNSET_PTR;
    conf->user_verification = NGX_CONF_UNSET_UINT;
    conf->challenge = NGX_CONF_UNSET;
    conf->aws_sign = NGX_CONF_UNSET;
    conf->aws_roles = NGX_CONF_UNSET_PTR;
    conf->aws_role_duration = NGX_CONF_UNSET;
    conf->enroll = NGX_CONF_UNSET_UINT;
    conf->admin = NGX_CONF_UNSET;
    conf->attestation = NGX_CONF_UNSET_UINT;
    conf->aaguid_allow = NGX_CONF_UNSET_PTR;
    conf->invitation_ttl = NGX_CONF_UNSET;
    conf->session = NGX_CONF_UNSET;
    conf->session_ttl = NGX_CONF_UNSET;
    conf->roles = NGX_CONF_UNSET_PTR;
    conf->max_age = NGX_CONF_UNSET;
    conf->preflight = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_webauthn_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_webauthn_loc_conf_t *prev = parent;
    ngx_http_webauthn_loc_conf_t *conf = child;

    ngx_uint_t                      enroll;
    ngx_http_webauthn_main_conf_t  *wmcf;

    ngx_conf_merge_str_value(conf->rp_id, prev->rp_id, "");
    ngx_conf_merge_ptr_value(conf->origins, prev->origins, NULL);
    ngx_conf_merge_value(conf->allow_cross_origin, prev->allow_cross_origin,
                         0);
    ngx_conf_merge_msec_value(conf->challenge_timeout,
                              prev->challenge_timeout,
                              NGX_HTTP_WEBAUTHN_CHALLENGE_TIMEOUT);
    ngx_conf_merge_ptr_value(conf->realm, prev->realm, NULL);
    ngx_conf_merge_uint_value(conf->user_verification,
                              prev->user_verification, WA_UV_PREFERRED);
    if (ngx_http_webauthn_aws_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_webauthn_enroll_merge(cf, prev, conf) != NGX_CONF_OK
        || ngx_http_webauthn_session_merge(cf, prev, conf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* TLS of the AWS credential sources: loaded where signing is on */

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_webauthn_module);

    if (conf->aws_sign && wmcf->aws_ssl == NULL) {
        if (ngx_http_webauthn_peer_ssl(cf, &wmcf->aws_trusted_certificate,
                                       &wmcf->aws_ssl)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        /* OpenSSL's record buffer keeps no plaintext (a secret) once read */

        if (wmcf->aws_ssl) {
            SSL_CTX_set_options(wmcf->aws_ssl->ctx, SSL_OP_CLEANSE_PLAINTEXT);
        }
    }

    /*
     * STS's answers, read with libxml2 by the workers: every block it
     * frees wiped (the master, before any worker parses; once a process)
     */

    if (conf->aws_sign && wa_xml_memory_init() != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "xmlMemSetup() failed");
        return NGX_CONF_ERROR;
    }

    /* like the content handler it sets, not inherited */

    if (conf->challenge == NGX_CONF_UNSET) {
        conf->challenge = 0;
    }

    /* challenges are for clients that have no assertion yet */

    if (conf->challenge) {
        conf->realm = NULL;
    }

    /* enrollment needs the policy, with or without auth_webauthn */

    enroll = (conf->enroll != NGX_HTTP_WEBAUTHN_ENROLL_OFF);

    if (conf->realm == NULL && !conf->challenge && !enroll) {
        return NGX_CONF_OK;
    }

    if (conf->realm && conf->realm->lengths == NULL
        && conf->realm->value.len == 3
        && ngx_strncmp(conf->realm->value.data, "off", 3) == 0)
    {
        conf->realm = NULL;

        if (!conf->challenge && !enroll) {
            return NGX_CONF_OK;
        }
    }

    if (conf->rp_id.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_rp_id\" is required where "
                           "\"auth_webauthn\", \"webauthn_challenge\" or "
                           "enrollment is used");
        return NGX_CONF_ERROR;
    }

    if (conf->rp_id.len > NGX_HTTP_WEBAUTHN_RP_ID_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_rp_id\" \"%V\" is longer than a "
                           "domain name can be", &conf->rp_id);
        return NGX_CONF_ERROR;
    }

    if ((conf->realm || enroll) && conf->origins == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_origin\" is required where "
                           "\"auth_webauthn\" or enrollment is used");
        return NGX_CONF_ERROR;
    }

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_webauthn_module);

    if ((conf->realm || enroll) && wmcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webauthn_redis\" is required where "
                           "\"auth_webauthn\" or enrollment is used");
        return NGX_CONF_ERROR;
    }

    /* WebAuthn L3, 7.2, step 15: the hash of the RP ID, computed once */

    wa_sha256(conf->policy.rp_id_hash, conf->rp_id.data, conf->rp_id.len);

    if (conf->origins) {
        conf->policy.origins = conf->origins->elts;
        conf->policy.norigins = conf->origins->nelts;
    }

    conf->policy.allow_cross_origin = conf->allow_cross_origin;
    conf->policy.user_verification = (int) conf->user_verification;

    conf->reg_policy.base = conf->policy;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_webauthn_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    if (ngx_http_webauthn_metrics_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    /*
     * jansson's memory functions (the core's wa_json.c): the assertions'
     * JSON parsed on the stack, the credential endpoints' answers wiped as
     * they are freed (the master, before any worker parses; once a
     * process, again at a reload: the same functions)
     */

    wa_json_memory_init();

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_webauthn_access_handler;

    /* subrequests skip the access phase; see ngx_http_webauthn_access.c */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_webauthn_subrequest_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_init_process(ngx_cycle_t *cycle)
{
    return ngx_http_webauthn_revocations_init_process(cycle);
}


static void
ngx_http_webauthn_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_webauthn_module);

    ngx_http_webauthn_revocations_cleanup();
    ngx_http_webauthn_session_cleanup();

    if (wmcf && wmcf->redis) {
        ngx_http_webauthn_redis_cleanup(wmcf->redis);
    }

    ngx_http_webauthn_pkey_cleanup();
    ngx_http_webauthn_aws_cleanup();
    ngx_http_webauthn_aws_creds_cleanup();
    wa_core_cleanup();
}


/*
 * the master (or the single process, after exit_process: the cleanup is
 * idempotent) fetched the core's digests when the configuration was read
 */

static void
ngx_http_webauthn_exit_master(ngx_cycle_t *cycle)
{
    wa_core_cleanup();
}


/* webauthn_origin origin ...; an origin is scheme://host[:port] */

static char *
ngx_http_webauthn_origin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    u_char       *colon;
    ngx_str_t    *value;
    ngx_uint_t    i;
    wa_origin_t  *o;

    if (wlcf->origins != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    wlcf->origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                     sizeof(wa_origin_t));
    if (wlcf->origins == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        /* an origin is scheme "://" host [ ":" port ], no path */

        colon = ngx_strlchr(value[i].data, value[i].data + value[i].len, ':');

        if (colon == NULL || colon == value[i].data
            || value[i].data[value[i].len - 1] == '/')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\": an origin is "
                               "scheme://host[:port], with no path and no "
                               "trailing slash", &value[i]);
            return NGX_CONF_ERROR;
        }

        o = ngx_array_push(wlcf->origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        o->data = (char *) value[i].data;
        o->len = value[i].len;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_webauthn_challenge(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (wlcf->challenge != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    wlcf->challenge = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_webauthn_challenge_handler;

    return NGX_CONF_OK;
}


/* webauthn_challenge_secret file; read here, so errors name this line */

static char *
ngx_http_webauthn_challenge_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    char             *rv;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value;
    ngx_file_info_t   fi;

    if (wmcf->secret_file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    wmcf->secret_file = value[1];

    if (ngx_conf_full_name(cf->cycle, &wmcf->secret_file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(wmcf->secret_file.data, NGX_FILE_RDONLY,
                       NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed",
                           &wmcf->secret_file);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &wmcf->secret_file);
        goto done;
    }

    if (ngx_file_size(&fi) < WA_CHALLENGE_KEY_MIN
        || ngx_file_size(&fi) > WA_CHALLENGE_KEY_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must hold 32 to 4096 bytes",
                           &wmcf->secret_file);
        goto done;
    }

    wmcf->secret.len = (size_t) ngx_file_size(&fi);
    wmcf->secret.data = ngx_pnalloc(cf->pool, wmcf->secret.len);
    if (wmcf->secret.data == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, wmcf->secret.data, wmcf->secret.len);

    if (n != (ssize_t) wmcf->secret.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", &wmcf->secret_file);
        wa_memzero(wmcf->secret.data, wmcf->secret.len);
        ngx_str_null(&wmcf->secret);
        goto done;
    }

    rv = NGX_CONF_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &wmcf->secret_file);
    }

    return rv;
}


/*
 * a location of the module's own endpoints that takes assertions
 * (enrollment, sessions): it checks them as auth_webauthn "webauthn" does
 * where no auth_webauthn is set, and never signs for AWS
 */

ngx_int_t
ngx_http_webauthn_checks_assertions(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *conf)
{
    if (conf->realm == NULL) {
        conf->realm = ngx_pcalloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (conf->realm == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(&conf->realm->value, "webauthn");
    }

    conf->aws_sign = 0;

    return NGX_OK;
}
