/* Sealing from a descriptor whose size lies: pseudo files (procfs, sysfs)
 * are read whole, and a regular file that grows or shrinks while it is
 * sealed is refused, with no envelope left behind. The changes happen in
 * the progress callback, between two reads of the pipeline: deterministic,
 * no thread, no timing. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/pipeline.h"
#include "testutil.h"

/* Seals what fd holds (envelope_seal_fd, to memory) to dave, whose
 * RSA-4096 key leaves the compat format room, opens it and returns the
 * message; *len set. */
static uint8_t *seal_and_open(envelope_ctx *ctx, int fd, envelope_format format, size_t *len)
{
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_key *dave_priv = load_test_key(ctx, "dave.pem");
    envelope_seal_opts *so = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
    envelope_open_opts *oo = open_opts_for(ctx, dave_priv);
    int env_fd = mem_fd(NULL, 0);
    uint8_t *env, *msg = NULL;
    size_t env_len;
    envelope_rc rc;

    ck_assert_rc(envelope_seal_opts_set_name(so, "pseudo.txt"), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_format(so, format), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_allow_compat(oo, format == ENVELOPE_FORMAT_COMPAT),
                 ENVELOPE_OK);
    rc = envelope_seal_fd(ctx, so, fd, env_fd);
    ck_assert_msg(rc == ENVELOPE_OK, "seal: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    env = fd_contents(env_fd, &env_len);
    rc = envelope_open_mem(ctx, oo, env, env_len, &msg, len, NULL);
    ck_assert_msg(rc == ENVELOPE_OK, "open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    free(env);
    close(env_fd);
    envelope_seal_opts_free(so);
    envelope_open_opts_free(oo);
    envelope_key_free(dave);
    envelope_key_free(dave_priv);
    return msg;
}

/* What reading path gives, as cat would see it. */
static uint8_t *contents(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t *p;

    ck_assert_msg(fd >= 0, "%s: cannot open", path);
    p = fd_contents(fd, len);
    close(fd);
    return p;
}

/* fstat says 0 bytes for procfs files, 4096 for sysfs ones: either way the
 * envelope holds what reading the file gives, in both formats. */
static void check_pseudo_file(const char *path, envelope_format format)
{
    envelope_ctx *ctx = new_ctx();
    struct stat st;
    size_t want_len, got_len;
    uint8_t *want = contents(path, &want_len), *got;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    ck_assert_msg(fd >= 0 && fstat(fd, &st) == 0, "%s: cannot open", path);
    ck_assert_msg(want_len > 0 && (uint64_t)st.st_size != want_len,
                  "%s: %zu bytes, fstat says %lld: its size does not lie", path, want_len,
                  (long long)st.st_size);
    ck_assert_int_eq(fd_size_is_made_up(fd), 1);
    got = seal_and_open(ctx, fd, format, &got_len);
    ck_assert_msg(got_len == want_len && memcmp(got, want, want_len) == 0,
                  "%s: sealed %zu bytes, the file holds %zu", path, got_len, want_len);
    envelope_free_secret(got, got_len);
    free(want);
    close(fd);
    envelope_ctx_free(ctx);
}

START_TEST(procfs_file_is_read_whole)
{
    check_pseudo_file("/proc/sys/kernel/ostype", ENVELOPE_FORMAT_V1);
    check_pseudo_file("/proc/sys/kernel/ostype", ENVELOPE_FORMAT_COMPAT);
}
END_TEST

START_TEST(sysfs_file_is_read_whole)
{
    check_pseudo_file("/sys/devices/system/cpu/online", ENVELOPE_FORMAT_V1);
}
END_TEST

/* /proc/self/status changes from one read to the next: what is sealed is
 * one whole read of it, not the 0 bytes fstat reports. */
START_TEST(proc_self_status_is_not_empty)
{
    envelope_ctx *ctx = new_ctx();
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    size_t len;
    uint8_t *got;

    ck_assert_int_ge(fd, 0);
    got = seal_and_open(ctx, fd, ENVELOPE_FORMAT_V1, &len);
    ck_assert_msg(len > 5 && memcmp(got, "Name:", 5) == 0 && got[len - 1] == '\n',
                  "sealed %zu bytes: %.*s", len, (int)(len < 40 ? len : 40), (char *)got);
    envelope_free_secret(got, len);
    close(fd);
    envelope_ctx_free(ctx);
}
END_TEST

START_TEST(regular_files_are_not_pseudo)
{
    int fd = mem_fd((const uint8_t *)"x", 1);

    ck_assert_int_eq(fd_size_is_made_up(fd), 0);
    close(fd);
    fd = open("tests/keys/alice.pub", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fd_size_is_made_up(fd), 0);
    close(fd);
}
END_TEST

/* A pseudo file is read whole up to a bound, and refused past it. */
START_TEST(pseudo_file_bound)
{
    envelope_ctx *ctx = new_ctx();
    uint8_t *data = pattern(10000, 7);
    struct bytes b = {.secret = 1};
    int fd = mem_fd(data, 10000);

    ck_assert_rc(read_fd_whole(ctx, fd, 10000, &b), ENVELOPE_OK);
    ck_assert_uint_eq(b.len, 10000);
    ck_assert_mem_eq(b.p, data, 10000);
    bytes_free(&b);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    ck_assert_rc(read_fd_whole(ctx, fd, 9999, &b), ENVELOPE_E_IO);
    ck_assert_str_eq(envelope_ctx_detail(ctx),
                     "input: a file of a pseudo file system (procfs, sysfs, ...) is read whole "
                     "first, and this one holds more than 9999 bytes");
    bytes_free(&b);
    close(fd);
    free(data);
    envelope_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------ files that change size */

struct change {
    const char *path;
    off_t truncate_to; /* -1: append instead */
    int calls;
};

/* At the first progress report, the file changes under the reader. */
static int change_file(void *arg, uint64_t done, uint64_t total)
{
    struct change *c = arg;
    int fd;

    (void)done;
    (void)total;
    if (c->calls++ > 0)
        return 0;
    if (c->truncate_to >= 0)
        ck_assert_int_eq(truncate(c->path, c->truncate_to), 0);
    else {
        fd = open(c->path, O_WRONLY | O_APPEND | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "more", 4), 4);
        close(fd);
    }
    return 0;
}

/* Seals a size-byte file that c changes while it is sealed; asserts
 * ENVELOPE_E_IO with detail, and that the directory holds only the input. */
static void check_changed(size_t size, off_t truncate_to, const char *detail)
{
    envelope_ctx *ctx = new_ctx();
    envelope_key *alice = load_test_key(ctx, "alice.pub");
    envelope_seal_opts *opts = seal_opts_for(ctx, &alice, 1, TEST_CREATED);
    char *dir = make_temp_dir(), in[PATH_MAX], out[PATH_MAX];
    uint8_t *data = pattern(size, 3);
    struct change c = {in, truncate_to, 0};
    envelope_rc rc;
    int fd;

    snprintf(in, sizeof(in), "%s/message", dir);
    snprintf(out, sizeof(out), "%s/message.env", dir);
    write_file(in, data, size);
    ck_assert_rc(envelope_seal_opts_set_progress(opts, change_file, &c), ENVELOPE_OK);
    fd = open(in, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    rc = envelope_seal_file(ctx, opts, fd, out, 0);
    ck_assert_msg(rc == ENVELOPE_E_IO, "seal: %s (%s), want IO", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_str_eq(envelope_ctx_detail(ctx), detail);
    ck_assert_int_ge(c.calls, 1);
    ck_assert_msg(access(out, F_OK) != 0 && count_entries(dir) == 1,
                  "%d entries in the directory, want only the input", count_entries(dir));
    close(fd);
    rm_tree(dir);
    free(dir);
    free(data);
    envelope_seal_opts_free(opts);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

/* Grown after its last byte was read: the first 1000 bytes were read
 * whole, but the file is no longer what they were. */
START_TEST(file_grown_after_the_last_read)
{
    check_changed(1000, -1, "the input grew while it was sealed: it is longer than its 1000 "
                            "bytes");
}
END_TEST

/* Grown while its first 256 KiB piece was being sealed. */
START_TEST(file_grown_midway)
{
    check_changed(600000, -1, "the input grew while it was sealed: it is longer than its "
                              "600000 bytes");
}
END_TEST

START_TEST(file_shrunk_midway)
{
    check_changed(600000, 1000, "the input shrank while it was sealed: it ended after 262144 "
                                "of its 600000 bytes");
}
END_TEST

static Suite *input_suite(void)
{
    Suite *s = suite_create("input");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, procfs_file_is_read_whole);
    tcase_add_test(tc, sysfs_file_is_read_whole);
    tcase_add_test(tc, proc_self_status_is_not_empty);
    tcase_add_test(tc, regular_files_are_not_pseudo);
    tcase_add_test(tc, pseudo_file_bound);
    tcase_add_test(tc, file_grown_after_the_last_read);
    tcase_add_test(tc, file_grown_midway);
    tcase_add_test(tc, file_shrunk_midway);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(input_suite()) ? 1 : 0;
}
