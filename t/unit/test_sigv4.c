
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * AWS SigV4 (wa_sigv4.c) against the two suites of a directory (see its
 * README.md): aws-c-auth-v4/ and aws-sig-v4-test-suite/, header signing,
 * the canonical request, the string to sign and the Authorization value
 * compared byte for byte; then the signing key example of the AWS docs,
 * streaming SHA-256, canonicalization choices the suites leave open, and
 * that every changed byte of a signed input changes the signature.
 * usage: test_sigv4 DIR
 */


#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include <jansson.h>

#include "wa_core.h"
#include "unit.h"


#define HEADERS_MAX        64
#define PATH_MAX_LEN       4096

/* README.md: 38 cases in aws-c-auth-v4, 34 in the classic suite */
#define AWS_C_AUTH_CASES   38
#define CLASSIC_CASES      34

/* README.md, "Shared parameters (both suites)" */
#define SUITE_ACCESS_KEY   "AKIDEXAMPLE"
#define SUITE_SECRET       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_REGION       "us-east-1"
#define SUITE_SERVICE      "service"
#define SUITE_DATE         "20150830T123600Z"
/* get-vanilla-with-session-token: the .req lacks it, the .creq has it */
#define CLASSIC_TOKEN                                                         \
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

#define S(s)               s, sizeof(s) - 1


typedef struct {
    char               *raw;            /* the file, NUL-terminated */
    size_t              raw_len;
    const char         *method;
    size_t              method_len;
    const char         *target;
    size_t              target_len;
    const char         *body;
    size_t              body_len;
    wa_sigv4_header_t   headers[HEADERS_MAX];
    size_t              nheaders;
} raw_request_t;

typedef struct {
    const char  *label;                 /* suite/case, for the output */
    const char  *req;                   /* file names */
    const char  *creq;
    const char  *sts;
    const char  *authz;                 /* a file of the value alone */
    const char  *sreq;                  /* or the Authorization line of a
                                           signed request */
    const char  *sig;                   /* the signature alone, or NULL */
    const char  *access_key;
    const char  *secret;
    const char  *region;
    const char  *service;
    const char  *date;
    const char  *token;                 /* X-Amz-Security-Token to add */
    int          add_date;              /* the harness adds X-Amz-Date */
    int          sign_token;            /* ... and signs the token */
    int          sign_body;             /* ... x-amz-content-sha256 */
    int          normalize;
} sigv4_case_t;


#if defined(__GNUC__)
static void mkpath(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#endif
static char *read_file(const char *path, size_t *len);
static int parse_request(raw_request_t *r);
static int add_header(raw_request_t *r, const char *name,
    const char *value);
static int same(const char *label, const char *what, const char *got,
    const char *want, size_t want_len);
static int run_case(const sigv4_case_t *c);
static int is_dir(const char *path);
static int aws_c_auth_case(const char *dir, const char *name, int *ran,
    int *query);
static int aws_c_auth_suite(const char *dir);
static int classic_case(const char *dir, const char *name);
static int classic_walk(const char *dir, const char *prefix, int depth,
    int *ran);
static int classic_suite(const char *dir);
static void test_signing_key(void);
static void test_streaming(void);
static char *sign(const wa_sigv4_request_t *req,
    const unsigned char *key, char **canonical);
static const char *line(const char *s, int n, size_t *len);
static void test_canonical(void);
static void test_changes(void);


/* a path; one too long for out is cut, and then no file is found */

static void
mkpath(char *out, size_t size, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}


static char *
read_file(const char *path, size_t *len)
{
    char    *p;
    long     n;
    FILE    *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    p = NULL;

    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0
        && fseek(f, 0, SEEK_SET) == 0)
    {
        p = malloc((size_t) n + 1);

        if (p != NULL && fread(p, 1, (size_t) n, f) != (size_t) n) {
            free(p);
            p = NULL;
        }

        if (p != NULL) {
            p[n] = '\0';
            *len = (size_t) n;
        }
    }

    fclose(f);

    return p;
}


