/* SPDX-License-Identifier: MIT */
/* Passes 3-5: normalise conditions, hash-cons them into shared nodes, freeze the rule
 * graph (see graph.h). Nodes are created children-first, so the node array is already in
 * topological order and the evaluator needs one forward sweep. */
#include "graph.h"
#include "doc.h"
#include "semantics.h"
#include "sema.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder {
    mga_ruleset *rs;
    const ast_program *p;
    arena *tmp;
    vec nodes; /* g_node */
    vec kids;  /* uint32_t */
    vec masks; /* uint64_t */
    vec terms; /* g_term */
    uint32_t *ht; /* node id + 1 */
    size_t htcap;
    uint32_t *fact_node;
    vec is_fact; /* uint8_t per node: some fact's condition is this node */
    uint32_t *fact_pos; /* fact -> its place in p->fact_order */
    uint32_t fact_depth, order_done; /* build_fact's nesting; fact_order built up to here */
    uint32_t line_file; /* rule_line's place: file, byte offset and line there */
    size_t line_off;
    unsigned line_no;
    bool oom;
} builder;

#define NONE_ID UINT32_MAX

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0x100000001B3ull;
}

static uint64_t node_hash(const builder *b, const g_node *n)
{
    uint64_t h = mix(n->kind, ((uint64_t)n->op << 8) | n->bval);
    h = mix(h, n->field);
    uint64_t kb;
    memcpy(&kb, &n->k, sizeof kb);
    h = mix(h, kb);
    h = mix(h, n->n);
    switch (n->kind) {
    case N_AND:
    case N_OR:
    case N_NOT:
    case N_DEF:
        for (uint32_t i = 0; i < n->n; i++)
            h = mix(h, ((const uint32_t *)b->kids.data)[n->off + i]);
        break;
    case N_SET_ANY:
    case N_SET_ALL:
    case N_ENUM_IN:
        for (uint32_t i = 0; i < n->n; i++)
            h = mix(h, ((const uint64_t *)b->masks.data)[n->off + i]);
        break;
    case N_LIN:
        for (uint32_t i = 0; i < n->n; i++) {
            const g_term *t = &((const g_term *)b->terms.data)[n->off + i];
            uint64_t cb;
            memcpy(&cb, &t->coef, sizeof cb);
            h = mix(mix(h, t->field), cb);
        }
        break;
    default:
        break;
    }
    /* mix carries low bits up, never high bits down, and the table is indexed by the low
     * bits: without this a constant like 3000.0 (low mantissa bits zero) would put every
     * 'x > N' of a field into one probe run */
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 32);
}

static bool node_eq(const builder *b, const g_node *x, const g_node *y)
{
    if (x->kind != y->kind || x->op != y->op || x->bval != y->bval || x->field != y->field ||
        x->n != y->n || memcmp(&x->k, &y->k, sizeof x->k) != 0)
        return false;
    switch (x->kind) {
    case N_AND:
    case N_OR:
    case N_NOT:
    case N_DEF:
        return memcmp((const uint32_t *)b->kids.data + x->off,
                      (const uint32_t *)b->kids.data + y->off, x->n * sizeof(uint32_t)) == 0;
    case N_SET_ANY:
    case N_SET_ALL:
    case N_ENUM_IN:
        return memcmp((const uint64_t *)b->masks.data + x->off,
                      (const uint64_t *)b->masks.data + y->off, x->n * sizeof(uint64_t)) == 0;
    case N_LIN:
        for (uint32_t i = 0; i < x->n; i++) {
            const g_term *s = (const g_term *)b->terms.data + x->off + i;
            const g_term *t = (const g_term *)b->terms.data + y->off + i;
            if (s->field != t->field || s->coef != t->coef)
                return false;
        }
        return true;
    default:
        return true;
    }
}

static bool ht_grow(builder *b)
{
    size_t ncap = b->htcap ? b->htcap * 2 : 256;
    uint32_t *nt = arena_alloc(b->tmp, ncap * sizeof *nt);
    if (!nt)
        return false;
    for (size_t i = 0; i < b->nodes.len; i++) {
        uint64_t h = node_hash(b, (const g_node *)b->nodes.data + i);
        size_t j = h & (ncap - 1);
        while (nt[j])
            j = (j + 1) & (ncap - 1);
        nt[j] = (uint32_t)i + 1;
    }
    b->ht = nt;
    b->htcap = ncap;
    return true;
}

/* Interns n, whose payload was pushed last onto its array (payload_len items): an equal
 * node already present is returned and the payload popped. */
static uint32_t intern(builder *b, g_node n, vec *payload, size_t payload_len)
{
    if (b->oom)
        return 0;
    if ((b->nodes.len + 1) * 2 > b->htcap && !ht_grow(b)) {
        b->oom = true;
        return 0;
    }
    uint64_t h = node_hash(b, &n);
    size_t j = h & (b->htcap - 1);
    while (b->ht[j]) {
        const g_node *o = (const g_node *)b->nodes.data + (b->ht[j] - 1);
        if (node_eq(b, o, &n)) {
            if (payload)
                payload->len -= payload_len;
            return b->ht[j] - 1;
        }
        j = (j + 1) & (b->htcap - 1);
    }
    g_node *slot = vec_push(b->tmp, &b->nodes, sizeof *slot);
    if (!slot) {
        b->oom = true;
        return 0;
    }
    *slot = n;
    uint8_t *fm = vec_push(b->tmp, &b->is_fact, sizeof *fm);
    if (!fm) {
        b->oom = true;
        return 0;
    }
    *fm = 0;
    uint32_t id = (uint32_t)b->nodes.len - 1;
    b->ht[j] = id + 1;
    return id;
}

static const g_node *node_at(const builder *b, uint32_t id)
{
    return (const g_node *)b->nodes.data + id;
}

static uint32_t mk_const(builder *b, bool v)
{
    g_node n = {.kind = N_CONST, .bval = v};
    return intern(b, n, NULL, 0);
}

static uint32_t mk_unary(builder *b, node_kind k, uint32_t child)
{
    uint32_t *kid = vec_push(b->tmp, &b->kids, sizeof *kid);
    if (!kid) {
        b->oom = true;
        return 0;
    }
    *kid = child;
    g_node n = {.kind = (uint8_t)k, .off = (uint32_t)b->kids.len - 1, .n = 1};
    return intern(b, n, &b->kids, 1);
}

static uint32_t mk_not(builder *b, uint32_t x)
{
    const g_node *n = node_at(b, x);
    if (n->kind == N_CONST)
        return mk_const(b, !n->bval);
    if (n->kind == N_NOT)
        return ((const uint32_t *)b->kids.data)[n->off];
    return mk_unary(b, N_NOT, x);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Whether mk_nary may merge node id's children into a parent of the same kind. A fact's
 * condition is shared by every condition naming the fact: copying its children into each
 * is bounded (FLAT_SHARED), or 'fact h2 when g1 or h1' would hold every g before it and a
 * chain of such facts would grow quadratically. */
#define FLAT_SHARED 8
static bool flattens(const builder *b, uint32_t id, node_kind k)
{
    const g_node *n = node_at(b, id);
    return n->kind == k && (n->n <= FLAT_SHARED || !((const uint8_t *)b->is_fact.data)[id]);
}

/* AND/OR over ids: flatten, fold constants, sort, dedupe. */
static uint32_t mk_nary(builder *b, node_kind k, uint32_t *ids, size_t n)
{
    bool is_and = k == N_AND;
    /* flatten one level: children of the same kind were already flattened */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const g_node *c = node_at(b, ids[i]);
        total += flattens(b, ids[i], k) ? c->n : 1;
    }
    uint32_t *flat = arena_alloc(b->tmp, (total ? total : 1) * sizeof *flat);
    if (!flat) {
        b->oom = true;
        return 0;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const g_node *c = node_at(b, ids[i]);
        if (flattens(b, ids[i], k)) {
            for (uint32_t j = 0; j < c->n; j++)
                flat[m++] = ((const uint32_t *)b->kids.data)[c->off + j];
        } else if (c->kind == N_CONST) {
            if (c->bval != is_and)
                return mk_const(b, !is_and); /* false in AND, true in OR */
            /* the neutral element is dropped */
        } else {
            flat[m++] = ids[i];
        }
    }
    if (m == 0)
        return mk_const(b, is_and);
    qsort(flat, m, sizeof *flat, cmp_u32);
    size_t u = 1;
    for (size_t i = 1; i < m; i++)
        if (flat[i] != flat[u - 1])
            flat[u++] = flat[i];
    if (u == 1)
        return flat[0];
    size_t off = b->kids.len;
    for (size_t i = 0; i < u; i++) {
        uint32_t *kid = vec_push(b->tmp, &b->kids, sizeof *kid);
        if (!kid) {
            b->oom = true;
            return 0;
        }
        *kid = flat[i];
    }
    g_node nn = {.kind = (uint8_t)k, .off = (uint32_t)off, .n = (uint32_t)u};
    return intern(b, nn, &b->kids, u);
}

