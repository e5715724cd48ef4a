/* SPDX-License-Identifier: MIT */
/* Evaluation alone: compiles a rule set, parses profiles (JSON lines) into memory, then
 * times mga_evaluate_reuse per profile (one result reused, as batch's workers do), and separately evaluate + write the JSON
 * result to a sink that only counts bytes + free. Uses only the public API.
 *
 *   evalbench -r PATH [-r PATH]... --profiles FILE [--max N] [--evals M] [--repeat R]
 *             [--write-evals W] [--no-write]
 *
 * --max: profiles kept in memory (default 100000; the first N good lines of FILE).
 * --evals: evaluations per timed pass, cycling over the profiles (default 1000000); a pass
 *   also ends once it has run for PASS_SECONDS, so a slow rule set still finishes (evals=
 *   in the output is the count of the pass reported). Any kind of pass after one that took
 *   longer than PASS_SECONDS is skipped.
 * --write-evals: evaluations per timed pass of evaluate + write (default 20000; writing is
 *   the slow part, so fewer are enough).
 * --repeat: timed passes of each kind; the fastest is reported (default 3). Compilation is
 *   timed --repeat times too (fastest reported; it includes reading the rule files).
 * Output, one key=value per line: rules, nodes, compile_ms, profiles, bad_profiles,
 * parse_ns, evals, eval_ns, advice (mean advice items per profile), write_ns (evaluate +
 * write + free), out_bytes (mean JSON bytes per result). Exit 1 when the rules do not
 * compile or no profile parses. */
#include <mgadvise.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PATHS 64
#define PASS_SECONDS 3.0
#define CHECK_EVERY 1000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int count_bytes(void *ud, const char *p, size_t len)
{
    (void)p;
    *(unsigned long long *)ud += len;
    return 0;
}

static int to_stderr(void *ud, const char *p, size_t len)
{
    (void)ud;
    fwrite(p, 1, len, stderr);
    return 0;
}

static int usage(void)
{
    fputs("usage: evalbench -r PATH [-r PATH]... --profiles FILE [--max N] [--evals M] "
          "[--repeat R] [--write-evals W] [--no-write]\n",
          stderr);
    return 2;
}

static int number(const char *a, unsigned long *v)
{
    char *end;
    errno = 0;
    *v = strtoul(a, &end, 10);
    return errno || end == a || *end || a[0] == '-' || *v == 0 ? -1 : 0;
}

static void die_nomem(void)
{
    fputs("evalbench: out of memory\n", stderr);
    exit(4);
}

