/* SPDX-License-Identifier: MIT */
/* Unit tests for diagnostics as data (engine/diagout.c through mga_diags_write): the JSON
 * array and the SARIF log against the list they come from, notes split, witnesses and
 * paths carried, unlocated diagnostics, URIs, escaping, errors and out of memory. */
#include "helpers.h"

#include "diag.h"

#include <yajl/yajl_tree.h>

static char *write_diags(const mga_diags *d, mga_diags_format fmt)
{
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_diags_write(d, fmt, tbuf_write, &b), MGA_OK);
    assert_non_null(b.p);
    return b.p;
}

static yajl_val parse(const char *s)
{
    char err[256];
    yajl_val v = yajl_tree_parse(s, err, sizeof err);
    if (!v)
        fail_msg("invalid JSON: %s\n%s", err, s);
    return v;
}

static yajl_val get(yajl_val v, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(v, path, yajl_t_any);
}

static void assert_str(yajl_val v, const char *want)
{
    if (!want) {
        assert_true(YAJL_IS_NULL(v));
        return;
    }
    assert_true(YAJL_IS_STRING(v));
    assert_string_equal(YAJL_GET_STRING(v), want);
}

static void assert_pos(yajl_val v, unsigned want)
{
    if (!want) {
        assert_true(YAJL_IS_NULL(v));
        return;
    }
    assert_true(YAJL_IS_INTEGER(v));
    assert_int_equal(YAJL_GET_INTEGER(v), want);
}

/* A list made by hand: located with one note, located with two notes and a witness, a
 * profile diagnostic with a path, and one about no file. */
static mga_diags *hand_made(const mem *m)
{
    static const char text[] = "rule a\n  when x\nend\n";
    mga_diags *d = diag_new(m, 0);
    assert_non_null(d);
    int src = diag_source(d, "dir with space/\xc3\xbc.mga", text, sizeof text - 1);
    mga_diag *dg = diag_add(d, DIAG_UNKNOWN_FIELD, src, 14, 1, "x");
    diag_note(d, dg, "did you mean '%s'?", "y");
    dg = diag_add(d, DIAG_GAP, src, 5, 1, "sleep");
    diag_note(d, dg, "every profile with the goal and age < 19, e.g. {\"age\": 0}\n  note: "
                     "for example {\"goals\": [\"sleep\"]}");
    diag_witness(d, dg, "{\"age\": 0}");
    diag_add(d, DIAG_IO, -1, 0, 0, "gone.mga", "No such file or directory");
    return d;
}

static void test_diagout_json_matches_list(void **state)
{
    (void)state;
    mem m = {cm_realloc, NULL};
    mga_diags *d = hand_made(&m);
    char *s = write_diags(d, MGA_DIAGS_JSON);
    yajl_val doc = parse(s);
    assert_true(YAJL_IS_ARRAY(doc));
    assert_int_equal(doc->u.array.len, mga_diags_count(d));
    for (size_t i = 0; i < mga_diags_count(d); i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        yajl_val o = doc->u.array.values[i];
        assert_str(get(o, "file"), dg->file);
        assert_pos(get(o, "line"), dg->line);
        assert_pos(get(o, "column"), dg->line ? dg->col : 0);
        assert_pos(get(o, "end_line"), dg->line ? dg->end_line : 0);
        assert_pos(get(o, "end_column"), dg->line ? dg->end_col : 0);
        assert_str(get(o, "message"), dg->message);
        assert_str(get(o, "path"), dg->path);
        assert_str(get(o, "witness"), dg->witness);
        assert_true(YAJL_IS_ARRAY(get(o, "notes")));
    }
    yajl_val a = doc->u.array.values[0], g = doc->u.array.values[1], io = doc->u.array.values[2];
    assert_str(get(a, "code"), "E3002");
    assert_str(get(a, "severity"), "error");
    assert_pos(get(a, "line"), 2);
    assert_pos(get(a, "column"), 8);
    assert_pos(get(a, "end_column"), 9);
    yajl_val notes = get(a, "notes");
    assert_int_equal(notes->u.array.len, 1);
    assert_str(notes->u.array.values[0], "did you mean 'y'?");
    /* the engine's "\n  note: " between notes is layout: two elements */
    assert_str(get(g, "code"), "N5011");
    assert_str(get(g, "severity"), "note");
    notes = get(g, "notes");
    assert_int_equal(notes->u.array.len, 2);
    assert_str(notes->u.array.values[0],
               "every profile with the goal and age < 19, e.g. {\"age\": 0}");
    assert_str(notes->u.array.values[1], "for example {\"goals\": [\"sleep\"]}");
    assert_str(get(g, "witness"), "{\"age\": 0}");
    assert_str(get(io, "code"), "E9005");
    assert_str(get(io, "file"), NULL);
    assert_pos(get(io, "line"), 0);
    assert_int_equal(get(io, "notes")->u.array.len, 0);
    yajl_tree_free(doc);
    free(s);
    mga_diags_free(d);
}

