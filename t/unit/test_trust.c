
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * unit tests of the trust anchors, the trust path check and the MDS3
 * BLOB (wa_trust.c, wa_mds.c) against the fixtures t/unit/mktrust.py
 * writes: test_trust DIR
 */


#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>

#include "wa_internal.h"
#include "unit.h"


static const char  *dir;
static json_t      *meta;
static int          queue_dirty;


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


static unsigned char *
read_file(const char *name, size_t *len)
{
    long            n;
    FILE           *f;
    char            path[1024];
    unsigned char  *buf;

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    f = fopen(path, "rb");
    if (f == NULL) {
        printf("# cannot open %s\n", path);
        exit(2);
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = malloc((size_t) n + 1);
    if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
        printf("# cannot read %s\n", path);
        exit(2);
    }

    fclose(f);

    buf[n] = '\0';
    *len = (size_t) n;

    return buf;
}


static json_t *
read_json(const char *name)
{
    size_t          len;
    json_t         *j;
    unsigned char  *buf;

    buf = read_file(name, &len);
    j = json_loadb((const char *) buf, len, 0, NULL);
    free(buf);

    if (j == NULL) {
        printf("# %s is not JSON\n", name);
        exit(2);
    }

    return j;
}


/* an x5c: the certificates of a PEM file, in order */

static STACK_OF(X509) *
read_chain(const char *name)
{
    BIO             *bio;
    X509            *cert;
    size_t           len;
    unsigned char   *pem;
    STACK_OF(X509)  *sk;

    pem = read_file(name, &len);
    bio = BIO_new_mem_buf(pem, (int) len);
    sk = sk_X509_new_null();

    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        sk_X509_push(sk, cert);
    }

    ERR_clear_error();
    BIO_free(bio);
    free(pem);

    return sk;
}


static wa_err_t
add_pem(wa_trust_t *t, const char *name, const char **detail)
{
    size_t          len;
    wa_err_t        rc;
    unsigned char  *pem;

    pem = read_file(name, &len);
    rc = wa_trust_add_pem(t, pem, len, detail);
    free(pem);

    return rc;
}


static wa_err_t
add_mds(wa_trust_t *t, const char *blob_name, const char *root_name,
    int64_t now_s, const char **detail)
{
    size_t          len, root_len;
    wa_err_t        rc;
    unsigned char  *blob, *root;

    blob = read_file(blob_name, &len);
    root = read_file(root_name, &root_len);
    rc = wa_trust_add_mds(t, blob, len, root, root_len, now_s, detail);
    free(root);
    free(blob);

    return rc;
}


static int64_t
meta_int(const char *key)
{
    return (int64_t) json_integer_value(json_object_get(meta, key));
}


static int64_t
clock_of(const char *which)
{
    return meta_int(which);
}


/* n bytes of hex digits, dashes skipped (AAGUIDs, key identifiers) */

static void
hexn(unsigned char *out, const char *s, size_t n)
{
    size_t        i;
    unsigned int  k;

    for (i = 0; i < n; s++) {
        if (*s == '-') {
            continue;
        }

        if (sscanf(s, "%2x", &k) != 1) {
            printf("# bad hex in fixtures\n");
            exit(2);
        }

        out[i++] = (unsigned char) k;
        s++;
    }
}


static void
hex16(unsigned char *out, const char *s)
{
    hexn(out, s, 16);
}


static void
aaguid_of(unsigned char *out, const char *which)
{
    json_t  *a;

    a = json_object_get(json_object_get(meta, "aaguids"), which);
    if (!json_is_string(a)) {
        printf("# no AAGUID \"%s\" in meta.json\n", which);
        exit(2);
    }

    hex16(out, json_string_value(a));
}


static int
detail_is(wa_err_t rc, const char *detail, const char *expect)
{
    if (strcmp(expect, "ok") == 0) {
        return rc == WA_OK;
    }

    if (detail == NULL || strcmp(detail, expect) != 0) {
        printf("# detail \"%s\", expected \"%s\"\n",
               detail != NULL ? detail : "(null)", expect);
        return 0;
    }

    return 1;
}


static wa_err_t
check(const wa_trust_t *t, STACK_OF(X509) *x5c, int type,
    const unsigned char *aaguid, const wa_reg_policy_t *policy,
    const char **detail)
{
    wa_err_t      rc;
    wa_att_out_t  out;

    out.type = type;
    out.x5c = x5c;

    *detail = NULL;
    rc = wa_trust_check(t, &out, aaguid, policy, detail);
    queue_check(rc);

    return rc;
}


