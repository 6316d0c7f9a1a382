/* Decoding one key: fast paths for the common encodings, then OpenSSL's
 * general decoder with the caller's passphrase callback.
 *
 * The fast paths:  OpenSSL 3's "decode anything"
 * context tries every decoder it knows and costs about 6 million
 * instructions a key (2 ms here, per key, in every process); naming the
 * encoding, structure and key type cuts that to about one million. Anything
 * not recognised here, encrypted keys included, takes the general path. */
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "base/context.h"
#include "keys/keys.h"

/* "EC" or "RSA" from a PKCS#8 PrivateKeyInfo, or NULL. */
static const char *pkcs8_key_type(const unsigned char *der, long len)
{
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
    const ASN1_OBJECT *alg = NULL;
    const char *type = NULL;

    if (p8 && PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8) == 1) {
        int nid = OBJ_obj2nid(alg);

        type = nid == NID_X9_62_id_ecPublicKey ? "EC" : nid == NID_rsaEncryption ? "RSA" : NULL;
    }
    PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key octets */
    return type;
}

static EVP_PKEY *decode_private(const unsigned char *der, long len, const char *structure,
                                const char *type)
{
    EVP_PKEY *pkey = NULL;
    const unsigned char *p = der;
    size_t left = (size_t)len;
    OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", structure, type,
                                                        OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL);

    if (d == NULL || OSSL_DECODER_from_data(d, &p, &left) != 1 || left != 0) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(d);
    return pkey;
}

static EVP_PKEY *decode_public(const unsigned char *der, long len)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, len);

    if (pkey && p != der + len) { /* trailing bytes: let the general path judge */
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

/* DER of a known PEM label, or of a bare DER key. */
static EVP_PKEY *decode_der(const char *label, const unsigned char *der, long len)
{
    const char *type;

    if (label == NULL) {
        EVP_PKEY *pkey = decode_public(der, len);

        if (pkey != NULL)
            return pkey;
        label = "PRIVATE KEY";
    }
    if (strcmp(label, "PUBLIC KEY") == 0)
        return decode_public(der, len);
    if (strcmp(label, "PRIVATE KEY") == 0)
        return (type = pkcs8_key_type(der, len)) ? decode_private(der, len, "PrivateKeyInfo",
                                                                  type)
                                                 : NULL;
    if (strcmp(label, "EC PRIVATE KEY") == 0)
        return decode_private(der, len, "type-specific", "EC");
    if (strcmp(label, "RSA PRIVATE KEY") == 0)
        return decode_private(der, len, "type-specific", "RSA");
    return NULL;
}

EVP_PKEY *key_decode_fast(const uint8_t *data, size_t len)
{
    BIO *bio;
    char *label = NULL, *headers = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    EVP_PKEY *pkey = NULL;

    if (len > INT32_MAX)
        return NULL;
    if (len < 11 || memcmp(data, "-----BEGIN ", 11) != 0) {
        pkey = decode_der(NULL, data, (long)len);
    } else if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL) {
        /* Headers mean a legacy encrypted PEM: the general path asks for the
         * passphrase. */
        if (PEM_read_bio(bio, &label, &headers, &der, &der_len) == 1 && headers[0] == '\0')
            pkey = decode_der(label, der, der_len);
        BIO_free(bio);
    }
    OPENSSL_free(label);
    OPENSSL_free(headers);
    OPENSSL_clear_free(der, (size_t)der_len);
    ERR_clear_error();
    return pkey;
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
