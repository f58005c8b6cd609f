
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * unit tests of session tokens (wa_token.c): keys, signing, verifying,
 * and the refusals, algorithm confusion first among them; every token
 * refused for one reason is otherwise valid (signed with the right key)
 */


#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/hmac.h>
#include <openssl/err.h>

#include "wa_internal.h"
#include "unit.h"


#define RP_ID      "example.org"
#define NOW        1700000000
#define IAT        "1699999990"
#define EXP        "1700000300"
#define AUTH_TIME  "1699999980"
#define CID        "AAECAwQFBgc"
#define ROLES      "[\"admin\",\"ops:read\",\"dev-team\"]"

#define HS_KID     "hs-1"
#define ED_KID     "ed-1"

#define TOK_MAX    16384

#define HOW_HS     1        /* HMAC-SHA-256 with a secret */
#define HOW_ED     2        /* Ed25519 with an EVP_PKEY */
#define HOW_RAW    3        /* these signature bytes */

#define HDR_HS     "{\"alg\":\"HS256\",\"kid\":\"" HS_KID "\",\"typ\":\"JWT\"}"
#define HDR_ED     "{\"alg\":\"EdDSA\",\"kid\":\"" ED_KID "\",\"typ\":\"JWT\"}"



typedef struct {
    const char  *sub;       /* JSON value texts; NULL leaves it out */
    const char  *cid;
    const char  *roles;
    const char  *uv;
    const char  *iat;
    const char  *exp;
    const char  *auth_time;
    const char  *iss;
    const char  *aud;
    const char  *extra;     /* appended members, ",\"x\":1" */
} pl_t;


static const unsigned char  hs_secret[] =
    "0123456789abcdef0123456789abcdef-session";

static const char          *last_detail;
static int                  queue_dirty;

static EVP_PKEY            *ed_pk;          /* the test's copy */
static EVP_PKEY            *evil_pk;        /* an attacker's key */
static char                *ed_pem;
static size_t               ed_pem_len;
static wa_token_key_t      *hs_key;
static wa_token_key_t      *ed_key;
static wa_token_key_t      *keys[2];


/* helpers ---------------------------------------------------------------- */


/*
 * wa_core.h: OpenSSL's error queue is empty after every return but
 * WA_ERR_INTERNAL; counted here, reported once at the end
 */

static void
queue_check(wa_err_t rc)
{
    if (rc != WA_ERR_INTERNAL && ERR_peek_error() != 0) {
        queue_dirty++;
        printf("# OpenSSL error queue not empty after %s\n",
               wa_err_code(rc));
    }

    ERR_clear_error();
}


static int
detail_is(const char *want)
{
    return last_detail != NULL && strcmp(last_detail, want) == 0;
}


static const char *
shown(void)
{
    return last_detail != NULL ? last_detail : "(null)";
}


static char *
pem_of(EVP_PKEY *pk, int public, const EVP_CIPHER *cipher, size_t *len)
{
    BIO   *bio;
    char  *p, *pem;
    long   n;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        abort();
    }

    if (public) {
        if (PEM_write_bio_PUBKEY(bio, pk) != 1) {
            abort();
        }

    } else if (cipher != NULL) {
        if (PEM_write_bio_PKCS8PrivateKey(bio, pk, cipher, "pass", 4, NULL,
                                          NULL)
            != 1)
        {
            abort();
        }

    } else if (PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL)
               != 1)
    {
        abort();
    }

    n = BIO_get_mem_data(bio, &p);

    pem = malloc(n + 1);
    if (pem == NULL) {
        abort();
    }

    memcpy(pem, p, n);
    pem[n] = '\0';
    *len = n;

    BIO_free(bio);

    return pem;
}


static void
b64(char *dst, const void *src, size_t n)
{
    dst[wa_b64url_encode((unsigned char *) dst, src, n)] = '\0';
}


/* the standard alphabet (RFC 4648, 4) of a base64url text, in place */

static void
to_std(char *s)
{
    for ( ; *s != '\0'; s++) {
        if (*s == '-') {
            *s = '+';

        } else if (*s == '_') {
            *s = '/';
        }
    }
}


static void
add_pad(char *s)
{
    size_t  n;

    n = strlen(s);

    while (n % 4 != 0) {
        s[n++] = '=';
    }

    s[n] = '\0';
}


/* out (TOK_MAX bytes) = a b c */

static void
join(char *out, const char *a, const char *b, const char *c)
{
    size_t  na, nb, nc;

    na = strlen(a);
    nb = strlen(b);
    nc = strlen(c);

    if (na + nb + nc >= TOK_MAX) {
        abort();
    }

    memmove(out, a, na);
    memmove(out + na, b, nb);
    memmove(out + na + nb, c, nc + 1);
}


/* out = h64 "." p64 "." BASE64URL(signature over h64 "." p64) */

static void
sign_parts(char *out, const char *h64, const char *p64, int how,
    const void *k, size_t klen)
{
    size_t          n, slen;
    EVP_MD_CTX     *ctx;
    unsigned int    mlen;
    unsigned char   sig[256];

    join(out, h64, ".", p64);
    n = strlen(out);
    slen = 0;

    if (how == HOW_HS) {
        if (HMAC(EVP_sha256(), k, (int) klen, (unsigned char *) out, n, sig,
                 &mlen)
            == NULL)
        {
            abort();
        }

        slen = mlen;

    } else if (how == HOW_ED) {
        ctx = EVP_MD_CTX_new();
        slen = sizeof(sig);

        if (ctx == NULL
            || EVP_DigestSignInit(ctx, NULL, NULL, NULL, (EVP_PKEY *) k)
               != 1
            || EVP_DigestSign(ctx, sig, &slen, (unsigned char *) out, n)
               != 1)
        {
            abort();
        }

        EVP_MD_CTX_free(ctx);

    } else {
        memcpy(sig, k, klen);
        slen = klen;
    }

    out[n++] = '.';
    b64(&out[n], sig, slen);
}


static void
forge(char *out, const char *hdr, const char *pl, int how, const void *k,
    size_t klen)
{
    char  h64[TOK_MAX], p64[TOK_MAX];

    b64(h64, hdr, strlen(hdr));
    b64(p64, pl, strlen(pl));

    sign_parts(out, h64, p64, how, k, klen);
}


static void
forge_hs(char *out, const char *hdr, const char *pl)
{
    forge(out, hdr, pl, HOW_HS, hs_secret, sizeof(hs_secret) - 1);
}


static void
forge_ed(char *out, const char *hdr, const char *pl)
{
    forge(out, hdr, pl, HOW_ED, ed_pk, 0);
}


static void
pl_default(pl_t *p)
{
    memset(p, 0, sizeof(pl_t));

    p->sub = "\"alice\"";
    p->cid = "\"" CID "\"";
    p->roles = ROLES;
    p->uv = "true";
    p->iat = IAT;
    p->exp = EXP;
    p->auth_time = AUTH_TIME;
    p->iss = "\"" RP_ID "\"";
    p->aud = "\"" RP_ID "\"";
}


static void
pl_member(char *buf, size_t *n, const char *name, const char *value)
{
    if (value == NULL) {
        return;
    }

    *n += snprintf(buf + *n, TOK_MAX - *n, "%s\"%s\":%s",
                   *n > 1 ? "," : "", name, value);
}


static const char *
pl_text(const pl_t *p)
{
    size_t       n;
    static char  buf[TOK_MAX];

    buf[0] = '{';
    n = 1;

    pl_member(buf, &n, "sub", p->sub);
    pl_member(buf, &n, "cid", p->cid);
    pl_member(buf, &n, "roles", p->roles);
    pl_member(buf, &n, "uv", p->uv);
    pl_member(buf, &n, "iat", p->iat);
    pl_member(buf, &n, "exp", p->exp);
    pl_member(buf, &n, "auth_time", p->auth_time);
    pl_member(buf, &n, "iss", p->iss);
    pl_member(buf, &n, "aud", p->aud);

    n += snprintf(buf + n, TOK_MAX - n, "%s}",
                  p->extra != NULL ? p->extra : "");

    return buf;
}


