/* SPDX-License-Identifier: MIT */
/* Pass 1, parse: the grammar of the rule language. Reentrant, with byte-span locations;
 * each action makes one ast_* call; errors recover at declaration boundaries ('end'). */
%require "3.8"
%define api.pure full
%define api.prefix {mga_yy}
%define api.location.type {ast_span}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {struct parse_ctx *ctx}

%code requires {
#include "ast.h"
struct parse_ctx;
typedef void *yyscan_t;
}

%code provides {
int mga_yylex(MGA_YYSTYPE *lval, MGA_YYLTYPE *lloc, yyscan_t scanner);
}

%code {
#include "grammar.h"
#include <stdio.h>
#include <string.h>
#define YYINITDEPTH 512
#define YYMAXDEPTH 512
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                                   \
    do {                                                                              \
        if (N) {                                                                      \
            (Cur).file = YYRHSLOC(Rhs, 1).file;                                       \
            (Cur).off = YYRHSLOC(Rhs, 1).off;                                         \
            (Cur).len = YYRHSLOC(Rhs, N).off + YYRHSLOC(Rhs, N).len - (Cur).off;      \
        } else {                                                                      \
            (Cur).file = YYRHSLOC(Rhs, 0).file;                                       \
            (Cur).off = YYRHSLOC(Rhs, 0).off + YYRHSLOC(Rhs, 0).len;                  \
            (Cur).len = 0;                                                            \
        }                                                                             \
    } while (0)
#define A ctx->a
#define NN(x) do { if (!(x)) { ctx->oom = true; YYNOMEM; } } while (0)
static void mga_yyerror(ast_span *loc, yyscan_t scanner, struct parse_ctx *ctx, const char *msg);
static ast_span span2(ast_span a, ast_span b)
{
    ast_span s = a;
    s.len = b.off + b.len - a.off;
    return s;
}
}

%union {
    double num;
    ast_name name;
    const char *str;
    ast_cond *cond;
    ast_expr *expr;
    ast_names names;
    int i;
}

%token <name> IDENT "identifier" UNITNAME "unit" FIELDNAME "field name"
%token <num> NUM "number"
%token <str> STRING "string"
%token K_RULESET "'ruleset'" K_DISCLAIMER "'disclaimer'" K_SOURCE "'source'"
%token K_FILE "'file'" K_AUTHOR "'author'" K_PUBLISHER "'publisher'" K_URL "'url'"
%token K_REF "'ref'" K_END "'end'" K_DIMENSION "'dimension'" K_BASE "'base'" K_UNIT "'unit'"
%token K_FORMS "'forms'" K_PROFILE "'profile'" K_TEXT "'text'" K_NUMBER "'number'"
%token K_RANGE "'range'" K_BOOLEAN "'boolean'" K_ONE "'one'" K_OF "'of'" K_SET "'set'"
%token K_FACT "'fact'" K_WHEN "'when'" K_RULE "'rule'" K_THEN "'then'" K_AVOID "'avoid'"
%token K_PREFER "'prefer'" K_SUPPLEMENTS "'supplements'" K_REFER "'refer'"
%token K_INFORM "'inform'" K_WARN "'warn'" K_DISAGREE "'disagree'" K_DOSE "'dose'"
%token K_START "'start'" K_TARGET "'target'" K_MAX "'max'" K_SEVERITY "'severity'"
%token K_SAY "'say'" K_CITE "'cite'" K_QUOTE "'quote'" K_UNMARKED "'unmarked'"
%token K_EVIDENCE "'evidence'"
%token K_AND "'and'" K_OR "'or'" K_NOT "'not'" K_HAS "'has'" K_ANY "'any'" K_ALL "'all'"
%token K_NONE "'none'" K_IS "'is'" K_KNOWN "'known'" K_MISSING "'missing'"
%token K_BETWEEN "'between'" K_TRUE "'true'" K_FALSE "'false'"
%token K_INVARIANT "'invariant'" K_EXPECT "'expect'" K_PRECEDENCE "'precedence'"
%token K_WITHHOLD "'withhold'" K_PRESUMES "'presumes'"
%token K_FHIR "'fhir'" K_FROM "'from'"
%token DOTDOT "'..'" LE "'<='" GE "'>='" EQ "'=='" NE "'!='"
/* rule tests (*.mgt): test_decl below */
%token K_TEST "'test'" K_GIVEN "'given'" K_NO "'no'"
%type <i> test_dose_part

