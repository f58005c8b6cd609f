
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * AWS credentials as the container (ECS, EKS Pod Identity) and instance
 * metadata (IMDS) endpoints answer them: JSON, read with jansson (AWS
 * SDKs and Tools Reference Guide, "Container credential provider",
 * "IMDS credential provider").  The set itself, its character sets and
 * its expiry are shared with wa_sts.c.
 */


#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wa_internal.h"


static int wa_aws_digits(const char *s, size_t n, int *v);


/* the container and IMDS answers */

wa_err_t
wa_awscred_parse(wa_aws_creds_t *c, const unsigned char *json, size_t len,
    int64_t now, const char **detail)
{
    char         **dst[3];
    json_t        *root, *v;
    size_t         i, n, *dst_len[3];
    wa_err_t       err;
    const char    *s;

    static const char  *missing[] = {
        "the answer's AccessKeyId is missing or not a string",
        "the answer's SecretAccessKey is missing or not a string",
        "the answer's Token is missing or not a string",
        "the answer's Expiration is missing or not a string"
    };

    static const char  *names[] = {
        "AccessKeyId", "SecretAccessKey", "Token", "Expiration"
    };

    memset(c, 0, sizeof(wa_aws_creds_t));

    if (len > WA_AWS_ANSWER_MAX) {
        wa_set_detail(detail, "the answer is too large");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    /*
     * a member given twice would leave it open which one counts; no
     * json_error_t: jansson would copy the text near an error into it
     * (and its own stack), a secret's among them
     */

    wa_json_secret_begin();

    root = json_loadb((const char *) json, len, JSON_REJECT_DUPLICATES,
                      NULL);

    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        wa_json_secret_end();
        wa_set_detail(detail, "the answer is not a JSON object (or has a "
                              "duplicate member)");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    dst[0] = &c->access_key;
    dst_len[0] = &c->access_key_len;
    dst[1] = &c->secret;
    dst_len[1] = &c->secret_len;
    dst[2] = &c->token;
    dst_len[2] = &c->token_len;

    err = WA_OK;

    for (i = 0; i < 4; i++) {
        v = json_object_get(root, names[i]);

        if (!json_is_string(v)) {
            wa_set_detail(detail, missing[i]);
            err = WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
            break;
        }

        s = json_string_value(v);
        n = json_string_length(v);

        if (i == 3) {
            if (wa_aws_time(s, n, &c->expires) != 0) {
                wa_set_detail(detail, "the answer's Expiration is not an "
                                      "ISO 8601 time with a zone");
                err = WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
            }

            break;
        }

        *dst[i] = malloc(n + 1);
        if (*dst[i] == NULL) {
            wa_set_detail(detail, "out of memory");
            err = WA_ERR_INTERNAL;
            break;
        }

        memcpy(*dst[i], s, n);
        (*dst[i])[n] = '\0';
        *dst_len[i] = n;
    }

    /* every block of the answer wiped as it is freed (wa_json.c) */

    json_decref(root);
    wa_json_secret_end();

    if (err != WA_OK) {
        return err;
    }

    return wa_aws_creds_check(c, 0, now, detail);
}


/*
 * the rules of a set, for both answers: the values go into HTTP header
 * fields (the access key id in Authorization, the token in
 * X-Amz-Security-Token), so nothing outside visible ASCII
 */

wa_err_t
wa_aws_creds_check(const wa_aws_creds_t *c, int token_required, int64_t now,
    const char **detail)
{
    size_t          i;
    unsigned char   ch;

    if (c->access_key == NULL || c->access_key_len == 0) {
        wa_set_detail(detail, "the answer's AccessKeyId is empty");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    for (i = 0; i < c->access_key_len; i++) {
        ch = (unsigned char) c->access_key[i];

        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
              || (ch >= '0' && ch <= '9') || ch == '_'))
        {
            wa_set_detail(detail, "the answer's AccessKeyId has a "
                                  "character other than A-Z a-z 0-9 _");
            return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
        }
    }

    if (c->secret == NULL || c->secret_len == 0) {
        wa_set_detail(detail, "the answer's SecretAccessKey is empty");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    for (i = 0; i < c->secret_len; i++) {
        ch = (unsigned char) c->secret[i];

        if (ch < 0x21 || ch > 0x7e) {
            wa_set_detail(detail, "the answer's SecretAccessKey has a "
                                  "character outside visible ASCII");
            return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
        }
    }

    if (token_required && (c->token == NULL || c->token_len == 0)) {
        wa_set_detail(detail, "the answer's SessionToken is empty");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    for (i = 0; i < c->token_len; i++) {
        ch = (unsigned char) c->token[i];

        if (ch < 0x21 || ch > 0x7e) {
            wa_set_detail(detail, "the answer's session token has a "
                                  "character outside visible ASCII");
            return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
        }
    }

    if (c->expires <= now) {
        wa_set_detail(detail, "the answer's credentials have expired");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    return WA_OK;
}


void
wa_aws_creds_free(wa_aws_creds_t *c)
{
    if (c == NULL) {
        return;
    }

    wa_aws_creds_wipe(c);

    free(c->secret);
    free(c->token);
    free(c->access_key);

    memset(c, 0, sizeof(wa_aws_creds_t));
}


void
wa_aws_creds_wipe(wa_aws_creds_t *c)
{
    if (c->secret != NULL) {
        wa_memzero(c->secret, c->secret_len);
    }

    if (c->token != NULL) {
        wa_memzero(c->token, c->token_len);
    }
}


/*
 * ISO 8601 (RFC 3339, 5.6): 2026-12-01T19:30:00Z, 2026-12-01T19:30:00.359Z,
 * 2026-12-01T21:30:00+02:00
 */

int
wa_aws_time(const char *s, size_t len, int64_t *t)
{
    int       h, mi, sec, oh, om;
    size_t    i;
    int64_t   days, off;

    if (s == NULL || len < 20 || s[10] != 'T' || s[13] != ':'
        || s[16] != ':')
    {
        return -1;
    }

    if (wa_mds_date(s, 10, &days) != 0
        || wa_aws_digits(s + 11, 2, &h) != 0
        || wa_aws_digits(s + 14, 2, &mi) != 0
        || wa_aws_digits(s + 17, 2, &sec) != 0
        || h > 23 || mi > 59 || sec > 60)
    {
        return -1;
    }

    i = 19;

    if (s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            /* void */
        }

        if (i == 20) {
            return -1;
        }
    }

    if (len - i == 1 && s[i] == 'Z') {
        off = 0;

    } else if (len - i == 6 && (s[i] == '+' || s[i] == '-')
               && s[i + 3] == ':'
               && wa_aws_digits(s + i + 1, 2, &oh) == 0
               && wa_aws_digits(s + i + 4, 2, &om) == 0
               && oh <= 23 && om <= 59)
    {
        off = (int64_t) oh * 3600 + om * 60;

        if (s[i] == '-') {
            off = -off;
        }

    } else {
        return -1;
    }

    *t = days * 86400 + (int64_t) h * 3600 + mi * 60 + sec - off;

    return 0;
}


static int
wa_aws_digits(const char *s, size_t n, int *v)
{
    size_t  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        *v = *v * 10 + (s[i] - '0');
    }

    return 0;
}
