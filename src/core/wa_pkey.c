
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Verification keys (OpenSSL EVP_PKEY) built from COSE_Key members, and
 * the assertion signature, WebAuthn L3, 7.2, step 21.  Every EVP call of
 * the core but the primitives of wa_crypto.c is here.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ec.h>

#include "wa_internal.h"


#define WA_RSA_BITS_MIN   2048
#define WA_RSA_BITS_MAX   16384     /* OPENSSL_RSA_MAX_MODULUS_BITS */
#define WA_RSA_E_MAX      8         /* bytes of the public exponent */

#define WA_EC_POINT_MAX   (1 + 2 * 66)
#define WA_EDDSA_MSG_MAX  1024      /* on the stack, larger on the heap */

#define WA_PAD_NONE       0         /* ECDSA, EdDSA */
#define WA_PAD_PKCS1      1
#define WA_PAD_PSS        2


/*
 * vctx: the verification context of a hashed algorithm (ECDSA, RSA),
 * made at the key's first verification and kept with it: OpenSSL 3 makes
 * a context by walking its provider's names, which costs more than a
 * SHA-256 of the message; a key therefore verifies in one thread at a
 * time (each worker has its own)
 */

struct wa_pkey_s {
    EVP_PKEY      *pkey;
    EVP_PKEY_CTX  *vctx;
    int            alg;
};


/* an EC2 curve (RFC 9053, 7.1) and the algorithms that use it */

typedef struct {
    int           crv;              /* COSE crv */
    const char   *group;            /* OpenSSL group name */
    size_t        flen;             /* bytes of a coordinate */
    int           algs[2];          /* COSE algs, 0 where none */
    EVP_PKEY     *tmpl;             /* a key holding the curve only, made
                                       once, freed by wa_core_cleanup() */
} wa_pkey_curve_t;


/* how a COSE alg verifies */

typedef struct {
    int             alg;
    const EVP_MD  *(*md)(void);     /* NULL: EdDSA hashes by itself */
    int             pad;            /* WA_PAD_* */
} wa_pkey_alg_t;


static int wa_pkey_okp_small_order(int type, const unsigned char *x);
static int wa_bytes_are(const unsigned char *p, size_t n, unsigned char v);
static wa_err_t wa_pkey_new(wa_pkey_t **key, EVP_PKEY *pkey, int alg,
    const char **detail);
static const wa_pkey_alg_t *wa_pkey_alg_lookup(int alg);
static wa_err_t wa_pkey_verify_ctx(wa_pkey_t *key, const wa_pkey_alg_t *a,
    const EVP_MD *md, const char **detail);
static void wa_pkey_curves_init(void);


static wa_pkey_curve_t  wa_pkey_curves[] = {
    /* RFC 9053, 2.1; RFC 9864: ESP256 */
    { WA_COSE_CRV_P256, "P-256", 32,
      { WA_COSE_ALG_ES256, WA_COSE_ALG_ESP256 }, NULL },
    { WA_COSE_CRV_P384, "P-384", 48, { WA_COSE_ALG_ES384, 0 }, NULL },
    { WA_COSE_CRV_P521, "P-521", 66, { WA_COSE_ALG_ES512, 0 }, NULL }
};

#define WA_PKEY_NCURVES  (sizeof(wa_pkey_curves) / sizeof(wa_pkey_curves[0]))

static CRYPTO_ONCE  wa_pkey_curves_once = CRYPTO_ONCE_STATIC_INIT;


static const wa_pkey_alg_t  wa_pkey_algs[] = {
    /* RFC 9053, 2.1: ECDSA, the hash named by the algorithm */
    { WA_COSE_ALG_ES256, EVP_sha256, WA_PAD_NONE },
    { WA_COSE_ALG_ESP256, EVP_sha256, WA_PAD_NONE },
    { WA_COSE_ALG_ES384, EVP_sha384, WA_PAD_NONE },
    { WA_COSE_ALG_ES512, EVP_sha512, WA_PAD_NONE },
    /* RFC 9053, 2.2; RFC 9864: pure EdDSA */
    { WA_COSE_ALG_EDDSA, NULL, WA_PAD_NONE },
    { WA_COSE_ALG_ED25519, NULL, WA_PAD_NONE },
    { WA_COSE_ALG_ED448, NULL, WA_PAD_NONE },
    /* RFC 8230, 2: RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt 32 */
    { WA_COSE_ALG_PS256, EVP_sha256, WA_PAD_PSS },
    /* RFC 8812, 2: RSASSA-PKCS1-v1_5 with SHA-256 */
    { WA_COSE_ALG_RS256, EVP_sha256, WA_PAD_PKCS1 },
    /*
     * RFC 8812, 2: RSASSA-PKCS1-v1_5 with SHA-1, for TPM attestations
     * and only when the registration policy allows SHA-1: no stored key
     * is ever built with it (wa_pkey_from_cose() refuses RS1)
     */
    { WA_COSE_ALG_RS1, EVP_sha1, WA_PAD_PKCS1 }
};


