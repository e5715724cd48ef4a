/* SPDX-License-Identifier: MIT */
/* Pass 6, eval: the node sweep and resolution (see eval.h). */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint8_t lin_value(const mga_ruleset *rs, const g_node *n, const mga_profile *p)
{
    double v = n->k, mag = fabs(n->k);
    for (uint32_t i = 0; i < n->n; i++) {
        const g_term *t = &rs->terms[n->off + i];
        if (!p->known[t->field])
            return V_UNKNOWN;
        double x = t->coef * p->num[t->field];
        v += x;
        mag += fabs(x);
    }
    /* Unit conversions are inexact: values within a relative 1e-9 count as equal. */
    double eps = 1e-9 * mag;
    switch (n->op) {
    case OP_LT:
        return v < -eps;
    case OP_LE:
        return v <= eps;
    default:
        return fabs(v) <= eps;
    }
}

/* The value of node n, its children's values being in val. */
static inline uint8_t node_value(const mga_ruleset *rs, const mga_profile *p, const g_node *n,
                                 const uint8_t *val)
{
    {
        uint8_t v = V_UNKNOWN;
        switch ((node_kind)n->kind) {
        case N_CONST:
            v = n->bval;
            break;
        case N_SET_ANY:
        case N_SET_ALL: {
            if (!p->known[n->field])
                break;
            const uint64_t *bits = p->bits + rs->fields[n->field].word;
            const uint64_t *mask = rs->masks + n->off;
            bool any = false, all = true;
            for (uint32_t w = 0; w < n->n; w++) {
                any |= (bits[w] & mask[w]) != 0;
                all &= (bits[w] & mask[w]) == mask[w];
            }
            v = n->kind == N_SET_ANY ? any : all;
            break;
        }
        case N_ENUM_IN: {
            if (!p->known[n->field])
                break;
            unsigned k = (unsigned)p->num[n->field];
            v = (rs->masks[n->off + k / 64] >> (k % 64)) & 1;
            break;
        }
        case N_BOOL:
            if (p->known[n->field])
                v = (p->num[n->field] != 0) == (n->bval != 0);
            break;
        case N_KNOWN:
            v = p->known[n->field] ? V_TRUE : V_FALSE;
            break;
        case N_DEF:
            v = val[rs->kids[n->off]] != V_UNKNOWN;
            break;
        case N_LIN:
            v = lin_value(rs, n, p);
            break;
        case N_AND: {
            /* Kleene: any false -> false; else any unknown -> unknown */
            v = V_TRUE;
            for (uint32_t k = 0; k < n->n; k++) {
                uint8_t c = val[rs->kids[n->off + k]];
                if (c == V_FALSE) {
                    v = V_FALSE;
                    break;
                }
                if (c == V_UNKNOWN)
                    v = V_UNKNOWN;
            }
            break;
        }
        case N_OR: {
            v = V_FALSE;
            for (uint32_t k = 0; k < n->n; k++) {
                uint8_t c = val[rs->kids[n->off + k]];
                if (c == V_TRUE) {
                    v = V_TRUE;
                    break;
                }
                if (c == V_UNKNOWN)
                    v = V_UNKNOWN;
            }
            break;
        }
        case N_NOT: {
            uint8_t c = val[rs->kids[n->off]];
            v = c == V_UNKNOWN ? V_UNKNOWN : (uint8_t)!c;
            break;
        }
        }
        return v;
    }
}

void eval_nodes(const mga_ruleset *rs, const mga_profile *p, uint8_t *val)
{
    for (size_t i = 0; i < rs->nnodes; i++)
        val[i] = node_value(rs, p, &rs->nodes[i], val);
}

static void add_candidate(mga_result *r, uint32_t rule)
{
    if (r->rstamp[rule] != r->gen) {
        r->rstamp[rule] = r->gen;
        r->cand[r->ncand++] = rule;
    }
}

static void add_key(mga_result *r, uint64_t key)
{
    uint32_t n = 0;
    const uint32_t *v = graph_guard_find(r->rs, key, &n);
    for (uint32_t i = 0; i < n; i++)
        add_candidate(r, v[i]);
}

