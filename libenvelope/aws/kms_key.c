/* awskms:// keys: the kms backend of the key table (docs/KEYS.md).
 *
 * Loading makes no call, so a key that the tutorial's policies only let us
 * Sign or Encrypt with loads like any other; its kind is learned by use.
 * Private-key operations always go to KMS. Public-key operations (wrap,
 * verify) run locally once the public key is known, and through KMS
 * (Encrypt, Verify) until then. A key's first public-key operation goes to
 * KMS, which costs the one call that fetching the public key would; from its
 * second on, GetPublicKey is tried once, and if it is allowed every later
 * operation is local. A refused GetPublicKey is remembered and not asked
 * again. A one-shot seal or open thus makes exactly the calls the
 * least-privilege policies allow, and a long-lived caller pays for the
 * public key once. */
#include "aws/kms_key.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "aws/kms.h"

/* Public-key operations through KMS before GetPublicKey is tried. */
#define FETCH_AFTER 1

struct kms_key {
    struct kms_target target;       /* fixed at load */
    pthread_mutex_t lock;           /* guards everything below */
    envelope_key_kind kind;         /* 0 until learned */
    unsigned bits;
    char arn[IDENTITY_MAX + 1];     /* "" until known, then never changed */
    char fingerprint[ENVELOPE_FINGERPRINT_SIZE];
    EVP_PKEY *pub;                  /* NULL until fetched */
    int pub_denied;                 /* GetPublicKey was refused */
    unsigned kms_public_ops;        /* Encrypt and Verify calls made */
};

static struct kms_key *state(const envelope_key *key)
{
    return key->backend_data;
}

/* What the key has learned so far; arn points at the set-once copy. */
static void kms_key_learned(const envelope_key *key, struct key_learned *out)
{
    struct kms_key *k = state(key);

    pthread_mutex_lock(&k->lock);
    out->kind = k->kind;
    out->bits = k->bits;
    memcpy(out->fingerprint, k->fingerprint, ENVELOPE_FINGERPRINT_SIZE);
    out->arn = k->arn[0] ? k->arn : NULL;
    pthread_mutex_unlock(&k->lock);
}

/* The first ARN an answer names is kept: envelope_key_arn() hands out a
 * pointer to it that other threads may be reading. Called locked. */
static void set_arn(struct kms_key *k, const char *arn)
{
    if (arn && arn[0] && k->arn[0] == '\0')
        memcpy(k->arn, arn, IDENTITY_MAX + 1);
}

/* Records what an answer showed: the key's kind and size, and its ARN. */
static void learn(struct kms_key *k, envelope_key_kind kind, unsigned bits, const char *arn)
{
    pthread_mutex_lock(&k->lock);
    if (kind)
        k->kind = kind;
    if (bits)
        k->bits = bits;
    set_arn(k, arn);
    pthread_mutex_unlock(&k->lock);
}

static const char *kind_name(envelope_key_kind kind)
{
    return kind == ENVELOPE_KEY_SIGNING ? "a P-521 signing key" : "an RSA encryption key";
}

/* Saves a round trip when the key is already known to be of the other kind. */
static envelope_rc need_kind(envelope_ctx *ctx, const envelope_key *key, envelope_key_kind want,
                             const char *what)
{
    struct key_learned l;

    kms_key_learned(key, &l);
    if (l.kind && l.kind != want)
        return fail(ctx, ENVELOPE_E_KEY_TYPE, "cannot %s with KMS key %s: it is %s", what,
                    state(key)->target.key_id, kind_name(l.kind));
    return ENVELOPE_OK;
}

/* The cached public key (a new reference), or NULL. */
static EVP_PKEY *cached_pub(struct kms_key *k)
{
    EVP_PKEY *pub = NULL;

    pthread_mutex_lock(&k->lock);
    if (k->pub && EVP_PKEY_up_ref(k->pub) == 1)
        pub = k->pub;
    pthread_mutex_unlock(&k->lock);
    return pub;
}

static envelope_rc store_pub(envelope_ctx *ctx, struct kms_key *k, struct kms_public_key *got)
{
    char fp[ENVELOPE_FINGERPRINT_SIZE];
    envelope_rc rc = pkey_fingerprint(ctx, got->pkey, fp);

    if (rc != ENVELOPE_OK)
        return rc;
    pthread_mutex_lock(&k->lock);
    if (k->pub == NULL) { /* another thread may have been first */
        k->pub = got->pkey;
        got->pkey = NULL;
        memcpy(k->fingerprint, fp, sizeof(fp));
    }
    k->kind = got->kind;
    k->bits = got->kind == ENVELOPE_KEY_SIGNING ? 521 : (unsigned)EVP_PKEY_get_bits(k->pub);
    set_arn(k, got->arn);
    pthread_mutex_unlock(&k->lock);
    return ENVELOPE_OK;
}