%type <str> string
%type <name> unitname opt_unit symbol
%type <names> symbols
%type <cond> cond atom
%type <expr> sum term qty
%type <num> signed
%type <i> cmpop prec_side
%type <str> opt_label

%left K_OR
%left K_AND
%precedence K_NOT

%%

file
    : %empty
    | file decl                         { NN(ast_decl_span(ctx, @2)); }
    ;

decl
    : K_RULESET string                  { NN(ast_prog_text(ctx, &ctx->prog->rulesets, $2, @2)); }
    | K_DISCLAIMER string               { NN(ast_prog_text(ctx, &ctx->prog->disclaimers, $2, @2)); }
    | K_SOURCE IDENT string             { NN(ctx->source = ast_source_begin(ctx, $2, $3)); }
      source_items K_END
    | K_DIMENSION IDENT K_BASE unitname { NN(ctx->dim = ast_dim_begin(ctx, $2, $4)); }
      unit_defs K_END
    | K_FORMS symbols                   { NN(ast_forms_add(ctx, &$2)); }
    | K_PROFILE fields K_END
    | K_FHIR fhir_items K_END           { ctx->fbind = NULL; ctx->fcodes = NULL; }
    | K_FACT IDENT K_WHEN cond          { NN(ast_fact_add(ctx, $2, $4)); }
    | K_RULE IDENT                      { NN(ctx->rule = ast_rule_begin(ctx, $2, @1)); }
      clauses K_END
    | K_INVARIANT IDENT opt_label       { NN(ctx->inv = ast_invariant_begin(ctx, $2, $3, @1)); }
      inv_clauses K_END                 { ctx->inv = NULL; }
    | K_PRECEDENCE prec_side IDENT      { ast_prec_begin(ctx, $2, $3, @1); }
      prec_losers
    | error K_END                       { ctx->rule = NULL; ctx->source = NULL; ctx->dim = NULL;
                                          ctx->inv = NULL; ctx->fbind = NULL; ctx->fcodes = NULL; }
    | test_decl
    ;

/* ---- rule tests: a profile given field by field, and expectations on the result ---- */

test_decl
    : K_TEST string                     { NN(ast_test_begin(ctx, $2, @1)); }
      test_items K_END
    ;

test_items
    : %empty
    | test_items K_GIVEN givens
    | test_items K_EXPECT test_expectation
    | test_items K_EXPECT K_NO test_negation
    ;

givens
    : given
    | givens given
    ;

given
    : FIELDNAME ':' symbols             { NN(ast_given_add(ctx, &(ast_given){.field = $1, .kind = GV_SYMS, .syms = $3, .at = @3})); }
    | FIELDNAME ':' signed opt_unit     { NN(ast_given_add(ctx, &(ast_given){.field = $1, .kind = GV_NUM, .num = $3, .unit = $4, .at = span2(@3, @4.len ? @4 : @3)})); }
    | FIELDNAME ':' K_TRUE              { NN(ast_given_add(ctx, &(ast_given){.field = $1, .kind = GV_BOOL, .bval = true, .at = @3})); }
    | FIELDNAME ':' K_FALSE             { NN(ast_given_add(ctx, &(ast_given){.field = $1, .kind = GV_BOOL, .at = @3})); }
    | FIELDNAME ':' string              { NN(ast_given_add(ctx, &(ast_given){.field = $1, .kind = GV_TEXT, .str = $3, .at = @3})); }
    | FIELDNAME ':' K_NONE              { NN(ast_given_add(ctx, &(ast_given){.field = $1, .kind = GV_NONE, .at = @3})); }
    | FIELDNAME ':' K_MISSING           { NN(ast_given_add(ctx, &(ast_given){.field = $1, .kind = GV_MISSING, .at = @3})); }
    ;

