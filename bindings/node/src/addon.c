/* The functions index.js calls. Each copies its arguments into a job,
 * queues it on the pool and returns a promise; index.js checks arguments
 * and turns failures into EnvelopeError subclasses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

#define MAX_ARGS 3

static napi_status missing(napi_env env, const char *what)
{
    char msg[96];

    snprintf(msg, sizeof(msg), "%s is required", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return napi_pending_exception;
}

/* argv[0..n-1], the missing ones undefined. */
static napi_status get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv)
{
    size_t argc = n;

    return napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
}

/* Queues job and returns its promise; on failure frees job and throws. */
static napi_value queue(napi_env env, nd_job *job)
{
    nd_pool *pool = NULL;
    napi_value promise;

    if (napi_get_instance_data(env, (void **)&pool) != napi_ok || pool == NULL ||
        napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
        job_free(job);
        napi_throw_error(env, "ERR_ENVELOPE_INTERNAL", "cannot queue the call");
        return NULL;
    }
    pool_submit(env, pool, job);
    return promise;
}

static napi_status opt_bool(napi_env env, napi_value opts, const char *name, int *out)
{
    napi_value v;
    int present;
    napi_status st;

    if ((st = arg_get(env, opts, name, &v, &present)) != napi_ok || !present)
        return st;
    return arg_bool(env, v, name, out);
}

static napi_status opt_keylist(napi_env env, napi_value opts, const char *name,
                               nd_keylist *list)
{
    napi_value v;
    int present;
    napi_status st;

    if ((st = arg_get(env, opts, name, &v, &present)) != napi_ok)
        return st;
    if (!present)
        return missing(env, name);
    return arg_keylist(env, v, name, list);
}

static napi_status seal_options(napi_env env, napi_value opts, nd_job *job)
{
    napi_value v;
    int present;
    napi_status st;

    if ((st = arg_get(env, opts, "signKey", &v, &present)) != napi_ok)
        return st;
    if (!present)
        return missing(env, "signKey");
    if ((st = arg_keyspec(env, v, "signKey", &job->sign)) != napi_ok ||
        (st = opt_keylist(env, opts, "recipients", &job->recipients)) != napi_ok ||
        (st = arg_get(env, opts, "name", &v, &present)) != napi_ok)
        return st;
    if (present && (st = arg_string(env, v, "name", &job->name)) != napi_ok)
        return st;
    if ((st = opt_bool(env, opts, "hideRecipients", &job->hide_recipients)) != napi_ok)
        return st;
    return opt_bool(env, opts, "force", &job->force);
}

static napi_status open_options(napi_env env, napi_value opts, nd_job *job)
{
    napi_value v;
    int present;
    napi_status st;

    if ((st = opt_keylist(env, opts, "decryptKeys", &job->decrypt)) != napi_ok ||
        (st = opt_keylist(env, opts, "verifyKeys", &job->verify)) != napi_ok ||
        (st = arg_get(env, opts, "maxSize", &v, &present)) != napi_ok)
        return st;
    if (present && (st = arg_uint64(env, v, "maxSize", &job->max_size)) != napi_ok)
        return st;
    if ((st = arg_get(env, opts, "maxAge", &v, &present)) != napi_ok)
        return st;
    if (present && (st = arg_uint64(env, v, "maxAge", &job->max_age)) != napi_ok)
        return st;
    if ((st = arg_get(env, opts, "maxSkew", &v, &job->max_skew_set)) != napi_ok)
        return st;
    if (job->max_skew_set && (st = arg_uint64(env, v, "maxSkew", &job->max_skew)) != napi_ok)
        return st;
    if ((st = opt_bool(env, opts, "allowCompat", &job->allow_compat)) != napi_ok)
        return st;
    return opt_bool(env, opts, "force", &job->force);
}

/* seal(message, opts), open(envelope, opts): Buffers in memory. */
static napi_value in_memory(napi_env env, napi_callback_info info, nd_kind kind)
{
    napi_value argv[2];
    nd_job *job = job_new(kind);
    napi_status st;

    if (job == NULL) {
        napi_throw_error(env, "ERR_ENVELOPE_NOMEM", "out of memory");
        return NULL;
    }
    if ((st = get_args(env, info, 2, argv)) != napi_ok ||
        (st = arg_buffer_copy(env, argv[0], kind == ND_SEAL ? "message" : "envelope", &job->in,
                              &job->in_len)) != napi_ok ||
        (st = (kind == ND_SEAL ? seal_options : open_options)(env, argv[1], job)) != napi_ok) {
        job_free(job);
        return NULL;
    }
    return queue(env, job);
}

