
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of session tokens (wa_token.c): wa_token_verify() as
 * the session check calls it, and wa_token_key_new() on key files.  The
 * input is
 *     selector (1) now (8, big endian, seconds) bytes
 * selector & 3:
 *   0  bytes are a token, verified against two keys ("hs": an HS256
 *      secret, "ed": an Ed25519 key, made at start)
 *   1  bytes are header JSON, a NUL, payload JSON: the target signs them
 *      HS256 with the secret (HMAC-SHA-256, RFC 7518, 3.2), so the
 *      header and claims checks after the signature are reached
 *   2  the same, signed EdDSA with the Ed25519 key (RFC 8037)
 *   3  bytes are a key file: wa_token_key_new(); a key it takes signs a
 *      token that must verify
 * The leeway is selector >> 2 (0 to 63, the core caps it at 30).
 * Checked: only the documented codes, with details; on WA_OK claims
 * that keep the record rules (user name, roles, credential id), the
 * audience asked for, exp and iat within the leeway of now; and the
 * claims signed again by wa_token_sign() with the key that verified them
 * verify to the very same claims.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "wa_core.h"
#include "fuzz_pki.h"


static void fuzz_init(void);
static unsigned char *fuzz_sign(int eddsa, const unsigned char *hdr,
    size_t hlen, const unsigned char *payload, size_t plen, size_t *len);
static void fuzz_verify(const unsigned char *tok, size_t len, int64_t now,
    int64_t leeway);
static int fuzz_same(const char *a, size_t alen, const char *b,
    size_t blen);
static void fuzz_key_file(const unsigned char *p, size_t n, int64_t now);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const unsigned char  fuzz_secret[40] =
    "fuzz session secret of forty bytes......";

static const char  fuzz_aud[] = "example.org";

static wa_token_key_t  *fuzz_keys[2];
static EVP_PKEY        *fuzz_ed;


static void
fuzz_init(void)
{
    BIO         *bio;
    char        *pem;
    long         n;
    const char  *detail;

    fuzz_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    bio = BIO_new(BIO_s_mem());

    if (fuzz_ed == NULL || bio == NULL
        || !PEM_write_bio_PrivateKey(bio, fuzz_ed, NULL, NULL, 0, NULL,
                                     NULL))
    {
        abort();
    }

    n = BIO_get_mem_data(bio, &pem);

    if (wa_token_key_new(&fuzz_keys[0], fuzz_secret, sizeof(fuzz_secret),
                         "hs", 2, &detail)
        != WA_OK
        || wa_token_key_new(&fuzz_keys[1], (unsigned char *) pem,
                            (size_t) n, "ed", 2, &detail)
           != WA_OK
        || strcmp(wa_token_key_alg(fuzz_keys[0]), "HS256") != 0
        || strcmp(wa_token_key_alg(fuzz_keys[1]), "EdDSA") != 0)
    {
        abort();
    }

    BIO_free(bio);
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}


/* BASE64URL(hdr) "." BASE64URL(payload) "." BASE64URL(signature) */

static unsigned char *
fuzz_sign(int eddsa, const unsigned char *hdr, size_t hlen,
    const unsigned char *payload, size_t plen, size_t *len)
{
    size_t          h64, p64, s64, slen;
    EVP_MD_CTX     *md;
    unsigned char  *h, *p, *s, *out, sig[64];

    h = fuzz_pki_b64url(hdr, hlen, &h64);
    p = fuzz_pki_b64url(payload, plen, &p64);

    out = malloc(h64 + p64 + 2 + WA_B64URL_LEN(64) + 1);
    if (out == NULL) {
        abort();
    }

    memcpy(out, h, h64);
    out[h64] = '.';
    memcpy(out + h64 + 1, p, p64);

    if (eddsa) {
        md = EVP_MD_CTX_new();
        slen = sizeof(sig);

        if (md == NULL
            || EVP_DigestSignInit(md, NULL, NULL, NULL, fuzz_ed) != 1
            || EVP_DigestSign(md, sig, &slen, out, h64 + 1 + p64) != 1)
        {
            abort();
        }

        EVP_MD_CTX_free(md);

    } else {
        if (wa_hmac_sha256(sig, fuzz_secret, sizeof(fuzz_secret), out,
                           h64 + 1 + p64)
            != 0)
        {
            abort();
        }

        slen = WA_SHA256_LEN;
    }

    s = fuzz_pki_b64url(sig, slen, &s64);

    out[h64 + 1 + p64] = '.';
    memcpy(out + h64 + 2 + p64, s, s64);
    *len = h64 + 2 + p64 + s64;

    free(h);
    free(p);
    free(s);

    return out;
}


static int
fuzz_same(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen) {
        return 0;
    }

    if (alen == 0) {
        return 1;
    }

    return a != NULL && b != NULL && memcmp(a, b, alen) == 0;
}


