
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of the X.509 helpers (wa_x509.c) and the trust
 * anchors and path check (wa_trust.c).  The input is
 *     selector (1) bytes
 * selector & 3:
 *   0  bytes are DER certificates, one after the other (each one's
 *      length from its outer SEQUENCE): the first through wa_x509_der()
 *      (one certificate and nothing after it, as x5c members are read),
 *      then every certificate helper the formats use on it: the
 *      extensions by OID, the AAGUID extension, the key, basic
 *      constraints, wa_x509_verify() of a signature; then the chain, as
 *      an attestation's x5c, to wa_trust_check() under a fixed anchor.
 *      With selector bit 2 the first certificate is signed again by
 *      that anchor (its issuer set to the anchor's subject), so the
 *      path building and its checks after the signature are reached.
 *   1  bytes are an attStmt (CBOR): wa_x509_x5c(), then the chain
 *      as in 0
 *   2  bytes are a PEM bundle: wa_trust_add_pem() (wa_x509_pem()), then
 *      wa_trust_item() for every anchor
 *   3  bytes are a certificate in base64: wa_x509_b64() (the SafetyNet
 *      and MDS x5c)
 * Checked: the documented codes with their details; a trust check that
 * passes only for a chain ending at the anchor's own signature (never
 * unless bit 2 re-signed it); the report's subjects NUL-ended; OpenSSL's
 * error queue empty but after WA_ERR_INTERNAL.
 */


#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/err.h>

#include "wa_internal.h"
#include "fuzz_pki.h"


static void fuzz_init(void);
static void fuzz_cert(X509 *cert, const unsigned char *data, size_t size);
static void fuzz_chain(STACK_OF(X509) *x5c, int resigned);
static void fuzz_queue(wa_err_t rc);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const char  *fuzz_oids[] = {
    "1.3.6.1.4.1.45724.1.1.4",          /* id-fido-gen-ce-aaguid */
    "1.3.6.1.4.1.11129.2.1.17",         /* Android key description */
    "1.2.840.113635.100.8.2",           /* Apple nonce */
    "2.5.29.17",                        /* subjectAltName (TPM) */
    "2.5.29.37",                        /* extKeyUsage (TPM) */
    "2.5.29.19"                         /* basicConstraints */
};

static wa_trust_t  *fuzz_trust;
static X509        *fuzz_root;
static EVP_PKEY    *fuzz_root_key;
static wa_pkey_t   *fuzz_key;


static void
fuzz_init(void)
{
    size_t           len;
    const char      *detail;
    unsigned char   *pem;
    unsigned char    cose[77];

    fuzz_root_key = fuzz_pki_key();
    fuzz_root = fuzz_pki_cert(fuzz_root_key, "fuzz x509 root", NULL, NULL,
                              1, 1);
    pem = fuzz_pki_pem(fuzz_root, &len);

    fuzz_trust = wa_trust_new();
    if (fuzz_trust == NULL
        || wa_trust_add_pem(fuzz_trust, pem, len, &detail) != WA_OK)
    {
        fuzz_pki_fail("the trust anchor");
    }

    free(pem);

    /* a credential key for wa_x509_key_is() */

    fuzz_pki_cose_es256(cose);

    if (wa_pkey_from_cose(&fuzz_key, cose, sizeof(cose), &detail) != WA_OK)
    {
        fuzz_pki_fail("the COSE key");
    }
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}


static void
fuzz_queue(wa_err_t rc)
{
    if (rc != WA_ERR_INTERNAL && ERR_peek_error() != 0) {
        abort();
    }

    ERR_clear_error();
}


static void
fuzz_cert(X509 *cert, const unsigned char *data, size_t size)
{
    int                   rc, critical;
    size_t                i, len, lens[1];
    void                 *pub;
    wa_err_t              err;
    const char           *detail;
    unsigned char         aaguid[16];
    const unsigned char  *p, *parts[1];

    for (i = 0; i < sizeof(fuzz_oids) / sizeof(fuzz_oids[0]); i++) {
        p = NULL;
        len = 0;
        critical = -1;

        rc = wa_x509_ext(cert, fuzz_oids[i], &p, &len, &critical);

        if (rc < -1 || rc > 1
            || (rc == 1 && ((p == NULL && len != 0)
                            || (critical != 0 && critical != 1))))
        {
            abort();
        }

        fuzz_queue(WA_OK);
    }

    memset(aaguid, 0, sizeof(aaguid));
    memcpy(aaguid, data, size < 16 ? size : 16);

    detail = NULL;
    err = wa_x509_aaguid(cert, aaguid, &detail);
    fuzz_queue(err);

    if (err != WA_OK
        && (err != WA_ERR_ATTESTATION_INVALID || detail == NULL))
    {
        abort();
    }

    pub = wa_x509_pubkey(cert);
    EVP_PKEY_free(pub);
    ERR_clear_error();

    detail = NULL;
    err = wa_x509_not_ca(cert, &detail);
    fuzz_queue(err);

    if (err != WA_OK
        && (err != WA_ERR_ATTESTATION_INVALID || detail == NULL))
    {
        abort();
    }

    detail = NULL;
    err = wa_x509_key_is(cert, fuzz_key, &detail);
    fuzz_queue(err);

    /* the key is fresh: no certificate the fuzzer wrote holds it */

    if (err == WA_OK || detail == NULL) {
        abort();
    }

    parts[0] = data;
    lens[0] = size / 2;

    detail = NULL;
    err = wa_x509_verify(cert, (size & 1) ? WA_COSE_ALG_ES256
                                          : WA_COSE_ALG_RS256,
                         parts, lens, 1, data + size / 2, size - size / 2,
                         &detail);
    fuzz_queue(err);

    if (err == WA_OK || detail == NULL) {
        abort();
    }
}


