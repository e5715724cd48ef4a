/* SPDX-License-Identifier: MIT */
/* Unit tests for eval.c (pass 6): three-valued logic, set/enum tests, unit conversion and
 * arithmetic on profile values, resolution (avoid beats prefer, doses) and advice order. */
#include "helpers.h"

#include "eval.h"
#include "genprofile.h"

/* The ids of the advice items for a profile, comma-separated (malloc'd). */
static char *fired(const mga_ruleset *rs, const char *json)
{
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_profile_parse(rs, "p.json", json, strlen(json), &p, &d);
    if (st != MGA_OK)
        print_error("profile %s: %s\n", json,
                    mga_diags_count(d) ? mga_diags_ref(d, 0)->message : "?");
    assert_int_equal(st, MGA_OK);
    mga_diags_free(d);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    char buf[1024] = "";
    size_t k = 0;
    for (size_t i = 0; i < mga_result_advice_count(r); i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? "," : "",
                              mga_result_advice_ref(r, i)->rule);
    mga_result_free(r);
    mga_profile_free(p);
    return strdup(buf);
}

#define assert_fired(rs, json, expected)                                                       \
    do {                                                                                       \
        char *got_ = fired((rs), (json));                                                      \
        if (strcmp(got_, (expected)) != 0)                                                     \
            print_error("profile %s fired '%s', expected '%s'\n", (json), got_, (expected));   \
        assert_string_equal(got_, (expected));                                                 \
        free(got_);                                                                            \
    } while (0)

#define R(id, when) "rule " id " when " when " then inform say \"" id "\" cite src end\n"

