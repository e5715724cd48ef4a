/* SPDX-License-Identifier: MIT */
/* Pass 1, parse: the builders the grammar actions call, one per action: each adds one
 * piece of a declaration to the AST (ast.h). */
#include "grammar.h"

#include <stdio.h>
#include <string.h>

/* ---- builders ---- */

bool ast_prog_text(struct parse_ctx *ctx, vec *v, const char *s, ast_span at)
{
    ast_text *t = vec_push(ctx->a, v, sizeof *t);
    if (!t)
        return false;
    t->s = s;
    t->at = at;
    return true;
}

bool ast_decl_span(struct parse_ctx *ctx, ast_span at)
{
    ast_span *s = vec_push(ctx->a, &ctx->prog->spans, sizeof *s);
    if (s)
        *s = at;
    return s != NULL;
}

ast_source *ast_source_begin(struct parse_ctx *ctx, ast_name key, const char *title)
{
    ast_source *s = vec_push(ctx->a, &ctx->prog->sources, sizeof *s);
    if (s) {
        s->key = key;
        s->title = title;
    }
    return s;
}

bool ast_source_ref(struct parse_ctx *ctx, double n, const char *text, ast_span at)
{
    if (!ctx->source)
        return true;
    ast_ref *r = vec_push(ctx->a, &ctx->source->refs, sizeof *r);
    if (!r)
        return false;
    r->n = n >= 0 && n < 1e6 ? (unsigned)n : 0;
    r->text = text;
    r->at = at;
    return true;
}

ast_dim *ast_dim_begin(struct parse_ctx *ctx, ast_name name, ast_name base)
{
    ast_dim *d = vec_push(ctx->a, &ctx->prog->dims, sizeof *d);
    if (d) {
        d->name = name;
        d->base = base;
    }
    return d;
}

bool ast_unit_add(struct parse_ctx *ctx, ast_name name, double factor, ast_name of, ast_span at)
{
    if (!ctx->dim)
        return true;
    ast_unitdef *u = vec_push(ctx->a, &ctx->dim->units, sizeof *u);
    if (!u)
        return false;
    u->name = name;
    u->factor = factor;
    u->of = of;
    u->at = at;
    return true;
}

bool ast_forms_add(struct parse_ctx *ctx, const ast_names *forms)
{
    for (size_t i = 0; i < forms->n; i++)
        if (!ast_names_push(ctx->a, &ctx->prog->forms, forms->v[i]))
            return false;
    return true;
}

bool ast_field_add(struct parse_ctx *ctx, ast_name name, field_type t, const ast_names *syms)
{
    ast_field *f = vec_push(ctx->a, &ctx->prog->fields, sizeof *f);
    if (!f)
        return false;
    f->name = name;
    f->type = t;
    if (syms)
        f->syms = *syms;
    return true;
}

bool ast_field_number(struct parse_ctx *ctx, ast_name name, ast_name unit)
{
    if (!ast_field_add(ctx, name, FT_NUMBER, NULL))
        return false;
    VEC_AT(ctx->prog->fields, ast_field, ctx->prog->fields.len - 1)->unit = unit;
    return true;
}

void ast_field_range(struct parse_ctx *ctx, double lo, double hi, ast_span at)
{
    ast_field *f = VEC_AT(ctx->prog->fields, ast_field, ctx->prog->fields.len - 1);
    f->has_range = true;
    f->lo = lo;
    f->hi = hi;
    f->range_at = at;
}

bool ast_fact_add(struct parse_ctx *ctx, ast_name name, ast_cond *cond)
{
    ast_fact *f = vec_push(ctx->a, &ctx->prog->facts, sizeof *f);
    if (!f)
        return false;
    f->name = name;
    f->cond = cond;
    return true;
}

bool ast_fhir_begin(struct parse_ctx *ctx, ast_name field, ast_name resource)
{
    ast_fbind *b = vec_push(ctx->a, &ctx->prog->fhir, sizeof *b);
    if (!b)
        return false;
    b->field = field;
    b->at = field.at;
    ctx->fbind = b;
    ctx->fcodes = &b->codes;
    return ast_names_push(ctx->a, &b->resources, resource);
}

