
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * jansson's memory functions (json_set_alloc_funcs(): one set for the
 * process, not per thread; the core runs in one thread).  Two things ride
 * on them:
 *
 * - an arena: while a caller has one in force, jansson's blocks are cut
 *   from the caller's buffer (on its stack) and freed with it, instead of
 *   a malloc() and a free() each; an assertion's two parses make about
 *   sixty blocks, half the malloc() calls of a verified request.  A block
 *   that does not fit comes from malloc() as ever.  Every block of the
 *   arena must be freed before it ends (json_decref() of the root does
 *   it); the arena counts them, and ends with none left;
 *
 * - wiping: while an answer with a secret is parsed (wa_awscred_parse()),
 *   every block jansson frees is wiped first (malloc_usable_size(): the
 *   whole block): the lexer's buffer and every string are copies of the
 *   secret or the token, and which holds what depends on the members'
 *   order.
 *
 * Outside both the cost is two tests per block.  Blocks jansson allocated
 * before the hooks are libc's, so they are freed through them safely.
 *
 * Under valgrind's memcheck and AddressSanitizer an arena's free space and
 * freed blocks are not addressable, and a block is undefined when cut, so
 * that both still see a use after free or past a block's end in it (for
 * valgrind only when it runs: a client request per block would cost more
 * than the block's malloc() saved).
 */


#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wa_internal.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif

/* without valgrind's header (a build without valgrind), no marks */

#ifndef VALGRIND_MAKE_MEM_NOACCESS
#define RUNNING_ON_VALGRIND                 0
#define VALGRIND_MAKE_MEM_NOACCESS(p, n)    ((void) (p), (void) (n))
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n)   ((void) (p), (void) (n))
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define WA_POISON(p, n)    ASAN_POISON_MEMORY_REGION(p, n)
#define WA_UNPOISON(p, n)  ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define WA_POISON(p, n)    ((void) (p), (void) (n))
#define WA_UNPOISON(p, n)  ((void) (p), (void) (n))
#endif


/* a block's size, before it, in the arena; keeps the block aligned */

typedef union {
    size_t       size;
    long double  align;
} wa_json_head_t;


static void *wa_json_malloc(size_t n);
static void wa_json_free(void *p);


void   (*wa_json_release)(void *p) = free;
int      wa_json_wiping = 1;

static wa_json_arena_t  *wa_json_arena;
static unsigned          wa_json_secret;


void
wa_json_memory_init(void)
{
    json_set_alloc_funcs(wa_json_malloc, wa_json_free);
}


/*
 * an arena over buf for the parses until wa_json_arena_end(); inside
 * another, or while a secret is parsed, it is not put in force (the
 * blocks come from malloc())
 */

void
wa_json_arena_begin(wa_json_arena_t *a, void *buf, size_t size)
{
    a->start = buf;
    a->pos = a->start;
    a->end = a->start + size;
    a->live = 0;
    a->spilled = 0;
    a->used = 0;

    if (wa_json_arena != NULL || wa_json_secret) {
        a->end = a->start;
        a->annotate = 0;
        return;
    }

    a->annotate = RUNNING_ON_VALGRIND;

    if (a->annotate) {
        VALGRIND_MAKE_MEM_NOACCESS(buf, size);
    }

    WA_POISON(buf, size);

    wa_json_arena = a;
}


/* 0, or -1 when a block is left (a bug: it may not be used any more) */

int
wa_json_arena_end(wa_json_arena_t *a)
{
    size_t  size;

    size = a->end - a->start;

    if (wa_json_arena == a) {
        wa_json_arena = NULL;
    }

    /* the buffer is the caller's again, its bytes as it left them */

    if (a->annotate) {
        VALGRIND_MAKE_MEM_UNDEFINED(a->start, size);
    }

    WA_UNPOISON(a->start, size);

    a->used = a->pos - a->start;

    return a->live ? -1 : 0;
}


/* a secret is parsed until wa_json_secret_end(): its blocks are wiped */

void
wa_json_secret_begin(void)
{
    wa_json_secret++;
}


void
wa_json_secret_end(void)
{
    wa_json_secret--;
}


static void *
wa_json_malloc(size_t n)
{
    size_t            need;
    wa_json_head_t   *h;
    wa_json_arena_t  *a;

    a = wa_json_arena;

    /* a secret's blocks are never cut: they are wiped as they are freed */

    if (a != NULL && !wa_json_secret) {

        /* the size first: need cannot overflow then */

        if (n <= (size_t) (a->end - a->pos)) {
            need = sizeof(wa_json_head_t)
                   + (n + sizeof(wa_json_head_t) - 1)
                     / sizeof(wa_json_head_t) * sizeof(wa_json_head_t);

            if (need <= (size_t) (a->end - a->pos)) {
                h = (wa_json_head_t *) a->pos;
                a->pos += need;
                a->live++;

                WA_UNPOISON(h, sizeof(wa_json_head_t) + n);

                if (a->annotate) {
                    VALGRIND_MAKE_MEM_UNDEFINED(h, sizeof(wa_json_head_t) + n);
                }

                h->size = n;

                return h + 1;
            }
        }

        a->spilled++;
    }

    return malloc(n);
}


static void
wa_json_free(void *p)
{
    size_t            size;
    wa_json_head_t   *h;
    wa_json_arena_t  *a;

    if (p == NULL) {
        return;
    }

    a = wa_json_arena;

    if (a != NULL && (unsigned char *) p > a->start
        && (unsigned char *) p < a->end)
    {
        /* freed with the arena; no longer to be touched */

        h = (wa_json_head_t *) p - 1;
        size = sizeof(wa_json_head_t) + h->size;
        a->live--;

        if (a->annotate) {
            VALGRIND_MAKE_MEM_NOACCESS(h, size);
        }

        WA_POISON(h, size);

        return;
    }

    if (wa_json_secret && wa_json_wiping) {
        wa_memzero(p, malloc_usable_size(p));
    }

    wa_json_release(p);
}
