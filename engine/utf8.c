/* SPDX-License-Identifier: MIT */
/* Strict UTF-8 validation; see utf8.h. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t utf8_check(const unsigned char *s, size_t len, bool *nul)
{
    size_t i = 0;
    *nul = false;
    while (i < len) {
        unsigned char c = s[i];
        if (c == 0) {
            *nul = true;
            return i;
        }
        if (c < 0x80) {
            i++;
            /* ASCII, eight bytes a step while none is NUL or has the high bit */
            while (len - i >= 8) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if ((w & 0x8080808080808080ull) ||
                    ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                    break;
                i += 8;
            }
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}
