/* SPDX-License-Identifier: MIT */
/* Pass 6, eval: the plan compiler (eval_freeze): the evaluator's own form of the graph
 * (specialised nodes, the sweep order, each rule's programs for the index), each rule's
 * resolution flags, advice item and rank key. Built once per rule set. */
#include "eval.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The forms text names, as a mask over forms (the first 64): a form is named as a whole
 * word, in any case, a '_' in its name read as a space ("magnesium citrate" names citrate;
 * "citrates" does not). One pass over the text, the forms tried at each place a word may
 * start (after a byte that is not a word byte). */
static uint64_t forms_named(const char *text, const char *const *forms, size_t nforms)
{
    const unsigned char *t = (const unsigned char *)text;
    uint64_t m = 0;
    if (!text)
        return 0;
    if (nforms > 64)
        nforms = 64;
    unsigned char first[64];
    for (size_t f = 0; f < nforms; f++)
        first[f] = lower((unsigned char)forms[f][0]);
    for (size_t i = 0; t[i];) { /* i: a place after no word byte, where a word may start */
        unsigned char c = lower(t[i]);
        for (size_t f = 0; f < nforms; f++) {
            if (first[f] != c && !(first[f] == '_' && c == ' '))
                continue;
            const unsigned char *fm = (const unsigned char *)forms[f];
            size_t k = 0;
            while (fm[k] && t[i + k] &&
                   (lower(t[i + k]) == lower(fm[k]) || (fm[k] == '_' && t[i + k] == ' ')))
                k++;
            if (k && !fm[k] && !word_byte(t[i + k]))
                m |= 1ull << f;
        }
        if (!word_byte(t[i])) {
            i++;
            continue;
        }
        while (word_byte(t[i])) /* the rest of the word, and the byte after it, start none */
            i++;
        if (t[i])
            i++;
    }
    return m;
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
            m = forms_named(g->say, rs->forms, rs->nforms);
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
