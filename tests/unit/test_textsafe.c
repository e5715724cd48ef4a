/* SPDX-License-Identifier: MIT */
/* Unit tests for textsafe.c: which characters are escaped and how, invalid UTF-8, the tab
 * flag, widths, and that the write stops at the sink's first failure. */
#include "helpers.h"

#include "textsafe.h"

typedef struct sink {
    char buf[512];
    size_t len;
    int calls, fail_at; /* fail_at > 0: that call returns non-zero */
} sink;

static int sink_write(void *ud, const char *p, size_t n)
{
    sink *s = ud;
    s->calls++;
    if (s->fail_at && s->calls == s->fail_at)
        return 7;
    assert_true(s->len + n < sizeof s->buf);
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return 0;
}

static const char *esc(const char *s, size_t n, unsigned flags, sink *k)
{
    memset(k, 0, sizeof *k);
    assert_int_equal(textsafe_write(sink_write, k, s, n, flags), 0);
    return k->buf;
}

#define ESC(lit, flags, k) esc("" lit, sizeof(lit) - 1, flags, k)

static void test_textsafe_plain_text_unchanged(void **state)
{
    (void)state;
    sink k;
    assert_string_equal(ESC("kidney_disease 'x' a\\b", 0, &k), "kidney_disease 'x' a\\b");
    assert_int_equal(k.calls, 1); /* one run, one call */
    /* printable UTF-8 (accents, curly quotes, emoji) passes as it is */
    assert_string_equal(ESC("caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d \xf0\x9f\x98\x80", 0, &k),
                        "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d \xf0\x9f\x98\x80");
    assert_string_equal(ESC("", 0, &k), "");
    assert_int_equal(k.calls, 0);
}

static void test_textsafe_osc52_and_csi_escaped(void **state)
{
    (void)state;
    sink k;
    assert_string_equal(ESC("a\x1b]52;c;aGk=\x07z", 0, &k), "a\\x1b]52;c;aGk=\\x07z");
    assert_string_equal(ESC("\x1b[2J\x1b[31m", 0, &k), "\\x1b[2J\\x1b[31m");
}

static void test_textsafe_c0_del_and_named_controls(void **state)
{
    (void)state;
    sink k;
    assert_string_equal(ESC("a\rb\nc\td", 0, &k), "a\\rb\\nc\\td");
    assert_string_equal(ESC("\x01\x08\x0b\x0c\x1f\x7f", 0, &k),
                        "\\x01\\x08\\x0b\\x0c\\x1f\\x7f");
    /* NUL inside the length is escaped, not a terminator */
    assert_string_equal(ESC("a\0b", 0, &k), "a\\x00b");
}

static void test_textsafe_keep_tab_flag(void **state)
{
    (void)state;
    sink k;
    assert_string_equal(ESC("\tsay\t\x1b", TEXTSAFE_KEEP_TAB, &k), "\tsay\t\\x1b");
    /* the flag keeps tabs only: line breaks are still escaped */
    assert_string_equal(ESC("a\nb\r", TEXTSAFE_KEEP_TAB, &k), "a\\nb\\r");
}

static void test_textsafe_c1_controls_escaped(void **state)
{
    (void)state;
    sink k;
    /* U+0080, U+0085 (NEL), U+009B (CSI), U+009F; U+00A0 (no-break space) is printable */
    assert_string_equal(ESC("\xc2\x80\xc2\x85\xc2\x9b[2J\xc2\x9f\xc2\xa0", 0, &k),
                        "\\u0080\\u0085\\u009b[2J\\u009f\xc2\xa0");
}

