/* wrap.c and the key_wrap/key_unwrap dispatch: RSA-OAEP with SHA-256,
 * MGF1-SHA-256 and an empty label, as KMS RSAES_OAEP_SHA_256 does it. */
#include <stdlib.h>
#include <string.h>

#include "keys/keys.h"
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

static const uint8_t data_key[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                     11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                     22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

/* data_key wrapped to tests/keys/alice.pub by the openssl CLI (3.0):
 *   openssl pkeyutl -encrypt -pubin -inkey alice.pub -pkeyopt rsa_padding_mode:oaep \
 *     -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in dk.bin
 * where dk.bin holds the bytes 00 01 .. 1f. */
static const char *openssl_oaep_sha256 =
    "98ede958e4984e358bf4bfbb4911fdd28dafeaf403a6491f8da5bf7e79db635f43aaae5826582f17e55971de"
    "5ee802444f1a12cc9252a62df9ece6d72f8635603f707a98f176bdd851a9a7895984301bc8ae5bacc9147a37b"
    "190d94be17e7e5dd7320ee58d817d9d7f1ee7399f850897d018d65ba579871b6eb619df2dabf0b774427d3e8a"
    "8a66f8f00194131e7998327e7331b1e04211f55ee2b1b940a8987cbc69ba2aac627bce71ff5d1a1471d448507"
    "5f9fa8f4cb31c3a34f693922a3f4aaf09b405d44c7c75bd16d0c6575ace4ec2e1b53bc7f1c66e20ee23452843"
    "705cf139f72794e008a20a1749ec864cd0ca2361b2104e6f923f59f373eddcc9b62c";

/* The same with OAEP's default SHA-1 (no rsa_oaep_md / rsa_mgf1_md): a
 * different scheme, which must not unwrap. */
static const char *openssl_oaep_sha1 =
    "5ba3662471452e1b956ea14a0c6fed43ab5d74a5f3b92c2574e0b48a0daee6f9b133a7c1f0e46ed6d8f42e1da"
    "939edd93f235c90b409e6496ce4290abec585712825d97ea32efcfdd011a6f6c1cd5cd6a85516957b14b8d17b"
    "423f75225521bca477f2016da5e505afbd44dd8e42f7eadec5233db98332b83216d79cb9dbc4260b836d85b16f"
    "7e147361b3915989f356760fdc48b8cc96e729523ecac7bf17d65c7db42f1d27aace48e26ef317293baf87add0"
    "118b6a1264f3323a2acf51d708166c5bcafd2b8d9212d2597b2b70d8c94eeb31ec5e5b522169224f5d1216b007"
    "d96288bc3b36217e63fbaa9c8238991d69b229d67cb7b296420554bab9e29c64";

static const struct {
    const char *pub, *priv;
    size_t wrapped_len;
} sizes[] = {{"alice.pub", "alice.pem", 256}, {"carol.pub", "carol.pem", 384},
             {"dave.pub", "dave.pem", 512}};

START_TEST(round_trip_each_size)
{
    envelope_key *pub = load_test_key(ctx, sizes[_i].pub);
    envelope_key *priv = load_test_key(ctx, sizes[_i].priv);
    uint8_t wrapped[WRAPPED_MAX], again[WRAPPED_MAX], out[WRAPPED_MAX];
    size_t len, len2, out_len;

    ck_assert_rc(key_wrap(ctx, pub, data_key, 32, wrapped, &len), ENVELOPE_OK);
    ck_assert_uint_eq(len, sizes[_i].wrapped_len);
    ck_assert_rc(key_unwrap(ctx, priv, wrapped, len, out, sizeof(out), &out_len), ENVELOPE_OK);
    ck_assert_uint_eq(out_len, 32);
    ck_assert_mem_eq(out, data_key, 32);
    /* OAEP is randomised: the same key wraps differently each time */
    ck_assert_rc(key_wrap(ctx, priv, data_key, 32, again, &len2), ENVELOPE_OK);
    ck_assert_uint_eq(len2, len);
    ck_assert_int_ne(memcmp(again, wrapped, len), 0);
    ck_assert_rc(key_unwrap(ctx, priv, again, len2, out, sizeof(out), &out_len), ENVELOPE_OK);
    ck_assert_mem_eq(out, data_key, 32);
    envelope_key_free(pub);
    envelope_key_free(priv);
}
END_TEST

START_TEST(unwraps_openssl_cli_ciphertext)
{
    envelope_key *alice = load_test_key(ctx, "alice.pem");
    size_t len, out_len;
    uint8_t *ct = hex_decode(openssl_oaep_sha256, &len), out[WRAPPED_MAX];

    ck_assert_uint_eq(len, 256);
    ck_assert_rc(oaep_unwrap(ctx, alice->pkey, ct, len, out, sizeof(out), &out_len),
                 ENVELOPE_OK);
    ck_assert_uint_eq(out_len, 32);
    ck_assert_mem_eq(out, data_key, 32);
    free(ct);
    ct = hex_decode(openssl_oaep_sha1, &len);
    ck_assert_rc(oaep_unwrap(ctx, alice->pkey, ct, len, out, sizeof(out), &out_len),
                 ENVELOPE_E_NOT_RECIPIENT);
    ck_assert_uint_eq(out_len, 0);
    free(ct);
    envelope_key_free(alice);
}
END_TEST

/* Every failure is one code, with the output wiped. */
START_TEST(unwrap_failures_are_not_recipient)
{
    envelope_key *alice = load_test_key(ctx, "alice.pem"), *bob = load_test_key(ctx, "bob.pem");
    envelope_key *dave = load_test_key(ctx, "dave.pem");
    uint8_t wrapped[WRAPPED_MAX], out[WRAPPED_MAX], zeros[WRAPPED_MAX] = {0};
    size_t len, out_len = 99;

    ck_assert_rc(key_wrap(ctx, alice, data_key, 32, wrapped, &len), ENVELOPE_OK);
    ck_assert_rc(key_unwrap(ctx, bob, wrapped, len, out, sizeof(out), &out_len),
                 ENVELOPE_E_NOT_RECIPIENT);
    ck_assert_uint_eq(out_len, 0);
    ck_assert_mem_eq(out, zeros, sizeof(out));
    ck_assert_rc(key_unwrap(ctx, dave, wrapped, len, out, sizeof(out), &out_len),
                 ENVELOPE_E_NOT_RECIPIENT);
    ck_assert_rc(key_unwrap(ctx, alice, wrapped, len - 1, out, sizeof(out), &out_len),
                 ENVELOPE_E_NOT_RECIPIENT);
    ck_assert_rc(key_unwrap(ctx, alice, wrapped, 0, out, sizeof(out), &out_len),
                 ENVELOPE_E_NOT_RECIPIENT);
    for (size_t i = 0; i < len; i += 37) {
        wrapped[i] ^= 0x01;
        ck_assert_rc(key_unwrap(ctx, alice, wrapped, len, out, sizeof(out), &out_len),
                     ENVELOPE_E_NOT_RECIPIENT);
        wrapped[i] ^= 0x01;
    }
    /* all ones is at least the modulus: not a ciphertext at all */
    memset(wrapped, 0xff, len);
    ck_assert_rc(key_unwrap(ctx, alice, wrapped, len, out, sizeof(out), &out_len),
                 ENVELOPE_E_NOT_RECIPIENT);
    ck_assert_mem_eq(out, zeros, sizeof(out));
    envelope_key_free(alice);
    envelope_key_free(bob);
    envelope_key_free(dave);
}
END_TEST

START_TEST(usage_checks)
{
    envelope_key *pub = load_test_key(ctx, "alice.pub");
    envelope_key *signer = load_test_key(ctx, "signer.pem");
    uint8_t wrapped[WRAPPED_MAX], out[WRAPPED_MAX];
    size_t len, out_len;

    ck_assert_rc(key_wrap(ctx, pub, data_key, 32, wrapped, &len), ENVELOPE_OK);
    ck_assert_rc(key_unwrap(ctx, pub, wrapped, len, out, sizeof(out), &out_len),
                 ENVELOPE_E_KEY_NOT_PRIVATE);
    ck_assert_rc(key_wrap(ctx, signer, data_key, 32, wrapped, &len), ENVELOPE_E_KEY_TYPE);
    ck_assert_uint_eq(len, 0);
    ck_assert_rc(key_unwrap(ctx, signer, wrapped, 256, out, sizeof(out), &out_len),
                 ENVELOPE_E_KEY_TYPE);
    ck_assert_rc(key_wrap(ctx, NULL, data_key, 32, wrapped, &len), ENVELOPE_E_INVALID_ARGUMENT);
    envelope_key_free(pub);
    envelope_key_free(signer);
}
END_TEST

static Suite *wrap_suite(void)
{
    Suite *s = suite_create("wrap");
    TCase *tc = tcase_create("oaep");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, round_trip_each_size, 0, sizeof(sizes) / sizeof(sizes[0]));
    tcase_add_test(tc, unwraps_openssl_cli_ciphertext);
    tcase_add_test(tc, unwrap_failures_are_not_recipient);
    tcase_add_test(tc, usage_checks);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(wrap_suite()) ? 1 : 0;
}
