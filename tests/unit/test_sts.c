/* STS without an STS server: the XML answers (good ones, errors, a DTD, an
 * oversized or incomplete answer), the endpoint table and the settings
 * that choose it, and the chain of profiles that leads to a role (cycles,
 * the depth bound, a profile naming itself, both sources, mfa_serial). A
 * chain that resolves is seen reaching STS at a closed loopback port: the
 * detail names the role and profile it would have asked for. The process's
 * cache of assumed credentials: served until expiry, dropped when refused,
 * one fetch for threads that ask together, a child forked during a fetch
 * fetching for itself.
 * tests/kms/sts.sh covers the requests against the test server. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/context.h"
#include "aws/creds.h"
#include "aws/sts.h"
#include "aws/sts_cache.h"
#include "testutil.h"
#include "aws/xml_dl.h"

#define SECRET "s3cr3t/value/that/must/not/leak"
#define TOKEN "session/token/that/must/not/leak"
#define ROLE_A "arn:aws:iam::111122223333:role/a"
#define ROLE_B "arn:aws:iam::111122223333:role/b"
#define CLOSED "http://127.0.0.1:1"

static envelope_ctx *ctx;
static char *dir;

static void setup(void)
{
    isolate_aws_env();
    dir = make_temp_dir();
    ck_assert_int_eq(envelope_ctx_new(&ctx), ENVELOPE_OK);
}

static void teardown(void)
{
    envelope_ctx_free(ctx);
    rm_tree(dir);
    free(dir);
    isolate_aws_env();
}

static const char *write_text(const char *name, const char *text)
{
    static char p[4096];

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    write_file(p, (const uint8_t *)text, strlen(text));
    return p;
}

static void assert_detail(const char *want)
{
    ck_assert_msg(strcmp(envelope_ctx_detail(ctx), want) == 0, "detail \"%s\"\n  want \"%s\"",
                  envelope_ctx_detail(ctx), want);
}

static void assert_detail_starts(const char *want)
{
    ck_assert_msg(strncmp(envelope_ctx_detail(ctx), want, strlen(want)) == 0,
                  "detail \"%s\"\n  want it to start \"%s\"", envelope_ctx_detail(ctx), want);
}

static void assert_no_secret(void)
{
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "must/not/leak") == NULL, "leaked: %s",
                  envelope_ctx_detail(ctx));
}

/* ------------------------------------------------------------ XML answers */

#define NS "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\""

static envelope_rc parse(const char *action, long status, const char *xml, struct aws_creds *c,
                         char code[STS_CODE_MAX])
{
    static const char *const redact[] = {SECRET, TOKEN, NULL};

    return sts_parse_answer(ctx, "STS test", action, status, (const uint8_t *)xml, strlen(xml),
                            redact, c, code);
}

static const char good[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<AssumeRoleResponse " NS ">\n"
    "  <AssumeRoleResult>\n"
    "    <AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/a/s</Arn>"
    "<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>" SECRET "</SecretAccessKey>\n"
    "      <SessionToken>" TOKEN "</SessionToken>\n"
    "      <Expiration>2026-12-07T09:00:00Z</Expiration>\n"
    "    </Credentials>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata><RequestId>c6104cbe</RequestId></ResponseMetadata>\n"
    "</AssumeRoleResponse>\n";

START_TEST(xml_good_answers)
{
    struct aws_creds c;
    char code[STS_CODE_MAX];
    time_t want;

    ck_assert_int_eq(xml_dl_loaded(), 0); /* nothing loaded before an answer */
    ck_assert_rc(parse("AssumeRole", 200, good, &c, code), ENVELOPE_OK);
    ck_assert_int_eq(xml_dl_loaded(), 1);
    ck_assert_str_eq(c.access_key_id, "ASIAEXAMPLE");
    ck_assert_str_eq(c.secret_access_key, SECRET);
    ck_assert_str_eq(c.session_token, TOKEN);
    ck_assert_int_eq(creds_parse_time("2026-12-07T09:00:00Z", 20, &want), 0);
    ck_assert_int_eq(c.expiration, want);
    ck_assert_str_eq(code, "");
    creds_free(&c);

    /* Web identity's answer, CDATA and an entity of XML's own. */
    ck_assert_rc(parse("AssumeRoleWithWebIdentity", 200,
                       "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                       "<SubjectFromWebIdentityToken>system:sa</SubjectFromWebIdentityToken>"
                       "<Credentials><AccessKeyId><![CDATA[ASIAWEB]]></AccessKeyId>"
                       "<SecretAccessKey>a&amp;b" SECRET "</SecretAccessKey>"
                       "<SessionToken>" TOKEN "</SessionToken>"
                       "<Expiration>2026-12-07T09:00:00.000+01:00</Expiration></Credentials>"
                       "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
                       &c, code),
                 ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "ASIAWEB");
    ck_assert_str_eq(c.secret_access_key, "a&b" SECRET);
    ck_assert_int_eq(c.expiration, want - 3600);
    creds_free(&c);
}
END_TEST

START_TEST(xml_errors_map_to_codes)
{
    static const struct {
        long status;
        const char *code;
        envelope_rc rc;
    } cases[] = {
        {403, "AccessDenied", ENVELOPE_E_CREDENTIALS},
        {400, "ExpiredToken", ENVELOPE_E_CREDENTIALS},
        {400, "InvalidIdentityToken", ENVELOPE_E_CREDENTIALS},
        {403, "RegionDisabledException", ENVELOPE_E_CREDENTIALS},
        {400, "IDPCommunicationError", ENVELOPE_E_KMS_UNAVAILABLE},
        {400, "Throttling", ENVELOPE_E_KMS_THROTTLED},
        {500, "InternalFailure", ENVELOPE_E_KMS_UNAVAILABLE},
    };
    struct aws_creds c;
    char code[STS_CODE_MAX], xml[1024], want[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(xml, sizeof(xml),
                 "<ErrorResponse " NS "><Error><Type>Sender</Type><Code>%s</Code>"
                 "<Message>no for " SECRET "</Message></Error><RequestId>1</RequestId>"
                 "</ErrorResponse>",
                 cases[i].code);
        ck_assert_rc(parse("AssumeRole", cases[i].status, xml, &c, code), cases[i].rc);
        ck_assert_str_eq(code, cases[i].code);
        snprintf(want, sizeof(want), "STS test: %s: no for *******************************",
                 cases[i].code);
        assert_detail(want);
        ck_assert_ptr_null(c.secret_access_key);
        ck_assert_int_eq(sts_retryable(ENVELOPE_OK, cases[i].code, cases[i].status),
                         cases[i].rc != ENVELOPE_E_CREDENTIALS);
    }
    /* The message up to its first line break, printable only. */
    ck_assert_rc(parse("AssumeRole", 403,
                       "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no\xc3\xa9 way\n"
                       "canonical request with " TOKEN "</Message></Error></ErrorResponse>",
                       &c, code),
                 ENVELOPE_E_CREDENTIALS);
    assert_detail("STS test: AccessDenied: no?? way");
    /* A secret cut by the message's bound: its start is starred too. */
    memset(want, 'x', 380);
    snprintf(xml, sizeof(xml),
             "<ErrorResponse><Error><Code>AccessDenied</Code><Message>%.380s" SECRET
             "</Message></Error></ErrorResponse>", want);
    ck_assert_rc(parse("AssumeRole", 403, xml, &c, code), ENVELOPE_E_CREDENTIALS);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "s3cr3t") == NULL &&
                      strstr(envelope_ctx_detail(ctx), "x********************") != NULL,
                  "the cut secret: %s", envelope_ctx_detail(ctx));
    /* No STS error in the body: the status decides. */
    ck_assert_rc(parse("AssumeRole", 503, "<html>busy</html>", &c, code),
                 ENVELOPE_E_KMS_UNAVAILABLE);
    assert_detail("STS test: HTTP 503 without an STS error");
    ck_assert_rc(parse("AssumeRole", 502, "", &c, code), ENVELOPE_E_KMS_UNAVAILABLE);
    assert_detail("STS test: the answer (HTTP 502, 0 bytes) is not well-formed XML");
    ck_assert_int_eq(sts_retryable(ENVELOPE_E_NETWORK, NULL, 0), 1);
    ck_assert_int_eq(sts_retryable(ENVELOPE_E_TLS, NULL, 0), 0);
}
END_TEST

