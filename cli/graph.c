/* SPDX-License-Identifier: MIT */
/* `mgadvise graph`: the compiled rule graph (mga_ruleset_write_graph) as Graphviz dot or JSON. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *usage_graph =
    "usage: mgadvise graph [--format dot|json] [PATH...]\n"
    "\n"
    "Writes the compiled rule graph: condition nodes (a test shared by several rules or\n"
    "facts is one node), derived facts, rules with their severity and citations, and the\n"
    "actions they lead to. PATH is a rule file or a folder of *.mga files (compiled together);\n"
    "without PATH, the shipped rule base built into this binary. Render the dot output with\n"
    "'dot -Tsvg'.\n"
    "\n"
    "options:\n"
    "  -f, --format FMT    dot (default) or json\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 written; 1 the rules have errors; 2 usage; 3 a file could not be read;\n"
    "4 out of memory or output error.\n";

int cli_graph(int argc, char **argv)
{
    mga_graph_format fmt = MGA_GRAPH_DOT;
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n = 0;
    if (!paths)
        return EXIT_INTERNAL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int m;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_graph, stdout);
            free(paths);
            return EXIT_OK;
        } else if ((m = cli_opt_value(argc, argv, &i, "-f", "--format", &v)) != 0) {
            if (m < 0) {
                free(paths);
                return cli_usage_error("graph", "option '%s' needs dot or json", a);
            }
            if (strcmp(v, "dot") == 0) {
                fmt = MGA_GRAPH_DOT;
            } else if (strcmp(v, "json") == 0) {
                fmt = MGA_GRAPH_JSON;
            } else {
                free(paths);
                return cli_usage_error("graph", "unknown format '%s': expected dot or json", v);
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            free(paths);
            return cli_usage_error("graph", "unknown option '%s'", a);
        } else {
            paths[n++] = a;
        }
    }
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_engine_new(NULL, &eng);
    if (st == MGA_OK)
        st = cli_load_rules(eng, paths, n, &rs, &d);
    if (d && mga_diags_error_count(d))
        mga_diags_render(d, cli_write_file, stderr);
    if (st == MGA_OK)
        st = mga_ruleset_write_graph(rs, fmt, cli_write_file, stdout);
    if (st == MGA_OK && cli_flush_stdout() != 0)
        st = MGA_E_WRITE;
    if (st != MGA_OK && st != MGA_E_COMPILE && st != MGA_E_IO)
        fprintf(stderr, "mgadvise: %s\n", mga_status_str(st));
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    free(paths);
    return cli_status_exit(st);
}
