
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The FIDO Metadata Service (MDS3) BLOB, FIDO Metadata Service 3.0,
 * "Metadata BLOB Format" and "Metadata BLOB object processing rules": a
 * JWS compact serialization (RFC 7515, 7.1) whose header's
 * "x5c" chains to the FIDO root, signed with RS256, PS256 or ES256 (RFC
 * 7518, 3), whose payload lists metadata BLOB payload entries.  Loaded
 * once, at configuration; the entries are then only read by wa_trust.c.
 */


#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/bn.h>
#include <openssl/err.h>

#include "wa_internal.h"


#define WA_MDS_KEY_ID_LEN   20      /* SHA-1 */
#define WA_MDS_X5C_MAX      8
#define WA_MDS_DATE_NONE    INT64_MAX


typedef struct {
    unsigned char    aaguid[16];
    int              has_aaguid;
    unsigned char   *key_ids;       /* nkey_ids * WA_MDS_KEY_ID_LEN */
    size_t           nkey_ids;
    STACK_OF(X509)  *roots;         /* attestationRootCertificates */
    const char      *refused;       /* static, NULL when not refused */
} wa_mds_entry_t;


struct wa_mds_s {
    X509            *signer;
    int64_t          no;
    int64_t          next_update;
    wa_mds_entry_t  *entries;
    size_t           nentries;
};


/* RFC 7518, 3.1: the JWS algorithms a BLOB may be signed with */

typedef struct {
    const char  *name;
    int          alg;               /* COSE alg, for wa_pkey_t */
    size_t       raw_len;           /* ECDSA: R || S (RFC 7518, 3.4) */
} wa_mds_alg_t;


static wa_err_t wa_mds_split(const unsigned char *blob, size_t len,
    const unsigned char **part, size_t *plen, const char **detail);
static json_t *wa_mds_json(const unsigned char *p, size_t n);
static wa_err_t wa_mds_header(json_t *hdr, const wa_mds_alg_t **alg,
    STACK_OF(X509) **x5c, const char **detail);
static wa_err_t wa_mds_chain(STACK_OF(X509) *x5c,
    const unsigned char *root_pem, size_t root_len, int64_t now_s,
    const char **detail);
static wa_err_t wa_mds_signature(X509 *signer, const wa_mds_alg_t *alg,
    const unsigned char *input, size_t input_len, const unsigned char *sig,
    size_t sig_len, const char **detail);
static wa_err_t wa_mds_ecdsa_der(const unsigned char *raw, size_t len,
    unsigned char **der, size_t *der_len, const char **detail);
static wa_err_t wa_mds_payload(wa_mds_t *mds, json_t *payload,
    const char **detail);
static int wa_mds_entry(wa_mds_entry_t *e, json_t *entry);
static int wa_mds_roots(wa_mds_entry_t *e, json_t *statement);
static int wa_mds_status(wa_mds_entry_t *e, json_t *reports);
static int wa_mds_hex(unsigned char *dst, const char *s, size_t n);
static void wa_mds_entry_free(wa_mds_entry_t *e);


static const wa_mds_alg_t  wa_mds_algs[] = {
    { "RS256", WA_COSE_ALG_RS256, 0 },
    { "PS256", WA_COSE_ALG_PS256, 0 },
    { "ES256", WA_COSE_ALG_ES256, 64 },
    { "ES384", WA_COSE_ALG_ES384, 96 },
    { "ES512", WA_COSE_ALG_ES512, 132 }
};

#define WA_MDS_NALGS  (sizeof(wa_mds_algs) / sizeof(wa_mds_algs[0]))


/*
 * MDS 3.0, "AuthenticatorStatus enum": the statuses that say the model
 * must not be trusted for new registrations (its user verification can
 * be bypassed, its attestation or user keys are compromised, or FIDO
 * revoked it).  wa_mds_find() hands out these very pointers.
 */

static const char  *wa_mds_refusing[] = {
    "REVOKED",
    "USER_VERIFICATION_BYPASS",
    "ATTESTATION_KEY_COMPROMISE",
    "USER_KEY_REMOTE_COMPROMISE",
    "USER_KEY_PHYSICAL_COMPROMISE"
};


