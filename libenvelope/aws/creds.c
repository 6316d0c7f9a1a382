/* The credentials every source fills (creds.h): checked when set, wiped
 * when freed; and what the sources share to fill them: the environment's
 * variables, the JSON shape of credential_process and of the metadata
 * endpoints, RFC 3339 times. Secrets are copied into memory this module
 * owns and wipes; they never reach a detail message. */
#include "aws/creds.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/context.h"
#include "aws/kms.h"

int creds_is_token_text(const char *s, size_t len)
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
    if (id_len == 0 || id_len > ACCESS_KEY_ID_MAX || !creds_is_token_text(id, id_len))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: the access key id is not one (printable, at most %d characters)", what,
                    ACCESS_KEY_ID_MAX);
    if (secret_len == 0 || secret_len > SECRET_KEY_MAX || !creds_is_token_text(secret, secret_len))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: the secret access key is not one (printable, at most %d characters)",
                    what, SECRET_KEY_MAX);
    if (token && (token_len == 0 || token_len > SESSION_TOKEN_MAX ||
                  !creds_is_token_text(token, token_len)))
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

void creds_free(struct aws_creds *c)
{
    if (c == NULL)
        return;
    creds_wipe_free(c->secret_access_key);
    creds_wipe_free(c->session_token);
    memset(c, 0, sizeof(*c));
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

    /* An empty token is none, also when one is required. */
    if (token && token_len == 0)
        token = NULL;
    if (id == NULL || secret == NULL || (need_token && token == NULL))
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the answer has no string %s", what,
                    id == NULL ? "AccessKeyId" : secret == NULL ? "SecretAccessKey" : token_name);
    if (exp && creds_parse_time(exp, exp_len, &expiration) != 0)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: Expiration is not an RFC 3339 time (2024-05-01T12:00:00Z)", what);
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
    /* February 29th only in a leap year. */
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
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
