/* SPDX-License-Identifier: MIT */
/* Unit tests for output.c: the JSON shape (every key the public header names) and the text
 * format (severity headings, [n] markers, references of what was cited, the disclaimer). */
#include "helpers.h"

#include "eval.h"
#include "genprofile.h"

static const char *out_rules =
    "rule crit when conditions has kidney_disease then avoid supplements then refer soon\n"
    "  severity critical say \"No supplements.\" cite src[2] quote \"exact words\"\n"
    "  evidence guideline end\n"
    "rule warn1 then warn severity warning say \"Be careful.\" cite src[1, 3] end\n"
    "rule info1 then prefer glycinate say \"Glycinate is gentle.\" cite src[1] end\n"
    "rule dose1 when age > 1 years dose start 100 mg target 200 mg max 350 mg\n"
    "  say \"Dose.\" cite src end\n"
    "rule never when false then inform say \"never\" cite src[3] end\n";

static void test_output_json_shape_exact(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, out_rules, NULL);
    char *js = eval_json(rs, "{\"id\": \"p1\", \"conditions\": [\"kidney_disease\"]}");
    char want[4096];
    snprintf(want, sizeof want,
             "{\"id\":\"p1\",\"ruleset\":{\"name\":\"test rules\",\"hash\":\"%s\"},"
             "\"summary\":{\"decision\":\"do_not_take\",\"decided_by\":[\"crit\"],"
             "\"prefer\":[],\"start_mg\":null,\"target_mg\":null,\"max_mg\":null,"
             "\"see_doctor\":{\"urgency\":\"soon\",\"reasons\":[{\"rule\":\"crit\","
             "\"urgency\":\"soon\"}]}},"
             "\"advice\":[{\"rank\":1,\"group\":\"act\",\"rule\":\"crit\",\"kind\":\"avoid\","
             "\"severity\":\"critical\","
             "\"text\":\"No supplements.\",\"evidence\":\"guideline\",\"refer\":\"soon\","
             "\"avoid_supplements\":true,\"cite\":[{\"source\":\"src\",\"ref\":2,"
             "\"quote\":\"exact words\"}]},"
             "{\"rank\":2,\"group\":\"act\",\"rule\":\"warn1\",\"kind\":\"warn\","
             "\"severity\":\"warning\",\"text\":\"Be "
             "careful.\",\"evidence\":null,\"cite\":[{\"source\":\"src\",\"ref\":1,\"quote\":null},"
             "{\"source\":\"src\",\"ref\":3,\"quote\":null}]}],"
             "\"dose\":{\"start_mg\":null,\"start_rule\":null,\"target_mg\":null,"
             "\"target_rule\":null,\"max_mg\":null,\"max_rule\":null},"
             "\"forms\":{\"supplements\":\"avoid\",\"supplements_rule\":\"crit\",\"prefer\":[],"
             "\"avoid\":[]},"
             "\"overruled\":[{\"rule\":\"info1\",\"what\":\"prefer glycinate\",\"by\":\"crit\"},"
             "{\"rule\":\"info1\",\"what\":\"advice item\",\"by\":\"crit\"}],"
             "\"references\":[{\"n\":1,\"source\":\"src\",\"ref\":2,\"text\":\"Reference two.\","
             "\"document\":\"Test Source\",\"author\":\"A. Author\",\"publisher\":\"Test "
             "Publisher\"},{\"n\":2,\"source\":\"src\",\"ref\":1,\"text\":\"Reference one.\","
             "\"document\":\"Test Source\",\"author\":\"A. Author\",\"publisher\":\"Test "
             "Publisher\"},{\"n\":3,\"source\":\"src\",\"ref\":3,\"text\":\"Reference three.\","
             "\"document\":\"Test Source\",\"author\":\"A. Author\",\"publisher\":\"Test "
             "Publisher\"}],"
             "\"disclaimer\":\"Not medical advice.\"}\n",
             mga_ruleset_hash(rs));
    assert_string_equal(js, want);
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_output_json_dose_and_forms(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, out_rules, NULL);
    char *js = eval_json(rs, "{\"age\": 40}");
    assert_contains(js, "\"id\":null,");
    assert_contains(js, "\"dose\":{\"start_mg\":100,\"start_rule\":\"dose1\",\"target_mg\":200,"
                        "\"target_rule\":\"dose1\",\"max_mg\":350,\"max_rule\":\"dose1\"}");
    assert_contains(js, "\"forms\":{\"supplements\":\"allowed\",\"supplements_rule\":null,"
                        "\"prefer\":[\"glycinate\"],\"avoid\":[]}");
    assert_contains(js, "\"summary\":{\"decision\":\"within_limits\",\"decided_by\":[],"
                        "\"prefer\":[\"glycinate\"],\"start_mg\":100,\"target_mg\":200,"
                        "\"max_mg\":350,\"see_doctor\":null}");
    /* rank order: the warning, then dose before prefer */
    assert_contains(js, "{\"rank\":1,\"group\":\"act\",\"rule\":\"warn1\"");
    assert_contains(js, "{\"rank\":2,\"group\":\"act\",\"rule\":\"dose1\",\"kind\":\"dose\"");
    assert_contains(js, "{\"rank\":3,\"group\":\"act\",\"rule\":\"info1\",\"kind\":\"prefer\","
                        "\"severity\":\"info\","
                        "\"text\":\"Glycinate is gentle.\",\"evidence\":null,\"prefer\":["
                        "\"glycinate\"],\"cite\":[{\"source\":\"src\",\"ref\":1,\"quote\":null}]}");
    /* a cite without a ref lists the document; ref 3 is cited by warn1 only */
    assert_contains(js, "{\"n\":3,\"source\":\"src\",\"ref\":null,\"text\":null,"
                        "\"document\":\"Test Source\"");
    assert_contains(js, "\"overruled\":[]");
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_output_references_only_cited(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 "rule a then inform say \"a\" cite src[2] end\n"
                                 "rule b when false then inform say \"b\" cite src[3] end\n",
                                 NULL);
    char *js = eval_json(rs, "{}");
    assert_contains(js, "\"references\":[{\"n\":1,\"source\":\"src\",\"ref\":2,"
                        "\"text\":\"Reference two.\"");
    assert_not_contains(js, "Reference three.");
    assert_not_contains(js, "Reference one.");
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_output_text_format(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, out_rules, NULL);
    const char *json = "{\"id\": \"p1\", \"conditions\": [\"kidney_disease\"]}";
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, json, strlen(json), &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    char *txt = result_string(r, MGA_FORMAT_TEXT);
    char want[4096];
    snprintf(want, sizeof want,
             "Advice for profile 'p1' (rules: test rules, %s)\n"
             "\n"
             "Summary\n"
             "  Supplements: do not take them, unless your doctor says so (see item 1)\n"
             "  Dose: no supplement dose is suggested\n"
             "  See a doctor soon (see item 1)\n"
             "\n"
             "Advice, most important first\n"
             "  1. No supplements. [1]\n"
             "     (critical, avoid: supplements; see a doctor soon; evidence: guideline; rule "
             "crit)\n"
             "     \"exact words\" (src)\n"
             "  2. Be careful. [2] [3]\n"
             "     (warning, warn; evidence: not graded; rule warn1)\n"
             "\n"
             "References\n"
             "  [1] Reference two.\n"
             "      (reference 2 of \"Test Source\")\n"
             "  [2] Reference one.\n"
             "      (reference 1 of \"Test Source\")\n"
             "  [3] Reference three.\n"
             "      (reference 3 of \"Test Source\")\n"
             "\n"
             "Disclaimer: Not medical advice.\n",
             mga_ruleset_hash(rs));
    assert_string_equal(txt, want);
    free(txt);

    /* the pretty JSON parses to the same keys */
    char *pretty = result_string(r, MGA_FORMAT_JSON_PRETTY);
    assert_contains(pretty, "\n  \"advice\": [\n");
    assert_contains(pretty, "\"disclaimer\": \"Not medical advice.\"\n}\n");
    free(pretty);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_output_text_no_advice_and_document_reference(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 "rule a when balanced_diet then inform say \"a\" cite src end\n",
                                 NULL);
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, "{}", 2, &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    char *txt = result_string(r, MGA_FORMAT_TEXT);
    assert_contains(txt, "Advice for profile without id (rules: test rules, ");
    assert_contains(txt, "\nNo rule applies to this profile. Ask a doctor for advice that fits "
                         "you.\n");
    assert_not_contains(txt, "References");
    assert_contains(txt, "\nDisclaimer: Not medical advice.\n");
    free(txt);
    mga_result_free(r);
    mga_profile_free(p);

    assert_int_equal(mga_profile_parse(rs, NULL, "{\"balanced_diet\": true}", 23, &p, NULL),
                     MGA_OK);
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    txt = result_string(r, MGA_FORMAT_TEXT);
    assert_contains(txt, "\nAdvice, most important first\n  1. a [1]\n"
                         "     (background, info; evidence: not graded; rule a)\n");
    assert_contains(txt, "\nReferences\n  [1] \"Test Source\", A. Author, Test Publisher\n");
    free(txt);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* mga_result_parts joined into one string (malloc'd); *nstable: the stable parts, which are
 * stored in stable (up to 256). */
static char *join_parts(const mga_part *v, size_t n, const char **stable, size_t *nstable)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += v[i].len;
    char *s = malloc(len + 1);
    assert_non_null(s);
    len = 0;
    *nstable = 0;
    for (size_t i = 0; i < n; i++) {
        assert_non_null(v[i].p);
        assert_true(v[i].len > 0); /* no empty parts */
        memcpy(s + len, v[i].p, v[i].len);
        len += v[i].len;
        if (v[i].stable && *nstable < 256)
            stable[(*nstable)++] = v[i].p;
    }
    s[len] = 0;
    return s;
}

