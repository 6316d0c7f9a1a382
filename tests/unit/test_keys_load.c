/* keys_load.c: files holding several keys, EC PARAMETERS blocks, and the
 * errors for files that mix a private key with others or hold other
 * blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* `openssl ecparam -name secp521r1` and `-name prime256v1` (named curves). */
#define PARAMS_P521 "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIw==\n-----END EC PARAMETERS-----\n"
#define PARAMS_P256 "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"

static envelope_ctx *ctx;
static char *dir;

static void setup(void)
{
    ctx = new_ctx();
    dir = make_temp_dir();
}

static void teardown(void)
{
    rm_tree(dir);
    free(dir);
    envelope_ctx_free(ctx);
}

/* dir/NAME holding the concatenation of the parts: a name in tests/keys/
 * (no newline in it) or literal text (with one); returns the path. */
static const char *make_file(const char *name, const char *const *parts, size_t n)
{
    static char path[4096];
    char *all = NULL;
    size_t all_len = 0, len;
    FILE *mem = open_memstream(&all, &all_len);

    ck_assert_ptr_nonnull(mem);
    for (size_t i = 0; i < n; i++) {
        if (strchr(parts[i], '\n')) {
            fputs(parts[i], mem);
        } else {
            uint8_t *p = read_file(key_path(parts[i]), &len);

            fwrite(p, 1, len, mem);
            free(p);
        }
    }
    ck_assert_int_eq(fclose(mem), 0);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    write_file(path, (const uint8_t *)all, all_len);
    free(all);
    return path;
}

static void fingerprint_of(envelope_key *key, char fp[ENVELOPE_FINGERPRINT_SIZE])
{
    ck_assert_rc(envelope_key_fingerprint(ctx, key, fp), ENVELOPE_OK);
}

static void assert_same_key(envelope_key *key, const char *name)
{
    envelope_key *want = load_test_key(ctx, name);
    char a[ENVELOPE_FINGERPRINT_SIZE], b[ENVELOPE_FINGERPRINT_SIZE];

    fingerprint_of(key, a);
    fingerprint_of(want, b);
    ck_assert_msg(strcmp(a, b) == 0, "key is %s, %s is %s", a, name, b);
    envelope_key_free(want);
}

/* keys_load on path fails with want, no keys out, the detail naming the
 * file and containing each of the given words. */
static void assert_refused(const char *path, envelope_rc want, const char *w1, const char *w2)
{
    envelope_key **keys = (envelope_key **)1;
    size_t n = 99;
    const char *detail;

    ck_assert_rc(envelope_keys_load(ctx, path, NULL, NULL, &keys, &n), want);
    ck_assert_ptr_null(keys);
    ck_assert_uint_eq(n, 0);
    detail = envelope_ctx_detail(ctx);
    ck_assert_msg(strstr(detail, path) != NULL, "detail '%s' does not name %s", detail, path);
    ck_assert_msg(strstr(detail, w1) != NULL, "detail '%s' lacks '%s'", detail, w1);
    ck_assert_msg(w2 == NULL || strstr(detail, w2) != NULL, "detail '%s' lacks '%s'", detail,
                  w2);
}

START_TEST(every_key_of_a_file)
{
    static const char *const team[] = {"alice.pub", "bob.pub", "carol.pub"};
    const char *path = make_file("team.pub", team, 3);
    envelope_key **keys = NULL, *one = (envelope_key *)1;
    size_t n = 0;

    ck_assert_rc(envelope_keys_load(ctx, path, NULL, NULL, &keys, &n), ENVELOPE_OK);
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(envelope_key_get_kind(keys[i]), ENVELOPE_KEY_ENCRYPTION);
        assert_same_key(keys[i], team[i]); /* in file order */
    }
    envelope_keys_free(keys, n);
    /* The one-key calls refuse rather than take the first. */
    ck_assert_rc(envelope_key_load(ctx, path, NULL, NULL, &one), ENVELOPE_E_KEY_LOAD);
    ck_assert_ptr_null(one);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "3 keys where one is needed"), "detail: %s",
                  envelope_ctx_detail(ctx));
}
END_TEST

