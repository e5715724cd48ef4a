/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the CSV reader of `mgadvise batch` alone (cli/batch_csv.c), against the
 * shipped rules' fields, read from memory twice: with the 1 MiB record limit and with a
 * limit of LIMIT_SMALL bytes, so that the limit is reached with small inputs. Checks, for
 * any input whose header is accepted:
 *   - the records and blank lines cover the input's lines one after the other, and the
 *     bytes read are the input's bytes;
 *   - a record is E4012 exactly when it is longer than the limit (its final line end not
 *     counted);
 *   - a profile is a JSON object with one key per non-empty cell, each key a header
 *     column, each once (libcsv splitting the record's text again is the reference). */
#include <mgadvise.h>

#include "batch_csv.h"
#include "fuzz.h"

#include <csv.h>
#include <stdint.h>
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

/* The lines of p[0, n): a last line without its '\n' counts. */
static unsigned long long count_lines(const char *p, size_t n)
{
    unsigned long long k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k + (n && p[n - 1] != '\n');
}

static void run(const char *data, size_t size, size_t max)
{
    FILE *in = size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
    FUZZ_CHECK(in != NULL);
    csv_reader *r = NULL;
    int rc = csv_reader_new_max(rules, in, "fuzz.csv", max, &r);
    if (rc) {
        FUZZ_CHECK(rc == 3 && r == NULL); /* a header it cannot use */
        fclose(in);
        return;
    }
    unsigned long long blank, line;
    csv_reader_header(r, &blank, &line);
    size_t at = (size_t)csv_reader_bytes(r);
    FUZZ_CHECK(at <= size && count_lines(data, at) == line);
    for (;;) {
        csv_record rec;
        bool oom = false;
        csv_kind k = csv_reader_next(r, &rec, &oom);
        FUZZ_CHECK(!oom);
        if (k == CSV_END)
            break;
        size_t end = (size_t)csv_reader_bytes(r);
        FUZZ_CHECK(end > at && end <= size);
        FUZZ_CHECK(rec.line == line + 1 && rec.end_line >= rec.line);
        FUZZ_CHECK(rec.end_line - rec.line + 1 == count_lines(data + at, end - at));
        line = rec.end_line;
        /* the record without its final line end */
        size_t n = end - at;
        if (n && data[at + n - 1] == '\n')
            n--;
        if (n && data[at + n - 1] == '\r')
            n--;
        if (k == CSV_BLANK) {
            FUZZ_CHECK(rec.line == rec.end_line);
        } else if (k == CSV_BAD) {
            FUZZ_CHECK(rec.message && rec.message[0]);
            bool e4012 = rec.code && strcmp(rec.code, "E4012") == 0;
            FUZZ_CHECK(e4012 == (n > max));
        } else {
            FUZZ_CHECK(k == CSV_PROFILE && n <= max);
            cells c = ref_split(data + at, n);
            char err[128];
            char *json = malloc(rec.json_len + 1);
            FUZZ_CHECK(json != NULL);
            memcpy(json, rec.json, rec.json_len);
            json[rec.json_len] = '\0';
            yajl_val v = yajl_tree_parse(json, err, sizeof err);
            FUZZ_CHECK(v != NULL && YAJL_IS_OBJECT(v));
            FUZZ_CHECK(v->u.object.len == c.nonempty);
            for (size_t i = 0; i < v->u.object.len; i++) {
                const char *key = v->u.object.keys[i];
                char path[256];
                int pl = snprintf(path, sizeof path, "$.%s", key);
                FUZZ_CHECK(pl > 2 && (size_t)pl < sizeof path);
                FUZZ_CHECK(csv_reader_column(r, path, (size_t)pl) != 0); /* a header column */
                for (size_t j = 0; j < i; j++)
                    FUZZ_CHECK(strcmp(v->u.object.keys[j], key) != 0); /* once */
            }
            yajl_tree_free(v);
            free(json);
        }
        at = end;
    }
    FUZZ_CHECK(csv_reader_errno(r) == 0);
    FUZZ_CHECK(csv_reader_bytes(r) == size); /* every byte read, every line accounted for */
    FUZZ_CHECK(line == count_lines(data, size));
    csv_reader_free(r);
    fclose(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run((const char *)data, size, MGA_PROFILE_MAX_BYTES);
    run((const char *)data, size, LIMIT_SMALL);
    return 0;
}
