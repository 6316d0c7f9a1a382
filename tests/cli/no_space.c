/* LD_PRELOAD shim for tests/cli: a full disk under one directory. write()
 * to a file whose path (as /proc/self/fd shows it; an unnamed O_TMPFILE
 * file shows its directory) begins with $NO_SPACE_UNDER fails with ENOSPC,
 * or with $NO_SPACE_ERRNO if set (122: EDQUOT); everything else passes
 * through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);

static int is_full(int fd)
{
    const char *under = getenv("NO_SPACE_UNDER");
    char proc[64], path[4096];
    ssize_t n;

    if (under == NULL || *under == '\0')
        return 0;
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if ((n = readlink(proc, path, sizeof(path) - 1)) < 0)
        return 0;
    path[n] = '\0';
    return strncmp(path, under, strlen(under)) == 0;
}

ssize_t write(int fd, const void *buf, size_t len)
{
    static write_fn real;
    const char *err = getenv("NO_SPACE_ERRNO");

    if (is_full(fd)) {
        errno = err ? atoi(err) : ENOSPC;
        return -1;
    }
    if (real == NULL)
        real = (write_fn)dlsym(RTLD_NEXT, "write");
    return real(fd, buf, len);
}
