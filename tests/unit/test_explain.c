/* SPDX-License-Identifier: MIT */
/* Unit tests for explain.c: written condition trees with their values, why-not, overruled
 * items, JSON shape, agreement with the graph's evaluation, coverage, and OOM. */
#include "helpers.h"

#include <yajl/yajl_tree.h>

static const char *rules =
    "fact older when age >= 55 years\n"
    "rule r_older\n"
    "  when older and (conditions has insomnia or sex is female)\n"
    "  then prefer glycinate\n"
    "  dose start 500 mg\n"
    "  say \"x\"\n"
    "  cite src[1] quote \"q\"\n"
    "end\n"
    "rule r_cap\n"
    "  when supplement_mg >= 0 mg\n"
    "  then avoid glycinate\n"
    "  dose max 300 mg\n"
    "  say \"y\"\n"
    "  cite src[1] quote \"q\"\n"
    "end\n"
    "rule r_diet\n"
    "  when diet_mg < 200 mg and balanced_diet is false\n"
    "  then inform\n"
    "  say \"z\"\n"
    "  cite src[1] quote \"q\"\n"
    "end\n";

static char *explain(const mga_ruleset *rs, const char *json, const char *rule, mga_format fmt)
{
    mga_profile *p = NULL;
    mga_result *r = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", json, strlen(json), &p, NULL), MGA_OK);
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_result_explain_write(r, rule, fmt, tbuf_write, &b), MGA_OK);
    mga_result_free(r);
    mga_profile_free(p);
    return b.p;
}

static void test_explain_tree_values_and_why_not(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    char *t = explain(rs, "{\"age\": 60, \"sex\": \"female\", \"supplement_mg\": 100}", NULL,
                      MGA_FORMAT_TEXT);
    /* the tree as written, facts expanded, each test with the value it read */
    assert_contains(t, "  true    older and (conditions has insomnia or sex is female)\n");
    assert_contains(t, "    true    older  (fact older, test.mga:");
    assert_contains(t, "      true    age >= 55 years  (age: 60 years)\n");
    assert_contains(t, "      unknown conditions has insomnia  (conditions: field missing)\n");
    assert_contains(t, "      true    sex is female  (sex: female)\n");
    /* resolution: avoid beats prefer, the max cuts the start */
    assert_contains(t, "r_older: prefer glycinate, overruled by r_cap (avoid glycinate)");
    assert_contains(t, "r_older: start dose 500 mg, overruled by r_cap (max 300 mg)");
    /* why-not: the unknown 'and' names every unknown part */
    assert_contains(t, "unknown: r_diet");
    assert_contains(t, "  unknown diet_mg < 200 mg  (diet_mg: field missing)\n");
    assert_contains(t, "  unknown balanced_diet is false  (balanced_diet: field missing)\n");
    free(t);
    /* a false 'and' is blamed on its first false part only */
    t = explain(rs, "{\"diet_mg\": 300, \"balanced_diet\": false}", "r_diet", MGA_FORMAT_TEXT);
    assert_contains(t, "status: not fired");
    assert_contains(t, "first condition that failed\n  false   diet_mg < 200 mg  (diet_mg: 300 mg)\n\n");
    free(t);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_explain_json_parses(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    char *j = explain(rs, "{\"id\": \"a\\\"b\", \"age\": 60, \"conditions\": [\"insomnia\"]}",
                      NULL, MGA_FORMAT_JSON);
    char err[256];
    yajl_val v = yajl_tree_parse(j, err, sizeof err);
    assert_non_null(v);
    const char *id_path[] = {"id", NULL};
    assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, id_path, yajl_t_string)), "a\"b");
    const char *adv[] = {"advice", NULL};
    yajl_val a = yajl_tree_get(v, adv, yajl_t_array);
    assert_non_null(a);
    assert_int_equal(YAJL_GET_ARRAY(a)->len, 1); /* r_cap unknown, r_older overruled */
    const char *nf[] = {"not_fired", NULL};
    assert_non_null(yajl_tree_get(v, nf, yajl_t_array));
    yajl_tree_free(v);
    free(j);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_explain_misuse(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    mga_profile *p = NULL;
    mga_result *r = NULL;
    assert_int_equal(mga_profile_parse(rs, "p", "{}", 2, &p, NULL), MGA_OK);
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_result_explain_write(r, "nope", MGA_FORMAT_TEXT, tbuf_write, &b),
                     MGA_E_INVALID);
    assert_int_equal(mga_result_explain_write(r, NULL, MGA_FORMAT_JSON_PRETTY, tbuf_write, &b),
                     MGA_E_INVALID);
    assert_int_equal(mga_result_explain_write(NULL, NULL, MGA_FORMAT_TEXT, tbuf_write, &b),
                     MGA_E_INVALID);
    b.fail_after = 0;
    assert_int_equal(mga_result_explain_write(r, NULL, MGA_FORMAT_TEXT, tbuf_write, &b),
                     MGA_E_WRITE);
    free(b.p);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The written trees are evaluated apart from the graph; the library asserts that every
 * rule's value agrees with the graph's. Run it over the shipped rules and varied profiles. */
