/* SPDX-License-Identifier: MIT */
/* fmt: rule text -> the one canonical layout (mgadvise fmt). Works on the token stream of
 * a file that already parses, so it needs no AST and keeps every comment. */
#ifndef MGA_FORMAT_H
#define MGA_FORMAT_H

#include "diag.h"

/* Appends the canonical layout of text (a rule file without lexical or syntax errors) to
 * out: LF line ends, a final newline, comments kept. The result is checked to hold the
 * same tokens and comments as text; a mismatch is reported to d (E9006, source dsrc) and
 * nothing is appended. Returns false on OOM. */
bool format_source(const mem *m, mga_diags *d, int dsrc, const char *text, size_t len,
                   membuf *out);

/* The keyword of the i-th row of the layout table, or NULL past the end (for the test that
 * every keyword of the grammar has a row). */
const char *format_layout_keyword(size_t i);

#endif
