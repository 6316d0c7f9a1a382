/* Room on the disk (space.h): the stated size against statvfs, a spool and
 * an output sharing one file system, places that cannot be measured, and
 * the words for a full disk. The sizes are far beyond any disk, so the
 * outcome does not depend on what the machine has free. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/space.h"
#include "testutil.h"

#define HUGE ((uint64_t)1 << 62)

static envelope_ctx *ctx;
static char *dir;
static char file[4096];
static int fd = -1;

static void setup(void)
{
    ctx = new_ctx();
    dir = make_temp_dir();
    snprintf(file, sizeof(file), "%s/out", dir);
    write_file(file, (const uint8_t *)"", 0);
    fd = open(file, O_RDWR | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "%s: %s", file, strerror(errno));
}

static void teardown(void)
{
    close(fd);
    rm_tree(dir);
    free(dir);
    envelope_ctx_free(ctx);
}

START_TEST(nothing_to_check)
{
    envelope_rc rc = space_check(ctx, NULL, HUGE);

    ck_assert_msg(rc == ENVELOPE_OK, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
}
END_TEST

START_TEST(too_large_for_the_output)
{
    struct space s = {0};
    char want[256];
    envelope_rc rc;

    space_add_fd(&s, fd, "OUT");
    snprintf(want, sizeof(want), "not enough space: the message states %llu bytes; the file "
             "system holding OUT has ", (unsigned long long)HUGE);
    rc = space_check(ctx, &s, HUGE);
    ck_assert_msg(rc == ENVELOPE_E_IO && strncmp(envelope_ctx_detail(ctx), want,
                                                 strlen(want)) == 0,
                  "rc %d, detail \"%s\"", rc, envelope_ctx_detail(ctx));
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), " bytes free") != NULL, "detail \"%s\"",
                  envelope_ctx_detail(ctx));
    rc = space_check(ctx, &s, 0);
    ck_assert_msg(rc == ENVELOPE_OK, "an empty message: rc %d (%s)", rc,
                  envelope_ctx_detail(ctx));
}
END_TEST

START_TEST(one_file_system_counts_twice)
{
    struct space s = {0};
    envelope_rc rc;

    space_add_beside(&s, file, "OUT");
    space_add_fd(&s, fd, "SPOOL");
    rc = space_check(ctx, &s, HUGE);
    ck_assert_msg(rc == ENVELOPE_E_IO && strstr(envelope_ctx_detail(ctx),
                                                "bytes (twice: spool and output); the file "
                                                "system holding OUT has ") != NULL,
                  "rc %d, detail \"%s\"", rc, envelope_ctx_detail(ctx));
}
END_TEST

START_TEST(unmeasurable_places_are_not_checked)
{
    struct space s = {0};
    int p[2];
    envelope_rc rc;

    ck_assert_msg(pipe(p) == 0, "pipe: %s", strerror(errno));
    space_add_fd(&s, p[1], "PIPE");
    space_add_beside(&s, "/nonexistent/dir/out", "GONE");
    rc = space_check(ctx, &s, HUGE);
    close(p[0]);
    close(p[1]);
    ck_assert_msg(rc == ENVELOPE_OK, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
    /* A regular file on a file system that states no size. */
    s.n = 0;
    p[0] = mem_fd(NULL, 0);
    space_add_fd(&s, p[0], "MEMFD");
    rc = space_check(ctx, &s, HUGE);
    close(p[0]);
    ck_assert_msg(rc == ENVELOPE_OK, "memfd: rc %d (%s)", rc, envelope_ctx_detail(ctx));
}
END_TEST

START_TEST(a_full_disk_says_so)
{
    envelope_rc rc = fail_write(ctx, ENOSPC, "/data/out", "writing the message");

    ck_assert_msg(rc == ENVELOPE_E_IO && errno == ENOSPC &&
                      strcmp(envelope_ctx_detail(ctx),
                             "no space left on the device holding /data/out") == 0,
                  "rc %d, errno %d, detail \"%s\"", rc, errno, envelope_ctx_detail(ctx));
    rc = fail_write(ctx, EDQUOT, "/data/out", "writing the message");
    ck_assert_msg(rc == ENVELOPE_E_IO && strcmp(envelope_ctx_detail(ctx),
                                                "no space left on the device holding "
                                                "/data/out") == 0,
                  "EDQUOT: rc %d, detail \"%s\"", rc, envelope_ctx_detail(ctx));
    rc = fail_write(ctx, EIO, "/data/out", "writing the message");
    ck_assert_msg(rc == ENVELOPE_E_IO && strcmp(envelope_ctx_detail(ctx),
                                                "writing the message: Input/output error") == 0,
                  "EIO: rc %d, detail \"%s\"", rc, envelope_ctx_detail(ctx));
    rc = fail_write(ctx, 0, NULL, "writing the message");
    ck_assert_msg(rc == ENVELOPE_E_IO && strcmp(envelope_ctx_detail(ctx),
                                                "writing the message") == 0,
                  "no errno: rc %d, detail \"%s\"", rc, envelope_ctx_detail(ctx));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("space");
    TCase *tc = tcase_create("space");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nothing_to_check);
    tcase_add_test(tc, too_large_for_the_output);
    tcase_add_test(tc, one_file_system_counts_twice);
    tcase_add_test(tc, unmeasurable_places_are_not_checked);
    tcase_add_test(tc, a_full_disk_says_so);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
