/* SPDX-License-Identifier: MIT */
/* JSON values in the CLI's services: a depth check before parsing, a parsed value
 * written back, and a tree that leaves the values of one member out (cli/jsonval.h). */
#include "jsonval.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

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

/* ---- a tree that leaves the values of one member out ---------------------------------- */

typedef struct tframe {
    yajl_val v;   /* an object or array being filled */
    char *key;    /* an object's key waiting for its value */
    size_t cap;   /* of v's arrays */
    bool is_skip; /* v is the root's member named skip */
} tframe;

typedef struct tbuild {
    yajl_val root;
    tframe *st;
    size_t depth, cap;
    const char *skip;
    size_t ignore; /* > 0: inside a value left out, this many levels deep */
    size_t max_depth;
    bool deep; /* nested deeper than max_depth */
    const char *why; /* why a callback stopped the parse */
} tbuild;

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? 2 * *cap : 8;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* v attached where it belongs (as the root, an array's next value, or an object's value
 * for the waiting key); frees v and returns false when it cannot be. */
static bool attach(tbuild *b, yajl_val v)
{
    if (b->depth == 0) {
        if (b->root) {
            yajl_tree_free(v);
            b->why = "more than one value";
            return false;
        }
        b->root = v;
        return true;
    }
    tframe *f = &b->st[b->depth - 1];
    yajl_val c = f->v;
    if (YAJL_IS_OBJECT(c)) {
        size_t cap = f->cap;
        if (!f->key || !grow((void **)&c->u.object.keys, &cap, c->u.object.len + 1,
                             sizeof *c->u.object.keys) ||
            !grow((void **)&c->u.object.values, &f->cap, c->u.object.len + 1,
                  sizeof *c->u.object.values)) {
            yajl_tree_free(v);
            b->why = f->key ? "out of memory" : "a value without a key";
            return false;
        }
        c->u.object.keys[c->u.object.len] = f->key;
        c->u.object.values[c->u.object.len++] = v;
        f->key = NULL;
        return true;
    }
    if (!grow((void **)&c->u.array.values, &f->cap, c->u.array.len + 1,
              sizeof *c->u.array.values)) {
        yajl_tree_free(v);
        b->why = "out of memory";
        return false;
    }
    c->u.array.values[c->u.array.len++] = v;
    return true;
}

static yajl_val node(tbuild *b, yajl_type t)
{
    yajl_val v = calloc(1, sizeof *v);
    if (!v)
        b->why = "out of memory";
    else
        v->type = t;
    return v;
}

static int t_scalar(tbuild *b, yajl_val v)
{
    return v && attach(b, v);
}

static int t_null(void *ud)
{
    tbuild *b = ud;
    return b->ignore ? 1 : t_scalar(b, node(b, yajl_t_null));
}

static int t_bool(void *ud, int t)
{
    tbuild *b = ud;
    return b->ignore ? 1 : t_scalar(b, node(b, t ? yajl_t_true : yajl_t_false));
}

static char *text_dup(tbuild *b, const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p) {
        b->why = "out of memory";
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static int t_number(void *ud, const char *s, size_t len)
{
    tbuild *b = ud;
    if (b->ignore)
        return 1;
    yajl_val v = node(b, yajl_t_number);
    if (!v || !(v->u.number.r = text_dup(b, s, len))) {
        free(v);
        return 0;
    }
    /* as yajl_tree reads a number: the integer and the double when they hold it */
    char *end = NULL;
    errno = 0;
    v->u.number.i = strtoll(v->u.number.r, &end, 10);
    if (errno == 0 && end && *end == '\0')
        v->u.number.flags |= YAJL_NUMBER_INT_VALID;
    errno = 0;
    v->u.number.d = strtod(v->u.number.r, &end);
    if (errno == 0 && end && *end == '\0')
        v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
    return attach(b, v);
}

static int t_string(void *ud, const unsigned char *s, size_t len)
{
    tbuild *b = ud;
    if (b->ignore)
        return 1;
    yajl_val v = node(b, yajl_t_string);
    if (!v || !(v->u.string = text_dup(b, (const char *)s, len))) {
        free(v);
        return 0;
    }
    return attach(b, v);
}

static int t_key(void *ud, const unsigned char *s, size_t len)
{
    tbuild *b = ud;
    if (b->ignore)
        return 1;
    tframe *f = &b->st[b->depth - 1];
    free(f->key);
    return (f->key = text_dup(b, (const char *)s, len)) != NULL;
}

static int t_open(tbuild *b, yajl_type t)
{
    if (b->depth + b->ignore >= b->max_depth) {
        b->deep = true;
        b->why = "nested too deep";
        return 0;
    }
    if (b->ignore) {
        b->ignore++;
        return 1;
    }
    /* a value of the skipped member: kept with its type, its contents left out */
    bool leave_out = b->depth == 2 && b->st[1].is_skip;
    bool is_skip = b->depth == 1 && YAJL_IS_OBJECT(b->st[0].v) && b->st[0].key &&
                   strcmp(b->st[0].key, b->skip) == 0;
    yajl_val v = node(b, t);
    if (!v || !attach(b, v))
        return 0;
    if (leave_out) {
        b->ignore = 1;
        return 1;
    }
    if (!grow((void **)&b->st, &b->cap, b->depth + 1, sizeof *b->st)) {
        b->why = "out of memory";
        return 0;
    }
    b->st[b->depth++] = (tframe){v, NULL, 0, is_skip};
    return 1;
}

static int t_close(void *ud)
{
    tbuild *b = ud;
    if (b->ignore) {
        b->ignore--;
        return 1;
    }
    b->depth--;
    free(b->st[b->depth].key);
    return 1;
}

static int t_map(void *ud)
{
    return t_open(ud, yajl_t_object);
}

static int t_array(void *ud)
{
    return t_open(ud, yajl_t_array);
}

yajl_val cli_json_tree_skip(const char *text, size_t len, const char *skip, size_t max_depth,
                            bool *deep, char *err, size_t cap)
{
    static const yajl_callbacks cb = {t_null,  t_bool, NULL,  NULL,    t_number, t_string,
                                      t_map,   t_key,  t_close, t_array, t_close};
    tbuild b = {.skip = skip, .max_depth = max_depth};
    *deep = false;
    if (cap)
        err[0] = '\0';
    yajl_handle h = yajl_alloc(&cb, NULL, &b);
    if (!h) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse */
    yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        if (b.why) {
            snprintf(err, cap, "%s", b.why);
        } else {
            unsigned char *e = yajl_get_error(h, 1, (const unsigned char *)text, len);
            snprintf(err, cap, "%s", e ? (const char *)e : "invalid JSON");
            yajl_free_error(h, e);
        }
        for (size_t i = 0; i < b.depth; i++)
            free(b.st[i].key);
        yajl_tree_free(b.root);
        b.root = NULL;
    }
    free(b.st);
    yajl_free(h);
    *deep = b.deep;
    return b.root;
}
