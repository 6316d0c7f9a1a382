/* Room on the disk. The size checked is the one the sender states in the
 * archive, before any of the message arrives: a convenience that saves
 * filling a disk only to fail, never a defence (the maximum size is). */
#include "io/space.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "base/context.h"

struct measured {
    dev_t dev;
    uint64_t free;
    int known;
};

void space_add_fd(struct space *s, int fd, const char *shown)
{
    if (s->n < SPACE_PLACES)
        s->at[s->n++] = (struct space_place){fd, NULL, shown};
}

void space_add_beside(struct space *s, const char *path, const char *shown)
{
    if (s->n < SPACE_PLACES)
        s->at[s->n++] = (struct space_place){-1, path, shown};
}

static void measure_dir(const char *path, struct stat *st, struct statvfs *vfs, int *ok)
{
    char *copy = strdup(path);
    const char *dir = copy ? dirname(copy) : NULL;

    *ok = dir && stat(dir, st) == 0 && statvfs(dir, vfs) == 0;
    free(copy);
}

/* Free space for an unprivileged writer: f_bavail, not f_bfree. */
static struct measured measure(const struct space_place *p)
{
    struct measured m = {0, 0, 0};
    struct stat st;
    struct statvfs vfs;
    int ok;

    if (p->fd < 0 && p->path == NULL)
        ok = 0;
    else if (p->fd >= 0)
        ok = fstat(p->fd, &st) == 0 && S_ISREG(st.st_mode) && fstatvfs(p->fd, &vfs) == 0;
    else
        measure_dir(p->path, &st, &vfs, &ok);
    /* A file system of no stated size (memfd's internal mount, some FUSE
     * ones) tells nothing about its room. */
    if (!ok || vfs.f_blocks == 0)
        return m;
    m.dev = st.st_dev;
    m.known = 1;
    m.free = vfs.f_bavail > UINT64_MAX / (vfs.f_frsize ? vfs.f_frsize : 1)
                 ? UINT64_MAX
                 : (uint64_t)vfs.f_bavail * vfs.f_frsize;
    return m;
}

envelope_rc space_check(envelope_ctx *ctx, const struct space *s, uint64_t size)
{
    struct measured m[SPACE_PLACES];

    if (s == NULL)
        return ENVELOPE_OK;
    for (size_t i = 0; i < s->n; i++)
        m[i] = measure(&s->at[i]);
    for (size_t i = 0; i < s->n; i++) {
        uint64_t need = 0;

        if (!m[i].known)
            continue;
        /* A spool and the output on one file system both hold the message. */
        for (size_t j = 0; j < s->n; j++)
            if (m[j].known && m[j].dev == m[i].dev)
                need = need > UINT64_MAX - size ? UINT64_MAX : need + size;
        if (need > m[i].free)
            return fail(ctx, ENVELOPE_E_IO,
                        "not enough space: the message states %llu bytes%s; the file system "
                        "holding %s has %llu bytes free",
                        (unsigned long long)size, need > size ? " (twice: spool and output)" : "",
                        s->at[i].shown, (unsigned long long)m[i].free);
    }
    return ENVELOPE_OK;
}

envelope_rc fail_write(envelope_ctx *ctx, int err, const char *where, const char *what)
{
    envelope_rc rc;

    if ((err == ENOSPC || err == EDQUOT) && where)
        rc = fail(ctx, ENVELOPE_E_IO, "no space left on the device holding %s", where);
    else if (err)
        rc = fail(ctx, ENVELOPE_E_IO, "%s: %s", what, strerror(err));
    else
        rc = fail(ctx, ENVELOPE_E_IO, "%s", what);
    errno = err;
    return rc;
}
