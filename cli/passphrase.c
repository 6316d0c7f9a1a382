/* Passphrases for encrypted private keys: from --passphrase-file, from an
 * inherited descriptor (--passphrase-fd), from the same two given by
 * ENVELOPE_PASSPHRASE_FILE and ENVELOPE_PASSPHRASE_FD, or asked on the
 * terminal with echo off. Never from the command line, where other users
 * can read it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

void passphrase_init(struct passphrase *p)
{
    memset(p, 0, sizeof(*p));
    p->fd = -1;
    p->cached_len = -1;
    p->file_from = "--passphrase-file";
}

void passphrase_wipe(struct passphrase *p)
{
    explicit_bzero(p->cached, sizeof(p->cached));
    p->cached_len = -1;
}

static int set_fd(struct passphrase *p, const char *cmd, const char *from, const char *arg)
{
    char *end;
    long fd;

    errno = 0;
    fd = strtol(arg, &end, 10);
    if (errno || end == arg || *end || fd < 0 || fd > 1 << 20)
        return usage_error(cmd, "%s '%s': a descriptor number", from, arg);
    if (fcntl((int)fd, F_GETFD) < 0)
        return usage_error(cmd, "%s %ld: descriptor not open", from, fd);
    p->fd = (int)fd;
    return EXIT_OK;
}

int passphrase_set_fd(struct passphrase *p, const char *cmd, const char *arg)
{
    return set_fd(p, cmd, "--passphrase-fd", arg);
}

/* The environment stands in for the options; an empty variable is unset. */
int passphrase_from_env(struct passphrase *p, const char *cmd)
{
    const char *file = getenv("ENVELOPE_PASSPHRASE_FILE");
    const char *fd = getenv("ENVELOPE_PASSPHRASE_FD");

    if (p->file || p->fd >= 0 || p->ask)
        return EXIT_OK; /* the options win */
    if (file && *file && fd && *fd)
        return usage_error(cmd, "ENVELOPE_PASSPHRASE_FILE and ENVELOPE_PASSPHRASE_FD exclude "
                                "each other");
    if (fd && *fd)
        return set_fd(p, cmd, "ENVELOPE_PASSPHRASE_FD", fd);
    if (file && *file) {
        p->file = file;
        p->file_from = "ENVELOPE_PASSPHRASE_FILE";
    }
    return EXIT_OK;
}

/* The first line, without its line ending. */
static int read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    ssize_t got;

    while (n < size && (got = read(fd, buf + n, size - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (memchr(buf + n, '\n', (size_t)got)) {
            n += (size_t)got;
            break;
        }
        n += (size_t)got;
    }
    if (memchr(buf, '\n', n))
        n = (size_t)((char *)memchr(buf, '\n', n) - buf);
    while (n > 0 && buf[n - 1] == '\r')
        n--;
    return (int)n;
}

static int read_given(struct passphrase *p)
{
    int fd = p->fd, n;

    if (p->cached_len >= 0)
        return p->cached_len;
    if (p->file && (fd = open(p->file, O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(p->why, sizeof(p->why), "%s %.100s: %s", p->file_from, p->file,
                 strerror(errno));
        return -1;
    }
    memset(p->cached, 0, sizeof(p->cached));
    n = read_line(fd, p->cached, sizeof(p->cached) - 1);
    if (p->file)
        close(fd);
    if (n < 0)
        snprintf(p->why, sizeof(p->why), "cannot read the passphrase: %s", strerror(errno));
    else if (n == 0)
        snprintf(p->why, sizeof(p->why), "the passphrase given is empty");
    return p->cached_len = n > 0 ? n : -1;
}

/* Asks question on the terminal; no_terminal is why when there is none. */
static int ask(struct passphrase *p, const char *question, const char *no_terminal, char *buf,
               size_t size)
{
    struct termios old, quiet;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), n = -1;

    if (fd < 0 || tcgetattr(fd, &old) != 0) {
        snprintf(p->why, sizeof(p->why), "%s", no_terminal);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ICANON;
    /* Echo off before the prompt: what is typed after it is kept. */
    if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0) {
        dprintf(fd, "%s", question);
        n = read_line(fd, buf, size);
        tcsetattr(fd, TCSANOW, &old);
    }
    (void)!write(fd, "\n", 1);
    close(fd);
    if (n <= 0)
        snprintf(p->why, sizeof(p->why), "no passphrase entered");
    return n > 0 ? n : -1;
}

static int prompt(struct passphrase *p, char *buf, size_t size)
{
    char question[SHOWN_MAX + 32], ref[SHOWN_MAX];

    snprintf(question, sizeof(question), "Passphrase for %s: ",
             p->ref ? shown(p->ref, ref) : "the key");
    return ask(p, question, "the key is encrypted and there is no terminal to ask on: use "
                            "--passphrase-file or --passphrase-fd", buf, size);
}

int passphrase_cb(void *arg, char *buf, size_t size)
{
    struct passphrase *p = arg;
    int n;

    if (p->file == NULL && p->fd < 0)
        return prompt(p, buf, size);
    if ((n = read_given(p)) < 0)
        return -1;
    if ((size_t)n > size) {
        snprintf(p->why, sizeof(p->why), "passphrase longer than %zu bytes", size);
        return -1;
    }
    memcpy(buf, p->cached, (size_t)n);
    return n;
}

int passphrase_read_given(struct passphrase *p, char *buf, size_t size)
{
    int n = read_given(p);

    if (n < 0)
        return fail_with(EXIT_USAGE, "%s", p->why), -1;
    if ((size_t)n > size)
        return fail_with(EXIT_USAGE, "passphrase longer than %zu bytes", size), -1;
    memcpy(buf, p->cached, (size_t)n);
    return n;
}

int passphrase_ask_new(struct passphrase *p, const char *key, char *buf, size_t size)
{
    static const char no_terminal[] = "--ask-passphrase needs a terminal: use "
                                      "--passphrase-file or --passphrase-fd";
    char question[SHOWN_MAX + 40], name[SHOWN_MAX], again[1024];
    int n, m, same;

    snprintf(question, sizeof(question), "Passphrase for the new key %s: ", shown(key, name));
    if ((n = ask(p, question, no_terminal, buf, size)) > 0) {
        m = ask(p, "The same passphrase again: ", no_terminal, again, sizeof(again));
        /* A typo in a passphrase typed blind would lock the key for good. */
        same = m == n && memcmp(buf, again, (size_t)n) == 0;
        if (m > 0 && !same)
            snprintf(p->why, sizeof(p->why), "the two passphrases differ; nothing written");
        explicit_bzero(again, sizeof(again));
        if (same)
            return n;
    }
    explicit_bzero(buf, size);
    return fail_with(EXIT_USAGE, "%s: %s", key, p->why), -1;
}