static int cmp_rank(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Which rules fire, in rs->order, evaluating only the rules whose guard keys the profile
 * makes true (and the rules without a guard), each through its own nodes. A rule left
 * out has a set or enum test in its top-level AND that is not true, so the AND is not
 * true either: the result is the full sweep's (test_eval compares the two). */
static void eval_indexed(mga_result *r, const mga_profile *p)
{
    const mga_ruleset *rs = r->rs;
    if (++r->gen == 0) {
        memset(r->stamp, 0, rs->nnodes * sizeof *r->stamp);
        memset(r->rstamp, 0, rs->nrules * sizeof *r->rstamp);
        r->gen = 1;
    }
    r->ncand = 0;
    for (size_t i = 0; i < rs->nalways; i++)
        add_candidate(r, rs->always[i]);
    for (size_t k = 0; k < rs->ngfields; k++) {
        const g_gfield *gf = &rs->gfields[k];
        uint32_t f = gf->field;
        if (!p->known[f])
            continue;
        const g_field *fd = &rs->fields[f];
        if (fd->type == FT_ENUM) {
            add_key(r, graph_guard_key(f, (uint32_t)p->num[f], GUARD_NONE));
            continue;
        }
        uint32_t syms[32];
        size_t ns = 0;
        const uint64_t *bits = p->bits + fd->word;
        for (uint32_t w = 0; w < fd->nwords; w++)
            for (uint64_t b = bits[w]; b; b &= b - 1) {
                uint32_t sy = w * 64 + (uint32_t)__builtin_ctzll(b);
                add_key(r, graph_guard_key(f, sy, GUARD_NONE));
                if (ns < sizeof syms / sizeof syms[0])
                    syms[ns] = sy;
                ns++;
            }
        if (!gf->pairs)
            continue;
        if (ns <= sizeof syms / sizeof syms[0]) {
            for (size_t i = 0; i < ns; i++)
                for (size_t j = i + 1; j < ns; j++)
                    add_key(r, graph_guard_key(f, syms[i], syms[j]));
        } else {
            for (uint32_t i = 0; i < gf->pn; i++)
                add_candidate(r, rs->pair_rules[gf->poff + i]);
        }
    }
    r->nfired = 0;
    for (size_t c = 0; c < r->ncand; c++) {
        uint32_t ri = r->cand[c];
        for (uint32_t k = rs->rule_nodes_off[ri]; k < rs->rule_nodes_off[ri + 1]; k++) {
            uint32_t id = rs->rule_nodes[k];
            if (r->stamp[id] != r->gen) {
                r->stamp[id] = r->gen;
                r->val[id] = node_value(rs, p, &rs->nodes[id], r->val);
            }
        }
        if (r->val[rs->rules[ri].node] == V_TRUE)
            r->fired[r->nfired++] = rs->rank[ri];
    }
    qsort(r->fired, r->nfired, sizeof *r->fired, cmp_rank);
    for (size_t i = 0; i < r->nfired; i++)
        r->fired[i] = rs->order[r->fired[i]];
}

static bool push_over(mga_result *r, uint32_t rule, uint32_t by, over_what what, uint32_t form,
                      double mg)
{
    res_over *o = &r->over[r->nover++];
    o->rule = rule;
    o->by = by;
    o->what = what;
    o->form = form;
    o->mg = mg;
    return true;
}

static int find_form(const uint32_t *v, size_t n, uint32_t f)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == f)
            return (int)i;
    return -1;
}

static void resolve(mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    r->avoid_supplements = -1;
    for (size_t i = 0; i < r->nfired; i++)
        if (rs->rules[r->fired[i]].avoid_supplements) {
            r->avoid_supplements = (int32_t)r->fired[i];
            break;
        }
    /* avoided forms, first rule wins the attribution */
    for (size_t i = 0; i < r->nfired; i++) {
        const g_rule *g = &rs->rules[r->fired[i]];
        for (uint32_t k = 0; k < g->navoid; k++)
            if (find_form(r->avoid, r->navoid, g->avoid[k]) < 0) {
                r->avoid_rule[r->navoid] = r->fired[i];
                r->avoid[r->navoid++] = g->avoid[k];
            }
    }
    /* the smallest max holds */
    mga_dose *d = &r->dose;
    int max_kind = -1;
    uint32_t max_rule_ix = 0;
    for (size_t i = 0; i < r->nfired; i++) {
        const g_rule *g = &rs->rules[r->fired[i]];
        /* On a tie the cap is attributed to a dose rule, the one that states it. */
        bool tie_better = d->has_max && g->max == d->max_mg && g->kind == MGA_KIND_DOSE &&
                          d->max_rule != NULL && max_kind != MGA_KIND_DOSE;
        if (g->has_max && (!d->has_max || g->max < d->max_mg || tie_better)) {
            max_kind = g->kind;
            max_rule_ix = r->fired[i];
            d->has_max = true;
            d->max_mg = g->max;
            d->max_rule = g->id;
        }
    }

    /* Per fired rule: are all of its positive recommendations overruled? */
    for (size_t i = 0; i < r->nfired; i++) {
        uint32_t ri = r->fired[i];
        const g_rule *g = &rs->rules[ri];
        size_t positives = 0, overruled = 0;
        for (uint32_t k = 0; k < g->nprefer; k++) {
            positives++;
            uint32_t f = g->prefer[k];
            int av = find_form(r->avoid, r->navoid, f);
            if (r->avoid_supplements >= 0) {
                push_over(r, ri, (uint32_t)r->avoid_supplements, OV_PREFER, f, 0);
                overruled++;
            } else if (av >= 0) {
                push_over(r, ri, r->avoid_rule[av], OV_PREFER, f, 0);
                overruled++;
            } else if (find_form(r->prefer, r->nprefer, f) < 0) {
                r->prefer_rule[r->nprefer] = ri;
                r->prefer[r->nprefer++] = f;
            }
        }
        const bool has[2] = {g->has_start, g->has_target};
        const double mg[2] = {g->start, g->target};
        for (int part = 0; part < 2; part++) {
            if (!has[part])
                continue;
            positives++;
            over_what what = part == 0 ? OV_START : OV_TARGET;
            if (r->avoid_supplements >= 0) {
                push_over(r, ri, (uint32_t)r->avoid_supplements, what, 0, mg[part]);
                overruled++;
            } else if (d->has_max && mg[part] > d->max_mg) {
                push_over(r, ri, max_rule_ix, what, 0, mg[part]);
                overruled++;
            } else if (part == 0 && (!d->has_start || mg[part] > d->start_mg)) {
                d->has_start = true;
                d->start_mg = mg[part];
                d->start_rule = g->id;
            } else if (part == 1 && (!d->has_target || mg[part] > d->target_mg)) {
                d->has_target = true;
                d->target_mg = mg[part];
                d->target_rule = g->id;
            }
        }
        if (positives && overruled == positives &&
            (g->kind == MGA_KIND_PREFER || g->kind == MGA_KIND_DOSE)) {
            push_over(r, ri, r->over[r->nover - 1].by, OV_ITEM, 0, 0);
            continue; /* the item is withheld: its advice no longer holds */
        }
        mga_advice *a = &r->advice[r->nadvice];
        r->advice_rule[r->nadvice++] = ri;
        a->rule = g->id;
        a->kind = (mga_kind)g->kind;
        a->severity = (mga_severity)g->severity;
        a->text = g->say;
        a->evidence = g->evidence;
        a->refer = g->refer;
        a->cites = g->pub_cites;
        a->ncites = g->ncites;
    }
}

