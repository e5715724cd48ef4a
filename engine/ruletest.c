/* SPDX-License-Identifier: MIT */
/* Rule tests (*.mgt): 'test' blocks parsed by the rule grammar (pass 1), checked against a
 * compiled rule set (fields, symbols, units, ranges, rule ids, forms), frozen, then run:
 * each test's profile is evaluated and its expectations compared with the result. */
#include "api.h"
#include "semantics.h"
#include "eval.h"
#include "explain.h"
#include "numfmt.h"
#include "parse.h"
#include "textsafe.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- frozen tests ---- */

typedef struct t_given {
    uint32_t field;
    given_kind kind;
    double num; /* base units; booleans 0/1; one-of: the symbol */
    uint32_t *syms;
    uint32_t nsyms;
    const char *str;
} t_given;

typedef struct t_expect {
    expect_kind kind;
    bool neg;
    int32_t rule; /* XP_ADVICE */
    int sev;      /* -1: not checked */
    uint32_t *forms;
    uint32_t nforms;
    int part; /* XP_DOSE: dose_part, -1 any */
    double mg;
    const char *urgency; /* XP_REFER, NULL: any */
    const char *text, *file;
    unsigned line, col;
} t_expect;

typedef struct t_test {
    const char *name, *file;
    unsigned line, col;
    t_given *g;
    size_t ng;
    t_expect *e;
    size_t ne;
} t_test;

struct mga_tests {
    mem m;
    arena a;
    const mga_ruleset *rs;
    t_test *tests;
    size_t n;
};

/* ---- checking against the rule set ---- */

static double dmax(double a, double b)
{
    return a > b ? a : b;
}

/* Where the last position located in a source was: tests and expectations are located in
 * source order, so each is counted on from the one before, not from the start of the file. */
typedef struct lc_cursor {
    size_t off;
    unsigned line, col;
} lc_cursor;

/* A name and its index, sorted by name: duplicates side by side, lookups by bsearch. */
typedef struct named {
    const char *name;
    uint32_t i;
} named;

typedef struct tc {
    const mga_ruleset *rs;
    mga_tests *t;
    const ast_program *p;
    mga_diags *d;
    const int *dsrc;
    const mga_source *srcs;
    lc_cursor *cur;     /* one per source */
    named *rule_ids;    /* the rule set's rule ids, sorted */
    uint32_t *given_in; /* per field: 1 + the index of the last test that gave it */
    bool oom;
} tc;

