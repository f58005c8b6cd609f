
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The verification core: plain C (libc, OpenSSL, libcbor, jansson), no
 * nginx headers, so it is unit-tested and fuzzed on its own.
 *
 * Files:
 *   wa_err.c        error codes, titles and HTTP statuses
 *   wa_b64.c        base64url
 *   wa_json.c       jansson: the assertion envelope and clientDataJSON
 *   wa_cbor.c       libcbor: COSE_Key and authenticator data extensions
 *   wa_evp.c        OpenSSL EVP: keys, signatures, digests, HMAC, random
 *   wa_challenge.c  sealed (HMAC) challenges
 *   wa_verify.c     WebAuthn L3, 7.2: the relying-party checks
 *
 * Conventions: functions return wa_err_t (WA_OK on success); on failure
 * "*detail" (when detail is not NULL) is set to a static, human readable
 * english phrase saying exactly what was wrong, never containing secret
 * or attacker-controlled bytes.  Objects the core allocates are released
 * by the matching wa_*_free() function, which accepts NULL and zeroed
 * structures.
 */


#ifndef _WA_CORE_H_INCLUDED_
#define _WA_CORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


typedef enum {
    WA_OK = 0,
    WA_ERR_CREDENTIAL_MISSING,      /* 401 credential_missing */
    WA_ERR_CREDENTIAL_MALFORMED,    /* 401 credential_malformed */
    WA_ERR_CREDENTIAL_UNKNOWN,      /* 401 credential_unknown */
    WA_ERR_CREDENTIAL_REVOKED,      /* 401 credential_revoked */
    WA_ERR_CLIENT_DATA_INVALID,     /* 401 client_data_invalid */
    WA_ERR_CHALLENGE_INVALID,       /* 401 challenge_invalid */
    WA_ERR_ORIGIN_NOT_ALLOWED,      /* 401 origin_not_allowed */
    WA_ERR_RP_ID_MISMATCH,          /* 401 rp_id_mismatch */
    WA_ERR_USER_NOT_PRESENT,        /* 401 user_not_present */
    WA_ERR_USER_NOT_VERIFIED,       /* 401 user_not_verified */
    WA_ERR_USER_HANDLE_MISMATCH,    /* 401 user_handle_mismatch */
    WA_ERR_ALGORITHM_UNSUPPORTED,   /* 401 algorithm_unsupported */
    WA_ERR_SIGNATURE_INVALID,       /* 401 signature_invalid */
    WA_ERR_SIGN_COUNT_REGRESSED,    /* 401 sign_count_regressed */
    WA_ERR_STORE_UNAVAILABLE,       /* 503 store_unavailable */
    WA_ERR_INTERNAL,                /* 500 internal_error */
    WA_ERR_LAST
} wa_err_t;


/* "credential_malformed", ...; "ok" for WA_OK */
const char *wa_err_code(wa_err_t err);
/* "Malformed credential", ... (RFC 9457 "title") */
const char *wa_err_title(wa_err_t err);
/* 200, 401, 503, 500 */
int wa_err_status(wa_err_t err);
/* 1 for mistakes of the client (logged at "info"), 0 for server faults */
int wa_err_is_client(wa_err_t err);


/* base64url, RFC 4648, 5 */

/* the unpadded encoded length of n bytes */
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


/* OpenSSL EVP (wa_evp.c) */

#define WA_SHA256_LEN  32

void wa_sha256(unsigned char out[WA_SHA256_LEN], const void *data,
    size_t len);
/* returns 0, or -1 on failure */
int wa_hmac_sha256(unsigned char out[WA_SHA256_LEN], const void *key,
    size_t keylen, const void *data, size_t len);
/* CSPRNG (RAND_bytes); returns 0, or -1 on failure */
int wa_random(void *buf, size_t len);
/* constant time; returns 1 when equal */
int wa_memeq(const void *a, const void *b, size_t len);
/* not optimised away (OPENSSL_cleanse) */
void wa_memzero(void *p, size_t len);


/* COSE (RFC 9052, 9053, 8230; IANA COSE registries) */

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
 * Parses a COSE_Key (CBOR map) and builds a verification key from it.
 * Supported: EC2 ES256/ESP256 (P-256), ES384 (P-384), ES512 (P-521),
 * OKP EdDSA (Ed25519 or Ed448), Ed25519, Ed448, RSA RS256 and PS256
 * (modulus of 2048 bits or more).
 *   WA_ERR_CREDENTIAL_MALFORMED   not a CBOR map, missing or mistyped
 *                                 members, point not on the curve
 *   WA_ERR_ALGORITHM_UNSUPPORTED  valid COSE_Key of an unsupported kty,
 *                                 alg or crv, or alg and crv mismatched
 * The caller maps MALFORMED of a stored key to a store fault.
 */
