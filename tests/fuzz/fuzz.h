/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz harnesses: the shipped rules compiled, a writer that discards, and a
 * check that aborts (so that libFuzzer records the input) when an invariant of the public
 * API does not hold. */
#ifndef MGA_FUZZ_H
#define MGA_FUZZ_H

#include <mgadvise.h>

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static inline int fuzz_sink(void *ud, const char *p, size_t len)
{
    (void)ud;
    (void)p;
    (void)len;
    return 0;
}

/* The shipped rule base, compiled once: most harnesses run their inputs against it. The
 * engine is freed at once (a rule set does not need it); the rule set lives until exit. */
static inline mga_ruleset *fuzz_builtin_rules(void)
{
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    FUZZ_CHECK(mga_engine_new(NULL, &eng) == MGA_OK);
    FUZZ_CHECK(mga_compile_builtin(eng, &rs, &d) == MGA_OK);
    mga_diags_free(d);
    mga_engine_free(eng);
    return rs;
}

/* Every harness defines both: libFuzzer calls LLVMFuzzerInitialize once before the first
 * input (process-wide setup, such as compiling the rule set, belongs there), and so does
 * the replay driver. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#endif
