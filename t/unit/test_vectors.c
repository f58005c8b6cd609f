
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Runs every recorded vector of a directory (see its README.md) through
 * the core and compares the outcome with "expected": authentication
 * vectors through the assertion check, registration vectors through the
 * registration ceremony with their trust_anchor_pem as the one anchor and
 * certificate times checked at their verification_time.  Where the
 * outcome depends on policy (the qualifiers of "expected"), both policies
 * are run, each with the exact code it must give.
 * usage: test_vectors DIR
 */


#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>

#include <jansson.h>

#include "wa_core.h"
#include "unit.h"


#define VECTORS_MIN        12
#define REG_VECTORS_MIN    41
#define ORIGINS_MAX        16


typedef struct {
    unsigned char  *data;
    size_t          len;
} expected_challenge_t;


static wa_err_t
check_challenge(void *data, const unsigned char *c, size_t len,
    const char **detail)
{
    expected_challenge_t  *e;

    e = data;

    if (len != e->len || memcmp(c, e->data, len) != 0) {
        *detail = "challenge differs from the recorded one";
        return WA_ERR_CHALLENGE_INVALID;
    }

    return WA_OK;
}


static int
decode(const char *s, unsigned char **out, size_t *len)
{
    size_t  n;

    n = strlen(s);
    *out = malloc(wa_b64url_decoded_max(n) + 1);

    if (*out == NULL || wa_b64url_decode(*out, len, (unsigned char *) s, n)
                        != 0)
    {
        free(*out);
        *out = NULL;
        return -1;
    }

    return 0;
}


static const char *
str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}


/* returns the outcome of the core: WA_OK or the first error */

