/* The input of a seal whose length is not known in advance (a pipe): read
 * to its end first, because the archive states the message's size before
 * its bytes, into a spool encrypted under a key that never leaves memory. */
#ifndef ENVELOPE_INPUT_SPOOL_H
#define ENVELOPE_INPUT_SPOOL_H

#include "pipeline/pipeline.h"
#include "format/stream.h"

struct input_spool {
    int fd;                          /* the spool, -1 before */
    uint8_t key[PAYLOAD_KEY_LEN];    /* random, wiped by input_spool_free */
    struct stream_enc enc;
    struct stream_dec dec;
    envelope_ctx *ctx;
    const uint8_t *p;                /* decrypted, not yet read */
    size_t left;
    uint64_t size;                   /* of the plaintext */
    envelope_rc rc;                  /* why a read of it failed */
};

/* Reads from to its end into the spool; sp->size says how much came. */
envelope_rc input_spool_fill(envelope_ctx *ctx, struct input_spool *sp, int from);
/* The same in steps, for a caller that pushes the bytes: begin, add as
 * many times as needed (sp->size counts them), end; then read. Whatever
 * happened, input_spool_free. */
envelope_rc input_spool_begin(envelope_ctx *ctx, struct input_spool *sp);
envelope_rc input_spool_add(envelope_ctx *ctx, struct input_spool *sp, const uint8_t *p,
                            size_t n);
envelope_rc input_spool_end(envelope_ctx *ctx, struct input_spool *sp);
/* A source over the plaintext (arg: the spool). */
ssize_t input_spool_read(void *arg, uint8_t *buf, size_t len);
void input_spool_free(struct input_spool *sp);

#endif
