
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * unit tests of the core's parsers of what outside services answer: the
 * credential endpoints' JSON (wa_awscred.c), STS's XML (wa_sts.c), RESP
 * replies (wa_resp.c) and the commit script's reply (wa_commit.c).  Each
 * refusal is of a document that is otherwise good.  jansson and libxml2
 * allocate through the core's wiping functions (wa_json_memory_init(),
 * wa_xml_memory_init()), whose blocks are checked here before they are
 * freed, so that the copies of a secret they free unwiped are counted.
 */


#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlmemory.h>
#include <hiredis/hiredis.h>

#include "wa_internal.h"
#include "unit.h"

/* under valgrind, the control's blocks have bytes never written */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif

#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n)
#endif


#define NOW        1800000000       /* 2027-01-15 */
#define EXP        "2030-01-01T00:00:00Z"
#define EXP_T      1893456000
#define AKID       "ASIAEXAMPLE0123456789"
#define SECRET     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
#define TOKEN      "IQoJb3JpZ2luX2VjEXAMPLE+token/with=base64"

#define BIG        (WA_AWS_ANSWER_MAX + 16)


static int          secret_freed;       /* blocks freed holding SECRET */

/*
 * jansson's blocks, as the core's memory functions (wa_json_memory_init())
 * hand them to wa_json_release, wiped while an answer is parsed: each is
 * looked at whole before it is really freed.  A copy is searched for
 * without its first byte: the lexer's buffer, cleared between tokens,
 * gets a NUL and the next token's first bytes over the last one's
 */

static int          json_blocks;        /* blocks released */
static int          json_dirty;         /* of them, a byte not zero */
static int          json_secret;        /* holding SECRET + 1 */
static int          json_token;         /* holding TOKEN + 1 */

/*
 * libxml2's blocks, as the core's memory functions (wa_xml_memory_init())
 * hand them to wa_xml_release once wiped: each is looked at whole before
 * it is really freed
 */

static int          xml_blocks;         /* blocks released */
static int          xml_dirty;          /* of them, a byte not zero */
static int          xml_dirty_off;      /* likewise, wiping off */
static int          xml_secret;         /* of them, holding SECRET */
static int          xml_token;          /* holding xml_needle */
static const char  *xml_needle;
static size_t       xml_needle_len;


static int
test_holds(const void *p, size_t size, const char *s, size_t k)
{
    size_t  i;

    for (i = 0; size >= k && i <= size - k; i++) {
        if (memcmp((const char *) p + i, s, k) == 0) {
            return 1;
        }
    }

    return 0;
}


static void
test_json_release(void *p)
{
    size_t  i, size;

    size = malloc_usable_size(p);
    json_blocks++;

    /* a block of no answer, or of the control, has bytes never written */

    VALGRIND_MAKE_MEM_DEFINED(p, size);

    for (i = 0; i < size; i++) {
        if (((unsigned char *) p)[i] != 0) {
            json_dirty++;
            break;
        }
    }

    if (test_holds(p, size, SECRET + 1, sizeof(SECRET) - 2)) {
        json_secret++;
        secret_freed++;
    }

    if (test_holds(p, size, TOKEN + 1, sizeof(TOKEN) - 2)) {
        json_token++;
    }

    free(p);
}


static void
test_xml_release(void *p)
{
    size_t  i, size;

    size = malloc_usable_size(p);
    xml_blocks++;

    if (!wa_xml_wiping) {
        VALGRIND_MAKE_MEM_DEFINED(p, size);
    }

    for (i = 0; i < size; i++) {
        if (((unsigned char *) p)[i] != 0) {
            if (wa_xml_wiping) {
                xml_dirty++;
            } else {
                xml_dirty_off++;
            }

            break;
        }
    }

    if (test_holds(p, size, SECRET, sizeof(SECRET) - 1)) {
        xml_secret++;
        secret_freed++;
    }

    if (xml_needle && test_holds(p, size, xml_needle, xml_needle_len)) {
        xml_token++;
    }

    free(p);
}


/* -- the credential endpoints' JSON ------------------------------------- */

#define JSON_GOOD                                                             \
    "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\","                            \
    "\"AccessKeyId\":\"" AKID "\",\"SecretAccessKey\":\"" SECRET "\","        \
    "\"Token\":\"" TOKEN "\",\"Expiration\":\"" EXP "\"}"


static wa_err_t
json_try(const char *json, const char **detail)
{
    wa_err_t        err;
    wa_aws_creds_t  c;

    *detail = NULL;
    err = wa_awscred_parse(&c, (const unsigned char *) json, strlen(json),
                           NOW, detail);
    wa_aws_creds_free(&c);

    return err;
}


/* the good document with member name's value replaced by value (JSON) */

static wa_err_t
json_with(const char *name, const char *value, const char **detail)
{
    char        buf[2048];
    const char  *v[4];

    v[0] = "\"" AKID "\"";
    v[1] = "\"" SECRET "\"";
    v[2] = "\"" TOKEN "\"";
    v[3] = "\"" EXP "\"";

    if (strcmp(name, "AccessKeyId") == 0) {
        v[0] = value;
    } else if (strcmp(name, "SecretAccessKey") == 0) {
        v[1] = value;
    } else if (strcmp(name, "Token") == 0) {
        v[2] = value;
    } else {
        v[3] = value;
    }

    snprintf(buf, sizeof(buf), "{\"AccessKeyId\":%s,\"SecretAccessKey\":%s,"
             "\"Token\":%s,\"Expiration\":%s}", v[0], v[1], v[2], v[3]);

    return json_try(buf, detail);
}