START_TEST(xml_refused)
{
    static const struct {
        const char *xml;
        const char *detail;
    } cases[] = {
        {"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e \"" SECRET "\">]>"
         "<AssumeRoleResponse>&e;</AssumeRoleResponse>",
         "STS test: the answer holds a DTD, which STS never sends"},
        {"<?xml version=\"1.0\"?><!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\">"
         "<AssumeRoleResponse/>",
         "STS test: the answer holds a DTD, which STS never sends"},
        {"<AssumeRoleResponse><AssumeRoleResult>", NULL},
        {"not xml at all " SECRET, NULL},
        {"<AssumeRoleWithWebIdentityResponse/>",
         "STS test: the answer is <AssumeRoleWithWebIdentityResponse>, not "
         "<AssumeRoleResponse>"},
        {"<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>",
         "STS test: the answer has no single AssumeRoleResult/Credentials"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials/><Credentials/>"
         "</AssumeRoleResult></AssumeRoleResponse>",
         "STS test: the answer has no single AssumeRoleResult/Credentials"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials><SecretAccessKey>" SECRET
         "</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2026-12-07T09:00:00Z"
         "</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
         "STS test: the answer's Credentials have no single AccessKeyId"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
         "<AccessKeyId>B</AccessKeyId><SecretAccessKey>" SECRET "</SecretAccessKey>"
         "<SessionToken>t</SessionToken><Expiration>2026-12-07T09:00:00Z</Expiration>"
         "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
         "STS test: the answer's Credentials have no single AccessKeyId"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
         "<SessionToken>t</SessionToken><Expiration>2026-12-07T09:00:00Z</Expiration>"
         "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
         "STS test: the answer's Credentials have no single SecretAccessKey"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
         "<SecretAccessKey>" SECRET "</SecretAccessKey><Expiration>2026-12-07T09:00:00Z"
         "</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
         "STS test: the answer's Credentials have no single SessionToken"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
         "<SecretAccessKey>" SECRET "</SecretAccessKey><SessionToken>t</SessionToken>"
         "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
         "STS test: the answer's Credentials have no single Expiration"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
         "<SecretAccessKey>" SECRET "</SecretAccessKey><SessionToken>t</SessionToken>"
         "<Expiration>tomorrow</Expiration></Credentials></AssumeRoleResult>"
         "</AssumeRoleResponse>",
         "STS test: Expiration is not an RFC 3339 time (2024-05-01T12:00:00Z)"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A<b/></AccessKeyId>"
         "<SecretAccessKey>" SECRET "</SecretAccessKey><SessionToken>t</SessionToken>"
         "<Expiration>2026-12-07T09:00:00Z</Expiration></Credentials></AssumeRoleResult>"
         "</AssumeRoleResponse>",
         "STS test: the answer's credentials are not text of the expected size"},
        {"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A B</AccessKeyId>"
         "<SecretAccessKey>" SECRET "</SecretAccessKey><SessionToken>t</SessionToken>"
         "<Expiration>2026-12-07T09:00:00Z</Expiration></Credentials></AssumeRoleResult>"
         "</AssumeRoleResponse>",
         "STS test: the access key id is not one (printable, at most 128 characters)"},
    };
    struct aws_creds c;
    char code[STS_CODE_MAX], want[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_rc(parse("AssumeRole", 200, cases[i].xml, &c, code), ENVELOPE_E_CREDENTIALS);
        if (cases[i].detail) {
            assert_detail(cases[i].detail);
        } else {
            snprintf(want, sizeof(want),
                     "STS test: the answer (HTTP 200, %zu bytes) is not well-formed XML",
                     strlen(cases[i].xml));
            assert_detail(want);
        }
        assert_no_secret();
        ck_assert_ptr_null(c.secret_access_key);
    }
}
END_TEST