static void
fuzz_chain(STACK_OF(X509) *x5c, int resigned)
{
    wa_err_t          rc;
    const char       *detail;
    wa_att_out_t      out;
    unsigned char     aaguid[16];
    wa_reg_policy_t   policy;

    memset(&policy, 0, sizeof(policy));
    policy.attestation = WA_ATTESTATION_TRUSTED;
    policy.trust = fuzz_trust;
    policy.now_s = FUZZ_PKI_NOW;

    memset(aaguid, 0, sizeof(aaguid));

    out.type = WA_ATT_TYPE_X5C;
    out.x5c = x5c;

    detail = NULL;
    rc = wa_trust_check(fuzz_trust, &out, aaguid, &policy, &detail);
    fuzz_queue(rc);

    if (rc == WA_OK) {
        if (!resigned) {
            abort();
        }

        return;
    }

    if ((rc != WA_ERR_ATTESTATION_UNTRUSTED && rc != WA_ERR_INTERNAL)
        || detail == NULL)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int                   oom, major, resigned;
    long                  n;
    void                 *cert, *x5c;
    size_t                i, len, used;
    X509                 *x;
    wa_err_t              rc;
    wa_trust_t           *t;
    const char           *detail;
    cbor_item_t          *stmt;
    wa_trust_item_t       item;
    STACK_OF(X509)       *sk;
    const unsigned char  *p, *end, *q;
    struct cbor_load_result  res;

    if (fuzz_trust == NULL) {
        fuzz_init();
    }

    if (size < 1) {
        return 0;
    }

    p = data + 1;
    len = size - 1;

    switch (data[0] & 3) {

    case 0:
        cert = NULL;

        if (wa_x509_der(&cert, p, len) == 0) {
            if (cert == NULL) {
                abort();
            }

            fuzz_cert(cert, p, len);
            X509_free(cert);
        }

        ERR_clear_error();

        /* the certificates one after the other, as a chain */

        sk = sk_X509_new_null();
        if (sk == NULL) {
            return 0;
        }

        end = p + len;
        q = p;

        while (q < end && sk_X509_num(sk) < 8) {
            x = d2i_X509(NULL, &q, end - q);
            if (x == NULL) {
                break;
            }

            if (!sk_X509_push(sk, x)) {
                X509_free(x);
                break;
            }
        }

        ERR_clear_error();

        if (sk_X509_num(sk) == 0) {
            sk_X509_free(sk);
            return 0;
        }

        x = sk_X509_value(sk, 0);
        resigned = 0;

        if (data[0] & 4) {
            resigned = X509_set_issuer_name(x,
                                            X509_get_subject_name(fuzz_root))
                       && X509_sign(x, fuzz_root_key, EVP_sha256()) > 0;
            ERR_clear_error();
        }

        fuzz_cert(x, p, len);
        fuzz_chain(sk, resigned);

        sk_X509_pop_free(sk, X509_free);

        break;

    case 1:
        if (wa_cbor_item(p, len, &used, &major) != 0) {
            return 0;
        }

        stmt = cbor_load(p, used, &res);
        if (stmt == NULL) {
            return 0;
        }

        x5c = NULL;
        detail = NULL;

        if (cbor_isa_map(stmt) && cbor_map_is_definite(stmt)) {
            rc = wa_x509_x5c(stmt, &x5c, &detail);
            fuzz_queue(rc);

            if (rc == WA_OK) {
                if (x5c != NULL) {
                    if (sk_X509_num(x5c) < 1) {
                        abort();
                    }

                    fuzz_cert(sk_X509_value(x5c, 0), p, len);
                    fuzz_chain(x5c, 0);
                }

            } else if ((rc != WA_ERR_ATTESTATION_MALFORMED
                        && rc != WA_ERR_INTERNAL)
                       || detail == NULL || x5c != NULL)
            {
                abort();
            }
        }

        wa_x509_x5c_free(x5c);
        cbor_decref(&stmt);

        break;

    case 2:
        t = wa_trust_new();
        if (t == NULL) {
            return 0;
        }

        detail = NULL;
        rc = wa_trust_add_pem(t, p, len, &detail);

        if (rc != WA_OK) {
            if (rc != WA_ERR_INTERNAL || detail == NULL) {
                abort();
            }

        } else {
            if (wa_trust_count(t) < 1) {
                abort();
            }
        }

        ERR_clear_error();

        for (i = 0; i < wa_trust_count(t); i++) {
            if (wa_trust_item(t, i, &item) != 0
                || item.kind != WA_TRUST_ANCHOR
                || memchr(item.subject, '\0', sizeof(item.subject)) == NULL)
            {
                abort();
            }
        }

        if (wa_trust_item(t, i, &item) != -1) {
            abort();
        }

        ERR_clear_error();
        wa_trust_free(t);

        break;

    default:
        oom = 0;
        x = wa_x509_b64((const char *) p, len, &oom);

        if (x != NULL) {
            n = i2d_X509(x, NULL);
            if (n <= 0) {
                abort();
            }

            fuzz_cert(x, p, len);
            X509_free(x);
        }

        ERR_clear_error();

        break;
    }

    return 0;
}
