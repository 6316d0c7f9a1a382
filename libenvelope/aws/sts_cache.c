/* The process's cache of assumed-role credentials (sts_cache.h): a small
 * table under one lock; a fetch runs without the lock, its entry marked
 * busy so that other askers wait for it instead of calling STS too. When
 * that fetch fails, its waiters fetch each for itself, all at once: taking
 * turns, the last would wait out every other's retries and deadline. */
#include "aws/sts_cache.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/context.h"

struct entry {
    int busy;                   /* a fetch for this key is running */
    int full;                   /* creds holds credentials */
    unsigned long settled;      /* fetches ended here, so a waiter sees its own end */
    int failed;                 /* the last of them cached nothing */
    struct sts_cache_key key;
    struct aws_creds creds;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fetched = PTHREAD_COND_INITIALIZER;
static struct entry table[STS_CACHE_ENTRIES];
static unsigned waiting;        /* askers waiting for a fetch: for tests */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* fork(): the child has only the forking thread, so a fetch that another
 * thread was running never settles there; its entry would keep the child's
 * askers waiting forever. The lock is held across fork so that the table is
 * copied whole, and the child drops the busy marks. */
static void before_fork(void)
{
    pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

static void after_fork_child(void)
{
    for (size_t i = 0; i < STS_CACHE_ENTRIES; i++)
        table[i].busy = 0;
    waiting = 0;
    pthread_cond_init(&fetched, NULL);
    pthread_mutex_unlock(&lock);
}

static void watch_forks(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

void sts_cache_key(struct sts_cache_key *k, const char *const *parts, size_t n)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned len = 0;

    memset(k, 0, sizeof(*k));
    /* Each part with its length, so that no two lists hash alike; on a
     * failure the key stays all zero and matches nothing (see find). */
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto out;
    for (size_t i = 0; i < n; i++) {
        unsigned long long l = parts[i] ? strlen(parts[i]) + 1 : 0;

        if (EVP_DigestUpdate(md, &l, sizeof(l)) != 1 ||
            (l && EVP_DigestUpdate(md, parts[i], l - 1) != 1))
            goto out;
    }
    if (EVP_DigestFinal_ex(md, k->digest, &len) != 1)
        memset(k, 0, sizeof(*k));
out:
    EVP_MD_CTX_free(md);
}

static int key_is_zero(const struct sts_cache_key *k)
{
    static const struct sts_cache_key zero;

    return memcmp(k, &zero, sizeof(zero)) == 0;
}

static struct entry *find(const struct sts_cache_key *k)
{
    for (size_t i = 0; i < STS_CACHE_ENTRIES; i++)
        if ((table[i].busy || table[i].full) && memcmp(&table[i].key, k, sizeof(*k)) == 0)
            return &table[i];
    return NULL;
}

static void drop(struct entry *e)
{
    creds_free(&e->creds);
    e->full = 0;
}

/* A free entry, else the idle one that expires first; NULL if all are
 * busy. */
static struct entry *slot(void)
{
    struct entry *best = NULL;

    for (size_t i = 0; i < STS_CACHE_ENTRIES; i++) {
        struct entry *e = &table[i];

        if (e->busy)
            continue;
        if (!e->full)
            return e;
        if (best == NULL || e->creds.expiration < best->creds.expiration)
            best = e;
    }
    return best;
}

static envelope_rc copy(envelope_ctx *ctx, const struct aws_creds *from, struct aws_creds *to)
{
    envelope_rc rc = creds_set(ctx, from->source, from->access_key_id, (size_t)-1,
                               from->secret_access_key, (size_t)-1, from->session_token,
                               (size_t)-1, to);

    if (rc == ENVELOPE_OK) {
        to->expiration = from->expiration;
        to->refreshable = from->refreshable;
        memcpy(to->source, from->source, sizeof(to->source));
    }
    return rc;
}

/* After a fetch: the entry keeps a copy of a success, and the waiters are
 * woken either way. */
static void settle(envelope_ctx *ctx, struct entry *e, envelope_rc rc,
                   const struct aws_creds *fresh)
{
    pthread_mutex_lock(&lock);
    if (rc == ENVELOPE_OK && copy(ctx, fresh, &e->creds) == ENVELOPE_OK)
        e->full = 1;
    e->busy = 0;
    e->failed = !e->full;
    e->settled++;
    pthread_cond_broadcast(&fetched);
    pthread_mutex_unlock(&lock);
}

/* Under the lock: waits while a fetch for k runs, then *e is k's entry or
 * NULL. -1 when the fetch waited for failed: the caller fetches alone. */
static int wait_for_fetch(const struct sts_cache_key *k, struct entry **e)
{
    while ((*e = find(k)) != NULL && (*e)->busy) {
        struct entry *w = *e;
        unsigned long seen = w->settled;

        waiting++;
        pthread_cond_wait(&fetched, &lock);
        waiting--;
        if (w->settled != seen && w->failed)
            return -1;
    }
    return 0;
}

envelope_rc sts_cache_get(envelope_ctx *ctx, const struct sts_cache_key *k, sts_fetch_fn fetch,
                          void *arg, struct aws_creds *out)
{
    struct entry *e;
    envelope_rc rc;

    memset(out, 0, sizeof(*out));
    if (key_is_zero(k))
        return fetch(ctx, arg, out);
    pthread_once(&fork_once, watch_forks);
    pthread_mutex_lock(&lock);
    if (wait_for_fetch(k, &e) != 0) {
        pthread_mutex_unlock(&lock);
        return fetch(ctx, arg, out);
    }
    if (e && !creds_expiring(&e->creds, time(NULL))) {
        rc = copy(ctx, &e->creds, out);
        pthread_mutex_unlock(&lock);
        return rc;
    }
    if (e == NULL)
        e = slot();
    if (e) {
        drop(e);
        e->key = *k;
        e->busy = 1;
    }
    pthread_mutex_unlock(&lock);
    rc = fetch(ctx, arg, out);
    if (e)
        settle(ctx, e, rc, out);
    return rc;
}

unsigned sts_cache_waiting(void)
{
    unsigned n;

    pthread_mutex_lock(&lock);
    n = waiting;
    pthread_mutex_unlock(&lock);
    return n;
}

void sts_cache_forget(const char *access_key_id)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < STS_CACHE_ENTRIES; i++)
        if (table[i].full && !table[i].busy &&
            strcmp(table[i].creds.access_key_id, access_key_id) == 0)
            drop(&table[i]);
    pthread_mutex_unlock(&lock);
}
