/* SPDX-License-Identifier: MIT */
/* `mgadvise batch`: a JSON-lines, CSV or FHIR-lines file of profiles in, one JSON line per
 * record out, in input order. The library's batch engine (mga_batch_*) reads, evaluates on
 * its threads and hands the output over in order; this file reads the input, writes the
 * output to standard output, shows progress, and handles signals, statistics and the
 * summary. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Input is read and fed to the library's batch engine in blocks of this size. */
#define READ_BLOCK ((size_t)1 << 16)
/* Buffers per writev(2) call, at most (and _SC_IOV_MAX). */
#define IOV_BATCH 1024

static const char *usage_batch =
    "usage: mgadvise batch [OPTIONS] [INPUT]\n"
    "\n"
    "Evaluates every profile of a JSON-lines file (one JSON object per line) or of a CSV file\n"
    "with a header row, and writes one JSON line per record to standard output, in input\n"
    "order. INPUT '-' or none reads standard input. Lines may end in LF or CRLF; blank lines\n"
    "are skipped and counted.\n"
    "\n"
    "  a good record:  {\"line\":N,\"id\":ID,\"result\":RESULT}\n"
    "                  RESULT is lean: {\"ruleset_hash\":H,\"decision\",\"decided_by\",\n"
    "                  \"advice\":[{\"rule\",\"kind\",\"severity\"}],\"see_doctor\",\"dose\",\n"
    "                  \"forms\",\"overruled\",\"disclaimer\"}; with --full, what\n"
    "                  'mgadvise eval --format json' prints\n"
    "  a bad record:   {\"line\":N,\"id\":ID,\"error\":{\"field\":PATH,\"code\":\"E4002\",\n"
    "                  \"message\":TEXT,\"column\":C}}\n"
    "\n"
    "'mgadvise catalog' writes the rest of a lean RESULT once (its ruleset.hash is H): the\n"
    "two give back the full RESULT (docs/OUTPUT.md).\n"
    "N is the physical input line (1-based, --skip included), ID the profile's \"id\" as given\n"
    "(a string or an integer) or null when it cannot be read, PATH the JSON path of the bad\n"
    "value (\"$.age\") or null, C the column of the problem on that line (0 when unknown). A\n"
    "bad record does not stop the run.\n"
    "\n"
    "CSV: the first row names the columns, each a field of the rules' profile (or id), each\n"
    "once; another name is an error before any record is read (exit 3). A cell is typed by\n"
    "its field: a number as in JSON (\"61\", \"2.5e2\"), or a number, a space and a unit\n"
    "(\"45 nmol/L\") when the field has units; true or false in any case (TRUE, True); a one-of\n"
    "symbol; a set as symbols separated by ';' (\"ibs;diabetes\"), '-' for the empty set; text.\n"
    "An empty cell leaves the field out (unknown). Quotes (RFC 4180) allow ',', '\"\"' and line\n"
    "breaks in a cell. A UTF-8 byte order mark before the header is skipped.\n"
    "N is the line a record starts on, C the 1-based CSV column; a wrong number of cells,\n"
    "bad quoting, invalid UTF-8 or a NUL byte is an error line with code null. A record\n"
    "longer than 1 MiB (1048576 bytes) is an error line with code E4012, and reading goes\n"
    "on at the next record.\n"
    "\n"
    "options:\n"
    "  -r, --rules PATH    a rule file or a folder of *.mga files (repeatable);\n"
    "                      default: the shipped rule base built into this binary\n"
    "  -j, --jobs N        N worker threads sharing one compiled rule set, 1 to 64\n"
    "                      (default: the number of online processors, at most 64);\n"
    "                      -j 1 runs without threads\n"
    "  --input-format FMT  jsonl, csv or fhir; default: csv for a file named *.csv, else\n"
    "                      jsonl; fhir: each line a FHIR R4 Bundle (or array of resources)\n"
    "                      read as 'eval --fhir' reads it; bad FHIR is an error record\n"
    "  --date YYYY-MM-DD   with fhir: the request date for ages (default: today, UTC)\n"
    "  --skip N            skip the first N input lines (blank or not), e.g. to resume; for\n"
    "                      CSV every record starting on line N or before (the header is\n"
    "                      always read)\n"
    "  --stats FILE        write cohort statistics as JSON to FILE: records, ok, errors,\n"
    "                      how many records each rule fired for (\"rules\"), the rules that\n"
    "                      never fired, preferred and avoided forms, advice by severity\n"
    "  --catalog FILE      also write the rules' catalog to FILE (one JSON line, before\n"
    "                      any record is read), as 'mgadvise catalog' does\n"
    "  --full              every RESULT whole, without a catalog\n"
    "  --allow-unknown-fields\n"
    "                      a profile key the rules do not declare is a warning, not an\n"
    "                      error (E4013): the record is evaluated and its RESULT lists\n"
    "                      it in \"warnings\":[{\"code\":\"W5001\",\"path\",\"message\",\n"
    "                      \"note\"}]\n"
    "  -q, --quiet         no progress line (the final summary is always printed)\n"
    "  -h, --help          this help\n"
    "An option's value may also be attached: -j2, -rPATH, --jobs=2, --catalog=FILE.\n"
    "\n";

