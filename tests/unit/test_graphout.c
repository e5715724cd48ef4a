/* SPDX-License-Identifier: MIT */
/* Unit tests for graph output (engine/graphout.c through mga_ruleset_write_graph): labels in
 * declared units, shared nodes, the JSON shape against the ruleset, dot escaping,
 * determinism, errors and out of memory. */
#include "helpers.h"

#include <yajl/yajl_tree.h>

static const char *rules =
    "fact older when age >= 55 years\n"
    "rule kidney when conditions has kidney_disease and older then avoid supplements\n"
    "  then refer soon severity critical say \"a\" cite src[1] quote \"a \\\"quoted\\\" \\\\ word\"\n"
    "end\n"
    "rule sum when diet_mg + supplement_mg > 0.4 g and older then warn dose max 400 mg\n"
    "  say \"b\" cite src end\n"
    "rule d when vitamin_d_level < 20 ng/mL or score != -3 or age between 19 and 64 years\n"
    "  then prefer glycinate, citrate then avoid oxide dose start 145 mg say \"c\" cite src\n"
    "end\n"
    "rule e when sex is one of female, male and not balanced_diet and symptoms has all of"
    " confusion, nausea and supplement_mg is missing then inform say \"e\" cite src end\n"
    "rule f then inform say \"f\" cite src end\n";

static char *graph(const mga_ruleset *rs, mga_graph_format fmt)
{
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_ruleset_write_graph(rs, fmt, tbuf_write, &b), MGA_OK);
    assert_non_null(b.p);
    return b.p;
}

