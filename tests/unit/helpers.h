/* SPDX-License-Identifier: MIT */
/* Shared unit-test helpers: cmocka's leak-checking allocator, engines built on it, a rule
 * prelude every test compiles with its own rules, profile evaluation to JSON and fail_at. */
#ifndef MGA_TEST_HELPERS_H
#define MGA_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mgadvise.h"

/* Every engine in a test gets this allocator, so any leak fails the test. */
static inline void *cm_realloc(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        if (p)
            test_free(p);
        return NULL;
    }
    return test_realloc(p, n);
}

/* An engine with the leak-checking allocator (and the given limits when non-zero). */
static inline mga_engine *make_engine_opts(unsigned max_errors, unsigned max_depth)
{
    mga_options opt;
    mga_options_init(&opt);
    opt.realloc_fn = cm_realloc;
    if (max_errors)
        opt.max_errors = max_errors;
    if (max_depth)
        opt.max_depth = max_depth;
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
    assert_non_null(eng);
    return eng;
}

static inline mga_engine *make_engine(void)
{
    return make_engine_opts(0, 0);
}

/* An engine whose rule sets read unknown profile fields as warnings (allow_unknown_fields). */
static inline mga_engine *make_engine_lenient(void)
{
    mga_options opt;
    mga_options_init(&opt);
    opt.realloc_fn = cm_realloc;
    opt.allow_unknown_fields = true;
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
    assert_non_null(eng);
    return eng;
}

/* The shared prelude: one of each declaration and a profile block with every field type.
 * Tests append their rules; source 'src' has references 1 to 3. */
#define PRELUDE                                                                                \
    "ruleset \"test rules\"\n"                                                                 \
    "disclaimer \"Not medical advice.\"\n"                                                     \
    "source src \"Test Source\"\n"                                                             \
    "  file \"src.txt\"\n"                                                                     \
    "  author \"A. Author\"\n"                                                                 \
    "  publisher \"Test Publisher\"\n"                                                         \
    "  ref 1 \"Reference one.\"\n"                                                             \
    "  ref 2 \"Reference two.\"\n"                                                             \
    "  ref 3 \"Reference three.\"\n"                                                           \
    "end\n"                                                                                    \
    "dimension mass base mg\n"                                                                 \
    "  unit g = 1000 mg\n"                                                                     \
    "end\n"                                                                                    \
    "dimension duration base days\n"                                                           \
    "  unit weeks = 7 days\n"                                                                  \
    "  unit years = 365.25 days\n"                                                             \
    "end\n"                                                                                    \
    "dimension vitamin_d_level base nmol/L\n"                                                  \
    "  unit ng/mL = 2.496 nmol/L\n"                                                            \
    "end\n"                                                                                    \
    "forms glycinate, citrate, oxide, threonate\n"                                             \
    "profile\n"                                                                                \
    "  id: text\n"                                                                             \
    "  note: text\n"                                                                           \
    "  age: number years range 0..130\n"                                                       \
    "  sex: one of female, male\n"                                                             \
    "  activity: one of low, moderate, high\n"                                                 \
    "  conditions: set of kidney_disease, ibs, insomnia\n"                                     \
    "  symptoms: set of confusion, nausea, fatigue\n"                                          \
    "  balanced_diet: boolean\n"                                                               \
    "  pregnant: boolean\n"                                                                    \
    "  diet_mg: number mg range 0..10000\n"                                                    \
    "  supplement_mg: number mg range 0..10000\n"                                              \
    "  vitamin_d_level: number ng/mL range 0..500\n"                                           \
    "  score: number range -10..10\n"                                                          \
    "end\n"

/* The number of lines in PRELUDE: a rule on the first line after it is on line
 * PRELUDE_LINES + 1. */
static inline unsigned prelude_lines(void)
{
    unsigned n = 0;
    for (const char *p = PRELUDE; *p; p++)
        n += *p == '\n';
    return n;
}

/* Compiles PRELUDE followed by rules (as "test.mga"). diags may be NULL. */
static inline mga_status compile_rules(mga_engine *eng, const char *rules, mga_ruleset **out,
                                       mga_diags **diags)
{
    size_t lp = strlen(PRELUDE), lr = strlen(rules);
    char *text = malloc(lp + lr + 1);
    assert_non_null(text);
    memcpy(text, PRELUDE, lp);
    memcpy(text + lp, rules, lr + 1);
    mga_status st = mga_compile(eng, "test.mga", text, lp + lr, out, diags);
    free(text); /* the engine copies what it keeps */
    return st;
}

/* A growing buffer for mga_write_fn; fail_after >= 0 makes that write fail. */
typedef struct tbuf {
    char *p;
    size_t len, cap;
    int writes, fail_after;
} tbuf;

static inline int tbuf_write(void *ud, const char *p, size_t n)
{
    tbuf *b = ud;
    if (b->fail_after >= 0 && b->writes++ >= b->fail_after)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

#define TBUF_INIT {NULL, 0, 0, 0, -1}

/* Writes a result in fmt; returns a malloc'd string (free with free). */
static inline char *result_string(const mga_result *r, mga_format fmt)
{
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_result_write(r, fmt, tbuf_write, &b), MGA_OK);
    if (!b.p)
        b.p = calloc(1, 1);
    return b.p;
}

/* Parses json against rs, evaluates and returns the one-line JSON result as a malloc'd
 * string. Fails the test if the profile has errors. */
