/* SPDX-License-Identifier: MIT */
/* Unit tests for explain.c: written condition trees with their values, why-not, overruled
 * items, JSON shape, agreement with the graph's evaluation, coverage, and OOM. */
#include "helpers.h"

#include "eval.h"
#include "explain.h"

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

/* A diamond of facts: g(i) and h(i) both name h(i-1), so h0 is reached along 2^n paths.
 * rules: the diamond's source after the prelude, n levels. */
static char *diamond(int n)
{
    size_t cap = 256 + (size_t)n * 128;
    char *src = malloc(cap);
    assert_non_null(src);
    size_t w = (size_t)snprintf(src, cap, "fact g0 when age > 1 years\nfact h0 when diet_mg > 1 mg\n");
    for (int i = 1; i <= n; i++)
        w += (size_t)snprintf(src + w, cap - w,
                              "fact g%d when age > %d years and h%d\nfact h%d when g%d or h%d\n",
                              i, i, i - 1, i, i - 1, i - 1);
    snprintf(src + w, cap - w,
             "rule top when h%d and g%d\n  then inform\n  say \"x\"\n  cite src[1] quote \"q\"\nend\n",
             n, n);
    return src;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

/* Each fact is expanded once; later mentions refer to it, so the explanation of a
 * diamond 30 deep (2^30 paths) is small and quick. */
static void test_explain_shares_facts(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char *src = diamond(30);
    mga_ruleset *rs = compile_ok(eng, src, NULL);
    free(src);
    const char *prof = "{\"age\": 50, \"diet_mg\": 5}"; /* every fact true: top fires */
    char *t = explain(rs, prof, "top", MGA_FORMAT_TEXT);
    assert_true(strlen(t) < 100000);
    assert_int_equal(count(t, "(fact h29, "), 2); /* under h30 and under g30 */
    assert_contains(t, "(fact h29, test.mga:");
    free(t);
    mga_ruleset_free(rs);
    /* 20 deep nests within the depth limit: each of the 42 facts is expanded once, every
     * other mention refers to it */
    src = diamond(20);
    rs = compile_ok(eng, src, NULL);
    free(src);
    t = explain(rs, prof, "top", MGA_FORMAT_TEXT);
    assert_null(strstr(t, "not expanded"));
    assert_int_equal(count(t, "; shown above)"), count(t, "(fact ") - 42);
    assert_int_equal(count(t, "(fact h0, test.mga:"), 2); /* under g1 and under h1 */
    free(t);
    /* JSON: the first mention has an id, the later ones a ref to it */
    char *j = explain(rs, prof, "top", MGA_FORMAT_JSON);
    char err[256];
    yajl_val v = yajl_tree_parse(j, err, sizeof err);
    assert_non_null(v);
    yajl_tree_free(v);
    const char *first = strstr(j, "\"fact\":\"h19\",\"id\":");
    assert_non_null(first);
    unsigned id = (unsigned)atoi(first + strlen("\"fact\":\"h19\",\"id\":"));
    char ref[64];
    snprintf(ref, sizeof ref, "\"fact\":\"h19\",\"ref\":%u}", id);
    assert_non_null(strstr(first, ref));
    free(j);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A chain of facts deeper than 64 levels: expansions stop at 64 levels with a note,
 * the rest is not written (output stays linear) and nothing recurses per fact. */
static void test_explain_depth_limit(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    enum { N = 3000 };
    char *src = malloc(N * 48 + 256);
    assert_non_null(src);
    /* written last first: each fact names one declared after it */
    size_t w = 0;
    for (int i = N; i >= 1; i--)
        w += (size_t)sprintf(src + w, "fact f%d when f%d\n", i, i - 1);
    w += (size_t)sprintf(src + w, "fact f0 when age > 1 years\n");
    sprintf(src + w, "rule top when f%d\n  then inform\n  say \"x\"\n  cite src[1] quote \"q\"\nend\n", N);
    mga_ruleset *rs = compile_ok(eng, src, NULL);
    free(src);
    char *t = explain(rs, "{\"age\": 20}", "top", MGA_FORMAT_TEXT);
    /* the rule's condition is at depth 1; f(N - k) is at depth k + 1 */
    assert_contains(t, "(fact f2938, test.mga:");
    assert_contains(t, "  true    f2937  (fact f2937, test.mga:");
    const char *f37 = strstr(t, "(fact f2937, "), *nx = strstr(t, "; not expanded: deeper than 64 levels)\n");
    assert_non_null(f37);
    assert_non_null(nx);
    assert_true(nx > f37 && nx < strchr(f37, '\n'));
    assert_int_equal(count(t, "not expanded"), 1);
    assert_int_equal(count(t, "(fact "), 64);
    free(t);
    char *j = explain(rs, "{\"age\": 20}", "top", MGA_FORMAT_JSON);
    /* JSON counts from the rule's condition at depth 0: one level more than the text */
    assert_contains(j, "\"fact\":\"f2936\",\"too_deep\":true}");
    assert_int_equal(count(j, "\"too_deep\""), 1);
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
                     MGA_E_INVALID); /* a bad value, not a broken contract */
    assert_int_equal(mga_result_explain_write(r, NULL, MGA_FORMAT_JSON_PRETTY, tbuf_write, &b),
                     MGA_E_MISUSE);
    assert_int_equal(mga_result_explain_write(NULL, NULL, MGA_FORMAT_TEXT, tbuf_write, &b),
                     MGA_E_MISUSE);
    b.fail_after = 0;
    assert_int_equal(mga_result_explain_write(r, NULL, MGA_FORMAT_TEXT, tbuf_write, &b),
                     MGA_E_WRITE);
    free(b.p);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The written trees are evaluated apart from the graph: every rule's value must agree with
 * the reference evaluator over the graph (eval_nodes) and with what mga_evaluate fired.
 * Checked here, over the shipped rules and varied profiles, not on the library's path. */
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
        uint8_t *val = malloc(rs->explain->nnodes + 1), *gval = malloc(rs->nnodes + 1);
        assert_non_null(val);
        assert_non_null(gval);
        explain_eval(rs, p, val);
        eval_nodes(rs, p, gval);
        for (size_t k = 0; k < rs->nrules; k++) {
            uint32_t root = rs->explain->rule_root[k];
            uint8_t written = root == UINT32_MAX ? TV_T : val[root];
            assert_int_equal(written, gval[rs->rules[k].node]);
            bool fired = false;
            for (size_t j = 0; j < r->nfired; j++)
                fired |= r->fired[j] == k;
            assert_int_equal(fired, written == TV_T);
        }
        free(val);
        free(gval);
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
        cmocka_unit_test(test_explain_shares_facts),
        cmocka_unit_test(test_explain_depth_limit),
        cmocka_unit_test(test_explain_agrees_with_graph),
        cmocka_unit_test(test_explain_coverage_report),
        cmocka_unit_test(test_explain_oom),
    };
    return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
