
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
/* nesting allowed in CBOR items (extensions, COSE keys) */
#define WA_CBOR_MAX_DEPTH       16

#define WA_CBOR_MAJOR_MAP       5


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
void wa_client_data_free(wa_client_data_t *cd);


#pragma GCC visibility pop


#endif /* _WA_INTERNAL_H_INCLUDED_ */
