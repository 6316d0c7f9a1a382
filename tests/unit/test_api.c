/* The conventions of the public API that hold across calls: every setter
 * returns an envelope_rc. */
#include <stdlib.h>
#include <string.h>

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

static int no_progress(void *arg, uint64_t done, uint64_t total)
{
    (void)arg;
    (void)done;
    (void)total;
    return 0;
}

/* Each setter's type is checked here when the suite compiles; its result
 * on a NULL object and on a live one when it runs. */
START_TEST(setters_return_rc)
{
    envelope_rc (*seal_int[])(envelope_seal_opts *, int) = {
        envelope_seal_opts_set_hide_recipients, envelope_seal_opts_set_sync_dir};
    envelope_rc (*open_int[])(envelope_open_opts *, int) = {
        envelope_open_opts_set_allow_compat, envelope_open_opts_set_sync_dir};
    envelope_rc (*open_u64[])(envelope_open_opts *, uint64_t) = {
        envelope_open_opts_set_max_size, envelope_open_opts_set_max_age,
        envelope_open_opts_set_max_skew};
    envelope_seal_opts *so = NULL;
    envelope_open_opts *oo = NULL;

    ck_assert_rc(envelope_seal_opts_new(&so), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_new(&oo), ENVELOPE_OK);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_rc(seal_int[i](NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
        ck_assert_rc(seal_int[i](so, 1), ENVELOPE_OK);
        ck_assert_rc(open_int[i](NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
        ck_assert_rc(open_int[i](oo, 1), ENVELOPE_OK);
    }
    for (size_t i = 0; i < 3; i++) {
        ck_assert_rc(open_u64[i](NULL, 10), ENVELOPE_E_INVALID_ARGUMENT);
        ck_assert_rc(open_u64[i](oo, 10), ENVELOPE_OK);
    }
    ck_assert_rc(envelope_seal_opts_set_created(NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_seal_opts_set_created(so, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_max_size(NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_seal_opts_set_max_size(so, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_progress(NULL, no_progress, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_seal_opts_set_progress(so, no_progress, NULL), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_progress(NULL, no_progress, NULL),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_open_opts_set_progress(oo, no_progress, NULL), ENVELOPE_OK);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *conv = tcase_create("conventions");

    tcase_add_checked_fixture(conv, setup, teardown);
    tcase_add_test(conv, setters_return_rc);
    suite_add_tcase(s, conv);
    return s;
}

int main(void)
{
    return run_suite(api_suite()) ? 1 : 0;
}
