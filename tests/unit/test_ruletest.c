/* SPDX-License-Identifier: MIT */
/* Unit tests for ruletest.c: test blocks checked against a rule set (located errors),
 * expectations run against results, failures reported, coverage, and OOM. */
#include "helpers.h"

static const char *rules =
    "rule r_kidney\n"
    "  when conditions has kidney_disease\n"
    "  then avoid supplements\n"
    "  then refer soon\n"
    "  severity critical\n"
    "  say \"k\"\n"
    "  cite src[1] quote \"q\"\n"
    "end\n"
    "rule r_sleep\n"
    "  when conditions has insomnia\n"
    "  then prefer glycinate\n"
    "  dose start 150 mg max 350 mg\n"
    "  say \"s\"\n"
    "  cite src[1] quote \"q\"\n"
    "end\n";

static mga_status compile_tests(mga_engine *eng, const mga_ruleset *rs, const char *text,
                                mga_tests **out, mga_diags **d)
{
    mga_source s = {"t.mgt", text, strlen(text)};
    return mga_tests_compile(eng, rs, &s, 1, out, d);
}

static void test_ruletest_pass_and_fail(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    const char *text = "test \"sleep\"\n"
                       "  given conditions: insomnia\n"
                       "        age: 40 years\n"
                       "  expect r_sleep\n"
                       "  expect prefer glycinate\n"
                       "  expect dose start 0.15 g\n"
                       "  expect dose max 350 mg\n"
                       "  expect no r_kidney\n"
                       "  expect no refer\n"
                       "end\n"
                       "test \"kidney, wrongly expected\"\n"
                       "  given conditions: kidney_disease, insomnia\n"
                       "  expect prefer glycinate\n"
                       "  expect r_kidney severity warning\n"
                       "  expect refer soon\n"
                       "end\n";
    mga_tests *t = NULL;
    mga_diags *d = NULL;
    assert_int_equal(compile_tests(eng, rs, text, &t, &d), MGA_OK);
    assert_int_equal(mga_diags_count(d), 0);
    mga_diags_free(d);
    assert_int_equal(mga_tests_count(t), 2);
    mga_coverage *cov = NULL;
    assert_int_equal(mga_coverage_new(rs, &cov), MGA_OK);
    tbuf b = TBUF_INIT;
    size_t failed = 99;
    assert_int_equal(mga_tests_run(t, cov, tbuf_write, &b, &failed), MGA_OK);
    assert_int_equal(failed, 1);
    assert_not_contains(b.p, "\"sleep\"");
    assert_contains(b.p, "t.mgt:11:1: test \"kidney, wrongly expected\" failed\n");
    assert_contains(b.p, "  t.mgt:13:10: expect prefer glycinate\n"
                         "    expected: prefer glycinate\n"
                         "    got:      prefer nothing\n"
                         "              (prefer glycinate from r_sleep was overruled by r_kidney)\n");
    assert_contains(b.p, "expect r_kidney severity warning\n"
                         "    expected: advice from r_kidney with that severity\n"
                         "    got:      advice from r_kidney (critical), because\n");
    assert_not_contains(b.p, "refer soon");
    assert_int_equal(mga_coverage_rules_fired(cov), 2);
    free(b.p);
    mga_coverage_free(cov);
    mga_tests_free(t);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_ruletest_errors_are_located(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    const char *text = "test \"a\"\n"
                       "  given conditions: insomia\n"
                       "        score: 3 mg\n"
                       "        note: \"free text\"\n"
                       "        age: 200 years\n"
                       "        age: 20 years\n"
                       "  expect r_slep\n"
                       "  expect refer later\n"
                       "end\n"
                       "test \"a\"\n"
                       "  expect no dose\n"
                       "end\n";
    mga_tests *t = NULL;
    mga_diags *d = NULL;
    assert_int_equal(compile_tests(eng, rs, text, &t, &d), MGA_E_COMPILE);
    assert_null(t);
    const mga_diag *g = expect_diag(d, 3003, "'insomia' is not a value of 'conditions'");
    assert_int_equal(g->line, 2);
    assert_int_equal(g->col, 21);
    assert_string_equal(g->note, "did you mean 'insomnia'?");
    expect_diag(d, 3054, "'score' is a plain number: expected a number");
    expect_diag(d, 3055, "200 years is outside the range of 'age' (0..130)");
    expect_diag(d, 3053, "'age' is given twice in this test");
    expect_diag(d, 3052, "unknown rule 'r_slep'");
    expect_diag(d, 3021, "unknown urgency 'later': expected urgent, soon or routine");
    expect_diag(d, 3001, "duplicate test 'a'");
    assert_int_equal(mga_diags_error_count(d), 7);
    mga_diags_free(d);
    /* a test block in a rule file, and rules in a test file */
    d = compile_errors(eng, "test \"x\"\n  expect r\nend\n");
    expect_diag(d, 3050, "a 'test' block belongs in a test file (*.mgt), not with the rules");
    mga_diags_free(d);
    assert_int_equal(compile_tests(eng, rs, "forms a\n", &t, &d), MGA_E_COMPILE);
    expect_diag(d, 3051, "a test file holds only 'test' blocks, found a forms list");
    mga_diags_free(d);
    assert_int_equal(compile_tests(eng, rs, "# nothing\n", &t, &d), MGA_E_COMPILE);
    expect_diag(d, 3058, "no tests: the files hold no 'test' block");
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_ruletest_oom(void **state)
{
    (void)state;
    const char *text = "test \"k\"\n  given conditions: kidney_disease\n"
                       "        id: \"p1\"\n  expect r_kidney\n  expect no prefer\nend\n";
    for (long at = 0;; at++) {
        fail_state fs = {0, -1, false, 0};
        mga_engine *eng = fail_engine(&fs);
        mga_ruleset *rs = NULL;
        mga_tests *t = NULL;
        mga_diags *d = NULL;
        assert_int_equal(compile_rules(eng, rules, &rs, NULL), MGA_OK);
        fs.fail_at = fs.calls + at;
        mga_status st = compile_tests(eng, rs, text, &t, &d);
        assert_true(st == MGA_OK || st == MGA_E_NOMEM);
        size_t failed = 0;
        tbuf b = TBUF_INIT;
        if (st == MGA_OK) {
            st = mga_tests_run(t, NULL, tbuf_write, &b, &failed);
            assert_true(st == MGA_OK || st == MGA_E_NOMEM);
            if (st == MGA_OK)
                assert_int_equal(failed, 0);
        }
        free(b.p);
        mga_diags_free(d);
        mga_tests_free(t);
        mga_ruleset_free(rs);
        mga_engine_free(eng);
        assert_int_equal(fs.live, 0);
        if (!fs.failed)
            break;
    }
}

/* Many tests in two files, located and checked in order: each position is counted on from
 * the one before it in its own file (a BOM and multi-byte names in the way), duplicate
 * names are found however far apart, and rule ids are found whatever their order. */
static void test_ruletest_many_tests_located(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    enum { N = 3000 };
    tbuf src = TBUF_INIT;
    tbuf_write(&src, "\xEF\xBB\xBF", 3);
    char line[160];
    for (int i = 0; i < N; i++) {
        /* 5 lines each; the last test expects r_kidney wrongly */
        int n = snprintf(line, sizeof line,
                         "test \"t\xC3\xA9%d\"\n  given conditions: insomnia\n  expect r_sleep\n"
                         "  expect %s\nend\n",
                         i, i == N - 1 ? "r_kidney" : "no r_kidney");
        tbuf_write(&src, line, (size_t)n);
    }
    const char *second = "# the second file\n"
                         "test \"t\xC3\xA9" "7\"\n  given conditions: kidney_disease\n"
                         "  expect r_kidney\nend\n";
    mga_source srcs[2] = {{"a.mgt", src.p, src.len}, {"b.mgt", second, strlen(second)}};
    mga_tests *t = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_tests_compile(eng, rs, srcs, 2, &t, &d), MGA_E_COMPILE);
    const mga_diag *g = expect_diag(d, 3001, "duplicate test 't\xC3\xA9" "7'");
    assert_string_equal(g->file, "b.mgt");
    assert_int_equal(g->line, 2);
    assert_int_equal(g->col, 1);
    assert_int_equal(mga_diags_error_count(d), 1);
    mga_diags_free(d);

    assert_int_equal(mga_tests_compile(eng, rs, srcs, 1, &t, &d), MGA_OK);
    mga_diags_free(d);
    assert_int_equal(mga_tests_count(t), N);
    tbuf b = TBUF_INIT;
    size_t failed = 0;
    assert_int_equal(mga_tests_run(t, NULL, tbuf_write, &b, &failed), MGA_OK);
    assert_int_equal(failed, 1);
    /* the BOM takes no column; the name's é is one */
    snprintf(line, sizeof line,
             "a.mgt:%d:1: test \"t\xC3\xA9%d\" failed\n  a.mgt:%d:10: expect r_kidney\n",
             5 * (N - 1) + 1, N - 1, 5 * (N - 1) + 4);
    assert_contains(b.p, line);
    free(b.p);
    free(src.p);
    mga_tests_free(t);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Duplicate test names around the error limit of 20: 19 duplicates are 19 errors; the 20th
 * error also stops the list (E9002); a 21st duplicate is not reported. */
static void test_ruletest_duplicates_at_error_limit(void **state)
{
    (void)state;
    mga_engine *eng = make_engine_opts(20, 0);
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    for (int dups = 19; dups <= 21; dups++) {
        tbuf src = TBUF_INIT;
        for (int i = 0; i <= dups; i++) {
            const char *one = "test \"same\"\n  expect no r_kidney\nend\n";
            tbuf_write(&src, one, strlen(one));
        }
        mga_tests *t = NULL;
        mga_diags *d = NULL;
        mga_source s = {"d.mgt", src.p, src.len};
        assert_int_equal(mga_tests_compile(eng, rs, &s, 1, &t, &d), MGA_E_COMPILE);
        assert_null(t);
        size_t same = 0, stop = 0;
        unsigned last = 0;
        for (size_t i = 0; i < mga_diags_count(d); i++) {
            const mga_diag *g = mga_diags_ref(d, i);
            if (g->code == 3001) {
                same++;
                last = g->line;
            }
            stop += g->code == 9002;
        }
        int reported = dups < 20 ? dups : 20;
        assert_int_equal(same, reported);
        assert_int_equal(stop, dups >= 20);
        assert_int_equal(last, 3 * reported + 1); /* test k (from 0) starts on line 3k+1 */
        mga_diags_free(d);
        free(src.p);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ruletest_pass_and_fail),
        cmocka_unit_test(test_ruletest_errors_are_located),
        cmocka_unit_test(test_ruletest_oom),
        cmocka_unit_test(test_ruletest_many_tests_located),
        cmocka_unit_test(test_ruletest_duplicates_at_error_limit),
    };
    return cmocka_run_group_tests_name("ruletest", tests, NULL, NULL);
}
