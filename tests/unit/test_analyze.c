/* SPDX-License-Identifier: MIT */
/* The static analysis (analyze.c): every witness it prints is re-read here, independently
 * of the analysis, and evaluated; the rules it claims fire together must fire. */
#include "helpers.h"

#include "analyze.h"
#include "eval.h"
#include "graph.h"

static int rule_index(const mga_ruleset *rs, const char *id, size_t len)
{
    for (size_t i = 0; i < rs->nrules; i++)
        if (strlen(rs->rules[i].id) == len && memcmp(rs->rules[i].id, id, len) == 0)
            return (int)i;
    return -1;
}

/* The i-th quoted name ('x') in s. */
static const char *quoted(const char *s, int i, size_t *len)
{
    const char *p = s;
    for (int k = 0; k <= i; k++) {
        p = strchr(p, '\'');
        assert_non_null(p);
        const char *e = strchr(p + 1, '\'');
        assert_non_null(e);
        if (k == i) {
            *len = (size_t)(e - p - 1);
            return p + 1;
        }
        p = e + 1;
    }
    return NULL;
}

static mga_result *evaluate(const mga_ruleset *rs, const char *json, size_t len,
                            mga_profile **p)
{
    mga_result *r = NULL;
    assert_int_equal(mga_profile_parse(rs, "witness", json, len, p, NULL), MGA_OK);
    assert_int_equal(mga_evaluate(rs, *p, &r), MGA_OK);
    return r;
}

/* The JSON object after `marker` in the diagnostic's note, which the diagnostic also
 * carries as data (mga_diag.witness). */
static const char *witness_of(const mga_diag *dg, const char *marker, size_t *len)
{
    assert_non_null(dg->note);
    const char *w = strstr(dg->note, marker);
    assert_non_null(w);
    w += strlen(marker);
    const char *e = strchr(w, '}');
    assert_non_null(e);
    *len = (size_t)(e - w + 1);
    assert_non_null(dg->witness);
    assert_int_equal(strlen(dg->witness), *len);
    assert_memory_equal(dg->witness, w, *len);
    return w;
}

/* The analysis through its public entry, counting into *stats. */
static void install(mga_engine *eng, const mga_analysis_options *opt, mga_analysis_stats *stats)
{
    assert_int_equal(mga_analysis_install(eng, opt, stats), MGA_OK);
}

static mga_status compile_analysed(mga_engine *eng, const mga_analysis_options *ctx,
                                   mga_analysis_stats *stats, const char *path,
                                   mga_ruleset **rs, mga_diags **d)
{
    install(eng, ctx, stats);
    const char *paths[] = {path};
    return mga_compile_paths(eng, paths, 1, rs, d);
}

/* Over the shipped rules: every conflict reported (warning or note) carries a witness in
 * which both rules fire; every declared invariant is proven; nothing is unreachable or
 * redundant. */
