/* SPDX-License-Identifier: MIT */
/* Checks over the graph (`mgadvise check`, include/mgadvise_analysis.h): conflicts with
 * witness profiles, unreachable and redundant rules, declared invariants proven or refuted,
 * gaps per goal, unused references. A decision procedure (Z3) over the profile schema; every
 * witness is replayed through the evaluator. Built into libmgadvise-analysis (and the unit
 * tests) only: the library stays free of Z3 and calls the analysis through the hook below. */
#ifndef MGA_ANALYZE_H
#define MGA_ANALYZE_H

#include <mgadvise.h>
#include <mgadvise_analysis.h>

#include <stdbool.h>
#include <stddef.h>

struct ast_program;

/* A check run after the graph is built, while the AST and the sources are alive. It adds
 * diagnostics to d (dsrc maps span file indices to diagnostic sources) and returns MGA_OK,
 * or MGA_E_NOMEM. ud is the engine's copy of what api_engine_set_check was given. */
typedef mga_status (*api_check_fn)(void *ud, const mga_ruleset *rs,
                                   const struct ast_program *p, mga_diags *d, const int *dsrc);
/* Installs fn on eng for every later compile (api.c), with a copy of ud[0, size) that the
 * engine owns (freed with it or by the next call). fn NULL removes it. MGA_E_NOMEM leaves
 * eng as it was. */
mga_status api_engine_set_check(mga_engine *eng, api_check_fn fn, const void *ud, size_t size);

typedef mga_analysis_stats analyze_stats;

#define ANALYZE_MAX_RULES MGA_ANALYSIS_MAX_RULES
#define ANALYZE_MAX_NODES MGA_ANALYSIS_MAX_NODES
#define ANALYZE_MAX_SECONDS MGA_ANALYSIS_MAX_SECONDS

/* What the hook keeps on the engine: the options, the counts of the run in progress, and
 * where to copy them when it ends. */
typedef struct analyze_ctx {
    bool notes;
    size_t max_rules, max_nodes;
    double max_seconds;
    analyze_stats stats;
    mga_analysis_stats *out; /* NULL: nobody asked */
} analyze_ctx;

#endif
