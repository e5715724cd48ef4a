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

/* Names looked up for every record (profile keys, symbols): open addressing, each slot
 * holding what a lookup compares, so a probe touches only the slot and the name's bytes. */
typedef struct g_slot {
    const char *name; /* NULL: empty */
    uint32_t len;
    uint32_t ix;
} g_slot;

typedef struct g_names {
    g_slot *slots;
    uint32_t mask;
} g_names;

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
    g_names sym_table; /* syms by name */
    uint32_t word; /* FT_SET: first word in the profile's bit array */
    uint32_t nwords;
    const char *doc; /* the doc comment of its declaration (doc.h), or NULL */
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
    uint32_t refix; /* the (source, ref) pair's entry in mga_ruleset.refs_json */
} g_cite;

/* A piece of JSON serialised once when the graph is frozen (output_freeze_json). */
typedef struct g_frag {
    const char *p;
    size_t len;
} g_frag;

/* One distinct (source, ref) pair and its entry of the "references" array after "n". */
typedef struct g_refjson {
    uint32_t source;
    unsigned ref;
    g_frag json; /* ,"source":...,"publisher":...} */
} g_refjson;

typedef struct g_rule {
    const char *id;
    const char *file;
    unsigned line;
    uint32_t node;
    uint8_t severity; /* mga_severity */
    uint8_t kind;     /* mga_kind */
    bool avoid_supplements;    /* `then avoid supplements`: do not take */
    bool withhold_supplements; /* `then withhold supplements`: ask a doctor first */
    bool presumes;             /* presumes supplements (a form, a dose or the clause): dropped
                                * whole when a fired rule avoids or withholds supplements */
    bool warn;                 /* has a `warn` action (its kind may come from an earlier action) */
    const char *say, *evidence, *refer;
    uint32_t *prefer, *avoid; /* form indices */
    uint32_t nprefer, navoid;
    bool has_start, has_target, has_max;
    double start, target, max; /* mg */
    g_cite *cites;
    uint32_t ncites;
    mga_cite *pub_cites; /* the same, in the public shape */
    g_frag json;         /* the whole advice item: {"rule":...,"cite":[...]}; json.p[-1] is
                          * ',', so that the items after the first are one part each, and
                          * the items lie in rs->order, so that the items of rules next to
                          * each other there are one part together */
    g_frag json_id;      /* the id as a JSON string */
    g_frag json_lean;    /* the lean item: {"rule":...,"kind":...,"severity":...} */
} g_rule;

/* Guard index: a rule whose condition is an AND (or a single test) containing set
 * membership or enum tests can only be true when those tests are; it is registered under a
 * key they imply, (field, symbol) or (field, symbol, symbol) for two symbols of one set
 * field, and only rules under keys the profile makes true are evaluated.
 * A key's rules are split further by the value of one enum field (qfield) that some of them
 * require ("level is high"): first the rules that do not test qfield, then for each value v
 * the rules that allow it (a rule allowing two values is listed twice), so that a profile
 * runs the first part and the part of its own value only. */
typedef struct g_gkey {
    uint64_t key; /* 0: empty slot */
    uint32_t off, n; /* entries in mga_ruleset.guard_rules */
    uint32_t qfield; /* GUARD_NONE: not split */
    uint32_t qoff;   /* split: guard_split[qoff + v], v in 0..nsyms, each relative to off:
                      * [0, s[0]) test no qfield, [s[v], s[v + 1]) allow value v */
} g_gkey;

typedef struct g_gfield {
    uint32_t field;
    bool pairs;          /* some rules are under two symbols of this field */
    uint32_t poff, pn;   /* those rules (in pair_rules), for a profile with too many
                          * symbols to try every pair */
} g_gfield;