wa_err_t
wa_mds_load(wa_mds_t **mds, const unsigned char *blob, size_t len,
    const unsigned char *root_pem, size_t root_len, int64_t now_s,
    const char **detail)
{
    int                   i;
    size_t                plen[3], n;
    json_t               *hdr, *payload;
    wa_mds_t             *m;
    wa_err_t              rc;
    unsigned char        *sig, *body;
    STACK_OF(X509)       *x5c;
    const unsigned char  *part[3];
    const wa_mds_alg_t   *alg;

    *mds = NULL;

    hdr = NULL;
    payload = NULL;
    x5c = NULL;
    sig = NULL;
    body = NULL;
    m = NULL;

    rc = wa_mds_split(blob, len, part, plen, detail);
    if (rc != WA_OK) {
        return rc;
    }

    /* RFC 7515, 5.2, steps 2-4: the protected header */

    hdr = wa_mds_json(part[0], plen[0]);
    if (hdr == NULL || !json_is_object(hdr)) {
        wa_set_detail(detail, "MDS BLOB header is not base64url JSON");
        rc = WA_ERR_INTERNAL;
        goto done;
    }

    rc = wa_mds_header(hdr, &alg, &x5c, detail);
    if (rc != WA_OK) {
        goto done;
    }

    /* MDS 3.0, BLOB processing rules: the signer chains to the root */

    rc = wa_mds_chain(x5c, root_pem, root_len, now_s, detail);
    if (rc != WA_OK) {
        goto done;
    }

    /* RFC 7515, 5.2, steps 6-8: the signature over "header.payload" */

    if (wa_b64url_decode_alloc(&sig, &n, part[2], plen[2]) != 0) {
        sig = NULL;
        wa_set_detail(detail, "MDS BLOB signature is not base64url");
        rc = WA_ERR_INTERNAL;
        goto done;
    }

    rc = wa_mds_signature(sk_X509_value(x5c, 0), alg, blob,
                          plen[0] + 1 + plen[1], sig, n, detail);
    if (rc != WA_OK) {
        goto done;
    }

    /* the payload is parsed only once its signature verified */

    i = wa_b64url_decode_alloc(&body, &n, part[1], plen[1]);
    if (i != 0) {
        body = NULL;
        wa_set_detail(detail, i == -2 ? "out of memory"
                                      : "MDS BLOB payload is not base64url");
        rc = WA_ERR_INTERNAL;
        goto done;
    }

    payload = json_loadb((const char *) body, n, 0, NULL);

    free(body);

    if (payload == NULL || !json_is_object(payload)) {
        wa_set_detail(detail, "MDS BLOB payload is not JSON");
        rc = WA_ERR_INTERNAL;
        goto done;
    }

    m = calloc(1, sizeof(wa_mds_t));
    if (m == NULL) {
        wa_set_detail(detail, "out of memory");
        rc = WA_ERR_INTERNAL;
        goto done;
    }

    rc = wa_mds_payload(m, payload, detail);
    if (rc != WA_OK) {
        goto done;
    }

    m->signer = sk_X509_value(x5c, 0);
    X509_up_ref(m->signer);

    *mds = m;
    m = NULL;

done:

    wa_mds_free(m);
    free(sig);
    sk_X509_pop_free(x5c, X509_free);
    json_decref(payload);
    json_decref(hdr);

    return rc;
}


void
wa_mds_free(wa_mds_t *mds)
{
    size_t  i;

    if (mds == NULL) {
        return;
    }

    for (i = 0; i < mds->nentries; i++) {
        wa_mds_entry_free(&mds->entries[i]);
    }

    free(mds->entries);
    X509_free(mds->signer);
    free(mds);
}


/* lookups are linear: registrations are rare, entries a few hundred */

