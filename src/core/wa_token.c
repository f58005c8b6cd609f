
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Session tokens: a JWS compact serialization (RFC 7515, 7.1) of a JWT
 * (RFC 7519) signed EdDSA with an Ed25519 key (RFC 8037, 3.1) or HS256
 * with a secret (RFC 7518, 3.2).  The key decides the algorithm: the
 * token's header only names the key ("kid") and must repeat that key's
 * algorithm exactly; nothing in a header ever provides a key.
 */


#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "wa_internal.h"


#define WA_TOKEN_EDDSA         1
#define WA_TOKEN_HS256         2

#define WA_TOKEN_ED25519_LEN   32       /* RFC 8032, 5.1.5: a public key */
#define WA_TOKEN_EDDSA_SIG     64       /* RFC 8032, 5.1.6 */
#define WA_TOKEN_SIG_MAX       WA_TOKEN_EDDSA_SIG

#define WA_TOKEN_PEM_BEGIN     "-----BEGIN "


struct wa_token_key_s {
    int             type;               /* WA_TOKEN_EDDSA, WA_TOKEN_HS256 */
    EVP_PKEY       *pkey;               /* EdDSA: the private key, signs */
    EVP_PKEY       *pub;                /* EdDSA: its public half,
                                           verifies */
    unsigned char  *secret;             /* HS256 */
    size_t          secret_len;
    size_t          kid_len;
    char            kid[WA_TOKEN_KID_MAX + 1];
};


/* what wa_token_t.priv holds: the strings of the claims */

typedef struct {
    json_t         *payload;
    char           *roles;
} wa_token_priv_t;


/* a string claim: its name and the details of its faults */

typedef struct {
    const char     *name;
    const char     *missing;
    const char     *invalid;
} wa_token_claim_t;


static int wa_token_no_password(char *buf, int size, int rwflag, void *u);
static int wa_token_is_pem(const unsigned char *data, size_t len);
static wa_err_t wa_token_key_eddsa(wa_token_key_t *k, EVP_PKEY *pkey,
    const char **detail);
static int wa_token_kid_ok(const char *kid, size_t len);
static int wa_token_b64url_ok(const unsigned char *p, size_t len);
static wa_err_t wa_token_claims_check(const wa_token_claims_t *c,
    const char **detail);
static json_t *wa_token_roles_array(const char *roles, size_t len);
static wa_err_t wa_token_mac(const wa_token_key_t *key,
    const unsigned char *msg, size_t len, unsigned char *sig,
    size_t *sig_len, const char **detail);
static wa_err_t wa_token_split(const unsigned char *token, size_t len,
    const unsigned char **part, size_t *plen, const char **detail);
static json_t *wa_token_json(const unsigned char *p, size_t n, int *oom);
static wa_err_t wa_token_header(json_t *hdr, wa_token_key_t *const *keys,
    size_t nkeys, const wa_token_key_t **key, const char **detail);
static wa_err_t wa_token_signature(const wa_token_key_t *key,
    const unsigned char *msg, size_t len, const unsigned char *sig64,
    size_t sig64_len, const char **detail);
static wa_err_t wa_token_string(json_t *payload, const wa_token_claim_t *c,
    const char **s, size_t *len, const char **detail);
static wa_err_t wa_token_integer(json_t *payload, const char *name,
    const char *invalid, int64_t *v, const char **detail);
static wa_err_t wa_token_roles(json_t *payload, char **roles, size_t *len,
    const char **detail);


static const wa_token_claim_t  wa_token_sub = {
    "sub", "token has no string \"sub\"",
    "token \"sub\" is not a valid user name"
};

static const wa_token_claim_t  wa_token_cid = {
    "cid", "token has no string \"cid\"",
    "token \"cid\" is not a valid credential id"
};

static const wa_token_claim_t  wa_token_iss = {
    "iss", "token has no string \"iss\"",
    "token \"iss\" is not a valid string"
};

static const wa_token_claim_t  wa_token_aud = {
    "aud", "token has no string \"aud\"",
    "token \"aud\" is not a valid string"
};


/* keys ------------------------------------------------------------------- */


/* an encrypted PEM key is refused, never prompted for */

