/* Sealing in the compat format (docs/COMPAT.md): the message is bounded by
 * the recipient's OAEP block before a byte of it is read, also when the
 * recipient is a KMS key whose size is not known yet; every refusal is
 * ENVELOPE_E_COMPAT_TOO_LARGE with the size and the limit, and leaves no
 * output. No KMS server here: a refusal that came after a KMS call would
 * fail with no credentials instead. */
/* RAND_set_rand_method: the one way to make the library's RAND_bytes fail. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* Never contacted: nothing listens on port 1, and no credentials are set. */
#define KMS_RECIPIENT "awskms://127.0.0.1:1/alias/compat-recipient"

static envelope_ctx *ctx;

static void setup(void)
{
    static const char *const unset[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "AWS_SESSION_TOKEN", "AWS_PROFILE",
                                        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS"};

    for (size_t i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
        unsetenv(unset[i]);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ctx = new_ctx();
}

static void teardown(void)
{
    envelope_ctx_free(ctx);
}

static envelope_key *load_kms_recipient(void)
{
    envelope_key *key = NULL;

    ck_assert_rc(envelope_key_load(ctx, KMS_RECIPIENT, NULL, NULL, &key), ENVELOPE_OK);
    ck_assert_uint_eq(envelope_key_bits(key), 0);
    return key;
}

static envelope_seal_opts *compat_opts(envelope_key *to)
{
    envelope_seal_opts *opts = seal_opts_for(ctx, &to, 1, TEST_CREATED);

    ck_assert_rc(envelope_seal_opts_set_format(opts, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    return opts;
}

static void assert_detail_has(const char *want)
{
    const char *d = envelope_ctx_detail(ctx);

    ck_assert_msg(strstr(d, want) != NULL, "detail \"%s\" lacks \"%s\"", d, want);
}

/* Seals n bytes to `to` from memory and from a regular file, and asserts
 * both fail with COMPAT_TOO_LARGE, the detail holding want, and no output. */
static void assert_too_large(envelope_key *to, size_t n, const char *want)
{
    envelope_seal_opts *opts = compat_opts(to);
    uint8_t *msg = pattern(n, 7), *out = (uint8_t *)"untouched";
    size_t out_len = 12345, written;
    int in_fd = mem_fd(msg, n), out_fd = mem_fd(NULL, 0);
    uint8_t *rest;

    ck_assert_rc(envelope_seal_mem(ctx, opts, msg, n, &out, &out_len),
                 ENVELOPE_E_COMPAT_TOO_LARGE);
    assert_detail_has(want);
    ck_assert_msg(out == NULL && out_len == 0, "seal_mem left output: %p, %zu bytes",
                  (void *)out, out_len);
    ck_assert_rc(envelope_seal_fd(ctx, opts, in_fd, out_fd), ENVELOPE_E_COMPAT_TOO_LARGE);
    assert_detail_has(want);
    rest = fd_contents(out_fd, &written);
    ck_assert_msg(written == 0, "seal_fd wrote %zu bytes", written);
    free(rest);
    close(in_fd);
    close(out_fd);
    free(msg);
    envelope_seal_opts_free(opts);
}

struct counted {
    const uint8_t *p;
    size_t len, given;
};

static ssize_t counted_read(void *arg, uint8_t *buf, size_t len)
{
    struct counted *c = arg;
    size_t n = c->len - c->given < len ? c->len - c->given : len;

    memcpy(buf, c->p + c->given, n);
    c->given += n;
    return (ssize_t)n;
}

static int no_write(void *arg, const uint8_t *buf, size_t len)
{
    (void)buf;
    *(size_t *)arg += len;
    return 0;
}

/* The crash this guards against: a KMS recipient's size is 0 until KMS has
 * answered, and the limit bits / 8 - 66 wrapped, so the whole message went
 * into a 512-byte stack buffer. */
START_TEST(kms_recipient_of_unknown_size_bounds_the_message)
{
    envelope_key *to = load_kms_recipient();
    envelope_seal_opts *opts = compat_opts(to);
    uint8_t *msg = pattern(5000, 3);
    struct counted in = {msg, 5000, 0};
    size_t written = 0;

    assert_too_large(to, 5000,
                     "the message takes 5000 bytes; a compat archive holds at most 446, with an "
                     "RSA-4096 recipient");
    /* The callbacks: refused before a byte is asked for. */
    ck_assert_rc(envelope_seal_cb(ctx, opts, 5000, counted_read, &in, no_write, &written),
                 ENVELOPE_E_COMPAT_TOO_LARGE);
    ck_assert_msg(in.given == 0 && written == 0, "read %zu bytes, wrote %zu", in.given,
                  written);
    ck_assert_uint_eq(envelope_key_bits(to), 0);
    free(msg);
    envelope_seal_opts_free(opts);
    envelope_key_free(to);
}
END_TEST

/* RSA-4096's 446 bytes bound a message to a KMS key of unknown size: 447
 * is refused unread, 446 is read and its archive refused, both before any
 * KMS call (which, with no credentials, would fail otherwise). */
START_TEST(kms_recipient_of_unknown_size_at_the_limit)
{
    envelope_key *to = load_kms_recipient();

    assert_too_large(to, 447, "the message takes 447 bytes; a compat archive holds at most 446");
    assert_too_large(to, 446, "the compat archive with a placeholder signature takes ");
    assert_detail_has("bytes; a compat archive holds at most 446, with an RSA-4096 recipient");
    envelope_key_free(to);
}
END_TEST

START_TEST(local_rsa4096_at_the_limit)
{
    envelope_key *dave = load_test_key(ctx, "dave.pub");

    assert_too_large(dave, 447, "the message takes 447 bytes; RSA-4096 with OAEP-SHA-256 holds "
                                "at most 446");
    assert_too_large(dave, 446, "the compat archive with a placeholder signature takes ");
    assert_detail_has("bytes; RSA-4096 with OAEP-SHA-256 holds at most 446");
    envelope_key_free(dave);
}
END_TEST

START_TEST(local_rsa2048_at_the_limit)
{
    envelope_key *alice = load_test_key(ctx, "alice.pub");

    assert_too_large(alice, 191, "the message takes 191 bytes; RSA-2048 with OAEP-SHA-256 holds "
                                 "at most 190");
    /* Even an empty message's archive (about 273 bytes) exceeds RSA-2048. */
    assert_too_large(alice, 190, "the compat archive with a placeholder signature takes ");
    assert_detail_has("bytes; RSA-2048 with OAEP-SHA-256 holds at most 190");
    assert_too_large(alice, 0, "the compat archive with a placeholder signature takes ");
    envelope_key_free(alice);
}
END_TEST

/* What fits still seals, and opens to the same bytes. */
START_TEST(local_rsa4096_small_message_round_trips)
{
    static const uint8_t msg[] = "{\"order\": 1, \"note\": \"a small compat message\"}\n";
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_key *dave_priv = load_test_key(ctx, "dave.pem");
    envelope_seal_opts *so = compat_opts(dave);
    envelope_open_opts *oo = open_opts_for(ctx, dave_priv);
    envelope_result *r = NULL;
    uint8_t *env = NULL, *back = NULL;
    size_t env_len = 0, back_len = 0;
    envelope_rc rc;

    rc = envelope_seal_mem(ctx, so, msg, sizeof(msg) - 1, &env, &env_len);
    ck_assert_msg(rc == ENVELOPE_OK, "seal: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_uint_eq(env_len, 512);
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    rc = envelope_open_mem(ctx, oo, env, env_len, &back, &back_len, &r);
    ck_assert_msg(rc == ENVELOPE_OK, "open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_uint_eq(back_len, sizeof(msg) - 1);
    ck_assert_mem_eq(back, msg, back_len);
    ck_assert_int_eq(envelope_result_format(r), ENVELOPE_FORMAT_COMPAT);
    envelope_result_free(r);
    envelope_free_secret(back, back_len);
    envelope_free(env);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    envelope_key_free(dave_priv);
    envelope_key_free(dave);
}
END_TEST

/* An empty message seals and opens: a message entry of size 0, no data. */
START_TEST(empty_message_round_trips)
{
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_key *dave_priv = load_test_key(ctx, "dave.pem");
    envelope_seal_opts *so = compat_opts(dave);
    envelope_open_opts *oo = open_opts_for(ctx, dave_priv);
    envelope_result *r = NULL;
    uint8_t *env = NULL, *back = (uint8_t *)"untouched";
    size_t env_len = 0, back_len = 12345;
    envelope_rc rc;

    rc = envelope_seal_mem(ctx, so, NULL, 0, &env, &env_len);
    ck_assert_msg(rc == ENVELOPE_OK, "seal: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_uint_eq(env_len, 512);
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    rc = envelope_open_mem(ctx, oo, env, env_len, &back, &back_len, &r);
    ck_assert_msg(rc == ENVELOPE_OK, "open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_uint_eq(back_len, 0);
    ck_assert_uint_eq(envelope_result_size(r), 0);
    ck_assert_int_eq(envelope_result_format(r), ENVELOPE_FORMAT_COMPAT);
    envelope_result_free(r);
    envelope_free_secret(back, back_len);
    envelope_free(env);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    envelope_key_free(dave_priv);
    envelope_key_free(dave);
}
END_TEST

/* A name longer than a plain ustar name field holds is refused before the
 * key is used; 100 bytes still seal and open under that name. */
START_TEST(name_up_to_100_bytes)
{
    static const uint8_t msg[] = "short";
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_key *dave_priv = load_test_key(ctx, "dave.pem");
    envelope_seal_opts *so = compat_opts(dave);
    envelope_open_opts *oo = open_opts_for(ctx, dave_priv);
    envelope_result *r = NULL;
    uint8_t *env = NULL, *back = NULL;
    size_t env_len = 0, back_len = 0;
    char name[102];

    memset(name, 'n', 101);
    name[101] = '\0';
    ck_assert_rc(envelope_seal_opts_set_name(so, name), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, msg, sizeof(msg) - 1, &env, &env_len),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_str_eq(envelope_ctx_detail(ctx),
                     "the compat format's tar holds names of at most 100 bytes, and this one "
                     "has 101: give a shorter name, or use the default format");
    ck_assert_ptr_null(env);
    ck_assert_uint_eq(env_len, 0);
    name[100] = '\0';
    ck_assert_rc(envelope_seal_opts_set_name(so, name), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, msg, sizeof(msg) - 1, &env, &env_len), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_open_mem(ctx, oo, env, env_len, &back, &back_len, &r), ENVELOPE_OK);
    ck_assert_str_eq(envelope_result_name(r), name);
    ck_assert_mem_eq(back, msg, back_len);
    envelope_result_free(r);
    envelope_free_secret(back, back_len);
    envelope_free(env);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    envelope_key_free(dave_priv);
    envelope_key_free(dave);
}
END_TEST

/* A compat envelope carries no creation time: a maximum age is refused
 * before a key is used (a KMS key would cost a Decrypt call for an envelope
 * refused either way); a maximum size, which needs the decrypted message,
 * after. Each leaves no output. */
START_TEST(open_limits_refuse_with_no_output)
{
    static const uint8_t msg[] = "hi";
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_key *dave_priv = load_test_key(ctx, "dave.pem");
    envelope_key *kms = load_kms_recipient();
    envelope_seal_opts *so = compat_opts(dave);
    envelope_open_opts *oo = open_opts_for(ctx, dave_priv);
    envelope_open_opts *kms_oo = open_opts_for(ctx, kms);
    uint8_t *env = NULL;
    size_t env_len = 0;
    char *scratch = make_temp_dir();

    ck_assert_rc(envelope_seal_mem(ctx, so, msg, sizeof(msg) - 1, &env, &env_len), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(kms_oo, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_max_age(oo, 60), ENVELOPE_OK);
    assert_open_fails(ctx, oo, env, env_len, ENVELOPE_E_TOO_OLD, scratch, 1, "max_age, local");
    assert_detail_has("a compat envelope carries no creation time, so its age cannot be "
                      "checked against the maximum of 60 seconds");
    /* No credentials and nothing on port 1: a KMS call would fail otherwise. */
    ck_assert_rc(envelope_open_opts_set_max_age(kms_oo, 60), ENVELOPE_OK);
    assert_open_fails(ctx, kms_oo, env, env_len, ENVELOPE_E_TOO_OLD, scratch, 1, "max_age, KMS");
    assert_detail_has("carries no creation time");
    ck_assert_rc(envelope_open_opts_set_max_age(oo, 0), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_max_size(oo, 1), ENVELOPE_OK);
    assert_open_fails(ctx, oo, env, env_len, ENVELOPE_E_TOO_LARGE, scratch, 1, "max_size 1");
    assert_detail_has("message of 2 bytes; the limit is 1");
    rm_tree(scratch);
    free(scratch);
    envelope_free(env);
    envelope_open_opts_free(kms_oo);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    envelope_key_free(kms);
    envelope_key_free(dave_priv);
    envelope_key_free(dave);
}
END_TEST

static int rand_fails(unsigned char *buf, int num)
{
    (void)buf;
    (void)num;
    return 0;
}

/* A random generator that fails is a failure, not an empty envelope. */
START_TEST(failing_random_is_an_error)
{
    static const RAND_METHOD failing = {.bytes = rand_fails, .pseudorand = rand_fails};
    static const uint8_t msg[] = "short";
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_seal_opts *so = compat_opts(dave);
    uint8_t *env = NULL;
    size_t env_len = 0;
    envelope_rc rc;

    ck_assert(RAND_set_rand_method(&failing) == 1);
    rc = envelope_seal_mem(ctx, so, msg, sizeof(msg) - 1, &env, &env_len);
    ck_assert(RAND_set_rand_method(RAND_OpenSSL()) == 1);
    ck_assert_msg(rc == ENVELOPE_E_INTERNAL, "seal: %s (%s), %zu bytes out",
                  envelope_rc_name(rc), envelope_ctx_detail(ctx), env_len);
    assert_detail_has("random");
    ck_assert_ptr_null(env);
    ck_assert_uint_eq(env_len, 0);
    envelope_seal_opts_free(so);
    envelope_key_free(dave);
}
END_TEST

static Suite *compat_suite(void)
{
    Suite *s = suite_create("compat");
    TCase *seal = tcase_create("seal");

    tcase_add_checked_fixture(seal, setup, teardown);
    tcase_add_test(seal, kms_recipient_of_unknown_size_bounds_the_message);
    tcase_add_test(seal, kms_recipient_of_unknown_size_at_the_limit);
    tcase_add_test(seal, local_rsa4096_at_the_limit);
    tcase_add_test(seal, local_rsa2048_at_the_limit);
    tcase_add_test(seal, local_rsa4096_small_message_round_trips);
    tcase_add_test(seal, empty_message_round_trips);
    tcase_add_test(seal, name_up_to_100_bytes);
    tcase_add_test(seal, failing_random_is_an_error);
    tcase_add_test(seal, open_limits_refuse_with_no_output);
    tcase_set_timeout(seal, 30);
    suite_add_tcase(s, seal);
    return s;
}

int main(void)
{
    return run_suite(compat_suite()) ? 1 : 0;
}