test_expectation
    : IDENT                             { NN(ast_texpect_add(ctx, &(ast_texpect){.kind = XP_ADVICE, .name = $1, .at = @$})); }
    | IDENT K_SEVERITY IDENT            { NN(ast_texpect_add(ctx, &(ast_texpect){.kind = XP_ADVICE, .name = $1, .sev = $3, .at = @$})); }
    | K_PREFER symbols                  { NN(ast_texpect_add(ctx, &(ast_texpect){.kind = XP_PREFER, .forms = $2, .at = @$})); }
    | K_AVOID symbols                   { NN(ast_texpect_add(ctx, &(ast_texpect){.kind = XP_AVOID, .forms = $2, .at = @$})); }
    | K_AVOID K_SUPPLEMENTS             { NN(ast_texpect_add(ctx, &(ast_texpect){.kind = XP_SUPPLEMENTS, .at = @$})); }
    | K_WITHHOLD K_SUPPLEMENTS          { NN(ast_texpect_add(ctx, &(ast_texpect){.kind = XP_WITHHOLD, .at = @$})); }
    | K_DOSE test_dose_part NUM opt_unit
                                        { NN(ast_texpect_add(ctx, &(ast_texpect){.kind = XP_DOSE, .part = $2, .num = $3, .unit = $4, .at = @$})); }
    | K_REFER IDENT                     { NN(ast_texpect_add(ctx, &(ast_texpect){.kind = XP_REFER, .name = $2, .at = @$})); }
    ;

test_negation
    : IDENT                             { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_ADVICE, .name = $1, .at = @$})); }
    | K_PREFER                          { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_PREFER, .at = @$})); }
    | K_PREFER symbols                  { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_PREFER, .forms = $2, .at = @$})); }
    | K_AVOID                           { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_AVOID, .at = @$})); }
    | K_AVOID symbols                   { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_AVOID, .forms = $2, .at = @$})); }
    | K_AVOID K_SUPPLEMENTS             { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_SUPPLEMENTS, .at = @$})); }
    | K_WITHHOLD K_SUPPLEMENTS          { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_WITHHOLD, .at = @$})); }
    | K_DOSE                            { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_DOSE, .part = -1, .at = @$})); }
    | K_DOSE test_dose_part             { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_DOSE, .part = $2, .at = @$})); }
    | K_REFER                           { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_REFER, .at = @$})); }
    | K_REFER IDENT                     { NN(ast_texpect_add(ctx, &(ast_texpect){.neg = true, .kind = XP_REFER, .name = $2, .at = @$})); }
    ;

test_dose_part
    : K_START                           { $$ = DOSE_START; }
    | K_TARGET                          { $$ = DOSE_TARGET; }
    | K_MAX                             { $$ = DOSE_MAX; }
    ;

string
    : STRING
    | string STRING                     { NN($$ = ast_strcat(ctx, $1, $2)); }
    ;

source_items
    : %empty
    | source_items source_item
    ;

source_item
    : K_FILE string                     { ctx->source->file = $2; ctx->source->file_at = @2; }
    | K_AUTHOR string                   { ctx->source->author = $2; }
    | K_PUBLISHER string                { ctx->source->publisher = $2; }
    | K_URL string                      { ctx->source->url = $2; }
    | K_REF NUM string                  { NN(ast_source_ref(ctx, $2, $3, @2)); }
    ;

unitname
    : IDENT
    | UNITNAME
    ;

unit_defs
    : %empty
    | unit_defs K_UNIT unitname '=' NUM unitname { NN(ast_unit_add(ctx, $3, $5, $6, @$)); }
    ;

symbol
    : IDENT
    ;

symbols
    : symbol                            { $$ = (ast_names){0}; NN(ast_names_push(A, &$$, $1)); }
    | symbols ',' symbol                { $$ = $1; NN(ast_names_push(A, &$$, $3)); }
    ;

