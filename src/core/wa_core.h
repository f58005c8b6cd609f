
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The verification core: plain C (libc, OpenSSL, libcbor, jansson,
 * libxml2, hiredis' reader), no nginx headers, so it is unit-tested and
 * fuzzed on its own.
 *
 * Files, one WebAuthn concept each:
 *   wa_err.c         error codes
 *   wa_b64.c         base64url, RFC 4648, 5
 *   wa_crypto.c      primitives: SHA-256, HMAC, random, constant time
 *                    comparison, wiping
 *   wa_cbor.c        CBOR well-formedness (libcbor's streaming decoder)
 *   wa_cose.c        COSE_Key (RFC 9052, 7) to a verification key
 *   wa_pkey.c        verification keys and signatures (OpenSSL EVP)
 *   wa_authdata.c    authenticator data, WebAuthn L3, 6.1
 *   wa_clientdata.c  clientDataJSON, WebAuthn L3, 5.8.1
 *   wa_challenge.c   sealed (HMAC) challenges
 *   wa_assertion.c   the assertion envelope and the authentication
 *                    ceremony, WebAuthn L3, 7.2
 *   wa_record.c      rules for the fields of a stored credential record
 *   wa_sigv4.c       AWS Signature Version 4 header signing
 *   wa_registration.c the registration ceremony, WebAuthn L3, 7.1, and
 *                    the attestation object (6.5)
 *   wa_att_none.c, wa_att_packed.c, wa_att_fido_u2f.c, wa_att_tpm.c,
 *   wa_att_android_key.c, wa_att_android_safetynet.c, wa_att_apple.c
 *                    one attestation statement format each, WebAuthn L3,
 *                    8.2 to 8.8
 *   wa_x509.c        X.509 helpers of the formats: x5c, extensions
 *   wa_trust.c       trust anchors and the trust path check, 7.1 step 23
 *   wa_mds.c         the FIDO Metadata Service (MDS3) BLOB
 *   wa_token.c       session tokens: compact JWS (RFC 7515, 7519)
 *   wa_awscred.c     AWS credentials: the credential endpoints' JSON
 *   wa_sts.c         STS's XML answers
 *   wa_resp.c        RESP replies: hiredis' reader, bounded
 *   wa_commit.c      the commit script's reply
 * wa_internal.h is the private header shared by these files; the glue
 * uses this one only.
 *
 * Conventions:
 *   Functions return wa_err_t (WA_OK on success).  On failure "*detail"
 *   (when detail is not NULL) is set to a static english phrase.  For
 *   every code but WA_ERR_INTERNAL it says exactly what was wrong in
 *   terms of the protocol, may be shown to the client, and never holds
 *   secret or attacker-controlled bytes nor library function names.
 *   For WA_ERR_INTERNAL it is text for the error log only (for example
 *   "EVP_PKEY_dup() failed").
 *
 *   OpenSSL's error queue: on WA_ERR_INTERNAL (and on -1 from the int
 *   returning wa_challenge_issue(), wa_hmac_sha256(), wa_random()) the
 *   core leaves it as OpenSSL filled it, for the caller to log and drain
 *   (ngx_ssl_error()).  On every other return the core leaves it empty:
 *   it clears what OpenSSL queued when failing for a reason the input
 *   explains (a bad signature, a bad key).
 *
 *   Objects the core allocates are released by the matching wa_*_free()
 *   function, which accepts NULL and zeroed structures.
 */


#ifndef _WA_CORE_H_INCLUDED_
#define _WA_CORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* the core's symbols are not exported from the module's shared object */
#pragma GCC visibility push(hidden)


typedef enum {
    WA_OK = 0,
    WA_ERR_CREDENTIAL_MISSING,      /* credential_missing */
    WA_ERR_CREDENTIAL_MALFORMED,    /* credential_malformed */
    WA_ERR_CREDENTIAL_UNKNOWN,      /* credential_unknown */
    WA_ERR_CREDENTIAL_REVOKED,      /* credential_revoked */
    WA_ERR_CLIENT_DATA_INVALID,     /* client_data_invalid */
    WA_ERR_CHALLENGE_INVALID,       /* challenge_invalid */
    WA_ERR_ORIGIN_NOT_ALLOWED,      /* origin_not_allowed */
    WA_ERR_RP_ID_MISMATCH,          /* rp_id_mismatch */
    WA_ERR_USER_NOT_PRESENT,        /* user_not_present */
    WA_ERR_USER_NOT_VERIFIED,       /* user_not_verified */
    WA_ERR_USER_HANDLE_MISMATCH,    /* user_handle_mismatch */
    WA_ERR_ALGORITHM_UNSUPPORTED,   /* algorithm_unsupported */
    WA_ERR_SIGNATURE_INVALID,       /* signature_invalid */
    WA_ERR_SIGN_COUNT_REGRESSED,    /* sign_count_regressed */
    WA_ERR_STORE_UNAVAILABLE,       /* store_unavailable */
    WA_ERR_ROLE_FORBIDDEN,          /* role_forbidden (the glue's: no
                                       IAM role for the credential) */
    WA_ERR_AWS_CREDENTIALS_UNAVAILABLE, /* aws_credentials_unavailable
                                       (the glue's) */
    WA_ERR_INVITATION_INVALID,      /* invitation_invalid (the glue's) */
    WA_ERR_ATTESTATION_MALFORMED,   /* attestation_malformed */
    WA_ERR_ATTESTATION_INVALID,     /* attestation_invalid */
    WA_ERR_ATTESTATION_UNTRUSTED,   /* attestation_untrusted */
    WA_ERR_CREDENTIAL_EXISTS,       /* credential_exists (the store's) */
    WA_ERR_REQUEST_INVALID,         /* request_invalid (the glue's: a
                                       malformed admin request) */
    WA_ERR_NOT_FOUND,               /* not_found (the glue's: no such user
                                       or credential, admin API) */
    WA_ERR_TOKEN_INVALID,           /* token_invalid */
    WA_ERR_TOKEN_EXPIRED,           /* token_expired */
    WA_ERR_REAUTHENTICATION_REQUIRED, /* reauthentication_required (the
                                       glue's: auth_webauthn_max_age) */
    WA_ERR_INTERNAL,                /* internal_error */
    WA_ERR_LAST
} wa_err_t;


/*
 * The stable snake_case code ("credential_malformed", ...; "ok" for WA_OK,
 * "internal_error" out of range).  HTTP statuses and titles are the
 * glue's: one code can mean 401 at one endpoint and 400 at another.
 */
const char *wa_err_code(wa_err_t err);


/* base64url, RFC 4648, 5 (wa_b64.c) */

/* the unpadded encoded length of n bytes, a constant expression */
#define WA_B64URL_LEN(n)  ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* the unpadded encoded length of n bytes, WA_B64URL_LEN(n) */
size_t wa_b64url_encoded_len(size_t n);
/* the largest decoded length of an n character input */
size_t wa_b64url_decoded_max(size_t n);
/* writes wa_b64url_encoded_len(n) bytes, no padding, no NUL; returns it */
size_t wa_b64url_encode(unsigned char *dst, const unsigned char *src,
    size_t n);
/*
 * Lenient decoder: accepts the url-safe and the standard alphabet and
 * optional "=" padding (recorded vectors use both); rejects anything else,
 * including whitespace and a final quantum with non-zero trailing bits.
 * dst must hold wa_b64url_decoded_max(n) bytes.  Returns 0 and sets *dlen,
 * or -1.
 */
int wa_b64url_decode(unsigned char *dst, size_t *dlen,
    const unsigned char *src, size_t n);


/* primitives (wa_crypto.c) */

#define WA_SHA256_LEN  32

/* on an OpenSSL failure (out of memory) out is all zeros */
void wa_sha256(unsigned char out[WA_SHA256_LEN], const void *data,
    size_t len);
/* returns 0, or -1 on failure */
int wa_hmac_sha256(unsigned char out[WA_SHA256_LEN], const void *key,
    size_t keylen, const void *data, size_t len);
/* CSPRNG (RAND_bytes); returns 0, or -1 on failure */
int wa_random(void *buf, size_t len);
/*
 * n random bytes (at most WA_RANDOM_B64URL_MAX), base64url into out
 * (wa_b64url_encoded_len(n) bytes, no NUL), the bytes wiped: a token;
 * returns its length, or 0 on failure
 */
#define WA_RANDOM_B64URL_MAX  64
size_t wa_random_b64url(unsigned char *out, size_t n);
/* constant time; returns 1 when equal */
int wa_memeq(const void *a, const void *b, size_t len);
/* not optimised away (OPENSSL_cleanse) */
void wa_memzero(void *p, size_t len);


/* COSE (RFC 9052, 9053, 8230, 8812, 9864; IANA COSE registries) */

#define WA_COSE_KTY_OKP      1
#define WA_COSE_KTY_EC2      2
#define WA_COSE_KTY_RSA      3

#define WA_COSE_ALG_ES256    -7
#define WA_COSE_ALG_EDDSA    -8
#define WA_COSE_ALG_ESP256   -9
#define WA_COSE_ALG_ED25519  -19
#define WA_COSE_ALG_ES384    -35
#define WA_COSE_ALG_ES512    -36
#define WA_COSE_ALG_PS256    -37
#define WA_COSE_ALG_ED448    -53
#define WA_COSE_ALG_RS256    -257

#define WA_COSE_CRV_P256     1
#define WA_COSE_CRV_P384     2
#define WA_COSE_CRV_P521     3
#define WA_COSE_CRV_ED25519  6
#define WA_COSE_CRV_ED448    7

typedef struct wa_pkey_s  wa_pkey_t;    /* an EVP_PKEY and its COSE alg */

/*
 * Parses a COSE_Key (CBOR map) and builds a verification key from it
 * (wa_cose.c).  Supported: EC2 ES256/ESP256 (P-256), ES384 (P-384),
 * ES512 (P-521), OKP EdDSA (Ed25519 or Ed448), Ed25519, Ed448, RSA RS256
 * and PS256 (modulus of 2048 bits or more).
 *   WA_ERR_CREDENTIAL_MALFORMED   not a CBOR map, missing or mistyped
 *                                 members, point not on the curve, alg
 *                                 and crv mismatched
 *   WA_ERR_ALGORITHM_UNSUPPORTED  valid COSE_Key of an unsupported kty,
 *                                 alg or crv
 * The caller maps MALFORMED of a stored key to a store fault.
 */
wa_err_t wa_pkey_from_cose(wa_pkey_t **key, const unsigned char *cose,
    size_t len, const char **detail);
int wa_pkey_alg(const wa_pkey_t *key);
void wa_pkey_free(wa_pkey_t *key);
/*
 * Verifies sig over msg = authenticatorData || SHA-256(clientDataJSON),
 * given here in two parts so nothing is copied (wa_pkey.c).  ECDSA
 * signatures are DER (WebAuthn L3, 6.5.5), EdDSA raw, RSA PKCS#1 v1.5
 * (RFC 8812) or PSS with MGF1, SHA-256 and a 32 byte salt (RFC 8230).
 * WA_OK or WA_ERR_SIGNATURE_INVALID (WA_ERR_INTERNAL when OpenSSL itself
 * fails).
 */
wa_err_t wa_pkey_verify(wa_pkey_t *key, const unsigned char *auth_data,
    size_t auth_data_len, const unsigned char cdata_hash[WA_SHA256_LEN],
    const unsigned char *sig, size_t sig_len, const char **detail);


/* sealed challenges (wa_challenge.c) */

/*
 * A challenge is sealed, not stored: issuing costs no store write; the
 * nonce is recorded as used, until the challenge expires, only when an
 * assertion over it passes.  The issue time is sealed too, so that the
 * verifying location's own timeout bounds acceptance and the store can
 * refuse challenges issued before it lost its data.
 *
 * layout: version (1) || issued (ms since the Unix epoch, 8, big endian)
 *         || expires (ms, 8, big endian) || nonce (16 random bytes)
 *         || HMAC-SHA-256(key, version || issued || expires || nonce
 *                         || rp_id)
 */

#define WA_CHALLENGE_VERSION        0x02
#define WA_CHALLENGE_NONCE_LEN      16
#define WA_CHALLENGE_LEN                                                      \
    (1 + 8 + 8 + WA_CHALLENGE_NONCE_LEN + WA_SHA256_LEN)            /* 65 */
#define WA_CHALLENGE_B64_LEN        WA_B64URL_LEN(WA_CHALLENGE_LEN) /* 87 */
#define WA_CHALLENGE_NONCE_B64_LEN                                            \
    WA_B64URL_LEN(WA_CHALLENGE_NONCE_LEN)                           /* 22 */
#define WA_CHALLENGE_KEY_MIN        32
#define WA_CHALLENGE_KEY_MAX        4096

/*
 * Mints a challenge issued at now_ms, expiring ttl_ms later (saturated
 * at UINT64_MAX).  Returns 0, or -1 when the CSPRNG or HMAC fails, the
 * key is shorter than WA_CHALLENGE_KEY_MIN or longer than
 * WA_CHALLENGE_KEY_MAX, or rp_id is longer than 253 bytes.
 */
int wa_challenge_issue(unsigned char out[WA_CHALLENGE_LEN],
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, uint64_t now_ms, uint64_t ttl_ms);

typedef struct {
    uint64_t              issued_ms;
    uint64_t              expires_ms;   /* the earlier of the sealed expiry
                                           and issued + max_age */
    const unsigned char  *nonce;        /* WA_CHALLENGE_NONCE_LEN bytes,
                                           points into the challenge */
} wa_challenge_info_t;

/*
 * WA_OK, filling *info (when not NULL), or WA_ERR_CHALLENGE_INVALID:
 *   "challenge has a wrong length"
 *   "challenge has an unknown version"
 *   "challenge was not issued by this relying party"  the MAC, compared
 *                        in constant time before anything else of the
 *                        body is trusted
 *   "challenge has an invalid lifetime"  issued after it expires
 *   "challenge has expired"              now_ms >= the sealed expiry
 *   "challenge is older than this location accepts"
 *                        now_ms >= issued + max_age_ms (saturated; 0
 *                        accepts nothing, UINT64_MAX adds no bound)
 * A short or long key, or an rp_id longer than 253 bytes, is
 * WA_ERR_INTERNAL.
 */
wa_err_t wa_challenge_check(const unsigned char *c, size_t len,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, uint64_t now_ms, uint64_t max_age_ms,
    wa_challenge_info_t *info, const char **detail);


/*
 * Registration challenges (WebAuthn L3, 7.1, step 8) have the same layout
 * with version WA_CHALLENGE_VERSION_REGISTER, and the MAC also covers a
 * binding: the SHA-256 of what the enrollment is for (the invitation, or
 * the user adding a device), so a challenge issued for one enrollment
 * passes for no other.  wa_challenge_check() refuses them ("challenge was
 * issued for a registration"); wa_challenge_check_register() refuses
 * assertion challenges ("... for an assertion") and, through the MAC,
 * another binding ("challenge was not issued by this relying party for
 * this enrollment").
 */

#define WA_CHALLENGE_VERSION_REGISTER  0x03

int wa_challenge_issue_register(unsigned char out[WA_CHALLENGE_LEN],
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, const unsigned char binding[WA_SHA256_LEN],
    uint64_t now_ms, uint64_t ttl_ms);
wa_err_t wa_challenge_check_register(const unsigned char *c, size_t len,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, const unsigned char binding[WA_SHA256_LEN],
    uint64_t now_ms, uint64_t max_age_ms, wa_challenge_info_t *info,
    const char **detail);


/* the assertion (wa_assertion.c, wa_clientdata.c, wa_authdata.c) */

#define WA_UV_REQUIRED     0
#define WA_UV_PREFERRED    1
#define WA_UV_DISCOURAGED  2

#define WA_FLAG_UP  0x01
#define WA_FLAG_UV  0x04
#define WA_FLAG_BE  0x08
#define WA_FLAG_BS  0x10
#define WA_FLAG_AT  0x40
#define WA_FLAG_ED  0x80

#define WA_ASSERTION_MAX  16384   /* bytes of the decoded JSON envelope */

typedef struct {
    const char  *data;
    size_t       len;
} wa_origin_t;

/*
 * Called with the decoded clientDataJSON.challenge bytes (step 11);
 * returns WA_OK or WA_ERR_CHALLENGE_INVALID with *detail set.  The gateway
 * checks a sealed challenge here, the vector tests compare with a
 * recorded one.
 */
typedef wa_err_t (*wa_challenge_check_pt)(void *data,
    const unsigned char *challenge, size_t len, const char **detail);

typedef struct {
    unsigned char           rp_id_hash[WA_SHA256_LEN];  /* SHA-256(rp_id) */
    const wa_origin_t      *origins;          /* exact match, step 12 */
    size_t                  norigins;
    int                     allow_cross_origin;   /* steps 13-14:
                                                     topOrigin must be in
                                                     origins */
    int                     user_verification;    /* WA_UV_* */
    wa_challenge_check_pt   check_challenge;
    void                   *check_challenge_data;
} wa_policy_t;

/*
 * The state of one assertion.  wa_assertion_parse() fills it from the
 * Authorization header's token; wa_assertion_free() releases it.  All
 * byte strings are decoded, owned by the structure.
 */
typedef struct {
    unsigned char  *raw_id;             /* rawId (equal to decoded id) */
    size_t          raw_id_len;
    char           *cred_id;            /* canonical base64url of raw_id,
                                           NUL-terminated: the store key */
    size_t          cred_id_len;

    unsigned char  *client_data;        /* clientDataJSON bytes */
    size_t          client_data_len;
    unsigned char  *auth_data;          /* authenticatorData bytes */
    size_t          auth_data_len;
    unsigned char  *signature;
    size_t          signature_len;
    unsigned char  *user_handle;        /* NULL when absent or null */
    size_t          user_handle_len;

    /* filled by wa_assertion_check() */
    unsigned char   cdata_hash[WA_SHA256_LEN];
    unsigned char  *challenge;          /* decoded clientData.challenge */
    size_t          challenge_len;
    unsigned        flags;              /* authenticatorData flags */
    uint32_t        sign_count;         /* authenticatorData signCount */

    /*
     * copies of clientDataJSON members, NUL-terminated, set only when
     * wa_assertion_check() returns WA_OK: what wa_assertion_recheck()
     * checks again
     */
    char           *origin;
    size_t          origin_len;
    char           *top_origin;         /* NULL when absent */
    size_t          top_origin_len;
    int             cross_origin;       /* 1 when crossOrigin is true */
} wa_assertion_t;

/*
 * Decodes a base64url token (the Authorization header's credentials) to
 * the JSON of PublicKeyCredential.toJSON() for an assertion and parses
 * it: id, rawId, type == "public-key", response.clientDataJSON,
 * response.authenticatorData, response.signature, optional
 * response.userHandle (string or null).  Unknown members are ignored.
 * WA_OK or WA_ERR_CREDENTIAL_MALFORMED.  On failure the structure is
 * left for wa_assertion_free() all the same.
 */
wa_err_t wa_assertion_parse(wa_assertion_t *a, const unsigned char *token,
    size_t len, const char **detail);

/*
 * Every check that needs no stored credential, WebAuthn L3, 7.2:
 *   steps 8-10  clientDataJSON parsed as JSON, type "webauthn.get"
 *               (WA_ERR_CLIENT_DATA_INVALID)
 *   step 11     challenge, through policy->check_challenge
 *   steps 12-14 origin exact match; crossOrigin true or a topOrigin is
 *               refused unless allowed, and then topOrigin must be in
 *               origins (WA_ERR_ORIGIN_NOT_ALLOWED)
 *   authenticatorData parsed (6.1): at least 37 bytes, AT/ED flags
 *               consistent with its length, extensions a well-formed
 *               CBOR map, step 18: BS without BE
 *               (WA_ERR_CREDENTIAL_MALFORMED)
 *   step 15     rpIdHash (WA_ERR_RP_ID_MISMATCH)
 *   step 16     UP (WA_ERR_USER_NOT_PRESENT)
 *   step 17     UV when required (WA_ERR_USER_NOT_VERIFIED)
 *   step 20     the client data hash
 * Fills challenge, flags, sign_count and cdata_hash, and on WA_OK origin,
 * top_origin and cross_origin.
 */
wa_err_t wa_assertion_check(wa_assertion_t *a, const wa_policy_t *policy,
    const char **detail);

/*
 * For a request that reaches another location after its assertion passed
 * (an internal redirect, a subrequest): steps 12-14 (origin, crossOrigin,
 * topOrigin), 15 (rpIdHash against policy->rp_id_hash), 16 (UP) and 17
 * (UV when policy requires it) against that location's policy, with the
 * same codes and details as wa_assertion_check(), which runs the very
 * same checks.  No challenge check: it is spent.  Requires a prior
 * successful wa_assertion_check() (else WA_ERR_INTERNAL).
 */
wa_err_t wa_assertion_recheck(const wa_assertion_t *a,
    const wa_policy_t *policy, const char **detail);

/*
 * The checks against the stored credential record, after
 * wa_assertion_check():
 *   step 6   userHandle, when given, equals stored_user_handle, compared
 *            in constant time (WA_ERR_USER_HANDLE_MISMATCH)
 *   step 21  signature with key (WA_ERR_SIGNATURE_INVALID)
 * stored_user_handle may be NULL when the record has none.
 */
wa_err_t wa_assertion_verify(wa_assertion_t *a, wa_pkey_t *key,
    const unsigned char *stored_user_handle, size_t stored_user_handle_len,
    const char **detail);

/*
 * Step 22: WA_OK when both counters are 0 or the new one is greater,
 * else WA_ERR_SIGN_COUNT_REGRESSED.  The gateway applies the same rule
 * atomically in the store; this is its reference.
 */
wa_err_t wa_sign_count_check(uint32_t stored, uint32_t received,
    const char **detail);

void wa_assertion_free(wa_assertion_t *a);


/*
 * Rules for the fields of a stored credential record (wa_record.c).  The
 * glue and the store's commit script apply the same rules; the store
 * writes nothing when they fail.
 */

#define WA_USER_NAME_MAX          256
#define WA_ROLE_MAX               64
#define WA_ROLES_NMAX             32
#define WA_SIGN_COUNT_DIGITS_MAX  10

/*
 * user_name: 0 to 256 bytes of valid UTF-8 without control characters
 * (C0, DEL, C1: so never CR, LF or NUL); 1 or 0
 */
int wa_record_user_name_ok(const unsigned char *s, size_t len);
/* aaguid: empty, or a UUID as 8-4-4-4-12 hex digits (36 characters); 1 or 0 */
#define WA_AAGUID_TEXT_LEN        36
int wa_record_aaguid_ok(const unsigned char *s, size_t len);
/*
 * roles: empty, or 1 to 32 roles separated by exactly one SP, no leading
 * or trailing SP; a role is 1 to 64 characters of A-Z a-z 0-9 . _ : -;
 * 1 or 0
 */
int wa_record_roles_ok(const unsigned char *s, size_t len);
/*
 * sign_count: 1 to 10 decimal digits and at most 4294967295; 0, setting
 * *count, or -1 for anything else ("", "nan", "0x10", "1e3", "-1", "+1",
 * " 1", "4294967296")
 */
int wa_record_sign_count(const unsigned char *s, size_t len,
    uint32_t *count);
/* a credential id as stored: unpadded base64url of 1 to 1023 bytes; 1 or 0 */
int wa_record_cred_id_ok(const unsigned char *s, size_t len);
/*
 * revoked: absent (s == NULL), "" and "0" do not revoke; every other
 * value revokes (fail closed); 1 revoked, 0 not
 */
int wa_record_revoked(const unsigned char *s, size_t len);


/*
 * Trust anchors for attestation (wa_trust.c, wa_mds.c): a PEM bundle of
 * root (or intermediate) certificates, and optionally a FIDO Metadata
 * Service (MDS3) BLOB whose JWS signature chain is verified against the
 * FIDO root given with it.  Built once (at configuration), then only
 * read: one wa_trust_t is shared by every request of a worker.
 */

typedef struct wa_trust_s  wa_trust_t;

/* NULL when out of memory */
wa_trust_t *wa_trust_new(void);
void wa_trust_free(wa_trust_t *t);

/*
 * Adds every certificate of a PEM bundle (len bytes, need not be
 * NUL-terminated) as an anchor.  WA_OK, or WA_ERR_INTERNAL with *detail
 * for the configuration error ("no certificate in the bundle", "bad
 * PEM").
 */
wa_err_t wa_trust_add_pem(wa_trust_t *t, const unsigned char *pem,
    size_t len, const char **detail);

/*
 * Loads an MDS3 BLOB (the JWS compact serialization, len bytes), after
 * checking its signature and its x5c chain to root_pem (the FIDO
 * Metadata Service root, PEM) at now_s (seconds since the epoch).  Its
 * entries give anchors per AAGUID or attestation certificate key
 * identifier, and status reports that refuse a model.  At most one BLOB
 * per wa_trust_t.  WA_OK or WA_ERR_INTERNAL with *detail.
 */
wa_err_t wa_trust_add_mds(wa_trust_t *t, const unsigned char *blob,
    size_t len, const unsigned char *root_pem, size_t root_len,
    int64_t now_s, const char **detail);

/* what a wa_trust_t holds, for reports and expiry warnings */

#define WA_TRUST_ANCHOR      0      /* a certificate of the PEM bundle */
#define WA_TRUST_MDS_BLOB    1      /* the BLOB: not_after is nextUpdate */
#define WA_TRUST_MDS_SIGNER  2      /* the BLOB's signing certificate */

typedef struct {
    int          kind;              /* WA_TRUST_* */
    char         subject[256];      /* RFC 2253 subject, or for the BLOB
                                       "FIDO MDS BLOB <no>"; NUL-ended */
    int64_t      not_before;        /* seconds since the epoch */
    int64_t      not_after;
    size_t       entries;           /* BLOB: its metadata entries */
} wa_trust_item_t;

size_t wa_trust_count(const wa_trust_t *t);
/* 0 and *item filled, or -1 when i >= wa_trust_count() */
int wa_trust_item(const wa_trust_t *t, size_t i, wa_trust_item_t *item);


/* the registration ceremony (wa_registration.c), WebAuthn L3, 7.1 */

#define WA_ATTESTATION_NONE      0  /* ask for none; verify what comes,
                                       do not assess its trust */
#define WA_ATTESTATION_ANY       1  /* ask for direct; verify it, do not
                                       require a trusted chain */
#define WA_ATTESTATION_TRUSTED   2  /* also require a chain to an anchor */

/* attestation types, WebAuthn L3, 6.5.3 */
#define WA_ATT_TYPE_NONE         0
#define WA_ATT_TYPE_SELF         1
#define WA_ATT_TYPE_X5C          2  /* Basic, AttCA or AnonCA: an x5c
                                       chain, trusted or not by policy */

#define WA_COSE_ALG_RS1          -65535     /* RSASSA-PKCS1-v1_5, SHA-1;
                                               only by policy */

#define WA_TRANSPORTS_MAX        128        /* bytes of the stored form */
#define WA_REGISTRATION_MAX      65536      /* bytes of the JSON body */

typedef struct {
    wa_policy_t             base;               /* RP ID hash, origins,
                                                   UV, the challenge
                                                   check: as for an
                                                   assertion */
    const int              *algs;               /* offered
                                                   pubKeyCredParams */
    size_t                  nalgs;
    int                     attestation;        /* WA_ATTESTATION_* */
    const wa_trust_t       *trust;              /* TRUSTED: required */
    const unsigned char    *aaguid_allow;       /* TRUSTED: 16 bytes each,
                                                   NULL: any AAGUID */
    size_t                  naaguid_allow;
    int64_t                 now_s;              /* the clock for
                                                   certificates and
                                                   SafetyNet timestamps */
    int                     allow_sha1;         /* SHA-1 in attestation
                                                   statements (RS1, TPM
                                                   nameAlg): Windows Hello
                                                   TPMs sign so; on in the
                                                   gateway */
    int                     allow_sha1_keys;    /* RS1 credential keys:
                                                   off in the gateway (an
                                                   assertion would be
                                                   SHA-1 signed) */
    int                     safetynet_cts;      /* android-safetynet:
                                                   require
                                                   ctsProfileMatch */
} wa_reg_policy_t;

typedef struct {
    /* from PublicKeyCredential.toJSON(), decoded, owned */
    unsigned char  *raw_id;
    size_t          raw_id_len;
    char           *cred_id;            /* canonical base64url, NUL-ended */
    size_t          cred_id_len;
    unsigned char  *client_data;
    size_t          client_data_len;
    unsigned char  *att_object;
    size_t          att_object_len;
    char            transports[WA_TRANSPORTS_MAX];  /* known transports,
                                           one SP between, NUL-ended */

    /* filled by wa_registration_check() */
    unsigned char   cdata_hash[WA_SHA256_LEN];
    unsigned char  *challenge;          /* decoded clientData.challenge */
    size_t          challenge_len;
    unsigned        flags;
    uint32_t        sign_count;
    unsigned char   aaguid[16];
    char            aaguid_text[WA_AAGUID_TEXT_LEN + 1];
    unsigned char  *public_key;         /* the COSE_Key bytes, a copy */
    size_t          public_key_len;
    int             alg;
    const char     *fmt;                /* static: "none", "packed", ... */
    int             att_type;           /* WA_ATT_TYPE_* */
    int             trusted;            /* 1: a chain to an anchor was
                                           checked (TRUSTED only) */
} wa_registration_t;

/*
 * Parses the JSON of PublicKeyCredential.toJSON() for a new credential:
 * id, rawId, type == "public-key", response.clientDataJSON,
 * response.attestationObject, optional response.transports (strings;
 * unknown ones are dropped, as 5.8.4 says).  WA_OK or
 * WA_ERR_CREDENTIAL_MALFORMED; wa_registration_free() either way.
 */
wa_err_t wa_registration_parse(wa_registration_t *reg,
    const unsigned char *json, size_t len, const char **detail);

/*
 * WebAuthn L3, 7.1, steps 5 to 26 but the store's (credential id not
 * registered yet):
 *   WA_ERR_CLIENT_DATA_INVALID    type not "webauthn.create", bad JSON,
 *                                 tokenBinding status not present or
 *                                 supported
 *   WA_ERR_CHALLENGE_INVALID      through policy->check_challenge
 *   WA_ERR_ORIGIN_NOT_ALLOWED     origin, crossOrigin, topOrigin
 *   WA_ERR_ATTESTATION_MALFORMED  attestation object or authenticator
 *                                 data not well formed, AT clear, a
 *                                 credential id over 1023 bytes or not
 *                                 rawId, a COSE key not well formed or
 *                                 not matching its algorithm, BS without
 *                                 BE, an unknown format, a statement
 *                                 missing members
 *   WA_ERR_RP_ID_MISMATCH, WA_ERR_USER_NOT_PRESENT,
 *   WA_ERR_USER_NOT_VERIFIED
 *   WA_ERR_ALGORITHM_UNSUPPORTED  the key's algorithm was not offered
 *   WA_ERR_ATTESTATION_INVALID    the statement's signature or its
 *                                 format's rules
 *   WA_ERR_ATTESTATION_UNTRUSTED  TRUSTED: self or no attestation, no
 *                                 chain to an anchor, an AAGUID not
 *                                 allowed, an MDS status refusing it
 */
wa_err_t wa_registration_check(wa_registration_t *reg,
    const wa_reg_policy_t *policy, const char **detail);

void wa_registration_free(wa_registration_t *reg);

/* a UUID (an AAGUID) as 8-4-4-4-12 lowercase hex digits, NUL-ended */
void wa_uuid_text(char out[WA_AAGUID_TEXT_LEN + 1],
    const unsigned char id[16]);


/*
 * Session tokens (wa_token.c): a compact JWS (RFC 7515, 7519) with the
 * claims below, signed EdDSA (an Ed25519 key) or HS256 (a secret).  The
 * algorithm is the key's, never the token header's: a token whose "alg"
 * is not its key's is refused, "none" included.
 */

#define WA_TOKEN_MAX         4096   /* bytes of a token */
#define WA_TOKEN_LEEWAY_MAX  30     /* seconds */
#define WA_TOKEN_KID_MAX     64
#define WA_TOKEN_SECRET_MIN  32     /* bytes of an HS256 secret */

typedef struct wa_token_key_s  wa_token_key_t;

/*
 * A key from a key file's bytes: a PEM Ed25519 private key (as "openssl
 * genpkey -algorithm ed25519" writes it) signs and verifies EdDSA; PEM of
 * anything else (another key type, a public key, a certificate, an
 * encrypted key) is refused; any other content is an HS256 secret of at
 * least 32 bytes, used byte for byte.  kid: 1 to 64 of A-Z a-z 0-9 . _
 * -.  WA_OK, or WA_ERR_INTERNAL with *detail for the configuration
 * error.  The key material is wiped
 * when freed; data is not kept.
 */
wa_err_t wa_token_key_new(wa_token_key_t **key, const unsigned char *data,
    size_t len, const char *kid, size_t kid_len, const char **detail);
void wa_token_key_free(wa_token_key_t *key);
/* "EdDSA" or "HS256" */
const char *wa_token_key_alg(const wa_token_key_t *key);

typedef struct {
    const char  *sub;               /* the user name */
    size_t       sub_len;
    const char  *cid;               /* the credential id, base64url */
    size_t       cid_len;
    const char  *roles;             /* as stored: one SP between roles;
                                       a JSON array in the token */
    size_t       roles_len;
    int          uv;                /* the assertion had UV */
    int64_t      iat;               /* seconds since the epoch */
    int64_t      exp;
    int64_t      auth_time;         /* when the assertion was verified */
    const char  *iss;
    size_t       iss_len;
    const char  *aud;               /* the RP ID */
    size_t       aud_len;
} wa_token_claims_t;

/*
 * Signs: *out is a malloc()ed, NUL-terminated token of *out_len bytes
 * (free()), header {"alg", "kid", "typ": "JWT"}, the claims (sub, cid,
 * roles, uv, iat, exp, auth_time, iss, aud) built with jansson.  WA_OK or
 * WA_ERR_INTERNAL (the claims break the record rules, out of memory,
 * OpenSSL failing).
 */
wa_err_t wa_token_sign(const wa_token_key_t *key,
    const wa_token_claims_t *claims, char **out, size_t *out_len,
    const char **detail);

typedef struct {
    wa_token_claims_t   claims;     /* on WA_OK; strings owned here */
    const wa_token_key_t *key;      /* the key that verified it */
    void               *priv;
} wa_token_t;

/*
 * Verifies a token against keys (one of them has its "kid"; its "alg"
 * must be that key's), at now with leeway seconds (at most
 * WA_TOKEN_LEEWAY_MAX) for exp and iat, for the audience aud:
 *   WA_ERR_TOKEN_INVALID  malformed (not three base64url parts, not JSON
 *                         objects, members missing or mistyped, claims
 *                         breaking the record rules), over WA_TOKEN_MAX,
 *                         an unknown kid, an alg not the key's, a
 *                         signature that does not verify, another
 *                         audience, iat further in the future than the
 *                         leeway
 *   WA_ERR_TOKEN_EXPIRED  now >= exp + leeway
 * The signature is checked before any claim is read.  auth_time is
 * returned as signed (no leeway applies to it: the caller's max age
 * does).  wa_token_free() either way.
 */
wa_err_t wa_token_verify(wa_token_t *t, const unsigned char *token,
    size_t len, wa_token_key_t *const *keys, size_t nkeys, const char *aud,
    size_t aud_len, int64_t now, int64_t leeway, const char **detail);
void wa_token_free(wa_token_t *t);


/*
 * AWS SigV4 (wa_sigv4.c): header signing for services other than S3
 * (API Gateway "execute-api", STS "sts"), as in the AWS IAM User Guide,
 * "Create a signed AWS API request", and the aws-c-auth and botocore test
 * suites.  Never fails on the bytes of a request: every byte sequence is
 * canonicalized deterministically, as AWS does.
 */

#define WA_SIGV4_DATE_LEN  16       /* "20150830T123600Z", the X-Amz-Date */
#define WA_SIGV4_HEX_LEN   64       /* a SHA-256 in lowercase hex */

typedef struct {
    const char  *name;              /* as sent; compared
                                       case-insensitively (ASCII) */
    size_t       name_len;
    const char  *value;             /* as sent */
    size_t       value_len;
} wa_sigv4_header_t;

typedef struct {
    const char               *method;
    size_t                    method_len;
    const char               *target;       /* the request-target exactly
                                               as sent: path ["?" query],
                                               origin-form */
    size_t                    target_len;
    const wa_sigv4_header_t  *headers;      /* exactly the headers to
                                               sign; a name may repeat:
                                               values joined with "," in
                                               order */
    size_t                    nheaders;
    const char               *payload_hash; /* WA_SIGV4_HEX_LEN chars:
                                               SHA-256 of the body as
                                               sent */
    const char               *amz_date;     /* WA_SIGV4_DATE_LEN chars */
    const char               *region;
    size_t                    region_len;
    const char               *service;
    size_t                    service_len;
    int                       normalize;    /* remove dot segments and
                                               collapse "//" in the path
                                               (services other than S3) */
} wa_sigv4_request_t;

/*
 * kSigning = HMAC chain over "AWS4" secret, the date (YYYYMMDD, the first
 * 8 chars of date, so amz_date itself will do), region, service,
 * "aws4_request".  Returns 0, or -1 (key is then zeroed; OpenSSL's error
 * queue is left for the caller).
 */
int wa_sigv4_signing_key(unsigned char key[WA_SHA256_LEN],
    const char *secret, size_t secret_len, const char *date,
    const char *region, size_t region_len, const char *service,
    size_t service_len);

/*
 * Signs req with a key from wa_sigv4_signing_key(): *authz is set to a
 * malloc()ed, NUL-terminated Authorization header value
 *     AWS4-HMAC-SHA256 Credential=<access_key>/<date>/<region>/<service>/
 *     aws4_request, SignedHeaders=<a;b;c>, Signature=<hex>
 * (one line).  canonical and string_to_sign, when not NULL, get
 * malloc()ed copies of the canonical request and the string to sign
 * (tests, debug logs).  Free all three with wa_sigv4_free().  Returns
 * WA_OK, or WA_ERR_INTERNAL (out of memory, HMAC failure; *detail for the
 * log), and then sets all three to NULL.  Names and values are signed as
 * the bytes they are: a NUL in one (HTTP fields hold none) is copied too,
 * and strlen() of a copy then stops there.
 */
wa_err_t wa_sigv4_sign(const wa_sigv4_request_t *req,
    const unsigned char key[WA_SHA256_LEN], const char *access_key,
    size_t access_key_len, char **authz, char **canonical,
    char **string_to_sign, const char **detail);
void wa_sigv4_free(char *p);

/*
 * helpers for the glue: SHA-256 of data in lowercase hex (out:
 * WA_SIGV4_HEX_LEN chars, no NUL), streaming for bodies.  new returns
 * NULL, update and final_hex -1 on an OpenSSL failure (the queue is left
 * for the caller).  A context is done after final_hex: free it.
 */
typedef struct wa_sha256_ctx_s  wa_sha256_ctx_t;

wa_sha256_ctx_t *wa_sha256_new(void);
int wa_sha256_update(wa_sha256_ctx_t *c, const void *p, size_t n);
int wa_sha256_final_hex(wa_sha256_ctx_t *c, char out[WA_SIGV4_HEX_LEN]);
void wa_sha256_free(wa_sha256_ctx_t *c);
/* 2 * n lowercase hex digits, no NUL */
void wa_hex(char *out, const unsigned char *in, size_t n);


/*
 * AWS credentials as the credential endpoints and STS hand them out
 * (wa_awscred.c, wa_sts.c): parsed here, fetched and kept by the glue.
 * Every string is malloc()ed and NUL-terminated; wa_aws_creds_free()
 * wipes the secret (and the token) before freeing.
 */

#define WA_AWS_ANSWER_MAX   65536   /* bytes of an answer (the glue's HTTP
                                       client reads no more) */
