/* SPDX-License-Identifier: MIT */
/* Explanations (an output-stage pass): the written condition trees kept at freeze time
 * (explain.h), their three-valued evaluation against one profile, `explain` as text or
 * JSON, and rule and condition coverage accumulated over many results. */
#include "explain.h"
#include "eval.h"
#include "jsonesc.h"
#include "numfmt.h"
#include "sema.h"
#include "textsafe.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NONE_ID UINT32_MAX
#define V_UNSET 0xFF

/* ---- building (compile time) ---- */

typedef struct xb {
    mga_ruleset *rs;
    const ast_program *p;
    arena *tmp;
    vec nodes, kids, syms, flds, terms;
    const char *const *names;
    const char *const *texts;
    const size_t *lens;
    uint32_t owner;
    const char **dup_names; /* per file: its name copied into the rule set */
    vec *line_starts;       /* per file, made on first use: the offset of each line */
    uint32_t loc_file;      /* locate's last place: file, line index, offset, column */
    size_t loc_line, loc_off;
    unsigned loc_col;
    bool oom;
} xb;

/* Line and column of an offset, as diag_linecol counts them, by binary search over the
 * file's line starts: locating every condition stays linear in the text. */
static void locate(xb *b, ast_span at, unsigned *line, unsigned *col)
{
    const char *t = b->texts[at.file];
    size_t len = b->lens[at.file];
    vec *ls = &b->line_starts[at.file];
    if (!ls->len) {
        size_t i = 0;
        for (;;) { /* 0 and the offset after each '\n' */
            size_t *slot = vec_push(b->tmp, ls, sizeof *slot);
            if (!slot) {
                b->oom = true;
                break;
            }
            *slot = i;
            const char *nl = i < len ? memchr(t + i, '\n', len - i) : NULL;
            if (!nl)
                break;
            i = (size_t)(nl - t) + 1;
        }
        if (b->oom) {
            *line = *col = 1;
            return;
        }
    }
    const size_t *st = ls->data;
    size_t off = at.off < len ? at.off : len, lo = 0, hi = ls->len;
    while (hi - lo > 1) { /* the last line start at or before off */
        size_t mid = lo + (hi - lo) / 2;
        if (st[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    /* the column counts characters from the line start, or from the last place located
     * on the same line: the conditions of one long line are located in written order, so
     * counting goes on from there instead of starting over */
    size_t from = st[lo];
    unsigned c = 1;
    if (b->loc_file == at.file && b->loc_line == lo && b->loc_off <= off) {
        from = b->loc_off;
        c = b->loc_col;
    } else if (lo == 0 && len >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0 && off >= 3) {
        from = 3; /* diag_linecol skips a byte-order mark */
    }
    for (size_t i = from; i < off; i++)
        c += ((unsigned char)t[i] & 0xC0) != 0x80;
    b->loc_file = at.file;
    b->loc_line = lo;
    b->loc_off = off;
    b->loc_col = c;
    *line = (unsigned)lo + 1;
    *col = c;
}

/* The caller's file names do not outlive compilation: each is copied once. */
static const char *file_name(xb *b, uint32_t file)
{
    if (!b->dup_names[file] && !(b->dup_names[file] = arena_strdup(&b->rs->a, b->names[file])))
        b->oom = true;
    return b->dup_names[file] ? b->dup_names[file] : "";
}

/* The source text of a span with comments dropped and white space runs collapsed. */
static const char *span_text(xb *b, ast_span at)
{
    const char *s = b->texts[at.file] + at.off;
    char *out = arena_alloc(&b->rs->a, (size_t)at.len + 1);
    if (!out) {
        b->oom = true;
        return "";
    }
    size_t n = 0;
    bool space = false;
    for (uint32_t i = 0; i < at.len; i++) {
        char c = s[i];
        if (c == '#') {
            while (i + 1 < at.len && s[i + 1] != '\n')
                i++;
            space = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = true;
            continue;
        }
        if (space && n)
            out[n++] = ' ';
        space = false;
        out[n++] = c;
    }
    out[n] = '\0';
    return out;
}

static uint32_t push_node(xb *b, const x_node *x)
{
    x_node *slot = vec_push(b->tmp, &b->nodes, sizeof *slot);
    if (!slot) {
        b->oom = true;
        return 0;
    }
    *slot = *x;
    return (uint32_t)b->nodes.len - 1;
}

static void push_u32(xb *b, vec *v, uint32_t x)
{
    uint32_t *slot = vec_push(b->tmp, v, sizeof *slot);
    if (!slot)
        b->oom = true;
    else
        *slot = x;
}

static void add_field(xb *b, x_node *x, uint32_t f)
{
    for (uint32_t i = 0; i < x->nfld; i++)
        if (((uint32_t *)b->flds.data)[x->foff + i] == f)
            return;
    push_u32(b, &b->flds, f);
    x->nfld++;
}

static void expr_fields(xb *b, x_node *x, const ast_expr *e)
{
    if (!e)
        return;
    if (e->kind == EX_FIELD)
        add_field(b, x, (uint32_t)e->field);
    expr_fields(b, x, e->a);
    expr_fields(b, x, e->b);
}

/* Adds sign * e to the linear form of x (terms pushed since x->off, constant in *k). */
static void lin_add(xb *b, x_node *x, double *k, const ast_expr *e, double sign)
{
    switch (e->kind) {
    case EX_NUM:
        *k += sign * e->val;
        return;
    case EX_FIELD:
        for (uint32_t i = 0; i < x->n; i++) {
            g_term *t = (g_term *)b->terms.data + x->off + i;
            if (t->field == (uint32_t)e->field) {
                t->coef += sign;
                return;
            }
        }
        {
            g_term *t = vec_push(b->tmp, &b->terms, sizeof *t);
            if (!t) {
                b->oom = true;
                return;
            }
            t->field = (uint32_t)e->field;
            t->coef = sign;
            x->n++;
        }
        return;
    case EX_ADD:
        lin_add(b, x, k, e->a, sign);
        lin_add(b, x, k, e->b, sign);
        return;
    case EX_SUB:
        lin_add(b, x, k, e->a, sign);
        lin_add(b, x, k, e->b, -sign);
        return;
    case EX_NEG:
        lin_add(b, x, k, e->a, -sign);
        return;
    }
}

static void drop_zero_terms(xb *b, x_node *x)
{
    g_term *t = (g_term *)b->terms.data + x->off;
    uint32_t m = 0;
    for (uint32_t i = 0; i < x->n; i++)
        if (t[i].coef != 0)
            t[m++] = t[i];
    b->terms.len -= x->n - m;
    x->n = m;
}

static uint32_t build(xb *b, const ast_cond *c);

/* Children of an n-ary AND/OR as written: 'a and b and c' is one node with three
 * children, '(a and b) and c' keeps its parentheses (the inner span does not start or
 * end where the outer one does). */
static void gather(xb *b, const ast_cond *c, co_kind k, const ast_cond *top, vec *ids)
{
    /* 'a and b and c ...' nests to the left as deep as it is long: walk that spine
     * without recursing, then take the right sides back in written order */
    vec spine = {0};
    const ast_cond *x = c;
    for (;;) {
        const ast_cond **slot = vec_push(b->tmp, &spine, sizeof *slot);
        if (!slot) {
            b->oom = true;
            return;
        }
        *slot = x;
        if (x->a->kind != k || x->a->at.off != top->at.off)
            break;
        x = x->a;
    }
    push_u32(b, ids, build(b, x->a));
    for (size_t i = spine.len; i-- > 0 && !b->oom;) {
        const ast_cond *r = ((const ast_cond **)spine.data)[i]->b;
        if (r->kind == k && r->at.off + r->at.len == top->at.off + top->at.len)
            gather(b, r, k, top, ids); /* bounded by the parser's nesting limit */
        else
            push_u32(b, ids, build(b, r));
    }
}

static uint32_t build(xb *b, const ast_cond *c)
{
    if (b->oom)
        return 0;
    x_node x = {0};
    x.text = span_text(b, c->at);
    x.file = file_name(b, c->at.file);
    locate(b, c->at, &x.line, &x.col);
    x.owner = b->owner;
    x.foff = (uint32_t)b->flds.len;
    switch (c->kind) {
    case CO_AND:
    case CO_OR: {
        vec ids = {0};
        gather(b, c, c->kind, c, &ids);
        if (b->oom)
            return 0;
        x.kind = c->kind == CO_AND ? X_AND : X_OR;
        x.off = (uint32_t)b->kids.len;
        x.n = (uint32_t)ids.len;
        for (size_t i = 0; i < ids.len; i++)
            push_u32(b, &b->kids, ((const uint32_t *)ids.data)[i]);
        break;
    }
    case CO_NOT: {
        uint32_t kid = build(b, c->a);
        x.kind = X_NOT;
        x.off = (uint32_t)b->kids.len;
        x.n = 1;
        push_u32(b, &b->kids, kid);
        break;
    }
    case CO_CONST:
        x.kind = X_CONST;
        x.bval = c->bval;
        break;
    case CO_NAME:
    case CO_ISBOOL:
    case CO_KNOWN: {
        bool want = c->kind == CO_NAME ? true : c->bval;
        if (c->field >= 0) {
            x.kind = c->kind == CO_KNOWN ? X_KNOWN : X_BOOL;
            x.field = (uint32_t)c->field;
            add_field(b, &x, x.field);
        } else {
            x.kind = c->kind == CO_KNOWN ? X_FACT_DEF : X_FACT;
            x.field = (uint32_t)c->fact;
        }
        x.bval = want;
        break;
    }
    case CO_HAS:
    case CO_IS: {
        const ast_field *f = VEC_AT(b->p->fields, ast_field, (size_t)c->field);
        x.kind = c->kind == CO_IS    ? X_ENUM_IN
                 : c->q == Q_ALL     ? X_SET_ALL
                 : c->q == Q_NONE    ? X_SET_NONE
                                     : X_SET_ANY;
        x.field = (uint32_t)c->field;
        add_field(b, &x, x.field);
        x.off = (uint32_t)b->syms.len;
        for (size_t i = 0; i < c->syms.n; i++) {
            int s = sema_sym_find(f, c->syms.v[i].s);
            if (s >= 0) {
                push_u32(b, &b->syms, (uint32_t)s);
                x.n++;
            }
        }
        break;
    }
    case CO_CMP:
    case CO_BETWEEN: {
        x.kind = c->kind == CO_CMP ? X_CMP : X_BETWEEN;
        x.op = (uint8_t)c->op;
        expr_fields(b, &x, c->lhs);
        expr_fields(b, &x, c->rhs);
        x.off = (uint32_t)b->terms.len;
        double k = 0;
        lin_add(b, &x, &k, c->lhs, 1);
        if (c->kind == CO_CMP) {
            lin_add(b, &x, &k, c->rhs, -1);
            x.k = k;
        } else {
            x.k = k - c->lo->val;
            x.k2 = k - c->hi->val;
        }
        if (!b->oom)
            drop_zero_terms(b, &x);
        break;
    }
    }
    if (b->oom)
        return 0;
    return push_node(b, &x);
}

/* The condition nodes of c (an upper bound on its explain nodes), counted without
 * recursing; false on OOM. */
static bool count_conds(xb *b, const ast_cond *c, vec *todo, size_t *n)
{
    todo->len = 0;
    bool spine = false;
    while (c) {
        *n += !spine; /* 'a and b and c' is one node: gather walks its left spine */
        if (c->b) {
            const ast_cond **t = vec_push(b->tmp, todo, sizeof *t);
            if (!t)
                return false;
            *t = c->b;
        }
        const ast_cond *up = c;
        c = c->a;
        spine = c && (c->kind == CO_AND || c->kind == CO_OR) && c->kind == up->kind &&
                c->at.off == up->at.off;
        if (!c && todo->len) {
            c = ((const ast_cond **)todo->data)[--todo->len];
            spine = false;
        }
    }
    return true;
}

#define COPYV(dst, v, T)                                                                       \
    do {                                                                                       \
        (dst) = arena_alloc(&rs->a, ((v).len + 1) * sizeof(T));                                \
        if (!(dst))                                                                            \
            return false;                                                                      \
        if ((v).len)                                                                           \
            memcpy((dst), (v).data, (v).len * sizeof(T));                                      \
    } while (0)

bool explain_build(mga_ruleset *rs, const ast_program *p, const char *const *file_names,
                   const char *const *texts, const size_t *lens)
{
    xb b = {0};
    b.rs = rs;
    b.p = p;
    b.tmp = p->a;
    b.names = file_names;
    b.texts = texts;
    b.lens = lens;
    explain_data *ex = arena_alloc(&rs->a, sizeof *ex);
    size_t nfiles = 0;
    for (size_t i = 0; i < p->rules.len; i++)
        if (VEC_AT(p->rules, ast_rule, i)->at.file >= nfiles)
            nfiles = VEC_AT(p->rules, ast_rule, i)->at.file + 1;
    for (size_t i = 0; i < p->facts.len; i++)
        if (VEC_AT(p->facts, ast_fact, i)->name.at.file >= nfiles)
            nfiles = VEC_AT(p->facts, ast_fact, i)->name.at.file + 1;
    b.dup_names = arena_alloc(b.tmp, (nfiles + 1) * sizeof *b.dup_names);
    b.loc_file = UINT32_MAX; /* nothing located yet */
    b.line_starts = arena_alloc(b.tmp, (nfiles + 1) * sizeof *b.line_starts);
    if (!ex || !b.dup_names || !b.line_starts)
        return false;
    ex->rule_root = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *ex->rule_root);
    ex->fact_root = arena_alloc(&rs->a, (rs->nfacts + 1) * sizeof *ex->fact_root);
    ex->fact_file = arena_alloc(&rs->a, (rs->nfacts + 1) * sizeof *ex->fact_file);
    ex->fact_line = arena_alloc(&rs->a, (rs->nfacts + 1) * sizeof *ex->fact_line);
    ex->fact_first = arena_alloc(&rs->a, (rs->nfacts + 1) * sizeof *ex->fact_first);
    ex->fact_order = arena_alloc(&rs->a, (rs->nfacts + 1) * sizeof *ex->fact_order);
    if (!ex->rule_root || !ex->fact_root || !ex->fact_file || !ex->fact_line ||
        !ex->fact_first || !ex->fact_order)
        return false;
    for (size_t i = 0; i < rs->nfacts; i++)
        ex->fact_order[i] = p->fact_order ? p->fact_order[i] : (uint32_t)i;
    /* the node array at its final size at once: growing it by doubling would hold twice
     * its size at the peak of compiling a large rule set */
    size_t bound = 0;
    vec todo = {0};
    for (size_t i = 0; i < rs->nfacts; i++)
        if (!count_conds(&b, VEC_AT(p->facts, ast_fact, i)->cond, &todo, &bound))
            return false;
    for (size_t i = 0; i < rs->nrules; i++)
        if (!count_conds(&b, VEC_AT(p->rules, ast_rule, i)->when, &todo, &bound))
            return false;
    /* in the rule set's arena, where the nodes stay: no copy at the end (unless the bound
     * were passed, and the array moved to the scratch arena) */
    x_node *final = bound ? arena_alloc(&rs->a, bound * sizeof(x_node)) : NULL;
    if (bound && !final)
        return false;
    b.nodes.data = final;
    b.nodes.cap = bound;
    for (size_t i = 0; i < rs->nfacts && !b.oom; i++) {
        const ast_fact *f = VEC_AT(p->facts, ast_fact, i);
        unsigned col;
        b.owner = (uint32_t)(rs->nrules + i);
        ex->fact_first[i] = (uint32_t)b.nodes.len;
        ex->fact_root[i] = build(&b, f->cond);
        ex->fact_file[i] = file_name(&b, f->name.at.file);
        locate(&b, f->name.at, &ex->fact_line[i], &col);
    }
    for (size_t i = 0; i < rs->nrules && !b.oom; i++) {
        const ast_rule *r = VEC_AT(p->rules, ast_rule, i);
        b.owner = (uint32_t)i;
        ex->rule_root[i] = r->when ? build(&b, r->when) : NONE_ID;
    }
    if (b.oom)
        return false;
    ex->nnodes = b.nodes.len;
    if (final && b.nodes.data == final)
        ex->nodes = final;
    else
        COPYV(ex->nodes, b.nodes, x_node);
    COPYV(ex->kids, b.kids, uint32_t);
    COPYV(ex->syms, b.syms, uint32_t);
    COPYV(ex->flds, b.flds, uint32_t);
    COPYV(ex->terms, b.terms, g_term);
    rs->explain = ex;
    return true;
}

/* ---- evaluation ---- */

static bool has_sym(const mga_ruleset *rs, const mga_profile *p, uint32_t field, uint32_t s)
{
    const uint64_t *bits = p->bits + rs->fields[field].word;
    return (bits[s / 64] >> (s % 64)) & 1;
}

/* The same test as the graph's linear node (eval.c), through the one comparison of
 * semantics.h. */
static uint8_t lin_test(const explain_data *ex, const x_node *x, const mga_profile *p, double k,
                        int op)
{
    double v = k, mag = fabs(k);
    for (uint32_t i = 0; i < x->n; i++) {
        const g_term *t = &ex->terms[x->off + i];
        if (!p->known[t->field])
            return TV_U;
        double y = t->coef * p->num[t->field];
        v += y;
        mag += fabs(y);
    }
    return tv_of(lin_holds(v, mag, (cmp_op)op));
}

/* The value of node i from its children's, which explain_eval has computed before it. */
static uint8_t kid_val(const uint8_t *val, uint32_t k)
{
    assert(val[k] != V_UNSET);
    return val[k];
}

static uint8_t xval(const mga_ruleset *rs, const mga_profile *p, uint8_t *val, uint32_t i)
{
    const explain_data *ex = rs->explain;
    const x_node *x = &ex->nodes[i];
    uint8_t v = TV_U;
    switch ((x_kind)x->kind) {
    case X_AND:
    case X_OR: {
        uint8_t absorb = x->kind == X_AND ? TV_F : TV_T;
        v = x->kind == X_AND ? TV_T : TV_F;
        for (uint32_t k = 0; k < x->n; k++) {
            uint8_t c = kid_val(val, ex->kids[x->off + k]);
            if (c == absorb)
                v = absorb;
            else if (c == TV_U && v != absorb)
                v = TV_U;
        }
        break;
    }
    case X_NOT: {
        uint8_t c = kid_val(val, ex->kids[x->off]);
        v = tv_not(c);
        break;
    }
    case X_CONST:
        v = tv_of(x->bval);
        break;
    case X_FACT: {
        uint8_t c = kid_val(val, ex->fact_root[x->field]);
        v = c == TV_U ? TV_U : tv_of((c == TV_T) == (x->bval != 0));
        break;
    }
    case X_FACT_DEF:
        v = tv_of((kid_val(val, ex->fact_root[x->field]) != TV_U) == (x->bval != 0));
        break;
    case X_SET_ANY:
    case X_SET_ALL:
    case X_SET_NONE: {
        if (!p->known[x->field])
            break;
        bool any = false, all = true;
        for (uint32_t k = 0; k < x->n; k++) {
            bool h = has_sym(rs, p, x->field, ex->syms[x->off + k]);
            any |= h;
            all &= h;
        }
        v = tv_of(x->kind == X_SET_ANY ? any : x->kind == X_SET_ALL ? all : !any);
        break;
    }
    case X_ENUM_IN: {
        if (!p->known[x->field])
            break;
        uint32_t s = (uint32_t)p->num[x->field];
        v = TV_F;
        for (uint32_t k = 0; k < x->n; k++)
            if (ex->syms[x->off + k] == s)
                v = TV_T;
        break;
    }
    case X_BOOL:
        if (p->known[x->field])
            v = tv_of((p->num[x->field] != 0) == (x->bval != 0));
        break;
    case X_KNOWN:
        v = tv_of((p->known[x->field] != 0) == (x->bval != 0));
        break;
    case X_CMP:
        v = lin_test(ex, x, p, x->k, x->op);
        break;
    case X_BETWEEN: {
        uint8_t lo = lin_test(ex, x, p, x->k, OP_GE), hi = lin_test(ex, x, p, x->k2, OP_LE);
        v = lo == TV_F || hi == TV_F ? TV_F
            : lo == TV_U || hi == TV_U ? TV_U
                                                 : TV_T;
        break;
    }
    }
    return v;
}

/* Children come before their parents within each condition, but a fact may name a fact
 * written after it: the facts' nodes go first, in fact_order, then the rest in order. No
 * recursion, however long a chain of facts. */
void explain_eval(const mga_ruleset *rs, const mga_profile *p, uint8_t *val)
{
    const explain_data *ex = rs->explain;
    memset(val, V_UNSET, ex->nnodes);
    for (size_t k = 0; k < rs->nfacts; k++) {
        uint32_t f = ex->fact_order[k];
        for (uint32_t i = ex->fact_first[f]; i <= ex->fact_root[f]; i++)
            val[i] = xval(rs, p, val, i);
    }
    for (size_t i = 0; i < ex->nnodes; i++)
        if (val[i] == V_UNSET)
            val[i] = xval(rs, p, val, (uint32_t)i);
}

/* The rule's condition as written, evaluated (explain_eval's values in val). */
static uint8_t rule_value(const mga_result *r, const uint8_t *val, size_t rule)
{
    uint32_t root = r->rs->explain->rule_root[rule];
    return root == NONE_ID ? TV_T : val[root];
}

/* ---- writing ---- */

typedef outbuf wr;

static void w_str(wr *w, const char *s)
{
    outbuf_put(w, s, strlen(s));
}

static int w_sink(void *ud, const char *p, size_t n)
{
    outbuf_put(ud, p, n);
    return 0;
}

/* Text from the rules or the profile, in the text form: escaped (textsafe.h). */
static void w_text(wr *w, const char *s)
{
    textsafe_write(w_sink, w, s, strlen(s), 0);
}

static void w_indent(wr *w, unsigned depth)
{
    for (unsigned i = 0; i < depth; i++)
        outbuf_put(w, "  ", 2);
}

static const char *vname(uint8_t v)
{
    return v == TV_T ? "true" : v == TV_F ? "false" : "unknown";
}

/* A field's value as the profile gave it, in the field's declared unit. */
static void w_field_text(wr *w, const mga_ruleset *rs, const mga_profile *p, uint32_t f)
{
    char num[NUM_FMT_SIZE];
    const g_field *g = &rs->fields[f];
    w_text(w, g->name);
    w_str(w, ": ");
    if (!p->known[f]) {
        w_str(w, "field missing");
        return;
    }
    switch (g->type) {
    case FT_TEXT:
        if ((int32_t)f == rs->id_field) {
            const char *q = p->id_number ? "" : "\"";
            w_str(w, q);
            w_text(w, p->id ? p->id : "");
            w_str(w, q);
        } else {
            w_str(w, "given");
        }
        break;
    case FT_BOOL:
        w_str(w, p->num[f] != 0 ? "true" : "false");
        break;
    case FT_NUMBER:
        w_str(w, num_fmt_shown(num, sizeof num, p->num[f] / g->unit_f));
        if (g->unit) {
            w_str(w, " ");
            w_text(w, g->unit);
        }
        break;
    case FT_ENUM:
        w_text(w, g->syms[(size_t)p->num[f]]);
        break;
    case FT_SET: {
        bool any = false;
        for (size_t s = 0; s < g->nsyms; s++)
            if (has_sym(rs, p, f, (uint32_t)s)) {
                w_str(w, any ? ", " : "");
                w_text(w, g->syms[s]);
                any = true;
            }
        if (!any)
            w_str(w, "none");
        break;
    }
    }
}

static void w_field_json(wr *w, const mga_ruleset *rs, const mga_profile *p, uint32_t f)
{
    char num[NUM_FMT_SIZE];
    const g_field *g = &rs->fields[f];
    json_str(w, g->name);
    outbuf_put(w, ":", 1);
    if (!p->known[f]) {
        w_str(w, "null");
        return;
    }
    switch (g->type) {
    case FT_TEXT:
        if ((int32_t)f == rs->id_field)
            json_id(w, p->id ? p->id : "", p->id_number);
        else
            w_str(w, "true"); /* given; only the id's text is kept */
        break;
    case FT_BOOL:
        w_str(w, p->num[f] != 0 ? "true" : "false");
        break;
    case FT_NUMBER:
        outbuf_printf(w, "{\"value\":%s,\"unit\":", num_fmt(num, sizeof num, p->num[f] / g->unit_f));
        json_str(w, g->unit);
        outbuf_put(w, "}", 1);
        break;
    case FT_ENUM:
        json_str(w, g->syms[(size_t)p->num[f]]);
        break;
    case FT_SET: {
        outbuf_put(w, "[", 1);
        bool any = false;
        for (size_t s = 0; s < g->nsyms; s++)
            if (has_sym(rs, p, f, (uint32_t)s)) {
                if (any)
                    outbuf_put(w, ",", 1);
                json_str(w, g->syms[s]);
                any = true;
            }
        outbuf_put(w, "]", 1);
        break;
    }
    }
}

/* Fact expansions nest at most this deep (indentation levels); a fact named deeper is
 * shown with its value but not expanded, so that a chain of facts as long as the file
 * gives output linear in its length, and the writers' recursion stays shallow. */
#define X_MAX_DEPTH 64
#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)

typedef struct xctx {
    const mga_result *r;
    const explain_data *ex;
    const uint8_t *val;
    wr *w;
    bool json;
    /* per fact, the number of its expansion in this explanation, 0 while not shown: a fact
     * shown already is referenced, not expanded again, so output is linear in the graph
     * (tree: the whole condition; blame: the parts that decided it) */
    uint32_t *tree_id, *blame_id;
    uint32_t next_id;
} xctx;

static bool is_compound(const x_node *x)
{
    return x->kind == X_AND || x->kind == X_OR || x->kind == X_NOT;
}

/* How a fact reference is followed: expanded (numbered id), a reference to expansion id
 * shown above, or not expanded because it is too deep. */
typedef enum fact_show { FS_EXPAND, FS_REF, FS_DEEP } fact_show;

static fact_show fact_plan(xctx *c, uint32_t *ids, uint32_t fact, unsigned depth, uint32_t *id)
{
    if (ids[fact]) {
        *id = ids[fact];
        return FS_REF;
    }
    if (depth >= X_MAX_DEPTH)
        return FS_DEEP;
    *id = ids[fact] = ++c->next_id;
    return FS_EXPAND;
}

/* After a fact's head (JSON, object open): how its expansion follows. */
static void fact_json(xctx *c, fact_show how, uint32_t id)
{
    if (how == FS_REF)
        outbuf_printf(c->w, ",\"ref\":%u", id);
    else if (how == FS_DEEP)
        w_str(c->w, ",\"too_deep\":true");
    else
        outbuf_printf(c->w, ",\"id\":%u", id);
}

/* One condition line (text) or the opening of its object (JSON, left open). For a fact,
 * how says whether it is expanded below. */
static void node_head(xctx *c, uint32_t i, unsigned depth, fact_show how)
{
    const x_node *x = &c->ex->nodes[i];
    const mga_ruleset *rs = c->r->rs;
    wr *w = c->w;
    if (c->json) {
        w_str(w, "{\"cond\":");
        json_str(w, x->text);
        outbuf_printf(w, ",\"value\":\"%s\",\"at\":", vname(c->val[i]));
        char at[300];
        snprintf(at, sizeof at, "%s:%u:%u", x->file, x->line, x->col);
        json_str(w, at);
        if (x->nfld) {
            w_str(w, ",\"fields\":{");
            for (uint32_t k = 0; k < x->nfld; k++) {
                if (k)
                    outbuf_put(w, ",", 1);
                w_field_json(w, rs, c->r->p, c->ex->flds[x->foff + k]);
            }
            outbuf_put(w, "}", 1);
        }
        if (x->kind == X_FACT || x->kind == X_FACT_DEF) {
            w_str(w, ",\"fact\":");
            json_str(w, rs->facts[x->field].name);
        }
        return;
    }
    w_indent(w, depth);
    outbuf_printf(w, "%-7s ", vname(c->val[i]));
    w_text(w, x->text);
    if (x->nfld) {
        w_str(w, "  (");
        for (uint32_t k = 0; k < x->nfld; k++) {
            if (k)
                w_str(w, "; ");
            w_field_text(w, rs, c->r->p, c->ex->flds[x->foff + k]);
        }
        outbuf_put(w, ")", 1);
    }
    if (x->kind == X_FACT || x->kind == X_FACT_DEF) {
        w_str(w, "  (fact ");
        w_text(w, rs->facts[x->field].name);
        w_str(w, ", ");
        w_text(w, c->ex->fact_file[x->field]);
        outbuf_printf(w, ":%u%s)", c->ex->fact_line[x->field],
                      how == FS_REF    ? "; shown above"
                      : how == FS_DEEP ? "; not expanded: deeper than " XSTR(X_MAX_DEPTH) " levels"
                                       : "");
    }
    outbuf_put(w, "\n", 1);
}

/* The whole tree under node i, facts expanded under their references. */
static void node_tree(xctx *c, uint32_t i, unsigned depth)
{
    const x_node *x = &c->ex->nodes[i];
    bool fact = x->kind == X_FACT || x->kind == X_FACT_DEF;
    uint32_t id = 0;
    fact_show how = fact ? fact_plan(c, c->tree_id, x->field, depth, &id) : FS_EXPAND;
    node_head(c, i, depth, how);
    if (fact && c->json)
        fact_json(c, how, id);
    if (fact && how != FS_EXPAND) {
        /* referenced or too deep: the head says so */
    } else if (is_compound(x)) {
        if (c->json)
            outbuf_printf(c->w, ",\"op\":\"%s\",\"args\":[",
                     x->kind == X_AND ? "and" : x->kind == X_OR ? "or" : "not");
        for (uint32_t k = 0; k < x->n; k++) {
            if (c->json && k)
                outbuf_put(c->w, ",", 1);
            node_tree(c, c->ex->kids[x->off + k], depth + 1);
        }
        if (c->json)
            outbuf_put(c->w, "]", 1);
    } else if (x->kind == X_FACT || x->kind == X_FACT_DEF) {
        if (c->json)
            w_str(c->w, ",\"fact_when\":");
        node_tree(c, c->ex->fact_root[x->field], depth + 1);
    }
    if (c->json)
        outbuf_put(c->w, "}", 1);
}

/* Why node i has its value, briefly: a false 'and' by its first false part, a false 'or'
 * by every alternative, a fact by its own condition; tests are shown with the values
 * they read. Compound conditions on the way are not printed, except 'not'. */
static void node_blame(xctx *c, uint32_t i, unsigned depth, bool *first)
{
    const x_node *x = &c->ex->nodes[i];
    uint8_t v = c->val[i];
    if (x->kind == X_AND || x->kind == X_OR) {
        /* the parts that decide: the first part with the absorbing value (false for 'and',
         * true for 'or'), else every part with the value v */
        bool all = v != (x->kind == X_AND ? TV_F : TV_T);
        for (uint32_t k = 0; k < x->n; k++) {
            uint32_t kid = c->ex->kids[x->off + k];
            if (c->val[kid] != v)
                continue;
            node_blame(c, kid, depth, first);
            if (!all)
                break;
        }
        return;
    }
    if (c->json && !*first)
        outbuf_put(c->w, ",", 1);
    *first = false;
    bool fact = x->kind == X_FACT || x->kind == X_FACT_DEF;
    uint32_t id = 0;
    fact_show how = fact ? fact_plan(c, c->blame_id, x->field, depth, &id) : FS_EXPAND;
    node_head(c, i, depth, how);
    if (fact && c->json)
        fact_json(c, how, id);
    if (how == FS_EXPAND && (x->kind == X_NOT || fact)) {
        bool sub_first = true;
        if (c->json)
            w_str(c->w, ",\"because\":[");
        uint32_t sub = x->kind == X_NOT ? c->ex->kids[x->off] : c->ex->fact_root[x->field];
        node_blame(c, sub, depth + 1, &sub_first);
        if (c->json)
            outbuf_put(c->w, "]", 1);
    }
    if (c->json)
        outbuf_put(c->w, "}", 1);
}

/* What the overruling rule did: the reason in its own terms. */
static const char *by_text(const mga_result *r, const res_over *o, char *buf, size_t n)
{
    char mg[NUM_FMT_SIZE];
    const g_rule *g = &r->rs->rules[o->by];
    if (g->avoid_supplements)
        snprintf(buf, n, "avoid supplements");
    else if (g->withhold_supplements)
        snprintf(buf, n, "withhold supplements: ask a doctor first");
    else if (o->what == OV_PREFER)
        snprintf(buf, n, "avoid %s", r->rs->forms[o->form]);
    else if (g->has_max)
        snprintf(buf, n, "max %s mg", num_fmt(mg, sizeof mg, g->max));
    else
        snprintf(buf, n, "%s", mga_kind_str((mga_kind)g->kind));
    return buf;
}

static void rule_head_text(xctx *c, size_t ri)
{
    const g_rule *g = &c->r->rs->rules[ri];
    w_text(c->w, g->id);
    outbuf_printf(c->w, "  (%s, %s, ", mga_severity_str((mga_severity)g->severity),
                  mga_kind_str((mga_kind)g->kind));
    w_text(c->w, g->file);
    outbuf_printf(c->w, ":%u)\n", g->line);
}

static void rule_head_json(xctx *c, size_t ri)
{
    const g_rule *g = &c->r->rs->rules[ri];
    w_str(c->w, "{\"rule\":");
    json_str(c->w, g->id);
    outbuf_printf(c->w, ",\"severity\":\"%s\",\"kind\":\"%s\",\"file\":",
             mga_severity_str((mga_severity)g->severity), mga_kind_str((mga_kind)g->kind));
    json_str(c->w, g->file);
    outbuf_printf(c->w, ",\"line\":%u", g->line);
}

static void rule_when(xctx *c, size_t ri, unsigned depth)
{
    uint32_t root = c->ex->rule_root[ri];
    if (c->json) {
        w_str(c->w, ",\"when\":");
        if (root == NONE_ID)
            w_str(c->w, "null");
        else
            node_tree(c, root, depth);
        return;
    }
    if (root == NONE_ID) {
        w_indent(c->w, depth);
        w_str(c->w, "true    (no 'when': the rule always applies)\n");
    } else {
        node_tree(c, root, depth);
    }
}

static void rule_whynot(xctx *c, size_t ri, unsigned depth)
{
    bool first = true;
    if (c->json)
        w_str(c->w, ",\"failed\":[");
    node_blame(c, c->ex->rule_root[ri], depth, &first);
    if (c->json)
        outbuf_put(c->w, "]", 1);
}

static bool in_advice(const mga_result *r, size_t ri)
{
    for (size_t i = 0; i < r->nadvice; i++)
        if (r->advice_rule[i] == ri)
            return true;
    return false;
}

static void overruled(xctx *c, long only, bool *any)
{
    char what[80], by[80];
    for (size_t i = 0; i < c->r->nover; i++) {
        const res_over *o = &c->r->over[i];
        if (only >= 0 && o->rule != (uint32_t)only)
            continue;
        const char *rid = c->r->rs->rules[o->rule].id, *bid = c->r->rs->rules[o->by].id;
        eval_over_what(c->r, o, what, sizeof what);
        by_text(c->r, o, by, sizeof by);
        if (c->json) {
            if (*any)
                outbuf_put(c->w, ",", 1);
            w_str(c->w, "{\"rule\":");
            json_str(c->w, rid);
            w_str(c->w, ",\"what\":");
            json_str(c->w, what);
            w_str(c->w, ",\"by\":");
            json_str(c->w, bid);
            w_str(c->w, ",\"because\":");
            json_str(c->w, by);
            outbuf_put(c->w, "}", 1);
        } else {
            w_str(c->w, "  ");
            w_text(c->w, rid);
            w_str(c->w, ": ");
            w_text(c->w, what);
            w_str(c->w, ", overruled by ");
            w_text(c->w, bid);
            w_str(c->w, " (");
            w_text(c->w, by);
            w_str(c->w, ")\n");
        }
        *any = true;
    }
}

static void write_all(xctx *c, const uint8_t *val)
{
    const mga_result *r = c->r;
    const mga_ruleset *rs = r->rs;
    wr *w = c->w;
    bool any = false;
    if (c->json) {
        w_str(w, "{\"id\":");
        json_id(w, r->p->id, r->p->id_number);
        w_str(w, ",\"ruleset\":{\"name\":");
        json_str(w, rs->name);
        w_str(w, ",\"hash\":");
        json_str(w, rs->hash);
        w_str(w, "},\"advice\":[");
    } else {
        w_str(w, "explain: profile ");
        if (r->p->id) {
            w_str(w, "'");
            w_text(w, r->p->id);
            w_str(w, "'");
        } else {
            w_str(w, "without id");
        }
        w_str(w, ", ruleset ");
        w_text(w, rs->name ? rs->name : "unnamed");
        w_str(w, " (");
        w_text(w, rs->hash);
        w_str(w, ")\n\n");
        outbuf_printf(w, "advice (%zu item%s, each with the condition that made it apply)\n",
                 r->nadvice, r->nadvice == 1 ? "" : "s");
    }
    for (size_t i = 0; i < r->nadvice; i++) {
        size_t ri = r->advice_rule[i];
        if (c->json) {
            if (i)
                outbuf_put(w, ",", 1);
            rule_head_json(c, ri);
            rule_when(c, ri, 0);
            outbuf_put(w, "}", 1);
        } else {
            w_str(w, "\n");
            rule_head_text(c, ri);
            rule_when(c, ri, 1);
        }
    }
    if (c->json)
        w_str(w, "],\"overruled\":[");
    else
        w_str(w, "\noverruled in resolution\n");
    overruled(c, -1, &any);
    if (!c->json && !any)
        w_str(w, "  nothing\n");
    /* rules that fired but whose whole item resolution withheld: why they fired */
    if (c->json)
        w_str(w, "],\"withheld\":[");
    bool anyw = false;
    for (size_t k = 0; k < rs->nrules; k++) {
        size_t ri = rs->order[k];
        if (rule_value(r, val, ri) != TV_T || in_advice(r, ri))
            continue;
        if (c->json) {
            if (anyw)
                outbuf_put(w, ",", 1);
            rule_head_json(c, ri);
            rule_when(c, ri, 0);
            outbuf_put(w, "}", 1);
        } else {
            w_str(w, anyw ? "\n" : "\nfired, but withheld by resolution\n\n");
            rule_head_text(c, ri);
            rule_when(c, ri, 1);
        }
        anyw = true;
    }
    if (c->json)
        w_str(w, "],\"not_fired\":[");
    else
        w_str(w, "\nnot fired (the first condition that failed)\n");
    any = false;
    for (size_t k = 0; k < rs->nrules; k++) {
        size_t ri = rs->order[k];
        if (rule_value(r, val, ri) == TV_T)
            continue;
        if (c->json) {
            if (any)
                outbuf_put(w, ",", 1);
            rule_head_json(c, ri);
            outbuf_printf(w, ",\"value\":\"%s\"", vname(val[c->ex->rule_root[ri]]));
            rule_whynot(c, ri, 0);
            outbuf_put(w, "}", 1);
        } else {
            outbuf_printf(w, "\n%s: ", vname(val[c->ex->rule_root[ri]]));
            rule_head_text(c, ri);
            rule_whynot(c, ri, 1);
        }
        any = true;
    }
    if (!c->json && !any)
        w_str(w, "  none: every rule fired\n");
    w_str(w, c->json ? "]}\n" : "");
}

static void write_one(xctx *c, const uint8_t *val, size_t ri)
{
    const mga_result *r = c->r;
    uint8_t v = rule_value(r, val, ri);
    bool adv = in_advice(r, ri), any = false;
    const char *status = v != TV_T ? "not fired" : adv ? "advice" : "overruled";
    if (c->json) {
        w_str(c->w, "{\"id\":");
        json_id(c->w, r->p->id, r->p->id_number);
        w_str(c->w, ",\"rule\":");
        rule_head_json(c, ri);
        outbuf_printf(c->w, ",\"status\":\"%s\",\"value\":\"%s\"", status, vname(v));
        rule_when(c, ri, 0);
        if (v != TV_T)
            rule_whynot(c, ri, 0);
        w_str(c->w, ",\"overruled\":[");
        overruled(c, (long)ri, &any);
        w_str(c->w, "]}}\n");
        return;
    }
    rule_head_text(c, ri);
    outbuf_printf(c->w, "status: %s\n\ncondition\n", status);
    rule_when(c, ri, 1);
    if (v != TV_T) {
        w_str(c->w, "\nfirst condition that failed\n");
        rule_whynot(c, ri, 1);
    }
    w_str(c->w, "\noverruled in resolution\n");
    overruled(c, (long)ri, &any);
    if (!any)
        w_str(c->w, "  nothing\n");
}

static int rule_index(const mga_ruleset *rs, const char *id)
{
    for (size_t i = 0; i < rs->nrules; i++)
        if (strcmp(rs->rules[i].id, id) == 0)
            return (int)i;
    return -1;
}

mga_status mga_result_explain_write(const mga_result *r, const char *rule, mga_format fmt,
                                    mga_write_fn fn, void *ud)
{
    if (!r || !fn || (fmt != MGA_FORMAT_TEXT && fmt != MGA_FORMAT_JSON))
        return MGA_E_MISUSE;
    const mga_ruleset *rs = r->rs;
    int ri = rule ? rule_index(rs, rule) : -1;
    if (rule && ri < 0)
        return MGA_E_INVALID;
    uint8_t *val = mem_alloc(&r->m, rs->explain->nnodes + 1);
    if (!val)
        return MGA_E_NOMEM;
    explain_eval(rs, r->p, val);
    size_t idsz = 2 * (rs->nfacts + 1) * sizeof(uint32_t);
    uint32_t *ids = mem_alloc(&r->m, idsz);
    if (!ids) {
        mem_free(&r->m, val, rs->explain->nnodes + 1);
        return MGA_E_NOMEM;
    }
    memset(ids, 0, idsz);
    wr w = {&r->m, {0}, false};
    xctx c = {r, rs->explain, val, &w, fmt == MGA_FORMAT_JSON, ids, ids + rs->nfacts + 1, 0};
    if (ri >= 0)
        write_one(&c, val, (size_t)ri);
    else
        write_all(&c, val);
    mem_free(&r->m, ids, idsz);
    mem_free(&r->m, val, rs->explain->nnodes + 1);
    mga_status st = MGA_OK;
    if (w.oom)
        st = MGA_E_NOMEM;
    else if (w.b.len && fn(ud, w.b.p, w.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&r->m, &w.b);
    return st;
}

/* ---- coverage ---- */

struct mga_coverage {
    mem m;
    const mga_ruleset *rs;
    size_t nresults;
    size_t *fired; /* per rule */
    uint8_t *seen; /* per explain node: 1 seen true, 2 seen false */
    size_t size;
};

mga_status mga_coverage_new(const mga_ruleset *rs, mga_coverage **out)
{
    if (out)
        *out = NULL;
    if (!rs || !out)
        return MGA_E_MISUSE;
    size_t nn = rs->explain->nnodes, nr = rs->nrules;
    size_t size = sizeof(mga_coverage) + (nr + 1) * sizeof(size_t) + nn + 1;
    unsigned char *blk = mem_alloc(&rs->m, size);
    if (!blk)
        return MGA_E_NOMEM;
    memset(blk, 0, size);
    mga_coverage *cov = (mga_coverage *)blk;
    cov->m = rs->m;
    cov->rs = rs;
    cov->size = size;
    cov->fired = (size_t *)(blk + sizeof *cov);
    cov->seen = blk + sizeof *cov + (nr + 1) * sizeof(size_t);
    *out = cov;
    return MGA_OK;
}

void mga_coverage_free(mga_coverage *cov)
{
    if (!cov)
        return;
    mem m = cov->m;
    mem_free(&m, cov, cov->size);
}

mga_status mga_coverage_add(mga_coverage *cov, const mga_result *r)
{
    if (!cov || !r || r->rs != cov->rs)
        return MGA_E_MISUSE;
    const mga_ruleset *rs = cov->rs;
    uint8_t *val = mem_alloc(&cov->m, rs->explain->nnodes + 1);
    if (!val)
        return MGA_E_NOMEM;
    explain_eval(rs, r->p, val);
    for (size_t i = 0; i < rs->explain->nnodes; i++)
        cov->seen[i] |= val[i] == TV_T ? 1 : val[i] == TV_F ? 2 : 0;
    for (size_t i = 0; i < rs->nrules; i++)
        if (rule_value(r, val, i) == TV_T)
            cov->fired[i]++;
    cov->nresults++;
    mem_free(&cov->m, val, rs->explain->nnodes + 1);
    return MGA_OK;
}

size_t mga_coverage_rules_fired(const mga_coverage *cov)
{
    size_t n = 0;
    for (size_t i = 0; cov && i < cov->rs->nrules; i++)
        n += cov->fired[i] != 0;
    return n;
}

double mga_coverage_percent(const mga_coverage *cov)
{
    if (!cov || cov->rs->nrules == 0)
        return 100.0;
    return 100.0 * (double)mga_coverage_rules_fired(cov) / (double)cov->rs->nrules;
}

/* Tests counted for condition coverage: the leaves of the written trees (each field test
 * and fact reference), not the 'and'/'or'/'not' around them nor literal true/false. */
static bool counted(const x_node *x)
{
    return !is_compound(x) && x->kind != X_CONST;
}

static const char *owner_name(const mga_ruleset *rs, const x_node *x, const char **what)
{
    if (x->owner < rs->nrules) {
        *what = "rule";
        return rs->rules[x->owner].id;
    }
    *what = "fact";
    return rs->facts[x->owner - rs->nrules].name;
}

mga_status mga_coverage_write(const mga_coverage *cov, mga_write_fn fn, void *ud)
{
    if (!cov || !fn)
        return MGA_E_MISUSE;
    const mga_ruleset *rs = cov->rs;
    const explain_data *ex = rs->explain;
    wr w = {&cov->m, {0}, false};
    size_t fired = mga_coverage_rules_fired(cov), nconds = 0, both = 0;
    for (size_t i = 0; i < ex->nnodes; i++)
        if (counted(&ex->nodes[i])) {
            nconds++;
            both += cov->seen[i] == 3;
        }
    outbuf_printf(&w, "coverage: %zu of %zu rules fired (%.1f%%) over %zu profiles; %zu of %zu "
                 "conditions seen both true and false\n",
             fired, rs->nrules, mga_coverage_percent(cov), cov->nresults, both, nconds);
    w_str(&w, "rules no test fires:");
    if (fired == rs->nrules)
        w_str(&w, " none");
    w_str(&w, "\n");
    for (size_t i = 0; i < rs->nrules; i++)
        if (!cov->fired[i]) {
            w_str(&w, "  ");
            w_text(&w, rs->rules[i].file);
            outbuf_printf(&w, ":%u: ", rs->rules[i].line);
            w_text(&w, rs->rules[i].id);
            w_str(&w, "\n");
        }
    for (int pass = 0; pass < 2; pass++) {
        uint8_t bit = pass == 0 ? 1 : 2;
        size_t n = 0;
        for (size_t i = 0; i < ex->nnodes; i++)
            n += counted(&ex->nodes[i]) && !(cov->seen[i] & bit);
        outbuf_printf(&w, "conditions never seen %s: %zu\n", pass == 0 ? "true" : "false", n);
        for (size_t i = 0; i < ex->nnodes; i++) {
            const x_node *x = &ex->nodes[i];
            if (!counted(x) || (cov->seen[i] & bit))
                continue;
            const char *what;
            const char *name = owner_name(rs, x, &what);
            w_str(&w, "  ");
            w_text(&w, x->file);
            outbuf_printf(&w, ":%u:%u: %s ", x->line, x->col, what);
            w_text(&w, name);
            w_str(&w, ": ");
            w_text(&w, x->text);
            w_str(&w, "\n");
        }
    }
    mga_status st = MGA_OK;
    if (w.oom)
        st = MGA_E_NOMEM;
    else if (w.b.len && fn(ud, w.b.p, w.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&cov->m, &w.b);
    return st;
}

bool explain_rule_why(const mga_result *r, size_t rule, unsigned depth, membuf *out)
{
    const mga_ruleset *rs = r->rs;
    uint32_t root = rs->explain->rule_root[rule];
    if (root == NONE_ID)
        return true;
    uint8_t *val = mem_alloc(&r->m, rs->explain->nnodes + 1);
    if (!val)
        return false;
    size_t idsz = (rs->nfacts + 1) * sizeof(uint32_t);
    uint32_t *ids = mem_alloc(&r->m, idsz);
    if (!ids) {
        mem_free(&r->m, val, rs->explain->nnodes + 1);
        return false;
    }
    memset(ids, 0, idsz);
    explain_eval(rs, r->p, val);
    wr w = {&r->m, *out, false};
    xctx c = {r, rs->explain, val, &w, false, NULL, ids, 0};
    bool first = true;
    node_blame(&c, root, depth, &first);
    *out = w.b;
    mem_free(&r->m, ids, idsz);
    mem_free(&r->m, val, rs->explain->nnodes + 1);
    return !w.oom;
}