/* The rest of the help (C limits one string literal to 4095 characters). */
static const char *usage_batch_tail =
    "While standard error is a terminal a progress line shows the records done, the rate\n"
    "and, for a regular file, the percentage and the time left. At the end standard error\n"
    "gets one summary line:\n"
    "  mgadvise batch: R records, K ok, E errors, B blank lines skipped, S.SS s, X records/s\n"
    "\n"
    "SIGINT or SIGTERM stops reading; the records already read are finished and written as\n"
    "whole lines, then 'interrupted after input line N; resume with --skip N' is printed.\n"
    "Running again with '--skip N' (appending to the same output) continues exactly there.\n"
    "\n"
    "When standard output cannot be written (a full disk, a file size limit) the run stops:\n"
    "a partial last line is cut off an output file, the summary counts the records written,\n"
    "and 'stopped after input line N (R records written); resume with --skip N' follows\n"
    "(exit 4). When the reader goes away (| head) the run stops quietly, the records written\n"
    "counted: exit 0 (1 if one was an error); with --stats, exit 4 and no statistics.\n"
    "\n"
    "exit status: 0 every record was good; 1 some records had errors (all the others were\n"
    "still written); 2 usage (unknown option, bad -j, a --stats or --catalog file that is\n"
    "the input, standard output or the other one); 3 the input or the rules could not\n"
    "be read, or a CSV header names an unknown column; 4 out of memory or output error (e.g.\n"
    "standard output closed, the --stats or --catalog file cannot be written);\n"
    "130 interrupted by SIGINT; 143 interrupted by SIGTERM.\n";

/* ---- Small helpers ------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A non-negative decimal integer, the whole string. */
static bool parse_count(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* ---- Output ------------------------------------------------------------------------- */

typedef struct batch {
    int out;        /* where the result lines go: standard output, or cli_batch_stream's fd */
    size_t iov_max; /* buffers per writev call */
    int write_errno;
    bool closed;                /* the reader of the output went away (EPIPE): a quiet stop */
    unsigned long long torn;    /* bytes of a partial last line left in the output */
    unsigned long long cut;     /* bytes of a partial last line cut off the output file */
    int cut_errno;              /* why a partial last line could not be cut off */

    /* progress */
    bool progress;
    double t0, last_progress;
    unsigned long long size; /* of a regular input file, else 0 */
    size_t progress_len;
} batch;

/* Whole buffers through write(2): EINTR and short writes are retried, so a line is never
 * cut, and a failure (EPIPE, EBADF, ENOSPC) is reported rather than lost in a stdio buffer.
 * *done grows by the bytes written, also when it fails part way. */
static bool write_all(int fd, const char *p, size_t n, int *err, size_t *done)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return false;
        }
        p += k;
        n -= (size_t)k;
        *done += (size_t)k;
    }
    return true;
}

/* The same for a list of buffers through writev(2), iov_max at a time, bytes in all. The
 * entries of v are consumed. */
