/* Numeric settings from the environment (ENVELOPE_KMS_TIMEOUT_MS, ...). */
#ifndef ENVELOPE_ENV_SETTING_H
#define ENVELOPE_ENV_SETTING_H

#include "base/context.h"

/* Reads the variable name as a decimal number from lo to hi into *out; an
 * unset or empty variable leaves *out alone. Anything else is
 * ENVELOPE_E_INVALID_ARGUMENT, naming the variable and at most 20 bytes of
 * its value. */
envelope_rc env_ulong(envelope_ctx *ctx, const char *name, unsigned long lo, unsigned long hi,
                      unsigned long *out);

#endif