static inline char *eval_json(const mga_ruleset *rs, const char *json)
{
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_profile_parse(rs, "profile.json", json, strlen(json), &p, &d);
    if (st != MGA_OK) {
        for (size_t i = 0; i < mga_diags_count(d); i++)
            print_error("profile: %s\n", mga_diags_ref(d, i)->message);
    }
    assert_int_equal(st, MGA_OK);
    mga_diags_free(d);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    char *s = result_string(r, MGA_FORMAT_JSON);
    mga_result_free(r);
    mga_profile_free(p);
    return s;
}

/* Renders diagnostics; returns a malloc'd string. */
static inline char *render_diags(const mga_diags *d)
{
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_diags_render(d, tbuf_write, &b), MGA_OK);
    if (!b.p)
        b.p = calloc(1, 1);
    return b.p;
}

/* The first diagnostic with this code, or NULL. */
static inline const mga_diag *find_diag(const mga_diags *d, unsigned code)
{
    for (size_t i = 0; i < mga_diags_count(d); i++)
        if (mga_diags_ref(d, i)->code == code)
            return mga_diags_ref(d, i);
    return NULL;
}

static inline size_t count_diag(const mga_diags *d, unsigned code)
{
    size_t n = 0;
    for (size_t i = 0; i < mga_diags_count(d); i++)
        n += mga_diags_ref(d, i)->code == code;
    return n;
}

/* Asserts a diagnostic with code and exact message exists; returns it. */
static inline const mga_diag *expect_diag(const mga_diags *d, unsigned code, const char *msg)
{
    for (size_t i = 0; i < mga_diags_count(d); i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        if (dg->code == code && (!msg || strcmp(dg->message, msg) == 0))
            return dg;
    }
    print_error("no diagnostic %u '%s'; have:\n", code, msg ? msg : "*");
    for (size_t i = 0; i < mga_diags_count(d); i++)
        print_error("  %u %s\n", mga_diags_ref(d, i)->code, mga_diags_ref(d, i)->message);
    fail();
    return NULL;
}

/* Compiles rules that must fail and returns the diagnostics (free them). */
static inline mga_diags *compile_errors(mga_engine *eng, const char *rules)
{
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(compile_rules(eng, rules, &rs, &d), MGA_E_COMPILE);
    assert_null(rs);
    assert_non_null(d);
    return d;
}

/* Compiles rules that must succeed; the diagnostics (warnings) go to *diags if non-NULL. */
static inline mga_ruleset *compile_ok(mga_engine *eng, const char *rules, mga_diags **diags)
{
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_status st = compile_rules(eng, rules, &rs, &d);
    if (st != MGA_OK) {
        char *s = render_diags(d);
        print_error("%s", s);
        free(s);
    }
    assert_int_equal(st, MGA_OK);
    assert_non_null(rs);
    if (diags)
        *diags = d;
    else
        mga_diags_free(d);
    return rs;
}

/* fail_at: allocation number `fail_at` (counting from 0, allocations and growing
 * reallocations alike) returns NULL, once; every other call goes to cm_realloc. */
typedef struct fail_state {
    long calls;
    long fail_at;
    bool failed;
    long live; /* blocks allocated and not yet freed */
} fail_state;

static inline void *fail_realloc(void *ud, void *p, size_t old, size_t n)
{
    fail_state *fs = ud;
    if (n != 0 && fs->calls++ == fs->fail_at) {
        fs->failed = true;
        return NULL;
    }
    void *q = cm_realloc(NULL, p, old, n);
    if (!p && q)
        fs->live++;
    else if (p && n == 0)
        fs->live--;
    return q;
}

/* Runs step(ud) with allocation 0, 1, 2, ... failing in turn until a run sees no failure.
 * Every run must return MGA_OK or MGA_E_NOMEM and leave as many blocks live as it found
 * (step frees what it made); the run without a failure must return MGA_OK. */
typedef mga_status (*fail_step)(void *ud);

static inline void fail_each(fail_state *fs, fail_step step, void *ud)
{
    long live = fs->live;
    for (long n = 0;; n++) {
        fs->calls = 0;
        fs->fail_at = n;
        fs->failed = false;
        mga_status st = step(ud);
        assert_true(st == MGA_OK || st == MGA_E_NOMEM);
        if (fs->live != live)
            fail_msg("allocation %ld failing leaked %ld block(s)", n, fs->live - live);
        if (!fs->failed) {
            assert_int_equal(st, MGA_OK);
            break;
        }
    }
    fs->fail_at = -1;
}

/* An engine whose every allocation goes through fail_realloc with fs (none fails while
 * fs->fail_at is -1). */
static inline mga_engine *fail_engine(fail_state *fs)
{
    mga_options opt;
    mga_options_init(&opt);
    opt.realloc_fn = fail_realloc;
    opt.alloc_ud = fs;
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
    return eng;
}

static inline bool has_substr(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

#define assert_contains(hay, needle)                                                           \
    do {                                                                                       \
        const char *h_ = (hay);                                                                \
        if (!has_substr(h_, (needle))) {                                                       \
            print_error("expected to find:\n  %s\nin:\n  %s\n", (needle), h_ ? h_ : "(null)");  \
            fail();                                                                            \
        }                                                                                      \
    } while (0)

#define assert_not_contains(hay, needle)                                                       \
    do {                                                                                       \
        const char *h_ = (hay);                                                                \
        if (has_substr(h_, (needle))) {                                                        \
            print_error("did not expect:\n  %s\nin:\n  %s\n", (needle), h_);                   \
            fail();                                                                            \
        }                                                                                      \
    } while (0)

/* Generated rule text: rt_add appends printf-style (the buffer is plain malloc, freed by
 * the test). */
typedef struct rtext {
    char *p;
    size_t len, cap;
} rtext;

static inline void rt_add(rtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void rt_add(rtext *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

#endif
