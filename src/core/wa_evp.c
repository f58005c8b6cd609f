
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <openssl/bn.h>
#include <openssl/err.h>

#include "wa_internal.h"


#define WA_RSA_BITS_MIN   2048
#define WA_RSA_BITS_MAX   16384     /* OPENSSL_RSA_MAX_MODULUS_BITS */
#define WA_RSA_E_MAX      8         /* bytes of the public exponent */

#define WA_EC_POINT_MAX   (1 + 2 * 66)
#define WA_EDDSA_MSG_MAX  1024      /* on the stack, larger on the heap */


struct wa_pkey_s {
    EVP_PKEY  *pkey;
    int        alg;
};


static wa_err_t wa_evp_pkey_new(wa_pkey_t **key, EVP_PKEY *pkey, int alg,
    const char **detail);
static void wa_evp_curves_init(void);


/* by COSE crv: keys with the curve parameters only, never freed */
static EVP_PKEY        *wa_evp_curves[WA_COSE_CRV_P521 + 1];
static CRYPTO_ONCE      wa_evp_curves_once = CRYPTO_ONCE_STATIC_INIT;


void
wa_sha256(unsigned char out[WA_SHA256_LEN], const void *data, size_t len)
{
    if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1) {
        /* only when out of memory; a hash of zeros matches nothing */
        memset(out, 0, WA_SHA256_LEN);
        ERR_clear_error();
    }
}


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
        ERR_clear_error();
        return -1;
    }

    return 0;
}


int
wa_random(void *buf, size_t len)
{
    if (len > INT_MAX || RAND_bytes(buf, (int) len) != 1) {
        ERR_clear_error();
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


static wa_err_t
wa_evp_pkey_new(wa_pkey_t **key, EVP_PKEY *pkey, int alg,
    const char **detail)
{
    wa_pkey_t  *k;

    k = malloc(sizeof(wa_pkey_t));
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        wa_set_detail(detail, "out of memory");
        return WA_ERR_INTERNAL;
    }

    k->pkey = pkey;
    k->alg = alg;

    *key = k;

    return WA_OK;
}


static void
wa_evp_curves_init(void)
{
    int            crv;
    OSSL_PARAM     params[2];
    EVP_PKEY_CTX  *ctx;

    static const char  *names[] = { NULL, "P-256", "P-384", "P-521" };

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL) {
        return;
    }

    for (crv = WA_COSE_CRV_P256; crv <= WA_COSE_CRV_P521; crv++) {
        params[0] = OSSL_PARAM_construct_utf8_string(
                                                 OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *) names[crv], 0);
        params[1] = OSSL_PARAM_construct_end();

        if (EVP_PKEY_fromdata_init(ctx) != 1
            || EVP_PKEY_fromdata(ctx, &wa_evp_curves[crv],
                                 EVP_PKEY_KEY_PARAMETERS, params) != 1)
        {
            wa_evp_curves[crv] = NULL;
        }
    }

    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
}


/* the process-wide curve templates; after this no key may be built */

void
wa_core_cleanup(void)
{
    int  crv;

    for (crv = WA_COSE_CRV_P256; crv <= WA_COSE_CRV_P521; crv++) {
        EVP_PKEY_free(wa_evp_curves[crv]);
        wa_evp_curves[crv] = NULL;
    }
}


/* RFC 9053, 2.1: ECDSA; WebAuthn L3, 5.8.5 */

