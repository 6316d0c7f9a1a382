/* Opening in two passes (release.h): the first verifies while a copy of
 * the ciphertext goes to the spool, the second releases from that spool
 * and must produce exactly the message verified. A co-recipient knows the
 * data key and can encrypt another archive under the same header: only the
 * signed SHA-512 ties the content down, so the release checks it again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forge.h"
#include "pipeline/pipeline.h"
#include "pipeline/release.h"
#include "testutil.h"

static envelope_ctx *ctx;
static envelope_key *alice, *alice_pub, *signer;
static envelope_open_opts *opts;

static const uint8_t good[] = "the message the signer signed, byte for byte";
static const uint8_t evil[] = "the message a co-recipient would have instead";
#define MSG_LEN (sizeof(good) - 1)

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    alice_pub = load_test_key(ctx, "alice.pub");
    signer = load_test_key(ctx, "signer.pem");
    opts = open_opts_for(ctx, alice);
}

static void teardown(void)
{
    envelope_open_opts_free(opts);
    envelope_key_free(signer);
    envelope_key_free(alice_pub);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

/* An envelope under f's header holding body, with the manifest and
 * signature the signer gave for good. */
/* An envelope whose manifest signs signed[0..n) and whose archive holds
 * body[0..n) instead. */
static uint8_t *envelope_n(struct forge *f, const uint8_t *signed_msg, const uint8_t *body,
                           size_t n, size_t *len)
{
    struct manifest m;
    struct bytes json, sig;
    size_t tar_len;
    uint8_t *tar, *env;

    forge_manifest(ctx, f, signer, "msg", signed_msg, n, &m);
    forge_sign(ctx, &m, signer, &json, &sig);
    tar = forge_bundle("msg", body, n, &json, &sig, &tar_len);
    env = forge_seal(f, tar, tar_len, len);
    bytes_free(&json);
    bytes_free(&sig);
    free(tar);
    return env;
}

static uint8_t *envelope_of(struct forge *f, const uint8_t *body, size_t *len)
{
    return envelope_n(f, good, body, MSG_LEN, len);
}

/* Verifies env through the spool; the caller releases. */
static void verify_spooled(const uint8_t *env, size_t len, struct spooled *sp)
{
    struct mem_reader r = {env, len};
    struct source in = {mem_read, &r};
    envelope_rc rc;

    spooled_init(sp);
    rc = spooled_verify(ctx, opts, &in, sp, NULL);
    ck_assert_msg(rc == ENVELOPE_OK, "verify: rc %d (%s)", rc, envelope_ctx_detail(ctx));
}

/* Replaces the spool's contents by env. */
static void overwrite_spool(struct spooled *sp, const uint8_t *env, size_t len)
{
    ck_assert_int_eq(ftruncate(sp->fd, 0), 0);
    ck_assert_int_eq(pwrite(sp->fd, env, len, 0), (ssize_t)len);
}

START_TEST(release_gives_the_verified_message)
{
    struct forge f;
    struct spooled sp;
    struct bytes out = {0};
    struct sink msg = {bytes_write, &out};
    size_t len;
    uint8_t *env;
    envelope_rc rc;

    forge_begin(ctx, &f, alice_pub, NULL);
    env = envelope_of(&f, good, &len);
    verify_spooled(env, len, &sp);
    rc = spooled_release(ctx, &sp, &msg);
    ck_assert_msg(rc == ENVELOPE_OK, "release: rc %d (%s)", rc, envelope_ctx_detail(ctx));
    ck_assert_msg(out.len == MSG_LEN && memcmp(out.p, good, MSG_LEN) == 0,
                  "released %zu bytes, want the %zu verified", out.len, MSG_LEN);
    bytes_free(&out);
    spooled_free(&sp);
    free(env);
    forge_free(&f);
}
END_TEST

/* The swapped payload authenticates under the same payload key: only the
 * SHA-512 computed again during the release can refuse it. */