/* A result with its arrays sized for rs; they are filled from index 0 by every
 * evaluation, so a reused result needs no clearing beyond its counts. */
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
    r->val = arena_alloc(&r->a, rs->nnodes + 1);
    r->fired = arena_alloc(&r->a, nr * sizeof *r->fired);
    r->advice = arena_alloc(&r->a, nr * sizeof *r->advice);
    r->advice_rule = arena_alloc(&r->a, nr * sizeof *r->advice_rule);
    r->prefer = arena_alloc(&r->a, nf * sizeof *r->prefer);
    r->avoid = arena_alloc(&r->a, nf * sizeof *r->avoid);
    r->prefer_rule = arena_alloc(&r->a, nf * sizeof *r->prefer_rule);
    r->avoid_rule = arena_alloc(&r->a, nf * sizeof *r->avoid_rule);
    r->over = arena_alloc(&r->a, (nover + 1) * sizeof *r->over);
    r->stamp = arena_alloc(&r->a, (rs->nnodes + 1) * sizeof *r->stamp);
    r->rstamp = arena_alloc(&r->a, nr * sizeof *r->rstamp);
    r->cand = arena_alloc(&r->a, nr * sizeof *r->cand);
    if (!r->stamp || !r->rstamp || !r->cand || !r->val || !r->fired || !r->advice || !r->advice_rule || !r->prefer || !r->avoid ||
        !r->prefer_rule || !r->avoid_rule || !r->over) {
        mga_result_free(r);
        return NULL;
    }
    return r;
}

/* Every node in one pass, then the rules in rs->order: no candidates, no sort. */
static void eval_sweep(mga_result *r, const mga_profile *p)
{
    const mga_ruleset *rs = r->rs;
    eval_nodes(rs, p, r->val);
    r->nfired = 0;
    for (size_t i = 0; i < rs->nrules; i++) {
        uint32_t ri = rs->order[i];
        if (r->val[rs->rules[ri].node] == V_TRUE)
            r->fired[r->nfired++] = ri;
    }
}

static void evaluate(mga_result *r, const mga_profile *p)
{
    r->p = p;
    r->nfired = r->nadvice = r->nprefer = r->navoid = r->nover = 0;
    memset(&r->dose, 0, sizeof r->dose);
    if (r->rs->sweep)
        eval_sweep(r, p);
    else
        eval_indexed(r, p);
    resolve(r);
}

mga_status mga_evaluate(const mga_ruleset *rs, const mga_profile *p, mga_result **out)
{
    if (out)
        *out = NULL;
    if (!rs || !p || !out || p->rs != rs)
        return MGA_E_INVALID;
    mga_result *r = result_new(rs);
    if (!r)
        return MGA_E_NOMEM;
    evaluate(r, p);
    *out = r;
    return MGA_OK;
}

mga_status mga_evaluate_reuse(const mga_ruleset *rs, const mga_profile *p, mga_result **inout)
{
    if (!rs || !p || !inout || p->rs != rs || (*inout && (*inout)->rs != rs))
        return MGA_E_INVALID;
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
    arena_free(&r->a);
    mem_free(&m, r, sizeof *r);
}

const char *mga_result_id(const mga_result *r)
{
    return r ? r->p->id : NULL;
}

size_t mga_result_advice_count(const mga_result *r)
{
    return r ? r->nadvice : 0;
}

const mga_advice *mga_result_advice_ref(const mga_result *r, size_t i)
{
    return r && i < r->nadvice ? &r->advice[i] : NULL;
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
