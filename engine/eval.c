/* SPDX-License-Identifier: MIT */
/* Pass 6, eval: the node sweep and resolution (see eval.h). */
#include "eval.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The value of node n, its children's values being in val. */
static inline uint8_t node_value(const mga_ruleset *rs, const mga_profile *p, const g_node *n,
                                 const uint8_t *val)
{
    {
        uint8_t v = TV_U;
        switch ((node_kind)n->kind) {
        case N_CONST:
            v = tv_of(n->bval);
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
            v = tv_of(n->kind == N_SET_ANY ? any : all);
            break;
        }
        case N_ENUM_IN: {
            if (!p->known[n->field])
                break;
            unsigned k = (unsigned)p->num[n->field];
            v = tv_of((rs->masks[n->off + k / 64] >> (k % 64)) & 1);
            break;
        }
        case N_BOOL:
            if (p->known[n->field])
                v = tv_of((p->num[n->field] != 0) == (n->bval != 0));
            break;
        case N_KNOWN:
            v = p->known[n->field] ? TV_T : TV_F;
            break;
        case N_DEF:
            v = tv_of(val[rs->kids[n->off]] != TV_U);
            break;
        case N_LIN:
            v = lin_value(rs, n->op, n->off, n->n, n->k, p);
            break;
        case N_AND: {
            /* Kleene: any false -> false; else any unknown -> unknown */
            v = TV_T;
            for (uint32_t k = 0; k < n->n; k++) {
                uint8_t c = val[rs->kids[n->off + k]];
                if (c == TV_F) {
                    v = TV_F;
                    break;
                }
                if (c == TV_U)
                    v = TV_U;
            }
            break;
        }
        case N_OR: {
            v = TV_F;
            for (uint32_t k = 0; k < n->n; k++) {
                uint8_t c = val[rs->kids[n->off + k]];
                if (c == TV_T) {
                    v = TV_T;
                    break;
                }
                if (c == TV_U)
                    v = TV_U;
            }
            break;
        }
        case N_NOT: {
            uint8_t c = val[rs->kids[n->off]];
            v = tv_not(c);
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

/* ---- the evaluator's plan (eval.h) ---- */

static bool has_kids(uint8_t kind)
{
    return kind == N_AND || kind == N_OR || kind == N_NOT || kind == N_DEF;
}

/* n's evaluator form; masks of multi-word set tests are appended to *masks (nmasks words
 * so far, room for all of rs->masks). */
static e_node plan_node(const mga_ruleset *rs, const g_node *g, uint64_t *masks, size_t *nmasks)
{
    e_node e = {.op = g->op, .bval = g->bval, .field = g->field, .off = g->off, .n = g->n};
    switch ((node_kind)g->kind) {
    case N_CONST:
        e.kind = E_CONST;
        break;
    case N_SET_ANY:
    case N_SET_ALL: {
        const uint64_t *m = rs->masks + g->off;
        uint32_t lo = 0, hi = g->n;
        while (lo < hi && !m[lo])
            lo++;
        while (hi > lo && !m[hi - 1])
            hi--;
        bool any = g->kind == N_SET_ANY;
        uint32_t word = rs->fields[g->field].word + lo;
        if (hi - lo == 1) {
            e.kind = any ? E_ANY1 : E_ALL1;
            e.off = word;
            e.u.m = m[lo];
        } else {
            /* an empty mask (no words left): any is false, all is true */
            e.kind = any ? E_ANYN : E_ALLN;
            e.off = (uint32_t)*nmasks;
            e.n = hi - lo;
            e.u.w = word;
            memcpy(masks + *nmasks, m + lo, (hi - lo) * sizeof *m);
            *nmasks += hi - lo;
        }
        break;
    }
    case N_ENUM_IN:
        if (rs->fields[g->field].nsyms <= 64) {
            e.kind = E_ENUM1;
            e.u.m = rs->masks[g->off];
        } else {
            e.kind = E_ENUMN;
        }
        break;
    case N_BOOL:
        e.kind = E_BOOL;
        break;
    case N_KNOWN:
        e.kind = E_KNOWN;
        break;
    case N_DEF:
        e.kind = E_DEF;
        break;
    case N_LIN:
        e.kind = E_LIN;
        e.u.k = g->k;
        if (g->n == 1) {
            e.kind = E_LIN1;
            e.field = rs->terms[g->off].field;
            e.coef = rs->terms[g->off].coef;
        }
        break;
    case N_AND:
        e.kind = E_AND;
        break;
    case N_OR:
        e.kind = E_OR;
        break;
    case N_NOT:
        e.kind = E_NOT;
        break;
    }
    return e;
}

/* A node's run kind (eval.h): ANDs and ORs of two children (most of them) and one-term
 * comparisons get kinds of their own. */
static uint32_t run_kind(const e_node *e)
{
    if (e->n == 2 && (e->kind == E_AND || e->kind == E_OR))
        return e->kind == E_AND ? RUN_AND2 : RUN_OR2;
    if (e->kind == E_LIN1)
        return e->op == OP_LT ? RUN_LIN1_LT : e->op == OP_LE ? RUN_LIN1_LE : RUN_LIN1_EQ;
    return e->kind;
}

typedef struct plan_key {
    uint32_t depth, kind, id;
} plan_key;

static int cmp_plan_key(const void *a, const void *b)
{
    const plan_key *x = a, *y = b;
    if (x->depth != y->depth)
        return (x->depth > y->depth) - (x->depth < y->depth);
    if (x->kind != y->kind)
        return (x->kind > y->kind) - (x->kind < y->kind);
    return (x->id > y->id) - (x->id < y->id);
}

/* What the guard index knows of a profile when it runs a program: the profile has the
 * key's symbols a and b (b GUARD_NONE: one symbol) of field kf, or enum field kf has value
 * a, and split field qf has value v. kf GUARD_NONE: nothing is known. */
typedef struct prog_ctx {
    uint32_t kf, a, b, qf, v;
} prog_ctx;

static bool mask_has(const uint64_t *m, uint32_t words, uint32_t s)
{
    return s / 64 < words && ((m[s / 64] >> (s % 64)) & 1);
}

/* Whether test g is true of every profile run in context c. */
static bool implied(const mga_ruleset *rs, const g_node *g, const prog_ctx *c)
{
    if (c->kf == GUARD_NONE)
        return false;
    const uint64_t *m = rs->masks + g->off;
    switch ((node_kind)g->kind) {
    case N_KNOWN:
        return g->field == c->kf || (g->field == c->qf && c->v != GUARD_NONE);
    case N_SET_ANY:
        return g->field == c->kf &&
               (mask_has(m, g->n, c->a) || (c->b != GUARD_NONE && mask_has(m, g->n, c->b)));
    case N_SET_ALL: /* every symbol of the mask is a or b */
        if (g->field != c->kf)
            return false;
        for (uint32_t w = 0; w < g->n; w++)
            for (uint64_t bits = m[w]; bits; bits &= bits - 1) {
                uint32_t s = w * 64 + (uint32_t)__builtin_ctzll(bits);
                if (s != c->a && s != c->b)
                    return false;
            }
        return true;
    case N_ENUM_IN:
        return (g->field == c->kf && mask_has(m, g->n, c->a)) ||
               (g->field == c->qf && mask_has(m, g->n, c->v));
    default:
        return false;
    }
}

/* Scratch of make_prog, per graph node: the node that stands for it (itself, or a child
 * when an AND keeps one child), or P_TRUE when the context implies it; whether the
 * program needs it; its position in the program. */
#define P_TRUE UINT32_MAX
typedef struct prog_tmp {
    uint32_t *loc;
    uint8_t *need;
    uint32_t *pos;
} prog_tmp;

/* Writes rule ri's program for context c to the end of pl->pnodes, its children,
 * renumbered within the program, to the end of pl->pkids: the rule's nodes (rs->rule_nodes,
 * children first) less those c makes true, with ANDs that lose all but one child replaced
 * by that child. The last node is the condition (the constant true when c implies it). */
static e_prog make_prog(const mga_ruleset *rs, eval_plan *pl, uint32_t ri, const prog_ctx *c,
                        const prog_tmp *t, size_t *nn, size_t *nk)
{
    uint32_t b = rs->rule_nodes_off[ri], e = rs->rule_nodes_off[ri + 1];
    if (b == e) /* no node list: the rule set is swept whole (graph.c), never indexed */
        return (e_prog){.rule = ri, .rank = rs->rank[ri], .off = (uint32_t)*nn};
    /* which graph node stands for each node: itself, a child, or P_TRUE */
    for (uint32_t k = b; k < e; k++) {
        uint32_t id = rs->rule_nodes[k];
        const g_node *g = &rs->nodes[id];
        uint32_t to = id, kept = 0, last = 0;
        t->need[id] = 0;
        if (implied(rs, g, c)) {
            to = P_TRUE;
        } else if (g->kind == N_AND) {
            for (uint32_t i = 0; i < g->n; i++)
                if (t->loc[rs->kids[g->off + i]] != P_TRUE) {
                    kept++;
                    last = t->loc[rs->kids[g->off + i]];
                }
            to = kept == 0 ? P_TRUE : kept == 1 ? last : id;
        } else if (g->kind == N_OR || g->kind == N_DEF) {
            for (uint32_t i = 0; i < g->n; i++)
                if (t->loc[rs->kids[g->off + i]] == P_TRUE)
                    to = P_TRUE; /* T or anything is T; a true child is defined */
        }
        t->loc[id] = to;
    }
    uint32_t root = t->loc[rs->rules[ri].node];
    e_prog pr = {.rule = ri, .rank = rs->rank[ri], .off = (uint32_t)*nn};
    if (root == P_TRUE) {
        pl->pnodes[(*nn)++] = (e_node){.kind = E_CONST, .bval = 1};
        pr.n = 1;
        return pr;
    }
    /* what the root needs, from the top down (parents have higher ids) */
    t->need[root] = 1;
    for (uint32_t k = e; k-- > b;) {
        uint32_t id = rs->rule_nodes[k];
        const g_node *g = &rs->nodes[id];
        if (!t->need[id] || t->loc[id] != id || !has_kids(g->kind))
            continue;
        for (uint32_t i = 0; i < g->n; i++) {
            uint32_t to = t->loc[rs->kids[g->off + i]];
            if (to != P_TRUE)
                t->need[to] = 1;
        }
    }
    /* the needed nodes, children first */
    uint32_t n = 0;
    for (uint32_t k = b; k < e; k++) {
        uint32_t id = rs->rule_nodes[k];
        if (!t->need[id])
            continue;
        const g_node *g = &rs->nodes[id];
        e_node x = pl->nodes[id];
        if (has_kids(g->kind)) {
            x.off = (uint32_t)*nk;
            x.n = 0;
            for (uint32_t i = 0; i < g->n; i++) {
                uint32_t to = t->loc[rs->kids[g->off + i]];
                if (to == P_TRUE) {
                    /* only an AND drops a true child; NOT of true is false */
                    if (g->kind == N_AND)
                        continue;
                    x = (e_node){.kind = E_CONST, .bval = 0};
                    break;
                }
                pl->pkids[(*nk)++] = t->pos[to];
                x.n++;
            }
        }
        pl->pnodes[(*nn)++] = x;
        t->pos[id] = n++;
    }
    pr.n = n;
    return pr;
}

/* The context of each entry of rs->guard_rules (its key's symbols and split value). */
static bool entry_contexts(const mga_ruleset *rs, prog_ctx *ctx)
{
    for (size_t j = 0; rs->gkeys && j <= rs->gkey_mask; j++) {
        const g_gkey *k = &rs->gkeys[j];
        if (!k->key)
            continue;
        prog_ctx c = {.kf = (uint32_t)(k->key >> 42) - 1,
                      .a = (uint32_t)(k->key >> 21) & GUARD_NONE,
                      .b = (uint32_t)k->key & GUARD_NONE,
                      .qf = k->qfield,
                      .v = GUARD_NONE};
        for (uint32_t i = 0; i < k->n; i++) {
            if (k->qfield != GUARD_NONE)
                while (i >= rs->guard_split[k->qoff + (c.v == GUARD_NONE ? 0 : c.v + 1)])
                    c.v = c.v == GUARD_NONE ? 0 : c.v + 1;
            ctx[k->off + i] = c;
        }
    }
    return true;
}

/* Every entry's program, laid out in the order of rs->guard_rules (so the rules of one key
 * are side by side) with what its key implies left out, then the whole programs of the
 * rules with no guard and of the rules under two symbols (for a profile with too many
 * symbols to try every pair); gprog, aprog and pprog point at them. */
static bool plan_programs(mga_ruleset *rs, eval_plan *pl)
{
    size_t ng = 0, np = 0, nnodes = 0, nkids = 0;
    for (size_t j = 0; rs->gkeys && j <= rs->gkey_mask; j++)
        ng += rs->gkeys[j].n;
    for (size_t k = 0; k < rs->ngfields; k++)
        np += rs->gfields[k].pn;
    size_t na = rs->nalways, nt = rs->ntrules, nall = ng + na + np + nt;
    /* room: each entry's and each unguarded, pair or threshold rule's whole program */
    for (size_t i = 0; i < nall; i++) {
        uint32_t ri = i < ng             ? rs->guard_rules[i]
                      : i < ng + na      ? rs->always[i - ng]
                      : i < ng + na + np ? rs->pair_rules[i - ng - na]
                                         : rs->trules[i - ng - na - np];
        for (uint32_t k = rs->rule_nodes_off[ri]; k < rs->rule_nodes_off[ri + 1]; k++) {
            const g_node *g = &rs->nodes[rs->rule_nodes[k]];
            nnodes++;
            nkids += has_kids(g->kind) ? g->n : 0;
        }
    }
    pl->pnodes = arena_alloc(&rs->a, (nnodes + 1) * sizeof *pl->pnodes);
    pl->pkids = arena_alloc(&rs->a, (nkids + 1) * sizeof *pl->pkids);
    pl->gprog = arena_alloc(&rs->a, (ng + 1) * sizeof *pl->gprog);
    pl->aprog = arena_alloc(&rs->a, (rs->nalways + 1) * sizeof *pl->aprog);
    pl->pprog = arena_alloc(&rs->a, (np + 1) * sizeof *pl->pprog);
    pl->tprog = arena_alloc(&rs->a, (nt + 1) * sizeof *pl->tprog);
    prog_ctx *ctx = mem_alloc(&rs->m, (ng + 1) * sizeof *ctx);
    prog_tmp t = {mem_alloc(&rs->m, (rs->nnodes + 1) * sizeof *t.loc),
                  mem_alloc(&rs->m, rs->nnodes + 1),
                  mem_alloc(&rs->m, (rs->nnodes + 1) * sizeof *t.pos)};
    uint64_t *lastkey = mem_alloc(&rs->m, (rs->nrules + 1) * sizeof *lastkey);
    uint32_t *nkeys = mem_alloc(&rs->m, (rs->nrules + 1) * sizeof *nkeys);
    bool ok = pl->pnodes && pl->pkids && pl->gprog && pl->aprog && pl->pprog && pl->tprog && ctx && t.loc &&
              t.need && t.pos && lastkey && nkeys && entry_contexts(rs, ctx);
    if (ok) {
        size_t nn = 0, nk = 0;
        const prog_ctx none = {.kf = GUARD_NONE};
        for (size_t i = 0; i < nall; i++) {
            e_prog *to = i < ng             ? &pl->gprog[i]
                         : i < ng + na      ? &pl->aprog[i - ng]
                         : i < ng + na + np ? &pl->pprog[i - ng - na]
                                            : &pl->tprog[i - ng - na - np];
            uint32_t ri = i < ng             ? rs->guard_rules[i]
                          : i < ng + na      ? rs->always[i - ng]
                          : i < ng + na + np ? rs->pair_rules[i - ng - na]
                                             : rs->trules[i - ng - na - np];
            *to = make_prog(rs, pl, ri, i < ng ? &ctx[i] : &none, &t, &nn, &nk);
            pl->max_prog = to->n > pl->max_prog ? to->n : pl->max_prog;
        }
        /* a rule under two keys is marked, and its runs stamped, so it runs once (under
         * one key it may be listed for several values of the split field, of which a
         * profile has one) */
        for (size_t i = 0; i < rs->nrules; i++) {
            lastkey[i] = 0;
            nkeys[i] = 0;
        }
        for (size_t j = 0; rs->gkeys && j <= rs->gkey_mask; j++)
            for (uint32_t i = 0; i < rs->gkeys[j].n; i++) {
                uint32_t ri = rs->guard_rules[rs->gkeys[j].off + i];
                if (lastkey[ri] != rs->gkeys[j].key) {
                    lastkey[ri] = rs->gkeys[j].key;
                    nkeys[ri]++;
                }
            }
        for (size_t i = 0; i < ng; i++)
            pl->gprog[i].multi = nkeys[rs->guard_rules[i]] > 1;
    }
    mem_free(&rs->m, nkeys, (rs->nrules + 1) * sizeof *nkeys);
    mem_free(&rs->m, lastkey, (rs->nrules + 1) * sizeof *lastkey);
    mem_free(&rs->m, t.pos, (rs->nnodes + 1) * sizeof *t.pos);
    mem_free(&rs->m, t.need, rs->nnodes + 1);
    mem_free(&rs->m, t.loc, (rs->nnodes + 1) * sizeof *t.loc);
    mem_free(&rs->m, ctx, (ng + 1) * sizeof *ctx);
    return ok;
}

/* ---- ranking: the order in which a result shows its items ---- */

static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Whether text names form: as a whole word, in any case, a '_' in the name read as a
 * space ("magnesium citrate" names citrate; "citrates" does not). */
static bool names_form(const char *text, const char *form)
{
    const unsigned char *t = (const unsigned char *)text, *f = (const unsigned char *)form;
    size_t n = strlen(form);
    if (!text || !n)
        return false;
    for (size_t i = 0; t[i]; i++) {
        if (i && word_byte(t[i - 1]))
            continue;
        size_t k = 0;
        while (k < n && t[i + k] &&
               (lower(t[i + k]) == lower(f[k]) || (f[k] == '_' && t[i + k] == ' ')))
            k++;
        if (k == n && !word_byte(t[i + n]))
            return true;
    }
    return false;
}

/* An item's action for ranking: 0-2 refer urgent, soon, routine; 3 avoid or withhold
 * (supplements, or avoid forms); 4 dose; 5 prefer; 6 warn; 7 none of these (inform, disagree). */
static uint32_t action_rank(const g_rule *g)
{
    if (g->refer)
        return strcmp(g->refer, "urgent") == 0 ? 0 : strcmp(g->refer, "soon") == 0 ? 1 : 2;
    if (g->avoid_supplements || g->withhold_supplements || g->navoid ||
        g->kind == MGA_KIND_AVOID || g->kind == MGA_KIND_WITHHOLD)
        return 3;
    if (g->has_start || g->has_target || g->has_max || g->kind == MGA_KIND_DOSE)
        return 4;
    if (g->nprefer || g->kind == MGA_KIND_PREFER)
        return 5;
    if (g->warn || g->kind == MGA_KIND_WARN)
        return 6;
    return 7;
}

#define RKEY_ACTION(k) (((k) >> 24) & 15u)

static bool plan_resolve(mga_ruleset *rs, eval_plan *pl)
{
    pl->rflags = arena_alloc(&rs->a, rs->nrules + 1);
    pl->advice = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *pl->advice);
    pl->rkey = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *pl->rkey);
    pl->rforms = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *pl->rforms);
    if (!pl->rflags || !pl->advice || !pl->rkey || !pl->rforms)
        return false;
    assert(rs->nrules < (1u << 24));
    for (size_t i = 0; i < rs->nrules; i++) {
        const g_rule *g = &rs->rules[i];
        pl->rflags[i] = (uint8_t)((g->avoid_supplements ? R_AVOID_SUPPLEMENTS : 0) |
                                  (g->withhold_supplements ? R_WITHHOLD : 0) |
                                  (g->presumes ? R_PRESUMES : 0) |
                                  (g->navoid ? R_AVOID : 0) |
                                  (g->nprefer || g->has_start || g->has_target ? R_POSITIVE : 0) |
                                  (g->has_max ? R_MAX : 0));
        /* act: severity warning or critical, or an action that says what to do */
        uint32_t act = action_rank(g);
        bool is_act = act < 7 || g->severity != MGA_INFO;
        pl->advice[i] = (mga_advice){g->id,         (mga_kind)g->kind, (mga_severity)g->severity,
                                     g->say,        g->evidence,       g->refer,
                                     g->pub_cites,  g->ncites,
                                     is_act ? MGA_GROUP_ACT : MGA_GROUP_BACKGROUND};
        pl->rkey[i] = (uint32_t)(MGA_CRITICAL - g->severity) << 28 | act << 24 | rs->rank[i];
        uint64_t m = 0;
        if (is_act) {
            for (uint32_t k = 0; k < g->nprefer; k++)
                m |= g->prefer[k] < 64 ? 1ull << g->prefer[k] : 0;
            for (uint32_t k = 0; k < g->navoid; k++)
                m |= g->avoid[k] < 64 ? 1ull << g->avoid[k] : 0;
        } else {
            for (size_t f = 0; f < rs->nforms && f < 64; f++)
                m |= names_form(g->say, rs->forms[f]) ? 1ull << f : 0;
        }
        pl->rforms[i] = m;
    }
    return true;
}

