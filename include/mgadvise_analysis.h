/* SPDX-License-Identifier: MIT */
/* mgadvise analysis: the static analysis of a rule set (what `mgadvise check` reports after
 * compiling) as an add-on to libmgadvise. It needs the Z3 solver, so it lives in its own
 * library, libmgadvise-analysis, which a program links (or loads with dlopen) only when
 * it analyses rules: libmgadvise stays free of Z3. */
#ifndef MGADVISE_ANALYSIS_H
#define MGADVISE_ANALYSIS_H

#include <mgadvise.h>

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The analysis grows faster than the rule set (every pair of rules, one solver query per
 * pair), so by default it runs only on rule sets within these limits, and for at most this
 * long; past them the compile says so (W9011, W9012) and its own checks still hold. */
#define MGA_ANALYSIS_MAX_RULES 1000
#define MGA_ANALYSIS_MAX_NODES 20000
#define MGA_ANALYSIS_MAX_SECONDS 60

typedef struct mga_analysis_options {
    bool notes;       /* also report notes: conflicts a declared precedence resolves,
                       * proven invariants, goals with gaps (default false) */
    size_t max_rules; /* 0: MGA_ANALYSIS_MAX_RULES */
    size_t max_nodes; /* distinct condition nodes; 0: MGA_ANALYSIS_MAX_NODES */
    double max_seconds; /* 0 or less: MGA_ANALYSIS_MAX_SECONDS */
} mga_analysis_options;

/* Counts of the last analysis run on an engine. */
typedef struct mga_analysis_stats {
    size_t rules;       /* rules analysed */
    size_t pairs;       /* rule pairs with contradicting actions */
    size_t conflicts;   /* warnings: contradicting rules that one profile fires together */
    size_t resolved;    /* notes: the same, resolved by a declared precedence */
    size_t unreachable; /* rules no profile fires */
    size_t redundant;   /* rules another rule with the same advice always covers */
    size_t proven, refuted; /* declared invariants */
    size_t gaps;            /* goals with profiles that get no form and no dose advice */
    size_t witnesses;       /* witness profiles replayed through the evaluator */
    size_t solver_checks;
    double seconds;
    bool skipped; /* the rule set was over a limit: nothing was analysed (W9011) */
    bool stopped; /* the time budget ran out: the checks after it did not run (W9012) */
} mga_analysis_stats;

/* Defaults: no notes, the limits above. */
MGA_API void mga_analysis_options_init(mga_analysis_options *opt);

/* Installs the analysis on eng: every later compile on eng (mga_compile_sources and the
 * others, mga_compile_builtin too) that builds a rule graph without errors then analyses it
 * and adds what it finds to that compile's diagnostics: warnings for contradicting rules a
 * profile fires together (with the witness profile as JSON in the note), rules that never
 * fire, redundant rules, refuted invariants (with a counter-example) and references never
 * cited; notes (with opt->notes) for resolved conflicts, proven invariants and goals with
 * gaps. Every witness has been replayed through the evaluator before it is shown. A compile
 * with analysis warnings still returns MGA_OK with its rule set.
 * opt may be NULL for the defaults; it is copied. stats may be NULL; else it is borrowed:
 * it must stay valid for every later compile on eng, each of which overwrites it (zeroed,
 * then counted). Installing again replaces the earlier installation.
 * Errors: MGA_E_INVALID (NULL eng), MGA_E_NOMEM (nothing installed). A compile that runs
 * out of memory in the analysis returns MGA_E_NOMEM. Thread rules: those of eng (one thread
 * at a time); engines on different threads may analyse at once.
 * This library carries its own copy of the engine's internals: it must come from the same
 * build as the libmgadvise it is used with (mga_analysis_version tells). */
MGA_API mga_status mga_analysis_install(mga_engine *eng, const mga_analysis_options *opt,
                                        mga_analysis_stats *stats);

/* MGA_VERSION of the build this library comes from; never NULL. A program that loads the
 * library with dlopen compares it with its own MGA_VERSION before mga_analysis_install. */
MGA_API const char *mga_analysis_version(void);

#ifdef __cplusplus
}
#endif
#endif
