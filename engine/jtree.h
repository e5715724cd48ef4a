/* SPDX-License-Identifier: MIT */
/* A JSON text as a yajl_val tree held in an arena: yajl's parser (its callbacks) builds
 * the nodes, the arena holds them, so a tree costs no allocation per node and is freed
 * with the arena, without recursion. The nodes are yajl_tree's own type, read with its
 * macros; a number keeps its text only (u.number.r; its flags are 0). Comments are allowed,
 * as yajl_tree_parse allows them. */
#ifndef MGA_JTREE_H
#define MGA_JTREE_H

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

typedef enum jtree_status {
    JTREE_OK,
    JTREE_SYNTAX, /* not JSON text: err holds the first line of yajl's message */
    JTREE_DEEP,   /* objects and arrays nested deeper than max_depth */
    JTREE_NOMEM,
} jtree_status;

/* The tree of text (len bytes, no NUL needed) in *out, its nodes and strings in a. On
 * failure *out is NULL and what a holds is left to the caller's arena_free. */
jtree_status jtree_parse(arena *a, const char *text, size_t len, size_t max_depth,
                         yajl_val *out, char *err, size_t cap);

#endif
