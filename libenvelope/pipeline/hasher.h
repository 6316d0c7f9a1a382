/* SHA-512 of the message on the second core. The pipeline thread fills
 * ring slots and hands each to the hasher, then goes on to encrypt or write
 * the same bytes; a slot is refilled only once it has been hashed. */
#ifndef ENVELOPE_HASHER_H
#define ENVELOPE_HASHER_H

#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>

#include "envelope.h"

#define HASHER_SLOTS 4
#define HASHER_SLOT_SIZE (256 * 1024)
#define SHA512_LEN 64

struct hasher {
    EVP_MD_CTX *md;
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *slot[HASHER_SLOTS];
    size_t len[HASHER_SLOTS];
    unsigned head, pending; /* next slot to fill; slots filled, not yet hashed */
    size_t touched;         /* most bytes any slot was given: what to wipe */
    int closing, failed;
};

/* threaded: hash on a thread of its own (worth it for inputs past a few
 * slots); otherwise hash in hasher_submit. */
envelope_rc hasher_start(envelope_ctx *ctx, struct hasher *h, int threaded);
/* The next free slot, of which the caller will write at most want bytes
 * (at most HASHER_SLOT_SIZE): blocks until it is hashed. */
uint8_t *hasher_slot(struct hasher *h, size_t want);
/* Hands the first len bytes of the slot from hasher_slot() over. */
void hasher_submit(struct hasher *h, size_t len);
/* Waits for everything submitted, then gives the digest. */
envelope_rc hasher_finish(envelope_ctx *ctx, struct hasher *h, uint8_t out[SHA512_LEN]);
/* Stops the thread if running and frees (and wipes) the slots. */
void hasher_free(struct hasher *h);

#endif
