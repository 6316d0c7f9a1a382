/* The STS client (sts.h): where STS is, the two requests, and their XML
 * answers. Every answer may hold a secret key and a session token, and a
 * web identity request holds the token: request bodies, the HTTP buffer and
 * the parsed document's text are wiped after use. */
#include "sts.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "sts_cache.h"
#include "xml_dl.h"

#define STS_VERSION "2011-06-15"
#define FORM_TYPE "Content-Type: application/x-www-form-urlencoded; charset=utf-8"
#define TOKEN_PREFIX "X-Amz-Security-Token: "
#define STS_MESSAGE_MAX 400
#define FORM_MAX (3 * (ROLE_ARN_MAX + WEB_TOKEN_MAX + EXTERNAL_ID_MAX) + 512)

/* ------------------------------------------------------------- endpoints */

/* The regions where STS has a FIPS host of its own; GovCloud's ordinary
 * hosts are FIPS already. */
static const char *const fips_own_host[] = {"us-east-1", "us-east-2", "us-west-1", "us-west-2"};
static const char *const fips_already[] = {"us-gov-east-1", "us-gov-west-1"};

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

int sts_default_host(const char *region, int fips, char *out, size_t size)
{
    const char *domain = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
    const char *service = "sts";

    if (fips) {
        if (in_list(region, fips_own_host, sizeof(fips_own_host) / sizeof(fips_own_host[0])))
            service = "sts-fips";
        else if (!in_list(region, fips_already, sizeof(fips_already) / sizeof(fips_already[0])))
            return -1;
    }
    snprintf(out, size, "%s.%s.%s", service, region, domain);
    return 0;
}

static envelope_rc place_region(envelope_ctx *ctx, const char *hint, struct sts_place *out)
{
    envelope_rc rc;

    if ((rc = creds_region(ctx, out->region)) != ENVELOPE_OK)
        return rc;
    if (out->region[0] == '\0' && hint && region_is_valid(hint, strlen(hint)))
        memcpy(out->region, hint, strlen(hint) + 1);
    if (out->region[0] == '\0')
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "no AWS region to reach STS in: set AWS_REGION (or region in the "
                    "profile), or name the KMS key by its ARN");
    return ENVELOPE_OK;
}

envelope_rc sts_place_resolve(envelope_ctx *ctx, const char *profile_url,
                              const char *profile_fips, const char *region_hint,
                              struct sts_place *out)
{
    static const char *const names[] = {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"};
    char authority[KMS_HOST_MAX + 16], host[KMS_HOST_MAX + 1];
    const char *fips_var = creds_env("AWS_USE_FIPS_ENDPOINT");
    int fips, http;
    envelope_rc rc;

    memset(out, 0, sizeof(*out));
    if ((rc = place_region(ctx, region_hint, out)) != ENVELOPE_OK)
        return rc;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = creds_env(names[i]);

        if (v == NULL)
            continue;
        if ((rc = kms_endpoint_parse(ctx, ENVELOPE_E_CREDENTIALS, names[i], v, &http,
                                     authority, sizeof(authority))) != ENVELOPE_OK)
            return rc;
        goto url;
    }
    if (profile_url) {
        if ((rc = kms_endpoint_parse(ctx, ENVELOPE_E_CREDENTIALS, "endpoint_url in the profile",
                                     profile_url, &http, authority, sizeof(authority))) !=
            ENVELOPE_OK)
            return rc;
        goto url;
    }
    fips = fips_var ? strcasecmp(fips_var, "true") == 0
                    : profile_fips && strcasecmp(profile_fips, "true") == 0;
    if (sts_default_host(out->region, fips, host, sizeof(host)) != 0)
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "STS has no FIPS endpoint in %s (only us-east-1, us-east-2, us-west-1, "
                    "us-west-2, us-gov-east-1, us-gov-west-1): set AWS_ENDPOINT_URL_STS, or "
                    "turn FIPS off",
                    out->region);
    snprintf(authority, sizeof(authority), "%s", host);
    http = 0;
url:
    out->allow_http = http;
    snprintf(out->url, sizeof(out->url), "%s://%s/", http ? "http" : "https", authority);
    return ENVELOPE_OK;
}

/* ---------------------------------------------------------- the request */

static int all_of(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return 0;
    return 1;
}

