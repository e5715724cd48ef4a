/* SPDX-License-Identifier: MIT */
/* Unit tests for fmt (engine/format.c through mga_format_rules): the canonical layout,
 * comments kept, idempotence, the compiled graph unchanged, errors and out of memory. */
#include "helpers.h"

#include "format.h"
#include "grammar.h"

#include <dirent.h>

/* Formats text; returns the malloc'd output (st receives the status). */
static char *fmt_text(mga_engine *eng, const char *text, mga_status *st, mga_diags **d)
{
    tbuf b = TBUF_INIT;
    *st = mga_format_rules(eng, "t.mga", text, strlen(text), tbuf_write, &b, d);
    if (!b.p)
        b.p = calloc(1, 1);
    return b.p;
}

static char *fmt_ok(mga_engine *eng, const char *text)
{
    mga_status st;
    mga_diags *d = NULL;
    char *out = fmt_text(eng, text, &st, &d);
    if (st != MGA_OK) {
        char *s = render_diags(d);
        print_error("%s", s);
        free(s);
    }
    assert_int_equal(st, MGA_OK);
    mga_diags_free(d);
    return out;
}

/* The graph of PRELUDE + rules as JSON (malloc'd). */
static char *graph_json(mga_engine *eng, const char *rules)
{
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_ruleset_write_graph(rs, MGA_GRAPH_JSON, tbuf_write, &b), MGA_OK);
    mga_ruleset_free(rs);
    return b.p;
}

static const char *messy =
    "fact f when age>=5 years and(conditions has ibs or\n"
    "  conditions has any of ibs,insomnia)\n"
    "rule r1 when f then prefer glycinate , citrate then avoid oxide dose start 100 mg max 200 mg"
    " severity info\n"
    "     say \"hi # not a comment\" cite src[1,2] quote \"q\"   \"more\"\n"
    "   evidence rct # done\n"
    "end\n"
    "\n\n\n"
    "rule r2 when score - 3 > -2 and not(f)   then warn say \"x\"   cite src end\n";

static const char *messy_formatted =
    "fact f when age >= 5 years and (conditions has ibs or\n"
    "  conditions has any of ibs, insomnia)\n"
    "rule r1\n"
    "  when f\n"
    "  then prefer glycinate, citrate\n"
    "  then avoid oxide\n"
    "  dose start 100 mg max 200 mg\n"
    "  severity info\n"
    "  say \"hi # not a comment\"\n"
    "  cite src[1, 2] quote \"q\" \"more\"\n"
    "  evidence rct  # done\n"
    "end\n"
    "\n"
    "rule r2\n"
    "  when score - 3 > -2 and not (f)\n"
    "  then warn\n"
    "  say \"x\"\n"
    "  cite src\n"
    "end\n";

static void test_format_canonical_layout(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char *out = fmt_ok(eng, messy);
    assert_string_equal(out, messy_formatted);
    free(out);
    mga_engine_free(eng);
}

/* Inputs covering every construct; each must format to a fixed point and compile to the
 * same graph as before. */
static const char *const cases[] = {
    "fact a when balanced_diet\nfact b when not a or sex is one of female,male\n",
    "fact low when\n(sex is male and diet_mg < 300 mg)\nor (sex is female and diet_mg < 270 mg)\n"
    "  or diet_mg+supplement_mg>=400 mg\n",
    "fact s when symptoms has any of confusion, nausea,\n fatigue\nor conditions has all of ibs,"
    "\n insomnia and age between 19 and 64 years\n",
    "rule r # why\n  when (a or b)\n  and c # and c\n  then warn\n  say \"x\"\n    \"y\"\n"
    "  cite src[1] quote \"q\"\nend\nfact a when pregnant is true\nfact b when pregnant is false"
    "\nfact c when vitamin_d_level is known and note is missing\n",
    "\xEF\xBB\xBF# bom\r\nrule\tr\r\n\twhen\tscore\t!=\t-1\r\n\tthen refer soon\r\n"
    "\tsay \"t\"\r\n\tcite src\r\nend\r\n",
    "rule r dose max 1 g target 0.5 g severity warning say \"d\" cite src end\n"
    "rule q when true then inform say \"i\" cite src\n\n\n\n# trailing\nend\n\n",
    "rule r when false or -score < 2 then disagree then avoid supplements say \"d\" cite src "
    "evidence mixed end",
    "rule r then inform say \"u\" cite src[1, 2]   quote \"q\"   unmarked\n \"why\" end\n",
};