static const char *
pl_std(void)
{
    pl_t  p;

    pl_default(&p);

    return pl_text(&p);
}


/* verifies against keys, freeing what it got; the claims go to *c */

static wa_err_t
verify_at(const char *tok, size_t len, size_t nkeys, int64_t now,
    int64_t leeway, wa_token_t *out)
{
    wa_err_t    rc;
    wa_token_t  t;

    last_detail = NULL;

    rc = wa_token_verify(&t, (const unsigned char *) tok, len, keys, nkeys,
                         RP_ID, sizeof(RP_ID) - 1, now, leeway,
                         &last_detail);
    queue_check(rc);

    if (out != NULL) {
        *out = t;

    } else {
        wa_token_free(&t);
    }

    return rc;
}


static wa_err_t
verify(const char *tok)
{
    return verify_at(tok, strlen(tok), 2, NOW, 0, NULL);
}


/* a refusal for one reason: this code and this detail */

static void
refused(const char *tok, wa_err_t want, const char *detail, const char *what)
{
    UNIT_ERR(verify(tok), want, "%s refused", what);
    UNIT_OK(detail_is(detail), "%s: detail \"%s\"", what, shown());
}


static void
claims_default(wa_token_claims_t *c)
{
    memset(c, 0, sizeof(wa_token_claims_t));

    c->sub = "alice";
    c->sub_len = 5;
    c->cid = CID;
    c->cid_len = sizeof(CID) - 1;
    c->roles = "admin ops:read dev-team";
    c->roles_len = sizeof("admin ops:read dev-team") - 1;
    c->uv = 1;
    c->iat = NOW - 10;
    c->exp = NOW + 300;
    c->auth_time = NOW - 20;
    c->iss = RP_ID;
    c->iss_len = sizeof(RP_ID) - 1;
    c->aud = RP_ID;
    c->aud_len = sizeof(RP_ID) - 1;
}


static wa_err_t
sign(const wa_token_key_t *key, const wa_token_claims_t *c, char **tok,
    size_t *len)
{
    wa_err_t  rc;

    last_detail = NULL;
    *tok = NULL;

    rc = wa_token_sign(key, c, tok, len, &last_detail);
    queue_check(rc);

    return rc;
}


/* part i of a token, decoded, as JSON (NULL if it is not) */

static json_t *
part_json(const char *tok, int i, char *raw, size_t rawmax)
{
    size_t          n, dlen;
    json_t         *j;
    const char     *p, *e;
    unsigned char  *d;

    p = tok;

    while (i-- > 0) {
        p = strchr(p, '.');
        if (p == NULL) {
            return NULL;
        }

        p++;
    }

    e = strchr(p, '.');
    n = (e != NULL) ? (size_t) (e - p) : strlen(p);

    if (wa_b64url_decode_alloc(&d, &dlen, (const unsigned char *) p, n)
        != 0)
    {
        return NULL;
    }

    if (raw != NULL && dlen < rawmax) {
        memcpy(raw, d, dlen);
        raw[dlen] = '\0';
    }

    j = json_loadb((char *) d, dlen, JSON_REJECT_DUPLICATES, NULL);

    free(d);

    return j;
}


static int
json_str_is(json_t *o, const char *name, const char *want)
{
    json_t  *v;

    v = json_object_get(o, name);

    return json_is_string(v) && json_string_length(v) == strlen(want)
           && memcmp(json_string_value(v), want, strlen(want)) == 0;
}


static int
json_int_is(json_t *o, const char *name, json_int_t want)
{
    json_t  *v;

    v = json_object_get(o, name);

    return json_is_integer(v) && json_integer_value(v) == want;
}


static int
claim_is(const char *s, size_t len, const char *want)
{
    return s != NULL && len == strlen(want) && memcmp(s, want, len) == 0
           && s[len] == '\0';
}


/* keys ------------------------------------------------------------------- */


static wa_err_t
key_new(wa_token_key_t **k, const void *data, size_t len, const char *kid,
    size_t kid_len)
{
    wa_err_t  rc;

    last_detail = NULL;
    *k = NULL;

    rc = wa_token_key_new(k, data, len, kid, kid_len, &last_detail);
    queue_check(rc);

    return rc;
}


static void
test_keys(void)
{
    char            *pem, kid[80];
    size_t           len;
    EVP_PKEY        *pk;
    wa_token_key_t  *k;

    /* Ed25519, generated here */

    ed_pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    evil_pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    if (ed_pk == NULL || evil_pk == NULL) {
        abort();
    }

    ed_pem = pem_of(ed_pk, 0, NULL, &ed_pem_len);

    UNIT_ERR(key_new(&ed_key, ed_pem, ed_pem_len, ED_KID,
                     sizeof(ED_KID) - 1),
             WA_OK, "Ed25519 PEM private key taken");
    UNIT_OK(ed_key != NULL && strcmp(wa_token_key_alg(ed_key), "EdDSA") == 0,
            "Ed25519 key signs EdDSA");

    UNIT_ERR(key_new(&hs_key, hs_secret, sizeof(hs_secret) - 1, HS_KID,
                     sizeof(HS_KID) - 1),
             WA_OK, "secret of 40 bytes taken");
    UNIT_OK(hs_key != NULL && strcmp(wa_token_key_alg(hs_key), "HS256") == 0,
            "secret signs HS256");

    if (ed_key == NULL || hs_key == NULL) {
        abort();
    }

    keys[0] = hs_key;
    keys[1] = ed_key;

    UNIT_ERR(key_new(&k, hs_secret, 32, "k", 1), WA_OK,
             "secret of exactly 32 bytes taken");
    wa_token_key_free(k);

    /* refused */

    UNIT_ERR(key_new(&k, hs_secret, 31, "k", 1), WA_ERR_INTERNAL,
             "secret of 31 bytes refused");
    UNIT_OK(detail_is("session key secret is shorter than 32 bytes")
            && k == NULL, "short secret: detail \"%s\", no key", shown());

    UNIT_ERR(key_new(&k, NULL, 0, "k", 1), WA_ERR_INTERNAL,
             "empty key file refused");
    UNIT_OK(detail_is("session key secret is shorter than 32 bytes"),
            "empty key file: detail \"%s\"", shown());

    pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);
    if (pk == NULL) {
        abort();
    }

    pem = pem_of(pk, 0, NULL, &len);
    UNIT_ERR(key_new(&k, pem, len, "k", 1), WA_ERR_INTERNAL,
             "RSA PEM private key refused");
    UNIT_OK(detail_is("session key is a PEM key but not Ed25519") && k == NULL,
            "RSA PEM: detail \"%s\", not taken for a secret", shown());
    free(pem);
    EVP_PKEY_free(pk);

    pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (pk == NULL) {
        abort();
    }

    pem = pem_of(pk, 0, NULL, &len);
    UNIT_ERR(key_new(&k, pem, len, "k", 1), WA_ERR_INTERNAL,
             "EC PEM private key refused");
    UNIT_OK(detail_is("session key is a PEM key but not Ed25519"),
            "EC PEM: detail \"%s\"", shown());
    free(pem);
    EVP_PKEY_free(pk);

    /* the public key file given for the key: never an HMAC secret */

    pem = pem_of(ed_pk, 1, NULL, &len);
    UNIT_ERR(key_new(&k, pem, len, "k", 1), WA_ERR_INTERNAL,
             "Ed25519 PEM public key refused");
    UNIT_OK(detail_is("session key is PEM but not an unencrypted private key")
            && k == NULL, "PEM public key: detail \"%s\"", shown());
    ERR_clear_error();
    free(pem);

    /* encrypted: refused, no passphrase asked for */

    pem = pem_of(ed_pk, 0, EVP_aes_128_cbc(), &len);
    UNIT_ERR(key_new(&k, pem, len, "k", 1), WA_ERR_INTERNAL,
             "encrypted PEM private key refused");
    UNIT_OK(detail_is("session key is PEM but not an unencrypted private key"),
            "encrypted PEM: detail \"%s\"", shown());
    ERR_clear_error();
    free(pem);

    /* kid: 1 to 64 of A-Z a-z 0-9 . _ - */

    memset(kid, 'a', sizeof(kid));

    UNIT_ERR(key_new(&k, hs_secret, 32, kid, 64), WA_OK, "kid of 64 taken");
    wa_token_key_free(k);

    UNIT_ERR(key_new(&k, hs_secret, 32, "Az09._-", 7), WA_OK,
             "kid of every class taken");
    wa_token_key_free(k);

    UNIT_ERR(key_new(&k, hs_secret, 32, kid, 65), WA_ERR_INTERNAL,
             "kid of 65 refused");
    UNIT_OK(detail_is("session key id is not 1 to 64 of A-Z a-z 0-9 . _ -"),
            "long kid: detail \"%s\"", shown());
    UNIT_ERR(key_new(&k, hs_secret, 32, "", 0), WA_ERR_INTERNAL,
             "empty kid refused");
    UNIT_ERR(key_new(&k, hs_secret, 32, NULL, 0), WA_ERR_INTERNAL,
             "NULL kid refused");
    UNIT_ERR(key_new(&k, hs_secret, 32, "a b", 3), WA_ERR_INTERNAL,
             "kid with SP refused");
    UNIT_ERR(key_new(&k, hs_secret, 32, "a/b", 3), WA_ERR_INTERNAL,
             "kid with / refused");
    UNIT_ERR(key_new(&k, hs_secret, 32, "a\"b", 3), WA_ERR_INTERNAL,
             "kid with a quote refused");
    UNIT_ERR(key_new(&k, hs_secret, 32, "a\0b", 3), WA_ERR_INTERNAL,
             "kid with NUL refused");
    UNIT_ERR(key_new(&k, ed_pem, ed_pem_len, "\xc3\xa9", 2),
             WA_ERR_INTERNAL, "kid not ASCII refused");
    UNIT_OK(k == NULL, "no key on a refusal");

    wa_token_key_free(NULL);
    UNIT_OK(1, "wa_token_key_free(NULL)");
}


