/* Where a KMS key is reached: region and endpoint, as the AWS SDKs choose
 * them (docs/DESIGN.md, "The AWS client"; docs/KEYS.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/context.h"
#include "aws/kms.h"

/* An endpoint named in the environment: scheme, host[:port], and at most a
 * "/" after it. */
struct endpoint {
    int http;
    char authority[KMS_HOST_MAX + 16];
};

envelope_rc kms_endpoint_parse(envelope_ctx *ctx, envelope_rc err_code, const char *name,
                               const char *url, int *http, char *authority, size_t size)
{
    const char *rest;
    size_t len;

    /* What comes before an '@' may be a password: never echoed. */
    if (strchr(url, '@') != NULL)
        return fail(ctx, err_code, "%s: a user name or password (user@host) is not allowed in "
                                   "the URL, which is not repeated here", name);
    if (strncmp(url, "https://", 8) == 0) {
        *http = 0;
        rest = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        *http = 1;
        rest = url + 7;
    } else {
        return fail(ctx, err_code, "%s=%.200s: not an https:// or http:// URL", name, url);
    }
    len = strcspn(rest, "/");
    if (len == 0 || len >= size || (rest[len] == '/' && rest[len + 1] != '\0') ||
        strpbrk(rest, "@?# \t") != NULL)
        return fail(ctx, err_code,
                    "%s=%.200s: expected scheme://host[:port] with no user, path or query",
                    name, url);
    memcpy(authority, rest, len);
    authority[len] = '\0';
    return ENVELOPE_OK;
}

static envelope_rc parse_env_endpoint(envelope_ctx *ctx, const char *name, const char *url,
                                      struct endpoint *out)
{
    return kms_endpoint_parse(ctx, ENVELOPE_E_KEY_REF, name, url, &out->http, out->authority,
                              sizeof(out->authority));
}

/* AWS_ENDPOINT_URL_KMS, else AWS_ENDPOINT_URL: *found 0 if neither. */
static envelope_rc env_endpoint(envelope_ctx *ctx, struct endpoint *out, int *found)
{
    static const char *const names[] = {"AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL"};

    *found = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);

        if (v && *v) {
            *found = 1;
            return parse_env_endpoint(ctx, names[i], v, out);
        }
    }
    return ENVELOPE_OK;
}

static int env_true(const char *name)
{
    const char *v = getenv(name);

    return v && strcasecmp(v, "true") == 0;
}

static envelope_rc set_url(envelope_ctx *ctx, struct kms_target *t, int http,
                           const char *authority)
{
    int n = snprintf(t->url, sizeof(t->url), "%s://%s/", http ? "http" : "https", authority);

    if (n < 0 || (size_t)n >= sizeof(t->url))
        return fail(ctx, ENVELOPE_E_KEY_REF, "endpoint too long");
    t->allow_http = http;
    return ENVELOPE_OK;
}

/* The reference's host wins. It is reached over HTTPS, unless the endpoint
 * the environment names is http:// on that same host and port: plain HTTP
 * only where the user asked for it. */
static envelope_rc from_reference(envelope_ctx *ctx, const struct kms_ref *ref,
                                  struct kms_target *t)
{
    char authority[KMS_HOST_MAX + 16];
    struct endpoint env;
    envelope_rc rc;
    int found;

    if (ref->port)
        snprintf(authority, sizeof(authority), "%s:%u", ref->host, ref->port);
    else
        snprintf(authority, sizeof(authority), "%s", ref->host);
    if ((rc = env_endpoint(ctx, &env, &found)) != ENVELOPE_OK)
        return rc;
    return set_url(ctx, t, found && env.http && strcasecmp(env.authority, authority) == 0,
                   authority);
}

static envelope_rc default_endpoint(envelope_ctx *ctx, struct kms_target *t)
{
    char authority[KMS_HOST_MAX + 16];
    /* The China regions live under their own domain. */
    const char *domain = strncmp(t->region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";

    snprintf(authority, sizeof(authority), "%s.%s.%s",
             env_true("AWS_USE_FIPS_ENDPOINT") ? "kms-fips" : "kms", t->region, domain);
    return set_url(ctx, t, 0, authority);
}

envelope_rc kms_target_resolve(envelope_ctx *ctx, const struct kms_ref *ref,
                               struct kms_target *out)
{
    struct endpoint env;
    envelope_rc rc;
    int found;

    memset(out, 0, sizeof(*out));
    memcpy(out->key_id, ref->key_id, sizeof(out->key_id));
    if (ref->region[0])
        memcpy(out->region, ref->region, sizeof(out->region));
    else if ((rc = region_resolve(ctx, out->region)) != ENVELOPE_OK)
        return rc;
    if (out->region[0] == '\0')
        return fail(ctx, ENVELOPE_E_KEY_REF,
                    "no AWS region for %s: set AWS_REGION (or AWS_DEFAULT_REGION), or name "
                    "the key by its ARN",
                    ref->key_id);
    if (ref->host[0])
        return from_reference(ctx, ref, out);
    if ((rc = env_endpoint(ctx, &env, &found)) != ENVELOPE_OK)
        return rc;
    if (found)
        return set_url(ctx, out, env.http, env.authority);
    return default_endpoint(ctx, out);
}
