
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Private helpers shared by the verification core files; not for the
 * nginx glue, which uses wa_core.h only.
 */


#ifndef _WA_INTERNAL_H_INCLUDED_
#define _WA_INTERNAL_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "wa_core.h"


#pragma GCC visibility push(hidden)


#define wa_set_detail(d, s)                                                   \
    if ((d) != NULL) {                                                        \
        *(d) = (s);                                                           \
    }


/* WebAuthn L3, 6.1: the fixed part of authenticator data */
#define WA_AUTH_DATA_MIN        37
/*
 * WebAuthn L3, 4, "Credential ID": at most 1023 bytes (so is 6.5.1's
 * credentialIdLength)
 */
#define WA_CRED_ID_MAX          1023
/* WebAuthn L3, 4, "User Handle": at most 64 bytes */
#define WA_USER_HANDLE_MAX      64
/* RFC 1035, 2.3.4: a domain name, so an RP ID, is at most 253 bytes */
#define WA_RP_ID_MAX            253
/* a COSE_Key of an RSA key of 16384 bits is about 2 kB */
#define WA_COSE_KEY_MAX         4096

/* bytes of the buffer an assertion's JSON is parsed in (wa_json.c) */
#define WA_JSON_ARENA_SIZE      8192
/* nesting allowed in CBOR items (extensions, COSE keys) */
#define WA_CBOR_MAX_DEPTH       16

#define WA_CBOR_MAJOR_MAP       5


/*
 * wa_crypto.c: the EVP_MD fetched once for EVP_sha1/256/384/512() (md
 * itself for any other, or when the fetch failed); wa_crypto_cleanup()
 * frees them (wa_core_cleanup() calls it)
 */
const void *wa_md_fetched(const void *md);
void wa_crypto_cleanup(void);

/* wa_crypto.c: md (an EVP_MD *) over n parts; WA_OK or WA_ERR_INTERNAL */
wa_err_t wa_digest_parts(const void *md, const unsigned char **parts,
    const size_t *lens, size_t n, unsigned char *out, unsigned *out_len,
    const char **detail);


/* wa_b64.c */

/*
 * Decodes into a new malloc()ed buffer (never NULL on success); returns
 * 0, -1 on bad input or -2 when out of memory.
 */
int wa_b64url_decode_alloc(unsigned char **dst, size_t *dlen,
    const unsigned char *src, size_t n);


/* wa_cbor.c */

/*
 * Checks that p starts with one well-formed CBOR item (RFC 8949,
 * Appendix C) nested at most WA_CBOR_MAX_DEPTH deep; sets *used to its
 * length and *major (when not NULL) to its major type.  Returns 0 or -1.
 */
int wa_cbor_item(const unsigned char *p, size_t len, size_t *used,
    int *major);


/* wa_pkey.c: verification keys from COSE_Key members (wa_cose.c) */

wa_err_t wa_pkey_ec2(wa_pkey_t **key, int alg, int crv,
    const unsigned char *x, size_t xlen, const unsigned char *y, size_t ylen,
    const char **detail);
wa_err_t wa_pkey_okp(wa_pkey_t **key, int alg, int crv,
    const unsigned char *x, size_t xlen, const char **detail);
wa_err_t wa_pkey_rsa(wa_pkey_t **key, int alg, const unsigned char *n,
    size_t nlen, const unsigned char *e, size_t elen, const char **detail);
/* the EVP_PKEY, for bench/microbench.c's bare verify */
void *wa_pkey_evp(const wa_pkey_t *key);


/* wa_authdata.c: WebAuthn L3, 6.1, pointers into the bytes parsed */

typedef struct {
    const unsigned char  *rp_id_hash;       /* WA_SHA256_LEN bytes */
    unsigned              flags;
    uint32_t              sign_count;
    const unsigned char  *aaguid;           /* 16 bytes; attested
                                               credential data (6.5.1),
                                               NULL unless AT */
    const unsigned char  *cred_id;
    size_t                cred_id_len;
    const unsigned char  *cred_key;         /* COSE_Key */
    size_t                cred_key_len;
    const unsigned char  *extensions;       /* CBOR map, NULL unless ED */
    size_t                extensions_len;
} wa_auth_data_t;

