/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: one rule file through the whole compiler (lexer, parser, sema,
 * graph), the diagnostic writers (text, JSON, SARIF) and the profile schema. Any input
 * must end in a ruleset or in diagnostics, never a crash, a leak or a hang. */
#include <mgadvise.h>

#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0; /* every input gets its own engine: the compiler's whole path is the target */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mga_options opt;
    mga_options_init(&opt);
    opt.max_errors = 50;
    mga_engine *eng = NULL;
    if (mga_engine_new(&opt, &eng) != MGA_OK)
        return 0;
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_compile(eng, "fuzz.mga", (const char *)data, size, &rs, &d);
    if (st == MGA_OK) {
        FUZZ_CHECK(rs != NULL);
        FUZZ_CHECK(mga_diags_error_count(d) == 0);
        for (size_t i = 0; i < mga_ruleset_rule_count(rs); i++)
            FUZZ_CHECK(mga_ruleset_rule_id(rs, i) != NULL);
        FUZZ_CHECK(mga_ruleset_write_schema(rs, fuzz_sink, NULL) == MGA_OK);
    } else {
        FUZZ_CHECK(rs == NULL);
        FUZZ_CHECK(st != MGA_E_COMPILE || mga_diags_error_count(d) > 0);
    }
    if (d) {
        FUZZ_CHECK(mga_diags_render(d, fuzz_sink, NULL) == MGA_OK);
        FUZZ_CHECK(mga_diags_write(d, MGA_DIAGS_JSON, fuzz_sink, NULL) == MGA_OK);
        FUZZ_CHECK(mga_diags_write(d, MGA_DIAGS_SARIF, fuzz_sink, NULL) == MGA_OK);
    }
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    return 0;
}
