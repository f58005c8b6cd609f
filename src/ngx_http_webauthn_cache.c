
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_http_webauthn_cache.h>
#include <ngx_http_webauthn_store.h>
#include <ngx_http_webauthn_metrics.h>


/*
 * shared memory is mapped at one address in every worker, so a node's
 * ngx_str_t may point into the node itself
 */

typedef struct {
    ngx_str_node_t                  sn;        /* crc32 and credential id */
    ngx_queue_t                     queue;
    ngx_msec_t                      expires;
    ngx_str_t                       key;
    ngx_str_t                       handle;
    u_char                          data[1];   /* id, key, handle */
} ngx_http_webauthn_cache_node_t;


static void ngx_http_webauthn_cache_expire(ngx_http_webauthn_cache_t *cache,
    ngx_uint_t n);
static void ngx_http_webauthn_cache_remove(ngx_http_webauthn_cache_t *cache,
    ngx_http_webauthn_cache_node_t *cn);


ngx_int_t
ngx_http_webauthn_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_webauthn_cache_t  *ocache = data;

    ngx_http_webauthn_cache_t  *cache;

    cache = shm_zone->data;

    return ngx_http_webauthn_zone_init(shm_zone, &cache->sh, &cache->shpool,
                                       ocache ? ocache->sh : NULL,
                                       ocache ? ocache->shpool : NULL,
                                       "webauthn_key_cache");
}


