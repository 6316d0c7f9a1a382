/* The incremental sealer: known and unknown sizes given in pieces of every
 * shape, the maximum size, and each misuse refused with nothing written
 * that could pass for an envelope. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "testutil.h"

static envelope_ctx *ctx;
static envelope_key *alice, *alice_pub;
static envelope_seal_opts *sopts;
static envelope_open_opts *oopts;

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    alice_pub = load_test_key(ctx, "alice.pub");
    sopts = seal_opts_for(ctx, &alice_pub, 1, TEST_CREATED);
    oopts = open_opts_for(ctx, alice);
}

static void teardown(void)
{
    envelope_open_opts_free(oopts);
    envelope_seal_opts_free(sopts);
    envelope_key_free(alice_pub);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

/* What the write callback was given: the bytes, and how many calls. */
struct out {
    struct bytes b;
    int calls;
    int fail_after; /* fail the call after this many; 0: never */
};

static int out_write(void *arg, const uint8_t *p, size_t n)
{
    struct out *o = arg;

    if (o->fail_after && o->calls >= o->fail_after)
        return -1;
    o->calls++;
    return bytes_append(&o->b, p, n) == 0 ? 0 : -1;
}

static void assert_ok(envelope_rc rc, const char *what)
{
    ck_assert_msg(rc == ENVELOPE_OK, "%s: %s (%s)", what, envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
}

static void assert_fails(envelope_rc rc, envelope_rc want, const char *detail)
{
    ck_assert_msg(rc == want && strstr(envelope_ctx_detail(ctx), detail),
                  "got %s (%s), want %s (%s)", envelope_rc_name(rc), envelope_ctx_detail(ctx),
                  envelope_rc_name(want), detail);
}

static void assert_opens(const struct out *o, const uint8_t *msg, size_t n)
{
    uint8_t *got = NULL;
    size_t got_len = 0;

    assert_ok(envelope_open_mem(ctx, oopts, o->b.p, o->b.len, &got, &got_len, NULL), "open");
    ck_assert_msg(got_len == n && (n == 0 || memcmp(got, msg, n) == 0),
                  "opened %zu bytes, want the %zu sealed", got_len, n);
    envelope_free_secret(got, got_len);
}

/* Seals msg given in pieces of the sizes in steps (cycled). */
static void seal_in_pieces(uint64_t size, const uint8_t *msg, size_t n, const size_t *steps,
                           size_t n_steps, struct out *o)
{
    envelope_sealer *s = NULL;
    size_t at = 0;

    assert_ok(envelope_sealer_new(ctx, sopts, size, out_write, o, &s), "new");
    for (size_t i = 0; at < n; i++) {
        size_t take = steps[i % n_steps] < n - at ? steps[i % n_steps] : n - at;

        assert_ok(envelope_sealer_update(s, msg + at, take), "update");
        at += take;
    }
    assert_ok(envelope_sealer_final(s), "final");
    envelope_sealer_free(s);
}

static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536, 1048576 + 3};
static const size_t steps[] = {1, 7, 65536, 4096, 300000, 0, 65535};

START_TEST(known_size_round_trip)
{
    size_t n = sizes[_i];
    uint8_t *msg = pattern(n, 3);
    struct out o = {0};

    seal_in_pieces(n, msg, n, steps, sizeof(steps) / sizeof(steps[0]), &o);
    assert_opens(&o, msg, n);
    bytes_free(&o.b);
    free(msg);
}
END_TEST

START_TEST(unknown_size_round_trip)
{
    size_t n = sizes[_i];
    uint8_t *msg = pattern(n, 4);
    struct out o = {0};

    seal_in_pieces(ENVELOPE_SIZE_UNKNOWN, msg, n, steps + 1, 3, &o);
    assert_opens(&o, msg, n);
    bytes_free(&o.b);
    free(msg);
}
END_TEST

