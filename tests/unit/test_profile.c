/* SPDX-License-Identifier: MIT */
/* Unit tests for profile.c: JSON profiles read against the schema, with errors that name
 * the JSON path and the byte offset; unknown fields are errors (warnings, carried in the
 * result, when allowed); strings decode to UTF-8 text; null means missing; at most
 * MGA_PROFILE_MAX_DIAGS diagnostics, then one that counts the rest. */
#include "helpers.h"

static mga_ruleset *rules(mga_engine *eng)
{
    return compile_ok(eng,
                      "rule r when age is known then inform say \"x\" cite src end\n"
                      "rule d when balanced_diet then inform say \"y\" cite src end\n",
                      NULL);
}

typedef struct pcase {
    const char *json;
    unsigned code;
    const char *message;
    const char *note;
    size_t offset, len;
} pcase;

static void check_profile_error(const mga_ruleset *rs, const pcase *c)
{
    mga_profile *p = (mga_profile *)1;
    mga_diags *d = NULL;
    mga_status st = mga_profile_parse(rs, "p.json", c->json, strlen(c->json), &p, &d);
    if (st != MGA_E_PROFILE || mga_diags_error_count(d) != 1) {
        char *out = render_diags(d);
        print_error("profile %s:\n%s", c->json, out);
        free(out);
    }
    assert_int_equal(st, MGA_E_PROFILE);
    assert_null(p);
    assert_int_equal(mga_diags_error_count(d), 1);
    const mga_diag *dg = expect_diag(d, c->code, c->message);
    assert_string_equal(dg->file, "p.json");
    assert_int_equal(dg->offset, c->offset);
    assert_int_equal(dg->len, c->len);
    assert_int_equal(dg->line, 1);
    assert_int_equal(dg->col, c->offset + 1);
    if (c->note)
        assert_string_equal(dg->note, c->note);
    else
        assert_null(dg->note);
    mga_diags_free(d);
}