static bool writev_all(int fd, struct iovec *v, size_t n, size_t bytes, size_t iov_max, int *err,
                       size_t *done)
{
    while (n) {
        size_t k = n < iov_max ? n : iov_max;
        ssize_t w = writev(fd, v, (int)k);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return false;
        }
        *done += (size_t)w;
        if (k == n && (size_t)w == bytes) /* the common case: all of it */
            return true;
        bytes -= (size_t)w;
        /* past the entries written whole, into a part written in part */
        size_t left = (size_t)w;
        while (n && left >= v->iov_len) {
            left -= v->iov_len;
            v++;
            n--;
        }
        if (n) {
            v->iov_base = (char *)v->iov_base + left;
            v->iov_len -= left;
        }
    }
    return true;
}

/* The library's output (mga_batch_parts_fn): the pieces of the next whole lines, written
 * where they lie. */
static int write_parts(void *ud, const mga_part *v, size_t n, size_t *done)
{
    batch *b = ud;
    *done = 0;
    if (n == 1)
        return write_all(b->out, v[0].p, v[0].len, &b->write_errno, done) ? 0 : -1;
    struct iovec iov[IOV_BATCH];
    for (size_t i = 0; i < n;) {
        size_t k = 0, bytes = 0;
        for (; k < IOV_BATCH && i < n; k++, i++) {
            iov[k] = (struct iovec){.iov_base = (void *)v[i].p, .iov_len = v[i].len};
            bytes += v[i].len;
        }
        if (!writev_all(b->out, iov, k, bytes, b->iov_max, &b->write_errno, done))
            return -1;
    }
    return 0;
}

/* After the output failed: a partial last line of `tail` bytes is cut off a regular output
 * file (the file ends where this run wrote last, nothing after it) so that it holds only
 * whole lines. When the reader went away (EPIPE) no one reads on: nothing to cut. */
static void cut_partial(batch *b, unsigned long long tail)
{
    if (b->write_errno == EPIPE) {
        b->closed = true;
        return;
    }
    if (!tail)
        return;
    struct stat st;
    off_t pos = lseek(b->out, 0, SEEK_CUR);
    if (pos < 0 || fstat(b->out, &st) != 0 || !S_ISREG(st.st_mode)) {
        b->torn = tail;
    } else if (st.st_size != pos || (off_t)tail > pos) {
        b->torn = tail; /* something follows what this run wrote: not ours to cut */
    } else if (ftruncate(b->out, pos - (off_t)tail) != 0) {
        b->torn = tail;
        b->cut_errno = errno;
    } else {
        lseek(b->out, pos - (off_t)tail, SEEK_SET);
        b->cut = tail;
    }
}

/* ---- Progress ------------------------------------------------------------------------ */

static void progress_clear(batch *b)
{
    if (!b->progress_len)
        return;
    char spaces[160];
    size_t n = b->progress_len < sizeof spaces ? b->progress_len : sizeof spaces;
    memset(spaces, ' ', n);
    fputc('\r', stderr);
    fwrite(spaces, 1, n, stderr);
    fputc('\r', stderr);
    fflush(stderr);
    b->progress_len = 0;
}

/* The records written so far and, for a regular input file, how much of it was read. */
static void progress_show(batch *b, const mga_batch *mb, unsigned long long bytes_read)
{
    double t = now_seconds();
    if (t - b->last_progress < 0.25)
        return;
    b->last_progress = t;
    mga_batch_stats s;
    mga_batch_stats_get(mb, &s);
    double el = t - b->t0;
    double rate = el > 0 ? (double)s.records / el : 0;
    char line[160];
    int n = snprintf(line, sizeof line, "mgadvise batch: %llu records, %.0f records/s",
                     s.records, rate);
    if (b->size && n > 0 && (size_t)n < sizeof line) {
        double frac = (double)bytes_read / (double)b->size;
        if (frac > 1)
            frac = 1;
        double eta = frac > 0 ? el * (1 - frac) / frac : 0;
        unsigned long long sec = (unsigned long long)(eta + 0.5);
        n += snprintf(line + n, sizeof line - (size_t)n, ", %.1f%%, ETA %llu:%02llu:%02llu",
                      frac * 100, sec / 3600, sec / 60 % 60, sec % 60);
    }
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    fputc('\r', stderr);
    fwrite(line, 1, len, stderr);
    /* pad over a longer previous line */
    for (size_t i = len; i < b->progress_len; i++)
        fputc(' ', stderr);
    fflush(stderr);
    b->progress_len = len > b->progress_len ? len : b->progress_len;
}

