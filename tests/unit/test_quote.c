/* SPDX-License-Identifier: MIT */
/* Unit tests for quote.c (the optional quote check): reference markers in a document's text,
 * the passage a quote stands on, and numbered cites checked against a document on disk. */
#include "helpers.h"

#include <unistd.h>

#include "quote.h"

/* The marker at the first occurrence of `at` in text (which must contain it). */
static bool marker_at(const char *text, const char *at, quote_marker *m)
{
    const char *p = strstr(text, at);
    assert_non_null(p);
    return quote_marker_at(text, strlen(text), (size_t)(p - text), m);
}

static void test_quote_marker_styles(void **state)
{
    (void)state;
    quote_marker m;
    /* digits glued to sentence punctuation: one number, a list, after a percent sign */
    assert_true(marker_at("cofactor for enzymes.1 Mg is", "1 Mg", &m));
    assert_int_equal(m.n, 1);
    assert_int_equal(m.lo[0], 1);
    assert_int_equal(m.len, 1);
    assert_true(marker_at("and epilepsy.1,6 Studies", "1,6", &m));
    assert_int_equal(m.n, 2);
    assert_true(quote_marker_has(&m, 1) && quote_marker_has(&m, 6) && !quote_marker_has(&m, 5));
    assert_int_equal(m.len, 3);
    assert_true(marker_at("decreases by 2%.10 Although", "10 ", &m));
    assert_true(quote_marker_has(&m, 10));
    assert_true(marker_at("pain conditions,7,8 but whether", "7,8", &m));
    assert_true(quote_marker_has(&m, 7) && quote_marker_has(&m, 8));
    /* followed by a no-break space and the end of the line */
    assert_true(marker_at("successfully.3\xC2\xA0\n", "3", &m));
    /* parenthesised and bracketed, spaced or glued to the punctuation, lists and ranges */
    assert_true(marker_at("balance (8) Contributes", "(8)", &m));
    assert_int_equal(m.len, 3);
    assert_true(marker_at("400 mg daily.(4) \n", "(4)", &m));
    assert_true(marker_at("as shown [7, 8].", "[7, 8]", &m));
    assert_true(quote_marker_has(&m, 7) && quote_marker_has(&m, 8));
    assert_true(marker_at("as shown (3-5).", "(3-5)", &m));
    assert_true(quote_marker_has(&m, 4) && !quote_marker_has(&m, 6));
    assert_true(marker_at("as shown (3\xE2\x80\x93" "5).", "(3", &m));
    assert_true(quote_marker_has(&m, 5));
}

static void test_quote_marker_not_numbers_in_prose(void **state)
{
    (void)state;
    quote_marker m;
    assert_false(marker_at("vitamins B6 and B12 and", "12", &m));   /* glued to a word */
    assert_false(marker_at("in combination with Mg21 are", "21", &m));
    assert_false(marker_at("take 1.5 mg daily", "5 mg", &m));      /* decimal point */
    assert_false(marker_at("about 1,000 people", "000", &m));      /* thousands comma */
    assert_false(marker_at("at 10:30 each", "30", &m));
    assert_false(marker_at("levels of 25(OH)D", "(OH)", &m));
    assert_false(marker_at("Med. 118(3), 181.", "(3)", &m));       /* after a digit */
    assert_false(marker_at("et al. (2018). Role", "(2018)", &m));  /* a year, four digits */
    assert_false(marker_at("1 in 10 UK adults", "1 in", &m));
    assert_false(marker_at("COVID-19 patients", "19", &m));
    assert_false(marker_at("19];475(7357):462", "475", &m));       /* not followed by a space */
    assert_false(marker_at("a range (5-3) backwards", "(5", &m));
}

/* The passage a quote stands on: the text from the quote's start to quote_passage_end. */
static const char *passage(const char *text, const char *quote, char *out, size_t outn)
{
    const char *p = strstr(text, quote);
    assert_non_null(p);
    size_t qs = (size_t)(p - text), qe = qs + strlen(quote);
    size_t pe = quote_passage_end(text, strlen(text), qe);
    assert_true(pe >= qe && pe - qs < outn);
    snprintf(out, outn, "%.*s", (int)(pe - qs), p);
    return out;
}

static void test_quote_passage_ends(void **state)
{
    (void)state;
    char b[256];
    const char *sleep = "arrest.14 Kidney disease can make build-up likely, and people with "
                        "kidney problems should ask first.\nWhich form";
    /* the sentence ends without a marker: the marker before it is not the quote's */
    assert_string_equal(passage(sleep, "Kidney disease can make build-up likely", b, sizeof b),
                        "Kidney disease can make build-up likely, and people with kidney "
                        "problems should ask first.");
    /* a glued marker ends the sentence with it */
    assert_string_equal(passage("Hypermagnesemia can lead to arrest.14 Kidney", "Hypermagnesemia",
                                b, sizeof b),
                        "Hypermagnesemia can lead to arrest.14");
    /* the first marker after the quote ends the passage, within the sentence */
    const char *vitd = "Mineral Balance: Vitamin D boosts absorption from food (12), while "
                       "magnesium directs calcium (13). Hormone";
    assert_string_equal(passage(vitd, "Vitamin D boosts", b, sizeof b),
                        "Vitamin D boosts absorption from food (12)");
    assert_string_equal(passage(vitd, "while magnesium", b, sizeof b),
                        "while magnesium directs calcium (13)");
    /* a marker followed by a capital ends a list item; one followed by lower case does not */
    const char *list = "balance (1) for strong bones Plays a role in muscle (2) Supports immune";
    assert_string_equal(passage(list, "balance", b, sizeof b), "balance (1)");
    assert_string_equal(passage(list, "for strong", b, sizeof b),
                        "for strong bones Plays a role in muscle (2)");
    /* "e.g." before a lower-case word ends no sentence; a line break always does */
    assert_string_equal(passage("Legumes (e.g. lentils and peas)\nNuts.3", "Legumes", b, sizeof b),
                        "Legumes (e.g. lentils and peas)");
    /* a marker glued to a full stop after a closing quote, and ". (4)" */
    assert_string_equal(passage("to be \xE2\x80\x9C" "active\xE2\x80\x9D.7 Next", "to be", b, sizeof b),
                        "to be \xE2\x80\x9C" "active\xE2\x80\x9D.7");
    assert_string_equal(passage("is 400 mg daily. (4) Is it", "is 400", b, sizeof b),
                        "is 400 mg daily. (4)");
}

