/* STREAM over AES-256-GCM (docs/FORMAT.md, "Keys" and "Payload: STREAM"). */
#include "format/stream.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <stdlib.h>
#include <string.h>

#include "base/algs.h"
#include "base/context.h"
#include "format/format.h"
#include "io/space.h"

#define SEALED_MAX (CHUNK_SIZE + TAG_LEN)

envelope_rc payload_key_derive(envelope_ctx *ctx, const uint8_t *data_key, size_t data_key_len,
                               const uint8_t *header, size_t header_len,
                               uint8_t out[PAYLOAD_KEY_LEN])
{
    uint8_t salt[32];
    EVP_KDF_CTX *kctx = algs_hkdf_sha256(ctx); /* its digest set */
    OSSL_PARAM params[4];
    envelope_rc rc = ENVELOPE_OK;

    params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)data_key,
                                                  data_key_len);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, sizeof(salt));
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, PAYLOAD_INFO,
                                                  sizeof(PAYLOAD_INFO) - 1);
    params[3] = OSSL_PARAM_construct_end();
    if (kctx == NULL ||
        EVP_Digest(header, header_len, salt, NULL, algs_sha256(ctx), NULL) != 1 ||
        EVP_KDF_derive(kctx, out, PAYLOAD_KEY_LEN, params) != 1)
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "HKDF");
    EVP_KDF_CTX_free(kctx); /* wipes the key it was given */
    return rc;
}

void stream_nonce(uint64_t counter, int final, uint8_t nonce[NONCE_LEN])
{
    /* 11-byte big-endian counter: the top three bytes stay zero, since a
     * 64-bit counter of 64 KiB chunks outlasts any input. */
    memset(nonce, 0, NONCE_LEN);
    for (int i = 0; i < 8; i++)
        nonce[10 - i] = (uint8_t)(counter >> (8 * i));
    nonce[11] = final ? 1 : 0;
}

EVP_CIPHER_CTX *gcm_new(envelope_ctx *ctx, const uint8_t key[PAYLOAD_KEY_LEN], int encrypt)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    const EVP_CIPHER *gcm = algs_aes_256_gcm(ctx);

    if (c && gcm && EVP_CipherInit_ex(c, gcm, NULL, key, NULL, encrypt) == 1)
        return c;
    EVP_CIPHER_CTX_free(c);
    return NULL;
}

envelope_rc stream_enc_init(envelope_ctx *ctx, struct stream_enc *s,
                            const uint8_t key[PAYLOAD_KEY_LEN], envelope_write_fn write,
                            void *write_arg)
{
    memset(s, 0, sizeof(*s));
    s->write = write;
    s->write_arg = write_arg;
    s->chunk = malloc(CHUNK_SIZE);
    s->out = malloc(SEALED_MAX);
    s->cipher = gcm_new(ctx, key, 1);
    if (s->chunk == NULL || s->out == NULL || s->cipher == NULL) {
        stream_enc_free(s);
        return fail_ossl(ctx, ENVELOPE_E_NOMEM, "payload cipher");
    }
    return ENVELOPE_OK;
}

int gcm_seal(EVP_CIPHER_CTX *c, const uint8_t nonce[NONCE_LEN], const uint8_t *in, size_t len,
             uint8_t *out)
{
    int n, m;

    return EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) == 1 &&
           EVP_EncryptUpdate(c, out, &n, in, (int)len) == 1 &&
           EVP_EncryptFinal_ex(c, out + n, &m) == 1 &&
           EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + n + m) == 1;
}

int gcm_open(EVP_CIPHER_CTX *c, const uint8_t nonce[NONCE_LEN], const uint8_t *in,
             size_t sealed_len, uint8_t *out)
{
    size_t len = sealed_len - TAG_LEN;
    int n, m;

    if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) == 1 &&
        EVP_DecryptUpdate(c, out, &n, in, (int)len) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(in + len)) == 1 &&
        EVP_DecryptFinal_ex(c, out + n, &m) == 1)
        return 1;
    OPENSSL_cleanse(out, len);
    ERR_clear_error();
    return 0;
}

static envelope_rc seal_chunk(envelope_ctx *ctx, struct stream_enc *s, int final)
{
    uint8_t nonce[NONCE_LEN];

    stream_nonce(s->counter, final, nonce);
    if (!gcm_seal(s->cipher, nonce, s->chunk, s->used, s->out))
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "AES-GCM chunk %llu",
                         (unsigned long long)s->counter);
    if (s->write(s->write_arg, s->out, s->used + TAG_LEN) != 0)
        return fail_write(ctx, errno, s->where, "writing the envelope");
    s->written += s->used + TAG_LEN;
    s->counter++;
    s->used = 0;
    return ENVELOPE_OK;
}

envelope_rc stream_enc_update(envelope_ctx *ctx, struct stream_enc *s, const uint8_t *p,
                              size_t n)
{
    envelope_rc rc;

    while (n > 0) {
        size_t take;

        if (s->used == CHUNK_SIZE && (rc = seal_chunk(ctx, s, 0)) != ENVELOPE_OK)
            return rc;
        take = CHUNK_SIZE - s->used < n ? CHUNK_SIZE - s->used : n;
        memcpy(s->chunk + s->used, p, take);
        s->used += take;
        if (s->used > s->touched)
            s->touched = s->used;
        p += take;
        n -= take;
    }
    return ENVELOPE_OK;
}