/*
 * The suites' raw requests: "METHOD SP target SP HTTP/1.1" (the target may
 * hold spaces: get-space), header lines "name:value" with the value as it
 * is after the colon, a line starting with SP or HT continuing the value
 * before it (obs-fold, kept as sent with its LF), an empty line, the
 * body.  Lines end in LF (a CR before it stays in the value); the last
 * may have no LF.
 */

static int
parse_request(raw_request_t *r)
{
    char        *p, *q, *end, *eol, *sp, *colon;
    const char  *last;

    p = r->raw;
    end = r->raw + r->raw_len;
    r->nheaders = 0;
    r->body = end;
    r->body_len = 0;

    eol = memchr(p, '\n', end - p);
    if (eol == NULL) {
        eol = end;
    }

    sp = memchr(p, ' ', eol - p);
    last = NULL;

    for (q = eol; q > p; q--) {
        if (q[-1] == ' ') {
            last = q - 1;
            break;
        }
    }

    if (sp == NULL || last == NULL || last <= sp) {
        return -1;
    }

    r->method = p;
    r->method_len = sp - p;
    r->target = sp + 1;
    r->target_len = last - sp - 1;

    p = (eol < end) ? eol + 1 : end;

    while (p < end) {
        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        if (eol == p || (eol == p + 1 && *p == '\r')) {
            r->body = (eol < end) ? eol + 1 : end;
            r->body_len = end - r->body;
            break;
        }

        if (*p == ' ' || *p == '\t') {
            if (r->nheaders == 0) {
                return -1;
            }

            /* the value runs on to the end of this line */
            r->headers[r->nheaders - 1].value_len =
                eol - r->headers[r->nheaders - 1].value;

        } else {
            colon = memchr(p, ':', eol - p);
            if (colon == NULL || r->nheaders == HEADERS_MAX) {
                return -1;
            }

            r->headers[r->nheaders].name = p;
            r->headers[r->nheaders].name_len = colon - p;
            r->headers[r->nheaders].value = colon + 1;
            r->headers[r->nheaders].value_len = eol - colon - 1;
            r->nheaders++;
        }

        p = (eol < end) ? eol + 1 : end;
    }

    return 0;
}


static int
add_header(raw_request_t *r, const char *name, const char *value)
{
    if (r->nheaders == HEADERS_MAX) {
        return -1;
    }

    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].name_len = strlen(name);
    r->headers[r->nheaders].value = value;
    r->headers[r->nheaders].value_len = strlen(value);
    r->nheaders++;

    return 0;
}


static int
same(const char *label, const char *what, const char *got,
    const char *want, size_t want_len)
{
    int     ok;
    size_t  i;

    ok = (got != NULL && want != NULL && strlen(got) == want_len
          && memcmp(got, want, want_len) == 0);

    UNIT_OK(ok, "%s: %s", label, what);

    if (!ok && got != NULL && want != NULL) {
        for (i = 0; got[i] != '\0' && i < want_len && got[i] == want[i];
             i++)
        {
            /* void */
        }

        printf("#   differs at byte %zu\n#   got:  \"%s\"\n"
               "#   want: \"%.*s\"\n", i, got, (int) want_len, want);
    }

    return ok;
}


/* returns 1 when everything matches */