static int
wa_token_no_password(char *buf, int size, int rwflag, void *u)
{
    (void) buf;
    (void) size;
    (void) rwflag;
    (void) u;

    return -1;
}


/* RFC 7468, 2: "-----BEGIN " anywhere makes the data PEM, not a secret */

static int
wa_token_is_pem(const unsigned char *data, size_t len)
{
    size_t  i, n;

    n = sizeof(WA_TOKEN_PEM_BEGIN) - 1;

    for (i = 0; i + n <= len; i++) {
        if (memcmp(&data[i], WA_TOKEN_PEM_BEGIN, n) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
wa_token_kid_ok(const char *kid, size_t len)
{
    size_t  i;
    char    c;

    if (kid == NULL || len == 0 || len > WA_TOKEN_KID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = kid[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


wa_err_t
wa_token_key_new(wa_token_key_t **key, const unsigned char *data,
    size_t len, const char *kid, size_t kid_len, const char **detail)
{
    BIO             *bio;
    EVP_PKEY        *pkey;
    wa_err_t         rc;
    wa_token_key_t  *k;

    if (!wa_token_kid_ok(kid, kid_len)) {
        wa_set_detail(detail, "session key id is not 1 to 64 of "
                              "A-Z a-z 0-9 . _ -");
        return WA_ERR_INTERNAL;
    }

    if (data == NULL && len != 0) {
        wa_set_detail(detail, "session key has no data");
        return WA_ERR_INTERNAL;
    }

    if (len > INT_MAX) {
        wa_set_detail(detail, "session key is too long");
        return WA_ERR_INTERNAL;
    }

    k = calloc(1, sizeof(wa_token_key_t));
    if (k == NULL) {
        wa_set_detail(detail, "out of memory");
        return WA_ERR_INTERNAL;
    }

    memcpy(k->kid, kid, kid_len);
    k->kid[kid_len] = '\0';
    k->kid_len = kid_len;

    pkey = NULL;

    if (len != 0) {
        bio = BIO_new_mem_buf(data, (int) len);
        if (bio == NULL) {
            wa_set_detail(detail, "BIO_new_mem_buf() failed");
            rc = WA_ERR_INTERNAL;
            goto failed;
        }

        pkey = PEM_read_bio_PrivateKey(bio, NULL, wa_token_no_password, NULL);

        BIO_free(bio);
    }

    if (pkey != NULL) {
        /* decoders tried before the one that succeeded may have queued */
        ERR_clear_error();

        if (!EVP_PKEY_is_a(pkey, "ED25519")) {
            /* an RSA or EC key is not taken for a secret either */
            EVP_PKEY_free(pkey);
            wa_set_detail(detail, "session key is a PEM key but not Ed25519");
            rc = WA_ERR_INTERNAL;
            goto failed;
        }

        rc = wa_token_key_eddsa(k, pkey, detail);
        if (rc != WA_OK) {
            goto failed;
        }

        *key = k;

        return WA_OK;
    }

    if (len != 0 && wa_token_is_pem(data, len)) {
        /*
         * a public key, a certificate, an encrypted or broken private key:
         * OpenSSL's queue says which, for the log
         */
        wa_set_detail(detail, "session key is PEM but not an unencrypted "
                              "private key");
        rc = WA_ERR_INTERNAL;
        goto failed;
    }

    /* not PEM: "no start line" is no fault of a secret */

    ERR_clear_error();

    if (len < WA_TOKEN_SECRET_MIN) {
        wa_set_detail(detail, "session key secret is shorter than 32 bytes");
        rc = WA_ERR_INTERNAL;
        goto failed;
    }

    k->secret = malloc(len);
    if (k->secret == NULL) {
        wa_set_detail(detail, "out of memory");
        rc = WA_ERR_INTERNAL;
        goto failed;
    }

    memcpy(k->secret, data, len);
    k->secret_len = len;
    k->type = WA_TOKEN_HS256;

    *key = k;

    return WA_OK;

failed:

    wa_token_key_free(k);

    return rc;
}


/* takes pkey over, whatever the result */

static wa_err_t
wa_token_key_eddsa(wa_token_key_t *k, EVP_PKEY *pkey, const char **detail)
{
    size_t         n;
    unsigned char  pub[WA_TOKEN_ED25519_LEN];

    k->pkey = pkey;
    k->type = WA_TOKEN_EDDSA;

    n = sizeof(pub);

    if (EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1
        || n != WA_TOKEN_ED25519_LEN)
    {
        wa_set_detail(detail, "EVP_PKEY_get_raw_public_key() failed");
        return WA_ERR_INTERNAL;
    }

    k->pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, n);
    if (k->pub == NULL) {
        wa_set_detail(detail, "EVP_PKEY_new_raw_public_key() failed");
        return WA_ERR_INTERNAL;
    }

    return WA_OK;
}


void
wa_token_key_free(wa_token_key_t *key)
{
    if (key == NULL) {
        return;
    }

    if (key->secret != NULL) {
        wa_memzero(key->secret, key->secret_len);
        free(key->secret);
    }

    /* OpenSSL wipes the private key it frees */

    EVP_PKEY_free(key->pkey);
    EVP_PKEY_free(key->pub);

    wa_memzero(key, sizeof(wa_token_key_t));
    free(key);
}


/* RFC 8037, 3.1; RFC 7518, 3.1 */

const char *
wa_token_key_alg(const wa_token_key_t *key)
{
    return (key->type == WA_TOKEN_EDDSA) ? "EdDSA" : "HS256";
}


/* signing ---------------------------------------------------------------- */


/* the claims a token may carry: the record rules, as verifying applies */

static wa_err_t
wa_token_claims_check(const wa_token_claims_t *c, const char **detail)
{
    if (c->sub == NULL || c->sub_len == 0
        || !wa_record_user_name_ok((const unsigned char *) c->sub,
                                   c->sub_len))
    {
        wa_set_detail(detail, wa_token_sub.invalid);
        return WA_ERR_INTERNAL;
    }

    if (c->cid == NULL
        || !wa_record_cred_id_ok((const unsigned char *) c->cid, c->cid_len))
    {
        wa_set_detail(detail, wa_token_cid.invalid);
        return WA_ERR_INTERNAL;
    }

    if (!wa_record_roles_ok((const unsigned char *) c->roles, c->roles_len)) {
        wa_set_detail(detail, "token \"roles\" has an invalid role");
        return WA_ERR_INTERNAL;
    }

    if (c->iat < 0 || c->exp < 0 || c->auth_time < 0) {
        wa_set_detail(detail, "token time is negative");
        return WA_ERR_INTERNAL;
    }

    if ((c->iss == NULL && c->iss_len != 0)
        || !wa_record_user_name_ok((const unsigned char *) c->iss,
                                   c->iss_len))
    {
        wa_set_detail(detail, wa_token_iss.invalid);
        return WA_ERR_INTERNAL;
    }

    if ((c->aud == NULL && c->aud_len != 0)
        || !wa_record_user_name_ok((const unsigned char *) c->aud,
                                   c->aud_len))
    {
        wa_set_detail(detail, wa_token_aud.invalid);
        return WA_ERR_INTERNAL;
    }

    return WA_OK;
}


/* the stored roles, one SP between them, as a JSON array of strings */

static json_t *
wa_token_roles_array(const char *roles, size_t len)
{
    size_t   i, start;
    json_t  *a;

    a = json_array();
    if (a == NULL) {
        return NULL;
    }

    start = 0;

    for (i = 0; len != 0 && i <= len; i++) {
        if (i < len && roles[i] != ' ') {
            continue;
        }

        if (json_array_append_new(a, json_stringn(&roles[start], i - start))
            != 0)
        {
            json_decref(a);
            return NULL;
        }

        start = i + 1;
    }

    return a;
}


/* RFC 7515, 5.1, step 5: the signature of header "." payload */

static wa_err_t
wa_token_mac(const wa_token_key_t *key, const unsigned char *msg,
    size_t len, unsigned char *sig, size_t *sig_len, const char **detail)
{
    wa_err_t     rc;
    EVP_MD_CTX  *ctx;

    if (key->type == WA_TOKEN_HS256) {
        /* RFC 7518, 3.2 */

        if (wa_hmac_sha256(sig, key->secret, key->secret_len, msg, len)
            != 0)
        {
            wa_set_detail(detail, "HMAC() failed");
            return WA_ERR_INTERNAL;
        }

        *sig_len = WA_SHA256_LEN;

        return WA_OK;
    }

    /* RFC 8037, 3.1: Ed25519 over the message itself, no digest */

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        wa_set_detail(detail, "EVP_MD_CTX_new() failed");
        return WA_ERR_INTERNAL;
    }

    *sig_len = WA_TOKEN_EDDSA_SIG;

    if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) != 1) {
        wa_set_detail(detail, "EVP_DigestSignInit() failed");
        rc = WA_ERR_INTERNAL;

    } else if (EVP_DigestSign(ctx, sig, sig_len, msg, len) != 1
               || *sig_len != WA_TOKEN_EDDSA_SIG)
    {
        wa_set_detail(detail, "EVP_DigestSign() failed");
        rc = WA_ERR_INTERNAL;

    } else {
        rc = WA_OK;
    }

    EVP_MD_CTX_free(ctx);

    return rc;
}


wa_err_t
wa_token_sign(const wa_token_key_t *key, const wa_token_claims_t *claims,
    char **out, size_t *out_len, const char **detail)
{
    char           *hdr_json, *pl_json, *tok;
    size_t          hlen, plen, n, sig_len;
    json_t         *hdr, *pl, *roles;
    wa_err_t        rc;
    unsigned char  *p, sig[WA_TOKEN_SIG_MAX];

    if (key == NULL || key->type == 0) {
        wa_set_detail(detail, "no session key");
        return WA_ERR_INTERNAL;
    }

    rc = wa_token_claims_check(claims, detail);
    if (rc != WA_OK) {
        return rc;
    }

    hdr = NULL;
    pl = NULL;
    roles = NULL;
    hdr_json = NULL;
    pl_json = NULL;
    tok = NULL;

    rc = WA_ERR_INTERNAL;

    /* RFC 7515, 4.1.1, 4.1.4; RFC 7519, 5.1 */

    hdr = json_pack("{s:s, s:s, s:s}", "alg", wa_token_key_alg(key),
                    "kid", key->kid, "typ", "JWT");
    if (hdr == NULL) {
        wa_set_detail(detail, "json_pack() failed");
        goto done;
    }

    roles = wa_token_roles_array(claims->roles, claims->roles_len);
    if (roles == NULL) {
        wa_set_detail(detail, "json_array() failed");
        goto done;
    }

    /* RFC 7519, 4.1: iss, sub, aud, exp, iat; the rest are private */

    pl = json_pack("{s:s#, s:s#, s:O, s:b, s:I, s:I, s:I, s:s#, s:s#}",
                   "sub", claims->sub, (int) claims->sub_len,
                   "cid", claims->cid, (int) claims->cid_len,
                   "roles", roles,
                   "uv", claims->uv ? 1 : 0,
                   "iat", (json_int_t) claims->iat,
                   "exp", (json_int_t) claims->exp,
                   "auth_time", (json_int_t) claims->auth_time,
                   "iss", claims->iss_len ? claims->iss : "",
                   (int) claims->iss_len,
                   "aud", claims->aud_len ? claims->aud : "",
                   (int) claims->aud_len);
    if (pl == NULL) {
        wa_set_detail(detail, "json_pack() failed");
        goto done;
    }

    hdr_json = json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER);
    pl_json = json_dumps(pl, JSON_COMPACT | JSON_PRESERVE_ORDER);

    if (hdr_json == NULL || pl_json == NULL) {
        wa_set_detail(detail, "json_dumps() failed");
        goto done;
    }

    hlen = strlen(hdr_json);
    plen = strlen(pl_json);

    sig_len = (key->type == WA_TOKEN_HS256) ? WA_SHA256_LEN
                                            : WA_TOKEN_EDDSA_SIG;

    n = wa_b64url_encoded_len(hlen) + 1 + wa_b64url_encoded_len(plen) + 1
        + wa_b64url_encoded_len(sig_len);

    if (n > WA_TOKEN_MAX) {
        /* wa_token_verify() would refuse it */
        wa_set_detail(detail, "token would be longer than 4096 bytes");
        goto done;
    }

    tok = malloc(n + 1);
    if (tok == NULL) {
        wa_set_detail(detail, "out of memory");
        goto done;
    }

    /* RFC 7515, 7.1 */

    p = (unsigned char *) tok;
    p += wa_b64url_encode(p, (unsigned char *) hdr_json, hlen);
    *p++ = '.';
    p += wa_b64url_encode(p, (unsigned char *) pl_json, plen);

    rc = wa_token_mac(key, (unsigned char *) tok, p - (unsigned char *) tok,
                      sig, &sig_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    *p++ = '.';
    p += wa_b64url_encode(p, sig, sig_len);
    *p = '\0';

    *out_len = p - (unsigned char *) tok;
    *out = tok;
    tok = NULL;

    rc = WA_OK;

done:

    wa_memzero(sig, sizeof(sig));

    free(tok);
    free(pl_json);
    free(hdr_json);
    json_decref(pl);
    json_decref(roles);
    json_decref(hdr);

    return rc;
}


/* verifying -------------------------------------------------------------- */


/* RFC 7515, 2: base64url without padding, the url-safe alphabet only */

static int
wa_token_b64url_ok(const unsigned char *p, size_t len)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            return 0;
        }
    }

    return 1;
}


