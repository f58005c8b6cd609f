
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of the credential endpoints' JSON (wa_awscred.c) and
 * of ISO 8601 times (wa_aws_time()): the input is the answer's body, and
 * as well a time.  Parsing must never crash nor leak; a set accepted
 * must be complete, in its character sets (nothing that could split a
 * header) and unexpired; a time accepted must lie between year 0 and
 * 9999 and be the same with its fraction of a second dropped.
 */


#include <stdlib.h>
#include <string.h>

#include "wa_core.h"


#define FUZZ_NOW  1800000000


static void fuzz_visible(const char *s, size_t n);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static void
fuzz_visible(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char            *copy;
    size_t           dot, end;
    int64_t          t, u;
    wa_err_t         err;
    const char      *detail;
    wa_aws_creds_t   c;

    /* jansson's memory functions as in nginx: the answer's blocks wiped */

    wa_json_memory_init();

    detail = NULL;

    err = wa_awscred_parse(&c, data, size, FUZZ_NOW, &detail);

    if (err != WA_OK && detail == NULL) {
        abort();
    }

    if (err == WA_OK) {
        if (c.access_key == NULL || c.access_key_len == 0
            || c.secret == NULL || c.secret_len == 0
            || c.token == NULL || c.expires <= FUZZ_NOW)
        {
            abort();
        }

        fuzz_visible(c.access_key, c.access_key_len);
        fuzz_visible(c.secret, c.secret_len);
        fuzz_visible(c.token, c.token_len);
    }

    wa_aws_creds_free(&c);

    if (c.secret != NULL || c.token != NULL || c.access_key != NULL) {
        abort();
    }

    /* the bytes as a time */

    if (wa_aws_time((const char *) data, size, &t) != 0) {
        return 0;
    }

    /* 0000-01-01 to 9999-12-31, offsets of up to a day either way */

    if (t < -62167219200LL - 86400 || t > 253402300799LL + 86400) {
        abort();
    }

    if (size > 20 && data[19] == '.') {
        for (end = 20; end < size && data[end] >= '0' && data[end] <= '9';
             end++)
        {
            /* void */
        }

        copy = malloc(size);
        if (copy == NULL) {
            return 0;
        }

        dot = 19;
        memcpy(copy, data, dot);
        memcpy(copy + dot, data + end, size - end);

        if (wa_aws_time(copy, dot + size - end, &u) != 0 || u != t) {
            abort();
        }

        free(copy);
    }

    return 0;
}
