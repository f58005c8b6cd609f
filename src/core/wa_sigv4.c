
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * AWS Signature Version 4, header signing for services other than S3.
 * Steps are cited from the AWS IAM User Guide, "Create a signed AWS API
 * request" (SigV4 "Step 1: canonical request" ... "Step 4: signature",
 * "Derive a signing key"); where the test suites (aws-c-auth
 * tests/aws-signing-test-suite/v4, botocore aws4_testsuite) settle what
 * the words leave open, a comment says so.
 */


#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "wa_internal.h"


#define WA_SIGV4_ALGORITHM    "AWS4-HMAC-SHA256"
#define WA_SIGV4_TERMINATOR   "aws4_request"
#define WA_SIGV4_DAY_LEN      8                 /* YYYYMMDD */

#define wa_sigv4_lit(b, s)    wa_sigv4_add(b, s, sizeof(s) - 1)


typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
    int      failed;
} wa_sigv4_buf_t;

/* a query parameter, URI-encoded, pointing into one buffer */
typedef struct {
    const char  *name;
    size_t       name_len;
    const char  *value;
    size_t       value_len;
} wa_sigv4_param_t;

/* a header with its position, for a stable sort */
typedef struct {
    const wa_sigv4_header_t  *h;
    size_t                    index;
} wa_sigv4_hdr_t;

struct wa_sha256_ctx_s {
    EVP_MD_CTX  *md;
};


static int wa_sigv4_grow(wa_sigv4_buf_t *b, size_t n);
static void wa_sigv4_add(wa_sigv4_buf_t *b, const void *p, size_t n);
static void wa_sigv4_byte(wa_sigv4_buf_t *b, unsigned char c);
static char *wa_sigv4_strdup(const wa_sigv4_buf_t *b);
static int wa_sigv4_unreserved(unsigned char c);
static int wa_sigv4_space(unsigned char c);
static unsigned char wa_sigv4_lower(unsigned char c);
static int wa_sigv4_unhex(unsigned char c);
static char *wa_sigv4_encode(char *out, const unsigned char *p, size_t n,
    int slash);
static void wa_sigv4_path(wa_sigv4_buf_t *b, const char *p, size_t n,
    int normalize);
static char *wa_sigv4_param_encode(char *out, const char *p, size_t n);
static int wa_sigv4_param_cmp(const void *one, const void *two);
static void wa_sigv4_query(wa_sigv4_buf_t *b, const char *p, size_t n);
static int wa_sigv4_name_cmp(const wa_sigv4_header_t *a,
    const wa_sigv4_header_t *b);
static int wa_sigv4_hdr_cmp(const void *one, const void *two);
static void wa_sigv4_value(wa_sigv4_buf_t *b, const char *p, size_t n);
static void wa_sigv4_headers(wa_sigv4_buf_t *b, wa_sigv4_buf_t *signed_h,
    const wa_sigv4_header_t *headers, size_t nheaders);


static const char  wa_sigv4_hexdigits[] = "0123456789abcdef";
static const char  wa_sigv4_hexupper[] = "0123456789ABCDEF";


/* a growing buffer: the first failure sticks, every later add is a no-op */

static int
wa_sigv4_grow(wa_sigv4_buf_t *b, size_t n)
{
    char    *p;
    size_t   cap;

    if (b->failed) {
        return -1;
    }

    if (n <= b->cap - b->len) {
        return 0;
    }

    if (n > SIZE_MAX - b->len - 1) {
        b->failed = 1;
        return -1;
    }

    cap = (b->cap == 0) ? 256 : b->cap;

    while (cap - 1 < b->len + n) {
        if (cap > SIZE_MAX / 2) {
            cap = b->len + n + 1;
            break;
        }

        cap *= 2;
    }

    p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }

    b->data = p;
    b->cap = cap;

    return 0;
}


