/* SPDX-License-Identifier: MIT */
/* JSON values in the CLI's services (cds.c, fhirfetch.c, lsp_rpc.c): the nesting depth of
 * JSON text, counted before yajl_tree sees it, and a yajl_tree value written
 * back through yajl_gen. */
#ifndef MGA_CLI_JSONVAL_H
#define MGA_CLI_JSONVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* The deepest nesting of arrays and objects in JSON text p (len bytes), strings
 * skipped; stops counting past max. yajl_tree's free and cli_json_gen recurse:
 * text deeper than a caller's limit is refused before it is parsed. */
size_t cli_json_depth(const char *p, size_t len, size_t max);

/* Writes v through g (recursively: v comes from text whose depth was checked).
 */
void cli_json_gen(yajl_gen g, yajl_val v);

/* JSON text p (len bytes) as yajl_tree_parse reads it (comments allowed, duplicate keys
 * kept, the same error text in err), except that the values of the root's member skip
 * that are objects or arrays are left empty: their type is kept, their contents are not
 * built. For a request whose bulk is in one member that the caller hands on as text (a
 * hook request's prefetch). Arrays and objects nested deeper than max_depth anywhere (in
 * the skipped values too) stop the parse: then *deep is set. NULL with err (cap bytes)
 * saying why; free the tree with yajl_tree_free. */
yajl_val cli_json_tree_skip(const char *p, size_t len, const char *skip, size_t max_depth,
                            bool *deep, char *err, size_t cap);

#endif
