/* AWS credentials and region (DESIGN.md section 7): the chain of sources
 * in the AWS SDKs' order. Secrets are copied into memory this module owns
 * and wipes; they never reach a detail message. */
#include "aws/creds.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/context.h"
#include "aws/kms.h"
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

/* Printable ASCII without spaces: what fits in a header or SigV4's scope, and
 * cannot split a header line. */
static int is_token_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return 0;
    return 1;
}

char *creds_strdup(const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void creds_wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

const char *creds_env(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

int creds_env_true(const char *name)
{
    const char *v = getenv(name);

    return v && strcasecmp(v, "true") == 0;
}

envelope_rc creds_set(envelope_ctx *ctx, const char *what, const char *id, size_t id_len,
                      const char *secret, size_t secret_len, const char *token, size_t token_len,
                      struct aws_creds *out)
{
    if (id_len == (size_t)-1)
        id_len = strlen(id);
    if (secret_len == (size_t)-1)
        secret_len = strlen(secret);
    if (token && token_len == (size_t)-1)
        token_len = strlen(token);
    if (id_len == 0 || id_len > ACCESS_KEY_ID_MAX || !is_token_text(id, id_len))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: the access key id is not one (printable, at most %d characters)", what,
                    ACCESS_KEY_ID_MAX);
    if (secret_len == 0 || secret_len > SECRET_KEY_MAX || !is_token_text(secret, secret_len))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: the secret access key is not one (printable, at most %d characters)",
                    what, SECRET_KEY_MAX);
    if (token && (token_len == 0 || token_len > SESSION_TOKEN_MAX ||
                  !is_token_text(token, token_len)))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: the session token is not one (printable, at most %d characters)", what,
                    SESSION_TOKEN_MAX);
    memcpy(out->access_key_id, id, id_len);
    out->access_key_id[id_len] = '\0';
    out->secret_access_key = creds_strdup(secret, secret_len);
    out->session_token = token ? creds_strdup(token, token_len) : NULL;
    if (out->secret_access_key == NULL || (token && out->session_token == NULL)) {
        creds_free(out);
        return fail(ctx, ENVELOPE_E_NOMEM, "credentials");
    }
    return ENVELOPE_OK;
}

/* ------------------------------------------------------------ environment */

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
    if (strlen(id) > ACCESS_KEY_ID_MAX || !is_token_text(id, strlen(id)))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_ACCESS_KEY_ID is not an access key id (printable, at most %d "
                    "characters)", ACCESS_KEY_ID_MAX);
    if (strlen(secret) > SECRET_KEY_MAX || !is_token_text(secret, strlen(secret)))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_SECRET_ACCESS_KEY is not a secret access key (printable, at most %d "
                    "characters)", SECRET_KEY_MAX);
    if (token && (strlen(token) > SESSION_TOKEN_MAX || !is_token_text(token, strlen(token))))
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

static envelope_rc from_env(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out,
                            int *found)
{
    (void)ch;
    return creds_env_keys(ctx, out, found);
}

/* ---------------------------------------------------------------- profile */

static const char *const file_label[2] = {"shared credentials file", "config file"};

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

static envelope_rc from_profile_keys(envelope_ctx *ctx, struct chain *ch, struct aws_creds *out,
                                     int *found)
{
    envelope_rc rc;

    if ((rc = need_profile(ctx, ch)) != ENVELOPE_OK)
        return rc;
    return creds_profile_keys(ctx, &ch->profile, out, found);
}

envelope_rc creds_profile_process(envelope_ctx *ctx, const struct aws_profile *p,
                                  struct aws_creds *out, int *found)
{
    char what[CREDS_SOURCE_MAX];
    const char *command;
    envelope_rc rc;
    int from;

    *found = 0;
    if ((command = profile_get(p, PROFILE_CREDENTIAL_PROCESS, &from)) == NULL)
        return ENVELOPE_OK;
    snprintf(what, sizeof(what), "credential_process of profile %s (%s line %u)", p->name,
             p->file[from].path, p->file[from].line[PROFILE_CREDENTIAL_PROCESS]);
    if ((rc = creds_from_process(ctx, what, command, out)) != ENVELOPE_OK)
        return rc;
    snprintf(out->source, sizeof(out->source), "credential_process of profile %s", p->name);
    out->refreshable = 1;
    *found = 1;
    return ENVELOPE_OK;
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

void creds_free(struct aws_creds *c)
{
    if (c == NULL)
        return;
    creds_wipe_free(c->secret_access_key);
    creds_wipe_free(c->session_token);
    memset(c, 0, sizeof(*c));
}

void creds_expired(const struct aws_creds *c)
{
    sts_cache_forget(c->access_key_id);
}

int creds_expiring(const struct aws_creds *c, time_t now)
{
    return c->expiration != 0 && now >= c->expiration - CREDS_REFRESH_WINDOW;
}

/* ------------------------------------------------------------ JSON shapes */

envelope_rc creds_from_json(envelope_ctx *ctx, const char *what, struct json_object *o,
                            const char *token_name, int need_token, struct aws_creds *out)
{
    size_t id_len, secret_len, token_len = 0, exp_len;
    const char *id = kms_json_string(o, "AccessKeyId", &id_len);
    const char *secret = kms_json_string(o, "SecretAccessKey", &secret_len);
    const char *token = kms_json_string(o, token_name, &token_len);
    const char *exp = kms_json_string(o, "Expiration", &exp_len);
    time_t expiration = 0;
    envelope_rc rc;

    if (id == NULL || secret == NULL || (need_token && token == NULL))
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the answer has no string %s", what,
                    id == NULL ? "AccessKeyId" : secret == NULL ? "SecretAccessKey" : token_name);
    if (exp && creds_parse_time(exp, exp_len, &expiration) != 0)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: Expiration is not an RFC 3339 time (2024-05-01T12:00:00Z)", what);
    if (token && token_len == 0)
        token = NULL;
    if ((rc = creds_set(ctx, what, id, id_len, secret, secret_len, token, token_len, out)) !=
        ENVELOPE_OK)
        return rc;
    out->expiration = expiration;
    return ENVELOPE_OK;
}

static int digits(const char *s, size_t n, int *out)
{
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *out = *out * 10 + (s[i] - '0');
    }
    return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian): timegm without the
 * time zone machinery. */
static long days_from_civil(int y, int m, int d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int creds_parse_time(const char *s, size_t len, time_t *out)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    size_t i = 19;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    *out = 0;
    if (len < 20 || len > 40 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
        s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60 ||
        y < 1970)
        return -1;
    if (s[i] == '.') {
        size_t start = ++i;

        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start || i - start > 9)
            return -1;
    }
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        sign = 0;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && !digits(s + i + 1, 2, &oh) &&
               s[i + 3] == ':' && !digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59) {
        sign = s[i] == '+' ? 1 : -1;
    } else {
        return -1;
    }
    *out = (time_t)(days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + sec -
                    sign * (oh * 3600L + om * 60L));
    return 0;
}
