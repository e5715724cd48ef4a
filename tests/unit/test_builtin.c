/* SPDX-License-Identifier: MIT */
/* Unit tests for mga_compile_builtin: the shipped rule base the library carries compiles
 * clean, equals rules/ compiled from disk, checks its quotes, and fails cleanly (argument
 * checks, every allocation failing in turn). */
#include "helpers.h"

#define RULES_DIR "../../rules"           /* the unit tests run in tests/unit */
#define SEEDS_DIR "../../../shared/seeds" /* the documents the rules cite */

static void test_builtin_compiles_clean(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile_builtin(eng, &rs, &d), MGA_OK);
    assert_non_null(rs);
    assert_non_null(d);
    assert_int_equal(mga_diags_count(d), 0);
    assert_string_equal(mga_ruleset_name(rs), "mgadvise magnesium guidance");
    assert_true(mga_ruleset_rule_count(rs) > 0);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The embedded text is rules/ byte for byte: same hash, same rules in the same order. */
static void test_builtin_equals_rules_folder(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *built = NULL, *disk = NULL;
    const char *paths[] = {RULES_DIR};
    assert_int_equal(mga_compile_builtin(eng, &built, NULL), MGA_OK);
    assert_int_equal(mga_compile_paths(eng, paths, 1, &disk, NULL), MGA_OK);
    assert_string_equal(mga_ruleset_hash(built), mga_ruleset_hash(disk));
    assert_int_equal(mga_ruleset_rule_count(built), mga_ruleset_rule_count(disk));
    for (size_t i = 0; i < mga_ruleset_rule_count(disk); i++)
        assert_string_equal(mga_ruleset_rule_id(built, i), mga_ruleset_rule_id(disk, i));
    assert_int_equal(mga_ruleset_node_count(built), mga_ruleset_node_count(disk));
    mga_ruleset_free(disk);
    mga_ruleset_free(built);
    mga_engine_free(eng);
}

/* A profile evaluated on the built-in rules gets the shipped advice. */
static void test_builtin_evaluates(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    assert_int_equal(mga_compile_builtin(eng, &rs, NULL), MGA_OK);
    char *json = eval_json(rs, "{\"id\": \"k\", \"age\": 60, \"conditions\": [\"kidney_disease\"]}");
    assert_non_null(strstr(json, "\"rule\":\"s1_kidney_disease_avoid_supplements\""));
    free(json);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_builtin_null_arguments(void **state)
{
    (void)state;
    mga_ruleset *rs = (mga_ruleset *)1;
    mga_diags *d = (mga_diags *)1;
    assert_int_equal(mga_compile_builtin(NULL, &rs, &d), MGA_E_MISUSE);
    assert_null(rs);
    assert_null(d);
    mga_engine *eng = make_engine();
    d = (mga_diags *)1;
    assert_int_equal(mga_compile_builtin(eng, NULL, &d), MGA_E_MISUSE);
    assert_null(d);
    assert_int_equal(mga_compile_builtin(eng, NULL, NULL), MGA_E_MISUSE);
    mga_engine_free(eng);
}

static mga_engine *engine_with_sources(const char *dir)
{
    mga_options opt;
    mga_options_init(&opt);
    opt.realloc_fn = cm_realloc;
    opt.sources_dir = dir;
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
    return eng;
}

/* With sources_dir every cited quote is checked: found in the documents, or an error
 * (MGA_E_COMPILE, no rule set) when the documents are not there. */
static void test_builtin_checks_quotes(void **state)
{
    (void)state;
    mga_engine *eng = engine_with_sources(SEEDS_DIR);
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile_builtin(eng, &rs, &d), MGA_OK);
    assert_int_equal(mga_diags_error_count(d), 0);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);

    eng = engine_with_sources("no-such-folder");
    rs = (mga_ruleset *)1;
    assert_int_equal(mga_compile_builtin(eng, &rs, &d), MGA_E_COMPILE);
    assert_null(rs);
    assert_true(mga_diags_error_count(d) > 0);
    assert_string_equal(mga_diags_ref(d, 0)->file, "rules/sources.mga");
    mga_diags_free(d);
    mga_engine_free(eng);
}

/* Allocation N fails, for N = 0, 1, ...: each run ends in MGA_E_NOMEM with no rule set, or
 * in MGA_OK with the whole rule set (a failed allocation the compiler can do without), and
 * leaks nothing; the loop ends at the first run with no failure. */
static void test_builtin_oom_loop(void **state)
{
    (void)state;
    mga_engine *ref_eng = make_engine();
    mga_ruleset *ref = NULL;
    assert_int_equal(mga_compile_builtin(ref_eng, &ref, NULL), MGA_OK);
    long n, nomem = 0;
    for (n = 0; n < 200000; n++) {
        fail_state fs = {0, n, false, 0};
        mga_options opt;
        mga_options_init(&opt);
        opt.realloc_fn = fail_realloc;
        opt.alloc_ud = &fs;
        mga_engine *eng = NULL;
        mga_status st = mga_engine_new(&opt, &eng);
        if (st == MGA_OK) {
            mga_ruleset *rs = (mga_ruleset *)1;
            mga_diags *d = NULL;
            st = mga_compile_builtin(eng, &rs, &d);
            if (st == MGA_OK) {
                assert_string_equal(mga_ruleset_hash(rs), mga_ruleset_hash(ref));
                assert_int_equal(mga_ruleset_rule_count(rs), mga_ruleset_rule_count(ref));
                assert_int_equal(mga_ruleset_node_count(rs), mga_ruleset_node_count(ref));
                assert_int_equal(mga_diags_count(d), 0);
            } else {
                assert_int_equal(st, MGA_E_NOMEM);
                assert_null(rs);
                nomem++;
            }
            mga_diags_free(d);
            mga_ruleset_free(rs);
            mga_engine_free(eng);
        } else {
            assert_int_equal(st, MGA_E_NOMEM);
            nomem++;
        }
        if (fs.live != 0)
            fail_msg("allocation %ld failing leaked %ld block(s)", n, fs.live);
        if (!fs.failed)
            break;
    }
    assert_true(nomem > 0);
    mga_ruleset_free(ref);
    mga_engine_free(ref_eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_compiles_clean),
        cmocka_unit_test(test_builtin_equals_rules_folder),
        cmocka_unit_test(test_builtin_evaluates),
        cmocka_unit_test(test_builtin_null_arguments),
        cmocka_unit_test(test_builtin_checks_quotes),
        cmocka_unit_test(test_builtin_oom_loop),
    };
    return cmocka_run_group_tests_name("builtin", tests, NULL, NULL);
}