static void
test_json(void)
{
    char            *big;
    wa_err_t         err;
    const char      *d;
    wa_aws_creds_t   c;

    static const char  *names[] = {
        "AccessKeyId", "SecretAccessKey", "Token", "Expiration"
    };

    /* a number, null, an array */
    static const char  *wrong[] = { "42", "null", "[\"x\"]" };

    size_t  i, k;
    char    buf[2048];

    err = wa_awscred_parse(&c, (const unsigned char *) JSON_GOOD,
                           strlen(JSON_GOOD), NOW, &d);
    UNIT_ERR(err, WA_OK, "json: a container answer");
    UNIT_OK(c.access_key && strcmp(c.access_key, AKID) == 0
            && c.access_key_len == strlen(AKID), "json: AccessKeyId");
    UNIT_OK(c.secret && strcmp(c.secret, SECRET) == 0
            && c.secret_len == strlen(SECRET), "json: SecretAccessKey");
    UNIT_OK(c.token && strcmp(c.token, TOKEN) == 0
            && c.token_len == strlen(TOKEN), "json: Token");
    UNIT_OK(c.expires == EXP_T, "json: Expiration %lld",
            (long long) c.expires);
    wa_aws_creds_free(&c);
    UNIT_OK(c.secret == NULL && c.access_key == NULL && c.token == NULL,
            "json: freed, the structure zeroed");

    err = json_with("Token", "\"\"", &d);
    UNIT_ERR(err, WA_OK,
             "json: an empty Token is no session token");

    /* every member missing, and of every wrong type */

    for (i = 0; i < 4; i++) {
        snprintf(buf, sizeof(buf), "{\"AccessKeyId\":\"%s\","
                 "\"SecretAccessKey\":\"%s\",\"Token\":\"%s\","
                 "\"Expiration\":\"%s\"}", AKID, SECRET, TOKEN, EXP);
        /* rename the member: "AccessKeyIX" */
        memcpy(strstr(buf, names[i]) + strlen(names[i]) - 1, "X", 1);
        err = json_try(buf, &d);
        UNIT_OK(err == WA_ERR_AWS_CREDENTIALS_UNAVAILABLE && d
                && strstr(d, names[i]) != NULL,
                "json: %s missing: %s", names[i], d ? d : "-");

        for (k = 0; k < sizeof(wrong) / sizeof(wrong[0]); k++) {
            err = json_with(names[i], wrong[k], &d);
            UNIT_OK(err == WA_ERR_AWS_CREDENTIALS_UNAVAILABLE && d
                    && strstr(d, names[i]) != NULL,
                    "json: %s %s: %s", names[i], wrong[k], d ? d : "-");
        }
    }

    err = json_try("", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: empty: %s", d);
    err = json_try("{\"AccessKeyId\": \"ASIA\", \"Secret", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: cut short: %s", d);
    err = json_try("[" JSON_GOOD "]", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: an array: %s", d);
    err = json_try("\"" AKID "\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: a string: %s", d);
    err = json_try(JSON_GOOD "x", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: trailing bytes: %s", d);
    snprintf(buf, sizeof(buf), "{\"AccessKeyId\":\"AKIAOTHER\",%s",
             &(JSON_GOOD)[1]);
    err = json_try(buf, &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: AccessKeyId twice: %s", d);

    /* the values' character sets and the expiry */

    err = json_with("AccessKeyId", "\"\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: empty AccessKeyId: %s", d);
    err = json_with("AccessKeyId", "\"ASIA EXAMPLE\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: AccessKeyId with a space: %s", d);
    err = json_with("AccessKeyId", "\"ASIA/EXAMPLE\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: AccessKeyId with a slash: %s", d);
    err = json_with("SecretAccessKey", "\"\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: empty secret: %s", d);
    err = json_with("SecretAccessKey", "\"abc\\u0000def\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: secret with NUL: %s", d);
    err = json_with("Token", "\"abc\\r\\nX-Injected: 1\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: token with CR LF (a header injection): %s", d);
    err = json_with("Token", "\"abc\\u00e9\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: token with a non-ASCII character: %s", d);
    err = json_with("Expiration", "\"2027-01-15T08:00:00Z\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: expired: %s", d);
    err = json_with("Expiration", "\"2030-01-01T00:00:00\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: Expiration without a zone: %s", d);
    err = json_with("Expiration", "\"tomorrow\"", &d);
    UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
             "json: Expiration not a time: %s", d);

    /* huge */

    big = malloc(BIG + 1);
    if (big != NULL) {
        memset(big, ' ', BIG);
        memcpy(big, JSON_GOOD, strlen(JSON_GOOD));
        big[BIG] = '\0';
        err = json_try(big, &d);
        UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
                 "json: over %d bytes: %s", WA_AWS_ANSWER_MAX, d);
        free(big);
    }

    big = malloc(200001);
    if (big != NULL) {
        memset(big, '[', 200000);
        big[200000] = '\0';
        err = json_try(big, &d);
        UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
                 "json: 200000 nested arrays: %s", d);
        memset(big, '[', 60000);
        big[60000] = '\0';
        err = json_try(big, &d);
        UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
                 "json: 60000 nested arrays (under the size cap): %s", d);
        free(big);
    }
}


/* -- ISO 8601 times ----------------------------------------------------- */

static void
test_time(void)
{
    size_t    i;
    int64_t   t;

    static const struct {
        const char  *s;
        int64_t      t;
    } good[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "2026-12-01T19:30:00Z", 1796153400 },
        { "2026-12-01T19:30:00.359Z", 1796153400 },
        { "2026-12-01T21:30:00+02:00", 1796153400 },
        { "2026-12-01T14:00:00-05:30", 1796153400 },
        { "2024-02-29T23:59:60Z", 1709251200 },
    };

    static const char  *bad[] = {
        "", "2026-12-01", "2026-12-01T19:30:00", "2026-12-01T19:30Z",
        "2026-12-01 19:30:00Z", "2026-13-01T19:30:00Z",
        "2026-02-29T19:30:00Z", "2026-12-32T19:30:00Z",
        "2026-12-01T24:00:00Z", "2026-12-01T19:60:00Z",
        "2026-12-01T19:30:61Z", "2026-12-01T19:30:00.Z",
        "2026-12-01T19:30:00Zjunk", "2026-12-01T19:30:00+0200",
        "2026-12-01T19:30:00+24:00", "+026-12-01T19:30:00Z",
        "2026-12-01T 9:30:00Z", "2026-12-01t19:30:00Z",
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        t = -1;
        UNIT_OK(wa_aws_time(good[i].s, strlen(good[i].s), &t) == 0
                && t == good[i].t, "time: \"%s\" is %lld (%lld)", good[i].s,
                (long long) good[i].t, (long long) t);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        UNIT_OK(wa_aws_time(bad[i], strlen(bad[i]), &t) == -1,
                "time: \"%s\" refused", bad[i]);
    }
}


/* -- STS's XML ---------------------------------------------------------- */

#define STS_NS  "https://sts.amazonaws.com/doc/2011-06-15/"

#define STS_CREDS(akid, secret, token, exp)                                   \
    "<Credentials><AccessKeyId>" akid "</AccessKeyId>"                        \
    "<SecretAccessKey>" secret "</SecretAccessKey>"                           \
    "<SessionToken>" token "</SessionToken>"                                  \
    "<Expiration>" exp "</Expiration></Credentials>"

#define STS_WRAP(creds)                                                       \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                            \
    "<AssumeRoleResponse xmlns=\"" STS_NS "\">\n"                             \
    "  <AssumeRoleResult>\n"                                                  \
    "    <SourceIdentity>alice</SourceIdentity>\n"                            \
    "    <AssumedRoleUser><AssumedRoleId>AROA:alice</AssumedRoleId>"          \
    "<Arn>arn:aws:sts::123456789012:assumed-role/R/alice</Arn>"               \
    "</AssumedRoleUser>\n    " creds "\n"                                     \
    "    <PackedPolicySize>6</PackedPolicySize>\n"                            \
    "  </AssumeRoleResult>\n"                                                 \
    "  <ResponseMetadata><RequestId>c6104cbe</RequestId>"                     \
    "</ResponseMetadata>\n</AssumeRoleResponse>\n"

#define STS_GOOD  STS_WRAP(STS_CREDS(AKID, SECRET, TOKEN, EXP))

#define STS_ERROR(code, message)                                              \
    "<ErrorResponse xmlns=\"" STS_NS "\"><Error><Type>Sender</Type>"          \
    "<Code>" code "</Code><Message>" message "</Message></Error>"             \
    "<RequestId>8a3b</RequestId></ErrorResponse>"


static wa_err_t
sts_try(const char *xml, wa_sts_answer_t *a, const char **detail)
{
    *detail = NULL;

    return wa_sts_parse(a, (const unsigned char *) xml, strlen(xml), NOW,
                        detail);
}


static void
sts_refused(const char *xml, int xml_ok, int credentials, const char *what)
{
    wa_err_t          err;
    const char       *d;
    wa_sts_answer_t   a;

    err = sts_try(xml, &a, &d);
    UNIT_OK(err == WA_ERR_AWS_CREDENTIALS_UNAVAILABLE && a.xml == xml_ok
            && a.credentials == credentials,
            "sts: %s: refused (%s; xml %d, credentials %d)", what, d, a.xml,
            a.credentials);
    wa_sts_free(&a);
}