static int
run_case(const sigv4_case_t *c)
{
    int                  ok;
    char                *creq, *sts, *authz, *want_creq, *want_sts;
    char                *want_authz, *want_sig, *want_sreq, *a;
    char                 hash[WA_SIGV4_HEX_LEN + 1];
    size_t               creq_len, sts_len, authz_len, sig_len, sreq_len;
    wa_err_t             rc;
    const char          *detail;
    raw_request_t        r;
    unsigned char        key[WA_SHA256_LEN];
    wa_sha256_ctx_t     *h;
    wa_sigv4_request_t   req;

    memset(&r, 0, sizeof(r));
    creq = NULL;
    sts = NULL;
    authz = NULL;
    want_sig = NULL;
    want_sreq = NULL;
    want_authz = NULL;
    ok = 0;

    r.raw = read_file(c->req, &r.raw_len);
    want_creq = read_file(c->creq, &creq_len);
    want_sts = read_file(c->sts, &sts_len);

    if (c->authz != NULL) {
        want_authz = read_file(c->authz, &authz_len);

    } else {
        want_sreq = read_file(c->sreq, &sreq_len);

        if (want_sreq != NULL) {
            a = strstr(want_sreq, "\nAuthorization:");

            if (a != NULL) {
                a += sizeof("\nAuthorization:") - 1;
                authz_len = strcspn(a, "\n");
                want_authz = malloc(authz_len + 1);

                if (want_authz != NULL) {
                    memcpy(want_authz, a, authz_len);
                    want_authz[authz_len] = '\0';
                }
            }
        }
    }

    if (c->sig != NULL) {
        want_sig = read_file(c->sig, &sig_len);
    }

    if (r.raw == NULL || want_creq == NULL || want_sts == NULL
        || want_authz == NULL || (c->sig != NULL && want_sig == NULL))
    {
        UNIT_OK(0, "%s: expected files are missing", c->label);
        goto done;
    }

    if (parse_request(&r) != 0) {
        UNIT_OK(0, "%s: request file not understood", c->label);
        goto done;
    }

    /* the payload hash of the body, streamed in two parts */

    h = wa_sha256_new();
    if (h == NULL
        || wa_sha256_update(h, r.body, r.body_len / 2) != 0
        || wa_sha256_update(h, r.body + r.body_len / 2,
                            r.body_len - r.body_len / 2) != 0
        || wa_sha256_final_hex(h, hash) != 0)
    {
        wa_sha256_free(h);
        UNIT_OK(0, "%s: sha256", c->label);
        goto done;
    }

    wa_sha256_free(h);
    hash[WA_SIGV4_HEX_LEN] = '\0';

    /* what the suite's harness adds (README.md) */

    if ((c->add_date && add_header(&r, "X-Amz-Date", c->date) != 0)
        || (c->token != NULL && c->sign_token
            && add_header(&r, "X-Amz-Security-Token", c->token) != 0)
        || (c->sign_body
            && add_header(&r, "x-amz-content-sha256", hash) != 0))
    {
        UNIT_OK(0, "%s: too many headers", c->label);
        goto done;
    }

    memset(&req, 0, sizeof(req));
    req.method = r.method;
    req.method_len = r.method_len;
    req.target = r.target;
    req.target_len = r.target_len;
    req.headers = r.headers;
    req.nheaders = r.nheaders;
    req.payload_hash = hash;
    req.amz_date = c->date;
    req.region = c->region;
    req.region_len = strlen(c->region);
    req.service = c->service;
    req.service_len = strlen(c->service);
    req.normalize = c->normalize;

    if (wa_sigv4_signing_key(key, c->secret, strlen(c->secret), c->date,
                             c->region, strlen(c->region), c->service,
                             strlen(c->service))
        != 0)
    {
        UNIT_OK(0, "%s: signing key", c->label);
        goto done;
    }

    detail = "";
    rc = wa_sigv4_sign(&req, key, c->access_key, strlen(c->access_key),
                       &authz, &creq, &sts, &detail);
    if (rc != WA_OK) {
        UNIT_ERR(rc, WA_OK, "%s: sign: %s", c->label, detail);
        goto done;
    }

    ok = same(c->label, "canonical request", creq, want_creq, creq_len);
    ok &= same(c->label, "string to sign", sts, want_sts, sts_len);
    ok &= same(c->label, "Authorization", authz, want_authz, authz_len);

    if (want_sig != NULL) {
        a = strstr(authz, "Signature=");
        ok &= same(c->label, "signature",
                   a != NULL ? a + sizeof("Signature=") - 1 : NULL,
                   want_sig, sig_len);
    }

done:

    wa_sigv4_free(authz);
    wa_sigv4_free(creq);
    wa_sigv4_free(sts);
    free(r.raw);
    free(want_creq);
    free(want_sts);
    free(want_authz);
    free(want_sig);
    free(want_sreq);

    return ok;
}


static int
is_dir(const char *path)
{
    struct stat  st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}


