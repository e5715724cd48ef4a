/* SPDX-License-Identifier: MIT */
/* Unit tests for xref (engine/xref.c): the outline of a rule or test file (each
 * declaration's kind, name and where its name is written, in source order, as far as the
 * file parses), rule information from a compiled rule set, errors and out of memory. */
#include "helpers.h"

static const char *rules_text =
    "source src \"Test Source\"\n"
    "end\n"
    "profile\n"
    "  age: number years range 0..130\n"
    "  conditions: set of kidney_disease, ibs\n"
    "end\n"
    "fact older when age >= 65 years\n"
    "rule r1 when older\n"
    "  then warn severity warning say \"Ask.\" cite src quote \"a passage\" evidence rct\n"
    "end\n"
    "invariant i1 \"old\" when older\n"
    "  expect refer soon\n"
    "end\n";

static void expect_decl(const mga_outline *o, size_t i, mga_decl_kind k, const char *name,
                        unsigned line, unsigned col, unsigned end_col)
{
    const mga_decl *d = mga_outline_ref(o, i);
    assert_non_null(d);
    assert_int_equal(d->kind, k);
    assert_string_equal(d->name, name);
    assert_int_equal(d->line, line);
    assert_int_equal(d->col, col);
    assert_int_equal(d->end_line, line);
    assert_int_equal(d->end_col, end_col);
}

static void expect_whole(const mga_outline *o, size_t i, unsigned line, unsigned col,
                         unsigned end_line, unsigned end_col)
{
    const mga_decl *d = mga_outline_ref(o, i);
    assert_non_null(d);
    assert_int_equal(d->decl_line, line);
    assert_int_equal(d->decl_col, col);
    assert_int_equal(d->decl_end_line, end_line);
    assert_int_equal(d->decl_end_col, end_col);
}