static uint32_t mk_mask(builder *b, node_kind k, int field, const ast_field *f,
                        const ast_names *syms)
{
    size_t words = (f->syms.n + 63) / 64;
    size_t off = b->masks.len;
    for (size_t i = 0; i < words; i++) {
        if (!vec_push(b->tmp, &b->masks, sizeof(uint64_t))) {
            b->oom = true;
            return 0;
        }
    }
    uint64_t *m = (uint64_t *)b->masks.data + off;
    for (size_t i = 0; i < syms->n; i++) {
        int s = sema_sym_find(f, syms->v[i].s);
        if (s >= 0)
            m[s / 64] |= 1ull << (s % 64);
    }
    g_node n = {.kind = (uint8_t)k, .field = (uint32_t)field, .off = (uint32_t)off,
                .n = (uint32_t)words};
    return intern(b, n, &b->masks, words);
}

typedef struct lin {
    g_term t[MAX_LIN_FIELDS];
    size_t n;
    double k;
    bool overflow;
} lin;

static void lin_add(lin *l, const ast_expr *e, double sign)
{
    switch (e->kind) {
    case EX_NUM:
        l->k += sign * e->val;
        return;
    case EX_FIELD:
        for (size_t i = 0; i < l->n; i++)
            if (l->t[i].field == (uint32_t)e->field) {
                l->t[i].coef += sign;
                return;
            }
        if (l->n == MAX_LIN_FIELDS) { /* sema rejects more */
            l->overflow = true;
            return;
        }
        l->t[l->n].field = (uint32_t)e->field;
        l->t[l->n].coef = sign;
        l->n++;
        return;
    case EX_ADD:
        lin_add(l, e->a, sign);
        lin_add(l, e->b, sign);
        return;
    case EX_SUB:
        lin_add(l, e->a, sign);
        lin_add(l, e->b, -sign);
        return;
    case EX_NEG:
        lin_add(l, e->a, -sign);
        return;
    }
}

static int cmp_term(const void *a, const void *b)
{
    const g_term *x = a, *y = b;
    return (x->field > y->field) - (x->field < y->field);
}

static bool const_cmp(double v, cmp_op op)
{
    switch (op) {
    case OP_LT:
        return v < 0;
    case OP_LE:
        return v <= 0;
    case OP_GT:
        return v > 0;
    case OP_GE:
        return v >= 0;
    case OP_EQ:
        return v == 0;
    case OP_NE:
        return v != 0;
    }
    return false;
}

/* lhs - rhs op 0, normalised to op in {LT, LE, EQ} with terms sorted by field and the
 * first coefficient scaled to +1 (or -1 for LT/LE when negative), so that equivalent
 * tests written differently share one node. */
static uint32_t mk_lin(builder *b, const ast_expr *lhs, const ast_expr *rhs, cmp_op op)
{
    lin l = {0};
    lin_add(&l, lhs, 1);
    if (rhs)
        lin_add(&l, rhs, -1);
    size_t m = 0;
    for (size_t i = 0; i < l.n; i++)
        if (l.t[i].coef != 0)
            l.t[m++] = l.t[i];
    l.n = m;
    if (l.n == 0)
        return mk_const(b, const_cmp(l.k, op));
    if (op == OP_NE)
        return mk_not(b, mk_lin(b, lhs, rhs, OP_EQ));
    double sign = 1;
    if (op == OP_GT || op == OP_GE) {
        sign = -1;
        op = op == OP_GT ? OP_LT : OP_LE;
    }
    qsort(l.t, l.n, sizeof l.t[0], cmp_term);
    double scale = fabs(l.t[0].coef);
    if (op == OP_EQ && l.t[0].coef * sign < 0)
        sign = -sign;
    size_t off = b->terms.len;
    for (size_t i = 0; i < l.n; i++) {
        g_term *t = vec_push(b->tmp, &b->terms, sizeof *t);
        if (!t) {
            b->oom = true;
            return 0;
        }
        t->field = l.t[i].field;
        t->coef = sign * l.t[i].coef / scale;
    }
    /* sema bounded every number and every partial sum of l.k by G_NUM_MAX (E3061, E3062),
     * so k is finite: the evaluator's sums cannot overflow, and the solver can take k */
    assert(isfinite(l.k));
    g_node n = {.kind = N_LIN, .op = (uint8_t)op, .off = (uint32_t)off, .n = (uint32_t)l.n,
                .k = sign * l.k / scale};
    if (n.k == 0)
        n.k = 0; /* -0.0 and 0.0 must hash alike */
    return intern(b, n, &b->terms, l.n);
}

static uint32_t build_fact(builder *b, int fact);

static uint32_t build(builder *b, const ast_cond *c);

/* 'a or b or c ...' is a left-deep tree as long as the chain: its operands are gathered
 * without recursion and joined by one n-ary node, so a chain of any length costs linear
 * time and no stack. */
static uint32_t build_chain(builder *b, const ast_cond *c)
{
    vec todo = {0}, ids = {0};
    const ast_cond **top = vec_push(b->tmp, &todo, sizeof *top);
    if (!top) {
        b->oom = true;
        return 0;
    }
    *top = c;
    while (todo.len && !b->oom) {
        const ast_cond *x = ((const ast_cond **)todo.data)[--todo.len];
        if (x->kind == c->kind) {
            const ast_cond **ab = vec_push(b->tmp, &todo, sizeof *ab);
            const ast_cond **bb = ab ? vec_push(b->tmp, &todo, sizeof *bb) : NULL;
            if (!bb) {
                b->oom = true;
                return 0;
            }
            ((const ast_cond **)todo.data)[todo.len - 2] = x->b;
            ((const ast_cond **)todo.data)[todo.len - 1] = x->a;
            continue;
        }
        uint32_t id = build(b, x);
        uint32_t *slot = b->oom ? NULL : vec_push(b->tmp, &ids, sizeof *slot);
        if (!slot) {
            b->oom = true;
            return 0;
        }
        *slot = id;
    }
    if (b->oom)
        return 0;
    return mk_nary(b, c->kind == CO_AND ? N_AND : N_OR, ids.data, ids.len);
}

