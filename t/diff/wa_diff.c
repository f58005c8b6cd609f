
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The core's side of the differential tests (t/diff/run.py): one JSON
 * object a line on stdin, one a line on stdout, in the same order.  Byte
 * strings travel as lowercase hex.
 *
 * {"suite": "sigv4", "method", "target", "headers": [[name, value], ...],
 *  "body", "date", "token" (or ""), "region", "service", "access_key",
 *  "secret"}
 *     the request the module signs: the headers are those it signs, in
 *     the order of the request the proxy built; x-amz-date and, with a
 *     token, x-amz-security-token are appended, the body hashed with the
 *     streaming helpers, the target normalized, all as
 *     ngx_http_webauthn_aws_sign() does.
 *     -> {"canonical", "string_to_sign", "authorization"}
 *
 * {"suite": "assert", "token", "cose", "user_handle" (or null),
 *  "stored_count", "rp_id", "origins": [...], "allow_cross_origin",
 *  "uv": "required" | "preferred" | "discouraged", "challenge" (or null:
 *  no challenge check)}
 *     the module's steps in its order (ngx_http_webauthn_access.c):
 *     wa_assertion_parse(), wa_assertion_check(), wa_pkey_from_cose() of
 *     the stored key, wa_assertion_verify(), wa_sign_count_check()
 *     -> {"ok": true} or {"ok": false, "stage", "code", "detail"}
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wa_core.h"


#define WA_DIFF_LINE_MAX  (1024 * 1024)


static json_t *wa_diff_sigv4(json_t *in);
static json_t *wa_diff_assert(json_t *in);
static json_t *wa_diff_refuse(const char *stage, wa_err_t err,
    const char *detail);
static wa_err_t wa_diff_challenge(void *data, const unsigned char *c,
    size_t len, const char **detail);
static unsigned char *wa_diff_unhex(json_t *v, size_t *len);
static char *wa_diff_hex(const char *p, size_t n);
static const char *wa_diff_str(json_t *in, const char *name);


typedef struct {
    unsigned char  *data;
    size_t          len;
} wa_diff_bytes_t;


int
main(void)
{
    char          *line;
    json_t        *in, *out;
    const char    *suite;
    json_error_t   jerr;

    line = malloc(WA_DIFF_LINE_MAX);
    if (line == NULL) {
        return 2;
    }

    while (fgets(line, WA_DIFF_LINE_MAX, stdin) != NULL) {

        in = json_loads(line, 0, &jerr);
        if (in == NULL) {
            fprintf(stderr, "wa_diff: bad input line: %s\n", jerr.text);
            return 2;
        }

        suite = wa_diff_str(in, "suite");

        if (strcmp(suite, "sigv4") == 0) {
            out = wa_diff_sigv4(in);

        } else if (strcmp(suite, "assert") == 0) {
            out = wa_diff_assert(in);

        } else {
            fprintf(stderr, "wa_diff: unknown suite \"%s\"\n", suite);
            return 2;
        }

        if (out == NULL) {
            fprintf(stderr, "wa_diff: bad case: %s", line);
            return 2;
        }

        if (json_dumpf(out, stdout, JSON_COMPACT) != 0) {
            return 2;
        }

        fputc('\n', stdout);

        json_decref(out);
        json_decref(in);
    }

    fflush(stdout);
    free(line);
    wa_core_cleanup();

    return 0;
}


