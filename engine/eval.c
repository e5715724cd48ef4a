/* SPDX-License-Identifier: MIT */
/* Pass 6, eval: the fast evaluation of a profile (the sweep of every node, or the index
 * of candidate rules), then resolution (resolve.c); the result's lifecycle and accessors. */
#include "eval.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The fast evaluator (plan_sweep, run_prog) and the reference (eval_nodes) share one
 * encoding (semantics.h): F < U < T, so that the sweep's AND is a minimum, OR a maximum and
 * NOT 2 - x, with no branches. */

/* A leaf's value from whether its field is known and its test's outcome (0 or 1). */
/* Arithmetic, not a branch: whether a field is given is up to the profile. known and b
 * are 0 or 1 (mga_profile.known holds nothing else). */
#define K_LEAF(known, b) ((uint8_t)(1 - (known) + 2 * ((known) & (b))))

static inline uint8_t and_value(const uint32_t *kids, uint32_t n, const uint8_t *val)
{
    uint8_t v = TV_T;
    for (uint32_t k = 0; k < n; k++) {
        uint8_t c = val[kids[k]];
        v = c < v ? c : v;
    }
    return v;
}

static inline uint8_t or_value(const uint32_t *kids, uint32_t n, const uint8_t *val)
{
    uint8_t v = TV_F;
    for (uint32_t k = 0; k < n; k++) {
        uint8_t c = val[kids[k]];
        v = c > v ? c : v;
    }
    return v;
}

static inline uint8_t setn_value(const eval_plan *pl, const mga_profile *p, const e_node *n)
{
    const uint64_t *bits = p->bits + n->u.w, *mask = pl->masks + n->off;
    bool any = false, all = true;
    for (uint32_t w = 0; w < n->n; w++) {
        any |= (bits[w] & mask[w]) != 0;
        all &= (bits[w] & mask[w]) == mask[w];
    }
    return n->kind == E_ANYN ? any : all;
}

/* lin_value of one term, read from the node: the same operations in the same order. Its
 * sum and the magnitude the tolerance scales with, computed whether the field is known or
 * not (an unknown field's number is a number, its outcome thrown away by K_LEAF). */
static inline double lin1_sum(const e_node *n, const mga_profile *p, double *mag)
{
    double x = n->coef * p->num[n->field];
    *mag = fabs(n->u.k) + fabs(x);
    return n->u.k + x;
}

/* A one-term comparison, the operator chosen by arithmetic: which operator comes next, and
 * whether the field is known, are no pattern a branch predictor sees. Each lin_holds has a
 * constant operator, so it folds to one comparison. */
static inline uint8_t lin1_k(const e_node *n, const mga_profile *p)
{
    double mag, v = lin1_sum(n, p, &mag);
    int b = ((int)(n->op == OP_LT) & (int)lin_holds(v, mag, OP_LT)) |
            ((int)(n->op == OP_LE) & (int)lin_holds(v, mag, OP_LE)) |
            ((int)(n->op != OP_LT) & (int)(n->op != OP_LE) & (int)lin_holds(v, mag, OP_EQ));
    return K_LEAF(p->known[n->field], b);
}

/* The same where the sweep knows the operator (a run of one operator: op a constant) */
static inline __attribute__((always_inline)) uint8_t lin1_op(const e_node *n, const mga_profile *p,
                                                              int op)
{
    double mag, v = lin1_sum(n, p, &mag);
    int b = lin_holds(v, mag, op == OP_LT ? OP_LT : op == OP_LE ? OP_LE : OP_EQ);
    return K_LEAF(p->known[n->field], b);
}

static inline uint8_t lin_k(const mga_ruleset *rs, const e_node *n, const mga_profile *p)
{
    return lin_value(rs, n->op, n->off, n->n, n->u.k, p);
}

