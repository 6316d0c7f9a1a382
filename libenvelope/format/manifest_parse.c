/* Reading a signed manifest, after its signature has verified. Strict by
 * construction: the values are read, then encoded again, and the result must
 * equal the bytes that were signed. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "base/context.h"
#include "format/format.h"

static const char *get_string(json_object *o, const char *name, size_t *len)
{
    json_object *v;

    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

static int copy_string(json_object *o, const char *name, char *out, size_t cap)
{
    size_t len;
    const char *s = get_string(o, name, &len);

    if (s == NULL || len >= cap || memchr(s, '\0', len) != NULL)
        return -1;
    memcpy(out, s, len + 1);
    return 0;
}

static int parse_identity(json_object *o, struct identity *id)
{
    memset(id, 0, sizeof(*id));
    if (!json_object_is_type(o, json_type_object))
        return -1;
    if (json_object_object_get_ex(o, "key", NULL) &&
        (copy_string(o, "key", id->key, sizeof(id->key)) != 0 ||
         !identity_is_valid_fingerprint(id->key)))
        return -1;
    if (json_object_object_get_ex(o, "kms", NULL) &&
        (copy_string(o, "kms", id->kms, sizeof(id->kms)) != 0 ||
         !identity_is_valid_arn(id->kms, strlen(id->kms))))
        return -1;
    return 0;
}

static int parse_created(const char *s, time_t *out)
{
    struct tm tm = {0};
    int n = 0;

    if (strlen(s) != 20 ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 20)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm); /* out-of-range fields are caught by the re-encoding */
    return 0;
}

static int parse_fields(json_object *o, struct manifest *m)
{
    json_object *v, *recipients;
    char created[32];
    const char *why;

    if (copy_string(o, "name", m->name, sizeof(m->name)) != 0 ||
        copy_string(o, "sha512", m->sha512, sizeof(m->sha512)) != 0 ||
        copy_string(o, "header_sha256", m->header_sha256, sizeof(m->header_sha256)) != 0 ||
        copy_string(o, "created", created, sizeof(created)) != 0 ||
        parse_created(created, &m->created) != 0 || !is_lower_hex(m->sha512, 128) ||
        !is_lower_hex(m->header_sha256, 64) ||
        message_name_check(m->name, strlen(m->name), &why) != 0)
        return -1;
    if (!json_object_object_get_ex(o, "size", &v) || !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 0)
        return -1;
    m->size = (uint64_t)json_object_get_int64(v);
    if (!json_object_object_get_ex(o, "recipients", &recipients) ||
        !json_object_is_type(recipients, json_type_array) ||
        json_object_array_length(recipients) < 1 ||
        json_object_array_length(recipients) > STANZA_MAX)
        return -1;
    m->n_recipients = json_object_array_length(recipients);
    for (size_t i = 0; i < m->n_recipients; i++)
        if (parse_identity(json_object_array_get_idx(recipients, i), &m->recipients[i]) != 0 ||
            (!m->recipients[i].key[0] && !m->recipients[i].kms[0]))
            return -1;
    if (!json_object_object_get_ex(o, "signer", &v) || parse_identity(v, &m->signer) != 0)
        return -1;
    return 0;
}

envelope_rc manifest_parse(envelope_ctx *ctx, const uint8_t *p, size_t len, struct manifest *m)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = NULL;
    struct bytes again = {0};
    envelope_rc rc = ENVELOPE_E_BAD_MANIFEST;

    memset(m, 0, sizeof(*m));
    if (tok == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "JSON parser");
    if (len > MANIFEST_MAX || len < MANIFEST_PREFIX_LEN ||
        memcmp(p, MANIFEST_PREFIX, MANIFEST_PREFIX_LEN) != 0) {
        fail(ctx, rc, "manifest does not begin with %s", MANIFEST_PREFIX);
        goto out;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, (const char *)p, (int)len);
    if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len) {
        fail(ctx, rc, "manifest is not valid JSON");
        goto out;
    }
    if (!json_object_is_type(o, json_type_object) || parse_fields(o, m) != 0) {
        fail(ctx, rc, "manifest lacks a member or has one of the wrong type");
        goto out;
    }
    if (manifest_encode_raw(ctx, m, &again) != ENVELOPE_OK || again.len != len ||
        memcmp(again.p, p, len) != 0) {
        fail(ctx, rc, "manifest is not in canonical form (docs/FORMAT.md, \"Manifest\")");
        goto out;
    }
    rc = ENVELOPE_OK;
out:
    if (rc != ENVELOPE_OK)
        memset(m, 0, sizeof(*m));
    bytes_free(&again);
    json_object_put(o);
    json_tokener_free(tok);
    return rc;
}