/* WA_OK or WA_ERR_CREDENTIAL_MALFORMED */
wa_err_t wa_auth_data_parse(wa_auth_data_t *ad, const unsigned char *p,
    size_t len, const char **detail);


/* wa_clientdata.c: WebAuthn L3, 5.8.1, pointers into root */

typedef struct {
    void         *root;             /* json_t */
    const char   *type;
    size_t        type_len;
    const char   *challenge;
    size_t        challenge_len;
    const char   *origin;
    size_t        origin_len;
    const char   *top_origin;       /* NULL when absent */
    size_t        top_origin_len;
    int           cross_origin;     /* 1 when crossOrigin is true */
} wa_client_data_t;

/* WA_OK or WA_ERR_CLIENT_DATA_INVALID; wa_client_data_free() either way */
wa_err_t wa_client_data_parse(wa_client_data_t *cd,
    const unsigned char *json, size_t len, const char **detail);
/*
 * parse, C.type == type, the challenge (*challenge: malloc()ed, decoded)
 * through policy->check_challenge, origin, crossOrigin, topOrigin (7.1,
 * steps 5-10; 7.2, steps 8-14); wa_client_data_free() either way
 */
wa_err_t wa_client_data_check(wa_client_data_t *cd,
    const unsigned char *json, size_t len, const char *type,
    const wa_policy_t *policy, unsigned char **challenge,
    size_t *challenge_len, const char **detail);
void wa_client_data_free(wa_client_data_t *cd);


/*
 * wa_assertion.c, shared with the registration ceremony: members of
 * PublicKeyCredential.toJSON() (a json_t object), base64url decoded into
 * a new malloc()ed buffer (WA_ERR_CREDENTIAL_MALFORMED with the member's
 * own phrase), and the id, rawId (at most max bytes) and type members
 */
typedef struct {
    const char  *name;
    const char  *missing;
    const char  *mistyped;
    const char  *invalid;
} wa_envelope_member_t;

wa_err_t wa_envelope_member(void *object, const wa_envelope_member_t *m,
    unsigned char **dst, size_t *dlen, const char **detail);
wa_err_t wa_envelope_credential_id(void *object, size_t max,
    unsigned char **raw_id, size_t *raw_id_len, char **cred_id,
    size_t *cred_id_len, const char **detail);

/*
 * wa_assertion.c, shared with the registration ceremony: origin,
 * crossOrigin and topOrigin (7.2, steps 12-14; 7.1, steps 9-10), and
 * rpIdHash, UP, UV (7.2, steps 15-17; 7.1, steps 14-16)
 */
wa_err_t wa_origin_check(const char *origin, size_t origin_len,
    const char *top_origin, size_t top_origin_len, int cross_origin,
    const wa_policy_t *policy, const char **detail);
wa_err_t wa_flags_check(const unsigned char *rp_id_hash, unsigned flags,
    const wa_policy_t *policy, const char **detail);


/* wa_cose.c: wa_pkey_from_cose(), and RS1 keys when allow_sha1 */
wa_err_t wa_pkey_from_cose_ex(wa_pkey_t **key, const unsigned char *cose,
    size_t len, int allow_sha1, const char **detail);


/* wa_pkey.c: keys of certificates and TPM structures, any message */

/*
 * A verification key for alg from an EVP_PKEY (its reference is taken
 * over only on WA_OK): WA_ERR_ATTESTATION_INVALID when the key's type or
 * curve is not alg's (an RSA key for ES256, P-384 for ES256),
 * WA_ERR_ALGORITHM_UNSUPPORTED when no such alg verifies here (RS1 is
 * allowed: the policy decides).
 */
wa_err_t wa_pkey_from_evp(wa_pkey_t **key, void *evp_pkey, int alg,
    const char **detail);
