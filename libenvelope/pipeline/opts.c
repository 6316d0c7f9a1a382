/* The public option setters and result getters. */
#include "pipeline/opts.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* A KMS key whose kind is not known yet (0) is accepted for either role:
 * the operation itself fails clearly if KMS refuses it. */
static int kind_fits(const envelope_key *key, envelope_key_kind want)
{
    envelope_key_kind kind = envelope_key_get_kind(key);

    return kind == want || kind == 0;
}

envelope_rc envelope_seal_opts_new(envelope_seal_opts **out)
{
    if (out == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if ((*out = calloc(1, sizeof(**out))) == NULL)
        return ENVELOPE_E_NOMEM;
    (*out)->format = ENVELOPE_FORMAT_V1;
    strcpy((*out)->name, "message");
    return ENVELOPE_OK;
}

void envelope_seal_opts_free(envelope_seal_opts *opts)
{
    if (opts == NULL)
        return;
    envelope_key_free(opts->sign_key);
    for (size_t i = 0; i < opts->n_recipients; i++)
        envelope_key_free(opts->recipients[i]);
    free(opts);
}

envelope_rc envelope_seal_opts_set_sign_key(envelope_seal_opts *opts, envelope_key *key)
{
    if (opts == NULL || key == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if (!kind_fits(key, ENVELOPE_KEY_SIGNING))
        return ENVELOPE_E_KEY_TYPE;
    if (!envelope_key_is_private(key))
        return ENVELOPE_E_KEY_NOT_PRIVATE;
    envelope_key_free(opts->sign_key);
    opts->sign_key = envelope_key_ref(key);
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_add_recipient(envelope_seal_opts *opts, envelope_key *key)
{
    if (opts == NULL || key == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if (!kind_fits(key, ENVELOPE_KEY_ENCRYPTION))
        return ENVELOPE_E_KEY_TYPE;
    if (opts->n_recipients == STANZA_MAX)
        return ENVELOPE_E_TOO_MANY_RECIPIENTS;
    opts->recipients[opts->n_recipients++] = envelope_key_ref(key);
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_set_name(envelope_seal_opts *opts, const char *name)
{
    const char *why;

    if (opts == NULL || name == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if (message_name_check(name, strlen(name), &why) != 0)
        return ENVELOPE_E_BAD_NAME;
    strcpy(opts->name, name);
    opts->name_set = 1;
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_set_hide_recipients(envelope_seal_opts *opts, int hide)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->hide_recipients = hide != 0;
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_set_sync_dir(envelope_seal_opts *opts, int sync)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->no_dir_sync = sync == 0;
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_set_format(envelope_seal_opts *opts, envelope_format format)
{
    if (opts == NULL || (format != ENVELOPE_FORMAT_V1 && format != ENVELOPE_FORMAT_COMPAT))
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->format = format;
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_set_armor(envelope_seal_opts *opts, int armor)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->armor = armor != 0;
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_set_created(envelope_seal_opts *opts, time_t created)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->created = created;
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_set_progress(envelope_seal_opts *opts, envelope_progress_fn fn,
                                            void *arg)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->progress = fn;
    opts->progress_arg = arg;
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_opts_set_max_size(envelope_seal_opts *opts, uint64_t max)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->max_size = max;
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_new(envelope_open_opts **out)
{
    if (out == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return ENVELOPE_E_NOMEM;
    (*out)->max_skew = ENVELOPE_MAX_SKEW_DEFAULT;
    return ENVELOPE_OK;
}

void envelope_open_opts_free(envelope_open_opts *opts)
{
    if (opts == NULL)
        return;
    for (size_t i = 0; i < opts->n_decrypt; i++)
        envelope_key_free(opts->decrypt_keys[i]);
    for (size_t i = 0; i < opts->n_trusted; i++)
        envelope_key_free(opts->trusted[i]);
    free(opts);
}

static envelope_rc check_decrypt_key(const envelope_key *key)
{
    if (!kind_fits(key, ENVELOPE_KEY_ENCRYPTION))
        return ENVELOPE_E_KEY_TYPE;
    if (!envelope_key_is_private(key))
        return ENVELOPE_E_KEY_NOT_PRIVATE;
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_set_decrypt_key(envelope_open_opts *opts, envelope_key *key)
{
    envelope_rc rc;

    if (opts == NULL || key == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if ((rc = check_decrypt_key(key)) != ENVELOPE_OK)
        return rc;
    /* The new reference first: key may be one of those released. */
    envelope_key_ref(key);
    for (size_t i = 0; i < opts->n_decrypt; i++)
        envelope_key_free(opts->decrypt_keys[i]);
    opts->decrypt_keys[0] = key;
    opts->n_decrypt = 1;
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_add_decrypt_key(envelope_open_opts *opts, envelope_key *key)
{
    envelope_rc rc;

    if (opts == NULL || key == NULL || opts->n_decrypt == DECRYPT_KEYS_MAX)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if ((rc = check_decrypt_key(key)) != ENVELOPE_OK)
        return rc;
    opts->decrypt_keys[opts->n_decrypt++] = envelope_key_ref(key);
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_add_trusted_key(envelope_open_opts *opts, envelope_key *key)
{
    if (opts == NULL || key == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if (!kind_fits(key, ENVELOPE_KEY_SIGNING))
        return ENVELOPE_E_KEY_TYPE;
    if (opts->n_trusted == TRUSTED_MAX)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->trusted[opts->n_trusted++] = envelope_key_ref(key);
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_set_max_size(envelope_open_opts *opts, uint64_t max)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->max_size = max;
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_set_max_age(envelope_open_opts *opts, uint64_t seconds)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->max_age = seconds;
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_set_max_skew(envelope_open_opts *opts, uint64_t seconds)
{
    if (opts == NULL || seconds > ENVELOPE_MAX_SKEW_LIMIT)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->max_skew = seconds;
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_set_allow_compat(envelope_open_opts *opts, int allow)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->allow_compat = allow != 0;
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_set_sync_dir(envelope_open_opts *opts, int sync)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->no_dir_sync = sync == 0;
    return ENVELOPE_OK;
}

envelope_rc envelope_open_opts_set_progress(envelope_open_opts *opts, envelope_progress_fn fn,
                                            void *arg)
{
    if (opts == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    opts->progress = fn;
    opts->progress_arg = arg;
    return ENVELOPE_OK;
}

void envelope_result_free(envelope_result *result)
{
    /* The name and SHA-512 of a message that was sent encrypted. */
    if (result)
        OPENSSL_cleanse(result, sizeof(*result));
    free(result);
}

envelope_format envelope_result_format(const envelope_result *r)
{
    return r ? r->format : 0;
}

const char *envelope_result_name(const envelope_result *r)
{
    return r ? r->manifest.name : "";
}

uint64_t envelope_result_size(const envelope_result *r)
{
    return r ? r->manifest.size : 0;
}

const char *envelope_result_sha512(const envelope_result *r)
{
    return r ? r->manifest.sha512 : "";
}

const char *envelope_result_signer(const envelope_result *r)
{
    return r ? r->signer : "";
}

const char *envelope_result_signer_hint(const envelope_result *r)
{
    return r ? r->signer_hint : "";
}

size_t envelope_result_recipient_count(const envelope_result *r)
{
    return r ? r->manifest.n_recipients : 0;
}

const char *envelope_result_recipient(const envelope_result *r, size_t i)
{
    return r && i < r->manifest.n_recipients ? r->recipients[i] : NULL;
}

time_t envelope_result_created(const envelope_result *r)
{
    return r ? r->manifest.created : 0;
}

void envelope_info_free(envelope_info *info)
{
    free(info);
}

unsigned envelope_info_version(const envelope_info *info)
{
    return info && !info->compat ? FORMAT_VERSION : 0;
}

unsigned envelope_info_suite(const envelope_info *info)
{
    return info && !info->compat ? SUITE_P521_OAEP256_AES256GCM : 0;
}

uint32_t envelope_info_chunk_size(const envelope_info *info)
{
    return info && !info->compat ? CHUNK_SIZE : 0;
}

size_t envelope_info_header_size(const envelope_info *info)
{
    return info ? info->header_size : 0;
}

uint64_t envelope_info_payload_size(const envelope_info *info)
{
    return info ? info->payload_size : 0;
}

size_t envelope_info_recipient_count(const envelope_info *info)
{
    return info ? info->header.n_stanzas : 0;
}

const char *envelope_info_recipient_label(const envelope_info *info, size_t i)
{
    return info && i < info->header.n_stanzas ? info->header.stanzas[i].label : NULL;
}

unsigned envelope_info_recipient_bits(const envelope_info *info, size_t i)
{
    return info && i < info->header.n_stanzas ? (unsigned)info->header.stanzas[i].wrapped_len * 8
                                              : 0;
}
