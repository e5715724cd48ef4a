/* SPDX-License-Identifier: MIT */
/* Unit tests for the grammar (grammar/parser.y) through whole compiles: every form of
 * docs/LANGUAGE.md, located syntax errors, recovery at 'end', notes and the depth limit. */
#include "helpers.h"

/* Every declaration, field type, condition, action and clause the language has. */
static const char *every_form =
    "ruleset \"all forms\"\n"
    "disclaimer \"This content is purely informational \"\n"
    "  \"and isn't medical guidance.\"\n"
    "source sleep \"Magnesium For Sleep\"\n"
    "  file \"001.txt\"\n"
    "  author \"A. Writer\"\n"
    "  publisher \"Health Library\"\n"
    "  url \"https://example.org/sleep\"\n"
    "  ref 4 \"NHS. Vitamins and minerals. 2020.\"\n"
    "  ref 14 \"Someone C, et al. 2023.\"\n"
    "end\n"
    "source immune \"Immunity\" end\n"
    "dimension mass base mg\n"
    "  unit g = 1000 mg\n"
    "  unit mcg = 0.001 mg\n"
    "end\n"
    "dimension vitamin_d_level base nmol/L\n"
    "  unit ng/mL = 2.496 nmol/L\n"
    "end\n"
    "dimension duration base days\n"
    "  unit weeks = 7 days\n"
    "  unit years = 365.25 days\n"
    "end\n"
    "forms glycinate, threonate, taurate, citrate, oxide\n"
    "profile\n"
    "  id: text\n"
    "  age: number years range 0..130\n"
    "  sex: one of female, male\n"
    "  activity: one of low, moderate, high\n"
    "  conditions: set of kidney_disease, ibs\n"
    "  symptoms: set of confusion, slow_breathing, nausea\n"
    "  balanced_diet: boolean\n"
    "  diet_mg: number mg range 0..10000\n"
    "  supplement_mg: number mg\n"
    "  vitamin_d_level: number ng/mL range 0..500\n"
    "  score: number range -5..5\n"
    "  plain: number\n"
    "end\n"
    "fact older_adult when age >= 55 years\n"
    "fact uses_both when older_adult and (balanced_diet or not balanced_diet)\n"
    "rule kidney_disease_avoid\n"
    "  when conditions has kidney_disease\n"
    "  then avoid supplements\n"
    "  then refer soon\n"
    "  severity critical\n"
    "  say \"Avoid magnesium supplements.\"\n"
    "  cite sleep[14] quote \"people with kidney problems should not take Mg supplements\"\n"
    "  cite immune quote \"should avoid taking magnesium supplements\"\n"
    "  evidence guideline\n"
    "end\n"
    "rule forms_rule\n"
    "  evidence rct say \"Prefer these.\" severity info cite sleep[4, 14]\n"
    "  then prefer glycinate, threonate\n"
    "  then avoid oxide\n"
    "  when symptoms has any of confusion, slow_breathing\n"
    "    or symptoms has all of confusion, nausea\n"
    "    or symptoms has none of nausea\n"
    "end\n"
    "rule r_enum when sex is female and activity is one of moderate, high\n"
    "  then refer urgent say \"a\" cite sleep end\n"
    "rule r_bool when balanced_diet then refer routine say \"b\" cite sleep end\n"
    "rule r_istrue when balanced_diet is true or balanced_diet is false\n"
    "  then refer say \"c\" cite sleep end\n"
    "rule r_known when supplement_mg is known and diet_mg is missing\n"
    "  then inform say \"d\" cite sleep end\n"
    "rule r_fact when older_adult and uses_both then warn say \"e\" cite sleep end\n"
    "rule r_cmp when age < 1 years or age <= 2 years or age > 3 years or age >= 4 years\n"
    "  or age == 5 years or age != 6 years then disagree say \"f\" cite sleep cite immune end\n"
    "rule r_between when age between 19 and 64 years and score between 1 and 2\n"
    "  then inform say \"g\" cite sleep end\n"
    "rule r_arith when diet_mg + supplement_mg > 400 mg and diet_mg - 1 g < - 2 mg\n"
    "  and plain + 1 > 2 - plain\n"
    "  then warn say \"h\" cite sleep end\n"
    "rule r_units when vitamin_d_level < 20 ng/mL or vitamin_d_level < 50 nmol/L\n"
    "  then inform say \"i\" cite sleep end\n"
    "rule r_prec when not (balanced_diet or older_adult) and true or false\n"
    "  then inform say \"j\" cite sleep end\n"
    "rule r_dose\n"
    "  dose start 145 mg target 200 mg max 350 mg\n"
    "  say \"k\" cite sleep[4]\n"
    "end\n"
    "rule r_dose_parts dose max 0.4 g dose start 100000 mcg say \"l\" cite sleep end\n"
    "rule r_always then inform say \"m\" cite sleep end\n";

