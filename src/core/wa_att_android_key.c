
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The "android-key" attestation statement format, WebAuthn L3, 8.4: the
 * key attestation extension (KeyDescription, Android "Key and ID
 * attestation", certificate schema) is decoded by OpenSSL's ASN.1
 * templates; the authorization lists are kept as SEQUENCEs of ANY, each
 * member a context-specific tag read with ASN1_get_object(), so that
 * tags added by later KeyMint versions need nothing here.
 */


#include <string.h>

#include <cbor.h>
#include <openssl/x509.h>
#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/err.h>

#include "wa_internal.h"


#define WA_OID_ANDROID_KEY_DESCRIPTION  "1.3.6.1.4.1.11129.2.1.17"

/* AuthorizationList tags, and their values used here (KeyMint Tag.aidl) */
#define WA_KM_TAG_PURPOSE               1
#define WA_KM_TAG_ALL_APPLICATIONS      600
#define WA_KM_TAG_ORIGIN                702

#define WA_KM_PURPOSE_SIGN              2
#define WA_KM_ORIGIN_GENERATED          0


/*
 * KeyDescription ::= SEQUENCE {
 *     attestationVersion         INTEGER,
 *     attestationSecurityLevel   SecurityLevel,    -- ENUMERATED
 *     keyMintVersion             INTEGER,
 *     keyMintSecurityLevel       SecurityLevel,
 *     attestationChallenge       OCTET STRING,
 *     uniqueId                   OCTET STRING,
 *     softwareEnforced           AuthorizationList,
 *     hardwareEnforced           AuthorizationList }
 *
 * (teeEnforced in the attestation versions before KeyMint)
 */

typedef struct {
    ASN1_INTEGER         *attestation_version;
    ASN1_ENUMERATED      *attestation_security_level;
    ASN1_INTEGER         *keymint_version;
    ASN1_ENUMERATED      *keymint_security_level;
    ASN1_OCTET_STRING    *attestation_challenge;
    ASN1_OCTET_STRING    *unique_id;
    STACK_OF(ASN1_TYPE)  *software_enforced;
    STACK_OF(ASN1_TYPE)  *tee_enforced;
} wa_android_key_desc_t;


/* what 8.4 reads of the two authorization lists together */

typedef struct {
    int                   all_applications;
    int                   origin_other;     /* one not KM_ORIGIN_GENERATED */
    int                   purposes;         /* purpose tags seen */
    int                   purpose_sign;     /* KM_PURPOSE_SIGN among them */
} wa_android_auth_t;


static int wa_att_android_key_list(STACK_OF(ASN1_TYPE) *list,
    wa_android_auth_t *auth);
static int wa_att_android_key_origin(const unsigned char *p, long len,
    wa_android_auth_t *auth);
static int wa_att_android_key_purpose(const unsigned char *p, long len,
    wa_android_auth_t *auth);


ASN1_SEQUENCE(wa_android_key_desc) = {
    ASN1_SIMPLE(wa_android_key_desc_t, attestation_version, ASN1_INTEGER),
    ASN1_SIMPLE(wa_android_key_desc_t, attestation_security_level,
                ASN1_ENUMERATED),
    ASN1_SIMPLE(wa_android_key_desc_t, keymint_version, ASN1_INTEGER),
    ASN1_SIMPLE(wa_android_key_desc_t, keymint_security_level,
                ASN1_ENUMERATED),
    ASN1_SIMPLE(wa_android_key_desc_t, attestation_challenge,
                ASN1_OCTET_STRING),
    ASN1_SIMPLE(wa_android_key_desc_t, unique_id, ASN1_OCTET_STRING),
    ASN1_SEQUENCE_OF(wa_android_key_desc_t, software_enforced, ASN1_ANY),
    ASN1_SEQUENCE_OF(wa_android_key_desc_t, tee_enforced, ASN1_ANY)
} static_ASN1_SEQUENCE_END_name(wa_android_key_desc_t, wa_android_key_desc)


wa_err_t
wa_att_android_key(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail)
{
    int                     rc;
    X509                   *cert;
    size_t                  lens[2], sig_len;
    int64_t                 alg;
    wa_err_t                err;
    wa_android_auth_t       auth;
    const unsigned char    *parts[2], *sig;
    wa_android_key_desc_t  *desc;

    /* WebAuthn L3, 8.4, verification procedure: attStmt is {alg, sig, x5c} */

    if (wa_cbor_int(wa_cbor_map_get(in->att_stmt, "alg"), &alg) != 0
        || alg < INT32_MIN || alg > INT32_MAX)
    {
        wa_set_detail(detail, "\"android-key\" attestation statement has no "
                              "integer \"alg\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (wa_cbor_bytes(wa_cbor_map_get(in->att_stmt, "sig"), &sig, &sig_len)
        != 0)
    {
        wa_set_detail(detail, "\"android-key\" attestation statement has no "
                              "byte string \"sig\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    err = wa_x509_x5c(in->att_stmt, &out->x5c, detail);
    if (err != WA_OK) {
        return err;
    }

    if (out->x5c == NULL) {
        wa_set_detail(detail, "\"android-key\" attestation statement has no "
                              "\"x5c\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (alg == WA_COSE_ALG_RS1 && !in->policy->allow_sha1) {
        wa_set_detail(detail, "attestation signature uses SHA-1");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    cert = sk_X509_value((STACK_OF(X509) *) out->x5c, 0);

    /*
     * 8.4: sig over authenticatorData || clientDataHash with the key of
     * x5c[0] and alg
     */

    parts[0] = in->auth_data;
    lens[0] = in->auth_data_len;
    parts[1] = in->cdata_hash;
    lens[1] = WA_SHA256_LEN;

    err = wa_x509_verify(cert, (int) alg, parts, lens, 2, sig, sig_len,
                         detail);
    if (err != WA_OK) {
        return err;
    }

    /* 8.4: the public key of x5c[0] is the credential public key */

    err = wa_x509_key_is(cert, in->cred_key, detail);
    if (err != WA_OK) {
        return err;
    }

    /* 8.4.1: the android key attestation certificate extension data */

    rc = wa_x509_ext_item(cert, WA_OID_ANDROID_KEY_DESCRIPTION,
                          ASN1_ITEM_rptr(wa_android_key_desc),
                          (void **) &desc);

    if (rc != 1) {
        wa_set_detail(detail, rc == 0
                              ? "attestation certificate has no android key "
                                "attestation extension"
                              : rc == -1
                              ? "attestation certificate has the android key "
                                "attestation extension twice"
                              : "android key attestation extension is not a "
                                "KeyDescription");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* 8.4: attestationChallenge is clientDataHash */

    if (ASN1_STRING_length(desc->attestation_challenge) != WA_SHA256_LEN
        || memcmp(ASN1_STRING_get0_data(desc->attestation_challenge),
                  in->cdata_hash, WA_SHA256_LEN)
           != 0)
    {
        err = WA_ERR_ATTESTATION_INVALID;
        wa_set_detail(detail, "android key attestation challenge is not the "
                              "client data hash");
        goto done;
    }

    /*
     * 8.4: the authorization lists.  This RP does not ask for keys of a
     * trusted execution environment only, so origin and purpose are read
     * in the union of teeEnforced and softwareEnforced, as 8.4 says for
     * that case: every origin present must be KM_ORIGIN_GENERATED, and
     * the purposes present must include KM_PURPOSE_SIGN.  Absent ones
     * are not required: the spec's own android-key test vector has both
     * lists empty (py_webauthn requires both in teeEnforced, purpose
     * exactly [SIGN]; SimpleWebAuthn checks neither).
     */

    memset(&auth, 0, sizeof(wa_android_auth_t));

    if (wa_att_android_key_list(desc->software_enforced, &auth) != 0
        || wa_att_android_key_list(desc->tee_enforced, &auth) != 0)
    {
        ERR_clear_error();
        err = WA_ERR_ATTESTATION_INVALID;
        wa_set_detail(detail, "android key attestation extension has a "
                              "malformed authorization list");
        goto done;
    }

    /*
     * "The AuthorizationList.allApplications field is not present on
     * either authorization list"
     */

    if (auth.all_applications) {
        err = WA_ERR_ATTESTATION_INVALID;
        wa_set_detail(detail, "android key attestation allows all "
                              "applications");
        goto done;
    }

    if (auth.origin_other) {
        err = WA_ERR_ATTESTATION_INVALID;
        wa_set_detail(detail, "android key attestation origin is not "
                              "KM_ORIGIN_GENERATED");
        goto done;
    }

    if (auth.purposes != 0 && !auth.purpose_sign) {
        err = WA_ERR_ATTESTATION_INVALID;
        wa_set_detail(detail, "android key attestation purpose is not "
                              "KM_PURPOSE_SIGN");
        goto done;
    }

    /* Basic, trust path x5c: wa_trust.c checks the chain */

    out->type = WA_ATT_TYPE_X5C;
    err = WA_OK;

done:

    ASN1_item_free((ASN1_VALUE *) desc, ASN1_ITEM_rptr(wa_android_key_desc));

    return err;
}


/*
 * An AuthorizationList: a SEQUENCE of [tag] EXPLICIT members, each kept
 * by the ANY template as its whole encoding (V_ASN1_OTHER).  Returns 0,
 * or -1 for a member that is not context-specific or not decodable.
 */

static int
wa_att_android_key_list(STACK_OF(ASN1_TYPE) *list, wa_android_auth_t *auth)
{
    int                   i, n, tag, xclass, rc;
    long                  len;
    ASN1_TYPE            *t;
    const unsigned char  *p, *start;

    n = sk_ASN1_TYPE_num(list);

    for (i = 0; i < n; i++) {
        t = sk_ASN1_TYPE_value(list, i);

        if (ASN1_TYPE_get(t) != V_ASN1_OTHER) {
            return -1;
        }

        start = ASN1_STRING_get0_data(t->value.asn1_string);
        p = start;

        rc = ASN1_get_object(&p, &len, &tag, &xclass,
                             ASN1_STRING_length(t->value.asn1_string));

        if ((rc & 0x80) || !(rc & V_ASN1_CONSTRUCTED)
            || xclass != V_ASN1_CONTEXT_SPECIFIC
            || p + len != start + ASN1_STRING_length(t->value.asn1_string))
        {
            return -1;
        }

        switch (tag) {

        case WA_KM_TAG_ALL_APPLICATIONS:
            auth->all_applications = 1;
            break;

        case WA_KM_TAG_ORIGIN:
            if (wa_att_android_key_origin(p, len, auth) != 0) {
                return -1;
            }
            break;

        case WA_KM_TAG_PURPOSE:
            if (wa_att_android_key_purpose(p, len, auth) != 0) {
                return -1;
            }
            break;

        default:
            break;
        }
    }

    return 0;
}


/* origin [702] EXPLICIT INTEGER */

static int
wa_att_android_key_origin(const unsigned char *p, long len,
    wa_android_auth_t *auth)
{
    int64_t               v;
    ASN1_INTEGER         *origin;
    const unsigned char  *q;

    q = p;
    origin = d2i_ASN1_INTEGER(NULL, &q, len);

    if (origin == NULL || q != p + len) {
        ASN1_INTEGER_free(origin);
        return -1;
    }

    if (ASN1_INTEGER_get_int64(&v, origin) != 1
        || v != WA_KM_ORIGIN_GENERATED)
    {
        auth->origin_other = 1;
    }

    ASN1_INTEGER_free(origin);

    return 0;
}


/* purpose [1] EXPLICIT SET OF INTEGER */

static int
wa_att_android_key_purpose(const unsigned char *p, long len,
    wa_android_auth_t *auth)
{
    int                   i, n, rc;
    int64_t               v;
    ASN1_TYPE            *t;
    ASN1_SEQUENCE_ANY    *set;
    const unsigned char  *q;

    q = p;
    set = d2i_ASN1_SET_ANY(NULL, &q, len);

    if (set == NULL || q != p + len) {
        sk_ASN1_TYPE_pop_free(set, ASN1_TYPE_free);
        return -1;
    }

    rc = 0;
    n = sk_ASN1_TYPE_num(set);

    for (i = 0; i < n; i++) {
        t = sk_ASN1_TYPE_value(set, i);

        if (ASN1_TYPE_get(t) != V_ASN1_INTEGER) {
            rc = -1;
            break;
        }

        if (ASN1_INTEGER_get_int64(&v, t->value.integer) == 1
            && v == WA_KM_PURPOSE_SIGN)
        {
            auth->purpose_sign = 1;
        }
    }

    auth->purposes++;

    sk_ASN1_TYPE_pop_free(set, ASN1_TYPE_free);

    return rc;
}
