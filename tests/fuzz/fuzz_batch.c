/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: `mgadvise batch` over an arbitrary input file, in process, with the
 * shipped rules. The first byte picks JSON lines or CSV and one or two threads; the rest
 * is the input. For JSON lines, the promise of batch is checked: exactly one output line
 * per non-blank input line, in order, each a whole {"line":N,...} object. For CSV, every
 * output line is whole and numbered in increasing order. */
#include <mgadvise.h>

#include "cli.h"
#include "fuzz.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], in_jsonl[96], in_csv[96], out[96];

/* The scratch folder goes when the process exits normally (every test run left one). */
static void cleanup(void)
{
    unlink(in_jsonl);
    unlink(in_csv);
    unlink(out);
    rmdir(dir);
}

static void setup(void)
{
    if (dir[0])
        return;
    strcpy(dir, "/tmp/mga-fuzz-batch-XXXXXX");
    FUZZ_CHECK(mkdtemp(dir) != NULL);
    snprintf(in_jsonl, sizeof in_jsonl, "%s/in.jsonl", dir);
    snprintf(in_csv, sizeof in_csv, "%s/in.csv", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FUZZ_CHECK(atexit(cleanup) == 0);
}

static char *slurp(const char *path, size_t *len)
{
    int err = 0;
    char *p = cli_read_all(path, len, &err);
    FUZZ_CHECK(p != NULL || (err == 0 && *len == 0));
    return p;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0);
    while (n) {
        ssize_t w = write(fd, p, n);
        FUZZ_CHECK(w > 0);
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    setup();
    bool csv = data[0] & 1, two = data[0] & 2;
    const char *in = csv ? in_csv : in_jsonl;
    write_file(in, data + 1, size - 1);

    /* stdout to a file; stderr stays, so that a sanitizer's report reaches the log (the
     * summary line of each run goes there too) */
    int saved_out = dup(1);
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(saved_out >= 0 && fo >= 0);
    dup2(fo, 1);
    char a0[] = "batch", a1[] = "-q", a2[] = "-j", a3[] = "1"; /* -q: no progress line */
    a3[0] = two ? '2' : '1';
    char *argv[] = {a0, a1, a2, a3, (char *)in, NULL};
    int rc = cli_batch(5, argv);
    dup2(saved_out, 1);
    close(saved_out);
    close(fo);

    /* 0: every record good; 1: some bad (each an error line); 3: a CSV header it cannot use */
    FUZZ_CHECK(rc == EXIT_OK || rc == EXIT_INVALID || (csv && rc == EXIT_IO));
    size_t olen = 0;
    char *o = slurp(out, &olen);
    size_t nout = 0;
    unsigned long long last = 0;
    for (size_t i = 0; i < olen;) {
        const char *nl = memchr(o + i, '\n', olen - i);
        FUZZ_CHECK(nl != NULL); /* only whole lines */
        size_t n = (size_t)(nl - (o + i));
        FUZZ_CHECK(n > 9 && memcmp(o + i, "{\"line\":", 8) == 0 && o[i + n - 1] == '}');
        unsigned long long line = strtoull(o + i + 8, NULL, 10);
        FUZZ_CHECK(line > last); /* in input order */
        last = line;
        nout++;
        i += n + 1;
    }
    if (!csv) {
        size_t nin = 0;
        const char *s = (const char *)data + 1;
        size_t len = size - 1;
        for (size_t i = 0; i < len;) {
            const char *nl = memchr(s + i, '\n', len - i);
            size_t n = nl ? (size_t)(nl - (s + i)) : len - i;
            nin += !blank(s + i, n);
            i += n + 1;
        }
        FUZZ_CHECK(nout == nin); /* one result or error line per record, none lost */
    }
    free(o);
    return 0;
}
