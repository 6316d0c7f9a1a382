/* What the seal and open pipelines share with their public entry points:
 * the pipelines themselves, over the sources and sinks of io/io.h. */
#ifndef ENVELOPE_PIPELINE_H
#define ENVELOPE_PIPELINE_H

#include <stdint.h>

#include "base/buf.h"
#include "envelope.h"
#include "format/format.h"
#include "io/io.h"
#include "pipeline/hasher.h"

/* Seals exactly size bytes from in, writing the envelope to out. */
envelope_rc seal_v1(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                    const struct source *in, const struct sink *out);

/* The same in steps, for a caller that pushes the message (sealer.c):
 * begin writes the header and the tar header stating size; push takes the
 * message's bytes, exactly size of them in all, which the caller counts;
 * end signs and writes the rest. Whatever happened, seal_v1_free(*state)
 * (NULL is a no-op). out is used only by begin. */
struct seal_state;
envelope_rc seal_v1_begin(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                          const struct sink *out, struct seal_state **state);
envelope_rc seal_v1_push(struct seal_state *s, const uint8_t *p, size_t n);
envelope_rc seal_v1_end(envelope_ctx *ctx, const envelope_seal_opts *opts, struct seal_state *s);
void seal_v1_free(struct seal_state *s);

/* What open leaves for its caller to release once it returns ENVELOPE_OK:
 * the signed manifest, and (v1) what a second pass over the same envelope
 * needs to release the message it verified. Secret: wiped after use. */
struct opened {
    uint8_t manifest[MANIFEST_MAX];
    size_t manifest_len;
    uint8_t sig[SIG_MAX];
    size_t sig_len;
    uint8_t payload_key[32];
    size_t header_len;
    char name[MESSAGE_NAME_MAX + 1];
    uint64_t size;
    uint8_t sha512[SHA512_LEN];
};

/* Opens from in, writing the message to msg as it is read: msg must be a
 * place nobody sees until the caller releases it. */
envelope_rc open_envelope(envelope_ctx *ctx, const envelope_open_opts *opts,
                          const struct source *in, const struct sink *msg, struct opened *raw,
                          envelope_result *result);
/* Decrypts again the envelope that open_envelope verified into raw, from
 * in (a copy this process kept), writing the message to msg; fails with
 * ENVELOPE_E_MESSAGE_MISMATCH unless name, size and SHA-512 come out as
 * verified. */
envelope_rc open_release(envelope_ctx *ctx, const struct opened *raw, const struct source *in,
                         const struct sink *msg);
/* Opens into msg, a place nobody sees until the caller releases it:
 * open_any, decoding any armor first (armor.h), with a fresh result handed
 * out only on success. raw may be NULL. */
envelope_rc open_into(envelope_ctx *ctx, const envelope_open_opts *opts,
                      const struct source *in, const struct sink *msg, struct opened *raw,
                      envelope_result **result);
/* The same for an input already past the armor. */
envelope_rc open_into_bare(envelope_ctx *ctx, const envelope_open_opts *opts,
                           const struct source *in, const struct sink *msg, struct opened *raw,
                           envelope_result **result);

#endif
