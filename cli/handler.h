/* SPDX-License-Identifier: MIT */
/* One HTTP request of `mgadvise serve` answered without a socket (cli/handler.c): routing,
 * the checks of the head, the hook and feedback calls, the decision log; and the rule set
 * being served, reference-counted so that a reload swaps it while requests run. */
#ifndef MGA_CLI_HANDLER_H
#define MGA_CLI_HANDLER_H

#include "auth.h"
#include "declog.h"

#include <mgadvise.h>

#include <stdbool.h>
#include <stddef.h>

typedef struct handler handler;

typedef struct handler_config {
    size_t max_body;   /* the largest request body */
    size_t max_header; /* the largest request head: the request line and headers */
    cli_auth *auth;  /* NULL: no JWT checked (--insecure-no-auth); borrowed */
    declog *log;     /* NULL: no decision log; borrowed */
    fhirfetch_opts fetch; /* how the prefetch a request lacks is fetched */
} handler_config;

/* A handler serving rs (taken: freed with the handler or when a reload replaced it and its
 * last request ended). NULL when out of memory or the catalog cannot be read (rs freed). */
handler *handler_new(const handler_config *c, mga_ruleset *rs_take);
void handler_free(handler *h);
/* Serves rs (taken) from now on: requests that started on the old rule set finish on it,
 * which is freed when the last of them ends. False when out of memory (rs freed, the old
 * rule set kept). Any thread; requests may run meanwhile. */
bool handler_swap(handler *h, mga_ruleset *rs_take);
/* The largest request body (handler_config's max_body). */
size_t handler_max_body(const handler *h);
/* The hash of the rule set being served, copied to out[17]. */
void handler_hash(handler *h, char out[17]);

/* What the HTTP layer read of a request: the header values are NULL when absent. */
typedef struct handler_req {
    const char *method, *url;
    const char *authorization, *content_type, *content_length;
    size_t head_bytes; /* the request line's and headers' size, as "Name: value\r\n" */
    double t0_ms; /* when the request began (handler_now_ms), for its latency */
} handler_req;

/* The answer: status 0 means out of memory (close the connection). body is malloc'd (NULL
 * for none), allow the Allow header or NULL, bearer asks for WWW-Authenticate: Bearer,
 * preflight for CORS preflight headers (a 204 with no body). */
typedef struct handler_resp {
    unsigned status;
    char *body;
    size_t len;
    const char *allow;
    bool bearer, preflight;
} handler_resp;

/* A monotonic clock in milliseconds. */
double handler_now_ms(void);
/* The head of a request: true with *out the answer when it needs no body (a GET, an
 * error); false when the body must be read and given to handler_body. */
bool handler_head(handler *h, const handler_req *rq, handler_resp *out);
/* The body of a request whose head needed it: len bytes, body[len] == '\0' (body NULL when
 * len is 0); too_big when the body passed the limit and was dropped. */
void handler_body(handler *h, const handler_req *rq, const char *body, size_t len, bool too_big,
                  handler_resp *out);

#endif
