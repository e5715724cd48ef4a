/* SPDX-License-Identifier: MIT */
/* Unit tests for the lean results (MGA_FORMAT_JSON_LEAN) and the rule set's catalog
 * (mga_ruleset_write_catalog): a lean result joined with the catalog must give back the
 * full MGA_FORMAT_JSON result, member by member, advice item by advice item and
 * reference by reference. */
#include "helpers.h"

#include "eval.h"
#include "genprofile.h"

#include <dirent.h>
#include <yajl/yajl_tree.h>

/* ---- JSON values (yajl_tree) ---- */

static yajl_val parse_json(const char *text)
{
    char err[256];
    yajl_val v = yajl_tree_parse(text, err, sizeof err);
    if (!v)
        fail_msg("not JSON (%s): %.300s", err, text);
    return v;
}

/* Member key of object o, or NULL. */
static yajl_val member(yajl_val o, const char *key)
{
    assert_true(YAJL_IS_OBJECT(o));
    for (size_t i = 0; i < o->u.object.len; i++)
        if (strcmp(o->u.object.keys[i], key) == 0)
            return o->u.object.values[i];
    return NULL;
}

static yajl_val must(yajl_val o, const char *key)
{
    yajl_val v = member(o, key);
    if (!v)
        fail_msg("no member '%s'", key);
    return v;
}

/* Equal values, objects with the same keys in the same order. */
static bool json_equal(yajl_val a, yajl_val b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case yajl_t_string:
        return strcmp(a->u.string, b->u.string) == 0;
    case yajl_t_number:
        return strcmp(a->u.number.r, b->u.number.r) == 0;
    case yajl_t_object:
        if (a->u.object.len != b->u.object.len)
            return false;
        for (size_t i = 0; i < a->u.object.len; i++)
            if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
                !json_equal(a->u.object.values[i], b->u.object.values[i]))
                return false;
        return true;
    case yajl_t_array:
        if (a->u.array.len != b->u.array.len)
            return false;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!json_equal(a->u.array.values[i], b->u.array.values[i]))
                return false;
        return true;
    default: /* true, false, null */
        return true;
    }
}