static void run(const pcase *cases, size_t n)
{
    mga_engine *eng = make_engine();
    mga_ruleset *rs = rules(eng);
    for (size_t i = 0; i < n; i++)
        check_profile_error(rs, &cases[i]);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_profile_malformed_json(void **state)
{
    (void)state;
    static const pcase cases[] = {
        {"{\"age\": 5,}", 4001,
         "invalid JSON: parse error: invalid object key (must be a string) (byte 10)", NULL, 10,
         1},
        {"{\"age\": NaN}", 4001, "invalid JSON: lexical error: invalid char in json text (byte 9)",
         NULL, 9, 1},
        {"{\"age\": 05}", 4001,
         "invalid JSON: parse error: after key and value, inside map, I expect ',' or '}' "
         "(byte 9)",
         NULL, 9, 1},
        {"{\"id\": \"\xFF\"}", 4001,
         "invalid JSON: invalid UTF-8 (byte 0xff) (byte 8)", NULL, 8, 1},
        {"{\"age\": 5", 4001, "invalid JSON: parse error: premature EOF (byte 8)", NULL, 8, 1},
    };
    run(cases, sizeof cases / sizeof cases[0]);
}

static void test_profile_wrong_type_and_range(void **state)
{
    (void)state;
    static const pcase cases[] = {
        {"{\"age\": \"old\"}", 4002,
         "$.age: expected a number or {\"value\": number, \"unit\": string}, found a string "
         "(byte 8)",
         NULL, 8, 5},
        {"{\"balanced_diet\": \"yes\"}", 4002,
         "$.balanced_diet: expected true or false, found a string (byte 18)", NULL, 18, 5},
        {"{\"conditions\": [\"ibs\", 5]}", 4002,
         "$.conditions[1]: expected a string, found a number (byte 23)", NULL, 23, 1},
        {"{\"sex\": [\"female\"]}", 4002,
         "$.sex: expected one of its values as a string, found an array (byte 8)", NULL, 8, 1},
        {"{\"score\": {\"value\": 1, \"unit\": \"x\"}}", 4002,
         "$.score: expected a number, found an object (byte 10)", NULL, 10, 1},
        {"{\"age\": 200}", 4003, "$.age: 200 years is outside the range 0..130 years (byte 8)",
         NULL, 8, 3},
        {"{\"score\": -11}", 4003, "$.score: -11 is outside the range -10..10 (byte 10)", NULL,
         10, 3},
        {"{\"age\": 1e999}", 4008, "$.age: number '1e999' is out of range (byte 8)", NULL, 8, 5},
    };
    run(cases, sizeof cases / sizeof cases[0]);
}

static void test_profile_symbols_and_units(void **state)
{
    (void)state;
    static const pcase cases[] = {
        {"{\"sex\": \"femal\"}", 4004, "$.sex: unknown value 'femal' (byte 8)",
         "did you mean 'female'?", 8, 7},
        {"{\"activity\": \"zzz\"}", 4004, "$.activity: unknown value 'zzz' (byte 13)",
         "'activity' takes: low, moderate, high", 13, 5},
        {"{\"conditions\": [\"ibs\", \"gout\"]}", 4004,
         "$.conditions[1]: unknown value 'gout' (byte 23)",
         "'conditions' takes: kidney_disease, ibs, insomnia", 23, 6},
        {"{\"vitamin_d_level\": {\"value\": 4, \"unit\": \"mg/dL\"}}", 4005,
         "$.vitamin_d_level.unit: unknown unit 'mg/dL' (byte 41)",
         "units of vitamin_d_level: nmol/L, ng/mL", 41, 7},
        {"{\"vitamin_d_level\": {\"value\": 4}}", 4011,
         "$.vitamin_d_level: missing \"unit\" (byte 31)", NULL, 31, 1},
        {"{\"age\": 5, \"age\": 6}", 4006, "$.age: given twice (byte 11)", NULL, 11, 5},
    };
    run(cases, sizeof cases / sizeof cases[0]);
}

static void test_profile_top_level_and_empty(void **state)
{
    (void)state;
    static const pcase cases[] = {
        {"[1]", 4007, "expected a JSON object, found an array (byte 0)", NULL, 0, 1},
        {"null", 4007, "expected a JSON object, found null (byte 0)", NULL, 0, 4},
        {"42", 4007, "expected a JSON object, found a number (byte 0)", NULL, 0, 2},
        {"\"x\"", 4007, "expected a JSON object, found a string (byte 0)", NULL, 0, 3},
        {"", 4010, "empty profile: expected a JSON object (byte 0)", NULL, 0, 0},
        {" \n\t ", 4010, "empty profile: expected a JSON object (byte 0)", NULL, 0, 4},
    };
    run(cases, sizeof cases / sizeof cases[0]);
}

static void test_profile_nesting_too_deep(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = rules(eng);
    char json[512];
    size_t k = (size_t)sprintf(json, "{\"conditions\":");
    for (int i = 0; i < 80; i++)
        json[k++] = '[';
    for (int i = 0; i < 80; i++)
        json[k++] = ']';
    json[k++] = '}';
    json[k] = '\0';
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", json, k, &p, &d), MGA_E_PROFILE);
    assert_null(p);
    const mga_diag *dg = NULL;
    for (size_t i = 0; i < mga_diags_count(d); i++)
        if (mga_diags_ref(d, i)->code == 4009)
            dg = mga_diags_ref(d, i);
    assert_non_null(dg);
    assert_true(has_substr(dg->message, "nested deeper than 64 levels"));
    assert_int_equal(dg->offset, 14 + 63);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The typo that silently dropped the kidney advice: an error with the right name. */
static void test_profile_unknown_field_is_an_error(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = rules(eng);
    const char *json = "{\"condtions\": [\"kidney_disease\"], \"age\": 50}";
    mga_profile *p = (mga_profile *)1;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", json, strlen(json), &p, &d), MGA_E_PROFILE);
    assert_null(p);
    assert_int_equal(mga_diags_count(d), 1);
    const mga_diag *dg = expect_diag(d, 4013, "$.condtions: unknown field (byte 1)");
    assert_int_equal(dg->kind, MGA_DIAG_ERROR);
    assert_string_equal(dg->path, "$.condtions");
    assert_string_equal(dg->note, "did you mean 'conditions'?");
    assert_int_equal(dg->offset, 1);
    assert_int_equal(dg->len, 11);
    assert_int_equal(dg->col, 2);
    mga_diags_free(d);
    /* the reused parse says the same */
    mga_profile *q = NULL;
    assert_int_equal(mga_profile_parse_reuse(rs, "p.json", json, strlen(json), &q, &d),
                     MGA_E_PROFILE);
    expect_diag(d, 4013, "$.condtions: unknown field (byte 1)");
    mga_diags_free(d);
    mga_profile_free(q);
    /* a key of a quantity object is checked too */
    json = "{\"vitamin_d_level\": {\"value\": 45, \"unit\": \"nmol/L\", \"vlue\": 4}}";
    assert_int_equal(mga_profile_parse(rs, "p.json", json, strlen(json), &p, &d), MGA_E_PROFILE);
    dg = expect_diag(d, 4013, "$.vitamin_d_level.vlue: unknown field (byte 52)");
    assert_string_equal(dg->path, "$.vitamin_d_level.vlue");
    assert_string_equal(dg->note, "did you mean 'value'?");
    assert_int_equal(mga_diags_error_count(d), 1);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Allowed, an unknown field warns, is skipped, and the warning is in the result. */
static void test_profile_unknown_field_allowed_warns_in_result(void **state)
{
    (void)state;
    mga_engine *eng = make_engine_lenient();
    mga_ruleset *rs = rules(eng);
    const char *json = "{\"agee\": {\"deep\": [1, 2]}, \"age\": 50, \"zz\": 1}";
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", json, strlen(json), &p, &d), MGA_OK);
    assert_non_null(p);
    assert_int_equal(mga_diags_error_count(d), 0);
    assert_int_equal(mga_diags_count(d), 2);
    const mga_diag *w = mga_diags_ref(d, 0);
    assert_int_equal(w->kind, MGA_DIAG_WARNING);
    assert_int_equal(w->code, 5001);
    assert_string_equal(w->message, "$.agee: unknown field, ignored");
    assert_string_equal(w->path, "$.agee");
    assert_string_equal(w->note, "did you mean 'age'?");
    assert_int_equal(w->offset, 1);
    assert_int_equal(w->len, 6);
    assert_string_equal(mga_diags_ref(d, 1)->message, "$.zz: unknown field, ignored");
    mga_diags_free(d);
    /* the known field after the skipped value is read; the result carries the warnings */
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    assert_int_equal(mga_result_advice_count(r), 1);
    assert_string_equal(mga_result_advice_ref(r, 0)->rule, "r");
    char *js = result_string(r, MGA_FORMAT_JSON);
    assert_contains(js, "},\"warnings\":[{\"code\":\"W5001\",\"path\":\"$.agee\",\"message\":"
                        "\"$.agee: unknown field, ignored\",\"note\":\"did you mean 'age'?\"},"
                        "{\"code\":\"W5001\",\"path\":\"$.zz\",\"message\":\"$.zz: unknown "
                        "field, ignored\",\"note\":\"did you mean 'id'?\"}],\"summary\":{");
    free(js);
    char *txt = result_string(r, MGA_FORMAT_TEXT);
    assert_contains(txt, "Profile warnings (these parts of the input were not used):\n"
                         "  W5001 $.agee: unknown field, ignored (did you mean 'age'?)\n"
                         "  W5001 $.zz: unknown field, ignored (did you mean 'id'?)\n");
    free(txt);
    mga_result_free(r);
    mga_profile_free(p);
    /* a profile without warnings: no "warnings" member at all */
    js = eval_json(rs, "{\"age\": 50}");
    assert_null(strstr(js, "warnings"));
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* n unknown keys "k0".."k{n-1}" in one object, then "age": age. */
static char *many_keys(size_t n, const char *age, size_t *len)
{
    char *s = malloc(16 * n + 32);
    assert_non_null(s);
    size_t k = (size_t)sprintf(s, "{");
    for (size_t i = 0; i < n; i++)
        k += (size_t)sprintf(s + k, "\"k%zu\": %zu, ", i, i);
    k += (size_t)sprintf(s + k, "\"age\": %s}", age);
    *len = k;
    return s;
}

/* At most MGA_PROFILE_MAX_DIAGS diagnostics are listed: at the limit, every one; one past
 * it, the limit and then one that counts the rest, located at the first not listed. */
static void test_profile_diagnostics_capped(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = rules(eng);
    mga_engine *leng = make_engine_lenient();
    mga_ruleset *lrs = rules(leng);
    for (size_t n = MGA_PROFILE_MAX_DIAGS; n <= MGA_PROFILE_MAX_DIAGS + 2; n++) {
        size_t len;
        char *json = many_keys(n, "50", &len);
        mga_profile *p = NULL;
        mga_diags *d = NULL;
        assert_int_equal(mga_profile_parse(rs, "p.json", json, len, &p, &d), MGA_E_PROFILE);
        size_t more = n - MGA_PROFILE_MAX_DIAGS;
        assert_int_equal(count_diag(d, 4013), MGA_PROFILE_MAX_DIAGS);
        assert_int_equal(mga_diags_count(d), MGA_PROFILE_MAX_DIAGS + (more ? 1 : 0));
        if (more) {
            char msg[160], key[16];
            snprintf(key, sizeof key, "\"k%d\"", MGA_PROFILE_MAX_DIAGS);
            size_t at = (size_t)(strstr(json, key) - json);
            snprintf(msg, sizeof msg,
                     "%zu more not listed (%zu error%s): a profile lists at most %d problems "
                     "(byte %zu)",
                     more, more, more == 1 ? "" : "s", MGA_PROFILE_MAX_DIAGS, at);
            const mga_diag *dg = expect_diag(d, 4014, msg);
            assert_int_equal(dg->kind, MGA_DIAG_ERROR);
            assert_string_equal(dg->path, "$");
            assert_int_equal(dg->offset, at);
        } else {
            assert_null(find_diag(d, 4014));
        }
        mga_diags_free(d);
        /* allowed: the same as warnings, the count a warning too, all in the result */
        assert_int_equal(mga_profile_parse(lrs, "p.json", json, len, &p, &d), MGA_OK);
        assert_int_equal(count_diag(d, 5001), MGA_PROFILE_MAX_DIAGS);
        assert_int_equal(count_diag(d, 5020), more ? 1 : 0);
        mga_diags_free(d);
        mga_result *r = NULL;
        assert_int_equal(mga_evaluate(lrs, p, &r), MGA_OK);
        char *js = result_string(r, MGA_FORMAT_JSON);
        size_t nw = 0;
        for (const char *q = js; (q = strstr(q, "{\"code\":\"W")); q++)
            nw++;
        assert_int_equal(nw, MGA_PROFILE_MAX_DIAGS + (more ? 1 : 0));
        if (more)
            assert_contains(js, "{\"code\":\"W5020\",\"path\":\"$\",\"message\":\"");
        free(js);
        mga_result_free(r);
        mga_profile_free(p);
        free(json);
    }
    /* an error past the cap still fails the parse, after listed warnings */
    size_t len;
    char *json = many_keys(MGA_PROFILE_MAX_DIAGS, "\"x\"", &len);
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_parse(lrs, "p.json", json, len, &p, &d), MGA_E_PROFILE);
    assert_null(p);
    assert_int_equal(mga_diags_count(d), MGA_PROFILE_MAX_DIAGS + 1);
    assert_int_equal(mga_diags_ref(d, MGA_PROFILE_MAX_DIAGS)->code, 4014);
    assert_contains(mga_diags_ref(d, MGA_PROFILE_MAX_DIAGS)->message, " (1 error): ");
    mga_diags_free(d);
    free(json);
    mga_ruleset_free(lrs);
    mga_engine_free(leng);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Strings decode to UTF-8 text: an escaped lone surrogate or NUL is an error at the
 * escape (in a key, a value, a set element, a skipped value alike); a pair is a character;
 * other escapes move no offset. */
static void test_profile_string_escapes(void **state)
{
    (void)state;
    mga_engine *eng = make_engine_lenient();
    mga_ruleset *rs = rules(eng);
    static const struct {
        const char *json, *esc; /* esc: the escape the error points at */
        unsigned code;
        const char *message;
    } bad[] = {
        {"{\"id\": \"a\\udc00\"}", "\\udc00", 4015,
         "$.id: '\\udc00' is a lone surrogate (half of a UTF-16 pair), not a character"},
        {"{\"id\": \"\\ud800\"}", "\\ud800", 4015,
         "$.id: '\\ud800' is a lone surrogate (half of a UTF-16 pair), not a character"},
        {"{\"id\": \"\\ud800\\u0041\"}", "\\ud800", 4015,
         "$.id: '\\ud800' is a lone surrogate (half of a UTF-16 pair), not a character"},
        {"{\"id\": \"q\\\"\\\\\\uDFFF\"}", "\\uDFFF", 4015,
         "$.id: '\\uDFFF' is a lone surrogate (half of a UTF-16 pair), not a character"},
        {"{\"id\": \"a\\u0000x\"}", "\\u0000", 4016,
         "$.id: a NUL character (U+0000) is not allowed in a string"},
        {"{\"conditions\": [\"ibs\", \"\\u0000\"]}", "\\u0000", 4016,
         "$.conditions[1]: a NUL character (U+0000) is not allowed in a string"},
        {"{\"a\\u0000b\": 1}", "\\u0000", 4016,
         "$: a NUL character (U+0000) is not allowed in a string"},
        {"{\"x\": {\"y\": \"\\udc00\"}}", "\\udc00", 4015, NULL}, /* skipped, still text */
        {"{\"vitamin_d_level\": {\"value\": 4, \"unit\": \"\\ud800\"}}", "\\ud800", 4015,
         "$.vitamin_d_level.unit: '\\ud800' is a lone surrogate (half of a UTF-16 pair), not "
         "a character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mga_profile *p = NULL;
        mga_diags *d = NULL;
        const char *json = bad[i].json;
        assert_int_equal(mga_profile_parse(rs, "p.json", json, strlen(json), &p, &d),
                         MGA_E_PROFILE);
        assert_null(p);
        assert_int_equal(mga_diags_error_count(d), 1);
        const mga_diag *dg = find_diag(d, bad[i].code);
        assert_non_null(dg);
        size_t at = (size_t)(strstr(json, bad[i].esc) - json);
        if (bad[i].message) {
            char msg[200];
            snprintf(msg, sizeof msg, "%s (byte %zu)", bad[i].message, at);
            assert_string_equal(dg->message, msg);
        }
        assert_int_equal(dg->offset, at);
        assert_int_equal(dg->len, 6);
        mga_diags_free(d);
    }
    /* a surrogate pair is one character; escapes before a bad value keep its offset */
    char *js = eval_json(rs, "{\"id\": \"\\ud83d\\ude00 \\u00e9\\n\"}");
    assert_contains(js, "{\"id\":\"\xF0\x9F\x98\x80 \xC3\xA9\\n\",");
    free(js);
    const char *json = "{\"sex\": \"fe\\u006dal\"}";
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", json, strlen(json), &p, &d), MGA_E_PROFILE);
    const mga_diag *dg = expect_diag(d, 4004, "$.sex: unknown value 'femal' (byte 8)");
    assert_int_equal(dg->len, 12); /* the token as written, escape included */
    assert_string_equal(dg->note, "did you mean 'female'?");
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_profile_null_means_missing(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = rules(eng);
    char *js = eval_json(rs, "{\"age\": null, \"balanced_diet\": null, \"id\": null}");
    assert_contains(js, "\"id\":null,");
    assert_contains(js, "\"advice\":[]");
    free(js);
    js = eval_json(rs, "{\"age\": 3, \"balanced_diet\": true, \"id\": \"p-7\"}");
    assert_contains(js, "{\"id\":\"p-7\",");
    assert_contains(js, ",\"rule\":\"r\",");
    assert_contains(js, ",\"rule\":\"d\",");
    free(js);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_profile_id_and_quantity_extras(void **state)
{
    (void)state;
    /* extra keys on a quantity are unknown fields: errors, or allowed, skipped with a
     * warning each; the id is kept */
    const char *json = "{\"id\": \"abc\", \"vitamin_d_level\": {\"value\": 45, \"unit\": "
                       "\"nmol/L\", \"source\": \"lab\", \"lab\": {\"a\": [1, {\"b\": null}]}, "
                       "\"checked\": true}}";
    mga_engine *eng = make_engine();
    mga_ruleset *rs = rules(eng);
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, json, strlen(json), &p, &d), MGA_E_PROFILE);
    assert_int_equal(count_diag(d, 4013), 3);
    assert_string_equal(find_diag(d, 4013)->path, "$.vitamin_d_level.source");
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);

    eng = make_engine_lenient();
    rs = rules(eng);
    assert_int_equal(mga_profile_parse(rs, NULL, json, strlen(json), &p, &d), MGA_OK);
    assert_int_equal(count_diag(d, 5001), 3);
    mga_diags_free(d);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    assert_string_equal(mga_result_id(r), "abc");
    char *js = result_string(r, MGA_FORMAT_JSON);
    assert_contains(js, "\"path\":\"$.vitamin_d_level.checked\"");
    free(js);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_profile_invalid_arguments(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = rules(eng);
    mga_profile *p = (mga_profile *)1;
    mga_diags *d = (mga_diags *)1;
    assert_int_equal(mga_profile_parse(NULL, NULL, "{}", 2, &p, &d), MGA_E_MISUSE);
    assert_null(p);
    assert_null(d);
    p = (mga_profile *)1;
    assert_int_equal(mga_profile_parse(rs, NULL, NULL, 2, &p, NULL), MGA_E_MISUSE);
    assert_null(p);
    assert_int_equal(mga_profile_parse(rs, NULL, "{}", 2, NULL, NULL), MGA_E_MISUSE);
    mga_profile_free(NULL);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A reused profile gives, record after record, what a fresh parse gives: the same result
 * (nothing of the previous record left over: fields, set symbols, the id), the same
 * diagnostics, and after an error no profile to evaluate. */
static void reuse_equals_fresh(mga_engine *eng)
{
    mga_ruleset *rs = compile_ok(
        eng,
        "rule r when age is known then inform say \"x\" cite src end\n"
        "rule d when balanced_diet then inform say \"y\" cite src end\n"
        "rule k when conditions has kidney_disease then warn severity critical say \"z\" "
        "cite src end\n",
        NULL);
    char big[4096];
    int n = snprintf(big, sizeof big, "{\"id\":\"%0*d\",\"age\":40}", 3000, 7);
    assert_true(n > 3000 && (size_t)n < sizeof big);
    const char *seq[] = {
        "{\"id\":\"a\",\"age\":30,\"balanced_diet\":true,\"conditions\":[\"kidney_disease\"]}",
        "{\"age\":31}",                                  /* no id, no set: nothing left over */
        "{\"id\":\"b\",\"age\":\"old\"}",                  /* an error */
        "{\"id\":\"c\",\"conditions\":[\"ibs\"],\"agee\":1}", /* an error, or a warning */
        "{\"conditions\":[\"nope\"]}",                     /* an unknown symbol */
        big,                                              /* a long id: buffers grow */
        "{\"id\":\"d\"}",
        "{",
        "{\"balanced_diet\":false,\"conditions\":[]}",
        /* the key-order hint (the key that followed the previous key last time): */
        "{\"id\":\"e\",\"age\":30,\"balanced_diet\":true,\"conditions\":[\"ibs\"]}",
        "{\"age\":30,\"id\":\"f\",\"conditions\":[\"ibs\"],\"balanced_diet\":true}", /* swapped */
        "{\"age\":30,\"age\":31}",             /* a duplicate where the hint is another field */
        "{\"ag\":1,\"agee\":2,\"age\":3}",      /* near misses of the hinted name */
        "{\"age\":4}",
    };
    mga_profile *p = NULL;
    mga_result *r = NULL;
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        mga_profile *fresh = NULL;
        mga_diags *fd = NULL, *rd = (mga_diags *)1;
        mga_status fs = mga_profile_parse(rs, "p", seq[i], strlen(seq[i]), &fresh, &fd);
        mga_status st = mga_profile_parse_reuse(rs, "p", seq[i], strlen(seq[i]), &p, &rd);
        assert_int_equal(st, fs);
        assert_non_null(p); /* kept on every outcome */
        if (mga_diags_count(fd)) {
            char *want = render_diags(fd), *got = render_diags(rd);
            assert_string_equal(got, want);
            free(want);
            free(got);
        } else {
            assert_null(rd); /* no diagnostics: none made */
        }
        if (fs == MGA_OK) {
            char *want = eval_json(rs, seq[i]);
            assert_int_equal(mga_evaluate_reuse(rs, p, &r), MGA_OK);
            char *got = result_string(r, MGA_FORMAT_JSON);
            assert_string_equal(got, want);
            free(want);
            free(got);
        } else {
            mga_result *x = NULL;
            assert_int_equal(mga_evaluate(rs, p, &x), MGA_E_MISUSE);
            assert_null(x);
            assert_int_equal(mga_evaluate_reuse(rs, p, &r), MGA_E_MISUSE);
        }
        mga_diags_free(fd);
        mga_diags_free(rd);
        mga_profile_free(fresh);
    }
    /* a profile of another rule set is refused and left alone */
    mga_ruleset *other = rules(eng);
    mga_profile *q = p;
    assert_int_equal(mga_profile_parse_reuse(other, "p", "{}", 2, &q, NULL), MGA_E_MISUSE);
    assert_ptr_equal(q, p);
    assert_int_equal(mga_profile_parse_reuse(rs, "p", NULL, 2, &q, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_profile_parse_reuse(rs, "p", "{}", 2, NULL, NULL), MGA_E_MISUSE);
    mga_ruleset_free(other);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* An id given as a JSON integer (a database key) is kept as its digits and written back
 * unquoted in every JSON form; a string id stays a string, also when a reused profile held
 * an integer before; a number that is no integer is E4002. */
static void test_profile_id_integer_echoed(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = rules(eng);
    mga_profile *p = NULL;
    mga_result *r = NULL;
    static const struct {
        const char *json, *id, *out;
        bool number;
    } cases[] = {
        {"{\"id\": 42, \"age\": 30}", "42", "{\"id\":42,", true},
        {"{\"age\": 30, \"id\": -7}", "-7", "{\"id\":-7,", true},
        {"{\"id\": 98765432109876543210987}", "98765432109876543210987",
         "{\"id\":98765432109876543210987,", true},
        {"{\"id\": \"42\"}", "42", "{\"id\":\"42\",", false},
        {"{\"age\": 30}", NULL, "{\"id\":null,", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *json = cases[i].json;
        assert_int_equal(mga_profile_parse_reuse(rs, NULL, json, strlen(json), &p, NULL), MGA_OK);
        assert_int_equal(mga_evaluate_reuse(rs, p, &r), MGA_OK);
        if (cases[i].id)
            assert_string_equal(mga_result_id(r), cases[i].id);
        else
            assert_null(mga_result_id(r));
        assert_int_equal(mga_result_id_is_number(r), cases[i].number);
        /* (the lean form has no id: its batch record carries it) */
        char *js = result_string(r, MGA_FORMAT_JSON);
        assert_true(strncmp(js, cases[i].out, strlen(cases[i].out)) == 0);
        free(js);
    }
    assert_false(mga_result_id_is_number(NULL));
    mga_result_free(r);
    mga_profile_free(p);
    static const pcase bad[] = {
        {"{\"id\": 1.5}", 4002, "$.id: expected a string or an integer, found a number (byte 7)",
         NULL, 7, 3},
        {"{\"id\": 1e3}", 4002, "$.id: expected a string or an integer, found a number (byte 7)",
         NULL, 7, 3},
        {"{\"id\": true}", 4002,
         "$.id: expected a string or an integer, found a boolean (byte 7)", NULL, 7, 4},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_profile_error(rs, &bad[i]);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Strict and with unknown fields allowed (warnings kept, then none left over). */
static void test_profile_parse_reuse_equals_fresh(void **state)
{
    (void)state;
    reuse_equals_fresh(make_engine());
    reuse_equals_fresh(make_engine_lenient());
}

/* Out of memory at each allocation of a reused parse: MGA_E_NOMEM or success, never a
 * leak, and a profile that failed is refused by evaluation. */
static void test_profile_parse_reuse_oom(void **state)
{
    (void)state;
    const char *json = "{\"id\":\"abc\",\"age\":30,\"conditions\":[\"ibs\"],\"agee\":1}";
    for (long k = 0;; k++) {
        fail_state fs = {0, -1, false, 0};
        mga_options opt;
        mga_options_init(&opt);
        opt.realloc_fn = fail_realloc;
        opt.alloc_ud = &fs;
        opt.allow_unknown_fields = true; /* the warning kept for the result is in the loop */
        mga_engine *eng = NULL;
        assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
        mga_ruleset *rs = rules(eng);
        fs.calls = 0;
        fs.fail_at = k;
        mga_profile *p = NULL;
        mga_diags *d = NULL;
        mga_status st = mga_profile_parse_reuse(rs, "p", json, strlen(json), &p, &d);
        if (st == MGA_OK) /* again, warm: the second parse reuses what the first made */
            st = mga_profile_parse_reuse(rs, "p", json, strlen(json), &p, NULL);
        assert_true(st == MGA_OK || st == MGA_E_NOMEM);
        if (st == MGA_E_NOMEM && p) {
            mga_result *r = NULL;
            assert_int_equal(mga_evaluate(rs, p, &r), MGA_E_MISUSE);
        }
        mga_diags_free(d);
        mga_profile_free(p);
        mga_ruleset_free(rs);
        mga_engine_free(eng);
        assert_int_equal(fs.live, 0);
        if (!fs.failed)
            break;
        assert_true(k < 1000);
    }
}

/* A field without a range takes the engine's own (1e300 in the base unit): at the limit a
 * value is read, past it (here only after the unit conversion) it is an error, so no sum
 * of two values overflows to inf in a comparison. */
static void test_profile_values_within_engine_range(void **state)
{
    (void)state;
    static const char *text = "ruleset \"r\"\n"
                              "disclaimer \"Not medical advice.\"\n"
                              "source src \"S\"\n"
                              "end\n"
                              "dimension mass base mg\n"
                              "  unit g = 1000 mg\n"
                              "end\n"
                              "profile\n"
                              "  a: number mg\n"
                              "  b: number mg\n"
                              "end\n"
                              "rule nothing when a + b <= 0 mg then inform say \"x\" cite src end\n";
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    assert_int_equal(mga_compile(eng, "r.mga", text, strlen(text), &rs, NULL), MGA_OK);
    char *out = eval_json(rs, "{\"a\": 1e300, \"b\": {\"value\": -1e297, \"unit\": \"g\"}}");
    assert_non_null(strstr(out, "\"rule\":\"nothing\""));
    free(out);
    static const pcase past[] = {
        {"{\"a\": 1e308, \"b\": 1e308}", 4003,
         "$.a: 1e+308 mg is outside the range -1e300..1e300 mg (byte 6)", NULL, 6, 5},
        {"{\"b\": {\"value\": 1e298, \"unit\": \"g\"}}", 4003,
         "$.b: 1e+298 g is outside the range -1e300..1e300 mg (byte 16)", NULL, 16, 1},
    };
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", past[0].json, strlen(past[0].json), &p, &d),
                     MGA_E_PROFILE);
    assert_int_equal(mga_diags_error_count(d), 2);
    expect_diag(d, 4003, past[0].message);
    mga_diags_free(d);
    check_profile_error(rs, &past[1]);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_malformed_json),
        cmocka_unit_test(test_profile_wrong_type_and_range),
        cmocka_unit_test(test_profile_symbols_and_units),
        cmocka_unit_test(test_profile_top_level_and_empty),
        cmocka_unit_test(test_profile_nesting_too_deep),
        cmocka_unit_test(test_profile_unknown_field_is_an_error),
        cmocka_unit_test(test_profile_unknown_field_allowed_warns_in_result),
        cmocka_unit_test(test_profile_diagnostics_capped),
        cmocka_unit_test(test_profile_string_escapes),
        cmocka_unit_test(test_profile_null_means_missing),
        cmocka_unit_test(test_profile_id_and_quantity_extras),
        cmocka_unit_test(test_profile_invalid_arguments),
        cmocka_unit_test(test_profile_id_integer_echoed),
        cmocka_unit_test(test_profile_parse_reuse_equals_fresh),
        cmocka_unit_test(test_profile_parse_reuse_oom),
        cmocka_unit_test(test_profile_values_within_engine_range),
    };
    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