/* An XML name can spell a web identity token: a wrong root element is named
 * with it starred out, even where the 40-character bound cuts it. */
START_TEST(xml_root_name_redacted)
{
    static const char *const redact[] = {"eyJhbGciOiJSUzI1NiJ9.eyJzdWIi", NULL};
    static const struct {
        const char *xml, *detail;
    } cases[] = {
        {"<eyJhbGciOiJSUzI1NiJ9.eyJzdWIiResponse/>",
         "STS test: the answer is <*****************************Response>, not "
         "<AssumeRoleResponse>"},
        {"<abcdefghijklmnopqrstuvwxyz0eyJhbGciOiJSUzI1NiJ9.eyJzdWIi/>",
         "STS test: the answer is <abcdefghijklmnopqrstuvwxyz0*************>, not "
         "<AssumeRoleResponse>"},
    };
    struct aws_creds c;
    char code[STS_CODE_MAX];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_rc(sts_parse_answer(ctx, "STS test", "AssumeRole", 200,
                                      (const uint8_t *)cases[i].xml, strlen(cases[i].xml),
                                      redact, &c, code),
                     ENVELOPE_E_CREDENTIALS);
        assert_detail(cases[i].detail);
        ck_assert_msg(strstr(envelope_ctx_detail(ctx), "eyJhbGciOiJS") == NULL, "leaked: %s",
                      envelope_ctx_detail(ctx));
    }
}
END_TEST

START_TEST(xml_size_bounded)
{
    size_t n = STS_ANSWER_MAX + 1, head = strlen(good);
    char *big = malloc(n + 1), code[STS_CODE_MAX];
    struct aws_creds c;

    ck_assert_ptr_nonnull(big);
    /* A good answer padded with white space past the bound. */
    memcpy(big, good, head);
    memset(big + head, ' ', n - head);
    big[n] = '\0';
    ck_assert_rc(sts_parse_answer(ctx, "STS test", "AssumeRole", 200, (uint8_t *)big, n, NULL,
                                  &c, code),
                 ENVELOPE_E_CREDENTIALS);
    assert_detail("STS test: answer larger than 65536 bytes");
    ck_assert_rc(sts_parse_answer(ctx, "STS test", "AssumeRole", 200, (uint8_t *)big, n - 1,
                                  NULL, &c, code),
                 ENVELOPE_OK);
    creds_free(&c);
    free(big);
}
END_TEST

/* -------------------------------------------------------------- endpoints */

START_TEST(endpoint_table)
{
    static const struct {
        const char *region;
        int fips;
        const char *host; /* NULL: no such endpoint */
    } cases[] = {
        {"us-east-1", 0, "sts.us-east-1.amazonaws.com"},
        {"eu-west-3", 0, "sts.eu-west-3.amazonaws.com"},
        {"cn-north-1", 0, "sts.cn-north-1.amazonaws.com.cn"},
        {"cn-northwest-1", 0, "sts.cn-northwest-1.amazonaws.com.cn"},
        {"us-gov-west-1", 0, "sts.us-gov-west-1.amazonaws.com"},
        {"us-east-1", 1, "sts-fips.us-east-1.amazonaws.com"},
        {"us-east-2", 1, "sts-fips.us-east-2.amazonaws.com"},
        {"us-west-1", 1, "sts-fips.us-west-1.amazonaws.com"},
        {"us-west-2", 1, "sts-fips.us-west-2.amazonaws.com"},
        {"us-gov-east-1", 1, "sts.us-gov-east-1.amazonaws.com"},
        {"us-gov-west-1", 1, "sts.us-gov-west-1.amazonaws.com"},
        {"eu-west-1", 1, NULL},
        {"ca-central-1", 1, NULL},
        {"cn-north-1", 1, NULL},
    };
    char host[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = sts_default_host(cases[i].region, cases[i].fips, host, sizeof(host));

        ck_assert_msg(r == (cases[i].host ? 0 : -1), "%s fips %d: %d", cases[i].region,
                      cases[i].fips, r);
        if (cases[i].host)
            ck_assert_str_eq(host, cases[i].host);
    }
}
END_TEST