static void
test_sts(void)
{
    int               i, before;
    char             *big, *p;
    wa_err_t          err;
    const char       *d;
    wa_sts_answer_t   a;

    err = sts_try(STS_GOOD, &a, &d);
    UNIT_ERR(err, WA_OK, "sts: an AssumeRole answer");
    UNIT_OK(a.xml && a.credentials && a.code == NULL,
            "sts: xml, credentials, no code");
    UNIT_OK(a.creds.access_key && strcmp(a.creds.access_key, AKID) == 0,
            "sts: AccessKeyId");
    UNIT_OK(a.creds.secret && strcmp(a.creds.secret, SECRET) == 0
            && a.creds.secret_len == strlen(SECRET), "sts: SecretAccessKey");
    UNIT_OK(a.creds.token && strcmp(a.creds.token, TOKEN) == 0,
            "sts: SessionToken");
    UNIT_OK(a.creds.expires == EXP_T, "sts: Expiration");
    wa_sts_free(&a);
    UNIT_OK(a.creds.secret == NULL && a.code == NULL,
            "sts: freed, the structure zeroed");

    err = sts_try("<AssumeRoleWithWebIdentityResponse xmlns=\"" STS_NS "\">"
                  "<AssumeRoleWithWebIdentityResult>"
                  "<SubjectFromWebIdentityToken>system:sa</Subject"
                  "FromWebIdentityToken>"
                  STS_CREDS(AKID, "<![CDATA[" SECRET "]]>",
                            "a&amp;b&#x2B;c", "2030-01-01T00:00:00.359Z")
                  "</AssumeRoleWithWebIdentityResult>"
                  "</AssumeRoleWithWebIdentityResponse>", &a, &d);
    UNIT_ERR(err, WA_OK, "sts: an AssumeRoleWithWebIdentity answer, the "
             "secret in CDATA, references in the token");
    UNIT_OK(a.creds.secret && strcmp(a.creds.secret, SECRET) == 0,
            "sts: the CDATA secret");
    UNIT_OK(a.creds.token && strcmp(a.creds.token, "a&b+c") == 0,
            "sts: the token's references resolved (\"%s\")",
            a.creds.token ? a.creds.token : "(null)");
    UNIT_OK(a.creds.expires == EXP_T, "sts: a fraction of a second dropped");
    wa_sts_free(&a);

    /* an error answer: its Code and Message, kept printable */

    err = sts_try(STS_ERROR("AccessDenied", "User: arn:aws:iam::1:user/x is "
                            "not authorized to perform: sts:AssumeRole"),
                  &a, &d);
    UNIT_OK(err == WA_ERR_AWS_CREDENTIALS_UNAVAILABLE && a.xml
            && !a.credentials && a.code && strcmp(a.code, "AccessDenied") == 0
            && a.message && strncmp(a.message, "User: arn", 9) == 0,
            "sts: an ErrorResponse: code \"%s\", message \"%s\" (%s)",
            a.code ? a.code : "", a.message ? a.message : "", d);
    wa_sts_free(&a);

    err = sts_try(STS_ERROR("Bad\xc3\xa9\tCode"
                            "0123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789",
                            "line\nbreak"), &a, &d);
    UNIT_OK(a.code && strncmp(a.code, "Bad???Code", 10) == 0
            && strlen(a.code) == WA_STS_CODE_MAX
            && a.message && strcmp(a.message, "line?break") == 0,
            "sts: a code of non-ASCII and tabs as \"?\", cut at %d: \"%s\", "
            "\"%s\"", WA_STS_CODE_MAX, a.code ? a.code : "",
            a.message ? a.message : "");
    wa_sts_free(&a);

    sts_refused("<AssumeRoleResponse><AssumeRoleResult/>"
                "</AssumeRoleResponse>", 1, 0, "no Credentials, no Code");

    /* not XML, and what libxml2 must not do */

    sts_refused("", 0, 0, "empty");
    sts_refused("not xml at all", 0, 0, "text");
    sts_refused("<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                "<AccessKeyId>ASIA\x01", 0, 0, "cut short, a control byte");
    sts_refused("<a></b>", 0, 0, "mismatched tags");
    sts_refused("<a>&undefined;</a>", 0, 0, "an undefined entity");
    sts_refused("<!DOCTYPE a><a/>", 0, 0, "a DOCTYPE without a subset");
    sts_refused("<?xml version=\"1.0\"?>\n"
                "<!DOCTYPE r [<!ENTITY s \"" SECRET "\">]>"
                STS_WRAP(STS_CREDS(AKID, "&s;", TOKEN, EXP)), 0, 0,
                "a DOCTYPE declaring the secret as an entity");
    sts_refused("<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>", 0, 0,
                "a DOCTYPE with an external subset");
    sts_refused("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                STS_WRAP(STS_CREDS(AKID, SECRET, "&x;", EXP)), 0, 0,
                "an external entity");
    sts_refused("<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/\">"
                "%p;]><r/>", 0, 0, "a parameter entity over the network");
    sts_refused("<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                "<!ENTITY l1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                "<!ENTITY l2 \"&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;\">"
                "<!ENTITY l3 \"&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;\">"
                "<!ENTITY l4 \"&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;\">"
                "<!ENTITY l5 \"&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;\">"
                "<!ENTITY l6 \"&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;\">"
                "<!ENTITY l7 \"&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;\">"
                "<!ENTITY l8 \"&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;\">"
                "<!ENTITY l9 \"&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;\">"
                "]><r>&l9;</r>", 0, 0, "billion laughs");

    /* the Credentials element's members */

    sts_refused(STS_WRAP("<Credentials><SecretAccessKey>" SECRET
                         "</SecretAccessKey><SessionToken>" TOKEN
                         "</SessionToken><Expiration>" EXP "</Expiration>"
                         "</Credentials>"), 1, 1, "no AccessKeyId");
    sts_refused(STS_WRAP("<Credentials><AccessKeyId>" AKID "</AccessKeyId>"
                         "<SessionToken>" TOKEN "</SessionToken><Expiration>"
                         EXP "</Expiration></Credentials>"), 1, 1,
                "no SecretAccessKey");
    sts_refused(STS_WRAP("<Credentials><AccessKeyId>" AKID "</AccessKeyId>"
                         "<SecretAccessKey>" SECRET "</SecretAccessKey>"
                         "<Expiration>" EXP "</Expiration></Credentials>"),
                1, 1, "no SessionToken");
    sts_refused(STS_WRAP("<Credentials><AccessKeyId>" AKID "</AccessKeyId>"
                         "<SecretAccessKey>" SECRET "</SecretAccessKey>"
                         "<SessionToken>" TOKEN "</SessionToken>"
                         "</Credentials>"), 1, 1, "no Expiration");
    sts_refused(STS_WRAP(STS_CREDS(AKID, SECRET, "", EXP)), 1, 1,
                "an empty SessionToken");
    sts_refused(STS_WRAP(STS_CREDS("", SECRET, TOKEN, EXP)), 1, 1,
                "an empty AccessKeyId");
    sts_refused(STS_WRAP(STS_CREDS(AKID, SECRET, TOKEN,
                                   "2027-01-15T08:00:00Z")), 1, 1, "expired");
    sts_refused(STS_WRAP(STS_CREDS(AKID, SECRET, TOKEN,
                                   "2030-01-01T00:00:00")), 1, 1,
                "an Expiration without a zone");
    sts_refused(STS_WRAP(STS_CREDS(AKID, SECRET, "to&#xA;ken", EXP)), 1, 1,
                "a token with a LF (a header injection)");
    sts_refused(STS_WRAP(STS_CREDS("ASIA<x>Y</x>", SECRET, TOKEN, EXP)), 1, 1,
                "an element inside AccessKeyId");
    sts_refused(STS_WRAP("<Credentials><AccessKeyId>" AKID "</AccessKeyId>"
                         "<AccessKeyId>AKIAOTHER</AccessKeyId>"
                         "<SecretAccessKey>" SECRET "</SecretAccessKey>"
                         "<SessionToken>" TOKEN "</SessionToken>"
                         "<Expiration>" EXP "</Expiration></Credentials>"),
                1, 1, "AccessKeyId twice");
    sts_refused(STS_WRAP("<Credentials><AccessKeyId>" AKID "</AccessKeyId>"
                         "<SecretAccessKey>" SECRET "</SecretAccessKey>"
                         "<SecretAccessKey>other</SecretAccessKey>"
                         "<SessionToken>" TOKEN "</SessionToken>"
                         "<Expiration>" EXP "</Expiration></Credentials>"),
                1, 1, "SecretAccessKey twice");

    /* Credentials deeper than searched, and huge */

    big = malloc(BIG + 1);
    if (big == NULL) {
        return;
    }

    p = big;
    for (i = 0; i < WA_STS_DEPTH_MAX; i++) {
        p += sprintf(p, "<e%d>", i);
    }
    p += sprintf(p, "%s", STS_CREDS(AKID, SECRET, TOKEN, EXP));
    for (i = WA_STS_DEPTH_MAX - 1; i >= 0; i--) {
        p += sprintf(p, "</e%d>", i);
    }
    sts_refused(big, 1, 0, "Credentials 17 elements deep");

    p = big;
    for (i = 0; i < WA_STS_DEPTH_MAX - 1; i++) {
        p += sprintf(p, "<e%d>", i);
    }
    p += sprintf(p, "%s", STS_CREDS(AKID, SECRET, TOKEN, EXP));
    for (i = WA_STS_DEPTH_MAX - 2; i >= 0; i--) {
        p += sprintf(p, "</e%d>", i);
    }
    err = sts_try(big, &a, &d);
    UNIT_ERR(err, WA_OK, "sts: Credentials 16 elements deep");
    wa_sts_free(&a);

    memset(big, ' ', BIG);
    memcpy(big, STS_GOOD, strlen(STS_GOOD));
    big[BIG] = '\0';
    sts_refused(big, 0, 0, "over the size cap");

    p = big;
    for (i = 0; i < 6000; i++) {
        p += sprintf(p, "<a>");
    }
    sts_refused(big, 0, 0, "6000 nested elements, unclosed");

    free(big);

    /* the secret: how many copies are freed unwiped */

    before = secret_freed;
    err = sts_try(STS_GOOD, &a, &d);
    wa_sts_free(&a);
    UNIT_OK(err == WA_OK && secret_freed - before == 0,
            "sts: libxml2 freed %d copies of the secret unwiped (its input "
            "buffer without wa_xml_memory_init())", secret_freed - before);

    before = secret_freed;
    err = sts_try("<ErrorResponse><Error><Code>X</Code><SecretAccessKey>"
                  SECRET "</SecretAccessKey></Error></ErrorResponse>", &a,
                  &d);
    wa_sts_free(&a);
    UNIT_OK(err != WA_OK && secret_freed - before == 0,
            "sts: likewise for a SecretAccessKey in an error answer (%d)",
            secret_freed - before);
}


/*
 * every block libxml2 frees or moves is wiped first: an AssumeRole
 * answer with a session token of 1200 bytes, as long as STS's are, with
 * a character reference in its middle ("&#43;", a "+"), so that its text
 * reaches the parser's SAX handler in three pieces, coalesced into one
 * text node by xmlRealloc(); parsed with wiping on, then with it off
 * (the control: the same check finds the secret and the token where
 * they were left)
 */

#define XML_TOKEN_LEN  1200
#define XML_MARK       "\001"

static void
test_xml_wiped(void)
{
    int               pass, blocks, dirty, secret, token;
    char             *xml, *tok;
    size_t            i, len;
    uint32_t          x;
    wa_err_t          err;
    const char       *d, *mark;
    wa_sts_answer_t   a;

    static const char  wrap[] = STS_WRAP(STS_CREDS(AKID, SECRET, XML_MARK,
                                                   EXP));
    static const char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    len = sizeof(wrap) + XML_TOKEN_LEN + sizeof("&#43;");
    tok = malloc(XML_TOKEN_LEN + 1);
    xml = malloc(len);

    if (tok == NULL || xml == NULL) {
        UNIT_OK(0, "xml wipe: out of memory");
        free(tok);
        free(xml);
        return;
    }

    /* a token that repeats nothing: its first 40 bytes are in no other */

    x = 2463534242u;

    for (i = 0; i < XML_TOKEN_LEN; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        tok[i] = b64[x % 64];
    }

    tok[XML_TOKEN_LEN / 2] = '+';
    tok[XML_TOKEN_LEN] = '\0';

    mark = strchr(wrap, XML_MARK[0]);
    snprintf(xml, len, "%.*s%.*s&#43;%s%s", (int) (mark - wrap), wrap,
             XML_TOKEN_LEN / 2, tok, tok + XML_TOKEN_LEN / 2 + 1, mark + 1);

    xml_needle = tok;
    xml_needle_len = 40;

    for (pass = 0; pass < 2; pass++) {

        wa_xml_wiping = (pass == 0);

        blocks = xml_blocks;
        dirty = xml_dirty + xml_dirty_off;
        secret = xml_secret;
        token = xml_token;

        err = sts_try(xml, &a, &d);

        UNIT_OK(err == WA_OK && a.creds.token
                && strcmp(a.creds.token, tok) == 0
                && a.creds.secret && strcmp(a.creds.secret, SECRET) == 0,
                "xml wipe, %s: the answer is read (%s)",
                pass ? "control" : "wiping", d ? d : "ok");

        wa_sts_free(&a);

        blocks = xml_blocks - blocks;
        dirty = xml_dirty + xml_dirty_off - dirty;
        secret = xml_secret - secret;
        token = xml_token - token;

        if (pass == 0) {
            UNIT_OK(blocks >= 30,
                    "xml wipe: libxml2 freed or moved %d blocks (at least "
                    "30), each checked", blocks);
            UNIT_OK(dirty == 0 && secret == 0 && token == 0,
                    "xml wipe: every one was all zero (%d not; %d held the "
                    "secret, %d the token)", dirty, secret, token);

        } else {
            UNIT_OK(secret >= 1 && token >= 3 && dirty > 0,
                    "xml wipe, control (wiping off): the same check finds "
                    "the secret in %d blocks (its input buffer, at least "
                    "1), the token in %d (the input, its text node, its "
                    "copy before it grew: at least 3), %d of %d blocks not "
                    "zero",
                    secret, token, dirty, blocks);
        }
    }

    wa_xml_wiping = 1;
    xml_needle = NULL;

    free(tok);
    free(xml);
}


static void
test_secret_wiped(void)
{
    int              pass, blocks, dirty, secret, token;
    wa_err_t         err;
    const char      *d, *json;
    wa_aws_creds_t   c;
    size_t           i;

    /*
     * the members in three orders: which of jansson's blocks last held
     * the secret or the token depends on it (the lexer's buffer keeps the
     * last long string's bytes but for its first), and an answer cut
     * short after the secret, which jansson refuses
     */

    static const char  *answers[] = {
        JSON_GOOD,

        /* the container endpoint's (ECS): by name */
        "{\"AccessKeyId\":\"" AKID "\",\"Expiration\":\"" EXP "\","
        "\"RoleArn\":\"arn:aws:iam::123456789012:role/r\","
        "\"SecretAccessKey\":\"" SECRET "\",\"Token\":\"" TOKEN "\"}",

        /* the secret last */
        "{\"AccessKeyId\":\"" AKID "\",\"Token\":\"" TOKEN "\","
        "\"Expiration\":\"" EXP "\",\"SecretAccessKey\":\"" SECRET "\"}",

        "{\"AccessKeyId\":\"" AKID "\",\"Token\":\"" TOKEN "\","
        "\"SecretAccessKey\":\"" SECRET "\" \"Expiration\""
    };

    for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        json = answers[i];

        for (pass = 0; pass < 2; pass++) {

            wa_json_wiping = (pass == 0);

            blocks = json_blocks;
            dirty = json_dirty;
            secret = json_secret;
            token = json_token;

            err = wa_awscred_parse(&c, (const unsigned char *) json,
                                   strlen(json), NOW, &d);

            if (i < 3) {
                UNIT_OK(err == WA_OK && c.secret
                        && strcmp(c.secret, SECRET) == 0 && c.token
                        && strcmp(c.token, TOKEN) == 0,
                        "json wipe, answer %zu, %s: the answer is read "
                        "(%s)", i, pass ? "control" : "wiping",
                        err == WA_OK ? "ok" : d);

            } else {
                UNIT_ERR(err, WA_ERR_AWS_CREDENTIALS_UNAVAILABLE,
                         "json wipe, answer %zu, %s: refused", i,
                         pass ? "control" : "wiping");
            }

            wa_aws_creds_free(&c);

            blocks = json_blocks - blocks;
            dirty = json_dirty - dirty;
            secret = json_secret - secret;
            token = json_token - token;

            if (pass == 0) {
                UNIT_OK(blocks >= (i < 3 ? 10 : 3) && dirty == 0
                        && secret == 0 && token == 0,
                        "json wipe, answer %zu: jansson freed %d blocks, "
                        "each all zero (%d not; %d held the secret, %d "
                        "the token)", i, blocks, dirty, secret, token);

            } else {
                UNIT_OK(dirty > 0 && token >= 1 && (i != 2 || secret >= 1),
                        "json wipe, answer %zu, control (wiping off): the "
                        "same check finds the token in %d blocks (its "
                        "string, at least 1), the secret in %d (at least "
                        "1 when it is the last string), %d of %d blocks "
                        "not zero", i, token, secret, dirty, blocks);
            }
        }
    }

    wa_json_wiping = 1;

    /* no answer being parsed: jansson's blocks are freed as they are */

    blocks = json_blocks;
    dirty = json_dirty;
    json_decref(json_pack("{s:s}", "k", "not a secret, not wiped"));
    UNIT_OK(json_blocks - blocks >= 2 && json_dirty - dirty >= 1,
            "json: outside an answer, jansson's blocks are freed unwiped "
            "(%d of %d not zero)", json_dirty - dirty, json_blocks - blocks);

    /* the core's own copy: wa_aws_creds_free() wipes before free() */

    c.secret = malloc(sizeof(SECRET));
    c.secret_len = sizeof(SECRET) - 1;
    memcpy(c.secret, SECRET, sizeof(SECRET));
    c.access_key = NULL;
    c.token = NULL;

    wa_aws_creds_wipe(&c);
    UNIT_OK(c.secret != NULL && memcmp(c.secret, "\0\0\0\0\0\0\0\0", 8) == 0
            && c.secret[c.secret_len - 1] == '\0',
            "wa_aws_creds_wipe() zeroes the secret");
    wa_aws_creds_free(&c);
}


