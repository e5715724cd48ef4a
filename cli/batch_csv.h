/* SPDX-License-Identifier: MIT */
/* CSV input for `mgadvise batch`: reads a header row and then one record at a
 * time (libcsv), and turns each record into the JSON profile the JSON-lines
 * path would read, typed by the rule set's declared fields, so both formats
 * share one validation path. */
#ifndef MGA_BATCH_CSV_H
#define MGA_BATCH_CSV_H

#include <mgadvise.h>

#include <stdbool.h>
#include <stdio.h>

typedef struct csv_reader csv_reader;

typedef enum csv_kind {
    CSV_END,     /* no more input: end of file, a read error (see csv_reader_errno) */
    CSV_BLANK,   /* a blank line between records */
    CSV_PROFILE, /* a record, as a JSON object */
    CSV_BAD      /* a record that cannot become a profile */
} csv_kind;

typedef struct csv_record {
    csv_kind kind;
    unsigned long long line;     /* the physical line the record (or blank line) starts on */
    unsigned long long end_line; /* the last physical line it took */
    /* CSV_PROFILE: the JSON object; borrowed until the next call */
    const char *json;
    size_t json_len;
    /* CSV_BAD (borrowed until the next call): the id cell (NULL when there is
     * none), the field's JSON path ("$.age") or NULL, the error code ("E4002") or
     * NULL for errors in the CSV itself, the message and the 1-based column of
     * the cell (0 when none) */
    const char *id;
    size_t id_len;
    const char *field, *code, *message;
    unsigned column;
} csv_record;

/* Reads the header row of in (name labels messages): every column must name a
 * declared profile field or be "id", each once. Returns 0 and *out, or prints
 * the problem to stderr and returns the exit status (3 for a bad header or a
 * read error, 4 out of memory). An input without any row gives a reader that
 * returns CSV_END at once. */
int csv_reader_new(const mga_ruleset *rs, FILE *in, const char *name, csv_reader **out);
/* The same with a record limit of max bytes instead of 1 MiB (MGA_PROFILE_MAX_BYTES), so that
 * the fuzz harness reaches the limit with small inputs. */
int csv_reader_new_max(const mga_ruleset *rs, FILE *in, const char *name, size_t max,
                       csv_reader **out);

/* The next record or blank line. A record cut short by a read error (or a
 * signal) is not returned: CSV_END then, with csv_reader_errno set. False in
 * *oom when out of memory. */
csv_kind csv_reader_next(csv_reader *r, csv_record *out, bool *oom);

/* The errno of the read error that ended the input, or 0. */
int csv_reader_errno(const csv_reader *r);
/* Bytes of input consumed so far. */
unsigned long long csv_reader_bytes(const csv_reader *r);
/* The blank lines before the header (they are lines 1 to *blank) and the line
 * the header ends on (*blank when there is no header). */
void csv_reader_header(const csv_reader *r, unsigned long long *blank, unsigned long long *end);
/* The 1-based column of the field at the start of a JSON path
 * ("$.conditions[1]" -> the column named conditions), or 0. Read-only: safe
 * from several threads. */
unsigned csv_reader_column(const csv_reader *r, const char *path, size_t len);

void csv_reader_free(csv_reader *r);

/* Length of the valid UTF-8 sequence at s (at most n bytes, s[0] >= 0x80), or 0
 * if it is not valid (batch.c). */
size_t batch_utf8_len(const unsigned char *s, size_t n);

#endif