static wa_err_t
run_vector(const char *name, json_t *v, const char **detail)
{
    char                  *json, *tok;
    size_t                 i, n, cose_len, norigins;
    json_t                *env, *o, *uv;
    wa_err_t               rc;
    wa_pkey_t             *key;
    const char            *s, *rp_id;
    wa_policy_t            policy;
    wa_origin_t            origins[ORIGINS_MAX];
    unsigned char         *cose;
    wa_assertion_t         a;
    expected_challenge_t   ec;

    memset(&a, 0, sizeof(a));
    memset(&policy, 0, sizeof(policy));
    key = NULL;
    cose = NULL;
    ec.data = NULL;

    rp_id = str(v, "rp_id");
    s = str(v, "credential_id");

    if (rp_id == NULL || s == NULL || str(v, "challenge") == NULL
        || str(v, "credential_public_key") == NULL
        || !json_is_object(json_object_get(v, "response"))
        || !json_is_integer(json_object_get(v, "stored_sign_count")))
    {
        *detail = "vector lacks a member";
        return WA_ERR_LAST;
    }

    /* the envelope, as a browser's PublicKeyCredential.toJSON() */

    env = json_pack("{s:s, s:s, s:s, s:O}", "id", s, "rawId", s,
                    "type", "public-key",
                    "response", json_object_get(v, "response"));
    json = json_dumps(env, JSON_COMPACT);
    json_decref(env);

    n = strlen(json);
    tok = malloc(wa_b64url_encoded_len(n) + 1);
    tok[wa_b64url_encode((unsigned char *) tok, (unsigned char *) json, n)]
        = '\0';
    free(json);

    rc = wa_assertion_parse(&a, (unsigned char *) tok, strlen(tok), detail);
    free(tok);

    if (rc != WA_OK) {
        goto done;
    }

    /* policy */

    wa_sha256(policy.rp_id_hash, rp_id, strlen(rp_id));

    o = json_object_get(v, "origin");
    norigins = 0;

    if (json_is_string(o)) {
        origins[0].data = json_string_value(o);
        origins[0].len = json_string_length(o);
        norigins = 1;

    } else if (json_is_array(o)) {
        for (i = 0; i < json_array_size(o) && i < ORIGINS_MAX; i++) {
            origins[i].data = json_string_value(json_array_get(o, i));
            origins[i].len = json_string_length(json_array_get(o, i));
            norigins++;
        }
    }

    policy.origins = origins;
    policy.norigins = norigins;

    uv = json_object_get(v, "user_verification");

    if (uv == NULL) {
        /* README: the library default; SimpleWebAuthn requires UV */
        policy.user_verification = (strncmp(name, "swa-", 4) == 0)
                                   ? WA_UV_REQUIRED : WA_UV_PREFERRED;

    } else {
        policy.user_verification =
            (strcmp(json_string_value(uv), "required") == 0)
            ? WA_UV_REQUIRED : WA_UV_PREFERRED;
    }

    if (decode(str(v, "challenge"), &ec.data, &ec.len) != 0) {
        *detail = "vector challenge is not base64url";
        rc = WA_ERR_LAST;
        goto done;
    }

    policy.check_challenge = check_challenge;
    policy.check_challenge_data = &ec;

    rc = wa_assertion_check(&a, &policy, detail);
    if (rc != WA_OK) {
        goto done;
    }

    /* another location of the same policy accepts it again */

    policy.check_challenge = NULL;

    rc = wa_assertion_recheck(&a, &policy, detail);
    if (rc != WA_OK) {
        goto done;
    }

    if (decode(str(v, "credential_public_key"), &cose, &cose_len) != 0) {
        *detail = "vector credential_public_key is not base64url";
        rc = WA_ERR_LAST;
        goto done;
    }

    rc = wa_pkey_from_cose(&key, cose, cose_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_assertion_verify(&a, key, NULL, 0, detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_sign_count_check(
             (uint32_t) json_integer_value(json_object_get(v,
                                                  "stored_sign_count")),
             a.sign_count, detail);

done:

    wa_pkey_free(key);
    wa_assertion_free(&a);
    free(cose);
    free(ec.data);

    return rc;
}


/* registration vectors */

#define REG_ANY       WA_ATTESTATION_ANY
#define REG_TRUSTED   WA_ATTESTATION_TRUSTED
#define REG_NONE      WA_ATTESTATION_NONE
#define REG_DEFAULT   -1            /* trusted with an anchor, else any */

typedef struct {
    const char  *file;
    const char  *what;              /* the policy, in words */
    int          attestation;       /* REG_* */
    int          allow_sha1;        /* 2: SHA-1 credential keys too */
    int          safetynet_cts;
    int          live_clock;        /* now instead of verification_time */
    int          no_anchor;         /* trusted, without the vector's anchor */
    wa_err_t     expected;
    const char  *at;                /* a clock for a vector without
                                       verification_time, or NULL */
} reg_case_t;


/*
 * Every vector runs in the default policy, the gateway's (trusted when the
 * vector has an anchor, else any; SHA-1 attestation signatures taken,
 * SHA-1 credential keys not; SafetyNet CTS required) and must then
 * give "expected" ("accept": WA_OK, "reject": the code listed here).  The
 * extra rows run the other policy of a qualified vector.
 */

static const reg_case_t  reg_cases[] = {
    { "py-fido-u2f-tokenbinding-not-supported.json", "default",
      REG_DEFAULT, 1, 1, 0, 0, WA_ERR_CLIENT_DATA_INVALID, NULL },
    { "py-packed-x5c-yubikey-wrong-root.json", "default",
      REG_DEFAULT, 1, 1, 0, 0, WA_ERR_ATTESTATION_UNTRUSTED, NULL },
    { "py-packed-x5c-yubikey-wrong-root.json", "any (no chain required)",
      REG_ANY, 1, 1, 0, 0, WA_OK, NULL },
    { "swa-android-safetynet-cts-fail.json", "default (CTS required)",
      REG_DEFAULT, 1, 1, 0, 0, WA_ERR_ATTESTATION_INVALID, NULL },
    { "swa-android-safetynet-cts-fail.json", "CTS not required",
      REG_DEFAULT, 1, 0, 0, 0, WA_OK, NULL },
    { "py-android-safetynet-2021.json", "a live clock",
      REG_DEFAULT, 1, 1, 1, 0, WA_ERR_ATTESTATION_INVALID, NULL },
    { "wrs-apple-touchid-anonymous.json", "a live clock",
      REG_DEFAULT, 1, 1, 1, 0, WA_ERR_ATTESTATION_UNTRUSTED, NULL },
    { "wrs-apple-touchid-nonce-mismatch.json", "default",
      REG_DEFAULT, 1, 1, 0, 0, WA_ERR_ATTESTATION_INVALID, NULL },
    { "wrs-none-eddsa-solokey-invalid-cose.json", "default",
      REG_DEFAULT, 1, 1, 0, 0, WA_ERR_ATTESTATION_MALFORMED, NULL },
    /*
     * its notes: the COSE key "uses text strings ... which a strict COSE
     * parser rejects first"; so it is here: the key's map declares three
     * pairs and holds four (x as an array of integers), so the
     * authenticator data has bytes after it
     */
    { "wrs-packed-eddsa-solokey-bad-attsig.json", "default",
      REG_DEFAULT, 1, 1, 0, 0, WA_ERR_ATTESTATION_MALFORMED, NULL },
    /*
     * SHA-1 attestation signatures (Windows Hello TPMs) are taken by
     * default, as py_webauthn and SimpleWebAuthn do; webauthn-rs refuses
     * them.  No verification_time: its chain was valid from 2020-08-11 to
     * 2025-03-21 (derived.attestation_chain_validity)
     */
    { "wrs-tpm-rs1-windows-hello-insecure.json",
      "default (SHA-1 attestation taken)",
      REG_DEFAULT, 1, 1, 0, 0, WA_OK, "2021-01-01T00:00:00Z" },
    { "wrs-tpm-rs1-windows-hello-insecure.json", "no SHA-1 (webauthn-rs)",
      REG_DEFAULT, 0, 1, 0, 0, WA_ERR_ALGORITHM_UNSUPPORTED,
      "2021-01-01T00:00:00Z" },
    /*
     * no verification_time either: its chain was valid from 2021-04-01
     * to 2025-05-22; with a live clock it has expired
     */
    { "py-tpm-rs256-surface-pro-4.json", "default (in the chain's time)",
      REG_DEFAULT, 1, 1, 0, 0, WA_OK, "2022-01-01T00:00:00Z" },
    { "py-tpm-rs256-surface-pro-4.json", "a live clock",
      REG_DEFAULT, 1, 1, 1, 0, WA_ERR_ATTESTATION_UNTRUSTED, NULL },
    /* an RS1 credential key: never offered by default */
    { "swa-tpm-rs1-sha1-fido-conformance.json",
      "default (no SHA-1 credential key)",
      REG_DEFAULT, 1, 1, 0, 0, WA_ERR_ALGORITHM_UNSUPPORTED, NULL },
    { "swa-tpm-rs1-sha1-fido-conformance.json",
      "SHA-1 keys allowed (SimpleWebAuthn)",
      REG_DEFAULT, 2, 1, 0, 0, WA_OK, NULL }
};

#define REG_NCASES  (sizeof(reg_cases) / sizeof(reg_cases[0]))


/* every algorithm the core verifies, and RS1 where SHA-1 is allowed */

static const int  reg_algs[] = {
    WA_COSE_ALG_ES256, WA_COSE_ALG_EDDSA, WA_COSE_ALG_ESP256,
    WA_COSE_ALG_ED25519, WA_COSE_ALG_ES384, WA_COSE_ALG_ES512,
    WA_COSE_ALG_PS256, WA_COSE_ALG_ED448, WA_COSE_ALG_RS256,
    WA_COSE_ALG_RS1
};


/* "2021-09-03T21:08:00Z" or with fractional seconds, UTC */

static int64_t
iso_time(const char *s)
{
    int       y, mo, d, h, mi, sec;
    int64_t   era, yoe, doy, days;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec)
        != 6)
    {
        return -1;
    }

    /* days from the civil date, H. Hinnant's "chrono-compatible" one */

    y -= mo <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;

    return days * 86400 + h * 3600 + mi * 60 + sec;
}


