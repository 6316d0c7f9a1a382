/* Algorithms fetched once per context (algs.h). */
#include "base/algs.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdlib.h>

#include "base/context.h"

struct algs {
    EVP_MD *sha256, *sha512;
    EVP_CIPHER *aes_256_gcm;
    EVP_KDF *hkdf;
};

static const char algs_tag; /* the context's state for this file */

static void algs_release(void *state)
{
    struct algs *a = state;

    EVP_MD_free(a->sha256);
    EVP_MD_free(a->sha512);
    EVP_CIPHER_free(a->aes_256_gcm);
    EVP_KDF_free(a->hkdf);
    free(a);
}

/* OpenSSL 3.0 cannot copy an HKDF context, so each use sets the digest on
 * a new one. */
static EVP_KDF_CTX *hkdf_new(EVP_KDF *kdf, const char *digest)
{
    EVP_KDF_CTX *k = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[2];

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (k != NULL && EVP_KDF_CTX_set_params(k, params) != 1) {
        EVP_KDF_CTX_free(k);
        k = NULL;
    }
    return k;
}

/* The context's algorithms, fetched on first use; NULL where they cannot
 * be kept (no context, no memory, no room), and the caller falls back. A
 * fetch that fails is left NULL and tried again next time. */
static struct algs *algs_of(envelope_ctx *ctx)
{
    struct algs *a;

    if (ctx == NULL)
        return NULL;
    if ((a = ctx_state(ctx, &algs_tag)) != NULL)
        return a;
    if ((a = calloc(1, sizeof(*a))) == NULL)
        return NULL;
    /* no room: the implicit fetch serves, and the context's detail stays
     * the last real failure's */
    if (ctx_state_try_attach(ctx, &algs_tag, a, algs_release) != 0) {
        free(a);
        return NULL;
    }
    return a;
}

const EVP_MD *algs_sha256(envelope_ctx *ctx)
{
    struct algs *a = algs_of(ctx);

    if (a == NULL)
        return EVP_sha256();
    if (a->sha256 == NULL)
        a->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    return a->sha256;
}

const EVP_MD *algs_sha512(envelope_ctx *ctx)
{
    struct algs *a = algs_of(ctx);

    if (a == NULL)
        return EVP_sha512();
    if (a->sha512 == NULL)
        a->sha512 = EVP_MD_fetch(NULL, "SHA2-512", NULL);
    return a->sha512;
}

const EVP_CIPHER *algs_aes_256_gcm(envelope_ctx *ctx)
{
    struct algs *a = algs_of(ctx);

    if (a == NULL)
        return EVP_aes_256_gcm();
    if (a->aes_256_gcm == NULL)
        a->aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    return a->aes_256_gcm;
}

EVP_KDF_CTX *algs_hkdf_sha256(envelope_ctx *ctx)
{
    struct algs *a = algs_of(ctx);
    EVP_KDF *kdf;
    EVP_KDF_CTX *k;

    if (a != NULL) {
        if (a->hkdf == NULL)
            a->hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        return hkdf_new(a->hkdf, "SHA256");
    }
    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    k = hkdf_new(kdf, "SHA256");
    EVP_KDF_free(kdf); /* the context holds its own reference */
    return k;
}
