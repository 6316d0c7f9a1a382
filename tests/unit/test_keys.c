/* keys.c, keys_load.c, key_decode.c, key_export.c: loading local keys in
 * every accepted form, the errors for everything else, fingerprints, export
 * and reference counts. */
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keys.h"
#include "pipeline/opts.h"
#include "testutil.h"

#define PASSPHRASE "correct horse battery staple" /* tests/keys/passphrase.txt */

/* `openssl pkey -pubin -in tests/keys/signer.pub -outform DER | sha256sum` */
#define FP_SIGNER "sha256:a96290fbee4e901d1c818167b3870e845d74d5522d8055692ca6a2840f8165ba"

static envelope_ctx *ctx;

static void setup(void)
{
    ctx = new_ctx();
}

static void teardown(void)
{
    envelope_ctx_free(ctx);
}

static int give_passphrase(void *arg, char *buf, size_t size)
{
    const char *pass = arg;
    size_t n = strlen(pass);

    if (n > size)
        return -1;
    memcpy(buf, pass, n);
    return (int)n;
}

static int give_up(void *arg, char *buf, size_t size)
{
    (void)arg;
    (void)buf;
    (void)size;
    return -1;
}

static envelope_rc load(const char *name, envelope_passphrase_fn fn, void *arg,
                        envelope_key **key)
{
    return envelope_key_load(ctx, key_path(name), fn, arg, key);
}

static void assert_fingerprint(const envelope_key *key, const char *want)
{
    char fp[ENVELOPE_FINGERPRINT_SIZE];

    ck_assert_rc(envelope_key_fingerprint(ctx, key, fp), ENVELOPE_OK);
    ck_assert_str_eq(fp, want);
}

/* ------------------------------------------------------------- loading */

START_TEST(signing_key_forms_agree)
{
    static const char *names[] = {"signer.pem", "signer.der", "signer-traditional.pem",
                                  "signer.pub"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        envelope_key *key = (envelope_key *)1;

        ck_assert_rc(load(names[i], NULL, NULL, &key), ENVELOPE_OK);
        ck_assert_int_eq(envelope_key_get_kind(key), ENVELOPE_KEY_SIGNING);
        ck_assert_uint_eq(envelope_key_bits(key), 521);
        ck_assert_int_eq(envelope_key_is_private(key), i < 3);
        assert_fingerprint(key, FP_SIGNER);
        envelope_key_free(key);
    }
}
END_TEST

START_TEST(encryption_key_sizes)
{
    static const struct {
        const char *name;
        unsigned bits;
        int priv;
    } keys[] = {{"alice.pem", 2048, 1}, {"alice.pub", 2048, 0}, {"alice.pub.der", 2048, 0},
                {"bob.pem", 2048, 1},   {"carol.pem", 3072, 1}, {"carol.pub", 3072, 0},
                {"dave.pem", 4096, 1},  {"dave.pub", 4096, 0}};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        envelope_key *key;

        ck_assert_rc(load(keys[i].name, NULL, NULL, &key), ENVELOPE_OK);
        ck_assert_int_eq(envelope_key_get_kind(key), ENVELOPE_KEY_ENCRYPTION);
        ck_assert_uint_eq(envelope_key_bits(key), keys[i].bits);
        ck_assert_int_eq(envelope_key_is_private(key), keys[i].priv);
        envelope_key_free(key);
    }
}
END_TEST

START_TEST(file_prefix)
{
    envelope_key *key;
    char ref[300];

    snprintf(ref, sizeof(ref), "file:%s", key_path("signer.pub"));
    ck_assert_rc(envelope_key_load(ctx, ref, NULL, NULL, &key), ENVELOPE_OK);
    assert_fingerprint(key, FP_SIGNER);
    envelope_key_free(key);
}
END_TEST

