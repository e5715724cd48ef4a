/* SPDX-License-Identifier: MIT */
/* Checks over the graph (see analyze.h). Every profile field becomes solver variables
 * (presence, and a value within the declared range in base units); every graph node two
 * Booleans, "is true" and "is false", following the evaluator's Kleene logic exactly; the
 * evaluator's resolution (avoid supplements withholds, avoid beats prefer, the smallest max
 * caps) is encoded over the rules' "fires" terms. Satisfiable queries give witness profiles,
 * which are printed as JSON and replayed through mga_profile_parse + mga_evaluate before
 * they are shown: the evaluator, not the encoding, has the last word. */
#include "analyze.h"
#include "semantics.h"

#include "ast.h"
#include "diag.h"
#include "eval.h"
#include "numfmt.h"
#include "graph.h"
#include "jsonesc.h"
#include "profile.h"
#include "sema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <z3.h>

/* Per rule: the actions the frozen rule does not record as flags. */
enum { ACT_BIT_INFORM = 1, ACT_BIT_WARN = 2, ACT_BIT_DISAGREE = 4 };

#define MAX_NOTE 4096
#define GAP_REGIONS 3

typedef struct witness {
    uint8_t *known; /* per field */
    double *num;    /* numbers in the declared unit; booleans 0/1; enum index */
    uint64_t *bits; /* per set field: nwords words at the field's word */
} witness;

typedef struct an {
    const mga_ruleset *rs;
    const ast_program *p;
    mga_diags *d;
    const int *dsrc;
    analyze_ctx *ctx;
    arena a;
    bool oom, failed;
    bool bad_num; /* a non-finite number reached the encoding */
    struct timespec start; /* of the run, for the time budget */
    double budget;         /* seconds */
    Z3_context z;
    Z3_solver s;
    Z3_sort real, boolean, integer;
    Z3_ast *known, *val; /* per field */
    Z3_ast **sym;        /* per set field: one Bool per symbol */
    Z3_ast *T, *F;       /* per node */
    Z3_ast *fires;       /* per rule: its node is true */
    Z3_ast robust;       /* no linear test within a hair of its boundary */
    Z3_ast as;           /* supplements withheld: a rule that avoids or withholds them fires */
    unsigned *acts;      /* per rule: ACT_BIT_* */
    const char **node_fact;
    int goals;           /* the set field "goals", or -1 */
    witness w, w2;       /* the current witness and a scratch copy */
    char *json;          /* witness text */
    size_t json_cap;
} an;

/* ---- small helpers ---- */

static void z3_quiet(Z3_context c, Z3_error_code e)
{
    (void)c;
    (void)e; /* errors are read back with Z3_get_error_code */
}

static Z3_ast mk_and2(an *A, Z3_ast x, Z3_ast y)
{
    Z3_ast v[2] = {x, y};
    return Z3_mk_and(A->z, 2, v);
}

static Z3_ast mk_or2(an *A, Z3_ast x, Z3_ast y)
{
    Z3_ast v[2] = {x, y};
    return Z3_mk_or(A->z, 2, v);
}

static Z3_ast mk_bool(an *A, bool v)
{
    return v ? Z3_mk_true(A->z) : Z3_mk_false(A->z);
}

/* Big naturals in base 1e9, least significant limb first: 2^1074 (the denominator of the
 * smallest double) has 324 digits. */
enum { BIG_LIMBS = 40, BIG_BASE = 1000000000 };
typedef struct big {
    uint32_t l[BIG_LIMBS];
    size_t n;
} big;

static void big_set(big *b, uint64_t v)
{
    b->n = 0;
    do {
        b->l[b->n++] = (uint32_t)(v % BIG_BASE);
        v /= BIG_BASE;
    } while (v);
}

/* b *= 2^e */
static void big_shl(big *b, unsigned e)
{
    while (e) {
        unsigned k = e < 29 ? e : 29; /* a limb times 2^29 fits in 64 bits */
        uint64_t carry = 0;
        for (size_t i = 0; i < b->n; i++) {
            uint64_t x = ((uint64_t)b->l[i] << k) + carry;
            b->l[i] = (uint32_t)(x % BIG_BASE);
            carry = x / BIG_BASE;
        }
        while (carry && b->n < BIG_LIMBS) {
            b->l[b->n++] = (uint32_t)(carry % BIG_BASE);
            carry /= BIG_BASE;
        }
        e -= k;
    }
}

/* Appends b in decimal at buf + *w. */
static void big_put(const big *b, char *buf, size_t cap, size_t *w)
{
    int k = snprintf(buf + *w, cap - *w, "%u", (unsigned)b->l[b->n - 1]);
    *w += (size_t)k;
    for (size_t i = b->n - 1; i-- > 0;) {
        k = snprintf(buf + *w, cap - *w, "%09u", (unsigned)b->l[i]);
        *w += (size_t)k;
    }
}

/* v as the exact rational it is: every finite double is mant * 2^e with an integer mant
 * of at most 53 bits, so the numeral is "mant*2^e" or "mant/2^-e", digit for digit. The
 * evaluator computes with these very doubles; a decimal approximation could move a
 * boundary. Non-finite numbers cannot be encoded: sema and the profile reader keep them
 * out of the graph, and one here makes the encoding fail (A->bad_num) rather than lie. */
static Z3_ast mk_num(an *A, double v)
{
    if (!isfinite(v)) {
        A->bad_num = true;
        return Z3_mk_real(A->z, 0, 1);
    }
    if (v == 0)
        return Z3_mk_real(A->z, 0, 1);
    int e;
    double m = frexp(fabs(v), &e); /* |v| = m * 2^e, m in [0.5, 1) */
    uint64_t mant = (uint64_t)ldexp(m, 53);
    e -= 53;
    while (!(mant & 1)) {
        mant >>= 1;
        e++;
    }
    char str[800];
    size_t w = 0;
    big b;
    big_set(&b, mant);
    if (e > 0)
        big_shl(&b, (unsigned)e);
    big_put(&b, str, sizeof str, &w);
    if (e < 0) {
        str[w++] = '/';
        big_set(&b, 1);
        big_shl(&b, (unsigned)-e);
        big_put(&b, str, sizeof str, &w);
    }
    Z3_ast n = Z3_mk_numeral(A->z, str, A->real);
    return v < 0 ? Z3_mk_unary_minus(A->z, n) : n;
}

static Z3_ast mk_abs(an *A, Z3_ast x)
{
    Z3_ast zero = Z3_mk_real(A->z, 0, 1);
    return Z3_mk_ite(A->z, Z3_mk_ge(A->z, x, zero), x, Z3_mk_unary_minus(A->z, x));
}

static const uint32_t *kids(const an *A, const g_node *n)
{
    return A->rs->kids + n->off;
}

/* ---- encoding ---- */

static bool encode_fields(an *A)
{
    const mga_ruleset *rs = A->rs;
    size_t nf = rs->nfields;
    A->known = arena_alloc(&A->a, (nf + 1) * sizeof *A->known);
    A->val = arena_alloc(&A->a, (nf + 1) * sizeof *A->val);
    A->sym = arena_alloc(&A->a, (nf + 1) * sizeof *A->sym);
    if (!A->known || !A->val || !A->sym)
        return false;
    A->goals = -1;
    char name[160];
    for (size_t i = 0; i < nf; i++) {
        const g_field *f = &rs->fields[i];
        snprintf(name, sizeof name, "known.%s", f->name);
        A->known[i] = Z3_mk_const(A->z, Z3_mk_string_symbol(A->z, name), A->boolean);
        switch (f->type) {
        case FT_TEXT:
            break;
        case FT_BOOL:
            A->val[i] = Z3_mk_const(A->z, Z3_mk_string_symbol(A->z, f->name), A->boolean);
            break;
        case FT_NUMBER:
            A->val[i] = Z3_mk_const(A->z, Z3_mk_string_symbol(A->z, f->name), A->real);
            /* the declared range, or the range of numbers the profile reader accepts */
            Z3_solver_assert(A->z, A->s,
                             Z3_mk_ge(A->z, A->val[i],
                                      mk_num(A, f->has_range ? f->lo : -G_NUM_MAX)));
            Z3_solver_assert(A->z, A->s,
                             Z3_mk_le(A->z, A->val[i],
                                      mk_num(A, f->has_range ? f->hi : G_NUM_MAX)));
            break;
        case FT_ENUM:
            A->val[i] = Z3_mk_const(A->z, Z3_mk_string_symbol(A->z, f->name), A->integer);
            Z3_solver_assert(A->z, A->s,
                             Z3_mk_ge(A->z, A->val[i], Z3_mk_int(A->z, 0, A->integer)));
            Z3_solver_assert(A->z, A->s,
                             Z3_mk_lt(A->z, A->val[i],
                                      Z3_mk_int(A->z, (int)f->nsyms, A->integer)));
            break;
        case FT_SET:
            if (strcmp(f->name, "goals") == 0)
                A->goals = (int)i;
            A->sym[i] = arena_alloc(&A->a, (f->nsyms + 1) * sizeof **A->sym);
            if (!A->sym[i])
                return false;
            for (size_t k = 0; k < f->nsyms; k++) {
                snprintf(name, sizeof name, "%s.%s", f->name, f->syms[k]);
                A->sym[i][k] = Z3_mk_const(A->z, Z3_mk_string_symbol(A->z, name), A->boolean);
            }
            break;
        }
    }
    return true;
}