static void test_xref_outline_lists_declarations_in_order(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_outline *o = NULL;
    mga_diags *d = NULL;
    const char *text =
        "source src \"Test Source\"\n"
        "end\n"
        "profile\n"
        "  age: number years range 0..130\n"
        "  conditions: set of kidney_disease, ibs\n"
        "end\n"
        "fact older when age >= 65 years\n"
        "rule r1 when older\n"
        "  then warn severity warning say \"Ask.\" cite src quote \"a passage\"\n"
        "end\n"
        "invariant i1 \"old\" when older\n"
        "  expect refer soon\n"
        "end\n";
    assert_int_equal(mga_outline_new(eng, "t.mga", text, strlen(text), &o, &d), MGA_OK);
    assert_int_equal(mga_diags_count(d), 0);
    assert_int_equal(mga_outline_count(o), 6);
    expect_decl(o, 0, MGA_DECL_SOURCE, "src", 1, 8, 11);
    expect_decl(o, 1, MGA_DECL_FIELD, "age", 4, 3, 6);
    expect_decl(o, 2, MGA_DECL_FIELD, "conditions", 5, 3, 13);
    expect_decl(o, 3, MGA_DECL_FACT, "older", 7, 6, 11);
    expect_decl(o, 4, MGA_DECL_RULE, "r1", 8, 6, 8);
    expect_decl(o, 5, MGA_DECL_INVARIANT, "i1", 11, 11, 13);
    assert_null(mga_outline_ref(o, 6));
    /* the whole of each: its first keyword (a field: its name) to its end */
    expect_whole(o, 0, 1, 1, 2, 4);   /* source ... end */
    expect_whole(o, 1, 4, 3, 4, 33);  /* age: number years range 0..130 */
    expect_whole(o, 2, 5, 3, 5, 41);  /* conditions: set of kidney_disease, ibs */
    expect_whole(o, 3, 7, 1, 7, 32);  /* fact older when age >= 65 years */
    expect_whole(o, 4, 8, 1, 10, 4);  /* rule ... end */
    expect_whole(o, 5, 11, 1, 13, 4); /* invariant ... end */
    mga_outline_free(o);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_xref_outline_columns_count_code_points(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_outline *o = NULL;
    const char *t = "test \"caf\303\251 test\"\n  given age: 70 years\n  expect r1\nend\n";
    assert_int_equal(mga_outline_new(eng, "t.mgt", t, strlen(t), &o, NULL), MGA_OK);
    assert_int_equal(mga_outline_count(o), 1);
    /* a test is located at its `test` keyword; its name keeps the two-byte character */
    expect_decl(o, 0, MGA_DECL_TEST, "caf\303\251 test", 1, 1, 5);
    mga_outline_free(o);
    /* a name after a two-byte character on its line: column 59 in code points (byte 60) */
    const char *r = "rule r1 when older then warn say \"caf\303\251\" cite src end fact f2 when older\n";
    assert_int_equal(mga_outline_new(eng, "t.mga", r, strlen(r), &o, NULL), MGA_OK);
    assert_int_equal(mga_outline_count(o), 2);
    expect_decl(o, 0, MGA_DECL_RULE, "r1", 1, 6, 8);
    expect_decl(o, 1, MGA_DECL_FACT, "f2", 1, 59, 61);
    mga_outline_free(o);
    mga_engine_free(eng);
}

static void test_xref_outline_keeps_what_parses(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_outline *o = NULL;
    mga_diags *d = NULL;
    const char *text = "rule a when then\nend\nfact good when age >= 1 years\n";
    assert_int_equal(mga_outline_new(eng, "t.mga", text, strlen(text), &o, &d), MGA_OK);
    assert_true(mga_diags_error_count(d) > 0);
    const mga_decl *last = mga_outline_ref(o, mga_outline_count(o) - 1);
    assert_non_null(last);
    assert_int_equal(last->kind, MGA_DECL_FACT);
    assert_string_equal(last->name, "good");
    assert_int_equal(last->line, 3);
    mga_outline_free(o);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_xref_rule_info(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 "rule r1 when age >= 65 years\n"
                                 "  then warn severity warning say \"Ask a doctor.\"\n"
                                 "  cite src[2] quote \"Reference two\" evidence rct\n"
                                 "end\n",
                                 NULL);
    size_t i = 0;
    while (i < mga_ruleset_rule_count(rs) && strcmp(mga_ruleset_rule_id(rs, i), "r1") != 0)
        i++;
    mga_rule_info r;
    assert_int_equal(mga_ruleset_rule(rs, i, &r), MGA_OK);
    assert_string_equal(r.id, "r1");
    assert_string_equal(r.file, "test.mga");
    assert_int_equal(r.line, prelude_lines() + 1);
    assert_int_equal(r.severity, MGA_WARNING);
    assert_int_equal(r.kind, MGA_KIND_WARN);
    assert_string_equal(r.say, "Ask a doctor.");
    assert_string_equal(r.evidence, "rct");
    assert_int_equal(r.ncites, 1);
    assert_string_equal(r.cites[0].source, "src");
    assert_int_equal(r.cites[0].ref, 2);
    assert_string_equal(r.cites[0].quote, "Reference two");
    assert_int_equal(mga_ruleset_rule(rs, mga_ruleset_rule_count(rs), &r), MGA_E_MISUSE);
    assert_null(r.id);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static size_t field_ix(const mga_ruleset *rs, const char *name)
{
    for (size_t i = 0; i < mga_ruleset_field_count(rs); i++) {
        mga_field_info f;
        assert_int_equal(mga_ruleset_field(rs, i, &f), MGA_OK);
        if (strcmp(f.name, name) == 0)
            return i;
    }
    fail_msg("no field '%s'", name);
    return 0;
}

static void test_xref_completion_names(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, "", NULL);
    /* a field with a dimension: its units, base first, with their factors */
    size_t vd = field_ix(rs, "vitamin_d_level");
    assert_int_equal(mga_ruleset_field_unit_count(rs, vd), 2);
    mga_unit_info u;
    assert_int_equal(mga_ruleset_field_unit(rs, vd, 0, &u), MGA_OK);
    assert_string_equal(u.name, "nmol/L");
    assert_string_equal(u.dimension, "vitamin_d_level");
    assert_string_equal(u.base, "nmol/L");
    assert_true(u.factor == 1);
    assert_int_equal(mga_ruleset_field_unit(rs, vd, 1, &u), MGA_OK);
    assert_string_equal(u.name, "ng/mL");
    assert_true(u.factor == 2.496);
    assert_int_equal(mga_ruleset_field_unit_count(rs, field_ix(rs, "age")), 3);
    assert_int_equal(mga_ruleset_field_unit(rs, field_ix(rs, "age"), 2, &u), MGA_OK);
    assert_string_equal(u.name, "years");
    assert_string_equal(u.base, "days");
    /* no unit: none; past the end: misuse, zeroed */
    assert_int_equal(mga_ruleset_field_unit_count(rs, field_ix(rs, "score")), 0);
    assert_int_equal(mga_ruleset_field_unit_count(rs, field_ix(rs, "sex")), 0);
    assert_int_equal(mga_ruleset_field_unit(rs, vd, 2, &u), MGA_E_MISUSE);
    assert_null(u.name);
    assert_int_equal(mga_ruleset_field_unit_count(rs, mga_ruleset_field_count(rs)), 0);
    /* forms in declaration order */
    assert_int_equal(mga_ruleset_form_count(rs), 4);
    assert_string_equal(mga_ruleset_form(rs, 0), "glycinate");
    assert_string_equal(mga_ruleset_form(rs, 3), "threonate");
    assert_null(mga_ruleset_form(rs, 4));
    /* sources and their numbered references */
    assert_int_equal(mga_ruleset_source_count(rs), 1);
    mga_source_info s;
    assert_int_equal(mga_ruleset_source(rs, 0, &s), MGA_OK);
    assert_string_equal(s.key, "src");
    assert_string_equal(s.title, "Test Source");
    assert_string_equal(s.author, "A. Author");
    assert_string_equal(s.publisher, "Test Publisher");
    assert_null(s.url);
    assert_int_equal(s.nrefs, 3);
    unsigned n;
    const char *text;
    assert_int_equal(mga_ruleset_source_ref(rs, 0, 1, &n, &text), MGA_OK);
    assert_int_equal(n, 2);
    assert_string_equal(text, "Reference two.");
    assert_int_equal(mga_ruleset_source_ref(rs, 0, 3, &n, &text), MGA_E_MISUSE);
    assert_int_equal(n, 0);
    assert_null(text);
    assert_int_equal(mga_ruleset_source(rs, 1, &s), MGA_E_MISUSE);
    assert_null(s.key);
    /* the evidence grades the compiler accepts */
    assert_string_equal(mga_evidence_grade(0), "guideline");
    assert_string_equal(mga_evidence_grade(2), "rct");
    assert_string_equal(mga_evidence_grade(8), "mixed");
    assert_null(mga_evidence_grade(9));
    mga_ruleset_free(rs);
    /* NULL rule sets */
    assert_int_equal(mga_ruleset_field_unit_count(NULL, 0), 0);
    assert_int_equal(mga_ruleset_field_unit(NULL, 0, 0, &u), MGA_E_MISUSE);
    assert_int_equal(mga_ruleset_form_count(NULL), 0);
    assert_null(mga_ruleset_form(NULL, 0));
    assert_int_equal(mga_ruleset_source_count(NULL), 0);
    assert_int_equal(mga_ruleset_source(NULL, 0, &s), MGA_E_MISUSE);
    assert_int_equal(mga_ruleset_source_ref(NULL, 0, 0, &n, &text), MGA_E_MISUSE);
    mga_engine_free(eng);
}

static void test_xref_errors(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_outline *o = (mga_outline *)1;
    mga_rule_info r;
    assert_int_equal(mga_outline_new(NULL, "t", "", 0, &o, NULL), MGA_E_MISUSE);
    assert_null(o);
    assert_int_equal(mga_outline_new(eng, "t", NULL, 3, &o, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_outline_new(eng, "t", "x", 1, NULL, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_outline_count(NULL), 0);
    assert_null(mga_outline_ref(NULL, 0));
    mga_outline_free(NULL);
    assert_int_equal(mga_ruleset_rule(NULL, 0, &r), MGA_E_MISUSE);
    assert_int_equal(mga_outline_new(eng, NULL, NULL, 0, &o, NULL), MGA_OK);
    assert_int_equal(mga_outline_count(o), 0);
    mga_outline_free(o);
    mga_engine_free(eng);
}

static void test_xref_oom_loop(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        fail_state fs = {0, n, false, 0};
        mga_engine *eng = NULL;
        mga_options opt;
        mga_options_init(&opt);
        opt.realloc_fn = fail_realloc;
        opt.alloc_ud = &fs;
        mga_status st = mga_engine_new(&opt, &eng);
        mga_outline *o = NULL;
        mga_diags *d = NULL;
        if (st == MGA_OK)
            st = mga_outline_new(eng, "t.mga", rules_text, strlen(rules_text), &o, &d);
        assert_true(st == MGA_OK || st == MGA_E_NOMEM);
        if (st == MGA_OK)
            assert_int_equal(mga_outline_count(o), 6);
        else
            assert_null(o);
        mga_outline_free(o);
        mga_diags_free(d);
        mga_engine_free(eng);
        if (fs.live != 0)
            fail_msg("allocation %ld failing leaked %ld block(s)", n, fs.live);
        if (!fs.failed) {
            assert_int_equal(st, MGA_OK);
            break;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xref_outline_lists_declarations_in_order),
        cmocka_unit_test(test_xref_outline_columns_count_code_points),
        cmocka_unit_test(test_xref_outline_keeps_what_parses),
        cmocka_unit_test(test_xref_rule_info),
        cmocka_unit_test(test_xref_completion_names),
        cmocka_unit_test(test_xref_errors),
        cmocka_unit_test(test_xref_oom_loop),
    };
    return cmocka_run_group_tests_name("xref", tests, NULL, NULL);
}