static void
policy_init(wa_reg_policy_t *p, int64_t now_s)
{
    memset(p, 0, sizeof(wa_reg_policy_t));

    p->attestation = WA_ATTESTATION_TRUSTED;
    p->now_s = now_s;
}


/* the PEM bundle --------------------------------------------------------- */


static void
test_pem(void)
{
    size_t           n1, n2;
    wa_err_t         rc;
    wa_trust_t      *t;
    const char      *detail;
    unsigned char   *a, *b, *both;

    t = wa_trust_new();
    UNIT_OK(t != NULL, "wa_trust_new()");
    UNIT_OK(wa_trust_count(t) == 0, "a new wa_trust_t holds nothing");

    rc = add_pem(t, "bundle.pem", &detail);
    UNIT_ERR(rc, WA_OK, "a bundle of two certificates, text between, loads");
    UNIT_OK(wa_trust_count(t) == 2, "the bundle gives two anchors");

    detail = NULL;
    rc = add_pem(t, "empty.pem", &detail);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "a file without PEM blocks is refused");
    UNIT_OK(detail != NULL && strcmp(detail, "no certificate in the bundle")
            == 0, "... as \"no certificate in the bundle\"");
    ERR_clear_error();

    detail = NULL;
    rc = add_pem(t, "bad.pem", &detail);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "a damaged PEM block is refused");
    UNIT_OK(detail != NULL && strcmp(detail, "bad PEM") == 0,
            "... as \"bad PEM\"");
    ERR_clear_error();

    /* a good certificate, then a damaged one: nothing is added */

    a = read_file("ca_int.pem", &n1);
    b = read_file("bad.pem", &n2);
    both = malloc(n1 + n2);
    memcpy(both, a, n1);
    memcpy(both + n1, b, n2);

    rc = wa_trust_add_pem(t, both, n1 + n2, &detail);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "a good then a damaged block is refused");
    UNIT_OK(wa_trust_count(t) == 2, "... and adds nothing (all or nothing)");
    ERR_clear_error();

    rc = wa_trust_add_pem(t, a, n1, &detail);
    UNIT_ERR(rc, WA_OK, "a bundle without a final NUL loads");
    UNIT_OK(wa_trust_count(t) == 3, "a second bundle adds to the first");

    rc = wa_trust_add_pem(t, a, 0, &detail);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "an empty bundle is refused");
    ERR_clear_error();

    free(both);
    free(b);
    free(a);
    wa_trust_free(t);

    wa_trust_free(NULL);
    UNIT_OK(1, "wa_trust_free(NULL)");
    wa_mds_free(NULL);
    UNIT_OK(1, "wa_mds_free(NULL)");
    UNIT_OK(wa_trust_count(NULL) == 0, "wa_trust_count(NULL) is 0");
}


/* chains against PEM anchors: cases.json --------------------------------- */


