/* SPDX-License-Identifier: MIT */
/* Unit tests for api.c and the public contract: argument checks, _free(NULL), several
 * sources and folders, every allocation failing in turn (OOM loop) and shared rule sets. */
#include "helpers.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *api_rules =
    "fact older when age >= 55 years\n"
    "rule kidney when conditions has kidney_disease then avoid supplements then refer soon\n"
    "  severity critical say \"No supplements.\" cite src[2] quote \"words\" evidence guideline\n"
    "end\n"
    "rule form_choice when older or balanced_diet then prefer glycinate, citrate then avoid oxide\n"
    "  say \"Forms.\" cite src[1, 3] end\n"
    "rule vitd when vitamin_d_level < 20 ng/mL and sex is one of female, male\n"
    "  then warn severity warning say \"Vitamin D.\" cite src end\n"
    "rule daily_dose when diet_mg + supplement_mg < 400 mg dose start 100 mg max 350 mg\n"
    "  say \"Dose.\" cite src[1] end\n"
    "rule cap when older dose max 200 mg say \"Cap.\" cite src end\n";

/* Its unknown field is read by engines with allow_unknown_fields: a warning the result
 * carries, so that its memory is in the OOM loop and the threads test too. */
static const char *api_profile =
    "{\"id\": \"p-1\", \"age\": 70, \"sex\": \"female\", \"conditions\": [\"ibs\"],"
    " \"symptoms\": [\"nausea\"], \"balanced_diet\": true, \"diet_mg\": 200,"
    " \"supplement_mg\": {\"value\": 0.1, \"unit\": \"g\"},"
    " \"vitamin_d_level\": {\"value\": 40, \"unit\": \"nmol/L\"}, \"unknown\": 1}";

static void test_api_null_arguments(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(NULL, NULL), MGA_E_MISUSE);
    mga_ruleset *rs = (mga_ruleset *)1;
    mga_diags *d = (mga_diags *)1;
    assert_int_equal(mga_compile(NULL, "x", "", 0, &rs, &d), MGA_E_MISUSE);
    assert_null(rs);
    assert_null(d);
    eng = make_engine();
    assert_int_equal(mga_compile(eng, "x", "", 0, NULL, NULL), MGA_E_MISUSE);
    rs = (mga_ruleset *)1;
    assert_int_equal(mga_compile_sources(eng, NULL, 2, &rs, NULL), MGA_E_MISUSE);
    assert_null(rs);
    rs = (mga_ruleset *)1;
    assert_int_equal(mga_compile_paths(eng, NULL, 1, &rs, NULL), MGA_E_MISUSE);
    assert_null(rs);
    mga_result *r = (mga_result *)1;
    assert_int_equal(mga_evaluate(NULL, NULL, &r), MGA_E_MISUSE);
    assert_null(r);
    assert_int_equal(mga_evaluate(NULL, NULL, NULL), MGA_E_MISUSE);
    assert_null(mga_ruleset_name(NULL));
    assert_null(mga_ruleset_hash(NULL));
    assert_int_equal(mga_ruleset_rule_count(NULL), 0);
    assert_null(mga_ruleset_rule_id(NULL, 0));
    assert_int_equal(mga_ruleset_node_count(NULL), 0);
    assert_null(mga_result_id(NULL));
    assert_int_equal(mga_result_advice_count(NULL), 0);
    assert_null(mga_result_advice_ref(NULL, 0));
    assert_null(mga_result_dose_ref(NULL));
    assert_int_equal(mga_result_prefer_count(NULL), 0);
    assert_null(mga_result_prefer_ref(NULL, 0));
    assert_int_equal(mga_result_avoid_count(NULL), 0);
    assert_null(mga_result_avoid_ref(NULL, 0));
    assert_null(mga_result_disclaimer(NULL));
    assert_null(mga_result_summary_ref(NULL));
    mga_engine_free(eng);
}

/* The shipped rules: an 80-year-old on diuretics gets many referrals; the summary merges
 * them into one "see a doctor" entry (most urgent first), the items come in rank order and
 * the default text shows at most 8 of them. */
