/* What a key shows of itself: fingerprints, identities, public and private
 * encodings. */
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "context.h"
#include "keys.h"
#include "kms_key.h"

envelope_rc pkey_fingerprint(envelope_ctx *ctx, EVP_PKEY *pkey,
                             char out[ENVELOPE_FINGERPRINT_SIZE])
{
    unsigned char *der = NULL, digest[SPKI_SHA256_LEN];
    int n = i2d_PUBKEY(pkey, &der);

    out[0] = '\0';
    if (n <= 0)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "encoding the public key");
    if (EVP_Digest(der, (size_t)n, digest, NULL, EVP_sha256(), NULL) != 1) {
        OPENSSL_free(der);
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "hashing the public key");
    }
    OPENSSL_free(der);
    memcpy(out, "sha256:", 7);
    hex_lower(digest, sizeof(digest), out + 7);
    return ENVELOPE_OK;
}

/* The public key of a local key, or of a KMS key when it can be fetched. */
static envelope_rc public_pkey(envelope_ctx *ctx, const envelope_key *key, EVP_PKEY **out)
{
    *out = NULL;
    if (key == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no key");
    return key->backend->public_key(ctx, key, out);
}

envelope_rc envelope_key_fingerprint(envelope_ctx *ctx, const envelope_key *key,
                                     char out[ENVELOPE_FINGERPRINT_SIZE])
{
    EVP_PKEY *pkey;
    envelope_rc rc;

    if (out == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output");
    out[0] = '\0';
    if (key && key->fingerprint[0]) {
        memcpy(out, key->fingerprint, ENVELOPE_FINGERPRINT_SIZE);
        return ENVELOPE_OK;
    }
    if ((rc = public_pkey(ctx, key, &pkey)) != ENVELOPE_OK)
        return rc;
    rc = pkey_fingerprint(ctx, pkey, out);
    EVP_PKEY_free(pkey);
    return rc;
}

envelope_rc envelope_key_public_der(envelope_ctx *ctx, const envelope_key *key, uint8_t **out,
                                    size_t *out_len)
{
    EVP_PKEY *pkey;
    unsigned char *der = NULL;
    envelope_rc rc;
    int n;

    if (out == NULL || out_len == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output");
    *out = NULL;
    *out_len = 0;
    if ((rc = public_pkey(ctx, key, &pkey)) != ENVELOPE_OK)
        return rc;
    n = i2d_PUBKEY(pkey, &der);
    EVP_PKEY_free(pkey);
    if (n <= 0)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "encoding the public key");
    /* Hand out malloc'd memory, so envelope_free() is plain free(). */
    if ((*out = malloc((size_t)n)) == NULL) {
        OPENSSL_free(der);
        return fail(ctx, ENVELOPE_E_NOMEM, "public key");
    }
    memcpy(*out, der, (size_t)n);
    *out_len = (size_t)n;
    OPENSSL_free(der);
    return ENVELOPE_OK;
}

/* Copies a memory BIO's contents into a malloc'd NUL-terminated string. */
static envelope_rc bio_to_string(envelope_ctx *ctx, BIO *bio, uint8_t **out, size_t *out_len)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);

    if (n <= 0 || (*out = malloc((size_t)n + 1)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "PEM output");
    memcpy(*out, data, (size_t)n);
    (*out)[n] = '\0';
    *out_len = (size_t)n;
    return ENVELOPE_OK;
}

envelope_rc envelope_key_public_pem(envelope_ctx *ctx, const envelope_key *key, uint8_t **out,
                                    size_t *out_len)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    envelope_rc rc;

    if (out == NULL || out_len == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output");
    *out = NULL;
    *out_len = 0;
    if ((rc = public_pkey(ctx, key, &pkey)) != ENVELOPE_OK)
        return rc;
    if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_PUBKEY(bio, pkey) != 1)
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "writing the public key");
    else
        rc = bio_to_string(ctx, bio, out, out_len);
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return rc;
}

envelope_rc envelope_key_private_pem(envelope_ctx *ctx, const envelope_key *key,
                                     const char *passphrase, size_t passphrase_len,
                                     uint8_t **out, size_t *out_len)
{
    OSSL_ENCODER_CTX *ectx = NULL;
    BIO *bio = NULL;
    envelope_rc rc = ENVELOPE_E_INTERNAL;
    char *data;
    long n;

    if (out == NULL || out_len == NULL || key == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no key or output");
    *out = NULL;
    *out_len = 0;
    if (key->pkey == NULL || !key->is_private)
        return fail(ctx, ENVELOPE_E_KEY_NOT_PRIVATE, "only a local private key can be exported");
    ectx = OSSL_ENCODER_CTX_new_for_pkey(key->pkey, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM",
                                         "PrivateKeyInfo", NULL);
    if (ectx == NULL || (bio = BIO_new(BIO_s_secmem())) == NULL) {
        rc = fail_ossl(ctx, ENVELOPE_E_NOMEM, "key encoder");
        goto out;
    }
    if (passphrase != NULL &&
        (OSSL_ENCODER_CTX_set_cipher(ectx, "AES-256-CBC", NULL) != 1 ||
         OSSL_ENCODER_CTX_set_passphrase(ectx, (const unsigned char *)passphrase,
                                         passphrase_len) != 1)) {
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "key encryption setup");
        goto out;
    }
    if (OSSL_ENCODER_to_bio(ectx, bio) != 1) {
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "encoding the private key");
        goto out;
    }
    n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || (*out = malloc((size_t)n + 1)) == NULL) {
        rc = fail(ctx, ENVELOPE_E_NOMEM, "private key");
        goto out;
    }
    memcpy(*out, data, (size_t)n);
    (*out)[n] = '\0';
    *out_len = (size_t)n;
    rc = ENVELOPE_OK;
out:
    BIO_free(bio); /* a secure-heap BIO: cleared on free */
    OSSL_ENCODER_CTX_free(ectx);
    return rc;
}

/* No KMS call: a KMS key gives what it has learned so far (docs/KEYS.md). */
envelope_rc key_identities(envelope_ctx *ctx, const envelope_key *key,
                           char fingerprint[ENVELOPE_FINGERPRINT_SIZE],
                           char arn[IDENTITY_MAX + 1])
{
    (void)ctx;
    if (key_is_kms(key)) {
        kms_key_identities(key, fingerprint, arn);
        return ENVELOPE_OK;
    }
    memcpy(fingerprint, key->fingerprint, ENVELOPE_FINGERPRINT_SIZE);
    arn[0] = '\0';
    return ENVELOPE_OK;
}

void key_verified_by(const envelope_key *key, char out[IDENTITY_MAX + 1])
{
    char fingerprint[ENVELOPE_FINGERPRINT_SIZE];

    if (!key_is_kms(key)) {
        memcpy(out, key->fingerprint, ENVELOPE_FINGERPRINT_SIZE);
        return;
    }
    kms_key_identities(key, fingerprint, out);
    if (fingerprint[0])
        memcpy(out, fingerprint, ENVELOPE_FINGERPRINT_SIZE);
}

void envelope_free(void *p)
{
    free(p);
}

void envelope_free_secret(void *p, size_t len)
{
    if (p)
        OPENSSL_cleanse(p, len);
    free(p);
}
