/* SPDX-License-Identifier: MIT */
/* Lists of file names, and the entries of a folder in name order: the rule files fmt and
 * the language server compile, the test files test runs, the folders lsp looks in. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool cli_names_add(cli_names *l, char *s)
{
    if (!s)
        return false;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            free(s);
            return false;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return true;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cli_names_sort(cli_names *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, cmp_name);
}

void cli_names_free(cli_names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (cli_names){0};
}

int cli_list_folder(const char *dir, const char *suffix, cli_names *out)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return errno ? errno : EIO;
    size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
    int err = 0;
    struct dirent *de;
    while (!err && (de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.' || !cli_has_suffix(de->d_name, suffix))
            continue;
        size_t k = dl + strlen(de->d_name) + 2;
        char *p = malloc(k);
        if (p)
            snprintf(p, k, "%s%s%s", dir, sep, de->d_name);
        if (!cli_names_add(out, p))
            err = ENOMEM;
    }
    closedir(dp);
    cli_names_sort(out);
    return err;
}
