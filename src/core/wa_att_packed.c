
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* the "packed" attestation statement format, WebAuthn L3, 8.2 */


#include <string.h>

#include <cbor.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/objects.h>
#include <openssl/err.h>

#include "wa_internal.h"


static wa_err_t wa_att_packed_cert(X509 *cert, const unsigned char *aaguid,
    const char **detail);
static int wa_att_packed_subject(X509_NAME *name, int nid, const char *want);


wa_err_t
wa_att_packed(const wa_att_in_t *in, wa_att_out_t *out, const char **detail)
{
    size_t                lens[2], sig_len;
    int64_t               alg;
    wa_err_t              err;
    STACK_OF(X509)       *x5c;
    const unsigned char  *parts[2], *sig;

    /* 8.2: attStmt is {alg, sig, ? x5c} */

    if (wa_cbor_int(wa_cbor_map_get(in->att_stmt, "alg"), &alg) != 0
        || alg < INT32_MIN || alg > INT32_MAX)
    {
        wa_set_detail(detail, "\"packed\" attestation statement has no "
                              "integer \"alg\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (wa_cbor_bytes(wa_cbor_map_get(in->att_stmt, "sig"), &sig, &sig_len)
        != 0)
    {
        wa_set_detail(detail, "\"packed\" attestation statement has no "
                              "byte string \"sig\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (wa_cbor_map_get(in->att_stmt, "ecdaaKeyId") != NULL) {
        wa_set_detail(detail, "\"packed\" ECDAA attestation is not "
                              "supported");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    err = wa_x509_x5c(in->att_stmt, &out->x5c, detail);
    if (err != WA_OK) {
        return err;
    }

    if (alg == WA_COSE_ALG_RS1 && !in->policy->allow_sha1) {
        wa_set_detail(detail, "attestation signature uses SHA-1");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    parts[0] = in->auth_data;
    lens[0] = in->auth_data_len;
    parts[1] = in->cdata_hash;
    lens[1] = WA_SHA256_LEN;

    if (out->x5c == NULL) {

        /* 8.2, verification procedure, self attestation */

        if (alg != wa_pkey_alg(in->cred_key)) {
            wa_set_detail(detail, "self attestation \"alg\" is not the "
                                  "credential public key's");
            return WA_ERR_ATTESTATION_INVALID;
        }

        err = wa_pkey_verify_parts((wa_pkey_t *) in->cred_key, parts, lens,
                                   2, sig, sig_len, detail);
        if (err == WA_ERR_SIGNATURE_INVALID) {
            wa_set_detail(detail, "self attestation signature does not "
                                  "verify with the credential public key");
            return WA_ERR_ATTESTATION_INVALID;
        }

        if (err != WA_OK) {
            return err;
        }

        out->type = WA_ATT_TYPE_SELF;

        return WA_OK;
    }

    /* 8.2, verification procedure, x5c present */

    x5c = out->x5c;

    err = wa_x509_verify(sk_X509_value(x5c, 0), (int) alg, parts, lens, 2,
                         sig, sig_len, detail);
    if (err != WA_OK) {
        return err;
    }

    err = wa_att_packed_cert(sk_X509_value(x5c, 0), in->ad->aaguid, detail);
    if (err != WA_OK) {
        return err;
    }

    out->type = WA_ATT_TYPE_X5C;

    return WA_OK;
}


/* 8.2.1: packed attestation statement certificate requirements */

static wa_err_t
wa_att_packed_cert(X509 *cert, const unsigned char *aaguid,
    const char **detail)
{
    wa_err_t    err;
    X509_NAME  *name;

    if (X509_get_version(cert) != X509_VERSION_3) {
        wa_set_detail(detail, "attestation certificate is not version 3");
        return WA_ERR_ATTESTATION_INVALID;
    }

    name = X509_get_subject_name(cert);

    if (!wa_att_packed_subject(name, NID_countryName, NULL)
        || !wa_att_packed_subject(name, NID_organizationName, NULL)
        || !wa_att_packed_subject(name, NID_organizationalUnitName,
                                  "Authenticator Attestation")
        || !wa_att_packed_subject(name, NID_commonName, NULL))
    {
        wa_set_detail(detail, "attestation certificate subject lacks C, O, "
                              "CN or OU \"Authenticator Attestation\"");
        return WA_ERR_ATTESTATION_INVALID;
    }

    err = wa_x509_not_ca(cert, detail);
    if (err != WA_OK) {
        return err;
    }

    return wa_x509_aaguid(cert, aaguid, detail);
}


static int
wa_att_packed_subject(X509_NAME *name, int nid, const char *want)
{
    int          i, len;
    ASN1_STRING  *v;

    i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0) {
        return 0;
    }

    v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    len = ASN1_STRING_length(v);

    if (len <= 0) {
        return 0;
    }

    if (want == NULL) {
        return 1;
    }

    return (size_t) len == strlen(want)
           && memcmp(ASN1_STRING_get0_data(v), want, len) == 0;
}
