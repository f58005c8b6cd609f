
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <stdlib.h>

#include "wa_internal.h"


static const unsigned char  wa_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* 0xff: not in either alphabet; "+" and "-" are 62, "/" and "_" 63 */
static const unsigned char  wa_b64_value[256] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff,   62, 0xff,   62, 0xff,   63,
      52,   53,   54,   55,   56,   57,   58,   59,
      60,   61, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff,    0,    1,    2,    3,    4,    5,    6,
       7,    8,    9,   10,   11,   12,   13,   14,
      15,   16,   17,   18,   19,   20,   21,   22,
      23,   24,   25, 0xff, 0xff, 0xff, 0xff,   63,
    0xff,   26,   27,   28,   29,   30,   31,   32,
      33,   34,   35,   36,   37,   38,   39,   40,
      41,   42,   43,   44,   45,   46,   47,   48,
      49,   50,   51, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};


size_t
wa_b64url_encoded_len(size_t n)
{
    return WA_B64URL_LEN(n);
}


size_t
wa_b64url_decoded_max(size_t n)
{
    return n / 4 * 3 + (n % 4 == 0 ? 0 : 3);
}


size_t
wa_b64url_encode(unsigned char *dst, const unsigned char *src, size_t n)
{
    unsigned char  *d;

    d = dst;

    while (n >= 3) {
        *d++ = wa_b64url_alphabet[src[0] >> 2];
        *d++ = wa_b64url_alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = wa_b64url_alphabet[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = wa_b64url_alphabet[src[2] & 0x3f];

        src += 3;
        n -= 3;
    }

    if (n == 1) {
        *d++ = wa_b64url_alphabet[src[0] >> 2];
        *d++ = wa_b64url_alphabet[(src[0] & 0x03) << 4];

    } else if (n == 2) {
        *d++ = wa_b64url_alphabet[src[0] >> 2];
        *d++ = wa_b64url_alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = wa_b64url_alphabet[(src[1] & 0x0f) << 2];
    }

    return d - dst;
}


int
wa_b64url_decode(unsigned char *dst, size_t *dlen, const unsigned char *src,
    size_t n)
{
    size_t          i, rest;
    unsigned char  *d, v[4];

    /* RFC 4648, 3.2: padding only as the whole of the last quantum */

    if (n > 0 && src[n - 1] == '=') {
        if (n % 4 != 0) {
            return -1;
        }

        n--;

        if (src[n - 1] == '=') {
            n--;
        }

        if (n % 4 < 2) {
            return -1;
        }
    }

    rest = n % 4;

    if (rest == 1) {
        return -1;
    }

    d = dst;

    for (i = 0; i + 4 <= n; i += 4) {
        v[0] = wa_b64_value[src[i]];
        v[1] = wa_b64_value[src[i + 1]];
        v[2] = wa_b64_value[src[i + 2]];
        v[3] = wa_b64_value[src[i + 3]];

        if ((v[0] | v[1] | v[2] | v[3]) & 0x80) {
            return -1;
        }

        *d++ = (unsigned char) (v[0] << 2 | v[1] >> 4);
        *d++ = (unsigned char) (v[1] << 4 | v[2] >> 2);
        *d++ = (unsigned char) (v[2] << 6 | v[3]);
    }

    if (rest >= 2) {
        v[0] = wa_b64_value[src[i]];
        v[1] = wa_b64_value[src[i + 1]];
        v[2] = (rest == 3) ? wa_b64_value[src[i + 2]] : 0;

        if ((v[0] | v[1] | v[2]) & 0x80) {
            return -1;
        }

        *d++ = (unsigned char) (v[0] << 2 | v[1] >> 4);

        if (rest == 2) {
            /* RFC 4648, 3.5: the pad bits must be zero */
            if (v[1] & 0x0f) {
                return -1;
            }

        } else {
            if (v[2] & 0x03) {
                return -1;
            }

            *d++ = (unsigned char) (v[1] << 4 | v[2] >> 2);
        }
    }

    *dlen = d - dst;

    return 0;
}


int
wa_b64url_decode_alloc(unsigned char **dst, size_t *dlen,
    const unsigned char *src, size_t n)
{
    unsigned char  *p;

    /* one byte more, so that an empty string gets a buffer too */

    p = malloc(wa_b64url_decoded_max(n) + 1);
    if (p == NULL) {
        return -2;
    }

    if (wa_b64url_decode(p, dlen, src, n) != 0) {
        free(p);
        return -1;
    }

    *dst = p;

    return 0;
}
