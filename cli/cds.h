/* SPDX-License-Identifier: MIT */
/* CDS Hooks 2.0 documents of `mgadvise serve` that are not HTTP (cli/cds.c): the discovery
 * document, a request read into FHIR resources, and a result turned into cards. */
#ifndef MGA_CLI_CDS_H
#define MGA_CLI_CDS_H

#include "fhirfetch.h"

#include <mgadvise.h>

#include <stdbool.h>
#include <stddef.h>

/* What cds.c keeps per rule set: the cited documents' titles and URLs (from the catalog)
 * and the discovery document. Read-only once made: shared by every request thread. */
typedef struct cds_service cds_service;

/* NULL when out of memory or the catalog cannot be read. Borrows rs: free it first. */
cds_service *cds_service_new(const mga_ruleset *rs);
void cds_service_free(cds_service *s);
/* How the prefetch a request lacks is fetched from its fhirServer (default: https only, a
 * 10 s limit); before the first request. */
void cds_service_set_fetch(cds_service *s, const fhirfetch_opts *o);
/* The discovery document (GET /cds-services), valid as long as s. */
const char *cds_discovery_ref(const cds_service *s, size_t *len);
/* True for a service id the discovery document lists. */
bool cds_service_known(const char *id);

/* One card answered: its uuid, indicator (a constant) and summary (malloc'd). */
typedef struct cds_card {
    char uuid[37];
    const char *indicator;
    char *summary;
} cds_card;

/* What one hook call was about, for the decision log: the request's hook, hookInstance and
 * context.patientId (NULL when absent), the rules that fired, in rank order, and the cards
 * answered (none unless the status is 200). Every string is malloc'd; cds_trace_clear frees
 * them and zeroes t. */
typedef struct cds_trace {
    char *hook, *hook_instance, *patient_id;
    char **rules;
    size_t nrules;
    cds_card *cards;
    size_t ncards;
} cds_trace;
void cds_trace_clear(cds_trace *t);

/* One request handled: body is the POST body of service id. On success returns 200 and
 * *out the response (malloc'd, {"cards":[...]}); the prefetch the request lacks is first
 * fetched from its fhirServer, when it gives one. Otherwise the HTTP status (400, 412, 422,
 * 500) and *out a JSON error body {"error":KIND,"message":M} naming what was wrong. With
 * trace (NULL: none), what the request was about is written there, as far as it was read
 * (out of memory leaves parts of it NULL). */
int cds_handle(const cds_service *s, const char *id, const char *body, size_t len,
               cds_trace *trace, char **out, size_t *outlen);
/* One entry of a feedback call (CDS Hooks 2.0 Feedback), for the decision log: strings
 * malloc'd, NULL when the entry does not give them. */
typedef struct cds_feedback {
    char *card, *outcome, *timestamp; /* card, outcome, outcomeTimestamp: always set */
    char *reason_system, *reason_code, *reason_display; /* overrideReason.reason */
    char *comment;   /* overrideReason.userComment */
    size_t accepted; /* the acceptedSuggestions given */
} cds_feedback;

/* A feedback call's body checked: 200 with *fb its n entries (cds_feedback_free), or the
 * status (400, 500) and *out a JSON error body naming the entry and what is wrong. */
int cds_feedback_read(const char *body, size_t len, cds_feedback **fb, size_t *n, char **out,
                      size_t *outlen);
void cds_feedback_free(cds_feedback *fb, size_t n);

/* A JSON error body (malloc'd, NULL when out of memory). */
char *cds_error_json(const char *kind, const char *message, size_t *len);

#endif
