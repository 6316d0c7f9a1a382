/* Credentials from a local HTTP endpoint: the container credential
 * provider (ECS task roles, EKS Pod Identity) and IMDSv2 (EC2 instance
 * roles), as the AWS SDKs reach them. Every answer holds secrets: it stays
 * in the HTTP layer's buffer, which is wiped, and json-c's copies are wiped
 * before they are freed. Never through a proxy; short timeouts. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/context.h"
#include "aws/curl_dl.h"
#include "aws/creds.h"
#include "aws/http.h"
#include "aws/kms.h"

#define AUTH_HEADER "Authorization: "
#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_ENDPOINT "http://169.254.169.254"
#define IMDS_ENDPOINT_V6 "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL "21600"
#define IMDS_ROLE_PATH "/latest/meta-data/iam/security-credentials/"
#define META_URL_MAX 1024
#define META_TOKEN_MAX 16384
#define ROLE_NAME_MAX 128

/* How long and how often: AWS_METADATA_SERVICE_TIMEOUT (seconds, default
 * 1) and AWS_METADATA_SERVICE_NUM_ATTEMPTS (default 2: one retry). */
struct meta_policy {
    long timeout_ms;
    int attempts;
};

static envelope_rc env_number(envelope_ctx *ctx, const char *name, long lo, long hi, long dflt,
                              long *out)
{
    const char *v = creds_env(name);
    char *end;
    long n;

    *out = dflt;
    if (v == NULL)
        return ENVELOPE_OK;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < lo || n > hi)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "%s=%.20s: not a number from %ld to %ld",
                    name, v, lo, hi);
    *out = n;
    return ENVELOPE_OK;
}

static envelope_rc meta_policy(envelope_ctx *ctx, struct meta_policy *p)
{
    long t, a;
    envelope_rc rc;

    if ((rc = env_number(ctx, "AWS_METADATA_SERVICE_TIMEOUT", 1, 60, 1, &t)) != ENVELOPE_OK ||
        (rc = env_number(ctx, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 5, 2, &a)) != ENVELOPE_OK)
        return rc;
    p->timeout_ms = t * 1000;
    p->attempts = (int)a;
    return ENVELOPE_OK;
}

/* Nothing there at all: not an EC2 instance, or IMDS switched off. */
static int unreachable(int curl_code)
{
    return curl_code == CURLE_COULDNT_CONNECT || curl_code == CURLE_OPERATION_TIMEDOUT ||
           curl_code == CURLE_COULDNT_RESOLVE_HOST;
}

/* Worth another attempt: the network, or the service's own trouble. */
static int transient(envelope_rc rc, const struct http_response *resp, int probe)
{
    if (probe && unreachable(resp->curl_code))
        return 0;
    return rc == ENVELOPE_E_NETWORK || rc == ENVELOPE_E_TIMEOUT ||
           (rc == ENVELOPE_OK && resp->status >= 500);
}

/* One request with the policy's retries. ENVELOPE_OK whatever the status.
 * probe: a first contact, where nothing answering means nothing is there,
 * and is not worth a second wait. */
static envelope_rc meta_request(envelope_ctx *ctx, struct http_client *h,
                                const struct meta_policy *p, struct http_request *req,
                                struct http_response *resp, int probe)
{
    envelope_rc rc = ENVELOPE_OK;

    req->no_proxy = 1;
    req->allow_http = 1;
    req->connect_ms = p->timeout_ms;
    req->timeout_ms = p->timeout_ms;
    for (int attempt = 1; attempt <= p->attempts; attempt++) {
        rc = http_send(ctx, h, req, resp);
        if (!transient(rc, resp, probe) || attempt == p->attempts)
            break;
        if (rc == ENVELOPE_OK)
            http_response_wipe(h);
    }
    return rc;
}

/* The answer's JSON credentials; the buffer and json-c's copies wiped. */
static envelope_rc creds_answer(envelope_ctx *ctx, struct http_client *h, const char *what,
                                const struct http_response *resp, const char *token_name,
                                struct aws_creds *out)
{
    json_object *o = kms_json_parse(resp->body, resp->len);
    const char *code;
    envelope_rc rc;

    http_response_wipe(h);
    if (o == NULL)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the answer (%zu bytes) is not a JSON object",
                    what, resp->len);
    /* IMDS says Success, or why not, in Code. */
    if ((code = kms_json_string(o, "Code", NULL)) != NULL && strcmp(code, "Success") != 0)
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the answer's Code is %.40s, not Success",
                  what, code);
    else
        rc = creds_from_json(ctx, what, o, token_name, 0, out);
    kms_json_free_all(o);
    return rc;
}

/* ------------------------------------------------------------- container */