wa_err_t
wa_evp_ec2_key(wa_pkey_t **key, int alg, int crv, const unsigned char *x,
    size_t xlen, const unsigned char *y, size_t ylen, const char **detail)
{
    int             ok;
    size_t          flen;
    EVP_PKEY       *pkey;
    EVP_PKEY_CTX   *cctx;
    unsigned char   point[WA_EC_POINT_MAX];

    switch (crv) {
    case WA_COSE_CRV_P256:
        ok = (alg == WA_COSE_ALG_ES256 || alg == WA_COSE_ALG_ESP256);
        flen = 32;
        break;
    case WA_COSE_CRV_P384:
        ok = (alg == WA_COSE_ALG_ES384);
        flen = 48;
        break;
    case WA_COSE_CRV_P521:
        ok = (alg == WA_COSE_ALG_ES512);
        flen = 66;
        break;
    default:
        wa_set_detail(detail, "COSE EC2 key has an unsupported \"crv\"");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    if (!ok) {
        wa_set_detail(detail, "COSE key \"alg\" does not match its \"crv\"");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    if (xlen != flen || ylen != flen) {
        wa_set_detail(detail, "COSE EC2 key coordinates have a wrong length");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    /* SEC 1, 2.3.3: the uncompressed point */

    point[0] = 0x04;
    memcpy(&point[1], x, flen);
    memcpy(&point[1 + flen], y, flen);

    /*
     * a copy of a key holding the curve only, made once: building the
     * curve by its name for every key costs several times more
     */

    if (!CRYPTO_THREAD_run_once(&wa_evp_curves_once, wa_evp_curves_init)
        || wa_evp_curves[crv] == NULL)
    {
        ERR_clear_error();
        wa_set_detail(detail, "EVP_PKEY_fromdata() failed for a curve");
        return WA_ERR_INTERNAL;
    }

    pkey = EVP_PKEY_dup(wa_evp_curves[crv]);
    if (pkey == NULL) {
        ERR_clear_error();
        wa_set_detail(detail, "EVP_PKEY_dup() failed");
        return WA_ERR_INTERNAL;
    }

    /* the import refuses a point that is not on the curve */

    if (EVP_PKEY_set1_encoded_public_key(pkey, point, 1 + 2 * flen) != 1) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        wa_set_detail(detail, "COSE EC2 key is not a point on the curve");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    /* and checked again explicitly: on the curve, not at infinity */

    cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (cctx == NULL) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        wa_set_detail(detail, "EVP_PKEY_CTX_new_from_pkey() failed");
        return WA_ERR_INTERNAL;
    }

    ok = EVP_PKEY_public_check_quick(cctx);

    EVP_PKEY_CTX_free(cctx);

    if (ok != 1) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        wa_set_detail(detail, "COSE EC2 key is not a point on the curve");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    return wa_evp_pkey_new(key, pkey, alg, detail);
}


/* RFC 9053, 2.2 and 7.2: EdDSA; RFC 9864 (fully specified Ed25519, Ed448) */

wa_err_t
wa_evp_okp_key(wa_pkey_t **key, int alg, int crv, const unsigned char *x,
    size_t xlen, const char **detail)
{
    int        type, ok;
    size_t     klen;
    EVP_PKEY  *pkey;

    switch (crv) {
    case WA_COSE_CRV_ED25519:
        ok = (alg == WA_COSE_ALG_EDDSA || alg == WA_COSE_ALG_ED25519);
        type = EVP_PKEY_ED25519;
        klen = 32;
        break;
    case WA_COSE_CRV_ED448:
        ok = (alg == WA_COSE_ALG_EDDSA || alg == WA_COSE_ALG_ED448);
        type = EVP_PKEY_ED448;
        klen = 57;
        break;
    default:
        wa_set_detail(detail, "COSE OKP key has an unsupported \"crv\"");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    if (!ok) {
        wa_set_detail(detail, "COSE key \"alg\" does not match its \"crv\"");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    if (xlen != klen) {
        wa_set_detail(detail, "COSE OKP key \"x\" has a wrong length");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    pkey = EVP_PKEY_new_raw_public_key(type, NULL, x, xlen);
    if (pkey == NULL) {
        ERR_clear_error();
        wa_set_detail(detail, "COSE OKP key is not a valid public key");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    return wa_evp_pkey_new(key, pkey, alg, detail);
}


/* RFC 8230, 4: RSA keys; RFC 8812, 2: RS256 */

wa_err_t
wa_evp_rsa_key(wa_pkey_t **key, int alg, const unsigned char *n,
    size_t nlen, const unsigned char *e, size_t elen, const char **detail)
{
    int              bits;
    BIGNUM          *bn, *be;
    wa_err_t         rc;
    EVP_PKEY        *pkey;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *ctx;
    OSSL_PARAM_BLD  *bld;

    while (nlen > 0 && n[0] == 0) {
        n++;
        nlen--;
    }

    while (elen > 0 && e[0] == 0) {
        e++;
        elen--;
    }

    if (nlen == 0 || nlen > WA_RSA_BITS_MAX / 8) {
        wa_set_detail(detail, "COSE RSA key modulus has an unsupported size");
        return nlen == 0 ? WA_ERR_CREDENTIAL_MALFORMED
                         : WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    if (elen == 0 || elen > WA_RSA_E_MAX || (e[elen - 1] & 1) == 0
        || (elen == 1 && e[0] < 3))
    {
        wa_set_detail(detail, "COSE RSA key exponent is invalid");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if ((n[nlen - 1] & 1) == 0) {
        wa_set_detail(detail, "COSE RSA key modulus is even");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    rc = WA_ERR_INTERNAL;

    pkey = NULL;
    params = NULL;
    ctx = NULL;
    bld = NULL;
    be = NULL;

    bn = BN_bin2bn(n, (int) nlen, NULL);
    if (bn == NULL) {
        wa_set_detail(detail, "BN_bin2bn() failed");
        goto done;
    }

    bits = BN_num_bits(bn);

    if (bits < WA_RSA_BITS_MIN) {
        wa_set_detail(detail,
                      "COSE RSA key modulus is shorter than 2048 bits");
        rc = WA_ERR_ALGORITHM_UNSUPPORTED;
        goto done;
    }

    be = BN_bin2bn(e, (int) elen, NULL);
    if (be == NULL) {
        wa_set_detail(detail, "BN_bin2bn() failed");
        goto done;
    }

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
    {
        wa_set_detail(detail, "OSSL_PARAM_BLD_push_BN() failed");
        goto done;
    }

    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL) {
        wa_set_detail(detail, "OSSL_PARAM_BLD_to_param() failed");
        goto done;
    }

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1) {
        wa_set_detail(detail, "EVP_PKEY_fromdata_init() failed");
        goto done;
    }

    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        wa_set_detail(detail, "COSE RSA key is not a valid public key");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    rc = wa_evp_pkey_new(key, pkey, alg, detail);
    pkey = NULL;

done:

    if (rc != WA_OK) {
        ERR_clear_error();
    }

    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(be);
    BN_free(bn);

    return rc;
}


int
wa_pkey_alg(const wa_pkey_t *key)
{
    return key->alg;
}


void
wa_pkey_free(wa_pkey_t *key)
{
    if (key == NULL) {
        return;
    }

    EVP_PKEY_free(key->pkey);
    free(key);
}


/* WebAuthn L3, 7.2, step 21; 6.5.5: signature formats */

wa_err_t
wa_pkey_verify(wa_pkey_t *key, const unsigned char *auth_data,
    size_t auth_data_len, const unsigned char cdata_hash[WA_SHA256_LEN],
    const unsigned char *sig, size_t sig_len, const char **detail)
{
    int             rc;
    size_t          mlen;
    wa_err_t        err;
    EVP_MD_CTX     *mctx;
    const EVP_MD   *md;
    EVP_PKEY_CTX   *pctx;
    unsigned char  *msg, buf[WA_EDDSA_MSG_MAX];

    if (key == NULL || key->pkey == NULL) {
        wa_set_detail(detail, "no public key");
        return WA_ERR_INTERNAL;
    }

    switch (key->alg) {
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
    if (mctx == NULL) {
        ERR_clear_error();
        wa_set_detail(detail, "EVP_MD_CTX_new() failed");
        return WA_ERR_INTERNAL;
    }

    msg = NULL;
    pctx = NULL;

    if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key->pkey) != 1) {
        wa_set_detail(detail, "EVP_DigestVerifyInit() failed");
        err = WA_ERR_INTERNAL;
        goto done;
    }

    if (key->alg == WA_COSE_ALG_PS256) {
        /* RFC 8230, 2: PSS with MGF1 and SHA-256 */

        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO)
               != 1)
        {
            wa_set_detail(detail, "EVP_PKEY_CTX_set_rsa_padding() failed");
            err = WA_ERR_INTERNAL;
            goto done;
        }
    }

    if (md == NULL) {
        /* EdDSA signs the message in one piece, RFC 8032, 5.1.6 */

        mlen = auth_data_len + WA_SHA256_LEN;

        if (mlen <= sizeof(buf)) {
            msg = buf;

        } else {
            msg = malloc(mlen);
            if (msg == NULL) {
                wa_set_detail(detail, "out of memory");
                err = WA_ERR_INTERNAL;
                goto done;
            }
        }

        memcpy(msg, auth_data, auth_data_len);
        memcpy(msg + auth_data_len, cdata_hash, WA_SHA256_LEN);

        rc = EVP_DigestVerify(mctx, sig, sig_len, msg, mlen);

    } else {
        if (EVP_DigestVerifyUpdate(mctx, auth_data, auth_data_len) != 1
            || EVP_DigestVerifyUpdate(mctx, cdata_hash, WA_SHA256_LEN) != 1)
        {
            wa_set_detail(detail, "EVP_DigestVerifyUpdate() failed");
            err = WA_ERR_INTERNAL;
            goto done;
        }

        rc = EVP_DigestVerifyFinal(mctx, sig, sig_len);
    }

    if (rc != 1) {
        wa_set_detail(detail, "signature does not verify with the "
                              "credential public key");
        err = WA_ERR_SIGNATURE_INVALID;
        goto done;
    }

    err = WA_OK;

done:

    if (err != WA_OK) {
        ERR_clear_error();
    }

    if (msg != NULL && msg != buf) {
        free(msg);
    }

    EVP_MD_CTX_free(mctx);

    return err;
}
