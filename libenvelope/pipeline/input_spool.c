/* A spool holding only ciphertext: the plaintext goes through AES-256-GCM
 * chunks (the payload's STREAM construction) under a random key kept in
 * memory, so that nothing readable survives on disk, not even in freed
 * blocks. */
#include "pipeline/input_spool.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>
#include <unistd.h>

#include "base/context.h"
#include "io/output.h"

static int spool_write(void *arg, const uint8_t *p, size_t n)
{
    struct input_spool *sp = arg;

    return input_spool_add(sp->ctx, sp, p, n) == ENVELOPE_OK ? 0 : -1;
}

envelope_rc input_spool_begin(envelope_ctx *ctx, struct input_spool *sp)
{
    envelope_rc rc;

    memset(sp, 0, sizeof(*sp));
    sp->fd = -1;
    sp->ctx = ctx;
    if ((rc = spool_open(ctx, &sp->fd)) != ENVELOPE_OK)
        return rc;
    if (RAND_bytes(sp->key, sizeof(sp->key)) != 1)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "spool key");
    if ((rc = stream_enc_init(ctx, &sp->enc, sp->key, fd_write, &sp->fd)) != ENVELOPE_OK)
        return rc;
    sp->enc.where = spool_dir();
    return ENVELOPE_OK;
}

envelope_rc input_spool_add(envelope_ctx *ctx, struct input_spool *sp, const uint8_t *p,
                            size_t n)
{
    envelope_rc rc = stream_enc_update(ctx, &sp->enc, p, n);

    if (rc == ENVELOPE_OK)
        sp->size += n;
    return rc;
}

envelope_rc input_spool_end(envelope_ctx *ctx, struct input_spool *sp)
{
    envelope_rc rc;

    /* An empty input leaves an empty spool: STREAM has no empty final chunk. */
    if (sp->size != 0 && (rc = stream_enc_finish(ctx, &sp->enc)) != ENVELOPE_OK)
        return rc;
    stream_enc_free(&sp->enc);
    if (lseek(sp->fd, 0, SEEK_SET) != 0)
        return fail(ctx, ENVELOPE_E_IO, "rewinding the spool: %s", strerror(errno));
    return stream_dec_init(ctx, &sp->dec, sp->key, fd_read, &sp->fd);
}

envelope_rc input_spool_fill(envelope_ctx *ctx, struct input_spool *sp, int from)
{
    uint64_t copied;
    envelope_rc rc;

    if ((rc = input_spool_begin(ctx, sp)) != ENVELOPE_OK ||
        (rc = copy_to_cb(ctx, from, spool_write, sp, spool_dir(), &copied)) != ENVELOPE_OK)
        return rc;
    return input_spool_end(ctx, sp);
}

ssize_t input_spool_read(void *arg, uint8_t *buf, size_t len)
{
    struct input_spool *sp = arg;
    int final;

    if (sp->size == 0)
        return 0;
    if (sp->left == 0 &&
        (sp->rc = stream_dec_next(sp->ctx, &sp->dec, &sp->p, &sp->left, &final)) !=
            ENVELOPE_OK) {
        errno = EIO; /* not EINTR: a failed spool is not retried */
        return -1;
    }
    if (len > sp->left)
        len = sp->left;
    memcpy(buf, sp->p, len);
    sp->p += len;
    sp->left -= len;
    return (ssize_t)len;
}

void input_spool_free(struct input_spool *sp)
{
    stream_enc_free(&sp->enc);
    stream_dec_free(&sp->dec);
    if (sp->fd >= 0)
        close(sp->fd);
    OPENSSL_cleanse(sp, sizeof(*sp));
    sp->fd = -1;
}
