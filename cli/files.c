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
    return fail_with(EXIT_IO, "%s: already exists; %s", path, hint);
}

static int write_all(int fd, const uint8_t *p, size_t len)
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

int write_new_file(const char *path, const uint8_t *p, size_t len, int secret, int force)
{
    char *tmp;
    int fd, r;

    if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
        return fail_with(EXIT_IO, "%s: out of memory", path);
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        r = fail_with(EXIT_IO, "%s: %s", path, strerror(errno));
        free(tmp);
        return r;
    }
    /* mkostemp makes it 0600; a public key is for handing out. */
    r = (secret ? 0 : fchmod(fd, 0644)) | write_all(fd, p, len) | fsync(fd);
    r |= close(fd);
    /* link() refuses to replace a file, rename() replaces it atomically. */
    if (r == 0)
        r = force ? rename(tmp, path) : link(tmp, path);
    if (r != 0 && (errno == ENOSPC || errno == EDQUOT))
        r = fail_with(EXIT_IO, "no space left on the device holding %s", path);
    else if (r != 0)
        r = fail_with(EXIT_IO, "%s: %s", path,
                      errno == EEXIST ? "already exists; --force replaces it" : strerror(errno));
    unlink(tmp);
    free(tmp);
    return r;
}
