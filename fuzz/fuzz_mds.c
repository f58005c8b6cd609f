
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of the FIDO MDS3 BLOB (wa_mds.c), loaded as the
 * module loads it: wa_trust_add_mds() with a FIDO root (a test root
 * made at start), then the lookups of wa_trust_check().  The input is
 *     selector (1) aaguid (16) bytes
 * selector & 3:
 *   0  bytes are the BLOB (JWS compact serialization) as downloaded
 *   1  bytes are the BLOB's payload (JSON): the target makes the JWS,
 *      header {"alg": "ES256", "x5c": [signer]}, and signs it with the
 *      signer's key (a certificate of the test root), so the payload
 *      parsing after the signature check is reached
 *   2  bytes are header JSON, a NUL, payload JSON: signed as in 1, the
 *      header as the fuzzer wrote it (alg, x5c, crit)
 *   3  as 1, with a newline after the BLOB, as a downloaded file has
 * Once loaded, the trust report (wa_trust_item()) and a trust check of a
 * fresh attestation certificate for the input's aaguid (or, when zero,
 * its key identifier): the BLOB's entries are reached by the lookup, and
 * no entry the fuzzer wrote can make that certificate trusted.  Checked
 * too: WA_ERR_INTERNAL with a detail for every refusal (a configuration
 * error), two report items exactly when loaded.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "wa_internal.h"
#include "fuzz_pki.h"


static void fuzz_init(void);
static unsigned char *fuzz_jws(const unsigned char *hdr, size_t hlen,
    const unsigned char *payload, size_t plen, size_t *len);
static void fuzz_loaded(wa_trust_t *t, const unsigned char *aaguid);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static unsigned char  *fuzz_root_pem;
static size_t          fuzz_root_len;
static EVP_PKEY       *fuzz_signer_key;
static char           *fuzz_header;
static size_t          fuzz_header_len;
static STACK_OF(X509) *fuzz_leaf;


static void
fuzz_init(void)
{
    int             n;
    X509           *root, *signer, *leaf;
    EVP_PKEY       *root_key, *leaf_key;
    unsigned char  *der, *b64;

    root_key = fuzz_pki_key();
    root = fuzz_pki_cert(root_key, "fuzz MDS root", NULL, NULL, 1, 1);
    fuzz_root_pem = fuzz_pki_pem(root, &fuzz_root_len);

    fuzz_signer_key = fuzz_pki_key();
    signer = fuzz_pki_cert(fuzz_signer_key, "fuzz MDS signer", root,
                           root_key, 0, 2);

    der = NULL;
    n = i2d_X509(signer, &der);
    if (n <= 0) {
        fuzz_pki_fail("i2d_X509()");
    }

    b64 = malloc(4 * (n / 3 + 1) + 1);
    if (b64 == NULL) {
        fuzz_pki_fail("malloc()");
    }

    EVP_EncodeBlock(b64, der, n);

    fuzz_header = malloc(strlen((char *) b64) + 64);
    if (fuzz_header == NULL) {
        fuzz_pki_fail("malloc()");
    }

    fuzz_header_len = sprintf(fuzz_header,
                              "{\"alg\":\"ES256\",\"typ\":\"JWT\","
                              "\"x5c\":[\"%s\"]}", (char *) b64);

    OPENSSL_free(der);
    free(b64);

    /* an attestation certificate no BLOB entry can have signed */

    leaf_key = fuzz_pki_key();
    leaf = fuzz_pki_cert(leaf_key, "fuzz attestation", NULL, NULL, 0, 3);

    fuzz_leaf = sk_X509_new_null();
    if (fuzz_leaf == NULL || !sk_X509_push(fuzz_leaf, leaf)) {
        fuzz_pki_fail("sk_X509_push()");
    }

    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(root_key);
    X509_free(signer);
    X509_free(root);
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}


/* BASE64URL(hdr) "." BASE64URL(payload) "." BASE64URL(ES256 R || S) */