static uint32_t build(builder *b, const ast_cond *c)
{
    if (b->oom)
        return 0;
    const ast_field *f =
        c->field >= 0 ? VEC_AT(b->p->fields, ast_field, (size_t)c->field) : NULL;
    switch (c->kind) {
    case CO_AND:
    case CO_OR:
        return build_chain(b, c);
    case CO_NOT:
        return mk_not(b, build(b, c->a));
    case CO_CONST:
        return mk_const(b, c->bval);
    case CO_NAME:
    case CO_ISBOOL: {
        bool want = c->kind == CO_NAME ? true : c->bval;
        if (f) {
            g_node n = {.kind = N_BOOL, .field = (uint32_t)c->field, .bval = 1};
            uint32_t id = intern(b, n, NULL, 0);
            return want ? id : mk_not(b, id);
        }
        uint32_t id = build_fact(b, c->fact);
        return want ? id : mk_not(b, id);
    }
    case CO_KNOWN: {
        uint32_t id;
        if (f) {
            g_node n = {.kind = N_KNOWN, .field = (uint32_t)c->field};
            id = intern(b, n, NULL, 0);
        } else {
            id = mk_unary(b, N_DEF, build_fact(b, c->fact));
        }
        return c->bval ? id : mk_not(b, id);
    }
    case CO_HAS: {
        uint32_t id = mk_mask(b, c->q == Q_ALL ? N_SET_ALL : N_SET_ANY, c->field, f, &c->syms);
        return c->q == Q_NONE ? mk_not(b, id) : id;
    }
    case CO_IS:
        return mk_mask(b, N_ENUM_IN, c->field, f, &c->syms);
    case CO_CMP:
        return mk_lin(b, c->lhs, c->rhs, c->op);
    case CO_BETWEEN: {
        uint32_t ids[2] = {mk_lin(b, c->lhs, c->lo, OP_GE), mk_lin(b, c->lhs, c->hi, OP_LE)};
        if (b->oom)
            return 0;
        return mk_nary(b, N_AND, ids, 2);
    }
    }
    return mk_const(b, false);
}

static void build_fact_now(builder *b, uint32_t fact)
{
    uint32_t id = build(b, VEC_AT(b->p->facts, ast_fact, fact)->cond);
    if (b->oom)
        return;
    b->fact_node[fact] = id;
    ((uint8_t *)b->is_fact.data)[id] = 1;
}

/* A fact is built where it is first named, inside the condition naming it. A chain of
 * facts would recurse as deep as it is long, so past FACT_NEST nested facts the ones
 * before it in sema's order (each after the facts it names) are built first, in that
 * order: then none of them recurses further. */
#define FACT_NEST 32
static uint32_t build_fact(builder *b, int fact)
{
    if (b->fact_node[fact] != NONE_ID)
        return b->fact_node[fact];
    if (b->fact_depth >= FACT_NEST && b->fact_pos) {
        for (; b->order_done <= b->fact_pos[fact] && !b->oom; b->order_done++) {
            uint32_t g = b->p->fact_order[b->order_done];
            if (b->fact_node[g] == NONE_ID)
                build_fact_now(b, g);
        }
        return b->oom ? 0 : b->fact_node[fact];
    }
    b->fact_depth++;
    build_fact_now(b, (uint32_t)fact);
    b->fact_depth--;
    return b->oom ? 0 : b->fact_node[fact];
}

/* Flattening leaves the inner AND/OR of 'a and (b and c)' behind, unreferenced. Drops
 * every node no rule or fact reaches, so that the count is of distinct conditions and the
 * evaluator sweeps only live nodes. Ids keep their order (children before parents). */
static bool drop_dead_nodes(builder *b, mga_ruleset *rs)
{
    size_t n = b->nodes.len;
    g_node *nodes = b->nodes.data;
    uint32_t *kids = b->kids.data;
    uint32_t *id = arena_alloc(b->tmp, (n + 1) * sizeof *id);
    if (!id)
        return false;
    for (size_t i = 0; i < rs->nrules; i++)
        id[rs->rules[i].node] = 1;
    for (size_t i = 0; i < rs->nfacts; i++)
        id[rs->facts[i].node] = 1;
    for (size_t i = 0; i < rs->ninvs; i++)
        id[rs->invs[i].node] = 1;
    for (size_t i = n; i-- > 0;) {
        const g_node *x = &nodes[i];
        bool has_kids = x->kind == N_AND || x->kind == N_OR || x->kind == N_NOT ||
                        x->kind == N_DEF;
        if (id[i] && has_kids)
            for (uint32_t k = 0; k < x->n; k++)
                id[kids[x->off + k]] = 1;
    }
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++)
        id[i] = id[i] ? m++ : NONE_ID;
    for (size_t i = 0; i < n; i++) {
        if (id[i] == NONE_ID)
            continue;
        g_node *x = &nodes[id[i]];
        *x = nodes[i];
        if (x->kind == N_AND || x->kind == N_OR || x->kind == N_NOT || x->kind == N_DEF)
            for (uint32_t k = 0; k < x->n; k++)
                kids[x->off + k] = id[kids[x->off + k]]; /* each node owns its kids */
    }
    b->nodes.len = m;
    for (size_t i = 0; i < rs->nrules; i++)
        rs->rules[i].node = id[rs->rules[i].node];
    for (size_t i = 0; i < rs->nfacts; i++)
        rs->facts[i].node = id[rs->facts[i].node];
    for (size_t i = 0; i < rs->ninvs; i++)
        rs->invs[i].node = id[rs->invs[i].node];
    return true;
}

/* ---- freezing ---- */

#define DUP(s) ((s) ? arena_strdup(&rs->a, (s)) : NULL)
#define COPY(dst, src, n)                                                                      \
    do {                                                                                       \
        if (n) {                                                                               \
            (dst) = arena_alloc(&rs->a, (n) * sizeof *(dst));                                  \
            if (!(dst))                                                                        \
                return false;                                                                  \
            memcpy((dst), (src), (n) * sizeof *(dst));                                         \
        }                                                                                      \
    } while (0)

/* The hash of field and symbol names (profile keys are looked up through it for every
 * record): eight bytes a step, the last 1-7 in at most two loads, then a final mix so the
 * low bits index the table. */
static inline uint64_t str_hash(const char *s, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    for (; len >= 8; s += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    uint64_t w = 0;
    if (len >= 4) { /* two loads that overlap for 4 to 7 bytes */
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + len - 4, 4);
        w = a | (uint64_t)b << 32;
    } else if (len) {
        w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
            (uint64_t)(unsigned char)s[len - 1] << 16;
    }
    h = (h ^ w) * 0x94D049BB133111EBull;
    return h ^ (h >> 29);
}

/* Whether n bytes at a and b are equal, compared inline: names are short, and a call of
 * memcmp costs more than the compare. */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
    }
    if (n >= 4) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return x == y && u == v;
    }
    for (; n; a++, b++, n--)
        if (*a != *b)
            return false;
    return true;
}

/* A table of n names (NULL-free, distinct) at twice n slots or more. */
static bool names_build(arena *a, g_names *t, const char *const *names, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    t->slots = arena_alloc(a, cap * sizeof *t->slots);
    if (!t->slots)
        return false;
    t->mask = (uint32_t)(cap - 1);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        size_t j = str_hash(names[i], len) & t->mask;
        while (t->slots[j].name)
            j = (j + 1) & t->mask;
        t->slots[j] = (g_slot){names[i], (uint32_t)len, (uint32_t)i};
    }
    return true;
}

static int names_find(const g_names *t, const char *s, size_t len)
{
    if (!t->slots)
        return -1;
    for (size_t j = str_hash(s, len) & t->mask; t->slots[j].name; j = (j + 1) & t->mask)
        if (t->slots[j].len == len && same_bytes(t->slots[j].name, s, len))
            return (int)t->slots[j].ix;
    return -1;
}

int graph_sym_lookup(const g_field *f, const char *s, size_t len)
{
    return names_find(&f->sym_table, s, len);
}

