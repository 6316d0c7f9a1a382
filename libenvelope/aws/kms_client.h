/* The context's KMS client as the files that hold it see it:
 * kms_context.c makes and keeps it, kms_client.c uses it, call_settings.c
 * keeps its settings in it. Everything else knows it by name only (kms.h). */
#ifndef ENVELOPE_KMS_CLIENT_H
#define ENVELOPE_KMS_CLIENT_H

#include "aws/creds.h"
#include "aws/http.h"
#include "aws/retry_mode.h"
#include "aws/retry_quota.h"

struct kms_client {
    struct http_client *http;   /* NULL until the first call */
    struct aws_creds creds;     /* empty until the first call */
    int have_creds;
    /* Set through the API; 0: the environment's, else the defaults. */
    unsigned long api_connect_ms, api_total_ms;
    unsigned api_max_attempts;
    struct retry_quota quota;   /* standard mode's: shared by every call */
    /* The retry settings as the first call read them: the files are not
     * read again at every call (kept as the credentials are). */
    int retry_read;
    enum retry_mode retry_mode;
    unsigned long retry_attempts;
};

/* The context's client, made now if it has none: its memory only, without
 * libcurl or credentials, so that settings can be made before the first
 * call. */
envelope_rc kms_client_alloc(envelope_ctx *ctx, struct kms_client **out);

#endif
