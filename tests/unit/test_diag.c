/* SPDX-License-Identifier: MIT */
/* Unit tests for diag.c: the diagnostics list, line/column in code points, suggestions,
 * the error limit and the exact rendered form (location, source line, caret, note, count). */
#include "helpers.h"

#include "diag.h"

static mem test_mem(void)
{
    mem m = {cm_realloc, NULL};
    return m;
}

static void test_diag_render_exact_with_caret_and_note(void **state)
{
    (void)state;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    assert_non_null(d);
    const char *text = "forms glycinate\n"
                       "rule r\n"
                       "  when conditions has kidney_diseese\n";
    int s = diag_source(d, "rules/forms.mga", text, strlen(text));
    assert_int_equal(s, 0);
    size_t off = (size_t)(strstr(text, "kidney_diseese") - text);
    mga_diag *dg = diag_add(d, DIAG_UNKNOWN_SYMBOL, s, off, 14, "kidney_diseese", "conditions");
    assert_non_null(dg);
    diag_note(d, dg, "did you mean '%s'?", "kidney_disease");
    assert_int_equal(dg->line, 3);
    assert_int_equal(dg->col, 23);
    assert_int_equal(dg->end_line, 3);
    assert_int_equal(dg->end_col, 37);
    assert_int_equal(dg->offset, off);
    assert_int_equal(dg->len, 14);
    assert_int_equal(dg->kind, MGA_DIAG_ERROR);
    assert_int_equal(dg->code, 3003);
    assert_string_equal(dg->file, "rules/forms.mga");
    char *out = render_diags(d);
    assert_string_equal(out,
                        "rules/forms.mga:3:23: error[E3003]: 'kidney_diseese' is not a value of "
                        "'conditions'\n"
                        "    3 |   when conditions has kidney_diseese\n"
                        "      |                       ^~~~~~~~~~~~~~\n"
                        "  note: did you mean 'kidney_disease'?\n"
                        "mgadvise: 1 error\n");
    free(out);
    mga_diags_free(d);
}

static void test_diag_render_keeps_tabs_in_caret_line(void **state)
{
    (void)state;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    const char *text = "\tsay\t\"x\" bad\n";
    int s = diag_source(d, "t.mga", text, strlen(text));
    size_t off = (size_t)(strstr(text, "bad") - text);
    diag_add(d, DIAG_LEX_CHAR, s, off, 3, "bad");
    char *out = render_diags(d);
    assert_string_equal(out, "t.mga:1:10: error[E1001]: unexpected character 'bad'\n"
                             "    1 | \tsay\t\"x\" bad\n"
                             "      | \t   \t    ^~~\n"
                             "mgadvise: 1 error\n");
    free(out);
    mga_diags_free(d);
}

static void test_diag_column_counts_code_points(void **state)
{
    (void)state;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    /* "é" is two bytes and "€" three: one column each */
    const char *text = "say \"\xC3\xA9\xE2\x82\xAC\" ?x\n";
    int s = diag_source(d, "u.mga", text, strlen(text));
    size_t off = (size_t)(strchr(text, '?') - text);
    assert_int_equal(off, 12);
    mga_diag *dg = diag_add(d, DIAG_LEX_CHAR, s, off, 1, "?");
    assert_int_equal(dg->line, 1);
    assert_int_equal(dg->col, 10);
    char *out = render_diags(d);
    assert_string_equal(out, "u.mga:1:10: error[E1001]: unexpected character '?'\n"
                             "    1 | say \"\xC3\xA9\xE2\x82\xAC\" ?x\n"
                             "      |          ^\n"
                             "mgadvise: 1 error\n");
    free(out);
    mga_diags_free(d);
}

static void test_diag_render_crlf_line_without_cr(void **state)
{
    (void)state;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    const char *text = "a\r\nbb cc\r\n";
    int s = diag_source(d, "c.mga", text, strlen(text));
    diag_add(d, DIAG_LEX_CHAR, s, 6, 2, "cc");
    char *out = render_diags(d);
    assert_string_equal(out, "c.mga:2:4: error[E1001]: unexpected character 'cc'\n"
                             "    2 | bb cc\n"
                             "      |    ^~\n"
                             "mgadvise: 1 error\n");
    free(out);
    mga_diags_free(d);
}

