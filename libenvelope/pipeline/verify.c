/* Signed manifests checked on their own: the signature over the raw bytes
 * first, then the strict parse; and a message checked against the manifest.
 * What `envelope verify` does to an extracted directory, offline. */
#include "pipeline/verify.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/algs.h"
#include "base/context.h"
#include "pipeline/hasher.h"
#include "pipeline/opts.h"

/* Explains a failed verification. The manifest is not read: until a
 * trusted key has verified it, the signer it names is anyone's word, and its
 * bytes reach no parser (docs/SECURITY.md). */
static envelope_rc untrusted(envelope_ctx *ctx, size_t n_trusted)
{
    return fail(ctx, ENVELOPE_E_UNTRUSTED_SIGNER, "signer unknown; %zu %s tried", n_trusted,
                n_trusted == 1 ? "key" : "keys");
}

envelope_rc manifest_verify_signer(envelope_ctx *ctx, const uint8_t *manifest, size_t len,
                                   const uint8_t *sig, size_t sig_len,
                                   envelope_key *const *trusted, size_t n_trusted,
                                   char signer[IDENTITY_MAX + 1])
{
    envelope_rc rc;

    for (size_t i = 0; i < n_trusted; i++) {
        rc = key_verify(ctx, trusted[i], manifest, len, sig, sig_len);
        if (rc == ENVELOPE_OK) {
            key_verified_by(trusted[i], signer);
            return ENVELOPE_OK;
        }
        if (rc != ENVELOPE_E_UNTRUSTED_SIGNER)
            return rc;
    }
    return untrusted(ctx, n_trusted);
}

static envelope_rc check_args(envelope_ctx *ctx, const uint8_t *manifest, size_t len,
                              const uint8_t *sig, size_t sig_len, envelope_key *const *trusted,
                              size_t n_trusted)
{
    if (manifest == NULL || sig == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no manifest or signature");
    if (trusted == NULL || n_trusted == 0 || n_trusted > TRUSTED_MAX)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "need 1 to %d trusted keys", TRUSTED_MAX);
    for (size_t i = 0; i < n_trusted; i++)
        if (trusted[i] == NULL)
            return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "trusted key %zu is NULL", i + 1);
    if (len > MANIFEST_MAX)
        return fail(ctx, ENVELOPE_E_BAD_MANIFEST, "manifest of %zu bytes; at most %d", len,
                    MANIFEST_MAX);
    if (sig_len == 0 || sig_len > SIG_MAX)
        return fail(ctx, ENVELOPE_E_UNTRUSTED_SIGNER,
                    "signature of %zu bytes; a P-521 signature has 8 to %d", sig_len, SIG_MAX);
    return ENVELOPE_OK;
}

envelope_rc envelope_verify_manifest(envelope_ctx *ctx, const uint8_t *manifest, size_t len,
                                     const uint8_t *sig, size_t sig_len,
                                     envelope_key *const *trusted, size_t n_trusted,
                                     envelope_result **out)
{
    envelope_result *r;
    envelope_rc rc;

    if (out == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output for the result");
    *out = NULL;
    detail_clear(ctx);
    if ((rc = check_args(ctx, manifest, len, sig, sig_len, trusted, n_trusted)) != ENVELOPE_OK)
        return rc;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "result");
    if ((rc = manifest_verify_signer(ctx, manifest, len, sig, sig_len, trusted, n_trusted,
                                     r->signer)) != ENVELOPE_OK ||
        (rc = manifest_parse(ctx, manifest, len, &r->manifest)) != ENVELOPE_OK) {
        free(r);
        return rc;
    }
    r->format = ENVELOPE_FORMAT_V1;
    identity_label(&r->manifest.signer, r->signer_hint);
    for (size_t i = 0; i < r->manifest.n_recipients; i++)
        identity_label(&r->manifest.recipients[i], r->recipients[i]);
    *out = r;
    return ENVELOPE_OK;
}

/* Every value compared is public (a size, a hash of the message the caller
 * holds): plain comparisons are fine. */
static envelope_rc compare(envelope_ctx *ctx, const envelope_result *r, uint64_t size,
                           EVP_MD_CTX *md)
{
    uint8_t digest[SHA512_LEN];
    char hex[2 * SHA512_LEN + 1];

    if (size > r->manifest.size)
        return fail(ctx, ENVELOPE_E_MESSAGE_MISMATCH,
                    "message longer than the manifest's %llu bytes",
                    (unsigned long long)r->manifest.size);
    if (size < r->manifest.size)
        return fail(ctx, ENVELOPE_E_MESSAGE_MISMATCH,
                    "message of %llu bytes; the manifest says %llu", (unsigned long long)size,
                    (unsigned long long)r->manifest.size);
    if (EVP_DigestFinal_ex(md, digest, NULL) != 1)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "SHA-512");
    hex_lower(digest, sizeof(digest), hex);
    if (strcmp(hex, r->manifest.sha512) != 0)
        return fail(ctx, ENVELOPE_E_MESSAGE_MISMATCH,
                    "message SHA-512 %.16s... differs from the manifest's %.16s...", hex,
                    r->manifest.sha512);
    return ENVELOPE_OK;
}

static envelope_rc hash_fd(envelope_ctx *ctx, const envelope_result *r, int fd, EVP_MD_CTX *md,
                           uint64_t *size)
{
    uint8_t buf[65536]; /* the message, in plaintext */
    ssize_t n;
    envelope_rc rc = ENVELOPE_OK;

    *size = 0;
    /* Reading stops one buffer past the stated size: enough to tell. An
     * EINTR is retried unless the context was cancelled (envelope_cancel). */
    while ((rc = check_cancelled(ctx)) == ENVELOPE_OK && *size <= r->manifest.size &&
           (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && retry_read(ctx, errno))
            continue;
        if (n < 0 && (rc = check_cancelled(ctx)) != ENVELOPE_OK)
            break;
        if (n < 0) {
            rc = fail(ctx, ENVELOPE_E_IO, "reading the message: %s", strerror(errno));
            break;
        }
        if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
            rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "SHA-512");
            break;
        }
        *size += (uint64_t)n;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

static envelope_rc check_message(envelope_ctx *ctx, const envelope_result *r, int fd,
                                 const uint8_t *msg, size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint64_t size = len;
    envelope_rc rc;

    detail_clear(ctx);
    if (r == NULL) {
        rc = fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no result to check against");
    } else if (md == NULL || EVP_DigestInit_ex(md, algs_sha512(ctx), NULL) != 1) {
        rc = fail_ossl(ctx, ENVELOPE_E_NOMEM, "SHA-512");
    } else if (fd >= 0) {
        if ((rc = hash_fd(ctx, r, fd, md, &size)) == ENVELOPE_OK)
            rc = compare(ctx, r, size, md);
    } else if (EVP_DigestUpdate(md, msg, len) != 1) {
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "SHA-512");
    } else {
        rc = compare(ctx, r, size, md);
    }
    EVP_MD_CTX_free(md);
    return rc;
}

envelope_rc envelope_verify_message_fd(envelope_ctx *ctx, const envelope_result *result, int fd)
{
    if (fd < 0)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no message descriptor");
    return check_message(ctx, result, fd, NULL, 0);
}

envelope_rc envelope_verify_message_mem(envelope_ctx *ctx, const envelope_result *result,
                                        const uint8_t *msg, size_t len)
{
    if (msg == NULL && len != 0)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no message");
    return check_message(ctx, result, -1, msg ? msg : (const uint8_t *)"", len);
}
