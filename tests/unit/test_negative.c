/* Whole envelopes that must not open, through the public API, each with
 * its exact error and nothing left behind: policy (size, age), keys,
 * options, cancellation, and envelopes forged around authentic-looking
 * payloads that break the checks after decryption (forge.h). */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "forge.h"
#include "keys/keys.h"
#include "testutil.h"

static envelope_ctx *ctx;
static envelope_key *alice, *alice_pub, *signer;
static envelope_open_opts *opts; /* alice decrypts, signer.pub trusted */
static char *scratch;

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    alice_pub = load_test_key(ctx, "alice.pub");
    signer = load_test_key(ctx, "signer.pem");
    opts = open_opts_for(ctx, alice);
    scratch = make_temp_dir();
}

static void teardown(void)
{
    rm_tree(scratch);
    free(scratch);
    envelope_open_opts_free(opts);
    envelope_key_free(signer);
    envelope_key_free(alice_pub);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

static uint8_t *seal_created(const uint8_t *msg, size_t n, time_t created, size_t *len)
{
    envelope_seal_opts *so = seal_opts_for(ctx, &alice_pub, 1, created);
    uint8_t *env;

    ck_assert_rc(envelope_seal_mem(ctx, so, msg, n, &env, len), ENVELOPE_OK);
    envelope_seal_opts_free(so);
    return env;
}

static void assert_opens(const uint8_t *env, size_t len, const envelope_open_opts *o)
{
    uint8_t *out = NULL;
    size_t out_len;
    envelope_rc rc = envelope_open_mem(ctx, o, env, len, &out, &out_len, NULL);

    ck_assert_msg(rc == ENVELOPE_OK, "%s (%s)", envelope_rc_name(rc), envelope_ctx_detail(ctx));
    envelope_free_secret(out, out_len);
}

/* ----------------------------------------------------------------- policy */

START_TEST(max_size)
{
    uint8_t *msg = pattern(1000, 1), *env;
    size_t len;

    env = seal_to_alice(ctx, msg, 1000, &len);
    ck_assert_rc(envelope_open_opts_set_max_size(opts, 999), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_LARGE, scratch, 1, "999");
    ck_assert_rc(envelope_open_opts_set_max_size(opts, 1), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_LARGE, scratch, 1, "1");
    ck_assert_rc(envelope_open_opts_set_max_size(opts, 1000), ENVELOPE_OK);
    assert_opens(env, len, opts);
    ck_assert_rc(envelope_open_opts_set_max_size(opts, 0), ENVELOPE_OK);
    assert_opens(env, len, opts);
    free(env);
    free(msg);
}
END_TEST

START_TEST(max_age)
{
    static const uint8_t msg[] = "how old";
    time_t now = time(NULL);
    size_t len;
    uint8_t *env = seal_created(msg, sizeof(msg), now - 1000, &len);

    assert_opens(env, len, opts); /* no limit by default */
    ck_assert_rc(envelope_open_opts_set_max_age(opts, 100), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 1, "1000 s > 100 s");
    ck_assert_rc(envelope_open_opts_set_max_age(opts, 5000), ENVELOPE_OK);
    assert_opens(env, len, opts);
    free(env);
}
END_TEST

/* More than 5 minutes ahead is refused with or without a maximum age. */
START_TEST(created_in_the_future)
{
    static const uint8_t msg[] = "from the future";
    time_t now = time(NULL);
    size_t len;
    uint8_t *env = seal_created(msg, sizeof(msg), now + 3600, &len);

    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 1, "an hour ahead");
    ck_assert_rc(envelope_open_opts_set_max_age(opts, 86400), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 1, "with max_age");
    free(env);
    env = seal_created(msg, sizeof(msg), now + 60, &len); /* clock skew */
    assert_opens(env, len, opts);
    free(env);
}
END_TEST

static void utc(time_t t, char out[32])
{
    struct tm tm;

    ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
    ck_assert_uint_gt(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm), 0);
}

/* The refusal of an envelope created at `created`, opened between `before`
 * and `after` by this machine's clock: the receiver's time it names must lie
 * in that range, and the rest follow from it exactly. */
