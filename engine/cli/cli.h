/* SPDX-License-Identifier: MIT */
/* Commands of the mgadvise CLI that live outside main.c. Each takes its own argv (argv[0] is
 * the command name) and returns the process exit status. */
#ifndef MGA_CLI_H
#define MGA_CLI_H

#include <mgadvise.h>

#include <stddef.h>

/* `mgadvise batch`: evaluates a JSON-lines file of profiles, one output line per record, in
 * input order, on several threads. embedded/nembedded are the rules used without -r. Installs
 * SIGINT, SIGTERM and SIGPIPE dispositions for the duration of the call. */
int cli_batch(int argc, char **argv, const mga_source *embedded, size_t nembedded);

#endif
