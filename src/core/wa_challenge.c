
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <string.h>

#include "wa_internal.h"


#define WA_CHALLENGE_VERSION   0x01
#define WA_CHALLENGE_BODY_LEN  (1 + 8 + WA_CHALLENGE_NONCE_LEN)
#define WA_RP_ID_MAX           253      /* RFC 1035, 2.3.4 */


static int wa_challenge_mac(unsigned char mac[WA_SHA256_LEN],
    const unsigned char *body, const unsigned char *key, size_t keylen,
    const char *rp_id, size_t rp_id_len);


int
wa_challenge_issue(unsigned char out[WA_CHALLENGE_LEN],
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, uint64_t expires_ms)
{
    int  i;

    if (keylen < WA_CHALLENGE_KEY_MIN) {
        return -1;
    }

    out[0] = WA_CHALLENGE_VERSION;

    for (i = 0; i < 8; i++) {
        out[1 + i] = (unsigned char) (expires_ms >> (56 - 8 * i));
    }

    if (wa_random(&out[9], WA_CHALLENGE_NONCE_LEN) != 0) {
        return -1;
    }

    return wa_challenge_mac(&out[WA_CHALLENGE_BODY_LEN], out, key, keylen,
                            rp_id, rp_id_len);
}


wa_err_t
wa_challenge_check(const unsigned char *c, size_t len,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, uint64_t now_ms, uint64_t *expires_ms,
    const unsigned char **nonce, const char **detail)
{
    int            i, eq;
    uint64_t       expiry;
    unsigned char  mac[WA_SHA256_LEN];

    if (keylen < WA_CHALLENGE_KEY_MIN) {
        wa_set_detail(detail, "challenge key is shorter than 32 bytes");
        return WA_ERR_INTERNAL;
    }

    if (rp_id_len > WA_RP_ID_MAX) {
        wa_set_detail(detail, "relying party ID is longer than 253 bytes");
        return WA_ERR_INTERNAL;
    }

    if (len != WA_CHALLENGE_LEN) {
        wa_set_detail(detail, "challenge has a wrong length");
        return WA_ERR_CHALLENGE_INVALID;
    }

    if (c[0] != WA_CHALLENGE_VERSION) {
        wa_set_detail(detail, "challenge has an unknown version");
        return WA_ERR_CHALLENGE_INVALID;
    }

    if (wa_challenge_mac(mac, c, key, keylen, rp_id, rp_id_len) != 0) {
        wa_set_detail(detail, "HMAC() failed");
        return WA_ERR_INTERNAL;
    }

    eq = wa_memeq(mac, &c[WA_CHALLENGE_BODY_LEN], WA_SHA256_LEN);

    wa_memzero(mac, sizeof(mac));

    if (!eq) {
        wa_set_detail(detail, "challenge was not issued by this relying party");
        return WA_ERR_CHALLENGE_INVALID;
    }

    expiry = 0;

    for (i = 0; i < 8; i++) {
        expiry = (expiry << 8) | c[1 + i];
    }

    if (now_ms >= expiry) {
        wa_set_detail(detail, "challenge has expired");
        return WA_ERR_CHALLENGE_INVALID;
    }

    if (expires_ms != NULL) {
        *expires_ms = expiry;
    }

    if (nonce != NULL) {
        *nonce = &c[9];
    }

    return WA_OK;
}


/* HMAC-SHA-256(key, version || expiry || nonce || rp_id) */

static int
wa_challenge_mac(unsigned char mac[WA_SHA256_LEN], const unsigned char *body,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len)
{
    int            rc;
    unsigned char  buf[WA_CHALLENGE_BODY_LEN + 256], *p;

    if (rp_id_len > WA_RP_ID_MAX) {
        return -1;
    }

    p = buf;
    memcpy(p, body, WA_CHALLENGE_BODY_LEN);
    p += WA_CHALLENGE_BODY_LEN;

    if (rp_id_len > 0) {
        memcpy(p, rp_id, rp_id_len);
        p += rp_id_len;
    }

    rc = wa_hmac_sha256(mac, key, keylen, buf, p - buf);

    return rc;
}
