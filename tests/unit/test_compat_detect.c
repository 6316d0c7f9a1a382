/* Telling a compat envelope (docs/COMPAT.md): only by its size, and
 * before any key is used, an input that is text or starts like a damaged
 * v1 envelope is not one (NOT_ENVELOPE, saying which), whether compat is
 * allowed or not, and whatever inspect reads it from. A real compat
 * envelope is told from a pipe too; one that no key opens stays
 * NOT_RECIPIENT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static envelope_ctx *ctx;
static envelope_key *alice;
static char *scratch;

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    scratch = make_temp_dir();
}

static void teardown(void)
{
    rm_tree(scratch);
    free(scratch);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

/* n bytes of English text, lines of 60 characters. */
static uint8_t *text_of(size_t n)
{
    static const char words[] = "a plain text file is not a compat envelope, whatever its "
                                "size; ";
    uint8_t *p = malloc(n);

    for (size_t i = 0; i < n; i++)
        p[i] = i % 61 == 60 ? '\n' : (uint8_t)words[i % (sizeof(words) - 1)];
    return p;
}

static void assert_detail_has(const char *want, const char *what)
{
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), want) != NULL, "%s: detail \"%s\" lacks \"%s\"",
                  what, envelope_ctx_detail(ctx), want);
}

/* Open refuses it as NOT_ENVELOPE with the detail, compat allowed or not,
 * leaving nothing; inspect refuses it from a file and from a pipe. */
static void assert_not_envelope(const uint8_t *p, size_t n, const char *detail, const char *what)
{
    envelope_open_opts *opts = open_opts_for(ctx, alice);
    envelope_info *info = (envelope_info *)&n;
    int fd, pipe_fd[2];

    for (int allow = 0; allow <= 1; allow++) {
        envelope_open_opts_set_allow_compat(opts, allow);
        assert_open_fails(ctx, opts, p, n, ENVELOPE_E_NOT_ENVELOPE, scratch, 1, what);
        assert_detail_has(detail, what);
    }
    fd = mem_fd(p, n);
    ck_assert_rc(envelope_inspect_fd(ctx, fd, &info), ENVELOPE_E_NOT_ENVELOPE);
    ck_assert_ptr_null(info);
    assert_detail_has(detail, what);
    close(fd);
    ck_assert_int_eq(pipe(pipe_fd), 0);
    ck_assert_int_eq(write(pipe_fd[1], p, n), (ssize_t)n); /* small: fits the pipe */
    close(pipe_fd[1]);
    ck_assert_rc(envelope_inspect_fd(ctx, pipe_fd[0], &info), ENVELOPE_E_NOT_ENVELOPE);
    assert_detail_has(detail, what);
    close(pipe_fd[0]);
    envelope_open_opts_free(opts);
}

START_TEST(text_of_a_compat_size_is_not_an_envelope)
{
    static const size_t sizes[] = {256, 384, 512};

    for (size_t i = 0; i < 3; i++) {
        uint8_t *t = text_of(sizes[i]);
        char what[32];

        snprintf(what, sizeof(what), "%zu bytes of text", sizes[i]);
        assert_not_envelope(t, sizes[i], "the input is text", what);
        free(t);
    }
}
END_TEST

/* UTF-8 beyond ASCII, tabs and CRLF are text too. */
START_TEST(utf8_text_is_text)
{
    uint8_t t[256];
    static const char line[] = "r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93\t\xf0\x9f\x93\x9c\r\n";

    for (size_t i = 0; i < sizeof(t); i++)
        t[i] = (uint8_t)line[i % (sizeof(line) - 1)];
    /* 13 lines of 19 bytes, then "résu" and "end\n": whole characters */
    memcpy(t + 252, "end\n", 4);
    assert_not_envelope(t, sizeof(t), "the input is text", "UTF-8 text");
}
END_TEST

/* A v1 envelope whose magic took damage: 513 bytes (no compat size) and
 * 512 bytes (one) are both named for what they look like. */
START_TEST(a_damaged_magic_is_named)
{
    size_t len;
    uint8_t *env = seal_to_alice(ctx, (const uint8_t *)"hi", 2, &len);

    ck_assert_uint_gt(len, 513);
    env[0] ^= 0x01;
    assert_not_envelope(env, 513, "starts like a v1 envelope whose magic is damaged (1 of its "
                                  "first 12 bytes differ)", "513 bytes, magic damaged");
    env[3] = 'X';
    env[6] = 0;
    assert_not_envelope(env, 512, "starts like a v1 envelope whose magic is damaged (3 of its "
                                  "first 12 bytes differ)", "512 bytes, magic damaged");
    envelope_free(env);
}
END_TEST

