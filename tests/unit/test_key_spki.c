/* key_spki.c: the SPKI built without OpenSSL's encoders is i2d_PUBKEY's,
 * byte for byte, for every key it builds, and it declines every other key
 * (which then takes i2d_PUBKEY itself). Fingerprints are hashes of these
 * bytes: a single differing byte would change every key's identity. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keys.h"
#include "testutil.h"

/* First bytes of a DER, in hex, for failure messages. */
static const char *hex_head(const unsigned char *p, int n)
{
    static char out[2 * 24 + 1];
    int i;

    out[0] = '\0';
    for (i = 0; p != NULL && i < n && i < 24; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    return out;
}

/* key_spki_build must make exactly i2d_PUBKEY's bytes. */
static void assert_built_like_i2d(EVP_PKEY *pkey, const char *what)
{
    unsigned char *built = NULL, *ref = NULL;
    int n = key_spki_build(pkey, &built), want = i2d_PUBKEY(pkey, &ref);

    ck_assert_msg(want > 0, "%s: i2d_PUBKEY failed (%d)", what, want);
    ck_assert_msg(n > 0, "%s: not built (%d); i2d_PUBKEY gives %d bytes %s...", what, n, want,
                  hex_head(ref, want));
    ck_assert_msg(n == want && memcmp(built, ref, (size_t)n) == 0,
                  "%s: built %d bytes %s..., i2d_PUBKEY %d bytes %s...", what, n,
                  hex_head(built, n), want, hex_head(ref, want));
    OPENSSL_free(built);
    OPENSSL_free(ref);
}

/* A declined key gets no bytes, and key_spki_der still gives i2d_PUBKEY's. */
static void assert_declined(EVP_PKEY *pkey, const char *what)
{
    unsigned char *built = NULL, *der = NULL, *ref = NULL;
    int n = key_spki_build(pkey, &built), got = key_spki_der(pkey, &der),
        want = i2d_PUBKEY(pkey, &ref);

    ck_assert_msg(n == 0 && built == NULL, "%s: built %d bytes %s..., want it declined", what,
                  n, hex_head(built, n));
    ck_assert_msg(want > 0 && got == want && memcmp(der, ref, (size_t)got) == 0,
                  "%s: key_spki_der %d bytes %s..., i2d_PUBKEY %d bytes %s...", what, got,
                  hex_head(der, got), want, hex_head(ref, want));
    OPENSSL_free(built);
    OPENSSL_free(der);
    OPENSSL_free(ref);
}

static EVP_PKEY *read_private(const char *name)
{
    FILE *f = fopen(key_path(name), "r");
    EVP_PKEY *pkey;

    ck_assert_msg(f != NULL, "cannot open %s", key_path(name));
    pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_msg(pkey != NULL, "%s: not a private key", name);
    return pkey;
}

static EVP_PKEY *fresh_p521(void)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");

    ck_assert_msg(pkey != NULL, "P-521 key generation failed");
    return pkey;
}

START_TEST(fixed_keys_match_i2d)
{
    /* Every accepted key of tests/keys, private and public, PEM and DER. */
    static const char *const names[] = {
        "signer.pem", "signer.pub",  "signer.der", "signer-traditional.pem", "other-signer.pem",
        "other-signer.pub", "alice.pem", "alice.pub", "alice.pub.der", "bob.pem", "bob.pub",
        "carol.pem", "carol.pub", "dave.pem", "dave.pub"};
    envelope_ctx *ctx = new_ctx();

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        envelope_key *key = load_test_key(ctx, names[i]);

        assert_built_like_i2d(key->pkey, names[i]);
        envelope_key_free(key);
    }
    envelope_ctx_free(ctx);
}
END_TEST

START_TEST(fresh_keys_match_i2d)
{
    /* 65537 and 3 as exponents: INTEGERs of three bytes and of one. */
    static const unsigned exponents[] = {65537, 3};
    char what[64];

    for (int i = 0; i < 8; i++) {
        EVP_PKEY *pkey = fresh_p521();

        snprintf(what, sizeof(what), "fresh P-521 key %d", i);
        assert_built_like_i2d(pkey, what);
        EVP_PKEY_free(pkey);
    }
    for (size_t i = 0; i < sizeof(exponents) / sizeof(exponents[0]); i++) {
        EVP_PKEY_CTX *gen = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        EVP_PKEY *pkey = NULL;
        BIGNUM *e = BN_new();

        ck_assert(gen != NULL && e != NULL && BN_set_word(e, exponents[i]) == 1);
        ck_assert(EVP_PKEY_keygen_init(gen) == 1 &&
                  EVP_PKEY_CTX_set_rsa_keygen_bits(gen, 2048) == 1 &&
                  EVP_PKEY_CTX_set1_rsa_keygen_pubexp(gen, e) == 1 &&
                  EVP_PKEY_generate(gen, &pkey) == 1);
        snprintf(what, sizeof(what), "fresh RSA-2048 key, e = %u", exponents[i]);
        assert_built_like_i2d(pkey, what);
        EVP_PKEY_free(pkey);
        EVP_PKEY_CTX_free(gen);
        BN_free(e);
    }
}
END_TEST

START_TEST(other_keys_declined)
{
    EVP_PKEY *pkey;

    pkey = read_private("p256.pem");
    assert_declined(pkey, "P-256 key");
    EVP_PKEY_free(pkey);
    pkey = read_private("ed25519.pem");
    assert_declined(pkey, "Ed25519 key");
    EVP_PKEY_free(pkey);

    /* P-521, but shown as a compressed point: i2d_PUBKEY writes that. */
    pkey = fresh_p521();
    ck_assert(EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                             OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED) ==
              1);
    assert_declined(pkey, "P-521 key, compressed point");
    EVP_PKEY_free(pkey);

    /* P-521 with the curve's parameters spelled out instead of named. */
    pkey = fresh_p521();
    ck_assert(EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING,
                                             OSSL_PKEY_EC_ENCODING_EXPLICIT) == 1);
    assert_declined(pkey, "P-521 key, explicit parameters");
    EVP_PKEY_free(pkey);
}
END_TEST

static Suite *key_spki_suite(void)
{
    Suite *s = suite_create("key_spki");
    TCase *tc = tcase_create("spki");

    tcase_add_test(tc, fixed_keys_match_i2d);
    tcase_add_test(tc, fresh_keys_match_i2d);
    tcase_add_test(tc, other_keys_declined);
    tcase_set_timeout(tc, 120); /* RSA-2048 generation, twice */
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(key_spki_suite()) == 0 ? 0 : 1;
}