static void test_diag_render_warning_and_unlocated_and_counts(void **state)
{
    (void)state;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    const char *text = "source s \"S\" end\n";
    int s = diag_source(d, "w.mga", text, strlen(text));
    diag_add(d, DIAG_NO_DISCLAIMER, -1, 0, 0);
    diag_add(d, DIAG_UNUSED_SOURCE, s, 7, 1, "s");
    diag_add(d, DIAG_UNUSED_FACT, s, 7, 1, "f");
    assert_int_equal(mga_diags_count(d), 3);
    assert_int_equal(mga_diags_error_count(d), 1);
    assert_int_equal(mga_diags_ref(d, 1)->kind, MGA_DIAG_WARNING);
    assert_int_equal(mga_diags_ref(d, 0)->line, 0); /* not located */
    assert_null(mga_diags_ref(d, 0)->file);
    assert_null(mga_diags_ref(d, 3));
    char *out = render_diags(d);
    assert_string_equal(out,
                        "mgadvise: error[E3025]: the rule set declares no disclaimer: every "
                        "result must carry one\n"
                        "w.mga:1:8: warning[W5002]: source 's' is never cited\n"
                        "    1 | source s \"S\" end\n"
                        "      |        ^\n"
                        "w.mga:1:8: warning[W5003]: fact 'f' is never used\n"
                        "    1 | source s \"S\" end\n"
                        "      |        ^\n"
                        "mgadvise: 1 error, 2 warnings\n");
    free(out);
    mga_diags_free(d);
}

static void test_diag_render_plural_errors_only_warnings(void **state)
{
    (void)state;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    diag_add(d, DIAG_NO_DISCLAIMER, -1, 0, 0);
    diag_add(d, DIAG_NO_DISCLAIMER, -1, 0, 0);
    char *out = render_diags(d);
    assert_contains(out, "\nmgadvise: 2 errors\n");
    free(out);
    mga_diags_free(d);

    d = diag_new(&m, 0);
    diag_add(d, DIAG_UNUSED_FACT, -1, 0, 0, "f");
    out = render_diags(d);
    assert_string_equal(out, "mgadvise: warning[W5003]: fact 'f' is never used\n"
                             "mgadvise: 1 warning\n");
    free(out);
    mga_diags_free(d);

    d = diag_new(&m, 0); /* empty list: nothing at all */
    out = render_diags(d);
    assert_string_equal(out, "");
    free(out);
    mga_diags_free(d);
}

static void test_diag_max_errors_stops_with_e9002(void **state)
{
    (void)state;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 2);
    assert_non_null(diag_add(d, DIAG_NO_DISCLAIMER, -1, 0, 0));
    assert_false(diag_full(d));
    assert_non_null(diag_add(d, DIAG_NO_DISCLAIMER, -1, 0, 0));
    assert_true(diag_full(d));
    assert_null(diag_add(d, DIAG_NO_DISCLAIMER, -1, 0, 0));
    assert_int_equal(mga_diags_count(d), 3);
    const mga_diag *last = mga_diags_ref(d, 2);
    assert_int_equal(last->code, 9002);
    assert_string_equal(last->message, "too many errors (2); stopping here");
    mga_diags_free(d);
}

static void test_diag_suggest_nearest_name(void **state)
{
    (void)state;
    const char *cands[] = {"kidney_disease", "heart_failure", "ibs"};
    assert_string_equal(diag_suggest("kidney_diseese", cands, 3), "kidney_disease");
    assert_string_equal(diag_suggest("ibd", cands, 3), "ibs");
    assert_null(diag_suggest("migraine", cands, 3));
    assert_null(diag_suggest("x", cands, 0));
}

static void test_diag_linecol_edges(void **state)
{
    (void)state;
    unsigned line, col;
    diag_linecol("ab\ncd", 5, 0, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
    diag_linecol("ab\ncd", 5, 3, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 1);
    diag_linecol("ab\ncd", 5, 99, &line, &col); /* clamped to the end */
    assert_int_equal(line, 2);
    assert_int_equal(col, 3);
}

/* Diagnostics are located through a line table built once per source, and counted on
 * along a line from the last position: in any order, over a byte-order mark, CRLF, long
 * lines and multi-byte characters, each gets what diag_linecol computes from scratch, and
 * the source line shown is the one it is on. */
static void test_diag_line_table_matches_linecol(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBF" "ab\r\ncaf\xC3\xA9 x\n\n\tz\xF0\x9F\x98\x80q\nlast";
    size_t len = sizeof text - 1;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    int src = diag_source(d, "t.txt", text, len);
    size_t offs[] = {0, 1, 3, 5, 9, 12, 11, 14, 15, 16, 17, 21, 22, 25, 26, len, 4, 2, 30, 10};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        size_t off = offs[i] > len ? len : offs[i];
        mga_diag *dg = diag_add(d, DIAG_UNUSED_FACT, src, off, 1, "f");
        assert_non_null(dg);
        unsigned line, col, eline, ecol;
        diag_linecol(text, len, off, &line, &col);
        diag_linecol(text, len, off + 1, &eline, &ecol);
        assert_int_equal(dg->line, line);
        assert_int_equal(dg->col, col);
        assert_int_equal(dg->end_line, eline);
        assert_int_equal(dg->end_col, ecol);
    }
    mga_diags_free(d);
    /* the line shown, without the byte-order mark or the CR */
    d = diag_new(&m, 0);
    src = diag_source(d, "t.txt", text, len);
    diag_add(d, DIAG_UNUSED_FACT, src, 4, 1, "f");
    diag_add(d, DIAG_UNUSED_FACT, src, 17, 1, "g");
    char *out = render_diags(d);
    assert_string_equal(out, "t.txt:1:2: warning[W5003]: fact 'f' is never used\n"
                             "    1 | ab\n"
                             "      |  ^\n"
                             "t.txt:4:2: warning[W5003]: fact 'g' is never used\n"
                             "    4 | \tz\xF0\x9F\x98\x80q\n"
                             "      | \t^\n"
                             "mgadvise: 2 warnings\n");
    free(out);
    mga_diags_free(d);
}

