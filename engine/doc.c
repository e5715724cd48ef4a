/* SPDX-License-Identifier: MIT */
/* Doc comments from the source text (see doc.h). */
#include "doc.h"

#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The end of the line that starts at i (the '\n' or len). */
static size_t line_end(const char *t, size_t len, size_t i)
{
    const char *nl = memchr(t + i, '\n', len - i);
    return nl ? (size_t)(nl - t) : len;
}

/* The first non-blank position of [i, end). */
static size_t skip_blank(const char *t, size_t i, size_t end)
{
    while (i < end && blank(t[i]))
        i++;
    return i;
}

/* Appends the comment text of t[hash, end) ('#' at hash) to b, a space first when b is not
 * empty. False on OOM. */
static bool add_comment(const mem *m, membuf *b, const char *t, size_t hash, size_t end)
{
    size_t s = skip_blank(t, hash + 1, end), e = end;
    while (e > s && blank(t[e - 1]))
        e--;
    if (e == s)
        return true;
    return (!b->len || membuf_add(m, b, " ", 1)) && membuf_add(m, b, t + s, e - s);
}

/* The '#' of a comment after code on the line [i, end), or end. Declarations of fields hold
 * no strings, so the first '#' starts the comment. */
static size_t trailing_hash(const char *t, size_t i, size_t end)
{
    const char *h = memchr(t + i, '#', end - i);
    return h ? (size_t)(h - t) : end;
}

bool doc_comment(arena *a, const char *text, size_t len, size_t off, size_t next,
                 const char **out)
{
    *out = NULL;
    if (!text || off >= len)
        return true;
    if (next > len)
        next = len;
    membuf b = {NULL, 0, 0};
    bool ok = true;
    size_t ls = off;
    while (ls > 0 && text[ls - 1] != '\n')
        ls--;
    /* leading: the comment lines right above, when the declaration starts its line */
    if (skip_blank(text, ls, off) == off) {
        size_t first = ls; /* the start of the topmost comment line */
        while (first > 0) {
            size_t pe = first - 1, ps = pe;
            while (ps > 0 && text[ps - 1] != '\n')
                ps--;
            size_t c = skip_blank(text, ps, pe);
            if (c == pe || text[c] != '#')
                break;
            first = ps;
        }
        for (size_t i = first; ok && i < ls;) {
            size_t e = line_end(text, len, i);
            ok = add_comment(a->m, &b, text, skip_blank(text, i, e), e);
            i = e + 1;
        }
    }
    /* trailing: comments after code on the declaration's lines */
    for (size_t i = ls; ok && i < len;) {
        size_t e = line_end(text, len, i);
        size_t c = skip_blank(text, i, e);
        if (i != ls && (c == e || text[c] == '#' || c >= next ||
                        (e - c >= 3 && memcmp(text + c, "end", 3) == 0 &&
                         (e - c == 3 || blank(text[c + 3]) || text[c + 3] == '#'))))
            break;
        size_t h = trailing_hash(text, i == ls ? off : c, e);
        if (h < e)
            ok = add_comment(a->m, &b, text, h, e);
        i = e + 1;
    }
    if (ok && b.len && !(*out = arena_strndup(a, b.p, b.len)))
        ok = false;
    membuf_free(a->m, &b);
    return ok;
}
