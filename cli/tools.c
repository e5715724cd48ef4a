/* SPDX-License-Identifier: MIT */
/* The clinician tools of the mgadvise CLI: `explain` (why each advice item applies, why
 * other rules did not) and `test` (rule tests with expectations, and coverage). Uses only
 * the public header. */
#include <mgadvise.h>

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *usage_explain =
    "usage: mgadvise explain [OPTIONS] PROFILE.json\n"
    "       mgadvise explain [OPTIONS] --fhir BUNDLE.json [--date YYYY-MM-DD]\n"
    "\n"
    "Explains the advice for one profile: for every advice item, its rule and condition\n"
    "tree as written, each part true, false or unknown with the profile values it read and\n"
    "the derived facts it used, expanded; what resolution overruled and by which rule; and\n"
    "for every rule that did not fire, the first condition that failed with the value seen\n"
    "(\"field missing\" when the profile does not give it). PROFILE '-' is stdin.\n"
    "\n"
    "options:\n"
    "  --rule ID           only this rule: its whole condition tree, fired or not\n"
    "  --fhir FILE         read the profile from FHIR R4 resources, as eval --fhir\n"
    "  --date YYYY-MM-DD   the request date of --fhir (default: today, UTC)\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable);\n"
    "                      default: the shipped rule base built into this binary\n"
    "  -f, --format FMT    text (default: an indented tree) or json (one object)\n"
    "  --allow-unknown-fields\n"
    "                      a profile key the rules do not declare is a warning (W5001,\n"
    "                      on standard error), not an error (E4013)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 explained; 1 the profile or the rules have errors, or no rule has that\n"
    "ID; 2 usage; 3 a file could not be read; 4 out of memory or output error.\n";

enum {
    OPT_RULE = CLI_OPT_LONG,
    OPT_ALLOW_UNKNOWN,
    OPT_COVERAGE,
    OPT_MIN_COVERAGE,
    OPT_FHIR,
    OPT_DATE
};

static const cli_opt explain_opts[] = {
    {"rule", 0, "a rule id", OPT_RULE},
    {"rules", 'r', "a path", 'r'},
    {"format", 'f', "text or json", 'f'},
    {"allow-unknown-fields", 0, NULL, OPT_ALLOW_UNKNOWN},
    {"fhir", 0, "a FHIR file", OPT_FHIR},
    {"date", 0, "a date (YYYY-MM-DD)", OPT_DATE},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cli_explain(int argc, char **argv)
{
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    size_t nrules = 0;
    const char *rule = NULL;
    cli_subject sub = {0};
    mga_format fmt = MGA_FORMAT_TEXT;
    int rc = EXIT_OK;
    mga_options opt;
    mga_options_init(&opt);
    cli_parser P;
    if (!rules || cli_parser_init(&P, "explain", explain_opts) != 0) {
        free(rules);
        return EXIT_INTERNAL;
    }
    int c;
    const char *v;
    while (rc == EXIT_OK && (c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        switch (c) {
        case 'h':
            fputs(usage_explain, stdout);
            free(rules);
            return EXIT_OK;
        case 'r':
            rules[nrules++] = v;
            break;
        case OPT_RULE:
            rule = v;
            break;
        case 'f':
            if (strcmp(v, "text") == 0)
                fmt = MGA_FORMAT_TEXT;
            else if (strcmp(v, "json") == 0)
                fmt = MGA_FORMAT_JSON;
            else
                rc = cli_usage_error("explain",
                                     "unknown format '%s' for -f/--format: expected text or json",
                                     v);
            break;
        case OPT_ALLOW_UNKNOWN:
            opt.allow_unknown_fields = true;
            break;
        case OPT_FHIR:
            sub.fhir = v;
            break;
        case OPT_DATE:
            sub.date = v;
            break;
        default:
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK)
        rc = cli_subject_args(&sub, "explain", argc, argv, optind);
    if (rc != EXIT_OK) {
        free(rules);
        return rc;
    }
    mga_status st = cli_subject_open(&sub, &opt, rules, nrules);
    if (st == MGA_OK && rule) {
        bool found = false;
        for (size_t i = 0; i < mga_ruleset_rule_count(sub.rs) && !found; i++)
            found = strcmp(mga_ruleset_rule_id(sub.rs, i), rule) == 0;
        if (!found) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise explain: no rule '%s' in the rule set\n",
                    cli_esc(e, sizeof e, rule));
            st = MGA_E_PROFILE; /* exit 1: the request names nothing there */
        }
    }
    if (st == MGA_OK)
        st = cli_subject_evaluate(&sub);
    if (st == MGA_OK)
        st = mga_result_explain_write(sub.res, rule, fmt, cli_write_file, stdout);
    if (st == MGA_OK && cli_flush_stdout() != 0)
        st = MGA_E_WRITE;
    cli_report_status(st);
    rc = cli_status_exit(st);
    cli_subject_free(&sub);
    free(rules);
    return rc;
}

static const char *usage_test =
    "usage: mgadvise test [OPTIONS] [FILE|DIR...]\n"
    "\n"
    "Runs rule tests: 'test' blocks in *.mgt files (a folder gives its *.mgt files in name\n"
    "order; default: tests/rules). Each test gives a profile and expects advice present or\n"
    "absent by rule id, a severity, forms preferred or avoided, dose values or referrals\n"
    "(see docs/TESTING.md). Prints each failing test with what was expected and what the\n"
    "result holds, then 'N passed, N failed'.\n"
    "\n"
    "options:\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable);\n"
    "                      default: the shipped rule base built into this binary\n"
    "  --coverage          also report the share of rules fired, each rule no test fires,\n"
    "                      and each condition never seen true or never seen false\n"
    "  --min-coverage P    fail when fewer than P percent of the rules fire (implies\n"
    "                      --coverage)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 every test passed (and coverage reached P); 1 a test failed, coverage\n"
    "is below P, or the rules or the tests have errors; 2 usage; 3 a file could not be\n"
    "read; 4 out of memory or output error.\n";

typedef struct srclist {
    mga_source *v;
    size_t n, cap;
} srclist;

static void srclist_free(srclist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].name);
        free((char *)l->v[i].text);
    }
    free(l->v);
}