int
wa_mds_find(const wa_mds_t *mds, const unsigned char *aaguid,
    const unsigned char *key_id, void **roots, const char **refused)
{
    size_t                 i, k;
    const wa_mds_entry_t  *e;

    if (mds == NULL) {
        return 0;
    }

    for (i = 0; i < mds->nentries; i++) {
        e = &mds->entries[i];

        if (aaguid != NULL) {
            if (!e->has_aaguid || memcmp(e->aaguid, aaguid, 16) != 0) {
                continue;
            }

        } else {
            for (k = 0; k < e->nkey_ids; k++) {
                if (memcmp(&e->key_ids[k * WA_MDS_KEY_ID_LEN], key_id,
                           WA_MDS_KEY_ID_LEN)
                    == 0)
                {
                    break;
                }
            }

            if (k == e->nkey_ids) {
                continue;
            }
        }

        *roots = e->roots;
        *refused = e->refused;

        return 1;
    }

    return 0;
}


void
wa_mds_info(const wa_mds_t *mds, int64_t *no, int64_t *next_update,
    size_t *entries)
{
    *no = mds->no;
    *next_update = mds->next_update;
    *entries = mds->nentries;
}


void *
wa_mds_signer(const wa_mds_t *mds)
{
    return mds->signer;
}


/* RFC 7515, 7.1: BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(sig) */

static wa_err_t
wa_mds_split(const unsigned char *blob, size_t len,
    const unsigned char **part, size_t *plen, const char **detail)
{
    size_t  i, n, start;

    /* a downloaded file may end with a newline */

    while (len > 0 && (blob[len - 1] == '\n' || blob[len - 1] == '\r'
                       || blob[len - 1] == ' ' || blob[len - 1] == '\t'))
    {
        len--;
    }

    n = 0;
    start = 0;

    for (i = 0; i < len; i++) {
        if (blob[i] != '.') {
            continue;
        }

        if (n == 2) {
            goto bad;
        }

        part[n] = &blob[start];
        plen[n] = i - start;
        n++;
        start = i + 1;
    }

    if (n != 2) {
        goto bad;
    }

    part[2] = &blob[start];
    plen[2] = len - start;

    if (plen[0] == 0 || plen[1] == 0 || plen[2] == 0) {
        goto bad;
    }

    return WA_OK;

bad:

    wa_set_detail(detail, "MDS BLOB is not a JWS compact serialization");

    return WA_ERR_INTERNAL;
}


static json_t *
wa_mds_json(const unsigned char *p, size_t n)
{
    size_t          len;
    json_t         *json;
    unsigned char  *buf;

    if (wa_b64url_decode_alloc(&buf, &len, p, n) != 0) {
        return NULL;
    }

    json = json_loadb((const char *) buf, len, 0, NULL);

    free(buf);

    return json;
}


/* RFC 7515, 4.1.1, 4.1.6, 4.1.11: "alg", "x5c", "crit" */

static wa_err_t
wa_mds_header(json_t *hdr, const wa_mds_alg_t **alg, STACK_OF(X509) **x5c,
    const char **detail)
{
    int                   oom;
    X509                 *cert;
    size_t                i, n;
    json_t               *a, *item;
    const char           *name;
    STACK_OF(X509)       *sk;
    const wa_mds_alg_t   *found;

    a = json_object_get(hdr, "alg");
    name = json_string_value(a);

    found = NULL;

    for (i = 0; name != NULL && i < WA_MDS_NALGS; i++) {
        if (strcmp(name, wa_mds_algs[i].name) == 0) {
            found = &wa_mds_algs[i];
            break;
        }
    }

    if (found == NULL) {
        wa_set_detail(detail, "MDS BLOB header has an unsupported \"alg\"");
        return WA_ERR_INTERNAL;
    }

    /* RFC 7515, 4.1.11: no extension is understood here */

    if (json_object_get(hdr, "crit") != NULL) {
        wa_set_detail(detail, "MDS BLOB header has a \"crit\" member");
        return WA_ERR_INTERNAL;
    }

    a = json_object_get(hdr, "x5c");
    n = json_array_size(a);

    if (!json_is_array(a) || n == 0 || n > WA_MDS_X5C_MAX) {
        wa_set_detail(detail, "MDS BLOB header has no \"x5c\" array of 1 to "
                              "8 certificates");
        return WA_ERR_INTERNAL;
    }

    sk = sk_X509_new_null();
    if (sk == NULL) {
        wa_set_detail(detail, "sk_X509_new_null() failed");
        return WA_ERR_INTERNAL;
    }

    for (i = 0; i < n; i++) {
        item = json_array_get(a, i);

        /* RFC 7515, 4.1.6: base64 (not base64url) DER, signer first */

        cert = NULL;
        oom = 0;

        if (json_is_string(item)) {
            cert = wa_x509_b64(json_string_value(item),
                               json_string_length(item), &oom);
        }

        if (cert == NULL) {
            sk_X509_pop_free(sk, X509_free);
            wa_set_detail(detail, oom ? "out of memory"
                                      : "MDS BLOB header \"x5c\" holds "
                                        "something other than a base64 "
                                        "DER certificate");
            return WA_ERR_INTERNAL;
        }

        if (!sk_X509_push(sk, cert)) {
            X509_free(cert);
            sk_X509_pop_free(sk, X509_free);
            wa_set_detail(detail, "sk_X509_push() failed");
            return WA_ERR_INTERNAL;
        }
    }

    *alg = found;
    *x5c = sk;

    return WA_OK;
}