static void test_diagout_profile_path(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, "", NULL);
    static const char json[] = "{\"age\": 200, \"sex\": \"other\"}";
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", json, sizeof json - 1, &p, &d),
                     MGA_E_PROFILE);
    char *s = write_diags(d, MGA_DIAGS_JSON);
    yajl_val doc = parse(s);
    assert_int_equal(doc->u.array.len, 2);
    assert_str(get(doc->u.array.values[0], "path"), "$.age");
    assert_str(get(doc->u.array.values[0], "code"), "E4003");
    assert_str(get(doc->u.array.values[0], "file"), "p.json");
    assert_str(get(doc->u.array.values[1], "path"), "$.sex");
    assert_str(get(doc->u.array.values[1], "code"), "E4004");
    yajl_tree_free(doc);
    free(s);
    mga_diags_free(d);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_diagout_sarif(void **state)
{
    (void)state;
    mem m = {cm_realloc, NULL};
    mga_diags *d = hand_made(&m);
    char *s = write_diags(d, MGA_DIAGS_SARIF);
    yajl_val doc = parse(s);
    assert_str(get(doc, "version"), "2.1.0");
    assert_true(YAJL_IS_STRING(get(doc, "$schema")));
    yajl_val runs = get(doc, "runs");
    assert_int_equal(runs->u.array.len, 1);
    yajl_val run = runs->u.array.values[0];
    const char *dp[] = {"tool", "driver", NULL};
    yajl_val driver = yajl_tree_get(run, dp, yajl_t_object);
    assert_non_null(driver);
    assert_str(get(driver, "name"), "mgadvise");
    assert_str(get(driver, "version"), MGA_VERSION);
    yajl_val rules = get(driver, "rules");
    assert_int_equal(rules->u.array.len, DIAG_COUNT_); /* every code of diag_codes.def */
    assert_str(get(run, "columnKind"), "unicodeCodePoints");
    yajl_val results = get(run, "results");
    assert_int_equal(results->u.array.len, 3);
    for (size_t i = 0; i < 3; i++) {
        yajl_val r = results->u.array.values[i];
        long long ix = YAJL_GET_INTEGER(get(r, "ruleIndex"));
        assert_true(ix >= 0 && (size_t)ix < rules->u.array.len);
        assert_string_equal(YAJL_GET_STRING(get(rules->u.array.values[ix], "id")),
                            YAJL_GET_STRING(get(r, "ruleId")));
    }
    yajl_val a = results->u.array.values[0];
    assert_str(get(a, "level"), "error");
    const char *tp[] = {"message", "text", NULL};
    assert_str(yajl_tree_get(a, tp, yajl_t_any), "unknown field 'x'\nnote: did you mean 'y'?");
    const char *up[] = {"physicalLocation", "artifactLocation", "uri", NULL};
    yajl_val loc = get(a, "locations")->u.array.values[0];
    assert_str(yajl_tree_get(loc, up, yajl_t_any), "dir%20with%20space/%C3%BC.mga");
    const char *rp[] = {"physicalLocation", "region", NULL};
    yajl_val reg = yajl_tree_get(loc, rp, yajl_t_object);
    assert_pos(get(reg, "startLine"), 2);
    assert_pos(get(reg, "startColumn"), 8);
    assert_pos(get(reg, "endLine"), 2);
    assert_pos(get(reg, "endColumn"), 9);
    assert_null(get(a, "properties"));
    yajl_val g = results->u.array.values[1];
    assert_str(get(g, "level"), "note");
    assert_str(yajl_tree_get(g, tp, yajl_t_any),
               "goal 'sleep': some profiles with it get no form and no dose advice\nnote: "
               "every profile with the goal and age < 19, e.g. {\"age\": 0}\nnote: for "
               "example {\"goals\": [\"sleep\"]}");
    const char *wp[] = {"properties", "witness", NULL};
    assert_str(yajl_tree_get(g, wp, yajl_t_any), "{\"age\": 0}");
    /* no file: no locations key at all (not an empty array) */
    assert_null(get(results->u.array.values[2], "locations"));
    yajl_tree_free(doc);
    free(s);
    mga_diags_free(d);
}

static void test_diagout_absolute_path_uri(void **state)
{
    (void)state;
    mem m = {cm_realloc, NULL};
    mga_diags *d = diag_new(&m, 0);
    int src = diag_source(d, "/abs/r#1.mga", "x", 1);
    diag_add(d, DIAG_LEX_NUL, src, 0, 1);
    char *s = write_diags(d, MGA_DIAGS_SARIF);
    assert_contains(s, "\"uri\": \"file:///abs/r%231.mga\"");
    free(s);
    mga_diags_free(d);
}

