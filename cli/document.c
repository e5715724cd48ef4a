/* SPDX-License-Identifier: MIT */
/* The commands that compile the rules they are given and write one document of them
 * (graph, schema, catalog): their options, the compile and the write. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_rules_document(int argc, char **argv, const cli_rules_doc *doc)
{
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n = 0;
    int fmt = 0, rc = EXIT_OK;
    mga_options opt;
    mga_options_init(&opt);
    cli_parser P;
    if (!paths || cli_parser_init(&P, doc->cmd, doc->opts) != 0) {
        free(paths);
        return EXIT_INTERNAL;
    }
    int c;
    const char *v;
    while (rc == EXIT_OK && (c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        if (c == 'h') {
            fputs(doc->usage, stdout);
            free(paths);
            return EXIT_OK;
        } else if (c == 'r') {
            paths[n++] = v;
        } else if (c == CLI_DOC_ALLOW_UNKNOWN) {
            opt.allow_unknown_fields = true;
        } else if (c == 'f') {
            for (fmt = 0; doc->formats[fmt] && strcmp(doc->formats[fmt], v) != 0; fmt++)
                ;
            if (!doc->formats[fmt]) {
                char msg[256];
                snprintf(msg, sizeof msg, "unknown format '%%s' for -f/--format: expected %s",
                         doc->formats_said);
                rc = cli_usage_error(doc->cmd, msg, v);
            }
        } else {
            rc = EXIT_USAGE;
        }
    }
    if (rc != EXIT_OK) {
        free(paths);
        return rc;
    }
    while (optind < argc) /* PATH... as operands: the same as -r PATH */
        paths[n++] = argv[optind++];
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_engine_new(&opt, &eng);
    if (st == MGA_OK)
        st = cli_load_rules(eng, paths, n, &rs, &d);
    if (d && mga_diags_error_count(d))
        mga_diags_render(d, cli_write_file, stderr);
    if (st == MGA_OK)
        st = doc->write(rs, fmt, cli_write_file, stdout);
    if (st == MGA_OK && cli_flush_stdout() != 0)
        st = MGA_E_WRITE;
    cli_report_status(st); /* a write error: cli_finish_output says why, once */
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    free(paths);
    return cli_status_exit(st);
}