START_TEST(endpoint_settings)
{
    struct sts_place p;

    /* No region anywhere: the KMS key's, else an error. */
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, NULL, &p), ENVELOPE_E_CREDENTIALS);
    assert_detail("no AWS region to reach STS in: set AWS_REGION (or region in the profile), "
                  "or name the KMS key by its ARN");
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, "eu-west-3", &p), ENVELOPE_OK);
    ck_assert_str_eq(p.region, "eu-west-3");
    ck_assert_str_eq(p.url, "https://sts.eu-west-3.amazonaws.com/");
    ck_assert_int_eq(p.allow_http, 0);
    setenv("AWS_REGION", "us-west-2", 1);
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, "eu-west-3", &p), ENVELOPE_OK);
    ck_assert_str_eq(p.url, "https://sts.us-west-2.amazonaws.com/");
    /* FIPS: the environment, else the profile's setting. */
    ck_assert_rc(sts_place_resolve(ctx, NULL, "true", NULL, &p), ENVELOPE_OK);
    ck_assert_str_eq(p.url, "https://sts-fips.us-west-2.amazonaws.com/");
    setenv("AWS_USE_FIPS_ENDPOINT", "false", 1);
    ck_assert_rc(sts_place_resolve(ctx, NULL, "true", NULL, &p), ENVELOPE_OK);
    ck_assert_str_eq(p.url, "https://sts.us-west-2.amazonaws.com/");
    setenv("AWS_USE_FIPS_ENDPOINT", "TRUE", 1);
    setenv("AWS_REGION", "eu-central-1", 1);
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, NULL, &p), ENVELOPE_E_CREDENTIALS);
    assert_detail("STS has no FIPS endpoint in eu-central-1 (only us-east-1, us-east-2, "
                  "us-west-1, us-west-2, us-gov-east-1, us-gov-west-1): set "
                  "AWS_ENDPOINT_URL_STS, or turn FIPS off");
    /* The profile's endpoint_url, then AWS_ENDPOINT_URL, then _STS. */
    ck_assert_rc(sts_place_resolve(ctx, "http://127.0.0.1:4000", NULL, NULL, &p), ENVELOPE_OK);
    ck_assert_str_eq(p.url, "http://127.0.0.1:4000/");
    ck_assert_int_eq(p.allow_http, 1);
    setenv("AWS_ENDPOINT_URL", "https://all.example:8443/", 1);
    ck_assert_rc(sts_place_resolve(ctx, "http://127.0.0.1:4000", NULL, NULL, &p), ENVELOPE_OK);
    ck_assert_str_eq(p.url, "https://all.example:8443/");
    ck_assert_int_eq(p.allow_http, 0);
    setenv("AWS_ENDPOINT_URL_STS", "https://sts.example", 1);
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, NULL, &p), ENVELOPE_OK);
    ck_assert_str_eq(p.url, "https://sts.example/");
    ck_assert_str_eq(p.region, "eu-central-1");
    setenv("AWS_ENDPOINT_URL_STS", "ftp://sts.example", 1);
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, NULL, &p), ENVELOPE_E_CREDENTIALS);
    assert_detail("AWS_ENDPOINT_URL_STS=ftp://sts.example: not an https:// or http:// URL");
    setenv("AWS_ENDPOINT_URL_STS", "https://sts.example/path", 1);
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, NULL, &p), ENVELOPE_E_CREDENTIALS);
    assert_detail("AWS_ENDPOINT_URL_STS=https://sts.example/path: expected "
                  "scheme://host[:port] with no user, path or query");
    /* What comes before '@' may be a password: the value is not repeated. */
    setenv("AWS_ENDPOINT_URL_STS", "https://u:" SECRET "@sts.example", 1);
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, NULL, &p), ENVELOPE_E_CREDENTIALS);
    assert_detail("AWS_ENDPOINT_URL_STS: a user name or password (user@host) is not allowed "
                  "in the URL, which is not repeated here");
    setenv("AWS_ENDPOINT_URL_STS", "ftp://u:" SECRET "@sts.example", 1);
    ck_assert_rc(sts_place_resolve(ctx, NULL, NULL, NULL, &p), ENVELOPE_E_CREDENTIALS);
    assert_no_secret();
    unsetenv("AWS_ENDPOINT_URL_STS");
    unsetenv("AWS_ENDPOINT_URL");
    ck_assert_rc(sts_place_resolve(ctx, "http://u:" SECRET "@127.0.0.1:4000", NULL, NULL, &p),
                 ENVELOPE_E_CREDENTIALS);
    assert_detail("endpoint_url in the profile: a user name or password (user@host) is not "
                  "allowed in the URL, which is not repeated here");
    ck_assert_rc(sts_place_resolve(ctx, "sts.example", NULL, NULL, &p), ENVELOPE_E_CREDENTIALS);
    assert_detail("endpoint_url in the profile=sts.example: not an https:// or http:// URL");
}
END_TEST

START_TEST(role_values_checked)
{
    struct sts_role r = {ROLE_A, NULL, NULL, 0, "profile p"};

    ck_assert_rc(sts_role_check(ctx, &r), ENVELOPE_OK);
    r.role_arn = "role/a";
    ck_assert_rc(sts_role_check(ctx, &r), ENVELOPE_E_CREDENTIALS);
    assert_detail("profile p: role_arn = role/a is not a role ARN "
                  "(arn:aws:iam::ACCOUNT:role/NAME)");
    r.role_arn = ROLE_A;
    r.session_name = "has space";
    ck_assert_rc(sts_role_check(ctx, &r), ENVELOPE_E_CREDENTIALS);
    assert_detail("profile p: the role session name is not one (2 to 64 of A-Z a-z 0-9 "
                  "_+=,.@-)");
    r.session_name = "ok-name";
    r.external_id = "x";
    ck_assert_rc(sts_role_check(ctx, &r), ENVELOPE_E_CREDENTIALS);
    assert_detail("profile p: external_id is not one (2 to 1224 of A-Z a-z 0-9 _+=,.@:/-)");
    r.external_id = "tenant:42";
    r.duration = 899;
    ck_assert_rc(sts_role_check(ctx, &r), ENVELOPE_E_CREDENTIALS);
    assert_detail("profile p: duration_seconds must be from 900 to 43200");
    r.duration = 43200;
    ck_assert_rc(sts_role_check(ctx, &r), ENVELOPE_OK);
}
END_TEST

/* ------------------------------------------------------------ the chain */

static void use_config(const char *text)
{
    setenv("AWS_CONFIG_FILE", write_text("config", text), 1);
    /* Any STS request made is refused at once: its detail shows which. */
    setenv("AWS_ENDPOINT_URL_STS", CLOSED, 1);
    setenv("AWS_MAX_ATTEMPTS", "1", 1);
    setenv("AWS_REGION", "us-east-1", 1);
}

static void load_fails(const char *profile, envelope_rc rc)
{
    struct aws_creds c;

    setenv("AWS_PROFILE", profile, 1);
    ck_assert_rc(creds_load(ctx, &c), rc);
    ck_assert_ptr_null(c.secret_access_key);
    assert_no_secret();
}

