/* The manifest (docs/FORMAT.md, "Manifest"), key identities ("Key identities") and
 * message names ("Inner archive"). Parsing is strict by construction: the bytes
 * must be exactly what the encoder gives for the values they hold, which
 * rules out white space, other member orders, duplicate members and
 * alternative escapes in one comparison. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
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

/* Characters of AWS ARNs that cannot break a label or a JSON string. */
const char *envelope_message_name_rule(const char *name)
{
    const char *why;

    if (name == NULL)
        return "must not be NULL";
    return message_name_check(name, strlen(name), &why) == 0 ? NULL : why;
}

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

/* json-c adds a NULL value as JSON null, and json_object_new_*() return
 * NULL when memory runs out: a manifest built unchecked would be signed
 * with "name":null in it. These take v, check it, and free it on failure
 * (json-c keeps it only on success). */
static int obj_add(json_object *o, const char *key, json_object *v)
{
    if (v == NULL)
        return -1;
    if (json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

static int arr_add(json_object *a, json_object *v)
{
    if (v == NULL)
        return -1;
    if (json_object_array_add(a, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

/* "created" has four-digit years (FORMAT.md, "Manifest"). */
static int created_in_range(time_t t)
{
    struct tm tm;

    return gmtime_r(&t, &tm) != NULL && tm.tm_year + 1900 >= 1000 && tm.tm_year + 1900 <= 9999;
}

static json_object *identity_json(const struct identity *id)
{
    json_object *o = json_object_new_object();

    if (o == NULL)
        return NULL;
    if (id->key[0] && obj_add(o, "key", json_object_new_string(id->key)) != 0)
        goto err;
    if (id->kms[0] && obj_add(o, "kms", json_object_new_string(id->kms)) != 0)
        goto err;
    return o;
err:
    json_object_put(o);
    return NULL;
}

static json_object *manifest_json(const struct manifest *m)
{
    json_object *o = json_object_new_object(), *recipients = json_object_new_array();
    char created[32];
    struct tm tm;
    int err = o == NULL || recipients == NULL;

    if (gmtime_r(&m->created, &tm) == NULL ||
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        err = 1;
    for (size_t i = 0; !err && i < m->n_recipients; i++)
        err |= arr_add(recipients, identity_json(&m->recipients[i])) != 0;
    if (!err) {
        /* json-c keeps insertion order: this is the order FORMAT.md gives. */
        err |= obj_add(o, "format", json_object_new_string("libenvelope/1"));
        err |= obj_add(o, "name", json_object_new_string(m->name));
        err |= obj_add(o, "size", json_object_new_int64((int64_t)m->size));
        err |= obj_add(o, "sha512", json_object_new_string(m->sha512));
        err |= obj_add(o, "header_sha256", json_object_new_string(m->header_sha256));
        err |= obj_add(o, "recipients", recipients);
        recipients = NULL;
        err |= obj_add(o, "signer", identity_json(&m->signer));
        err |= obj_add(o, "created", json_object_new_string(created));
    }
    json_object_put(recipients);
    if (err) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

envelope_rc manifest_encode_raw(envelope_ctx *ctx, const struct manifest *m, struct bytes *out)
{
    json_object *o;
    const char *text;
    size_t len;
    envelope_rc rc = ENVELOPE_OK;

    if (m->size > INT64_MAX)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "message size out of range");
    if (!created_in_range(m->created))
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "creation time %lld is outside the years 1000 to 9999",
                    (long long)m->created);
    if ((o = manifest_json(m)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "building the manifest");
    text = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (text == NULL)
        rc = fail(ctx, ENVELOPE_E_NOMEM, "writing the manifest");
    else if (len > MANIFEST_MAX)
        rc = fail(ctx, ENVELOPE_E_TOO_MANY_RECIPIENTS,
                  "manifest of %zu bytes exceeds %u: fewer recipients or a shorter name", len,
                  MANIFEST_MAX);
    else if (bytes_append(out, text, len) != 0)
        rc = fail(ctx, ENVELOPE_E_NOMEM, "manifest");
    json_object_put(o);
    return rc;
}

static int identity_equal(const struct identity *a, const struct identity *b)
{
    return strcmp(a->key, b->key) == 0 && strcmp(a->kms, b->kms) == 0;
}

static int manifest_equal(const struct manifest *a, const struct manifest *b)
{
    if (strcmp(a->name, b->name) != 0 || a->size != b->size ||
        strcmp(a->sha512, b->sha512) != 0 || strcmp(a->header_sha256, b->header_sha256) != 0 ||
        a->n_recipients != b->n_recipients || !identity_equal(&a->signer, &b->signer) ||
        a->created != b->created)
        return 0;
    for (size_t i = 0; i < a->n_recipients; i++)
        if (!identity_equal(&a->recipients[i], &b->recipients[i]))
            return 0;
    return 1;
}

/* json-c's writer does not report a failed append: out of memory, it
 * returns a text with pieces missing, which would then be signed. What is
 * about to be signed is therefore read back with the strict parser and
 * must hold exactly the values it was made from. */
envelope_rc manifest_encode(envelope_ctx *ctx, const struct manifest *m, struct bytes *out)
{
    struct manifest *again = malloc(sizeof(*again));
    size_t start = out->len;
    envelope_rc rc;

    if (again == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "manifest");
    if ((rc = manifest_encode_raw(ctx, m, out)) == ENVELOPE_OK &&
        (manifest_parse(ctx, out->p + start, out->len - start, again) != ENVELOPE_OK ||
         !manifest_equal(m, again))) {
        out->len = start;
        rc = fail(ctx, ENVELOPE_E_INTERNAL,
                  "the manifest does not read back as written (out of memory?)");
    }
    free(again);
    return rc;
}
