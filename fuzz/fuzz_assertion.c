
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of the verification core.  The input is
 *     envelope JSON [ 0x00 COSE_Key ]
 * The JSON is fed base64url-encoded to wa_assertion_parse() (and the raw
 * bytes as a token too), then wa_assertion_check(), wa_assertion_recheck()
 * and, with the key built by wa_pkey_from_cose() from the part after the
 * first NUL, wa_assertion_verify().  The whole input also goes to
 * wa_challenge_check() and to the record field rules, whose answers are
 * checked against their definitions.
 */


#include <stdlib.h>
#include <string.h>

#include "wa_core.h"


static wa_err_t fuzz_challenge(void *data, const unsigned char *c,
    size_t len, const char **detail);
static void fuzz_assertion(const unsigned char *token, size_t len,
    wa_pkey_t *key, int cross);
static void fuzz_sealed(const unsigned char *data, size_t size);
static void fuzz_record(const unsigned char *data, size_t size);
static int fuzz_utf8_text(const unsigned char *s, size_t len);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const unsigned char  fuzz_key[32] = "fuzz key of thirty-two bytes...";


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

        if (rc == WA_OK) {
            /* the same policy passes again; another may not */

            if (a.origin == NULL
                || wa_assertion_recheck(&a, &policy, &detail) != WA_OK)
            {
                abort();
            }

            policy.allow_cross_origin = !cross;
            policy.user_verification = WA_UV_REQUIRED;
            detail = NULL;

            if (wa_assertion_recheck(&a, &policy, &detail) != WA_OK
                && detail == NULL)
            {
                abort();
            }
        }

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

    /* jansson's memory functions as in nginx: the parses in an arena */

    wa_json_memory_init();

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
    fuzz_sealed(data, size);
    fuzz_record(data, size);

    free(tok);
    wa_pkey_free(key);

    return 0;
}


/* no input mints a challenge; a minted one passes exactly in its time */

static void
fuzz_sealed(const unsigned char *data, size_t size)
{
    size_t               i;
    uint64_t             now, ttl, age, t;
    wa_err_t             rc;
    const char          *detail;
    unsigned char        c[WA_CHALLENGE_LEN];
    wa_challenge_info_t  info;

    detail = NULL;
    rc = wa_challenge_check(data, size, fuzz_key, sizeof(fuzz_key),
                            "example.org", 11, 0, UINT64_MAX, &info,
                            &detail);

    if (rc != WA_ERR_CHALLENGE_INVALID || detail == NULL) {
        abort();
    }

    if (size < 24) {
        return;
    }

    now = 0;
    ttl = 0;
    age = 0;

    for (i = 0; i < 8; i++) {
        now = now << 8 | data[i];
        ttl = ttl << 8 | data[8 + i];
        age = age << 8 | data[16 + i];
    }

    if (wa_challenge_issue(c, fuzz_key, sizeof(fuzz_key), "example.org",
                           11, now, ttl) != 0)
    {
        abort();
    }

    t = now + (age >> 1);
    if (t < now) {
        t = UINT64_MAX;
    }

    detail = NULL;
    rc = wa_challenge_check(c, sizeof(c), fuzz_key, sizeof(fuzz_key),
                            "example.org", 11, t, age, &info, &detail);

    if (rc == WA_OK) {
        if (info.issued_ms != now || t >= info.expires_ms
            || info.nonce != c + 17)
        {
            abort();
        }

    } else if (rc != WA_ERR_CHALLENGE_INVALID || detail == NULL) {
        abort();
    }
}


/*
 * valid UTF-8 (RFC 3629: shortest form, no surrogates, at most
 * U+10FFFF) without C0, DEL or C1 controls, decoded code point by code
 * point: the user name rule of wa_core.h
 */

static int
fuzz_utf8_text(const unsigned char *s, size_t len)
{
    size_t    i, k, n;
    uint32_t  cp, min;

    for (i = 0; i < len; i += n) {
        if (s[i] < 0x80) {
            n = 1;
            cp = s[i];
            min = 0;

        } else if ((s[i] & 0xe0) == 0xc0) {
            n = 2;
            cp = s[i] & 0x1f;
            min = 0x80;

        } else if ((s[i] & 0xf0) == 0xe0) {
            n = 3;
            cp = s[i] & 0x0f;
            min = 0x800;

        } else if ((s[i] & 0xf8) == 0xf0) {
            n = 4;
            cp = s[i] & 0x07;
            min = 0x10000;

        } else {
            return 0;
        }

        if (len - i < n) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            cp = cp << 6 | (s[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)
            || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
        {
            return 0;
        }
    }

    return 1;
}


/* the record rules against their definitions in wa_core.h */

static void
fuzz_record(const unsigned char *data, size_t size)
{
    int       ok, want;
    size_t    i, start, n;
    uint32_t  count;
    uint64_t  v;

    want = (size <= WA_USER_NAME_MAX) && fuzz_utf8_text(data, size);

    if (wa_record_user_name_ok(data, size) != want) {
        abort();
    }

    ok = wa_record_roles_ok(data, size);

    if (ok && size > 0) {
        n = 0;
        start = 0;

        for (i = 0; i <= size; i++) {
            if (i == size || data[i] == ' ') {
                if (i == start || i - start > WA_ROLE_MAX) {
                    abort();
                }

                n++;
                start = i + 1;

            } else if (strchr("abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-",
                              data[i]) == NULL || data[i] == '\0')
            {
                abort();
            }
        }

        if (n > WA_ROLES_NMAX) {
            abort();
        }
    }

    if (wa_record_sign_count(data, size, &count) == 0) {
        if (size == 0 || size > WA_SIGN_COUNT_DIGITS_MAX) {
            abort();
        }

        v = 0;

        for (i = 0; i < size; i++) {
            if (data[i] < '0' || data[i] > '9') {
                abort();
            }

            v = v * 10 + (data[i] - '0');
        }

        if (v != count) {
            abort();
        }
    }

    want = !(size == 0 || (size == 1 && data[0] == '0'));

    if (wa_record_revoked(data, size) != want) {
        abort();
    }
}
