/* KMS keys (awskms:// references) behind the key backend table. What a KMS
 * key learns as it is used (its ARN, kind, public key) is cached in the key,
 * under a lock, since keys are shared between threads. */
#ifndef ENVELOPE_KMS_KEY_H
#define ENVELOPE_KMS_KEY_H

#include "keys/keys.h"

extern const struct key_backend kms_backend;

int key_is_kms(const envelope_key *key);
/* The kind and size learned so far: 0 while unknown. */
envelope_key_kind kms_key_kind(const envelope_key *key);
unsigned kms_key_bits(const envelope_key *key);
/* The fingerprint (once the public key is known) and the key ARN (once a
 * reference or an answer has named it), each "" when unknown. No call. */
void kms_key_identities(const envelope_key *key, char fingerprint[ENVELOPE_FINGERPRINT_SIZE],
                        char arn[IDENTITY_MAX + 1]);
/* The key ARN once a reference or an answer has named it, else NULL; set
 * once, then unchanged for the key's lifetime (envelope_key_arn). */
const char *kms_key_arn(const envelope_key *key);
/* What names a key that verified a signature, without a KMS call: its
 * fingerprint, else (a KMS key whose public key is not known) its ARN.
 * For any key (key_export.c). */
void key_verified_by(const envelope_key *key, char out[IDENTITY_MAX + 1]);

#endif