static void
fuzz_verify(const unsigned char *tok, size_t len, int64_t now,
    int64_t leeway)
{
    char                 *again;
    size_t                again_len;
    int64_t               lw;
    wa_err_t              rc;
    wa_token_t            t, t2;
    const char           *detail;
    wa_token_claims_t    *c, *c2;

    detail = NULL;
    rc = wa_token_verify(&t, tok, len, fuzz_keys, 2, fuzz_aud,
                         sizeof(fuzz_aud) - 1, now, leeway, &detail);

    if (rc != WA_OK) {
        if ((rc != WA_ERR_TOKEN_INVALID && rc != WA_ERR_TOKEN_EXPIRED
             && rc != WA_ERR_INTERNAL)
            || detail == NULL)
        {
            abort();
        }

        if (rc != WA_ERR_INTERNAL && ERR_peek_error() != 0) {
            abort();
        }

        ERR_clear_error();
        wa_token_free(&t);
        return;
    }

    c = &t.claims;
    lw = leeway < 0 ? 0 : leeway > WA_TOKEN_LEEWAY_MAX ? WA_TOKEN_LEEWAY_MAX
                                                       : leeway;

    if (t.key != fuzz_keys[0] && t.key != fuzz_keys[1]) {
        abort();
    }

    if (c->sub == NULL || c->cid == NULL || c->aud == NULL
        || !wa_record_user_name_ok((const unsigned char *) c->sub,
                                   c->sub_len)
        || !wa_record_cred_id_ok((const unsigned char *) c->cid,
                                 c->cid_len)
        || (c->roles_len > 0
            && !wa_record_roles_ok((const unsigned char *) c->roles,
                                   c->roles_len))
        || !fuzz_same(c->aud, c->aud_len, fuzz_aud, sizeof(fuzz_aud) - 1))
    {
        abort();
    }

    if (now >= c->exp && now - c->exp >= lw) {
        abort();
    }

    if (c->iat > now && c->iat - now > lw) {
        abort();
    }

    /* signed again by the key that verified it: the same claims */

    again = NULL;
    detail = NULL;

    if (wa_token_sign(t.key, c, &again, &again_len, &detail) != WA_OK) {
        abort();
    }

    rc = wa_token_verify(&t2, (unsigned char *) again, again_len, fuzz_keys,
                         2, fuzz_aud, sizeof(fuzz_aud) - 1, now, leeway,
                         &detail);

    c2 = &t2.claims;

    if (rc != WA_OK || t2.key != t.key
        || !fuzz_same(c->sub, c->sub_len, c2->sub, c2->sub_len)
        || !fuzz_same(c->cid, c->cid_len, c2->cid, c2->cid_len)
        || !fuzz_same(c->roles, c->roles_len, c2->roles, c2->roles_len)
        || !fuzz_same(c->iss, c->iss_len, c2->iss, c2->iss_len)
        || !fuzz_same(c->aud, c->aud_len, c2->aud, c2->aud_len)
        || c->uv != c2->uv || c->iat != c2->iat || c->exp != c2->exp
        || c->auth_time != c2->auth_time)
    {
        abort();
    }

    free(again);
    wa_token_free(&t2);
    wa_token_free(&t);
}


static void
fuzz_key_file(const unsigned char *p, size_t n, int64_t now)
{
    char               *tok;
    size_t              len;
    wa_err_t            rc;
    wa_token_t          t;
    const char         *detail;
    wa_token_key_t     *key;
    wa_token_claims_t   c;

    key = NULL;
    detail = NULL;

    rc = wa_token_key_new(&key, p, n, "file", 4, &detail);
    ERR_clear_error();

    if (rc != WA_OK) {
        if (rc != WA_ERR_INTERNAL || detail == NULL || key != NULL) {
            abort();
        }

        return;
    }

    memset(&c, 0, sizeof(c));
    c.sub = "alice";
    c.sub_len = 5;
    c.cid = "AQID";
    c.cid_len = 4;
    c.roles = "admin ops";
    c.roles_len = 9;
    c.uv = 1;
    c.iat = now;
    c.exp = (now < INT64_MAX - 600) ? now + 600 : INT64_MAX;
    c.auth_time = now;
    c.iss = "https://example.org";
    c.iss_len = 19;
    c.aud = fuzz_aud;
    c.aud_len = sizeof(fuzz_aud) - 1;

    tok = NULL;

    if (wa_token_sign(key, &c, &tok, &len, &detail) != WA_OK) {
        abort();
    }

    rc = wa_token_verify(&t, (unsigned char *) tok, len, &key, 1, fuzz_aud,
                         sizeof(fuzz_aud) - 1, now, 0, &detail);

    if (rc != WA_OK && now < INT64_MAX - 600) {
        abort();
    }

    wa_token_free(&t);
    free(tok);
    wa_token_key_free(key);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int                   i;
    size_t                n, len;
    int64_t               now;
    uint64_t              u;
    unsigned char        *tok;
    const unsigned char  *p, *nul;

    if (fuzz_keys[0] == NULL) {
        fuzz_init();
    }

    if (size < 9) {
        return 0;
    }

    u = 0;

    for (i = 1; i < 9; i++) {
        u = u << 8 | data[i];
    }

    now = (int64_t) (u & INT64_MAX);
    p = data + 9;
    n = size - 9;

    switch (data[0] & 3) {

    case 0:
        fuzz_verify(p, n, now, data[0] >> 2);
        break;

    case 3:
        fuzz_key_file(p, n, now);
        break;

    default:
        nul = memchr(p, '\0', n);
        if (nul == NULL) {
            return 0;
        }

        tok = fuzz_sign((data[0] & 3) == 2, p, nul - p, nul + 1,
                        n - (nul - p) - 1, &len);
        fuzz_verify(tok, len, now, data[0] >> 2);
        free(tok);
        break;
    }

    return 0;
}
