/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: one rule-test file (.mgt) checked against the shipped rules (compiled
 * once) and, when it compiles, run with coverage. Any input must end in tests or in
 * diagnostics, never a crash, a leak or a hang; a run reports at most as many failing tests
 * as there are tests, in one write exactly when one fails. */
#include <mgadvise.h>

#include <stdint.h>

#include "fuzz.h"

static mga_ruleset *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rules = fuzz_builtin_rules();
    return 0;
}

static int count_write(void *ud, const char *p, size_t len)
{
    (void)p;
    FUZZ_CHECK(len > 0);
    (*(size_t *)ud)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mga_options opt;
    mga_options_init(&opt);
    mga_engine *eng = NULL;
    FUZZ_CHECK(mga_engine_new(&opt, &eng) == MGA_OK);
    mga_source src = {"fuzz.mgt", (const char *)data, size};
    mga_tests *t = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_tests_compile(eng, rules, &src, 1, &t, &d);
    if (st == MGA_OK) {
        FUZZ_CHECK(t != NULL && mga_tests_count(t) > 0);
        FUZZ_CHECK(mga_diags_error_count(d) == 0);
    } else {
        FUZZ_CHECK(t == NULL);
        FUZZ_CHECK(st == MGA_E_COMPILE && mga_diags_error_count(d) > 0);
    }
    if (d)
        FUZZ_CHECK(mga_diags_render(d, fuzz_sink, NULL) == MGA_OK);
    mga_diags_free(d);
    if (t) {
        mga_coverage *cov = NULL;
        FUZZ_CHECK(mga_coverage_new(rules, &cov) == MGA_OK);
        size_t failed = 0, writes = 0;
        FUZZ_CHECK(mga_tests_run(t, cov, count_write, &writes, &failed) == MGA_OK);
        FUZZ_CHECK(failed <= mga_tests_count(t));
        FUZZ_CHECK(writes == (failed > 0));
        FUZZ_CHECK(mga_coverage_rules_fired(cov) <= mga_ruleset_rule_count(rules));
        FUZZ_CHECK(mga_coverage_write(cov, fuzz_sink, NULL) == MGA_OK);
        mga_coverage_free(cov);
        mga_tests_free(t);
    }
    mga_engine_free(eng);
    return 0;
}
