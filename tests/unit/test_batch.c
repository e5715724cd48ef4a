/* SPDX-License-Identifier: MIT */
/* Unit tests for batch.c, csvin.c and batchstats.c: JSON lines fed in any split give the
 * same output, in input order, with 1 to 4 threads; each good record carries what a single
 * evaluation writes, each bad one its error record in its place; blank and skipped lines
 * are counted; the limits (jobs, long lines, misuse, a failing writer, out of memory) hold;
 * output as pieces equals output as bytes, and a write that fails part way counts the
 * records it took whole; statistics; CSV records, and a bad CSV header. */
#include "helpers.h"

#include "genprofile.h"

#define RULES                                                                                  \
    "rule old when age >= 65 years then inform say \"Older.\" cite src end\n"                         \
    "rule kid when conditions has kidney_disease then avoid supplements say \"No.\" cite src "  \
    "end\n"

/* An engine on the libc allocator: cmocka's is not safe for threads. */
static mga_engine *plain_engine(void)
{
    mga_options opt;
    mga_options_init(&opt);
    mga_engine *eng = NULL;
    assert_int_equal(mga_engine_new(&opt, &eng), MGA_OK);
    return eng;
}

/* The shipped rules, compiled by a new plain engine (*eng). */
static mga_ruleset *builtin_rules(mga_engine **eng)
{
    *eng = plain_engine();
    mga_ruleset *rs = NULL;
    assert_int_equal(mga_compile_builtin(*eng, &rs, NULL), MGA_OK);
    return rs;
}

typedef struct input {
    char *p;
    size_t len, cap;
    unsigned lines, records, bad, blanks;
} input;

static void in_add(input *in, const char *s, size_t n)
{
    if (in->len + n + 1 > in->cap) {
        in->cap = (in->len + n + 1) * 2;
        in->p = realloc(in->p, in->cap);
        assert_non_null(in->p);
    }
    memcpy(in->p + in->len, s, n);
    in->len += n;
    in->p[in->len] = '\0';
}

/* n lines: random profiles, every 13th bad in one of four ways, every 17th blank (some
 * white space), CRLF ends on every 5th, integer ids on every 7th good one; the last line
 * has no line end. */
static void make_input(const mga_ruleset *rs, unsigned n, input *in)
{
    memset(in, 0, sizeof *in);
    gp_rng r = {42};
    gp_buf b;
    static const char *const bad[] = {"{\"id\":\"b%u\",\"age\":\"x\"}", "{\"id\":\"b%u\"",
                                      "[\"b%u\"]", "{\"id\":%u,\"conditions\":[\"nope\"]}"};
    for (unsigned i = 1; i <= n; i++) {
        char t[128];
        if (i % 17 == 0) {
            in_add(in, i % 2 ? "  \t" : "", i % 2 ? 3 : 0);
            in->blanks++;
        } else if (i % 13 == 0) {
            int k = snprintf(t, sizeof t, bad[i / 13 % 4], i);
            in_add(in, t, (size_t)k);
            in->records++;
            in->bad++;
        } else if (i % 7 == 0) {
            int k = snprintf(t, sizeof t, "{\"id\":%u,\"age\":%u}", i, 20 + i % 70);
            in_add(in, t, (size_t)k);
            in->records++;
        } else {
            gp_profile(&r, rs, i, 60, &b);
            in_add(in, b.p, b.len);
            in->records++;
        }
        if (i < n)
            in_add(in, i % 5 == 0 ? "\r\n" : "\n", i % 5 == 0 ? 2 : 1);
    }
    in->lines = n;
}

typedef struct run_opts {
    unsigned jobs;
    bool read_mode; /* mga_batch_read instead of a write function */
    uint64_t seed;  /* 0: fed whole, else in random pieces */
    unsigned long long skip, start;
    bool full; /* MGA_FORMAT_JSON results, else lean */
} run_opts;

