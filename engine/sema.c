/* SPDX-License-Identifier: MIT */
/* Pass 2, sema: name resolution and type, unit and citation checks (see sema.h). */
#include "sema.h"

#include "ast.h"
#include "hash.h"
#include "names.h"
#include "numfmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct sema {
    ast_program *p;
    mga_diags *d;
    const int *dsrc; /* diagnostics source id of each file index */
    unsigned max_depth;
    /* fields and facts by name (check_decls): a rule set names them once per test, so a
     * lookup must not scan them all */
    ast_nslot *field_t, *fact_t;
    size_t field_mask, fact_mask;
    size_t mask_words; /* the graph's symbol masks so far: a word per 64 symbols per test */
    bool oom;
} sema;

#define ERR(s, code, ...) ERR_(s, code, __VA_ARGS__, 0)
#define ERR_(s, code, span, ...)                                                               \
    diag_add((s)->d, DIAG_##code, (s)->dsrc[(span).file], (span).off, (span).len, __VA_ARGS__)

double sema_unit_factor(const ast_dim *dim, const char *unit)
{
    if (!unit)
        return 0;
    if (strcmp(dim->base.s, unit) == 0)
        return 1;
    for (size_t i = 0; i < dim->units.len; i++) {
        const ast_unitdef *u = VEC_AT(dim->units, ast_unitdef, i);
        if (strcmp(u->name.s, unit) == 0)
            return u->factor;
    }
    return 0;
}

/* ---- the range of numbers the engine computes with (G_NUM_MIN..G_NUM_MAX) ---- */

/* A number a rule may hold, in base units: 0, or a magnitude within the engine's range
 * (false for inf and nan). */
static bool num_in_range(double v)
{
    double m = fabs(v);
    return v == 0 || (m >= G_NUM_MIN && m <= G_NUM_MAX);
}

/* written * factor, computed as prod, is a number the engine computes with: a nonzero
 * number must not underflow to zero or overflow. */
static bool scaled_in_range(double written, double prod)
{
    return written == 0 || (prod != 0 && num_in_range(prod));
}

/* |x| = m * 10^e with m in [1, 10), for x finite and nonzero (no libm: the library does
 * not link it); m is within a few units in the last place. */
static double dec_norm(double x, int *e)
{
    double m = fabs(x);
    while (m >= 1e100) {
        m /= 1e100;
        *e += 100;
    }
    while (m >= 10) {
        m /= 10;
        *e += 1;
    }
    while (m < 1e-100) {
        m *= 1e100;
        *e -= 100;
    }
    while (m < 1) {
        m *= 10;
        *e -= 1;
    }
    return m;
}

/* a * b / c (c > 0) as "2.496e308", without overflow or underflow: the size of a product
 * that a double cannot hold. */
static void fmt_product(char *buf, size_t cap, double a, double b, double c)
{
    if (a == 0 || b == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    if (!isfinite(a) || !isfinite(b)) {
        snprintf(buf, cap, "more than 1e308");
        return;
    }
    int e = 0, ec = 0;
    double m = dec_norm(a, &e) * dec_norm(b, &e) / dec_norm(c, &ec);
    e -= ec;
    m = dec_norm(m, &e);
    if (m >= 9.999995) { /* rounds to 10 at six digits */
        m = 1;
        e += 1;
    }
    snprintf(buf, cap, "%s%.6ge%d", (a < 0) != (b < 0) ? "-" : "", m, e);
}

static void range_note(sema *s, mga_diag *dg)
{
    diag_note(s->d, dg, "numbers in a dimension's base unit must be 0 or between 1e-300 and "
                        "1e300 in size");
}

/* Reports `written unit` (value prod in base units) outside the range at span; true when
 * it is within. */
static bool check_scaled(sema *s, ast_span at, double written, const char *unit, double factor,
                         double div, const char *base)
{
    double prod = written * factor / div;
    if (scaled_in_range(written, prod))
        return true;
    char w[64], q[160], v[64], vb[160];
    num_fmt_exact(w, sizeof w, written);
    snprintf(q, sizeof q, "%s%s%s", w, unit ? " " : "", unit ? unit : "");
    fmt_product(v, sizeof v, written, factor, div);
    snprintf(vb, sizeof vb, "%s%s%s", v, base ? " " : "", base ? base : "");
    range_note(s, ERR(s, NUM_RANGE, at, q, vb));
    return false;
}

int sema_field_find(const ast_program *p, const char *name)
{
    for (size_t i = 0; i < p->fields.len; i++)
        if (strcmp(VEC_AT(p->fields, ast_field, i)->name.s, name) == 0)
            return (int)i;
    return -1;
}

static size_t name_hash(const char *s)
{
    uint64_t h = hash_fnv1a(HASH_FNV_OFFSET, s, strlen(s));
    return (size_t)(h ^ (h >> 29));
}

/* A table for n names; NULL on OOM. */
static ast_nslot *nslots_new(arena *a, size_t n, size_t *mask)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    *mask = cap - 1;
    return arena_alloc(a, cap * sizeof(ast_nslot));
}

/* Adds name as ix; returns the index already holding that name, or -1 when it is new. */
static long nslots_add(ast_nslot *t, size_t mask, const char *name, uint32_t ix)
{
    size_t h = name_hash(name) & mask;
    for (; t[h].name; h = (h + 1) & mask)
        if (strcmp(t[h].name, name) == 0)
            return (long)t[h].ix;
    t[h].name = name;
    t[h].ix = ix;
    return -1;
}

int sema_sym_find(const ast_field *f, const char *sym)
{
    if (f->sym_slots) {
        for (size_t h = name_hash(sym) & f->sym_mask; f->sym_slots[h].name;
             h = (h + 1) & f->sym_mask)
            if (strcmp(f->sym_slots[h].name, sym) == 0)
                return (int)f->sym_slots[h].ix;
        return -1;
    }
    for (size_t i = 0; i < f->syms.n; i++)
        if (strcmp(f->syms.v[i].s, sym) == 0)
            return (int)i;
    return -1;
}

/* The index of name in table t, or -1 (also when there is no table: OOM was reported). */
static int nslots_find(const ast_nslot *t, size_t mask, const char *name)
{
    if (!t)
        return -1;
    for (size_t h = name_hash(name) & mask; t[h].name; h = (h + 1) & mask)
        if (strcmp(t[h].name, name) == 0)
            return (int)t[h].ix;
    return -1;
}

static int field_find(const sema *s, const char *name)
{
    return nslots_find(s->field_t, s->field_mask, name);
}

/* Suggests among up to 256 names gathered by the caller. */
static void suggest(sema *s, mga_diag *dg, const char *name, const char **cands, size_t n)
{
    const char *best = diag_suggest(name, cands, n);
    if (best)
        diag_note(s->d, dg, "did you mean '%s'?", best);
}

static void unknown_field(sema *s, ast_name n, bool facts_too)
{
    const char *cands[256];
    size_t k = 0;
    for (size_t i = 0; i < s->p->fields.len && k < 256; i++)
        cands[k++] = VEC_AT(s->p->fields, ast_field, i)->name.s;
    for (size_t i = 0; facts_too && i < s->p->facts.len && k < 256; i++)
        cands[k++] = VEC_AT(s->p->facts, ast_fact, i)->name.s;
    mga_diag *dg = facts_too ? ERR(s, UNKNOWN_NAME, n.at, n.s) : ERR(s, UNKNOWN_FIELD, n.at, n.s);
    suggest(s, dg, n.s, cands, k);
}

static void check_syms(sema *s, const ast_field *f, const ast_names *syms)
{
    for (size_t i = 0; i < syms->n; i++) {
        if (sema_sym_find(f, syms->v[i].s) >= 0)
            continue;
        const char *cands[256];
        size_t k = 0;
        for (size_t j = 0; j < f->syms.n && k < 256; j++)
            cands[k++] = f->syms.v[j].s;
        mga_diag *dg = ERR(s, UNKNOWN_SYMBOL, syms->v[i].at, syms->v[i].s, f->name.s);
        const char *best = diag_suggest(syms->v[i].s, cands, k);
        if (best)
            diag_note(s->d, dg, "did you mean '%s'?", best);
        else
            diag_note(s->d, dg, "'%s' is declared at its field in the profile block", f->name.s);
    }
}

/* ---- declarations ---- */

static void check_decls(sema *s)
{
    ast_program *p = s->p;
    for (size_t i = 1; i < p->rulesets.len; i++)
        ERR(s, DUP_DECL, VEC_AT(p->rulesets, ast_text, i)->at, "ruleset", "name");
    for (size_t i = 1; i < p->disclaimers.len; i++)
        ERR(s, DUP_DECL, VEC_AT(p->disclaimers, ast_text, i)->at, "disclaimer", "text");
    if (p->disclaimers.len == 0)
        diag_add(s->d, DIAG_NO_DISCLAIMER, -1, 0, 0);

    for (size_t i = 0; i < p->sources.len; i++) {
        ast_source *src = VEC_AT(p->sources, ast_source, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(VEC_AT(p->sources, ast_source, j)->key.s, src->key.s) == 0)
                ERR(s, DUP_DECL, src->key.at, "source", src->key.s);
        for (size_t r = 0; r < src->refs.len; r++) {
            ast_ref *ref = VEC_AT(src->refs, ast_ref, r);
            for (size_t q = 0; q < r; q++)
                if (VEC_AT(src->refs, ast_ref, q)->n == ref->n) {
                    char what[32];
                    snprintf(what, sizeof what, "%u", ref->n);
                    ERR(s, DUP_DECL, ref->at, "reference", what);
                }
        }
    }
    for (size_t i = 0; i < p->dims.len; i++) {
        ast_dim *dim = VEC_AT(p->dims, ast_dim, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(VEC_AT(p->dims, ast_dim, j)->name.s, dim->name.s) == 0)
                ERR(s, DUP_DECL, dim->name.at, "dimension", dim->name.s);
        for (size_t u = 0; u < dim->units.len; u++) {
            ast_unitdef *ud = VEC_AT(dim->units, ast_unitdef, u);
            bool dup = strcmp(ud->name.s, dim->base.s) == 0;
            for (size_t k = 0; k < u && !dup; k++)
                dup = strcmp(VEC_AT(dim->units, ast_unitdef, k)->name.s, ud->name.s) == 0;
            if (dup)
                ERR(s, DUP_DECL, ud->name.at, "unit", ud->name.s);
            /* "unit g = 1000 mg": the right-hand unit must already be known in this
             * dimension; factors compose to the base. */
            double f = 0;
            if (strcmp(ud->of.s, dim->base.s) == 0) {
                f = 1;
            } else {
                for (size_t k = 0; k < u; k++)
                    if (strcmp(VEC_AT(dim->units, ast_unitdef, k)->name.s, ud->of.s) == 0)
                        f = VEC_AT(dim->units, ast_unitdef, k)->factor;
            }
            if (f == 0)
                ERR(s, UNIT_NOT_DIMENSION, ud->of.at, ud->of.s, dim->name.s);
            /* "huge = 1e300 big": the parser's span of a unit starts where the previous
             * one ends, so the name and the unit it is defined by give the place */
            ast_span uat = ud->name.at;
            if (ud->of.at.file == uat.file && ud->of.at.off >= uat.off)
                uat.len = ud->of.at.off + ud->of.at.len - uat.off;
            if (!(ud->factor > 0) || !isfinite(ud->factor)) {
                ERR(s, BAD_FACTOR, uat, NUM_STR(ud->factor));
            } else if (f && !(ud->factor * f >= G_NUM_MIN && ud->factor * f <= G_NUM_MAX)) {
                /* "unit huge = 1e300 big" with big = 1e300 mg: the product leaves the
                 * doubles; report it once here, and go on with a factor that adds no
                 * errors of its own to the numbers written in the unit */
                char v[64];
                fmt_product(v, sizeof v, ud->factor, f, 1);
                mga_diag *dg = ERR(s, UNIT_RANGE, uat, ud->name.s, v, dim->base.s);
                diag_note(s->d, dg, "a unit's factor to the base unit must be between 1e-300 "
                                    "and 1e300");
                ud->factor = 1;
                continue;
            }
            ud->factor *= f ? f : 1;
        }
    }
    size_t fmask;
    ast_nslot *ft = nslots_new(p->a, p->forms.n, &fmask);
    if (!ft) {
        s->oom = true;
        return;
    }
    for (size_t i = 0; i < p->forms.n; i++)
        if (nslots_add(ft, fmask, p->forms.v[i].s, (uint32_t)i) >= 0)
            ERR(s, DUP_SYMBOL, p->forms.v[i].at, p->forms.v[i].s);

    s->field_t = nslots_new(p->a, p->fields.len, &s->field_mask);
    s->fact_t = nslots_new(p->a, p->facts.len, &s->fact_mask);
    if (!s->field_t || !s->fact_t) {
        s->oom = true;
        return;
    }
    for (size_t i = 0; i < p->fields.len; i++) {
        ast_field *f = VEC_AT(p->fields, ast_field, i);
        f->dim = -1;
        f->unit_f = 1;
        /* a duplicate resolves to the first, as the profile reader's table does */
        if (nslots_add(s->field_t, s->field_mask, f->name.s, (uint32_t)i) >= 0)
            ERR(s, DUP_DECL, f->name.at, "field", f->name.s);
        f->sym_slots = nslots_new(s->p->a, f->syms.n, &f->sym_mask);
        if (!f->sym_slots) {
            s->oom = true;
            return;
        }
        for (size_t a = 0; a < f->syms.n; a++)
            if (nslots_add(f->sym_slots, f->sym_mask, f->syms.v[a].s, (uint32_t)a) >= 0)
                ERR(s, DUP_SYMBOL, f->syms.v[a].at, f->syms.v[a].s);
        if (f->type == FT_NUMBER && f->unit.s) {
            int found = -1, count = 0;
            for (size_t k = 0; k < p->dims.len; k++) {
                double fac = sema_unit_factor(VEC_AT(p->dims, ast_dim, k), f->unit.s);
                if (fac > 0) {
                    if (found < 0) {
                        found = (int)k;
                        f->unit_f = fac;
                    }
                    count++;
                }
            }
            if (found < 0)
                ERR(s, UNIT_UNKNOWN, f->unit.at, f->unit.s);
            else if (count > 1)
                ERR(s, UNIT_AMBIGUOUS, f->unit.at, f->unit.s);
            f->dim = found;
        }
        if (f->has_range) {
            if (f->lo > f->hi)
                ERR(s, EMPTY_RANGE, f->range_at, NUM_STR(f->lo), NUM_STR(f->hi));
            const char *base =
                f->dim >= 0 ? VEC_AT(p->dims, ast_dim, f->dim)->base.s : NULL;
            if (!check_scaled(s, f->range_at, f->lo, f->unit.s, f->unit_f, 1, base) ||
                !check_scaled(s, f->range_at, f->hi, f->unit.s, f->unit_f, 1, base)) {
                f->lo = f->hi = 0;
            }
            f->blo = f->lo * f->unit_f;
            f->bhi = f->hi * f->unit_f;
        } else {
            f->blo = -INFINITY;
            f->bhi = INFINITY;
        }
    }
    for (size_t i = 0; i < p->facts.len; i++) {
        ast_fact *f = VEC_AT(p->facts, ast_fact, i);
        if (nslots_add(s->fact_t, s->fact_mask, f->name.s, (uint32_t)i) >= 0)
            ERR(s, DUP_DECL, f->name.at, "fact", f->name.s);
        if (field_find(s, f->name.s) >= 0)
            ERR(s, DUP_DECL, f->name.at, "name (a field has it)", f->name.s);
    }
    size_t mask;
    ast_nslot *ids = nslots_new(s->p->a, p->rules.len, &mask);
    if (!ids) {
        s->oom = true;
        return;
    }
    for (size_t i = 0; i < p->rules.len; i++) {
        ast_rule *r = VEC_AT(p->rules, ast_rule, i);
        if (nslots_add(ids, mask, r->id.s, (uint32_t)i) >= 0)
            ERR(s, DUP_DECL, r->id.at, "rule", r->id.s);
    }
}

/* ---- expressions ---- */

static const char *dim_name(const sema *s, int dim)
{
    return dim < 0 ? "a plain number" : VEC_AT(s->p->dims, ast_dim, dim)->name.s;
}

/* Finds the dimension fixed by the fields of an expression; reports field type errors
 * and mixes of field dimensions. Returns -2 when no field decides it, -3 after an error.
 * 'a + b + c ...' nests to the left without growing the parser's stack, so the depth is
 * bounded here, before any later pass recurses over the expression. */
static int expr_field_dim(sema *s, ast_expr *e, int dim, unsigned depth)
{
    if (depth > s->max_depth) {
        if (dim != -3) /* once per expression */
            ERR(s, DEPTH, e->at, s->max_depth);
        return -3;
    }
    switch (e->kind) {
    case EX_NUM:
        return dim;
    case EX_FIELD: {
        int fi = field_find(s, e->name.s);
        if (fi < 0) {
            unknown_field(s, e->name, false);
            return -3;
        }
        ast_field *f = VEC_AT(s->p->fields, ast_field, fi);
        if (f->type != FT_NUMBER) {
            ERR(s, NOT_NUMBER, e->at, e->name.s, ast_field_type_words(f));
            return -3;
        }
        e->field = fi;
        e->dim = f->dim;
        if (dim == -2 || dim == f->dim)
            return f->dim;
        if (dim == -3)
            return -3;
        mga_diag *dg = ERR(s, UNIT_MISMATCH, e->at, dim_name(s, dim), dim_name(s, f->dim));
        diag_note(s->d, dg, "'%s' is measured in %s", e->name.s, dim_name(s, f->dim));
        return -3;
    }
    case EX_ADD:
    case EX_SUB:
        dim = expr_field_dim(s, e->a, dim, depth + 1);
        return expr_field_dim(s, e->b, dim, depth + 1);
    case EX_NEG:
        return expr_field_dim(s, e->a, dim, depth + 1);
    }
    return dim;
}

/* Annotates literals with values in the base unit of dim (-1: dimensionless, -2: decide
 * from the first literal's unit). Returns the dimension or -3 after an error. */
static int expr_literals(sema *s, ast_expr *e, int dim, const char *ctx_field)
{
    switch (e->kind) {
    case EX_NUM: {
        if (!e->unit.s) {
            if (dim >= 0) {
                const ast_dim *d = VEC_AT(s->p->dims, ast_dim, dim);
                mga_diag *dg = ERR(s, UNIT_MISSING, e->at, NUM_STR(e->num), d->name.s,
                                   ctx_field ? ctx_field : "this comparison");
                diag_note(s->d, dg, "write a unit, e.g. '%s %s'", NUM_STR(e->num), d->base.s);
                return -3;
            }
            e->val = e->num;
            e->dim = -1;
            if (!check_scaled(s, e->at, e->num, NULL, 1, 1, NULL))
                return -3;
            return dim == -2 ? -1 : dim;
        }
        if (dim == -2) {
            for (size_t k = 0; k < s->p->dims.len; k++)
                if (sema_unit_factor(VEC_AT(s->p->dims, ast_dim, k), e->unit.s) > 0) {
                    dim = (int)k;
                    break;
                }
            if (dim == -2) {
                ERR(s, UNIT_UNKNOWN, e->unit.at, e->unit.s);
                return -3;
            }
        }
        if (dim == -1) {
            ERR(s, UNIT_MISMATCH, e->at, "a plain number", e->unit.s);
            return -3;
        }
        const ast_dim *d = VEC_AT(s->p->dims, ast_dim, dim);
        double f = sema_unit_factor(d, e->unit.s);
        if (f == 0) {
            bool elsewhere = false;
            for (size_t k = 0; k < s->p->dims.len; k++)
                elsewhere |= sema_unit_factor(VEC_AT(s->p->dims, ast_dim, k), e->unit.s) > 0;
            if (elsewhere) {
                mga_diag *dg = ERR(s, UNIT_MISMATCH, e->at, d->name.s, e->unit.s);
                diag_note(s->d, dg, "'%s' is not a unit of %s", e->unit.s, d->name.s);
            } else {
                ERR(s, UNIT_UNKNOWN, e->unit.at, e->unit.s);
            }
            return -3;
        }
        e->val = e->num * f;
        e->dim = dim;
        if (!check_scaled(s, e->at, e->num, e->unit.s, f, 1, d->base.s))
            return -3;
        return dim;
    }
    case EX_FIELD:
        return dim;
    case EX_ADD:
    case EX_SUB: {
        int d1 = expr_literals(s, e->a, dim, ctx_field);
        if (d1 == -3)
            return -3;
        return expr_literals(s, e->b, d1, ctx_field);
    }
    case EX_NEG:
        return expr_literals(s, e->a, dim, ctx_field);
    }
    return dim;
}

static const char *first_field(const ast_expr *e)
{
    if (!e)
        return NULL;
    if (e->kind == EX_FIELD)
        return e->name.s;
    const char *f = first_field(e->a);
    return f ? f : first_field(e->b);
}

/* Distinct fields of an expression (up to cap, then cap + 1). */
static size_t count_fields(const ast_expr *e, int *seen, size_t n, size_t cap)
{
    if (!e || n > cap)
        return n;
    if (e->kind == EX_FIELD && e->field >= 0) {
        for (size_t i = 0; i < n; i++)
            if (seen[i] == e->field)
                return n;
        if (n < cap)
            seen[n] = e->field;
        return n + 1;
    }
    n = count_fields(e->a, seen, n, cap);
    return count_fields(e->b, seen, n, cap);
}

/* The constant the graph folds from e (as graph.c: lin_add), and the largest magnitude
 * any partial sum reaches. */
static void fold_sum(const ast_expr *e, double sign, double *k, double *worst)
{
    switch (e->kind) {
    case EX_NUM:
        *k += sign * e->val;
        if (fabs(*k) > *worst || isnan(*k))
            *worst = isnan(*k) ? INFINITY : fabs(*k);
        return;
    case EX_FIELD:
        return;
    case EX_ADD:
        fold_sum(e->a, sign, k, worst);
        fold_sum(e->b, sign, k, worst);
        return;
    case EX_SUB:
        fold_sum(e->a, sign, k, worst);
        fold_sum(e->b, -sign, k, worst);
        return;
    case EX_NEG:
        fold_sum(e->a, -sign, k, worst);
        return;
    }
}

static void check_numeric(sema *s, ast_span at, ast_expr **es, size_t n)
{
    int dim = -2;
    for (size_t i = 0; i < n; i++)
        dim = expr_field_dim(s, es[i], dim, 1);
    if (dim == -3)
        return;
    /* The graph keeps a comparison as one linear test over at most MAX_LIN_FIELDS fields. */
    int seen[MAX_LIN_FIELDS];
    size_t nf = 0;
    for (size_t i = 0; i < n; i++)
        nf = count_fields(es[i], seen, nf, MAX_LIN_FIELDS);
    if (nf > MAX_LIN_FIELDS) {
        ERR(s, TOO_MANY, es[0]->at, "fields in one comparison", (unsigned)MAX_LIN_FIELDS);
        return;
    }
    const char *ctx_field = NULL;
    for (size_t i = 0; i < n && !ctx_field; i++)
        ctx_field = first_field(es[i]);
    char quoted[160];
    if (ctx_field) {
        snprintf(quoted, sizeof quoted, "'%s'", ctx_field);
        ctx_field = quoted;
    }
    for (size_t i = 0; i < n && dim != -3; i++)
        dim = expr_literals(s, es[i], dim, ctx_field);
    if (dim == -3)
        return;
    /* the graph folds the numbers of "lhs op rhs" into one constant (graph.c: lin_add,
     * in this order); between takes lhs - lo and lhs - hi */
    for (size_t i = 1; i < n; i++) {
        double k = 0, worst = 0;
        fold_sum(es[0], 1, &k, &worst);
        if (es[i])
            fold_sum(es[i], -1, &k, &worst);
        if (!(worst <= G_NUM_MAX)) {
            char v[64];
            fmt_product(v, sizeof v, worst, 1, 1);
            const char *base = NULL;
            if (dim >= 0)
                base = VEC_AT(s->p->dims, ast_dim, dim)->base.s;
            char vb[96];
            snprintf(vb, sizeof vb, "%s%s%s", v, base ? " " : "", base ? base : "");
            range_note(s, ERR(s, SUM_RANGE, at, vb));
            return;
        }
    }
}

/* ---- conditions ---- */

static void check_cond(sema *s, ast_cond *c, unsigned depth, int fact_self);

static void resolve_name(sema *s, ast_cond *c, bool want_bool)
{
    int fi = field_find(s, c->name.s);
    if (fi >= 0) {
        ast_field *f = VEC_AT(s->p->fields, ast_field, fi);
        if (f->type == FT_TEXT && c->kind != CO_KNOWN) {
            ERR(s, TEXT_FIELD, c->name.at, c->name.s);
            return;
        }
        if (want_bool && f->type != FT_BOOL) {
            mga_diag *dg = ERR(s, NOT_BOOL, c->name.at, c->name.s, ast_field_type_words(f));
            if (f->type == FT_SET)
                diag_note(s->d, dg, "test membership: '%s has ...'", c->name.s);
            else if (f->type == FT_ENUM)
                diag_note(s->d, dg, "test a value: '%s is ...'", c->name.s);
            else if (f->type == FT_NUMBER)
                diag_note(s->d, dg, "compare it: '%s >= ...'", c->name.s);
            return;
        }
        c->field = fi;
        return;
    }
    int fa = nslots_find(s->fact_t, s->fact_mask, c->name.s);
    if (fa >= 0) {
        c->fact = fa;
        VEC_AT(s->p->facts, ast_fact, fa)->used = true;
        return;
    }
    unknown_field(s, c->name, true);
}

static void check_cond(sema *s, ast_cond *c, unsigned depth, int fact_self)
{
    if (!c)
        return;
    if (depth > s->max_depth) {
        ERR(s, DEPTH, c->at, s->max_depth);
        return;
    }
    switch (c->kind) {
    case CO_AND:
    case CO_OR:
        /* A chain of one operator is one level, however long: walk its left spine
         * without recursing; only a change of operator nests deeper. */
        for (ast_cond *x = c; x; x = x->a) {
            if (x->kind != c->kind) {
                check_cond(s, x, depth + 1, fact_self);
                break;
            }
            check_cond(s, x->b, x->b && x->b->kind == c->kind ? depth : depth + 1, fact_self);
        }
        return;
    case CO_NOT:
        check_cond(s, c->a, depth + 1, fact_self);
        return;
    case CO_CONST:
        return;
    case CO_NAME:
    case CO_ISBOOL:
        resolve_name(s, c, true);
        return;
    case CO_KNOWN:
        resolve_name(s, c, false);
        return;
    case CO_HAS:
    case CO_IS: {
        int fi = field_find(s, c->name.s);
        if (fi < 0) {
            unknown_field(s, c->name, false);
            return;
        }
        ast_field *f = VEC_AT(s->p->fields, ast_field, fi);
        if (c->kind == CO_HAS && f->type != FT_SET) {
            mga_diag *dg = ERR(s, NOT_SET, c->name.at, c->name.s, ast_field_type_words(f));
            if (f->type == FT_ENUM)
                diag_note(s->d, dg, "write '%s is ...'", c->name.s);
            return;
        }
        if (c->kind == CO_IS && f->type != FT_ENUM) {
            mga_diag *dg = ERR(s, NOT_ENUM, c->name.at, c->name.s, ast_field_type_words(f));
            if (f->type == FT_SET)
                diag_note(s->d, dg, "write '%s has ...'", c->name.s);
            else if (f->type == FT_BOOL)
                diag_note(s->d, dg, "write '%s is true' or '%s is false'", c->name.s, c->name.s);
            return;
        }
        c->field = fi;
        check_syms(s, f, &c->syms);
        /* each test holds a mask over all of its field's symbols: bounded, because a set of
         * many symbols tested by many rules grows as their product */
        size_t words = (f->syms.n + 63) / 64;
        if (s->mask_words <= SEMA_MAX_MASK_WORDS && (s->mask_words += words) > SEMA_MAX_MASK_WORDS) {
            mga_diag *dg = ERR(s, MASK_WORDS, c->at, SEMA_MAX_MASK_WORDS);
            diag_note(s->d, dg,
                      "each test of '%s' takes %zu words (%zu symbols); split the set into "
                      "smaller ones or test it in fewer places",
                      f->name.s, words, f->syms.n);
        }
        return;
    }
    case CO_CMP: {
        ast_expr *es[2] = {c->lhs, c->rhs};
        check_numeric(s, c->at, es, 2);
        return;
    }
    case CO_BETWEEN: {
        /* "age between 19 and 64 years": a bare bound takes the other bound's unit. */
        if (!c->lo->unit.s && c->hi->unit.s)
            c->lo->unit = c->hi->unit;
        if (!c->hi->unit.s && c->lo->unit.s)
            c->hi->unit = c->lo->unit;
        ast_expr *es[3] = {c->lhs, c->lo, c->hi};
        check_numeric(s, c->at, es, 3);
        if (c->lo->val > c->hi->val)
            ERR(s, BETWEEN_ORDER, c->at, NUM_STR(c->lo->num), NUM_STR(c->hi->num));
        return;
    }
    }
    (void)fact_self;
}

/* ---- fact cycles ---- */

/* Appends to out the facts condition c names, in written order, without recursing: an
 * 'and' chain nests as deep as it is long. */
static bool fact_edges(sema *s, const ast_cond *c, vec *out, vec *todo)
{
    todo->len = 0;
    for (;;) {
        if (c) {
            if (c->fact >= 0) {
                uint32_t *e = vec_push(s->p->a, out, sizeof *e);
                if (!e)
                    return false;
                *e = (uint32_t)c->fact;
            }
            if (c->b) {
                const ast_cond **t = vec_push(s->p->a, todo, sizeof *t);
                if (!t)
                    return false;
                *t = c->b;
            }
            c = c->a;
            continue;
        }
        if (!todo->len)
            return true;
        c = ((const ast_cond **)todo->data)[--todo->len];
    }
}

/* Reports the cycle that closes at fact g, on the path stack[0..depth]. */
static void report_cycle(sema *s, const uint32_t *stack, size_t depth, uint32_t g)
{
    char path[512];
    size_t w = 0, start = 0;
    while (stack[start] != g)
        start++;
    for (size_t k = start; k <= depth && w < sizeof path - 64; k++)
        w += (size_t)snprintf(path + w, sizeof path - w, "%s -> ",
                              VEC_AT(s->p->facts, ast_fact, stack[k])->name.s);
    snprintf(path + w, sizeof path - w, "%s", VEC_AT(s->p->facts, ast_fact, g)->name.s);
    ERR(s, FACT_CYCLE, VEC_AT(s->p->facts, ast_fact, g)->name.at, path);
}

/* A depth-first search with its own stack (facts may chain as long as the file is), which
 * reports the first cycle or, when there is none, sets p->fact_order: each fact after the
 * facts it names. */
static void check_cycles(sema *s)
{
    size_t n = s->p->facts.len;
    if (!n)
        return;
    arena *a = s->p->a;
    uint32_t *eoff = arena_alloc(a, (n + 1) * sizeof *eoff);
    unsigned char *color = arena_alloc(a, n);
    uint32_t *stack = arena_alloc(a, n * sizeof *stack);
    uint32_t *next = arena_alloc(a, n * sizeof *next); /* per fact: its next edge */
    uint32_t *order = arena_alloc(a, n * sizeof *order);
    vec edges = {0}, todo = {0};
    if (!eoff || !color || !stack || !next || !order) {
        s->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        eoff[i] = (uint32_t)edges.len;
        if (!fact_edges(s, VEC_AT(s->p->facts, ast_fact, i)->cond, &edges, &todo)) {
            s->oom = true;
            return;
        }
    }
    eoff[n] = (uint32_t)edges.len;
    const uint32_t *e = edges.data;
    size_t norder = 0;
    for (size_t root = 0; root < n; root++) {
        if (color[root])
            continue;
        size_t sp = 0;
        stack[0] = (uint32_t)root;
        next[root] = eoff[root];
        color[root] = 1;
        for (;;) {
            uint32_t f = stack[sp];
            if (next[f] == eoff[f + 1]) { /* every fact f names is done */
                color[f] = 2;
                order[norder++] = f;
                if (sp-- == 0)
                    break;
                continue;
            }
            uint32_t g = e[next[f]++];
            if (color[g] == 1) {
                report_cycle(s, stack, sp, g);
                return; /* one cycle is enough: the graph cannot be built */
            }
            if (color[g] == 0) {
                color[g] = 1;
                next[g] = eoff[g];
                stack[++sp] = g;
            }
        }
    }
    s->p->fact_order = order;
}

/* ---- rules ---- */

static int mg_dim(const sema *s)
{
    for (size_t k = 0; k < s->p->dims.len; k++)
        if (sema_unit_factor(VEC_AT(s->p->dims, ast_dim, k), "mg") > 0)
            return (int)k;
    return -1;
}

static void check_rule(sema *s, ast_rule *r)
{
    ast_program *p = s->p;
    static const char *const clause_names[] = {"when", "severity", "say", "evidence",
                                               "presumes supplements"};
    unsigned counts[] = {r->nwhen, r->nseverity, r->nsay, r->nevidence, r->npresumes};
    for (size_t i = 0; i < 5; i++)
        if (counts[i] > 1)
            ERR(s, DUP_CLAUSE, r->id.at, r->id.s, clause_names[i]);
    check_cond(s, r->when, 1, -1);

    r->sev = MGA_INFO;
    if (r->severity.s) {
        if (strcmp(r->severity.s, "critical") == 0)
            r->sev = MGA_CRITICAL;
        else if (strcmp(r->severity.s, "warning") == 0)
            r->sev = MGA_WARNING;
        else if (strcmp(r->severity.s, "info") != 0)
            ERR(s, BAD_SEVERITY, r->severity.at, r->severity.s);
    }
    if (r->evidence.s) {
        size_t n = names_nevidence_grades;
        bool ok = false;
        for (size_t i = 0; i < n; i++)
            ok |= strcmp(r->evidence.s, names_evidence_grades[i]) == 0;
        if (!ok) {
            mga_diag *dg = ERR(s, BAD_EVIDENCE, r->evidence.at, r->evidence.s);
            const char *best = diag_suggest(r->evidence.s, names_evidence_grades, n);
            if (best)
                diag_note(s->d, dg, "did you mean '%s'?", best);
            else
                diag_note(s->d, dg,
                          "expected guideline, systematic_review, rct, observational, expert, "
                          "preclinical, limited, insufficient or mixed");
        }
    }
    if (!r->say)
        ERR(s, NO_SAY, r->id.at, r->id.s);
    if (r->cites.len == 0)
        ERR(s, NO_CITE, r->id.at, r->id.s);
    if (r->actions.len == 0 && r->doses.len == 0)
        ERR(s, NO_ACTION, r->id.at, r->id.s);

    /* A rule that avoids or withholds supplements cannot also presume them. */
    bool withholds = false, prefers = false;
    for (size_t i = 0; i < r->actions.len; i++) {
        const ast_action *a = VEC_AT(r->actions, ast_action, i);
        withholds |= a->kind == ACT_AVOID_SUPPLEMENTS || a->kind == ACT_WITHHOLD_SUPPLEMENTS;
        prefers |= a->kind == ACT_PREFER;
    }
    if (withholds && (prefers || r->doses.len || r->npresumes))
        ERR(s, SELF_WITHHELD, r->id.at, r->id.s,
            prefers ? "prefers a form" : r->doses.len ? "suggests a dose" : "presumes supplements");

    /* kind: from the first action; a rule with only a dose clause is a dose item */
    r->kind = MGA_KIND_DOSE;
    for (size_t i = 0; i < r->actions.len; i++) {
        ast_action *a = VEC_AT(r->actions, ast_action, i);
        static const int kinds[] = {MGA_KIND_AVOID, MGA_KIND_AVOID, MGA_KIND_PREFER,
                                    MGA_KIND_REFER, MGA_KIND_INFO,  MGA_KIND_WARN,
                                    MGA_KIND_DISAGREEMENT, MGA_KIND_WITHHOLD};
        if (i == 0)
            r->kind = kinds[a->kind];
        for (size_t f = 0; f < a->forms.n; f++) {
            bool known = false;
            for (size_t k = 0; k < p->forms.n; k++)
                known |= strcmp(p->forms.v[k].s, a->forms.v[f].s) == 0;
            if (!known) {
                const char *cands[256];
                size_t k = 0;
                for (; k < p->forms.n && k < 256; k++)
                    cands[k] = p->forms.v[k].s;
                mga_diag *dg = ERR(s, UNKNOWN_FORM, a->forms.v[f].at, a->forms.v[f].s);
                suggest(s, dg, a->forms.v[f].s, cands, k);
            }
        }
        if (a->kind == ACT_REFER && a->urgency.s && strcmp(a->urgency.s, "urgent") != 0 &&
            strcmp(a->urgency.s, "soon") != 0 && strcmp(a->urgency.s, "routine") != 0)
            ERR(s, BAD_URGENCY, a->urgency.at, a->urgency.s);
    }

    int md = r->doses.len ? mg_dim(s) : -1;
    if (r->doses.len && md < 0)
        ERR(s, NO_MG_UNIT, r->id.at);
    double max = INFINITY;
    for (size_t i = 0; i < r->doses.len; i++) {
        ast_dose *d = VEC_AT(r->doses, ast_dose, i);
        if (md < 0)
            break;
        const ast_dim *dim = VEC_AT(p->dims, ast_dim, md);
        double f = d->unit.s ? sema_unit_factor(dim, d->unit.s) : 0;
        if (f == 0) {
            char found[160];
            if (d->unit.s)
                snprintf(found, sizeof found, "'%s %s'", NUM_STR(d->num), d->unit.s);
            else
                snprintf(found, sizeof found, "'%s' with no unit", NUM_STR(d->num));
            ERR(s, DOSE_UNIT, d->at, found);
            continue;
        }
        if (!check_scaled(s, d->at, d->num, d->unit.s, f, sema_unit_factor(dim, "mg"), "mg"))
            continue;
        d->mg = d->num * f / sema_unit_factor(dim, "mg");
        if (d->part == DOSE_MAX && d->mg < max)
            max = d->mg;
    }
    for (size_t i = 0; i < r->doses.len; i++) {
        ast_dose *d = VEC_AT(r->doses, ast_dose, i);
        if (d->part != DOSE_MAX && d->mg > max)
            ERR(s, DOSE_ORDER, d->at, d->part == DOSE_START ? "start" : "target", NUM_STR(d->mg),
                NUM_STR(max));
    }

    for (size_t i = 0; i < r->cites.len; i++) {
        ast_cite *c = VEC_AT(r->cites, ast_cite, i);
        c->src = -1;
        for (size_t k = 0; k < p->sources.len; k++)
            if (strcmp(VEC_AT(p->sources, ast_source, k)->key.s, c->source.s) == 0)
                c->src = (int)k;
        if (c->src < 0) {
            const char *cands[256];
            size_t k = 0;
            for (; k < p->sources.len && k < 256; k++)
                cands[k] = VEC_AT(p->sources, ast_source, k)->key.s;
            mga_diag *dg = ERR(s, UNKNOWN_SOURCE, c->source.at, c->source.s);
            suggest(s, dg, c->source.s, cands, k);
            continue;
        }
        ast_source *src = VEC_AT(p->sources, ast_source, c->src);
        src->used = true;
        if (c->unmarked) {
            bool blank = true;
            for (const char *u = c->unmarked; *u; u++)
                blank &= *u == ' ' || *u == '\t' || *u == '\n' || *u == '\r';
            if (c->refs.len == 0)
                ERR(s, UNMARKED_NO_REF, c->unmarked_at);
            else if (blank)
                ERR(s, UNMARKED_NO_REASON, c->unmarked_at);
        }
        for (size_t j = 0; j < c->refs.len; j++) {
            ast_ref *ref = VEC_AT(c->refs, ast_ref, j);
            bool found = false;
            for (size_t k = 0; k < src->refs.len; k++)
                found |= VEC_AT(src->refs, ast_ref, k)->n == ref->n;
            if (!found) {
                mga_diag *dg = ERR(s, UNKNOWN_REF, ref->at, src->key.s, ref->n);
                if (src->refs.len)
                    diag_note(s->d, dg, "'%s' has references 1 to %u", src->key.s,
                              VEC_AT(src->refs, ast_ref, src->refs.len - 1)->n);
                else
                    diag_note(s->d, dg, "'%s' declares no numbered references", src->key.s);
            }
        }
    }
}

/* ---- invariants and precedence ---- */

static bool form_known(const ast_program *p, const char *name)
{
    for (size_t k = 0; k < p->forms.n; k++)
        if (strcmp(p->forms.v[k].s, name) == 0)
            return true;
    return false;
}

static void check_invariant(sema *s, ast_invariant *v, size_t index)
{
    ast_program *p = s->p;
    for (size_t j = 0; j < index; j++)
        if (strcmp(VEC_AT(p->invariants, ast_invariant, j)->id.s, v->id.s) == 0)
            ERR(s, DUP_DECL, v->id.at, "invariant", v->id.s);
    if (v->nwhen > 1)
        ERR(s, INV_DUP_WHEN, v->id.at, v->id.s);
    if (v->expects.len == 0)
        ERR(s, INV_NO_EXPECT, v->id.at, v->id.s);
    check_cond(s, v->when, 1, -1);
    for (size_t i = 0; i < v->expects.len; i++) {
        ast_expect *e = VEC_AT(v->expects, ast_expect, i);
        e->sev = -1;
        if (e->severity.s) {
            if (e->kind == EXP_DOSE_LE || e->kind == EXP_NO_DOSE || e->kind == EXP_NO_PREFER)
                ERR(s, INV_SEVERITY, e->severity.at,
                    e->kind == EXP_NO_PREFER ? "no prefer" : e->kind == EXP_NO_DOSE ? "no dose" : "dose");
            else if (strcmp(e->severity.s, "critical") == 0)
                e->sev = MGA_CRITICAL;
            else if (strcmp(e->severity.s, "warning") == 0)
                e->sev = MGA_WARNING;
            else if (strcmp(e->severity.s, "info") == 0)
                e->sev = MGA_INFO;
            else
                ERR(s, BAD_SEVERITY, e->severity.at, e->severity.s);
        }
        for (size_t f = 0; f < e->forms.n; f++)
            if (!form_known(p, e->forms.v[f].s)) {
                const char *cands[256];
                size_t k = 0;
                for (; k < p->forms.n && k < 256; k++)
                    cands[k] = p->forms.v[k].s;
                mga_diag *dg = ERR(s, UNKNOWN_FORM, e->forms.v[f].at, e->forms.v[f].s);
                suggest(s, dg, e->forms.v[f].s, cands, k);
            }
        e->urg = 0;
        if (e->urgency.s) {
            static const char *const urg[] = {"routine", "soon", "urgent"};
            for (int k = 0; k < 3; k++)
                if (strcmp(e->urgency.s, urg[k]) == 0)
                    e->urg = k + 1;
            if (!e->urg)
                ERR(s, BAD_URGENCY, e->urgency.at, e->urgency.s);
        }
        if (e->kind == EXP_DOSE_LE || e->kind == EXP_MAX_LE) {
            int md = mg_dim(s);
            if (md < 0) {
                ERR(s, NO_MG_UNIT, e->at);
                continue;
            }
            const ast_dim *dim = VEC_AT(p->dims, ast_dim, md);
            double f = e->unit.s ? sema_unit_factor(dim, e->unit.s) : 0;
            if (f == 0) {
                char found[160];
                if (e->unit.s)
                    snprintf(found, sizeof found, "'%s %s'", NUM_STR(e->num), e->unit.s);
                else
                    snprintf(found, sizeof found, "'%s' with no unit", NUM_STR(e->num));
                ERR(s, DOSE_UNIT, e->at, found);
                continue;
            }
            if (!check_scaled(s, e->at, e->num, e->unit.s, f, sema_unit_factor(dim, "mg"),
                              "mg"))
                continue;
            e->mg = e->num * f / sema_unit_factor(dim, "mg");
        }
    }
}

/* The precedence pairs the evaluator's resolution applies (eval.c: resolve). */
static bool prec_valid(prec_side w, prec_side l)
{
    return (w == PREC_AVOID && l == PREC_PREFER) ||
           ((w == PREC_AVOID_SUPPLEMENTS || w == PREC_WITHHOLD_SUPPLEMENTS) &&
            (l == PREC_PREFER || l == PREC_START || l == PREC_TARGET)) ||
           (w == PREC_MAX && (l == PREC_START || l == PREC_TARGET));
}

const char *sema_prec_name(int side)
{
    static const char *const names[] = {"avoid",  "avoid supplements", "withhold supplements",
                                        "max",    "prefer",            "start",
                                        "target"};
    return side >= 0 && side <= PREC_TARGET ? names[side] : "?";
}

static void check_precs(sema *s)
{
    for (size_t i = 0; i < s->p->precs.len; i++) {
        ast_prec *pr = VEC_AT(s->p->precs, ast_prec, i);
        if (!prec_valid(pr->winner, pr->loser)) {
            mga_diag *dg = ERR(s, BAD_PRECEDENCE, pr->at, sema_prec_name((int)pr->winner),
                               sema_prec_name((int)pr->loser));
            diag_note(s->d, dg,
                      "the evaluator applies: avoid over prefer; avoid supplements over "
                      "prefer, start, target; max over start, target");
        }
    }
}

bool sema_check(ast_program *p, mga_diags *d, const int *dsrc, unsigned max_depth)
{
    sema s = {.p = p, .d = d, .dsrc = dsrc, .max_depth = max_depth ? max_depth : 64};
    for (size_t i = 0; i < p->tests.len; i++)
        ERR(&s, TEST_IN_RULES, VEC_AT(p->tests, ast_test, i)->at, 0);
    check_decls(&s);
    for (size_t i = 0; i < p->facts.len; i++)
        check_cond(&s, VEC_AT(p->facts, ast_fact, i)->cond, 1, (int)i);
    if (mga_diags_error_count(d) == 0)
        check_cycles(&s);
    for (size_t i = 0; i < p->rules.len; i++)
        check_rule(&s, VEC_AT(p->rules, ast_rule, i));
    for (size_t i = 0; i < p->invariants.len; i++)
        check_invariant(&s, VEC_AT(p->invariants, ast_invariant, i), i);
    check_precs(&s);
    if (mga_diags_error_count(d) == 0) {
        for (size_t i = 0; i < p->sources.len; i++) {
            ast_source *src = VEC_AT(p->sources, ast_source, i);
            if (!src->used)
                ERR(&s, UNUSED_SOURCE, src->key.at, src->key.s);
        }
        for (size_t i = 0; i < p->facts.len; i++) {
            ast_fact *f = VEC_AT(p->facts, ast_fact, i);
            if (!f->used)
                ERR(&s, UNUSED_FACT, f->name.at, f->name.s);
        }
    }
    return !s.oom && !d->oom;
}
