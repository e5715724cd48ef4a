/* SPDX-License-Identifier: MIT */
/* Unit tests for arena.c: bump arenas, growable vectors and the sized-header allocations
 * that yajl and flex use. Every block goes through cmocka's leak-checking allocator. */
#include "helpers.h"

#include "arena.h"

/* Live block count, to see what the arena keeps. */
static long live_blocks;

static void *counting_realloc(void *ud, void *p, size_t old, size_t n)
{
    if (!p && n)
        live_blocks++;
    if (p && !n)
        live_blocks--;
    return cm_realloc(ud, p, old, n);
}

static mem test_mem(void)
{
    mem m = {cm_realloc, NULL};
    return m;
}

static void test_arena_alloc_zeroed_and_aligned(void **state)
{
    (void)state;
    mem m = test_mem();
    arena a;
    arena_init(&a, &m);
    for (size_t n = 1; n < 200; n += 7) {
        unsigned char *p = arena_alloc(&a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xAB, n);
    }
    /* zero bytes still gives a distinct, usable pointer */
    void *z1 = arena_alloc(&a, 0), *z2 = arena_alloc(&a, 0);
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
    arena_free(&a);
    assert_null(a.head);
}

static void test_arena_large_request_gets_own_block(void **state)
{
    (void)state;
    mem m = test_mem();
    arena a;
    arena_init(&a, &m);
    char *small = arena_alloc(&a, 32);
    assert_non_null(small);
    strcpy(small, "kept");
    size_t used = a.used;
    /* bigger than a quarter block while the head has room: goes behind the head */
    unsigned char *big = arena_alloc(&a, 100000);
    assert_non_null(big);
    big[99999] = 1;
    assert_int_equal(a.used, used); /* the head's free space is not wasted */
    char *after = arena_alloc(&a, 16);
    assert_ptr_equal(after, small + 32);
    assert_string_equal(small, "kept");
    arena_free(&a);
}

static void test_arena_strndup_copies_and_terminates(void **state)
{
    (void)state;
    mem m = test_mem();
    arena a;
    arena_init(&a, &m);
    char *s = arena_strndup(&a, "magnesium glycinate", 9);
    assert_string_equal(s, "magnesium");
    char *e = arena_strndup(&a, NULL, 0);
    assert_string_equal(e, "");
    char *t = arena_strdup(&a, "oxide");
    assert_string_equal(t, "oxide");
    arena_free(&a);
}

static void test_arena_reset_keeps_one_block(void **state)
{
    (void)state;
    mem m = {counting_realloc, NULL};
    live_blocks = 0;
    arena a;
    arena_init(&a, &m);
    for (int i = 0; i < 10; i++)
        assert_non_null(arena_alloc(&a, 10000)); /* several blocks */
    assert_true(live_blocks > 1);
    arena_reset(&a);
    assert_non_null(a.head);
    assert_int_equal(live_blocks, 1);
    assert_int_equal(a.used, 0);
    assert_non_null(arena_alloc(&a, 64));
    arena_reset(&a);
    arena_free(&a);
    assert_int_equal(live_blocks, 0);
    /* reset of an empty arena is harmless */
    arena_reset(&a);
    assert_null(a.head);
}

static void test_arena_vec_push_grows_and_keeps_items(void **state)
{
    (void)state;
    mem m = test_mem();
    arena a;
    arena_init(&a, &m);
    vec v = {0};
    for (int i = 0; i < 1000; i++) {
        int *slot = vec_push(&a, &v, sizeof *slot);
        assert_non_null(slot);
        assert_int_equal(*slot, 0);
        *slot = i * 3;
    }
    assert_int_equal(v.len, 1000);
    assert_true(v.cap >= 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(((int *)v.data)[i], i * 3);
    arena_free(&a);
}

static void test_arena_oom_returns_null(void **state)
{
    (void)state;
    fail_state fs = {0, 0, false, 0};
    mem m = {fail_realloc, &fs};
    arena a;
    arena_init(&a, &m);
    assert_null(arena_alloc(&a, 10));
    assert_true(fs.failed);
    assert_null(a.head);
    assert_non_null(arena_alloc(&a, 10)); /* fails once only */
    vec v = {0};
    fs.fail_at = fs.calls;
    for (int i = 0; i < 8; i++) /* fits in the first block */
        assert_non_null(vec_push(&a, &v, 8));
    /* a block-sized vector needs a new block, which fails */
    vec big = {0};
    assert_null(vec_push(&a, &big, 20000));
    assert_int_equal(big.len, 0);
    arena_free(&a);
}

static void test_arena_sized_header_roundtrip(void **state)
{
    (void)state;
    mem m = test_mem();
    char *p = mem_halloc(&m, 10);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    memcpy(p, "0123456789", 10);
    p = mem_hrealloc(&m, p, 5000);
    assert_non_null(p);
    assert_memory_equal(p, "0123456789", 10);
    p = mem_hrealloc(&m, p, 3);
    assert_memory_equal(p, "012", 3);
    mem_hfree(&m, p);
    mem_hfree(&m, NULL);
    char *q = mem_hrealloc(&m, NULL, 8); /* NULL behaves as halloc */
    assert_non_null(q);
    mem_hfree(&m, q);
    assert_null(mem_halloc(&m, SIZE_MAX - 4));
}

static void test_arena_mem_zero_size_is_null(void **state)
{
    (void)state;
    mem m = test_mem();
    assert_null(mem_alloc(&m, 0));
    mem_free(&m, NULL, 0);
    void *p = mem_alloc(&m, 1);
    assert_non_null(p);
    mem_free(&m, p, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alloc_zeroed_and_aligned),
        cmocka_unit_test(test_arena_large_request_gets_own_block),
        cmocka_unit_test(test_arena_strndup_copies_and_terminates),
        cmocka_unit_test(test_arena_reset_keeps_one_block),
        cmocka_unit_test(test_arena_vec_push_grows_and_keeps_items),
        cmocka_unit_test(test_arena_oom_returns_null),
        cmocka_unit_test(test_arena_sized_header_roundtrip),
        cmocka_unit_test(test_arena_mem_zero_size_is_null),
    };
    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
