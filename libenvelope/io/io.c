/* Sources and sinks over descriptors and memory. */
#include <errno.h>
#include <linux/magic.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/context.h"
#include "io/io.h"

envelope_rc source_read_full(envelope_ctx *ctx, const struct source *in, uint8_t *buf, size_t n,
                             size_t *got)
{
    envelope_rc rc;

    *got = 0;
    while (*got < n) {
        ssize_t r;

        if ((rc = check_cancelled(ctx)) != ENVELOPE_OK)
            return rc;
        errno = 0; /* only an EINTR of this very read counts */
        if ((r = in->read(in->arg, buf + *got, n - *got)) < 0 && retry_read(ctx, errno))
            continue;
        if (r < 0)
            return check_cancelled(ctx) ? ENVELOPE_E_CANCELLED
                                        : fail(ctx, ENVELOPE_E_IO, "reading the input");
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return ENVELOPE_OK;
}

envelope_rc source_ended(envelope_ctx *ctx, const struct source *in, uint64_t got,
                         uint64_t size)
{
    uint8_t extra;
    size_t n;
    envelope_rc rc;

    if (got < size)
        return in->check_end ? fail(ctx, ENVELOPE_E_IO,
                                    "the input shrank while it was sealed: it ended after "
                                    "%llu of its %llu bytes",
                                    (unsigned long long)got, (unsigned long long)size)
                             : fail(ctx, ENVELOPE_E_IO, "input ended after %llu of %llu bytes",
                                    (unsigned long long)got, (unsigned long long)size);
    if (!in->check_end)
        return ENVELOPE_OK;
    rc = source_read_full(ctx, in, &extra, 1, &n);
    OPENSSL_cleanse(&extra, sizeof(extra));
    if (rc != ENVELOPE_OK)
        return rc;
    return n == 0 ? ENVELOPE_OK
                  : fail(ctx, ENVELOPE_E_IO,
                         "the input grew while it was sealed: it is longer than its %llu bytes",
                         (unsigned long long)size);
}

/* configfs has no constant in <linux/magic.h>. */
#define CONFIGFS_MAGIC 0x62656570

int fd_size_is_made_up(int fd)
{
    struct statfs fs;

    if (fstatfs(fd, &fs) != 0)
        return 0;
    switch ((unsigned long)fs.f_type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case CONFIGFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case PSTOREFS_MAGIC:
    case EFIVARFS_MAGIC:
    case BPF_FS_MAGIC:
        return 1;
    default:
        return 0;
    }
}

envelope_rc read_fd_whole(envelope_ctx *ctx, int fd, size_t max, struct bytes *out)
{
    uint8_t buf[4096]; /* the message */
    struct source in = {fd_read, &fd, 0};
    size_t n;
    envelope_rc rc;

    while ((rc = source_read_full(ctx, &in, buf, sizeof(buf), &n)) == ENVELOPE_OK && n > 0) {
        if (n > max - out->len) {
            rc = fail(ctx, ENVELOPE_E_IO,
                      "input: a file of a pseudo file system (procfs, sysfs, ...) is read "
                      "whole first, and this one holds more than %zu bytes", max);
            break;
        }
        if (bytes_append(out, buf, n) != 0) {
            rc = fail(ctx, ENVELOPE_E_NOMEM, "input");
            break;
        }
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

/* EINTR is left to the caller, which knows whether the call was cancelled. */
ssize_t fd_read(void *arg, uint8_t *buf, size_t len)
{
    return read(*(int *)arg, buf, len);
}

int fd_write(void *arg, const uint8_t *buf, size_t len)
{
    int fd = *(int *)arg;

    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t mem_read(void *arg, uint8_t *buf, size_t len)
{
    struct mem_reader *m = arg;
    size_t n = len < m->left ? len : m->left;

    /* An empty buffer may be NULL, which takes no offset, not even 0. */
    if (n == 0)
        return 0;
    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

int bytes_write(void *arg, const uint8_t *buf, size_t len)
{
    return bytes_append(arg, buf, len);
}

ssize_t replay_read(void *arg, uint8_t *buf, size_t len)
{
    struct replay *r = arg;
    size_t n = len < r->left ? len : r->left;

    if (n == 0)
        return r->inner->read(r->inner->arg, buf, len);
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return (ssize_t)n;
}
