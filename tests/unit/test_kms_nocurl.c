/* Without libcurl: a KMS call fails with ENVELOPE_E_UNSUPPORTED naming the
 * package, and nothing comes out. A suite of its own, because libcurl, once
 * loaded, stays loaded for the life of the process. */
#include <stdlib.h>
#include <string.h>

#include "aws/curl_dl.h"
#include "testutil.h"

START_TEST(kms_without_libcurl)
{
    envelope_ctx *ctx = NULL;
    envelope_key *signer, *kms = NULL;
    envelope_seal_opts *so;
    uint8_t *out = NULL;
    size_t out_len = 1;

    curl_dl_soname = "libcurl-absent-for-this-test.so.4";
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t/value/that/must/not/leak", 1);
    ck_assert_int_eq(envelope_ctx_new(&ctx), ENVELOPE_OK);
    signer = load_test_key(ctx, "signer.pem");
    ck_assert_rc(envelope_key_load(ctx, "awskms:///alias/sample-encrypt-decrypt-key", NULL, NULL,
                                   &kms), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_new(&so), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_sign_key(so, signer), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_add_recipient(so, kms), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, (const uint8_t *)"hi", 2, &out, &out_len),
                 ENVELOPE_E_UNSUPPORTED);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(out_len, 0);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx),
                         "KMS Encrypt alias/sample-encrypt-decrypt-key: KMS keys need libcurl, "
                         "which could not be loaded (libcurl-absent-for-this-test.so.4: ") &&
                      strstr(envelope_ctx_detail(ctx), "install the libcurl4 package"),
                  "detail: %s", envelope_ctx_detail(ctx));
    ck_assert_int_eq(curl_dl_loaded(), 0);
    envelope_seal_opts_free(so);
    envelope_key_free(kms);
    envelope_key_free(signer);
    envelope_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kms_nocurl");
    TCase *tc = tcase_create("nocurl");

    tcase_add_test(tc, kms_without_libcurl);
    suite_add_tcase(s, tc);
    return run_suite(s) ? 1 : 0;
}
