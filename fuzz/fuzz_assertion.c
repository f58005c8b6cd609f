
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of the verification core.  The input is
 *     envelope JSON [ 0x00 COSE_Key ]
 * The JSON is fed base64url-encoded to wa_assertion_parse() (and the raw
 * bytes as a token too), then wa_assertion_check() and, with the key
 * built by wa_pkey_from_cose() from the part after the first NUL,
 * wa_assertion_verify().
 */


#include <stdlib.h>
#include <string.h>

#include "wa_core.h"


static wa_err_t fuzz_challenge(void *data, const unsigned char *c,
    size_t len, const char **detail);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const wa_origin_t  fuzz_origins[] = {
    { "https://example.org", sizeof("https://example.org") - 1 },
    { "http://localhost:5000", sizeof("http://localhost:5000") - 1 }
};


static wa_err_t
fuzz_challenge(void *data, const unsigned char *c, size_t len,
    const char **detail)
{
    if (len > 0 && c[0] == 0xff) {
        *detail = "challenge refused";
        return WA_ERR_CHALLENGE_INVALID;
    }

    return WA_OK;
}


static void
fuzz_assertion(const unsigned char *token, size_t len, wa_pkey_t *key,
    int cross)
{
    wa_err_t         rc;
    const char      *detail;
    wa_policy_t      policy;
    wa_assertion_t   a;

    memset(&policy, 0, sizeof(policy));
    wa_sha256(policy.rp_id_hash, "example.org", 11);
    policy.origins = fuzz_origins;
    policy.norigins = 2;
    policy.allow_cross_origin = cross;
    policy.user_verification = cross ? WA_UV_REQUIRED : WA_UV_PREFERRED;
    policy.check_challenge = fuzz_challenge;

    detail = NULL;

    rc = wa_assertion_parse(&a, token, len, &detail);

    if (rc == WA_OK) {
        if (a.cred_id == NULL || strlen(a.cred_id) != a.cred_id_len) {
            abort();
        }

        detail = NULL;
        policy.rp_id_hash[0] ^= (unsigned char) cross;

        rc = wa_assertion_check(&a, &policy, &detail);

        if (rc == WA_OK && key != NULL) {
            detail = NULL;
            rc = wa_assertion_verify(&a, key, a.raw_id, a.raw_id_len,
                                     &detail);
        }

        (void) wa_sign_count_check(0, a.sign_count, &detail);
    }

    if (rc != WA_OK && detail == NULL) {
        /* every error path must say why */
        abort();
    }

    wa_assertion_free(&a);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    size_t               jlen, tlen;
    wa_err_t             rc;
    wa_pkey_t           *key;
    const char          *detail;
    unsigned char       *tok;
    const unsigned char *nul;

    nul = memchr(data, 0, size);
    jlen = (nul != NULL) ? (size_t) (nul - data) : size;

    key = NULL;

    if (nul != NULL) {
        detail = NULL;
        rc = wa_pkey_from_cose(&key, nul + 1, size - jlen - 1, &detail);

        if ((rc != WA_OK && detail == NULL)
            || (rc == WA_OK) != (key != NULL))
        {
            abort();
        }
    }

    tok = malloc(wa_b64url_encoded_len(jlen) + 1);
    if (tok == NULL) {
        return 0;
    }

    tlen = wa_b64url_encode(tok, data, jlen);

    fuzz_assertion(tok, tlen, key, jlen & 1);
    fuzz_assertion(data, jlen, key, 0);

    free(tok);
    wa_pkey_free(key);

    return 0;
}
