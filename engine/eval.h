/* SPDX-License-Identifier: MIT */
/* Pass 6, eval: one forward sweep over the frozen graph with three-valued logic, then
 * resolution (safety first: avoid beats prefer, every max holds). The result is read by
 * output.c and through the public walking API. */
#ifndef MGA_EVAL_H
#define MGA_EVAL_H

#include "graph.h"
#include "profile.h"
#include "semantics.h"

/* The evaluator's own form of the graph (eval_freeze), built once per rule set: each node's
 * test specialised by what it needs (a set test on one word of the profile with its mask
 * inline, an enum test of up to 64 symbols as one mask word, ...), and the sweep order:
 * the nodes the rules reach, in runs of one kind each (leaves first, then the AND, OR and
 * NOT nodes by depth), so that the sweep dispatches once per run, not once per node. */
typedef enum e_kind {
    E_CONST,
    E_ANY1,  /* set meets one mask word: off = the profile word, m = the mask */
    E_ALL1,  /* set contains one mask word */
    E_ANYN,  /* set meets mask: off/n = the trimmed mask in plan.masks, w = first word */
    E_ALLN,
    E_ENUM1, /* enum of up to 64 symbols: m = the mask */
    E_ENUMN, /* enum: off = its mask in rs->masks */
    E_BOOL,
    E_KNOWN,
    E_LIN,
    E_LIN1, /* one term: field, coef inline */
    E_DEF,
    E_AND,
    E_OR,
    E_NOT
} e_kind;

typedef struct e_node {
    uint8_t kind; /* e_kind */
    uint8_t op;   /* E_LIN */
    uint8_t bval; /* E_CONST, E_BOOL */
    uint32_t field;
    union {
        struct {
            uint32_t off, n; /* as g_node, but see e_kind */
        };
        double coef; /* E_LIN1 */
    };
    union {
        double k;   /* E_LIN, E_LIN1 */
        uint64_t m; /* E_ANY1, E_ALL1, E_ENUM1 */
        uint32_t w; /* E_ANYN, E_ALLN */
    } u;
} e_node;

/* Run kinds besides e_kind: ANDs and ORs of two children (the sweep reads both without a
 * loop), one-term comparisons by operator (the sweep makes only the one each needs). */
enum { RUN_AND2 = E_NOT + 1, RUN_OR2, RUN_LIN1_LT, RUN_LIN1_LE, RUN_LIN1_EQ };

typedef struct e_run {
    uint32_t kind; /* e_kind or one of the RUN_ kinds above */
    uint32_t begin, end; /* positions in the sweep */
} e_run;

typedef struct e_fire {
    uint32_t node, rule; /* node: the rule's condition's position in the sweep */
} e_fire;

/* One rule's program: its condition's nodes, in topological order, copied out of the graph
 * with their children renumbered to the program (kids in eval_plan.pkids), so that an
 * indexed evaluation reads one contiguous stretch of memory per key, not nodes scattered
 * over the graph. The last node is the condition. */
typedef struct e_prog {
    uint32_t rule, rank; /* rank: the rule's position in rs->order */
    uint32_t off;        /* nodes in eval_plan.pnodes */
    uint32_t n : 31;
    uint32_t multi : 1;  /* the rule is under more than one key: run it once a profile */
} e_prog;

typedef struct eval_plan {
    e_node *nodes;   /* per graph node (rs->nnodes) */
    uint64_t *masks; /* E_ANYN and E_ALLN masks, trimmed to their nonzero words */
    /* The sweep: the nodes the rules reach, in runs, copied out in that order with their
     * children renumbered to positions in it (in skids; a RUN_AND2/RUN_OR2 node holds its
     * two in off and n), so that a sweep reads its nodes front to back and writes each
     * value next to the last; values are kept by position. */
    e_node *snodes;
    uint32_t *skids;
    e_run *runs;
    size_t nsweep, nruns;
    e_fire *fire; /* per position in rs->order: the rule and its node */
    /* Indexed evaluation: each rule's program, with those of the rules under one guard key
     * side by side; gprog, aprog, pprog and tprog parallel rs->guard_rules, rs->always,
     * rs->pair_rules and rs->trules. */
    e_node *pnodes;
    uint32_t *pkids;
    e_prog *gprog, *aprog, *pprog, *tprog; /* tprog: parallel to rs->trules */
    uint32_t max_prog; /* the most nodes of one program */
    /* resolve's view of each rule: what it states (R_* bits), so that the common rule
     * (advice only, no forms or doses) costs one byte read, not a walk over its g_rule;
     * and its advice item, which a result's advice points at (mga_result_advice_ref), not
     * copies */
    uint8_t *rflags;
    mga_advice *advice;
    /* ranking (eval_rank): per rule, the sort key of an act item (rank_key: severity,
     * then action, then position in rs->order) and a mask of forms (the first 64): for an
     * act item those it prefers or avoids, for a background item those its text names */
    uint32_t *rkey;
    uint64_t *rforms;
} eval_plan;

/* A rank key's action part (plan.c: action_rank; 0-2 a referral urgent, soon, routine). */
#define RKEY_ACTION(k) (((k) >> 24) & 15u)

