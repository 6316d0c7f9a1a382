/* Copying JavaScript values into a job, on the JavaScript thread. Nothing
 * a job holds refers to JavaScript memory: a Buffer can change (from
 * JavaScript, or from another thread through a SharedArrayBuffer) while
 * the job runs, so its bytes are copied before the job is queued. index.js
 * checks every argument first; these checks are the last line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

static napi_status type_error(napi_env env, const char *what, const char *expected)
{
    char msg[160];

    snprintf(msg, sizeof(msg), "%s must be %s", what, expected);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return napi_pending_exception;
}

napi_status arg_buffer_head(napi_env env, napi_value v, const char *what, size_t max,
                            uint8_t **out, size_t *len, size_t *total)
{
    bool is_buffer = false;
    void *data = NULL;
    size_t n = 0;

    *out = NULL;
    *len = 0;
    if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer ||
        napi_get_buffer_info(env, v, &data, &n) != napi_ok)
        return type_error(env, what, "a Buffer or Uint8Array");
    *total = n;
    if (n > max)
        n = max;
    if ((*out = malloc(n > 0 ? n : 1)) == NULL) {
        napi_throw_error(env, "ERR_ENVELOPE_NOMEM", "out of memory copying a Buffer");
        return napi_pending_exception;
    }
    if (n > 0)
        memcpy(*out, data, n);
    *len = n;
    return napi_ok;
}

napi_status arg_buffer_copy(napi_env env, napi_value v, const char *what, uint8_t **out,
                            size_t *len)
{
    size_t total;

    return arg_buffer_head(env, v, what, SIZE_MAX, out, len, &total);
}

napi_status arg_string(napi_env env, napi_value v, const char *what, char **out)
{
    napi_valuetype t;
    size_t n = 0;

    *out = NULL;
    if (napi_typeof(env, v, &t) != napi_ok || t != napi_string ||
        napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok)
        return type_error(env, what, "a string");
    if ((*out = malloc(n + 1)) == NULL) {
        napi_throw_error(env, "ERR_ENVELOPE_NOMEM", "out of memory copying a string");
        return napi_pending_exception;
    }
    if (napi_get_value_string_utf8(env, v, *out, n + 1, &n) != napi_ok || strlen(*out) != n) {
        free(*out);
        *out = NULL;
        return type_error(env, what, "a string without NUL characters");
    }
    return napi_ok;
}

napi_status arg_keyspec(napi_env env, napi_value v, const char *what, nd_keyspec *spec)
{
    napi_valuetype t;
    envelope_key *key;

    if (napi_typeof(env, v, &t) != napi_ok)
        return type_error(env, what, "a key");
    if (t == napi_string)
        return arg_string(env, v, what, &spec->ref);
    if ((key = key_handle_get(env, v)) == NULL)
        return type_error(env, what, "a Key, a path or an awskms:// reference");
    spec->key = envelope_key_ref(key);
    return napi_ok;
}

napi_status arg_keylist(napi_env env, napi_value v, const char *what, nd_keylist *list)
{
    bool is_array = false;
    uint32_t n = 0, i;
    napi_value item;
    napi_status st;

    if (napi_is_array(env, v, &is_array) != napi_ok || !is_array ||
        napi_get_array_length(env, v, &n) != napi_ok)
        return type_error(env, what, "an array of keys");
    if (n > 0 && (list->specs = calloc(n, sizeof(*list->specs))) == NULL) {
        napi_throw_error(env, "ERR_ENVELOPE_NOMEM", "out of memory");
        return napi_pending_exception;
    }
    for (i = 0; i < n; i++) {
        if (napi_get_element(env, v, i, &item) != napi_ok)
            return type_error(env, what, "an array of keys");
        if ((st = arg_keyspec(env, item, what, &list->specs[i])) != napi_ok)
            return st;
        list->n = i + 1;
    }
    return napi_ok;
}

napi_status arg_get(napi_env env, napi_value obj, const char *name, napi_value *out,
                    int *present)
{
    napi_valuetype t;

    *present = 0;
    if (napi_get_named_property(env, obj, name, out) != napi_ok ||
        napi_typeof(env, *out, &t) != napi_ok)
        return type_error(env, "the options", "an object");
    *present = t != napi_undefined && t != napi_null;
    return napi_ok;
}

napi_status arg_uint64(napi_env env, napi_value v, const char *what, uint64_t *out)
{
    napi_valuetype t;
    bool lossless = false;
    double d;

    if (napi_typeof(env, v, &t) != napi_ok)
        return type_error(env, what, "a whole number");
    if (t == napi_bigint && napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok &&
        lossless)
        return napi_ok;
    if (t == napi_number && napi_get_value_double(env, v, &d) == napi_ok && d >= 0 &&
        d <= 9007199254740991.0 && d == (double)(uint64_t)d) {
        *out = (uint64_t)d;
        return napi_ok;
    }
    return type_error(env, what, "a whole number from 0 to 2^64-1");
}

napi_status arg_bool(napi_env env, napi_value v, const char *what, int *out)
{
    bool b = false;

    if (napi_get_value_bool(env, v, &b) != napi_ok)
        return type_error(env, what, "a boolean");
    *out = b;
    return napi_ok;
}