ngx_int_t
ngx_http_webauthn_zone_init(ngx_shm_zone_t *shm_zone,
    ngx_http_webauthn_zone_sh_t **sh, ngx_slab_pool_t **shpool,
    ngx_http_webauthn_zone_sh_t *old_sh, ngx_slab_pool_t *old_shpool,
    const char *directive)
{
    size_t            len;
    ngx_slab_pool_t  *pool;

    if (old_sh) {
        *sh = old_sh;
        *shpool = old_shpool;

        return NGX_OK;
    }

    pool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    *shpool = pool;

    if (shm_zone->shm.exists) {
        *sh = pool->data;

        return NGX_OK;
    }

    *sh = ngx_slab_alloc(pool, sizeof(ngx_http_webauthn_zone_sh_t));
    if (*sh == NULL) {
        return NGX_ERROR;
    }

    pool->data = *sh;

    ngx_rbtree_init(&(*sh)->rbtree, &(*sh)->sentinel,
                    ngx_str_rbtree_insert_value);

    ngx_queue_init(&(*sh)->queue);

    len = sizeof(" in  zone \"\"") + ngx_strlen(directive)
          + shm_zone->shm.name.len;

    pool->log_ctx = ngx_slab_alloc(pool, len);
    if (pool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(pool->log_ctx, " in %s zone \"%V\"%Z", directive,
                &shm_zone->shm.name);

    /* a full zone evicts its oldest entries; that is not worth a log */
    pool->log_nomem = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_cache_get(ngx_http_webauthn_cache_t *cache, ngx_str_t *id,
    ngx_pool_t *pool, ngx_str_t *key, ngx_str_t *handle)
{
    u_char                          *p;
    ngx_int_t                        rc;
    ngx_http_webauthn_cache_node_t  *cn;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = (ngx_http_webauthn_cache_node_t *)
             ngx_str_rbtree_lookup(&cache->sh->rbtree, id,
                                   ngx_crc32_short(id->data, id->len));

    if (cn == NULL) {
        ngx_http_webauthn_metrics_inc(cache_misses);
        rc = NGX_DECLINED;
        goto done;
    }

    if ((ngx_msec_int_t) (cn->expires - ngx_current_msec) <= 0) {
        ngx_http_webauthn_cache_remove(cache, cn);
        ngx_http_webauthn_metrics_inc(cache_misses);
        rc = NGX_DECLINED;
        goto done;
    }

    p = ngx_pnalloc(pool, cn->key.len + cn->handle.len);
    if (p == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    key->data = p;
    key->len = cn->key.len;
    p = ngx_cpymem(p, cn->key.data, cn->key.len);

    handle->data = p;
    handle->len = cn->handle.len;
    ngx_memcpy(p, cn->handle.data, cn->handle.len);

    ngx_queue_remove(&cn->queue);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

    ngx_http_webauthn_metrics_inc(cache_hits);

    rc = NGX_OK;

done:

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return rc;
}


void
ngx_http_webauthn_cache_put(ngx_http_webauthn_cache_t *cache, ngx_str_t *id,
    ngx_str_t *key, ngx_str_t *handle, ngx_log_t *log)
{
    u_char                          *p;
    size_t                           size;
    uint32_t                         hash;
    ngx_http_webauthn_cache_node_t  *cn;

    hash = ngx_crc32_short(id->data, id->len);
    size = offsetof(ngx_http_webauthn_cache_node_t, data)
           + id->len + key->len + handle->len;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = (ngx_http_webauthn_cache_node_t *)
             ngx_str_rbtree_lookup(&cache->sh->rbtree, id, hash);

    if (cn != NULL) {
        ngx_http_webauthn_cache_remove(cache, cn);
    }

    ngx_http_webauthn_cache_expire(cache, 1);

    cn = ngx_slab_alloc_locked(cache->shpool, size);

    if (cn == NULL) {
        ngx_http_webauthn_cache_expire(cache, 0);

        cn = ngx_slab_alloc_locked(cache->shpool, size);
        if (cn == NULL) {
            ngx_shmtx_unlock(&cache->shpool->mutex);

            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "could not allocate node%s",
                          cache->shpool->log_ctx);
            return;
        }
    }

    p = cn->data;

    cn->sn.node.key = hash;
    cn->sn.str.data = p;
    cn->sn.str.len = id->len;
    p = ngx_cpymem(p, id->data, id->len);

    cn->key.data = p;
    cn->key.len = key->len;
    p = ngx_cpymem(p, key->data, key->len);

    cn->handle.data = p;
    cn->handle.len = handle->len;
    ngx_memcpy(p, handle->data, handle->len);

    cn->expires = ngx_current_msec + cache->valid;

    ngx_rbtree_insert(&cache->sh->rbtree, &cn->sn.node);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


void
ngx_http_webauthn_cache_delete(ngx_http_webauthn_cache_t *cache,
    ngx_str_t *id)
{
    ngx_http_webauthn_cache_node_t  *cn;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = (ngx_http_webauthn_cache_node_t *)
             ngx_str_rbtree_lookup(&cache->sh->rbtree, id,
                                   ngx_crc32_short(id->data, id->len));

    if (cn != NULL) {
        ngx_http_webauthn_cache_remove(cache, cn);
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


/*
 * as in the limit_req module: n == 1 removes one or two expired entries
 * from the tail of the LRU queue; n == 0 removes the oldest entry
 * whatever its age, to make room, and then one or two expired ones
 */

static void
ngx_http_webauthn_cache_expire(ngx_http_webauthn_cache_t *cache, ngx_uint_t n)
{
    ngx_queue_t                     *q;
    ngx_http_webauthn_cache_node_t  *cn;

    while (n < 3) {

        if (ngx_queue_empty(&cache->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&cache->sh->queue);
        cn = ngx_queue_data(q, ngx_http_webauthn_cache_node_t, queue);

        if (n++ != 0
            && (ngx_msec_int_t) (cn->expires - ngx_current_msec) > 0)
        {
            return;
        }

        ngx_http_webauthn_cache_remove(cache, cn);
    }
}


/* under the zone lock */

static void
ngx_http_webauthn_cache_remove(ngx_http_webauthn_cache_t *cache,
    ngx_http_webauthn_cache_node_t *cn)
{
    ngx_queue_remove(&cn->queue);
    ngx_rbtree_delete(&cache->sh->rbtree, &cn->sn.node);
    ngx_slab_free_locked(cache->shpool, cn);
}


/* the per-worker parsed key cache */

typedef struct {
    ngx_str_node_t                  sn;        /* the base64url COSE key */
    ngx_queue_t                     queue;
    wa_pkey_t                      *pkey;
    u_char                         *fields;    /* ngx_alloc()ed, or NULL */
    ngx_str_t                       id;        /* the record's, in fields */
    ngx_str_t                       user_name;
    ngx_str_t                       roles;
    ngx_str_t                       aaguid;
} ngx_http_webauthn_pkey_node_t;


static ngx_http_webauthn_pkey_node_t *ngx_http_webauthn_pkey_lookup(
    ngx_str_t *cose_b64, uint32_t hash);
static void ngx_http_webauthn_pkey_hint(ngx_http_webauthn_pkey_node_t *pn,
    ngx_http_webauthn_cred_t *cred, ngx_pool_t *pool);
static void ngx_http_webauthn_pkey_remove(ngx_http_webauthn_pkey_node_t *pn);


static ngx_rbtree_t       ngx_http_webauthn_pkeys;
static ngx_rbtree_node_t  ngx_http_webauthn_pkeys_sentinel;
static ngx_queue_t        ngx_http_webauthn_pkeys_lru;
static ngx_uint_t         ngx_http_webauthn_pkeys_n;
static ngx_uint_t         ngx_http_webauthn_pkeys_init;


wa_err_t
ngx_http_webauthn_pkey_get(ngx_http_webauthn_cred_t *cred, ngx_pool_t *pool,
    wa_pkey_t **pkey, const char **detail, ngx_log_t *log)
{
    uint32_t                        hash;
    wa_err_t                        err;
    ngx_str_t                       cose, *cose_b64;
    ngx_queue_t                    *q;
    ngx_http_webauthn_pkey_node_t  *pn;

    cose_b64 = &cred->public_key;

    cred->hinted = 0;
    cred->read = 0;

    hash = ngx_crc32_short(cose_b64->data, cose_b64->len);

    pn = ngx_http_webauthn_pkey_lookup(cose_b64, hash);

    if (pn != NULL) {
        ngx_queue_remove(&pn->queue);
        ngx_queue_insert_head(&ngx_http_webauthn_pkeys_lru, &pn->queue);

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                       "webauthn parsed key cache hit");

        ngx_http_webauthn_pkey_hint(pn, cred, pool);

        *pkey = pn->pkey;
        return WA_OK;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                   "webauthn parsed key cache miss: parsing the key");

    if (cose_b64->len == 0
        || ngx_http_webauthn_store_decode(pool, cose_b64, &cose) != NGX_OK)
    {
        *detail = "the public_key is not base64url";
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    pn = ngx_alloc(sizeof(ngx_http_webauthn_pkey_node_t) + cose_b64->len,
                   log);
    if (pn == NULL) {
        *detail = "ngx_alloc() failed";
        return WA_ERR_INTERNAL;
    }

    ngx_memzero(pn, sizeof(ngx_http_webauthn_pkey_node_t));

    pn->sn.node.key = hash;
    pn->sn.str.data = (u_char *) &pn[1];
    pn->sn.str.len = cose_b64->len;
    ngx_memcpy(pn->sn.str.data, cose_b64->data, cose_b64->len);

    err = wa_pkey_from_cose(&pn->pkey, cose.data, cose.len, detail);

    if (err != WA_OK) {
        ngx_free(pn);
        return err;
    }

    if (ngx_http_webauthn_pkeys_n >= NGX_HTTP_WEBAUTHN_PKEYS) {
        q = ngx_queue_last(&ngx_http_webauthn_pkeys_lru);
        ngx_http_webauthn_pkey_remove(
            ngx_queue_data(q, ngx_http_webauthn_pkey_node_t, queue));
    }

    ngx_rbtree_insert(&ngx_http_webauthn_pkeys, &pn->sn.node);
    ngx_queue_insert_head(&ngx_http_webauthn_pkeys_lru, &pn->queue);
    ngx_http_webauthn_pkeys_n++;

    *pkey = pn->pkey;

    return WA_OK;
}


/* the fields a commit's reply read (cred->read), kept with the key */

void
ngx_http_webauthn_pkey_fields(ngx_http_webauthn_cred_t *cred, ngx_log_t *log)
{
    u_char                         *p;
    size_t                          len;
    ngx_http_webauthn_pkey_node_t  *pn;

    if (!cred->read) {
        return;
    }

    pn = ngx_http_webauthn_pkey_lookup(&cred->public_key,
                                       ngx_crc32_short(cred->public_key.data,
                                                       cred->public_key.len));
    if (pn == NULL) {
        return;     /* evicted since the verify: nothing to keep */
    }

    if (pn->fields != NULL) {
        ngx_free(pn->fields);
        pn->fields = NULL;
    }

    len = cred->id.len + cred->user_name.len + cred->roles.len
          + cred->aaguid.len;

    p = ngx_alloc(len + 1, log);
    if (p == NULL) {
        return;     /* no hint: the next commit checks them again */
    }

    pn->fields = p;

    pn->id.data = p;
    pn->id.len = cred->id.len;
    p = ngx_cpymem(p, cred->id.data, cred->id.len);

    pn->user_name.data = p;
    pn->user_name.len = cred->user_name.len;
    p = ngx_cpymem(p, cred->user_name.data, cred->user_name.len);

    pn->roles.data = p;
    pn->roles.len = cred->roles.len;
    p = ngx_cpymem(p, cred->roles.data, cred->roles.len);

    pn->aaguid.data = p;
    pn->aaguid.len = cred->aaguid.len;
    ngx_memcpy(p, cred->aaguid.data, cred->aaguid.len);
}


static ngx_http_webauthn_pkey_node_t *
ngx_http_webauthn_pkey_lookup(ngx_str_t *cose_b64, uint32_t hash)
{
    if (!ngx_http_webauthn_pkeys_init) {
        ngx_rbtree_init(&ngx_http_webauthn_pkeys,
                        &ngx_http_webauthn_pkeys_sentinel,
                        ngx_str_rbtree_insert_value);
        ngx_queue_init(&ngx_http_webauthn_pkeys_lru);
        ngx_http_webauthn_pkeys_init = 1;
    }

    return (ngx_http_webauthn_pkey_node_t *)
               ngx_str_rbtree_lookup(&ngx_http_webauthn_pkeys, cose_b64,
                                     hash);
}


/*
 * the fields kept with the key, when they are of this credential (one key
 * in two records is the operator's mistake, never a match), to cred
 */

static void
ngx_http_webauthn_pkey_hint(ngx_http_webauthn_pkey_node_t *pn,
    ngx_http_webauthn_cred_t *cred, ngx_pool_t *pool)
{
    if (pn->fields == NULL
        || pn->id.len != cred->id.len
        || ngx_memcmp(pn->id.data, cred->id.data, cred->id.len) != 0)
    {
        return;
    }

    if (ngx_http_webauthn_store_copy(pool, &cred->user_name,
                                     (char *) pn->user_name.data,
                                     pn->user_name.len)
        != NGX_OK
        || ngx_http_webauthn_store_copy(pool, &cred->roles,
                                        (char *) pn->roles.data,
                                        pn->roles.len)
           != NGX_OK
        || ngx_http_webauthn_store_copy(pool, &cred->aaguid,
                                        (char *) pn->aaguid.data,
                                        pn->aaguid.len)
           != NGX_OK)
    {
        return;     /* no hint: the commit reads them */
    }

    cred->hinted = 1;
}


void
ngx_http_webauthn_pkey_cleanup(void)
{
    ngx_queue_t  *q;

    if (!ngx_http_webauthn_pkeys_init) {
        return;
    }

    while (!ngx_queue_empty(&ngx_http_webauthn_pkeys_lru)) {
        q = ngx_queue_head(&ngx_http_webauthn_pkeys_lru);
        ngx_http_webauthn_pkey_remove(
            ngx_queue_data(q, ngx_http_webauthn_pkey_node_t, queue));
    }
}


static void
ngx_http_webauthn_pkey_remove(ngx_http_webauthn_pkey_node_t *pn)
{
    ngx_queue_remove(&pn->queue);
    ngx_rbtree_delete(&ngx_http_webauthn_pkeys, &pn->sn.node);
    ngx_http_webauthn_pkeys_n--;

    wa_pkey_free(pn->pkey);

    if (pn->fields != NULL) {
        ngx_free(pn->fields);
    }

    ngx_free(pn);
}


/* "zone=name:size" of a shared-memory zone directive, as limit_req's */

ngx_int_t
ngx_http_webauthn_zone_param(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *name, ssize_t *size)
{
    u_char     *p;
    ngx_str_t   s;

    name->data = value->data + 5;

    p = (u_char *) ngx_strchr(name->data, ':');

    if (p == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", value);
        return NGX_ERROR;
    }

    name->len = p - name->data;

    s.data = p + 1;
    s.len = value->data + value->len - s.data;

    *size = ngx_parse_size(&s);

    if (*size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", value);
        return NGX_ERROR;
    }

    if (*size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", value);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the zone of a directive, named once, with its init and data */

ngx_shm_zone_t *
ngx_http_webauthn_zone_add(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *name, ssize_t size, ngx_shm_zone_init_pt init, void *data)
{
    ngx_shm_zone_t  *shm_zone;

    shm_zone = ngx_shared_memory_add(cf, name, size, cmd->post);
    if (shm_zone == NULL) {
        return NULL;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", name);
        return NULL;
    }

    shm_zone->init = init;
    shm_zone->data = data;

    return shm_zone;
}


/* webauthn_key_cache zone=name:size [valid=time] | off; */

char *
ngx_http_webauthn_key_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *c = conf;

    ssize_t                     size;
    ngx_str_t                  *value, name, s;
    ngx_uint_t                  i;
    ngx_msec_t                  valid;
    ngx_shm_zone_t            **zp;
    ngx_http_webauthn_cache_t  *cache;

    zp = (ngx_shm_zone_t **) (c + cmd->offset);

    if (*zp) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0 && cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    ngx_str_null(&name);
    size = 0;
    valid = NGX_HTTP_WEBAUTHN_CACHE_VALID;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {

            if (ngx_http_webauthn_zone_param(cf, &value[i], &name, &size)
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "valid=", 6) == 0) {

            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            valid = ngx_parse_time(&s, 0);
            if (valid == (ngx_msec_t) NGX_ERROR || valid == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid valid time \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_cache_t));
    if (cache == NULL) {
        return NGX_CONF_ERROR;
    }

    cache->valid = valid;

    *zp = ngx_http_webauthn_zone_add(cf, cmd, &name, size,
                                     ngx_http_webauthn_cache_init_zone, cache);

    return *zp ? NGX_CONF_OK : NGX_CONF_ERROR;
}
