/* SPDX-License-Identifier: MIT */
/* Unit tests for the scanner (grammar/lexer.l, parse.c's encoding check), run through whole
 * compiles: strings and escapes, comments, numbers, encodings, BOM, CRLF, bad bytes. */
#include "helpers.h"

/* A rule that always fires and says `say` (a string literal as written in the source). */
static char *say_rule(const char *say)
{
    static const char *fmt = "rule r\n  then inform\n  say %s\n  cite src\nend\n";
    size_t n = strlen(fmt) + strlen(say) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, fmt, say);
    return s;
}

/* Compiles the rule, evaluates an empty profile and returns the advice text (malloc'd). */
static char *said(mga_engine *eng, const char *say)
{
    char *rules = say_rule(say);
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    free(rules);
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, "p", "{}", 2, &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    assert_int_equal(mga_result_advice_count(r), 1);
    char *text = strdup(mga_result_advice_ref(r, 0)->text);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    return text;
}

static void test_lexer_string_escapes(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char *t = said(eng, "\"q\\\"b\\\\s\\nn\\tt\\u{E9}\\u{20AC}\\u{1F600}\\u{41}\"");
    assert_string_equal(t, "q\"b\\s\nn\tt\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80" "A");
    free(t);
    mga_engine_free(eng);
}

static void test_lexer_adjacent_strings_concatenate(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char *t = said(eng, "\"Take it \"\n    \"with food.\"");
    assert_string_equal(t, "Take it with food.");
    free(t);
    mga_engine_free(eng);
}

static void test_lexer_utf8_in_string_kept(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char *t = said(eng, "\"caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D\"");
    assert_string_equal(t, "caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D");
    free(t);
    mga_engine_free(eng);
}

static void test_lexer_comments_ignored(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 "# a comment line\n"
                                 "rule r # after a token\n"
                                 "  then inform # \"not a string\n"
                                 "  say \"has # inside\" # trailing\n"
                                 "  cite src\n"
                                 "end # done",
                                 NULL);
    assert_int_equal(mga_ruleset_rule_count(rs), 1);
    assert_string_equal(mga_ruleset_rule_id(rs, 0), "r");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_lexer_unterminated_string(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "rule r then inform say \"abc\n  cite src\nend\n");
    assert_int_equal(mga_diags_error_count(d), 1);
    const mga_diag *dg =
        expect_diag(d, 1002, "unterminated string: expected '\"' before the end of the line");
    assert_int_equal(dg->line, prelude_lines() + 1);
    assert_int_equal(dg->col, 24);
    assert_int_equal(dg->len, 1);
    mga_diags_free(d);

    /* at the end of the file too */
    d = compile_errors(eng, "rule r then inform say \"abc");
    dg = expect_diag(d, 1002, NULL);
    assert_int_equal(dg->col, 24);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_lexer_bad_escape(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "rule r then inform say \"a\\qb\" cite src end\n");
    assert_int_equal(mga_diags_error_count(d), 1);
    const mga_diag *dg = expect_diag(d, 1003, "invalid escape '\\q' in string");
    assert_int_equal(dg->line, prelude_lines() + 1);
    assert_int_equal(dg->col, 26);
    assert_int_equal(dg->len, 2);
    mga_diags_free(d);

    /* surrogates, zero and values past U+10FFFF are not characters */
    const char *bad[] = {"\\u{D800}", "\\u{0}", "\\u{110000}"};
    for (size_t i = 0; i < 3; i++) {
        char rule[128], msg[64];
        snprintf(rule, sizeof rule, "rule r then inform say \"a%sb\" cite src end\n", bad[i]);
        snprintf(msg, sizeof msg, "invalid escape '%s' in string", bad[i]);
        d = compile_errors(eng, rule);
        expect_diag(d, 1003, msg);
        mga_diags_free(d);
    }
    mga_engine_free(eng);
}

static void test_lexer_invalid_utf8(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char *cases[] = {"\xFF", "\xC0\x80", "\xE0\x80\x80", "\xED\xA0\x80", "\xC3"};
    const unsigned bytes[] = {0xff, 0xc0, 0xe0, 0xed, 0xc3};
    for (size_t i = 0; i < 5; i++) {
        char rules[64];
        snprintf(rules, sizeof rules, "# ok\nsay %s x\n", cases[i]);
        mga_diags *d = compile_errors(eng, rules);
        char msg[64];
        snprintf(msg, sizeof msg, "invalid UTF-8 (byte 0x%02x)", bytes[i]);
        assert_int_equal(mga_diags_error_count(d), 1); /* the file is not parsed further */
        const mga_diag *dg = expect_diag(d, 1004, msg);
        assert_int_equal(dg->line, prelude_lines() + 2);
        assert_int_equal(dg->col, 5);
        assert_int_equal(dg->len, 1);
        mga_diags_free(d);
    }
    mga_engine_free(eng);
}

