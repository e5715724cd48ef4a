/* SPDX-License-Identifier: MIT */
/* One record of a batch into its output line: the profile read (JSON, FHIR, or a CSV
 * record's JSON), evaluated and written as {"line","id","result"}, or the error record
 * {"line","id","error"} naming the JSON path, the code, the message and the column. The
 * threads, chunks and order are batch.c's. */
#ifndef MGA_BATCHREC_H
#define MGA_BATCHREC_H

#include "arena.h"
#include "batchstats.h"
#include "csvin.h"

#include <stdbool.h>

enum {
    REC_JSON, /* a JSON line (a profile, or FHIR) */
    REC_CSV,  /* a CSV record as a JSON object: errors name the CSV column */
    REC_READY /* a CSV record that could not become a profile: its whole error line */
};

/* A constant part of the rule set (mga_result_parts: an advice item, a reference) that
 * belongs in the output before out.b.p[at]: handed out where it lies, not copied. */
typedef struct batchrec_part {
    size_t at;
    const char *p;
    size_t len;
} batchrec_part;

/* The output of a run of records: their lines in out, but for the listed parts. */
typedef struct batchrec_out {
    outbuf out;
    batchrec_part *ext; /* in order of at (gather) */
    size_t next, ext_cap;
} batchrec_out;

/* What every record of a batch is read and written with; read-only while workers run. */
typedef struct batchrec_cfg {
    const mga_ruleset *rs;
    mga_batch_input input;
    const char *date; /* FHIR input: the request date */
    bool full;        /* MGA_FORMAT_JSON results, else MGA_FORMAT_JSON_LEAN */
    bool gather;      /* list the rule set's parts instead of copying them */
    bool stats;       /* count each good record into the worker's statistics */
    const csvin *csv; /* CSV input: names the column of a bad cell */
} batchrec_cfg;

/* A worker's own: reused record after record, so that once warm nothing is allocated. */
typedef struct batchrec_worker {
    mga_profile *prof;
    mga_result *res;
    outbuf scratch; /* a decoded id */
    bstats st;
} batchrec_worker;

/* Appends the output line of one record (json, len bytes, NUL-terminated; its input line;
 * its REC_* kind) to o; *bad tells whether it is an error record. MGA_E_NOMEM when out of
 * memory (a bad record is not a failure). */
mga_status batchrec_write(const batchrec_cfg *cfg, batchrec_worker *w, batchrec_out *o,
                          const char *json, size_t len, unsigned long long line, unsigned kind,
                          bool *bad);
/* Appends a whole error line (with its line end) for a record that never became a profile:
 * id (id_len bytes, NULL for null), the field's JSON path or NULL, the code or NULL. */
void batchrec_error_line(outbuf *o, unsigned long long line, const char *id, size_t id_len,
                         const char *field, const char *code, const char *msg,
                         unsigned long long column);
void batchrec_worker_free(batchrec_worker *w, const mem *m);

#endif