/* A dotted quad in 127.0.0.0/8, digits only: what inet_pton takes, and
 * nothing a resolver would look up as a name. */
static int loopback_v4(const char *s, size_t len)
{
    unsigned part = 0, parts = 0, digits = 0, first = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (digits == 0 || part > 255 || ++parts > 4)
                return 0;
            if (parts == 1)
                first = part;
            part = digits = 0;
        } else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
            part = part * 10 + (unsigned)(s[i] - '0');
            digits++;
        } else {
            return 0;
        }
    }
    return parts == 4 && first == 127;
}

/* Plain HTTP only to hosts that cannot be elsewhere on the network: the
 * loopback, and the link-local addresses ECS and EKS serve credentials on.
 * Names other than localhost are refused rather than resolved, so that
 * what is checked is what is reached. */
static int container_host_ok(const char *host, size_t len)
{
    static const char *const fixed[] = {"localhost", "[::1]", "169.254.170.2",
                                        "169.254.170.23", "[fd00:ec2::23]"};

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (strlen(fixed[i]) == len && strncasecmp(host, fixed[i], len) == 0)
            return 1;
    return loopback_v4(host, len);
}

static int url_text_ok(const char *s)
{
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f)
            return 0;
    return 1;
}

/* The host of an http(s) URL without its port: "[::1]", "127.0.0.1". */
static void url_host(const char *url, const char **host, size_t *len)
{
    const char *h = strstr(url, "://") + 3;
    size_t n = strcspn(h, "/?#");
    const char *end = h + n, *close;

    if (h[0] == '[' && (close = memchr(h, ']', n)) != NULL)
        end = close + 1;
    else if (h[0] != '[')
        for (const char *p = h; p < h + n; p++)
            if (*p == ':')
                end = p;
    *host = h;
    *len = (size_t)(end - h);
}

static envelope_rc container_url(envelope_ctx *ctx, char url[META_URL_MAX], int *found)
{
    const char *rel = creds_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = creds_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *host;
    size_t host_len;

    *found = rel || full;
    if (rel) {
        if (rel[0] != '/' || !url_text_ok(rel) || strlen(rel) + 32 > META_URL_MAX)
            return fail(ctx, ENVELOPE_E_CREDENTIALS,
                        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path beginning with /");
        snprintf(url, META_URL_MAX, CONTAINER_HOST "%s", rel);
        return ENVELOPE_OK;
    }
    if (full == NULL)
        return ENVELOPE_OK;
    if (!url_text_ok(full) || strlen(full) >= META_URL_MAX ||
        (strncmp(full, "https://", 8) != 0 && strncmp(full, "http://", 7) != 0))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http:// or https:// URL");
    url_host(full, &host, &host_len);
    if (memchr(full, '@', strcspn(host, "/?#") + (size_t)(host - full)))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI must not carry a user name");
    if (full[4] != 's' && !container_host_ok(host, host_len))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback "
                    "(127.0.0.0/8, [::1], localhost) or the ECS and EKS addresses "
                    "(169.254.170.2, 169.254.170.23, [fd00:ec2::23]); use https:// for other "
                    "hosts");
    snprintf(url, META_URL_MAX, "%s", full);
    return ENVELOPE_OK;
}

/* The token file, opened only if it is a regular file: a FIFO or a device
 * named by mistake would block or never end. -1 with errno, or with errno
 * 0 for a file of another type. */
static int open_token_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), err = 0;
    struct stat st;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0)
        err = errno;
    else if (S_ISREG(st.st_mode))
        return fd;
    close(fd);
    errno = err;
    return -1;
}

/* The Authorization header: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at
 * each fetch: EKS rotates it), else AWS_CONTAINER_AUTHORIZATION_TOKEN. *out
 * NULL when neither is set; else wiped and freed by the caller. */
static envelope_rc container_auth(envelope_ctx *ctx, char **out)
{
    const char *file = creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *token = creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *from = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    char buf[META_TOKEN_MAX + 2];
    size_t len = 0;
    ssize_t n = 0;
    int fd;

    *out = NULL;
    if (file) {
        if ((fd = open_token_file(file)) < 0)
            return fail(ctx, ENVELOPE_E_CREDENTIALS,
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s", file,
                        errno ? strerror(errno) : "not a regular file");
        while (len < sizeof(buf) - 1 &&
               ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
            if (n > 0)
                len += (size_t)n;
        close(fd);
        /* The token is the file's bytes: a NUL would cut it short unseen. */
        if (memchr(buf, '\0', len) != NULL) {
            OPENSSL_cleanse(buf, sizeof(buf));
            return fail(ctx, ENVELOPE_E_CREDENTIALS,
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: holds a NUL byte, not a "
                        "token", file);
        }
        buf[len] = '\0';
        /* One trailing line break, as files are written. */
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        token = buf;
        from = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
    }
    if (token == NULL)
        return ENVELOPE_OK;
    len = strlen(token);
    if (len == 0 || len > META_TOKEN_MAX || strpbrk(token, "\r\n") != NULL ||
        (file && n < 0)) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: the authorization token is empty, longer than %d bytes, or more than "
                    "one line", from, META_TOKEN_MAX);
    }
    if ((*out = malloc(sizeof(AUTH_HEADER) + len)) != NULL) {
        memcpy(*out, AUTH_HEADER, sizeof(AUTH_HEADER) - 1);
        memcpy(*out + sizeof(AUTH_HEADER) - 1, token, len + 1);
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return *out ? ENVELOPE_OK : fail(ctx, ENVELOPE_E_NOMEM, "container credentials");
}