static int
aws_c_auth_case(const char *dir, const char *name, int *ran, int *query)
{
    int            ok;
    char           req[PATH_MAX_LEN], creq[PATH_MAX_LEN];
    char           sts[PATH_MAX_LEN], sreq[PATH_MAX_LEN];
    char           sig[PATH_MAX_LEN], ctx[PATH_MAX_LEN], q[PATH_MAX_LEN];
    char           label[PATH_MAX_LEN], date[WA_SIGV4_DATE_LEN + 1];
    json_t        *v, *cred, *o;
    size_t         i, n;
    const char    *ts;
    json_error_t   jerr;
    sigv4_case_t   c;
    struct stat    st;

    mkpath(ctx, sizeof(ctx), "%s/%s/context.json", dir, name);
    mkpath(req, sizeof(req), "%s/%s/request.txt", dir, name);
    mkpath(creq, sizeof(creq), "%s/%s/header-canonical-request.txt", dir,
             name);
    mkpath(sts, sizeof(sts), "%s/%s/header-string-to-sign.txt", dir,
             name);
    mkpath(sreq, sizeof(sreq), "%s/%s/header-signed-request.txt", dir,
             name);
    mkpath(sig, sizeof(sig), "%s/%s/header-signature.txt", dir, name);
    mkpath(label, sizeof(label), "aws-c-auth-v4/%s", name);

    if (stat(req, &st) != 0) {
        return 0;
    }

    (*ran)++;

    mkpath(q, sizeof(q), "%s/%s/query-canonical-request.txt", dir,
             name);

    if (stat(q, &st) == 0) {
        (*query)++;
    }

    v = json_load_file(ctx, 0, &jerr);
    if (v == NULL) {
        UNIT_OK(0, "%s: context.json: %s", label, jerr.text);
        return 0;
    }

    cred = json_object_get(v, "credentials");
    ts = json_string_value(json_object_get(v, "timestamp"));

    memset(&c, 0, sizeof(c));
    c.label = label;
    c.req = req;
    c.creq = creq;
    c.sts = sts;
    c.sreq = sreq;
    c.sig = sig;
    c.access_key = json_string_value(json_object_get(cred,
                                                     "access_key_id"));
    c.secret = json_string_value(json_object_get(cred,
                                                 "secret_access_key"));
    c.token = json_string_value(json_object_get(cred, "token"));
    c.region = json_string_value(json_object_get(v, "region"));
    c.service = json_string_value(json_object_get(v, "service"));

    /* "2015-08-30T12:36:00Z" to "20150830T123600Z" */

    n = 0;

    for (i = 0; ts != NULL && ts[i] != '\0' && n < WA_SIGV4_DATE_LEN; i++) {
        if (ts[i] != '-' && ts[i] != ':') {
            date[n++] = ts[i];
        }
    }

    date[n] = '\0';
    c.date = date;

    /* sigv4_signing_tests.c: X-Amz-Date and the token are the signer's */
    c.add_date = 1;

    o = json_object_get(v, "omit_session_token");
    c.sign_token = !json_is_true(o);
    c.sign_body = json_is_true(json_object_get(v, "sign_body"));
    c.normalize = json_is_true(json_object_get(v, "normalize"));

    if (c.access_key == NULL || c.secret == NULL || c.region == NULL
        || c.service == NULL || n != WA_SIGV4_DATE_LEN
        || !json_is_boolean(json_object_get(v, "normalize")))
    {
        UNIT_OK(0, "%s: context.json lacks a member", label);
        json_decref(v);
        return 0;
    }

    ok = run_case(&c);

    json_decref(v);

    return ok;
}


static int
aws_c_auth_suite(const char *dir)
{
    int              i, n, ran, query, passed;
    char             path[PATH_MAX_LEN];
    struct dirent  **list;

    mkpath(path, sizeof(path), "%s/aws-c-auth-v4", dir);

    n = scandir(path, &list, NULL, alphasort);
    if (n < 0) {
        UNIT_OK(0, "%s: not readable", path);
        return 0;
    }

    ran = 0;
    query = 0;
    passed = 0;

    for (i = 0; i < n; i++) {
        if (list[i]->d_name[0] != '.') {
            passed += aws_c_auth_case(path, list[i]->d_name, &ran, &query);
        }

        free(list[i]);
    }

    free(list);

    UNIT_OK(ran >= AWS_C_AUTH_CASES, "aws-c-auth-v4: %d cases found, %d "
            "at least", ran, AWS_C_AUTH_CASES);

    printf("# aws-c-auth-v4: %d of %d cases pass header signing\n",
           passed, ran);
    printf("# aws-c-auth-v4: skipped the query (presigned URL) variant "
           "of %d cases (query-*.txt): the module signs headers only\n",
           query);

    return passed;
}


