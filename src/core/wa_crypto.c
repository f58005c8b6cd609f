
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
