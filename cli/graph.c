/* SPDX-License-Identifier: MIT */
/* `mgadvise graph`: the compiled rule graph (mga_ruleset_write_graph) as Graphviz dot or JSON. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *usage_graph =
    "usage: mgadvise graph [--format dot|json] [-r PATH]... [PATH...]\n"
    "\n"
    "Writes the compiled rule graph: condition nodes (a test shared by several rules or\n"
    "facts is one node), derived facts, rules with their severity and citations, and the\n"
    "actions they lead to. PATH is a rule file or a folder of *.mga files (compiled together);\n"
    "without PATH, the shipped rule base built into this binary. PATH given as an operand is\n"
    "the same as -r PATH. Render the dot output with 'dot -Tsvg'.\n"
    "\n"
    "options:\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable)\n"
    "  -f, --format FMT    dot (default) or json\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 written; 1 the rules have errors; 2 usage; 3 a file could not be read;\n"
    "4 out of memory or output error.\n";

static const cli_opt graph_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"format", 'f', "dot or json", 'f'},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cli_graph(int argc, char **argv)
{
    mga_graph_format fmt = MGA_GRAPH_DOT;
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n = 0;
    cli_parser P;
    if (!paths || cli_parser_init(&P, "graph", graph_opts) != 0) {
        free(paths);
        return EXIT_INTERNAL;
    }
    int c;
    const char *v;
    while ((c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        if (c == 'h') {
            fputs(usage_graph, stdout);
            free(paths);
            return EXIT_OK;
        } else if (c == 'r') {
            paths[n++] = v;
        } else if (c == 'f' && strcmp(v, "dot") == 0) {
            fmt = MGA_GRAPH_DOT;
        } else if (c == 'f' && strcmp(v, "json") == 0) {
            fmt = MGA_GRAPH_JSON;
        } else {
            free(paths);
            return c == 'f' ? cli_usage_error("graph",
                                              "unknown format '%s' for -f/--format: expected "
                                              "dot or json",
                                              v)
                            : EXIT_USAGE;
        }
    }
    while (optind < argc) /* PATH... as operands: the same as -r PATH */
        paths[n++] = argv[optind++];
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