static int
classic_case(const char *dir, const char *name)
{
    char          label[PATH_MAX_LEN], base[PATH_MAX_LEN];
    char          req[PATH_MAX_LEN], creq[PATH_MAX_LEN];
    char          sts[PATH_MAX_LEN], authz[PATH_MAX_LEN];
    sigv4_case_t  c;

    mkpath(base, sizeof(base), "%s/%s", dir, name);
    mkpath(req, sizeof(req), "%s.req", base);
    mkpath(creq, sizeof(creq), "%s.creq", base);
    mkpath(sts, sizeof(sts), "%s.sts", base);
    mkpath(authz, sizeof(authz), "%s.authz", base);
    mkpath(label, sizeof(label), "aws-sig-v4-test-suite/%s", name);

    memset(&c, 0, sizeof(c));
    c.label = label;
    c.req = req;
    c.creq = creq;
    c.sts = sts;
    c.authz = authz;
    c.access_key = SUITE_ACCESS_KEY;
    c.secret = SUITE_SECRET;
    c.region = SUITE_REGION;
    c.service = SUITE_SERVICE;
    c.date = SUITE_DATE;

    /* the .req files carry X-Amz-Date; non-S3, so always normalized */
    c.add_date = 0;
    c.normalize = 1;

    /* README.md: this .req leaves the token out, the .creq signs it */
    if (strcmp(name, "get-vanilla-with-session-token") == 0) {
        c.token = CLASSIC_TOKEN;
        c.sign_token = 1;
    }

    return run_case(&c);
}


/* a case is a folder holding <folder>.req; group folders are walked */

static int
classic_walk(const char *dir, const char *prefix, int depth, int *ran)
{
    int              i, n, passed;
    char             path[PATH_MAX_LEN], req[PATH_MAX_LEN];
    char             name[PATH_MAX_LEN];
    struct stat      st;
    struct dirent  **list;

    n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) {
        UNIT_OK(0, "%s: not readable", dir);
        return 0;
    }

    passed = 0;

    for (i = 0; i < n; i++) {
        mkpath(path, sizeof(path), "%s/%s", dir, list[i]->d_name);

        if (list[i]->d_name[0] == '.' || !is_dir(path)) {
            free(list[i]);
            continue;
        }

        mkpath(req, sizeof(req), "%s/%s.req", path, list[i]->d_name);
        mkpath(name, sizeof(name), "%s%s", prefix, list[i]->d_name);

        if (stat(req, &st) == 0) {
            (*ran)++;
            passed += classic_case(path, list[i]->d_name);

        } else if (depth > 0) {
            strncat(name, "/", sizeof(name) - strlen(name) - 1);
            passed += classic_walk(path, name, depth - 1, ran);
        }

        free(list[i]);
    }

    free(list);

    return passed;
}


static int
classic_suite(const char *dir)
{
    int   ran, passed;
    char  path[PATH_MAX_LEN];

    mkpath(path, sizeof(path), "%s/aws-sig-v4-test-suite", dir);

    ran = 0;
    passed = classic_walk(path, "", 1, &ran);

    UNIT_OK(ran >= CLASSIC_CASES, "aws-sig-v4-test-suite: %d cases found, "
            "%d at least", ran, CLASSIC_CASES);

    printf("# aws-sig-v4-test-suite: %d of %d cases pass header signing "
           "(.sreq not compared: it adds no signed byte)\n", passed, ran);

    return passed;
}


