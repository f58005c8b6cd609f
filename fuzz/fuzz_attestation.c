
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of the attestation statement formats (wa_att_*.c),
 * each called as wa_registration.c calls it, through its
 * wa_att_verify_pt.  The input is
 *     selector (1) clientDataHash (32) attStmt authData
 * selector: bits 0-2 the format (none, packed, fido-u2f, tpm,
 * android-key, android-safetynet, apple; 7 is "none" again), bit 3
 * allow_sha1, bit 4 safetynet_cts, bit 5 the clock (2025-06-01, else
 * 2023-11-14).  attStmt is the first well-formed CBOR item (wa_cbor_item()
 * as the attestation object parser delimits items), decoded by libcbor
 * and, as the dispatch requires, a definite map; authData is the rest,
 * parsed by wa_auth_data_parse() with its credential key built by
 * wa_pkey_from_cose_ex() as step 18 does.  When the authenticator data
 * does not give a key (it is not what this target is about:
 * fuzz_registration and fuzz_cose are), a fixed one with a fresh P-256
 * key stands in, so that mutations of it still reach the statement.
 * The clientDataHash is the input's so that statements our tools sign
 * verify, and what follows their signatures is reached.
 *
 * One target for the seven formats rather than one each: they share the
 * input shape, the x5c and extension helpers of wa_x509.c and the
 * signature code, so an x5c or a signature the fuzzer found for one is
 * tried on the others by flipping the selector; and one 60 s slot of
 * "make test-fuzz" instead of seven.
 *
 * Checked: a code of the documented ones with its detail; on WA_OK a
 * type the format may give (none only for "none", with an empty
 * statement; an x5c chain for the x5c type), and that chain, sent to
 * wa_trust_check() against an anchor the fuzzer cannot have signed
 * for, never trusted; OpenSSL's error queue empty but after
 * WA_ERR_INTERNAL.
 */


#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/err.h>

#include "wa_internal.h"
#include "fuzz_pki.h"


typedef struct {
    const char        *name;
    wa_att_verify_pt   verify;
} fuzz_format_t;


static void fuzz_init(void);
static void fuzz_fallback(void);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const fuzz_format_t  fuzz_formats[8] = {
    { "none", wa_att_none },
    { "packed", wa_att_packed },
    { "fido-u2f", wa_att_fido_u2f },
    { "tpm", wa_att_tpm },
    { "android-key", wa_att_android_key },
    { "android-safetynet", wa_att_android_safetynet },
    { "apple", wa_att_apple },
    { "none", wa_att_none }
};

static const int  fuzz_algs[] = {
    WA_COSE_ALG_ES256, WA_COSE_ALG_EDDSA, WA_COSE_ALG_ES384,
    WA_COSE_ALG_ES512, WA_COSE_ALG_PS256, WA_COSE_ALG_RS256,
    WA_COSE_ALG_ED448, WA_COSE_ALG_RS1
};

static wa_trust_t     *fuzz_trust;
static unsigned char   fuzz_ad[37 + 16 + 2 + 4 + 77];
static size_t          fuzz_ad_len;


/* the stand-in authenticator data: UP, AT, a fresh ES256 key */

static void
fuzz_fallback(void)
{
    unsigned char  *p;

    p = fuzz_ad;
    wa_sha256(p, "example.org", 11);
    p += 32;
    *p++ = WA_FLAG_UP | WA_FLAG_AT;
    memset(p, 0, 4 + 16);
    p += 4 + 16;
    *p++ = 0;
    *p++ = 4;
    memcpy(p, "fuzz", 4);
    p += 4;

    fuzz_pki_cose_es256(p);
    p += 77;

    fuzz_ad_len = p - fuzz_ad;
}


