
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* the private umbrella header of the nginx glue */


#ifndef _NGX_HTTP_WEBAUTHN_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <wa_core.h>
#include "ngx_http_webauthn_redis.h"
#include "ngx_http_webauthn_cache.h"


#define NGX_HTTP_WEBAUTHN_SCHEME       "WebAuthn"
#define NGX_HTTP_WEBAUTHN_PREFIX       "webauthn:"
#define NGX_HTTP_WEBAUTHN_CHALLENGE_B64  76   /* base64url of 57 bytes */
#define NGX_HTTP_WEBAUTHN_NONCE_B64      22   /* base64url of 16 bytes */


typedef struct {
    ngx_http_webauthn_redis_conf_t  *redis;
    ngx_str_t                        prefix;

    ngx_str_t                        secret;        /* challenge MAC key */
    ngx_str_t                        secret_file;

    ngx_shm_zone_t                  *cache_zone;    /* NULL: no key cache */

    u_char                           script_sha[40];   /* EVALSHA */
} ngx_http_webauthn_main_conf_t;


typedef struct {
    ngx_str_t                        rp_id;
    ngx_array_t                     *origins;       /* of wa_origin_t */
    ngx_flag_t                       allow_cross_origin;
    ngx_msec_t                       challenge_timeout;
    ngx_http_complex_value_t        *realm;         /* auth_webauthn */
    ngx_uint_t                       user_verification;
    ngx_flag_t                       challenge;     /* webauthn_challenge */

    wa_policy_t                      policy;        /* built at merge */
} ngx_http_webauthn_loc_conf_t;


#endif /* _NGX_HTTP_WEBAUTHN_H_INCLUDED_ */