static unsigned char *
fuzz_jws(const unsigned char *hdr, size_t hlen, const unsigned char *payload,
    size_t plen, size_t *len)
{
    size_t          h64, p64, s64, dlen;
    EVP_MD_CTX     *md;
    ECDSA_SIG      *sig;
    const BIGNUM   *r, *s;
    unsigned char  *h, *p, *sg, *out, der[80], raw[64];
    const unsigned char  *q;

    h = fuzz_pki_b64url(hdr, hlen, &h64);
    p = fuzz_pki_b64url(payload, plen, &p64);

    out = malloc(h64 + p64 + 2 + WA_B64URL_LEN(64) + 2);
    if (out == NULL) {
        abort();
    }

    memcpy(out, h, h64);
    out[h64] = '.';
    memcpy(out + h64 + 1, p, p64);

    md = EVP_MD_CTX_new();
    dlen = sizeof(der);

    if (md == NULL
        || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, fuzz_signer_key)
           != 1
        || EVP_DigestSign(md, der, &dlen, out, h64 + 1 + p64) != 1)
    {
        fuzz_pki_fail("EVP_DigestSign()");
    }

    EVP_MD_CTX_free(md);

    q = der;
    sig = d2i_ECDSA_SIG(NULL, &q, (long) dlen);
    if (sig == NULL) {
        fuzz_pki_fail("d2i_ECDSA_SIG()");
    }

    ECDSA_SIG_get0(sig, &r, &s);

    if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
    {
        fuzz_pki_fail("BN_bn2binpad()");
    }

    ECDSA_SIG_free(sig);

    sg = fuzz_pki_b64url(raw, sizeof(raw), &s64);

    out[h64 + 1 + p64] = '.';
    memcpy(out + h64 + 1 + p64 + 1, sg, s64);
    *len = h64 + 1 + p64 + 1 + s64;

    free(h);
    free(p);
    free(sg);

    return out;
}


static void
fuzz_loaded(wa_trust_t *t, const unsigned char *aaguid)
{
    size_t            i;
    wa_err_t          rc;
    const char       *detail;
    wa_att_out_t      out;
    wa_trust_item_t   item;
    wa_reg_policy_t   policy;

    if (wa_trust_count(t) != 2) {
        abort();
    }

    for (i = 0; i < 2; i++) {
        if (wa_trust_item(t, i, &item) != 0
            || item.kind != (i == 0 ? WA_TRUST_MDS_BLOB : WA_TRUST_MDS_SIGNER)
            || memchr(item.subject, '\0', sizeof(item.subject)) == NULL)
        {
            abort();
        }
    }

    memset(&policy, 0, sizeof(policy));
    policy.attestation = WA_ATTESTATION_TRUSTED;
    policy.trust = t;
    policy.now_s = FUZZ_PKI_NOW;

    out.type = WA_ATT_TYPE_X5C;
    out.x5c = fuzz_leaf;

    detail = NULL;
    rc = wa_trust_check(t, &out, aaguid, &policy, &detail);

    if (rc != WA_ERR_ATTESTATION_UNTRUSTED || detail == NULL
        || ERR_peek_error() != 0)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    size_t                n, len;
    wa_err_t              rc;
    wa_trust_t           *t;
    const char           *detail;
    unsigned char        *blob;
    const unsigned char  *p, *nul;

    if (fuzz_signer_key == NULL) {
        fuzz_init();
    }

    if (size < 17) {
        return 0;
    }

    p = data + 17;
    n = size - 17;

    switch (data[0] & 3) {

    case 0:
        blob = malloc(n > 0 ? n : 1);
        if (blob == NULL) {
            return 0;
        }

        memcpy(blob, p, n);
        len = n;
        break;

    case 2:
        nul = memchr(p, '\0', n);
        if (nul == NULL) {
            return 0;
        }

        blob = fuzz_jws(p, nul - p, nul + 1, n - (nul - p) - 1, &len);
        break;

    default:
        blob = fuzz_jws((unsigned char *) fuzz_header, fuzz_header_len, p,
                        n, &len);

        if ((data[0] & 3) == 3) {
            blob[len++] = '\n';
        }

        break;
    }

    t = wa_trust_new();
    if (t == NULL) {
        free(blob);
        return 0;
    }

    detail = NULL;
    rc = wa_trust_add_mds(t, blob, len, fuzz_root_pem, fuzz_root_len,
                          FUZZ_PKI_NOW, &detail);

    if (rc == WA_OK) {
        ERR_clear_error();
        fuzz_loaded(t, data + 1);

        /* one BLOB per set */

        if (wa_trust_add_mds(t, blob, len, fuzz_root_pem, fuzz_root_len,
                             FUZZ_PKI_NOW, &detail)
            != WA_ERR_INTERNAL)
        {
            abort();
        }

    } else if (rc != WA_ERR_INTERNAL || detail == NULL) {
        abort();
    }

    ERR_clear_error();
    wa_trust_free(t);
    free(blob);

    return 0;
}