/* Streaming writes as it goes; spooling writes nothing before final. */
START_TEST(when_bytes_are_written)
{
    size_t n = 5 * 65536;
    uint8_t *msg = pattern(n, 5);
    struct out known = {0}, unknown = {0};
    envelope_sealer *k = NULL, *u = NULL;

    assert_ok(envelope_sealer_new(ctx, sopts, n, out_write, &known, &k), "new known");
    assert_ok(envelope_sealer_new(ctx, sopts, ENVELOPE_SIZE_UNKNOWN, out_write, &unknown, &u),
              "new unknown");
    ck_assert_msg(known.calls == 1, "streaming: %d writes after new, want the header's",
                  known.calls);
    ck_assert_int_eq(unknown.calls, 0);
    assert_ok(envelope_sealer_update(k, msg, n), "update known");
    assert_ok(envelope_sealer_update(u, msg, n), "update unknown");
    ck_assert_msg(known.calls >= 5, "streaming: %d writes after 5 chunks", known.calls);
    ck_assert_int_eq(unknown.calls, 0);
    ck_assert_uint_eq(unknown.b.len, 0);
    assert_ok(envelope_sealer_final(k), "final known");
    assert_ok(envelope_sealer_final(u), "final unknown");
    assert_opens(&known, msg, n);
    assert_opens(&unknown, msg, n);
    envelope_sealer_free(k);
    envelope_sealer_free(u);
    bytes_free(&known.b);
    bytes_free(&unknown.b);
    free(msg);
}
END_TEST

START_TEST(more_than_declared)
{
    uint8_t *msg = pattern(70000, 6);
    struct out o = {0};
    envelope_sealer *s = NULL;
    size_t len_before;

    assert_ok(envelope_sealer_new(ctx, sopts, 69999, out_write, &o, &s), "new");
    assert_ok(envelope_sealer_update(s, msg, 69000), "update");
    len_before = o.b.len;
    assert_fails(envelope_sealer_update(s, msg + 69000, 1000), ENVELOPE_E_INVALID_ARGUMENT,
                 "the message is longer than the 69999 bytes declared");
    ck_assert_msg(o.b.len == len_before, "%zu bytes written by the refused update",
                  o.b.len - len_before);
    /* The sealer stays failed: the 999 bytes that would fit are refused. */
    assert_fails(envelope_sealer_update(s, msg + 69000, 999), ENVELOPE_E_INVALID_ARGUMENT,
                 "an earlier call on this sealer failed (INVALID_ARGUMENT)");
    assert_fails(envelope_sealer_final(s), ENVELOPE_E_INVALID_ARGUMENT,
                 "an earlier call on this sealer failed");
    assert_open_fails(ctx, oopts, o.b.p, o.b.len, ENVELOPE_E_TRUNCATED, NULL, 0, "cut");
    envelope_sealer_free(s);
    bytes_free(&o.b);
    free(msg);
}
END_TEST

/* Fewer bytes than declared: refused at final, with no final chunk, so
 * that what was written opens nowhere. Sizes: header only, and chunks. */
START_TEST(fewer_than_declared)
{
    static const size_t given[] = {10, 200000};
    size_t n = given[_i];
    uint8_t *msg = pattern(n, 7);
    struct out o = {0};
    envelope_sealer *s = NULL;
    size_t len_before;
    char want[128];

    assert_ok(envelope_sealer_new(ctx, sopts, n + 1, out_write, &o, &s), "new");
    assert_ok(envelope_sealer_update(s, msg, n), "update");
    len_before = o.b.len;
    snprintf(want, sizeof(want), "the message ended after %zu of the %zu bytes declared", n,
             n + 1);
    assert_fails(envelope_sealer_final(s), ENVELOPE_E_INVALID_ARGUMENT, want);
    ck_assert_msg(o.b.len == len_before, "%zu bytes written by the refused final",
                  o.b.len - len_before);
    assert_open_fails(ctx, oopts, o.b.p, o.b.len, ENVELOPE_E_TRUNCATED, NULL, 0, "short");
    envelope_sealer_free(s);
    bytes_free(&o.b);
    free(msg);
}
END_TEST

START_TEST(after_final)
{
    struct out o = {0};
    envelope_sealer *s = NULL;
    size_t len;

    assert_ok(envelope_sealer_new(ctx, sopts, _i ? ENVELOPE_SIZE_UNKNOWN : 3, out_write, &o, &s),
              "new");
    assert_ok(envelope_sealer_update(s, (const uint8_t *)"abc", 3), "update");
    assert_ok(envelope_sealer_final(s), "final");
    len = o.b.len;
    assert_fails(envelope_sealer_update(s, (const uint8_t *)"d", 1), ENVELOPE_E_INVALID_ARGUMENT,
                 "the sealer has finished");
    assert_fails(envelope_sealer_final(s), ENVELOPE_E_INVALID_ARGUMENT,
                 "the sealer has finished");
    ck_assert_uint_eq(o.b.len, len);
    assert_opens(&o, (const uint8_t *)"abc", 3);
    envelope_sealer_free(s);
    bytes_free(&o.b);
}
END_TEST