/* ---- One run over an open input ---------------------------------------------------- */

typedef struct batch_cfg {
    const mga_ruleset *rs;
    FILE *in;
    const char *name; /* of the input, for messages */
    mga_batch_input input;
    size_t jobs;
    unsigned long long skip;
    bool quiet;   /* no progress line */
    bool summary; /* the summary line on stderr */
    int out;      /* the result lines' file descriptor */
    FILE *stats;  /* --stats: closed by batch_run */
    const char *stats_path;
    bool full;  /* --full: results as MGA_FORMAT_JSON, else MGA_FORMAT_JSON_LEAN */
    const char *date; /* --input-format fhir: the request date */
} batch_cfg;

/* A bad CSV header, as the library's diagnostics tell it: "NAME:LINE: MESSAGE". */
static void header_error(const batch_cfg *cfg, const mga_diags *d)
{
    for (size_t i = 0, n = mga_diags_count(d); i < n; i++) {
        const mga_diag *dg = mga_diags_ref(d, i);
        if (!dg || dg->kind != MGA_DIAG_ERROR)
            continue;
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: %s:%u: ", cli_esc(e, sizeof e, cfg->name), dg->line);
        cli_put_text(stderr, dg->message, strlen(dg->message), 0);
        fputc('\n', stderr);
        if (dg->note) {
            fputs("  note: ", stderr);
            cli_put_text(stderr, dg->note, strlen(dg->note), 0);
            fputc('\n', stderr);
        }
        return;
    }
}

/* The --stats document into its file (closed here), when the run describes its output.
 * The exit status, rc or EXIT_INTERNAL. */
static int write_stats(const batch_cfg *cfg, const mga_batch *mb, const batch *b, bool failed,
                       int rc)
{
    /* the counts cover every record evaluated: only when all of them were written do they
     * describe the output */
    const char *why = NULL;
    int serr = 0;
    if (b->write_errno || b->closed)
        why = "the output ended early, so the counts would not match it";
    else if (failed || rc == EXIT_INTERNAL)
        why = "the run failed";
    errno = 0;
    if (!why) {
        mga_status st = mga_batch_stats_write(mb, cli_write_file, cfg->stats);
        if (st == MGA_E_WRITE)
            serr = errno ? errno : EIO, why = "";
        else if (st != MGA_OK)
            why = mga_status_str(st);
    }
    errno = 0;
    if (fclose(cfg->stats) != 0 && !why) {
        serr = errno ? errno : EIO;
        why = "";
    }
    if (!why)
        return rc;
    char e[CLI_ESC_CAP];
    fprintf(stderr, "mgadvise batch: cannot write statistics '%s': %s\n",
            cli_esc(e, sizeof e, cfg->stats_path), serr ? strerror(serr) : why);
    return EXIT_INTERNAL;
}