/* Reads a file into the list; returns an exit status. */
static int add_file(srclist *l, const char *path)
{
    size_t len = 0;
    int err = 0;
    char *text = cli_read_all(path, &len, &err);
    if (!text) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise: cannot read '%s': %s\n",
                cli_esc(e, sizeof e, path), strerror(err));
        return err == ENOMEM ? EXIT_INTERNAL : EXIT_IO;
    }
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        mga_source *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) {
            free(text);
            return EXIT_INTERNAL;
        }
        l->v = nv;
        l->cap = ncap;
    }
    char *name = strdup(path);
    if (!name) {
        free(text);
        return EXIT_INTERNAL;
    }
    l->v[l->n].name = name;
    l->v[l->n].text = text;
    l->v[l->n].len = len;
    l->n++;
    return EXIT_OK;
}

/* A file, or a folder's *.mgt files in name order. */
static int add_path(srclist *l, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise: cannot read '%s': %s\n",
                cli_esc(e, sizeof e, path), strerror(errno));
        return EXIT_IO;
    }
    if (!S_ISDIR(st.st_mode))
        return add_file(l, path);
    cli_names names = {0};
    int err = cli_list_folder(path, ".mgt", &names);
    int rc = err == ENOMEM ? EXIT_INTERNAL : err ? EXIT_IO : EXIT_OK;
    char e[CLI_ESC_CAP];
    if (rc == EXIT_IO)
        fprintf(stderr, "mgadvise: cannot read '%s': %s\n", cli_esc(e, sizeof e, path),
                strerror(err));
    if (rc == EXIT_OK && names.n == 0) {
        fprintf(stderr, "mgadvise: no *.mgt files in '%s'\n", cli_esc(e, sizeof e, path));
        rc = EXIT_IO;
    }
    for (size_t i = 0; rc == EXIT_OK && i < names.n; i++)
        rc = add_file(l, names.v[i]);
    cli_names_free(&names);
    return rc;
}

static const cli_opt test_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"coverage", 0, NULL, OPT_COVERAGE},
    {"min-coverage", 0, "a percentage", OPT_MIN_COVERAGE},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cli_test(int argc, char **argv)
{
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    size_t nrules = 0, nfiles = 0;
    bool coverage = false;
    double min_cov = -1;
    int rc = EXIT_OK;
    cli_parser P;
    if (!rules || !files || cli_parser_init(&P, "test", test_opts) != 0) {
        free(rules);
        free(files);
        return EXIT_INTERNAL;
    }
    int c;
    const char *v;
    while (rc == EXIT_OK && (c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        char *end = NULL;
        switch (c) {
        case 'h':
            fputs(usage_test, stdout);
            free(rules);
            free(files);
            return EXIT_OK;
        case 'r':
            rules[nrules++] = v;
            break;
        case OPT_COVERAGE:
            coverage = true;
            break;
        case OPT_MIN_COVERAGE:
            min_cov = strtod(v, &end);
            if (end == v || *end || !(min_cov >= 0 && min_cov <= 100))
                rc = cli_usage_error("test",
                                     "'%s' for --min-coverage is not a percentage from 0 to 100",
                                     v);
            coverage = true;
            break;
        default:
            rc = EXIT_USAGE;
        }
    }
    while (rc == EXIT_OK && optind < argc)
        files[nfiles++] = argv[optind++];
    if (rc != EXIT_OK) {
        free(rules);
        free(files);
        return rc;
    }
    if (nfiles == 0)
        files[nfiles++] = "tests/rules";
    srclist src = {0};
    for (size_t i = 0; i < nfiles && rc == EXIT_OK; i++)
        rc = add_path(&src, files[i]);
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_tests *tests = NULL;
    mga_coverage *cov = NULL;
    mga_diags *d = NULL;
    mga_status st = MGA_OK;
    size_t failed = 0;
    if (rc == EXIT_OK) {
        st = mga_engine_new(NULL, &eng);
        if (st == MGA_OK)
            st = cli_load_rules(eng, rules, nrules, &rs, NULL);
        if (st == MGA_OK) {
            st = mga_tests_compile(eng, rs, src.v, src.n, &tests, &d);
            cli_render(d);
            mga_diags_free(d);
        }
        if (st == MGA_OK && coverage)
            st = mga_coverage_new(rs, &cov);
        if (st == MGA_OK)
            st = mga_tests_run(tests, cov, cli_write_file, stdout, &failed);
        if (st == MGA_OK) {
            size_t n = mga_tests_count(tests);
            printf("%zu passed, %zu failed\n", n - failed, failed);
            if (cov)
                st = mga_coverage_write(cov, cli_write_file, stdout);
        }
        if (st == MGA_OK && cli_flush_stdout() != 0)
            st = MGA_E_WRITE;
        cli_report_status(st);
        rc = cli_status_exit(st);
        if (rc == EXIT_OK && failed)
            rc = EXIT_INVALID;
        if (st == MGA_OK && cov && min_cov >= 0 && mga_coverage_percent(cov) < min_cov) {
            printf("coverage %.1f%% is below the minimum of %g%%\n", mga_coverage_percent(cov),
                   min_cov);
            rc = EXIT_INVALID;
        }
    }
    mga_coverage_free(cov);
    mga_tests_free(tests);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    srclist_free(&src);
    free(rules);
    free(files);
    return rc;
}
