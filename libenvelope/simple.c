/* One call each for the common case: keys named by reference, message and
 * envelope in memory. Built on the public calls alone; a caller that
 * passes no context gets a private one for the call. */
#include <stdio.h>
#include <stdlib.h>

#include "base/context.h"

/* The caller's context, or a private one that ctx_end() frees. */
static envelope_rc ctx_begin(envelope_ctx *given, envelope_ctx **ctx)
{
    *ctx = given;
    return given ? ENVELOPE_OK : envelope_ctx_new(ctx);
}

static void ctx_end(envelope_ctx *given, envelope_ctx *ctx)
{
    if (ctx != given)
        envelope_ctx_free(ctx);
}

/* Loads the key behind ref and hands it to set; a failure's detail names
 * the key's role (what: "sign key", "recipient 2", ...) and reference. */
static envelope_rc load_set(envelope_ctx *ctx, const char *what, const char *ref, void *opts,
                            envelope_rc (*set)(void *, envelope_key *))
{
    envelope_key *key = NULL;
    envelope_rc rc;

    if (ref == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "%s: no key reference", what);
    if ((rc = envelope_key_load(ctx, ref, NULL, NULL, &key)) != ENVELOPE_OK)
        detail_prefix(ctx, "%s", what);
    else if ((rc = set(opts, key)) != ENVELOPE_OK) /* a setter records no detail */
        rc = fail(ctx, rc, "%s: %.300s: %s", what, ref, envelope_strerror(rc));
    envelope_key_free(key);
    return rc;
}

static envelope_rc set_sign(void *opts, envelope_key *key)
{
    return envelope_seal_opts_set_sign_key(opts, key);
}

static envelope_rc add_recipient(void *opts, envelope_key *key)
{
    return envelope_seal_opts_add_recipient(opts, key);
}

static envelope_rc set_decrypt(void *opts, envelope_key *key)
{
    return envelope_open_opts_set_decrypt_key(opts, key);
}

static envelope_rc add_trusted(void *opts, envelope_key *key)
{
    return envelope_open_opts_add_trusted_key(opts, key);
}

static envelope_rc seal_opts(envelope_ctx *ctx, const char *sign_key,
                             const char *const *recipients, size_t n, const char *name,
                             envelope_seal_opts *opts)
{
    envelope_rc rc;

    if (n == 0 || recipients == NULL)
        return fail(ctx, ENVELOPE_E_TOO_MANY_RECIPIENTS, "no recipient");
    if ((rc = load_set(ctx, "sign key", sign_key, opts, set_sign)) != ENVELOPE_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char what[40];

        snprintf(what, sizeof(what), "recipient %zu", i + 1);
        if ((rc = load_set(ctx, what, recipients[i], opts, add_recipient)) != ENVELOPE_OK)
            return rc;
    }
    if (name && (rc = envelope_seal_opts_set_name(opts, name)) != ENVELOPE_OK)
        return fail(ctx, rc, "a message name %s", envelope_message_name_rule(name));
    return ENVELOPE_OK;
}

envelope_rc envelope_seal_simple(envelope_ctx *ctx, const char *sign_key,
                                 const char *const *recipients, size_t n_recipients,
                                 const char *name, const uint8_t *msg, size_t len,
                                 uint8_t **out, size_t *out_len)
{
    envelope_ctx *c = NULL;
    envelope_seal_opts *opts = NULL;
    envelope_rc rc;

    if (out == NULL || out_len == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output");
    *out = NULL;
    *out_len = 0;
    if ((rc = ctx_begin(ctx, &c)) != ENVELOPE_OK)
        return rc;
    detail_clear(c);
    if ((rc = envelope_seal_opts_new(&opts)) == ENVELOPE_OK &&
        (rc = seal_opts(c, sign_key, recipients, n_recipients, name, opts)) == ENVELOPE_OK)
        rc = envelope_seal_mem(c, opts, msg, len, out, out_len);
    envelope_seal_opts_free(opts);
    ctx_end(ctx, c);
    return rc;
}

static envelope_rc open_opts(envelope_ctx *ctx, const char *decrypt_key,
                             const char *const *verify_keys, size_t n, uint64_t max_size,
                             envelope_open_opts *opts)
{
    envelope_rc rc;

    if (n == 0 || verify_keys == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no verify key");
    if ((rc = load_set(ctx, "decrypt key", decrypt_key, opts, set_decrypt)) != ENVELOPE_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char what[40];

        snprintf(what, sizeof(what), "verify key %zu", i + 1);
        if ((rc = load_set(ctx, what, verify_keys[i], opts, add_trusted)) != ENVELOPE_OK)
            return rc;
    }
    return envelope_open_opts_set_max_size(opts, max_size ? max_size : ENVELOPE_MAX_SIZE_DEFAULT);
}

envelope_rc envelope_open_simple(envelope_ctx *ctx, const char *decrypt_key,
                                 const char *const *verify_keys, size_t n_verify_keys,
                                 uint64_t max_size, const uint8_t *env, size_t len,
                                 uint8_t **msg, size_t *msg_len)
{
    envelope_ctx *c = NULL;
    envelope_open_opts *opts = NULL;
    envelope_rc rc;

    if (msg == NULL || msg_len == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output");
    *msg = NULL;
    *msg_len = 0;
    if ((rc = ctx_begin(ctx, &c)) != ENVELOPE_OK)
        return rc;
    detail_clear(c);
    if ((rc = envelope_open_opts_new(&opts)) == ENVELOPE_OK &&
        (rc = open_opts(c, decrypt_key, verify_keys, n_verify_keys, max_size, opts)) ==
            ENVELOPE_OK)
        rc = envelope_open_mem(c, opts, env, len, msg, msg_len, NULL);
    envelope_open_opts_free(opts);
    ctx_end(ctx, c);
    return rc;
}