static const char chains[] =
    "[profile keys]\n"
    "aws_access_key_id = AKIAKEYS\n"
    "aws_secret_access_key = " SECRET "\n"
    "[profile self]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = self\n"
    "aws_access_key_id = AKIASELF\n"
    "aws_secret_access_key = " SECRET "\n"
    "[profile selfless]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = selfless\n"
    "[profile one]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = two\n"
    "[profile two]\n"
    "role_arn = " ROLE_B "\n"
    "source_profile = keys\n"
    "[profile loop-a]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = loop-b\n"
    "[profile loop-b]\n"
    "role_arn = " ROLE_B "\n"
    "source_profile = loop-a\n"
    "[profile both]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = keys\n"
    "credential_source = Environment\n"
    "[profile neither]\n"
    "role_arn = " ROLE_A "\n"
    "[profile mfa]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = keys\n"
    "mfa_serial = arn:aws:iam::111122223333:mfa/me\n"
    "[profile env]\n"
    "role_arn = " ROLE_A "\n"
    "credential_source = Environment\n"
    "[profile odd-source]\n"
    "role_arn = " ROLE_A "\n"
    "credential_source = Ec2\n"
    "[profile missing]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = nowhere\n"
    "[profile hollow]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = empty\n"
    "[profile empty]\n"
    "region = us-east-1\n"
    "[profile long-duration]\n"
    "role_arn = " ROLE_A "\n"
    "source_profile = keys\n"
    "duration_seconds = 90000\n"
    "[profile web]\n"
    "role_arn = " ROLE_B "\n"
    "web_identity_token_file = /nonexistent/token\n"
    "[profile web-no-role]\n"
    "web_identity_token_file = /nonexistent/token\n";

START_TEST(chain_reaches_the_right_role)
{
    struct aws_creds c;

    use_config(chains);
    /* Two hops: two's role is asked for first, with keys' keys. */
    load_fails("one", ENVELOPE_E_NETWORK);
    assert_detail_starts("source of role " ROLE_A " (profile one): STS AssumeRole " ROLE_B
                         " (profile two): 127.0.0.1:1: cannot connect");
    /* A profile holding static keys may be its own source. */
    load_fails("self", ENVELOPE_E_NETWORK);
    assert_detail_starts("STS AssumeRole " ROLE_A " (profile self): 127.0.0.1:1: cannot connect");
    /* credential_source = Environment: the environment's keys are the
     * source of the role AWS_PROFILE names. */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    load_fails("env", ENVELOPE_E_NETWORK);
    assert_detail_starts("STS AssumeRole " ROLE_A " (profile env): 127.0.0.1:1: cannot connect");
    /* A profile AWS_PROFILE names that does not exist leaves the
     * environment's keys in use, as before. */
    setenv("AWS_PROFILE", "nowhere", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.source, "environment");
    creds_free(&c);
}
END_TEST

START_TEST(chain_refused)
{
    char want[512];

    use_config(chains);
    load_fails("loop-a", ENVELOPE_E_CREDENTIALS);
    assert_detail("source of role " ROLE_A " (profile loop-a): source of role " ROLE_B
                  " (profile loop-b): source_profile makes a cycle: loop-a -> loop-b -> loop-a "
                  "(a profile may name itself only when it holds static keys)");
    load_fails("selfless", ENVELOPE_E_CREDENTIALS);
    assert_detail("source of role " ROLE_A " (profile selfless): source_profile makes a cycle: "
                  "selfless -> selfless (a profile may name itself only when it holds static "
                  "keys)");
    load_fails("both", ENVELOPE_E_CREDENTIALS);
    assert_detail("profile both has both source_profile and credential_source: a role has one "
                  "source");
    load_fails("neither", ENVELOPE_E_CREDENTIALS);
    assert_detail("profile neither: role_arn needs source_profile or credential_source");
    load_fails("mfa", ENVELOPE_E_CREDENTIALS);
    assert_detail("profile mfa: role " ROLE_A " needs an MFA code (mfa_serial), which a library "
                  "cannot ask for: use credential_process = aws configure export-credentials "
                  "--profile mfa --format process (docs/KEYS.md)");
    load_fails("env", ENVELOPE_E_CREDENTIALS);
    assert_detail("profile env: credential_source = Environment has no credentials");
    load_fails("odd-source", ENVELOPE_E_CREDENTIALS);
    assert_detail("profile odd-source: credential_source = Ec2 is not Environment, "
                  "Ec2InstanceMetadata or EcsContainer");
    load_fails("missing", ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "source of role " ROLE_A " (profile missing): profile missing: "
             "its source_profile nowhere is in neither the credentials nor the config file");
    assert_detail(want);
    load_fails("hollow", ENVELOPE_E_CREDENTIALS);
    assert_detail("source of role " ROLE_A " (profile hollow): profile hollow: its "
                  "source_profile empty has no credentials (static keys, role_arn, "
                  "web_identity_token_file or credential_process)");
    load_fails("long-duration", ENVELOPE_E_CREDENTIALS);
    assert_detail("profile long-duration: duration_seconds = 90000 is not a number from 900 to "
                  "43200");
    load_fails("web", ENVELOPE_E_CREDENTIALS);
    assert_detail("profile web: cannot read the web identity token file /nonexistent/token: No "
                  "such file or directory");
    load_fails("web-no-role", ENVELOPE_E_CREDENTIALS);
    assert_detail("profile web-no-role has web_identity_token_file but no role_arn");
}
END_TEST

START_TEST(chain_depth_bounded)
{
    char text[8192] = "", want[1024];
    size_t n = 0;

    /* p0 -> p1 -> ... -> p9 -> keys: ten roles, two too many. */
    for (int i = 0; i < 10; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "[profile p%d]\nrole_arn = arn:aws:iam::111122223333:role/r%d\n"
                              "source_profile = %s%d\n",
                              i, i, i == 9 ? "keys" : "p", i == 9 ? 0 : i + 1);
    snprintf(text + n, sizeof(text) - n,
             "[profile keys0]\naws_access_key_id = AKIAK\naws_secret_access_key = " SECRET "\n");
    use_config(text);
    load_fails("p0", ENVELOPE_E_CREDENTIALS);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx),
                         "source_profile: more than 8 profiles in the chain p0 -> p1 -> p2 -> p3 "
                         "-> p4 -> p5 -> p6 -> p7 -> p8") != NULL,
                  "detail \"%s\"", envelope_ctx_detail(ctx));
    /* Eight profiles in all is within the bound: p3 ... p9, then keys0. */
    load_fails("p3", ENVELOPE_E_NETWORK);
    snprintf(want, sizeof(want), "STS AssumeRole arn:aws:iam::111122223333:role/r9 (profile p9)");
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), want) != NULL, "detail \"%s\"",
                  envelope_ctx_detail(ctx));
}
END_TEST

