/* SPDX-License-Identifier: MIT */
/* Unit tests for prefetch.c: the CDS Hooks prefetch templates written from a rule set's
 * FHIR bindings (mga_ruleset_write_prefetch). */
#include "helpers.h"

static char *prefetch_of(const mga_ruleset *rs)
{
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_ruleset_write_prefetch(rs, tbuf_write, &b), MGA_OK);
    return b.p;
}

static void test_prefetch_from_bindings(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 "profile\n"
                                 "  medications: set of diuretics\n"
                                 "end\n"
                                 "fhir\n"
                                 "  conditions: from Condition\n"
                                 "  kidney_disease: snomed \"709044004\" \"Chronic kidney disease\"\n"
                                 "  medications: from MedicationRequest\n"
                                 "  diuretics: atc \"C03\" \"DIURETICS\"\n"
                                 "  vitamin_d_level: from Observation loinc \"1989-3\" \"D3\",\n"
                                 "    loinc \"62292-8\" \"D2+D3\"\n"
                                 "end\n"
                                 "rule r when conditions has kidney_disease then inform say \"x\" "
                                 "cite src end\n",
                                 NULL);
    char *got = prefetch_of(rs);
    assert_string_equal(got, "{\"conditions\":\"Condition?patient={{context.patientId}}\","
                             "\"medicationRequests\":\"MedicationRequest?patient={{context."
                             "patientId}}\",\"observations\":\"Observation?patient={{context."
                             "patientId}}&code=http://loinc.org|1989-3,http://loinc.org|62292-8\""
                             "}\n");
    free(got);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_prefetch_builtin_and_empty(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    assert_int_equal(mga_compile_builtin(eng, &rs, NULL), MGA_OK);
    char *got = prefetch_of(rs);
    assert_non_null(strstr(got, "\"patient\":\"Patient/{{context.patientId}}\""));
    assert_non_null(strstr(got, "\"medicationStatements\":\"MedicationStatement?patient="));
    /* each bound observation code once */
    const char *obs = strstr(got, "\"observations\":\"Observation?patient={{context.patientId}}"
                                  "&code=");
    assert_non_null(obs);
    assert_non_null(strstr(obs, "http://loinc.org|82810-3"));
    assert_non_null(strstr(obs, "http://loinc.org|1989-3"));
    assert_null(strstr(strstr(obs, "|1989-3") + 1, "|1989-3,"));
    free(got);
    mga_ruleset_free(rs);
    rs = compile_ok(eng, "rule r when age >= 1 years then inform say \"x\" cite src end\n", NULL);
    got = prefetch_of(rs);
    assert_string_equal(got, "{}\n");
    free(got);
    assert_int_equal(mga_ruleset_write_prefetch(NULL, tbuf_write, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_ruleset_write_prefetch(rs, NULL, NULL), MGA_E_MISUSE);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefetch_from_bindings),
        cmocka_unit_test(test_prefetch_builtin_and_empty),
    };
    return cmocka_run_group_tests_name("prefetch", tests, NULL, NULL);
}
