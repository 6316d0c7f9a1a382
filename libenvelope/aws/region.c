/* The region of AWS calls, as the AWS SDKs find it: the environment, else
 * the profile's region. */
#include "aws/region.h"

#include <string.h>

#include "base/context.h"
#include "aws/creds.h"

int region_is_valid(const char *s, size_t len)
{
    if (len == 0 || len > REGION_MAX || s[0] < 'a' || s[0] > 'z' || s[len - 1] == '-')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static envelope_rc region_from_profile(envelope_ctx *ctx, char out[REGION_MAX + 1])
{
    struct aws_profile p;
    const char *v;
    envelope_rc rc;
    int from;

    if ((rc = profile_load(ctx, ENVELOPE_E_INVALID_ARGUMENT, &p)) == ENVELOPE_OK &&
        (v = profile_get(&p, PROFILE_REGION, &from)) != NULL) {
        if (!region_is_valid(v, strlen(v)))
            rc = fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                      "%s line %u: region = %.40s is not a region name", p.file[from].path,
                      p.file[from].line[PROFILE_REGION], v);
        else
            memcpy(out, v, strlen(v) + 1);
    }
    profile_free(&p);
    return rc;
}

envelope_rc region_resolve(envelope_ctx *ctx, char out[REGION_MAX + 1])
{
    static const char *const names[] = {"AWS_REGION", "AWS_DEFAULT_REGION"};

    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = creds_env(names[i]);

        if (v == NULL)
            continue;
        if (!region_is_valid(v, strlen(v)))
            return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "%s=%.40s is not a region name",
                        names[i], v);
        memcpy(out, v, strlen(v) + 1);
        return ENVELOPE_OK;
    }
    return region_from_profile(ctx, out);
}
