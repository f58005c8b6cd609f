
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * COSE_Key (RFC 9052, 7) to a verification key: the CBOR map is checked
 * well-formed by wa_cbor_item(), decoded by libcbor, its members picked
 * by label and handed to wa_pkey.c
 */


#include <string.h>

#include <cbor.h>

#include "wa_internal.h"


/* COSE_Key labels, RFC 9052, 7.1 and RFC 9053, 7.1 and 7.2; RFC 8230, 4 */
#define WA_COSE_LABEL_KTY     1
#define WA_COSE_LABEL_ALG     3
#define WA_COSE_LABEL_CRV     -1    /* EC2, OKP */
#define WA_COSE_LABEL_X       -2    /* EC2, OKP */
#define WA_COSE_LABEL_Y       -3    /* EC2 */
#define WA_COSE_LABEL_N       -1    /* RSA */
#define WA_COSE_LABEL_E       -2    /* RSA */

#define WA_COSE_NLABELS       5


typedef struct {
    cbor_item_t  *kty;
    cbor_item_t  *alg;
    cbor_item_t  *m1;               /* label -1: crv or n */
    cbor_item_t  *m2;               /* label -2: x or e */
    cbor_item_t  *m3;               /* label -3: y */
} wa_cose_members_t;


wa_err_t
wa_pkey_from_cose(wa_pkey_t **key, const unsigned char *cose, size_t len,
    const char **detail)
{
    return wa_pkey_from_cose_ex(key, cose, len, 0, detail);
}