/* signing and verifying -------------------------------------------------- */


static void
test_round_trip(void)
{
    int                 i;
    char               *tok, raw[TOK_MAX];
    size_t              len, n, slen;
    json_t             *h, *p, *r;
    wa_err_t            rc;
    wa_token_t          t;
    EVP_MD_CTX         *ctx;
    const char         *dot;
    unsigned int        mlen;
    unsigned char       mac[EVP_MAX_MD_SIZE], *sig;
    wa_token_claims_t   c;
    wa_token_key_t     *k;

    claims_default(&c);

    for (i = 0; i < 2; i++) {
        k = (i == 0) ? hs_key : ed_key;

        UNIT_ERR(sign(k, &c, &tok, &len), WA_OK, "%s: signed",
                 wa_token_key_alg(k));

        if (tok == NULL) {
            continue;
        }

        UNIT_OK(strlen(tok) == len, "%s: *out_len is the NUL-terminated "
                "length", wa_token_key_alg(k));

        rc = verify_at(tok, len, 2, NOW, 0, &t);
        UNIT_ERR(rc, WA_OK, "%s: verified", wa_token_key_alg(k));

        UNIT_OK(t.key == k, "%s: t->key is the signing key",
                wa_token_key_alg(k));
        UNIT_OK(claim_is(t.claims.sub, t.claims.sub_len, "alice"),
                "%s: sub", wa_token_key_alg(k));
        UNIT_OK(claim_is(t.claims.cid, t.claims.cid_len, CID),
                "%s: cid", wa_token_key_alg(k));
        UNIT_OK(claim_is(t.claims.roles, t.claims.roles_len,
                         "admin ops:read dev-team"),
                "%s: roles joined with one SP", wa_token_key_alg(k));
        UNIT_OK(t.claims.uv == 1, "%s: uv", wa_token_key_alg(k));
        UNIT_OK(t.claims.iat == NOW - 10, "%s: iat", wa_token_key_alg(k));
        UNIT_OK(t.claims.exp == NOW + 300, "%s: exp", wa_token_key_alg(k));
        UNIT_OK(t.claims.auth_time == NOW - 20, "%s: auth_time",
                wa_token_key_alg(k));
        UNIT_OK(claim_is(t.claims.iss, t.claims.iss_len, RP_ID),
                "%s: iss", wa_token_key_alg(k));
        UNIT_OK(claim_is(t.claims.aud, t.claims.aud_len, RP_ID),
                "%s: aud", wa_token_key_alg(k));

        wa_token_free(&t);
        UNIT_OK(t.priv == NULL && t.claims.sub == NULL,
                "%s: wa_token_free() zeroes", wa_token_key_alg(k));

        /* the header, exactly */

        h = part_json(tok, 0, raw, sizeof(raw));
        UNIT_OK(h != NULL && json_is_object(h) && json_object_size(h) == 3,
                "%s: header a JSON object of 3 members",
                wa_token_key_alg(k));
        UNIT_OK(json_str_is(h, "alg", wa_token_key_alg(k)),
                "%s: header alg", wa_token_key_alg(k));
        UNIT_OK(json_str_is(h, "kid", i == 0 ? HS_KID : ED_KID),
                "%s: header kid", wa_token_key_alg(k));
        UNIT_OK(json_str_is(h, "typ", "JWT"), "%s: header typ JWT",
                wa_token_key_alg(k));
        UNIT_OK(strcmp(raw, i == 0 ? HDR_HS : HDR_ED) == 0,
                "%s: header compact, in order: %s", wa_token_key_alg(k),
                raw);
        json_decref(h);

        /* the payload, member by member */

        p = part_json(tok, 1, NULL, 0);
        UNIT_OK(p != NULL && json_is_object(p) && json_object_size(p) == 9,
                "%s: payload a JSON object of 9 members",
                wa_token_key_alg(k));
        UNIT_OK(json_str_is(p, "sub", "alice"), "%s: payload sub",
                wa_token_key_alg(k));
        UNIT_OK(json_str_is(p, "cid", CID), "%s: payload cid",
                wa_token_key_alg(k));

        r = json_object_get(p, "roles");
        UNIT_OK(json_is_array(r) && json_array_size(r) == 3
                && json_is_string(json_array_get(r, 0))
                && strcmp(json_string_value(json_array_get(r, 0)), "admin")
                   == 0
                && strcmp(json_string_value(json_array_get(r, 1)),
                          "ops:read") == 0
                && strcmp(json_string_value(json_array_get(r, 2)),
                          "dev-team") == 0,
                "%s: payload roles an array of the 3 roles",
                wa_token_key_alg(k));
        UNIT_OK(json_is_true(json_object_get(p, "uv")),
                "%s: payload uv true", wa_token_key_alg(k));
        UNIT_OK(json_int_is(p, "iat", NOW - 10), "%s: payload iat",
                wa_token_key_alg(k));
        UNIT_OK(json_int_is(p, "exp", NOW + 300), "%s: payload exp",
                wa_token_key_alg(k));
        UNIT_OK(json_int_is(p, "auth_time", NOW - 20),
                "%s: payload auth_time", wa_token_key_alg(k));
        UNIT_OK(json_str_is(p, "iss", RP_ID), "%s: payload iss",
                wa_token_key_alg(k));
        UNIT_OK(json_str_is(p, "aud", RP_ID), "%s: payload aud",
                wa_token_key_alg(k));
        json_decref(p);

        /* the signature, checked here with OpenSSL directly */

        dot = strrchr(tok, '.');
        n = dot - tok;
        sig = NULL;

        if (wa_b64url_decode_alloc(&sig, &slen,
                                   (const unsigned char *) dot + 1,
                                   strlen(dot + 1))
            != 0)
        {
            UNIT_OK(0, "%s: signature part decodes", wa_token_key_alg(k));
            free(tok);
            continue;
        }

        if (i == 0) {
            HMAC(EVP_sha256(), hs_secret, sizeof(hs_secret) - 1,
                 (unsigned char *) tok, n, mac, &mlen);
            UNIT_OK(slen == 32 && mlen == 32 && memcmp(sig, mac, 32) == 0,
                    "HS256: signature is HMAC-SHA-256 of header.payload");

        } else {
            ctx = EVP_MD_CTX_new();
            UNIT_OK(slen == 64 && ctx != NULL
                    && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, ed_pk)
                       == 1
                    && EVP_DigestVerify(ctx, sig, slen,
                                        (unsigned char *) tok, n) == 1,
                    "EdDSA: signature verifies with EVP_DigestVerify()");
            EVP_MD_CTX_free(ctx);
        }

        free(sig);
        free(tok);
    }

    /* no roles, uv false */

    c.roles = NULL;
    c.roles_len = 0;
    c.uv = 0;

    UNIT_ERR(sign(hs_key, &c, &tok, &len), WA_OK, "signed without roles");

    if (tok != NULL) {
        p = part_json(tok, 1, NULL, 0);
        r = json_object_get(p, "roles");
        UNIT_OK(json_is_array(r) && json_array_size(r) == 0,
                "no roles: an empty array");
        UNIT_OK(json_is_false(json_object_get(p, "uv")), "uv false");
        json_decref(p);

        rc = verify_at(tok, len, 2, NOW, 0, &t);
        UNIT_ERR(rc, WA_OK, "no roles: verified");
        UNIT_OK(rc == WA_OK && claim_is(t.claims.roles, t.claims.roles_len,
                                        "") && t.claims.uv == 0,
                "no roles: roles \"\", uv 0");
        wa_token_free(&t);
        free(tok);
    }
}


