/* SPDX-License-Identifier: MIT */
/* The abstract syntax tree: what the parser builds (pass 1) and sema annotates (pass 2).
 * Every node lives in the compile arena and carries a span into its source file. */
#ifndef MGA_AST_H
#define MGA_AST_H

#include "arena.h"
#include <stdbool.h>
#include <stdint.h>

/* The magnitudes the engine computes with, in a dimension's base unit. Unit factors lie
 * within [G_NUM_MIN, G_NUM_MAX]; the rules' numbers, their folded sums and profile values
 * are 0 or within it too (sema and the profile reader reject the rest; defined here, with the numbers the AST
 * carries, so that every stage from sema on reads one bound). A comparison sums
 * at most MAX_LIN_FIELDS + 1 such numbers, so no sum or tolerance of the evaluator
 * overflows, and every number reaches the solver as the finite double it is. */
#define G_NUM_MAX 1e300
#define G_NUM_MIN 1e-300

typedef struct ast_span {
    uint32_t file; /* index into the compile's sources */
    uint32_t off, len;
} ast_span;

typedef struct ast_name {
    const char *s;
    ast_span at;
} ast_name;

typedef struct ast_names {
    ast_name *v;
    size_t n, cap;
} ast_names;

/* ---- numeric expressions ---- */
typedef enum ex_kind { EX_NUM, EX_FIELD, EX_ADD, EX_SUB, EX_NEG } ex_kind;

typedef struct ast_expr {
    ex_kind kind;
    ast_span at;
    double num;    /* EX_NUM, as written */
    ast_name unit; /* EX_NUM: unit as written (s == NULL: none) */
    ast_name name; /* EX_FIELD */
    struct ast_expr *a, *b;
    /* set by sema */
    int field;  /* EX_FIELD: field index */
    int dim;    /* dimension index, -1 dimensionless */
    double val; /* EX_NUM: value in the dimension's base unit */
} ast_expr;

/* ---- conditions ---- */
typedef enum co_kind {
    CO_AND,
    CO_OR,
    CO_NOT,
    CO_CONST,   /* true / false */
    CO_NAME,    /* a boolean field or a fact */
    CO_HAS,     /* set membership: quant ONE/ANY/ALL/NONE over syms */
    CO_IS,      /* one-of field: is sym / is one of syms */
    CO_ISBOOL,  /* name is true / is false */
    CO_KNOWN,   /* name is known (bval) / is missing (!bval) */
    CO_CMP,     /* lhs op rhs */
    CO_BETWEEN, /* lo <= lhs <= hi */
} co_kind;

typedef enum quant { Q_ONE, Q_ANY, Q_ALL, Q_NONE } quant;
typedef enum cmp_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE } cmp_op;

typedef struct ast_cond {
    co_kind kind;
    ast_span at;
    struct ast_cond *a, *b;
    bool bval;
    ast_name name;
    quant q;
    ast_names syms;
    cmp_op op;
    ast_expr *lhs, *rhs, *lo, *hi;
    /* set by sema */
    int field; /* -1 if none */
    int fact;  /* -1 if none */
} ast_cond;

/* ---- declarations ---- */
typedef struct ast_ref {
    unsigned n;
    const char *text;
    ast_span at;
} ast_ref;

typedef struct ast_source {
    ast_name key;
    const char *title;
    const char *file, *author, *publisher, *url;
    ast_span file_at;
    vec refs; /* ast_ref */
    bool used; /* set by sema */
} ast_source;

typedef struct ast_unitdef {
    ast_name name;
    double factor;
    ast_name of;
    ast_span at;
} ast_unitdef;

typedef struct ast_dim {
    ast_name name;
    ast_name base;
    vec units; /* ast_unitdef */
} ast_dim;

typedef enum field_type { FT_TEXT, FT_BOOL, FT_NUMBER, FT_ENUM, FT_SET } field_type;

/* An open-addressing index over names (name NULL: empty), for lookups among thousands. */
typedef struct ast_nslot {
    const char *name;
    uint32_t ix;
} ast_nslot;

typedef struct ast_field {
    ast_name name;
    field_type type;
    ast_name unit; /* FT_NUMBER, optional */
    bool has_range;
    double lo, hi;
    ast_span range_at;
    ast_names syms; /* FT_ENUM, FT_SET */
    /* set by sema */
    int dim;         /* FT_NUMBER: dimension index, -1 dimensionless */
    double unit_f;   /* factor of the declared unit to the base unit */
    double blo, bhi; /* range in base units */
    ast_nslot *sym_slots; /* index over syms, or NULL */
    size_t sym_mask;
} ast_field;