#define WA_STS_CODE_MAX     64      /* bytes kept of an error's Code */
#define WA_STS_MESSAGE_MAX  256     /* bytes kept of an error's Message */
#define WA_STS_DEPTH_MAX    16      /* elements searched for Credentials */

typedef struct {
    char     *access_key;           /* 1 or more of A-Z a-z 0-9 _ */
    size_t    access_key_len;
    char     *secret;               /* 1 or more of visible ASCII */
    size_t    secret_len;
    char     *token;                /* visible ASCII; NULL or "": none
                                       (JSON only: STS always has one) */
    size_t    token_len;
    int64_t   expires;              /* seconds since the epoch */
} wa_aws_creds_t;

/*
 * The JSON of the container (ECS, EKS Pod Identity) and instance metadata
 * (IMDS) credential endpoints: an object with the strings AccessKeyId,
 * SecretAccessKey, Token (may be empty) and Expiration; other members
 * are ignored, a member given twice is refused.  WA_OK when the set is
 * complete, its fields in their character sets and expires > now; else
 * WA_ERR_AWS_CREDENTIALS_UNAVAILABLE with *detail (static, for the log:
 * "the answer is not a JSON object", "the answer's SecretAccessKey is
 * missing or not a string", ...).  With wa_json_memory_init() in, every
 * block jansson frees while it parses (the lexer's buffer, each string:
 * copies of the secret and the token) is wiped first.
 * wa_aws_creds_free() either way.
 */
