/* The v1 header and the manifest: encode and parse on bounded buffers, no
 * I/O and no crypto (docs/FORMAT.md, "Header", "Key identities" and "Manifest"). */
#ifndef ENVELOPE_FORMAT_H
#define ENVELOPE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "envelope.h"

#define MAGIC "\x89" "ENV\r\n\x1a\n"
#define MAGIC_LEN 8
#define FORMAT_VERSION 1
#define SUITE_P521_OAEP256_AES256GCM 1
#define HEADER_FIXED_LEN 37
#define HEADER_PREFIX_LEN 16 /* magic, version, suite, flags, header_len */
#define HEADER_MIN_LEN (HEADER_FIXED_LEN + 4 + 256)
#define HEADER_MAX_LEN 65536
#define SALT_LEN 16
#define CHUNK_SIZE 65536
#define STANZA_MAX 16
#define LABEL_MAX 1024
#define DATA_KEY_LEN 32
#define MANIFEST_MAX 4096
#define MESSAGE_NAME_MAX 255
#define MANIFEST_PREFIX "{\"format\":\"libenvelope/1\","
#define MANIFEST_PREFIX_LEN 26
#define SIG_MAX 139       /* DER ECDSA P-521 signature, at its longest */
#define WRAPPED_MAX 512   /* RSA-4096 ciphertext */
#define IDENTITY_MAX 256  /* one identity: "sha256:..." or a KMS key ARN */

struct stanza {
    char label[LABEL_MAX + 1];
    uint8_t wrapped[WRAPPED_MAX];
    size_t wrapped_len;
};

struct header {
    uint8_t salt[SALT_LEN];
    size_t n_stanzas;
    struct stanza stanzas[STANZA_MAX];
};

/* Checks the first HEADER_PREFIX_LEN bytes and returns the header's length,
 * within bounds, so that a reader knows how much more to read. */
envelope_rc header_peek(envelope_ctx *ctx, const uint8_t *p, size_t len, uint32_t *header_len);
envelope_rc header_parse(envelope_ctx *ctx, const uint8_t *p, size_t len, struct header *out);
envelope_rc header_encode(envelope_ctx *ctx, const struct header *h, struct bytes *out);

/* A key's identities, each "" when unknown (FORMAT.md, "Key identities"). */
struct identity {
    char key[ENVELOPE_FINGERPRINT_SIZE];
    char kms[IDENTITY_MAX + 1];
};

/* "key kms", "key", "kms" or "": the form of a label. */
void identity_label(const struct identity *id, char out[LABEL_MAX + 1]);
/* 1 if the label names this identity, 0 if it names another of a kind the
 * identity has, -1 if it cannot tell (hidden, or no kind in common). */
int label_matches(const char *label, const struct identity *id);
int identity_is_valid_arn(const char *s, size_t len);
int identity_is_valid_fingerprint(const char *s);

struct manifest {
    char name[MESSAGE_NAME_MAX + 1];
    uint64_t size;
    char sha512[129];
    char header_sha256[65];
    size_t n_recipients;
    struct identity recipients[STANZA_MAX];
    struct identity signer;
    time_t created;
};

/* The canonical bytes of m, checked by reading them back (json-c's writer
 * can drop pieces when memory runs out). */
envelope_rc manifest_encode(envelope_ctx *ctx, const struct manifest *m, struct bytes *out);
/* The same unchecked: for manifest_parse's own comparison. */
envelope_rc manifest_encode_raw(envelope_ctx *ctx, const struct manifest *m, struct bytes *out);
/* Strict: the bytes must be exactly what manifest_encode gives for the values
 * they hold. */
envelope_rc manifest_parse(envelope_ctx *ctx, const uint8_t *p, size_t len, struct manifest *m);

/* 0 if name may name a message (FORMAT.md, "Inner archive"), else -1 with why. */
int message_name_check(const char *name, size_t len, const char **why);

/* The largest compat envelope: one RSA-4096 ciphertext. */
#define COMPAT_MAX 512
/* Whether an input without the v1 magic can be a compat envelope, from its
 * first n bytes (n <= COMPAT_MAX + 1; more than COMPAT_MAX: the input goes
 * on). ENVELOPE_OK, or ENVELOPE_E_NOT_ENVELOPE saying what the input is
 * instead: empty, a v1 envelope with a damaged magic, text, or of a size
 * no compat envelope has (docs/COMPAT.md). No key is used. */
envelope_rc compat_check(envelope_ctx *ctx, const uint8_t *p, size_t n);

#endif
