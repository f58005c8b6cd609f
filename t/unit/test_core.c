
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* unit tests of the verification core */


#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>

#include "wa_core.h"
#include "unit.h"


#define RP_ID      "example.org"
#define ORIGIN     "https://example.org"
#define CHALLENGE  "dGVzdC1jaGFsbGVuZ2UtYnl0ZXMtMDEyMzQ1Njc4OQ"

#define TAMPER_NONE   0
#define TAMPER_SIG    1
#define TAMPER_AD     2


typedef struct {
    unsigned char  b[8192];
    size_t         len;
} buf_t;


static const unsigned char  test_challenge[] =
    "test-challenge-bytes-0123456789";
static const char          *last_detail;

static wa_origin_t  test_origins[] = {
    { "https://other.example.org", sizeof("https://other.example.org") - 1 },
    { ORIGIN, sizeof(ORIGIN) - 1 }
};


/* helpers ---------------------------------------------------------------- */


static wa_err_t
check_challenge(void *data, const unsigned char *c, size_t len,
    const char **detail)
{
    if (len != sizeof(test_challenge) - 1
        || memcmp(c, test_challenge, len) != 0)
    {
        *detail = "challenge differs from the expected one";
        return WA_ERR_CHALLENGE_INVALID;
    }

    return WA_OK;
}


static void
policy_init(wa_policy_t *p)
{
    memset(p, 0, sizeof(wa_policy_t));

    wa_sha256(p->rp_id_hash, RP_ID, sizeof(RP_ID) - 1);
    p->origins = test_origins;
    p->norigins = 2;
    p->user_verification = WA_UV_PREFERRED;
    p->check_challenge = check_challenge;
}


static void
b64(char *dst, const unsigned char *src, size_t n)
{
    dst[wa_b64url_encode((unsigned char *) dst, src, n)] = '\0';
}


static void
cb_head(buf_t *b, int major, uint64_t v)
{
    int  i, n;

    if (v < 24) {
        b->b[b->len++] = (unsigned char) (major << 5 | v);
        return;
    }

    n = (v < 0x100) ? 1 : (v < 0x10000) ? 2 : (v < 0x100000000ULL) ? 4 : 8;
    b->b[b->len++] = (unsigned char) (major << 5
                                      | (n == 1 ? 24 : n == 2 ? 25
                                         : n == 4 ? 26 : 27));

    for (i = n - 1; i >= 0; i--) {
        b->b[b->len++] = (unsigned char) (v >> (8 * i));
    }
}


static void
cb_int(buf_t *b, int64_t v)
{
    if (v >= 0) {
        cb_head(b, 0, (uint64_t) v);

    } else {
        cb_head(b, 1, (uint64_t) (-1 - v));
    }
}


static void
cb_bytes(buf_t *b, const unsigned char *p, size_t n)
{
    cb_head(b, 2, n);
    memcpy(b->b + b->len, p, n);
    b->len += n;
}


static EVP_PKEY *
keygen(const char *type, const char *group, unsigned bits)
{
    EVP_PKEY      *pkey;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1) {
        abort();
    }

    if (group != NULL && EVP_PKEY_CTX_set_group_name(ctx, group) != 1) {
        abort();
    }

    if (bits != 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) != 1) {
        abort();
    }

    if (EVP_PKEY_keygen(ctx, &pkey) != 1) {
        abort();
    }

    EVP_PKEY_CTX_free(ctx);

    return pkey;
}


static void
bn_param(EVP_PKEY *pkey, const char *name, unsigned char *out, size_t *len,
    size_t pad)
{
    BIGNUM  *bn;

    bn = NULL;

    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
        abort();
    }

    if (pad == 0) {
        *len = BN_bn2bin(bn, out);

    } else {
        BN_bn2binpad(bn, out, (int) pad);
        *len = pad;
    }

    BN_free(bn);
}


/* COSE_Key of a generated key; kty, alg, crv as given */

static void
cose_of(buf_t *b, EVP_PKEY *pkey, int64_t kty, int64_t alg, int64_t crv)
{
    size_t         xlen, ylen, flen;
    unsigned char  x[1024], y[1024];

    b->len = 0;

    if (kty == WA_COSE_KTY_RSA) {
        bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, x, &xlen, 0);
        bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, y, &ylen, 0);

        cb_head(b, 5, 4);
        cb_int(b, 1); cb_int(b, kty);
        cb_int(b, 3); cb_int(b, alg);
        cb_int(b, -1); cb_bytes(b, x, xlen);
        cb_int(b, -2); cb_bytes(b, y, ylen);
        return;
    }

    if (kty == WA_COSE_KTY_OKP) {
        xlen = sizeof(x);
        if (EVP_PKEY_get_raw_public_key(pkey, x, &xlen) != 1) {
            abort();
        }

        cb_head(b, 5, 4);
        cb_int(b, 1); cb_int(b, kty);
        cb_int(b, 3); cb_int(b, alg);
        cb_int(b, -1); cb_int(b, crv);
        cb_int(b, -2); cb_bytes(b, x, xlen);
        return;
    }

    flen = (EVP_PKEY_get_bits(pkey) + 7) / 8;

    bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, x, &xlen, flen);
    bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, y, &ylen, flen);

    cb_head(b, 5, 5);
    cb_int(b, 1); cb_int(b, kty);
    cb_int(b, 3); cb_int(b, alg);
    cb_int(b, -1); cb_int(b, crv);
    cb_int(b, -2); cb_bytes(b, x, xlen);
    cb_int(b, -3); cb_bytes(b, y, ylen);
}


static void
sign(buf_t *sig, EVP_PKEY *pkey, int alg, const unsigned char *msg,
    size_t len)
{
    size_t         slen;
    EVP_MD_CTX    *mctx;
    const EVP_MD  *md;
    EVP_PKEY_CTX  *pctx;

    switch (alg) {
    case WA_COSE_ALG_ES384:
        md = EVP_sha384();
        break;
    case WA_COSE_ALG_ES512:
        md = EVP_sha512();
        break;
    case WA_COSE_ALG_EDDSA:
    case WA_COSE_ALG_ED25519:
    case WA_COSE_ALG_ED448:
        md = NULL;
        break;
    default:
        md = EVP_sha256();
    }

    mctx = EVP_MD_CTX_new();

    if (EVP_DigestSignInit(mctx, &pctx, md, NULL, pkey) != 1) {
        abort();
    }

    if (alg == WA_COSE_ALG_PS256) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
    }

    slen = sizeof(sig->b);

    if (EVP_DigestSign(mctx, sig->b, &slen, msg, len) != 1) {
        abort();
    }

    sig->len = slen;

    EVP_MD_CTX_free(mctx);
}


/* authenticatorData: rpIdHash || flags || counter || rest */

