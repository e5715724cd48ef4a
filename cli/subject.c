/* SPDX-License-Identifier: MIT */
/* The subject of eval and explain: one profile, read from a PROFILE file or from FHIR
 * (--fhir FILE, --date), evaluated against the rules given with -r (or the built-in ones). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_fhir_usage(const char *cmd, const char *fhir, const char *date, const char *profile)
{
    if (date && !fhir)
        return cli_usage_error(cmd, "%s--date is the request date of --fhir input: give --fhir too", "");
    if (fhir && profile)
        return cli_usage_error(cmd, "give --fhir BUNDLE or a PROFILE, not both ('%s')", profile);
    return date ? cli_date_usage(cmd, date) : EXIT_OK;
}

int cli_subject_args(cli_subject *s, const char *cmd, int argc, char **argv, int first)
{
    const char *profile = NULL;
    if (first < argc)
        profile = argv[first++];
    if (first < argc)
        return cli_usage_error(cmd, "one profile at a time; '%s' is one too many", argv[first]);
    int rc = cli_fhir_usage(cmd, s->fhir, s->date, profile);
    if (rc != EXIT_OK)
        return rc;
    s->path = s->fhir ? s->fhir : profile;
    if (!s->path)
        return cli_usage_error(cmd, "%sa profile file is needed (or '-' for standard input)", "");
    return cli_is_folder(cmd, s->path, "a profile file or '-'") ? EXIT_USAGE : EXIT_OK;
}

mga_status cli_subject_open(cli_subject *s, const mga_options *opt, const char **rules,
                            size_t nrules)
{
    int err = 0;
    s->text = cli_read_all(s->path, &s->len, &err);
    if (!s->text) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise: cannot read '%s': %s\n", cli_esc(e, sizeof e, s->path),
                strerror(err));
        return MGA_E_IO;
    }
    mga_status st = mga_engine_new(opt, &s->eng);
    return st == MGA_OK ? cli_load_rules(s->eng, rules, nrules, &s->rs, NULL) : st;
}

/* The name diagnostics give the input: its path, or "<stdin>". */
static const char *subject_name(const cli_subject *s)
{
    return strcmp(s->path, "-") == 0 ? "<stdin>" : s->path;
}

mga_status cli_subject_evaluate(cli_subject *s)
{
    char today[16];
    const char *date = s->date;
    if (s->fhir && !date && !(date = cli_today_utc(today)))
        return MGA_E_IO;
    mga_diags *d = NULL;
    mga_status st =
        s->fhir ? mga_profile_from_fhir(s->rs, subject_name(s), s->text, s->len, date, &s->p, &d)
                : mga_profile_parse(s->rs, subject_name(s), s->text, s->len, &s->p, &d);
    cli_render(d);
    mga_diags_free(d);
    return st == MGA_OK ? mga_evaluate(s->rs, s->p, &s->res) : st;
}

mga_status cli_subject_print_profile(const cli_subject *s)
{
    char today[16];
    const char *date = s->date;
    if (!date && !(date = cli_today_utc(today)))
        return MGA_E_IO;
    mga_diags *d = NULL;
    mga_status st = mga_fhir_write_profile(s->rs, subject_name(s), s->text, s->len, date,
                                           cli_write_file, stdout, &d);
    cli_render(d);
    mga_diags_free(d);
    return st;
}

void cli_subject_free(cli_subject *s)
{
    mga_result_free(s->res);
    mga_profile_free(s->p);
    mga_ruleset_free(s->rs);
    mga_engine_free(s->eng);
    free(s->text);
    *s = (cli_subject){0};
}