static bool freeze_schema(mga_ruleset *rs, const ast_program *p, const char *const *texts,
                          const size_t *lens)
{
    rs->ndims = p->dims.len;
    rs->dims = arena_alloc(&rs->a, (rs->ndims + 1) * sizeof *rs->dims);
    if (!rs->dims)
        return false;
    for (size_t i = 0; i < rs->ndims; i++) {
        const ast_dim *d = VEC_AT(p->dims, ast_dim, i);
        g_dim *g = &rs->dims[i];
        g->name = DUP(d->name.s);
        g->nunits = d->units.len + 1;
        g->units = arena_alloc(&rs->a, g->nunits * sizeof *g->units);
        if (!g->name || !g->units)
            return false;
        g->units[0].name = DUP(d->base.s);
        g->units[0].factor = 1;
        for (size_t u = 0; u < d->units.len; u++) {
            g->units[u + 1].name = DUP(VEC_AT(d->units, ast_unitdef, u)->name.s);
            g->units[u + 1].factor = VEC_AT(d->units, ast_unitdef, u)->factor;
            if (!g->units[u + 1].name)
                return false;
        }
    }
    rs->nfields = p->fields.len;
    rs->fields = arena_alloc(&rs->a, (rs->nfields + 1) * sizeof *rs->fields);
    if (!rs->fields)
        return false;
    rs->id_field = -1;
    uint32_t word = 0;
    for (size_t i = 0; i < rs->nfields; i++) {
        const ast_field *f = VEC_AT(p->fields, ast_field, i);
        g_field *g = &rs->fields[i];
        g->name = DUP(f->name.s);
        if (!g->name)
            return false;
        g->name_len = strlen(g->name);
        g->type = f->type;
        g->dim = f->dim;
        g->unit = DUP(f->unit.s);
        g->unit_f = f->unit_f;
        g->has_range = f->has_range;
        g->lo = f->blo;
        g->hi = f->bhi;
        g->ulo = f->lo;
        g->uhi = f->hi;
        g->nsyms = f->syms.n;
        if (g->nsyms) {
            g->syms = arena_alloc(&rs->a, g->nsyms * sizeof *g->syms);
            if (!g->syms)
                return false;
            for (size_t s = 0; s < g->nsyms; s++)
                if (!(g->syms[s] = DUP(f->syms.v[s].s)))
                    return false;
            if (!names_build(&rs->a, &g->sym_table, g->syms, g->nsyms))
                return false;
        }
        if (f->type == FT_SET) {
            g->word = word;
            g->nwords = (uint32_t)((g->nsyms + 63) / 64);
            word += g->nwords;
        }
        if (f->type == FT_TEXT && strcmp(g->name, "id") == 0)
            rs->id_field = (int32_t)i;
        /* the description: the field's doc comment, up to the next field of its file */
        uint32_t file = f->name.at.file;
        size_t next = SIZE_MAX;
        if (i + 1 < rs->nfields) {
            const ast_field *nf = VEC_AT(p->fields, ast_field, i + 1);
            if (nf->name.at.file == file && nf->name.at.off > f->name.at.off)
                next = nf->name.at.off;
        }
        if (texts && texts[file] &&
            !doc_comment(&rs->a, texts[file], lens[file], f->name.at.off, next, &g->doc))
            return false;
    }
    rs->nwords = word;
    const char **names = arena_alloc(&rs->a, (rs->nfields + 1) * sizeof *names);
    if (!names)
        return false;
    for (size_t i = 0; i < rs->nfields; i++)
        names[i] = rs->fields[i].name;
    return names_build(&rs->a, &rs->field_table, names, rs->nfields);
}

int graph_field_lookup(const mga_ruleset *rs, const char *key, size_t len)
{
    return names_find(&rs->field_table, key, len);
}

int graph_field_lookup_hint(const mga_ruleset *rs, const char *key, size_t len, uint32_t hint)
{
    if (hint && hint <= rs->nfields) {
        const g_field *f = &rs->fields[hint - 1];
        if (f->name_len == len && same_bytes(f->name, key, len))
            return (int)hint - 1;
    }
    return names_find(&rs->field_table, key, len);
}

static bool freeze_sources(mga_ruleset *rs, const ast_program *p)
{
    rs->nsources = p->sources.len;
    rs->sources = arena_alloc(&rs->a, (rs->nsources + 1) * sizeof *rs->sources);
    if (!rs->sources)
        return false;
    for (size_t i = 0; i < rs->nsources; i++) {
        const ast_source *s = VEC_AT(p->sources, ast_source, i);
        g_source *g = &rs->sources[i];
        g->key = DUP(s->key.s);
        g->title = DUP(s->title);
        g->file = DUP(s->file);
        g->author = DUP(s->author);
        g->publisher = DUP(s->publisher);
        g->url = DUP(s->url);
        g->nrefs = s->refs.len;
        if (!g->key || !g->title)
            return false;
        if (g->nrefs) {
            g->refs = arena_alloc(&rs->a, g->nrefs * sizeof *g->refs);
            if (!g->refs)
                return false;
            for (size_t r = 0; r < g->nrefs; r++) {
                g->refs[r].n = VEC_AT(s->refs, ast_ref, r)->n;
                if (!(g->refs[r].text = DUP(VEC_AT(s->refs, ast_ref, r)->text)))
                    return false;
            }
        }
    }
    rs->nforms = p->forms.n;
    rs->forms = arena_alloc(&rs->a, (rs->nforms + 1) * sizeof *rs->forms);
    if (!rs->forms)
        return false;
    for (size_t i = 0; i < rs->nforms; i++)
        if (!(rs->forms[i] = DUP(p->forms.v[i].s)))
            return false;
    return true;
}

static uint32_t form_index(const mga_ruleset *rs, const char *name)
{
    for (size_t i = 0; i < rs->nforms; i++)
        if (strcmp(rs->forms[i], name) == 0)
            return (uint32_t)i;
    return 0; /* sema rejected unknown forms */
}

static bool freeze_forms(mga_ruleset *rs, g_rule *g, const ast_rule *r, act_kind k,
                         uint32_t **out, uint32_t *nout)
{
    size_t n = 0;
    for (size_t i = 0; i < r->actions.len; i++)
        if (VEC_AT(r->actions, ast_action, i)->kind == k)
            n += VEC_AT(r->actions, ast_action, i)->forms.n;
    *nout = (uint32_t)n;
    if (!n)
        return true;
    uint32_t *v = arena_alloc(&rs->a, n * sizeof *v);
    if (!v)
        return false;
    size_t m = 0;
    for (size_t i = 0; i < r->actions.len; i++) {
        const ast_action *a = VEC_AT(r->actions, ast_action, i);
        if (a->kind == k)
            for (size_t f = 0; f < a->forms.n; f++)
                v[m++] = form_index(rs, a->forms.v[f].s);
    }
    *out = v;
    (void)g;
    return true;
}

/* The line of a rule or an invariant. They come in source order, so the count of newlines
 * goes on from the previous one's place in the same file: linear in the text, not
 * rules x text. */
static unsigned rule_line(builder *b, ast_span at, const char *const *texts,
                          const size_t *lens)
{
    if (at.file != b->line_file || at.off < b->line_off) {
        b->line_file = at.file;
        b->line_off = 0;
        b->line_no = 1;
    }
    size_t end = at.off < lens[at.file] ? at.off : lens[at.file];
    const char *t = texts[at.file];
    for (const char *p = t + b->line_off; p < t + end && (p = memchr(p, '\n', (size_t)(t + end - p)));
         p++)
        b->line_no++;
    b->line_off = end;
    return b->line_no;
}