static int cmp_named(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* 1-based line and column of span at (as diag_linecol counts them). Offsets of one source
 * are located in increasing order; an earlier one starts again from the top. */
static void locate(tc *c, ast_span at, unsigned *line, unsigned *col)
{
    const mga_source *src = &c->srcs[at.file];
    lc_cursor *k = &c->cur[at.file];
    size_t off = at.off < src->len ? at.off : src->len;
    bool bom = src->len >= 3 && memcmp(src->text, "\xEF\xBB\xBF", 3) == 0;
    if (off < 3 || k->line == 0 || k->off > off) {
        if (off < 3) { /* before the end of a byte-order mark: counted as diag_linecol does */
            diag_linecol(src->text, src->len, off, line, col);
            return;
        }
        k->off = bom ? 3 : 0;
        k->line = 1;
        k->col = 1;
    }
    for (size_t i = k->off; i < off; i++) {
        unsigned char ch = (unsigned char)src->text[i];
        if (ch == '\n') {
            k->line++;
            k->col = 1;
        } else if ((ch & 0xC0) != 0x80) {
            k->col++;
        }
    }
    k->off = off;
    *line = k->line;
    *col = k->col;
}

#define TERR(c, code, span, ...)                                                               \
    diag_add((c)->d, DIAG_##code, (c)->dsrc[(span).file], (span).off, (span).len, __VA_ARGS__)

static void note_suggest(tc *c, mga_diag *dg, const char *name, const char *const *cands,
                         size_t n)
{
    const char *best = diag_suggest(name, cands, n);
    if (dg && best)
        diag_note(c->d, dg, "did you mean '%s'?", best);
}

static const char *type_desc(const g_field *f, char *buf, size_t n)
{
    switch (f->type) {
    case FT_TEXT:
        return "text";
    case FT_BOOL:
        return "a boolean";
    case FT_ENUM:
        return "a one-of field";
    case FT_SET:
        return "a set";
    case FT_NUMBER:
        if (f->unit)
            snprintf(buf, n, "a number in %s", f->unit);
        else
            snprintf(buf, n, "a plain number");
        return buf;
    }
    return "?";
}

static const char *want_desc(const g_field *f, char *buf, size_t n)
{
    switch (f->type) {
    case FT_TEXT:
        return "a \"string\"";
    case FT_BOOL:
        return "true or false";
    case FT_ENUM:
        snprintf(buf, n, "one of its values, e.g. '%s'", f->nsyms ? f->syms[0] : "?");
        return buf;
    case FT_SET:
        return "values of it separated by commas, or 'none'";
    case FT_NUMBER:
        if (f->unit)
            snprintf(buf, n, "a number with a unit, e.g. '1 %s'", f->unit);
        else
            snprintf(buf, n, "a number");
        return buf;
    }
    return "?";
}

static int sym_index(const g_field *f, const char *s)
{
    for (size_t i = 0; i < f->nsyms; i++)
        if (strcmp(f->syms[i], s) == 0)
            return (int)i;
    return -1;
}

static double unit_in_dim(const g_dim *d, const char *u)
{
    for (size_t i = 0; i < d->nunits; i++)
        if (strcmp(d->units[i].name, u) == 0)
            return d->units[i].factor;
    return 0;
}

static void report_unit(tc *c, ast_name unit, int dim)
{
    for (size_t k = 0; k < c->rs->ndims; k++)
        if ((int)k != dim && unit_in_dim(&c->rs->dims[k], unit.s) > 0) {
            TERR(c, UNIT_MISMATCH, unit.at, c->rs->dims[dim].name, unit.s);
            return;
        }
    TERR(c, UNIT_UNKNOWN, unit.at, unit.s);
}

static bool check_given(tc *c, const ast_given *g, t_given *out)
{
    const mga_ruleset *rs = c->rs;
    int fi = graph_field_lookup(rs, g->field.s, strlen(g->field.s));
    if (fi < 0) {
        const char *cands[256];
        size_t k = 0;
        for (; k < rs->nfields && k < 256; k++)
            cands[k] = rs->fields[k].name;
        mga_diag *dg = TERR(c, UNKNOWN_FIELD, g->field.at, g->field.s);
        note_suggest(c, dg, g->field.s, cands, k);
        return false;
    }
    const g_field *f = &rs->fields[fi];
    char b1[96], b2[96];
    out->field = (uint32_t)fi;
    out->kind = g->kind;
    bool ok = g->kind == GV_MISSING || (g->kind == GV_SYMS && (f->type == FT_SET || f->type == FT_ENUM)) ||
              (g->kind == GV_NONE && f->type == FT_SET) || (g->kind == GV_NUM && f->type == FT_NUMBER) ||
              (g->kind == GV_BOOL && f->type == FT_BOOL) || (g->kind == GV_TEXT && f->type == FT_TEXT);
    if (!ok) {
        TERR(c, TEST_GIVEN_TYPE, g->at, g->field.s, type_desc(f, b1, sizeof b1),
             want_desc(f, b2, sizeof b2));
        return false;
    }
    switch (g->kind) {
    case GV_SYMS: {
        if (f->type == FT_ENUM && g->syms.n > 1) {
            TERR(c, TEST_ONE_VALUE, g->at, g->field.s, g->syms.n);
            return false;
        }
        out->syms = arena_alloc(&c->t->a, (g->syms.n + 1) * sizeof *out->syms);
        if (!out->syms) {
            c->oom = true;
            return false;
        }
        bool good = true;
        for (size_t i = 0; i < g->syms.n; i++) {
            int s = sym_index(f, g->syms.v[i].s);
            if (s < 0) {
                mga_diag *dg = TERR(c, UNKNOWN_SYMBOL, g->syms.v[i].at, g->syms.v[i].s, f->name);
                note_suggest(c, dg, g->syms.v[i].s, f->syms, f->nsyms);
                good = false;
                continue;
            }
            out->syms[out->nsyms++] = (uint32_t)s;
        }
        out->num = out->nsyms ? out->syms[0] : 0;
        return good;
    }
    case GV_NUM: {
        double factor = 1;
        if (f->dim >= 0) {
            if (!g->unit.s) {
                TERR(c, TEST_GIVEN_TYPE, g->at, g->field.s, type_desc(f, b1, sizeof b1),
                     want_desc(f, b2, sizeof b2));
                return false;
            }
            factor = unit_in_dim(&rs->dims[f->dim], g->unit.s);
            if (factor == 0) {
                report_unit(c, g->unit, f->dim);
                return false;
            }
        } else if (g->unit.s) {
            TERR(c, TEST_GIVEN_TYPE, g->at, g->field.s, type_desc(f, b1, sizeof b1),
                 want_desc(f, b2, sizeof b2));
            return false;
        }
        out->num = g->num * factor;
        /* within the declared range, with the profile reader's tolerance for conversions */
        double eps = NUM_REL_TOL * dmax(fabs(f->lo), fabs(f->hi));
        if (f->has_range && (out->num < f->lo - eps || out->num > f->hi + eps)) {
            TERR(c, TEST_GIVEN_RANGE, g->at, NUM_STR(g->num), g->unit.s ? g->unit.s : "", f->name,
                 NUM_STR(f->ulo), NUM_STR(f->uhi));
            return false;
        }
        /* no range: the engine's own, as for a profile */
        if (!f->has_range && !(fabs(out->num) <= G_NUM_MAX + NUM_REL_TOL * G_NUM_MAX)) {
            TERR(c, TEST_GIVEN_RANGE, g->at, NUM_STR(g->num), g->unit.s ? g->unit.s : "", f->name,
                 NUM_STR(-G_NUM_MAX / f->unit_f), NUM_STR(G_NUM_MAX / f->unit_f));
            return false;
        }
        return true;
    }
    case GV_BOOL:
        out->num = g->bval;
        return true;
    case GV_TEXT:
        out->str = arena_strdup(&c->t->a, g->str);
        if (!out->str)
            c->oom = true;
        return out->str != NULL;
    case GV_NONE:
    case GV_MISSING:
        return true;
    }
    return true;
}

/* An expectation as written, white space collapsed ('no ' put back for a negation). */
static const char *span_text(tc *c, ast_span at, bool neg)
{
    const char *s = c->srcs[at.file].text + at.off;
    char *out = arena_alloc(&c->t->a, (size_t)at.len + 4);
    if (!out) {
        c->oom = true;
        return "";
    }
    size_t n = 0;
    if (neg) {
        memcpy(out, "no ", 3);
        n = 3;
    }
    bool space = false;
    for (uint32_t i = 0; i < at.len; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            space = true;
            continue;
        }
        if (space && n > (neg ? 3u : 0u))
            out[n++] = ' ';
        space = false;
        out[n++] = ch;
    }
    out[n] = '\0';
    return out;
}

static bool check_forms(tc *c, const ast_names *forms, t_expect *out)
{
    const mga_ruleset *rs = c->rs;
    out->forms = arena_alloc(&c->t->a, (forms->n + 1) * sizeof *out->forms);
    if (!out->forms) {
        c->oom = true;
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < forms->n; i++) {
        size_t k = 0;
        while (k < rs->nforms && strcmp(rs->forms[k], forms->v[i].s) != 0)
            k++;
        if (k == rs->nforms) {
            mga_diag *dg = TERR(c, UNKNOWN_FORM, forms->v[i].at, forms->v[i].s);
            note_suggest(c, dg, forms->v[i].s, rs->forms, rs->nforms);
            ok = false;
            continue;
        }
        out->forms[out->nforms++] = (uint32_t)k;
    }
    return ok;
}

static bool check_expect(tc *c, const ast_texpect *e, t_expect *out)
{
    const mga_ruleset *rs = c->rs;
    out->kind = e->kind;
    out->neg = e->neg;
    out->rule = -1;
    out->sev = -1;
    out->part = e->part;
    out->text = span_text(c, e->at, e->neg);
    out->file = c->srcs[e->at.file].name;
    locate(c, e->at, &out->line, &out->col);
    switch (e->kind) {
    case XP_ADVICE: {
        named key = {e->name.s, 0};
        size_t lo = 0, hi = rs->nrules; /* the first id not below the name */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(c->rule_ids[mid].name, key.name) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < rs->nrules && strcmp(c->rule_ids[lo].name, key.name) == 0)
            out->rule = (int32_t)c->rule_ids[lo].i;
        if (out->rule < 0) {
            const char **cands = arena_alloc(&c->t->a, (rs->nrules + 1) * sizeof *cands);
            if (!cands) {
                c->oom = true;
                return false;
            }
            for (size_t i = 0; i < rs->nrules; i++)
                cands[i] = rs->rules[i].id;
            mga_diag *dg = TERR(c, TEST_UNKNOWN_RULE, e->name.at, e->name.s);
            note_suggest(c, dg, e->name.s, cands, rs->nrules);
            return false;
        }
        if (e->sev.s) {
            static const char *const sevs[] = {"info", "warning", "critical"};
            for (int s = 0; s < 3; s++)
                if (strcmp(e->sev.s, sevs[s]) == 0)
                    out->sev = s;
            if (out->sev < 0) {
                TERR(c, BAD_SEVERITY, e->sev.at, e->sev.s);
                return false;
            }
        }
        return true;
    }
    case XP_PREFER:
    case XP_AVOID:
        return check_forms(c, &e->forms, out);
    case XP_SUPPLEMENTS:
    case XP_WITHHOLD:
        return true;
    case XP_DOSE: {
        if (e->neg)
            return true;
        char found[160];
        for (size_t k = 0; k < rs->ndims; k++) {
            double mg = unit_in_dim(&rs->dims[k], "mg");
            double f = e->unit.s ? unit_in_dim(&rs->dims[k], e->unit.s) : 0;
            if (mg > 0 && f > 0) {
                out->mg = e->num * f / mg;
                return true;
            }
        }
        if (e->unit.s)
            snprintf(found, sizeof found, "'%s %s'", NUM_STR(e->num), e->unit.s);
        else
            snprintf(found, sizeof found, "'%s' with no unit", NUM_STR(e->num));
        TERR(c, DOSE_UNIT, e->at, found);
        return false;
    }
    case XP_REFER:
        if (!e->name.s)
            return true;
        if (strcmp(e->name.s, "urgent") != 0 && strcmp(e->name.s, "soon") != 0 &&
            strcmp(e->name.s, "routine") != 0) {
            TERR(c, BAD_URGENCY, e->name.at, e->name.s);
            return false;
        }
        out->urgency = arena_strdup(&c->t->a, e->name.s);
        if (!out->urgency)
            c->oom = true;
        return out->urgency != NULL;
    }
    return true;
}