/*
 * MDS 3.0, BLOB processing rules: x5c[0] through x5c[1..] to a
 * certificate of root_pem, the configured FIDO root; no partial chain:
 * an intermediate is never an anchor here
 */

static wa_err_t
wa_mds_chain(STACK_OF(X509) *x5c, const unsigned char *root_pem,
    size_t root_len, int64_t now_s, const char **detail)
{
    int              i, n, rc, err;
    wa_err_t         ret;
    X509_STORE      *store;
    STACK_OF(X509)  *roots;

    ret = wa_x509_pem(root_pem, root_len, (void **) &roots, NULL);
    if (ret != WA_OK) {
        wa_set_detail(detail, "no certificate in the MDS root PEM");
        return ret;
    }

    ret = WA_ERR_INTERNAL;

    store = X509_STORE_new();
    if (store == NULL) {
        wa_set_detail(detail, "X509_STORE_new() failed");
        goto done;
    }

    n = sk_X509_num(roots);

    for (i = 0; i < n; i++) {
        if (X509_STORE_add_cert(store, sk_X509_value(roots, i)) != 1) {
            wa_set_detail(detail, "X509_STORE_add_cert() failed");
            goto done;
        }
    }

    /* no partial chain: the root must be the configured one */

    rc = wa_x509_path(store, x5c, now_s, 0, &err);

    if (rc < 0) {
        wa_set_detail(detail, "X509_verify_cert() failed");
        goto done;
    }

    if (rc == 0) {
        wa_set_detail(detail, (err == X509_V_ERR_CERT_HAS_EXPIRED
                               || err == X509_V_ERR_CERT_NOT_YET_VALID)
                              ? "MDS BLOB signing chain has a certificate "
                                "that has expired or is not yet valid"
                              : "MDS BLOB signing certificate does not "
                                "chain to the MDS root");
        goto done;
    }

    ret = WA_OK;

done:

    X509_STORE_free(store);
    sk_X509_pop_free(roots, X509_free);

    return ret;
}


/* RFC 7515, 5.2, step 8; RFC 7518, 3.3 to 3.5 */

