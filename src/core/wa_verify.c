
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <stdlib.h>
#include <string.h>

#include "wa_internal.h"


static wa_err_t wa_verify_origin(const wa_client_data_t *cd,
    const wa_policy_t *policy, const char **detail);
static int wa_verify_origin_allowed(const wa_policy_t *policy,
    const char *origin, size_t len);
static wa_err_t wa_verify_auth_data(wa_assertion_t *a, const char **detail);


wa_err_t
wa_assertion_parse(wa_assertion_t *a, const unsigned char *token, size_t len,
    const char **detail)
{
    int             rc;
    size_t          jlen;
    wa_err_t        err;
    unsigned char  *json;

    memset(a, 0, sizeof(wa_assertion_t));

    if (len == 0) {
        wa_set_detail(detail, "credential is empty");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    /* padded base64 of WA_ASSERTION_MAX bytes at most */

    if (len > (WA_ASSERTION_MAX + 2) / 3 * 4) {
        wa_set_detail(detail, "credential is too long");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    rc = wa_b64url_decode_alloc(&json, &jlen, token, len);

    if (rc == -2) {
        wa_set_detail(detail, "out of memory");
        return WA_ERR_INTERNAL;
    }

    if (rc != 0) {
        wa_set_detail(detail, "credential is not base64url");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (jlen > WA_ASSERTION_MAX) {
        free(json);
        wa_set_detail(detail, "credential is too long");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    err = wa_json_parse_envelope(a, json, jlen, detail);

    free(json);

    return err;
}


wa_err_t
wa_assertion_check(wa_assertion_t *a, const wa_policy_t *policy,
    const char **detail)
{
    int                rc;
    wa_err_t           err;
    wa_client_data_t   cd;

    if (a->client_data == NULL || a->auth_data == NULL) {
        wa_set_detail(detail, "assertion was not parsed");
        return WA_ERR_INTERNAL;
    }

    free(a->challenge);
    a->challenge = NULL;
    a->challenge_len = 0;

    /* WebAuthn L3, 7.2, steps 8-9: clientDataJSON parsed as JSON */

    err = wa_json_parse_client_data(&cd, a->client_data, a->client_data_len,
                                    detail);
    if (err != WA_OK) {
        goto done;
    }

    /* WebAuthn L3, 7.2, step 11: C.type */

    if (cd.type_len != sizeof("webauthn.get") - 1
        || memcmp(cd.type, "webauthn.get", sizeof("webauthn.get") - 1) != 0)
    {
        wa_set_detail(detail, "clientDataJSON \"type\" is not "
                              "\"webauthn.get\"");
        err = WA_ERR_CLIENT_DATA_INVALID;
        goto done;
    }

    /* WebAuthn L3, 7.2, step 12: C.challenge, compared decoded */

    rc = wa_b64url_decode_alloc(&a->challenge, &a->challenge_len,
                                (const unsigned char *) cd.challenge,
                                cd.challenge_len);
    if (rc == -2) {
        wa_set_detail(detail, "out of memory");
        err = WA_ERR_INTERNAL;
        goto done;
    }

    if (rc != 0) {
        wa_set_detail(detail, "clientDataJSON \"challenge\" is not base64url");
        err = WA_ERR_CHALLENGE_INVALID;
        goto done;
    }

    if (policy->check_challenge == NULL) {
        wa_set_detail(detail, "no challenge check configured");
        err = WA_ERR_INTERNAL;
        goto done;
    }

    err = policy->check_challenge(policy->check_challenge_data, a->challenge,
                                  a->challenge_len, detail);
    if (err != WA_OK) {
        goto done;
    }

    /* WebAuthn L3, 7.2, steps 13-14 */

    err = wa_verify_origin(&cd, policy, detail);
    if (err != WA_OK) {
        goto done;
    }

    err = wa_verify_auth_data(a, detail);
    if (err != WA_OK) {
        goto done;
    }

    /* WebAuthn L3, 7.2, step 15: rpIdHash */

    if (!wa_memeq(a->auth_data, policy->rp_id_hash, WA_SHA256_LEN)) {
        wa_set_detail(detail, "authenticator data rpIdHash is not the "
                              "hash of the relying party ID");
        err = WA_ERR_RP_ID_MISMATCH;
        goto done;
    }

    /* WebAuthn L3, 7.2, step 16: user present */

    if (!(a->flags & WA_FLAG_UP)) {
        wa_set_detail(detail, "authenticator data UP flag is not set");
        err = WA_ERR_USER_NOT_PRESENT;
        goto done;
    }

    /* WebAuthn L3, 7.2, step 17: user verified, when required */

    if (policy->user_verification == WA_UV_REQUIRED
        && !(a->flags & WA_FLAG_UV))
    {
        wa_set_detail(detail, "user verification is required but the "
                              "UV flag is not set");
        err = WA_ERR_USER_NOT_VERIFIED;
        goto done;
    }

    /* WebAuthn L3, 7.2, step 20: hash of the client data */

    wa_sha256(a->cdata_hash, a->client_data, a->client_data_len);

    err = WA_OK;

done:

    wa_json_client_data_free(&cd);

    return err;
}


static wa_err_t
wa_verify_origin(const wa_client_data_t *cd, const wa_policy_t *policy,
    const char **detail)
{
    /* WebAuthn L3, 7.2, step 13: an origin the relying party expects */

    if (!wa_verify_origin_allowed(policy, cd->origin, cd->origin_len)) {
        wa_set_detail(detail, "clientDataJSON \"origin\" is not allowed");
        return WA_ERR_ORIGIN_NOT_ALLOWED;
    }

    /*
     * WebAuthn L3, 7.2, step 14: use in a cross-origin iframe only when
     * allowed, and then its top-level origin must be expected too
     */

    if (!cd->cross_origin && cd->top_origin == NULL) {
        return WA_OK;
    }

    if (!policy->allow_cross_origin) {
        wa_set_detail(detail, "cross-origin use is not allowed");
        return WA_ERR_ORIGIN_NOT_ALLOWED;
    }

    if (cd->top_origin == NULL) {
        wa_set_detail(detail, "clientDataJSON \"crossOrigin\" is true "
                              "but \"topOrigin\" is absent");
        return WA_ERR_ORIGIN_NOT_ALLOWED;
    }

    if (!wa_verify_origin_allowed(policy, cd->top_origin,
                                  cd->top_origin_len))
    {
        wa_set_detail(detail, "clientDataJSON \"topOrigin\" is not allowed");
        return WA_ERR_ORIGIN_NOT_ALLOWED;
    }

    return WA_OK;
}


static int
wa_verify_origin_allowed(const wa_policy_t *policy, const char *origin,
    size_t len)
{
    size_t  i;

    for (i = 0; i < policy->norigins; i++) {
        if (policy->origins[i].len == len
            && memcmp(policy->origins[i].data, origin, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* WebAuthn L3, 6.1: authenticator data */

static wa_err_t
wa_verify_auth_data(wa_assertion_t *a, const char **detail)
{
    int                   major;
    size_t                pos, used, id_len;
    const unsigned char  *p;

    p = a->auth_data;

    if (a->auth_data_len < WA_AUTH_DATA_MIN) {
        wa_set_detail(detail, "authenticator data is shorter than 37 bytes");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    a->flags = p[32];
    a->sign_count = (uint32_t) p[33] << 24 | (uint32_t) p[34] << 16
                    | (uint32_t) p[35] << 8 | (uint32_t) p[36];

    pos = WA_AUTH_DATA_MIN;

    if (a->flags & WA_FLAG_AT) {

        /* WebAuthn L3, 6.5.1: aaguid (16), credentialIdLength (2) */

        if (a->auth_data_len - pos < 18) {
            wa_set_detail(detail, "authenticator data AT flag is set but "
                                  "attested credential data is cut short");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        id_len = (size_t) p[pos + 16] << 8 | p[pos + 17];
        pos += 18;

        if (id_len > WA_CRED_ID_MAX) {
            wa_set_detail(detail, "attested credential ID is longer than "
                                  "1023 bytes");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        if (a->auth_data_len - pos < id_len) {
            wa_set_detail(detail, "attested credential ID is cut short");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        pos += id_len;

        if (wa_cbor_item(p + pos, a->auth_data_len - pos, &used, &major)
            != 0)
        {
            wa_set_detail(detail, "attested credential public key is not "
                                  "well-formed CBOR");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        if (major != WA_CBOR_MAJOR_MAP) {
            wa_set_detail(detail, "attested credential public key is not "
                                  "a CBOR map");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        pos += used;
    }

    if (a->flags & WA_FLAG_ED) {

        /* WebAuthn L3, 6.1: extensions, one CBOR map to the end */

        if (pos == a->auth_data_len) {
            wa_set_detail(detail, "authenticator data ED flag is set but "
                                  "extensions are absent");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        if (wa_cbor_item(p + pos, a->auth_data_len - pos, &used, &major)
            != 0)
        {
            wa_set_detail(detail, "authenticator data extensions are not "
                                  "well-formed CBOR");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        if (major != WA_CBOR_MAJOR_MAP) {
            wa_set_detail(detail, "authenticator data extensions are not "
                                  "a CBOR map");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        pos += used;
    }

    if (pos != a->auth_data_len) {
        wa_set_detail(detail, "authenticator data has trailing bytes");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    /* WebAuthn L3, 7.2, step 18: BS only with BE */

    if ((a->flags & WA_FLAG_BS) && !(a->flags & WA_FLAG_BE)) {
        wa_set_detail(detail, "authenticator data BS flag is set "
                              "without BE");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    return WA_OK;
}


wa_err_t
wa_assertion_verify(wa_assertion_t *a, wa_pkey_t *key,
    const unsigned char *stored_user_handle, size_t stored_user_handle_len,
    const char **detail)
{
    /*
     * WebAuthn L3, 7.2, step 6: the user handle, when given, is the one of
     * the account the credential belongs to
     */

    if (a->user_handle != NULL && stored_user_handle != NULL) {
        if (a->user_handle_len != stored_user_handle_len
            || !wa_memeq(a->user_handle, stored_user_handle,
                         stored_user_handle_len))
        {
            wa_set_detail(detail, "userHandle is not the one of the "
                                  "credential's user");
            return WA_ERR_USER_HANDLE_MISMATCH;
        }
    }

    if (a->auth_data == NULL || a->signature == NULL) {
        wa_set_detail(detail, "assertion was not parsed");
        return WA_ERR_INTERNAL;
    }

    /* WebAuthn L3, 7.2, step 21: sig over authData || hash */

    return wa_pkey_verify(key, a->auth_data, a->auth_data_len, a->cdata_hash,
                          a->signature, a->signature_len, detail);
}


/* WebAuthn L3, 7.2, step 22 */

wa_err_t
wa_sign_count_check(uint32_t stored, uint32_t received, const char **detail)
{
    if (stored == 0 && received == 0) {
        return WA_OK;
    }

    if (received > stored) {
        return WA_OK;
    }

    wa_set_detail(detail, "signature counter is not greater than the "
                          "stored one");

    return WA_ERR_SIGN_COUNT_REGRESSED;
}


void
wa_assertion_free(wa_assertion_t *a)
{
    if (a == NULL) {
        return;
    }

    free(a->raw_id);
    free(a->cred_id);
    free(a->client_data);
    free(a->auth_data);
    free(a->signature);
    free(a->user_handle);
    free(a->challenge);

    memset(a, 0, sizeof(wa_assertion_t));
}
