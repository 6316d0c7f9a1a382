/* KMS keys (awskms:// references): the kms backend of the key table
 * (keys/keys.h), reached through keys/backends.c. What a KMS key learns as
 * it is used (its ARN, kind, public key) is cached in the key, under a lock,
 * since keys are shared between threads. */
#ifndef ENVELOPE_KMS_KEY_H
#define ENVELOPE_KMS_KEY_H

#include "keys/keys.h"

extern const struct key_backend kms_backend;

#endif