static bool freeze_rule(builder *b, g_rule *g, const ast_rule *r, const char *const *names,
                        const char *const *texts, const size_t *lens)
{
    mga_ruleset *rs = b->rs;
    g->id = DUP(r->id.s);
    g->file = DUP(names[r->at.file]);
    g->line = rule_line(b, r->at, texts, lens);
    g->node = r->when ? build(b, r->when) : mk_const(b, true);
    if (b->oom)
        return false;
    g->severity = (uint8_t)r->sev;
    g->kind = (uint8_t)r->kind;
    g->say = DUP(r->say);
    g->evidence = DUP(r->evidence.s);
    if (!g->id || !g->file || !g->say)
        return false;
    for (size_t i = 0; i < r->actions.len; i++) {
        const ast_action *a = VEC_AT(r->actions, ast_action, i);
        if (a->kind == ACT_AVOID_SUPPLEMENTS)
            g->avoid_supplements = true;
        if (a->kind == ACT_WITHHOLD_SUPPLEMENTS)
            g->withhold_supplements = true;
        if (a->kind == ACT_WARN)
            g->warn = true;
        if (a->kind == ACT_REFER && !g->refer)
            g->refer = a->urgency.s ? DUP(a->urgency.s) : "routine";
    }
    if (!freeze_forms(rs, g, r, ACT_PREFER, &g->prefer, &g->nprefer) ||
        !freeze_forms(rs, g, r, ACT_AVOID, &g->avoid, &g->navoid))
        return false;
    g->presumes = r->npresumes > 0 || g->nprefer > 0 || r->doses.len > 0;
    for (size_t i = 0; i < r->doses.len; i++) {
        const ast_dose *d = VEC_AT(r->doses, ast_dose, i);
        if (d->part == DOSE_START) {
            g->has_start = true;
            g->start = d->mg;
        } else if (d->part == DOSE_TARGET) {
            g->has_target = true;
            g->target = d->mg;
        } else if (!g->has_max || d->mg < g->max) {
            g->has_max = true;
            g->max = d->mg;
        }
    }
    g->ncites = (uint32_t)r->cites.len;
    /* one g_cite per (source, ref); a cite with several refs expands */
    size_t n = 0;
    for (size_t i = 0; i < r->cites.len; i++) {
        size_t k = VEC_AT(r->cites, ast_cite, i)->refs.len;
        n += k ? k : 1;
    }
    g->ncites = (uint32_t)n;
    g->cites = arena_alloc(&rs->a, (n + 1) * sizeof *g->cites);
    g->pub_cites = arena_alloc(&rs->a, (n + 1) * sizeof *g->pub_cites);
    if (!g->cites || !g->pub_cites)
        return false;
    size_t m = 0;
    for (size_t i = 0; i < r->cites.len; i++) {
        const ast_cite *c = VEC_AT(r->cites, ast_cite, i);
        const char *q = DUP(c->quote);
        size_t k = c->refs.len;
        for (size_t j = 0; j < (k ? k : 1); j++) {
            g->cites[m].source = (uint32_t)c->src;
            g->cites[m].ref = k ? VEC_AT(c->refs, ast_ref, j)->n : 0;
            g->cites[m].quote = j == 0 ? q : NULL;
            g->pub_cites[m].source = rs->sources[c->src].key;
            g->pub_cites[m].ref = g->cites[m].ref;
            g->pub_cites[m].quote = g->cites[m].quote;
            m++;
        }
    }
    return true;
}

/* ---- the guard index (see graph.h) ---- */

typedef struct gentry {
    uint64_t key;
    uint32_t rule;
} gentry;

static int cmp_gentry(const void *a, const void *b)
{
    const gentry *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->rule > y->rule) - (x->rule < y->rule);
}

/* The tests rule ri's condition is the conjunction of (*n of them): the children of its
 * top-level AND, or the condition alone. */
static const uint32_t *rule_conjuncts(const mga_ruleset *rs, uint32_t ri, uint32_t *n)
{
    const g_rule *g = &rs->rules[ri];
    const g_node *x = &rs->nodes[g->node];
    *n = x->kind == N_AND ? x->n : 1;
    return x->kind == N_AND ? rs->kids + x->off : &g->node;
}

/* The symbols of a mask node, the first max of them into out; returns how many there are. */
static size_t mask_syms(const mga_ruleset *rs, const g_node *n, uint32_t *out, size_t max)
{
    size_t c = 0;
    for (uint32_t w = 0; w < n->n; w++)
        for (uint64_t bits = rs->masks[n->off + w]; bits; bits &= bits - 1) {
            if (c < max)
                out[c] = w * 64 + (uint32_t)__builtin_ctzll(bits);
            c++;
        }
    return c;
}

#define MAX_REQ 64
#define MAX_ANY 64 /* an OR of more symbols than this is not worth indexing */

/* Adds the guard entries of rule ri: 1 when it has a guard, 0 when not, -1 on OOM. */
static int rule_guards(mga_ruleset *rs, arena *tmp, vec *ents, uint32_t ri)
{
    uint32_t nc;
    const uint32_t *cs = rule_conjuncts(rs, ri, &nc);
    /* symbols the condition requires: single-symbol 'has' tests and 'has all' tests */
    uint32_t reqf[MAX_REQ], reqs[MAX_REQ];
    size_t nreq = 0;
    const g_node *any = NULL;
    size_t any_n = MAX_ANY + 1;
    for (uint32_t i = 0; i < nc; i++) {
        const g_node *c = &rs->nodes[cs[i]];
        if (c->kind != N_SET_ANY && c->kind != N_SET_ALL && c->kind != N_ENUM_IN)
            continue;
        if (c->field >= GUARD_NONE || rs->fields[c->field].nsyms >= GUARD_NONE)
            continue; /* beyond what a key holds: not indexed */
        uint32_t sy[2];
        size_t k = mask_syms(rs, c, sy, 2);
        if (k == 0)
            continue; /* 'has all' of nothing, or 'is' nothing: not a guard */
        if (c->kind == N_SET_ALL || (c->kind == N_SET_ANY && k == 1)) {
            for (size_t j = 0; j < (k < 2 ? k : 2) && nreq < MAX_REQ; j++) {
                reqf[nreq] = c->field;
                reqs[nreq++] = sy[j];
            }
        } else if (k < any_n) {
            any = c;
            any_n = k;
        }
    }
    uint64_t key = 0;
    for (size_t i = 0; i < nreq && !key; i++)
        for (size_t j = i + 1; j < nreq && !key; j++)
            if (reqf[i] == reqf[j] && reqs[i] != reqs[j])
                key = graph_guard_key(reqf[i], reqs[i] < reqs[j] ? reqs[i] : reqs[j],
                                      reqs[i] < reqs[j] ? reqs[j] : reqs[i]);
    if (!key && nreq)
        key = graph_guard_key(reqf[0], reqs[0], GUARD_NONE);
    if (key) {
        gentry *e = vec_push(tmp, ents, sizeof *e);
        if (!e)
            return -1;
        e->key = key;
        e->rule = ri;
        return 1;
    }
    if (!any)
        return 0;
    /* an OR of symbols (or enum values): the rule is under each of them */
    uint32_t sy[MAX_ANY];
    mask_syms(rs, any, sy, MAX_ANY);
    for (size_t j = 0; j < any_n; j++) {
        gentry *e = vec_push(tmp, ents, sizeof *e);
        if (!e)
            return -1;
        e->key = graph_guard_key(any->field, sy[j], GUARD_NONE);
        e->rule = ri;
    }
    return 1;
}

const g_gkey *graph_guard_find(const mga_ruleset *rs, uint64_t k)
{
    if (!rs->gkeys)
        return NULL;
    for (size_t j = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & rs->gkey_mask; rs->gkeys[j].key;
         j = (j + 1) & rs->gkey_mask)
        if (rs->gkeys[j].key == k)
            return &rs->gkeys[j];
    return NULL;
}

#define MAX_SPLIT 64 /* enum fields of more values than this do not split a key */

/* The values of enum field ef that rule ri's top-level AND allows (a mask of its tests of
 * ef), and whether it tests ef there at all. */
static bool rule_allows(const mga_ruleset *rs, uint32_t ri, uint32_t ef, uint64_t *allow)
{
    uint32_t nc;
    const uint32_t *cs = rule_conjuncts(rs, ri, &nc);
    bool tests = false;
    *allow = ~0ull;
    for (uint32_t i = 0; i < nc; i++) {
        const g_node *c = &rs->nodes[cs[i]];
        if (c->kind == N_ENUM_IN && c->field == ef) {
            tests = true;
            *allow &= rs->masks[c->off];
        }
    }
    return tests;
}