/*
 * The AWS General Reference's two examples for the secret
 * wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY: "Examples of how to derive a
 * signing key" (signature-v4-examples), 20120215/us-east-1/iam, kSigning
 * f4780e2d...; "Calculate the signature" (sigv4-calculate-signature),
 * 20150830/us-east-1/iam, c4afb1cc... (the brief gave this value for the
 * first example's date; Python's hmac agrees with both values here)
 */

static void
test_signing_key(void)
{
    char           hex[2 * WA_SHA256_LEN + 1];
    size_t         i;
    unsigned char  key[WA_SHA256_LEN];

    static const struct {
        const char  *date;
        const char  *want;
    } cases[] = {
        { "20120215", "f4780e2d9f65fa895f9c67b32ce1baf0"
                      "b0d8a43505a000a1a9e090d414db404d" },
        { "20150830", "c4afb1cc5771d871763a393e44b70357"
                      "1b55cc28424d1a5e86da6ed3c154a4b9" },
        /* the date is the first 8 characters: an X-Amz-Date will do */
        { "20150830T123600Z", "c4afb1cc5771d871763a393e44b70357"
                              "1b55cc28424d1a5e86da6ed3c154a4b9" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(hex, 0, sizeof(hex));

        if (wa_sigv4_signing_key(key, S(SUITE_SECRET), cases[i].date,
                                 S("us-east-1"), S("iam"))
            == 0)
        {
            wa_hex(hex, key, WA_SHA256_LEN);
        }

        UNIT_OK(strcmp(hex, cases[i].want) == 0,
                "signing key %s/us-east-1/iam is %s", cases[i].date,
                cases[i].want);
    }
}


static void
test_streaming(void)
{
    int               ok;
    char              one[WA_SIGV4_HEX_LEN], two[WA_SIGV4_HEX_LEN];
    size_t            i, n, step;
    unsigned char     data[1031], md[WA_SHA256_LEN];
    wa_sha256_ctx_t  *c;

    static const size_t  steps[] = { 1, 7, 64, 65, 1000, 1031 };

    for (i = 0; i < sizeof(data); i++) {
        data[i] = (unsigned char) (i * 131 + 17);
    }

    c = wa_sha256_new();
    ok = (c != NULL && wa_sha256_final_hex(c, one) == 0);
    wa_sha256_free(c);

    UNIT_OK(ok && memcmp(one, "e3b0c44298fc1c149afbf4c8996fb92427ae41e46"
                         "49b934ca495991b7852b855", WA_SIGV4_HEX_LEN) == 0,
            "streaming sha256 of nothing");

    wa_sha256(md, data, sizeof(data));
    wa_hex(one, md, WA_SHA256_LEN);

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        c = wa_sha256_new();
        ok = (c != NULL);

        for (n = 0; ok && n < sizeof(data); n += step) {
            step = steps[i];
            if (step > sizeof(data) - n) {
                step = sizeof(data) - n;
            }

            ok = (wa_sha256_update(c, data + n, step) == 0
                  && wa_sha256_update(c, data, 0) == 0);
        }

        ok = ok && wa_sha256_final_hex(c, two) == 0;
        wa_sha256_free(c);

        UNIT_OK(ok && memcmp(one, two, WA_SIGV4_HEX_LEN) == 0,
                "streaming sha256 in parts of %zu is the one-shot one",
                steps[i]);
    }

    wa_sha256_free(NULL);
}


static const unsigned char  test_key[WA_SHA256_LEN] =
    "thirty-two bytes of signing key";