static void
wa_sigv4_add(wa_sigv4_buf_t *b, const void *p, size_t n)
{
    if (n == 0 || wa_sigv4_grow(b, n) != 0) {
        return;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;
}


static void
wa_sigv4_byte(wa_sigv4_buf_t *b, unsigned char c)
{
    if (wa_sigv4_grow(b, 1) != 0) {
        return;
    }

    b->data[b->len++] = (char) c;
}


static char *
wa_sigv4_strdup(const wa_sigv4_buf_t *b)
{
    char  *p;

    p = malloc(b->len + 1);
    if (p == NULL) {
        return NULL;
    }

    if (b->len > 0) {
        memcpy(p, b->data, b->len);
    }

    p[b->len] = '\0';

    return p;
}


/* RFC 3986, 2.3; the SigV4 canonical request's UriEncode() keeps these */

static int
wa_sigv4_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '.' || c == '_' || c == '~';
}


/*
 * the whitespace of a header value: C's isspace() in the "C" locale, as
 * aws-c-auth trims (botocore's str.split() adds only 0x1c-0x1f); CR and
 * LF are there for an obs-fold (RFC 9112, 5.2), which the suites'
 * get-header-value-multiline turns into one SP
 */

static int
wa_sigv4_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
           || c == '\r';
}


static unsigned char
wa_sigv4_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char) (c | 0x20) : c;
}


static int
wa_sigv4_unhex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = wa_sigv4_lower(c);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/*
 * UriEncode(): every byte but the unreserved ones (and "/" when slash)
 * as "%" and two uppercase hex digits; out holds 3 * n bytes
 */

static char *
wa_sigv4_encode(char *out, const unsigned char *p, size_t n, int slash)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (wa_sigv4_unreserved(p[i]) || (slash && p[i] == '/')) {
            *out++ = (char) p[i];
            continue;
        }

        *out++ = '%';
        *out++ = wa_sigv4_hexupper[p[i] >> 4];
        *out++ = wa_sigv4_hexupper[p[i] & 0x0f];
    }

    return out;
}


/*
 * Step 1, CanonicalURI: the path as sent, URI-encoded once more (services
 * other than S3 sign a double encoding: "%2F" is signed as "%252F"); an
 * empty path is "/".
 *
 * normalize: the segments without "" and "." ones, each ".." removing the
 * one before it, joined with "/" after a leading "/"; a trailing "/" of
 * the path as sent is kept when a segment is left.  This is RFC 3986,
 * 5.2.4 with repeated "/" collapsed, except after a final "." or ".."
 * segment: "/a/b/.." is "/a" here, "/a/" in the RFC.  aws-c-auth
 * (s_append_normalized_path) and botocore (posixpath.normpath) both do it
 * this way, and the suites' get-relative* cases agree with either.
 */

static void
wa_sigv4_path(wa_sigv4_buf_t *b, const char *p, size_t n, int normalize)
{
    char        *tmp, *q;
    size_t       i, j, len, seg;
    const char  *path;

    if (n == 0) {
        wa_sigv4_byte(b, '/');
        return;
    }

    path = p;
    len = n;
    tmp = NULL;

    if (normalize) {
        /* the result is never longer than n + 1 */
        tmp = malloc(n + 2);
        if (tmp == NULL) {
            b->failed = 1;
            return;
        }

        len = 0;

        for (i = 0; i < n; i = j + 1) {
            for (j = i; j < n && p[j] != '/'; j++) {
                /* void */
            }

            seg = j - i;

            if (seg == 0 || (seg == 1 && p[i] == '.')) {
                continue;
            }

            if (seg == 2 && p[i] == '.' && p[i + 1] == '.') {
                while (len > 0 && tmp[len - 1] != '/') {
                    len--;
                }

                if (len > 0) {
                    len--;
                }

                continue;
            }

            tmp[len++] = '/';
            memcpy(tmp + len, p + i, seg);
            len += seg;
        }

        if (len == 0 || p[n - 1] == '/') {
            tmp[len++] = '/';
        }

        path = tmp;
    }

    if (len > SIZE_MAX / 3 || wa_sigv4_grow(b, 3 * len) != 0) {
        b->failed = 1;
        free(tmp);
        return;
    }

    q = wa_sigv4_encode(b->data + b->len, (const unsigned char *) path, len,
                        1);
    b->len = q - b->data;

    free(tmp);
}


/*
 * a query parameter's name or value: percent-decoded ("+" stays "+"; a
 * "%" without two hex digits after it is a literal "%"), then encoded
 * with the unreserved set only; out holds 3 * n bytes
 */