/* RFC 7515, 7.1: three non-empty base64url parts, two "." between them */

static wa_err_t
wa_token_split(const unsigned char *token, size_t len,
    const unsigned char **part, size_t *plen, const char **detail)
{
    size_t  i, n, start;

    n = 0;
    start = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && token[i] != '.') {
            continue;
        }

        if (n == 3) {
            goto bad;
        }

        part[n] = &token[start];
        plen[n] = i - start;

        if (plen[n] == 0 || !wa_token_b64url_ok(part[n], plen[n])) {
            goto bad;
        }

        n++;
        start = i + 1;
    }

    if (n != 3) {
        goto bad;
    }

    return WA_OK;

bad:

    wa_set_detail(detail, "token is not three base64url parts");

    return WA_ERR_TOKEN_INVALID;
}


/* a decoded part as a JSON object, duplicate members refused */

static json_t *
wa_token_json(const unsigned char *p, size_t n, int *oom)
{
    int             rc;
    size_t          len;
    json_t         *json;
    unsigned char  *buf;

    *oom = 0;

    rc = wa_b64url_decode_alloc(&buf, &len, p, n);
    if (rc != 0) {
        *oom = (rc == -2);
        return NULL;
    }

    json = json_loadb((const char *) buf, len, JSON_REJECT_DUPLICATES, NULL);

    free(buf);

    if (json != NULL && !json_is_object(json)) {
        json_decref(json);
        return NULL;
    }

    return json;
}