static void
test_sign_refused(void)
{
    char               *tok, big[1400];
    size_t              len;
    wa_token_claims_t   c;
    unsigned char       id[1023];
    static char         roles[32 * 65];

    claims_default(&c);
    c.sub = "ali\nce";
    c.sub_len = 6;
    UNIT_ERR(sign(hs_key, &c, &tok, &len), WA_ERR_INTERNAL,
             "sign: sub with LF refused");
    UNIT_OK(detail_is("token \"sub\" is not a valid user name") && tok == NULL,
            "sign: sub detail \"%s\"", shown());

    claims_default(&c);
    c.sub_len = 0;
    UNIT_ERR(sign(hs_key, &c, &tok, &len), WA_ERR_INTERNAL,
             "sign: empty sub refused");

    claims_default(&c);
    c.cid = "AA+B";
    c.cid_len = 4;
    UNIT_ERR(sign(hs_key, &c, &tok, &len), WA_ERR_INTERNAL,
             "sign: cid not base64url refused");

    claims_default(&c);
    c.roles = "admin  ops";
    c.roles_len = 10;
    UNIT_ERR(sign(hs_key, &c, &tok, &len), WA_ERR_INTERNAL,
             "sign: roles with two SP refused");

    claims_default(&c);
    c.exp = -1;
    UNIT_ERR(sign(hs_key, &c, &tok, &len), WA_ERR_INTERNAL,
             "sign: negative exp refused");

    claims_default(&c);
    c.aud = "a\rb";
    c.aud_len = 3;
    UNIT_ERR(sign(hs_key, &c, &tok, &len), WA_ERR_INTERNAL,
             "sign: aud with CR refused");

    claims_default(&c);
    UNIT_ERR(sign(NULL, &c, &tok, &len), WA_ERR_INTERNAL,
             "sign: no key refused");

    /* the longest claims would make a token verifying refuses */

    memset(id, 0x5a, sizeof(id));
    b64(big, id, sizeof(id));
    memset(roles, 'r', sizeof(roles));

    for (len = 64; len < sizeof(roles); len += 65) {
        roles[len] = ' ';
    }

    roles[sizeof(roles) - 1] = '\0';

    claims_default(&c);
    c.cid = big;
    c.cid_len = strlen(big);
    c.roles = roles;
    c.roles_len = strlen(roles);
    UNIT_OK(wa_record_roles_ok((unsigned char *) c.roles, c.roles_len)
            && wa_record_cred_id_ok((unsigned char *) c.cid, c.cid_len),
            "sign: 32 roles of 64 and a cid of 1023 bytes are valid");
    UNIT_ERR(sign(ed_key, &c, &tok, &len), WA_ERR_INTERNAL,
             "sign: a token over 4096 bytes refused");
    UNIT_OK(detail_is("token would be longer than 4096 bytes"),
            "sign: long detail \"%s\"", shown());
}


/* algorithm confusion ---------------------------------------------------- */


