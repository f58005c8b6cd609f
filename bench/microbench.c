/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Where the module's per-request CPU goes, measured on the verification
 * core (src/core/wa_*.c) alone, one core, no nginx, no Redis: the cost of each
 * step the access handler takes for one assertion, next to a bare
 * EVP_DigestVerify with a key built once (the "openssl speed" case).
 *
 * usage: microbench COSE_KEY_B64URL TOKEN_FILE RP_ID ORIGIN [SECONDS]
 *   TOKEN_FILE: a pool file of bench/genpool.py ("WebAuthn <token>" lines;
 *   the first line's credential is COSE_KEY_B64URL)
 *
 * Built and run by bench/run.sh (BENCH_MICRO=0 skips it).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

/* wa_pkey_evp(), the key's EVP_PKEY, to time the bare verify below */
#include <wa_internal.h>


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static wa_err_t
accept_any(void *data, const unsigned char *c, size_t len,
    const char **detail)
{
    return WA_OK;
}


static void
report(const char *what, double t, long n)
{
    printf("%-58s %9.2f us %10.0f /s\n", what, t / n * 1e6, n / t);
}


/*
 * parse, check and verify one assertion for secs seconds, building the key
 * from its COSE bytes on every pass when key is NULL; 0, or 1 on a failure
 */

static int
core_pass(const char *token, size_t tlen, const wa_policy_t *policy,
    const unsigned char *cose, size_t cose_len, wa_pkey_t *key, double secs)
{
    long             n;
    double           t, t0;
    wa_err_t         err;
    wa_pkey_t       *k;
    const char      *detail;
    wa_assertion_t   b;

    for (n = 0, t0 = now(); (t = now() - t0) < secs; n++) {
        memset(&b, 0, sizeof(b));
        err = wa_assertion_parse(&b, (const unsigned char *) token, tlen,
                                 &detail);
        if (err == WA_OK) {
            err = wa_assertion_check(&b, policy, &detail);
        }
        if (err == WA_OK) {
            k = key;
            if (k == NULL) {
                err = wa_pkey_from_cose(&k, cose, cose_len, &detail);
            }
            if (err == WA_OK) {
                err = wa_assertion_verify(&b, k, NULL, 0, &detail);
                if (key == NULL) {
                    wa_pkey_free(k);
                }
            }
        }
        wa_assertion_free(&b);
        if (err != WA_OK) {
            return 1;
        }
    }

    report(key ? "all of the core per request, key cached (1 + 3)"
               : "all of the core per request, key built (1 + 4)", t, n);

    return 0;
}


int
main(int argc, char **argv)
{
    long             n, i;
    FILE            *f;
    char            *line, *token;
    double           secs, t0, t;
    size_t           cose_len, tlen, cap;
    wa_err_t         err;
    wa_pkey_t       *key, *k;
    wa_policy_t      policy;
    wa_origin_t      origin;
    const char      *detail;
    unsigned char   *cose;
    unsigned char    dgst[WA_SHA256_LEN];
    wa_assertion_t   a;
    EVP_MD_CTX      *mctx;
    EVP_PKEY_CTX    *pctx;

    if (argc < 5) {
        fprintf(stderr, "usage: microbench COSE_B64URL TOKEN_FILE RP_ID "
                        "ORIGIN [SECONDS]\n");
        return 2;
    }

    secs = argc > 5 ? atof(argv[5]) : 1.0;

    cose = malloc(wa_b64url_decoded_max(strlen(argv[1])));
    if (cose == NULL
        || wa_b64url_decode(cose, &cose_len, (unsigned char *) argv[1],
                            strlen(argv[1])) != 0)
    {
        fprintf(stderr, "bad COSE key\n");
        return 1;
    }

    f = fopen(argv[2], "r");
    line = NULL;
    cap = 0;
    if (f == NULL || getline(&line, &cap, f) <= 0) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 1;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    token = strchr(line, ' ');
    token = token ? token + 1 : line;
    tlen = strlen(token);

    memset(&policy, 0, sizeof(policy));
    wa_sha256(policy.rp_id_hash, argv[3], strlen(argv[3]));
    origin.data = argv[4];
    origin.len = strlen(argv[4]);
    policy.origins = &origin;
    policy.norigins = 1;
    policy.user_verification = WA_UV_PREFERRED;
    policy.check_challenge = accept_any;

    memset(&a, 0, sizeof(a));
    if (wa_assertion_parse(&a, (unsigned char *) token, tlen, &detail) != WA_OK
        || wa_assertion_check(&a, &policy, &detail) != WA_OK
        || wa_pkey_from_cose(&key, cose, cose_len, &detail) != WA_OK
        || wa_assertion_verify(&a, key, NULL, 0, &detail) != WA_OK)
    {
        fprintf(stderr, "the first assertion does not verify: %s\n", detail);
        return 1;
    }

    printf("one core, %.1f s per line; the module's steps for one "
           "assertion (alg %d):\n", secs, wa_pkey_alg(key));

    /* 1. the envelope: base64url, JSON, clientDataJSON, authData, hash */

    for (n = 0, t0 = now(); (t = now() - t0) < secs; n++) {
        wa_assertion_t  b;

        memset(&b, 0, sizeof(b));
        err = wa_assertion_parse(&b, (unsigned char *) token, tlen, &detail);
        if (err == WA_OK) {
            err = wa_assertion_check(&b, &policy, &detail);
        }
        wa_assertion_free(&b);
        if (err != WA_OK) {
            return 1;
        }
    }
    report("wa_assertion_parse + wa_assertion_check", t, n);

    /* 2. the key from its COSE bytes (what the shm cache holds) */

    for (n = 0, t0 = now(); (t = now() - t0) < secs; n++) {
        if (wa_pkey_from_cose(&k, cose, cose_len, &detail) != WA_OK) {
            return 1;
        }
        wa_pkey_free(k);
    }
    report("wa_pkey_from_cose (EVP_PKEY from COSE, checked)", t, n);

    /* 3. the signature, key already built */

    for (n = 0, t0 = now(); (t = now() - t0) < secs; n++) {
        if (wa_pkey_verify(key, a.auth_data, a.auth_data_len, a.cdata_hash,
                           a.signature, a.signature_len, &detail) != WA_OK)
        {
            return 1;
        }
    }
    report("wa_pkey_verify, key built once (it keeps its context)", t, n);

    /* 4. both, as the access handler does them per request */

    for (n = 0, t0 = now(); (t = now() - t0) < secs; n++) {
        if (wa_pkey_from_cose(&k, cose, cose_len, &detail) != WA_OK
            || wa_assertion_verify(&a, k, NULL, 0, &detail) != WA_OK)
        {
            return 1;
        }
        wa_pkey_free(k);
    }
    report("wa_pkey_from_cose + wa_assertion_verify + free", t, n);

    /* 5. the bare verify: one EVP_PKEY_CTX, a digest, like openssl speed */

    if (wa_pkey_alg(key) != WA_COSE_ALG_EDDSA) {
        mctx = EVP_MD_CTX_new();
        EVP_DigestInit_ex(mctx, EVP_sha256(), NULL);
        EVP_DigestUpdate(mctx, a.auth_data, a.auth_data_len);
        EVP_DigestUpdate(mctx, a.cdata_hash, WA_SHA256_LEN);
        EVP_DigestFinal_ex(mctx, dgst, NULL);
        EVP_MD_CTX_free(mctx);

        pctx = EVP_PKEY_CTX_new(wa_pkey_evp(key), NULL);
        if (pctx == NULL || EVP_PKEY_verify_init(pctx) != 1
            || EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) != 1)
        {
            return 1;
        }
        for (n = 0, t0 = now(); (t = now() - t0) < secs; n++) {
            if (EVP_PKEY_verify(pctx, a.signature, a.signature_len, dgst,
                                sizeof(dgst)) != 1)
            {
                return 1;
            }
        }
        report("EVP_PKEY_verify, context and digest made once", t, n);
        EVP_PKEY_CTX_free(pctx);
    }

    /* 6. the whole core path; 7. the same with the key already built (a
     * per-worker key cache) */

    if (core_pass(token, tlen, &policy, cose, cose_len, NULL, secs) != 0
        || core_pass(token, tlen, &policy, cose, cose_len, key, secs) != 0)
    {
        return 1;
    }

    (void) i;
    wa_pkey_free(key);
    wa_assertion_free(&a);
    free(cose);
    free(line);

    return 0;
}