/* Anything but 'test' blocks in a test file: reported at the first such declaration. */
static void check_only_tests(tc *c)
{
    const ast_program *p = c->p;
    if (p->rules.len)
        TERR(c, TEST_ONLY, VEC_AT(p->rules, ast_rule, 0)->at, "a rule");
    else if (p->facts.len)
        TERR(c, TEST_ONLY, VEC_AT(p->facts, ast_fact, 0)->name.at, "a fact");
    else if (p->fields.len)
        TERR(c, TEST_ONLY, VEC_AT(p->fields, ast_field, 0)->name.at, "a profile block");
    else if (p->sources.len)
        TERR(c, TEST_ONLY, VEC_AT(p->sources, ast_source, 0)->key.at, "a source");
    else if (p->dims.len)
        TERR(c, TEST_ONLY, VEC_AT(p->dims, ast_dim, 0)->name.at, "a dimension");
    else if (p->forms.n)
        TERR(c, TEST_ONLY, p->forms.v[0].at, "a forms list");
    else if (p->rulesets.len)
        TERR(c, TEST_ONLY, VEC_AT(p->rulesets, ast_text, 0)->at, "a ruleset name");
    else if (p->disclaimers.len)
        TERR(c, TEST_ONLY, VEC_AT(p->disclaimers, ast_text, 0)->at, "a disclaimer");
}

