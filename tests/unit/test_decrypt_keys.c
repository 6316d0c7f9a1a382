/* Several decryption keys on one open: the key a label names, local keys
 * before KMS keys, the detail when none opens, and the setter that keeps
 * replacing the list. The KMS call budget is counted on the KMS test server
 * in tests/kms/run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* A KMS key whose every call fails at once (nothing listens on port 1): a
 * tripwire that turns any KMS call into an error other than
 * NOT_RECIPIENT. */
#define TRIPWIRE "awskms://127.0.0.1:1/arn:aws:kms:us-east-1:111122223333:key/tripwire"

static envelope_ctx *ctx;
static envelope_key *alice, *bob, *carol, *tripwire;
static char *scratch;

static void setup(void)
{
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret", 1);
    ctx = new_ctx();
    ck_assert_rc(envelope_ctx_set_kms_max_attempts(ctx, 1), ENVELOPE_OK);
    alice = load_test_key(ctx, "alice.pem");
    bob = load_test_key(ctx, "bob.pem");
    carol = load_test_key(ctx, "carol.pem");
    ck_assert_rc(envelope_key_load(ctx, TRIPWIRE, NULL, NULL, &tripwire), ENVELOPE_OK);
    scratch = make_temp_dir();
}

static void teardown(void)
{
    rm_tree(scratch);
    free(scratch);
    envelope_key_free(tripwire);
    envelope_key_free(carol);
    envelope_key_free(bob);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

static uint8_t *seal_to(envelope_key *to, int hide, const uint8_t *msg, size_t n, size_t *len)
{
    envelope_seal_opts *opts = seal_opts_for(ctx, &to, 1, TEST_CREATED);
    uint8_t *env = NULL;

    ck_assert_rc(envelope_seal_opts_set_hide_recipients(opts, hide), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, opts, msg, n, &env, len), ENVELOPE_OK);
    envelope_seal_opts_free(opts);
    return env;
}

/* Open options with keys[0] set and the others added, in that order. */
static envelope_open_opts *opts_with(envelope_key **keys, size_t n)
{
    envelope_open_opts *opts = open_opts_for(ctx, keys[0]);

    for (size_t i = 1; i < n; i++)
        ck_assert_rc(envelope_open_opts_add_decrypt_key(opts, keys[i]), ENVELOPE_OK);
    return opts;
}

static void assert_opens_to(const envelope_open_opts *opts, const uint8_t *env, size_t len,
                            const uint8_t *msg, size_t msg_len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    envelope_rc rc = envelope_open_mem(ctx, opts, env, len, &out, &out_len, NULL);

    ck_assert_msg(rc == ENVELOPE_OK, "open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_uint_eq(out_len, msg_len);
    ck_assert_mem_eq(out, msg, msg_len);
    envelope_free_secret(out, out_len);
}

/* _i: 0 labelled, 1 hidden. The second key is the recipient. */
START_TEST(second_local_key_opens)
{
    static const uint8_t msg[] = "for bob";
    envelope_key *keys[] = {alice, bob};
    size_t len;
    uint8_t *env = seal_to(bob, _i, msg, sizeof(msg), &len);
    envelope_open_opts *opts = opts_with(keys, 2);

    assert_opens_to(opts, env, len, msg, sizeof(msg));
    envelope_open_opts_free(opts);
    free(env);
}
END_TEST

/* A KMS key given first is still tried after the local keys: the local
 * key opens and KMS is never called (the tripwire would fail the open). */
START_TEST(local_keys_before_kms)
{
    static const uint8_t msg[] = "no KMS call";
    envelope_key *keys[] = {tripwire, alice, bob};
    size_t len;
    uint8_t *env = seal_to(bob, _i, msg, sizeof(msg), &len);
    envelope_open_opts *opts = opts_with(keys, 3);
    envelope_open_opts *kms_only = open_opts_for(ctx, tripwire);
    uint8_t *out = NULL;
    size_t out_len = 0;
    envelope_rc rc;

    assert_opens_to(opts, env, len, msg, sizeof(msg));
    /* The tripwire does fail when called: a network error, no output. */
    rc = envelope_open_mem(ctx, kms_only, env, len, &out, &out_len, NULL);
    ck_assert_msg(rc == ENVELOPE_E_NETWORK && out == NULL, "tripwire alone: %s (%s)",
                  envelope_rc_name(rc), envelope_ctx_detail(ctx));
    envelope_open_opts_free(kms_only);
    envelope_open_opts_free(opts);
    free(env);
}
END_TEST

/* A stanza labelled for carol that carol cannot open (bob's wrapped key
 * under carol's label): the KMS key, which cannot tell from a fingerprint
 * label, is not tried on it; without the rule it would be, and the
 * tripwire's error would come out instead of NOT_RECIPIENT. */
START_TEST(label_sends_stanza_to_its_key)
{
    static const uint8_t msg[] = "labelled for bob";
    envelope_key *keys[] = {carol, tripwire};
    char bob_fp[ENVELOPE_FINGERPRINT_SIZE], carol_fp[ENVELOPE_FINGERPRINT_SIZE];
    size_t len;
    uint8_t *env = seal_to(bob, 0, msg, sizeof(msg), &len), *label;
    envelope_open_opts *opts = opts_with(keys, 2);

    ck_assert_rc(envelope_key_fingerprint(ctx, bob, bob_fp), ENVELOPE_OK);
    ck_assert_rc(envelope_key_fingerprint(ctx, carol, carol_fp), ENVELOPE_OK);
    label = memmem(env, len, bob_fp, strlen(bob_fp));
    ck_assert_ptr_nonnull(label);
    memcpy(label, carol_fp, strlen(carol_fp));
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_NOT_RECIPIENT, scratch, 1,
                      "carol's label on bob's stanza");
    ck_assert_str_eq(envelope_ctx_detail(ctx),
                     "no recipient stanza opens with any of the 2 decryption keys");
    envelope_open_opts_free(opts);
    free(env);
}
END_TEST

