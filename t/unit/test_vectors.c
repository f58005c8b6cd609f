
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Runs every recorded authentication vector of a directory (see its
 * README.md) through the core and compares the outcome with "expected".
 * usage: test_vectors DIR
 */


#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <jansson.h>

#include "wa_core.h"
#include "unit.h"


#define VECTORS_MIN  12
#define ORIGINS_MAX  16


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
    int              i, n, count, accept;
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

    n = scandir(argv[1], &list, json_file, alphasort);
    if (n < 0) {
        perror(argv[1]);
        return 2;
    }

    count = 0;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", argv[1], list[i]->d_name);

        v = json_load_file(path, 0, &jerr);
        if (v == NULL) {
            UNIT_OK(0, "%s: %s", list[i]->d_name, jerr.text);
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

    wa_core_cleanup();

    return UNIT_DONE();
}