/* GetPublicKey, cached. ENVELOPE_OK with *out NULL when KMS refused it
 * (AccessDenied): the caller falls back to the KMS operation. */
static envelope_rc fetch_pub(envelope_ctx *ctx, const envelope_key *key, EVP_PKEY **out)
{
    struct kms_key *k = state(key);
    struct kms_public_key got;
    envelope_rc rc;

    if ((*out = cached_pub(k)) != NULL)
        return ENVELOPE_OK;
    rc = kms_get_public_key(ctx, &k->target, &got);
    if (rc == ENVELOPE_E_KMS_ACCESS_DENIED) {
        pthread_mutex_lock(&k->lock);
        k->pub_denied = 1;
        pthread_mutex_unlock(&k->lock);
        return ENVELOPE_OK;
    }
    if (rc == ENVELOPE_OK)
        rc = store_pub(ctx, k, &got);
    EVP_PKEY_free(got.pkey);
    if (rc == ENVELOPE_OK)
        *out = cached_pub(k);
    return rc;
}

/* The public key for a wrap or verify: cached, or fetched when this key has
 * proved to be reused and GetPublicKey was not refused before; else NULL,
 * and the operation goes to KMS. */
static envelope_rc pub_for_public_op(envelope_ctx *ctx, const envelope_key *key,
                                     envelope_key_kind want, EVP_PKEY **out)
{
    struct kms_key *k = state(key);
    envelope_rc rc;
    int ask;

    if ((*out = cached_pub(k)) != NULL)
        return ENVELOPE_OK;
    pthread_mutex_lock(&k->lock);
    ask = !k->pub_denied && k->kms_public_ops >= FETCH_AFTER;
    pthread_mutex_unlock(&k->lock);
    if (!ask)
        return ENVELOPE_OK;
    if ((rc = fetch_pub(ctx, key, out)) == ENVELOPE_OK && *out &&
        (rc = need_kind(ctx, key, want, want == ENVELOPE_KEY_SIGNING ? "verify" : "encrypt")) !=
            ENVELOPE_OK) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    return rc;
}

static void count_public_op(struct kms_key *k)
{
    pthread_mutex_lock(&k->lock);
    k->kms_public_ops++;
    pthread_mutex_unlock(&k->lock);
}

static envelope_rc kms_key_sign(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                                size_t len, uint8_t sig[SIG_MAX], size_t *sig_len)
{
    struct kms_key *k = state(key);
    char arn[IDENTITY_MAX + 1];
    envelope_rc rc;

    if ((rc = need_kind(ctx, key, ENVELOPE_KEY_SIGNING, "sign")) != ENVELOPE_OK)
        return rc;
    /* ECDSA_SHA_512 exists only for ECC_NIST_P521 keys: success proves it. */
    if ((rc = kms_sign(ctx, &k->target, msg, len, sig, sig_len, arn)) == ENVELOPE_OK)
        learn(k, ENVELOPE_KEY_SIGNING, 521, arn);
    return rc;
}

static envelope_rc kms_key_verify(envelope_ctx *ctx, const envelope_key *key, const uint8_t *msg,
                                  size_t len, const uint8_t *sig, size_t sig_len)
{
    struct kms_key *k = state(key);
    char arn[IDENTITY_MAX + 1];
    EVP_PKEY *pub;
    envelope_rc rc;

    if ((rc = need_kind(ctx, key, ENVELOPE_KEY_SIGNING, "verify")) != ENVELOPE_OK ||
        (rc = pub_for_public_op(ctx, key, ENVELOPE_KEY_SIGNING, &pub)) != ENVELOPE_OK)
        return rc;
    if (pub) {
        rc = ecdsa_verify(ctx, pub, msg, len, sig, sig_len);
        EVP_PKEY_free(pub);
        return rc;
    }
    rc = kms_verify(ctx, &k->target, msg, len, sig, sig_len, arn);
    if (rc == ENVELOPE_OK || rc == ENVELOPE_E_UNTRUSTED_SIGNER) {
        learn(k, ENVELOPE_KEY_SIGNING, 521, arn);
        count_public_op(k);
    }
    return rc;
}

