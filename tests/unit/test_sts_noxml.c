/* Without libxml2: an STS answer cannot be read, and the call fails with
 * ENVELOPE_E_UNSUPPORTED naming the package, with no credentials out. A
 * suite of its own, because libxml2, once loaded, stays loaded for the life
 * of the process. */
#include <string.h>

#include "aws/creds.h"
#include "aws/sts.h"
#include "testutil.h"
#include "aws/xml_dl.h"

START_TEST(sts_without_libxml2)
{
    static const char answer[] =
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>"
        "<SecretAccessKey>s3cr3t/value/that/must/not/leak</SecretAccessKey>"
        "<SessionToken>t</SessionToken><Expiration>2026-12-07T09:00:00Z</Expiration>"
        "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
    envelope_ctx *ctx = NULL;
    struct aws_creds c;
    char code[STS_CODE_MAX];

    xml_dl_soname = "libxml2-absent-for-this-test.so.2";
    ck_assert_int_eq(envelope_ctx_new(&ctx), ENVELOPE_OK);
    ck_assert_rc(sts_parse_answer(ctx, "STS test", "AssumeRole", 200, (const uint8_t *)answer,
                                  strlen(answer), NULL, &c, code),
                 ENVELOPE_E_UNSUPPORTED);
    ck_assert_ptr_null(c.secret_access_key);
    ck_assert_msg(strncmp(envelope_ctx_detail(ctx),
                          "assuming a role needs libxml2, which could not be loaded "
                          "(libxml2-absent-for-this-test.so.2: ",
                          93) == 0 &&
                      strstr(envelope_ctx_detail(ctx), "install the libxml2 package"),
                  "detail: %s", envelope_ctx_detail(ctx));
    ck_assert_int_eq(xml_dl_loaded(), 0);
    envelope_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sts_noxml");
    TCase *tc = tcase_create("noxml");

    tcase_add_test(tc, sts_without_libxml2);
    suite_add_tcase(s, tc);
    return run_suite(s) ? 1 : 0;
}
