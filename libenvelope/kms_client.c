/* The context's KMS client and the one function every KMS call goes
 * through: headers, SigV4 scope, the HTTP exchange, and KMS's errors mapped
 * to our codes. Retries and backoff belong in kms_call, and nowhere else. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "http.h"
#include "kms.h"

#define TARGET_PREFIX "X-Amz-Target: TrentService."
#define TOKEN_PREFIX "X-Amz-Security-Token: "
#define SERVICE_MESSAGE_MAX 400

struct kms_client {
    struct http_client *http;
    struct aws_creds creds;
};

void kms_client_free(struct kms_client *c)
{
    if (c == NULL)
        return;
    http_client_free(c->http);
    creds_free(&c->creds);
    free(c);
}

static envelope_rc client_get(envelope_ctx *ctx, struct kms_client **out)
{
    struct kms_client *c;
    envelope_rc rc;

    if (ctx == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if ((*out = ctx->kms) != NULL)
        return ENVELOPE_OK;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "KMS client");
    if ((rc = http_client_new(ctx, &c->http)) != ENVELOPE_OK ||
        (rc = creds_load(ctx, &c->creds)) != ENVELOPE_OK ||
        (rc = http_client_set_auth(ctx, c->http, c->creds.access_key_id,
                                   c->creds.secret_access_key)) != ENVELOPE_OK) {
        kms_client_free(c);
        return rc;
    }
    *out = ctx->kms = c;
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
    char *p;

    while (n >= 8 && (p = strstr(text, secret)) != NULL) {
        memset(p, '*', n);
    }
}

static envelope_rc service_error(envelope_ctx *ctx, const struct kms_target *t, const char *op,
                                 const struct http_response *resp)
{
    json_object *o = kms_json_parse(resp->body, resp->len);
    char type[96], message[SERVICE_MESSAGE_MAX + 1];
    const char *s;
    size_t len;
    envelope_rc rc;

    type[0] = message[0] = '\0';
    if (o && (s = kms_json_string(o, "__type", &len)) != NULL)
        clean_text(strip_namespace(s), strlen(strip_namespace(s)), type, sizeof(type));
    if (o && ((s = kms_json_string(o, "message", &len)) != NULL ||
              (s = kms_json_string(o, "Message", &len)) != NULL))
        clean_text(s, len, message, sizeof(message));
    json_object_put(o);
    redact(message, ctx->kms->creds.secret_access_key);
    redact(message, ctx->kms->creds.session_token);
    rc = kms_error_code(op, type, resp->status);
    if (type[0] == '\0')
        return fail(ctx, rc, "KMS %s %s: HTTP %ld without a KMS error", op, t->key_id,
                    resp->status);
    if (rc == ENVELOPE_E_KMS_AUTH)
        return fail(ctx, rc,
                    "KMS %s %s: credentials from the %s (access key %s) not accepted: %s%s%s",
                    op, t->key_id, ctx->kms->creds.source, ctx->kms->creds.access_key_id, type,
                    message[0] ? ": " : "", message);
    return fail(ctx, rc, "KMS %s %s: %s%s%s", op, t->key_id, type, message[0] ? ": " : "",
                message);
}

/* X-Amz-Target, the content type, and the session token when there is one:
 * all signed by curl, which signs every header it is handed. */
static envelope_rc headers(envelope_ctx *ctx, const struct kms_client *c, const char *op,
                           struct http_request *req, char target[64], char **token)
{
    size_t n;

    *token = NULL;
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

envelope_rc kms_call(envelope_ctx *ctx, const struct kms_target *t, const char *op,
                     const struct bytes *body, json_object **out)
{
    struct http_request req = {0};
    struct http_response resp;
    struct kms_client *c;
    char target[64], sigv4[64 + REGION_MAX], *token = NULL;
    envelope_rc rc;

    *out = NULL;
    if ((rc = client_get(ctx, &c)) != ENVELOPE_OK) {
        detail_prefix(ctx, "KMS %s %s", op, t->key_id);
        return rc;
    }
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
    rc = http_post(ctx, c->http, &req, &resp);
    free_token(token);
    if (rc != ENVELOPE_OK) {
        detail_prefix(ctx, "KMS %s %s", op, t->key_id);
        return rc;
    }
    if (resp.status != 200)
        rc = service_error(ctx, t, op, &resp);
    else if ((*out = kms_json_parse(resp.body, resp.len)) == NULL)
        rc = fail(ctx, ENVELOPE_E_KMS_BAD_RESPONSE, "KMS %s %s: the answer is not a JSON object",
                  op, t->key_id);
    http_response_wipe(c->http);
    return rc;
}
