
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The "tpm" attestation statement format, WebAuthn L3, 8.3: the TPM 2.0
 * structures TPMT_PUBLIC (pubArea) and TPMS_ATTEST (certInfo), TPM 2.0
 * Library Part 2, 12.2.4 and 10.12.8, are read here big endian as the
 * TPM marshals them; the AIK certificate rules are 8.3.1's.
 */


#include <string.h>

#include <cbor.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/objects.h>
#include <openssl/evp.h>
#include <openssl/err.h>

#include "wa_internal.h"


/* TPM 2.0 Library Part 2: constants (6.2, 6.3, 6.4, 6.9) */
#define WA_TPM_GENERATED_VALUE    0xff544347
#define WA_TPM_ST_ATTEST_CERTIFY  0x8017

#define WA_TPM_ALG_RSA            0x0001
#define WA_TPM_ALG_SHA1           0x0004
#define WA_TPM_ALG_SHA256         0x000b
#define WA_TPM_ALG_SHA384         0x000c
#define WA_TPM_ALG_SHA512         0x000d
#define WA_TPM_ALG_NULL           0x0010
#define WA_TPM_ALG_RSASSA         0x0014
#define WA_TPM_ALG_RSAPSS         0x0016
#define WA_TPM_ALG_ECDSA          0x0018
#define WA_TPM_ALG_ECC            0x0023

#define WA_TPM_ECC_NIST_P256      0x0003
#define WA_TPM_ECC_NIST_P384      0x0004
#define WA_TPM_ECC_NIST_P521      0x0005

/* TPMS_CLOCK_INFO (10.11.1): clock, resetCount, restartCount, safe */
#define WA_TPM_CLOCK_INFO_LEN     (8 + 4 + 4 + 1)
#define WA_TPM_FIRMWARE_LEN       8

#define WA_TPM_EC_COORD_MAX       66
#define WA_TPM_NAME_MAX           (2 + EVP_MAX_MD_SIZE)


/* a cursor over a marshalled TPM structure */

typedef struct {
    const unsigned char  *pos;
    const unsigned char  *last;
} wa_tpm_buf_t;


/* TPMT_PUBLIC, the members 8.3 uses */

typedef struct {
    unsigned              type;           /* TPM_ALG_RSA or TPM_ALG_ECC */
    unsigned              name_alg;
    unsigned              key_bits;       /* RSA */
    uint32_t              exponent;       /* RSA, 0: 65537 */
    unsigned              curve;          /* ECC */
    const unsigned char  *n;              /* RSA: unique */
    size_t                n_len;
    const unsigned char  *x;              /* ECC: unique */
    size_t                x_len;
    const unsigned char  *y;
    size_t                y_len;
} wa_tpm_public_t;


/* TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY, the members 8.3 uses */

typedef struct {
    uint32_t              magic;
    unsigned              type;
    const unsigned char  *extra_data;
    size_t                extra_data_len;
    const unsigned char  *name;           /* attested.name */
    size_t                name_len;
} wa_tpm_attest_t;


static int wa_att_tpm_u16(wa_tpm_buf_t *b, unsigned *v);
static int wa_att_tpm_u32(wa_tpm_buf_t *b, uint32_t *v);
static int wa_att_tpm_2b(wa_tpm_buf_t *b, const unsigned char **p,
    size_t *len);
static int wa_att_tpm_skip(wa_tpm_buf_t *b, size_t n);
static wa_err_t wa_att_tpm_public(wa_tpm_public_t *pub,
    const unsigned char *p, size_t len, const char **detail);
static int wa_att_tpm_attest(wa_tpm_attest_t *att, const unsigned char *p,
    size_t len);
static const EVP_MD *wa_att_tpm_name_md(unsigned alg);
static wa_err_t wa_att_tpm_key(const wa_tpm_public_t *pub,
    const wa_pkey_t *cred_key, const char **detail);
static wa_err_t wa_att_tpm_cert(X509 *cert, const unsigned char *aaguid,
    const char **detail);