enum {
    R_AVOID_SUPPLEMENTS = 1,
    R_AVOID = 2,         /* avoids forms */
    R_POSITIVE = 4,      /* prefers forms, or states a start or target dose */
    R_MAX = 8,
    R_WITHHOLD = 16,     /* withholds supplements (ask a doctor first) */
    R_PRESUMES = 32,     /* presumes supplements: dropped when they are avoided or withheld */
};

typedef enum over_what { OV_ITEM, OV_PREFER, OV_START, OV_TARGET } over_what;

typedef struct res_over {
    uint32_t rule; /* what was overruled */
    uint32_t by;   /* the rule that overruled it */
    over_what what;
    uint32_t form; /* OV_PREFER */
    double mg;     /* OV_START, OV_TARGET */
} res_over;

struct mga_result {
    mem m;
    arena a;
    const mga_ruleset *rs;
    const mga_profile *p;
    uint8_t *val; /* per node */
    uint32_t *fired;
    size_t nfired;
    uint64_t *hits; /* indexed evaluation: (rank << 32 | rule) of each rule that fired */
    uint32_t *advice_rule; /* the rules whose items are shown (eval_plan.advice) */
    size_t nadvice;
    uint32_t *rlist;   /* resolve's scratch: three lists of fired rules (nrules each) */
    uint8_t *withheld; /* resolve's scratch, per rule: 0 between evaluations */
    mga_dose dose;
    uint32_t *prefer, *avoid; /* form indices */
    uint32_t *prefer_rule, *avoid_rule;
    size_t nprefer, navoid;
    res_over *over;
    size_t nover;
    int32_t avoid_supplements;    /* rule index, or -1 */
    int32_t withhold_supplements; /* rule index, or -1 */
    uint32_t start_rule, target_rule, max_rule; /* dose's rules: index + 1, 0 none */
    membuf out; /* compact JSON is built here; kept for the next write */
    mga_part *parts; /* mga_result_parts: parts_cap entries, kept for the next call */
    size_t parts_cap;
    /* indexed evaluation: rule i was taken for this profile when rstamp[i] == gen */
    uint32_t *rstamp;
    uint32_t gen;
    uint8_t *pval; /* a program's node values (eval_plan.max_prog) */
    /* output scratch, per refs_json entry: the entries the advice cites (output.c
     * collect_refs), reforder[0..nrefs) in order of first citation, numbered from 1 in
     * refno; an entry's refno holds for this write when refstamp[entry] == refgen */
    uint32_t *refstamp, *refno, *reforder;
    uint32_t refgen;
    size_t nrefs;
    /* the summary (mga_result_summary_ref), built with the ranking after resolve: its
     * arrays point into these (nrules or nforms entries each) */
    mga_summary summary;
    uint32_t *decided;  /* rule indices behind summary.decision */
    uint32_t *referral; /* advice rules that refer, most urgent first */
    const char **sum_decided, **sum_prefer;
    mga_referral *sum_reasons;
    uint32_t *shown; /* output scratch: the rules whose items a text write shows */
};

/* Builds rs->plan, the evaluator's specialised nodes and sweep order, from the indexed
 * graph (after graph_index). Returns false on OOM. */
bool eval_freeze(mga_ruleset *rs);

/* Serialises what compact JSON output needs of the frozen rule set: each rule's advice
 * item (whole and lean), each cited reference, the forms, the fixed head and tail
 * (output.c, after eval_freeze: items carry the plan's groups). Sets every g_cite.refix.
 * Returns false on OOM. */
bool output_freeze_json(mga_ruleset *rs);
/* Frees what the JSON writers built lazily on rs (mga_ruleset_free). */
void output_free_refs(mga_ruleset *rs);
/* The positions the numbered references hold (building them if need be; 0: none). */
unsigned output_refs_kmax(const mga_ruleset *rs);

/* A result as JSON through yajl_gen (pretty or compact), written in one call of fn. The
 * reference for the compact writer, which copies fragments (output_freeze_json). */
mga_status output_json_gen(const mga_result *r, bool pretty, mga_write_fn fn, void *ud);

/* Resolution (resolve.c), after the fired rules are known, in this order: the advice,
 * dose, forms and overruled list; the items in rank order; the summary. */
void eval_resolve(mga_result *r);
/* What an overruled entry was, in words ("start dose 145 mg", "prefer citrate"): the one
 * text output and explain write. Returns buf. */
const char *eval_over_what(const mga_result *r, const res_over *o, char *buf, size_t n);
void eval_rank(mga_result *r);
void eval_summarize(mga_result *r);

/* sum(coef * field) + k  op  0 over terms off..off+n */
static inline uint8_t lin_value(const mga_ruleset *rs, uint8_t op, uint32_t off, uint32_t n,
                                double k, const mga_profile *p)
{
    double v = k, mag = fabs(k);
    for (uint32_t i = 0; i < n; i++) {
        const g_term *t = &rs->terms[off + i];
        if (!p->known[t->field])
            return TV_U;
        double x = t->coef * p->num[t->field];
        v += x;
        mag += fabs(x);
    }
    return tv_of(lin_holds(v, mag, (cmp_op)op));
}

/* Evaluates every node into val (nnodes entries): the full sweep, which the indexed
 * evaluation of mga_evaluate must agree with. */
void eval_nodes(const mga_ruleset *rs, const mga_profile *p, uint8_t *val);

#endif
