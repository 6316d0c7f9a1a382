/* AWS credentials and region (DESIGN.md section 7). Secrets are copied into
 * memory this module owns and wipes; they never reach a detail message. */
#include "creds.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

/* One credential source: ENVELOPE_OK with *found 0 when it has nothing to
 * offer, ENVELOPE_OK with *found 1 and *out filled, or an error when it is
 * present but unusable. */
struct creds_source {
    const char *name;
    envelope_rc (*load)(envelope_ctx *ctx, struct aws_creds *out, int *found);
};

/* Printable ASCII without spaces: what fits in a header or SigV4's scope, and
 * cannot split a header line. */
static int is_token_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return 0;
    return 1;
}

static char *secret_dup(const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

/* The variables the AWS SDKs read; AWS_SECURITY_TOKEN is the older name of
 * the session token, still honoured by botocore. */
static envelope_rc from_env(envelope_ctx *ctx, struct aws_creds *out, int *found)
{
    const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
    const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
    const char *token = env_nonempty("AWS_SESSION_TOKEN");
    size_t id_len, secret_len, token_len;

    *found = 0;
    if (token == NULL)
        token = env_nonempty("AWS_SECURITY_TOKEN");
    if (id == NULL && secret == NULL)
        return ENVELOPE_OK;
    if (id == NULL || secret == NULL)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s is set in the environment but %s is not",
                    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    id_len = strlen(id);
    secret_len = strlen(secret);
    token_len = token ? strlen(token) : 0;
    if (id_len > ACCESS_KEY_ID_MAX || !is_token_text(id, id_len))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_ACCESS_KEY_ID is not an access key id (printable, at most %d "
                    "characters)", ACCESS_KEY_ID_MAX);
    if (secret_len > SECRET_KEY_MAX || !is_token_text(secret, secret_len))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_SECRET_ACCESS_KEY is not a secret access key (printable, at most %d "
                    "characters)", SECRET_KEY_MAX);
    if (token && (token_len > SESSION_TOKEN_MAX || !is_token_text(token, token_len)))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_SESSION_TOKEN is not a session token (printable, at most %d "
                    "characters)", SESSION_TOKEN_MAX);
    memcpy(out->access_key_id, id, id_len + 1);
    out->secret_access_key = secret_dup(secret, secret_len);
    out->session_token = token ? secret_dup(token, token_len) : NULL;
    if (out->secret_access_key == NULL || (token && out->session_token == NULL)) {
        creds_free(out);
        return fail(ctx, ENVELOPE_E_NOMEM, "credentials");
    }
    *found = 1;
    return ENVELOPE_OK;
}

/* In order. The shared credentials file, credential_process, container and
 * instance credentials join this table. */
static const struct creds_source sources[] = {
    {"environment", from_env},
};

envelope_rc creds_load(envelope_ctx *ctx, struct aws_creds *out)
{
    envelope_rc rc;
    int found;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
        if ((rc = sources[i].load(ctx, out, &found)) != ENVELOPE_OK)
            return rc;
        if (found) {
            out->source = sources[i].name;
            return ENVELOPE_OK;
        }
    }
    return fail(ctx, ENVELOPE_E_CREDENTIALS,
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(and AWS_SESSION_TOKEN for temporary credentials)");
}

void creds_free(struct aws_creds *c)
{
    if (c == NULL)
        return;
    if (c->secret_access_key) {
        OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
        free(c->secret_access_key);
    }
    if (c->session_token) {
        OPENSSL_cleanse(c->session_token, strlen(c->session_token));
        free(c->session_token);
    }
    memset(c, 0, sizeof(*c));
}

int region_is_valid(const char *s, size_t len)
{
    if (len == 0 || len > REGION_MAX || s[0] < 'a' || s[0] > 'z' || s[len - 1] == '-')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

envelope_rc creds_region(envelope_ctx *ctx, char out[REGION_MAX + 1])
{
    static const char *const names[] = {"AWS_REGION", "AWS_DEFAULT_REGION"};

    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = env_nonempty(names[i]);

        if (v == NULL)
            continue;
        if (!region_is_valid(v, strlen(v)))
            return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "%s=%.40s is not a region name",
                        names[i], v);
        memcpy(out, v, strlen(v) + 1);
        return ENVELOPE_OK;
    }
    return ENVELOPE_OK;
}
