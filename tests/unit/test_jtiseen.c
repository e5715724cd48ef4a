/* SPDX-License-Identifier: MIT */
/* Unit tests for cli/jtiseen.c, the JWT ids `mgadvise serve --auth` has accepted: a replay
 * is refused while its token lives, however many tokens came between; an id is new again
 * once its token expired; ids are per issuer; a full set says so, and makes room as tokens
 * expire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>

#include "jtiseen.h"

#define SKEW 60

static void test_replay_within_lifetime(void **state)
{
    (void)state;
    jti_seen *s = jti_seen_new(1u << 20);
    assert_non_null(s);
    assert_int_equal(jti_seen_add(s, "https://ehr", "a", 1300, 1000, SKEW), JTI_NEW);
    assert_int_equal(jti_seen_add(s, "https://ehr", "a", 1300, 1001, SKEW), JTI_REPLAY);
    /* the same id from another issuer is another token */
    assert_int_equal(jti_seen_add(s, "https://other", "a", 1300, 1001, SKEW), JTI_NEW);
    /* 100,000 tokens later, the first is still refused */
    char id[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "t%d", i);
        assert_int_equal(jti_seen_add(s, "https://ehr", id, 1300, 1002, SKEW), JTI_NEW);
    }
    assert_int_equal(jti_seen_add(s, "https://ehr", "a", 1300, 1003, SKEW), JTI_REPLAY);
    assert_int_equal(jti_seen_add(s, "https://ehr", "t99999", 1300, 1003, SKEW), JTI_REPLAY);
    /* after expiry (and the skew), an id is new again */
    assert_int_equal(jti_seen_add(s, "https://ehr", "a", 1300, 1300 + SKEW, SKEW), JTI_REPLAY);
    assert_int_equal(jti_seen_add(s, "https://ehr", "a", 2000, 1301 + SKEW, SKEW), JTI_NEW);
    assert_int_equal(jti_seen_add(s, "https://ehr", "a", 2000, 1302 + SKEW, SKEW), JTI_REPLAY);
    jti_seen_free(s);
}

static void test_full_then_room_as_tokens_expire(void **state)
{
    (void)state;
    jti_seen *s = jti_seen_new(16);
    assert_non_null(s);
    char id[32];
    int added = 0;
    jti_outcome o = JTI_NEW;
    for (int i = 0; i < 1000 && o == JTI_NEW; i++) {
        snprintf(id, sizeof id, "live%d", i);
        o = jti_seen_add(s, "iss", id, 5000, 1000, SKEW);
        added += o == JTI_NEW;
    }
    assert_int_equal(o, JTI_FULL); /* every id still lives: no room */
    assert_true(added >= 16 && added <= 64);
    /* a replay is still a replay when full */
    assert_int_equal(jti_seen_add(s, "iss", "live0", 5000, 1001, SKEW), JTI_REPLAY);
    /* once those tokens expired, their ids make room */
    assert_int_equal(jti_seen_add(s, "iss", "later", 9000, 5000 + SKEW + 1, SKEW), JTI_NEW);
    assert_true(jti_seen_count(s) <= 2);
    jti_seen_free(s);
    jti_seen_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_within_lifetime),
        cmocka_unit_test(test_full_then_room_as_tokens_expire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