typedef struct ast_fact {
    ast_name name;
    ast_cond *cond;
    bool used; /* set by sema */
} ast_fact;

typedef enum act_kind {
    ACT_AVOID_SUPPLEMENTS,
    ACT_AVOID,
    ACT_PREFER,
    ACT_REFER,
    ACT_INFORM,
    ACT_WARN,
    ACT_DISAGREE,
    ACT_WITHHOLD_SUPPLEMENTS /* ask a doctor first: no supplement advice until then */
} act_kind;

typedef struct ast_action {
    act_kind kind;
    ast_span at;
    ast_names forms;
    ast_name urgency; /* ACT_REFER, optional */
} ast_action;

typedef struct ast_cite {
    ast_name source;
    vec refs; /* ast_ref, text NULL */
    int src;  /* set by sema: source index */
    const char *quote;
    ast_span quote_at;
    const char *unmarked; /* the reason a cited number has no marker on the quote, or NULL */
    ast_span unmarked_at;
    ast_span at;
} ast_cite;

typedef enum dose_part { DOSE_START, DOSE_TARGET, DOSE_MAX } dose_part;

typedef struct ast_dose {
    dose_part part;
    double num;
    ast_name unit;
    ast_span at;
    double mg; /* set by sema */
} ast_dose;

typedef struct ast_rule {
    ast_name id;
    ast_span at;
    ast_cond *when;
    unsigned nwhen, nseverity, nsay, nevidence;
    unsigned npresumes; /* `presumes supplements` clauses */
    vec actions; /* ast_action */
    vec doses;   /* ast_dose */
    ast_name severity;
    const char *say;
    ast_span say_at;
    vec cites; /* ast_cite */
    ast_name evidence;
    /* set by sema */
    int sev;  /* mga_severity */
    int kind; /* mga_kind */
} ast_rule;

/* ---- invariants and precedence (checked by `mgadvise check`, ignored by eval) ---- */

/* What an invariant expects of every result its `when` makes true. */
typedef enum exp_kind {
    EXP_AVOID_SUPPLEMENTS, /* an advice item with `avoid supplements` */
    EXP_AVOID,             /* every listed form avoided */
    EXP_PREFER,            /* every listed form preferred after resolution */
    EXP_REFER,             /* an item that refers (at least `urgency` when given) */
    EXP_INFORM,
    EXP_WARN,
    EXP_DISAGREE,
    EXP_DOSE_LE, /* every suggested start and target at or below the amount */
    EXP_MAX_LE,  /* a stated maximum at or below the amount */
    EXP_WITHHELD, /* supplements withheld: a rule avoids or withholds them */
    EXP_NO_DOSE,  /* no start, target or maximum in the result */
    EXP_NO_PREFER, /* no preferred form in the result */
    EXP_NO_WARN   /* no advice item with a `warn` action (at least `severity` if given) */
} exp_kind;

typedef struct ast_expect {
    exp_kind kind;
    ast_span at;
    ast_names forms;
    ast_name urgency;  /* EXP_REFER, optional */
    ast_name severity; /* optional: the item must have at least this severity */
    double num;        /* EXP_DOSE_LE, EXP_MAX_LE */
    ast_name unit;
    /* set by sema */
    int sev;    /* mga_severity, or -1 for any */
    int urg;    /* 0 any, 1 routine, 2 soon, 3 urgent */
    double mg;
} ast_expect;

typedef struct ast_invariant {
    ast_name id;
    ast_span at;
    const char *label; /* optional */
    ast_cond *when;    /* NULL: every profile */
    unsigned nwhen;
    vec expects; /* ast_expect */
} ast_invariant;

/* `precedence WINNER over LOSER, ...`: one entry per (winner, loser) pair. */
typedef enum prec_side {
    PREC_AVOID,             /* avoid FORM */
    PREC_AVOID_SUPPLEMENTS, /* avoid supplements */
    PREC_WITHHOLD_SUPPLEMENTS, /* withhold supplements */
    PREC_MAX,               /* dose max */
    PREC_PREFER,
    PREC_START,
    PREC_TARGET
} prec_side;

typedef struct ast_prec {
    prec_side winner, loser;
    ast_span at;
} ast_prec;

typedef struct ast_text {
    const char *s;
    ast_span at;
} ast_text;