static void
auth_data(buf_t *ad, const char *rp_id, unsigned flags, uint32_t count,
    const unsigned char *rest, size_t rest_len)
{
    wa_sha256(ad->b, rp_id, strlen(rp_id));
    ad->b[32] = (unsigned char) flags;
    ad->b[33] = (unsigned char) (count >> 24);
    ad->b[34] = (unsigned char) (count >> 16);
    ad->b[35] = (unsigned char) (count >> 8);
    ad->b[36] = (unsigned char) count;
    if (rest_len > 0) {
        memcpy(ad->b + 37, rest, rest_len);
    }

    ad->len = 37 + rest_len;
}


static const char *
client_data(const char *type, const char *origin, const char *extra)
{
    static char  s[2048];

    snprintf(s, sizeof(s),
             "{\"type\":\"%s\",\"challenge\":\"" CHALLENGE "\","
             "\"origin\":\"%s\"%s}", type, origin, extra);

    return s;
}


/* the base64url token of an envelope around the members given */

static char *
envelope(const char *cdata, const buf_t *ad, const buf_t *sig,
    const char *user_handle)
{
    char           *json, *tok, *p;
    size_t          n;
    static char     cd64[4096], ad64[4096], sig64[4096];
    unsigned char   id[16];

    memset(id, 0xa5, sizeof(id));

    b64(cd64, (const unsigned char *) cdata, strlen(cdata));
    b64(ad64, ad->b, ad->len);
    b64(sig64, sig->b, sig->len);

    json = malloc(16384);
    p = json;
    p += sprintf(p, "{\"id\":\"paWlpaWlpaWlpaWlpaWlpQ\","
                 "\"rawId\":\"paWlpaWlpaWlpaWlpaWlpQ\","
                 "\"type\":\"public-key\",\"authenticatorAttachment\":null,"
                 "\"response\":{\"clientDataJSON\":\"%s\","
                 "\"authenticatorData\":\"%s\",\"signature\":\"%s\"",
                 cd64, ad64, sig64);

    if (user_handle != NULL) {
        p += sprintf(p, ",\"userHandle\":%s", user_handle);
    }

    p += sprintf(p, "},\"clientExtensionResults\":{}}");

    n = p - json;
    tok = malloc(wa_b64url_encoded_len(n) + 1);
    b64(tok, (unsigned char *) json, n);
    free(json);

    return tok;
}


/*
 * the whole pipeline: sign cdata and ad with sk, parse, check, verify
 * with the COSE key; returns the first error
 */