static void test_textsafe_bidi_controls_escaped(void **state)
{
    (void)state;
    sink k;
    /* U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates */
    assert_string_equal(ESC("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae", 0, &k),
                        "\\u202a\\u202b\\u202c\\u202d\\u202e");
    assert_string_equal(ESC("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0, &k),
                        "\\u2066\\u2067\\u2068\\u2069");
    /* the marks U+200E, U+200F, U+061C and the separators U+2028, U+2029 */
    assert_string_equal(ESC("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c\xe2\x80\xa8\xe2\x80\xa9", 0, &k),
                        "\\u200e\\u200f\\u061c\\u2028\\u2029");
    /* neighbours are printable: U+2029's next U+202F, U+2065, U+206A, U+200D */
    assert_string_equal(ESC("\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8d", 0, &k),
                        "\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8d");
}

static void test_textsafe_invalid_utf8_as_bytes(void **state)
{
    (void)state;
    sink k;
    /* a stray byte, a lone continuation, an overlong form, a surrogate, past U+10FFFF */
    assert_string_equal(ESC("a\xff" "b\x80", 0, &k), "a\\xffb\\x80");
    assert_string_equal(ESC("\xc0\xaf", 0, &k), "\\xc0\\xaf");
    assert_string_equal(ESC("\xed\xa0\x80", 0, &k), "\\xed\\xa0\\x80");
    assert_string_equal(ESC("\xf4\x90\x80\x80", 0, &k), "\\xf4\\x90\\x80\\x80");
    /* a sequence cut by the end of the text: each byte escaped, nothing read past len */
    assert_string_equal(esc("x\xe2\x80\xae", 3, 0, &k), "x\\xe2\\x80");
}

static void test_textsafe_step_reports_length_and_escape(void **state)
{
    (void)state;
    char e[TEXTSAFE_ESC_MAX];
    assert_int_equal(textsafe_step("a", 1, 0, e), 1);
    assert_string_equal(e, "");
    assert_int_equal(textsafe_step("\xc3\xa9x", 3, 0, e), 2);
    assert_string_equal(e, "");
    assert_int_equal(textsafe_step("\xe2\x80\xae", 3, 0, e), 3);
    assert_string_equal(e, "\\u202e");
    assert_int_equal(textsafe_step("\xf0\x9f\x98\x80", 4, 0, e), 4);
    assert_string_equal(e, "");
    assert_int_equal(textsafe_step("\xe2\x80", 2, 0, e), 1);
    assert_string_equal(e, "\\xe2");
    assert_int_equal(textsafe_step("\t", 1, TEXTSAFE_KEEP_TAB, e), 1);
    assert_string_equal(e, "");
}

static void test_textsafe_width_counts_escapes(void **state)
{
    (void)state;
    assert_int_equal(textsafe_width("abc", 3, 0), 3);
    assert_int_equal(textsafe_width("caf\xc3\xa9", 5, 0), 4);
    assert_int_equal(textsafe_width("a\x1b", 2, 0), 5);
    assert_int_equal(textsafe_width("\xe2\x80\xae", 3, 0), 6);
    assert_int_equal(textsafe_width("\t", 1, 0), 2);
    assert_int_equal(textsafe_width("\t", 1, TEXTSAFE_KEEP_TAB), 1);
}

static void test_textsafe_write_stops_at_sink_failure(void **state)
{
    (void)state;
    sink k;
    memset(&k, 0, sizeof k);
    k.fail_at = 2; /* "a", then the escape fails */
    assert_int_equal(textsafe_write(sink_write, &k, "a\x1b" "b\x1b" "c", 5, 0), 7);
    assert_int_equal(k.calls, 2);
    assert_string_equal(k.buf, "a");
}

/* The rendered diagnostics of a hostile profile carry no raw control byte, and the caret
 * sits under the spot once the escapes before it are shown. */
static void test_textsafe_diagnostics_of_hostile_profile(void **state)
{
    (void)state;
    mga_engine *eng = make_engine();
    mga_ruleset *rs = compile_ok(eng, "", NULL);
    /* JSON escapes give the parser ESC and BEL; U+202E and U+009B are raw */
    const char *json = "{\"id\": \"\\u001b]52;c;aGk=\\u0007\", \"\\u001b[2J\xe2\x80\xae\": 1, "
                       "\"sex\": \"f\xc2\x9b\"}";
    mga_profile *p = NULL;
    mga_diags *d = NULL;
    mga_status st = mga_profile_parse(rs, "p.json", json, strlen(json), &p, &d);
    assert_int_equal(st, MGA_E_PROFILE);
    char *out = render_diags(d);
    for (const unsigned char *c = (const unsigned char *)out; *c; c++) {
        assert_false((*c < 0x20 && *c != '\n') || *c == 0x7f);
        assert_false(c[0] == 0xc2 && c[1] >= 0x80 && c[1] < 0xa0);
        assert_false(c[0] == 0xe2 && c[1] == 0x80 && c[2] == 0xae);
    }
    assert_non_null(strstr(out, "$.\\x1b[2J\\u202e: unknown field"));
    /* the source line after that message is escaped, and its caret is under the value */
    const char *msg = strstr(out, "unknown value 'f\\u009b'");
    assert_non_null(msg);
    const char *src = strchr(msg, '\n') + 1, *caret = strchr(src, '\n') + 1;
    static const char head[] = "    1 | {\"id\": \"\\u001b]52;c;aGk=\\u0007\", \"\\u001b[2J\\u202e\"";
    assert_memory_equal(src, head, sizeof head - 1);
    const char *val = strstr(src, "\"f\\u009b\"}\n");
    assert_non_null(val);
    assert_memory_equal(caret, "      | ", 8);
    assert_int_equal((size_t)(strchr(caret, '^') - caret), (size_t)(val - src));
    assert_memory_equal(strchr(caret, '^'), "^~~~~~~~~\n", 10); /* the token is 9 wide */
    free(out);
    mga_diags_free(d);
    mga_profile_free(p);
    mga_ruleset_free(rs);
    mga_engine_free(eng);
}

/* The public writer: the same escapes, the tab flag, its errors and a failing sink. */
static void test_textsafe_public_text_write(void **state)
{
    (void)state;
    sink k;
    memset(&k, 0, sizeof k);
    assert_int_equal(mga_text_write("a\tb\x1b[31m\xe2\x80\xae!", 12, 0, sink_write, &k), MGA_OK);
    assert_string_equal(k.buf, "a\\tb\\x1b[31m\\u202e!");
    memset(&k, 0, sizeof k);
    assert_int_equal(mga_text_write("a\tb", 3, MGA_TEXT_KEEP_TAB, sink_write, &k), MGA_OK);
    assert_string_equal(k.buf, "a\tb");
    memset(&k, 0, sizeof k);
    assert_int_equal(mga_text_write(NULL, 0, 0, sink_write, &k), MGA_OK);
    assert_int_equal(k.calls, 0);
    assert_int_equal(mga_text_write(NULL, 1, 0, sink_write, &k), MGA_E_INVALID);
    assert_int_equal(mga_text_write("a", 1, 0, NULL, &k), MGA_E_INVALID);
    assert_int_equal(mga_text_write("a", 1, 2u, sink_write, &k), MGA_E_INVALID);
    memset(&k, 0, sizeof k);
    k.fail_at = 2;
    assert_int_equal(mga_text_write("ab\x01" "cd", 5, 0, sink_write, &k), MGA_E_WRITE);
    assert_int_equal(k.calls, 2);
    assert_string_equal(k.buf, "ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textsafe_plain_text_unchanged),
        cmocka_unit_test(test_textsafe_osc52_and_csi_escaped),
        cmocka_unit_test(test_textsafe_c0_del_and_named_controls),
        cmocka_unit_test(test_textsafe_keep_tab_flag),
        cmocka_unit_test(test_textsafe_c1_controls_escaped),
        cmocka_unit_test(test_textsafe_bidi_controls_escaped),
        cmocka_unit_test(test_textsafe_invalid_utf8_as_bytes),
        cmocka_unit_test(test_textsafe_step_reports_length_and_escape),
        cmocka_unit_test(test_textsafe_width_counts_escapes),
        cmocka_unit_test(test_textsafe_write_stops_at_sink_failure),
        cmocka_unit_test(test_textsafe_diagnostics_of_hostile_profile),
        cmocka_unit_test(test_textsafe_public_text_write),
    };
    return cmocka_run_group_tests_name("textsafe", tests, NULL, NULL);
}
