/* STREAM: the payload as 64 KiB AES-256-GCM chunks whose nonces carry a
 * counter and a final flag, under a key bound to the header
 * (docs/FORMAT.md, "Keys" and "Payload: STREAM"). */
#ifndef ENVELOPE_STREAM_H
#define ENVELOPE_STREAM_H

#include <openssl/evp.h>
#include <stdint.h>

#include "envelope.h"

#define PAYLOAD_KEY_LEN 32
#define TAG_LEN 16
#define NONCE_LEN 12
#define PAYLOAD_INFO "libenvelope/1 payload"

/* payload_key = HKDF-SHA-256(data_key, salt = SHA-256(header), info). */
envelope_rc payload_key_derive(envelope_ctx *ctx, const uint8_t *data_key, size_t data_key_len,
                               const uint8_t *header, size_t header_len,
                               uint8_t out[PAYLOAD_KEY_LEN]);

/* The pieces, exposed for known-answer tests: the STREAM nonce, and one
 * AES-256-GCM seal or open of a chunk (no AAD; tag appended). gcm_open
 * wipes out on failure. Both return 1 on success. */
void stream_nonce(uint64_t counter, int final, uint8_t nonce[NONCE_LEN]);
EVP_CIPHER_CTX *gcm_new(envelope_ctx *ctx, const uint8_t key[PAYLOAD_KEY_LEN], int encrypt);
int gcm_seal(EVP_CIPHER_CTX *c, const uint8_t nonce[NONCE_LEN], const uint8_t *in, size_t len,
             uint8_t *out);
int gcm_open(EVP_CIPHER_CTX *c, const uint8_t nonce[NONCE_LEN], const uint8_t *in,
             size_t sealed_len, uint8_t *out);

struct stream_enc {
    EVP_CIPHER_CTX *cipher;
    uint64_t counter;
    uint8_t *chunk;  /* plaintext waiting: a chunk is sealed only once more
                        data shows it is not the last */
    size_t used;
    size_t touched;  /* the most of chunk ever used: what to wipe */
    uint8_t *out;    /* one sealed chunk */
    envelope_write_fn write;
    void *write_arg;
    uint64_t written; /* bytes of ciphertext out */
    const char *where; /* names the destination in errors; may be NULL */
};

envelope_rc stream_enc_init(envelope_ctx *ctx, struct stream_enc *s,
                            const uint8_t key[PAYLOAD_KEY_LEN], envelope_write_fn write,
                            void *write_arg);
envelope_rc stream_enc_update(envelope_ctx *ctx, struct stream_enc *s, const uint8_t *p,
                              size_t n);
/* Seals what is left as the final chunk; it must not be empty. */
envelope_rc stream_enc_finish(envelope_ctx *ctx, struct stream_enc *s);
void stream_enc_free(struct stream_enc *s);

struct stream_dec {
    EVP_CIPHER_CTX *cipher;
    uint64_t counter;
    envelope_read_fn read;
    void *read_arg;
    uint8_t *in;     /* one sealed chunk plus one byte of look-ahead */
    size_t in_len;
    uint8_t *plain;  /* the last authenticated chunk */
    size_t touched;  /* the most of plain ever written: what to wipe */
    int done;        /* the final chunk has been returned */
    uint64_t consumed;
};

envelope_rc stream_dec_init(envelope_ctx *ctx, struct stream_dec *s,
                            const uint8_t key[PAYLOAD_KEY_LEN], envelope_read_fn read,
                            void *read_arg);
/* The next authenticated chunk: *len bytes at *plain, valid until the next
 * call; *final set on the last one. After the last, *len is 0. Errors:
 * TAMPERED, TRUNCATED, TRAILING_DATA, IO. */
envelope_rc stream_dec_next(envelope_ctx *ctx, struct stream_dec *s, const uint8_t **plain,
                            size_t *len, int *final);
void stream_dec_free(struct stream_dec *s);

#endif
