/* SPDX-License-Identifier: MIT */
/* Pass 2, sema: resolves names, symbols, units and citations across all sources, checks
 * types and fact cycles, and annotates the AST in place for the graph builder. */
#ifndef MGA_SEMA_H
#define MGA_SEMA_H

#include "ast.h"
#include "diag.h"

/* The most distinct fields one comparison may name (the graph's linear test holds them). */
#define MAX_LIN_FIELDS 32

/* The most 64-bit words of symbol masks the set and one-of tests of a rule set may take
 * together (each test: one bit per symbol of its field), E9010 past it. */
#define SEMA_MAX_MASK_WORDS (1u << 20)

/* Returns false on OOM only; errors go to d (check mga_diags_error_count). */
bool sema_check(ast_program *p, mga_diags *d, const int *dsrc, unsigned max_depth);

/* Unit lookup within a dimension: factor to the base unit, or 0 when absent. */
double sema_unit_factor(const ast_dim *dim, const char *unit);
int sema_field_find(const ast_program *p, const char *name);
int sema_sym_find(const ast_field *f, const char *sym);
/* The words of a prec_side ("avoid supplements"). */
const char *sema_prec_name(int side);

#endif
