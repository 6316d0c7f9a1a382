/* The conventions of the public API that hold across calls (every setter
 * returns an envelope_rc), the one-call seal and open, and key ARNs. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static envelope_ctx *ctx;

static void setup(void)
{
    ctx = new_ctx();
}

static void teardown(void)
{
    envelope_ctx_free(ctx);
}

static int no_progress(void *arg, uint64_t done, uint64_t total)
{
    (void)arg;
    (void)done;
    (void)total;
    return 0;
}

/* Each setter's type is checked here when the suite compiles; its result
 * on a NULL object and on a live one when it runs. */
START_TEST(setters_return_rc)
{
    envelope_rc (*seal_int[])(envelope_seal_opts *, int) = {
        envelope_seal_opts_set_hide_recipients, envelope_seal_opts_set_sync_dir};
    envelope_rc (*open_int[])(envelope_open_opts *, int) = {
        envelope_open_opts_set_allow_compat, envelope_open_opts_set_sync_dir};
    envelope_rc (*open_u64[])(envelope_open_opts *, uint64_t) = {
        envelope_open_opts_set_max_size, envelope_open_opts_set_max_age,
        envelope_open_opts_set_max_skew};
    envelope_seal_opts *so = NULL;
    envelope_open_opts *oo = NULL;

    ck_assert_rc(envelope_seal_opts_new(&so), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_new(&oo), ENVELOPE_OK);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_rc(seal_int[i](NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
        ck_assert_rc(seal_int[i](so, 1), ENVELOPE_OK);
        ck_assert_rc(open_int[i](NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
        ck_assert_rc(open_int[i](oo, 1), ENVELOPE_OK);
    }
    for (size_t i = 0; i < 3; i++) {
        ck_assert_rc(open_u64[i](NULL, 10), ENVELOPE_E_INVALID_ARGUMENT);
        ck_assert_rc(open_u64[i](oo, 10), ENVELOPE_OK);
    }
    ck_assert_rc(envelope_seal_opts_set_created(NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_seal_opts_set_created(so, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_max_size(NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_seal_opts_set_max_size(so, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_progress(NULL, no_progress, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_seal_opts_set_progress(so, no_progress, NULL), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_progress(NULL, no_progress, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_open_opts_set_progress(oo, no_progress, NULL), ENVELOPE_OK);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
}
END_TEST

/* ------------------------------------------------------------ one call */

static const char *const to_alice[] = {"tests/keys/alice.pub"};
static const char *const trust_signer[] = {"tests/keys/signer.pub"};

static void assert_fails_with(envelope_rc rc, envelope_rc want, const char *detail)
{
    ck_assert_msg(rc == want && strstr(envelope_ctx_detail(ctx), detail),
                  "got %s (%s), want %s (%s)", envelope_rc_name(rc), envelope_ctx_detail(ctx),
                  envelope_rc_name(want), detail);
}

/* Seals "hello" to alice with the given context (NULL too). */
static uint8_t *seal_hello(envelope_ctx *c, const char *name, size_t *len)
{
    uint8_t *env = NULL;
    envelope_rc rc = envelope_seal_simple(c, "tests/keys/signer.pem", to_alice, 1, name,
                                          (const uint8_t *)"hello", 5, &env, len);

    ck_assert_msg(rc == ENVELOPE_OK, "seal_simple: %s (%s)", envelope_rc_name(rc),
                  c ? envelope_ctx_detail(c) : "no context");
    return env;
}

START_TEST(simple_round_trip)
{
    envelope_ctx *c = _i ? NULL : ctx;
    size_t len = 0, msg_len = 0;
    uint8_t *env = seal_hello(c, NULL, &len), *msg = NULL;
    envelope_rc rc = envelope_open_simple(c, "tests/keys/alice.pem", trust_signer, 1, 0, env, len,
                                          &msg, &msg_len);

    ck_assert_msg(rc == ENVELOPE_OK, "open_simple: %s", envelope_rc_name(rc));
    ck_assert_uint_eq(msg_len, 5);
    ck_assert_mem_eq(msg, "hello", 5);
    envelope_free_secret(msg, msg_len);
    envelope_free(env);
}
END_TEST

/* What the simple calls build is what the option-based calls read. */
START_TEST(simple_name_and_default)
{
    envelope_key *alice = load_test_key(ctx, "alice.pem");
    envelope_open_opts *oo = open_opts_for(ctx, alice);
    envelope_result *r = NULL;
    uint8_t *out = NULL;
    size_t len = 0, out_len = 0;
    uint8_t *named = seal_hello(ctx, "report.txt", &len);

    ck_assert_rc(envelope_open_mem(ctx, oo, named, len, &out, &out_len, &r), ENVELOPE_OK);
    ck_assert_str_eq(envelope_result_name(r), "report.txt");
    envelope_result_free(r);
    envelope_free_secret(out, out_len);
    envelope_free(named);
    named = seal_hello(ctx, NULL, &len);
    ck_assert_rc(envelope_open_mem(ctx, oo, named, len, &out, &out_len, &r), ENVELOPE_OK);
    ck_assert_str_eq(envelope_result_name(r), "message");
    envelope_result_free(r);
    envelope_free_secret(out, out_len);
    envelope_free(named);
    envelope_open_opts_free(oo);
    envelope_key_free(alice);
}
END_TEST

/* Each refusal of open: its code, its detail, and no message. */
START_TEST(simple_open_refusals)
{
    static const char *const trust_other[] = {"tests/keys/other-signer.pub"};
    size_t len = 0, msg_len = 99;
    uint8_t *env = seal_hello(ctx, NULL, &len), *msg = (uint8_t *)&len;

    assert_fails_with(envelope_open_simple(ctx, "tests/keys/bob.pem", trust_signer, 1, 0, env,
                                           len, &msg, &msg_len),
                      ENVELOPE_E_NOT_RECIPIENT, "");
    ck_assert_msg(msg == NULL && msg_len == 0, "a message came out: %zu bytes", msg_len);
    assert_fails_with(envelope_open_simple(ctx, "tests/keys/alice.pem", trust_other, 1, 0, env,
                                           len, &msg, &msg_len),
                      ENVELOPE_E_UNTRUSTED_SIGNER, "");
    ck_assert_ptr_null(msg);
    assert_fails_with(envelope_open_simple(ctx, "tests/keys/alice.pem", trust_signer, 1, 4, env,
                                           len, &msg, &msg_len),
                      ENVELOPE_E_TOO_LARGE, "");
    ck_assert_ptr_null(msg);
    env[len - 1] ^= 1;
    assert_fails_with(envelope_open_simple(ctx, "tests/keys/alice.pem", trust_signer, 1, 0, env,
                                           len, &msg, &msg_len),
                      ENVELOPE_E_TAMPERED, "");
    ck_assert_ptr_null(msg);
    assert_fails_with(envelope_open_simple(ctx, "tests/keys/alice.pem", trust_signer, 0, 0, env,
                                           len, &msg, &msg_len),
                      ENVELOPE_E_INVALID_ARGUMENT, "no verify key");
    assert_fails_with(envelope_open_simple(ctx, "tests/keys/signer.pem", trust_signer, 1, 0, env,
                                           len, &msg, &msg_len),
                      ENVELOPE_E_KEY_TYPE, "decrypt key: tests/keys/signer.pem: ");
    assert_fails_with(envelope_open_simple(ctx, "tests/keys/alice.pem", to_alice, 1, 0, env, len,
                                           &msg, &msg_len),
                      ENVELOPE_E_KEY_TYPE, "verify key 1: tests/keys/alice.pub: ");
    ck_assert_ptr_null(msg);
    ck_assert_rc(envelope_open_simple(ctx, "tests/keys/alice.pem", trust_signer, 1, 0, env, len,
                                      NULL, &msg_len),
                 ENVELOPE_E_INVALID_ARGUMENT);
    envelope_free(env);
}
END_TEST

/* Each refusal of seal: its code, the detail naming the key, no output. */
START_TEST(simple_seal_refusals)
{
    static const char *const missing[] = {"tests/keys/alice.pub", "tests/keys/nobody.pub"};
    static const char *const wrong_kind[] = {"tests/keys/signer.pub"};
    static const char *const null_ref[] = {NULL};
    const uint8_t *m = (const uint8_t *)"hello";
    uint8_t *env = (uint8_t *)"untouched";
    size_t len = 99;

    assert_fails_with(envelope_seal_simple(ctx, "tests/keys/signer.pem", missing, 2, NULL, m, 5,
                                           &env, &len),
                      ENVELOPE_E_KEY_LOAD, "recipient 2: ");
    ck_assert_msg(env == NULL && len == 0, "output left: %zu bytes", len);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "nobody.pub"), "detail: %s",
                  envelope_ctx_detail(ctx));
    assert_fails_with(envelope_seal_simple(ctx, "tests/keys/signer.pub", to_alice, 1, NULL, m, 5,
                                           &env, &len),
                      ENVELOPE_E_KEY_NOT_PRIVATE, "sign key: tests/keys/signer.pub: ");
    assert_fails_with(envelope_seal_simple(ctx, "tests/keys/signer.pem", wrong_kind, 1, NULL, m,
                                           5, &env, &len),
                      ENVELOPE_E_KEY_TYPE, "recipient 1: tests/keys/signer.pub: ");
    assert_fails_with(envelope_seal_simple(ctx, "tests/keys/alice-encrypted.pem", to_alice, 1,
                                           NULL, m, 5, &env, &len),
                      ENVELOPE_E_KEY_PASSPHRASE, "sign key: ");
    assert_fails_with(envelope_seal_simple(ctx, "tests/keys/signer.pem", to_alice, 1, ".hidden",
                                           m, 5, &env, &len),
                      ENVELOPE_E_BAD_NAME, "a message name must not start with '.'");
    assert_fails_with(envelope_seal_simple(ctx, "tests/keys/signer.pem", to_alice, 0, NULL, m, 5,
                                           &env, &len),
                      ENVELOPE_E_TOO_MANY_RECIPIENTS, "no recipient");
    assert_fails_with(envelope_seal_simple(ctx, "tests/keys/signer.pem", null_ref, 1, NULL, m, 5,
                                           &env, &len),
                      ENVELOPE_E_INVALID_ARGUMENT, "recipient 1: no key reference");
    assert_fails_with(envelope_seal_simple(ctx, NULL, to_alice, 1, NULL, m, 5, &env, &len),
                      ENVELOPE_E_INVALID_ARGUMENT, "sign key: no key reference");
    ck_assert_ptr_null(env);
    ck_assert_uint_eq(len, 0);
    ck_assert_rc(envelope_seal_simple(NULL, "tests/keys/signer.pem", to_alice, 1, NULL, m, 5,
                                      &env, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    /* Without a context the code still says it. */
    ck_assert_rc(envelope_seal_simple(NULL, "tests/keys/signer.pem", missing, 2, NULL, m, 5, &env,
                                      &len),
                 ENVELOPE_E_KEY_LOAD);
    ck_assert_ptr_null(env);
}
END_TEST

/* ------------------------------------------------------------- key ARN */

#define ARN_KEY "arn:aws:kms:eu-west-3:111122223333:key/0b7c3bd8-8a3f-4b8a-9c3e-3c1f6c2d5a21"

START_TEST(key_arn_local_and_unknown)
{
    envelope_key *local = load_test_key(ctx, "alice.pem"), *by_arn = NULL, *by_alias = NULL;
    const char *arn;

    ck_assert_ptr_null(envelope_key_arn(local));
    ck_assert_ptr_null(envelope_key_arn(NULL));
    /* Loading makes no KMS call (port 1 answers nothing): a key ARN in the
     * reference is known at once, an alias's ARN only after a call. */
    setenv("AWS_REGION", "eu-west-3", 1);
    ck_assert_rc(envelope_key_load(ctx, "awskms://127.0.0.1:1/" ARN_KEY, NULL, NULL, &by_arn),
                 ENVELOPE_OK);
    ck_assert_rc(envelope_key_load(ctx, "awskms://127.0.0.1:1/alias/x", NULL, NULL, &by_alias),
                 ENVELOPE_OK);
    arn = envelope_key_arn(by_arn);
    ck_assert_msg(arn && strcmp(arn, ARN_KEY) == 0, "ARN %s", arn ? arn : "(null)");
    ck_assert_ptr_eq(envelope_key_arn(by_arn), arn); /* the same string, every time */
    ck_assert_ptr_null(envelope_key_arn(by_alias));
    envelope_key_free(by_alias);
    envelope_key_free(by_arn);
    envelope_key_free(local);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *conv = tcase_create("conventions"), *simple = tcase_create("one call");

    tcase_add_checked_fixture(conv, setup, teardown);
    tcase_add_checked_fixture(simple, setup, teardown);
    tcase_add_test(conv, setters_return_rc);
    tcase_add_test(conv, key_arn_local_and_unknown);
    tcase_add_loop_test(simple, simple_round_trip, 0, 2);
    tcase_add_test(simple, simple_name_and_default);
    tcase_add_test(simple, simple_open_refusals);
    tcase_add_test(simple, simple_seal_refusals);
    tcase_set_timeout(simple, 30);
    suite_add_tcase(s, conv);
    suite_add_tcase(s, simple);
    return s;
}

int main(void)
{
    return run_suite(api_suite()) ? 1 : 0;
}
