/* libarchive is loaded at the first compat seal or open, not before: a v1
 * seal and open leave it unloaded, and a compat round trip goes through the
 * loaded table. A suite of its own, because libarchive, once loaded, stays
 * loaded for the life of the process. */
#include <string.h>

#include "pipeline/archive_dl.h"
#include "testutil.h"

/* Seals msg to dave in format and opens it (compat allowed) to the same
 * bytes. */
static void round_trip(envelope_ctx *ctx, envelope_format format, const char *msg)
{
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_key *dave_priv = load_test_key(ctx, "dave.pem");
    envelope_seal_opts *so = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
    envelope_open_opts *oo = open_opts_for(ctx, dave_priv);
    envelope_result *r = NULL;
    uint8_t *env = NULL, *back = NULL;
    size_t env_len = 0, back_len = 0;
    envelope_rc rc;

    ck_assert_rc(envelope_seal_opts_set_format(so, format), ENVELOPE_OK);
    rc = envelope_seal_mem(ctx, so, (const uint8_t *)msg, strlen(msg), &env, &env_len);
    ck_assert_msg(rc == ENVELOPE_OK, "seal: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    rc = envelope_open_mem(ctx, oo, env, env_len, &back, &back_len, &r);
    ck_assert_msg(rc == ENVELOPE_OK, "open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_uint_eq(back_len, strlen(msg));
    ck_assert_mem_eq(back, msg, back_len);
    ck_assert_int_eq(envelope_result_format(r), format);
    envelope_result_free(r);
    envelope_free_secret(back, back_len);
    envelope_free(env);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    envelope_key_free(dave_priv);
    envelope_key_free(dave);
}

START_TEST(loaded_at_the_first_compat_use)
{
    envelope_ctx *ctx = new_ctx();

    ck_assert_str_eq(archive_dl_soname, ARCHIVE_DL_SONAME);
    ck_assert_int_eq(archive_dl_loaded(), 0);
    round_trip(ctx, ENVELOPE_FORMAT_V1, "a v1 message\n");
    ck_assert_int_eq(archive_dl_loaded(), 0);
    round_trip(ctx, ENVELOPE_FORMAT_COMPAT, "a compat message\n");
    ck_assert_int_eq(archive_dl_loaded(), 1);
    envelope_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("archive_dl");
    TCase *tc = tcase_create("archive_dl");

    tcase_add_test(tc, loaded_at_the_first_compat_use);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return run_suite(s) ? 1 : 0;
}