/* -- jansson's arena ------------------------------------------------------ */

#define ARENA_RP      "example.org"
#define ARENA_ORIGIN  "https://example.org"


static wa_err_t
arena_accept(void *data, const unsigned char *c, size_t len,
    const char **detail)
{
    return WA_OK;
}


static char *
arena_b64(const void *p, size_t n)
{
    char  *s;

    s = malloc(wa_b64url_encoded_len(n) + 1);
    if (s != NULL) {
        s[wa_b64url_encode((unsigned char *) s, p, n)] = '\0';
    }

    return s;
}


/*
 * an assertion's envelope (PublicKeyCredential.toJSON()) as the header
 * carries it, base64url, with pad bytes of an extra member (0: none);
 * not signed: parsed and checked, not verified
 */

static char *
arena_assertion(size_t pad, char **envelope)
{
    char           *cd, *ad, *sig, *id, *json, *tok, *filler;
    size_t          n;
    unsigned char   auth[37], raw_id[16], sigb[70];

    static const char  cdj[] =
        "{\"type\":\"webauthn.get\",\"challenge\":\"AAECAwQFBgcICQoLDA0ODw\","
        "\"origin\":\"" ARENA_ORIGIN "\",\"crossOrigin\":false}";

    wa_sha256(auth, ARENA_RP, sizeof(ARENA_RP) - 1);
    auth[32] = 0x05;                                    /* UP, UV */
    memset(auth + 33, 0, 4);
    memset(raw_id, 0x42, sizeof(raw_id));
    memset(sigb, 0x30, sizeof(sigb));

    cd = arena_b64(cdj, sizeof(cdj) - 1);
    ad = arena_b64(auth, sizeof(auth));
    sig = arena_b64(sigb, sizeof(sigb));
    id = arena_b64(raw_id, sizeof(raw_id));
    filler = malloc(pad + 1);
    n = 512 + pad + strlen(cd) + strlen(ad) + strlen(sig) + 2 * strlen(id);
    json = malloc(n);

    if (cd == NULL || ad == NULL || sig == NULL || id == NULL
        || filler == NULL || json == NULL)
    {
        abort();
    }

    memset(filler, 'x', pad);
    filler[pad] = '\0';

    snprintf(json, n, "{\"id\":\"%s\",\"rawId\":\"%s\",\"type\":\"public-key\","
             "\"response\":{\"clientDataJSON\":\"%s\","
             "\"authenticatorData\":\"%s\",\"signature\":\"%s\","
             "\"userHandle\":null},\"clientExtensionResults\":{}%s%s%s}",
             id, id, cd, ad, sig, pad ? ",\"pad\":\"" : "", filler,
             pad ? "\"" : "");

    tok = arena_b64(json, strlen(json));
    if (tok == NULL) {
        abort();
    }

    free(cd);
    free(ad);
    free(sig);
    free(id);
    free(filler);

    if (envelope) {
        *envelope = json;
    } else {
        free(json);
    }

    return tok;
}