wa_err_t wa_awscred_parse(wa_aws_creds_t *c, const unsigned char *json,
    size_t len, int64_t now, const char **detail);
void wa_aws_creds_free(wa_aws_creds_t *c);

/*
 * jansson's memory functions (json_set_alloc_funcs(), wa_json.c), once per
 * process, before the first parse: an assertion's JSON is parsed in a
 * buffer on the stack (no malloc() for its blocks), and every block freed
 * while a credential endpoint's answer is parsed is wiped.  libc's
 * malloc() and free() otherwise, so blocks jansson allocated before are
 * freed through them too.
 */
void wa_json_memory_init(void);

/*
 * ISO 8601 date and time: YYYY-MM-DDTHH:MM:SS, optional fraction
 * (dropped: the time is taken as earlier, never later), then "Z" or an
 * offset +HH:MM / -HH:MM (applied).  Without a zone it is refused (local
 * time of some machine).  0 and *t (seconds since the epoch), or -1.
 */
int wa_aws_time(const char *s, size_t len, int64_t *t);

typedef struct {
    wa_aws_creds_t   creds;         /* the first Credentials element's */
    int              xml;           /* 1: a well-formed XML document
                                       without a DTD */
    int              credentials;   /* 1: it has a Credentials element */
    char            *code;          /* the first Code element (an
                                       ErrorResponse's Error/Code), or
                                       NULL; at most WA_STS_CODE_MAX bytes,
                                       bytes outside visible ASCII as
                                       "?" */
    char            *message;       /* the first Message, likewise with
                                       spaces, WA_STS_MESSAGE_MAX */
} wa_sts_answer_t;

