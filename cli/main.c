/* SPDX-License-Identifier: MIT */
/* The mgadvise command line: eval and check. A client of the public headers only; check
 * loads the analysis library (with Z3) when it runs the analysis (cli/analysis.c); without
 * -r, the shipped rules built into the library (mga_compile_builtin). */
#include <mgadvise.h>
#include <mgadvise_analysis.h>

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *usage_main =
    "usage: mgadvise COMMAND [OPTIONS] ...\n"
    "\n"
    "Evaluates magnesium guidance rules against a profile and prints cited advice.\n"
    "\n"
    "commands:\n"
    "  eval PROFILE.json   advice for one profile ('-' reads standard input)\n"
    "  check [PATH...]     compile rule files or folders and report every problem\n"
    "  batch [INPUT]       evaluate JSON lines or CSV of profiles, one result line each\n"
    "  explain PROFILE     why each advice item applies and why other rules did not\n"
    "  test [FILES]        run rule tests (*.mgt) and report failures and coverage\n"
    "  fmt PATH...         lay out rule files the one canonical way (--check: list them)\n"
    "  graph [PATH...]     the compiled rule graph, as Graphviz dot or JSON\n"
    "  schema [PATH...]    the profile schema, as JSON Schema\n"
    "  catalog [PATH...]   the rules' catalog, which lean batch records are read with\n"
    "  lsp                 a Language Server Protocol server for editors (stdio)\n"
    "  serve               a CDS Hooks 2.0 service over HTTP (FHIR in, cards out)\n"
    "\n"
    "options:\n"
    "  -h, --help          this help; 'mgadvise COMMAND --help' for a command\n"
    "  --version           the version\n"
    "\n"
    "Every command reads its options anywhere on the line, before or after its operands;\n"
    "a value may be attached (-rPATH, --rules=PATH); '--' ends the options (an operand\n"
    "that starts with '-' follows it). A long option may be shortened while it stays\n"
    "unambiguous (--allow for --allow-unknown-fields).\n"
    "\n"
    "exit status: 0 success; 1 the rules or the profile have errors (or check found\n"
    "problems); 2 usage error; 3 a file could not be read; 4 out of memory or output error.\n"
    "This is health information from the cited documents, not medical advice.\n";

static const char *usage_eval =
    "usage: mgadvise eval [OPTIONS] PROFILE.json\n"
    "       mgadvise eval [OPTIONS] --fhir BUNDLE.json [--date YYYY-MM-DD]\n"
    "\n"
    "Prints the advice for one JSON profile, every item cited. PROFILE '-' is stdin; a\n"
    "folder is a usage error.\n"
    "\n"
    "options:\n"
    "  --fhir FILE         read the profile from FHIR R4 resources (a Bundle or a JSON\n"
    "                      array of resources; '-' is stdin) through the rules' FHIR\n"
    "                      bindings (docs/FHIR.md)\n"
    "  --date YYYY-MM-DD   the request date, on which Patient.birthDate gives the age\n"
    "                      (default: today, UTC)\n"
    "  --print-profile     with --fhir: print the profile JSON the FHIR input maps to,\n"
    "                      instead of the advice\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable);\n"
    "                      default: the shipped rule base built into this binary\n"
    "  -f, --format FMT    text (default), json (one line) or pretty (indented JSON)\n"
    "  --allow-unknown-fields\n"
    "                      a profile key the rules do not declare is a warning (W5001),\n"
    "                      not an error (E4013): it is skipped, and the result lists it\n"
    "                      under \"warnings\" (text: \"Profile warnings\")\n"
    "  --all               text: every advice item (by default the text shows the summary,\n"
    "                      every critical and warning item and the most relevant others,\n"
    "                      8 items in all); JSON always holds every item\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 advice printed; 1 the profile or the rules have errors; 2 usage;\n"
    "3 a file could not be read; 4 out of memory or output error.\n";