static wa_err_t
wa_mds_signature(X509 *signer, const wa_mds_alg_t *alg,
    const unsigned char *input, size_t input_len, const unsigned char *sig,
    size_t sig_len, const char **detail)
{
    size_t                der_len;
    void                 *evp;
    wa_err_t              rc;
    wa_pkey_t            *key;
    unsigned char        *der;
    const unsigned char  *parts[1];

    der = NULL;

    if (alg->raw_len != 0) {
        /* RFC 7518, 3.4: ECDSA is R || S, OpenSSL takes DER */

        if (sig_len != alg->raw_len) {
            wa_set_detail(detail, "MDS BLOB signature does not verify");
            return WA_ERR_INTERNAL;
        }

        rc = wa_mds_ecdsa_der(sig, sig_len, &der, &der_len, detail);
        if (rc != WA_OK) {
            return rc;
        }

        sig = der;
        sig_len = der_len;
    }

    evp = wa_x509_pubkey(signer);
    if (evp == NULL) {
        OPENSSL_free(der);
        wa_set_detail(detail, "MDS BLOB signing certificate has no usable "
                              "public key");
        return WA_ERR_INTERNAL;
    }

    rc = wa_pkey_from_evp(&key, evp, alg->alg, detail);
    EVP_PKEY_free(evp);

    if (rc != WA_OK) {
        OPENSSL_free(der);

        if (rc != WA_ERR_INTERNAL) {
            wa_set_detail(detail, "MDS BLOB signing key does not match the "
                                  "header's \"alg\"");
        }

        return WA_ERR_INTERNAL;
    }

    parts[0] = input;

    rc = wa_pkey_verify_parts(key, parts, &input_len, 1, sig, sig_len,
                              detail);

    wa_pkey_free(key);
    OPENSSL_free(der);

    if (rc == WA_ERR_SIGNATURE_INVALID) {
        wa_set_detail(detail, "MDS BLOB signature does not verify");
        return WA_ERR_INTERNAL;
    }

    return rc;
}


static wa_err_t
wa_mds_ecdsa_der(const unsigned char *raw, size_t len, unsigned char **der,
    size_t *der_len, const char **detail)
{
    int         n;
    BIGNUM     *r, *s;
    ECDSA_SIG  *es;

    *der = NULL;

    r = BN_bin2bn(raw, (int) (len / 2), NULL);
    s = BN_bin2bn(raw + len / 2, (int) (len / 2), NULL);
    es = ECDSA_SIG_new();

    if (r == NULL || s == NULL || es == NULL || ECDSA_SIG_set0(es, r, s) != 1)
    {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        wa_set_detail(detail, "ECDSA_SIG_set0() failed");
        return WA_ERR_INTERNAL;
    }

    n = i2d_ECDSA_SIG(es, der);

    ECDSA_SIG_free(es);

    if (n <= 0) {
        *der = NULL;
        wa_set_detail(detail, "i2d_ECDSA_SIG() failed");
        return WA_ERR_INTERNAL;
    }

    *der_len = (size_t) n;

    return WA_OK;
}


/* MDS 3.0, "Metadata BLOB Payload dictionary": "no", "nextUpdate", ... */

static wa_err_t
wa_mds_payload(wa_mds_t *mds, json_t *payload, const char **detail)
{
    int          rc;
    size_t       i, n;
    json_t      *no, *next, *entries;
    int64_t      days;
    json_int_t   v;

    no = json_object_get(payload, "no");
    next = json_object_get(payload, "nextUpdate");
    entries = json_object_get(payload, "entries");

    if (!json_is_integer(no) || !json_is_string(next)
        || !json_is_array(entries))
    {
        wa_set_detail(detail, "MDS BLOB payload lacks \"no\", \"nextUpdate\" "
                              "or \"entries\"");
        return WA_ERR_INTERNAL;
    }

    v = json_integer_value(no);

    if (v < 0) {
        wa_set_detail(detail, "MDS BLOB payload \"no\" is negative");
        return WA_ERR_INTERNAL;
    }

    if (wa_mds_date(json_string_value(next), json_string_length(next),
                    &days)
        != 0)
    {
        wa_set_detail(detail, "MDS BLOB payload \"nextUpdate\" is not a "
                              "YYYY-MM-DD date");
        return WA_ERR_INTERNAL;
    }

    mds->no = (int64_t) v;
    mds->next_update = days * 86400;

    n = json_array_size(entries);

    if (n == 0) {
        return WA_OK;
    }

    mds->entries = calloc(n, sizeof(wa_mds_entry_t));
    if (mds->entries == NULL) {
        wa_set_detail(detail, "out of memory");
        return WA_ERR_INTERNAL;
    }

    for (i = 0; i < n; i++) {
        rc = wa_mds_entry(&mds->entries[mds->nentries],
                          json_array_get(entries, i));

        if (rc < 0) {
            wa_set_detail(detail, "out of memory");
            return WA_ERR_INTERNAL;
        }

        /* an entry with unusable members is skipped (0), not fatal */

        if (rc == 1) {
            mds->nentries++;
        }
    }

    return WA_OK;
}


