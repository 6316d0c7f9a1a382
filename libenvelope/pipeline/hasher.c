/* SHA-512 on a second thread, over a ring of slots shared with the
 * pipeline: hashing and encryption on two cores
 * (docs/DESIGN.md, "One pass, bounded memory, two cores"). */
#include "pipeline/hasher.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/algs.h"
#include "base/context.h"

static void *hash_loop(void *arg)
{
    struct hasher *h = arg;
    unsigned tail;
    size_t len;

    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (h->pending == 0 && !h->closing)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->pending == 0)
            break;
        tail = (h->head + HASHER_SLOTS - h->pending) % HASHER_SLOTS;
        len = h->len[tail];
        pthread_mutex_unlock(&h->mu);
        /* The slot stays the hasher's until pending drops below. */
        if (EVP_DigestUpdate(h->md, h->slot[tail], len) != 1)
            h->failed = 1;
        pthread_mutex_lock(&h->mu);
        h->pending--;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* The thread blocks every signal, so that the caller's thread, blocked in
 * a read, is the one a signal interrupts (envelope_cancel). */
static int start_thread(struct hasher *h)
{
    sigset_t all, old;
    int r;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r = pthread_create(&h->thread, NULL, hash_loop, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}

envelope_rc hasher_start(envelope_ctx *ctx, struct hasher *h, int threaded)
{
    memset(h, 0, sizeof(*h));
    if ((h->md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(h->md, algs_sha512(ctx), NULL) != 1)
        return fail_ossl(ctx, ENVELOPE_E_NOMEM, "SHA-512");
    for (int i = 0; i < (threaded ? HASHER_SLOTS : 1); i++)
        if ((h->slot[i] = malloc(HASHER_SLOT_SIZE)) == NULL)
            return fail(ctx, ENVELOPE_E_NOMEM, "hash buffers");
    if (!threaded)
        return ENVELOPE_OK;
    if (pthread_mutex_init(&h->mu, NULL) != 0 || pthread_cond_init(&h->cv, NULL) != 0)
        return fail(ctx, ENVELOPE_E_INTERNAL, "hash thread locks");
    h->threaded = 1;
    if (start_thread(h) != 0) {
        h->threaded = 0; /* carry on, hashing inline */
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
    }
    return ENVELOPE_OK;
}

uint8_t *hasher_slot(struct hasher *h, size_t want)
{
    /* Wiping only what was written spares a small message from touching,
     * and so faulting in, a whole 256 KiB slot. */
    if (want > h->touched)
        h->touched = want < HASHER_SLOT_SIZE ? want : HASHER_SLOT_SIZE;
    if (!h->threaded)
        return h->slot[0];
    pthread_mutex_lock(&h->mu);
    while (h->pending == HASHER_SLOTS)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    return h->slot[h->head];
}

void hasher_submit(struct hasher *h, size_t len)
{
    if (!h->threaded) {
        if (EVP_DigestUpdate(h->md, h->slot[0], len) != 1)
            h->failed = 1;
        return;
    }
    pthread_mutex_lock(&h->mu);
    h->len[h->head] = len;
    h->head = (h->head + 1) % HASHER_SLOTS;
    h->pending++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void stop(struct hasher *h)
{
    if (!h->threaded)
        return;
    pthread_mutex_lock(&h->mu);
    h->closing = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    h->threaded = 0;
}

envelope_rc hasher_finish(envelope_ctx *ctx, struct hasher *h, uint8_t out[SHA512_LEN])
{
    stop(h); /* drains what is pending before it exits */
    if (h->failed || EVP_DigestFinal_ex(h->md, out, NULL) != 1)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "SHA-512");
    return ENVELOPE_OK;
}

void hasher_free(struct hasher *h)
{
    stop(h);
    for (int i = 0; i < HASHER_SLOTS; i++) {
        if (h->slot[i])
            OPENSSL_cleanse(h->slot[i], h->touched);
        free(h->slot[i]);
    }
    EVP_MD_CTX_free(h->md);
    memset(h, 0, sizeof(*h));
}