static wa_err_t
wa_pkey_new(wa_pkey_t **key, EVP_PKEY *pkey, int alg, const char **detail)
{
    wa_pkey_t  *k;

    k = malloc(sizeof(wa_pkey_t));
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        wa_set_detail(detail, "out of memory");
        return WA_ERR_INTERNAL;
    }

    k->pkey = pkey;
    k->vctx = NULL;
    k->alg = alg;

    *key = k;

    return WA_OK;
}


static const wa_pkey_alg_t *
wa_pkey_alg_lookup(int alg)
{
    size_t  i;

    for (i = 0; i < sizeof(wa_pkey_algs) / sizeof(wa_pkey_algs[0]); i++) {
        if (wa_pkey_algs[i].alg == alg) {
            return &wa_pkey_algs[i];
        }
    }

    return NULL;
}


static void
wa_pkey_curves_init(void)
{
    size_t         i;
    OSSL_PARAM     params[2];
    EVP_PKEY_CTX  *ctx;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

    for (i = 0; ctx != NULL && i < WA_PKEY_NCURVES; i++) {
        params[0] = OSSL_PARAM_construct_utf8_string(
                                          OSSL_PKEY_PARAM_GROUP_NAME,
                                          (char *) wa_pkey_curves[i].group, 0);
        params[1] = OSSL_PARAM_construct_end();

        if (EVP_PKEY_fromdata_init(ctx) != 1
            || EVP_PKEY_fromdata(ctx, &wa_pkey_curves[i].tmpl,
                                 EVP_PKEY_KEY_PARAMETERS, params) != 1)
        {
            wa_pkey_curves[i].tmpl = NULL;
        }
    }

    EVP_PKEY_CTX_free(ctx);

    /*
     * this runs once, inside whichever call builds the first EC2 key: a
     * failure is reported as WA_ERR_INTERNAL by every call for that curve
     * later, and its queue entries are not left to an unrelated success
     */

    ERR_clear_error();
}


/*
 * the process-wide curve templates (after this no EC2 key may be built),
 * the crypto fetches and libxml2's globals
 */

void
wa_core_cleanup(void)
{
    size_t  i;

    for (i = 0; i < WA_PKEY_NCURVES; i++) {
        EVP_PKEY_free(wa_pkey_curves[i].tmpl);
        wa_pkey_curves[i].tmpl = NULL;
    }

    wa_crypto_cleanup();
    wa_xml_memory_cleanup();
}


/* RFC 9053, 2.1 and 7.1.1: ECDSA, EC2 keys; WebAuthn L3, 5.8.5 */