static void assert_future_detail(time_t created, time_t before, time_t after, uint64_t skew)
{
    const char *detail = envelope_ctx_detail(ctx);
    char want[256], then[32], here[32], seen[32] = "";
    struct tm tm = {0};
    const char *p = strstr(detail, "clock (");
    time_t t;

    ck_assert_msg(p && sscanf(p, "clock (%20[^)])", seen) == 1, "no receiver time in '%s'",
                  detail);
    ck_assert_msg(strptime(seen, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL, "'%s' in '%s'", seen,
                  detail);
    t = timegm(&tm);
    ck_assert_msg(t >= before && t <= after, "receiver time %s outside [%lld, %lld]", seen,
                  (long long)before, (long long)after);
    utc(created, then);
    utc(t, here);
    snprintf(want, sizeof(want),
             "created %s, %lld s ahead of this machine's clock (%s); the allowed skew is %llu s",
             then, (long long)(created - t), here, (unsigned long long)skew);
    ck_assert_str_eq(detail, want);
}

/* 15 minutes ahead: refused by default saying both times, opened when the
 * receiver allows 20 minutes of skew. */
START_TEST(max_skew)
{
    static const uint8_t msg[] = "fifteen minutes early";
    time_t now = time(NULL), after;
    size_t len;
    uint8_t *env = seal_created(msg, sizeof(msg), now + 900, &len);

    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 1, "900 s ahead");
    after = time(NULL);
    assert_future_detail(now + 900, now, after, ENVELOPE_MAX_SKEW_DEFAULT);
    ck_assert_rc(envelope_open_opts_set_max_skew(opts, 600), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 1, "skew 600");
    assert_future_detail(now + 900, now, time(NULL), 600);
    ck_assert_rc(envelope_open_opts_set_max_skew(opts, 1200), ENVELOPE_OK);
    assert_opens(env, len, opts);
    /* the skew does not lift a maximum age */
    ck_assert_rc(envelope_open_opts_set_max_age(opts, 60), ENVELOPE_OK);
    assert_opens(env, len, opts);
    free(env);
}
END_TEST

START_TEST(max_skew_bounded)
{
    static const uint8_t msg[] = "a day early";
    time_t now = time(NULL);
    size_t len;
    uint8_t *env = seal_created(msg, sizeof(msg), now + 86400 + 3600, &len);

    ck_assert_rc(envelope_open_opts_set_max_skew(opts, ENVELOPE_MAX_SKEW_LIMIT + 1),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_open_opts_set_max_skew(opts, UINT64_MAX), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_open_opts_set_max_skew(NULL, 10), ENVELOPE_E_INVALID_ARGUMENT);
    /* refused values left the default in place */
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 0, "default kept");
    assert_future_detail(now + 90000, now, time(NULL), ENVELOPE_MAX_SKEW_DEFAULT);
    ck_assert_rc(envelope_open_opts_set_max_skew(opts, ENVELOPE_MAX_SKEW_LIMIT), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 1, "beyond a day");
    free(env);
    env = seal_created(msg, sizeof(msg), now + 3600, &len);
    assert_opens(env, len, opts);
    ck_assert_rc(envelope_open_opts_set_max_skew(opts, 0), ENVELOPE_OK); /* no skew at all */
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 0, "skew 0");
    free(env);
}
END_TEST

/* ------------------------------------------------------------------- keys */

START_TEST(not_recipient)
{
    static const uint8_t msg[] = "for alice only";
    envelope_key *bob = load_test_key(ctx, "bob.pem"), *dave = load_test_key(ctx, "dave.pem");
    envelope_open_opts *o = open_opts_for(ctx, bob);
    size_t len;
    uint8_t *env = seal_to_alice(ctx, msg, sizeof(msg), &len);

    assert_open_fails(ctx, o, env, len, ENVELOPE_E_NOT_RECIPIENT, scratch, 1, "bob");
    envelope_open_opts_free(o);
    o = open_opts_for(ctx, dave);
    assert_open_fails(ctx, o, env, len, ENVELOPE_E_NOT_RECIPIENT, scratch, 1, "dave");
    envelope_open_opts_free(o);
    envelope_key_free(bob);
    envelope_key_free(dave);
    free(env);
}
END_TEST

