/* SPDX-License-Identifier: MIT */
/* Commands of the mgadvise CLI that live outside main.c. Each takes its own argv (argv[0] is
 * the command name) and returns the process exit status. */
#ifndef MGA_CLI_H
#define MGA_CLI_H

#include <mgadvise.h>
#include <mgadvise_analysis.h>

#include <stddef.h>
#include <stdio.h>

/* Exit statuses shared by every command (documented in --help and docs/CLI.md). */
enum {
    EXIT_OK = 0,
    EXIT_INVALID = 1, /* the rules or the profile have errors; check found problems */
    EXIT_USAGE = 2,
    EXIT_IO = 3,
    EXIT_INTERNAL = 4 /* out of memory, or output could not be written */
};

/* The exit status for a library status. */
int cli_status_exit(mga_status st);
/* "mgadvise CMD: <fmt with arg>" and a pointer to CMD --help on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* Renders diagnostics (if any) to stderr. */
void cli_render(const mga_diags *d);
/* s as a human reads it on a terminal or in a log: control and bidi characters as visible
 * escapes (mga_text_write), in buf (cap > 4 bytes), cut short with "..." when it does not fit.
 * Returns buf. For file names, arguments and any text from the data in a message. */
#define CLI_ESC_CAP 8192
const char *cli_esc(char *buf, size_t cap, const char *s);
/* The same, written to f: s[0, len) with tabs kept when keep_tab (source lines). */
void cli_put_text(FILE *f, const char *s, size_t len, int keep_tab);
/* An mga_write_fn writing to the FILE * in ud. */
int cli_write_file(void *ud, const char *p, size_t len);
/* fflush(stdout), keeping why it failed for cli_finish_output: 0 or -1. */
int cli_flush_stdout(void);
/* After a command: flushes standard output and, when anything written to it was lost,
 * says why on stderr and returns EXIT_INTERNAL (the output error status); else rc. */
int cli_finish_output(int rc);
/* Compiles rule files and folders (paths), or the library's built-in rules (mga_compile_builtin)
 * when n is 0. With d, the
 * diagnostics are the caller's; without, they are rendered to stderr and freed. */
mga_status cli_load_rules(mga_engine *eng, const char **paths, size_t n, mga_ruleset **rs,
                          mga_diags **d);
/* eval's and explain's step: parses the profile text read from path ("-": standard
 * input), renders its diagnostics, and evaluates it. */
mga_status cli_evaluate_profile(const mga_ruleset *rs, const char *path, const char *json,
                                size_t len, mga_profile **p, mga_result **res);
/* Names st on stderr, unless diagnostics already told (compile, profile and I/O errors) or
 * it is a failed write to standard output (cli_finish_output tells why). */
void cli_report_status(mga_status st);

/* An option with a value, in any of the forms "-j 2", "-j2", "--jobs 2" and "--jobs=2"
 * (short_opt or long_opt may be NULL). Returns 0 when argv[*i] is not this option; 1 with
 * *val set when it is (*i is advanced past a value in the next argument); -1 when it is
 * but the value is missing (or empty after '='). */
int cli_opt_value(int argc, char **argv, int *i, const char *short_opt, const char *long_opt,
                  const char **val);

/* The whole of a file ('-': standard input) in a malloc'd buffer, or NULL with *err set. */
char *cli_read_all(const char *path, size_t *len, int *err);

/* Loads libmgadvise-analysis (cli/analysis.c) and installs the analysis on eng with opt and
 * stats (mga_analysis_install). MGA_E_IO when no candidate loads: why[0, cap) then says,
 * for each place tried, why not; otherwise what mga_analysis_install returns. */
mga_status cli_analysis_install(mga_engine *eng, const mga_analysis_options *opt,
                                mga_analysis_stats *stats, char *why, size_t cap);

/* `mgadvise fmt`: rewrites rule files in the canonical layout, or with --check lists those
 * that are not. */
int cli_fmt(int argc, char **argv);

/* `mgadvise graph`: writes the compiled rule graph (the built-in rules without PATH). */
int cli_graph(int argc, char **argv);

/* `mgadvise batch`: evaluates a JSON-lines file of profiles, one output line per record, in
 * input order, on several threads; the built-in rules without -r. Installs
 * SIGINT, SIGTERM and SIGPIPE dispositions for the duration of the call. */
int cli_batch(int argc, char **argv);

/* `mgadvise explain` and `mgadvise test` (cli/tools.c); rules as for cli_batch. */
int cli_explain(int argc, char **argv);
int cli_test(int argc, char **argv);

#endif
