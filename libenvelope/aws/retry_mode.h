/* The AWS SDKs' retry settings for KMS calls: the retry mode and the
 * attempts per call, from the environment, else the profile's config. */
#ifndef ENVELOPE_RETRY_MODE_H
#define ENVELOPE_RETRY_MODE_H

#include "base/context.h"

enum retry_mode {
    RETRY_MODE_STANDARD, /* "standard", and "adaptive": with the retry quota */
    RETRY_MODE_LEGACY    /* "legacy": the same retries, without the quota */
};

/* AWS_RETRY_MODE, else the profile's retry_mode; AWS_MAX_ATTEMPTS, else
 * the profile's max_attempts (1 to max_limit). What none of them sets is
 * left alone in *mode and *attempts. Any other value is
 * ENVELOPE_E_INVALID_ARGUMENT naming the variable, or the file and line;
 * a config or credentials file that cannot be read or parsed is
 * ENVELOPE_E_CREDENTIALS, as the credential chain has it. */
envelope_rc retry_settings(envelope_ctx *ctx, unsigned long max_limit, enum retry_mode *mode,
                           unsigned long *attempts);

#endif
