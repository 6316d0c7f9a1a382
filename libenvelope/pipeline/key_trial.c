/* Key trial for open: several decryption keys, like a receiver who holds
 * several identities. A label that names one of the keys sends its stanza
 * to that key alone; stanzas that cannot tell are tried by every key, the
 * cheap local ones first. KMS calls cost money and rate limits, and a
 * sender (anyone with the public keys) picks how many stanzas there are, so
 * they share one budget per envelope. */
#include <openssl/crypto.h>
#include <stdlib.h>

#include "base/context.h"
#include "pipeline/key_trial.h"

struct trial {
    envelope_ctx *ctx;
    const struct header *h;
    envelope_key *const *keys;
    size_t order[DECRYPT_KEYS_MAX]; /* local keys first, then KMS keys */
    size_t n;
    struct identity ids[DECRYPT_KEYS_MAX];
    int claimed[STANZA_MAX]; /* a label names one of the keys */
    unsigned kms_calls;
    int out_of_budget;
    uint8_t *data_key;
};

static int is_kms(const envelope_key *key)
{
    return key->backend != &local_backend;
}

static void order_keys(struct trial *t, envelope_key *const *keys, size_t n)
{
    size_t k = 0;

    for (int kms = 0; kms <= 1; kms++)
        for (size_t i = 0; i < n; i++)
            if (is_kms(keys[i]) == kms)
                t->order[k++] = i;
    t->keys = keys;
    t->n = n;
}

static envelope_rc know_keys(struct trial *t)
{
    envelope_rc rc;

    for (size_t k = 0; k < t->n; k++)
        if ((rc = key_identities(t->ctx, t->keys[k], t->ids[k].key, t->ids[k].kms)) !=
            ENVELOPE_OK)
            return rc;
    for (size_t i = 0; i < t->h->n_stanzas; i++)
        for (size_t k = 0; k < t->n; k++)
            if (label_matches(t->h->stanzas[i].label, &t->ids[k]) == 1)
                t->claimed[i] = 1;
    return ENVELOPE_OK;
}

/* ENVELOPE_OK with the data key, ENVELOPE_E_NOT_RECIPIENT, or trouble. */
static envelope_rc try_stanza(struct trial *t, size_t k, size_t i)
{
    const struct stanza *st = &t->h->stanzas[i];
    size_t len;
    envelope_rc rc;

    if (is_kms(t->keys[k])) {
        if (t->kms_calls == KMS_DECRYPT_BUDGET) {
            t->out_of_budget = 1;
            return ENVELOPE_E_NOT_RECIPIENT;
        }
        t->kms_calls++;
    }
    rc = key_unwrap(t->ctx, t->keys[k], st->wrapped, st->wrapped_len, t->data_key,
                    WRAPPED_MAX, &len);
    if (rc == ENVELOPE_OK && len == DATA_KEY_LEN)
        return ENVELOPE_OK;
    OPENSSL_cleanse(t->data_key, WRAPPED_MAX);
    return rc == ENVELOPE_OK ? ENVELOPE_E_NOT_RECIPIENT : rc;
}

/* want 1: the stanzas labelled for the key; -1: unclaimed stanzas whose
 * label cannot tell. */
static envelope_rc try_all(struct trial *t, int want)
{
    envelope_rc rc;

    for (size_t o = 0; o < t->n; o++) {
        size_t k = t->order[o];

        for (size_t i = 0; i < t->h->n_stanzas; i++) {
            if (label_matches(t->h->stanzas[i].label, &t->ids[k]) != want ||
                (want == -1 && t->claimed[i]))
                continue;
            rc = try_stanza(t, k, i);
            if (rc != ENVELOPE_E_NOT_RECIPIENT)
                return rc; /* opened, or KMS or network trouble: say so, do not guess */
        }
    }
    return ENVELOPE_E_NOT_RECIPIENT;
}

static envelope_rc none_opens(struct trial *t)
{
    const envelope_key *only = t->keys[0];

    if (t->out_of_budget)
        return fail(t->ctx, ENVELOPE_E_NOT_RECIPIENT,
                    "no recipient stanza opened before the limit of %d KMS Decrypt calls per "
                    "envelope ran out; %zu stanzas, %zu decryption keys",
                    KMS_DECRYPT_BUDGET, t->h->n_stanzas, t->n);
    if (t->n > 1)
        return fail(t->ctx, ENVELOPE_E_NOT_RECIPIENT,
                    "no recipient stanza opens with any of the %zu decryption keys", t->n);
    return fail(t->ctx, ENVELOPE_E_NOT_RECIPIENT, "no recipient stanza opens with key %s",
                only->fingerprint[0] ? only->fingerprint : "(KMS)");
}

envelope_rc unwrap_stanzas(envelope_ctx *ctx, envelope_key *const *keys, size_t n,
                           const struct header *h, uint8_t data_key[WRAPPED_MAX])
{
    struct trial *t;
    envelope_rc rc = ENVELOPE_E_INTERNAL;

    if (n == 0 || n > DECRYPT_KEYS_MAX)
        return fail(ctx, ENVELOPE_E_INTERNAL, "%zu decryption keys", n);
    if ((t = calloc(1, sizeof(*t))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "key trial");
    t->ctx = ctx;
    t->h = h;
    t->data_key = data_key;
    order_keys(t, keys, n);
    if ((rc = know_keys(t)) != ENVELOPE_OK)
        goto out;
    if ((rc = try_all(t, 1)) == ENVELOPE_E_NOT_RECIPIENT &&
        (rc = try_all(t, -1)) == ENVELOPE_E_NOT_RECIPIENT)
        rc = none_opens(t);
out:
    free(t);
    return rc;
}

envelope_rc unwrap_compat(envelope_ctx *ctx, envelope_key *const *keys, size_t n,
                          const uint8_t *ct, size_t ct_len, uint8_t *out, size_t out_cap,
                          size_t *out_len)
{
    envelope_rc rc = ENVELOPE_E_NOT_RECIPIENT;

    /* At most DECRYPT_KEYS_MAX calls, one per key: within the KMS budget. */
    for (int kms = 0; kms <= 1; kms++)
        for (size_t i = 0; i < n; i++) {
            if (is_kms(keys[i]) != kms)
                continue;
            rc = key_unwrap(ctx, keys[i], ct, ct_len, out, out_cap, out_len);
            if (rc != ENVELOPE_E_NOT_RECIPIENT)
                return rc;
            OPENSSL_cleanse(out, out_cap);
        }
    if (n > 1)
        return fail(ctx, ENVELOPE_E_NOT_RECIPIENT,
                    "the compat envelope opens with none of the %zu decryption keys", n);
    return rc; /* the one key's own detail */
}
