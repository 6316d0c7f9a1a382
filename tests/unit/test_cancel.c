/* envelope_cancel and EINTR: a read that a signal interrupts is retried,
 * unless the context was cancelled; then the call stops with
 * ENVELOPE_E_CANCELLED, releases nothing and leaves nothing behind. The
 * read callbacks here play the part of the signal: they return -1 with
 * errno EINTR, as read() does in a handler installed without SA_RESTART. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/hasher.h"
#include "pipeline/input_spool.h"
#include "testutil.h"

#define MSG_LEN 300000 /* several chunks: the interruption falls inside */

static envelope_ctx *ctx;
static envelope_key *alice;
static envelope_open_opts *opts;
static uint8_t *msg, *env;
static size_t env_len;
static char *dir;

/* Hands out the envelope in pieces; after `interrupt_at` bytes, one read
 * fails with EINTR, having cancelled the context first if `cancel`. */
struct feed {
    size_t pos, interrupt_at;
    int cancel, interrupted;
};

static ssize_t feed_read(void *arg, uint8_t *buf, size_t len)
{
    struct feed *f = arg;
    size_t n = env_len - f->pos < len ? env_len - f->pos : len;

    if (!f->interrupted && f->pos >= f->interrupt_at) {
        f->interrupted = 1;
        if (f->cancel)
            envelope_cancel(ctx);
        errno = EINTR;
        return -1;
    }
    if (n > 10000)
        n = 10000;
    memcpy(buf, env + f->pos, n);
    f->pos += n;
    return (ssize_t)n;
}

static int count_write(void *arg, const uint8_t *buf, size_t len)
{
    (void)buf;
    *(size_t *)arg += len;
    return 0;
}

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    opts = open_opts_for(ctx, alice);
    msg = pattern(MSG_LEN, 7);
    env = seal_to_alice(ctx, msg, MSG_LEN, &env_len);
    dir = make_temp_dir();
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

