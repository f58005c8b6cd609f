
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>


/*
 * RFC 9110, 11.4: credentials = auth-scheme [ 1*SP ( token68 / ... ) ].
 * The scheme is case-insensitive; only SP separates it from the token
 * (an HTAB there is refused as malformed, not taken for another scheme);
 * nginx has removed the field's leading and trailing spaces.
 *
 * NGX_OK with the token (possibly empty), NGX_DECLINED when there is no
 * credential of this scheme, NGX_ERROR when the separator is not SP
 */

static ngx_int_t
ngx_http_webauthn_credentials(ngx_http_request_t *r, ngx_str_t *scheme,
    ngx_str_t *token)
{
    u_char  *p, *last;

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;

    if ((size_t) (last - p) < scheme->len
        || ngx_strncasecmp(p, scheme->data, scheme->len) != 0)
    {
        return NGX_DECLINED;
    }

    p += scheme->len;

    if (p < last && *p == '\t') {
        return NGX_ERROR;
    }

    if (p < last && *p != ' ') {
        /* "WebAuthnX": another scheme */
        return NGX_DECLINED;
    }

    while (p < last && *p == ' ') {
        p++;
    }

    token->data = p;
    token->len = last - p;

    return NGX_OK;
}


/* Authorization: WebAuthn <assertion> */

ngx_int_t
ngx_http_webauthn_token(ngx_http_request_t *r, ngx_str_t *token)
{
    static ngx_str_t  scheme = ngx_string(NGX_HTTP_WEBAUTHN_SCHEME);

    return ngx_http_webauthn_credentials(r, &scheme, token);
}


/* a request header by its name (case-insensitive), the first, or NULL */

ngx_table_elt_t *
ngx_http_webauthn_request_header(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/* Authorization: Bearer <token>, RFC 6750, 2.1 */

ngx_int_t
ngx_http_webauthn_bearer(ngx_http_request_t *r, ngx_str_t *token)
{
    static ngx_str_t  scheme = ngx_string("Bearer");

    return ngx_http_webauthn_credentials(r, &scheme, token);
}


/* the value of a cookie (RFC 6265, 5.4), nginx's parser */

ngx_int_t
ngx_http_webauthn_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, name,
                                          value)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * the session cookie is not passed on: each Cookie header is written again
 * without the pairs of that name (RFC 6265, 4.2.1: "name=value" pairs
 * separated by "; "), and one left empty is taken out of the request
 */