/* Runs the batch over in; returns its output (malloc'd) and its stats. */
static char *run_batch(const mga_ruleset *rs, const input *in, const run_opts *ro,
                       mga_batch_stats *stats)
{
    mga_batch_options opt;
    mga_batch_options_init(&opt);
    opt.jobs = ro->jobs;
    opt.skip = ro->skip;
    opt.start = ro->start;
    opt.full = ro->full;
    tbuf out = TBUF_INIT;
    if (!ro->read_mode) {
        opt.fn = tbuf_write;
        opt.ud = &out;
    }
    mga_batch *b = NULL;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
    gp_rng r = {ro->seed};
    size_t at = 0;
    while (at < in->len) {
        size_t n = in->len - at;
        if (ro->seed) {
            size_t k = gp_below(&r, 4) == 0 ? 1 + gp_below(&r, 3) : 1 + gp_below(&r, 5000);
            n = k < n ? k : n;
        }
        assert_int_equal(mga_batch_feed(b, in->p + at, n), MGA_OK);
        at += n;
        if (ro->read_mode) {
            const char *p;
            size_t len;
            assert_int_equal(mga_batch_read(b, &p, &len), MGA_OK);
            if (len)
                tbuf_write(&out, p, len);
        }
    }
    assert_int_equal(mga_batch_finish(b, true), MGA_OK);
    if (ro->read_mode) {
        const char *p;
        size_t len;
        assert_int_equal(mga_batch_read(b, &p, &len), MGA_OK);
        if (len)
            tbuf_write(&out, p, len);
    }
    mga_batch_stats_get(b, stats);
    mga_batch_close(b);
    if (!out.p)
        out.p = calloc(1, 1);
    return out.p;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_batch_splits_and_threads_give_one_output(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    input in;
    make_input(rs, 1500, &in);
    run_opts ro = {1, false, 0, 0, 0, false};
    mga_batch_stats st0;
    char *want = run_batch(rs, &in, &ro, &st0);
    assert_int_equal(count_lines(want), in.records);
    assert_int_equal(st0.records, in.records);
    assert_int_equal(st0.errors, in.bad);
    assert_int_equal(st0.ok, in.records - in.bad);
    assert_int_equal(st0.blanks, in.blanks);
    assert_int_equal(st0.line, in.lines);
    for (unsigned jobs = 1; jobs <= 4; jobs++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            run_opts r2 = {jobs, seed % 2 == 0, seed * 7919 + jobs, 0, 0, false};
            mga_batch_stats st;
            char *got = run_batch(rs, &in, &r2, &st);
            if (strcmp(got, want) != 0)
                fail_msg("jobs %u, seed %llu: the output differs", jobs,
                         (unsigned long long)seed);
            assert_memory_equal(&st, &st0, sizeof st);
            free(got);
        }
    }
    free(want);
    free(in.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Each output line is for the next record in input order: its line number is that of the
 * next non-blank input line, a bad record is an error record in its place, a good one
 * carries what mga_result_write gives for the profile alone. */
/* Each record of one run (lean or full) against a single evaluation of its line. */
static void check_in_place(const mga_ruleset *rs, const input *in, bool full)
{
    run_opts ro = {3, false, 99, 0, 0, full};
    mga_batch_stats st;
    char *out = run_batch(rs, in, &ro, &st);
    const char *o = out, *p = in->p, *e = in->p + in->len;
    for (unsigned line = 1; p < e; line++) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
        if (n && p[n - 1] == '\r')
            n--;
        char *prof = strndup(p, n);
        p = nl ? nl + 1 : e;
        if (strspn(prof, " \t") == n) {
            free(prof);
            continue;
        }
        const char *oe = strchr(o, '\n');
        assert_non_null(oe);
        char *rec = strndup(o, (size_t)(oe - o));
        o = oe + 1;
        char head[32];
        snprintf(head, sizeof head, "{\"line\":%u,\"id\":", line);
        assert_true(strncmp(rec, head, strlen(head)) == 0);
        bool bad = line % 13 == 0;
        if (bad) {
            assert_true(has_substr(rec, ",\"error\":{\"field\":"));
        } else {
            char *one = eval_format(rs, prof, full ? MGA_FORMAT_JSON : MGA_FORMAT_JSON_LEAN);
            size_t ol = strlen(one);
            if (ol && one[ol - 1] == '\n')
                one[--ol] = '\0';
            const char *res = strstr(rec, ",\"result\":");
            assert_non_null(res);
            res += strlen(",\"result\":");
            assert_int_equal(strlen(res), ol + 1);
            assert_memory_equal(res, one, ol);
            free(one);
        }
        if (line % 7 == 0 && !bad) {
            snprintf(head, sizeof head, "\"id\":%u,", line);
            assert_true(has_substr(rec, head)); /* an integer id stays an integer */
        }
        free(rec);
        free(prof);
    }
    assert_int_equal(*o, '\0');
    free(out);
}

static void test_batch_records_in_place(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    input in;
    make_input(rs, 400, &in);
    check_in_place(rs, &in, false);
    check_in_place(rs, &in, true);
    free(in.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* skip drops the first lines (blank or not), start numbers on from an earlier part. */
static void test_batch_skip_and_start(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, RULES, NULL);
    input in = {0};
    const char *text = "{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n{\"id\":\"c\",\"age\":70}";
    in_add(&in, text, strlen(text));
    run_opts ro = {1, false, 0, 2, 10, false};
    mga_batch_stats st;
    char *out = run_batch(rs, &in, &ro, &st);
    assert_int_equal(count_lines(out), 2);
    assert_true(strncmp(out, "{\"line\":13,\"id\":\"b\",\"result\":", 29) == 0);
    assert_non_null(strstr(out, "\n{\"line\":14,\"id\":\"c\",\"result\":"));
    assert_int_equal(st.records, 2);
    assert_int_equal(st.blanks, 0); /* the blank line was skipped, not counted */
    assert_int_equal(st.line, 14);
    free(out);
    free(in.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A line longer than a profile may be is one error record (E4012) with its id; a line cut
 * by an early finish is dropped. */
static void test_batch_long_line_and_early_finish(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, RULES, NULL);
    mga_batch_options opt;
    mga_batch_options_init(&opt);
    tbuf out = TBUF_INIT;
    opt.fn = tbuf_write;
    opt.ud = &out;
    mga_batch *b = NULL;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
    const char *head = "{\"id\":\"long\",\"pad\":\"";
    assert_int_equal(mga_batch_feed(b, head, strlen(head)), MGA_OK);
    char *pad = malloc(1 << 16);
    memset(pad, 'x', 1 << 16);
    for (size_t n = 0; n <= MGA_PROFILE_MAX_BYTES; n += 1 << 16)
        assert_int_equal(mga_batch_feed(b, pad, 1 << 16), MGA_OK);
    free(pad);
    const char *tail = "\"}\n{\"id\":\"ok\",\"age\":70}\n{\"id\":\"cut";
    assert_int_equal(mga_batch_feed(b, tail, strlen(tail)), MGA_OK);
    assert_int_equal(mga_batch_finish(b, false), MGA_OK);
    assert_int_equal(mga_batch_feed(b, "x", 1), MGA_E_MISUSE);
    assert_int_equal(mga_batch_finish(b, true), MGA_OK);
    mga_batch_stats st;
    mga_batch_stats_get(b, &st);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.line, 2);
    assert_true(strncmp(out.p, "{\"line\":1,\"id\":\"long\",\"error\":{", 31) == 0);
    assert_true(has_substr(out.p, "\"code\":\"E4012\""));
    assert_true(has_substr(out.p, "\n{\"line\":2,\"id\":\"ok\",\"result\":"));
    assert_int_equal(count_lines(out.p), 2);
    free(out.p);
    mga_batch_close(b);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

static void test_batch_misuse_and_limits(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, RULES, NULL);
    mga_batch_options opt;
    mga_batch_options_init(&opt);
    assert_int_equal(opt.jobs, 1);
    mga_batch *b = (mga_batch *)1;
    opt.jobs = 0;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_E_MISUSE);
    assert_null(b);
    opt.jobs = MGA_BATCH_MAX_JOBS + 1;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_E_MISUSE);
    opt.jobs = 1;
    /* FHIR input needs a request date of the form YYYY-MM-DD; no other input exists */
    assert_int_equal(opt.input, MGA_BATCH_INPUT_JSON);
    opt.input = MGA_BATCH_INPUT_FHIR;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_E_MISUSE);
    opt.date = "2026-6-01";
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_E_INVALID);
    opt.date = "2026-06-0x";
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_E_INVALID);
    assert_null(b);
    opt.input = (mga_batch_input)(MGA_BATCH_INPUT_CSV + 1);
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_E_MISUSE);
    opt.input = MGA_BATCH_INPUT_JSON;
    opt.date = NULL;
    assert_int_equal(mga_batch_open(NULL, &opt, &b), MGA_E_MISUSE);
    assert_int_equal(mga_batch_open(rs, NULL, &b), MGA_E_MISUSE);
    assert_int_equal(mga_batch_open(rs, &opt, NULL), MGA_E_MISUSE);
    assert_int_equal(mga_batch_feed(NULL, "x", 1), MGA_E_MISUSE);
    assert_int_equal(mga_batch_finish(NULL, true), MGA_E_MISUSE);
    const char *p;
    size_t len;
    assert_int_equal(mga_batch_read(NULL, &p, &len), MGA_E_MISUSE);
    mga_batch_stats st;
    mga_batch_stats_get(NULL, &st);
    assert_int_equal(st.records, 0);
    mga_batch_close(NULL);
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
    assert_int_equal(mga_batch_feed(b, NULL, 1), MGA_E_MISUSE);
    assert_int_equal(mga_batch_feed(b, NULL, 0), MGA_OK);
    assert_int_equal(mga_batch_read(b, NULL, &len), MGA_E_MISUSE);
    mga_batch_close(b); /* unfinished: nothing leaks */
    tbuf out = TBUF_INIT;
    opt.fn = tbuf_write;
    opt.ud = &out;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
    assert_int_equal(mga_batch_read(b, &p, &len), MGA_E_MISUSE);
    mga_batch_close(b);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* FHIR input: each line read as mga_profile_from_fhir reads it, on the request date given
 * (copied at open), gives what that profile's evaluation writes; bad FHIR and input that
 * maps to nothing are error records naming the JSON path; 1 and 3 threads agree. */
