
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include <ngx_http_webauthn.h>


static ngx_str_t  ngx_http_webauthn_json_type =
    ngx_string("application/json");


/*
 * the challenge endpoint: WebAuthn L3, 5.5,
 * PublicKeyCredentialRequestOptionsJSON, with a sealed challenge
 * (design.md, "Challenges"); no store is written
 */

ngx_int_t
ngx_http_webauthn_challenge_handler(ngx_http_request_t *r)
{
    json_t                        *body;
    ngx_int_t                      rc;
    ngx_str_t                      challenge;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (ngx_http_webauthn_issue(r, wlcf, &challenge) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body = json_pack("{s:s%,s:s%,s:I,s:s}",
                     "challenge", (char *) challenge.data, challenge.len,
                     "rpId", (char *) wlcf->rp_id.data, wlcf->rp_id.len,
                     "timeout", (json_int_t) wlcf->challenge_timeout,
                     "userVerification",
                     ngx_http_webauthn_uv_name(wlcf->user_verification));
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                     &ngx_http_webauthn_json_type, body);

    json_decref(body);

    return rc;
}


/* a fresh sealed challenge, base64url, under this location's policy */

ngx_int_t
ngx_http_webauthn_issue(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_str_t *challenge)
{
    ngx_http_webauthn_main_conf_t  *wmcf;
    u_char                          raw[WA_CHALLENGE_LEN];

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (wa_challenge_issue(raw, wmcf->secret.data, wmcf->secret.len,
                           (char *) wlcf->rp_id.data, wlcf->rp_id.len,
                           ngx_http_webauthn_now(), wlcf->challenge_timeout)
        != 0)
    {
        ngx_ssl_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "webauthn: wa_challenge_issue() failed");
        return NGX_ERROR;
    }

    challenge->data = ngx_pnalloc(r->pool, WA_CHALLENGE_B64_LEN);
    if (challenge->data == NULL) {
        return NGX_ERROR;
    }

    challenge->len = wa_b64url_encode(challenge->data, raw, sizeof(raw));

    ngx_http_webauthn_metrics_inc(challenges);

    return NGX_OK;
}


/* WebAuthn L3, 5.8.6: UserVerificationRequirement */

const char *
ngx_http_webauthn_uv_name(ngx_uint_t uv)
{
    switch (uv) {
    case WA_UV_REQUIRED:
        return "required";
    case WA_UV_DISCOURAGED:
        return "discouraged";
    default:
        return "preferred";
    }
}