static int give_passphrase(void *arg, char *buf, size_t size)
{
    size_t n = strlen(arg);

    if (n > size)
        return -1;
    memcpy(buf, arg, n);
    return (int)n;
}

START_TEST(one_key_files_give_one)
{
    static const char *const names[] = {"signer.pem", "signer.der", "alice.pub.der",
                                        "alice-encrypted.pem"};
    char pass[] = "correct horse battery staple"; /* tests/keys/passphrase.txt */

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        envelope_key **keys = NULL;
        size_t n = 0;

        ck_assert_rc(envelope_keys_load(ctx, key_path(names[i]), give_passphrase, pass, &keys,
                                        &n),
                     ENVELOPE_OK);
        ck_assert_uint_eq(n, 1);
        assert_same_key(keys[0], i < 2 ? "signer.pub" : "alice.pub");
        envelope_keys_free(keys, n);
    }
}
END_TEST

START_TEST(ec_parameters_of_p521_skipped)
{
    static const char *const priv[] = {PARAMS_P521, "signer.pem"};
    static const char *const pub[] = {PARAMS_P521, "signer.pub"};
    envelope_key *key = NULL;

    /* What `openssl ecparam -name secp521r1 -genkey` writes. */
    ck_assert_rc(envelope_key_load(ctx, make_file("k.pem", priv, 2), NULL, NULL, &key),
                 ENVELOPE_OK);
    ck_assert_int_eq(envelope_key_is_private(key), 1);
    assert_same_key(key, "signer.pem");
    envelope_key_free(key);
    ck_assert_rc(envelope_key_load(ctx, make_file("k.pub", pub, 2), NULL, NULL, &key),
                 ENVELOPE_OK);
    ck_assert_int_eq(envelope_key_is_private(key), 0);
    assert_same_key(key, "signer.pub");
    envelope_key_free(key);
}
END_TEST

START_TEST(ec_parameters_of_another_curve)
{
    static const char *const parts[] = {PARAMS_P256, "signer.pem"};

    assert_refused(make_file("p256.pem", parts, 2), ENVELOPE_E_KEY_TYPE, "block 1", "P-521");
}
END_TEST

START_TEST(private_key_mixed_with_others)
{
    static const char *const after[] = {"alice.pub", "signer.pem"};
    static const char *const before[] = {"signer.pem", "bob.pub"};
    static const char *const two[] = {"alice.pem", "bob.pem"};

    assert_refused(make_file("after.pem", after, 2), ENVELOPE_E_KEY_LOAD, "block 2",
                   "private key (block 2)");
    assert_refused(make_file("before.pem", before, 2), ENVELOPE_E_KEY_LOAD, "block 2",
                   "private key (block 1)");
    assert_refused(make_file("two.pem", two, 2), ENVELOPE_E_KEY_LOAD, "block 2",
                   "private key (block 1)");
}
END_TEST

START_TEST(other_blocks_refused)
{
    static const char *const cert[] = {
        "alice.pub", "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"};
    static const char *const damaged[] = {
        "alice.pub", "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n"};
    static const char *const bad_key[] = {
        "alice.pub", "bob.pub", "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"};
    static const char *const none[] = {PARAMS_P521};

    assert_refused(make_file("cert.pub", cert, 2), ENVELOPE_E_KEY_LOAD, "block 2",
                   "\"CERTIFICATE\" block, not a key");
    assert_refused(make_file("damaged.pub", damaged, 2), ENVELOPE_E_KEY_LOAD, "block 2",
                   "damaged");
    assert_refused(make_file("bad.pub", bad_key, 3), ENVELOPE_E_KEY_LOAD, "block 3", NULL);
    assert_refused(make_file("none.pem", none, 1), ENVELOPE_E_KEY_LOAD, "no key", NULL);
}
END_TEST

/* The 16-recipient limit counts keys: 16 from one file and one more from
 * another make 17. */