static bool check_tests(tc *c)
{
    const ast_program *p = c->p;
    mga_tests *t = c->t;
    check_only_tests(c);
    if (p->tests.len == 0)
        diag_add(c->d, DIAG_TEST_NONE, -1, 0, 0);
    t->tests = arena_alloc(&t->a, (p->tests.len + 1) * sizeof *t->tests);
    if (!t->tests)
        return false;
    /* Names compared with every name before them (test names, rule ids, the fields of one
     * test) go through sorted arrays and per-field marks: n log n in all, whatever the
     * number of tests, expectations and givens. */
    const mga_ruleset *rs = c->rs;
    named *names = arena_alloc(p->a, (p->tests.len + 1) * sizeof *names);
    bool *dup = arena_alloc(p->a, p->tests.len + 1);
    c->rule_ids = arena_alloc(p->a, (rs->nrules + 1) * sizeof *c->rule_ids);
    c->given_in = arena_alloc(p->a, (rs->nfields + 1) * sizeof *c->given_in);
    if (!names || !dup || !c->rule_ids || !c->given_in)
        return false;
    for (size_t i = 0; i < rs->nrules; i++)
        c->rule_ids[i] = (named){rs->rules[i].id, (uint32_t)i};
    qsort(c->rule_ids, rs->nrules, sizeof *c->rule_ids, cmp_named);
    for (size_t i = 0; i < p->tests.len; i++)
        names[i] = (named){VEC_AT(p->tests, ast_test, i)->name, (uint32_t)i};
    qsort(names, p->tests.len, sizeof *names, cmp_named);
    for (size_t i = 1; i < p->tests.len; i++) /* each after the first of its name */
        dup[names[i].i] = strcmp(names[i - 1].name, names[i].name) == 0;
    for (size_t i = 0; i < p->tests.len && !c->oom; i++) {
        const ast_test *at = VEC_AT(p->tests, ast_test, i);
        t_test *tt = &t->tests[t->n++];
        tt->name = arena_strdup(&t->a, at->name);
        tt->file = c->srcs[at->at.file].name;
        if (!tt->name)
            return false;
        locate(c, at->at, &tt->line, &tt->col);
        if (dup[i])
            TERR(c, DUP_DECL, at->at, "test", at->name);
        if (at->expects.len == 0)
            TERR(c, TEST_EXPECTS_NOTHING, at->at, at->name);
        tt->g = arena_alloc(&t->a, (at->givens.len + 1) * sizeof *tt->g);
        tt->e = arena_alloc(&t->a, (at->expects.len + 1) * sizeof *tt->e);
        if (!tt->g || !tt->e)
            return false;
        for (size_t k = 0; k < at->givens.len; k++) {
            const ast_given *g = VEC_AT(at->givens, ast_given, k);
            int fi = graph_field_lookup(rs, g->field.s, strlen(g->field.s));
            if (fi >= 0 && c->given_in[fi] == i + 1)
                TERR(c, TEST_GIVEN_TWICE, g->field.at, g->field.s);
            else if (check_given(c, g, &tt->g[tt->ng]))
                tt->ng++;
            if (fi >= 0)
                c->given_in[fi] = (uint32_t)i + 1;
        }
        for (size_t k = 0; k < at->expects.len; k++)
            if (check_expect(c, VEC_AT(at->expects, ast_texpect, k), &tt->e[tt->ne]))
                tt->ne++;
    }
    return !c->oom;
}

