
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The assertion: its envelope (PublicKeyCredential.toJSON(), WebAuthn L3,
 * 5.1) and the relying party's checks of the authentication ceremony,
 * WebAuthn L3, 7.2
 */


#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wa_internal.h"


static wa_err_t wa_assertion_envelope(wa_assertion_t *a,
    const unsigned char *json, size_t len, const char **detail);
static int wa_assertion_origin_allowed(const wa_policy_t *policy,
    const char *origin, size_t len);
static char *wa_assertion_strdup(const char *s, size_t len);


static const wa_envelope_member_t  wa_envelope_id = {
    "id",
    "credential has no \"id\"",
    "credential \"id\" is not a string",
    "credential \"id\" is not base64url"
};

static const wa_envelope_member_t  wa_envelope_raw_id = {
    "rawId",
    "credential has no \"rawId\"",
    "credential \"rawId\" is not a string",
    "credential \"rawId\" is not base64url"
};

static const wa_envelope_member_t  wa_envelope_client_data = {
    "clientDataJSON",
    "credential response has no \"clientDataJSON\"",
    "credential \"clientDataJSON\" is not a string",
    "credential \"clientDataJSON\" is not base64url"
};

static const wa_envelope_member_t  wa_envelope_auth_data = {
    "authenticatorData",
    "credential response has no \"authenticatorData\"",
    "credential \"authenticatorData\" is not a string",
    "credential \"authenticatorData\" is not base64url"
};

static const wa_envelope_member_t  wa_envelope_signature = {
    "signature",
    "credential response has no \"signature\"",
    "credential \"signature\" is not a string",
    "credential \"signature\" is not base64url"
};

static const wa_envelope_member_t  wa_envelope_user_handle = {
    "userHandle",
    "credential response has no \"userHandle\"",
    "credential \"userHandle\" is neither a string nor null",
    "credential \"userHandle\" is not base64url"
};


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

    err = wa_assertion_envelope(a, json, jlen, detail);

    free(json);

    return err;
}


