/* SPDX-License-Identifier: MIT */
/* The prefetch a hook request lacks, fetched from the EHR's FHIR server (CDS
 * Hooks 2.0, "FHIR Resource Access") with libcurl, for `mgadvise serve`
 * (cli/fhirfetch.c). */
#ifndef MGA_CLI_FHIRFETCH_H
#define MGA_CLI_FHIRFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* The pages of one searchset Bundle followed through link "next", at most. */
#define FHIRFETCH_MAX_PAGES 10
/* The connection to the FHIR server must be made within this many seconds (or
 * the total time limit, when that is shorter). */
#define FHIRFETCH_CONNECT_SECONDS 5
/* The response bodies of one hook request together, at most: what the FHIR
 * mapper reads at most (MGA_FHIR_MAX_BYTES). */
#define FHIRFETCH_MAX_BYTES ((size_t)16 << 20)

typedef struct fhirfetch_opts {
    bool allow_http;    /* plain http:// FHIR servers too (--fhir-allow-http, testing
                           only) */
    unsigned timeout_s; /* every fetch of one hook request together (--fhir-timeout) */
} fhirfetch_opts;

/* libcurl's global state: once per process, before its threads start (curl_global_init
 * is thread-safe only in some builds of libcurl); fhirfetch_cleanup once after they end.
 * False when it fails. */
bool fhirfetch_init(void);
void fhirfetch_cleanup(void);

/* Fetches, from the request's fhirServer with its fhirAuthorization (token_type
 * Bearer), each member of templates (a JSON object: key -> query template, as
 * in the discovery document) that prefetch (the request's, or NULL) does not
 * have, the template filled from ctx (context.patientId, context.userId,
 * context.encounterId). Searchset Bundles are followed through link "next"
 * (same server, at most FHIRFETCH_MAX_PAGES pages) into one Bundle. On success
 * returns 0 and *out (malloc'd) the complete prefetch as a JSON object:
 * prefetch's members and the fetched ones. Otherwise returns the HTTP status to
 * answer (400 for a context value that cannot go into a URL, 412 for anything
 * the fetch could not get: no or a bad fhirServer or fhirAuthorization, a
 * refused scheme, a connection, time or size limit, an HTTP error, a redirect,
 * a body that is not a FHIR resource, too many pages) and writes why (naming
 * the query, never the token) into why. Thread-safe: each call has its own
 * connection; all its fetches end within o->timeout_s seconds. */
int fhirfetch_fill(const fhirfetch_opts *o, yajl_val templates, yajl_val request, yajl_val prefetch,
                   char **out, size_t *outlen, char *why, size_t whycap);

#endif