static void test_parser_accepts_every_form(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_compile(eng, "all.mga", every_form, strlen(every_form), &rs, &d);
    if (st != MGA_OK || mga_diags_count(d)) {
        char *out = render_diags(d);
        print_error("%s", out);
        free(out);
    }
    assert_int_equal(st, MGA_OK);
    assert_int_equal(mga_diags_count(d), 0);
    assert_string_equal(mga_ruleset_name(rs), "all forms");
    assert_int_equal(mga_ruleset_rule_count(rs), 15);
    assert_string_equal(mga_ruleset_rule_id(rs, 0), "kidney_disease_avoid");
    assert_string_equal(mga_ruleset_rule_id(rs, 14), "r_always");
    assert_null(mga_ruleset_rule_id(rs, 15));
    assert_int_equal(strlen(mga_ruleset_hash(rs)), 16);
    mga_ruleset_free(rs);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_parser_error_located_with_expected_tokens(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "rule r\n  when age >= then inform\n  say \"x\"\n"
                                       "  cite src\nend\n");
    assert_int_equal(mga_diags_error_count(d), 1);
    const mga_diag *dg =
        expect_diag(d, 2001, "expected identifier, number or '-', found 'then'");
    assert_int_equal(dg->line, prelude_lines() + 2);
    assert_int_equal(dg->col, 15);
    assert_int_equal(dg->len, 4);
    mga_diags_free(d);

    d = compile_errors(eng, "rule r then inform say 42 cite src end\n");
    dg = expect_diag(d, 2001, "expected string, found number '42'");
    assert_int_equal(dg->col, 24);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_parser_recovers_and_reports_two_rules(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "rule a\n"
                                       "  when sex is\n"
                                       "  then inform say \"x\" cite src\n"
                                       "end\n"
                                       "rule ok then inform say \"fine\" cite src end\n"
                                       "rule b\n"
                                       "  when age >= 5 years then then\n"
                                       "  say \"x\" cite src\n"
                                       "end\n");
    assert_int_equal(mga_diags_error_count(d), 2);
    unsigned base = prelude_lines();
    const mga_diag *e1 = mga_diags_ref(d, 0);
    assert_int_equal(e1->code, 2001);
    assert_string_equal(e1->message, "expected identifier, 'one', 'known', 'missing', 'true' "
                                     "or 'false', found 'then'");
    assert_int_equal(e1->line, base + 3);
    assert_int_equal(e1->col, 3);
    const mga_diag *e2 = mga_diags_ref(d, 1);
    assert_int_equal(e2->code, 2001);
    assert_string_equal(e2->message, "expected 'avoid', 'prefer', 'refer', 'inform', 'warn', "
                                     "'disagree' or 'withhold', found 'then'");
    assert_int_equal(e2->line, base + 7);
    assert_int_equal(e2->col, 28);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_parser_keyword_as_name_gets_note(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "rule max then inform say \"x\" cite src end\n");
    const mga_diag *dg = expect_diag(d, 2001, "expected identifier, found 'max'");
    assert_non_null(dg->note);
    assert_string_equal(dg->note, "'max' is a keyword and cannot be used as a name");
    assert_int_equal(dg->col, 6);
    mga_diags_free(d);

    d = compile_errors(eng, "fact known when age > 1 years\n");
    dg = expect_diag(d, 2001, "expected identifier, found 'known'");
    assert_string_equal(dg->note, "'known' is a keyword and cannot be used as a name");
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_parser_missing_end_gets_note(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "rule a then inform say \"x\" cite src\n"
                                       "rule b then inform say \"y\" cite src end\n");
    const mga_diag *dg = expect_diag(d, 2001, "expected a declaration, found 'rule'");
    assert_string_equal(dg->note, "is an 'end' missing before this?");
    assert_int_equal(dg->line, prelude_lines() + 2);
    assert_int_equal(dg->col, 1);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_parser_unexpected_end_of_file(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "rule a then inform say \"x\" cite src\n");
    const mga_diag *dg = mga_diags_ref(d, 0);
    assert_int_equal(dg->code, 2001);
    assert_true(has_substr(dg->message, "found end of file"));
    mga_diags_free(d);
    mga_engine_free(eng);
}

