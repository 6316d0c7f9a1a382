/* base/context.c: the state backends attach to a context by tag, found
 * again by the same tag, released once with the context; a context that
 * has no room left refuses more and leaves the state to its owner. */
#include <string.h>

#include "aws/kms.h"
#include "base/context.h"
#include "testutil.h"

/* Each backend's tag: only its address matters. */
static const char tags[CTX_STATES + 1];
static int released[CTX_STATES + 1];

static void release(void *state)
{
    released[(const char *)state - tags]++;
}

static void *state_of(size_t i)
{
    return (void *)&tags[i];
}

START_TEST(nothing_attached)
{
    envelope_ctx *ctx;

    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    ck_assert_ptr_null(ctx_state(ctx, &tags[0]));
    ck_assert_ptr_null(ctx_state(NULL, &tags[0]));
    envelope_ctx_free(ctx);
}
END_TEST

START_TEST(found_by_tag_and_released_once)
{
    envelope_ctx *ctx;

    memset(released, 0, sizeof(released));
    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    ck_assert_rc(ctx_state_attach(ctx, &tags[0], state_of(0), release), ENVELOPE_OK);
    ck_assert_rc(ctx_state_attach(ctx, &tags[1], state_of(1), release), ENVELOPE_OK);
    ck_assert_ptr_eq(ctx_state(ctx, &tags[0]), state_of(0));
    ck_assert_ptr_eq(ctx_state(ctx, &tags[1]), state_of(1));
    ck_assert_ptr_null(ctx_state(ctx, &tags[2]));
    envelope_ctx_free(ctx);
    ck_assert_msg(released[0] == 1 && released[1] == 1 && released[2] == 0,
                  "released %d, %d, %d times; want 1, 1, 0", released[0], released[1],
                  released[2]);
}
END_TEST

START_TEST(full_context_refuses_and_keeps_nothing)
{
    envelope_ctx *ctx;
    const char *d;

    memset(released, 0, sizeof(released));
    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    for (size_t i = 0; i < CTX_STATES; i++)
        ck_assert_rc(ctx_state_attach(ctx, &tags[i], state_of(i), release), ENVELOPE_OK);
    ck_assert_rc(ctx_state_attach(ctx, &tags[CTX_STATES], state_of(CTX_STATES), release),
                 ENVELOPE_E_INTERNAL);
    d = envelope_ctx_detail(ctx);
    ck_assert_msg(strcmp(d, "more key backends than a context holds") == 0, "detail: %s", d);
    ck_assert_ptr_null(ctx_state(ctx, &tags[CTX_STATES]));
    envelope_ctx_free(ctx);
    for (size_t i = 0; i < CTX_STATES; i++)
        ck_assert_msg(released[i] == 1, "state %zu released %d times", i, released[i]);
    /* Refused: still its owner's to free, so the context never releases it. */
    ck_assert_msg(released[CTX_STATES] == 0, "refused state released %d times",
                  released[CTX_STATES]);
}
END_TEST

/* The KMS client is attached at the first setting: refused, it is freed
 * there (the valgrind and ASan runs see a leak otherwise). */
START_TEST(kms_client_refused_is_freed)
{
    envelope_ctx *ctx;
    const char *d;

    memset(released, 0, sizeof(released));
    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    for (size_t i = 0; i < CTX_STATES; i++)
        ck_assert_rc(ctx_state_attach(ctx, &tags[i], state_of(i), release), ENVELOPE_OK);
    ck_assert_rc(envelope_ctx_set_kms_timeouts(ctx, 1000, 2000), ENVELOPE_E_INTERNAL);
    d = envelope_ctx_detail(ctx);
    ck_assert_msg(strcmp(d, "more key backends than a context holds") == 0, "detail: %s", d);
    ck_assert_ptr_null(kms_client_of(ctx));
    envelope_ctx_free(ctx);
}
END_TEST

static Suite *context_suite(void)
{
    Suite *s = suite_create("context");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, nothing_attached);
    tcase_add_test(tc, found_by_tag_and_released_once);
    tcase_add_test(tc, full_context_refuses_and_keeps_nothing);
    tcase_add_test(tc, kms_client_refused_is_freed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(context_suite()) ? 1 : 0;
}
