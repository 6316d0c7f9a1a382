/* The KMS client's pure parts, with no KMS server: awskms:// references,
 * region and endpoint choice, credentials from the environment, the error
 * table, strict JSON and base64, request bodies, and KMS keys before their
 * first call. tests/kms/run.sh covers the calls themselves. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "aws/call_settings.h"
#include "aws/creds.h"
#include "aws/curl_dl.h"
#include "aws/http.h"
#include "keys/keyref.h"
#include "keys/keys.h"
#include "aws/kms.h"
#include "aws/kms_key.h"
#include "testutil.h"

#define ARN_KEY "arn:aws:kms:eu-west-3:111122223333:key/0b7c3bd8-8a3f-4b8a-9c3e-3c1f6c2d5a21"
#define ARN_ALIAS "arn:aws-cn:kms:cn-north-1:111122223333:alias/team/sign-key"

static envelope_ctx *ctx;

static void setup(void)
{
    isolate_aws_env();
    ck_assert_int_eq(envelope_ctx_new(&ctx), ENVELOPE_OK);
}

static void teardown(void)
{
    envelope_ctx_free(ctx);
    isolate_aws_env();
}

static void assert_detail_has(const char *want)
{
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), want) != NULL, "detail \"%s\" lacks \"%s\"",
                  envelope_ctx_detail(ctx), want);
}

/* ------------------------------------------------------------ references */

START_TEST(references_accepted)
{
    static const struct {
        const char *ref, *host, *key_id, *region;
        unsigned port;
        int is_key_arn;
    } cases[] = {
        {"awskms:///alias/sample-sign-verify-key", "", "alias/sample-sign-verify-key", "", 0, 0},
        {"awskms:///0b7c3bd8-8a3f-4b8a-9c3e-3c1f6c2d5a21", "",
         "0b7c3bd8-8a3f-4b8a-9c3e-3c1f6c2d5a21", "", 0, 0},
        {"awskms:///mrk-1234abcd12ab34cd56ef1234567890ab", "", "mrk-1234abcd12ab34cd56ef1234567890ab",
         "", 0, 0},
        {"awskms:///" ARN_KEY, "", ARN_KEY, "eu-west-3", 0, 1},
        {"awskms:///" ARN_ALIAS, "", ARN_ALIAS, "cn-north-1", 0, 0},
        {"awskms://localhost:4566/alias/a_b-c/d", "localhost", "alias/a_b-c/d", "", 4566, 0},
        {"awskms://kms.eu-west-1.amazonaws.com/alias/x", "kms.eu-west-1.amazonaws.com", "alias/x",
         "", 0, 0},
        {"awskms://[::1]:8443/alias/x", "[::1]", "alias/x", "", 8443, 0},
        {"awskms://127.0.0.1:1/" ARN_KEY, "127.0.0.1", ARN_KEY, "eu-west-3", 1, 1},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kms_ref r;

        ck_assert_msg(kms_ref_parse(ctx, cases[i].ref, &r) == ENVELOPE_OK, "%s: %s",
                      cases[i].ref, envelope_ctx_detail(ctx));
        ck_assert_str_eq(r.host, cases[i].host);
        ck_assert_uint_eq(r.port, cases[i].port);
        ck_assert_str_eq(r.key_id, cases[i].key_id);
        ck_assert_str_eq(r.region, cases[i].region);
        ck_assert_int_eq(r.is_key_arn, cases[i].is_key_arn);
    }
}
END_TEST

