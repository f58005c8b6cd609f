
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* sealed challenges: the layout is described in wa_core.h */


#include <string.h>

#include "wa_internal.h"


#define WA_CHALLENGE_ISSUED     1
#define WA_CHALLENGE_EXPIRES    9
#define WA_CHALLENGE_NONCE      17
#define WA_CHALLENGE_BODY_LEN   (WA_CHALLENGE_NONCE + WA_CHALLENGE_NONCE_LEN)


static int wa_challenge_seal(unsigned char out[WA_CHALLENGE_LEN],
    unsigned char version, const unsigned char *key, size_t keylen,
    const char *rp_id, size_t rp_id_len, const unsigned char *binding,
    uint64_t now_ms, uint64_t ttl_ms);
static wa_err_t wa_challenge_open(const unsigned char *c, size_t len,
    unsigned char version, const unsigned char *key, size_t keylen,
    const char *rp_id, size_t rp_id_len, const unsigned char *binding,
    uint64_t now_ms, uint64_t max_age_ms, wa_challenge_info_t *info,
    const char **detail);
static int wa_challenge_mac(unsigned char mac[WA_SHA256_LEN],
    const unsigned char *body, const unsigned char *key, size_t keylen,
    const char *rp_id, size_t rp_id_len, const unsigned char *binding);
static void wa_challenge_put64(unsigned char *p, uint64_t v);
static uint64_t wa_challenge_get64(const unsigned char *p);


int
wa_challenge_issue(unsigned char out[WA_CHALLENGE_LEN],
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, uint64_t now_ms, uint64_t ttl_ms)
{
    return wa_challenge_seal(out, WA_CHALLENGE_VERSION, key, keylen, rp_id,
                             rp_id_len, NULL, now_ms, ttl_ms);
}


int
wa_challenge_issue_register(unsigned char out[WA_CHALLENGE_LEN],
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, const unsigned char binding[WA_SHA256_LEN],
    uint64_t now_ms, uint64_t ttl_ms)
{
    return wa_challenge_seal(out, WA_CHALLENGE_VERSION_REGISTER, key, keylen,
                             rp_id, rp_id_len, binding, now_ms, ttl_ms);
}


static int
wa_challenge_seal(unsigned char out[WA_CHALLENGE_LEN], unsigned char version,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, const unsigned char *binding, uint64_t now_ms,
    uint64_t ttl_ms)
{
    uint64_t  expires;

    if (keylen < WA_CHALLENGE_KEY_MIN || keylen > WA_CHALLENGE_KEY_MAX
        || rp_id_len > WA_RP_ID_MAX)
    {
        return -1;
    }

    expires = (ttl_ms > UINT64_MAX - now_ms) ? UINT64_MAX : now_ms + ttl_ms;

    out[0] = version;
    wa_challenge_put64(&out[WA_CHALLENGE_ISSUED], now_ms);
    wa_challenge_put64(&out[WA_CHALLENGE_EXPIRES], expires);

    if (wa_random(&out[WA_CHALLENGE_NONCE], WA_CHALLENGE_NONCE_LEN) != 0) {
        return -1;
    }

    return wa_challenge_mac(&out[WA_CHALLENGE_BODY_LEN], out, key, keylen,
                            rp_id, rp_id_len, binding);
}


wa_err_t
wa_challenge_check(const unsigned char *c, size_t len,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, uint64_t now_ms, uint64_t max_age_ms,
    wa_challenge_info_t *info, const char **detail)
{
    return wa_challenge_open(c, len, WA_CHALLENGE_VERSION, key, keylen,
                             rp_id, rp_id_len, NULL, now_ms, max_age_ms,
                             info, detail);
}


wa_err_t
wa_challenge_check_register(const unsigned char *c, size_t len,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, const unsigned char binding[WA_SHA256_LEN],
    uint64_t now_ms, uint64_t max_age_ms, wa_challenge_info_t *info,
    const char **detail)
{
    return wa_challenge_open(c, len, WA_CHALLENGE_VERSION_REGISTER, key,
                             keylen, rp_id, rp_id_len, binding, now_ms,
                             max_age_ms, info, detail);
}