static char *
wa_sigv4_param_encode(char *out, const char *p, size_t n)
{
    int            hi, lo;
    size_t         i;
    unsigned char  c;

    for (i = 0; i < n; i++) {
        c = (unsigned char) p[i];

        if (c == '%' && n - i > 2) {
            hi = wa_sigv4_unhex((unsigned char) p[i + 1]);
            lo = wa_sigv4_unhex((unsigned char) p[i + 2]);

            if (hi >= 0 && lo >= 0) {
                c = (unsigned char) (hi << 4 | lo);
                i += 2;
            }
        }

        out = wa_sigv4_encode(out, &c, 1, 0);
    }

    return out;
}


/* Step 1, CanonicalQueryString: sorted by encoded name, then value */

static int
wa_sigv4_param_cmp(const void *one, const void *two)
{
    int                      rc;
    const wa_sigv4_param_t  *a, *b;

    a = one;
    b = two;

    rc = memcmp(a->name, b->name,
                a->name_len < b->name_len ? a->name_len : b->name_len);
    if (rc != 0) {
        return rc;
    }

    if (a->name_len != b->name_len) {
        return a->name_len < b->name_len ? -1 : 1;
    }

    rc = memcmp(a->value, b->value,
                a->value_len < b->value_len ? a->value_len : b->value_len);
    if (rc != 0) {
        return rc;
    }

    if (a->value_len != b->value_len) {
        return a->value_len < b->value_len ? -1 : 1;
    }

    return 0;
}


/*
 * Step 1, CanonicalQueryString: the query split on "&", empty parameters
 * ("a&&b", a trailing "&") dropped, each split at its first "=" (none:
 * an empty value), name and value decoded and re-encoded, sorted, joined
 * as "name=value" with "&"
 */

static void
wa_sigv4_query(wa_sigv4_buf_t *b, const char *p, size_t n)
{
    char              *enc, *q;
    size_t             i, j, k, eq, np;
    wa_sigv4_param_t  *params;

    np = 1;

    for (i = 0; i < n; i++) {
        if (p[i] == '&') {
            np++;
        }
    }

    /* decoding never lengthens, encoding at most triples */

    if (n > SIZE_MAX / 3 || np > SIZE_MAX / sizeof(wa_sigv4_param_t)) {
        b->failed = 1;
        return;
    }

    params = malloc(np * sizeof(wa_sigv4_param_t));
    enc = malloc(3 * n + 1);

    if (params == NULL || enc == NULL) {
        free(params);
        free(enc);
        b->failed = 1;
        return;
    }

    q = enc;
    k = 0;

    for (i = 0; i <= n; i = j + 1) {
        for (j = i; j < n && p[j] != '&'; j++) {
            /* void */
        }

        if (j == i) {
            continue;
        }

        for (eq = i; eq < j && p[eq] != '='; eq++) {
            /* void */
        }

        params[k].name = q;
        q = wa_sigv4_param_encode(q, p + i, eq - i);
        params[k].name_len = q - params[k].name;

        params[k].value = q;

        if (eq < j) {
            q = wa_sigv4_param_encode(q, p + eq + 1, j - eq - 1);
        }

        params[k].value_len = q - params[k].value;
        k++;
    }

    qsort(params, k, sizeof(wa_sigv4_param_t), wa_sigv4_param_cmp);

    for (i = 0; i < k; i++) {
        if (i > 0) {
            wa_sigv4_byte(b, '&');
        }

        wa_sigv4_add(b, params[i].name, params[i].name_len);
        wa_sigv4_byte(b, '=');
        wa_sigv4_add(b, params[i].value, params[i].value_len);
    }

    free(params);
    free(enc);
}


/* lowercase (ASCII) names, compared bytewise */

static int
wa_sigv4_name_cmp(const wa_sigv4_header_t *a, const wa_sigv4_header_t *b)
{
    size_t         i, n;
    unsigned char  ca, cb;

    n = a->name_len < b->name_len ? a->name_len : b->name_len;

    for (i = 0; i < n; i++) {
        ca = wa_sigv4_lower((unsigned char) a->name[i]);
        cb = wa_sigv4_lower((unsigned char) b->name[i]);

        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }

    if (a->name_len != b->name_len) {
        return a->name_len < b->name_len ? -1 : 1;
    }

    return 0;
}


