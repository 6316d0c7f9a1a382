/* The one function every KMS call goes through (the client it uses:
 * kms_context.c): headers, SigV4 scope, the HTTP exchange, KMS's errors mapped
 * to our codes, and the retries: the AWS SDKs' "standard" mode (up to 3
 * attempts, capped exponential backoff with full jitter, the context's
 * retry quota of retry_quota.c) within a deadline for the whole call.
 * Retries and backoff live in kms_call, and nowhere else. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/context.h"
#include "aws/http.h"
#include "aws/kms.h"
#include "aws/kms_client.h"
#include "aws/retry_quota.h"

#define TARGET_PREFIX "X-Amz-Target: TrentService."
#define TOKEN_PREFIX "X-Amz-Security-Token: "
#define SERVICE_MESSAGE_MAX 400

static void set_auth_failed(struct kms_client *c)
{
    creds_free(&c->creds);
    c->have_creds = 0;
}

static envelope_rc client_use(envelope_ctx *ctx, struct kms_client *c, struct aws_creds *fresh)
{
    envelope_rc rc;

    if ((rc = http_client_set_auth(ctx, c->http, fresh->access_key_id,
                                   fresh->secret_access_key)) != ENVELOPE_OK) {
        creds_free(fresh);
        set_auth_failed(c);
        return rc;
    }
    creds_free(&c->creds);
    c->creds = *fresh;
    c->have_creds = 1;
    return ENVELOPE_OK;
}

/* Credentials, loaded at the first call and again when they are about to
 * expire. If the refresh fails while the old ones are still valid, they
 * are used, as the AWS SDKs do. region: the key's, where STS is reached
 * when no region is configured. */
static envelope_rc client_creds(envelope_ctx *ctx, struct kms_client *c, const char *region)
{
    struct aws_creds fresh;
    time_t now = time(NULL);
    envelope_rc rc;

    if (c->have_creds && !creds_expiring(&c->creds, now))
        return ENVELOPE_OK;
    if ((rc = creds_load_for(ctx, region, &fresh)) != ENVELOPE_OK) {
        if (c->have_creds && now < c->creds.expiration)
            return ENVELOPE_OK;
        return rc;
    }
    return client_use(ctx, c, &fresh);
}

static int same_creds(const struct aws_creds *a, const struct aws_creds *b)
{
    return strcmp(a->access_key_id, b->access_key_id) == 0 &&
           strcmp(a->secret_access_key, b->secret_access_key) == 0 &&
           (a->session_token == NULL) == (b->session_token == NULL) &&
           (a->session_token == NULL || strcmp(a->session_token, b->session_token) == 0);
}

/* KMS said the credentials expired: from a source that can give others,
 * fetch them again now. Nonzero when there are new ones to retry with;
 * otherwise the KMS error's detail stays as it was. */
static int refresh_expired(envelope_ctx *ctx, struct kms_client *c, const char *region)
{
    char detail[DETAIL_SIZE];
    struct aws_creds fresh;
    int renewed = 0;

    if (!c->have_creds || !c->creds.refreshable)
        return 0;
    memcpy(detail, ctx->detail, sizeof(detail));
    creds_expired(&c->creds);
    if (creds_load_for(ctx, region, &fresh) == ENVELOPE_OK) {
        if (same_creds(&fresh, &c->creds))
            creds_free(&fresh);
        else
            renewed = client_use(ctx, c, &fresh) == ENVELOPE_OK;
    }
    if (!renewed)
        memcpy(ctx->detail, detail, sizeof(detail));
    OPENSSL_cleanse(detail, sizeof(detail));
    return renewed;
}