static void test_graphout_labels_in_declared_units(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    char *j = graph(rs, MGA_GRAPH_JSON);
    assert_contains(j, "\"label\": \"age >= 55 years\"");
    assert_contains(j, "\"label\": \"age >= 19 years\"");
    assert_contains(j, "\"label\": \"age <= 64 years\"");
    assert_contains(j, "\"label\": \"vitamin_d_level < 20 ng/mL\"");
    assert_contains(j, "\"label\": \"diet_mg + supplement_mg > 400 mg\""); /* 0.4 g in mg */
    assert_contains(j, "\"label\": \"score == -3\"");
    assert_contains(j, "\"label\": \"conditions has kidney_disease\"");
    assert_contains(j, "\"label\": \"sex is one of {female, male}\"");
    assert_contains(j, "\"label\": \"symptoms has all of {confusion, nausea}\"");
    assert_contains(j, "\"label\": \"supplement_mg is known\"");
    assert_contains(j, "\"label\": \"balanced_diet\"");
    assert_contains(j, "\"label\": \"true\"");
    assert_not_contains(j, "days"); /* never the base unit of years */
    assert_not_contains(j, "nmol");
    free(j);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static yajl_val get(yajl_val v, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val r = yajl_tree_get(v, path, yajl_t_any);
    assert_non_null(r);
    return r;
}

static void test_graphout_json_matches_ruleset(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    char *j = graph(rs, MGA_GRAPH_JSON);
    char err[256];
    yajl_val doc = yajl_tree_parse(j, err, sizeof err);
    if (!doc)
        fail_msg("invalid JSON: %s", err);
    yajl_val nodes = get(doc, "nodes");
    assert_true(YAJL_IS_ARRAY(nodes));
    assert_int_equal(nodes->u.array.len, mga_ruleset_node_count(rs));
    size_t shared = 0;
    for (size_t i = 0; i < nodes->u.array.len; i++) {
        yajl_val n = nodes->u.array.values[i];
        assert_int_equal(YAJL_GET_INTEGER(get(n, "id")), (long long)i);
        yajl_val kids = get(n, "children");
        for (size_t k = 0; k < kids->u.array.len; k++) /* children come first */
            assert_true(YAJL_GET_INTEGER(kids->u.array.values[k]) < (long long)i);
        bool sh = YAJL_IS_TRUE(get(n, "shared"));
        assert_int_equal(sh, YAJL_GET_INTEGER(get(n, "uses")) > 1);
        shared += sh;
    }
    assert_true(shared >= 1); /* 'older' is used by two rules */
    yajl_val facts = get(doc, "facts");
    assert_true(YAJL_IS_OBJECT(facts));
    assert_int_equal(facts->u.object.len, 1);
    assert_string_equal(facts->u.object.keys[0], "older");
    long long older = YAJL_GET_INTEGER(facts->u.object.values[0]);
    assert_true(YAJL_IS_TRUE(get(nodes->u.array.values[older], "shared")));
    yajl_val rl = get(doc, "rules");
    assert_int_equal(rl->u.array.len, mga_ruleset_rule_count(rs));
    for (size_t i = 0; i < rl->u.array.len; i++)
        assert_string_equal(YAJL_GET_STRING(get(rl->u.array.values[i], "id")),
                            mga_ruleset_rule_id(rs, i));
    yajl_val r0 = rl->u.array.values[0];
    assert_string_equal(YAJL_GET_STRING(get(r0, "severity")), "critical");
    assert_string_equal(YAJL_GET_STRING(get(r0, "kind")), "avoid");
    yajl_val acts = get(r0, "actions");
    assert_true(YAJL_IS_TRUE(get(acts, "avoid_supplements")));
    assert_string_equal(YAJL_GET_STRING(get(acts, "refer")), "soon");
    yajl_val cite = get(r0, "cites")->u.array.values[0];
    assert_string_equal(YAJL_GET_STRING(get(cite, "source")), "src");
    assert_int_equal(YAJL_GET_INTEGER(get(cite, "ref")), 1);
    assert_string_equal(YAJL_GET_STRING(get(cite, "quote")), "a \"quoted\" \\ word");
    yajl_val dose = get(get(rl->u.array.values[2], "actions"), "dose");
    assert_int_equal((int)YAJL_GET_DOUBLE(get(dose, "start_mg")), 145);
    assert_true(YAJL_IS_NULL(get(dose, "max_mg")));
    yajl_tree_free(doc);
    free(j);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_graphout_dot(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    char *d = graph(rs, MGA_GRAPH_DOT);
    assert_true(strncmp(d, "digraph rules {\n", 16) == 0);
    assert_true(strcmp(d + strlen(d) - 2, "}\n") == 0);
    assert_contains(d, "label=\"fact older\\nage >= 55 years\", shape=box");
    assert_contains(d, "color=\"#cc0000\", penwidth=2, tooltip=\"shared by 2\"");
    assert_contains(d, "label=\"kidney\\navoid, critical\\ncites src[1]\"");
    /* the quote: its own quotes and backslash escaped inside the tooltip */
    assert_contains(d, "tooltip=\"src[1]: \\\"a \\\"quoted\\\" \\\\ word\\\"\"");
    assert_contains(d, "label=\"avoid supplements\"");
    assert_contains(d, "label=\"dose max 400 mg\"");
    assert_contains(d, "label=\"prefer citrate\"");
    /* every action node is declared once, however many rules lead to it */
    const char *p = strstr(d, "label=\"refer soon\"");
    assert_non_null(p);
    assert_null(strstr(p + 1, "label=\"refer soon\""));
    free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_graphout_deterministic(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    for (int fmt = MGA_GRAPH_DOT; fmt <= MGA_GRAPH_JSON; fmt++) {
        mga_ruleset *a = compile_ok(eng, rules, NULL), *b = compile_ok(eng, rules, NULL);
        char *x = graph(a, (mga_graph_format)fmt), *y = graph(b, (mga_graph_format)fmt);
        assert_string_equal(x, y);
        free(x);
        free(y);
        mga_ruleset_free(a);
        mga_ruleset_free(b);
    }
    mga_engine_free(eng);
}

static void test_graphout_errors(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_ruleset_write_graph(NULL, MGA_GRAPH_DOT, tbuf_write, &b),
                     MGA_E_MISUSE);
    assert_int_equal(mga_ruleset_write_graph(rs, MGA_GRAPH_DOT, NULL, &b), MGA_E_MISUSE);
    assert_int_equal(mga_ruleset_write_graph(rs, (mga_graph_format)7, tbuf_write, &b),
                     MGA_E_MISUSE);
    b.fail_after = 0;
    assert_int_equal(mga_ruleset_write_graph(rs, MGA_GRAPH_JSON, tbuf_write, &b), MGA_E_WRITE);
    assert_int_equal(mga_ruleset_write_graph(rs, MGA_GRAPH_DOT, tbuf_write, &b), MGA_E_WRITE);
    free(b.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

typedef struct graph_step {
    const mga_ruleset *rs;
    mga_graph_format fmt;
} graph_step;

static mga_status write_graph_step(void *ud)
{
    const graph_step *g = ud;
    tbuf b = TBUF_INIT;
    mga_status st = mga_ruleset_write_graph(g->rs, g->fmt, tbuf_write, &b);
    free(b.p);
    return st;
}

static void test_graphout_oom_loop(void **state)
{
    (void)state;
    fail_state fs = {0, -1, false, 0};
    mga_engine *eng = fail_engine(&fs);
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    for (int fmt = MGA_GRAPH_DOT; fmt <= MGA_GRAPH_JSON; fmt++) {
        graph_step g = {rs, (mga_graph_format)fmt};
        fail_each(&fs, write_graph_step, &g);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graphout_labels_in_declared_units),
        cmocka_unit_test(test_graphout_json_matches_ruleset),
        cmocka_unit_test(test_graphout_dot),
        cmocka_unit_test(test_graphout_deterministic),
        cmocka_unit_test(test_graphout_errors),
        cmocka_unit_test(test_graphout_oom_loop),
    };
    return cmocka_run_group_tests_name("graphout", tests, NULL, NULL);
}