static wa_err_t
arena_try(const char *tok, const char **detail)
{
    wa_err_t         err;
    wa_origin_t      origin;
    wa_policy_t      policy;
    wa_assertion_t   a;

    memset(&policy, 0, sizeof(policy));
    wa_sha256(policy.rp_id_hash, ARENA_RP, sizeof(ARENA_RP) - 1);
    origin.data = ARENA_ORIGIN;
    origin.len = sizeof(ARENA_ORIGIN) - 1;
    policy.origins = &origin;
    policy.norigins = 1;
    policy.user_verification = WA_UV_PREFERRED;
    policy.check_challenge = arena_accept;

    memset(&a, 0, sizeof(a));
    err = wa_assertion_parse(&a, (const unsigned char *) tok, strlen(tok),
                             detail);
    if (err == WA_OK) {
        err = wa_assertion_check(&a, &policy, detail);
    }

    wa_assertion_free(&a);

    return err;
}


static void
test_json_arena(void)
{
    int                   blocks, rc;
    char                 *tok, *envelope;
    json_t               *root, *kept;
    wa_err_t              err;
    const char           *d;
    wa_json_arena_t       a, b;
    wa_json_arena_buf_t   buf, buf2;

    /* an assertion's two parses: no block of jansson's from malloc() */

    tok = arena_assertion(0, &envelope);

    blocks = json_blocks;
    d = NULL;
    err = arena_try(tok, &d);
    UNIT_OK(err == WA_OK && json_blocks == blocks,
            "arena: an assertion parsed and checked (%s), %d of jansson's "
            "blocks freed through free() (0: all from the stack)",
            err == WA_OK ? "ok" : d, json_blocks - blocks);

    /* the control: the same envelope parsed without an arena */

    blocks = json_blocks;
    json_decref(json_loadb(envelope, strlen(envelope), 0, NULL));
    UNIT_OK(json_blocks - blocks >= 20,
            "arena, control: the same envelope without an arena frees %d "
            "blocks through free() (at least 20)", json_blocks - blocks);

    free(envelope);
    free(tok);

    /* one that does not fit: the rest from malloc(), the parse the same */

    tok = arena_assertion(WA_JSON_ARENA_SIZE, NULL);
    blocks = json_blocks;
    d = NULL;
    err = arena_try(tok, &d);
    UNIT_OK(err == WA_OK && json_blocks - blocks >= 1,
            "arena: an envelope with a %d-byte member is parsed (%s); %d "
            "blocks spilled to malloc() and were freed through free()",
            WA_JSON_ARENA_SIZE, err == WA_OK ? "ok" : d,
            json_blocks - blocks);
    free(tok);

    /* the arena's own accounting */

    wa_json_arena_begin(&a, buf.data, sizeof(buf.data));
    root = json_loads("{\"a\":[1,2,3],\"b\":\"text\"}", 0, NULL);
    UNIT_OK(root != NULL && a.live >= 5 && a.spilled == 0,
            "arena: a document's %zu blocks cut from it, none spilled",
            a.live);

    /* an arena begun inside another is not put in force */

    wa_json_arena_begin(&b, buf2.data, sizeof(buf2.data));
    kept = json_string("inner");
    UNIT_OK(b.live == 0 && b.end == b.start,
            "arena: one begun inside another is not in force (%zu blocks "
            "of it)", b.live);
    json_decref(kept);
    UNIT_OK(wa_json_arena_end(&b) == 0 && b.used == 0,
            "arena: the inner one ends with nothing cut");

    kept = json_incref(json_object_get(root, "a"));
    json_decref(root);
    rc = wa_json_arena_end(&a);
    UNIT_OK(rc == -1 && a.live > 0 && a.used > 0,
            "arena: ending with a block still referenced is -1 (%zu "
            "blocks, %zu bytes cut)", a.live, a.used);

    /*
     * kept points into buf, which the arena no longer covers: it must not
     * be freed (json_decref() would hand it to free()); it is dropped
     */

    (void) kept;

    /* while a secret is parsed, no arena: its blocks must be wiped */

    wa_json_secret_begin();
    wa_json_arena_begin(&a, buf.data, sizeof(buf.data));
    blocks = json_blocks;
    json_decref(json_string("secret"));
    UNIT_OK(a.end == a.start && json_blocks - blocks == 2,
            "arena: not in force during a secret's parse (%d blocks "
            "through free())", json_blocks - blocks);
    wa_json_arena_end(&a);
    wa_json_secret_end();

    /* nor for a secret's parse begun inside an arena */

    wa_json_arena_begin(&a, buf.data, sizeof(buf.data));
    wa_json_secret_begin();
    blocks = json_blocks;
    json_decref(json_string("secret"));
    wa_json_secret_end();
    rc = wa_json_arena_end(&a);
    UNIT_OK(rc == 0 && a.used == 0 && json_blocks - blocks == 2,
            "arena: a secret's blocks inside one come from malloc() (%d "
            "through free(), %zu bytes cut)", json_blocks - blocks, a.used);

    /* a block freed leaves no room for another: an arena only grows */

    wa_json_arena_begin(&a, buf.data, sizeof(buf.data));
    json_decref(json_string("one"));
    json_decref(json_string("two"));
    rc = wa_json_arena_end(&a);
    UNIT_OK(rc == 0 && a.used >= 4 * 16,
            "arena: two strings, made and freed, used %zu bytes", a.used);
}


