
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include "ngx_http_webauthn_cache.h"


typedef struct {
    u_char                          color;
    u_char                          dummy;
    u_short                         id_len;
    ngx_queue_t                     queue;
    ngx_msec_t                      expires;
    u_short                         key_len;
    u_short                         handle_len;
    u_char                          data[1];    /* id, key, handle */
} ngx_http_webauthn_cache_node_t;


static void ngx_http_webauthn_cache_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_webauthn_cache_node_t *ngx_http_webauthn_cache_lookup(
    ngx_http_webauthn_cache_t *cache, ngx_str_t *id, uint32_t hash);
static void ngx_http_webauthn_cache_expire(ngx_http_webauthn_cache_t *cache,
    ngx_uint_t n);
static void ngx_http_webauthn_cache_remove(ngx_http_webauthn_cache_t *cache,
    ngx_http_webauthn_cache_node_t *cn);


ngx_int_t
ngx_http_webauthn_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_webauthn_cache_t  *ocache = data;

    size_t                      len;
    ngx_http_webauthn_cache_t  *cache;

    cache = shm_zone->data;

    if (ocache) {
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;

        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        cache->sh = cache->shpool->data;

        return NGX_OK;
    }

    cache->sh = ngx_slab_alloc(cache->shpool,
                               sizeof(ngx_http_webauthn_cache_sh_t));
    if (cache->sh == NULL) {
        return NGX_ERROR;
    }

    cache->shpool->data = cache->sh;

    ngx_rbtree_init(&cache->sh->rbtree, &cache->sh->sentinel,
                    ngx_http_webauthn_cache_rbtree_insert_value);

    ngx_queue_init(&cache->sh->queue);

    len = sizeof(" in webauthn_key_cache zone \"\"") + shm_zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in webauthn_key_cache zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full cache evicts its oldest entries; that is not worth a log */
    cache->shpool->log_nomem = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_cache_get(ngx_http_webauthn_cache_t *cache, ngx_str_t *id,
    ngx_pool_t *pool, ngx_str_t *key, ngx_str_t *handle)
{
    u_char                          *p;
    uint32_t                         hash;
    ngx_int_t                        rc;
    ngx_http_webauthn_cache_node_t  *cn;

    hash = ngx_crc32_short(id->data, id->len);

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_webauthn_cache_lookup(cache, id, hash);

    if (cn == NULL) {
        rc = NGX_DECLINED;
        goto done;
    }

    if ((ngx_msec_int_t) (cn->expires - ngx_current_msec) <= 0) {
        ngx_http_webauthn_cache_remove(cache, cn);
        rc = NGX_DECLINED;
        goto done;
    }

    p = ngx_pnalloc(pool, cn->key_len + cn->handle_len + 1);
    if (p == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    key->data = p;
    key->len = cn->key_len;
    p = ngx_cpymem(p, cn->data + cn->id_len, cn->key_len);

    handle->data = p;
    handle->len = cn->handle_len;
    ngx_memcpy(p, cn->data + cn->id_len + cn->key_len, cn->handle_len);

    ngx_queue_remove(&cn->queue);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

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
    ngx_rbtree_node_t               *node;
    ngx_http_webauthn_cache_node_t  *cn;

    if (id->len > 0xffff || key->len > 0xffff || handle->len > 0xffff) {
        return;
    }

    hash = ngx_crc32_short(id->data, id->len);

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_webauthn_cache_node_t, data)
           + id->len + key->len + handle->len;

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_webauthn_cache_lookup(cache, id, hash);

    if (cn != NULL) {
        ngx_http_webauthn_cache_remove(cache, cn);
    }

    ngx_http_webauthn_cache_expire(cache, 1);

    node = ngx_slab_alloc_locked(cache->shpool, size);

    if (node == NULL) {
        ngx_http_webauthn_cache_expire(cache, 0);

        node = ngx_slab_alloc_locked(cache->shpool, size);
        if (node == NULL) {
            ngx_shmtx_unlock(&cache->shpool->mutex);

            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "could not allocate node%s",
                          cache->shpool->log_ctx);
            return;
        }
    }

    node->key = hash;

    cn = (ngx_http_webauthn_cache_node_t *) &node->color;

    cn->id_len = (u_short) id->len;
    cn->key_len = (u_short) key->len;
    cn->handle_len = (u_short) handle->len;
    cn->expires = ngx_current_msec + cache->valid;

    p = ngx_cpymem(cn->data, id->data, id->len);
    p = ngx_cpymem(p, key->data, key->len);
    ngx_memcpy(p, handle->data, handle->len);

    ngx_rbtree_insert(&cache->sh->rbtree, node);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


