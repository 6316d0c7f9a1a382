/* Assumed-role credentials shared by the process's contexts: contexts are
 * per thread, and threads that need the same role at the same time make one
 * STS call between them. An entry is named by a SHA-256 over everything
 * that makes the request (action, endpoint, role, session name, external
 * id, duration, the source's identity and secret, the token file's path):
 * no secret is kept in a key. */
#ifndef ENVELOPE_STS_CACHE_H
#define ENVELOPE_STS_CACHE_H

#include <stddef.h>

#include "aws/creds.h"

#define STS_CACHE_ENTRIES 16

struct sts_cache_key {
    unsigned char digest[32];
};

/* The key for the strings parts[0..n-1] (NULL is not ""). */
void sts_cache_key(struct sts_cache_key *k, const char *const *parts, size_t n);

/* Fetches credentials into *out; ENVELOPE_OK or an error with a detail. */
typedef envelope_rc (*sts_fetch_fn)(envelope_ctx *ctx, void *arg, struct aws_creds *out);

/* A copy of the credentials cached under k, unless they expire within
 * CREDS_REFRESH_WINDOW; otherwise fetch is called, once for all the threads
 * that ask for k meanwhile (they wait for its result), and a success is
 * cached. When that fetch fails, each thread that waited for it calls
 * fetch itself, with its own context, all at the same time. Thread-safe; a
 * child forked during a fetch fetches for itself. */
envelope_rc sts_cache_get(envelope_ctx *ctx, const struct sts_cache_key *k, sts_fetch_fn fetch,
                          void *arg, struct aws_creds *out);
/* How many askers are waiting for a fetch now: for tests. */
unsigned sts_cache_waiting(void);
/* Drops (and wipes) any entry holding the access key id: a service said
 * those credentials expired. */
void sts_cache_forget(const char *access_key_id);

#endif
