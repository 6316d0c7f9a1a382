/* Atomic outputs: unnamed or private temporary files linked or renamed into
 * place only once the caller has checked everything. */
#include "io/output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/context.h"
#include "io/io.h"
#include "io/space.h"

static char *dir_of(const char *path)
{
    char *copy = strdup(path), *dir;

    if (copy == NULL)
        return NULL;
    dir = strdup(dirname(copy));
    free(copy);
    return dir;
}

/* A name beside path that nobody else picks: path + ".XXXXXXXXXXXXXXXX.tmp". */
static char *sibling_name(const char *path)
{
    uint8_t rnd[8];
    char hex[17], *name;
    size_t n = strlen(path) + 22;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1 || (name = malloc(n)) == NULL)
        return NULL;
    hex_lower(rnd, sizeof(rnd), hex);
    snprintf(name, n, "%s.%s.tmp", path, hex);
    return name;
}

static envelope_rc file_start(envelope_ctx *ctx, struct out_file *f, const char *path, int force)
{
    struct stat st;

    memset(f, 0, sizeof(*f));
    f->fd = -1;
    if (!force && lstat(path, &st) == 0)
        return fail(ctx, ENVELOPE_E_OUTPUT_EXISTS, "%s exists", path);
    if ((f->path = strdup(path)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "output path");
    return ENVELOPE_OK;
}

/* What open(O_TMPFILE) fails with where the file system lacks it (EISDIR:
 * kernels older than 3.11). */
static int no_tmpfile(int err)
{
    return err == EOPNOTSUPP || err == EISDIR;
}

envelope_rc out_unnamed_beside(envelope_ctx *ctx, const char *path, int *fd)
{
    char *dir = dir_of(path);
    int err = 0;

    if (dir == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "output path");
    *fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    /* Without O_TMPFILE the output is made later: say now if it cannot be. */
    if (*fd < 0 && !no_tmpfile(errno))
        err = errno;
    else if (*fd < 0 && faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
        err = errno;
    free(dir);
    return err ? fail(ctx, ENVELOPE_E_IO, "%s: %s", path, strerror(err)) : ENVELOPE_OK;
}

envelope_rc out_file_begin_unnamed(envelope_ctx *ctx, struct out_file *f, const char *path,
                                   int force)
{
    envelope_rc rc;

    if ((rc = file_start(ctx, f, path, force)) != ENVELOPE_OK)
        return rc;
    return out_unnamed_beside(ctx, path, &f->fd);
}

envelope_rc out_file_begin_named(envelope_ctx *ctx, struct out_file *f, const char *path,
                                 int force)
{
    envelope_rc rc;

    if ((rc = file_start(ctx, f, path, force)) != ENVELOPE_OK)
        return rc;
    if ((f->tmp_path = sibling_name(path)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "output path");
    f->fd = open(f->tmp_path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f->fd < 0) {
        int err = errno;

        /* Not ours: abort must not unlink whatever holds the name. */
        free(f->tmp_path);
        f->tmp_path = NULL;
        /* The destination's name tells the user more than the temporary one. */
        return fail(ctx, ENVELOPE_E_IO, "%s: %s", path, strerror(err));
    }
    return ENVELOPE_OK;
}

envelope_rc out_file_begin(envelope_ctx *ctx, struct out_file *f, const char *path, int force)
{
    envelope_rc rc = out_file_begin_unnamed(ctx, f, path, force);

    if (rc != ENVELOPE_OK || f->fd >= 0)
        return rc;
    out_file_abort(f);
    return out_file_begin_named(ctx, f, path, force);
}

/* Gives an O_TMPFILE file a name. linkat(AT_EMPTY_PATH) would need
 * CAP_DAC_READ_SEARCH; the /proc link works for everyone. */
static int link_unnamed(int fd, int dir_fd, const char *to)
{
    char proc[64];

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, dir_fd, to, AT_SYMLINK_FOLLOW);
}

/* The error for a final link or rename that failed. */
static envelope_rc placing_failed(envelope_ctx *ctx, const char *path)
{
    return errno == EEXIST ? fail(ctx, ENVELOPE_E_OUTPUT_EXISTS, "%s exists", path)
                           : fail(ctx, ENVELOPE_E_IO, "%s: %s", path, strerror(errno));
}

/* The directory that will hold path, opened before path is placed so that
 * nothing can fail for want of memory once it is. */
static envelope_rc open_parent(envelope_ctx *ctx, const char *path, int *fd)
{
    char *dir = dir_of(path);

    if (dir == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "output path");
    *fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (*fd < 0)
        return fail(ctx, ENVELOPE_E_IO, "%s: its directory: %s", path, strerror(errno));
    return ENVELOPE_OK;
}

/* Flushes a directory (if sync) so that a new name in it survives a power
 * loss, and closes it. Some file systems cannot flush a directory
 * (EINVAL): nothing to do there. */
static envelope_rc sync_parent(envelope_ctx *ctx, const char *path, int fd, int sync)
{
    envelope_rc rc = ENVELOPE_OK;

    if (fd < 0)
        return ENVELOPE_OK;
    if (sync && fsync(fd) != 0 && errno != EINVAL)
        rc = fail(ctx, ENVELOPE_E_IO, "%s is in place, but flushing its directory failed: %s",
                  path, strerror(errno));
    close(fd);
    return rc;
}

envelope_rc out_sync(envelope_ctx *ctx, int fd, const char *path)
{
    if (fsync(fd) == 0 || errno == EINVAL)
        return ENVELOPE_OK;
    /* Some file systems (NFS, delayed allocation) find no room only here. */
    if (errno == ENOSPC || errno == EDQUOT)
        return fail_write(ctx, errno, path, "flushing");
    return fail(ctx, ENVELOPE_E_IO, "%s: flushing: %s", path, strerror(errno));
}

envelope_rc out_file_commit(envelope_ctx *ctx, struct out_file *f, int force, int sync_dir)
{
    char *tmp = NULL;
    envelope_rc rc;
    int r, dir_fd = -1;

    /* The bytes first, then the name: never a name on an empty file. The
     * directory is opened only to be flushed (a caller placing many files
     * flushes it once, at the end). */
    if ((rc = out_sync(ctx, f->fd, f->path)) != ENVELOPE_OK ||
        (sync_dir && (rc = open_parent(ctx, f->path, &dir_fd)) != ENVELOPE_OK))
        return rc;
    if (f->tmp_path == NULL) {
        if (!force) {
            r = link_unnamed(f->fd, AT_FDCWD, f->path);
        } else {
            /* Name it beside the target first: rename() replaces atomically. */
            if ((tmp = sibling_name(f->path)) == NULL) {
                if (dir_fd >= 0)
                    close(dir_fd);
                return fail(ctx, ENVELOPE_E_NOMEM, "output path");
            }
            r = link_unnamed(f->fd, AT_FDCWD, tmp);
            if (r == 0 && (r = rename(tmp, f->path)) != 0)
                unlink(tmp);
            free(tmp);
        }
    } else if (!force) {
        /* link() refuses to replace, where rename() would not. */
        if ((r = link(f->tmp_path, f->path)) == 0)
            unlink(f->tmp_path);
    } else {
        r = rename(f->tmp_path, f->path);
    }
    if (r != 0) {
        rc = placing_failed(ctx, f->path);
        if (dir_fd >= 0)
            close(dir_fd);
        return rc;
    }
    free(f->tmp_path);
    f->tmp_path = NULL;
    return sync_parent(ctx, f->path, dir_fd, sync_dir);
}

void out_file_abort(struct out_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->tmp_path)
        unlink(f->tmp_path);
    free(f->tmp_path);
    free(f->path);
    memset(f, 0, sizeof(*f));
    f->fd = -1;
}

const char *spool_dir(void)
{
    const char *dir = getenv("TMPDIR");

    return dir == NULL || *dir == '\0' ? "/tmp" : dir;
}

envelope_rc spool_open(envelope_ctx *ctx, int *fd)
{
    const char *dir = spool_dir();
    char *path;

    if ((*fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
        return ENVELOPE_OK;
    /* No O_TMPFILE: a private name, unlinked at once. */
    if (asprintf(&path, "%s/envelope-spool-XXXXXX", dir) < 0)
        return fail(ctx, ENVELOPE_E_NOMEM, "spool path");
    *fd = mkostemp(path, O_CLOEXEC);
    if (*fd >= 0)
        unlink(path);
    free(path);
    return *fd >= 0 ? ENVELOPE_OK : fail(ctx, ENVELOPE_E_IO, "spool file in %s: %s", dir,
                                         strerror(errno));
}

/* Copies from from's current position to its end, into a callback. */
static envelope_rc copy_loop(envelope_ctx *ctx, int from, envelope_write_fn write, void *arg,
                             const char *where, uint64_t *count)
{
    uint8_t buf[65536]; /* plaintext: a message on its way in or out */
    ssize_t n;
    envelope_rc rc = ENVELOPE_OK;

    *count = 0;
    while ((rc = check_cancelled(ctx)) == ENVELOPE_OK && (n = read(from, buf, sizeof(buf))) != 0) {
        if (n < 0 && retry_read(ctx, errno))
            continue;
        if (n < 0 && (rc = check_cancelled(ctx)) != ENVELOPE_OK)
            break;
        if (n < 0) {
            rc = fail(ctx, ENVELOPE_E_IO, "reading: %s", strerror(errno));
            break;
        }
        if (write(arg, buf, (size_t)n) != 0) {
            rc = fail_write(ctx, errno, where, "writing the output");
            break;
        }
        *count += (uint64_t)n;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

envelope_rc copy_to_cb(envelope_ctx *ctx, int from, envelope_write_fn write, void *arg,
                       const char *where, uint64_t *n)
{
    return copy_loop(ctx, from, write, arg, where, n);
}

envelope_rc out_dir_begin(envelope_ctx *ctx, struct out_dir *d, const char *path)
{
    struct stat st;

    memset(d, 0, sizeof(*d));
    d->dir_fd = -1;
    if (lstat(path, &st) == 0)
        return fail(ctx, ENVELOPE_E_OUTPUT_EXISTS, "%s exists", path);
    if ((d->path = strdup(path)) == NULL || (d->tmp_path = sibling_name(path)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "output path");
    if (mkdir(d->tmp_path, 0700) != 0) {
        envelope_rc rc = fail(ctx, ENVELOPE_E_IO, "%s: %s", path, strerror(errno));

        free(d->tmp_path);
        d->tmp_path = NULL;
        return rc;
    }
    if ((d->dir_fd = open(d->tmp_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return fail(ctx, ENVELOPE_E_IO, "%s: %s", d->tmp_path, strerror(errno));
    return ENVELOPE_OK;
}

envelope_rc out_dir_create(envelope_ctx *ctx, struct out_dir *d, const char *name, int *fd)
{
    *fd = openat(d->dir_fd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
    return *fd >= 0 ? ENVELOPE_OK : fail(ctx, ENVELOPE_E_IO, "%s/%s: %s", d->path, name,
                                         strerror(errno));
}

/* rename() that never replaces what is at `to`, for a directory (a file is
 * linked instead): renameat2's RENAME_NOREPLACE, or, where the file system
 * lacks it (NFS, CIFS, many FUSE file systems: EINVAL), a look first. Only
 * an empty directory made between the look and the rename could then be
 * replaced, and it holds nothing to lose: rename() refuses a directory
 * with anything in it, and a file. */
static int rename_dir_noreplace(const char *from, const char *to)
{
    struct stat st;

    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return -1;
    if (lstat(to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    if (errno != ENOENT)
        return -1;
    if (rename(from, to) == 0)
        return 0;
    if (errno == ENOTEMPTY || errno == ENOTDIR)
        errno = EEXIST;
    return -1;
}

/* The files inside were flushed as they were closed (out_sync). */
envelope_rc out_dir_commit(envelope_ctx *ctx, struct out_dir *d, int sync_parent_dir)
{
    envelope_rc rc;
    int parent;

    if ((rc = out_sync(ctx, d->dir_fd, d->path)) != ENVELOPE_OK ||
        (rc = open_parent(ctx, d->path, &parent)) != ENVELOPE_OK)
        return rc;
    if (rename_dir_noreplace(d->tmp_path, d->path) != 0) {
        rc = placing_failed(ctx, d->path);
        close(parent);
        return rc;
    }
    free(d->tmp_path);
    d->tmp_path = NULL;
    return sync_parent(ctx, d->path, parent, sync_parent_dir);
}

void out_dir_abort(struct out_dir *d)
{
    DIR *dir;
    struct dirent *e;

    if (d->tmp_path && d->dir_fd >= 0 && (dir = fdopendir(dup(d->dir_fd))) != NULL) {
        while ((e = readdir(dir)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(d->dir_fd, e->d_name, 0);
        closedir(dir);
    }
    if (d->tmp_path)
        rmdir(d->tmp_path);
    if (d->dir_fd >= 0)
        close(d->dir_fd);
    free(d->tmp_path);
    free(d->path);
    memset(d, 0, sizeof(*d));
    d->dir_fd = -1;
}

envelope_rc out_dir_name_message(envelope_ctx *ctx, struct out_dir *d, int fd, const char *name)
{
    if (link_unnamed(fd, d->dir_fd, name) != 0)
        return fail(ctx, ENVELOPE_E_IO, "%s/%s: %s", d->path, name, strerror(errno));
    return ENVELOPE_OK;
}
