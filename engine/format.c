/* SPDX-License-Identifier: MIT */
/* fmt: lays out the token stream of a rule file (lex_tokens) by a table of layout roles per
 * keyword; comments and blank lines come from the gaps between tokens. A new declaration
 * or clause keyword needs one row in `layouts`, not a new printer. */
#include "format.h"
#include "parse.h"
#include "parser.h"

#include <string.h>

/* ---- the layout table ---- */

enum kw_role {
    R_WORD,      /* inside a declaration; starts a line only where the source breaks one */
    R_TOP_LINE,  /* a declaration without 'end' (column 0) */
    R_TOP_BLOCK, /* a declaration closed by 'end' (column 0) */
    R_END        /* closes a block (column 0) */
};

typedef struct layout {
    const char *kw;
    uint8_t role;
    bool fields;         /* R_TOP_*: a field name ('age:') starts a clause line */
    const char *clauses; /* R_TOP_*: keywords that start their own line, indented */
} layout;

/* Every keyword of the language (parse.c) has a row. A keyword missing here is laid out by
 * a guess: at the start of a line it opens a declaration after a one-line declaration,
 * and a clause inside a block. */
static const layout layouts[] = {
    {"ruleset", R_TOP_LINE, false, ""},
    {"disclaimer", R_TOP_LINE, false, ""},
    {"source", R_TOP_BLOCK, false, " file author publisher url ref "},
    {"dimension", R_TOP_BLOCK, false, " unit "},
    {"forms", R_TOP_LINE, false, ""},
    {"profile", R_TOP_BLOCK, true, ""},
    {"fhir", R_TOP_BLOCK, true, ""},
    {"fact", R_TOP_LINE, false, ""},
    {"rule", R_TOP_BLOCK, false, " when then dose severity say cite evidence presumes "},
    {"precedence", R_TOP_LINE, false, ""},
    {"invariant", R_TOP_BLOCK, false, " when expect "},
    {"test", R_TOP_BLOCK, false, " given expect "},
    {"end", R_END, false, ""},
    /* clause keywords (listed above) and the words inside clauses */
    {"file", R_WORD, false, ""},     {"author", R_WORD, false, ""},
    {"publisher", R_WORD, false, ""}, {"url", R_WORD, false, ""},
    {"ref", R_WORD, false, ""},      {"unit", R_WORD, false, ""},
    {"base", R_WORD, false, ""},     {"when", R_WORD, false, ""},
    {"then", R_WORD, false, ""},     {"dose", R_WORD, false, ""},
    {"severity", R_WORD, false, ""}, {"say", R_WORD, false, ""},
    {"cite", R_WORD, false, ""},     {"evidence", R_WORD, false, ""},
    {"quote", R_WORD, false, ""},    {"unmarked", R_WORD, false, ""},
    {"text", R_WORD, false, ""},
    {"number", R_WORD, false, ""},   {"range", R_WORD, false, ""},
    {"boolean", R_WORD, false, ""},  {"one", R_WORD, false, ""},
    {"of", R_WORD, false, ""},       {"set", R_WORD, false, ""},
    {"avoid", R_WORD, false, ""},    {"prefer", R_WORD, false, ""},
    {"supplements", R_WORD, false, ""}, {"refer", R_WORD, false, ""},
    {"inform", R_WORD, false, ""},   {"warn", R_WORD, false, ""},
    {"disagree", R_WORD, false, ""}, {"start", R_WORD, false, ""},
    {"target", R_WORD, false, ""},   {"max", R_WORD, false, ""},
    {"and", R_WORD, false, ""},      {"or", R_WORD, false, ""},
    {"not", R_WORD, false, ""},      {"has", R_WORD, false, ""},
    {"any", R_WORD, false, ""},      {"all", R_WORD, false, ""},
    {"none", R_WORD, false, ""},     {"is", R_WORD, false, ""},
    {"known", R_WORD, false, ""},    {"missing", R_WORD, false, ""},
    {"between", R_WORD, false, ""},  {"true", R_WORD, false, ""},
    {"false", R_WORD, false, ""},    {"expect", R_WORD, false, ""},
    {"given", R_WORD, false, ""},    {"no", R_WORD, false, ""},
    {"withhold", R_WORD, false, ""}, {"presumes", R_WORD, false, ""},
    {"from", R_WORD, false, ""},
};

