
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* unit tests of the verification core */


#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>
#include <openssl/err.h>

#include "wa_internal.h"
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
static int                  queue_dirty;

static wa_origin_t  test_origins[] = {
    { "https://other.example.org", sizeof("https://other.example.org") - 1 },
    { ORIGIN, sizeof(ORIGIN) - 1 }
};


/* helpers ---------------------------------------------------------------- */


/*
 * wa_core.h: OpenSSL's error queue is empty after every return but
 * WA_ERR_INTERNAL; counted here, reported once at the end
 */

static void
queue_check(wa_err_t rc)
{
    if (rc != WA_ERR_INTERNAL && ERR_peek_error() != 0) {
        queue_dirty++;
        printf("# OpenSSL error queue not empty after %s\n",
               wa_err_code(rc));
    }

    ERR_clear_error();
}


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


/*
 * How a signer makes a signature of each COSE algorithm, stated here from
 * the RFCs and on purpose not derived from the verifier's table, so that
 * a wrong mapping there fails a test:
 *   RFC 9053, 2.1   ES256 -7, ES384 -35, ES512 -36: ECDSA with SHA-256,
 *                   SHA-384, SHA-512 (DER signatures, WebAuthn L3, 6.5.5)
 *   RFC 9864        ESP256 -9: ECDSA P-256 with SHA-256; Ed25519 -19,
 *                   Ed448 -53: pure EdDSA
 *   RFC 9053, 2.2   EdDSA -8: pure EdDSA, no prehash
 *   RFC 8230, 2     PS256 -37: RSASSA-PSS, SHA-256, MGF1 with SHA-256,
 *                   salt as long as the hash (32)
 *   RFC 8812, 2     RS256 -257: RSASSA-PKCS1-v1_5 with SHA-256
 */

#define PAD_NONE   0
#define PAD_PKCS1  1
#define PAD_PSS    2

typedef struct {
    const char  *md;                /* OpenSSL digest name, NULL: EdDSA */
    int          pad;
    int          saltlen;           /* PSS */
} sig_params_t;

static const sig_params_t  sig_es256 = { "SHA256", PAD_NONE, 0 };
static const sig_params_t  sig_es384 = { "SHA384", PAD_NONE, 0 };
static const sig_params_t  sig_es512 = { "SHA512", PAD_NONE, 0 };
static const sig_params_t  sig_eddsa = { NULL, PAD_NONE, 0 };
static const sig_params_t  sig_ps256 = { "SHA256", PAD_PSS, 32 };
static const sig_params_t  sig_rs256 = { "SHA256", PAD_PKCS1, 0 };


static void
sign(buf_t *sig, EVP_PKEY *pkey, const sig_params_t *sp,
    const unsigned char *msg, size_t len)
{
    size_t         slen;
    EVP_MD        *md;
    EVP_MD_CTX    *mctx;
    EVP_PKEY_CTX  *pctx;

    md = NULL;

    if (sp->md != NULL) {
        md = EVP_MD_fetch(NULL, sp->md, NULL);
        if (md == NULL) {
            abort();
        }
    }

    mctx = EVP_MD_CTX_new();

    if (mctx == NULL || EVP_DigestSignInit(mctx, &pctx, md, NULL, pkey) != 1)
    {
        abort();
    }

    if (sp->pad == PAD_PKCS1
        && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    {
        abort();
    }

    if (sp->pad == PAD_PSS
        && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, sp->saltlen) != 1))
    {
        abort();
    }

    slen = sizeof(sig->b);

    if (EVP_DigestSign(mctx, sig->b, &slen, msg, len) != 1) {
        abort();
    }

    sig->len = slen;

    EVP_MD_CTX_free(mctx);
    EVP_MD_free(md);
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
run(const char *cdata, buf_t *ad, EVP_PKEY *sk, const sig_params_t *sp,
    const buf_t *cose, const wa_policy_t *policy, int tamper,
    const char *user_handle, const unsigned char *stored_uh,
    size_t stored_uh_len)
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
        sign(&sig, sk, sp, msg, ad->len + WA_SHA256_LEN);

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

    queue_check(rc);

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
    return run(cdata, ad, NULL, NULL, NULL, policy, TAMPER_NONE, NULL, NULL,
               0);
}