mga_status mga_tests_compile(mga_engine *eng, const mga_ruleset *rs, const mga_source *srcs,
                             size_t n, mga_tests **out, mga_diags **diags)
{
    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!eng || !rs || !out || (!srcs && n))
        return MGA_E_MISUSE;
    const mem *m = api_engine_mem(eng);
    mga_diags *d = diag_new(m, api_engine_max_errors(eng));
    if (!d)
        return MGA_E_NOMEM;
    mga_tests *t = mem_alloc(m, sizeof *t);
    if (!t) {
        mga_diags_free(d);
        return MGA_E_NOMEM;
    }
    memset(t, 0, sizeof *t);
    t->m = *m;
    t->rs = rs;
    arena_init(&t->a, &t->m);
    arena a;
    arena_init(&a, m);
    ast_program *p = arena_alloc(&a, sizeof *p);
    int *dsrc = arena_alloc(&a, (n + 1) * sizeof *dsrc);
    mga_source *copies = arena_alloc(&t->a, (n + 1) * sizeof *copies);
    mga_status st = MGA_OK;
    if (!p || !dsrc || !copies) {
        st = MGA_E_NOMEM;
        goto done;
    }
    p->a = &a;
    for (size_t i = 0; i < n; i++) {
        /* names and texts kept with the tests: failures cite them by file:line */
        copies[i].name = arena_strdup(&t->a, srcs[i].name ? srcs[i].name : "<tests>");
        copies[i].len = srcs[i].text ? srcs[i].len : 0;
        char *txt = arena_alloc(&t->a, copies[i].len + 1);
        if (!copies[i].name || !txt) {
            st = MGA_E_NOMEM;
            goto done;
        }
        if (copies[i].len)
            memcpy(txt, srcs[i].text, copies[i].len);
        copies[i].text = txt;
        dsrc[i] = diag_source(d, copies[i].name, copies[i].text, copies[i].len);
        if (dsrc[i] < 0 || !parse_source(p, d, dsrc[i], (uint32_t)i, txt, copies[i].len)) {
            st = MGA_E_NOMEM;
            goto done;
        }
        if (diag_full(d))
            break;
    }
    if (mga_diags_error_count(d) == 0) {
        lc_cursor *cur = arena_alloc(&a, (n + 1) * sizeof *cur);
        tc c = {rs, t, p, d, dsrc, copies, cur, NULL, NULL, false};
        if (!cur || !check_tests(&c))
            st = MGA_E_NOMEM;
    }
    if (st == MGA_OK && d->oom)
        st = MGA_E_NOMEM;
    if (st == MGA_OK && mga_diags_error_count(d))
        st = MGA_E_COMPILE;