static json_t *
wa_diff_sigv4(json_t *in)
{
    char                *authz, *cr, *sts, *h1, *h2, *h3;
    size_t               i, n, len;
    json_t              *hs, *pair, *out;
    wa_err_t             err;
    const char          *detail, *date, *token, *region, *service, *akid;
    const char          *secret;
    unsigned char        key[WA_SHA256_LEN];
    wa_diff_bytes_t     *bytes;
    wa_sha256_ctx_t     *sha;
    wa_sigv4_header_t   *h;
    wa_sigv4_request_t   req;
    unsigned char       *method, *target, *body;
    size_t               method_len, target_len, body_len;
    char                 hash[WA_SIGV4_HEX_LEN];

    hs = json_object_get(in, "headers");
    n = json_array_size(hs);

    h = calloc(n + 2, sizeof(wa_sigv4_header_t));
    bytes = calloc(2 * n + 1, sizeof(wa_diff_bytes_t));

    method = wa_diff_unhex(json_object_get(in, "method"), &method_len);
    target = wa_diff_unhex(json_object_get(in, "target"), &target_len);
    body = wa_diff_unhex(json_object_get(in, "body"), &body_len);

    if (h == NULL || bytes == NULL || method == NULL || target == NULL
        || body == NULL)
    {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        pair = json_array_get(hs, i);

        bytes[2 * i].data = wa_diff_unhex(json_array_get(pair, 0),
                                          &bytes[2 * i].len);
        bytes[2 * i + 1].data = wa_diff_unhex(json_array_get(pair, 1),
                                              &bytes[2 * i + 1].len);

        if (bytes[2 * i].data == NULL || bytes[2 * i + 1].data == NULL) {
            return NULL;
        }

        h[i].name = (char *) bytes[2 * i].data;
        h[i].name_len = bytes[2 * i].len;
        h[i].value = (char *) bytes[2 * i + 1].data;
        h[i].value_len = bytes[2 * i + 1].len;
    }

    date = wa_diff_str(in, "date");
    token = wa_diff_str(in, "token");
    region = wa_diff_str(in, "region");
    service = wa_diff_str(in, "service");
    akid = wa_diff_str(in, "access_key");
    secret = wa_diff_str(in, "secret");

    if (strlen(date) != WA_SIGV4_DATE_LEN) {
        return NULL;
    }

    /* as ngx_http_webauthn_aws_sign(): the date, then the token */

    h[n].name = "x-amz-date";
    h[n].name_len = sizeof("x-amz-date") - 1;
    h[n].value = date;
    h[n].value_len = WA_SIGV4_DATE_LEN;
    len = n + 1;

    if (token[0] != '\0') {
        h[len].name = "x-amz-security-token";
        h[len].name_len = sizeof("x-amz-security-token") - 1;
        h[len].value = token;
        h[len].value_len = strlen(token);
        len++;
    }

    /* the body in two pieces, as a body in memory and one in a file */

    sha = wa_sha256_new();
    if (sha == NULL
        || wa_sha256_update(sha, body, body_len / 2) != 0
        || wa_sha256_update(sha, body + body_len / 2,
                            body_len - body_len / 2) != 0
        || wa_sha256_final_hex(sha, hash) != 0)
    {
        return NULL;
    }

    wa_sha256_free(sha);

    if (wa_sigv4_signing_key(key, secret, strlen(secret), date, region,
                             strlen(region), service, strlen(service))
        != 0)
    {
        return NULL;
    }

    memset(&req, 0, sizeof(wa_sigv4_request_t));

    req.method = (char *) method;
    req.method_len = method_len;
    req.target = (char *) target;
    req.target_len = target_len;
    req.headers = h;
    req.nheaders = len;
    req.payload_hash = hash;
    req.amz_date = date;
    req.region = region;
    req.region_len = strlen(region);
    req.service = service;
    req.service_len = strlen(service);
    req.normalize = 1;

    detail = NULL;

    err = wa_sigv4_sign(&req, key, akid, strlen(akid), &authz, &cr, &sts,
                        &detail);
    if (err != WA_OK) {
        fprintf(stderr, "wa_diff: wa_sigv4_sign(): %s\n", detail);
        return NULL;
    }

    /* the canonical request may hold any byte: hex, as the input */

    h1 = wa_diff_hex(cr, strlen(cr));
    h2 = wa_diff_hex(sts, strlen(sts));
    h3 = wa_diff_hex(authz, strlen(authz));

    out = json_pack("{s:s, s:s, s:s}", "canonical", h1, "string_to_sign", h2,
                    "authorization", h3);

    free(h1);
    free(h2);
    free(h3);
    wa_sigv4_free(authz);
    wa_sigv4_free(cr);
    wa_sigv4_free(sts);

    for (i = 0; i < 2 * n; i++) {
        free(bytes[i].data);
    }

    free(bytes);
    free(h);
    free(method);
    free(target);
    free(body);

    return out;
}


