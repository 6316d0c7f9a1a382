/* The compat format (DESIGN.md section 5). */
#include "compat.h"

#include "context.h"

envelope_rc seal_compat(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                        const struct source *in, const struct sink *out)
{
    (void)opts;
    (void)size;
    (void)in;
    (void)out;
    return fail(ctx, ENVELOPE_E_UNSUPPORTED, "the compat format is not available in this version");
}

envelope_rc open_any(envelope_ctx *ctx, const envelope_open_opts *opts, const struct source *in,
                     const struct sink *msg, struct opened *raw, envelope_result *result)
{
    return open_envelope(ctx, opts, in, msg, raw, result);
}