/* by name, repeated names in the order sent */

static int
wa_sigv4_hdr_cmp(const void *one, const void *two)
{
    int                    rc;
    const wa_sigv4_hdr_t  *a, *b;

    a = one;
    b = two;

    rc = wa_sigv4_name_cmp(a->h, b->h);
    if (rc != 0) {
        return rc;
    }

    return (a->index < b->index) ? -1 : (a->index > b->index);
}


/*
 * Step 1, CanonicalHeaders: Trimall(value), leading and trailing
 * whitespace removed, inner runs of it replaced with one SP
 */

static void
wa_sigv4_value(wa_sigv4_buf_t *b, const char *p, size_t n)
{
    int     space;
    size_t  i, end;

    for (i = 0; i < n && wa_sigv4_space((unsigned char) p[i]); i++) {
        /* void */
    }

    for (end = n; end > i && wa_sigv4_space((unsigned char) p[end - 1]);
         end--)
    {
        /* void */
    }

    if (wa_sigv4_grow(b, end - i) != 0) {
        return;
    }

    space = 0;

    for ( /* void */ ; i < end; i++) {
        if (wa_sigv4_space((unsigned char) p[i])) {
            space = 1;
            continue;
        }

        if (space) {
            b->data[b->len++] = ' ';
            space = 0;
        }

        b->data[b->len++] = p[i];
    }
}


/*
 * Step 1, CanonicalHeaders and SignedHeaders: "name:value\n" per name,
 * lowercase names sorted, the values of a repeated name joined with ","
 * in the order sent (get-header-key-duplicate, get-header-value-order)
 */

static void
wa_sigv4_headers(wa_sigv4_buf_t *b, wa_sigv4_buf_t *signed_h,
    const wa_sigv4_header_t *headers, size_t nheaders)
{
    size_t           i, j;
    wa_sigv4_hdr_t  *sorted;

    if (nheaders == 0) {
        return;
    }

    if (nheaders > SIZE_MAX / sizeof(wa_sigv4_hdr_t)) {
        b->failed = 1;
        return;
    }

    sorted = malloc(nheaders * sizeof(wa_sigv4_hdr_t));
    if (sorted == NULL) {
        b->failed = 1;
        return;
    }

    for (i = 0; i < nheaders; i++) {
        sorted[i].h = &headers[i];
        sorted[i].index = i;
    }

    qsort(sorted, nheaders, sizeof(wa_sigv4_hdr_t), wa_sigv4_hdr_cmp);

    for (i = 0; i < nheaders; i++) {
        if (i > 0 && wa_sigv4_name_cmp(sorted[i - 1].h, sorted[i].h) == 0) {
            wa_sigv4_byte(b, ',');
            wa_sigv4_value(b, sorted[i].h->value, sorted[i].h->value_len);
            continue;
        }

        if (i > 0) {
            wa_sigv4_byte(b, '\n');
            wa_sigv4_byte(signed_h, ';');
        }

        for (j = 0; j < sorted[i].h->name_len; j++) {
            wa_sigv4_byte(b, wa_sigv4_lower(
                                 (unsigned char) sorted[i].h->name[j]));
            wa_sigv4_byte(signed_h, wa_sigv4_lower(
                                 (unsigned char) sorted[i].h->name[j]));
        }

        wa_sigv4_byte(b, ':');
        wa_sigv4_value(b, sorted[i].h->value, sorted[i].h->value_len);
    }

    wa_sigv4_byte(b, '\n');

    free(sorted);
}


/* "Derive a signing key" */