static json_t *
wa_diff_assert(json_t *in)
{
    size_t            i, n, token_len, cose_len, uh_len;
    json_t           *v, *out;
    wa_err_t          err;
    wa_pkey_t        *key;
    const char       *detail, *uv, *rp_id;
    wa_origin_t      *origins;
    wa_policy_t       policy;
    unsigned char    *token, *cose, *uh;
    wa_assertion_t    a;
    wa_diff_bytes_t   challenge;

    token = wa_diff_unhex(json_object_get(in, "token"), &token_len);
    cose = wa_diff_unhex(json_object_get(in, "cose"), &cose_len);

    v = json_object_get(in, "user_handle");
    uh = json_is_null(v) ? NULL : wa_diff_unhex(v, &uh_len);

    if (token == NULL || cose == NULL || (uh == NULL && !json_is_null(v))) {
        return NULL;
    }

    memset(&policy, 0, sizeof(wa_policy_t));

    rp_id = wa_diff_str(in, "rp_id");
    wa_sha256(policy.rp_id_hash, rp_id, strlen(rp_id));

    v = json_object_get(in, "origins");
    n = json_array_size(v);

    origins = calloc(n + 1, sizeof(wa_origin_t));
    if (origins == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        origins[i].data = json_string_value(json_array_get(v, i));
        origins[i].len = json_string_length(json_array_get(v, i));
    }

    policy.origins = origins;
    policy.norigins = n;
    policy.allow_cross_origin = json_is_true(json_object_get(in,
                                                 "allow_cross_origin"));

    uv = wa_diff_str(in, "uv");
    policy.user_verification = strcmp(uv, "required") == 0 ? WA_UV_REQUIRED
                               : strcmp(uv, "preferred") == 0
                               ? WA_UV_PREFERRED : WA_UV_DISCOURAGED;

    v = json_object_get(in, "challenge");
    challenge.data = NULL;
    challenge.len = 0;

    if (!json_is_null(v)) {
        challenge.data = wa_diff_unhex(v, &challenge.len);
        if (challenge.data == NULL) {
            return NULL;
        }
    }

    policy.check_challenge = wa_diff_challenge;
    policy.check_challenge_data = json_is_null(v) ? NULL : &challenge;

    key = NULL;
    detail = NULL;

    /* ngx_http_webauthn_access.c: parse, check, key, verify, commit */

    err = wa_assertion_parse(&a, token, token_len, &detail);
    if (err != WA_OK) {
        out = wa_diff_refuse("parse", err, detail);
        goto done;
    }

    err = wa_assertion_check(&a, &policy, &detail);
    if (err != WA_OK) {
        out = wa_diff_refuse("check", err, detail);
        goto done;
    }

    err = wa_pkey_from_cose(&key, cose, cose_len, &detail);
    if (err != WA_OK) {
        out = wa_diff_refuse("key", err, detail);
        goto done;
    }

    err = wa_assertion_verify(&a, key, uh, uh ? uh_len : 0, &detail);
    if (err != WA_OK) {
        out = wa_diff_refuse("verify", err, detail);
        goto done;
    }

    err = wa_sign_count_check((uint32_t) json_integer_value(
                                  json_object_get(in, "stored_count")),
                              a.sign_count, &detail);
    if (err != WA_OK) {
        out = wa_diff_refuse("count", err, detail);
        goto done;
    }

    out = json_pack("{s:b}", "ok", 1);

done:

    wa_pkey_free(key);
    wa_assertion_free(&a);
    free(origins);
    free(challenge.data);
    free(token);
    free(cose);
    free(uh);

    return out;
}


static json_t *
wa_diff_refuse(const char *stage, wa_err_t err, const char *detail)
{
    return json_pack("{s:b, s:s, s:s, s:s}", "ok", 0, "stage", stage,
                     "code", wa_err_code(err),
                     "detail", detail ? detail : "");
}


/* the policy's challenge check: an exact match, or none (data NULL) */

static wa_err_t
wa_diff_challenge(void *data, const unsigned char *c, size_t len,
    const char **detail)
{
    wa_diff_bytes_t  *want;

    want = data;

    if (want == NULL) {
        return WA_OK;
    }

    if (want->len != len || memcmp(want->data, c, len) != 0) {
        *detail = "challenge is not the one issued";
        return WA_ERR_CHALLENGE_INVALID;
    }

    return WA_OK;
}


static unsigned char *
wa_diff_unhex(json_t *v, size_t *len)
{
    size_t          i, n;
    unsigned int    byte;
    const char     *s;
    unsigned char  *p;

    s = json_string_value(v);
    if (s == NULL) {
        return NULL;
    }

    n = strlen(s);
    if (n % 2) {
        return NULL;
    }

    p = malloc(n / 2 + 1);
    if (p == NULL) {
        return NULL;
    }

    for (i = 0; i < n / 2; i++) {
        if (sscanf(s + 2 * i, "%2x", &byte) != 1) {
            free(p);
            return NULL;
        }

        p[i] = (unsigned char) byte;
    }

    *len = n / 2;

    return p;
}


static char *
wa_diff_hex(const char *p, size_t n)
{
    char  *out;

    out = malloc(2 * n + 1);
    if (out == NULL) {
        return NULL;
    }

    wa_hex(out, (const unsigned char *) p, n);
    out[2 * n] = '\0';

    return out;
}


static const char *
wa_diff_str(json_t *in, const char *name)
{
    const char  *s;

    s = json_string_value(json_object_get(in, name));

    return s ? s : "";
}
