/* The local backend: keys held in this process, run in OpenSSL (sign.c,
 * wrap.c). Loaded from files by keys_load.c, not through a scheme. */
#include <string.h>

#include "base/context.h"
#include "keys/keys.h"

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

/* A local key knows everything at load but an ARN. */
static void local_learned(const envelope_key *key, struct key_learned *out)
{
    out->kind = key->kind;
    out->bits = key->bits;
    memcpy(out->fingerprint, key->fingerprint, ENVELOPE_FINGERPRINT_SIZE);
    out->arn = NULL;
}

const struct key_backend local_backend = {
    .name = "local",
    .sign = local_sign,
    .verify = local_verify,
    .wrap = local_wrap,
    .unwrap = local_unwrap,
    .public_key = local_public_key,
    .learned = local_learned,
    .destroy = NULL,
};
