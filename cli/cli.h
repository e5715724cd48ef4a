/* SPDX-License-Identifier: MIT */
/* Commands of the mgadvise CLI that live outside main.c. Each takes its own argv (argv[0] is
 * the command name) and returns the process exit status. */
#ifndef MGA_CLI_H
#define MGA_CLI_H

#include <mgadvise.h>
#include <mgadvise_analysis.h>

#include <getopt.h>
#include <stdbool.h>
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
/* Today's date (UTC) as YYYY-MM-DD in buf[16] (the default request date of FHIR input),
 * or NULL. */
const char *cli_today_utc(char *buf);
/* --date's form (YYYY-MM-DD): EXIT_OK, or EXIT_USAGE with the message printed. */
int cli_date_usage(const char *cmd, const char *date);
/* Names st on stderr, unless diagnostics already told (compile, profile and I/O errors) or
 * it is a failed write to standard output (cli_finish_output tells why). */
void cli_report_status(mga_status st);

/* The subject of eval and explain (cli/subject.c): one profile, from a PROFILE file or
 * from FHIR resources (--fhir FILE, with --date the request date, default today UTC). The
 * caller sets fhir and date from its options, zeroes the rest, and frees it with
 * cli_subject_free whatever happened. */
typedef struct cli_subject {
    const char *fhir, *date; /* the options, or NULL */
    const char *path;        /* the input file ("-": standard input), set by cli_subject_args */
    char *text;
    size_t len;
    mga_engine *eng;
    mga_ruleset *rs;
    mga_profile *p;
    mga_result *res;
} cli_subject;
/* --fhir and --date against a PROFILE operand: a usage error (EXIT_USAGE, said on stderr)
 * for a date that is not YYYY-MM-DD, for --date without --fhir, or for --fhir with a
 * PROFILE; else EXIT_OK. */
int cli_fhir_usage(const char *cmd, const char *fhir, const char *date, const char *profile);
/* After cmd's options: the operands argv[first..argc-1] hold at most one PROFILE, which
 * goes with the options as cli_fhir_usage says, and the input is not a folder. EXIT_OK with
 * s->path set, or EXIT_USAGE after saying why. */
int cli_subject_args(cli_subject *s, const char *cmd, int argc, char **argv, int first);
/* Reads the input (MGA_E_IO, said on stderr, when it cannot) and compiles the rules (their
 * diagnostics rendered to stderr). */
mga_status cli_subject_open(cli_subject *s, const mga_options *opt, const char **rules,
                            size_t nrules);
/* Reads the profile from the input (its diagnostics rendered) and evaluates it: s->p and
 * s->res. */
mga_status cli_subject_evaluate(cli_subject *s);
/* eval --fhir --print-profile: writes the profile JSON the FHIR input maps to on stdout. */
mga_status cli_subject_print_profile(const cli_subject *s);
void cli_subject_free(cli_subject *s);

/* Options of one command, parsed with getopt_long: "-r PATH", "-rPATH", "--rules PATH",
 * "--rules=PATH", short flags grouped ("-qj2"), an unambiguous prefix of a long name
 * ("--allow"), options before and after operands, "--" ending options. A table ends with
 * a NULL name. id is what cli_parser_next returns: the short letter when there is one,
 * else a number from CLI_OPT_LONG up. */
enum { CLI_OPT_LONG = 256, CLI_OPT_END = -1, CLI_OPT_ERROR = -2 };
typedef struct cli_opt {
    const char *name; /* the long name, without "--" */
    int short_name;   /* 0: none */
    const char *value; /* what the value is, "a path" (option '-r' needs a path); NULL: none */
    int id;
} cli_opt;

typedef struct cli_parser {
    const char *cmd;
    const cli_opt *opts;
    size_t n;
    char shorts[64];
    struct option longs[24];
} cli_parser;

/* Starts parsing argv (argv[0] is the command) with opts; 0, or -1 for a table too large. */
int cli_parser_init(cli_parser *p, const char *cmd, const cli_opt *opts);
/* The next option's id, with *val its value (never empty: an empty one is an error);
 * CLI_OPT_END when the options are done (the operands are then argv[optind..argc-1], in
 * order); CLI_OPT_ERROR after printing a usage error that names the option and says why. */
int cli_parser_next(cli_parser *p, int argc, char **argv, const char **val);
/* "-j/--jobs" or "--skip": an option by id, for a message. */
const char *cli_parser_name(const cli_parser *p, int id, char *buf, size_t cap);

/* A rule file or folder argument that names a folder when a file is needed: true after
 * printing "'PATH' is a folder: give WHAT" as a usage error of cmd. */
bool cli_is_folder(const char *cmd, const char *path, const char *what);

/* Whether s ends with suf. */
bool cli_has_suffix(const char *s, const char *suf);