static wa_err_t
run_registration(const char *name, json_t *v, const reg_case_t *c,
    const char **detail)
{
    char                  *json;
    size_t                 i, norigins;
    json_t                *env, *o, *uv;
    wa_err_t               rc;
    const char            *rp_id, *pem, *t, *notes;
    wa_trust_t            *trust;
    wa_origin_t            origins[ORIGINS_MAX];
    wa_reg_policy_t        policy;
    wa_registration_t      reg;
    expected_challenge_t   ec;

    memset(&policy, 0, sizeof(policy));
    memset(&reg, 0, sizeof(reg));
    ec.data = NULL;
    trust = NULL;

    rp_id = str(v, "rp_id");
    pem = str(v, "trust_anchor_pem");

    if (rp_id == NULL || str(v, "challenge") == NULL
        || !json_is_object(json_object_get(v, "response")))
    {
        *detail = "vector lacks a member";
        return WA_ERR_LAST;
    }

    /*
     * the envelope, as a browser's PublicKeyCredential.toJSON(): the id
     * is the one in the authenticator data, which the check compares
     */

    env = json_pack("{s:s, s:s, s:s, s:O}", "id", str(v, "credential_id"),
                    "rawId", str(v, "credential_id"), "type", "public-key",
                    "response", json_object_get(v, "response"));
    if (env == NULL) {
        *detail = "vector has no credential_id";
        return WA_ERR_LAST;
    }

    json = json_dumps(env, JSON_COMPACT);
    json_decref(env);

    rc = wa_registration_parse(&reg, (unsigned char *) json, strlen(json),
                               detail);
    free(json);

    if (rc != WA_OK) {
        goto done;
    }

    /* policy */

    wa_sha256(policy.base.rp_id_hash, rp_id, strlen(rp_id));

    o = json_object_get(v, "origin");
    norigins = 0;

    if (json_is_string(o)) {
        origins[0].data = json_string_value(o);
        origins[0].len = json_string_length(o);
        norigins = 1;

    } else if (json_is_array(o)) {
        for (i = 0; i < json_array_size(o) && i < ORIGINS_MAX; i++) {
            origins[i].data = json_string_value(json_array_get(o, i));
            origins[i].len = json_string_length(json_array_get(o, i));
            norigins++;
        }
    }

    /*
     * the W3C topOrigin vector is a cross-origin registration: its notes
     * name the top origin the relying party must allow
     */

    notes = str(v, "notes");
    t = (notes != NULL) ? strstr(notes, "topOrigin=") : NULL;

    if (t != NULL && norigins < ORIGINS_MAX) {
        t += sizeof("topOrigin=") - 1;
        origins[norigins].data = t;
        origins[norigins].len = strcspn(t, " ;,");
        norigins++;
        policy.base.allow_cross_origin = 1;
    }

    policy.base.origins = origins;
    policy.base.norigins = norigins;

    uv = json_object_get(v, "user_verification");
    notes = str(v, "notes");

    if (uv == NULL) {
        /* SimpleWebAuthn's default, unless the test turned it off */
        policy.base.user_verification =
            (strncmp(name, "swa-", 4) == 0
             && (notes == NULL
                 || strstr(notes, "requireUserVerification=false") == NULL))
            ? WA_UV_REQUIRED : WA_UV_PREFERRED;

    } else {
        policy.base.user_verification =
            (strcmp(json_string_value(uv), "required") == 0)
            ? WA_UV_REQUIRED : WA_UV_PREFERRED;
    }

    if (decode(str(v, "challenge"), &ec.data, &ec.len) != 0) {
        *detail = "vector challenge is not base64url";
        rc = WA_ERR_LAST;
        goto done;
    }

    policy.base.check_challenge = check_challenge;
    policy.base.check_challenge_data = &ec;

    policy.algs = reg_algs;
    policy.nalgs = sizeof(reg_algs) / sizeof(reg_algs[0]);
    policy.allow_sha1 = c->allow_sha1 != 0;
    policy.allow_sha1_keys = c->allow_sha1 == 2;
    policy.safetynet_cts = c->safetynet_cts;

    t = (c->at != NULL) ? c->at : str(v, "verification_time");
    policy.now_s = (t != NULL && !c->live_clock) ? iso_time(t)
                                                  : (int64_t) time(NULL);

    policy.attestation = c->attestation;

    if (policy.attestation == REG_DEFAULT) {
        policy.attestation = (pem != NULL) ? REG_TRUSTED : REG_ANY;
    }

    if (policy.attestation == REG_TRUSTED) {
        trust = wa_trust_new();

        if (!c->no_anchor) {
            rc = wa_trust_add_pem(trust, (const unsigned char *) pem,
                                  strlen(pem), detail);
            if (rc != WA_OK) {
                rc = WA_ERR_LAST;
                goto done;
            }
        }

        policy.trust = trust;
    }

    rc = wa_registration_check(&reg, &policy, detail);

    if (rc == WA_OK
        && (reg.public_key == NULL || reg.fmt == NULL
            || strcmp(reg.fmt, str(v, "format")) != 0
            || (policy.attestation == REG_TRUSTED && !reg.trusted)))
    {
        *detail = "accepted, but the result is incomplete";
        rc = WA_ERR_LAST;
    }

done:

    wa_registration_free(&reg);
    wa_trust_free(trust);
    free(ec.data);

    return rc;
}