/*
 * An STS Query API answer (AssumeRole, AssumeRoleWithWebIdentity; or an
 * ErrorResponse), read with libxml2: no network (XML_PARSE_NONET), no
 * entity substitution, and a document type declaration stops the parse
 * (refused, before its internal subset is read).  The first Credentials
 * element, searched depth first to WA_STS_DEPTH_MAX levels, gives
 * AccessKeyId, SecretAccessKey, SessionToken and Expiration (each at
 * most once).  WA_OK when the set is complete, in its character sets
 * and expires > now; else WA_ERR_AWS_CREDENTIALS_UNAVAILABLE with
 * *detail (static, for the log), a->xml, a->credentials, a->code and
 * a->message telling what the answer was.  The document's copies of the
 * secret are wiped before it is freed, and, once wa_xml_memory_init()
 * was called, every block libxml2 frees or moves.  wa_sts_free() either
 * way.
 */
wa_err_t wa_sts_parse(wa_sts_answer_t *a, const unsigned char *xml,
    size_t len, int64_t now, const char **detail);
void wa_sts_free(wa_sts_answer_t *a);

/*
 * libxml2's memory functions (xmlMemSetup()), once per process, before
 * the first wa_sts_parse(): every block libxml2 frees is wiped first, and
 * a block it grows is copied to a new one and the old one wiped and
 * freed.  For glibc's malloc: blocks libxml2 allocated before are freed
 * through them too.  0, or -1 (xmlMemSetup() refused).
 */
