/* SPDX-License-Identifier: MIT */
/* Checks over the graph (`mgadvise check`): conflicts with witness profiles, unreachable and
 * redundant rules, declared invariants proven or refuted, gaps per goal, unused references.
 * A decision procedure (Z3) over the profile schema; every witness is replayed through the
 * evaluator. Linked into the CLI and the tests only: the library stays free of Z3 and calls
 * the analysis through the hook below. */
#ifndef MGA_ANALYZE_H
#define MGA_ANALYZE_H

#include <mgadvise.h>

#include <stdbool.h>
#include <stddef.h>

struct ast_program;

/* A check run after the graph is built, while the AST and the sources are alive. It adds
 * diagnostics to d (dsrc maps span file indices to diagnostic sources) and returns MGA_OK,
 * or MGA_E_NOMEM. */
typedef mga_status (*api_check_fn)(void *ud, const mga_ruleset *rs,
                                   const struct ast_program *p, mga_diags *d, const int *dsrc);
/* Installs fn on eng for every later compile (api.c). fn NULL removes it. */
void api_engine_set_check(mga_engine *eng, api_check_fn fn, void *ud);

/* Counts of one analysis run. */
typedef struct analyze_stats {
    size_t rules, pairs;   /* rules analysed; rule pairs with contradicting actions */
    size_t conflicts;      /* warnings: contradicting rules that fire together */
    size_t resolved;       /* notes: the same, resolved by a declared precedence */
    size_t unreachable, redundant;
    size_t proven, refuted; /* invariants */
    size_t gaps;            /* goals with profiles that get no form or dose advice */
    size_t witnesses;       /* witness profiles replayed through the evaluator */
    size_t solver_checks;
    double seconds;
    bool skipped; /* the rule set was over a limit below: nothing was analysed (W9011) */
    bool stopped; /* the time budget ran out: the checks after it did not run (W9012) */
} analyze_stats;

/* The analysis grows faster than the rule set (every pair of rules, one solver query per
 * pair), so it runs only on rule sets within these limits, and for at most this long;
 * past them `check` says so (W9011, W9012) and its compile checks still hold. */
#define ANALYZE_MAX_RULES 1000
#define ANALYZE_MAX_NODES 20000
#define ANALYZE_MAX_SECONDS 60

/* Options and results of the analysis hook. */
typedef struct analyze_ctx {
    bool notes;          /* also report notes: resolved conflicts, proven invariants, gaps */
    size_t max_rules, max_nodes; /* 0: ANALYZE_MAX_RULES, ANALYZE_MAX_NODES */
    double max_seconds;          /* 0: ANALYZE_MAX_SECONDS */
    analyze_stats stats; /* filled by the run */
} analyze_ctx;

/* Installs the analysis on eng: the next compile runs it and fills ctx->stats. ctx must
 * outlive the compile. */
void analyze_install(mga_engine *eng, analyze_ctx *ctx);

#endif