/*
 * Verifies sig over the concatenation of n parts with key's alg (as
 * wa_pkey_verify()).  WA_OK, WA_ERR_SIGNATURE_INVALID or WA_ERR_INTERNAL.
 */
wa_err_t wa_pkey_verify_parts(wa_pkey_t *key, const unsigned char **parts,
    const size_t *lens, size_t n, const unsigned char *sig, size_t sig_len,
    const char **detail);
/* 1 when both hold the same public key, else 0 */
int wa_pkey_eq(const wa_pkey_t *a, const void *evp_pkey);
/* alg's message digest (an EVP_MD *), NULL for EdDSA or unknown */
const void *wa_pkey_alg_md(int alg);


/* wa_cbor.c: lookups in decoded libcbor items */

/* the value of a text-string key of a definite map, or NULL */
void *wa_cbor_map_get(void *map, const char *key);
/* a definite byte string's bytes, 0; -1 when item is not one */
int wa_cbor_bytes(void *item, const unsigned char **p, size_t *len);
/* an integer item's value, 0; -1 when item is not an integer in range */
int wa_cbor_int(void *item, int64_t *v);


/* wa_x509.c: certificates of attestation statements */

/*
 * attStmt's "x5c": a non-empty array of DER certificates, into a new
 * STACK_OF(X509) (x5c[0] the attestation certificate first).  *x5c is
 * NULL when the member is absent (WA_OK).  WA_ERR_ATTESTATION_MALFORMED
 * when it is not an array of byte strings each one DER certificate with
 * nothing after it.
 */
wa_err_t wa_x509_x5c(void *att_stmt, void **x5c, const char **detail);
void wa_x509_x5c_free(void *x5c);
/*
 * The DER contents (the OCTET STRING's) of the extension of cert with
 * this dotted OID: 1 and *p, *len set; 0 absent; -1 present twice.
 * *critical (when not NULL) is set to 1 for a critical one.
 */
int wa_x509_ext(void *cert, const char *oid, const unsigned char **p,
    size_t *len, int *critical);
/*
 * id-fido-gen-ce-aaguid (1.3.6.1.4.1.45724.1.1.4), WebAuthn L3, 8.2.1:
 * WA_OK when absent or an OCTET STRING equal to aaguid, critical or not
 * it must not be; else WA_ERR_ATTESTATION_INVALID.
 */
wa_err_t wa_x509_aaguid(void *cert, const unsigned char aaguid[16],
    const char **detail);
/* cert's public key, a new reference (EVP_PKEY *), NULL on failure */
void *wa_x509_pubkey(void *cert);
/*
 * sig over the n parts with cert's key under alg: WA_OK;
 * WA_ERR_ATTESTATION_MALFORMED (no usable key); WA_ERR_ATTESTATION_INVALID
 * (a key not of alg, a signature that does not verify);
 * WA_ERR_ALGORITHM_UNSUPPORTED; WA_ERR_INTERNAL
 */
wa_err_t wa_x509_verify(void *cert, int alg, const unsigned char **parts,
    const size_t *lens, size_t n, const unsigned char *sig, size_t sig_len,
    const char **detail);
/* WA_OK when cert holds key; else WA_ERR_ATTESTATION_INVALID (_MALFORMED) */
wa_err_t wa_x509_key_is(void *cert, const wa_pkey_t *key,
    const char **detail);
/* basic constraints there, CA false; else WA_ERR_ATTESTATION_INVALID */
wa_err_t wa_x509_not_ca(void *cert, const char **detail);
/*
 * the extension oid of cert decoded with the template it (an ASN1_ITEM
 * *): 1 and *item (free with ASN1_item_free()); 0 absent; -1 twice; -2
 * not of the template or with bytes after it
 */
int wa_x509_ext_item(void *cert, const char *oid, const void *it,
    void **item);
/* one DER certificate and nothing after it: 0 and *cert (an X509 *), -1 */
int wa_x509_der(void **cert, const unsigned char *der, size_t len);
/* the same in base64 (either alphabet): an X509 *, or NULL (*oom: 1 when
 * for want of memory) */
