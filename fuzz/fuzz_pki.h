
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Test PKI for the fuzz targets that need keys and signatures the fuzzer
 * cannot make (fuzz_attestation.c, fuzz_x509.c, fuzz_mds.c,
 * fuzz_token.c): P-256 keys made at start, their COSE form,
 * certificates signed with them, base64url, so that a target can sign
 * what the fuzzer wrote and the core's checks after the signature are
 * reached.  Nothing of the core is copied here: these only make inputs.
 */


#ifndef _FUZZ_PKI_H_INCLUDED_
#define _FUZZ_PKI_H_INCLUDED_


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

#include "wa_core.h"


/* 2020-01-01 to 2040-01-01; the targets check at 2025-06-01 */
#define FUZZ_PKI_NOT_BEFORE  1577836800
#define FUZZ_PKI_NOT_AFTER   2208988800
#define FUZZ_PKI_NOW         1748736000


static inline void
fuzz_pki_fail(const char *what)
{
    fprintf(stderr, "fuzz_pki: %s failed\n", what);
    abort();
}


/* a certificate of key, signed by issuer_key (itself when NULL) */

static inline X509 *
fuzz_pki_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
    EVP_PKEY *issuer_key, int ca, long serial)
{
    X509            *x;
    X509V3_CTX       ctx;
    X509_EXTENSION  *ext;

    x = X509_new();
    if (x == NULL
        || !X509_set_version(x, 2)
        || !ASN1_INTEGER_set(X509_get_serialNumber(x), serial)
        || ASN1_TIME_set(X509_getm_notBefore(x), FUZZ_PKI_NOT_BEFORE) == NULL
        || ASN1_TIME_set(X509_getm_notAfter(x), FUZZ_PKI_NOT_AFTER) == NULL
        || !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "O",
                                       MBSTRING_ASC,
                                       (const unsigned char *) "fuzz", -1,
                                       -1, 0)
        || !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
                                       MBSTRING_ASC,
                                       (const unsigned char *) cn, -1, -1,
                                       0)
        || !X509_set_issuer_name(x, issuer != NULL
                                    ? X509_get_subject_name(issuer)
                                    : X509_get_subject_name(x))
        || !X509_set_pubkey(x, key))
    {
        fuzz_pki_fail("X509 building");
    }

    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);

    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
                              ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    if (ext == NULL || !X509_add_ext(x, ext, -1)) {
        fuzz_pki_fail("basicConstraints");
    }

    X509_EXTENSION_free(ext);

    if (X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256())
        == 0)
    {
        fuzz_pki_fail("X509_sign()");
    }

    return x;
}


/* PEM of a certificate, malloc()ed, *len bytes */

static inline unsigned char *
fuzz_pki_pem(X509 *x, size_t *len)
{
    BIO            *bio;
    char           *p;
    long            n;
    unsigned char  *pem;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_X509(bio, x)) {
        fuzz_pki_fail("PEM_write_bio_X509()");
    }

    n = BIO_get_mem_data(bio, &p);

    pem = malloc(n);
    if (pem == NULL) {
        fuzz_pki_fail("malloc()");
    }

    memcpy(pem, p, n);
    *len = (size_t) n;

    BIO_free(bio);

    return pem;
}


static inline EVP_PKEY *
fuzz_pki_key(void)
{
    EVP_PKEY  *key;

    key = EVP_EC_gen("P-256");
    if (key == NULL) {
        fuzz_pki_fail("EVP_EC_gen()");
    }

    return key;
}


/* the COSE_Key of a fresh ES256 key: {1: 2, 3: -7, -1: 1, -2: x, -3: y} */

static inline void
fuzz_pki_cose_es256(unsigned char cose[77])
{
    size_t          n;
    EVP_PKEY       *key;
    unsigned char   pt[65];

    key = fuzz_pki_key();

    if (EVP_PKEY_get_octet_string_param(key, "encoded-pub-key", pt,
                                        sizeof(pt), &n)
        != 1 || n != 65)
    {
        fuzz_pki_fail("the public key");
    }

    EVP_PKEY_free(key);

    memcpy(cose, "\xa5\x01\x02\x03\x26\x20\x01\x21\x58\x20", 10);
    memcpy(cose + 10, pt + 1, 32);
    memcpy(cose + 42, "\x22\x58\x20", 3);
    memcpy(cose + 45, pt + 33, 32);
}


/* base64url of p, malloc()ed, *len bytes (no NUL) */

static inline unsigned char *
fuzz_pki_b64url(const unsigned char *p, size_t n, size_t *len)
{
    unsigned char  *out;

    out = malloc(wa_b64url_encoded_len(n) + 1);
    if (out == NULL) {
        fuzz_pki_fail("malloc()");
    }

    *len = wa_b64url_encode(out, p, n);

    return out;
}


#endif /* _FUZZ_PKI_H_INCLUDED_ */