static bool mask_bit(const an *A, const g_node *n, size_t k)
{
    return (A->rs->masks[n->off + k / 64] >> (k % 64)) & 1;
}

/* T and F of every node, children first (the node array is in topological order). The
 * linear tests are exact; `robust` collects, per test, "not within NUM_REL_MARGIN (relative) of the
 * boundary unless exactly on it", so that witnesses do not depend on the evaluator's
 * NUM_REL_TOL tolerance for inexact unit conversions. */
static bool encode_nodes(an *A)
{
    const mga_ruleset *rs = A->rs;
    size_t nn = rs->nnodes;
    A->T = arena_alloc(&A->a, (nn + 1) * sizeof *A->T);
    A->F = arena_alloc(&A->a, (nn + 1) * sizeof *A->F);
    Z3_ast *tmp = arena_alloc(&A->a, (rs->nnodes + 64) * sizeof *tmp);
    size_t maxw = 64;
    for (size_t i = 0; i < rs->nfields; i++)
        if (rs->fields[i].nsyms > maxw)
            maxw = rs->fields[i].nsyms;
    Z3_ast *tv = arena_alloc(&A->a, (maxw + MAX_LIN_FIELDS + 2) * sizeof *tv);
    Z3_ast *rob = arena_alloc(&A->a, (nn + 1) * sizeof *rob);
    if (!A->T || !A->F || !tmp || !tv || !rob)
        return false;
    size_t nrob = 0;
    Z3_context z = A->z;
    for (size_t i = 0; i < nn; i++) {
        const g_node *n = &rs->nodes[i];
        Z3_ast t = NULL, f = NULL;
        switch ((node_kind)n->kind) {
        case N_CONST:
            t = mk_bool(A, n->bval);
            f = mk_bool(A, !n->bval);
            break;
        case N_SET_ANY:
        case N_SET_ALL: {
            const g_field *fd = &rs->fields[n->field];
            size_t m = 0;
            for (size_t k = 0; k < fd->nsyms; k++)
                if (mask_bit(A, n, k))
                    tv[m++] = A->sym[n->field][k];
            Z3_ast test = n->kind == N_SET_ANY ? Z3_mk_or(z, (unsigned)m, tv)
                                               : Z3_mk_and(z, (unsigned)m, tv);
            t = mk_and2(A, A->known[n->field], test);
            f = mk_and2(A, A->known[n->field], Z3_mk_not(z, test));
            break;
        }
        case N_ENUM_IN: {
            const g_field *fd = &rs->fields[n->field];
            size_t m = 0;
            for (size_t k = 0; k < fd->nsyms; k++)
                if (mask_bit(A, n, k))
                    tv[m++] = Z3_mk_eq(z, A->val[n->field], Z3_mk_int(z, (int)k, A->integer));
            Z3_ast test = Z3_mk_or(z, (unsigned)m, tv);
            t = mk_and2(A, A->known[n->field], test);
            f = mk_and2(A, A->known[n->field], Z3_mk_not(z, test));
            break;
        }
        case N_BOOL: {
            Z3_ast test = n->bval ? A->val[n->field] : Z3_mk_not(z, A->val[n->field]);
            t = mk_and2(A, A->known[n->field], test);
            f = mk_and2(A, A->known[n->field], Z3_mk_not(z, test));
            break;
        }
        case N_KNOWN:
            t = A->known[n->field];
            f = Z3_mk_not(z, t);
            break;
        case N_DEF: {
            uint32_t c = kids(A, n)[0];
            t = mk_or2(A, A->T[c], A->F[c]);
            f = Z3_mk_not(z, t);
            break;
        }
        case N_LIN: {
            size_t m = 0;
            Z3_ast mag[MAX_LIN_FIELDS + 2];
            Z3_ast kk = mk_num(A, n->k);
            tv[m++] = kk;
            mag[0] = mk_num(A, 1 + fabs(n->k));
            Z3_ast allk[MAX_LIN_FIELDS];
            for (uint32_t k = 0; k < n->n; k++) {
                const g_term *tm = &rs->terms[n->off + k];
                Z3_ast x = A->val[tm->field];
                Z3_ast cx = tm->coef == 1 ? x : Z3_mk_mul(z, 2, (Z3_ast[]){mk_num(A, tm->coef), x});
                tv[m++] = cx;
                mag[k + 1] = mk_abs(A, cx);
                allk[k] = A->known[tm->field];
            }
            Z3_ast sum = Z3_mk_add(z, (unsigned)m, tv);
            Z3_ast zero = Z3_mk_real(z, 0, 1);
            Z3_ast test = n->op == OP_LT   ? Z3_mk_lt(z, sum, zero)
                          : n->op == OP_LE ? Z3_mk_le(z, sum, zero)
                                           : Z3_mk_eq(z, sum, zero);
            Z3_ast known = Z3_mk_and(z, n->n, allk);
            t = mk_and2(A, known, test);
            f = mk_and2(A, known, Z3_mk_not(z, test));
            Z3_ast margin = Z3_mk_mul(
                z, 2, (Z3_ast[]){mk_num(A, NUM_REL_MARGIN), Z3_mk_add(z, n->n + 1, mag)});
            Z3_ast opts[4] = {Z3_mk_not(z, known), Z3_mk_eq(z, sum, zero),
                              Z3_mk_ge(z, sum, margin),
                              Z3_mk_le(z, sum, Z3_mk_unary_minus(z, margin))};
            rob[nrob++] = Z3_mk_or(z, 4, opts);
            break;
        }
        case N_AND:
        case N_OR: {
            for (uint32_t k = 0; k < n->n; k++)
                tmp[k] = A->T[kids(A, n)[k]];
            Z3_ast all_t = Z3_mk_and(z, n->n, tmp), any_t = Z3_mk_or(z, n->n, tmp);
            for (uint32_t k = 0; k < n->n; k++)
                tmp[k] = A->F[kids(A, n)[k]];
            Z3_ast all_f = Z3_mk_and(z, n->n, tmp), any_f = Z3_mk_or(z, n->n, tmp);
            t = n->kind == N_AND ? all_t : any_t;
            f = n->kind == N_AND ? any_f : all_f;
            break;
        }
        case N_NOT:
            t = A->F[kids(A, n)[0]];
            f = A->T[kids(A, n)[0]];
            break;
        }
        A->T[i] = t;
        A->F[i] = f;
    }
    A->robust = Z3_mk_and(z, (unsigned)nrob, rob);
    return Z3_get_error_code(z) == Z3_OK;
}

/* ---- resolution, as resolve.c: eval_resolve() applies it ---- */

/* Rule i fired and resolution kept it: a rule that presumes supplements is dropped whole
 * when they are withheld. */
static Z3_ast live(an *A, size_t i)
{
    if (!A->rs->rules[i].presumes)
        return A->fires[i];
    return mk_and2(A, A->fires[i], Z3_mk_not(A->z, A->as));
}

/* Some kept rule states a max below v (so a start or target of v is cut). */
static Z3_ast max_below(an *A, double v)
{
    Z3_ast acc = Z3_mk_false(A->z);
    for (size_t i = 0; i < A->rs->nrules; i++)
        if (A->rs->rules[i].has_max && A->rs->rules[i].max < v)
            acc = mk_or2(A, acc, live(A, i));
    return acc;
}

static Z3_ast avoided(an *A, uint32_t form, int sev)
{
    Z3_ast acc = Z3_mk_false(A->z);
    for (size_t i = 0; i < A->rs->nrules; i++) {
        const g_rule *g = &A->rs->rules[i];
        if ((int)g->severity < sev)
            continue;
        for (uint32_t k = 0; k < g->navoid; k++)
            if (g->avoid[k] == form)
                acc = mk_or2(A, acc, live(A, i));
    }
    return acc;
}

/* Form f is in the result's preferred forms. */
static Z3_ast preferred(an *A, uint32_t form, int sev)
{
    Z3_ast any = Z3_mk_false(A->z);
    for (size_t i = 0; i < A->rs->nrules; i++) {
        const g_rule *g = &A->rs->rules[i];
        if ((int)g->severity < sev)
            continue;
        for (uint32_t k = 0; k < g->nprefer; k++)
            if (g->prefer[k] == form)
                any = mk_or2(A, any, A->fires[i]);
    }
    Z3_ast v[3] = {any, Z3_mk_not(A->z, A->as), Z3_mk_not(A->z, avoided(A, form, -1))};
    return Z3_mk_and(A->z, 3, v);
}

/* A start or target above q is suggested. */
static Z3_ast dose_above(an *A, double q)
{
    Z3_ast acc = Z3_mk_false(A->z);
    for (size_t i = 0; i < A->rs->nrules; i++) {
        const g_rule *g = &A->rs->rules[i];
        if (g->has_start && g->start > q)
            acc = mk_or2(A, acc,
                         mk_and2(A, A->fires[i], Z3_mk_not(A->z, max_below(A, g->start))));
        if (g->has_target && g->target > q)
            acc = mk_or2(A, acc,
                         mk_and2(A, A->fires[i], Z3_mk_not(A->z, max_below(A, g->target))));
    }
    return mk_and2(A, Z3_mk_not(A->z, A->as), acc);
}

