/* SPDX-License-Identifier: MIT */
/* Cross-reference data for editors (mgadvise lsp): the outline of one rule or test file
 * (where each declaration's name is, from the parse alone) and what a compiled rule set
 * holds about one rule (its advice text, severity and citations), and the names an editor
 * completes: a field's units, the forms, the sources and their numbered references. */
#include "api.h"
#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "graph.h"
#include "parse.h"

#include <string.h>

#define XREF_MAX_BYTES ((size_t)64 << 20) /* as a rule file for mga_compile_sources */

struct mga_outline {
    mem m;
    arena a;
    mga_decl *v;
    size_t n, cap;
};

/* The smallest span of p->spans that holds the name at, or at itself. */
static ast_span whole_of(const ast_program *p, ast_span at)
{
    ast_span best = at;
    bool found = false;
    const ast_span *s = p->spans.data;
    for (size_t i = 0; i < p->spans.len; i++)
        if (s[i].off <= at.off && at.off + at.len <= s[i].off + s[i].len &&
            (!found || s[i].len < best.len)) {
            best = s[i];
            found = true;
        }
    return best;
}

static void linecols(const char *text, size_t len, ast_span at, unsigned *l0, unsigned *c0,
                     unsigned *l1, unsigned *c1)
{
    size_t off = at.off > len ? len : at.off;
    size_t end = at.len > len - off ? len : off + at.len;
    diag_linecol(text, len, off, l0, c0);
    diag_linecol(text, len, end, l1, c1);
}

static bool decl_add(mga_outline *o, const ast_program *p, mga_decl_kind k, const char *name,
                     ast_span at, const char *text, size_t len)
{
    if (!name)
        return true;
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        mga_decl *v = arena_alloc(&o->a, cap * sizeof *v);
        if (!v)
            return false;
        if (o->n)
            memcpy(v, o->v, o->n * sizeof *v);
        o->v = v;
        o->cap = cap;
    }
    mga_decl *d = &o->v[o->n];
    memset(d, 0, sizeof *d);
    d->kind = k;
    d->name = arena_strdup(&o->a, name);
    if (!d->name)
        return false;
    linecols(text, len, at, &d->line, &d->col, &d->end_line, &d->end_col);
    linecols(text, len, whole_of(p, at), &d->decl_line, &d->decl_col, &d->decl_end_line,
             &d->decl_end_col);
    o->n++;
    return true;
}

/* Each vec of the program in source order merged by offset: rules, facts, sources, fields,
 * invariants and tests are each in their own vec, so sort the outline at the end. */
static int decl_cmp(const mga_decl *a, const mga_decl *b)
{
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return a->col < b->col ? -1 : a->col > b->col;
}

