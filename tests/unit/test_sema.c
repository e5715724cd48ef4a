/* SPDX-License-Identifier: MIT */
/* Unit tests for sema.c (pass 2): every semantic error class it reports, with the exact
 * message and note, unit conversion that is accepted, and the unused-declaration warnings. */
#include "helpers.h"

typedef struct sema_case {
    const char *rules; /* appended to PRELUDE */
    unsigned code;
    const char *message;
    const char *note; /* NULL: no note */
} sema_case;

/* Compiles the case, expects exactly one error with this code, message and note. */
static void check_case(mga_engine *eng, const sema_case *c)
{
    mga_diags *d = compile_errors(eng, c->rules);
    if (mga_diags_error_count(d) != 1) {
        char *out = render_diags(d);
        print_error("rules:\n%s\ndiagnostics:\n%s", c->rules, out);
        free(out);
    }
    assert_int_equal(mga_diags_error_count(d), 1);
    const mga_diag *dg = expect_diag(d, c->code, c->message);
    assert_int_equal(dg->kind, MGA_DIAG_ERROR);
    assert_string_equal(dg->file, "test.mga");
    assert_true(dg->line > prelude_lines());
    if (c->note) {
        assert_non_null(dg->note);
        assert_string_equal(dg->note, c->note);
    } else {
        assert_null(dg->note);
    }
    mga_diags_free(d);
}

#define RULE(when) "rule r\n  when " when "\n  then inform\n  say \"x\"\n  cite src\nend\n"

static void run_cases(const sema_case *cases, size_t n)
{
    mga_engine *eng = make_engine();
    for (size_t i = 0; i < n; i++)
        check_case(eng, &cases[i]);
    mga_engine_free(eng);
}