/* Rule i's advice item is shown (fired and not withheld). */
static Z3_ast item(an *A, size_t i)
{
    const g_rule *g = &A->rs->rules[i];
    if (g->kind != MGA_KIND_PREFER && g->kind != MGA_KIND_DOSE)
        return live(A, i);
    size_t positives = g->nprefer + g->has_start + g->has_target;
    if (!positives)
        return live(A, i);
    Z3_ast all = Z3_mk_true(A->z);
    for (uint32_t k = 0; k < g->nprefer; k++)
        all = mk_and2(A, all, mk_or2(A, A->as, avoided(A, g->prefer[k], -1)));
    if (g->has_start)
        all = mk_and2(A, all, mk_or2(A, A->as, max_below(A, g->start)));
    if (g->has_target)
        all = mk_and2(A, all, mk_or2(A, A->as, max_below(A, g->target)));
    return mk_and2(A, A->fires[i], Z3_mk_not(A->z, all));
}

static int urgency_rank(const char *u)
{
    if (!u)
        return 0;
    return strcmp(u, "urgent") == 0 ? 3 : strcmp(u, "soon") == 0 ? 2 : 1;
}

static Z3_ast expectation(an *A, const g_expect *e)
{
    const mga_ruleset *rs = A->rs;
    Z3_context z = A->z;
    Z3_ast acc = Z3_mk_false(z);
    switch ((exp_kind)e->kind) {
    case EXP_AVOID_SUPPLEMENTS:
        for (size_t i = 0; i < rs->nrules; i++)
            if (rs->rules[i].avoid_supplements && (int)rs->rules[i].severity >= e->sev)
                acc = mk_or2(A, acc, A->fires[i]);
        return acc;
    case EXP_AVOID:
    case EXP_PREFER:
        acc = Z3_mk_true(z);
        for (uint32_t k = 0; k < e->nforms; k++)
            acc = mk_and2(A, acc, e->kind == EXP_AVOID ? avoided(A, e->forms[k], e->sev)
                                                       : preferred(A, e->forms[k], e->sev));
        return acc;
    case EXP_REFER:
    case EXP_INFORM:
    case EXP_WARN:
    case EXP_DISAGREE:
        for (size_t i = 0; i < rs->nrules; i++) {
            const g_rule *g = &rs->rules[i];
            bool has = e->kind == EXP_REFER    ? g->refer && urgency_rank(g->refer) >= e->urg
                       : e->kind == EXP_INFORM ? (A->acts[i] & ACT_BIT_INFORM) != 0
                       : e->kind == EXP_WARN   ? (A->acts[i] & ACT_BIT_WARN) != 0
                                               : (A->acts[i] & ACT_BIT_DISAGREE) != 0;
            if (has && (int)g->severity >= e->sev)
                acc = mk_or2(A, acc, item(A, i));
        }
        return acc;
    case EXP_DOSE_LE:
        return Z3_mk_not(z, dose_above(A, e->mg));
    case EXP_MAX_LE:
        for (size_t i = 0; i < rs->nrules; i++)
            if (rs->rules[i].has_max && rs->rules[i].max <= e->mg &&
                (int)rs->rules[i].severity >= e->sev)
                acc = mk_or2(A, acc, live(A, i));
        return acc;
    case EXP_WITHHELD:
        for (size_t i = 0; i < rs->nrules; i++)
            if ((rs->rules[i].avoid_supplements || rs->rules[i].withhold_supplements) &&
                (int)rs->rules[i].severity >= e->sev)
                acc = mk_or2(A, acc, A->fires[i]);
        return acc;
    case EXP_NO_DOSE:
        for (size_t i = 0; i < rs->nrules; i++)
            if (rs->rules[i].has_max)
                acc = mk_or2(A, acc, live(A, i));
        return Z3_mk_not(z, mk_or2(A, acc, dose_above(A, -INFINITY)));
    case EXP_NO_PREFER:
        for (size_t f = 0; f < rs->nforms; f++)
            acc = mk_or2(A, acc, preferred(A, (uint32_t)f, -1));
        return Z3_mk_not(z, acc);
    case EXP_NO_WARN:
        for (size_t i = 0; i < rs->nrules; i++)
            if ((A->acts[i] & ACT_BIT_WARN) && (int)rs->rules[i].severity >= e->sev)
                acc = mk_or2(A, acc, item(A, i));
        return Z3_mk_not(z, acc);
    }
    return acc;
}

static Z3_ast invariant_holds(an *A, const g_invariant *v)
{
    Z3_ast acc = Z3_mk_true(A->z);
    for (uint32_t k = 0; k < v->nex; k++)
        acc = mk_and2(A, acc, expectation(A, &v->ex[k]));
    return acc;
}

/* Some form preferred, or a start or target suggested, in the result. */
static Z3_ast form_or_dose_advice(an *A)
{
    Z3_ast acc = dose_above(A, -INFINITY);
    for (size_t f = 0; f < A->rs->nforms; f++)
        acc = mk_or2(A, acc, preferred(A, (uint32_t)f, -1));
    return acc;
}

/* ---- the same, read off an evaluated result (the replay side) ---- */

/* The evaluator's own answer: the rule is among the result's fired rules. */
static bool r_fired(const mga_result *r, uint32_t rule)
{
    for (size_t i = 0; i < r->nfired; i++)
        if (r->fired[i] == rule)
            return true;
    return false;
}

static bool r_has_item(const an *A, const mga_result *r, const g_expect *e)
{
    for (size_t i = 0; i < r->nadvice; i++) {
        uint32_t ri = r->advice_rule[i];
        const g_rule *g = &r->rs->rules[ri];
        if ((int)g->severity < e->sev)
            continue;
        if ((e->kind == EXP_REFER && g->refer && urgency_rank(g->refer) >= e->urg) ||
            (e->kind == EXP_INFORM && (A->acts[ri] & ACT_BIT_INFORM)) ||
            (e->kind == EXP_WARN && (A->acts[ri] & ACT_BIT_WARN)) ||
            (e->kind == EXP_DISAGREE && (A->acts[ri] & ACT_BIT_DISAGREE)))
            return true;
    }
    return false;
}

static bool r_expect(const an *A, const mga_result *r, const g_expect *e)
{
    const mga_ruleset *rs = r->rs;
    switch ((exp_kind)e->kind) {
    case EXP_AVOID_SUPPLEMENTS:
        for (size_t i = 0; i < r->nfired; i++)
            if (rs->rules[r->fired[i]].avoid_supplements &&
                (int)rs->rules[r->fired[i]].severity >= e->sev)
                return true;
        return false;
    case EXP_AVOID:
        for (uint32_t k = 0; k < e->nforms; k++) {
            bool found = false;
            for (size_t i = 0; i < r->nfired && !found; i++) {
                const g_rule *g = &rs->rules[r->fired[i]];
                for (uint32_t j = 0; j < g->navoid; j++)
                    found |= g->avoid[j] == e->forms[k] && (int)g->severity >= e->sev;
            }
            if (!found)
                return false;
        }
        return true;
    case EXP_PREFER:
        for (uint32_t k = 0; k < e->nforms; k++) {
            bool found = false;
            for (size_t i = 0; i < r->nprefer; i++)
                found |= r->prefer[i] == e->forms[k];
            if (!found)
                return false;
            if (e->sev >= 0) { /* preferred by a rule of that severity */
                bool sev_ok = false;
                for (size_t i = 0; i < r->nfired; i++) {
                    const g_rule *g = &rs->rules[r->fired[i]];
                    for (uint32_t j = 0; j < g->nprefer; j++)
                        sev_ok |= g->prefer[j] == e->forms[k] && (int)g->severity >= e->sev;
                }
                if (!sev_ok)
                    return false;
            }
        }
        return true;
    case EXP_REFER:
    case EXP_INFORM:
    case EXP_WARN:
    case EXP_DISAGREE:
        return r_has_item(A, r, e);
    case EXP_DOSE_LE:
        return !(r->dose.has_start && r->dose.start_mg > e->mg) &&
               !(r->dose.has_target && r->dose.target_mg > e->mg);
    case EXP_MAX_LE: {
        bool withheld = r->avoid_supplements >= 0 || r->withhold_supplements >= 0;
        for (size_t i = 0; i < r->nfired; i++) {
            const g_rule *g = &rs->rules[r->fired[i]];
            if (g->has_max && g->max <= e->mg && (int)g->severity >= e->sev &&
                !(g->presumes && withheld))
                return true;
        }
        return false;
    }
    case EXP_WITHHELD:
        for (size_t i = 0; i < r->nfired; i++) {
            const g_rule *g = &rs->rules[r->fired[i]];
            if ((g->avoid_supplements || g->withhold_supplements) && (int)g->severity >= e->sev)
                return true;
        }
        return false;
    case EXP_NO_DOSE:
        return !r->dose.has_start && !r->dose.has_target && !r->dose.has_max;
    case EXP_NO_PREFER:
        return r->nprefer == 0;
    case EXP_NO_WARN: {
        g_expect w = *e;
        w.kind = EXP_WARN;
        return !r_has_item(A, r, &w);
    }
    }
    return false;
}