START_TEST(encrypted_key)
{
    envelope_key *key = (envelope_key *)1, *plain;
    char fp[ENVELOPE_FINGERPRINT_SIZE];

    ck_assert_rc(load("alice-encrypted.pem", give_passphrase, PASSPHRASE, &key), ENVELOPE_OK);
    ck_assert_int_eq(envelope_key_is_private(key), 1);
    plain = load_test_key(ctx, "alice.pem");
    ck_assert_rc(envelope_key_fingerprint(ctx, plain, fp), ENVELOPE_OK);
    assert_fingerprint(key, fp);
    envelope_key_free(plain);
    envelope_key_free(key);

    key = (envelope_key *)1;
    ck_assert_rc(load("alice-encrypted.pem", give_passphrase, "wrong horse", &key),
                 ENVELOPE_E_KEY_PASSPHRASE);
    ck_assert_ptr_null(key);
    /* the detail says what to fix, not OpenSSL's "bad decrypt" */
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "alice-encrypted.pem: wrong passphrase for "
                                                   "the key") != NULL &&
                      strstr(envelope_ctx_detail(ctx), "error:") == NULL,
                  "detail: %s", envelope_ctx_detail(ctx));
    key = (envelope_key *)1;
    ck_assert_rc(load("alice-encrypted.pem", give_passphrase, "", &key),
                 ENVELOPE_E_KEY_PASSPHRASE);
    ck_assert_ptr_null(key);
    key = (envelope_key *)1;
    ck_assert_rc(load("alice-encrypted.pem", NULL, NULL, &key), ENVELOPE_E_KEY_PASSPHRASE);
    ck_assert_ptr_null(key);
    key = (envelope_key *)1;
    ck_assert_rc(load("alice-encrypted.pem", give_up, NULL, &key), ENVELOPE_E_KEY_PASSPHRASE);
    ck_assert_ptr_null(key);
    /* a passphrase for a key that has none is not asked for, nor in the way */
    ck_assert_rc(load("alice.pem", give_passphrase, "unused", &key), ENVELOPE_OK);
    envelope_key_free(key);
}
END_TEST

START_TEST(wrong_kinds)
{
    static const char *names[] = {"p256.pem", "rsa1024.pem", "ed25519.pem"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        envelope_key *key = (envelope_key *)1;

        ck_assert_rc(load(names[i], NULL, NULL, &key), ENVELOPE_E_KEY_TYPE);
        ck_assert_ptr_null(key);
    }
}
END_TEST