/*
 * MDS 3.0, "Metadata BLOB Payload Entry dictionary": "aaguid" (FIDO2) or
 * "attestationCertificateKeyIdentifiers" (U2F); "aaid" (UAF) only is of
 * no use here.  1 usable, 0 skipped (and *e left empty), -1 out of memory.
 */

static int
wa_mds_entry(wa_mds_entry_t *e, json_t *entry)
{
    int          rc;
    size_t       i, n;
    json_t      *aaguid, *kids, *item;
    const char  *s;

    if (!json_is_object(entry)) {
        return 0;
    }

    rc = 0;

    aaguid = json_object_get(entry, "aaguid");

    if (aaguid != NULL) {
        s = json_string_value(aaguid);

        if (s == NULL || json_string_length(aaguid) != WA_AAGUID_TEXT_LEN
            || !wa_record_aaguid_ok((const unsigned char *) s,
                                    WA_AAGUID_TEXT_LEN))
        {
            goto done;
        }

        /* 8-4-4-4-12 hex digits */

        if (wa_mds_hex(&e->aaguid[0], &s[0], 4) != 0
            || wa_mds_hex(&e->aaguid[4], &s[9], 2) != 0
            || wa_mds_hex(&e->aaguid[6], &s[14], 2) != 0
            || wa_mds_hex(&e->aaguid[8], &s[19], 2) != 0
            || wa_mds_hex(&e->aaguid[10], &s[24], 6) != 0)
        {
            goto done;
        }

        e->has_aaguid = 1;
    }

    kids = json_object_get(entry, "attestationCertificateKeyIdentifiers");

    if (kids != NULL) {
        if (!json_is_array(kids)) {
            goto done;
        }

        n = json_array_size(kids);

        if (n > 0) {
            e->key_ids = malloc(n * WA_MDS_KEY_ID_LEN);
            if (e->key_ids == NULL) {
                rc = -1;
                goto done;
            }
        }

        for (i = 0; i < n; i++) {
            item = json_array_get(kids, i);

            if (!json_is_string(item)
                || json_string_length(item) != 2 * WA_MDS_KEY_ID_LEN
                || wa_mds_hex(&e->key_ids[i * WA_MDS_KEY_ID_LEN],
                              json_string_value(item), WA_MDS_KEY_ID_LEN)
                   != 0)
            {
                goto done;
            }
        }

        e->nkey_ids = n;
    }

    if (!e->has_aaguid && e->nkey_ids == 0) {
        goto done;
    }

    rc = wa_mds_roots(e, json_object_get(entry, "metadataStatement"));

    if (rc == 1) {
        rc = wa_mds_status(e, json_object_get(entry, "statusReports"));
    }

done:

    if (rc != 1) {
        /* the slot is reused by the next entry */
        wa_mds_entry_free(e);
    }

    return rc;
}


/*
 * FIDO Metadata Statement: "attestationRootCertificates", base64 (not
 * base64url) DER, roots or intermediates the attestation chains to
 */

static int
wa_mds_roots(wa_mds_entry_t *e, json_t *statement)
{
    int      oom;
    X509    *cert;
    size_t   i, n;
    json_t  *roots, *item;

    e->roots = sk_X509_new_null();
    if (e->roots == NULL) {
        return -1;
    }

    if (statement == NULL) {
        /* status reports without a statement still decide */
        return 1;
    }

    if (!json_is_object(statement)) {
        return 0;
    }

    roots = json_object_get(statement, "attestationRootCertificates");

    if (roots == NULL) {
        return 1;
    }

    if (!json_is_array(roots)) {
        return 0;
    }

    n = json_array_size(roots);

    for (i = 0; i < n; i++) {
        item = json_array_get(roots, i);

        if (!json_is_string(item)) {
            return 0;
        }

        cert = wa_x509_b64(json_string_value(item), json_string_length(item),
                           &oom);
        if (cert == NULL) {
            return oom ? -1 : 0;
        }

        if (!sk_X509_push(e->roots, cert)) {
            X509_free(cert);
            return -1;
        }
    }

    return 1;
}