/* sealFile(inPath, outPath, opts), openFile(inPath, outPath, opts),
 * openExtract(inPath, dir, opts). */
static napi_value in_files(napi_env env, napi_callback_info info, nd_kind kind)
{
    napi_value argv[3];
    nd_job *job = job_new(kind);
    napi_status st;

    if (job == NULL) {
        napi_throw_error(env, "ERR_ENVELOPE_NOMEM", "out of memory");
        return NULL;
    }
    if ((st = get_args(env, info, 3, argv)) != napi_ok ||
        (st = arg_string(env, argv[0], "inPath", &job->in_path)) != napi_ok ||
        (st = arg_string(env, argv[1], "outPath", &job->out_path)) != napi_ok ||
        (st = (kind == ND_SEAL_FILE ? seal_options : open_options)(env, argv[2], job)) !=
            napi_ok) {
        job_free(job);
        return NULL;
    }
    return queue(env, job);
}

static napi_value js_seal(napi_env env, napi_callback_info info)
{
    return in_memory(env, info, ND_SEAL);
}

static napi_value js_open(napi_env env, napi_callback_info info)
{
    return in_memory(env, info, ND_OPEN);
}

static napi_value js_seal_file(napi_env env, napi_callback_info info)
{
    return in_files(env, info, ND_SEAL_FILE);
}

static napi_value js_open_file(napi_env env, napi_callback_info info)
{
    return in_files(env, info, ND_OPEN_FILE);
}

static napi_value js_open_extract(napi_env env, napi_callback_info info)
{
    return in_files(env, info, ND_OPEN_EXTRACT);
}

/* A string is a path; a Buffer holds the data itself, of which at most
 * max bytes are needed. */
static napi_status path_or_bytes(napi_env env, napi_value v, const char *what, size_t max,
                                 nd_job *job)
{
    napi_valuetype t;

    if (napi_typeof(env, v, &t) == napi_ok && t == napi_string)
        return arg_string(env, v, what, &job->in_path);
    job->in_is_memory = 1;
    return arg_buffer_head(env, v, what, max, &job->in, &job->in_len, &job->in_total);
}

/* inspect(envelope | path): only the header is read, so no more of a
 * Buffer than the largest header is copied. */
static napi_value js_inspect(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    nd_job *job = job_new(ND_INSPECT);

    if (job == NULL) {
        napi_throw_error(env, "ERR_ENVELOPE_NOMEM", "out of memory");
        return NULL;
    }
    if (get_args(env, info, 1, argv) != napi_ok ||
        path_or_bytes(env, argv[0], "envelope", ND_HEADER_MAX, job) != napi_ok) {
        job_free(job);
        return NULL;
    }
    return queue(env, job);
}

/* keyLoad(ref | bytes, passphrase?): passphrase a Buffer (index.js makes
 * one of a string), wiped once the key is loaded. */
static napi_value js_key_load(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    napi_valuetype t = napi_undefined;
    nd_job *job = job_new(ND_KEY_LOAD);
    uint8_t *pass = NULL;

    if (job == NULL) {
        napi_throw_error(env, "ERR_ENVELOPE_NOMEM", "out of memory");
        return NULL;
    }
    if (get_args(env, info, 2, argv) != napi_ok ||
        path_or_bytes(env, argv[0], "key", SIZE_MAX, job) != napi_ok ||
        napi_typeof(env, argv[1], &t) != napi_ok ||
        (t != napi_undefined &&
         arg_buffer_copy(env, argv[1], "passphrase", &pass, &job->passphrase_len) != napi_ok)) {
        job_free(job);
        return NULL;
    }
    job->passphrase = (char *)pass;
    return queue(env, job);
}

/* keyFingerprint(handle), keyPublicPem(handle): may call KMS. */
static napi_value key_job(napi_env env, napi_callback_info info, nd_kind kind)
{
    napi_value argv[1];
    envelope_key *key = NULL;
    nd_job *job;

    if (get_args(env, info, 1, argv) != napi_ok || (key = key_handle_get(env, argv[0])) == NULL) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "not a key handle");
        return NULL;
    }
    if ((job = job_new(kind)) == NULL) {
        napi_throw_error(env, "ERR_ENVELOPE_NOMEM", "out of memory");
        return NULL;
    }
    job->key = envelope_key_ref(key);
    return queue(env, job);
}

static napi_value js_key_fingerprint(napi_env env, napi_callback_info info)
{
    return key_job(env, info, ND_KEY_FINGERPRINT);
}

