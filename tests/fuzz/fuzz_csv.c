/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the CSV reader of the batch engine alone (engine/csvin.c), against the
 * shipped rules' fields, fed line by line twice: with the 1 MiB record limit and with a
 * limit of LIMIT_SMALL bytes, so that the limit is reached with small inputs. Checks, for
 * any input whose header is accepted:
 *   - the header, records and blank lines cover the input's lines one after the other;
 *   - a record is E4012 exactly when it is longer than the limit (its final line end not
 *     counted);
 *   - a profile is a JSON object with one key per non-empty cell, each key a header
 *     column, each once (libcsv splitting the record's text again is the reference). */
#include <mgadvise.h>

#include "arena.h"
#include "csvin.h"
#include "fuzz.h"

#include <csv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#define LIMIT_SMALL 200

static mga_ruleset *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rules = fuzz_builtin_rules();
    return 0;
}

typedef struct cells {
    size_t n, nonempty;
    bool row;
} cells;

static void ref_cell(void *s, size_t n, void *ud)
{
    (void)s;
    cells *c = ud;
    c->n++;
    c->nonempty += n > 0;
}

static void ref_row(int ch, void *ud)
{
    (void)ch;
    ((cells *)ud)->row = true;
}

static int ref_lf(unsigned char c)
{
    return c == '\n';
}

/* The cells of one record's text as the reader sees it: a CR before each line end dropped. */
static cells ref_split(const char *p, size_t n)
{
    char *t = malloc(n + 1);
    FUZZ_CHECK(t != NULL);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
            t[k++] = p[i];
    t[k++] = '\n';
    cells c = {0, 0, false};
    struct csv_parser cp;
    FUZZ_CHECK(csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI) == 0);
    csv_set_term_func(&cp, ref_lf);
    FUZZ_CHECK(csv_parse(&cp, t, k, ref_cell, ref_row, &c) == k);
    FUZZ_CHECK(csv_fini(&cp, ref_cell, ref_row, &c) == 0);
    csv_free(&cp);
    free(t);
    return c;
}

/* Feeds data to a reader line by line, as the batch engine does, and checks what comes
 * back against the lines. */
/* A profile is a JSON object with one key per non-empty cell of its text, each key a header
 * column, each once. */
static void check_profile(const csvin *r, const char *text, size_t n, const csvin_record *rec)
{
    cells c = ref_split(text, n);
    char err[128];
    char *json = malloc(rec->json_len + 1);
    FUZZ_CHECK(json != NULL);
    memcpy(json, rec->json, rec->json_len);
    json[rec->json_len] = '\0';
    yajl_val v = yajl_tree_parse(json, err, sizeof err);
    FUZZ_CHECK(v != NULL && YAJL_IS_OBJECT(v));
    FUZZ_CHECK(v->u.object.len == c.nonempty);
    for (size_t i = 0; i < v->u.object.len; i++) {
        const char *key = v->u.object.keys[i];
        char path[256];
        int pl = snprintf(path, sizeof path, "$.%s", key);
        FUZZ_CHECK(pl > 2 && (size_t)pl < sizeof path);
        FUZZ_CHECK(csvin_column(r, path, (size_t)pl) != 0); /* a header column */
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(v->u.object.keys[j], key) != 0); /* once */
    }
    yajl_tree_free(v);
    free(json);
}

static void run(const char *data, size_t size, size_t max)
{
    mem m;
    mem_init_default(&m);
    csvin *r = NULL;
    FUZZ_CHECK(csvin_new(rules, &m, max, &r) == MGA_OK);
    /* where each line starts; a byte order mark is not part of the first */
    size_t nlines = 0, cap = 16;
    size_t *start = malloc(cap * sizeof *start);
    FUZZ_CHECK(start != NULL);
    unsigned long long line = 0; /* the last line some record, blank or header accounted for */
    bool header = false, stopped = false;
    for (size_t at = 0; at < size && !stopped;) {
        const char *nl = memchr(data + at, '\n', size - at);
        size_t whole = nl ? (size_t)(nl - data - at) : size - at;
        if (nlines == cap) {
            cap *= 2;
            start = realloc(start, cap * sizeof *start);
            FUZZ_CHECK(start != NULL);
        }
        start[nlines++] = at;
        unsigned long long q = 0;
        for (size_t i = 0; i < whole; i++)
            q += data[at + i] == '"';
        size_t kept = whole < max + 1 ? whole : max + 1;
        csvin_record rec;
        mga_status st = csvin_line(r, data + at, kept, whole, nl != NULL, q, &rec);
        at += whole + (nl != NULL);
        if (st == MGA_E_PROFILE) { /* a header it cannot use */
            FUZZ_CHECK(!header);
            mga_diags *d = csvin_diags_take(r);
            FUZZ_CHECK(d != NULL && mga_diags_error_count(d) == 1);
            mga_diags_free(d);
            stopped = true;
            break;
        }
        FUZZ_CHECK(st == MGA_OK);
        if (rec.kind == CSVIN_MORE)
            continue;
        FUZZ_CHECK(rec.line == line + 1 && rec.end_line >= rec.line && rec.end_line == nlines);
        line = rec.end_line;
        /* the record's text without its final line end */
        size_t b = start[rec.line - 1], e = at;
        if (b == 0 && size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
            b = 3;
        size_t n = e - b;
        if (n && data[b + n - 1] == '\n')
            n--;
        if (n && data[b + n - 1] == '\r')
            n--;
        if (rec.kind == CSVIN_BLANK) {
            FUZZ_CHECK(rec.line == rec.end_line);
        } else if (rec.kind == CSVIN_HEADER) {
            FUZZ_CHECK(!header);
            header = true;
        } else if (rec.kind == CSVIN_BAD) {
            FUZZ_CHECK(header && rec.message && rec.message[0]);
            bool e4012 = rec.code && strcmp(rec.code, "E4012") == 0;
            FUZZ_CHECK(e4012 == (n > max));
        } else {
            FUZZ_CHECK(header && rec.kind == CSVIN_PROFILE && n <= max);
            check_profile(r, data + b, n, &rec);
        }
    }
    if (!stopped) {
        csvin_record rec;
        FUZZ_CHECK(csvin_end(r, &rec) == MGA_OK);
        if (rec.kind != CSVIN_MORE) {
            FUZZ_CHECK(header && rec.line == line + 1 && rec.end_line == nlines);
            line = rec.end_line;
        }
        FUZZ_CHECK(line == nlines); /* every line accounted for */
    }
    free(start);
    csvin_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run((const char *)data, size, MGA_PROFILE_MAX_BYTES);
    run((const char *)data, size, LIMIT_SMALL);
    return 0;
}