/* The enum field most of the rules e[0..n) test in their top-level AND, other than the
 * key's own field kf, or GUARD_NONE when none does. group (from 1) is stamped into gseen,
 * which with rseen and count has room for every field. */
static uint32_t split_field(const mga_ruleset *rs, const gentry *e, size_t n, uint32_t kf,
                            uint32_t group, uint32_t *gseen, uint32_t *rseen, uint32_t *count)
{
    uint32_t best = GUARD_NONE, bestc = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t nc;
        const uint32_t *cs = rule_conjuncts(rs, e[i].rule, &nc);
        for (uint32_t k = 0; k < nc; k++) {
            const g_node *c = &rs->nodes[cs[k]];
            uint32_t f = c->field;
            if (c->kind != N_ENUM_IN || f == kf || rs->fields[f].nsyms == 0 ||
                rs->fields[f].nsyms > MAX_SPLIT)
                continue;
            if (gseen[f] != group) {
                gseen[f] = group;
                count[f] = rseen[f] = 0;
            }
            if (rseen[f] == (uint32_t)i + 1)
                continue; /* a rule counts once */
            rseen[f] = (uint32_t)i + 1;
            count[f]++;
            if (count[f] > bestc || (count[f] == bestc && f < best)) {
                best = f;
                bestc = count[f];
            }
        }
    }
    return best;
}

/* ---- the threshold index (see graph.h) ---- */

typedef struct tentry {
    uint32_t field, rule;
    double lo, hi;
} tentry;

static int cmp_tentry(const void *a, const void *b)
{
    const tentry *x = a, *y = b;
    if (x->field != y->field)
        return (x->field > y->field) - (x->field < y->field);
    return (x->rule > y->rule) - (x->rule < y->rule);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether rule ri's top-level AND compares one number field with constants; if so, the
 * interval [*lo, *hi] of the field's values that can make all those comparisons true
 * (lin_holds counts values within NUM_REL_TOL as equal; the interval is widened by
 * NUM_REL_MARGIN, so it holds every value they accept). */
static bool rule_bounds(const mga_ruleset *rs, uint32_t ri, tentry *t)
{
    uint32_t nc;
    const uint32_t *cs = rule_conjuncts(rs, ri, &nc);
    bool found = false;
    t->lo = -INFINITY;
    t->hi = INFINITY;
    for (uint32_t i = 0; i < nc; i++) {
        const g_node *c = &rs->nodes[cs[i]];
        if (c->kind != N_LIN || c->n != 1)
            continue;
        const g_term *term = &rs->terms[c->off];
        /* coef * v + k op 0: v against -k / coef */
        double th = -c->k / term->coef;
        if (term->coef == 0 || !isfinite(th) || (found && term->field != t->field))
            continue;
        found = true;
        t->field = term->field;
        double m = NUM_REL_MARGIN * fabs(th) + DBL_MIN;
        if (c->op == OP_EQ || term->coef < 0) /* v >= th */
            t->lo = th - m > t->lo ? th - m : t->lo;
        if (c->op == OP_EQ || term->coef > 0) /* v <= th */
            t->hi = th + m < t->hi ? th + m : t->hi;
    }
    t->rule = ri;
    return found;
}

/* The atom of interval end v of field f (one of its ends, or infinite). */
static uint32_t end_atom(const mga_ruleset *rs, const g_tfield *f, double v)
{
    return v == -INFINITY ? 0 : v == INFINITY ? 2 * f->npts : graph_atom(rs, f, v);
}

/* Builds the threshold index of the entries t[0..n) (sorted by field, then rule). */
static bool threshold_index(mga_ruleset *rs, arena *tmp, tentry *t, size_t n)
{
    size_t nf = 0, npts = 0, nslot = 0, nguide = 0;
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        nf += i == 0 || t[i].field != t[i - 1].field;
        npts += isfinite(t[i].lo) + isfinite(t[i].hi);
    }
    rs->tfields = arena_alloc(&rs->a, (nf + 1) * sizeof *rs->tfields);
    double *pts = arena_alloc(tmp, (npts + 1) * sizeof *pts);
    if (!rs->tfields || !pts)
        return false;
    /* per field: its ends, its guide's and tree's sizes; and the room for all of them */
    npts = 0;
    for (size_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo + 1; hi < n && t[hi].field == t[lo].field;)
            hi++;
        size_t first = npts;
        for (size_t i = lo; i < hi; i++) {
            if (isfinite(t[i].lo))
                pts[npts++] = t[i].lo;
            if (isfinite(t[i].hi))
                pts[npts++] = t[i].hi;
        }
        qsort(pts + first, npts - first, sizeof *pts, cmp_double);
        size_t m = first;
        for (size_t i = first; i < npts; i++)
            if (i == first || pts[i] != pts[m - 1])
                pts[m++] = pts[i];
        npts = m;
        g_tfield *f = &rs->tfields[rs->ntfields++];
        *f = (g_tfield){.field = t[lo].field, .pts = (uint32_t)first,
                        .npts = (uint32_t)(npts - first), .size = 1, .shift = 32};
        f->nguide = f->npts ? f->npts : 1;
        f->guide = (uint32_t)nguide;
        nguide += f->nguide + 1;
        if (f->npts > 1 && pts[npts - 1] - pts[first] < INFINITY)
            f->gscale = f->nguide / (pts[npts - 1] - pts[first]);
        while (f->size < 2 * f->npts + 1)
            f->size *= 2;
        f->atom = (uint32_t)nslot;
        nslot += 2 * (size_t)f->npts + 2;
        f->node = (uint32_t)nslot;
        nslot += 2 * (size_t)f->size + 1;
    }
    COPY(rs->tpts, pts, npts);
    rs->tguide = arena_alloc(&rs->a, (nguide + 1) * sizeof *rs->tguide);
    rs->tnode = arena_alloc(&rs->a, (nslot + 1) * sizeof *rs->tnode);
    uint32_t *fill = arena_alloc(tmp, (nslot + 1) * sizeof *fill);
    if (!rs->tguide || !rs->tnode || !fill)
        return false;
    memset(rs->tguide, 0, (nguide + 1) * sizeof *rs->tguide);
    memset(rs->tnode, 0, (nslot + 1) * sizeof *rs->tnode);
    /* guide[c]: the ends in cells before c */
    for (size_t k = 0; k < rs->ntfields; k++) {
        const g_tfield *f = &rs->tfields[k];
        const double *p = rs->tpts + f->pts;
        uint32_t *g = rs->tguide + f->guide;
        for (uint32_t i = 0; i < f->npts; i++)
            g[graph_cell(f, p[0], p[i]) + 1]++;
        for (uint32_t c = 0; c < f->nguide; c++)
            g[c + 1] += g[c];
    }
    /* pass 0 counts each slot's entries, pass 1 lists them: an interval of few atoms under
     * each of them, a wider one on the O(log size) tree nodes that cover its atoms */
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && t[i].field != t[i - 1].field)
                k++;
            g_tfield *f = &rs->tfields[k];
            if (!(t[i].lo <= t[i].hi))
                continue; /* no value passes every comparison: never a candidate */
            uint32_t a = end_atom(rs, f, t[i].lo), b = end_atom(rs, f, t[i].hi) + 1;
            uint32_t ids[2 * 32 + G_TNARROW], nid = 0, level = 0;
            if (b - a <= G_TNARROW) {
                for (; a < b; a++)
                    ids[nid++] = f->atom + a;
            } else {
                for (a += f->size, b += f->size; a < b; a >>= 1, b >>= 1, level++) {
                    uint32_t had = nid;
                    if (a & 1)
                        ids[nid++] = f->node + a++;
                    if (b & 1)
                        ids[nid++] = f->node + --b;
                    if (nid > had && level < f->shift)
                        f->shift = level;
                }
            }
            for (uint32_t j = 0; j < nid; j++) {
                if (pass == 0)
                    rs->tnode[ids[j] + 1]++;
                else
                    rs->trules[fill[ids[j]]++] = t[i].rule;
            }
        }
        if (pass == 0) {
            for (size_t j = 0; j < nslot; j++)
                rs->tnode[j + 1] += rs->tnode[j];
            memcpy(fill, rs->tnode, (nslot + 1) * sizeof *fill);
            rs->ntrules = rs->tnode[nslot];
            rs->trules = arena_alloc(&rs->a, (rs->ntrules + 1) * sizeof *rs->trules);
            if (!rs->trules)
                return false;
        }
    }
    return true;
}

