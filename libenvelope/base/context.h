/* The context: per-thread state, and the one place failure details live. */
#ifndef ENVELOPE_CONTEXT_H
#define ENVELOPE_CONTEXT_H

#include <signal.h>

#include "envelope.h"

#define DETAIL_SIZE 1024

struct kms_client;

struct envelope_ctx {
    char detail[DETAIL_SIZE];
    struct kms_client *kms; /* created at the first KMS call */
    volatile sig_atomic_t cancelled; /* set by envelope_cancel */
};

/* ENVELOPE_E_CANCELLED if envelope_cancel was called on ctx, else OK: for
 * every loop that reads. */
envelope_rc check_cancelled(envelope_ctx *ctx);
/* Whether a read that failed with errno err is tried again: EINTR on a
 * context nobody cancelled. */
int retry_read(envelope_ctx *ctx, int err);

/* Records a detail message for rc and returns rc, so that failure paths read
 * `return fail(ctx, ENVELOPE_E_X, "...", ...);`. ctx may be NULL. */
envelope_rc fail(envelope_ctx *ctx, envelope_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, with OpenSSL's error queue appended (and drained). */
envelope_rc fail_ossl(envelope_ctx *ctx, envelope_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Keeps rc's detail but puts a prefix in front ("recipient 2: ..."). */
void detail_prefix(envelope_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void detail_clear(envelope_ctx *ctx);

#endif
