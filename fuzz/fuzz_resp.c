
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of RESP replies (wa_resp.c) and the commit script's
 * reply (wa_commit.c).  The first byte chooses how the rest is cut into
 * the reads a connection would make (1 to 16 bytes each, or whole); the
 * rest is what Redis sent.  The bytes are read whole by one reader and
 * cut by another: both must give the same replies (or both fail), no
 * reply may nest deeper than the bound nor hold an array longer than it,
 * and a third reader with small bounds (256 bytes, depth 2) must keep
 * them.  A fourth reader, a stream (a pipelined connection: 256 bytes
 * per reply, not in all), cut the same way, must give the whole reader's
 * replies, within its bound, and at least as many as a reader bounded to
 * 256 bytes in all.  Every reply is also read as the commit script's: an
 * outcome the store acts on must obey its rules.
 */


#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "wa_core.h"


#define FUZZ_REPLIES_MAX  64


static int fuzz_read(wa_resp_t *r, const unsigned char *p, size_t n,
    size_t chunk, redisReply **replies, size_t *nreplies);
static int fuzz_same(const redisReply *a, const redisReply *b);
static void fuzz_bounds(const redisReply *reply, int depth, int max_depth,
    size_t max_elements);
static void fuzz_commit(const redisReply *reply, int hinted);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


/* all replies of the bytes fed in chunks of chunk (0: whole) */

static int
fuzz_read(wa_resp_t *r, const unsigned char *p, size_t n, size_t chunk,
    redisReply **replies, size_t *nreplies)
{
    int     rc;
    size_t  off, k;

    *nreplies = 0;
    off = 0;
    rc = WA_RESP_AGAIN;

    do {
        k = (chunk == 0 || n - off < chunk) ? n - off : chunk;

        rc = wa_resp_feed(r, p + off, k);
        off += k;

        while (rc == WA_RESP_OK && *nreplies < FUZZ_REPLIES_MAX) {
            rc = wa_resp_reply(r, &replies[*nreplies]);

            if (rc == WA_RESP_OK) {
                (*nreplies)++;
            }
        }

        if (rc == WA_RESP_AGAIN) {
            rc = WA_RESP_OK;
        }

    } while (rc == WA_RESP_OK && off < n && *nreplies < FUZZ_REPLIES_MAX);

    return rc;
}


static int
fuzz_same(const redisReply *a, const redisReply *b)
{
    size_t  i;

    if (a->type != b->type || a->len != b->len || a->integer != b->integer
        || a->elements != b->elements)
    {
        return 0;
    }

    if ((a->str == NULL) != (b->str == NULL)
        || (a->str != NULL && memcmp(a->str, b->str, a->len) != 0))
    {
        return 0;
    }

    for (i = 0; i < a->elements; i++) {
        if (!fuzz_same(a->element[i], b->element[i])) {
            return 0;
        }
    }

    return 1;
}


static void
fuzz_bounds(const redisReply *reply, int depth, int max_depth,
    size_t max_elements)
{
    size_t  i;

    if (reply->type != REDIS_REPLY_ARRAY) {
        return;
    }

    if (depth > max_depth || reply->elements > max_elements) {
        abort();
    }

    for (i = 0; i < reply->elements; i++) {
        fuzz_bounds(reply->element[i], depth + 1, max_depth, max_elements);
    }
}