/* _i: 0 labelled, 1 hidden. Neither key is a recipient. */
START_TEST(none_opens)
{
    static const uint8_t msg[] = "for carol";
    envelope_key *keys[] = {alice, bob};
    size_t len;
    uint8_t *env = seal_to(carol, _i, msg, sizeof(msg), &len);
    envelope_open_opts *opts = opts_with(keys, 2);

    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_NOT_RECIPIENT, scratch, 1, "alice, bob");
    ck_assert_str_eq(envelope_ctx_detail(ctx),
                     "no recipient stanza opens with any of the 2 decryption keys");
    envelope_open_opts_free(opts);
    free(env);
}
END_TEST

/* The compat format's one ciphertext: local keys first, the KMS key after
 * them (never reached here), none opening is NOT_RECIPIENT with the count. */
START_TEST(compat_several_keys)
{
    static const uint8_t msg[] = "compat for dave";
    envelope_key *dave = load_test_key(ctx, "dave.pem"); /* RSA-4096: the archive fits */
    envelope_key *opening[] = {tripwire, alice, dave}, *closed[] = {alice, carol};
    envelope_seal_opts *so = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
    envelope_open_opts *yes = opts_with(opening, 3), *no = opts_with(closed, 2);
    uint8_t *env = NULL;
    size_t len = 0;

    ck_assert_rc(envelope_seal_opts_set_format(so, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, msg, sizeof(msg), &env, &len), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(yes, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(no, 1), ENVELOPE_OK);
    assert_opens_to(yes, env, len, msg, sizeof(msg));
    assert_open_fails(ctx, no, env, len, ENVELOPE_E_NOT_RECIPIENT, scratch, 1, "compat");
    ck_assert_str_eq(envelope_ctx_detail(ctx),
                     "the compat envelope opens with none of the 2 decryption keys");
    envelope_free(env);
    envelope_open_opts_free(no);
    envelope_open_opts_free(yes);
    envelope_seal_opts_free(so);
    envelope_key_free(dave);
}
END_TEST

/* The setter replaces whatever was set or added with its one key. */
START_TEST(setter_replaces_the_list)
{
    static const uint8_t msg[] = "for bob";
    envelope_key *keys[] = {alice, bob};
    size_t len;
    uint8_t *env = seal_to(bob, 1, msg, sizeof(msg), &len);
    envelope_open_opts *opts = opts_with(keys, 2);
    char fp[ENVELOPE_FINGERPRINT_SIZE], want[128];

    ck_assert_rc(envelope_open_opts_set_decrypt_key(opts, carol), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_NOT_RECIPIENT, scratch, 1, "carol");
    ck_assert_rc(envelope_key_fingerprint(ctx, carol, fp), ENVELOPE_OK);
    snprintf(want, sizeof(want), "no recipient stanza opens with key %s", fp);
    ck_assert_str_eq(envelope_ctx_detail(ctx), want);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(opts, bob), ENVELOPE_OK);
    assert_opens_to(opts, env, len, msg, sizeof(msg));
    envelope_open_opts_free(opts);
    free(env);
}
END_TEST

START_TEST(add_refuses)
{
    envelope_key *pub = load_test_key(ctx, "alice.pub");
    envelope_key *signer = load_test_key(ctx, "signer.pem");
    envelope_open_opts *opts = NULL;

    ck_assert_rc(envelope_open_opts_new(&opts), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_decrypt_key(NULL, alice), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_open_opts_add_decrypt_key(opts, NULL), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_open_opts_add_decrypt_key(opts, pub), ENVELOPE_E_KEY_NOT_PRIVATE);
    ck_assert_rc(envelope_open_opts_add_decrypt_key(opts, signer), ENVELOPE_E_KEY_TYPE);
    for (int i = 0; i < 16; i++)
        ck_assert_rc(envelope_open_opts_add_decrypt_key(opts, i % 2 ? alice : bob),
                     ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_decrypt_key(opts, carol), ENVELOPE_E_INVALID_ARGUMENT);
    envelope_open_opts_free(opts);
    envelope_key_free(signer);
    envelope_key_free(pub);
}
END_TEST

static Suite *decrypt_keys_suite(void)
{
    Suite *s = suite_create("decrypt_keys");
    TCase *tc = tcase_create("keys");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, second_local_key_opens, 0, 2);
    tcase_add_loop_test(tc, local_keys_before_kms, 0, 2);
    tcase_add_test(tc, label_sends_stanza_to_its_key);
    tcase_add_loop_test(tc, none_opens, 0, 2);
    tcase_add_test(tc, compat_several_keys);
    tcase_add_test(tc, setter_replaces_the_list);
    tcase_add_test(tc, add_refuses);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(decrypt_keys_suite()) ? 1 : 0;
}