static void
test_alg(void)
{
    char           tok[TOK_MAX], *pem, h64[TOK_MAX], p64[TOK_MAX], x[64];
    size_t         len, n;
    unsigned char  pub[32];

    forge_hs(tok, HDR_HS, pl_std());
    UNIT_ERR(verify(tok), WA_OK, "forged HS256 control verifies");

    forge_ed(tok, HDR_ED, pl_std());
    UNIT_ERR(verify(tok), WA_OK, "forged EdDSA control verifies");

    /* "none": an empty signature, and with a signature all the same */

    b64(h64, "{\"alg\":\"none\",\"kid\":\"" HS_KID "\",\"typ\":\"JWT\"}",
        strlen("{\"alg\":\"none\",\"kid\":\"" HS_KID "\",\"typ\":\"JWT\"}"));
    b64(p64, pl_std(), strlen(pl_std()));
    join(tok, h64, ".", p64);
    join(tok, tok, ".", "");
    refused(tok, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "alg none, empty signature");

    forge_hs(tok, "{\"alg\":\"none\",\"kid\":\"" HS_KID "\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "alg none, HMAC signature");

    forge_ed(tok, "{\"alg\":\"none\",\"kid\":\"" ED_KID "\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "alg none on the EdDSA key");

    forge_hs(tok, "{\"alg\":\"hs256\",\"kid\":\"" HS_KID "\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "alg hs256");

    forge_hs(tok, "{\"alg\":\"HS256 \",\"kid\":\"" HS_KID "\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "alg \"HS256 \"");

    forge_hs(tok, "{\"alg\":\"HS256\\u0000\",\"kid\":\"" HS_KID "\"}",
             pl_std());
    UNIT_ERR(verify(tok), WA_ERR_TOKEN_INVALID, "alg with NUL refused");

    forge_hs(tok, "{\"alg\":\"HS512\",\"kid\":\"" HS_KID "\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "alg HS512");

    forge_ed(tok, "{\"alg\":\"Ed25519\",\"kid\":\"" ED_KID "\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "alg Ed25519 (not EdDSA)");

    /* the classic: HS256 on the EdDSA key's public bytes as the secret */

    n = sizeof(pub);

    if (EVP_PKEY_get_raw_public_key(ed_pk, pub, &n) != 1) {
        abort();
    }

    forge(tok, "{\"alg\":\"HS256\",\"kid\":\"" ED_KID "\",\"typ\":\"JWT\"}",
          pl_std(), HOW_HS, pub, n);
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "HS256 keyed with the raw Ed25519 public key");

    pem = pem_of(ed_pk, 1, NULL, &len);
    forge(tok, "{\"alg\":\"HS256\",\"kid\":\"" ED_KID "\",\"typ\":\"JWT\"}",
          pl_std(), HOW_HS, pem, len);
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "HS256 keyed with the Ed25519 public key PEM");

    forge(tok, "{\"alg\":\"HS256\",\"kid\":\"" ED_KID "\",\"typ\":\"JWT\"}",
          pl_std(), HOW_HS, ed_pem, ed_pem_len);
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "HS256 keyed with the Ed25519 key file itself");
    free(pem);

    /* the other way: EdDSA under the HS256 key's kid */

    forge_ed(tok, "{\"alg\":\"EdDSA\",\"kid\":\"" HS_KID "\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token algorithm is not its key's",
            "EdDSA on the HS256 key");

    /* a key in the header is never used */

    n = sizeof(pub);

    if (EVP_PKEY_get_raw_public_key(evil_pk, pub, &n) != 1) {
        abort();
    }

    b64(x, pub, n);
    snprintf(h64, sizeof(h64), "{\"alg\":\"EdDSA\",\"kid\":\"" ED_KID "\","
             "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"},"
             "\"jku\":\"https://evil.example/jwks\",\"x5c\":[]}", x);
    forge(tok, h64, pl_std(), HOW_ED, evil_pk, 0);
    refused(tok, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "EdDSA signed by the header's own jwk");

    forge_ed(tok, h64, pl_std());
    UNIT_ERR(verify(tok), WA_OK, "jwk, jku, x5c ignored with our own key");

    /* RFC 7515, 4.1.11 */

    forge_hs(tok, "{\"alg\":\"HS256\",\"kid\":\"" HS_KID "\",\"typ\":\"JWT\","
             "\"crit\":[\"exp\"],\"exp\":1}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token header has \"crit\"",
            "crit header");

    forge_hs(tok, "{\"alg\":\"HS256\",\"kid\":\"" HS_KID "\",\"crit\":[]}",
             pl_std());
    UNIT_ERR(verify(tok), WA_ERR_TOKEN_INVALID, "empty crit header refused");
}


/* keys by kid, rotation -------------------------------------------------- */


static void
test_kid(void)
{
    char              *tok, forged[TOK_MAX];
    size_t             len;
    wa_err_t           rc;
    wa_token_t         t;
    wa_token_key_t    *old, *new, *saved[2];
    wa_token_claims_t  c;
    unsigned char      secret[48];

    forge_hs(forged, "{\"alg\":\"HS256\",\"kid\":\"hs-2\"}", pl_std());
    refused(forged, WA_ERR_TOKEN_INVALID, "token key id is unknown",
            "unknown kid");

    forge_hs(forged, "{\"alg\":\"HS256\",\"kid\":\"HS-1\"}", pl_std());
    refused(forged, WA_ERR_TOKEN_INVALID, "token key id is unknown",
            "kid in another case");

    forge_hs(forged, "{\"alg\":\"HS256\",\"kid\":\"hs-1\\u0000\"}",
             pl_std());
    UNIT_ERR(verify(forged), WA_ERR_TOKEN_INVALID, "kid with NUL refused");

    forge_hs(forged, "{\"alg\":\"HS256\"}", pl_std());
    refused(forged, WA_ERR_TOKEN_INVALID, "token header has no string \"kid\"",
            "no kid");

    forge_hs(forged, "{\"alg\":\"HS256\",\"kid\":1}", pl_std());
    refused(forged, WA_ERR_TOKEN_INVALID, "token header has no string \"kid\"",
            "kid a number");

    forge_hs(forged, "{\"kid\":\"" HS_KID "\"}", pl_std());
    refused(forged, WA_ERR_TOKEN_INVALID, "token header has no string \"alg\"",
            "no alg");

    forge_hs(forged, "{\"alg\":null,\"kid\":\"" HS_KID "\"}", pl_std());
    refused(forged, WA_ERR_TOKEN_INVALID, "token header has no string \"alg\"",
            "alg null");

    UNIT_ERR(verify_at(forged, strlen(forged), 0, NOW, 0, NULL),
             WA_ERR_TOKEN_INVALID, "no keys at all refused");

    /* rotation: the new key signs, the old one still verifies */

    memset(secret, 'o', sizeof(secret));
    UNIT_ERR(key_new(&old, secret, sizeof(secret), "2024", 4), WA_OK,
             "rotation: old key");
    memset(secret, 'n', sizeof(secret));
    UNIT_ERR(key_new(&new, secret, sizeof(secret), "2025", 4), WA_OK,
             "rotation: new key");

    memset(secret, 0, sizeof(secret));

    if (old == NULL || new == NULL) {
        abort();
    }

    saved[0] = keys[0];
    saved[1] = keys[1];

    claims_default(&c);

    UNIT_ERR(sign(old, &c, &tok, &len), WA_OK, "rotation: old token");

    keys[0] = new;
    keys[1] = old;

    rc = verify_at(tok, len, 2, NOW, 0, &t);
    UNIT_ERR(rc, WA_OK, "rotation: old token verifies after rotation");
    UNIT_OK(t.key == old, "rotation: by the old key");
    wa_token_free(&t);

    rc = verify_at(tok, len, 1, NOW, 0, NULL);
    UNIT_ERR(rc, WA_ERR_TOKEN_INVALID,
             "rotation: old token refused once the old key is gone");
    UNIT_OK(detail_is("token key id is unknown"), "rotation: detail \"%s\"",
            shown());
    free(tok);

    UNIT_ERR(sign(new, &c, &tok, &len), WA_OK, "rotation: new token");
    rc = verify_at(tok, len, 2, NOW, 0, &t);
    UNIT_ERR(rc, WA_OK, "rotation: new token verifies");
    UNIT_OK(t.key == new, "rotation: by the new key");
    wa_token_free(&t);
    free(tok);

    /* the keys hold copies: the caller's buffer was wiped after */

    memset(secret, 'o', sizeof(secret));
    forge(forged, "{\"alg\":\"HS256\",\"kid\":\"2024\"}", pl_std(), HOW_HS,
          secret, sizeof(secret));
    UNIT_ERR(verify(forged), WA_OK,
             "rotation: the old key holds a copy of its secret");

    /* signed with the old secret, named the new kid */

    forge(forged, "{\"alg\":\"HS256\",\"kid\":\"2025\"}", pl_std(), HOW_HS,
          secret, sizeof(secret));
    UNIT_ERR(verify(forged), WA_ERR_TOKEN_INVALID,
             "rotation: old secret under the new kid refused");
    UNIT_OK(detail_is("token signature does not verify"),
            "rotation: detail \"%s\"", shown());

    keys[0] = saved[0];
    keys[1] = saved[1];

    wa_token_key_free(old);
    wa_token_key_free(new);
}


/* tampering and the compact serialization -------------------------------- */


static void
test_tamper(void)
{
    int            i;
    char           tok[TOK_MAX], h64[TOK_MAX], p64[TOK_MAX], hdr[256], *d;
    size_t         n;
    pl_t           p;
    unsigned char  sig[64];
    static char    big[TOK_MAX];

    /* payload, header, signature changed after signing */

    forge_hs(tok, HDR_HS, pl_std());
    b64(h64, HDR_HS, strlen(HDR_HS));
    pl_default(&p);
    p.sub = "\"mallory\"";
    b64(p64, pl_text(&p), strlen(pl_text(&p)));
    d = strrchr(tok, '.');
    join(big, h64, ".", p64);
    join(big, big, d, "");
    refused(big, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "HS256 payload changed");

    forge_ed(tok, HDR_ED, pl_std());
    b64(h64, HDR_ED, strlen(HDR_ED));
    d = strrchr(tok, '.');
    join(big, h64, ".", p64);
    join(big, big, d, "");
    refused(big, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "EdDSA payload changed");

    forge_hs(tok, HDR_HS, pl_std());
    d = strchr(tok, '.');
    b64(h64, "{\"alg\":\"HS256\",\"kid\":\"" HS_KID "\",\"typ\":\"JWS\"}",
        strlen("{\"alg\":\"HS256\",\"kid\":\"" HS_KID "\",\"typ\":\"JWS\"}"));
    join(big, h64, d, "");
    refused(big, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "HS256 header changed");

    forge_ed(tok, HDR_ED, pl_std());
    d = strchr(tok, '.');
    b64(h64, "{\"alg\":\"EdDSA\",\"kid\":\"" ED_KID "\",\"typ\":\"JWS\"}",
        strlen("{\"alg\":\"EdDSA\",\"kid\":\"" ED_KID "\",\"typ\":\"JWS\"}"));
    join(big, h64, d, "");
    refused(big, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "EdDSA header changed");

    forge_hs(tok, HDR_HS, pl_std());
    d = strrchr(tok, '.') + 1;
    *d = (*d == 'A') ? 'B' : 'A';
    refused(tok, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "HS256 signature changed");

    forge_ed(tok, HDR_ED, pl_std());
    d = strrchr(tok, '.') + 1;
    *d = (*d == 'A') ? 'B' : 'A';
    refused(tok, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "EdDSA signature changed");

    /* a byte of the signature's last half: all 32 or 64 are compared */

    forge_hs(tok, HDR_HS, pl_std());
    d = strrchr(tok, '.') + 40;
    *d = (*d == 'A') ? 'B' : 'A';
    refused(tok, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "HS256 signature byte 30 changed");

    forge_ed(tok, HDR_ED, pl_std());
    d = strrchr(tok, '.') + 80;
    *d = (*d == 'A') ? 'B' : 'A';
    refused(tok, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "EdDSA signature byte 59 changed");

    /* signature lengths */

    memset(sig, 0, sizeof(sig));

    forge(tok, HDR_HS, pl_std(), HOW_RAW, sig, 31);
    UNIT_ERR(verify(tok), WA_ERR_TOKEN_INVALID, "HS256 signature of 31 bytes");
    forge(tok, HDR_ED, pl_std(), HOW_RAW, sig, 63);
    UNIT_ERR(verify(tok), WA_ERR_TOKEN_INVALID, "EdDSA signature of 63 bytes");
    forge(tok, HDR_ED, pl_std(), HOW_RAW, sig, 32);
    UNIT_ERR(verify(tok), WA_ERR_TOKEN_INVALID,
             "EdDSA signature of 32 bytes");

    /* a longer HS256 signature whose first 32 bytes are right */

    forge_hs(tok, HDR_HS, pl_std());
    n = strlen(tok);
    memcpy(&tok[n], "AAAA", 5);
    UNIT_ERR(verify(tok), WA_ERR_TOKEN_INVALID,
             "HS256 signature with 3 bytes more refused");

    /* truncated, split wrong */

    forge_hs(tok, HDR_HS, pl_std());
    n = strlen(tok);
    UNIT_ERR(verify_at(tok, n - 1, 2, NOW, 0, NULL), WA_ERR_TOKEN_INVALID,
             "last character cut");
    UNIT_ERR(verify_at(tok, n - 4, 2, NOW, 0, NULL), WA_ERR_TOKEN_INVALID,
             "last quantum cut");

    d = strrchr(tok, '.');
    UNIT_ERR(verify_at(tok, d - tok, 2, NOW, 0, NULL), WA_ERR_TOKEN_INVALID,
             "signature part cut");
    UNIT_OK(detail_is("token is not three base64url parts"),
            "two parts: detail \"%s\"", shown());
    UNIT_ERR(verify_at(tok, d - tok + 1, 2, NOW, 0, NULL),
             WA_ERR_TOKEN_INVALID, "empty signature part");
    UNIT_ERR(verify_at(tok, strchr(tok, '.') - tok, 2, NOW, 0, NULL),
             WA_ERR_TOKEN_INVALID, "header alone");
    UNIT_ERR(verify_at(tok, 0, 2, NOW, 0, NULL), WA_ERR_TOKEN_INVALID,
             "empty token");
    UNIT_ERR(verify_at(NULL, 0, 2, NOW, 0, NULL), WA_ERR_TOKEN_INVALID,
             "NULL token");

    join(big, tok, ".", "");
    refused(big, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "a trailing dot");
    join(big, tok, ".AAAA", "");
    refused(big, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "four parts");
    join(big, ".", tok, "");
    refused(big, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "a leading dot");
    join(big, tok, "\n", "");
    refused(big, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "a trailing LF");
    join(big, " ", tok, "");
    refused(big, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "a leading SP");

    b64(p64, pl_std(), strlen(pl_std()));
    join(big, "..", p64, "");
    UNIT_ERR(verify(big), WA_ERR_TOKEN_INVALID, "empty header part");

    n = strlen(tok);
    tok[10] = '\0';
    UNIT_ERR(verify_at(tok, n, 2, NOW, 0, NULL), WA_ERR_TOKEN_INVALID,
             "a NUL inside");

    /* padding, the standard alphabet: decodable, signed over, refused */

    for (i = 0; i < 3; i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"" HS_KID
                 "\",\"x\":\"%.*s?\?\?>>>\"}", i, "  ");
        b64(h64, hdr, strlen(hdr));

        if (strchr(h64, '_') != NULL && strchr(h64, '-') != NULL) {
            break;
        }
    }

    UNIT_OK(strchr(h64, '_') != NULL && strchr(h64, '-') != NULL,
            "a header with both - and _ in its base64url");
    b64(p64, pl_std(), strlen(pl_std()));

    sign_parts(tok, h64, p64, HOW_HS, hs_secret, sizeof(hs_secret) - 1);
    UNIT_ERR(verify(tok), WA_OK, "the base64url header verifies");

    to_std(h64);
    sign_parts(tok, h64, p64, HOW_HS, hs_secret, sizeof(hs_secret) - 1);
    refused(tok, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "header in the standard alphabet, signed");

    for (i = 0; i < 3; i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"" HS_KID
                 "\",\"x\":\"%.*s\"}", i, "  ");

        if (strlen(hdr) % 3 != 0) {
            break;
        }
    }

    b64(h64, hdr, strlen(hdr));
    add_pad(h64);
    UNIT_OK(strchr(h64, '=') != NULL, "a header that pads");
    sign_parts(tok, h64, p64, HOW_HS, hs_secret, sizeof(hs_secret) - 1);
    refused(tok, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "padded header, signed");

    b64(h64, HDR_HS, strlen(HDR_HS));
    pl_default(&p);

    for (i = 0; i < 3; i++) {
        p.extra = (i == 0) ? ",\"x\":\"?>\"" : (i == 1) ? ",\"x\":\" ?>\""
                                                        : ",\"x\":\"  ?>\"";
        b64(p64, pl_text(&p), strlen(pl_text(&p)));

        if (strchr(p64, '_') != NULL || strchr(p64, '-') != NULL) {
            break;
        }
    }

    UNIT_OK(strchr(p64, '_') != NULL || strchr(p64, '-') != NULL,
            "a payload with - or _ in its base64url");
    to_std(p64);
    sign_parts(tok, h64, p64, HOW_HS, hs_secret, sizeof(hs_secret) - 1);
    refused(tok, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "payload in the standard alphabet, signed");

    b64(p64, pl_std(), strlen(pl_std()));
    add_pad(p64);

    if (strchr(p64, '=') == NULL) {
        pl_default(&p);
        p.extra = ",\"x\":12";
        b64(p64, pl_text(&p), strlen(pl_text(&p)));
        add_pad(p64);
    }

    UNIT_OK(strchr(p64, '=') != NULL, "a payload that pads");
    sign_parts(tok, h64, p64, HOW_HS, hs_secret, sizeof(hs_secret) - 1);
    refused(tok, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "padded payload, signed");

    /* the signature part: standard alphabet, padding */

    b64(p64, pl_std(), strlen(pl_std()));

    for (i = 0; i < 1000; i++) {
        pl_default(&p);
        snprintf(hdr, sizeof(hdr), ",\"n\":%d", i);
        p.extra = hdr;
        forge_hs(tok, HDR_HS, pl_text(&p));
        d = strrchr(tok, '.') + 1;

        if (strchr(d, '-') != NULL || strchr(d, '_') != NULL) {
            break;
        }
    }

    UNIT_ERR(verify(tok), WA_OK, "a signature with - or _ verifies");
    to_std(d);
    refused(tok, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "signature in the standard alphabet");

    forge_hs(tok, HDR_HS, pl_std());
    add_pad(tok);
    refused(tok, WA_ERR_TOKEN_INVALID, "token is not three base64url parts",
            "padded signature");

    /* over WA_TOKEN_MAX */

    memset(big, 'A', WA_TOKEN_MAX + 1);
    big[100] = '.';
    big[200] = '.';
    big[WA_TOKEN_MAX + 1] = '\0';
    refused(big, WA_ERR_TOKEN_INVALID, "token is longer than 4096 bytes",
            "4097 bytes");

    pl_default(&p);
    memset(tok, 'x', 2900);
    memcpy(tok, ",\"pad\":\"", 8);
    memcpy(&tok[2899], "\"", 2);
    p.extra = tok;
    forge_hs(big, HDR_HS, pl_text(&p));
    n = strlen(big);
    UNIT_OK(n > WA_TOKEN_MAX, "a signed token of %zu bytes", n);
    refused(big, WA_ERR_TOKEN_INVALID, "token is longer than 4096 bytes",
            "a signed token over 4096 bytes");
}


