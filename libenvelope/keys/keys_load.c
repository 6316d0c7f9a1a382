/* Loading keys by reference: one key, or every key of a file. A reference
 * with a backend's scheme (awskms://) goes to that backend through the
 * table (keys/backends.c); any other names a file.
 *
 * Key files holding several keys: a recipients or signers file made by
 * `cat alice.pub bob.pub > team.pub`, or a key after the EC PARAMETERS
 * block that `openssl ecparam -genkey` writes. Each PEM block is decoded on
 * its own, so that no key in a file is silently dropped. */
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/context.h"
#include "keys/keyref.h"
#include "keys/keys.h"

/* One PEM block as read, for error messages and decoding. */
struct block {
    size_t number; /* 1-based, counting every block of the file */
    char *label, *headers;
    unsigned char *der;
    long der_len;
};

struct key_list {
    envelope_key **keys;
    size_t n, cap;
    size_t private_block; /* number of a block holding a private key, or 0 */
    int several;          /* the file has more than one PEM block */
};

/* Blocks are read with PEM_FLAG_SECURE: OpenSSL then keeps the decoded
 * bytes, and its own working copies, in memory it wipes when freed. */
static void block_clear(struct block *b)
{
    OPENSSL_secure_free(b->label);
    OPENSSL_secure_free(b->headers);
    OPENSSL_secure_clear_free(b->der, b->der_len > 0 ? (size_t)b->der_len : 0);
    b->label = b->headers = NULL;
    b->der = NULL;
    b->der_len = 0;
}

static int is_key_label(const char *label)
{
    static const char *const known[] = {"PUBLIC KEY",      "PRIVATE KEY",
                                        "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY",
                                        "RSA PRIVATE KEY", "RSA PUBLIC KEY"};

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(label, known[i]) == 0)
            return 1;
    return 0;
}

/* 1 if an EC PARAMETERS block names P-521: the only curve a key here can be
 * on, so the block says nothing the key does not. */
static int names_p521(const struct block *b)
{
    const unsigned char *p = b->der;
    EC_GROUP *group = d2i_ECPKParameters(NULL, &p, b->der_len);
    int ok = group != NULL && p == b->der + b->der_len &&
             EC_GROUP_get_curve_name(group) == NID_secp521r1;

    EC_GROUP_free(group);
    ERR_clear_error();
    return ok;
}

static envelope_rc list_add(envelope_ctx *ctx, struct key_list *l, envelope_key *key)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        envelope_key **grown = realloc(l->keys, cap * sizeof(*grown));

        if (grown == NULL) {
            envelope_key_free(key);
            return fail(ctx, ENVELOPE_E_NOMEM, "key list");
        }
        l->keys = grown;
        l->cap = cap;
    }
    l->keys[l->n++] = key;
    return ENVELOPE_OK;
}

/* The block written back as PEM (legacy encrypted keys need their headers)
 * into memory that is wiped when freed, then decoded alone. */
static envelope_rc decode_block(envelope_ctx *ctx, const struct block *b,
                                envelope_passphrase_fn passphrase, void *arg, envelope_key **out)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    char *pem = NULL;
    long pem_len;
    envelope_rc rc;

    *out = NULL;
    if (bio == NULL || PEM_write_bio(bio, b->label, b->headers, b->der, b->der_len) <= 0 ||
        (pem_len = BIO_get_mem_data(bio, &pem)) <= 0) {
        rc = fail_ossl(ctx, ENVELOPE_E_NOMEM, "key block");
    } else {
        rc = key_decode_one(ctx, (const uint8_t *)pem, (size_t)pem_len, passphrase, arg, out);
    }
    BIO_free(bio);
    return rc;
}

/* A private key is its own file: mixed with public keys it would be too
 * easy to hand a private key out as one of a group's public keys. */
static envelope_rc check_mix(envelope_ctx *ctx, const struct key_list *l, size_t number)
{
    if (l->private_block == 0 || l->n < 2)
        return ENVELOPE_OK;
    return fail(ctx, ENVELOPE_E_KEY_LOAD,
                "block %zu: the file holds a private key (block %zu) and other keys; keep a "
                "private key alone in its file",
                number, l->private_block);
}

static envelope_rc take_block(envelope_ctx *ctx, struct key_list *l, const struct block *b,
                              envelope_passphrase_fn passphrase, void *arg)
{
    envelope_key *key;
    envelope_rc rc;

    if (strcmp(b->label, "EC PARAMETERS") == 0) {
        if (names_p521(b))
            return ENVELOPE_OK;
        return fail(ctx, ENVELOPE_E_KEY_TYPE,
                    "block %zu: EC PARAMETERS of another curve than P-521", b->number);
    }
    if (!is_key_label(b->label))
        return fail(ctx, ENVELOPE_E_KEY_LOAD, "block %zu: a \"%s\" block, not a key", b->number,
                    b->label);
    if ((rc = decode_block(ctx, b, passphrase, arg, &key)) != ENVELOPE_OK) {
        if (l->several) /* which of the keys it was */
            detail_prefix(ctx, "block %zu", b->number);
        return rc;
    }
    if (key->is_private && l->private_block == 0)
        l->private_block = b->number;
    if ((rc = list_add(ctx, l, key)) != ENVELOPE_OK)
        return rc;
    return check_mix(ctx, l, b->number);
}

