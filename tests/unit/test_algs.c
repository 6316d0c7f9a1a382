/* base/algs.c: a context fetches each algorithm once and keeps it until it
 * is freed; without a context, or with no room left in it, the implicit
 * fetch still gives a working algorithm. */
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
#include <string.h>

#include "base/algs.h"
#include "base/context.h"
#include "testutil.h"

/* HKDF-SHA256 from RFC 5869, Appendix A.1 (its first test case). */
static void assert_hkdf_works(EVP_KDF_CTX *k)
{
    static const uint8_t ikm[22] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
    static const uint8_t salt[13] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                     0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};
    static const uint8_t info[10] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4,
                                     0xf5, 0xf6, 0xf7, 0xf8, 0xf9};
    static const uint8_t okm[42] = {
        0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36,
        0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56,
        0xec, 0xc4, 0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65};
    uint8_t out[42];
    OSSL_PARAM p[4];

    p[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, sizeof(ikm));
    p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt));
    p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, sizeof(info));
    p[3] = OSSL_PARAM_construct_end();
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(EVP_KDF_derive(k, out, sizeof(out), p), 1);
    ck_assert_mem_eq(out, okm, sizeof(okm));
    EVP_KDF_CTX_free(k);
}

static void assert_names(const EVP_MD *sha256, const EVP_MD *sha512, const EVP_CIPHER *gcm)
{
    ck_assert_ptr_nonnull(sha256);
    ck_assert_ptr_nonnull(sha512);
    ck_assert_ptr_nonnull(gcm);
    ck_assert_int_eq(EVP_MD_get_size(sha256), 32);
    ck_assert_int_eq(EVP_MD_get_size(sha512), 64);
    ck_assert_int_eq(EVP_CIPHER_get_mode(gcm), EVP_CIPH_GCM_MODE);
    ck_assert_int_eq(EVP_CIPHER_get_key_length(gcm), 32);
}

START_TEST(fetched_once_per_context)
{
    envelope_ctx *ctx;
    const EVP_MD *sha256, *sha512;
    const EVP_CIPHER *gcm;

    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    sha256 = algs_sha256(ctx);
    sha512 = algs_sha512(ctx);
    gcm = algs_aes_256_gcm(ctx);
    assert_names(sha256, sha512, gcm);
    /* the same objects again, not fetched anew, and not EVP_sha256()'s */
    ck_assert_ptr_eq(algs_sha256(ctx), sha256);
    ck_assert_ptr_eq(algs_sha512(ctx), sha512);
    ck_assert_ptr_eq(algs_aes_256_gcm(ctx), gcm);
    ck_assert_ptr_ne(sha256, EVP_sha256());
    assert_hkdf_works(algs_hkdf_sha256(ctx));
    assert_hkdf_works(algs_hkdf_sha256(ctx));
    envelope_ctx_free(ctx); /* valgrind: everything fetched is released */
}
END_TEST

static void ignore(void *state)
{
    (void)state;
}

START_TEST(without_a_context_or_room)
{
    static const char tags[CTX_STATES];
    envelope_ctx *ctx;

    assert_names(algs_sha256(NULL), algs_sha512(NULL), algs_aes_256_gcm(NULL));
    assert_hkdf_works(algs_hkdf_sha256(NULL));
    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    for (size_t i = 0; i < CTX_STATES; i++)
        ck_assert_rc(ctx_state_attach(ctx, &tags[i], (void *)&tags[i], ignore), ENVELOPE_OK);
    assert_names(algs_sha256(ctx), algs_sha512(ctx), algs_aes_256_gcm(ctx));
    ck_assert_ptr_eq(algs_sha256(ctx), EVP_sha256()); /* the implicit fetch */
    assert_hkdf_works(algs_hkdf_sha256(ctx));
    /* falling back is no failure: none is recorded */
    ck_assert_msg(envelope_ctx_detail(ctx)[0] == '\0', "detail after the fallback: %s",
                  envelope_ctx_detail(ctx));
    envelope_ctx_free(ctx);
}
END_TEST

static Suite *algs_suite(void)
{
    Suite *s = suite_create("algs");
    TCase *tc = tcase_create("algs");

    tcase_add_test(tc, fetched_once_per_context);
    tcase_add_test(tc, without_a_context_or_room);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(algs_suite()) ? 1 : 0;
}