static napi_value js_key_public_pem(napi_env env, napi_callback_info info)
{
    return key_job(env, info, ND_KEY_PUBLIC_PEM);
}

/* keyClose(handle): index.js no longer hands the handle out afterwards. */
static napi_value js_key_close(napi_env env, napi_callback_info info)
{
    napi_value argv[1];

    if (get_args(env, info, 1, argv) != napi_ok || key_handle_close(env, argv[0]) != napi_ok)
        napi_throw_error(env, "ERR_ENVELOPE_INTERNAL", "cannot close the key");
    return NULL;
}

/* keyInfo(handle) -> {kind, bits, isPrivate}: read from the key, no I/O. */
static napi_value js_key_info(napi_env env, napi_callback_info info)
{
    napi_value argv[1], obj, v;
    envelope_key *key = NULL;
    envelope_key_kind kind;

    if (get_args(env, info, 1, argv) != napi_ok || (key = key_handle_get(env, argv[0])) == NULL) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "not a key handle");
        return NULL;
    }
    kind = envelope_key_get_kind(key);
    if (napi_create_object(env, &obj) != napi_ok)
        return NULL;
    if (kind == 0)
        napi_get_null(env, &v);
    else
        napi_create_string_utf8(env, kind == ENVELOPE_KEY_SIGNING ? "signing" : "encryption",
                                NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, obj, "kind", v);
    napi_create_uint32(env, envelope_key_bits(key), &v);
    napi_set_named_property(env, obj, "bits", v);
    napi_get_boolean(env, envelope_key_is_private(key) != 0, &v);
    napi_set_named_property(env, obj, "isPrivate", v);
    return obj;
}

static napi_status export_fn(napi_env env, napi_value exports, const char *name,
                             napi_callback fn)
{
    napi_value f;
    napi_status st;

    if ((st = napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f)) != napi_ok)
        return st;
    return napi_set_named_property(env, exports, name, f);
}

static napi_status export_info(napi_env env, napi_value exports, const nd_pool *pool)
{
    napi_value v;
    napi_status st;

    if ((st = napi_create_string_utf8(env, envelope_version(), NAPI_AUTO_LENGTH, &v)) !=
            napi_ok ||
        (st = napi_set_named_property(env, exports, "libraryVersion", v)) != napi_ok ||
        (st = napi_create_uint32(env, pool_threads(pool), &v)) != napi_ok)
        return st;
    return napi_set_named_property(env, exports, "threads", v);
}

/* What NAPI_MODULE_INIT defines, declared for -Wmissing-prototypes. */
NAPI_MODULE_EXPORT int32_t NODE_API_MODULE_GET_API_VERSION(void);
NAPI_MODULE_EXPORT napi_value NAPI_MODULE_INITIALIZER(napi_env env, napi_value exports);

NAPI_MODULE_INIT()
{
    static const struct {
        const char *name;
        napi_callback fn;
    } fns[] = {
        {"seal", js_seal},
        {"open", js_open},
        {"sealFile", js_seal_file},
        {"openFile", js_open_file},
        {"openExtract", js_open_extract},
        {"inspect", js_inspect},
        {"keyLoad", js_key_load},
        {"keyFingerprint", js_key_fingerprint},
        {"keyPublicPem", js_key_public_pem},
        {"keyInfo", js_key_info},
        {"keyClose", js_key_close},
    };
    nd_pool *pool = NULL;
    size_t i;
    unsigned long lib = envelope_version_number();

    /* The same major version, and at least the minor one built against. */
    if (lib >> 16 != ENVELOPE_VERSION_MAJOR || ((lib >> 8) & 0xff) < ENVELOPE_VERSION_MINOR) {
        napi_throw_error(env, "ERR_ENVELOPE_VERSION",
                         "the libenvelope loaded is older than, or incompatible with, the "
                         "one this addon was built for");
        return NULL;
    }
    if (pool_create(env, &pool) != napi_ok) {
        bool pending = false;

        if (napi_is_exception_pending(env, &pending) == napi_ok && !pending)
            napi_throw_error(env, "ERR_ENVELOPE_INTERNAL", "cannot create the thread pool");
        return NULL;
    }
    if (napi_set_instance_data(env, pool, NULL, NULL) != napi_ok ||
        export_info(env, exports, pool) != napi_ok)
        return NULL;
    for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (export_fn(env, exports, fns[i].name, fns[i].fn) != napi_ok)
            return NULL;
    return exports;
}
