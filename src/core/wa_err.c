
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include "wa_internal.h"


typedef struct {
    const char  *code;
    const char  *title;
    int          status;
} wa_err_info_t;


static const wa_err_info_t  wa_err_info[] = {
    { "ok", "OK", 200 },
    { "credential_missing", "Credential missing", 401 },
    { "credential_malformed", "Malformed credential", 401 },
    { "credential_unknown", "Unknown credential", 401 },
    { "credential_revoked", "Revoked credential", 401 },
    { "client_data_invalid", "Invalid client data", 401 },
    { "challenge_invalid", "Invalid challenge", 401 },
    { "origin_not_allowed", "Origin not allowed", 401 },
    { "rp_id_mismatch", "Relying party ID mismatch", 401 },
    { "user_not_present", "User not present", 401 },
    { "user_not_verified", "User not verified", 401 },
    { "user_handle_mismatch", "User handle mismatch", 401 },
    { "algorithm_unsupported", "Unsupported algorithm", 401 },
    { "signature_invalid", "Invalid signature", 401 },
    { "sign_count_regressed", "Signature counter regressed", 401 },
    { "store_unavailable", "Credential store unavailable", 503 },
    { "internal_error", "Internal error", 500 }
};


static const wa_err_info_t *
wa_err_lookup(wa_err_t err)
{
    if ((unsigned) err >= WA_ERR_LAST) {
        return &wa_err_info[WA_ERR_INTERNAL];
    }

    return &wa_err_info[err];
}


const char *
wa_err_code(wa_err_t err)
{
    return wa_err_lookup(err)->code;
}


const char *
wa_err_title(wa_err_t err)
{
    return wa_err_lookup(err)->title;
}


int
wa_err_status(wa_err_t err)
{
    return wa_err_lookup(err)->status;
}


int
wa_err_is_client(wa_err_t err)
{
    return wa_err_lookup(err)->status == 401;
}
