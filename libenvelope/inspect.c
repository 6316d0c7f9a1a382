/* Reading the cleartext header without keys: of a v1 envelope, armored or
 * not, or what the size of a compat envelope tells. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/armor.h"
#include "pipeline/compat.h"
#include "base/context.h"
#include "pipeline/opts.h"
#include "pipeline/pipeline.h"

/* A compat envelope's only cleartext is its size: one stanza, unlabelled,
 * for an RSA key of that size. Nothing is read past COMPAT_MAX + 1 bytes. */
static envelope_rc inspect_compat(envelope_ctx *ctx, const struct source *in, uint8_t *buf,
                                  size_t got, envelope_info *info)
{
    size_t more;
    envelope_rc rc;

    if ((rc = source_read_full(ctx, in, buf + got, COMPAT_MAX + 1 - got, &more)) !=
        ENVELOPE_OK)
        return rc;
    got += more;
    if ((rc = compat_check(ctx, buf, got)) != ENVELOPE_OK)
        return rc;
    info->compat = 1;
    info->header.n_stanzas = 1;
    info->header.stanzas[0].wrapped_len = got;
    info->payload_size = got;
    return ENVELOPE_OK;
}

static envelope_rc inspect_v1(envelope_ctx *ctx, const struct source *in, uint8_t *buf,
                              size_t got, envelope_info *info)
{
    uint32_t len;
    size_t more;
    envelope_rc rc;

    /* header_peek fails unless got is HEADER_PREFIX_LEN, and len more. */
    if ((rc = header_peek(ctx, buf, got, &len)) != ENVELOPE_OK ||
        (rc = source_read_full(ctx, in, buf + got, len - got, &more)) != ENVELOPE_OK)
        return rc;
    if (got + more < len)
        return fail(ctx, ENVELOPE_E_TRUNCATED, "input ends inside the header");
    if ((rc = header_parse(ctx, buf, len, &info->header)) != ENVELOPE_OK)
        return rc;
    info->header_size = len;
    return ENVELOPE_OK;
}

/* What follows the header in a regular file, when the envelope is not
 * armored; 0 when unknown. */
static uint64_t payload_size(int fd, off_t start, size_t header_len)
{
    struct stat st;

    if (start >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size >= start + (off_t)header_len)
        return (uint64_t)(st.st_size - start - (off_t)header_len);
    return 0;
}

static envelope_rc inspect_from(envelope_ctx *ctx, const struct source *in, uint8_t *buf,
                                envelope_info *info)
{
    size_t got;
    envelope_rc rc;

    if ((rc = source_read_full(ctx, in, buf, HEADER_PREFIX_LEN, &got)) != ENVELOPE_OK)
        return rc;
    if (got == 0)
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE, "empty input");
    /* v1, or a v1 envelope cut inside its magic (header_peek: truncated). */
    if (memcmp(buf, MAGIC, got < MAGIC_LEN ? got : MAGIC_LEN) == 0)
        return inspect_v1(ctx, in, buf, got, info);
    return inspect_compat(ctx, in, buf, got, info);
}

envelope_rc envelope_inspect_fd(envelope_ctx *ctx, int in_fd, envelope_info **out)
{
    uint8_t *buf = NULL;
    struct source raw = {fd_read, &in_fd};
    const struct source *in;
    struct unarmor *u = NULL;
    envelope_info *info = NULL;
    off_t start = lseek(in_fd, 0, SEEK_CUR);
    envelope_rc rc;

    if (out == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output");
    *out = NULL;
    detail_clear(ctx);
    if ((buf = malloc(HEADER_MAX_LEN)) == NULL || (info = calloc(1, sizeof(*info))) == NULL ||
        (u = malloc(sizeof(*u))) == NULL) {
        rc = fail(ctx, ENVELOPE_E_NOMEM, "header");
        goto out;
    }
    if ((rc = unarmor_begin(ctx, &raw, u, &in)) != ENVELOPE_OK)
        goto out;
    rc = unarmor_end(ctx, u, inspect_from(ctx, in, buf, info));
    if (rc != ENVELOPE_OK)
        goto out;
    /* The armor's text says nothing exact of the bytes it holds. */
    if (!info->compat && !u->armored)
        info->payload_size = payload_size(in_fd, start, info->header_size);
    *out = info;
    info = NULL;
out:
    free(u);
    free(buf);
    free(info);
    return rc;
}