static bool r_invariant(const an *A, const mga_result *r, const g_invariant *v)
{
    for (uint32_t k = 0; k < v->nex; k++)
        if (!r_expect(A, r, &v->ex[k]))
            return false;
    return true;
}

/* What a witness must show when replayed. */
typedef enum claim_kind { CL_FIRE2, CL_REFUTE, CL_GAP, CL_FIRE1 } claim_kind;
typedef struct claim {
    claim_kind kind;
    uint32_t a, b; /* rules (CL_FIRE2, CL_FIRE1), invariant (CL_REFUTE), goal symbol (CL_GAP) */
} claim;

/* ref: every node's value by the reference evaluator (eval_nodes), for an invariant's
 * condition, which no rule need have computed. */
static bool r_claim(const an *A, const mga_result *r, const uint8_t *ref, const claim *c)
{
    switch (c->kind) {
    case CL_FIRE1:
        return r_fired(r, c->a);
    case CL_FIRE2:
        return r_fired(r, c->a) && r_fired(r, c->b);
    case CL_REFUTE: {
        const g_invariant *v = &r->rs->invs[c->a];
        return ref[v->node] == TV_T && !r_invariant(A, r, v);
    }
    case CL_GAP: {
        const g_field *f = &r->rs->fields[A->goals];
        bool has = r->p->known[A->goals] &&
                   ((r->p->bits[f->word + c->a / 64] >> (c->a % 64)) & 1);
        return has && r->nprefer == 0 && !r->dose.has_start && !r->dose.has_target;
    }
    }
    return false;
}

/* ---- witnesses ---- */

static bool witness_alloc(an *A, witness *w)
{
    size_t nf = A->rs->nfields;
    w->known = arena_alloc(&A->a, nf + 1);
    w->num = arena_alloc(&A->a, (nf + 1) * sizeof *w->num);
    w->bits = arena_alloc(&A->a, (A->rs->nwords + 1) * sizeof *w->bits);
    return w->known && w->num && w->bits;
}

static void witness_copy(const an *A, witness *dst, const witness *src)
{
    size_t nf = A->rs->nfields;
    memcpy(dst->known, src->known, nf);
    memcpy(dst->num, src->num, nf * sizeof *dst->num);
    memcpy(dst->bits, src->bits, A->rs->nwords * sizeof *dst->bits);
}

static bool json_put(an *A, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > A->json_cap) {
        size_t cap = A->json_cap ? A->json_cap : 256;
        while (*len + n + 1 > cap)
            cap *= 2;
        char *nj = arena_alloc(&A->a, cap);
        if (!nj)
            return false;
        if (*len)
            memcpy(nj, A->json, *len);
        A->json = nj;
        A->json_cap = cap;
    }
    memcpy(A->json + *len, s, n + 1);
    *len += n;
    return true;
}

/* s as a JSON string, escaped by the one string writer (jsonesc.c). */
static bool json_put_str(an *A, size_t *len, const char *s)
{
    outbuf o = {.m = A->a.m};
    json_str(&o, s);
    outbuf_add(&o, "", 1);
    bool ok = !o.oom && json_put(A, len, o.b.p);
    membuf_free(o.m, &o.b);
    return ok;
}

/* The witness as one line of JSON: present fields only, numbers in the declared unit. */
static bool witness_json(an *A, const witness *w, size_t *len)
{
    const mga_ruleset *rs = A->rs;
    *len = 0;
    bool ok = json_put(A, len, "{");
    bool first = true;
    char buf[64];
    for (size_t i = 0; i < rs->nfields && ok; i++) {
        if (!w->known[i])
            continue;
        const g_field *f = &rs->fields[i];
        ok &= json_put(A, len, first ? "" : ", ");
        ok &= json_put_str(A, len, f->name);
        ok &= json_put(A, len, ": ");
        first = false;
        switch (f->type) {
        case FT_TEXT:
            ok &= json_put(A, len, "\"witness\"");
            break;
        case FT_BOOL:
            ok &= json_put(A, len, w->num[i] != 0 ? "true" : "false");
            break;
        case FT_NUMBER:
            num_fmt_exact(buf, sizeof buf, w->num[i]);
            ok &= json_put(A, len, buf);
            break;
        case FT_ENUM:
            ok &= json_put_str(A, len, f->syms[(size_t)w->num[i]]);
            break;
        case FT_SET: {
            ok &= json_put(A, len, "[");
            bool f1 = true;
            for (size_t k = 0; k < f->nsyms; k++)
                if ((w->bits[f->word + k / 64] >> (k % 64)) & 1) {
                    ok &= json_put(A, len, f1 ? "" : ", ");
                    ok &= json_put_str(A, len, f->syms[k]);
                    f1 = false;
                }
            ok &= json_put(A, len, "]");
            break;
        }
        }
    }
    ok &= json_put(A, len, "}");
    if (!ok)
        A->oom = true;
    return ok;
}

/* Prints w, parses it as a profile, evaluates it and tests the claim. */
static bool replay(an *A, const witness *w, const claim *c)
{
    size_t len;
    if (!witness_json(A, w, &len))
        return false;
    mga_profile *p = NULL;
    mga_result *r = NULL;
    bool ok = false;
    mga_status st = mga_profile_parse(A->rs, "witness", A->json, len, &p, NULL);
    if (st == MGA_OK)
        st = mga_evaluate(A->rs, p, &r);
    uint8_t *ref = NULL;
    if (st == MGA_OK) {
        /* evaluation computes only the nodes of candidate rules; the claim may read any:
         * the reference evaluator's values, in a buffer of their own */
        ref = mem_alloc(&A->rs->m, A->rs->nnodes + 1);
        if (!ref)
            st = MGA_E_NOMEM;
    }
    if (st == MGA_OK) {
        eval_nodes(A->rs, p, ref);
        ok = r_claim(A, r, ref, c);
    }
    if (ref)
        mem_free(&A->rs->m, ref, A->rs->nnodes + 1);
    if (st == MGA_E_NOMEM)
        A->oom = true;
    mga_result_free(r);
    mga_profile_free(p);
    return ok;
}

static bool model_bool(an *A, Z3_model m, Z3_ast x)
{
    Z3_ast v = NULL;
    if (!Z3_model_eval(A->z, m, x, true, &v))
        return false;
    return Z3_get_bool_value(A->z, v) == Z3_L_TRUE;
}

static void witness_from_model(an *A, Z3_model m, witness *w)
{
    const mga_ruleset *rs = A->rs;
    memset(w->bits, 0, rs->nwords * sizeof *w->bits);
    for (size_t i = 0; i < rs->nfields; i++) {
        const g_field *f = &rs->fields[i];
        w->known[i] = model_bool(A, m, A->known[i]);
        w->num[i] = 0;
        if (!w->known[i])
            continue;
        Z3_ast v = NULL;
        switch (f->type) {
        case FT_TEXT:
            break;
        case FT_BOOL:
            w->num[i] = model_bool(A, m, A->val[i]);
            break;
        case FT_NUMBER:
            if (Z3_model_eval(A->z, m, A->val[i], true, &v))
                w->num[i] = Z3_get_numeral_double(A->z, v) / f->unit_f;
            break;
        case FT_ENUM: {
            int k = 0;
            if (Z3_model_eval(A->z, m, A->val[i], true, &v))
                Z3_get_numeral_int(A->z, v, &k);
            w->num[i] = k;
            break;
        }
        case FT_SET:
            for (size_t k = 0; k < f->nsyms; k++)
                if (model_bool(A, m, A->sym[i][k]))
                    w->bits[f->word + k / 64] |= 1ull << (k % 64);
            break;
        }
    }
}

/* Drops fields and set members, and rounds numbers, as long as the replay still shows the
 * claim: the witness shown is small, and it is exactly what was replayed. */
static void minimise(an *A, witness *w, const claim *c)
{
    const mga_ruleset *rs = A->rs;
    witness *t = &A->w2;
    for (size_t i = 0; i < rs->nfields; i++) {
        if (!w->known[i])
            continue;
        witness_copy(A, t, w);
        t->known[i] = 0;
        if (replay(A, t, c)) {
            witness_copy(A, w, t);
            continue;
        }
        const g_field *f = &rs->fields[i];
        if (f->type == FT_SET) {
            for (size_t k = 0; k < f->nsyms; k++) {
                uint64_t bit = 1ull << (k % 64);
                if (!(w->bits[f->word + k / 64] & bit))
                    continue;
                witness_copy(A, t, w);
                t->bits[f->word + k / 64] &= ~bit;
                if (replay(A, t, c))
                    witness_copy(A, w, t);
            }
        } else if (f->type == FT_NUMBER) {
            double v = w->num[i];
            double cand[] = {round(v), floor(v), ceil(v), round(v * 10) / 10,
                             round(v * 100) / 100};
            for (size_t k = 0; k < sizeof cand / sizeof cand[0]; k++) {
                if (cand[k] == v)
                    break;
                if (f->has_range && (cand[k] < f->ulo || cand[k] > f->uhi))
                    continue;
                witness_copy(A, t, w);
                t->num[i] = cand[k];
                if (replay(A, t, c)) {
                    witness_copy(A, w, t);
                    break;
                }
            }
        }
    }
}