/* -- RESP --------------------------------------------------------------- */

static char  resp_why[256];


static int
resp_one(const char *bytes, size_t len, size_t max_bytes, int max_depth,
    redisReply **reply, const char **why)
{
    int         rc;
    wa_resp_t  *r;

    *reply = NULL;

    r = wa_resp_new(max_bytes, max_depth);
    if (r == NULL) {
        return -100;
    }

    rc = wa_resp_feed(r, bytes, len);

    if (rc == WA_RESP_OK) {
        rc = wa_resp_reply(r, reply);
    }

    /* the text may be hiredis', freed with the reader */

    snprintf(resp_why, sizeof(resp_why), "%s", wa_resp_why(r));
    *why = resp_why;

    wa_resp_free(r);

    return rc;
}


static int
resp_same(const redisReply *a, const redisReply *b)
{
    size_t  i;

    if (a->type != b->type || a->len != b->len || a->integer != b->integer
        || a->elements != b->elements)
    {
        return 0;
    }

    if (a->str && (b->str == NULL || memcmp(a->str, b->str, a->len) != 0)) {
        return 0;
    }

    for (i = 0; i < a->elements; i++) {
        if (!resp_same(a->element[i], b->element[i])) {
            return 0;
        }
    }

    return 1;
}


static void
test_resp(void)
{
    int          rc, again, i;
    char        *buf, *p;
    size_t       k, n;
    wa_resp_t   *r;
    redisReply  *reply, *whole;
    const char  *why;

    static const char  nested[] =
        "*4\r\n$2\r\nok\r\n*2\r\n:-42\r\n$-1\r\n*0\r\n"
        "*2\r\n+OK\r\n-ERR no\r\n";

    rc = resp_one("+OK\r\n", 5, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_OK && reply->type == REDIS_REPLY_STATUS
            && reply->len == 2 && memcmp(reply->str, "OK", 2) == 0,
            "resp: a status");
    freeReplyObject(reply);

    rc = resp_one("-NOSCRIPT No matching script\r\n", 30, 0, 0, &reply,
                  &why);
    UNIT_OK(rc == WA_RESP_OK && reply->type == REDIS_REPLY_ERROR
            && strncmp(reply->str, "NOSCRIPT", 8) == 0, "resp: an error");
    freeReplyObject(reply);

    rc = resp_one("$5\r\na\r\nb\0\r\n", 11, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_OK && reply->type == REDIS_REPLY_STRING
            && reply->len == 5 && memcmp(reply->str, "a\r\nb\0", 5) == 0,
            "resp: a bulk string with CR LF and NUL");
    freeReplyObject(reply);

    rc = resp_one(nested, sizeof(nested) - 1, 0, 0, &whole, &why);
    UNIT_OK(rc == WA_RESP_OK && whole->type == REDIS_REPLY_ARRAY
            && whole->elements == 4
            && whole->element[1]->element[0]->integer == -42
            && whole->element[1]->element[1]->type == REDIS_REPLY_NIL
            && whole->element[2]->elements == 0
            && whole->element[3]->element[1]->type == REDIS_REPLY_ERROR,
            "resp: nested arrays, integers, nil, an empty array");

    /* byte by byte: AGAIN until the last byte, then the same reply */

    r = wa_resp_new(0, 0);
    again = 0;
    rc = WA_RESP_AGAIN;
    reply = NULL;

    for (k = 0; k < sizeof(nested) - 1; k++) {
        rc = wa_resp_feed(r, nested + k, 1);

        if (rc == WA_RESP_OK) {
            rc = wa_resp_reply(r, &reply);
        }

        if (rc == WA_RESP_AGAIN) {
            again++;
            continue;
        }

        break;
    }

    UNIT_OK(rc == WA_RESP_OK && k == sizeof(nested) - 2
            && again == (int) sizeof(nested) - 2 && reply != NULL
            && resp_same(reply, whole),
            "resp: fed byte by byte: %d times AGAIN, then the same reply",
            again);
    UNIT_OK(wa_resp_pending(r) == 0, "resp: nothing pending");
    freeReplyObject(reply);
    freeReplyObject(whole);

    /* a pipeline, and bytes nobody asked for */

    rc = wa_resp_feed(r, ":1\r\n:2\r\n+QUEUED\r\n", 17);
    n = 0;
    while (rc == WA_RESP_OK && wa_resp_reply(r, &reply) == WA_RESP_OK) {
        n++;
        freeReplyObject(reply);
    }
    UNIT_OK(n == 3 && wa_resp_pending(r) == 0,
            "resp: three replies of one feed, nothing pending");

    for (k = 1; k <= 3; k++) {
        rc = wa_resp_feed(r, &":3\r\n"[k - 1], 1);
        UNIT_OK(rc == WA_RESP_OK && wa_resp_reply(r, &reply) == WA_RESP_AGAIN
                && wa_resp_pending(r) == 1,
                "resp: %zu bytes of a reply more: pending", k);
    }

    /* reset: a fresh start */

    UNIT_OK(wa_resp_reset(r) == 0 && wa_resp_pending(r) == 0,
            "resp: reset forgets what was fed");
    rc = wa_resp_feed(r, ":7\r\n", 4);
    UNIT_OK(rc == WA_RESP_OK && wa_resp_reply(r, &reply) == WA_RESP_OK
            && reply->integer == 7, "resp: and reads again");
    freeReplyObject(reply);
    wa_resp_free(r);

    /* garbage */

    rc = resp_one("x\r\n", 3, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_ERROR && reply == NULL && strstr(why, "Protocol"),
            "resp: a bad type byte: %s", why);
    rc = resp_one("HTTP/1.1 400 Bad Request\r\n", 26, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_ERROR, "resp: HTTP: %s", why);
    rc = resp_one(":12a\r\n", 6, 0, 0, &reply, &why);
    UNIT_OK(rc != WA_RESP_OK || reply == NULL || reply->integer != 12,
            "resp: an integer with a letter is no 12");
    if (reply) {
        freeReplyObject(reply);
    }
    /* hiredis takes the 2 bytes after a bulk string for CR LF unseen */

    r = wa_resp_new(0, 0);
    rc = wa_resp_feed(r, "$3\r\nabcd\r\n", 10);
    rc = (rc == WA_RESP_OK && wa_resp_reply(r, &reply) == WA_RESP_OK
          && reply->len == 3 && wa_resp_reply(r, &whole) == WA_RESP_ERROR);
    UNIT_OK(rc, "resp: a bulk string longer than said: \"abc\", then an "
            "error: %s", wa_resp_why(r));
    freeReplyObject(reply);
    wa_resp_free(r);
    rc = resp_one("*-5\r\n", 5, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_ERROR || rc == WA_RESP_TOO_LARGE,
            "resp: a negative array count: %s", why);

    /* sizes */

    rc = resp_one("*2000000000\r\n", 13, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_TOO_LARGE, "resp: \"*2000000000\": %s (no 16 GB "
            "allocated)", why);
    rc = resp_one("*349526\r\n", 9, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_TOO_LARGE, "resp: one element more than 1 MB "
            "holds: %s", why);
    rc = resp_one("*349525\r\n", 9, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_AGAIN, "resp: as many as 1 MB holds: waits");
    rc = resp_one("*5\r\n", 4, 12, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_TOO_LARGE, "resp: max_bytes 12 bounds an array "
            "at 4 elements: 5 refused: %s", why);
    rc = resp_one("*4\r\n", 4, 12, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_AGAIN, "resp: max_bytes 12: 4 elements wait");
    rc = resp_one("$2000000000\r\n", 13, 0, 0, &reply, &why);
    UNIT_OK(rc == WA_RESP_AGAIN, "resp: a 2 GB bulk header waits (nothing "
            "allocated)");

    r = wa_resp_new(64, 0);
    rc = wa_resp_feed(r, "$100\r\n", 6);
    for (i = 0; i < 100; i++) {
        rc = wa_resp_feed(r, "x", 1);
        if (rc != WA_RESP_OK) {
            break;
        }
    }
    UNIT_OK(rc == WA_RESP_TOO_LARGE && i == 58, "resp: bytes beyond "
            "max_bytes 64 refused (%d accepted after the 6 of the header)",
            i);
    UNIT_OK(wa_resp_reply(r, &reply) == WA_RESP_TOO_LARGE && reply == NULL,
            "resp: and the error stays");
    wa_resp_free(r);

    /*
     * a stream (a pipelined connection): max_bytes bounds what is not yet
     * a whole reply, so 100 replies of 10 bytes pass a 64-byte bound, one
     * reply over it does not, and bytes of the next reply fed with the
     * last one count
     */

    r = wa_resp_new(64, 0);
    wa_resp_stream(r);
    for (i = 0; i < 100; i++) {
        rc = wa_resp_feed(r, "$4\r\nabcd\r\n", 10);
        if (rc != WA_RESP_OK || wa_resp_reply(r, &reply) != WA_RESP_OK) {
            break;
        }
        freeReplyObject(reply);
    }
    UNIT_OK(i == 100 && wa_resp_pending(r) == 0, "resp: a stream of 100 "
            "replies of 10 bytes under a 64-byte bound (%d read)", i);
    rc = wa_resp_feed(r, "$4\r\nabcd\r\n$50\r\n", 15);
    UNIT_OK(rc == WA_RESP_OK && wa_resp_reply(r, &reply) == WA_RESP_OK,
            "resp: a stream: a reply and the next one's header");
    freeReplyObject(reply);
    for (i = 0; i < 100; i++) {
        rc = wa_resp_feed(r, "x", 1);
        if (rc != WA_RESP_OK) {
            break;
        }
    }
    UNIT_OK(rc == WA_RESP_TOO_LARGE && i == 59, "resp: a stream: the reply "
            "begun is bounded, its header included (%d bytes after the "
            "5 of the header)", i);
    wa_resp_free(r);

    r = wa_resp_new(64, 0);
    for (i = 0; i < 100; i++) {
        rc = wa_resp_feed(r, "$4\r\nabcd\r\n", 10);
        if (rc != WA_RESP_OK || wa_resp_reply(r, &reply) != WA_RESP_OK) {
            break;
        }
        freeReplyObject(reply);
    }
    UNIT_OK(rc == WA_RESP_TOO_LARGE && i == 6, "resp: not a stream: the "
            "bound is on all bytes fed (%d replies of 10 read)", i);
    wa_resp_free(r);

    /* depth */

    buf = malloc(4096);
    if (buf == NULL) {
        return;
    }

    for (n = 1; n <= 8; n++) {
        p = buf;
        for (k = 0; k < n; k++) {
            p += sprintf(p, "*1\r\n");
        }
        p += sprintf(p, ":1\r\n");

        rc = resp_one(buf, p - buf, 0, 0, &reply, &why);

        if (n <= WA_RESP_MAX_DEPTH) {
            UNIT_OK(rc == WA_RESP_OK, "resp: arrays %zu deep", n);
            freeReplyObject(reply);

        } else {
            UNIT_OK(rc == WA_RESP_TOO_LARGE, "resp: arrays %zu deep: %s", n,
                    why);
        }
    }

    p = buf;
    for (k = 0; k < 3; k++) {
        p += sprintf(p, "*1\r\n");
    }
    p += sprintf(p, ":1\r\n");
    rc = resp_one(buf, p - buf, 0, 2, &reply, &why);
    UNIT_OK(rc == WA_RESP_TOO_LARGE, "resp: max_depth 2 refuses 3");

    /* a deep reply fed byte by byte fails at its fifth header */

    p = buf;
    for (k = 0; k < 1000; k++) {
        p += sprintf(p, "*1\r\n");
    }

    r = wa_resp_new(0, 0);
    rc = WA_RESP_OK;
    for (k = 0; k < (size_t) (p - buf); k++) {
        rc = wa_resp_feed(r, buf + k, 1);
        if (rc == WA_RESP_OK) {
            rc = wa_resp_reply(r, &reply);
        }
        if (rc != WA_RESP_AGAIN) {
            break;
        }
    }
    UNIT_OK(rc == WA_RESP_TOO_LARGE && k == 4 * (WA_RESP_MAX_DEPTH + 1) - 1,
            "resp: 1000 nested headers byte by byte: refused at byte %zu",
            k + 1);
    wa_resp_free(r);

    free(buf);
}


