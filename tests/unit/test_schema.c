/* SPDX-License-Identifier: MIT */
/* Unit tests for the profile schema (engine/schema.c through mga_ruleset_write_schema, and
 * the description and range of mga_ruleset_field): each field type, quantities with their
 * range in every unit, unknown fields, descriptions, determinism, errors and out of
 * memory. */
#include "helpers.h"

#include <yajl/yajl_tree.h>

static char *schema(const mga_ruleset *rs)
{
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_ruleset_write_schema(rs, tbuf_write, &b), MGA_OK);
    assert_non_null(b.p);
    return b.p;
}

static yajl_val parse(const char *s)
{
    char err[256];
    yajl_val v = yajl_tree_parse(s, err, sizeof err);
    if (!v)
        fail_msg("invalid JSON: %s\n%s", err, s);
    return v;
}

static yajl_val at(yajl_val v, const char *a, const char *b, const char *c)
{
    const char *path[] = {a, b, c, NULL};
    return yajl_tree_get(v, path, yajl_t_any);
}

static yajl_val prop(yajl_val doc, const char *field)
{
    yajl_val v = at(doc, "properties", field, NULL);
    assert_non_null(v);
    return v;
}

/* The array v's strings joined by ',' into buf. */
static const char *joined(yajl_val v, char *buf, size_t cap)
{
    assert_true(YAJL_IS_ARRAY(v));
    buf[0] = '\0';
    for (size_t i = 0; i < v->u.array.len; i++) {
        yajl_val e = v->u.array.values[i];
        strncat(buf, i ? "," : "", cap - strlen(buf) - 1);
        const char *t = YAJL_IS_STRING(e) ? YAJL_GET_STRING(e) : NULL;
        strncat(buf, t ? t : "null", cap - strlen(buf) - 1);
    }
    return buf;
}

static double num(yajl_val v)
{
    assert_true(YAJL_IS_NUMBER(v));
    return YAJL_GET_DOUBLE(v);
}

static void test_schema_field_types(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, "", NULL);
    char *s = schema(rs);
    yajl_val doc = parse(s);
    char buf[256];
    assert_string_equal(YAJL_GET_STRING(at(doc, "$schema", NULL, NULL)),
                        "https://json-schema.org/draft/2020-12/schema");
    assert_string_equal(YAJL_GET_STRING(at(doc, "title", NULL, NULL)), "test rules");
    assert_string_equal(YAJL_GET_STRING(at(doc, "type", NULL, NULL)), "object");
    assert_true(YAJL_IS_FALSE(at(doc, "additionalProperties", NULL, NULL)));
    /* one property per field, in declaration order */
    yajl_val props = at(doc, "properties", NULL, NULL);
    assert_int_equal(props->u.object.len, mga_ruleset_field_count(rs));
    for (size_t i = 0; i < props->u.object.len; i++) {
        mga_field_info fi;
        assert_int_equal(mga_ruleset_field(rs, i, &fi), MGA_OK);
        assert_string_equal(props->u.object.keys[i], fi.name);
    }
    /* the id: a string or an integer (a database key), as the profile reader takes it */
    assert_string_equal(joined(at(prop(doc, "id"), "type", NULL, NULL), buf, sizeof buf),
                        "string,integer,null");
    assert_string_equal(joined(at(prop(doc, "pregnant"), "type", NULL, NULL), buf, sizeof buf),
                        "boolean,null");
    assert_string_equal(joined(at(prop(doc, "sex"), "enum", NULL, NULL), buf, sizeof buf),
                        "female,male,null");
    yajl_val set = prop(doc, "conditions");
    assert_string_equal(joined(at(set, "type", NULL, NULL), buf, sizeof buf), "array,null");
    assert_string_equal(joined(at(set, "items", "enum", NULL), buf, sizeof buf),
                        "kidney_disease,ibs,insomnia");
    assert_true(YAJL_IS_TRUE(at(set, "uniqueItems", NULL, NULL)));
    /* a dimensionless number: its range, no quantity form */
    yajl_val score = prop(doc, "score");
    assert_string_equal(joined(at(score, "type", NULL, NULL), buf, sizeof buf), "number,null");
    assert_true(num(at(score, "minimum", NULL, NULL)) == -10);
    assert_true(num(at(score, "maximum", NULL, NULL)) == 10);
    assert_null(at(score, "anyOf", NULL, NULL));
    yajl_tree_free(doc);
    free(s);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The {"value", "unit"} alternative of field f in doc, and the bounds it gives unit u. */