/* ---- rule tests (*.mgt) ---- */
typedef enum given_kind { GV_SYMS, GV_NUM, GV_BOOL, GV_TEXT, GV_NONE, GV_MISSING } given_kind;

typedef struct ast_given {
    ast_name field;
    given_kind kind;
    ast_names syms;
    double num;
    ast_name unit;
    bool bval;
    const char *str;
    ast_span at; /* the value */
} ast_given;

typedef enum expect_kind {
    XP_ADVICE,
    XP_PREFER,
    XP_AVOID,
    XP_SUPPLEMENTS,
    XP_DOSE,
    XP_REFER,
    XP_WITHHOLD /* supplements withheld (avoided or "ask a doctor first") */
} expect_kind;

typedef struct ast_texpect {
    expect_kind kind;
    bool neg;      /* 'expect no ...' */
    ast_name name; /* XP_ADVICE: rule id; XP_REFER: urgency (s NULL: any) */
    ast_name sev;  /* XP_ADVICE, optional */
    ast_names forms;
    int part; /* XP_DOSE: dose_part, -1 any */
    double num;
    ast_name unit;
    ast_span at;
} ast_texpect;

typedef struct ast_test {
    const char *name;
    ast_span at;
    vec givens;  /* ast_given */
    vec expects; /* ast_texpect */
} ast_test;

/* ---- FHIR bindings (`fhir ... end`): how a profile field is read from FHIR R4 ---- */

/* One code: a code system's short name (snomed, icd10cm, rxnorm, atc, loinc, gender), the
 * code and its display as the code system publishes it. */
typedef struct ast_fcode {
    ast_name system;
    const char *code, *display;
    ast_span at;
    int sys; /* set by the binding check: fhir_system index */
} ast_fcode;

/* `symbol: codes`: the resources carrying one of the codes give the field this value. */
typedef struct ast_fvalue {
    ast_name sym;
    vec codes; /* ast_fcode */
} ast_fvalue;

/* `field: from Resource[, Resource][.element] [codes]` and its value lines. */
typedef struct ast_fbind {
    ast_name field;
    ast_names resources;
    ast_name element; /* .s NULL: none */
    ast_span at;
    vec codes;  /* ast_fcode: the observation's own codes */
    vec values; /* ast_fvalue */
} ast_fbind;

typedef struct ast_program {
    arena *a;
    vec rulesets;    /* ast_text */
    vec disclaimers; /* ast_text */
    vec sources;     /* ast_source */
    vec dims;        /* ast_dim */
    ast_names forms;
    vec fields; /* ast_field */
    vec facts;  /* ast_fact */
    vec rules;  /* ast_rule */
    vec invariants; /* ast_invariant */
    vec precs;      /* ast_prec */
    vec tests;  /* ast_test */
    vec fhir;   /* ast_fbind */
    /* every declaration whole and every field of a profile (ast_span), each as it is
     * reduced: a profile's fields before the profile; for editors (xref.c) */
    vec spans;
    /* set by sema when the facts have no cycle: every fact once, each after the facts its
     * condition names, so later passes build facts without recursing along chains */
    uint32_t *fact_order;
} ast_program;

#define VEC_AT(v, T, i) (&((T *)(v).data)[i])

/* Constructors used by the grammar actions; NULL on OOM. */
ast_expr *ast_num(arena *a, ast_span at, double num, ast_name unit);
ast_expr *ast_field_ref(arena *a, ast_name name);
/* A field's type in words, for messages: "text", "a boolean", "a number", "a one-of
 * field", "a set". */
const char *ast_field_type_words(const ast_field *f);
ast_expr *ast_binop(arena *a, ast_span at, ex_kind k, ast_expr *l, ast_expr *r);
ast_cond *ast_cond_new(arena *a, co_kind k, ast_span at);
ast_cond *ast_logic(arena *a, co_kind k, ast_span at, ast_cond *l, ast_cond *r);
ast_cond *ast_has(arena *a, ast_span at, ast_name name, quant q, ast_names syms);
ast_cond *ast_is(arena *a, ast_span at, ast_name name, quant q, ast_names syms);
ast_cond *ast_cmp(arena *a, ast_span at, cmp_op op, ast_expr *l, ast_expr *r);
ast_cond *ast_between(arena *a, ast_span at, ast_expr *e, ast_expr *lo, ast_expr *hi);
/* Appends to a name list; false on OOM. */
bool ast_names_push(arena *a, ast_names *l, ast_name n);

#endif