static wa_err_t
run(const char *cdata, buf_t *ad, EVP_PKEY *sk, int alg, const buf_t *cose,
    const wa_policy_t *policy, int tamper, const char *user_handle,
    const unsigned char *stored_uh, size_t stored_uh_len)
{
    char            *tok;
    buf_t            sig;
    wa_err_t         rc;
    wa_pkey_t       *key;
    wa_assertion_t   a;
    unsigned char    msg[8192 + 32];

    last_detail = NULL;
    key = NULL;

    wa_sha256(msg + ad->len, cdata, strlen(cdata));
    memcpy(msg, ad->b, ad->len);

    if (sk != NULL) {
        sign(&sig, sk, alg, msg, ad->len + WA_SHA256_LEN);

    } else {
        memset(sig.b, 0x30, 8);
        sig.len = 8;
    }

    if (tamper == TAMPER_SIG) {
        sig.b[sig.len / 2] ^= 0x01;

    } else if (tamper == TAMPER_AD) {
        ad->b[36] ^= 0x01;
    }

    tok = envelope(cdata, ad, &sig, user_handle);

    rc = wa_assertion_parse(&a, (unsigned char *) tok, strlen(tok),
                            &last_detail);
    free(tok);

    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_assertion_check(&a, policy, &last_detail);
    if (rc != WA_OK) {
        goto done;
    }

    if (cose == NULL) {
        goto done;
    }

    rc = wa_pkey_from_cose(&key, cose->b, cose->len, &last_detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_assertion_verify(&a, key, stored_uh, stored_uh_len,
                             &last_detail);

done:

    if (rc != WA_OK && last_detail == NULL) {
        UNIT_OK(0, "%s without a detail", wa_err_code(rc));
    }

    if (tamper == TAMPER_AD) {
        ad->b[36] ^= 0x01;
    }

    wa_pkey_free(key);
    wa_assertion_free(&a);

    return rc;
}


/* check only, no signature */

static wa_err_t
run_check(const char *cdata, buf_t *ad, const wa_policy_t *policy)
{
    return run(cdata, ad, NULL, 0, NULL, policy, TAMPER_NONE, NULL, NULL, 0);
}


static wa_err_t
parse_json(const char *json, wa_assertion_t *a)
{
    char      *tok;
    wa_err_t   rc;

    tok = malloc(wa_b64url_encoded_len(strlen(json)) + 1);
    b64(tok, (const unsigned char *) json, strlen(json));

    last_detail = NULL;
    rc = wa_assertion_parse(a, (unsigned char *) tok, strlen(tok),
                            &last_detail);
    free(tok);

    return rc;
}


static wa_err_t
cose_try(const buf_t *cose)
{
    wa_err_t    rc;
    wa_pkey_t  *key;

    key = NULL;
    last_detail = NULL;

    rc = wa_pkey_from_cose(&key, cose->b, cose->len, &last_detail);
    wa_pkey_free(key);

    if (rc != WA_OK && last_detail == NULL) {
        printf("# no detail\n");
        rc = WA_ERR_LAST;
    }

    return rc;
}


/* tests ------------------------------------------------------------------ */


static int
dec(const char *s, unsigned char *out, size_t *len)
{
    return wa_b64url_decode(out, len, (const unsigned char *) s, strlen(s));
}


static void
test_b64(void)
{
    int             i, ok;
    char            enc[256];
    size_t          n, len;
    unsigned char   out[256], in[256];

    static const char  *plain[] = {
        "", "f", "fo", "foo", "foob", "fooba", "foobar"
    };
    static const char  *coded[] = {
        "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"
    };
    static const char  *padded[] = {
        "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
    };

    for (i = 0; i < 7; i++) {
        b64(enc, (const unsigned char *) plain[i], strlen(plain[i]));
        UNIT_OK(strcmp(enc, coded[i]) == 0, "b64url encode \"%s\"", plain[i]);
        UNIT_OK(wa_b64url_encoded_len(strlen(plain[i])) == strlen(coded[i]),
                "b64url encoded_len %d", i);

        UNIT_OK(dec(coded[i], out, &len) == 0 && len == strlen(plain[i])
                && memcmp(out, plain[i], len) == 0,
                "b64url decode unpadded \"%s\"", coded[i]);
        UNIT_OK(dec(padded[i], out, &len) == 0 && len == strlen(plain[i])
                && memcmp(out, plain[i], len) == 0,
                "b64url decode padded \"%s\"", padded[i]);
        UNIT_OK(wa_b64url_decoded_max(strlen(padded[i])) >= strlen(plain[i])
                && wa_b64url_decoded_max(strlen(coded[i]))
                   >= strlen(plain[i]),
                "b64url decoded_max %d", i);
    }

    /* 0xfb 0xff 0xbf: "+/+/" standard, "-_-_" url-safe */

    UNIT_OK(dec("-_-_", out, &len) == 0 && len == 3 && out[0] == 0xfb
            && out[1] == 0xff && out[2] == 0xbf, "b64url url-safe alphabet");
    UNIT_OK(dec("+/+/", out, &len) == 0 && len == 3 && out[0] == 0xfb
            && out[1] == 0xff && out[2] == 0xbf, "b64url standard alphabet");
    UNIT_OK(dec("-/+_", out, &len) == 0 && len == 3, "b64url mixed alphabets");
    UNIT_OK(dec("_w==", out, &len) == 0 && len == 1 && out[0] == 0xff,
            "b64url padded url-safe");

    UNIT_OK(dec("Zg=", out, &len) != 0, "b64url short padding rejected");
    UNIT_OK(dec("Zg===", out, &len) != 0, "b64url long padding rejected");
    UNIT_OK(dec("Z===", out, &len) != 0, "b64url three pads rejected");
    UNIT_OK(dec("====", out, &len) != 0, "b64url only padding rejected");
    UNIT_OK(dec("=", out, &len) != 0, "b64url lone pad rejected");
    UNIT_OK(dec("Zg==Zg==", out, &len) != 0, "b64url inner padding rejected");
    UNIT_OK(dec("Z=g=", out, &len) != 0, "b64url pad in quantum rejected");
    UNIT_OK(dec("Z", out, &len) != 0, "b64url one char rejected");
    UNIT_OK(dec("Zm9vY", out, &len) != 0, "b64url 4n+1 chars rejected");
    UNIT_OK(dec("Zh", out, &len) != 0, "b64url non-zero trailing bits (2)");
    UNIT_OK(dec("Zh==", out, &len) != 0, "b64url non-zero trailing bits (2p)");
    UNIT_OK(dec("Zm9", out, &len) != 0, "b64url non-zero trailing bits (3)");
    UNIT_OK(dec("Zm9=", out, &len) != 0, "b64url non-zero trailing bits (3p)");
    UNIT_OK(dec("Zm 9v", out, &len) != 0, "b64url space rejected");
    UNIT_OK(dec("Zm9v\n", out, &len) != 0, "b64url newline rejected");
    UNIT_OK(dec("Zm9*", out, &len) != 0, "b64url \"*\" rejected");
    UNIT_OK(dec("Zm.v", out, &len) != 0, "b64url \".\" rejected");
    UNIT_OK(wa_b64url_decode(out, &len, (const unsigned char *) "Zm\0v", 4)
            != 0, "b64url NUL rejected");
    UNIT_OK(dec("\xc3\xa9Zm", out, &len) != 0, "b64url 8-bit rejected");

    ok = 1;

    for (n = 0; n < 100; n++) {
        for (i = 0; i < (int) n; i++) {
            in[i] = (unsigned char) (n * 31 + i * 7);
        }

        b64(enc, in, n);

        if (dec(enc, out, &len) != 0 || len != n || memcmp(in, out, n) != 0
            || len > wa_b64url_decoded_max(strlen(enc)))
        {
            ok = 0;
        }
    }

    UNIT_OK(ok, "b64url round trip of 0-99 bytes");
}


static void
test_err(void)
{
    int  i;

    static const char  *codes[] = {
        "ok", "credential_missing", "credential_malformed",
        "credential_unknown", "credential_revoked", "client_data_invalid",
        "challenge_invalid", "origin_not_allowed", "rp_id_mismatch",
        "user_not_present", "user_not_verified", "user_handle_mismatch",
        "algorithm_unsupported", "signature_invalid", "sign_count_regressed",
        "store_unavailable", "internal_error"
    };

    for (i = 0; i < WA_ERR_LAST; i++) {
        UNIT_OK(strcmp(wa_err_code((wa_err_t) i), codes[i]) == 0
                && wa_err_title((wa_err_t) i) != NULL
                && wa_err_title((wa_err_t) i)[0] != '\0',
                "err code %s", codes[i]);
    }

    UNIT_OK(wa_err_status(WA_OK) == 200, "status ok 200");
    UNIT_OK(wa_err_status(WA_ERR_CREDENTIAL_MALFORMED) == 401
            && wa_err_status(WA_ERR_SIGN_COUNT_REGRESSED) == 401,
            "status 401");
    UNIT_OK(wa_err_status(WA_ERR_STORE_UNAVAILABLE) == 503, "status 503");
    UNIT_OK(wa_err_status(WA_ERR_INTERNAL) == 500, "status 500");
    UNIT_OK(strcmp(wa_err_code(WA_ERR_LAST), "internal_error") == 0
            && strcmp(wa_err_code((wa_err_t) 1000), "internal_error") == 0,
            "out of range is internal_error");
    UNIT_OK(wa_err_is_client(WA_ERR_SIGNATURE_INVALID)
            && wa_err_is_client(WA_ERR_CREDENTIAL_MISSING)
            && !wa_err_is_client(WA_ERR_STORE_UNAVAILABLE)
            && !wa_err_is_client(WA_ERR_INTERNAL)
            && !wa_err_is_client(WA_OK), "is_client");
}


static void
test_challenges(void)
{
    uint64_t              exp;
    wa_err_t              rc;
    const char           *d;
    unsigned char         key[32], key2[32], c[WA_CHALLENGE_LEN],
                          t[WA_CHALLENGE_LEN];
    const unsigned char  *nonce;

    memset(key, 0x11, sizeof(key));
    memset(key2, 0x22, sizeof(key2));

    UNIT_OK(wa_challenge_issue(c, key, 32, RP_ID, 11, 1000000) == 0,
            "challenge issue");
    UNIT_OK(c[0] == 0x01 && c[8] == (1000000 & 0xff), "challenge layout");

    d = NULL;
    nonce = NULL;
    rc = wa_challenge_check(c, sizeof(c), key, 32, RP_ID, 11, 999999, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_OK, "challenge check good");
    UNIT_OK(exp == 1000000 && nonce == c + 9, "challenge expiry and nonce");

    memcpy(t, c, sizeof(c));
    t[WA_CHALLENGE_LEN - 1] ^= 1;
    d = NULL;
    rc = wa_challenge_check(t, sizeof(t), key, 32, RP_ID, 11, 0, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge tampered MAC");
    UNIT_OK(d != NULL && strstr(d, "not issued") != NULL,
            "challenge tampered MAC detail");

    memcpy(t, c, sizeof(c));
    t[12] ^= 1;
    rc = wa_challenge_check(t, sizeof(t), key, 32, RP_ID, 11, 0, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge tampered nonce");

    memcpy(t, c, sizeof(c));
    t[8] ^= 0x80;
    rc = wa_challenge_check(t, sizeof(t), key, 32, RP_ID, 11, 0, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge extended expiry");

    rc = wa_challenge_check(c, sizeof(c), key, 32, "example.com", 11, 0,
                            &exp, &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge wrong rp_id");

    rc = wa_challenge_check(c, sizeof(c), key2, 32, RP_ID, 11, 0, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge wrong key");

    d = NULL;
    rc = wa_challenge_check(c, sizeof(c), key, 32, RP_ID, 11, 1000000, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge expired at expiry");
    UNIT_OK(d != NULL && strcmp(d, "challenge has expired") == 0,
            "challenge expired detail");

    rc = wa_challenge_check(c, sizeof(c) - 1, key, 32, RP_ID, 11, 0, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge wrong length");

    rc = wa_challenge_check(c, 0, key, 32, RP_ID, 11, 0, &exp, &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge empty");

    memcpy(t, c, sizeof(c));
    t[0] = 0x02;
    d = NULL;
    rc = wa_challenge_check(t, sizeof(t), key, 32, RP_ID, 11, 0, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge wrong version");
    UNIT_OK(d != NULL && strstr(d, "version") != NULL,
            "challenge wrong version detail");

    UNIT_OK(wa_challenge_issue(t, key, 31, RP_ID, 11, 1000000) != 0,
            "challenge issue with a short key fails");
    rc = wa_challenge_check(c, sizeof(c), key, 31, RP_ID, 11, 0, &exp,
                            &nonce, &d);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "challenge check with a short key");

    UNIT_OK(wa_challenge_issue(t, key, 32, RP_ID, 11, 1000000) == 0
            && memcmp(t + 9, c + 9, 16) != 0, "challenge nonces differ");
}


static void
test_sign_count(void)
{
    const char  *d;

    UNIT_ERR(wa_sign_count_check(0, 0, &d), WA_OK, "sign count 0 0");
    UNIT_ERR(wa_sign_count_check(0, 1, &d), WA_OK, "sign count 0 1");
    UNIT_ERR(wa_sign_count_check(5, 6, &d), WA_OK, "sign count 5 6");
    UNIT_ERR(wa_sign_count_check(5, 5, &d), WA_ERR_SIGN_COUNT_REGRESSED,
             "sign count 5 5");
    UNIT_ERR(wa_sign_count_check(5, 4, &d), WA_ERR_SIGN_COUNT_REGRESSED,
             "sign count 5 4");
    UNIT_ERR(wa_sign_count_check(5, 0, &d), WA_ERR_SIGN_COUNT_REGRESSED,
             "sign count 5 0");
    UNIT_ERR(wa_sign_count_check(0xffffffff, 0xffffffff, &d),
             WA_ERR_SIGN_COUNT_REGRESSED, "sign count max max");
    UNIT_ERR(wa_sign_count_check(0, 0xffffffff, NULL), WA_OK,
             "sign count 0 max, NULL detail");
}


static void
test_envelope(void)
{
    wa_err_t        rc;
    wa_assertion_t  a;
    char           *big;

    static const char  *resp =
        "\"response\":{\"clientDataJSON\":\"e30\","
        "\"authenticatorData\":\"AAAA\",\"signature\":\"MEQ\"";

    rc = wa_assertion_parse(&a, (const unsigned char *) "", 0, &last_detail);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope empty");
    wa_assertion_free(&a);

    rc = wa_assertion_parse(&a, (const unsigned char *) "e30*", 4,
                            &last_detail);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope not base64url");
    wa_assertion_free(&a);

    big = malloc(30000);
    memset(big, 'A', 30000);
    rc = wa_assertion_parse(&a, (unsigned char *) big, 30000, &last_detail);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope too long");
    wa_assertion_free(&a);
    free(big);

    rc = parse_json("not json", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope not JSON");
    wa_assertion_free(&a);

    rc = parse_json("[1,2]", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope not an object");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":{\"clientDataJSON\":\"e30\","
                    "\"authenticatorData\":\"AAAA\",\"signature\":\"MEQ\","
                    "\"userHandle\":null,\"x\":1},\"extra\":[1,{}]}", &a);
    UNIT_ERR(rc, WA_OK, "envelope minimal, unknown members ignored");
    UNIT_OK(a.raw_id_len == 1 && a.raw_id[0] == 1
            && strcmp(a.cred_id, "AQ") == 0 && a.cred_id_len == 2
            && a.client_data_len == 2 && a.auth_data_len == 3
            && a.signature_len == 2 && a.user_handle == NULL,
            "envelope members decoded");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"-_8=\",\"rawId\":\"+/8\",\"type\":"
                    "\"public-key\",\"response\":{\"clientDataJSON\":\"e30\","
                    "\"authenticatorData\":\"AAAA\",\"signature\":\"MEQ\","
                    "\"userHandle\":\"dXNlcg==\"}}", &a);
    UNIT_ERR(rc, WA_OK, "envelope lenient alphabets");
    UNIT_OK(a.cred_id != NULL && strcmp(a.cred_id, "-_8") == 0,
            "envelope canonical credential id");
    UNIT_OK(a.user_handle_len == 4 && memcmp(a.user_handle, "user", 4) == 0,
            "envelope userHandle");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"Ag\",\"type\":\"public-key\","
                    "\"response\":{\"clientDataJSON\":\"e30\","
                    "\"authenticatorData\":\"AAAA\",\"signature\":\"MEQ\"}}",
                    &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope id differs rawId");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"type\":\"public-key\",\"response\":{}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope duplicate member");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"password\","
                    "\"response\":{}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope wrong type");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"response\":{}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope no type");
    wa_assertion_free(&a);

    rc = parse_json("{\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":{}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope no id");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":1,\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":{}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope id not a string");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"\",\"rawId\":\"\",\"type\":\"public-key\","
                    "\"response\":{}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope empty rawId");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\"}",
                    &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope no response");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":\"x\"}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope response string");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":{\"clientDataJSON\":\"e30\","
                    "\"authenticatorData\":\"AAAA\"}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope no signature");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":{\"clientDataJSON\":\"e30\","
                    "\"authenticatorData\":\"AAAA\",\"signature\":\"\"}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope empty signature");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":{\"authenticatorData\":\"AAAA\","
                    "\"signature\":\"MEQ\"}}", &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope no clientDataJSON");
    wa_assertion_free(&a);

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":{\"clientDataJSON\":\"e30\","
                    "\"authenticatorData\":\"AA A\",\"signature\":\"MEQ\"}}",
                    &a);
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope bad base64url");
    wa_assertion_free(&a);

    {
        char  j[512];

        snprintf(j, sizeof(j), "{\"id\":\"AQ\",\"rawId\":\"AQ\","
                 "\"type\":\"public-key\",%s,\"userHandle\":5}}", resp);
        rc = parse_json(j, &a);
        UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope userHandle 5");
        wa_assertion_free(&a);

        snprintf(j, sizeof(j), "{\"id\":\"AQ\",\"rawId\":\"AQ\","
                 "\"type\":\"public-key\",%s,\"userHandle\":\"\"}}", resp);
        rc = parse_json(j, &a);
        UNIT_ERR(rc, WA_OK, "envelope empty userHandle taken as absent");
        UNIT_OK(a.user_handle == NULL, "envelope empty userHandle NULL");
        wa_assertion_free(&a);

        snprintf(j, sizeof(j), "{\"id\":\"AQ\",\"rawId\":\"AQ\","
                 "\"type\":\"public-key\",%s,\"userHandle\":\"%s\"}}", resp,
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        rc = parse_json(j, &a);
        UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "envelope userHandle > 64");
        wa_assertion_free(&a);
    }

    /* a zeroed structure and NULL are freed */

    memset(&a, 0, sizeof(a));
    wa_assertion_free(&a);
    wa_assertion_free(NULL);
    wa_pkey_free(NULL);
    UNIT_OK(1, "free of NULL and zeroed structures");
}


static void
test_client_data(void)
{
    buf_t         ad;
    wa_policy_t   p;
    const char   *cd;

    policy_init(&p);
    auth_data(&ad, RP_ID, WA_FLAG_UP, 1, NULL, 0);

    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN, ""), &ad, &p),
             WA_OK, "client data good");

    UNIT_ERR(run_check("not json", &ad, &p), WA_ERR_CLIENT_DATA_INVALID,
             "client data not JSON");
    UNIT_ERR(run_check("", &ad, &p), WA_ERR_CLIENT_DATA_INVALID,
             "client data empty");
    UNIT_ERR(run_check("[\"webauthn.get\"]", &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data an array");
    UNIT_ERR(run_check("\"webauthn.get\"", &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data a string");
    UNIT_ERR(run_check(client_data("webauthn.create", ORIGIN, ""), &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data webauthn.create");
    UNIT_ERR(run_check(client_data("webauthn.ge", ORIGIN, ""), &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data webauthn.ge");
    UNIT_ERR(run_check(client_data("webauthn.get\\u0000", ORIGIN, ""), &ad,
                       &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data type with NUL");
    UNIT_ERR(run_check("{\"type\":1,\"challenge\":\"" CHALLENGE "\","
                       "\"origin\":\"" ORIGIN "\"}", &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data type a number");
    UNIT_ERR(run_check("{\"challenge\":\"" CHALLENGE "\","
                       "\"origin\":\"" ORIGIN "\"}", &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data no type");
    UNIT_ERR(run_check("{\"type\":\"webauthn.get\","
                       "\"origin\":\"" ORIGIN "\"}", &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data no challenge");
    UNIT_ERR(run_check("{\"type\":\"webauthn.get\",\"challenge\":null,"
                       "\"origin\":\"" ORIGIN "\"}", &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data challenge null");
    UNIT_ERR(run_check("{\"type\":\"webauthn.get\",\"challenge\":\""
                       CHALLENGE "\"}", &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data no origin");
    UNIT_ERR(run_check("{\"type\":\"webauthn.get\",\"challenge\":\""
                       CHALLENGE "\",\"origin\":[]}", &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data origin an array");
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN,
                                   ",\"type\":\"webauthn.get\""), &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data duplicate type");
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN,
                                   ",\"challenge\":\"" CHALLENGE "\""),
                       &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data duplicate challenge");
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN,
                                   ",\"origin\":\"" ORIGIN "\""), &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID, "client data duplicate origin");
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN,
                                   ",\"other_keys_can_be_added_here\":"
                                   "\"do not compare clientDataJSON against "
                                   "a template\",\"hashAlgorithm\":"
                                   "\"SHA-256\",\"tokenBinding\":"
                                   "{\"status\":\"supported\"},\"n\":[1]"),
                       &ad, &p),
             WA_OK, "client data extra members accepted");
    UNIT_ERR(run_check("{ \"origin\" : \"" ORIGIN "\" ,\n \"challenge\":\""
                       CHALLENGE "\", \"type\": \"webauthn.get\" }", &ad, &p),
             WA_OK, "client data other order and whitespace accepted");
    UNIT_ERR(run_check("{\"type\":\"webauthn.get\",\"challenge\":\""
                       "dGVzdC1jaGFsbGVuZ2UtYnl0ZXMtMDEyMzQ1Njc4OQ==\","
                       "\"origin\":\"" ORIGIN "\"}", &ad, &p),
             WA_OK, "client data challenge padded, compared decoded");
    UNIT_ERR(run_check("{\"type\":\"webauthn.get\",\"challenge\":\""
                       "dGVzdC1jaGFsbGVuZ2UtYnl0ZXMtMDEyMzQ1Njc4OR\","
                       "\"origin\":\"" ORIGIN "\"}", &ad, &p),
             WA_ERR_CHALLENGE_INVALID, "client data challenge differs");
    UNIT_ERR(run_check("{\"type\":\"webauthn.get\",\"challenge\":\"!!\","
                       "\"origin\":\"" ORIGIN "\"}", &ad, &p),
             WA_ERR_CHALLENGE_INVALID, "client data challenge not b64url");

    /* step 13 */

    UNIT_ERR(run_check(client_data("webauthn.get", "https://evil.example",
                                   ""), &ad, &p),
             WA_ERR_ORIGIN_NOT_ALLOWED, "origin not allowed");
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN ".evil", ""), &ad,
                       &p),
             WA_ERR_ORIGIN_NOT_ALLOWED, "origin prefix not allowed");
    UNIT_ERR(run_check(client_data("webauthn.get", "https://example.or", ""),
                       &ad, &p),
             WA_ERR_ORIGIN_NOT_ALLOWED, "origin shorter not allowed");
    UNIT_ERR(run_check(client_data("webauthn.get", "HTTPS://EXAMPLE.ORG", ""),
                       &ad, &p),
             WA_ERR_ORIGIN_NOT_ALLOWED, "origin is compared exactly");
    UNIT_ERR(run_check(client_data("webauthn.get", "https://other.example.org",
                                   ""), &ad, &p),
             WA_OK, "origin second of the list allowed");

    /* step 14 */

    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":false");
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "crossOrigin false");

    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":\"true\"");
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CLIENT_DATA_INVALID,
             "crossOrigin a string");

    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":true");
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_ORIGIN_NOT_ALLOWED,
             "crossOrigin true, not allowed");

    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":true,"
                     "\"topOrigin\":\"" ORIGIN "\"");
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_ORIGIN_NOT_ALLOWED,
             "crossOrigin true with topOrigin, not allowed");

    cd = client_data("webauthn.get", ORIGIN, ",\"topOrigin\":\"" ORIGIN "\"");
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_ORIGIN_NOT_ALLOWED,
             "topOrigin without crossOrigin, not allowed");

    p.allow_cross_origin = 1;

    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":true");
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_ORIGIN_NOT_ALLOWED,
             "crossOrigin true allowed, no topOrigin");

    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":true,"
                     "\"topOrigin\":\"https://other.example.org\"");
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK,
             "crossOrigin true allowed, topOrigin listed");

    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":true,"
                     "\"topOrigin\":\"https://evil.example\"");
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_ORIGIN_NOT_ALLOWED,
             "crossOrigin true allowed, topOrigin not listed");

    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":true,"
                     "\"topOrigin\":7");
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CLIENT_DATA_INVALID,
             "topOrigin a number");

    cd = client_data("webauthn.get", "https://evil.example",
                     ",\"crossOrigin\":true,\"topOrigin\":\"" ORIGIN "\"");
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_ORIGIN_NOT_ALLOWED,
             "crossOrigin allowed, origin itself not listed");

    p.allow_cross_origin = 0;

    p.check_challenge = NULL;
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN, ""), &ad, &p),
             WA_ERR_INTERNAL, "no challenge callback is an internal error");
}


