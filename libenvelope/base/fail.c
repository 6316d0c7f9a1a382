/* Failure details: the message each failing call leaves in its context,
 * escaped so that any caller can print it. Knows no backend. */
#include "base/context.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *envelope_ctx_detail(const envelope_ctx *ctx)
{
    return ctx ? ctx->detail : "";
}

void detail_clear(envelope_ctx *ctx)
{
    if (ctx)
        ctx->detail[0] = '\0';
}

/* Details repeat names and values from envelopes, key files and servers:
 * they are kept escaped, so that any caller can print them. */
__attribute__((format(printf, 2, 0)))
static void vset(envelope_ctx *ctx, const char *fmt, va_list ap)
{
    char raw[DETAIL_SIZE];

    vsnprintf(raw, sizeof(raw), fmt, ap);
    envelope_escape(ctx->detail, sizeof(ctx->detail), raw);
}

envelope_rc fail(envelope_ctx *ctx, envelope_rc rc, const char *fmt, ...)
{
    va_list ap;

    if (ctx == NULL)
        return rc;
    va_start(ap, fmt);
    vset(ctx, fmt, ap);
    va_end(ap);
    return rc;
}

/* OpenSSL's reasons ("bad decrypt", "wrong tag") name what failed and never
 * carry key bytes, so they are safe to pass on. The queue is drained either
 * way so that a stale error cannot be blamed on a later call. */
envelope_rc fail_ossl(envelope_ctx *ctx, envelope_rc rc, const char *fmt, ...)
{
    va_list ap;
    unsigned long e;
    size_t used;

    if (ctx == NULL) {
        ERR_clear_error();
        return rc;
    }
    va_start(ap, fmt);
    vset(ctx, fmt, ap);
    va_end(ap);
    if ((e = ERR_get_error()) != 0) {
        used = strlen(ctx->detail);
        if (used + 3 < sizeof(ctx->detail)) {
            memcpy(ctx->detail + used, ": ", 3);
            ERR_error_string_n(e, ctx->detail + used + 2, sizeof(ctx->detail) - used - 2);
        }
    }
    ERR_clear_error();
    return rc;
}

void detail_prefix(envelope_ctx *ctx, const char *fmt, ...)
{
    char raw[256], prefix[256];
    size_t n, old;
    va_list ap;

    if (ctx == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    envelope_escape(prefix, sizeof(prefix) - 2, raw);
    strcat(prefix, ": ");
    n = strlen(prefix);
    old = strnlen(ctx->detail, sizeof(ctx->detail) - 1 - n);
    memmove(ctx->detail + n, ctx->detail, old);
    memcpy(ctx->detail, prefix, n);
    ctx->detail[n + old] = '\0';
}
