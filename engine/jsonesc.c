/* SPDX-License-Identifier: MIT */
#include "jsonesc.h"

#define OB_LIT(w, s) outbuf_add((w), "" s, sizeof(s) - 1) /* literals only */

void json_esc(outbuf *w, const char *str, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    OB_LIT(w, "\"");
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F && c != 0xC2)
            continue;
        /* C1 controls (U+0080-U+009F, C2 80-C2 9F) and DEL are escaped too, as jsongen.c
         * does for yajl: no raw control character in any output */
        if (c == 0xC2 && !(i + 1 < n && s[i + 1] < 0xA0))
            continue;
        outbuf_add(w, str + run, i - run);
        run = i + 1;
        if (c == 0xC2) {
            c = s[++i];
            run = i + 1;
        }
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
    outbuf_add(w, str + run, n - run);
    OB_LIT(w, "\"");
}
