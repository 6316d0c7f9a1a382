/* JSON and base64 for KMS requests and answers: strict on input, and careful
 * with the copies json-c makes of a data key. */
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "aws/http.h"
#include "aws/kms.h"

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Every string in o, wiped in place: for what json-c built before it gave
 * up on a malformed answer, which may hold part of a Plaintext. */
static void wipe_strings(json_object *o, int depth)
{
    size_t n;

    if (o == NULL || depth > JSON_TOKENER_DEFAULT_DEPTH)
        return;
    switch (json_object_get_type(o)) {
    case json_type_string:
        OPENSSL_cleanse((char *)json_object_get_string(o), (size_t)json_object_get_string_len(o));
        break;
    case json_type_array:
        n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++)
            wipe_strings(json_object_array_get_idx(o, i), depth + 1);
        break;
    case json_type_object: {
        json_object_object_foreach(o, name, v) {
            (void)name;
            wipe_strings(v, depth + 1);
        }
        break;
    }
    default:
        break;
    }
}

/* The objects a failed parse left on the tokener's stack. */
static void wipe_partial(json_tokener *tok)
{
    for (int i = 0; i <= tok->depth && i < tok->max_depth; i++) {
        wipe_strings(tok->stack[i].current, 0);
        wipe_strings(tok->stack[i].obj, 0);
    }
}

/* A \u0000 escape (a backslash that is itself escaped does not count):
 * json-c would put a NUL inside a value or member name, and the readers of
 * these answers see C strings, which would end there, unseen. */
static int escapes_nul(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 5 < len; i++) {
        if (p[i] != '\\')
            continue;
        if (p[i + 1] == 'u' && memcmp(p + i + 2, "0000", 4) == 0)
            return 1;
        i++; /* the escaped character, a backslash perhaps */
    }
    return 0;
}

json_object *kms_json_parse(const uint8_t *p, size_t len)
{
    json_tokener *tok;
    json_object *o = NULL;
    size_t end;

    if (len == 0 || len > HTTP_RESPONSE_MAX || memchr(p, '\0', len) != NULL ||
        escapes_nul(p, len))
        return NULL;
    if ((tok = json_tokener_new()) == NULL)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    /* The tokener gathers each string in tok->pb before making the object.
     * Sized up front to hold the whole answer, it never reallocates, so the
     * one copy of a Plaintext it holds is the one wiped below. json-c offers
     * no other way to reach that buffer. */
    if (printbuf_memset(tok->pb, 0, 0, (int)len + 1) != 0)
        goto out;
    o = json_tokener_parse_ex(tok, (const char *)p, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success || o == NULL) {
        wipe_partial(tok);
        json_object_put(o);
        o = NULL;
        goto out;
    }
    for (end = json_tokener_get_parse_end(tok); end < len && is_ws(p[end]); end++)
        ;
    if (end < len || !json_object_is_type(o, json_type_object)) {
        wipe_strings(o, 0);
        json_object_put(o);
        o = NULL;
    }
out:
    OPENSSL_cleanse(tok->pb->buf, (size_t)tok->pb->size);
    json_tokener_free(tok);
    return o;
}

void kms_json_free(json_object *o, const char *secret)
{
    json_object *v;

    /* The string lives inside its json_object; write over it in place. */
    if (o && secret && json_object_object_get_ex(o, secret, &v) &&
        json_object_is_type(v, json_type_string))
        OPENSSL_cleanse((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
    json_object_put(o);
}

void kms_json_free_all(json_object *o)
{
    wipe_strings(o, 0);
    json_object_put(o);
}

const char *kms_json_string(json_object *o, const char *name, size_t *len)
{
    json_object *v;

    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    if (len)
        *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

static int b64_value(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* Canonical base64 only: a multiple of 4, the alphabet, at most two '='
 * and only at the end. */
static int b64_check(const char *s, size_t len, size_t *pad)
{
    *pad = 0;
    if (len == 0 || len % 4 != 0)
        return -1;
    if (s[len - 1] == '=')
        *pad = s[len - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i < len - *pad; i++)
        if (!b64_value(s[i]))
            return -1;
    return 0;
}

int kms_json_blob(json_object *o, const char *name, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t len, pad, n;
    const char *s = kms_json_string(o, name, &len);
    uint8_t *tmp;
    int got, rc = -1;

    *out_len = 0;
    if (s == NULL || len > HTTP_RESPONSE_MAX || b64_check(s, len, &pad) != 0)
        return -1;
    n = len / 4 * 3;
    if (n - pad > cap || (tmp = malloc(n)) == NULL)
        return -1;
    /* EVP_DecodeBlock writes whole groups, padding included: decode apart. */
    got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
    if (got == (int)n) {
        memcpy(out, tmp, n - pad);
        *out_len = n - pad;
        rc = 0;
    }
    OPENSSL_cleanse(tmp, n);
    free(tmp);
    return rc;
}

int kms_json_add_string(json_object *o, const char *name, const char *value)
{
    json_object *v = json_object_new_string(value);

    if (v == NULL || json_object_object_add(o, name, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

int kms_json_add_blob(json_object *o, const char *name, const uint8_t *p, size_t len)
{
    size_t n = (len + 2) / 3 * 4;
    char *b64;
    int rc;

    if (len > HTTP_RESPONSE_MAX || (b64 = malloc(n + 1)) == NULL)
        return -1;
    EVP_EncodeBlock((unsigned char *)b64, p, (int)len);
    rc = kms_json_add_string(o, name, b64);
    free(b64);
    return rc;
}

int kms_json_body(json_object *o, const char *secret_name, const uint8_t *secret,
                  size_t secret_len, struct bytes *out)
{
    size_t len;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    char b64[4 * ((WRAPPED_MAX + 2) / 3) + 1];
    const char *sep;
    int rc = -1;

    out->secret = 1;
    if (s == NULL || len < 2 || s[len - 1] != '}')
        return -1;
    if (secret_name == NULL)
        return bytes_append(out, s, len);
    /* Base64 and a fixed member name need no escaping. */
    if (secret_len > WRAPPED_MAX || strlen(secret_name) > 32)
        return -1;
    EVP_EncodeBlock((unsigned char *)b64, secret, (int)secret_len);
    sep = len > 2 ? ",\"" : "\""; /* after other members, or alone in "{}" */
    if (bytes_append(out, s, len - 1) == 0 && bytes_append(out, sep, strlen(sep)) == 0 &&
        bytes_append(out, secret_name, strlen(secret_name)) == 0 &&
        bytes_append(out, "\":\"", 3) == 0 && bytes_append(out, b64, strlen(b64)) == 0 &&
        bytes_append(out, "\"}", 2) == 0)
        rc = 0;
    OPENSSL_cleanse(b64, sizeof(b64));
    return rc;
}

void kms_json_arn(json_object *o, char arn[IDENTITY_MAX + 1])
{
    size_t len;
    const char *s = kms_json_string(o, "KeyId", &len);

    arn[0] = '\0';
    if (s && identity_is_valid_arn(s, len) && strstr(s, ":key/") != NULL)
        memcpy(arn, s, len + 1);
}
