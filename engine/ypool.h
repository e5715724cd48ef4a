/* SPDX-License-Identifier: MIT */
/* yajl does not check its own allocations (it writes through a NULL), so its parser
 * allocates from a pool reserved before parsing starts: only the reservation can fail,
 * and it fails cleanly. The pool holds yajl's fixed structures, its state stack (up to the
 * caller's depth limit, at most a few hundred levels) and two buffers no longer than the
 * longest token, each at most doubled when grown; blocks are never reused, so every block
 * is counted twice. Used by the profile reader and the JSON tree (jtree.c). */
#ifndef MGA_YPOOL_H
#define MGA_YPOOL_H

#include <stddef.h>
#include <yajl/yajl_common.h>

typedef struct ypool {
    unsigned char *base;
    size_t cap, used;
} ypool;

/* The bytes a pool needs to parse len bytes of JSON text; 0 when that overflows. */
size_t ypool_size(size_t len);

/* The functions to pass to yajl_alloc: they draw from yp, whose base and cap the caller
 * set (used 0); a free leaves the memory to the pool, which the caller drops whole. */
yajl_alloc_funcs ypool_funcs(ypool *yp);

#endif