/* One HTTP exchange on 127.0.0.1: reads a request, answers 200 with a body
 * of body_len bytes, closes. */
struct one_answer {
    int fd;
    size_t body_len;
    int requests;
};

static void read_request(int c)
{
    char buf[65536], *end;
    size_t len = 0, want = (size_t)-1;
    ssize_t n;

    while (len < want && len < sizeof(buf) - 1 &&
           (n = recv(c, buf + len, sizeof(buf) - 1 - len, 0)) > 0) {
        len += (size_t)n;
        buf[len] = '\0';
        if (want == (size_t)-1 && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");

            want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
        }
    }
}

static void *answer_once(void *arg)
{
    struct one_answer *a = arg;
    char head[200];
    char *body = malloc(a->body_len);
    int c = accept(a->fd, NULL, NULL);

    ck_assert_int_ge(c, 0);
    ck_assert_ptr_nonnull(body);
    a->requests++;
    read_request(c);
    memset(body, ' ', a->body_len);
    memcpy(body, "<a>", 3);
    snprintf(head, sizeof(head),
             "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n", a->body_len);
    /* The client stops reading at its cap: no SIGPIPE for what it refuses. */
    (void)send(c, head, strlen(head), MSG_NOSIGNAL);
    (void)send(c, body, a->body_len, MSG_NOSIGNAL);
    free(body);
    close(c);
    return NULL;
}

/* An STS answer past the HTTP layer's cap is refused as an answer that
 * cannot be read (CREDENTIALS), not as a KMS answer, and not retried. */
START_TEST(web_identity_answer_too_large)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    struct one_answer a = {-1, HTTP_RESPONSE_MAX + 4096, 0};
    struct aws_creds c;
    char url[64], want[256];
    pthread_t t;
    int again;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(a.fd, 0);
    ck_assert_int_eq(bind(a.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(a.fd, 4), 0);
    ck_assert_int_eq(getsockname(a.fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    use_config("");
    setenv("AWS_ENDPOINT_URL_STS", url, 1);
    setenv("AWS_MAX_ATTEMPTS", "3", 1);
    setenv("AWS_ROLE_ARN", ROLE_B, 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write_text("token", "eyJhbGciOi.token.sig\n"), 1);
    ck_assert_int_eq(pthread_create(&t, NULL, answer_once, &a), 0);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    pthread_join(t, NULL);
    /* A retry would have connected before creds_load returned: the
     * kernel queues it though nobody accepts it any more. */
    ck_assert_int_eq(fcntl(a.fd, F_SETFL, O_NONBLOCK), 0);
    again = accept(a.fd, NULL, NULL);
    ck_assert_msg(again < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
                  "a second connection after the refused answer: accept gave %d (%s)", again,
                  strerror(errno));
    close(a.fd);
    snprintf(want, sizeof(want),
             "STS AssumeRoleWithWebIdentity " ROLE_B " (environment AWS_ROLE_ARN): "
             "127.0.0.1:%u: answer larger than %d bytes",
             (unsigned)ntohs(sa.sin_port), HTTP_RESPONSE_MAX);
    assert_detail(want);
    ck_assert_ptr_null(c.secret_access_key);
    ck_assert_int_eq(a.requests, 1);
}
END_TEST

START_TEST(web_identity_from_environment)
{
    struct aws_creds c;

    use_config("");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write_text("token", "eyJhbGciOi.token.sig\n"), 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail("AWS_WEB_IDENTITY_TOKEN_FILE is set in the environment but AWS_ROLE_ARN is "
                  "not");
    setenv("AWS_ROLE_ARN", ROLE_B, 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_NETWORK);
    assert_detail_starts("STS AssumeRoleWithWebIdentity " ROLE_B
                         " (environment AWS_ROLE_ARN): 127.0.0.1:1: cannot connect");
    ck_assert_ptr_null(strstr(envelope_ctx_detail(ctx), "eyJ"));
    setenv("AWS_ROLE_SESSION_NAME", "bad name", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail("environment AWS_ROLE_ARN: the role session name is not one (2 to 64 of A-Z "
                  "a-z 0-9 _+=,.@-)");
    unsetenv("AWS_ROLE_SESSION_NAME");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write_text("empty", "\n"), 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail_starts("environment AWS_ROLE_ARN: the web identity token file ");
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "/empty is empty") != NULL, "%s",
                  envelope_ctx_detail(ctx));
    /* A FIFO is refused, not read (which would block for ever). */
    {
        char fifo[4096];

        snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        setenv("AWS_WEB_IDENTITY_TOKEN_FILE", fifo, 1);
        ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
        ck_assert_msg(strstr(envelope_ctx_detail(ctx), "/fifo: not a regular file") != NULL,
                      "%s", envelope_ctx_detail(ctx));
    }
    /* The longest token STS takes, with CR LF after it, is sent; one byte
     * more is refused before any request. */
    {
        char *big = malloc(WEB_TOKEN_MAX + 3);

        memset(big, 'a', WEB_TOKEN_MAX);
        memcpy(big + WEB_TOKEN_MAX, "\r\n", 3);
        setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write_text("big", big), 1);
        ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_NETWORK);
        memcpy(big + WEB_TOKEN_MAX, "a\n", 3);
        setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write_text("bigger", big), 1);
        ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
        ck_assert_msg(strstr(envelope_ctx_detail(ctx), "is not a token (at most 20000 bytes)"),
                      "%s", envelope_ctx_detail(ctx));
        free(big);
    }
    /* The environment's keys come first. */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.source, "environment");
    ck_assert_int_eq(c.refreshable, 0);
    creds_free(&c);
}
END_TEST

