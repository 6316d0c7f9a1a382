/* Without libarchive: a compat seal or open fails with
 * ENVELOPE_E_UNSUPPORTED naming the library and the package, before the
 * message is read or a key is used, and nothing comes out; v1 envelopes,
 * which do not need it, seal and open as before. A suite of its own,
 * because libarchive, once loaded, stays loaded for the life of the
 * process. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline/archive_dl.h"
#include "pipeline/compat.h"
#include "testutil.h"

#define ABSENT "libarchive-absent-for-this-test.so.13"

static void assert_detail_is_load_failure(envelope_ctx *ctx, const char *what)
{
    const char *d = envelope_ctx_detail(ctx);
    static const char want[] = "compat envelopes need libarchive, which could not be loaded "
                               "(" ABSENT ": ";

    ck_assert_msg(strncmp(d, want, strlen(want)) == 0 &&
                      strstr(d, "install the libarchive13 package") != NULL,
                  "%s: detail: %s", what, d);
}

/* A real compat envelope of "hi\n" to dave, made by a child process (with
 * the usual library name), so that this process never loads libarchive. */
static uint8_t *compat_envelope_from_child(size_t *len)
{
    uint8_t *env = malloc(512);
    int p[2], status = -1;
    ssize_t got;
    pid_t pid;

    ck_assert_ptr_nonnull(env);
    ck_assert_int_eq(pipe(p), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        envelope_ctx *ctx = new_ctx();
        envelope_key *dave = load_test_key(ctx, "dave.pub");
        envelope_seal_opts *so = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
        uint8_t *out = NULL;
        size_t n = 0;
        int ok;

        close(p[0]);
        ok = envelope_seal_opts_set_format(so, ENVELOPE_FORMAT_COMPAT) == ENVELOPE_OK &&
             envelope_seal_mem(ctx, so, (const uint8_t *)"hi\n", 3, &out, &n) == ENVELOPE_OK &&
             write(p[1], out, n) == (ssize_t)n;
        if (!ok)
            fprintf(stderr, "child seal: %s\n", envelope_ctx_detail(ctx));
        envelope_free(out);
        envelope_seal_opts_free(so);
        envelope_key_free(dave);
        envelope_ctx_free(ctx);
        free(env);
        close(p[1]);
        _exit(ok ? 0 : 1);
    }
    close(p[1]);
    *len = 0;
    while (*len < 512 && (got = read(p[0], env + *len, 512 - *len)) > 0)
        *len += (size_t)got;
    close(p[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && *len == 512,
                  "child: status %d, %zu bytes", status, *len);
    return env;
}

static ssize_t counted_read(void *arg, uint8_t *buf, size_t len)
{
    (void)buf;
    (void)len;
    ++*(size_t *)arg;
    return 0;
}

static int counted_write(void *arg, const uint8_t *buf, size_t len)
{
    (void)buf;
    *(size_t *)arg += len;
    return 0;
}

static void seal_compat_fails(envelope_ctx *ctx, envelope_key *dave)
{
    envelope_seal_opts *so = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
    uint8_t *out = (uint8_t *)"untouched", *rest;
    envelope_sealer *sealer = NULL;
    size_t out_len = 12345, reads = 0, written = 0;
    int in_fd = mem_fd((const uint8_t *)"hi\n", 3), out_fd = mem_fd(NULL, 0);

    ck_assert_rc(envelope_seal_opts_set_format(so, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, (const uint8_t *)"hi\n", 3, &out, &out_len),
                 ENVELOPE_E_UNSUPPORTED);
    assert_detail_is_load_failure(ctx, "seal_mem");
    ck_assert_msg(out == NULL && out_len == 0, "seal_mem left output: %p, %zu bytes",
                  (void *)out, out_len);
    ck_assert_rc(envelope_seal_fd(ctx, so, in_fd, out_fd), ENVELOPE_E_UNSUPPORTED);
    assert_detail_is_load_failure(ctx, "seal_fd");
    rest = fd_contents(out_fd, &written);
    ck_assert_msg(written == 0, "seal_fd wrote %zu bytes", written);
    free(rest);
    /* Refused before a byte of the message is asked for. */
    written = 0;
    ck_assert_rc(envelope_seal_cb(ctx, so, 3, counted_read, &reads, counted_write, &written),
                 ENVELOPE_E_UNSUPPORTED);
    assert_detail_is_load_failure(ctx, "seal_cb");
    ck_assert_msg(reads == 0 && written == 0, "seal_cb: %zu reads, %zu bytes written", reads,
                  written);
    /* A sealer is refused when made, not after the message is spooled. */
    ck_assert_rc(envelope_sealer_new(ctx, so, ENVELOPE_SIZE_UNKNOWN, counted_write, &written,
                                     &sealer),
                 ENVELOPE_E_UNSUPPORTED);
    assert_detail_is_load_failure(ctx, "sealer_new");
    ck_assert_msg(sealer == NULL && written == 0, "sealer_new: sealer %p, %zu bytes written",
                  (void *)sealer, written);
    close(in_fd);
    close(out_fd);
    envelope_seal_opts_free(so);
}

static void open_compat_fails(envelope_ctx *ctx, envelope_key *dave_priv, const uint8_t *env,
                              size_t len, const char *scratch)
{
    envelope_open_opts *oo = open_opts_for(ctx, dave_priv);
    size_t msg_len = 1;
    uint8_t msg[WRAPPED_MAX];
    char name[MESSAGE_NAME_MAX + 1];
    struct opened raw;

    /* Not allowed: refused as before, libarchive or not. */
    assert_open_fails(ctx, oo, env, len, ENVELOPE_E_COMPAT_REFUSED, scratch, 1, "not allowed");
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    assert_open_fails(ctx, oo, env, len, ENVELOPE_E_UNSUPPORTED, scratch, 1, "allowed");
    assert_detail_is_load_failure(ctx, "open");
    /* The decrypted archive's reader, as the fuzz target calls it. */
    memset(&raw, 0, sizeof(raw));
    ck_assert_rc(compat_unpack(ctx, env, len, &raw, msg, &msg_len, name),
                 ENVELOPE_E_UNSUPPORTED);
    assert_detail_is_load_failure(ctx, "compat_unpack");
    ck_assert_uint_eq(raw.sig_len, 0);
    envelope_open_opts_free(oo);
}

/* v1 needs no libarchive from the loader. */
static void v1_round_trips(envelope_ctx *ctx, envelope_key *dave, envelope_key *dave_priv)
{
    static const uint8_t msg[] = "a v1 message\n";
    envelope_seal_opts *so = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
    envelope_open_opts *oo = open_opts_for(ctx, dave_priv);
    envelope_result *r = NULL;
    uint8_t *env = NULL, *back = NULL;
    size_t env_len = 0, back_len = 0;
    envelope_rc rc;

    rc = envelope_seal_mem(ctx, so, msg, sizeof(msg) - 1, &env, &env_len);
    ck_assert_msg(rc == ENVELOPE_OK, "v1 seal: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK);
    rc = envelope_open_mem(ctx, oo, env, env_len, &back, &back_len, &r);
    ck_assert_msg(rc == ENVELOPE_OK, "v1 open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_uint_eq(back_len, sizeof(msg) - 1);
    ck_assert_mem_eq(back, msg, back_len);
    ck_assert_int_eq(envelope_result_format(r), ENVELOPE_FORMAT_V1);
    envelope_result_free(r);
    envelope_free_secret(back, back_len);
    envelope_free(env);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
}

START_TEST(compat_without_libarchive)
{
    envelope_ctx *ctx;
    envelope_key *dave, *dave_priv;
    size_t len = 0;
    uint8_t *env = compat_envelope_from_child(&len);
    char *scratch;

    archive_dl_soname = ABSENT;
    ctx = new_ctx();
    dave = load_test_key(ctx, "dave.pub");
    dave_priv = load_test_key(ctx, "dave.pem");
    scratch = make_temp_dir();
    seal_compat_fails(ctx, dave);
    open_compat_fails(ctx, dave_priv, env, len, scratch);
    v1_round_trips(ctx, dave, dave_priv);
    ck_assert_int_eq(archive_dl_loaded(), 0);
    rm_tree(scratch);
    free(scratch);
    free(env);
    envelope_key_free(dave_priv);
    envelope_key_free(dave);
    envelope_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("compat_noarchive");
    TCase *tc = tcase_create("noarchive");

    tcase_add_test(tc, compat_without_libarchive);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return run_suite(s) ? 1 : 0;
}
