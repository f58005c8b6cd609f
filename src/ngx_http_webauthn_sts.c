
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * STS, the protocol: AssumeRole (per person: signed with the base
 * credentials, for the role the location maps the credential's roles
 * to, with RoleSessionName and SourceIdentity from the user name and the
 * session tags webauthn_user and webauthn_credential) and
 * AssumeRoleWithWebIdentity (a base source), and their answers, STS's
 * documented XML, read by the core (wa_sts.c, libxml2).  Fetching and
 * keeping credentials is ngx_http_webauthn_aws_creds.c's.
 *
 * The endpoint is AWS_ENDPOINT_URL_STS, else the regional
 * https://sts.<region>.amazonaws.com: https verified against the system's
 * CA bundle or webauthn_aws_trusted_certificate, host names resolved with
 * the location's "resolver"; plain http only to a loopback address.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>
#include <ngx_http_webauthn_http.h>


#define NGX_HTTP_WEBAUTHN_STS_NAME_MIN    2     /* RoleSessionName, STS */
#define NGX_HTTP_WEBAUTHN_STS_NAME_MAX    64
#define NGX_HTTP_WEBAUTHN_STS_TAG_MAX     256
#define NGX_HTTP_WEBAUTHN_STS_HASH        8     /* hex digits of a suffix */
#define NGX_HTTP_WEBAUTHN_STS_VERSION     "2011-06-15"
#define NGX_HTTP_WEBAUTHN_STS_CHAIN_MAX   3600  /* s, a chained session */
#define NGX_HTTP_WEBAUTHN_STS_URL_MAX     512

static u_char *ngx_http_webauthn_sts_fit(ngx_pool_t *pool, ngx_str_t *in,
    ngx_uint_t max, ngx_uint_t tag, size_t *len);


/*
 * the answer, read by the core (wa_sts.c): an error is reported as its
 * status and Code
 */

ngx_int_t
ngx_http_webauthn_sts_parse(ngx_pool_t *pool, ngx_uint_t status,
    ngx_str_t *body, ngx_http_webauthn_aws_creds_t *c, ngx_str_t *why)
{
    u_char           *msg;
    wa_err_t          err;
    ngx_int_t         rc;
    const char       *detail;
    wa_sts_answer_t   a;

    detail = "the answer is not XML";

    err = wa_sts_parse(&a, body->data, body->len, ngx_time(), &detail);

    rc = NGX_ERROR;

    if (!a.xml) {
        why->data = (u_char *) detail;
        why->len = ngx_strlen(detail);

    } else if (status != NGX_HTTP_OK || !a.credentials) {

        /* copied by the handler before the exchange is freed */

        msg = ngx_pnalloc(pool, 128);

        if (msg) {
            why->data = msg;
            why->len = ngx_snprintf(msg, 128, "status %ui, %s", status,
                                    a.code ? a.code : "no Credentials")
                       - msg;
        } else {
            ngx_str_set(why, "an error answer");
        }

    } else if (err != WA_OK) {
        why->data = (u_char *) detail;
        why->len = ngx_strlen(detail);

    } else {
        rc = ngx_http_webauthn_aws_creds_copy(pool, c, &a.creds);

        if (rc != NGX_OK) {
            ngx_str_set(why, "out of memory");
        }
    }

    wa_sts_free(&a);

    return rc;
}


/*
 * AWS_ENDPOINT_URL_STS, or https://sts.REGION.amazonaws.com (.com.cn in
 * the China regions); parsed once per worker and URL.  The location's
 * resolver is the one its exchange resolves a host name with.
 */