fields
    : %empty
    | fields field                      { NN(ast_decl_span(ctx, @2)); }
    ;

field
    : FIELDNAME ':' K_TEXT              { NN(ast_field_add(ctx, $1, FT_TEXT, NULL)); }
    | FIELDNAME ':' K_BOOLEAN           { NN(ast_field_add(ctx, $1, FT_BOOL, NULL)); }
    | FIELDNAME ':' K_ONE K_OF symbols  { NN(ast_field_add(ctx, $1, FT_ENUM, &$5)); }
    | FIELDNAME ':' K_SET K_OF symbols  { NN(ast_field_add(ctx, $1, FT_SET, &$5)); }
    | FIELDNAME ':' K_NUMBER opt_unit   { NN(ast_field_number(ctx, $1, $4)); }
    | FIELDNAME ':' K_NUMBER opt_unit K_RANGE signed DOTDOT signed
                                        { NN(ast_field_number(ctx, $1, $4));
                                          ast_field_range(ctx, $6, $8, span2(@6, @8)); }
    ;

/* ---- FHIR bindings: how each profile field is read from FHIR R4 resources ---- */

fhir_items
    : %empty
    | fhir_items fhir_item
    ;

fhir_item
    : fhir_head fhir_resources
    | fhir_head fhir_resources '.' IDENT { NN(ast_fhir_element(ctx, $4)); }
    | fhir_head fhir_resources fhir_codes
    | FIELDNAME ':'                     { NN(ast_fhir_value(ctx, $1)); }
      fhir_codes
    ;

fhir_head
    : FIELDNAME ':' K_FROM              { ctx->fhir_field = $1; }
    ;

fhir_resources
    : IDENT                             { NN(ast_fhir_begin(ctx, ctx->fhir_field, $1)); }
    | fhir_resources ',' IDENT          { NN(ast_fhir_resource(ctx, $3)); }
    ;

fhir_codes
    : fhir_code
    | fhir_codes ',' fhir_code
    ;

fhir_code
    : IDENT STRING STRING               { NN(ast_fhir_code(ctx, $1, $2, $3, span2(@1, @3))); }
    ;

opt_unit
    : %empty                            { $$ = (ast_name){0}; }
    | unitname
    ;

signed
    : NUM
    | '-' NUM                           { $$ = -$2; }
    ;

clauses
    : %empty
    | clauses clause
    ;

clause
    : K_WHEN cond                       { ast_rule_when(ctx, $2, @1); }
    | K_THEN action
    | K_DOSE dose_parts
    | K_SEVERITY IDENT                  { ctx->rule->severity = $2; ctx->rule->nseverity++; }
    | K_SAY string                      { ctx->rule->say = $2; ctx->rule->say_at = @2; ctx->rule->nsay++; }
    | K_CITE IDENT                      { NN(ast_cite_begin(ctx, $2, @$)); }
      cite_refs cite_quote
    | K_EVIDENCE IDENT                  { ctx->rule->evidence = $2; ctx->rule->nevidence++; }
    | K_PRESUMES K_SUPPLEMENTS          { ctx->rule->npresumes++; }
    ;

action
    : K_AVOID K_SUPPLEMENTS             { NN(ast_action_add(ctx, ACT_AVOID_SUPPLEMENTS, @$, NULL, NULL)); }
    | K_WITHHOLD K_SUPPLEMENTS          { NN(ast_action_add(ctx, ACT_WITHHOLD_SUPPLEMENTS, @$, NULL, NULL)); }
    | K_AVOID symbols                   { NN(ast_action_add(ctx, ACT_AVOID, @$, &$2, NULL)); }
    | K_PREFER symbols                  { NN(ast_action_add(ctx, ACT_PREFER, @$, &$2, NULL)); }
    | K_REFER                           { NN(ast_action_add(ctx, ACT_REFER, @$, NULL, NULL)); }
    | K_REFER IDENT                     { NN(ast_action_add(ctx, ACT_REFER, @$, NULL, &$2)); }
    | K_INFORM                          { NN(ast_action_add(ctx, ACT_INFORM, @$, NULL, NULL)); }
    | K_WARN                            { NN(ast_action_add(ctx, ACT_WARN, @$, NULL, NULL)); }
    | K_DISAGREE                        { NN(ast_action_add(ctx, ACT_DISAGREE, @$, NULL, NULL)); }
    ;

