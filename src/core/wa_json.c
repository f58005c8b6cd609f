
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wa_internal.h"


typedef struct {
    const char  *name;
    const char  *missing;
    const char  *mistyped;
    const char  *invalid;
} wa_json_member_t;


static wa_err_t wa_json_decode_member(json_t *obj, const wa_json_member_t *m,
    unsigned char **dst, size_t *dlen, const char **detail);


static const wa_json_member_t  wa_json_id = {
    "id",
    "credential has no \"id\"",
    "credential \"id\" is not a string",
    "credential \"id\" is not base64url"
};

static const wa_json_member_t  wa_json_raw_id = {
    "rawId",
    "credential has no \"rawId\"",
    "credential \"rawId\" is not a string",
    "credential \"rawId\" is not base64url"
};

static const wa_json_member_t  wa_json_client_data = {
    "clientDataJSON",
    "credential response has no \"clientDataJSON\"",
    "credential \"clientDataJSON\" is not a string",
    "credential \"clientDataJSON\" is not base64url"
};

static const wa_json_member_t  wa_json_auth_data = {
    "authenticatorData",
    "credential response has no \"authenticatorData\"",
    "credential \"authenticatorData\" is not a string",
    "credential \"authenticatorData\" is not base64url"
};

static const wa_json_member_t  wa_json_signature = {
    "signature",
    "credential response has no \"signature\"",
    "credential \"signature\" is not a string",
    "credential \"signature\" is not base64url"
};

static const wa_json_member_t  wa_json_user_handle = {
    "userHandle",
    "credential response has no \"userHandle\"",
    "credential \"userHandle\" is neither a string nor null",
    "credential \"userHandle\" is not base64url"
};


wa_err_t
wa_json_parse_envelope(wa_assertion_t *a, const unsigned char *json,
    size_t len, const char **detail)
{
    size_t         id_len;
    json_t        *root, *v, *resp;
    wa_err_t       rc;
    const char    *s;
    json_error_t   jerr;
    unsigned char *id;

    id = NULL;

    root = json_loadb((const char *) json, len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        wa_set_detail(detail, "credential is not valid JSON");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (!json_is_object(root)) {
        wa_set_detail(detail, "credential is not a JSON object");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

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

    rc = wa_json_decode_member(root, &wa_json_id, &id, &id_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_json_decode_member(root, &wa_json_raw_id, &a->raw_id,
                               &a->raw_id_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    if (a->raw_id_len == 0) {
        wa_set_detail(detail, "credential \"rawId\" is empty");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    /* WebAuthn L3, 5.1: credential IDs are at most 1023 bytes */

    if (a->raw_id_len > WA_CRED_ID_MAX) {
        wa_set_detail(detail, "credential \"rawId\" is longer than 1023 bytes");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    if (id_len != a->raw_id_len || memcmp(id, a->raw_id, id_len) != 0) {
        wa_set_detail(detail, "credential \"id\" and \"rawId\" differ");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    a->cred_id = malloc(wa_b64url_encoded_len(a->raw_id_len) + 1);
    if (a->cred_id == NULL) {
        wa_set_detail(detail, "out of memory");
        rc = WA_ERR_INTERNAL;
        goto done;
    }

    a->cred_id_len = wa_b64url_encode((unsigned char *) a->cred_id,
                                      a->raw_id, a->raw_id_len);
    a->cred_id[a->cred_id_len] = '\0';

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

    rc = wa_json_decode_member(resp, &wa_json_client_data, &a->client_data,
                               &a->client_data_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_json_decode_member(resp, &wa_json_auth_data, &a->auth_data,
                               &a->auth_data_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_json_decode_member(resp, &wa_json_signature, &a->signature,
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
        rc = wa_json_decode_member(resp, &wa_json_user_handle,
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
            /* WebAuthn L3, 5.4.3: user handles are at most 64 bytes */
            wa_set_detail(detail,
                          "credential \"userHandle\" is longer than 64 bytes");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }
    }

    rc = WA_OK;

done:

    free(id);
    json_decref(root);

    return rc;
}


static wa_err_t
wa_json_decode_member(json_t *obj, const wa_json_member_t *m,
    unsigned char **dst, size_t *dlen, const char **detail)
{
    int      rc;
    json_t  *v;

    v = json_object_get(obj, m->name);
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
wa_json_parse_client_data(wa_client_data_t *cd, const unsigned char *json,
    size_t len, const char **detail)
{
    json_t        *root, *v;
    json_error_t   jerr;

    memset(cd, 0, sizeof(wa_client_data_t));

    /*
     * WebAuthn L3, 7.2, steps 8-9: parse it as JSON; a member given
     * twice makes its meaning ambiguous, so it is refused
     */

    root = json_loadb((const char *) json, len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        wa_set_detail(detail, "clientDataJSON is not valid JSON "
                              "or has a duplicate member");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    cd->root = root;

    if (!json_is_object(root)) {
        wa_set_detail(detail, "clientDataJSON is not a JSON object");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    v = json_object_get(root, "type");
    if (v == NULL) {
        wa_set_detail(detail, "clientDataJSON has no \"type\"");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    if (!json_is_string(v)) {
        wa_set_detail(detail, "clientDataJSON \"type\" is not a string");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    cd->type = json_string_value(v);
    cd->type_len = json_string_length(v);

    v = json_object_get(root, "challenge");
    if (v == NULL) {
        wa_set_detail(detail, "clientDataJSON has no \"challenge\"");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    if (!json_is_string(v)) {
        wa_set_detail(detail, "clientDataJSON \"challenge\" is not a string");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    cd->challenge = json_string_value(v);
    cd->challenge_len = json_string_length(v);

    v = json_object_get(root, "origin");
    if (v == NULL) {
        wa_set_detail(detail, "clientDataJSON has no \"origin\"");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    if (!json_is_string(v)) {
        wa_set_detail(detail, "clientDataJSON \"origin\" is not a string");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    cd->origin = json_string_value(v);
    cd->origin_len = json_string_length(v);

    v = json_object_get(root, "crossOrigin");

    if (v != NULL) {
        if (!json_is_boolean(v)) {
            wa_set_detail(detail,
                          "clientDataJSON \"crossOrigin\" is not a boolean");
            return WA_ERR_CLIENT_DATA_INVALID;
        }

        cd->cross_origin = json_is_true(v) ? 1 : 0;
    }

    v = json_object_get(root, "topOrigin");

    if (v != NULL) {
        if (!json_is_string(v)) {
            wa_set_detail(detail,
                          "clientDataJSON \"topOrigin\" is not a string");
            return WA_ERR_CLIENT_DATA_INVALID;
        }

        cd->top_origin = json_string_value(v);
        cd->top_origin_len = json_string_length(v);
    }

    return WA_OK;
}


void
wa_json_client_data_free(wa_client_data_t *cd)
{
    if (cd == NULL || cd->root == NULL) {
        return;
    }

    json_decref((json_t *) cd->root);
    cd->root = NULL;
}
