/* SPDX-License-Identifier: MIT */
/* Start-up timer for bench/start.sh: runs a command N times (standard input and output on
 * /dev/null, standard error kept), each to its end, and prints the fastest and the median
 * wall-clock time of one run in microseconds: "min_us median_us". Exits 1 if a run fails.
 * usage: spawn N COMMAND [ARG...] */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: spawn N COMMAND [ARG...]\n", stderr);
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    if (n < 1 || n > 1000000) {
        fprintf(stderr, "spawn: bad count '%s'\n", argv[1]);
        return 2;
    }
    double *t = malloc((size_t)n * sizeof *t);
    if (!t)
        return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    for (long i = 0; i < n; i++) {
        struct timespec a, b;
        pid_t pid;
        int status;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int e = posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ);
        if (e != 0) {
            fprintf(stderr, "spawn: cannot run '%s': %s\n", argv[2], strerror(e));
            return 1;
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn: '%s' failed\n", argv[2]);
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        t[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
    }
    posix_spawn_file_actions_destroy(&fa);
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("%.0f %.0f\n", t[0], t[n / 2]);
    free(t);
    return 0;
}
