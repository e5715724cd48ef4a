/* SPDX-License-Identifier: MIT */
/* The documents of a compiled rule set: `mgadvise schema`, the profile schema as JSON
 * Schema, draft 2020-12 (mga_ruleset_write_schema), and `mgadvise catalog`, the constants
 * that lean batch records leave out (mga_ruleset_write_catalog). */
#include "cli.h"


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

static const cli_opt schema_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"allow-unknown-fields", 0, NULL, CLI_DOC_ALLOW_UNKNOWN},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const cli_opt catalog_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static mga_status write_schema(const mga_ruleset *rs, int fmt, mga_write_fn fn, void *ud)
{
    (void)fmt;
    return mga_ruleset_write_schema(rs, fn, ud);
}

static mga_status write_catalog(const mga_ruleset *rs, int fmt, mga_write_fn fn, void *ud)
{
    (void)fmt;
    return mga_ruleset_write_catalog(rs, fn, ud);
}

int cli_schema(int argc, char **argv)
{
    const cli_rules_doc doc = {"schema", usage_schema, schema_opts, NULL, NULL, write_schema};
    return cli_rules_document(argc, argv, &doc);
}

int cli_catalog(int argc, char **argv)
{
    const cli_rules_doc doc = {"catalog", usage_catalog, catalog_opts, NULL, NULL,
                               write_catalog};
    return cli_rules_document(argc, argv, &doc);
}
