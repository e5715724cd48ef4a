/* SPDX-License-Identifier: MIT */
/* The decision log of `mgadvise serve` (cli/declog.c): one JSON line per hook call, feedback
 * call and rule reload, in a size-rotated file, patient ids as a keyed hash. */
#ifndef MGA_CLI_DECLOG_H
#define MGA_CLI_DECLOG_H

#include "cds.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct declog declog;

typedef struct declog_options {
    const char *path;              /* the log file, opened for appending */
    unsigned long long max_bytes;  /* rotate before a line would pass this size (0: never) */
    unsigned keep;                 /* rotated files kept: path.1 (newest) ... path.keep */
    const char *id_key_path;       /* the HMAC key file, or NULL for a random key per run */
    bool plain_ids;                /* write patient ids as they are, not hashed */
} declog_options;

/* NULL when the file or the key cannot be read or out of memory; *why says which. */
declog *declog_open(const declog_options *o, char *why, size_t cap);
void declog_free(declog *l);
/* True when the patient ids are hashed with a key made at random for this run. */
bool declog_key_is_random(const declog *l);

/* One hook call: service id, what the request was about (trace, NULL for a request answered
 * before its body was read: its rules and the cards answered are listed), the rule set's
 * name and hash (NULL when none was used), the HTTP status and the time taken. Any thread
 * may call it; lines are written whole, one at a time. A write error is said once on
 * stderr and never fails the call. */
void declog_hook(declog *l, const char *service, const cds_trace *trace, const char *rs_name,
                 const char *rs_hash, unsigned status, double latency_ms);
/* One feedback call: its n entries as read (none when it was refused). */
void declog_feedback(declog *l, const char *service, const cds_feedback *fb, size_t n,
                     unsigned status, double latency_ms);
/* One rule reload: ok and the hash now served; diags_json the diagnostics as a JSON array
 * (NULL: none). */
void declog_reload(declog *l, bool ok, const char *rs_name, const char *rs_hash,
                   const char *diags_json, size_t diags_len);

#endif
