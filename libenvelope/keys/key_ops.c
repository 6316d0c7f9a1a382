/* Key operations: the usage checks every backend shares, then dispatch
 * through the key's backend. */
#include "base/context.h"
#include "keys/keys.h"

static envelope_rc need(envelope_ctx *ctx, const envelope_key *key, envelope_key_kind kind,
                        int private, const char *what)
{
    if (key == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no key to %s with", what);
    /* kind 0: a key whose kind is learned by use; its backend checks. */
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

void key_learned(const envelope_key *key, struct key_learned *out)
{
    key->backend->learned(key, out);
}
