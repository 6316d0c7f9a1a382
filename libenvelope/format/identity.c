/* Key identities (docs/FORMAT.md, "Key identities") and message names
 * ("Inner archive"): what the manifest and the stanza labels may hold. */
#include <stdio.h>
#include <string.h>

#include "format/format.h"
#include "base/text.h"

static const char *skip_utf8(const unsigned char *p, const unsigned char *end)
{
    uint32_t cp;
    size_t n = utf8_decode(p, end, &cp);

    return n ? (const char *)p + n : NULL;
}

int message_name_check(const char *name, size_t len, const char **why)
{
    const unsigned char *p = (const unsigned char *)name, *end = p + len;

    *why = NULL;
    if (len == 0 || len > MESSAGE_NAME_MAX)
        *why = "must be 1 to 255 bytes";
    else if (name[0] == '.')
        *why = "must not start with '.'";
    else if (len >= 9 && memcmp(name, "manifest.", 9) == 0)
        *why = "must not start with 'manifest.' (reserved for the envelope's own files)";
    while (*why == NULL && p < end) {
        if (*p == '/' || *p == 0)
            *why = "must not contain '/' or NUL";
        else if (*p < 0x20 || *p == 0x7f)
            *why = "must not contain control characters";
        else if ((p = (const unsigned char *)skip_utf8(p, end)) == NULL)
            *why = "must be valid UTF-8";
    }
    return *why ? -1 : 0;
}

const char *envelope_message_name_rule(const char *name)
{
    const char *why;

    if (name == NULL)
        return "must not be NULL";
    return message_name_check(name, strlen(name), &why) == 0 ? NULL : why;
}

/* Characters of AWS ARNs that cannot break a label or a JSON string. */
int identity_is_valid_arn(const char *s, size_t len)
{
    if (len < 5 || len > IDENTITY_MAX || strncmp(s, "arn:", 4) != 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/_+=.,@-",
                    s[i]) || s[i] == '\0')
            return 0;
    return 1;
}

static int is_fingerprint(const char *s, size_t len)
{
    char hex[65];

    if (len != ENVELOPE_FINGERPRINT_SIZE - 1 || strncmp(s, "sha256:", 7) != 0)
        return 0;
    memcpy(hex, s + 7, 64);
    hex[64] = '\0';
    return is_lower_hex(hex, 64);
}

int identity_is_valid_fingerprint(const char *s)
{
    return is_fingerprint(s, strlen(s));
}

void identity_label(const struct identity *id, char out[LABEL_MAX + 1])
{
    snprintf(out, LABEL_MAX + 1, "%s%s%s", id->key, id->key[0] && id->kms[0] ? " " : "",
             id->kms);
}

int label_matches(const char *label, const struct identity *id)
{
    int common_kind = 0;
    const char *p = label;

    while (*p) {
        size_t n = strcspn(p, " ");
        int is_key = is_fingerprint(p, n);
        const char *mine = is_key ? id->key : id->kms;

        if (*mine) {
            common_kind = 1;
            if (strlen(mine) == n && memcmp(mine, p, n) == 0)
                return 1;
        }
        p += n;
        p += *p == ' ';
    }
    return common_kind ? 0 : -1;
}
