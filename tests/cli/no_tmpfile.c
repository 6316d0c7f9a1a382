/* LD_PRELOAD shim for tests/cli: a file system without O_TMPFILE (NFS,
 * CIFS, vfat, many FUSE file systems), as the kernel reports it there:
 * open() and openat() with O_TMPFILE fail with EOPNOTSUPP, and renameat2()
 * with any flag (RENAME_NOREPLACE, which NFS and many FUSE file systems
 * lack too) fails with EINVAL; everything else passes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

static mode_t mode_of(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

static int refused(int flags)
{
    if ((flags & O_TMPFILE) != O_TMPFILE)
        return 0;
    errno = EOPNOTSUPP;
    return 1;
}

#define SHIM_OPEN(name)                                                       \
    int name(const char *path, int flags, ...)                               \
    {                                                                         \
        static open_fn real;                                                  \
        va_list ap;                                                           \
        mode_t mode;                                                          \
                                                                              \
        va_start(ap, flags);                                                  \
        mode = mode_of(flags, ap);                                            \
        va_end(ap);                                                           \
        if (refused(flags))                                                   \
            return -1;                                                        \
        if (real == NULL)                                                     \
            real = (open_fn)dlsym(RTLD_NEXT, #name);                          \
        return real(path, flags, mode);                                       \
    }

#define SHIM_OPENAT(name)                                                     \
    int name(int dir, const char *path, int flags, ...)                      \
    {                                                                         \
        static openat_fn real;                                                \
        va_list ap;                                                           \
        mode_t mode;                                                          \
                                                                              \
        va_start(ap, flags);                                                  \
        mode = mode_of(flags, ap);                                            \
        va_end(ap);                                                           \
        if (refused(flags))                                                   \
            return -1;                                                        \
        if (real == NULL)                                                     \
            real = (openat_fn)dlsym(RTLD_NEXT, #name);                        \
        return real(dir, path, flags, mode);                                  \
    }

SHIM_OPEN(open)
SHIM_OPEN(open64)
SHIM_OPENAT(openat)
SHIM_OPENAT(openat64)

int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags)
{
    typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);
    static renameat2_fn real;

    if (flags != 0) {
        errno = EINVAL;
        return -1;
    }
    if (real == NULL)
        real = (renameat2_fn)dlsym(RTLD_NEXT, "renameat2");
    return real(from_dir, from, to_dir, to, flags);
}
