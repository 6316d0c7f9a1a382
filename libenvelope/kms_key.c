/* awskms:// keys. */
#include "context.h"
#include "keyref.h"

envelope_rc kms_key_load(envelope_ctx *ctx, const char *ref, envelope_key **out)
{
    *out = NULL;
    return fail(ctx, ENVELOPE_E_UNSUPPORTED, "%s: KMS keys are not available in this version",
                ref);
}
