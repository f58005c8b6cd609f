
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of sealed challenges (wa_challenge.c): both check
 * functions, wa_challenge_check() (assertions) and
 * wa_challenge_check_register() (registrations), with a fixed key.  The
 * input is
 *     flags (1) now_ms (8, big endian) max_age_ms (8) challenge
 * flags: bit 0 seal: the target computes the MAC of the challenge's
 * first 33 bytes itself, with HMAC-SHA-256 over the layout README and
 * wa_core.h give (version || issued || expires || nonce || rp_id
 * [|| binding]), so that the checks after the MAC are reached; bit 1 the
 * rp_id sealed is another one; bit 2 the binding sealed is another one.
 * Each check's code and detail are compared with what the layout and
 * wa_core.h's list of details say it must be, and on WA_OK the info
 * returned.
 */


#include <stdlib.h>
#include <string.h>

#include "wa_core.h"


#define FUZZ_BODY  (1 + 8 + 8 + WA_CHALLENGE_NONCE_LEN)


static uint64_t fuzz_get64(const unsigned char *p);
static int fuzz_mac_ok(const unsigned char *c, int reg);
static void fuzz_check(const unsigned char *c, size_t len, int reg,
    uint64_t now, uint64_t max_age);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const unsigned char  fuzz_key[40] =
    "fuzz challenge key, forty bytes long....";

static const char  fuzz_rp_id[] = "example.org";
static const char  fuzz_other_rp_id[] = "example.com";

static unsigned char  fuzz_binding[WA_SHA256_LEN];
static unsigned char  fuzz_other_binding[WA_SHA256_LEN];


static uint64_t
fuzz_get64(const unsigned char *p)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }

    return v;
}


/* the MAC of a 65 byte challenge, computed from the layout */

static int
fuzz_mac_ok(const unsigned char *c, int reg)
{
    size_t         n;
    unsigned char  buf[FUZZ_BODY + sizeof(fuzz_rp_id) + WA_SHA256_LEN];
    unsigned char  mac[WA_SHA256_LEN];

    memcpy(buf, c, FUZZ_BODY);
    memcpy(buf + FUZZ_BODY, fuzz_rp_id, sizeof(fuzz_rp_id) - 1);
    n = FUZZ_BODY + sizeof(fuzz_rp_id) - 1;

    if (reg) {
        memcpy(buf + n, fuzz_binding, WA_SHA256_LEN);
        n += WA_SHA256_LEN;
    }

    if (wa_hmac_sha256(mac, fuzz_key, sizeof(fuzz_key), buf, n) != 0) {
        abort();
    }

    return memcmp(mac, c + FUZZ_BODY, WA_SHA256_LEN) == 0;
}


