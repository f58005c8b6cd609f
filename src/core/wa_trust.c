
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Trust anchors for attestation and the trust path check, WebAuthn L3,
 * 7.1, steps 22-23: the anchors are the certificates of a PEM bundle and
 * the attestationRootCertificates of the FIDO MDS entry of the
 * authenticator's model (wa_mds.c).  Paths are built and checked by
 * OpenSSL's X509_verify_cert(), never by hand; the certificates of x5c
 * after the first are untrusted intermediates only, a root among them
 * included (a self-signed certificate sent by the client is no anchor).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/asn1.h>
#include <openssl/err.h>

#include "wa_internal.h"


#define WA_TRUST_KEY_ID_LEN  20     /* SHA-1 */


struct wa_trust_s {
    STACK_OF(X509)  *anchors;       /* the PEM bundles' certificates */
    wa_mds_t        *mds;
};


/* the static details of a status that refuses a model */

typedef struct {
    const char  *status;
    const char  *detail;
} wa_trust_refusal_t;


static wa_err_t wa_trust_verify(const wa_trust_t *t, STACK_OF(X509) *x5c,
    STACK_OF(X509) *roots, int64_t now_s, const char **detail);
static int wa_trust_store_add(X509_STORE *store, STACK_OF(X509) *sk);
static int wa_trust_key_id(X509 *cert, unsigned char *id);
static void wa_trust_cert_item(X509 *cert, int kind, wa_trust_item_t *item);
static int64_t wa_trust_time(const ASN1_TIME *t);


static const wa_trust_refusal_t  wa_trust_refusals[] = {
    { "REVOKED",
      "authenticator model is refused by the metadata service: REVOKED" },
    { "USER_VERIFICATION_BYPASS",
      "authenticator model is refused by the metadata service: "
      "USER_VERIFICATION_BYPASS" },
    { "ATTESTATION_KEY_COMPROMISE",
      "authenticator model is refused by the metadata service: "
      "ATTESTATION_KEY_COMPROMISE" },
    { "USER_KEY_REMOTE_COMPROMISE",
      "authenticator model is refused by the metadata service: "
      "USER_KEY_REMOTE_COMPROMISE" },
    { "USER_KEY_PHYSICAL_COMPROMISE",
      "authenticator model is refused by the metadata service: "
      "USER_KEY_PHYSICAL_COMPROMISE" }
};


#define WA_TRUST_NREFUSALS                                                    \
    (sizeof(wa_trust_refusals) / sizeof(wa_trust_refusals[0]))


static const unsigned char  wa_trust_zero_aaguid[16];


wa_trust_t *
wa_trust_new(void)
{
    wa_trust_t  *t;

    t = calloc(1, sizeof(wa_trust_t));
    if (t == NULL) {
        return NULL;
    }

    t->anchors = sk_X509_new_null();
    if (t->anchors == NULL) {
        free(t);
        return NULL;
    }

    return t;
}


void
wa_trust_free(wa_trust_t *t)
{
    if (t == NULL) {
        return;
    }

    sk_X509_pop_free(t->anchors, X509_free);
    wa_mds_free(t->mds);
    free(t);
}


wa_err_t
wa_trust_add_pem(wa_trust_t *t, const unsigned char *pem, size_t len,
    const char **detail)
{
    int              i, n;
    wa_err_t         rc;
    STACK_OF(X509)  *sk;

    rc = wa_x509_pem(pem, len, (void **) &sk, detail);
    if (rc != WA_OK) {
        return rc;
    }

    /* all or nothing */

    n = sk_X509_num(sk);

    if (sk_X509_reserve(t->anchors, sk_X509_num(t->anchors) + n) != 1) {
        sk_X509_pop_free(sk, X509_free);
        wa_set_detail(detail, "sk_X509_reserve() failed");
        return WA_ERR_INTERNAL;
    }

    for (i = 0; i < n; i++) {
        (void) sk_X509_push(t->anchors, sk_X509_value(sk, i));
    }

    sk_X509_free(sk);

    return WA_OK;
}


wa_err_t
wa_trust_add_mds(wa_trust_t *t, const unsigned char *blob, size_t len,
    const unsigned char *root_pem, size_t root_len, int64_t now_s,
    const char **detail)
{
    if (t->mds != NULL) {
        wa_set_detail(detail, "an MDS BLOB is already loaded");
        return WA_ERR_INTERNAL;
    }

    return wa_mds_load(&t->mds, blob, len, root_pem, root_len, now_s,
                       detail);
}