static void test_batch_fhir_input(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    static const char *const lines[] = {
        "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":"
        "{\"resourceType\":\"Patient\",\"birthDate\":\"1980-06-02\",\"gender\":\"female\"}}]}",
        "[{\"resourceType\":\"Patient\",\"birthDate\":\"2015-01-01\"},{\"resourceType\":"
        "\"Condition\",\"clinicalStatus\":{\"coding\":[{\"code\":\"active\"}]},\"code\":"
        "{\"coding\":{\"code\":\"x\"}}}]",
        "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[]}",
        "{\"id\":\"not-fhir\",\"age\":40}",
        "[{\"resourceType\":\"Patient\",\"gender\":\"male\"}]",
    };
    static const char *const errors[] = {NULL,
                                         "\"field\":\"$[1].code.coding\",\"code\":\"E4033\"",
                                         "\"field\":\"$\",\"code\":\"E4036\"",
                                         "{\"line\":4,\"id\":\"not-fhir\",\"error\":{\"field\":\"$\","
                                         "\"code\":\"E4031\"",
                                         NULL};
    size_t n = sizeof lines / sizeof *lines;
    char date[] = "2026-06-01";
    char *want[2] = {NULL, NULL};
    for (int full = 0; full < 2; full++) {
        for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
            mga_batch_options opt;
            mga_batch_options_init(&opt);
            opt.jobs = jobs;
            opt.full = full == 1;
            opt.input = MGA_BATCH_INPUT_FHIR;
            opt.date = date;
            tbuf out = TBUF_INIT;
            opt.fn = tbuf_write;
            opt.ud = &out;
            mga_batch *b = NULL;
            assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
            date[0] = '1'; /* copied at open: the batch keeps 2026 */
            for (size_t i = 0; i < n; i++) {
                assert_int_equal(mga_batch_feed(b, lines[i], strlen(lines[i])), MGA_OK);
                assert_int_equal(mga_batch_feed(b, "\n", 1), MGA_OK);
            }
            assert_int_equal(mga_batch_finish(b, true), MGA_OK);
            mga_batch_stats st;
            mga_batch_stats_get(b, &st);
            mga_batch_close(b);
            date[0] = '2';
            assert_int_equal(st.records, n);
            assert_int_equal(st.errors, 3);
            if (!want[full]) {
                want[full] = out.p;
            } else {
                assert_string_equal(out.p, want[full]);
                free(out.p);
            }
        }
        /* record by record: a good one is the evaluation of mga_profile_from_fhir's profile */
        const char *o = want[full];
        for (size_t i = 0; i < n; i++) {
            const char *e = strchr(o, '\n');
            assert_non_null(e);
            char *rec = strndup(o, (size_t)(e - o));
            o = e + 1;
            char head[32];
            snprintf(head, sizeof head, "{\"line\":%zu,", i + 1);
            assert_true(strncmp(rec, head, strlen(head)) == 0);
            if (errors[i]) {
                if (!has_substr(rec, errors[i]))
                    fail_msg("line %zu: expected %s, got %s", i + 1, errors[i], rec);
                free(rec);
                continue;
            }
            mga_profile *p = NULL;
            assert_int_equal(
                mga_profile_from_fhir(rs, "t", lines[i], strlen(lines[i]), date, &p, NULL),
                MGA_OK);
            mga_result *r = NULL;
            assert_int_equal(mga_evaluate(rs, p, &r), MGA_OK);
            char *one = result_string(r, full ? MGA_FORMAT_JSON : MGA_FORMAT_JSON_LEAN);
            size_t ol = strlen(one) - 1; /* without its newline */
            const char *res = strstr(rec, ",\"result\":");
            assert_non_null(res);
            res += strlen(",\"result\":");
            assert_int_equal(strlen(res), ol + 1);
            assert_memory_equal(res, one, ol);
            free(one);
            mga_result_free(r);
            mga_profile_free(p);
            free(rec);
        }
        assert_int_equal(*o, '\0');
        free(want[full]);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A FHIR line is read up to the FHIR reader's limit, not a profile's: a Bundle of 2 MiB
 * (fed whole, or in pieces) gives its result; one over MGA_FHIR_MAX_BYTES is E4012, and
 * the next line is still read. */
static void test_batch_fhir_long_line(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    static const char head[] = "[{\"resourceType\":\"Patient\",\"birthDate\":\"1980-06-02\","
                               "\"gender\":\"female\",\"text\":{\"div\":\"";
    static const char tail[] = "\"}}]";
    size_t sizes[] = {MGA_PROFILE_MAX_BYTES * 2, MGA_FHIR_MAX_BYTES + 1};
    for (size_t k = 0; k < 2; k++) {
        size_t pad = sizes[k];
        size_t len = sizeof head - 1 + pad + sizeof tail - 1;
        char *line = malloc(len + 1);
        assert_non_null(line);
        memcpy(line, head, sizeof head - 1);
        memset(line + sizeof head - 1, 'x', pad);
        memcpy(line + sizeof head - 1 + pad, tail, sizeof tail);
        for (int pieces = 0; pieces < 2; pieces++) {
            mga_batch_options opt;
            mga_batch_options_init(&opt);
            opt.input = MGA_BATCH_INPUT_FHIR;
            opt.date = "2026-06-01";
            tbuf out = TBUF_INIT;
            opt.fn = tbuf_write;
            opt.ud = &out;
            mga_batch *b = NULL;
            assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
            if (pieces) {
                for (size_t o = 0; o < len; o += 65536)
                    assert_int_equal(mga_batch_feed(b, line + o, len - o < 65536 ? len - o : 65536),
                                     MGA_OK);
                assert_int_equal(mga_batch_feed(b, "\n", 1), MGA_OK);
            } else {
                line[len] = '\n';
                assert_int_equal(mga_batch_feed(b, line, len + 1), MGA_OK);
                line[len] = '\0';
            }
            static const char next[] = "[{\"resourceType\":\"Patient\",\"gender\":\"male\"}]\n";
            assert_int_equal(mga_batch_feed(b, next, sizeof next - 1), MGA_OK);
            assert_int_equal(mga_batch_finish(b, true), MGA_OK);
            mga_batch_close(b);
            assert_int_equal(count_lines(out.p), 2);
            if (k == 0)
                assert_true(strncmp(out.p, "{\"line\":1,\"id\":null,\"result\":", 29) == 0);
            else
                assert_true(strncmp(out.p,
                                    "{\"line\":1,\"id\":null,\"error\":{\"field\":\"$\","
                                    "\"code\":\"E4012\"",
                                    strlen("{\"line\":1,\"id\":null,\"error\":{\"field\":\"$\","
                                           "\"code\":\"E4012\"")) == 0);
            assert_true(has_substr(out.p, "{\"line\":2,\"id\":null,\"result\":"));
            free(out.p);
        }
        free(line);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A write function that fails stops the batch with MGA_E_WRITE, with threads or without. */
static void test_batch_write_failure_stops(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    input in;
    make_input(rs, 3000, &in);
    for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
        mga_batch_options opt;
        mga_batch_options_init(&opt);
        opt.jobs = jobs;
        tbuf out = TBUF_INIT;
        out.fail_after = 1;
        opt.fn = tbuf_write;
        opt.ud = &out;
        mga_batch *b = NULL;
        assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
        mga_status st = MGA_OK;
        for (size_t at = 0; at < in.len && st == MGA_OK; at += 4096)
            st = mga_batch_feed(b, in.p + at, in.len - at < 4096 ? in.len - at : 4096);
        mga_status fst = mga_batch_finish(b, true);
        assert_int_equal(fst, MGA_E_WRITE);
        mga_batch_stats s;
        mga_batch_stats_get(b, &s);
        assert_true(s.records > 0 && s.records < in.records);
        assert_int_equal(count_lines(out.p), s.records);
        free(out.p);
        mga_batch_close(b);
    }
    free(in.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Out of memory at each allocation of a batch over text (input kind, with statistics or
 * not): MGA_E_NOMEM or success, never a leak; once no allocation fails, three records and,
 * with statistics, a document that counts them (ok, errors). */
static void oom_run(const char *text, mga_batch_input kind, bool stats, const char *stats_head)
{
    for (long at = 0;; at++) {
        fail_state fs = {0};
        fs.fail_at = -1;
        mga_engine *eng = fail_engine(&fs);
        mga_ruleset *rs = compile_ok(eng, RULES, NULL);
        fs.calls = 0;
        fs.fail_at = at;
        mga_batch_options opt;
        mga_batch_options_init(&opt);
        opt.input = kind;
        opt.stats = stats;
        tbuf out = TBUF_INIT, sd = TBUF_INIT;
        opt.fn = tbuf_write;
        opt.ud = &out;
        mga_batch *b = NULL;
        mga_status st = mga_batch_open(rs, &opt, &b);
        if (st == MGA_OK) {
            st = mga_batch_feed(b, text, strlen(text));
            mga_status f = mga_batch_finish(b, true);
            if (st == MGA_OK)
                st = f;
        }
        if (st == MGA_OK && stats)
            st = mga_batch_stats_write(b, tbuf_write, &sd);
        assert_true(st == MGA_OK || st == MGA_E_NOMEM);
        bool done = st == MGA_OK && !fs.failed;
        if (done) /* three records, the blank line counted */
            assert_int_equal(count_lines(out.p), 3);
        if (done && stats)
            assert_memory_equal(sd.p, stats_head, strlen(stats_head));
        mga_batch_close(b);
        free(out.p);
        free(sd.p);
        mga_ruleset_free(rs);
        mga_engine_free(eng);
        assert_int_equal(fs.live, 0);
        if (done)
            break;
    }
}

static void test_batch_oom(void **state)
{
    (void)state;
    oom_run("{\"id\":\"a\",\"age\":70}\n{\"id\":7,\"age\":\"x\"}\n\n{\"id\":\"c\"}",
            MGA_BATCH_INPUT_JSON, false, NULL);
}

/* ---- Output as pieces, statistics, CSV ------------------------------------------------ */

typedef struct sink {
    tbuf out;
    size_t limit; /* bytes taken before the output fails (SIZE_MAX: never) */
    size_t calls;
} sink;

/* An mga_batch_parts_fn: the pieces in order into out, up to limit bytes in all. */
static int sink_parts(void *ud, const mga_part *v, size_t n, size_t *done)
{
    sink *k = ud;
    k->calls++;
    *done = 0;
    for (size_t i = 0; i < n; i++) {
        size_t room = k->limit - k->out.len, take = v[i].len < room ? v[i].len : room;
        if (take)
            assert_int_equal(tbuf_write(&k->out, v[i].p, take), 0);
        *done += take;
        if (take < v[i].len)
            return -1;
    }
    return 0;
}

/* Runs in through the parts output, fed in 4 KiB pieces; the status of finish. */
static mga_status run_parts(const mga_ruleset *rs, const char *text, size_t len,
                            mga_batch_input kind, unsigned jobs, bool gather, bool stats,
                            sink *k, mga_batch_stats *st, char **stats_out)
{
    mga_batch_options opt;
    mga_batch_options_init(&opt);
    opt.jobs = jobs;
    opt.input = kind;
    opt.parts = sink_parts;
    opt.gather = gather;
    opt.stats = stats;
    opt.ud = k;
    mga_batch *b = NULL;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
    mga_status fs = MGA_OK;
    for (size_t at = 0; at < len && fs == MGA_OK; at += 4096)
        fs = mga_batch_feed(b, text + at, len - at < 4096 ? len - at : 4096);
    mga_status st2 = mga_batch_finish(b, true);
    mga_batch_stats_get(b, st);
    if (stats_out) {
        tbuf t = TBUF_INIT;
        assert_int_equal(mga_batch_stats_write(b, tbuf_write, &t),
                         st2 == MGA_OK ? MGA_OK : st2);
        *stats_out = t.p;
    }
    mga_batch_close(b);
    return st2;
}

/* The pieces, gathered or copied, make the bytes the write function gets, whatever the
 * threads; every gathered run hands some of the rule set's text out where it lies. */
static void test_batch_parts_same_output(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    input in;
    make_input(rs, 1500, &in);
    for (int full = 0; full < 2; full++) {
        run_opts ro = {1, false, 0, 0, 0, full != 0};
        mga_batch_stats ref_st;
        char *ref = run_batch(rs, &in, &ro, &ref_st);
        for (unsigned jobs = 1; jobs <= 3; jobs += 2)
            for (int gather = 0; gather < 2; gather++) {
                sink k = {TBUF_INIT, SIZE_MAX, 0};
                mga_batch_stats st;
                mga_batch_options opt;
                mga_batch_options_init(&opt);
                opt.jobs = jobs;
                opt.full = full != 0;
                opt.parts = sink_parts;
                opt.gather = gather != 0;
                opt.ud = &k;
                mga_batch *b = NULL;
                assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
                assert_int_equal(mga_batch_feed(b, in.p, in.len), MGA_OK);
                assert_int_equal(mga_batch_finish(b, true), MGA_OK);
                mga_batch_stats_get(b, &st);
                const char *p;
                size_t n;
                assert_int_equal(mga_batch_read(b, &p, &n), MGA_E_MISUSE); /* parts */
                mga_batch_close(b);
                assert_string_equal(k.out.p, ref);
                assert_int_equal(st.records, ref_st.records);
                assert_int_equal(st.partial, 0);
                free(k.out.p);
            }
        free(ref);
    }
    mga_batch_options opt;
    mga_batch_options_init(&opt);
    opt.gather = true; /* gather needs parts */
    mga_batch *b = NULL;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_E_MISUSE);
    free(in.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Output that fails part way: the records it took whole are counted, ok and errors apart,
 * the line to resume after is the last of them, and the bytes after are the partial line. */
static void test_batch_parts_failure_counts_whole_records(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    input in;
    make_input(rs, 2000, &in);
    size_t limits[] = {1, 5000, 123457, 400001};
    for (size_t li = 0; li < sizeof limits / sizeof *limits; li++)
        for (unsigned jobs = 1; jobs <= 2; jobs++)
            for (int gather = 0; gather < 2; gather++) {
                sink k = {TBUF_INIT, limits[li], 0};
                mga_batch_stats st;
                mga_status fs = run_parts(rs, in.p, in.len, MGA_BATCH_INPUT_JSON, jobs,
                                          gather != 0, false, &k, &st, NULL);
                assert_int_equal(fs, MGA_E_WRITE);
                assert_int_equal(k.out.len, limits[li]);
                /* whole lines, then the partial one */
                size_t lines = 0, last = 0, errors = 0;
                for (size_t i = 0; i < k.out.len; i++)
                    if (k.out.p[i] == '\n') {
                        lines++;
                        last = i + 1;
                    }
                assert_int_equal(st.records, lines);
                assert_int_equal(st.partial, k.out.len - last);
                for (const char *q = k.out.p; q && (q = strstr(q, "\"error\":{")) != NULL; q++)
                    if ((size_t)(q - k.out.p) < last)
                        errors++;
                assert_int_equal(st.errors, errors);
                assert_int_equal(st.ok + st.errors, st.records);
                if (lines) { /* the last whole line's "line" */
                    size_t b = last - 1;
                    while (b && k.out.p[b - 1] != '\n')
                        b--;
                    unsigned long long ln = strtoull(k.out.p + b + 8, NULL, 10);
                    assert_int_equal(st.line, ln);
                } else {
                    assert_int_equal(st.line, 0);
                }
                free(k.out.p);
            }
    free(in.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* Statistics: the same document with 1 and 3 jobs; its counts match the records; asked
 * for before the end or without stats, a misuse. */
static void test_batch_stats(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    input in;
    make_input(rs, 3000, &in);
    char *docs[2];
    for (unsigned j = 0; j < 2; j++) {
        sink k = {TBUF_INIT, SIZE_MAX, 0};
        mga_batch_stats st;
        assert_int_equal(run_parts(rs, in.p, in.len, MGA_BATCH_INPUT_JSON, j ? 3 : 1, false,
                                   true, &k, &st, &docs[j]),
                         MGA_OK);
        char head[128];
        snprintf(head, sizeof head, "{\"records\":%llu,\"ok\":%llu,\"errors\":%llu,\"rules\":{",
                 st.records, st.ok, st.errors);
        assert_non_null(docs[j]);
        assert_memory_equal(docs[j], head, strlen(head));
        assert_non_null(strstr(docs[j], "\"never_fired\":["));
        assert_non_null(strstr(docs[j], "\"severity\":{\"critical\":"));
        assert_int_equal(docs[j][strlen(docs[j]) - 1], '\n');
        free(k.out.p);
    }
    assert_string_equal(docs[0], docs[1]);
    free(docs[0]);
    free(docs[1]);
    mga_batch_options opt;
    mga_batch_options_init(&opt);
    tbuf t = TBUF_INIT;
    opt.fn = tbuf_write;
    opt.ud = &t;
    mga_batch *b = NULL;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
    assert_int_equal(mga_batch_finish(b, true), MGA_OK);
    assert_int_equal(mga_batch_stats_write(b, tbuf_write, &t), MGA_E_MISUSE); /* no stats */
    mga_batch_close(b);
    opt.stats = true;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
    assert_int_equal(mga_batch_stats_write(b, tbuf_write, &t), MGA_E_MISUSE); /* not done */
    assert_int_equal(mga_batch_stats_write(NULL, tbuf_write, &t), MGA_E_MISUSE);
    mga_batch_close(b);
    free(t.p);
    free(in.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

#define CSV_TEXT                                                                               \
    "\xEF\xBB\xBFid,age,conditions,pregnant\r\n"                                               \
    "a,70,-,FALSE\r\n"                                                                         \
    "\r\n"                                                                                     \
    "b,old,,\n"                                                                                \
    "\"c\nd\",40,\"kidney_disease;ibs\",True\n"                                                \
    "e,30\n"                                                                                   \
    "f,\"unterminated"

/* CSV: a byte order mark, CRLF, a blank line, a cell of the wrong type (E4002 naming the
 * column), a quoted line break (the record numbered by the line it starts on), a short row,
 * an open quote at the end; fed whole or a byte at a time, with 1 or 2 jobs, the same. */
static void test_batch_csv_input(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    const char *text = CSV_TEXT;
    char *first = NULL;
    for (unsigned jobs = 1; jobs <= 2; jobs++)
        for (size_t piece = 1; piece <= 4096; piece *= 4096) {
            mga_batch_options opt;
            mga_batch_options_init(&opt);
            opt.jobs = jobs;
            opt.input = MGA_BATCH_INPUT_CSV;
            tbuf out = TBUF_INIT;
            opt.fn = tbuf_write;
            opt.ud = &out;
            mga_batch *b = NULL;
            assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
            for (size_t at = 0, n = strlen(text); at < n; at += piece)
                assert_int_equal(mga_batch_feed(b, text + at, n - at < piece ? n - at : piece),
                                 MGA_OK);
            assert_int_equal(mga_batch_finish(b, true), MGA_OK);
            mga_batch_stats st;
            mga_batch_stats_get(b, &st);
            assert_null(mga_batch_diags_ref(b));
            mga_batch_close(b);
            assert_int_equal(st.records, 5);
            assert_int_equal(st.ok, 2);
            assert_int_equal(st.errors, 3);
            assert_int_equal(st.blanks, 1);
            assert_int_equal(st.line, 8);
            assert_int_equal(count_lines(out.p), 5);
            assert_memory_equal(out.p, "{\"line\":2,\"id\":\"a\",\"result\":{", 29);
            assert_non_null(strstr(out.p, "{\"line\":4,\"id\":\"b\",\"error\":{\"field\":\"$.age\","
                                          "\"code\":\"E4002\""));
            assert_non_null(strstr(out.p, "{\"line\":5,\"id\":\"c\\nd\",\"result\":"));
            assert_non_null(strstr(out.p, "{\"line\":7,\"id\":\"e\",\"error\":{\"field\":null,"
                                          "\"code\":null,\"message\":\"expected 4 cells"));
            assert_non_null(strstr(out.p, "{\"line\":8,\"id\":\"f\",\"error\":{\"field\":\"$.age\","
                                          "\"code\":null,\"message\":\"unterminated quoted"));
            if (!first)
                first = out.p;
            else {
                assert_string_equal(out.p, first);
                free(out.p);
            }
        }
    free(first);
    /* stopped early, the open record is dropped; skip drops the records starting on or
     * before its line (the header is read all the same) */
    mga_batch_options opt;
    mga_batch_options_init(&opt);
    opt.input = MGA_BATCH_INPUT_CSV;
    opt.skip = 4;
    tbuf out = TBUF_INIT;
    opt.fn = tbuf_write;
    opt.ud = &out;
    mga_batch *b = NULL;
    assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
    assert_int_equal(mga_batch_feed(b, text, strlen(text)), MGA_OK);
    assert_int_equal(mga_batch_finish(b, false), MGA_OK);
    mga_batch_stats st;
    mga_batch_stats_get(b, &st);
    mga_batch_close(b);
    assert_int_equal(st.records, 2); /* lines 5 and 7 */
    assert_int_equal(st.line, 7);
    assert_memory_equal(out.p, "{\"line\":5,", 10);
    free(out.p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* A header that names no field stops the batch before any record: MGA_E_PROFILE, and the
 * diagnostic says which column, on which line, with a suggestion. */
static void test_batch_csv_bad_header(void **state)
{
    (void)state;
    mga_engine *eng = NULL;
    mga_ruleset *rs = builtin_rules(&eng);
    static const struct {
        const char *text;
        unsigned code, line;
        const char *msg, *note;
    } cases[] = {
        {"\nid,agee\n1,2\n", 4044, 2, "unknown column 'agee' (column 2)", "did you mean 'age'?"},
        {"age,id,age\n", 4045, 1, "column 'age' is given twice (columns 1 and 3)", NULL},
        {"id,,age\n", 4042, 1, "column 2 of the header has no name", NULL},
        {"id,\"a\"b\n", 4041, 1, "bad header row: malformed quoting in column 2", NULL},
        {"id,\xff\n", 4043, 1, "column 2 of the header: invalid UTF-8", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mga_batch_options opt;
        mga_batch_options_init(&opt);
        opt.input = MGA_BATCH_INPUT_CSV;
        tbuf out = TBUF_INIT;
        opt.fn = tbuf_write;
        opt.ud = &out;
        mga_batch *b = NULL;
        assert_int_equal(mga_batch_open(rs, &opt, &b), MGA_OK);
        mga_status st = mga_batch_feed(b, cases[i].text, strlen(cases[i].text));
        assert_int_equal(st, MGA_E_PROFILE);
        assert_int_equal(mga_batch_finish(b, true), MGA_E_PROFILE);
        const mga_diags *d = mga_batch_diags_ref(b);
        assert_non_null(d);
        const mga_diag *dg = mga_diags_ref(d, 0);
        assert_non_null(dg);
        assert_int_equal(dg->code, cases[i].code);
        assert_int_equal(dg->line, cases[i].line);
        assert_memory_equal(dg->message, cases[i].msg, strlen(cases[i].msg));
        if (cases[i].note)
            assert_string_equal(dg->note, cases[i].note);
        assert_null(out.p);
        mga_batch_close(b);
    }
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* CSV and statistics out of memory at each allocation: as test_batch_oom. */
static void test_batch_csv_oom(void **state)
{
    (void)state;
    oom_run("id,age\na,70\nb,x\n\n\"c\",", MGA_BATCH_INPUT_CSV, true,
            "{\"records\":3,\"ok\":2,\"errors\":1,");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_splits_and_threads_give_one_output),
        cmocka_unit_test(test_batch_records_in_place),
        cmocka_unit_test(test_batch_skip_and_start),
        cmocka_unit_test(test_batch_long_line_and_early_finish),
        cmocka_unit_test(test_batch_misuse_and_limits),
        cmocka_unit_test(test_batch_fhir_input),
        cmocka_unit_test(test_batch_fhir_long_line),
        cmocka_unit_test(test_batch_write_failure_stops),
        cmocka_unit_test(test_batch_oom),
        cmocka_unit_test(test_batch_parts_same_output),
        cmocka_unit_test(test_batch_parts_failure_counts_whole_records),
        cmocka_unit_test(test_batch_stats),
        cmocka_unit_test(test_batch_csv_input),
        cmocka_unit_test(test_batch_csv_bad_header),
        cmocka_unit_test(test_batch_csv_oom),
    };
    return cmocka_run_group_tests_name("batch", tests, NULL, NULL);
}
