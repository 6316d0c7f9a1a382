/* credential_process: a command from the profile, run as the AWS SDKs run
 * it (through /bin/sh -c, so it is exactly as trusted as the config file
 * that holds it), printing credentials as JSON on its standard output:
 *   {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
 *    "SessionToken": ..., "Expiration": "2024-05-01T12:00:00Z"}
 * Its output is capped, wiped once read, and never quoted in an error;
 * only the first line of its standard error is, as the command's own word
 * on why it failed. It has a deadline, exit included: past it, or once it
 * has printed too much, it is killed, with its process group when it runs
 * without a controlling terminal. */
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
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/context.h"
#include "aws/env_setting.h"
#include "aws/creds.h"
#include "aws/helpers.h"
#include "aws/http.h"
#include "aws/kms.h"

#define PROCESS_OUTPUT_MAX HTTP_RESPONSE_MAX /* what kms_json_parse takes */
#define PROCESS_STDERR_MAX 4096
#define PROCESS_TIMEOUT_MS 60000
#define PROCESS_TIMEOUT_LIMIT_MS 3600000UL
#define PROCESS_TIMEOUT_ENV "ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS"
#define PROCESS_NAP_MAX_MS 50 /* between exit checks when there is no pidfd */
/* The longest a cancelled call waits on before it sees envelope_cancel: a
 * signal that lands just before poll() does not wake it. */
#define PROCESS_CANCEL_CHECK_MS 100

extern char **environ;

struct run {
    unsigned long timeout_ms;
    pid_t pid;
    int own_group;              /* leads a process group of its own */
    int slot;                   /* in the table envelope_kill_helpers() reads */
    int out, err;               /* read ends */
    int pidfd;                  /* readable once it exits; -1 if unavailable */
    char *buf;                  /* PROCESS_OUTPUT_MAX + 1, wiped */
    size_t len;
    int overflow;
    char err_text[PROCESS_STDERR_MAX + 1];
    size_t err_len;
    int status;
    int timed_out;
    int cancelled;              /* envelope_cancel, or envelope_kill_helpers */
};

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The deadline: ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS, else 60 s. */
static envelope_rc timeout_ms(envelope_ctx *ctx, unsigned long *out)
{
    *out = PROCESS_TIMEOUT_MS;
    return env_ulong(ctx, PROCESS_TIMEOUT_ENV, 1, PROCESS_TIMEOUT_LIMIT_MS, out);
}

/* A command that may prompt (an MFA code on /dev/tty) stays in the
 * terminal's process group, or reading it would stop it; without a
 * terminal it gets a group of its own, so that its children die with it. */
static int has_terminal(void)
{
    int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static int spawn_with(posix_spawn_file_actions_t *fa, const char *command, struct run *r)
{
    posix_spawnattr_t attr;
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    int rc;

    if ((rc = posix_spawnattr_init(&attr)) != 0)
        return rc;
    r->own_group = !has_terminal();
    if (r->own_group &&
        ((rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP)) != 0 ||
         (rc = posix_spawnattr_setpgroup(&attr, 0)) != 0))
        goto out;
    rc = posix_spawn(&r->pid, "/bin/sh", fa, &attr, argv, environ);
out:
    posix_spawnattr_destroy(&attr);
    return rc;
}

static int spawn(const char *command, struct run *r)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    unsigned kills = helper_kill_requests();
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
        rc = spawn_with(&fa, command, r);
    posix_spawn_file_actions_destroy(&fa);
