/* Outputs flushed before they get their name, and their directory after,
 * unless the caller takes the directory over (set_sync_dir 0) to flush it
 * once for many outputs. fsync is replaced here, for the library linked
 * into this program, by one that records what it was asked to flush. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testutil.h"

static char synced[16]; /* 'f' for a file, 'd' for a directory, in order */
static size_t n_synced;

int fsync(int fd)
{
    struct stat st;

    if (n_synced + 1 < sizeof(synced) && fstat(fd, &st) == 0)
        synced[n_synced++] = S_ISDIR(st.st_mode) ? 'd' : 'f';
    synced[n_synced] = '\0';
    return (int)syscall(SYS_fsync, fd);
}

static envelope_ctx *ctx;
static envelope_key *alice;
static envelope_open_opts *opts;
static uint8_t *msg, *env;
static size_t env_len;
static char *dir, path[PATH_MAX];

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    opts = open_opts_for(ctx, alice);
    msg = pattern(5000, 3);
    env = seal_to_alice(ctx, msg, 5000, &env_len);
    dir = make_temp_dir();
    n_synced = 0;
    synced[0] = '\0';
}

static void teardown(void)
{
    rm_tree(dir);
    free(dir);
    free(env);
    free(msg);
    envelope_open_opts_free(opts);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

static void open_to(const char *name, int extract)
{
    int in = mem_fd(env, env_len);
    envelope_rc rc;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    n_synced = 0;
    synced[0] = '\0';
    rc = extract ? envelope_open_extract(ctx, opts, in, path, NULL)
                 : envelope_open_file(ctx, opts, in, path, 0, NULL);
    ck_assert_msg(rc == ENVELOPE_OK, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
    close(in);
}

START_TEST(open_file_flushes_file_then_directory)
{
    open_to("out", 0);
    ck_assert_str_eq(synced, "fd");
}
END_TEST

START_TEST(open_file_leaves_the_directory_when_asked)
{
    ck_assert_rc(envelope_open_opts_set_sync_dir(opts, 0), ENVELOPE_OK);
    open_to("out", 0);
    ck_assert_str_eq(synced, "f");
}
END_TEST

/* The message, manifest.json and manifest.sig, the new directory, then
 * the one that holds it. */
START_TEST(extract_flushes_everything)
{
    open_to("x", 1);
    ck_assert_str_eq(synced, "fffdd");
    ck_assert_rc(envelope_open_opts_set_sync_dir(opts, 0), ENVELOPE_OK);
    open_to("y", 1);
    ck_assert_str_eq(synced, "fffd");
}
END_TEST

START_TEST(seal_file_flushes_file_then_directory)
{
    envelope_seal_opts *so = seal_opts_for(ctx, &alice, 1, 0);
    int in = mem_fd(msg, 5000);
    envelope_rc rc;

    snprintf(path, sizeof(path), "%s/sealed", dir);
    rc = envelope_seal_file(ctx, so, in, path, 0);
    ck_assert_msg(rc == ENVELOPE_OK, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
    ck_assert_str_eq(synced, "fd");
    n_synced = 0;
    synced[0] = '\0';
    ck_assert_rc(envelope_seal_opts_set_sync_dir(so, 0), ENVELOPE_OK);
    ck_assert_int_eq(lseek(in, 0, SEEK_SET), 0);
    rc = envelope_seal_file(ctx, so, in, path, 1);
    ck_assert_msg(rc == ENVELOPE_OK, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
    ck_assert_str_eq(synced, "f");
    close(in);
    envelope_seal_opts_free(so);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("durability");
    TCase *tc = tcase_create("durability");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, open_file_flushes_file_then_directory);
    tcase_add_test(tc, open_file_leaves_the_directory_when_asked);
    tcase_add_test(tc, extract_flushes_everything);
    tcase_add_test(tc, seal_file_flushes_file_then_directory);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
