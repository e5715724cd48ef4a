/* SPDX-License-Identifier: MIT */
/* Pass 1, parse: drives the generated scanner and parser over one source, validates the
 * encoding first, and builds declarations for the grammar actions. */
#include "parse.h"
#include "utf8.h"
#include "parser.h"
#define YYSTYPE MGA_YYSTYPE
#define YYLTYPE MGA_YYLTYPE
#include "lexer.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- scanner support ---- */

void lex_span(struct parse_ctx *ctx, ast_span *loc, size_t n)
{
    loc->file = ctx->file;
    loc->off = (uint32_t)ctx->pos;
    loc->len = (uint32_t)n;
    ctx->pos += n;
}

void lex_track(struct parse_ctx *ctx, void *old, void *p)
{
    for (size_t i = 0; old && i < ctx->nblocks; i++)
        if (ctx->blocks[i] == old) {
            if (p)
                ctx->blocks[i] = p;
            else
                ctx->blocks[i] = ctx->blocks[--ctx->nblocks];
            return;
        }
    if (p && ctx->nblocks < sizeof ctx->blocks / sizeof ctx->blocks[0])
        ctx->blocks[ctx->nblocks++] = p; /* flex holds three: scanner, stack, buffer */
}

_Noreturn void lex_fatal(struct parse_ctx *ctx, const char *msg)
{
    (void)msg; /* flex's fatal errors are allocation failures or input buffer overflows */
    ctx->oom = true;
    longjmp(ctx->fatal, 1);
}

bool lex_sbuf_add(struct parse_ctx *ctx, const char *p, size_t n)
{
    if (ctx->sbuf.len + n > MAX_STRING + 1) { /* + 1: the terminating NUL */
        if (!ctx->slong)
            diag_add(ctx->d, DIAG_TOKEN_LEN, ctx->dsrc, ctx->sstart, 1, "a string",
                     (unsigned)MAX_STRING);
        ctx->slong = true;
        return true;
    }
    if (!membuf_add(ctx->m, &ctx->sbuf, p, n)) {
        ctx->oom = true;
        return false;
    }
    return true;
}

static const struct {
    const char *s;
    int tok;
} keywords[] = {
    {"all", K_ALL},         {"and", K_AND},         {"any", K_ANY},
    {"author", K_AUTHOR},   {"avoid", K_AVOID},     {"base", K_BASE},
    {"between", K_BETWEEN}, {"boolean", K_BOOLEAN}, {"cite", K_CITE},
    {"dimension", K_DIMENSION}, {"disagree", K_DISAGREE}, {"disclaimer", K_DISCLAIMER},
    {"dose", K_DOSE},       {"end", K_END},         {"evidence", K_EVIDENCE}, {"expect", K_EXPECT},
    {"fact", K_FACT},       {"false", K_FALSE},     {"file", K_FILE},
    {"forms", K_FORMS},     {"has", K_HAS},         {"inform", K_INFORM},   {"invariant", K_INVARIANT},
    {"is", K_IS},           {"known", K_KNOWN},     {"max", K_MAX},
    {"missing", K_MISSING}, {"none", K_NONE},       {"not", K_NOT},
    {"number", K_NUMBER},   {"of", K_OF},           {"one", K_ONE},
    {"or", K_OR},           {"precedence", K_PRECEDENCE},
    {"prefer", K_PREFER},   {"presumes", K_PRESUMES}, {"profile", K_PROFILE},
    {"publisher", K_PUBLISHER}, {"quote", K_QUOTE}, {"range", K_RANGE},
    {"ref", K_REF},         {"refer", K_REFER},     {"rule", K_RULE},
    {"ruleset", K_RULESET}, {"say", K_SAY},         {"set", K_SET},
    {"severity", K_SEVERITY}, {"source", K_SOURCE}, {"start", K_START},
    {"supplements", K_SUPPLEMENTS}, {"target", K_TARGET}, {"text", K_TEXT},
    {"then", K_THEN},       {"true", K_TRUE},       {"unit", K_UNIT},
    {"unmarked", K_UNMARKED},
    {"url", K_URL},         {"warn", K_WARN},       {"when", K_WHEN},
    {"withhold", K_WITHHOLD},
};

/* The words of rule tests (*.mgt), reserved in rule files too ("expect" is above). */
static const struct {
    const char *s;
    int tok;
} test_keywords[] = {
    {"given", K_GIVEN}, {"no", K_NO}, {"test", K_TEST},
};

