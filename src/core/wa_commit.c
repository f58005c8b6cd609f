
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The commit script's reply (design.md, "Commit replies"): an array of
 * bulk strings, its first the outcome.  The script is the store's
 * (src/ngx_http_webauthn_store.c); what its reply may be, and what
 * becomes of the fields it hands back, is read here.
 */


#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include "wa_internal.h"


typedef struct {
    const char  *name;
    size_t       len;
    int          outcome;
} wa_commit_word_t;


static int wa_commit_string(const redisReply *e, const char **s,
    size_t *len);


static const wa_commit_word_t  wa_commit_words[] = {
    { "ok", 2, WA_COMMIT_OK },
    { "unknown", 7, WA_COMMIT_UNKNOWN },
    { "revoked", 7, WA_COMMIT_REVOKED },
    { "stale", 5, WA_COMMIT_STALE },
    { "reset", 5, WA_COMMIT_RESET },
    { "replayed", 8, WA_COMMIT_REPLAYED },
    { "regressed", 9, WA_COMMIT_REGRESSED },
    { "bad_record", 10, WA_COMMIT_BAD_RECORD },
    { NULL, 0, 0 }
};


wa_err_t
wa_commit_reply(wa_commit_t *c, const struct redisReply *reply,
    int hinted, const char **detail)
{
    size_t                   i, n;
    redisReply             **e;
    const wa_commit_word_t  *w;

    memset(c, 0, sizeof(wa_commit_t));

    c->outcome = WA_COMMIT_INVALID;
    c->user_name = "";
    c->roles = "";
    c->aaguid = "";

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1 || reply->element == NULL
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        goto invalid;
    }

    e = reply->element;
    n = reply->elements;

    for (w = wa_commit_words; w->name != NULL; w++) {
        if ((size_t) e[0]->len == w->len
            && memcmp(e[0]->str, w->name, w->len) == 0)
        {
            break;
        }
    }

    if (w->name == NULL) {
        goto invalid;
    }

    switch (w->outcome) {

    case WA_COMMIT_OK:

        /*
         * ok alone: the record's fields are the ones the commit carried
         * (the script compared them), which only a hinted commit does
         */

        if (n == 1 && hinted) {
            c->hinted = 1;
            break;
        }

        /* ok, user_name, roles [, aaguid]: strings, or nil for empty */

        if (n < 3 || n > 4
            || wa_commit_string(e[1], &c->user_name, &c->user_name_len)
               != 0
            || wa_commit_string(e[2], &c->roles, &c->roles_len) != 0
            || (n == 4
                && wa_commit_string(e[3], &c->aaguid, &c->aaguid_len) != 0))
        {
            goto invalid;
        }

        /*
         * the script checked them before writing; checked again here, as
         * they become variables and so header values
         */

        c->outcome = WA_COMMIT_BAD_RECORD;

        if (!wa_record_user_name_ok((const unsigned char *) c->user_name,
                                    c->user_name_len))
        {
            wa_set_detail(detail, "the credential record has an invalid "
                                  "user_name");
            return WA_ERR_STORE_UNAVAILABLE;
        }

        if (!wa_record_aaguid_ok((const unsigned char *) c->aaguid,
                                 c->aaguid_len))
        {
            wa_set_detail(detail, "the credential record has an invalid "
                                  "aaguid");
            return WA_ERR_STORE_UNAVAILABLE;
        }

        if (!wa_record_roles_ok((const unsigned char *) c->roles,
                                c->roles_len))
        {
            wa_set_detail(detail, "the credential record has invalid "
                                  "roles");
            return WA_ERR_STORE_UNAVAILABLE;
        }

        break;

    case WA_COMMIT_BAD_RECORD:

        /* bad_record, the field that cannot be read: the script's own */

        if (n != 2 || e[1]->type != REDIS_REPLY_STRING || e[1]->len == 0
            || e[1]->len > WA_COMMIT_FIELD_MAX)
        {
            goto invalid;
        }

        for (i = 0; i < (size_t) e[1]->len; i++) {
            if (e[1]->str[i] != '_'
                && (e[1]->str[i] < 'a' || e[1]->str[i] > 'z'))
            {
                goto invalid;
            }
        }

        c->field = e[1]->str;
        c->field_len = e[1]->len;

        break;

    default:

        if (n != 1) {
            goto invalid;
        }
    }

    c->outcome = w->outcome;

    return WA_OK;

invalid:

    c->outcome = WA_COMMIT_INVALID;
    c->user_name = "";
    c->user_name_len = 0;
    c->roles = "";
    c->roles_len = 0;
    c->aaguid = "";
    c->aaguid_len = 0;

    wa_set_detail(detail, "unexpected reply to the commit script");

    return WA_ERR_STORE_UNAVAILABLE;
}


static int
wa_commit_string(const redisReply *e, const char **s, size_t *len)
{
    if (e->type == REDIS_REPLY_NIL) {
        *s = "";
        *len = 0;
        return 0;
    }

    if (e->type != REDIS_REPLY_STRING) {
        return -1;
    }

    *s = e->str;
    *len = e->len;

    return 0;
}
