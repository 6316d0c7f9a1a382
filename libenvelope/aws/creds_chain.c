/* AWS credentials (docs/DESIGN.md, "The AWS client"): the chain of sources
 * in the AWS SDKs' order, each source in a file of its own (creds.h). */
#include "aws/creds.h"

#include <string.h>

#include "base/context.h"
#include "aws/sts_cache.h"

/* What the sources share while the chain runs: the profile, read once. */
struct chain {
    const char *region_hint;  /* the KMS key's region, for STS */
    struct aws_profile profile;
    int profile_loaded;
    char note[256];  /* why IMDS had nothing, for the final message */
};

/* One credential source: ENVELOPE_OK with *found 0 when it has nothing to
 * offer, ENVELOPE_OK with *found 1 and *out filled, or an error when it is
 * present but unusable. */
struct creds_source {
    envelope_rc (*load)(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out, int *found);
};

/* ------------------------------------------------------------ environment */

static envelope_rc from_env(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out,
                            int *found)
{
    (void)ch;
    return creds_env_keys(ctx, out, found);
}

/* ---------------------------------------------------------------- profile */

/* The profile, read once. */
static envelope_rc load_profile(envelope_ctx *ctx, struct chain *ch)
{
    envelope_rc rc;

    if (ch->profile_loaded)
        return ENVELOPE_OK;
    if ((rc = profile_load(ctx, ENVELOPE_E_CREDENTIALS, &ch->profile)) != ENVELOPE_OK)
        return rc;
    ch->profile_loaded = 1;
    return ENVELOPE_OK;
}

static int profile_missing(const struct chain *ch)
{
    return !ch->profile.file[0].present && !ch->profile.file[1].present;
}

/* The profile, which must exist when a variable names it, as in the AWS
 * CLI. */
static envelope_rc need_profile(envelope_ctx *ctx, struct chain *ch)
{
    envelope_rc rc = load_profile(ctx, ch);

    if (rc == ENVELOPE_OK && ch->profile.name_from && profile_missing(ch))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "the profile %s named by %s is in neither %s nor %s", ch->profile.name,
                    ch->profile.name_from,
                    ch->profile.file[0].path[0] ? ch->profile.file[0].path : "(no credentials file)",
                    ch->profile.file[1].path[0] ? ch->profile.file[1].path : "(no config file)");
    return rc;
}

static envelope_rc from_profile_keys(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out,
                                     int *found)
{
    envelope_rc rc;

    if ((rc = need_profile(ctx, ch)) != ENVELOPE_OK)
        return rc;
    return creds_profile_keys(ctx, &ch->profile, out, found);
}

static envelope_rc from_process(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out,
                                int *found)
{
    envelope_rc rc;

    if ((rc = need_profile(ctx, ch)) != ENVELOPE_OK)
        return rc;
    return creds_profile_process(ctx, &ch->profile, out, found);
}

/* --------------------------------------------------------- assumed roles */

static envelope_rc from_env_web_identity(envelope_ctx *ctx, struct chain *ch,
                                         struct aws_creds *out, int *found)
{
    envelope_rc rc;

    if (creds_env("AWS_WEB_IDENTITY_TOKEN_FILE") == NULL)
        return ENVELOPE_OK;
    if ((rc = need_profile(ctx, ch)) != ENVELOPE_OK)
        return rc;
    return creds_from_env_web_identity(ctx, &ch->profile, ch->region_hint, out, found);
}

/* A profile chosen by AWS_PROFILE that assumes a role comes before the
 * environment's keys, which may be the role's source (credential_source =
 * Environment): the SDKs do the same for a profile the program names. */
static envelope_rc from_named_profile_role(envelope_ctx *ctx, struct chain *ch,
                                           struct aws_creds *out, int *found)
{
    envelope_rc rc;

    if (creds_env("AWS_PROFILE") == NULL && creds_env("AWS_DEFAULT_PROFILE") == NULL)
        return ENVELOPE_OK;
    /* A missing profile is reported after the environment's keys, if
     * there are none, as before roles were assumed. */
    if ((rc = load_profile(ctx, ch)) != ENVELOPE_OK || profile_missing(ch))
        return rc;
    return creds_from_profile_role(ctx, &ch->profile, ch->region_hint, out, found);
}

static envelope_rc from_profile_role(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out,
                                     int *found)
{
    envelope_rc rc;

    if ((rc = need_profile(ctx, ch)) != ENVELOPE_OK || ch->profile.name_from)
        return rc;
    return creds_from_profile_role(ctx, &ch->profile, ch->region_hint, out, found);
}

/* A profile that only says how to get credentials through IAM Identity
 * Center (SSO) cannot be used as it is: say what can. */
static envelope_rc unsupported_profile(envelope_ctx *ctx, struct chain *ch,
                                       struct aws_creds *out, int *found)
{
    static const struct {
        int key;
        const char *what;
    } kinds[] = {
        {PROFILE_SSO, "IAM Identity Center (SSO)"},
    };
    envelope_rc rc;
    int from;

    (void)out;
    (void)found;
    if ((rc = need_profile(ctx, ch)) != ENVELOPE_OK)
        return rc;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (profile_get(&ch->profile, kinds[i].key, &from))
            return fail(ctx, ENVELOPE_E_CREDENTIALS,
                        "profile %s (%s) uses %s, which this library does not do itself: "
                        "use another profile with credential_process = aws configure "
                        "export-credentials --profile %s --format process (docs/KEYS.md)",
                        ch->profile.name, ch->profile.file[from].path, kinds[i].what,
                        ch->profile.name);
    return ENVELOPE_OK;
}

/* ------------------------------------------------------- metadata sources */

static envelope_rc from_container(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out,
                                  int *found)
{
    envelope_rc rc = creds_from_container(ctx, out, found);

    (void)ch;
    out->refreshable = *found;
    return rc;
}

static envelope_rc from_imds(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out,
                             int *found)
{
    envelope_rc rc = creds_from_imds(ctx, out, found, ch->note, sizeof(ch->note));

    out->refreshable = *found;
    return rc;
}

/* In order: the role of a profile AWS_PROFILE names; the environment's
 * keys; web identity from the environment; the default profile's role
 * (role_arn); the profile's static keys, the credentials file's before the
 * config file's; its credential_process; a profile that names SSO;
 * container credentials; IMDSv2. */
static const struct creds_source sources[] = {
    {from_named_profile_role}, {from_env},         {from_env_web_identity},
    {from_profile_role},       {from_profile_keys}, {from_process},
    {unsupported_profile},     {from_container},   {from_imds},
};

envelope_rc creds_load(envelope_ctx *ctx, struct aws_creds *out)
{
    return creds_load_for(ctx, NULL, out);
}

envelope_rc creds_load_for(envelope_ctx *ctx, const char *region_hint, struct aws_creds *out)
{
    struct chain ch;
    envelope_rc rc = ENVELOPE_OK;
    int found = 0;

    memset(out, 0, sizeof(*out));
    memset(&ch, 0, sizeof(ch));
    ch.region_hint = region_hint;
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]) && !found; i++)
        if ((rc = sources[i].load(ctx, &ch, out, &found)) != ENVELOPE_OK)
            break;
    if (rc == ENVELOPE_OK && !found)
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS,
                  "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                  "AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE to a profile "
                  "in the shared credentials or config file%s%s",
                  ch.note[0] ? "; " : "", ch.note);
    profile_free(&ch.profile);
    if (rc != ENVELOPE_OK)
        creds_free(out);
    return rc;
}

void creds_expired(const struct aws_creds *c)
{
    sts_cache_forget(c->access_key_id);
}
