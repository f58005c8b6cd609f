
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

#include "wa_internal.h"


void
wa_sha256(unsigned char out[WA_SHA256_LEN], const void *data, size_t len)
{
    if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1) {
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
    unsigned int  outlen;

    if (keylen > INT_MAX) {
        return -1;
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

    md = evp_md;

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