static const char *usage_check =
    "usage: mgadvise check [OPTIONS] [-r PATH]... [PATH...]\n"
    "\n"
    "Compiles rule files and folders (*.mga, together as one rule set) and reports every\n"
    "error and warning as file:line:col with the line and a caret. Without PATH, checks\n"
    "the shipped rule base built into this binary. PATH given as an operand is the same\n"
    "as -r PATH (both may be used).\n"
    "\n"
    "Then analyses the rules over every profile the schema allows (a decision procedure,\n"
    "Z3): rules whose actions contradict and that one profile fires together (a warning,\n"
    "or a note when a declared 'precedence' resolves it), rules that never fire, rules\n"
    "another rule with the same advice always covers, declared invariants (proven, or\n"
    "refuted with a counter-example), goals for which some profiles get no form and no\n"
    "dose advice (notes), and references never cited. Each witness profile is printed as\n"
    "JSON and has been replayed through the evaluator. The analysis needs the Z3 solver and\n"
    "lives in libmgadvise-analysis, loaded only here: from the folder of this program, then\n"
    "the installed library folder, then the system's library path. When it cannot be\n"
    "loaded, check says so (naming each place tried), runs the compile checks only, as\n"
    "--no-analysis does, and exits 3 if they found nothing.\n"
    "\n"
    "options:\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable)\n"
    "  --sources DIR       also check that every cited quote occurs in its document,\n"
    "                      read from DIR (the file named by each source's 'file'),\n"
    "                      and that the document marks each cited number there\n"
    "  --no-analysis       compile only: skip the analysis\n"
    "  -f, --format FMT    text (default: every diagnostic on standard error, with the\n"
    "                      line and a caret, and a summary), json (an array of\n"
    "                      diagnostics on standard output) or sarif (a SARIF 2.1.0 log\n"
    "                      on standard output); json and sarif print no summary\n"
    "  --time              print the time the analysis took (standard error)\n"
    "  --time-limit SECS   stop the analysis after SECS seconds (1 to 86400; default 60):\n"
    "                      the checks not reached are reported as not run (W9012)\n"
    "  -q, --quiet         print only problems (no notes, no summary)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 clean (no errors, no warnings; notes allowed); 1 errors or warnings;\n"
    "2 usage; 3 a file could not be read, or the analysis could not be loaded; 4 out of\n"
    "memory or output error.\n";

enum {
    OPT_ALL = CLI_OPT_LONG,
    OPT_ALLOW_UNKNOWN,
    OPT_SOURCES,
    OPT_NO_ANALYSIS,
    OPT_TIME,
    OPT_TIME_LIMIT,
    OPT_FHIR,
    OPT_DATE,
    OPT_PRINT_PROFILE
};