/* RFC 7515, 4.1.1, 4.1.4, 4.1.11: "alg", "kid", "crit" */

static wa_err_t
wa_token_header(json_t *hdr, wa_token_key_t *const *keys, size_t nkeys,
    const wa_token_key_t **key, const char **detail)
{
    size_t                 i, len;
    json_t                *alg, *kid;
    const char            *name;
    const wa_token_key_t  *k;

    alg = json_object_get(hdr, "alg");
    if (!json_is_string(alg)) {
        wa_set_detail(detail, "token header has no string \"alg\"");
        return WA_ERR_TOKEN_INVALID;
    }

    kid = json_object_get(hdr, "kid");
    if (!json_is_string(kid)) {
        wa_set_detail(detail, "token header has no string \"kid\"");
        return WA_ERR_TOKEN_INVALID;
    }

    /* no extension is understood here, so none may be critical */

    if (json_object_get(hdr, "crit") != NULL) {
        wa_set_detail(detail, "token header has \"crit\"");
        return WA_ERR_TOKEN_INVALID;
    }

    /* "jwk", "jku", "x5c", "x5u": ignored, the key is ours */

    len = json_string_length(kid);
    name = json_string_value(kid);
    k = NULL;

    for (i = 0; keys != NULL && i < nkeys; i++) {
        if (keys[i] != NULL && keys[i]->kid_len == len
            && memcmp(keys[i]->kid, name, len) == 0)
        {
            k = keys[i];
            break;
        }
    }

    if (k == NULL) {
        wa_set_detail(detail, "token key id is unknown");
        return WA_ERR_TOKEN_INVALID;
    }

    /* exactly the key's: "none", "hs256", another algorithm are refused */

    name = wa_token_key_alg(k);
    len = strlen(name);

    if (json_string_length(alg) != len
        || memcmp(json_string_value(alg), name, len) != 0)
    {
        wa_set_detail(detail, "token algorithm is not its key's");
        return WA_ERR_TOKEN_INVALID;
    }

    *key = k;

    return WA_OK;
}