/* ---- solver queries ---- */

/* Checks q (with the robustness side condition when robust). On SAT with want_model, the
 * model becomes A->w. Returns Z3_L_TRUE, Z3_L_FALSE or Z3_L_UNDEF. */
static double elapsed(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Past the time budget every query is undecided, silently (undecided() says nothing):
 * run() reports once that the analysis stopped. */
static Z3_lbool query(an *A, Z3_ast q, bool robust, bool want_model)
{
    if (A->ctx->stats.stopped || elapsed(&A->start) > A->budget) {
        A->ctx->stats.stopped = true;
        return Z3_L_UNDEF;
    }
    Z3_solver_push(A->z, A->s);
    Z3_solver_assert(A->z, A->s, q);
    if (robust)
        Z3_solver_assert(A->z, A->s, A->robust);
    Z3_lbool r = Z3_solver_check(A->z, A->s);
    A->ctx->stats.solver_checks++;
    if (r == Z3_L_TRUE && want_model) {
        Z3_model m = Z3_solver_get_model(A->z, A->s);
        Z3_model_inc_ref(A->z, m);
        witness_from_model(A, m, &A->w);
        Z3_model_dec_ref(A->z, m);
    }
    Z3_solver_pop(A->z, A->s, 1);
    if (Z3_get_error_code(A->z) != Z3_OK)
        return Z3_L_UNDEF;
    return r;
}

/* A verified, minimised witness for q in A->json, or false. A model the evaluator does
 * not reproduce is an internal error: the encoding and the evaluator disagree. */
static bool find_witness(an *A, Z3_ast q, const claim *c, const char *what, int src,
                         ast_span at, Z3_lbool *res)
{
    Z3_lbool r = query(A, q, true, true);
    if (r == Z3_L_FALSE)
        r = query(A, q, false, true);
    *res = r;
    if (r != Z3_L_TRUE)
        return false;
    A->ctx->stats.witnesses++;
    if (!replay(A, &A->w, c)) {
        if (A->oom)
            return false;
        size_t len;
        witness_json(A, &A->w, &len);
        mga_diag *dg = diag_add(A->d, DIAG_INTERNAL, src, at.off, at.len,
                                "the evaluator does not reproduce a witness");
        diag_note(A->d, dg, "%s: %s", what, A->json);
        A->failed = true;
        return false;
    }
    minimise(A, &A->w, c);
    size_t len;
    return witness_json(A, &A->w, &len);
}

static void undecided(an *A, int src, ast_span at, const char *what)
{
    if (A->ctx->stats.stopped)
        return;
    const char *why = Z3_solver_get_reason_unknown(A->z, A->s);
    diag_add(A->d, DIAG_UNDECIDED, src, at.off, at.len, what, why ? why : "unknown");
}

/* ---- describing conditions ---- */

static void cat(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    if (n + 1 < cap)
        snprintf(buf + n, cap - n, "%s", s);
}

static void describe(const an *A, uint32_t id, char *buf, size_t cap, unsigned depth);

static void describe_lin(const an *A, const g_node *n, char *buf, size_t cap)
{
    const mga_ruleset *rs = A->rs;
    char num[64];
    if (n->n == 1) {
        const g_term *t = &rs->terms[n->off];
        const g_field *f = &rs->fields[t->field];
        /* coef * x + k op 0, coef = +-1 */
        double bound = -n->k / t->coef / f->unit_f;
        const char *op = n->op == OP_EQ   ? "=="
                         : t->coef > 0    ? (n->op == OP_LT ? "<" : "<=")
                                          : (n->op == OP_LT ? ">" : ">=");
        num_fmt_exact(num, sizeof num, bound);
        if (strlen(num) > 12) /* an inexact unit conversion: a rounded figure reads better */
            num_fmt_shown(num, sizeof num, bound);
        cat(buf, cap, f->name);
        cat(buf, cap, " ");
        cat(buf, cap, op);
        cat(buf, cap, " ");
        cat(buf, cap, num);
        if (f->unit) {
            cat(buf, cap, " ");
            cat(buf, cap, f->unit);
        }
        return;
    }
    const char *base = NULL;
    for (uint32_t k = 0; k < n->n; k++) {
        const g_term *t = &rs->terms[n->off + k];
        const g_field *f = &rs->fields[t->field];
        if (f->dim >= 0)
            base = rs->dims[f->dim].units[0].name;
        cat(buf, cap, k == 0 ? (t->coef < 0 ? "-" : "") : (t->coef < 0 ? " - " : " + "));
        if (fabs(t->coef) != 1) {
            num_fmt_exact(num, sizeof num, fabs(t->coef));
            cat(buf, cap, num);
            cat(buf, cap, " ");
        }
        cat(buf, cap, f->name);
    }
    num_fmt_exact(num, sizeof num, -n->k);
    cat(buf, cap, n->op == OP_EQ ? " == " : n->op == OP_LT ? " < " : " <= ");
    cat(buf, cap, num);
    if (base) {
        cat(buf, cap, " ");
        cat(buf, cap, base);
    }
}

static void describe_syms(const an *A, const g_node *n, char *buf, size_t cap, const char *one,
                          const char *many)
{
    const g_field *f = &A->rs->fields[n->field];
    size_t cnt = 0;
    for (size_t k = 0; k < f->nsyms; k++)
        cnt += mask_bit(A, n, k);
    cat(buf, cap, f->name);
    cat(buf, cap, cnt == 1 ? one : many);
    bool first = true;
    for (size_t k = 0; k < f->nsyms; k++)
        if (mask_bit(A, n, k)) {
            if (!first)
                cat(buf, cap, ", ");
            cat(buf, cap, f->syms[k]);
            first = false;
        }
}

/* The condition of node id in the rule language (facts by name, numbers in the field's
 * declared unit). */
static void describe(const an *A, uint32_t id, char *buf, size_t cap, unsigned depth)
{
    const mga_ruleset *rs = A->rs;
    const g_node *n = &rs->nodes[id];
    if (A->node_fact[id] && depth > 0) {
        cat(buf, cap, A->node_fact[id]);
        return;
    }
    if (depth > 6) {
        cat(buf, cap, "...");
        return;
    }
    switch ((node_kind)n->kind) {
    case N_CONST:
        cat(buf, cap, n->bval ? "true" : "false");
        return;
    case N_SET_ANY:
        describe_syms(A, n, buf, cap, " has ", " has any of ");
        return;
    case N_SET_ALL:
        describe_syms(A, n, buf, cap, " has ", " has all of ");
        return;
    case N_ENUM_IN:
        describe_syms(A, n, buf, cap, " is ", " is one of ");
        return;
    case N_BOOL:
        cat(buf, cap, rs->fields[n->field].name);
        if (!n->bval)
            cat(buf, cap, " is false");
        return;
    case N_KNOWN:
        cat(buf, cap, rs->fields[n->field].name);
        cat(buf, cap, " is known");
        return;
    case N_DEF:
        describe(A, kids(A, n)[0], buf, cap, depth + 1);
        cat(buf, cap, " is known");
        return;
    case N_LIN:
        describe_lin(A, n, buf, cap);
        return;
    case N_NOT: {
        const g_node *c = &rs->nodes[kids(A, n)[0]];
        if (c->kind == N_SET_ANY && !A->node_fact[kids(A, n)[0]]) {
            describe_syms(A, c, buf, cap, " has none of ", " has none of ");
            return;
        }
        if (c->kind == N_KNOWN) {
            cat(buf, cap, rs->fields[c->field].name);
            cat(buf, cap, " is missing");
            return;
        }
        cat(buf, cap, "not ");
        bool paren = c->kind == N_AND || c->kind == N_OR;
        if (paren)
            cat(buf, cap, "(");
        describe(A, kids(A, n)[0], buf, cap, depth + 1);
        if (paren)
            cat(buf, cap, ")");
        return;
    }
    case N_AND:
    case N_OR:
        for (uint32_t k = 0; k < n->n; k++) {
            const g_node *c = &rs->nodes[kids(A, n)[k]];
            bool paren = (c->kind == N_AND || c->kind == N_OR) && !A->node_fact[kids(A, n)[k]];
            if (k)
                cat(buf, cap, n->kind == N_AND ? " and " : " or ");
            if (paren)
                cat(buf, cap, "(");
            describe(A, kids(A, n)[k], buf, cap, depth + 1);
            if (paren)
                cat(buf, cap, ")");
        }
        return;
    }
}

/* ---- the checks ---- */

static int rule_src(const an *A, size_t i, ast_span *at)
{
    const ast_rule *r = VEC_AT(A->p->rules, ast_rule, i);
    *at = r->id.at;
    return A->dsrc[r->id.at.file];
}

static void loc_str(const an *A, size_t rule, char *buf, size_t cap)
{
    const g_rule *g = &A->rs->rules[rule];
    snprintf(buf, cap, "%s:%u", g->file, g->line);
}

/* Unreachable rules, with the smallest set of the condition's parts that cannot hold
 * together (deletion over the parts of a top-level 'and'). */
static void check_reachable(an *A, bool *reach)
{
    const mga_ruleset *rs = A->rs;
    for (size_t i = 0; i < rs->nrules && !A->oom; i++) {
        const g_rule *g = &rs->rules[i];
        Z3_lbool r = query(A, A->fires[i], false, false);
        reach[i] = r != Z3_L_FALSE;
        ast_span at;
        int src = rule_src(A, i, &at);
        if (r == Z3_L_UNDEF) {
            undecided(A, src, at, "whether the rule can fire");
            continue;
        }
        if (r == Z3_L_TRUE)
            continue;
        A->ctx->stats.unreachable++;
        char why[MAX_NOTE] = "";
        const g_node *n = &rs->nodes[g->node];
        if (n->kind == N_AND) {
            uint32_t part[256];
            size_t np = n->n < 256 ? n->n : 256;
            memcpy(part, kids(A, n), np * sizeof *part);
            for (size_t k = 0; k < np;) {
                Z3_ast rest[256];
                size_t m = 0;
                for (size_t j = 0; j < np; j++)
                    if (j != k)
                        rest[m++] = A->T[part[j]];
                if (np > 1 && query(A, Z3_mk_and(A->z, (unsigned)m, rest), false, false) ==
                                  Z3_L_FALSE) {
                    memmove(part + k, part + k + 1, (np - k - 1) * sizeof *part);
                    np--;
                } else {
                    k++;
                }
            }
            cat(why, sizeof why, np == 1 ? "'" : "these cannot all be true: '");
            for (size_t k = 0; k < np; k++) {
                if (k)
                    cat(why, sizeof why, "' and '");
                describe(A, part[k], why, sizeof why, 1);
            }
            cat(why, sizeof why, np == 1 ? "' is never true" : "'");
        } else {
            cat(why, sizeof why, "'");
            describe(A, g->node, why, sizeof why, 0);
            cat(why, sizeof why, "' is never true");
        }
        cat(why, sizeof why, " over the declared ranges and values");
        mga_diag *dg = diag_add(A->d, DIAG_UNREACHABLE, src, at.off, at.len, g->id);
        diag_note(A->d, dg, "%s", why);
    }
}

static bool same_forms(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
    for (uint32_t i = 0; i < na; i++) {
        bool f = false;
        for (uint32_t j = 0; j < nb; j++)
            f |= a[i] == b[j];
        if (!f)
            return false;
    }
    for (uint32_t j = 0; j < nb; j++) {
        bool f = false;
        for (uint32_t i = 0; i < na; i++)
            f |= a[i] == b[j];
        if (!f)
            return false;
    }
    return true;
}

/* Two rules give the same advice: the same actions, doses and severity; for text-only
 * actions (inform, warn, disagree) also the same text. */
static bool same_action(const an *A, size_t i, size_t j)
{
    const g_rule *x = &A->rs->rules[i], *y = &A->rs->rules[j];
    if (x->kind != y->kind || x->severity != y->severity ||
        x->avoid_supplements != y->avoid_supplements ||
        x->withhold_supplements != y->withhold_supplements || x->presumes != y->presumes ||
        A->acts[i] != A->acts[j] ||
        (x->refer == NULL) != (y->refer == NULL) ||
        (x->refer && strcmp(x->refer, y->refer) != 0) || x->has_start != y->has_start ||
        x->has_target != y->has_target || x->has_max != y->has_max ||
        (x->has_start && x->start != y->start) || (x->has_target && x->target != y->target) ||
        (x->has_max && x->max != y->max) ||
        !same_forms(x->prefer, x->nprefer, y->prefer, y->nprefer) ||
        !same_forms(x->avoid, x->navoid, y->avoid, y->navoid))
        return false;
    return !A->acts[i] || strcmp(x->say, y->say) == 0;
}

static void check_redundant(an *A, const bool *reach)
{
    const mga_ruleset *rs = A->rs;
    for (size_t i = 0; i < rs->nrules && !A->oom; i++) {
        if (!reach[i])
            continue;
        for (size_t j = 0; j < rs->nrules; j++) {
            if (i == j || !reach[j] || !same_action(A, i, j))
                continue;
            Z3_lbool r =
                query(A, mk_and2(A, A->fires[i], Z3_mk_not(A->z, A->fires[j])), false, false);
            if (r != Z3_L_FALSE)
                continue;
            /* equivalent conditions: report only the later rule */
            if (j > i && query(A, mk_and2(A, A->fires[j], Z3_mk_not(A->z, A->fires[i])), false,
                               false) == Z3_L_FALSE)
                continue;
            A->ctx->stats.redundant++;
            ast_span at;
            int src = rule_src(A, i, &at);
            char where[256];
            loc_str(A, j, where, sizeof where);
            mga_diag *dg = diag_add(A->d, DIAG_REDUNDANT, src, at.off, at.len, rs->rules[i].id,
                                    rs->rules[j].id);
            diag_note(A->d, dg, "'%s' (%s) fires for every profile '%s' fires for, with the "
                                "same action; remove one, or make the conditions differ",
                      rs->rules[j].id, where, rs->rules[i].id);
            break;
        }
    }
}

static void form_list(const an *A, const uint32_t *forms, size_t n, char *buf, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            cat(buf, cap, ", ");
        cat(buf, cap, A->rs->forms[forms[i]]);
    }
}

