/* The STS client (sts.h): where STS is, and the two requests (their
 * answers are read by sts_xml.c). Every answer may hold a secret key and a
 * session token, and a web identity request holds the token: request
 * bodies, the token's buffer and the HTTP buffer are wiped after use. */
#include "aws/sts.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/context.h"
#include "aws/sts_cache.h"

#define STS_VERSION "2011-06-15"
#define FORM_TYPE "Content-Type: application/x-www-form-urlencoded; charset=utf-8"
#define TOKEN_PREFIX "X-Amz-Security-Token: "
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

    if ((rc = region_resolve(ctx, out->region)) != ENVELOPE_OK)
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

    if ((rc = kms_settings(ctx, kms_client_of(ctx), &set)) != ENVELOPE_OK ||
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
        if ((rc = http_send(ctx, h, &req, &resp)) != ENVELOPE_OK) {
            /* Past the HTTP layer's cap, which is KMS's code there: an STS
             * answer that cannot be read is CREDENTIALS (sts.h). */
            if (rc == ENVELOPE_E_KMS_BAD_RESPONSE)
                rc = ENVELOPE_E_CREDENTIALS;
            detail_prefix(ctx, "%s", e->what);
        } else {
            rc = sts_parse_answer(ctx, e->what, e->action, resp.status, resp.body, resp.len,
                                  e->redact, out, code);
        }
        http_response_wipe(h);
        if (rc == ENVELOPE_OK || !sts_retryable(rc, code, resp.status) ||
            n >= set.max_attempts || !backoff(n, rc, deadline))
            break;
    }
    if (rc != ENVELOPE_OK && n > 1) {
        size_t used = strlen(ctx->detail);

        snprintf(ctx->detail + used, sizeof(ctx->detail) - used, " (%u attempts)", n);
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
 * line breaks are not part of the token. Only a regular file is read (a
 * FIFO or a device named by mistake would block or never end). */
static envelope_rc read_token(envelope_ctx *ctx, const char *source, const char *path,
                              char **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    size_t len = 0;
    ssize_t n = 0;
    struct stat st;
    char *buf;

    *out = NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int err = fd < 0 ? errno : 0;

        if (fd >= 0)
            close(fd);
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: cannot read the web identity token "
                                                 "file %.300s: %s", source, path,
                    err ? strerror(err) : "not a regular file");
    }
    /* Room for the longest token, CR LF, and the byte that shows it is longer. */
    if ((buf = malloc(WEB_TOKEN_MAX + 4)) == NULL) {
        close(fd);
        return fail(ctx, ENVELOPE_E_NOMEM, "web identity token");
    }
    while (len <= WEB_TOKEN_MAX + 2 &&
           ((n = read(fd, buf + len, WEB_TOKEN_MAX + 3 - len)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0)
            len += (size_t)n;
    close(fd);
    while (len > 0 && len <= WEB_TOKEN_MAX + 2 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    buf[len] = '\0';
    if (n < 0 || len == 0 || len > WEB_TOKEN_MAX || strlen(buf) != len) {
        OPENSSL_cleanse(buf, WEB_TOKEN_MAX + 4);
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