static void
registration_vector(const char *name, json_t *v)
{
    int                 found_default;
    size_t              i;
    wa_err_t            rc, want;
    const char         *expected, *detail;
    reg_case_t          dflt;
    const reg_case_t   *c;

    expected = str(v, "expected");
    if (expected == NULL) {
        expected = "(none)";
    }

    found_default = 0;

    for (i = 0; i < REG_NCASES; i++) {
        c = &reg_cases[i];

        if (strcmp(c->file, name) != 0) {
            continue;
        }

        if (strcmp(c->what, "default") == 0
            || strncmp(c->what, "default ", 8) == 0)
        {
            found_default = 1;
        }

        detail = "";
        rc = run_registration(name, v, c, &detail);

        UNIT_OK(rc == c->expected, "%s, %s: %s (%s), expected %s (%s)",
                name, c->what,
                rc == WA_ERR_LAST ? "a bad vector" : wa_err_code(rc), detail,
                wa_err_code(c->expected), expected);
    }

    memset(&dflt, 0, sizeof(dflt));
    dflt.file = name;
    dflt.what = "default";
    dflt.attestation = REG_DEFAULT;
    dflt.allow_sha1 = 1;
    dflt.safetynet_cts = 1;

    if (!found_default) {
        /* an unlisted vector: "accept" in the default policy */

        want = WA_OK;
        detail = "";
        rc = run_registration(name, v, &dflt, &detail);

        UNIT_OK(rc == want && strncmp(expected, "accept", 6) == 0,
                "%s, default: %s (%s), expected %s", name,
                rc == WA_ERR_LAST ? "a bad vector" : wa_err_code(rc), detail,
                expected);

        if (rc != WA_OK) {
            return;
        }
    }

    /* an accepted statement is verified, not assessed, under "none" */

    dflt.what = "none";
    dflt.attestation = REG_NONE;
    dflt.allow_sha1 = 2;
    dflt.safetynet_cts = 0;

    if (strncmp(expected, "accept", 6) == 0) {
        detail = "";
        rc = run_registration(name, v, &dflt, &detail);

        UNIT_OK(rc == WA_OK, "%s, none, SHA-1 allowed, no CTS: %s (%s)",
                name, rc == WA_ERR_LAST ? "a bad vector" : wa_err_code(rc),
                detail);
    }

    /* and trusted without its anchor, it is not */

    if (str(v, "trust_anchor_pem") != NULL
        && strncmp(expected, "accept", 6) == 0)
    {
        dflt.what = "trusted without the anchor";
        dflt.attestation = REG_TRUSTED;
        dflt.no_anchor = 1;
        detail = "";
        rc = run_registration(name, v, &dflt, &detail);

        UNIT_OK(rc == WA_ERR_ATTESTATION_UNTRUSTED,
                "%s, trusted without its anchor, SHA-1 allowed, no CTS: "
                "%s (%s)", name,
                rc == WA_ERR_LAST ? "a bad vector" : wa_err_code(rc), detail);
    }
}