START_TEST(untrusted_signer)
{
    static const uint8_t msg[] = "who signed";
    envelope_key *other = load_test_key(ctx, "other-signer.pub");
    envelope_open_opts *o = NULL;
    size_t len;
    uint8_t *env = seal_to_alice(ctx, msg, sizeof(msg), &len);

    ck_assert_int_eq(envelope_open_opts_new(&o), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(o, alice), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(o, other), ENVELOPE_OK);
    assert_open_fails(ctx, o, env, len, ENVELOPE_E_UNTRUSTED_SIGNER, scratch, 1, "other");
    envelope_open_opts_free(o);
    envelope_key_free(other);
    free(env);
}
END_TEST

START_TEST(key_roles)
{
    envelope_key *signer_pub = load_test_key(ctx, "signer.pub");
    envelope_seal_opts *so = NULL;
    envelope_open_opts *o = NULL;

    ck_assert_int_eq(envelope_seal_opts_new(&so), ENVELOPE_OK);
    ck_assert_int_eq(envelope_open_opts_new(&o), ENVELOPE_OK);
    /* a public key where a private one is needed */
    ck_assert_rc(envelope_open_opts_set_decrypt_key(o, alice_pub), ENVELOPE_E_KEY_NOT_PRIVATE);
    ck_assert_rc(envelope_seal_opts_set_sign_key(so, signer_pub), ENVELOPE_E_KEY_NOT_PRIVATE);
    /* the wrong kind for the role */
    ck_assert_rc(envelope_open_opts_set_decrypt_key(o, signer), ENVELOPE_E_KEY_TYPE);
    ck_assert_rc(envelope_open_opts_add_trusted_key(o, alice_pub), ENVELOPE_E_KEY_TYPE);
    ck_assert_rc(envelope_seal_opts_set_sign_key(so, alice), ENVELOPE_E_KEY_TYPE);
    ck_assert_rc(envelope_seal_opts_add_recipient(so, signer_pub), ENVELOPE_E_KEY_TYPE);
    ck_assert_rc(envelope_seal_opts_add_recipient(so, NULL), ENVELOPE_E_INVALID_ARGUMENT);
    /* public keys suffice to encrypt to and to trust */
    ck_assert_rc(envelope_seal_opts_add_recipient(so, alice_pub), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(o, signer_pub), ENVELOPE_OK);
    envelope_seal_opts_free(so);
    envelope_open_opts_free(o);
    envelope_key_free(signer_pub);
}
END_TEST

START_TEST(recipient_count)
{
    envelope_seal_opts *so = NULL;
    uint8_t *env = (uint8_t *)1;
    size_t len = 1;

    ck_assert_int_eq(envelope_seal_opts_new(&so), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_sign_key(so, signer), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, (const uint8_t *)"x", 1, &env, &len),
                 ENVELOPE_E_TOO_MANY_RECIPIENTS);
    ck_assert_ptr_null(env);
    ck_assert_uint_eq(len, 0);
    for (int i = 0; i < 16; i++)
        ck_assert_rc(envelope_seal_opts_add_recipient(so, alice_pub), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_add_recipient(so, alice_pub),
                 ENVELOPE_E_TOO_MANY_RECIPIENTS);
    envelope_seal_opts_free(so);
}
END_TEST

