/* AWS credentials and region: where they come from, and who wipes them.
 * Sources are tried in order; the first that has credentials wins, and a
 * source that is present but broken stops the search with its error. This
 * version reads the environment only. */
#ifndef ENVELOPE_CREDS_H
#define ENVELOPE_CREDS_H

#include "envelope.h"

#define REGION_MAX 32
#define ACCESS_KEY_ID_MAX 128
#define SECRET_KEY_MAX 128
#define SESSION_TOKEN_MAX 8192

struct aws_creds {
    char access_key_id[ACCESS_KEY_ID_MAX + 1];  /* not secret: it names the key */
    char *secret_access_key;                    /* secret: wiped by creds_free */
    char *session_token;                        /* secret, or NULL */
    const char *source;                         /* "environment": for details */
};

/* Fills *out from the first source that has credentials. On failure
 * ENVELOPE_E_CREDENTIALS, *out empty. Free with creds_free. */
envelope_rc creds_load(envelope_ctx *ctx, struct aws_creds *out);
/* Wipes and frees the secrets; leaves *c empty. NULL is a no-op. */
void creds_free(struct aws_creds *c);

/* The region from AWS_REGION, else AWS_DEFAULT_REGION: ENVELOPE_OK with
 * out "" when neither is set; ENVELOPE_E_INVALID_ARGUMENT when the value is
 * not a region name. */
envelope_rc creds_region(envelope_ctx *ctx, char out[REGION_MAX + 1]);
/* 1 if s looks like a region name ("us-east-1", "cn-north-1"). */
int region_is_valid(const char *s, size_t len);

#endif
