/* The context: per-thread state (cancellation, the backends' state), and
 * the one place failure details live (base/fail.c). */
#ifndef ENVELOPE_CONTEXT_H
#define ENVELOPE_CONTEXT_H

#include <signal.h>

#include "envelope.h"

#define DETAIL_SIZE 1024

#define CTX_STATES 4

/* What a key backend keeps for the context's lifetime (the KMS backend: its
 * client, credentials and connection), found by the address of a tag the
 * backend owns: the context carries it without knowing any backend. */
struct ctx_state {
    const void *owner;
    void *state;
    void (*release)(void *state);
};

struct envelope_ctx {
    char detail[DETAIL_SIZE];
    struct ctx_state states[CTX_STATES];
    volatile sig_atomic_t cancelled; /* set by envelope_cancel */
};

/* The state attached under owner, or NULL. */
void *ctx_state(const envelope_ctx *ctx, const void *owner);
/* Attaches state under owner; envelope_ctx_free calls release(state).
 * ENVELOPE_E_INTERNAL when every slot is taken (more backends than
 * CTX_STATES). */
envelope_rc ctx_state_attach(envelope_ctx *ctx, const void *owner, void *state,
                             void (*release)(void *state));
/* The same for state the caller can do without: -1 when every slot is
 * taken, and no failure recorded, since nothing failed. */
int ctx_state_try_attach(envelope_ctx *ctx, const void *owner, void *state,
                         void (*release)(void *state));

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
