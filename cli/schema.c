/* SPDX-License-Identifier: MIT */
/* The documents of a compiled rule set: `mgadvise schema`, the profile schema as JSON
 * Schema, draft 2020-12 (mga_ruleset_write_schema), and `mgadvise catalog`, the constants
 * that lean batch records leave out (mga_ruleset_write_catalog). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *usage_schema =
    "usage: mgadvise schema [--allow-unknown-fields] [-r PATH]... [PATH...]\n"
    "\n"
    "Writes the profile schema of the rules as JSON Schema (draft 2020-12): each field's\n"
    "type, unit (a plain number is in the field's unit; {\"value\", \"unit\"} takes any unit\n"
    "of its dimension), range, values and description (the rule file's comment on the\n"
    "field). null is allowed for every field (unknown). Without PATH, the shipped rule\n"
    "base built into this binary. PATH given as an operand is the same as -r PATH.\n"
    "\n"
    "options:\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable)\n"
    "  --allow-unknown-fields\n"
    "                      allow keys the schema does not declare, as eval and batch do\n"
    "                      with this option\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 written; 1 the rules have errors; 2 usage; 3 a file could not be read;\n"
    "4 out of memory or output error.\n";

static const char *usage_catalog =
    "usage: mgadvise catalog [-r PATH]... [PATH...]\n"
    "\n"
    "Writes the catalog of the rules as one JSON line: what the lean records of 'mgadvise\n"
    "batch' leave out, once:\n"
    "  {\"ruleset\":{\"name\",\"hash\"},\"disclaimer\":D,\"rules\":{ID:ITEM},\n"
    "   \"sources\":[{\"source\",\"document\",\"author\",\"publisher\",\"url\",\n"
    "   \"references\":[{\"ref\",\"text\"}]}]}\n"
    "ITEM is a rule's full advice item without its rank (group, text, evidence, refer,\n"
    "forms, cite); a lean record whose ruleset_hash is ruleset.hash, joined with it, gives\n"
    "back the full record (docs/OUTPUT.md). Without PATH, the shipped rule base built into\n"
    "this binary. PATH given as an operand is the same as -r PATH.\n"
    "\n"
    "options:\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 written; 1 the rules have errors; 2 usage; 3 a file could not be read;\n"
    "4 out of memory or output error.\n";

enum { OPT_ALLOW_UNKNOWN = CLI_OPT_LONG };

static const cli_opt schema_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"allow-unknown-fields", 0, NULL, OPT_ALLOW_UNKNOWN},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const cli_opt catalog_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Compiles the rules the command line names and writes one document of them. */
static int rules_document(int argc, char **argv, const char *cmd, const char *usage,
                          const cli_opt *opts,
                          mga_status (*write)(const mga_ruleset *, mga_write_fn, void *))
{
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n = 0;
    mga_options opt;
    mga_options_init(&opt);
    cli_parser P;
    if (!paths || cli_parser_init(&P, cmd, opts) != 0) {
        free(paths);
        return EXIT_INTERNAL;
    }
    int c;
    const char *v;
    while ((c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        if (c == 'h') {
            fputs(usage, stdout);
            free(paths);
            return EXIT_OK;
        } else if (c == 'r') {
            paths[n++] = v;
        } else if (c == OPT_ALLOW_UNKNOWN) {
            opt.allow_unknown_fields = true;
        } else {
            free(paths);
            return EXIT_USAGE;
        }
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
        st = write(rs, cli_write_file, stdout);
    if (st == MGA_OK && cli_flush_stdout() != 0)
        st = MGA_E_WRITE;
    cli_report_status(st); /* a write error: cli_finish_output says why, once */
    mga_diags_free(d);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    free(paths);
    return cli_status_exit(st);
}

int cli_schema(int argc, char **argv)
{
    return rules_document(argc, argv, "schema", usage_schema, schema_opts,
                          mga_ruleset_write_schema);
}

int cli_catalog(int argc, char **argv)
{
    return rules_document(argc, argv, "catalog", usage_catalog, catalog_opts,
                          mga_ruleset_write_catalog);
}