static int
is_zero(const void *p, size_t len)
{
    size_t                i;
    const unsigned char  *b;

    b = p;

    for (i = 0; i < len; i++) {
        if (b[i] != 0) {
            return 0;
        }
    }

    return 1;
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

    queue_check(rc);

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



/* an OKP key from raw bytes: NULL detail when accepted */

static wa_err_t
okp_try(int crv, const unsigned char *x, size_t len)
{
    wa_err_t    rc;
    wa_pkey_t  *key;

    key = NULL;
    last_detail = NULL;

    rc = wa_pkey_okp(&key, WA_COSE_ALG_EDDSA, crv, x, len, &last_detail);
    wa_pkey_free(key);

    queue_check(rc);

    return rc;
}


/*
 * Ed25519 and Ed448 points of small order, every encoding (both x signs,
 * y + p): refused as keys; their neighbours are not
 */

static void
test_okp_small_order(void)
{
    size_t         i, k;
    unsigned char  x[57];
    int            small;

    static const char  *ed25519[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
    };

    for (i = 0; i < sizeof(ed25519) / sizeof(ed25519[0]); i++) {
        for (k = 0; k < 32; k++) {
            sscanf(ed25519[i] + 2 * k, "%2hhx", &x[k]);
        }

        UNIT_ERR(okp_try(WA_COSE_CRV_ED25519, x, 32),
                 WA_ERR_CREDENTIAL_MALFORMED, "Ed25519 small order %zu", i);
        UNIT_OK(last_detail && strstr(last_detail, "small order"),
                "Ed25519 small order %zu: the detail says so", i);

        x[31] ^= 0x80;
        UNIT_ERR(okp_try(WA_COSE_CRV_ED25519, x, 32),
                 WA_ERR_CREDENTIAL_MALFORMED,
                 "Ed25519 small order %zu, other x sign", i);

        x[31] ^= 0x80;
        x[i == 0 ? 1 : 0] ^= 0x10;
        okp_try(WA_COSE_CRV_ED25519, x, 32);
        UNIT_OK(last_detail == NULL || !strstr(last_detail, "small order"),
                "Ed25519 small order %zu: a neighbour is not", i);
    }

    /* Ed448: y = 0, 1, p - 1, p, p + 1; p = 2^448 - 2^224 - 1 */

    for (i = 0; i < 5; i++) {
        memset(x, 0, sizeof(x));

        if (i >= 2 && i <= 3) {
            memset(x, 0xff, 56);
            x[28] = 0xfe;
            x[0] = (i == 2) ? 0xfe : 0xff;

        } else if (i == 4) {
            memset(x + 28, 0xff, 28);

        } else {
            x[0] = (unsigned char) i;
        }

        for (k = 0; k < 2; k++) {
            x[56] = k ? 0x80 : 0x00;
            UNIT_ERR(okp_try(WA_COSE_CRV_ED448, x, 57),
                     WA_ERR_CREDENTIAL_MALFORMED, "Ed448 small order %zu.%zu",
                     i, k);
        }

        x[56] = 0;
        x[5] ^= 0x01;
        okp_try(WA_COSE_CRV_ED448, x, 57);
        small = last_detail && strstr(last_detail, "small order");
        UNIT_OK(!small, "Ed448 small order %zu: a neighbour is not", i);
    }
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


/* tokens: random bytes in base64url (attempt tokens, admin tokens) */

static void
test_random_b64url(void)
{
    size_t         i, l1, l2, raw;
    unsigned char  t1[128], t2[128], back[WA_RANDOM_B64URL_MAX];

    l1 = wa_random_b64url(t1, 16);
    l2 = wa_random_b64url(t2, 16);

    UNIT_OK(l1 == wa_b64url_encoded_len(16) && l2 == l1,
            "random token: 16 bytes give %zu characters", l1);
    UNIT_OK(l1 && memcmp(t1, t2, l1) != 0, "random token: two differ");
    UNIT_OK(l1 && wa_b64url_decode(back, &raw, t1, l1) == 0 && raw == 16,
            "random token: base64url of 16 bytes");

    for (i = 0; i < l1; i++) {
        if (!isalnum(t1[i]) && t1[i] != '-' && t1[i] != '_') {
            break;
        }
    }

    UNIT_OK(l1 && i == l1, "random token: the base64url alphabet only");

    l1 = wa_random_b64url(t1, WA_RANDOM_B64URL_MAX);
    UNIT_OK(l1 == wa_b64url_encoded_len(WA_RANDOM_B64URL_MAX),
            "random token: the largest, %d bytes", WA_RANDOM_B64URL_MAX);
    UNIT_OK(wa_random_b64url(t1, WA_RANDOM_B64URL_MAX + 1) == 0,
            "random token: more than %d bytes refused", WA_RANDOM_B64URL_MAX);
}


static void
test_err(void)
{
    int          i, j, ok;
    const char  *c;

    static const char  *codes[] = {
        "ok", "credential_missing", "credential_malformed",
        "credential_unknown", "credential_revoked", "client_data_invalid",
        "challenge_invalid", "origin_not_allowed", "rp_id_mismatch",
        "user_not_present", "user_not_verified", "user_handle_mismatch",
        "algorithm_unsupported", "signature_invalid", "sign_count_regressed",
        "store_unavailable", "role_forbidden", "aws_credentials_unavailable",
        "invitation_invalid", "attestation_malformed", "attestation_invalid",
        "attestation_untrusted", "credential_exists", "request_invalid",
        "not_found", "token_invalid", "token_expired",
        "reauthentication_required",
        "internal_error"
    };

    UNIT_OK(sizeof(codes) / sizeof(codes[0]) == WA_ERR_LAST,
            "err a code for each of the %d wa_err_t values", WA_ERR_LAST);

    for (i = 0; i < WA_ERR_LAST; i++) {
        UNIT_OK(strcmp(wa_err_code((wa_err_t) i), codes[i]) == 0,
                "err code %s", codes[i]);
    }

    /* stable snake_case, distinct */

    ok = 1;

    for (i = 0; i < WA_ERR_LAST; i++) {
        c = wa_err_code((wa_err_t) i);

        if (c[0] == '\0'
            || strspn(c, "abcdefghijklmnopqrstuvwxyz_") != strlen(c))
        {
            ok = 0;
        }

        for (j = 0; j < i; j++) {
            if (strcmp(c, wa_err_code((wa_err_t) j)) == 0) {
                ok = 0;
            }
        }
    }

    UNIT_OK(ok, "err codes are distinct snake_case");

    UNIT_OK(strcmp(wa_err_code(WA_ERR_LAST), "internal_error") == 0
            && strcmp(wa_err_code((wa_err_t) 1000), "internal_error") == 0
            && strcmp(wa_err_code((wa_err_t) -1), "internal_error") == 0,
            "out of range is internal_error");
}


/* a challenge check with the test key and RP ID */

static wa_err_t
chal(const unsigned char *c, size_t len, const unsigned char *key,
    size_t keylen, uint64_t now, uint64_t max_age, wa_challenge_info_t *info,
    const char **d)
{
    *d = NULL;

    return wa_challenge_check(c, len, key, keylen, RP_ID, sizeof(RP_ID) - 1,
                              now, max_age, info, d);
}


static int
detail_is(const char *d, const char *want)
{
    return d != NULL && strcmp(d, want) == 0;
}


static void
test_challenges(void)
{
    char                  big[300];
    wa_err_t              rc;
    uint64_t              t0;
    const char           *d;
    unsigned char         key[64], key2[32], c[WA_CHALLENGE_LEN],
                          t[WA_CHALLENGE_LEN], mac[WA_SHA256_LEN],
                          body[WA_CHALLENGE_LEN + 16];
    wa_challenge_info_t   info;

    /* the layout constants, as constant expressions */

    {
        char  b64[WA_CHALLENGE_B64_LEN], n64[WA_CHALLENGE_NONCE_B64_LEN];

        UNIT_OK(WA_CHALLENGE_LEN == 65 && sizeof(b64) == 87
                && sizeof(n64) == 22 && WA_CHALLENGE_VERSION == 0x02,
                "challenge 65 bytes, 87 and 22 base64url characters");
    }

    UNIT_OK(WA_B64URL_LEN(0) == 0 && WA_B64URL_LEN(1) == 2
            && WA_B64URL_LEN(2) == 3 && WA_B64URL_LEN(3) == 4
            && WA_B64URL_LEN(4) == 6 && WA_B64URL_LEN(65) == 87
            && WA_B64URL_LEN(16) == 22, "WA_B64URL_LEN");

    memset(key, 0x11, sizeof(key));
    memset(key2, 0x22, sizeof(key2));
    t0 = 1700000000000ULL;

    UNIT_OK(wa_challenge_issue(c, key, 32, RP_ID, sizeof(RP_ID) - 1, t0,
                               60000) == 0, "challenge issue");

    /* version || issued || expires || nonce || MAC over them and rp_id */

    UNIT_OK(c[0] == 0x02 && c[1] == (unsigned char) (t0 >> 56)
            && c[8] == (unsigned char) t0
            && c[16] == (unsigned char) (t0 + 60000)
            && c[13] == (unsigned char) ((t0 + 60000) >> 24),
            "challenge layout: version, issued, expires");

    memcpy(body, c, 33);
    memcpy(body + 33, RP_ID, sizeof(RP_ID) - 1);
    UNIT_OK(wa_hmac_sha256(mac, key, 32, body, 33 + sizeof(RP_ID) - 1) == 0
            && memcmp(mac, c + 33, 32) == 0,
            "challenge MAC over version, times, nonce and rp_id");

    rc = chal(c, sizeof(c), key, 32, t0 + 59999, 120000, &info, &d);
    UNIT_ERR(rc, WA_OK, "challenge check good");
    UNIT_OK(info.issued_ms == t0 && info.expires_ms == t0 + 60000
            && info.nonce == c + 17, "challenge info");

    rc = chal(c, sizeof(c), key, 32, t0 + 1000, 30000, &info, &d);
    UNIT_ERR(rc, WA_OK, "challenge check, shorter max age");
    UNIT_OK(info.expires_ms == t0 + 30000,
            "challenge info expires at issued + max age when earlier");

    rc = chal(c, sizeof(c), key, 32, t0 + 1000, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_OK, "challenge check, max age without bound");
    UNIT_OK(info.expires_ms == t0 + 60000, "challenge info, sealed expiry");

    rc = chal(c, sizeof(c), key, 32, t0 + 1, 1, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge at issued + max age");
    UNIT_OK(detail_is(d, "challenge is older than this location accepts"),
            "challenge max age detail");

    rc = chal(c, sizeof(c), key, 32, t0, 0, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge max age 0");

    /* minted for an hour, checked 1.3 s later where 1 s is accepted */

    UNIT_OK(wa_challenge_issue(t, key, 32, RP_ID, sizeof(RP_ID) - 1, t0,
                               3600000) == 0, "challenge issue, 3600 s");
    rc = chal(t, sizeof(t), key, 32, t0 + 1300, 1000, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID,
             "challenge of 3600 s, 1.3 s old, max age 1000 ms");
    UNIT_OK(detail_is(d, "challenge is older than this location accepts"),
            "challenge of 3600 s, max age detail");
    rc = chal(t, sizeof(t), key, 32, t0 + 999, 1000, &info, &d);
    UNIT_ERR(rc, WA_OK, "challenge of 3600 s, 0.999 s old, max age 1000 ms");

    /* the sealed expiry */

    rc = chal(c, sizeof(c), key, 32, t0 + 60000, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge expired at expiry");
    UNIT_OK(detail_is(d, "challenge has expired"), "challenge expired detail");

    rc = chal(c, sizeof(c), key, 32, UINT64_MAX, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge expired, far future");

    UNIT_OK(wa_challenge_issue(t, key, 32, RP_ID, sizeof(RP_ID) - 1,
                               UINT64_MAX - 5, 60000) == 0
            && memcmp(t + 9, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0,
            "challenge expiry saturates");

    /* tampering, each MAC-covered part */

    memcpy(t, c, sizeof(c));
    t[WA_CHALLENGE_LEN - 1] ^= 1;
    rc = chal(t, sizeof(t), key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge tampered MAC");
    UNIT_OK(detail_is(d, "challenge was not issued by this relying party"),
            "challenge tampered MAC detail");

    memcpy(t, c, sizeof(c));
    t[20] ^= 1;
    rc = chal(t, sizeof(t), key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge tampered nonce");

    memcpy(t, c, sizeof(c));
    t[16] ^= 0x80;
    rc = chal(t, sizeof(t), key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge extended expiry");
    UNIT_OK(detail_is(d, "challenge was not issued by this relying party"),
            "challenge extended expiry, MAC first");

    memcpy(t, c, sizeof(c));
    t[8] ^= 0x01;
    rc = chal(t, sizeof(t), key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge moved issue time");

    d = NULL;
    rc = wa_challenge_check(c, sizeof(c), key, 32, "example.com", 11, t0,
                            UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge wrong rp_id");

    rc = chal(c, sizeof(c), key2, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge wrong key");

    rc = chal(c, sizeof(c), key, 33, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge longer key");

    /* an issue time after the expiry, sealed with the key */

    memcpy(t, c, sizeof(c));
    memcpy(t + 1, c + 9, 8);
    memcpy(t + 9, c + 1, 8);
    memcpy(body, t, 33);
    wa_hmac_sha256(t + 33, key, 32, body, 33 + sizeof(RP_ID) - 1);
    rc = chal(t, sizeof(t), key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge issued after expiry");
    UNIT_OK(detail_is(d, "challenge has an invalid lifetime"),
            "challenge invalid lifetime detail");

    /* length, version */

    rc = chal(c, sizeof(c) - 1, key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge one byte short");
    UNIT_OK(detail_is(d, "challenge has a wrong length"),
            "challenge wrong length detail");

    rc = chal(c, 0, key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge empty");

    memset(t, 0, sizeof(t));
    t[0] = 0x01;
    rc = chal(t, 57, key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge of version 1's length");

    memcpy(t, c, sizeof(c));
    t[0] = 0x01;
    rc = chal(t, sizeof(t), key, 32, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "challenge version 1");
    UNIT_OK(detail_is(d, "challenge has an unknown version"),
            "challenge unknown version detail");

    /* the caller's faults */

    UNIT_OK(wa_challenge_issue(t, key, 31, RP_ID, sizeof(RP_ID) - 1, t0,
                               60000) == -1,
            "challenge issue with a short key fails");
    UNIT_OK(wa_challenge_issue(t, key, WA_CHALLENGE_KEY_MAX + 1, RP_ID,
                               sizeof(RP_ID) - 1, t0, 60000) == -1,
            "challenge issue with a long key fails");

    rc = chal(c, sizeof(c), key, 31, t0, UINT64_MAX, &info, &d);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "challenge check with a short key");
    UNIT_OK(d != NULL, "challenge short key detail");

    rc = chal(c, sizeof(c), key, WA_CHALLENGE_KEY_MAX + 1, t0, UINT64_MAX,
              &info, &d);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "challenge check with a long key");

    memset(big, 'a', sizeof(big));
    UNIT_OK(wa_challenge_issue(t, key, 32, big, 254, t0, 60000) == -1,
            "challenge issue with a 254 byte rp_id fails");
    d = NULL;
    rc = wa_challenge_check(c, sizeof(c), key, 32, big, 254, t0, UINT64_MAX,
                            &info, &d);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "challenge check with a 254 byte rp_id");

    UNIT_OK(wa_challenge_issue(t, key, 32, big, 253, t0, 60000) == 0
            && wa_challenge_check(t, sizeof(t), key, 32, big, 253, t0,
                                  UINT64_MAX, NULL, NULL) == WA_OK,
            "challenge with a 253 byte rp_id, NULL info and detail");

    UNIT_OK(wa_challenge_issue(t, key, 32, RP_ID, sizeof(RP_ID) - 1, t0,
                               60000) == 0
            && memcmp(t + 17, c + 17, 16) != 0, "challenge nonces differ");
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

    /* freeing leaves a zeroed structure; zeroed ones and NULL are freed */

    rc = parse_json("{\"id\":\"AQ\",\"rawId\":\"AQ\",\"type\":\"public-key\","
                    "\"response\":{\"clientDataJSON\":\"e30\","
                    "\"authenticatorData\":\"AAAA\",\"signature\":\"MEQ\","
                    "\"userHandle\":\"dXNlcg\"}}", &a);
    UNIT_ERR(rc, WA_OK, "envelope to free");
    UNIT_OK(a.raw_id != NULL && a.user_handle != NULL,
            "envelope to free has members");
    wa_assertion_free(&a);
    UNIT_OK(is_zero(&a, sizeof(a)), "free zeroes the structure");
    wa_assertion_free(&a);
    UNIT_OK(is_zero(&a, sizeof(a)), "free of a zeroed structure");
    wa_assertion_free(NULL);
    wa_pkey_free(NULL);
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
    /* "\u0000" is JSON like any escape (t/diff, seed 2, case 2402) */
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN,
                                   ",\"androidPackageName\":\"\\u0000\""),
                       &ad, &p),
             WA_OK, "client data extra member with NUL accepted");
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN "\\u0000", ""),
                       &ad, &p),
             WA_ERR_ORIGIN_NOT_ALLOWED, "client data origin with NUL");
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN,
                                   ",\"tokenBinding\":{\"status\":"
                                   "\"present\\u0000x\"}"), &ad, &p),
             WA_ERR_CLIENT_DATA_INVALID,
             "client data tokenBinding status with NUL");
    UNIT_ERR(run_check(client_data("webauthn.get", ORIGIN,
                                   ",\"tokenBinding\":{\"status\":"
                                   "\"present\"}"), &ad, &p),
             WA_OK, "client data tokenBinding status present");
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
    const char          *name;
    const char          *type;
    const char          *group;
    unsigned             bits;
    int                  kty;
    int                  alg;
    int                  crv;
    const sig_params_t  *sp;
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
        { "ES256", "EC", "P-256", 0, 2, -7, 1, &sig_es256 },
        { "ESP256", "EC", "P-256", 0, 2, -9, 1, &sig_es256 },
        { "ES384", "EC", "P-384", 0, 2, -35, 2, &sig_es384 },
        { "ES512", "EC", "P-521", 0, 2, -36, 3, &sig_es512 },
        { "RS256", "RSA", NULL, 2048, 3, -257, 0, &sig_rs256 },
        { "PS256", "RSA", NULL, 2048, 3, -37, 0, &sig_ps256 },
        { "EdDSA Ed25519", "ED25519", NULL, 0, 1, -8, 6, &sig_eddsa },
        { "Ed25519", "ED25519", NULL, 0, 1, -19, 6, &sig_eddsa },
        { "EdDSA Ed448", "ED448", NULL, 0, 1, -8, 7, &sig_eddsa },
        { "Ed448", "ED448", NULL, 0, 1, -53, 7, &sig_eddsa }
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

        rc = run(cd, &ad, pkey, k->sp, &cose, &p, TAMPER_NONE,
                 "\"dXNlcg\"", (unsigned char *) "user", 4);
        UNIT_ERR(rc, WA_OK, "%s assertion verifies", k->name);

        rc = run(cd, &ad, pkey, k->sp, &cose, &p, TAMPER_SIG, NULL, NULL,
                 0);
        UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "%s tampered signature",
                 k->name);

        rc = run(cd, &ad, pkey, k->sp, &cose, &p, TAMPER_AD, NULL, NULL,
                 0);
        UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "%s tampered auth data",
                 k->name);

        rc = run(cd, &ad, other, k->sp, &cose, &p, TAMPER_NONE, NULL,
                 NULL, 0);
        UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "%s other key's signature",
                 k->name);

        /* userHandle, WebAuthn L3, 7.2, step 6 */

        rc = run(cd, &ad, pkey, k->sp, &cose, &p, TAMPER_NONE,
                 "\"dXNlcg\"", (unsigned char *) "usex", 4);
        UNIT_ERR(rc, WA_ERR_USER_HANDLE_MISMATCH, "%s userHandle differs",
                 k->name);

        rc = run(cd, &ad, pkey, k->sp, &cose, &p, TAMPER_NONE,
                 "\"dXNlcg\"", (unsigned char *) "users", 5);
        UNIT_ERR(rc, WA_ERR_USER_HANDLE_MISMATCH,
                 "%s userHandle of another length", k->name);

        rc = run(cd, &ad, pkey, k->sp, &cose, &p, TAMPER_NONE, "null",
                 (unsigned char *) "user", 4);
        UNIT_ERR(rc, WA_OK, "%s userHandle null", k->name);

        rc = run(cd, &ad, pkey, k->sp, &cose, &p, TAMPER_NONE,
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
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE ES256 with crv P-384");

    cose_of(&c, ec384, WA_COSE_KTY_EC2, WA_COSE_ALG_ES256, WA_COSE_CRV_P384);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE P-384 key with ES256");

    cose_of(&c, ec, WA_COSE_KTY_EC2, WA_COSE_ALG_ES256, 8);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE EC2 crv 8");

    cose_of(&c, ec, WA_COSE_KTY_EC2, WA_COSE_ALG_EDDSA, WA_COSE_CRV_P256);
    UNIT_ERR(cose_try(&c), WA_ERR_ALGORITHM_UNSUPPORTED, "COSE EC2 EdDSA");

    cose_of(&c, ed, WA_COSE_KTY_OKP, WA_COSE_ALG_ED448, WA_COSE_CRV_ED25519);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
             "COSE Ed448 with crv Ed25519");

    cose_of(&c, ed, WA_COSE_KTY_OKP, WA_COSE_ALG_ED25519, WA_COSE_CRV_ED448);
    UNIT_ERR(cose_try(&c), WA_ERR_CREDENTIAL_MALFORMED,
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


/* CBOR well-formedness, wa_cbor_item() itself */

static int
cbor_ok(const char *bytes, size_t len, size_t *used, int *major)
{
    return wa_cbor_item((const unsigned char *) bytes, len, used, major);
}


static void
test_cbor(void)
{
    int            i, major;
    size_t         used;
    unsigned char  deep[64];

    UNIT_OK(cbor_ok("\xa0", 1, &used, &major) == 0 && used == 1
            && major == 5, "cbor empty map");
    UNIT_OK(cbor_ok("\x01\x02", 2, &used, &major) == 0 && used == 1
            && major == 0, "cbor one item of two: its length");
    UNIT_OK(cbor_ok("\x20", 1, &used, &major) == 0 && major == 1,
            "cbor negative integer");
    UNIT_OK(cbor_ok("\x1b\xff\xff\xff\xff\xff\xff\xff\xff", 9, &used,
                    &major) == 0 && used == 9, "cbor 64-bit integer");
    UNIT_OK(cbor_ok("\x1b\xff\xff", 3, &used, &major) != 0,
            "cbor integer cut short");
    UNIT_OK(cbor_ok("\x1f", 1, &used, &major) != 0,
            "cbor indefinite integer");
    UNIT_OK(cbor_ok("\xff", 1, &used, &major) != 0, "cbor lone break");
    UNIT_OK(cbor_ok("", 0, &used, &major) != 0, "cbor empty input");
    UNIT_OK(cbor_ok("\xa2\x01\x02\x03", 4, &used, &major) != 0,
            "cbor map short of a pair");
    UNIT_OK(cbor_ok("\x83\x01\x02\x03", 4, &used, &major) == 0 && used == 4
            && major == 4, "cbor definite array");
    UNIT_OK(cbor_ok("\x9f\x01\x9f\xff\x80\xff", 6, &used, &major) == 0
            && used == 6, "cbor nested indefinite arrays");
    UNIT_OK(cbor_ok("\x9f\x01\x02", 3, &used, &major) != 0,
            "cbor indefinite array without break");
    UNIT_OK(cbor_ok("\xa1\x01\xc1\x1a\x00\x01\x00\x00", 8, &used, &major)
            == 0 && used == 8, "cbor tagged value");
    UNIT_OK(cbor_ok("\xc1", 1, &used, &major) != 0,
            "cbor tag without content");
    UNIT_OK(cbor_ok("\xc1\xff", 2, &used, &major) != 0,
            "cbor tag of a break");
    UNIT_OK(cbor_ok("\xdf\x01", 2, &used, &major) != 0,
            "cbor indefinite tag");
    UNIT_OK(cbor_ok("\x7f\x61\x61\x62\x62\x62\xff", 7, &used, &major) == 0
            && used == 7 && major == 3, "cbor indefinite text string");
    UNIT_OK(cbor_ok("\x7f\x61\x61\x41\x62\xff", 6, &used, &major) != 0,
            "cbor indefinite text string with a byte string chunk");
    UNIT_OK(cbor_ok("\x5f\x5f\x41\x00\xff\xff", 6, &used, &major) != 0,
            "cbor indefinite byte string inside another");
    UNIT_OK(cbor_ok("\x5f\x01\xff", 3, &used, &major) != 0,
            "cbor indefinite byte string with an integer chunk");
    UNIT_OK(cbor_ok("\x5f\xff", 2, &used, &major) == 0 && used == 2,
            "cbor indefinite byte string, no chunks");
    UNIT_OK(cbor_ok("\x58\x05\x00", 3, &used, &major) != 0,
            "cbor byte string cut short");
    UNIT_OK(cbor_ok("\x5b\x00\x00\x00\x01\x00\x00\x00\x00", 9, &used,
                    &major) != 0, "cbor byte string of 4 GB");
    UNIT_OK(cbor_ok("\x9b\x00\x00\x00\x01\x00\x00\x00\x00\x01", 10, &used,
                    &major) != 0, "cbor array of 2^32 items");
    UNIT_OK(cbor_ok("\xbf\x01\x02\x03\xff", 5, &used, &major) != 0,
            "cbor indefinite map with an odd count");
    UNIT_OK(cbor_ok("\x84\xf4\xf5\xf6\xf7", 5, &used, &major) == 0
            && used == 5, "cbor false, true, null, undefined");
    UNIT_OK(cbor_ok("\x83\xf9\x3c\x00\xfa\x3f\x80\x00\x00"
                    "\xfb\x3f\xf0\x00\x00\x00\x00\x00\x00", 18, &used,
                    &major) == 0 && used == 18, "cbor floats");
    UNIT_OK(cbor_ok("\xfc", 1, &used, &major) != 0,
            "cbor reserved additional information 28");

    /* libcbor refuses unassigned simple values: stricter than RFC 8949 */

    UNIT_OK(cbor_ok("\xe0", 1, &used, &major) != 0,
            "cbor unassigned simple value 0 refused");
    UNIT_OK(cbor_ok("\xf8\x20", 2, &used, &major) != 0,
            "cbor two-byte simple value refused");

    /* nesting: an item 16 deep is fine, 17 is not */

    for (i = 0; i < 17; i++) {
        deep[i] = 0x81;
    }

    deep[16] = 0x01;
    UNIT_OK(cbor_ok((char *) deep, 17, &used, &major) == 0 && used == 17,
            "cbor item 16 deep");

    deep[16] = 0x81;
    deep[17] = 0x01;
    UNIT_OK(cbor_ok((char *) deep, 18, &used, &major) != 0,
            "cbor item 17 deep");

    for (i = 0; i < 16; i++) {
        deep[i] = 0x9f;
    }

    deep[16] = 0x80;

    for (i = 17; i < 33; i++) {
        deep[i] = 0xff;
    }

    UNIT_OK(cbor_ok((char *) deep, 33, &used, &major) == 0 && used == 33,
            "cbor 16 indefinite arrays around an empty one");
}


static void
test_signature_params(void)
{
    buf_t          ad, cose;
    wa_err_t       rc;
    EVP_PKEY      *rsa, *p256, *p384, *p521;
    wa_policy_t    p;
    const char    *cd;
    sig_params_t   sp;

    policy_init(&p);
    cd = client_data("webauthn.get", ORIGIN, "");
    auth_data(&ad, RP_ID, WA_FLAG_UP, 9, NULL, 0);

    rsa = keygen("RSA", NULL, 2048);
    p256 = keygen("EC", "P-256", 0);
    p384 = keygen("EC", "P-384", 0);
    p521 = keygen("EC", "P-521", 0);

    /* RFC 8230, 2: the PSS salt is as long as the hash, 32 bytes */

    cose_of(&cose, rsa, WA_COSE_KTY_RSA, WA_COSE_ALG_PS256, 0);

    sp = sig_ps256;
    rc = run(cd, &ad, rsa, &sp, &cose, &p, TAMPER_NONE, NULL, NULL, 0);
    UNIT_ERR(rc, WA_OK, "PS256 salt 32");

    sp.saltlen = 0;
    rc = run(cd, &ad, rsa, &sp, &cose, &p, TAMPER_NONE, NULL, NULL, 0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "PS256 salt 0");

    sp.saltlen = 64;
    rc = run(cd, &ad, rsa, &sp, &cose, &p, TAMPER_NONE, NULL, NULL, 0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "PS256 salt 64");

    sp.saltlen = RSA_PSS_SALTLEN_MAX;
    rc = run(cd, &ad, rsa, &sp, &cose, &p, TAMPER_NONE, NULL, NULL, 0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "PS256 largest salt");

    sp = sig_ps256;
    sp.md = "SHA384";
    rc = run(cd, &ad, rsa, &sp, &cose, &p, TAMPER_NONE, NULL, NULL, 0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "PS256 key, PSS with SHA-384");

    rc = run(cd, &ad, rsa, &sig_rs256, &cose, &p, TAMPER_NONE, NULL, NULL, 0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "PS256 key, PKCS#1 v1.5 signature");

    /* RFC 8812, 2: RS256 is PKCS#1 v1.5 with SHA-256 */

    cose_of(&cose, rsa, WA_COSE_KTY_RSA, WA_COSE_ALG_RS256, 0);

    rc = run(cd, &ad, rsa, &sig_ps256, &cose, &p, TAMPER_NONE, NULL, NULL, 0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "RS256 key, PSS signature");

    sp = sig_rs256;
    sp.md = "SHA384";
    rc = run(cd, &ad, rsa, &sp, &cose, &p, TAMPER_NONE, NULL, NULL, 0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "RS256 key, PKCS#1 with SHA-384");

    /* RFC 9053, 2.1: the hash is the algorithm's, not the curve's */

    cose_of(&cose, p256, WA_COSE_KTY_EC2, WA_COSE_ALG_ES256,
            WA_COSE_CRV_P256);
    rc = run(cd, &ad, p256, &sig_es384, &cose, &p, TAMPER_NONE, NULL, NULL,
             0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "ES256 key, ECDSA with SHA-384");

    cose_of(&cose, p384, WA_COSE_KTY_EC2, WA_COSE_ALG_ES384,
            WA_COSE_CRV_P384);
    rc = run(cd, &ad, p384, &sig_es256, &cose, &p, TAMPER_NONE, NULL, NULL,
             0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "ES384 key, ECDSA with SHA-256");

    cose_of(&cose, p521, WA_COSE_KTY_EC2, WA_COSE_ALG_ES512,
            WA_COSE_CRV_P521);
    rc = run(cd, &ad, p521, &sig_es384, &cose, &p, TAMPER_NONE, NULL, NULL,
             0);
    UNIT_ERR(rc, WA_ERR_SIGNATURE_INVALID, "ES512 key, ECDSA with SHA-384");

    EVP_PKEY_free(rsa);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p521);
}


/* an assertion parsed from cdata and ad, with a dummy signature */

static wa_err_t
parse_assertion(wa_assertion_t *a, const char *cdata, const buf_t *ad)
{
    char      *tok;
    buf_t      sig;
    wa_err_t   rc;

    sig.len = 1;
    sig.b[0] = 0;
    tok = envelope(cdata, ad, &sig, NULL);
    rc = wa_assertion_parse(a, (unsigned char *) tok, strlen(tok),
                            &last_detail);
    free(tok);

    return rc;
}


static void
test_recheck(void)
{
    buf_t            ad;
    wa_err_t         rc, rc2;
    wa_origin_t      only_other;
    wa_policy_t      p, q;
    const char      *cd, *d1, *d2;
    wa_assertion_t   a;

    policy_init(&p);
    cd = client_data("webauthn.get", ORIGIN, "");
    auth_data(&ad, RP_ID, WA_FLAG_UP, 3, NULL, 0);

    only_other.data = "https://other.example.org";
    only_other.len = sizeof("https://other.example.org") - 1;

    /* before a check, and after a failed one */

    UNIT_ERR(parse_assertion(&a, cd, &ad), WA_OK, "recheck: parse");
    d1 = NULL;
    UNIT_ERR(wa_assertion_recheck(&a, &p, &d1), WA_ERR_INTERNAL,
             "recheck before any check");
    UNIT_OK(d1 != NULL, "recheck before any check, detail");

    q = p;
    q.origins = &only_other;
    q.norigins = 1;
    UNIT_ERR(wa_assertion_check(&a, &q, &d1), WA_ERR_ORIGIN_NOT_ALLOWED,
             "recheck: a failing check");
    UNIT_ERR(wa_assertion_recheck(&a, &p, &d1), WA_ERR_INTERNAL,
             "recheck after a failed check");

    /* after a good one: the copies, then each check against a policy */

    UNIT_ERR(wa_assertion_check(&a, &p, &d1), WA_OK, "recheck: check");
    UNIT_OK(a.origin != NULL && a.origin_len == sizeof(ORIGIN) - 1
            && strcmp(a.origin, ORIGIN) == 0 && a.top_origin == NULL
            && a.top_origin_len == 0 && a.cross_origin == 0,
            "check keeps origin, no topOrigin, crossOrigin false");

    UNIT_ERR(wa_assertion_recheck(&a, &p, &d1), WA_OK,
             "recheck, same policy");

    d1 = NULL;
    d2 = NULL;
    rc = wa_assertion_recheck(&a, &q, &d1);
    UNIT_ERR(rc, WA_ERR_ORIGIN_NOT_ALLOWED, "recheck, origin not listed");
    wa_assertion_free(&a);
    parse_assertion(&a, cd, &ad);
    rc2 = wa_assertion_check(&a, &q, &d2);
    UNIT_OK(rc2 == rc && d1 != NULL && d2 != NULL && strcmp(d1, d2) == 0,
            "recheck and check agree on the origin: \"%s\"",
            d1 != NULL ? d1 : "(null)");

    UNIT_ERR(wa_assertion_check(&a, &p, &d1), WA_OK, "recheck: check again");

    q = p;
    wa_sha256(q.rp_id_hash, "example.com", 11);
    d1 = NULL;
    UNIT_ERR(wa_assertion_recheck(&a, &q, &d1), WA_ERR_RP_ID_MISMATCH,
             "recheck, other RP ID");
    UNIT_OK(d1 != NULL && strstr(d1, "rpIdHash") != NULL,
            "recheck, other RP ID detail");

    q = p;
    q.user_verification = WA_UV_REQUIRED;
    UNIT_ERR(wa_assertion_recheck(&a, &q, &d1), WA_ERR_USER_NOT_VERIFIED,
             "recheck, UV required, UV not set");

    q.user_verification = WA_UV_DISCOURAGED;
    q.check_challenge = NULL;
    UNIT_ERR(wa_assertion_recheck(&a, &q, &d1), WA_OK,
             "recheck needs no challenge check");

    wa_assertion_free(&a);

    /* crossOrigin and topOrigin */

    p.allow_cross_origin = 1;
    cd = client_data("webauthn.get", ORIGIN, ",\"crossOrigin\":true,"
                     "\"topOrigin\":\"https://other.example.org\"");
    auth_data(&ad, RP_ID, WA_FLAG_UP | WA_FLAG_UV, 3, NULL, 0);

    parse_assertion(&a, cd, &ad);
    UNIT_ERR(wa_assertion_check(&a, &p, &d1), WA_OK,
             "recheck: cross-origin check");
    UNIT_OK(a.cross_origin == 1 && a.top_origin != NULL
            && a.top_origin_len == sizeof("https://other.example.org") - 1
            && strcmp(a.top_origin, "https://other.example.org") == 0,
            "check keeps topOrigin and crossOrigin");

    q = p;
    q.user_verification = WA_UV_REQUIRED;
    UNIT_ERR(wa_assertion_recheck(&a, &q, &d1), WA_OK,
             "recheck, cross-origin allowed, UV required and set");

    q.allow_cross_origin = 0;
    d1 = NULL;
    UNIT_ERR(wa_assertion_recheck(&a, &q, &d1), WA_ERR_ORIGIN_NOT_ALLOWED,
             "recheck, cross-origin not allowed here");
    UNIT_OK(d1 != NULL && strcmp(d1, "cross-origin use is not allowed") == 0,
            "recheck, cross-origin detail");

    q = p;
    q.origins = &test_origins[1];
    q.norigins = 1;
    d1 = NULL;
    UNIT_ERR(wa_assertion_recheck(&a, &q, &d1), WA_ERR_ORIGIN_NOT_ALLOWED,
             "recheck, topOrigin not listed here");
    UNIT_OK(d1 != NULL && strstr(d1, "topOrigin") != NULL,
            "recheck, topOrigin detail");

    wa_assertion_free(&a);
    UNIT_OK(a.origin == NULL && a.top_origin == NULL,
            "free releases the copies");
}


#define REC(s)  (const unsigned char *) (s), sizeof(s) - 1


static int
sign_count_is(const unsigned char *s, size_t len, uint32_t want)
{
    uint32_t  v;

    v = 12345;

    return wa_record_sign_count(s, len, &v) == 0
           && v == want;
}


static int
sign_count_bad(const unsigned char *s, size_t len)
{
    uint32_t  v;

    v = 12345;

    return wa_record_sign_count(s, len, &v) == -1
           && v == 12345;
}


static void
test_record(void)
{
    int            i;
    unsigned char  s[65 * 32];

    /* aaguid */

    UNIT_OK(wa_record_aaguid_ok(REC("")) == 1, "aaguid empty");
    UNIT_OK(wa_record_aaguid_ok(REC("cb69481e-8ff7-4039-93ec-0a2729a154a8"))
            == 1, "aaguid lowercase UUID");
    UNIT_OK(wa_record_aaguid_ok(REC("CB69481E-8FF7-4039-93EC-0A2729A154A8"))
            == 1, "aaguid uppercase UUID");
    UNIT_OK(wa_record_aaguid_ok(REC("cb69481e8ff7403993ec0a2729a154a8"))
            == 0, "aaguid without dashes");
    UNIT_OK(wa_record_aaguid_ok(REC("cb69481e-8ff7-4039-93ec-0a2729a154a"))
            == 0, "aaguid short");
    UNIT_OK(wa_record_aaguid_ok(REC("cb69481e-8ff7-4039-93ec-0a2729a154ag"))
            == 0, "aaguid not hex");
    UNIT_OK(wa_record_aaguid_ok(REC("cb69481e-8ff7-4039-93ec\r0a2729a154a8"))
            == 0, "aaguid CR");

    /* user_name */

    UNIT_OK(wa_record_user_name_ok(REC("")) == 1, "user_name empty");
    UNIT_OK(wa_record_user_name_ok(NULL, 0) == 1, "user_name NULL, 0");
    UNIT_OK(wa_record_user_name_ok(REC("Ada Lovelace <ada@example.org>"))
            == 1, "user_name printable");
    UNIT_OK(wa_record_user_name_ok(REC(" ~")) == 1,
            "user_name 0x20 and 0x7e");
    UNIT_OK(wa_record_user_name_ok(REC("ada\r")) == 0, "user_name CR");
    UNIT_OK(wa_record_user_name_ok(REC("ada\nX-Evil: 1")) == 0,
            "user_name LF");
    UNIT_OK(wa_record_user_name_ok((const unsigned char *) "a\0b", 3) == 0,
            "user_name NUL");
    UNIT_OK(wa_record_user_name_ok(REC("a\x7f")) == 0, "user_name DEL");
    UNIT_OK(wa_record_user_name_ok(REC("a\x80")) == 0, "user_name 0x80");
    UNIT_OK(wa_record_user_name_ok(REC("Zo\xc3\xab O'Brien")) == 1,
            "user_name UTF-8 (Zoe with diaeresis)");
    UNIT_OK(wa_record_user_name_ok(REC("\xe6\x9d\xb1\xf0\x9f\x94\x91")) == 1,
            "user_name UTF-8, 3 and 4 bytes");
    UNIT_OK(wa_record_user_name_ok(REC("\xc2\x85")) == 0,
            "user_name C1 control U+0085 (NEL)");
    UNIT_OK(wa_record_user_name_ok(REC("\xc0\x8a")) == 0,
            "user_name overlong LF");
    UNIT_OK(wa_record_user_name_ok(REC("\xe0\x80\x8a")) == 0,
            "user_name overlong LF, 3 bytes");
    UNIT_OK(wa_record_user_name_ok(REC("\xed\xa0\x80")) == 0,
            "user_name surrogate");
    UNIT_OK(wa_record_user_name_ok(REC("\xf4\x90\x80\x80")) == 0,
            "user_name above U+10FFFF");
    UNIT_OK(wa_record_user_name_ok(REC("\xc3")) == 0,
            "user_name cut UTF-8");
    UNIT_OK(wa_record_user_name_ok(REC("\xe6\x9d")) == 0,
            "user_name cut 3-byte UTF-8");
    UNIT_OK(wa_record_user_name_ok(REC("\xff")) == 0, "user_name 0xff");
    UNIT_OK(wa_record_user_name_ok(REC("a\tb")) == 0, "user_name tab");
    UNIT_OK(wa_record_user_name_ok(REC("\x1b[31m")) == 0,
            "user_name ESC");

    memset(s, 'n', sizeof(s));
    UNIT_OK(wa_record_user_name_ok(s, 256) == 1, "user_name 256 bytes");
    UNIT_OK(wa_record_user_name_ok(s, 257) == 0, "user_name 257 bytes");

    /* roles */

    UNIT_OK(wa_record_roles_ok(REC("")) == 1, "roles empty");
    UNIT_OK(wa_record_roles_ok(NULL, 0) == 1, "roles NULL, 0");
    UNIT_OK(wa_record_roles_ok(REC("admin")) == 1, "roles one");
    UNIT_OK(wa_record_roles_ok(REC("admin ops:read billing.v2 a_b-c Z9"))
            == 1, "roles several, every character class");
    UNIT_OK(wa_record_roles_ok(REC("admin  ops")) == 0,
            "roles double space");
    UNIT_OK(wa_record_roles_ok(REC(" admin")) == 0, "roles leading space");
    UNIT_OK(wa_record_roles_ok(REC("admin ")) == 0, "roles trailing space");
    UNIT_OK(wa_record_roles_ok(REC(" ")) == 0, "roles one space");
    UNIT_OK(wa_record_roles_ok(REC("admin,ops")) == 0, "roles comma");
    UNIT_OK(wa_record_roles_ok(REC("admin\tops")) == 0, "roles tab");
    UNIT_OK(wa_record_roles_ok(REC("admin\nops")) == 0, "roles LF");
    UNIT_OK(wa_record_roles_ok(REC("admin\r")) == 0, "roles CR");
    UNIT_OK(wa_record_roles_ok((const unsigned char *) "a\0b", 3) == 0,
            "roles NUL");
    UNIT_OK(wa_record_roles_ok(REC("r\xc3\xb4le")) == 0, "roles UTF-8");
    UNIT_OK(wa_record_roles_ok(REC("a/b")) == 0, "roles slash");

    memset(s, 'r', sizeof(s));
    UNIT_OK(wa_record_roles_ok(s, 64) == 1, "roles a 64 character role");
    UNIT_OK(wa_record_roles_ok(s, 65) == 0, "roles a 65 character role");
    s[64] = ' ';
    UNIT_OK(wa_record_roles_ok(s, 66) == 1, "roles 64 and 1 characters");

    for (i = 0; i < 33; i++) {
        s[2 * i] = 'a' + (i % 26);
        s[2 * i + 1] = ' ';
    }

    UNIT_OK(wa_record_roles_ok(s, 2 * 32 - 1) == 1, "roles 32 roles");
    UNIT_OK(wa_record_roles_ok(s, 2 * 33 - 1) == 0, "roles 33 roles");

    memset(s, 'r', sizeof(s));

    for (i = 0; i < 32; i++) {
        s[65 * i + 64] = ' ';
    }

    UNIT_OK(wa_record_roles_ok(s, 65 * 32 - 1) == 1,
            "roles 32 roles of 64 characters");

    /* sign_count */

    UNIT_OK(sign_count_is(REC("0"), 0), "sign_count 0");
    UNIT_OK(sign_count_is(REC("42"), 42), "sign_count 42");
    UNIT_OK(sign_count_is(REC("0000000007"), 7), "sign_count 10 digits");
    UNIT_OK(sign_count_is(REC("4294967295"), 4294967295U),
            "sign_count 4294967295");
    UNIT_OK(sign_count_bad(REC("4294967296")), "sign_count 4294967296");
    UNIT_OK(sign_count_bad(REC("9999999999")), "sign_count 9999999999");
    UNIT_OK(sign_count_bad(REC("00000000001")), "sign_count 11 digits");
    UNIT_OK(sign_count_bad(REC("")), "sign_count empty");
    UNIT_OK(sign_count_bad(NULL, 0), "sign_count NULL");
    UNIT_OK(sign_count_bad(REC("nan")), "sign_count nan");
    UNIT_OK(sign_count_bad(REC("0x10")), "sign_count 0x10");
    UNIT_OK(sign_count_bad(REC("1e3")), "sign_count 1e3");
    UNIT_OK(sign_count_bad(REC("-1")), "sign_count -1");
    UNIT_OK(sign_count_bad(REC("+1")), "sign_count +1");
    UNIT_OK(sign_count_bad(REC(" 1")), "sign_count leading space");
    UNIT_OK(sign_count_bad(REC("1 ")), "sign_count trailing space");
    UNIT_OK(sign_count_bad(REC("1.0")), "sign_count 1.0");
    UNIT_OK(sign_count_bad((const unsigned char *) "1\0", 2),
            "sign_count NUL");

    /* revoked, fail closed */

    UNIT_OK(wa_record_revoked(NULL, 0) == 0, "revoked absent");
    UNIT_OK(wa_record_revoked(REC("")) == 0, "revoked empty");
    UNIT_OK(wa_record_revoked(REC("0")) == 0, "revoked \"0\"");
    UNIT_OK(wa_record_revoked(REC("1")) == 1, "revoked \"1\"");
    UNIT_OK(wa_record_revoked(REC("00")) == 1, "revoked \"00\"");
    UNIT_OK(wa_record_revoked(REC("false")) == 1, "revoked \"false\"");
    UNIT_OK(wa_record_revoked(REC(" 0")) == 1, "revoked \" 0\"");
    UNIT_OK(wa_record_revoked(REC("0\n")) == 1, "revoked \"0\\n\"");
    UNIT_OK(wa_record_revoked((const unsigned char *) "\0", 1) == 1,
            "revoked NUL");
    UNIT_OK(wa_record_revoked(REC("no")) == 1, "revoked \"no\"");
}


/* registration challenges: another kind, bound to an enrollment */

static void
test_register_challenges(void)
{
    wa_err_t              rc;
    uint64_t              t0;
    const char           *d;
    unsigned char         key[32], bind[WA_SHA256_LEN], bind2[WA_SHA256_LEN],
                          c[WA_CHALLENGE_LEN], a[WA_CHALLENGE_LEN],
                          mac[WA_SHA256_LEN], body[33 + 64 + WA_SHA256_LEN];
    wa_challenge_info_t   info;

    memset(key, 0x11, sizeof(key));
    memset(bind, 0x33, sizeof(bind));
    memset(bind2, 0x44, sizeof(bind2));
    t0 = 1700000000000ULL;

    UNIT_OK(wa_challenge_issue_register(c, key, sizeof(key), RP_ID,
                                        sizeof(RP_ID) - 1, bind, t0, 60000)
            == 0, "register challenge issue");
    UNIT_OK(c[0] == WA_CHALLENGE_VERSION_REGISTER && c[0] == 0x03,
            "register challenge: version 3");

    memcpy(body, c, 33);
    memcpy(body + 33, RP_ID, sizeof(RP_ID) - 1);
    memcpy(body + 33 + sizeof(RP_ID) - 1, bind, sizeof(bind));
    UNIT_OK(wa_hmac_sha256(mac, key, sizeof(key), body,
                           33 + sizeof(RP_ID) - 1 + sizeof(bind)) == 0
            && memcmp(mac, c + 33, 32) == 0,
            "register challenge MAC covers the binding");

    rc = wa_challenge_check_register(c, sizeof(c), key, sizeof(key), RP_ID,
                                     sizeof(RP_ID) - 1, bind, t0 + 1000,
                                     60000, &info, &d);
    UNIT_ERR(rc, WA_OK, "register challenge check good");
    UNIT_OK(info.issued_ms == t0 && info.nonce == c + 17,
            "register challenge info");

    rc = wa_challenge_check_register(c, sizeof(c), key, sizeof(key), RP_ID,
                                     sizeof(RP_ID) - 1, bind2, t0 + 1000,
                                     60000, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID,
             "register challenge of another enrollment");
    UNIT_OK(detail_is(d, "challenge was not issued by this relying party "
                         "for this enrollment"),
            "register challenge of another enrollment: detail");

    rc = wa_challenge_check(c, sizeof(c), key, sizeof(key), RP_ID,
                            sizeof(RP_ID) - 1, t0 + 1000, 60000, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID,
             "a register challenge is no assertion challenge");
    UNIT_OK(detail_is(d, "challenge was issued for a registration"),
            "a register challenge for an assertion: detail");

    UNIT_OK(wa_challenge_issue(a, key, sizeof(key), RP_ID, sizeof(RP_ID) - 1,
                               t0, 60000) == 0, "assertion challenge issue");

    rc = wa_challenge_check_register(a, sizeof(a), key, sizeof(key), RP_ID,
                                     sizeof(RP_ID) - 1, bind, t0 + 1000,
                                     60000, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID,
             "an assertion challenge is no register challenge");
    UNIT_OK(detail_is(d, "challenge was issued for an assertion"),
            "an assertion challenge for a registration: detail");

    rc = wa_challenge_check_register(c, sizeof(c), key, sizeof(key), RP_ID,
                                     sizeof(RP_ID) - 1, bind, t0 + 60000,
                                     120000, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "register challenge expired");

    c[40] ^= 1;
    rc = wa_challenge_check_register(c, sizeof(c), key, sizeof(key), RP_ID,
                                     sizeof(RP_ID) - 1, bind, t0 + 1000,
                                     60000, &info, &d);
    UNIT_ERR(rc, WA_ERR_CHALLENGE_INVALID, "register challenge, bad MAC");
}


/* the registration envelope: PublicKeyCredential.toJSON() */

static void
test_registration_parse(void)
{
    wa_err_t            rc;
    const char         *d;
    wa_registration_t   reg;

    static const char  good[] =
        "{\"id\":\"AQID\",\"rawId\":\"AQID\",\"type\":\"public-key\","
        "\"response\":{\"clientDataJSON\":\"e30\","
        "\"attestationObject\":\"oA\","
        "\"transports\":[\"internal\",\"usb\",\"carrier-pigeon\","
        "\"usb\",\"hybrid\"]}}";

    rc = wa_registration_parse(&reg, (const unsigned char *) good,
                               sizeof(good) - 1, &d);
    UNIT_ERR(rc, WA_OK, "registration parse");
    UNIT_OK(reg.raw_id_len == 3 && strcmp(reg.cred_id, "AQID") == 0
            && reg.client_data_len == 2 && reg.att_object_len == 1,
            "registration parse: the members, decoded");
    UNIT_OK(strcmp(reg.transports, "usb hybrid internal") == 0,
            "transports: known ones, each once, in a fixed order (%s)",
            reg.transports);

    wa_registration_free(&reg);

#define REG_BAD(json, what)                                                   \
    rc = wa_registration_parse(&reg, (const unsigned char *) (json),         \
                               sizeof(json) - 1, &d);                        \
    UNIT_ERR(rc, WA_ERR_CREDENTIAL_MALFORMED, "registration parse: " what);   \
    wa_registration_free(&reg)

    REG_BAD("[]", "not an object");
    REG_BAD("{\"id\":\"AQID\",\"rawId\":\"AQID\",\"type\":\"public-key\"}",
            "no response");
    REG_BAD("{\"id\":\"AQID\",\"rawId\":\"AQID\",\"type\":\"public-key\","
            "\"response\":{\"clientDataJSON\":\"e30\"}}",
            "no attestationObject");
    REG_BAD("{\"id\":\"AQID\",\"rawId\":\"AQIE\",\"type\":\"public-key\","
            "\"response\":{\"clientDataJSON\":\"e30\","
            "\"attestationObject\":\"oA\"}}", "id and rawId differ");
    REG_BAD("{\"id\":\"AQID\",\"rawId\":\"AQID\",\"type\":\"public-key\","
            "\"response\":{\"clientDataJSON\":\"e30\","
            "\"attestationObject\":\"oA\",\"transports\":\"usb\"}}",
            "transports not an array");
    REG_BAD("{\"id\":\"AQID\",\"rawId\":\"AQID\",\"type\":\"public-key\","
            "\"response\":{\"clientDataJSON\":\"e30\","
            "\"attestationObject\":\"oA\",\"transports\":[1]}}",
            "transports not strings");

#undef REG_BAD
}


int
main(void)
{
    /* jansson's memory functions as in nginx: assertions parsed in arenas */

    wa_json_memory_init();

    test_b64();
    test_random_b64url();
    test_err();
    test_challenges();
    test_register_challenges();
    test_registration_parse();
    test_sign_count();
    test_envelope();
    test_client_data();
    test_auth_data();
    test_cbor();
    test_keys();
    test_signature_params();
    test_cose();
    test_okp_small_order();
    test_recheck();
    test_record();
    test_details();

    UNIT_OK(queue_dirty == 0, "OpenSSL error queue empty after every "
            "return but internal_error (%d times not)", queue_dirty);

    wa_core_cleanup();

    return UNIT_DONE();
}
