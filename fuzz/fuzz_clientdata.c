
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of clientDataJSON (wa_clientdata.c), as both
 * ceremonies read it.  The input is
 *     flags (1 byte) clientDataJSON
 * flags: bit 0 the ceremony ("webauthn.create" when set, else
 * "webauthn.get"), bit 1 allow_cross_origin, bit 2 the challenge check
 * refuses.  wa_client_data_parse() runs on the JSON, then
 * wa_client_data_check() as wa_assertion_check() and
 * wa_registration_check() call it.  Their answers are checked against
 * WebAuthn L3, 7.2, steps 8-14: a pass means the type is the
 * ceremony's, the challenge the check was given is the base64url
 * decoding of C.challenge, the origin is one of the policy's, and
 * crossOrigin or a topOrigin only with allow_cross_origin and a topOrigin
 * that is one of the policy's too; every error says why.
 */


#include <stdlib.h>
#include <string.h>

#include "wa_internal.h"


typedef struct {
    int             refuse;
    int             called;
    unsigned char  *challenge;
    size_t          challenge_len;
} fuzz_challenge_t;


static wa_err_t fuzz_challenge(void *data, const unsigned char *c,
    size_t len, const char **detail);
static int fuzz_origin_ok(const char *o, size_t len);
static void fuzz_check_challenge(const wa_client_data_t *cd,
    const fuzz_challenge_t *fc);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const wa_origin_t  fuzz_origins[] = {
    { "https://example.org", sizeof("https://example.org") - 1 },
    { "https://login.example.org:8443",
      sizeof("https://login.example.org:8443") - 1 },
    /* an origin with a NUL in it: compared by length, not strcmp() */
    { "https://a\0b", sizeof("https://a\0b") - 1 }
};

#define FUZZ_NORIGINS  (sizeof(fuzz_origins) / sizeof(fuzz_origins[0]))


static wa_err_t
fuzz_challenge(void *data, const unsigned char *c, size_t len,
    const char **detail)
{
    fuzz_challenge_t  *fc = data;

    fc->called++;
    fc->challenge = malloc(len + 1);
    if (fc->challenge == NULL) {
        abort();
    }

    memcpy(fc->challenge, c, len);
    fc->challenge_len = len;

    if (fc->refuse) {
        *detail = "fuzz: challenge refused";
        return WA_ERR_CHALLENGE_INVALID;
    }

    return WA_OK;
}


static int
fuzz_origin_ok(const char *o, size_t len)
{
    size_t  i;

    for (i = 0; i < FUZZ_NORIGINS; i++) {
        if (fuzz_origins[i].len == len
            && memcmp(fuzz_origins[i].data, o, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * the challenge handed to the check, encoded again, is C.challenge
 * without padding and in the url-safe alphabet (the decoder takes both)
 */

static void
fuzz_check_challenge(const wa_client_data_t *cd, const fuzz_challenge_t *fc)
{
    size_t          i, n, elen;
    unsigned char  *enc, want;

    n = cd->challenge_len;

    while (n > 0 && cd->challenge[n - 1] == '=') {
        n--;
    }

    enc = malloc(wa_b64url_encoded_len(fc->challenge_len) + 1);
    if (enc == NULL) {
        abort();
    }

    elen = wa_b64url_encode(enc, fc->challenge, fc->challenge_len);

    if (elen != n) {
        abort();
    }

    for (i = 0; i < n; i++) {
        want = (unsigned char) cd->challenge[i];
        want = (want == '+') ? '-' : (want == '/') ? '_' : want;

        if (enc[i] != want) {
            abort();
        }
    }

    free(enc);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int                 create;
    size_t              clen;
    wa_err_t            rc, rc2;
    const char         *detail, *type;
    wa_policy_t         policy;
    unsigned char      *challenge;
    wa_client_data_t    cd;
    fuzz_challenge_t    fc;

    if (size < 1) {
        return 0;
    }

    create = data[0] & 1;
    type = create ? "webauthn.create" : "webauthn.get";

    /* the parse alone */

    detail = NULL;
    rc = wa_client_data_parse(&cd, data + 1, size - 1, &detail);

    if (rc == WA_OK) {
        if (cd.type == NULL || cd.challenge == NULL || cd.origin == NULL
            || (cd.top_origin == NULL && cd.top_origin_len != 0))
        {
            abort();
        }

    } else if (rc != WA_ERR_CLIENT_DATA_INVALID || detail == NULL) {
        abort();
    }

    wa_client_data_free(&cd);

    /* the check, as the ceremonies run it */

    memset(&policy, 0, sizeof(policy));
    memset(&fc, 0, sizeof(fc));
    fc.refuse = (data[0] >> 2) & 1;

    wa_sha256(policy.rp_id_hash, "example.org", 11);
    policy.origins = fuzz_origins;
    policy.norigins = FUZZ_NORIGINS;
    policy.allow_cross_origin = (data[0] >> 1) & 1;
    policy.user_verification = WA_UV_PREFERRED;
    policy.check_challenge = fuzz_challenge;
    policy.check_challenge_data = &fc;

    challenge = NULL;
    clen = 0;
    detail = NULL;

    rc2 = wa_client_data_check(&cd, data + 1, size - 1, type, &policy,
                               &challenge, &clen, &detail);

    if (rc2 != WA_OK && detail == NULL) {
        abort();
    }

    /* what the parse refused the check refuses the same way */

    if (rc != WA_OK && rc2 != rc) {
        abort();
    }

    if (fc.called > 1) {
        abort();
    }

    if (fc.called) {
        /* reached only for the right type, with the decoded challenge */

        if (cd.type_len != strlen(type)
            || memcmp(cd.type, type, cd.type_len) != 0
            || challenge == NULL || clen != fc.challenge_len
            || (clen > 0 && memcmp(challenge, fc.challenge, clen) != 0))
        {
            abort();
        }

        fuzz_check_challenge(&cd, &fc);

        if (fc.refuse && rc2 != WA_ERR_CHALLENGE_INVALID) {
            abort();
        }
    }

    if (rc2 == WA_OK) {
        if (!fc.called || fc.refuse
            || !fuzz_origin_ok(cd.origin, cd.origin_len))
        {
            abort();
        }

        if (cd.cross_origin || cd.top_origin != NULL) {
            if (!policy.allow_cross_origin || cd.top_origin == NULL
                || !fuzz_origin_ok(cd.top_origin, cd.top_origin_len))
            {
                abort();
            }
        }
    }

    if (rc2 == WA_ERR_ORIGIN_NOT_ALLOWED) {
        /* only after the challenge passed */

        if (!fc.called || fc.refuse) {
            abort();
        }

        if (fuzz_origin_ok(cd.origin, cd.origin_len)
            && !cd.cross_origin && cd.top_origin == NULL)
        {
            abort();
        }
    }

    free(challenge);
    free(fc.challenge);
    wa_client_data_free(&cd);

    return 0;
}
