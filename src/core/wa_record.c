
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * Rules for the fields of a stored credential record.  The glue and the
 * store's commit script apply the same rules, so that nothing written
 * can later be read differently (a CR or LF in a logged or forwarded
 * user name, a role list split two ways, a counter that wraps).
 */


#include "wa_internal.h"


static int wa_record_role_char(unsigned char c);


/*
 * valid UTF-8 (RFC 3629, 3: no overlong forms, no surrogates, at most
 * U+10FFFF) without control characters: C0, DEL and C1 (U+0080-U+009F)
 */

int
wa_record_user_name_ok(const unsigned char *s, size_t len)
{
    size_t         i, n, k;
    unsigned char  c, lo, hi;

    if (len > WA_USER_NAME_MAX || (s == NULL && len != 0)) {
        return 0;
    }

    for (i = 0; i < len; i += n) {
        c = s[i];

        lo = 0x80;
        hi = 0xbf;

        if (c < 0x20 || c == 0x7f) {
            return 0;

        } else if (c < 0x80) {
            n = 1;
            continue;

        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 2;

            if (c == 0xc2) {
                lo = 0xa0;                /* U+0080-U+009F: C1 controls */
            }

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;

            if (c == 0xe0) {
                lo = 0xa0;                /* overlong */

            } else if (c == 0xed) {
                hi = 0x9f;                /* surrogates */
            }

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;

            if (c == 0xf0) {
                lo = 0x90;                /* overlong */

            } else if (c == 0xf4) {
                hi = 0x8f;                /* above U+10FFFF */
            }

        } else {
            return 0;
        }

        if (len - i < n || s[i + 1] < lo || s[i + 1] > hi) {
            return 0;
        }

        for (k = 2; k < n; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) {
                return 0;
            }
        }
    }

    return 1;
}


/* the authenticator model: a UUID, 8-4-4-4-12 hex digits (RFC 9562, 4) */

int
wa_record_aaguid_ok(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 1;
    }

    if (s == NULL || len != WA_AAGUID_TEXT_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

            continue;
        }

        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
              || (s[i] >= 'A' && s[i] <= 'F')))
        {
            return 0;
        }
    }

    return 1;
}


int
wa_record_roles_ok(const unsigned char *s, size_t len)
{
    size_t  i, start, n;

    if (len == 0) {
        return 1;
    }

    if (s == NULL) {
        return 0;
    }

    i = 0;

    for (n = 1; n <= WA_ROLES_NMAX; n++) {
        start = i;

        while (i < len && wa_record_role_char(s[i])) {
            i++;
        }

        /* empty: a leading, trailing or doubled SP */

        if (i == start || i - start > WA_ROLE_MAX) {
            return 0;
        }

        if (i == len) {
            return 1;
        }

        if (s[i] != ' ') {
            return 0;
        }

        i++;
    }

    return 0;
}


static int
wa_record_role_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '.' || c == '_' || c == ':' || c == '-';
}


int
wa_record_sign_count(const unsigned char *s, size_t len, uint32_t *count)
{
    size_t    i;
    uint64_t  v;

    if (s == NULL || len == 0 || len > WA_SIGN_COUNT_DIGITS_MAX) {
        return -1;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        /* ten digits at most: no overflow of 64 bits */
        v = v * 10 + (s[i] - '0');
    }

    if (v > UINT32_MAX) {
        return -1;
    }

    *count = (uint32_t) v;

    return 0;
}


/* fail closed: only an absent, empty or "0" field leaves it usable */

int
wa_record_revoked(const unsigned char *s, size_t len)
{
    if (s == NULL || len == 0) {
        return 0;
    }

    if (len == 1 && s[0] == '0') {
        return 0;
    }

    return 1;
}


/*
 * a credential id as keys and records hold it: the unpadded base64url of
 * 1 to 1023 bytes (WA_B64URL_LEN(1023) characters at most; a length of 1
 * mod 4 is no encoding)
 */

int
wa_record_cred_id_ok(const unsigned char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len > WA_B64URL_LEN(1023) || len % 4 == 1) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            return 0;
        }
    }

    return 1;
}
