/* Assumed roles in the chain of credential sources: web identity from the
 * environment (EKS's IAM roles for service accounts) and a profile's
 * role_arn, with its source (source_profile, followed from profile to
 * profile, or credential_source), as botocore resolves them (docs/KEYS.md
 * says where this differs). The STS requests themselves are sts.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "aws/creds.h"
#include "aws/sts.h"

/* At most this many profiles in one chain of source_profile. */
#define ROLE_CHAIN_MAX 8
#define PATH_TEXT_MAX 600

/* The walk from the profile in use along its source_profile settings. */
struct walk {
    const struct aws_profile *top;  /* where STS's region and endpoint are read */
    const char *region_hint;        /* the KMS key's region, or NULL */
    char visited[ROLE_CHAIN_MAX][PROFILE_NAME_MAX + 1];
    unsigned n;
};

static envelope_rc profile_creds(envelope_ctx *ctx, struct walk *w, const struct aws_profile *p,
                                 struct aws_creds *out, int *found);

static const char *get(const struct aws_profile *p, int key)
{
    int from;

    return p ? profile_get(p, key, &from) : NULL;
}

static int has_static_keys(const struct aws_profile *p)
{
    return get(p, PROFILE_ACCESS_KEY_ID) || get(p, PROFILE_SECRET_ACCESS_KEY);
}

static envelope_rc place(envelope_ctx *ctx, const struct walk *w, struct sts_place *out)
{
    return sts_place_resolve(ctx, get(w->top, PROFILE_ENDPOINT_URL),
                             get(w->top, PROFILE_USE_FIPS_ENDPOINT), w->region_hint, out);
}

/* "a -> b -> c", the profiles visited then next, cut to fit a detail. */
static void path_text(const struct walk *w, const char *next, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (unsigned i = 0; i < w->n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s -> ", w->visited[i]);
    if (used < size)
        snprintf(out + used, size - used, "%s", next);
}

/* The request's values from the profile; mfa_serial refused, as there is
 * nobody to ask for a code inside a library. */
static envelope_rc role_of(envelope_ctx *ctx, const struct aws_profile *p, const char *source,
                           struct sts_role *r)
{
    const char *d = get(p, PROFILE_DURATION_SECONDS);
    char *end;

    memset(r, 0, sizeof(*r));
    r->role_arn = get(p, PROFILE_ROLE_ARN);
    r->session_name = get(p, PROFILE_ROLE_SESSION_NAME);
    r->external_id = get(p, PROFILE_EXTERNAL_ID);
    r->source = source;
    if (get(p, PROFILE_MFA_SERIAL))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: role %.200s needs an MFA code (mfa_serial), which a library cannot "
                    "ask for: use credential_process = aws configure export-credentials "
                    "--profile %s --format process (docs/KEYS.md)",
                    source, r->role_arn, p->name);
    if (d) {
        errno = 0;
        r->duration = strtoul(d, &end, 10);
        if (errno || *end || end == d || *d == '-' || *d == '+' || r->duration < DURATION_MIN ||
            r->duration > DURATION_MAX)
            return fail(ctx, ENVELOPE_E_CREDENTIALS,
                        "%s: duration_seconds = %.20s is not a number from %d to %d", source, d,
                        DURATION_MIN, DURATION_MAX);
    }
    return ENVELOPE_OK;
}

static envelope_rc web_identity(envelope_ctx *ctx, struct walk *w, const struct aws_profile *p,
                                struct aws_creds *out)
{
    char source[CREDS_SOURCE_MAX];
    struct sts_place where;
    struct sts_role r;
    envelope_rc rc;

    snprintf(source, sizeof(source), "profile %s", p->name);
    if ((rc = role_of(ctx, p, source, &r)) != ENVELOPE_OK ||
        (rc = place(ctx, w, &where)) != ENVELOPE_OK)
        return rc;
    r.external_id = NULL; /* AssumeRole's only */
    return sts_assume_role_web_identity(ctx, &where, &r, get(p, PROFILE_WEB_IDENTITY), out);
}

/* credential_source: where the SDKs let a role's source be outside the
 * files. */
static envelope_rc from_credential_source(envelope_ctx *ctx, const struct aws_profile *p,
                                          const char *name, struct aws_creds *out)
{
    char note[256] = "";
    envelope_rc rc;
    int found = 0;

    if (strcmp(name, "Environment") == 0)
        rc = creds_env_keys(ctx, out, &found);
    else if (strcmp(name, "Ec2InstanceMetadata") == 0)
        rc = creds_from_imds(ctx, out, &found, note, sizeof(note));
    else if (strcmp(name, "EcsContainer") == 0)
        rc = creds_from_container(ctx, out, &found);
    else
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "profile %s: credential_source = %.60s is not Environment, "
                    "Ec2InstanceMetadata or EcsContainer",
                    p->name, name);
    if (rc != ENVELOPE_OK) {
        detail_prefix(ctx, "credential_source %s of profile %s", name, p->name);
        return rc;
    }
    if (!found)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "profile %s: credential_source = %s has no credentials%s%s", p->name, name,
                    note[0] ? ": " : "", note);
    return ENVELOPE_OK;
}

/* The credentials of the profile that source_profile names. */
static envelope_rc from_source_profile(envelope_ctx *ctx, struct walk *w,
                                       const struct aws_profile *p, const char *name,
                                       struct aws_creds *out)
{
    char path[PATH_TEXT_MAX];
    struct aws_profile q;
    envelope_rc rc;
    int found = 0;

