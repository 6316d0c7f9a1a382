/* Checking a signed manifest: shared by the open pipeline and the offline
 * verification of an extracted directory. */
#ifndef ENVELOPE_VERIFY_H
#define ENVELOPE_VERIFY_H

#include "envelope.h"
#include "keys/keys.h"

/* Verifies sig over the raw manifest bytes under each trusted key in turn
 * and copies the fingerprint of the one that verified into signer (for a
 * KMS key whose public key is not known, its ARN: see key_verified_by). On
 * failure (ENVELOPE_E_UNTRUSTED_SIGNER) the signer is unknown: the manifest
 * is not parsed, so the detail says only how many keys were tried. */
envelope_rc manifest_verify_signer(envelope_ctx *ctx, const uint8_t *manifest, size_t len,
                                   const uint8_t *sig, size_t sig_len,
                                   envelope_key *const *trusted, size_t n_trusted,
                                   char signer[IDENTITY_MAX + 1]);

#endif
