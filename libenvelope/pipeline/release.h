/* Opening with only ciphertext spooled: verify first, release after. */
#ifndef ENVELOPE_RELEASE_H
#define ENVELOPE_RELEASE_H

#include "base/buf.h"
#include "pipeline/pipeline.h"
#include "io/space.h"

/* One open in two passes. The spool is an unnamed 0600 file under $TMPDIR
 * (or a private name unlinked at once) holding the envelope as read, up to
 * what the release can need: with a maximum size, that maximum plus the
 * format's overhead (release.c, spool_limit); with none, only the disk
 * bounds it. */
struct spooled {
    int fd;                 /* the spool, -1 before */
    struct opened raw;      /* what the release needs, secret */
    struct bytes held;      /* a compat message, verified in memory */
    int held_too_big;       /* a v1 message: not held */
    int compat;
    struct space space;     /* the output's, if any, then the spool's */
};

void spooled_init(struct spooled *sp);
/* The first pass: reads in to its end, copying it into the spool, and
 * checks everything; nothing is released. Once the archive states the
 * message's size it is checked against sp->space, where the caller may have
 * put the output, and the spool's file system. result may be NULL. */
envelope_rc spooled_verify(envelope_ctx *ctx, const envelope_open_opts *opts,
                           const struct source *in, struct spooled *sp, envelope_result **result);
/* The second pass, after a successful first: writes the message to msg,
 * decrypted again from the spool and checked again against its size and
 * SHA-512. */
envelope_rc spooled_release(envelope_ctx *ctx, struct spooled *sp, const struct sink *msg);
/* Closes the spool and wipes what was kept. Safe twice. */
void spooled_free(struct spooled *sp);

#endif