START_TEST(recipient_limit_counts_keys)
{
    static const char *const sixteen[] = {
        "alice.pub", "bob.pub", "carol.pub", "dave.pub", "alice.pub", "bob.pub",
        "carol.pub", "dave.pub", "alice.pub", "bob.pub", "carol.pub", "dave.pub",
        "alice.pub", "bob.pub", "carol.pub", "dave.pub"};
    envelope_key **keys = NULL, *one = NULL;
    envelope_seal_opts *opts = NULL;
    size_t n = 0;

    ck_assert_rc(envelope_keys_load(ctx, make_file("16.pub", sixteen, 16), NULL, NULL, &keys,
                                    &n),
                 ENVELOPE_OK);
    ck_assert_uint_eq(n, 16);
    ck_assert_rc(envelope_seal_opts_new(&opts), ENVELOPE_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_rc(envelope_seal_opts_add_recipient(opts, keys[i]), ENVELOPE_OK);
    one = load_test_key(ctx, "alice.pub");
    ck_assert_rc(envelope_seal_opts_add_recipient(opts, one), ENVELOPE_E_TOO_MANY_RECIPIENTS);
    envelope_key_free(one);
    envelope_seal_opts_free(opts);
    envelope_keys_free(keys, n);
}
END_TEST

/* A KMS reference is one key, and loading it calls nobody. */
START_TEST(kms_reference_is_one_key)
{
    envelope_key **keys = NULL;
    size_t n = 0;

    ck_assert_rc(envelope_keys_load(ctx, "awskms:///arn:aws:kms:eu-west-1:111122223333:key/"
                                    "1234abcd-12ab-34cd-56ef-1234567890ab", NULL, NULL, &keys,
                                    &n),
                 ENVELOPE_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(envelope_key_get_kind(keys[0]), 0); /* not asked yet */
    envelope_keys_free(keys, n);
    ck_assert_rc(envelope_keys_load(ctx, "awskms://", NULL, NULL, &keys, &n),
                 ENVELOPE_E_KEY_REF);
    ck_assert_ptr_null(keys);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(arguments)
{
    envelope_key **keys = (envelope_key **)1;
    size_t n = 99;

    ck_assert_rc(envelope_keys_load(ctx, NULL, NULL, NULL, &keys, &n),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_keys_load(ctx, key_path("alice.pub"), NULL, NULL, NULL, &n),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_keys_load(ctx, key_path("alice.pub"), NULL, NULL, &keys, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_keys_load(ctx, "no-such.pub", NULL, NULL, &keys, &n),
                 ENVELOPE_E_KEY_LOAD);
    ck_assert_ptr_null(keys);
    ck_assert_uint_eq(n, 0);
    envelope_keys_free(NULL, 0);
    envelope_keys_free(NULL, 3);
}
END_TEST

/* A directory opens with fopen(); only reading it fails. */
START_TEST(directory_refused)
{
    envelope_key *one = (envelope_key *)1;

    assert_refused(dir, ENVELOPE_E_KEY_LOAD, "is a directory, not a key file", NULL);
    ck_assert_rc(envelope_key_load(ctx, dir, NULL, NULL, &one), ENVELOPE_E_KEY_LOAD);
    ck_assert_ptr_null(one);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "is a directory") != NULL, "detail '%s'",
                  envelope_ctx_detail(ctx));
}
END_TEST

/* A device that never ends, as a key file: refused at the bound, not read
 * for ever; an empty file is no key. */
START_TEST(endless_and_empty_refused)
{
    static const char *const nothing[] = {""};

    assert_refused("/dev/zero", ENVELOPE_E_KEY_LOAD, "larger than any key file", NULL);
    assert_refused(make_file("empty.pem", nothing, 0), ENVELOPE_E_KEY_LOAD, "empty key", NULL);
}
END_TEST

static Suite *keys_load_suite(void)
{
    Suite *s = suite_create("keys_load");
    TCase *tc = tcase_create("load");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_key_of_a_file);
    tcase_add_test(tc, one_key_files_give_one);
    tcase_add_test(tc, ec_parameters_of_p521_skipped);
    tcase_add_test(tc, ec_parameters_of_another_curve);
    tcase_add_test(tc, private_key_mixed_with_others);
    tcase_add_test(tc, other_blocks_refused);
    tcase_add_test(tc, recipient_limit_counts_keys);
    tcase_add_test(tc, kms_reference_is_one_key);
    tcase_add_test(tc, arguments);
    tcase_add_test(tc, directory_refused);
    tcase_add_test(tc, endless_and_empty_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(keys_load_suite()) ? 1 : 0;
}