static void
test_auth_data(void)
{
    int            i;
    buf_t          ad, cose;
    wa_err_t       rc;
    wa_policy_t    p;
    const char    *cd;
    unsigned char  rest[512];
    EVP_PKEY      *pkey;

    policy_init(&p);
    cd = client_data("webauthn.get", ORIGIN, "");

    auth_data(&ad, RP_ID, WA_FLAG_UP, 1, NULL, 0);
    ad.len = 36;
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data 36 bytes");
    ad.len = 0;
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data empty");

    auth_data(&ad, RP_ID, WA_FLAG_UP, 1, (unsigned char *) "x", 1);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data 38 bytes without AT or ED");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data AT without data");

    /* aaguid, credential ID length 4, ID, COSE key */

    pkey = keygen("EC", "P-256", 0);
    cose_of(&cose, pkey, WA_COSE_KTY_EC2, WA_COSE_ALG_ES256,
            WA_COSE_CRV_P256);
    EVP_PKEY_free(pkey);

    memset(rest, 0, 16);
    rest[16] = 0;
    rest[17] = 4;
    memcpy(rest + 18, "\x01\x02\x03\x04", 4);
    memcpy(rest + 22, cose.b, cose.len);

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT, 1, rest, 22 + cose.len);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data AT with a key");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT, 1, rest, 21 + cose.len);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data AT key cut short");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT, 1, rest, 20);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data AT credential ID cut short");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT, 1, rest, 17);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data AT credential ID length cut short");

    rest[22 + cose.len] = 0xa0;
    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT, 1, rest, 23 + cose.len);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data AT with trailing bytes, no ED");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT | WA_FLAG_ED, 1, rest,
              23 + cose.len);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data AT and ED");

    rest[22] = 0x82;  /* an array, not a map */
    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT, 1, rest, 22 + cose.len);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data AT key not a map");

    rest[16] = 0x04;
    rest[17] = 0x00;  /* 1024 */
    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_AT, 1, rest, 22 + cose.len);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data AT credential ID longer than 1023");

    /* extensions: {"credProtect": 1} */

    memcpy(rest, "\xa1\x6b" "credProtect" "\x01", 14);
    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1, rest, 14);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data ED with a map");

    rest[14] = 0x00;
    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1, rest, 15);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED with trailing garbage");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1, rest, 13);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED map cut short");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED without extensions");

    auth_data(&ad, RP_ID, WA_FLAG_UP, 1, rest, 14);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data extensions without ED");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1,
              (unsigned char *) "\x81\x01", 2);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED an array");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1,
              (unsigned char *) "\xbf\x01\x02\xff", 4);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data ED indefinite map");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1,
              (unsigned char *) "\xbf\x01\xff", 3);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED indefinite map, key without value");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1,
              (unsigned char *) "\xa1\x01\x1c", 3);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED reserved additional information");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1,
              (unsigned char *) "\xa1\x01\xf8\x10", 4);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED two-byte simple value below 32");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1,
              (unsigned char *) "\xa1\x01\x5f\x41\x00\x61\x00\xff", 8);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED indefinite bstr with a tstr chunk");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1,
              (unsigned char *) "\xa1\x01\x5f\x41\x00\x42\x00\x01\xff", 9);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data ED indefinite bstr");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1,
              (unsigned char *) "\xbb\xff\xff\xff\xff\xff\xff\xff\xff", 9);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED huge map count");

    /* 40 nested arrays */

    rest[0] = 0xa1;
    rest[1] = 0x01;

    for (i = 0; i < 40; i++) {
        rest[2 + i] = 0x81;
    }

    rest[42] = 0x01;
    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_ED, 1, rest, 43);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data ED nested too deep");

    /* flags */

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_BS, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_CREDENTIAL_MALFORMED,
             "auth data BS without BE");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_BS | WA_FLAG_BE, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data BS with BE");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_BE, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data BE alone");

    auth_data(&ad, "example.com", WA_FLAG_UP, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_RP_ID_MISMATCH,
             "auth data other rpIdHash");

    auth_data(&ad, RP_ID, 0, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_USER_NOT_PRESENT,
             "auth data UP not set");

    auth_data(&ad, RP_ID, WA_FLAG_UV, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_USER_NOT_PRESENT,
             "auth data UV without UP");

    auth_data(&ad, RP_ID, WA_FLAG_UP, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data UV preferred, no UV");

    p.user_verification = WA_UV_DISCOURAGED;
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK,
             "auth data UV discouraged, no UV");

    p.user_verification = WA_UV_REQUIRED;
    UNIT_ERR(run_check(cd, &ad, &p), WA_ERR_USER_NOT_VERIFIED,
             "auth data UV required, no UV");

    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_UV, 1, NULL, 0);
    UNIT_ERR(run_check(cd, &ad, &p), WA_OK, "auth data UV required, UV");

    /* the fields filled by wa_assertion_check() */

    {
        char            *tok;
        buf_t            sig;
        wa_assertion_t   a;
        unsigned char    h[WA_SHA256_LEN];

        auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_UV | WA_FLAG_BE, 0x01020304,
                  NULL, 0);
        sig.len = 1;
        sig.b[0] = 0;
        tok = envelope(cd, &ad, &sig, NULL);
        rc = wa_assertion_parse(&a, (unsigned char *) tok, strlen(tok),
                                &last_detail);
        free(tok);
        UNIT_ERR(rc, WA_OK, "parse for the filled fields");
        rc = wa_assertion_check(&a, &p, &last_detail);
        UNIT_ERR(rc, WA_OK, "check for the filled fields");
        wa_sha256(h, cd, strlen(cd));
        UNIT_OK(a.sign_count == 0x01020304
                && a.flags == (WA_FLAG_UP | WA_FLAG_UV | WA_FLAG_BE)
                && memcmp(a.cdata_hash, h, sizeof(h)) == 0
                && a.challenge_len == sizeof(test_challenge) - 1
                && memcmp(a.challenge, test_challenge, a.challenge_len) == 0,
                "check fills sign_count, flags, cdata_hash, challenge");
        rc = wa_assertion_check(&a, &p, &last_detail);
        UNIT_ERR(rc, WA_OK, "check twice");
        rc = wa_assertion_verify(&a, NULL, NULL, 0, &last_detail);
        UNIT_ERR(rc, WA_ERR_INTERNAL, "verify without a key");
        wa_assertion_free(&a);
    }
}