/* The contradictions between loser rule l and winner rule w, as text, and whether every
 * one of them is covered by a declared precedence. Returns false when there is none. */
static bool contradiction(const an *A, size_t l, size_t w, char *buf, size_t cap,
                          bool *resolved)
{
    const g_rule *x = &A->rs->rules[l], *y = &A->rs->rules[w];
    uint64_t prec = A->rs->precedence;
    bool any = false;
    char part[512];
    *resolved = true;
#define NOTE_PAIR(win, lose)                                                                   \
    do {                                                                                       \
        if (!(prec & G_PREC_BIT((uint64_t)(win), (uint64_t)(lose))))                           \
            *resolved = false;                                                                 \
        if (any)                                                                               \
            cat(buf, cap, "; ");                                                               \
        cat(buf, cap, part);                                                                   \
        any = true;                                                                            \
    } while (0)
    uint32_t common[64];
    size_t nc = 0;
    for (uint32_t i = 0; i < x->nprefer; i++)
        for (uint32_t j = 0; j < y->navoid; j++)
            if (x->prefer[i] == y->avoid[j] && nc < 64)
                common[nc++] = x->prefer[i];
    if (nc) {
        char forms[256] = "";
        form_list(A, common, nc, forms, sizeof forms);
        snprintf(part, sizeof part, "'%s' prefers %s, '%s' avoids %s", x->id, forms, y->id,
                 nc == 1 ? "it" : "them");
        NOTE_PAIR(PREC_AVOID, PREC_PREFER);
    }
    bool ys = y->avoid_supplements || y->withhold_supplements;
    prec_side ws = y->avoid_supplements ? PREC_AVOID_SUPPLEMENTS : PREC_WITHHOLD_SUPPLEMENTS;
    const char *verb = y->avoid_supplements ? "avoids" : "withholds";
    if (ys && x->nprefer) {
        char forms[256] = "";
        form_list(A, x->prefer, x->nprefer, forms, sizeof forms);
        snprintf(part, sizeof part, "'%s' prefers %s, '%s' %s supplements", x->id, forms,
                 y->id, verb);
        NOTE_PAIR(ws, PREC_PREFER);
    }
    if (ys && x->has_start) {
        snprintf(part, sizeof part, "'%s' suggests starting at %s mg, '%s' %s supplements",
                 x->id, NUM_STR(x->start), y->id, verb);
        NOTE_PAIR(ws, PREC_START);
    }
    if (ys && x->has_target) {
        snprintf(part, sizeof part, "'%s' suggests a target of %s mg, '%s' %s supplements",
                 x->id, NUM_STR(x->target), y->id, verb);
        NOTE_PAIR(ws, PREC_TARGET);
    }
    if (y->has_max && x->has_start && x->start > y->max) {
        snprintf(part, sizeof part, "'%s' suggests starting at %s mg, above the %s mg max of '%s'",
                 x->id, NUM_STR(x->start), NUM_STR(y->max), y->id);
        NOTE_PAIR(PREC_MAX, PREC_START);
    }
    if (y->has_max && x->has_target && x->target > y->max) {
        snprintf(part, sizeof part, "'%s' suggests a target of %s mg, above the %s mg max of '%s'",
                 x->id, NUM_STR(x->target), NUM_STR(y->max), y->id);
        NOTE_PAIR(PREC_MAX, PREC_TARGET);
    }
#undef NOTE_PAIR
    return any;
}

