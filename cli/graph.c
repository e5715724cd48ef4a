/* SPDX-License-Identifier: MIT */
/* `mgadvise graph`: the compiled rule graph (mga_ruleset_write_graph) as Graphviz dot or JSON. */
#include "cli.h"


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

/* The formats in the order of mga_graph_format. */
static const char *const graph_formats[] = {"dot", "json", NULL};

static mga_status write_graph(const mga_ruleset *rs, int fmt, mga_write_fn fn, void *ud)
{
    return mga_ruleset_write_graph(rs, fmt == 0 ? MGA_GRAPH_DOT : MGA_GRAPH_JSON, fn, ud);
}

int cli_graph(int argc, char **argv)
{
    const cli_rules_doc doc = {"graph", usage_graph, graph_opts, graph_formats, "dot or json",
                               write_graph};
    return cli_rules_document(argc, argv, &doc);
}