/* the anchors, then the BLOB and its signer */

size_t
wa_trust_count(const wa_trust_t *t)
{
    if (t == NULL) {
        return 0;
    }

    return (size_t) sk_X509_num(t->anchors) + (t->mds != NULL ? 2 : 0);
}


int
wa_trust_item(const wa_trust_t *t, size_t i, wa_trust_item_t *item)
{
    size_t   n, entries;
    int64_t  no, next;

    if (i >= wa_trust_count(t)) {
        return -1;
    }

    memset(item, 0, sizeof(wa_trust_item_t));

    n = (size_t) sk_X509_num(t->anchors);

    if (i < n) {
        wa_trust_cert_item(sk_X509_value(t->anchors, (int) i),
                           WA_TRUST_ANCHOR, item);
        return 0;
    }

    if (i == n) {
        wa_mds_info(t->mds, &no, &next, &entries);

        item->kind = WA_TRUST_MDS_BLOB;
        (void) snprintf(item->subject, sizeof(item->subject),
                        "FIDO MDS BLOB %lld", (long long) no);
        item->not_after = next;
        item->entries = entries;

        return 0;
    }

    wa_trust_cert_item(wa_mds_signer(t->mds), WA_TRUST_MDS_SIGNER, item);

    return 0;
}


/* WebAuthn L3, 7.1, steps 22-23 */

wa_err_t
wa_trust_check(const wa_trust_t *t, const wa_att_out_t *out,
    const unsigned char aaguid[16], const wa_reg_policy_t *policy,
    const char **detail)
{
    size_t           i, k;
    void            *roots;
    X509            *cert;
    const char      *refused;
    unsigned char    key_id[WA_TRUST_KEY_ID_LEN];
    STACK_OF(X509)  *x5c;

    if (out->type == WA_ATT_TYPE_SELF) {
        wa_set_detail(detail, "self attestation is never trusted");
        return WA_ERR_ATTESTATION_UNTRUSTED;
    }

    x5c = out->x5c;

    if (out->type != WA_ATT_TYPE_X5C || x5c == NULL || sk_X509_num(x5c) < 1)
    {
        wa_set_detail(detail, "no attestation to trust");
        return WA_ERR_ATTESTATION_UNTRUSTED;
    }

    if (t == NULL) {
        wa_set_detail(detail, "no trust anchors configured");
        return WA_ERR_INTERNAL;
    }

    /* the relying party's own allow-list of models */

    if (policy->aaguid_allow != NULL) {
        for (i = 0; i < policy->naaguid_allow; i++) {
            if (memcmp(&policy->aaguid_allow[i * 16], aaguid, 16) == 0) {
                break;
            }
        }

        if (i == policy->naaguid_allow) {
            wa_set_detail(detail, "AAGUID is not in webauthn_aaguid_allow");
            return WA_ERR_ATTESTATION_UNTRUSTED;
        }
    }

    /*
     * 7.1, step 22: the model's metadata, by AAGUID, or for U2F models
     * (a zero AAGUID) by attestationCertificateKeyIdentifiers: the SHA-1
     * of the attestation certificate's subjectPublicKey (RFC 5280,
     * 4.2.1.2, method 1)
     */

    roots = NULL;
    refused = NULL;

    if (t->mds != NULL) {
        cert = sk_X509_value(x5c, 0);

        if (memcmp(aaguid, wa_trust_zero_aaguid, 16) != 0) {
            (void) wa_mds_find(t->mds, aaguid, NULL, &roots, &refused);

        } else {
            if (wa_trust_key_id(cert, key_id) != 0) {
                wa_set_detail(detail, "EVP_Digest() failed");
                return WA_ERR_INTERNAL;
            }

            (void) wa_mds_find(t->mds, NULL, key_id, &roots, &refused);
        }
    }

    if (refused != NULL) {
        for (k = 0; k < WA_TRUST_NREFUSALS; k++) {
            if (strcmp(refused, wa_trust_refusals[k].status) == 0) {
                wa_set_detail(detail, wa_trust_refusals[k].detail);
                return WA_ERR_ATTESTATION_UNTRUSTED;
            }
        }

        wa_set_detail(detail, "authenticator model is refused by the "
                              "metadata service");
        return WA_ERR_ATTESTATION_UNTRUSTED;
    }

    /* 7.1, step 23: the union of the bundle and the entry's roots */

    return wa_trust_verify(t, x5c, roots, policy->now_s, detail);
}