static void check_conflicts(an *A, const bool *reach)
{
    const mga_ruleset *rs = A->rs;
    char what[MAX_NOTE], where[256];
    for (size_t i = 0; i < rs->nrules && !A->oom && !A->failed; i++) {
        for (size_t j = 0; j < rs->nrules && !A->oom && !A->failed; j++) {
            if (i == j || !reach[i] || !reach[j])
                continue;
            bool resolved;
            what[0] = '\0';
            if (!contradiction(A, i, j, what, sizeof what, &resolved))
                continue;
            A->ctx->stats.pairs++;
            if (resolved && !A->ctx->notes)
                continue;
            ast_span at;
            int src = rule_src(A, i, &at);
            claim c = {CL_FIRE2, (uint32_t)i, (uint32_t)j};
            Z3_lbool r;
            bool found = find_witness(A, mk_and2(A, A->fires[i], A->fires[j]), &c,
                                      "both rules fire", src, at, &r);
            if (r == Z3_L_UNDEF) {
                undecided(A, src, at, "whether two contradicting rules fire together");
                continue;
            }
            if (r != Z3_L_TRUE)
                continue;
            loc_str(A, j, where, sizeof where);
            mga_diag *dg;
            if (resolved) {
                A->ctx->stats.resolved++;
                dg = diag_add(A->d, DIAG_CONFLICT_RESOLVED, src, at.off, at.len, rs->rules[i].id,
                              rs->rules[j].id, what);
            } else {
                A->ctx->stats.conflicts++;
                dg = diag_add(A->d, DIAG_CONFLICT, src, at.off, at.len, rs->rules[i].id,
                              rs->rules[j].id, what);
            }
            if (found) {
                diag_note(A->d, dg, "'%s' is at %s; both fire for %s", rs->rules[j].id, where,
                          A->json);
                diag_witness(A->d, dg, A->json);
            } else
                diag_note(A->d, dg, "'%s' is at %s; both fire, but no witness away from a "
                                    "numeric boundary was found",
                          rs->rules[j].id, where);
        }
    }
}

static void check_invariants(an *A)
{
    const mga_ruleset *rs = A->rs;
    for (size_t i = 0; i < rs->ninvs && !A->oom && !A->failed; i++) {
        const g_invariant *v = &rs->invs[i];
        const ast_invariant *av = VEC_AT(A->p->invariants, ast_invariant, i);
        ast_span at = av->id.at;
        int src = A->dsrc[at.file];
        const char *label = v->label ? v->label : v->id;
        Z3_ast when = A->T[v->node];
        if (query(A, when, false, false) == Z3_L_FALSE) {
            diag_add(A->d, DIAG_INV_VACUOUS, src, at.off, at.len, v->id);
            continue;
        }
        claim c = {CL_REFUTE, (uint32_t)i, 0};
        Z3_lbool r;
        bool found = find_witness(A, mk_and2(A, when, Z3_mk_not(A->z, invariant_holds(A, v))),
                                  &c, "a counter-example", src, at, &r);
        if (r == Z3_L_UNDEF) {
            undecided(A, src, at, "the invariant");
            continue;
        }
        if (r == Z3_L_FALSE) {
            A->ctx->stats.proven++;
            if (A->ctx->notes)
                diag_add(A->d, DIAG_INV_PROVEN, src, at.off, at.len, v->id, label);
            continue;
        }
        A->ctx->stats.refuted++;
        mga_diag *dg = diag_add(A->d, DIAG_INV_REFUTED, src, at.off, at.len, v->id, label);
        if (found) {
            diag_note(A->d, dg, "counter-example: %s", A->json);
            diag_witness(A->d, dg, A->json);
        } else
            diag_note(A->d, dg, "a counter-example exists only within a hair of a numeric "
                                "boundary");
    }
}

/* The literals of witness w as a solver term and as text. */
static Z3_ast cube(an *A, const witness *w, const bool *keep, char *buf, size_t cap)
{
    const mga_ruleset *rs = A->rs;
    Z3_ast acc = Z3_mk_true(A->z);
    char num[64];
    size_t lit = 0;
    for (size_t i = 0; i < rs->nfields; i++) {
        if (!w->known[i])
            continue;
        const g_field *f = &rs->fields[i];
        if (f->type == FT_SET) {
            bool any = false;
            for (size_t k = 0; k < f->nsyms; k++) {
                if (!((w->bits[f->word + k / 64] >> (k % 64)) & 1))
                    continue;
                any = true;
                if (!keep[lit++])
                    continue;
                acc = mk_and2(A, acc, mk_and2(A, A->known[i], A->sym[i][k]));
                if (buf[0])
                    cat(buf, cap, " and ");
                cat(buf, cap, f->name);
                cat(buf, cap, " has ");
                cat(buf, cap, f->syms[k]);
            }
            if (!any && keep[lit++]) {
                Z3_ast none = Z3_mk_true(A->z);
                for (size_t k = 0; k < f->nsyms; k++)
                    none = mk_and2(A, none, Z3_mk_not(A->z, A->sym[i][k]));
                acc = mk_and2(A, acc, mk_and2(A, A->known[i], none));
                if (buf[0])
                    cat(buf, cap, " and ");
                cat(buf, cap, f->name);
                cat(buf, cap, " is empty");
            }
            continue;
        }
        if (!keep[lit++])
            continue;
        Z3_ast eq = A->known[i];
        if (buf[0])
            cat(buf, cap, " and ");
        cat(buf, cap, f->name);
        switch (f->type) {
        case FT_TEXT:
            cat(buf, cap, " is known");
            break;
        case FT_BOOL:
            eq = mk_and2(A, eq, w->num[i] != 0 ? A->val[i] : Z3_mk_not(A->z, A->val[i]));
            cat(buf, cap, w->num[i] != 0 ? " is true" : " is false");
            break;
        case FT_ENUM:
            eq = mk_and2(A, eq,
                         Z3_mk_eq(A->z, A->val[i], Z3_mk_int(A->z, (int)w->num[i], A->integer)));
            cat(buf, cap, " is ");
            cat(buf, cap, f->syms[(size_t)w->num[i]]);
            break;
        case FT_NUMBER:
            eq = mk_and2(A, eq, Z3_mk_eq(A->z, A->val[i], mk_num(A, w->num[i] * f->unit_f)));
            num_fmt_exact(num, sizeof num, w->num[i]);
            cat(buf, cap, " == ");
            cat(buf, cap, num);
            if (f->unit) {
                cat(buf, cap, " ");
                cat(buf, cap, f->unit);
            }
            break;
        case FT_SET:
            break;
        }
        acc = mk_and2(A, acc, eq);
    }
    return acc;
}

static size_t cube_literals(const an *A, const witness *w)
{
    size_t n = 0;
    for (size_t i = 0; i < A->rs->nfields; i++) {
        if (!w->known[i])
            continue;
        const g_field *f = &A->rs->fields[i];
        if (f->type != FT_SET) {
            n++;
            continue;
        }
        size_t m = 0;
        for (size_t k = 0; k < f->nsyms; k++)
            m += (w->bits[f->word + k / 64] >> (k % 64)) & 1;
        n += m ? m : 1;
    }
    return n;
}

/* Per goal: regions of profiles with that goal that get no form (prefer) and no dose
 * (start or target) advice. Each region is a minimised witness generalised to the fewest
 * of its literals that still imply the gap (proven), then excluded before the next. */
static void check_gaps(an *A)
{
    if (A->goals < 0 || !A->ctx->notes)
        return;
    const mga_ruleset *rs = A->rs;
    const g_field *gf = &rs->fields[A->goals];
    Z3_ast no_advice = Z3_mk_not(A->z, form_or_dose_advice(A));
    char text[MAX_NOTE], lits[1024];
    for (size_t g = 0; g < gf->nsyms && !A->oom && !A->failed; g++) {
        Z3_ast has = mk_and2(A, A->known[A->goals], A->sym[A->goals][g]);
        Z3_ast gap = mk_and2(A, has, no_advice);
        Z3_ast excluded = Z3_mk_true(A->z);
        text[0] = '\0';
        size_t regions = 0;
        bool example = false;
        const char *first = NULL; /* the first profile shown: the diagnostic's witness */
        for (int round_ = 0; round_ < GAP_REGIONS && !example; round_++) {
            claim c = {CL_GAP, (uint32_t)g, 0};
            Z3_lbool r;
            ast_span none = {0, 0, 0};
            if (!find_witness(A, mk_and2(A, gap, excluded), &c, "a profile without advice", -1,
                              none, &r)) {
                if (r == Z3_L_FALSE && regions)
                    cat(text, sizeof text, "\n  note: every other profile with the goal gets "
                                           "form or dose advice");
                break;
            }
            size_t nl = cube_literals(A, &A->w);
            bool keep[256];
            if (nl > 256)
                nl = 256;
            for (size_t k = 0; k < nl; k++)
                keep[k] = true;
            lits[0] = '\0';
            Z3_ast cu = cube(A, &A->w, keep, lits, sizeof lits);
            /* does every profile in the region get no advice? */
            if (query(A, mk_and2(A, mk_and2(A, cu, has), Z3_mk_not(A->z, no_advice)), false,
                      false) != Z3_L_FALSE) {
                if (regions)
                    cat(text, sizeof text, "\n  note: ");
                cat(text, sizeof text, "for example ");
                cat(text, sizeof text, A->json);
                if (!first && !(first = arena_strdup(&A->a, A->json)))
                    A->oom = true;
                example = true;
                break;
            }
            for (size_t k = 0; k < nl; k++) {
                keep[k] = false;
                lits[0] = '\0';
                cu = cube(A, &A->w, keep, lits, sizeof lits);
                if (query(A, mk_and2(A, mk_and2(A, cu, has), Z3_mk_not(A->z, no_advice)), false,
                          false) != Z3_L_FALSE)
                    keep[k] = true;
            }
            lits[0] = '\0';
            cu = cube(A, &A->w, keep, lits, sizeof lits);
            if (regions)
                cat(text, sizeof text, "\n  note: ");
            if (lits[0]) {
                cat(text, sizeof text, "every profile with the goal and ");
                cat(text, sizeof text, lits);
            } else {
                cat(text, sizeof text, "every profile with the goal: no rule gives form or "
                                       "dose advice that reaches it");
            }
            cat(text, sizeof text, ", e.g. ");
            cat(text, sizeof text, A->json);
            if (!first && !(first = arena_strdup(&A->a, A->json)))
                A->oom = true;
            regions++;
            if (!lits[0])
                break; /* the region is the whole goal */
            excluded = mk_and2(A, excluded, Z3_mk_not(A->z, cu));
        }
        if (!regions && !example)
            continue;
        A->ctx->stats.gaps++;
        int src = -1;
        ast_span at = {0, 0, 0};
        for (size_t i = 0; i < A->p->fields.len; i++) {
            const ast_field *f = VEC_AT(A->p->fields, ast_field, i);
            if ((int)i == A->goals && g < f->syms.n) {
                at = f->syms.v[g].at;
                src = A->dsrc[at.file];
            }
        }
        mga_diag *dg = diag_add(A->d, DIAG_GAP, src, at.off, at.len, gf->syms[g]);
        diag_note(A->d, dg, "%s", text);
        diag_witness(A->d, dg, first);
    }
}