START_TEST(references_refused)
{
    static const struct {
        const char *ref, *why;
    } cases[] = {
        {"awskms://", "expected awskms:///KEY or awskms://HOST[:PORT]/KEY"},
        {"awskms:///", "the key must be a key id, alias/NAME, or a key or alias ARN"},
        {"awskms://alias/x", "write awskms:///alias/x (three slashes)"},
        {"awskms://" ARN_KEY, "(three slashes)"},
        {"awskms:///alias/", "the key must be"},
        {"awskms:///alias/a b", "the key must be"},
        {"awskms:///key/0b7c3bd8", "the key must be"},
        {"awskms:///alias/x?region=us-east-1", "the key must be"},
        {"awskms:///arn:aws:kms:us-east-1:1111:key/abc", "the key must be"},
        {"awskms:///arn:aws:s3:us-east-1:111122223333:key/abc", "the key must be"},
        {"awskms:///arn:aws:kms:US-EAST-1:111122223333:key/abc", "the key must be"},
        {"awskms:///arn:aws:kms:us-east-1:111122223333:key/", "the key must be"},
        {"awskms://host:0/alias/x", "bad host or port 'host:0'"},
        {"awskms://host:65536/alias/x", "bad host or port"},
        {"awskms://host:/alias/x", "bad host or port"},
        {"awskms://user@host/alias/x", "bad host or port"},
        {"awskms://[::1/alias/x", "bad host or port"},
        {"awskms://[]:1/alias/x", "bad host or port"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kms_ref r;
        envelope_rc rc = kms_ref_parse(ctx, cases[i].ref, &r);

        ck_assert_msg(rc == ENVELOPE_E_KEY_REF, "%s: got %s", cases[i].ref, envelope_rc_name(rc));
        assert_detail_has(cases[i].why);
    }
}
END_TEST

/* --------------------------------------------------------------- endpoint */

static envelope_rc resolve(const char *ref, struct kms_target *t)
{
    struct kms_ref r;

    ck_assert_msg(kms_ref_parse(ctx, ref, &r) == ENVELOPE_OK, "%s", envelope_ctx_detail(ctx));
    return kms_target_resolve(ctx, &r, t);
}

START_TEST(region_and_default_endpoint)
{
    struct kms_target t;

    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_E_KEY_REF);
    assert_detail_has("no AWS region for alias/x: set AWS_REGION");
    setenv("AWS_DEFAULT_REGION", "eu-central-1", 1);
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.region, "eu-central-1");
    ck_assert_str_eq(t.url, "https://kms.eu-central-1.amazonaws.com/");
    ck_assert_int_eq(t.allow_http, 0);
    setenv("AWS_REGION", "us-west-2", 1); /* AWS_REGION wins */
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "https://kms.us-west-2.amazonaws.com/");
    /* The ARN's region wins over both. */
    ck_assert_rc(resolve("awskms:///" ARN_KEY, &t), ENVELOPE_OK);
    ck_assert_str_eq(t.region, "eu-west-3");
    ck_assert_str_eq(t.url, "https://kms.eu-west-3.amazonaws.com/");
    ck_assert_str_eq(t.key_id, ARN_KEY);
    ck_assert_rc(resolve("awskms:///" ARN_ALIAS, &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "https://kms.cn-north-1.amazonaws.com.cn/");
    setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "https://kms-fips.us-west-2.amazonaws.com/");
    setenv("AWS_REGION", "us-west-2; rm", 1);
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_E_INVALID_ARGUMENT);
    assert_detail_has("is not a region name");
}
END_TEST

START_TEST(endpoint_from_environment)
{
    struct kms_target t;

    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_USE_FIPS_ENDPOINT", "true", 1); /* a named endpoint wins over FIPS */
    setenv("AWS_ENDPOINT_URL", "https://generic.example:9000", 1);
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "https://generic.example:9000/");
    setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:4566/", 1);
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "http://127.0.0.1:4566/");
    ck_assert_int_eq(t.allow_http, 1);
    setenv("AWS_ENDPOINT_URL_KMS", "ftp://127.0.0.1/", 1);
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_E_KEY_REF);
    assert_detail_has("AWS_ENDPOINT_URL_KMS=ftp://127.0.0.1/: not an https:// or http:// URL");
    setenv("AWS_ENDPOINT_URL_KMS", "https://user:hunter2pw@127.0.0.1/", 1);
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_E_KEY_REF);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "hunter2pw") == NULL,
                  "the password is in the detail: %s", envelope_ctx_detail(ctx));
    assert_detail_has("AWS_ENDPOINT_URL_KMS: a user name or password (user@host) is not allowed");
    setenv("AWS_ENDPOINT_URL_KMS", "https://127.0.0.1/path", 1);
    ck_assert_rc(resolve("awskms:///alias/x", &t), ENVELOPE_E_KEY_REF);
    assert_detail_has("no user, path or query");
}
END_TEST

/* The reference's host wins, over HTTPS unless the environment names that
 * same host and port with http://. */