static envelope_rc client_get(envelope_ctx *ctx, const char *region, struct kms_client **out)
{
    struct kms_client *c;
    envelope_rc rc;

    if (ctx == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if ((rc = kms_client_alloc(ctx, &c)) != ENVELOPE_OK)
        return rc;
    if (c->http == NULL && (rc = http_client_new(ctx, &c->http)) != ENVELOPE_OK)
        return rc;
    if ((rc = client_creds(ctx, c, region)) != ENVELOPE_OK)
        return rc;
    *out = c;
    return ENVELOPE_OK;
}

/* ------------------------------------------------------------- settings */

envelope_rc envelope_ctx_set_kms_timeouts(envelope_ctx *ctx, unsigned long connect_ms,
                                          unsigned long total_ms)
{
    struct kms_client *c;
    envelope_rc rc;

    if (ctx == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if (connect_ms > KMS_TIMEOUT_LIMIT_MS || total_ms > KMS_TIMEOUT_LIMIT_MS)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "KMS timeouts: at most %lu ms (an hour)", KMS_TIMEOUT_LIMIT_MS);
    if ((rc = kms_client_alloc(ctx, &c)) != ENVELOPE_OK)
        return rc;
    c->api_connect_ms = connect_ms;
    c->api_total_ms = total_ms;
    return ENVELOPE_OK;
}

envelope_rc envelope_ctx_set_kms_max_attempts(envelope_ctx *ctx, unsigned n)
{
    struct kms_client *c;
    envelope_rc rc;

    if (ctx == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if (n > KMS_MAX_ATTEMPTS_LIMIT)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "KMS attempts: at most %d",
                    KMS_MAX_ATTEMPTS_LIMIT);
    if ((rc = kms_client_alloc(ctx, &c)) != ENVELOPE_OK)
        return rc;
    c->api_max_attempts = n;
    return ENVELOPE_OK;
}

static const char *strip_namespace(const char *type)
{
    const char *hash = strrchr(type, '#');

    return hash ? hash + 1 : type;
}

envelope_rc kms_error_code(const char *op, const char *type, long status)
{
    static const struct {
        const char *type;
        envelope_rc rc;
    } table[] = {
        {"AccessDeniedException", ENVELOPE_E_KMS_ACCESS_DENIED},
        {"NotFoundException", ENVELOPE_E_KMS_NOT_FOUND},
        {"DisabledException", ENVELOPE_E_KMS_DISABLED},
        {"KMSInvalidStateException", ENVELOPE_E_KMS_DISABLED},
        {"InvalidKeyUsageException", ENVELOPE_E_KMS_KEY_USAGE},
        {"UnsupportedOperationException", ENVELOPE_E_KMS_KEY_USAGE},
        {"UnrecognizedClientException", ENVELOPE_E_KMS_AUTH},
        {"InvalidSignatureException", ENVELOPE_E_KMS_AUTH},
        {"IncompleteSignatureException", ENVELOPE_E_KMS_AUTH},
        {"MissingAuthenticationTokenException", ENVELOPE_E_KMS_AUTH},
        {"InvalidClientTokenId", ENVELOPE_E_KMS_AUTH},
        {"ExpiredToken", ENVELOPE_E_KMS_AUTH},
        {"ExpiredTokenException", ENVELOPE_E_KMS_AUTH},
        {"ThrottlingException", ENVELOPE_E_KMS_THROTTLED},
        {"KMSInternalException", ENVELOPE_E_KMS_UNAVAILABLE},
        {"ServiceUnavailableException", ENVELOPE_E_KMS_UNAVAILABLE},
        {"DependencyTimeoutException", ENVELOPE_E_KMS_UNAVAILABLE},
        {"KeyUnavailableException", ENVELOPE_E_KMS_UNAVAILABLE},
    };

    if (type && *type) {
        type = strip_namespace(type);
        if (strcmp(op, "Verify") == 0 && strcmp(type, "KMSInvalidSignatureException") == 0)
            return ENVELOPE_E_UNTRUSTED_SIGNER;
        /* Of an Encrypt request, KMS validates nothing we do not check
         * first but the Plaintext's length against the key's OAEP limit,
         * which only a compat archive can exceed (a v1 data key is 32
         * bytes). */
        if (strcmp(op, "Encrypt") == 0 && strcmp(type, "ValidationException") == 0)
            return ENVELOPE_E_COMPAT_TOO_LARGE;
        if (strcmp(op, "Decrypt") == 0 && (strcmp(type, "InvalidCiphertextException") == 0 ||
                                           strcmp(type, "IncorrectKeyException") == 0))
            return ENVELOPE_E_NOT_RECIPIENT;
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
            if (strcmp(type, table[i].type) == 0)
                return table[i].rc;
    }
    return status >= 500 ? ENVELOPE_E_KMS_UNAVAILABLE : ENVELOPE_E_KMS;
}

/* The service's words, bounded, up to the first line break, printable ASCII
 * only: they reach the caller's terminal. The first line is the reason; what
 * follows an InvalidSignatureException is the canonical request AWS
 * expected, which holds the signed headers and so the session token. */
static void clean_text(const char *s, size_t len, char *out, size_t cap)
{
    size_t j = 0;

    for (size_t i = 0; s && i < len && j + 1 < cap && s[i] != '\n' && s[i] != '\r'; i++)
        out[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[j] = '\0';
}

/* Belt and braces: a secret quoted back by the service never reaches a
 * detail. */
static void redact(char *text, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    char *p = text;

    /* On from past each match: a secret of '*' alone matches itself. */
    while (n >= 8 && (p = strstr(p, secret)) != NULL) {
        memset(p, '*', n);
        p += n;
    }
}

static envelope_rc service_error(envelope_ctx *ctx, const struct kms_target *t, const char *op,
                                 const struct http_response *resp, char type[96])
{
    json_object *o = kms_json_parse(resp->body, resp->len);
    char message[SERVICE_MESSAGE_MAX + 1];
    const struct aws_creds *creds = &kms_client_of(ctx)->creds;
    const char *s;
    size_t len;
    envelope_rc rc;

    type[0] = message[0] = '\0';
    if (o && (s = kms_json_string(o, "__type", &len)) != NULL)
        clean_text(strip_namespace(s), strlen(strip_namespace(s)), type, 96);
    if (o && ((s = kms_json_string(o, "message", &len)) != NULL ||
              (s = kms_json_string(o, "Message", &len)) != NULL))
        clean_text(s, len, message, sizeof(message));
    /* An error answer to Decrypt holds no Plaintext, unless the service
     * misbehaves: wiped like a good one. */
    kms_json_free_all(o);
    redact(type, creds->secret_access_key);
    redact(type, creds->session_token);
    redact(message, creds->secret_access_key);
    redact(message, creds->session_token);
    rc = kms_error_code(op, type, resp->status);
    if (type[0] == '\0')
        return fail(ctx, rc, "KMS %s %s: HTTP %ld without a KMS error", op, t->key_id,
                    resp->status);
    if (rc == ENVELOPE_E_KMS_AUTH)
        return fail(ctx, rc,
                    "KMS %s %s: credentials from the %s (access key %s) not accepted: %s%s%s",
                    op, t->key_id, creds->source, creds->access_key_id, type,
                    message[0] ? ": " : "", message);
    return fail(ctx, rc, "KMS %s %s: %s%s%s", op, t->key_id, type, message[0] ? ": " : "",
                message);
}

/* ---------------------------------------------------------------- retries */

/* The AWS SDKs' lists (botocore's standard mode): throttling under any of
 * its names, and the transient errors; KMSInternalException and the other
 * 5xx errors of KMS are transient through their status. */
enum kms_retry kms_retry_kind(envelope_rc rc, const char *type, long status)
{
    static const char *const throttling[] = {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException"};
    static const char *const transient[] = {"RequestTimeout", "RequestTimeoutException",
                                            "KMSInternalException"};
    static const char *const expired[] = {"ExpiredTokenException", "ExpiredToken"};

    /* A connection refused, reset or closed mid-answer; a connect that
     * timed out (the caller checks what is left of the deadline). */
    if (rc == ENVELOPE_E_NETWORK || rc == ENVELOPE_E_TIMEOUT)
        return KMS_RETRY_TRANSIENT;
    if (rc != ENVELOPE_OK)
        return KMS_NO_RETRY;
    for (size_t i = 0; type && i < sizeof(throttling) / sizeof(throttling[0]); i++)
        if (strcmp(type, throttling[i]) == 0)
            return KMS_RETRY_THROTTLED;
    for (size_t i = 0; type && i < sizeof(transient) / sizeof(transient[0]); i++)
        if (strcmp(type, transient[i]) == 0)
            return KMS_RETRY_TRANSIENT;
    for (size_t i = 0; type && i < sizeof(expired) / sizeof(expired[0]); i++)
        if (strcmp(type, expired[i]) == 0)
            return KMS_RETRY_EXPIRED;
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return KMS_RETRY_TRANSIENT;
    return KMS_NO_RETRY;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static uint32_t random32(void)
{
    uint32_t r = 0;

    /* The jitter needs no secrecy; a failed RAND_bytes waits the least. */
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = 0;
    return r;
}

/* The backoff before attempt n + 1 in *wait: 0 when the wait would not
 * leave time for that attempt before the deadline. */
static int backoff_fits(unsigned n, enum kms_retry kind, long long deadline, unsigned long *wait)
{
    *wait = kms_backoff_ms(n, kind, random32());
    return now_ms() + (long long)*wait < deadline;
}

/* Standard mode: a retry draws on the context's quota, and is not made
 * when that is exhausted (*starved set). *cost: what it took. */
static int quota_allows(struct kms_client *c, const struct kms_settings *set, envelope_rc rc,
                        unsigned *cost, int *starved)
{
    if (set->mode == RETRY_MODE_LEGACY)
        return 1;
    *cost = retry_quota_acquire(&c->quota, rc == ENVELOPE_E_TIMEOUT);
    *starved = *cost == 0;
    return !*starved;
}

/* Appends text to the detail, within its size. */
static void detail_append(envelope_ctx *ctx, const char *text)
{
    size_t used = strlen(ctx->detail);

    snprintf(ctx->detail + used, sizeof(ctx->detail) - used, "%s", text);
}

/* X-Amz-Target, the content type, and the session token when there is one:
 * all signed by curl, which signs every header it is handed. */
static envelope_rc headers(envelope_ctx *ctx, const struct kms_client *c, const char *op,
                           struct http_request *req, char target[64], char **token)
{
    size_t n;

    *token = NULL;
    req->headers[2] = NULL;
    snprintf(target, 64, TARGET_PREFIX "%s", op);
    req->headers[0] = target;
    req->headers[1] = "Content-Type: application/x-amz-json-1.1";
    if (c->creds.session_token) {
        n = strlen(TOKEN_PREFIX) + strlen(c->creds.session_token) + 1;
        if ((*token = malloc(n)) == NULL)
            return fail(ctx, ENVELOPE_E_NOMEM, "KMS request");
        snprintf(*token, n, TOKEN_PREFIX "%s", c->creds.session_token);
        req->headers[2] = *token;
    }
    return ENVELOPE_OK;
}

static void free_token(char *token)
{
    if (token) {
        OPENSSL_cleanse(token, strlen(token));
        free(token);
    }
}

/* One attempt: ENVELOPE_OK with *out parsed; else the error, with *kind
 * saying whether another attempt may help. */
static envelope_rc attempt(envelope_ctx *ctx, struct kms_client *c, const struct kms_target *t,
                           const char *op, struct http_request *req, json_object **out,
                           enum kms_retry *kind)
{
    struct http_response resp;
    char type[96];
    envelope_rc rc = http_send(ctx, c->http, req, &resp);

    *kind = KMS_NO_RETRY;
    if (rc != ENVELOPE_OK) {
        *kind = kms_retry_kind(rc, NULL, 0);
        detail_prefix(ctx, "KMS %s %s", op, t->key_id);
        return rc;
    }
    if (resp.status != 200) {
        rc = service_error(ctx, t, op, &resp, type);
        *kind = kms_retry_kind(ENVELOPE_OK, type, resp.status);
    } else if ((*out = kms_json_parse(resp.body, resp.len)) == NULL) {
        rc = fail(ctx, ENVELOPE_E_KMS_BAD_RESPONSE,
                  "KMS %s %s: the answer (HTTP 200, %zu bytes) is not one well-formed JSON "
                  "object",
                  op, t->key_id, resp.len);
    }
    http_response_wipe(c->http);
    return rc;
}

envelope_rc kms_call(envelope_ctx *ctx, const struct kms_target *t, const char *op,
                     const struct bytes *body, json_object **out)
{
    struct http_request req = {0};
    struct kms_settings set;
    struct kms_client *c;
    char target[64], sigv4[64 + REGION_MAX], *token = NULL, note[160];
    enum kms_retry kind = KMS_NO_RETRY;
    long long deadline, left;
    unsigned long wait;
    unsigned n = 0, cost = 0;
    int starved = 0, refreshed = 0;
    envelope_rc rc;

    *out = NULL;
    if ((rc = kms_settings(ctx, kms_client_of(ctx), &set)) != ENVELOPE_OK ||
        (rc = client_get(ctx, t->region, &c)) != ENVELOPE_OK) {
        detail_prefix(ctx, "KMS %s %s", op, t->key_id);
        return rc;
    }
    deadline = now_ms() + (long long)set.total_ms;
    /* Always the full scope: curl would otherwise read region and service
     * from the host name, wrongly for FIPS hosts, IP addresses and proxies. */
    snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:kms", t->region);
    req.url = t->url;
    req.allow_http = t->allow_http;
    req.sigv4 = sigv4;
    req.body = body->p;
    req.body_len = body->len;
    if ((rc = headers(ctx, c, op, &req, target, &token)) != ENVELOPE_OK)
        return rc;
    for (;;) {
        left = deadline - now_ms();
        req.timeout_ms = left > 0 ? (long)left : 1;
        req.connect_ms = (long)set.connect_ms < req.timeout_ms ? (long)set.connect_ms
                                                               : req.timeout_ms;
        n++;
        rc = attempt(ctx, c, t, op, &req, out, &kind);
        /* Expired credentials: once, with fresh ones, without waiting and
         * without drawing on the retry quota. */
        if (kind == KMS_RETRY_EXPIRED && !refreshed && n < set.max_attempts &&
            refresh_expired(ctx, c, t->region)) {
            refreshed = 1;
            free_token(token);
            if ((rc = headers(ctx, c, op, &req, target, &token)) != ENVELOPE_OK)
                break;
            continue;
        }
        if (rc == ENVELOPE_OK || kind == KMS_NO_RETRY || kind == KMS_RETRY_EXPIRED ||
            n >= set.max_attempts || !backoff_fits(n, kind, deadline, &wait) ||
            !quota_allows(c, &set, rc, &cost, &starved))
            break;
        sleep_ms(wait);
    }
    free_token(token);
    if (rc == ENVELOPE_OK && set.mode == RETRY_MODE_STANDARD)
        retry_quota_release(&c->quota, cost);
    if (starved && n == 1) {
        detail_append(ctx, " (no retry: the retry quota is exhausted)");
    } else if (rc != ENVELOPE_OK && n > 1) {
        snprintf(note, sizeof(note), " (%u attempts%s)", n,
                 starved ? ", then no retry: the retry quota is exhausted" : "");
        detail_append(ctx, note);
    }
    if (rc == ENVELOPE_E_TIMEOUT) {
        snprintf(note, sizeof(note), " (KMS limits: %lu ms to connect, %lu ms for the call)",
                 set.connect_ms, set.total_ms);
        detail_append(ctx, note);
    }
    return rc;
}