dose_parts
    : dose_part
    | dose_parts dose_part
    ;

dose_part
    : K_START NUM opt_unit              { NN(ast_dose_add(ctx, DOSE_START, $2, $3, @$)); }
    | K_TARGET NUM opt_unit             { NN(ast_dose_add(ctx, DOSE_TARGET, $2, $3, @$)); }
    | K_MAX NUM opt_unit                { NN(ast_dose_add(ctx, DOSE_MAX, $2, $3, @$)); }
    ;

cite_refs
    : %empty
    | '[' ref_list ']'
    ;

ref_list
    : NUM                               { NN(ast_cite_ref(ctx, $1, @1)); }
    | ref_list ',' NUM                  { NN(ast_cite_ref(ctx, $3, @3)); }
    ;

cite_quote
    : %empty
    | K_QUOTE string                    { ast_cite_quote(ctx, $2, @2); }
    | K_QUOTE string K_UNMARKED string  { ast_cite_quote(ctx, $2, @2); ast_cite_unmarked(ctx, $4, @4); }
    ;

opt_label
    : %empty                            { $$ = NULL; }
    | string
    ;

inv_clauses
    : %empty
    | inv_clauses inv_clause
    ;

inv_clause
    : K_WHEN cond                       { ast_invariant_when(ctx, $2); }
    | K_EXPECT expectation
    | K_EXPECT expectation K_SEVERITY IDENT { ast_expect_severity(ctx, $4); }
    ;

expectation
    : K_AVOID K_SUPPLEMENTS             { NN(ast_expect_add(ctx, EXP_AVOID_SUPPLEMENTS, @$, NULL, NULL, 0, NULL)); }
    | K_WITHHOLD K_SUPPLEMENTS          { NN(ast_expect_add(ctx, EXP_WITHHELD, @$, NULL, NULL, 0, NULL)); }
    | K_NO K_DOSE                       { NN(ast_expect_add(ctx, EXP_NO_DOSE, @$, NULL, NULL, 0, NULL)); }
    | K_NO K_PREFER                     { NN(ast_expect_add(ctx, EXP_NO_PREFER, @$, NULL, NULL, 0, NULL)); }
    | K_NO K_WARN                       { NN(ast_expect_add(ctx, EXP_NO_WARN, @$, NULL, NULL, 0, NULL)); }
    | K_AVOID symbols                   { NN(ast_expect_add(ctx, EXP_AVOID, @$, &$2, NULL, 0, NULL)); }
    | K_PREFER symbols                  { NN(ast_expect_add(ctx, EXP_PREFER, @$, &$2, NULL, 0, NULL)); }
    | K_REFER                           { NN(ast_expect_add(ctx, EXP_REFER, @$, NULL, NULL, 0, NULL)); }
    | K_REFER IDENT                     { NN(ast_expect_add(ctx, EXP_REFER, @$, NULL, &$2, 0, NULL)); }
    | K_INFORM                          { NN(ast_expect_add(ctx, EXP_INFORM, @$, NULL, NULL, 0, NULL)); }
    | K_WARN                            { NN(ast_expect_add(ctx, EXP_WARN, @$, NULL, NULL, 0, NULL)); }
    | K_DISAGREE                        { NN(ast_expect_add(ctx, EXP_DISAGREE, @$, NULL, NULL, 0, NULL)); }
    | K_DOSE LE NUM opt_unit            { NN(ast_expect_add(ctx, EXP_DOSE_LE, @$, NULL, NULL, $3, &$4)); }
    | K_MAX LE NUM opt_unit             { NN(ast_expect_add(ctx, EXP_MAX_LE, @$, NULL, NULL, $3, &$4)); }
    ;