/* ------------------------------------------------------------- the cache */

static int fetches;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int in_fetch, released;

/* Credentials expiring `arg` seconds from now, counted. */
static envelope_rc count_fetch(envelope_ctx *c, void *arg, struct aws_creds *out)
{
    envelope_rc rc = creds_set(c, "test", "ASIACACHE", (size_t)-1, SECRET, (size_t)-1, TOKEN,
                               (size_t)-1, out);

    __atomic_add_fetch(&fetches, 1, __ATOMIC_SEQ_CST);
    out->expiration = time(NULL) + *(const long *)arg;
    return rc;
}

static envelope_rc failing_fetch(envelope_ctx *c, void *arg, struct aws_creds *out)
{
    (void)arg;
    (void)out;
    __atomic_add_fetch(&fetches, 1, __ATOMIC_SEQ_CST);
    return (fail)(c, ENVELOPE_E_CREDENTIALS, "STS said no"); /* check.h has a fail() */
}

/* Holds its fetch until the test releases it. */
static envelope_rc gated_fetch(envelope_ctx *c, void *arg, struct aws_creds *out)
{
    pthread_mutex_lock(&gate_lock);
    in_fetch = 1;
    pthread_cond_broadcast(&gate_cond);
    while (!released)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return count_fetch(c, arg, out);
}

static void key_of(const char *a, const char *b, struct sts_cache_key *k)
{
    const char *parts[] = {a, b};

    sts_cache_key(k, parts, 2);
}

START_TEST(cache_serves_until_expiry)
{
    static const long hour = 3600, soon = 200;
    struct sts_cache_key k1, k2, k3;
    struct aws_creds c;

    fetches = 0;
    key_of("cache-test", "one", &k1);
    key_of("cache-tes", "tone", &k2);
    ck_assert_msg(memcmp(&k1, &k2, sizeof(k1)) != 0, "the parts' boundaries count");
    key_of("cache-test", NULL, &k2);
    key_of("cache-test", "", &k3);
    ck_assert_msg(memcmp(&k2, &k3, sizeof(k2)) != 0, "NULL is not \"\"");
    ck_assert_rc(sts_cache_get(ctx, &k1, count_fetch, (void *)&hour, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.secret_access_key, SECRET);
    creds_free(&c);
    ck_assert_rc(sts_cache_get(ctx, &k1, count_fetch, (void *)&hour, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.session_token, TOKEN);
    ck_assert_int_eq(fetches, 1);
    /* Refused as expired: fetched again. */
    sts_cache_forget(c.access_key_id);
    creds_free(&c);
    ck_assert_rc(sts_cache_get(ctx, &k1, count_fetch, (void *)&hour, &c), ENVELOPE_OK);
    creds_free(&c);
    ck_assert_int_eq(fetches, 2);
    /* Within 5 minutes of expiry: fetched at every use. */
    ck_assert_rc(sts_cache_get(ctx, &k2, count_fetch, (void *)&soon, &c), ENVELOPE_OK);
    creds_free(&c);
    ck_assert_rc(sts_cache_get(ctx, &k2, count_fetch, (void *)&soon, &c), ENVELOPE_OK);
    creds_free(&c);
    ck_assert_int_eq(fetches, 4);
    /* A failure is not cached. */
    ck_assert_rc(sts_cache_get(ctx, &k3, failing_fetch, NULL, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail("STS said no");
    ck_assert_ptr_null(c.secret_access_key);
    ck_assert_rc(sts_cache_get(ctx, &k3, failing_fetch, NULL, &c), ENVELOPE_E_CREDENTIALS);
    ck_assert_int_eq(fetches, 6);
}
END_TEST

struct asker {
    struct sts_cache_key key;
    sts_fetch_fn fetch;         /* NULL: gated_fetch */
    envelope_rc rc;
    char id[ACCESS_KEY_ID_MAX + 1];
    char detail[DETAIL_SIZE];
    /* Here rather than on the thread's stack: a child forked while the
     * thread asks has no such stack, and valgrind would count the context
     * as lost when the child exits. */
    envelope_ctx *own;
};

static void *ask(void *arg)
{
    static const long hour = 3600;
    struct asker *a = arg;
    struct aws_creds c;

    ck_assert_int_eq(envelope_ctx_new(&a->own), ENVELOPE_OK);
    a->rc = sts_cache_get(a->own, &a->key, a->fetch ? a->fetch : gated_fetch, (void *)&hour,
                          &c);
    if (a->rc == ENVELOPE_OK)
        snprintf(a->id, sizeof(a->id), "%s", c.access_key_id);
    snprintf(a->detail, sizeof(a->detail), "%s", envelope_ctx_detail(a->own));
    creds_free(&c);
    envelope_ctx_free(a->own);
    a->own = NULL;
    return NULL;
}

START_TEST(cache_one_fetch_for_many_threads)
{
    struct asker a[6];
    pthread_t t[6];

    fetches = 0;
    in_fetch = released = 0;
    for (int i = 0; i < 6; i++) {
        memset(&a[i], 0, sizeof(a[i]));
        key_of("cache-test", "threads", &a[i].key);
    }
    /* The first asker is held inside its fetch while the others ask: they
     * wait for it (or, arriving after, find its result). */
    ck_assert_int_eq(pthread_create(&t[0], NULL, ask, &a[0]), 0);
    pthread_mutex_lock(&gate_lock);
    while (!in_fetch)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    for (int i = 1; i < 6; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, ask, &a[i]), 0);
    pthread_mutex_lock(&gate_lock);
    released = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(a[i].rc == ENVELOPE_OK && strcmp(a[i].id, "ASIACACHE") == 0,
                      "asker %d: %s %s", i, envelope_rc_name(a[i].rc), a[i].id);
    }
    ck_assert_int_eq(fetches, 1);
}
END_TEST

/* Held until released, then fails. */
static envelope_rc gated_failing_fetch(envelope_ctx *c, void *arg, struct aws_creds *out)
{
    pthread_mutex_lock(&gate_lock);
    in_fetch = 1;
    pthread_cond_broadcast(&gate_cond);
    while (!released)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return failing_fetch(c, arg, out);
}

/* Returns only once two askers are inside it at the same time. */
static int inside;

static envelope_rc meeting_fetch(envelope_ctx *c, void *arg, struct aws_creds *out)
{
    pthread_mutex_lock(&gate_lock);
    inside++;
    pthread_cond_broadcast(&gate_cond);
    while (inside < 2)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return count_fetch(c, arg, out);
}

/* The fetch two threads waited for fails: both then fetch, at the same
 * time (meeting_fetch needs both inside), not one after the other with
 * the second waiting out the first's whole call. Taking turns, this test
 * never ends and fails by the case's timeout. */
START_TEST(cache_waiters_fetch_together_after_a_failure)
{
    struct asker a[3];
    pthread_t t[3];

    fetches = 0;
    in_fetch = released = inside = 0;
    for (int i = 0; i < 3; i++) {
        memset(&a[i], 0, sizeof(a[i]));
        key_of("cache-test", "failure", &a[i].key);
        a[i].fetch = i == 0 ? gated_failing_fetch : meeting_fetch;
    }
    ck_assert_int_eq(pthread_create(&t[0], NULL, ask, &a[0]), 0);
    pthread_mutex_lock(&gate_lock);
    while (!in_fetch)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    for (int i = 1; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, ask, &a[i]), 0);
    while (sts_cache_waiting() < 2)
        sched_yield();
    pthread_mutex_lock(&gate_lock);
    released = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg(a[0].rc == ENVELOPE_E_CREDENTIALS && strcmp(a[0].detail, "STS said no") == 0,
                  "the failed fetch: %s \"%s\"", envelope_rc_name(a[0].rc), a[0].detail);
    for (int i = 1; i < 3; i++)
        ck_assert_msg(a[i].rc == ENVELOPE_OK && strcmp(a[i].id, "ASIACACHE") == 0,
                      "waiter %d: %s %s \"%s\"", i, envelope_rc_name(a[i].rc), a[i].id,
                      a[i].detail);
    ck_assert_int_eq(fetches, 3);
    ck_assert_uint_eq(sts_cache_waiting(), 0);
}
END_TEST

/* A child forked while another thread fetches: that fetch never ends in the
 * child, which asks for the same role and must fetch it itself. The alarm
 * only turns a hang into a failure. */
START_TEST(cache_usable_after_fork)
{
    static const long hour = 3600;
    struct asker a;
    pthread_t t;
    pid_t pid;
    int status = 0;

    fetches = 0;
    in_fetch = released = 0;
    memset(&a, 0, sizeof(a));
    key_of("cache-test", "fork", &a.key);
    ck_assert_int_eq(pthread_create(&t, NULL, ask, &a), 0);
    pthread_mutex_lock(&gate_lock);
    while (!in_fetch)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    if ((pid = fork()) == 0) {
        struct aws_creds c;
        envelope_rc rc;

        signal(SIGALRM, SIG_DFL); /* not the test runner's handler */
        alarm(20);
        rc = sts_cache_get(ctx, &a.key, count_fetch, (void *)&hour, &c);
        _exit(rc == ENVELOPE_OK && fetches == 1 ? 0 : 1);
    }
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    pthread_mutex_lock(&gate_lock);
    released = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    pthread_join(t, NULL);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child's ask: %s %d (signal 14: it waited for the parent's fetch; "
                  "exit status 1: it failed; another: the tool it runs under objected)",
                  WIFEXITED(status) ? "exit status" : "killed by signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    ck_assert_msg(a.rc == ENVELOPE_OK && strcmp(a.id, "ASIACACHE") == 0, "parent: %s %s",
                  envelope_rc_name(a.rc), a.id);
    ck_assert_int_eq(fetches, 1);
}
END_TEST