START_TEST(endpoint_from_reference)
{
    struct kms_target t;

    setenv("AWS_REGION", "us-east-1", 1);
    ck_assert_rc(resolve("awskms://localhost:4566/alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "https://localhost:4566/");
    ck_assert_int_eq(t.allow_http, 0);
    setenv("AWS_ENDPOINT_URL_KMS", "http://localhost:4566", 1);
    ck_assert_rc(resolve("awskms://localhost:4566/alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "http://localhost:4566/");
    ck_assert_int_eq(t.allow_http, 1);
    ck_assert_rc(resolve("awskms://localhost:4567/alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "https://localhost:4567/");
    ck_assert_rc(resolve("awskms://[::1]:8443/alias/x", &t), ENVELOPE_OK);
    ck_assert_str_eq(t.url, "https://[::1]:8443/");
}
END_TEST

/* ------------------------------------------------------------ credentials */

START_TEST(credentials_from_environment)
{
    struct aws_creds c;

    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    ck_assert_str_eq(envelope_ctx_detail(ctx),
                     "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                     "AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE to a profile in "
                     "the shared credentials or config file");
    ck_assert_ptr_null(c.secret_access_key);
    setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t/value/that/must/not/leak", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "AWS_SECRET_ACCESS_KEY is set in the environment "
                                               "but AWS_ACCESS_KEY_ID is not");
    setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIAEXAMPLE");
    ck_assert_str_eq(c.secret_access_key, "s3cr3t/value/that/must/not/leak");
    ck_assert_ptr_null(c.session_token);
    ck_assert_str_eq(c.source, "environment");
    creds_free(&c);
    ck_assert_ptr_null(c.secret_access_key);
    setenv("AWS_SECURITY_TOKEN", "older-token", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.session_token, "older-token");
    creds_free(&c);
    setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdz//token", 1); /* the current name wins */
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.session_token, "FwoGZXIvYXdz//token");
    creds_free(&c);
    ck_assert_ptr_null(c.session_token);
    /* A header-breaking token is refused, and never quoted. */
    setenv("AWS_SESSION_TOKEN", "tok\r\nX-Evil: 1", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail_has("AWS_SESSION_TOKEN is not a session token");
    ck_assert_ptr_null(strstr(envelope_ctx_detail(ctx), "Evil"));
    setenv("AWS_SESSION_TOKEN", "t", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "has space", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail_has("AWS_SECRET_ACCESS_KEY is not a secret access key");
    ck_assert_ptr_null(strstr(envelope_ctx_detail(ctx), "has space"));
}
END_TEST

/* ------------------------------------------------------------------ errors */

START_TEST(kms_errors_map_to_codes)
{
    static const struct {
        const char *op, *type;
        long status;
        envelope_rc rc;
    } cases[] = {
        {"Sign", "AccessDeniedException", 400, ENVELOPE_E_KMS_ACCESS_DENIED},
        {"Sign", "com.amazonaws.kms#AccessDeniedException", 400, ENVELOPE_E_KMS_ACCESS_DENIED},
        {"Encrypt", "NotFoundException", 400, ENVELOPE_E_KMS_NOT_FOUND},
        {"Decrypt", "DisabledException", 400, ENVELOPE_E_KMS_DISABLED},
        {"Decrypt", "KMSInvalidStateException", 400, ENVELOPE_E_KMS_DISABLED},
        {"Sign", "InvalidKeyUsageException", 400, ENVELOPE_E_KMS_KEY_USAGE},
        {"GetPublicKey", "UnsupportedOperationException", 400, ENVELOPE_E_KMS_KEY_USAGE},
        {"Sign", "UnrecognizedClientException", 400, ENVELOPE_E_KMS_AUTH},
        {"Sign", "InvalidSignatureException", 400, ENVELOPE_E_KMS_AUTH},
        {"Sign", "ExpiredTokenException", 400, ENVELOPE_E_KMS_AUTH},
        {"Sign", "IncompleteSignatureException", 400, ENVELOPE_E_KMS_AUTH},
        {"Sign", "MissingAuthenticationTokenException", 403, ENVELOPE_E_KMS_AUTH},
        {"Sign", "ThrottlingException", 400, ENVELOPE_E_KMS_THROTTLED},
        {"Sign", "KMSInternalException", 500, ENVELOPE_E_KMS_UNAVAILABLE},
        {"Sign", "ServiceUnavailableException", 503, ENVELOPE_E_KMS_UNAVAILABLE},
        {"Verify", "KMSInvalidSignatureException", 400, ENVELOPE_E_UNTRUSTED_SIGNER},
        {"Sign", "KMSInvalidSignatureException", 400, ENVELOPE_E_KMS},
        {"Decrypt", "InvalidCiphertextException", 400, ENVELOPE_E_NOT_RECIPIENT},
        {"Decrypt", "IncorrectKeyException", 400, ENVELOPE_E_NOT_RECIPIENT},
        {"Encrypt", "InvalidCiphertextException", 400, ENVELOPE_E_KMS},
        {"Encrypt", "ValidationException", 400, ENVELOPE_E_COMPAT_TOO_LARGE},
        {"Sign", "ValidationException", 400, ENVELOPE_E_KMS},
        {"Decrypt", "ValidationException", 400, ENVELOPE_E_KMS},
        {"Encrypt", "", 502, ENVELOPE_E_KMS_UNAVAILABLE},
        {"Encrypt", "", 404, ENVELOPE_E_KMS},
        {"Encrypt", NULL, 500, ENVELOPE_E_KMS_UNAVAILABLE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        envelope_rc rc = kms_error_code(cases[i].op, cases[i].type, cases[i].status);

        ck_assert_msg(rc == cases[i].rc, "%s %s: got %s, want %s", cases[i].op,
                      cases[i].type ? cases[i].type : "(none)", envelope_rc_name(rc),
                      envelope_rc_name(cases[i].rc));
    }
}
END_TEST

START_TEST(retries_and_backoff)
{
    static const struct {
        envelope_rc rc;
        const char *type;
        long status;
        enum kms_retry want;
    } cases[] = {
        {ENVELOPE_OK, "ThrottlingException", 400, KMS_RETRY_THROTTLED},
        {ENVELOPE_OK, "Throttling", 400, KMS_RETRY_THROTTLED},
        {ENVELOPE_OK, "TooManyRequestsException", 429, KMS_RETRY_THROTTLED},
        {ENVELOPE_OK, "KMSInternalException", 500, KMS_RETRY_TRANSIENT},
        {ENVELOPE_OK, "ServiceUnavailableException", 503, KMS_RETRY_TRANSIENT},
        {ENVELOPE_OK, "DependencyTimeoutException", 503, KMS_RETRY_TRANSIENT},
        {ENVELOPE_OK, "", 502, KMS_RETRY_TRANSIENT},
        {ENVELOPE_OK, "", 504, KMS_RETRY_TRANSIENT},
        {ENVELOPE_OK, "RequestTimeoutException", 408, KMS_RETRY_TRANSIENT},
        {ENVELOPE_OK, "AccessDeniedException", 400, KMS_NO_RETRY},
        {ENVELOPE_OK, "ValidationException", 400, KMS_NO_RETRY},
        {ENVELOPE_OK, "InvalidCiphertextException", 400, KMS_NO_RETRY},
        {ENVELOPE_OK, "UnrecognizedClientException", 400, KMS_NO_RETRY},
        {ENVELOPE_OK, "ExpiredTokenException", 400, KMS_RETRY_EXPIRED},
        {ENVELOPE_OK, "ExpiredToken", 403, KMS_RETRY_EXPIRED},
        {ENVELOPE_OK, "", 501, KMS_NO_RETRY},
        {ENVELOPE_OK, "", 404, KMS_NO_RETRY},
        {ENVELOPE_E_NETWORK, NULL, 0, KMS_RETRY_TRANSIENT},
        {ENVELOPE_E_TIMEOUT, NULL, 0, KMS_RETRY_TRANSIENT},
        {ENVELOPE_E_TLS, NULL, 0, KMS_NO_RETRY},
        {ENVELOPE_E_KMS_BAD_RESPONSE, NULL, 0, KMS_NO_RETRY},
        {ENVELOPE_E_NOMEM, NULL, 0, KMS_NO_RETRY},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(kms_retry_kind(cases[i].rc, cases[i].type, cases[i].status) == cases[i].want,
                      "case %zu (%s)", i, cases[i].type ? cases[i].type : "-");
    /* Full jitter over [0, min(20 s, base * 2^(attempt - 1))]. */
    ck_assert_uint_eq(kms_backoff_ms(1, KMS_RETRY_TRANSIENT, 0), 0);
    ck_assert_uint_eq(kms_backoff_ms(1, KMS_RETRY_TRANSIENT, UINT32_MAX), 100);
    ck_assert_uint_eq(kms_backoff_ms(2, KMS_RETRY_TRANSIENT, UINT32_MAX), 200);
    ck_assert_uint_eq(kms_backoff_ms(3, KMS_RETRY_TRANSIENT, UINT32_MAX / 2), 200);
    ck_assert_uint_eq(kms_backoff_ms(1, KMS_RETRY_THROTTLED, UINT32_MAX), 500);
    ck_assert_uint_eq(kms_backoff_ms(2, KMS_RETRY_THROTTLED, UINT32_MAX), 1000);
    ck_assert_uint_eq(kms_backoff_ms(8, KMS_RETRY_THROTTLED, UINT32_MAX), 20000);
    ck_assert_uint_eq(kms_backoff_ms(200, KMS_RETRY_TRANSIENT, UINT32_MAX), 20000);
}
END_TEST

START_TEST(settings_from_api_and_environment)
{
    struct kms_settings set;

    ck_assert_rc(kms_settings(ctx, NULL, &set), ENVELOPE_OK);
    ck_assert_uint_eq(set.connect_ms, 5000);
    ck_assert_uint_eq(set.total_ms, 30000);
    ck_assert_uint_eq(set.max_attempts, 3);
    setenv("ENVELOPE_KMS_CONNECT_TIMEOUT_MS", "250", 1);
    setenv("ENVELOPE_KMS_TIMEOUT_MS", "1500", 1);
    setenv("AWS_MAX_ATTEMPTS", "7", 1);
    ck_assert_rc(kms_settings(ctx, NULL, &set), ENVELOPE_OK);
    ck_assert_uint_eq(set.connect_ms, 250);
    ck_assert_uint_eq(set.total_ms, 1500);
    ck_assert_uint_eq(set.max_attempts, 7);
    /* The API wins; 0 keeps the environment's value. */
    ck_assert_ptr_null(kms_client_of(ctx));
    ck_assert_rc(envelope_ctx_set_kms_timeouts(ctx, 0, 900), ENVELOPE_OK);
    ck_assert_rc(envelope_ctx_set_kms_max_attempts(ctx, 1), ENVELOPE_OK);
    ck_assert_ptr_nonnull(kms_client_of(ctx));
    ck_assert_int_eq(curl_dl_loaded(), 0); /* a setting loads nothing */
    ck_assert_rc(kms_settings(ctx, kms_client_of(ctx), &set), ENVELOPE_OK);
    ck_assert_uint_eq(set.connect_ms, 250);
    ck_assert_uint_eq(set.total_ms, 900);
    ck_assert_uint_eq(set.max_attempts, 1);
    ck_assert_rc(envelope_ctx_set_kms_max_attempts(ctx, 11), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "KMS attempts: at most 10");
    ck_assert_rc(envelope_ctx_set_kms_timeouts(ctx, 3600001, 0), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "KMS timeouts: at most 3600000 ms (an hour)");
    ck_assert_rc(envelope_ctx_set_kms_timeouts(NULL, 1, 1), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_ctx_set_kms_max_attempts(NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(kms_settings(ctx, kms_client_of(ctx), &set), ENVELOPE_OK);
    ck_assert_uint_eq(set.total_ms, 900); /* unchanged by the refused calls */
    static const struct {
        const char *name, *value, *detail;
    } bad[] = {
        {"AWS_MAX_ATTEMPTS", "0", "AWS_MAX_ATTEMPTS=0: not a number from 1 to 10"},
        {"AWS_MAX_ATTEMPTS", "three", "AWS_MAX_ATTEMPTS=three: not a number from 1 to 10"},
        {"ENVELOPE_KMS_TIMEOUT_MS", "-5",
         "ENVELOPE_KMS_TIMEOUT_MS=-5: not a number from 1 to 3600000"},
        {"ENVELOPE_KMS_CONNECT_TIMEOUT_MS", "10s",
         "ENVELOPE_KMS_CONNECT_TIMEOUT_MS=10s: not a number from 1 to 3600000"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *old = strdup(getenv(bad[i].name));

        setenv(bad[i].name, bad[i].value, 1);
        ck_assert_rc(kms_settings(ctx, NULL, &set), ENVELOPE_E_INVALID_ARGUMENT);
        ck_assert_str_eq(envelope_ctx_detail(ctx), bad[i].detail);
        setenv(bad[i].name, old, 1);
        free(old);
    }
}
END_TEST

START_TEST(http_failures_say_where)
{
    char hp[300];

    http_host_port("https://kms.us-east-1.amazonaws.com/", hp, sizeof(hp));
    ck_assert_str_eq(hp, "kms.us-east-1.amazonaws.com:443");
    http_host_port("http://127.0.0.1:4566/", hp, sizeof(hp));
    ck_assert_str_eq(hp, "127.0.0.1:4566");
    http_host_port("http://169.254.169.254/latest/api/token", hp, sizeof(hp));
    ck_assert_str_eq(hp, "169.254.169.254:80");
    http_host_port("https://[::1]/", hp, sizeof(hp));
    ck_assert_str_eq(hp, "[::1]:443");
    http_host_port("https://[::1]:8443/", hp, sizeof(hp));
    ck_assert_str_eq(hp, "[::1]:8443");
    ck_assert_str_eq(http_error_phrase(CURLE_COULDNT_RESOLVE_HOST), "cannot resolve the host name");
    ck_assert_str_eq(http_error_phrase(CURLE_COULDNT_CONNECT), "cannot connect");
    ck_assert_str_eq(http_error_phrase(CURLE_OPERATION_TIMEDOUT), "timed out");
    ck_assert_str_eq(http_error_phrase(CURLE_PEER_FAILED_VERIFICATION),
                     "TLS certificate verification failed");
    ck_assert_str_eq(http_error_phrase(CURLE_SSL_CONNECT_ERROR), "TLS handshake failed");
    ck_assert_str_eq(http_error_phrase(CURLE_PARTIAL_FILE),
                     "connection closed in the middle of the answer");
    ck_assert_str_eq(http_error_phrase(CURLE_GOT_NOTHING), "connection closed without an answer");
}
END_TEST

START_TEST(curl_errors_map_to_codes)
{
    ck_assert_rc(http_error_code(CURLE_OK), ENVELOPE_OK);
    ck_assert_rc(http_error_code(CURLE_COULDNT_RESOLVE_HOST), ENVELOPE_E_NETWORK);
    ck_assert_rc(http_error_code(CURLE_COULDNT_CONNECT), ENVELOPE_E_NETWORK);
    ck_assert_rc(http_error_code(CURLE_GOT_NOTHING), ENVELOPE_E_NETWORK);
    ck_assert_rc(http_error_code(CURLE_PARTIAL_FILE), ENVELOPE_E_NETWORK);
    ck_assert_rc(http_error_code(CURLE_RECV_ERROR), ENVELOPE_E_NETWORK);
    ck_assert_rc(http_error_code(CURLE_OPERATION_TIMEDOUT), ENVELOPE_E_TIMEOUT);
    ck_assert_rc(http_error_code(CURLE_PEER_FAILED_VERIFICATION), ENVELOPE_E_TLS);
    ck_assert_rc(http_error_code(CURLE_SSL_CONNECT_ERROR), ENVELOPE_E_TLS);
    ck_assert_rc(http_error_code(CURLE_SSL_CACERT_BADFILE), ENVELOPE_E_TLS);
    ck_assert_rc(http_error_code(CURLE_OUT_OF_MEMORY), ENVELOPE_E_NOMEM);
}
END_TEST

/* ------------------------------------------------------------------- JSON */

static json_object *parse(const char *s)
{
    return kms_json_parse((const uint8_t *)s, strlen(s));
}

/* json-c's strict mode still takes single-quoted member names and NaN; the
 * client reads only members of the type it expects. */
START_TEST(json_is_strict)
{
    json_object *o;
    size_t len;

    ck_assert_ptr_nonnull(o = parse("{\"KeyId\":\"arn:aws:kms:us-east-1:1:key/k\"}\r\n"));
    ck_assert_str_eq(kms_json_string(o, "KeyId", &len), "arn:aws:kms:us-east-1:1:key/k");
    ck_assert_uint_eq(len, 29);
    ck_assert_ptr_null(kms_json_string(o, "Other", NULL));
    json_object_put(o);
    ck_assert_ptr_null(parse(""));
    ck_assert_ptr_null(parse("[]"));
    ck_assert_ptr_null(parse("\"s\""));
    ck_assert_ptr_null(parse("{} {}"));
    ck_assert_ptr_null(parse("{}x"));
    ck_assert_ptr_null(parse("{\"a\":1,}"));
    ck_assert_ptr_null(parse("{\"a\":'x'}"));
    ck_assert_ptr_null(parse("{\"a\":1} /* c */"));
    ck_assert_ptr_null(parse("{\"a\":1"));
    ck_assert_ptr_null(kms_json_parse((const uint8_t *)"{\"a\":\"\0\"}", 9));
    /* nor as an escape, in a value or a member name ("Success", NUL, ...
     * would read as Success) */
    ck_assert_ptr_null(parse("{\"Code\":\"Success\\u0000x\"}"));
    ck_assert_ptr_null(parse("{\"Code\\u0000x\":\"Failure\",\"Code\":\"Success\"}"));
    ck_assert_ptr_null(parse("{\"a\":\"\\\\\\u0000\"}")); /* a backslash, then NUL */
    ck_assert_ptr_nonnull(o = parse("{\"a\":\"\\\\u0000\"}")); /* a backslash, then text */
    ck_assert_str_eq(kms_json_string(o, "a", &len), "\\u0000");
    ck_assert_uint_eq(len, 6);
    json_object_put(o);
    /* Cut short after a Plaintext, as a broken connection or server would:
     * refused, and what json-c had built is wiped before it is freed. */
    ck_assert_ptr_null(parse("{\"KeyId\":\"k\",\"Plaintext\":\"3q2+7w==\",\"E\":[\"x\",{\"y\":\"z"));
    ck_assert_ptr_null(parse("{\"Plaintext\":\"3q2+7w==\"} trailing"));
    ck_assert_ptr_nonnull(o = parse("{\"n\":1}"));
    ck_assert_ptr_null(kms_json_string(o, "n", NULL)); /* not a string */
    json_object_put(o);
}
END_TEST

START_TEST(base64_is_strict)
{
    uint8_t out[8];
    size_t len;
    json_object *o = parse("{\"ok\":\"aGVsbG8=\",\"ok2\":\"aGk=\",\"pad3\":\"aGk===\","
                           "\"short\":\"aGk\",\"bad\":\"a$k=\",\"mid\":\"aG=k\",\"ws\":\"aGk= \","
                           "\"big\":\"AAAAAAAAAAAAAAAA\",\"empty\":\"\",\"n\":5}");

    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(kms_json_blob(o, "ok", out, sizeof(out), &len), 0);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(out, "hello", 5);
    ck_assert_int_eq(kms_json_blob(o, "ok2", out, sizeof(out), &len), 0);
    ck_assert_uint_eq(len, 2);
    ck_assert_int_eq(kms_json_blob(o, "ok", out, 4, &len), -1); /* over the cap */
    ck_assert_uint_eq(len, 0);
    static const char *const bad[] = {"pad3", "short", "bad", "mid", "ws", "big", "empty", "n",
                                      "absent"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(kms_json_blob(o, bad[i], out, sizeof(out), &len) == -1, "%s", bad[i]);
    json_object_put(o);
}
END_TEST

START_TEST(request_bodies)
{
    json_object *o = json_object_new_object();
    struct bytes body = {0};
    const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};
    char arn[IDENTITY_MAX + 1];

    ck_assert_int_eq(kms_json_add_string(o, "KeyId", "alias/x"), 0);
    ck_assert_int_eq(kms_json_add_string(o, "EncryptionAlgorithm", "RSAES_OAEP_SHA_256"), 0);
    ck_assert_int_eq(kms_json_body(o, NULL, NULL, 0, &body), 0);
    ck_assert_int_eq(body.secret, 1);
    ck_assert_mem_eq(body.p, "{\"KeyId\":\"alias/x\",\"EncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}",
                     body.len);
    bytes_free(&body);
    /* The secret member is appended by hand, in a buffer that is wiped. */
    ck_assert_int_eq(kms_json_body(o, "Plaintext", key, sizeof(key), &body), 0);
    ck_assert_uint_eq(body.len, strlen("{\"KeyId\":\"alias/x\",\"EncryptionAlgorithm\":"
                                       "\"RSAES_OAEP_SHA_256\",\"Plaintext\":\"3q2+7w==\"}"));
    ck_assert_mem_eq(body.p, "{\"KeyId\":\"alias/x\",\"EncryptionAlgorithm\":"
                             "\"RSAES_OAEP_SHA_256\",\"Plaintext\":\"3q2+7w==\"}", body.len);
    bytes_free(&body);
    json_object_put(o);
    o = json_object_new_object();
    ck_assert_int_eq(kms_json_add_blob(o, "Message", (const uint8_t *)"hi", 2), 0);
    ck_assert_int_eq(kms_json_body(o, NULL, NULL, 0, &body), 0);
    ck_assert_mem_eq(body.p, "{\"Message\":\"aGk=\"}", body.len);
    bytes_free(&body);
    json_object_put(o);
    /* Only a key ARN is an identity: never an alias or a bare key id. */
    o = parse("{\"KeyId\":\"" ARN_KEY "\"}");
    kms_json_arn(o, arn);
    ck_assert_str_eq(arn, ARN_KEY);
    json_object_put(o);
    o = parse("{\"KeyId\":\"" ARN_ALIAS "\"}");
    kms_json_arn(o, arn);
    ck_assert_str_eq(arn, "");
    json_object_put(o);
    o = parse("{\"KeyId\":\"arn:aws:kms:us-east-1:111122223333:key/a b\"}");
    kms_json_arn(o, arn);
    ck_assert_str_eq(arn, "");
    json_object_put(o);
}
END_TEST

/* --------------------------------------------------------------- the keys */

START_TEST(kms_key_before_any_call)
{
    envelope_key *sign = NULL, *enc = NULL;
    envelope_seal_opts *so;
    envelope_open_opts *oo;
    char fp[ENVELOPE_FINGERPRINT_SIZE], arn[IDENTITY_MAX + 1];

    setenv("AWS_REGION", "us-east-1", 1);
    ck_assert_rc(envelope_key_load(ctx, "awskms:///alias/sample-sign-verify-key", NULL, NULL,
                                   &sign), ENVELOPE_OK);
    ck_assert_rc(envelope_key_load(ctx, "awskms:///" ARN_KEY, NULL, NULL, &enc), ENVELOPE_OK);
    /* Nothing is known yet, and no call was made to learn it. */
    ck_assert_int_eq(envelope_key_get_kind(sign), 0);
    ck_assert_uint_eq(envelope_key_bits(sign), 0);
    ck_assert_int_eq(envelope_key_is_private(sign), 1);
    ck_assert_ptr_null(kms_client_of(ctx));
    ck_assert_rc(key_identities(ctx, sign, fp, arn), ENVELOPE_OK);
    ck_assert_str_eq(fp, "");
    ck_assert_str_eq(arn, "");
    /* A key ARN is the key's identity from the start. */
    ck_assert_rc(key_identities(ctx, enc, fp, arn), ENVELOPE_OK);
    ck_assert_str_eq(arn, ARN_KEY);
    /* Accepted for either role until its kind is known. */
    ck_assert_rc(envelope_seal_opts_new(&so), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_sign_key(so, sign), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_add_recipient(so, enc), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_add_recipient(so, sign), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_new(&oo), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(oo, enc), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(oo, sign), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(oo, enc), ENVELOPE_OK);
    /* A private-key export is for local keys only. */
    {
        uint8_t *pem;
        size_t len;

        ck_assert_rc(envelope_key_private_pem(ctx, sign, NULL, 0, &pem, &len),
                     ENVELOPE_E_KEY_NOT_PRIVATE);
    }
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    envelope_key_free(enc);
    envelope_key_free(sign);
}
END_TEST

/* A refused connection, with no server at all: the detail names the
 * endpoint and the operation, and never the secret. */
START_TEST(unreachable_endpoint)
{
    static const char want_start[] = "KMS GetPublicKey alias/x: 127.0.0.1:1: cannot connect: "
                                     "Failed to connect to 127.0.0.1 port 1 after ";
    static const char want_end[] = " ms: Couldn't connect to server (3 attempts)";
    envelope_key *key = NULL;
    uint8_t *pem = NULL;
    const char *detail;
    size_t len = 1;

    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ENDPOINT_URL_KMS", "https://127.0.0.1:1", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t/value/that/must/not/leak", 1);
    setenv("AWS_SESSION_TOKEN", "session/token/that/must/not/leak", 1);
    ck_assert_rc(envelope_key_load(ctx, "awskms:///alias/x", NULL, NULL, &key), ENVELOPE_OK);
    ck_assert_rc(envelope_key_public_pem(ctx, key, &pem, &len), ENVELOPE_E_NETWORK);
    ck_assert_ptr_null(pem);
    ck_assert_uint_eq(len, 0);
    /* curl says how long the attempt took ("after 0 ms", "after 1 ms" under
     * valgrind): everything around that figure is fixed. */
    detail = envelope_ctx_detail(ctx);
    ck_assert_msg(strncmp(detail, want_start, strlen(want_start)) == 0, "detail: %s", detail);
    ck_assert_msg(strlen(detail) > strlen(want_end) &&
                      strcmp(detail + strlen(detail) - strlen(want_end), want_end) == 0,
                  "detail: %s", detail);
    ck_assert_ptr_null(strstr(envelope_ctx_detail(ctx), "must/not/leak"));
    ck_assert_int_eq(curl_dl_loaded(), 1);
    envelope_key_free(key);
}
END_TEST

static Suite *kms_suite(void)
{
    Suite *s = suite_create("kms_client");
    TCase *refs = tcase_create("references"), *client = tcase_create("client");

    tcase_add_checked_fixture(refs, setup, teardown);
    tcase_add_checked_fixture(client, setup, teardown);
    tcase_add_test(refs, references_accepted);
    tcase_add_test(refs, references_refused);
    tcase_add_test(refs, region_and_default_endpoint);
    tcase_add_test(refs, endpoint_from_environment);
    tcase_add_test(refs, endpoint_from_reference);
    tcase_add_test(client, credentials_from_environment);
    tcase_add_test(client, kms_errors_map_to_codes);
    tcase_add_test(client, curl_errors_map_to_codes);
    tcase_add_test(client, retries_and_backoff);
    tcase_add_test(client, settings_from_api_and_environment);
    tcase_add_test(client, http_failures_say_where);
    tcase_add_test(client, json_is_strict);
    tcase_add_test(client, base64_is_strict);
    tcase_add_test(client, request_bodies);
    tcase_add_test(client, kms_key_before_any_call);
    tcase_add_test(client, unreachable_endpoint);
    suite_add_tcase(s, refs);
    suite_add_tcase(s, client);
    return s;
}

int main(void)
{
    return run_suite(kms_suite()) ? 1 : 0;
}