ngx_int_t
ngx_http_webauthn_sts_endpoint(ngx_http_request_t *r, ngx_str_t *region,
    ngx_http_webauthn_peer_t **server, ngx_str_t *host, const char **reason)
{
    u_char                         *p;
    char                           *env;
    ngx_str_t                       url;
    ngx_uint_t                      i;
    ngx_http_webauthn_endpoint_t   *e;
    ngx_http_webauthn_main_conf_t  *wmcf;
    u_char                          buf[NGX_HTTP_WEBAUTHN_STS_URL_MAX];

    env = getenv("AWS_ENDPOINT_URL_STS");

    if (env != NULL && env[0] != '\0') {
        url.data = (u_char *) env;
        url.len = ngx_strlen(env);

    } else {
        if (region->len == 0 || region->len > 64) {
            *reason = "no STS endpoint: \"webauthn_aws_region\" is not a "
                      "region";
            return NGX_ERROR;
        }

        for (i = 0; i < region->len; i++) {
            if (!((region->data[i] >= 'a' && region->data[i] <= 'z')
                  || (region->data[i] >= '0' && region->data[i] <= '9')
                  || region->data[i] == '-'))
            {
                *reason = "no STS endpoint: \"webauthn_aws_region\" is not "
                          "a region";
                return NGX_ERROR;
            }
        }

        p = ngx_sprintf(buf, "https://sts.%V.amazonaws.com", region);

        if (region->len > 3 && ngx_strncmp(region->data, "cn-", 3) == 0) {
            p = ngx_cpymem(p, ".cn", 3);
        }

        url.data = buf;
        url.len = p - buf;
    }

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (ngx_http_webauthn_endpoint(r, &url, "STS", "AWS_ENDPOINT_URL_STS", 0,
                                   wmcf->aws_ssl, &e, reason)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    *server = &e->server;
    *host = e->host;

    return NGX_OK;
}


/*
 * POST / with the Query API's form (STS API Reference, AssumeRole),
 * signed for service "sts" in the location's region
 */

ngx_int_t
ngx_http_webauthn_sts_assume_request(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_http_webauthn_aws_creds_t *base,
    ngx_str_t *host, ngx_str_t *out)
{
    u_char                        *p, *name, *user, *cred;
    time_t                         duration;
    char                          *authz;
    size_t                         len, name_len, user_len, cred_len;
    wa_err_t                       err;
    ngx_str_t                      body, sts, arn;
    const char                    *detail;
    unsigned char                  key[WA_SHA256_LEN];
    unsigned char                  digest[WA_SHA256_LEN];
    wa_sigv4_header_t              h[4];
    wa_sigv4_request_t             req;
    ngx_http_webauthn_loc_conf_t  *wlcf;
    char                           hash[WA_SIGV4_HEX_LEN];
    u_char                         date[WA_SIGV4_DATE_LEN + 1];

    static ngx_str_t  type =
        ngx_string("application/x-www-form-urlencoded; charset=utf-8");

    wlcf = ctx->wlcf;

    name = ngx_http_webauthn_sts_fit(r->pool, &ctx->cred.user_name,
                                     NGX_HTTP_WEBAUTHN_STS_NAME_MAX, 0,
                                     &name_len);
    user = ngx_http_webauthn_sts_fit(r->pool, &ctx->cred.user_name,
                                     NGX_HTTP_WEBAUTHN_STS_TAG_MAX, 1,
                                     &user_len);
    cred = ngx_http_webauthn_sts_fit(r->pool, &ctx->cred.id,
                                     NGX_HTTP_WEBAUTHN_STS_TAG_MAX, 1,
                                     &cred_len);

    if (name == NULL || user == NULL || cred == NULL) {
        return NGX_ERROR;
    }

    /* the values are of unreserved characters or escaped below */

    arn = ctx->aws_role;

    len = sizeof("Action=AssumeRole&Version=" NGX_HTTP_WEBAUTHN_STS_VERSION
                 "&RoleArn=&RoleSessionName=&SourceIdentity="
                 "&DurationSeconds=&Tags.member.1.Key=webauthn_user"
                 "&Tags.member.1.Value=&Tags.member.2.Key=webauthn_credential"
                 "&Tags.member.2.Value=") - 1
          + 3 * (arn.len + 2 * name_len + user_len + cred_len) + NGX_TIME_T_LEN;

    body.data = ngx_pnalloc(r->pool, len);
    if (body.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(body.data, "Action=AssumeRole&Version="
                   NGX_HTTP_WEBAUTHN_STS_VERSION "&RoleArn=",
                   sizeof("Action=AssumeRole&Version="
                          NGX_HTTP_WEBAUTHN_STS_VERSION "&RoleArn=") - 1);
    p = (u_char *) ngx_escape_uri(p, arn.data, arn.len, NGX_ESCAPE_ARGS);
    p = ngx_cpymem(p, "&RoleSessionName=", sizeof("&RoleSessionName=") - 1);
    p = (u_char *) ngx_escape_uri(p, name, name_len, NGX_ESCAPE_ARGS);
    p = ngx_cpymem(p, "&SourceIdentity=", sizeof("&SourceIdentity=") - 1);
    p = (u_char *) ngx_escape_uri(p, name, name_len, NGX_ESCAPE_ARGS);
    /* STS caps role chaining at an hour: base credentials with a token */

    duration = wlcf->aws_role_duration;

    if (base->token.len && duration > NGX_HTTP_WEBAUTHN_STS_CHAIN_MAX) {
        duration = NGX_HTTP_WEBAUTHN_STS_CHAIN_MAX;
    }

    p = ngx_sprintf(p, "&DurationSeconds=%T", duration);
    p = ngx_cpymem(p, "&Tags.member.1.Key=webauthn_user&Tags.member.1.Value=",
                   sizeof("&Tags.member.1.Key=webauthn_user"
                          "&Tags.member.1.Value=") - 1);
    p = (u_char *) ngx_escape_uri(p, user, user_len, NGX_ESCAPE_ARGS);
    p = ngx_cpymem(p, "&Tags.member.2.Key=webauthn_credential"
                   "&Tags.member.2.Value=",
                   sizeof("&Tags.member.2.Key=webauthn_credential"
                          "&Tags.member.2.Value=") - 1);
    p = (u_char *) ngx_escape_uri(p, cred, cred_len, NGX_ESCAPE_ARGS);

    body.len = p - body.data;

    /* the signature, for service sts */

    ngx_http_webauthn_aws_date(date);

    wa_sha256(digest, body.data, body.len);
    wa_hex(hash, digest, WA_SHA256_LEN);

    ngx_str_set(&sts, "sts");

    if (wa_sigv4_signing_key(key, (char *) base->secret.data,
                             base->secret.len, (char *) date,
                             (char *) wlcf->aws_region.data,
                             wlcf->aws_region.len, "sts", 3)
        != 0)
    {
        return NGX_ERROR;
    }

    h[0].name = "host";
    h[0].name_len = 4;
    h[0].value = (char *) host->data;
    h[0].value_len = host->len;
    h[1].name = "content-type";
    h[1].name_len = sizeof("content-type") - 1;
    h[1].value = (char *) type.data;
    h[1].value_len = type.len;
    h[2].name = "x-amz-date";
    h[2].name_len = sizeof("x-amz-date") - 1;
    h[2].value = (char *) date;
    h[2].value_len = WA_SIGV4_DATE_LEN;
    h[3].name = "x-amz-security-token";
    h[3].name_len = sizeof("x-amz-security-token") - 1;
    h[3].value = (char *) base->token.data;
    h[3].value_len = base->token.len;

    ngx_memzero(&req, sizeof(wa_sigv4_request_t));

    req.method = "POST";
    req.method_len = 4;
    req.target = "/";
    req.target_len = 1;
    req.headers = h;
    req.nheaders = base->token.len ? 4 : 3;
    req.payload_hash = hash;
    req.amz_date = (char *) date;
    req.region = (char *) wlcf->aws_region.data;
    req.region_len = wlcf->aws_region.len;
    req.service = "sts";
    req.service_len = 3;
    req.normalize = 1;

    authz = NULL;
    detail = NULL;

    err = wa_sigv4_sign(&req, key, (char *) base->access_key.data,
                        base->access_key.len, &authz, NULL, NULL, &detail);

    wa_memzero(key, sizeof(key));

    if (err != WA_OK) {
        ngx_http_webauthn_log_internal(r, detail);
        return NGX_ERROR;
    }

    len = sizeof("POST / HTTP/1.1\r\nHost: \r\nContent-Type: \r\n"
                 "X-Amz-Date: \r\nAuthorization: \r\nContent-Length: \r\n"
                 "\r\n") - 1
          + host->len + type.len + WA_SIGV4_DATE_LEN + ngx_strlen(authz)
          + NGX_SIZE_T_LEN + body.len;

    if (base->token.len) {
        len += sizeof("X-Amz-Security-Token: \r\n") - 1 + base->token.len;
    }

    out->data = ngx_pnalloc(r->pool, len);
    if (out->data == NULL) {
        wa_sigv4_free(authz);
        return NGX_ERROR;
    }

    p = ngx_sprintf(out->data, "POST / HTTP/1.1\r\nHost: %V\r\n"
                    "Content-Type: %V\r\nX-Amz-Date: %s\r\n",
                    host, &type, date);

    if (base->token.len) {
        p = ngx_sprintf(p, "X-Amz-Security-Token: %V\r\n", &base->token);
    }

    p = ngx_sprintf(p, "Authorization: %s\r\nContent-Length: %uz\r\n\r\n%V",
                    authz, body.len, &body);

    out->len = p - out->data;

    wa_sigv4_free(authz);

    return NGX_OK;
}


/*
 * AssumeRoleWithWebIdentity: unsigned, the token is the proof (STS API
 * Reference; EKS IRSA)
 */

ngx_int_t
ngx_http_webauthn_sts_web_identity_request(ngx_pool_t *pool, ngx_str_t *arn,
    ngx_str_t *session, ngx_str_t *token, ngx_str_t *host, ngx_str_t *out)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   body;

    len = sizeof("Action=AssumeRoleWithWebIdentity&Version="
                 NGX_HTTP_WEBAUTHN_STS_VERSION
                 "&RoleArn=&RoleSessionName=&WebIdentityToken=") - 1
          + 3 * (arn->len + session->len + token->len);

    body.data = ngx_pnalloc(pool, len);
    if (body.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(body.data, "Action=AssumeRoleWithWebIdentity&Version="
                   NGX_HTTP_WEBAUTHN_STS_VERSION "&RoleArn=",
                   sizeof("Action=AssumeRoleWithWebIdentity&Version="
                          NGX_HTTP_WEBAUTHN_STS_VERSION "&RoleArn=") - 1);
    p = (u_char *) ngx_escape_uri(p, arn->data, arn->len, NGX_ESCAPE_ARGS);
    p = ngx_cpymem(p, "&RoleSessionName=", sizeof("&RoleSessionName=") - 1);
    p = (u_char *) ngx_escape_uri(p, session->data, session->len,
                                  NGX_ESCAPE_ARGS);
    p = ngx_cpymem(p, "&WebIdentityToken=", sizeof("&WebIdentityToken=") - 1);
    p = (u_char *) ngx_escape_uri(p, token->data, token->len,
                                  NGX_ESCAPE_ARGS);

    body.len = p - body.data;

    len = sizeof("POST / HTTP/1.1\r\nHost: \r\nContent-Type: "
                 "application/x-www-form-urlencoded; charset=utf-8\r\n"
                 "Content-Length: \r\n\r\n") - 1
          + host->len + NGX_SIZE_T_LEN + body.len;

    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(out->data, "POST / HTTP/1.1\r\nHost: %V\r\n"
                    "Content-Type: application/x-www-form-urlencoded; "
                    "charset=utf-8\r\nContent-Length: %uz\r\n\r\n%V",
                    host, body.len, &body);

    out->len = p - out->data;

    wa_memzero(body.data, body.len);

    return NGX_OK;
}


/*
 * a user name or credential id in STS's character set: RoleSessionName
 * and SourceIdentity take 2 to 64 of [A-Za-z0-9_+=,.@-]; tag values up to
 * 256 of letters, digits, space and _.:/=+-@.  What fits is used as it
 * is; anything else is mapped into the set, cut, and given a hash suffix,
 * so that distinct people stay distinct ("Zoë O'Brien" gets a session)
 */

static u_char *
ngx_http_webauthn_sts_fit(ngx_pool_t *pool, ngx_str_t *in, ngx_uint_t max,
    ngx_uint_t tag, size_t *len)
{
    u_char      *out, c;
    size_t       i, n;
    ngx_uint_t   changed;
    u_char       digest[WA_SHA256_LEN];

    out = ngx_pnalloc(pool, max + 1);
    if (out == NULL) {
        return NULL;
    }

    changed = 0;
    n = 0;

    for (i = 0; i < in->len; i++) {
        c = in->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '='
            || c == '.' || c == '@' || c == '-'
            || (!tag && c == ',')
            || (tag && (c == ' ' || c == ':' || c == '/')))
        {
            if (n < max) {
                out[n++] = c;
            }

            continue;
        }

        changed = 1;

        if (n < max) {
            out[n++] = '-';
        }
    }

    if (in->len > max || in->len < NGX_HTTP_WEBAUTHN_STS_NAME_MIN) {
        changed = 1;
    }

    if (changed) {
        wa_sha256(digest, in->data, in->len);

        n = ngx_min(n, max - 1 - NGX_HTTP_WEBAUTHN_STS_HASH);
        out[n++] = '-';
        n = ngx_hex_dump(out + n, digest, NGX_HTTP_WEBAUTHN_STS_HASH / 2)
            - out;
    }

    *len = n;

    return out;
}