static void unit_bounds(yajl_val doc, const char *f, const char *u, double *lo, double *hi)
{
    yajl_val any = at(prop(doc, f), "anyOf", NULL, NULL);
    assert_int_equal(any->u.array.len, 3);
    assert_string_equal(YAJL_GET_STRING(at(any->u.array.values[0], "type", NULL, NULL)), "null");
    yajl_val obj = any->u.array.values[2];
    assert_string_equal(YAJL_GET_STRING(at(obj, "type", NULL, NULL)), "object");
    char buf[128];
    assert_string_equal(joined(at(obj, "required", NULL, NULL), buf, sizeof buf), "value,unit");
    yajl_val all = at(obj, "allOf", NULL, NULL);
    for (size_t i = 0; i < all->u.array.len; i++) {
        yajl_val r = all->u.array.values[i];
        const char *ip[] = {"if", "properties", "unit", "const", NULL};
        yajl_val c = yajl_tree_get(r, ip, yajl_t_string);
        const char *cu = c ? YAJL_GET_STRING(c) : NULL;
        assert_non_null(cu);
        if (strcmp(cu, u) != 0)
            continue;
        yajl_val v = at(r, "then", "properties", "value");
        assert_non_null(v);
        *lo = num(at(v, "minimum", NULL, NULL));
        *hi = num(at(v, "maximum", NULL, NULL));
        return;
    }
    fail_msg("no bounds for unit %s of %s", u, f);
}

