
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* primitives over OpenSSL: hashes, HMAC, random, comparison, wiping */


#include <string.h>
#include <limits.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "wa_internal.h"


static void wa_crypto_fetch(void);


/*
 * OpenSSL 3 looks a digest or a MAC up by name in its provider store on
 * every call that is given EVP_sha256() or a MAC name (an implicit
 * fetch: a lock and a hash lookup, sometimes a walk of the name map).
 * The ones of the per-request path are fetched once, and a template HMAC
 * context is made once with its digest set; NULL when that failed (the
 * implicit fetch is then used) or after wa_core_cleanup().
 */

static CRYPTO_ONCE    wa_crypto_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_MD        *wa_crypto_sha1;
static EVP_MD        *wa_crypto_sha256;
static EVP_MD        *wa_crypto_sha384;
static EVP_MD        *wa_crypto_sha512;
static EVP_MAC       *wa_crypto_hmac;
static EVP_MAC_CTX   *wa_crypto_hmac_sha256;


static void
wa_crypto_fetch(void)
{
    char        digest[] = "SHA256";
    OSSL_PARAM  params[2];

    wa_crypto_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    wa_crypto_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    wa_crypto_sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
    wa_crypto_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);

    wa_crypto_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);

    if (wa_crypto_hmac != NULL) {
        wa_crypto_hmac_sha256 = EVP_MAC_CTX_new(wa_crypto_hmac);

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     digest, 0);
        params[1] = OSSL_PARAM_construct_end();

        if (wa_crypto_hmac_sha256 != NULL
            && EVP_MAC_CTX_set_params(wa_crypto_hmac_sha256, params) != 1)
        {
            EVP_MAC_CTX_free(wa_crypto_hmac_sha256);
            wa_crypto_hmac_sha256 = NULL;
        }
    }

    /* a failure here only means the implicit fetches are used */

    ERR_clear_error();
}


/* the fetched EVP_MD of EVP_sha1/256/384/512(), or md itself */

const void *
wa_md_fetched(const void *md)
{
    if (md == NULL || !CRYPTO_THREAD_run_once(&wa_crypto_once,
                                              wa_crypto_fetch))
    {
        return md;
    }

    if (md == EVP_sha256()) {
        return (wa_crypto_sha256 != NULL) ? wa_crypto_sha256 : md;
    }

    if (md == EVP_sha384()) {
        return (wa_crypto_sha384 != NULL) ? wa_crypto_sha384 : md;
    }

    if (md == EVP_sha512()) {
        return (wa_crypto_sha512 != NULL) ? wa_crypto_sha512 : md;
    }

    if (md == EVP_sha1()) {
        return (wa_crypto_sha1 != NULL) ? wa_crypto_sha1 : md;
    }

    return md;
}


/* what wa_crypto_fetch() made, freed by wa_core_cleanup() */

void
wa_crypto_cleanup(void)
{
    EVP_MAC_CTX_free(wa_crypto_hmac_sha256);
    EVP_MAC_free(wa_crypto_hmac);
    EVP_MD_free(wa_crypto_sha1);
    EVP_MD_free(wa_crypto_sha256);
    EVP_MD_free(wa_crypto_sha384);
    EVP_MD_free(wa_crypto_sha512);

    wa_crypto_hmac_sha256 = NULL;
    wa_crypto_hmac = NULL;
    wa_crypto_sha1 = NULL;
    wa_crypto_sha256 = NULL;
    wa_crypto_sha384 = NULL;
    wa_crypto_sha512 = NULL;
}


void
wa_sha256(unsigned char out[WA_SHA256_LEN], const void *data, size_t len)
{
    if (EVP_Digest(data, len, out, NULL, wa_md_fetched(EVP_sha256()), NULL)
        != 1)
    {
        /*
         * only when out of memory; the function returns nothing, so the
         * queue is cleared and a hash of zeros matches nothing
         */
        memset(out, 0, WA_SHA256_LEN);
        ERR_clear_error();
    }
}


/* on failure OpenSSL's error queue is left for the caller to log */

int
wa_hmac_sha256(unsigned char out[WA_SHA256_LEN], const void *key,
    size_t keylen, const void *data, size_t len)
{
    int           rc;
    size_t        mlen;
    unsigned int  outlen;
    EVP_MAC_CTX  *ctx;

    if (keylen > INT_MAX) {
        return -1;
    }

    if (CRYPTO_THREAD_run_once(&wa_crypto_once, wa_crypto_fetch)
        && wa_crypto_hmac_sha256 != NULL)
    {
        /* a copy of the template: its digest is set, nothing is fetched */

        ctx = EVP_MAC_CTX_dup(wa_crypto_hmac_sha256);
        if (ctx == NULL) {
            return -1;
        }

        rc = (EVP_MAC_init(ctx, key, keylen, NULL) == 1
              && EVP_MAC_update(ctx, data, len) == 1
              && EVP_MAC_final(ctx, out, &mlen, WA_SHA256_LEN) == 1
              && mlen == WA_SHA256_LEN);

        EVP_MAC_CTX_free(ctx);

        return rc ? 0 : -1;
    }

    if (HMAC(EVP_sha256(), key, (int) keylen, data, len, out, &outlen)
        == NULL
        || outlen != WA_SHA256_LEN)
    {
        return -1;
    }

    return 0;
}


/* on failure OpenSSL's error queue is left for the caller to log */

int
wa_random(void *buf, size_t len)
{
    if (len > INT_MAX || RAND_bytes(buf, (int) len) != 1) {
        return -1;
    }

    return 0;
}


size_t
wa_random_b64url(unsigned char *out, size_t n)
{
    size_t         len;
    unsigned char  raw[WA_RANDOM_B64URL_MAX];

    if (n > sizeof(raw) || wa_random(raw, n) != 0) {
        return 0;
    }

    len = wa_b64url_encode(out, raw, n);

    wa_memzero(raw, sizeof(raw));

    return len;
}


int
wa_memeq(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}


void
wa_memzero(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
}


/* a digest (an EVP_MD) over the concatenation of n parts */

wa_err_t
wa_digest_parts(const void *evp_md, const unsigned char **parts,
    const size_t *lens, size_t n, unsigned char *out, unsigned *out_len,
    const char **detail)
{
    size_t         i;
    EVP_MD_CTX    *ctx;
    const EVP_MD  *md;

    md = wa_md_fetched(evp_md);

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        wa_set_detail(detail, "EVP_MD_CTX_new() failed");
        return WA_ERR_INTERNAL;
    }

    if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        wa_set_detail(detail, "EVP_DigestInit_ex() failed");
        return WA_ERR_INTERNAL;
    }

    for (i = 0; i < n; i++) {
        if (EVP_DigestUpdate(ctx, parts[i], lens[i]) != 1) {
            EVP_MD_CTX_free(ctx);
            wa_set_detail(detail, "EVP_DigestUpdate() failed");
            return WA_ERR_INTERNAL;
        }
    }

    if (EVP_DigestFinal_ex(ctx, out, out_len) != 1) {
        EVP_MD_CTX_free(ctx);
        wa_set_detail(detail, "EVP_DigestFinal_ex() failed");
        return WA_ERR_INTERNAL;
    }

    EVP_MD_CTX_free(ctx);

    return WA_OK;
}