START_TEST(release_refuses_a_swapped_payload)
{
    struct forge f;
    struct spooled sp;
    struct bytes out = {0};
    struct sink msg = {bytes_write, &out};
    size_t len, evil_len;
    uint8_t *env, *swapped;
    envelope_rc rc;

    forge_begin(ctx, &f, alice_pub, NULL);
    env = envelope_of(&f, good, &len);
    swapped = envelope_of(&f, evil, &evil_len);
    verify_spooled(env, len, &sp);
    overwrite_spool(&sp, swapped, evil_len);
    rc = spooled_release(ctx, &sp, &msg);
    ck_assert_msg(rc == ENVELOPE_E_MESSAGE_MISMATCH, "release: rc %d (%s), want %d", rc,
                  envelope_ctx_detail(ctx), ENVELOPE_E_MESSAGE_MISMATCH);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "differs from the verified") != NULL,
                  "detail: %s", envelope_ctx_detail(ctx));
    bytes_free(&out);
    spooled_free(&sp);
    free(swapped);
    free(env);
    forge_free(&f);
}
END_TEST

/* A verified empty message, its spool swapped for a longer one: refused
 * before a byte is released (a limit of 0 is no limit to the tar reader). */
START_TEST(release_refuses_more_than_an_empty_message)
{
    struct forge f;
    struct spooled sp;
    struct bytes out = {0};
    struct sink msg = {bytes_write, &out};
    size_t len, evil_len;
    uint8_t *env, *swapped;
    envelope_rc rc;

    forge_begin(ctx, &f, alice_pub, NULL);
    env = envelope_n(&f, good, good, 0, &len);
    swapped = envelope_of(&f, evil, &evil_len);
    verify_spooled(env, len, &sp);
    overwrite_spool(&sp, swapped, evil_len);
    rc = spooled_release(ctx, &sp, &msg);
    ck_assert_msg(rc == ENVELOPE_E_MESSAGE_MISMATCH, "release: rc %d (%s)", rc,
                  envelope_ctx_detail(ctx));
    ck_assert_msg(out.len == 0, "%zu bytes released", out.len);
    bytes_free(&out);
    spooled_free(&sp);
    free(swapped);
    free(env);
    forge_free(&f);
}
END_TEST

/* The same check with the verified values changed instead of the spool:
 * the SHA-512 alone decides. */
START_TEST(release_checks_the_sha512)
{
    struct forge f;
    struct spooled sp;
    struct bytes out = {0};
    struct sink msg = {bytes_write, &out};
    size_t len;
    uint8_t *env;
    envelope_rc rc;

    forge_begin(ctx, &f, alice_pub, NULL);
    env = envelope_of(&f, good, &len);
    verify_spooled(env, len, &sp);
    sp.raw.sha512[SHA512_LEN - 1] ^= 1;
    rc = spooled_release(ctx, &sp, &msg);
    ck_assert_msg(rc == ENVELOPE_E_MESSAGE_MISMATCH, "release: rc %d (%s)", rc,
                  envelope_ctx_detail(ctx));
    bytes_free(&out);
    spooled_free(&sp);
    free(env);
    forge_free(&f);
}
END_TEST

/* A spool cut short is refused, not released in part as if whole: cut
 * inside its only chunk, that chunk no longer authenticates. */
START_TEST(release_refuses_a_truncated_spool)
{
    struct forge f;
    struct spooled sp;
    struct bytes out = {0};
    struct sink msg = {bytes_write, &out};
    size_t len;
    uint8_t *env;
    envelope_rc rc;

    forge_begin(ctx, &f, alice_pub, NULL);
    env = envelope_of(&f, good, &len);
    verify_spooled(env, len, &sp);
    overwrite_spool(&sp, env, len - 40);
    rc = spooled_release(ctx, &sp, &msg);
    ck_assert_msg(rc == ENVELOPE_E_TAMPERED, "release: rc %d (%s)", rc,
                  envelope_ctx_detail(ctx));
    bytes_free(&out);
    spooled_free(&sp);
    free(env);
    forge_free(&f);
}
END_TEST

/* A compat message is verified whole in memory and released from there,
 * through the outputs that spool: a descriptor and a callback. */