static wa_err_t
wa_assertion_envelope(wa_assertion_t *a, const unsigned char *json,
    size_t len, const char **detail)
{
    json_t               *root, *v, *resp;
    wa_err_t              rc;
    json_error_t          jerr;
    wa_json_arena_t       arena;
    wa_json_arena_buf_t   buf;

    /* jansson's blocks on the stack, all freed with the root */

    wa_json_arena_begin(&arena, buf.data, sizeof(buf.data));

    root = json_loadb((const char *) json, len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        wa_json_arena_end(&arena);
        wa_set_detail(detail, "credential is not valid JSON");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (!json_is_object(root)) {
        wa_set_detail(detail, "credential is not a JSON object");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    rc = wa_envelope_credential_id(root, WA_CRED_ID_MAX, &a->raw_id,
                                   &a->raw_id_len,
                                   &a->cred_id, &a->cred_id_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    resp = json_object_get(root, "response");
    if (resp == NULL) {
        wa_set_detail(detail, "credential has no \"response\"");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    if (!json_is_object(resp)) {
        wa_set_detail(detail, "credential \"response\" is not an object");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    rc = wa_envelope_member(resp, &wa_envelope_client_data, &a->client_data,
                            &a->client_data_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_envelope_member(resp, &wa_envelope_auth_data, &a->auth_data,
                            &a->auth_data_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_envelope_member(resp, &wa_envelope_signature, &a->signature,
                            &a->signature_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    if (a->signature_len == 0) {
        wa_set_detail(detail, "credential \"signature\" is empty");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    v = json_object_get(resp, "userHandle");

    if (v != NULL && !json_is_null(v)) {
        rc = wa_envelope_member(resp, &wa_envelope_user_handle,
                                &a->user_handle, &a->user_handle_len,
                                detail);
        if (rc != WA_OK) {
            goto done;
        }

        /* an empty user handle is taken as an absent one */

        if (a->user_handle_len == 0) {
            free(a->user_handle);
            a->user_handle = NULL;

        } else if (a->user_handle_len > WA_USER_HANDLE_MAX) {
            /* WebAuthn L3, 4, "User Handle": at most 64 bytes */
            wa_set_detail(detail,
                          "credential \"userHandle\" is longer than 64 bytes");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }
    }

    rc = WA_OK;

done:

    json_decref(root);

    if (wa_json_arena_end(&arena) != 0) {
        wa_set_detail(detail,
                      "a block of the credential's JSON outlived it");
        return WA_ERR_INTERNAL;
    }

    return rc;
}


/*
 * The members of PublicKeyCredential.toJSON() every ceremony has: type
 * "public-key", id and rawId, equal, 1 to 1023 bytes; *cred_id gets the
 * canonical base64url of the raw id, NUL-terminated
 */

wa_err_t
wa_envelope_credential_id(void *object, size_t max, unsigned char **raw_id,
    size_t *raw_id_len, char **cred_id, size_t *cred_id_len,
    const char **detail)
{
    size_t          id_len;
    json_t         *root, *v, *r;
    wa_err_t        rc;
    const char     *s;
    unsigned char  *id;

    root = object;
    id = NULL;

    v = json_object_get(root, "type");
    if (v == NULL) {
        wa_set_detail(detail, "credential has no \"type\"");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    s = json_string_value(v);

    if (s == NULL
        || json_string_length(v) != sizeof("public-key") - 1
        || memcmp(s, "public-key", sizeof("public-key") - 1) != 0)
    {
        wa_set_detail(detail, "credential \"type\" is not \"public-key\"");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    rc = wa_envelope_member(root, &wa_envelope_id, &id, &id_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    v = json_object_get(root, "rawId");
    r = json_object_get(root, "id");

    if (json_is_string(v)
        && json_string_length(v) == json_string_length(r)
        && memcmp(json_string_value(v), json_string_value(r),
                  json_string_length(v)) == 0)
    {
        /* the same text as "id" (the usual case): decoded once */

        *raw_id = id;
        *raw_id_len = id_len;
        id = NULL;

    } else {
        rc = wa_envelope_member(root, &wa_envelope_raw_id, raw_id,
                                raw_id_len, detail);
        if (rc != WA_OK) {
            goto done;
        }
    }

    if (*raw_id_len == 0) {
        wa_set_detail(detail, "credential \"rawId\" is empty");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    /* WebAuthn L3, 4, "Credential ID": at most 1023 bytes */

    if (*raw_id_len > max) {
        wa_set_detail(detail, "credential \"rawId\" is longer than 1023 bytes");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    if (id != NULL
        && (id_len != *raw_id_len || memcmp(id, *raw_id, id_len) != 0))
    {
        wa_set_detail(detail, "credential \"id\" and \"rawId\" differ");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    *cred_id = malloc(wa_b64url_encoded_len(*raw_id_len) + 1);
    if (*cred_id == NULL) {
        wa_set_detail(detail, "out of memory");
        rc = WA_ERR_INTERNAL;
        goto done;
    }

    *cred_id_len = wa_b64url_encode((unsigned char *) *cred_id, *raw_id,
                                    *raw_id_len);
    (*cred_id)[*cred_id_len] = '\0';

    rc = WA_OK;

done:

    free(id);

    return rc;
}


wa_err_t
wa_envelope_member(void *object, const wa_envelope_member_t *m,
    unsigned char **dst, size_t *dlen, const char **detail)
{
    int      rc;
    json_t  *v;

    v = json_object_get(object, m->name);
    if (v == NULL) {
        wa_set_detail(detail, m->missing);
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (!json_is_string(v)) {
        wa_set_detail(detail, m->mistyped);
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    rc = wa_b64url_decode_alloc(dst, dlen,
                                (const unsigned char *) json_string_value(v),
                                json_string_length(v));

    if (rc == -2) {
        wa_set_detail(detail, "out of memory");
        return WA_ERR_INTERNAL;
    }

    if (rc != 0) {
        wa_set_detail(detail, m->invalid);
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    return WA_OK;
}


wa_err_t
wa_assertion_check(wa_assertion_t *a, const wa_policy_t *policy,
    const char **detail)
{
    wa_err_t              err;
    wa_auth_data_t        ad;
    wa_json_arena_t       arena;
    wa_client_data_t      cd;
    wa_json_arena_buf_t   buf;

    if (a->client_data == NULL || a->auth_data == NULL) {
        wa_set_detail(detail, "assertion was not parsed");
        return WA_ERR_INTERNAL;
    }

    free(a->challenge);
    free(a->origin);
    free(a->top_origin);
    a->challenge = NULL;
    a->challenge_len = 0;
    a->origin = NULL;
    a->origin_len = 0;
    a->top_origin = NULL;
    a->top_origin_len = 0;
    a->cross_origin = 0;

    /* WebAuthn L3, 7.2, steps 8-14; jansson's blocks on the stack */

    wa_json_arena_begin(&arena, buf.data, sizeof(buf.data));

    err = wa_client_data_check(&cd, a->client_data, a->client_data_len,
                               "webauthn.get", policy, &a->challenge,
                               &a->challenge_len, detail);
    if (err != WA_OK) {
        goto done;
    }

    /* WebAuthn L3, 6.1, with 7.2, step 18 */

    err = wa_auth_data_parse(&ad, a->auth_data, a->auth_data_len, detail);
    if (err != WA_OK) {
        goto done;
    }

    a->flags = ad.flags;
    a->sign_count = ad.sign_count;

    /* WebAuthn L3, 7.2, steps 15-17 */

    err = wa_flags_check(ad.rp_id_hash, ad.flags, policy, detail);
    if (err != WA_OK) {
        goto done;
    }

    /* WebAuthn L3, 7.2, step 20: hash of the client data */

    wa_sha256(a->cdata_hash, a->client_data, a->client_data_len);

    /* what wa_assertion_recheck() checks again */

    a->origin = wa_assertion_strdup(cd.origin, cd.origin_len);

    if (cd.top_origin != NULL) {
        a->top_origin = wa_assertion_strdup(cd.top_origin,
                                            cd.top_origin_len);
    }

    if (a->origin == NULL
        || (cd.top_origin != NULL && a->top_origin == NULL))
    {
        free(a->origin);
        free(a->top_origin);
        a->origin = NULL;
        a->top_origin = NULL;
        wa_set_detail(detail, "out of memory");
        err = WA_ERR_INTERNAL;
        goto done;
    }

    a->origin_len = cd.origin_len;
    a->top_origin_len = (cd.top_origin != NULL) ? cd.top_origin_len : 0;
    a->cross_origin = cd.cross_origin;

    err = WA_OK;

done:

    wa_client_data_free(&cd);

    if (wa_json_arena_end(&arena) != 0) {
        wa_set_detail(detail, "a block of clientDataJSON outlived it");
        return WA_ERR_INTERNAL;
    }

    return err;
}


wa_err_t
wa_assertion_recheck(const wa_assertion_t *a, const wa_policy_t *policy,
    const char **detail)
{
    wa_err_t  err;

    if (a->origin == NULL || a->auth_data == NULL
        || a->auth_data_len < WA_AUTH_DATA_MIN)
    {
        wa_set_detail(detail, "assertion was not checked");
        return WA_ERR_INTERNAL;
    }

    /* WebAuthn L3, 7.2, steps 12-14 */

    err = wa_origin_check(a->origin, a->origin_len, a->top_origin,
                              a->top_origin_len, a->cross_origin, policy,
                              detail);
    if (err != WA_OK) {
        return err;
    }

    /* WebAuthn L3, 7.2, steps 15-17; rpIdHash leads authenticator data */

    return wa_flags_check(a->auth_data, a->flags, policy, detail);
}


wa_err_t
wa_origin_check(const char *origin, size_t origin_len,
    const char *top_origin, size_t top_origin_len, int cross_origin,
    const wa_policy_t *policy, const char **detail)
{
    /* WebAuthn L3, 7.2, step 12: an origin the relying party expects */

    if (!wa_assertion_origin_allowed(policy, origin, origin_len)) {
        wa_set_detail(detail, "clientDataJSON \"origin\" is not allowed");
        return WA_ERR_ORIGIN_NOT_ALLOWED;
    }

    /*
     * WebAuthn L3, 7.2, steps 13-14: use in a cross-origin iframe only
     * when allowed, and then its top-level origin must be expected too
     */

    if (!cross_origin && top_origin == NULL) {
        return WA_OK;
    }

    if (!policy->allow_cross_origin) {
        wa_set_detail(detail, "cross-origin use is not allowed");
        return WA_ERR_ORIGIN_NOT_ALLOWED;
    }

    if (top_origin == NULL) {
        wa_set_detail(detail, "clientDataJSON \"crossOrigin\" is true "
                              "but \"topOrigin\" is absent");
        return WA_ERR_ORIGIN_NOT_ALLOWED;
    }

    if (!wa_assertion_origin_allowed(policy, top_origin, top_origin_len)) {
        wa_set_detail(detail, "clientDataJSON \"topOrigin\" is not allowed");
        return WA_ERR_ORIGIN_NOT_ALLOWED;
    }

    return WA_OK;
}


static int
wa_assertion_origin_allowed(const wa_policy_t *policy, const char *origin,
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


wa_err_t
wa_flags_check(const unsigned char *rp_id_hash, unsigned flags,
    const wa_policy_t *policy, const char **detail)
{
    /* WebAuthn L3, 7.2, step 15: rpIdHash */

    if (!wa_memeq(rp_id_hash, policy->rp_id_hash, WA_SHA256_LEN)) {
        wa_set_detail(detail, "authenticator data rpIdHash is not the "
                              "hash of the relying party ID");
        return WA_ERR_RP_ID_MISMATCH;
    }

    /* WebAuthn L3, 7.2, step 16: user present */

    if (!(flags & WA_FLAG_UP)) {
        wa_set_detail(detail, "authenticator data UP flag is not set");
        return WA_ERR_USER_NOT_PRESENT;
    }

    /* WebAuthn L3, 7.2, step 17: user verified, when required */

    if (policy->user_verification == WA_UV_REQUIRED
        && !(flags & WA_FLAG_UV))
    {
        wa_set_detail(detail, "user verification is required but the "
                              "UV flag is not set");
        return WA_ERR_USER_NOT_VERIFIED;
    }

    return WA_OK;
}


static char *
wa_assertion_strdup(const char *s, size_t len)
{
    char  *p;

    p = malloc(len + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, s, len);
    p[len] = '\0';

    return p;
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
    free(a->origin);
    free(a->top_origin);

    memset(a, 0, sizeof(wa_assertion_t));
}