int main(int argc, char **argv)
{
    const char *paths[MAX_PATHS];
    size_t npaths = 0;
    const char *pfile = NULL;
    unsigned long max = 100000, evals = 1000000, wevals = 20000, repeat = 3;
    int do_write = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-write") == 0) {
            do_write = 0;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        const char *a = argv[i], *v = argv[++i];
        if (strcmp(a, "-r") == 0 && npaths < MAX_PATHS)
            paths[npaths++] = v;
        else if (strcmp(a, "--profiles") == 0)
            pfile = v;
        else if (strcmp(a, "--max") == 0) {
            if (number(v, &max))
                return usage();
        } else if (strcmp(a, "--evals") == 0) {
            if (number(v, &evals))
                return usage();
        } else if (strcmp(a, "--write-evals") == 0) {
            if (number(v, &wevals))
                return usage();
        } else if (strcmp(a, "--repeat") == 0) {
            if (number(v, &repeat))
                return usage();
        } else
            return usage();
    }
    if (!npaths || !pfile)
        return usage();

    mga_engine *eng;
    if (mga_engine_new(NULL, &eng) != MGA_OK)
        die_nomem();
    mga_ruleset *rs = NULL;
    double compile_best = 0;
    for (unsigned long r = 0; r < repeat; r++) {
        mga_ruleset *x;
        mga_diags *d = NULL;
        double t0 = now();
        mga_status st = mga_compile_paths(eng, paths, npaths, &x, &d);
        double t = now() - t0;
        if (st != MGA_OK) {
            if (d)
                mga_diags_render(d, to_stderr, NULL);
            fprintf(stderr, "evalbench: the rules do not compile: %s\n", mga_status_str(st));
            mga_diags_free(d);
            mga_engine_free(eng);
            return 1;
        }
        mga_diags_free(d);
        if (!r || t < compile_best)
            compile_best = t;
        if (rs)
            mga_ruleset_free(rs);
        rs = x;
        if (t > PASS_SECONDS)
            break;
    }

    FILE *in = fopen(pfile, "r");
    if (!in) {
        perror(pfile);
        return 3;
    }
    mga_profile **ps = malloc(max * sizeof *ps);
    if (!ps)
        die_nomem();
    size_t np = 0, bad = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    double parse_t = 0;
    while (np < max && (n = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n')
            len--;
        if (!len)
            continue;
        double t0 = now();
        mga_status st = mga_profile_parse(rs, "profile", line, len, &ps[np], NULL);
        parse_t += now() - t0;
        if (st == MGA_OK)
            np++;
        else if (st == MGA_E_PROFILE)
            bad++;
        else
            die_nomem();
    }
    free(line);
    fclose(in);
    if (!np) {
        fprintf(stderr, "evalbench: no profile in %s parsed\n", pfile);
        return 1;
    }

    double eval_best = 0, write_best = 0;
    unsigned long long advice = 0, bytes = 0;
    unsigned long done_evals = evals;
    for (unsigned long r = 0; r < repeat; r++) {
        double t0 = now(), t = 0;
        unsigned long i = 0;
        mga_result *res = NULL; /* one result reused, as batch's workers do */
        while (i < evals) {
            if (mga_evaluate_reuse(rs, ps[i % np], &res) != MGA_OK)
                die_nomem();
            /* a slow rule set: stop a pass after PASS_SECONDS (and CHECK_EVERY evaluations) */
            if (++i % CHECK_EVERY == 0 && (t = now() - t0) > PASS_SECONDS)
                break;
        }
        t = now() - t0;
        mga_result_free(res);
        if (!r || t / (double)i < eval_best) {
            eval_best = t / (double)i;
            done_evals = i;
        }
    }
    /* Not timed: the mean number of advice items, so a reader sees how much fired. */
    for (size_t i = 0; i < np; i++) {
        mga_result *res;
        if (mga_evaluate(rs, ps[i], &res) != MGA_OK)
            die_nomem();
        advice += mga_result_advice_count(res);
        mga_result_free(res);
    }
    for (unsigned long r = 0; do_write && r < repeat; r++) {
        unsigned long long b = 0;
        double t0 = now();
        mga_result *res = NULL;
        for (unsigned long i = 0; i < wevals; i++) {
            if (mga_evaluate_reuse(rs, ps[i % np], &res) != MGA_OK)
                die_nomem();
            if (mga_result_write(res, MGA_FORMAT_JSON, count_bytes, &b) != MGA_OK)
                die_nomem();
        }
        double t = now() - t0;
        mga_result_free(res);
        if (!r || t < write_best)
            write_best = t;
        bytes = b;
        if (t > PASS_SECONDS)
            break;
    }

    printf("rules=%zu\n", mga_ruleset_rule_count(rs));
    printf("nodes=%zu\n", mga_ruleset_node_count(rs));
    printf("compile_ms=%.2f\n", compile_best * 1e3);
    printf("profiles=%zu\n", np);
    printf("bad_profiles=%zu\n", bad);
    printf("parse_ns=%.0f\n", parse_t * 1e9 / (double)np);
    printf("evals=%lu\n", done_evals);
    printf("eval_ns=%.1f\n", eval_best * 1e9);
    printf("advice=%.2f\n", (double)advice / (double)np);
    if (do_write) {
        printf("write_evals=%lu\n", wevals);
        printf("write_ns=%.0f\n", write_best * 1e9 / (double)wevals);
        printf("out_bytes=%.0f\n", (double)bytes / (double)wevals);
    }

    for (size_t i = 0; i < np; i++)
        mga_profile_free(ps[i]);
    free(ps);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    if (fflush(stdout) || ferror(stdout))
        return 4;
    return 0;
}