wa_err_t wa_pkey_from_cose(wa_pkey_t **key, const unsigned char *cose,
    size_t len, const char **detail);
int wa_pkey_alg(const wa_pkey_t *key);
void wa_pkey_free(wa_pkey_t *key);
/*
 * Verifies sig over msg = authenticatorData || SHA-256(clientDataJSON),
 * given here in two parts so nothing is copied.  ECDSA signatures are
 * DER (WebAuthn L3, 6.5.5), EdDSA raw, RSA PKCS#1 v1.5 or PSS (MGF1 with
 * SHA-256).  WA_OK or WA_ERR_SIGNATURE_INVALID (WA_ERR_INTERNAL when
 * OpenSSL itself fails).
 */
wa_err_t wa_pkey_verify(wa_pkey_t *key, const unsigned char *auth_data,
    size_t auth_data_len, const unsigned char cdata_hash[WA_SHA256_LEN],
    const unsigned char *sig, size_t sig_len, const char **detail);


/* sealed challenges (wa_challenge.c) */

/*
 * A challenge is 1 + 8 + 16 + 32 = 57 bytes:
 *   version (0x01) || expiry (ms since the epoch, big endian, 8 bytes)
 *   || nonce (16 random bytes) || HMAC-SHA-256(key, version || expiry
 *   || nonce || rp_id)
 * Issuing costs no store write; the nonce is recorded as used, with a
 * time to live until the expiry, only when an assertion over it passes.
 */

#define WA_CHALLENGE_LEN        57
#define WA_CHALLENGE_NONCE_LEN  16
#define WA_CHALLENGE_KEY_MIN    32

/* returns 0, or -1 when the CSPRNG fails */
int wa_challenge_issue(unsigned char out[WA_CHALLENGE_LEN],
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, uint64_t expires_ms);
/*
 * WA_OK, setting *expires_ms and *nonce (pointing into c), or
 * WA_ERR_CHALLENGE_INVALID ("challenge was not issued by this relying
 * party", "challenge has expired", ...).  The MAC is compared in
 * constant time before the expiry is looked at.
 */
wa_err_t wa_challenge_check(const unsigned char *c, size_t len,
    const unsigned char *key, size_t keylen, const char *rp_id,
    size_t rp_id_len, uint64_t now_ms, uint64_t *expires_ms,
    const unsigned char **nonce, const char **detail);


/* the assertion (wa_verify.c, wa_json.c, wa_cbor.c) */

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
 * Called with the decoded clientDataJSON.challenge bytes (step 12); returns
 * WA_OK or WA_ERR_CHALLENGE_INVALID with *detail set.  The gateway checks
 * a sealed challenge here, the vector tests compare with a recorded one.
 */
typedef wa_err_t (*wa_challenge_check_pt)(void *data,
    const unsigned char *challenge, size_t len, const char **detail);

typedef struct {
    unsigned char           rp_id_hash[WA_SHA256_LEN];  /* SHA-256(rp_id) */
    const wa_origin_t      *origins;          /* exact match, step 13 */
    size_t                  norigins;
    int                     allow_cross_origin;   /* step 14: topOrigin
                                                     must be in origins */
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
 *   steps 9-11  clientDataJSON parsed as JSON, type "webauthn.get"
 *               (WA_ERR_CLIENT_DATA_INVALID)
 *   step 12     challenge, through policy->check_challenge
 *   steps 13-14 origin exact match; crossOrigin true is refused unless
 *               allowed, and then topOrigin must be in origins
 *               (WA_ERR_ORIGIN_NOT_ALLOWED)
 *   authenticatorData parsed: at least 37 bytes, AT/ED flags consistent
 *               with its length, extensions a well-formed CBOR map,
 *               BS without BE (WA_ERR_CREDENTIAL_MALFORMED)
 *   step 15     rpIdHash (WA_ERR_RP_ID_MISMATCH)
 *   step 16     UP (WA_ERR_USER_NOT_PRESENT)
 *   step 17     UV when required (WA_ERR_USER_NOT_VERIFIED)
 *   step 20     the client data hash
 * Fills challenge, flags, sign_count and cdata_hash.
 */
wa_err_t wa_assertion_check(wa_assertion_t *a, const wa_policy_t *policy,
    const char **detail);

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
 * Releases what the core keeps for the whole process (the EC curve
 * templates wa_pkey_from_cose() copies); for process exit, after which
 * no key may be built.
 */
void wa_core_cleanup(void);


#endif /* _WA_CORE_H_INCLUDED_ */
