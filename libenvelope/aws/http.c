/* The libcurl handle: one per context, kept alive across calls. */
#include "aws/http.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "aws/curl_dl.h"

struct http_client {
    const struct curl_api *curl;
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    uint8_t *buf;       /* HTTP_RESPONSE_MAX + 1 bytes, allocated once: never
                         * reallocated, so no stale copy of a response is freed */
    size_t len;
    int overflow;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct http_client *c = arg;
    size_t len = size * n;

    if (len > HTTP_RESPONSE_MAX - c->len) {
        c->overflow = 1;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    memcpy(c->buf + c->len, p, len);
    c->len += len;
    return len;
}

envelope_rc http_error_code(int code)
{
    switch ((CURLcode)code) {
    case CURLE_OK:
        return ENVELOPE_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return ENVELOPE_E_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return ENVELOPE_E_TLS;
    case CURLE_OUT_OF_MEMORY:
        return ENVELOPE_E_NOMEM;
    default:
        /* DNS, connect, reset, an answer cut short, proxies: the network. */
        return ENVELOPE_E_NETWORK;
    }
}

const char *http_error_phrase(int code)
{
    switch ((CURLcode)code) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return "cannot resolve the host name";
    case CURLE_COULDNT_RESOLVE_PROXY:
        return "cannot resolve the proxy's host name";
    case CURLE_COULDNT_CONNECT:
        return "cannot connect";
    case CURLE_OPERATION_TIMEDOUT:
        return "timed out";
    case CURLE_PEER_FAILED_VERIFICATION:
        return "TLS certificate verification failed";
    case CURLE_SSL_CACERT_BADFILE:
        return "cannot use the CA file";
    case CURLE_GOT_NOTHING:
        return "connection closed without an answer";
    case CURLE_PARTIAL_FILE:
        return "connection closed in the middle of the answer";
    case CURLE_RECV_ERROR:
        return "receiving failed";
    case CURLE_SEND_ERROR:
        return "sending failed";
    case CURLE_WEIRD_SERVER_REPLY:
        return "not an HTTP answer";
    default:
        return http_error_code(code) == ENVELOPE_E_TLS ? "TLS handshake failed" : "failed";
    }
}

void http_host_port(const char *url, char *out, size_t size)
{
    int https = strncmp(url, "https://", 8) == 0;
    const char *p = strstr(url, "://");
    size_t n;

    p = p ? p + 3 : url;
    n = strcspn(p, "/?#");
    /* A port follows the last ':', after any IPv6 literal's ']'. */
    if (memchr(p, ':', n) && (p[0] != '[' || (n > 0 && p[n - 1] != ']')))
        snprintf(out, size, "%.*s", (int)n, p);
    else
        snprintf(out, size, "%.*s:%s", (int)n, p, https ? "443" : "80");
}

static envelope_rc curl_fail(envelope_ctx *ctx, struct http_client *c, CURLcode code,
                             const char *url)
{
    char where[300];

    http_host_port(url, where, sizeof(where));
    if (c->overflow)
        return fail(ctx, ENVELOPE_E_KMS_BAD_RESPONSE, "%s: answer larger than %d bytes", where,
                    HTTP_RESPONSE_MAX);
    /* curl's messages name hosts, addresses and TLS reasons, never
     * credentials. */
    return fail(ctx, http_error_code(code), "%s: %s: %s%s", where, http_error_phrase(code),
                c->errbuf[0] ? c->errbuf : c->curl->easy_strerror(code),
                code == CURLE_PEER_FAILED_VERIFICATION
                    ? " (AWS_CA_BUNDLE names the CA file to trust instead of the system's)"
                    : "");
}

envelope_rc http_client_new(envelope_ctx *ctx, struct http_client **out)
{
    const struct curl_api *curl;
    struct http_client *c;
    const char *ca = getenv("AWS_CA_BUNDLE");
    envelope_rc rc;

    *out = NULL;
    if ((rc = curl_dl_get(ctx, &curl)) != ENVELOPE_OK)
        return rc;
    if ((c = calloc(1, sizeof(*c))) == NULL ||
        (c->buf = malloc(HTTP_RESPONSE_MAX + 1)) == NULL) {
        free(c);
        return fail(ctx, ENVELOPE_E_NOMEM, "HTTP client");
    }
    c->curl = curl;
    if ((c->h = curl->easy_init()) == NULL) {
        http_client_free(c);
        return fail(ctx, ENVELOPE_E_NOMEM, "curl_easy_init failed");
    }
    /* Options that hold for every call. A failure here means a libcurl too
     * old for what we need (7.85 for PROTOCOLS_STR). */
    if (curl->easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_WRITEDATA, c) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS) !=
            CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_TIMEOUT_MS, HTTP_TOTAL_TIMEOUT_MS) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) !=
            CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_USERAGENT, "libenvelope/" ENVELOPE_VERSION_STRING) !=
            CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK) {
        http_client_free(c);
        return fail(ctx, ENVELOPE_E_UNSUPPORTED, "libcurl refused a basic option: need 7.85 "
                                                 "or later");
    }
    /* As in the AWS SDKs, the bundle replaces the trust store: the default
     * CA directory is switched off too. */
    if (ca && *ca &&
        (curl->easy_setopt(c->h, CURLOPT_CAINFO, ca) != CURLE_OK ||
         curl->easy_setopt(c->h, CURLOPT_CAPATH, (char *)NULL) != CURLE_OK)) {
        http_client_free(c);
        return fail(ctx, ENVELOPE_E_TLS, "AWS_CA_BUNDLE: libcurl cannot use a CA file");
    }
    *out = c;
    return ENVELOPE_OK;
}