static const cli_opt eval_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"format", 'f', "text, json or pretty", 'f'},
    {"allow-unknown-fields", 0, NULL, OPT_ALLOW_UNKNOWN},
    {"all", 0, NULL, OPT_ALL},
    {"fhir", 0, "a FHIR file", OPT_FHIR},
    {"date", 0, "a date (YYYY-MM-DD)", OPT_DATE},
    {"print-profile", 0, NULL, OPT_PRINT_PROFILE},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int cmd_eval(int argc, char **argv)
{
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    size_t nrules = 0;
    cli_subject sub = {0};
    mga_format fmt = MGA_FORMAT_TEXT;
    bool all = false, print_profile = false;
    int rc = EXIT_OK;
    mga_options opt;
    mga_options_init(&opt);
    cli_parser P;
    if (!rules || cli_parser_init(&P, "eval", eval_opts) != 0) {
        free(rules);
        return EXIT_INTERNAL;
    }
    int c;
    const char *v;
    while (rc == EXIT_OK && (c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        switch (c) {
        case 'h':
            fputs(usage_eval, stdout);
            free(rules);
            return EXIT_OK;
        case 'r':
            rules[nrules++] = v;
            break;
        case 'f':
            if (strcmp(v, "text") == 0)
                fmt = MGA_FORMAT_TEXT;
            else if (strcmp(v, "json") == 0)
                fmt = MGA_FORMAT_JSON;
            else if (strcmp(v, "pretty") == 0)
                fmt = MGA_FORMAT_JSON_PRETTY;
            else
                rc = cli_usage_error("eval",
                                     "unknown format '%s' for -f/--format: expected text, json "
                                     "or pretty",
                                     v);
            break;
        case OPT_ALLOW_UNKNOWN:
            opt.allow_unknown_fields = true;
            break;
        case OPT_ALL:
            all = true;
            break;
        case OPT_FHIR:
            sub.fhir = v;
            break;
        case OPT_DATE:
            sub.date = v;
            break;
        case OPT_PRINT_PROFILE:
            print_profile = true;
            break;
        default:
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK && print_profile && !sub.fhir)
        rc = cli_usage_error("eval", "%s--print-profile shows what --fhir input maps to: give "
                                     "--fhir too", "");
    if (rc == EXIT_OK)
        rc = cli_subject_args(&sub, "eval", argc, argv, optind);
    if (rc != EXIT_OK) {
        free(rules);
        return rc;
    }
    if (all && fmt == MGA_FORMAT_TEXT)
        fmt = MGA_FORMAT_TEXT_ALL;
    mga_status st = cli_subject_open(&sub, &opt, rules, nrules);
    if (st == MGA_OK && print_profile)
        st = cli_subject_print_profile(&sub);
    else if (st == MGA_OK)
        st = cli_subject_evaluate(&sub);
    if (st == MGA_OK && !print_profile)
        st = mga_result_write(sub.res, fmt, cli_write_file, stdout);
    if (st == MGA_OK && cli_flush_stdout() != 0)
        st = MGA_E_WRITE;
    cli_report_status(st);
    rc = cli_status_exit(st);
    cli_subject_free(&sub);
    free(rules);
    return rc;
}

static const cli_opt check_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"sources", 0, "a folder", OPT_SOURCES},
    {"no-analysis", 0, NULL, OPT_NO_ANALYSIS},
    {"format", 'f', "text, json or sarif", 'f'},
    {"time", 0, NULL, OPT_TIME},
    {"time-limit", 0, "a number of seconds", OPT_TIME_LIMIT},
    {"quiet", 'q', NULL, 'q'},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int cmd_check(int argc, char **argv)
{
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n = 0;
    const char *sources = NULL;
    bool quiet = false, analysis = true, timing = false;
    double limit = 0;
    char *end;
    mga_diags_format fmt = MGA_DIAGS_TEXT;
    cli_parser P;
    if (!paths || cli_parser_init(&P, "check", check_opts) != 0) {
        free(paths);
        return EXIT_INTERNAL;
    }
    int c;
    const char *v;
    while ((c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        switch (c) {
        case 'h':
            fputs(usage_check, stdout);
            free(paths);
            return EXIT_OK;
        case 'r':
            paths[n++] = v;
            break;
        case OPT_SOURCES:
            sources = v;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_NO_ANALYSIS:
            analysis = false;
            break;
        case OPT_TIME:
            timing = true;
            break;
        case OPT_TIME_LIMIT:
            limit = strtod(v, &end);
            if (end == v || *end || !(limit >= 1 && limit <= 86400)) {
                free(paths);
                return cli_usage_error("check",
                                       "'%s' for --time-limit is not a number of seconds from 1 "
                                       "to 86400",
                                       v);
            }
            break;
        case 'f':
            if (strcmp(v, "text") == 0)
                fmt = MGA_DIAGS_TEXT;
            else if (strcmp(v, "json") == 0)
                fmt = MGA_DIAGS_JSON;
            else if (strcmp(v, "sarif") == 0)
                fmt = MGA_DIAGS_SARIF;
            else {
                free(paths);
                return cli_usage_error("check",
                                       "unknown format '%s' for -f/--format: expected text, "
                                       "json or sarif",
                                       v);
            }
            break;
        default:
            free(paths);
            return EXIT_USAGE;
        }
    }
    while (optind < argc) /* PATH... as operands: the same as -r PATH */
        paths[n++] = argv[optind++];
    mga_options opt;
    mga_options_init(&opt);
    opt.sources_dir = sources;
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_analysis_options aopt; /* the defaults of mga_analysis_options_init, which lives in
                                * the library loaded below */
    memset(&aopt, 0, sizeof aopt);
    aopt.notes = !quiet;
    aopt.max_seconds = limit;
    mga_analysis_stats astats;
    memset(&astats, 0, sizeof astats);
    bool unavailable = false;
    mga_status st = mga_engine_new(&opt, &eng);
    if (st == MGA_OK && analysis) {
        char why[4096], e[CLI_ESC_CAP];
        mga_status ast = cli_analysis_install(eng, &aopt, &astats, why, sizeof why);
        if (ast == MGA_E_IO) {
            fprintf(stderr,
                    "mgadvise check: the analysis is not available: cannot load the analysis "
                    "library (%s); running the compile checks only, as with --no-analysis\n",
                    cli_esc(e, sizeof e, why));
            analysis = false;
            unavailable = true;
        } else {
            st = ast;
        }
    }
    if (st == MGA_OK)
        st = cli_load_rules(eng, paths, n, &rs, &d);
    int rc = cli_status_exit(st);
    if (fmt == MGA_DIAGS_TEXT) {
        cli_render(d);
    } else if (d) {
        /* the diagnostics as data on standard output, and nothing else there */
        mga_status wst = mga_diags_write(d, fmt, cli_write_file, stdout);
        if (wst == MGA_OK && cli_flush_stdout() != 0)
            wst = MGA_E_WRITE;
        if (wst != MGA_OK) {
            cli_report_status(wst);
            rc = cli_status_exit(wst);
        }
        quiet = true;
    }
    size_t problems = 0;
    for (size_t i = 0; i < mga_diags_count(d); i++)
        problems += mga_diags_ref(d, i)->kind != MGA_DIAG_NOTE;
    if (st == MGA_OK && problems && rc == EXIT_OK)
        rc = EXIT_INVALID; /* warnings: not clean */
    if (st == MGA_OK && !quiet && problems == 0)
        printf("mgadvise: ok: %zu rules, %zu condition nodes, ruleset %s%s\n",
               mga_ruleset_rule_count(rs), mga_ruleset_node_count(rs), mga_ruleset_hash(rs),
               sources ? ", every quote found in its source" : "");
    if (st == MGA_OK && analysis && !quiet && !astats.skipped) {
        const mga_analysis_stats *a = &astats;
        printf("mgadvise: analysis: %zu contradicting pairs fire together (%zu resolved by "
               "precedence), %zu unreachable, %zu redundant; invariants: %zu proven, %zu "
               "refuted; %zu goals with gaps; %zu witnesses replayed\n",
               a->conflicts + a->resolved, a->resolved, a->unreachable, a->redundant,
               a->proven, a->refuted, a->gaps, a->witnesses);
    }
    if (st == MGA_OK && analysis && timing)
        fprintf(stderr, "mgadvise: analysis took %.3f s (%zu solver checks)\n",
                astats.seconds, astats.solver_checks);
    if (st == MGA_E_NOMEM)
        fprintf(stderr, "mgadvise: %s\n", mga_status_str(st));
    if (unavailable && rc == EXIT_OK)
        rc = EXIT_IO; /* the checks asked for did not all run */
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    free(paths);
    return rc;
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(NULL, "%sno command given: eval, check, batch, explain, test, "
                                     "fmt, graph, schema, catalog, lsp or serve",
                               "");
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("mgadvise %s\n", MGA_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "fmt") == 0)
        return cli_fmt(argc - 1, argv + 1);
    if (strcmp(cmd, "graph") == 0)
        return cli_graph(argc - 1, argv + 1);
    if (strcmp(cmd, "schema") == 0)
        return cli_schema(argc - 1, argv + 1);
    if (strcmp(cmd, "catalog") == 0)
        return cli_catalog(argc - 1, argv + 1);
    if (strcmp(cmd, "batch") == 0)
        return cli_batch(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cli_serve_run(argc - 1, argv + 1);
    if (strcmp(cmd, "explain") == 0)
        return cli_explain(argc - 1, argv + 1);
    if (strcmp(cmd, "test") == 0)
        return cli_test(argc - 1, argv + 1);
    if (strcmp(cmd, "lsp") == 0)
        return cli_lsp(argc - 1, argv + 1);
    if (cmd[0] == '-')
        return cli_usage_error(NULL, "unknown option '%s': give a command first", cmd);
    return cli_usage_error(NULL, "unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    /* A buffer that holds any help text or summary whole, so that a write error shows at
     * the final flush, where its errno is still known */
    static char outbuf[1 << 16]; /* glibc ignores the size without a buffer */
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    return cli_finish_output(run(argc, argv));
}