START_TEST(unloadable)
{
    static const char *garbage[] = {
        "not a key",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        "\x30\x03\x02\x01\x00",
    };
    envelope_key *key = (envelope_key *)1;
    size_t len;
    uint8_t *pem = read_file(key_path("alice.pem"), &len);

    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        key = (envelope_key *)1;
        ck_assert_rc(envelope_key_from_memory(ctx, (const uint8_t *)garbage[i],
                                              strlen(garbage[i]), NULL, NULL, &key),
                     ENVELOPE_E_KEY_LOAD);
        ck_assert_ptr_null(key);
    }
    ck_assert_rc(envelope_key_from_memory(ctx, pem, 0, NULL, NULL, &key), ENVELOPE_E_KEY_LOAD);
    ck_assert_rc(envelope_key_from_memory(ctx, NULL, 10, NULL, NULL, &key), ENVELOPE_E_KEY_LOAD);
    /* a PEM cut in half */
    ck_assert_rc(envelope_key_from_memory(ctx, pem, len / 2, NULL, NULL, &key),
                 ENVELOPE_E_KEY_LOAD);
    ck_assert_ptr_null(key);
    ck_assert_rc(load("no-such-key.pem", NULL, NULL, &key), ENVELOPE_E_KEY_LOAD);
    ck_assert_ptr_null(key);
    ck_assert_ptr_nonnull(strstr(envelope_ctx_detail(ctx), "no-such-key.pem"));
    ck_assert_rc(load("README.md", NULL, NULL, &key), ENVELOPE_E_KEY_LOAD);
    ck_assert_rc(envelope_key_load(ctx, "tests/keys", NULL, NULL, &key), ENVELOPE_E_KEY_LOAD);
    ck_assert_rc(envelope_key_load(ctx, NULL, NULL, NULL, &key), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_key_load(ctx, key_path("alice.pem"), NULL, NULL, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    free(pem);
}
END_TEST

START_TEST(from_memory_matches_file)
{
    size_t len;
    uint8_t *der = read_file(key_path("signer.der"), &len);
    envelope_key *key;

    ck_assert_rc(envelope_key_from_memory(ctx, der, len, NULL, NULL, &key), ENVELOPE_OK);
    assert_fingerprint(key, FP_SIGNER);
    ck_assert_int_eq(envelope_key_is_private(key), 1);
    envelope_key_free(key);
    free(der);
}
END_TEST

/* ------------------------------------------------------ what keys show */

/* The fingerprint is SHA-256 of the SPKI DER, here the committed
 * alice.pub.der (`openssl pkey -pubin -in alice.pub -outform DER`). */
START_TEST(fingerprint_is_sha256_of_spki)
{
    size_t len, der_len;
    uint8_t *spki = read_file(key_path("alice.pub.der"), &len), *der;
    char want[ENVELOPE_FINGERPRINT_SIZE] = "sha256:";
    envelope_key *priv = load_test_key(ctx, "alice.pem"), *pub = load_test_key(ctx, "alice.pub");

    ck_assert_uint_eq(envelope_fingerprint_size(), ENVELOPE_FINGERPRINT_SIZE);
    sha256_hex(spki, len, want + 7);
    assert_fingerprint(priv, want);
    assert_fingerprint(pub, want);
    ck_assert_str_eq(want,
                     "sha256:a1f8a346d3292f918ae0985f8b23a16726b3e1a538af86a91f1b86738e676a28");
    ck_assert_rc(envelope_key_public_der(ctx, priv, &der, &der_len), ENVELOPE_OK);
    ck_assert_uint_eq(der_len, len);
    ck_assert_mem_eq(der, spki, len);
    envelope_free(der);
    envelope_key_free(priv);
    envelope_key_free(pub);
    free(spki);
}
END_TEST

START_TEST(public_pem_equals_committed_pub)
{
    size_t len, pem_len;
    uint8_t *file = read_file(key_path("dave.pub"), &len), *pem;
    envelope_key *key = load_test_key(ctx, "dave.pem");

    ck_assert_rc(envelope_key_public_pem(ctx, key, &pem, &pem_len), ENVELOPE_OK);
    ck_assert_uint_eq(pem_len, len);
    ck_assert_mem_eq(pem, file, len);
    ck_assert_uint_eq(pem[pem_len], '\0');
    envelope_free(pem);
    envelope_key_free(key);
    free(file);
}
END_TEST

struct pbes2 {
    long iterations;
    int salt_len, prf, cipher; /* NIDs */
};

/* What protects an encrypted PKCS#8 PEM: its PBES2 parameters. */
static struct pbes2 pbes2_of(const uint8_t *pem, size_t len)
{
    struct pbes2 p = {0, 0, NID_undef, NID_undef};
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509_SIG *sig = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL);
    const X509_ALGOR *alg;
    const ASN1_OBJECT *oid;
    const void *param;
    int ptype;
    PBE2PARAM *pbe2;
    PBKDF2PARAM *kdf;

    ck_assert_msg(sig != NULL, "not an encrypted PKCS#8 PEM: %.60s", (const char *)pem);
    X509_SIG_get0(sig, &alg, NULL);
    X509_ALGOR_get0(&oid, &ptype, &param, alg);
    ck_assert_msg(OBJ_obj2nid(oid) == NID_pbes2, "scheme %s, want PBES2",
                  OBJ_nid2sn(OBJ_obj2nid(oid)));
    pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
    ck_assert_ptr_nonnull(pbe2);
    X509_ALGOR_get0(&oid, &ptype, &param, pbe2->keyfunc);
    ck_assert_msg(OBJ_obj2nid(oid) == NID_id_pbkdf2, "KDF %s, want PBKDF2",
                  OBJ_nid2sn(OBJ_obj2nid(oid)));
    kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter);
    ck_assert_ptr_nonnull(kdf);
    p.iterations = ASN1_INTEGER_get(kdf->iter);
    if (kdf->salt->type == V_ASN1_OCTET_STRING)
        p.salt_len = kdf->salt->value.octet_string->length;
    p.prf = kdf->prf ? OBJ_obj2nid(kdf->prf->algorithm) : NID_hmacWithSHA1;
    p.cipher = OBJ_obj2nid(pbe2->encryption->algorithm);
    PBKDF2PARAM_free(kdf);
    PBE2PARAM_free(pbe2);
    X509_SIG_free(sig);
    BIO_free(bio);
    return p;
}

/* Files written before, by OpenSSL 3.0's encoder (2048 iterations), still
 * load. */