void *wa_x509_b64(const char *b64, size_t len, int *oom);
/*
 * x5c (a STACK_OF(X509) *: x5c[0] the certificate, the rest untrusted
 * intermediates) to a certificate of store (an X509_STORE *) at now_s
 * with X509_V_FLAG_* flags: 1; 0 not, *error the X509_V_ERR_* reason
 * (OpenSSL's queue cleared); -1 internal (the queue left)
 */
int wa_x509_path(void *store, void *x5c, int64_t now_s, unsigned long flags,
    int *error);
/* every certificate of a PEM bundle: *certs a STACK_OF(X509) *; WA_OK or
 * WA_ERR_INTERNAL ("bad PEM", "no certificate in the bundle") */
wa_err_t wa_x509_pem(const unsigned char *pem, size_t len, void **certs,
    const char **detail);


/* attestation statement formats, WebAuthn L3, 8 (wa_att_*.c) */

typedef struct {
    const unsigned char    *auth_data;      /* authenticatorData bytes */
    size_t                  auth_data_len;
    const wa_auth_data_t   *ad;             /* parsed, AT set */
    const unsigned char    *cdata_hash;     /* WA_SHA256_LEN bytes */
    const wa_pkey_t        *cred_key;       /* credentialPublicKey */
    void                   *att_stmt;       /* cbor_item_t *, a map */
    const wa_reg_policy_t  *policy;
} wa_att_in_t;

typedef struct {
    int                     type;           /* WA_ATT_TYPE_* */
    void                   *x5c;            /* STACK_OF(X509) *, owned:
                                               [0] the attestation
                                               certificate, the rest the
                                               chain as sent (untrusted
                                               intermediates), for
                                               wa_trust_check() */
} wa_att_out_t;

/*
 * Each verifies attStmt as its format's "verification procedure" says
 * and fills *out: WA_OK; WA_ERR_ATTESTATION_MALFORMED (members missing
 * or mistyped, certificates not DER); WA_ERR_ATTESTATION_INVALID (the
 * signature, the format's certificate and extension rules);
 * WA_ERR_ALGORITHM_UNSUPPORTED (a statement alg this core does not
 * verify, or SHA-1 without policy->allow_sha1); WA_ERR_INTERNAL.
 * On failure out->x5c may be set all the same: the caller frees it.
 */
typedef wa_err_t (*wa_att_verify_pt)(const wa_att_in_t *in,
    wa_att_out_t *out, const char **detail);

wa_err_t wa_att_none(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail);
wa_err_t wa_att_packed(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail);
wa_err_t wa_att_fido_u2f(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail);
wa_err_t wa_att_tpm(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail);
wa_err_t wa_att_android_key(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail);
wa_err_t wa_att_android_safetynet(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail);
wa_err_t wa_att_apple(const wa_att_in_t *in, wa_att_out_t *out,
    const char **detail);


/* wa_trust.c: 7.1, step 23, under WA_ATTESTATION_TRUSTED */

/*
 * WA_OK when out is of type X5C and its chain builds, at now_s, from
 * x5c[0] through x5c[1..] (never trusted by themselves, a root among
 * them included) to an anchor of t: the PEM bundle, or the MDS entry's
 * roots for aaguid (or, when the AAGUID is zero, for the attestation
 * certificate's key identifier, as U2F models have), with
 * X509_V_FLAG_PARTIAL_CHAIN; and no MDS status report refuses the model;
 * and the AAGUID is in the allow-list when there is one.  Else
 * WA_ERR_ATTESTATION_UNTRUSTED with *detail; WA_ERR_INTERNAL.
 */
wa_err_t wa_trust_check(const wa_trust_t *t, const wa_att_out_t *out,
    const unsigned char aaguid[16], const wa_reg_policy_t *policy,
    const char **detail);

/*
 * wa_mds.c: an MDS3 BLOB's entries (wa_trust.c keeps one, parsed by
 * wa_mds_load() after its signature chain is checked).
 */