typedef struct {
    const char  *name;
    const char  *type;
    const char  *group;
    unsigned     bits;
    int          kty;
    int          alg;
    int          crv;
} key_case_t;


static void
test_keys(void)
{
    int                i;
    buf_t              ad, cose, c2;
    wa_err_t           rc;
    wa_policy_t        p;
    const char        *cd;
    EVP_PKEY          *pkey, *other;
    const key_case_t  *k;
    wa_pkey_t         *key;

    static const key_case_t  cases[] = {
        { "ES256", "EC", "P-256", 0, 2, -7, 1 },
        { "ESP256", "EC", "P-256", 0, 2, -9, 1 },
        { "ES384", "EC", "P-384", 0, 2, -35, 2 },
        { "ES512", "EC", "P-521", 0, 2, -36, 3 },
        { "RS256", "RSA", NULL, 2048, 3, -257, 0 },
        { "PS256", "RSA", NULL, 2048, 3, -37, 0 },
        { "EdDSA Ed25519", "ED25519", NULL, 0, 1, -8, 6 },
        { "Ed25519", "ED25519", NULL, 0, 1, -19, 6 },
        { "EdDSA Ed448", "ED448", NULL, 0, 1, -8, 7 },
        { "Ed448", "ED448", NULL, 0, 1, -53, 7 }
    };

    policy_init(&p);
    cd = client_data("webauthn.get", ORIGIN, "");
    auth_data(&ad, RP_ID, WA_FLAG_UP, 7, NULL, 0);

    for (i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++) {
        k = &cases[i];

        pkey = keygen(k->type, k->group, k->bits);
        other = keygen(k->type, k->group, k->bits);

        cose_of(&cose, pkey, k->kty, k->alg, k->crv);

        key = NULL;
        rc = wa_pkey_from_cose(&key, cose.b, cose.len, &last_detail);
        UNIT_ERR(rc, WA_OK, "%s COSE key", k->name);
        UNIT_OK(key != NULL && wa_pkey_alg(key) == k->alg, "%s alg",
                k->name);
        wa_pkey_free(key);

        rc = run(cd, &ad, pkey, k->alg, &cose, &p, TAMPER_NONE,
                 "\"dXNlcg\"", (unsigned char *) "user", 4);
        UNIT_ERR(rc, WA_OK, "%s assertion verifies", k->name);

        rc = run(cd, &ad, pkey, k->alg, &cose, &p, TAMPER_SIG, NULL, NULL,
                 0);
        UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "%s tampered signature",
                 k->name);

        rc = run(cd, &ad, pkey, k->alg, &cose, &p, TAMPER_AD, NULL, NULL,
                 0);
        UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "%s tampered auth data",
                 k->name);

        rc = run(cd, &ad, other, k->alg, &cose, &p, TAMPER_NONE, NULL,
                 NULL, 0);
        UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "%s other key's signature",
                 k->name);

        /* userHandle, WebAuthn L3, 7.2, step 6 */

        rc = run(cd, &ad, pkey, k->alg, &cose, &p, TAMPER_NONE,
                 "\"dXNlcg\"", (unsigned char *) "usex", 4);
        UNIT_ERR(rc, WA_ERR_USER_HANDLE_MISMATCH, "%s userHandle differs",
                 k->name);

        rc = run(cd, &ad, pkey, k->alg, &cose, &p, TAMPER_NONE,
                 "\"dXNlcg\"", (unsigned char *) "users", 5);
        UNIT_ERR(rc, WA_ERR_USER_HANDLE_MISMATCH,
                 "%s userHandle of another length", k->name);

        rc = run(cd, &ad, pkey, k->alg, &cose, &p, TAMPER_NONE, "null",
                 (unsigned char *) "user", 4);
        UNIT_ERR(rc, WA_OK, "%s userHandle null", k->name);

        rc = run(cd, &ad, pkey, k->alg, &cose, &p, TAMPER_NONE,
                 "\"dXNlcg\"", NULL, 0);
        UNIT_ERR(rc, WA_OK, "%s record without user handle", k->name);

        /* the COSE key followed by a byte */

        c2 = cose;
        c2.b[c2.len++] = 0x00;
        UNIT_ERR(cose_try(&c2), WA_ERR_CREDENTIAL_MALFORMED,
                 "%s COSE key with a trailing byte", k->name);

        c2 = cose;
        c2.len--;
        UNIT_ERR(cose_try(&c2), WA_ERR_CREDENTIAL_MALFORMED,
                 "%s COSE key cut short", k->name);

        EVP_PKEY_free(pkey);
        EVP_PKEY_free(other);
    }
}