START_TEST(private_pem_old_files_load)
{
    envelope_key *key = load_test_key(ctx, "signer.pem"), *back = NULL;
    OSSL_ENCODER_CTX *ectx;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    long len;

    ectx = OSSL_ENCODER_CTX_new_for_pkey(key->pkey, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM",
                                         "PrivateKeyInfo", NULL);
    ck_assert_ptr_nonnull(ectx);
    ck_assert_int_eq(OSSL_ENCODER_CTX_set_cipher(ectx, "AES-256-CBC", NULL), 1);
    ck_assert_int_eq(OSSL_ENCODER_CTX_set_passphrase(ectx, (const unsigned char *)"old", 3), 1);
    ck_assert_int_eq(OSSL_ENCODER_to_bio(ectx, bio), 1);
    len = BIO_get_mem_data(bio, &pem);
    ck_assert_int_eq(pbes2_of((uint8_t *)pem, (size_t)len).iterations, 2048);
    ck_assert_rc(envelope_key_from_memory(ctx, (uint8_t *)pem, (size_t)len, give_passphrase,
                                          "old", &back),
                 ENVELOPE_OK);
    assert_fingerprint(back, FP_SIGNER);
    envelope_key_free(back);
    OSSL_ENCODER_CTX_free(ectx);
    BIO_free(bio);
    envelope_key_free(key);
}
END_TEST