/* Per rule, the nodes of its condition in topological (id) order. Rules sharing a large
 * condition (many rules naming the last of a long chain of facts) would each list all of
 * it, quadratic in all: past a budget linear in the graph every list is left empty and
 * *over set; the rule set is then swept whole (one pass over each node), never indexed. */
static bool index_rule_nodes(mga_ruleset *rs, arena *tmp, bool *over)
{
    size_t budget = 8 * (rs->nnodes + rs->nrules) + 65536;
    *over = false;
    uint32_t *mark = arena_alloc(tmp, (rs->nnodes + 1) * sizeof *mark);
    uint32_t *stack = arena_alloc(tmp, (rs->nnodes + 1) * sizeof *stack);
    rs->rule_nodes_off = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *rs->rule_nodes_off);
    if (!mark || !stack || !rs->rule_nodes_off)
        return false;
    vec all = {0};
    for (size_t r = 0; r < rs->nrules; r++) {
        rs->rule_nodes_off[r] = (uint32_t)all.len;
        size_t first = all.len, sp = 0;
        uint32_t stamp = (uint32_t)r + 1;
        stack[sp++] = rs->rules[r].node;
        mark[rs->rules[r].node] = stamp;
        while (sp) {
            uint32_t id = stack[--sp];
            uint32_t *slot = vec_push(tmp, &all, sizeof *slot);
            if (!slot)
                return false;
            *slot = id;
            if (all.len > budget) {
                *over = true;
                for (size_t i = 0; i <= rs->nrules; i++)
                    rs->rule_nodes_off[i] = 0;
                rs->rule_nodes = arena_alloc(&rs->a, sizeof *rs->rule_nodes);
                return rs->rule_nodes != NULL;
            }
            const g_node *x = &rs->nodes[id];
            if (x->kind == N_AND || x->kind == N_OR || x->kind == N_NOT || x->kind == N_DEF)
                for (uint32_t k = 0; k < x->n; k++) {
                    uint32_t c = rs->kids[x->off + k];
                    if (mark[c] != stamp) {
                        mark[c] = stamp;
                        stack[sp++] = c;
                    }
                }
        }
        qsort((uint32_t *)all.data + first, all.len - first, sizeof(uint32_t), cmp_u32);
    }
    rs->rule_nodes_off[rs->nrules] = (uint32_t)all.len;
    COPY(rs->rule_nodes, all.data, all.len);
    return true;
}

/* Sweep or index, by the work each does per profile. The sweep evaluates every node some
 * rule reaches, once, in runs of one kind. The index evaluates, for every profile, each rule
 * without a guard (rs->always) from its own node list, so nodes the unguarded rules share are
 * evaluated once per rule; each such program also costs a dispatch and an entry in the sort
 * of the fired rules, counted as one more node. A node of a program costs about twice one of
 * the sweep (one call per node, not one loop per run), so when the unguarded rules' work
 * alone comes to half the sweep's or more, the index loses before it runs a candidate: the
 * rule set is swept. Rule sets that prune (most rules under a guard or a threshold) keep the
 * index. Past the node-list budget (over) there are no lists to run: swept. */
static bool choose_sweep(const mga_ruleset *rs, arena *tmp, bool over, bool *sweep)
{
    *sweep = true;
    if (over)
        return true;
    size_t always = 0, live = 0;
    for (size_t i = 0; i < rs->nalways; i++) {
        uint32_t r = rs->always[i];
        always += rs->rule_nodes_off[r + 1] - rs->rule_nodes_off[r] + 1;
    }
    uint8_t *reached = arena_alloc(tmp, rs->nnodes + 1);
    if (!reached)
        return false;
    for (size_t i = 0, n = rs->rule_nodes_off[rs->nrules]; i < n; i++) {
        live += !reached[rs->rule_nodes[i]];
        reached[rs->rule_nodes[i]] = 1;
    }
    *sweep = 2 * always >= live;
    return true;
}

bool graph_index(mga_ruleset *rs, arena *tmp)
{
    rs->rank = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *rs->rank);
    rs->always = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *rs->always);
    bool over;
    if (!rs->rank || !rs->always || !index_rule_nodes(rs, tmp, &over))
        return false;
    for (size_t i = 0; i < rs->nrules; i++)
        rs->rank[rs->order[i]] = (uint32_t)i;
    vec ents = {0}, tents = {0};
    for (size_t i = 0; i < rs->nrules; i++) {
        int gd = rule_guards(rs, tmp, &ents, (uint32_t)i);
        tentry te;
        if (gd < 0)
            return false;
        if (gd == 0 && rule_bounds(rs, (uint32_t)i, &te)) {
            tentry *slot = vec_push(tmp, &tents, sizeof *slot);
            if (!slot)
                return false;
            *slot = te;
        } else if (gd == 0) {
            rs->always[rs->nalways++] = (uint32_t)i;
        }
    }
    if (tents.len)
        qsort(tents.data, tents.len, sizeof(tentry), cmp_tentry);
    if (!threshold_index(rs, tmp, tents.data, tents.len))
        return false;
    if (!choose_sweep(rs, tmp, over, &rs->sweep))
        return false;
    if (!ents.len)
        return true;
    gentry *e = ents.data;
    qsort(e, ents.len, sizeof *e, cmp_gentry);
    size_t nkeys = 0;
    for (size_t i = 0; i < ents.len; i++)
        nkeys += i == 0 || e[i].key != e[i - 1].key;
    size_t cap = 16;
    while (cap < 2 * nkeys)
        cap *= 2;
    rs->gkey_mask = (uint32_t)(cap - 1);
    rs->gkeys = arena_alloc(&rs->a, cap * sizeof *rs->gkeys);
    rs->gfields = arena_alloc(&rs->a, (rs->nfields + 1) * sizeof *rs->gfields);
    uint32_t *pairs = arena_alloc(tmp, (ents.len + 1) * sizeof *pairs);
    int32_t *gf = arena_alloc(tmp, (rs->nfields + 1) * sizeof *gf);
    uint32_t *gseen = arena_alloc(tmp, (rs->nfields + 1) * sizeof *gseen);
    uint32_t *rseen = arena_alloc(tmp, (rs->nfields + 1) * sizeof *rseen);
    uint32_t *count = arena_alloc(tmp, (rs->nfields + 1) * sizeof *count);
    if (!rs->gkeys || !rs->gfields || !pairs || !gf || !gseen || !rseen || !count)
        return false;
    for (size_t f = 0; f < rs->nfields; f++) {
        gf[f] = -1;
        gseen[f] = 0;
    }
    /* each key's entries, split by the enum field most of its rules test */
    vec out = {0}, split = {0};
    uint32_t group = 0;
    for (size_t lo = 0, hi; lo < ents.len; lo = hi) {
        for (hi = lo + 1; hi < ents.len && e[hi].key == e[lo].key;)
            hi++;
        uint32_t field = (uint32_t)(e[lo].key >> 42) - 1;
        if (gf[field] < 0) {
            gf[field] = (int32_t)rs->ngfields;
            rs->gfields[rs->ngfields++] = (g_gfield){.field = field};
        }
        g_gkey k = {.key = e[lo].key, .off = (uint32_t)out.len, .qfield = GUARD_NONE};
        uint32_t qf = split_field(rs, e + lo, hi - lo, field, ++group, gseen, rseen, count);
        size_t nsyms = qf == GUARD_NONE ? 0 : rs->fields[qf].nsyms;
        k.qfield = qf;
        k.qoff = (uint32_t)split.len;
        /* pass 0: the rules that do not test qf (all of them when not split); pass v + 1:
         * the rules that allow value v */
        for (size_t pass = 0; pass <= nsyms; pass++) {
            for (size_t i = lo; i < hi; i++) {
                uint64_t allow;
                bool tests = qf != GUARD_NONE && rule_allows(rs, e[i].rule, qf, &allow);
                if (pass == 0 ? tests : !tests || !((allow >> (pass - 1)) & 1))
                    continue;
                uint32_t *slot = vec_push(tmp, &out, sizeof *slot);
                if (!slot)
                    return false;
                *slot = e[i].rule;
            }
            if (nsyms) {
                uint32_t *sp = vec_push(tmp, &split, sizeof *sp);
                if (!sp)
                    return false;
                *sp = (uint32_t)(out.len - k.off);
            }
        }
        k.n = (uint32_t)(out.len - k.off);
        size_t j = (size_t)((k.key * 0x9E3779B97F4A7C15ull) >> 20) & rs->gkey_mask;
        while (rs->gkeys[j].key)
            j = (j + 1) & rs->gkey_mask;
        rs->gkeys[j] = k;
    }
    COPY(rs->guard_rules, out.data, out.len);
    COPY(rs->guard_split, split.data, split.len);
    /* per field, the rules under two symbols (each rule has one key, so no duplicates) */
    size_t np = 0;
    for (size_t k = 0; k < rs->ngfields; k++) {
        g_gfield *x = &rs->gfields[k];
        x->poff = (uint32_t)np;
        for (size_t i = 0; i < ents.len; i++)
            if ((uint32_t)(e[i].key >> 42) - 1 == x->field && (e[i].key & GUARD_NONE) != GUARD_NONE)
                pairs[np++] = e[i].rule;
        x->pn = (uint32_t)(np - x->poff);
        x->pairs = x->pn > 0;
    }
    uint32_t *pr = arena_alloc(&rs->a, (np + 1) * sizeof *pr);
    if (!pr)
        return false;
    memcpy(pr, pairs, np * sizeof *pr);
    rs->pair_rules = pr;
    return true;
}