int lex_keyword(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof test_keywords / sizeof test_keywords[0]; i++)
        if (strncmp(s, test_keywords[i].s, n) == 0 && test_keywords[i].s[n] == '\0')
            return test_keywords[i].tok;
    size_t lo = 0, hi = sizeof keywords / sizeof keywords[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(s, keywords[mid].s, n);
        if (c == 0 && keywords[mid].s[n] != '\0')
            c = -1;
        if (c == 0)
            return keywords[mid].tok;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

#define MAX_IDENT 128

int lex_ident(struct parse_ctx *ctx, void *lval, const ast_span *loc, const char *s, size_t n,
              int token)
{
    MGA_YYSTYPE *v = lval;
    if (token == IDENT) {
        int kw = lex_keyword(s, n);
        if (kw)
            return kw;
    }
    if (n > MAX_IDENT) {
        diag_add(ctx->d, DIAG_TOKEN_LEN, ctx->dsrc, loc->off, loc->len, "a name",
                 (unsigned)MAX_IDENT);
        n = MAX_IDENT;
    }
    v->name.s = arena_strndup(ctx->a, s, n);
    v->name.at = *loc;
    if (token == FIELDNAME)
        v->name.at.len = (uint32_t)n;
    if (!v->name.s) {
        ctx->oom = true;
        return MGA_YYerror;
    }
    return token;
}

int lex_number(struct parse_ctx *ctx, void *lval, const ast_span *loc, const char *s, size_t n)
{
    MGA_YYSTYPE *v = lval;
    char buf[64];
    if (n >= sizeof buf) {
        diag_add(ctx->d, DIAG_TOKEN_LEN, ctx->dsrc, loc->off, loc->len, "a number",
                 (unsigned)(sizeof buf - 1));
        v->num = 0;
        return NUM;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    if (errno == ERANGE || !isfinite(d)) {
        diag_add(ctx->d, DIAG_LEX_NUMBER, ctx->dsrc, loc->off, loc->len, buf);
        d = 0;
    }
    v->num = d;
    return NUM;
}

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

/* ---- driver ---- */

/* Runs the scanner over text (after encoding checks): the parser when fn is NULL, else a
 * plain token loop that hands every token to fn. Returns false on OOM. */
static bool scan_source(struct parse_ctx *ctx, lex_token_fn fn, void *ud)
{
    const char *text = ctx->text;
    size_t len = ctx->len;
    mga_diags *d = ctx->d;
    bool nul;
    size_t bad = utf8_check((const unsigned char *)text, len, &nul);
    if (bad < len) {
        if (nul)
            diag_add(d, DIAG_LEX_NUL, ctx->dsrc, bad, 1);
        else
            diag_add(d, DIAG_LEX_UTF8, ctx->dsrc, bad, 1, (unsigned)(unsigned char)text[bad]);
        return !d->oom;
    }
    size_t start = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        start = 3; /* a byte-order mark is allowed and skipped */
    ctx->pos = start;

    /* The scan buffer is ours, not yy_scan_bytes's: flex's fatal error (a longjmp) after
     * that function's own copy was made would leak the copy. flex needs two NULs at its
     * end; the text has none inside (utf8_check). */
    size_t n = len - start;
    char *buf = mem_alloc(ctx->m, n + 2);
    if (!buf)
        return false;
    memcpy(buf, text + start, n);
    buf[n] = buf[n + 1] = '\0';
    yyscan_t scanner = NULL;
    if (mga_yylex_init_extra(ctx, &scanner) != 0) {
        mem_free(ctx->m, buf, n + 2);
        return false;
    }
    volatile bool ok = true;
    if (setjmp(ctx->fatal) == 0) {
        YY_BUFFER_STATE b = mga_yy_scan_buffer(buf, n + 2, scanner);
        if (b && !fn && mga_yyparse(scanner, ctx) == 2 && ctx->oom)
            ok = false;
        while (b && fn && ok) {
            MGA_YYSTYPE val;
            MGA_YYLTYPE loc = {0, 0, 0};
            int tok = mga_yylex(&val, &loc, scanner);
            if (tok == MGA_YYEOF)
                break;
            if (tok == MGA_YYerror || !fn(ud, tok, loc.off, loc.len))
                ok = false;
        }
    } else {
        ok = false;
    }
    mga_yylex_destroy(scanner);
    while (ctx->nblocks) /* only after a fatal error: blocks flex had not yet recorded */
        mem_hfree(ctx->m, ctx->blocks[--ctx->nblocks]);
    mem_free(ctx->m, buf, n + 2);
    membuf_free(ctx->m, &ctx->sbuf);
    if (ctx->oom || d->oom)
        ok = false;
    return ok;
}

bool parse_source(ast_program *prog, mga_diags *d, int dsrc, uint32_t file, const char *text,
                  size_t len)
{
    struct parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.prog = prog;
    ctx.a = prog->a;
    ctx.m = d->a.m;
    ctx.d = d;
    ctx.dsrc = dsrc;
    ctx.file = file;
    ctx.text = text;
    ctx.len = len;
    return scan_source(&ctx, NULL, NULL);
}

bool lex_tokens(mga_diags *d, int dsrc, const char *text, size_t len, lex_token_fn fn, void *ud)
{
    struct parse_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    arena a;
    arena_init(&a, d->a.m);
    ctx.a = &a;
    ctx.m = d->a.m;
    ctx.d = d;
    ctx.dsrc = dsrc;
    ctx.text = text;
    ctx.len = len;
    bool ok = scan_source(&ctx, fn, ud);
    arena_free(&a);
    return ok;
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
