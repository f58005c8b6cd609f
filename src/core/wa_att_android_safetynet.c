
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The "android-safetynet" attestation statement format, WebAuthn L3, 8.5
 * (deprecated by the spec, still sent by older Android devices): the
 * response is a JWS in the compact serialization (RFC 7515, 7.1), its
 * signing certificates in the header's "x5c" (RFC 7515, 4.1.6), its
 * verdict in the payload, as the SafetyNet Attestation API documents it
 * ("Verify the SafetyNet attestation response").
 */


#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/ecdsa.h>
#include <openssl/bn.h>
#include <openssl/err.h>

#include "wa_internal.h"


/* the host the SafetyNet API's signing certificate is issued to */
#define WA_SAFETYNET_HOST        "attest.android.com"

/* as many certificates as wa_x509_x5c() takes */
#define WA_SAFETYNET_X5C_MAX     8

/* the base64 (RFC 4648, 4, padded) of a SHA-256 */
#define WA_SAFETYNET_NONCE_LEN   44

/*
 * The timestampMs window: SimpleWebAuthn accepts [now - 60 s, now],
 * py_webauthn [now - 10 s, now + 10 s].  Here [now - 60 s, now + 60 s]:
 * SimpleWebAuthn's age (py_webauthn's own recorded response is 40 s old
 * at its pinned time), and as much ahead for the skew between Google's
 * clock and ours, and because policy->now_s counts whole seconds (the
 * recorded SimpleWebAuthn response is stamped 989 ms after its second).
 */
#define WA_SAFETYNET_MAX_AGE_MS  60000
#define WA_SAFETYNET_SKEW_MS     60000

#define WA_SAFETYNET_ES256_LEN   64     /* RFC 7518, 3.4: R || S */


/* the decoded parts of the JWS */

typedef struct {
    json_t               *header;
    json_t               *payload;
    unsigned char        *sig;
    size_t                sig_len;
    const unsigned char  *signed_data;  /* header "." payload, as sent */
    size_t                signed_len;
} wa_safetynet_jws_t;


static wa_err_t wa_att_safetynet_parse(wa_safetynet_jws_t *jws,
    const unsigned char *p, size_t len, const char **detail);
static wa_err_t wa_att_safetynet_json(json_t **json, const unsigned char *p,
    size_t len, const char **detail);
static wa_err_t wa_att_safetynet_x5c(json_t *header, void **x5c,
    const char **detail);
static wa_err_t wa_att_safetynet_verify(X509 *cert, int alg,
    const wa_safetynet_jws_t *jws, const char **detail);
static wa_err_t wa_att_safetynet_payload(const wa_att_in_t *in,
    json_t *payload, const char **detail);
static void wa_att_safetynet_free(wa_safetynet_jws_t *jws);