/* Freed half way: what was written is no envelope, and nothing leaks
 * (valgrind and ASan runs). Past 1 MiB, so that a hashing thread runs. */
START_TEST(free_without_final)
{
    size_t n = 1048576 + 3 * 65536 + 9;
    uint8_t *msg = pattern(n, 8);
    struct out o = {0};
    envelope_sealer *s = NULL;

    assert_ok(envelope_sealer_new(ctx, sopts, _i ? ENVELOPE_SIZE_UNKNOWN : n, out_write, &o, &s),
              "new");
    assert_ok(envelope_sealer_update(s, msg, n), "update");
    envelope_sealer_free(s);
    if (_i)
        ck_assert_msg(o.b.len == 0, "spooling wrote %zu bytes before final", o.b.len);
    else
        assert_open_fails(ctx, oopts, o.b.p, o.b.len, ENVELOPE_E_TRUNCATED, NULL, 0, "freed");
    bytes_free(&o.b);
    free(msg);
}
END_TEST

START_TEST(max_size_declared)
{
    struct out o = {0};
    envelope_sealer *s = (envelope_sealer *)&o;

    ck_assert_rc(envelope_seal_opts_set_max_size(sopts, 1000), ENVELOPE_OK);
    assert_fails(envelope_sealer_new(ctx, sopts, 1001, out_write, &o, &s), ENVELOPE_E_TOO_LARGE,
                 "the declared size, 1001 bytes, is over the maximum of 1000");
    ck_assert_ptr_null(s);
    ck_assert_int_eq(o.calls, 0);
    assert_ok(envelope_sealer_new(ctx, sopts, 1000, out_write, &o, &s), "new at the maximum");
    envelope_sealer_free(s);
    bytes_free(&o.b);
}
END_TEST

/* Unknown size: the byte past the maximum is refused before it is spooled. */
START_TEST(max_size_spooled)
{
    uint8_t *msg = pattern(1001, 9);
    struct out o = {0};
    envelope_sealer *s = NULL;

    ck_assert_rc(envelope_seal_opts_set_max_size(sopts, 1000), ENVELOPE_OK);
    assert_ok(envelope_sealer_new(ctx, sopts, ENVELOPE_SIZE_UNKNOWN, out_write, &o, &s), "new");
    assert_ok(envelope_sealer_update(s, msg, 600), "update");
    assert_ok(envelope_sealer_update(s, msg + 600, 400), "update to the maximum");
    assert_fails(envelope_sealer_update(s, msg + 1000, 1), ENVELOPE_E_TOO_LARGE,
                 "the message is over the maximum of 1000 bytes");
    assert_fails(envelope_sealer_final(s), ENVELOPE_E_TOO_LARGE, "an earlier call");
    ck_assert_msg(o.calls == 0, "%d writes", o.calls);
    envelope_sealer_free(s);
    free(msg);
}
END_TEST

/* Compat holds a few hundred bytes: a sealer refuses a larger message when
 * it is declared, or at the byte that passes RSA-2048's OAEP block, not at
 * final after spooling all of it. Nothing is written. */