static int
json_file(const struct dirent *d)
{
    size_t  n;

    n = strlen(d->d_name);

    return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}


int
main(int argc, char **argv)
{
    int              i, n, count, reg_count, accept;
    char             path[4096];
    json_t          *v;
    wa_err_t         rc;
    const char      *expected, *detail;
    json_error_t     jerr;
    struct dirent  **list;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }

    /* jansson's memory functions as in nginx: assertions parsed in arenas */

    wa_json_memory_init();

    n = scandir(argv[1], &list, json_file, alphasort);
    if (n < 0) {
        perror(argv[1]);
        return 2;
    }

    count = 0;
    reg_count = 0;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", argv[1], list[i]->d_name);

        v = json_load_file(path, 0, &jerr);
        if (v == NULL) {
            UNIT_OK(0, "%s: %s", list[i]->d_name, jerr.text);
            free(list[i]);
            continue;
        }

        if (str(v, "ceremony") != NULL
            && strcmp(str(v, "ceremony"), "registration") == 0)
        {
            reg_count++;
            registration_vector(list[i]->d_name, v);
            json_decref(v);
            free(list[i]);
            continue;
        }

        if (str(v, "ceremony") == NULL
            || strcmp(str(v, "ceremony"), "authentication") != 0)
        {
            json_decref(v);
            free(list[i]);
            continue;
        }

        count++;

        expected = str(v, "expected");
        if (expected == NULL) {
            expected = "(none)";
        }

        accept = (strcmp(expected, "accept") == 0);

        detail = "";
        rc = run_vector(list[i]->d_name, v, &detail);

        if (rc == WA_OK) {
            UNIT_OK(accept, "%s: accepted, expected %s", list[i]->d_name,
                    expected);

        } else {
            UNIT_OK(!accept && rc != WA_ERR_LAST
                    && strncmp(expected, "reject", 6) == 0,
                    "%s: rejected with %s (%s), expected %s",
                    list[i]->d_name,
                    rc == WA_ERR_LAST ? "a bad vector" : wa_err_code(rc),
                    detail, expected);
        }

        json_decref(v);
        free(list[i]);
    }

    free(list);

    UNIT_OK(count >= VECTORS_MIN, "%d authentication vectors found, "
            "%d at least", count, VECTORS_MIN);
    UNIT_OK(reg_count >= REG_VECTORS_MIN, "%d registration vectors found, "
            "%d at least", reg_count, REG_VECTORS_MIN);

    wa_core_cleanup();

    return UNIT_DONE();
}
