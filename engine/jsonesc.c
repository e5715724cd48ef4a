/* SPDX-License-Identifier: MIT */
#include "jsonesc.h"

#include <stdbool.h>
#include <stdint.h>

#define OB_LIT(w, s) outbuf_add((w), "" s, sizeof(s) - 1) /* literals only */

/* Whether any of the 8 bytes in x may need escaping: a byte below 0x20, '"', '\\', DEL or
 * 0xC2 (the lead byte of the C1 controls). Word-at-a-time tests (a borrow may flag a byte
 * after one that matched, never miss one): a flagged word is looked at byte by byte. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
static inline uint64_t has_zero(uint64_t x)
{
    return (x - ONES) & ~x & HIGHS;
}

static inline bool word_may_need(uint64_t x)
{
    return ((x - ONES * 0x20) & ~x & HIGHS) | has_zero(x ^ (ONES * '"')) |
           has_zero(x ^ (ONES * '\\')) | has_zero(x ^ (ONES * 0x7F)) | has_zero(x ^ (ONES * 0xC2));
}

void json_esc(outbuf *w, const char *str, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    OB_LIT(w, "\"");
    size_t run = 0, i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t x;
            memcpy(&x, s + i, sizeof x);
            if (!word_may_need(x)) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F && c != 0xC2) {
            i++;
            continue;
        }
        /* C1 controls (U+0080-U+009F, C2 80-C2 9F) and DEL are escaped too, as jsongen.c
         * does for yajl: no raw control character in any output */
        if (c == 0xC2 && !(i + 1 < n && s[i + 1] < 0xA0)) {
            i++;
            continue;
        }
        outbuf_add(w, str + run, i - run);
        if (c == 0xC2)
            c = s[++i];
        run = ++i;
        switch (c) {
        case '"':
            OB_LIT(w, "\\\"");
            break;
        case '\\':
            OB_LIT(w, "\\\\");
            break;
        case '\b':
            OB_LIT(w, "\\b");
            break;
        case '\f':
            OB_LIT(w, "\\f");
            break;
        case '\n':
            OB_LIT(w, "\\n");
            break;
        case '\r':
            OB_LIT(w, "\\r");
            break;
        case '\t':
            OB_LIT(w, "\\t");
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            outbuf_add(w, u, sizeof u);
        }
        }
    }
    if (n > run) /* (str may be NULL when n is 0) */
        outbuf_add(w, str + run, n - run);
    OB_LIT(w, "\"");
}
