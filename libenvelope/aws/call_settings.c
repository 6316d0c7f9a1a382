/* The settings of one AWS call (call_settings.h): the API's, the
 * environment's or the profile's, and the backoff between attempts. KMS
 * and STS calls both follow them. */
#include "aws/call_settings.h"

#include "base/context.h"
#include "aws/env_setting.h"
#include "aws/kms_client.h"

/* The retry mode and attempts: read once per client (c may be NULL: read). */
static envelope_rc client_retry_settings(envelope_ctx *ctx, struct kms_client *c,
                                         enum retry_mode *mode, unsigned long *attempts)
{
    envelope_rc rc;

    if (c && c->retry_read) {
        *mode = c->retry_mode;
        *attempts = c->retry_attempts;
        return ENVELOPE_OK;
    }
    if ((rc = retry_settings(ctx, KMS_MAX_ATTEMPTS_LIMIT, mode, attempts)) != ENVELOPE_OK || !c)
        return rc;
    c->retry_mode = *mode;
    c->retry_attempts = *attempts;
    c->retry_read = 1;
    return ENVELOPE_OK;
}

envelope_rc kms_settings(envelope_ctx *ctx, struct kms_client *c, struct kms_settings *s)
{
    unsigned long attempts = KMS_DEFAULT_MAX_ATTEMPTS;
    envelope_rc rc;

    s->connect_ms = KMS_DEFAULT_CONNECT_MS;
    s->total_ms = KMS_DEFAULT_TOTAL_MS;
    s->mode = RETRY_MODE_STANDARD;
    if ((rc = env_ulong(ctx, "ENVELOPE_KMS_CONNECT_TIMEOUT_MS", 1, KMS_TIMEOUT_LIMIT_MS,
                        &s->connect_ms)) != ENVELOPE_OK ||
        (rc = env_ulong(ctx, "ENVELOPE_KMS_TIMEOUT_MS", 1, KMS_TIMEOUT_LIMIT_MS, &s->total_ms)) !=
            ENVELOPE_OK ||
        (rc = client_retry_settings(ctx, c, &s->mode, &attempts)) != ENVELOPE_OK)
        return rc;
    if (c && c->api_connect_ms)
        s->connect_ms = c->api_connect_ms;
    if (c && c->api_total_ms)
        s->total_ms = c->api_total_ms;
    if (c && c->api_max_attempts)
        attempts = c->api_max_attempts;
    s->max_attempts = (unsigned)attempts;
    return ENVELOPE_OK;
}

unsigned long kms_backoff_ms(unsigned attempt, enum kms_retry kind, uint32_t random)
{
    unsigned long ceiling = kind == KMS_RETRY_THROTTLED ? KMS_BACKOFF_THROTTLED_BASE_MS
                                                        : KMS_BACKOFF_BASE_MS;

    for (unsigned i = 1; i < attempt && ceiling < KMS_BACKOFF_CAP_MS; i++)
        ceiling *= 2;
    if (ceiling > KMS_BACKOFF_CAP_MS)
        ceiling = KMS_BACKOFF_CAP_MS;
    /* Full jitter: uniform in [0, ceiling]. */
    return (unsigned long)(((unsigned long long)random * (ceiling + 1)) >> 32);
}
