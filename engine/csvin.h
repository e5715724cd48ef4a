/* SPDX-License-Identifier: MIT */
/* CSV input for the batch engine (MGA_BATCH_INPUT_CSV): fed one physical line at a time, it
 * reads the header row and then one record at a time (libcsv), and turns each record into
 * the JSON profile a JSON line would hold, typed by the rule set's declared fields, so both
 * formats share one validation path. */
#ifndef MGA_CSVIN_H
#define MGA_CSVIN_H

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct csvin csvin;

typedef enum csvin_kind {
    CSVIN_MORE,    /* the line belongs to a record that goes on (a quoted line break) */
    CSVIN_BLANK,   /* a blank line between records */
    CSVIN_HEADER,  /* the header row, read and checked */
    CSVIN_PROFILE, /* a record, as a JSON object */
    CSVIN_BAD      /* a record that cannot become a profile */
} csvin_kind;

typedef struct csvin_record {
    csvin_kind kind;
    unsigned long long line;     /* the physical line the record (or blank line) starts on */
    unsigned long long end_line; /* the last physical line it took */
    /* CSVIN_PROFILE: the JSON object; borrowed until the next call */
    const char *json;
    size_t json_len;
    /* CSVIN_BAD (borrowed until the next call): the id cell (NULL when there is none), the
     * field's JSON path ("$.age") or NULL, the error code ("E4002") or NULL for errors in
     * the CSV itself, the message and the 1-based column of the cell (0 when none) */
    const char *id;
    size_t id_len;
    const char *field, *code, *message;
    unsigned column;
} csvin_record;

/* A reader of records of at most max bytes (MGA_PROFILE_MAX_BYTES but in the fuzz harness)
 * for the fields of rs (borrowed). MGA_E_NOMEM. Memory comes from m, but libcsv's own
 * buffer for the cell being read, which libcsv allocates with the C library. */
mga_status csvin_new(const mga_ruleset *rs, const mem *m, size_t max, csvin **out);

/* The next physical line: s holds its first kept bytes (its '\n' not among them), whole is
 * its length without the '\n' (more than kept when the caller kept only max + 1 bytes of
 * it), nl whether a '\n' ended it, quotes how many '"' all of it holds. A UTF-8 byte order
 * mark before the header is skipped. *out tells what the line completed. MGA_E_NOMEM;
 * MGA_E_PROFILE when it completes a bad header row: csvin_header_error tells why, and the
 * reader takes no more lines. */
mga_status csvin_line(csvin *r, const char *s, size_t kept, unsigned long long whole, bool nl,
                      unsigned long long quotes, csvin_record *out);
/* The end of the input: a record that has no line end yet is finished (or, inside an open
 * quote, is a bad record); CSVIN_MORE when there is none. MGA_E_NOMEM. */
mga_status csvin_end(csvin *r, csvin_record *out);

/* After MGA_E_PROFILE: the header's diagnostic (E4041-E4045, its line set, a "did you
 * mean" note for a misspelt column), which the caller then owns; NULL when out of memory or
 * taken before. */
mga_diags *csvin_diags_take(csvin *r);
/* The 1-based column of the field at the start of a JSON path ("$.conditions[1]" -> the
 * column named conditions), or 0. Read-only: safe from several threads. */
unsigned csvin_column(const csvin *r, const char *path, size_t len);

/* NULL is a no-op. */
void csvin_free(csvin *r);

#endif