static void test_diag_render_write_failure_and_null(void **state)
{
    (void)state;
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    diag_add(d, DIAG_NO_DISCLAIMER, -1, 0, 0);
    tbuf b = TBUF_INIT;
    b.fail_after = 0;
    assert_int_equal(mga_diags_render(d, tbuf_write, &b), MGA_E_WRITE);
    free(b.p);
    assert_int_equal(mga_diags_render(NULL, tbuf_write, &b), MGA_E_MISUSE);
    assert_int_equal(mga_diags_render(d, NULL, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_diags_count(NULL), 0);
    assert_int_equal(mga_diags_error_count(NULL), 0);
    assert_null(mga_diags_ref(NULL, 0));
    mga_diags_free(d);
    mga_diags_free(NULL);
}

static void test_diag_source_text_outlives_caller(void **state)
{
    (void)state;
    /* the list copies the source text when a diagnostic points into it */
    mem m = test_mem();
    mga_diags *d = diag_new(&m, 0);
    char *text = strdup("one\ntwo bad\n");
    int s = diag_source(d, "x.mga", text, strlen(text));
    diag_add(d, DIAG_LEX_CHAR, s, 8, 3, "bad");
    memset(text, 'z', strlen(text));
    free(text);
    char *out = render_diags(d);
    assert_contains(out, "    2 | two bad\n      |     ^~~\n");
    free(out);
    mga_diags_free(d);
}

static void test_diag_compile_renders_unknown_symbol(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char *text = "ruleset \"r\"\n"
                       "disclaimer \"d\"\n"
                       "source s \"S\" end\n"
                       "profile\n"
                       "  conditions: set of kidney_disease, ibs\n"
                       "end\n"
                       "rule r1\n"
                       "  when conditions has kidney_diseese\n"
                       "  then inform\n"
                       "  say \"x\"\n"
                       "  cite s\n"
                       "end\n";
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile(eng, "rules/forms.mga", text, strlen(text), &rs, &d),
                     MGA_E_COMPILE);
    assert_null(rs);
    char *out = render_diags(d);
    assert_string_equal(out,
                        "rules/forms.mga:8:23: error[E3003]: 'kidney_diseese' is not a value of "
                        "'conditions'\n"
                        "    8 |   when conditions has kidney_diseese\n"
                        "      |                       ^~~~~~~~~~~~~~\n"
                        "  note: did you mean 'kidney_disease'?\n"
                        "mgadvise: 1 error\n");
    free(out);
    mga_diags_free(d);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diag_render_exact_with_caret_and_note),
        cmocka_unit_test(test_diag_render_keeps_tabs_in_caret_line),
        cmocka_unit_test(test_diag_column_counts_code_points),
        cmocka_unit_test(test_diag_render_crlf_line_without_cr),
        cmocka_unit_test(test_diag_render_warning_and_unlocated_and_counts),
        cmocka_unit_test(test_diag_render_plural_errors_only_warnings),
        cmocka_unit_test(test_diag_max_errors_stops_with_e9002),
        cmocka_unit_test(test_diag_suggest_nearest_name),
        cmocka_unit_test(test_diag_linecol_edges),
        cmocka_unit_test(test_diag_line_table_matches_linecol),
        cmocka_unit_test(test_diag_render_write_failure_and_null),
        cmocka_unit_test(test_diag_source_text_outlives_caller),
        cmocka_unit_test(test_diag_compile_renders_unknown_symbol),
    };
    return cmocka_run_group_tests_name("diag", tests, NULL, NULL);
}