#define INDENT 2 /* one level: clauses inside a declaration, continuations of a clause */

static const layout *find_layout(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (strlen(layouts[i].kw) == n && memcmp(layouts[i].kw, s, n) == 0)
            return &layouts[i];
    return NULL;
}

const char *format_layout_keyword(size_t i)
{
    return i < sizeof layouts / sizeof layouts[0] ? layouts[i].kw : NULL;
}

/* Whether the word s[0..n) is in the space-delimited list (which starts and ends with ' '). */
static bool in_list(const char *list, const char *s, size_t n)
{
    for (const char *p = strstr(list, " "); p && p[1]; p = strchr(p + 1, ' ')) {
        const char *w = p + 1;
        const char *e = strchr(w, ' ');
        if (e && (size_t)(e - w) == n && memcmp(w, s, n) == 0)
            return true;
    }
    return false;
}

/* ---- tokens and comments ---- */

typedef struct tok {
    int kind;
    uint32_t off, len;
} tok;

typedef struct span {
    uint32_t off, len;
} span;

typedef struct scan {
    arena *a;
    vec toks; /* tok */
    bool oom;
} scan;

static bool on_token(void *ud, int kind, uint32_t off, uint32_t len)
{
    scan *s = ud;
    tok *t = vec_push(s->a, &s->toks, sizeof *t);
    if (!t) {
        s->oom = true;
        return false;
    }
    t->kind = kind;
    t->off = off;
    t->len = len;
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The first byte after a byte-order mark, where the tokens start. */
static uint32_t text_start(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* The comment starting at text[i] ('#'): up to the end of the line, trailing white space
 * dropped. Sets *next to the offset of the line end (or to). */
static span comment_at(const char *text, uint32_t i, uint32_t to, uint32_t *next)
{
    uint32_t j = i;
    while (j < to && text[j] != '\n')
        j++;
    *next = j;
    uint32_t k = j;
    while (k > i && is_space(text[k - 1]))
        k--;
    return (span){i, k - i};
}

static bool is_keyword(const char *text, const tok *t)
{
    char c = text[t->off];
    return t->kind != IDENT && t->kind != FIELDNAME && t->kind != UNITNAME &&
           ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
}

/* ---- lines ---- */

enum line_role { L_DECL, L_CLAUSE, L_CONT, L_END, L_COMMENT };

typedef struct line {
    uint8_t role;
    uint8_t andor; /* starts with 'or' (3) or 'and' (4): the width of the word and a space */
    bool blank_before, ends_comma, list_cont;
    uint32_t indent;
    size_t code, code_len; /* in the code buffer */
    span cmt;              /* a trailing comment, or the comment of an L_COMMENT line */
} line;

typedef struct fmt {
    const mem *m;
    arena *a;
    const char *text;
    vec lines; /* line */
    membuf code;
    bool oom;
    /* the line being built */
    int last_kind;
    bool last_unary;
    /* the declaration being laid out */
    const layout *decl; /* NULL: a declaration this table does not know */
    span udecl;         /* the keyword that opened an unknown declaration (len 0: none) */
    bool between;       /* after 'end' or at the start: the next token opens a declaration */
} fmt;

static line *cur_line(fmt *f)
{
    return f->lines.len ? VEC_AT(f->lines, line, f->lines.len - 1) : NULL;
}

static line *new_line(fmt *f, uint8_t role, unsigned nl)
{
    bool blank = nl >= 2 && f->lines.len > 0;
    line *l = vec_push(f->a, &f->lines, sizeof *l);
    if (!l) {
        f->oom = true;
        return NULL;
    }
    memset(l, 0, sizeof *l);
    l->role = role;
    l->blank_before = blank;
    l->code = f->code.len;
    f->last_kind = 0;
    return l;
}

/* Takes the comments in text[from, to); *nl counts the line breaks since the last token or
 * comment. A comment after code on the same source line stays on that line. */
static void take_gap(fmt *f, uint32_t from, uint32_t to, unsigned *nl)
{
    for (uint32_t i = from; i < to && !f->oom; i++) {
        if (f->text[i] == '\n') {
            (*nl)++;
        } else if (f->text[i] == '#') {
            uint32_t next;
            span c = comment_at(f->text, i, to, &next);
            line *l = cur_line(f);
            if (*nl == 0 && l && l->role != L_COMMENT && l->cmt.len == 0) {
                l->cmt = c;
            } else {
                l = new_line(f, L_COMMENT, *nl);
                if (l)
                    l->cmt = c;
            }
            *nl = 0;
            i = next - 1;
        }
    }
}

/* Where token t goes: a new line of some role, or (-1) on the current line. */
static int place(fmt *f, const tok *t, bool src_break)
{
    const char *s = f->text + t->off;
    bool kw = is_keyword(f->text, t);
    const layout *L = kw ? find_layout(s, t->len) : NULL;
    bool top = L && (L->role == R_TOP_LINE || L->role == R_TOP_BLOCK);
    if (f->between || !cur_line(f) || top) {
        f->between = false;
        f->decl = top ? L : NULL;
        f->udecl = kw && !L ? (span){t->off, t->len} : (span){0, 0};
        return L_DECL;
    }
    if (L && L->role == R_END) {
        f->between = true;
        return L_END;
    }
    if (f->decl && ((L && in_list(f->decl->clauses, s, t->len)) ||
                    (f->decl->fields && t->kind == FIELDNAME)))
        return L_CLAUSE;
    if (kw && !L && src_break) { /* a keyword this table does not know */
        bool same = f->udecl.len == t->len && memcmp(f->text + f->udecl.off, s, t->len) == 0;
        if (same || (f->decl && f->decl->role == R_TOP_LINE)) {
            f->decl = NULL;
            f->udecl = (span){t->off, t->len};
            return L_DECL;
        }
        return L_CLAUSE;
    }
    return src_break ? L_CONT : -1;
}

static bool space_between(int prev, bool prev_unary, int cur)
{
    if (cur == ',' || cur == ']' || cur == ')' || cur == ':' || cur == DOTDOT || cur == '.')
        return false;
    if (prev == '(' || prev == '[' || prev == DOTDOT || prev == '.' || (prev == '-' && prev_unary))
        return false;
    if (cur == '[' && prev == IDENT)
        return false; /* cite sleep[14] */
    return true;
}

static void add_token(fmt *f, const tok *t)
{
    line *l = cur_line(f);
    bool first = f->code.len == l->code;
    bool unary = t->kind == '-' && (first || !(f->last_kind == NUM || f->last_kind == IDENT ||
                                               f->last_kind == UNITNAME || f->last_kind == ')'));
    if (!first && space_between(f->last_kind, f->last_unary, t->kind) &&
        !membuf_add(f->m, &f->code, " ", 1))
        f->oom = true;
    if (!membuf_add(f->m, &f->code, f->text + t->off, t->len))
        f->oom = true;
    if (first) {
        if (t->len == 2 && memcmp(f->text + t->off, "or", 2) == 0)
            l->andor = 3;
        else if (t->len == 3 && memcmp(f->text + t->off, "and", 3) == 0)
            l->andor = 4;
    }
    l->code_len = f->code.len - l->code;
    l->ends_comma = t->kind == ',';
    f->last_kind = t->kind;
    f->last_unary = unary;
}

/* ---- indentation ---- */

static void indent_lines(fmt *f)
{
    line *ls = f->lines.data;
    size_t n = f->lines.len;
    uint32_t clause = 0;
    const line *prev = NULL; /* the previous line with code */
    for (size_t i = 0; i < n; i++) {
        line *l = &ls[i];
        switch (l->role) {
        case L_DECL:
            clause = l->indent = 0;
            break;
        case L_END:
            l->indent = 0;
            break;
        case L_CLAUSE:
            clause = l->indent = INDENT;
            break;
        case L_COMMENT:
            continue;
        case L_CONT: {
            uint32_t base = clause + INDENT;
            if (l->andor) {
                l->indent = base;
            } else if (prev && prev->ends_comma) { /* a list goes on one level deeper */
                l->indent = prev->list_cont ? prev->indent : prev->indent + INDENT;
                l->list_cont = true;
            } else {
                /* The first operand of an and/or chain lines up with the operands after
                 * the operators: "     a\n  or b". Lines that continue a list are skipped
                 * on the way to the next operator. */
                const line *p = l, *next = NULL;
                for (size_t j = i + 1; j < n && !next; j++) {
                    if (ls[j].role == L_COMMENT)
                        continue;
                    if (p->ends_comma)
                        p = &ls[j];
                    else
                        next = &ls[j];
                }
                l->indent = base + (next && next->role == L_CONT ? next->andor : 0);
            }
            break;
        }
        }
        prev = l;
    }
    /* A comment line takes the indentation of the code after it; before 'end', that of
     * the block's clauses. */
    uint32_t next_indent = 0;
    for (size_t i = n; i-- > 0;) {
        if (ls[i].role == L_COMMENT)
            ls[i].indent = next_indent;
        else
            next_indent = ls[i].role == L_END ? INDENT : ls[i].indent;
    }
}

/* ---- output ---- */

static bool put(const mem *m, membuf *out, const char *s, size_t n)
{
    return membuf_add(m, out, s, n);
}

static bool put_spaces(const mem *m, membuf *out, size_t n)
{
    static const char sp[] = "                                ";
    while (n) {
        size_t k = n < sizeof sp - 1 ? n : sizeof sp - 1;
        if (!put(m, out, sp, k))
            return false;
        n -= k;
    }
    return true;
}

/* Trailing comments line up, two spaces after the longest code line that has one, within a
 * run of code lines of one declaration not broken by a blank line or a comment line. */
static bool emit(fmt *f, membuf *out)
{
    const line *ls = f->lines.data;
    size_t n = f->lines.len;
    size_t group_end = 0, col = 0;
    for (size_t i = 0; i < n; i++) {
        const line *l = &ls[i];
        if (i >= group_end) {
            col = 0;
            size_t j = i;
            do {
                if (ls[j].role != L_COMMENT && ls[j].cmt.len &&
                    ls[j].indent + ls[j].code_len + 2 > col)
                    col = ls[j].indent + ls[j].code_len + 2;
                j++;
            } while (ls[j - 1].role != L_COMMENT && j < n && !ls[j].blank_before &&
                     ls[j].role != L_COMMENT && ls[j].role != L_DECL);
            group_end = j;
        }
        bool ok = (!l->blank_before || put(f->m, out, "\n", 1)) &&
                  put_spaces(f->m, out, l->indent);
        if (ok && l->role == L_COMMENT) {
            ok = put(f->m, out, f->text + l->cmt.off, l->cmt.len);
        } else if (ok) {
            ok = put(f->m, out, f->code.p + l->code, l->code_len);
            if (ok && l->cmt.len)
                ok = put_spaces(f->m, out, col - l->indent - l->code_len) &&
                     put(f->m, out, f->text + l->cmt.off, l->cmt.len);
        }
        if (!ok || !put(f->m, out, "\n", 1))
            return false;
    }
    return true;
}

/* ---- the self-check: same tokens, same comments ---- */

/* Tokens of text into s->toks; false on OOM; *clean false when the text has lexical
 * errors. */
static bool collect(const mem *m, arena *a, const char *text, size_t len, scan *s, bool *clean)
{
    mga_diags *d = diag_new(m, 1);
    if (!d)
        return false;
    s->a = a;
    bool ok = lex_tokens(d, -1, text, len, on_token, s) && !s->oom;
    *clean = mga_diags_error_count(d) == 0;
    mga_diags_free(d);
    return ok;
}

/* The comments of text, in order, given its tokens. */
static bool comments(arena *a, const char *text, size_t len, const vec *toks, vec *out)
{
    const tok *ts = toks->data;
    uint32_t from = text_start(text, len);
    for (size_t k = 0; k <= toks->len; k++) {
        uint32_t to = k < toks->len ? ts[k].off : (uint32_t)len;
        for (uint32_t i = from; i < to; i++)
            if (text[i] == '#') {
                uint32_t next;
                span *c = vec_push(a, out, sizeof *c);
                if (!c)
                    return false;
                *c = comment_at(text, i, to, &next);
                i = next;
            }
        if (k < toks->len)
            from = ts[k].off + ts[k].len;
    }
    return true;
}

static bool same_spans(const char *t1, const span *a, const char *t2, const span *b)
{
    return a->len == b->len && memcmp(t1 + a->off, t2 + b->off, a->len) == 0;
}

/* Returns false on OOM; *same tells whether out keeps every token and comment of text. */
static bool self_check(const mem *m, arena *a, const char *text, size_t len, const vec *toks,
                       const char *out, size_t olen, bool *same)
{
    scan s2 = {0};
    bool clean;
    *same = false;
    if (!collect(m, a, out, olen, &s2, &clean))
        return false;
    if (!clean || s2.toks.len != toks->len)
        return true;
    const tok *x = toks->data, *y = s2.toks.data;
    for (size_t i = 0; i < toks->len; i++)
        if (x[i].kind != y[i].kind ||
            !same_spans(text, &(span){x[i].off, x[i].len}, out, &(span){y[i].off, y[i].len}))
            return true;
    vec c1 = {0}, c2 = {0};
    if (!comments(a, text, len, toks, &c1) || !comments(a, out, olen, &s2.toks, &c2))
        return false;
    if (c1.len != c2.len)
        return true;
    for (size_t i = 0; i < c1.len; i++)
        if (!same_spans(text, VEC_AT(c1, span, i), out, VEC_AT(c2, span, i)))
            return true;
    *same = true;
    return true;
}

/* ---- driver ---- */

bool format_source(const mem *m, mga_diags *d, int dsrc, const char *text, size_t len,
                   membuf *out)
{
    arena a;
    arena_init(&a, m);
    scan s = {0};
    fmt f;
    memset(&f, 0, sizeof f);
    f.m = m;
    f.a = &a;
    f.text = text;
    f.between = true;
    membuf mine = {0};
    bool clean, ok = collect(m, &a, text, len, &s, &clean);
    if (ok && !clean) {
        diag_add(d, DIAG_INTERNAL, dsrc, 0, 0, "fmt was given a file with lexical errors");
        goto done;
    }
    const tok *ts = s.toks.data;
    uint32_t from = text_start(text, len);
    for (size_t i = 0; ok && i <= s.toks.len; i++) {
        unsigned nl = 0;
        uint32_t to = i < s.toks.len ? ts[i].off : (uint32_t)len;
        take_gap(&f, from, to, &nl);
        if (i == s.toks.len || f.oom)
            break;
        int role = place(&f, &ts[i], nl > 0);
        if (role >= 0)
            new_line(&f, (uint8_t)role, nl);
        if (!f.oom)
            add_token(&f, &ts[i]);
        from = ts[i].off + ts[i].len;
    }
    ok = ok && !f.oom;
    if (ok) {
        indent_lines(&f);
        ok = emit(&f, &mine);
    }
    bool same = false;
    if (ok)
        ok = self_check(m, &a, text, len, &s.toks, mine.p ? mine.p : "", mine.len, &same);
    if (ok && !same)
        diag_add(d, DIAG_INTERNAL, dsrc, 0, 0,
                 "the formatted text would differ in its tokens or comments; file left as is");
    else if (ok)
        ok = put(m, out, mine.p ? mine.p : "", mine.len);
done:
    membuf_free(m, &mine);
    membuf_free(m, &f.code);
    arena_free(&a);
    return ok && !d->oom;
}