wa_err_t
wa_pkey_ec2(wa_pkey_t **key, int alg, int crv, const unsigned char *x,
    size_t xlen, const unsigned char *y, size_t ylen, const char **detail)
{
    int                ok;
    size_t             i, flen;
    EVP_PKEY          *pkey;
    EVP_PKEY_CTX      *cctx;
    unsigned char      point[WA_EC_POINT_MAX];
    wa_pkey_curve_t   *c;

    c = NULL;

    for (i = 0; i < WA_PKEY_NCURVES; i++) {
        if (wa_pkey_curves[i].crv == crv) {
            c = &wa_pkey_curves[i];
            break;
        }
    }

    if (c == NULL) {
        wa_set_detail(detail, "COSE EC2 key has an unsupported \"crv\"");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    if (alg == 0 || (alg != c->algs[0] && alg != c->algs[1])) {
        /* a key that contradicts itself is not well formed */
        wa_set_detail(detail, "COSE key \"alg\" does not match its \"crv\"");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    flen = c->flen;

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

    if (!CRYPTO_THREAD_run_once(&wa_pkey_curves_once, wa_pkey_curves_init)) {
        wa_set_detail(detail, "CRYPTO_THREAD_run_once() failed");
        return WA_ERR_INTERNAL;
    }

    if (c->tmpl == NULL) {
        wa_set_detail(detail, "EVP_PKEY_fromdata() failed for a curve");
        return WA_ERR_INTERNAL;
    }

    pkey = EVP_PKEY_dup(c->tmpl);
    if (pkey == NULL) {
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

    return wa_pkey_new(key, pkey, alg, detail);
}


/*
 * Points of small order (the 8-torsion of Ed25519, the 4-torsion of
 * Ed448), with their non-canonical encodings (y + p): a "public key"
 * among them verifies a forged signature (R the same point, S = 0) for
 * any message under OpenSSL's cofactorless check, so it proves nothing.
 * The x sign bit is ignored: both signs are listed.  RFC 8032, 5.1.3 and
 * 5.2.3 decode them; they are refused here, as libsodium does.
 */

static const unsigned char  wa_ed25519_small[][32] = {
    { 0x00 },                                            /* 0: order 4 */
    { 0x01 },                                            /* 1: order 1 */
    { 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
      0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
      0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
    { 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
      0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
      0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
    { 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
    { 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
    { 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }
};


static int
wa_pkey_okp_small_order(int type, const unsigned char *x)
{
    size_t         i;
    unsigned char  k[57];

    if (type == EVP_PKEY_ED25519) {
        memcpy(k, x, 32);
        k[31] &= 0x7f;

        for (i = 0; i < sizeof(wa_ed25519_small) / 32; i++) {
            if (memcmp(k, wa_ed25519_small[i], 32) == 0) {
                return 1;
            }
        }

        return 0;
    }

    /*
     * Ed448, p = 2^448 - 2^224 - 1, y little-endian in 56 bytes, the sign
     * in bit 7 of the 57th: y = 0 (order 4), 1 (order 1), p - 1
     * (order 2), p (0) and p + 1 (1)
     */

    memcpy(k, x, 57);
    k[56] &= 0x7f;

    if (k[56] != 0) {
        return 0;
    }

    /* 0, 1 */
    if (k[0] <= 0x01 && wa_bytes_are(k + 1, 55, 0x00)) {
        return 1;
    }

    /* p - 1, p */
    if ((k[0] == 0xfe || k[0] == 0xff) && wa_bytes_are(k + 1, 27, 0xff)
        && k[28] == 0xfe && wa_bytes_are(k + 29, 27, 0xff))
    {
        return 1;
    }

    /* p + 1 */
    return wa_bytes_are(k, 28, 0x00) && wa_bytes_are(k + 28, 28, 0xff);
}


static int
wa_bytes_are(const unsigned char *p, size_t n, unsigned char v)
{
    while (n--) {
        if (*p++ != v) {
            return 0;
        }
    }

    return 1;
}


/* RFC 9053, 2.2 and 7.2: EdDSA, OKP keys; RFC 9864: Ed25519, Ed448 */

wa_err_t
wa_pkey_okp(wa_pkey_t **key, int alg, int crv, const unsigned char *x,
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
        /* a key that contradicts itself is not well formed */
        wa_set_detail(detail, "COSE key \"alg\" does not match its \"crv\"");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (xlen != klen) {
        wa_set_detail(detail, "COSE OKP key \"x\" has a wrong length");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (wa_pkey_okp_small_order(type, x)) {
        wa_set_detail(detail, "COSE OKP key is a point of small order");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    pkey = EVP_PKEY_new_raw_public_key(type, NULL, x, xlen);
    if (pkey == NULL) {
        ERR_clear_error();
        wa_set_detail(detail, "COSE OKP key is not a valid public key");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    return wa_pkey_new(key, pkey, alg, detail);
}


/* RFC 8230, 4: RSA keys; RFC 8812, 2: RS256 */

wa_err_t
wa_pkey_rsa(wa_pkey_t **key, int alg, const unsigned char *n, size_t nlen,
    const unsigned char *e, size_t elen, const char **detail)
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
        ERR_clear_error();
        wa_set_detail(detail, "COSE RSA key is not a valid public key");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    rc = wa_pkey_new(key, pkey, alg, detail);
    pkey = NULL;

done:

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


void *
wa_pkey_evp(const wa_pkey_t *key)
{
    return key->pkey;
}


void
wa_pkey_free(wa_pkey_t *key)
{
    if (key == NULL) {
        return;
    }

    EVP_PKEY_CTX_free(key->vctx);
    EVP_PKEY_free(key->pkey);
    free(key);
}


/* WebAuthn L3, 7.2, step 21; 6.5.5: signature formats */

wa_err_t
wa_pkey_verify(wa_pkey_t *key, const unsigned char *auth_data,
    size_t auth_data_len, const unsigned char cdata_hash[WA_SHA256_LEN],
    const unsigned char *sig, size_t sig_len, const char **detail)
{
    size_t                lens[2];
    const unsigned char  *parts[2];

    parts[0] = auth_data;
    lens[0] = auth_data_len;
    parts[1] = cdata_hash;
    lens[1] = WA_SHA256_LEN;

    return wa_pkey_verify_parts(key, parts, lens, 2, sig, sig_len, detail);
}


wa_err_t
wa_pkey_verify_parts(wa_pkey_t *key, const unsigned char **parts,
    const size_t *lens, size_t n, const unsigned char *sig, size_t sig_len,
    const char **detail)
{
    int                   rc;
    size_t                i, mlen;
    unsigned              dlen;
    wa_err_t              err;
    EVP_MD_CTX           *mctx;
    const EVP_MD         *md;
    unsigned char        *msg, *m, buf[WA_EDDSA_MSG_MAX];
    unsigned char         digest[EVP_MAX_MD_SIZE];
    const wa_pkey_alg_t  *a;

    if (key == NULL || key->pkey == NULL) {
        wa_set_detail(detail, "no public key");
        return WA_ERR_INTERNAL;
    }

    a = wa_pkey_alg_lookup(key->alg);
    if (a == NULL) {
        wa_set_detail(detail, "key of an algorithm without verification");
        return WA_ERR_INTERNAL;
    }

    if (a->md != NULL) {
        /*
         * ECDSA and RSA: the message's digest, then the key's kept
         * context over it (what EVP_DigestVerify() does, without making
         * a context each time)
         */

        md = wa_md_fetched(a->md());

        if (key->vctx == NULL) {
            err = wa_pkey_verify_ctx(key, a, md, detail);
            if (err != WA_OK) {
                return err;
            }
        }

        err = wa_digest_parts(md, parts, lens, n, digest, &dlen, detail);
        if (err != WA_OK) {
            return err;
        }

        rc = EVP_PKEY_verify(key->vctx, sig, sig_len, digest, dlen);

        if (rc != 1) {
            /* a bad signature, or one that is not even DER */
            ERR_clear_error();
            wa_set_detail(detail, "signature does not verify with the "
                                  "credential public key");
            return WA_ERR_SIGNATURE_INVALID;
        }

        return WA_OK;
    }

    /* EdDSA signs the message in one piece, RFC 8032, 5.1.6 */

    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        wa_set_detail(detail, "EVP_MD_CTX_new() failed");
        return WA_ERR_INTERNAL;
    }

    msg = NULL;

    if (EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, key->pkey) != 1) {
        wa_set_detail(detail, "EVP_DigestVerifyInit() failed");
        err = WA_ERR_INTERNAL;
        goto done;
    }

    mlen = 0;

    for (i = 0; i < n; i++) {
        mlen += lens[i];
    }

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

    for (m = msg, i = 0; i < n; i++) {
        if (lens[i] != 0) {
            memcpy(m, parts[i], lens[i]);
            m += lens[i];
        }
    }

    rc = EVP_DigestVerify(mctx, sig, sig_len, msg, mlen);

    if (rc != 1) {
        /* a bad signature: the input's fault */
        ERR_clear_error();
        wa_set_detail(detail, "signature does not verify with the "
                              "credential public key");
        err = WA_ERR_SIGNATURE_INVALID;
        goto done;
    }

    err = WA_OK;

done:

    if (msg != NULL && msg != buf) {
        free(msg);
    }

    EVP_MD_CTX_free(mctx);

    return err;
}


/* the verification context of a hashed algorithm, kept in key->vctx */

static wa_err_t
wa_pkey_verify_ctx(wa_pkey_t *key, const wa_pkey_alg_t *a, const EVP_MD *md,
    const char **detail)
{
    EVP_PKEY_CTX  *pctx;

    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
    if (pctx == NULL) {
        wa_set_detail(detail, "EVP_PKEY_CTX_new_from_pkey() failed");
        return WA_ERR_INTERNAL;
    }

    if (EVP_PKEY_verify_init(pctx) != 1) {
        wa_set_detail(detail, "EVP_PKEY_verify_init() failed");
        goto failed;
    }

    if (a->pad == WA_PAD_PSS) {
        /*
         * RFC 8230, 2: MGF1 with the message hash, and a salt as long as
         * the hash; any other salt length is refused
         */

        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
            || EVP_PKEY_CTX_set_signature_md(pctx, md) != 1
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
               != 1)
        {
            wa_set_detail(detail, "EVP_PKEY_CTX_set_rsa_padding() failed");
            goto failed;
        }

    } else {
        if ((a->pad == WA_PAD_PKCS1
             && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
            || EVP_PKEY_CTX_set_signature_md(pctx, md) != 1)
        {
            wa_set_detail(detail, "EVP_PKEY_CTX_set_signature_md() failed");
            goto failed;
        }
    }

    key->vctx = pctx;

    return WA_OK;

failed:

    EVP_PKEY_CTX_free(pctx);

    return WA_ERR_INTERNAL;
}


/*
 * A key of an attestation certificate or a TPM public area for alg: the
 * key's type (and curve) must be the one alg signs with.
 */

wa_err_t
wa_pkey_from_evp(wa_pkey_t **key, void *evp_pkey, int alg,
    const char **detail)
{
    int          id, bits, nid, want;
    char         group[32];
    size_t       glen;
    EVP_PKEY    *pkey;

    pkey = evp_pkey;

    if (wa_pkey_alg_lookup(alg) == NULL) {
        wa_set_detail(detail, "attestation statement has an unsupported "
                              "\"alg\"");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    id = EVP_PKEY_get_base_id(pkey);

    switch (alg) {

    case WA_COSE_ALG_ES256:
    case WA_COSE_ALG_ESP256:
        want = NID_X9_62_prime256v1;
        break;

    case WA_COSE_ALG_ES384:
        want = NID_secp384r1;
        break;

    case WA_COSE_ALG_ES512:
        want = NID_secp521r1;
        break;

    default:
        want = NID_undef;
        break;
    }

    if (want != NID_undef) {
        if (id != EVP_PKEY_EC
            || EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen)
               != 1)
        {
            ERR_clear_error();
            goto mismatch;
        }

        /* OpenSSL names P-256 "prime256v1", its short name */

        nid = OBJ_sn2nid(group);
        if (nid == NID_undef) {
            nid = EC_curve_nist2nid(group);
        }

        if (nid != want) {
            goto mismatch;
        }

    } else if (alg == WA_COSE_ALG_EDDSA || alg == WA_COSE_ALG_ED25519
               || alg == WA_COSE_ALG_ED448)
    {
        if (!((id == EVP_PKEY_ED25519 && alg != WA_COSE_ALG_ED448)
              || (id == EVP_PKEY_ED448 && alg != WA_COSE_ALG_ED25519)))
        {
            goto mismatch;
        }

    } else {
        /* RS256, PS256, RS1 */

        bits = EVP_PKEY_get_bits(pkey);

        if (id != EVP_PKEY_RSA || bits < WA_RSA_BITS_MIN
            || bits > WA_RSA_BITS_MAX)
        {
            goto mismatch;
        }
    }

    if (EVP_PKEY_up_ref(pkey) != 1) {
        wa_set_detail(detail, "EVP_PKEY_up_ref() failed");
        return WA_ERR_INTERNAL;
    }

    return wa_pkey_new(key, pkey, alg, detail);

mismatch:

    wa_set_detail(detail, "attestation key is not one of the signature's "
                          "algorithm");
    return WA_ERR_ATTESTATION_INVALID;
}


int
wa_pkey_eq(const wa_pkey_t *a, const void *evp_pkey)
{
    int  rc;

    rc = EVP_PKEY_eq(a->pkey, evp_pkey);
    ERR_clear_error();

    return rc == 1;
}


const void *
wa_pkey_alg_md(int alg)
{
    const wa_pkey_alg_t  *a;

    a = wa_pkey_alg_lookup(alg);

    return (a != NULL && a->md != NULL) ? a->md() : NULL;
}