static void decl_sort(mga_decl *v, size_t n)
{
    for (size_t i = 1; i < n; i++) { /* insertion sort: the vecs are each sorted already */
        mga_decl x = v[i];
        size_t j = i;
        while (j > 0 && decl_cmp(&v[j - 1], &x) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static bool outline_fill(mga_outline *o, const ast_program *p, const char *text, size_t len)
{
    const ast_source *src = p->sources.data;
    for (size_t i = 0; i < p->sources.len; i++)
        if (!decl_add(o, p, MGA_DECL_SOURCE, src[i].key.s, src[i].key.at, text, len))
            return false;
    const ast_field *f = p->fields.data;
    for (size_t i = 0; i < p->fields.len; i++)
        if (!decl_add(o, p, MGA_DECL_FIELD, f[i].name.s, f[i].name.at, text, len))
            return false;
    const ast_fact *fa = p->facts.data;
    for (size_t i = 0; i < p->facts.len; i++)
        if (!decl_add(o, p, MGA_DECL_FACT, fa[i].name.s, fa[i].name.at, text, len))
            return false;
    const ast_rule *r = p->rules.data;
    for (size_t i = 0; i < p->rules.len; i++)
        if (!decl_add(o, p, MGA_DECL_RULE, r[i].id.s, r[i].id.at, text, len))
            return false;
    const ast_invariant *iv = p->invariants.data;
    for (size_t i = 0; i < p->invariants.len; i++)
        if (!decl_add(o, p, MGA_DECL_INVARIANT, iv[i].id.s, iv[i].id.at, text, len))
            return false;
    const ast_test *t = p->tests.data;
    for (size_t i = 0; i < p->tests.len; i++)
        if (!decl_add(o, p, MGA_DECL_TEST, t[i].name, t[i].at, text, len))
            return false;
    decl_sort(o->v, o->n);
    return true;
}

mga_status mga_outline_new(mga_engine *eng, const char *name, const char *text, size_t len,
                           mga_outline **out, mga_diags **diags)
{
    if (out)
        *out = NULL;
    if (diags)
        *diags = NULL;
    if (!eng || !out || (!text && len))
        return MGA_E_MISUSE;
    if (!text)
        text = "";
    const mem *m = api_engine_mem(eng);
    mga_diags *d = diag_new(m, api_engine_max_errors(eng));
    if (!d)
        return MGA_E_NOMEM;
    mga_status st = MGA_OK;
    int dsrc = diag_source(d, name ? name : "<rules>", text, len);
    mga_outline *o = NULL;
    if (dsrc < 0)
        st = MGA_E_NOMEM;
    else if (len > XREF_MAX_BYTES)
        st = MGA_E_INVALID;
    if (st == MGA_OK) {
        o = mem_alloc(m, sizeof *o);
        if (!o)
            st = MGA_E_NOMEM;
    }
    if (st == MGA_OK) {
        memset(o, 0, sizeof *o);
        o->m = *m;
        arena_init(&o->a, &o->m);
        arena a;
        arena_init(&a, m);
        ast_program *p = arena_alloc(&a, sizeof *p);
        if (!p) {
            st = MGA_E_NOMEM;
        } else {
            p->a = &a;
            if (!parse_source(p, d, dsrc, 0, text, len) || !outline_fill(o, p, text, len))
                st = MGA_E_NOMEM;
        }
        arena_free(&a);
    }
    if (st == MGA_OK && d->oom)
        st = MGA_E_NOMEM;
    if (st != MGA_OK)
        mga_outline_free(o);
    else
        *out = o;
    if (diags)
        *diags = d;
    else
        mga_diags_free(d);
    return st;
}

size_t mga_outline_count(const mga_outline *o)
{
    return o ? o->n : 0;
}

const mga_decl *mga_outline_ref(const mga_outline *o, size_t i)
{
    return o && i < o->n ? &o->v[i] : NULL;
}

void mga_outline_free(mga_outline *o)
{
    if (!o)
        return;
    mem m = o->m;
    arena_free(&o->a);
    mem_free(&m, o, sizeof *o);
}

mga_status mga_ruleset_rule(const mga_ruleset *rs, size_t i, mga_rule_info *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!rs || !out || i >= rs->nrules)
        return MGA_E_MISUSE;
    const g_rule *r = &rs->rules[i];
    out->id = r->id;
    out->file = r->file;
    out->line = r->line;
    out->severity = (mga_severity)r->severity;
    out->kind = (mga_kind)r->kind;
    out->say = r->say;
    out->evidence = r->evidence;
    out->cites = r->pub_cites;
    out->ncites = r->ncites;
    return MGA_OK;
}

size_t mga_ruleset_field_unit_count(const mga_ruleset *rs, size_t i)
{
    if (!rs || i >= rs->nfields)
        return 0;
    const g_field *f = &rs->fields[i];
    if (f->dim >= 0)
        return rs->dims[f->dim].nunits;
    return f->unit ? 1 : 0;
}

mga_status mga_ruleset_field_unit(const mga_ruleset *rs, size_t i, size_t k, mga_unit_info *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!out || k >= mga_ruleset_field_unit_count(rs, i))
        return MGA_E_MISUSE;
    const g_field *f = &rs->fields[i];
    if (f->dim < 0) {
        out->name = out->base = f->unit;
        out->factor = 1;
        return MGA_OK;
    }
    const g_dim *d = &rs->dims[f->dim];
    out->name = d->units[k].name;
    out->dimension = d->name;
    out->base = d->units[0].name;
    out->factor = d->units[k].factor;
    return MGA_OK;
}

size_t mga_ruleset_form_count(const mga_ruleset *rs)
{
    return rs ? rs->nforms : 0;
}

const char *mga_ruleset_form(const mga_ruleset *rs, size_t i)
{
    return rs && i < rs->nforms ? rs->forms[i] : NULL;
}

size_t mga_ruleset_source_count(const mga_ruleset *rs)
{
    return rs ? rs->nsources : 0;
}

mga_status mga_ruleset_source(const mga_ruleset *rs, size_t i, mga_source_info *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!rs || !out || i >= rs->nsources)
        return MGA_E_MISUSE;
    const g_source *s = &rs->sources[i];
    out->key = s->key;
    out->title = s->title;
    out->author = s->author;
    out->publisher = s->publisher;
    out->url = s->url;
    out->nrefs = s->nrefs;
    return MGA_OK;
}

mga_status mga_ruleset_source_ref(const mga_ruleset *rs, size_t i, size_t k, unsigned *n,
                                  const char **text)
{
    if (n)
        *n = 0;
    if (text)
        *text = NULL;
    if (!rs || !n || !text || i >= rs->nsources || k >= rs->sources[i].nrefs)
        return MGA_E_MISUSE;
    *n = rs->sources[i].refs[k].n;
    *text = rs->sources[i].refs[k].text;
    return MGA_OK;
}