/* the JSON of the parts -------------------------------------------------- */


static void
test_json(void)
{
    char  tok[TOK_MAX], h64[TOK_MAX];
    pl_t  p;

    forge_hs(tok, "[\"alg\",\"HS256\"]", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token header is not a JSON object",
            "header an array");

    forge_hs(tok, "{\"alg\":\"HS256\",\"kid\":\"" HS_KID "\"", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token header is not a JSON object",
            "header truncated JSON");

    forge_hs(tok, HDR_HS " ", pl_std());
    UNIT_ERR(verify(tok), WA_OK, "header with trailing whitespace verifies");

    forge_hs(tok, HDR_HS "{}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token header is not a JSON object",
            "header followed by more JSON");

    b64(h64, "\xff\xfe", 2);
    join(tok, h64, ".AAAA.AAAA", "");
    refused(tok, WA_ERR_TOKEN_INVALID, "token header is not a JSON object",
            "header not UTF-8");

    /* duplicates: the first, the last? neither */

    forge_hs(tok, "{\"alg\":\"HS256\",\"kid\":\"" HS_KID "\","
             "\"alg\":\"HS256\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token header is not a JSON object",
            "header with alg twice");

    forge_hs(tok, "{\"alg\":\"HS256\",\"kid\":\"nope\","
             "\"kid\":\"" HS_KID "\"}", pl_std());
    refused(tok, WA_ERR_TOKEN_INVALID, "token header is not a JSON object",
            "header with kid twice");

    pl_default(&p);
    p.extra = ",\"sub\":\"root\"";
    forge_hs(tok, HDR_HS, pl_text(&p));
    refused(tok, WA_ERR_TOKEN_INVALID, "token payload is not a JSON object",
            "payload with sub twice");

    p.extra = ",\"aud\":\"evil.example\"";
    forge_ed(tok, HDR_ED, pl_text(&p));
    refused(tok, WA_ERR_TOKEN_INVALID, "token payload is not a JSON object",
            "payload with aud twice");

    p.extra = ",\"exp\":9999999999";
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify_at(tok, strlen(tok), 2, 1800000000, 0, NULL),
             WA_ERR_TOKEN_INVALID, "payload with exp twice refused");

    /* the payload is read only after the signature */

    forge(tok, HDR_HS, "not json", HOW_RAW, "0123456789abcdef0123456789abcdef",
          32);
    refused(tok, WA_ERR_TOKEN_INVALID, "token signature does not verify",
            "bad payload, bad signature: the signature first");

    forge_hs(tok, HDR_HS, "not json");
    refused(tok, WA_ERR_TOKEN_INVALID, "token payload is not a JSON object",
            "payload not JSON, signed");

    forge_hs(tok, HDR_HS, "\"a string\"");
    UNIT_ERR(verify(tok), WA_ERR_TOKEN_INVALID, "payload a JSON string");

    forge_hs(tok, HDR_HS, "[]");
    refused(tok, WA_ERR_TOKEN_INVALID, "token payload is not a JSON object",
            "payload an array");

    /* unknown members are ignored */

    pl_default(&p);
    p.extra = ",\"nbf\":1,\"jti\":\"x\",\"admin\":true";
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify(tok), WA_OK, "unknown payload members ignored");
}


