/* SPDX-License-Identifier: MIT */
/* Unit tests for fhir.c and fhirbind.c: FHIR R4 resources read through a rule set's
 * bindings into the profile the JSON path builds; active/inactive filtering, the latest
 * observation, unit conversion, the reader's warnings in the result, every shipped
 * binding, the binding checks, and the errors with their JSON paths. */
#include "helpers.h"

#define DATE "2026-06-01"

/* A small schema with one binding of each kind. */
static const char *const test_rules =
    "profile\n"
    "  medications: set of diuretics, antibiotics\n"
    "end\n"
    "fhir\n"
    "  age: from Patient.birthDate\n"
    "  sex: from Patient.gender\n"
    "  female: gender \"female\" \"Female\"\n"
    "  male: gender \"male\" \"Male\"\n"
    "  conditions: from Condition\n"
    "  kidney_disease: snomed \"709044004\" \"Chronic kidney disease\",\n"
    "    icd10cm \"N18.30\" \"Chronic kidney disease, stage 3 unspecified\"\n"
    "  ibs: snomed \"10743008\" \"Irritable bowel syndrome\"\n"
    "  medications: from MedicationRequest, MedicationStatement\n"
    "  diuretics: atc \"C03\" \"DIURETICS\"\n"
    "  antibiotics: rxnorm \"723\" \"amoxicillin\"\n"
    "  pregnant: from Condition\n"
    "  true: snomed \"77386006\" \"Patient currently pregnant\"\n"
    "  pregnant: from Observation loinc \"82810-3\" \"Pregnancy status\"\n"
    "  true: loinc \"LA15173-0\" \"Pregnant\"\n"
    "  false: loinc \"LA26683-5\" \"Not pregnant\"\n"
    "  vitamin_d_level: from Observation loinc \"1989-3\" \"25-hydroxyvitamin D3\"\n"
    "  score: from Observation loinc \"0000-0\" \"a count\"\n"
    "end\n"
    "rule r when age is known then inform say \"x\" cite src end\n";

