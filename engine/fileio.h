/* SPDX-License-Identifier: MIT */
/* Reading a whole file: the one reader behind rule files (api.c) and source documents
 * (quote.c). */
#ifndef MGA_FILEIO_H
#define MGA_FILEIO_H

#include "arena.h"

typedef enum file_status {
    FILE_OK,
    FILE_NOMEM,   /* nothing allocated */
    FILE_OPEN,    /* fopen failed: *err holds errno */
    FILE_READ,    /* a read error */
    FILE_TOO_BIG  /* more than max bytes */
} file_status;

/* Reads path whole. On FILE_OK, *out is the text with a NUL after its *len bytes, allocated
 * from m with the size *len + 1 (free with mem_free(m, *out, *len + 1)); otherwise *out is
 * NULL and nothing is left allocated. max > 0 bounds the size. */
file_status file_read(const mem *m, const char *path, size_t max, char **out, size_t *len,
                      int *err);

#endif
