/* Keys: loading, generation, identities, and dispatch to the backends. */
#include "keys/keys.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/context.h"
#include "keys/keyref.h"
#include "aws/kms_key.h"

#define KEY_FILE_MAX (1 << 20) /* a 16384-bit RSA PEM is ~13 KiB */

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

struct pass_state {
    envelope_passphrase_fn fn;
    void *arg;
    int asked;
};

static int pass_cb(char *buf, size_t size, size_t *len, const OSSL_PARAM params[], void *arg)
{
    struct pass_state *st = arg;
    int n;

    (void)params;
    st->asked = 1;
    if (st->fn == NULL || size > INT32_MAX)
        return 0;
    n = st->fn(st->arg, buf, size);
    if (n < 0 || (size_t)n > size)
        return 0;
    *len = (size_t)n;
    return 1;
}

envelope_rc key_decode_one(envelope_ctx *ctx, const uint8_t *data, size_t len,
                           envelope_passphrase_fn passphrase, void *passphrase_arg,
                           envelope_key **out)
{
    struct pass_state st = {passphrase, passphrase_arg, 0};
    OSSL_DECODER_CTX *dctx;
    EVP_PKEY *pkey = NULL;
    const unsigned char *p = data;
    size_t left = len;
    int ok;

    if (out == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output for the key");
    *out = NULL;
    if (data == NULL || len == 0)
        return fail(ctx, ENVELOPE_E_KEY_LOAD, "empty key");
    if ((pkey = key_decode_fast(data, len)) != NULL)
        return key_from_pkey(ctx, pkey, out);
    /* Selection 0: private key pairs and bare public keys alike. */
    dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, NULL, NULL, NULL, 0, NULL, NULL);
    if (dctx == NULL)
        return fail_ossl(ctx, ENVELOPE_E_NOMEM, "key decoder");
    OSSL_DECODER_CTX_set_passphrase_cb(dctx, pass_cb, &st);
    ok = OSSL_DECODER_from_data(dctx, &p, &left);
    OSSL_DECODER_CTX_free(dctx);
    if (ok != 1 || pkey == NULL) {
        EVP_PKEY_free(pkey);
        /* OpenSSL's "bad decrypt" would only puzzle: say what the user can fix. */
        if (st.asked) {
            ERR_clear_error();
            return fail(ctx, ENVELOPE_E_KEY_PASSPHRASE,
                        passphrase ? "wrong passphrase for the key"
                                   : "encrypted key: no passphrase given");
        }
        return fail_ossl(ctx, ENVELOPE_E_KEY_LOAD, "not a PEM or DER key");
    }
    ERR_clear_error();
    return key_from_pkey(ctx, pkey, out);
}

/* The one key of a list, or an error naming how many there were. */
static envelope_rc only_key(envelope_ctx *ctx, envelope_key **keys, size_t n, envelope_key **out)
{
    envelope_rc rc = ENVELOPE_OK;

    if (n == 1) {
        *out = keys[0];
        keys[0] = NULL;
    } else {
        rc = fail(ctx, ENVELOPE_E_KEY_LOAD, "%zu keys where one is needed", n);
    }
    envelope_keys_free(keys, n);
    return rc;
}

envelope_rc envelope_key_from_memory(envelope_ctx *ctx, const uint8_t *data, size_t len,
                                     envelope_passphrase_fn passphrase, void *passphrase_arg,
                                     envelope_key **out)
{
    envelope_key **keys;
    size_t n;
    envelope_rc rc;

    if (out == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output for the key");
    *out = NULL;
    if ((rc = keys_from_memory(ctx, data, len, passphrase, passphrase_arg, &keys, &n)) !=
        ENVELOPE_OK)
        return rc;
    return only_key(ctx, keys, n, out);
}

envelope_rc key_file_read(envelope_ctx *ctx, const char *path, struct bytes *b)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t chunk[4096];
    size_t n;
    envelope_rc rc = ENVELOPE_OK;

    if (f == NULL)
        return fail(ctx, ENVELOPE_E_KEY_LOAD, "%s: %s", path, strerror(errno));
    /* fopen() opens a directory; its first read would only say "read error". */
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return fail(ctx, ENVELOPE_E_KEY_LOAD, "%s: is a directory, not a key file", path);
    }
    /* Unbuffered: stdio would keep a copy of the key in a buffer that
     * fclose() frees without wiping. */
    setvbuf(f, NULL, _IONBF, 0);
    b->secret = 1;
    b->limit = KEY_FILE_MAX;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (bytes_append(b, chunk, n) != 0) {
            rc = fail(ctx, ENVELOPE_E_KEY_LOAD, "%s: larger than any key file", path);
            break;
        }
    }
    if (rc == ENVELOPE_OK && ferror(f))
        rc = fail(ctx, ENVELOPE_E_KEY_LOAD, "%s: read error", path);
    OPENSSL_cleanse(chunk, sizeof(chunk));
    fclose(f);
    return rc;
}

envelope_rc envelope_key_load(envelope_ctx *ctx, const char *ref, envelope_passphrase_fn passphrase,
                              void *passphrase_arg, envelope_key **out)
{
    envelope_key **keys;
    size_t n;
    envelope_rc rc;

    if (out == NULL || ref == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no key reference");
    *out = NULL;
    if ((rc = envelope_keys_load(ctx, ref, passphrase, passphrase_arg, &keys, &n)) != ENVELOPE_OK)
        return rc;
    if ((rc = only_key(ctx, keys, n, out)) != ENVELOPE_OK)
        detail_prefix(ctx, "%s", keyref_file_path(ref));
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

/* 0 for a KMS key until its kind is learned by use (docs/KEYS.md). */
envelope_key_kind envelope_key_get_kind(const envelope_key *key)
{
    if (key_is_kms(key))
        return kms_key_kind(key);
    return key ? key->kind : 0;
}

int envelope_key_is_private(const envelope_key *key)
{
    return key ? key->is_private : 0;
}

unsigned envelope_key_bits(const envelope_key *key)
{
    if (key_is_kms(key))
        return kms_key_bits(key);
    return key ? key->bits : 0;
}

const char *envelope_key_arn(const envelope_key *key)
{
    return key_is_kms(key) ? kms_key_arn(key) : NULL;
}
