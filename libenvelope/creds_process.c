/* credential_process: a command from the profile, run as the AWS SDKs run
 * it (through /bin/sh -c, so it is exactly as trusted as the config file
 * that holds it), printing credentials as JSON on its standard output:
 *   {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
 *    "SessionToken": ..., "Expiration": "2024-05-01T12:00:00Z"}
 * Its output is capped, wiped once read, and never quoted in an error;
 * only the first line of its standard error is, as the command's own word
 * on why it failed. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "creds.h"
#include "http.h"
#include "kms.h"

#define PROCESS_OUTPUT_MAX HTTP_RESPONSE_MAX /* what kms_json_parse takes */
#define PROCESS_STDERR_MAX 4096
#define PROCESS_TIMEOUT_MS 60000

extern char **environ;

struct run {
    pid_t pid;
    int out, err;               /* read ends */
    char *buf;                  /* PROCESS_OUTPUT_MAX + 1, wiped */
    size_t len;
    int overflow;
    char err_text[PROCESS_STDERR_MAX + 1];
    size_t err_len;
    int status;
    int timed_out;
};

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int spawn(const char *command, struct run *r)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    int rc = -1;

    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        rc = errno;
        goto out;
    }
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
        goto out;
    /* dup2 clears close-on-exec on the child's copies only; the command
     * reads nothing: its standard input is /dev/null. */
    if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&fa, err[1], 2)) == 0)
        rc = posix_spawn(&r->pid, "/bin/sh", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
out:
    if (out[1] >= 0)
        close(out[1]);
    if (err[1] >= 0)
        close(err[1]);
    if (rc == 0) {
        r->out = out[0];
        r->err = err[0];
    } else {
        if (out[0] >= 0)
            close(out[0]);
        if (err[0] >= 0)
            close(err[0]);
    }
    return rc;
}

/* Reads one chunk from fd into the stdout buffer or the stderr text;
 * returns 0 at the end of that stream. */
static int drain(struct run *r, int is_out)
{
    char scratch[1024];
    char *dst;
    size_t room;
    ssize_t n;

    if (is_out) {
        room = PROCESS_OUTPUT_MAX - r->len;
        dst = room ? r->buf + r->len : scratch;
    } else {
        room = PROCESS_STDERR_MAX - r->err_len;
        dst = room ? r->err_text + r->err_len : scratch;
    }
    n = read(is_out ? r->out : r->err, dst, room ? room : sizeof(scratch));
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    if (dst == scratch) {
        OPENSSL_cleanse(scratch, sizeof(scratch));
        if (is_out)
            r->overflow = 1;
    } else if (is_out) {
        r->len += (size_t)n;
    } else {
        r->err_len += (size_t)n;
    }
    return 1;
}

/* Both streams to their ends, within the time limit; then the exit status. */
static void collect(struct run *r)
{
    struct pollfd fds[2] = {{r->out, POLLIN, 0}, {r->err, POLLIN, 0}};
    long deadline = now_ms() + PROCESS_TIMEOUT_MS;
    int open_fds = 2;

    while (open_fds > 0) {
        long left = deadline - now_ms();
        int n;

        if (left <= 0) {
            r->timed_out = 1;
            kill(r->pid, SIGKILL);
            break;
        }
        n = poll(fds, 2, (int)left);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; n > 0 && i < 2; i++) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                !drain(r, i == 0)) {
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    close(r->out);
    close(r->err);
    while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
        ;
}

static void mask(char *text, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    char *p = text;

    /* On from past each match: a secret of '*' alone matches itself. */
    while (n >= 4 && (p = strstr(p, secret)) != NULL) {
        memset(p, '*', n);
        p += n;
    }
}

/* The first line of what the command said on stderr, printable only, with
 * any secret it also printed on stdout masked. */
static void first_line(struct run *r, char *out, size_t cap)
{
    static const char *const secrets[] = {"SecretAccessKey", "SessionToken"};
    json_object *o;
    size_t j = 0;

    for (size_t i = 0; i < r->err_len && j + 1 < cap && r->err_text[i] != '\n'; i++)
        if (r->err_text[i] != '\r')
            out[j++] = r->err_text[i] >= 0x20 && r->err_text[i] < 0x7f ? r->err_text[i] : '?';
    out[j] = '\0';
    if ((o = kms_json_parse((const uint8_t *)r->buf, r->len)) != NULL) {
        for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
            mask(out, kms_json_string(o, secrets[i], NULL));
        kms_json_free_all(o);
    }
}

static envelope_rc exit_failure(envelope_ctx *ctx, const char *what, struct run *r)
{
    char line[201];

    first_line(r, line, sizeof(line));
    if (r->timed_out)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: still running after %d s: stopped", what,
                    PROCESS_TIMEOUT_MS / 1000);
    if (WIFSIGNALED(r->status))
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: killed by signal %d%s%s", what,
                    WTERMSIG(r->status), line[0] ? ": " : "", line);
    return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: exit status %d%s%s", what,
                WEXITSTATUS(r->status), line[0] ? ": " : "", line);
}

static envelope_rc parse_output(envelope_ctx *ctx, const char *what, struct run *r,
                                struct aws_creds *out)
{
    json_object *o, *version;
    envelope_rc rc;

    if (r->overflow)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: printed more than %d bytes", what,
                    PROCESS_OUTPUT_MAX);
    if ((o = kms_json_parse((const uint8_t *)r->buf, r->len)) == NULL)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: printed %zu bytes that are not one JSON object (expected Version 1, "
                    "AccessKeyId, SecretAccessKey, SessionToken, Expiration)",
                    what, r->len);
    if (!json_object_object_get_ex(o, "Version", &version) ||
        !json_object_is_type(version, json_type_int) || json_object_get_int64(version) != 1)
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the JSON printed has no \"Version\": 1",
                  what);
    else
        rc = creds_from_json(ctx, what, o, "SessionToken", 0, out);
    kms_json_free_all(o);
    return rc;
}

envelope_rc creds_from_process(envelope_ctx *ctx, const char *what, const char *command,
                               struct aws_creds *out)
{
    struct run r;
    envelope_rc rc;
    int e;

    memset(&r, 0, sizeof(r));
    if ((r.buf = malloc(PROCESS_OUTPUT_MAX + 1)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "%s", what);
    if ((e = spawn(command, &r)) != 0) {
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: cannot run /bin/sh: %s", what, strerror(e));
    } else {
        collect(&r);
        if (r.timed_out || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
            rc = exit_failure(ctx, what, &r);
        else
            rc = parse_output(ctx, what, &r, out);
    }
    OPENSSL_cleanse(r.buf, PROCESS_OUTPUT_MAX + 1);
    OPENSSL_cleanse(r.err_text, sizeof(r.err_text));
    free(r.buf);
    return rc;
}
