/* Opening into a place nobody sees yet, with a fresh result: the step the
 * public entry points and the spooled release share. Any armor is decoded
 * first (format/armor.h); the manifest describing the plaintext is wiped
 * unless the caller asked for it. */
#include <openssl/crypto.h>
#include <stdlib.h>

#include "format/armor.h"
#include "base/context.h"
#include "pipeline/compat.h"
#include "pipeline/opts.h"
#include "pipeline/pipeline.h"

envelope_rc open_into(envelope_ctx *ctx, const envelope_open_opts *opts,
                      const struct source *in, const struct sink *msg, struct opened *raw,
                      envelope_result **result)
{
    struct unarmor *u;
    const struct source *from;
    envelope_rc rc;

    detail_clear(ctx);
    /* Incomplete options are named before anything is read. */
    if (opts == NULL || opts->n_decrypt == 0 || opts->n_trusted == 0)
        return open_into_bare(ctx, opts, in, msg, raw, result);
    if ((u = malloc(sizeof(*u))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "input");
    if ((rc = unarmor_begin(ctx, in, u, &from)) == ENVELOPE_OK)
        rc = unarmor_end(ctx, u, open_into_bare(ctx, opts, from, msg, raw, result));
    free(u);
    return rc;
}

envelope_rc open_into_bare(envelope_ctx *ctx, const envelope_open_opts *opts,
                           const struct source *in, const struct sink *msg, struct opened *raw,
                           envelope_result **result)
{
    envelope_result *r = calloc(1, sizeof(*r));
    struct opened mine;
    envelope_rc rc;

    detail_clear(ctx);
    if (r == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "result");
    rc = open_any(ctx, opts, in, msg, raw ? raw : &mine, r);
    /* The manifest describes the plaintext: wiped unless the caller asked
     * for it, and then too on failure. */
    OPENSSL_cleanse(&mine, sizeof(mine));
    if (rc != ENVELOPE_OK && raw)
        OPENSSL_cleanse(raw, sizeof(*raw));
    if (rc == ENVELOPE_OK && result)
        *result = r;
    else
        envelope_result_free(r);
    return rc;
}
