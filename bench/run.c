/* SPDX-License-Identifier: MIT */
/* Runs one command and reports its wall time and peak resident set size, for bench/run.sh
 * on a machine without /usr/bin/time.
 *
 *   run [-i INPUT] [-o OUTPUT] [-e ERRORS] -- COMMAND [ARG...]
 *
 * Standard input, output and error of the command are redirected to the files given (the
 * output file is created or truncated). On standard output, one line:
 *   seconds=S cpu_seconds=C maxrss_kb=K exit=E
 * (C is the child's user + system CPU time; E is the command's exit status, or 128+N when signal N ended it). The time is
 * CLOCK_MONOTONIC from just before fork to just after wait4; the peak RSS is ru_maxrss of
 * that child alone (wait4), in kilobytes as Linux reports it. run exits 0 when it could run
 * the command, whatever the command's status; 2 on a usage error, 3 when a file or the
 * command could not be opened or started. */
#define _DEFAULT_SOURCE /* wait4 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int usage(void)
{
    fputs("usage: run [-i INPUT] [-o OUTPUT] [-e ERRORS] -- COMMAND [ARG...]\n", stderr);
    return 2;
}

static int redirect(const char *path, int fd, int flags)
{
    int f = open(path, flags, 0666);
    if (f < 0 || dup2(f, fd) < 0)
        return -1;
    close(f);
    return 0;
}

int main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *err = NULL;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "-i") == 0)
            in = argv[i + 1];
        else if (strcmp(argv[i], "-o") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "-e") == 0)
            err = argv[i + 1];
        else
            return usage();
    }
    if (i + 1 >= argc)
        return usage();
    char **cmd = argv + i + 1;

    /* The child reports a failed open or exec through this pipe (closed on exec). */
    int p[2];
    if (pipe(p) < 0 || fcntl(p[1], F_SETFD, FD_CLOEXEC) < 0) {
        perror("run: pipe");
        return 3;
    }
    fflush(stdout);
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("run: fork");
        return 3;
    }
    if (pid == 0) {
        close(p[0]);
        int e = 0;
        if ((in && redirect(in, 0, O_RDONLY) < 0) ||
            (out && redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC) < 0) ||
            (err && redirect(err, 2, O_WRONLY | O_CREAT | O_TRUNC) < 0))
            e = errno;
        else {
            execvp(cmd[0], cmd);
            e = errno;
        }
        if (write(p[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    close(p[1]);
    int e = 0;
    ssize_t got = read(p[0], &e, sizeof e);
    close(p[0]);
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("run: wait4");
            return 3;
        }
    }
    double t = now() - t0;
    if (got == (ssize_t)sizeof e) {
        fprintf(stderr, "run: cannot start '%s': %s\n", cmd[0], strerror(e));
        return 3;
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    printf("seconds=%.4f cpu_seconds=%.4f maxrss_kb=%ld exit=%d\n", t, cpu, ru.ru_maxrss, code);
    return 0;
}
