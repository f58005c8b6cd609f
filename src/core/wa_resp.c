
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * RESP replies, read by hiredis' reader (it parses; the glue does the
 * I/O), with the bounds hiredis does not have.  hiredis allocates an
 * array's element vector as soon as it reads the header, so a bogus
 * "*2000000000" would make it allocate gigabytes: the reader gets
 * hiredis' own object functions but a createArray that refuses an array
 * announcing more elements than the bytes allowed could hold, or nested
 * deeper than allowed.
 */


#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include "wa_internal.h"


/* hiredis 1.x counts an array's elements in a size_t, 0.14 in an int */
#if defined(HIREDIS_MAJOR) && HIREDIS_MAJOR >= 1
typedef size_t  wa_resp_count_t;
#else
typedef int     wa_resp_count_t;
#endif

typedef void *(*wa_resp_create_array_pt)(const redisReadTask *task,
    wa_resp_count_t elements);


struct wa_resp_s {
    redisReader                *reader;
    redisReplyObjectFunctions   fn;         /* hiredis', but createArray */
    wa_resp_create_array_pt     create_array;
    size_t                      max_bytes;
    size_t                      max_elements;
    int                         max_depth;
    size_t                      fed;
    int                         stream;     /* the bound is per reply */
    int                         rc;         /* a sticky error */
    const char                 *why;
};


static int wa_resp_reader(wa_resp_t *r);
static void *wa_resp_array(const redisReadTask *task,
    wa_resp_count_t elements);


wa_resp_t *
wa_resp_new(size_t max_bytes, int max_depth)
{
    wa_resp_t  *r;

    r = calloc(1, sizeof(wa_resp_t));
    if (r == NULL) {
        return NULL;
    }

    r->max_bytes = max_bytes ? max_bytes : WA_RESP_MAX_BYTES;
    r->max_depth = max_depth > 0 ? max_depth : WA_RESP_MAX_DEPTH;

    /* the shortest RESP2 element, "+\r\n", takes 3 bytes */

    r->max_elements = r->max_bytes / 3;

    if (wa_resp_reader(r) != 0) {
        free(r);
        return NULL;
    }

    return r;
}


void
wa_resp_free(wa_resp_t *r)
{
    if (r == NULL) {
        return;
    }

    if (r->reader != NULL) {
        redisReaderFree(r->reader);
    }

    free(r);
}


int
wa_resp_reset(wa_resp_t *r)
{
    if (r->reader != NULL) {
        redisReaderFree(r->reader);
        r->reader = NULL;
    }

    r->fed = 0;
    r->rc = WA_RESP_OK;
    r->why = NULL;

    if (wa_resp_reader(r) != 0) {
        r->rc = WA_RESP_ERROR;
        r->why = "out of memory";
        return -1;
    }

    return 0;
}


int
wa_resp_feed(wa_resp_t *r, const void *data, size_t len)
{
    if (r->rc != WA_RESP_OK) {
        return r->rc;
    }

    if (len > r->max_bytes - r->fed) {
        r->rc = WA_RESP_TOO_LARGE;
        r->why = "more bytes than allowed";
        return r->rc;
    }

    r->fed += len;

    if (redisReaderFeed(r->reader, data, len) != REDIS_OK) {
        r->rc = WA_RESP_ERROR;
        r->why = r->reader->errstr[0] ? r->reader->errstr : "out of memory";
        return r->rc;
    }

    return WA_RESP_OK;
}


int
wa_resp_reply(wa_resp_t *r, struct redisReply **reply)
{
    void  *obj;

    *reply = NULL;

    if (r->rc != WA_RESP_OK) {
        return r->rc;
    }

    obj = NULL;

    if (redisReaderGetReply(r->reader, &obj) != REDIS_OK) {

        /* a refusal of wa_resp_array() set rc; hiredis says "OOM" */

        if (r->rc == WA_RESP_OK) {
            r->rc = WA_RESP_ERROR;
            r->why = r->reader->errstr[0] ? r->reader->errstr
                                          : "an invalid reply";
        }

        return r->rc;
    }

    if (obj == NULL) {
        return WA_RESP_AGAIN;
    }

    *reply = obj;

    /* a stream: what is fed and not yet a whole reply counts, no more */

    if (r->stream) {
        r->fed = r->reader->len - r->reader->pos;
    }

    return WA_RESP_OK;
}


void
wa_resp_stream(wa_resp_t *r)
{
    r->stream = 1;
}


const char *
wa_resp_why(const wa_resp_t *r)
{
    return r->why ? r->why : "no error";
}


/*
 * hiredis has consumed the type byte of a reply it has begun, so pos ==
 * len is not enough: a reply is begun when its first task has a type
 */

int
wa_resp_pending(const wa_resp_t *r)
{
    const redisReadTask  *first;

#if defined(HIREDIS_MAJOR) && HIREDIS_MAJOR >= 1
    first = r->reader->ridx != -1 ? r->reader->task[0] : NULL;
#else
    first = r->reader->ridx != -1 ? &r->reader->rstack[0] : NULL;
#endif

    return r->reader->pos != r->reader->len
           || (first != NULL && first->type != -1);
}


static int
wa_resp_reader(wa_resp_t *r)
{
    redisReader  *reader;

    reader = redisReaderCreate();
    if (reader == NULL) {
        return -1;
    }

    r->fn = *reader->fn;
    r->create_array = reader->fn->createArray;
    r->fn.createArray = wa_resp_array;

    reader->fn = &r->fn;
    reader->privdata = r;

    r->reader = reader;

    return 0;
}


static void *
wa_resp_array(const redisReadTask *task, wa_resp_count_t elements)
{
    int                   depth;
    wa_resp_t            *r;
    const redisReadTask  *t;

    r = task->privdata;

    depth = 1;

    for (t = task->parent; t != NULL; t = t->parent) {
        depth++;
    }

    if (depth > r->max_depth) {
        r->rc = WA_RESP_TOO_LARGE;
        r->why = "arrays nested too deep";

        /* hiredis takes NULL as out of memory and fails the reader */

        return NULL;
    }

    if ((long long) elements < 0 || (size_t) elements > r->max_elements) {
        r->rc = WA_RESP_TOO_LARGE;
        r->why = "an array header announcing too many elements";
        return NULL;
    }

    return r->create_array(task, elements);
}
