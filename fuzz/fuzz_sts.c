
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * libFuzzer target of STS's XML answers (wa_sts.c): the input is the
 * answer's body.  Parsing must never crash nor leak; a set accepted must
 * be complete, in its character sets and unexpired; what an answer that
 * is not XML reports must be nothing; an error's Code and Message must
 * be short and printable, fit for the log.  libxml2 allocates through
 * the core's wiping memory functions (wa_xml_memory_init()), as in nginx.
 */


#include <stdlib.h>
#include <string.h>

#include "wa_core.h"


#define FUZZ_NOW  1800000000


static void fuzz_printable(const char *s, size_t max, int spaces);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);


static void
fuzz_printable(const char *s, size_t max, int spaces)
{
    size_t  i, n;

    if (s == NULL) {
        return;
    }

    n = strlen(s);

    if (n > max) {
        abort();
    }

    for (i = 0; i < n; i++) {
        if ((s[i] <= 0x20 || s[i] >= 0x7f) && !(spaces && s[i] == ' ')) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    size_t            i;
    wa_err_t          err;
    const char       *detail;
    wa_sts_answer_t   a;

    if (wa_xml_memory_init() != 0) {
        abort();
    }

    detail = NULL;

    err = wa_sts_parse(&a, data, size, FUZZ_NOW, &detail);

    if (err != WA_OK && detail == NULL) {
        abort();
    }

    if (!a.xml && (a.credentials || a.code || a.message)) {
        abort();
    }

    if (err == WA_OK) {
        if (!a.xml || !a.credentials
            || a.creds.access_key == NULL || a.creds.access_key_len == 0
            || a.creds.secret == NULL || a.creds.secret_len == 0
            || a.creds.token == NULL || a.creds.token_len == 0
            || a.creds.expires <= FUZZ_NOW
            || strlen(a.creds.access_key) != a.creds.access_key_len
            || strlen(a.creds.token) != a.creds.token_len)
        {
            abort();
        }

        for (i = 0; i < a.creds.token_len; i++) {
            if (a.creds.token[i] <= 0x20 || a.creds.token[i] >= 0x7f) {
                abort();
            }
        }
    }

    fuzz_printable(a.code, WA_STS_CODE_MAX, 0);
    fuzz_printable(a.message, WA_STS_MESSAGE_MAX, 1);

    wa_sts_free(&a);

    if (a.creds.secret != NULL || a.code != NULL) {
        abort();
    }

    return 0;
}
