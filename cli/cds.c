/* SPDX-License-Identifier: MIT */
/* CDS Hooks 2.0 for `mgadvise serve`, without HTTP: the discovery document (prefetch
 * templates from the rule set's FHIR bindings, mga_ruleset_write_prefetch), a hook request
 * read once by the library (mga_profile_from_request: its prefetch into a profile where it
 * stands, the rest handed back and checked here with yajl_tree), and the result written as
 * cards with yajl_gen, the FHIR reader's warnings in the summary card. An item's card is
 * the rule's alone (mga_advice: the same in every result), so it is written once per rule
 * set, when the rule first fires, and copied into each response with a fresh uuid. A
 * client of the public header only. */
#define _DEFAULT_SOURCE /* getrandom */
#include "cds.h"
#include "cli.h"
#include "fhirfetch.h"
#include "jsonval.h"
#include "mgproduct.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Summaries stay under the 140 characters CDS Hooks allows: bytes bound characters. */
#define SUMMARY_MAX 139
/* Requests nest FHIR resources a few levels deep; the FHIR mapper allows 64 levels */
#define CDS_MAX_DEPTH 64 /* the library's limit for FHIR input */
#define CDS_E_DEEP 4039   /* E4039: FHIR input nested deeper than the limit */

typedef struct cds_doc {
    char *key, *title, *url;
} cds_doc;

/* An item's card as written once: compact JSON whose uuid is UUID_AT bytes in, zeros until
 * a response copies it; its summary and indicator for the decision log. */
typedef struct item_card {
    char *json;
    size_t len;
    const char *indicator;
    char summary[SUMMARY_MAX + 1];
} item_card;
typedef struct rule_slot {
    const char *id;
    size_t rule; /* its index in the rule set */
} rule_slot;
#define UUID_AT (sizeof "{\"uuid\":\"" - 1)

struct cds_service {
    const mga_ruleset *rs;
    cds_doc *docs;
    size_t ndocs;
    char *discovery;
    size_t discovery_len;
    bool needs_patient; /* the bindings read Patient: prefetch.patient is required */
    yajl_val templates; /* the prefetch templates: what a request lacks is fetched */
    fhirfetch_opts fetch;
    size_t nrules;
    rule_slot *by_id;            /* the rules in the order of their ids */
    _Atomic(item_card *) *items; /* by rule index: NULL until the rule first fires */
};