static void test_explain_agrees_with_graph(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char *paths[] = {"../../rules"};
    mga_ruleset *rs = NULL;
    assert_int_equal(mga_compile_paths(eng, paths, 1, &rs, NULL), MGA_OK);
    mga_coverage *cov = NULL;
    assert_int_equal(mga_coverage_new(rs, &cov), MGA_OK);
    static const char *const conds[] = {"kidney_disease", "ibs", "neck_pain", "diabetes",
                                        "constipation", "muscle_cramps", "heart_failure"};
    static const char *const goals[] = {"sleep", "immunity", "deficiency", "neck_pain",
                                        "cognition", "blood_sugar"};
    unsigned seed = 12345;
    for (int i = 0; i < 400; i++) {
        char json[1024];
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        unsigned x = seed >> 8;
        n += (size_t)snprintf(json + n, sizeof json - n, "{\"age\": %u", 10 + x % 80);
        if (x & 1)
            n += (size_t)snprintf(json + n, sizeof json - n, ", \"supplement_mg\": %u",
                                  (x >> 3) % 700);
        if (x & 2)
            n += (size_t)snprintf(json + n, sizeof json - n, ", \"conditions\": [\"%s\"]",
                                  conds[(x >> 5) % 7]);
        if (x & 4)
            n += (size_t)snprintf(json + n, sizeof json - n, ", \"goals\": [\"%s\"]",
                                  goals[(x >> 9) % 6]);
        if (x & 8)
            n += (size_t)snprintf(json + n, sizeof json - n,
                                  ", \"balanced_diet\": %s, \"diet_mg\": %u",
                                  (x & 16) ? "true" : "false", (x >> 12) % 500);
        snprintf(json + n, sizeof json - n, "}");
        mga_profile *p = NULL;
        mga_result *r = NULL;
        assert_int_equal(mga_profile_parse(rs, "p", json, strlen(json), &p, NULL), MGA_OK);
        assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
        tbuf b = TBUF_INIT;
        assert_int_equal(mga_result_explain_write(r, NULL, MGA_FORMAT_TEXT, tbuf_write, &b),
                         MGA_OK);
        assert_int_equal(mga_coverage_add(cov, r), MGA_OK);
        free(b.p);
        mga_result_free(r);
        mga_profile_free(p);
    }
    assert_true(mga_coverage_rules_fired(cov) > 30);
    assert_true(mga_coverage_percent(cov) < 100.0); /* vitamin D rules: never given here */
    mga_coverage_free(cov);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_explain_coverage_report(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    mga_coverage *cov = NULL;
    assert_int_equal(mga_coverage_new(rs, &cov), MGA_OK);
    const char *profiles[] = {"{\"age\": 60, \"sex\": \"male\", \"supplement_mg\": 1}",
                              "{\"age\": 20, \"supplement_mg\": 0}"};
    for (int i = 0; i < 2; i++) {
        mga_profile *p = NULL;
        mga_result *r = NULL;
        assert_int_equal(mga_profile_parse(rs, "p", profiles[i], strlen(profiles[i]), &p, NULL),
                         MGA_OK);
        assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
        assert_int_equal(mga_coverage_add(cov, r), MGA_OK);
        mga_result_free(r);
        mga_profile_free(p);
    }
    assert_int_equal(mga_coverage_rules_fired(cov), 1); /* r_cap */
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_coverage_write(cov, tbuf_write, &b), MGA_OK);
    assert_contains(b.p, "coverage: 1 of 3 rules fired (33.3%) over 2 profiles");
    assert_contains(b.p, "rules no test fires:\n  test.mga:");
    assert_contains(b.p, ": r_older\n");
    assert_contains(b.p, ": rule r_cap: supplement_mg >= 0 mg\n"); /* never false */
    assert_not_contains(b.p, "fact older: age >= 55 years"); /* seen true and false */
    free(b.p);
    mga_coverage_free(cov);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_explain_oom(void **state)
{
    (void)state;
    for (long at = 0;; at++) {
        fail_state fs = {0, -1, false, 0};
        mga_engine *eng = fail_engine(&fs);
        mga_ruleset *rs = NULL;
        mga_profile *p = NULL;
        mga_result *r = NULL;
        mga_coverage *cov = NULL;
        assert_int_equal(compile_rules(eng, rules, &rs, NULL), MGA_OK);
        const char *json = "{\"age\": 60, \"supplement_mg\": 5}";
        assert_int_equal(mga_profile_parse(rs, "p", json, strlen(json), &p, NULL), MGA_OK);
        assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
        fs.fail_at = fs.calls + at; /* fail only inside explain and coverage */
        tbuf b = TBUF_INIT;
        mga_status s1 = mga_result_explain_write(r, NULL, MGA_FORMAT_JSON, tbuf_write, &b);
        mga_status s2 = mga_coverage_new(rs, &cov);
        mga_status s3 = s2 == MGA_OK ? mga_coverage_add(cov, r) : s2;
        assert_true(s1 == MGA_OK || s1 == MGA_E_NOMEM);
        assert_true(s3 == MGA_OK || s3 == MGA_E_NOMEM);
        free(b.p);
        mga_coverage_free(cov);
        mga_result_free(r);
        mga_profile_free(p);
        mga_ruleset_free(rs);
        mga_engine_free(eng);
        assert_int_equal(fs.live, 0);
        if (!fs.failed)
            break;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_tree_values_and_why_not),
        cmocka_unit_test(test_explain_json_parses),
        cmocka_unit_test(test_explain_misuse),
        cmocka_unit_test(test_explain_agrees_with_graph),
        cmocka_unit_test(test_explain_coverage_report),
        cmocka_unit_test(test_explain_oom),
    };
    return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