static bool freeze_invariant(builder *b, g_invariant *g, const ast_invariant *v,
                             const char *const *names, const char *const *texts,
                             const size_t *lens)
{
    mga_ruleset *rs = b->rs;
    g->id = DUP(v->id.s);
    g->label = DUP(v->label);
    g->file = DUP(names[v->at.file]);
    g->line = rule_line(b, v->at, texts, lens);
    g->node = v->when ? build(b, v->when) : mk_const(b, true);
    if (b->oom || !g->id || !g->file || (v->label && !g->label))
        return false;
    g->nex = (uint32_t)v->expects.len;
    g->ex = arena_alloc(&rs->a, (g->nex + 1) * sizeof *g->ex);
    if (!g->ex)
        return false;
    for (size_t i = 0; i < v->expects.len; i++) {
        const ast_expect *e = VEC_AT(v->expects, ast_expect, i);
        g_expect *x = &g->ex[i];
        x->kind = (uint8_t)e->kind;
        x->sev = (int8_t)e->sev;
        x->urg = (uint8_t)e->urg;
        x->mg = e->mg;
        x->nforms = (uint32_t)e->forms.n;
        if (x->nforms) {
            x->forms = arena_alloc(&rs->a, x->nforms * sizeof *x->forms);
            if (!x->forms)
                return false;
            for (size_t f = 0; f < e->forms.n; f++)
                x->forms[f] = form_index(rs, e->forms.v[f].s);
        }
    }
    return true;
}

bool graph_build(mga_ruleset *rs, const ast_program *p, const char *const *file_names,
                 const char *const *texts, const size_t *lens)
{
    builder b = {0};
    b.line_file = UINT32_MAX; /* no place yet */
    b.rs = rs;
    b.p = p;
    b.tmp = p->a;
    if (!freeze_schema(rs, p, texts, lens) || !freeze_sources(rs, p))
        return false;
    rs->name = p->rulesets.len ? DUP(VEC_AT(p->rulesets, ast_text, 0)->s) : NULL;
    rs->disclaimer = p->disclaimers.len ? DUP(VEC_AT(p->disclaimers, ast_text, 0)->s) : NULL;
    b.fact_node = arena_alloc(b.tmp, (p->facts.len + 1) * sizeof *b.fact_node);
    if (!b.fact_node)
        return false;
    for (size_t i = 0; i < p->facts.len; i++)
        b.fact_node[i] = NONE_ID;
    if (p->fact_order) {
        b.fact_pos = arena_alloc(b.tmp, (p->facts.len + 1) * sizeof *b.fact_pos);
        if (!b.fact_pos)
            return false;
        for (size_t i = 0; i < p->facts.len; i++)
            b.fact_pos[p->fact_order[i]] = (uint32_t)i;
    }

    rs->nrules = p->rules.len;
    rs->rules = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *rs->rules);
    rs->order = arena_alloc(&rs->a, (rs->nrules + 1) * sizeof *rs->order);
    if (!rs->rules || !rs->order)
        return false;
    for (size_t i = 0; i < rs->nrules; i++)
        if (!freeze_rule(&b, &rs->rules[i], VEC_AT(p->rules, ast_rule, i), file_names, texts,
                         lens))
            return false;
    rs->nfacts = p->facts.len;
    rs->facts = arena_alloc(&rs->a, (rs->nfacts + 1) * sizeof *rs->facts);
    if (!rs->facts)
        return false;
    for (size_t i = 0; i < rs->nfacts; i++) {
        rs->facts[i].name = DUP(VEC_AT(p->facts, ast_fact, i)->name.s);
        rs->facts[i].node = build_fact(&b, (int)i);
        if (b.oom || !rs->facts[i].name)
            return false;
    }
    rs->ninvs = p->invariants.len;
    rs->invs = arena_alloc(&rs->a, (rs->ninvs + 1) * sizeof *rs->invs);
    if (!rs->invs)
        return false;
    for (size_t i = 0; i < rs->ninvs; i++)
        if (!freeze_invariant(&b, &rs->invs[i], VEC_AT(p->invariants, ast_invariant, i),
                              file_names, texts, lens))
            return false;
    for (size_t i = 0; i < p->precs.len; i++) {
        const ast_prec *pr = VEC_AT(p->precs, ast_prec, i);
        rs->precedence |= G_PREC_BIT((uint64_t)pr->winner, (uint64_t)pr->loser);
    }
    /* per rule: each preferred form, the start, the target and the item itself */
    for (size_t i = 0; i < rs->nrules; i++)
        rs->max_overruled += rs->rules[i].nprefer + 3;
    /* severity descending, then source order: a stable bucket pass */
    size_t m = 0;
    for (int sev = MGA_CRITICAL; sev >= MGA_INFO; sev--)
        for (size_t i = 0; i < rs->nrules; i++)
            if (rs->rules[i].severity == sev)
                rs->order[m++] = (uint32_t)i;

    if (!drop_dead_nodes(&b, rs))
        return false;
    rs->nnodes = b.nodes.len;
    COPY(rs->nodes, b.nodes.data, b.nodes.len);
    COPY(rs->kids, b.kids.data, b.kids.len);
    COPY(rs->masks, b.masks.data, b.masks.len);
    COPY(rs->terms, b.terms.data, b.terms.len);
    return true;
}
