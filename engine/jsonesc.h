/* SPDX-License-Identifier: MIT */
/* The one JSON string writer besides yajl_gen, for output built in an outbuf (the fast
 * result writer in output.c, explain). It writes the bytes yajl_gen writes for a string
 * (default options: quotes, backslashes and control characters escaped, \u00XX in upper
 * case, '/' and non-ASCII bytes as they are), and escapes DEL and the C1 controls
 * (U+0080-U+009F) as jsongen.c makes yajl do: no raw control character in any output.
 * test_output compares the result writer's bytes with yajl_gen's. */
#ifndef MGA_JSONESC_H
#define MGA_JSONESC_H

#include "arena.h"

#include <stdbool.h>
#include <string.h>

/* Appends n bytes; inline so that copies of literals compile to a few moves. */
static inline void outbuf_add(outbuf *w, const char *s, size_t n)
{
    if (w->b.cap - w->b.len >= n) {
        memcpy(w->b.p + w->b.len, s, n);
        w->b.len += n;
    } else {
        outbuf_put(w, s, n);
    }
}

/* The n bytes of s (valid UTF-8; NULL when n is 0) as a quoted JSON string. */
void json_esc(outbuf *w, const char *s, size_t n);

/* A NUL-terminated string, or null for NULL. */
static inline void json_str(outbuf *w, const char *s)
{
    if (s)
        json_esc(w, s, strlen(s));
    else
        outbuf_add(w, "null", 4);
}

/* A profile's id as it was given: a string quoted, an integer's digits as they are (the
 * profile reader let only -?[0-9]+ through as a number), null for NULL. */
static inline void json_id(outbuf *w, const char *id, bool number)
{
    if (id && number)
        outbuf_add(w, id, strlen(id));
    else
        json_str(w, id);
}

#endif
