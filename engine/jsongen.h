/* SPDX-License-Identifier: MIT */
/* A yajl generator that cannot fail half-way, shared by output.c (results) and graphout.c
 * (the graph): yajl_gen_alloc does not check its second allocation (it writes through a
 * NULL), and with a print callback nothing else is allocated, so the generator draws from
 * a small pool reserved first and only that reservation can fail, cleanly. */
#ifndef MGA_JSONGEN_H
#define MGA_JSONGEN_H

#include "arena.h"

#include <stdbool.h>
#include <yajl/yajl_gen.h>

typedef struct jgen {
    const mem *m;
    unsigned char *pool;
    size_t used;
    yajl_gen g;
    yajl_print_t print; /* the caller's; jgen's own print escapes what yajl does not */
    void *ctx;
} jgen;

/* Opens j->g, printing through print(ctx, ...), indented by two spaces when pretty. Besides
 * what yajl escapes, DEL and the C1 controls (U+0080-U+009F) in strings are written as
 * \u007F and \u0080-\u009F, so that no raw control character is ever printed. False
 * when out of memory (then there is nothing to close). j must outlive the generator. */
bool jgen_open(jgen *j, const mem *m, yajl_print_t print, void *ctx, bool pretty);
void jgen_close(jgen *j);

/* A string, or null for NULL. */
void jgen_str(yajl_gen g, const char *s);

#endif
