
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
    json_t        *root, *v;
    json_error_t   jerr;

    memset(cd, 0, sizeof(wa_client_data_t));

    /*
     * WebAuthn L3, 7.2, steps 8-9: jansson decodes UTF-8 (refusing
     * invalid sequences) and parses JSON; a member given twice makes its
     * meaning ambiguous, so it is refused
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
wa_client_data_free(wa_client_data_t *cd)
{
    if (cd == NULL || cd->root == NULL) {
        return;
    }

    json_decref((json_t *) cd->root);
    cd->root = NULL;
}