static Suite *sts_suite(void)
{
    Suite *s = suite_create("sts");
    TCase *xml = tcase_create("xml"), *where = tcase_create("endpoints"),
          *chain = tcase_create("chain"), *cache = tcase_create("cache");

    tcase_add_checked_fixture(xml, setup, teardown);
    tcase_add_checked_fixture(where, setup, teardown);
    tcase_add_checked_fixture(chain, setup, teardown);
    tcase_set_timeout(chain, 30);
    tcase_add_checked_fixture(cache, setup, teardown);
    tcase_add_test(cache, cache_serves_until_expiry);
    tcase_add_test(cache, cache_one_fetch_for_many_threads);
    tcase_add_test(cache, cache_usable_after_fork);
    tcase_add_test(cache, cache_waiters_fetch_together_after_a_failure);
    tcase_set_timeout(cache, 60);
    tcase_add_test(xml, xml_good_answers);
    tcase_add_test(xml, xml_errors_map_to_codes);
    tcase_add_test(xml, xml_refused);
    tcase_add_test(xml, xml_root_name_redacted);
    tcase_add_test(xml, xml_size_bounded);
    tcase_add_test(where, endpoint_table);
    tcase_add_test(where, endpoint_settings);
    tcase_add_test(where, role_values_checked);
    tcase_add_test(chain, chain_reaches_the_right_role);
    tcase_add_test(chain, chain_refused);
    tcase_add_test(chain, chain_depth_bounded);
    tcase_add_test(chain, web_identity_from_environment);
    tcase_add_test(chain, web_identity_answer_too_large);
    suite_add_tcase(s, xml);
    suite_add_tcase(s, where);
    suite_add_tcase(s, chain);
    suite_add_tcase(s, cache);
    return s;
}

int main(void)
{
    return run_suite(sts_suite()) ? 1 : 0;
}
