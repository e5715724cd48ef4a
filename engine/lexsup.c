/* SPDX-License-Identifier: MIT */
/* Pass 1, parse: the support the generated scanner calls: spans, string literals, the
 * scanner's blocks, keywords, identifiers and numbers as the parser's tokens. */
#include "grammar.h"
#include "parser.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
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
    {"fact", K_FACT},       {"false", K_FALSE},     {"fhir", K_FHIR},       {"file", K_FILE},
    {"forms", K_FORMS},     {"from", K_FROM},     {"has", K_HAS},         {"inform", K_INFORM},   {"invariant", K_INVARIANT},
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

/* s (n bytes, no NUL among them) against the keyword k, in strcmp's order; compared
 * inline: lex_keyword runs for every name of every rule file. */
static int kw_cmp(const char *s, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s[i], c = (unsigned char)k[i];
        if (a != c)
            return a < c ? -1 : 1; /* k ending first ('\0') orders before s */
    }
    return k[n] ? -1 : 0;
}

int lex_keyword(const char *s, size_t n)
{
    if (n > LEX_KEYWORD_MAX) /* most names: rule ids, fields, symbols */
        return 0;
    for (size_t i = 0; i < sizeof test_keywords / sizeof test_keywords[0]; i++)
        if (kw_cmp(s, n, test_keywords[i].s) == 0)
            return test_keywords[i].tok;
    size_t lo = 0, hi = sizeof keywords / sizeof keywords[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = kw_cmp(s, n, keywords[mid].s);
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