static void
fuzz_commit(const redisReply *reply, int hinted)
{
    size_t        i;
    wa_err_t      err;
    wa_commit_t   c;
    const char   *detail;

    /* hinted or not: by the input's length (odd: hinted) */

    detail = NULL;
    err = wa_commit_reply(&c, reply, hinted, &detail);

    if (err != WA_OK) {
        if (err != WA_ERR_STORE_UNAVAILABLE || detail == NULL
            || (c.outcome != WA_COMMIT_INVALID
                && c.outcome != WA_COMMIT_BAD_RECORD))
        {
            abort();
        }

        return;
    }

    switch (c.outcome) {

    case WA_COMMIT_OK:
        if (c.hinted
            && (!hinted || reply->elements != 1 || c.user_name_len
                || c.roles_len || c.aaguid_len))
        {
            abort();
        }

        if (!wa_record_user_name_ok((const unsigned char *) c.user_name,
                                    c.user_name_len)
            || !wa_record_roles_ok((const unsigned char *) c.roles,
                                   c.roles_len)
            || !wa_record_aaguid_ok((const unsigned char *) c.aaguid,
                                    c.aaguid_len))
        {
            abort();
        }

        break;

    case WA_COMMIT_BAD_RECORD:
        if (c.field_len == 0 || c.field_len > WA_COMMIT_FIELD_MAX) {
            abort();
        }

        for (i = 0; i < c.field_len; i++) {
            if (c.field[i] != '_' && (c.field[i] < 'a' || c.field[i] > 'z')) {
                abort();
            }
        }

        break;

    case WA_COMMIT_UNKNOWN:
    case WA_COMMIT_REVOKED:
    case WA_COMMIT_STALE:
    case WA_COMMIT_RESET:
    case WA_COMMIT_REPLAYED:
    case WA_COMMIT_REGRESSED:
        break;

    default:
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int          rc1, rc2, rc3;
    size_t       chunk, n1, n2, n3, n4, n5, i;
    wa_resp_t   *whole, *cut, *small, *stream, *all;
    redisReply  *r1[FUZZ_REPLIES_MAX], *r2[FUZZ_REPLIES_MAX];
    redisReply  *r3[FUZZ_REPLIES_MAX], *r4[FUZZ_REPLIES_MAX];
    redisReply  *r5[FUZZ_REPLIES_MAX];

    if (size == 0) {
        return 0;
    }

    chunk = data[0] & 0x10 ? 0 : (size_t) (data[0] & 0x0f) + 1;
    data++;
    size--;

    whole = wa_resp_new(0, 0);
    cut = wa_resp_new(0, 0);
    small = wa_resp_new(256, 2);
    stream = wa_resp_new(256, 0);
    all = wa_resp_new(256, 0);

    if (whole == NULL || cut == NULL || small == NULL || stream == NULL
        || all == NULL)
    {
        abort();
    }

    wa_resp_stream(stream);

    rc1 = fuzz_read(whole, data, size, 0, r1, &n1);
    rc2 = fuzz_read(cut, data, size, chunk, r2, &n2);
    rc3 = fuzz_read(small, data, size, chunk, r3, &n3);
    (void) fuzz_read(stream, data, size, chunk, r4, &n4);
    (void) fuzz_read(all, data, size, chunk, r5, &n5);

    /* a stream's bound is per reply: never fewer replies than in all */

    if (n4 < n5 && n4 < FUZZ_REPLIES_MAX) {
        abort();
    }

    for (i = 0; i < n4; i++) {
        if (i < n1 && !fuzz_same(r1[i], r4[i])) {
            abort();
        }

        fuzz_bounds(r4[i], 1, WA_RESP_MAX_DEPTH, 256 / 3);
        freeReplyObject(r4[i]);
    }

    for (i = 0; i < n5; i++) {
        freeReplyObject(r5[i]);
    }

    /* the same replies however the bytes arrive */

    if (n1 < FUZZ_REPLIES_MAX && n2 < FUZZ_REPLIES_MAX
        && size <= WA_RESP_MAX_BYTES)
    {
        if (n1 != n2 || (rc1 == WA_RESP_OK) != (rc2 == WA_RESP_OK)) {
            abort();
        }
    }

    for (i = 0; i < n1 && i < n2; i++) {
        if (!fuzz_same(r1[i], r2[i])) {
            abort();
        }
    }

    for (i = 0; i < n1; i++) {
        fuzz_bounds(r1[i], 1, WA_RESP_MAX_DEPTH, WA_RESP_MAX_BYTES / 3);
        fuzz_commit(r1[i], size & 1);
        freeReplyObject(r1[i]);
    }

    for (i = 0; i < n2; i++) {
        freeReplyObject(r2[i]);
    }

    for (i = 0; i < n3; i++) {
        fuzz_bounds(r3[i], 1, 2, 256 / 3);
        freeReplyObject(r3[i]);
    }

    (void) rc3;

    /* a reset reader has nothing pending */

    if (wa_resp_reset(whole) != 0 || wa_resp_pending(whole)) {
        abort();
    }

    wa_resp_free(whole);
    wa_resp_free(cut);
    wa_resp_free(small);
    wa_resp_free(stream);
    wa_resp_free(all);

    return 0;
}