/* ---- numbered cites against a document on disk ---- */

static char dir[64];

static int make_doc(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mga_quote_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/src.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("Title\n\nFirst claim about sleep.1 Second claim about kidneys, and more.\n"
          "Third claim with two sources,2,3 and its tail. Fourth claim.\n",
          f);
    return fclose(f);
}

static int remove_doc(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/src.txt", dir);
    unlink(path);
    return rmdir(dir);
}

/* Compiles one rule citing src with the given cite clause; returns the diagnostics. */
static mga_diags *cite_diags(const char *cite, mga_status want)
{
    mga_options opt;
    mga_options_init(&opt);
    opt.realloc_fn = cm_realloc;
    opt.sources_dir = dir;
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
    char rules[512];
    snprintf(rules, sizeof rules, "rule r\n  then inform\n  say \"x\"\n  %s\nend\n", cite);
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(compile_rules(eng, rules, &rs, &d), want);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    return d;
}

static void expect_one(const char *cite, mga_status want, unsigned code, const char *msg,
                       const char *note)
{
    mga_diags *d = cite_diags(cite, want);
    size_t hits = 0;
    for (size_t i = 0; i < mga_diags_count(d); i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        if (dg->code != code)
            continue;
        hits++;
        assert_string_equal(dg->message, msg);
        if (note)
            assert_string_equal(dg->note, note);
    }
    assert_int_equal(hits, 1);
    mga_diags_free(d);
}

static void expect_clean(const char *cite)
{
    mga_diags *d = cite_diags(cite, MGA_OK);
    for (size_t i = 0; i < mga_diags_count(d); i++)
        assert_true(mga_diags_ref(d, i)->code < 3065 || mga_diags_ref(d, i)->code > 5027);
    assert_int_equal(mga_diags_error_count(d), 0);
    mga_diags_free(d);
}

static void test_quote_numbered_cites(void **state)
{
    (void)state;
    expect_clean("cite src[1] quote \"first claim about sleep\"");
    expect_clean("cite src[2, 3] quote \"Third claim with two sources\"");
    expect_clean("cite src[3] quote \"with two sources,2,3 and its tail\"");
    expect_clean("cite src quote \"Second claim about kidneys\"");
    expect_one("cite src[1] quote \"Second claim about kidneys\"", MGA_E_COMPILE, 3065,
               "reference 1 of 'src' is not marked in or next to the quoted passage",
               "the quoted passage carries no marker; the document marks 1 at "
               "'First claim about sleep.1'");
    /* a marker earlier in the sentence, before the quoted words, is not the quote's */
    expect_one("cite src[2] quote \"and its tail\"", MGA_E_COMPILE, 3065,
               "reference 2 of 'src' is not marked in or next to the quoted passage",
               "the quoted passage carries no marker; the document marks 2 at "
               "'Third claim with two sources,2,3'");
    /* a quote holding the marker stands on that passage, whatever follows */
    expect_clean("cite src[1] quote \"about sleep.1 Second claim\"");
    /* ... but one that runs on to another reference's marker gets a warning */
    expect_one("cite src[1] quote \"about sleep.1 Second claim about kidneys, and more. Third "
               "claim with two sources\"",
               MGA_OK, 5027,
               "the quote runs into the passage of reference 2 of 'src', which this cite does "
               "not list",
               "quote only the words the cited references mark, or cite 2 too");
}

static void test_quote_unmarked_exception(void **state)
{
    (void)state;
    expect_clean("cite src[1] quote \"Second claim about kidneys\" unmarked \"the study is 1\"");
    expect_one("cite src[1] quote \"First claim\" unmarked \"not needed\"", MGA_OK, 5026,
               "'unmarked' is not needed: the quoted passage marks every reference this cite "
               "lists from 'src'",
               NULL);
    expect_one("cite src quote \"First claim\" unmarked \"why\"", MGA_E_COMPILE, 3066,
               "'unmarked' needs a numbered cite: this cite lists no reference", NULL);
    expect_one("cite src[1] quote \"Fourth claim\" unmarked \"  \"", MGA_E_COMPILE, 3067,
               "'unmarked' needs a reason: say why the passage carries no marker for the "
               "reference",
               NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_marker_styles),
        cmocka_unit_test(test_quote_marker_not_numbers_in_prose),
        cmocka_unit_test(test_quote_passage_ends),
        cmocka_unit_test(test_quote_numbered_cites),
        cmocka_unit_test(test_quote_unmarked_exception),
    };
    return cmocka_run_group_tests_name("quote", tests, make_doc, remove_doc);
}