bool eval_freeze(mga_ruleset *rs)
{
    eval_plan *pl = arena_alloc(&rs->a, sizeof *pl);
    size_t nn = rs->nnodes, nmask_words = 0;
    for (size_t i = 0; i < nn; i++)
        if (rs->nodes[i].kind == N_SET_ANY || rs->nodes[i].kind == N_SET_ALL)
            nmask_words += rs->nodes[i].n;
    uint32_t *depth = mem_alloc(&rs->m, (nn + 1) * sizeof *depth);
    uint8_t *live = mem_alloc(&rs->m, nn + 1);
    plan_key *keys = mem_alloc(&rs->m, (nn + 1) * sizeof *keys);
    bool ok = pl && depth && live && keys;
    if (ok) {
        pl->nodes = arena_alloc(&rs->a, (nn + 1) * sizeof *pl->nodes);
        pl->masks = arena_alloc(&rs->a, (nmask_words + 1) * sizeof *pl->masks);
        pl->snodes = arena_alloc(&rs->a, (nn + 1) * sizeof *pl->snodes);
        pl->runs = arena_alloc(&rs->a, (nn + 1) * sizeof *pl->runs);
        pl->fire = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *pl->fire);
        ok = pl->nodes && pl->masks && pl->snodes && pl->runs && pl->fire;
    }
    if (ok) {
        size_t nmasks = 0;
        /* the nodes some rule reaches (facts and invariants only matter to explain/check) */
        memset(live, 0, nn);
        for (size_t i = 0; i < rs->nrules; i++)
            live[rs->rules[i].node] = 1;
        for (size_t i = nn; i-- > 0;)
            if (live[i] && has_kids(rs->nodes[i].kind))
                for (uint32_t k = 0; k < rs->nodes[i].n; k++)
                    live[rs->kids[rs->nodes[i].off + k]] = 1;
        size_t nkeys = 0;
        for (size_t i = 0; i < nn; i++) {
            const g_node *g = &rs->nodes[i];
            pl->nodes[i] = plan_node(rs, g, pl->masks, &nmasks);
            depth[i] = 0;
            if (has_kids(g->kind))
                for (uint32_t k = 0; k < g->n; k++) {
                    uint32_t d = depth[rs->kids[g->off + k]] + 1;
                    depth[i] = d > depth[i] ? d : depth[i];
                }
            if (live[i])
                keys[nkeys++] = (plan_key){depth[i], run_kind(&pl->nodes[i]), (uint32_t)i};
        }
        /* children before parents: a node's depth exceeds each child's */
        qsort(keys, nkeys, sizeof *keys, cmp_plan_key);
        size_t nskids = 0;
        for (size_t i = 0; i < nkeys; i++) {
            depth[keys[i].id] = (uint32_t)i; /* from here on: the node's position */
            if (i == 0 || keys[i].kind != keys[i - 1].kind || keys[i].depth != keys[i - 1].depth)
                pl->runs[pl->nruns++] = (e_run){keys[i].kind, (uint32_t)i, (uint32_t)i};
            pl->runs[pl->nruns - 1].end = (uint32_t)i + 1;
            const g_node *g = &rs->nodes[keys[i].id];
            if (has_kids(g->kind) && keys[i].kind != RUN_AND2 && keys[i].kind != RUN_OR2)
                nskids += (g->n + 3) / 4 * 4;
        }
        pl->nsweep = nkeys;
        pl->skids = arena_alloc(&rs->a, (nskids + 1) * sizeof *pl->skids);
        ok = pl->skids != NULL;
        for (size_t i = 0, k = 0; ok && i < nkeys; i++) {
            const g_node *g = &rs->nodes[keys[i].id];
            e_node e = pl->nodes[keys[i].id];
            if (keys[i].kind == RUN_AND2 || keys[i].kind == RUN_OR2) {
                e.off = depth[rs->kids[g->off]];
                e.n = depth[rs->kids[g->off + 1]];
            } else if (has_kids(g->kind)) {
                e.off = (uint32_t)k;
                for (uint32_t j = 0; j < g->n; j++)
                    pl->skids[k++] = depth[rs->kids[g->off + j]];
                /* an AND or OR takes its children four at a time: the rest are slots
                 * that hold what changes neither (plan_sweep) */
                if (keys[i].kind == E_AND || keys[i].kind == E_OR) {
                    for (; e.n % 4; e.n++)
                        pl->skids[k++] = (uint32_t)nkeys + (keys[i].kind == E_AND);
                }
            }
            pl->snodes[i] = e;
        }
        for (size_t i = 0; i < rs->nrules; i++)
            pl->fire[i] = (e_fire){depth[rs->rules[rs->order[i]].node], rs->order[i]};
        rs->plan = pl;
        ok = ok && plan_programs(rs, pl) && plan_resolve(rs, pl);
    }
    mem_free(&rs->m, keys, (nn + 1) * sizeof *keys);
    mem_free(&rs->m, live, nn + 1);
    mem_free(&rs->m, depth, (nn + 1) * sizeof *depth);
    return ok;
}

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
    int b = ((n->op == OP_LT) & lin_holds(v, mag, OP_LT)) |
            ((n->op == OP_LE) & lin_holds(v, mag, OP_LE)) |
            ((n->op != OP_LT) & (n->op != OP_LE) & lin_holds(v, mag, OP_EQ));
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