int wa_xml_memory_init(void);


/*
 * RESP replies (wa_resp.c): hiredis' reader (RESP2; it parses, no I/O),
 * with bounds: all bytes fed since wa_resp_new() or wa_resp_reset() at
 * most max_bytes, so no array may announce more than max_bytes / 3
 * elements (the shortest element, "+\r\n", takes 3 bytes: hiredis would
 * allocate the vector when it reads the header), and arrays nested at
 * most max_depth deep (a top-level array is 1; hiredis itself stops at
 * 7).
 */

#define WA_RESP_MAX_BYTES   (1024 * 1024)
#define WA_RESP_MAX_DEPTH   4       /* CLUSTER SHARDS needs 4 */

#define WA_RESP_OK          0       /* a reply */
#define WA_RESP_AGAIN       1       /* no whole reply yet */
#define WA_RESP_ERROR       -1      /* not RESP, or out of memory */
#define WA_RESP_TOO_LARGE   -2      /* over max_bytes or max_depth, or an
                                       array header over the bound */

struct redisReply;                  /* <hiredis/hiredis.h> */

typedef struct wa_resp_s  wa_resp_t;

/* 0 for either: the defaults; NULL when out of memory */
wa_resp_t *wa_resp_new(size_t max_bytes, int max_depth);
void wa_resp_free(wa_resp_t *r);
/* forgets every byte fed (a retry on a new connection); 0 or -1 */
int wa_resp_reset(wa_resp_t *r);
/* WA_RESP_OK, WA_RESP_TOO_LARGE or WA_RESP_ERROR */
int wa_resp_feed(wa_resp_t *r, const void *data, size_t len);
/*
 * The next whole reply: WA_RESP_OK and *reply (freeReplyObject()),
 * WA_RESP_AGAIN, or an error, which stays: every later call returns it
 */