static const char *str_of(yajl_val v)
{
    return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

/* ---- the join ---- */

/* Member i of an array. */
static yajl_val at(yajl_val a, size_t i)
{
    assert_true(YAJL_IS_ARRAY(a) && i < a->u.array.len);
    return a->u.array.values[i];
}

/* A lean dose member, or NULL (JSON null) when the lean result leaves it out. */
static bool same_or_absent(yajl_val full_v, yajl_val lean_v)
{
    return lean_v ? json_equal(full_v, lean_v) : YAJL_IS_NULL(full_v);
}

/* Rebuilds the full result from a lean one and the catalog, and compares it with full,
 * member by member (docs/OUTPUT.md): ruleset from the catalog, warnings, the summary from
 * the decision, the forms, the dose and see_doctor with the catalog's urgencies, every
 * advice item as catalog.rules[ID], every references entry from catalog.sources. Returns
 * the number of advice items. */
static size_t check_join(yajl_val full, yajl_val lean, yajl_val cat)
{
    static const char *const keys[] = {"ruleset_hash", "warnings", "decision", "decided_by",
                                       "advice", "see_doctor", "dose", "forms", "overruled",
                                       "disclaimer"};
    /* the lean members, in order; warnings only with the full result's */
    size_t nl = 0;
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        if (k == 1 && !member(full, "warnings"))
            continue;
        assert_true(nl < lean->u.object.len);
        assert_string_equal(lean->u.object.keys[nl], keys[k]);
        nl++;
    }
    assert_int_equal(nl, lean->u.object.len);
    assert_true(json_equal(must(full, "ruleset"), must(cat, "ruleset")));
    assert_true(json_equal(must(lean, "ruleset_hash"), must(must(cat, "ruleset"), "hash")));
    if (member(full, "warnings"))
        assert_true(json_equal(must(full, "warnings"), must(lean, "warnings")));
    assert_non_null(str_of(must(lean, "disclaimer")));
    assert_true(json_equal(must(full, "disclaimer"), must(lean, "disclaimer")));
    assert_true(json_equal(must(full, "overruled"), must(lean, "overruled")));
    yajl_val rules = must(cat, "rules"), sources = must(cat, "sources");

    yajl_val sum = must(full, "summary"), ldose = must(lean, "dose"), lforms = must(lean, "forms");
    const char *decision = str_of(must(lean, "decision"));
    assert_true(json_equal(must(sum, "decision"), must(lean, "decision")));
    assert_true(json_equal(must(sum, "decided_by"), must(lean, "decided_by")));
    assert_true(json_equal(must(sum, "prefer"), must(lforms, "prefer")));
    /* the dose: the lean one leaves out what the result does not give */
    yajl_val fdose = must(full, "dose");
    assert_int_equal(fdose->u.object.len, 6);
    for (size_t i = 0; i < fdose->u.object.len; i++) {
        const char *k = fdose->u.object.keys[i];
        if (!same_or_absent(fdose->u.object.values[i], member(ldose, k)))
            fail_msg("dose member '%s' differs", k);
        if (strstr(k, "_mg") && !json_equal(must(sum, k), fdose->u.object.values[i]))
            fail_msg("summary member '%s' differs from the dose", k);
    }
    for (size_t i = 0; i < ldose->u.object.len; i++) {
        assert_non_null(member(fdose, ldose->u.object.keys[i]));
        assert_false(YAJL_IS_NULL(ldose->u.object.values[i]));
    }
    /* forms: "supplements" is the decision's */
    yajl_val fforms = must(full, "forms");
    const char *supp = str_of(must(fforms, "supplements"));
    assert_string_equal(supp, strcmp(decision, "do_not_take") == 0        ? "avoid"
                              : strcmp(decision, "ask_doctor_first") == 0 ? "ask_doctor"
                                                                          : "allowed");
    assert_int_equal(fforms->u.object.len, 4);
    assert_int_equal(lforms->u.object.len, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(fforms->u.object.keys[i + 1], lforms->u.object.keys[i]);
        assert_true(json_equal(fforms->u.object.values[i + 1], lforms->u.object.values[i]));
    }
    /* see_doctor: the rules in order, each reason's urgency the catalog item's refer */
    yajl_val fsee = must(sum, "see_doctor"), lsee = must(lean, "see_doctor");
    if (YAJL_IS_NULL(fsee)) {
        assert_true(YAJL_IS_NULL(lsee));
    } else {
        assert_true(json_equal(must(fsee, "urgency"), must(lsee, "urgency")));
        yajl_val reasons = must(fsee, "reasons"), lr = must(lsee, "rules");
        assert_int_equal(reasons->u.array.len, lr->u.array.len);
        for (size_t i = 0; i < lr->u.array.len; i++) {
            yajl_val r = at(reasons, i);
            assert_true(json_equal(must(r, "rule"), at(lr, i)));
            yajl_val item = member(rules, str_of(at(lr, i)));
            assert_non_null(item);
            assert_true(json_equal(must(r, "urgency"), must(item, "refer")));
        }
    }

    yajl_val fa = must(full, "advice"), ba = must(lean, "advice");
    assert_true(YAJL_IS_ARRAY(fa) && YAJL_IS_ARRAY(ba));
    assert_int_equal(fa->u.array.len, ba->u.array.len);

    /* the references the joined items cite, as the full result numbers them */
    const char *rsrc[512];
    yajl_val rref[512];
    size_t nref = 0;
    for (size_t i = 0; i < fa->u.array.len; i++) {
        yajl_val f = fa->u.array.values[i], b = ba->u.array.values[i];
        /* [ID, KIND, SEVERITY]; the full item is the catalog's with the rank in front */
        assert_true(YAJL_IS_ARRAY(b));
        assert_int_equal(b->u.array.len, 3);
        assert_string_equal(f->u.object.keys[0], "rank");
        assert_int_equal(YAJL_GET_INTEGER(must(f, "rank")), (long long)i + 1);
        const char *id = str_of(at(b, 0));
        assert_non_null(id);
        yajl_val item = member(rules, id);
        if (!item)
            fail_msg("rule '%s' is not in the catalog", id);
        struct yajl_val_s rest = *f;
        rest.u.object.keys++;
        rest.u.object.values++;
        rest.u.object.len--;
        if (!json_equal(item, &rest))
            fail_msg("advice item %zu (%s): the catalog's item differs from the full one", i,
                     id);
        assert_true(json_equal(at(b, 1), must(item, "kind")));
        assert_true(json_equal(at(b, 2), must(item, "severity")));
        yajl_val cites = must(item, "cite");
        assert_true(cites->u.array.len > 0); /* every item stays cited */
        for (size_t c = 0; c < cites->u.array.len; c++) {
            const char *s = str_of(must(cites->u.array.values[c], "source"));
            yajl_val r = must(cites->u.array.values[c], "ref");
            size_t k = 0;
            while (k < nref && !(strcmp(rsrc[k], s) == 0 && json_equal(rref[k], r)))
                k++;
            if (k == nref) {
                assert_true(nref < 512);
                rsrc[nref] = s;
                rref[nref++] = r;
            }
        }
    }

    yajl_val refs = must(full, "references");
    assert_int_equal(refs->u.array.len, nref);
    for (size_t k = 0; k < nref; k++) {
        yajl_val e = refs->u.array.values[k];
        assert_int_equal(e->u.object.len, 7);
        assert_true(YAJL_IS_INTEGER(must(e, "n")));
        assert_int_equal(YAJL_GET_INTEGER(must(e, "n")), (long long)k + 1);
        assert_string_equal(str_of(must(e, "source")), rsrc[k]);
        assert_true(json_equal(must(e, "ref"), rref[k]));
        yajl_val src = NULL;
        for (size_t s = 0; s < sources->u.array.len && !src; s++)
            if (strcmp(str_of(must(sources->u.array.values[s], "source")), rsrc[k]) == 0)
                src = sources->u.array.values[s];
        if (!src)
            fail_msg("source '%s' is not in the catalog", rsrc[k]);
        assert_true(json_equal(must(e, "document"), must(src, "document")));
        assert_true(json_equal(must(e, "author"), must(src, "author")));
        assert_true(json_equal(must(e, "publisher"), must(src, "publisher")));
        yajl_val text = NULL;
        if (YAJL_IS_INTEGER(rref[k])) {
            yajl_val list = must(src, "references");
            for (size_t j = 0; j < list->u.array.len && !text; j++)
                if (json_equal(must(list->u.array.values[j], "ref"), rref[k]))
                    text = must(list->u.array.values[j], "text");
            if (!text)
                fail_msg("reference %lld of '%s' is not in the catalog",
                         YAJL_GET_INTEGER(rref[k]), rsrc[k]);
        } else {
            assert_true(YAJL_IS_NULL(rref[k]));
        }
        if (text)
            assert_true(json_equal(must(e, "text"), text));
        else
            assert_true(YAJL_IS_NULL(must(e, "text")));
    }
    return fa->u.array.len;
}