/* RFC 7515, 5.2, step 8 */

static wa_err_t
wa_token_signature(const wa_token_key_t *key, const unsigned char *msg,
    size_t len, const unsigned char *sig64, size_t sig64_len,
    const char **detail)
{
    int             rc;
    size_t          n, want;
    wa_err_t        err;
    EVP_MD_CTX     *ctx;
    unsigned char   sig[WA_TOKEN_SIG_MAX + 3], mac[WA_SHA256_LEN];

    /* 32 bytes of HMAC-SHA-256, RFC 7518, 3.2; 64 of Ed25519 */

    want = (key->type == WA_TOKEN_HS256) ? WA_SHA256_LEN : WA_TOKEN_EDDSA_SIG;

    if (sig64_len != wa_b64url_encoded_len(want)
        || wa_b64url_decode(sig, &n, sig64, sig64_len) != 0
        || n != want)
    {
        wa_set_detail(detail, "token signature does not verify");
        return WA_ERR_TOKEN_INVALID;
    }

    if (key->type == WA_TOKEN_HS256) {
        if (wa_hmac_sha256(mac, key->secret, key->secret_len, msg, len)
            != 0)
        {
            wa_set_detail(detail, "HMAC() failed");
            return WA_ERR_INTERNAL;
        }

        rc = wa_memeq(mac, sig, WA_SHA256_LEN);

        wa_memzero(mac, sizeof(mac));

        if (!rc) {
            wa_set_detail(detail, "token signature does not verify");
            return WA_ERR_TOKEN_INVALID;
        }

        return WA_OK;
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        wa_set_detail(detail, "EVP_MD_CTX_new() failed");
        return WA_ERR_INTERNAL;
    }

    if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pub) != 1) {
        wa_set_detail(detail, "EVP_DigestVerifyInit() failed");
        err = WA_ERR_INTERNAL;
        goto done;
    }

    if (EVP_DigestVerify(ctx, sig, n, msg, len) != 1) {
        ERR_clear_error();
        wa_set_detail(detail, "token signature does not verify");
        err = WA_ERR_TOKEN_INVALID;
        goto done;
    }

    err = WA_OK;

