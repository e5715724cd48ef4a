/* SPDX-License-Identifier: MIT */
/* The pooled yajl generator (see jsongen.h). */
#include "jsongen.h"

#include <string.h>

#define POOL_SIZE 8192

static void *pool_malloc(void *ctx, size_t n)
{
    jgen *j = ctx;
    size_t need = (n + 15) & ~(size_t)15;
    if (n > POOL_SIZE || need > POOL_SIZE - j->used)
        return NULL; /* not reached: yajl's fixed structures fit */
    void *p = j->pool + j->used;
    j->used += need;
    return p;
}

static void *pool_realloc(void *ctx, void *p, size_t n)
{
    (void)p;
    return pool_malloc(ctx, n);
}

static void pool_free(void *ctx, void *p)
{
    (void)ctx;
    (void)p; /* the pool is released whole */
}

bool jgen_open(jgen *j, const mem *m, yajl_print_t print, void *ctx, bool pretty)
{
    j->m = m;
    j->used = 0;
    j->g = NULL;
    j->pool = mem_alloc(m, POOL_SIZE);
    if (!j->pool)
        return false;
    yajl_alloc_funcs af = {pool_malloc, pool_realloc, pool_free, j};
    j->g = yajl_gen_alloc(&af);
    if (!j->g) {
        mem_free(m, j->pool, POOL_SIZE);
        return false;
    }
    yajl_gen_config(j->g, yajl_gen_print_callback, print, ctx);
    if (pretty) {
        yajl_gen_config(j->g, yajl_gen_beautify, 1);
        yajl_gen_config(j->g, yajl_gen_indent_string, "  ");
    }
    return true;
}

void jgen_close(jgen *j)
{
    yajl_gen_free(j->g);
    mem_free(j->m, j->pool, POOL_SIZE);
}

void jgen_str(yajl_gen g, const char *s)
{
    if (s)
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    else
        yajl_gen_null(g);
}