static void test_sema_unknown_field_and_name(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {RULE("agee >= 5 years"), 3002, "unknown field 'agee'", "did you mean 'age'?"},
        {RULE("conditons has ibs"), 3002, "unknown field 'conditons'",
         "did you mean 'conditions'?"},
        {RULE("balanced_diett"), 3004,
         "unknown name 'balanced_diett': not a profile field or a fact",
         "did you mean 'balanced_diet'?"},
        {RULE("zzzzzzzz"), 3004, "unknown name 'zzzzzzzz': not a profile field or a fact", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);

    /* the location is the misspelt name */
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, RULE("agee >= 5 years"));
    const mga_diag *dg = expect_diag(d, 3002, NULL);
    assert_int_equal(dg->line, prelude_lines() + 2);
    assert_int_equal(dg->col, 8);
    assert_int_equal(dg->len, 4);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_sema_unknown_symbol(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {RULE("sex is femal"), 3003, "'femal' is not a value of 'sex'",
         "did you mean 'female'?"},
        {RULE("conditions has kidney_diseese"), 3003,
         "'kidney_diseese' is not a value of 'conditions'", "did you mean 'kidney_disease'?"},
        {RULE("symptoms has any of nausea, headache"), 3003,
         "'headache' is not a value of 'symptoms'",
         "'symptoms' is declared at its field in the profile block"},
        {RULE("activity is one of low, extreme"), 3003, "'extreme' is not a value of 'activity'",
         "'activity' is declared at its field in the profile block"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_wrong_type_for_has_is(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {RULE("sex has female"), 3005,
         "'sex' is a one-of field, not a set: 'has' tests membership of a set",
         "write 'sex is ...'"},
        {RULE("age has female"), 3005,
         "'age' is a number, not a set: 'has' tests membership of a set", NULL},
        {RULE("conditions is ibs"), 3006,
         "'conditions' is a set: 'is' takes a one-of field or a boolean",
         "write 'conditions has ...'"},
        {RULE("balanced_diet is yes"), 3006,
         "'balanced_diet' is a boolean: 'is' takes a one-of field or a boolean",
         "write 'balanced_diet is true' or 'balanced_diet is false'"},
        {RULE("sex > 5"), 3007, "'sex' is a one-of field, not a number", NULL},
        {RULE("age"), 3008, "'age' is a number, not a boolean or a fact: test it explicitly",
         "compare it: 'age >= ...'"},
        {RULE("conditions"), 3008,
         "'conditions' is a set, not a boolean or a fact: test it explicitly",
         "test membership: 'conditions has ...'"},
        {RULE("sex is true"), 3008,
         "'sex' is a one-of field, not a boolean or a fact: test it explicitly",
         "test a value: 'sex is ...'"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_units(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {RULE("age >= 55"), 3009,
         "'55' has no unit, but it is compared with duration in 'age'",
         "write a unit, e.g. '55 days'"},
        {RULE("age >= 55 parsecs"), 3010, "unknown unit 'parsecs'", NULL},
        {RULE("age >= 55 mg"), 3011, "cannot mix duration with mg",
         "'mg' is not a unit of duration"},
        {RULE("age + diet_mg > 5 mg"), 3011, "cannot mix duration with mass",
         "'diet_mg' is measured in mass"},
        {RULE("score > 5 mg"), 3011, "cannot mix a plain number with mg", NULL},
        {RULE("age between 64 and 19 years"), 3036, "empty interval: 64 is above 19", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_unit_conversion_accepted(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = NULL;
    mga_ruleset *rs = compile_ok(eng,
                                 RULE("vitamin_d_level < 50 nmol/L or vitamin_d_level < 20 ng/mL "
                                      "or age > 52 weeks or diet_mg < 0.3 g or score < 1"),
                                 &d);
    assert_int_equal(mga_diags_count(d), 0);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_sema_fact_cycle_named(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {"fact a when b\nfact b when c and balanced_diet\nfact c when a\n" RULE("a"), 3013,
         "facts form a cycle: a -> b -> c -> a", NULL},
        {"fact selfish when selfish or balanced_diet\n" RULE("selfish"), 3013,
         "facts form a cycle: selfish -> selfish", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_citations(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {"rule r then inform say \"x\" cite srcc end\n", 3014, "unknown source 'srcc'",
         "did you mean 'src'?"},
        {"rule r then inform say \"x\" cite src[2, 7] end\n", 3015,
         "source 'src' has no reference 7", "'src' has references 1 to 3"},
        {"source bare \"Bare\" end\n"
         "rule r then inform say \"x\" cite src cite bare[1] end\n",
         3015, "source 'bare' has no reference 1", "'bare' declares no numbered references"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_rule_requirements(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {"rule r then inform say \"x\" end\n", 3016,
         "rule 'r' has no citation: every rule needs at least one 'cite'", NULL},
        {"rule r then inform cite src end\n", 3017, "rule 'r' has no 'say' text", NULL},
        {"rule r say \"x\" cite src end\n", 3018,
         "rule 'r' has no action: add 'then ...' or 'dose ...'", NULL},
        {"rule r then inform say \"x\" say \"y\" cite src end\n", 3027,
         "rule 'r' has more than one 'say' clause", NULL},
        {"rule r when true when false then inform say \"x\" cite src end\n", 3027,
         "rule 'r' has more than one 'when' clause", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_bad_severity_evidence_urgency(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {"rule r then inform say \"x\" cite src severity huge end\n", 3019,
         "unknown severity 'huge': expected critical, warning or info", NULL},
        {"rule r then inform say \"x\" cite src evidence rtc end\n", 3020,
         "unknown evidence grade 'rtc'", "did you mean 'rct'?"},
        {"rule r then inform say \"x\" cite src evidence vibes end\n", 3020,
         "unknown evidence grade 'vibes'",
         "expected guideline, systematic_review, rct, observational, expert, preclinical, "
         "limited, insufficient or mixed"},
        {"rule r then refer now say \"x\" cite src end\n", 3021,
         "unknown urgency 'now': expected urgent, soon or routine", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_forms_and_doses(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {"rule r then prefer glycinat say \"x\" cite src end\n", 3022,
         "unknown form 'glycinat'", "did you mean 'glycinate'?"},
        {"rule r then avoid citrate, kryptonite say \"x\" cite src end\n", 3022,
         "unknown form 'kryptonite'", NULL},
        {"rule r dose max 5 days say \"x\" cite src end\n", 3023,
         "a dose must be a mass in the dimension of 'mg', found '5 days'", NULL},
        {"rule r dose start 100 say \"x\" cite src end\n", 3023,
         "a dose must be a mass in the dimension of 'mg', found '100' with no unit", NULL},
        {"rule r dose start 500 mg max 350 mg say \"x\" cite src end\n", 3024,
         "the start dose (500 mg) is above the maximum (350 mg)", NULL},
        {"rule r dose target 0.5 g max 350 mg say \"x\" cite src end\n", 3024,
         "the target dose (500 mg) is above the maximum (350 mg)", NULL},
        {"forms citrate\n" RULE("true"), 3030, "'citrate' is listed twice", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_duplicates(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {RULE("true") RULE("false"), 3001, "duplicate rule 'r'", NULL},
        {"profile\n  age: number years\nend\n" RULE("true"), 3001, "duplicate field 'age'",
         NULL},
        {"source src \"Again\" end\n" RULE("true"), 3001, "duplicate source 'src'", NULL},
        {"fact f when true\nfact f when false\n" RULE("f"), 3001, "duplicate fact 'f'", NULL},
        {"fact age when true\n" RULE("true"), 3001,
         "duplicate name (a field has it) 'age'", NULL},
        {"ruleset \"again\"\n" RULE("true"), 3001, "duplicate ruleset 'name'", NULL},
        {"dimension duration base hours end\n" RULE("true"), 3001,
         "duplicate dimension 'duration'", NULL},
        {"profile\n  mood: one of up, down, up\nend\n" RULE("true"), 3030,
         "'up' is listed twice", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_declaration_errors(void **state)
{
    (void)state;
    static const sema_case cases[] = {
        {"profile\n  x: number days range 5..1\nend\n" RULE("true"), 3026,
         "range 5..1 is empty", NULL},
        /* numbers as written, not cut to 6 digits (which would show 1.23457..1.23457) */
        {"profile\n  x: number days range 1.2345679..1.2345678\nend\n" RULE("true"), 3026,
         "range 1.2345679..1.2345678 is empty", NULL},
        {"dimension energy base kcal\n  unit kj = 0 kcal\nend\n" RULE("true"), 3033,
         "unit factor must be a positive number, found 0", NULL},
        {"dimension energy base kcal\n  unit kj = 4 days\nend\n" RULE("true"), 3034,
         "unit 'days' is not in dimension 'energy'", NULL},
        {"profile\n  x: number furlongs\nend\n" RULE("true"), 3010, "unknown unit 'furlongs'",
         NULL},
        {"dimension other base qq\n  unit weeks = 3 qq\nend\n"
         "profile\n  x: number weeks\nend\n" RULE("true"),
         3012, "unit 'weeks' belongs to several dimensions", NULL},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_sema_no_disclaimer_and_no_mg(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char *text = "source s \"S\" end\n"
                       "rule r dose max 5 mg say \"x\" cite s end\n";
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile(eng, "n.mga", text, strlen(text), &rs, &d), MGA_E_COMPILE);
    assert_int_equal(mga_diags_error_count(d), 2);
    const mga_diag *dg = expect_diag(
        d, 3025, "the rule set declares no disclaimer: every result must carry one");
    assert_null(dg->file);
    assert_int_equal(dg->line, 0);
    dg = expect_diag(d, 3032, "dose advice needs a dimension with the unit 'mg'");
    assert_int_equal(dg->line, 2);
    assert_int_equal(dg->col, 6);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_sema_unused_source_and_fact_warn(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = NULL;
    mga_ruleset *rs = compile_ok(eng,
                                 "source other \"Other\" end\n"
                                 "fact spare when balanced_diet\n" RULE("true"),
                                 &d);
    assert_int_equal(mga_diags_count(d), 2);
    assert_int_equal(mga_diags_error_count(d), 0);
    const mga_diag *w = expect_diag(d, 5002, "source 'other' is never cited");
    assert_int_equal(w->kind, MGA_DIAG_WARNING);
    assert_int_equal(w->line, prelude_lines() + 1);
    assert_int_equal(w->col, 8);
    w = expect_diag(d, 5003, "fact 'spare' is never used");
    assert_int_equal(w->kind, MGA_DIAG_WARNING);
    char *out = render_diags(d);
    assert_contains(out, "test.mga");
    assert_contains(out, ": warning[W5002]: source 'other' is never cited\n");
    assert_contains(out, "mgadvise: 2 warnings\n");
    free(out);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_sema_errors_suppress_unused_warnings(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "source other \"Other\" end\n" RULE("agee > 1 years"));
    assert_int_equal(count_diag(d, 5002), 0);
    assert_int_equal(mga_diags_count(d), 1);
    mga_diags_free(d);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sema_unknown_field_and_name),
        cmocka_unit_test(test_sema_unknown_symbol),
        cmocka_unit_test(test_sema_wrong_type_for_has_is),
        cmocka_unit_test(test_sema_units),
        cmocka_unit_test(test_sema_unit_conversion_accepted),
        cmocka_unit_test(test_sema_fact_cycle_named),
        cmocka_unit_test(test_sema_citations),
        cmocka_unit_test(test_sema_rule_requirements),
        cmocka_unit_test(test_sema_bad_severity_evidence_urgency),
        cmocka_unit_test(test_sema_forms_and_doses),
        cmocka_unit_test(test_sema_duplicates),
        cmocka_unit_test(test_sema_declaration_errors),
        cmocka_unit_test(test_sema_no_disclaimer_and_no_mg),
        cmocka_unit_test(test_sema_unused_source_and_fact_warn),
        cmocka_unit_test(test_sema_errors_suppress_unused_warnings),
    };
    return cmocka_run_group_tests_name("sema", tests, NULL, NULL);
}