static envelope_rc kms_key_wrap(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                                size_t in_len, uint8_t out[WRAPPED_MAX], size_t *out_len)
{
    struct kms_key *k = state(key);
    char arn[IDENTITY_MAX + 1];
    EVP_PKEY *pub;
    envelope_rc rc;

    if ((rc = need_kind(ctx, key, ENVELOPE_KEY_ENCRYPTION, "encrypt")) != ENVELOPE_OK ||
        (rc = pub_for_public_op(ctx, key, ENVELOPE_KEY_ENCRYPTION, &pub)) != ENVELOPE_OK)
        return rc;
    if (pub) {
        rc = oaep_wrap(ctx, pub, in, in_len, out, out_len);
        EVP_PKEY_free(pub);
        return rc;
    }
    if ((rc = kms_encrypt(ctx, &k->target, in, in_len, out, out_len, arn)) == ENVELOPE_OK) {
        learn(k, ENVELOPE_KEY_ENCRYPTION, (unsigned)*out_len * 8, arn);
        count_public_op(k);
    }
    return rc;
}

static envelope_rc kms_key_unwrap(envelope_ctx *ctx, const envelope_key *key, const uint8_t *in,
                                  size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    struct kms_key *k = state(key);
    char arn[IDENTITY_MAX + 1];
    envelope_rc rc;

    if ((rc = need_kind(ctx, key, ENVELOPE_KEY_ENCRYPTION, "decrypt")) != ENVELOPE_OK)
        return rc;
    rc = kms_decrypt(ctx, &k->target, in, in_len, out, out_cap, out_len, arn);
    if (rc == ENVELOPE_OK)
        learn(k, ENVELOPE_KEY_ENCRYPTION, (unsigned)in_len * 8, arn);
    return rc;
}

/* For envelope_key_public_pem/der and fingerprints: here a refusal is the
 * caller's error. */
static envelope_rc kms_key_public_key(envelope_ctx *ctx, const envelope_key *key, EVP_PKEY **out)
{
    struct kms_key *k = state(key);
    struct kms_public_key got;
    envelope_rc rc;

    if ((*out = cached_pub(k)) != NULL)
        return ENVELOPE_OK;
    if ((rc = kms_get_public_key(ctx, &k->target, &got)) == ENVELOPE_OK)
        rc = store_pub(ctx, k, &got);
    EVP_PKEY_free(got.pkey);
    if (rc == ENVELOPE_OK && (*out = cached_pub(k)) == NULL)
        rc = fail(ctx, ENVELOPE_E_INTERNAL, "public key cache");
    return rc;
}

static void kms_key_destroy(envelope_key *key)
{
    struct kms_key *k = state(key);

    if (k == NULL)
        return;
    EVP_PKEY_free(k->pub);
    pthread_mutex_destroy(&k->lock);
    free(k);
    key->backend_data = NULL;
}

static envelope_rc kms_key_load(envelope_ctx *ctx, const char *ref, envelope_key **out)
{
    struct kms_ref parsed;
    envelope_key *key;
    struct kms_key *k;
    envelope_rc rc;

    *out = NULL;
    if ((rc = kms_ref_parse(ctx, ref, &parsed)) != ENVELOPE_OK)
        return rc;
    if ((key = calloc(1, sizeof(*key))) == NULL || (k = calloc(1, sizeof(*k))) == NULL) {
        free(key);
        return fail(ctx, ENVELOPE_E_NOMEM, "KMS key");
    }
    if ((rc = kms_target_resolve(ctx, &parsed, &k->target)) != ENVELOPE_OK ||
        pthread_mutex_init(&k->lock, NULL) != 0) {
        free(k);
        free(key);
        return rc != ENVELOPE_OK ? rc : fail(ctx, ENVELOPE_E_NOMEM, "KMS key lock");
    }
    if (parsed.is_key_arn)
        memcpy(k->arn, parsed.key_id, IDENTITY_MAX + 1);
    key->refs = 1;
    key->kind = 0; /* learned by use: kms_key_learned() */
    key->is_private = 1;
    key->backend = &kms_backend;
    key->backend_data = k;
    *out = key;
    return ENVELOPE_OK;
}

const struct key_backend kms_backend = {
    .name = "kms",
    .scheme = "awskms://",
    .load = kms_key_load,
    .sign = kms_key_sign,
    .verify = kms_key_verify,
    .wrap = kms_key_wrap,
    .unwrap = kms_key_unwrap,
    .public_key = kms_key_public_key,
    .learned = kms_key_learned,
    .destroy = kms_key_destroy,
};
