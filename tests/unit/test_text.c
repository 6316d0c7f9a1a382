/* text.c: envelope_escape(), and the failure details that pass through it. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* text escaped into a buffer with room to spare. */
static const char *esc(const char *text)
{
    static char out[256];
    size_t n = envelope_escape(out, sizeof(out), text);

    ck_assert_uint_eq(n, strlen(out));
    return out;
}

START_TEST(printable_text_is_kept)
{
    ck_assert_str_eq(esc(""), "");
    ck_assert_str_eq(esc(NULL), "");
    ck_assert_str_eq(esc("note.json"), "note.json");
    ck_assert_str_eq(esc("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\x84"),
                     "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\x84");
    /* A backslash stays: escaping twice changes nothing. */
    ck_assert_str_eq(esc("a\\x1B\\u{202E}"), "a\\x1B\\u{202E}");
}
END_TEST

START_TEST(controls_are_spelled_out)
{
    ck_assert_str_eq(esc("a\x1b[2Jb"), "a\\x1B[2Jb");
    ck_assert_str_eq(esc("\x01\t\n\r\x7f"), "\\x01\\x09\\x0A\\x0D\\x7F");
    /* C1: U+0080, U+009B (CSI), U+009F. */
    ck_assert_str_eq(esc("\xc2\x80\xc2\x9b" "31m\xc2\x9f"), "\\u{0080}\\u{009B}31m\\u{009F}");
    ck_assert_str_eq(esc("\xc2\xa0"), "\xc2\xa0"); /* U+00A0 is printable */
}
END_TEST

START_TEST(bidi_and_separators_are_spelled_out)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"\xd8\x9c", "\\u{061C}"},     {"\xe2\x80\x8e", "\\u{200E}"},
        {"\xe2\x80\x8f", "\\u{200F}"}, {"\xe2\x80\xa8", "\\u{2028}"},
        {"\xe2\x80\xa9", "\\u{2029}"}, {"\xe2\x80\xaa", "\\u{202A}"},
        {"\xe2\x80\xae", "\\u{202E}"}, {"\xe2\x81\xa6", "\\u{2066}"},
        {"\xe2\x81\xa9", "\\u{2069}"}, {"\xe2\x80\x8d", "\xe2\x80\x8d"},
        {"\xe2\x80\xaf", "\xe2\x80\xaf"}, {"\xe2\x81\xaa", "\xe2\x81\xaa"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_str_eq(esc(cases[i].in), cases[i].out);
    ck_assert_str_eq(esc("\xe2\x80\xaetxt.exe"), "\\u{202E}txt.exe");
}
END_TEST

START_TEST(invalid_utf8_is_escaped_bytewise)
{
    ck_assert_str_eq(esc("a\x9b" "b"), "a\\x9Bb");             /* raw C1 byte */
    ck_assert_str_eq(esc("\xff\xfe"), "\\xFF\\xFE");
    ck_assert_str_eq(esc("\xc0\xaf"), "\\xC0\\xAF");           /* overlong '/' */
    ck_assert_str_eq(esc("\xed\xa0\x80"), "\\xED\\xA0\\x80");  /* a surrogate */
    ck_assert_str_eq(esc("\xf4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80"); /* > U+10FFFF */
    ck_assert_str_eq(esc("x\xe2\x80"), "x\\xE2\\x80");         /* cut short */
    ck_assert_str_eq(esc("\xe2\x80" "a"), "\\xE2\\x80a");
}
END_TEST

START_TEST(escaping_twice_changes_nothing)
{
    char once[256], twice[256];
    const char *in = "\x1b\xc2\x9b\xe2\x80\xae\xff\\x41 caf\xc3\xa9";

    envelope_escape(once, sizeof(once), in);
    envelope_escape(twice, sizeof(twice), once);
    ck_assert_str_eq(twice, once);
}
END_TEST

/* Cut where it must be, never inside an escape or a character; the length
 * returned is the whole escaped text's. */
START_TEST(cut_at_whole_pieces)
{
    char out[8];

    memset(out, 'Z', sizeof(out));
    ck_assert_uint_eq(envelope_escape(out, 0, "abc"), 3);
    ck_assert_int_eq(out[0], 'Z');
    ck_assert_uint_eq(envelope_escape(NULL, 0, "\x1b"), 4);
    ck_assert_uint_eq(envelope_escape(out, 1, "abc"), 3);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(envelope_escape(out, 4, "ab\x1b"), 6);
    ck_assert_str_eq(out, "ab");
    ck_assert_uint_eq(envelope_escape(out, 7, "ab\x1b"), 6);
    ck_assert_str_eq(out, "ab\\x1B");
    ck_assert_uint_eq(envelope_escape(out, 8, "\xe2\x80\xae" "a"), 9);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(envelope_escape(out, 5, "a\xe6\x97\xa5" "b"), 5);
    ck_assert_str_eq(out, "a\xe6\x97\xa5");
    ck_assert_uint_eq(envelope_escape(out, 4, "a\xe6\x97\xa5" "b"), 5);
    ck_assert_str_eq(out, "a");
}
END_TEST

/* A failure detail repeats the path it was given: escaped, like all of them. */
START_TEST(details_are_escaped)
{
    envelope_ctx *ctx = new_ctx();
    envelope_key *key = NULL;
    const char *d;

    ck_assert_rc(envelope_key_load(ctx, "/nonexistent/a\x1b[2J\xc2\x9b\xe2\x80\xae\xff.pem",
                                   NULL, NULL, &key),
                 ENVELOPE_E_KEY_LOAD);
    d = envelope_ctx_detail(ctx);
    ck_assert_msg(strstr(d, "/nonexistent/a\\x1B[2J\\u{009B}\\u{202E}\\xFF.pem") != NULL,
                  "detail: %s", d);
    for (const unsigned char *p = (const unsigned char *)d; *p; p++)
        ck_assert_msg(*p >= 0x20 && *p < 0x7f, "byte 0x%02x in the detail", *p);
    envelope_ctx_free(ctx);
}
END_TEST

static Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, printable_text_is_kept);
    tcase_add_test(tc, controls_are_spelled_out);
    tcase_add_test(tc, bidi_and_separators_are_spelled_out);
    tcase_add_test(tc, invalid_utf8_is_escaped_bytewise);
    tcase_add_test(tc, escaping_twice_changes_nothing);
    tcase_add_test(tc, cut_at_whole_pieces);
    tcase_add_test(tc, details_are_escaped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(text_suite()) ? 1 : 0;
}