static const char  test_hash[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";


static char *
sign(const wa_sigv4_request_t *req, const unsigned char *key,
    char **canonical)
{
    char        *authz;
    const char  *detail;

    authz = NULL;
    detail = "";

    if (wa_sigv4_sign(req, key, S(SUITE_ACCESS_KEY), &authz, canonical,
                      NULL, &detail)
        != WA_OK)
    {
        printf("# wa_sigv4_sign(): %s\n", detail);
        return NULL;
    }

    return authz;
}


/* line n (from 0) of s, without its LF */

static const char *
line(const char *s, int n, size_t *len)
{
    for ( /* void */ ; n > 0 && s != NULL; n--) {
        s = strchr(s, '\n');
        if (s != NULL) {
            s++;
        }
    }

    if (s == NULL) {
        *len = 0;
        return "";
    }

    *len = strcspn(s, "\n");

    return s;
}


/* what the suites leave open, as wa_sigv4.c documents it */

static void
test_canonical(void)
{
    char                *authz, *cr;
    size_t               i, len;
    const char          *l;
    wa_sigv4_request_t   req;
    wa_sigv4_header_t    h[4];

    static const struct {
        const char  *target;
        int          normalize;
        int          n;                 /* the line compared */
        const char  *want;
    } cases[] = {
        { "", 0, 1, "/" },
        { "", 1, 1, "/" },
        { "/a%2Fb", 1, 1, "/a%252Fb" },
        { "/a%2fb/%7E", 0, 1, "/a%252fb/%257E" },
        { "/a/b/..", 1, 1, "/a" },
        { "/a/b/../", 1, 1, "/a/" },
        { "/a/./b//c/", 1, 1, "/a/b/c/" },
        { "/../../a", 1, 1, "/a" },
        { "a/b", 1, 1, "/a/b" },
        { "a/b", 0, 1, "a/b" },
        { "/%E1%88%B4 +", 1, 1, "/%25E1%2588%25B4%20%2B" },
        { "/?", 1, 2, "" },
        { "/?b=2&a&c=%zz&d=+&e=%20&f=%2b%7e", 1, 2,
          "a=&b=2&c=%25zz&d=%2B&e=%20&f=%2B~" },
        { "/?a&&b&", 1, 2, "a=&b=" },
        { "/?a=1=2&a=1&A=3", 1, 2, "A=3&a=1&a=1%3D2" },
        { "/?%=%4", 1, 2, "%25=%254" },
        { "/x?y?z", 1, 2, "y%3Fz=" }
    };

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.method_len = 3;
    req.payload_hash = test_hash;
    req.amz_date = SUITE_DATE;
    req.region = "eu-west-1";
    req.region_len = 9;
    req.service = "execute-api";
    req.service_len = 11;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        req.target = cases[i].target;
        req.target_len = strlen(cases[i].target);
        req.normalize = cases[i].normalize;

        cr = NULL;
        authz = sign(&req, test_key, &cr);
        l = line(cr, cases[i].n, &len);

        UNIT_OK(authz != NULL && len == strlen(cases[i].want)
                && memcmp(l, cases[i].want, len) == 0,
                "\"%s\"%s: \"%s\", got \"%.*s\"", cases[i].target,
                cases[i].normalize ? " normalized" : "", cases[i].want,
                (int) len, l);

        wa_sigv4_free(authz);
        wa_sigv4_free(cr);
    }

    /* no header at all */

    req.target = "/";
    req.target_len = 1;
    cr = NULL;
    authz = sign(&req, test_key, &cr);

    UNIT_OK(cr != NULL && strncmp(cr, S("GET\n/\n\n\n\n")) == 0
            && strcmp(cr + sizeof("GET\n/\n\n\n\n") - 1, test_hash) == 0,
            "no headers: empty canonical headers and SignedHeaders");
    UNIT_OK(authz != NULL
            && strstr(authz, "/eu-west-1/execute-api/aws4_request, "
                      "SignedHeaders=, Signature=") != NULL,
            "no headers: Authorization %s", authz ? authz : "(null)");

    wa_sigv4_free(authz);
    wa_sigv4_free(cr);

    /* names sorted case-insensitively, repeats in order, Trimall() */

    h[0].name = "X-B";
    h[0].value = "\t a \t b  \r\n c ";
    h[1].name = "x-a";
    h[1].value = "v1";
    h[2].name = "X-A";
    h[2].value = "";
    h[3].name = "x-A";
    h[3].value = "  v3";

    for (i = 0; i < 4; i++) {
        h[i].name_len = strlen(h[i].name);
        h[i].value_len = strlen(h[i].value);
    }

    req.headers = h;
    req.nheaders = 4;
    cr = NULL;
    authz = sign(&req, test_key, &cr);

    UNIT_OK(cr != NULL && strncmp(cr, S("GET\n/\n\nx-a:v1,,v3\nx-b:a b c\n"
                                    "\nx-a;x-b\n")) == 0,
            "headers: lowercase, sorted, joined, trimmed");

    wa_sigv4_free(authz);
    wa_sigv4_free(cr);

    /* canonical and string_to_sign are optional */

    authz = sign(&req, test_key, NULL);
    UNIT_OK(authz != NULL && strncmp(authz, S("AWS4-HMAC-SHA256 Credential="
                                       "AKIDEXAMPLE/20150830/")) == 0,
            "Authorization without the copies");
    wa_sigv4_free(authz);

    wa_sigv4_free(NULL);
}


