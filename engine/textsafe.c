/* SPDX-License-Identifier: MIT */
/* Terminal safety: visible escapes for control and bidi characters in data (see textsafe.h). */
#include "textsafe.h"

#include <stdint.h>
#include <string.h>

static const char hexd[] = "0123456789abcdef";

/* The strict UTF-8 character at s[0, len) (no overlong forms, surrogates or code points
 * past U+10FFFF): its length and *cp, or 0 when s[0] does not start one. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07u;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3Fu);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Characters that change how a terminal lays out or orders the text around them. */
static int is_format_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
           cp == 0x2029;
}

static void byte_esc(unsigned char c, char esc[TEXTSAFE_ESC_MAX])
{
    esc[0] = '\\';
    esc[1] = 'x';
    esc[2] = hexd[c >> 4];
    esc[3] = hexd[c & 15];
    esc[4] = '\0';
}

size_t textsafe_step(const char *s, size_t len, unsigned flags, char esc[TEXTSAFE_ESC_MAX])
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[0];
    esc[0] = '\0';
    if (c >= 0x20 && c < 0x7F)
        return 1;
    if (c < 0x20 || c == 0x7F) {
        if (c == '\t' && (flags & TEXTSAFE_KEEP_TAB))
            return 1;
        const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
        if (named)
            memcpy(esc, named, 3);
        else
            byte_esc(c, esc);
        return 1;
    }
    uint32_t cp;
    size_t n = decode(u, len, &cp);
    if (n == 0) {
        byte_esc(c, esc);
        return 1;
    }
    if (is_format_control(cp)) {
        esc[0] = '\\';
        esc[1] = 'u';
        for (int k = 0; k < 4; k++)
            esc[2 + k] = hexd[(cp >> (12 - 4 * k)) & 15];
        esc[6] = '\0';
    }
    return n;
}

int textsafe_write(mga_write_fn fn, void *ud, const char *s, size_t len, unsigned flags)
{
    size_t run = 0, i = 0;
    char esc[TEXTSAFE_ESC_MAX];
    int rc;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F) {
            i++;
            continue;
        }
        size_t n = textsafe_step(s + i, len - i, flags, esc);
        if (esc[0] == '\0') {
            i += n;
            continue;
        }
        if (i > run && (rc = fn(ud, s + run, i - run)) != 0)
            return rc;
        if ((rc = fn(ud, esc, strlen(esc))) != 0)
            return rc;
        i += n;
        run = i;
    }
    if (len > run && (rc = fn(ud, s + run, len - run)) != 0)
        return rc;
    return 0;
}

size_t textsafe_width(const char *s, size_t len, unsigned flags)
{
    size_t w = 0;
    char esc[TEXTSAFE_ESC_MAX];
    for (size_t i = 0; i < len;) {
        size_t n = textsafe_step(s + i, len - i, flags, esc);
        w += esc[0] ? strlen(esc) : 1;
        i += n;
    }
    return w;
}

mga_status mga_text_write(const char *p, size_t len, unsigned flags, mga_write_fn fn, void *ud)
{
    if (!fn || (!p && len) || (flags & ~MGA_TEXT_KEEP_TAB))
        return MGA_E_INVALID;
    unsigned f = (flags & MGA_TEXT_KEEP_TAB) ? TEXTSAFE_KEEP_TAB : 0;
    return textsafe_write(fn, ud, p, len, f) ? MGA_E_WRITE : MGA_OK;
}
