/* SPDX-License-Identifier: MIT */
/* Passes 3-5: normalise conditions, build the rule graph with one node per distinct test
 * (hash-consed), and freeze it into an immutable mga_ruleset. Also the frozen types that
 * the profile reader, evaluator and output read. */
#ifndef MGA_GRAPH_H
#define MGA_GRAPH_H

#include "ast.h"
#include "diag.h"
#include <stdint.h>

typedef enum node_kind {
    N_CONST,   /* bval */
    N_SET_ANY, /* field's set meets mask */
    N_SET_ALL, /* field's set contains mask */
    N_ENUM_IN, /* field's value is in mask */
    N_BOOL,    /* field == bval */
    N_KNOWN,   /* field present (never unknown) */
    N_DEF,     /* child is not unknown (never unknown) */
    N_LIN,     /* sum(coef * field) + k  op  0 */
    N_AND,
    N_OR,
    N_NOT
} node_kind;

typedef struct g_node {
    uint8_t kind;
    uint8_t op;   /* N_LIN: cmp_op, only LT LE EQ after normalisation */
    uint8_t bval; /* N_CONST, N_BOOL */
    uint32_t field;
    uint32_t off, n; /* children (kids), mask words (masks) or terms (terms) */
    double k;
} g_node;

typedef struct g_term {
    uint32_t field;
    double coef;
} g_term;

typedef struct g_ref {
    unsigned n;
    const char *text;
} g_ref;

typedef struct g_source {
    const char *key, *title, *file, *author, *publisher, *url;
    g_ref *refs;
    size_t nrefs;
} g_source;

typedef struct g_unit {
    const char *name;
    double factor; /* to the dimension's base */
} g_unit;

typedef struct g_field {
    const char *name;
    size_t name_len;
    field_type type;
    int dim;         /* -1 dimensionless */
    const char *unit; /* declared unit, or NULL */
    double unit_f;    /* declared unit -> base */
    bool has_range;
    double lo, hi; /* in base units */
    double ulo, uhi; /* as declared (for messages) */
    const char **syms;
    size_t nsyms;
    uint32_t word; /* FT_SET: first word in the profile's bit array */
    uint32_t nwords;
} g_field;

typedef struct g_dim {
    const char *name;
    g_unit *units; /* base first */
    size_t nunits;
} g_dim;

typedef struct g_cite {
    uint32_t source;
    unsigned ref; /* 0: none */
    const char *quote;
} g_cite;

typedef struct g_rule {
    const char *id;
    const char *file;
    unsigned line;
    uint32_t node;
    uint8_t severity; /* mga_severity */
    uint8_t kind;     /* mga_kind */
    bool avoid_supplements;
    const char *say, *evidence, *refer;
    uint32_t *prefer, *avoid; /* form indices */
    uint32_t nprefer, navoid;
    bool has_start, has_target, has_max;
    double start, target, max; /* mg */
    g_cite *cites;
    uint32_t ncites;
    mga_cite *pub_cites; /* the same, in the public shape */
} g_rule;

typedef struct g_fact {
    const char *name;
    uint32_t node;
} g_fact;

struct mga_ruleset {
    mem m;
    arena a;
    const char *name, *disclaimer;
    char hash[17];
    g_dim *dims;
    size_t ndims;
    g_field *fields;
    size_t nfields;
    uint32_t nwords;
    int32_t id_field; /* the text field named "id", or -1 */
    uint32_t *field_hash; /* open addressing over field names: index+1, 0 empty */
    uint32_t field_hash_mask;
    g_node *nodes;
    size_t nnodes;
    uint32_t *kids;
    uint64_t *masks;
    g_term *terms;
    g_rule *rules;
    size_t nrules;
    uint32_t *order; /* rule indices: severity descending, then source order */
    size_t max_overruled; /* the most overruled entries one evaluation can record */
    g_fact *facts;
    size_t nfacts;
    g_source *sources;
    size_t nsources;
    const char **forms;
    size_t nforms;
    struct explain_data *explain; /* the written conditions, for explain only (explain.h) */
};

/* Builds and freezes the graph of a checked program into rs (whose arena and allocator
 * are set). file_names maps span file indices to source names, texts to their text (for
 * rule line numbers). Returns false on OOM. */
bool graph_build(mga_ruleset *rs, const ast_program *p, const char *const *file_names,
                 const char *const *texts, const size_t *lens);

/* The field index for a JSON key, or -1. */
int graph_field_lookup(const mga_ruleset *rs, const char *key, size_t len);

#endif