START_TEST(missing_options)
{
    envelope_seal_opts *so = NULL;
    envelope_open_opts *o = NULL;
    uint8_t *env, *out = (uint8_t *)1;
    size_t len, out_len;

    env = seal_to_alice(ctx, (const uint8_t *)"x", 1, &len);
    ck_assert_int_eq(envelope_open_opts_new(&o), ENVELOPE_OK);
    ck_assert_rc(envelope_open_mem(ctx, o, env, len, &out, &out_len, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT); /* no decrypt key */
    ck_assert_ptr_null(out);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(o, alice), ENVELOPE_OK);
    ck_assert_rc(envelope_open_mem(ctx, o, env, len, &out, &out_len, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT); /* no trusted key */
    ck_assert_rc(envelope_open_mem(ctx, NULL, env, len, &out, &out_len, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_open_mem(ctx, opts, NULL, 5, &out, &out_len, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_open_mem(ctx, opts, env, len, NULL, &out_len, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_int_eq(envelope_seal_opts_new(&so), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_add_recipient(so, alice_pub), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, (const uint8_t *)"x", 1, &out, &out_len),
                 ENVELOPE_E_INVALID_ARGUMENT); /* no signing key */
    ck_assert_rc(envelope_seal_mem(ctx, NULL, (const uint8_t *)"x", 1, &out, &out_len),
                 ENVELOPE_E_INVALID_ARGUMENT);
    envelope_seal_opts_free(so);
    envelope_open_opts_free(o);
    free(env);
}
END_TEST

START_TEST(bad_names)
{
    static const char *bad[] = {"", ".x", "a/b", "manifest.json", "manifest.sig", "a\nb",
                                "\xc0\xaf"};
    envelope_seal_opts *so = seal_opts_for(ctx, &alice_pub, 1, TEST_CREATED);
    char long_name[300];
    uint8_t *env, *out;
    size_t len, out_len;
    envelope_result *r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_rc(envelope_seal_opts_set_name(so, bad[i]), ENVELOPE_E_BAD_NAME);
    memset(long_name, 'n', 256);
    long_name[256] = '\0';
    ck_assert_rc(envelope_seal_opts_set_name(so, long_name), ENVELOPE_E_BAD_NAME);
    long_name[255] = '\0';
    ck_assert_rc(envelope_seal_opts_set_name(so, long_name), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_name(so, ".y"), ENVELOPE_E_BAD_NAME);
    /* a refused name leaves the last good one in place */
    ck_assert_rc(envelope_seal_mem(ctx, so, (const uint8_t *)"x", 1, &env, &len), ENVELOPE_OK);
    ck_assert_rc(envelope_open_mem(ctx, opts, env, len, &out, &out_len, &r), ENVELOPE_OK);
    ck_assert_str_eq(envelope_result_name(r), long_name);
    envelope_result_free(r);
    envelope_free_secret(out, out_len);
    envelope_free(env);
    envelope_seal_opts_free(so);
}
END_TEST

/* Each refused name is blamed on the one rule it breaks, not on a list. */
START_TEST(name_rules)
{
    static const struct {
        const char *name, *rule;
    } cases[] = {
        {"", "must be 1 to 255 bytes"},
        {".env.secret", "must not start with '.'"},
        {"manifest.json", "must not start with 'manifest.' (reserved for the envelope's own files)"},
        {"a/b", "must not contain '/' or NUL"},
        {"a\x1b[2Jb", "must not contain control characters"},
        {"a\x7f", "must not contain control characters"},
        {"\xc0\xaf", "must be valid UTF-8"},
    };
    char long_name[257];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = envelope_message_name_rule(cases[i].name);

        ck_assert_msg(got != NULL && strcmp(got, cases[i].rule) == 0,
                      "case %zu: rule \"%s\", want \"%s\"", i, got ? got : "(null)",
                      cases[i].rule);
    }
    memset(long_name, 'n', 256);
    long_name[256] = '\0';
    ck_assert_str_eq(envelope_message_name_rule(long_name), "must be 1 to 255 bytes");
    long_name[255] = '\0';
    ck_assert_ptr_null(envelope_message_name_rule(long_name));
    ck_assert_ptr_null(envelope_message_name_rule("report.pdf"));
    ck_assert_ptr_null(envelope_message_name_rule("manifest"));
    ck_assert_str_eq(envelope_message_name_rule(NULL), "must not be NULL");
}
END_TEST

/* ------------------------------------------------------------- cancelling */

static int cancel_now(void *arg, uint64_t done, uint64_t total)
{
    (void)done;
    (void)total;
    ++*(int *)arg;
    return 1;
}

START_TEST(cancelled)
{
    size_t n = 300000, len;
    uint8_t *msg = pattern(n, 3), *env = (uint8_t *)1;
    envelope_seal_opts *so = seal_opts_for(ctx, &alice_pub, 1, TEST_CREATED);
    char path[4096];
    int calls = 0, in;

    ck_assert_rc(envelope_seal_opts_set_progress(so, cancel_now, &calls), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, msg, n, &env, &len), ENVELOPE_E_CANCELLED);
    ck_assert_ptr_null(env);
    ck_assert_int_eq(calls, 1);
    snprintf(path, sizeof(path), "%s/sealed", scratch);
    in = mem_fd(msg, n);
    ck_assert_rc(envelope_seal_file(ctx, so, in, path, 0), ENVELOPE_E_CANCELLED);
    ck_assert_int_eq(count_entries(scratch), 0);
    close(in);
    envelope_seal_opts_free(so);

    env = seal_to_alice(ctx, msg, n, &len);
    calls = 0;
    ck_assert_rc(envelope_open_opts_set_progress(opts, cancel_now, &calls), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_CANCELLED, scratch, 1, "open");
    ck_assert_int_eq(calls, 2);
    free(env);
    free(msg);
}
END_TEST

/* ----------------------------------------------------- forged envelopes */

static const uint8_t fmsg[] = "forged or not, that is the question";
#define FMSG_LEN (sizeof(fmsg) - 1)

/* An envelope to alice holding archive, under the header of f. */
static uint8_t *wrap_archive(struct forge *f, const uint8_t *tar, size_t tar_len, size_t *len)
{
    uint8_t *env = forge_seal(f, tar, tar_len, len);

    return env;
}

/* An envelope to alice whose manifest m the caller has shaped, signed by
 * key, around the message bytes msg/n named name. */
static uint8_t *forged(struct forge *f, const struct manifest *m, envelope_key *key,
                       const char *name, const uint8_t *msg, size_t n, size_t *len)
{
    struct bytes json, sig;
    size_t tar_len;
    uint8_t *tar, *env;

    forge_sign(ctx, m, key, &json, &sig);
    tar = forge_bundle(name, msg, n, &json, &sig, &tar_len);
    env = wrap_archive(f, tar, tar_len, len);
    bytes_free(&json);
    bytes_free(&sig);
    free(tar);
    return env;
}

/* The forger itself makes envelopes that open: the failures below are the
 * changes made to them, not the forger. */
START_TEST(forged_control)
{
    struct forge f;
    struct manifest m;
    size_t len;
    uint8_t *env;

    forge_begin(ctx, &f, alice_pub, NULL);
    forge_manifest(ctx, &f, signer, "fmsg", fmsg, FMSG_LEN, &m);
    env = forged(&f, &m, signer, "fmsg", fmsg, FMSG_LEN, &len);
    assert_opens(env, len, opts);
    free(env);
    forge_free(&f);
}
END_TEST

/* Surreptitious forwarding: bob opens what the signer sent him and
 * re-encrypts the signed archive, unchanged, to alice. */
START_TEST(forwarded)
{
    envelope_key *bob = load_test_key(ctx, "bob.pub");
    struct forge to_bob, to_alice;
    struct manifest m;
    struct bytes json, sig;
    size_t tar_len, len;
    uint8_t *tar, *env;

    forge_begin(ctx, &to_bob, bob, NULL);
    forge_manifest(ctx, &to_bob, signer, "fmsg", fmsg, FMSG_LEN, &m);
    forge_sign(ctx, &m, signer, &json, &sig);
    tar = forge_bundle("fmsg", fmsg, FMSG_LEN, &json, &sig, &tar_len);
    forge_begin(ctx, &to_alice, alice_pub, NULL);
    env = wrap_archive(&to_alice, tar, tar_len, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_FORWARDED, scratch, 1, "forwarded");
    free(env);
    /* with a hidden label, too */
    forge_free(&to_alice);
    forge_begin(ctx, &to_alice, alice_pub, "");
    env = wrap_archive(&to_alice, tar, tar_len, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_FORWARDED, scratch, 1, "hidden");
    free(env);
    bytes_free(&json);
    bytes_free(&sig);
    free(tar);
    forge_free(&to_alice);
    forge_free(&to_bob);
    envelope_key_free(bob);
}
END_TEST

START_TEST(message_mismatch)
{
    struct forge f;
    struct manifest m;
    size_t len;
    uint8_t *env;

    forge_begin(ctx, &f, alice_pub, NULL);
    /* another name */
    forge_manifest(ctx, &f, signer, "other", fmsg, FMSG_LEN, &m);
    env = forged(&f, &m, signer, "fmsg", fmsg, FMSG_LEN, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_MESSAGE_MISMATCH, scratch, 1, "name");
    free(env);
    /* another size */
    forge_manifest(ctx, &f, signer, "fmsg", fmsg, FMSG_LEN, &m);
    m.size = FMSG_LEN + 1;
    env = forged(&f, &m, signer, "fmsg", fmsg, FMSG_LEN, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_MESSAGE_MISMATCH, scratch, 1, "size");
    free(env);
    /* other contents of the same size */
    forge_manifest(ctx, &f, signer, "fmsg", fmsg, FMSG_LEN, &m);
    m.sha512[0] = m.sha512[0] == '0' ? '1' : '0';
    env = forged(&f, &m, signer, "fmsg", fmsg, FMSG_LEN, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_MESSAGE_MISMATCH, scratch, 1, "sha512");
    free(env);
    forge_free(&f);
}
END_TEST

START_TEST(bad_signatures)
{
    envelope_key *other = load_test_key(ctx, "other-signer.pem");
    struct forge f;
    struct manifest m;
    struct bytes json, sig;
    size_t len, tar_len;
    uint8_t *env, *tar;

    forge_begin(ctx, &f, alice_pub, NULL);
    forge_manifest(ctx, &f, signer, "fmsg", fmsg, FMSG_LEN, &m);
    /* signed by a key nobody trusts, claiming to be the signer */
    env = forged(&f, &m, other, "fmsg", fmsg, FMSG_LEN, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_UNTRUSTED_SIGNER, scratch, 1, "other");
    free(env);
    /* the right signature, one bit off */
    forge_sign(ctx, &m, signer, &json, &sig);
    sig.p[sig.len / 2] ^= 0x10;
    tar = forge_bundle("fmsg", fmsg, FMSG_LEN, &json, &sig, &tar_len);
    env = wrap_archive(&f, tar, tar_len, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_UNTRUSTED_SIGNER, scratch, 1, "flipped");
    free(env);
    free(tar);
    /* an empty manifest.sig */
    sig.len = 0;
    tar = forge_bundle("fmsg", fmsg, FMSG_LEN, &json, &sig, &tar_len);
    env = wrap_archive(&f, tar, tar_len, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_UNTRUSTED_SIGNER, scratch, 1, "empty");
    free(env);
    free(tar);
    bytes_free(&json);
    bytes_free(&sig);
    forge_free(&f);
    envelope_key_free(other);
}
END_TEST

/* Signed by the trusted key, yet not a manifest this library writes. */
START_TEST(bad_manifest)
{
    struct forge f;
    struct manifest m;
    struct bytes json, sig, odd = {0};
    uint8_t s[SIG_MAX], *tar, *env;
    size_t n, tar_len, len;

    forge_begin(ctx, &f, alice_pub, NULL);
    forge_manifest(ctx, &f, signer, "fmsg", fmsg, FMSG_LEN, &m);
    forge_sign(ctx, &m, signer, &json, &sig);
    /* the same values with one space: not canonical */
    ck_assert_int_eq(bytes_append(&odd, json.p, json.len - 1), 0);
    ck_assert_int_eq(bytes_append(&odd, " }", 2), 0);
    ck_assert_rc(key_sign(ctx, signer, odd.p, odd.len, s, &n), ENVELOPE_OK);
    sig.len = 0;
    ck_assert_int_eq(bytes_append(&sig, s, n), 0);
    tar = forge_bundle("fmsg", fmsg, FMSG_LEN, &odd, &sig, &tar_len);
    env = wrap_archive(&f, tar, tar_len, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_BAD_MANIFEST, scratch, 1, "space");
    free(env);
    free(tar);
    /* an empty manifest, signed */
    odd.len = 0;
    ck_assert_rc(key_sign(ctx, signer, odd.p, 0, s, &n), ENVELOPE_OK);
    sig.len = 0;
    ck_assert_int_eq(bytes_append(&sig, s, n), 0);
    tar = forge_bundle("fmsg", fmsg, FMSG_LEN, &odd, &sig, &tar_len);
    env = wrap_archive(&f, tar, tar_len, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_BAD_MANIFEST, scratch, 1, "empty");
    free(env);
    free(tar);
    bytes_free(&odd);
    bytes_free(&json);
    bytes_free(&sig);
    forge_free(&f);
}
END_TEST

START_TEST(forged_in_the_future)
{
    struct forge f;
    struct manifest m;
    size_t len;
    uint8_t *env;

    forge_begin(ctx, &f, alice_pub, NULL);
    forge_manifest(ctx, &f, signer, "fmsg", fmsg, FMSG_LEN, &m);
    m.created = time(NULL) + 86400;
    env = forged(&f, &m, signer, "fmsg", fmsg, FMSG_LEN, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_OLD, scratch, 1, "tomorrow");
    free(env);
    forge_free(&f);
}
END_TEST

/* Archives that break the entry rules, inside payloads that authenticate. */
START_TEST(bad_archives_inside)
{
    struct forge f;
    struct manifest m;
    struct bytes json, sig;
    size_t len, tar_len;
    uint8_t *env, *tar;

    forge_begin(ctx, &f, alice_pub, NULL);
    forge_manifest(ctx, &f, signer, "fmsg", fmsg, FMSG_LEN, &m);
    forge_sign(ctx, &m, signer, &json, &sig);
    {
        struct tar_entry e[] = {
            {"fmsg", NULL, 0, AE_IFLNK, "/etc/passwd", 0},
            {"manifest.json", json.p, json.len, 0, NULL, 0},
            {"manifest.sig", sig.p, sig.len, 0, NULL, 0},
            {"extra", fmsg, 3, 0, NULL, 0},
        };
        static const struct {
            int format, gzip;
            size_t first, n;
            const char *what;
        } cases[] = {
            {ARCHIVE_FORMAT_TAR_USTAR, 0, 0, 3, "symlink"},
            {ARCHIVE_FORMAT_TAR_USTAR, 0, 1, 3, "fourth entry"},
            {ARCHIVE_FORMAT_TAR_USTAR, 1, 1, 2, "gzip'd"},
            {ARCHIVE_FORMAT_TAR_GNUTAR, 0, 1, 2, "GNU tar"},
            {ARCHIVE_FORMAT_ZIP, 0, 1, 2, "zip"},
        };

        e[0].type = AE_IFLNK;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct tar_entry ee[4] = {e[0], e[1], e[2], e[3]};

            if (cases[i].first)
                ee[0] = (struct tar_entry){"fmsg", fmsg, FMSG_LEN, 0, NULL, 0};
            tar = forge_tar(cases[i].format, cases[i].gzip, ee,
                            cases[i].first ? cases[i].n + 1 : cases[i].n, &tar_len);
            env = wrap_archive(&f, tar, tar_len, &len);
            assert_open_fails(ctx, opts, env, len, ENVELOPE_E_BAD_ARCHIVE, scratch, 1,
                              cases[i].what);
            free(env);
            free(tar);
        }
    }
    /* a non-zero byte after the end-of-archive marker */
    tar = forge_bundle("fmsg", fmsg, FMSG_LEN, &json, &sig, &tar_len);
    tar = realloc(tar, tar_len + 600);
    memset(tar + tar_len, 0, 600);
    tar[tar_len + 599] = 0x01;
    env = wrap_archive(&f, tar, tar_len + 600, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_BAD_ARCHIVE, scratch, 1, "after end");
    free(env);
    /* zeros there are fine */
    tar[tar_len + 599] = 0;
    env = wrap_archive(&f, tar, tar_len + 600, &len);
    assert_opens(env, len, opts);
    free(env);
    free(tar);
    bytes_free(&json);
    bytes_free(&sig);
    forge_free(&f);
}
END_TEST

/* The first failing step names the error (FORMAT.md, "Opening, in order"): the size
 * limit holds before the signature is looked at, the archive rules before
 * the signature, the signature before the manifest's claims. */
START_TEST(first_failure_wins)
{
    envelope_key *other = load_test_key(ctx, "other-signer.pem");
    envelope_key *bob = load_test_key(ctx, "bob.pub");
    struct forge f, to_bob;
    struct manifest m;
    struct bytes json, sig;
    size_t len, tar_len;
    uint8_t *env, *tar;

    forge_begin(ctx, &f, alice_pub, NULL);
    forge_begin(ctx, &to_bob, bob, NULL);
    /* forwarded and signed by an untrusted key: the signature first */
    forge_manifest(ctx, &to_bob, signer, "other", fmsg, FMSG_LEN, &m);
    env = forged(&f, &m, other, "fmsg", fmsg, FMSG_LEN, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_UNTRUSTED_SIGNER, scratch, 1, "sig");
    /* ... and over the size limit: that comes first of all */
    ck_assert_rc(envelope_open_opts_set_max_size(opts, 10), ENVELOPE_OK);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_TOO_LARGE, scratch, 1, "size");
    ck_assert_rc(envelope_open_opts_set_max_size(opts, 0), ENVELOPE_OK);
    free(env);
    /* forwarded, and the name differs: forwarded first */
    env = forged(&f, &m, signer, "fmsg", fmsg, FMSG_LEN, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_FORWARDED, scratch, 1, "forwarded");
    free(env);
    /* untrusted signer inside an archive with a fourth entry: archive first */
    forge_sign(ctx, &m, other, &json, &sig);
    {
        struct tar_entry e[] = {
            {"fmsg", fmsg, FMSG_LEN, 0, NULL, 0},
            {"manifest.json", json.p, json.len, 0, NULL, 0},
            {"manifest.sig", sig.p, sig.len, 0, NULL, 0},
            {"extra", fmsg, 3, 0, NULL, 0},
        };
        tar = forge_tar(ARCHIVE_FORMAT_TAR_USTAR, 0, e, 4, &tar_len);
    }
    env = wrap_archive(&f, tar, tar_len, &len);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_BAD_ARCHIVE, scratch, 1, "archive");
    free(env);
    free(tar);
    bytes_free(&json);
    bytes_free(&sig);
    forge_free(&f);
    forge_free(&to_bob);
    envelope_key_free(bob);
    envelope_key_free(other);
}
END_TEST

