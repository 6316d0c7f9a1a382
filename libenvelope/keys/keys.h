/* The key type: one struct for every key, and the table each key backend
 * fills (local keys: keys/local_key.c; keys reached by a reference's scheme:
 * keys/backends.c). The pipelines call through it without knowing where a
 * key lives. */
#ifndef ENVELOPE_KEYS_H
#define ENVELOPE_KEYS_H

#include <openssl/evp.h>
#include <stdint.h>

#include "envelope.h"
#include "format/format.h" /* SIG_MAX, WRAPPED_MAX, IDENTITY_MAX */

#define SPKI_SHA256_LEN 32

/* What a key knows of itself without a call. A KMS key learns its kind,
 * size, public key and ARN by use; a local key knows all but an ARN. */
struct key_learned {
    envelope_key_kind kind;                      /* 0 while unknown */
    unsigned bits;                               /* 0 while unknown */
    char fingerprint[ENVELOPE_FINGERPRINT_SIZE]; /* "" while unknown */
    const char *arn; /* NULL while unknown; once set, fixed for the key's life */
};

/* Every entry is required but destroy (NULL: no state to free) and, for
 * the local backend only, scheme and load. */
struct key_backend {
    const char *name; /* "local", "kms": for details */
    /* The references this backend loads are those that start with scheme
     * ("awskms://"), through load: required of every backend listed in
     * keys/backends.c; NULL for local keys, which are files. */
    const char *scheme;
    envelope_rc (*load)(envelope_ctx *ctx, const char *ref, envelope_key **out);
    envelope_rc (*sign)(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                        size_t len, uint8_t sig[SIG_MAX], size_t *sig_len);
    /* ENVELOPE_OK, or ENVELOPE_E_UNTRUSTED_SIGNER when the signature is bad. */
    envelope_rc (*verify)(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                          size_t len, const uint8_t *sig, size_t sig_len);
    envelope_rc (*wrap)(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                        size_t in_len, uint8_t out[WRAPPED_MAX], size_t *out_len);
    /* Any failure is ENVELOPE_E_NOT_RECIPIENT or a KMS/network error. */
    envelope_rc (*unwrap)(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                          size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);
    /* The public key, when it can be had; ENVELOPE_E_UNSUPPORTED if not. */
    envelope_rc (*public_key)(envelope_ctx *ctx, const envelope_key *key, EVP_PKEY **out);
    void (*learned)(const envelope_key *key, struct key_learned *out);
    void (*destroy)(envelope_key *key);
};

struct envelope_key {
    int refs;                        /* atomically updated */
    envelope_key_kind kind;
    int is_private;
    unsigned bits;
    const struct key_backend *backend;
    EVP_PKEY *pkey;                  /* local key; NULL for KMS keys */
    char fingerprint[ENVELOPE_FINGERPRINT_SIZE]; /* "" until known */
    void *backend_data;              /* the backend's state for the key */
};

extern const struct key_backend local_backend;

/* The backend whose scheme starts ref, or NULL: ref names a file
 * (keys/backends.c, the only place that names the other backends). */
const struct key_backend *key_backend_for_ref(const char *ref);
/* What key knows of itself, from its backend: no call. */
void key_learned(const envelope_key *key, struct key_learned *out);

/* The common unencrypted PEM and DER encodings, decoded cheaply; NULL for
 * anything else, which the general decoder then handles (key_decode.c). */
EVP_PKEY *key_decode_fast(const uint8_t *data, size_t len);
/* One key: a single PEM block or a DER key (key_decode.c). */
envelope_rc key_decode_one(envelope_ctx *ctx, const uint8_t *data, size_t len,
                           envelope_passphrase_fn passphrase, void *passphrase_arg,
                           envelope_key **out);
/* Every key in data, in order: each PEM block (an EC PARAMETERS block naming
 * P-521 skipped), or one DER key (keys_load.c). */
envelope_rc keys_from_memory(envelope_ctx *ctx, const uint8_t *data, size_t len,
                             envelope_passphrase_fn passphrase, void *arg, envelope_key ***keys,
                             size_t *n);
struct bytes;
/* A key file's bytes, into memory wiped when freed (keyref.c). */
envelope_rc key_file_read(envelope_ctx *ctx, const char *path, struct bytes *b);
/* Wraps an EVP_PKEY (taking ownership) after checking it is usable. */
envelope_rc key_from_pkey(envelope_ctx *ctx, EVP_PKEY *pkey, envelope_key **out);
/* The SPKI DER of pkey (OPENSSL_malloc'd into *der), built without
 * OpenSSL's encoders for named P-521 and RSA keys; its length, or 0 for a
 * key it leaves to i2d_PUBKEY (key_spki.c). */
int key_spki_build(EVP_PKEY *pkey, unsigned char **der);
/* The same for any key: key_spki_build, else i2d_PUBKEY; <= 0 on failure. */
int key_spki_der(EVP_PKEY *pkey, unsigned char **der);
/* "sha256:<hex>" of the SPKI DER of pkey. */
envelope_rc pkey_fingerprint(envelope_ctx *ctx, EVP_PKEY *pkey,
                             char out[ENVELOPE_FINGERPRINT_SIZE]);
/* The key's identities for labels and manifests: a fingerprint and/or a KMS
 * ARN, each "" when unknown. */
envelope_rc key_identities(envelope_ctx *ctx, const envelope_key *key,
                           char fingerprint[ENVELOPE_FINGERPRINT_SIZE],
                           char arn[IDENTITY_MAX + 1]);
/* What names a key that verified a signature, without a call: its
 * fingerprint, else (a KMS key whose public key is not known) its ARN. */
void key_verified_by(const envelope_key *key, char out[IDENTITY_MAX + 1]);

/* Dispatch with the usage checks every backend shares. */
envelope_rc key_sign(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                     size_t len, uint8_t sig[SIG_MAX], size_t *sig_len);
envelope_rc key_verify(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                       size_t len, const uint8_t *sig, size_t sig_len);
envelope_rc key_wrap(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                     size_t in_len, uint8_t out[WRAPPED_MAX], size_t *out_len);
envelope_rc key_unwrap(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                       size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* sign.c and wrap.c: the local EVP operations. */
envelope_rc ecdsa_sign(envelope_ctx *ctx, EVP_PKEY *pkey, const uint8_t *msg, size_t len,
                       uint8_t sig[SIG_MAX], size_t *sig_len);
envelope_rc ecdsa_verify(envelope_ctx *ctx, EVP_PKEY *pkey, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t sig_len);
envelope_rc oaep_wrap(envelope_ctx *ctx, EVP_PKEY *pkey, const uint8_t *in, size_t in_len,
                      uint8_t out[WRAPPED_MAX], size_t *out_len);
envelope_rc oaep_unwrap(envelope_ctx *ctx, EVP_PKEY *pkey, const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t out_cap, size_t *out_len);

#endif