void http_client_free(struct http_client *c)
{
    if (c == NULL)
        return;
    if (c->h)
        c->curl->easy_cleanup(c->h);
    if (c->buf) {
        OPENSSL_cleanse(c->buf, HTTP_RESPONSE_MAX + 1);
        free(c->buf);
    }
    free(c);
}

envelope_rc http_client_set_auth(envelope_ctx *ctx, struct http_client *c, const char *user,
                                 const char *secret)
{
    if (c->curl->easy_setopt(c->h, CURLOPT_USERNAME, user) != CURLE_OK ||
        c->curl->easy_setopt(c->h, CURLOPT_PASSWORD, secret) != CURLE_OK)
        return fail(ctx, ENVELOPE_E_NOMEM, "setting the credentials");
    return ENVELOPE_OK;
}

void http_response_wipe(struct http_client *c)
{
    if (c && c->buf) {
        OPENSSL_cleanse(c->buf, c->len + 1 <= HTTP_RESPONSE_MAX ? c->len + 1 : HTTP_RESPONSE_MAX);
        c->len = 0;
    }
}

/* curl copies each line; the copies are wiped here because one may hold a
 * session token. */
static void free_headers(const struct curl_api *curl, struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        OPENSSL_cleanse(l->data, strlen(l->data));
    curl->slist_free_all(list);
}

static envelope_rc set_request(envelope_ctx *ctx, struct http_client *c,
                               const struct http_request *req, struct curl_slist **headers)
{
    const struct curl_api *curl = c->curl;
    const char *method = req->method ? req->method : "POST";
    int get = strcmp(method, "GET") == 0;
    struct curl_slist *l;

    *headers = NULL;
    for (size_t i = 0; i < HTTP_HEADERS_MAX && req->headers[i]; i++) {
        if ((l = curl->slist_append(*headers, req->headers[i])) == NULL)
            return fail(ctx, ENVELOPE_E_NOMEM, "HTTP headers");
        *headers = l;
    }
    if (req->body_len > 0x7fffffff ||
        curl->easy_setopt(c->h, CURLOPT_URL, req->url) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, req->allow_http ? "http,https" : "https") !=
            CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_AWS_SIGV4, req->sigv4) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_NOPROXY, req->no_proxy ? "*" : (char *)NULL) !=
            CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS,
                          req->connect_ms > 0 ? req->connect_ms : HTTP_CONNECT_TIMEOUT_MS) !=
            CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_TIMEOUT_MS,
                          req->timeout_ms > 0 ? req->timeout_ms : HTTP_TOTAL_TIMEOUT_MS) !=
            CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_HTTPHEADER, *headers) != CURLE_OK)
        return fail(ctx, ENVELOPE_E_INTERNAL, "%s: libcurl refused the request", req->url);
    if (get)
        return curl->easy_setopt(c->h, CURLOPT_HTTPGET, 1L) == CURLE_OK
                   ? ENVELOPE_OK
                   : fail(ctx, ENVELOPE_E_INTERNAL, "%s: libcurl refused GET", req->url);
    /* Not a read callback: curl 7.88 hashes a streamed body as empty. */
    if (curl->easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)req->body_len) != CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "") !=
            CURLE_OK ||
        curl->easy_setopt(c->h, CURLOPT_CUSTOMREQUEST,
                          strcmp(method, "POST") == 0 ? (char *)NULL : method) != CURLE_OK)
        return fail(ctx, ENVELOPE_E_INTERNAL, "%s: libcurl refused the request", req->url);
    return ENVELOPE_OK;
}

envelope_rc http_send(envelope_ctx *ctx, struct http_client *c, const struct http_request *req,
                      struct http_response *resp)
{
    struct curl_slist *headers = NULL;
    envelope_rc rc;
    CURLcode code;
    long status = 0;

    memset(resp, 0, sizeof(*resp));
    http_response_wipe(c);
    c->overflow = 0;
    c->errbuf[0] = '\0';
    if ((rc = set_request(ctx, c, req, &headers)) == ENVELOPE_OK) {
        code = c->curl->easy_perform(c->h);
        resp->curl_code = (int)code;
        if (code != CURLE_OK) {
            rc = curl_fail(ctx, c, code, req->url);
        } else if (c->curl->easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
            rc = fail(ctx, ENVELOPE_E_INTERNAL, "%s: no HTTP status", req->url);
        } else {
            c->buf[c->len] = '\0';
            resp->status = status;
            resp->body = c->buf;
            resp->len = c->len;
        }
    }
    /* The list must outlive the transfer, not the handle: unhook it first. */
    c->curl->easy_setopt(c->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    c->curl->easy_setopt(c->h, CURLOPT_POSTFIELDS, (char *)NULL);
    c->curl->easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    free_headers(c->curl, headers);
    if (rc != ENVELOPE_OK)
        http_response_wipe(c);
    return rc;
}
