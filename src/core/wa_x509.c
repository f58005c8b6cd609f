
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * X.509 helpers of the attestation statement formats: the "x5c" member
 * decoded into OpenSSL's certificates, extensions found by OID, the FIDO
 * AAGUID extension (WebAuthn L3, 8.2.1).  Paths are built and checked by
 * wa_trust.c with OpenSSL's X509_STORE, never here.
 */


#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <cbor.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/objects.h>
#include <openssl/err.h>

#include "wa_internal.h"


/* a chain longer than this is not an attestation any format defines */
#define WA_X5C_MAX        8

#define WA_OID_FIDO_AAGUID  "1.3.6.1.4.1.45724.1.1.4"


wa_err_t
wa_x509_x5c(void *att_stmt, void **x5c, const char **detail)
{
    size_t                i, n, len;
    X509                 *cert;
    cbor_item_t          *arr, **items;
    STACK_OF(X509)       *sk;
    const unsigned char  *der;

    *x5c = NULL;

    arr = wa_cbor_map_get(att_stmt, "x5c");
    if (arr == NULL) {
        return WA_OK;
    }

    if (!cbor_isa_array(arr) || !cbor_array_is_definite(arr)
        || cbor_array_size(arr) == 0 || cbor_array_size(arr) > WA_X5C_MAX)
    {
        wa_set_detail(detail, "attestation statement \"x5c\" is not an "
                              "array of 1 to 8 certificates");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    sk = sk_X509_new_null();
    if (sk == NULL) {
        wa_set_detail(detail, "sk_X509_new_null() failed");
        return WA_ERR_INTERNAL;
    }

    n = cbor_array_size(arr);
    items = cbor_array_handle(arr);

    for (i = 0; i < n; i++) {

        if (wa_cbor_bytes(items[i], &der, &len) != 0) {
            wa_set_detail(detail, "attestation statement \"x5c\" holds "
                                  "something other than a byte string");
            goto malformed;
        }

        if (wa_x509_der((void **) &cert, der, len) != 0) {
            wa_set_detail(detail, "attestation statement \"x5c\" holds "
                                  "a byte string that is not one DER "
                                  "certificate");
            goto malformed;
        }

        if (!sk_X509_push(sk, cert)) {
            X509_free(cert);
            sk_X509_pop_free(sk, X509_free);
            wa_set_detail(detail, "sk_X509_push() failed");
            return WA_ERR_INTERNAL;
        }
    }

    *x5c = sk;

    return WA_OK;

malformed:

    sk_X509_pop_free(sk, X509_free);

    return WA_ERR_ATTESTATION_MALFORMED;
}


void
wa_x509_x5c_free(void *x5c)
{
    if (x5c != NULL) {
        sk_X509_pop_free((STACK_OF(X509) *) x5c, X509_free);
    }
}


int
wa_x509_ext(void *cert, const char *oid, const unsigned char **p,
    size_t *len, int *critical)
{
    int                 i, n, found;
    ASN1_OBJECT        *obj;
    X509_EXTENSION     *ext;
    ASN1_OCTET_STRING  *data;

    obj = OBJ_txt2obj(oid, 1);
    if (obj == NULL) {
        ERR_clear_error();
        return -1;
    }

    found = 0;
    n = X509_get_ext_count(cert);

    for (i = 0; i < n; i++) {
        ext = X509_get_ext(cert, i);

        if (OBJ_cmp(X509_EXTENSION_get_object(ext), obj) != 0) {
            continue;
        }

        if (found) {
            /* RFC 5280, 4.2: an extension appears at most once */
            ASN1_OBJECT_free(obj);
            return -1;
        }

        found = 1;
        data = X509_EXTENSION_get_data(ext);
        *p = ASN1_STRING_get0_data(data);
        *len = (size_t) ASN1_STRING_length(data);

        if (critical != NULL) {
            *critical = X509_EXTENSION_get_critical(ext);
        }
    }

    ASN1_OBJECT_free(obj);

    return found;
}


/* WebAuthn L3, 8.2.1: id-fido-gen-ce-aaguid, an OCTET STRING, not critical */

wa_err_t
wa_x509_aaguid(void *cert, const unsigned char aaguid[16],
    const char **detail)
{
    int                   rc, critical;
    size_t                len;
    ASN1_OCTET_STRING    *os;
    const unsigned char  *p, *q;

    rc = wa_x509_ext(cert, WA_OID_FIDO_AAGUID, &p, &len, &critical);

    if (rc == 0) {
        return WA_OK;
    }

    if (rc < 0) {
        wa_set_detail(detail, "attestation certificate has the AAGUID "
                              "extension twice");
        return WA_ERR_ATTESTATION_INVALID;
    }

    if (critical) {
        wa_set_detail(detail, "attestation certificate's AAGUID extension "
                              "is critical");
        return WA_ERR_ATTESTATION_INVALID;
    }

    q = p;
    os = d2i_ASN1_OCTET_STRING(NULL, &q, (long) len);

    if (os == NULL || q != p + len || ASN1_STRING_length(os) != 16
        || memcmp(ASN1_STRING_get0_data(os), aaguid, 16) != 0)
    {
        ASN1_OCTET_STRING_free(os);
        ERR_clear_error();
        wa_set_detail(detail, "attestation certificate's AAGUID extension "
                              "differs from the authenticator data's "
                              "AAGUID");
        return WA_ERR_ATTESTATION_INVALID;
    }

    ASN1_OCTET_STRING_free(os);

    return WA_OK;
}


void *
wa_x509_pubkey(void *cert)
{
    EVP_PKEY  *pkey;

    pkey = X509_get_pubkey(cert);
    if (pkey == NULL) {
        ERR_clear_error();
    }

    return pkey;
}


/*
 * sig over the n parts, with the key of cert under alg (a statement's
 * "alg"): the one way every format checks its attestation signature
 */

wa_err_t
wa_x509_verify(void *cert, int alg, const unsigned char **parts,
    const size_t *lens, size_t n, const unsigned char *sig, size_t sig_len,
    const char **detail)
{
    EVP_PKEY   *evp;
    wa_err_t    err;
    wa_pkey_t  *key;

    evp = wa_x509_pubkey(cert);
    if (evp == NULL) {
        wa_set_detail(detail, "attestation certificate has no usable "
                              "public key");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    err = wa_pkey_from_evp(&key, evp, alg, detail);
    EVP_PKEY_free(evp);

    if (err != WA_OK) {
        return err;
    }

    err = wa_pkey_verify_parts(key, parts, lens, n, sig, sig_len, detail);
    wa_pkey_free(key);

    if (err == WA_ERR_SIGNATURE_INVALID) {
        wa_set_detail(detail, "attestation signature does not verify with "
                              "the attestation certificate");
        return WA_ERR_ATTESTATION_INVALID;
    }

    return err;
}


wa_err_t
wa_x509_key_is(void *cert, const wa_pkey_t *key, const char **detail)
{
    int        eq;
    EVP_PKEY  *evp;

    evp = wa_x509_pubkey(cert);
    if (evp == NULL) {
        wa_set_detail(detail, "attestation certificate has no usable "
                              "public key");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    eq = wa_pkey_eq(key, evp);
    EVP_PKEY_free(evp);

    if (!eq) {
        wa_set_detail(detail, "attestation certificate public key is not "
                              "the credential public key");
        return WA_ERR_ATTESTATION_INVALID;
    }

    return WA_OK;
}


/* RFC 5280, 4.2.1.9: an attestation certificate is no CA */

wa_err_t
wa_x509_not_ca(void *cert, const char **detail)
{
    int                 ca, crit;
    BASIC_CONSTRAINTS  *bc;

    bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);

    if (bc == NULL) {
        /* absent (crit -1), twice (-2) or not decodable */
        ERR_clear_error();
        wa_set_detail(detail, "attestation certificate has no readable "
                              "basic constraints");
        return WA_ERR_ATTESTATION_INVALID;
    }

    ca = bc->ca;
    BASIC_CONSTRAINTS_free(bc);

    if (ca) {
        wa_set_detail(detail, "attestation certificate is a CA");
        return WA_ERR_ATTESTATION_INVALID;
    }

    return WA_OK;
}


int
wa_x509_ext_item(void *cert, const char *oid, const void *it, void **item)
{
    int                   rc;
    size_t                len;
    ASN1_VALUE           *v;
    const unsigned char  *ext, *p;

    *item = NULL;

    rc = wa_x509_ext(cert, oid, &ext, &len, NULL);
    if (rc != 1) {
        return rc;
    }

    p = ext;
    v = ASN1_item_d2i(NULL, &p, (long) len, it);

    if (v == NULL || p != ext + len) {
        ASN1_item_free(v, it);
        ERR_clear_error();
        return -2;
    }

    *item = v;

    return 1;
}


int
wa_x509_der(void **cert, const unsigned char *der, size_t len)
{
    X509                 *x;
    const unsigned char  *p;

    p = der;
    x = (len > 0) ? d2i_X509(NULL, &p, (long) len) : NULL;

    if (x == NULL || p != der + len) {
        X509_free(x);
        ERR_clear_error();
        *cert = NULL;
        return -1;
    }

    *cert = x;

    return 0;
}


/*
 * one base64 (standard or url alphabet, padding optional: JWS "x5c" and
 * MDS roots are standard base64) DER certificate, nothing after it
 */

void *
wa_x509_b64(const char *b64, size_t len, int *oom)
{
    int             rc;
    void           *cert;
    size_t          n;
    unsigned char  *der;

    *oom = 0;

    rc = wa_b64url_decode_alloc(&der, &n, (const unsigned char *) b64, len);
    if (rc != 0) {
        *oom = (rc == -2);
        return NULL;
    }

    if (n > INT32_MAX || wa_x509_der(&cert, der, n) != 0) {
        cert = NULL;
    }

    free(der);

    return cert;
}


/*
 * x5c[0] through x5c[1..] (only ever untrusted intermediates, whatever
 * they are) to a certificate of store, at now_s, with the X509_V_FLAG_*
 * flags; no purpose is set, so none is checked (attestation certificates
 * have no TLS key usages), basic constraints of the issuers are
 */

int
wa_x509_path(void *store, void *x5c, int64_t now_s, unsigned long flags,
    int *error)
{
    int                 i, n, rc;
    STACK_OF(X509)     *untrusted, *chain;
    X509_STORE_CTX     *ctx;
    X509_VERIFY_PARAM  *param;

    chain = x5c;
    ctx = NULL;
    rc = -1;
    *error = X509_V_OK;

    untrusted = sk_X509_new_null();
    if (untrusted == NULL) {
        return -1;
    }

    n = sk_X509_num(chain);

    for (i = 1; i < n; i++) {
        if (!sk_X509_push(untrusted, sk_X509_value(chain, i))) {
            goto done;
        }
    }

    ctx = X509_STORE_CTX_new();
    if (ctx == NULL
        || X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted)
           != 1)
    {
        goto done;
    }

    param = X509_STORE_CTX_get0_param(ctx);
    if (flags) {
        X509_VERIFY_PARAM_set_flags(param, flags);
    }
    X509_VERIFY_PARAM_set_time(param, (time_t) now_s);

    rc = X509_verify_cert(ctx);

    if (rc != 1) {
        *error = X509_STORE_CTX_get_error(ctx);
        rc = (rc < 0 || *error == X509_V_ERR_OUT_OF_MEM) ? -1 : 0;

        if (rc == 0) {
            ERR_clear_error();
        }
    }

done:

    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);

    return rc;
}


