/* The object behind a Key: it owns one reference to the C key, dropped when
 * the object is collected, or at once by Key.close(). A job that uses the
 * key takes a reference of its own, so collecting or closing the object
 * while a job runs is safe. */
#include "addon.h"

/* Marks the objects made here, so that no other object passes for one. */
static const napi_type_tag KEY_TAG = {0x9c2f6d1e4b7a4f05ULL, 0xa1d3c8e6f0b24e97ULL};

static void drop_key(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    envelope_key_free(data);
}

napi_status key_handle_new(napi_env env, envelope_key *key, napi_value *out)
{
    napi_status st;

    if ((st = napi_create_object(env, out)) != napi_ok ||
        (st = napi_type_tag_object(env, *out, &KEY_TAG)) != napi_ok)
        return st;
    return napi_wrap(env, *out, key, drop_key, NULL, NULL);
}

napi_status key_handle_close(napi_env env, napi_value v)
{
    void *key = NULL;

    /* Closed already: nothing left to drop. */
    if (key_handle_get(env, v) == NULL)
        return napi_ok;
    if (napi_remove_wrap(env, v, &key) != napi_ok)
        return napi_generic_failure;
    envelope_key_free(key);
    return napi_ok;
}

envelope_key *key_handle_get(napi_env env, napi_value v)
{
    napi_valuetype t;
    bool tagged = false;
    void *key = NULL;

    if (napi_typeof(env, v, &t) != napi_ok || t != napi_object ||
        napi_check_object_type_tag(env, v, &KEY_TAG, &tagged) != napi_ok || !tagged ||
        napi_unwrap(env, v, &key) != napi_ok)
        return NULL;
    return key;
}