prec_side
    : K_AVOID                           { $$ = PREC_AVOID; }
    | K_AVOID K_SUPPLEMENTS             { $$ = PREC_AVOID_SUPPLEMENTS; }
    | K_WITHHOLD K_SUPPLEMENTS          { $$ = PREC_WITHHOLD_SUPPLEMENTS; }
    | K_MAX                             { $$ = PREC_MAX; }
    | K_PREFER                          { $$ = PREC_PREFER; }
    | K_START                           { $$ = PREC_START; }
    | K_TARGET                          { $$ = PREC_TARGET; }
    ;

prec_losers
    : prec_side                         { NN(ast_prec_add(ctx, (prec_side)$1, @1)); }
    | prec_losers ',' prec_side         { NN(ast_prec_add(ctx, (prec_side)$3, @3)); }
    ;

cond
    : cond K_OR cond                    { NN($$ = ast_logic(A, CO_OR, @$, $1, $3)); }
    | cond K_AND cond                   { NN($$ = ast_logic(A, CO_AND, @$, $1, $3)); }
    | K_NOT cond                        { NN($$ = ast_logic(A, CO_NOT, @$, $2, NULL)); }
    | '(' cond ')'                      { $$ = $2; }
    | atom
    ;

atom
    : K_TRUE                            { NN($$ = ast_cond_new(A, CO_CONST, @$)); $$->bval = true; }
    | K_FALSE                           { NN($$ = ast_cond_new(A, CO_CONST, @$)); }
    | IDENT                             { NN($$ = ast_name_cond(A, CO_NAME, $1, false)); }
    | IDENT K_HAS symbol                { NN($$ = ast_has(A, @$, $1, Q_ONE, ast_one(ctx, $3))); }
    | IDENT K_HAS K_ANY K_OF symbols    { NN($$ = ast_has(A, @$, $1, Q_ANY, $5)); }
    | IDENT K_HAS K_ALL K_OF symbols    { NN($$ = ast_has(A, @$, $1, Q_ALL, $5)); }
    | IDENT K_HAS K_NONE K_OF symbols   { NN($$ = ast_has(A, @$, $1, Q_NONE, $5)); }
    | IDENT K_IS symbol                 { NN($$ = ast_is(A, @$, $1, Q_ONE, ast_one(ctx, $3))); }
    | IDENT K_IS K_ONE K_OF symbols     { NN($$ = ast_is(A, @$, $1, Q_ANY, $5)); }
    | IDENT K_IS K_TRUE                 { NN($$ = ast_name_cond(A, CO_ISBOOL, $1, true)); $$->at = @$; }
    | IDENT K_IS K_FALSE                { NN($$ = ast_name_cond(A, CO_ISBOOL, $1, false)); $$->at = @$; }
    | IDENT K_IS K_KNOWN                { NN($$ = ast_name_cond(A, CO_KNOWN, $1, true)); $$->at = @$; }
    | IDENT K_IS K_MISSING              { NN($$ = ast_name_cond(A, CO_KNOWN, $1, false)); $$->at = @$; }
    | sum cmpop sum                     { NN($$ = ast_cmp(A, @$, (cmp_op)$2, $1, $3)); }
    | sum K_BETWEEN qty K_AND qty       { NN($$ = ast_between(A, @$, $1, $3, $5)); }
    ;

cmpop
    : '<'                               { $$ = OP_LT; }
    | LE                                { $$ = OP_LE; }
    | '>'                               { $$ = OP_GT; }
    | GE                                { $$ = OP_GE; }
    | EQ                                { $$ = OP_EQ; }
    | NE                                { $$ = OP_NE; }
    ;

sum
    : term
    | sum '+' term                      { NN($$ = ast_binop(A, @$, EX_ADD, $1, $3)); }
    | sum '-' term                      { NN($$ = ast_binop(A, @$, EX_SUB, $1, $3)); }
    ;

term
    : qty
    | IDENT                             { NN($$ = ast_field_ref(A, $1)); }
    | '-' term                          { NN($$ = ast_binop(A, @$, EX_NEG, $2, NULL)); }
    ;