static void test_lexer_nul_byte(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char text[] = "ruleset \"a\x00" "b\"\n";
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile(eng, "nul.mga", text, sizeof text - 1, &rs, &d), MGA_E_COMPILE);
    assert_null(rs);
    assert_int_equal(mga_diags_error_count(d), 1);
    const mga_diag *dg = expect_diag(d, 1006, "NUL byte in rule file");
    assert_int_equal(dg->offset, 10);
    assert_int_equal(dg->col, 11);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_lexer_bom_accepted(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    size_t lp = strlen(PRELUDE);
    const char *rule = "rule r then inform say \"x\" cite src end\n";
    char *text = malloc(3 + lp + strlen(rule) + 1);
    memcpy(text, "\xEF\xBB\xBF", 3);
    memcpy(text + 3, PRELUDE, lp);
    strcpy(text + 3 + lp, rule);
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile(eng, "bom.mga", text, strlen(text), &rs, &d), MGA_OK);
    assert_int_equal(mga_diags_count(d), 0);
    assert_string_equal(mga_ruleset_name(rs), "test rules");
    mga_ruleset_free(rs);
    mga_diags_free(d);

    /* an error on the first line is located as if the BOM were not there */
    const char bad[] = "\xEF\xBB\xBF@";
    assert_int_equal(mga_compile(eng, "bom.mga", bad, 4, &rs, &d), MGA_E_COMPILE);
    const mga_diag *dg = expect_diag(d, 1001, "unexpected character '@'");
    assert_int_equal(dg->offset, 3);
    assert_int_equal(dg->line, 1);
    assert_int_equal(dg->col, 1);
    char *out = render_diags(d);
    assert_string_equal(out, "bom.mga:1:1: error[E1001]: unexpected character '@'\n"
                             "    1 | @\n"
                             "      | ^\n"
                             "mgadvise: 1 error\n");
    free(out);
    mga_diags_free(d);
    free(text);
    mga_engine_free(eng);
}

static void test_lexer_crlf_accepted(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char *src = PRELUDE "rule r\n  then inform\n  say \"x\"\n  cite src\nend\n";
    size_t n = strlen(src);
    char *crlf = malloc(2 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '\n')
            crlf[k++] = '\r';
        crlf[k++] = src[i];
    }
    crlf[k] = '\0';
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile(eng, "crlf.mga", crlf, k, &rs, &d), MGA_OK);
    assert_int_equal(mga_diags_count(d), 0);
    assert_int_equal(mga_ruleset_rule_count(rs), 1);
    mga_ruleset_free(rs);
    mga_diags_free(d);

    /* errors after CRLF lines keep their line and column */
    const char *bad = "ruleset \"a\"\r\n\r\n  @\r\n";
    assert_int_equal(mga_compile(eng, "crlf.mga", bad, strlen(bad), &rs, &d), MGA_E_COMPILE);
    const mga_diag *dg = expect_diag(d, 1001, "unexpected character '@'");
    assert_int_equal(dg->line, 3);
    assert_int_equal(dg->col, 3);
    mga_diags_free(d);
    free(crlf);
    mga_engine_free(eng);
}

static void test_lexer_unexpected_characters(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(eng, "rule r then inform say \"x\" cite src end\n$ \xC3\xA9 \x01\n");
    assert_int_equal(mga_diags_error_count(d), 3);
    const mga_diag *dg = expect_diag(d, 1001, "unexpected character '$'");
    assert_int_equal(dg->col, 1);
    dg = expect_diag(d, 1001, "unexpected character '\xC3\xA9'");
    assert_int_equal(dg->col, 3);
    assert_int_equal(dg->len, 2);
    dg = expect_diag(d, 1001, "unexpected character 'U+0001'"); /* control bytes are named */
    assert_int_equal(dg->col, 5);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_lexer_number_out_of_range(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_diags *d = compile_errors(
        eng, "rule r when age > 1e999 years then inform say \"x\" cite src end\n");
    const mga_diag *dg = expect_diag(d, 1005, "number '1e999' is out of range");
    assert_int_equal(dg->col, 19);
    assert_int_equal(dg->len, 5);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_lexer_name_too_long(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char rules[512];
    char name[200];
    memset(name, 'a', 129);
    name[129] = '\0';
    snprintf(rules, sizeof rules, "rule %s then inform say \"x\" cite src end\n", name);
    mga_diags *d = compile_errors(eng, rules);
    expect_diag(d, 9004, "a name is longer than the limit of 128 bytes");
    mga_diags_free(d);
    /* at the limit it is fine */
    name[128] = '\0';
    snprintf(rules, sizeof rules, "rule %s then inform say \"x\" cite src end\n", name);
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    assert_string_equal(mga_ruleset_rule_id(rs, 0), name);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_lexer_empty_source_compiles_to_error_free_parse(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    /* nothing to parse; the only error is the missing disclaimer */
    assert_int_equal(mga_compile(eng, "empty.mga", "", 0, &rs, &d), MGA_E_COMPILE);
    assert_int_equal(mga_diags_count(d), 1);
    expect_diag(d, 3025, "the rule set declares no disclaimer: every result must carry one");
    mga_diags_free(d);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer_string_escapes),
        cmocka_unit_test(test_lexer_adjacent_strings_concatenate),
        cmocka_unit_test(test_lexer_utf8_in_string_kept),
        cmocka_unit_test(test_lexer_comments_ignored),
        cmocka_unit_test(test_lexer_unterminated_string),
        cmocka_unit_test(test_lexer_bad_escape),
        cmocka_unit_test(test_lexer_invalid_utf8),
        cmocka_unit_test(test_lexer_nul_byte),
        cmocka_unit_test(test_lexer_bom_accepted),
        cmocka_unit_test(test_lexer_crlf_accepted),
        cmocka_unit_test(test_lexer_unexpected_characters),
        cmocka_unit_test(test_lexer_number_out_of_range),
        cmocka_unit_test(test_lexer_name_too_long),
        cmocka_unit_test(test_lexer_empty_source_compiles_to_error_free_parse),
    };
    return cmocka_run_group_tests_name("lexer", tests, NULL, NULL);
}