void
ngx_http_webauthn_cache_delete(ngx_http_webauthn_cache_t *cache,
    ngx_str_t *id)
{
    uint32_t                         hash;
    ngx_http_webauthn_cache_node_t  *cn;

    hash = ngx_crc32_short(id->data, id->len);

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_webauthn_cache_lookup(cache, id, hash);

    if (cn != NULL) {
        ngx_http_webauthn_cache_remove(cache, cn);
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


static ngx_http_webauthn_cache_node_t *
ngx_http_webauthn_cache_lookup(ngx_http_webauthn_cache_t *cache,
    ngx_str_t *id, uint32_t hash)
{
    ngx_int_t                        rc;
    ngx_rbtree_node_t               *node, *sentinel;
    ngx_http_webauthn_cache_node_t  *cn;

    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        /* hash == node->key */

        cn = (ngx_http_webauthn_cache_node_t *) &node->color;

        rc = ngx_memn2cmp(id->data, cn->data, id->len, (size_t) cn->id_len);

        if (rc == 0) {
            return cn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_webauthn_cache_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t               **p;
    ngx_http_webauthn_cache_node_t   *cn, *cnt;

    for ( ;; ) {

        if (node->key < temp->key) {

            p = &temp->left;

        } else if (node->key > temp->key) {

            p = &temp->right;

        } else { /* node->key == temp->key */

            cn = (ngx_http_webauthn_cache_node_t *) &node->color;
            cnt = (ngx_http_webauthn_cache_node_t *) &temp->color;

            p = (ngx_memn2cmp(cn->data, cnt->data, cn->id_len, cnt->id_len)
                 < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/*
 * n == 1 removes at most two expired entries from the tail of the LRU
 * queue; n == 0 removes the oldest entry whatever its age, to make room
 */

static void
ngx_http_webauthn_cache_expire(ngx_http_webauthn_cache_t *cache, ngx_uint_t n)
{
    ngx_uint_t                       i;
    ngx_queue_t                     *q;
    ngx_http_webauthn_cache_node_t  *cn;

    for (i = 0; i < 3; i++) {

        if (ngx_queue_empty(&cache->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&cache->sh->queue);
        cn = ngx_queue_data(q, ngx_http_webauthn_cache_node_t, queue);

        if (n && (ngx_msec_int_t) (cn->expires - ngx_current_msec) > 0) {
            return;
        }

        ngx_http_webauthn_cache_remove(cache, cn);

        if (!n && i > 0) {
            return;
        }
    }
}


/* under the zone lock */

static void
ngx_http_webauthn_cache_remove(ngx_http_webauthn_cache_t *cache,
    ngx_http_webauthn_cache_node_t *cn)
{
    ngx_rbtree_node_t  *node;

    node = (ngx_rbtree_node_t *)
               ((u_char *) cn - offsetof(ngx_rbtree_node_t, color));

    ngx_queue_remove(&cn->queue);
    ngx_rbtree_delete(&cache->sh->rbtree, node);
    ngx_slab_free_locked(cache->shpool, node);
}


/* the per-worker parsed key cache */

typedef struct {
    ngx_rbtree_node_t               node;
    ngx_queue_t                     queue;
    ngx_str_t                       cose;      /* base64url, as stored */
    wa_pkey_t                      *pkey;
} ngx_http_webauthn_pkey_node_t;


static ngx_http_webauthn_pkey_node_t *ngx_http_webauthn_pkey_lookup(
    ngx_str_t *cose, uint32_t hash);
static void ngx_http_webauthn_pkey_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_webauthn_pkey_remove(ngx_http_webauthn_pkey_node_t *pn);


static ngx_rbtree_t       ngx_http_webauthn_pkeys;
static ngx_rbtree_node_t  ngx_http_webauthn_pkeys_sentinel;
static ngx_queue_t        ngx_http_webauthn_pkeys_lru;
static ngx_uint_t         ngx_http_webauthn_pkeys_n;
static ngx_uint_t         ngx_http_webauthn_pkeys_init;


wa_err_t
ngx_http_webauthn_pkey_get(ngx_str_t *cose_b64, wa_pkey_t **pkey,
    const char **detail, ngx_log_t *log)
{
    u_char                         *cose;
    size_t                          len;
    uint32_t                        hash;
    wa_err_t                        err;
    ngx_queue_t                    *q;
    ngx_http_webauthn_pkey_node_t  *pn;

    if (!ngx_http_webauthn_pkeys_init) {
        ngx_rbtree_init(&ngx_http_webauthn_pkeys,
                        &ngx_http_webauthn_pkeys_sentinel,
                        ngx_http_webauthn_pkey_insert_value);
        ngx_queue_init(&ngx_http_webauthn_pkeys_lru);
        ngx_http_webauthn_pkeys_init = 1;
    }

    hash = ngx_crc32_short(cose_b64->data, cose_b64->len);

    pn = ngx_http_webauthn_pkey_lookup(cose_b64, hash);

    if (pn != NULL) {
        ngx_queue_remove(&pn->queue);
        ngx_queue_insert_head(&ngx_http_webauthn_pkeys_lru, &pn->queue);

        *pkey = pn->pkey;
        return WA_OK;
    }

    pn = ngx_alloc(sizeof(ngx_http_webauthn_pkey_node_t) + cose_b64->len
                   + wa_b64url_decoded_max(cose_b64->len), log);
    if (pn == NULL) {
        return WA_ERR_INTERNAL;
    }

    pn->cose.data = (u_char *) &pn[1];
    pn->cose.len = cose_b64->len;
    ngx_memcpy(pn->cose.data, cose_b64->data, cose_b64->len);

    cose = pn->cose.data + pn->cose.len;

    if (cose_b64->len == 0
        || wa_b64url_decode(cose, &len, cose_b64->data, cose_b64->len) != 0)
    {
        ngx_free(pn);
        *detail = "the public_key is not base64url";
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    err = wa_pkey_from_cose(&pn->pkey, cose, len, detail);

    if (err != WA_OK) {
        ngx_free(pn);
        return err;
    }

    if (ngx_http_webauthn_pkeys_n >= NGX_HTTP_WEBAUTHN_PKEYS) {
        q = ngx_queue_last(&ngx_http_webauthn_pkeys_lru);
        ngx_http_webauthn_pkey_remove(
            ngx_queue_data(q, ngx_http_webauthn_pkey_node_t, queue));
    }

    pn->node.key = hash;
    ngx_rbtree_insert(&ngx_http_webauthn_pkeys, &pn->node);
    ngx_queue_insert_head(&ngx_http_webauthn_pkeys_lru, &pn->queue);
    ngx_http_webauthn_pkeys_n++;

    *pkey = pn->pkey;

    return WA_OK;
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


static ngx_http_webauthn_pkey_node_t *
ngx_http_webauthn_pkey_lookup(ngx_str_t *cose, uint32_t hash)
{
    ngx_int_t                       rc;
    ngx_rbtree_node_t              *node, *sentinel;
    ngx_http_webauthn_pkey_node_t  *pn;

    node = ngx_http_webauthn_pkeys.root;
    sentinel = ngx_http_webauthn_pkeys.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        pn = (ngx_http_webauthn_pkey_node_t *) node;

        rc = ngx_memn2cmp(cose->data, pn->cose.data, cose->len, pn->cose.len);

        if (rc == 0) {
            return pn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_webauthn_pkey_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t              **p;
    ngx_http_webauthn_pkey_node_t   *pn, *pnt;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            pn = (ngx_http_webauthn_pkey_node_t *) node;
            pnt = (ngx_http_webauthn_pkey_node_t *) temp;

            p = (ngx_memn2cmp(pn->cose.data, pnt->cose.data, pn->cose.len,
                              pnt->cose.len)
                 < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static void
ngx_http_webauthn_pkey_remove(ngx_http_webauthn_pkey_node_t *pn)
{
    ngx_queue_remove(&pn->queue);
    ngx_rbtree_delete(&ngx_http_webauthn_pkeys, &pn->node);
    ngx_http_webauthn_pkeys_n--;

    wa_pkey_free(pn->pkey);
    ngx_free(pn);
}