static const char *base_rules = "fact a when balanced_diet\nfact b when pregnant\n"
                                "fact c when age > 1 years\n";

static void test_format_idempotent_and_same_graph(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *once = fmt_ok(eng, cases[i]);
        char *twice = fmt_ok(eng, once);
        assert_string_equal(once, twice);
        assert_true(once[0] == '\0' || once[strlen(once) - 1] == '\n');
        assert_null(strchr(once, '\r'));
        assert_null(strchr(once, '\t'));
        assert_not_contains(once, " \n");
        assert_not_contains(once, "\n\n\n");
        /* the compiled graph is the same (facts a, b, c are defined when a case lacks them) */
        bool has_facts = strstr(cases[i], "fact a ") != NULL;
        /* a byte-order mark is allowed only at the start of a file, not after PRELUDE */
        const char *body = strncmp(cases[i], "\xEF\xBB\xBF", 3) == 0 ? cases[i] + 3 : cases[i];
        size_t n1 = strlen(cases[i]) + strlen(base_rules) + 2, n2 = strlen(once) + n1;
        char *src1 = malloc(n1), *src2 = malloc(n2);
        snprintf(src1, n1, "%s\n%s", has_facts ? "" : base_rules, body);
        snprintf(src2, n2, "%s\n%s", has_facts ? "" : base_rules, once);
        char *g1 = graph_json(eng, src1), *g2 = graph_json(eng, src2);
        assert_string_equal(g1, g2);
        free(g1);
        free(g2);
        free(src1);
        free(src2);
        free(once);
        free(twice);
    }
    mga_engine_free(eng);
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void test_format_keeps_comments(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char *in = "# head   \n\nprofile # p\n  # inside\nid: text # short\n"
                     "long_field_name: boolean   # lined up\n\n  # alone\nend\n# tail";
    char *out = fmt_ok(eng, in);
    assert_string_equal(out, "# head\n"
                             "\n"
                             "profile  # p\n"
                             "  # inside\n"
                             "  id: text                  # short\n"
                             "  long_field_name: boolean  # lined up\n"
                             "\n"
                             "  # alone\n"
                             "end\n"
                             "# tail\n");
    assert_int_equal(count_char(out, '#'), count_char(in, '#'));
    free(out);
    mga_engine_free(eng);
}