static void
fuzz_check(const unsigned char *c, size_t len, int reg, uint64_t now,
    uint64_t max_age)
{
    wa_err_t              rc;
    uint64_t              issued, expires, oldest;
    const char           *detail, *want;
    wa_challenge_info_t   info;

    detail = NULL;
    memset(&info, 0, sizeof(info));

    if (reg) {
        rc = wa_challenge_check_register(c, len, fuzz_key, sizeof(fuzz_key),
                                         fuzz_rp_id, sizeof(fuzz_rp_id) - 1,
                                         fuzz_binding, now, max_age, &info,
                                         &detail);
    } else {
        rc = wa_challenge_check(c, len, fuzz_key, sizeof(fuzz_key),
                                fuzz_rp_id, sizeof(fuzz_rp_id) - 1, now,
                                max_age, &info, &detail);
    }

    /* what it must answer, in the order wa_core.h gives */

    want = NULL;
    issued = 0;
    expires = 0;
    oldest = 0;

    if (len != WA_CHALLENGE_LEN) {
        want = "challenge has a wrong length";

    } else if (c[0] != (reg ? WA_CHALLENGE_VERSION_REGISTER
                            : WA_CHALLENGE_VERSION))
    {
        want = (c[0] == WA_CHALLENGE_VERSION_REGISTER)
               ? "challenge was issued for a registration"
               : (c[0] == WA_CHALLENGE_VERSION)
               ? "challenge was issued for an assertion"
               : "challenge has an unknown version";

    } else if (!fuzz_mac_ok(c, reg)) {
        want = reg ? "challenge was not issued by this relying party for "
                     "this enrollment"
                   : "challenge was not issued by this relying party";

    } else {
        issued = fuzz_get64(c + 1);
        expires = fuzz_get64(c + 9);
        oldest = (max_age > UINT64_MAX - issued) ? UINT64_MAX
                                                 : issued + max_age;

        if (issued > expires) {
            want = "challenge has an invalid lifetime";

        } else if (now >= expires) {
            want = "challenge has expired";

        } else if (now >= oldest) {
            want = "challenge is older than this location accepts";
        }
    }

    if (want != NULL) {
        if (rc != WA_ERR_CHALLENGE_INVALID || detail == NULL
            || strcmp(detail, want) != 0)
        {
            abort();
        }

        return;
    }

    if (rc != WA_OK || info.issued_ms != issued
        || info.expires_ms != (oldest < expires ? oldest : expires)
        || info.nonce != c + 17)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int             seal;
    size_t          len, n;
    uint64_t        now, max_age;
    const char     *rp_id;
    unsigned char   c[WA_CHALLENGE_LEN + 1];
    unsigned char   buf[FUZZ_BODY + sizeof(fuzz_rp_id) + WA_SHA256_LEN];
    unsigned char   issued[WA_CHALLENGE_LEN];
    const unsigned char  *bind;

    if (fuzz_binding[0] == 0) {
        wa_sha256(fuzz_binding, "invitation", 10);
        wa_sha256(fuzz_other_binding, "another invitation", 18);
    }

    if (size < 17) {
        return 0;
    }

    now = fuzz_get64(data + 1);
    max_age = fuzz_get64(data + 9);
    seal = data[0] & 1;
    len = size - 17;

    /* the bytes as they come: a MAC the fuzzer cannot make */

    fuzz_check(data + 17, len, 0, now, max_age);
    fuzz_check(data + 17, len, 1, now, max_age);

    if (seal && len >= FUZZ_BODY) {
        n = len < sizeof(c) ? len : sizeof(c);

        memcpy(c, data + 17, n);

        rp_id = (data[0] & 2) ? fuzz_other_rp_id : fuzz_rp_id;
        bind = (data[0] & 4) ? fuzz_other_binding : fuzz_binding;

        memcpy(buf, c, FUZZ_BODY);
        memcpy(buf + FUZZ_BODY, rp_id, sizeof(fuzz_rp_id) - 1);
        memcpy(buf + FUZZ_BODY + sizeof(fuzz_rp_id) - 1, bind,
               WA_SHA256_LEN);

        if (n >= WA_CHALLENGE_LEN) {
            n = (len == WA_CHALLENGE_LEN) ? WA_CHALLENGE_LEN
                                          : WA_CHALLENGE_LEN + 1;
        }

        /* sealed for an assertion: no binding */

        if (wa_hmac_sha256(c + FUZZ_BODY, fuzz_key, sizeof(fuzz_key), buf,
                           FUZZ_BODY + sizeof(fuzz_rp_id) - 1)
            != 0)
        {
            abort();
        }

        fuzz_check(c, n, 0, now, max_age);
        fuzz_check(c, n, 1, now, max_age);

        /* sealed for a registration, with its binding */

        if (wa_hmac_sha256(c + FUZZ_BODY, fuzz_key, sizeof(fuzz_key), buf,
                           sizeof(buf))
            != 0)
        {
            abort();
        }

        fuzz_check(c, n, 1, now, max_age);
        fuzz_check(c, n, 0, now, max_age);
    }

    /* one the core issued passes its own check exactly in its time */

    if (wa_challenge_issue(issued, fuzz_key, sizeof(fuzz_key), fuzz_rp_id,
                           sizeof(fuzz_rp_id) - 1, now, max_age)
        != 0)
    {
        abort();
    }

    if (!fuzz_mac_ok(issued, 0)) {
        abort();
    }

    fuzz_check(issued, sizeof(issued), 0, now ^ max_age, max_age);
    fuzz_check(issued, sizeof(issued), 1, now, max_age);

    if (wa_challenge_issue_register(issued, fuzz_key, sizeof(fuzz_key),
                                    fuzz_rp_id, sizeof(fuzz_rp_id) - 1,
                                    fuzz_binding, now, max_age)
        != 0)
    {
        abort();
    }

    if (!fuzz_mac_ok(issued, 1)) {
        abort();
    }

    fuzz_check(issued, sizeof(issued), 1, now ^ max_age, max_age);
    fuzz_check(issued, sizeof(issued), 0, now, max_age);

    return 0;
}
