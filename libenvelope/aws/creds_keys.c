/* Static keys: the environment's AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, and the profile's aws_access_key_id and
 * aws_secret_access_key in either file. Sources of the chain
 * (creds_chain.c), and of an assumed role (creds_assume.c). */
#include <stdio.h>
#include <string.h>

#include "base/context.h"
#include "aws/creds.h"

/* The variables the AWS SDKs read; AWS_SECURITY_TOKEN is the older name of
 * the session token, still honoured by botocore. */
envelope_rc creds_env_keys(envelope_ctx *ctx, struct aws_creds *out, int *found)
{
    const char *id = creds_env("AWS_ACCESS_KEY_ID");
    const char *secret = creds_env("AWS_SECRET_ACCESS_KEY");
    const char *token = creds_env("AWS_SESSION_TOKEN");
    envelope_rc rc;

    if (token == NULL)
        token = creds_env("AWS_SECURITY_TOKEN");
    if (id == NULL && secret == NULL)
        return ENVELOPE_OK;
    if (id == NULL || secret == NULL)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s is set in the environment but %s is not",
                    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    if (strlen(id) > ACCESS_KEY_ID_MAX || !creds_is_token_text(id, strlen(id)))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_ACCESS_KEY_ID is not an access key id (printable, at most %d "
                    "characters)", ACCESS_KEY_ID_MAX);
    if (strlen(secret) > SECRET_KEY_MAX || !creds_is_token_text(secret, strlen(secret)))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_SECRET_ACCESS_KEY is not a secret access key (printable, at most %d "
                    "characters)", SECRET_KEY_MAX);
    if (token && (strlen(token) > SESSION_TOKEN_MAX || !creds_is_token_text(token, strlen(token))))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_SESSION_TOKEN is not a session token (printable, at most %d "
                    "characters)", SESSION_TOKEN_MAX);
    if ((rc = creds_set(ctx, "environment", id, (size_t)-1, secret, (size_t)-1, token,
                        (size_t)-1, out)) != ENVELOPE_OK)
        return rc;
    snprintf(out->source, sizeof(out->source), "environment");
    *found = 1;
    return ENVELOPE_OK;
}

static const char *const file_label[2] = {"shared credentials file", "config file"};

/* Static keys in one of the files: aws_access_key_id, aws_secret_access_key
 * and, for temporary credentials, aws_session_token. */
static envelope_rc from_file(envelope_ctx *ctx, const struct aws_profile *p, int which,
                             struct aws_creds *out, int *found)
{
    const struct profile_file *f = &p->file[which];
    char what[CREDS_SOURCE_MAX];
    envelope_rc rc;

    if (f->value[PROFILE_ACCESS_KEY_ID] == NULL && f->value[PROFILE_SECRET_ACCESS_KEY] == NULL)
        return ENVELOPE_OK;
    snprintf(what, sizeof(what), "%s %s, profile %s", file_label[which], f->path, p->name);
    if (f->value[PROFILE_ACCESS_KEY_ID] == NULL || f->value[PROFILE_SECRET_ACCESS_KEY] == NULL)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: %s is set but %s is not", what,
                    f->value[PROFILE_ACCESS_KEY_ID] ? "aws_access_key_id"
                                                    : "aws_secret_access_key",
                    f->value[PROFILE_ACCESS_KEY_ID] ? "aws_secret_access_key"
                                                    : "aws_access_key_id");
    if ((rc = creds_set(ctx, what, f->value[PROFILE_ACCESS_KEY_ID], (size_t)-1,
                        f->value[PROFILE_SECRET_ACCESS_KEY], (size_t)-1,
                        f->value[PROFILE_SESSION_TOKEN], (size_t)-1, out)) != ENVELOPE_OK)
        return rc;
    snprintf(out->source, sizeof(out->source), "%s", what);
    *found = 1;
    return ENVELOPE_OK;
}

envelope_rc creds_profile_keys(envelope_ctx *ctx, const struct aws_profile *p,
                               struct aws_creds *out, int *found)
{
    envelope_rc rc = ENVELOPE_OK;

    *found = 0;
    for (int which = 0; which < 2 && rc == ENVELOPE_OK && !*found; which++)
        rc = from_file(ctx, p, which, out, found);
    return rc;
}