static void test_api_summary_merges_shipped_referrals(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    const char *paths[] = {"../../rules"};
    assert_int_equal(mga_compile_paths(eng, paths, 1, &rs, NULL), MGA_OK);
    const char *json = "{\"id\": \"old\", \"age\": 80, \"conditions\": [\"hypertension\", "
                       "\"insomnia\"], \"medications\": [\"diuretics\"], \"goals\": [\"sleep\", "
                       "\"immunity\"], \"symptoms\": [\"chest_pain\", \"fatigue\"]}";
    mga_profile *p = NULL;
    assert_int_equal(mga_profile_parse(rs, "p.json", json, strlen(json), &p, NULL), MGA_OK);
    mga_result *r = NULL;
    assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
    const mga_summary *s = mga_result_summary_ref(r);
    assert_non_null(s);
    assert_true(s->nreasons >= 3);
    static const char *const order[] = {"urgent", "soon", "routine"};
    size_t u = 0, refers = 0;
    for (size_t i = 0; i < s->nreasons; i++) {
        while (u < 3 && strcmp(s->reasons[i].urgency, order[u]) != 0)
            u++;
        assert_true(u < 3); /* most urgent first */
    }
    assert_string_equal(s->refer, s->reasons[0].urgency);
    for (size_t i = 0; i < mga_result_advice_count(r); i++) {
        const mga_advice *a = mga_result_advice_ref(r, i);
        refers += a->refer != NULL;
        /* the most severe item leads */
        assert_true(a->severity <= mga_result_advice_ref(r, 0)->severity);
    }
    assert_int_equal(refers, s->nreasons);
    char *txt = result_string(r, MGA_FORMAT_TEXT);
    const char *see = strstr(txt, "\n  See a doctor");
    assert_non_null(see);
    assert_null(strstr(see + 1, "\n  See a doctor"));
    assert_true(strstr(txt, "Summary") < strstr(txt, "  1. "));
    assert_contains(txt, "'mgadvise eval --all' shows every item.");
    assert_contains(txt, "\nDisclaimer: ");
    free(txt);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* An advice item is its rule's (mgadvise.h): the same rule's item is the same in the results
 * of two different profiles, text, referral, cites and all. */
static void test_api_advice_item_is_the_rules(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    const char *paths[] = {"../../rules"};
    assert_int_equal(mga_compile_paths(eng, paths, 1, &rs, NULL), MGA_OK);
    static const char *const json[2] = {
        "{\"age\": 80, \"conditions\": [\"kidney_disease\", \"insomnia\"], "
        "\"goals\": [\"sleep\"]}",
        "{\"age\": 30, \"conditions\": [\"kidney_disease\"], \"goals\": [\"sleep\", "
        "\"immunity\"], \"symptoms\": [\"fatigue\"]}"};
    mga_profile *p[2] = {NULL, NULL};
    mga_result *r[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(mga_profile_parse(rs, "p.json", json[k], strlen(json[k]), &p[k], NULL),
                         MGA_OK);
        assert_int_equal(mga_evaluate(rs, p[k], &r[k]), MGA_OK);
    }
    size_t shared = 0;
    for (size_t i = 0; i < mga_result_advice_count(r[0]); i++) {
        const mga_advice *a = mga_result_advice_ref(r[0], i);
        for (size_t j = 0; j < mga_result_advice_count(r[1]); j++) {
            const mga_advice *b = mga_result_advice_ref(r[1], j);
            if (strcmp(a->rule, b->rule) != 0)
                continue;
            shared++;
            assert_int_equal(a->kind, b->kind);
            assert_int_equal(a->severity, b->severity);
            assert_int_equal(a->group, b->group);
            assert_true(same_str(a->text, b->text) && same_str(a->evidence, b->evidence) &&
                        same_str(a->refer, b->refer));
            assert_int_equal(a->ncites, b->ncites);
            for (size_t c = 0; c < a->ncites; c++)
                assert_true(same_str(a->cites[c].source, b->cites[c].source) &&
                            a->cites[c].ref == b->cites[c].ref &&
                            same_str(a->cites[c].quote, b->cites[c].quote));
        }
    }
    assert_true(shared >= 1); /* at least the kidney disease item */
    for (int k = 0; k < 2; k++) {
        mga_result_free(r[k]);
        mga_profile_free(p[k]);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_api_field_introspection(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = NULL;
    assert_int_equal(compile_rules(eng, api_rules, &rs, NULL), MGA_OK);
    assert_int_equal(mga_ruleset_field_count(rs), 13);
    mga_field_info fi;
    static const struct {
        const char *name;
        mga_field_type type;
        const char *unit;
        size_t nsymbols;
    } want[] = {
        {"id", MGA_FIELD_TEXT, NULL, 0},
        {"note", MGA_FIELD_TEXT, NULL, 0},
        {"age", MGA_FIELD_NUMBER, "years", 0},
        {"sex", MGA_FIELD_ONE_OF, NULL, 2},
        {"activity", MGA_FIELD_ONE_OF, NULL, 3},
        {"conditions", MGA_FIELD_SET, NULL, 3},
        {"symptoms", MGA_FIELD_SET, NULL, 3},
        {"balanced_diet", MGA_FIELD_BOOL, NULL, 0},
        {"pregnant", MGA_FIELD_BOOL, NULL, 0},
        {"diet_mg", MGA_FIELD_NUMBER, "mg", 0},
        {"supplement_mg", MGA_FIELD_NUMBER, "mg", 0},
        {"vitamin_d_level", MGA_FIELD_NUMBER, "ng/mL", 0},
        {"score", MGA_FIELD_NUMBER, NULL, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(mga_ruleset_field(rs, i, &fi), MGA_OK);
        assert_string_equal(fi.name, want[i].name);
        assert_int_equal(fi.type, want[i].type);
        if (want[i].unit)
            assert_string_equal(fi.unit, want[i].unit);
        else
            assert_null(fi.unit);
        assert_int_equal(fi.nsymbols, want[i].nsymbols);
        if (!want[i].nsymbols)
            assert_null(fi.symbols);
    }
    /* symbols in declaration order */
    assert_int_equal(mga_ruleset_field(rs, 4, &fi), MGA_OK);
    assert_string_equal(fi.symbols[0], "low");
    assert_string_equal(fi.symbols[1], "moderate");
    assert_string_equal(fi.symbols[2], "high");
    assert_int_equal(mga_ruleset_field(rs, 5, &fi), MGA_OK);
    assert_string_equal(fi.symbols[0], "kidney_disease");
    assert_string_equal(fi.symbols[2], "insomnia");
    /* past the end and NULLs: an error, and *out zeroed */
    assert_int_equal(mga_ruleset_field(rs, 13, &fi), MGA_E_MISUSE);
    assert_null(fi.name);
    assert_null(fi.symbols);
    assert_int_equal(mga_ruleset_field(rs, 0, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_ruleset_field(NULL, 0, &fi), MGA_E_MISUSE);
    assert_null(fi.name);
    assert_int_equal(mga_ruleset_field_count(NULL), 0);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_api_free_null_is_noop(void **state)
{
    (void)state;
    mga_engine_free(NULL);
    mga_ruleset_free(NULL);
    mga_profile_free(NULL);
    mga_result_free(NULL);
    mga_diags_free(NULL);
    mga_options opt;
    mga_options_init(&opt);
    assert_null(opt.realloc_fn);
    assert_int_equal(opt.max_errors, 20);
    assert_int_equal(opt.max_depth, 64);
    assert_null(opt.sources_dir);
    /* the default allocator works too */
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(NULL, &eng), MGA_OK);
    mga_engine_free(eng);
}

static void test_api_compile_several_sources(void **state)
{
    (void)state;
    mga_engine *eng = make_engine_lenient();
    /* the rules come first, the declarations they use in later files */
    mga_source srcs[3] = {
        {"rules.mga", api_rules, strlen(api_rules)},
        {"decls.mga", PRELUDE, strlen(PRELUDE)},
        {"empty.mga", NULL, 0},
    };
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile_sources(eng, srcs, 3, &rs, &d), MGA_OK);
    assert_int_equal(mga_diags_count(d), 0);
    assert_int_equal(mga_ruleset_rule_count(rs), 5);
    assert_string_equal(mga_ruleset_rule_id(rs, 0), "kidney");
    char *one = eval_json(rs, api_profile);

    /* the same text as one source gives the same advice but another hash */
    mga_ruleset *rs1 = NULL;
    assert_int_equal(compile_rules(eng, api_rules, &rs1, NULL), MGA_OK);
    assert_string_not_equal(mga_ruleset_hash(rs), mga_ruleset_hash(rs1));
    char *two = eval_json(rs1, api_profile);
    assert_string_equal(strstr(one, "\"advice\""), strstr(two, "\"advice\""));
    free(one);
    free(two);
    mga_ruleset_free(rs1);
    mga_diags_free(d);

    /* errors name the file they are in */
    mga_source bad[2] = {{"a.mga", PRELUDE, strlen(PRELUDE)},
                         {"b.mga", "rule r then inform say \"x\" cite nope end\n", 41}};
    mga_ruleset *rs2 = NULL;
    assert_int_equal(mga_compile_sources(eng, bad, 2, &rs2, &d), MGA_E_COMPILE);
    const mga_diag *dg = expect_diag(d, 3014, "unknown source 'nope'");
    assert_string_equal(dg->file, "b.mga");
    assert_int_equal(dg->line, 1);
    assert_int_equal(dg->col, 33);
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

static void test_api_compile_paths_folder_and_missing(void **state)
{
    (void)state;
    char dir[] = "/tmp/mga_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "a_rules.mga", api_rules);
    write_file(dir, "z_decls.mga", PRELUDE);
    write_file(dir, "notes.txt", "not rules @@@");
    write_file(dir, ".hidden.mga", "@@@");
    mga_engine *eng = make_engine();
    const char *paths[] = {dir};
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    assert_int_equal(mga_compile_paths(eng, paths, 1, &rs, &d), MGA_OK);
    assert_int_equal(mga_diags_count(d), 0);
    assert_int_equal(mga_ruleset_rule_count(rs), 5);
    mga_diags_free(d);
    /* the hash is over the files in name order: the same as the two sources */
    mga_source srcs[2] = {{"a", api_rules, strlen(api_rules)}, {"z", PRELUDE, strlen(PRELUDE)}};
    mga_ruleset *rs2 = NULL;
    assert_int_equal(mga_compile_sources(eng, srcs, 2, &rs2, NULL), MGA_OK);
    assert_string_equal(mga_ruleset_hash(rs), mga_ruleset_hash(rs2));
    mga_ruleset_free(rs2);
    mga_ruleset_free(rs);

    /* a file path, and a missing one */
    char file[512], missing[512];
    snprintf(file, sizeof file, "%s/z_decls.mga", dir);
    snprintf(missing, sizeof missing, "%s/missing.mga", dir);
    const char *two[] = {file, missing};
    rs = (mga_ruleset *)1;
    assert_int_equal(mga_compile_paths(eng, two, 2, &rs, &d), MGA_E_IO);
    assert_null(rs);
    char msg[600];
    snprintf(msg, sizeof msg, "cannot read '%s': No such file or directory", missing);
    expect_diag(d, 9005, msg);
    mga_diags_free(d);

    /* a folder with no rule files */
    remove_file(dir, "a_rules.mga");
    remove_file(dir, "z_decls.mga");
    assert_int_equal(mga_compile_paths(eng, paths, 1, &rs, &d), MGA_E_IO);
    snprintf(msg, sizeof msg, "cannot read '%s': no *.mga files in this folder", dir);
    expect_diag(d, 9005, msg);
    mga_diags_free(d);
    remove_file(dir, "notes.txt");
    remove_file(dir, ".hidden.mga");
    rmdir(dir);
    mga_engine_free(eng);
}

/* One full run with allocation `fail_at` failing; returns true when every step succeeded
 * without an injected failure. The JSON goes to *json on success. */
static bool oom_run(long fail_at, char **json, int first_fmt, int last_fmt)
{
    fail_state fs = {0, fail_at, false, 0};
    mga_options opt;
    mga_options_init(&opt);
    opt.realloc_fn = fail_realloc;
    opt.alloc_ud = &fs;
    opt.allow_unknown_fields = true;
    mga_engine *eng = (mga_engine *)1;
    mga_status st = mga_engine_new(&opt, &eng);
    if (st != MGA_OK) {
        assert_int_equal(st, MGA_E_NOMEM);
        assert_null(eng);
        return false;
    }
    size_t lp = strlen(PRELUDE), lr = strlen(api_rules);
    char *text = malloc(lp + lr + 1);
    memcpy(text, PRELUDE, lp);
    memcpy(text + lp, api_rules, lr + 1);
    mga_ruleset *rs = (mga_ruleset *)1;
    mga_diags *d = NULL;
    st = mga_compile(eng, "oom.mga", text, lp + lr, &rs, &d);
    free(text);
    mga_diags_free(d);
    bool ok = false;
    if (st != MGA_OK) {
        assert_int_equal(st, MGA_E_NOMEM);
        assert_null(rs);
        assert_true(fs.failed);
        goto done_engine;
    }
    mga_profile *p = (mga_profile *)1;
    st = mga_profile_parse(rs, "p.json", api_profile, strlen(api_profile), &p, &d);
    mga_diags_free(d);
    if (st != MGA_OK) {
        assert_int_equal(st, MGA_E_NOMEM);
        assert_null(p);
        goto done_rs;
    }
    mga_result *r = (mga_result *)1;
    st = mga_evaluate(rs, p, &r);
    if (st != MGA_OK) {
        assert_int_equal(st, MGA_E_NOMEM);
        assert_null(r);
        goto done_p;
    }
    for (int f = first_fmt; f <= last_fmt; f++) {
        tbuf b = TBUF_INIT;
        st = mga_result_write(r, (mga_format)f, tbuf_write, &b);
        if (st == MGA_OK && f == first_fmt)
            *json = b.p;
        else
            free(b.p);
        if (st != MGA_OK) {
            /* the writer never fails here, so only running out of memory may stop it */
            assert_int_equal(st, MGA_E_NOMEM);
            break;
        }
    }
    if (st == MGA_OK) { /* the parts list is the result's, allocated on first use */
        const mga_part *v = (const mga_part *)1;
        size_t n = 1;
        st = mga_result_parts(r, MGA_FORMAT_JSON, &v, &n);
        if (st != MGA_OK) {
            assert_int_equal(st, MGA_E_NOMEM);
            assert_null(v);
            assert_int_equal(n, 0);
        } else {
            assert_true(n > 0);
        }
    }
    ok = st == MGA_OK && !fs.failed;
    mga_result_free(r);
done_p:
    mga_profile_free(p);
done_rs:
    mga_ruleset_free(rs);
done_engine:
    mga_engine_free(eng);
    if (fs.live != 0)
        fail_msg("allocation %ld failing leaked %ld block(s)", fail_at, fs.live);
    return ok;
}

/* Runs oom_run for N = 0, 1, ... until the first run with no injected failure. */
static char *oom_loop(int first_fmt, int last_fmt)
{
    long n;
    char *out = NULL;
    for (n = 0; n < 100000; n++) {
        char *got = NULL;
        if (oom_run(n, &got, first_fmt, last_fmt)) {
            out = got;
            break;
        }
        free(got);
    }
    assert_true(n > 10); /* the loop really injected failures */
    assert_non_null(out);
    return out;
}

static void test_api_oom_loop(void **state)
{
    (void)state;
    char *text = oom_loop(MGA_FORMAT_TEXT, MGA_FORMAT_TEXT);
    assert_contains(text, "Advice for profile 'p-1' (rules: test rules, ");
    assert_contains(text, "start with 100 mg a day");
    assert_contains(text, "  W5001 $.unknown: unknown field, ignored\n");
    free(text);
    /* the lean JSON and the whole text too */
    text = oom_loop(MGA_FORMAT_JSON_LEAN, MGA_FORMAT_TEXT_ALL);
    assert_contains(text, ",\"decision\":\"within_limits\",\"decided_by\":[]");
    free(text);
}

static void test_api_oom_loop_json_write(void **state)
{
    (void)state;
    /* yajl_buf_alloc does not check for NULL; output.c reserves yajl_gen's memory up
     * front, so every failing allocation here must end in MGA_E_NOMEM, never a crash. */
    char *json = oom_loop(MGA_FORMAT_JSON, MGA_FORMAT_JSON_PRETTY);
    assert_contains(json, "{\"id\":\"p-1\",\"ruleset\":{\"name\":\"test rules\"");
    assert_contains(json, "\"dose\":{\"start_mg\":100,\"start_rule\":\"daily_dose\"");
    assert_contains(json, "\"warnings\":[{\"code\":\"W5001\",\"path\":\"$.unknown\",\"message\":"
                          "\"$.unknown: unknown field, ignored\",\"note\":null}],\"summary\":{");
    free(json);
}

/* ---- threads ---- */

static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;

static void *locked_realloc(void *ud, void *p, size_t old, size_t n)
{
    pthread_mutex_lock(&alloc_lock);
    void *q = cm_realloc(ud, p, old, n);
    pthread_mutex_unlock(&alloc_lock);
    return q;
}

typedef struct job {
    const mga_ruleset *rs;
    const char *json;
    const char *expected;
    int mismatches, failures;
    const char *catalog; /* the rule set's catalog, written from every thread too */
} job;

static void *worker(void *arg)
{
    job *j = arg;
    for (int i = 0; i < 200; i++) {
        mga_profile *p = NULL;
        mga_result *r = NULL;
        if (mga_profile_parse(j->rs, "p.json", j->json, strlen(j->json), &p, NULL) != MGA_OK ||
            mga_evaluate(j->rs, p, &r) != MGA_OK) {
            j->failures++;
            mga_profile_free(p);
            continue;
        }
        tbuf b = TBUF_INIT;
        if (mga_result_write(r, MGA_FORMAT_JSON, tbuf_write, &b) != MGA_OK)
            j->failures++;
        else if (strcmp(b.p, j->expected) != 0)
            j->mismatches++;
        free(b.p);
        tbuf c = TBUF_INIT;
        if (mga_ruleset_write_catalog(j->rs, tbuf_write, &c) != MGA_OK)
            j->failures++;
        else if (strcmp(c.p, j->catalog) != 0)
            j->mismatches++;
        free(c.p);
        mga_result_free(r);
        mga_profile_free(p);
    }
    return NULL;
}

static void test_api_threads_share_ruleset(void **state)
{
    (void)state;
    mga_options opt;
    mga_options_init(&opt);
    opt.realloc_fn = locked_realloc;
    opt.allow_unknown_fields = true;
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
    mga_ruleset *rs = compile_ok(eng, api_rules, NULL);
    const char *profiles[2] = {api_profile, "{\"id\": \"k\", \"conditions\": [\"kidney_disease\"]}"};
    char *expected[2] = {eval_json(rs, profiles[0]), eval_json(rs, profiles[1])};
    assert_string_not_equal(expected[0], expected[1]);
    tbuf cat = TBUF_INIT;
    assert_int_equal(mga_ruleset_write_catalog(rs, tbuf_write, &cat), MGA_OK);
    pthread_t th[8];
    job jobs[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (job){rs, profiles[i % 2], expected[i % 2], 0, 0, cat.p};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
        assert_int_equal(jobs[i].mismatches, 0);
    }
    free(expected[0]);
    free(expected[1]);
    free(cat.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_null_arguments),
        cmocka_unit_test(test_api_free_null_is_noop),
        cmocka_unit_test(test_api_field_introspection),
        cmocka_unit_test(test_api_summary_merges_shipped_referrals),
        cmocka_unit_test(test_api_advice_item_is_the_rules),
        cmocka_unit_test(test_api_compile_several_sources),
        cmocka_unit_test(test_api_compile_paths_folder_and_missing),
        cmocka_unit_test(test_api_oom_loop),
        cmocka_unit_test(test_api_oom_loop_json_write),
        cmocka_unit_test(test_api_threads_share_ruleset),
    };
    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