/* Reads cfg->in to its end, writing one line per record to cfg->out: the exit status. */
static int batch_run(const batch_cfg *cfg)
{
    batch b;
    memset(&b, 0, sizeof b);
    b.out = cfg->out;
    long iov = sysconf(_SC_IOV_MAX); /* POSIX: at least 16; Linux 1024 */
    b.iov_max = iov < 16 ? 16 : iov > IOV_BATCH ? IOV_BATCH : (size_t)iov;
    struct stat sb;
    if (fstat(fileno(cfg->in), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        b.size = (unsigned long long)sb.st_size;
    b.progress = !cfg->quiet && isatty(STDERR_FILENO);

    mga_batch_options opt;
    mga_batch_options_init(&opt);
    opt.jobs = (unsigned)cfg->jobs;
    opt.full = cfg->full;
    opt.input = cfg->input;
    opt.date = cfg->date;
    opt.skip = cfg->skip;
    opt.stats = cfg->stats != NULL;
    opt.parts = write_parts;
    opt.ud = &b;
    /* Gathered writes save a copy into pipes, sockets and devices. Into a regular file
     * they do not pay: with the page cache under writeback, 20,000 full records took
     * 1.0-1.2 s through writev against 0.2 s copied into one buffer (make bench, 1M run) */
    struct stat so;
    opt.gather = fstat(b.out, &so) == 0 && !S_ISREG(so.st_mode);

    struct sigaction sa, old_int, old_term, old_pipe;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART, so a blocked read returns; a second signal kills as usual */
    sa.sa_flags = (int)SA_RESETHAND;
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(SIGPIPE, &sa, &old_pipe); /* a closed stdout is a write error, not a death */

    /* the workers start with the signals blocked, so that only this thread sees them */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    mga_batch *mb = NULL;
    mga_status st = mga_batch_open(cfg->rs, &opt, &mb);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (b.out == STDOUT_FILENO)
        fflush(stdout);
    b.t0 = now_seconds();
    char *rbuf = st == MGA_OK ? malloc(READ_BLOCK) : NULL;
    if (st == MGA_OK && !rbuf)
        st = MGA_E_NOMEM;
    bool read_error = false, end = false;
    int read_errno = 0;
    unsigned long long bytes = 0;
    while (st == MGA_OK && !stop_signal) {
        errno = 0;
        size_t n = fread(rbuf, 1, READ_BLOCK, cfg->in);
        if (n)
            st = mga_batch_feed(mb, rbuf, n);
        bytes += n;
        if (b.progress)
            progress_show(&b, mb, bytes);
        if (n < READ_BLOCK) {
            if (ferror(cfg->in) && !(errno == EINTR && stop_signal)) {
                read_error = true;
                read_errno = errno ? errno : EIO;
            }
            end = feof(cfg->in) && !stop_signal;
            if (end || read_error || stop_signal)
                break;
            clearerr(cfg->in); /* a short read that is not the end: read on */
        }
    }
    free(rbuf);
    /* a record cut short by a read error or a signal is not a record */
    mga_status fst = mb ? mga_batch_finish(mb, end && !read_error) : st;
    if (st == MGA_OK)
        st = fst;
    double elapsed = now_seconds() - b.t0;
    int sig = stop_signal;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    progress_clear(&b);

    mga_batch_stats s;
    mga_batch_stats_get(mb, &s);
    if (st == MGA_E_WRITE)
        cut_partial(&b, s.partial);
    int rc = EXIT_OK;
    if (st == MGA_E_PROFILE && mga_batch_diags_ref(mb)) {
        /* a bad CSV header: no record was read, nothing written */
        header_error(cfg, mga_batch_diags_ref(mb));
        if (cfg->stats)
            fclose(cfg->stats);
        mga_batch_close(mb);
        return EXIT_IO;
    }
    if (st == MGA_E_WRITE && !b.closed) {
        fprintf(stderr, "mgadvise batch: cannot write output: %s\n", strerror(b.write_errno));
        rc = EXIT_INTERNAL;
    } else if (st != MGA_OK && !b.closed) {
        fprintf(stderr, "mgadvise batch: %s\n", mga_status_str(st));
        rc = cli_status_exit(st) == EXIT_OK ? EXIT_INTERNAL : cli_status_exit(st);
    } else if (read_error) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: cannot read '%s' after line %llu: %s\n",
                cli_esc(e, sizeof e, cfg->name), s.line, strerror(read_errno));
        rc = EXIT_IO;
    } else if (s.errors) {
        rc = EXIT_INVALID;
    }
    if (cfg->stats)
        rc = write_stats(cfg, mb, &b, st != MGA_OK, rc);

    if (cfg->summary)
        fprintf(stderr,
                "mgadvise batch: %llu records, %llu ok, %llu errors, %llu blank lines skipped, "
                "%.2f s, %.0f records/s\n",
                s.records, s.ok, s.errors, s.blanks, elapsed,
                elapsed > 0 ? (double)s.records / elapsed : 0.0);
    unsigned long long resume = s.line > cfg->skip ? s.line : cfg->skip;
    if (st == MGA_E_WRITE) {
        /* the output holds exactly the records counted above, the last for line resume */
        if (b.cut)
            fprintf(stderr,
                    "mgadvise batch: a partial last line (%llu bytes) was cut off the output\n",
                    b.cut);
        else if (b.torn && b.cut_errno)
            fprintf(stderr,
                    "mgadvise batch: the output ends in a partial line of %llu bytes that "
                    "could not be cut off: %s\n",
                    b.torn, strerror(b.cut_errno));
        else if (b.torn)
            fprintf(stderr,
                    "mgadvise batch: the output ends in a partial line of %llu bytes (not a "
                    "file this run can cut)\n",
                    b.torn);
        fprintf(stderr,
                "mgadvise batch: %s after input line %llu (%llu records written); resume with "
                "--skip %llu\n",
                b.closed ? "output closed by its reader" : "stopped", resume, s.records, resume);
    } else if (sig && rc != EXIT_INTERNAL) {
        fprintf(stderr, "mgadvise batch: interrupted after input line %llu; resume with --skip "
                        "%llu\n",
                resume, resume);
        rc = sig == SIGINT ? 130 : 143;
    }
    mga_batch_close(mb);
    return rc;
}

