
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#ifndef _NGX_HTTP_WEBAUTHN_CACHE_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_CACHE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <wa_core.h>
#include <ngx_http_webauthn_store.h>


/*
 * A shared-memory cache of credential public keys and user handles, keyed
 * by credential id, shared by all workers: an rbtree of crc32 hashes with
 * an LRU queue, in a slab pool, as in the limit_req module.  Entries are
 * immutable facts about a credential; revocation, roles and the sign
 * counter are always read from Redis when an assertion is committed.
 */


/* the shared part of the module's zones: an rbtree and an LRU queue */

typedef struct {
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
    ngx_queue_t                     queue;
} ngx_http_webauthn_zone_sh_t;

typedef ngx_http_webauthn_zone_sh_t  ngx_http_webauthn_cache_sh_t;


typedef struct {
    ngx_http_webauthn_cache_sh_t   *sh;
    ngx_slab_pool_t                *shpool;
    ngx_msec_t                      valid;
} ngx_http_webauthn_cache_t;


#define NGX_HTTP_WEBAUTHN_CACHE_VALID  600000     /* ms */


/*
 * "webauthn_key_cache": the zone into the pointer at cmd->offset;
 * cmd->post is the module
 */
char *ngx_http_webauthn_key_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* "zone=name:size": NGX_OK, or NGX_ERROR with the message logged */
ngx_int_t ngx_http_webauthn_zone_param(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *name, ssize_t *size);
/* adds the zone (tag: cmd->post); NULL when it fails or is a duplicate */
/*
 * a zone's init_zone, as limit_req's: the old zone's tree on reload, else
 * a new tree and queue, and the log context " in <directive> zone "name""
 * (no log of a full zone: its oldest entries are evicted)
 */
ngx_int_t ngx_http_webauthn_zone_init(ngx_shm_zone_t *shm_zone,
    ngx_http_webauthn_zone_sh_t **sh, ngx_slab_pool_t **shpool,
    ngx_http_webauthn_zone_sh_t *old_sh, ngx_slab_pool_t *old_shpool,
    const char *directive);
ngx_shm_zone_t *ngx_http_webauthn_zone_add(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *name, ssize_t size,
    ngx_shm_zone_init_pt init, void *data);

ngx_int_t ngx_http_webauthn_cache_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);

/*
 * NGX_OK with copies of the public key (COSE) and user handle in pool,
 * NGX_DECLINED when absent or expired, NGX_ERROR on allocation failure
 */
ngx_int_t ngx_http_webauthn_cache_get(ngx_http_webauthn_cache_t *cache,
    ngx_str_t *id, ngx_pool_t *pool, ngx_str_t *key, ngx_str_t *handle);

void ngx_http_webauthn_cache_put(ngx_http_webauthn_cache_t *cache,
    ngx_str_t *id, ngx_str_t *key, ngx_str_t *handle, ngx_log_t *log);

void ngx_http_webauthn_cache_delete(ngx_http_webauthn_cache_t *cache,
    ngx_str_t *id);


/*
 * Per worker: parsed verification keys (OpenSSL objects cannot live in
 * shared memory), keyed by the exact base64url COSE key as stored, so an
 * entry can never be stale.  A hit saves decoding the key and building
 * the EVP_PKEY.  The key returned is borrowed: it stays valid until the
 * next call.
 *
 * An entry also keeps the user_name, roles and aaguid of the record that
 * holds the key, as the last commit reply read them (checked): with the
 * key, they go to cred (in pool) and cred->hinted is set.  The commit
 * script compares them with the record and, when they are the same,
 * neither checks them again nor sends them back (design.md, "Commit
 * replies"), so they are a hint: never trusted without that comparison.
 * ngx_http_webauthn_pkey_fields() keeps what a reply read (cred->read).
 */

#define NGX_HTTP_WEBAUTHN_PKEYS  1024

wa_err_t ngx_http_webauthn_pkey_get(ngx_http_webauthn_cred_t *cred,
    ngx_pool_t *pool, wa_pkey_t **pkey, const char **detail,
    ngx_log_t *log);
void ngx_http_webauthn_pkey_fields(ngx_http_webauthn_cred_t *cred,
    ngx_log_t *log);
void ngx_http_webauthn_pkey_cleanup(void);


#endif /* _NGX_HTTP_WEBAUTHN_CACHE_H_INCLUDED_ */