static int wa_att_tpm_oid(const ASN1_OBJECT *obj, const unsigned char *der,
    size_t len);
static wa_err_t wa_att_tpm_san(X509 *cert, const char **detail);


/*
 * DER contents of the OIDs 8.3.1 names: tcg-at-tpmManufacturer,
 * tcg-at-tpmModel, tcg-at-tpmVersion (2.23.133.2.1 to 3, TCG EK
 * Credential Profile, 3.2.9) and tcg-kp-AIKCertificate (2.23.133.8.3)
 */

static const unsigned char  wa_tpm_oid_manufacturer[] = {
    0x67, 0x81, 0x05, 0x02, 0x01
};
static const unsigned char  wa_tpm_oid_model[] = {
    0x67, 0x81, 0x05, 0x02, 0x02
};
static const unsigned char  wa_tpm_oid_version[] = {
    0x67, 0x81, 0x05, 0x02, 0x03
};
static const unsigned char  wa_tpm_oid_aik_certificate[] = {
    0x67, 0x81, 0x05, 0x08, 0x03
};


wa_err_t
wa_att_tpm(const wa_att_in_t *in, wa_att_out_t *out, const char **detail)
{
    size_t                lens[2], sig_len, cert_info_len, pub_area_len;
    int64_t               alg;
    unsigned              hlen;
    wa_err_t              err;
    cbor_item_t          *ver;
    const EVP_MD         *md;
    STACK_OF(X509)       *x5c;
    wa_tpm_attest_t       att;
    wa_tpm_public_t       pub;
    unsigned char         hash[WA_TPM_NAME_MAX];
    const unsigned char  *parts[2], *sig, *cert_info, *pub_area;

    /*
     * WebAuthn L3, 8.3, verification procedure: attStmt is
     * {ver: "2.0", alg, x5c, sig, certInfo, pubArea}
     */

    ver = wa_cbor_map_get(in->att_stmt, "ver");

    if (ver == NULL || !cbor_isa_string(ver) || !cbor_string_is_definite(ver)
        || cbor_string_length(ver) != 3
        || memcmp(cbor_string_handle(ver), "2.0", 3) != 0)
    {
        wa_set_detail(detail, "\"tpm\" attestation statement \"ver\" is "
                              "not \"2.0\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (wa_cbor_int(wa_cbor_map_get(in->att_stmt, "alg"), &alg) != 0
        || alg < INT32_MIN || alg > INT32_MAX)
    {
        wa_set_detail(detail, "\"tpm\" attestation statement has no "
                              "integer \"alg\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (wa_cbor_bytes(wa_cbor_map_get(in->att_stmt, "sig"), &sig, &sig_len)
        != 0)
    {
        wa_set_detail(detail, "\"tpm\" attestation statement has no "
                              "byte string \"sig\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (wa_cbor_bytes(wa_cbor_map_get(in->att_stmt, "certInfo"),
                      &cert_info, &cert_info_len)
        != 0)
    {
        wa_set_detail(detail, "\"tpm\" attestation statement has no "
                              "byte string \"certInfo\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    if (wa_cbor_bytes(wa_cbor_map_get(in->att_stmt, "pubArea"),
                      &pub_area, &pub_area_len)
        != 0)
    {
        wa_set_detail(detail, "\"tpm\" attestation statement has no "
                              "byte string \"pubArea\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    /* ECDAA is gone from WebAuthn L3 */

    if (wa_cbor_map_get(in->att_stmt, "ecdaaKeyId") != NULL) {
        wa_set_detail(detail, "\"tpm\" ECDAA attestation is not supported");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    err = wa_x509_x5c(in->att_stmt, &out->x5c, detail);
    if (err != WA_OK) {
        return err;
    }

    /* 8.3, verification procedure: "Verify that x5c is present" */

    if (out->x5c == NULL) {
        wa_set_detail(detail, "\"tpm\" attestation statement has no "
                              "\"x5c\"");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    x5c = out->x5c;

    if (alg == WA_COSE_ALG_RS1 && !in->policy->allow_sha1) {
        wa_set_detail(detail, "attestation signature uses SHA-1");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    /* extraData is a digest with alg's hash: EdDSA has none */

    md = wa_pkey_alg_md((int) alg);
    if (md == NULL) {
        wa_set_detail(detail, "attestation statement has an unsupported "
                              "\"alg\"");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    err = wa_att_tpm_public(&pub, pub_area, pub_area_len, detail);
    if (err != WA_OK) {
        return err;
    }

    if (wa_att_tpm_attest(&att, cert_info, cert_info_len) != 0) {
        wa_set_detail(detail, "\"tpm\" certInfo is not a TPMS_ATTEST "
                              "structure of a certification");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    /* the Name's hash (below) */

    if (wa_att_tpm_name_md(pub.name_alg) == NULL) {
        wa_set_detail(detail, "\"tpm\" pubArea nameAlg is not supported");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    if (pub.name_alg == WA_TPM_ALG_SHA1 && !in->policy->allow_sha1) {
        wa_set_detail(detail, "\"tpm\" pubArea nameAlg is SHA-1");
        return WA_ERR_ALGORITHM_UNSUPPORTED;
    }

    /*
     * 8.3: "Verify that the public key specified by the parameters and
     * unique fields of pubArea is identical to the credentialPublicKey"
     */

    err = wa_att_tpm_key(&pub, in->cred_key, detail);
    if (err != WA_OK) {
        return err;
    }

    /* 8.3, "Verify integrity of certInfo": the AIK certificate, 8.3.1 */

    err = wa_att_tpm_cert(sk_X509_value(x5c, 0), in->ad->aaguid, detail);
    if (err != WA_OK) {
        return err;
    }

    /* 8.3: sig over certInfo with aikCert's key and alg */

    parts[0] = cert_info;
    lens[0] = cert_info_len;

    err = wa_x509_verify(sk_X509_value(x5c, 0), (int) alg, parts, lens, 1,
                         sig, sig_len, detail);
    if (err != WA_OK) {
        return err;
    }

    /* 8.3, "Validate that certInfo is valid": magic and type */

    if (att.magic != WA_TPM_GENERATED_VALUE) {
        wa_set_detail(detail, "\"tpm\" certInfo magic is not "
                              "TPM_GENERATED_VALUE");
        return WA_ERR_ATTESTATION_INVALID;
    }

    if (att.type != WA_TPM_ST_ATTEST_CERTIFY) {
        wa_set_detail(detail, "\"tpm\" certInfo type is not "
                              "TPM_ST_ATTEST_CERTIFY");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* extraData: the hash of attToBeSigned with alg's hash */

    parts[0] = in->auth_data;
    lens[0] = in->auth_data_len;
    parts[1] = in->cdata_hash;
    lens[1] = WA_SHA256_LEN;

    err = wa_digest_parts(md, parts, lens, 2, hash, &hlen, detail);
    if (err != WA_OK) {
        return err;
    }

    if (att.extra_data_len != hlen
        || memcmp(att.extra_data, hash, hlen) != 0)
    {
        wa_set_detail(detail, "\"tpm\" certInfo extraData is not the hash "
                              "of the authenticator and client data");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /*
     * attested.name: a Name of pubArea, TPM 2.0 Library Part 1, 16:
     * nameAlg (2 bytes, big endian) || H_nameAlg(pubArea)
     */

    md = wa_att_tpm_name_md(pub.name_alg);

    hash[0] = (unsigned char) (pub.name_alg >> 8);
    hash[1] = (unsigned char) pub.name_alg;

    parts[0] = pub_area;
    lens[0] = pub_area_len;

    err = wa_digest_parts(md, parts, lens, 1, &hash[2], &hlen, detail);
    if (err != WA_OK) {
        return err;
    }

    if (att.name_len != 2 + (size_t) hlen
        || memcmp(att.name, hash, 2 + (size_t) hlen) != 0)
    {
        wa_set_detail(detail, "\"tpm\" certInfo attested name is not the "
                              "name of pubArea");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* AttCA, trust path x5c: wa_trust.c checks the chain */

    out->type = WA_ATT_TYPE_X5C;

    return WA_OK;
}


/* TPM 2.0 Library Part 1: integers are marshalled big endian */

static int
wa_att_tpm_u16(wa_tpm_buf_t *b, unsigned *v)
{
    if (b->last - b->pos < 2) {
        return -1;
    }

    *v = ((unsigned) b->pos[0] << 8) | b->pos[1];
    b->pos += 2;

    return 0;
}


static int
wa_att_tpm_u32(wa_tpm_buf_t *b, uint32_t *v)
{
    if (b->last - b->pos < 4) {
        return -1;
    }

    *v = ((uint32_t) b->pos[0] << 24) | ((uint32_t) b->pos[1] << 16)
         | ((uint32_t) b->pos[2] << 8) | b->pos[3];
    b->pos += 4;

    return 0;
}


/* a TPM2B_*: a 2 byte size and that many bytes */

static int
wa_att_tpm_2b(wa_tpm_buf_t *b, const unsigned char **p, size_t *len)
{
    unsigned  n;

    if (wa_att_tpm_u16(b, &n) != 0 || (size_t) (b->last - b->pos) < n) {
        return -1;
    }

    *p = b->pos;
    *len = n;
    b->pos += n;

    return 0;
}


static int
wa_att_tpm_skip(wa_tpm_buf_t *b, size_t n)
{
    if ((size_t) (b->last - b->pos) < n) {
        return -1;
    }

    b->pos += n;

    return 0;
}


/*
 * TPMT_PUBLIC (Part 2, 12.2.4): type, nameAlg, objectAttributes,
 * authPolicy, parameters (TPMS_RSA_PARMS, 12.2.3.5, or TPMS_ECC_PARMS,
 * 12.2.3.6), unique (TPM2B_PUBLIC_KEY_RSA or TPMS_ECC_POINT), and
 * nothing after.  A credential key signs, unrestricted: its symmetric
 * algorithm is TPM_ALG_NULL and its scheme, when set, a signing scheme
 * with a hash (TPMS_SCHEME_HASH).
 */

static wa_err_t
wa_att_tpm_public(wa_tpm_public_t *pub, const unsigned char *p, size_t len,
    const char **detail)
{
    int                   signing;
    unsigned              sym, scheme, hash, kdf;
    uint32_t              attributes;
    size_t                policy_len;
    wa_tpm_buf_t          b;
    const unsigned char  *policy;

    memset(pub, 0, sizeof(wa_tpm_public_t));

    b.pos = p;
    b.last = p + len;

    if (wa_att_tpm_u16(&b, &pub->type) != 0
        || wa_att_tpm_u16(&b, &pub->name_alg) != 0
        || wa_att_tpm_u32(&b, &attributes) != 0
        || wa_att_tpm_2b(&b, &policy, &policy_len) != 0
        || wa_att_tpm_u16(&b, &sym) != 0
        || wa_att_tpm_u16(&b, &scheme) != 0)
    {
        goto malformed;
    }

    if (pub->type != WA_TPM_ALG_RSA && pub->type != WA_TPM_ALG_ECC) {
        wa_set_detail(detail, "\"tpm\" pubArea is neither an RSA nor an "
                              "ECC key");
        return WA_ERR_ATTESTATION_INVALID;
    }

    switch (scheme) {
    case WA_TPM_ALG_NULL:
        signing = 1;
        break;
    case WA_TPM_ALG_RSASSA:
    case WA_TPM_ALG_RSAPSS:
        signing = (pub->type == WA_TPM_ALG_RSA);
        break;
    case WA_TPM_ALG_ECDSA:
        signing = (pub->type == WA_TPM_ALG_ECC);
        break;
    default:
        signing = 0;
        break;
    }

    if (sym != WA_TPM_ALG_NULL || !signing) {
        wa_set_detail(detail, "\"tpm\" pubArea is not an unrestricted "
                              "signing key");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* the scheme's details: TPMS_SCHEME_HASH, a hashAlg */

    if (scheme != WA_TPM_ALG_NULL && wa_att_tpm_u16(&b, &hash) != 0) {
        goto malformed;
    }

    if (pub->type == WA_TPM_ALG_RSA) {

        /* TPMS_RSA_PARMS: keyBits, exponent; unique: the modulus */

        if (wa_att_tpm_u16(&b, &pub->key_bits) != 0
            || wa_att_tpm_u32(&b, &pub->exponent) != 0
            || wa_att_tpm_2b(&b, &pub->n, &pub->n_len) != 0)
        {
            goto malformed;
        }

        if (pub->n_len * 8 != pub->key_bits) {
            wa_set_detail(detail, "\"tpm\" pubArea modulus is not keyBits "
                                  "long");
            return WA_ERR_ATTESTATION_INVALID;
        }

    } else {

        /* TPMS_ECC_PARMS: curveID, kdf; unique: x, y */

        if (wa_att_tpm_u16(&b, &pub->curve) != 0
            || wa_att_tpm_u16(&b, &kdf) != 0
            || (kdf != WA_TPM_ALG_NULL && wa_att_tpm_u16(&b, &hash) != 0)
            || wa_att_tpm_2b(&b, &pub->x, &pub->x_len) != 0
            || wa_att_tpm_2b(&b, &pub->y, &pub->y_len) != 0)
        {
            goto malformed;
        }
    }

    if (b.pos != b.last) {
        goto malformed;
    }

    return WA_OK;

malformed:

    wa_set_detail(detail, "\"tpm\" pubArea is not a TPMT_PUBLIC structure");
    return WA_ERR_ATTESTATION_MALFORMED;
}


/*
 * TPMS_ATTEST (Part 2, 10.12.8): magic, type, qualifiedSigner,
 * extraData, clockInfo, firmwareVersion, attested; for
 * TPM_ST_ATTEST_CERTIFY attested is TPMS_CERTIFY_INFO (10.12.3): name,
 * qualifiedName.  qualifiedSigner, clockInfo and firmwareVersion are
 * ignored, as 8.3 says.  Other types are read up to extraData, for 8.3
 * to refuse them by their type.
 */

static int
wa_att_tpm_attest(wa_tpm_attest_t *att, const unsigned char *p, size_t len)
{
    size_t                signer_len, qname_len;
    wa_tpm_buf_t          b;
    const unsigned char  *signer, *qname;

    memset(att, 0, sizeof(wa_tpm_attest_t));

    b.pos = p;
    b.last = p + len;

    if (wa_att_tpm_u32(&b, &att->magic) != 0
        || wa_att_tpm_u16(&b, &att->type) != 0
        || wa_att_tpm_2b(&b, &signer, &signer_len) != 0
        || wa_att_tpm_2b(&b, &att->extra_data, &att->extra_data_len) != 0)
    {
        return -1;
    }

    if (att->magic != WA_TPM_GENERATED_VALUE
        || att->type != WA_TPM_ST_ATTEST_CERTIFY)
    {
        return 0;
    }

    if (wa_att_tpm_skip(&b, WA_TPM_CLOCK_INFO_LEN + WA_TPM_FIRMWARE_LEN)
        != 0
        || wa_att_tpm_2b(&b, &att->name, &att->name_len) != 0
        || wa_att_tpm_2b(&b, &qname, &qname_len) != 0
        || b.pos != b.last)
    {
        return -1;
    }

    return 0;
}


/* TPM_ALG_ID of a hash (Part 2, 6.3) to its digest */

static const EVP_MD *
wa_att_tpm_name_md(unsigned alg)
{
    switch (alg) {
    case WA_TPM_ALG_SHA1:
        return EVP_sha1();
    case WA_TPM_ALG_SHA256:
        return EVP_sha256();
    case WA_TPM_ALG_SHA384:
        return EVP_sha384();
    case WA_TPM_ALG_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}


/*
 * pubArea's key against the credential public key: the key is built
 * from parameters and unique (RSA: an exponent of 0 is 65537, Part 2,
 * 12.2.3.5; ECC: coordinates padded to the curve's size) and compared
 * with EVP_PKEY_eq()
 */

static wa_err_t
wa_att_tpm_key(const wa_tpm_public_t *pub, const wa_pkey_t *cred_key,
    const char **detail)
{
    int             alg, crv, eq;
    size_t          flen;
    wa_err_t        err;
    wa_pkey_t      *key;
    const char     *ignored;
    unsigned char   e[4], x[WA_TPM_EC_COORD_MAX], y[WA_TPM_EC_COORD_MAX];

    key = NULL;
    ignored = "wa_pkey_rsa() failed";

    if (pub->type == WA_TPM_ALG_RSA) {
        e[0] = (unsigned char) (pub->exponent >> 24);
        e[1] = (unsigned char) (pub->exponent >> 16);
        e[2] = (unsigned char) (pub->exponent >> 8);
        e[3] = (unsigned char) pub->exponent;

        if (pub->exponent == 0) {
            e[1] = 0x01;
            e[3] = 0x01;
        }

        err = wa_pkey_rsa(&key, WA_COSE_ALG_RS256, pub->n, pub->n_len, e, 4,
                          &ignored);

    } else {
        switch (pub->curve) {
        case WA_TPM_ECC_NIST_P256:
            alg = WA_COSE_ALG_ES256;
            crv = WA_COSE_CRV_P256;
            flen = 32;
            break;
        case WA_TPM_ECC_NIST_P384:
            alg = WA_COSE_ALG_ES384;
            crv = WA_COSE_CRV_P384;
            flen = 48;
            break;
        case WA_TPM_ECC_NIST_P521:
            alg = WA_COSE_ALG_ES512;
            crv = WA_COSE_CRV_P521;
            flen = 66;
            break;
        default:
            wa_set_detail(detail, "\"tpm\" pubArea key is not the "
                                  "credential public key");
            return WA_ERR_ATTESTATION_INVALID;
        }

        if (pub->x_len > flen || pub->y_len > flen) {
            wa_set_detail(detail, "\"tpm\" pubArea key is not the "
                                  "credential public key");
            return WA_ERR_ATTESTATION_INVALID;
        }

        memset(x, 0, flen);
        memset(y, 0, flen);

        if (pub->x_len != 0) {
            memcpy(&x[flen - pub->x_len], pub->x, pub->x_len);
        }

        if (pub->y_len != 0) {
            memcpy(&y[flen - pub->y_len], pub->y, pub->y_len);
        }

        err = wa_pkey_ec2(&key, alg, crv, x, flen, y, flen, &ignored);
    }

    if (err == WA_ERR_INTERNAL) {
        wa_set_detail(detail, ignored);
        return err;
    }

    eq = (err == WA_OK && wa_pkey_eq(cred_key, wa_pkey_evp(key)));

    wa_pkey_free(key);

    if (!eq) {
        /* a key OpenSSL refused is no credential key either */
        ERR_clear_error();
        wa_set_detail(detail, "\"tpm\" pubArea key is not the credential "
                              "public key");
        return WA_ERR_ATTESTATION_INVALID;
    }

    return WA_OK;
}


/* 8.3.1: TPM attestation statement certificate requirements */

static wa_err_t
wa_att_tpm_cert(X509 *cert, const unsigned char *aaguid,
    const char **detail)
{
    int                  i, n, crit, found;
    wa_err_t             err;
    EXTENDED_KEY_USAGE  *eku;

    /* "Version MUST be set to 3" */

    if (X509_get_version(cert) != X509_VERSION_3) {
        wa_set_detail(detail, "attestation certificate is not version 3");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* "Subject field MUST be set to empty" */

    if (X509_NAME_entry_count(X509_get_subject_name(cert)) != 0) {
        wa_set_detail(detail, "TPM attestation certificate subject is not "
                              "empty");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* "The Subject Alternative Name extension MUST be set as ..." */

    err = wa_att_tpm_san(cert, detail);
    if (err != WA_OK) {
        return err;
    }

    /* EKU contains tcg-kp-AIKCertificate */

    eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);

    if (eku == NULL) {
        ERR_clear_error();
        wa_set_detail(detail, "TPM attestation certificate has no readable "
                              "extended key usage");
        return WA_ERR_ATTESTATION_INVALID;
    }

    found = 0;
    n = sk_ASN1_OBJECT_num(eku);

    for (i = 0; i < n; i++) {
        if (wa_att_tpm_oid(sk_ASN1_OBJECT_value(eku, i),
                           wa_tpm_oid_aik_certificate,
                           sizeof(wa_tpm_oid_aik_certificate)))
        {
            found = 1;
            break;
        }
    }

    EXTENDED_KEY_USAGE_free(eku);

    if (!found) {
        wa_set_detail(detail, "TPM attestation certificate extended key "
                              "usage lacks tcg-kp-AIKCertificate");
        return WA_ERR_ATTESTATION_INVALID;
    }

    /* basic constraints, CA false */

    err = wa_x509_not_ca(cert, detail);
    if (err != WA_OK) {
        return err;
    }

    /* 8.3: id-fido-gen-ce-aaguid, when present, is the AAGUID */

    return wa_x509_aaguid(cert, aaguid, detail);
}


static int
wa_att_tpm_oid(const ASN1_OBJECT *obj, const unsigned char *der, size_t len)
{
    return (size_t) OBJ_length(obj) == len
           && memcmp(OBJ_get0_data(obj), der, len) == 0;
}


/*
 * TCG EK Credential Profile 2.0, 3.2.9: the SAN is a directoryName with
 * tcg-at-tpmManufacturer, tcg-at-tpmModel and tcg-at-tpmVersion.  Both
 * encodings met are read the same: the profile's (a Name of three RDNs
 * of one attribute each) and the common one (one RDN of three
 * attributes); X509_NAME lists the attributes of either in one sequence.
 */

static wa_err_t
wa_att_tpm_san(X509 *cert, const char **detail)
{
    int               i, j, n, m, crit, manufacturer, model, version;
    X509_NAME        *name;
    GENERAL_NAME     *gn;
    ASN1_STRING      *value;
    ASN1_OBJECT      *obj;
    GENERAL_NAMES    *san;
    X509_NAME_ENTRY  *entry;

    san = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);

    if (san == NULL) {
        ERR_clear_error();
        wa_set_detail(detail, "TPM attestation certificate has no readable "
                              "subject alternative name");
        return WA_ERR_ATTESTATION_INVALID;
    }

    manufacturer = 0;
    model = 0;
    version = 0;

    n = sk_GENERAL_NAME_num(san);

    for (i = 0; i < n; i++) {
        gn = sk_GENERAL_NAME_value(san, i);

        if (gn->type != GEN_DIRNAME) {
            continue;
        }

        name = gn->d.directoryName;
        m = X509_NAME_entry_count(name);

        for (j = 0; j < m; j++) {
            entry = X509_NAME_get_entry(name, j);
            obj = X509_NAME_ENTRY_get_object(entry);
            value = X509_NAME_ENTRY_get_data(entry);

            if (ASN1_STRING_length(value) <= 0) {
                continue;
            }

            if (wa_att_tpm_oid(obj, wa_tpm_oid_manufacturer,
                               sizeof(wa_tpm_oid_manufacturer)))
            {
                manufacturer++;

            } else if (wa_att_tpm_oid(obj, wa_tpm_oid_model,
                                      sizeof(wa_tpm_oid_model)))
            {
                model++;

            } else if (wa_att_tpm_oid(obj, wa_tpm_oid_version,
                                      sizeof(wa_tpm_oid_version)))
            {
                version++;
            }
        }
    }

    GENERAL_NAMES_free(san);

    if (manufacturer != 1 || model != 1 || version != 1) {
        wa_set_detail(detail, "TPM attestation certificate subject "
                              "alternative name lacks the TPM manufacturer, "
                              "model or version");
        return WA_ERR_ATTESTATION_INVALID;
    }

    return WA_OK;
}