static char *catalog_string(const mga_ruleset *rs)
{
    tbuf b = TBUF_INIT;
    b.fail_after = 1; /* one call of fn */
    assert_int_equal(mga_ruleset_write_catalog(rs, tbuf_write, &b), MGA_OK);
    assert_int_equal(b.writes, 1);
    assert_non_null(b.p);
    assert_true(b.len > 0 && b.p[b.len - 1] == '\n' && !memchr(b.p, '\n', b.len - 1));
    return b.p;
}

/* The catalog holds every rule of rs under its id, the rule set's name, hash and
 * disclaimer, and every source. */
static yajl_val check_catalog(const mga_ruleset *rs, const char *text)
{
    yajl_val cat = parse_json(text);
    assert_int_equal(cat->u.object.len, 4);
    yajl_val rsv = must(cat, "ruleset");
    assert_string_equal(str_of(must(rsv, "hash")), mga_ruleset_hash(rs));
    if (mga_ruleset_name(rs))
        assert_string_equal(str_of(must(rsv, "name")), mga_ruleset_name(rs));
    assert_non_null(str_of(must(cat, "disclaimer")));
    yajl_val rules = must(cat, "rules");
    assert_int_equal(rules->u.object.len, mga_ruleset_rule_count(rs));
    for (size_t i = 0; i < mga_ruleset_rule_count(rs); i++) {
        const char *id = mga_ruleset_rule_id(rs, i);
        assert_string_equal(rules->u.object.keys[i], id);
        yajl_val item = rules->u.object.values[i];
        assert_string_equal(str_of(must(item, "rule")), id);
        assert_true(must(item, "cite")->u.array.len > 0);
    }
    assert_int_equal(must(cat, "sources")->u.array.len, rs->nsources);
    return cat;
}