bool ast_fhir_resource(struct parse_ctx *ctx, ast_name resource)
{
    return ast_names_push(ctx->a, &ctx->fbind->resources, resource);
}

bool ast_fhir_element(struct parse_ctx *ctx, ast_name element)
{
    ctx->fbind->element = element;
    return true;
}

bool ast_fhir_value(struct parse_ctx *ctx, ast_name sym)
{
    if (!ctx->fbind) {
        /* a value line before any 'field: from ...' line: its codes are read and dropped */
        diag_add(ctx->d, DIAG_FHIR_VALUE_FIRST, ctx->dsrc, sym.at.off, sym.at.len, sym.s);
        ctx->fcodes = &ctx->fhir_orphans;
        return true;
    }
    ast_fvalue *v = vec_push(ctx->a, &ctx->fbind->values, sizeof *v);
    if (!v)
        return false;
    v->sym = sym;
    ctx->fcodes = &v->codes;
    return true;
}

bool ast_fhir_code(struct parse_ctx *ctx, ast_name system, const char *code,
                   const char *display, ast_span at)
{
    ast_fcode *c = vec_push(ctx->a, ctx->fcodes, sizeof *c);
    if (!c)
        return false;
    c->system = system;
    c->code = code;
    c->display = display;
    c->at = at;
    c->sys = -1;
    return true;
}

ast_rule *ast_rule_begin(struct parse_ctx *ctx, ast_name id, ast_span at)
{
    if (ctx->prog->rules.len == MAX_RULES) /* reported once, at the first rule past it */
        diag_add(ctx->d, DIAG_TOO_MANY, ctx->dsrc, at.off, at.len, "rules", (unsigned)MAX_RULES);
    ast_rule *r = vec_push(ctx->a, &ctx->prog->rules, sizeof *r);
    if (r) {
        r->id = id;
        r->at = at;
    }
    return r;
}

void ast_rule_when(struct parse_ctx *ctx, ast_cond *c, ast_span at)
{
    (void)at;
    if (!ctx->rule)
        return;
    ctx->rule->when = c;
    ctx->rule->nwhen++;
}

bool ast_action_add(struct parse_ctx *ctx, act_kind k, ast_span at, const ast_names *forms,
                    const ast_name *urgency)
{
    if (!ctx->rule)
        return true;
    ast_action *a = vec_push(ctx->a, &ctx->rule->actions, sizeof *a);
    if (!a)
        return false;
    a->kind = k;
    a->at = at;
    if (forms)
        a->forms = *forms;
    if (urgency)
        a->urgency = *urgency;
    return true;
}

bool ast_dose_add(struct parse_ctx *ctx, dose_part part, double num, ast_name unit, ast_span at)
{
    if (!ctx->rule)
        return true;
    ast_dose *d = vec_push(ctx->a, &ctx->rule->doses, sizeof *d);
    if (!d)
        return false;
    d->part = part;
    d->num = num;
    d->unit = unit;
    d->at = at;
    return true;
}

bool ast_cite_begin(struct parse_ctx *ctx, ast_name source, ast_span at)
{
    if (!ctx->rule)
        return true;
    ast_cite *c = vec_push(ctx->a, &ctx->rule->cites, sizeof *c);
    if (!c)
        return false;
    c->source = source;
    c->at = at;
    return true;
}

static ast_cite *cur_cite(struct parse_ctx *ctx)
{
    if (!ctx->rule || !ctx->rule->cites.len)
        return NULL;
    return VEC_AT(ctx->rule->cites, ast_cite, ctx->rule->cites.len - 1);
}

bool ast_cite_ref(struct parse_ctx *ctx, double n, ast_span at)
{
    ast_cite *c = cur_cite(ctx);
    if (!c)
        return true;
    ast_ref *r = vec_push(ctx->a, &c->refs, sizeof *r);
    if (!r)
        return false;
    r->n = n >= 0 && n < 1e6 ? (unsigned)n : 0;
    r->at = at;
    return true;
}

void ast_cite_quote(struct parse_ctx *ctx, const char *q, ast_span at)
{
    ast_cite *c = cur_cite(ctx);
    if (!c)
        return;
    c->quote = q;
    c->quote_at = at;
}

