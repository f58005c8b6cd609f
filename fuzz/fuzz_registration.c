
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of the registration ceremony (wa_registration.c and
 * every attestation statement format).  The input is either
 *     the JSON of PublicKeyCredential.toJSON() for a new credential
 * or
 *     0x00 rpIdHash (32 bytes) attestation object
 * which is put, base64url-encoded, into an envelope with a fixed
 * clientDataJSON and checked against that rpIdHash, so the CBOR, the
 * authenticator data and the formats are reached without the fuzzer
 * having to find valid JSON or a hash first.  Each runs
 * under the three attestation policies; trusted with an empty set of
 * anchors (no chain can pass: the check must say so, not crash).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_core.h"


static wa_err_t fuzz_challenge(void *data, const unsigned char *c,
    size_t len, const char **detail);
static void fuzz_ceremony(const unsigned char *json, size_t len,
    const unsigned char *rp_id_hash);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const wa_origin_t  fuzz_origins[] = {
    { "http://localhost", sizeof("http://localhost") - 1 },
    { "https://example.org", sizeof("https://example.org") - 1 }
};

static const int  fuzz_algs[] = {
    WA_COSE_ALG_ES256, WA_COSE_ALG_EDDSA, WA_COSE_ALG_ES384,
    WA_COSE_ALG_ES512, WA_COSE_ALG_PS256, WA_COSE_ALG_RS256,
    WA_COSE_ALG_ED448, WA_COSE_ALG_RS1
};

/* {"type":"webauthn.create","challenge":"AAAA","origin":"http://localhost"} */
static const char  fuzz_client_data[] =
    "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiQUFBQSIsIm9yaWdpbiI6"
    "Imh0dHA6Ly9sb2NhbGhvc3QifQ";

static wa_trust_t  *fuzz_trust;


static wa_err_t
fuzz_challenge(void *data, const unsigned char *c, size_t len,
    const char **detail)
{
    /* every challenge passes: what follows it is what is fuzzed */
    return WA_OK;
}


static void
fuzz_ceremony(const unsigned char *json, size_t len,
    const unsigned char *rp_id_hash)
{
    int                 i;
    const char         *detail;
    wa_reg_policy_t     policy;
    wa_registration_t   reg;

    if (wa_registration_parse(&reg, json, len, &detail) != WA_OK) {
        wa_registration_free(&reg);
        return;
    }

    for (i = WA_ATTESTATION_NONE; i <= WA_ATTESTATION_TRUSTED; i++) {
        memset(&policy, 0, sizeof(policy));

        if (rp_id_hash != NULL) {
            memcpy(policy.base.rp_id_hash, rp_id_hash, WA_SHA256_LEN);

        } else {
            wa_sha256(policy.base.rp_id_hash, "localhost", 9);
        }

        policy.base.origins = fuzz_origins;
        policy.base.norigins = 2;
        policy.base.user_verification = WA_UV_PREFERRED;
        policy.base.check_challenge = fuzz_challenge;
        policy.algs = fuzz_algs;
        policy.nalgs = sizeof(fuzz_algs) / sizeof(fuzz_algs[0]);
        policy.attestation = i;
        policy.trust = fuzz_trust;
        policy.now_s = 1700000000;
        policy.allow_sha1 = 1;
        policy.allow_sha1_keys = (i == WA_ATTESTATION_ANY);
        policy.safetynet_cts = 1;

        if (wa_registration_check(&reg, &policy, &detail) == WA_OK) {
            /* what the store would keep must be there */
            if (reg.public_key == NULL || reg.fmt == NULL
                || (i == WA_ATTESTATION_TRUSTED))
            {
                abort();
            }
        }
    }

    wa_registration_free(&reg);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int             n;
    char           *json;
    size_t          alen;
    unsigned char  *ao;

    if (fuzz_trust == NULL) {
        fuzz_trust = wa_trust_new();
    }

    if (size == 0 || data[0] != 0x00) {
        fuzz_ceremony(data, size, NULL);
        return 0;
    }

    /* 0x00 rpIdHash attestation object: a fixed envelope around it */

    if (size < 1 + WA_SHA256_LEN) {
        return 0;
    }

    alen = wa_b64url_encoded_len(size - 1 - WA_SHA256_LEN);
    ao = malloc(alen + 1);
    json = malloc(alen + 256);
    if (ao == NULL || json == NULL) {
        free(ao);
        free(json);
        return 0;
    }

    wa_b64url_encode(ao, data + 1 + WA_SHA256_LEN, size - 1 - WA_SHA256_LEN);
    ao[alen] = '\0';

    n = snprintf(json, alen + 256,
                 "{\"id\":\"AQID\",\"rawId\":\"AQID\",\"type\":\"public-key\","
                 "\"response\":{\"clientDataJSON\":\"%s\","
                 "\"attestationObject\":\"%s\"}}", fuzz_client_data,
                 (char *) ao);

    if (n > 0 && (size_t) n < alen + 256) {
        fuzz_ceremony((unsigned char *) json, (size_t) n, data + 1);
    }

    free(ao);
    free(json);

    return 0;
}