done:

    EVP_MD_CTX_free(ctx);

    return err;
}


static wa_err_t
wa_token_string(json_t *payload, const wa_token_claim_t *c, const char **s,
    size_t *len, const char **detail)
{
    json_t  *v;

    v = json_object_get(payload, c->name);
    if (!json_is_string(v)) {
        wa_set_detail(detail, c->missing);
        return WA_ERR_TOKEN_INVALID;
    }

    *s = json_string_value(v);
    *len = json_string_length(v);

    return WA_OK;
}


/* RFC 7519, 2: NumericDate, here whole seconds, not before the epoch */

static wa_err_t
wa_token_integer(json_t *payload, const char *name, const char *invalid,
    int64_t *v, const char **detail)
{
    json_t      *j;
    json_int_t   i;

    j = json_object_get(payload, name);
    if (!json_is_integer(j)) {
        wa_set_detail(detail, invalid);
        return WA_ERR_TOKEN_INVALID;
    }

    i = json_integer_value(j);

    if (i < 0) {
        wa_set_detail(detail, invalid);
        return WA_ERR_TOKEN_INVALID;
    }

    *v = (int64_t) i;

    return WA_OK;
}


/* "roles": 0 to 32 roles, joined with one SP as the record stores them */

static wa_err_t
wa_token_roles(json_t *payload, char **roles, size_t *len,
    const char **detail)
{
    char                 *buf, *p;
    size_t                i, n, total, slen;
    json_t               *a, *v;
    const unsigned char  *s;

    a = json_object_get(payload, "roles");
    if (!json_is_array(a)) {
        wa_set_detail(detail, "token has no array \"roles\"");
        return WA_ERR_TOKEN_INVALID;
    }

    n = json_array_size(a);

    if (n > WA_ROLES_NMAX) {
        wa_set_detail(detail, "token \"roles\" has more than 32 roles");
        return WA_ERR_TOKEN_INVALID;
    }

    total = 0;

    for (i = 0; i < n; i++) {
        v = json_array_get(a, i);

        if (!json_is_string(v)) {
            wa_set_detail(detail, "token \"roles\" has an invalid role");
            return WA_ERR_TOKEN_INVALID;
        }

        s = (const unsigned char *) json_string_value(v);
        slen = json_string_length(v);

        /* one role each: non-empty, no SP that would split it */

        if (slen == 0 || memchr(s, ' ', slen) != NULL
            || !wa_record_roles_ok(s, slen))
        {
            wa_set_detail(detail, "token \"roles\" has an invalid role");
            return WA_ERR_TOKEN_INVALID;
        }

        total += slen + 1;
    }

    buf = malloc(total + 1);
    if (buf == NULL) {
        wa_set_detail(detail, "out of memory");
        return WA_ERR_INTERNAL;
    }

    p = buf;

    for (i = 0; i < n; i++) {
        v = json_array_get(a, i);

        if (i != 0) {
            *p++ = ' ';
        }

        slen = json_string_length(v);
        memcpy(p, json_string_value(v), slen);
        p += slen;
    }

    *p = '\0';

    if (!wa_record_roles_ok((unsigned char *) buf, p - buf)) {
        free(buf);
        wa_set_detail(detail, "token \"roles\" has an invalid role");
        return WA_ERR_TOKEN_INVALID;
    }

    *roles = buf;
    *len = p - buf;

    return WA_OK;
}