static Suite *negative_suite(void)
{
    Suite *s = suite_create("negative");
    TCase *policy = tcase_create("policy"), *keys = tcase_create("keys and options"),
          *forge = tcase_create("forged");

    tcase_add_checked_fixture(policy, setup, teardown);
    tcase_add_checked_fixture(keys, setup, teardown);
    tcase_add_checked_fixture(forge, setup, teardown);
    tcase_add_test(policy, max_size);
    tcase_add_test(policy, max_age);
    tcase_add_test(policy, max_skew);
    tcase_add_test(policy, max_skew_bounded);
    tcase_add_test(policy, created_in_the_future);
    tcase_add_test(policy, cancelled);
    tcase_add_test(keys, not_recipient);
    tcase_add_test(keys, untrusted_signer);
    tcase_add_test(keys, key_roles);
    tcase_add_test(keys, recipient_count);
    tcase_add_test(keys, missing_options);
    tcase_add_test(keys, bad_names);
    tcase_add_test(keys, name_rules);
    tcase_add_test(forge, forged_control);
    tcase_add_test(forge, forwarded);
    tcase_add_test(forge, message_mismatch);
    tcase_add_test(forge, bad_signatures);
    tcase_add_test(forge, bad_manifest);
    tcase_add_test(forge, forged_in_the_future);
    tcase_add_test(forge, bad_archives_inside);
    tcase_add_test(forge, first_failure_wins);
    tcase_set_timeout(policy, 30);
    tcase_set_timeout(keys, 30);
    tcase_set_timeout(forge, 30);
    suite_add_tcase(s, policy);
    suite_add_tcase(s, keys);
    suite_add_tcase(s, forge);
    return s;
}

int main(void)
{
    return run_suite(negative_suite()) ? 1 : 0;
}
