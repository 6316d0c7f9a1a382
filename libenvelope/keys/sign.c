/* ECDSA P-521 with SHA-512, DER signatures: what KMS Sign (ECDSA_SHA_512,
 * MessageType=RAW) and `openssl dgst -sha512 -sign` produce. */
#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/context.h"
#include "keys/keys.h"

envelope_rc ecdsa_sign(envelope_ctx *ctx, EVP_PKEY *pkey, const uint8_t *msg, size_t len,
                       uint8_t sig[SIG_MAX], size_t *sig_len)
{
    envelope_rc rc = ENVELOPE_E_INTERNAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = SIG_MAX;

    *sig_len = 0;
    if (md == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "signing");
    if (EVP_DigestSignInit_ex(md, NULL, "SHA512", NULL, NULL, pkey, NULL) != 1 ||
        EVP_DigestSign(md, sig, &n, msg, len) != 1) {
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "ECDSA sign");
        goto out;
    }
    /* OpenSSL 3.0 reports success with a length of (unsigned)-1 when the
     * DER encoding of the signature runs out of memory. */
    if (n == 0 || n > SIG_MAX) {
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "ECDSA sign: a %zu-byte signature", n);
        goto out;
    }
    *sig_len = n;
    rc = ENVELOPE_OK;
out:
    EVP_MD_CTX_free(md);
    return rc;
}

envelope_rc ecdsa_verify(envelope_ctx *ctx, EVP_PKEY *pkey, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t sig_len)
{
    envelope_rc rc = ENVELOPE_E_INTERNAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    if (md == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "verifying");
    if (EVP_DigestVerifyInit_ex(md, NULL, "SHA512", NULL, NULL, pkey, NULL) != 1) {
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "ECDSA verify init");
        goto out;
    }
    /* 0 is a bad signature, a negative value a malformed one: to the caller
     * both mean this key did not sign it. */
    ok = EVP_DigestVerify(md, sig, sig_len, msg, len);
    ERR_clear_error();
    rc = ok == 1 ? ENVELOPE_OK : ENVELOPE_E_UNTRUSTED_SIGNER;
out:
    EVP_MD_CTX_free(md);
    return rc;
}