/* Bytes that are neither text nor like a v1 envelope, of no compat size,
 * and past any compat size: each detail says which. */
START_TEST(other_sizes_say_so)
{
    uint8_t *p = pattern(2000, 5);

    p[0] = 0xff; /* never UTF-8 */
    assert_not_envelope(p, 300, "300 bytes is not the size of a compat envelope", "300 bytes");
    assert_not_envelope(p, 2000, "longer than a compat envelope", "2000 bytes");
    free(p);
}
END_TEST

/* Only the first 513 bytes of a longer input are looked at: a character
 * that the cut splits leaves it text, a byte that is never UTF-8 does not,
 * wherever it is in those bytes. */
START_TEST(the_cut_keeps_text_whole)
{
    uint8_t *t = text_of(2000);

    memcpy(t + 511, "\xe2\x9c\x93", 3); /* U+2713 across the cut */
    assert_not_envelope(t, 2000, "the input is text", "a character cut at 513");
    t[511] = 0xff;
    assert_not_envelope(t, 2000, "longer than a compat envelope", "0xff at 512");
    memcpy(t + 510, "\xe2\x41", 2); /* a lead byte, then no continuation */
    assert_not_envelope(t, 2000, "longer than a compat envelope", "a broken sequence at 511");
    free(t);
}
END_TEST

/* Random bytes of a compat size are a compat envelope: refused without
 * the option, and with it, alice's key fails to unwrap them: NOT_RECIPIENT
 * as any failed unwrap, never what failed in the padding. */
START_TEST(a_ciphertext_sized_input_stays_compat)
{
    uint8_t *p = pattern(256, 11);
    envelope_open_opts *opts = open_opts_for(ctx, alice);

    p[0] = 0xff;
    assert_open_fails(ctx, opts, p, 256, ENVELOPE_E_COMPAT_REFUSED, scratch, 1, "no option");
    envelope_open_opts_set_allow_compat(opts, 1);
    assert_open_fails(ctx, opts, p, 256, ENVELOPE_E_NOT_RECIPIENT, scratch, 1, "allowed");
    envelope_open_opts_free(opts);
    free(p);
}
END_TEST

/* A real compat envelope, inspected from a file and from a pipe. */
START_TEST(inspect_tells_compat_from_a_pipe)
{
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_seal_opts *sopts = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
    uint8_t *env = NULL;
    size_t len = 0;
    envelope_info *info = NULL;
    int p[2], fd;

    ck_assert_rc(envelope_seal_opts_set_format(sopts, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, sopts, (const uint8_t *)"hi\n", 3, &env, &len),
                 ENVELOPE_OK);
    ck_assert_uint_eq(len, 512);
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], env, len), (ssize_t)len);
    close(p[1]);
    ck_assert_rc(envelope_inspect_fd(ctx, p[0], &info), ENVELOPE_OK);
    close(p[0]);
    ck_assert_uint_eq(envelope_info_version(info), 0);
    ck_assert_uint_eq(envelope_info_suite(info), 0);
    ck_assert_uint_eq(envelope_info_header_size(info), 0);
    ck_assert_uint_eq(envelope_info_payload_size(info), 512);
    ck_assert_uint_eq(envelope_info_recipient_count(info), 1);
    ck_assert_uint_eq(envelope_info_recipient_bits(info, 0), 4096);
    ck_assert_str_eq(envelope_info_recipient_label(info, 0), "");
    envelope_info_free(info);
    fd = mem_fd(env, len);
    ck_assert_rc(envelope_inspect_fd(ctx, fd, &info), ENVELOPE_OK);
    ck_assert_uint_eq(envelope_info_recipient_bits(info, 0), 4096);
    envelope_info_free(info);
    close(fd);
    envelope_free(env);
    envelope_seal_opts_free(sopts);
    envelope_key_free(dave);
}
END_TEST

Suite *compat_detect_suite(void);

Suite *compat_detect_suite(void)
{
    Suite *s = suite_create("compat_detect");
    TCase *t = tcase_create("detect");

    tcase_set_timeout(t, 60);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, text_of_a_compat_size_is_not_an_envelope);
    tcase_add_test(t, utf8_text_is_text);
    tcase_add_test(t, a_damaged_magic_is_named);
    tcase_add_test(t, other_sizes_say_so);
    tcase_add_test(t, the_cut_keeps_text_whole);
    tcase_add_test(t, a_ciphertext_sized_input_stays_compat);
    tcase_add_test(t, inspect_tells_compat_from_a_pipe);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return run_suite(compat_detect_suite()) ? 1 : 0;
}