/*
 * every certificate of a PEM bundle, into a new STACK_OF(X509): WA_OK,
 * or WA_ERR_INTERNAL with a detail for the configuration error ("bad
 * PEM", "no certificate in the bundle")
 */

wa_err_t
wa_x509_pem(const unsigned char *pem, size_t len, void **certs,
    const char **detail)
{
    BIO             *bio;
    X509            *cert;
    wa_err_t         rc;
    unsigned long    e;
    STACK_OF(X509)  *sk;

    *certs = NULL;

    if (pem == NULL || len == 0 || len > INT32_MAX) {
        wa_set_detail(detail, "no certificate in the bundle");
        return WA_ERR_INTERNAL;
    }

    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        wa_set_detail(detail, "BIO_new_mem_buf() failed");
        return WA_ERR_INTERNAL;
    }

    sk = sk_X509_new_null();
    if (sk == NULL) {
        BIO_free(bio);
        wa_set_detail(detail, "sk_X509_new_null() failed");
        return WA_ERR_INTERNAL;
    }

    rc = WA_ERR_INTERNAL;

    for ( ;; ) {
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (cert == NULL) {
            break;
        }

        if (!sk_X509_push(sk, cert)) {
            X509_free(cert);
            wa_set_detail(detail, "sk_X509_push() failed");
            goto done;
        }
    }

    /* the end of the data is PEM_R_NO_START_LINE, anything else is bad */

    e = ERR_peek_last_error();

    if (e != 0
        && (ERR_GET_LIB(e) != ERR_LIB_PEM
            || ERR_GET_REASON(e) != PEM_R_NO_START_LINE))
    {
        wa_set_detail(detail, "bad PEM");
        goto done;
    }

    ERR_clear_error();

    if (sk_X509_num(sk) == 0) {
        wa_set_detail(detail, "no certificate in the bundle");
        goto done;
    }

    *certs = sk;
    sk = NULL;
    rc = WA_OK;

done:

    sk_X509_pop_free(sk, X509_free);
    BIO_free(bio);

    return rc;
}