static void
test_chains(void)
{
    size_t            i, k;
    json_t           *cases, *c, *anchors;
    wa_err_t          rc, want;
    wa_trust_t       *t;
    const char       *detail, *expect, *name;
    unsigned char     aaguid[16];
    wa_reg_policy_t   policy;
    STACK_OF(X509)   *x5c;

    cases = read_json("cases.json");
    aaguid_of(aaguid, "good");

    json_array_foreach(cases, i, c) {
        name = json_string_value(json_object_get(c, "name"));
        expect = json_string_value(json_object_get(c, "expect"));
        anchors = json_object_get(c, "anchors");

        t = wa_trust_new();

        for (k = 0; k < json_array_size(anchors); k++) {
            rc = add_pem(t, json_string_value(json_array_get(anchors, k)),
                         &detail);
            if (rc != WA_OK) {
                printf("# anchors of \"%s\" do not load: %s\n", name, detail);
                exit(2);
            }
        }

        x5c = read_chain(json_string_value(json_object_get(c, "chain")));
        policy_init(&policy, clock_of(json_string_value(
                                          json_object_get(c, "now"))));

        want = strcmp(expect, "ok") == 0 ? WA_OK
                                         : WA_ERR_ATTESTATION_UNTRUSTED;

        rc = check(t, x5c, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
        UNIT_ERR(rc, want, "%s", name);
        UNIT_OK(detail_is(rc, detail, expect), "%s: \"%s\"", name, expect);

        sk_X509_pop_free(x5c, X509_free);
        wa_trust_free(t);
    }

    json_decref(cases);
}


/* attestation types, WebAuthn L3, 6.5.3 --------------------------------- */


static void
test_types(void)
{
    wa_err_t          rc;
    wa_trust_t       *t;
    const char       *detail;
    unsigned char     aaguid[16];
    wa_reg_policy_t   policy;
    STACK_OF(X509)   *x5c, *empty;

    t = wa_trust_new();
    add_pem(t, "ca_root.pem", &detail);
    x5c = read_chain("chain_ok.pem");
    empty = sk_X509_new_null();
    aaguid_of(aaguid, "good");
    policy_init(&policy, clock_of("now"));

    rc = check(t, x5c, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_OK, "the chain passes as x5c attestation (control)");

    rc = check(t, x5c, WA_ATT_TYPE_SELF, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_ERR_ATTESTATION_UNTRUSTED,
             "self attestation is untrusted, even beside a good chain");
    UNIT_OK(detail_is(rc, detail, "self attestation is never trusted"),
            "... as \"self attestation is never trusted\"");

    rc = check(t, NULL, WA_ATT_TYPE_NONE, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_ERR_ATTESTATION_UNTRUSTED, "none attestation is "
             "untrusted");
    UNIT_OK(detail_is(rc, detail, "no attestation to trust"),
            "... as \"no attestation to trust\"");

    rc = check(t, x5c, WA_ATT_TYPE_NONE, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_ERR_ATTESTATION_UNTRUSTED, "none attestation is "
             "untrusted, even with an x5c");

    rc = check(t, NULL, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_ERR_ATTESTATION_UNTRUSTED, "x5c type without x5c");
    UNIT_OK(detail_is(rc, detail, "no attestation to trust"),
            "... as \"no attestation to trust\"");

    rc = check(t, empty, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_ERR_ATTESTATION_UNTRUSTED, "x5c type with an empty x5c");

    sk_X509_free(empty);
    sk_X509_pop_free(x5c, X509_free);
    wa_trust_free(t);
}


/* the AAGUID allow-list -------------------------------------------------- */


static void
test_allow(void)
{
    wa_err_t          rc;
    wa_trust_t       *t;
    const char       *detail;
    unsigned char     aaguid[16], allow[32];
    wa_reg_policy_t   policy;
    STACK_OF(X509)   *x5c;

    t = wa_trust_new();
    add_pem(t, "ca_root.pem", &detail);
    x5c = read_chain("chain_ok.pem");
    aaguid_of(aaguid, "good");
    aaguid_of(&allow[0], "unknown");
    aaguid_of(&allow[16], "good");
    policy_init(&policy, clock_of("now"));

    rc = check(t, x5c, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_OK, "no allow-list: any AAGUID (control)");

    policy.aaguid_allow = allow;
    policy.naaguid_allow = 1;

    rc = check(t, x5c, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_ERR_ATTESTATION_UNTRUSTED,
             "an AAGUID not in the allow-list is refused");
    UNIT_OK(detail_is(rc, detail, "AAGUID is not in webauthn_aaguid_allow"),
            "... as \"AAGUID is not in webauthn_aaguid_allow\"");

    policy.naaguid_allow = 2;

    rc = check(t, x5c, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_OK, "an AAGUID second in the allow-list passes");

    policy.naaguid_allow = 0;

    rc = check(t, x5c, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
    UNIT_ERR(rc, WA_ERR_ATTESTATION_UNTRUSTED,
             "an empty (not NULL) allow-list allows nothing");

    sk_X509_pop_free(x5c, X509_free);
    wa_trust_free(t);
}


/* loading BLOBs: blobs.json ---------------------------------------------- */


static void
test_blobs(void)
{
    size_t       i;
    json_t      *blobs, *c;
    wa_err_t     rc, want;
    wa_trust_t  *t;
    const char  *detail, *expect, *name;

    blobs = read_json("blobs.json");

    json_array_foreach(blobs, i, c) {
        name = json_string_value(json_object_get(c, "name"));
        expect = json_string_value(json_object_get(c, "expect"));

        t = wa_trust_new();
        detail = NULL;

        rc = add_mds(t, json_string_value(json_object_get(c, "blob")),
                     json_string_value(json_object_get(c, "root")),
                     clock_of(json_string_value(json_object_get(c, "now"))),
                     &detail);
        ERR_clear_error();

        want = strcmp(expect, "ok") == 0 ? WA_OK : WA_ERR_INTERNAL;

        UNIT_ERR(rc, want, "%s", name);
        UNIT_OK(detail_is(rc, detail, expect), "%s: \"%s\"", name, expect);

        if (rc == WA_OK) {
            UNIT_OK(wa_trust_count(t) == 2, "%s: the BLOB and its signer "
                    "are listed", name);

        } else {
            UNIT_OK(wa_trust_count(t) == 0, "%s: nothing is listed", name);
        }

        wa_trust_free(t);
    }

    json_decref(blobs);

    t = wa_trust_new();
    rc = add_mds(t, "blob_es256.jwt", "mds_root.pem", clock_of("now"),
                 &detail);
    UNIT_ERR(rc, WA_OK, "a BLOB loads");
    rc = add_mds(t, "blob_rs256.jwt", "mds_root.pem", clock_of("now"),
                 &detail);
    UNIT_ERR(rc, WA_ERR_INTERNAL, "a second BLOB is refused");
    UNIT_OK(detail_is(rc, detail, "an MDS BLOB is already loaded"),
            "... as \"an MDS BLOB is already loaded\"");
    ERR_clear_error();
    wa_trust_free(t);
}


/* the entries of a BLOB -------------------------------------------------- */


static const char *
subject_of(X509 *cert, char *buf, size_t size)
{
    int   n;
    BIO  *bio;

    bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    n = BIO_read(bio, buf, (int) size - 1);
    buf[n > 0 ? n : 0] = '\0';
    BIO_free(bio);

    return buf;
}


static const char *
meta_str(const char *key)
{
    return json_string_value(json_object_get(meta, key));
}


static void
test_mds_find(void)
{
    int              i;
    char             buf[256];
    void            *roots;
    size_t           len, root_len, entries;
    int64_t          no, next;
    wa_err_t         rc;
    wa_mds_t        *mds;
    const char      *refused, *detail, *skipped[3];
    unsigned char    aaguid[16], key_id[20], *blob, *root;
    STACK_OF(X509)  *sk;

    blob = read_file("blob_es256.jwt", &len);
    root = read_file("mds_root.pem", &root_len);

    rc = wa_mds_load(&mds, blob, len, root, root_len, clock_of("now"),
                     &detail);
    UNIT_ERR(rc, WA_OK, "wa_mds_load() of the ES256 BLOB");
    queue_check(rc);

    if (rc != WA_OK) {
        free(root);
        free(blob);
        return;
    }

    wa_mds_info(mds, &no, &next, &entries);
    UNIT_OK(no == 42, "the BLOB's \"no\" is 42");
    UNIT_OK(next == json_integer_value(json_object_get(
                        json_object_get(meta, "blob"), "not_after")),
            "the BLOB's \"nextUpdate\" 2025-07-01 in seconds");
    UNIT_OK(entries == 9, "9 usable entries, 7 unusable ones skipped");

    UNIT_OK(strcmp(subject_of(wa_mds_signer(mds), buf, sizeof(buf)),
                   json_string_value(json_object_get(
                       json_object_get(meta, "signer"), "subject")))
            == 0, "the signer is x5c[0]");

    aaguid_of(aaguid, "good");
    roots = NULL;
    refused = "x";
    UNIT_OK(wa_mds_find(mds, aaguid, NULL, &roots, &refused) == 1,
            "the entry of an AAGUID is found");
    sk = roots;
    UNIT_OK(sk != NULL && sk_X509_num(sk) == 1,
            "... with its one attestation root");
    UNIT_OK(sk != NULL && sk_X509_num(sk) == 1
            && strcmp(subject_of(sk_X509_value(sk, 0), buf, sizeof(buf)),
                      meta_str("vendor_root_subject")) == 0,
            "... the vendor's root: %s", buf);
    UNIT_OK(refused == NULL, "... and no refusing status");

    aaguid_of(aaguid, "revoked");
    UNIT_OK(wa_mds_find(mds, aaguid, NULL, &roots, &refused) == 1
            && refused != NULL && strcmp(refused, "REVOKED") == 0,
            "a REVOKED entry is found refused, \"REVOKED\"");

    aaguid_of(aaguid, "unordered");
    refused = NULL;
    UNIT_OK(wa_mds_find(mds, aaguid, NULL, &roots, &refused) == 1,
            "an upper case AAGUID in the BLOB is found");
    UNIT_OK(refused != NULL && strcmp(refused, "REVOKED") == 0,
            "... refused by its latest report, listed first");

    aaguid_of(aaguid, "fixed");
    UNIT_OK(wa_mds_find(mds, aaguid, NULL, &roots, &refused) == 1
            && refused == NULL,
            "a bypass followed by UPDATE_AVAILABLE does not refuse");

    aaguid_of(aaguid, "unknown");
    UNIT_OK(wa_mds_find(mds, aaguid, NULL, &roots, &refused) == 0,
            "an AAGUID without entry is not found");

    skipped[0] = "badroot";
    skipped[1] = "nostatus";
    skipped[2] = "notcert";

    for (i = 0; i < 3; i++) {
        aaguid_of(aaguid, skipped[i]);
        UNIT_OK(wa_mds_find(mds, aaguid, NULL, &roots, &refused) == 0,
                "the unusable entry \"%s\" was skipped", skipped[i]);
    }

    hexn(key_id, meta_str("u2f_key_id"), sizeof(key_id));
    roots = NULL;
    UNIT_OK(wa_mds_find(mds, NULL, key_id, &roots, &refused) == 1,
            "a U2F entry is found by attestation certificate key id");
    sk = roots;
    UNIT_OK(sk != NULL && sk_X509_num(sk) == 1
            && strcmp(subject_of(sk_X509_value(sk, 0), buf, sizeof(buf)),
                      meta_str("u2f_root_subject")) == 0,
            "... with its root: %s", buf);

    key_id[0] ^= 1;
    UNIT_OK(wa_mds_find(mds, NULL, key_id, &roots, &refused) == 0,
            "another key identifier is not found");

    memset(key_id, 0, sizeof(key_id));
    UNIT_OK(wa_mds_find(mds, NULL, key_id, &roots, &refused) == 1,
            "an entry's second key identifier is found too");

    memset(aaguid, 0, sizeof(aaguid));
    UNIT_OK(wa_mds_find(mds, aaguid, NULL, &roots, &refused) == 0,
            "the zero AAGUID matches no key identifier entry");

    wa_mds_free(mds);
    free(root);
    free(blob);
}


/* trust checks through the BLOB: mds_checks.json ------------------------- */


static void
test_mds_checks(void)
{
    size_t            i, k;
    json_t           *cases, *c, *anchors;
    wa_err_t          rc, want;
    wa_trust_t       *t;
    const char       *detail, *expect, *name;
    unsigned char     aaguid[16];
    wa_reg_policy_t   policy;
    STACK_OF(X509)   *x5c;

    cases = read_json("mds_checks.json");
    policy_init(&policy, clock_of("now"));

    json_array_foreach(cases, i, c) {
        name = json_string_value(json_object_get(c, "name"));
        expect = json_string_value(json_object_get(c, "expect"));
        anchors = json_object_get(c, "anchors");

        t = wa_trust_new();

        for (k = 0; k < json_array_size(anchors); k++) {
            (void) add_pem(t, json_string_value(json_array_get(anchors, k)),
                           &detail);
        }

        rc = add_mds(t, "blob_es256.jwt", "mds_root.pem", clock_of("now"),
                     &detail);
        if (rc != WA_OK) {
            printf("# the BLOB does not load: %s\n", detail);
            exit(2);
        }

        x5c = read_chain(json_string_value(json_object_get(c, "chain")));
        aaguid_of(aaguid, json_string_value(json_object_get(c, "aaguid")));

        want = strcmp(expect, "ok") == 0 ? WA_OK
                                         : WA_ERR_ATTESTATION_UNTRUSTED;

        rc = check(t, x5c, WA_ATT_TYPE_X5C, aaguid, &policy, &detail);
        UNIT_ERR(rc, want, "%s", name);
        UNIT_OK(detail_is(rc, detail, expect), "%s: \"%s\"", name, expect);

        sk_X509_pop_free(x5c, X509_free);
        wa_trust_free(t);
    }

    json_decref(cases);
}


/* wa_trust_item() -------------------------------------------------------- */


static int
item_is(const wa_trust_item_t *it, int kind, json_t *want)
{
    const char  *subject;

    subject = json_string_value(json_object_get(want, "subject"));

    if (it->kind != kind || strcmp(it->subject, subject) != 0
        || it->not_after
           != json_integer_value(json_object_get(want, "not_after")))
    {
        printf("# item %d \"%s\" %lld..%lld\n", it->kind, it->subject,
               (long long) it->not_before, (long long) it->not_after);
        return 0;
    }

    if (kind != WA_TRUST_MDS_BLOB
        && it->not_before
           != json_integer_value(json_object_get(want, "not_before")))
    {
        printf("# item not_before %lld\n", (long long) it->not_before);
        return 0;
    }

    return 1;
}


static void
test_items(void)
{
    json_t           *anchors;
    wa_err_t          rc;
    wa_trust_t       *t;
    const char       *detail;
    wa_trust_item_t   it;

    anchors = json_object_get(meta, "anchors");

    t = wa_trust_new();
    add_pem(t, "bundle.pem", &detail);
    rc = add_mds(t, "blob_es256.jwt", "mds_root.pem", clock_of("now"),
                 &detail);
    UNIT_ERR(rc, WA_OK, "a bundle and a BLOB load together");

    UNIT_OK(wa_trust_count(t) == 4, "two anchors, the BLOB, its signer");

    UNIT_OK(wa_trust_item(t, 0, &it) == 0
            && item_is(&it, WA_TRUST_ANCHOR, json_array_get(anchors, 0)),
            "item 0: the root, RFC 2253 subject and dates: \"%s\"",
            it.subject);
    UNIT_OK(wa_trust_item(t, 1, &it) == 0
            && item_is(&it, WA_TRUST_ANCHOR, json_array_get(anchors, 1)),
            "item 1: the intermediate: \"%s\"", it.subject);
    UNIT_OK(wa_trust_item(t, 2, &it) == 0
            && item_is(&it, WA_TRUST_MDS_BLOB,
                       json_object_get(meta, "blob")),
            "item 2: the BLOB, \"%s\", not_after = nextUpdate", it.subject);
    UNIT_OK(it.kind == WA_TRUST_MDS_BLOB
            && (int64_t) it.entries == json_integer_value(json_object_get(
                                json_object_get(meta, "blob"), "entries")),
            "item 2: the BLOB's %zu entries", it.entries);
    UNIT_OK(wa_trust_item(t, 3, &it) == 0
            && item_is(&it, WA_TRUST_MDS_SIGNER,
                       json_object_get(meta, "signer")),
            "item 3: the BLOB's signer: \"%s\"", it.subject);
    UNIT_OK(wa_trust_item(t, 4, &it) == -1, "item 4 does not exist");
    UNIT_OK(wa_trust_item(NULL, 0, &it) == -1, "no items of NULL");

    wa_trust_free(t);
}


/* a BLOB of FIDO's size -------------------------------------------------- */


static void
test_big(void)
{
    size_t            len, root_len, entries;
    int64_t           no, next;
    clock_t           start;
    wa_err_t          rc;
    wa_mds_t         *mds;
    const char       *detail, *refused;
    unsigned char     aaguid[16], *blob, *root;
    void             *roots;

    blob = read_file("blob_big.jwt", &len);
    root = read_file("mds_root.pem", &root_len);

    start = clock();
    rc = wa_mds_load(&mds, blob, len, root, root_len, clock_of("now"),
                     &detail);
    printf("# %zu bytes, loaded in %.2f s of CPU\n", len,
           (double) (clock() - start) / CLOCKS_PER_SEC);

    UNIT_ERR(rc, WA_OK, "a BLOB of %zu bytes loads", len);

    if (rc == WA_OK) {
        wa_mds_info(mds, &no, &next, &entries);
        UNIT_OK(entries == (size_t) meta_int("big_entries"),
                "... all its %zu usable entries", entries);

        hex16(aaguid, meta_str("big_last"));
        UNIT_OK(wa_mds_find(mds, aaguid, NULL, &roots, &refused) == 1,
                "... its last entry is found");
    }

    wa_mds_free(mds);
    free(root);
    free(blob);
}


int
main(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: test_trust DIR (from t/unit/mktrust.py)\n");
        return 2;
    }

    dir = argv[1];
    meta = read_json("meta.json");

    test_pem();
    test_chains();
    test_types();
    test_allow();
    test_blobs();
    test_mds_find();
    test_mds_checks();
    test_items();
    test_big();

    UNIT_OK(queue_dirty == 0, "OpenSSL's error queue is empty after every "
            "return but WA_ERR_INTERNAL");

    json_decref(meta);
    wa_core_cleanup();

    return UNIT_DONE();
}
