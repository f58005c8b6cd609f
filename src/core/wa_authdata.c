
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* authenticator data, WebAuthn L3, 6.1 */


#include <string.h>

#include "wa_internal.h"


/* WebAuthn L3, 6.5.1: aaguid (16), credentialIdLength (2) */
#define WA_ATTESTED_HEAD_LEN    18


wa_err_t
wa_auth_data_parse(wa_auth_data_t *ad, const unsigned char *p, size_t len,
    const char **detail)
{
    int     major;
    size_t  pos, used, id_len;

    memset(ad, 0, sizeof(wa_auth_data_t));

    /* rpIdHash (32), flags (1), signCount (4, big endian) */

    if (p == NULL || len < WA_AUTH_DATA_MIN) {
        wa_set_detail(detail, "authenticator data is shorter than 37 bytes");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    ad->rp_id_hash = p;
    ad->flags = p[32];
    ad->sign_count = (uint32_t) p[33] << 24 | (uint32_t) p[34] << 16
                     | (uint32_t) p[35] << 8 | (uint32_t) p[36];

    pos = WA_AUTH_DATA_MIN;

    if (ad->flags & WA_FLAG_AT) {

        /* WebAuthn L3, 6.5.1: attested credential data */

        if (len - pos < WA_ATTESTED_HEAD_LEN) {
            wa_set_detail(detail, "authenticator data AT flag is set but "
                                  "attested credential data is cut short");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        ad->aaguid = p + pos;
        id_len = (size_t) p[pos + 16] << 8 | p[pos + 17];
        pos += WA_ATTESTED_HEAD_LEN;

        /* WebAuthn L3, 4, "Credential ID" */

        if (id_len > WA_CRED_ID_MAX) {
            wa_set_detail(detail, "attested credential ID is longer than "
                                  "1023 bytes");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        if (len - pos < id_len) {
            wa_set_detail(detail, "attested credential ID is cut short");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        ad->cred_id = p + pos;
        ad->cred_id_len = id_len;
        pos += id_len;

        if (wa_cbor_item(p + pos, len - pos, &used, &major) != 0) {
            wa_set_detail(detail, "attested credential public key is not "
                                  "well-formed CBOR");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        if (major != WA_CBOR_MAJOR_MAP) {
            wa_set_detail(detail, "attested credential public key is not "
                                  "a CBOR map");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        ad->cred_key = p + pos;
        ad->cred_key_len = used;
        pos += used;
    }

    if (ad->flags & WA_FLAG_ED) {

        /* extensions: one CBOR map, to the end */

        if (pos == len) {
            wa_set_detail(detail, "authenticator data ED flag is set but "
                                  "extensions are absent");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        if (wa_cbor_item(p + pos, len - pos, &used, &major) != 0) {
            wa_set_detail(detail, "authenticator data extensions are not "
                                  "well-formed CBOR");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        if (major != WA_CBOR_MAJOR_MAP) {
            wa_set_detail(detail, "authenticator data extensions are not "
                                  "a CBOR map");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        ad->extensions = p + pos;
        ad->extensions_len = used;
        pos += used;
    }

    if (pos != len) {
        wa_set_detail(detail, "authenticator data has trailing bytes");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    /* WebAuthn L3, 7.2, step 18: BS only with BE */

    if ((ad->flags & WA_FLAG_BS) && !(ad->flags & WA_FLAG_BE)) {
        wa_set_detail(detail, "authenticator data BS flag is set "
                              "without BE");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    return WA_OK;
}