static void test_schema_quantities(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, "", NULL);
    char *s = schema(rs);
    yajl_val doc = parse(s);
    char buf[128];
    /* a plain number is in the declared unit */
    yajl_val plain = at(prop(doc, "age"), "anyOf", NULL, NULL)->u.array.values[1];
    assert_true(num(at(plain, "minimum", NULL, NULL)) == 0);
    assert_true(num(at(plain, "maximum", NULL, NULL)) == 130);
    yajl_val obj = at(prop(doc, "age"), "anyOf", NULL, NULL)->u.array.values[2];
    assert_string_equal(joined(at(obj, "properties", "unit", "enum"), buf, sizeof buf),
                        "days,weeks,years");
    double lo, hi;
    unit_bounds(doc, "age", "years", &lo, &hi);
    assert_true(lo == 0 && hi == 130);
    unit_bounds(doc, "age", "days", &lo, &hi);
    assert_true(lo == 0 && hi == 130 * 365.25);
    unit_bounds(doc, "vitamin_d_level", "nmol/L", &lo, &hi);
    assert_true(lo == 0 && hi == 500 * 2.496);
    unit_bounds(doc, "supplement_mg", "g", &lo, &hi);
    assert_true(lo == 0 && hi == 10);
    yajl_tree_free(doc);
    free(s);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_schema_unknown_fields_allowed(void **state)
{
    (void)state;
    mga_engine *eng = make_engine_lenient();
    mga_ruleset *rs = compile_ok(eng, "", NULL);
    char *s = schema(rs);
    yajl_val doc = parse(s);
    assert_true(YAJL_IS_TRUE(at(doc, "additionalProperties", NULL, NULL)));
    yajl_val obj = at(prop(doc, "age"), "anyOf", NULL, NULL)->u.array.values[2];
    assert_true(YAJL_IS_TRUE(at(obj, "additionalProperties", NULL, NULL)));
    yajl_tree_free(doc);
    free(s);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static const char described[] =
    "ruleset \"d\"\n"
    "disclaimer \"x\"\n"
    "source s \"S\" end\n"
    "dimension mass base mg unit g = 1000 mg end\n"
    "# not a description: a blank line follows\n"
    "\n"
    "profile\n"
    "  # The dose taken.\n"
    "  # In mg.\n"
    "  dose_mg: number mg range 0..800  # per day\n"
    "  kind: one of a,   # first\n"
    "    b               # second\n"
    "  plain: boolean\n"
    "  text_with_quote: text  # say \"it\"\n"
    "end\n"
    "rule r when dose_mg > 1 g and kind is a and plain and text_with_quote is known\n"
    "  then inform say \"x\" cite s end\n";

static void test_schema_descriptions(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile(eng, "d.mga", described, sizeof described - 1, &rs, &d), MGA_OK);
    mga_diags_free(d);
    mga_field_info fi;
    assert_int_equal(mga_ruleset_field(rs, 0, &fi), MGA_OK);
    assert_string_equal(fi.description, "The dose taken. In mg. per day");
    assert_true(fi.has_range);
    assert_true(fi.minimum == 0 && fi.maximum == 800);
    assert_int_equal(mga_ruleset_field(rs, 1, &fi), MGA_OK);
    assert_string_equal(fi.description, "first second");
    assert_false(fi.has_range);
    assert_int_equal(mga_ruleset_field(rs, 2, &fi), MGA_OK);
    assert_null(fi.description);
    assert_int_equal(mga_ruleset_field(rs, 3, &fi), MGA_OK);
    assert_string_equal(fi.description, "say \"it\"");
    char *s = schema(rs);
    yajl_val doc = parse(s);
    assert_string_equal(YAJL_GET_STRING(at(prop(doc, "dose_mg"), "description", NULL, NULL)),
                        "The dose taken. In mg. per day");
    assert_string_equal(
        YAJL_GET_STRING(at(prop(doc, "text_with_quote"), "description", NULL, NULL)),
        "say \"it\"");
    assert_null(at(prop(doc, "plain"), "description", NULL, NULL));
    yajl_tree_free(doc);
    free(s);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_schema_deterministic(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *a = compile_ok(eng, "", NULL), *b = compile_ok(eng, "", NULL);
    char *sa = schema(a), *sb = schema(b), *sa2 = schema(a);
    assert_string_equal(sa, sb);
    assert_string_equal(sa, sa2);
    assert_int_equal(sa[strlen(sa) - 1], '\n');
    assert_int_not_equal(sa[strlen(sa) - 2], '\n');
    free(sa);
    free(sb);
    free(sa2);
    mga_ruleset_free(a);
    mga_ruleset_free(b);
    mga_engine_free(eng);
}

static void test_schema_errors(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, "", NULL);
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_ruleset_write_schema(NULL, tbuf_write, &b), MGA_E_MISUSE);
    assert_int_equal(mga_ruleset_write_schema(rs, NULL, &b), MGA_E_MISUSE);
    b.fail_after = 0;
    assert_int_equal(mga_ruleset_write_schema(rs, tbuf_write, &b), MGA_E_WRITE);
    assert_null(b.p);
    mga_field_info fi;
    assert_int_equal(mga_ruleset_field(rs, 999, &fi), MGA_E_MISUSE);
    assert_null(fi.description);
    assert_false(fi.has_range);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static mga_status write_schema_step(void *ud)
{
    tbuf b = TBUF_INIT;
    mga_status st = mga_ruleset_write_schema(ud, tbuf_write, &b);
    free(b.p);
    return st;
}

static mga_status compile_described_step(void *ud)
{
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_compile(ud, "d.mga", described, sizeof described - 1, &rs, &d);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    return st;
}

static void test_schema_oom_loop(void **state)
{
    (void)state;
    fail_state fs = {0, -1, false, 0};
    mga_engine *eng = fail_engine(&fs);
    mga_ruleset *rs = compile_ok(eng, "", NULL);
    fail_each(&fs, write_schema_step, rs);
    /* compiling with descriptions, each allocation failing in turn */
    fail_each(&fs, compile_described_step, eng);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_field_types),
        cmocka_unit_test(test_schema_quantities),
        cmocka_unit_test(test_schema_unknown_fields_allowed),
        cmocka_unit_test(test_schema_descriptions),
        cmocka_unit_test(test_schema_deterministic),
        cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_schema_oom_loop),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