static void test_analyze_shipped_witnesses_fire(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_analysis_options ctx = {.notes = true};
    mga_analysis_stats stats = {0};
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(compile_analysed(eng, &ctx, &stats, "../../rules", &rs, &d), MGA_OK);
    size_t pairs = 0;
    for (size_t i = 0; i < mga_diags_count(d); i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        assert_int_not_equal(dg->kind, MGA_DIAG_ERROR);
        if (dg->code == 5011) {
            /* a goal's gap carries its first example profile */
            assert_non_null(dg->witness);
            assert_non_null(strstr(dg->note, dg->witness));
        } else if (dg->code != 5005 && dg->code != 5006) {
            assert_null(dg->witness);
        }
        if (dg->code != 5005 && dg->code != 5006)
            continue;
        size_t la, lb, lw;
        const char *a = quoted(dg->message, 0, &la);
        const char *b = quoted(dg->message, 1, &lb);
        int ia = rule_index(rs, a, la), ib = rule_index(rs, b, lb);
        assert_true(ia >= 0 && ib >= 0);
        const char *w = witness_of(dg, "both fire for ", &lw);
        mga_profile *p = NULL;
        mga_result *r = evaluate(rs, w, lw, &p);
        bool fa = false, fb = false;
        for (size_t k = 0; k < r->nfired; k++) {
            fa |= r->fired[k] == (uint32_t)ia;
            fb |= r->fired[k] == (uint32_t)ib;
        }
        assert_true(fa && fb);
        mga_result_free(r);
        mga_profile_free(p);
        pairs++;
    }
    assert_true(pairs > 0);
    assert_int_equal(pairs, stats.conflicts + stats.resolved);
    assert_int_equal(stats.conflicts, 0); /* the shipped policy resolves them all */
    assert_int_equal(stats.proven, rs->ninvs);
    assert_true(rs->ninvs >= 12);
    assert_int_equal(stats.refuted, 0);
    assert_int_equal(stats.unreachable, 0);
    assert_int_equal(stats.redundant, 0);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static const char *refute_rules =
    "precedence avoid over prefer\n"
    "rule ibs_avoid when conditions has ibs then avoid citrate severity warning\n"
    "  say \"a\" cite src[1] end\n"
    "rule cit when age >= 18 years or supplement_mg > 100 mg then prefer citrate\n"
    "  say \"b\" cite src[2] end\n"
    "rule cap when vitamin_d_level < 20 ng/mL and age between 40 and 60 years\n"
    "  dose max 100 mg say \"c\" cite src[3] end\n"
    "rule starting when conditions has insomnia dose start 150 mg say \"d\" cite src end\n"
    "invariant adults_get_citrate \"adults get citrate\"\n"
    "  when age >= 18 years expect prefer citrate end\n"
    "invariant low_d_capped \"no start above 120 mg\"\n"
    "  when vitamin_d_level < 20 ng/mL expect dose <= 120 mg end\n"
    "invariant sleep_capped \"sleep starts stay under 400 mg\"\n"
    "  expect dose <= 400 mg end\n";

/* A refuted invariant's counter-example: its condition is true and the evaluated result
 * breaks the expectation; the proven one has no counter-example. */
static void test_analyze_counter_examples_reproduce(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_analysis_options ctx = {.notes = true};
    mga_analysis_stats stats = {0};
    install(eng, &ctx, &stats);
    mga_diags *d = NULL;
    mga_ruleset *rs = compile_ok(eng, refute_rules, &d);
    assert_int_equal(stats.refuted, 2);
    assert_int_equal(stats.proven, 1);
    size_t seen = 0;
    for (size_t i = 0; i < mga_diags_count(d); i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        if (dg->code != 5009)
            continue;
        size_t lw;
        const char *w = witness_of(dg, "counter-example: ", &lw);
        mga_profile *p = NULL;
        mga_result *r = evaluate(rs, w, lw, &p);
        const mga_dose *dose = mga_result_dose_ref(r);
        if (strstr(dg->message, "'adults_get_citrate'")) {
            assert_true(p->known[graph_field_lookup(rs, "age", 3)]);
            assert_true(p->num[graph_field_lookup(rs, "age", 3)] >= 18 * 365.25 - 1e-6);
            assert_int_equal(mga_result_prefer_count(r), 0); /* avoided */
        } else {
            assert_non_null(strstr(dg->message, "'low_d_capped'"));
            assert_true(dose->has_start && dose->start_mg > 120);
        }
        seen++;
        mga_result_free(r);
        mga_profile_free(p);
    }
    assert_int_equal(seen, 2);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* An analysis that finds nothing to say adds nothing; one that cannot satisfy a condition
 * says which parts contradict each other. */
static void test_analyze_unreachable_reason(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_analysis_options ctx = {.notes = false};
    mga_analysis_stats stats = {0};
    install(eng, &ctx, &stats);
    mga_diags *d = NULL;
    mga_ruleset *rs = compile_ok(eng,
                                 "rule r when age < 10 years and sex is female and age > 20 years"
                                 " then inform say \"x\" cite src[1] end\n"
                                 "rule s when diet_mg + supplement_mg > 15 g then inform"
                                 " say \"y\" cite src[2] end\n"
                                 "rule t then inform say \"z\" cite src[3] end\n",
                                 &d);
    assert_int_equal(stats.unreachable, 1);
    const mga_diag *dg = expect_diag(d, 5007, "rule 'r' never fires: no profile makes its condition true");
    assert_non_null(strstr(dg->note, "'age < 10 years' and 'age > 20 years'"));
    assert_null(strstr(dg->note, "sex"));
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static const char *big_rules =
    "ruleset \"big numbers\"\n"
    "disclaimer \"Not medical advice.\"\n"
    "source src \"Test Source\"\n"
    "  ref 1 \"Reference one.\"\n"
    "end\n"
    "dimension mass base mg\n"
    "  unit g = 1000 mg\n"
    "end\n"
    "profile\n"
    "  x: number g range 0..1e297\n"
    "  y: number mg\n"
    "end\n"
    "rule enormous when x > 1e99 mg and x < 1e101 mg then inform say \"a\" cite src end\n"
    "rule minute when y > 1e-99 mg and y < 1e-97 mg then inform say \"b\" cite src end\n"
    "rule huge when x > 2e200 g then warn say \"c\" cite src end\n"
    "rule tight when y >= 123456789.123456789e150 mg and y <= 123456789.123456789e150 mg\n"
    "  then disagree say \"d\" cite src end\n"
    "invariant huge_warned when x >= 1e200 g expect warn end\n"
    "invariant huger_warned when x >= 3e200 g expect warn end\n";

static bool fires(const mga_ruleset *rs, const char *json, const char *rule)
{
    mga_profile *p = NULL;
    mga_result *r = evaluate(rs, json, strlen(json), &p);
    int want = rule_index(rs, rule, strlen(rule));
    assert_true(want >= 0);
    bool found = false;
    for (size_t k = 0; k < r->nfired; k++)
        found |= r->fired[k] == (uint32_t)want;
    mga_result_free(r);
    mga_profile_free(p);
    return found;
}

/* Large and small constants reach the solver as the doubles the evaluator compares with:
 * a rule that eval fires is never reported unreachable (a constant of 1e99 was once cut
 * to 96 digits, and 1e-99 to a 1 over 94 digits), and a counter-example near 1e200
 * replays in the evaluator. */
static void test_analyze_large_constants_match_eval(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_analysis_options ctx = {.notes = true};
    mga_analysis_stats stats = {0};
    install(eng, &ctx, &stats);
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile(eng, "big.mga", big_rules, strlen(big_rules), &rs, &d), MGA_OK);
    assert_int_equal(mga_diags_error_count(d), 0);
    assert_int_equal(stats.unreachable, 0);
    assert_int_equal(count_diag(d, 5007), 0);
    assert_int_equal(count_diag(d, 9006), 0);
    assert_true(fires(rs, "{\"x\": 1e97}", "enormous"));
    assert_true(fires(rs, "{\"y\": 1e-98}", "minute"));
    assert_true(fires(rs, "{\"y\": 123456789.123456789e150}", "tight"));
    assert_false(fires(rs, "{\"y\": 123456790.5e150}", "tight"));
    assert_int_equal(stats.proven, 1);
    assert_int_equal(stats.refuted, 1);
    const mga_diag *dg = expect_diag(d, 5009, NULL);
    assert_non_null(strstr(dg->message, "'huge_warned'"));
    size_t lw;
    const char *w = witness_of(dg, "counter-example: ", &lw);
    mga_profile *p = NULL;
    mga_result *r = evaluate(rs, w, lw, &p);
    int x = graph_field_lookup(rs, "x", 1);
    assert_true(p->known[x]);
    assert_true(p->num[x] >= 1e203 * (1 - 1e-9) && p->num[x] <= 2e203 * (1 + 1e-9));
    assert_int_equal(r->nfired, 0);
    mga_result_free(r);
    mga_profile_free(p);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Has diagnostic code? */
static bool has_code(const mga_diags *d, unsigned code)
{
    for (size_t i = 0; i < mga_diags_count(d); i++)
        if (mga_diags_ref(d, i)->code == code)
            return true;
    return false;
}

static const char *three_rules = "rule r1 when age < 10 years then inform say \"x\" cite src[1] end\n"
                                 "rule r2 when age > 20 years then inform say \"y\" cite src[2] end\n"
                                 "rule r3 then inform say \"z\" cite src[3] end\n";

/* The rule and condition limits: at the limit the analysis runs, one past it it is
 * skipped with W9011 (the compile still succeeds). */
static void test_analyze_limits(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_analysis_options ctx = {.notes = false, .max_rules = 3};
    mga_analysis_stats stats = {0};
    install(eng, &ctx, &stats);
    mga_diags *d = NULL;
    mga_ruleset *rs = compile_ok(eng, three_rules, &d);
    assert_false(stats.skipped);
    assert_false(has_code(d, 9011));
    assert_true(stats.solver_checks > 0);
    size_t nodes = rs->nnodes;
    mga_diags_free(d);
    mga_ruleset_free(rs);

    ctx.max_rules = 2;
    install(eng, &ctx, &stats);
    rs = compile_ok(eng, three_rules, &d);
    assert_true(stats.skipped);
    assert_int_equal(stats.solver_checks, 0);
    expect_diag(d, 9011, "analysis skipped: 3 rules exceed the limit of 2; the compile checks "
                         "still ran");
    mga_diags_free(d);
    mga_ruleset_free(rs);

    ctx.max_rules = 0;
    ctx.max_nodes = nodes;
    install(eng, &ctx, &stats);
    rs = compile_ok(eng, three_rules, &d);
    assert_false(stats.skipped);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    ctx.max_nodes = nodes - 1;
    install(eng, &ctx, &stats);
    rs = compile_ok(eng, three_rules, &d);
    assert_true(stats.skipped);
    char msg[160];
    snprintf(msg, sizeof msg,
             "analysis skipped: %zu distinct conditions exceed the limit of %zu; the compile "
             "checks still ran",
             nodes, nodes - 1);
    expect_diag(d, 9011, msg);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Past its time budget the analysis stops, says so once (W9012), and reports no
 * undecided queries for the checks it did not run. */
static void test_analyze_time_budget(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_analysis_options ctx = {.notes = false, .max_seconds = 1e-9};
    mga_analysis_stats stats = {0};
    install(eng, &ctx, &stats);
    mga_diags *d = NULL;
    mga_ruleset *rs = compile_ok(eng, three_rules, &d);
    assert_true(stats.stopped);
    assert_int_equal(stats.solver_checks, 0);
    expect_diag(d, 9012, NULL);
    assert_false(has_code(d, 5012));
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The public entry: NULL engine refused, NULL options and stats allowed, the options
 * copied (changing them after install changes nothing), installing again replaces, and
 * the version is this build's. */
static void test_analyze_public_install(void **state)
{
    (void)state;
    assert_int_equal(mga_analysis_install(NULL, NULL, NULL), MGA_E_INVALID);
    assert_string_equal(mga_analysis_version(), MGA_VERSION);
    mga_analysis_options o;
    o.notes = true;
    o.max_rules = 7;
    mga_analysis_options_init(&o);
    assert_false(o.notes);
    assert_int_equal(o.max_rules, 0);
    mga_engine *eng = make_engine();
    install(eng, NULL, NULL);
    mga_diags *d = NULL;
    mga_ruleset *rs = compile_ok(eng, three_rules, &d);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_analysis_stats stats = {0};
    o.max_rules = 2;
    install(eng, &o, &stats);
    o.max_rules = 0; /* copied: still 2 */
    rs = compile_ok(eng, three_rules, &d);
    assert_true(stats.skipped);
    assert_int_equal(stats.rules, 3);
    expect_diag(d, 9011, NULL);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyze_public_install),
        cmocka_unit_test(test_analyze_limits),
        cmocka_unit_test(test_analyze_time_budget),
        cmocka_unit_test(test_analyze_shipped_witnesses_fire),
        cmocka_unit_test(test_analyze_counter_examples_reproduce),
        cmocka_unit_test(test_analyze_unreachable_reason),
        cmocka_unit_test(test_analyze_large_constants_match_eval),
    };
    return cmocka_run_group_tests_name("analyze", tests, NULL, NULL);
}