/* Threshold index: a rule with no guard key whose top-level AND compares a number field
 * with constants ("age >= 65 years", "score >= 2 and score < 5") can only be true while
 * that field's value lies in an interval [lo, hi], widened well beyond the comparisons'
 * tolerance. Per field, the ends of the rules' intervals cut the line into atoms: (-inf,
 * p0), {p0}, (p0, p1), ..., {pm-1}, (pm-1, inf). A value's atom is found by binary search
 * over the ends (started from a guide: where the ends below each of `nguide` equal cells
 * of [p0, pm-1] stop). A rule whose interval spans few atoms is listed under each of them;
 * the others are kept in a segment tree over the atoms, and are found on the path from the
 * value's leaf to the root, each once. */
#define G_TNARROW 8 /* atoms a rule may be listed under */
typedef struct g_tfield {
    uint32_t field;
    uint32_t pts, npts; /* the interval ends in mga_ruleset.tpts: ascending, distinct */
    uint32_t guide, nguide; /* in mga_ruleset.tguide: nguide + 1 entries */
    double gscale;          /* cells per unit of value */
    uint32_t atom; /* atom a lists the entries tnode[atom + a] .. tnode[atom + a + 1] of
                    * mga_ruleset.trules */
    uint32_t size; /* tree leaves: a power of two, at least 2 * npts + 1 atoms */
    uint32_t node; /* tree node i (1 .. 2 * size - 1) lists tnode[node + i] .. [node + i + 1] */
    uint32_t shift; /* the deepest tree nodes with entries are leaves >> shift; 32: none */
} g_tfield;

typedef struct g_fact {
    const char *name;
    uint32_t node;
} g_fact;

typedef struct g_expect {
    uint8_t kind; /* exp_kind */
    int8_t sev;   /* mga_severity, -1 any */
    uint8_t urg;  /* 0 any, 1 routine, 2 soon, 3 urgent */
    double mg;
    uint32_t *forms;
    uint32_t nforms;
} g_expect;

/* A declared invariant: checked by `mgadvise check`, never by eval (its condition nodes are
 * in the graph, shared with the rules). */
typedef struct g_invariant {
    const char *id, *label, *file;
    unsigned line;
    uint32_t node; /* the `when`, or the constant true */
    g_expect *ex;
    uint32_t nex;
} g_invariant;

/* Bits of mga_ruleset.precedence: the declared (winner, loser) pairs. */
#define G_PREC_BIT(winner, loser) (1ull << ((winner) * 7 + (loser)))

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
    g_names field_table; /* fields by name */
    bool allow_unknown_fields; /* mga_options: an unknown profile key warns, not fails */
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
    /* how fields are read from FHIR (fhirbind.c), in declaration order */
    struct g_fbind *fbinds;
    size_t nfbinds;
    /* Rule sets whose unguarded rules alone would cost the index about as much as a sweep
     * of every node (graph.c choose_sweep) are swept whole; the others are evaluated
     * through the index below. Set by graph_index; tests may force either. */
    bool sweep;
    /* Indexed evaluation (graph_index): the guard index, rules with no guard, and per
     * rule its condition's nodes in topological order */
    g_gkey *gkeys;
    uint32_t gkey_mask;
    uint32_t *guard_rules;
    uint32_t *guard_split; /* g_gkey.qoff */
    g_gfield *gfields; /* every field some key names */
    size_t ngfields;
    uint32_t *pair_rules; /* g_gfield.poff/pn */
    g_tfield *tfields; /* the threshold index */
    size_t ntfields;
    double *tpts;
    uint32_t *tguide;
    uint32_t *tnode;
    uint32_t *trules;
    size_t ntrules;
    uint32_t *always; /* rules evaluated for every profile */
    size_t nalways;
    uint32_t *rule_nodes_off; /* nrules + 1 */
    uint32_t *rule_nodes;
    uint32_t *rank; /* rule -> position in order */
    /* Compact JSON output, serialised once (output_freeze_json) */
    g_frag *forms_json;  /* each form as a JSON string */
    g_frag *advice_json; /* per rule: ','  and its advice item (g_rule.json, one read) */
    /* every (source, ref) pair of a source or a cite; the cited ones first (nrefs_cited),
     * in order of first citation along rs->order and each rule's cites */
    g_refjson *refs_json;
    size_t nrefs_json, nrefs_cited;
    /* rule i cites refs_json entries rule_refs[rule_refs_off[i] .. rule_refs_off[i+1]),
     * each once, in the order of its cites */
    uint32_t *rule_refs_off;
    uint32_t *rule_refs;
    /* per rule, its cited entries as bits, and its rule_refs padded to a multiple of four
     * (output.c collect_refs); NULL past 63 cited entries */
    uint64_t *refs_mask;
    uint32_t *refs_pad_off, *refs_pad;
    /* The numbered references (struct refs_table, output.c), built by the first JSON
     * write that needs them and published atomically (a rule set is shared by threads):
     * a one-off `mgadvise eval` does not pay for a table made for batch. NULL until then;
     * freed with the rule set (output_free_refs). */
    struct refs_table *refs_tab;
    g_frag json_head;     /* ,"ruleset":{...},"advice":[   (after the id) */
    g_frag json_tail;     /* ],"disclaimer":...}           (after the references) */
    g_invariant *invs;
    size_t ninvs;
    uint64_t precedence; /* G_PREC_BIT of each declared pair */
    struct eval_plan *plan; /* the evaluator's form of the nodes (eval_freeze, eval.h) */
    struct explain_data *explain; /* the written conditions, for explain only (explain.h) */
};