/* every changed byte of a signed input changes the signature */

static void
test_changes(void)
{
    int                  same_sig, deterministic;
    char                *base, *again, *authz, *field, saved;
    char                 method[8], target[64], value[32], hash[65];
    char                 date[WA_SIGV4_DATE_LEN + 1], region[16];
    char                 service[16];
    size_t               f, i, len, changed;
    wa_sigv4_request_t   req;
    wa_sigv4_header_t    h[2];

    static const char   *fields[] = {
        "method", "target", "header value", "payload hash", "date",
        "region", "service"
    };

    strcpy(method, "POST");
    strcpy(target, "/prod/a%20b/c?x=1&y=%2F&z");
    strcpy(value, "one two");
    strcpy(hash, test_hash);
    strcpy(date, SUITE_DATE);
    strcpy(region, "us-east-1");
    strcpy(service, "execute-api");

    h[0].name = "Host";
    h[0].name_len = 4;
    h[0].value = "abc.execute-api.us-east-1.amazonaws.com";
    h[0].value_len = strlen(h[0].value);
    h[1].name = "X-Custom";
    h[1].name_len = 8;
    h[1].value = value;
    h[1].value_len = strlen(value);

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.method_len = strlen(method);
    req.target = target;
    req.target_len = strlen(target);
    req.headers = h;
    req.nheaders = 2;
    req.payload_hash = hash;
    req.amz_date = date;
    req.region = region;
    req.region_len = strlen(region);
    req.service = service;
    req.service_len = strlen(service);
    req.normalize = 1;

    base = sign(&req, test_key, NULL);
    again = sign(&req, test_key, NULL);

    UNIT_OK(base != NULL && again != NULL && strcmp(base, again) == 0,
            "signing is deterministic");
    wa_sigv4_free(again);

    if (base == NULL) {
        return;
    }

    for (f = 0; f < 7; f++) {
        switch (f) {
        case 0: field = method; len = req.method_len; break;
        case 1: field = target; len = req.target_len; break;
        case 2: field = value; len = h[1].value_len; break;
        case 3: field = hash; len = WA_SIGV4_HEX_LEN; break;
        case 4: field = date; len = WA_SIGV4_DATE_LEN; break;
        case 5: field = region; len = req.region_len; break;
        default: field = service; len = req.service_len; break;
        }

        changed = 0;
        same_sig = 0;
        deterministic = 1;

        for (i = 0; i < len; i++) {
            saved = field[i];
            field[i] = (saved == 'q') ? 'r' : 'q';

            authz = sign(&req, test_key, NULL);
            again = sign(&req, test_key, NULL);

            if (authz == NULL || again == NULL
                || strcmp(authz, again) != 0)
            {
                deterministic = 0;
            }

            /* the signature is the last 64 characters */
            if (authz != NULL
                && strcmp(authz + strlen(authz) - WA_SIGV4_HEX_LEN,
                          base + strlen(base) - WA_SIGV4_HEX_LEN) == 0)
            {
                same_sig++;
            }

            changed++;
            wa_sigv4_free(authz);
            wa_sigv4_free(again);
            field[i] = saved;
        }

        UNIT_OK(same_sig == 0 && deterministic && changed == len,
                "%s: each of %zu changed bytes changes the signature",
                fields[f], changed);
    }

    wa_sigv4_free(base);
}


int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }

    aws_c_auth_suite(argv[1]);
    classic_suite(argv[1]);

    test_signing_key();
    test_streaming();
    test_canonical();
    test_changes();

    wa_core_cleanup();

    return UNIT_DONE();
}
