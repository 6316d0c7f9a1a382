/* Creation times a ustar mtime cannot hold as they are (before 1970, from
 * 2038-01-19 03:14:07 on): seal must still write an archive that open
 * accepts, its mtime clamped (docs/FORMAT.md, "Inner archive"), the manifest
 * keeping the real time. */
#include <archive.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "testutil.h"

#define Y1960 ((time_t)-315619200) /* 1960-01-01T00:00:00Z */
#define Y2100 ((time_t)4102444800) /* 2100-01-01T00:00:00Z */

static envelope_ctx *ctx;
static envelope_key *alice, *dave;

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    dave = load_test_key(ctx, "dave.pem");
}

static void teardown(void)
{
    envelope_key_free(dave);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

/* Seals "hello" to key at created in format, then opens it. */
static envelope_rc seal_and_open(envelope_key *key, envelope_format format, time_t created,
                                 envelope_result **r)
{
    static const uint8_t msg[] = "hello";
    envelope_seal_opts *so = seal_opts_for(ctx, &key, 1, 0);
    envelope_open_opts *oo = open_opts_for(ctx, key);
    uint8_t *env = NULL, *back = NULL;
    size_t env_len = 0, back_len = 0;
    envelope_rc rc;

    ck_assert_rc(envelope_seal_opts_set_created(so, created), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_format(so, format), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    rc = envelope_seal_mem(ctx, so, msg, 5, &env, &env_len);
    ck_assert_msg(rc == ENVELOPE_OK, "seal: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    *r = NULL;
    rc = envelope_open_mem(ctx, oo, env, env_len, &back, &back_len, r);
    if (rc == ENVELOPE_OK)
        ck_assert_msg(back_len == 5 && memcmp(back, msg, 5) == 0, "opened %zu other bytes",
                      back_len);
    envelope_free_secret(back, back_len);
    envelope_free(env);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    return rc;
}

START_TEST(v1_before_1970_opens)
{
    envelope_result *r;
    envelope_rc rc = seal_and_open(alice, ENVELOPE_FORMAT_V1, Y1960, &r);

    ck_assert_msg(rc == ENVELOPE_OK, "open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_int_eq(envelope_result_created(r), Y1960);
    envelope_result_free(r);
}
END_TEST

/* Dated in the future, so open refuses it: for that reason, not for a pax
 * record in the archive. */
START_TEST(v1_after_2038_is_refused_only_as_future)
{
    envelope_result *r;
    envelope_rc rc = seal_and_open(alice, ENVELOPE_FORMAT_V1, Y2100, &r);

    ck_assert_msg(rc == ENVELOPE_E_TOO_OLD && r == NULL, "open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_msg(strncmp(envelope_ctx_detail(ctx), "created 2100-01-01T00:00:00Z, ", 30) == 0,
                  "detail: %s", envelope_ctx_detail(ctx));
}
END_TEST

START_TEST(compat_at_any_time_opens)
{
    static const time_t times[] = {Y1960, Y2100, (time_t)253402300799}; /* 9999-12-31 */

    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        envelope_result *r;
        envelope_rc rc = seal_and_open(dave, ENVELOPE_FORMAT_COMPAT, times[i], &r);

        ck_assert_msg(rc == ENVELOPE_OK, "created %lld: %s (%s)", (long long)times[i],
                      envelope_rc_name(rc), envelope_ctx_detail(ctx));
        envelope_result_free(r);
    }
}
END_TEST

START_TEST(mtime_clamped)
{
    ck_assert_int_eq(bundle_mtime(Y1960), 0);
    ck_assert_int_eq(bundle_mtime(0), 0);
    ck_assert_int_eq(bundle_mtime(1700000000), 1700000000);
    ck_assert_int_eq(bundle_mtime((time_t)0x7ffffffe), 0x7ffffffe);
    ck_assert_int_eq(bundle_mtime((time_t)0x7fffffff), 0x7ffffffe);
    ck_assert_int_eq(bundle_mtime(Y2100), 0x7ffffffe);
}
END_TEST

static Suite *created_suite(void)
{
    Suite *s = suite_create("created");
    TCase *tc = tcase_create("created");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, v1_before_1970_opens);
    tcase_add_test(tc, v1_after_2038_is_refused_only_as_future);
    tcase_add_test(tc, compat_at_any_time_opens);
    tcase_add_test(tc, mtime_clamped);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(created_suite()) ? 1 : 0;
}
