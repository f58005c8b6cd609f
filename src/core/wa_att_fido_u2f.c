
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* the "fido-u2f" attestation statement format, WebAuthn L3, 8.6 */


#include <string.h>

#include <openssl/x509.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/err.h>

#include "wa_internal.h"


#define WA_U2F_POINT_LEN  65            /* 0x04 || x || y, P-256 */


wa_err_t
wa_att_fido_u2f(const wa_att_in_t *in, wa_att_out_t *out, const char **detail)
{
    size_t                lens[5], sig_len, plen;
    EVP_PKEY             *evp;
    wa_err_t              err;
    unsigned char         zero, point[WA_U2F_POINT_LEN];
    const unsigned char  *parts[5], *sig;

    /* 8.6, verification procedure, step 1: {sig, x5c} */

    if (wa_cbor_bytes(wa_cbor_map_get(in->att_stmt, "sig"), &sig, &sig_len)
        != 0)
    {
        wa_set_detail(detail, "\"fido-u2f\" attestation statement has no "
                              "byte string \"sig\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    err = wa_x509_x5c(in->att_stmt, &out->x5c, detail);
    if (err != WA_OK) {
        return err;
    }

    /* step 2: exactly one certificate, its key on P-256 */

    if (out->x5c == NULL || sk_X509_num(out->x5c) != 1) {
        wa_set_detail(detail, "\"fido-u2f\" attestation statement has not "
                              "exactly one certificate in \"x5c\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    /*
     * steps 3-4: the credential public key, an EC2 P-256 key, as the
     * uncompressed point of ANSI X9.62 (RFC 5480, 2.2)
     */

    evp = wa_pkey_evp(in->cred_key);

    if (wa_pkey_alg(in->cred_key) != WA_COSE_ALG_ES256
        || EVP_PKEY_get_octet_string_param(evp,
                                           OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                           point, sizeof(point), &plen)
           != 1
        || plen != WA_U2F_POINT_LEN || point[0] != 0x04)
    {
        ERR_clear_error();
        wa_set_detail(detail, "\"fido-u2f\" credential public key is not "
                              "an ES256 key");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /*
     * step 5: verificationData = 0x00 || rpIdHash || clientDataHash ||
     * credentialId || publicKeyU2F
     */

    zero = 0x00;

    parts[0] = &zero;
    lens[0] = 1;
    parts[1] = in->ad->rp_id_hash;
    lens[1] = WA_SHA256_LEN;
    parts[2] = in->cdata_hash;
    lens[2] = WA_SHA256_LEN;
    parts[3] = in->ad->cred_id;
    lens[3] = in->ad->cred_id_len;
    parts[4] = point;
    lens[4] = WA_U2F_POINT_LEN;

    /* step 6: with the key of x5c[0], on P-256 (ES256) */

    err = wa_x509_verify(sk_X509_value((STACK_OF(X509) *) out->x5c, 0),
                         WA_COSE_ALG_ES256, parts, lens, 5, sig, sig_len,
                         detail);
    if (err != WA_OK) {
        return err;
    }

    out->type = WA_ATT_TYPE_X5C;

    return WA_OK;
}
