/* SPDX-License-Identifier: MIT */
/* A JSON text as a yajl_val tree in an arena (jtree.h). The values of an open object or
 * array wait on one stack; when it closes they are copied into arrays of their exact
 * size. yajl's own buffers come from a pool taken from the same arena (ypool.h), so a
 * parse allocates a few blocks and nothing else can fail half-way. */
#include "jtree.h"
#include "ypool.h"

#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

typedef struct member {
    const char *key; /* NULL in an array */
    yajl_val v;
} member;

typedef struct frame {
    yajl_val v;      /* the open object or array */
    size_t start;    /* where its values begin on the stack */
    const char *key; /* an object's key waiting for its value */
} frame;

typedef struct jb {
    arena *a;
    vec vals;   /* member: the values of the open containers */
    vec frames; /* frame */
    size_t max_depth;
    yajl_val root;
    jtree_status why; /* why a callback stopped the parse */
} jb;

static int stop(jb *b, jtree_status why)
{
    b->why = why;
    return 0;
}

/* A value of type t; its union is set by the caller where the type has one. */
static yajl_val node(jb *b, yajl_type t)
{
    yajl_val v = arena_alloc_uninit(b->a, sizeof *v);
    if (v)
        v->type = t;
    return v;
}

/* A value of type t with n bytes of s after it, NUL-terminated: one allocation for a
 * string or a number and its text. */
static yajl_val node_text(jb *b, yajl_type t, const char *s, size_t n, char **text)
{
    yajl_val v = arena_alloc_uninit(b->a, sizeof *v + n + 1);
    if (!v)
        return NULL;
    v->type = t;
    char *p = (char *)(v + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    *text = p;
    return v;
}

/* v, complete, handed to the open container (or made the root). */
static int add(jb *b, yajl_val v)
{
    if (!v)
        return stop(b, JTREE_NOMEM);
    if (b->frames.len == 0) {
        b->root = v;
        return 1;
    }
    frame *f = (frame *)b->frames.data + b->frames.len - 1;
    const char *key = f->key;
    f->key = NULL;
    member *m = b->vals.len < b->vals.cap ? (member *)b->vals.data + b->vals.len++
                                          : vec_push(b->a, &b->vals, sizeof *m);
    if (!m)
        return stop(b, JTREE_NOMEM);
    m->key = key;
    m->v = v;
    return 1;
}

static int j_null(void *ud)
{
    jb *b = ud;
    return add(b, node(b, yajl_t_null));
}

static int j_bool(void *ud, int t)
{
    jb *b = ud;
    return add(b, node(b, t ? yajl_t_true : yajl_t_false));
}

static int j_number(void *ud, const char *s, size_t len)
{
    jb *b = ud;
    char *text;
    yajl_val v = node_text(b, yajl_t_number, s, len, &text);
    if (v) {
        v->u.number.r = text;
        v->u.number.flags = 0; /* only the text is read */
    }
    return add(b, v);
}

static int j_string(void *ud, const unsigned char *s, size_t len)
{
    jb *b = ud;
    char *text;
    yajl_val v = node_text(b, yajl_t_string, (const char *)s, len, &text);
    if (v)
        v->u.string = text;
    return add(b, v);
}

static int j_key(void *ud, const unsigned char *s, size_t len)
{
    jb *b = ud;
    frame *f = (frame *)b->frames.data + b->frames.len - 1;
    if (!(f->key = arena_strndup(b->a, (const char *)s, len)))
        return stop(b, JTREE_NOMEM);
    return 1;
}

static int j_open(jb *b, yajl_type t)
{
    if (b->frames.len >= b->max_depth)
        return stop(b, JTREE_DEEP);
    yajl_val v = node(b, t);
    frame *f = v ? vec_push(b->a, &b->frames, sizeof *f) : NULL;
    if (!f)
        return stop(b, JTREE_NOMEM);
    f->v = v;
    f->start = b->vals.len;
    return 1;
}

static int j_map(void *ud)
{
    return j_open(ud, yajl_t_object);
}

static int j_array(void *ud)
{
    return j_open(ud, yajl_t_array);
}

static int j_close(void *ud)
{
    jb *b = ud;
    frame *f = (frame *)b->frames.data + --b->frames.len;
    yajl_val v = f->v;
    size_t n = b->vals.len - f->start;
    /* no value stacked yet (an empty array or object as the first value): no array either */
    const member *m = n ? (const member *)b->vals.data + f->start : NULL;
    yajl_val *values = arena_alloc_uninit(b->a, n * sizeof *values);
    if (!values)
        return stop(b, JTREE_NOMEM);
    for (size_t i = 0; i < n; i++)
        values[i] = m[i].v;
    if (YAJL_IS_OBJECT(v)) {
        const char **keys = arena_alloc_uninit(b->a, n * sizeof *keys);
        if (!keys)
            return stop(b, JTREE_NOMEM);
        for (size_t i = 0; i < n; i++)
            keys[i] = m[i].key;
        v->u.object.keys = keys;
        v->u.object.values = values;
        v->u.object.len = n;
    } else {
        v->u.array.values = values;
        v->u.array.len = n;
    }
    b->vals.len = f->start;
    return add(b, v);
}

jtree_status jtree_parse(arena *a, const char *text, size_t len, size_t max_depth,
                         yajl_val *out, char *err, size_t cap)
{
    static const yajl_callbacks cb = {j_null, j_bool,  NULL,    NULL,    j_number, j_string,
                                      j_map,  j_key,   j_close, j_array, j_close};
    jb b = {.a = a, .max_depth = max_depth, .why = JTREE_OK};
    *out = NULL;
    if (cap)
        err[0] = '\0';
    ypool yp = {NULL, ypool_size(len), 0};
    yp.base = yp.cap ? arena_alloc_uninit(a, yp.cap) : NULL;
    yajl_alloc_funcs af = ypool_funcs(&yp);
    yajl_handle h = yp.base ? yajl_alloc(&cb, &af, &b) : NULL;
    if (!h)
        return JTREE_NOMEM;
    yajl_config(h, yajl_allow_comments, 1);
    yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st == yajl_status_ok) {
        *out = b.root;
        yajl_free(h);
        return JTREE_OK;
    }
    if (b.why != JTREE_OK) {
        yajl_free(h);
        return b.why;
    }
    unsigned char *e = yajl_get_error(h, 1, (const unsigned char *)text, len);
    if (cap) {
        /* the message is several lines (the text and an arrow): its first says why */
        const char *s = e ? (const char *)e : "not JSON text";
        size_t n = strcspn(s, "\n");
        snprintf(err, cap, "%.*s", (int)(n < cap ? n : cap - 1), s);
    }
    yajl_free_error(h, e);
    yajl_free(h);
    return e ? JTREE_SYNTAX : JTREE_NOMEM;
}
