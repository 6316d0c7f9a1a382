/* LD_PRELOAD shim for tests/cli: appends the name of every fsync, link and
 * rename call to the file named by $TRACE_SYNC, one a line, then makes the
 * call; so that a test can check that an output is flushed before it gets
 * its name and its directory after. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One write per line: threads calling at once never mix their lines. */
static void note(const char *what)
{
    const char *path = getenv("TRACE_SYNC");
    int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
    char line[32];
    int n = snprintf(line, sizeof(line), "%s\n", what);

    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) != n)
        abort();
    close(fd);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int fsync(int fd)
{
    note("fsync");
    return REAL(fsync)(fd);
}

int link(const char *from, const char *to)
{
    note("link");
    return REAL(link)(from, to);
}

int linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
    note("link");
    return REAL(linkat)(fd1, from, fd2, to, flags);
}

int rename(const char *from, const char *to)
{
    note("rename");
    return REAL(rename)(from, to);
}

int renameat(int fd1, const char *from, int fd2, const char *to)
{
    note("rename");
    return REAL(renameat)(fd1, from, fd2, to);
}

int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
    note("rename");
    return REAL(renameat2)(fd1, from, fd2, to, flags);
}