static void test_output_write_errors(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, out_rules, NULL);
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, "{}", 2, &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    for (int f = 0; f < 3; f++) {
        int n = f == MGA_FORMAT_TEXT ? 3 : 1; /* JSON is written in one piece */
        for (int fail_after = 0; fail_after < n; fail_after++) {
            tbuf b = TBUF_INIT;
            b.fail_after = fail_after;
            mga_status st = mga_result_write(r, (mga_format)f, tbuf_write, &b);
            assert_int_equal(st, MGA_E_WRITE);
            free(b.p);
        }
    }
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_result_write(r, (mga_format)42, tbuf_write, &b), MGA_E_MISUSE);
    assert_int_equal(mga_result_write(NULL, MGA_FORMAT_JSON, tbuf_write, &b), MGA_E_MISUSE);
    assert_int_equal(mga_result_write(r, MGA_FORMAT_JSON, NULL, &b), MGA_E_MISUSE);
    const mga_part *v = (const mga_part *)1;
    size_t n = 1;
    assert_int_equal(mga_result_parts(NULL, MGA_FORMAT_JSON, &v, &n), MGA_E_MISUSE);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_int_equal(mga_result_parts(r, MGA_FORMAT_JSON, NULL, &n), MGA_E_MISUSE);
    assert_int_equal(mga_result_parts(r, MGA_FORMAT_JSON, &v, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_result_parts(r, MGA_FORMAT_TEXT, &v, &n), MGA_E_MISUSE);
    assert_int_equal(mga_result_parts(r, MGA_FORMAT_JSON_PRETTY, &v, &n), MGA_E_MISUSE);
    assert_null(v);
    free(b.p);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_output_enum_names(void **state)
{
    (void)state;
    assert_string_equal(mga_kind_str(MGA_KIND_AVOID), "avoid");
    assert_string_equal(mga_kind_str(MGA_KIND_DISAGREEMENT), "disagreement");
    assert_string_equal(mga_kind_str(MGA_KIND_INFO), "info");
    assert_string_equal(mga_severity_str(MGA_CRITICAL), "critical");
    assert_string_equal(mga_severity_str(MGA_WARNING), "warning");
    assert_string_equal(mga_severity_str(MGA_INFO), "info");
    assert_string_equal(mga_status_str(MGA_E_NOMEM), "out of memory");
    assert_string_equal(mga_status_str((mga_status)99), "unknown status");
    assert_string_equal(mga_group_str(MGA_GROUP_ACT), "act");
    assert_string_equal(mga_group_str(MGA_GROUP_BACKGROUND), "background");
    assert_string_equal(mga_group_str((mga_group)7), "?");
    assert_string_equal(mga_decision_str(MGA_DECISION_WITHIN_LIMITS), "within_limits");
    assert_string_equal(mga_decision_str(MGA_DECISION_ASK_DOCTOR_FIRST), "ask_doctor_first");
    assert_string_equal(mga_decision_str(MGA_DECISION_DO_NOT_TAKE), "do_not_take");
    assert_string_equal(mga_decision_str((mga_decision)7), "?");
}

/* Numbered item lines ("  N. ") in a text result. */
static size_t text_items(const char *t)
{
    size_t n = 0;
    for (const char *l = t; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        unsigned k;
        int used = 0;
        if (sscanf(l, " %u. %n", &k, &used) == 1 && used > 0 && l[0] == ' ')
            n++;
    }
    return n;
}

/* The default text: the summary, every critical and warning item, then act items, then
 * background items up to 8 in all, a line counting the rest, references of the items shown
 * only. MGA_FORMAT_TEXT_ALL shows every item and what was overruled. */
static void test_output_text_short_by_default(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    char rules[8192];
    size_t at = 0;
    at += (size_t)snprintf(rules + at, sizeof rules - at,
                           "rule p then prefer glycinate say \"Prefer.\" cite src[1] end\n"
                           "rule nog when age > 90 years then avoid glycinate severity warning "
                           "say \"No glycinate.\" cite src[1] end\n");
    for (int i = 0; i < 9; i++) /* background, the last one citing a reference of its own */
        at += (size_t)snprintf(rules + at, sizeof rules - at,
                               "rule bg%d then inform say \"Background %d.\" cite src%s end\n",
                               i, i, i == 8 ? "[3]" : "");
    for (int i = 0; i < 3; i++)
        at += (size_t)snprintf(rules + at, sizeof rules - at,
                               "rule w%d when age > 60 years then warn severity warning say "
                               "\"Warning %d.\" cite src end\n",
                               i, i);
    mga_ruleset *rs = compile_ok(eng, rules, NULL);

    /* 1 act + 9 background: the prefer first, background only while fewer than 4 items are
     * shown, the rest (and the reference only the last cites) left out */
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, "{\"age\": 30}", 11, &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    char *txt = result_string(r, MGA_FORMAT_TEXT);
    assert_contains(txt, "\nSummary\n  Supplements: fine within the limits given here\n"
                         "  Forms: prefer glycinate\n\nAdvice, most important first\n"
                         "  1. Prefer. [1]\n");
    assert_int_equal(text_items(txt), 4);
    assert_contains(txt, "  4. Background 2. [2]\n");
    assert_not_contains(txt, "Background 3.");
    assert_contains(txt, "\n6 more items (background and lower-priority advice): "
                         "'mgadvise eval --all' shows every item.\n");
    assert_not_contains(txt, "Reference three.");
    assert_contains(txt, "\nDisclaimer: Not medical advice.\n");
    free(txt);
    txt = result_string(r, MGA_FORMAT_TEXT_ALL);
    assert_int_equal(text_items(txt), 10);
    assert_contains(txt, " 10. Background 8. [3]\n");
    assert_contains(txt, "Reference three.");
    assert_not_contains(txt, "more item");
    assert_contains(txt, "\nDisclaimer: Not medical advice.\n");
    free(txt);
    mga_result_free(r);
    mga_profile_free(p);

    /* 4 warnings, the prefer overruled, 9 background: every warning shown, no background
     * (4 items already); what was overruled only with everything */
    assert_int_equal(mga_profile_parse(rs, NULL, "{\"age\": 95}", 11, &p, NULL), MGA_OK);
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    txt = result_string(r, MGA_FORMAT_TEXT);
    assert_int_equal(text_items(txt), 4);
    assert_contains(txt, "  1. No glycinate. [1]\n     (warning, avoid: glycinate;");
    assert_contains(txt, "  4. Warning 2. [2]\n");
    assert_not_contains(txt, "Background 0.");
    assert_contains(txt, "\n9 more items (");
    assert_not_contains(txt, "Overruled");
    free(txt);
    txt = result_string(r, MGA_FORMAT_TEXT_ALL);
    assert_int_equal(text_items(txt), 13);
    assert_contains(txt, "\nOverruled by safety rules:\n  - prefer glycinate (p), overruled by "
                         "nog\n");
    free(txt);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);

    /* twelve warnings: never hidden, whatever the count */
    at = 0;
    for (int i = 0; i < 12; i++)
        at += (size_t)snprintf(rules + at, sizeof rules - at,
                               "rule w%d then warn severity warning say \"W%d.\" cite src end\n",
                               i, i);
    at += (size_t)snprintf(rules + at, sizeof rules - at,
                           "rule i then inform say \"Info.\" cite src end\n");
    rs = compile_ok(eng, rules, NULL);
    assert_int_equal(mga_profile_parse(rs, NULL, "{}", 2, &p, NULL), MGA_OK);
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    txt = result_string(r, MGA_FORMAT_TEXT);
    assert_int_equal(text_items(txt), 12);
    assert_contains(txt, "\n1 more item (");
    free(txt);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Strings that need every escape yajl_gen makes: quotes, backslashes, control characters
 * (\u{..} in the rule language), '/', non-ASCII. */
static const char *escape_rules =
    "rule esc1 when age > 30 years then prefer glycinate\n"
    "  say \"Say \\\"quoted\\\" a\\\\b c/d\\n\\te \\u{1} \\u{1f} \\u{7f} caf\\u{e9} \\u{1F600}\"\n"
    "  cite src[2] quote \"a \\\"q\\\" \\\\ /\" evidence expert end\n"
    "rule esc2 when age > 60 years then avoid glycinate dose start 50 mg max 75.5 mg\n"
    "  say \"Second.\" cite src[1, 3] cite src quote \"x\" end\n"
    "rule esc3 when age > 80 years then avoid supplements say \"Third.\" cite src[3] end\n";

static int cmp_write(void *ud, const char *p, size_t n)
{
    return tbuf_write(ud, p, n);
}

/* mga_result_parts gives mga_result_write's line, byte for byte, in both compact formats;
 * its stable parts are the same pointers when the result is taken apart again, lie in
 * the rule set's fragments, not in the result's buffer, and no two follow each other in
 * memory (they would be one). Returns the stable parts of the JSON line. */
static size_t check_parts(const mga_result *r, const char *line)
{
    const char *sa[256], *sb[256];
    size_t na = 0, nb = 0, n = 0;
    const mga_part *v = NULL;
    assert_int_equal(mga_result_parts(r, MGA_FORMAT_JSON, &v, &n), MGA_OK);
    char *a = join_parts(v, n, sa, &na);
    assert_string_equal(a, line);
    for (size_t i = 0; i < n; i++) {
        if (!v[i].stable)
            continue;
        assert_true(v[i].p < r->out.p || v[i].p >= r->out.p + r->out.cap);
        /* neighbours in the rule set's layout are one part */
        assert_false(i && v[i - 1].stable && v[i - 1].p + v[i - 1].len == v[i].p);
    }
    assert_int_equal(mga_result_parts(r, MGA_FORMAT_JSON, &v, &n), MGA_OK);
    char *b = join_parts(v, n, sb, &nb);
    assert_string_equal(b, line);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        assert_ptr_equal(sa[i], sb[i]);
    free(a);
    free(b);
    tbuf lean = TBUF_INIT;
    assert_int_equal(mga_result_write(r, MGA_FORMAT_JSON_LEAN, cmp_write, &lean), MGA_OK);
    assert_int_equal(mga_result_parts(r, MGA_FORMAT_JSON_LEAN, &v, &n), MGA_OK);
    a = join_parts(v, n, sa, &nb);
    assert_string_equal(a, lean.p);
    assert_int_equal(nb, 0); /* a lean line is short: one buffer piece */
    free(lean.p);
    free(a);
    return na;
}

/* The compact writer copies fragments serialised once per rule set; the yajl_gen writer
 * is the reference. Both must give the same bytes for every result, and so must the
 * writer in parts. */
static size_t compare_writers(const mga_ruleset *rs, unsigned profiles, uint64_t seed)
{
    size_t stable = 0;
    gp_rng rng = {seed};
    gp_buf *b = malloc(sizeof *b);
    assert_non_null(b);
    unsigned evaluated = 0;
    for (unsigned i = 0; i < profiles; i++) {
        gp_profile(&rng, rs, i, 60, b);
        mga_profile *p = NULL;
        if (mga_profile_parse(rs, "gen", b->p, b->len, &p, NULL) != MGA_OK)
            continue;
        mga_result *r = NULL;
        assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
        tbuf fast = TBUF_INIT, ref = TBUF_INIT;
        fast.fail_after = 1; /* one line, one write: a second write would fail */
        assert_int_equal(mga_result_write(r, MGA_FORMAT_JSON, cmp_write, &fast), MGA_OK);
        assert_int_equal(output_json_gen(r, false, cmp_write, &ref), MGA_OK);
        assert_int_equal(fast.writes, 1);
        assert_string_equal(fast.p, ref.p);
        stable += check_parts(r, ref.p);
        free(fast.p);
        free(ref.p);
        mga_result_free(r);
        mga_profile_free(p);
        evaluated++;
    }
    assert_true(evaluated > profiles / 2);
    free(b);
    return stable;
}

static void test_output_compact_matches_yajl_gen(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, escape_rules, NULL);
    compare_writers(rs, 500, 0x9E3779B97F4A7C15ull);
    char *js = eval_json(rs, "{\"age\": 40}");
    assert_contains(js, "\"text\":\"Say \\\"quoted\\\" a\\\\b c/d\\n\\te \\u0001 \\u001F \\u007F "
                        "caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    free(js);
    mga_ruleset_free(rs);

    const char *paths[] = {"../../rules"};
    assert_int_equal(mga_compile_paths(eng, paths, 1, &rs, NULL), MGA_OK);
    /* the shipped items and references are long: written in parts where they lie */
    assert_true(compare_writers(rs, 3000, 42) > 3000);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The profile's warnings (unknown fields allowed) in the result: the yajl_gen writer, the
 * compact one and the one in parts agree byte for byte, names that need escapes included,
 * and the lean form keeps them too. */
static void test_output_warnings_writers_agree(void **state)
{
    (void)state;
    mga_options opt;
    mga_options_init(&opt);
    opt.realloc_fn = cm_realloc;
    opt.allow_unknown_fields = true;
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
    mga_ruleset *rs = compile_ok(eng, out_rules, NULL);
    char many[2048];
    size_t k = (size_t)sprintf(many, "{\"id\": \"m\", \"conditions\": [\"kidney_disease\"]");
    for (int i = 0; i < 25; i++)
        k += (size_t)sprintf(many + k, ", \"extra%d\": [%d]", i, i);
    sprintf(many + k, "}");
    const char *profiles[] = {
        "{\"id\": \"p1\", \"conditons\": [\"ibs\"], \"we\\\"ird\\\\key\\n\\u00e9\\u0001/\": 1}",
        "{\"vitamin_d_level\": {\"value\": 30, \"unit\": \"nmol/L\", \"note\": \"lab\"}}",
        many,
    };
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        mga_profile *p = NULL;
        assert_int_equal(mga_profile_parse(rs, NULL, profiles[i], strlen(profiles[i]), &p, NULL),
                         MGA_OK);
        mga_result *r = NULL;
        assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
        tbuf fast = TBUF_INIT, ref = TBUF_INIT, lean = TBUF_INIT;
        assert_int_equal(mga_result_write(r, MGA_FORMAT_JSON, cmp_write, &fast), MGA_OK);
        assert_int_equal(output_json_gen(r, false, cmp_write, &ref), MGA_OK);
        assert_string_equal(fast.p, ref.p);
        assert_contains(ref.p, "\"warnings\":[{\"code\":\"W5001\",\"path\":\"$.");
        check_parts(r, ref.p);
        assert_int_equal(mga_result_write(r, MGA_FORMAT_JSON_LEAN, cmp_write, &lean), MGA_OK);
        assert_contains(lean.p, "\"warnings\":[{\"code\":\"W5001\"");
        free(fast.p);
        free(ref.p);
        free(lean.p);
        char *pretty = result_string(r, MGA_FORMAT_JSON_PRETTY);
        assert_contains(pretty, "\"warnings\": [");
        free(pretty);
        if (i == 0) {
            char *js = result_string(r, MGA_FORMAT_JSON);
            assert_contains(js, "\"path\":\"$.we\\\"ird\\\\key\\n\xc3\xa9\\u0001/\"");
            assert_contains(js, "\"note\":\"did you mean 'conditions'?\"");
            free(js);
        }
        if (i == 2) { /* 25 unknown keys: 20 listed, then the count */
            char *js = result_string(r, MGA_FORMAT_JSON);
            assert_contains(js, "{\"code\":\"W5020\",\"path\":\"$\",\"message\":\"5 more not "
                                "listed (5 warnings): a profile lists at most 20 problems\","
                                "\"note\":null}],\"summary\":{");
            free(js);
        }
        mga_result_free(r);
        mga_profile_free(p);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* References past the numbered positions (the table's budget cut its positions short) get
 * their number written per result: a source of 300 long references, rules citing 40 and
 * 60 of them, so that a result lists up to 80 references with only the first few
 * positions in the table. */
static void test_output_references_past_the_numbered_table(void **state)
{
    (void)state;
    size_t cap = 2u << 20, len = 0;
    char *src = malloc(cap);
    assert_non_null(src);
    len += (size_t)snprintf(src + len, cap - len, "source big \"Big Source\"\n");
    for (int i = 1; i <= 300; i++) {
        len += (size_t)snprintf(src + len, cap - len, "  ref %d \"Reference %d:", i, i);
        for (int k = 0; k < 300; k++)
            len += (size_t)snprintf(src + len, cap - len, " w%d", k);
        len += (size_t)snprintf(src + len, cap - len, ".\"\n");
    }
    len += (size_t)snprintf(src + len, cap - len, "end\n");
    const int lo[3] = {1, 30, 250}, hi[3] = {40, 90, 251};
    for (int r = 0; r < 3; r++) {
        len += (size_t)snprintf(src + len, cap - len,
                                "rule big%d when age > %d years then inform say \"Rule %d.\" cite big[", r,
                                20 + 20 * r, r);
        for (int i = lo[r]; i <= hi[r]; i++)
            len += (size_t)snprintf(src + len, cap - len, "%s%d", i > lo[r] ? ", " : "", i);
        len += (size_t)snprintf(src + len, cap - len, "] cite src[1] end\n");
    }
    assert_true(len < cap);
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, src, NULL);
    free(src);
    /* built by the first write that needs it, not by the compile */
    assert_null(rs->refs_tab);
    /* 93 cited entries of about 1.9 KB each: the budget leaves a few positions */
    unsigned kmax = output_refs_kmax(rs);
    assert_true(kmax >= 2 && kmax < 20);
    compare_writers(rs, 300, 7);
    char *js = eval_json(rs, "{\"age\": 70}");
    assert_contains(js, "\"references\":[{\"n\":1,\"source\":\"big\",\"ref\":1,");
    assert_contains(js, "{\"n\":2,\"source\":\"big\",\"ref\":2,");
    assert_contains(js, "{\"n\":41,\"source\":\"src\",\"ref\":1,");
    assert_contains(js, "{\"n\":42,\"source\":\"big\",\"ref\":41,");
    assert_contains(js, "{\"n\":93,\"source\":\"big\",\"ref\":251,");
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_json_shape_exact),
        cmocka_unit_test(test_output_json_dose_and_forms),
        cmocka_unit_test(test_output_references_only_cited),
        cmocka_unit_test(test_output_text_format),
        cmocka_unit_test(test_output_text_no_advice_and_document_reference),
        cmocka_unit_test(test_output_text_short_by_default),
        cmocka_unit_test(test_output_write_errors),
        cmocka_unit_test(test_output_enum_names),
        cmocka_unit_test(test_output_compact_matches_yajl_gen),
        cmocka_unit_test(test_output_warnings_writers_agree),
        cmocka_unit_test(test_output_references_past_the_numbered_table),
    };
    return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
