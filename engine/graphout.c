/* SPDX-License-Identifier: MIT */
/* Graph output (mgadvise graph): the frozen rule graph (graph.h) as Graphviz dot or as JSON
 * (yajl_gen): condition nodes with readable labels, facts, rules with their citations and
 * the actions they lead to. Reads the ruleset only; the output is in a stable order. */
#include "graph.h"
#include "jsongen.h"
#include "numfmt.h"
#include "textsafe.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* ---- labels ---- */

typedef outbuf out;

static void put(out *o, const char *s, size_t n)
{
    outbuf_put(o, s, n);
}

static void puts0(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(out *o, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Numbers as a person writes them: 55, 0.5, 1000000. */
static void put_num(out *o, double v)
{
    if (v == 0)
        v = 0; /* no "-0" */
    putf(o, "%.10g", v);
}

static const char *kind_name(node_kind k)
{
    static const char *const names[] = {"const",  "has_any", "has_all", "is_one_of",
                                        "bool",   "known",   "defined", "compare",
                                        "and",    "or",      "not"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

/* The declared unit of a numeric field (or its dimension's base), and its factor to base. */
static const char *field_unit(const mga_ruleset *rs, const g_field *f, double *factor)
{
    *factor = f->unit_f > 0 ? f->unit_f : 1;
    if (f->unit)
        return f->unit;
    if (f->dim >= 0 && (size_t)f->dim < rs->ndims)
        return rs->dims[f->dim].units[0].name;
    return NULL;
}

/* sum(coef * field) + k op 0, written back as the author would: first coefficient
 * positive, the constant on the right, in the first field's declared unit. */
static void put_lin(out *o, const mga_ruleset *rs, const g_node *n)
{
    const g_term *t = rs->terms + n->off;
    double flip = t[0].coef < 0 && n->op != OP_EQ ? -1 : 1;
    static const char *const ops[] = {"<", "<=", ">", ">=", "=="};
    int op = n->op == OP_LT ? 0 : n->op == OP_LE ? 1 : 4;
    if (flip < 0)
        op = op == 0 ? 2 : 3;
    double f0;
    const char *unit = field_unit(rs, &rs->fields[t[0].field], &f0);
    for (uint32_t i = 0; i < n->n; i++) {
        double fi;
        field_unit(rs, &rs->fields[t[i].field], &fi);
        double c = flip * t[i].coef * fi / f0;
        if (i > 0)
            puts0(o, c < 0 ? " - " : " + ");
        else if (c < 0)
            puts0(o, "-");
        if (fabs(c) != 1) {
            put_num(o, fabs(c));
            puts0(o, " ");
        }
        puts0(o, rs->fields[t[i].field].name);
    }
    putf(o, " %s ", ops[op]);
    put_num(o, -flip * n->k / f0);
    if (unit) {
        puts0(o, " ");
        puts0(o, unit);
    }
}

static void put_syms(out *o, const mga_ruleset *rs, const g_node *n, const char *one,
                     const char *many)
{
    const g_field *f = &rs->fields[n->field];
    const uint64_t *m = rs->masks + n->off;
    size_t count = 0;
    for (size_t s = 0; s < f->nsyms; s++)
        count += (m[s / 64] >> (s % 64)) & 1;
    puts0(o, f->name);
    puts0(o, count == 1 ? one : many);
    bool first = true;
    for (size_t s = 0; s < f->nsyms; s++)
        if ((m[s / 64] >> (s % 64)) & 1) {
            puts0(o, first ? "" : ", ");
            puts0(o, f->syms[s]);
            first = false;
        }
    if (count != 1)
        puts0(o, "}");
}

/* A node's own test, without its children: "age >= 55 years", "and". */
static void put_label(out *o, const mga_ruleset *rs, const g_node *n)
{
    switch ((node_kind)n->kind) {
    case N_CONST:
        puts0(o, n->bval ? "true" : "false");
        break;
    case N_SET_ANY:
        put_syms(o, rs, n, " has ", " has any of {");
        break;
    case N_SET_ALL:
        put_syms(o, rs, n, " has ", " has all of {");
        break;
    case N_ENUM_IN:
        put_syms(o, rs, n, " is ", " is one of {");
        break;
    case N_BOOL:
        puts0(o, rs->fields[n->field].name);
        break;
    case N_KNOWN:
        puts0(o, rs->fields[n->field].name);
        puts0(o, " is known");
        break;
    case N_DEF:
        puts0(o, "is known");
        break;
    case N_LIN:
        put_lin(o, rs, n);
        break;
    case N_AND:
        puts0(o, "and");
        break;
    case N_OR:
        puts0(o, "or");
        break;
    case N_NOT:
        puts0(o, "not");
        break;
    }
}

static bool has_kids(const g_node *n)
{
    return n->kind == N_AND || n->kind == N_OR || n->kind == N_NOT || n->kind == N_DEF;
}

/* How many nodes and rules use each node. */
static uint32_t *count_parents(const mga_ruleset *rs, arena *a)
{
    uint32_t *np = arena_alloc(a, (rs->nnodes + 1) * sizeof *np);
    if (!np)
        return NULL;
    for (size_t i = 0; i < rs->nnodes; i++)
        if (has_kids(&rs->nodes[i]))
            for (uint32_t k = 0; k < rs->nodes[i].n; k++)
                np[rs->kids[rs->nodes[i].off + k]]++;
    for (size_t i = 0; i < rs->nrules; i++)
        np[rs->rules[i].node]++;
    return np;
}

/* The actions of a rule, one line each ("avoid supplements", "prefer glycinate", "refer
 * soon", "dose max 400 mg"), into o separated by NUL. */
static void put_actions(out *o, const mga_ruleset *rs, const g_rule *r)
{
    if (r->avoid_supplements)
        put(o, "avoid supplements", sizeof "avoid supplements");
    if (r->withhold_supplements)
        put(o, "withhold supplements", sizeof "withhold supplements");
    if (r->presumes && !r->nprefer && !r->has_start && !r->has_target && !r->has_max)
        put(o, "presumes supplements", sizeof "presumes supplements");
    for (uint32_t i = 0; i < r->navoid; i++) {
        putf(o, "avoid %s", rs->forms[r->avoid[i]]);
        put(o, "", 1);
    }
    for (uint32_t i = 0; i < r->nprefer; i++) {
        putf(o, "prefer %s", rs->forms[r->prefer[i]]);
        put(o, "", 1);
    }
    if (r->refer) {
        putf(o, "refer %s", r->refer);
        put(o, "", 1);
    }
    const struct {
        bool has;
        const char *name;
        double mg;
    } doses[] = {{r->has_start, "start", r->start},
                 {r->has_target, "target", r->target},
                 {r->has_max, "max", r->max}};
    for (size_t i = 0; i < 3; i++)
        if (doses[i].has) {
            putf(o, "dose %s ", doses[i].name);
            put_num(o, doses[i].mg);
            put(o, " mg", sizeof " mg");
        }
}

/* ---- dot ---- */

/* s as the inside of a dot string: quotes and backslashes escaped, line breaks as \n, and
 * every other control or bidi character as its visible escape (textsafe.h), itself escaped
 * for dot ("\\x1b"), so that no raw control byte reaches a label or a tooltip. */
static void dot_str(out *o, const char *s, size_t n)
{
    char esc[TEXTSAFE_ESC_MAX];
    for (size_t i = 0; i < n;) {
        if (s[i] == '\n') {
            put(o, "\\n", 2);
            i++;
            continue;
        }
        size_t k = textsafe_step(s + i, n - i, 0, esc);
        if (esc[0]) {
            put(o, "\\", 1);
            put(o, esc, strlen(esc));
        } else {
            if (s[i] == '"' || s[i] == '\\')
                put(o, "\\", 1);
            put(o, s + i, k);
        }
        i += k;
    }
}

static void dot_str0(out *o, const char *s)
{
    dot_str(o, s, strlen(s));
}

static void dot_cite(out *o, const mga_ruleset *rs, const g_cite *c)
{
    dot_str0(o, rs->sources[c->source].key);
    if (c->ref)
        putf(o, "[%u]", c->ref);
}

static const char *severity_fill(unsigned sev)
{
    return sev == MGA_CRITICAL ? "#f4c7c3" : sev == MGA_WARNING ? "#fce8b2" : "#d9ead3";
}

static void write_dot(out *o, const mga_ruleset *rs, const uint32_t *parents, arena *a)
{
    puts0(o, "digraph rules {\n  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label=\"");
    dot_str0(o, rs->name ? rs->name : "rules");
    puts0(o, "\\nconditions (ellipses; facts in blue; shared tests outlined in red) -> "
             "rules (boxes by severity) -> actions\"];\n"
             "  node [fontname=\"Helvetica\", fontsize=10];\n"
             "  edge [color=\"#888888\", arrowsize=0.6];\n");
    /* condition nodes; a fact names the node that is its condition */
    for (size_t i = 0; i < rs->nnodes; i++) {
        const g_node *n = &rs->nodes[i];
        putf(o, "  n%zu [label=\"", i);
        size_t nfacts = 0;
        for (size_t f = 0; f < rs->nfacts; f++)
            if (rs->facts[f].node == i) {
                puts0(o, nfacts++ ? ", " : "fact ");
                dot_str0(o, rs->facts[f].name);
            }
        if (nfacts)
            puts0(o, "\\n");
        out lab = {o->m, {NULL, 0, 0}, false};
        put_label(&lab, rs, n);
        o->oom |= lab.oom;
        dot_str(o, lab.b.p ? lab.b.p : "", lab.b.len);
        membuf_free(o->m, &lab.b);
        puts0(o, "\"");
        if (nfacts)
            puts0(o, ", shape=box, style=\"rounded,filled\", fillcolor=\"#cfe2f3\"");
        else if (has_kids(n))
            puts0(o, ", shape=circle, fixedsize=true, width=0.45, fontsize=9");
        else
            puts0(o, ", shape=ellipse");
        if (parents[i] > 1)
            putf(o, ", color=\"#cc0000\", penwidth=2, tooltip=\"shared by %u\"", parents[i]);
        puts0(o, "];\n");
    }
    /* rules, with their citations */
    for (size_t i = 0; i < rs->nrules; i++) {
        const g_rule *r = &rs->rules[i];
        putf(o, "  r%zu [shape=box, style=filled, fillcolor=\"%s\", label=\"", i,
             severity_fill(r->severity));
        dot_str0(o, r->id);
        putf(o, "\\n%s, %s\\ncites ", mga_kind_str((mga_kind)r->kind),
             mga_severity_str((mga_severity)r->severity));
        for (uint32_t c = 0; c < r->ncites; c++) {
            if (c)
                puts0(o, ", ");
            dot_cite(o, rs, &r->cites[c]);
        }
        puts0(o, "\", tooltip=\"");
        for (uint32_t c = 0; c < r->ncites; c++) {
            if (c)
                puts0(o, "\\n");
            dot_cite(o, rs, &r->cites[c]);
            if (r->cites[c].quote) {
                puts0(o, ": \\\"");
                dot_str0(o, r->cites[c].quote);
                puts0(o, "\\\"");
            }
        }
        puts0(o, "\"];\n");
    }
    /* actions: one node per distinct action, in order of first use */
    out acts = {o->m, {NULL, 0, 0}, false};
    vec names = {0}; /* size_t offsets into acts.b of each distinct action */
    for (size_t i = 0; i < rs->nrules && !o->oom; i++) {
        size_t from = acts.b.len;
        put_actions(&acts, rs, &rs->rules[i]);
        if (acts.oom) {
            o->oom = true;
            break;
        }
        for (size_t p = from; p < acts.b.len;) {
            const char *s = acts.b.p + p;
            size_t k = 0;
            while (k < names.len && strcmp(acts.b.p + *VEC_AT(names, size_t, k), s) != 0)
                k++;
            if (k == names.len) {
                size_t *slot = vec_push(a, &names, sizeof *slot);
                if (!slot) {
                    o->oom = true;
                    break;
                }
                *slot = p;
                putf(o, "  a%zu [shape=note, style=filled, fillcolor=\"#eeeeee\", label=\"", k);
                dot_str0(o, s);
                puts0(o, "\"];\n");
            }
            putf(o, "  r%zu -> a%zu;\n", i, k);
            p += strlen(s) + 1;
        }
    }
    membuf_free(o->m, &acts.b);
    /* edges: conditions flow into the tests that use them, and into rules */
    for (size_t i = 0; i < rs->nnodes; i++)
        if (has_kids(&rs->nodes[i]))
            for (uint32_t k = 0; k < rs->nodes[i].n; k++)
                putf(o, "  n%u -> n%zu;\n", rs->kids[rs->nodes[i].off + k], i);
    for (size_t i = 0; i < rs->nrules; i++)
        putf(o, "  n%u -> r%zu;\n", rs->rules[i].node, i);
    puts0(o, "}\n");
}

/* ---- JSON ---- */

static void j_print(void *ctx, const char *s, size_t len)
{
    put(ctx, s, len);
}

static void j_num(yajl_gen g, double v)
{
    char buf[40];
    num_fmt(buf, sizeof buf, v);
    yajl_gen_number(g, buf, strlen(buf));
}

static void j_opt_num(yajl_gen g, bool has, double v)
{
    if (has)
        j_num(g, v);
    else
        yajl_gen_null(g);
}

static void write_json(yajl_gen g, const mga_ruleset *rs, const uint32_t *parents, const mem *m,
                       bool *oom)
{
    yajl_gen_map_open(g);
    jgen_str(g, "ruleset");
    jgen_str(g, rs->name);
    jgen_str(g, "nodes");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < rs->nnodes; i++) {
        const g_node *n = &rs->nodes[i];
        yajl_gen_map_open(g);
        jgen_str(g, "id");
        yajl_gen_integer(g, (long long)i);
        jgen_str(g, "kind");
        jgen_str(g, kind_name((node_kind)n->kind));
        jgen_str(g, "label");
        out lab = {m, {NULL, 0, 0}, false};
        put_label(&lab, rs, n);
        *oom |= lab.oom;
        yajl_gen_string(g, (const unsigned char *)(lab.b.p ? lab.b.p : ""), lab.b.len);
        membuf_free(m, &lab.b);
        jgen_str(g, "children");
        yajl_gen_array_open(g);
        for (uint32_t k = 0; has_kids(n) && k < n->n; k++)
            yajl_gen_integer(g, rs->kids[n->off + k]);
        yajl_gen_array_close(g);
        jgen_str(g, "uses");
        yajl_gen_integer(g, parents[i]);
        jgen_str(g, "shared");
        yajl_gen_bool(g, parents[i] > 1);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    jgen_str(g, "facts");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < rs->nfacts; i++) {
        jgen_str(g, rs->facts[i].name);
        yajl_gen_integer(g, rs->facts[i].node);
    }
    yajl_gen_map_close(g);
    jgen_str(g, "rules");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < rs->nrules; i++) {
        const g_rule *r = &rs->rules[i];
        yajl_gen_map_open(g);
        jgen_str(g, "id");
        jgen_str(g, r->id);
        jgen_str(g, "node");
        yajl_gen_integer(g, r->node);
        jgen_str(g, "kind");
        jgen_str(g, mga_kind_str((mga_kind)r->kind));
        jgen_str(g, "severity");
        jgen_str(g, mga_severity_str((mga_severity)r->severity));
        jgen_str(g, "evidence");
        jgen_str(g, r->evidence);
        jgen_str(g, "actions");
        yajl_gen_map_open(g);
        jgen_str(g, "avoid_supplements");
        yajl_gen_bool(g, r->avoid_supplements);
        jgen_str(g, "withhold_supplements");
        yajl_gen_bool(g, r->withhold_supplements);
        jgen_str(g, "presumes_supplements");
        yajl_gen_bool(g, r->presumes);
        jgen_str(g, "prefer");
        yajl_gen_array_open(g);
        for (uint32_t k = 0; k < r->nprefer; k++)
            jgen_str(g, rs->forms[r->prefer[k]]);
        yajl_gen_array_close(g);
        jgen_str(g, "avoid");
        yajl_gen_array_open(g);
        for (uint32_t k = 0; k < r->navoid; k++)
            jgen_str(g, rs->forms[r->avoid[k]]);
        yajl_gen_array_close(g);
        jgen_str(g, "refer");
        jgen_str(g, r->refer);
        jgen_str(g, "dose");
        if (r->has_start || r->has_target || r->has_max) {
            yajl_gen_map_open(g);
            jgen_str(g, "start_mg");
            j_opt_num(g, r->has_start, r->start);
            jgen_str(g, "target_mg");
            j_opt_num(g, r->has_target, r->target);
            jgen_str(g, "max_mg");
            j_opt_num(g, r->has_max, r->max);
            yajl_gen_map_close(g);
        } else {
            yajl_gen_null(g);
        }
        jgen_str(g, "say");
        jgen_str(g, r->say);
        yajl_gen_map_close(g);
        jgen_str(g, "cites");
        yajl_gen_array_open(g);
        for (uint32_t c = 0; c < r->ncites; c++) {
            yajl_gen_map_open(g);
            jgen_str(g, "source");
            jgen_str(g, rs->sources[r->cites[c].source].key);
            jgen_str(g, "ref");
            if (r->cites[c].ref)
                yajl_gen_integer(g, r->cites[c].ref);
            else
                yajl_gen_null(g);
            jgen_str(g, "quote");
            jgen_str(g, r->cites[c].quote);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

mga_status mga_ruleset_write_graph(const mga_ruleset *rs, mga_graph_format fmt, mga_write_fn fn,
                                   void *ud)
{
    if (!rs || !fn || (fmt != MGA_GRAPH_DOT && fmt != MGA_GRAPH_JSON))
        return MGA_E_MISUSE;
    const mem *m = &rs->m;
    arena a;
    arena_init(&a, m);
    out o = {m, {NULL, 0, 0}, false};
    uint32_t *parents = count_parents(rs, &a);
    if (!parents)
        o.oom = true;
    else if (fmt == MGA_GRAPH_DOT)
        write_dot(&o, rs, parents, &a);
    else {
        jgen j;
        if (!jgen_open(&j, m, j_print, &o, true)) {
            o.oom = true;
        } else {
            write_json(j.g, rs, parents, m, &o.oom);
            jgen_close(&j);
            put(&o, "\n", 1);
        }
    }
    mga_status st = MGA_OK;
    if (o.oom)
        st = MGA_E_NOMEM;
    else if (fn(ud, o.b.p, o.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(m, &o.b);
    arena_free(&a);
    return st;
}
