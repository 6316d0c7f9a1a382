/* The manifest (docs/FORMAT.md, "Manifest"): its canonical encoding.
 * Parsing is strict by construction (manifest_parse.c): the bytes must be
 * exactly what this encoder gives for the values they hold, which rules out
 * white space, other member orders, duplicate members and alternative
 * escapes in one comparison. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "format/format.h"

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
