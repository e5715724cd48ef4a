/* SPDX-License-Identifier: MIT */
/* Unit tests for doc comments (engine/doc.c): the comment lines above a declaration, the
 * comments after code on its own lines, what ends it (a blank line, a comment line, the
 * next declaration, 'end'), CRLF and out of memory. */
#include "helpers.h"

#include "doc.h"

/* The doc comment of the declaration at the first occurrence of decl in text, up to the
 * first occurrence of next (NULL: none); NULL when there is none. Freed with the arena. */
static const char *doc_of(arena *a, const char *text, const char *decl, const char *next)
{
    const char *p = strstr(text, decl);
    assert_non_null(p);
    size_t nx = next ? (size_t)(strstr(text, next) - text) : SIZE_MAX;
    const char *out = (const char *)1;
    assert_true(doc_comment(a, text, strlen(text), (size_t)(p - text), nx, &out));
    return out;
}

static void test_doc_leading_and_trailing(void **state)
{
    (void)state;
    mem m = {cm_realloc, NULL};
    arena a;
    arena_init(&a, &m);
    static const char t[] = "profile\n"
                            "  #   First line.  \n"
                            "  # Second line.\n"
                            "  age: number years range 0..130   # trailing\n"
                            "  goals: set of a,   # one\n"
                            "    b,\n"
                            "    c                # three\n"
                            "  # about sex, not goals\n"
                            "  sex: one of f, m\n"
                            "  flag: boolean\n"
                            "  # stray\n"
                            "end  # the end\n";
    assert_string_equal(doc_of(&a, t, "age:", "goals:"), "First line. Second line. trailing");
    assert_string_equal(doc_of(&a, t, "goals:", "sex:"), "one three");
    assert_string_equal(doc_of(&a, t, "sex:", "flag:"), "about sex, not goals");
    /* the last field: 'end' and the comment line before it are not its own */
    assert_null(doc_of(&a, t, "flag:", NULL));
    arena_free(&a);
}

static void test_doc_what_ends_it(void **state)
{
    (void)state;
    mem m = {cm_realloc, NULL};
    arena a;
    arena_init(&a, &m);
    /* a blank line between the comment and the declaration: not its description */
    static const char blank[] = "# detached\n\nage: number\n";
    assert_null(doc_of(&a, blank, "age:", NULL));
    /* code on the line above ends the comment block */
    static const char code[] = "# far\nx: boolean\nage: number\n";
    assert_null(doc_of(&a, code, "age:", NULL));
    assert_string_equal(doc_of(&a, code, "x:", "age:"), "far");
    /* a declaration that does not start its line takes no comment from above */
    static const char mid[] = "# above\nprofile age: number # after\n";
    assert_string_equal(doc_of(&a, mid, "age:", NULL), "after");
    /* the next declaration on a following line is a boundary even when indented alike */
    static const char next[] = "a: boolean\n  b: boolean # b's\n";
    assert_null(doc_of(&a, next, "a:", "b:"));
    /* empty comments add nothing; CR before LF is white space */
    static const char crlf[] = "  #\r\n  # doc\r\n  a: boolean #  \r\n";
    assert_string_equal(doc_of(&a, crlf, "a:", NULL), "doc");
    /* at the very start and the very end of the text */
    static const char edge[] = "a: boolean # e";
    assert_string_equal(doc_of(&a, edge, "a:", NULL), "e");
    arena_free(&a);
}

static void test_doc_oom(void **state)
{
    (void)state;
    fail_state fs = {0, -1, false, 0};
    mem m = {fail_realloc, &fs};
    static const char t[] = "# one\n# two\na: boolean # three\n";
    for (long n = 0;; n++) {
        fs.calls = 0;
        fs.fail_at = n;
        fs.failed = false;
        arena a;
        arena_init(&a, &m);
        const char *out = NULL;
        bool ok = doc_comment(&a, t, strlen(t), (size_t)(strstr(t, "a:") - t), SIZE_MAX, &out);
        arena_free(&a);
        assert_int_equal(fs.live, 0);
        if (!fs.failed) {
            assert_true(ok);
            break;
        }
        assert_false(ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_leading_and_trailing),
        cmocka_unit_test(test_doc_what_ends_it),
        cmocka_unit_test(test_doc_oom),
    };
    return cmocka_run_group_tests_name("doc", tests, NULL, NULL);
}