/* the claims' types and record rules ------------------------------------- */


static void
claim_refused(pl_t *p, const char *detail, const char *what)
{
    char  tok[TOK_MAX];

    forge_hs(tok, HDR_HS, pl_text(p));
    refused(tok, WA_ERR_TOKEN_INVALID, detail, what);
}


static void
test_claims(void)
{
    int     i;
    char    roles[TOK_MAX], tok[TOK_MAX], sub[300];
    size_t  n;
    pl_t    p;

    /* sub */

    pl_default(&p);
    p.sub = "\"ali\\nce\"";
    claim_refused(&p, "token \"sub\" is not a valid user name",
                  "sub with LF");
    p.sub = "\"ali\\u0007ce\"";
    claim_refused(&p, "token \"sub\" is not a valid user name",
                  "sub with BEL");
    p.sub = "\"ali\\u0085ce\"";
    claim_refused(&p, "token \"sub\" is not a valid user name",
                  "sub with a C1 control");
    p.sub = "\"\"";
    claim_refused(&p, "token \"sub\" is not a valid user name", "empty sub");
    p.sub = "\"ali\\u0000ce\"";
    claim_refused(&p, "token payload is not a JSON object", "sub with NUL");
    p.sub = "1";
    claim_refused(&p, "token has no string \"sub\"", "sub a number");
    p.sub = NULL;
    claim_refused(&p, "token has no string \"sub\"", "no sub");

    memset(sub, 'a', sizeof(sub));
    sub[0] = '"';
    memcpy(&sub[258], "\"", 2);
    p.sub = sub;
    claim_refused(&p, "token \"sub\" is not a valid user name",
                  "sub of 257 bytes");
    memcpy(&sub[257], "\"", 2);
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify(tok), WA_OK, "sub of 256 bytes verifies");

    p.sub = "\"Ada Lovelace \\u00e9\"";
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify(tok), WA_OK, "sub with SP and U+00E9 verifies");

    /* cid */

    pl_default(&p);
    p.cid = "\"AA+B\"";
    claim_refused(&p, "token \"cid\" is not a valid credential id",
                  "cid standard alphabet");
    p.cid = "\"AAAA=\"";
    claim_refused(&p, "token \"cid\" is not a valid credential id",
                  "cid padded");
    p.cid = "\"\"";
    claim_refused(&p, "token \"cid\" is not a valid credential id",
                  "empty cid");
    p.cid = "null";
    claim_refused(&p, "token has no string \"cid\"", "cid null");
    p.cid = NULL;
    claim_refused(&p, "token has no string \"cid\"", "no cid");

    /* roles */

    pl_default(&p);
    p.roles = "[\"admin\",\"bad role\"]";
    claim_refused(&p, "token \"roles\" has an invalid role",
                  "a role with SP");
    p.roles = "[\"admin\",\"a,b\"]";
    claim_refused(&p, "token \"roles\" has an invalid role",
                  "a role with a comma");
    p.roles = "[\"admin\\n\"]";
    claim_refused(&p, "token \"roles\" has an invalid role",
                  "a role with LF");
    p.roles = "[\"\"]";
    claim_refused(&p, "token \"roles\" has an invalid role", "an empty role");
    p.roles = "[\"admin\",1]";
    claim_refused(&p, "token \"roles\" has an invalid role",
                  "a role a number");
    p.roles = "[[\"admin\"]]";
    claim_refused(&p, "token \"roles\" has an invalid role",
                  "a role an array");
    p.roles = "\"admin\"";
    claim_refused(&p, "token has no array \"roles\"", "roles a string");
    p.roles = NULL;
    claim_refused(&p, "token has no array \"roles\"", "no roles");

    n = snprintf(roles, sizeof(roles), "[\"");
    memset(&roles[n], 'r', 65);
    memcpy(&roles[n + 65], "\"]", 3);
    p.roles = roles;
    claim_refused(&p, "token \"roles\" has an invalid role",
                  "a role of 65 characters");

    roles[n + 64] = '"';
    roles[n + 65] = ']';
    roles[n + 66] = '\0';
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify(tok), WA_OK, "a role of 64 characters verifies");

    n = snprintf(roles, sizeof(roles), "[");

    for (i = 0; i < 32; i++) {
        n += snprintf(&roles[n], sizeof(roles) - n, "%s\"r%d\"",
                      i ? "," : "", i);
    }

    snprintf(&roles[n], sizeof(roles) - n, "]");
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify(tok), WA_OK, "32 roles verify");

    snprintf(&roles[n], sizeof(roles) - n, ",\"r32\"]");
    claim_refused(&p, "token \"roles\" has more than 32 roles", "33 roles");

    /* uv */

    pl_default(&p);
    p.uv = "\"true\"";
    claim_refused(&p, "token has no boolean \"uv\"", "uv a string");
    p.uv = "1";
    claim_refused(&p, "token has no boolean \"uv\"", "uv a number");
    p.uv = NULL;
    claim_refused(&p, "token has no boolean \"uv\"", "no uv");

    /* times */

    pl_default(&p);
    p.iat = "1699999990.0";
    claim_refused(&p, "token has no valid \"iat\"", "iat a real");
    p.iat = "-1";
    claim_refused(&p, "token has no valid \"iat\"", "iat negative");
    p.iat = "\"1699999990\"";
    claim_refused(&p, "token has no valid \"iat\"", "iat a string");
    p.iat = NULL;
    claim_refused(&p, "token has no valid \"iat\"", "no iat");

    pl_default(&p);
    p.exp = "1.7e9";
    claim_refused(&p, "token has no valid \"exp\"", "exp a real");
    p.exp = "true";
    claim_refused(&p, "token has no valid \"exp\"", "exp a boolean");
    p.exp = "99999999999999999999";
    claim_refused(&p, "token payload is not a JSON object",
                  "exp beyond 64 bits");
    p.exp = NULL;
    claim_refused(&p, "token has no valid \"exp\"", "no exp");

    pl_default(&p);
    p.auth_time = "-5";
    claim_refused(&p, "token has no valid \"auth_time\"",
                  "auth_time negative");
    p.auth_time = NULL;
    claim_refused(&p, "token has no valid \"auth_time\"", "no auth_time");

    /* iss, aud */

    pl_default(&p);
    p.iss = "1";
    claim_refused(&p, "token has no string \"iss\"", "iss a number");
    p.iss = NULL;
    claim_refused(&p, "token has no string \"iss\"", "no iss");
    p.iss = "\"a\\r\\nb\"";
    claim_refused(&p, "token \"iss\" is not a valid string", "iss with CRLF");

    pl_default(&p);
    p.aud = "[\"" RP_ID "\"]";
    claim_refused(&p, "token has no string \"aud\"", "aud an array");
    p.aud = NULL;
    claim_refused(&p, "token has no string \"aud\"", "no aud");
    p.aud = "\"other.example\"";
    claim_refused(&p, "token audience is not this relying party",
                  "another aud");
    p.aud = "\"example.or\"";
    claim_refused(&p, "token audience is not this relying party",
                  "aud a prefix");
    p.aud = "\"example.org.\"";
    claim_refused(&p, "token audience is not this relying party",
                  "aud longer");
    p.aud = "\"EXAMPLE.ORG\"";
    claim_refused(&p, "token audience is not this relying party",
                  "aud in another case");
    p.aud = "\"example.org\\u0000\"";
    claim_refused(&p, "token payload is not a JSON object", "aud with NUL");
}


