/* SPDX-License-Identifier: MIT */
/* Unit tests for names.c: the version and the names of the public values. */
#include "helpers.h"

static void test_names_version_matches_header(void **state)
{
    (void)state;
    assert_string_equal(mga_version(), MGA_VERSION);
    assert_int_equal(mga_version_number(), MGA_VERSION_NUMBER);
    unsigned maj = 0, min = 0, pat = 0;
    assert_int_equal(sscanf(MGA_VERSION, "%u.%u.%u", &maj, &min, &pat), 3);
    assert_int_equal(MGA_VERSION_NUMBER, (int)(maj * 1000000 + min * 1000 + pat));
}

static void test_names_every_value_named(void **state)
{
    (void)state;
    assert_string_equal(mga_status_str(MGA_E_MISUSE), "library misuse");
    assert_string_equal(mga_status_str(MGA_E_INVALID), "invalid value");
    assert_string_equal(mga_status_str((mga_status)99), "unknown status");
    static const char *const kinds[] = {"avoid", "prefer", "dose",         "refer",
                                        "info",  "warn",   "disagreement", "withhold"};
    for (int k = MGA_KIND_AVOID; k <= MGA_KIND_WITHHOLD; k++)
        assert_string_equal(mga_kind_str((mga_kind)k), kinds[k]);
    assert_string_equal(mga_severity_str(MGA_CRITICAL), "critical");
    assert_string_equal(mga_decision_str(MGA_DECISION_ASK_DOCTOR_FIRST), "ask_doctor_first");
    assert_string_equal(mga_group_str(MGA_GROUP_BACKGROUND), "background");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_version_matches_header),
        cmocka_unit_test(test_names_every_value_named),
    };
    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