wa_err_t
wa_pkey_from_cose_ex(wa_pkey_t **key, const unsigned char *cose, size_t len,
    int allow_sha1, const char **detail)
{
    int                       major, slot;
    size_t                    i, n, used, xlen, ylen;
    int64_t                   label, kty, alg, crv;
    wa_err_t                  rc;
    cbor_item_t              *item, **slots[WA_COSE_NLABELS];
    struct cbor_pair         *pairs;
    wa_cose_members_t         m;
    const unsigned char      *x, *y;
    struct cbor_load_result   res;

    *key = NULL;

    if (len == 0) {
        wa_set_detail(detail, "COSE key is empty");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (len > WA_COSE_KEY_MAX) {
        wa_set_detail(detail, "COSE key is too long");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    /*
     * the input is checked to be exactly one well-formed item first, so
     * that libcbor never sees a length it could allocate much for
     */

    if (wa_cbor_item(cose, len, &used, &major) != 0 || used != len) {
        wa_set_detail(detail, "COSE key is not one well-formed CBOR item");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (major != WA_CBOR_MAJOR_MAP) {
        wa_set_detail(detail, "COSE key is not a CBOR map");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    item = cbor_load(cose, len, &res);
    if (item == NULL) {
        if (res.error.code == CBOR_ERR_MEMERROR) {
            wa_set_detail(detail, "out of memory");
            return WA_ERR_INTERNAL;
        }

        wa_set_detail(detail, "COSE key is not valid CBOR");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (!cbor_isa_map(item)) {
        wa_set_detail(detail, "COSE key is not a CBOR map");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    memset(&m, 0, sizeof(wa_cose_members_t));

    slots[0] = &m.kty;
    slots[1] = &m.alg;
    slots[2] = &m.m1;
    slots[3] = &m.m2;
    slots[4] = &m.m3;

    n = cbor_map_size(item);
    pairs = cbor_map_handle(item);

    for (i = 0; i < n; i++) {

        /* text labels and other integers are not used here */

        if (wa_cbor_int(pairs[i].key, &label) != 0) {
            continue;
        }

        switch (label) {
        case WA_COSE_LABEL_KTY:
            slot = 0;
            break;
        case WA_COSE_LABEL_ALG:
            slot = 1;
            break;
        case WA_COSE_LABEL_CRV:     /* or WA_COSE_LABEL_N */
            slot = 2;
            break;
        case WA_COSE_LABEL_X:       /* or WA_COSE_LABEL_E */
            slot = 3;
            break;
        case WA_COSE_LABEL_Y:
            slot = 4;
            break;
        default:
            continue;
        }

        if (*slots[slot] != NULL) {
            wa_set_detail(detail, "COSE key has a duplicate label");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }

        *slots[slot] = pairs[i].value;
    }

    /* RFC 9052, 7.1: kty is required; WebAuthn L3, 5.8.5: so is alg */

    if (m.kty == NULL || wa_cbor_int(m.kty, &kty) != 0) {
        wa_set_detail(detail, "COSE key has no integer \"kty\"");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    if (m.alg == NULL || wa_cbor_int(m.alg, &alg) != 0) {
        wa_set_detail(detail, "COSE key has no integer \"alg\"");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    switch (kty) {

    case WA_COSE_KTY_EC2:

        if (alg != WA_COSE_ALG_ES256 && alg != WA_COSE_ALG_ESP256
            && alg != WA_COSE_ALG_ES384 && alg != WA_COSE_ALG_ES512)
        {
            wa_set_detail(detail, "COSE EC2 key has an unsupported \"alg\"");
            rc = WA_ERR_ALGORITHM_UNSUPPORTED;
            goto done;
        }

        if (m.m1 == NULL || wa_cbor_int(m.m1, &crv) != 0) {
            wa_set_detail(detail, "COSE EC2 key has no integer \"crv\"");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }

        if (m.m2 == NULL || wa_cbor_bytes(m.m2, &x, &xlen) != 0) {
            wa_set_detail(detail, "COSE EC2 key has no byte string \"x\"");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }

        /* WebAuthn L3, 6.5.1.1: EC2 keys use the uncompressed form */

        if (m.m3 == NULL || wa_cbor_bytes(m.m3, &y, &ylen) != 0) {
            wa_set_detail(detail, "COSE EC2 key has no byte string \"y\"");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }

        if (crv != WA_COSE_CRV_P256 && crv != WA_COSE_CRV_P384
            && crv != WA_COSE_CRV_P521)
        {
            wa_set_detail(detail, "COSE EC2 key has an unsupported \"crv\"");
            rc = WA_ERR_ALGORITHM_UNSUPPORTED;
            goto done;
        }

        rc = wa_pkey_ec2(key, (int) alg, (int) crv, x, xlen, y, ylen,
                         detail);
        goto done;

    case WA_COSE_KTY_OKP:

        if (alg != WA_COSE_ALG_EDDSA && alg != WA_COSE_ALG_ED25519
            && alg != WA_COSE_ALG_ED448)
        {
            wa_set_detail(detail, "COSE OKP key has an unsupported \"alg\"");
            rc = WA_ERR_ALGORITHM_UNSUPPORTED;
            goto done;
        }

        if (m.m1 == NULL || wa_cbor_int(m.m1, &crv) != 0) {
            wa_set_detail(detail, "COSE OKP key has no integer \"crv\"");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }

        if (m.m2 == NULL || wa_cbor_bytes(m.m2, &x, &xlen) != 0) {
            wa_set_detail(detail, "COSE OKP key has no byte string \"x\"");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }

        if (crv != WA_COSE_CRV_ED25519 && crv != WA_COSE_CRV_ED448) {
            wa_set_detail(detail, "COSE OKP key has an unsupported \"crv\"");
            rc = WA_ERR_ALGORITHM_UNSUPPORTED;
            goto done;
        }

        rc = wa_pkey_okp(key, (int) alg, (int) crv, x, xlen, detail);
        goto done;

    case WA_COSE_KTY_RSA:

        if (alg != WA_COSE_ALG_RS256 && alg != WA_COSE_ALG_PS256
            && !(allow_sha1 && alg == WA_COSE_ALG_RS1))
        {
            wa_set_detail(detail, "COSE RSA key has an unsupported \"alg\"");
            rc = WA_ERR_ALGORITHM_UNSUPPORTED;
            goto done;
        }

        if (m.m1 == NULL || wa_cbor_bytes(m.m1, &x, &xlen) != 0) {
            wa_set_detail(detail, "COSE RSA key has no byte string \"n\"");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }

        if (m.m2 == NULL || wa_cbor_bytes(m.m2, &y, &ylen) != 0) {
            wa_set_detail(detail, "COSE RSA key has no byte string \"e\"");
            rc = WA_ERR_CREDENTIAL_MALFORMED;
            goto done;
        }

        rc = wa_pkey_rsa(key, (int) alg, x, xlen, y, ylen, detail);
        goto done;

    default:
        wa_set_detail(detail, "COSE key has an unsupported \"kty\"");
        rc = WA_ERR_ALGORITHM_UNSUPPORTED;
        goto done;
    }

done:

    cbor_decref(&item);

    return rc;
}

