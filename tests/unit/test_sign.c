/* sign.c and the key_sign/key_verify dispatch: ECDSA P-521 with SHA-512,
 * DER signatures, interchangeable with `openssl dgst -sha512 -sign`. */
#include <openssl/evp.h>
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

/* The message and its signature by tests/keys/signer.pem, made with the
 * openssl CLI (3.0):
 *   printf 'libenvelope signature fixture\n' > msg.txt
 *   openssl dgst -sha512 -sign signer.pem -out msg.sig msg.txt
 * (139 bytes: the longest DER form). The second was made with -sha256. */
static const char fixture_msg[] = "libenvelope signature fixture\n";
static const char *fixture_sig_sha512 =
    "308188024201d485668efae02d8094fb3aa95c6bb6258f1dbaf052621a2c4cef198673672603c321d5a51c54d"
    "8369e4c0a3ae940e8fdf73d305b303e2f52e76069cd5e20f8a9e8024201736d76d1aae07a7a5bc66f4961b495"
    "6cfc9800ca597a892a1b8e373a33889e851073fad8cbef4c54480b5b471ab80bfe5f852a0f74ea74b83bd3e36"
    "cb6204da3b5";
static const char *fixture_sig_sha256 =
    "3081880242015021f27da24c1040063a948470d29dec266679d7f1d9e44eaa52eee876deba11075101384b62d"
    "c3785837712a943077028d8d7ffc82294005166a8b977617dd93b02420192182ec8147c5359a58e614828f9be"
    "7ae4263aeacf4e153bfb473a12cd0ae3afb565cd5cffacafc9b6ae2743d40c9ee3710dcefec1fbf39f960d521e"
    "1b1a69e13c";

#define MSG ((const uint8_t *)fixture_msg)
#define MSG_LEN (sizeof(fixture_msg) - 1)

START_TEST(openssl_cli_signature_verifies)
{
    envelope_key *pub = load_test_key(ctx, "signer.pub");
    envelope_key *other = load_test_key(ctx, "other-signer.pub");
    size_t len;
    uint8_t *sig = hex_decode(fixture_sig_sha512, &len);

    ck_assert_uint_eq(len, SIG_MAX);
    ck_assert_rc(key_verify(ctx, pub, MSG, MSG_LEN, sig, len), ENVELOPE_OK);
    ck_assert_rc(key_verify(ctx, other, MSG, MSG_LEN, sig, len), ENVELOPE_E_UNTRUSTED_SIGNER);
    ck_assert_rc(key_verify(ctx, pub, MSG, MSG_LEN - 1, sig, len), ENVELOPE_E_UNTRUSTED_SIGNER);
    free(sig);
    /* signed over SHA-256 of the same message: not this scheme */
    sig = hex_decode(fixture_sig_sha256, &len);
    ck_assert_rc(key_verify(ctx, pub, MSG, MSG_LEN, sig, len), ENVELOPE_E_UNTRUSTED_SIGNER);
    free(sig);
    envelope_key_free(pub);
    envelope_key_free(other);
}
END_TEST

/* What we sign, OpenSSL verifies as `openssl dgst -sha512 -verify` does. */
START_TEST(sign_then_verify)
{
    envelope_key *priv = load_test_key(ctx, "signer.pem");
    envelope_key *pub = load_test_key(ctx, "signer.pub");
    uint8_t sig[SIG_MAX], sig2[SIG_MAX];
    size_t len, len2;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    ck_assert_rc(key_sign(ctx, priv, MSG, MSG_LEN, sig, &len), ENVELOPE_OK);
    ck_assert_uint_le(len, SIG_MAX);
    ck_assert_uint_ge(len, 8);
    ck_assert_uint_eq(sig[0], 0x30); /* a DER SEQUENCE */
    ck_assert_rc(key_verify(ctx, pub, MSG, MSG_LEN, sig, len), ENVELOPE_OK);
    ck_assert_rc(key_verify(ctx, priv, MSG, MSG_LEN, sig, len), ENVELOPE_OK);
    ck_assert_int_eq(EVP_DigestVerifyInit_ex(md, NULL, "SHA512", NULL, NULL, pub->pkey, NULL), 1);
    ck_assert_int_eq(EVP_DigestVerify(md, sig, len, MSG, MSG_LEN), 1);
    /* ECDSA is randomised */
    ck_assert_rc(key_sign(ctx, priv, MSG, MSG_LEN, sig2, &len2), ENVELOPE_OK);
    ck_assert(len != len2 || memcmp(sig, sig2, len) != 0);
    /* empty messages sign too */
    ck_assert_rc(key_sign(ctx, priv, MSG, 0, sig, &len), ENVELOPE_OK);
    ck_assert_rc(key_verify(ctx, pub, MSG, 0, sig, len), ENVELOPE_OK);
    EVP_MD_CTX_free(md);
    envelope_key_free(priv);
    envelope_key_free(pub);
}
END_TEST

/* A bad signature of any shape is UNTRUSTED_SIGNER, never a crash or an
 * internal error. */
START_TEST(bad_signatures)
{
    envelope_key *pub = load_test_key(ctx, "signer.pub");
    size_t len;
    uint8_t *sig = hex_decode(fixture_sig_sha512, &len);

    for (size_t i = 0; i < len; i++) {
        sig[i] ^= 0x04;
        ck_assert_msg(key_verify(ctx, pub, MSG, MSG_LEN, sig, len) ==
                          ENVELOPE_E_UNTRUSTED_SIGNER,
                      "byte %zu flipped", i);
        sig[i] ^= 0x04;
    }
    ck_assert_rc(key_verify(ctx, pub, MSG, MSG_LEN, sig, len - 1), ENVELOPE_E_UNTRUSTED_SIGNER);
    ck_assert_rc(key_verify(ctx, pub, MSG, MSG_LEN, sig, 0), ENVELOPE_E_UNTRUSTED_SIGNER);
    ck_assert_rc(key_verify(ctx, pub, MSG, MSG_LEN, (const uint8_t *)"\x30\x00", 2),
                 ENVELOPE_E_UNTRUSTED_SIGNER);
    free(sig);
    envelope_key_free(pub);
}
END_TEST

START_TEST(usage_checks)
{
    envelope_key *pub = load_test_key(ctx, "signer.pub");
    envelope_key *rsa = load_test_key(ctx, "alice.pem");
    uint8_t sig[SIG_MAX];
    size_t len = 99;

    ck_assert_rc(key_sign(ctx, pub, MSG, MSG_LEN, sig, &len), ENVELOPE_E_KEY_NOT_PRIVATE);
    ck_assert_uint_eq(len, 0);
    ck_assert_rc(key_sign(ctx, rsa, MSG, MSG_LEN, sig, &len), ENVELOPE_E_KEY_TYPE);
    ck_assert_rc(key_verify(ctx, rsa, MSG, MSG_LEN, sig, 10), ENVELOPE_E_KEY_TYPE);
    ck_assert_rc(key_sign(ctx, NULL, MSG, MSG_LEN, sig, &len), ENVELOPE_E_INVALID_ARGUMENT);
    envelope_key_free(pub);
    envelope_key_free(rsa);
}
END_TEST

static Suite *sign_suite(void)
{
    Suite *s = suite_create("sign");
    TCase *tc = tcase_create("ecdsa");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, openssl_cli_signature_verifies);
    tcase_add_test(tc, sign_then_verify);
    tcase_add_test(tc, bad_signatures);
    tcase_add_test(tc, usage_checks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(sign_suite()) ? 1 : 0;
}
