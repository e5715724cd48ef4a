/* SPDX-License-Identifier: MIT */
/* Embedding mgadvise: compile a rule folder once, evaluate a profile, walk the advice.
 * usage: embed RULES_DIR PROFILE.json */
#include <mgadvise.h>

#include <stdio.h>
#include <stdlib.h>

static int to_stderr(void *ud, const char *p, size_t len)
{
    (void)ud;
    return fwrite(p, 1, len, stderr) == len ? 0 : -1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            char *nb = realloc(buf, cap ? cap * 2 : 4096);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = cap ? cap * 2 : 4096;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s RULES_DIR PROFILE.json\n", argv[0]);
        return 2;
    }
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_diags *diags = NULL;
    if (mga_engine_new(NULL, &eng) != MGA_OK)
        return 4;
    const char *paths[] = {argv[1]};
    mga_status st = mga_compile_paths(eng, paths, 1, &rs, &diags);
    mga_diags_render(diags, to_stderr, NULL);
    mga_diags_free(diags);
    mga_engine_free(eng); /* the compiled rule set does not need the engine */
    if (st != MGA_OK) {
        fprintf(stderr, "embed: %s\n", mga_status_str(st));
        return 1;
    }

    size_t len = 0;
    char *json = slurp(argv[2], &len);
    if (!json) {
        perror(argv[2]);
        mga_ruleset_free(rs);
        return 3;
    }
    mga_profile *profile = NULL;
    st = mga_profile_parse(rs, argv[2], json, len, &profile, &diags);
    mga_diags_render(diags, to_stderr, NULL);
    mga_diags_free(diags);
    free(json);
    mga_result *res = NULL;
    if (st == MGA_OK)
        st = mga_evaluate(rs, profile, &res);
    if (st == MGA_OK) {
        printf("rules %s (%s): %zu advice items\n", mga_ruleset_name(rs), mga_ruleset_hash(rs),
               mga_result_advice_count(res));
        for (size_t i = 0; i < mga_result_advice_count(res); i++) {
            const mga_advice *a = mga_result_advice_ref(res, i);
            printf("%-8s %-12s %s [%s", mga_severity_str(a->severity), mga_kind_str(a->kind),
                   a->rule, a->cites[0].source);
            if (a->cites[0].ref)
                printf(" %u", a->cites[0].ref);
            printf("]\n");
        }
        const mga_dose *d = mga_result_dose_ref(res);
        if (d->has_max)
            printf("dose: max %g mg (%s)\n", d->max_mg, d->max_rule);
        printf("disclaimer: %s\n", mga_result_disclaimer(res));
    } else {
        fprintf(stderr, "embed: %s\n", mga_status_str(st));
    }
    mga_result_free(res);
    mga_profile_free(profile);
    mga_ruleset_free(rs);
    return st == MGA_OK ? 0 : 1;
}