static const struct {
    const char *id, *hook, *title, *description;
} services[] = {
    {"mgadvise-patient-view", "patient-view", "Magnesium advice",
     "Cited magnesium advice for the patient whose chart is opened: what to avoid, the dose "
     "limits, the forms to prefer and when to see a doctor"},
    {"mgadvise-order-select", "order-select", "Magnesium order safety",
     "Safety cards for a draft order of a magnesium product (ATC A12CC, or a magnesium "
     "antacid or laxative) for this patient"},
    {"mgadvise-order-sign", "order-sign", "Magnesium order safety at signing",
     "Safety cards for a draft order of a magnesium product (ATC A12CC, or a magnesium "
     "antacid or laxative) for this patient"},
};
#define NSERVICES (sizeof services / sizeof services[0])

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static int sbuf_write(void *ud, const char *p, size_t n)
{
    sbuf *b = ud;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return -1;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static void str(yajl_gen g, const char *s)
{
    if (s)
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    else
        yajl_gen_null(g);
}

static void kv(yajl_gen g, const char *k, const char *v)
{
    str(g, k);
    str(g, v);
}

/* The generator's text, copied into a malloc'd string; NULL when out of memory. */
static char *gen_take(yajl_gen g, size_t *len)
{
    const unsigned char *buf;
    size_t n;
    char *s = NULL;
    if (yajl_gen_get_buf(g, &buf, &n) == yajl_gen_status_ok && (s = malloc(n + 1))) {
        memcpy(s, buf, n);
        s[n] = '\0';
        if (len)
            *len = n;
    }
    yajl_gen_free(g);
    return s;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *tstr(yajl_val v, const char *k)
{
    const char *path[] = {k, NULL};
    yajl_val s = yajl_tree_get(v, path, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}

static yajl_val tget(yajl_val v, const char *k, yajl_type t)
{
    const char *path[] = {k, NULL};
    return yajl_tree_get(v, path, t);
}

static bool read_docs(cds_service *s)
{
    sbuf b = {0};
    if (mga_ruleset_write_catalog(s->rs, sbuf_write, &b) != MGA_OK) {
        free(b.p);
        return false;
    }
    yajl_val root = yajl_tree_parse(b.p, NULL, 0);
    free(b.p);
    yajl_val src = root ? tget(root, "sources", yajl_t_array) : NULL;
    bool ok = src != NULL;
    if (ok && src->u.array.len && !(s->docs = calloc(src->u.array.len, sizeof *s->docs)))
        ok = false;
    for (size_t i = 0; ok && i < src->u.array.len; i++) {
        yajl_val e = src->u.array.values[i];
        cds_doc *d = &s->docs[s->ndocs++];
        d->key = dup_or_null(tstr(e, "source"));
        d->title = dup_or_null(tstr(e, "document"));
        d->url = dup_or_null(tstr(e, "url"));
        ok = d->key != NULL;
    }
    yajl_tree_free(root);
    return ok;
}

static bool make_discovery(cds_service *s)
{
    sbuf b = {0};
    if (mga_ruleset_write_prefetch(s->rs, sbuf_write, &b) != MGA_OK) {
        free(b.p);
        return false;
    }
    yajl_val prefetch = yajl_tree_parse(b.p, NULL, 0);
    free(b.p);
    if (!prefetch)
        return false;
    s->needs_patient = tget(prefetch, "patient", yajl_t_string) != NULL;
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        yajl_tree_free(prefetch);
        return false;
    }
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    str(g, "services");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < NSERVICES; i++) {
        yajl_gen_map_open(g);
        kv(g, "hook", services[i].hook);
        kv(g, "id", services[i].id);
        kv(g, "title", services[i].title);
        kv(g, "description", services[i].description);
        str(g, "prefetch");
        cli_json_gen(g, prefetch);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    s->templates = prefetch;
    s->discovery = gen_take(g, &s->discovery_len);
    return s->discovery != NULL;
}

static int by_id_cmp(const void *a, const void *b)
{
    return strcmp(((const rule_slot *)a)->id, ((const rule_slot *)b)->id);
}

/* The table of item cards, empty: one slot per rule, found by the rule's id. */
static bool make_items(cds_service *s)
{
    s->nrules = mga_ruleset_rule_count(s->rs);
    if (!s->nrules)
        return true;
    s->by_id = malloc(s->nrules * sizeof *s->by_id);
    s->items = malloc(s->nrules * sizeof *s->items);
    if (!s->by_id || !s->items) {
        free(s->by_id); /* cds_service_free must not read the slots */
        free(s->items);
        s->by_id = NULL;
        s->items = NULL;
        return false;
    }
    for (size_t i = 0; i < s->nrules; i++) {
        s->by_id[i] = (rule_slot){mga_ruleset_rule_id(s->rs, i), i};
        atomic_init(&s->items[i], NULL);
    }
    qsort(s->by_id, s->nrules, sizeof *s->by_id, by_id_cmp);
    return true;
}

cds_service *cds_service_new(const mga_ruleset *rs)
{
    cds_service *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->rs = rs;
    s->fetch = (fhirfetch_opts){false, 10};
    if (!read_docs(s) || !make_discovery(s) || !make_items(s)) {
        cds_service_free(s);
        return NULL;
    }
    return s;
}

void cds_service_free(cds_service *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ndocs; i++) {
        free(s->docs[i].key);
        free(s->docs[i].title);
        free(s->docs[i].url);
    }
    free(s->docs);
    free(s->discovery);
    yajl_tree_free(s->templates);
    for (size_t i = 0; s->items && i < s->nrules; i++) {
        item_card *k = atomic_load(&s->items[i]);
        if (k)
            free(k->json);
        free(k);
    }
    free(s->items);
    free(s->by_id);
    free(s);
}

void cds_service_set_fetch(cds_service *s, const fhirfetch_opts *o)
{
    s->fetch = *o;
}

const char *cds_discovery_ref(const cds_service *s, size_t *len)
{
    *len = s->discovery_len;
    return s->discovery;
}

static int service_index(const char *id)
{
    for (size_t i = 0; i < NSERVICES; i++)
        if (strcmp(services[i].id, id) == 0)
            return (int)i;
    return -1;
}

bool cds_service_known(const char *id)
{
    return service_index(id) >= 0;
}

char *cds_error_json(const char *kind, const char *message, size_t *len)
{
    /* a message may quote the request (a URL, a hook name, cut short): invalid UTF-8 and
     * controls are shown as escapes, so the JSON written is always valid */
    sbuf m = {0};
    if (mga_text_write(message, strlen(message), 0, sbuf_write, &m) != MGA_OK) {
        free(m.p);
        return NULL;
    }
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g) {
        free(m.p);
        return NULL;
    }
    yajl_gen_map_open(g);
    kv(g, "error", kind);
    kv(g, "message", m.p ? m.p : "");
    yajl_gen_map_close(g);
    free(m.p);
    return gen_take(g, len);
}

/* ---- Cards ------------------------------------------------------------------------------ */

static const cds_doc *doc_of(const cds_service *s, const char *key)
{
    for (size_t i = 0; key && i < s->ndocs; i++)
        if (strcmp(s->docs[i].key, key) == 0)
            return &s->docs[i];
    return NULL;
}

/* The random bytes of a response's card uuids, drawn with one getrandom call (at most
 * 256 bytes, which getrandom gives whole): 16 per card. */
#define UUID_POOL_CARDS 16
typedef struct uuid_pool {
    unsigned char r[16 * UUID_POOL_CARDS];
    size_t n, next; /* bytes drawn, bytes used */
} uuid_pool;

static void uuid4(uuid_pool *pool, char out[37])
{
    unsigned char r[16];
    if (pool->next + 16 > pool->n) { /* the first card, or past UUID_POOL_CARDS */
        ssize_t got = getrandom(pool->r, sizeof pool->r, 0);
        pool->n = got > 0 ? (size_t)got : 0;
        pool->next = 0;
    }
    if (pool->next + 16 <= pool->n) {
        memcpy(r, pool->r + pool->next, 16);
        pool->next += 16;
    } else {
        /* not secret, only unique: fall back to the clock and a counter */
        static _Atomic unsigned long counter;
        unsigned long c = ++counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(r, &ts, sizeof r < sizeof ts ? sizeof r : sizeof ts);
        memcpy(r + 8, &c, sizeof c < 8 ? sizeof c : 8);
    }
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 0xF];
    }
    out[o] = '\0';
}