/* Every overruled statement of rule ri, withheld whole by rule `by` (which avoids or
 * withholds supplements): its forms and doses, then the item. */
static void withhold_item(mga_result *r, uint32_t ri, uint32_t by)
{
    const g_rule *g = &r->rs->rules[ri];
    for (uint32_t k = 0; k < g->nprefer; k++)
        push_over(r, ri, by, OV_PREFER, g->prefer[k], 0);
    if (g->has_start)
        push_over(r, ri, by, OV_START, 0, g->start);
    if (g->has_target)
        push_over(r, ri, by, OV_TARGET, 0, g->target);
    push_over(r, ri, by, OV_ITEM, 0, 0);
    r->withheld[ri] = 1;
}

/* Resolution, safety first: a rule that avoids or withholds supplements drops every fired
 * rule that presumes them (a form, a dose, or `presumes supplements`: the whole item, its
 * forms, doses and maximum); an avoided form overrules preferring it; the smallest max holds
 * and overrules a larger start or target; an item whose every positive statement is
 * overruled is withheld. Which rules fired is up to the profile, so the rules are sorted by
 * what they state in one pass of selects (r->rlist: those that avoid forms, those with a
 * max, those with positive statements), each list then walked on its own, and the advice
 * written by a select per fired rule: no branch per rule on what it states. */