/* The profile JSON json maps to (a malloc'd string), or NULL with *st and *d set. */
static char *mapped(const mga_ruleset *rs, const char *json, const char *date, mga_status *st,
                    mga_diags **d)
{
    tbuf b = TBUF_INIT;
    *st = mga_fhir_write_profile(rs, "b.json", json, strlen(json), date, tbuf_write, &b, d);
    if (*st != MGA_OK) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static void expect_map(const mga_ruleset *rs, const char *json, const char *want)
{
    mga_status st;
    mga_diags *d = NULL;
    char *got = mapped(rs, json, DATE, &st, &d);
    if (st != MGA_OK) {
        char *s = render_diags(d);
        print_error("%s\n%s", json, s);
        free(s);
    }
    assert_int_equal(st, MGA_OK);
    assert_string_equal(got, want);
    free(got);
    mga_diags_free(d);
}

static void expect_error(const mga_ruleset *rs, const char *json, const char *date,
                         unsigned code, const char *path, const char *msg)
{
    mga_status st;
    mga_diags *d = NULL;
    char *got = mapped(rs, json, date, &st, &d);
    if (st != MGA_E_PROFILE)
        print_error("%s\nmapped to %s\n", json, got ? got : "(nothing)");
    assert_int_equal(st, MGA_E_PROFILE);
    assert_null(got);
    const mga_diag *dg = expect_diag(d, code, msg);
    if (path)
        assert_string_equal(dg->path, path);
    assert_string_equal(dg->file, "b.json");
    mga_diags_free(d);
}

static mga_ruleset *test_set(mga_engine *eng)
{
    return compile_ok(eng, test_rules, NULL);
}

#define ACTIVE                                                                                 \
    "\"clinicalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"    \
    "condition-clinical\",\"code\":\"active\"}]}"
#define BUNDLE(entries) "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[" entries "]}"
#define RES(r) "{\"resource\":" r "}"

static void test_fhir_patient_age_and_sex(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = test_set(eng);
    /* the day before the birthday, the birthday, and gender other/unknown */
    expect_map(rs, "[{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1980-06-02\"}]",
               "{\"age\":45,\"sex\":\"female\"}\n");
    expect_map(rs, "[{\"resourceType\":\"Patient\",\"gender\":\"male\",\"birthDate\":\"1980-06-01\"}]",
               "{\"age\":46,\"sex\":\"male\"}\n");
    expect_map(rs, "[{\"resourceType\":\"Patient\",\"gender\":\"other\",\"birthDate\":\"2026-06-01\"}]",
               "{\"age\":0}\n");
    expect_map(rs, "[{\"resourceType\":\"Patient\",\"gender\":\"unknown\",\"birthDate\":\"2000-02-29\"}]",
               "{\"age\":26}\n");
    /* a byte-order mark before the JSON is skipped, as the profile reader skips it */
    expect_map(rs, "\xEF\xBB\xBF[{\"resourceType\":\"Patient\",\"gender\":\"male\",\"birthDate\":\"1980-06-01\"}]",
               "{\"age\":46,\"sex\":\"male\"}\n");
    /* a partial birth date: no age, a warning */
    mga_status st;
    mga_diags *d = NULL;
    char *got = mapped(rs, "[{\"resourceType\":\"Patient\",\"gender\":\"male\",\"birthDate\":\"1980-05\"}]",
                       DATE, &st, &d);
    assert_int_equal(st, MGA_OK);
    assert_string_equal(got, "{\"sex\":\"male\"}\n");
    expect_diag(d, 5030, "$[0].birthDate: birth date '1980-05' gives no exact age on 2026-06-01: age left missing");
    free(got);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The FHIR reader's warning is kept in the profile: every result evaluated from it carries
 * it, with its FHIR path, as it carries the profile reader's own warnings. */
static void test_fhir_warnings_in_result(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = test_set(eng);
    const char *partial = BUNDLE(
        RES("{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1980\"}"));
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_from_fhir(rs, "b.json", partial, strlen(partial), DATE, &p, &d),
                     MGA_OK);
    /* the caller's diagnostics still hold it, for stderr */
    expect_diag(d, 5030, "$.entry[0].resource.birthDate: birth date '1980' gives no exact age "
                         "on 2026-06-01: age left missing");
    mga_diags_free(d);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    static const char want_json[] =
        "\"warnings\":[{\"code\":\"W5030\",\"path\":\"$.entry[0].resource.birthDate\","
        "\"message\":\"$.entry[0].resource.birthDate: birth date '1980' gives no exact age on "
        "2026-06-01: age left missing\",\"note\":null}]";
    static const mga_format fmts[] = {MGA_FORMAT_JSON, MGA_FORMAT_JSON_LEAN};
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        char *js = result_string(r, fmts[i]);
        assert_contains(js, want_json);
        free(js);
    }
    char *txt = result_string(r, MGA_FORMAT_TEXT);
    assert_contains(txt, "Profile warnings (these parts of the input were not used):\n"
                         "  W5030 $.entry[0].resource.birthDate: birth date '1980' gives no "
                         "exact age on 2026-06-01: age left missing\n");
    free(txt);
    mga_result_free(r);
    mga_profile_free(p);
    /* a full birth date: no warning, no "warnings" member */
    const char *full = BUNDLE(
        RES("{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\"}"));
    assert_int_equal(mga_profile_from_fhir(rs, "b.json", full, strlen(full), DATE, &p, &d), MGA_OK);
    assert_null(d);
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    char *js = result_string(r, MGA_FORMAT_JSON);
    assert_null(strstr(js, "\"warnings\""));
    free(js);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_fhir_condition_status_filtering(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = test_set(eng);
    const char *ckd = "\"code\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\","
                      "\"code\":\"N18.30\"}]}";
    char buf[2048];
    static const struct {
        const char *status, *verification, *want;
    } cases[] = {
        {"active", NULL, "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"recurrence", "confirmed", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"relapse", "provisional", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"inactive", NULL, "{\"conditions\":[]}\n"},
        {"remission", NULL, "{\"conditions\":[]}\n"},
        {"resolved", NULL, "{\"conditions\":[]}\n"},
        {"active", "refuted", "{\"conditions\":[]}\n"},
        {"active", "entered-in-error", "{\"conditions\":[]}\n"},
        {NULL, NULL, "{\"conditions\":[]}\n"}, /* no clinicalStatus: not known to be active */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cs[256] = "", vs[256] = "";
        if (cases[i].status)
            snprintf(cs, sizeof cs, "\"clinicalStatus\":{\"coding\":[{\"code\":\"%s\"}]},",
                     cases[i].status);
        if (cases[i].verification)
            snprintf(vs, sizeof vs, "\"verificationStatus\":{\"coding\":[{\"code\":\"%s\"}]},",
                     cases[i].verification);
        snprintf(buf, sizeof buf, "[{\"resourceType\":\"Condition\",%s%s%s}]", cs, vs, ckd);
        expect_map(rs, buf, cases[i].want);
    }
    /* several codings, an unbound code, and a condition that makes a boolean true */
    expect_map(rs,
               BUNDLE(RES("{\"resourceType\":\"Condition\"," ACTIVE ",\"code\":{\"coding\":["
                          "{\"system\":\"http://snomed.info/sct\",\"code\":\"10743008\"},"
                          "{\"system\":\"http://snomed.info/sct\",\"code\":\"1234\"}]}}") ","
                      RES("{\"resourceType\":\"Condition\"," ACTIVE ",\"code\":{\"coding\":["
                          "{\"system\":\"http://snomed.info/sct\",\"code\":\"709044004\"}]}}") ","
                      RES("{\"resourceType\":\"Condition\"," ACTIVE ",\"code\":{\"coding\":["
                          "{\"system\":\"http://snomed.info/sct\",\"code\":\"77386006\"}]}}")),
               "{\"conditions\":[\"kidney_disease\",\"ibs\"],\"pregnant\":true}\n");
    /* a code of another system does not match */
    expect_map(rs,
               "[{\"resourceType\":\"Condition\"," ACTIVE ",\"code\":{\"coding\":["
               "{\"system\":\"http://hl7.org/fhir/sid/icd-10\",\"code\":\"N18.30\"}]}}]",
               "{\"conditions\":[]}\n");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_fhir_medications(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = test_set(eng);
    /* ATC classes match the codes beneath them; RxNorm matches exactly; only active */
    expect_map(rs,
               "[{\"resourceType\":\"MedicationRequest\",\"status\":\"active\","
               "\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.whocc.no/atc\","
               "\"code\":\"C03CA01\"}]}},"
               "{\"resourceType\":\"MedicationStatement\",\"status\":\"active\","
               "\"medicationCodeableConcept\":{\"coding\":[{\"system\":"
               "\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"723\"}]}}]",
               "{\"medications\":[\"diuretics\",\"antibiotics\"]}\n");
    static const char *const inactive[] = {"completed", "stopped", "on-hold", "cancelled",
                                           "entered-in-error", "draft", "intended"};
    for (size_t i = 0; i < sizeof inactive / sizeof inactive[0]; i++) {
        char buf[512];
        snprintf(buf, sizeof buf,
                 "[{\"resourceType\":\"MedicationRequest\",\"status\":\"%s\","
                 "\"medicationCodeableConcept\":{\"coding\":[{\"system\":"
                 "\"http://www.whocc.no/atc\",\"code\":\"C03CA01\"}]}}]",
                 inactive[i]);
        expect_map(rs, buf, "{\"medications\":[]}\n");
    }
    /* by reference: to a Medication of the input by id or fullUrl, or to a contained one;
     * a reference to nothing gives nothing */
    expect_map(rs,
               BUNDLE("{\"fullUrl\":\"urn:uuid:a\",\"resource\":{\"resourceType\":\"Medication\","
                      "\"id\":\"m1\",\"code\":{\"coding\":[{\"system\":\"http://www.whocc.no/atc\","
                      "\"code\":\"C03AA03\"}]}}},"
                      RES("{\"resourceType\":\"MedicationRequest\",\"status\":\"active\","
                          "\"medicationReference\":{\"reference\":\"Medication/m1\"}}")),
               "{\"medications\":[\"diuretics\"]}\n");
    expect_map(rs,
               BUNDLE(RES("{\"resourceType\":\"MedicationStatement\",\"status\":\"active\","
                          "\"medicationReference\":{\"reference\":\"urn:uuid:b\"}}") ","
                      "{\"fullUrl\":\"urn:uuid:b\",\"resource\":{\"resourceType\":\"Medication\","
                      "\"code\":{\"coding\":[{\"system\":"
                      "\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"723\"}]}}}"),
               "{\"medications\":[\"antibiotics\"]}\n");
    expect_map(rs,
               "[{\"resourceType\":\"MedicationRequest\",\"status\":\"active\","
               "\"medicationReference\":{\"reference\":\"#c\"},\"contained\":[{\"resourceType\":"
               "\"Medication\",\"id\":\"c\",\"code\":{\"coding\":[{\"system\":"
               "\"http://www.whocc.no/atc\",\"code\":\"C03CA01\"}]}}]},"
               "{\"resourceType\":\"MedicationRequest\",\"status\":\"active\","
               "\"medicationReference\":{\"reference\":\"Medication/none\"}}]",
               "{\"medications\":[\"diuretics\"]}\n");
    expect_error(rs,
                 "[{\"resourceType\":\"Medication\",\"id\":\"m\",\"code\":{\"coding\":\"x\"}},"
                 "{\"resourceType\":\"MedicationRequest\",\"status\":\"active\","
                 "\"medicationReference\":{\"reference\":\"Medication/m\"}}]",
                 DATE, 4033, "$[0].code.coding", NULL);
    /* an RxNorm code is not a prefix match; C0 is not within C03 */
    expect_map(rs,
               "[{\"resourceType\":\"MedicationRequest\",\"status\":\"active\","
               "\"medicationCodeableConcept\":{\"coding\":[{\"system\":"
               "\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"7230\"},"
               "{\"system\":\"http://www.whocc.no/atc\",\"code\":\"C0\"}]}}]",
               "{\"medications\":[]}\n");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

#define OBS(code, when, value)                                                                 \
    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":" \
    "\"http://loinc.org\",\"code\":\"" code "\"}]}," when "," value "}"

static void test_fhir_latest_observation_and_units(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = test_set(eng);
    const char *q20 = "\"valueQuantity\":{\"value\":20,\"unit\":\"ng/mL\",\"system\":"
                      "\"http://unitsofmeasure.org\",\"code\":\"ng/mL\"}";
    const char *q75 = "\"valueQuantity\":{\"value\":75.5,\"unit\":\"nmol/L\",\"system\":"
                      "\"http://unitsofmeasure.org\",\"code\":\"nmol/L\"}";
    char buf[2048];
    /* the latest wins, whatever the order; time zones are taken into account */
    snprintf(buf, sizeof buf, "[" OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01\"", "%s") ","
             OBS("1989-3", "\"effectiveDateTime\":\"2025-12-31T23:00:00-02:00\"", "%s") "]",
             q20, q75);
    expect_map(rs, buf, "{\"vitamin_d_level\":{\"value\":75.5,\"unit\":\"nmol/L\"}}\n");
    snprintf(buf, sizeof buf, "[" OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01T00:30:00+01:00\"", "%s") ","
             OBS("1989-3", "\"effectiveInstant\":\"2025-12-31T23:40:00Z\"", "%s") "]",
             q75, q20);
    expect_map(rs, buf, "{\"vitamin_d_level\":20}\n");
    /* a period counts by its end; an undated one loses to a dated one */
    snprintf(buf, sizeof buf, "[" OBS("1989-3", "\"effectivePeriod\":{\"start\":\"2024-01-01\",\"end\":\"2026-03-01\"}", "%s") ","
             OBS("1989-3", "\"issued\":\"2026-05-01T00:00:00Z\"", "%s") ","
             OBS("1989-3", "\"effectiveDateTime\":\"2026-02-01\"", "%s") "]",
             q75, q20, q20);
    expect_map(rs, buf, "{\"vitamin_d_level\":{\"value\":75.5,\"unit\":\"nmol/L\"}}\n");
    /* a preliminary or cancelled observation does not count */
    snprintf(buf, sizeof buf,
             "[{\"resourceType\":\"Observation\",\"status\":\"preliminary\",\"code\":{\"coding\":"
             "[{\"system\":\"http://loinc.org\",\"code\":\"1989-3\"}]},\"effectiveDateTime\":"
             "\"2026-05-01\",%s}," OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01\"", "%s") "]",
             q75, q20);
    expect_map(rs, buf, "{\"vitamin_d_level\":20}\n");
    /* a dimensionless field takes a quantity without unit or with '1' */
    expect_map(rs, "[" OBS("0000-0", "\"effectiveDateTime\":\"2026-01-01\"", "\"valueQuantity\":{\"value\":3}") "]",
               "{\"score\":3}\n");
    /* the pregnancy status: the latest answer decides, an unbound answer says nothing */
    expect_map(rs,
               "[" OBS("82810-3", "\"effectiveDateTime\":\"2026-01-01\"",
                       "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"http://loinc.org\","
                       "\"code\":\"LA15173-0\"}]}") ","
               OBS("82810-3", "\"effectiveDateTime\":\"2026-03-01\"",
                   "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"http://loinc.org\","
                   "\"code\":\"LA26683-5\"}]}") "]",
               "{\"pregnant\":false}\n");
    expect_map(rs,
               "[" OBS("82810-3", "\"effectiveDateTime\":\"2026-01-01\"",
                       "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"http://loinc.org\","
                       "\"code\":\"LA15173-0\"}]}") ","
               "{\"resourceType\":\"Patient\",\"gender\":\"female\"}]",
               "{\"sex\":\"female\",\"pregnant\":true}\n");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The profile from FHIR is the profile the JSON path builds: same advice. */
static void test_fhir_profile_equals_json_profile(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    assert_int_equal(mga_compile_builtin(eng, &rs, NULL), MGA_OK);
    const char *bundle =
        BUNDLE(RES("{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1960-01-15\"}") ","
               RES("{\"resourceType\":\"Condition\"," ACTIVE ",\"code\":{\"coding\":[{\"system\":"
                   "\"http://snomed.info/sct\",\"code\":\"433144002\"}]}}") ","
               RES("{\"resourceType\":\"MedicationStatement\",\"status\":\"active\","
                   "\"medicationCodeableConcept\":{\"coding\":[{\"system\":"
                   "\"http://www.whocc.no/atc\",\"code\":\"A02AA04\"}]}}"));
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_from_fhir(rs, "b.json", bundle, strlen(bundle), DATE, &p, &d),
                     MGA_OK);
    assert_null(d);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    char *from_fhir = result_string(r, MGA_FORMAT_JSON);
    char *from_json = eval_json(rs, "{\"age\":66,\"sex\":\"female\",\"conditions\":"
                                    "[\"kidney_disease\"],\"medications\":[\"antacids\"]}");
    assert_string_equal(from_fhir, from_json);
    assert_contains(from_fhir, "kidney");
    free(from_fhir);
    free(from_json);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Every shipped binding that a clinician relies on, code by code. */
static void test_fhir_shipped_bindings(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    assert_int_equal(mga_compile_builtin(eng, &rs, NULL), MGA_OK);
    static const struct {
        const char *res, *sys, *code, *want;
    } cases[] = {
        {"Condition", "http://snomed.info/sct", "709044004", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://snomed.info/sct", "431855005", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://snomed.info/sct", "431856006", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://snomed.info/sct", "433144002", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://snomed.info/sct", "431857002", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://snomed.info/sct", "433146000", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "N18.1", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "N18.31", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "N18.32", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "N18.6", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://snomed.info/sct", "700378005", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://snomed.info/sct", "700379002", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://snomed.info/sct", "46177005", "{\"conditions\":[\"kidney_disease\"]}\n"},
        /* ICD-10-CM classes: a code within the category (N18.3, as coded before 2020) */
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "N18.3", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "N18", "{\"conditions\":[\"kidney_disease\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "N180", "{\"conditions\":[]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "N1", "{\"conditions\":[]}\n"},
        {"Condition", "http://snomed.info/sct", "84114007", "{\"conditions\":[\"heart_failure\"]}\n"},
        {"Condition", "http://snomed.info/sct", "42343007", "{\"conditions\":[\"heart_failure\"]}\n"},
        {"Condition", "http://snomed.info/sct", "703272007", "{\"conditions\":[\"heart_failure\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "I50.9", "{\"conditions\":[\"heart_failure\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "I50.22", "{\"conditions\":[\"heart_failure\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "I50.814", "{\"conditions\":[\"heart_failure\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "E11.65", "{\"conditions\":[\"diabetes\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "K58.0", "{\"conditions\":[\"ibs\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "G43.709", "{\"conditions\":[\"migraine\"]}\n"},
        {"Condition", "http://snomed.info/sct", "44054006", "{\"conditions\":[\"diabetes\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "E10.9", "{\"conditions\":[\"diabetes\"]}\n"},
        {"Condition", "http://snomed.info/sct", "10743008", "{\"conditions\":[\"ibs\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "K59.00", "{\"conditions\":[\"constipation\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "G47.00", "{\"conditions\":[\"insomnia\"]}\n"},
        {"Condition", "http://snomed.info/sct", "37796009", "{\"conditions\":[\"migraine\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "I10", "{\"conditions\":[\"hypertension\"]}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "M54.2", "{\"conditions\":[\"neck_pain\"]}\n"},
        {"Condition", "http://snomed.info/sct", "77386006", "{\"conditions\":[],\"pregnant\":true}\n"},
        {"Condition", "http://hl7.org/fhir/sid/icd-10-cm", "Z33.1", "{\"conditions\":[],\"pregnant\":true}\n"},
        {"MedicationRequest", "http://www.whocc.no/atc", "C03AA03", "{\"medications\":[\"diuretics\"]}\n"},
        {"MedicationRequest", "http://www.nlm.nih.gov/research/umls/rxnorm", "4603", "{\"medications\":[\"diuretics\"]}\n"},
        {"MedicationRequest", "http://www.whocc.no/atc", "J01CA04", "{\"medications\":[\"antibiotics\"]}\n"},
        {"MedicationStatement", "http://www.whocc.no/atc", "A11CC05", "{\"medications\":[\"vitamin_d\"]}\n"},
        {"MedicationStatement", "http://www.whocc.no/atc", "A02AA04", "{\"medications\":[\"antacids\"]}\n"},
        {"MedicationStatement", "http://www.whocc.no/atc", "A06AD04", "{\"medications\":[\"laxatives\"]}\n"},
        {"MedicationStatement", "http://www.whocc.no/atc", "A06AD11", "{\"medications\":[]}\n"},
        {"MedicationStatement", "http://www.whocc.no/atc", "A06AD19", "{\"medications\":[\"laxatives\"]}\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[1024];
        bool cond = strcmp(cases[i].res, "Condition") == 0;
        snprintf(buf, sizeof buf, "[{\"resourceType\":\"%s\",%s,\"%s\":{\"coding\":[{\"system\":"
                 "\"%s\",\"code\":\"%s\"}]}}]",
                 cases[i].res, cond ? ACTIVE : "\"status\":\"active\"",
                 cond ? "code" : "medicationCodeableConcept", cases[i].sys, cases[i].code);
        expect_map(rs, buf, cases[i].want);
    }
    /* vitamin D by both LOINC codes, in either unit */
    expect_map(rs, "[" OBS("62292-8", "\"effectiveDateTime\":\"2026-01-01\"",
                           "\"valueQuantity\":{\"value\":50,\"code\":\"nmol/L\"}") "]",
               "{\"vitamin_d_level\":{\"value\":50,\"unit\":\"nmol/L\"}}\n");
    expect_map(rs, "[" OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01\"",
                           "\"valueQuantity\":{\"value\":12,\"unit\":\"ng/mL\"}") "]",
               "{\"vitamin_d_level\":12}\n");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_fhir_errors(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = test_set(eng);
    expect_error(rs, "{\"resourceType\":", DATE, 4001, "$", NULL);
    expect_error(rs, "", DATE, 4001, "$", NULL);
    expect_error(rs, "\"Bundle\"", DATE, 4031, "$",
                 "$: expected a FHIR Bundle or a JSON array of resources, found a string");
    expect_error(rs, "{\"resourceType\":\"Observation\"}", DATE, 4031, "$",
                 "$: expected a FHIR Bundle or a JSON array of resources, found a Observation resource");
    expect_error(rs, "{\"entry\":[]}", DATE, 4031, "$", NULL);
    expect_error(rs, "[{\"id\":\"x\"}]", DATE, 4032, "$[0]",
                 "$[0]: a resource needs a 'resourceType' string");
    expect_error(rs, "[3]", DATE, 4033, "$[0]", "$[0]: expected a resource (an object), found a number");
    expect_error(rs, BUNDLE("7"), DATE, 4033, "$.entry[0]", NULL);
    expect_error(rs, "{\"resourceType\":\"Bundle\",\"entry\":{}}", DATE, 4033, "$.entry",
                 "$.entry: expected an array, found an object");
    expect_error(rs, "[{\"resourceType\":\"Patient\",\"birthDate\":\"1980-02-30\"}]", DATE, 4034,
                 "$[0].birthDate", NULL);
    expect_error(rs, "[{\"resourceType\":\"Patient\",\"birthDate\":19800101}]", DATE, 4033,
                 "$[0].birthDate", "$[0].birthDate: expected a string, found a number");
    expect_error(rs, "[{\"resourceType\":\"Patient\",\"birthDate\":\"2027-01-01\"}]", DATE, 4038,
                 "$[0].birthDate", NULL);
    expect_error(rs, "[" OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01T25:00:00Z\"",
                             "\"valueQuantity\":{\"value\":1,\"code\":\"ng/mL\"}") "]",
                 DATE, 4034, "$[0].effectiveDateTime", NULL);
    expect_error(rs, "[" OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01T10:00:00\"",
                             "\"valueQuantity\":{\"value\":1,\"code\":\"ng/mL\"}") "]",
                 DATE, 4034, "$[0].effectiveDateTime", NULL); /* a time needs its zone */
    expect_error(rs, "[" OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01\"",
                             "\"valueQuantity\":{\"value\":1,\"code\":\"ug/L\"}") "]",
                 DATE, 4035, "$[0].valueQuantity.code",
                 "$[0].valueQuantity.code: unknown unit 'ug/L' for 'vitamin_d_level': expected nmol/L or ng/mL");
    expect_error(rs, "[" OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01\"",
                             "\"valueQuantity\":{\"value\":1}") "]",
                 DATE, 4035, NULL, NULL);
    expect_error(rs, "[" OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01\"",
                             "\"valueQuantity\":{\"value\":\"1\",\"code\":\"ng/mL\"}") "]",
                 DATE, 4033, "$[0].valueQuantity.value", NULL);
    expect_error(rs, "[" OBS("0000-0", "\"effectiveDateTime\":\"2026-01-01\"",
                             "\"valueQuantity\":{\"value\":1,\"code\":\"mg\"}") "]",
                 DATE, 4035, NULL, NULL);
    expect_error(rs, "[{\"resourceType\":\"Condition\",\"code\":{\"coding\":[7]}}]", DATE, 4033,
                 "$[0].code.coding[0]", NULL);
    expect_error(rs, "[]", DATE, 4036, "$", NULL);
    expect_error(rs, "[{\"resourceType\":\"Encounter\"},{\"resourceType\":\"Patient\"}]", DATE,
                 4036, "$", NULL);
    expect_error(rs, "[{\"resourceType\":\"Patient\",\"gender\":\"male\"}]", "2026-13-01", 4037,
                 NULL, "request date '2026-13-01' is not a date (YYYY-MM-DD)");
    expect_error(rs, "[{\"resourceType\":\"Patient\",\"gender\":\"male\"}]", "2026-1-01", 4037,
                 NULL, NULL);
    /* a long malformed value is cut in the message */
    char longdate[400];
    memset(longdate, 0, sizeof longdate);
    strcpy(longdate, "[{\"resourceType\":\"Patient\",\"birthDate\":\"");
    memset(longdate + strlen(longdate), '9', 200);
    strcat(longdate, "\"}]");
    {
        mga_status lst;
        mga_diags *ld = NULL;
        char *lg = mapped(rs, longdate, DATE, &lst, &ld);
        assert_int_equal(lst, MGA_E_PROFILE);
        assert_null(lg);
        const mga_diag *dg = expect_diag(ld, 4034, NULL);
        assert_contains(dg->message, "99999...' is not a FHIR date");
        assert_true(strlen(dg->message) < 200);
        mga_diags_free(ld);
    }
    char deep[200];
    memset(deep, '[', 70);
    memset(deep + 70, ']', 70);
    deep[140] = '\0';
    expect_error(rs, deep, DATE, 4039, NULL, NULL);
    /* a NUL inside the given length */
    mga_diags *d = NULL;
    assert_int_equal(mga_fhir_write_profile(rs, "b.json", "[\0]", 3, DATE, tbuf_write,
                                            &(tbuf)TBUF_INIT, &d),
                     MGA_E_PROFILE);
    expect_diag(d, 4001, "invalid JSON: a NUL byte in the text");
    mga_diags_free(d);
    /* a value out of its field's range is refused by both calls, at the resource's path */
    mga_profile *p = (mga_profile *)1;
    const char *old = "[{\"resourceType\":\"Patient\",\"birthDate\":\"1880-01-01\"}]";
    assert_int_equal(mga_profile_from_fhir(rs, "b.json", old, strlen(old), DATE, &p, &d),
                     MGA_E_PROFILE);
    assert_null(p);
    const mga_diag *rg = expect_diag(d, 4003, "$[0].birthDate: 146 years is outside the range "
                                              "0..130 years");
    assert_string_equal(rg->path, "$[0].birthDate");
    mga_diags_free(d);
    const char *hi = "[{\"resourceType\":\"Patient\",\"gender\":\"male\"},"
                     "{\"resourceType\":\"Observation\",\"status\":\"final\","
                     "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"1989-3\"}]},"
                     "\"effectiveDateTime\":\"2026-01-01\","
                     "\"valueQuantity\":{\"value\":9000,\"unit\":\"nmol/L\"}}]";
    for (int call = 0; call < 2; call++) {
        tbuf hb = TBUF_INIT;
        mga_status hst =
            call ? mga_fhir_write_profile(rs, "b.json", hi, strlen(hi), DATE, tbuf_write, &hb, &d)
                 : mga_profile_from_fhir(rs, "b.json", hi, strlen(hi), DATE, &p, &d);
        assert_int_equal(hst, MGA_E_PROFILE);
        rg = expect_diag(d, 4003, NULL);
        assert_string_equal(rg->path, "$[1].valueQuantity.value");
        assert_contains(rg->message, "9000 nmol/L is outside the range");
        mga_diags_free(d);
        free(hb.p);
    }
    /* a number no double holds, at its path */
    const char *huge = "[{\"resourceType\":\"Observation\",\"status\":\"final\","
                       "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"1989-3\"}]},"
                       "\"effectiveDateTime\":\"2026-01-01\","
                       "\"valueQuantity\":{\"value\":1e999,\"unit\":\"nmol/L\"}}]";
    assert_int_equal(mga_profile_from_fhir(rs, "b.json", huge, strlen(huge), DATE, &p, &d),
                     MGA_E_PROFILE);
    expect_diag(d, 4008, "$[0].valueQuantity.value: number '1e999' is out of range");
    mga_diags_free(d);
    /* misuse */
    assert_int_equal(mga_profile_from_fhir(NULL, "b", "[]", 2, DATE, &p, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_profile_from_fhir(rs, "b", "[]", 2, NULL, &p, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_profile_from_fhir(rs, "b", "[]", 2, DATE, NULL, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_profile_from_fhir(rs, "b", NULL, 2, DATE, &p, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_fhir_write_profile(rs, "b", "[]", 2, DATE, NULL, NULL, NULL),
                     MGA_E_MISUSE);
    /* a failing writer */
    tbuf fb = {NULL, 0, 0, 0, 0};
    const char *ok = "[{\"resourceType\":\"Patient\",\"gender\":\"male\"}]";
    assert_int_equal(mga_fhir_write_profile(rs, "b", ok, strlen(ok), DATE, tbuf_write, &fb, NULL),
                     MGA_E_WRITE);
    free(fb.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static const char *const bind_prelude = "profile\n"
                                        "  n: number\n"
                                        "end\n";

static void expect_bind_error(const char *fhir, unsigned code, const char *msg)
{
    mga_engine *eng = make_engine();
    char src[4096];
    snprintf(src, sizeof src, "%sfhir\n%send\n", bind_prelude, fhir);
    mga_diags *d = compile_errors(eng, src);
    expect_diag(d, code, msg);
    mga_diags_free(d);
    mga_engine_free(eng);
}

static void test_fhir_binding_checks(void **state)
{
    (void)state;
    expect_bind_error("  weight: from Observation loinc \"29463-7\" \"Body weight\"\n", 3002,
                      "unknown field 'weight'");
    expect_bind_error("  conditions: from Problem\n", 3081, NULL);
    expect_bind_error("  sex: from Patient.name\n", 3082, NULL);
    expect_bind_error("  sex: from Patient\n", 3082, NULL);
    expect_bind_error("  conditions: from Condition.code\n  ibs: snomed \"10743008\" \"IBS\"\n",
                      3082, NULL);
    expect_bind_error("  sex: from Patient.birthDate\n", 3083, NULL);
    expect_bind_error("  n: from Patient.gender\n", 3083, NULL);
    expect_bind_error("  id: from Condition\n", 3083, NULL);
    expect_bind_error("  n: from Condition\n", 3083, NULL);
    expect_bind_error("  n: from Observation loinc \"1-1\" \"x\"\n  true: loinc \"LA1-1\" \"y\"\n",
                      3083, NULL);
    expect_bind_error("  conditions: from Condition snomed \"10743008\" \"IBS\"\n", 3083, NULL);
    expect_bind_error("  conditions: from Condition\n  ibs: sct \"10743008\" \"IBS\"\n", 3084,
                      NULL);
    expect_bind_error("  conditions: from Condition\n  ibs: rxnorm \"723\" \"amoxicillin\"\n",
                      3085, "rxnorm codes are not read from Condition: expected snomed or icd10cm");
    expect_bind_error("  n: from Observation snomed \"1\" \"x\"\n", 3085, NULL);
    expect_bind_error("  conditions: from Condition\n  ibs: snomed \"1\" \"x\"\n"
                      "  kidney_disease: snomed \"1\" \"x\"\n",
                      3086, "snomed code '1' is bound to both 'ibs' and 'kidney_disease' of 'conditions'");
    expect_bind_error("  conditions: from Condition\n  ibs: snomed \"1\" \"x\", snomed \"1\" \"x\"\n",
                      3030, NULL);
    /* a code within a class bound to another value: the narrower code would give both */
    expect_bind_error("  conditions: from Condition\n  kidney_disease: icd10cm \"N18\" \"x\"\n"
                      "  ibs: icd10cm \"N18.3\" \"y\"\n",
                      3086, "icd10cm code 'N18.3' is bound to both 'kidney_disease' and 'ibs' of 'conditions'");
    expect_bind_error("  conditions: from Condition\n  kidney_disease: icd10cm \"N18.31\" \"x\"\n"
                      "  ibs: icd10cm \"N18.3\" \"y\"\n",
                      3086, "icd10cm code 'N18.31' is bound to both 'kidney_disease' and 'ibs' of 'conditions'");
    expect_bind_error("  conditions: from Condition\n  ibs: snomed \"1\" \"x\"\n"
                      "  conditions: from Condition\n  ibs: snomed \"2\" \"x\"\n",
                      3087, "'conditions' is already read from Condition");
    expect_bind_error("  conditions: from Condition, Observation\n", 3088, NULL);
    expect_bind_error("  n: from Observation\n", 3089, NULL);
    expect_bind_error("  conditions: from Condition\n", 3089, NULL);
    expect_bind_error("  ibs: snomed \"1\" \"x\"\n", 3080, NULL);
    expect_bind_error("  pregnant: from Condition\n  yes: snomed \"77386006\" \"x\"\n", 3003,
                      "'yes' is not a value of 'pregnant'");
    /* one value from two kinds of resource is fine */
    mga_engine *eng = make_engine();
    char src[2048];
    snprintf(src, sizeof src,
             "%sfhir\n  pregnant: from Condition\n  true: snomed \"77386006\" \"x\"\n"
             "  pregnant: from Observation loinc \"82810-3\" \"Pregnancy status\"\n"
             "  true: snomed \"77386006\" \"x\"\nend\n",
             bind_prelude);
    mga_ruleset *rs = compile_ok(eng, src, NULL);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A CDS Hooks request's prefetch read where it stands: each value a resource or a Bundle,
 * null skipped; medicationReference found in another key's Bundle; errors at the request's
 * path; W5031 for each resource that gives nothing, with why. */
static mga_status from_prefetch(const mga_ruleset *rs, const char *req, mga_profile **p,
                                mga_diags **d)
{
    return mga_profile_from_prefetch(rs, "req.json", req, strlen(req), DATE, p, d);
}

#define COND(code, display, status)                                                            \
    "{\"resourceType\":\"Condition\",\"clinicalStatus\":{\"coding\":[{\"code\":\"" status       \
    "\"}]},\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"" code        \
    "\",\"display\":\"" display "\"}]}}"

static void test_fhir_prefetch(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = test_set(eng);
    const char *req =
        "{\"hook\":\"patient-view\",\"context\":{\"patientId\":\"p\"},\"prefetch\":{"
        "\"patient\":{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":"
        "\"1980-05-03\"},"
        "\"conditions\":" BUNDLE(RES(COND("709044004", "CKD", "active")) ","
                                 RES(COND("10743008", "Irritable bowel", "inactive")) ","
                                 RES(COND("38341003", "High blood pressure", "active")) ","
                                 "{\"fullUrl\":\"x\"},5") ","
        "\"medicationRequests\":{\"resourceType\":\"MedicationRequest\",\"status\":\"active\","
        "\"medicationReference\":{\"reference\":\"Medication/m1\"}},"
        "\"meds\":" BUNDLE(RES("{\"resourceType\":\"Medication\",\"id\":\"m1\",\"code\":{"
                               "\"coding\":[{\"system\":\"http://www.whocc.no/atc\",\"code\":"
                               "\"C03CA01\"}]}}")) ","
        "\"allergies\":{\"resourceType\":\"AllergyIntolerance\",\"code\":{\"text\":\"*nuts*\"}},"
        "\"observations\":null,\"odd\":[1]}}";
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(from_prefetch(rs, req, &p, &d), MGA_OK);
    assert_non_null(p);
    assert_int_equal(mga_diags_error_count(d), 0);
    const mga_diag *w = expect_diag(
        d, 5031, "$.prefetch.conditions.entry[1].resource: Condition 'Irritable bowel' not used "
                 "for this advice: not active");
    assert_string_equal(w->path, "$.prefetch.conditions.entry[1].resource");
    expect_diag(d, 5031, "$.prefetch.conditions.entry[2].resource: Condition 'High blood "
                         "pressure' not used for this advice: no rule reads its code");
    expect_diag(d, 5031, "$.prefetch.allergies: AllergyIntolerance '*nuts*' not used for this "
                         "advice: no rule reads AllergyIntolerance resources");
    expect_diag(d, 5031, "$.prefetch.odd: an array not used for this advice: not a FHIR "
                         "resource or Bundle");
    assert_int_equal(mga_diags_count(d), 4); /* the CKD, the medicine and its Medication: used */
    /* the same resources as an array give the same advice */
    const char *arr =
        "[{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1980-05-03\"},"
        COND("709044004", "CKD", "active") "," COND("10743008", "Irritable bowel", "inactive") ","
        COND("38341003", "High blood pressure", "active") ","
        "{\"resourceType\":\"MedicationRequest\",\"status\":\"active\","
        "\"medicationReference\":{\"reference\":\"Medication/m1\"}},"
        "{\"resourceType\":\"Medication\",\"id\":\"m1\",\"code\":{\"coding\":[{\"system\":"
        "\"http://www.whocc.no/atc\",\"code\":\"C03CA01\"}]}}]";
    mga_status st;
    mga_diags *d2 = NULL;
    char *want = mapped(rs, arr, DATE, &st, &d2);
    assert_int_equal(st, MGA_OK);
    assert_string_equal(want, "{\"age\":46,\"sex\":\"female\",\"conditions\":[\"kidney_disease\"],"
                              "\"medications\":[\"diuretics\"]}\n");
    free(want);
    mga_diags_free(d2);
    mga_profile_free(p);
    mga_diags_free(d);

    /* errors, at the request's own JSON path */
    static const struct {
        const char *req, *path, *msg;
        unsigned code;
    } bad[] = {
        {"[1]", "$", "$: expected a CDS Hooks request (an object), found an array", 4033},
        {"{\"prefetch\":[]}", "$.prefetch", "$.prefetch: expected an object, found an array",
         4033},
        {"{\"hook\":\"patient-view\"}", "$", NULL, 4036},
        {"{\"prefetch\":{\"p\":{\"id\":\"x\"}}}", "$.prefetch.p",
         "$.prefetch.p: a resource needs a 'resourceType' string", 4032},
        {"{\"prefetch\":{\"o\":" BUNDLE(RES(OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01\"",
                                                "\"valueQuantity\":{\"value\":\"12\"}"))) "}}",
         "$.prefetch.o.entry[0].resource.valueQuantity.value",
         "$.prefetch.o.entry[0].resource.valueQuantity.value: expected a number, found a string",
         4033},
        {"{\"prefetch\":{\"x\":{\"resourceType\":\"AllergyIntolerance\"}}}", "$.prefetch", NULL,
         4036},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = NULL;
        d = NULL;
        assert_int_equal(from_prefetch(rs, bad[i].req, &p, &d), MGA_E_PROFILE);
        assert_null(p);
        const mga_diag *e = expect_diag(d, bad[i].code, bad[i].msg);
        assert_string_equal(e->path, bad[i].path);
        mga_diags_free(d);
    }
    assert_int_equal(mga_profile_from_prefetch(rs, NULL, NULL, 1, DATE, &p, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_profile_from_prefetch(rs, NULL, "{}", 2, NULL, &p, NULL), MGA_E_MISUSE);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A growing string for the writers' output. */
typedef struct text {
    char buf[8192];
    size_t len;
    int calls, fail;
} text;

static int text_write(void *ud, const char *p, size_t n)
{
    text *t = ud;
    t->calls++;
    if (t->fail || t->len + n >= sizeof t->buf)
        return -1;
    memcpy(t->buf + t->len, p, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return 0;
}

/* mga_profile_from_request: the profile mga_profile_from_prefetch gives, and the request
 * written once without the prefetch's resources (members as given, the prefetch's keys
 * with their values' outline); nothing written for text that does not parse. */
static void test_fhir_request(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    assert_int_equal(mga_compile_builtin(eng, &rs, NULL), MGA_OK);
    const char *req =
        "{\"hook\":\"patient-view\", \"hookInstance\":\"i\\u00e9\",\"context\":{\"patientId\":"
        "\"p1\",\"n\":1.50e3,\"ok\":[true,false,null]},\"prefetch\":{\"patient\":"
        "{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1980-02-03\"},"
        "\"conditions\":null,\"obs\":" BUNDLE(RES(OBS("1989-3",
                                                     "\"effectiveDateTime\":\"2026-01-01\"",
                                                     "\"valueQuantity\":{\"value\":12,"
                                                     "\"unit\":\"ng/mL\"}"))) ","
        "\"x\":[1],\"y\":\"s\"}}";
    text t = {.len = 0};
    mga_profile *p = NULL, *q = NULL;
    mga_diags *d = NULL, *e = NULL;
    assert_int_equal(mga_profile_from_request(rs, "req", req, strlen(req), DATE, &p,
                                              text_write, &t, &d),
                     MGA_OK);
    assert_int_equal(t.calls, 1);
    assert_string_equal(t.buf, "{\"hook\":\"patient-view\",\"hookInstance\":\"i\u00e9\","
                               "\"context\":{\"patientId\":\"p1\",\"n\":1.50e3,"
                               "\"ok\":[true,false,null]},\"prefetch\":{\"patient\":{},"
                               "\"conditions\":null,\"obs\":{},\"x\":[],\"y\":\"s\"}}\n");
    assert_int_equal(mga_profile_from_prefetch(rs, "req", req, strlen(req), DATE, &q, &e),
                     MGA_OK);
    /* the same profile: the same advice, the same warnings */
    mga_result *r1 = NULL, *r2 = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r1), MGA_OK);
    assert_int_equal(mga_evaluate(rs, q, &r2), MGA_OK);
    text a = {.len = 0}, b = {.len = 0};
    assert_int_equal(mga_result_write(r1, MGA_FORMAT_JSON_LEAN, text_write, &a), MGA_OK);
    assert_int_equal(mga_result_write(r2, MGA_FORMAT_JSON_LEAN, text_write, &b), MGA_OK);
    assert_string_equal(a.buf, b.buf);
    assert_int_equal(mga_diags_count(d), mga_diags_count(e));
    mga_result_free(r1);
    mga_result_free(r2);
    mga_profile_free(p);
    mga_profile_free(q);
    mga_diags_free(d);
    mga_diags_free(e);
    /* text that does not parse, or too deep: an error, nothing written */
    static const struct {
        const char *req;
        unsigned code;
    } bad[] = {{"{not json", 4001}, {"", 4001}, {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                                "[[[[[[[[[[[[[[[[[[[",
                                                4039}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t.calls = 0;
        p = NULL;
        d = NULL;
        assert_int_equal(mga_profile_from_request(rs, "req", bad[i].req, strlen(bad[i].req),
                                                  DATE, &p, text_write, &t, &d),
                         MGA_E_PROFILE);
        assert_null(p);
        assert_int_equal(t.calls, 0);
        expect_diag(d, bad[i].code, NULL);
        mga_diags_free(d);
    }
    /* not an object: its outline written, and the mapping's error */
    t.len = 0;
    d = NULL;
    assert_int_equal(mga_profile_from_request(rs, "req", "[1, {}]", 7, DATE, &p, text_write,
                                              &t, &d),
                     MGA_E_PROFILE);
    assert_string_equal(t.buf, "[]\n");
    mga_diags_free(d);
    /* the writer refuses: MGA_E_WRITE and no profile; NULL writer: misuse */
    t.fail = 1;
    d = NULL;
    assert_int_equal(mga_profile_from_request(rs, "req", req, strlen(req), DATE, &p, text_write,
                                              &t, &d),
                     MGA_E_WRITE);
    assert_null(p);
    assert_null(d);
    assert_int_equal(mga_profile_from_request(rs, "req", req, strlen(req), DATE, &p, NULL, NULL,
                                              &d),
                     MGA_E_MISUSE);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Every allocation failing in turn: MGA_E_NOMEM or MGA_OK, nothing leaked. */
static void test_fhir_out_of_memory(void **state)
{
    (void)state;
    const char *bundle =
        BUNDLE(RES("{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1980\"}") ","
               RES(OBS("1989-3", "\"effectiveDateTime\":\"2026-01-01\"",
                       "\"valueQuantity\":{\"value\":12,\"unit\":\"ng/mL\"}")));
    const char *req = "{\"prefetch\":{\"b\":" BUNDLE(RES(
        "{\"resourceType\":\"Patient\",\"gender\":\"female\",\"birthDate\":\"1980\"}") ","
        RES("{\"resourceType\":\"Encounter\"}")) "}}";
    for (long n = 0;; n++) {
        fail_state f2 = {0, -1, false, 0};
        mga_engine *e2 = fail_engine(&f2);
        mga_ruleset *r2 = NULL;
        assert_int_equal(mga_compile_builtin(e2, &r2, NULL), MGA_OK);
        f2.calls = 0;
        f2.fail_at = n;
        mga_profile *p = NULL;
        mga_diags *d = NULL;
        mga_status st = mga_profile_from_fhir(r2, "b.json", bundle, strlen(bundle), DATE, &p, &d);
        assert_true(st == MGA_OK || st == MGA_E_NOMEM);
        mga_profile_free(p);
        mga_diags_free(d);
        if (st == MGA_OK) { /* the prefetch reader, its W5031 warnings kept, on what is left */
            p = NULL;
            d = NULL;
            mga_status s2 = mga_profile_from_prefetch(r2, "r.json", req, strlen(req), DATE, &p, &d);
            assert_true(s2 == MGA_OK || s2 == MGA_E_NOMEM);
            mga_profile_free(p);
            mga_diags_free(d);
            st = s2;
        }
        if (st == MGA_OK) { /* the same, with the rest of the request written */
            p = NULL;
            d = NULL;
            text t = {.len = 0};
            mga_status s3 = mga_profile_from_request(r2, "r.json", req, strlen(req), DATE, &p,
                                                     text_write, &t, &d);
            assert_true(s3 == MGA_OK || s3 == MGA_E_NOMEM);
            assert_true(s3 == MGA_E_NOMEM || strcmp(t.buf, "{\"prefetch\":{\"b\":{}}}\n") == 0);
            mga_profile_free(p);
            mga_diags_free(d);
            st = s3;
        }
        mga_ruleset_free(r2);
        mga_engine_free(e2);
        if (st == MGA_OK && !f2.failed)
            break;
        assert_true(n < 10000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fhir_patient_age_and_sex),
        cmocka_unit_test(test_fhir_warnings_in_result),
        cmocka_unit_test(test_fhir_condition_status_filtering),
        cmocka_unit_test(test_fhir_medications),
        cmocka_unit_test(test_fhir_latest_observation_and_units),
        cmocka_unit_test(test_fhir_profile_equals_json_profile),
        cmocka_unit_test(test_fhir_shipped_bindings),
        cmocka_unit_test(test_fhir_errors),
        cmocka_unit_test(test_fhir_binding_checks),
        cmocka_unit_test(test_fhir_prefetch),
        cmocka_unit_test(test_fhir_request),
        cmocka_unit_test(test_fhir_out_of_memory),
    };
    return cmocka_run_group_tests_name("fhir", tests, NULL, NULL);
}
