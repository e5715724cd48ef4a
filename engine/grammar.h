/* SPDX-License-Identifier: MIT */
/* Pass 1, parse: what the generated scanner and parser (grammar/) call: the parse context,
 * the scanner support (lexsup.c) and the builders of the grammar actions (astbuild.c). It
 * includes nothing generated, so the grammar depends on it and not the other way round. */
#ifndef MGA_GRAMMAR_H
#define MGA_GRAMMAR_H

#include "ast.h"
#include "diag.h"
#include <setjmp.h>

/* Limits of the language (each reported as E9004/E9007 at the place it is passed). */
#define MAX_STRING ((size_t)65536) /* bytes in one string literal, after escapes */
#define MAX_RULES 100000          /* rules in one rule set, over all its files */

typedef void *yyscan_t;

struct parse_ctx {
    ast_program *prog;
    arena *a;
    const mem *m;
    mga_diags *d;
    int dsrc;      /* diagnostics source id */
    uint32_t file; /* index stored in spans */
    const char *text;
    size_t len;
    size_t pos; /* byte offset of the next token */
    bool oom;
    jmp_buf fatal;
    /* the declaration being built */
    ast_rule *rule;
    ast_source *source;
    ast_dim *dim;
    ast_invariant *inv;
    int prec_winner; /* prec_side of the `precedence` being read */
    ast_span prec_at;
    bool prec_bad; /* the word after the winner was not 'over' */
    ast_test *test;
    /* the FHIR binding being read, the field named before 'from', and where codes go */
    struct ast_fbind *fbind;
    ast_name fhir_field;
    vec *fcodes;
    vec fhir_orphans; /* codes of value lines that come before any binding */
    /* string literal accumulation */
    membuf sbuf;
    /* the scanner's live blocks: flex's fatal error (a longjmp) can strike between an
     * allocation and the moment flex records it, so parse_source frees what is left */
    void *blocks[8];
    size_t nblocks;
    size_t sstart;
    bool serr;
    bool slong; /* this string passed MAX_STRING: reported once, the rest dropped */
};

/* Used by the generated scanner. */
void lex_span(struct parse_ctx *ctx, ast_span *loc, size_t n);
_Noreturn void lex_fatal(struct parse_ctx *ctx, const char *msg);
bool lex_sbuf_add(struct parse_ctx *ctx, const char *p, size_t n);
/* Records that the scanner's block old is now p (old NULL: new block; p NULL: freed). */
void lex_track(struct parse_ctx *ctx, void *old, void *p);
/* The longest keyword's length: test_format checks that lex_keyword knows every keyword
 * the grammar spells, which fails for one longer than this. */
#define LEX_KEYWORD_MAX 11 /* supplements */
int lex_keyword(const char *s, size_t n);
int lex_ident(struct parse_ctx *ctx, void *yylval, const ast_span *loc, const char *s, size_t n,
              int token);
int lex_number(struct parse_ctx *ctx, void *yylval, const ast_span *loc, const char *s, size_t n);


/* Builders called from the grammar actions (one per action); false/NULL on OOM. */
bool ast_prog_text(struct parse_ctx *ctx, vec *v, const char *s, ast_span at);
bool ast_decl_span(struct parse_ctx *ctx, ast_span at);
ast_source *ast_source_begin(struct parse_ctx *ctx, ast_name key, const char *title);
bool ast_source_ref(struct parse_ctx *ctx, double n, const char *text, ast_span at);
ast_dim *ast_dim_begin(struct parse_ctx *ctx, ast_name name, ast_name base);
bool ast_unit_add(struct parse_ctx *ctx, ast_name name, double factor, ast_name of, ast_span at);
bool ast_forms_add(struct parse_ctx *ctx, const ast_names *forms);
bool ast_field_add(struct parse_ctx *ctx, ast_name name, field_type t, const ast_names *syms);
bool ast_field_number(struct parse_ctx *ctx, ast_name name, ast_name unit);
void ast_field_range(struct parse_ctx *ctx, double lo, double hi, ast_span at);
bool ast_fact_add(struct parse_ctx *ctx, ast_name name, ast_cond *cond);
bool ast_fhir_begin(struct parse_ctx *ctx, ast_name field, ast_name resource);
bool ast_fhir_resource(struct parse_ctx *ctx, ast_name resource);
bool ast_fhir_element(struct parse_ctx *ctx, ast_name element);
bool ast_fhir_value(struct parse_ctx *ctx, ast_name sym);
bool ast_fhir_code(struct parse_ctx *ctx, ast_name system, const char *code,
                   const char *display, ast_span at);
ast_rule *ast_rule_begin(struct parse_ctx *ctx, ast_name id, ast_span at);
void ast_rule_when(struct parse_ctx *ctx, ast_cond *c, ast_span at);
bool ast_action_add(struct parse_ctx *ctx, act_kind k, ast_span at, const ast_names *forms,
                    const ast_name *urgency);
bool ast_dose_add(struct parse_ctx *ctx, dose_part part, double num, ast_name unit, ast_span at);
bool ast_cite_begin(struct parse_ctx *ctx, ast_name source, ast_span at);
bool ast_cite_ref(struct parse_ctx *ctx, double n, ast_span at);
void ast_cite_quote(struct parse_ctx *ctx, const char *q, ast_span at);
/* `unmarked "reason"` after the quote: the cited numbers need no marker on it. */
void ast_cite_unmarked(struct parse_ctx *ctx, const char *reason, ast_span at);
const char *ast_strcat(struct parse_ctx *ctx, const char *a, const char *b);
ast_invariant *ast_invariant_begin(struct parse_ctx *ctx, ast_name id, const char *label,
                                   ast_span at);
void ast_invariant_when(struct parse_ctx *ctx, ast_cond *c);
bool ast_expect_add(struct parse_ctx *ctx, exp_kind k, ast_span at, const ast_names *forms,
                    const ast_name *urgency, double num, const ast_name *unit);
void ast_expect_severity(struct parse_ctx *ctx, ast_name sev);
void ast_prec_begin(struct parse_ctx *ctx, int winner, ast_name over, ast_span at);
bool ast_prec_add(struct parse_ctx *ctx, prec_side loser, ast_span at);
ast_cond *ast_name_cond(arena *a, co_kind k, ast_name name, bool bval);
ast_names ast_one(struct parse_ctx *ctx, ast_name n);
/* Rule tests (*.mgt). */
bool ast_test_begin(struct parse_ctx *ctx, const char *name, ast_span at);
bool ast_given_add(struct parse_ctx *ctx, const ast_given *g);
bool ast_texpect_add(struct parse_ctx *ctx, const ast_texpect *e);

#endif