qty
    : NUM opt_unit                      { NN($$ = ast_num(A, @$, $1, $2)); }
    ;

%%

static void mga_yyerror(ast_span *loc, yyscan_t scanner, struct parse_ctx *ctx, const char *msg)
{
    (void)scanner;
    /* Only "memory exhausted" reaches here (syntax errors use yyreport_syntax_error):
     * the stack is fixed, so this means nesting deeper than it holds. */
    if (!ctx->oom)
        diag_add(ctx->d, DIAG_DEPTH, ctx->dsrc, loc->off, loc->len, (unsigned)YYMAXDEPTH);
    (void)msg;
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
                                 struct parse_ctx *ctx)
{
    (void)scanner;
    enum { MAXEXP = 8 };
    yysymbol_kind_t exp[MAXEXP];
    int n = yypcontext_expected_tokens(yyctx, exp, MAXEXP);
    char want[512];
    size_t w = 0;
    want[0] = '\0';
    if (n <= 0) {
        snprintf(want, sizeof want, "a declaration");
    } else {
        for (int i = 0; i < n && w < sizeof want - 64; i++) {
            const char *sep = i == 0 ? "" : (i == n - 1 ? " or " : ", ");
            w += (size_t)snprintf(want + w, sizeof want - w, "%s%s", sep, yysymbol_name(exp[i]));
        }
    }
    yysymbol_kind_t la = yypcontext_token(yyctx);
    const ast_span *loc = yypcontext_location(yyctx);
    char found[160];
    if (la == YYSYMBOL_YYEOF) {
        snprintf(found, sizeof found, "end of file");
    } else {
        size_t len = loc->len > 40 ? 40 : loc->len;
        const char *tok = ctx->text + loc->off;
        const char *what = yysymbol_name(la);
        if (la == YYSYMBOL_IDENT || la == YYSYMBOL_UNITNAME || la == YYSYMBOL_FIELDNAME ||
            la == YYSYMBOL_NUM || la == YYSYMBOL_STRING)
            snprintf(found, sizeof found, "%s '%.*s'", what, (int)len, tok);
        else
            snprintf(found, sizeof found, "%s", what);
    }
    mga_diag *dg = diag_add(ctx->d, DIAG_SYNTAX, ctx->dsrc, loc->off, loc->len, want, found);
    /* A keyword where only a name fits is a common slip ('rule max'); clause keywords
     * there are more likely a missing word, so they get no note. */
    bool clause_kw = la == YYSYMBOL_K_END || la == YYSYMBOL_K_WHEN || la == YYSYMBOL_K_THEN ||
                     la == YYSYMBOL_K_RULE || la == YYSYMBOL_K_FACT || la == YYSYMBOL_K_SOURCE ||
                     la == YYSYMBOL_K_SAY || la == YYSYMBOL_K_CITE || la == YYSYMBOL_K_DOSE ||
                     la == YYSYMBOL_K_SEVERITY || la == YYSYMBOL_K_EVIDENCE ||
                     la == YYSYMBOL_K_AND || la == YYSYMBOL_K_OR || la == YYSYMBOL_K_NOT;
    bool keyword = (la > YYSYMBOL_STRING && la <= YYSYMBOL_K_FALSE) ||
                   (la >= YYSYMBOL_K_INVARIANT && la <= YYSYMBOL_K_PRECEDENCE) ||
                   la == YYSYMBOL_K_FHIR || la == YYSYMBOL_K_FROM;
    if (dg && n == 1 && exp[0] == YYSYMBOL_IDENT && keyword && !clause_kw)
        diag_note(ctx->d, dg, "%s is a keyword and cannot be used as a name", yysymbol_name(la));
    else if (dg && (la == YYSYMBOL_K_RULE || la == YYSYMBOL_K_FACT || la == YYSYMBOL_K_SOURCE))
        diag_note(ctx->d, dg, "is an 'end' missing before this?");
    return 0;
}