/* A list of malloc'd file names (cli/folder.c); zero it to start. */
typedef struct cli_names {
    char **v;
    size_t n, cap;
} cli_names;
/* Appends s, which the list then owns; false when s is NULL or memory runs out (s freed). */
bool cli_names_add(cli_names *l, char *s);
/* In name order (strcmp). */
void cli_names_sort(cli_names *l);
void cli_names_free(cli_names *l);
/* Appends the entries of folder dir whose names end with suffix ("": all), hidden ones (a
 * leading '.') left out, as "dir/name", and sorts the list: 0, or an errno value (the folder
 * cannot be opened; ENOMEM, with what was listed kept). */
int cli_list_folder(const char *dir, const char *suffix, cli_names *out);

/* The value of a hexadecimal digit, or -1. */
int cli_hexval(int c);

/* The whole of a file ('-': standard input) in a malloc'd buffer, or NULL with *err set. */
char *cli_read_all(const char *path, size_t *len, int *err);

/* Loads libmgadvise-analysis (cli/analysis.c) and installs the analysis on eng with opt and
 * stats (mga_analysis_install). MGA_E_IO when no candidate loads: why[0, cap) then says,
 * for each place tried, why not; otherwise what mga_analysis_install returns. */
mga_status cli_analysis_install(mga_engine *eng, const mga_analysis_options *opt,
                                mga_analysis_stats *stats, char *why, size_t cap);

/* Opens the plugin file (cli/plugin.c): next to the executable, then in dir (unless NULL),
 * then, when search, through the dynamic loader's search path; a candidate counts only
 * when its version_sym returns MGA_VERSION. The handle, or NULL with why[0, cap) saying,
 * for each place tried, why not ("not an mgadvise WHAT" for a file without version_sym). */
void *cli_plugin_open(const char *file, const char *dir, bool search, const char *version_sym,
                      const char *what, char *why, size_t cap);
/* `mgadvise serve` through the serve plugin: its exit status, or 3 when the plugin cannot
 * be loaded (said on stderr). */
int cli_serve_run(int argc, char **argv);

/* `mgadvise fmt`: rewrites rule files in the canonical layout, or with --check lists those
 * that are not. */
int cli_fmt(int argc, char **argv);

/* A command that compiles the rules it is given (-r PATH and PATH operands; the built-in
 * rules without) and writes one document of them on stdout (cli/document.c). Its options
 * table may hold 'r', 'h', 'f' (one of formats, a NULL-ended list: write gets its index;
 * formats_said names them in the error) and CLI_DOC_ALLOW_UNKNOWN. */
enum { CLI_DOC_ALLOW_UNKNOWN = CLI_OPT_LONG };
typedef struct cli_rules_doc {
    const char *cmd, *usage;
    const cli_opt *opts;
    const char *const *formats;
    const char *formats_said;
    mga_status (*write)(const mga_ruleset *rs, int fmt, mga_write_fn fn, void *ud);
} cli_rules_doc;
int cli_rules_document(int argc, char **argv, const cli_rules_doc *doc);

/* `mgadvise graph`: writes the compiled rule graph (the built-in rules without PATH). */
int cli_graph(int argc, char **argv);

/* `mgadvise schema`: writes the profile schema as JSON Schema; `mgadvise catalog`: the
 * rules' catalog (the built-in rules without PATH). */
int cli_schema(int argc, char **argv);
int cli_catalog(int argc, char **argv);

/* `mgadvise batch`: evaluates a JSON-lines file of profiles, one output line per record, in
 * input order, on several threads; the built-in rules without -r. Installs
 * SIGINT, SIGTERM and SIGPIPE dispositions for the duration of the call. */
int cli_batch(int argc, char **argv);
/* The batch loop alone, on one thread: reads in (JSON lines, or CSV when csv) to its end
 * against rs and writes one line per record to out_fd, as `mgadvise batch -q -j 1` does,
 * without its summary line. Nothing in rs or in the process is set up per call, so the
 * fuzz harness runs it per input. Returns the exit status batch would. */
int cli_batch_stream(const mga_ruleset *rs, FILE *in, bool csv, int out_fd);

/* `mgadvise serve`: the CDS Hooks service over HTTP (cli/serve.c, cli/cds.c); runs until
 * SIGTERM or SIGINT, which it blocks in every thread and waits for. It lives in the serve
 * plugin (mgadvise-serve.so, entry points in cli/serve_entry.c) with the libraries only it
 * needs; the CLI runs it through cli_serve_run. */
int cli_serve(int argc, char **argv);

/* `mgadvise explain` and `mgadvise test` (cli/tools.c); rules as for cli_batch. */
int cli_explain(int argc, char **argv);
int cli_test(int argc, char **argv);

/* `mgadvise lsp` (cli/lsp.c): a Language Server Protocol server on standard input and
 * output for rule and test files. */
int cli_lsp(int argc, char **argv);

#endif