/* Builds and freezes the graph of a checked program into rs (whose arena and allocator
 * are set). file_names maps span file indices to source names, texts to their text (for
 * rule line numbers). Returns false on OOM. */
bool graph_build(mga_ruleset *rs, const ast_program *p, const char *const *file_names,
                 const char *const *texts, const size_t *lens);

/* Indexes the frozen graph (rs->rank, rs->always, the guard and threshold indexes, each
 * rule's node list, rs->sweep), the step after graph_build. tmp is scratch that lives until
 * the compile ends. Returns false on OOM. */
bool graph_index(mga_ruleset *rs, arena *tmp);

/* The guard key of (field, a, b); b == GUARD_NONE for one symbol. 0 never occurs. */
#define GUARD_NONE 0x1FFFFFu
static inline uint64_t graph_guard_key(uint32_t field, uint32_t a, uint32_t b)
{
    return ((uint64_t)(field + 1) << 42) | ((uint64_t)a << 21) | b;
}

/* The entry of key k, or NULL. */
const g_gkey *graph_guard_find(const mga_ruleset *rs, uint64_t k);

/* The guide cell of value x >= p0 (monotonic in x). */
static inline uint32_t graph_cell(const g_tfield *t, double p0, double x)
{
    double c = (x - p0) * t->gscale;
    return c < t->nguide - 1 ? (uint32_t)c : t->nguide - 1;
}

/* The atom of the threshold index of field t that value x falls in. */
static inline uint32_t graph_atom(const mga_ruleset *rs, const g_tfield *t, double x)
{
    const double *p = rs->tpts + t->pts;
    uint32_t lo = 0, hi = t->npts; /* the first end not below x is in [lo, hi] */
    if (t->npts && x >= p[0]) { /* graph_cell puts every end below x in cells up to x's */
        const uint32_t *g = rs->tguide + t->guide + graph_cell(t, p[0], x);
        lo = g[0];
        hi = g[1];
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 2 * lo + (lo < t->npts && p[lo] == x);
}

/* The field index for a JSON key, or -1. */
int graph_field_lookup(const mga_ruleset *rs, const char *key, size_t len);
/* The same, first trying field hint (index + 1; 0 none): a match costs no hash. */
int graph_field_lookup_hint(const mga_ruleset *rs, const char *key, size_t len, uint32_t hint);

/* The index of symbol s (len bytes) of field f, or -1. */
int graph_sym_lookup(const g_field *f, const char *s, size_t len);

#endif
