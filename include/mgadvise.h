/* SPDX-License-Identifier: MIT */
/* mgadvise: compile magnesium-guidance rules into a rule graph and evaluate profiles
 * against it, producing cited advice. This is the only public header. */
#ifndef MGADVISE_H
#define MGADVISE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MGA_VERSION "0.1.0"

#if defined(__GNUC__) && !defined(MGA_STATIC)
#define MGA_API __attribute__((visibility("default")))
#else
#define MGA_API
#endif

typedef enum mga_status {
    MGA_OK = 0,
    MGA_E_NOMEM,   /* an allocation failed; nothing leaked, nothing half-built returned */
    MGA_E_INVALID, /* a bad argument (NULL where an object is needed, a bad enum) */
    MGA_E_IO,      /* a rule file could not be read: see the diagnostics */
    MGA_E_COMPILE, /* the rules have errors: see the diagnostics */
    MGA_E_PROFILE, /* the profile has errors: see the diagnostics */
    MGA_E_WRITE    /* the write callback reported failure */
} mga_status;

/* A short English name for a status ("out of memory"); never NULL. */
MGA_API const char *mga_status_str(mga_status st);

typedef struct mga_engine mga_engine;   /* options + allocator; one thread at a time      */
typedef struct mga_ruleset mga_ruleset; /* compiled rule graph; immutable, shareable      */
typedef struct mga_profile mga_profile; /* one parsed profile; one thread at a time        */
typedef struct mga_result mga_result;   /* the advice for one profile; one thread at a time */
typedef struct mga_diags mga_diags;     /* a list of diagnostics; owned by the caller       */

/* The allocator hook: realloc semantics, with the old size passed back. new_size == 0 frees
 * p and returns NULL. It must be thread-safe if one ruleset is evaluated from many threads. */
typedef void *(*mga_realloc_fn)(void *ud, void *p, size_t old_size, size_t new_size);

/* Output sink: return 0 on success, non-zero to stop (the call then returns MGA_E_WRITE). */
typedef int (*mga_write_fn)(void *ud, const char *p, size_t len);

typedef struct mga_options {
    mga_realloc_fn realloc_fn; /* NULL: the C library's allocator */
    void *alloc_ud;
    unsigned max_errors;     /* compilation stops after this many errors (default 20) */
    unsigned max_depth;      /* nesting limit for conditions and JSON (default 64) */
    const char *sources_dir; /* if set, every cited quote is checked against the document
                              * named by its source's `file` in this folder */
} mga_options;

/* Defaults: the libc allocator, 20 errors, depth 64, no quote check. */
MGA_API void mga_options_init(mga_options *opt);

/* opt may be NULL for the defaults. The engine copies opt (sources_dir included). */
MGA_API mga_status mga_engine_new(const mga_options *opt, mga_engine **out);
MGA_API void mga_engine_free(mga_engine *eng);

/* ---- Compiling rules ---------------------------------------------------------------- */

typedef struct mga_source {
    const char *name; /* labels diagnostics, e.g. "rules/safety.mga" */
    const char *text; /* need not be NUL-terminated; copied */
    size_t len;
} mga_source;

/* Compiles several sources into one rule set (declarations may span files). On success
 * *out owns the graph. If diags != NULL, *diags receives every diagnostic (warnings too),
 * to be freed with mga_diags_free; it is set even when the result is MGA_OK. */
MGA_API mga_status mga_compile_sources(mga_engine *eng, const mga_source *srcs, size_t n,
                               mga_ruleset **out, mga_diags **diags);

/* One source. */
MGA_API mga_status mga_compile(mga_engine *eng, const char *name, const char *src, size_t len,
                       mga_ruleset **out, mga_diags **diags);

/* Files and folders; a folder contributes its *.mga files in name order. */
MGA_API mga_status mga_compile_paths(mga_engine *eng, const char *const *paths, size_t n,
                             mga_ruleset **out, mga_diags **diags);

MGA_API void mga_ruleset_free(mga_ruleset *rs);
MGA_API const char *mga_ruleset_name(const mga_ruleset *rs); /* from `ruleset "..."` */
MGA_API const char *mga_ruleset_hash(const mga_ruleset *rs); /* 16 hex digits over all sources */
MGA_API size_t mga_ruleset_rule_count(const mga_ruleset *rs);
MGA_API const char *mga_ruleset_rule_id(const mga_ruleset *rs, size_t i); /* NULL past the end */
/* The number of distinct condition nodes in the graph (shared tests counted once). */
MGA_API size_t mga_ruleset_node_count(const mga_ruleset *rs);

/* ---- Formatting rules (mgadvise fmt) ------------------------------------------------- */

/* Writes text (one rule file; name labels diagnostics) in the canonical layout through fn,
 * in one call: declarations at column 0, clauses on their own lines indented by two, one
 * space between words, comments kept, at most one blank line in a row, LF line ends and a
 * final newline. Formatting the result again gives the same bytes. The file is only
 * parsed, not checked (names and citations may live in other files). A lexical or syntax
 * error returns MGA_E_COMPILE and writes nothing. If diags != NULL, *diags receives the
 * diagnostics (free with mga_diags_free). MGA_E_INVALID for a NULL eng or fn, MGA_E_NOMEM,
 * MGA_E_WRITE. One thread at a time per engine. */
MGA_API mga_status mga_format_rules(mga_engine *eng, const char *name, const char *text,
                                    size_t len, mga_write_fn fn, void *ud, mga_diags **diags);

/* ---- The rule graph (mgadvise graph) ------------------------------------------------- */