static wa_err_t
wa_trust_verify(const wa_trust_t *t, STACK_OF(X509) *x5c,
    STACK_OF(X509) *roots, int64_t now_s, const char **detail)
{
    int          rc, err;
    X509_STORE  *store;

    store = X509_STORE_new();
    if (store == NULL) {
        wa_set_detail(detail, "X509_STORE_new() failed");
        return WA_ERR_INTERNAL;
    }

    if (wa_trust_store_add(store, t->anchors) != 0
        || (roots != NULL && wa_trust_store_add(store, roots) != 0))
    {
        X509_STORE_free(store);
        wa_set_detail(detail, "X509_STORE_add_cert() failed");
        return WA_ERR_INTERNAL;
    }

    /*
     * an anchor may be an intermediate (an MDS entry's roots often are);
     * validity at the caller's clock
     */

    rc = wa_x509_path(store, x5c, now_s, X509_V_FLAG_PARTIAL_CHAIN, &err);
    X509_STORE_free(store);

    if (rc == 1) {
        return WA_OK;
    }

    if (rc < 0) {
        wa_set_detail(detail, "X509_verify_cert() failed");
        return WA_ERR_INTERNAL;
    }

    switch (err) {

    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        wa_set_detail(detail, "attestation certificate has expired or is "
                              "not yet valid");
        break;

    case X509_V_ERR_INVALID_CA:
        wa_set_detail(detail, "attestation chain has an intermediate that "
                              "is not a CA");
        break;

    default:
        wa_set_detail(detail, "attestation chain does not lead to a "
                              "configured trust anchor");
        break;
    }

    return WA_ERR_ATTESTATION_UNTRUSTED;
}


static int
wa_trust_store_add(X509_STORE *store, STACK_OF(X509) *sk)
{
    int  i, n;

    n = sk_X509_num(sk);

    for (i = 0; i < n; i++) {
        /* a certificate already there (bundle and MDS both) is fine */

        if (X509_STORE_add_cert(store, sk_X509_value(sk, i)) != 1) {
            return -1;
        }
    }

    return 0;
}


/*
 * MDS 3.0, "attestationCertificateKeyIdentifiers": the SHA-1 of the
 * subjectPublicKey BIT STRING's bytes (RFC 5280, 4.2.1.2, method 1)
 */

static int
wa_trust_key_id(X509 *cert, unsigned char *id)
{
    unsigned int            len;
    const ASN1_BIT_STRING  *bits;

    bits = X509_get0_pubkey_bitstr(cert);

    if (bits == NULL
        || EVP_Digest(ASN1_STRING_get0_data(bits), ASN1_STRING_length(bits),
                      id, &len, EVP_sha1(), NULL)
           != 1
        || len != WA_TRUST_KEY_ID_LEN)
    {
        return -1;
    }

    return 0;
}


static void
wa_trust_cert_item(X509 *cert, int kind, wa_trust_item_t *item)
{
    int   n;
    BIO  *bio;

    item->kind = kind;
    item->subject[0] = '\0';

    bio = BIO_new(BIO_s_mem());

    if (bio == NULL
        || X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                              XN_FLAG_RFC2253)
           < 0)
    {
        ERR_clear_error();

    } else {
        n = BIO_read(bio, item->subject, sizeof(item->subject) - 1);
        item->subject[n > 0 ? n : 0] = '\0';
    }

    BIO_free(bio);

    item->not_before = wa_trust_time(X509_get0_notBefore(cert));
    item->not_after = wa_trust_time(X509_get0_notAfter(cert));
}


/* seconds since the epoch without timegm(): a difference from 1970 */

static int64_t
wa_trust_time(const ASN1_TIME *t)
{
    int         day, sec;
    ASN1_TIME  *epoch;

    epoch = ASN1_TIME_set(NULL, 0);

    if (epoch == NULL || ASN1_TIME_diff(&day, &sec, epoch, t) != 1) {
        ASN1_TIME_free(epoch);
        ERR_clear_error();
        return 0;
    }

    ASN1_TIME_free(epoch);

    return (int64_t) day * 86400 + sec;
}
