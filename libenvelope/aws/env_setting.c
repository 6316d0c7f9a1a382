/* Numeric settings from the environment. */
#include "aws/env_setting.h"

#include <errno.h>
#include <stdlib.h>

envelope_rc env_ulong(envelope_ctx *ctx, const char *name, unsigned long lo, unsigned long hi,
                      unsigned long *out)
{
    const char *v = getenv(name);
    unsigned long n;
    char *end;

    if (v == NULL || *v == '\0')
        return ENVELOPE_OK;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (errno || *end || end == v || v[0] == '-' || n < lo || n > hi)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "%s=%.20s: not a number from %lu to %lu",
                    name, v, lo, hi);
    *out = n;
    return ENVELOPE_OK;
}