static void test_diagout_escaping(void **state)
{
    (void)state;
    mem m = {cm_realloc, NULL};
    mga_diags *d = diag_new(&m, 0);
    /* a control character, a quote, a C1 control and a byte that is not UTF-8 */
    diag_add(d, DIAG_UNKNOWN_FIELD, -1, 0, 0, "a\x1b\"b\xc2\x85z\xff!");
    for (int f = MGA_DIAGS_JSON; f <= MGA_DIAGS_SARIF; f++) {
        char *s = write_diags(d, (mga_diags_format)f);
        assert_contains(s, "a\\u001B\\\"b\\u0085z\xef\xbf\xbd!");
        yajl_val doc = parse(s);
        yajl_tree_free(doc);
        free(s);
    }
    mga_diags_free(d);
}

static void test_diagout_empty_and_text(void **state)
{
    (void)state;
    mem m = {cm_realloc, NULL};
    mga_diags *d = diag_new(&m, 0);
    char *s = write_diags(d, MGA_DIAGS_JSON);
    yajl_val arr = parse(s);
    assert_true(YAJL_IS_ARRAY(arr));
    assert_int_equal(arr->u.array.len, 0);
    yajl_tree_free(arr);
    assert_int_equal(s[strlen(s) - 1], '\n');
    free(s);
    s = write_diags(d, MGA_DIAGS_SARIF);
    assert_contains(s, "\"results\": [");
    yajl_val doc = parse(s);
    const char *rp[] = {"runs", NULL};
    yajl_val run = yajl_tree_get(doc, rp, yajl_t_array)->u.array.values[0];
    assert_int_equal(get(run, "results")->u.array.len, 0);
    yajl_tree_free(doc);
    free(s);
    mga_diags_free(d);
    /* MGA_DIAGS_TEXT is mga_diags_render, byte for byte */
    d = hand_made(&m);
    s = write_diags(d, MGA_DIAGS_TEXT);
    char *r = render_diags(d);
    assert_string_equal(s, r);
    free(r);
    free(s);
    mga_diags_free(d);
}

static void test_diagout_errors(void **state)
{
    (void)state;
    mem m = {cm_realloc, NULL};
    mga_diags *d = hand_made(&m);
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_diags_write(NULL, MGA_DIAGS_JSON, tbuf_write, &b), MGA_E_MISUSE);
    assert_int_equal(mga_diags_write(d, MGA_DIAGS_JSON, NULL, &b), MGA_E_MISUSE);
    assert_int_equal(mga_diags_write(d, (mga_diags_format)9, tbuf_write, &b), MGA_E_MISUSE);
    assert_null(b.p);
    /* one call of fn: failing the first fails the write */
    b.fail_after = 0;
    assert_int_equal(mga_diags_write(d, MGA_DIAGS_JSON, tbuf_write, &b), MGA_E_WRITE);
    b.writes = 0;
    assert_int_equal(mga_diags_write(d, MGA_DIAGS_SARIF, tbuf_write, &b), MGA_E_WRITE);
    b.writes = 0;
    b.fail_after = 1;
    assert_int_equal(mga_diags_write(d, MGA_DIAGS_SARIF, tbuf_write, &b), MGA_OK);
    assert_int_equal(b.writes, 1);
    free(b.p);
    mga_diags_free(d);
}

typedef struct diags_step {
    const mga_diags *d;
    mga_diags_format fmt;
} diags_step;

static mga_status write_diags_step(void *ud)
{
    const diags_step *ds = ud;
    tbuf b = TBUF_INIT;
    mga_status st = mga_diags_write(ds->d, ds->fmt, tbuf_write, &b);
    if (st == MGA_E_NOMEM)
        assert_null(b.p); /* nothing written */
    free(b.p);
    return st;
}

static void test_diagout_oom_loop(void **state)
{
    (void)state;
    fail_state fs = {0, -1, false, 0};
    mem m = {fail_realloc, &fs};
    mga_diags *d = hand_made(&m);
    for (int fmt = MGA_DIAGS_JSON; fmt <= MGA_DIAGS_SARIF; fmt++) {
        diags_step ds = {d, (mga_diags_format)fmt};
        fail_each(&fs, write_diags_step, &ds);
    }
    mga_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diagout_json_matches_list),
        cmocka_unit_test(test_diagout_profile_path),
        cmocka_unit_test(test_diagout_sarif),
        cmocka_unit_test(test_diagout_absolute_path_uri),
        cmocka_unit_test(test_diagout_escaping),
        cmocka_unit_test(test_diagout_empty_and_text),
        cmocka_unit_test(test_diagout_errors),
        cmocka_unit_test(test_diagout_oom_loop),
    };
    return cmocka_run_group_tests_name("diagout", tests, NULL, NULL);
}