static void test_format_shipped_rules_are_fixed_points(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    DIR *dir = opendir("../../rules");
    assert_non_null(dir);
    struct dirent *de;
    size_t files = 0;
    while ((de = readdir(dir)) != NULL) {
        size_t k = strlen(de->d_name);
        if (k < 4 || strcmp(de->d_name + k - 4, ".mga") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "../../rules/%s", de->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *text = calloc(1, 1 << 20);
        size_t n = fread(text, 1, (1 << 20) - 1, f);
        fclose(f);
        text[n] = '\0';
        char *out = fmt_ok(eng, text);
        assert_string_equal(out, text); /* rules/ is kept formatted (make fmt-check) */
        free(out);
        free(text);
        files++;
    }
    closedir(dir);
    assert_true(files >= 5);
    mga_engine_free(eng);
}

static void test_format_syntax_error_writes_nothing(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_status st;
    mga_diags *d = NULL;
    char *out = fmt_text(eng, "rule r\n  when age >= 5 years and\n  then warn\nend\n", &st, &d);
    assert_int_equal(st, MGA_E_COMPILE);
    assert_string_equal(out, "");
    const mga_diag *dg = expect_diag(d, 2001, NULL);
    assert_int_equal(dg->line, 3);
    assert_int_equal(dg->col, 3);
    mga_diags_free(d);
    free(out);
    out = fmt_text(eng, "say \"unterminated\n", &st, &d);
    assert_int_equal(st, MGA_E_COMPILE);
    assert_string_equal(out, "");
    expect_diag(d, 1002, NULL);
    mga_diags_free(d);
    free(out);
    mga_engine_free(eng);
}

static void test_format_empty_and_comment_only(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char *out = fmt_ok(eng, "");
    assert_string_equal(out, "");
    free(out);
    out = fmt_ok(eng, "\n\n  \t\n");
    assert_string_equal(out, "");
    free(out);
    out = fmt_ok(eng, "\n\n   # only a comment\t\r\n\n\n# two");
    assert_string_equal(out, "# only a comment\n\n# two\n");
    free(out);
    mga_engine_free(eng);
}

static void test_format_errors(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_format_rules(NULL, "x", "", 0, tbuf_write, &b, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_format_rules(eng, "x", "", 0, NULL, &b, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_format_rules(eng, "x", NULL, 3, tbuf_write, &b, NULL), MGA_E_MISUSE);
    b.fail_after = 0;
    assert_int_equal(mga_format_rules(eng, NULL, "fact a when x\n", 14, tbuf_write, &b, NULL),
                     MGA_E_WRITE);
    free(b.p);
    mga_engine_free(eng);
}

/* Every keyword of the grammar (grammar/parser.y) has a row in the layout table, and every
 * row is a keyword: a new keyword needs its row (engine/format.c). */
static void test_format_every_keyword_has_a_layout(void **state)
{
    (void)state;
    FILE *f = fopen("../../grammar/parser.y", "rb");
    assert_non_null(f);
    char line[1024];
    size_t keywords = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "%token", 6) != 0)
            continue;
        for (char *p = strstr(line, "\"'"); p; p = strstr(p + 1, "\"'")) {
            char *e = strstr(p + 2, "'\"");
            if (!e || !((p[2] >= 'a' && p[2] <= 'z') || (p[2] >= 'A' && p[2] <= 'Z')))
                continue;
            size_t n = (size_t)(e - (p + 2));
            bool found = false;
            for (size_t i = 0; format_layout_keyword(i); i++)
                found |= strlen(format_layout_keyword(i)) == n &&
                         memcmp(format_layout_keyword(i), p + 2, n) == 0;
            if (!found)
                fail_msg("keyword '%.*s' has no row in engine/format.c's layout table", (int)n,
                         p + 2);
            keywords++;
        }
    }
    fclose(f);
    assert_true(keywords > 40);
    for (size_t i = 0; format_layout_keyword(i); i++) {
        const char *kw = format_layout_keyword(i);
        if (lex_keyword(kw, strlen(kw)) == 0)
            fail_msg("layout row '%s' is not a keyword", kw);
    }
}

static void test_format_oom_loop(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        fail_state fs = {0, n, false, 0};
        mga_options opt;
        mga_options_init(&opt);
        opt.realloc_fn = fail_realloc;
        opt.alloc_ud = &fs;
        mga_engine *eng = NULL;
        mga_status st = mga_engine_new(&opt, &eng);
        mga_diags *d = NULL;
        tbuf b = TBUF_INIT;
        if (st == MGA_OK)
            st = mga_format_rules(eng, "t.mga", messy, strlen(messy), tbuf_write, &b, &d);
        assert_true(st == MGA_OK || st == MGA_E_NOMEM);
        mga_diags_free(d);
        mga_engine_free(eng);
        if (fs.live != 0)
            fail_msg("allocation %ld failing leaked %ld block(s)", n, fs.live);
        if (!fs.failed) {
            assert_int_equal(st, MGA_OK);
            assert_string_equal(b.p, messy_formatted);
            free(b.p);
            break;
        }
        free(b.p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_canonical_layout),
        cmocka_unit_test(test_format_idempotent_and_same_graph),
        cmocka_unit_test(test_format_keeps_comments),
        cmocka_unit_test(test_format_shipped_rules_are_fixed_points),
        cmocka_unit_test(test_format_syntax_error_writes_nothing),
        cmocka_unit_test(test_format_empty_and_comment_only),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_format_every_keyword_has_a_layout),
        cmocka_unit_test(test_format_oom_loop),
    };
    return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