/* time ------------------------------------------------------------------- */


static void
test_time(void)
{
    char      tok[TOK_MAX];
    size_t    n;
    pl_t      p;
    wa_err_t  rc;

    forge_hs(tok, HDR_HS, pl_std());
    n = strlen(tok);

    /* exp 1700000300 */

    UNIT_ERR(verify_at(tok, n, 2, NOW + 299, 0, NULL), WA_OK,
             "1 s before exp verifies");
    rc = verify_at(tok, n, 2, NOW + 300, 0, NULL);
    UNIT_ERR(rc, WA_ERR_TOKEN_EXPIRED, "at exp: expired");
    UNIT_OK(detail_is("token has expired"), "expired: detail \"%s\"",
            shown());
    UNIT_ERR(verify_at(tok, n, 2, NOW + 100000, 0, NULL),
             WA_ERR_TOKEN_EXPIRED, "long after exp: expired");
    UNIT_ERR(verify_at(tok, n, 2, NOW + 309, 10, NULL), WA_OK,
             "exp within a leeway of 10 verifies");
    UNIT_ERR(verify_at(tok, n, 2, NOW + 310, 10, NULL), WA_ERR_TOKEN_EXPIRED,
             "exp + leeway of 10: expired");
    UNIT_ERR(verify_at(tok, n, 2, NOW + 329, 1000, NULL), WA_OK,
             "a leeway of 1000 is 30: 29 s after exp verifies");
    UNIT_ERR(verify_at(tok, n, 2, NOW + 330, 1000, NULL),
             WA_ERR_TOKEN_EXPIRED, "a leeway of 1000 is 30: 30 s after exp "
             "expired");
    UNIT_ERR(verify_at(tok, n, 2, NOW + 300, -50, NULL),
             WA_ERR_TOKEN_EXPIRED, "a negative leeway is 0");
    UNIT_ERR(verify_at(tok, n, 2, INT64_MAX, 30, NULL),
             WA_ERR_TOKEN_EXPIRED, "now INT64_MAX: expired");

    /* iat 1699999990 */

    UNIT_ERR(verify_at(tok, n, 2, NOW - 10, 0, NULL), WA_OK,
             "at iat verifies");
    rc = verify_at(tok, n, 2, NOW - 11, 0, NULL);
    UNIT_ERR(rc, WA_ERR_TOKEN_INVALID, "1 s before iat, no leeway: refused");
    UNIT_OK(detail_is("token was issued in the future"),
            "future: detail \"%s\"", shown());
    UNIT_ERR(verify_at(tok, n, 2, NOW - 40, 30, NULL), WA_OK,
             "30 s before iat within a leeway of 30 verifies");
    UNIT_ERR(verify_at(tok, n, 2, NOW - 41, 30, NULL), WA_ERR_TOKEN_INVALID,
             "31 s before iat, leeway 30: refused");
    UNIT_ERR(verify_at(tok, n, 2, NOW - 41, 1000, NULL),
             WA_ERR_TOKEN_INVALID, "31 s before iat, leeway 1000 (30): "
             "refused");
    UNIT_ERR(verify_at(tok, n, 2, INT64_MIN, 30, NULL), WA_ERR_TOKEN_INVALID,
             "now INT64_MIN: issued in the future");

    /* extremes that must not overflow */

    pl_default(&p);
    p.exp = "9223372036854775807";
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify_at(tok, strlen(tok), 2, INT64_MAX - 1, 30, NULL), WA_OK,
             "exp INT64_MAX, leeway 30: no overflow");

    pl_default(&p);
    p.iat = "0";
    p.exp = "0";
    p.auth_time = "0";
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify_at(tok, strlen(tok), 2, NOW, 30, NULL),
             WA_ERR_TOKEN_EXPIRED, "times 0: expired");

    /* auth_time is returned, not judged */

    pl_default(&p);
    p.auth_time = "1";
    forge_hs(tok, HDR_HS, pl_text(&p));
    UNIT_ERR(verify(tok), WA_OK, "an old auth_time verifies");
}


/* the frees -------------------------------------------------------------- */


static void
test_free(void)
{
    char        tok[TOK_MAX];
    wa_err_t    rc;
    wa_token_t  t;

    wa_token_free(NULL);

    memset(&t, 0, sizeof(wa_token_t));
    wa_token_free(&t);

    forge_hs(tok, HDR_HS, "[]");
    rc = verify_at(tok, strlen(tok), 2, NOW, 0, &t);
    UNIT_ERR(rc, WA_ERR_TOKEN_INVALID, "a refused token");
    UNIT_OK(t.priv == NULL && t.key == NULL && t.claims.sub == NULL,
            "a refused token leaves t zeroed");
    wa_token_free(&t);

    UNIT_OK(1, "wa_token_free() of NULL, zeroed and refused");
}


int
main(void)
{
    test_keys();
    test_round_trip();
    test_sign_refused();
    test_alg();
    test_kid();
    test_tamper();
    test_json();
    test_claims();
    test_time();
    test_free();

    UNIT_OK(queue_dirty == 0, "OpenSSL error queue empty after every "
            "return but internal_error (%d times not)", queue_dirty);

    wa_token_key_free(hs_key);
    wa_token_key_free(ed_key);
    EVP_PKEY_free(ed_pk);
    EVP_PKEY_free(evil_pk);
    free(ed_pem);

    wa_core_cleanup();

    return UNIT_DONE();
}
