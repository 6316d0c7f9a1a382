/* Opening through a spool of ciphertext: the first pass verifies the
 * envelope while a copy of it, as read, goes to a spool this process
 * created; the message is released only afterwards, by decrypting that
 * copy again. Plaintext never reaches the disk outside its destination, and
 * neither the caller's input nor anything a co-recipient could swap is read
 * for the release. */
#include "pipeline/release.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/armor.h"
#include "base/context.h"
#include "keys/keys.h"
#include "pipeline/opts.h"
#include "io/output.h"
#include "format/stream.h"

/* Hands the input on, copying what the release can need into the spool. */
struct tee {
    const struct source *in;
    int spool;
    uint64_t left; /* bytes the spool may still take */
    int err;       /* errno of a failed spool write, else 0 */
};

/* What the release can need of an envelope whose message has at most max
 * bytes: the header, then the chunks up to the message's end, with room for
 * its tar header and padding and for what libarchive and the chunk reader
 * read ahead (a few blocks, one chunk); 4 chunks cover them all. What comes
 * after (manifest, signature, any length of zero padding) was checked in the
 * first pass and is not read again. No maximum: no bound but the disk. */
static uint64_t spool_limit(uint64_t max)
{
    uint64_t plain;

    if (max == 0 || max > UINT64_MAX / 2)
        return UINT64_MAX;
    plain = max + 4 * CHUNK_SIZE;
    return HEADER_MAX_LEN + plain + (plain / CHUNK_SIZE + 1) * TAG_LEN;
}

static ssize_t tee_read(void *arg, uint8_t *buf, size_t len)
{
    struct tee *t = arg;
    ssize_t n = t->in->read(t->in->arg, buf, len);
    size_t keep;

    if (n <= 0)
        return n;
    keep = (uint64_t)n < t->left ? (size_t)n : (size_t)t->left;
    t->left -= keep;
    if (keep > 0 && fd_write(&t->spool, buf, keep) != 0) {
        t->err = errno && errno != EINTR ? errno : EIO;
        errno = EIO; /* not EINTR: a failed spool is not retried */
        return -1;
    }
    return n;
}

/* The first pass's message sink: a v1 message is dropped (it is released
 * from the spool); a compat one, verified whole in memory before it is
 * written here, is kept in memory up to the largest a compat envelope holds. */
static int hold_write(void *arg, const uint8_t *p, size_t n)
{
    struct spooled *sp = arg;

    if (sp->held_too_big || sp->held.len + n > WRAPPED_MAX) {
        sp->held_too_big = 1;
        OPENSSL_cleanse(sp->held.p, sp->held.cap);
        sp->held.len = 0;
        return 0;
    }
    return bytes_append(&sp->held, p, n);
}

void spooled_init(struct spooled *sp)
{
    memset(sp, 0, sizeof(*sp));
    sp->fd = -1;
    sp->held.secret = 1;
}

/* The spool holds the envelope as the release reads it: any armor is
 * decoded on its way in. */
static envelope_rc verify_teed(envelope_ctx *ctx, const envelope_open_opts *opts,
                               const struct source *in, struct spooled *sp,
                               envelope_result **r)
{
    struct tee t = {in, sp->fd, spool_limit(opts ? opts->max_size : 0), 0};
    struct source from = {tee_read, &t};
    struct sink msg = {hold_write, sp, NULL, &sp->space};
    envelope_rc rc = open_into_bare(ctx, opts, &from, &msg, &sp->raw, r);

    if (rc != ENVELOPE_OK && t.err)
        rc = fail_write(ctx, t.err, spool_dir(), "spooling the envelope");
    return rc;
}

envelope_rc spooled_verify(envelope_ctx *ctx, const envelope_open_opts *opts,
                           const struct source *in, struct spooled *sp, envelope_result **result)
{
    struct unarmor *u = NULL;
    const struct source *from = in;
    envelope_result *r = NULL;
    envelope_rc rc;

    if ((rc = spool_open(ctx, &sp->fd)) != ENVELOPE_OK)
        return rc;
    space_add_fd(&sp->space, sp->fd, spool_dir());
    /* Incomplete options are named before anything is read. */
    if (opts && opts->n_decrypt > 0 && opts->n_trusted > 0) {
        if ((u = malloc(sizeof(*u))) == NULL)
            return fail(ctx, ENVELOPE_E_NOMEM, "input");
        if ((rc = unarmor_begin(ctx, in, u, &from)) != ENVELOPE_OK) {
            free(u);
            return rc;
        }
    }
    rc = verify_teed(ctx, opts, from, sp, &r);
    if (u)
        rc = unarmor_end(ctx, u, rc);
    free(u);
    if (rc != ENVELOPE_OK)
        return rc;
    sp->compat = envelope_result_format(r) == ENVELOPE_FORMAT_COMPAT;
    if (result)
        *result = r;
    else
        envelope_result_free(r);
    return ENVELOPE_OK;
}

envelope_rc spooled_release(envelope_ctx *ctx, struct spooled *sp, const struct sink *msg)
{
    struct source from = {fd_read, &sp->fd};

    if (sp->compat && sp->held_too_big) /* cannot be: a compat archive is 512 bytes */
        return fail(ctx, ENVELOPE_E_INTERNAL, "a compat message larger than its envelope");
    if (sp->compat && sp->held.len == 0)
        return ENVELOPE_OK;
    if (sp->compat)
        return msg->write(msg->arg, sp->held.p, sp->held.len) == 0
                   ? ENVELOPE_OK
                   : fail_write(ctx, errno, msg->where, "writing the message");
    if (lseek(sp->fd, 0, SEEK_SET) != 0)
        return fail(ctx, ENVELOPE_E_IO, "rewinding the spool: %s", strerror(errno));
    return open_release(ctx, &sp->raw, &from, msg);
}

void spooled_free(struct spooled *sp)
{
    if (sp->fd >= 0)
        close(sp->fd);
    OPENSSL_cleanse(&sp->raw, sizeof(sp->raw));
    bytes_free(&sp->held);
    spooled_init(sp);
}
