/* SPDX-License-Identifier: MIT */
/* Memory: allocator hook, sized headers and bump arenas (see arena.h). */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *libc_realloc(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}

void mem_init_default(mem *m)
{
    m->fn = libc_realloc;
    m->ud = NULL;
}

void *mem_alloc(const mem *m, size_t n)
{
    return n ? m->fn(m->ud, NULL, 0, n) : NULL;
}

void *mem_realloc(const mem *m, void *p, size_t old, size_t n)
{
    return m->fn(m->ud, p, old, n);
}

void mem_free(const mem *m, void *p, size_t n)
{
    if (p)
        m->fn(m->ud, p, n, 0);
}

#define HDR 16 /* keeps max_align_t alignment */

void *mem_halloc(const mem *m, size_t n)
{
    if (n > SIZE_MAX - HDR)
        return NULL;
    unsigned char *p = mem_alloc(m, n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + HDR;
}

void *mem_hrealloc(const mem *m, void *p, size_t n)
{
    if (!p)
        return mem_halloc(m, n);
    if (n > SIZE_MAX - HDR)
        return NULL;
    unsigned char *base = (unsigned char *)p - HDR;
    size_t old;
    memcpy(&old, base, sizeof old);
    unsigned char *q = mem_realloc(m, base, old + HDR, n + HDR);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof n);
    return q + HDR;
}

void mem_hfree(const mem *m, void *p)
{
    if (!p)
        return;
    unsigned char *base = (unsigned char *)p - HDR;
    size_t old;
    memcpy(&old, base, sizeof old);
    mem_free(m, base, old + HDR);
}

struct arena_block {
    arena_block *next;
    size_t size; /* bytes after the header */
};

#define BLOCK_MIN 16384
#define ALIGN_UP(x) (((x) + 15u) & ~(size_t)15u)
#define BLOCK_HDR ALIGN_UP(sizeof(arena_block))

void arena_init(arena *a, const mem *m)
{
    a->m = m;
    a->head = NULL;
    a->used = a->cap = 0;
}

/* n bytes, zeroed when zero: what the caller overwrites at once (a copy) need not be. */
static void *take(arena *a, size_t n, bool zero)
{
    n = ALIGN_UP(n ? n : 1);
    if (!a->head || a->cap - a->used < n) {
        if (n > SIZE_MAX / 2)
            return NULL;
        size_t size = n > BLOCK_MIN ? n : BLOCK_MIN;
        arena_block *b = mem_alloc(a->m, BLOCK_HDR + size);
        if (!b)
            return NULL;
        b->size = size;
        if (a->head && n > BLOCK_MIN / 4 && a->cap - a->used >= BLOCK_MIN / 4) {
            /* A large request gets its own block behind the head, so the head's free
             * space is not wasted. */
            b->next = a->head->next;
            a->head->next = b;
            unsigned char *p = (unsigned char *)b + BLOCK_HDR;
            if (zero)
                memset(p, 0, n);
            return p;
        }
        b->next = a->head;
        a->head = b;
        a->used = 0;
        a->cap = size;
    }
    unsigned char *p = (unsigned char *)a->head + BLOCK_HDR + a->used;
    a->used += n;
    if (zero)
        memset(p, 0, n);
    return p;
}

void *arena_alloc(arena *a, size_t n)
{
    return take(a, n, true);
}

void *arena_alloc_uninit(arena *a, size_t n)
{
    return take(a, n, false);
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc_uninit(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

static void free_chain(const mem *m, arena_block *b)
{
    while (b) {
        arena_block *next = b->next;
        mem_free(m, b, BLOCK_HDR + b->size);
        b = next;
    }
}

void arena_reset(arena *a)
{
    if (!a->head)
        return;
    /* Keep the largest-capacity head only if it is a normal block. */
    free_chain(a->m, a->head->next);
    a->head->next = NULL;
    a->used = 0;
    a->cap = a->head->size;
}

void arena_free(arena *a)
{
    free_chain(a->m, a->head);
    a->head = NULL;
    a->used = a->cap = 0;
}

void *vec_push(arena *a, vec *v, size_t elem)
{
    if (v->len == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 8;
        if (ncap > SIZE_MAX / elem)
            return NULL;
        void *nd = arena_alloc(a, ncap * elem);
        if (!nd)
            return NULL;
        if (v->len)
            memcpy(nd, v->data, v->len * elem);
        v->data = nd;
        v->cap = ncap;
    }
    unsigned char *slot = (unsigned char *)v->data + v->len * elem;
    v->len++;
    memset(slot, 0, elem);
    return slot;
}

bool membuf_add(const mem *m, membuf *b, const char *s, size_t n)
{
    if (n > SIZE_MAX / 2 - b->len)
        return false;
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap < b->len + n)
            ncap *= 2;
        char *np = mem_realloc(m, b->p, b->cap, ncap);
        if (!np)
            return false;
        b->p = np;
        b->cap = ncap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

void membuf_free(const mem *m, membuf *b)
{
    mem_free(m, b->p, b->cap);
    b->p = NULL;
    b->len = b->cap = 0;
}

void outbuf_put(outbuf *o, const char *s, size_t n)
{
    if (!o->oom && n && !membuf_add(o->m, &o->b, s, n))
        o->oom = true;
}

void outbuf_printf(outbuf *o, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n <= 0 || o->oom)
        return;
    if ((size_t)n < sizeof buf) {
        outbuf_put(o, buf, (size_t)n);
        return;
    }
    char *big = mem_alloc(o->m, (size_t)n + 1); /* long condition texts */
    if (!big) {
        o->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    outbuf_put(o, big, (size_t)n);
    mem_free(o->m, big, (size_t)n + 1);
}