typedef struct wa_mds_s  wa_mds_t;

wa_err_t wa_mds_load(wa_mds_t **mds, const unsigned char *blob, size_t len,
    const unsigned char *root_pem, size_t root_len, int64_t now_s,
    const char **detail);
void wa_mds_free(wa_mds_t *mds);
/*
 * The entry of aaguid (16 bytes) or, when aaguid is NULL, of a
 * certificate key identifier (the SHA-1 of the subjectPublicKey, 20
 * bytes): 1 and *roots set to its attestationRootCertificates (a
 * STACK_OF(X509) *, owned by mds) and *refused to the static name of
 * the status that refuses the model (NULL when none does); 0 when there
 * is no entry.
 */
int wa_mds_find(const wa_mds_t *mds, const unsigned char *aaguid,
    const unsigned char *key_id, void **roots, const char **refused);
/* the BLOB's "no" and "nextUpdate" (seconds), its number of entries */
void wa_mds_info(const wa_mds_t *mds, int64_t *no, int64_t *next_update,
    size_t *entries);
/* the BLOB's signing certificate (X509 *, owned by mds) */
void *wa_mds_signer(const wa_mds_t *mds);
/* "YYYY-MM-DD" (len 10) to days since 1970-01-01; 0 or -1 */
int wa_mds_date(const char *s, size_t len, int64_t *days);


/*
 * wa_awscred.c: the rules of a set of AWS credentials, shared with
 * wa_sts.c: an access key id of A-Z a-z 0-9 _, a secret and a token of
 * visible ASCII (the token required when token_required), expires > now;
 * WA_OK or WA_ERR_AWS_CREDENTIALS_UNAVAILABLE with *detail
 */
wa_err_t wa_aws_creds_check(const wa_aws_creds_t *c, int token_required,
    int64_t now, const char **detail);
/* zeroes the secret and the token in place (wa_aws_creds_free() does) */
void wa_aws_creds_wipe(wa_aws_creds_t *c);

/*
 * wa_sts.c, libxml2's memory functions (wa_xml_memory_init()): what a
 * block is handed to once wiped (free(); a unit test checks it there),
 * and whether it is wiped (1; 0 only for a test's control)
 */
extern void  (*wa_xml_release)(void *p);
extern int     wa_xml_wiping;
/* libxml2's globals freed, when the hooks are in (wa_core_cleanup()) */
void wa_xml_memory_cleanup(void);

/*
 * wa_json.c, jansson's memory functions (wa_json_memory_init()): what a
 * block from malloc() is handed to, wiped when an answer was being parsed
 * (free(); a unit test checks it there), and whether such blocks are
 * wiped (1; 0 only for a test's control)
 */
extern void  (*wa_json_release)(void *p);
extern int     wa_json_wiping;

/*
 * An arena for the parses between wa_json_arena_begin() and _end(): jansson's
 * blocks cut from buf, freed with it; a block that does not fit comes
 * from malloc().  _end() is -1 when a block of it was not freed (a bug).
 * Not put in force inside another arena or a secret's parse.
 */
typedef struct {
    unsigned char  *start;
    unsigned char  *pos;
    unsigned char  *end;
    size_t          live;       /* blocks cut and not yet freed */
    size_t          spilled;    /* blocks that came from malloc() */
    size_t          used;       /* bytes cut, once it ended */
    unsigned        annotate;   /* valgrind runs: blocks marked for it */
} wa_json_arena_t;

/* a buffer for one: aligned as malloc()'s blocks are */
typedef union {
    long double     align;
    unsigned char   data[WA_JSON_ARENA_SIZE];
} wa_json_arena_buf_t;

void wa_json_arena_begin(wa_json_arena_t *a, void *buf, size_t size);
int wa_json_arena_end(wa_json_arena_t *a);

/* a secret's parse: every block jansson frees until _end() is wiped */
void wa_json_secret_begin(void);
void wa_json_secret_end(void);


#pragma GCC visibility pop


#endif /* _WA_INTERNAL_H_INCLUDED_ */
