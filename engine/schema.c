/* SPDX-License-Identifier: MIT */
/* The profile schema as JSON Schema, draft 2020-12 (mga_ruleset_write_schema): what the
 * profile reader (profile.c) accepts, from the frozen rule set's fields, written with
 * yajl_gen (jsongen.h). Reads the rule set only. */
#include "graph.h"
#include "jsongen.h"
#include "numfmt.h"

#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static void s_print(void *ctx, const char *s, size_t len)
{
    outbuf_put(ctx, s, len);
}

static void key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

/* 15 significant digits: a bound rounded there is within the reader's tolerance
 * (NUM_REL_TOL) of the exact one, so the schema never admits what the reader refuses by
 * more than that tolerance allows. */
static void num(yajl_gen g, double v)
{
    char buf[NUM_FMT_SIZE];
    num_fmt(buf, sizeof buf, v);
    yajl_gen_number(g, buf, strlen(buf));
}

/* "type": [t, "null"]: every field may be null, which the reader takes as unknown. */
static void type_or_null(yajl_gen g, const char *t)
{
    key(g, "type");
    yajl_gen_array_open(g);
    jgen_str(g, t);
    jgen_str(g, "null");
    yajl_gen_array_close(g);
}

/* The bounds of f's number in a unit of factor `factor` to the base: the declared range,
 * else the engine's own (G_NUM_MAX in base units). The declared unit gets the declared
 * figures as written. */
static void bounds(yajl_gen g, const g_field *f, double factor, bool declared)
{
    double lo, hi;
    if (f->has_range && declared) {
        lo = f->ulo;
        hi = f->uhi;
    } else if (f->has_range) {
        lo = f->lo / factor;
        hi = f->hi / factor;
    } else {
        lo = -G_NUM_MAX / factor;
        hi = G_NUM_MAX / factor;
    }
    key(g, "minimum");
    num(g, lo);
    key(g, "maximum");
    num(g, hi);
}

static void syms_enum(yajl_gen g, const g_field *f, bool with_null)
{
    key(g, "enum");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < f->nsyms; i++)
        jgen_str(g, f->syms[i]);
    if (with_null)
        yajl_gen_null(g);
    yajl_gen_array_close(g);
}

/* A number of a dimension: a number in the declared unit, or {"value": n, "unit": u} with
 * u any unit of the dimension and the range in u. */
static void quantity(yajl_gen g, const mga_ruleset *rs, const g_field *f)
{
    const g_dim *dim = &rs->dims[f->dim];
    double df = f->unit_f > 0 ? f->unit_f : 1;
    key(g, "anyOf");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    key(g, "type");
    jgen_str(g, "null");
    yajl_gen_map_close(g);
    yajl_gen_map_open(g);
    key(g, "type");
    jgen_str(g, "number");
    bounds(g, f, df, true);
    yajl_gen_map_close(g);
    yajl_gen_map_open(g);
    key(g, "type");
    jgen_str(g, "object");
    key(g, "properties");
    yajl_gen_map_open(g);
    key(g, "value");
    yajl_gen_map_open(g);
    key(g, "type");
    jgen_str(g, "number");
    yajl_gen_map_close(g);
    key(g, "unit");
    yajl_gen_map_open(g);
    key(g, "enum");
    yajl_gen_array_open(g);
    for (size_t u = 0; u < dim->nunits; u++)
        jgen_str(g, dim->units[u].name);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    key(g, "required");
    yajl_gen_array_open(g);
    jgen_str(g, "value");
    jgen_str(g, "unit");
    yajl_gen_array_close(g);
    key(g, "additionalProperties");
    yajl_gen_bool(g, rs->allow_unknown_fields);
    /* the range in each unit: if the unit is u, then the value lies within it */
    key(g, "allOf");
    yajl_gen_array_open(g);
    for (size_t u = 0; u < dim->nunits; u++) {
        const g_unit *un = &dim->units[u];
        bool declared = f->unit ? strcmp(f->unit, un->name) == 0 : u == 0;
        yajl_gen_map_open(g);
        key(g, "if");
        yajl_gen_map_open(g);
        key(g, "properties");
        yajl_gen_map_open(g);
        key(g, "unit");
        yajl_gen_map_open(g);
        key(g, "const");
        jgen_str(g, un->name);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        key(g, "then");
        yajl_gen_map_open(g);
        key(g, "properties");
        yajl_gen_map_open(g);
        key(g, "value");
        yajl_gen_map_open(g);
        bounds(g, f, un->factor > 0 ? un->factor : 1, declared);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
}

static void field(yajl_gen g, const mga_ruleset *rs, const g_field *f, bool is_id)
{
    yajl_gen_map_open(g);
    if (f->doc) {
        key(g, "description");
        jgen_str(g, f->doc);
    }
    switch (f->type) {
    case FT_TEXT:
        if (is_id) { /* a profile's id: a string, or an integer (a database key) */
            key(g, "type");
            yajl_gen_array_open(g);
            jgen_str(g, "string");
            jgen_str(g, "integer");
            jgen_str(g, "null");
            yajl_gen_array_close(g);
        } else {
            type_or_null(g, "string");
        }
        break;
    case FT_BOOL:
        type_or_null(g, "boolean");
        break;
    case FT_NUMBER:
        if (f->dim >= 0 && (size_t)f->dim < rs->ndims) {
            quantity(g, rs, f);
        } else {
            type_or_null(g, "number");
            bounds(g, f, 1, true);
        }
        break;
    case FT_ENUM:
        syms_enum(g, f, true);
        break;
    case FT_SET:
        type_or_null(g, "array");
        key(g, "items");
        yajl_gen_map_open(g);
        syms_enum(g, f, false);
        yajl_gen_map_close(g);
        key(g, "uniqueItems");
        yajl_gen_bool(g, 1);
        break;
    }
    yajl_gen_map_close(g);
}

static void write_schema(yajl_gen g, const mga_ruleset *rs)
{
    yajl_gen_map_open(g);
    key(g, "$schema");
    jgen_str(g, "https://json-schema.org/draft/2020-12/schema");
    if (rs->name) {
        key(g, "title");
        jgen_str(g, rs->name);
    }
    key(g, "type");
    jgen_str(g, "object");
    key(g, "properties");
    yajl_gen_map_open(g);
    for (size_t i = 0; i < rs->nfields; i++) {
        jgen_str(g, rs->fields[i].name);
        field(g, rs, &rs->fields[i], (int32_t)i == rs->id_field);
    }
    yajl_gen_map_close(g);
    key(g, "additionalProperties");
    yajl_gen_bool(g, rs->allow_unknown_fields);
    yajl_gen_map_close(g);
}

mga_status mga_ruleset_write_schema(const mga_ruleset *rs, mga_write_fn fn, void *ud)
{
    if (!rs || !fn)
        return MGA_E_MISUSE;
    outbuf o = {&rs->m, {NULL, 0, 0}, false};
    jgen j;
    if (!jgen_open(&j, &rs->m, s_print, &o, true))
        return MGA_E_NOMEM;
    write_schema(j.g, rs);
    jgen_close(&j);
    /* yajl ends an indented document with a newline; one newline ends it in any case */
    if (!o.b.len || o.b.p[o.b.len - 1] != '\n')
        outbuf_put(&o, "\n", 1);
    mga_status st = MGA_OK;
    if (o.oom)
        st = MGA_E_NOMEM;
    else if (fn(ud, o.b.p, o.b.len) != 0)
        st = MGA_E_WRITE;
    membuf_free(&rs->m, &o.b);
    return st;
}
