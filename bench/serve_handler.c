/* SPDX-License-Identifier: MIT */
/* The request handler of `mgadvise serve` without HTTP (make bench-handler): the service's
 * own handler (cli/handler.c, cds.c, declog.c) on the built-in rules, with the decision log
 * on (written to /dev/null), answering one POST body N times on one thread. It prints the
 * time per request; under callgrind, collect only serve_requests
 * (--toggle-collect='serve_requests*') and divide by N for the instructions per request.
 *   usage: serve_handler BODY.json [N]   (N default 2000) */
#include "fhirfetch.h"
#include "handler.h"

#include <mgadvise.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* N answers to body; the number of them that were not 200. */
__attribute__((noinline)) static unsigned long serve_requests(handler *h, const char *body,
                                                              size_t len, unsigned long n)
{
    unsigned long bad = 0;
    for (unsigned long i = 0; i < n; i++) {
        handler_req rq = {.method = "POST",
                          .url = "/cds-services/mgadvise-patient-view",
                          .content_type = "application/json",
                          .head_bytes = 200,
                          .t0_ms = handler_now_ms()};
        handler_resp out;
        if (handler_head(h, &rq, &out)) {
            bad++;
            free(out.body);
            continue;
        }
        handler_body(h, &rq, body, len, false, &out);
        bad += out.status != 200;
        free(out.body);
    }
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: serve_handler BODY.json [N]\n");
        return 2;
    }
    unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 3;
    }
    static char body[1 << 20];
    size_t len = fread(body, 1, sizeof body - 1, f);
    fclose(f);
    body[len] = '\0';

    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    if (!fhirfetch_init()) {
        fprintf(stderr, "serve_handler: libcurl cannot be initialised\n");
        return 3;
    }
    if (mga_engine_new(NULL, &eng) != MGA_OK || mga_compile_builtin(eng, &rs, NULL) != MGA_OK) {
        fprintf(stderr, "serve_handler: the built-in rules do not compile\n");
        return 3;
    }
    char why[256];
    declog_options lo = {.path = "/dev/null", .max_bytes = 0, .keep = 0};
    declog *log = declog_open(&lo, why, sizeof why);
    if (!log) {
        fprintf(stderr, "serve_handler: %s\n", why);
        return 3;
    }
    handler_config hc = {.max_body = sizeof body, .max_header = 16384, .log = log,
                         .fetch = {false, 10}};
    handler *h = handler_new(&hc, rs);
    if (!h) {
        fprintf(stderr, "serve_handler: out of memory\n");
        return 3;
    }
    serve_requests(h, body, len, 10); /* warm */
    double t0 = handler_now_ms();
    unsigned long bad = serve_requests(h, body, len, n);
    double ms = handler_now_ms() - t0;
    printf("serve_handler: %lu requests of %zu bytes, %.1f us per request, %lu not 200\n", n, len,
           n ? ms * 1000 / (double)n : 0.0, bad);
    handler_free(h);
    declog_free(log);
    mga_engine_free(eng);
    fhirfetch_cleanup();
    return bad != 0;
}
