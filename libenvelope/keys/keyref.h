/* Key references (docs/KEYS.md): a path, file:PATH, or awskms://. */
#ifndef ENVELOPE_KEYREF_H
#define ENVELOPE_KEYREF_H

#include "envelope.h"

int keyref_is_kms(const char *ref);
/* The path in "file:PATH", or ref itself. */
const char *keyref_file_path(const char *ref);
/* Loads an awskms:// reference (kms_key.c). */
envelope_rc kms_key_load(envelope_ctx *ctx, const char *ref, envelope_key **out);

#endif