done:
    arena_free(&a);
    if (st == MGA_OK)
        *out = t;
    else
        mga_tests_free(t);
    if (diags)
        *diags = d;
    else
        mga_diags_free(d);
    return st;
}

void mga_tests_free(mga_tests *t)
{
    if (!t)
        return;
    mem m = t->m;
    arena_free(&t->a);
    mem_free(&m, t, sizeof *t);
}

size_t mga_tests_count(const mga_tests *t)
{
    return t ? t->n : 0;
}

/* ---- running ---- */

static mga_profile *make_profile(const mga_tests *t, const t_test *tt)
{
    const mga_ruleset *rs = t->rs;
    mga_profile *p = profile_alloc(rs);
    if (!p)
        return NULL;
    p->valid = true;
    for (size_t i = 0; i < tt->ng; i++) {
        const t_given *g = &tt->g[i];
        const g_field *f = &rs->fields[g->field];
        if (g->kind == GV_MISSING)
            continue;
        p->known[g->field] = p->seen[g->field] = 1;
        if (f->type == FT_SET) {
            for (uint32_t k = 0; k < g->nsyms; k++)
                profile_set_sym(p, f, g->syms[k]);
        } else if (f->type == FT_TEXT) {
            if ((int32_t)g->field == rs->id_field) {
                size_t len = strlen(g->str) + 1;
                p->id_buf = mem_alloc(&p->m, len);
                if (!p->id_buf) {
                    mga_profile_free(p);
                    return NULL;
                }
                memcpy(p->id_buf, g->str, len);
                p->id_cap = len;
                p->id = p->id_buf;
            }
        } else {
            p->num[g->field] = g->num;
        }
    }
    return p;
}

typedef outbuf tw;

static void t_put(tw *w, const char *s)
{
    outbuf_put(w, s, strlen(s));
}

static int t_sink(void *ud, const char *p, size_t n)
{
    outbuf_put(ud, p, n);
    return 0;
}

/* Text from the test files (names, file names, source text): escaped (textsafe.h). */
static void t_text(tw *w, const char *s)
{
    textsafe_write(t_sink, w, s, strlen(s), 0);
}