envelope_rc creds_from_container(envelope_ctx *ctx, struct aws_creds *out, int *found)
{
    struct http_request req = {0};
    struct http_response resp;
    struct http_client *h = NULL;
    struct meta_policy p;
    char url[META_URL_MAX], what[META_URL_MAX + 64], *auth = NULL;
    envelope_rc rc;

    if ((rc = container_url(ctx, url, found)) != ENVELOPE_OK || !*found)
        return rc;
    snprintf(what, sizeof(what), "container credentials from %s", url);
    if ((rc = meta_policy(ctx, &p)) != ENVELOPE_OK ||
        (rc = container_auth(ctx, &auth)) != ENVELOPE_OK ||
        (rc = http_client_new(ctx, &h)) != ENVELOPE_OK)
        goto out;
    req.method = "GET";
    req.url = url;
    req.headers[0] = "Accept: application/json";
    req.headers[1] = auth;
    if ((rc = meta_request(ctx, h, &p, &req, &resp, 0)) != ENVELOPE_OK) {
        detail_prefix(ctx, "%s", what);
        rc = ENVELOPE_E_CREDENTIALS;
    } else if (resp.status != 200) {
        http_response_wipe(h);
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: HTTP %ld", what, resp.status);
    } else if ((rc = creds_answer(ctx, h, what, &resp, "Token", out)) == ENVELOPE_OK) {
        snprintf(out->source, sizeof(out->source), "container credentials endpoint");
    }
out:
    http_client_free(h);
    if (auth) {
        OPENSSL_cleanse(auth, strlen(auth));
        free(auth);
    }
    return rc;
}

/* ---------------------------------------------------------------- IMDSv2 */

static envelope_rc imds_base(envelope_ctx *ctx, char base[META_URL_MAX])
{
    const char *v = creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    size_t n;

    if (v == NULL) {
        snprintf(base, META_URL_MAX, "%s",
                 mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_ENDPOINT_V6 : IMDS_ENDPOINT);
        return ENVELOPE_OK;
    }
    if (!url_text_ok(v) || strlen(v) + sizeof(IMDS_ROLE_PATH) + ROLE_NAME_MAX >= META_URL_MAX ||
        (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) ||
        strchr(v + 8, '@') != NULL)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http:// or https:// URL");
    snprintf(base, META_URL_MAX, "%s", v);
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        base[--n] = '\0';
    return ENVELOPE_OK;
}

struct imds {
    envelope_ctx *ctx;
    struct http_client *h;
    struct meta_policy p;
    char base[META_URL_MAX];
    char url[META_URL_MAX + sizeof(IMDS_ROLE_PATH) + ROLE_NAME_MAX];
    char token_header[META_TOKEN_MAX + 40];
    int absent;         /* nothing answered the token request */
};

/* PUT /latest/api/token: the session token every later request carries. */
static envelope_rc imds_token(struct imds *m, char *note, size_t note_size)
{
    struct http_request req = {0};
    struct http_response resp;
    envelope_rc rc;

    snprintf(m->url, sizeof(m->url), "%s/latest/api/token", m->base);
    req.method = "PUT";
    req.url = m->url;
    req.headers[0] = "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL;
    rc = meta_request(m->ctx, m->h, &m->p, &req, &resp, 1);
    if (rc != ENVELOPE_OK && unreachable(resp.curl_code)) {
        snprintf(note, note_size, "no instance metadata (IMDSv2) at %s",
                 envelope_ctx_detail(m->ctx));
        m->absent = 1;
        return ENVELOPE_OK;
    }
    if (rc != ENVELOPE_OK)
        return rc;
    if (resp.status != 200 || resp.len == 0 || resp.len > META_TOKEN_MAX ||
        !url_text_ok((const char *)resp.body)) {
        long status = resp.status;

        http_response_wipe(m->h);
        return fail(m->ctx, ENVELOPE_E_CREDENTIALS, "%s: HTTP %ld%s", m->url, status,
                    status == 200 ? " with no usable token" : "");
    }
    snprintf(m->token_header, sizeof(m->token_header), "X-aws-ec2-metadata-token: %s",
             (const char *)resp.body);
    http_response_wipe(m->h);
    return ENVELOPE_OK;
}

