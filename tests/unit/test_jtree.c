/* SPDX-License-Identifier: MIT */
/* Unit tests for jtree.c: a JSON text as a yajl_val tree in an arena, checked against
 * yajl_tree_parse on the same texts, its depth limit, its errors and running out of memory
 * at every allocation. */
#include "helpers.h"

#include "arena.h"
#include "jtree.h"

static mem test_mem(void)
{
    mem m = {cm_realloc, NULL};
    return m;
}

/* a and b the same tree: types, keys in order, strings, and a number's text */
static void same_tree(yajl_val a, yajl_val b)
{
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->type, b->type);
    if (YAJL_IS_STRING(a)) {
        assert_string_equal(YAJL_GET_STRING(a), YAJL_GET_STRING(b));
    } else if (YAJL_IS_NUMBER(a)) {
        assert_string_equal(YAJL_GET_NUMBER(a), YAJL_GET_NUMBER(b));
    } else if (YAJL_IS_OBJECT(a)) {
        assert_int_equal(a->u.object.len, b->u.object.len);
        for (size_t i = 0; i < a->u.object.len; i++) {
            assert_string_equal(a->u.object.keys[i], b->u.object.keys[i]);
            same_tree(a->u.object.values[i], b->u.object.values[i]);
        }
    } else if (YAJL_IS_ARRAY(a)) {
        assert_int_equal(a->u.array.len, b->u.array.len);
        for (size_t i = 0; i < a->u.array.len; i++)
            same_tree(a->u.array.values[i], b->u.array.values[i]);
    }
}

static void test_jtree_same_as_yajl_tree(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{}",
        "[]",
        "null",
        "\"a\\u00e9\\n\\\"b\"",
        "-12.5e3",
        "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"id\":\"p\",\"x\":[1,2.0,"
        "true,false,null,{},[]]}},{\"fullUrl\":\"u\"}],\"n\":18446744073709551616}",
        "[[[[1]],[2,[3,{\"k\":[4]}]]]]",
        "[[[]]]", /* empty values before any other: nothing stacked yet */
        "{\"a\":{}}",
        "/* a comment */ {\"a\": 1 // and another\n}",
        "{\"dup\":1,\"dup\":2}",
    };
    mem m = test_mem();
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        arena a;
        arena_init(&a, &m);
        yajl_val v = NULL;
        char err[128];
        assert_int_equal(jtree_parse(&a, texts[i], strlen(texts[i]), 64, &v, err, sizeof err),
                         JTREE_OK);
        yajl_val w = yajl_tree_parse(texts[i], NULL, 0);
        same_tree(v, w);
        yajl_tree_free(w);
        arena_free(&a);
    }
}

static void test_jtree_text_need_not_end_in_nul(void **state)
{
    (void)state;
    mem m = test_mem();
    arena a;
    arena_init(&a, &m);
    const char text[] = "[1,2]garbage";
    yajl_val v = NULL;
    char err[128];
    assert_int_equal(jtree_parse(&a, text, 5, 64, &v, err, sizeof err), JTREE_OK);
    assert_true(YAJL_IS_ARRAY(v));
    assert_int_equal(v->u.array.len, 2);
    assert_string_equal(YAJL_GET_NUMBER(v->u.array.values[1]), "2");
    arena_free(&a);
}

static void test_jtree_depth_limit(void **state)
{
    (void)state;
    mem m = test_mem();
    arena a;
    arena_init(&a, &m);
    yajl_val v = NULL;
    char err[128];
    const char *three = "[{\"a\":[1]}]";
    assert_int_equal(jtree_parse(&a, three, strlen(three), 3, &v, err, sizeof err), JTREE_OK);
    assert_int_equal(jtree_parse(&a, three, strlen(three), 2, &v, err, sizeof err), JTREE_DEEP);
    assert_null(v);
    /* far deeper than the limit: refused at the limit, whatever follows */
    char deep[20001];
    memset(deep, '[', 20000);
    deep[20000] = '\0';
    assert_int_equal(jtree_parse(&a, deep, 20000, 64, &v, err, sizeof err), JTREE_DEEP);
    arena_free(&a);
}

static void test_jtree_syntax_errors(void **state)
{
    (void)state;
    mem m = test_mem();
    static const char *const bad[] = {"", "{", "{\"a\" 1}", "[1,]", "{} {}", "tru", "\"\x01\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        arena a;
        arena_init(&a, &m);
        yajl_val v = (yajl_val)1;
        char err[128];
        assert_int_equal(jtree_parse(&a, bad[i], strlen(bad[i]), 64, &v, err, sizeof err),
                         JTREE_SYNTAX);
        assert_null(v);
        /* the first line of yajl's message, no more */
        assert_null(strchr(err, '\n'));
        if (bad[i][0])
            assert_non_null(strstr(err, "error"));
        arena_free(&a);
    }
    /* a small buffer gets the start of the message */
    arena a;
    arena_init(&a, &m);
    yajl_val v = NULL;
    char err[8];
    assert_int_equal(jtree_parse(&a, "[1,]", 4, 64, &v, err, sizeof err), JTREE_SYNTAX);
    assert_int_equal(strlen(err), 7);
    arena_free(&a);
}

typedef struct oom_case {
    fail_state fs;
    mem m;
} oom_case;

static mga_status parse_once(void *ud)
{
    oom_case *c = ud;
    arena a;
    arena_init(&a, &c->m);
    static const char text[] =
        "{\"entry\":[{\"resource\":{\"resourceType\":\"Patient\",\"birthDate\":\"1950-01-01\"}},"
        "{\"resource\":{\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\","
        "\"code\":\"709044004\"}]},\"n\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}}]}";
    yajl_val v = NULL;
    char err[128];
    jtree_status st = jtree_parse(&a, text, sizeof text - 1, 64, &v, err, sizeof err);
    mga_status r = st == JTREE_OK ? MGA_OK : st == JTREE_NOMEM ? MGA_E_NOMEM : MGA_E_INVALID;
    if (st == JTREE_OK)
        assert_string_equal(v->u.object.keys[0], "entry");
    arena_free(&a);
    return r;
}

static void test_jtree_out_of_memory(void **state)
{
    (void)state;
    oom_case c = {.fs = {.fail_at = -1}};
    c.m = (mem){fail_realloc, &c.fs};
    fail_each(&c.fs, parse_once, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jtree_same_as_yajl_tree),
        cmocka_unit_test(test_jtree_text_need_not_end_in_nul),
        cmocka_unit_test(test_jtree_depth_limit),
        cmocka_unit_test(test_jtree_syntax_errors),
        cmocka_unit_test(test_jtree_out_of_memory),
    };
    return cmocka_run_group_tests_name("jtree", tests, NULL, NULL);
}
