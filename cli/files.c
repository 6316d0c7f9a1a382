/* Inputs and outputs of the command line: stdin and stdout as "-", outputs
 * that never replace a file unless forced and appear whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int is_std_stream(const char *path)
{
    return path == NULL || strcmp(path, "-") == 0;
}

const char *input_name(const char *path)
{
    return path == NULL || strcmp(path, "-") == 0 ? "stdin" : path;
}

int open_input(const char *path)
{
    struct stat st;
    int fd;

    if (path == NULL || strcmp(path, "-") == 0)
        return STDIN_FILENO;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        fail_with(EXIT_IO, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        fail_with(EXIT_IO, "%s: is a directory", path);
        close(fd);
        return -1;
    }
    return fd;
}

int refuse_existing(const char *path, int force, const char *hint)
{
    struct stat st;

    if (force || is_std_stream(path) || lstat(path, &st) != 0)
        return EXIT_OK;
    return fail_as(ENVELOPE_E_OUTPUT_EXISTS, "%s: already exists; %s", path, hint);
}

int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A write, flush or link of path failed: a full disk said so plainly. */
static int write_failed(const char *path)
{
    if (errno == ENOSPC || errno == EDQUOT)
        return fail_with(EXIT_IO, "no space left on the device holding %s", path);
    return fail_with(EXIT_IO, "%s: %s", path, strerror(errno));
}

int new_file_prepare(struct new_file *f, const char *path, const uint8_t *p, size_t len,
                     int secret)
{
    int fd, r;

    *f = (struct new_file){.path = path};
    if (asprintf(&f->tmp, "%s.XXXXXX", path) < 0) {
        f->tmp = NULL;
        return fail_with(EXIT_IO, "%s: out of memory", path);
    }
    if ((fd = mkostemp(f->tmp, O_CLOEXEC)) < 0) {
        r = fail_with(EXIT_IO, "%s: %s", path, strerror(errno));
        free(f->tmp);
        f->tmp = NULL;
        return r;
    }
    /* mkostemp makes it 0600; a public key is for handing out. */
    r = (secret ? 0 : fchmod(fd, 0644)) | write_all(fd, p, len) | fsync(fd);
    r |= close(fd);
    if (r != 0)
        return write_failed(path);
    return EXIT_OK;
}

int new_file_place(struct new_file *f, int force)
{
    struct stat st;
    int existed = lstat(f->path, &st) == 0;

    /* link() refuses to replace a file, rename() replaces it atomically. */
    if ((force ? rename(f->tmp, f->path) : link(f->tmp, f->path)) != 0)
        return errno == EEXIST ? fail_as(ENVELOPE_E_OUTPUT_EXISTS,
                                         "%s: already exists; --force replaces it", f->path)
                               : write_failed(f->path);
    f->placed = !existed;
    if (!force)
        unlink(f->tmp);
    free(f->tmp);
    f->tmp = NULL;
    return EXIT_OK;
}

void new_file_discard(struct new_file *f, int undo)
{
    if (f->tmp)
        unlink(f->tmp);
    if (undo && f->placed)
        unlink(f->path);
    free(f->tmp);
    f->tmp = NULL;
    f->placed = 0;
}

int write_new_file(const char *path, const uint8_t *p, size_t len, int secret, int force)
{
    struct new_file f;
    int code = new_file_prepare(&f, path, p, len, secret);

    if (code == EXIT_OK)
        code = new_file_place(&f, force);
    new_file_discard(&f, 0);
    return code;
}

int write_through(struct out_target *t, const uint8_t *p, size_t len)
{
    int code = out_target_open(t);

    if (code == EXIT_OK && write_all(t->fd, p, len) != 0)
        code = write_failed(t->path ? t->path : "stdout");
    out_target_close(t);
    return code;
}