/* STS's own rules for each parameter. */
envelope_rc sts_role_check(envelope_ctx *ctx, const struct sts_role *r)
{
    size_t n = strlen(r->role_arn);

    if (n < 20 || n > ROLE_ARN_MAX || strncmp(r->role_arn, "arn:", 4) != 0 ||
        !all_of(r->role_arn, "_+=,.@:/-"))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: role_arn = %.200s is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                    r->source, r->role_arn);
    n = r->session_name ? strlen(r->session_name) : 2;
    if (n < 2 || n > SESSION_NAME_MAX || (r->session_name && !all_of(r->session_name, "_+=,.@-")))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: the role session name is not one (2 to %d of A-Z a-z 0-9 _+=,.@-)",
                    r->source, SESSION_NAME_MAX);
    n = r->external_id ? strlen(r->external_id) : 2;
    if (n < 2 || n > EXTERNAL_ID_MAX || (r->external_id && !all_of(r->external_id, "_+=,.@:/-")))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: external_id is not one (2 to %d of A-Z a-z 0-9 _+=,.@:/-)", r->source,
                    EXTERNAL_ID_MAX);
    if (r->duration && (r->duration < DURATION_MIN || r->duration > DURATION_MAX))
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: duration_seconds must be from %d to %d", r->source, DURATION_MIN,
                    DURATION_MAX);
    return ENVELOPE_OK;
}

/* The form body, grown in place: never reallocated, so the token it may
 * hold leaves no stale copy behind. */
struct form {
    char *p;
    size_t len;
    int full;
};

static void form_raw(struct form *f, const char *s)
{
    size_t n = strlen(s);

    if (f->full || n > FORM_MAX - f->len) {
        f->full = 1;
        return;
    }
    memcpy(f->p + f->len, s, n);
    f->len += n;
}

static void form_add(struct form *f, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    char enc[4];

    form_raw(f, f->len ? "&" : "");
    form_raw(f, name);
    form_raw(f, "=");
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        if ((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
            strchr("-_.~", *v)) {
            enc[0] = (char)*v;
            enc[1] = '\0';
        } else {
            enc[0] = '%';
            enc[1] = hex[*v >> 4];
            enc[2] = hex[*v & 15];
            enc[3] = '\0';
        }
        form_raw(f, enc);
    }
}

static void form_free(struct form *f)
{
    if (f->p) {
        OPENSSL_cleanse(f->p, f->len);
        free(f->p);
    }
    memset(f, 0, sizeof(*f));
}

static envelope_rc form_role(envelope_ctx *ctx, const char *action, const struct sts_role *r,
                             const char *token, struct form *f)
{
    char session[SESSION_NAME_MAX + 1], duration[24];

    memset(f, 0, sizeof(*f));
    if ((f->p = malloc(FORM_MAX)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "STS request");
    /* Like the SDKs' default, a name that says who and when. */
    if (r->session_name)
        snprintf(session, sizeof(session), "%s", r->session_name);
    else
        snprintf(session, sizeof(session), "libenvelope-session-%lld", (long long)time(NULL));
    form_add(f, "Action", action);
    form_add(f, "Version", STS_VERSION);
    form_add(f, "RoleArn", r->role_arn);
    form_add(f, "RoleSessionName", session);
    if (r->external_id)
        form_add(f, "ExternalId", r->external_id);
    if (r->duration) {
        snprintf(duration, sizeof(duration), "%lu", r->duration);
        form_add(f, "DurationSeconds", duration);
    }
    if (token)
        form_add(f, "WebIdentityToken", token);
    if (f->full) {
        form_free(f);
        return fail(ctx, ENVELOPE_E_INTERNAL, "STS request too long");
    }
    return ENVELOPE_OK;
}

/* ------------------------------------------------------------- the answer */

/* The one element child named name: NULL when there is none or several. */
static const xmlNode *child(const xmlNode *n, const char *name)
{
    const xmlNode *found = NULL;

    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
            continue;
        if (found)
            return NULL;
        found = c;
    }
    return found;
}

/* The element's text, surrounding white space trimmed, into out: -1 when
 * it holds an element or is longer than cap - 1. */