wa_err_t
wa_token_verify(wa_token_t *t, const unsigned char *token, size_t len,
    wa_token_key_t *const *keys, size_t nkeys, const char *aud,
    size_t aud_len, int64_t now, int64_t leeway, const char **detail)
{
    int                    oom;
    char                  *roles;
    size_t                 plen[3], roles_len;
    json_t                *hdr, *pl, *uv;
    wa_err_t               rc;
    wa_token_priv_t       *priv;
    wa_token_claims_t      c;
    const unsigned char   *part[3];
    const wa_token_key_t  *key;

    memset(t, 0, sizeof(wa_token_t));

    if (leeway < 0) {
        leeway = 0;

    } else if (leeway > WA_TOKEN_LEEWAY_MAX) {
        leeway = WA_TOKEN_LEEWAY_MAX;
    }

    if (token == NULL || len == 0) {
        wa_set_detail(detail, "token is not three base64url parts");
        return WA_ERR_TOKEN_INVALID;
    }

    if (len > WA_TOKEN_MAX) {
        wa_set_detail(detail, "token is longer than 4096 bytes");
        return WA_ERR_TOKEN_INVALID;
    }

    rc = wa_token_split(token, len, part, plen, detail);
    if (rc != WA_OK) {
        return rc;
    }

    key = NULL;
    roles = NULL;

    hdr = wa_token_json(part[0], plen[0], &oom);
    if (hdr == NULL) {
        if (oom) {
            wa_set_detail(detail, "out of memory");
            return WA_ERR_INTERNAL;
        }

        wa_set_detail(detail, "token header is not a JSON object");
        return WA_ERR_TOKEN_INVALID;
    }

    rc = wa_token_header(hdr, keys, nkeys, &key, detail);

    json_decref(hdr);

    if (rc != WA_OK) {
        return rc;
    }

    /* RFC 7515, 5.2, step 8: over the ASCII of header "." payload as sent */

    rc = wa_token_signature(key, token, plen[0] + 1 + plen[1], part[2],
                            plen[2], detail);
    if (rc != WA_OK) {
        return rc;
    }

    /* only now is the payload read */

    pl = wa_token_json(part[1], plen[1], &oom);
    if (pl == NULL) {
        if (oom) {
            wa_set_detail(detail, "out of memory");
            return WA_ERR_INTERNAL;
        }

        wa_set_detail(detail, "token payload is not a JSON object");
        return WA_ERR_TOKEN_INVALID;
    }

    memset(&c, 0, sizeof(wa_token_claims_t));

    rc = wa_token_string(pl, &wa_token_sub, &c.sub, &c.sub_len, detail);
    if (rc != WA_OK) {
        goto failed;
    }

    if (c.sub_len == 0
        || !wa_record_user_name_ok((const unsigned char *) c.sub, c.sub_len))
    {
        wa_set_detail(detail, wa_token_sub.invalid);
        rc = WA_ERR_TOKEN_INVALID;
        goto failed;
    }

    rc = wa_token_string(pl, &wa_token_cid, &c.cid, &c.cid_len, detail);
    if (rc != WA_OK) {
        goto failed;
    }

    if (!wa_record_cred_id_ok((const unsigned char *) c.cid, c.cid_len)) {
        wa_set_detail(detail, wa_token_cid.invalid);
        rc = WA_ERR_TOKEN_INVALID;
        goto failed;
    }

    rc = wa_token_roles(pl, &roles, &roles_len, detail);
    if (rc != WA_OK) {
        goto failed;
    }

    c.roles = roles;
    c.roles_len = roles_len;

    uv = json_object_get(pl, "uv");
    if (!json_is_boolean(uv)) {
        wa_set_detail(detail, "token has no boolean \"uv\"");
        rc = WA_ERR_TOKEN_INVALID;
        goto failed;
    }

    c.uv = json_is_true(uv);

    rc = wa_token_integer(pl, "iat", "token has no valid \"iat\"", &c.iat,
                          detail);
    if (rc != WA_OK) {
        goto failed;
    }

    rc = wa_token_integer(pl, "exp", "token has no valid \"exp\"", &c.exp,
                          detail);
    if (rc != WA_OK) {
        goto failed;
    }

    rc = wa_token_integer(pl, "auth_time", "token has no valid "
                          "\"auth_time\"", &c.auth_time, detail);
    if (rc != WA_OK) {
        goto failed;
    }

    rc = wa_token_string(pl, &wa_token_iss, &c.iss, &c.iss_len, detail);
    if (rc != WA_OK) {
        goto failed;
    }

    if (!wa_record_user_name_ok((const unsigned char *) c.iss, c.iss_len)) {
        wa_set_detail(detail, wa_token_iss.invalid);
        rc = WA_ERR_TOKEN_INVALID;
        goto failed;
    }

    rc = wa_token_string(pl, &wa_token_aud, &c.aud, &c.aud_len, detail);
    if (rc != WA_OK) {
        goto failed;
    }

    /* RFC 7519, 4.1.3 */

    if (aud == NULL || c.aud_len != aud_len
        || memcmp(c.aud, aud, aud_len) != 0)
    {
        wa_set_detail(detail, "token audience is not this relying party");
        rc = WA_ERR_TOKEN_INVALID;
        goto failed;
    }

    /* RFC 7519, 4.1.6; iat >= 0 and leeway <= 30: no overflow */

    if (c.iat - leeway > now) {
        wa_set_detail(detail, "token was issued in the future");
        rc = WA_ERR_TOKEN_INVALID;
        goto failed;
    }

    /* RFC 7519, 4.1.4; an exp + leeway past INT64_MAX never comes */

    if (c.exp <= INT64_MAX - leeway && now >= c.exp + leeway) {
        wa_set_detail(detail, "token has expired");
        rc = WA_ERR_TOKEN_EXPIRED;
        goto failed;
    }

    priv = malloc(sizeof(wa_token_priv_t));
    if (priv == NULL) {
        wa_set_detail(detail, "out of memory");
        rc = WA_ERR_INTERNAL;
        goto failed;
    }

    priv->payload = pl;
    priv->roles = roles;

    t->claims = c;
    t->key = key;
    t->priv = priv;

    return WA_OK;

failed:

    free(roles);
    json_decref(pl);

    return rc;
}


void
wa_token_free(wa_token_t *t)
{
    wa_token_priv_t  *priv;

    if (t == NULL) {
        return;
    }

    priv = t->priv;

    if (priv != NULL) {
        json_decref(priv->payload);
        free(priv->roles);
        free(priv);
    }

    memset(t, 0, sizeof(wa_token_t));
}
