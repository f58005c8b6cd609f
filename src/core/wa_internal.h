
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


#define wa_set_detail(d, s)                                                   \
    if ((d) != NULL) {                                                        \
        *(d) = (s);                                                           \
    }


/* WebAuthn L3, 6.1: the fixed part of authenticator data */
#define WA_AUTH_DATA_MIN        37
/* WebAuthn L3, 6.5.1: credentialIdLength */
#define WA_CRED_ID_MAX          1023
/* WebAuthn L3, 5.4.3: user.id */
#define WA_USER_HANDLE_MAX      64
/* a COSE_Key of an RSA key of 16384 bits is about 2 kB */
#define WA_COSE_KEY_MAX         4096
/* nesting allowed in CBOR items (extensions, COSE keys) */
#define WA_CBOR_MAX_DEPTH       16

#define WA_CBOR_MAJOR_MAP       5


/* wa_json.c: the parsed clientDataJSON, pointers into root */

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

wa_err_t wa_json_parse_envelope(wa_assertion_t *a, const unsigned char *json,
    size_t len, const char **detail);
wa_err_t wa_json_parse_client_data(wa_client_data_t *cd,
    const unsigned char *json, size_t len, const char **detail);
void wa_json_client_data_free(wa_client_data_t *cd);


/* wa_cbor.c */

/*
 * Checks that p starts with one well-formed CBOR item (RFC 8949,
 * Appendix C) nested at most WA_CBOR_MAX_DEPTH deep; sets *used to its
 * length and *major to its major type.  Returns 0 or -1.
 */
int wa_cbor_item(const unsigned char *p, size_t len, size_t *used,
    int *major);


/* wa_evp.c: key construction from COSE_Key members */

wa_err_t wa_evp_ec2_key(wa_pkey_t **key, int alg, int crv,
    const unsigned char *x, size_t xlen, const unsigned char *y, size_t ylen,
    const char **detail);
wa_err_t wa_evp_okp_key(wa_pkey_t **key, int alg, int crv,
    const unsigned char *x, size_t xlen, const char **detail);
wa_err_t wa_evp_rsa_key(wa_pkey_t **key, int alg, const unsigned char *n,
    size_t nlen, const unsigned char *e, size_t elen, const char **detail);


/* wa_b64.c */

/*
 * Decodes into a new malloc()ed buffer (never NULL on success); returns
 * 0, -1 on bad input or -2 when out of memory.
 */
int wa_b64url_decode_alloc(unsigned char **dst, size_t *dlen,
    const unsigned char *src, size_t n);


#endif /* _WA_INTERNAL_H_INCLUDED_ */
