
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <ngx_http_webauthn.h>


#define NGX_HTTP_WEBAUTHN_VAR_ERROR  0x01     /* set for refusals too */


typedef struct {
    ngx_str_t                        name;
    uintptr_t                        offset;   /* an ngx_str_t of the ctx */
    ngx_uint_t                       flags;
} ngx_http_webauthn_var_t;


static ngx_int_t ngx_http_webauthn_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_webauthn_var_t  ngx_http_webauthn_vars[] = {

    { ngx_string("webauthn_user"),
      offsetof(ngx_http_webauthn_ctx_t, cred.user_name), 0 },

    { ngx_string("webauthn_user_handle"),
      offsetof(ngx_http_webauthn_ctx_t, cred.handle), 0 },

    /* set for refusals too: the credential the client presented */

    { ngx_string("webauthn_credential_id"),
      offsetof(ngx_http_webauthn_ctx_t, cred.id), NGX_HTTP_WEBAUTHN_VAR_ERROR },

    { ngx_string("webauthn_roles"),
      offsetof(ngx_http_webauthn_ctx_t, cred.roles), 0 },

    { ngx_string("webauthn_sign_count"),
      offsetof(ngx_http_webauthn_ctx_t, sign_count), 0 },

    { ngx_string("webauthn_user_verified"),
      offsetof(ngx_http_webauthn_ctx_t, user_verified), 0 },

    { ngx_string("webauthn_aaguid"),
      offsetof(ngx_http_webauthn_ctx_t, cred.aaguid), 0 },

    { ngx_string("webauthn_auth_method"),
      offsetof(ngx_http_webauthn_ctx_t, auth_method), 0 },

    { ngx_string("webauthn_aws_role"),
      offsetof(ngx_http_webauthn_ctx_t, aws_role), 0 },

    { ngx_string("webauthn_aws_access_key"),
      offsetof(ngx_http_webauthn_ctx_t, aws.access_key), 0 },

    { ngx_string("webauthn_error"),
      offsetof(ngx_http_webauthn_ctx_t, error), NGX_HTTP_WEBAUTHN_VAR_ERROR },

    { ngx_null_string, 0, 0 }
};


ngx_int_t
ngx_http_webauthn_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t      *var;
    ngx_http_webauthn_var_t  *v;

    for (v = ngx_http_webauthn_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, NGX_HTTP_VAR_NOCACHEABLE);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = ngx_http_webauthn_variable;
        var->data = (uintptr_t) v;
    }

    return NGX_OK;
}


/*
 * the values of the request's check: stored fields were checked when read
 * (design.md, "Record fields"), so none holds a control character
 */

static ngx_int_t
ngx_http_webauthn_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_webauthn_var_t *var = (ngx_http_webauthn_var_t *) data;

    ngx_str_t                *s;
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_webauthn_get_ctx(r);

    if (ctx == NULL
        || (!(var->flags & NGX_HTTP_WEBAUTHN_VAR_ERROR)
            && (!ctx->done || !ctx->verified || ctx->err != WA_OK)))
    {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + var->offset);

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}