/* The value of node n (its children's values being in val), ordered F < U < T. */
static inline __attribute__((always_inline)) uint8_t e_value(const mga_ruleset *rs, const eval_plan *pl, const mga_profile *p,
                              const e_node *n, const uint8_t *val, const uint32_t *kids)
{
    const uint8_t known = p->known[n->field];
    switch ((e_kind)n->kind) {
    case E_CONST:
        return n->bval ? TV_T : TV_F;
    case E_ANY1:
        return K_LEAF(known, (p->bits[n->off] & n->u.m) != 0);
    case E_ALL1:
        return K_LEAF(known, (p->bits[n->off] & n->u.m) == n->u.m);
    case E_ANYN:
    case E_ALLN:
        return known ? (uint8_t)(2 * setn_value(pl, p, n)) : TV_U;
    case E_ENUM1:
        return known ? (uint8_t)(2 * ((n->u.m >> (unsigned)p->num[n->field]) & 1)) : TV_U;
    case E_ENUMN: {
        unsigned k = (unsigned)p->num[n->field];
        return known ? (uint8_t)(2 * ((rs->masks[n->off + k / 64] >> (k % 64)) & 1)) : TV_U;
    }
    case E_BOOL:
        return K_LEAF(known, (p->num[n->field] != 0) == (n->bval != 0));
    case E_KNOWN:
        return known ? TV_T : TV_F;
    case E_LIN:
        return lin_k(rs, n, p);
    case E_LIN1:
        return lin1_k(n, p);
    case E_DEF:
        return val[kids[n->off]] != TV_U ? TV_T : TV_F;
    case E_AND:
        return and_value(kids + n->off, n->n, val);
    case E_OR:
        return or_value(kids + n->off, n->n, val);
    case E_NOT:
        return (uint8_t)(TV_T - val[kids[n->off]]);
    }
    return TV_U;
}

#define MIN2(a, b) ((a) < (b) ? (a) : (b))
#define MAX2(a, b) ((a) > (b) ? (a) : (b))

/* The value of an AND (the minimum, max false) or an OR (the maximum) over its n children
 * in the sweep, n padded to a multiple of four: four at a time, one pass for most. */
static inline __attribute__((always_inline)) uint8_t fold4(const uint32_t *k, uint32_t n,
                                                             const uint8_t *val, bool max)
{
    uint8_t v = max ? TV_F : TV_T;
    for (const uint32_t *kend = k + n; k < kend; k += 4) {
        uint8_t a = max ? MAX2(val[k[0]], val[k[1]]) : MIN2(val[k[0]], val[k[1]]);
        uint8_t b = max ? MAX2(val[k[2]], val[k[3]]) : MIN2(val[k[2]], val[k[3]]);
        v = max ? MAX2(v, MAX2(a, b)) : MIN2(v, MIN2(a, b));
    }
    return v;
}

/* Every node the rules reach, run by run: one dispatch per run of nodes of one kind; the
 * nodes and their values front to back (eval_plan.snodes). */
static void plan_sweep(const mga_ruleset *rs, const mga_profile *p, uint8_t *val)
{
    const eval_plan *pl = rs->plan;
    const uint8_t *known = p->known;
    const uint64_t *bits = p->bits;
    const e_node *nodes = pl->snodes;
    const uint32_t *kids = pl->skids;
    val[pl->nsweep] = TV_F;     /* the padding of an OR's children */
    val[pl->nsweep + 1] = TV_T; /* and of an AND's */
    for (size_t r = 0; r < pl->nruns; r++) {
        size_t i = pl->runs[r].begin, end = pl->runs[r].end;
        switch (pl->runs[r].kind) {
        case RUN_AND2:
            for (; i < end; i++) {
                uint8_t a = val[nodes[i].off], b = val[nodes[i].n];
                val[i] = a < b ? a : b;
            }
            break;
        case RUN_OR2:
            for (; i < end; i++) {
                uint8_t a = val[nodes[i].off], b = val[nodes[i].n];
                val[i] = a > b ? a : b;
            }
            break;
        case E_ANY1:
            for (; i < end; i++) {
                const e_node *n = &nodes[i];
                val[i] = K_LEAF(known[n->field], (bits[n->off] & n->u.m) != 0);
            }
            break;
        case E_ENUM1:
            for (; i < end; i++) {
                const e_node *n = &nodes[i];
                val[i] = known[n->field]
                             ? (uint8_t)(2 * ((n->u.m >> (unsigned)p->num[n->field]) & 1))
                             : TV_U;
            }
            break;
        case E_AND:
            for (; i < end; i++)
                val[i] = fold4(kids + nodes[i].off, nodes[i].n, val, false);
            break;
        case E_OR:
            for (; i < end; i++)
                val[i] = fold4(kids + nodes[i].off, nodes[i].n, val, true);
            break;
        case E_LIN:
            for (; i < end; i++)
                val[i] = lin_k(rs, &nodes[i], p);
            break;
        case RUN_LIN1_LT:
            for (; i < end; i++)
                val[i] = lin1_op(&nodes[i], p, OP_LT);
            break;
        case RUN_LIN1_LE:
            for (; i < end; i++)
                val[i] = lin1_op(&nodes[i], p, OP_LE);
            break;
        case RUN_LIN1_EQ:
            for (; i < end; i++)
                val[i] = lin1_op(&nodes[i], p, OP_EQ);
            break;
        default:
            for (; i < end; i++)
                val[i] = e_value(rs, pl, p, &nodes[i], val, kids);
            break;
        }
    }
}