static wa_err_t
wa_challenge_open(const unsigned char *c, size_t len, unsigned char version,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, const unsigned char *binding, uint64_t now_ms,
    uint64_t max_age_ms, wa_challenge_info_t *info, const char **detail)
{
    int            eq;
    uint64_t       issued, expires, oldest;
    unsigned char  mac[WA_SHA256_LEN];

    if (keylen < WA_CHALLENGE_KEY_MIN) {
        wa_set_detail(detail, "challenge key is shorter than 32 bytes");
        return WA_ERR_INTERNAL;
    }

    if (keylen > WA_CHALLENGE_KEY_MAX) {
        wa_set_detail(detail, "challenge key is longer than 4096 bytes");
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

    /* one kind is never taken for the other */

    if (c[0] != version) {
        if (c[0] == WA_CHALLENGE_VERSION_REGISTER) {
            wa_set_detail(detail, "challenge was issued for a registration");

        } else if (c[0] == WA_CHALLENGE_VERSION) {
            wa_set_detail(detail, "challenge was issued for an assertion");

        } else {
            wa_set_detail(detail, "challenge has an unknown version");
        }

        return WA_ERR_CHALLENGE_INVALID;
    }

    /* the MAC first: nothing else of the body is trusted before it */

    if (wa_challenge_mac(mac, c, key, keylen, rp_id, rp_id_len, binding)
        != 0)
    {
        wa_set_detail(detail, "HMAC() failed");
        return WA_ERR_INTERNAL;
    }

    eq = wa_memeq(mac, &c[WA_CHALLENGE_BODY_LEN], WA_SHA256_LEN);

    wa_memzero(mac, sizeof(mac));

    if (!eq) {
        wa_set_detail(detail, (binding == NULL)
                              ? "challenge was not issued by this relying "
                                "party"
                              : "challenge was not issued by this relying "
                                "party for this enrollment");
        return WA_ERR_CHALLENGE_INVALID;
    }

    issued = wa_challenge_get64(&c[WA_CHALLENGE_ISSUED]);
    expires = wa_challenge_get64(&c[WA_CHALLENGE_EXPIRES]);

    /* wa_challenge_issue() never seals an expiry before the issue time */

    if (issued > expires) {
        wa_set_detail(detail, "challenge has an invalid lifetime");
        return WA_ERR_CHALLENGE_INVALID;
    }

    if (now_ms >= expires) {
        wa_set_detail(detail, "challenge has expired");
        return WA_ERR_CHALLENGE_INVALID;
    }

    /* the verifying location's own bound, whatever the issuer granted */

    oldest = (max_age_ms > UINT64_MAX - issued) ? UINT64_MAX
                                                : issued + max_age_ms;

    if (now_ms >= oldest) {
        wa_set_detail(detail, "challenge is older than this location "
                              "accepts");
        return WA_ERR_CHALLENGE_INVALID;
    }

    if (info != NULL) {
        info->issued_ms = issued;
        info->expires_ms = (oldest < expires) ? oldest : expires;
        info->nonce = &c[WA_CHALLENGE_NONCE];
    }

    return WA_OK;
}


/*
 * HMAC-SHA-256(key, version || issued || expires || nonce || rp_id
 *                   [|| binding])
 */

static int
wa_challenge_mac(unsigned char mac[WA_SHA256_LEN], const unsigned char *body,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, const unsigned char *binding)
{
    int            rc;
    unsigned char  buf[WA_CHALLENGE_BODY_LEN + WA_RP_ID_MAX + WA_SHA256_LEN];
    unsigned char *p;

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

    if (binding != NULL) {
        memcpy(p, binding, WA_SHA256_LEN);
        p += WA_SHA256_LEN;
    }

    rc = wa_hmac_sha256(mac, key, keylen, buf, p - buf);

    return rc;
}


static void
wa_challenge_put64(unsigned char *p, uint64_t v)
{
    int  i;

    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char) (v >> (56 - 8 * i));
    }
}


static uint64_t
wa_challenge_get64(const unsigned char *p)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }

    return v;
}