START_TEST(compat_is_released_from_memory)
{
    envelope_key *dave = load_test_key(ctx, "dave.pem");
    envelope_seal_opts *so = seal_opts_for(ctx, &dave, 1, 0);
    envelope_open_opts *oo = open_opts_for(ctx, dave);
    struct bytes out = {0};
    struct mem_reader rd;
    envelope_result *r = NULL;
    uint8_t *env, *got;
    size_t len, got_len;
    int in, fd;

    ck_assert_rc(envelope_seal_opts_set_format(so, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, good, MSG_LEN, &env, &len), ENVELOPE_OK);
    in = mem_fd(env, len);
    fd = mem_fd(NULL, 0);
    ck_assert_rc(envelope_open_fd(ctx, oo, in, fd, &r), ENVELOPE_OK);
    ck_assert_int_eq(envelope_result_format(r), ENVELOPE_FORMAT_COMPAT);
    got = fd_contents(fd, &got_len);
    ck_assert_msg(got_len == MSG_LEN && memcmp(got, good, MSG_LEN) == 0,
                  "open_fd released %zu bytes, want %zu", got_len, MSG_LEN);
    free(got);
    envelope_result_free(r);
    close(fd);
    close(in);
    rd = (struct mem_reader){env, len};
    ck_assert_rc(envelope_open_cb(ctx, oo, mem_read, &rd, bytes_write, &out, NULL), ENVELOPE_OK);
    ck_assert_msg(out.len == MSG_LEN && memcmp(out.p, good, MSG_LEN) == 0,
                  "open_cb released %zu bytes, want %zu", out.len, MSG_LEN);
    bytes_free(&out);
    envelope_free(env);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    envelope_key_free(dave);
}
END_TEST

/* With a maximum size, the spool keeps what the release needs and no more:
 * zero padding after the archive, which the signature does not cover and
 * anyone can add, is read and checked but not spooled. The message is the
 * maximum size exactly, over several chunks. */
START_TEST(spool_is_bounded_by_the_maximum)
{
    enum { BIG = 300000, PAD = 3 << 20 };
    uint8_t *big = pattern(BIG, 5), *tar, *padded, *env;
    struct forge f;
    struct manifest m;
    struct bytes json, sig, out = {0};
    struct sink msg = {bytes_write, &out};
    struct spooled sp;
    struct stat st;
    size_t tar_len, len;
    envelope_rc rc;

    forge_begin(ctx, &f, alice_pub, NULL);
    forge_manifest(ctx, &f, signer, "big", big, BIG, &m);
    forge_sign(ctx, &m, signer, &json, &sig);
    tar = forge_bundle("big", big, BIG, &json, &sig, &tar_len);
    ck_assert_ptr_nonnull(padded = calloc(1, tar_len + PAD));
    memcpy(padded, tar, tar_len);
    env = forge_seal(&f, padded, tar_len + PAD, &len);
    ck_assert_rc(envelope_open_opts_set_max_size(opts, BIG), ENVELOPE_OK);
    verify_spooled(env, len, &sp);
    ck_assert_int_eq(fstat(sp.fd, &st), 0);
    ck_assert_msg((size_t)st.st_size < len && st.st_size < BIG + (1 << 20),
                  "spooled %lld of %zu bytes", (long long)st.st_size, len);
    rc = spooled_release(ctx, &sp, &msg);
    ck_assert_msg(rc == ENVELOPE_OK, "release: rc %d (%s)", rc, envelope_ctx_detail(ctx));
    ck_assert_msg(out.len == BIG && memcmp(out.p, big, BIG) == 0, "released %zu bytes",
                  out.len);
    bytes_free(&out);
    spooled_free(&sp);
    free(env);
    free(padded);
    free(tar);
    bytes_free(&json);
    bytes_free(&sig);
    forge_free(&f);
    free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("release");
    TCase *tc = tcase_create("release");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, release_gives_the_verified_message);
    tcase_add_test(tc, release_refuses_a_swapped_payload);
    tcase_add_test(tc, release_checks_the_sha512);
    tcase_add_test(tc, release_refuses_more_than_an_empty_message);
    tcase_add_test(tc, release_refuses_a_truncated_spool);
    tcase_add_test(tc, compat_is_released_from_memory);
    tcase_add_test(tc, spool_is_bounded_by_the_maximum);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
