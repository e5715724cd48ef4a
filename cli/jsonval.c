/* SPDX-License-Identifier: MIT */
/* JSON values in the CLI's services: a depth check before parsing, and a parsed value
 * written back (cli/jsonval.h). */
#include "jsonval.h"

#include <stdbool.h>
#include <string.h>

size_t cli_json_depth(const char *p, size_t len, size_t max)
{
    size_t depth = 0, deepest = 0;
    bool in_str = false;
    for (size_t i = 0; i < len && deepest <= max; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest)
                deepest = depth;
        } else if ((c == ']' || c == '}') && depth) {
            depth--;
        }
    }
    return deepest;
}

static void gen_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

void cli_json_gen(yajl_gen g, yajl_val v)
{
    if (YAJL_IS_STRING(v)) {
        gen_str(g, YAJL_GET_STRING(v));
    } else if (YAJL_IS_NUMBER(v)) {
        const char *n = YAJL_GET_NUMBER(v);
        yajl_gen_number(g, n, strlen(n));
    } else if (YAJL_IS_OBJECT(v)) {
        yajl_gen_map_open(g);
        for (size_t i = 0; i < v->u.object.len; i++) {
            gen_str(g, v->u.object.keys[i]);
            cli_json_gen(g, v->u.object.values[i]);
        }
        yajl_gen_map_close(g);
    } else if (YAJL_IS_ARRAY(v)) {
        yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len; i++)
            cli_json_gen(g, v->u.array.values[i]);
        yajl_gen_array_close(g);
    } else if (YAJL_IS_TRUE(v)) {
        yajl_gen_bool(g, 1);
    } else if (YAJL_IS_FALSE(v)) {
        yajl_gen_bool(g, 0);
    } else {
        yajl_gen_null(g);
    }
}
