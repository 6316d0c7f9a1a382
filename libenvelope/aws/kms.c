/* KMS operations: the request and answer shapes of Sign, Verify, Encrypt,
 * Decrypt and GetPublicKey (AWS KMS API reference), bytes in, struct out. */
#include "aws/kms.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

#include "base/context.h"

#define SIGNING_ALGORITHM "ECDSA_SHA_512"
#define ENCRYPTION_ALGORITHM "RSAES_OAEP_SHA_256"
#define RAW_MESSAGE_MAX 4096 /* Sign and Verify with MessageType=RAW */

/* A request object with KeyId and the given string members (name, value
 * pairs, NULL-terminated). */
static json_object *request(const struct kms_target *t, const char *const *members)
{
    json_object *o = json_object_new_object();
    int err = o == NULL || kms_json_add_string(o, "KeyId", t->key_id) != 0;

    for (size_t i = 0; !err && members && members[i]; i += 2)
        err = kms_json_add_string(o, members[i], members[i + 1]) != 0;
    if (err) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* Serializes o (taking it), appends the secret member if any, and calls. */
static envelope_rc call(envelope_ctx *ctx, const struct kms_target *t, const char *op,
                        json_object *o, const char *secret_name, const uint8_t *secret,
                        size_t secret_len, json_object **out)
{
    struct bytes body = {0};
    envelope_rc rc;

    *out = NULL;
    if (o == NULL || kms_json_body(o, secret_name, secret, secret_len, &body) != 0)
        rc = fail(ctx, ENVELOPE_E_NOMEM, "KMS %s request", op);
    else
        rc = kms_call(ctx, t, op, &body, out);
    json_object_put(o);
    bytes_free(&body);
    return rc;
}

/* The message as KMS takes it: RAW up to 4096 bytes (the manifest always
 * is), else its SHA-512 as a DIGEST, which ECDSA_SHA_512 signs alike: the
 * same DER signature over the same hash. RAW takes no empty message. */
static int add_message(json_object *o, const uint8_t *msg, size_t len)
{
    uint8_t digest[64];

    if (len >= 1 && len <= RAW_MESSAGE_MAX)
        return kms_json_add_string(o, "MessageType", "RAW") ||
               kms_json_add_blob(o, "Message", msg, len);
    if (EVP_Digest(msg, len, digest, NULL, EVP_sha512(), NULL) != 1)
        return -1;
    return kms_json_add_string(o, "MessageType", "DIGEST") ||
           kms_json_add_blob(o, "Message", digest, sizeof(digest));
}

static envelope_rc bad_answer(envelope_ctx *ctx, const struct kms_target *t, const char *op,
                              const char *what)
{
    return fail(ctx, ENVELOPE_E_KMS_BAD_RESPONSE, "KMS %s %s: %s", op, t->key_id, what);
}

envelope_rc kms_sign(envelope_ctx *ctx, const struct kms_target *t, const uint8_t *msg,
                     size_t len, uint8_t sig[SIG_MAX], size_t *sig_len,
                     char arn[IDENTITY_MAX + 1])
{
    static const char *const members[] = {"SigningAlgorithm", SIGNING_ALGORITHM, NULL};
    json_object *o = request(t, members), *r;
    envelope_rc rc;

    *sig_len = 0;
    arn[0] = '\0';
    if (o && add_message(o, msg, len) != 0) {
        json_object_put(o);
        o = NULL;
    }
    if ((rc = call(ctx, t, "Sign", o, NULL, NULL, 0, &r)) != ENVELOPE_OK)
        return rc;
    if (kms_json_blob(r, "Signature", sig, SIG_MAX, sig_len) != 0 || *sig_len < 8)
        rc = bad_answer(ctx, t, "Sign", "no ECDSA P-521 signature in the answer");
    else
        kms_json_arn(r, arn);
    json_object_put(r);
    return rc;
}

envelope_rc kms_verify(envelope_ctx *ctx, const struct kms_target *t, const uint8_t *msg,
                       size_t len, const uint8_t *sig, size_t sig_len,
                       char arn[IDENTITY_MAX + 1])
{
    static const char *const members[] = {"SigningAlgorithm", SIGNING_ALGORITHM, NULL};
    json_object *o = request(t, members), *r, *valid;
    envelope_rc rc;

    arn[0] = '\0';
    if (o && (add_message(o, msg, len) != 0 ||
              kms_json_add_blob(o, "Signature", sig, sig_len) != 0)) {
        json_object_put(o);
        o = NULL;
    }
    if ((rc = call(ctx, t, "Verify", o, NULL, NULL, 0, &r)) != ENVELOPE_OK)
        return rc;
    /* KMS answers an invalid signature with an error; a 200 must say true. */
    if (!json_object_object_get_ex(r, "SignatureValid", &valid) ||
        !json_object_is_type(valid, json_type_boolean))
        rc = bad_answer(ctx, t, "Verify", "no SignatureValid in the answer");
    else if (!json_object_get_boolean(valid))
        rc = fail(ctx, ENVELOPE_E_UNTRUSTED_SIGNER, "KMS Verify %s: signature not valid",
                  t->key_id);
    kms_json_arn(r, arn);
    json_object_put(r);
    return rc;
}

/* RSA-OAEP ciphertext is exactly the modulus size. */
static int rsa_size_ok(size_t n)
{
    return n == 256 || n == 384 || n == 512;
}

envelope_rc kms_encrypt(envelope_ctx *ctx, const struct kms_target *t, const uint8_t *in,
                        size_t in_len, uint8_t out[WRAPPED_MAX], size_t *out_len,
                        char arn[IDENTITY_MAX + 1])
{
    static const char *const members[] = {"EncryptionAlgorithm", ENCRYPTION_ALGORITHM, NULL};
    json_object *r;
    envelope_rc rc;

    *out_len = 0;
    arn[0] = '\0';
    rc = call(ctx, t, "Encrypt", request(t, members), "Plaintext", in, in_len, &r);
    if (rc != ENVELOPE_OK)
        return rc;
    if (kms_json_blob(r, "CiphertextBlob", out, WRAPPED_MAX, out_len) != 0 ||
        !rsa_size_ok(*out_len)) {
        *out_len = 0;
        rc = bad_answer(ctx, t, "Encrypt", "no RSA-OAEP ciphertext of 2048, 3072 or 4096 bits");
    } else {
        kms_json_arn(r, arn);
    }
    json_object_put(r);
    return rc;
}

envelope_rc kms_decrypt(envelope_ctx *ctx, const struct kms_target *t, const uint8_t *in,
                        size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                        char arn[IDENTITY_MAX + 1])
{
    static const char *const members[] = {"EncryptionAlgorithm", ENCRYPTION_ALGORITHM, NULL};
    json_object *o = request(t, members), *r;
    envelope_rc rc;

    *out_len = 0;
    arn[0] = '\0';
    if (o && kms_json_add_blob(o, "CiphertextBlob", in, in_len) != 0) {
        json_object_put(o);
        o = NULL;
    }
    if ((rc = call(ctx, t, "Decrypt", o, NULL, NULL, 0, &r)) != ENVELOPE_OK)
        return rc;
    if (kms_json_blob(r, "Plaintext", out, out_cap, out_len) != 0) {
        OPENSSL_cleanse(out, out_cap);
        *out_len = 0;
        rc = bad_answer(ctx, t, "Decrypt", "no Plaintext that fits in the answer");
    } else {
        kms_json_arn(r, arn);
    }
    /* Every string, not just the member: an answer of another shape (the
     * Plaintext nested, or in an array) would otherwise free its copy as
     * json-c made it. */
    kms_json_free_all(r);
    return rc;
}

/* What we can use: P-521 for signing, RSA 2048-4096 with OAEP-SHA-256 for
 * encryption. The public key must agree with what KMS says it is. */
static envelope_key_kind usable_kind(json_object *r, EVP_PKEY *pkey)
{
    const char *spec = kms_json_string(r, "KeySpec", NULL);
    const char *usage = kms_json_string(r, "KeyUsage", NULL);
    int bits = EVP_PKEY_get_bits(pkey);

    if (spec == NULL) /* older answers name it only by its former name */
        spec = kms_json_string(r, "CustomerMasterKeySpec", NULL);
    if (spec == NULL || usage == NULL)
        return 0;
    if (strcmp(spec, "ECC_NIST_P521") == 0 && strcmp(usage, "SIGN_VERIFY") == 0 &&
        EVP_PKEY_is_a(pkey, "EC") && bits == 521)
        return ENVELOPE_KEY_SIGNING;
    if (strncmp(spec, "RSA_", 4) == 0 && strcmp(usage, "ENCRYPT_DECRYPT") == 0 &&
        EVP_PKEY_is_a(pkey, "RSA") && (bits == 2048 || bits == 3072 || bits == 4096))
        return ENVELOPE_KEY_ENCRYPTION;
    return 0;
}

/* The service's words for a detail, which reaches a terminal: at most 32
 * characters, printable ASCII, "?" for anything else or for none. */
static void printable(const char *s, char out[33])
{
    size_t i = 0;

    for (; s && s[i] && i < 32; i++)
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (i == 0)
        out[i++] = '?';
    out[i] = '\0';
}

envelope_rc kms_get_public_key(envelope_ctx *ctx, const struct kms_target *t,
                               struct kms_public_key *out)
{
    uint8_t der[KMS_SPKI_MAX];
    const unsigned char *p = der;
    size_t len;
    json_object *r;
    envelope_rc rc;

    memset(out, 0, sizeof(*out));
    if ((rc = call(ctx, t, "GetPublicKey", request(t, NULL), NULL, NULL, 0, &r)) != ENVELOPE_OK)
        return rc;
    if (kms_json_blob(r, "PublicKey", der, sizeof(der), &len) != 0 ||
        (out->pkey = d2i_PUBKEY(NULL, &p, (long)len)) == NULL || p != der + len) {
        rc = bad_answer(ctx, t, "GetPublicKey", "no SubjectPublicKeyInfo in the answer");
    } else if ((out->kind = usable_kind(r, out->pkey)) == 0) {
        char spec[33], usage[33];

        printable(kms_json_string(r, "KeySpec", NULL), spec);
        printable(kms_json_string(r, "KeyUsage", NULL), usage);
        rc = fail(ctx, ENVELOPE_E_KMS_KEY_USAGE,
                  "KMS key %s is %s/%s: envelopes need ECC_NIST_P521 SIGN_VERIFY keys "
                  "to sign and RSA_2048/3072/4096 ENCRYPT_DECRYPT keys to encrypt",
                  t->key_id, spec, usage);
    } else {
        kms_json_arn(r, out->arn);
    }
    ERR_clear_error();
    if (rc != ENVELOPE_OK) {
        EVP_PKEY_free(out->pkey);
        out->pkey = NULL;
        out->kind = 0;
    }
    json_object_put(r);
    return rc;
}
