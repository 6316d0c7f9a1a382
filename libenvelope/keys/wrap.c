/* RSA-OAEP with SHA-256, MGF1-SHA-256 and an empty label: KMS's
 * RSAES_OAEP_SHA_256. Used for the data key (v1) and the archive (compat). */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "base/context.h"
#include "keys/keys.h"

static EVP_PKEY_CTX *oaep_ctx(EVP_PKEY *pkey, int decrypt)
{
    EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

    if (p == NULL)
        return NULL;
    if ((decrypt ? EVP_PKEY_decrypt_init(p) : EVP_PKEY_encrypt_init(p)) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(p, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(p, EVP_sha256()) != 1) {
        EVP_PKEY_CTX_free(p);
        return NULL;
    }
    return p;
}

envelope_rc oaep_wrap(envelope_ctx *ctx, EVP_PKEY *pkey, const uint8_t *in, size_t in_len,
                      uint8_t out[WRAPPED_MAX], size_t *out_len)
{
    EVP_PKEY_CTX *p = oaep_ctx(pkey, 0);
    size_t n = WRAPPED_MAX;
    envelope_rc rc = ENVELOPE_OK;

    *out_len = 0;
    if (p == NULL)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "RSA-OAEP setup");
    if (EVP_PKEY_encrypt(p, out, &n, in, in_len) != 1)
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "RSA-OAEP encrypt of %zu bytes", in_len);
    else
        *out_len = n;
    EVP_PKEY_CTX_free(p);
    return rc;
}

/* One error for every failure, whatever OpenSSL's reason: which padding check
 * failed must not reach the caller (Manger's attack). */
envelope_rc oaep_unwrap(envelope_ctx *ctx, EVP_PKEY *pkey, const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t out_cap, size_t *out_len)
{
    EVP_PKEY_CTX *p = oaep_ctx(pkey, 1);
    size_t n = out_cap;
    envelope_rc rc = ENVELOPE_OK;

    *out_len = 0;
    if (p == NULL)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "RSA-OAEP setup");
    if (EVP_PKEY_decrypt(p, out, &n, in, in_len) != 1) {
        ERR_clear_error();
        OPENSSL_cleanse(out, out_cap);
        rc = fail(ctx, ENVELOPE_E_NOT_RECIPIENT, "RSA-OAEP decryption failed");
    } else {
        *out_len = n;
    }
    EVP_PKEY_CTX_free(p);
    return rc;
}