void ast_cite_unmarked(struct parse_ctx *ctx, const char *reason, ast_span at)
{
    ast_cite *c = cur_cite(ctx);
    if (!c)
        return;
    c->unmarked = reason;
    c->unmarked_at = at;
}

const char *ast_strcat(struct parse_ctx *ctx, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = arena_alloc(ctx->a, la + lb + 1);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

ast_invariant *ast_invariant_begin(struct parse_ctx *ctx, ast_name id, const char *label,
                                   ast_span at)
{
    ast_invariant *v = vec_push(ctx->a, &ctx->prog->invariants, sizeof *v);
    if (v) {
        v->id = id;
        v->label = label;
        v->at = at;
    }
    return v;
}

void ast_invariant_when(struct parse_ctx *ctx, ast_cond *c)
{
    if (!ctx->inv)
        return;
    ctx->inv->when = c;
    ctx->inv->nwhen++;
}

bool ast_expect_add(struct parse_ctx *ctx, exp_kind k, ast_span at, const ast_names *forms,
                    const ast_name *urgency, double num, const ast_name *unit)
{
    if (!ctx->inv)
        return true;
    ast_expect *e = vec_push(ctx->a, &ctx->inv->expects, sizeof *e);
    if (!e)
        return false;
    e->kind = k;
    e->at = at;
    if (forms)
        e->forms = *forms;
    if (urgency)
        e->urgency = *urgency;
    e->num = num;
    if (unit)
        e->unit = *unit;
    return true;
}

void ast_expect_severity(struct parse_ctx *ctx, ast_name sev)
{
    if (ctx->inv && ctx->inv->expects.len)
        VEC_AT(ctx->inv->expects, ast_expect, ctx->inv->expects.len - 1)->severity = sev;
}

void ast_prec_begin(struct parse_ctx *ctx, int winner, ast_name over, ast_span at)
{
    /* 'over' is not reserved (rules may use it as a name): it is checked here */
    ctx->prec_winner = winner;
    ctx->prec_at = at;
    ctx->prec_bad = strcmp(over.s, "over") != 0;
    if (ctx->prec_bad) {
        char found[160];
        snprintf(found, sizeof found, "identifier '%s'", over.s);
        diag_add(ctx->d, DIAG_SYNTAX, ctx->dsrc, over.at.off, over.at.len, "'over'", found);
    }
}

bool ast_prec_add(struct parse_ctx *ctx, prec_side loser, ast_span at)
{
    if (ctx->prec_bad)
        return true;
    ast_prec *p = vec_push(ctx->a, &ctx->prog->precs, sizeof *p);
    if (!p)
        return false;
    p->winner = (prec_side)ctx->prec_winner;
    p->loser = loser;
    p->at = ctx->prec_at;
    p->at.len = at.off + at.len - p->at.off;
    return true;
}

ast_cond *ast_name_cond(arena *a, co_kind k, ast_name name, bool bval)
{
    ast_cond *c = ast_cond_new(a, k, name.at);
    if (c) {
        c->name = name;
        c->bval = bval;
    }
    return c;
}

ast_names ast_one(struct parse_ctx *ctx, ast_name n)
{
    ast_names l = {0};
    if (!ast_names_push(ctx->a, &l, n))
        ctx->oom = true;
    return l;
}

/* ---- builders for rule tests (*.mgt) ---- */

bool ast_test_begin(struct parse_ctx *ctx, const char *name, ast_span at)
{
    ast_test *t = vec_push(ctx->a, &ctx->prog->tests, sizeof *t);
    if (!t)
        return false;
    t->name = name;
    t->at = at;
    ctx->test = t;
    return true;
}

bool ast_given_add(struct parse_ctx *ctx, const ast_given *g)
{
    if (!ctx->test)
        return true;
    ast_given *slot = vec_push(ctx->a, &ctx->test->givens, sizeof *slot);
    if (!slot)
        return false;
    *slot = *g;
    return true;
}

bool ast_texpect_add(struct parse_ctx *ctx, const ast_texpect *e)
{
    if (!ctx->test)
        return true;
    ast_texpect *slot = vec_push(ctx->a, &ctx->test->expects, sizeof *slot);
    if (!slot)
        return false;
    *slot = *e;
    return true;
}
