
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of COSE keys (wa_cose.c) and the verification keys
 * and signatures built from them (wa_pkey.c).  The input is
 *     flags (1 byte) COSE_Key [ signature ]
 * where the COSE_Key is the first well-formed CBOR item (wa_cbor_item(),
 * as the authenticator data parser delimits it) and the rest is a
 * signature.  flags: bit 0 allow_sha1 (RS1 keys, as the registration
 * policy allows them).  The key goes to wa_pkey_from_cose_ex() (and to
 * wa_pkey_from_cose() when SHA-1 is not allowed: both must agree), the
 * whole input too (one item and nothing after it is the rule); a key
 * built verifies the signature over a fixed message with
 * wa_pkey_verify() and wa_pkey_verify_parts().  Checked: a key exactly on
 * WA_OK, its algorithm one the core lists, errors with their detail and
 * one of the documented codes, the two verify entry points agreeing, and
 * OpenSSL's error queue left empty on every answer but WA_ERR_INTERNAL.
 */


#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "wa_internal.h"


static void fuzz_key(const unsigned char *cose, size_t len, int allow_sha1,
    const unsigned char *sig, size_t sig_len);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const int  fuzz_algs[] = {
    WA_COSE_ALG_ES256, WA_COSE_ALG_EDDSA, WA_COSE_ALG_ESP256,
    WA_COSE_ALG_ED25519, WA_COSE_ALG_ES384, WA_COSE_ALG_ES512,
    WA_COSE_ALG_PS256, WA_COSE_ALG_ED448, WA_COSE_ALG_RS256
};

static const unsigned char  fuzz_auth_data[37] =
    "fuzz authenticator data, 37 bytes...";


static void
fuzz_queue_empty(wa_err_t rc)
{
    if (rc != WA_ERR_INTERNAL && ERR_peek_error() != 0) {
        abort();
    }

    ERR_clear_error();
}


static void
fuzz_key(const unsigned char *cose, size_t len, int allow_sha1,
    const unsigned char *sig, size_t sig_len)
{
    int                   alg;
    size_t                i, lens[2];
    wa_err_t              rc, rc2;
    wa_pkey_t            *key, *key2;
    const char           *detail;
    unsigned char         hash[WA_SHA256_LEN];
    const unsigned char  *parts[2];

    detail = NULL;
    key = NULL;

    rc = wa_pkey_from_cose_ex(&key, cose, len, allow_sha1, &detail);
    fuzz_queue_empty(rc);

    if ((rc == WA_OK) != (key != NULL)) {
        abort();
    }

    if (rc != WA_OK) {
        if (detail == NULL
            || (rc != WA_ERR_CREDENTIAL_MALFORMED
                && rc != WA_ERR_ALGORITHM_UNSUPPORTED
                && rc != WA_ERR_INTERNAL))
        {
            abort();
        }
    }

    if (!allow_sha1) {
        key2 = NULL;
        rc2 = wa_pkey_from_cose(&key2, cose, len, &detail);
        fuzz_queue_empty(rc2);

        if (rc2 != rc) {
            abort();
        }

        wa_pkey_free(key2);
    }

    if (key == NULL) {
        return;
    }

    alg = wa_pkey_alg(key);

    for (i = 0; i < sizeof(fuzz_algs) / sizeof(fuzz_algs[0]); i++) {
        if (fuzz_algs[i] == alg) {
            break;
        }
    }

    if (i == sizeof(fuzz_algs) / sizeof(fuzz_algs[0])
        && !(allow_sha1 && alg == WA_COSE_ALG_RS1))
    {
        abort();
    }

    /* the signature: never valid, both paths say the same */

    wa_sha256(hash, "fuzz client data", 16);

    detail = NULL;
    rc = wa_pkey_verify(key, fuzz_auth_data, sizeof(fuzz_auth_data), hash,
                        sig, sig_len, &detail);
    fuzz_queue_empty(rc);

    if (rc != WA_ERR_SIGNATURE_INVALID && rc != WA_ERR_INTERNAL
        && rc != WA_OK)
    {
        abort();
    }

    if (rc != WA_OK && detail == NULL) {
        abort();
    }

    parts[0] = fuzz_auth_data;
    lens[0] = sizeof(fuzz_auth_data);
    parts[1] = hash;
    lens[1] = sizeof(hash);

    rc2 = wa_pkey_verify_parts(key, parts, lens, 2, sig, sig_len, &detail);
    fuzz_queue_empty(rc2);

    if (rc2 != rc) {
        abort();
    }

    wa_pkey_free(key);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int     major;
    size_t  used;

    if (size < 2) {
        return 0;
    }

    if (wa_cbor_item(data + 1, size - 1, &used, &major) == 0) {
        if (used == 0 || used > size - 1) {
            abort();
        }

        fuzz_key(data + 1, used, data[0] & 1, data + 1 + used,
                 size - 1 - used);
    }

    if (size - 1 <= WA_COSE_KEY_MAX) {
        /* one item and bytes after it: refused, never crashed */
        fuzz_key(data + 1, size - 1, data[0] & 1, data, 0);
    }

    return 0;
}
