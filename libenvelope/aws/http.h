/* HTTP requests through one reused libcurl handle: TLS always verified,
 * SigV4 by curl (KMS), plain GET and PUT (the credential endpoints),
 * timeouts, a capped response buffer that is wiped after use. Knows nothing
 * of KMS beyond what the caller puts in a request. */
#ifndef ENVELOPE_HTTP_H
#define ENVELOPE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

#define HTTP_RESPONSE_MAX (64 * 1024)
#define HTTP_CONNECT_TIMEOUT_MS 5000L
#define HTTP_TOTAL_TIMEOUT_MS 30000L
#define HTTP_HEADERS_MAX 8

struct http_client;

struct http_request {
    const char *method;         /* NULL: POST; "GET"; "PUT" (with an empty body) */
    const char *url;            /* "https://host[:port]/"; http:// only if allow_http */
    int allow_http;             /* the user named an http:// endpoint */
    int no_proxy;               /* never through a proxy (link-local, loopback) */
    const char *sigv4;          /* CURLOPT_AWS_SIGV4 provider, "aws:amz:REGION:SERVICE",
                                 * or NULL: not signed */
    long connect_ms;            /* 0: HTTP_CONNECT_TIMEOUT_MS */
    long timeout_ms;            /* the whole exchange; 0: HTTP_TOTAL_TIMEOUT_MS */
    /* "Name: value" lines, NULL-terminated; all are signed by SigV4 and
     * wiped after the call, so they may carry a session token. */
    const char *headers[HTTP_HEADERS_MAX + 1];
    const uint8_t *body;        /* sent as is and hashed by SigV4 */
    size_t body_len;
};

struct http_response {
    int curl_code;              /* CURLE_OK, or why the exchange failed */
    long status;
    const uint8_t *body;        /* NUL-terminated; in the client's buffer */
    size_t len;
};

/* Loads libcurl (ENVELOPE_E_UNSUPPORTED if it cannot) and makes a handle.
 * AWS_CA_BUNDLE, if set, replaces the trust store. */
envelope_rc http_client_new(envelope_ctx *ctx, struct http_client **out);
/* Frees the handle and wipes the buffer. NULL is a no-op. */
void http_client_free(struct http_client *c);
/* The SigV4 access key id and secret. curl keeps its own copy of both,
 * which it does not wipe (docs/KEYS.md). */
envelope_rc http_client_set_auth(envelope_ctx *ctx, struct http_client *c, const char *user,
                                 const char *secret);

/* One attempt. ENVELOPE_OK when an HTTP answer came back whatever its
 * status; else NETWORK, TLS, TIMEOUT, KMS_BAD_RESPONSE (over the size cap),
 * with a detail saying where (host:port), what failed, and curl's words.
 * The body stays valid until http_response_wipe or the next call. */
envelope_rc http_send(envelope_ctx *ctx, struct http_client *c, const struct http_request *req,
                      struct http_response *resp);
/* Wipes the last response (it may hold a KMS Plaintext). */
void http_response_wipe(struct http_client *c);

/* The error code for a curl result: for tests. */
envelope_rc http_error_code(int curl_code);
/* What failed, in a few words ("cannot connect"): for details. */
const char *http_error_phrase(int curl_code);
/* "host:port" of an http(s) URL, the port filled in from the scheme. */
void http_host_port(const char *url, char *out, size_t size);

#endif