static int text_of(const xmlNode *n, char *out, size_t cap, size_t *len)
{
    size_t j = 0, start = 0;

    for (const xmlNode *c = n->children; c; c = c->next) {
        size_t k;

        if (c->type == XML_ELEMENT_NODE)
            return -1;
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        k = strlen((const char *)c->content);
        if (k >= cap - j)
            return -1;
        memcpy(out + j, c->content, k);
        j += k;
    }
    while (j > 0 && strchr(" \t\r\n", out[j - 1]))
        j--;
    out[j] = '\0';
    while (start < j && strchr(" \t\r\n", out[start]))
        start++;
    memmove(out, out + start, j - start + 1);
    *len = j - start;
    return 0;
}

/* The whole document's text wiped: libxml2 frees without wiping. With
 * XML_PARSE_NODICT no text is shared through a dictionary. */
static void wipe_tree(xmlNode *n, int depth)
{
    for (; n && depth < 1024; n = n->next) {
        if (n->content)
            OPENSSL_cleanse(n->content, strlen((const char *)n->content));
        if (n->type == XML_ELEMENT_NODE)
            wipe_tree(n->children, depth + 1);
    }
}

static const xmlNode *root_of(const xmlDoc *doc)
{
    for (const xmlNode *c = doc->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

/* Printable ASCII, bounded, up to the first line break, with the secrets
 * starred out: STS's words reach the caller's terminal. */
static void clean_text(const char *s, char *out, size_t cap, const char *const *redact)
{
    size_t j = 0;

    for (size_t i = 0; s[i] && s[i] != '\n' && s[i] != '\r' && j + 1 < cap; i++)
        out[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[j] = '\0';
    for (size_t r = 0; redact && redact[r]; r++) {
        size_t n = strlen(redact[r]);
        char *p = out;

        while (n >= 8 && (p = strstr(p, redact[r])) != NULL) {
            memset(p, '*', n);
            p += n;
        }
    }
}

envelope_rc sts_error_code(const char *code, long status)
{
    static const char *const throttling[] = {"Throttling", "ThrottlingException",
                                             "RequestLimitExceeded", "TooManyRequestsException"};

    for (size_t i = 0; code && i < sizeof(throttling) / sizeof(throttling[0]); i++)
        if (strcmp(code, throttling[i]) == 0)
            return ENVELOPE_E_KMS_THROTTLED;
    if ((code && strcmp(code, "IDPCommunicationError") == 0) || status >= 500)
        return ENVELOPE_E_KMS_UNAVAILABLE;
    /* AccessDenied, ExpiredToken, InvalidIdentityToken, IDPRejectedClaim,
     * RegionDisabledException, InvalidClientTokenId, ...: these
     * credentials cannot be had. */
    return ENVELOPE_E_CREDENTIALS;
}

int sts_retryable(envelope_rc rc, const char *code, long status)
{
    if (rc == ENVELOPE_E_NETWORK || rc == ENVELOPE_E_TIMEOUT)
        return 1;
    if (rc == ENVELOPE_E_TLS || rc == ENVELOPE_E_NOMEM || rc == ENVELOPE_E_INTERNAL ||
        rc == ENVELOPE_E_UNSUPPORTED || status == 0)
        return 0;
    return sts_error_code(code, status) != ENVELOPE_E_CREDENTIALS;
}

static envelope_rc read_error(envelope_ctx *ctx, const char *what, long status,
                              const xmlNode *root, const char *const *redact,
                              char code[STS_CODE_MAX])
{
    const xmlNode *err = root && strcmp((const char *)root->name, "ErrorResponse") == 0
                             ? child(root, "Error")
                             : NULL;
    const xmlNode *c = child(err, "Code"), *m = child(err, "Message");
    char raw[4 * STS_MESSAGE_MAX], message[STS_MESSAGE_MAX + 1];
    size_t len;

    message[0] = '\0';
    if (c == NULL || text_of(c, raw, STS_CODE_MAX, &len) != 0 || len == 0)
        return fail(ctx, sts_error_code(NULL, status), "%s: HTTP %ld without an STS error",
                    what, status);
    clean_text(raw, code, STS_CODE_MAX, redact);
    if (m && text_of(m, raw, sizeof(raw), &len) == 0)
        clean_text(raw, message, sizeof(message), redact);
    return fail(ctx, sts_error_code(code, status), "%s: %s%s%s", what, code,
                message[0] ? ": " : "", message);
}

/* AccessKeyId, SecretAccessKey, SessionToken, Expiration of the answer's
 * Credentials element. */
static envelope_rc read_creds(envelope_ctx *ctx, const char *what, const char *action,
                              const xmlNode *root, struct aws_creds *out)
{
    char name[64], id[ACCESS_KEY_ID_MAX + 1], secret[SECRET_KEY_MAX + 1];
    char token[SESSION_TOKEN_MAX + 1], exp[64];
    size_t id_len, secret_len, token_len, exp_len;
    const xmlNode *creds, *n[4];
    envelope_rc rc = ENVELOPE_E_CREDENTIALS;
    time_t expiration;

    snprintf(name, sizeof(name), "%sResponse", action);
    if (strcmp((const char *)root->name, name) != 0)
        return fail(ctx, rc, "%s: the answer is <%.40s>, not <%s>", what,
                    (const char *)root->name, name);
    snprintf(name, sizeof(name), "%sResult", action);
    if ((creds = child(child(root, name), "Credentials")) == NULL)
        return fail(ctx, rc, "%s: the answer has no single %s/Credentials", what, name);
    n[0] = child(creds, "AccessKeyId");
    n[1] = child(creds, "SecretAccessKey");
    n[2] = child(creds, "SessionToken");
    n[3] = child(creds, "Expiration");
    if (!n[0] || !n[1] || !n[2] || !n[3])
        return fail(ctx, rc, "%s: the answer's Credentials have no single %s", what,
                    !n[0] ? "AccessKeyId" : !n[1] ? "SecretAccessKey"
                                          : !n[2] ? "SessionToken" : "Expiration");
    if (text_of(n[0], id, sizeof(id), &id_len) != 0 ||
        text_of(n[1], secret, sizeof(secret), &secret_len) != 0 ||
        text_of(n[2], token, sizeof(token), &token_len) != 0)
        rc = fail(ctx, rc, "%s: the answer's credentials are not text of the expected size",
                  what);
    else if (text_of(n[3], exp, sizeof(exp), &exp_len) != 0 ||
             creds_parse_time(exp, exp_len, &expiration) != 0)
        rc = fail(ctx, rc, "%s: Expiration is not an RFC 3339 time (2024-05-01T12:00:00Z)",
                  what);
    else if ((rc = creds_set(ctx, what, id, id_len, secret, secret_len, token, token_len,
                             out)) == ENVELOPE_OK)
        out->expiration = expiration;
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(token, sizeof(token));
    return rc;
}

envelope_rc sts_parse_answer(envelope_ctx *ctx, const char *what, const char *action,
                             long status, const uint8_t *body, size_t len,
                             const char *const *redact, struct aws_creds *out,
                             char code[STS_CODE_MAX])
{
    /* No network, no entities substituted, no external DTD, no reports. */
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                        XML_PARSE_NODICT;
    const struct xml_api *x;
    const xmlNode *root;
    xmlDoc *doc;
    envelope_rc rc;

    memset(out, 0, sizeof(*out));
    code[0] = '\0';
    if (len > STS_ANSWER_MAX)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: answer larger than %d bytes", what,
                    STS_ANSWER_MAX);
    if ((rc = xml_dl_get(ctx, &x)) != ENVELOPE_OK)
        return rc;
    if ((doc = x->read_memory((const char *)body, (int)len, NULL, NULL, options)) == NULL)
        return fail(ctx, status == 200 ? ENVELOPE_E_CREDENTIALS : sts_error_code(NULL, status),
                    "%s: the answer (HTTP %ld, %zu bytes) is not well-formed XML", what, status,
                    len);
    root = root_of(doc);
    if (doc->intSubset || doc->extSubset)
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the answer holds a DTD, which STS never "
                                               "sends", what);
    else if (root == NULL)
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the answer has no element", what);
    else if (status != 200)
        rc = read_error(ctx, what, status, root, redact, code);
    else
        rc = read_creds(ctx, what, action, root, out);
    wipe_tree(doc->children, 0);
    x->free_doc(doc);
    return rc;
}

/* ------------------------------------------------------------ the exchange */

static uint32_t random32(void)
{
    uint32_t r = 0;

    /* The jitter needs no secrecy; a failed RAND_bytes waits the least. */
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = 0;
    return r;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps the backoff before attempt n + 1: 0 (and no sleep) when the wait
 * would not leave time for it before the deadline. */
static int backoff(unsigned n, envelope_rc rc, long long deadline)
{
    enum kms_retry kind = rc == ENVELOPE_E_KMS_THROTTLED ? KMS_RETRY_THROTTLED
                                                         : KMS_RETRY_TRANSIENT;
    unsigned long wait = kms_backoff_ms(n, kind, random32());
    struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L};

    if (now_ms() + (long long)wait >= deadline)
        return 0;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 1;
}

struct exchange {
    const struct sts_place *where;
    const char *action;
    const char *what;                /* "STS AssumeRole ROLE (SOURCE)" */
    const struct aws_creds *src;     /* NULL: unsigned */
    const char *redact[4];
};

static envelope_rc token_header(envelope_ctx *ctx, const struct aws_creds *src, char **out)
{
    size_t n;

    *out = NULL;
    if (src == NULL || src->session_token == NULL)
        return ENVELOPE_OK;
    n = strlen(TOKEN_PREFIX) + strlen(src->session_token) + 1;
    if ((*out = malloc(n)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "STS request");
    snprintf(*out, n, TOKEN_PREFIX "%s", src->session_token);
    return ENVELOPE_OK;
}

/* The request with the KMS settings' attempts and deadline. */
static envelope_rc exchange(envelope_ctx *ctx, const struct exchange *e, const struct form *f,
                            struct aws_creds *out)
{
    struct http_request req = {0};
    struct http_response resp;
    struct http_client *h = NULL;
    struct kms_settings set;
    char sigv4[64 + REGION_MAX], code[STS_CODE_MAX], *token = NULL;
    long long deadline, left;
    envelope_rc rc;
    unsigned n = 0;

    if ((rc = kms_settings(ctx, ctx->kms, &set)) != ENVELOPE_OK ||
        (rc = token_header(ctx, e->src, &token)) != ENVELOPE_OK ||
        (rc = http_client_new(ctx, &h)) != ENVELOPE_OK)
        goto out;
    if (e->src && (rc = http_client_set_auth(ctx, h, e->src->access_key_id,
                                             e->src->secret_access_key)) != ENVELOPE_OK)
        goto out;
    snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:sts", e->where->region);
    req.url = e->where->url;
    req.allow_http = e->where->allow_http;
    req.sigv4 = e->src ? sigv4 : NULL;
    req.headers[0] = FORM_TYPE;
    req.headers[1] = token;
    req.body = (const uint8_t *)f->p;
    req.body_len = f->len;
    deadline = now_ms() + (long long)set.total_ms;
    for (;;) {
        left = deadline - now_ms();
        req.timeout_ms = left > 0 ? (long)left : 1;
        req.connect_ms = (long)set.connect_ms < req.timeout_ms ? (long)set.connect_ms
                                                               : req.timeout_ms;
        n++;
        code[0] = '\0';
        if ((rc = http_send(ctx, h, &req, &resp)) != ENVELOPE_OK)
            detail_prefix(ctx, "%s", e->what);
        else
            rc = sts_parse_answer(ctx, e->what, e->action, resp.status, resp.body, resp.len,
                                  e->redact, out, code);
        http_response_wipe(h);
        if (rc == ENVELOPE_OK || !sts_retryable(rc, code, resp.status) ||
            n >= set.max_attempts || !backoff(n, rc, deadline))
            break;
    }
out:
    http_client_free(h);
    if (token) {
        OPENSSL_cleanse(token, strlen(token));
        free(token);
    }
    return rc;
}

/* One request as the cache sees it. */
struct request {
    const struct sts_place *where;
    const struct sts_role *r;
    const char *action;
    const struct aws_creds *src;    /* AssumeRole's signer */
    const char *token_file;         /* AssumeRoleWithWebIdentity's token */
};

/* The token file, read whole each time: the kubelet rotates it. Trailing
 * line breaks are not part of the token. */
static envelope_rc read_token(envelope_ctx *ctx, const char *source, const char *path,
                              char **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    size_t len = 0;
    ssize_t n = 0;
    char *buf;

    *out = NULL;
    if (fd < 0)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: cannot read the web identity token "
                                                 "file %.300s: %s", source, path,
                    strerror(errno));
    if ((buf = malloc(WEB_TOKEN_MAX + 2)) == NULL) {
        close(fd);
        return fail(ctx, ENVELOPE_E_NOMEM, "web identity token");
    }
    while (len <= WEB_TOKEN_MAX &&
           ((n = read(fd, buf + len, WEB_TOKEN_MAX + 1 - len)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0)
            len += (size_t)n;
    close(fd);
    while (len > 0 && len <= WEB_TOKEN_MAX && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    buf[len] = '\0';
    if (n < 0 || len == 0 || len > WEB_TOKEN_MAX || strlen(buf) != len) {
        OPENSSL_cleanse(buf, WEB_TOKEN_MAX + 2);
        free(buf);
        return fail(ctx, ENVELOPE_E_CREDENTIALS,
                    "%s: the web identity token file %.300s %s", source, path,
                    n < 0 ? "could not be read" : len == 0 ? "is empty"
                                                : "is not a token (at most 20000 bytes)");
    }
    *out = buf;
    return ENVELOPE_OK;
}

/* The STS call itself (the cache's fetch): the token file read now. */
static envelope_rc fetch(envelope_ctx *ctx, void *arg, struct aws_creds *out)
{
    const struct request *q = arg;
    struct exchange e = {q->where, q->action, NULL, q->src, {NULL}};
    char what[CREDS_SOURCE_MAX + ROLE_ARN_MAX + 64], *token = NULL;
    struct form f = {0};
    envelope_rc rc;
    size_t i = 0;

    snprintf(what, sizeof(what), "STS %s %s (%s)", q->action, q->r->role_arn, q->r->source);
    e.what = what;
    if (q->src) {
        e.redact[i++] = q->src->secret_access_key;
        if (q->src->session_token)
            e.redact[i++] = q->src->session_token;
    }
    if (q->token_file &&
        (rc = read_token(ctx, q->r->source, q->token_file, &token)) != ENVELOPE_OK)
        return rc;
    e.redact[i++] = token;
    if ((rc = form_role(ctx, q->action, q->r, token, &f)) == ENVELOPE_OK &&
        (rc = exchange(ctx, &e, &f, out)) == ENVELOPE_OK) {
        out->refreshable = 1;
        snprintf(out->source, sizeof(out->source), "role %.120s (%.60s)", q->r->role_arn,
                 q->r->source);
    }
    form_free(&f);
    if (token) {
        OPENSSL_cleanse(token, strlen(token));
        free(token);
    }
    return rc;
}

/* Through the process's cache: a request made of the same parts is answered
 * from it while its credentials are fresh. */
static envelope_rc assume(envelope_ctx *ctx, const struct request *q, struct aws_creds *out)
{
    char duration[24];
    struct sts_cache_key key;
    envelope_rc rc;
    const char *parts[] = {
        q->action, q->where->url, q->where->region, q->r->role_arn, q->r->session_name,
        q->r->external_id, duration, q->r->source, q->token_file,
        q->src ? q->src->access_key_id : NULL, q->src ? q->src->secret_access_key : NULL,
        q->src ? q->src->session_token : NULL};

    memset(out, 0, sizeof(*out));
    if ((rc = sts_role_check(ctx, q->r)) != ENVELOPE_OK)
        return rc;
    snprintf(duration, sizeof(duration), "%lu", q->r->duration);
    sts_cache_key(&key, parts, sizeof(parts) / sizeof(parts[0]));
    return sts_cache_get(ctx, &key, fetch, (void *)q, out);
}

envelope_rc sts_assume_role(envelope_ctx *ctx, const struct sts_place *where,
                            const struct sts_role *r, const struct aws_creds *src,
                            struct aws_creds *out)
{
    const struct request q = {where, r, "AssumeRole", src, NULL};

    return assume(ctx, &q, out);
}

envelope_rc sts_assume_role_web_identity(envelope_ctx *ctx, const struct sts_place *where,
                                         const struct sts_role *r, const char *token_file,
                                         struct aws_creds *out)
{
    const struct request q = {where, r, "AssumeRoleWithWebIdentity", NULL, token_file};

    return assume(ctx, &q, out);
}