START_TEST(private_pem_round_trip)
{
    envelope_key *key = load_test_key(ctx, "signer.pem"), *back, *pub;
    uint8_t *pem;
    size_t len;
    struct pbes2 p;

    ck_assert_rc(envelope_key_private_pem(ctx, key, NULL, 0, &pem, &len), ENVELOPE_OK);
    ck_assert_ptr_nonnull(strstr((char *)pem, "-----BEGIN PRIVATE KEY-----"));
    ck_assert_rc(envelope_key_from_memory(ctx, pem, len, NULL, NULL, &back), ENVELOPE_OK);
    ck_assert_int_eq(envelope_key_is_private(back), 1);
    assert_fingerprint(back, FP_SIGNER);
    envelope_key_free(back);
    envelope_free_secret(pem, len);

    /* With a passphrase: PBKDF2-HMAC-SHA-256 at 600,000 iterations, a
     * 16-byte random salt, AES-256-CBC. Each write or load derives a key
     * once (18 s of CPU under valgrind), so the valgrind run (not slow)
     * only writes; the loads it skips are old code, which it checks on
     * alice-encrypted.pem. */
    ck_assert_rc(envelope_key_private_pem(ctx, key, "pass word", 9, &pem, &len), ENVELOPE_OK);
    ck_assert_ptr_nonnull(strstr((char *)pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    p = pbes2_of(pem, len);
    ck_assert_msg(p.iterations == 600000 && p.salt_len == 16 && p.prf == NID_hmacWithSHA256 &&
                      p.cipher == NID_aes_256_cbc,
                  "iterations %ld, salt %d bytes, PRF %s, cipher %s", p.iterations, p.salt_len,
                  OBJ_nid2sn(p.prf), OBJ_nid2sn(p.cipher));
    back = (envelope_key *)1;
    ck_assert_rc(envelope_key_from_memory(ctx, pem, len, NULL, NULL, &back),
                 ENVELOPE_E_KEY_PASSPHRASE);
    ck_assert_ptr_null(back);
    if (test_slow()) {
        uint8_t *again;
        size_t again_len;

        ck_assert_rc(envelope_key_from_memory(ctx, pem, len, give_passphrase, "pass word",
                                              &back),
                     ENVELOPE_OK);
        assert_fingerprint(back, FP_SIGNER);
        envelope_key_free(back);
        ck_assert_rc(envelope_key_from_memory(ctx, pem, len, give_passphrase, "pass wore",
                                              &back),
                     ENVELOPE_E_KEY_PASSPHRASE);
        ck_assert_ptr_null(back);
        ck_assert_rc(envelope_key_private_pem(ctx, key, "pass word", 9, &again, &again_len),
                     ENVELOPE_OK);
        ck_assert_msg(len != again_len || memcmp(pem, again, len) != 0,
                      "the same salt and IV twice");
        envelope_free_secret(again, again_len);
    }
    envelope_free_secret(pem, len);

    pub = load_test_key(ctx, "signer.pub");
    pem = (uint8_t *)1;
    ck_assert_rc(envelope_key_private_pem(ctx, pub, NULL, 0, &pem, &len),
                 ENVELOPE_E_KEY_NOT_PRIVATE);
    ck_assert_ptr_null(pem);
    envelope_key_free(pub);
    envelope_key_free(key);
}
END_TEST

START_TEST(generate)
{
    envelope_key *key = (envelope_key *)1;
    char fp[ENVELOPE_FINGERPRINT_SIZE], fp2[ENVELOPE_FINGERPRINT_SIZE];

    ck_assert_rc(envelope_key_generate(ctx, ENVELOPE_KEY_SIGNING, 0, &key), ENVELOPE_OK);
    ck_assert_int_eq(envelope_key_get_kind(key), ENVELOPE_KEY_SIGNING);
    ck_assert_uint_eq(envelope_key_bits(key), 521);
    ck_assert_int_eq(envelope_key_is_private(key), 1);
    ck_assert_rc(envelope_key_fingerprint(ctx, key, fp), ENVELOPE_OK);
    envelope_key_free(key);
    ck_assert_rc(envelope_key_generate(ctx, ENVELOPE_KEY_SIGNING, 0, &key), ENVELOPE_OK);
    ck_assert_rc(envelope_key_fingerprint(ctx, key, fp2), ENVELOPE_OK);
    ck_assert_str_ne(fp, fp2);
    envelope_key_free(key);

    /* RSA generation takes most of a minute under valgrind */
    if (test_slow()) {
        ck_assert_rc(envelope_key_generate(ctx, ENVELOPE_KEY_ENCRYPTION, 2048, &key),
                     ENVELOPE_OK);
        ck_assert_int_eq(envelope_key_get_kind(key), ENVELOPE_KEY_ENCRYPTION);
        ck_assert_uint_eq(envelope_key_bits(key), 2048);
        ck_assert_int_eq(envelope_key_is_private(key), 1);
        envelope_key_free(key);
    }

    key = (envelope_key *)1;
    ck_assert_rc(envelope_key_generate(ctx, ENVELOPE_KEY_SIGNING, 256, &key),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_ptr_null(key);
    ck_assert_rc(envelope_key_generate(ctx, ENVELOPE_KEY_ENCRYPTION, 1024, &key),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_key_generate(ctx, ENVELOPE_KEY_ENCRYPTION, 2049, &key),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_key_generate(ctx, (envelope_key_kind)7, 0, &key),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_ptr_null(key);
}
END_TEST

/* Options hold their own reference: the caller's key can go first. */
START_TEST(reference_counts)
{
    envelope_key *key = load_test_key(ctx, "alice.pub");
    envelope_seal_opts *opts;

    ck_assert_int_eq(key->refs, 1);
    ck_assert_ptr_eq(envelope_key_ref(key), key);
    ck_assert_int_eq(key->refs, 2);
    envelope_key_free(key);
    ck_assert_int_eq(key->refs, 1);
    ck_assert_int_eq(envelope_seal_opts_new(&opts), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_add_recipient(opts, key), ENVELOPE_OK);
    ck_assert_int_eq(key->refs, 2);
    envelope_key_free(key); /* the options' reference keeps it */
    ck_assert_int_eq(key->refs, 1);
    ck_assert_uint_eq(envelope_key_bits(opts->recipients[0]), 2048);
    envelope_seal_opts_free(opts); /* frees it: valgrind and ASan watch */
    ck_assert_ptr_null(envelope_key_ref(NULL));
    envelope_key_free(NULL);
}
END_TEST

START_TEST(null_getters)
{
    char fp[ENVELOPE_FINGERPRINT_SIZE];

    ck_assert_int_eq(envelope_key_get_kind(NULL), 0);
    ck_assert_int_eq(envelope_key_is_private(NULL), 0);
    ck_assert_uint_eq(envelope_key_bits(NULL), 0);
    ck_assert_rc(envelope_key_fingerprint(ctx, NULL, fp), ENVELOPE_E_INVALID_ARGUMENT);
}
END_TEST

static Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *load_tc = tcase_create("load"), *show = tcase_create("show");

    tcase_add_checked_fixture(load_tc, setup, teardown);
    tcase_add_checked_fixture(show, setup, teardown);
    tcase_add_test(load_tc, signing_key_forms_agree);
    tcase_add_test(load_tc, encryption_key_sizes);
    tcase_add_test(load_tc, file_prefix);
    tcase_add_test(load_tc, encrypted_key);
    tcase_add_test(load_tc, wrong_kinds);
    tcase_add_test(load_tc, unloadable);
    tcase_add_test(load_tc, from_memory_matches_file);
    tcase_add_test(show, fingerprint_is_sha256_of_spki);
    tcase_add_test(show, public_pem_equals_committed_pub);
    tcase_add_test(show, private_pem_round_trip);
    tcase_add_test(show, private_pem_old_files_load);
    tcase_add_test(show, generate);
    tcase_add_test(show, reference_counts);
    tcase_add_test(show, null_getters);
    tcase_set_timeout(show, 60); /* RSA-2048 generation */
    suite_add_tcase(s, load_tc);
    suite_add_tcase(s, show);
    return s;
}

int main(void)
{
    return run_suite(keys_suite()) ? 1 : 0;
}