int wa_resp_reply(wa_resp_t *r, struct redisReply **reply);
/* after an error: what it was, for the log (hiredis' text is escaped) */
const char *wa_resp_why(const wa_resp_t *r);
/* 1 when bytes fed are not all part of the replies returned, else 0 */
int wa_resp_pending(const wa_resp_t *r);
/*
 * a stream of replies (a pipelined connection): from now on max_bytes
 * bounds the bytes fed that are not yet part of a reply returned, not all
 * bytes fed since wa_resp_new() or wa_resp_reset()
 */
void wa_resp_stream(wa_resp_t *r);


/*
 * The commit script's reply (wa_commit.c; design.md, "Commit replies"):
 * an array of bulk strings, the first the outcome.
 */

#define WA_COMMIT_OK          0     /* ok, user_name, roles [, aaguid];
                                       ok alone: the fields as hinted */
#define WA_COMMIT_UNKNOWN     1
#define WA_COMMIT_REVOKED     2
#define WA_COMMIT_STALE       3
#define WA_COMMIT_RESET       4
#define WA_COMMIT_REPLAYED    5
#define WA_COMMIT_REGRESSED   6
#define WA_COMMIT_BAD_RECORD  7     /* bad_record, field */
#define WA_COMMIT_INVALID     8     /* not a reply of the script */