static void
fuzz_init(void)
{
    X509           *root;
    size_t          len;
    EVP_PKEY       *key;
    const char     *detail;
    unsigned char  *pem;

    fuzz_fallback();

    key = fuzz_pki_key();
    root = fuzz_pki_cert(key, "fuzz attestation root", NULL, NULL, 1, 1);
    pem = fuzz_pki_pem(root, &len);

    fuzz_trust = wa_trust_new();
    if (fuzz_trust == NULL
        || wa_trust_add_pem(fuzz_trust, pem, len, &detail) != WA_OK)
    {
        fuzz_pki_fail("the trust anchor");
    }

    free(pem);
    X509_free(root);
    EVP_PKEY_free(key);
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int                     major, sel;
    size_t                  used, ad_len;
    wa_err_t                rc;
    wa_pkey_t              *key;
    const char             *detail;
    cbor_item_t            *stmt;
    wa_att_in_t             in;
    wa_att_out_t            out;
    wa_auth_data_t          ad;
    wa_reg_policy_t         policy;
    const unsigned char    *p, *ad_bytes;
    struct cbor_load_result  res;
    const fuzz_format_t    *f;

    if (fuzz_trust == NULL) {
        fuzz_init();
    }

    if (size < 1 + WA_SHA256_LEN + 1) {
        return 0;
    }

    sel = data[0];
    f = &fuzz_formats[sel & 7];
    p = data + 1 + WA_SHA256_LEN;

    if (wa_cbor_item(p, size - 1 - WA_SHA256_LEN, &used, &major) != 0
        || major != WA_CBOR_MAJOR_MAP)
    {
        return 0;
    }

    stmt = cbor_load(p, used, &res);
    if (stmt == NULL) {
        return 0;
    }

    if (!cbor_isa_map(stmt) || !cbor_map_is_definite(stmt)) {
        cbor_decref(&stmt);
        return 0;
    }

    /* the authenticator data and its key, as wa_registration.c has them */

    ad_bytes = p + used;
    ad_len = size - 1 - WA_SHA256_LEN - used;
    key = NULL;

    if (wa_auth_data_parse(&ad, ad_bytes, ad_len, &detail) != WA_OK
        || !(ad.flags & WA_FLAG_AT) || ad.aaguid == NULL
        || ad.cred_id_len == 0 || ad.cred_id_len > WA_CRED_ID_MAX
        || wa_pkey_from_cose_ex(&key, ad.cred_key, ad.cred_key_len,
                                (sel >> 3) & 1, &detail)
           != WA_OK)
    {
        ERR_clear_error();

        ad_bytes = fuzz_ad;
        ad_len = fuzz_ad_len;

        if (wa_auth_data_parse(&ad, ad_bytes, ad_len, &detail) != WA_OK
            || wa_pkey_from_cose(&key, ad.cred_key, ad.cred_key_len,
                                 &detail)
               != WA_OK)
        {
            abort();
        }
    }

    memset(&policy, 0, sizeof(policy));
    memcpy(policy.base.rp_id_hash, ad.rp_id_hash, WA_SHA256_LEN);
    policy.base.user_verification = WA_UV_PREFERRED;
    policy.algs = fuzz_algs;
    policy.nalgs = sizeof(fuzz_algs) / sizeof(fuzz_algs[0]);
    policy.attestation = WA_ATTESTATION_TRUSTED;
    policy.trust = fuzz_trust;
    policy.now_s = (sel & 0x20) ? FUZZ_PKI_NOW : 1700000000;
    policy.allow_sha1 = (sel >> 3) & 1;
    policy.allow_sha1_keys = (sel >> 3) & 1;
    policy.safetynet_cts = (sel >> 4) & 1;

    in.auth_data = ad_bytes;
    in.auth_data_len = ad_len;
    in.ad = &ad;
    in.cdata_hash = data + 1;
    in.cred_key = key;
    in.att_stmt = stmt;
    in.policy = &policy;

    out.type = WA_ATT_TYPE_NONE;
    out.x5c = NULL;
    detail = NULL;

    rc = f->verify(&in, &out, &detail);

    if (rc != WA_ERR_INTERNAL && ERR_peek_error() != 0) {
        abort();
    }

    ERR_clear_error();

    switch (rc) {

    case WA_OK:
        if (out.type != WA_ATT_TYPE_NONE && out.type != WA_ATT_TYPE_SELF
            && out.type != WA_ATT_TYPE_X5C)
        {
            abort();
        }

        if ((out.type == WA_ATT_TYPE_NONE)
            != (f->verify == wa_att_none))
        {
            abort();
        }

        if (f->verify == wa_att_none && cbor_map_size(stmt) != 0) {
            abort();
        }

        if (out.type == WA_ATT_TYPE_X5C) {
            if (out.x5c == NULL || sk_X509_num(out.x5c) < 1) {
                abort();
            }

            detail = NULL;
            rc = wa_trust_check(fuzz_trust, &out, ad.aaguid, &policy,
                                &detail);

            if (rc != WA_ERR_ATTESTATION_UNTRUSTED || detail == NULL) {
                abort();
            }

            if (ERR_peek_error() != 0) {
                abort();
            }
        }

        break;

    case WA_ERR_ATTESTATION_MALFORMED:
    case WA_ERR_ATTESTATION_INVALID:
    case WA_ERR_ALGORITHM_UNSUPPORTED:
    case WA_ERR_INTERNAL:
        if (detail == NULL) {
            abort();
        }

        break;

    default:
        abort();
    }

    wa_x509_x5c_free(out.x5c);
    wa_pkey_free(key);
    cbor_decref(&stmt);

    return 0;
}