/* How many lines begin a PEM block. */
static size_t count_pem_begins(const uint8_t *data, size_t len)
{
    static const char begin[] = "-----BEGIN ";
    size_t n = 0;

    for (size_t i = 0; i + sizeof(begin) - 1 <= len; i++)
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, begin, sizeof(begin) - 1) == 0)
            n++;
    return n;
}

static envelope_rc take_pem(envelope_ctx *ctx, struct key_list *l, const uint8_t *data, size_t len,
                            envelope_passphrase_fn passphrase, void *arg)
{
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    struct block b = {0};
    envelope_rc rc = ENVELOPE_OK;

    if (bio == NULL)
        return fail_ossl(ctx, ENVELOPE_E_NOMEM, "key reader");
    l->several = count_pem_begins(data, len) > 1;
    ERR_clear_error(); /* the end is told by the queue's last error */
    while (rc == ENVELOPE_OK &&
           PEM_read_bio_ex(bio, &b.label, &b.headers, &b.der, &b.der_len, PEM_FLAG_SECURE) ==
               1) {
        b.number++;
        rc = take_block(ctx, l, &b, passphrase, arg);
        block_clear(&b);
    }
    block_clear(&b);
    BIO_free(bio);
    /* The end of the data reads as "no start line"; anything else is a
     * damaged block, which must not be skipped silently. */
    if (rc == ENVELOPE_OK && ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
        rc = fail_ossl(ctx, ENVELOPE_E_KEY_LOAD, "block %zu: a damaged PEM block", b.number + 1);
    ERR_clear_error();
    if (rc == ENVELOPE_OK && l->n == 0)
        rc = fail(ctx, ENVELOPE_E_KEY_LOAD, "no key in %zu PEM block%s", b.number,
                  b.number == 1 ? "" : "s");
    return rc;
}

envelope_rc keys_from_memory(envelope_ctx *ctx, const uint8_t *data, size_t len,
                             envelope_passphrase_fn passphrase, void *arg, envelope_key ***keys,
                             size_t *n)
{
    struct key_list l = {0};
    envelope_key *key;
    envelope_rc rc;

    *keys = NULL;
    *n = 0;
    if (data == NULL || len == 0)
        return fail(ctx, ENVELOPE_E_KEY_LOAD, "empty key");
    if (len > INT32_MAX)
        return fail(ctx, ENVELOPE_E_KEY_LOAD, "larger than any key file");
    if (count_pem_begins(data, len) > 0) {
        rc = take_pem(ctx, &l, data, len, passphrase, arg);
    } else if ((rc = key_decode_one(ctx, data, len, passphrase, arg, &key)) == ENVELOPE_OK) {
        rc = list_add(ctx, &l, key); /* DER holds one key */
    }
    if (rc != ENVELOPE_OK) {
        envelope_keys_free(l.keys, l.n);
        return rc;
    }
    *keys = l.keys;
    *n = l.n;
    return ENVELOPE_OK;
}

envelope_rc envelope_keys_load(envelope_ctx *ctx, const char *ref,
                               envelope_passphrase_fn passphrase, void *passphrase_arg,
                               envelope_key ***keys, size_t *n)
{
    struct bytes b = {0};
    const struct key_backend *backend;
    envelope_key *key = NULL;
    const char *path;
    envelope_rc rc;

    if (keys == NULL || n == NULL || ref == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no key reference or no output");
    *keys = NULL;
    *n = 0;
    if ((backend = key_backend_for_ref(ref)) != NULL) {
        if ((rc = backend->load(ctx, ref, &key)) != ENVELOPE_OK)
            return rc;
        if ((*keys = malloc(sizeof(**keys))) == NULL) {
            envelope_key_free(key);
            return fail(ctx, ENVELOPE_E_NOMEM, "key list");
        }
        (*keys)[0] = key;
        *n = 1;
        return ENVELOPE_OK;
    }
    path = keyref_file_path(ref);
    if ((rc = key_file_read(ctx, path, &b)) == ENVELOPE_OK &&
        (rc = keys_from_memory(ctx, b.p, b.len, passphrase, passphrase_arg, keys, n)) !=
            ENVELOPE_OK)
        detail_prefix(ctx, "%s", path);
    bytes_free(&b);
    return rc;
}

void envelope_keys_free(envelope_key **keys, size_t n)
{
    if (keys == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        envelope_key_free(keys[i]);
    free(keys);
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
