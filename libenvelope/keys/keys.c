/* The key object: made from an OpenSSL key or generated, shared by
 * reference count, and what it knows of itself through its backend. */
#include "keys/keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"

static int pkey_has_private(EVP_PKEY *pkey)
{
    BIGNUM *bn = NULL;
    int has = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1 ||
              EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &bn) == 1;

    BN_clear_free(bn);
    ERR_clear_error();
    return has;
}

envelope_rc key_from_pkey(envelope_ctx *ctx, EVP_PKEY *pkey, envelope_key **out)
{
    envelope_key *key;
    char group[32];
    envelope_rc rc;

    *out = NULL;
    if ((key = calloc(1, sizeof(*key))) == NULL) {
        EVP_PKEY_free(pkey);
        return fail(ctx, ENVELOPE_E_NOMEM, "key");
    }
    key->refs = 1;
    key->pkey = pkey;
    key->backend = &local_backend;
    key->is_private = pkey_has_private(pkey);
    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), NULL) != 1 ||
            strcmp(group, "secp521r1") != 0) {
            rc = fail(ctx, ENVELOPE_E_KEY_TYPE, "EC key is not on P-521 (%s)", group);
            goto err;
        }
        key->kind = ENVELOPE_KEY_SIGNING;
        key->bits = 521;
    } else if (EVP_PKEY_is_a(pkey, "RSA")) {
        key->bits = (unsigned)EVP_PKEY_get_bits(pkey);
        if (key->bits != 2048 && key->bits != 3072 && key->bits != 4096) {
            rc = fail(ctx, ENVELOPE_E_KEY_TYPE,
                      "RSA key of %u bits; 2048, 3072 or 4096 are accepted", key->bits);
            goto err;
        }
        key->kind = ENVELOPE_KEY_ENCRYPTION;
    } else {
        rc = fail(ctx, ENVELOPE_E_KEY_TYPE, "%s key: need ECDSA P-521 or RSA",
                  EVP_PKEY_get0_type_name(pkey));
        goto err;
    }
    if ((rc = pkey_fingerprint(ctx, pkey, key->fingerprint)) != ENVELOPE_OK)
        goto err;
    *out = key;
    return ENVELOPE_OK;
err:
    envelope_key_free(key);
    return rc;
}

envelope_rc envelope_key_generate(envelope_ctx *ctx, envelope_key_kind kind, unsigned bits,
                                  envelope_key **out)
{
    EVP_PKEY *pkey = NULL;

    if (out == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output for the key");
    *out = NULL;
    if (kind == ENVELOPE_KEY_SIGNING && bits == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    } else if (kind == ENVELOPE_KEY_ENCRYPTION) {
        if (bits == 0)
            bits = 4096;
        if (bits != 2048 && bits != 3072 && bits != 4096)
            return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                        "RSA keys of 2048, 3072 or 4096 bits, not %u", bits);
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    } else {
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "unknown key kind or size");
    }
    if (pkey == NULL)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "key generation");
    return key_from_pkey(ctx, pkey, out);
}

envelope_key *envelope_key_ref(envelope_key *key)
{
    if (key)
        __atomic_add_fetch(&key->refs, 1, __ATOMIC_RELAXED);
    return key;
}

void envelope_key_free(envelope_key *key)
{
    if (key == NULL || __atomic_sub_fetch(&key->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (key->backend && key->backend->destroy)
        key->backend->destroy(key);
    EVP_PKEY_free(key->pkey); /* OpenSSL clears private key material on free */
    free(key);
}

/* 0 for a key whose kind is learned by use (a KMS key: docs/KEYS.md). */
envelope_key_kind envelope_key_get_kind(const envelope_key *key)
{
    struct key_learned l;

    if (key == NULL)
        return 0;
    key_learned(key, &l);
    return l.kind;
}

int envelope_key_is_private(const envelope_key *key)
{
    return key ? key->is_private : 0;
}

unsigned envelope_key_bits(const envelope_key *key)
{
    struct key_learned l;

    if (key == NULL)
        return 0;
    key_learned(key, &l);
    return l.bits;
}

const char *envelope_key_arn(const envelope_key *key)
{
    struct key_learned l;

    if (key == NULL)
        return NULL;
    key_learned(key, &l);
    return l.arn;
}
