
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * CBOR well-formedness (RFC 8949, Appendix C) on libcbor's streaming
 * decoder.  cbor_stream_decode() reads one data item head (with the bytes
 * of a definite string) per call and reports it through a callback; it
 * refuses reserved additional information values, an indefinite length
 * on integers, tags and simple values, and a head or string cut short,
 * and allocates nothing.  What it leaves to its caller is done here with
 * a fixed stack of open containers: exactly one item, nesting at most
 * WA_CBOR_MAX_DEPTH deep, definite containers closing after their count,
 * indefinite ones at a "break" (and a map then with an even item count),
 * indefinite strings made of definite chunks of their own major type.
 * Declared lengths are only counted down, never allocated for.
 *
 * libcbor 0.8 is stricter than RFC 8949 on one point: it refuses the
 * unassigned simple values (0-19, and every two-byte simple value), which
 * no authenticator sends.
 */


#include <string.h>

#include <cbor.h>

#include "wa_internal.h"


#define WA_CBOR_ARRAY   4
#define WA_CBOR_MAP     5
#define WA_CBOR_TAG     6


typedef struct {
    uint64_t   left;            /* definite: items still to come */
    uint64_t   count;           /* indefinite: items seen */
    int        major;           /* 2, 3 (strings), 4, 5 or 6 */
    int        indefinite;
} wa_cbor_open_t;


typedef struct {
    size_t           avail;     /* bytes from the current head on */
    int              depth;     /* open containers */
    int              done;      /* the outermost item is complete */
    int              failed;
    wa_cbor_open_t   open[WA_CBOR_MAX_DEPTH + 1];
} wa_cbor_walk_t;


static int wa_cbor_begin(wa_cbor_walk_t *w);
static void wa_cbor_end(wa_cbor_walk_t *w);
static void wa_cbor_push(wa_cbor_walk_t *w, int major, int indefinite,
    uint64_t left);
static void wa_cbor_scalar(void *ctx);
static void wa_cbor_u8(void *ctx, uint8_t v);
static void wa_cbor_u16(void *ctx, uint16_t v);
static void wa_cbor_u32(void *ctx, uint32_t v);
static void wa_cbor_u64(void *ctx, uint64_t v);
static void wa_cbor_float(void *ctx, float v);
static void wa_cbor_double(void *ctx, double v);
static void wa_cbor_bool(void *ctx, bool v);
static void wa_cbor_string(wa_cbor_walk_t *w, int major);
static void wa_cbor_bstr(void *ctx, cbor_data data, size_t len);
static void wa_cbor_tstr(void *ctx, cbor_data data, size_t len);
static void wa_cbor_bstr_start(void *ctx);
static void wa_cbor_tstr_start(void *ctx);
static void wa_cbor_array(void *ctx, size_t n);
static void wa_cbor_array_start(void *ctx);
static void wa_cbor_map(void *ctx, size_t n);
static void wa_cbor_map_start(void *ctx);
static void wa_cbor_tag(void *ctx, uint64_t v);
static void wa_cbor_break(void *ctx);


static const struct cbor_callbacks  wa_cbor_callbacks = {
    .uint8 = wa_cbor_u8,
    .uint16 = wa_cbor_u16,
    .uint32 = wa_cbor_u32,
    .uint64 = wa_cbor_u64,
    .negint8 = wa_cbor_u8,
    .negint16 = wa_cbor_u16,
    .negint32 = wa_cbor_u32,
    .negint64 = wa_cbor_u64,
    .byte_string = wa_cbor_bstr,
    .byte_string_start = wa_cbor_bstr_start,
    .string = wa_cbor_tstr,
    .string_start = wa_cbor_tstr_start,
    .array_start = wa_cbor_array,
    .indef_array_start = wa_cbor_array_start,
    .map_start = wa_cbor_map,
    .indef_map_start = wa_cbor_map_start,
    .tag = wa_cbor_tag,
    .float2 = wa_cbor_float,
    .float4 = wa_cbor_float,
    .float8 = wa_cbor_double,
    .undefined = wa_cbor_scalar,
    .null = wa_cbor_scalar,
    .boolean = wa_cbor_bool,
    .indef_break = wa_cbor_break
};