/* Evaluates json and checks the join; returns the number of advice items, or -1 when the
 * profile has errors. */
static long join_one(const mga_ruleset *rs, yajl_val cat, const char *json, size_t len,
                     mga_result **reuse)
{
    mga_profile *p = NULL;
    if (mga_profile_parse(rs, "p.json", json, len, &p, NULL) != MGA_OK)
        return -1;
    assert_int_equal(mga_evaluate_reuse(rs, p, reuse), MGA_OK);
    char *full = result_string(*reuse, MGA_FORMAT_JSON);
    char *lean = result_string(*reuse, MGA_FORMAT_JSON_LEAN);
    /* one line each, the lean one the shorter */
    assert_true(strlen(lean) > 0 && lean[strlen(lean) - 1] == '\n');
    assert_true(strchr(lean, '\n') == lean + strlen(lean) - 1);
    yajl_val fv = parse_json(full), bv = parse_json(lean);
    size_t n = check_join(fv, bv, cat);
    assert_true(strlen(lean) < strlen(full));
    assert_string_equal(str_of(must(bv, "disclaimer")), str_of(must(cat, "disclaimer")));
    yajl_tree_free(fv);
    yajl_tree_free(bv);
    free(full);
    free(lean);
    mga_profile_free(p);
    return (long)n;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void test_catalog_join_example_profiles(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    const char *paths[] = {"../../rules"};
    assert_int_equal(mga_compile_paths(eng, paths, 1, &rs, NULL), MGA_OK);
    char *text = catalog_string(rs);
    yajl_val cat = check_catalog(rs, text);

    DIR *dir = opendir("../../examples/profiles");
    assert_non_null(dir);
    struct dirent *de;
    size_t profiles = 0, items = 0;
    mga_result *res = NULL;
    while ((de = readdir(dir)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 5 || strcmp(de->d_name + nl - 5, ".json") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "../../examples/profiles/%s", de->d_name);
        size_t len;
        char *json = read_file(path, &len);
        long n = join_one(rs, cat, json, len, &res);
        if (n < 0)
            fail_msg("%s: the profile has errors", path);
        items += (size_t)n;
        profiles++;
        free(json);
    }
    closedir(dir);
    assert_true(profiles >= 20);
    assert_true(items > profiles * 3); /* the examples fire many rules */

    /* generated profiles over the whole schema reach every rule */
    gp_rng rng = {7};
    gp_buf *b = malloc(sizeof *b);
    assert_non_null(b);
    size_t good = 0;
    for (unsigned i = 0; i < 400; i++) {
        gp_profile(&rng, rs, i, 60, b);
        good += join_one(rs, cat, b->p, b->len, &res) >= 0;
    }
    assert_true(good > 200);
    free(b);
    mga_result_free(res);
    yajl_tree_free(cat);
    free(text);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static const char *cat_rules =
    "rule crit when conditions has kidney_disease then avoid supplements then refer soon\n"
    "  severity critical say \"No supplements.\" cite src[2] quote \"exact \\\"words\\\"\"\n"
    "  evidence guideline end\n"
    "rule warn1 then warn severity warning say \"Be careful.\" cite src[1, 3] end\n"
    "rule info1 then prefer glycinate say \"Glycinate is gentle.\" cite src[1] end\n"
    "rule dose1 when age > 1 years dose start 100 mg target 200 mg max 350 mg\n"
    "  say \"Dose.\" cite src end\n";

/* The exact bytes of both, on a small rule set (escapes included). */
static void test_catalog_exact_shape(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, cat_rules, NULL);
    char *text = catalog_string(rs);
    char want[4096];
    snprintf(want, sizeof want,
             "{\"ruleset\":{\"name\":\"test rules\",\"hash\":\"%s\"},"
             "\"disclaimer\":\"Not medical advice.\",\"rules\":{"
             "\"crit\":{\"group\":\"act\",\"rule\":\"crit\",\"kind\":\"avoid\",\"severity\":\"critical\","
             "\"text\":\"No supplements.\",\"evidence\":\"guideline\",\"refer\":\"soon\","
             "\"avoid_supplements\":true,\"cite\":[{\"source\":\"src\",\"ref\":2,"
             "\"quote\":\"exact \\\"words\\\"\"}]},"
             "\"warn1\":{\"group\":\"act\",\"rule\":\"warn1\",\"kind\":\"warn\",\"severity\":\"warning\","
             "\"text\":\"Be careful.\",\"evidence\":null,\"cite\":[{\"source\":\"src\","
             "\"ref\":1,\"quote\":null},{\"source\":\"src\",\"ref\":3,\"quote\":null}]},"
             "\"info1\":{\"group\":\"act\",\"rule\":\"info1\",\"kind\":\"prefer\",\"severity\":\"info\","
             "\"text\":\"Glycinate is gentle.\",\"evidence\":null,\"prefer\":[\"glycinate\"],"
             "\"cite\":[{\"source\":\"src\",\"ref\":1,\"quote\":null}]},"
             "\"dose1\":{\"group\":\"act\",\"rule\":\"dose1\",\"kind\":\"dose\",\"severity\":\"info\","
             "\"text\":\"Dose.\",\"evidence\":null,\"cite\":[{\"source\":\"src\",\"ref\":null,"
             "\"quote\":null}]}},"
             "\"sources\":[{\"source\":\"src\",\"document\":\"Test Source\","
             "\"author\":\"A. Author\",\"publisher\":\"Test Publisher\",\"url\":null,"
             "\"references\":[{\"ref\":1,\"text\":\"Reference one.\"},"
             "{\"ref\":2,\"text\":\"Reference two.\"},{\"ref\":3,\"text\":\"Reference three.\"}]}]}\n",
             mga_ruleset_hash(rs));
    assert_string_equal(text, want);

    const char *json = "{\"id\": \"p1\", \"age\": 40, \"conditions\": [\"kidney_disease\"]}";
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, json, strlen(json), &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    char *lean = result_string(r, MGA_FORMAT_JSON_LEAN);
    snprintf(want, sizeof want,
             "{\"ruleset_hash\":\"%s\",\"decision\":\"do_not_take\",\"decided_by\":[\"crit\"],"
             "\"advice\":[[\"crit\",\"avoid\",\"critical\"],[\"warn1\",\"warn\",\"warning\"]],"
             "\"see_doctor\":{\"urgency\":\"soon\",\"rules\":[\"crit\"]},\"dose\":{},"
             "\"forms\":{\"supplements_rule\":\"crit\",\"prefer\":[],\"avoid\":[]},"
             "\"overruled\":[{\"rule\":\"info1\",\"what\":\"prefer glycinate\",\"by\":\"crit\"},"
             "{\"rule\":\"info1\",\"what\":\"advice item\",\"by\":\"crit\"},"
             "{\"rule\":\"dose1\",\"what\":\"start dose 100 mg\",\"by\":\"crit\"},"
             "{\"rule\":\"dose1\",\"what\":\"target dose 200 mg\",\"by\":\"crit\"},"
             "{\"rule\":\"dose1\",\"what\":\"advice item\",\"by\":\"crit\"}],"
             "\"disclaimer\":\"Not medical advice.\"}\n",
             mga_ruleset_hash(rs));
    assert_string_equal(lean, want);

    /* a dose given: only its members */
    const char *json2 = "{\"id\": 7, \"age\": 40}";
    mga_profile *p2 = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, json2, strlen(json2), &p2, NULL), MGA_OK);
    mga_result *r2 = NULL;
    assert_int_equal(mga_evaluate(rs, p2, &r2), MGA_OK);
    char *lean2 = result_string(r2, MGA_FORMAT_JSON_LEAN);
    assert_contains(lean2, ",\"see_doctor\":null,\"dose\":{\"start_mg\":100,\"start_rule\":"
                           "\"dose1\",\"target_mg\":200,\"target_rule\":\"dose1\",\"max_mg\":350,"
                           "\"max_rule\":\"dose1\"},\"forms\":{\"supplements_rule\":null,");
    free(lean2);
    mga_result_free(r2);
    mga_profile_free(p2);

    /* and the join holds here too */
    yajl_val cat = check_catalog(rs, text);
    char *full = result_string(r, MGA_FORMAT_JSON);
    yajl_val fv = parse_json(full), bv = parse_json(lean);
    assert_int_equal(check_join(fv, bv, cat), 2);
    yajl_tree_free(fv);
    yajl_tree_free(bv);
    yajl_tree_free(cat);
    free(full);
    free(lean);
    free(text);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Strings needing every escape, on generated profiles. */
