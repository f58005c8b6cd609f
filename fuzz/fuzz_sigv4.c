
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of AWS SigV4 (wa_sigv4.c).  The input is either
 *     0x00 method 0x00 target (0x00 header-name 0x00 header-value)*
 * any bytes in every field, or else a raw request as the SigV4 suites
 * write them ("METHOD target HTTP/1.1", "name:value" lines, a line
 * starting with SP or HT continuing a value, an empty line, the body),
 * so the suites' request files are seeds as they are.  Each request is
 * signed with and without path normalization, twice each: signing must
 * never fail nor crash, give the same bytes both times, and keep the
 * canonical URI and query within UriEncode()'s alphabet.  The streaming
 * SHA-256 of the input, in two parts, must equal the one-shot one.
 */


#include <stdlib.h>
#include <string.h>

#include "wa_core.h"


#define FUZZ_HEADERS_MAX  64


static size_t fuzz_fields(const char *p, size_t n, wa_sigv4_request_t *req,
    wa_sigv4_header_t *h);
static size_t fuzz_raw(const char *p, size_t n, wa_sigv4_request_t *req,
    wa_sigv4_header_t *h, const char **body, size_t *body_len);
static int fuzz_alphabet(const char *p, size_t n, const char *extra);
static void fuzz_check(const char *cr, const wa_sigv4_request_t *req);
static void fuzz_sign(const wa_sigv4_request_t *req);
static void fuzz_sha256(const unsigned char *data, size_t size,
    char out[WA_SIGV4_HEX_LEN]);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static const unsigned char  fuzz_key[WA_SHA256_LEN] =
    "fuzz key of thirty-two bytes...";


/* NUL-separated fields; returns the number of headers */

static size_t
fuzz_fields(const char *p, size_t n, wa_sigv4_request_t *req,
    wa_sigv4_header_t *h)
{
    size_t       field, nh, len;
    const char  *end, *nul;

    end = p + n;
    field = 0;
    nh = 0;

    while (p <= end && nh < FUZZ_HEADERS_MAX) {
        nul = memchr(p, '\0', end - p);
        len = (nul != NULL) ? (size_t) (nul - p) : (size_t) (end - p);

        if (field == 0) {
            req->method = p;
            req->method_len = len;

        } else if (field == 1) {
            req->target = p;
            req->target_len = len;

        } else if (field % 2 == 0) {
            h[nh].name = p;
            h[nh].name_len = len;
            h[nh].value = "";
            h[nh].value_len = 0;
            nh++;

        } else {
            h[nh - 1].value = p;
            h[nh - 1].value_len = len;
        }

        field++;

        if (nul == NULL) {
            break;
        }

        p = nul + 1;
    }

    return nh;
}


/* the suites' raw request files; returns the number of headers */

static size_t
fuzz_raw(const char *p, size_t n, wa_sigv4_request_t *req,
    wa_sigv4_header_t *h, const char **body, size_t *body_len)
{
    size_t       nh;
    const char  *end, *eol, *sp, *last, *colon, *q;

    end = p + n;
    nh = 0;
    *body = end;
    *body_len = 0;

    eol = memchr(p, '\n', n);
    if (eol == NULL) {
        eol = end;
    }

    sp = memchr(p, ' ', eol - p);
    last = NULL;

    for (q = eol; sp != NULL && q > sp + 1; q--) {
        if (q[-1] == ' ') {
            last = q - 1;
            break;
        }
    }

    req->method = p;
    req->method_len = (sp != NULL) ? (size_t) (sp - p) : (size_t) (eol - p);
    req->target = (sp != NULL) ? sp + 1 : eol;
    req->target_len = (last != NULL) ? (size_t) (last - sp - 1)
                      : (size_t) (eol - req->target);

    p = (eol < end) ? eol + 1 : end;

    while (p < end) {
        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        if (eol == p) {
            *body = eol + 1;
            *body_len = end - *body;
            break;
        }

        if ((*p == ' ' || *p == '\t') && nh > 0) {
            h[nh - 1].value_len = eol - h[nh - 1].value;

        } else if (nh < FUZZ_HEADERS_MAX) {
            colon = memchr(p, ':', eol - p);

            h[nh].name = p;
            h[nh].name_len = (colon != NULL) ? (size_t) (colon - p)
                                             : (size_t) (eol - p);
            h[nh].value = (colon != NULL) ? colon + 1 : eol;
            h[nh].value_len = eol - h[nh].value;
            nh++;
        }

        p = (eol < end) ? eol + 1 : end;
    }

    return nh;
}


/* 1 when every byte is unreserved (RFC 3986, 2.3), "%" or in extra */

static int
fuzz_alphabet(const char *p, size_t n, const char *extra)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')
            || (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '.'
            || p[i] == '_' || p[i] == '~' || p[i] == '%'
            || strchr(extra, p[i]) != NULL)
        {
            continue;
        }

        return 0;
    }

    return 1;
}