static envelope_rc imds_get(struct imds *m, const char *path, struct http_response *resp)
{
    struct http_request req = {0};

    snprintf(m->url, sizeof(m->url), "%s%s", m->base, path);
    req.method = "GET";
    req.url = m->url;
    req.headers[0] = m->token_header;
    return meta_request(m->ctx, m->h, &m->p, &req, resp, 0);
}

/* The length of the first line of an answer's len bytes. */
static size_t first_line_len(const uint8_t *p, size_t len)
{
    size_t n = 0;

    while (n < len && p[n] != '\r' && p[n] != '\n')
        n++;
    return n;
}

/* IAM role name characters, byte by byte: a NUL is none of them. */
static int is_role_name(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\0' || strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789+=,.@_-", p[i]) == NULL)
            return 0;
    return 1;
}

/* The instance's role: the first line of the listing. */
static envelope_rc imds_role(struct imds *m, char role[ROLE_NAME_MAX + 1])
{
    struct http_response resp;
    envelope_rc rc = imds_get(m, IMDS_ROLE_PATH, &resp);
    size_t n;

    if (rc != ENVELOPE_OK)
        return rc;
    n = first_line_len(resp.body, resp.len);
    if (resp.status == 404)
        rc = fail(m->ctx, ENVELOPE_E_CREDENTIALS, "%s: no IAM role attached to the instance",
                  m->url);
    else if (resp.status != 200)
        rc = fail(m->ctx, ENVELOPE_E_CREDENTIALS, "%s: HTTP %ld", m->url, resp.status);
    else if (n == 0 || n > ROLE_NAME_MAX || !is_role_name(resp.body, n))
        rc = fail(m->ctx, ENVELOPE_E_CREDENTIALS, "%s: not a role name", m->url);
    else
        memcpy(role, resp.body, n), role[n] = '\0';
    http_response_wipe(m->h);
    return rc;
}

static envelope_rc imds_fetch(struct imds *m, struct aws_creds *out, int *found, char *note,
                              size_t note_size)
{
    char role[ROLE_NAME_MAX + 1], path[sizeof(IMDS_ROLE_PATH) + ROLE_NAME_MAX];
    char what[sizeof(m->url) + 32];
    struct http_response resp;
    envelope_rc rc;

    if ((rc = imds_token(m, note, note_size)) != ENVELOPE_OK || m->absent ||
        (rc = imds_role(m, role)) != ENVELOPE_OK)
        return rc;
    snprintf(path, sizeof(path), IMDS_ROLE_PATH "%s", role);
    if ((rc = imds_get(m, path, &resp)) != ENVELOPE_OK)
        return rc;
    snprintf(what, sizeof(what), "instance metadata %s", m->url);
    if (resp.status != 200) {
        http_response_wipe(m->h);
        return fail(m->ctx, ENVELOPE_E_CREDENTIALS, "%s: HTTP %ld", what, resp.status);
    }
    if ((rc = creds_answer(m->ctx, m->h, what, &resp, "Token", out)) != ENVELOPE_OK)
        return rc;
    snprintf(out->source, sizeof(out->source), "instance metadata (IMDSv2), role %s", role);
    *found = 1;
    return ENVELOPE_OK;
}

envelope_rc creds_from_imds(envelope_ctx *ctx, struct aws_creds *out, int *found, char *note,
                            size_t note_size)
{
    struct imds *m;
    envelope_rc rc;

    *found = 0;
    if (creds_env_true("AWS_EC2_METADATA_DISABLED"))
        return ENVELOPE_OK;
    if ((m = calloc(1, sizeof(*m))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "instance metadata");
    m->ctx = ctx;
    if ((rc = imds_base(ctx, m->base)) == ENVELOPE_OK &&
        (rc = meta_policy(ctx, &m->p)) == ENVELOPE_OK &&
        (rc = http_client_new(ctx, &m->h)) == ENVELOPE_OK)
        rc = imds_fetch(m, out, found, note, note_size);
    if (rc == ENVELOPE_E_NETWORK || rc == ENVELOPE_E_TLS || rc == ENVELOPE_E_TIMEOUT ||
        rc == ENVELOPE_E_KMS_BAD_RESPONSE) {
        detail_prefix(ctx, "instance metadata (IMDSv2)");
        rc = ENVELOPE_E_CREDENTIALS;
    }
    http_client_free(m->h);
    OPENSSL_cleanse(m, sizeof(*m));
    free(m);
    return rc;
}
