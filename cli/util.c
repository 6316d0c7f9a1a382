/* What the subcommands share: error reporting, exit codes, key loading,
 * passphrases, files, progress. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_quiet;

int exit_code_for(envelope_rc rc)
{
    switch (rc) {
    case ENVELOPE_OK:
        return EXIT_OK;
    case ENVELOPE_E_INVALID_ARGUMENT:
    case ENVELOPE_E_BAD_NAME:
    case ENVELOPE_E_TOO_MANY_RECIPIENTS:
    case ENVELOPE_E_COMPAT_TOO_LARGE:
        return EXIT_USAGE;
    case ENVELOPE_E_IO:
    case ENVELOPE_E_OUTPUT_EXISTS:
        return EXIT_IO;
    case ENVELOPE_E_KEY_LOAD:
    case ENVELOPE_E_KEY_PASSPHRASE:
    case ENVELOPE_E_KEY_TYPE:
    case ENVELOPE_E_KEY_NOT_PRIVATE:
    case ENVELOPE_E_KEY_REF:
    case ENVELOPE_E_UNSUPPORTED:
    case ENVELOPE_E_KMS:
    case ENVELOPE_E_KMS_ACCESS_DENIED:
    case ENVELOPE_E_KMS_NOT_FOUND:
    case ENVELOPE_E_KMS_DISABLED:
    case ENVELOPE_E_KMS_KEY_USAGE:
    case ENVELOPE_E_KMS_AUTH:
    case ENVELOPE_E_KMS_THROTTLED:
    case ENVELOPE_E_KMS_UNAVAILABLE:
    case ENVELOPE_E_KMS_BAD_RESPONSE:
    case ENVELOPE_E_NETWORK:
    case ENVELOPE_E_TLS:
    case ENVELOPE_E_TIMEOUT:
    case ENVELOPE_E_CREDENTIALS:
        return EXIT_KEY;
    case ENVELOPE_E_INTERNAL:
    case ENVELOPE_E_NOMEM:
    case ENVELOPE_E_CANCELLED:
    case ENVELOPE_E_NOT_ENVELOPE:
    case ENVELOPE_E_UNKNOWN_VERSION:
    case ENVELOPE_E_BAD_HEADER:
    case ENVELOPE_E_NOT_RECIPIENT:
    case ENVELOPE_E_TAMPERED:
    case ENVELOPE_E_TRUNCATED:
    case ENVELOPE_E_TRAILING_DATA:
    case ENVELOPE_E_BAD_ARCHIVE:
    case ENVELOPE_E_UNTRUSTED_SIGNER:
    case ENVELOPE_E_BAD_MANIFEST:
    case ENVELOPE_E_FORWARDED:
    case ENVELOPE_E_MESSAGE_MISMATCH:
    case ENVELOPE_E_TOO_LARGE:
    case ENVELOPE_E_TOO_OLD:
    case ENVELOPE_E_COMPAT_REFUSED:
        return EXIT_REJECTED;
    }
    return EXIT_REJECTED;
}

int report(envelope_ctx *ctx, envelope_rc rc, const char *what)
{
    const char *detail = envelope_ctx_detail(ctx);

    if (detail && *detail)
        fprintf(stderr, "envelope: %s: %s (%s)\n", what, envelope_strerror(rc), detail);
    else
        fprintf(stderr, "envelope: %s: %s\n", what, envelope_strerror(rc));
    return exit_code_for(rc);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "envelope %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'envelope %s --help')\n", cmd);
    return EXIT_USAGE;
}

void warnx_(const char *fmt, ...)
{
    va_list ap;

    fputs("envelope: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int read_passphrase_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        return -1;
    n = fread(buf, 1, size, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    return n > (size_t)INT32_MAX ? -1 : (int)n;
}

static int prompt_passphrase(char *buf, size_t size)
{
    struct termios old, quiet;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), n = -1;
    ssize_t got;

    if (fd < 0)
        return -1;
    if (write(fd, "Passphrase: ", 12) == 12 && tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
        got = read(fd, buf, size);
        tcsetattr(fd, TCSAFLUSH, &old);
        (void)!write(fd, "\n", 1);
        if (got >= 0) {
            while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
                got--;
            n = (int)got;
        }
    }
    close(fd);
    return n;
}

int passphrase_cb(void *arg, char *buf, size_t size)
{
    struct passphrase_source *src = arg;

    if (src && src->file)
        return read_passphrase_file(src->file, buf, size);
    return prompt_passphrase(buf, size);
}

int load_key(envelope_ctx *ctx, const char *ref, struct passphrase_source *pass,
             envelope_key **out)
{
    envelope_rc rc = envelope_key_load(ctx, ref, passphrase_cb, pass, out);

    return rc == ENVELOPE_OK ? EXIT_OK : report(ctx, rc, ref);
}

int open_input(const char *path)
{
    int fd;

    if (path == NULL || strcmp(path, "-") == 0)
        return STDIN_FILENO;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        warnx_("%s: %s", path, strerror(errno));
    return fd;
}

int write_new_file(const char *path, const uint8_t *p, size_t len, int secret, int force)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL),
                  secret ? 0600 : 0644);
    size_t off = 0;

    if (fd < 0) {
        warnx_("%s: %s%s", path, strerror(errno), errno == EEXIST ? " (use --force)" : "");
        return EXIT_IO;
    }
    while (off < len) {
        ssize_t n = write(fd, p + off, len - off);

        if (n <= 0) {
            warnx_("%s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            return EXIT_IO;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        warnx_("%s: %s", path, strerror(errno));
        unlink(path);
        return EXIT_IO;
    }
    return EXIT_OK;
}

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void progress_init(struct progress *p, const char *label)
{
    p->enabled = !cli_quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->start_ns = p->last_ns = now_ns();
}

int progress_cb(void *arg, uint64_t done, uint64_t total)
{
    struct progress *p = arg;
    long long t = now_ns();
    double secs, rate;

    /* Only for operations that last, and at most ten times a second. */
    if (!p->enabled || t - p->start_ns < 500000000LL || t - p->last_ns < 100000000LL)
        return 0;
    p->last_ns = t;
    secs = (double)(t - p->start_ns) / 1e9;
    rate = (double)done / secs;
    if (total)
        fprintf(stderr, "\r%s %5.1f%%  %8.1f MiB  %7.1f MiB/s  ETA %4.0fs ", p->label,
                100.0 * (double)done / (double)total, (double)done / 1048576.0,
                rate / 1048576.0, rate > 0 ? (double)(total - done) / rate : 0.0);
    else
        fprintf(stderr, "\r%s %8.1f MiB  %7.1f MiB/s ", p->label, (double)done / 1048576.0,
                rate / 1048576.0);
    return 0;
}

void progress_done(struct progress *p)
{
    if (p->enabled && p->last_ns != p->start_ns)
        fputs("\r\033[K", stderr);
}