static void test_eval_missing_field_does_not_fire(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 R("old", "age >= 55 years") R("young", "age < 55 years")
                                     R("not_old", "not (age >= 55 years)")
                                         R("is_known", "age is known") R("is_missing", "age is missing"),
                                 NULL);
    assert_fired(rs, "{}", "is_missing");
    assert_fired(rs, "{\"age\": null}", "is_missing"); /* null means missing */
    assert_fired(rs, "{\"age\": 70}", "old,is_known");
    assert_fired(rs, "{\"age\": 30}", "young,not_old,is_known");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_kleene_and_or_not(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    /* a fact is unknown exactly when 'is missing' holds for it */
    mga_ruleset *rs = compile_ok(eng,
                                 "fact old when age > 50 years\n"
                                 "fact f_and when balanced_diet and old\n"
                                 "fact f_or when balanced_diet or old\n"
                                 "fact f_not when not old\n" R("and_true", "f_and")
                                     R("and_unknown", "f_and is missing")
                                         R("or_true", "f_or") R("or_unknown", "f_or is missing")
                                             R("not_unknown", "f_not is missing")
                                                 R("not_and", "not f_and"),
                                 NULL);
    /* false and unknown = false (known), so 'not' of it fires */
    assert_fired(rs, "{\"balanced_diet\": false}", "or_unknown,not_unknown,not_and");
    /* true and unknown = unknown; true or unknown = true */
    assert_fired(rs, "{\"balanced_diet\": true}", "and_unknown,or_true,not_unknown");
    /* everything known */
    assert_fired(rs, "{\"balanced_diet\": true, \"age\": 60}", "and_true,or_true");
    assert_fired(rs, "{\"balanced_diet\": false, \"age\": 20}", "not_and");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_sets_and_enums(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs =
        compile_ok(eng,
                   R("has_ibs", "conditions has ibs")
                       R("any_of", "symptoms has any of confusion, nausea")
                           R("all_of", "symptoms has all of confusion, nausea")
                               R("none_of", "symptoms has none of confusion, nausea")
                                   R("female", "sex is female")
                                       R("active", "activity is one of moderate, high")
                                           R("diet", "balanced_diet")
                                               R("not_diet", "balanced_diet is false"),
                   NULL);
    assert_fired(rs, "{}", "");
    assert_fired(rs, "{\"conditions\": [], \"symptoms\": []}", "none_of");
    assert_fired(rs, "{\"conditions\": [\"ibs\"], \"symptoms\": [\"nausea\"]}", "has_ibs,any_of");
    assert_fired(rs, "{\"symptoms\": [\"nausea\", \"confusion\", \"nausea\"]}", "any_of,all_of");
    assert_fired(rs, "{\"symptoms\": [\"fatigue\"]}", "none_of");
    assert_fired(rs, "{\"sex\": \"female\", \"activity\": \"high\"}", "female,active");
    assert_fired(rs, "{\"sex\": \"male\", \"activity\": \"low\"}", "");
    assert_fired(rs, "{\"balanced_diet\": true}", "diet");
    assert_fired(rs, "{\"balanced_diet\": false}", "not_diet");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_unit_conversion_of_profile_value(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 R("low_d", "vitamin_d_level < 20 ng/mL")
                                     R("low_d_nmol", "vitamin_d_level < 40 nmol/L"),
                                 NULL);
    /* 45 nmol/L = 18.03 ng/mL */
    assert_fired(rs, "{\"vitamin_d_level\": {\"value\": 45, \"unit\": \"nmol/L\"}}", "low_d");
    /* 50 nmol/L = 20.03 ng/mL */
    assert_fired(rs, "{\"vitamin_d_level\": {\"value\": 50, \"unit\": \"nmol/L\"}}", "");
    /* a plain number is in the declared unit (ng/mL): 15 ng/mL = 37.44 nmol/L */
    assert_fired(rs, "{\"vitamin_d_level\": 15}", "low_d,low_d_nmol");
    assert_fired(rs, "{\"vitamin_d_level\": {\"unit\": \"ng/mL\", \"value\": 19.9}}", "low_d");
    /* exactly at the threshold after conversion: 20 ng/mL = 49.92 nmol/L is not below */
    assert_fired(rs, "{\"vitamin_d_level\": {\"value\": 49.92, \"unit\": \"nmol/L\"}}", "");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_arithmetic_sum_of_fields(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 R("over", "diet_mg + supplement_mg > 400 mg")
                                     R("diff", "diet_mg - supplement_mg >= 0.1 g"),
                                 NULL);
    assert_fired(rs, "{\"diet_mg\": 300, \"supplement_mg\": 150}", "over,diff");
    assert_fired(rs, "{\"diet_mg\": 300, \"supplement_mg\": 50}", "diff");
    assert_fired(rs, "{\"diet_mg\": 300, \"supplement_mg\": 100}", "diff"); /* 400 is not over */
    assert_fired(rs, "{\"diet_mg\": 500}", "");                            /* one unknown */
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static const char *resolution_rules =
    "rule p_forms then prefer citrate, glycinate say \"Prefer.\" cite src[1] end\n"
    "rule a_citrate when conditions has ibs then avoid citrate severity warning\n"
    "  say \"Avoid citrate.\" cite src[2] end\n"
    "rule no_supps when conditions has kidney_disease then avoid supplements\n"
    "  severity critical say \"No supplements.\" cite src end\n"
    "rule d_low dose start 100 mg say \"Start low.\" cite src end\n"
    "rule d_high dose start 200 mg say \"Start higher.\" cite src end\n"
    "rule d_cap when age >= 65 years dose max 150 mg say \"Cap.\" cite src end\n";

/* A background item follows the action item whose form it names: as a whole word, in any
 * case, '_' read as a space; "citrates" does not name citrate. */
static void test_eval_background_follows_the_form_it_names(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(
        eng,
        "rule b_plural then inform say \"Citrates differ.\" cite src end\n"
        "rule b_other then inform say \"Other.\" cite src end\n"
        "rule b_names then inform say \"Magnesium CITRATE is gentle.\" cite src end\n"
        "rule p_cit then prefer citrate say \"Prefer.\" cite src[1] end\n",
        NULL);
    char *js = eval_json(rs, "{}");
    const char *p = strstr(js, "\"rule\":\"p_cit\""), *n = strstr(js, "\"rule\":\"b_names\""),
               *pl = strstr(js, "\"rule\":\"b_plural\""), *o = strstr(js, "\"rule\":\"b_other\"");
    assert_non_null(p);
    assert_non_null(n);
    assert_non_null(pl);
    assert_non_null(o);
    assert_true(p < n && n < pl && pl < o); /* the item naming citrate first, then source order */
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_avoid_beats_prefer(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, resolution_rules, NULL);
    char *js = eval_json(rs, "{\"conditions\": [\"ibs\"]}");
    assert_contains(js, "\"forms\":{\"supplements\":\"allowed\",\"supplements_rule\":null,"
                        "\"prefer\":[\"glycinate\"],\"avoid\":[\"citrate\"]}");
    assert_contains(js, "\"overruled\":[{\"rule\":\"p_forms\",\"what\":\"prefer citrate\","
                        "\"by\":\"a_citrate\"}]");
    /* the prefer item still holds for glycinate */
    assert_contains(js, "\"group\":\"act\",\"rule\":\"p_forms\",\"kind\":\"prefer\"");
    free(js);

    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, "{\"conditions\": [\"ibs\"]}", 23, &p, NULL),
                     MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    assert_int_equal(mga_result_prefer_count(r), 1);
    assert_string_equal(mga_result_prefer_ref(r, 0), "glycinate");
    assert_null(mga_result_prefer_ref(r, 1));
    assert_int_equal(mga_result_avoid_count(r), 1);
    assert_string_equal(mga_result_avoid_ref(r, 0), "citrate");
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_avoid_supplements_withholds_prefer_and_start(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, resolution_rules, NULL);
    char *js = eval_json(rs, "{\"conditions\": [\"kidney_disease\"]}");
    /* only the avoid item remains: prefer and start-dose items are withheld */
    assert_contains(js, "\"advice\":[{\"rank\":1,\"group\":\"act\",\"rule\":\"no_supps\","
                        "\"kind\":\"avoid\"");
    assert_not_contains(js, "\"rule\":\"p_forms\",\"kind\"");
    assert_not_contains(js, "\"rule\":\"d_low\",\"kind\"");
    assert_contains(js, "\"dose\":{\"start_mg\":null,\"start_rule\":null,\"target_mg\":null,"
                        "\"target_rule\":null,\"max_mg\":null,\"max_rule\":null}");
    assert_contains(js, "\"forms\":{\"supplements\":\"avoid\",\"supplements_rule\":\"no_supps\","
                        "\"prefer\":[],\"avoid\":[]}");
    assert_contains(js, "{\"rule\":\"p_forms\",\"what\":\"prefer citrate\",\"by\":\"no_supps\"}");
    assert_contains(js,
                    "{\"rule\":\"p_forms\",\"what\":\"prefer glycinate\",\"by\":\"no_supps\"}");
    assert_contains(js, "{\"rule\":\"d_low\",\"what\":\"start dose 100 mg\",\"by\":\"no_supps\"}");
    assert_contains(js,
                    "{\"rule\":\"d_high\",\"what\":\"start dose 200 mg\",\"by\":\"no_supps\"}");
    assert_contains(js, "{\"rule\":\"p_forms\",\"what\":\"advice item\",\"by\":\"no_supps\"}");
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_dose_start_at_or_below_smallest_max(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, resolution_rules, NULL);
    /* no cap: the largest start */
    char *js = eval_json(rs, "{}");
    assert_contains(js, "\"dose\":{\"start_mg\":200,\"start_rule\":\"d_high\",\"target_mg\":null,"
                        "\"target_rule\":null,\"max_mg\":null,\"max_rule\":null}");
    free(js);
    /* a cap of 150 mg: 200 is overruled by the cap, 100 is the start */
    js = eval_json(rs, "{\"age\": 70}");
    assert_contains(js, "\"dose\":{\"start_mg\":100,\"start_rule\":\"d_low\",\"target_mg\":null,"
                        "\"target_rule\":null,\"max_mg\":150,\"max_rule\":\"d_cap\"}");
    assert_contains(js, "{\"rule\":\"d_high\",\"what\":\"start dose 200 mg\",\"by\":\"d_cap\"}");
    assert_contains(js, "{\"rule\":\"d_high\",\"what\":\"advice item\",\"by\":\"d_cap\"}");
    assert_not_contains(js, "\"rule\":\"d_high\",\"kind\"");
    free(js);

    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, "{\"age\": 70}", 11, &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    const mga_dose *dose = mga_result_dose_ref(r);
    assert_true(dose->has_start);
    assert_true(dose->has_max);
    assert_false(dose->has_target);
    assert_true(dose->start_mg == 100.0);
    assert_true(dose->max_mg == 150.0);
    assert_string_equal(dose->start_rule, "d_low");
    assert_string_equal(dose->max_rule, "d_cap");
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_every_max_holds(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 "rule m1 dose start 50 mg max 300 mg say \"a\" cite src end\n"
                                 "rule m2 dose max 0.2 g say \"b\" cite src end\n"
                                 "rule t1 dose target 250 mg say \"c\" cite src end\n",
                                 NULL);
    char *js = eval_json(rs, "{}");
    assert_contains(js, "\"dose\":{\"start_mg\":50,\"start_rule\":\"m1\",\"target_mg\":null,"
                        "\"target_rule\":null,\"max_mg\":200,\"max_rule\":\"m2\"}");
    assert_contains(js, "{\"rule\":\"t1\",\"what\":\"target dose 250 mg\",\"by\":\"m2\"}");
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Rank order across groups: act items (severity, then refer > avoid > dose > prefer > warn),
 * each prefer/avoid item followed by the background items whose text names one of its
 * forms; the other background items last, in source order. */
static void test_eval_rank_background_follows_its_form(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(
        eng,
        "rule bg_plain then inform say \"Food has magnesium.\" cite src end\n"
        "rule bg_citrate then disagree say \"They disagree about Magnesium Citrate.\" cite src "
        "end\n"
        "rule bg_plural then inform say \"Citrates and glycinates.\" cite src end\n"
        "rule p_glycinate then prefer glycinate say \"Glycinate.\" cite src end\n"
        "rule p_citrate then prefer citrate say \"Citrate.\" cite src end\n"
        "rule warn_info then warn say \"Careful.\" cite src end\n"
        "rule dose_cap dose max 350 mg say \"Cap.\" cite src end\n"
        "rule ref_routine then inform then refer routine say \"Ask.\" cite src end\n"
        "rule ref_soon then refer soon severity warning say \"Soon.\" cite src end\n"
        "rule warn_sev then warn severity warning say \"Warned.\" cite src end\n",
        NULL);
    assert_fired(rs, "{}",
                 "ref_soon,warn_sev,ref_routine,dose_cap,p_glycinate,p_citrate,bg_citrate,"
                 "warn_info,bg_plain,bg_plural");
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, "{}", 2, &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    /* groups: an inform with a referral acts; only inform/disagree alone is background */
    static const mga_group want[] = {MGA_GROUP_ACT,        MGA_GROUP_ACT, MGA_GROUP_ACT,
                                     MGA_GROUP_ACT,        MGA_GROUP_ACT, MGA_GROUP_ACT,
                                     MGA_GROUP_BACKGROUND, MGA_GROUP_ACT, MGA_GROUP_BACKGROUND,
                                     MGA_GROUP_BACKGROUND};
    assert_int_equal(mga_result_advice_count(r), 10);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(mga_result_advice_ref(r, i)->group, want[i]);
    char *js = result_string(r, MGA_FORMAT_JSON);
    assert_contains(js, "{\"rank\":7,\"group\":\"background\",\"rule\":\"bg_citrate\",");
    assert_contains(js, "{\"rank\":10,\"group\":\"background\",\"rule\":\"bg_plural\",");
    free(js);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The summary: the decision and the rules behind it, forms and dose after resolution, and
 * every referral merged, most urgent first. */
static void test_eval_summary_decision_and_referrals(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(
        eng,
        "rule no1 when conditions has kidney_disease then avoid supplements then refer routine\n"
        "  severity critical say \"No.\" cite src end\n"
        "rule no2 when age > 90 years then avoid supplements say \"Not at 90.\" cite src end\n"
        "rule chest when conditions has kidney_disease then refer urgent severity warning\n"
        "  say \"Now.\" cite src end\n"
        "rule soon1 then inform then refer soon say \"Soon.\" cite src end\n"
        "rule pref then prefer glycinate say \"G.\" cite src end\n"
        "rule d dose start 100 mg max 300 mg say \"D.\" cite src end\n",
        NULL);
    mga_profile *p = NULL;
    const char *js1 = "{\"age\": 95, \"conditions\": [\"kidney_disease\"]}";
    assert_int_equal(mga_profile_parse(rs, NULL, js1, strlen(js1), &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    const mga_summary *s = mga_result_summary_ref(r);
    assert_non_null(s);
    assert_int_equal(s->decision, MGA_DECISION_DO_NOT_TAKE);
    assert_int_equal(s->ndecided_by, 2);
    assert_string_equal(s->decided_by[0], "no1");
    assert_string_equal(s->decided_by[1], "no2");
    assert_int_equal(s->nprefer, 0); /* overruled by the avoid */
    assert_false(s->has_start);
    assert_false(s->has_max); /* the dose rule presumes supplements: dropped whole */
    assert_string_equal(s->refer, "urgent");
    assert_int_equal(s->nreasons, 3);
    assert_string_equal(s->reasons[0].rule, "chest");
    assert_string_equal(s->reasons[0].urgency, "urgent");
    assert_string_equal(s->reasons[1].rule, "soon1");
    assert_string_equal(s->reasons[1].urgency, "soon");
    assert_string_equal(s->reasons[2].rule, "no1");
    assert_string_equal(s->reasons[2].urgency, "routine");
    char *js = result_string(r, MGA_FORMAT_JSON);
    assert_contains(js, "\"summary\":{\"decision\":\"do_not_take\",\"decided_by\":[\"no1\","
                        "\"no2\"],\"prefer\":[],\"start_mg\":null,\"target_mg\":null,"
                        "\"max_mg\":null,\"see_doctor\":{\"urgency\":\"urgent\",\"reasons\":["
                        "{\"rule\":\"chest\",\"urgency\":\"urgent\"},{\"rule\":\"soon1\","
                        "\"urgency\":\"soon\"},{\"rule\":\"no1\",\"urgency\":\"routine\"}]}},"
                        "\"advice\":[");
    free(js);

    /* reused for a profile without avoid: within limits, nothing decided it */
    assert_int_equal(mga_profile_parse_reuse(rs, NULL, "{\"age\": 40}", 11, &p, NULL), MGA_OK);
    assert_int_equal(mga_evaluate_reuse(rs, p, &r), MGA_OK);
    s = mga_result_summary_ref(r);
    assert_int_equal(s->decision, MGA_DECISION_WITHIN_LIMITS);
    assert_int_equal(s->ndecided_by, 0);
    assert_int_equal(s->nprefer, 1);
    assert_string_equal(s->prefer[0], "glycinate");
    assert_true(s->has_start && s->start_mg == 100.0);
    assert_string_equal(s->refer, "soon");
    assert_int_equal(s->nreasons, 1);
    /* no rule withholds supplements yet: the field is there for one that will */
    assert_int_equal(r->withhold_supplements, -1);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Rank order: severity first; within one, a referral (urgent first) before the rest, then
 * source order. */
static void test_eval_advice_order_severity_then_action(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng,
                                 "rule i1 then inform say \"i1\" cite src end\n"
                                 "rule w1 then warn severity warning say \"w1\" cite src end\n"
                                 "rule c1 then warn severity critical say \"c1\" cite src end\n"
                                 "rule w2 then warn severity warning say \"w2\" cite src end\n"
                                 "rule i2 then inform severity info say \"i2\" cite src end\n"
                                 "rule c2 then refer urgent severity critical say \"c2\" cite "
                                 "src end\n",
                                 NULL);
    assert_fired(rs, "{}", "c2,c1,w1,w2,i1,i2");
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, "{}", 2, &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    const mga_advice *a = mga_result_advice_ref(r, 0);
    assert_int_equal(a->severity, MGA_CRITICAL);
    assert_int_equal(a->kind, MGA_KIND_REFER);
    assert_string_equal(a->refer, "urgent");
    assert_string_equal(a->text, "c2");
    assert_int_equal(a->ncites, 1);
    assert_string_equal(a->cites[0].source, "src");
    assert_null(mga_result_advice_ref(r, 6));
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_eval_same_inputs_same_bytes(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs1 = compile_ok(eng, resolution_rules, NULL);
    mga_ruleset *rs2 = compile_ok(eng, resolution_rules, NULL);
    const char *profile = "{\"id\": \"p1\", \"age\": 70, \"conditions\": [\"ibs\"]}";
    char *a = eval_json(rs1, profile);
    char *b = eval_json(rs1, profile);
    char *c = eval_json(rs2, profile);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_string_equal(mga_ruleset_hash(rs1), mga_ruleset_hash(rs2));
    free(a);
    free(b);
    free(c);
    mga_ruleset_free(rs1);
    mga_ruleset_free(rs2);
    mga_engine_free(eng);
}

/* A reused result gives what a fresh one gives, profile after profile (nothing of the
 * previous profile is left behind), and refuses a result of another rule set. */
static void test_eval_reuse_same_as_fresh(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, resolution_rules, NULL);
    mga_ruleset *other = compile_ok(eng, resolution_rules, NULL);
    const char *profiles[] = {
        "{\"id\": \"p1\", \"age\": 70, \"conditions\": [\"ibs\"]}",
        "{\"id\": \"p2\", \"conditions\": [\"kidney_disease\"], \"age\": 20}",
        "{}",
        "{\"id\": \"p4\", \"age\": 40}",
        "{\"id\": \"p1\", \"age\": 70, \"conditions\": [\"ibs\"]}",
    };
    mga_result *reused = NULL;
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        char *fresh = eval_json(rs, profiles[i]);
        mga_profile *p = NULL;
        assert_int_equal(
            mga_profile_parse(rs, NULL, profiles[i], strlen(profiles[i]), &p, NULL), MGA_OK);
        mga_result *before = reused;
        assert_int_equal(mga_evaluate_reuse(rs, p, &reused), MGA_OK);
        if (before)
            assert_ptr_equal(before, reused);
        char *again = result_string(reused, MGA_FORMAT_JSON);
        assert_string_equal(fresh, again);
        free(fresh);
        free(again);
        if (i + 1 == sizeof profiles / sizeof profiles[0]) {
            mga_profile *q = NULL;
            assert_int_equal(mga_profile_parse(other, NULL, "{}", 2, &q, NULL), MGA_OK);
            mga_result *keep = reused;
            assert_int_equal(mga_evaluate_reuse(other, q, &reused), MGA_E_MISUSE);
            assert_ptr_equal(keep, reused);
            assert_int_equal(mga_evaluate_reuse(rs, p, NULL), MGA_E_MISUSE);
            mga_profile_free(q);
        }
        mga_profile_free(p);
    }
    mga_result_free(reused);
    mga_ruleset_free(rs);
    mga_ruleset_free(other);
    mga_engine_free(eng);
}

/* The guard index splits a key's rules by the enum field most of them test, and leaves
 * out of each program what its key and split value imply. */
static void test_eval_index_splits_key_by_enum_value(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(
        eng,
        R("pair_high", "symptoms has all of confusion, nausea and activity is high and "
                       "age >= 50 years")
            R("pair_mod_high", "symptoms has confusion and symptoms has nausea and activity is "
                               "one of moderate, high")
                R("pair_any", "symptoms has confusion and symptoms has nausea")
                    R("pair_not", "symptoms has confusion and symptoms has nausea and not "
                                  "(activity is high)")
                        R("pair_known", "symptoms has confusion and symptoms has nausea and "
                                        "activity is known and sex is female"),
        NULL);
    assert_false(rs->sweep);
    int f = graph_field_lookup(rs, "symptoms", 8), act = graph_field_lookup(rs, "activity", 8);
    assert_true(f >= 0 && act >= 0);
    int c = graph_sym_lookup(&rs->fields[f], "confusion", 9);
    int n = graph_sym_lookup(&rs->fields[f], "nausea", 6);
    int high = graph_sym_lookup(&rs->fields[act], "high", 4);
    int mod = graph_sym_lookup(&rs->fields[act], "moderate", 8);
    assert_true(c >= 0 && n >= 0 && high >= 0 && mod >= 0);
    const g_gkey *k = graph_guard_find(
        rs, graph_guard_key((uint32_t)f, (uint32_t)(c < n ? c : n), (uint32_t)(c < n ? n : c)));
    assert_non_null(k);
    /* split by activity (two rules test it; sex, one): three rules do not test it, high
     * has two, moderate one */
    assert_int_equal(k->qfield, act);
    const uint32_t *s = rs->guard_split + k->qoff;
    assert_int_equal(s[0], 3);
    assert_int_equal(s[high + 1] - s[high], 2);
    assert_int_equal(s[mod + 1] - s[mod], 1);
    assert_int_equal(k->n, 6);
    /* what is left to evaluate: pair_any and pair_mod_high (under moderate) nothing but the
     * constant true; pair_high (under high) its age test alone */
    const e_prog *pr = rs->plan->gprog + k->off;
    const e_node *pn = rs->plan->pnodes;
    for (uint32_t i = 0; i < k->n; i++) {
        const char *id = rs->rules[pr[i].rule].id;
        const e_node *last = &pn[pr[i].off + pr[i].n - 1];
        if (strcmp(id, "pair_any") == 0 || (strcmp(id, "pair_mod_high") == 0 && i < s[mod + 1] &&
                                            i >= s[mod])) {
            assert_int_equal(pr[i].n, 1);
            assert_int_equal(last->kind, E_CONST);
            assert_int_equal(last->bval, 1);
        }
        if (strcmp(id, "pair_high") == 0) {
            assert_int_equal(pr[i].n, 1);
            assert_int_equal(last->kind, E_LIN1);
        }
        if (strcmp(id, "pair_not") == 0) { /* the AND keeps one child: not (activity ...) */
            assert_int_equal(pr[i].n, 2);
            assert_int_equal(last->kind, E_NOT);
        }
        assert_int_equal(pr[i].multi, 0);
    }
    assert_fired(rs,
                 "{\"symptoms\": [\"confusion\", \"nausea\"], \"activity\": \"high\", \"age\": 60}",
                 "pair_high,pair_mod_high,pair_any");
    assert_fired(rs,
                 "{\"symptoms\": [\"nausea\", \"confusion\"], \"activity\": \"high\", \"age\": 40}",
                 "pair_mod_high,pair_any");
    assert_fired(rs,
                 "{\"symptoms\": [\"confusion\", \"nausea\"], \"activity\": \"moderate\", "
                 "\"sex\": \"female\"}",
                 "pair_mod_high,pair_any,pair_not,pair_known");
    assert_fired(rs, "{\"symptoms\": [\"confusion\", \"nausea\"], \"activity\": \"low\"}",
                 "pair_any,pair_not");
    assert_fired(rs, "{\"symptoms\": [\"confusion\", \"nausea\"], \"sex\": \"female\"}",
                 "pair_any");
    assert_fired(rs, "{\"symptoms\": [\"confusion\"], \"activity\": \"high\", \"age\": 60}", "");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Rules with no set or enum guard that compare a number with constants are found through
 * the threshold index: each value runs the rules whose interval holds it, including values
 * the comparisons' tolerance counts as equal to an end. */
static void test_eval_threshold_index(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(
        eng,
        R("teen", "age >= 13 years and age < 20 years") R("senior", "age >= 65 years")
            R("young", "age < 18 years") R("weeks", "age <= 1040 weeks")
                R("exact", "score == 0.3") R("never", "score > 5 and score < 1")
                    R("vitd_low", "vitamin_d_level < 20 ng/mL")
                        R("two_fields", "score > 0 and age > 30 years")
                            R("sum", "diet_mg + supplement_mg > 400 mg") R("ne", "score != 2"),
        NULL);
    rs->sweep = false;
    /* the sum of two fields and a negation are evaluated for every profile */
    assert_int_equal(rs->nalways, 2);
    assert_int_equal(rs->ntfields, 3);
    assert_fired(rs, "{\"age\": 15}", "teen,young,weeks");
    assert_fired(rs, "{\"age\": 13}", "teen,young,weeks");
    assert_fired(rs, "{\"age\": 65, \"score\": 0.30000000000000004}",
                 "senior,exact,two_fields,ne");
    /* 1040 weeks in years: equal to the end within the comparison's tolerance */
    assert_fired(rs, "{\"age\": 19.931553730321697}", "teen,weeks");
    assert_fired(rs, "{\"age\": 19.94}", "teen");
    assert_fired(rs,
                 "{\"vitamin_d_level\": 19.99, \"diet_mg\": 300, \"supplement_mg\": 200, "
                 "\"score\": 2}",
                 "vitd_low,sum");
    assert_fired(rs, "{\"score\": 10, \"age\": 130}", "senior,two_fields,ne");
    assert_fired(rs, "{\"score\": -10, \"age\": 0}", "young,weeks,ne");
    assert_fired(rs, "{}", "");
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Sweep or index by the work each costs per profile, not by the share of rules without a
 * guard: unguarded rules whose node lists (shared nodes once per rule) come to half the
 * nodes or more are cheaper swept, though they are a minority of the rules; a half of
 * one-node unguarded rules beside guarded rules with large conditions is not. */
static void test_eval_sweep_or_index_by_work(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    const char *big = "(age > 70 years or score > 3 or vitamin_d_level < 20 ng/mL or "
                      "diet_mg > 400 mg)";
    char src[2048];
    snprintf(src, sizeof src,
             R("u_any", "%s") R("u_none", "not %s") R("g_nausea", "symptoms has nausea")
                 R("g_confusion", "symptoms has confusion") R("g_high", "activity is high")
                     R("g_female", "sex is female"),
             big, big);
    mga_ruleset *rs = compile_ok(eng, src, NULL);
    assert_int_equal(rs->nalways, 2);
    assert_true(rs->sweep);
    assert_fired(rs, "{\"age\": 80, \"activity\": \"high\"}", "u_any,g_high");
    assert_fired(rs, "{\"age\": 1, \"score\": 0, \"vitamin_d_level\": 30, \"diet_mg\": 0}",
                 "u_none");
    mga_ruleset_free(rs);

    rs = compile_ok(eng,
                    R("sum", "diet_mg + supplement_mg > 400 mg") R("ne", "score != 2")
                        R("g_nausea", "symptoms has nausea and (age > 70 years or score > 3 or "
                                      "vitamin_d_level < 20 ng/mL or diet_mg > 300 mg)")
                            R("g_confusion",
                              "symptoms has confusion and (age > 60 years or score > 4 or "
                              "vitamin_d_level < 30 ng/mL or supplement_mg > 300 mg)"),
                    NULL);
    assert_int_equal(rs->nalways, 2);
    assert_false(rs->sweep);
    assert_fired(rs, "{\"symptoms\": [\"nausea\"], \"age\": 80, \"score\": 1}", "ne,g_nausea");
    assert_fired(rs, "{\"symptoms\": [\"confusion\"], \"diet_mg\": 300, \"supplement_mg\": 301}",
                 "sum,g_confusion");
    mga_ruleset_free(rs);

    /* the shipped rules: 31 of 71 unguarded, whose node lists outnumber all the nodes */
    assert_int_equal(mga_compile_builtin(eng, &rs, NULL), MGA_OK);
    assert_true(rs->sweep);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* ---- indexed evaluation against the full sweep ---- */

/* Symbols of the generated 'tags' set: 40 fit one mask word; 150 span three words, so
 * that trimmed multi-word masks and profiles with more than 32 symbols (the pair
 * fallback of the index) are compared too. */
static unsigned GSYMS = 40;

/* A random test over the generated schema (depth limits nesting). */
static void gen_cond(gp_rng *g, rtext *t, unsigned depth)
{
    unsigned k = gp_below(g, depth ? 13 : 9);
    switch (k) {
    case 0:
    case 1:
        rt_add(t, "tags has s%u", gp_below(g, GSYMS));
        break;
    case 2:
        rt_add(t, "tags has %s of s%u, s%u", gp_below(g, 2) ? "any" : "all", gp_below(g, GSYMS),
               gp_below(g, GSYMS));
        break;
    case 3:
        rt_add(t, "tags has none of s%u", gp_below(g, GSYMS));
        break;
    case 4:
        rt_add(t, "level is %s", gp_below(g, 2) ? "low" : "high");
        break;
    case 5:
        if (GSYMS > 64) /* an enum of more than 64 symbols: its mask spans words */
            rt_add(t, "big is one of b%u, b%u", gp_below(g, 100), gp_below(g, 100));
        else
            rt_add(t, "level is one of low, mid");
        break;
    case 6:
        rt_add(t, "gscore %s %u", (const char *[]){"<", "<=", ">", ">=", "==", "!="}[gp_below(g, 6)],
               gp_below(g, 11) * 10);
        break;
    case 7:
        rt_add(t, "%s is %s", gp_below(g, 2) ? "tags" : "gscore", gp_below(g, 2) ? "known" : "missing");
        break;
    case 8:
        if (gp_below(g, 3) == 0)
            rt_add(t, "conditions has %s", gp_below(g, 2) ? "ibs" : "insomnia");
        else if (gp_below(g, 2))
            rt_add(t, "sex is female and age >= %u years", gp_below(g, 100));
        else
            rt_add(t, gp_below(g, 2) ? "flag" : "f%u", gp_below(g, 4));
        break;
    case 9:
    case 10:
        rt_add(t, "(");
        gen_cond(g, t, depth - 1);
        rt_add(t, k == 9 ? " and " : " or ");
        gen_cond(g, t, depth - 1);
        rt_add(t, ")");
        break;
    default:
        rt_add(t, "not (");
        gen_cond(g, t, depth - 1);
        rt_add(t, ")");
    }
}

/* Rules that are mostly ANDs of set and enum tests (what the index keys on), mixed with
 * ORs, NOTs, facts, numbers and known/missing, so that every kind of guard and of
 * unguarded rule occurs. */
static char *gen_rules(uint64_t seed, unsigned nrules)
{
    gp_rng g = {seed};
    rtext t = {0};
    rt_add(&t, "profile\n  tags: set of");
    for (unsigned i = 0; i < GSYMS; i++)
        rt_add(&t, "%s s%u", i ? "," : "", i);
    rt_add(&t, "\n  level: one of low, mid, high\n  gscore: number range 0..100\n"
               "  flag: boolean\n");
    if (GSYMS > 64) {
        rt_add(&t, "  big: one of");
        for (unsigned i = 0; i < 100; i++)
            rt_add(&t, "%s b%u", i ? "," : "", i);
        rt_add(&t, "\n");
    }
    rt_add(&t, "end\n");
    for (unsigned i = 0; i < 4; i++) {
        rt_add(&t, "fact f%u when ", i);
        gen_cond(&g, &t, 2);
        rt_add(&t, "\n");
    }
    for (unsigned i = 0; i < nrules; i++) {
        rt_add(&t, "rule r%u when ", i);
        unsigned parts = 1 + gp_below(&g, 4);
        for (unsigned k = 0; k < parts; k++) {
            if (k)
                rt_add(&t, " and ");
            gen_cond(&g, &t, 2);
        }
        rt_add(&t, " then inform severity %s say \"r%u\" cite src end\n",
               (const char *[]){"info", "warning", "critical"}[gp_below(&g, 3)], i);
    }
    return t.p;
}

static void test_eval_indexed_equals_full_sweep(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    gp_buf *b = malloc(sizeof *b);
    assert_non_null(b);
    unsigned compared = 0, fired = 0, split = 0, reduced = 0, thresholds = 0;
    unsigned lin1_runs[3] = {0, 0, 0}; /* the sweep's runs of <, <= and == */
    for (uint64_t seed = 1; seed <= 8; seed++) {
        GSYMS = seed <= 6 ? 40 : 150;
        char *rules = gen_rules(seed * 7919, 60 + 40 * (unsigned)seed);
        mga_ruleset *rs = compile_ok(eng, rules, NULL);
        free(rules);
        rs->sweep = seed % 2 == 0; /* these are indexed: sweep the even seeds to compare both */
        for (size_t k = 0; rs->sweep && k < rs->plan->nruns; k++) {
            uint32_t kind = rs->plan->runs[k].kind;
            if (kind >= RUN_LIN1_LT && kind <= RUN_LIN1_EQ)
                lin1_runs[kind - RUN_LIN1_LT]++;
        }
        uint8_t *val = malloc(rs->nnodes + 1);
        uint32_t *want = malloc((rs->nrules + 1) * sizeof *want);
        assert_true(val && want);
        gp_rng g = {seed};
        mga_result *r = NULL;
        for (unsigned i = 0; i < 1500; i++) {
            gp_profile(&g, rs, i, 1 + gp_below(&g, 100), b);
            mga_profile *p = NULL;
            assert_int_equal(mga_profile_parse(rs, "gen", b->p, b->len, &p, NULL), MGA_OK);
            assert_int_equal(mga_evaluate_reuse(rs, p, &r), MGA_OK);
            eval_nodes(rs, p, val);
            size_t n = 0;
            for (size_t k = 0; k < rs->nrules; k++)
                if (val[rs->rules[rs->order[k]].node] == TV_T)
                    want[n++] = rs->order[k];
            assert_int_equal(r->nfired, n);
            for (size_t k = 0; k < n; k++)
                assert_int_equal(r->fired[k], want[k]);
            fired += (unsigned)n;
            compared++;
            mga_profile_free(p);
        }
        assert_true(rs->ngfields > 0 && rs->nalways > 0); /* guarded and unguarded rules */
        thresholds += (unsigned)rs->ntrules;
        for (size_t j = 0; j <= rs->gkey_mask; j++) {
            const g_gkey *k = &rs->gkeys[j];
            split += k->key && k->qfield != GUARD_NONE;
            for (uint32_t i = 0; k->key && i < k->n; i++) {
                uint32_t ri = rs->guard_rules[k->off + i];
                reduced += rs->plan->gprog[k->off + i].n <
                           rs->rule_nodes_off[ri + 1] - rs->rule_nodes_off[ri];
            }
        }
        if (GSYMS > 64) { /* the evaluator's multi-word forms were there to compare */
            unsigned setn = 0, enumn = 0;
            for (size_t k = 0; k < rs->nnodes; k++) {
                setn += rs->plan->nodes[k].kind == E_ANYN || rs->plan->nodes[k].kind == E_ALLN;
                enumn += rs->plan->nodes[k].kind == E_ENUMN;
            }
            assert_true(setn > 0 && enumn > 0);
        }
        mga_result_free(r);
        free(val);
        free(want);
        mga_ruleset_free(rs);
    }
    assert_true(fired > compared); /* the rules do fire: the comparison is not vacuous */
    /* split keys, shortened programs and the threshold index were compared */
    assert_true(split > 0 && reduced > 0 && thresholds > 0);
    /* and the sweep's one-term comparisons of each operator */
    assert_true(lin1_runs[0] > 0 && lin1_runs[1] > 0 && lin1_runs[2] > 0);
    free(b);
    mga_engine_free(eng);
}

static void test_eval_misuse(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs1 = compile_ok(eng, R("a", "true"), NULL);
    mga_ruleset *rs2 = compile_ok(eng, R("a", "true"), NULL);
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs1, NULL, "{}", 2, &p, NULL), MGA_OK);
    mga_result *r = (mga_result *)1;
    /* a profile parsed against another rule set */
    assert_int_equal(mga_evaluate(rs2, p, &r), MGA_E_MISUSE);
    assert_null(r);
    mga_profile_free(p);
    mga_ruleset_free(rs1);
    mga_ruleset_free(rs2);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_missing_field_does_not_fire),
        cmocka_unit_test(test_eval_kleene_and_or_not),
        cmocka_unit_test(test_eval_sets_and_enums),
        cmocka_unit_test(test_eval_unit_conversion_of_profile_value),
        cmocka_unit_test(test_eval_arithmetic_sum_of_fields),
        cmocka_unit_test(test_eval_avoid_beats_prefer),
        cmocka_unit_test(test_eval_background_follows_the_form_it_names),
        cmocka_unit_test(test_eval_avoid_supplements_withholds_prefer_and_start),
        cmocka_unit_test(test_eval_dose_start_at_or_below_smallest_max),
        cmocka_unit_test(test_eval_every_max_holds),
        cmocka_unit_test(test_eval_advice_order_severity_then_action),
        cmocka_unit_test(test_eval_rank_background_follows_its_form),
        cmocka_unit_test(test_eval_summary_decision_and_referrals),
        cmocka_unit_test(test_eval_same_inputs_same_bytes),
        cmocka_unit_test(test_eval_reuse_same_as_fresh),
        cmocka_unit_test(test_eval_index_splits_key_by_enum_value),
        cmocka_unit_test(test_eval_threshold_index),
        cmocka_unit_test(test_eval_sweep_or_index_by_work),
        cmocka_unit_test(test_eval_indexed_equals_full_sweep),
        cmocka_unit_test(test_eval_misuse),
    };
    return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