int
wa_sigv4_signing_key(unsigned char key[WA_SHA256_LEN], const char *secret,
    size_t secret_len, const char *date, const char *region,
    size_t region_len, const char *service, size_t service_len)
{
    int             rc;
    unsigned char  *k;
    unsigned char   tmp[WA_SHA256_LEN];

    if (secret_len > SIZE_MAX - 4) {
        memset(key, 0, WA_SHA256_LEN);
        return -1;
    }

    k = malloc(secret_len + 4);
    if (k == NULL) {
        memset(key, 0, WA_SHA256_LEN);
        return -1;
    }

    memcpy(k, "AWS4", 4);
    if (secret_len > 0) {
        memcpy(k + 4, secret, secret_len);
    }

    /* kDate, kRegion, kService, kSigning */

    rc = wa_hmac_sha256(tmp, k, secret_len + 4, date, WA_SIGV4_DAY_LEN);

    if (rc == 0) {
        rc = wa_hmac_sha256(key, tmp, WA_SHA256_LEN, region, region_len);
    }

    if (rc == 0) {
        rc = wa_hmac_sha256(tmp, key, WA_SHA256_LEN, service, service_len);
    }

    if (rc == 0) {
        rc = wa_hmac_sha256(key, tmp, WA_SHA256_LEN, WA_SIGV4_TERMINATOR,
                            sizeof(WA_SIGV4_TERMINATOR) - 1);
    }

    wa_memzero(k, secret_len + 4);
    free(k);
    wa_memzero(tmp, sizeof(tmp));

    if (rc != 0) {
        wa_memzero(key, WA_SHA256_LEN);
        return -1;
    }

    return 0;
}


wa_err_t
wa_sigv4_sign(const wa_sigv4_request_t *req,
    const unsigned char key[WA_SHA256_LEN], const char *access_key,
    size_t access_key_len, char **authz, char **canonical,
    char **string_to_sign, const char **detail)
{
    char            *cr, *sts, hex[WA_SIGV4_HEX_LEN];
    size_t           i, path_len;
    const char      *query;
    unsigned char    hash[WA_SHA256_LEN], sig[WA_SHA256_LEN];
    wa_sigv4_buf_t   b, sh, st, az;

    *authz = NULL;
    cr = NULL;
    sts = NULL;

    if (canonical != NULL) {
        *canonical = NULL;
    }

    if (string_to_sign != NULL) {
        *string_to_sign = NULL;
    }

    memset(&b, 0, sizeof(b));
    memset(&sh, 0, sizeof(sh));
    memset(&st, 0, sizeof(st));
    memset(&az, 0, sizeof(az));

    /* Step 1: the canonical request */

    wa_sigv4_add(&b, req->method, req->method_len);
    wa_sigv4_byte(&b, '\n');

    for (path_len = 0;
         path_len < req->target_len && req->target[path_len] != '?';
         path_len++)
    {
        /* void */
    }

    wa_sigv4_path(&b, req->target, path_len, req->normalize);
    wa_sigv4_byte(&b, '\n');

    if (path_len < req->target_len) {
        query = req->target + path_len + 1;
        wa_sigv4_query(&b, query, req->target_len - path_len - 1);
    }

    wa_sigv4_byte(&b, '\n');

    wa_sigv4_headers(&b, &sh, req->headers, req->nheaders);
    wa_sigv4_byte(&b, '\n');
    wa_sigv4_add(&b, sh.data, sh.len);
    wa_sigv4_byte(&b, '\n');
    wa_sigv4_add(&b, req->payload_hash, WA_SIGV4_HEX_LEN);

    if (b.failed || sh.failed) {
        wa_set_detail(detail, "malloc() failed");
        goto failed;
    }

    /* Step 2: the hash of the canonical request */

    wa_sha256(hash, b.data, b.len);

    /* wa_sha256() gives all zeros, no real digest, when OpenSSL fails */

    for (i = 0; i < WA_SHA256_LEN && hash[i] == 0; i++) {
        /* void */
    }

    if (i == WA_SHA256_LEN) {
        wa_set_detail(detail, "EVP_Digest() failed");
        goto failed;
    }

    /* Step 3: the string to sign, with the credential scope */

    wa_sigv4_lit(&st, WA_SIGV4_ALGORITHM "\n");
    wa_sigv4_add(&st, req->amz_date, WA_SIGV4_DATE_LEN);
    wa_sigv4_byte(&st, '\n');
    wa_sigv4_add(&st, req->amz_date, WA_SIGV4_DAY_LEN);
    wa_sigv4_byte(&st, '/');
    wa_sigv4_add(&st, req->region, req->region_len);
    wa_sigv4_byte(&st, '/');
    wa_sigv4_add(&st, req->service, req->service_len);
    wa_sigv4_lit(&st, "/" WA_SIGV4_TERMINATOR "\n");
    wa_hex(hex, hash, WA_SHA256_LEN);
    wa_sigv4_add(&st, hex, WA_SIGV4_HEX_LEN);

    if (st.failed) {
        wa_set_detail(detail, "malloc() failed");
        goto failed;
    }

    /* Step 4: the signature */

    if (wa_hmac_sha256(sig, key, WA_SHA256_LEN, st.data, st.len) != 0) {
        wa_set_detail(detail, "HMAC() failed");
        goto failed;
    }

    /* the Authorization header */

    wa_sigv4_lit(&az, WA_SIGV4_ALGORITHM " Credential=");
    wa_sigv4_add(&az, access_key, access_key_len);
    wa_sigv4_byte(&az, '/');
    wa_sigv4_add(&az, req->amz_date, WA_SIGV4_DAY_LEN);
    wa_sigv4_byte(&az, '/');
    wa_sigv4_add(&az, req->region, req->region_len);
    wa_sigv4_byte(&az, '/');
    wa_sigv4_add(&az, req->service, req->service_len);
    wa_sigv4_lit(&az, "/" WA_SIGV4_TERMINATOR ", SignedHeaders=");
    wa_sigv4_add(&az, sh.data, sh.len);
    wa_sigv4_lit(&az, ", Signature=");
    wa_hex(hex, sig, WA_SHA256_LEN);
    wa_sigv4_add(&az, hex, WA_SIGV4_HEX_LEN);

    if (az.failed) {
        wa_set_detail(detail, "malloc() failed");
        goto failed;
    }

    *authz = wa_sigv4_strdup(&az);

    if (canonical != NULL) {
        cr = wa_sigv4_strdup(&b);
    }

    if (string_to_sign != NULL) {
        sts = wa_sigv4_strdup(&st);
    }

    if (*authz == NULL || (canonical != NULL && cr == NULL)
        || (string_to_sign != NULL && sts == NULL))
    {
        wa_set_detail(detail, "malloc() failed");
        goto failed;
    }

    if (canonical != NULL) {
        *canonical = cr;
    }

    if (string_to_sign != NULL) {
        *string_to_sign = sts;
    }

    free(b.data);
    free(sh.data);
    free(st.data);
    free(az.data);

    return WA_OK;

failed:

    free(*authz);
    *authz = NULL;
    free(cr);
    free(sts);

    free(b.data);
    free(sh.data);
    free(st.data);
    free(az.data);

    return WA_ERR_INTERNAL;
}


