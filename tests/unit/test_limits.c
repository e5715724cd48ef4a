/* SPDX-License-Identifier: MIT */
/* Every limit of the engine, tested at the limit (accepted) and one past it (a located
 * error, nothing else lost): rule file size, string and name length, rule count, chain
 * length, profile size and depth, and the numbers a profile may carry. The README's table
 * of bad inputs points here. */
#include "helpers.h"

#include "graph.h" /* mga_ruleset.sweep */
#include "grammar.h" /* MAX_STRING, MAX_RULES */

#define RULE_SIZE_LIMIT ((size_t)64 << 20) /* api.c: one rule file */

/* Inputs of many megabytes or 100,000 rules use the system allocator: cmocka's
 * leak-checking one slows down with every live block. Leaks are still caught by the
 * sanitizer and Valgrind runs of this test. */
static mga_engine *big_engine(void)
{
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(NULL, &eng), MGA_OK);
    return eng;
}

static char *xmalloc(size_t n)
{
    char *p = malloc(n);
    assert_non_null(p);
    return p;
}

/* PRELUDE + a rule + comment lines padding the text to exactly n bytes. */
static char *padded_rules(size_t n)
{
    const char *rule = "rule r when age > 1 years then inform say \"x\" cite src end\n";
    size_t lp = strlen(PRELUDE), lr = strlen(rule);
    char *t = xmalloc(n + 1);
    memcpy(t, PRELUDE, lp);
    memcpy(t + lp, rule, lr);
    size_t k = lp + lr;
    while (k < n) {
        size_t line = n - k < 80 ? n - k : 80;
        t[k] = '#';
        memset(t + k + 1, 'x', line - 1);
        t[k + line - 1] = '\n';
        k += line;
    }
    t[n] = '\0';
    return t;
}

static void test_limits_rule_file_size(void **state)
{
    (void)state;
    mga_engine *eng = big_engine();
    char *t = padded_rules(RULE_SIZE_LIMIT + 1);
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile(eng, "big.mga", t, RULE_SIZE_LIMIT, &rs, &d), MGA_OK);
    assert_int_equal(mga_ruleset_rule_count(rs), 1);
    mga_ruleset_free(rs);
    mga_diags_free(d);
    assert_int_equal(mga_compile(eng, "big.mga", t, RULE_SIZE_LIMIT + 1, &rs, &d),
                     MGA_E_COMPILE);
    assert_null(rs);
    expect_diag(d, 9003, "file is larger than the limit of 67108864 bytes");
    mga_diags_free(d);
    free(t);
    mga_engine_free(eng);
}

/* A rule whose say text is n bytes long. */
static mga_status compile_say(mga_engine *eng, size_t n, mga_diags **d)
{
    char *rule = xmalloc(n + 128);
    size_t k = (size_t)sprintf(rule, "rule r then inform say \"");
    memset(rule + k, 's', n);
    k += n;
    strcpy(rule + k, "\" cite src end\n");
    mga_ruleset *rs = NULL;
    mga_status st = compile_rules(eng, rule, &rs, d);
    free(rule);
    mga_ruleset_free(rs);
    return st;
}

