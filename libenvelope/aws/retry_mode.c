/* retry_mode and max_attempts, as the AWS SDKs read them: the environment
 * first, then the profile (config or credentials file, as profile_get
 * merges them). */
#include "aws/retry_mode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds.h"
#include "aws/env_setting.h"

#define MODES "standard, adaptive or legacy"

/* 0 for a mode name (case as the SDKs: exact), -1 for anything else. */
static int mode_parse(const char *v, enum retry_mode *mode)
{
    if (strcmp(v, "standard") == 0 || strcmp(v, "adaptive") == 0)
        *mode = RETRY_MODE_STANDARD;
    else if (strcmp(v, "legacy") == 0)
        *mode = RETRY_MODE_LEGACY;
    else
        return -1;
    return 0;
}

static int number_parse(const char *v, unsigned long hi, unsigned long *out)
{
    unsigned long n;
    char *end;

    errno = 0;
    n = strtoul(v, &end, 10);
    if (errno || *end || end == v || v[0] < '0' || v[0] > '9' || n < 1 || n > hi)
        return -1;
    *out = n;
    return 0;
}

/* The profile's values for what the environment left unset. */
static envelope_rc from_profile(envelope_ctx *ctx, unsigned long max_limit, int need_mode,
                                int need_attempts, enum retry_mode *mode,
                                unsigned long *attempts)
{
    struct aws_profile p;
    const char *v;
    envelope_rc rc;
    int from;

    /* A file that cannot be read or parsed fails as the credential chain
     * reports it, whichever reads it first. */
    if ((rc = profile_load(ctx, ENVELOPE_E_CREDENTIALS, &p)) != ENVELOPE_OK)
        goto out;
    rc = ENVELOPE_E_INVALID_ARGUMENT;
    if (need_mode && (v = profile_get(&p, PROFILE_RETRY_MODE, &from)) != NULL &&
        mode_parse(v, mode) != 0) {
        fail(ctx, rc, "%s line %u: retry_mode = %.20s: not " MODES, p.file[from].path,
             p.file[from].line[PROFILE_RETRY_MODE], v);
        goto out;
    }
    if (need_attempts && (v = profile_get(&p, PROFILE_MAX_ATTEMPTS, &from)) != NULL &&
        number_parse(v, max_limit, attempts) != 0) {
        fail(ctx, rc, "%s line %u: max_attempts = %.20s: not a number from 1 to %lu",
             p.file[from].path, p.file[from].line[PROFILE_MAX_ATTEMPTS], v, max_limit);
        goto out;
    }
    rc = ENVELOPE_OK;
out:
    profile_free(&p);
    return rc;
}

envelope_rc retry_settings(envelope_ctx *ctx, unsigned long max_limit, enum retry_mode *mode,
                           unsigned long *attempts)
{
    const char *v = creds_env("AWS_RETRY_MODE");
    const char *n = creds_env("AWS_MAX_ATTEMPTS");
    envelope_rc rc;

    if (v && mode_parse(v, mode) != 0)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "AWS_RETRY_MODE=%.20s: not " MODES, v);
    if ((rc = env_ulong(ctx, "AWS_MAX_ATTEMPTS", 1, max_limit, attempts)) != ENVELOPE_OK)
        return rc;
    if (v && n)
        return ENVELOPE_OK;
    return from_profile(ctx, max_limit, v == NULL, n == NULL, mode, attempts);
}