static void resolve(mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    const uint8_t *rflags = rs->plan->rflags;
    size_t nf = r->nfired;
    uint32_t *lav = r->rlist, *lmax = lav + nf, *lpos = lmax + nf;
    size_t na = 0, nm = 0, np = 0;
    int32_t avs = -1, whs = -1;
    for (size_t i = nf; i-- > 0;) { /* backwards: the first that avoids or withholds wins */
        uint32_t ri = r->fired[i];
        uint8_t f = rflags[ri];
        avs = f & R_AVOID_SUPPLEMENTS ? (int32_t)ri : avs;
        whs = f & R_WITHHOLD ? (int32_t)ri : whs;
    }
    r->avoid_supplements = avs;
    r->withhold_supplements = whs;
    int32_t by = avs >= 0 ? avs : whs; /* avoiding outranks asking a doctor first */
    uint8_t *withheld = r->withheld;
    if (by >= 0) { /* rare: the rules that presume supplements go first, whole */
        for (size_t i = 0; i < nf; i++)
            if (rflags[r->fired[i]] & R_PRESUMES)
                withhold_item(r, r->fired[i], (uint32_t)by);
    }
    for (size_t i = 0; i < nf; i++) {
        uint32_t ri = r->fired[i];
        uint8_t f = rflags[ri];
        f = withheld[ri] ? 0 : f;
        lav[na] = ri;
        na += (f & R_AVOID) != 0;
        lmax[nm] = ri;
        nm += (f & R_MAX) != 0;
        lpos[np] = ri;
        np += (f & R_POSITIVE) != 0;
    }
    /* avoided forms, first rule wins the attribution */
    for (size_t i = 0; i < na; i++) {
        const g_rule *g = &rs->rules[lav[i]];
        for (uint32_t k = 0; k < g->navoid; k++)
            if (find_form(r->avoid, r->navoid, g->avoid[k]) < 0) {
                r->avoid_rule[r->navoid] = lav[i];
                r->avoid[r->navoid++] = g->avoid[k];
            }
    }
    /* the smallest max holds */
    mga_dose *d = &r->dose;
    int max_kind = -1;
    uint32_t max_rule_ix = 0;
    for (size_t i = 0; i < nm; i++) {
        const g_rule *g = &rs->rules[lmax[i]];
        /* On a tie the cap is attributed to a dose rule, the one that states it. */
        bool tie_better = d->has_max && g->max == d->max_mg && g->kind == MGA_KIND_DOSE &&
                          d->max_rule != NULL && max_kind != MGA_KIND_DOSE;
        if (!d->has_max || g->max < d->max_mg || tie_better) {
            max_kind = g->kind;
            max_rule_ix = lmax[i];
            d->has_max = true;
            d->max_mg = g->max;
            d->max_rule = g->id;
            r->max_rule = lmax[i] + 1;
        }
    }

    /* Per rule with positive statements: are all of them overruled? */
    for (size_t i = 0; i < np; i++) {
        uint32_t ri = lpos[i];
        const g_rule *g = &rs->rules[ri];
        size_t positives = 0, overruled = 0;
        for (uint32_t k = 0; k < g->nprefer; k++) {
            positives++;
            uint32_t f = g->prefer[k];
            int av = find_form(r->avoid, r->navoid, f);
            if (av >= 0) {
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
            if (d->has_max && mg[part] > d->max_mg) {
                push_over(r, ri, max_rule_ix, what, 0, mg[part]);
                overruled++;
            } else if (part == 0 && (!d->has_start || mg[part] > d->start_mg)) {
                d->has_start = true;
                d->start_mg = mg[part];
                d->start_rule = g->id;
                r->start_rule = ri + 1;
            } else if (part == 1 && (!d->has_target || mg[part] > d->target_mg)) {
                d->has_target = true;
                d->target_mg = mg[part];
                d->target_rule = g->id;
                r->target_rule = ri + 1;
            }
        }
        if (positives && overruled == positives &&
            (g->kind == MGA_KIND_PREFER || g->kind == MGA_KIND_DOSE)) {
            push_over(r, ri, r->over[r->nover - 1].by, OV_ITEM, 0, 0);
            withheld[ri] = 1; /* the item is withheld: its advice no longer holds */
        }
    }
    /* the advice: every fired rule's item but those withheld */
    size_t n = 0;
    for (size_t i = 0; i < nf; i++) {
        uint32_t ri = r->fired[i];
        r->advice_rule[n] = ri;
        n += 1u - withheld[ri];
    }
    r->nadvice = n;
    if (by >= 0)
        for (size_t i = 0; i < nf; i++)
            withheld[r->fired[i]] = 0;
    else
        for (size_t i = 0; i < np; i++)
            withheld[lpos[i]] = 0;
}

/* Puts r->advice_rule in rank order (mga_result_advice_ref states it): the act items by
 * their key (severity, action, position in rs->order), each followed by the background
 * items that name a form it prefers or avoids and that no earlier act item took, then the
 * rest of the background items in the order they came (rs->order: source order, as all
 * are info). A result holds a few items, so an insertion sort. */
static void rank_advice(mga_result *r)
{
    const eval_plan *pl = r->rs->plan;
    size_t n = r->nadvice, nr = r->rs->nrules + 1;
    uint32_t *act = r->rlist, *bg = r->rlist + nr; /* resolve's scratch, free again */
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ri = r->advice_rule[i];
        if (pl->advice[ri].group != MGA_GROUP_ACT) {
            bg[nb++] = ri;
            continue;
        }
        uint32_t key = pl->rkey[ri];
        size_t j = na++;
        for (; j > 0 && pl->rkey[act[j - 1]] > key; j--)
            act[j] = act[j - 1];
        act[j] = ri;
    }
    uint8_t *placed = r->withheld; /* 0 between evaluations: cleared again below */
    size_t k = 0;
    for (size_t i = 0; i < na; i++) {
        r->advice_rule[k++] = act[i];
        uint64_t m = pl->rforms[act[i]];
        for (size_t j = 0; m && j < nb; j++)
            if (!placed[bg[j]] && (pl->rforms[bg[j]] & m)) {
                placed[bg[j]] = 1;
                r->advice_rule[k++] = bg[j];
            }
    }
    for (size_t j = 0; j < nb; j++) {
        if (!placed[bg[j]])
            r->advice_rule[k++] = bg[j];
        placed[bg[j]] = 0;
    }
    assert(k == n);
}

