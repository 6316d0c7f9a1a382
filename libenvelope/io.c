/* Sources and sinks over descriptors and memory. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "context.h"
#include "pipeline.h"

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

    if (n)
        memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

int bytes_write(void *arg, const uint8_t *buf, size_t len)
{
    return bytes_append(arg, buf, len);
}
