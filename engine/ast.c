/* SPDX-License-Identifier: MIT */
/* AST constructors for the grammar actions (pass 1). */
#include "ast.h"

#include <string.h>

ast_expr *ast_num(arena *a, ast_span at, double num, ast_name unit)
{
    ast_expr *e = arena_alloc(a, sizeof *e);
    if (!e)
        return NULL;
    e->kind = EX_NUM;
    e->at = at;
    e->num = num;
    e->unit = unit;
    e->field = -1;
    e->dim = -1;
    return e;
}

ast_expr *ast_field_ref(arena *a, ast_name name)
{
    ast_expr *e = arena_alloc(a, sizeof *e);
    if (!e)
        return NULL;
    e->kind = EX_FIELD;
    e->at = name.at;
    e->name = name;
    e->field = -1;
    e->dim = -1;
    return e;
}

ast_expr *ast_binop(arena *a, ast_span at, ex_kind k, ast_expr *l, ast_expr *r)
{
    ast_expr *e = arena_alloc(a, sizeof *e);
    if (!e)
        return NULL;
    e->kind = k;
    e->at = at;
    e->a = l;
    e->b = r;
    e->field = -1;
    e->dim = -1;
    return e;
}

ast_cond *ast_cond_new(arena *a, co_kind k, ast_span at)
{
    ast_cond *c = arena_alloc(a, sizeof *c);
    if (!c)
        return NULL;
    c->kind = k;
    c->at = at;
    c->field = -1;
    c->fact = -1;
    return c;
}

ast_cond *ast_logic(arena *a, co_kind k, ast_span at, ast_cond *l, ast_cond *r)
{
    ast_cond *c = ast_cond_new(a, k, at);
    if (c) {
        c->a = l;
        c->b = r;
    }
    return c;
}

ast_cond *ast_has(arena *a, ast_span at, ast_name name, quant q, ast_names syms)
{
    ast_cond *c = ast_cond_new(a, CO_HAS, at);
    if (c) {
        c->name = name;
        c->q = q;
        c->syms = syms;
    }
    return c;
}

ast_cond *ast_is(arena *a, ast_span at, ast_name name, quant q, ast_names syms)
{
    ast_cond *c = ast_cond_new(a, CO_IS, at);
    if (c) {
        c->name = name;
        c->q = q;
        c->syms = syms;
    }
    return c;
}

ast_cond *ast_cmp(arena *a, ast_span at, cmp_op op, ast_expr *l, ast_expr *r)
{
    ast_cond *c = ast_cond_new(a, CO_CMP, at);
    if (c) {
        c->op = op;
        c->lhs = l;
        c->rhs = r;
    }
    return c;
}

ast_cond *ast_between(arena *a, ast_span at, ast_expr *e, ast_expr *lo, ast_expr *hi)
{
    ast_cond *c = ast_cond_new(a, CO_BETWEEN, at);
    if (c) {
        c->lhs = e;
        c->lo = lo;
        c->hi = hi;
    }
    return c;
}

bool ast_names_push(arena *a, ast_names *l, ast_name n)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 4;
        ast_name *nv = arena_alloc(a, ncap * sizeof *nv);
        if (!nv)
            return false;
        if (l->n)
            memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = n;
    return true;
}

const char *ast_field_type_words(const ast_field *f)
{
    switch (f->type) {
    case FT_TEXT:
        return "text";
    case FT_BOOL:
        return "a boolean";
    case FT_NUMBER:
        return "a number";
    case FT_ENUM:
        return "a one-of field";
    case FT_SET:
        return "a set";
    }
    return "?";
}
