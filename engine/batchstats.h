/* SPDX-License-Identifier: MIT */
/* Cohort statistics of a batch (mga_batch_options.stats): how many records each rule fired
 * for, the forms preferred and avoided, the advice by severity. Each worker counts its own
 * records; the counts are merged and written once the batch is finished. */
#ifndef MGA_BATCHSTATS_H
#define MGA_BATCHSTATS_H

#include "arena.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct bstats {
    uint64_t *fired;           /* per rule: the records it fired for */
    uint64_t *prefer, *avoid;  /* per form: the records that prefer or avoid it */
    uint64_t sev[3];           /* advice items by mga_severity */
    size_t nrules, nforms;
} bstats;

/* Counts for the rules and forms of rs, all zero. False when out of memory (s is then
 * safe to free). */
bool bstats_init(bstats *s, const mga_ruleset *rs, const mem *m);
/* Counts one result. */
void bstats_count(bstats *s, const mga_result *r);
/* Adds the counts of from to into (same rule set). */
void bstats_merge(bstats *into, const bstats *from);
/* The statistics document, one line of JSON: {"records","ok","errors","rules":{id:n},
 * "never_fired":[id],"forms":{"prefer":{form:n},"avoid":{form:n}},"severity":{...}}, rules
 * in rule order, forms by name. */
void bstats_write(const bstats *s, const mga_ruleset *rs, unsigned long long ok,
                  unsigned long long errors, outbuf *o);
void bstats_free(bstats *s, const mem *m);

#endif