/* -- the commit script's reply ------------------------------------------ */

static int
commit_try_hinted(const char *resp, int hinted, wa_commit_t *c,
    wa_err_t *err, redisReply **reply)
{
    const char  *why, *d;

    if (resp_one(resp, strlen(resp), 0, 0, reply, &why) != WA_RESP_OK) {
        return -1;
    }

    *err = wa_commit_reply(c, *reply, hinted, &d);

    return 0;
}


static int
commit_try(const char *resp, wa_commit_t *c, wa_err_t *err,
    redisReply **reply)
{
    return commit_try_hinted(resp, 0, c, err, reply);
}


static void
commit_is(const char *resp, wa_err_t want, int outcome, const char *what)
{
    wa_err_t      err;
    wa_commit_t   c;
    redisReply   *reply;

    if (commit_try(resp, &c, &err, &reply) != 0) {
        UNIT_OK(0, "commit: %s: not RESP", what);
        return;
    }

    UNIT_OK(err == want && c.outcome == outcome,
            "commit: %s: %s, outcome %d", what, wa_err_code(err), c.outcome);

    freeReplyObject(reply);
}


static void
test_commit(void)
{
    wa_err_t      err;
    const char   *d;
    wa_commit_t   c;
    redisReply   *reply;

    if (commit_try("*4\r\n$2\r\nok\r\n$5\r\nalice\r\n$14\r\nadmin ops:read"
                   "\r\n$36\r\n0123abcd-0000-4000-8000-00000000beef\r\n",
                   &c, &err, &reply)
        == 0)
    {
        UNIT_OK(err == WA_OK && c.outcome == WA_COMMIT_OK
                && c.user_name_len == 5 && memcmp(c.user_name, "alice", 5) == 0
                && c.roles_len == 14
                && memcmp(c.roles, "admin ops:read", 14) == 0
                && c.aaguid_len == 36, "commit: ok, its three fields");
        freeReplyObject(reply);
    }

    if (commit_try("*3\r\n$2\r\nok\r\n$-1\r\n$0\r\n\r\n", &c, &err, &reply)
        == 0)
    {
        UNIT_OK(err == WA_OK && c.outcome == WA_COMMIT_OK
                && c.user_name_len == 0 && c.user_name != NULL
                && c.roles_len == 0 && c.aaguid_len == 0,
                "commit: ok without aaguid, a nil user name");
        freeReplyObject(reply);
    }

    if (commit_try("*2\r\n$10\r\nbad_record\r\n$10\r\nsign_count\r\n", &c,
                   &err, &reply)
        == 0)
    {
        UNIT_OK(err == WA_OK && c.outcome == WA_COMMIT_BAD_RECORD
                && c.field_len == 10 && memcmp(c.field, "sign_count", 10) == 0,
                "commit: bad_record, sign_count");
        freeReplyObject(reply);
    }

    commit_is("*1\r\n$7\r\nunknown\r\n", WA_OK, WA_COMMIT_UNKNOWN, "unknown");
    commit_is("*1\r\n$7\r\nrevoked\r\n", WA_OK, WA_COMMIT_REVOKED, "revoked");
    commit_is("*1\r\n$5\r\nstale\r\n", WA_OK, WA_COMMIT_STALE, "stale");
    commit_is("*1\r\n$5\r\nreset\r\n", WA_OK, WA_COMMIT_RESET, "reset");
    commit_is("*1\r\n$8\r\nreplayed\r\n", WA_OK, WA_COMMIT_REPLAYED,
              "replayed");
    commit_is("*1\r\n$9\r\nregressed\r\n", WA_OK, WA_COMMIT_REGRESSED,
              "regressed");

    /* the record rules, on an ok reply */

    commit_is("*3\r\n$2\r\nok\r\n$6\r\nal\r\nce\r\n$0\r\n\r\n",
              WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_BAD_RECORD,
              "ok, a user name with CR LF");
    commit_is("*3\r\n$2\r\nok\r\n$3\r\nbob\r\n$6\r\nadmin \r\n",
              WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_BAD_RECORD,
              "ok, roles with a trailing space");
    commit_is("*4\r\n$2\r\nok\r\n$3\r\nbob\r\n$0\r\n\r\n$4\r\nuuid\r\n",
              WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_BAD_RECORD,
              "ok, an aaguid that is not a UUID");

    /* not the script's */

    commit_is("-ERR something\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "an error reply");
    commit_is(":1\r\n", WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "an integer");
    commit_is("$2\r\nok\r\n", WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "a string, not an array");
    commit_is("*0\r\n", WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "an empty array");
    commit_is("*-1\r\n", WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "a nil array");
    commit_is("*1\r\n:1\r\n", WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "an integer first");
    commit_is("*1\r\n+ok\r\n", WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "a status first");
    commit_is("*1\r\n$2\r\nOK\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "OK in capitals");
    commit_is("*1\r\n$3\r\nok \r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "ok and a space");
    commit_is("*1\r\n$8\r\naccepted\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "an unknown word");
    commit_is("*1\r\n$2\r\nok\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "ok alone, not hinted");
    commit_is("*2\r\n$2\r\nok\r\n$3\r\nbob\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "ok without roles");
    commit_is("*5\r\n$2\r\nok\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n",
              WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "ok and four fields");
    commit_is("*3\r\n$2\r\nok\r\n:5\r\n$0\r\n\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "ok, an integer user name");
    commit_is("*3\r\n$2\r\nok\r\n$3\r\nbob\r\n*1\r\n$1\r\na\r\n",
              WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "ok, roles an array");
    commit_is("*2\r\n$7\r\nunknown\r\n$1\r\nx\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "unknown and more");
    commit_is("*1\r\n$10\r\nbad_record\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "bad_record without a field");
    commit_is("*2\r\n$10\r\nbad_record\r\n$0\r\n\r\n",
              WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "bad_record, an empty field");
    commit_is("*2\r\n$10\r\nbad_record\r\n$9\r\nsign\r\ncou\r\n",
              WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "bad_record, a field with CR LF (a log line forged)");
    commit_is("*2\r\n$10\r\nbad_record\r\n$33\r\n"
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
              WA_ERR_STORE_UNAVAILABLE, WA_COMMIT_INVALID,
              "bad_record, a field of 33 bytes");
    commit_is("*2\r\n$10\r\nbad_record\r\n$-1\r\n", WA_ERR_STORE_UNAVAILABLE,
              WA_COMMIT_INVALID, "bad_record, a nil field");

    err = wa_commit_reply(&c, NULL, 0, &d);
    UNIT_OK(err == WA_ERR_STORE_UNAVAILABLE && c.outcome == WA_COMMIT_INVALID,
            "commit: no reply at all");

    /* a commit sent with the worker's fields (hinted) */

    if (commit_try_hinted("*1\r\n$2\r\nok\r\n", 1, &c, &err, &reply) == 0)
    {
        UNIT_OK(err == WA_OK && c.outcome == WA_COMMIT_OK && c.hinted
                && c.user_name_len == 0 && c.roles_len == 0
                && c.aaguid_len == 0,
                "commit: hinted, ok alone: the fields as hinted");
        freeReplyObject(reply);
    }

    if (commit_try_hinted("*4\r\n$2\r\nok\r\n$3\r\nbob\r\n$5\r\nadmin"
                          "\r\n$-1\r\n", 1, &c, &err, &reply)
        == 0)
    {
        UNIT_OK(err == WA_OK && c.outcome == WA_COMMIT_OK && !c.hinted
                && c.user_name_len == 3 && memcmp(c.user_name, "bob", 3) == 0
                && c.roles_len == 5,
                "commit: hinted, ok and the record's fields: those read");
        freeReplyObject(reply);
    }

    if (commit_try_hinted("*3\r\n$2\r\nok\r\n$6\r\nal\r\nce\r\n$0\r\n"
                          "\r\n", 1, &c, &err, &reply)
        == 0)
    {
        UNIT_OK(err == WA_ERR_STORE_UNAVAILABLE
                && c.outcome == WA_COMMIT_BAD_RECORD,
                "commit: hinted, fields read are checked all the same");
        freeReplyObject(reply);
    }

    if (commit_try_hinted("*2\r\n$2\r\nok\r\n$3\r\nbob\r\n", 1, &c, &err,
                          &reply)
        == 0)
    {
        UNIT_OK(err == WA_ERR_STORE_UNAVAILABLE
                && c.outcome == WA_COMMIT_INVALID,
                "commit: hinted, ok and one field is not a reply");
        freeReplyObject(reply);
    }

    if (commit_try_hinted("*1\r\n$7\r\nrevoked\r\n", 1, &c, &err, &reply)
        == 0)
    {
        UNIT_OK(err == WA_OK && c.outcome == WA_COMMIT_REVOKED && !c.hinted,
                "commit: hinted, revoked as without");
        freeReplyObject(reply);
    }
}


int
main(void)
{
    /* before anything of libxml2 or jansson allocates */

    wa_xml_release = test_xml_release;

    if (wa_xml_memory_init() != 0) {
        printf("wa_xml_memory_init() failed\n");
        return 1;
    }

    wa_json_release = test_json_release;
    wa_json_memory_init();

    xmlInitParser();

    test_json();
    test_time();
    test_sts();
    test_secret_wiped();
    test_json_arena();
    test_xml_wiped();
    test_resp();
    test_commit();

    UNIT_OK(json_blocks > 0, "jansson freed through the core's functions "
            "(%d blocks)", json_blocks);

    xmlCleanupParser();
    wa_core_cleanup();

    UNIT_OK(xml_blocks > 0 && xml_dirty == 0,
            "xml wipe: of the %d blocks libxml2 freed or moved in all these "
            "tests (the control's apart), none held a byte not zero",
            xml_blocks);

    return UNIT_DONE();
}
