/* SPDX-License-Identifier: MIT */
/* The pool yajl's parser allocates from (ypool.h). */
#include "ypool.h"

#include <stdint.h>
#include <string.h>

#define YPOOL_FIXED 16384
#define YHDR 16

size_t ypool_size(size_t len)
{
    return len > (SIZE_MAX - YPOOL_FIXED) / 4 ? 0 : YPOOL_FIXED + 4 * len;
}

static void *y_malloc(void *ctx, size_t n)
{
    ypool *yp = ctx;
    size_t need = n > yp->cap ? SIZE_MAX : YHDR + ((n + 15) & ~(size_t)15);
    if (need > yp->cap - yp->used)
        return NULL; /* beyond the bound above: not reached */
    unsigned char *p = yp->base + yp->used;
    memcpy(p, &n, sizeof n);
    yp->used += need;
    return p + YHDR;
}

static void *y_realloc(void *ctx, void *p, size_t n)
{
    ypool *yp = ctx;
    if (!p)
        return y_malloc(ctx, n);
    size_t old;
    memcpy(&old, (unsigned char *)p - YHDR, sizeof old);
    size_t at = (size_t)((unsigned char *)p - yp->base);
    if (at + ((old + 15) & ~(size_t)15) == yp->used) {
        /* the last block grows in place */
        size_t need = n > yp->cap ? SIZE_MAX : (n + 15) & ~(size_t)15;
        if (need > yp->cap - at)
            return NULL;
        yp->used = at + need;
        memcpy((unsigned char *)p - YHDR, &n, sizeof n);
        return p;
    }
    void *q = y_malloc(ctx, n);
    if (q)
        memcpy(q, p, old < n ? old : n);
    return q;
}

static void y_free(void *ctx, void *p)
{
    (void)ctx;
    (void)p; /* the pool is dropped whole */
}

yajl_alloc_funcs ypool_funcs(ypool *yp)
{
    return (yajl_alloc_funcs){y_malloc, y_realloc, y_free, yp};
}