int
wa_cbor_item(const unsigned char *p, size_t len, size_t *used, int *major)
{
    size_t                       pos;
    wa_cbor_walk_t               w;
    struct cbor_decoder_result   res;

    if (len == 0) {
        return -1;
    }

    memset(&w, 0, sizeof(wa_cbor_walk_t));

    /* every call reads a byte at least: len calls at most */

    for (pos = 0; !w.done; pos += res.read) {
        if (pos >= len) {
            return -1;
        }

#if (SIZE_MAX < UINT64_MAX)
        /*
         * libcbor passes an eight byte length to its callbacks as size_t:
         * refused here before it could be truncated (no input is 4 GB)
         */

        if ((p[pos] & 0x1f) == 27 && (p[pos] >> 5) >= 2 && (p[pos] >> 5) <= 5
            && (len - pos < 5 || (p[pos + 1] | p[pos + 2] | p[pos + 3]
                                  | p[pos + 4]) != 0))
        {
            return -1;
        }
#endif

        w.avail = len - pos;

        res = cbor_stream_decode(p + pos, len - pos, &wa_cbor_callbacks, &w);

        if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || w.failed) {
            return -1;
        }
    }

    *used = pos;

    if (major != NULL) {
        *major = p[0] >> 5;
    }

    return 0;
}


/* a new item starts: 0, or -1 (and the walk fails) where none may */

static int
wa_cbor_begin(wa_cbor_walk_t *w)
{
    wa_cbor_open_t  *o;

    if (w->failed) {
        return -1;
    }

    if (w->depth > 0) {
        o = &w->open[w->depth - 1];

        if (o->major == 2 || o->major == 3) {
            /* only chunks in an indefinite string, seen by the caller */
            w->failed = 1;
            return -1;
        }
    }

    if (w->depth > WA_CBOR_MAX_DEPTH) {
        w->failed = 1;
        return -1;
    }

    return 0;
}


/* an item is complete: it counts in the containers it closes */

static void
wa_cbor_end(wa_cbor_walk_t *w)
{
    wa_cbor_open_t  *o;

    while (w->depth > 0) {
        o = &w->open[w->depth - 1];

        if (o->indefinite) {
            o->count++;
            return;
        }

        if (--o->left > 0) {
            return;
        }

        w->depth--;
    }

    w->done = 1;
}


static void
wa_cbor_push(wa_cbor_walk_t *w, int major, int indefinite, uint64_t left)
{
    wa_cbor_open_t  *o;

    if (!indefinite && left == 0) {
        /* an empty definite array or map is complete at once */
        wa_cbor_end(w);
        return;
    }

    /* wa_cbor_begin() let depth be WA_CBOR_MAX_DEPTH at most */

    o = &w->open[w->depth++];
    o->major = major;
    o->indefinite = indefinite;
    o->left = left;
    o->count = 0;
}


static void
wa_cbor_scalar(void *ctx)
{
    if (wa_cbor_begin(ctx) == 0) {
        wa_cbor_end(ctx);
    }
}


static void
wa_cbor_u8(void *ctx, uint8_t v)
{
    wa_cbor_scalar(ctx);
}


static void
wa_cbor_u16(void *ctx, uint16_t v)
{
    wa_cbor_scalar(ctx);
}


static void
wa_cbor_u32(void *ctx, uint32_t v)
{
    wa_cbor_scalar(ctx);
}


static void
wa_cbor_u64(void *ctx, uint64_t v)
{
    wa_cbor_scalar(ctx);
}


static void
wa_cbor_float(void *ctx, float v)
{
    wa_cbor_scalar(ctx);
}


static void
wa_cbor_double(void *ctx, double v)
{
    wa_cbor_scalar(ctx);
}


static void
wa_cbor_bool(void *ctx, bool v)
{
    wa_cbor_scalar(ctx);
}


/* a definite string: an item, or a chunk of an indefinite string */

static void
wa_cbor_string(wa_cbor_walk_t *w, int major)
{
    wa_cbor_open_t  *o;

    if (w->failed) {
        return;
    }

    if (w->depth > 0) {
        o = &w->open[w->depth - 1];

        if (o->major == 2 || o->major == 3) {
            /* RFC 8949, 3.2.3: chunks of the string's own major type */

            if (o->major != major) {
                w->failed = 1;
            }

            return;
        }
    }

    if (wa_cbor_begin(w) == 0) {
        wa_cbor_end(w);
    }
}


static void
wa_cbor_bstr(void *ctx, cbor_data data, size_t len)
{
    wa_cbor_string(ctx, 2);
}


static void
wa_cbor_tstr(void *ctx, cbor_data data, size_t len)
{
    wa_cbor_string(ctx, 3);
}