/*
 * MDS 3.0, "StatusReport dictionary": "The latest StatusReport entry MUST
 * reflect the "current" status"; a later UPDATE_AVAILABLE addresses the
 * issues reported before it.  So the latest report decides: the one of
 * the greatest "effectiveDate"; one without a (usable) date "is assumed
 * to be effective while present", so it counts as current; among equals
 * the later in the array, since new reports are appended.  The model is
 * refused when that report's status is one of wa_mds_refusing[].
 */

static int
wa_mds_status(wa_mds_entry_t *e, json_t *reports)
{
    size_t       i, k, n;
    json_t      *report, *status, *date;
    int64_t      when, latest;
    const char  *s, *current;

    e->refused = NULL;

    if (!json_is_array(reports)) {
        return 0;
    }

    n = json_array_size(reports);
    current = NULL;
    latest = INT64_MIN;

    for (i = 0; i < n; i++) {
        report = json_array_get(reports, i);
        status = json_object_get(report, "status");

        s = json_string_value(status);
        if (s == NULL) {
            return 0;
        }

        date = json_object_get(report, "effectiveDate");

        if (!json_is_string(date)
            || wa_mds_date(json_string_value(date), json_string_length(date),
                           &when)
               != 0)
        {
            when = WA_MDS_DATE_NONE;
        }

        if (when >= latest) {
            latest = when;
            current = s;
        }
    }

    if (current == NULL) {
        return 1;
    }

    for (k = 0; k < sizeof(wa_mds_refusing) / sizeof(wa_mds_refusing[0]);
         k++)
    {
        if (strcmp(current, wa_mds_refusing[k]) == 0) {
            e->refused = wa_mds_refusing[k];
            break;
        }
    }

    return 1;
}


/*
 * "YYYY-MM-DD" (ISO 8601, the MDS dates) to days since 1970-01-01:
 * days_from_civil (H. Hinnant), proleptic Gregorian
 */

int
wa_mds_date(const char *s, size_t len, int64_t *days)
{
    int       i;
    int64_t   y, m, d, era, yoe, doy, doe, mdays;

    if (s == NULL || len != 10 || s[4] != '-' || s[7] != '-') {
        return -1;
    }

    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return -1;
        }
    }

    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
        + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');

    if (m < 1 || m > 12 || d < 1) {
        return -1;
    }

    if (m == 2) {
        mdays = ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : 28;

    } else if (m == 4 || m == 6 || m == 9 || m == 11) {
        mdays = 30;

    } else {
        mdays = 31;
    }

    if (d > mdays) {
        return -1;
    }

    y -= (m <= 2);
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    *days = era * 146097 + doe - 719468;

    return 0;
}


/* n bytes from 2 * n hex digits, either case */

static int
wa_mds_hex(unsigned char *dst, const char *s, size_t n)
{
    int     v, c, k;
    size_t  i;

    for (i = 0; i < n; i++) {
        v = 0;

        for (k = 0; k < 2; k++) {
            c = s[2 * i + k];

            if (c >= '0' && c <= '9') {
                c -= '0';

            } else if (c >= 'a' && c <= 'f') {
                c -= 'a' - 10;

            } else if (c >= 'A' && c <= 'F') {
                c -= 'A' - 10;

            } else {
                return -1;
            }

            v = v << 4 | c;
        }

        dst[i] = (unsigned char) v;
    }

    return 0;
}


static void
wa_mds_entry_free(wa_mds_entry_t *e)
{
    sk_X509_pop_free(e->roots, X509_free);
    free(e->key_ids);

    memset(e, 0, sizeof(wa_mds_entry_t));
}
