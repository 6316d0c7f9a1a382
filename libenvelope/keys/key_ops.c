/* Key operations: the usage checks every backend shares, then dispatch; and
 * the local backend, which runs them in OpenSSL. */
#include "base/context.h"
#include "keys/keys.h"

static envelope_rc need(envelope_ctx *ctx, const envelope_key *key, envelope_key_kind kind,
                        int private, const char *what)
{
    if (key == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no key to %s with", what);
    /* kind 0: a KMS key, whose backend checks what it has learned. */
    if (key->kind != 0 && key->kind != kind)
        return fail(ctx, ENVELOPE_E_KEY_TYPE, "cannot %s with %s key %s", what,
                    key->kind == ENVELOPE_KEY_SIGNING ? "a P-521 signing" : "an RSA encryption",
                    key->fingerprint);
    if (private && !key->is_private)
        return fail(ctx, ENVELOPE_E_KEY_NOT_PRIVATE, "cannot %s with public key %s", what,
                    key->fingerprint);
    return ENVELOPE_OK;
}

envelope_rc key_sign(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                     size_t len, uint8_t sig[SIG_MAX], size_t *sig_len)
{
    envelope_rc rc = need(ctx, key, ENVELOPE_KEY_SIGNING, 1, "sign");

    *sig_len = 0;
    return rc != ENVELOPE_OK ? rc : key->backend->sign(ctx, key, msg, len, sig, sig_len);
}

envelope_rc key_verify(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                       size_t len, const uint8_t *sig, size_t sig_len)
{
    envelope_rc rc = need(ctx, key, ENVELOPE_KEY_SIGNING, 0, "verify");

    return rc != ENVELOPE_OK ? rc : key->backend->verify(ctx, key, msg, len, sig, sig_len);
}

envelope_rc key_wrap(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                     size_t in_len, uint8_t out[WRAPPED_MAX], size_t *out_len)
{
    envelope_rc rc = need(ctx, key, ENVELOPE_KEY_ENCRYPTION, 0, "encrypt");

    *out_len = 0;
    return rc != ENVELOPE_OK ? rc : key->backend->wrap(ctx, key, in, in_len, out, out_len);
}

envelope_rc key_unwrap(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                       size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    envelope_rc rc = need(ctx, key, ENVELOPE_KEY_ENCRYPTION, 1, "decrypt");

    *out_len = 0;
    return rc != ENVELOPE_OK ? rc
                             : key->backend->unwrap(ctx, key, in, in_len, out, out_cap, out_len);
}

static envelope_rc local_sign(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                              size_t len, uint8_t sig[SIG_MAX], size_t *sig_len)
{
    return ecdsa_sign(ctx, key->pkey, msg, len, sig, sig_len);
}

static envelope_rc local_verify(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                                size_t len, const uint8_t *sig, size_t sig_len)
{
    return ecdsa_verify(ctx, key->pkey, msg, len, sig, sig_len);
}

static envelope_rc local_wrap(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                              size_t in_len, uint8_t out[WRAPPED_MAX], size_t *out_len)
{
    return oaep_wrap(ctx, key->pkey, in, in_len, out, out_len);
}

static envelope_rc local_unwrap(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                                size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    return oaep_unwrap(ctx, key->pkey, in, in_len, out, out_cap, out_len);
}

static envelope_rc local_public_key(envelope_ctx *ctx, const envelope_key *key, EVP_PKEY **out)
{
    (void)ctx;
    if (EVP_PKEY_up_ref(key->pkey) != 1)
        return ENVELOPE_E_INTERNAL;
    *out = key->pkey;
    return ENVELOPE_OK;
}

const struct key_backend local_backend = {
    .name = "local",
    .sign = local_sign,
    .verify = local_verify,
    .wrap = local_wrap,
    .unwrap = local_unwrap,
    .public_key = local_public_key,
    .destroy = NULL,
};