static void
wa_cbor_bstr_start(void *ctx)
{
    if (wa_cbor_begin(ctx) == 0) {
        wa_cbor_push(ctx, 2, 1, 0);
    }
}


static void
wa_cbor_tstr_start(void *ctx)
{
    if (wa_cbor_begin(ctx) == 0) {
        wa_cbor_push(ctx, 3, 1, 0);
    }
}


static void
wa_cbor_array(void *ctx, size_t n)
{
    wa_cbor_walk_t  *w;

    w = ctx;

    if (wa_cbor_begin(w) != 0) {
        return;
    }

    /* every item takes a byte at least */

    if (n > w->avail) {
        w->failed = 1;
        return;
    }

    wa_cbor_push(w, WA_CBOR_ARRAY, 0, n);
}


static void
wa_cbor_array_start(void *ctx)
{
    if (wa_cbor_begin(ctx) == 0) {
        wa_cbor_push(ctx, WA_CBOR_ARRAY, 1, 0);
    }
}


static void
wa_cbor_map(void *ctx, size_t n)
{
    wa_cbor_walk_t  *w;

    w = ctx;

    if (wa_cbor_begin(w) != 0) {
        return;
    }

    /* a key and a value of a byte at least: 2 * n cannot overflow then */

    if (n > w->avail / 2) {
        w->failed = 1;
        return;
    }

    wa_cbor_push(w, WA_CBOR_MAP, 0, (uint64_t) n * 2);
}


static void
wa_cbor_map_start(void *ctx)
{
    if (wa_cbor_begin(ctx) == 0) {
        wa_cbor_push(ctx, WA_CBOR_MAP, 1, 0);
    }
}


/* RFC 8949, 3.4: a tag is followed by exactly one item, its content */

static void
wa_cbor_tag(void *ctx, uint64_t v)
{
    if (wa_cbor_begin(ctx) == 0) {
        wa_cbor_push(ctx, WA_CBOR_TAG, 0, 1);
    }
}


static void
wa_cbor_break(void *ctx)
{
    wa_cbor_walk_t  *w;
    wa_cbor_open_t  *o;

    w = ctx;

    if (w->failed) {
        return;
    }

    /* RFC 8949, 3.2.1: "break" closes an indefinite item, nothing else */

    if (w->depth == 0 || !w->open[w->depth - 1].indefinite) {
        w->failed = 1;
        return;
    }

    o = &w->open[w->depth - 1];

    /* a map needs a value for every key */

    if (o->major == WA_CBOR_MAP && o->count % 2 != 0) {
        w->failed = 1;
        return;
    }

    w->depth--;
    wa_cbor_end(w);
}


/* lookups in items decoded by libcbor (cbor_load()) */

void *
wa_cbor_map_get(void *map, const char *key)
{
    size_t             i, n, klen;
    cbor_item_t       *m, *k;
    struct cbor_pair  *pairs;

    m = map;

    if (m == NULL || !cbor_isa_map(m) || !cbor_map_is_definite(m)) {
        return NULL;
    }

    n = cbor_map_size(m);
    pairs = cbor_map_handle(m);
    klen = strlen(key);

    for (i = 0; i < n; i++) {
        k = pairs[i].key;

        if (cbor_isa_string(k) && cbor_string_is_definite(k)
            && cbor_string_length(k) == klen
            && (klen == 0
                || memcmp(cbor_string_handle(k), key, klen) == 0))
        {
            return pairs[i].value;
        }
    }

    return NULL;
}


int
wa_cbor_bytes(void *item, const unsigned char **p, size_t *len)
{
    cbor_item_t  *b;

    b = item;

    if (b == NULL || !cbor_isa_bytestring(b)
        || !cbor_bytestring_is_definite(b))
    {
        return -1;
    }

    *p = cbor_bytestring_handle(b);
    *len = cbor_bytestring_length(b);

    if (*p == NULL && *len != 0) {
        return -1;
    }

    return 0;
}


/* an integer in the range of int64_t */

int
wa_cbor_int(void *item, int64_t *v)
{
    uint64_t      u;
    cbor_item_t  *i;

    i = item;

    if (i == NULL || (!cbor_isa_uint(i) && !cbor_isa_negint(i))) {
        return -1;
    }

    u = cbor_get_int(i);

    if (u > (uint64_t) INT64_MAX) {
        return -1;
    }

    /* RFC 8949, 3.1: a negative integer encodes -1 - u */

    *v = cbor_isa_uint(i) ? (int64_t) u : -1 - (int64_t) u;

    return 0;
}
