/* Crafting what seal never writes: tar archives of any shape (through
 * libarchive's writer) and envelopes around any archive, for the tests of
 * the archive rules and of the checks after decryption. */
#ifndef ENVELOPE_FORGE_H
#define ENVELOPE_FORGE_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "format/format.h"

/* One tar entry. type is an AE_IF* file type (0: regular file); link is
 * the symlink target or, with hardlink set, the hard link's target. */
struct tar_entry {
    const char *name;
    const uint8_t *data;
    size_t size;
    unsigned type;
    const char *link;
    int hardlink;
};

/* libarchive's writer has no ARCHIVE_FORMAT_* code for pre-POSIX tar
 * (ARCHIVE_FORMAT_TAR gives pax); this one asks for it. */
#define FORGE_V7TAR (-1)

/* An archive of the entries in a libarchive format (ARCHIVE_FORMAT_*),
 * with gzip on top if gzip is set, written without block padding (what
 * the end-of-archive marker leaves). Free with free(). */
uint8_t *forge_tar(int format, int gzip, const struct tar_entry *e, size_t n, size_t *len);

/* An envelope in the making: a header for one recipient, with its data
 * key at hand so that any payload can be encrypted under it. */
struct forge {
    struct bytes header;
    uint8_t data_key[DATA_KEY_LEN];
    char header_sha256[65];
};

/* label NULL: the recipient's fingerprint; "" hides it. */
void forge_begin(envelope_ctx *ctx, struct forge *f, envelope_key *recipient, const char *label);
/* The manifest seal would write for msg under f's header. */
void forge_manifest(envelope_ctx *ctx, const struct forge *f, envelope_key *signer,
                    const char *name, const uint8_t *msg, size_t n, struct manifest *m);
/* Encodes m and signs the bytes with signer: *json and *sig (free both). */
void forge_sign(envelope_ctx *ctx, const struct manifest *m, envelope_key *signer,
                struct bytes *json, struct bytes *sig);
/* The three entries of a well-formed archive for these pieces. */
uint8_t *forge_bundle(const char *name, const uint8_t *msg, size_t n, const struct bytes *json,
                      const struct bytes *sig, size_t *len);
/* header || STREAM(archive): the whole envelope (free with free()). */
uint8_t *forge_seal(const struct forge *f, const uint8_t *archive, size_t n, size_t *len);
void forge_free(struct forge *f);

#endif
