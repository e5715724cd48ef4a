/* SPDX-License-Identifier: MIT */
/* Check pass (optional): every cited quote must occur in its source document, ignoring
 * case, runs of white space and typographic quote marks. */
#ifndef MGA_QUOTE_H
#define MGA_QUOTE_H

#include "ast.h"
#include "diag.h"

/* Reads each cited source's `file` from dir. Returns false on OOM only. */
bool quote_check(const ast_program *p, mga_diags *d, const int *dsrc, const char *dir);

/* Normalises s into out (capacity >= len + 1): ASCII lower case, typographic quotes and
 * dashes folded, white space runs (including no-break space) as one space. Returns the
 * normalised length. */
size_t quote_normalise(const char *s, size_t len, char *out);

#endif