out:
    if (out[1] >= 0)
        close(out[1]);
    if (err[1] >= 0)
        close(err[1]);
    if (rc == 0) {
        r->out = out[0];
        r->err = err[0];
        r->slot = helper_add(r->own_group ? -r->pid : r->pid);
        r->pidfd = pidfd_open(r->pid, 0); /* -1 on older kernels: then naps */
        if (helper_kill_requests() != kills)
            r->cancelled = 1; /* a kill that came before the slot was filled */
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

/* 1 once the command has exited; it is left to reap, so that its pid
 * cannot be reused while the helper table still names it. */
static int has_exited(pid_t pid)
{
    siginfo_t si;

    si.si_pid = 0;
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD; /* reaped already: SIGCHLD is ignored */
    return si.si_pid == pid;
}

/* Kills the command (its group when it has one of its own: -pid is never
 * the caller's group, it was made for the command). */
static void stop(struct run *r)
{
    kill(r->own_group ? -r->pid : r->pid, SIGKILL);
}

/* Both streams to their ends and the command's exit, within the deadline:
 * past it, or once stdout overflows, the command is killed. Then the exit
 * status. */
static void collect(envelope_ctx *ctx, struct run *r)
{
    struct pollfd fds[3] = {{r->out, POLLIN, 0}, {r->err, POLLIN, 0}, {r->pidfd, POLLIN, 0}};
    long deadline = now_ms() + (long)r->timeout_ms;
    int exited = 0, nap = 1;

    while (!exited || fds[0].fd >= 0 || fds[1].fd >= 0) {
        long left = deadline - now_ms();
        int n, wait_ms = left < PROCESS_CANCEL_CHECK_MS ? (int)left : PROCESS_CANCEL_CHECK_MS;

        if (ctx->cancelled)
            r->cancelled = 1;
        if (left <= 0 || r->overflow || r->cancelled) {
            r->timed_out = !r->overflow && !r->cancelled;
            stop(r);
            break;
        }
        if (!exited && r->pidfd < 0) {
            wait_ms = wait_ms < nap ? wait_ms : nap;
            nap = nap * 2 < PROCESS_NAP_MAX_MS ? nap * 2 : PROCESS_NAP_MAX_MS;
        }
        n = poll(fds, 3, wait_ms);
        if (n < 0 && errno != EINTR) {
            stop(r);
            break;
        }
        for (int i = 0; n > 0 && i < 2; i++) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                !drain(r, i == 0)) {
                fds[i].fd = -1;
            }
        }
        if (!exited && has_exited(r->pid)) {
            exited = 1;
            fds[2].fd = -1;
        }
    }
    close(r->out);
    close(r->err);
    if (r->pidfd >= 0)
        close(r->pidfd);
    helper_remove(r->slot);
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
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: timed out: still running after %lu ms (%s), killed", what,
                    r->timeout_ms, PROCESS_TIMEOUT_ENV);
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
    r.slot = r.pidfd = -1;
    if ((rc = timeout_ms(ctx, &r.timeout_ms)) != ENVELOPE_OK)
        return rc;
    if ((rc = check_cancelled(ctx)) != ENVELOPE_OK)
        return rc;
    if ((r.buf = malloc(PROCESS_OUTPUT_MAX + 1)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "%s", what);
    if ((e = spawn(command, &r)) != 0) {
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: cannot run /bin/sh: %s", what, strerror(e));
    } else {
        collect(ctx, &r);
        /* Overflow first: the command was killed for it. */
        if (r.cancelled && ctx->cancelled)
            rc = check_cancelled(ctx);
        else if (!r.overflow &&
            (r.timed_out || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0))
            rc = exit_failure(ctx, what, &r);
        else
            rc = parse_output(ctx, what, &r, out);
    }
    OPENSSL_cleanse(r.buf, PROCESS_OUTPUT_MAX + 1);
    OPENSSL_cleanse(r.err_text, sizeof(r.err_text));
    free(r.buf);
    return rc;
}

/* The profile's credential_process, named in errors by file and line. */
envelope_rc creds_profile_process(envelope_ctx *ctx, const struct aws_profile *p,
                                  struct aws_creds *out, int *found)
{
    char what[CREDS_SOURCE_MAX];
    const char *command;
    envelope_rc rc;
    int from;

    *found = 0;
    if ((command = profile_get(p, PROFILE_CREDENTIAL_PROCESS, &from)) == NULL)
        return ENVELOPE_OK;
    snprintf(what, sizeof(what), "credential_process of profile %s (%s line %u)", p->name,
             p->file[from].path, p->file[from].line[PROFILE_CREDENTIAL_PROCESS]);
    if ((rc = creds_from_process(ctx, what, command, out)) != ENVELOPE_OK)
        return rc;
    snprintf(out->source, sizeof(out->source), "credential_process of profile %s", p->name);
    out->refreshable = 1;
    *found = 1;
    return ENVELOPE_OK;
}
