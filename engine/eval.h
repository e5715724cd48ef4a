/* SPDX-License-Identifier: MIT */
/* Pass 6, eval: one forward sweep over the frozen graph with three-valued logic, then
 * resolution (safety first: avoid beats prefer, every max holds). The result is read by
 * output.c and through the public walking API. */
#ifndef MGA_EVAL_H
#define MGA_EVAL_H

#include "graph.h"
#include "profile.h"

enum { V_FALSE = 0, V_TRUE = 1, V_UNKNOWN = 2 };

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
    mga_advice *advice;
    uint32_t *advice_rule;
    size_t nadvice;
    mga_dose dose;
    uint32_t *prefer, *avoid; /* form indices */
    uint32_t *prefer_rule, *avoid_rule;
    size_t nprefer, navoid;
    res_over *over;
    size_t nover;
    int32_t avoid_supplements; /* rule index, or -1 */
    membuf out; /* compact JSON is built here; kept for the next write */
    /* indexed evaluation: val[i] holds for this profile when stamp[i] == gen */
    uint32_t *stamp, *rstamp; /* per node, per rule (candidate taken) */
    uint32_t gen;
    uint32_t *cand;
    size_t ncand;
};

/* A result as JSON through yajl_gen (pretty or compact), written in one call of fn. The
 * reference for the compact writer, which copies fragments (output_freeze_json). */
mga_status output_json_gen(const mga_result *r, bool pretty, mga_write_fn fn, void *ud);

/* Evaluates every node into val (nnodes entries): the full sweep, which the indexed
 * evaluation of mga_evaluate must agree with. */
void eval_nodes(const mga_ruleset *rs, const mga_profile *p, uint8_t *val);

#endif
