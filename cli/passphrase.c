/* Passphrases for encrypted private keys: from --passphrase-file, from an
 * inherited descriptor (--passphrase-fd), or asked on the terminal with echo
 * off. Never from the command line, where other users can read it. */
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
}

void passphrase_wipe(struct passphrase *p)
{
    explicit_bzero(p->cached, sizeof(p->cached));
    p->cached_len = -1;
}

int passphrase_set_fd(struct passphrase *p, const char *cmd, const char *arg)
{
    char *end;
    long fd;

    errno = 0;
    fd = strtol(arg, &end, 10);
    if (errno || end == arg || *end || fd < 0 || fd > 1 << 20)
        return usage_error(cmd, "--passphrase-fd '%s': a descriptor number", arg);
    if (fcntl((int)fd, F_GETFD) < 0)
        return usage_error(cmd, "--passphrase-fd %ld: descriptor not open", fd);
    p->fd = (int)fd;
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
        snprintf(p->why, sizeof(p->why), "--passphrase-file %.100s: %s", p->file,
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

static int prompt(struct passphrase *p, char *buf, size_t size)
{
    struct termios old, quiet;
    char ref[SHOWN_MAX];
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), n = -1;

    if (fd < 0 || tcgetattr(fd, &old) != 0) {
        snprintf(p->why, sizeof(p->why), "the key is encrypted and there is no terminal to ask "
                                         "on: use --passphrase-file or --passphrase-fd");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ICANON;
    /* Echo off before the prompt: what is typed after it is kept. */
    if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0) {
        dprintf(fd, "Passphrase for %s: ", p->ref ? shown(p->ref, ref) : "the key");
        n = read_line(fd, buf, size);
        tcsetattr(fd, TCSANOW, &old);
    }
    (void)!write(fd, "\n", 1);
    close(fd);
    if (n <= 0)
        snprintf(p->why, sizeof(p->why), "no passphrase entered");
    return n > 0 ? n : -1;
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
