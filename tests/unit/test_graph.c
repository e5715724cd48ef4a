/* SPDX-License-Identifier: MIT */
/* Unit tests for graph.c (passes 3-5): equivalent conditions written differently share one
 * node, AND/OR are flattened, sorted and deduplicated, 'between' is two comparisons. */
#include "helpers.h"

#include "graph.h"

/* The node count of PRELUDE plus one rule per condition. */
static size_t nodes_for(const char *const *conds, size_t n)
{
    char rules[4096];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(rules + k, sizeof rules - k,
                              "rule r%zu when %s then inform say \"x\" cite src end\n", i,
                              conds[i]);
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    size_t count = mga_ruleset_node_count(rs);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    return count;
}

#define NODES(...)                                                                             \
    nodes_for((const char *const[]){__VA_ARGS__},                                              \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void test_graph_same_comparison_shares_node(void **state)
{
    (void)state;
    assert_int_equal(NODES("age >= 55 years"), 1);
    assert_int_equal(NODES("age >= 55 years", "age >= 55 years"), 1);
    assert_int_equal(NODES("age >= 55 years", "55 years <= age"), 1);
    assert_int_equal(NODES("age >= 55 years", "age >= 20088.75 days"), 1); /* same in base */
    assert_int_equal(NODES("age >= 55 years", "0 years <= age - 55 years"), 1);
    assert_int_equal(NODES("age >= 55 years", "age > 54 years"), 2);
    assert_int_equal(NODES("age >= 55 years", "age > 55 years"), 2);
    assert_int_equal(NODES("age < 55 years", "55 years > age", "-age > -55 years"), 1);
}

static void test_graph_sums_normalised(void **state)
{
    (void)state;
    assert_int_equal(NODES("diet_mg + supplement_mg > 400 mg",
                           "supplement_mg + diet_mg > 400 mg",
                           "diet_mg > 400 mg - supplement_mg", "400 mg < supplement_mg + diet_mg"),
                     1);
    assert_int_equal(NODES("diet_mg + supplement_mg > 0.4 g"), 1);
    assert_int_equal(NODES("diet_mg + supplement_mg > 400 mg", "diet_mg - supplement_mg > 400 mg"),
                     2);
    /* a field minus itself is a constant */
    assert_int_equal(NODES("diet_mg - diet_mg > 1 mg"), 1); /* the constant false */
    assert_int_equal(NODES("age == 5 years", "5 years == age"), 1);
    assert_int_equal(NODES("age != 5 years", "not (age == 5 years)"), 2); /* EQ and NOT */
}

static void test_graph_and_or_flattened_and_deduped(void **state)
{
    (void)state;
    /* three tests and one AND, however grouped or ordered */
    assert_int_equal(NODES("balanced_diet and (pregnant and age > 1 years)",
                           "(age > 1 years and pregnant) and balanced_diet",
                           "pregnant and balanced_diet and age > 1 years"),
                     4);
    assert_int_equal(NODES("balanced_diet and balanced_diet"), 1);
    assert_int_equal(NODES("balanced_diet or (pregnant or balanced_diet)"), 3);
    /* AND and OR over the same children are different nodes */
    assert_int_equal(NODES("balanced_diet and pregnant", "balanced_diet or pregnant"), 4);
    assert_int_equal(NODES("not not balanced_diet"), 1);
    assert_int_equal(NODES("true and balanced_diet"), 1);
    assert_int_equal(NODES("false or balanced_diet", "balanced_diet"), 1);
}

/* A chain of one operator is one level however long: 100,000 terms of 'or' compile in
 * linear time to one OR node (no depth error, no deep recursion), and evaluate. */
static void test_graph_long_or_chain_is_one_node(void **state)
{
    (void)state;
    enum { TERMS = 100000 };
    size_t cap = (size_t)TERMS * 32 + 256;
    char *rules = malloc(cap);
    assert_non_null(rules);
    size_t k = (size_t)snprintf(rules, cap, "rule chain when ");
    for (int i = 0; i < TERMS; i++)
        k += (size_t)snprintf(rules + k, cap - k, "%sage > %d years", i ? " or " : "",
                              i % 1000);
    snprintf(rules + k, cap - k, " then inform say \"x\" cite src end\n");
    /* the system allocator: cmocka's leak-checking one slows down with every live block
     * (leaks are still caught by the sanitizer and Valgrind runs) */
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(NULL, &eng), MGA_OK);
    mga_ruleset *rs = compile_ok(eng, rules, NULL);
    free(rules);
    assert_int_equal(mga_ruleset_node_count(rs), 1001); /* 1000 distinct tests, one OR */
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_graph_set_and_enum_tests_shared(void **state)
{
    (void)state;
    assert_int_equal(NODES("conditions has ibs", "conditions has any of ibs"), 1);
    assert_int_equal(NODES("conditions has any of ibs, insomnia",
                           "conditions has any of insomnia, ibs"),
                     1);
    assert_int_equal(NODES("conditions has all of ibs, insomnia",
                           "conditions has any of ibs, insomnia"),
                     2);
    assert_int_equal(NODES("conditions has none of ibs", "not (conditions has ibs)"), 2);
    assert_int_equal(NODES("sex is female", "sex is one of female"), 1);
    assert_int_equal(NODES("balanced_diet", "balanced_diet is true"), 1);
    assert_int_equal(NODES("balanced_diet is false", "not balanced_diet"), 2);
}

static void test_graph_between_is_two_comparisons(void **state)
{
    (void)state;
    assert_int_equal(NODES("age between 19 and 64 years"), 3);
    assert_int_equal(NODES("age between 19 and 64 years", "age >= 19 years and age <= 64 years"),
                     3);
    assert_int_equal(NODES("age between 19 and 64 years", "age >= 19 years"), 3);

    mga_engine *eng = make_engine();
    mga_ruleset *rs =
        compile_ok(eng, "rule r when age between 19 and 64 years then inform say \"x\" cite src end\n",
                   NULL);
    const g_node *top = &rs->nodes[rs->rules[0].node];
    assert_int_equal(top->kind, N_AND);
    assert_int_equal(top->n, 2);
    for (uint32_t i = 0; i < 2; i++) {
        const g_node *k = &rs->nodes[rs->kids[top->off + i]];
        assert_int_equal(k->kind, N_LIN);
        assert_int_equal(k->op, OP_LE); /* >= is rewritten as <= */
        assert_int_equal(k->n, 1);
    }
    /* children come before parents: one forward sweep evaluates the graph */
    for (size_t i = 0; i < rs->nnodes; i++) {
        const g_node *n = &rs->nodes[i];
        if (n->kind == N_AND || n->kind == N_OR || n->kind == N_NOT || n->kind == N_DEF)
            for (uint32_t k = 0; k < n->n; k++)
                assert_true(rs->kids[n->off + k] < i);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_graph_facts_shared_with_rules(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 "fact older when age >= 55 years\n"
                                 "rule a when older then inform say \"x\" cite src end\n"
                                 "rule b when 55 years <= age then inform say \"x\" cite src end\n",
                                 NULL);
    assert_int_equal(mga_ruleset_node_count(rs), 1);
    assert_int_equal(rs->rules[0].node, rs->rules[1].node);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_graph_rule_without_when_is_true(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, "rule a then inform say \"x\" cite src end\n", NULL);
    assert_int_equal(mga_ruleset_node_count(rs), 1);
    const g_node *n = &rs->nodes[rs->rules[0].node];
    assert_int_equal(n->kind, N_CONST);
    assert_int_equal(n->bval, 1);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_same_comparison_shares_node),
        cmocka_unit_test(test_graph_sums_normalised),
        cmocka_unit_test(test_graph_and_or_flattened_and_deduped),
        cmocka_unit_test(test_graph_set_and_enum_tests_shared),
        cmocka_unit_test(test_graph_between_is_two_comparisons),
        cmocka_unit_test(test_graph_facts_shared_with_rules),
        cmocka_unit_test(test_graph_rule_without_when_is_true),
        cmocka_unit_test(test_graph_long_or_chain_is_one_node),
    };
    return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