static void
test_cose(void)
{
    buf_t          c, good;
    EVP_PKEY      *ec, *ec384, *rsa, *rsa1024, *ed;
    size_t         xlen;
    unsigned char  x[600], y[600];

    ec = keygen("EC", "P-256", 0);
    ec384 = keygen("EC", "P-384", 0);
    rsa = keygen("RSA", NULL, 2048);
    rsa1024 = keygen("RSA", NULL, 1024);
    ed = keygen("ED25519", NULL, 0);

    /* unsupported */

    cose_of(&c, rsa, WA_COSE_KTY_RSA, -65535, 0);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE RS1 -65535");

    cose_of(&c, rsa, WA_COSE_KTY_RSA, -7, 0);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE RSA with ES256");

    cose_of(&c, rsa1024, WA_COSE_KTY_RSA, WA_COSE_ALG_RS256, 0);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE RSA 1024 bits");

    c.len = 0;
    cb_head(&c, 5, 3);
    cb_int(&c, 1); cb_int(&c, 4);
    cb_int(&c, 3); cb_int(&c, 5);
    cb_int(&c, -1); cb_bytes(&c, x, 32);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE kty 4");

    cose_of(&c, ec, WA_COSE_KTY_EC2, WA_COSE_ALG_ES256, WA_COSE_CRV_P384);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED,
             "COSE ES256 with crv P-384");

    cose_of(&c, ec384, WA_COSE_KTY_EC2, WA_COSE_ALG_ES256, WA_COSE_CRV_P384);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED,
             "COSE P-384 key with ES256");

    cose_of(&c, ec, WA_COSE_KTY_EC2, WA_COSE_ALG_ES256, 8);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE EC2 crv 8");

    cose_of(&c, ec, WA_COSE_KTY_EC2, WA_COSE_ALG_EDDSA, WA_COSE_CRV_P256);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE EC2 EdDSA");

    cose_of(&c, ed, WA_COSE_KTY_OKP, WA_COSE_ALG_ED448, WA_COSE_CRV_ED25519);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED,
             "COSE Ed448 with crv Ed25519");

    cose_of(&c, ed, WA_COSE_KTY_OKP, WA_COSE_ALG_ED25519, WA_COSE_CRV_ED448);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED,
             "COSE Ed25519 with crv Ed448");

    cose_of(&c, ed, WA_COSE_KTY_OKP, WA_COSE_ALG_EDDSA, 4);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE OKP crv X25519");

    cose_of(&c, ed, WA_COSE_KTY_OKP, WA_COSE_ALG_ES256, WA_COSE_CRV_ED25519);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE OKP ES256");

    /* malformed */

    c.len = 0;
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE empty");

    c.len = 1;
    c.b[0] = 0xff;
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE break byte");

    c.len = 0;
    cb_head(&c, 4, 1);
    cb_int(&c, 1);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE an array");

    c.len = 0;
    cb_head(&c, 5, 0);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE empty map");

    c.len = 0;
    cb_head(&c, 5, 1);
    cb_int(&c, 3); cb_int(&c, -7);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE no kty");

    c.len = 0;
    cb_head(&c, 5, 1);
    cb_int(&c, 1); cb_int(&c, 2);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE no alg");

    c.len = 0;
    cb_head(&c, 5, 2);
    cb_int(&c, 1); cb_head(&c, 3, 3); memcpy(c.b + c.len, "EC2", 3);
    c.len += 3;
    cb_int(&c, 3); cb_int(&c, -7);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE kty a string");

    c.len = 0;
    cb_head(&c, 5, 3);
    cb_int(&c, 1); cb_int(&c, 2);
    cb_int(&c, 3); cb_int(&c, -7);
    cb_int(&c, 1); cb_int(&c, 2);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE duplicate kty");

    cose_of(&good, ec, WA_COSE_KTY_EC2, WA_COSE_ALG_ES256, WA_COSE_CRV_P256);
    UNIT_ERR(cose_try(&good), WA_OK, "COSE P-256 good");

    /* members of the good key: x at 10 (after 58 20), y at 45 */

    UNIT_OK(good.len == 77 && good.b[8] == 0x58 && good.b[9] == 32
            && good.b[43] == 0x58, "COSE P-256 layout as expected");

    memcpy(x, good.b + 10, 32);
    memcpy(y, good.b + 45, 32);

    c = good;
    c.b[76] ^= 0x01;
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE P-256 point not on the curve");

    c.len = 0;
    cb_head(&c, 5, 5);
    cb_int(&c, 1); cb_int(&c, 2);
    cb_int(&c, 3); cb_int(&c, -7);
    cb_int(&c, -1); cb_int(&c, 1);
    cb_int(&c, -2); cb_bytes(&c, x, 32);
    cb_int(&c, -3); cb_head(&c, 7, 21);    /* true: compressed */
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE P-256 compressed y");

    c.len = 0;
    cb_head(&c, 5, 4);
    cb_int(&c, 1); cb_int(&c, 2);
    cb_int(&c, 3); cb_int(&c, -7);
    cb_int(&c, -1); cb_int(&c, 1);
    cb_int(&c, -2); cb_bytes(&c, x, 32);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE P-256 no y");

    c.len = 0;
    cb_head(&c, 5, 5);
    cb_int(&c, 1); cb_int(&c, 2);
    cb_int(&c, 3); cb_int(&c, -7);
    cb_int(&c, -1); cb_int(&c, 1);
    cb_int(&c, -2); cb_bytes(&c, x, 31);
    cb_int(&c, -3); cb_bytes(&c, y, 32);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE P-256 short x");

    c.len = 0;
    cb_head(&c, 5, 5);
    cb_int(&c, 1); cb_int(&c, 2);
    cb_int(&c, 3); cb_int(&c, -7);
    cb_int(&c, -1); cb_int(&c, 1);
    cb_int(&c, -2); cb_head(&c, 3, 32); memcpy(c.b + c.len, x, 32);
    c.len += 32;
    cb_int(&c, -3); cb_bytes(&c, y, 32);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE P-256 x a text string");

    memset(x, 0, 32);
    memset(y, 0, 32);
    c.len = 0;
    cb_head(&c, 5, 5);
    cb_int(&c, 1); cb_int(&c, 2);
    cb_int(&c, 3); cb_int(&c, -7);
    cb_int(&c, -1); cb_int(&c, 1);
    cb_int(&c, -2); cb_bytes(&c, x, 32);
    cb_int(&c, -3); cb_bytes(&c, y, 32);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE P-256 point (0, 0)");

    c.len = 0;
    cb_head(&c, 5, 4);
    cb_int(&c, 1); cb_int(&c, 1);
    cb_int(&c, 3); cb_int(&c, -8);
    cb_int(&c, -1); cb_int(&c, 6);
    cb_int(&c, -2); cb_bytes(&c, x, 31);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE Ed25519 short x");

    c.len = 0;
    cb_head(&c, 5, 3);
    cb_int(&c, 1); cb_int(&c, 3);
    cb_int(&c, 3); cb_int(&c, -257);
    cb_int(&c, -1); cb_bytes(&c, x, 256);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE RSA no e");

    bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, x, &xlen, 0);
    c.len = 0;
    cb_head(&c, 5, 4);
    cb_int(&c, 1); cb_int(&c, 3);
    cb_int(&c, 3); cb_int(&c, -257);
    cb_int(&c, -1); cb_bytes(&c, x, xlen);
    cb_int(&c, -2); cb_bytes(&c, (unsigned char *) "\x01\x00\x00", 3);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE RSA even e");

    c.len = 0;
    cb_head(&c, 5, 4);
    cb_int(&c, 1); cb_int(&c, 3);
    cb_int(&c, 3); cb_int(&c, -257);
    cb_int(&c, -1); cb_bytes(&c, x, xlen);
    cb_int(&c, -2); cb_bytes(&c, (unsigned char *) "", 0);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE RSA empty e");

    /* an indefinite map is well-formed and accepted */

    c = good;
    c.b[0] = 0xbf;
    c.b[c.len++] = 0xff;
    UNIT_ERR(cose_try(&c), WA_OK, "COSE P-256 indefinite map");

    /* unknown labels are ignored */

    c = good;
    c.b[0] = 0xa6;
    cb_int(&c, 2);
    cb_bytes(&c, (unsigned char *) "kid", 3);
    UNIT_ERR(cose_try(&c), WA_OK, "COSE P-256 with a kid");

    c.len = 0;
    cb_head(&c, 5, 0x7fffffff);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE huge map");

    c.len = 0;
    cb_head(&c, 5, 1);
    cb_int(&c, 1);
    cb_head(&c, 2, 0xffffffff);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED, "COSE huge bstr");

    EVP_PKEY_free(ec);
    EVP_PKEY_free(ec384);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(rsa1024);
    EVP_PKEY_free(ed);
}


static void
test_details(void)
{
    buf_t         ad;
    wa_policy_t   p;

    /* every error path sets a detail */

    policy_init(&p);
    auth_data(&ad, RP_ID, 0, 1, NULL, 0);

    last_detail = NULL;
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN, ""), &ad, &p),
             WA_ERR_USER_NOT_PRESENT, "detail set for user_not_present");
    UNIT_OK(last_detail != NULL && strstr(last_detail, "UP") != NULL,
            "detail says \"%s\"", last_detail ? last_detail : "(null)");
}


int
main(void)
{
    test_b64();
    test_err();
    test_challenges();
    test_sign_count();
    test_envelope();
    test_client_data();
    test_auth_data();
    test_keys();
    test_cose();
    test_details();

    wa_core_cleanup();

    return UNIT_DONE();
}