#define WA_COMMIT_FIELD_MAX   32

typedef struct {
    int          outcome;           /* WA_COMMIT_* */
    const char  *user_name;         /* OK: pointers into the reply (""
                                       for a nil), not NUL-terminated */
    size_t       user_name_len;
    const char  *roles;
    size_t       roles_len;
    const char  *aaguid;
    size_t       aaguid_len;
    const char  *field;             /* BAD_RECORD: 1 to 32 of a-z _ */
    size_t       field_len;
    int          hinted;            /* OK alone: the record's user_name,
                                       roles and aaguid are those the
                                       commit was sent (empty here) */
} wa_commit_t;

/*
 * WA_OK and c->outcome one of the script's (an ok reply's fields obey
 * wa_record.c's rules: they become variables and header values), or
 * WA_ERR_STORE_UNAVAILABLE with *detail (for the log) and c->outcome
 * WA_COMMIT_INVALID (an error reply, another type, too few or too many
 * elements, an unknown word) or WA_COMMIT_BAD_RECORD (an ok reply whose
 * user_name, roles or aaguid breaks the rules: "the credential record
 * has an invalid user_name").  hinted: the commit carried the fields
 * the worker last read (they were checked then), so "ok" alone is a
 * reply (c->hinted); without them it is not.
 */
wa_err_t wa_commit_reply(wa_commit_t *c, const struct redisReply *reply,
    int hinted, const char **detail);


/*
 * Releases what the core keeps for the whole process (the EC curve
 * templates wa_pkey_from_cose() copies, the digests fetched, libxml2's
 * globals once wa_xml_memory_init() hooked it); for process exit, after
 * which no EC2 key may be built nor XML parsed.
 */
void wa_core_cleanup(void);


#pragma GCC visibility pop


#endif /* _WA_CORE_H_INCLUDED_ */
