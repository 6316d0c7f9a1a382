/* What a key shows of itself: fingerprints, identities, public and private
 * encodings. */
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/context.h"
#include "keys/keys.h"

/* A private key written with a passphrase: PKCS#8 PBES2, PBKDF2 with
 * HMAC-SHA-256 at OWASP's 2023 count for it, a random 16-byte salt, and
 * AES-256-CBC with a random IV. OpenSSL 3.0's encoder would use 2048
 * iterations and has no setting for it. */
#define KEY_PBKDF2_ITERATIONS 600000
#define KEY_PBKDF2_SALT_LEN 16

envelope_rc pkey_fingerprint(envelope_ctx *ctx, EVP_PKEY *pkey,
                             char out[ENVELOPE_FINGERPRINT_SIZE])
{
    unsigned char *der = NULL, digest[SPKI_SHA256_LEN];
    int n = key_spki_der(pkey, &der);

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
    n = key_spki_der(pkey, &der);
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

/* The unencrypted PrivateKeyInfo, as OpenSSL's encoder writes it. */
static int write_plain_pkcs8(EVP_PKEY *pkey, BIO *bio)
{
    OSSL_ENCODER_CTX *ectx;
    int ok;

    ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM",
                                         "PrivateKeyInfo", NULL);
    ok = ectx != NULL && OSSL_ENCODER_to_bio(ectx, bio) == 1;
    OSSL_ENCODER_CTX_free(ectx);
    return ok;
}

/* EncryptedPrivateKeyInfo with the parameters above. */
static int write_encrypted_pkcs8(EVP_PKEY *pkey, const char *passphrase, size_t passphrase_len,
                                 BIO *bio)
{
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    X509_ALGOR *pbe = NULL;
    X509_SIG *sealed = NULL;
    int ok = 0;

    if (passphrase_len > INT_MAX || (p8 = EVP_PKEY2PKCS8(pkey)) == NULL)
        goto out;
    pbe = PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), KEY_PBKDF2_ITERATIONS, NULL,
                               KEY_PBKDF2_SALT_LEN, NULL, NID_hmacWithSHA256, NULL);
    if (pbe == NULL)
        goto out;
    /* Takes pbe on success only. */
    if ((sealed = PKCS8_set0_pbe(passphrase, (int)passphrase_len, p8, pbe)) == NULL)
        goto out;
    pbe = NULL;
    ok = PEM_write_bio_PKCS8(bio, sealed) == 1;
out:
    X509_SIG_free(sealed);
    X509_ALGOR_free(pbe);
    PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key it holds */
    return ok;
}

envelope_rc envelope_key_private_pem(envelope_ctx *ctx, const envelope_key *key,
                                     const char *passphrase, size_t passphrase_len,
                                     uint8_t **out, size_t *out_len)
{
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
    if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
        rc = fail_ossl(ctx, ENVELOPE_E_NOMEM, "key encoder");
        goto out;
    }
    if (passphrase != NULL ? !write_encrypted_pkcs8(key->pkey, passphrase, passphrase_len, bio)
                           : !write_plain_pkcs8(key->pkey, bio)) {
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
    return rc;
}

/* No call: a KMS key gives what it has learned so far (docs/KEYS.md). */
envelope_rc key_identities(envelope_ctx *ctx, const envelope_key *key,
                           char fingerprint[ENVELOPE_FINGERPRINT_SIZE],
                           char arn[IDENTITY_MAX + 1])
{
    struct key_learned l;

    (void)ctx;
    key_learned(key, &l);
    memcpy(fingerprint, l.fingerprint, ENVELOPE_FINGERPRINT_SIZE);
    snprintf(arn, IDENTITY_MAX + 1, "%s", l.arn ? l.arn : "");
    return ENVELOPE_OK;
}

void key_verified_by(const envelope_key *key, char out[IDENTITY_MAX + 1])
{
    struct key_learned l;

    key_learned(key, &l);
    snprintf(out, IDENTITY_MAX + 1, "%s", l.fingerprint[0] ? l.fingerprint : l.arn ? l.arn : "");
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
