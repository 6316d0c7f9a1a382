/* Settling a job's promise on the JavaScript thread: the values it made, or
 * an Error whose code is the library's name for the failure (index.js turns
 * it into the matching EnvelopeError subclass). Then the job is freed,
 * which wipes the opened message's C copy. */
#include <stdlib.h>
#include <string.h>

#include "addon.h"

static napi_status set_str(napi_env env, napi_value obj, const char *key, const char *s)
{
    napi_value v;
    napi_status st;

    if ((st = napi_create_string_utf8(env, s != NULL ? s : "", NAPI_AUTO_LENGTH, &v)) != napi_ok)
        return st;
    return napi_set_named_property(env, obj, key, v);
}

static napi_status set_num(napi_env env, napi_value obj, const char *key, double d)
{
    napi_value v;
    napi_status st;

    if ((st = napi_create_double(env, d, &v)) != napi_ok)
        return st;
    return napi_set_named_property(env, obj, key, v);
}

static napi_status set_bytes(napi_env env, napi_value obj, const char *key,
                             const uint8_t *data, size_t len)
{
    napi_value v;
    napi_status st;

    if ((st = napi_create_buffer_copy(env, len, data, NULL, &v)) != napi_ok)
        return st;
    return napi_set_named_property(env, obj, key, v);
}

static napi_status make_error(napi_env env, envelope_rc rc, const char *detail, napi_value *out)
{
    napi_value code, msg, rc_num;
    napi_status st;

    if ((st = napi_create_string_utf8(env, envelope_rc_name(rc), NAPI_AUTO_LENGTH, &code)) !=
            napi_ok ||
        (st = napi_create_string_utf8(env, envelope_strerror(rc), NAPI_AUTO_LENGTH, &msg)) !=
            napi_ok ||
        (st = napi_create_error(env, code, msg, out)) != napi_ok ||
        (st = napi_create_uint32(env, (uint32_t)rc, &rc_num)) != napi_ok ||
        (st = napi_set_named_property(env, *out, "rc", rc_num)) != napi_ok)
        return st;
    return set_str(env, *out, "detail", detail);
}

static napi_status result_object(napi_env env, const nd_job *job, napi_value *out)
{
    const envelope_result *r = job->result;
    napi_value list, item;
    napi_status st;
    size_t i, n = envelope_result_recipient_count(r);

    if ((st = napi_create_object(env, out)) != napi_ok ||
        (st = set_str(env, *out, "name", envelope_result_name(r))) != napi_ok ||
        (st = set_num(env, *out, "size", (double)envelope_result_size(r))) != napi_ok ||
        (st = set_str(env, *out, "sha512", envelope_result_sha512(r))) != napi_ok ||
        (st = set_str(env, *out, "signer", envelope_result_signer(r))) != napi_ok ||
        (st = set_str(env, *out, "signerHint", envelope_result_signer_hint(r))) != napi_ok ||
        (st = set_num(env, *out, "created", (double)envelope_result_created(r))) != napi_ok ||
        (st = set_str(env, *out, "format",
                      envelope_result_format(r) == ENVELOPE_FORMAT_COMPAT ? "compat" : "v1")) !=
            napi_ok ||
        (st = napi_create_array_with_length(env, n, &list)) != napi_ok)
        return st;
    for (i = 0; i < n; i++)
        if ((st = napi_create_string_utf8(env, envelope_result_recipient(r, i), NAPI_AUTO_LENGTH,
                                          &item)) != napi_ok ||
            (st = napi_set_element(env, list, (uint32_t)i, item)) != napi_ok)
            return st;
    if ((st = napi_set_named_property(env, *out, "recipients", list)) != napi_ok)
        return st;
    if (job->kind == ND_OPEN)
        return set_bytes(env, *out, "message", job->out, job->out_len);
    return napi_ok;
}

static napi_status info_object(napi_env env, const nd_job *job, napi_value *out)
{
    const envelope_info *info = job->info;
    size_t header = envelope_info_header_size(info);
    uint64_t payload = envelope_info_payload_size(info);
    napi_value list, item;
    napi_status st;
    size_t i, n = envelope_info_recipient_count(info);

    if ((st = napi_create_object(env, out)) != napi_ok ||
        (st = set_num(env, *out, "version", envelope_info_version(info))) != napi_ok ||
        (st = set_num(env, *out, "suite", envelope_info_suite(info))) != napi_ok ||
        (st = set_num(env, *out, "chunkSize", envelope_info_chunk_size(info))) != napi_ok ||
        (st = set_num(env, *out, "headerSize", (double)header)) != napi_ok ||
        (st = set_num(env, *out, "payloadSize", (double)payload)) != napi_ok ||
        (st = napi_create_array_with_length(env, n, &list)) != napi_ok)
        return st;
    for (i = 0; i < n; i++)
        if ((st = napi_create_object(env, &item)) != napi_ok ||
            (st = set_str(env, item, "label", envelope_info_recipient_label(info, i))) !=
                napi_ok ||
            (st = set_num(env, item, "bits", envelope_info_recipient_bits(info, i))) != napi_ok ||
            (st = napi_set_element(env, list, (uint32_t)i, item)) != napi_ok)
            return st;
    return napi_set_named_property(env, *out, "recipients", list);
}

static napi_status value_of(napi_env env, nd_job *job, napi_value *out)
{
    napi_status st;

    switch (job->kind) {
    case ND_SEAL:
        return napi_create_buffer_copy(env, job->out_len, job->out, NULL, out);
    case ND_SEAL_FILE:
        return napi_get_undefined(env, out);
    case ND_OPEN:
    case ND_OPEN_FILE:
    case ND_OPEN_EXTRACT:
        return result_object(env, job, out);
    case ND_INSPECT:
        return info_object(env, job, out);
    case ND_KEY_LOAD:
        /* The handle takes over the job's reference. */
        if ((st = key_handle_new(env, job->key_out, out)) == napi_ok)
            job->key_out = NULL;
        return st;
    case ND_KEY_FINGERPRINT:
        return napi_create_string_utf8(env, job->fingerprint, NAPI_AUTO_LENGTH, out);
    case ND_KEY_PUBLIC_PEM:
        return napi_create_string_utf8(env, (const char *)job->out, job->out_len, out);
    }
    return napi_generic_failure;
}

/* A result that could not be made (out of memory) may have left an
 * exception pending, which would stop the rejection too. */
static void clear_exception(napi_env env)
{
    bool pending = false;
    napi_value e;

    if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
        napi_get_and_clear_last_exception(env, &e);
}

void settle(napi_env env, nd_job *job)
{
    napi_handle_scope scope;
    napi_value v;

    if (napi_open_handle_scope(env, &scope) != napi_ok) {
        job_free(job);
        return;
    }
    if (job->rc == ENVELOPE_OK && value_of(env, job, &v) == napi_ok) {
        napi_resolve_deferred(env, job->deferred, v);
    } else {
        clear_exception(env);
        if (job->rc == ENVELOPE_OK)
            job_fail(job, ENVELOPE_E_NOMEM, "out of memory making the result");
        if (make_error(env, job->rc, job->detail, &v) == napi_ok)
            napi_reject_deferred(env, job->deferred, v);
    }
    napi_close_handle_scope(env, scope);
    job_free(job);
}