    /* A profile may be its own source for the static keys it holds. */
    if (strcmp(name, p->name) == 0 && has_static_keys(p))
        return creds_profile_keys(ctx, p, out, &found);
    for (unsigned i = 0; i < w->n; i++)
        if (strcmp(w->visited[i], name) == 0) {
            path_text(w, name, path, sizeof(path));
            return fail(ctx, ENVELOPE_E_CREDENTIALS,
                        "source_profile makes a cycle: %s (a profile may name itself only "
                        "when it holds static keys)",
                        path);
        }
    if (w->n >= ROLE_CHAIN_MAX) {
        path_text(w, name, path, sizeof(path));
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "source_profile: more than %d profiles in the chain %s", ROLE_CHAIN_MAX,
                    path);
    }
    if ((rc = profile_load_named(ctx, ENVELOPE_E_CREDENTIALS, name, &q)) != ENVELOPE_OK)
        goto out;
    if (!q.file[0].present && !q.file[1].present) {
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS,
                  "profile %s: its source_profile %s is in neither the credentials nor the "
                  "config file",
                  p->name, name);
        goto out;
    }
    snprintf(w->visited[w->n++], PROFILE_NAME_MAX + 1, "%s", name);
    if ((rc = profile_creds(ctx, w, &q, out, &found)) == ENVELOPE_OK && !found)
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS,
                  "profile %s: its source_profile %s has no credentials (static keys, "
                  "role_arn, web_identity_token_file or credential_process)",
                  p->name, name);
out:
    profile_free(&q);
    return rc;
}

/* A role_arn with source_profile or credential_source (exactly one). */
static envelope_rc assume_role(envelope_ctx *ctx, struct walk *w, const struct aws_profile *p,
                               struct aws_creds *out)
{
    const char *sp = get(p, PROFILE_SOURCE_PROFILE), *cs = get(p, PROFILE_CREDENTIAL_SOURCE);
    char source[CREDS_SOURCE_MAX];
    struct aws_creds src = {0};
    struct sts_place where;
    struct sts_role r;
    envelope_rc rc;

    snprintf(source, sizeof(source), "profile %s", p->name);
    if ((rc = role_of(ctx, p, source, &r)) != ENVELOPE_OK)
        return rc;
    if (sp && cs)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "profile %s has both source_profile and credential_source: a role has one "
                    "source", p->name);
    if (!sp && !cs)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "profile %s: role_arn needs source_profile or credential_source", p->name);
    if (cs)
        rc = from_credential_source(ctx, p, cs, &src);
    else if ((rc = from_source_profile(ctx, w, p, sp, &src)) != ENVELOPE_OK)
        detail_prefix(ctx, "source of role %.200s (profile %s)", r.role_arn, p->name);
    if (rc == ENVELOPE_OK && (rc = place(ctx, w, &where)) == ENVELOPE_OK)
        rc = sts_assume_role(ctx, &where, &r, &src, out);
    creds_free(&src);
    return rc;
}

/* What a profile offers as a source, in botocore's order: web identity
 * (role_arn with web_identity_token_file), its own role (role_arn without
 * static keys: the chain goes on), static keys, credential_process. */
static envelope_rc profile_creds(envelope_ctx *ctx, struct walk *w, const struct aws_profile *p,
                                 struct aws_creds *out, int *found)
{
    envelope_rc rc;

    *found = 0;
    if (get(p, PROFILE_ROLE_ARN) && get(p, PROFILE_WEB_IDENTITY))
        rc = web_identity(ctx, w, p, out);
    else if (get(p, PROFILE_ROLE_ARN) && !has_static_keys(p))
        rc = assume_role(ctx, w, p, out);
    else if (has_static_keys(p))
        return creds_profile_keys(ctx, p, out, found);
    else
        return creds_profile_process(ctx, p, out, found);
    *found = rc == ENVELOPE_OK;
    return rc;
}

envelope_rc creds_from_profile_role(envelope_ctx *ctx, const struct aws_profile *p,
                                    const char *region_hint, struct aws_creds *out, int *found)
{
    struct walk w = {p, region_hint, {{0}}, 1};
    envelope_rc rc;

    *found = 0;
    if (get(p, PROFILE_WEB_IDENTITY) && !get(p, PROFILE_ROLE_ARN))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "profile %s has web_identity_token_file but no role_arn", p->name);
    if (!get(p, PROFILE_ROLE_ARN))
        return ENVELOPE_OK;
    snprintf(w.visited[0], sizeof(w.visited[0]), "%s", p->name);
    rc = get(p, PROFILE_WEB_IDENTITY) ? web_identity(ctx, &w, p, out) : assume_role(ctx, &w, p, out);
    *found = rc == ENVELOPE_OK;
    return rc;
}

envelope_rc creds_from_env_web_identity(envelope_ctx *ctx, const struct aws_profile *p,
                                        const char *region_hint, struct aws_creds *out,
                                        int *found)
{
    const char *file = creds_env("AWS_WEB_IDENTITY_TOKEN_FILE");
    struct walk w = {p, region_hint, {{0}}, 0};
    struct sts_place where;
    struct sts_role r = {0};
    envelope_rc rc;

    *found = 0;
    if (file == NULL)
        return ENVELOPE_OK;
    r.role_arn = creds_env("AWS_ROLE_ARN");
    r.session_name = creds_env("AWS_ROLE_SESSION_NAME");
    r.source = "environment AWS_ROLE_ARN";
    if (r.role_arn == NULL)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_WEB_IDENTITY_TOKEN_FILE is set in the environment but AWS_ROLE_ARN "
                    "is not");
    if ((rc = place(ctx, &w, &where)) != ENVELOPE_OK ||
        (rc = sts_assume_role_web_identity(ctx, &where, &r, file, out)) != ENVELOPE_OK)
        return rc;
    *found = 1;
    return ENVELOPE_OK;
}