/* EINTR without a cancellation is no failure. */
START_TEST(eintr_is_retried)
{
    struct feed f = {0, 100000, 0, 0};
    size_t written = 0;
    envelope_rc rc = envelope_open_cb(ctx, opts, feed_read, &f, count_write, &written, NULL);

    ck_assert_msg(rc == ENVELOPE_OK, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
    ck_assert_msg(f.interrupted, "the feed never interrupted");
    ck_assert_uint_eq(written, MSG_LEN);
}
END_TEST

/* Cancelled in the middle of the input: nothing released. The header and
 * the payload are both read through the same checks: interrupt in each. */
START_TEST(cancel_stops_a_callback_open)
{
    static const size_t at[] = {0, 10, 20000, 150000};
    size_t i = (size_t)_i;
    struct feed f = {0, at[i], 1, 0};
    size_t written = 0;
    envelope_result *r = (envelope_result *)&f;
    envelope_rc rc = envelope_open_cb(ctx, opts, feed_read, &f, count_write, &written, &r);

    ck_assert_msg(rc == ENVELOPE_E_CANCELLED, "interrupted at %zu: rc %d (%s)", at[i], rc,
                  envelope_ctx_detail(ctx));
    ck_assert_str_eq(envelope_ctx_detail(ctx), "interrupted");
    ck_assert_msg(written == 0, "%zu bytes released", written);
    ck_assert_ptr_null(r);
}
END_TEST

/* Outputs to a path: the directory stays as it was. */
START_TEST(cancel_leaves_no_file)
{
    char path[PATH_MAX];
    int in = mem_fd(env, env_len);
    envelope_rc rc;

    snprintf(path, sizeof(path), "%s/out", dir);
    envelope_cancel(ctx);
    rc = envelope_open_file(ctx, opts, in, path, 0, NULL);
    ck_assert_msg(rc == ENVELOPE_E_CANCELLED, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
    ck_assert_int_eq(count_entries(dir), 0);
    snprintf(path, sizeof(path), "%s/x", dir);
    rc = envelope_open_extract(ctx, opts, in, path, NULL);
    ck_assert_msg(rc == ENVELOPE_E_CANCELLED, "extract: rc %d (%s)", rc,
                  envelope_ctx_detail(ctx));
    ck_assert_int_eq(count_entries(dir), 0);
    close(in);
}
END_TEST

/* A cancelled context stays cancelled: the next call stops at its first read. */
START_TEST(cancelled_context_refuses_later_calls)
{
    uint8_t *out = NULL;
    size_t out_len = 1;
    envelope_rc rc;

    envelope_cancel(ctx);
    rc = envelope_open_mem(ctx, opts, env, env_len, &out, &out_len, NULL);
    ck_assert_msg(rc == ENVELOPE_E_CANCELLED, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(out_len, 0);
}
END_TEST

/* Checking a message against its manifest reads a descriptor too: a
 * cancelled context stops it before the first read. */
START_TEST(cancel_stops_a_message_check)
{
    envelope_result *r = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0;
    int fd = mem_fd(msg, MSG_LEN);
    envelope_rc rc;

    ck_assert_rc(envelope_open_mem(ctx, opts, env, env_len, &out, &out_len, &r), ENVELOPE_OK);
    envelope_free_secret(out, out_len);
    ck_assert_rc(envelope_verify_message_fd(ctx, r, fd), ENVELOPE_OK);
    ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
    envelope_cancel(ctx);
    rc = envelope_verify_message_fd(ctx, r, fd);
    ck_assert_msg(rc == ENVELOPE_E_CANCELLED && strcmp(envelope_ctx_detail(ctx), "interrupted") == 0,
                  "rc %s (%s)", envelope_rc_name(rc), envelope_ctx_detail(ctx));
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
    envelope_result_free(r);
    close(fd);
}
END_TEST

/* Succeeds once, leaving errno at EINTR as a successful call may, then
 * fails without touching errno. */
static ssize_t stale_read(void *arg, uint8_t *buf, size_t len)
{
    int *calls = arg;

    if ((*calls)++ > 0)
        return -1;
    memcpy(buf, env, len < 100 ? len : 100);
    errno = EINTR;
    return len < 100 ? (ssize_t)len : 100;
}

/* Only an EINTR the read itself reports is retried; a failure that finds
 * errno at EINTR from before is a failure. */
START_TEST(stale_eintr_is_a_failure)
{
    int calls = 0;
    size_t written = 0;
    envelope_rc rc = envelope_open_cb(ctx, opts, stale_read, &calls, count_write, &written, NULL);

    ck_assert_msg(rc == ENVELOPE_E_IO, "rc %d (%s) after %d reads", rc, envelope_ctx_detail(ctx),
                  calls);
    ck_assert_int_eq(calls, 2);
}
END_TEST

/* A spool that fails authentication says EIO, never EINTR, whatever errno
 * held before: a read loop would otherwise retry it for ever. */
START_TEST(failed_spool_is_not_an_interruption)
{
    struct input_spool sp;
    struct source src = {input_spool_read, &sp};
    uint8_t buf[4096], byte;
    size_t got;
    int in = mem_fd(msg, MSG_LEN);
    envelope_rc rc;

    ck_assert_rc(input_spool_fill(ctx, &sp, in), ENVELOPE_OK);
    ck_assert_uint_eq(sp.size, MSG_LEN);
    /* Inverted, not overwritten: the ciphertext byte may be 0xff already. */
    ck_assert_int_eq(pread(sp.fd, &byte, 1, 100), 1);
    byte = (uint8_t)~byte;
    ck_assert_int_eq(pwrite(sp.fd, &byte, 1, 100), 1);
    errno = EINTR;
    rc = source_read_full(ctx, &src, buf, sizeof(buf), &got);
    ck_assert_msg(rc == ENVELOPE_E_IO, "rc %d (%s)", rc, envelope_ctx_detail(ctx));
    ck_assert_int_eq(sp.rc, ENVELOPE_E_TAMPERED);
    input_spool_free(&sp);
    close(in);
}
END_TEST

/* The signals blocked by the thread tid of this process ("SigBlk:"). */
static unsigned long long blocked_by(const char *tid)
{
    char path[300], line[256];
    unsigned long long mask = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
    ck_assert_msg((f = fopen(path, "r")) != NULL, "%s: %s", path, strerror(errno));
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "SigBlk: %llx", &mask) == 1)
            break;
    fclose(f);
    return mask;
}

/* The hashing thread must not be the one a signal lands on: the thread
 * blocked in a read would never see EINTR. */
START_TEST(hash_thread_blocks_signals)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    struct hasher h;
    char self[32];
    struct dirent *e;
    DIR *tasks;
    int others = 0;

    ck_assert_rc(hasher_start(ctx, &h, 1), ENVELOPE_OK);
    ck_assert_msg(h.threaded, "no hashing thread started");
    snprintf(self, sizeof(self), "%d", (int)getpid());
    ck_assert_ptr_nonnull(tasks = opendir("/proc/self/task"));
    while ((e = readdir(tasks)) != NULL) {
        unsigned long long mask;

        if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
            continue;
        mask = blocked_by(e->d_name);
        others++;
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
            ck_assert_msg(mask & (1ULL << (sigs[i] - 1)),
                          "thread %s does not block signal %d (SigBlk %llx)", e->d_name, sigs[i],
                          mask);
    }
    closedir(tasks);
    ck_assert_int_eq(others, 1);
    hasher_free(&h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cancel");
    TCase *tc = tcase_create("cancel");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, eintr_is_retried);
    tcase_add_loop_test(tc, cancel_stops_a_callback_open, 0, 4);
    tcase_add_test(tc, cancel_leaves_no_file);
    tcase_add_test(tc, cancelled_context_refuses_later_calls);
    tcase_add_test(tc, cancel_stops_a_message_check);
    tcase_add_test(tc, hash_thread_blocks_signals);
    tcase_add_test(tc, failed_spool_is_not_an_interruption);
    tcase_add_test(tc, stale_eintr_is_a_failure);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