envelope_rc stream_enc_finish(envelope_ctx *ctx, struct stream_enc *s)
{
    if (s->used == 0)
        return fail(ctx, ENVELOPE_E_INTERNAL, "empty final chunk");
    return seal_chunk(ctx, s, 1);
}

void stream_enc_free(struct stream_enc *s)
{
    EVP_CIPHER_CTX_free(s->cipher); /* clears the key schedule */
    /* Plaintext lies only where chunks were filled: a small message
     * leaves most of the 64 KiB untouched, and wiping it is a cost per
     * envelope. */
    if (s->chunk)
        OPENSSL_cleanse(s->chunk, s->touched);
    free(s->chunk);
    free(s->out);
    memset(s, 0, sizeof(*s));
}

envelope_rc stream_dec_init(envelope_ctx *ctx, struct stream_dec *s,
                            const uint8_t key[PAYLOAD_KEY_LEN], envelope_read_fn read,
                            void *read_arg)
{
    memset(s, 0, sizeof(*s));
    s->read = read;
    s->read_arg = read_arg;
    s->in = malloc(SEALED_MAX + 1);
    s->plain = malloc(CHUNK_SIZE);
    s->cipher = gcm_new(ctx, key, 0);
    if (s->in == NULL || s->plain == NULL || s->cipher == NULL) {
        stream_dec_free(s);
        return fail_ossl(ctx, ENVELOPE_E_NOMEM, "payload cipher");
    }
    return ENVELOPE_OK;
}

/* Fills the buffer to one sealed chunk plus one byte, or to the end. */
static envelope_rc fill(envelope_ctx *ctx, struct stream_dec *s)
{
    envelope_rc rc;

    while (s->in_len < SEALED_MAX + 1) {
        ssize_t n;

        if ((rc = check_cancelled(ctx)) != ENVELOPE_OK)
            return rc;
        errno = 0; /* only an EINTR of this very read counts */
        if ((n = s->read(s->read_arg, s->in + s->in_len, SEALED_MAX + 1 - s->in_len)) < 0 &&
            retry_read(ctx, errno))
            continue;
        if (n < 0)
            return check_cancelled(ctx) ? ENVELOPE_E_CANCELLED
                                        : fail(ctx, ENVELOPE_E_IO, "reading the envelope");
        if (n == 0)
            break;
        s->in_len += (size_t)n;
    }
    return ENVELOPE_OK;
}

static int open_chunk(struct stream_dec *s, size_t sealed_len, int final)
{
    uint8_t nonce[NONCE_LEN];

    stream_nonce(s->counter, final, nonce);
    /* gcm_open writes the plaintext before it knows the tag, and wipes it
     * when the tag fails: count it as written either way */
    if (sealed_len - TAG_LEN > s->touched)
        s->touched = sealed_len - TAG_LEN;
    return gcm_open(s->cipher, nonce, s->in, sealed_len, s->plain);
}

envelope_rc stream_dec_next(envelope_ctx *ctx, struct stream_dec *s, const uint8_t **plain,
                            size_t *len, int *final)
{
    unsigned long long i = (unsigned long long)s->counter;
    size_t sealed;
    int last;
    envelope_rc rc;

    *plain = NULL;
    *len = 0;
    *final = 0;
    if (s->done)
        return ENVELOPE_OK;
    if ((rc = fill(ctx, s)) != ENVELOPE_OK)
        return rc;
    last = s->in_len <= SEALED_MAX;
    sealed = last ? s->in_len : SEALED_MAX;
    if (sealed <= TAG_LEN)
        return fail(ctx, ENVELOPE_E_TRUNCATED, "input ends before chunk %llu is complete", i);
    if (!open_chunk(s, sealed, last)) {
        /* Only to name the failure: a chunk that opens with the other flag
         * shows where the stream was cut or extended. */
        if (open_chunk(s, sealed, !last)) {
            OPENSSL_cleanse(s->plain, sealed - TAG_LEN);
            return last ? fail(ctx, ENVELOPE_E_TRUNCATED, "input ends after chunk %llu", i)
                        : fail(ctx, ENVELOPE_E_TRAILING_DATA,
                               "data after the final chunk (%llu)", i);
        }
        return fail(ctx, ENVELOPE_E_TAMPERED, "chunk %llu fails authentication", i);
    }
    *plain = s->plain;
    *len = sealed - TAG_LEN;
    *final = last;
    s->done = last;
    s->counter++;
    s->consumed += sealed;
    memmove(s->in, s->in + sealed, s->in_len - sealed);
    s->in_len -= sealed;
    return ENVELOPE_OK;
}

void stream_dec_free(struct stream_dec *s)
{
    EVP_CIPHER_CTX_free(s->cipher);
    if (s->plain)
        OPENSSL_cleanse(s->plain, s->touched);
    free(s->plain);
    free(s->in);
    memset(s, 0, sizeof(*s));
}