static void check_refs(an *A)
{
    const ast_program *p = A->p;
    for (size_t s = 0; s < p->sources.len; s++) {
        const ast_source *src = VEC_AT(p->sources, ast_source, s);
        if (!src->used)
            continue; /* the source as a whole is reported (W5002) */
        for (size_t k = 0; k < src->refs.len; k++) {
            const ast_ref *ref = VEC_AT(src->refs, ast_ref, k);
            bool cited = false;
            for (size_t i = 0; i < p->rules.len && !cited; i++) {
                const ast_rule *r = VEC_AT(p->rules, ast_rule, i);
                for (size_t c = 0; c < r->cites.len && !cited; c++) {
                    const ast_cite *ct = VEC_AT(r->cites, ast_cite, c);
                    if (ct->src != (int)s)
                        continue;
                    for (size_t j = 0; j < ct->refs.len; j++)
                        cited |= VEC_AT(ct->refs, ast_ref, j)->n == ref->n;
                }
            }
            if (!cited)
                diag_add(A->d, DIAG_UNUSED_REF, A->dsrc[ref->at.file], ref->at.off, ref->at.len,
                         ref->n, src->key.s);
        }
    }
}

static bool setup(an *A)
{
    const mga_ruleset *rs = A->rs;
    A->acts = arena_alloc(&A->a, (rs->nrules + 1) * sizeof *A->acts);
    A->node_fact = arena_alloc(&A->a, (rs->nnodes + 1) * sizeof *A->node_fact);
    A->fires = arena_alloc(&A->a, (rs->nrules + 1) * sizeof *A->fires);
    if (!A->acts || !A->node_fact || !A->fires || !witness_alloc(A, &A->w) ||
        !witness_alloc(A, &A->w2))
        return false;
    for (size_t i = 0; i < rs->nrules; i++) {
        const ast_rule *r = VEC_AT(A->p->rules, ast_rule, i);
        for (size_t k = 0; k < r->actions.len; k++) {
            act_kind ak = VEC_AT(r->actions, ast_action, k)->kind;
            A->acts[i] |= ak == ACT_INFORM ? ACT_BIT_INFORM
                          : ak == ACT_WARN ? ACT_BIT_WARN
                          : ak == ACT_DISAGREE ? ACT_BIT_DISAGREE
                                               : 0;
        }
    }
    for (size_t i = 0; i < rs->nfacts; i++)
        if (!A->node_fact[rs->facts[i].node])
            A->node_fact[rs->facts[i].node] = rs->facts[i].name;

    Z3_config cfg = Z3_mk_config();
    Z3_set_param_value(cfg, "model", "true");
    A->z = Z3_mk_context(cfg);
    Z3_del_config(cfg);
    if (!A->z)
        return false;
    Z3_set_error_handler(A->z, z3_quiet);
    A->s = Z3_mk_simple_solver(A->z);
    Z3_solver_inc_ref(A->z, A->s);
    Z3_params prm = Z3_mk_params(A->z);
    Z3_params_inc_ref(A->z, prm);
    Z3_params_set_uint(A->z, prm, Z3_mk_string_symbol(A->z, "timeout"), 10000);
    Z3_solver_set_params(A->z, A->s, prm);
    Z3_params_dec_ref(A->z, prm);
    A->real = Z3_mk_real_sort(A->z);
    A->boolean = Z3_mk_bool_sort(A->z);
    A->integer = Z3_mk_int_sort(A->z);
    if (!encode_fields(A) || !encode_nodes(A) || A->bad_num)
        return false;
    A->as = Z3_mk_false(A->z);
    for (size_t i = 0; i < rs->nrules; i++) {
        A->fires[i] = A->T[rs->rules[i].node];
        if (rs->rules[i].avoid_supplements || rs->rules[i].withhold_supplements)
            A->as = mk_or2(A, A->as, A->fires[i]);
    }
    return Z3_get_error_code(A->z) == Z3_OK;
}

static mga_status run(void *ud, const mga_ruleset *rs, const struct ast_program *p,
                      mga_diags *d, const int *dsrc)
{
    analyze_ctx *ctx = ud;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(&ctx->stats, 0, sizeof ctx->stats);
    size_t max_rules = ctx->max_rules ? ctx->max_rules : ANALYZE_MAX_RULES;
    size_t max_nodes = ctx->max_nodes ? ctx->max_nodes : ANALYZE_MAX_NODES;
    if (rs->nrules > max_rules || rs->nnodes > max_nodes) {
        bool by_rules = rs->nrules > max_rules;
        ctx->stats.skipped = true;
        ctx->stats.rules = rs->nrules;
        mga_diag *dg = diag_add(d, DIAG_ANALYSIS_SKIPPED, -1, 0, 0,
                                by_rules ? rs->nrules : rs->nnodes,
                                by_rules ? "rules" : "distinct conditions",
                                by_rules ? max_rules : max_nodes);
        if (dg)
            diag_note(d, dg, "the analysis queries the solver for every pair of rules, so its "
                             "time grows faster than the rule set; split the rules to analyse "
                             "each part");
        if (ctx->out)
            *ctx->out = ctx->stats;
        return d->oom ? MGA_E_NOMEM : MGA_OK;
    }
    an A;
    memset(&A, 0, sizeof A);
    A.rs = rs;
    A.p = p;
    A.d = d;
    A.dsrc = dsrc;
    A.ctx = ctx;
    A.start = t0;
    A.budget = ctx->max_seconds > 0 ? ctx->max_seconds : ANALYZE_MAX_SECONDS;
    arena_init(&A.a, &rs->m);
    ctx->stats.rules = rs->nrules;
    check_refs(&A);
    bool ok = setup(&A);
    if (!ok && !A.z) {
        A.oom = true;
    } else if (!ok) {
        diag_add(d, DIAG_INTERNAL, -1, 0, 0, "the solver could not encode the rule graph");
    } else {
        bool *reach = arena_alloc(&A.a, rs->nrules + 1);
        if (!reach) {
            A.oom = true;
        } else {
            check_reachable(&A, reach);
            check_conflicts(&A, reach);
            check_redundant(&A, reach);
            check_invariants(&A);
            check_gaps(&A);
        }
    }
    if (A.z) {
        Z3_solver_dec_ref(A.z, A.s);
        Z3_del_context(A.z);
    }
    arena_free(&A.a);
    if (ctx->stats.stopped)
        diag_add(d, DIAG_ANALYSIS_STOPPED, -1, 0, 0, NUM_STR(A.budget));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ctx->stats.seconds =
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (ctx->out)
        *ctx->out = ctx->stats;
    return A.oom || d->oom ? MGA_E_NOMEM : MGA_OK;
}

void mga_analysis_options_init(mga_analysis_options *opt)
{
    if (opt)
        memset(opt, 0, sizeof *opt);
}

mga_status mga_analysis_install(mga_engine *eng, const mga_analysis_options *opt,
                                mga_analysis_stats *stats)
{
    if (!eng)
        return MGA_E_INVALID;
    analyze_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    if (opt) {
        ctx.notes = opt->notes;
        ctx.max_rules = opt->max_rules;
        ctx.max_nodes = opt->max_nodes;
        ctx.max_seconds = opt->max_seconds;
    }
    ctx.out = stats;
    return api_engine_set_check(eng, run, &ctx, sizeof ctx);
}

const char *mga_analysis_version(void)
{
    return MGA_VERSION;
}
