/* SPDX-License-Identifier: MIT */
/* Memory: the allocator hook, sized-header allocation for libraries that free without a
 * size (yajl, flex), and bump arenas that free everything at once. Shared by every pass. */
#ifndef MGA_ARENA_H
#define MGA_ARENA_H

#include "mgadvise.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct mem {
    mga_realloc_fn fn;
    void *ud;
} mem;

void mem_init_default(mem *m);
void *mem_alloc(const mem *m, size_t n);
void *mem_realloc(const mem *m, void *p, size_t old, size_t n);
void mem_free(const mem *m, void *p, size_t n);

/* With a hidden size header: for callers whose free() does not pass the size. */
void *mem_halloc(const mem *m, size_t n);
void *mem_hrealloc(const mem *m, void *p, size_t n);
void mem_hfree(const mem *m, void *p);

typedef struct arena_block arena_block;
typedef struct arena {
    const mem *m;
    arena_block *head;
    size_t used, cap; /* in head */
} arena;

void arena_init(arena *a, const mem *m);
void *arena_alloc(arena *a, size_t n); /* zeroed, 16-byte aligned; NULL on OOM */
void *arena_alloc_uninit(arena *a, size_t n); /* the same, not zeroed: for copies */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
/* Keeps the first block, frees the rest: for per-record reuse without reallocating. */
void arena_reset(arena *a);
void arena_free(arena *a);

/* A growable byte buffer on the allocator (not an arena): for text built piece by piece. */
typedef struct membuf {
    char *p;
    size_t len, cap;
} membuf;
bool membuf_add(const mem *m, membuf *b, const char *s, size_t n); /* false on OOM */
void membuf_free(const mem *m, membuf *b);

/* Output built piece by piece that remembers running out of memory, so a writer appends
 * freely and checks oom once at the end (the results, the graph, explain, rule tests). */
typedef struct outbuf {
    const mem *m;
    membuf b;
    bool oom;
} outbuf;
void outbuf_put(outbuf *o, const char *s, size_t n);
void outbuf_printf(outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable array inside an arena: old storage is abandoned to the arena on growth. */
typedef struct vec {
    void *data;
    size_t len, cap;
} vec;
/* Makes room for one more element of size elem; returns its address or NULL on OOM. */
void *vec_push(arena *a, vec *v, size_t elem);

#endif
