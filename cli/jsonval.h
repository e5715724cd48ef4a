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

#endif