static bool in_list(const uint32_t *v, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static void forms_got(tw *w, const mga_result *r, const uint32_t *v, const uint32_t *by, size_t n,
                      const char *none)
{
    if (!n)
        t_put(w, none);
    for (size_t i = 0; i < n; i++)
        outbuf_printf(w, "%s%s (%s)", i ? ", " : "", r->rs->forms[v[i]], r->rs->rules[by[i]].id);
}

static void dose_got(tw *w, const mga_dose *d, int part)
{
    const bool has[3] = {d->has_start, d->has_target, d->has_max};
    const double mg[3] = {d->start_mg, d->target_mg, d->max_mg};
    const char *rule[3] = {d->start_rule, d->target_rule, d->max_rule};
    static const char *const names[3] = {"start", "target", "max"};
    bool any = false;
    for (int k = 0; k < 3; k++) {
        if ((part >= 0 && k != part) || !has[k])
            continue;
        outbuf_printf(w, "%sdose %s %s mg (%s)", any ? ", " : "", names[k], NUM_STR(mg[k]),
                      rule[k]);
        any = true;
    }
    if (!any)
        t_put(w, part >= 0 ? "no such dose" : "no dose");
}

static bool mg_equal(double a, double b)
{
    return fabs(a - b) <= NUM_REL_TOL * dmax(1.0, dmax(fabs(a), fabs(b)));
}

/* Checks one expectation; on failure writes what was expected and what the result holds. */
/* ref: every node by the reference evaluator, for saying why a rule did not fire. */
static bool check_one(tw *w, const mga_result *r, const uint8_t *ref, const t_expect *e)
{
    const mga_ruleset *rs = r->rs;
    bool ok = true;
    switch (e->kind) {
    case XP_ADVICE: {
        size_t ai = 0;
        while (ai < r->nadvice && r->advice_rule[ai] != (uint32_t)e->rule)
            ai++;
        bool present = ai < r->nadvice;
        const g_rule *g = &rs->rules[e->rule];
        ok = present != e->neg && (e->neg || e->sev < 0 || g->severity == e->sev);
        if (ok)
            return true;
        outbuf_printf(w, "    expected: %s%s%s\n", e->neg ? "no advice from " : "advice from ",
                 g->id, e->sev >= 0 ? " with that severity" : "");
        bool fired = false;
        for (size_t i = 0; i < r->nfired && !fired; i++)
            fired = r->fired[i] == (uint32_t)e->rule;
        if (present) {
            outbuf_printf(w, "    got:      advice from %s (%s), because\n", g->id,
                     mga_severity_str((mga_severity)g->severity));
        } else if (fired) {
            outbuf_printf(w, "    got:      %s fired, but resolution withheld it", g->id);
            for (size_t i = 0; i < r->nover; i++)
                if (r->over[i].rule == (uint32_t)e->rule && r->over[i].what == OV_ITEM)
                    outbuf_printf(w, ": overruled by %s", rs->rules[r->over[i].by].id);
            t_put(w, "\n");
            return false;
        } else {
            outbuf_printf(w, "    got:      %s did not fire (%s), because\n", g->id,
                     ref[g->node] == TV_F ? "false" : "unknown");
        }
        if (!explain_rule_why(r, (size_t)e->rule, 3, &w->b))
            w->oom = true;
        return false;
    }
    case XP_PREFER:
    case XP_AVOID: {
        bool pref = e->kind == XP_PREFER;
        const uint32_t *v = pref ? r->prefer : r->avoid;
        size_t n = pref ? r->nprefer : r->navoid;
        if (e->nforms == 0)
            ok = n == 0; /* only 'expect no prefer' / 'expect no avoid' */
        for (uint32_t i = 0; i < e->nforms; i++)
            if (in_list(v, n, e->forms[i]) == e->neg)
                ok = false;
        if (ok)
            return true;
        if (!e->nforms)
            outbuf_printf(w, "    expected: no form %s", pref ? "preferred" : "avoided");
        else
            outbuf_printf(w, "    expected: %s%s", e->neg ? "not " : "", pref ? "prefer" : "avoid");
        for (uint32_t i = 0; i < e->nforms; i++)
            outbuf_printf(w, "%s%s", i ? ", " : " ", rs->forms[e->forms[i]]);
        outbuf_printf(w, "\n    got:      %s ", pref ? "prefer" : "avoid");
        forms_got(w, r, v, pref ? r->prefer_rule : r->avoid_rule, n, "nothing");
        t_put(w, "\n");
        for (size_t i = 0; pref && i < r->nover; i++)
            if (r->over[i].what == OV_PREFER && in_list(e->forms, e->nforms, r->over[i].form))
                outbuf_printf(w, "              (prefer %s from %s was overruled by %s)\n",
                         rs->forms[r->over[i].form], rs->rules[r->over[i].rule].id,
                         rs->rules[r->over[i].by].id);
        return false;
    }
    case XP_SUPPLEMENTS:
        if ((r->avoid_supplements >= 0) != e->neg)
            return true;
        outbuf_printf(w, "    expected: %savoid supplements\n    got:      ", e->neg ? "not " : "");
        if (r->avoid_supplements >= 0)
            outbuf_printf(w, "avoid supplements (%s)\n", rs->rules[r->avoid_supplements].id);
        else
            t_put(w, "supplements not avoided\n");
        return false;
    case XP_WITHHOLD: {
        int32_t by = r->avoid_supplements >= 0 ? r->avoid_supplements : r->withhold_supplements;
        if ((by >= 0) != e->neg)
            return true;
        outbuf_printf(w, "    expected: %swithhold supplements\n    got:      ", e->neg ? "not " : "");
        if (by >= 0)
            outbuf_printf(w, "supplements withheld (%s)\n", rs->rules[by].id);
        else
            t_put(w, "supplements not withheld\n");
        return false;
    }
    case XP_DOSE: {
        const mga_dose *d = &r->dose;
        const bool has[3] = {d->has_start, d->has_target, d->has_max};
        const double mg[3] = {d->start_mg, d->target_mg, d->max_mg};
        static const char *const names[3] = {"start", "target", "max"};
        if (e->neg)
            ok = e->part >= 0 ? !has[e->part] : !d->has_start && !d->has_target;
        else
            ok = has[e->part] && mg_equal(mg[e->part], e->mg);
        if (ok)
            return true;
        if (e->neg && e->part < 0)
            t_put(w, "    expected: no start or target dose\n");
        else if (e->neg)
            outbuf_printf(w, "    expected: no %s dose\n", names[e->part]);
        else
            outbuf_printf(w, "    expected: dose %s %s mg\n", names[e->part], NUM_STR(e->mg));
        t_put(w, "    got:      ");
        dose_got(w, d, e->neg && e->part < 0 ? -1 : e->part);
        t_put(w, "\n");
        for (size_t i = 0; i < r->nover; i++)
            if ((r->over[i].what == OV_START && (e->part == DOSE_START || e->part < 0)) ||
                (r->over[i].what == OV_TARGET && (e->part == DOSE_TARGET || e->part < 0)))
                outbuf_printf(w, "              (%s %s mg from %s was overruled by %s)\n",
                         r->over[i].what == OV_START ? "start" : "target", NUM_STR(r->over[i].mg),
                         rs->rules[r->over[i].rule].id, rs->rules[r->over[i].by].id);
        return false;
    }
    case XP_REFER: {
        bool found = false;
        for (size_t i = 0; i < r->nadvice; i++)
            if (r->rs->plan->advice[r->advice_rule[i]].refer && (!e->urgency || strcmp(r->rs->plan->advice[r->advice_rule[i]].refer, e->urgency) == 0))
                found = true;
        if (found != e->neg)
            return true;
        outbuf_printf(w, "    expected: %srefer %s\n    got:      ", e->neg ? "no " : "",
                 e->urgency ? e->urgency : "(any)");
        bool any = false;
        for (size_t i = 0; i < r->nadvice; i++)
            if (r->rs->plan->advice[r->advice_rule[i]].refer) {
                outbuf_printf(w, "%srefer %s (%s)", any ? ", " : "", r->rs->plan->advice[r->advice_rule[i]].refer,
                         r->rs->plan->advice[r->advice_rule[i]].rule);
                any = true;
            }
        if (!any)
            t_put(w, "no referral");
        t_put(w, "\n");
        return false;
    }
    }
    return true;
}

mga_status mga_tests_run(const mga_tests *t, mga_coverage *cov, mga_write_fn fn, void *ud,
                         size_t *failed)
{
    if (failed)
        *failed = 0;
    if (!t || !fn)
        return MGA_E_MISUSE;
    tw w = {&t->m, {0}, false};
    mga_status st = MGA_OK;
    size_t nfail = 0;
    size_t nref = t->rs->nnodes + 1;
    uint8_t *ref = mem_alloc(&t->m, nref); /* the reference values, apart from the result */
    if (!ref)
        return MGA_E_NOMEM;
    for (size_t i = 0; i < t->n && st == MGA_OK; i++) {
        const t_test *tt = &t->tests[i];
        mga_profile *p = make_profile(t, tt);
        mga_result *r = NULL;
        if (!p) {
            st = MGA_E_NOMEM;
            break;
        }
        st = mga_evaluate(t->rs, p, &r);
        if (st == MGA_OK) /* every node, for the report of why a rule did or did not fire */
            eval_nodes(t->rs, p, ref);
        if (st == MGA_OK && cov)
            st = mga_coverage_add(cov, r);
        if (st == MGA_OK) {
            bool header = false;
            for (size_t k = 0; k < tt->ne; k++) {
                size_t before = w.b.len;
                if (check_one(&w, r, ref, &tt->e[k]))
                    continue;
                /* the expectation's line goes above what check_one wrote */
                tw head = {&t->m, {0}, false};
                if (!header) {
                    t_text(&head, tt->file);
                    outbuf_printf(&head, ":%u:%u: test \"", tt->line, tt->col);
                    t_text(&head, tt->name);
                    t_put(&head, "\" failed\n");
                }
                header = true;
                t_put(&head, "  ");
                t_text(&head, tt->e[k].file);
                outbuf_printf(&head, ":%u:%u: expect ", tt->e[k].line, tt->e[k].col);
                t_text(&head, tt->e[k].text);
                t_put(&head, "\n");
                if (head.oom || w.oom || !membuf_add(&t->m, &w.b, head.b.p, head.b.len)) {
                    w.oom = true;
                } else {
                    /* rotate: [before, old end) body, [old end, end) head -> head first */
                    size_t body = w.b.len - head.b.len - before;
                    char *s = w.b.p + before;
                    memmove(s + head.b.len, s, body);
                    memcpy(s, head.b.p, head.b.len);
                }
                membuf_free(&t->m, &head.b);
            }
            nfail += header;
        }
        mga_result_free(r);
        mga_profile_free(p);
    }
    if (st == MGA_OK && w.oom)
        st = MGA_E_NOMEM;
    if (st == MGA_OK && w.b.len && fn(ud, w.b.p, w.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&t->m, &w.b);
    mem_free(&t->m, ref, nref);
    if (failed)
        *failed = nfail;
    return st;
}
