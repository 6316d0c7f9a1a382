/* The compat format: the tutorial's message.enc (docs/COMPAT.md). */
#ifndef ENVELOPE_COMPAT_H
#define ENVELOPE_COMPAT_H

#include "pipeline/pipeline.h"

/* Refuses, before a byte of the message is read or a key is used, what
 * seal_compat would: not exactly one recipient, or one that is not an RSA
 * encryption key of a size it takes, no signing key, a name too long for
 * ustar, no libarchive. */
envelope_rc compat_seal_check(envelope_ctx *ctx, const envelope_seal_opts *opts);
/* ENVELOPE_E_COMPAT_TOO_LARGE unless a message of size bytes can fit the
 * OAEP block of the recipient to (RSA-4096's while a KMS key's size is
 * not known), before a byte of it is read. */
envelope_rc compat_message_fits(envelope_ctx *ctx, const envelope_key *to, uint64_t size);
envelope_rc seal_compat(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                        const struct source *in, const struct sink *out);
/* Opens a v1 envelope, or a compat one where the options allow it. */
envelope_rc open_any(envelope_ctx *ctx, const envelope_open_opts *opts, const struct source *in,
                     const struct sink *msg, struct opened *raw, envelope_result *result);

/* The decrypted compat archive: message.sig into raw->sig, the message
 * (at most WRAPPED_MAX bytes) into msg and its name (MESSAGE_NAME_MAX + 1)
 * into name; ENVELOPE_E_UNSUPPORTED where libarchive cannot be loaded
 * (archive_dl.h). Internal; apart from open_any, only the fuzz target and
 * test_bundle call it. */
envelope_rc compat_unpack(envelope_ctx *ctx, const uint8_t *p, size_t n, struct opened *raw,
                          uint8_t *msg, size_t *msg_len, char *name);

#endif
