/* Contexts: their life, cancellation, and the state backends attach. */
#include "base/context.h"

#include <errno.h>
#include <stdlib.h>

envelope_rc envelope_ctx_new(envelope_ctx **out)
{
    if (out == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    *out = calloc(1, sizeof(**out));
    return *out ? ENVELOPE_OK : ENVELOPE_E_NOMEM;
}

void envelope_ctx_free(envelope_ctx *ctx)
{
    if (ctx == NULL)
        return;
    for (size_t i = 0; i < CTX_STATES; i++)
        if (ctx->states[i].owner != NULL)
            ctx->states[i].release(ctx->states[i].state);
    free(ctx);
}

void *ctx_state(const envelope_ctx *ctx, const void *owner)
{
    if (ctx == NULL)
        return NULL;
    for (size_t i = 0; i < CTX_STATES; i++)
        if (ctx->states[i].owner == owner)
            return ctx->states[i].state;
    return NULL;
}

int ctx_state_try_attach(envelope_ctx *ctx, const void *owner, void *state,
                         void (*release)(void *state))
{
    for (size_t i = 0; i < CTX_STATES; i++) {
        if (ctx->states[i].owner == NULL) {
            ctx->states[i] = (struct ctx_state){owner, state, release};
            return 0;
        }
    }
    return -1;
}

envelope_rc ctx_state_attach(envelope_ctx *ctx, const void *owner, void *state,
                             void (*release)(void *state))
{
    if (ctx_state_try_attach(ctx, owner, state, release) == 0)
        return ENVELOPE_OK;
    return fail(ctx, ENVELOPE_E_INTERNAL, "more key backends than a context holds");
}

void envelope_cancel(envelope_ctx *ctx)
{
    if (ctx)
        ctx->cancelled = 1;
}

envelope_rc check_cancelled(envelope_ctx *ctx)
{
    if (ctx && ctx->cancelled)
        return fail(ctx, ENVELOPE_E_CANCELLED, "interrupted");
    return ENVELOPE_OK;
}

int retry_read(envelope_ctx *ctx, int err)
{
    return err == EINTR && !(ctx && ctx->cancelled);
}
