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

/* yajl prints a string in runs cut only at the ASCII characters it escapes, so a two-byte
 * character never straddles two calls; DEL and C1 bytes occur only inside strings. */
static void print_escaped(void *ctx, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    jgen *j = ctx;
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != 0x7F && !(c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] < 0xA0))
            continue;
        if (i > run)
            j->print(j->ctx, s + run, i - run);
        if (c == 0xC2)
            c = (unsigned char)s[++i];
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        j->print(j->ctx, u, sizeof u);
        run = i + 1;
    }
    if (len > run)
        j->print(j->ctx, s + run, len - run);
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
    j->print = print;
    j->ctx = ctx;
    yajl_gen_config(j->g, yajl_gen_print_callback, print_escaped, j);
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