static inline void run_prog(mga_result *r, const mga_profile *p, const e_prog *pr)
{
    if (pr->multi) {
        if (r->rstamp[pr->rule] == r->gen)
            return;
        r->rstamp[pr->rule] = r->gen;
    }
    const eval_plan *pl = r->rs->plan;
    const e_node *n = pl->pnodes + pr->off;
    uint8_t *v = r->pval;
    for (uint32_t i = 0; i < pr->n; i++)
        v[i] = e_value(r->rs, pl, p, &n[i], v, pl->pkids);
    r->hits[r->nfired] = (uint64_t)pr->rank << 32 | pr->rule;
    r->nfired += v[pr->n - 1] == TV_T;
}

static void run_key(mga_result *r, const mga_profile *p, uint64_t key)
{
    const mga_ruleset *rs = r->rs;
    const g_gkey *k = graph_guard_find(rs, key);
    if (!k)
        return;
    const e_prog *pr = rs->plan->gprog + k->off;
    if (k->qfield == GUARD_NONE) {
        for (uint32_t i = 0; i < k->n; i++)
            run_prog(r, p, &pr[i]);
        return;
    }
    /* the rules that do not test the split field, then those that allow its value */
    const uint32_t *s = rs->guard_split + k->qoff;
    for (uint32_t i = 0; i < s[0]; i++)
        run_prog(r, p, &pr[i]);
    if (!p->known[k->qfield])
        return;
    uint32_t v = (uint32_t)p->num[k->qfield];
    for (uint32_t i = s[v]; i < s[v + 1]; i++)
        run_prog(r, p, &pr[i]);
}