START_TEST(compat_too_large)
{
    envelope_seal_opts *copts = seal_opts_for(ctx, &alice_pub, 1, TEST_CREATED);
    uint8_t *msg = pattern(191, 12);
    struct out o = {0};
    envelope_sealer *s = (envelope_sealer *)&o;

    ck_assert_rc(envelope_seal_opts_set_format(copts, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    assert_fails(envelope_sealer_new(ctx, copts, 191, out_write, &o, &s),
                 ENVELOPE_E_COMPAT_TOO_LARGE,
                 "the message takes 191 bytes; RSA-2048 with OAEP-SHA-256 holds at most 190");
    ck_assert_ptr_null(s);
    assert_ok(envelope_sealer_new(ctx, copts, ENVELOPE_SIZE_UNKNOWN, out_write, &o, &s), "new");
    assert_ok(envelope_sealer_update(s, msg, 100), "update");
    assert_ok(envelope_sealer_update(s, msg + 100, 90), "update to the limit");
    assert_fails(envelope_sealer_update(s, msg + 190, 1), ENVELOPE_E_COMPAT_TOO_LARGE,
                 "the message takes 191 bytes; RSA-2048 with OAEP-SHA-256 holds at most 190");
    assert_fails(envelope_sealer_final(s), ENVELOPE_E_COMPAT_TOO_LARGE, "an earlier call");
    ck_assert_msg(o.calls == 0, "%d writes", o.calls);
    envelope_sealer_free(s);
    envelope_seal_opts_free(copts);
    free(msg);
}
END_TEST

/* A KMS recipient that cannot be reached (no credentials, nothing on port
 * 1): streaming fails in new, spooling in final, v1 or compat, and write
 * is never called, since the data key is wrapped before the header is
 * written. A compat message past RSA-4096's block is refused at update,
 * before any KMS call. */
START_TEST(kms_recipient_fails_before_a_write)
{
    static const char *const unset[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "AWS_SESSION_TOKEN", "AWS_PROFILE",
                                        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS"};
    envelope_key *kms = NULL;
    envelope_seal_opts *kopts;
    uint8_t *msg = pattern(447, 13);
    struct out o = {0};
    envelope_sealer *s = NULL;
    envelope_rc rc;

    for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
        unsetenv(unset[i]);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    assert_ok(envelope_key_load(ctx, "awskms://127.0.0.1:1/alias/sealer-recipient", NULL, NULL,
                                &kms),
              "KMS key");
    kopts = seal_opts_for(ctx, &kms, 1, TEST_CREATED);
    if (_i == 2)
        ck_assert_rc(envelope_seal_opts_set_format(kopts, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    rc = envelope_sealer_new(ctx, kopts, _i == 0 ? 10 : ENVELOPE_SIZE_UNKNOWN, out_write, &o, &s);
    if (_i == 0) {
        assert_fails(rc, ENVELOPE_E_CREDENTIALS,
                     "recipient 1: KMS Encrypt alias/sealer-recipient: no AWS credentials");
        ck_assert_ptr_null(s);
    } else {
        assert_ok(rc, "new");
        if (_i == 2) {
            assert_fails(envelope_sealer_update(s, msg, 447), ENVELOPE_E_COMPAT_TOO_LARGE,
                         "the message takes 447 bytes; a compat archive holds at most 446");
            envelope_sealer_free(s);
            assert_ok(envelope_sealer_new(ctx, kopts, ENVELOPE_SIZE_UNKNOWN, out_write, &o, &s),
                      "new");
        }
        assert_ok(envelope_sealer_update(s, msg, 10), "update");
        assert_fails(envelope_sealer_final(s), ENVELOPE_E_CREDENTIALS,
                     "KMS Encrypt alias/sealer-recipient: no AWS credentials");
    }
    ck_assert_msg(o.calls == 0, "%d writes, %zu bytes", o.calls, o.b.len);
    envelope_sealer_free(s);
    envelope_seal_opts_free(kopts);
    envelope_key_free(kms);
    free(msg);
}
END_TEST

/* The other seal calls honour the maximum too, writing nothing. */
START_TEST(max_size_seal_mem)
{
    uint8_t msg[11] = "0123456789", *env = (uint8_t *)msg;
    size_t len = 99;

    ck_assert_rc(envelope_seal_opts_set_max_size(sopts, 9), ENVELOPE_OK);
    assert_fails(envelope_seal_mem(ctx, sopts, msg, 10, &env, &len), ENVELOPE_E_TOO_LARGE,
                 "the message, 10 bytes, is over the maximum of 9");
    ck_assert_ptr_null(env);
    ck_assert_uint_eq(len, 0);
    ck_assert_rc(envelope_seal_opts_set_max_size(sopts, 10), ENVELOPE_OK);
    assert_ok(envelope_seal_mem(ctx, sopts, msg, 10, &env, &len), "at the maximum");
    envelope_free(env);
    ck_assert_rc(envelope_seal_opts_set_max_size(NULL, 10), ENVELOPE_E_INVALID_ARGUMENT);
}
END_TEST

START_TEST(write_fails)
{
    size_t n = 4 * 65536;
    uint8_t *msg = pattern(n, 10);
    struct out o = {.fail_after = 2};
    envelope_sealer *s = NULL;

    assert_ok(envelope_sealer_new(ctx, sopts, n, out_write, &o, &s), "new");
    assert_fails(envelope_sealer_update(s, msg, n), ENVELOPE_E_IO, "writing the envelope");
    assert_fails(envelope_sealer_final(s), ENVELOPE_E_IO, "an earlier call");
    envelope_sealer_free(s);
    bytes_free(&o.b);
    free(msg);
}
END_TEST

/* The options are copied: freeing and changing them after new is harmless. */
START_TEST(options_copied)
{
    struct out o = {0};
    envelope_sealer *s = NULL;

    assert_ok(envelope_sealer_new(ctx, sopts, _i ? ENVELOPE_SIZE_UNKNOWN : 5, out_write, &o, &s),
              "new");
    ck_assert_rc(envelope_seal_opts_set_name(sopts, "changed"), ENVELOPE_OK);
    envelope_seal_opts_free(sopts);
    sopts = NULL;
    assert_ok(envelope_sealer_update(s, (const uint8_t *)"hello", 5), "update");
    assert_ok(envelope_sealer_final(s), "final");
    envelope_sealer_free(s);
    assert_opens(&o, (const uint8_t *)"hello", 5);
    bytes_free(&o.b);
}
END_TEST

/* Compat: spooled even with a known size; RSA-4096 holds a short message. */
START_TEST(compat_format)
{
    envelope_key *dave = load_test_key(ctx, "dave.pem");
    envelope_seal_opts *copts = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
    envelope_open_opts *dopts = open_opts_for(ctx, dave);
    struct out o = {0};
    const char *msg = "a compat message";
    uint8_t *got = NULL;
    size_t got_len = 0;
    envelope_sealer *s = NULL;

    ck_assert_rc(envelope_seal_opts_set_format(copts, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(dopts, 1), ENVELOPE_OK);
    assert_ok(envelope_sealer_new(ctx, copts, strlen(msg), out_write, &o, &s), "new");
    ck_assert_int_eq(o.calls, 0);
    assert_ok(envelope_sealer_update(s, (const uint8_t *)msg, strlen(msg)), "update");
    assert_ok(envelope_sealer_final(s), "final");
    assert_ok(envelope_open_mem(ctx, dopts, o.b.p, o.b.len, &got, &got_len, NULL), "open");
    ck_assert_uint_eq(got_len, strlen(msg));
    ck_assert_mem_eq(got, msg, got_len);
    envelope_free_secret(got, got_len);
    envelope_sealer_free(s);
    envelope_open_opts_free(dopts);
    envelope_seal_opts_free(copts);
    envelope_key_free(dave);
    bytes_free(&o.b);
}
END_TEST

START_TEST(bad_arguments)
{
    struct out o = {0};
    envelope_sealer *s = (envelope_sealer *)&o;
    envelope_seal_opts *empty = NULL;

    ck_assert_rc(envelope_sealer_new(ctx, sopts, 1, out_write, &o, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    /* No context: no detail either. */
    ck_assert_rc(envelope_sealer_new(NULL, sopts, 1, out_write, &o, &s),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_ptr_null(s);
    assert_fails(envelope_sealer_new(ctx, NULL, 1, out_write, &o, &s),
                 ENVELOPE_E_INVALID_ARGUMENT, "no context, options or write callback");
    assert_fails(envelope_sealer_new(ctx, sopts, 1, NULL, &o, &s), ENVELOPE_E_INVALID_ARGUMENT,
                 "no context, options or write callback");
    ck_assert_rc(envelope_seal_opts_new(&empty), ENVELOPE_OK);
    assert_fails(envelope_sealer_new(ctx, empty, ENVELOPE_SIZE_UNKNOWN, out_write, &o, &s),
                 ENVELOPE_E_INVALID_ARGUMENT, "no signing key");
    envelope_seal_opts_free(empty);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(o.calls, 0);
    ck_assert_rc(envelope_sealer_update(NULL, (const uint8_t *)"x", 1),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_sealer_final(NULL), ENVELOPE_E_INVALID_ARGUMENT);
    envelope_sealer_free(NULL);
    assert_ok(envelope_sealer_new(ctx, sopts, 1, out_write, &o, &s), "new");
    ck_assert_rc(envelope_sealer_update(s, NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
    /* A misuse does not spoil the sealer. */
    assert_ok(envelope_sealer_update(s, NULL, 0), "empty update");
    assert_ok(envelope_sealer_update(s, (const uint8_t *)"x", 1), "update");
    assert_ok(envelope_sealer_final(s), "final");
    envelope_sealer_free(s);
    assert_opens(&o, (const uint8_t *)"x", 1);
    bytes_free(&o.b);
}
END_TEST

START_TEST(no_recipient)
{
    struct out o = {0};
    envelope_sealer *s = NULL;
    envelope_seal_opts *none = seal_opts_for(ctx, NULL, 0, TEST_CREATED);

    assert_fails(envelope_sealer_new(ctx, none, ENVELOPE_SIZE_UNKNOWN, out_write, &o, &s),
                 ENVELOPE_E_TOO_MANY_RECIPIENTS, "no recipient");
    ck_assert_ptr_null(s);
    ck_assert_int_eq(o.calls, 0);
    envelope_seal_opts_free(none);
}
END_TEST

/* The spool lives under $TMPDIR; streaming needs no temporary file. */
START_TEST(spool_under_tmpdir)
{
    char *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    struct out o = {0};
    envelope_sealer *s = NULL;

    setenv("TMPDIR", "/nonexistent-envelope-dir", 1);
    assert_fails(envelope_sealer_new(ctx, sopts, ENVELOPE_SIZE_UNKNOWN, out_write, &o, &s),
                 ENVELOPE_E_IO, "/nonexistent-envelope-dir");
    ck_assert_ptr_null(s);
    assert_ok(envelope_sealer_new(ctx, sopts, 2, out_write, &o, &s), "streaming");
    assert_ok(envelope_sealer_update(s, (const uint8_t *)"hi", 2), "update");
    assert_ok(envelope_sealer_final(s), "final");
    envelope_sealer_free(s);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    assert_opens(&o, (const uint8_t *)"hi", 2);
    bytes_free(&o.b);
}
END_TEST

START_TEST(cancelled)
{
    struct out o = {0};
    envelope_sealer *s = NULL;
    size_t len;

    assert_ok(envelope_sealer_new(ctx, sopts, _i ? ENVELOPE_SIZE_UNKNOWN : 3, out_write, &o, &s),
              "new");
    len = o.b.len;
    envelope_cancel(ctx);
    assert_fails(envelope_sealer_update(s, (const uint8_t *)"abc", 3), ENVELOPE_E_CANCELLED,
                 "interrupted");
    assert_fails(envelope_sealer_final(s), ENVELOPE_E_CANCELLED, "interrupted");
    ck_assert_msg(o.b.len == len, "%zu bytes written once cancelled", o.b.len - len);
    envelope_sealer_free(s);
    bytes_free(&o.b);
}
END_TEST

struct progress {
    int calls;
    uint64_t done, total;
    int stop_at; /* return non-zero at this call; 0: never */
};

static int on_progress(void *arg, uint64_t done, uint64_t total)
{
    struct progress *p = arg;

    p->calls++;
    p->done = done;
    p->total = total;
    return p->stop_at && p->calls == p->stop_at;
}

START_TEST(progress)
{
    uint8_t *msg = pattern(300, 11);
    struct out o = {0};
    struct progress p = {0};
    envelope_sealer *s = NULL;

    ck_assert_rc(envelope_seal_opts_set_progress(sopts, on_progress, &p), ENVELOPE_OK);
    assert_ok(envelope_sealer_new(ctx, sopts, 300, out_write, &o, &s), "new");
    assert_ok(envelope_sealer_update(s, msg, 100), "update");
    ck_assert_msg(p.calls == 1 && p.done == 100 && p.total == 300, "calls %d, %llu of %llu",
                  p.calls, (unsigned long long)p.done, (unsigned long long)p.total);
    p.stop_at = 2;
    assert_fails(envelope_sealer_update(s, msg + 100, 200), ENVELOPE_E_CANCELLED,
                 "cancelled by the progress callback");
    envelope_sealer_free(s);
    bytes_free(&o.b);
    free(msg);
}
END_TEST

/* Armor streamed (known size) and spooled (unknown size): text lines of
 * 64 characters at most between BEGIN and END, opening to the message. */
START_TEST(armored)
{
    static const char begin[] = "-----BEGIN LIBENVELOPE ENVELOPE-----\n";
    static const char end[] = "-----END LIBENVELOPE ENVELOPE-----\n";
    size_t n = 3 * 65536 + 5, line = 0;
    uint64_t size = _i == 0 ? n : ENVELOPE_SIZE_UNKNOWN;
    uint8_t *msg = pattern(n, 5);
    struct out o = {0};
    const size_t step[] = {4099};

    ck_assert_rc(envelope_seal_opts_set_armor(sopts, 1), ENVELOPE_OK);
    seal_in_pieces(size, msg, n, step, 1, &o);
    ck_assert_msg(o.b.len > sizeof(begin) + sizeof(end) &&
                      memcmp(o.b.p, begin, strlen(begin)) == 0 &&
                      memcmp(o.b.p + o.b.len - strlen(end), end, strlen(end)) == 0,
                  "%zu bytes, not between the armor's BEGIN and END lines", o.b.len);
    for (size_t i = strlen(begin); i < o.b.len - strlen(end); i++) {
        line = o.b.p[i] == '\n' ? 0 : line + 1;
        ck_assert_msg(line <= 64, "a line over 64 characters at byte %zu", i);
    }
    assert_opens(&o, msg, n);
    bytes_free(&o.b);
    free(msg);
}
END_TEST

/* A compat envelope stays bare: refused when the sealer is made. */
START_TEST(armored_compat)
{
    envelope_sealer *s = NULL;
    struct out o = {0};

    ck_assert_rc(envelope_seal_opts_set_armor(sopts, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_format(sopts, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    assert_fails(envelope_sealer_new(ctx, sopts, 5, out_write, &o, &s),
                 ENVELOPE_E_INVALID_ARGUMENT, "armor is for v1 envelopes");
    ck_assert_msg(s == NULL && o.calls == 0, "a sealer made, or %d writes", o.calls);
}
END_TEST

/* What a compat seal refuses whatever the message, a sealer refuses when
 * made, also of a size not known yet, rather than after spooling it all. */
START_TEST(compat_refused_when_made)
{
    envelope_key *two[2] = {alice_pub, alice_pub};
    envelope_seal_opts *both = seal_opts_for(ctx, two, 2, TEST_CREATED);
    envelope_sealer *s = NULL;
    struct out o = {0};

    ck_assert_rc(envelope_seal_opts_set_format(both, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    assert_fails(envelope_sealer_new(ctx, both, ENVELOPE_SIZE_UNKNOWN, out_write, &o, &s),
                 ENVELOPE_E_INVALID_ARGUMENT,
                 "the compat format takes a signing key and exactly one recipient");
    ck_assert_msg(s == NULL && o.calls == 0, "two recipients: a sealer made, or %d writes",
                  o.calls);
    envelope_seal_opts_free(both);
}
END_TEST

static Suite *sealer_suite(void)
{
    Suite *s = suite_create("sealer");
    TCase *rt = tcase_create("round trips"), *bad = tcase_create("refusals");
    size_t n_sizes = sizeof(sizes) / sizeof(sizes[0]);

    tcase_add_checked_fixture(rt, setup, teardown);
    tcase_add_checked_fixture(bad, setup, teardown);
    tcase_add_loop_test(rt, known_size_round_trip, 0, (int)n_sizes);
    tcase_add_loop_test(rt, unknown_size_round_trip, 0, (int)n_sizes);
    tcase_add_test(rt, when_bytes_are_written);
    tcase_add_loop_test(rt, options_copied, 0, 2);
    tcase_add_test(rt, compat_format);
    tcase_add_test(bad, compat_refused_when_made);
    tcase_add_test(rt, progress);
    tcase_add_loop_test(rt, armored, 0, 2);
    tcase_add_test(bad, more_than_declared);
    tcase_add_loop_test(bad, fewer_than_declared, 0, 2);
    tcase_add_loop_test(bad, after_final, 0, 2);
    tcase_add_loop_test(bad, free_without_final, 0, 2);
    tcase_add_test(bad, max_size_declared);
    tcase_add_test(bad, max_size_spooled);
    tcase_add_test(bad, max_size_seal_mem);
    tcase_add_test(bad, compat_too_large);
    tcase_add_loop_test(bad, kms_recipient_fails_before_a_write, 0, 3);
    tcase_add_test(bad, write_fails);
    tcase_add_test(bad, bad_arguments);
    tcase_add_test(bad, no_recipient);
    tcase_add_test(bad, armored_compat);
    tcase_add_test(bad, spool_under_tmpdir);
    tcase_add_loop_test(bad, cancelled, 0, 2);
    tcase_set_timeout(rt, 60);
    tcase_set_timeout(bad, 30);
    suite_add_tcase(s, rt);
    suite_add_tcase(s, bad);
    return s;
}

int main(void)
{
    return run_suite(sealer_suite()) ? 1 : 0;
}
