/* What an awskms:// reference says: an endpoint host and port, or none,
 * and a key ID, alias or ARN (docs/KEYS.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "aws/creds.h"
#include "aws/kms.h"

#define KMS_SCHEME "awskms://"
#define KMS_SCHEME_LEN 9
#define ALIAS_NAME_MAX 250
#define KEY_ID_MAX 64

static int all_in(const char *s, size_t len, const char *set)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || strchr(set, s[i]) == NULL)
            return 0;
    return 1;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static int valid_alias(const char *name, size_t len)
{
    return len >= 1 && len <= ALIAS_NAME_MAX && all_in(name, len, ALNUM "/_-");
}

/* A key id: a UUID, or "mrk-" and hex for multi-Region keys. */
static int valid_key_id(const char *s, size_t len)
{
    return len >= 1 && len <= KEY_ID_MAX && all_in(s, len, ALNUM "-");
}

/* arn:PARTITION:kms:REGION:ACCOUNT:key/ID or ...:alias/NAME */
static int parse_arn(const char *s, struct kms_ref *out)
{
    const char *f[6];
    size_t n[6];
    const char *p = s;

    for (int i = 0; i < 6; i++) {
        const char *colon = i < 5 ? strchr(p, ':') : p + strlen(p);

        if (colon == NULL)
            return -1;
        f[i] = p;
        n[i] = (size_t)(colon - p);
        p = colon + (i < 5);
    }
    if (n[0] != 3 || memcmp(f[0], "arn", 3) != 0 || n[1] < 3 || n[1] > 32 ||
        !all_in(f[1], n[1], "abcdefghijklmnopqrstuvwxyz-") || n[2] != 3 ||
        memcmp(f[2], "kms", 3) != 0 || !region_is_valid(f[3], n[3]) || n[4] != 12 ||
        !all_in(f[4], n[4], "0123456789"))
        return -1;
    if (n[5] > 4 && memcmp(f[5], "key/", 4) == 0 && valid_key_id(f[5] + 4, n[5] - 4))
        out->is_key_arn = 1;
    else if (!(n[5] > 6 && memcmp(f[5], "alias/", 6) == 0 && valid_alias(f[5] + 6, n[5] - 6)))
        return -1;
    memcpy(out->region, f[3], n[3]);
    out->region[n[3]] = '\0';
    return 0;
}

static int parse_key(const char *key, struct kms_ref *out)
{
    size_t len = strlen(key);

    if (len == 0 || len > KMS_KEY_ID_MAX)
        return -1;
    if (strncmp(key, "arn:", 4) == 0) {
        if (parse_arn(key, out) != 0)
            return -1;
    } else if (strncmp(key, "alias/", 6) == 0) {
        if (!valid_alias(key + 6, len - 6))
            return -1;
    } else if (!valid_key_id(key, len)) {
        return -1;
    }
    memcpy(out->key_id, key, len + 1);
    return 0;
}

/* HOST, HOST:PORT, [IPv6] or [IPv6]:PORT */
static int parse_authority(const char *a, size_t len, struct kms_ref *out)
{
    const char *port = NULL;
    size_t host_len = len;
    char *end;
    unsigned long v;

    if (len > 0 && a[0] == '[') {
        const char *close = memchr(a, ']', len);

        if (close == NULL || close == a + 1 || !all_in(a + 1, (size_t)(close - a - 1), "0123456789abcdefABCDEF:."))
            return -1;
        host_len = (size_t)(close - a) + 1;
        if (host_len < len) {
            if (a[host_len] != ':')
                return -1;
            port = a + host_len + 1;
        }
    } else {
        const char *colon = memchr(a, ':', len);

        if (colon) {
            host_len = (size_t)(colon - a);
            port = colon + 1;
        }
        if (host_len == 0 || !all_in(a, host_len, ALNUM ".-"))
            return -1;
    }
    if (host_len > KMS_HOST_MAX)
        return -1;
    if (port) {
        size_t plen = len - (size_t)(port - a);

        if (plen == 0 || plen > 5 || !all_in(port, plen, "0123456789"))
            return -1;
        v = strtoul(port, &end, 10);
        if (v == 0 || v > 65535)
            return -1;
        out->port = (unsigned)v;
    }
    memcpy(out->host, a, host_len);
    out->host[host_len] = '\0';
    return 0;
}

envelope_rc kms_ref_parse(envelope_ctx *ctx, const char *ref, struct kms_ref *out)
{
    const char *rest = ref + KMS_SCHEME_LEN, *slash;
    size_t alen;

    memset(out, 0, sizeof(*out));
    if (strncmp(ref, KMS_SCHEME, KMS_SCHEME_LEN) != 0 || (slash = strchr(rest, '/')) == NULL)
        return fail(ctx, ENVELOPE_E_KEY_REF,
                    "%.300s: expected awskms:///KEY or awskms://HOST[:PORT]/KEY", ref);
    alen = (size_t)(slash - rest);
    if ((alen == 5 && memcmp(rest, "alias", 5) == 0) || strncmp(rest, "arn:", 4) == 0)
        return fail(ctx, ENVELOPE_E_KEY_REF,
                    "%.300s: the part after awskms:// names a host; for a key in the "
                    "default endpoint write awskms:///%.260s (three slashes)",
                    ref, rest);
    if (alen > 0 && parse_authority(rest, alen, out) != 0)
        return fail(ctx, ENVELOPE_E_KEY_REF, "%.300s: bad host or port '%.*s'", ref,
                    (int)(alen > 260 ? 260 : alen), rest);
    if (parse_key(slash + 1, out) != 0)
        return fail(ctx, ENVELOPE_E_KEY_REF,
                    "%.300s: the key must be a key id, alias/NAME, or a key or alias ARN "
                    "(arn:aws:kms:REGION:ACCOUNT:key/ID)",
                    ref);
    return ENVELOPE_OK;
}