int cli_batch_stream(const mga_ruleset *rs, FILE *in, bool csv, int out_fd)
{
    batch_cfg cfg = {rs,    in,   "<input>", csv ? MGA_BATCH_INPUT_CSV : MGA_BATCH_INPUT_JSON,
                     1,     0,    true,      false,
                     out_fd, NULL, NULL,     true,
                     NULL};
    return batch_run(&cfg);
}

/* ---- The command --------------------------------------------------------------------- */


enum {
    OPT_SKIP = CLI_OPT_LONG,
    OPT_INPUT_FORMAT,
    OPT_STATS,
    OPT_CATALOG,
    OPT_FULL,
    OPT_DATE,
    OPT_ALLOW_UNKNOWN
};

static const cli_opt batch_opts[] = {
    {"rules", 'r', "a path", 'r'},
    {"jobs", 'j', "a number of threads (1 to 64)", 'j'},
    {"input-format", 0, "jsonl, csv or fhir", OPT_INPUT_FORMAT},
    {"date", 0, "a date (YYYY-MM-DD)", OPT_DATE},
    {"skip", 0, "a number of lines", OPT_SKIP},
    {"stats", 0, "a file", OPT_STATS},
    {"catalog", 0, "a file", OPT_CATALOG},
    {"full", 0, NULL, OPT_FULL},
    {"allow-unknown-fields", 0, NULL, OPT_ALLOW_UNKNOWN},
    {"quiet", 'q', NULL, 'q'},
    {"help", 'h', NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* True when the file at path is the regular file st (the same device and inode). */
static bool is_file(const char *path, const struct stat *st)
{
    struct stat sp;
    return path && S_ISREG(st->st_mode) && stat(path, &sp) == 0 && S_ISREG(sp.st_mode) &&
           sp.st_dev == st->st_dev && sp.st_ino == st->st_ino;
}

/* An output file (--stats, --catalog) opened for writing is emptied at once: when it is
 * the input, standard output or the other output file, records would be lost. A usage
 * error naming the option, before anything is opened for writing; false when none. */
static bool output_clash(FILE *in, const char *stats_path, const char *catalog_path)
{
    const char *opt[2] = {"--stats", "--catalog"}, *path[2] = {stats_path, catalog_path};
    struct stat si, so;
    bool have_in = fstat(fileno(in), &si) == 0, have_out = fstat(STDOUT_FILENO, &so) == 0;
    for (int i = 0; i < 2; i++) {
        const char *what = NULL;
        if (!path[i])
            continue;
        if (have_in && is_file(path[i], &si))
            what = "the input";
        else if (have_out && is_file(path[i], &so))
            what = "standard output";
        else if (i == 1 && path[0]) {
            struct stat s0;
            if (strcmp(path[0], path[1]) == 0 || (stat(path[0], &s0) == 0 && is_file(path[1], &s0)))
                what = "the --stats file";
        }
        if (what) {
            char fmt[128];
            snprintf(fmt, sizeof fmt, "%s '%%s' is %s: give another file", opt[i], what);
            cli_usage_error("batch", fmt, path[i]);
            return true;
        }
    }
    return false;
}

int cli_batch(int argc, char **argv)
{
    mga_options opt;
    mga_options_init(&opt);
    const char **rules = calloc((size_t)argc + 1, sizeof *rules);
    size_t nrules = 0;
    const char *input = NULL, *stats_path = NULL, *catalog_path = NULL;
    unsigned long long jobs = 0, skip = 0;
    bool quiet = false, full = false;
    int csv_format = -1; /* 0 JSON lines, 1 CSV, 2 FHIR lines, -1 from the file name */
    const char *date = NULL;
    cli_parser P;
    if (!rules || cli_parser_init(&P, "batch", batch_opts) != 0) {
        fputs("mgadvise batch: out of memory\n", stderr);
        free(rules);
        return EXIT_INTERNAL;
    }
    int c, urc = -1;
    const char *v;
    while (urc < 0 && (c = cli_parser_next(&P, argc, argv, &v)) != CLI_OPT_END) {
        switch (c) {
        case 'h':
            fputs(usage_batch, stdout);
            fputs(usage_batch_tail, stdout);
            urc = EXIT_OK; /* a write error: main tells why (cli_finish_output) */
            break;
        case 'r':
            rules[nrules++] = v;
            break;
        case 'j':
            if (!parse_count(v, ULLONG_MAX, &jobs))
                urc = cli_usage_error("batch",
                                      "'%s' for -j/--jobs is not a number of threads: expected "
                                      "1 to 64",
                                      v);
            else if (jobs < 1 || jobs > MGA_BATCH_MAX_JOBS)
                urc = cli_usage_error("batch", "-j/--jobs %s is out of range: expected 1 to 64 "
                                               "threads",
                                      v);
            break;
        case OPT_SKIP:
            if (!parse_count(v, ULLONG_MAX, &skip))
                urc = cli_usage_error("batch", "bad number of lines '%s' for --skip", v);
            break;
        case OPT_INPUT_FORMAT:
            if (strcmp(v, "jsonl") == 0 || strcmp(v, "csv") == 0 || strcmp(v, "fhir") == 0)
                csv_format = v[0] == 'c' ? 1 : v[0] == 'f' ? 2 : 0;
            else
                urc = cli_usage_error("batch",
                                      "unknown input format '%s' for --input-format: expected "
                                      "jsonl, csv or fhir",
                                      v);
            break;
        case OPT_DATE:
            date = v;
            break;
        case OPT_STATS:
            stats_path = v;
            break;
        case OPT_CATALOG:
            catalog_path = v;
            break;
        case OPT_FULL:
            full = true;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_ALLOW_UNKNOWN:
            opt.allow_unknown_fields = true;
            break;
        default:
            urc = EXIT_USAGE;
        }
    }
    if (urc < 0 && optind < argc)
        input = argv[optind++];
    if (urc < 0 && date && csv_format != 2)
        urc = cli_usage_error("batch", "%s--date is the request date of FHIR input: give "
                                       "--input-format fhir too", "");
    if (urc < 0 && date)
        urc = cli_date_usage("batch", date) == EXIT_OK ? -1 : EXIT_USAGE;
    if (urc < 0 && optind < argc)
        urc = cli_usage_error("batch", "one input at a time; '%s' is one too many", argv[optind]);
    if (urc < 0 && input &&
        cli_is_folder("batch", input, "a JSON-lines or CSV file, or '-'"))
        urc = EXIT_USAGE;
    if (urc >= 0) {
        free(rules);
        return urc;
    }
    if (!jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n < 1 ? 1 : n > MGA_BATCH_MAX_JOBS ? MGA_BATCH_MAX_JOBS : (unsigned long long)n;
    }

    bool from_stdin = !input || strcmp(input, "-") == 0;
    if (csv_format < 0) {
        size_t n = from_stdin ? 0 : strlen(input);
        csv_format = n >= 4 && strcasecmp(input + n - 4, ".csv") == 0;
    }
    FILE *in = from_stdin ? stdin : fopen(input, "rb");
    if (!in) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: cannot read '%s': %s\n", cli_esc(e, sizeof e, input),
                strerror(errno));
        free(rules);
        return EXIT_IO;
    }
    if (output_clash(in, stats_path, catalog_path)) {
        if (!from_stdin)
            fclose(in);
        free(rules);
        return EXIT_USAGE;
    }
    FILE *stats_file = NULL;
    if (stats_path && !(stats_file = fopen(stats_path, "wb"))) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: cannot write '%s': %s\n",
                cli_esc(e, sizeof e, stats_path), strerror(errno));
        if (!from_stdin)
            fclose(in);
        free(rules);
        return EXIT_INTERNAL;
    }
    FILE *catalog_file = NULL;
    if (catalog_path && !(catalog_file = fopen(catalog_path, "wb"))) {
        char e[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise batch: cannot write catalog '%s': %s\n",
                cli_esc(e, sizeof e, catalog_path), strerror(errno));
        if (stats_file)
            fclose(stats_file);
        if (!from_stdin)
            fclose(in);
        free(rules);
        return EXIT_INTERNAL;
    }

    mga_engine *eng = NULL;
    mga_ruleset *rs = NULL;
    mga_status st = mga_engine_new(&opt, &eng);
    if (st == MGA_OK)
        st = cli_load_rules(eng, rules, nrules, &rs, NULL);
    free(rules);
    if (st == MGA_OK && catalog_file) {
        /* the catalog is whole on disk before any record is read */
        errno = 0;
        mga_status cst = mga_ruleset_write_catalog(rs, cli_write_file, catalog_file);
        int err = errno;
        if (fclose(catalog_file) != 0 && cst == MGA_OK) {
            cst = MGA_E_WRITE;
            err = errno;
        }
        catalog_file = NULL;
        if (cst != MGA_OK) {
            char e[CLI_ESC_CAP];
            fprintf(stderr, "mgadvise batch: cannot write catalog '%s': %s\n",
                    cli_esc(e, sizeof e, catalog_path), cst == MGA_E_WRITE ? strerror(err ? err : EIO) : mga_status_str(cst));
            mga_ruleset_free(rs);
            rs = NULL;
            st = MGA_E_WRITE; /* reported: exit 4 below */
        }
    }
    if (st != MGA_OK) {
        if (st != MGA_E_COMPILE && st != MGA_E_IO && st != MGA_E_WRITE)
            fprintf(stderr, "mgadvise batch: %s\n", mga_status_str(st));
        mga_engine_free(eng);
        if (catalog_file)
            fclose(catalog_file);
        if (stats_file)
            fclose(stats_file);
        if (!from_stdin)
            fclose(in);
        return cli_status_exit(st);
    }

    char today[16];
    if (csv_format == 2 && !date && !(date = cli_today_utc(today))) {
        fputs("mgadvise batch: cannot read the date\n", stderr);
        mga_ruleset_free(rs);
        mga_engine_free(eng);
        if (stats_file)
            fclose(stats_file);
        if (!from_stdin)
            fclose(in);
        return EXIT_INTERNAL;
    }
    batch_cfg cfg = {rs,
                     in,
                     from_stdin ? "<stdin>" : input,
                     csv_format == 1   ? MGA_BATCH_INPUT_CSV
                     : csv_format == 2 ? MGA_BATCH_INPUT_FHIR
                                       : MGA_BATCH_INPUT_JSON,
                     (size_t)jobs,
                     skip,
                     quiet,
                     true,
                     STDOUT_FILENO,
                     stats_file,
                     stats_path,
                     full,
                     csv_format == 2 ? date : NULL};
    int rc = batch_run(&cfg);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
    if (!from_stdin)
        fclose(in);
    return rc;
}