static void
fuzz_check(const char *cr, const wa_sigv4_request_t *req)
{
    size_t       i, len;
    const char  *uri, *query, *nl;

    /*
     * a method with LF moves the lines; a NUL in the method or a header
     * (the output is NUL-terminated) hides what follows from strlen()
     */

    if (memchr(req->method, '\n', req->method_len) != NULL
        || memchr(req->method, '\0', req->method_len) != NULL)
    {
        return;
    }

    if (strncmp(cr, req->method, req->method_len) != 0
        || cr[req->method_len] != '\n')
    {
        abort();
    }

    uri = cr + req->method_len + 1;
    nl = strchr(uri, '\n');
    if (nl == NULL || nl == uri || !fuzz_alphabet(uri, nl - uri, "/")) {
        abort();
    }

    if (req->normalize && uri[0] != '/') {
        abort();
    }

    query = nl + 1;
    nl = strchr(query, '\n');
    if (nl == NULL || !fuzz_alphabet(query, nl - query, "=&")) {
        abort();
    }

    for (i = 0; i < req->nheaders; i++) {
        if (memchr(req->headers[i].name, '\0', req->headers[i].name_len)
            != NULL
            || memchr(req->headers[i].value, '\0',
                      req->headers[i].value_len)
               != NULL)
        {
            return;
        }
    }

    /* the payload hash ends it */
    len = strlen(cr);
    if (len < WA_SIGV4_HEX_LEN
        || memcmp(cr + len - WA_SIGV4_HEX_LEN, req->payload_hash,
                  WA_SIGV4_HEX_LEN) != 0)
    {
        abort();
    }
}


static void
fuzz_sign(const wa_sigv4_request_t *req)
{
    char        *authz[2], *cr[2], *sts[2];
    size_t       i;
    wa_err_t     rc;
    const char  *detail;

    for (i = 0; i < 2; i++) {
        detail = NULL;
        rc = wa_sigv4_sign(req, fuzz_key, "AKIDEXAMPLE", 11, &authz[i],
                           &cr[i], &sts[i], &detail);

        /* never on the bytes of the request; only out of memory */
        if (rc != WA_OK) {
            if (rc != WA_ERR_INTERNAL || detail == NULL || authz[i] != NULL
                || cr[i] != NULL || sts[i] != NULL)
            {
                abort();
            }

            if (i == 1) {
                wa_sigv4_free(authz[0]);
                wa_sigv4_free(cr[0]);
                wa_sigv4_free(sts[0]);
            }

            return;
        }
    }

    if (strcmp(authz[0], authz[1]) != 0 || strcmp(cr[0], cr[1]) != 0
        || strcmp(sts[0], sts[1]) != 0
        || strncmp(authz[0], "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/",
                   40) != 0
        || strncmp(sts[0], "AWS4-HMAC-SHA256\n", 17) != 0)
    {
        abort();
    }

    fuzz_check(cr[0], req);

    for (i = 0; i < 2; i++) {
        wa_sigv4_free(authz[i]);
        wa_sigv4_free(cr[i]);
        wa_sigv4_free(sts[i]);
    }
}


static void
fuzz_sha256(const unsigned char *data, size_t size,
    char out[WA_SIGV4_HEX_LEN])
{
    char              one[WA_SIGV4_HEX_LEN];
    size_t            half;
    wa_sha256_ctx_t  *c;
    unsigned char     md[WA_SHA256_LEN];

    c = wa_sha256_new();
    if (c == NULL) {
        abort();
    }

    half = (size > 0) ? data[0] % (size + 1) : 0;

    if (wa_sha256_update(c, data, half) != 0
        || wa_sha256_update(c, data + half, size - half) != 0
        || wa_sha256_final_hex(c, out) != 0)
    {
        abort();
    }

    wa_sha256_free(c);

    wa_sha256(md, data, size);
    wa_hex(one, md, WA_SHA256_LEN);

    if (memcmp(one, out, WA_SIGV4_HEX_LEN) != 0) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char                 hash[WA_SIGV4_HEX_LEN];
    size_t               body_len;
    const char          *p, *body;
    wa_sigv4_header_t    h[FUZZ_HEADERS_MAX];
    wa_sigv4_request_t   req;

    p = (const char *) data;

    memset(&req, 0, sizeof(req));
    req.method = "";
    req.target = "";
    req.payload_hash = hash;
    req.amz_date = "20150830T123600Z";
    req.region = "us-east-1";
    req.region_len = 9;
    req.service = "execute-api";
    req.service_len = 11;
    req.headers = h;

    if (size > 0 && data[0] == '\0') {
        req.nheaders = fuzz_fields(p + 1, size - 1, &req, h);
        fuzz_sha256(data, size, hash);

    } else {
        req.nheaders = fuzz_raw(p, size, &req, h, &body, &body_len);
        fuzz_sha256((const unsigned char *) body, body_len, hash);
    }

    req.normalize = 0;
    fuzz_sign(&req);

    req.normalize = 1;
    fuzz_sign(&req);

    return 0;
}
