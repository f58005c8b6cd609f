
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * clientDataJSON, WebAuthn L3, 5.8.1 (CollectedClientData): the members
 * the ceremonies check, as pointers into the parsed JSON
 */


#include <string.h>

#include <jansson.h>

#include "wa_internal.h"


wa_err_t
wa_client_data_parse(wa_client_data_t *cd, const unsigned char *json,
    size_t len, const char **detail)
{
    size_t         n;
    json_t        *root, *v, *st;
    const char    *s;
    json_error_t   jerr;

    memset(cd, 0, sizeof(wa_client_data_t));

    /*
     * WebAuthn L3, 7.2, steps 8-9: jansson decodes UTF-8 (refusing
     * invalid sequences) and parses JSON; a member given twice makes its
     * meaning ambiguous, so it is refused.  "\u0000" is JSON (RFC 8259,
     * 7) as any other escape: every member is read with its length, so
     * a NUL in one never shortens it
     */

    root = json_loadb((const char *) json, len,
                      JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
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

    /*
     * WebAuthn L2, 5.8.1 and 7.1, step 10 (L3 keeps the member, 5.8.1.1):
     * tokenBinding, when present, has a status of "present" or
     * "supported"; no other value is defined
     */

    v = json_object_get(root, "tokenBinding");

    if (v != NULL) {
        st = json_object_get(v, "status");
        s = json_string_value(st);
        n = json_string_length(st);

        if (!json_is_object(v) || s == NULL
            || !((n == sizeof("present") - 1
                  && memcmp(s, "present", n) == 0)
                 || (n == sizeof("supported") - 1
                     && memcmp(s, "supported", n) == 0)))
        {
            wa_set_detail(detail, "clientDataJSON \"tokenBinding\" has no "
                                  "status \"present\" or \"supported\"");
            return WA_ERR_CLIENT_DATA_INVALID;
        }
    }

    return WA_OK;
}


void
wa_client_data_free(wa_client_data_t *cd)
{
    if (cd == NULL || cd->root == NULL) {
        return;
    }

    json_decref((json_t *) cd->root);
    cd->root = NULL;
}


/*
 * What both ceremonies check of the client data, in their order (7.1,
 * steps 5-10; 7.2, steps 8-14): parsed, C.type, C.challenge (decoded into
 * a new malloc()ed *challenge, then policy->check_challenge), origin,
 * crossOrigin and topOrigin.  cd is left for the caller to read and free.
 */

wa_err_t
wa_client_data_check(wa_client_data_t *cd, const unsigned char *json,
    size_t len, const char *type, const wa_policy_t *policy,
    unsigned char **challenge, size_t *challenge_len, const char **detail)
{
    int       rc;
    size_t    tlen;
    wa_err_t  err;

    err = wa_client_data_parse(cd, json, len, detail);
    if (err != WA_OK) {
        return err;
    }

    tlen = strlen(type);

    if (cd->type_len != tlen || memcmp(cd->type, type, tlen) != 0) {
        wa_set_detail(detail, (strcmp(type, "webauthn.get") == 0)
                              ? "clientDataJSON \"type\" is not "
                                "\"webauthn.get\""
                              : "clientDataJSON \"type\" is not "
                                "\"webauthn.create\"");
        return WA_ERR_CLIENT_DATA_INVALID;
    }

    rc = wa_b64url_decode_alloc(challenge, challenge_len,
                                (const unsigned char *) cd->challenge,
                                cd->challenge_len);
    if (rc == -2) {
        wa_set_detail(detail, "out of memory");
        return WA_ERR_INTERNAL;
    }

    if (rc != 0) {
        wa_set_detail(detail, "clientDataJSON \"challenge\" is not base64url");
        return WA_ERR_CHALLENGE_INVALID;
    }

    if (policy->check_challenge == NULL) {
        wa_set_detail(detail, "no challenge check configured");
        return WA_ERR_INTERNAL;
    }

    err = policy->check_challenge(policy->check_challenge_data, *challenge,
                                  *challenge_len, detail);
    if (err != WA_OK) {
        return err;
    }

    return wa_origin_check(cd->origin, cd->origin_len, cd->top_origin,
                           cd->top_origin_len, cd->cross_origin, policy,
                           detail);
}
