/* SPDX-License-Identifier: MIT */
/* The serve plugin's entry points (mgadvise-serve.so, loaded by cli/plugin.c): its version,
 * which must be the CLI's, and `mgadvise serve` itself. The only symbols the plugin exports
 * (cli/serve.map). */
#include "cli.h"
#include "fhirfetch.h"

#include <stdio.h>

#define SERVE_EXPORT __attribute__((visibility("default")))

SERVE_EXPORT const char *mgadvise_serve_version(void);
SERVE_EXPORT int mgadvise_serve_main(int argc, char **argv);

const char *mgadvise_serve_version(void)
{
    return MGA_VERSION;
}

/* libcurl's global state spans the run, before and after every thread of the service */
int mgadvise_serve_main(int argc, char **argv)
{
    if (!fhirfetch_init()) {
        fprintf(stderr, "mgadvise serve: libcurl cannot be initialised\n");
        return 4;
    }
    int rc = cli_serve(argc, argv);
    fhirfetch_cleanup();
    return rc;
}