static void test_catalog_join_escapes(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(
        eng,
        "rule esc1 when age > 30 years then prefer glycinate\n"
        "  say \"Say \\\"q\\\" a\\\\b c/d\\n\\te \\u{1} \\u{7f} caf\\u{e9} \\u{1F600}\"\n"
        "  cite src[2] quote \"a \\\"q\\\" \\\\ /\" evidence expert end\n"
        "rule esc2 when age > 60 years then avoid glycinate dose start 50 mg max 75.5 mg\n"
        "  say \"Second.\" cite src[1, 3] cite src quote \"x\" end\n"
        "rule esc3 when age > 80 years then avoid supplements say \"Third.\" cite src[3] end\n",
        NULL);
    char *text = catalog_string(rs);
    yajl_val cat = check_catalog(rs, text);
    gp_rng rng = {0x9E3779B97F4A7C15ull};
    gp_buf *b = malloc(sizeof *b);
    assert_non_null(b);
    mga_result *res = NULL;
    size_t items = 0;
    for (unsigned i = 0; i < 300; i++) {
        gp_profile(&rng, rs, i, 60, b);
        long n = join_one(rs, cat, b->p, b->len, &res);
        items += n > 0 ? (size_t)n : 0;
    }
    assert_true(items > 100);
    free(b);
    mga_result_free(res);
    yajl_tree_free(cat);
    free(text);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_catalog_bad_arguments_and_write_errors(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, cat_rules, NULL);
    tbuf b = TBUF_INIT;
    assert_int_equal(mga_ruleset_write_catalog(NULL, tbuf_write, &b), MGA_E_MISUSE);
    assert_int_equal(mga_ruleset_write_catalog(rs, NULL, &b), MGA_E_MISUSE);
    assert_null(b.p);
    b.fail_after = 0;
    assert_int_equal(mga_ruleset_write_catalog(rs, tbuf_write, &b), MGA_E_WRITE);

    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, "{\"age\": 9}", 10, &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    tbuf w = TBUF_INIT;
    w.fail_after = 0;
    assert_int_equal(mga_result_write(r, MGA_FORMAT_JSON_LEAN, tbuf_write, &w), MGA_E_WRITE);
    assert_int_equal(mga_result_write(NULL, MGA_FORMAT_JSON_LEAN, tbuf_write, &w),
                     MGA_E_MISUSE);
    assert_int_equal(mga_result_write(r, MGA_FORMAT_JSON_LEAN, NULL, &w), MGA_E_MISUSE);
    assert_int_equal(mga_result_write(r, (mga_format)(MGA_FORMAT_TEXT_ALL + 1), tbuf_write,
                                      &w),
                     MGA_E_MISUSE);
    /* explain has no lean form */
    tbuf x = TBUF_INIT;
    assert_int_equal(mga_result_explain_write(r, NULL, MGA_FORMAT_JSON_LEAN, tbuf_write, &x),
                     MGA_E_MISUSE);
    assert_int_equal(mga_result_explain_write(r, NULL, MGA_FORMAT_JSON_PRETTY, tbuf_write, &x),
                     MGA_E_MISUSE);
    assert_null(x.p);
    /* a reused result writes lean and full lines alternately, each whole */
    char *lean = result_string(r, MGA_FORMAT_JSON_LEAN);
    char *full = result_string(r, MGA_FORMAT_JSON);
    char *lean2 = result_string(r, MGA_FORMAT_JSON_LEAN);
    assert_string_equal(lean, lean2);
    assert_contains(full, "\"references\":[");
    assert_not_contains(lean, "\"references\"");
    assert_not_contains(lean, "\"cite\"");
    free(lean);
    free(lean2);
    free(full);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Allocation N of the writes fails, for every N: each write ends in MGA_E_NOMEM with
 * nothing leaked and nothing written, until the first run with no failure. */
static void test_catalog_oom_loop(void **state)
{
    (void)state;
    fail_state fs = {0, -1, false, 0};
    mga_engine *eng = fail_engine(&fs);
    mga_ruleset *rs = NULL;
    assert_int_equal(compile_rules(eng, cat_rules, &rs, NULL), MGA_OK);
    const char *json = "{\"id\": \"p1\", \"age\": 40}";
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, NULL, json, strlen(json), &p, NULL), MGA_OK);

    char *want_cat = catalog_string(rs);
    long n;
    for (n = 0; n < 1000; n++) {
        mga_result *r = NULL;
        fs.failed = false;
        fs.fail_at = fs.calls + n;
        tbuf c = TBUF_INIT, w = TBUF_INIT;
        mga_status sc = mga_ruleset_write_catalog(rs, tbuf_write, &c);
        mga_status se = mga_evaluate(rs, p, &r);
        mga_status sw = se == MGA_OK ? mga_result_write(r, MGA_FORMAT_JSON_LEAN, tbuf_write, &w)
                                     : se;
        assert_true(sc == MGA_OK || sc == MGA_E_NOMEM);
        assert_true(sw == MGA_OK || sw == MGA_E_NOMEM);
        if (sc != MGA_OK)
            assert_null(c.p);
        else
            assert_string_equal(c.p, want_cat);
        if (sw != MGA_OK)
            assert_null(w.p);
        else
            assert_contains(w.p, "{\"ruleset_hash\":\"");
        free(c.p);
        free(w.p);
        mga_result_free(r);
        bool done = !fs.failed;
        if (done) {
            assert_int_equal(sc, MGA_OK);
            assert_int_equal(sw, MGA_OK);
            break;
        }
    }
    assert_true(n >= 2); /* the catalog buffer and the result both failed once */
    assert_true(n < 1000);
    fs.fail_at = -1;
    free(want_cat);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    assert_int_equal(fs.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_exact_shape),
        cmocka_unit_test(test_catalog_join_example_profiles),
        cmocka_unit_test(test_catalog_join_escapes),
        cmocka_unit_test(test_catalog_bad_arguments_and_write_errors),
        cmocka_unit_test(test_catalog_oom_loop),
    };
    return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
