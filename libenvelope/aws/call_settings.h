/* The settings of one AWS call, KMS's or STS's: its timeouts, its
 * attempts, and the wait between two of them. */
#ifndef ENVELOPE_CALL_SETTINGS_H
#define ENVELOPE_CALL_SETTINGS_H

#include <stdint.h>

#include "envelope.h"
#include "aws/retry_mode.h"

#define KMS_DEFAULT_CONNECT_MS 5000UL
#define KMS_DEFAULT_TOTAL_MS 30000UL
#define KMS_DEFAULT_MAX_ATTEMPTS 3
/* What the API and the environment may ask for at most. */
#define KMS_MAX_ATTEMPTS_LIMIT 10
#define KMS_TIMEOUT_LIMIT_MS 3600000UL
/* Backoff: full jitter, random(0, min(cap, base * 2^(attempt - 1))). */
#define KMS_BACKOFF_BASE_MS 100UL
#define KMS_BACKOFF_THROTTLED_BASE_MS 500UL
#define KMS_BACKOFF_CAP_MS 20000UL

struct kms_client;

struct kms_settings {
    unsigned long connect_ms;   /* each connection: TCP and TLS */
    unsigned long total_ms;     /* the whole call, retries and waits included */
    unsigned max_attempts;
    enum retry_mode mode;       /* standard: retries draw on the context's quota */
};
/* The API's values, else ENVELOPE_KMS_CONNECT_TIMEOUT_MS,
 * ENVELOPE_KMS_TIMEOUT_MS, AWS_MAX_ATTEMPTS and AWS_RETRY_MODE, else the
 * profile's max_attempts and retry_mode, else the defaults above and
 * standard. c may be NULL; with a client, the retry settings are read at
 * its first call only and kept, as its credentials are.
 * ENVELOPE_E_INVALID_ARGUMENT for a malformed variable or setting,
 * ENVELOPE_E_CREDENTIALS for a malformed file. */
envelope_rc kms_settings(envelope_ctx *ctx, struct kms_client *c, struct kms_settings *s);

enum kms_retry { KMS_NO_RETRY, KMS_RETRY_TRANSIENT, KMS_RETRY_THROTTLED, KMS_RETRY_EXPIRED };
/* The wait before attempt + 1, from a uniform random 32-bit value. */
unsigned long kms_backoff_ms(unsigned attempt, enum kms_retry kind, uint32_t random);

#endif