static void test_limits_string_length(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = NULL;
    assert_int_equal(compile_say(eng, MAX_STRING, &d), MGA_OK);
    mga_diags_free(d);
    assert_int_equal(compile_say(eng, MAX_STRING + 1, &d), MGA_E_COMPILE);
    const mga_diag *dg = expect_diag(d, 9004, "a string is longer than the limit of 65536 bytes");
    assert_int_equal(dg->line, prelude_lines() + 1);
    assert_int_equal(dg->col, 24); /* the opening quote */
    assert_int_equal(mga_diags_error_count(d), 1); /* once, however long */
    mga_diags_free(d);
    /* escapes count after decoding: 65536 '\n' escapes are 65536 bytes */
    char *rule = xmalloc(2 * MAX_STRING + 128);
    size_t k = (size_t)sprintf(rule, "rule r then inform say \"");
    for (size_t i = 0; i < MAX_STRING; i++, k += 2)
        memcpy(rule + k, "\\n", 2);
    strcpy(rule + k, "\" cite src end\n");
    mga_ruleset *rs = NULL;
    assert_int_equal(compile_rules(eng, rule, &rs, &d), MGA_OK);
    free(rule);
    mga_ruleset_free(rs);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_limits_name_length(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char rule[512];
    char name[200];
    memset(name, 'n', 128);
    name[128] = '\0';
    snprintf(rule, sizeof rule, "rule %s then inform say \"x\" cite src end\n", name);
    mga_diags *d = NULL;
    mga_ruleset *rs = NULL;
    assert_int_equal(compile_rules(eng, rule, &rs, &d), MGA_OK);
    mga_ruleset_free(rs);
    mga_diags_free(d);
    name[128] = 'n';
    name[129] = '\0';
    snprintf(rule, sizeof rule, "rule %s then inform say \"x\" cite src end\n", name);
    assert_int_equal(compile_rules(eng, rule, &rs, &d), MGA_E_COMPILE);
    expect_diag(d, 9004, "a name is longer than the limit of 128 bytes");
    mga_diags_free(d);
    mga_engine_free(eng);
}

static mga_status compile_n_rules(mga_engine *eng, size_t n, mga_diags **d)
{
    char *rules = xmalloc(n * 64 + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(rules + k, "rule r%zu then inform say \"x\" cite src end\n", i);
    mga_ruleset *rs = NULL;
    mga_status st = compile_rules(eng, rules, &rs, d);
    free(rules);
    if (st == MGA_OK)
        assert_int_equal(mga_ruleset_rule_count(rs), n);
    mga_ruleset_free(rs);
    return st;
}

static void test_limits_rule_count(void **state)
{
    (void)state;
    mga_engine *eng = big_engine();
    mga_diags *d = NULL;
    assert_int_equal(compile_n_rules(eng, MAX_RULES, &d), MGA_OK);
    mga_diags_free(d);
    assert_int_equal(compile_n_rules(eng, MAX_RULES + 1, &d), MGA_E_COMPILE);
    const mga_diag *dg = expect_diag(d, 9007, "too many rules (limit 100000)");
    assert_int_equal(dg->line, prelude_lines() + MAX_RULES + 1); /* at the first one past */
    assert_int_equal(mga_diags_error_count(d), 1);
    mga_diags_free(d);
    mga_engine_free(eng);
}

/* A set field of 65,536 symbols (1,024 words of mask per test) tested by n rules. */
static mga_status compile_mask_rules(mga_engine *eng, size_t n, mga_diags **d)
{
    enum { SYMS = 65536 };
    char *rules = xmalloc(SYMS * 8 + n * 64 + 64);
    size_t k = (size_t)sprintf(rules, "profile\n  big: set of s0");
    for (size_t i = 1; i < SYMS; i++)
        k += (size_t)sprintf(rules + k, ", s%zu", i);
    k += (size_t)sprintf(rules + k, "\nend\n");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(rules + k, "rule r%zu when big has s%zu then inform say \"x\" cite src end\n",
                             i, i);
    mga_ruleset *rs = NULL;
    mga_status st = compile_rules(eng, rules, &rs, d);
    free(rules);
    mga_ruleset_free(rs);
    return st;
}

/* The symbol masks of set and one-of tests: 2^20 words in all (1,024 tests of a field of
 * 65,536 symbols) compile, one test more is E9010 at that test. */
static void test_limits_mask_words(void **state)
{
    (void)state;
    mga_engine *eng = big_engine();
    mga_diags *d = NULL;
    assert_int_equal(compile_mask_rules(eng, 1024, &d), MGA_OK);
    mga_diags_free(d);
    assert_int_equal(compile_mask_rules(eng, 1025, &d), MGA_E_COMPILE);
    const mga_diag *dg =
        expect_diag(d, 9010, "set and one-of tests need more than 1048576 words of symbol masks here");
    assert_int_equal(dg->line, prelude_lines() + 3 + 1025); /* rule r1024 */
    assert_non_null(strstr(dg->note, "each test of 'big' takes 1024 words (65536 symbols)"));
    assert_int_equal(mga_diags_error_count(d), 1);
    mga_diags_free(d);
    mga_engine_free(eng);
}

/* Facts chained 100,000 deep, each naming the one written after it: compile (no
 * recursion along the chain), evaluate and explain. */
static void test_limits_fact_chain(void **state)
{
    (void)state;
    enum { N = 100000 };
    mga_engine *eng = big_engine();
    char *rules = xmalloc((size_t)N * 40 + 256);
    size_t k = 0;
    for (int i = N; i >= 1; i--)
        k += (size_t)sprintf(rules + k, "fact f%d when f%d\n", i, i - 1);
    k += (size_t)sprintf(rules + k, "fact f0 when age > 1 years\n");
    sprintf(rules + k, "rule top when f%d then inform say \"x\" cite src end\n", N);
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(compile_rules(eng, rules, &rs, &d), MGA_OK);
    free(rules);
    mga_diags_free(d);
    mga_profile *p = NULL;
    mga_result *r = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", "{\"age\": 30}", 11, &p, NULL), MGA_OK);
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    assert_int_equal(mga_result_advice_count(r), 1);
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_result_explain_write(r, NULL, MGA_FORMAT_TEXT, tbuf_write, &b), MGA_OK);
    assert_true(b.len < 100000);
    free(b.p);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* 3,000 rules naming the last of 3,000 chained facts: listing each rule's nodes would be
 * quadratic, so the rule set is swept whole instead, and evaluates as it should. */
static void test_limits_shared_chain_rules(void **state)
{
    (void)state;
    enum { N = 3000 };
    mga_engine *eng = big_engine();
    char *rules = xmalloc((size_t)N * 140 + 256);
    size_t k = (size_t)sprintf(rules, "fact f0 when age > 1 years\n");
    for (int i = 1; i <= N; i++)
        k += (size_t)sprintf(rules + k, "fact f%d when f%d and diet_mg < %d mg\n", i, i - 1, 20000 - i);
    for (int i = 0; i < N; i++)
        k += (size_t)sprintf(rules + k, "rule r%d when f%d and score > %d then inform say \"x\" cite src end\n",
                             i, N, i % 10);
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(compile_rules(eng, rules, &rs, &d), MGA_OK);
    free(rules);
    mga_diags_free(d);
    assert_true(rs->sweep);
    mga_profile *p = NULL;
    mga_result *r = NULL;
    const char *json = "{\"age\": 30, \"diet_mg\": 5, \"score\": 4.5}";
    assert_int_equal(mga_profile_parse(rs, "p.json", json, strlen(json), &p, NULL), MGA_OK);
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    assert_int_equal(mga_result_advice_count(r), N / 10 * 5); /* score > 0 .. score > 4 */
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static mga_ruleset *profile_rules(mga_engine *eng)
{
    return compile_ok(eng, "rule r when age > 1 years then inform say \"x\" cite src end\n",
                      NULL);
}

static mga_status parse(const mga_ruleset *rs, const char *json, size_t len, mga_diags **d)
{
    mga_profile *p = NULL;
    mga_status st = mga_profile_parse(rs, "p.json", json, len, &p, d);
    assert_true((st == MGA_OK) == (p != NULL));
    mga_profile_free(p);
    return st;
}

static void test_limits_profile_size(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = profile_rules(eng);
    size_t n = MGA_PROFILE_MAX_BYTES;
    char *json = xmalloc(n + 2);
    /* a valid profile padded with spaces to exactly the limit, then one byte more */
    memset(json, ' ', n + 1);
    memcpy(json, "{\"age\": 40", 10);
    json[n - 1] = '}';
    json[n] = ' ';
    json[n + 1] = '\0';
    mga_diags *d = NULL;
    assert_int_equal(parse(rs, json, n, &d), MGA_OK);
    mga_diags_free(d);
    assert_int_equal(parse(rs, json, n + 1, &d), MGA_E_PROFILE);
    expect_diag(d, 4012, "profile is larger than the limit of 1048576 bytes (byte 0)");
    char *out = render_diags(d);
    assert_true(strlen(out) < 2048); /* the message, not the megabyte */
    free(out);
    mga_diags_free(d);
    /* a long string: the id may be as long as the profile allows */
    memset(json, 'i', n);
    memcpy(json, "{\"id\": \"", 8);
    memcpy(json + n - 2, "\"}", 2);
    assert_int_equal(parse(rs, json, n, &d), MGA_OK);
    mga_diags_free(d);
    free(json);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A profile of the largest size made of unknown keys: the first MGA_PROFILE_MAX_DIAGS
 * listed, one more diagnostic counting the rest (a linear amount of work; the time is
 * measured by bench/unknown_fields.sh, not here). */
static void test_limits_profile_of_unknown_keys(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = profile_rules(eng);
    size_t n = MGA_PROFILE_MAX_BYTES;
    char *json = xmalloc(n + 1);
    size_t k = 0, keys = 0;
    json[k++] = '{';
    while (k + 40 < n)
        k += (size_t)sprintf(json + k, "%s\"key_%07zu\": 1", keys ? ", " : "", keys), keys++;
    json[k++] = '}';
    mga_diags *d = NULL;
    assert_int_equal(parse(rs, json, k, &d), MGA_E_PROFILE);
    assert_int_equal(mga_diags_count(d), MGA_PROFILE_MAX_DIAGS + 1);
    assert_int_equal(count_diag(d, 4013), MGA_PROFILE_MAX_DIAGS);
    char msg[32];
    snprintf(msg, sizeof msg, "%zu more not listed", keys - MGA_PROFILE_MAX_DIAGS);
    assert_true(has_substr(mga_diags_ref(d, MGA_PROFILE_MAX_DIAGS)->message, msg));
    char *out = render_diags(d);
    assert_true(strlen(out) < 16384); /* windows of the line, not the megabyte */
    free(out);
    mga_diags_free(d);
    free(json);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_limits_profile_depth(void **state)
{
    (void)state;
    mga_engine *eng = make_engine_lenient();
    mga_ruleset *rs = profile_rules(eng);
    /* an unknown field's value is skipped (when unknown fields are allowed), but its depth
     * still counts: 64 levels in all (the object itself is one) are accepted, 65 are not */
    for (int levels = 64; levels <= 65; levels++) {
        char json[256];
        size_t k = (size_t)sprintf(json, "{\"extra\":");
        for (int i = 1; i < levels; i++)
            json[k++] = '[';
        for (int i = 1; i < levels; i++)
            json[k++] = ']';
        json[k++] = '}';
        mga_diags *d = NULL;
        mga_status st = parse(rs, json, k, &d);
        if (levels == 64) {
            assert_int_equal(st, MGA_OK);
        } else {
            assert_int_equal(st, MGA_E_PROFILE);
            expect_diag(d, 4009, "$: nested deeper than 64 levels (byte 72)");
        }
        mga_diags_free(d);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Numbers a profile may not carry, and bytes it may not hold: each a located error. */
static void test_limits_profile_bad_values(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = profile_rules(eng);
    static const struct {
        const char *json;
        unsigned code;
        size_t len; /* 0: strlen */
    } cases[] = {
        {"{\"age\": 1e999}", 4008, 0},         /* overflows a double */
        {"{\"age\": -1e999}", 4008, 0},
        {"{\"age\": NaN}", 4001, 0},           /* not JSON */
        {"{\"age\": Infinity}", 4001, 0},
        {"{\"age\": -5}", 4003, 0},            /* below the declared range */
        {"{\"age\": 131}", 4003, 0},           /* above it */
        {"{\"supplement_mg\": -1}", 4003, 0},  /* a negative dose */
        {"{\"supplement_mg\": 1e300}", 4003, 0}, /* an absurd one */
        {"{\"id\": \"\xff\"}", 4001, 0},       /* invalid UTF-8 */
        {"{\"id\": \"\xc0\xaf\"}", 4001, 0},   /* an overlong encoding */
        {"{\"age\": 40}\0", 4001, 12},      /* a NUL byte after the object */
        {"{\"id\": \"a\0b\"}", 4001, 13},     /* a NUL byte in a string */
        {"", 4010, 0},                         /* empty */
        {"\r\n", 4010, 0},                     /* an empty line */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].json);
        mga_diags *d = NULL;
        if (parse(rs, cases[i].json, len, &d) != MGA_E_PROFILE || !find_diag(d, cases[i].code)) {
            char *out = render_diags(d);
            print_error("case %zu (%s): expected E%u, got:\n%s", i, cases[i].json,
                        cases[i].code, out);
            free(out);
            fail();
        }
        mga_diags_free(d);
    }
    /* at the edges of the range, CRLF and a BOM are fine */
    static const char *const good[] = {"{\"age\": 0}", "{\"age\": 130}", "{\"age\": 1.3e2}",
                                       "{\"age\": 40}\r\n", "\xef\xbb\xbf{\"age\": 40}"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mga_diags *d = NULL;
        if (parse(rs, good[i], strlen(good[i]), &d) != MGA_OK) {
            char *out = render_diags(d);
            print_error("good case %zu (%s) rejected:\n%s", i, good[i], out);
            free(out);
            fail();
        }
        mga_diags_free(d);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_rule_file_size),
        cmocka_unit_test(test_limits_string_length),
        cmocka_unit_test(test_limits_name_length),
        cmocka_unit_test(test_limits_rule_count),
        cmocka_unit_test(test_limits_mask_words),
        cmocka_unit_test(test_limits_fact_chain),
        cmocka_unit_test(test_limits_shared_chain_rules),
        cmocka_unit_test(test_limits_profile_size),
        cmocka_unit_test(test_limits_profile_of_unknown_keys),
        cmocka_unit_test(test_limits_profile_depth),
        cmocka_unit_test(test_limits_profile_bad_values),
    };
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
