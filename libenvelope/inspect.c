/* Reading the cleartext header without keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "opts.h"
#include "pipeline.h"

envelope_rc envelope_inspect_fd(envelope_ctx *ctx, int in_fd, envelope_info **out)
{
    uint8_t *buf = NULL;
    struct source in = {fd_read, &in_fd};
    envelope_info *info = NULL;
    struct stat st;
    uint32_t len;
    size_t got;
    off_t start = lseek(in_fd, 0, SEEK_CUR);
    envelope_rc rc;

    if (out == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output");
    *out = NULL;
    detail_clear(ctx);
    if ((buf = malloc(HEADER_MAX_LEN)) == NULL || (info = calloc(1, sizeof(*info))) == NULL) {
        rc = fail(ctx, ENVELOPE_E_NOMEM, "header");
        goto out;
    }
    if ((rc = source_read_full(ctx, &in, buf, HEADER_PREFIX_LEN, &got)) != ENVELOPE_OK)
        goto out;
    if (got == 0) {
        rc = fail(ctx, ENVELOPE_E_NOT_ENVELOPE, "empty input");
        goto out;
    }
    if ((rc = header_peek(ctx, buf, got, &len)) != ENVELOPE_OK ||
        (rc = source_read_full(ctx, &in, buf + HEADER_PREFIX_LEN, len - HEADER_PREFIX_LEN,
                               &got)) != ENVELOPE_OK)
        goto out;
    if (got < len - HEADER_PREFIX_LEN) {
        rc = fail(ctx, ENVELOPE_E_TRUNCATED, "input ends inside the header");
        goto out;
    }
    if ((rc = header_parse(ctx, buf, len, &info->header)) != ENVELOPE_OK)
        goto out;
    info->header_size = len;
    if (start >= 0 && fstat(in_fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size >= start + (off_t)len)
        info->payload_size = (uint64_t)(st.st_size - start - (off_t)len);
    *out = info;
    info = NULL;
out:
    free(buf);
    free(info);
    return rc;
}