wa_err_t
wa_att_android_safetynet(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail)
{
    int                   alg;
    X509                 *cert;
    size_t                len;
    wa_err_t              err;
    cbor_item_t          *ver;
    const char           *name;
    wa_safetynet_jws_t    jws;
    const unsigned char  *response;

    /*
     * WebAuthn L3, 8.5, verification procedure: attStmt is
     * {ver: text, response: bytes}; ver is reserved, but must be there
     */

    ver = wa_cbor_map_get(in->att_stmt, "ver");

    if (ver == NULL || !cbor_isa_string(ver) || !cbor_string_is_definite(ver)
        || cbor_string_length(ver) == 0)
    {
        wa_set_detail(detail, "\"android-safetynet\" attestation statement "
                              "has no text \"ver\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (wa_cbor_bytes(wa_cbor_map_get(in->att_stmt, "response"), &response,
                      &len)
        != 0
        || len == 0)
    {
        wa_set_detail(detail, "\"android-safetynet\" attestation statement "
                              "has no byte string \"response\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    err = wa_att_safetynet_parse(&jws, response, len, detail);
    if (err != WA_OK) {
        return err;
    }

    /* the header: {"alg": "RS256" or "ES256", "x5c": [...]} */

    if (json_object_get(jws.header, "crit") != NULL) {
        /* RFC 7515, 4.1.11: no extension is understood here */
        err = WA_ERR_ATTESTATION_MALFORMED;
        wa_set_detail(detail, "SafetyNet response header has critical "
                              "parameters");
        goto done;
    }

    name = json_string_value(json_object_get(jws.header, "alg"));

    if (name == NULL) {
        err = WA_ERR_ATTESTATION_MALFORMED;
        wa_set_detail(detail, "SafetyNet response header has no \"alg\"");
        goto done;
    }

    if (strcmp(name, "RS256") == 0) {
        alg = WA_COSE_ALG_RS256;

    } else if (strcmp(name, "ES256") == 0) {
        alg = WA_COSE_ALG_ES256;

    } else {
        err = WA_ERR_ALGORITHM_UNSUPPORTED;
        wa_set_detail(detail, "SafetyNet response has an unsupported "
                              "\"alg\"");
        goto done;
    }

    err = wa_att_safetynet_x5c(jws.header, &out->x5c, detail);
    if (err != WA_OK) {
        goto done;
    }

    cert = sk_X509_value((STACK_OF(X509) *) out->x5c, 0);

    /* the signature, with the leaf certificate of the header */

    err = wa_att_safetynet_verify(cert, alg, &jws, detail);
    if (err != WA_OK) {
        goto done;
    }

    /* the leaf certificate is issued to attest.android.com (SAN or CN) */

    if (X509_check_host(cert, WA_SAFETYNET_HOST,
                        sizeof(WA_SAFETYNET_HOST) - 1,
                        X509_CHECK_FLAG_NO_WILDCARDS, NULL)
        != 1)
    {
        ERR_clear_error();
        err = WA_ERR_ATTESTATION_INVALID;
        wa_set_detail(detail, "SafetyNet response certificate is not issued "
                              "to attest.android.com");
        goto done;
    }

    /* the payload: nonce, device integrity, time */

    err = wa_att_safetynet_payload(in, jws.payload, detail);
    if (err != WA_OK) {
        goto done;
    }

    /* Basic, trust path: the header's x5c (wa_trust.c) */

    out->type = WA_ATT_TYPE_X5C;

done:

    wa_att_safetynet_free(&jws);

    return err;
}


/* RFC 7515, 7.2.1: three base64url parts separated by "." */

static wa_err_t
wa_att_safetynet_parse(wa_safetynet_jws_t *jws, const unsigned char *p,
    size_t len, const char **detail)
{
    int                   rc;
    size_t                n;
    wa_err_t              err;
    unsigned char        *buf;
    const unsigned char  *dot1, *dot2, *last;

    memset(jws, 0, sizeof(wa_safetynet_jws_t));

    last = p + len;

    dot1 = memchr(p, '.', len);
    dot2 = (dot1 != NULL) ? memchr(dot1 + 1, '.', last - dot1 - 1) : NULL;

    if (dot2 == NULL || dot1 == p || dot2 == dot1 + 1 || dot2 + 1 == last
        || memchr(dot2 + 1, '.', last - dot2 - 1) != NULL)
    {
        wa_set_detail(detail, "SafetyNet response is not a JWS compact "
                              "serialization");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    jws->signed_data = p;
    jws->signed_len = dot2 - p;

    /* the header */

    rc = wa_b64url_decode_alloc(&buf, &n, p, dot1 - p);
    if (rc != 0) {
        goto decode_failed;
    }

    err = wa_att_safetynet_json(&jws->header, buf, n, detail);
    free(buf);

    if (err != WA_OK) {
        goto failed;
    }

    /* the payload */

    rc = wa_b64url_decode_alloc(&buf, &n, dot1 + 1, dot2 - dot1 - 1);
    if (rc != 0) {
        goto decode_failed;
    }

    err = wa_att_safetynet_json(&jws->payload, buf, n, detail);
    free(buf);

    if (err != WA_OK) {
        goto failed;
    }

    /* the signature */

    rc = wa_b64url_decode_alloc(&jws->sig, &jws->sig_len, dot2 + 1,
                                last - dot2 - 1);
    if (rc != 0) {
        goto decode_failed;
    }

    return WA_OK;

decode_failed:

    if (rc == -2) {
        err = WA_ERR_INTERNAL;
        wa_set_detail(detail, "out of memory");

    } else {
        err = WA_ERR_ATTESTATION_MALFORMED;
        wa_set_detail(detail, "SafetyNet response has a part that is not "
                              "base64url");
    }

failed:

    wa_att_safetynet_free(jws);

    return err;
}


static wa_err_t
wa_att_safetynet_json(json_t **json, const unsigned char *p, size_t len,
    const char **detail)
{
    json_error_t  jerr;

    *json = json_loadb((const char *) p, len, JSON_REJECT_DUPLICATES, &jerr);

    if (*json == NULL || !json_is_object(*json)) {
        json_decref(*json);
        *json = NULL;
        wa_set_detail(detail, "SafetyNet response has a header or payload "
                              "that is not a JSON object");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    return WA_OK;
}


/*
 * RFC 7515, 4.1.6: "x5c", an array of base64 (not base64url) DER
 * certificates, the signer's first; into *x5c as soon as it exists, for
 * the caller to free on every path
 */

static wa_err_t
wa_att_safetynet_x5c(json_t *header, void **x5c, const char **detail)
{
    int              oom;
    X509            *cert;
    size_t           i, n;
    json_t          *arr, *item;
    STACK_OF(X509)  *sk;

    arr = json_object_get(header, "x5c");

    if (!json_is_array(arr) || json_array_size(arr) == 0
        || json_array_size(arr) > WA_SAFETYNET_X5C_MAX)
    {
        wa_set_detail(detail, "SafetyNet response header \"x5c\" is not an "
                              "array of 1 to 8 certificates");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    sk = sk_X509_new_null();
    if (sk == NULL) {
        wa_set_detail(detail, "sk_X509_new_null() failed");
        return WA_ERR_INTERNAL;
    }

    *x5c = sk;

    n = json_array_size(arr);

    for (i = 0; i < n; i++) {
        item = json_array_get(arr, i);

        if (!json_is_string(item)) {
            goto malformed;
        }

        cert = wa_x509_b64(json_string_value(item), json_string_length(item),
                           &oom);
        if (cert == NULL) {
            if (oom) {
                wa_set_detail(detail, "out of memory");
                return WA_ERR_INTERNAL;
            }

            goto malformed;
        }

        if (!sk_X509_push(sk, cert)) {
            X509_free(cert);
            wa_set_detail(detail, "sk_X509_push() failed");
            return WA_ERR_INTERNAL;
        }
    }

    return WA_OK;

malformed:

    wa_set_detail(detail, "SafetyNet response header \"x5c\" holds "
                          "something other than a DER certificate");
    return WA_ERR_ATTESTATION_MALFORMED;
}


/* RFC 7515, 5.2: the signature over header "." payload as sent */

static wa_err_t
wa_att_safetynet_verify(X509 *cert, int alg, const wa_safetynet_jws_t *jws,
    const char **detail)
{
    int                   len;
    BIGNUM               *r, *s;
    size_t                sig_len, data_len;
    EVP_PKEY             *evp;
    wa_err_t              err;
    ECDSA_SIG            *ecdsa;
    wa_pkey_t            *key;
    unsigned char        *der;
    const unsigned char  *sig, *data;

    evp = wa_x509_pubkey(cert);
    if (evp == NULL) {
        wa_set_detail(detail, "SafetyNet response certificate has no "
                              "usable public key");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    err = wa_pkey_from_evp(&key, evp, alg, detail);
    EVP_PKEY_free(evp);

    if (err != WA_OK) {
        return err;
    }

    der = NULL;
    sig = jws->sig;
    sig_len = jws->sig_len;

    if (alg == WA_COSE_ALG_ES256) {

        /* RFC 7518, 3.4: R || S, to the DER wa_pkey_verify_parts() takes */

        if (sig_len != WA_SAFETYNET_ES256_LEN) {
            wa_pkey_free(key);
            wa_set_detail(detail, "SafetyNet response signature does not "
                                  "verify with its certificate");
            return WA_ERR_ATTESTATION_INVALID;
        }

        ecdsa = ECDSA_SIG_new();
        r = BN_bin2bn(sig, WA_SAFETYNET_ES256_LEN / 2, NULL);
        s = BN_bin2bn(sig + WA_SAFETYNET_ES256_LEN / 2,
                      WA_SAFETYNET_ES256_LEN / 2, NULL);

        if (ecdsa == NULL || r == NULL || s == NULL
            || ECDSA_SIG_set0(ecdsa, r, s) != 1)
        {
            ECDSA_SIG_free(ecdsa);
            BN_free(r);
            BN_free(s);
            wa_pkey_free(key);
            wa_set_detail(detail, "ECDSA_SIG_set0() failed");
            return WA_ERR_INTERNAL;
        }

        len = i2d_ECDSA_SIG(ecdsa, &der);
        ECDSA_SIG_free(ecdsa);

        if (len <= 0) {
            wa_pkey_free(key);
            wa_set_detail(detail, "i2d_ECDSA_SIG() failed");
            return WA_ERR_INTERNAL;
        }

        sig = der;
        sig_len = (size_t) len;
    }

    data = jws->signed_data;
    data_len = jws->signed_len;

    err = wa_pkey_verify_parts(key, &data, &data_len, 1, sig, sig_len,
                               detail);

    OPENSSL_free(der);
    wa_pkey_free(key);

    if (err == WA_ERR_SIGNATURE_INVALID) {
        wa_set_detail(detail, "SafetyNet response signature does not verify "
                              "with its certificate");
        return WA_ERR_ATTESTATION_INVALID;
    }

    return err;
}


static wa_err_t
wa_att_safetynet_payload(const wa_att_in_t *in, json_t *payload,
    const char **detail)
{
    int                   cts, basic;
    size_t                lens[2];
    json_t               *nonce, *ts, *v;
    int64_t               now_ms, ts_ms;
    wa_err_t              err;
    unsigned char         hash[WA_SHA256_LEN];
    unsigned char         b64[WA_SAFETYNET_NONCE_LEN + 1];
    const unsigned char  *parts[2];

    /*
     * 8.5: "the nonce attribute in the payload of response is identical
     * to the Base64 encoding of the SHA-256 hash of the concatenation of
     * authenticatorData and clientDataHash"
     */

    parts[0] = in->auth_data;
    lens[0] = in->auth_data_len;
    parts[1] = in->cdata_hash;
    lens[1] = WA_SHA256_LEN;

    err = wa_digest_parts(EVP_sha256(), parts, lens, 2, hash, NULL, detail);
    if (err != WA_OK) {
        return err;
    }

    if (EVP_EncodeBlock(b64, hash, WA_SHA256_LEN) != WA_SAFETYNET_NONCE_LEN) {
        wa_set_detail(detail, "EVP_EncodeBlock() failed");
        return WA_ERR_INTERNAL;
    }

    nonce = json_object_get(payload, "nonce");
    ts = json_object_get(payload, "timestampMs");

    if (!json_is_string(nonce) || !json_is_integer(ts)) {
        wa_set_detail(detail, "SafetyNet response payload has no \"nonce\" "
                              "or \"timestampMs\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (json_string_length(nonce) != WA_SAFETYNET_NONCE_LEN
        || memcmp(json_string_value(nonce), b64, WA_SAFETYNET_NONCE_LEN)
           != 0)
    {
        wa_set_detail(detail, "SafetyNet response nonce is not the hash of "
                              "the authenticator and client data");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /*
     * the device's integrity verdicts: basicIntegrity always (as
     * py_webauthn), ctsProfileMatch when the policy asks (as
     * SimpleWebAuthn by default); absent is false
     */

    v = json_object_get(payload, "basicIntegrity");
    basic = json_is_true(v);

    v = json_object_get(payload, "ctsProfileMatch");
    cts = json_is_true(v);

    if (!basic) {
        wa_set_detail(detail, "SafetyNet response says the device lacks "
                              "basic integrity");
        return WA_ERR_ATTESTATION_INVALID;
    }

    if (in->policy->safetynet_cts && !cts) {
        wa_set_detail(detail, "SafetyNet response says the device does not "
                              "match a compatible profile");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* timestampMs: within the window at the top of this file */

    if (in->policy->now_s < 0
        || in->policy->now_s > (INT64_MAX - WA_SAFETYNET_SKEW_MS) / 1000)
    {
        wa_set_detail(detail, "registration clock out of range");
        return WA_ERR_INTERNAL;
    }

    now_ms = in->policy->now_s * 1000;
    ts_ms = json_integer_value(ts);

    if (ts_ms > now_ms + WA_SAFETYNET_SKEW_MS) {
        wa_set_detail(detail, "SafetyNet response timestamp is in the "
                              "future");
        return WA_ERR_ATTESTATION_INVALID;
    }

    if (ts_ms < now_ms - WA_SAFETYNET_MAX_AGE_MS) {
        wa_set_detail(detail, "SafetyNet response is older than 60 "
                              "seconds");
        return WA_ERR_ATTESTATION_INVALID;
    }

    return WA_OK;
}


static void
wa_att_safetynet_free(wa_safetynet_jws_t *jws)
{
    json_decref(jws->header);
    json_decref(jws->payload);
    free(jws->sig);

    jws->header = NULL;
    jws->payload = NULL;
    jws->sig = NULL;
}
