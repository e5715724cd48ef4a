/* SPDX-License-Identifier: MIT */
/* How much advice a patient is shown: evaluates JSON-line profiles (bench/gen) against a
 * rule set and reports the median, 90th percentile and maximum number of advice items the
 * default text output (MGA_FORMAT_TEXT) shows, beside every item a result holds and its
 * critical and warning items, against the target (median at most 6, maximum at most 10).
 *
 *   items [-r RULES]... [FILE]      (RULES default rules/; FILE default standard input)
 *
 * Exit status: 0 the figures were printed (PASS or MISS alike); 1 a profile or the rules
 * had errors; 2 usage; 3 a file could not be read; 4 out of memory or another failure. */
#include <mgadvise.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGET_MEDIAN 6
#define TARGET_MAX 10

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static int text_put(void *ud, const char *p, size_t len)
{
    text *t = ud;
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + len + 1)
            cap *= 2;
        char *np = realloc(t->p, cap);
        if (!np)
            return 1;
        t->p = np;
        t->cap = cap;
    }
    memcpy(t->p + t->len, p, len);
    t->len += len;
    t->p[t->len] = '\0';
    return 0;
}

/* Items shown: the text numbers each one as "  N. " at the start of a line. */
static size_t shown_items(const char *s)
{
    size_t n = 0;
    for (const char *line = s; line && *line;) {
        const char *p = line;
        while (*p == ' ')
            p++;
        const char *d = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p > d && p[0] == '.' && p[1] == ' ' && d - line <= 3)
            n++;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return n;
}

static int to_stderr(void *ud, const char *p, size_t len)
{
    (void)ud;
    return fwrite(p, 1, len, stderr) != len;
}

typedef struct counts {
    size_t *v;
    size_t n, cap;
} counts;

static int counts_add(counts *c, size_t x)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        size_t *nv = realloc(c->v, cap * sizeof *nv);
        if (!nv)
            return 0;
        c->v = nv;
        c->cap = cap;
    }
    c->v[c->n++] = x;
    return 1;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile (p in 1..100) of c, sorted. */
static size_t pct(const counts *c, unsigned p)
{
    size_t k = (c->n * p + 99) / 100;
    return c->v[k ? k - 1 : 0];
}

static void row(const char *name, counts *c, const char *extra)
{
    qsort(c->v, c->n, sizeof *c->v, cmp_size);
    printf("  %-28s %6zu %6zu %6zu  %s\n", name, pct(c, 50), pct(c, 90), c->v[c->n - 1], extra);
}

int main(int argc, char **argv)
{
    const char *paths[64];
    size_t npaths = 0;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-r") == 0 || strcmp(argv[i], "--rules") == 0) && i + 1 < argc &&
            npaths < 64) {
            paths[npaths++] = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "items: unknown option '%s'\nusage: items [-r RULES]... [FILE]\n",
                    argv[i]);
            return 2;
        } else if (file) {
            fprintf(stderr, "items: one input file at a time; '%s' is one too many\n", argv[i]);
            return 2;
        } else {
            file = argv[i];
        }
    }
    if (!npaths)
        paths[npaths++] = "rules";
    FILE *in = file && strcmp(file, "-") != 0 ? fopen(file, "r") : stdin;
    if (!in) {
        fprintf(stderr, "items: cannot read '%s': %s\n", file, strerror(errno));
        return 3;
    }
    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_engine_new(NULL, &eng);
    if (st == MGA_OK)
        st = mga_compile_paths(eng, paths, npaths, &rs, &d);
    if (st != MGA_OK) {
        if (d)
            mga_diags_render(d, to_stderr, NULL);
        fprintf(stderr, "items: cannot compile the rules: %s\n", mga_status_str(st));
        mga_diags_free(d);
        mga_engine_free(eng);
        if (in != stdin)
            fclose(in);
        return st == MGA_E_NOMEM ? 4 : st == MGA_E_IO ? 3 : 1;
    }
    mga_diags_free(d);

    counts shown = {0}, all = {0}, severe = {0};
    text t = {0};
    char *line = NULL;
    size_t cap = 0, lineno = 0, hidden_severe = 0;
    ssize_t n;
    int rc = 0;
    mga_profile *p = NULL;
    mga_result *r = NULL;
    while ((n = getline(&line, &cap, in)) > 0) {
        lineno++;
        if (n == 1 && line[0] == '\n')
            continue;
        st = mga_profile_parse_reuse(rs, "profile", line, (size_t)n, &p, NULL);
        if (st != MGA_OK) {
            fprintf(stderr, "items: line %zu: the profile has errors (%s)\n", lineno,
                    mga_status_str(st));
            rc = st == MGA_E_NOMEM ? 4 : 1;
            break;
        }
        t.len = 0;
        if ((st = mga_evaluate_reuse(rs, p, &r)) != MGA_OK ||
            (st = mga_result_write(r, MGA_FORMAT_TEXT, text_put, &t)) != MGA_OK) {
            fprintf(stderr, "items: line %zu: %s\n", lineno, mga_status_str(st));
            rc = 4;
            break;
        }
        size_t na = mga_result_advice_count(r), ns = 0;
        for (size_t i = 0; i < na; i++)
            ns += mga_result_advice_ref(r, i)->severity != MGA_INFO;
        size_t sh = shown_items(t.p);
        hidden_severe += sh < ns; /* never: critical and warning items are always shown */
        if (!counts_add(&shown, sh) || !counts_add(&all, na) || !counts_add(&severe, ns)) {
            fprintf(stderr, "items: out of memory\n");
            rc = 4;
            break;
        }
    }
    if (rc == 0 && ferror(in)) {
        fprintf(stderr, "items: cannot read '%s': %s\n", file ? file : "stdin", strerror(errno));
        rc = 3;
    }
    if (rc == 0 && shown.n == 0) {
        fprintf(stderr, "items: no profiles\n");
        rc = 1;
    }
    if (rc == 0) {
        qsort(shown.v, shown.n, sizeof *shown.v, cmp_size);
        size_t med = pct(&shown, 50), max = shown.v[shown.n - 1];
        char verdict[96];
        snprintf(verdict, sizeof verdict, "target: median <= %d, max <= %d: %s", TARGET_MEDIAN,
                 TARGET_MAX, med <= TARGET_MEDIAN && max <= TARGET_MAX ? "PASS" : "MISS");
        printf("mgadvise items: %zu profiles, rules %s%s\n", shown.n, paths[0],
               npaths > 1 ? " (and more)" : "");
        printf("  %-28s %6s %6s %6s\n", "advice items per result", "median", "p90", "max");
        row("shown by the default text", &shown, verdict);
        row("in the result (JSON, --all)", &all, "");
        row("critical and warning", &severe, "(always shown)");
        if (hidden_severe) {
            printf("  ERROR: %zu results hid a critical or warning item\n", hidden_severe);
            rc = 1;
        }
    }
    free(line);
    free(t.p);
    free(shown.v);
    free(all.v);
    free(severe.v);
    mga_result_free(r);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    if (in != stdin)
        fclose(in);
    return rc;
}