static char *nested(const char *open, const char *atom, const char *close, int n)
{
    size_t lo = strlen(open), la = strlen(atom), lc = strlen(close);
    char *s = malloc((size_t)n * (lo + lc) + la + 200);
    size_t k = (size_t)sprintf(s, "rule deep when ");
    for (int i = 0; i < n; i++, k += lo)
        memcpy(s + k, open, lo);
    memcpy(s + k, atom, la);
    k += la;
    for (int i = 0; i < n; i++, k += lc)
        memcpy(s + k, close, lc);
    strcpy(s + k, " then inform say \"x\" cite src end\n");
    return s;
}

static void test_parser_nesting_beyond_stack_is_e9001(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char *opens[] = {"(", "not ", "- "};
    const char *atoms[] = {"true", "true", "5 years < age"};
    const char *closes[] = {")", "", ""};
    for (int i = 0; i < 3; i++) {
        char *rules = nested(opens[i], atoms[i], closes[i], 2000);
        mga_diags *d = compile_errors(eng, rules);
        assert_int_equal(mga_diags_error_count(d), 1);
        const mga_diag *dg = expect_diag(d, 9001, "nested deeper than 512 levels");
        assert_int_equal(dg->line, prelude_lines() + 1);
        mga_diags_free(d);
        free(rules);
    }
    /* well inside the stack: accepted (parentheses add no logical depth) */
    char *ok = nested("(", "true", ")", 100);
    mga_ruleset *rs = compile_ok(eng, ok, NULL);
    mga_ruleset_free(rs);
    free(ok);
    mga_engine_free(eng);
}

static void test_parser_logical_depth_limit(void **state)
{
    (void)state;
    /* 'not' nests the condition: deeper than max_depth (8 here) is E9001 from sema */
    mga_engine *eng = make_engine_opts(0, 8);
    char *rules = nested("not ", "balanced_diet", "", 8);
    mga_diags *d = compile_errors(eng, rules);
    expect_diag(d, 9001, "nested deeper than 8 levels");
    mga_diags_free(d);
    free(rules);
    rules = nested("not ", "balanced_diet", "", 7);
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    mga_ruleset_free(rs);
    free(rules);
    mga_engine_free(eng);
}

static void test_parser_long_sum_is_depth_error_not_crash(void **state)
{
    (void)state;
    /* 'a + a + ...' nests to the left without growing the parser's stack */
    mga_engine *eng = make_engine();
    int n = 200000;
    char *rules = malloc((size_t)n * 6 + 200);
    size_t k = (size_t)sprintf(rules, "rule sum when age");
    for (int i = 1; i < n; i++)
        k += (size_t)sprintf(rules + k, " + age");
    strcpy(rules + k, " > 5 years then inform say \"x\" cite src end\n");
    mga_diags *d = compile_errors(eng, rules);
    assert_int_equal(mga_diags_error_count(d), 1);
    const mga_diag *dg = expect_diag(d, 9001, "nested deeper than 64 levels");
    assert_int_equal(dg->col, 15);
    mga_diags_free(d);
    free(rules);
    mga_engine_free(eng);
}

static void test_parser_max_errors_stops(void **state)
{
    (void)state;
    mga_engine *eng = make_engine_opts(3, 0);
    mga_diags *d = compile_errors(eng, "@ @ @ @ @ @ @ @\n");
    assert_int_equal(mga_diags_error_count(d), 4); /* three, then E9002 */
    const mga_diag *last = mga_diags_ref(d, mga_diags_count(d) - 1);
    assert_int_equal(last->code, 9002);
    assert_string_equal(last->message, "too many errors (3); stopping here");
    mga_diags_free(d);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_accepts_every_form),
        cmocka_unit_test(test_parser_error_located_with_expected_tokens),
        cmocka_unit_test(test_parser_recovers_and_reports_two_rules),
        cmocka_unit_test(test_parser_keyword_as_name_gets_note),
        cmocka_unit_test(test_parser_missing_end_gets_note),
        cmocka_unit_test(test_parser_unexpected_end_of_file),
        cmocka_unit_test(test_parser_nesting_beyond_stack_is_e9001),
        cmocka_unit_test(test_parser_logical_depth_limit),
        cmocka_unit_test(test_parser_long_sum_is_depth_error_not_crash),
        cmocka_unit_test(test_parser_max_errors_stops),
    };
    return cmocka_run_group_tests_name("parser", tests, NULL, NULL);
}
