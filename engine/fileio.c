/* SPDX-License-Identifier: MIT */
#include "fileio.h"

#include <errno.h>
#include <stdio.h>

file_status file_read(const mem *m, const char *path, size_t max, char **out, size_t *len,
                      int *err)
{
    *out = NULL;
    *len = 0;
    *err = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return FILE_OPEN;
    }
    size_t cap = 4096, n = 0, got;
    char *buf = mem_alloc(m, cap + 1);
    file_status st = buf ? FILE_OK : FILE_NOMEM;
    while (st == FILE_OK && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (max && n > max) {
            st = FILE_TOO_BIG;
        } else if (n == cap) {
            char *nb = mem_realloc(m, buf, cap + 1, cap * 2 + 1);
            if (nb) {
                buf = nb;
                cap *= 2;
            } else {
                st = FILE_NOMEM;
            }
        }
    }
    if (st == FILE_OK && ferror(f))
        st = FILE_READ;
    fclose(f);
    if (st == FILE_OK) {
        /* shrink to the size the caller will free with */
        char *exact = mem_realloc(m, buf, cap + 1, n + 1);
        if (exact) {
            exact[n] = '\0';
            *out = exact;
            *len = n;
            return FILE_OK;
        }
        st = FILE_NOMEM;
    }
    if (buf)
        mem_free(m, buf, cap + 1);
    return st;
}
