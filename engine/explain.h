/* SPDX-License-Identifier: MIT */
/* Explanations: each rule's and fact's condition as the clinician wrote it (source text,
 * location, fields read), kept at freeze time beside the normalised graph. Only explain
 * and coverage read it; normal evaluation never touches it. */
#ifndef MGA_EXPLAIN_H
#define MGA_EXPLAIN_H

#include "graph.h"
#include "profile.h"

typedef enum x_kind {
    X_AND,
    X_OR,
    X_NOT,
    X_CONST,    /* bval */
    X_FACT,     /* fact `field` is bval */
    X_FACT_DEF, /* fact `field` is known (bval) / missing (!bval) */
    X_SET_ANY,  /* set `field` has any of syms */
    X_SET_ALL,
    X_SET_NONE,
    X_ENUM_IN, /* one-of `field` is one of syms */
    X_BOOL,    /* boolean `field` is bval */
    X_KNOWN,   /* `field` is known (bval) / missing (!bval) */
    X_CMP,     /* terms + k  op  0 (op as written) */
    X_BETWEEN  /* terms + k >= 0 and terms + k2 <= 0 */
} x_kind;

typedef struct x_node {
    uint8_t kind;
    uint8_t op;
    uint8_t bval;
    uint32_t field;      /* a field, or a fact for X_FACT / X_FACT_DEF */
    uint32_t off, n;     /* kids (AND/OR/NOT), syms, or terms */
    uint32_t foff, nfld; /* the fields this test reads, for showing their values */
    double k, k2;
    const char *text; /* the condition as written, white space collapsed */
    const char *file;
    unsigned line, col;
    uint32_t owner; /* rule index, or nrules + fact index */
} x_node;

typedef struct explain_data {
    x_node *nodes;
    size_t nnodes;
    uint32_t *kids, *syms, *flds;
    g_term *terms;
    uint32_t *rule_root; /* per rule; UINT32_MAX: no 'when' (always true) */
    uint32_t *fact_root; /* per fact */
    uint32_t *fact_first; /* per fact: its nodes are fact_first[f] .. fact_root[f] */
    uint32_t *fact_order; /* every fact once, each after the facts it names */
    const char **fact_file;
    unsigned *fact_line;
} explain_data;

/* Builds rs->explain from the checked program (after graph_build). False on OOM. */
bool explain_build(mga_ruleset *rs, const ast_program *p, const char *const *file_names,
                   const char *const *texts, const size_t *lens);

/* Evaluates every explain node for p into val (ex->nnodes bytes, V_* values). */
void explain_eval(const mga_ruleset *rs, const mga_profile *p, uint8_t *val);

/* Appends to out (text, indented by depth) why the rule's condition has its value for r:
 * the deciding tests with the values they read. False on OOM (out stays valid). */
bool explain_rule_why(const mga_result *r, size_t rule, unsigned depth, membuf *out);

#endif
