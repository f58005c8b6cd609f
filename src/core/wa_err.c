
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include "wa_internal.h"


/* the stable codes; HTTP statuses and titles are the glue's */

static const char  *wa_err_codes[] = {
    [WA_OK] = "ok",
    [WA_ERR_CREDENTIAL_MISSING] = "credential_missing",
    [WA_ERR_CREDENTIAL_MALFORMED] = "credential_malformed",
    [WA_ERR_CREDENTIAL_UNKNOWN] = "credential_unknown",
    [WA_ERR_CREDENTIAL_REVOKED] = "credential_revoked",
    [WA_ERR_CLIENT_DATA_INVALID] = "client_data_invalid",
    [WA_ERR_CHALLENGE_INVALID] = "challenge_invalid",
    [WA_ERR_ORIGIN_NOT_ALLOWED] = "origin_not_allowed",
    [WA_ERR_RP_ID_MISMATCH] = "rp_id_mismatch",
    [WA_ERR_USER_NOT_PRESENT] = "user_not_present",
    [WA_ERR_USER_NOT_VERIFIED] = "user_not_verified",
    [WA_ERR_USER_HANDLE_MISMATCH] = "user_handle_mismatch",
    [WA_ERR_ALGORITHM_UNSUPPORTED] = "algorithm_unsupported",
    [WA_ERR_SIGNATURE_INVALID] = "signature_invalid",
    [WA_ERR_SIGN_COUNT_REGRESSED] = "sign_count_regressed",
    [WA_ERR_STORE_UNAVAILABLE] = "store_unavailable",
    [WA_ERR_ROLE_FORBIDDEN] = "role_forbidden",
    [WA_ERR_AWS_CREDENTIALS_UNAVAILABLE] = "aws_credentials_unavailable",
    [WA_ERR_INVITATION_INVALID] = "invitation_invalid",
    [WA_ERR_ATTESTATION_MALFORMED] = "attestation_malformed",
    [WA_ERR_ATTESTATION_INVALID] = "attestation_invalid",
    [WA_ERR_ATTESTATION_UNTRUSTED] = "attestation_untrusted",
    [WA_ERR_CREDENTIAL_EXISTS] = "credential_exists",
    [WA_ERR_REQUEST_INVALID] = "request_invalid",
    [WA_ERR_NOT_FOUND] = "not_found",
    [WA_ERR_TOKEN_INVALID] = "token_invalid",
    [WA_ERR_TOKEN_EXPIRED] = "token_expired",
    [WA_ERR_REAUTHENTICATION_REQUIRED] = "reauthentication_required",
    [WA_ERR_INTERNAL] = "internal_error"
};

/* a code for every wa_err_t: the build fails when the table falls short */
typedef char wa_err_codes_check[(sizeof(wa_err_codes)
                                 / sizeof(wa_err_codes[0]) == WA_ERR_LAST)
                                ? 1 : -1];


const char *
wa_err_code(wa_err_t err)
{
    if ((unsigned) err >= WA_ERR_LAST || wa_err_codes[err] == NULL) {
        return wa_err_codes[WA_ERR_INTERNAL];
    }

    return wa_err_codes[err];
}