ngx_int_t
ngx_http_webauthn_remove_cookie(ngx_http_request_t *r, ngx_str_t *name)
{
    u_char               *p, *last, *start, *end, *out, *o;
    ngx_uint_t            i;
    ngx_table_elt_t     **h, *e;
    ngx_http_request_t   *pr, *m;

    m = r->main;
    h = m->headers_in.cookies.elts;

    for (i = 0; i < m->headers_in.cookies.nelts; i++) {
        e = h[i];

        if (e->value.len == 0) {
            continue;
        }

        /* "a=1;b=2" becomes "a=1; b=2": at most twice as long */

        out = ngx_pnalloc(r->pool, 2 * e->value.len);
        if (out == NULL) {
            return NGX_ERROR;
        }

        o = out;
        p = e->value.data;
        last = p + e->value.len;

        while (p < last) {
            while (p < last && (*p == ' ' || *p == ';')) {
                p++;
            }

            start = p;

            while (p < last && *p != ';') {
                p++;
            }

            end = p;

            while (end > start && end[-1] == ' ') {
                end--;
            }

            if (end == start) {
                continue;
            }

            if ((size_t) (end - start) > name->len
                && start[name->len] == '='
                && ngx_strncmp(start, name->data, name->len) == 0)
            {
                continue;
            }

            if (o != out) {
                *o++ = ';';
                *o++ = ' ';
            }

            o = ngx_cpymem(o, start, end - start);
        }

        if (o != out) {
            e->value.data = out;
            e->value.len = o - out;
            continue;
        }

        /* nothing left of this header */

        if (ngx_http_webauthn_remove_header(r, &m->headers_in.headers, e)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        e->value.len = 0;

        for (pr = r; pr; pr = (pr == m) ? NULL : pr->parent) {
            pr->headers_in.headers = m->headers_in.headers;
        }
    }

    return NGX_OK;
}


/*
 * Authorization: Invitation <token>, of the enrollment locations; an
 * HTAB after the scheme is no invitation (NGX_DECLINED): the assertion
 * check then refuses it as it refuses any other credential
 */

ngx_int_t
ngx_http_webauthn_invitation(ngx_http_request_t *r, ngx_str_t *token)
{
    static ngx_str_t  scheme = ngx_string(NGX_HTTP_WEBAUTHN_INVITATION);

    return (ngx_http_webauthn_credentials(r, &scheme, token) == NGX_OK)
           ? NGX_OK : NGX_DECLINED;
}


/*
 * the header is taken out of the list without moving any other element,
 * as r->headers_in keeps pointers to them.  nginx walks a list assuming
 * that no part but the first is empty, so none is left empty; and
 * ngx_list_push() appends to the last part while its nelts is below
 * nalloc, so when the last part no longer starts its allocation, nalloc
 * is lowered to the room it really has
 */

ngx_int_t
ngx_http_webauthn_remove_header(ngx_http_request_t *r, ngx_list_t *list,
    ngx_table_elt_t *h)
{
    ngx_uint_t        i, n;
    ngx_table_elt_t  *elts;
    ngx_list_part_t  *part, *prev, *tail;

    if (h == NULL) {
        return NGX_OK;
    }

    prev = NULL;

    for (part = &list->part; part; prev = part, part = part->next) {

        elts = part->elts;
        n = part->nelts;

        if (h < elts || h >= elts + n) {
            continue;
        }

        i = h - elts;

        if (n == 1) {

            if (prev == NULL) {
                part->nelts = 0;
                return NGX_OK;
            }

            /* the parts before a later one are full: prev stays full */

            prev->next = part->next;

            if (list->last == part) {
                list->last = prev;
            }

            return NGX_OK;
        }

        if (i == n - 1) {
            part->nelts--;
            return NGX_OK;
        }

        if (i == 0) {
            part->elts = &elts[1];
            part->nelts--;

            if (list->last == part) {
                list->nalloc--;
            }

            return NGX_OK;
        }

        tail = ngx_palloc(r->pool, sizeof(ngx_list_part_t));
        if (tail == NULL) {
            return NGX_ERROR;
        }

        tail->elts = &elts[i + 1];
        tail->nelts = n - i - 1;
        tail->next = part->next;

        part->nelts = i;
        part->next = tail;

        if (list->last == part) {
            list->last = tail;
            list->nalloc -= i + 1;
        }

        return NGX_OK;
    }

    return NGX_OK;
}


/*
 * the request body read whole (ngx_http_read_client_request_body() is
 * done), from memory or its temporary file, into one buffer of the pool:
 * NGX_OK; NGX_DECLINED when it is empty, NGX_ABORT when longer than max
 * bytes (a chunked body is measured once read); NGX_ERROR
 */

ngx_int_t
ngx_http_webauthn_read_body(ngx_http_request_t *r, size_t max,
    ngx_str_t *out)
{
    off_t         len;
    u_char       *p;
    size_t        size;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    len = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            len += ngx_buf_size(cl->buf);
        }
    }

    if (len == 0) {
        return NGX_DECLINED;
    }

    if (len > (off_t) max) {
        return NGX_ABORT;
    }

    out->data = ngx_pnalloc(r->pool, (size_t) len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        if (b->in_file) {
            size = (size_t) (b->file_last - b->file_pos);

            n = ngx_read_file(b->file, p, size, b->file_pos);

            if (n == NGX_ERROR) {
                return NGX_ERROR;
            }

            if ((size_t) n != size) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                              "webauthn: " ngx_read_file_n " read only %z "
                              "of %uz bytes of the body", n, size);
                return NGX_ERROR;
            }

            p += n;
        }
    }

    out->len = p - out->data;

    return NGX_OK;
}
