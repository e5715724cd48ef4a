/* SPDX-License-Identifier: MIT */
/* `mgadvise graph`: the compiled rule graph (mga_ruleset_write_graph) as Graphviz dot or JSON. */
#include "cli.h"

int cli_graph(int argc, char **argv, const mga_source *embedded, size_t nembedded)
{
    (void)argc; (void)argv; (void)embedded; (void)nembedded;
    return EXIT_USAGE;
}