/* The summary (mga_result_summary_ref) from the resolved, ranked result. */
static void summarize(mga_result *r)
{
    const mga_ruleset *rs = r->rs;
    const eval_plan *pl = rs->plan;
    mga_summary *s = &r->summary;
    size_t nd = 0;
    if (r->avoid_supplements >= 0) {
        s->decision = MGA_DECISION_DO_NOT_TAKE;
        for (size_t i = 0; i < r->nfired; i++)
            if (pl->rflags[r->fired[i]] & R_AVOID_SUPPLEMENTS)
                r->decided[nd++] = r->fired[i];
    } else if (r->withhold_supplements >= 0) {
        s->decision = MGA_DECISION_ASK_DOCTOR_FIRST;
        for (size_t i = 0; i < r->nfired; i++)
            if (pl->rflags[r->fired[i]] & R_WITHHOLD)
                r->decided[nd++] = r->fired[i];
    } else {
        s->decision = MGA_DECISION_WITHIN_LIMITS;
    }
    for (size_t i = 0; i < nd; i++)
        r->sum_decided[i] = rs->rules[r->decided[i]].id;
    s->decided_by = r->sum_decided;
    s->ndecided_by = nd;
    for (size_t i = 0; i < r->nprefer; i++)
        r->sum_prefer[i] = rs->forms[r->prefer[i]];
    s->prefer = r->sum_prefer;
    s->nprefer = r->nprefer;
    s->has_start = r->dose.has_start;
    s->has_target = r->dose.has_target;
    s->has_max = r->dose.has_max;
    s->start_mg = r->dose.start_mg;
    s->target_mg = r->dose.target_mg;
    s->max_mg = r->dose.max_mg;
    /* the referrals merged: by urgency, then rank */
    size_t nref = 0;
    for (uint32_t u = 0; u < 3; u++)
        for (size_t i = 0; i < r->nadvice; i++) {
            uint32_t ri = r->advice_rule[i];
            if (pl->advice[ri].refer && RKEY_ACTION(pl->rkey[ri]) == u) {
                r->referral[nref] = ri;
                r->sum_reasons[nref++] = (mga_referral){pl->advice[ri].rule, pl->advice[ri].refer};
            }
        }
    s->reasons = r->sum_reasons;
    s->nreasons = nref;
    s->refer = nref ? r->sum_reasons[0].urgency : NULL;
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
    /* per node (eval_nodes), or per sweep position and the two padding slots */
    r->val = arena_alloc(&r->a, (rs->nnodes > rs->plan->nsweep + 2 ? rs->nnodes : rs->plan->nsweep + 2) + 1);
    r->fired = arena_alloc(&r->a, nr * sizeof *r->fired);
    r->advice_rule = arena_alloc(&r->a, nr * sizeof *r->advice_rule);
    r->rlist = arena_alloc(&r->a, 3 * nr * sizeof *r->rlist);
    r->withheld = arena_alloc(&r->a, nr);
    if (r->withheld)
        memset(r->withheld, 0, nr);
    r->prefer = arena_alloc(&r->a, nf * sizeof *r->prefer);
    r->avoid = arena_alloc(&r->a, nf * sizeof *r->avoid);
    r->prefer_rule = arena_alloc(&r->a, nf * sizeof *r->prefer_rule);
    r->avoid_rule = arena_alloc(&r->a, nf * sizeof *r->avoid_rule);
    r->over = arena_alloc(&r->a, (nover + 1) * sizeof *r->over);
    r->rstamp = arena_alloc(&r->a, nr * sizeof *r->rstamp);
    r->pval = arena_alloc(&r->a, rs->plan->max_prog + 1);
    r->hits = arena_alloc(&r->a, nr * sizeof *r->hits);
    size_t nx = rs->nrefs_json + 1;
    r->refstamp = arena_alloc(&r->a, nx * sizeof *r->refstamp);
    r->refno = arena_alloc(&r->a, nx * sizeof *r->refno);
    r->reforder = arena_alloc(&r->a, nx * sizeof *r->reforder);
    r->decided = arena_alloc(&r->a, nr * sizeof *r->decided);
    r->referral = arena_alloc(&r->a, nr * sizeof *r->referral);
    r->sum_decided = arena_alloc(&r->a, nr * sizeof *r->sum_decided);
    r->sum_prefer = arena_alloc(&r->a, nf * sizeof *r->sum_prefer);
    r->sum_reasons = arena_alloc(&r->a, nr * sizeof *r->sum_reasons);
    r->shown = arena_alloc(&r->a, nr * sizeof *r->shown);
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
    resolve(r);
    rank_advice(r);
    summarize(r);
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

