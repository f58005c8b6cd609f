
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* the "apple" (Apple anonymous) attestation statement format, 8.8 */


#include <string.h>

#include <cbor.h>
#include <openssl/x509.h>
#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/err.h>

#include "wa_internal.h"


#define WA_OID_APPLE_NONCE  "1.2.840.113635.100.8.2"


/* the extension's value: SEQUENCE { nonce [1] EXPLICIT OCTET STRING } */

typedef struct {
    ASN1_OCTET_STRING  *nonce;
} wa_apple_nonce_t;


static wa_err_t wa_att_apple_nonce(const wa_att_in_t *in,
    unsigned char nonce[WA_SHA256_LEN], const char **detail);


ASN1_SEQUENCE(wa_apple_nonce) = {
    ASN1_EXP(wa_apple_nonce_t, nonce, ASN1_OCTET_STRING, 1)
} static_ASN1_SEQUENCE_END_name(wa_apple_nonce_t, wa_apple_nonce)


wa_err_t
wa_att_apple(const wa_att_in_t *in, wa_att_out_t *out, const char **detail)
{
    int                rc;
    X509              *cert;
    wa_err_t           err;
    unsigned char      nonce[WA_SHA256_LEN];
    wa_apple_nonce_t  *ext_nonce;

    /* WebAuthn L3, 8.8, verification procedure, step 1: {x5c} */

    err = wa_x509_x5c(in->att_stmt, &out->x5c, detail);
    if (err != WA_OK) {
        return err;
    }

    if (out->x5c == NULL) {
        wa_set_detail(detail, "\"apple\" attestation statement has no "
                              "\"x5c\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    cert = sk_X509_value((STACK_OF(X509) *) out->x5c, 0);

    /* steps 2 and 3: nonce = SHA-256(authenticatorData || clientDataHash) */

    err = wa_att_apple_nonce(in, nonce, detail);
    if (err != WA_OK) {
        return err;
    }

    /* step 4: nonce equals the extension 1.2.840.113635.100.8.2 of credCert */

    rc = wa_x509_ext_item(cert, WA_OID_APPLE_NONCE,
                          ASN1_ITEM_rptr(wa_apple_nonce),
                          (void **) &ext_nonce);

    if (rc != 1) {
        wa_set_detail(detail, rc == 0
                              ? "attestation certificate has no apple nonce "
                                "extension"
                              : rc == -1
                              ? "attestation certificate has the apple "
                                "nonce extension twice"
                              : "attestation certificate apple nonce "
                                "extension is malformed");
        return WA_ERR_ATTESTATION_INVALID;
    }

    rc = (ASN1_STRING_length(ext_nonce->nonce) == WA_SHA256_LEN
          && memcmp(ASN1_STRING_get0_data(ext_nonce->nonce), nonce,
                    WA_SHA256_LEN)
             == 0);

    ASN1_item_free((ASN1_VALUE *) ext_nonce, ASN1_ITEM_rptr(wa_apple_nonce));

    if (!rc) {
        wa_set_detail(detail, "attestation certificate apple nonce is not "
                              "the hash of the authenticator and client "
                              "data");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* step 5: the credential public key is credCert's subject public key */

    err = wa_x509_key_is(cert, in->cred_key, detail);
    if (err != WA_OK) {
        return err;
    }

    /* step 6: Anonymization CA, trust path x5c (wa_trust.c) */

    out->type = WA_ATT_TYPE_X5C;

    return WA_OK;
}


static wa_err_t
wa_att_apple_nonce(const wa_att_in_t *in, unsigned char nonce[WA_SHA256_LEN],
    const char **detail)
{
    size_t                lens[2];
    const unsigned char  *parts[2];

    parts[0] = in->auth_data;
    lens[0] = in->auth_data_len;
    parts[1] = in->cdata_hash;
    lens[1] = WA_SHA256_LEN;

    return wa_digest_parts(EVP_sha256(), parts, lens, 2, nonce, NULL,
                           detail);
}
