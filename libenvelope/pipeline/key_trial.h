/* Which of the caller's decryption keys opens which recipient stanza
 * (docs/FORMAT.md, "Key identities"), with a bound on the KMS calls one envelope
 * can cause. */
#ifndef ENVELOPE_KEY_TRIAL_H
#define ENVELOPE_KEY_TRIAL_H

#include "envelope.h"
#include "format/format.h"
#include "keys/keys.h"

#define DECRYPT_KEYS_MAX 16
/* What one KMS key could cause before several keys were allowed: one
 * Decrypt per stanza. Anyone holding the public keys chooses the stanzas. */
#define KMS_DECRYPT_BUDGET STANZA_MAX

/* The data key, from the first stanza one of keys opens: stanzas labelled
 * for a key by that key alone, then each stanza that cannot tell by the
 * local keys, then by the KMS keys. ENVELOPE_E_NOT_RECIPIENT when none
 * opens; other errors (KMS, network) as they come. */
envelope_rc unwrap_stanzas(envelope_ctx *ctx, envelope_key *const *keys, size_t n,
                           const struct header *h, uint8_t data_key[WRAPPED_MAX]);

/* The compat format's one ciphertext, local keys first, then KMS keys. */
envelope_rc unwrap_compat(envelope_ctx *ctx, envelope_key *const *keys, size_t n,
                          const uint8_t *ct, size_t ct_len, uint8_t *out, size_t out_cap,
                          size_t *out_len);

#endif