static int cmp_hit(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Which rules fire, in rs->order, running only the programs of the rules whose guard keys
 * the profile makes true (and of the rules without a guard). A rule left out has a set or
 * enum test in its top-level AND that is not true, so the AND is not true either: the
 * result is the full sweep's (test_eval compares the two). */
static void eval_indexed(mga_result *r, const mga_profile *p)
{
    const mga_ruleset *rs = r->rs;
    const eval_plan *pl = rs->plan;
    if (++r->gen == 0) {
        memset(r->rstamp, 0, rs->nrules * sizeof *r->rstamp);
        r->gen = 1;
    }
    r->nfired = 0;
    for (size_t i = 0; i < rs->nalways; i++)
        run_prog(r, p, &pl->aprog[i]);
    /* the rules whose interval of a number holds its value: those listed under its atom,
     * and those on the path from the atom's leaf to the root of the field's tree */
    for (size_t k = 0; k < rs->ntfields; k++) {
        const g_tfield *t = &rs->tfields[k];
        if (!p->known[t->field])
            continue;
        uint32_t a = graph_atom(rs, t, p->num[t->field]);
        const uint32_t *off = rs->tnode + t->atom;
        for (uint32_t i = off[a]; i < off[a + 1]; i++)
            run_prog(r, p, &pl->tprog[i]);
        if (t->shift == 32)
            continue;
        off = rs->tnode + t->node;
        for (uint32_t x = (a + t->size) >> t->shift; x; x >>= 1)
            for (uint32_t i = off[x]; i < off[x + 1]; i++)
                run_prog(r, p, &pl->tprog[i]);
    }
    for (size_t k = 0; k < rs->ngfields; k++) {
        const g_gfield *gf = &rs->gfields[k];
        uint32_t f = gf->field;
        if (!p->known[f])
            continue;
        const g_field *fd = &rs->fields[f];
        if (fd->type == FT_ENUM) {
            run_key(r, p, graph_guard_key(f, (uint32_t)p->num[f], GUARD_NONE));
            continue;
        }
        uint32_t syms[32];
        size_t ns = 0;
        if (p->nsyms <= PROFILE_SYMS) { /* the profile's list of its symbols */
            for (uint32_t i = 0; i < p->nsyms; i++)
                if (p->syms[i].field == f) {
                    run_key(r, p, graph_guard_key(f, p->syms[i].sym, GUARD_NONE));
                    syms[ns++] = p->syms[i].sym;
                }
        }
        /* else the field's nonzero words, through the profile's summary of them: a set of
         * thousands of symbols is not scanned word by word */
        uint32_t w0 = fd->word, w1 = fd->word + fd->nwords;
        for (uint32_t sw = w0 / 64; p->nsyms > PROFILE_SYMS && fd->nwords && sw <= (w1 - 1) / 64;
             sw++) {
            uint64_t nz = p->nz[sw];
            if (sw == w0 / 64)
                nz &= ~0ull << (w0 % 64);
            if (sw == (w1 - 1) / 64 && w1 % 64)
                nz &= ~(~0ull << (w1 % 64));
            for (; nz; nz &= nz - 1) {
                uint32_t w = sw * 64 + (uint32_t)__builtin_ctzll(nz);
                for (uint64_t b = p->bits[w]; b; b &= b - 1) {
                    uint32_t sy = (w - w0) * 64 + (uint32_t)__builtin_ctzll(b);
                    run_key(r, p, graph_guard_key(f, sy, GUARD_NONE));
                    if (ns < sizeof syms / sizeof syms[0])
                        syms[ns] = sy;
                    ns++;
                }
            }
        }
        if (!gf->pairs)
            continue;
        if (ns <= sizeof syms / sizeof syms[0]) {
            for (size_t i = 0; i < ns; i++)
                for (size_t j = i + 1; j < ns; j++)
                    run_key(r, p,
                            graph_guard_key(f, syms[i] < syms[j] ? syms[i] : syms[j],
                                            syms[i] < syms[j] ? syms[j] : syms[i]));
        } else {
            for (uint32_t i = 0; i < gf->pn; i++)
                run_prog(r, p, &pl->pprog[gf->poff + i]);
        }
    }
    uint64_t *f = r->hits;
    if (r->nfired > 16) {
        qsort(f, r->nfired, sizeof *f, cmp_hit);
    } else { /* few fire: an insertion sort, not qsort's setup */
        for (size_t i = 1; i < r->nfired; i++) {
            uint64_t x = f[i];
            size_t j = i;
            for (; j > 0 && f[j - 1] > x; j--)
                f[j] = f[j - 1];
            f[j] = x;
        }
    }
    for (size_t i = 0; i < r->nfired; i++)
        r->fired[i] = (uint32_t)f[i];
}

/* A result with its arrays sized for rs; they are filled from index 0 by every
 * evaluation, so a reused result needs no clearing beyond its counts. The arrays an
 * evaluation writes before it reads them (up to a count: nfired, nadvice, nover, ...) are
 * not zeroed here either: the overruled list alone is an entry per preferred form, start,
 * target and item of every rule, far more than one evaluation records. Zeroed: what is read
 * before it is written (the stamps rstamp and refstamp, withheld) and the small arrays. */
static mga_result *result_new(const mga_ruleset *rs)
{
    mga_result *r = mem_alloc(&rs->m, sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->m = rs->m;
    arena_init(&r->a, &r->m);
    r->rs = rs;
    size_t nf = rs->nforms + 1, nr = rs->nrules + 1;
    size_t nover = rs->max_overruled;
    /* per node (eval_nodes), or per sweep position and the two padding slots */
    r->val = arena_alloc(&r->a, (rs->nnodes > rs->plan->nsweep + 2 ? rs->nnodes : rs->plan->nsweep + 2) + 1);
    r->fired = arena_alloc_uninit(&r->a, nr * sizeof *r->fired);
    r->advice_rule = arena_alloc_uninit(&r->a, nr * sizeof *r->advice_rule);
    r->rlist = arena_alloc_uninit(&r->a, 3 * nr * sizeof *r->rlist);
    r->withheld = arena_alloc(&r->a, nr);
    r->prefer = arena_alloc(&r->a, nf * sizeof *r->prefer);
    r->avoid = arena_alloc(&r->a, nf * sizeof *r->avoid);
    r->prefer_rule = arena_alloc(&r->a, nf * sizeof *r->prefer_rule);
    r->avoid_rule = arena_alloc(&r->a, nf * sizeof *r->avoid_rule);
    r->over = arena_alloc_uninit(&r->a, (nover + 1) * sizeof *r->over);
    r->rstamp = arena_alloc(&r->a, nr * sizeof *r->rstamp);
    r->pval = arena_alloc(&r->a, rs->plan->max_prog + 1);
    r->hits = arena_alloc_uninit(&r->a, nr * sizeof *r->hits);
    size_t nx = rs->nrefs_json + 1;
    r->refstamp = arena_alloc(&r->a, nx * sizeof *r->refstamp);
    r->refno = arena_alloc(&r->a, nx * sizeof *r->refno);
    r->reforder = arena_alloc(&r->a, nx * sizeof *r->reforder);
    r->decided = arena_alloc_uninit(&r->a, nr * sizeof *r->decided);
    r->referral = arena_alloc_uninit(&r->a, nr * sizeof *r->referral);
    r->sum_decided = arena_alloc_uninit(&r->a, nr * sizeof *r->sum_decided);
    r->sum_prefer = arena_alloc(&r->a, nf * sizeof *r->sum_prefer);
    r->sum_reasons = arena_alloc_uninit(&r->a, nr * sizeof *r->sum_reasons);
    r->shown = arena_alloc_uninit(&r->a, nr * sizeof *r->shown);
    if (!r->decided || !r->referral || !r->sum_decided || !r->sum_prefer || !r->sum_reasons ||
        !r->shown) {
        mga_result_free(r);
        return NULL;
    }
    if (!r->refstamp || !r->refno || !r->reforder || !r->rstamp || !r->pval || !r->hits || !r->val || !r->fired || !r->advice_rule || !r->rlist || !r->withheld || !r->prefer || !r->avoid ||
        !r->prefer_rule || !r->avoid_rule || !r->over) {
        mga_result_free(r);
        return NULL;
    }
    return r;
}

/* Every node the rules reach in one pass, then the rules in rs->order: no candidates, no
 * sort. */
static void eval_sweep(mga_result *r, const mga_profile *p)
{
    const mga_ruleset *rs = r->rs;
    plan_sweep(rs, p, r->val);
    const e_fire *fire = rs->plan->fire;
    size_t nf = 0;
    uint32_t *fired = r->fired;
    const uint8_t *val = r->val;
    /* branch-free: whether a rule fires is what the branch predictor cannot guess */
    for (size_t i = 0; i < rs->nrules; i++) {
        fired[nf] = fire[i].rule;
        nf += val[fire[i].node] == TV_T;
    }
    r->nfired = nf;
}

static void evaluate(mga_result *r, const mga_profile *p)
{
    r->p = p;
    r->nfired = r->nadvice = r->nprefer = r->navoid = r->nover = 0;
    memset(&r->dose, 0, sizeof r->dose);
    r->start_rule = r->target_rule = r->max_rule = 0;
    if (r->rs->sweep)
        eval_sweep(r, p);
    else
        eval_indexed(r, p);
    eval_resolve(r);
    eval_rank(r);
    eval_summarize(r);
}

mga_status mga_evaluate(const mga_ruleset *rs, const mga_profile *p, mga_result **out)
{
    if (out)
        *out = NULL;
    if (!rs || !p || !out || p->rs != rs || !p->valid)
        return MGA_E_MISUSE;
    mga_result *r = result_new(rs);
    if (!r)
        return MGA_E_NOMEM;
    evaluate(r, p);
    *out = r;
    return MGA_OK;
}

mga_status mga_evaluate_reuse(const mga_ruleset *rs, const mga_profile *p, mga_result **inout)
{
    if (!rs || !p || !inout || p->rs != rs || !p->valid || (*inout && (*inout)->rs != rs))
        return MGA_E_MISUSE;
    if (!*inout && !(*inout = result_new(rs)))
        return MGA_E_NOMEM;
    evaluate(*inout, p);
    return MGA_OK;
}

void mga_result_free(mga_result *r)
{
    if (!r)
        return;
    mem m = r->m;
    membuf_free(&m, &r->out);
    mem_free(&m, r->parts, r->parts_cap * sizeof *r->parts);
    arena_free(&r->a);
    mem_free(&m, r, sizeof *r);
}

const char *mga_result_id(const mga_result *r)
{
    return r ? r->p->id : NULL;
}

bool mga_result_id_is_number(const mga_result *r)
{
    return r && r->p->id && r->p->id_number;
}

size_t mga_result_advice_count(const mga_result *r)
{
    return r ? r->nadvice : 0;
}

const mga_advice *mga_result_advice_ref(const mga_result *r, size_t i)
{
    return r && i < r->nadvice ? &r->rs->plan->advice[r->advice_rule[i]] : NULL;
}

const mga_dose *mga_result_dose_ref(const mga_result *r)
{
    return r ? &r->dose : NULL;
}

size_t mga_result_prefer_count(const mga_result *r)
{
    return r ? r->nprefer : 0;
}

const char *mga_result_prefer_ref(const mga_result *r, size_t i)
{
    return r && i < r->nprefer ? r->rs->forms[r->prefer[i]] : NULL;
}

size_t mga_result_avoid_count(const mga_result *r)
{
    return r ? r->navoid : 0;
}

const char *mga_result_avoid_ref(const mga_result *r, size_t i)
{
    return r && i < r->navoid ? r->rs->forms[r->avoid[i]] : NULL;
}

const char *mga_result_disclaimer(const mga_result *r)
{
    return r ? r->rs->disclaimer : NULL;
}

const mga_summary *mga_result_summary_ref(const mga_result *r)
{
    return r ? &r->summary : NULL;
}