/* s cut to fewer than 140 characters at a word, "..." marking the cut. */
static void summary_of(const char *s, char out[SUMMARY_MAX + 1])
{
    size_t n = strlen(s);
    if (n <= SUMMARY_MAX) {
        memcpy(out, s, n + 1);
        return;
    }
    size_t cut = SUMMARY_MAX - 3;
    while (cut > 0 && s[cut] != ' ')
        cut--;
    if (cut == 0) { /* no space: cut before a continuation byte */
        cut = SUMMARY_MAX - 3;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    memcpy(out, s, cut);
    memcpy(out + cut, "...", 4);
}

static const char *indicator(mga_severity sev)
{
    return sev == MGA_CRITICAL ? "critical" : sev == MGA_WARNING ? "warning" : "info";
}

/* Markdown of one item's cited passages: each quote as a block quote and its document. */
static void md_cites(sbuf *m, const cds_service *s, const mga_advice *a)
{
    for (size_t i = 0; i < a->ncites; i++) {
        const mga_cite *c = &a->cites[i];
        const cds_doc *d = doc_of(s, c->source);
        const char *title = d && d->title ? d->title : c->source;
        if (c->quote) {
            sbuf_write(m, "\n\n> ", 4);
            sbuf_write(m, c->quote, strlen(c->quote));
            sbuf_write(m, "\n>\n> — ", strlen("\n>\n> — "));
        } else {
            sbuf_write(m, "\n\nSource: ", 10);
        }
        if (d && d->url) {
            sbuf_write(m, "[", 1);
            sbuf_write(m, title, strlen(title));
            sbuf_write(m, "](", 2);
            sbuf_write(m, d->url, strlen(d->url));
            sbuf_write(m, ")", 1);
        } else {
            sbuf_write(m, title, strlen(title));
        }
        if (c->ref) {
            char r[32];
            int k = snprintf(r, sizeof r, ", reference %u", c->ref);
            sbuf_write(m, r, (size_t)k);
        }
    }
}

static void md(sbuf *m, const char *s)
{
    sbuf_write(m, s, strlen(s));
}

/* source {label, url, topic} and links of a card from the item's cites (NULL a: the rule
 * set itself). */
static void card_source(yajl_gen g, const cds_service *s, const mga_advice *a)
{
    const cds_doc *d = a && a->ncites ? doc_of(s, a->cites[0].source) : NULL;
    str(g, "source");
    yajl_gen_map_open(g);
    if (d) {
        kv(g, "label", d->title ? d->title : d->key);
        if (d->url)
            kv(g, "url", d->url);
    } else {
        char label[256];
        snprintf(label, sizeof label, "mgadvise: %s", mga_ruleset_name(s->rs));
        kv(g, "label", label);
    }
    if (a) {
        str(g, "topic");
        yajl_gen_map_open(g);
        kv(g, "system", "urn:mgadvise:rule");
        kv(g, "code", a->rule);
        kv(g, "display", mga_kind_str(a->kind));
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
    if (!a || !a->ncites)
        return;
    bool open = false;
    for (size_t i = 0; i < a->ncites; i++) {
        const cds_doc *c = doc_of(s, a->cites[i].source);
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(a->cites[j].source, a->cites[i].source) == 0;
        if (!c || !c->url || dup)
            continue;
        if (!open) {
            str(g, "links");
            yajl_gen_array_open(g);
            open = true;
        }
        yajl_gen_map_open(g);
        kv(g, "label", c->title ? c->title : c->key);
        kv(g, "url", c->url);
        kv(g, "type", "absolute");
        yajl_gen_map_close(g);
    }
    if (open)
        yajl_gen_array_close(g);
}

/* What the cards of one response share: the response written so far, the uuids' random
 * bytes, and the trace that lists the cards for the decision log (NULL: none). */
typedef struct cards {
    sbuf out;
    uuid_pool pool;
    cds_trace *trace;
    size_t cap; /* of trace->cards */
} cards;

static void trace_card(cards *c, const char *id, const char *ind, const char *sum)
{
    cds_trace *t = c->trace;
    if (!t)
        return;
    if (t->ncards == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        cds_card *p = realloc(t->cards, cap * sizeof *p);
        if (!p)
            return; /* out of memory: the log lists fewer cards */
        t->cards = p;
        c->cap = cap;
    }
    cds_card *k = &t->cards[t->ncards];
    memcpy(k->uuid, id, sizeof k->uuid);
    k->indicator = ind;
    if ((k->summary = strdup(sum)))
        t->ncards++;
}

/* A card opened in g, its first members written: uuid, summary, indicator, detail. */
static void card_head(yajl_gen g, const char *id, const char *sum, const char *ind,
                      const sbuf *detail)
{
    yajl_gen_map_open(g);
    kv(g, "uuid", id);
    kv(g, "summary", sum);
    kv(g, "indicator", ind);
    kv(g, "detail", detail->p ? detail->p : "");
}

/* The card g holds (NULL: out of memory), appended to the response. */
static void card_add(cards *c, yajl_gen g)
{
    const unsigned char *buf;
    size_t n;
    if (!g || yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok)
        c->out.oom = true;
    else
        sbuf_write(&c->out, (const char *)buf, n);
}

/* s as markdown text: ASCII punctuation markdown gives a meaning to is escaped with a
 * backslash, and a control character becomes a space, so that the data shows as written. */
static void md_text(sbuf *m, const char *s)
{
    static const char special[] = "\\`*_{}[]()<>#+-.!|~&";
    const char *run = s;
    for (const char *c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u >= 0x20 && u != 0x7F && !strchr(special, u))
            continue;
        sbuf_write(m, run, (size_t)(c - run));
        run = c + 1;
        if (u < 0x20 || u == 0x7F) {
            sbuf_write(m, " ", 1);
        } else {
            char e[2] = {'\\', (char)u};
            sbuf_write(m, e, 2);
        }
    }
    sbuf_write(m, run, strlen(run));
}

/* At most this many of the FHIR reader's warnings are listed in the summary card. */
#define DATA_NOTES_MAX 5

/* A warning's message without the JSON path it begins with. */
static const char *note_text(const mga_diag *w)
{
    const char *msg = w->message;
    size_t pl = w->path ? strlen(w->path) : 0;
    if (pl && strncmp(msg, w->path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0)
        msg += pl + 2;
    return msg;
}

static int note_cmp(const void *a, const void *b)
{
    return strcmp(note_text(*(const mga_diag *const *)a), note_text(*(const mga_diag *const *)b));
}

/* The FHIR reader's warnings (what the rules did not use of the prefetch, a birth date
 * that gives no age) as a list under their heading, in the order of their text, so that
 * the order of the prefetch keys (given, or fetched after the given ones) does not show. */
static void md_data_notes(sbuf *m, const mga_diags *d)
{
    size_t n = 0;
    for (size_t i = 0; d && i < mga_diags_count(d); i++)
        n += mga_diags_ref(d, i)->kind == MGA_DIAG_WARNING;
    if (n == 0)
        return;
    const mga_diag **w = malloc(n * sizeof *w);
    if (!w) {
        m->oom = true;
        return;
    }
    n = 0;
    for (size_t i = 0; i < mga_diags_count(d); i++)
        if (mga_diags_ref(d, i)->kind == MGA_DIAG_WARNING)
            w[n++] = mga_diags_ref(d, i);
    qsort(w, n, sizeof *w, note_cmp);
    md(m, "\n\n### About the data (not used for this advice)\n");
    for (size_t i = 0; i < n && i < DATA_NOTES_MAX; i++) {
        md(m, "\n- ");
        md_text(m, note_text(w[i]));
    }
    if (n > DATA_NOTES_MAX) {
        char more[64];
        int k = snprintf(more, sizeof more, "\n- and %zu more", n - DATA_NOTES_MAX);
        sbuf_write(m, more, (size_t)k);
    }
    free(w);
}

static void fmt_mg(sbuf *m, const char *what, bool has, double mg)
{
    if (!has)
        return;
    char b[64];
    int k = snprintf(b, sizeof b, "%s %.15g mg a day", what, mg);
    if (m->len)
        md(m, "; ");
    sbuf_write(m, b, (size_t)k);
}

/* The summary card: the decision, the dose, the forms, the referral; the background
 * items and the FHIR reader's warnings (d) folded into its detail. */
static void summary_card(cards *c, const cds_service *s, const mga_result *r, bool background,
                         const mga_diags *d)
{
    const mga_summary *sm = mga_result_summary_ref(r);
    mga_severity top = MGA_INFO;
    size_t n = mga_result_advice_count(r);
    for (size_t i = 0; i < n; i++)
        if (mga_result_advice_ref(r, i)->severity > top)
            top = mga_result_advice_ref(r, i)->severity;
    char summary[256];
    const char *head = sm->decision == MGA_DECISION_DO_NOT_TAKE ? "Magnesium supplements: do not take"
                       : sm->decision == MGA_DECISION_ASK_DOCTOR_FIRST
                           ? "Magnesium supplements: only after a doctor agrees"
                           : "Magnesium supplements: within the dose limits";
    if (sm->has_max && sm->decision == MGA_DECISION_WITHIN_LIMITS)
        snprintf(summary, sizeof summary, "%s (at most %.15g mg a day)%s%s", head, sm->max_mg,
                 sm->refer ? "; see a doctor: " : "", sm->refer ? sm->refer : "");
    else
        snprintf(summary, sizeof summary, "%s%s%s", head, sm->refer ? "; see a doctor: " : "",
                 sm->refer ? sm->refer : "");
    sbuf m = {0};
    md(&m, "**Decision:** ");
    md(&m, mga_decision_str(sm->decision));
    for (size_t i = 0; i < sm->ndecided_by; i++) {
        md(&m, i ? ", " : " (decided by ");
        md(&m, sm->decided_by[i]);
        if (i + 1 == sm->ndecided_by)
            md(&m, ")");
    }
    sbuf dose = {0};
    fmt_mg(&dose, "start", sm->has_start, sm->start_mg);
    fmt_mg(&dose, "target", sm->has_target, sm->target_mg);
    fmt_mg(&dose, "at most", sm->has_max, sm->max_mg);
    if (dose.len) {
        md(&m, "\n\n**Dose:** ");
        md(&m, dose.p);
    }
    free(dose.p);
    for (size_t i = 0; i < sm->nprefer; i++) {
        md(&m, i ? ", " : "\n\n**Preferred forms:** ");
        md(&m, sm->prefer[i]);
    }
    for (size_t i = 0; i < sm->nreasons; i++) {
        md(&m, i ? ", " : "\n\n**See a doctor:** ");
        md(&m, sm->reasons[i].urgency);
        md(&m, " (");
        md(&m, sm->reasons[i].rule);
        md(&m, ")");
    }
    bool first = true;
    for (size_t i = 0; background && i < n; i++) {
        const mga_advice *a = mga_result_advice_ref(r, i);
        if (a->group != MGA_GROUP_BACKGROUND)
            continue;
        if (first)
            md(&m, "\n\n### Background");
        first = false;
        md(&m, "\n\n**");
        md(&m, a->text);
        md(&m, "**");
        md_cites(&m, s, a);
    }
    md_data_notes(&m, d);
    const char *disc = mga_result_disclaimer(r);
    if (disc) {
        md(&m, "\n\n*");
        md(&m, disc);
        md(&m, "*");
    }
    char id[37], sum[SUMMARY_MAX + 1];
    uuid4(&c->pool, id);
    summary_of(summary, sum);
    trace_card(c, id, indicator(top), sum);
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g) {
        card_head(g, id, sum, indicator(top), &m);
        card_source(g, s, NULL);
        yajl_gen_map_close(g);
    }
    c->out.oom |= m.oom;
    free(m.p);
    card_add(c, g);
    if (g)
        yajl_gen_free(g);
}

/* An item's card written: summary, indicator, detail with the passages, source and links;
 * the uuid zeros. NULL when out of memory. */
static item_card *item_write(const cds_service *s, const mga_advice *a)
{
    item_card *k = calloc(1, sizeof *k);
    yajl_gen g = k ? yajl_gen_alloc(NULL) : NULL;
    if (!g) {
        free(k);
        return NULL;
    }
    sbuf m = {0};
    md(&m, a->text);
    if (a->evidence) {
        md(&m, "\n\n**Evidence:** ");
        md(&m, a->evidence);
    }
    if (a->refer) {
        md(&m, "\n\n**See a doctor:** ");
        md(&m, a->refer);
    }
    md_cites(&m, s, a);
    summary_of(a->text, k->summary);
    k->indicator = indicator(a->severity);
    card_head(g, "00000000-0000-0000-0000-000000000000", k->summary, k->indicator, &m);
    card_source(g, s, a);
    yajl_gen_map_close(g);
    k->json = m.oom ? NULL : gen_take(g, &k->len);
    if (m.oom)
        yajl_gen_free(g);
    free(m.p);
    if (!k->json) {
        free(k);
        return NULL;
    }
    return k;
}

static void item_free(item_card *k)
{
    if (k)
        free(k->json);
    free(k);
}

/* The item's card, written the first time the rule fires (racing threads: one keeps its
 * own, the others free theirs). *own: the card is not kept (a rule the rule set does not
 * list), the caller frees it. NULL when out of memory. */
static const item_card *item_of(const cds_service *s, const mga_advice *a, item_card **own)
{
    rule_slot key = {a->rule, 0};
    const rule_slot *r =
        s->nrules ? bsearch(&key, s->by_id, s->nrules, sizeof *s->by_id, by_id_cmp) : NULL;
    *own = NULL;
    if (!r)
        return *own = item_write(s, a);
    item_card *k = atomic_load(&s->items[r->rule]);
    if (k)
        return k;
    item_card *mine = item_write(s, a);
    if (!mine)
        return NULL;
    if (atomic_compare_exchange_strong(&s->items[r->rule], &k, mine))
        return mine;
    item_free(mine); /* another thread's came first: k */
    return k;
}

static void item_card_add(cards *c, const cds_service *s, const mga_advice *a)
{
    item_card *own;
    const item_card *k = item_of(s, a, &own);
    if (!k) {
        c->out.oom = true;
        return;
    }
    char id[37];
    uuid4(&c->pool, id);
    trace_card(c, id, k->indicator, k->summary);
    sbuf_write(&c->out, ",", 1);
    size_t at = c->out.len + UUID_AT;
    sbuf_write(&c->out, k->json, k->len);
    if (!c->out.oom)
        memcpy(c->out.p + at, id, 36);
    item_free(own);
}

/* {"cards":[...]}: the summary card, then one card per act item (only warning and
 * critical ones when safety_only, for an order); each card listed in t (NULL: none). */
static char *cards_json(const cds_service *s, const mga_result *r, bool safety_only,
                        const mga_diags *d, cds_trace *t, size_t *len)
{
    cards c = {.trace = t};
    sbuf_write(&c.out, "{\"cards\":[", 10);
    summary_card(&c, s, r, !safety_only, d);
    for (size_t i = 0; i < mga_result_advice_count(r) && !c.out.oom; i++) {
        const mga_advice *a = mga_result_advice_ref(r, i);
        if (a->group == MGA_GROUP_ACT && (!safety_only || a->severity >= MGA_WARNING))
            item_card_add(&c, s, a);
    }
    sbuf_write(&c.out, "]}", 2);
    if (c.out.oom) {
        free(c.out.p);
        return NULL;
    }
    if (len)
        *len = c.out.len;
    return c.out.p;
}

/* ---- Requests --------------------------------------------------------------------------- */

static int fail(int status, const char *kind, char **out, size_t *outlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(int status, const char *kind, char **out, size_t *outlen, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *out = cds_error_json(kind, msg, outlen);
    return *out ? status : 500;
}

/* Whether one of the codings of the CodeableConcept cc names a magnesium product. */
static bool cc_magnesium(yajl_val cc)
{
    yajl_val coding = cc ? tget(cc, "coding", yajl_t_array) : NULL;
    for (size_t i = 0; coding && i < coding->u.array.len; i++)
        if (mg_product_coding(tstr(coding->u.array.values[i], "system"),
                              tstr(coding->u.array.values[i], "code")))
            return true;
    return false;
}

/* A MedicationRequest for a magnesium product (cli/mgproduct.c): by its
 * medicationCodeableConcept, or by the code of the contained Medication its
 * medicationReference names ("#id"). */
static bool is_magnesium(yajl_val mr)
{
    if (cc_magnesium(tget(mr, "medicationCodeableConcept", yajl_t_object)))
        return true;
    yajl_val ref = tget(mr, "medicationReference", yajl_t_object);
    const char *r = ref ? tstr(ref, "reference") : NULL;
    yajl_val contained = tget(mr, "contained", yajl_t_array);
    for (size_t i = 0; r && r[0] == '#' && contained && i < contained->u.array.len; i++) {
        yajl_val m = contained->u.array.values[i];
        const char *rt = tstr(m, "resourceType"), *mid = tstr(m, "id");
        if (rt && mid && strcmp(rt, "Medication") == 0 && strcmp(mid, r + 1) == 0)
            return cc_magnesium(tget(m, "code", yajl_t_object));
    }
    return false;
}

/* True when a draft order (a Bundle of resources, or one resource) orders magnesium. */
static bool orders_magnesium(yajl_val orders)
{
    const char *rt = tstr(orders, "resourceType");
    if (rt && strcmp(rt, "MedicationRequest") == 0)
        return is_magnesium(orders);
    yajl_val entry = tget(orders, "entry", yajl_t_array);
    for (size_t i = 0; entry && i < entry->u.array.len; i++) {
        yajl_val res = tget(entry->u.array.values[i], "resource", yajl_t_object);
        const char *t = res ? tstr(res, "resourceType") : NULL;
        if (t && strcmp(t, "MedicationRequest") == 0 && is_magnesium(res))
            return true;
    }
    return false;
}

void cds_trace_clear(cds_trace *t)
{
    free(t->hook);
    free(t->hook_instance);
    free(t->patient_id);
    for (size_t i = 0; i < t->nrules; i++)
        free(t->rules[i]);
    free(t->rules);
    for (size_t i = 0; i < t->ncards; i++)
        free(t->cards[i].summary);
    free(t->cards);
    memset(t, 0, sizeof *t);
}

static void trace_rules(cds_trace *t, const mga_result *r)
{
    size_t n = mga_result_advice_count(r);
    if (!t || !n || !(t->rules = calloc(n, sizeof *t->rules)))
        return;
    for (size_t i = 0; i < n; i++)
        if ((t->rules[t->nrules] = dup_or_null(mga_result_advice_ref(r, i)->rule)))
            t->nrules++;
}

/* Today's date (UTC) in today[11]; false when the clock cannot be read. */
static bool today_utc(char *today, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    return gmtime_r(&now, &tm) && strftime(today, cap, "%Y-%m-%d", &tm) != 0;
}

/* The prefetch read into a profile (st, p and d: what the library's reading gave; they are
 * freed here), evaluated and written as cards. */
static int evaluate(const cds_service *s, mga_status st, mga_profile *p, mga_diags *d,
                    bool safety_only, cds_trace *t, char **out, size_t *outlen)
{
    mga_result *r = NULL;
    int status = 200;
    if (st == MGA_E_PROFILE) {
        const mga_diag *e = NULL;
        for (size_t i = 0; i < mga_diags_count(d) && !e; i++)
            if (mga_diags_ref(d, i)->kind == MGA_DIAG_ERROR)
                e = mga_diags_ref(d, i);
        const char *where = "$.prefetch";
        const char *msg = e ? e->message : "the resources give no profile";
        if (e && e->path) {
            size_t pl = strlen(e->path);
            where = e->path; /* the request's own JSON path */
            if (strncmp(msg, e->path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0)
                msg += pl + 2; /* the message begins with it: said once */
        }
        status = fail(422, "unprocessable_prefetch", out, outlen, "%.320s: %s", where, msg);
    } else if (st == MGA_OK && (st = mga_evaluate(s->rs, p, &r)) == MGA_OK) {
        trace_rules(t, r);
        *out = cards_json(s, r, safety_only, d, t, outlen);
        if (!*out)
            status = fail(500, "internal", out, outlen, "out of memory");
    }
    if (st != MGA_OK && st != MGA_E_PROFILE)
        status = fail(500, "internal", out, outlen, "%s", mga_status_str(st));
    mga_result_free(r);
    mga_profile_free(p);
    mga_diags_free(d);
    return status;
}

/* When the request lacks a member of the prefetch templates and gives a fhirServer, the
 * missing members fetched (cli/fhirfetch.c): *prefetch then points at the complete prefetch,
 * owned by *fetched. 0 when there is nothing to fetch or it was fetched; otherwise the
 * status of the error in *out. */
static int fetch_missing(const cds_service *s, const char *body, yajl_val root,
                         yajl_val *prefetch, yajl_val *fetched, char **req, size_t *reqlen,
                         char **out, size_t *outlen)
{
    bool lacks = false;
    for (size_t i = 0; s->templates && i < s->templates->u.object.len; i++) {
        const char *path[] = {s->templates->u.object.keys[i], NULL};
        lacks |= !*prefetch || !yajl_tree_get(*prefetch, path, yajl_t_any);
    }
    if (!lacks || !tget(root, "fhirServer", yajl_t_any))
        return 0;
    /* the members given are copied into the fetched prefetch: the request read whole */
    char why[512], *text = NULL;
    size_t len = 0;
    yajl_val whole = yajl_tree_parse(body, why, sizeof why);
    if (!whole)
        return fail(500, "internal", out, outlen, "the request cannot be read again");
    int st = fhirfetch_fill(&s->fetch, s->templates, whole,
                            tget(whole, "prefetch", yajl_t_object), &text, &len, why,
                            sizeof why);
    yajl_tree_free(whole);
    if (st)
        return fail(st, st == 400 ? "bad_request" : "fhir_fetch_failed", out, outlen, "%s", why);
    char err[256];
    *fetched = yajl_tree_parse(text, err, sizeof err);
    /* what the library reads: a request holding only the complete prefetch */
    static const char head[] = "{\"prefetch\":";
    *req = *fetched ? malloc(sizeof head + len + 1) : NULL;
    if (*req) {
        memcpy(*req, head, sizeof head - 1);
        memcpy(*req + sizeof head - 1, text, len);
        memcpy(*req + sizeof head - 1 + len, "}", 2);
        *reqlen = sizeof head + len;
    }
    free(text);
    if (!*fetched)
        return fail(500, "internal", out, outlen, "the fetched prefetch cannot be read again");
    if (!*req)
        return fail(500, "internal", out, outlen, "out of memory");
    *prefetch = *fetched;
    return 0;
}

int cds_handle(const cds_service *s, const char *id, const char *body, size_t len,
               cds_trace *trace, char **out, size_t *outlen)
{
    *out = NULL;
    int si = service_index(id);
    if (si < 0)
        return fail(404, "unknown_service", out, outlen, "no CDS service '%.200s'", id);
    if (len == 0 || memchr(body, '\0', len))
        return fail(400, "bad_json", out, outlen, "the body is %s",
                    len ? "not JSON text (a NUL byte)" : "empty");
    char today[16];
    if (!today_utc(today, sizeof today))
        return fail(500, "internal", out, outlen, "cannot read the clock");
    /* read once, by the library: the profile from the prefetch, and the rest of the request
     * (its members, the prefetch's keys with their values' outline) for the checks here */
    sbuf rb = {0};
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    mga_status mst = mga_profile_from_request(s->rs, "prefetch", body, len, today, &p,
                                              sbuf_write, &rb, &d);
    yajl_val root = NULL;
    char err[256];
    if (rb.len && !rb.oom)
        root = yajl_tree_parse(rb.p, err, sizeof err);
    if (!root) {
        const mga_diag *e = NULL;
        for (size_t i = 0; i < mga_diags_count(d) && !e; i++)
            if (mga_diags_ref(d, i)->kind == MGA_DIAG_ERROR)
                e = mga_diags_ref(d, i);
        int status;
        if (rb.len || rb.oom || (mst != MGA_E_PROFILE && mst != MGA_OK) || !e)
            status = fail(500, "internal", out, outlen, "the request cannot be read: %s",
                          rb.oom ? "out of memory" : mga_status_str(mst));
        else if (e->code == CDS_E_DEEP)
            status = fail(400, "bad_json", out, outlen,
                          "the body is nested deeper than %d levels", CDS_MAX_DEPTH);
        else
            status = fail(400, "bad_json", out, outlen, "the body is not JSON: %s",
                          e->message);
        free(rb.p);
        mga_profile_free(p);
        mga_diags_free(d);
        return status;
    }
    free(rb.p);
    int status;
    yajl_val fetched = NULL;
    char *freq = NULL; /* the request made of the fetched prefetch */
    size_t freqlen = 0;
    const char *hook = tstr(root, "hook");
    const char *inst = tstr(root, "hookInstance");
    yajl_val ctx = tget(root, "context", yajl_t_object);
    yajl_val prefetch = tget(root, "prefetch", yajl_t_object);
    /* present but of the wrong type: a malformed request (400), not a missing one (412);
     * null stands for "not prefetched" (CDS Hooks) */
    yajl_val pre_any = tget(root, "prefetch", yajl_t_any);
    yajl_val pat_any = prefetch ? tget(prefetch, "patient", yajl_t_any) : NULL;
    bool order = strcmp(services[si].hook, "patient-view") != 0;
    if (trace) {
        trace->hook = dup_or_null(hook);
        trace->hook_instance = dup_or_null(inst);
        trace->patient_id = dup_or_null(ctx ? tstr(ctx, "patientId") : NULL);
    }
    if (!YAJL_IS_OBJECT(root))
        status = fail(400, "bad_request", out, outlen, "the body is not a JSON object");
    else if (!hook)
        status = fail(400, "bad_request", out, outlen, "'hook' is missing or not a string");
    else if (strcmp(hook, services[si].hook) != 0)
        status = fail(400, "bad_request", out, outlen,
                      "'hook' is '%.100s', but service '%s' answers '%s'", hook, id,
                      services[si].hook);
    else if (!inst)
        status = fail(400, "bad_request", out, outlen, "'hookInstance' is missing or not a string");
    else if (!ctx)
        status = fail(400, "bad_request", out, outlen, "'context' is missing or not an object");
    else if (!tstr(ctx, "patientId"))
        status = fail(400, "bad_request", out, outlen,
                      "'context.patientId' is missing or not a string");
    else if (pre_any && !YAJL_IS_NULL(pre_any) && !prefetch)
        status = fail(400, "bad_request", out, outlen, "'prefetch' is not an object");
    else if (pat_any && !YAJL_IS_NULL(pat_any) && !YAJL_IS_OBJECT(pat_any))
        status = fail(400, "bad_request", out, outlen,
                      "'prefetch.patient' is not a Patient resource (an object) or null");
    else if (order && !tget(ctx, "draftOrders", yajl_t_object))
        status = fail(400, "bad_request", out, outlen,
                      "'context.draftOrders' is missing or not an object (a Bundle)");
    else if (order && !orders_magnesium(tget(ctx, "draftOrders", yajl_t_object))) {
        *out = strdup("{\"cards\":[]}"); /* no magnesium product ordered: nothing to say */
        *outlen = *out ? strlen(*out) : 0;
        status = *out ? 200 : 500;
    } else if ((status = fetch_missing(s, body, root, &prefetch, &fetched, &freq, &freqlen,
                                       out, outlen)) != 0) {
        /* the FHIR server could not give what the request lacks: *out says why */
    } else if (!prefetch)
        status = fail(412, "prefetch_missing", out, outlen,
                      "'prefetch' is missing and the request gives no 'fhirServer' to fetch "
                      "it from");
    else if (s->needs_patient && !tget(prefetch, "patient", yajl_t_object))
        status = fail(412, "prefetch_missing", out, outlen,
                      pat_any ? "'prefetch.patient' (Patient/{{context.patientId}}) is null: "
                                "the client had no Patient to send, and the advice needs one"
                              : "'prefetch.patient' (Patient/{{context.patientId}}) is missing "
                                "and the request gives no 'fhirServer' to fetch it from");
    else if (freq) {
        /* the prefetch completed from the FHIR server: read again, as a whole */
        mga_profile_free(p);
        mga_diags_free(d);
        p = NULL;
        d = NULL;
        mst = mga_profile_from_prefetch(s->rs, "prefetch", freq, freqlen, today, &p, &d);
        status = evaluate(s, mst, p, d, order, trace, out, outlen);
        p = NULL;
        d = NULL;
    } else {
        status = evaluate(s, mst, p, d, order, trace, out, outlen);
        p = NULL;
        d = NULL;
    }
    mga_profile_free(p);
    mga_diags_free(d);
    free(freq);
    yajl_tree_free(fetched);
    yajl_tree_free(root);
    return status;
}

/* ---- Feedback --------------------------------------------------------------------------- */

void cds_feedback_free(cds_feedback *fb, size_t n)
{
    for (size_t i = 0; fb && i < n; i++) {
        free(fb[i].card);
        free(fb[i].outcome);
        free(fb[i].timestamp);
        free(fb[i].reason_system);
        free(fb[i].reason_code);
        free(fb[i].reason_display);
        free(fb[i].comment);
    }
    free(fb);
}

/* Member k of object v: absent (or null) is NULL; present of another type than t sets
 * *wrong. */
static yajl_val opt(yajl_val v, const char *k, yajl_type t, bool *wrong)
{
    yajl_val m = tget(v, k, yajl_t_any);
    if (!m || YAJL_IS_NULL(m))
        return NULL;
    if (!tget(v, k, t)) {
        *wrong = true;
        return NULL;
    }
    return m;
}

/* Entry e (at $.feedback[i]) read into f: NULL, or what is wrong with it. */
static const char *feedback_entry(yajl_val e, cds_feedback *f, bool *oom)
{
    if (!YAJL_IS_OBJECT(e))
        return "is not an object";
    bool wrong = false;
    const char *card = tstr(e, "card"), *outcome = tstr(e, "outcome");
    const char *ts = tstr(e, "outcomeTimestamp");
    if (!card || !card[0])
        return "has no 'card' (the uuid of the card acted on)";
    if (!outcome || (strcmp(outcome, "accepted") != 0 && strcmp(outcome, "overridden") != 0))
        return "has no 'outcome' 'accepted' or 'overridden'";
    if (!ts || !ts[0])
        return "has no 'outcomeTimestamp'";
    yajl_val acc = opt(e, "acceptedSuggestions", yajl_t_array, &wrong);
    if (wrong)
        return "has an 'acceptedSuggestions' that is not an array";
    for (size_t i = 0; acc && i < acc->u.array.len; i++)
        if (!YAJL_IS_OBJECT(acc->u.array.values[i]) || !tstr(acc->u.array.values[i], "id"))
            return "has an accepted suggestion without an 'id'";
    yajl_val why = opt(e, "overrideReason", yajl_t_object, &wrong);
    yajl_val reason = why ? opt(why, "reason", yajl_t_object, &wrong) : NULL;
    yajl_val comment = why ? opt(why, "userComment", yajl_t_string, &wrong) : NULL;
    if (wrong)
        return "has an 'overrideReason' that is not an object with a 'reason' Coding and a "
               "'userComment' string";
    f->accepted = acc ? acc->u.array.len : 0;
    f->card = strdup(card);
    f->outcome = strdup(outcome);
    f->timestamp = strdup(ts);
    const char *rs = reason ? tstr(reason, "system") : NULL;
    const char *rc = reason ? tstr(reason, "code") : NULL;
    const char *rd = reason ? tstr(reason, "display") : NULL;
    const char *uc = comment ? tstr(why, "userComment") : NULL;
    f->reason_system = dup_or_null(rs);
    f->reason_code = dup_or_null(rc);
    f->reason_display = dup_or_null(rd);
    f->comment = dup_or_null(uc);
    *oom = !f->card || !f->outcome || !f->timestamp || (rs && !f->reason_system) ||
           (rc && !f->reason_code) || (rd && !f->reason_display) || (uc && !f->comment);
    return NULL;
}

int cds_feedback_read(const char *body, size_t len, cds_feedback **fb, size_t *n, char **out,
                      size_t *outlen)
{
    *fb = NULL;
    *n = 0;
    *out = NULL;
    if (len == 0 || memchr(body, '\0', len))
        return fail(400, "bad_json", out, outlen, "the body is %s",
                    len ? "not JSON text (a NUL byte)" : "empty");
    /* yajl_tree recurses: deeper text is refused before it is parsed */
    if (cli_json_depth(body, len, CDS_MAX_DEPTH) > CDS_MAX_DEPTH)
        return fail(400, "bad_json", out, outlen, "the body is nested deeper than %d levels",
                    CDS_MAX_DEPTH);
    char err[256];
    yajl_val root = yajl_tree_parse(body, err, sizeof err);
    if (!root)
        return fail(400, "bad_json", out, outlen, "the body is not JSON: %s", err);
    yajl_val list = tget(root, "feedback", yajl_t_array);
    int status = 200;
    if (!list || list->u.array.len == 0)
        status = fail(400, "bad_request", out, outlen,
                      "a feedback body is a JSON object with a 'feedback' array of one or more "
                      "entries");
    else if (!(*fb = calloc(list->u.array.len, sizeof **fb)))
        status = fail(500, "internal", out, outlen, "out of memory");
    for (size_t i = 0; status == 200 && i < list->u.array.len; i++) {
        bool oom = false;
        const char *why = feedback_entry(list->u.array.values[i], &(*fb)[i], &oom);
        *n = i + 1;
        if (why)
            status = fail(400, "bad_request", out, outlen, "$.feedback[%zu] %s", i, why);
        else if (oom)
            status = fail(500, "internal", out, outlen, "out of memory");
    }
    yajl_tree_free(root);
    if (status != 200) {
        cds_feedback_free(*fb, *n);
        *fb = NULL;
        *n = 0;
    }
    return status;
}