void
wa_sigv4_free(char *p)
{
    free(p);
}


wa_sha256_ctx_t *
wa_sha256_new(void)
{
    wa_sha256_ctx_t  *c;

    c = malloc(sizeof(wa_sha256_ctx_t));
    if (c == NULL) {
        return NULL;
    }

    c->md = EVP_MD_CTX_new();

    if (c->md == NULL
        || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
    {
        EVP_MD_CTX_free(c->md);
        free(c);
        return NULL;
    }

    return c;
}


int
wa_sha256_update(wa_sha256_ctx_t *c, const void *p, size_t n)
{
    if (n == 0) {
        return 0;
    }

    return (EVP_DigestUpdate(c->md, p, n) == 1) ? 0 : -1;
}


int
wa_sha256_final_hex(wa_sha256_ctx_t *c, char out[WA_SIGV4_HEX_LEN])
{
    unsigned int   len;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (EVP_DigestFinal_ex(c->md, md, &len) != 1 || len != WA_SHA256_LEN) {
        return -1;
    }

    wa_hex(out, md, WA_SHA256_LEN);

    return 0;
}


void
wa_sha256_free(wa_sha256_ctx_t *c)
{
    if (c == NULL) {
        return;
    }

    EVP_MD_CTX_free(c->md);
    free(c);
}


void
wa_hex(char *out, const unsigned char *in, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        *out++ = wa_sigv4_hexdigits[in[i] >> 4];
        *out++ = wa_sigv4_hexdigits[in[i] & 0x0f];
    }
}
