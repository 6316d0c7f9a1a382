/* The credentials answers in JSON: what a credential_process prints, what
 * the container endpoint and IMDS answer. Read as the library reads them,
 * kms_json_parse then creds_from_json, whose Expiration goes through
 * creds_parse_time (the RFC 3339 reader STS's answers use too).
 *
 * Input: byte 0 picks the token's member (bit 0: "Token", as the metadata
 * endpoints name it; else "SessionToken") and whether one is required
 * (bit 1); the rest is the answer.
 *
 * Invariants: credentials given are printable and bounded, with the token
 * when one is required, and an expiration that is the answer's Expiration
 * read by the oracle below (a real calendar date, its offset applied), or 0
 * without one; a refusal is ENVELOPE_E_CREDENTIALS with nothing out and a
 * printable detail holding neither the secret key nor the token. */
#include <time.h>

#include "common.h"
#include "base/context.h"
#include "aws/creds.h"
#include "aws/kms.h"

static int printable(const char *s)
{
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f)
            return 0;
    return 1;
}

/* n decimal digits at s, or -1. */
static long number(const char *s, size_t n)
{
    long v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in(long y, long m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 ? 28 + leap : days[m - 1];
}

/* An accepted time: its fields, read again by position, give a real date
 * and, through timegm, the same instant. The offset, if any, is the last
 * six characters. */
static void check_time(const char *s, size_t len, time_t got)
{
    long y = number(s, 4), mo = number(s + 5, 2), d = number(s + 8, 2);
    long h = number(s + 11, 2), mi = number(s + 14, 2), sec = number(s + 17, 2), offset = 0;
    struct tm tm = {0};
    char last = s[len - 1];

    CHECK(len >= 20 && y >= 1970 && mo >= 1 && mo <= 12 && d >= 1);
    CHECK(d <= days_in(y, mo));
    CHECK(h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 60);
    if (last != 'Z' && last != 'z') {
        long oh = number(s + len - 5, 2), om = number(s + len - 2, 2);

        CHECK(oh >= 0 && oh <= 23 && om >= 0 && om <= 59);
        offset = (s[len - 6] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)mo - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)h;
    tm.tm_min = (int)mi;
    tm.tm_sec = (int)sec;
    CHECK(got == timegm(&tm) - offset);
}

/* The plain form of a real date must be accepted. */
static void check_plain_time(const char *s, size_t len, int accepted)
{
    long y, mo, d;

    if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return;
    y = number(s, 4);
    mo = number(s + 5, 2);
    d = number(s + 8, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) ||
        number(s + 11, 2) < 0 || number(s + 11, 2) > 23 || number(s + 14, 2) < 0 ||
        number(s + 14, 2) > 59 || number(s + 17, 2) < 0 || number(s + 17, 2) > 59)
        return;
    CHECK(accepted);
}

static void check_refusal(envelope_ctx *ctx, json_object *o, const char *token_name)
{
    const char *d = envelope_ctx_detail(ctx);
    const char *secrets[] = {kms_json_string(o, "SecretAccessKey", NULL),
                             kms_json_string(o, token_name, NULL)};

    for (const char *p = d; *p; p++)
        CHECK(*p >= 0x20 && *p < 0x7f);
    /* The detail's own words may be there: short strings, and the member
     * names it cites ("no AccessKeyId" where the token is "AccessKeyId"). */
    static const char own_words[] = "AccessKeyId SecretAccessKey SessionToken Expiration";

    for (size_t i = 0; i < 2; i++)
        CHECK(secrets[i] == NULL || strlen(secrets[i]) < 8 ||
              strstr(own_words, secrets[i]) != NULL || strstr(d, secrets[i]) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    const char *token_name, *exp;
    struct aws_creds c;
    json_object *o;
    size_t exp_len = 0;
    time_t t;
    int need_token;
    envelope_rc rc;

    if (size < 1)
        return -1;
    token_name = data[0] & 1 ? "Token" : "SessionToken";
    need_token = (data[0] & 2) != 0;
    if ((o = kms_json_parse(data + 1, size - 1)) == NULL)
        return 0;
    memset(&c, 0, sizeof(c));
    detail_clear(ctx);
    rc = creds_from_json(ctx, "fuzz", o, token_name, need_token, &c);
    check_detail(ctx);
    exp = kms_json_string(o, "Expiration", &exp_len);
    if (exp) {
        int parsed = creds_parse_time(exp, exp_len, &t) == 0;

        if (parsed)
            check_time(exp, exp_len, t);
        check_plain_time(exp, exp_len, parsed);
    }
    if (rc == ENVELOPE_OK) {
        CHECK(c.access_key_id[0] != '\0' && strlen(c.access_key_id) <= ACCESS_KEY_ID_MAX &&
              printable(c.access_key_id));
        CHECK(c.secret_access_key != NULL && *c.secret_access_key &&
              strlen(c.secret_access_key) <= SECRET_KEY_MAX && printable(c.secret_access_key));
        CHECK(c.session_token == NULL ||
              (*c.session_token && strlen(c.session_token) <= SESSION_TOKEN_MAX &&
               printable(c.session_token)));
        CHECK(!need_token || c.session_token != NULL);
        CHECK(exp ? c.expiration == t : c.expiration == 0);
        creds_free(&c);
    } else {
        CHECK(rc == ENVELOPE_E_CREDENTIALS);
        CHECK(c.secret_access_key == NULL && c.session_token == NULL);
        check_refusal(ctx, o, token_name);
    }
    kms_json_free_all(o);
    return 0;
}
