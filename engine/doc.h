/* SPDX-License-Identifier: MIT */
/* Doc comments: the comment text that describes a declaration, taken from the source text
 * around it (the lexer drops comments; the formatter too reads them from the gaps between
 * tokens). Used by the graph build for profile fields (mga_field_info.description). */
#ifndef MGA_DOC_H
#define MGA_DOC_H

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>

/* The description of the declaration whose first token starts at text[off]: the whole-line
 * comments right above its line (no blank line between), then the comments after code on
 * its own lines (its line and the continuation lines up to, not including, a line whose
 * code starts at or after next, that starts with 'end', is blank or holds only a comment),
 * each without its '#' and surrounding white space, joined by one space. *out is NULL when there is none,
 * else a copy in a. False on OOM. */
bool doc_comment(arena *a, const char *text, size_t len, size_t off, size_t next,
                 const char **out);

#endif
