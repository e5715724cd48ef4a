/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: one profile (JSON) against the shipped rules: parse, evaluate, walk
 * the result and write it in every format. Checks the safety promises that hold for any
 * profile: every advice item is cited and carries text, no suggested dose exceeds the
 * maximum, and the output is the same when written twice. */
#include <mgadvise.h>

#include <stdint.h>
#include <string.h>

#include "fuzz.h"

static mga_ruleset *rules; /* compiled once, before the first input; read-only after */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rules = fuzz_builtin_rules();
    return 0;
}

typedef struct sum {
    unsigned long long h, n;
} sum;

static int sum_write(void *ud, const char *p, size_t len)
{
    sum *s = ud;
    for (size_t i = 0; i < len; i++)
        s->h = (s->h ^ (unsigned char)p[i]) * 0x100000001B3ull;
    s->n += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const mga_ruleset *rs = rules;
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_profile_parse(rs, "fuzz.json", (const char *)data, size, &p, &d);
    if (d)
        FUZZ_CHECK(mga_diags_render(d, fuzz_sink, NULL) == MGA_OK);
    mga_diags_free(d);
    if (st != MGA_OK) {
        FUZZ_CHECK(p == NULL);
        return 0;
    }
    mga_result *r = NULL;
    FUZZ_CHECK(mga_evaluate(rs, p, &r) == MGA_OK);
    FUZZ_CHECK(mga_result_disclaimer(r) != NULL);
    for (size_t i = 0; i < mga_result_advice_count(r); i++) {
        const mga_advice *a = mga_result_advice_ref(r, i);
        FUZZ_CHECK(a && a->rule && a->text && a->ncites > 0);
    }
    const mga_dose *dose = mga_result_dose_ref(r);
    FUZZ_CHECK(dose != NULL);
    /* GUIDANCE: never above 400 mg/day from supplements, whatever the profile */
    FUZZ_CHECK(!dose->has_start || dose->start_mg <= 400);
    FUZZ_CHECK(!dose->has_target || dose->target_mg <= 400);
    FUZZ_CHECK(!dose->has_max || dose->max_mg <= 400);
    if (dose->has_max) {
        FUZZ_CHECK(!dose->has_start || dose->start_mg <= dose->max_mg);
        FUZZ_CHECK(!dose->has_target || dose->target_mg <= dose->max_mg);
    }
    const mga_format fmts[] = {MGA_FORMAT_JSON, MGA_FORMAT_JSON_PRETTY, MGA_FORMAT_TEXT,
                               MGA_FORMAT_JSON_BRIEF};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        sum a = {0xcbf29ce484222325ull, 0}, b = a;
        FUZZ_CHECK(mga_result_write(r, fmts[i], sum_write, &a) == MGA_OK);
        FUZZ_CHECK(mga_result_write(r, fmts[i], sum_write, &b) == MGA_OK);
        FUZZ_CHECK(a.h == b.h && a.n == b.n && a.n > 0);
    }
    mga_result_free(r);
    mga_profile_free(p);
    return 0;
}