typedef enum mga_graph_format {
    MGA_GRAPH_DOT, /* Graphviz: condition nodes, facts, shared tests, rules, actions */
    MGA_GRAPH_JSON /* indented: nodes (id, kind, label, children, uses, shared), facts
                    * (name -> node), rules (id, node, kind, severity, evidence, actions,
                    * cites) */
} mga_graph_format;

/* Writes the compiled rule graph through fn, in one call. Numeric tests are labelled in
 * the field's declared unit ("age >= 55 years"). The same rule set gives the same bytes
 * (node and rule order are the graph's own; the content hash is not included). Returns
 * MGA_E_INVALID for a NULL rs or fn or a bad format, MGA_E_NOMEM, MGA_E_WRITE. Thread-safe
 * on a shared rs. */
MGA_API mga_status mga_ruleset_write_graph(const mga_ruleset *rs, mga_graph_format fmt,
                                           mga_write_fn fn, void *ud);

/* ---- Diagnostics -------------------------------------------------------------------- */

typedef enum mga_diag_kind { MGA_DIAG_ERROR, MGA_DIAG_WARNING, MGA_DIAG_NOTE } mga_diag_kind;

typedef struct mga_diag {
    mga_diag_kind kind;
    unsigned code;      /* stable: 3104 prints as E3104 (W for warnings) */
    const char *file;   /* the source or profile name */
    unsigned line, col; /* 1-based; columns count code points; 0 when not located */
    unsigned end_line, end_col;
    size_t offset, len; /* bytes */
    const char *message;
    const char *note; /* a hint, or NULL */
} mga_diag;

MGA_API size_t mga_diags_count(const mga_diags *d);
MGA_API size_t mga_diags_error_count(const mga_diags *d);
MGA_API const mga_diag *mga_diags_ref(const mga_diags *d, size_t i); /* lives as long as d */
/* Writes every diagnostic as `file:line:col: error[E3104]: message`, the source line, a
 * caret under the spot and any note; then a count line ("mgadvise: 2 errors"). */
MGA_API mga_status mga_diags_render(const mga_diags *d, mga_write_fn fn, void *ud);
MGA_API void mga_diags_free(mga_diags *d);

/* ---- Profiles and evaluation --------------------------------------------------------- */

/* Parses a JSON profile against the rule set's schema. name labels diagnostics. Wrong
 * types, values out of range and unknown symbols are errors (MGA_E_PROFILE); unknown
 * fields are warnings. Thread-safe for distinct calls on one rule set. */
MGA_API mga_status mga_profile_parse(const mga_ruleset *rs, const char *name, const char *json,
                             size_t len, mga_profile **out, mga_diags **diags);
MGA_API void mga_profile_free(mga_profile *p);

/* Evaluates the rule graph. Thread-safe for distinct profiles on one rule set. The
 * result borrows from rs and p: free it before either. */
MGA_API mga_status mga_evaluate(const mga_ruleset *rs, const mga_profile *p, mga_result **out);
MGA_API void mga_result_free(mga_result *r);

typedef enum mga_format {
    MGA_FORMAT_JSON,        /* one line */
    MGA_FORMAT_JSON_PRETTY, /* indented */
    MGA_FORMAT_TEXT         /* grouped by severity, numbered citations, references */
} mga_format;

MGA_API mga_status mga_result_write(const mga_result *r, mga_format fmt, mga_write_fn fn, void *ud);

/* ---- Walking a result ---------------------------------------------------------------- */

typedef enum mga_severity { MGA_INFO = 0, MGA_WARNING = 1, MGA_CRITICAL = 2 } mga_severity;

typedef enum mga_kind {
    MGA_KIND_AVOID,
    MGA_KIND_PREFER,
    MGA_KIND_DOSE,
    MGA_KIND_REFER,
    MGA_KIND_INFO,
    MGA_KIND_WARN,
    MGA_KIND_DISAGREEMENT
} mga_kind;

typedef struct mga_cite {
    const char *source; /* source key, e.g. "sleep" */
    unsigned ref;       /* numbered reference, 0 when none */
    const char *quote;  /* NULL when none */
} mga_cite;

typedef struct mga_advice {
    const char *rule;
    mga_kind kind;
    mga_severity severity;
    const char *text;
    const char *evidence;
    const char *refer; /* "urgent", "soon", "routine" or NULL */
    const mga_cite *cites;
    size_t ncites;
} mga_advice;

typedef struct mga_dose {
    bool has_start, has_target, has_max;
    double start_mg, target_mg, max_mg;
    const char *start_rule, *target_rule, *max_rule; /* NULL when unset */
} mga_dose;

MGA_API const char *mga_result_id(const mga_result *r); /* the profile's "id", or NULL */
MGA_API size_t mga_result_advice_count(const mga_result *r);
MGA_API const mga_advice *mga_result_advice_ref(const mga_result *r, size_t i);
MGA_API const mga_dose *mga_result_dose_ref(const mga_result *r);
/* Forms after resolution: preferred (avoid beats prefer) and avoided, in rule order. */
MGA_API size_t mga_result_prefer_count(const mga_result *r);
MGA_API const char *mga_result_prefer_ref(const mga_result *r, size_t i);
MGA_API size_t mga_result_avoid_count(const mga_result *r);
MGA_API const char *mga_result_avoid_ref(const mga_result *r, size_t i);
MGA_API const char *mga_result_disclaimer(const mga_result *r);

MGA_API const char *mga_kind_str(mga_kind k);
MGA_API const char *mga_severity_str(mga_severity s);

#ifdef __cplusplus
}
#endif
#endif
