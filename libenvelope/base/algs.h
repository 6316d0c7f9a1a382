/* The algorithms every seal and open uses, fetched once per context.
 *
 * An algorithm named by EVP_sha256() and the like is fetched from
 * OpenSSL's method store again at each use, under a lock that threads
 * sealing at once contend for (OpenSSL's crypto(7), "Performance").
 * These fetch from the default library context with the default
 * properties, as those calls do, the first time a context needs them, and
 * keep them until envelope_ctx_free. Without a context, or when the context
 * has no room for them, they fall back to the implicit fetch. NULL: the
 * algorithm is not available (the caller reports it). */
#ifndef ENVELOPE_ALGS_H
#define ENVELOPE_ALGS_H

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "envelope.h"

const EVP_MD *algs_sha256(envelope_ctx *ctx);
const EVP_MD *algs_sha512(envelope_ctx *ctx);
const EVP_CIPHER *algs_aes_256_gcm(envelope_ctx *ctx);
/* A new HKDF context with SHA-256 set, for the caller to free. */
EVP_KDF_CTX *algs_hkdf_sha256(envelope_ctx *ctx);

#endif
