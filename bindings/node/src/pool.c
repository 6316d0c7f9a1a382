/* The binding's own pool of worker threads.
 *
 * KMS calls can take seconds (retries, timeouts). On libuv's pool, four
 * threads by default that fs, dns and zlib share, a few of them would stall
 * every other asynchronous call of the process; so jobs run on threads of
 * their own: ENVELOPE_NODE_THREADS of them (1 to 64, default 4), started
 * when the first job is queued. Each thread keeps one envelope_ctx (a
 * context is for one thread at a time), so the jobs that run on a thread
 * reuse its KMS connection.
 *
 * A finished job returns to the JavaScript thread through a thread-safe
 * function, referenced only while jobs are pending: an idle pool never keeps
 * the process alive. At environment clean-up the running calls are
 * cancelled, the threads joined, and queued jobs dropped.
 *
 * process.exit() runs no environment clean-up: it calls exit(), whose
 * handlers free the OpenSSL that the library uses inside Node (Node's own,
 * whose symbols come first). Threads still sealing would then crash the
 * process; so an exit handler, registered after Node set up OpenSSL and
 * therefore run before OpenSSL's, cancels and joins every pool's threads.
 *
 * A cancelled call stops at its next check, but one blocked in a read or
 * an open (a pipe or FIFO whose writer stays silent) would never get there,
 * and the join would wait for ever. So each thread is woken as the CLI's
 * batch mode wakes its workers: SIGURG, which only the pool's threads leave
 * unblocked, handled by a function that does nothing, without SA_RESTART;
 * the read returns EINTR and the library sees the cancellation. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addon.h"

#define THREADS_DEFAULT 4
#define THREADS_MAX 64
#define WAKE_SIGNAL SIGURG /* ignored by default: a stray one changes nothing */
#define WAKE_AGAIN_NS 20000000L /* a wake may land just before the read */

typedef struct nd_worker {
    nd_pool *pool;
    pthread_t tid;
    envelope_ctx *ctx; /* under pool->lock: for envelope_cancel at clean-up */
} nd_worker;

struct nd_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    nd_job *head, *tail; /* queued, not yet taken by a thread */
    int stopping;
    unsigned n_threads;
    unsigned started;
    nd_worker *workers;
    napi_threadsafe_function done;
    size_t pending; /* queued or running; JavaScript thread only */
    int joined;     /* the threads were joined (under pools_lock) */
    nd_pool *next_pool;
};

/* Every pool whose environment is alive, for the exit handler. */
static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static nd_pool *pools;
static pthread_once_t exit_handler_once = PTHREAD_ONCE_INIT;
static int wake_installed; /* set once, before any pool thread starts */

static nd_job *take(nd_pool *pool)
{
    nd_job *job;

    while (!pool->stopping && pool->head == NULL)
        pthread_cond_wait(&pool->wake, &pool->lock);
    if (pool->stopping)
        return NULL;
    job = pool->head;
    pool->head = job->next;
    if (pool->head == NULL)
        pool->tail = NULL;
    job->next = NULL;
    return job;
}

static void *worker_main(void *arg)
{
    nd_worker *w = arg;
    nd_pool *pool = w->pool;
    envelope_ctx *ctx = NULL;
    envelope_rc ctx_rc = envelope_ctx_new(&ctx);
    nd_job *job;
    sigset_t wake;

    sigemptyset(&wake);
    sigaddset(&wake, WAKE_SIGNAL);
    if (wake_installed)
        pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
    pthread_mutex_lock(&pool->lock);
    w->ctx = ctx;
    while ((job = take(pool)) != NULL) {
        pthread_mutex_unlock(&pool->lock);
        if (ctx_rc != ENVELOPE_OK)
            job_fail(job, ctx_rc, "no library context for this thread");
        else
            job_run(job, ctx);
        /* Fails only once the environment is being torn down. */
        if (napi_call_threadsafe_function(pool->done, job, napi_tsfn_blocking) != napi_ok)
            job_free(job);
        pthread_mutex_lock(&pool->lock);
    }
    w->ctx = NULL;
    pthread_mutex_unlock(&pool->lock);
    envelope_ctx_free(ctx);
    return NULL;
}

/* Starts the missing threads, with every signal blocked: signals are the
 * main thread's to handle. Returns 0, or pthread_create's error when no
 * thread runs at all. */
static int start_threads(nd_pool *pool)
{
    sigset_t all, old;
    int err = 0;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (pool->started < pool->n_threads) {
        nd_worker *w = &pool->workers[pool->started];

        w->pool = pool;
        if ((err = pthread_create(&w->tid, NULL, worker_main, w)) != 0)
            break;
        pool->started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pool->started > 0 ? 0 : err;
}

/* On the JavaScript thread, or with env NULL when the environment is torn
 * down before the job could be delivered. */
static void on_done(napi_env env, napi_value js_cb, void *context, void *data)
{
    nd_pool *pool = context;
    nd_job *job = data;

    (void)js_cb;
    if (env == NULL) {
        job_free(job);
        return;
    }
    if (--pool->pending == 0)
        napi_unref_threadsafe_function(env, pool->done);
    settle(env, job);
}

static void on_finalize(napi_env env, void *data, void *hint)
{
    nd_pool *pool = data;

    (void)env;
    (void)hint;
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->wake);
    free(pool->workers);
    free(pool);
}

/* Joins a thread whose call was cancelled, waking it until it ends. */
static void join_woken(pthread_t tid)
{
    struct timespec until;

    do {
        pthread_kill(tid, WAKE_SIGNAL);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WAKE_AGAIN_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    } while (pthread_timedjoin_np(tid, NULL, &until) == ETIMEDOUT);
}

/* Cancels the running calls and joins the threads, once; pools_lock held. */
static void stop_threads(nd_pool *pool)
{
    unsigned i;

    if (pool->joined)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    for (i = 0; i < pool->started; i++)
        if (pool->workers[i].ctx != NULL)
            envelope_cancel(pool->workers[i].ctx);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (i = 0; i < pool->started; i++)
        join_woken(pool->workers[i].tid);
    pool->joined = 1;
}

static void stop_all_at_exit(void)
{
    pthread_mutex_lock(&pools_lock);
    for (nd_pool *pool = pools; pool != NULL; pool = pool->next_pool)
        stop_threads(pool);
    pthread_mutex_unlock(&pools_lock);
}

static void on_wake(int sig)
{
    (void)sig; /* the EINTR it causes is the point */
}

/* Node unloads an addon once the last environment that loaded it ends (a
 * worker thread's, say): the wake signal would then point at unmapped
 * code. Pinned, the addon stays loaded. */
static int pin_addon(void)
{
    Dl_info info;

    return dladdr(&wake_installed, &info) != 0 && info.dli_fname != NULL &&
           dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != NULL;
}

/* Once per process: the exit handler, and the wake signal's handler unless
 * the program already handles that signal itself (whose handler then must
 * not run on the pool's threads: they keep it blocked, and a call blocked
 * on its input holds the clean-up as before). */
static void register_exit_handler(void)
{
    struct sigaction sa, old;

    atexit(stop_all_at_exit);
    if (sigaction(WAKE_SIGNAL, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
        old.sa_handler != SIG_DFL || !pin_addon())
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_wake;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the blocked read must return */
    wake_installed = sigaction(WAKE_SIGNAL, &sa, NULL) == 0;
}

static void on_cleanup(void *arg)
{
    nd_pool *pool = arg;
    nd_job *job;

    pthread_mutex_lock(&pools_lock);
    for (nd_pool **p = &pools; *p != NULL; p = &(*p)->next_pool)
        if (*p == pool) {
            *p = pool->next_pool;
            break;
        }
    stop_threads(pool);
    pthread_mutex_unlock(&pools_lock);
    /* The environment is going away: these promises can no longer settle. */
    while ((job = pool->head) != NULL) {
        pool->head = job->next;
        job_free(job);
    }
    napi_release_threadsafe_function(pool->done, napi_tsfn_abort);
}

/* ENVELOPE_NODE_THREADS, or the default; 0 when it is set but invalid. */
static unsigned threads_wanted(void)
{
    const char *s = getenv("ENVELOPE_NODE_THREADS");
    char *end;
    unsigned long n;

    if (s == NULL || *s == '\0')
        return THREADS_DEFAULT;
    errno = 0;
    n = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || s[0] < '0' || s[0] > '9' || n < 1 || n > THREADS_MAX)
        return 0;
    return (unsigned)n;
}

napi_status pool_create(napi_env env, nd_pool **out)
{
    nd_pool *pool = NULL;
    napi_value name;
    napi_status st = napi_generic_failure;

    *out = NULL;
    if ((pool = calloc(1, sizeof(*pool))) == NULL)
        goto fail;
    if ((pool->n_threads = threads_wanted()) == 0) {
        napi_throw_range_error(env, "ERR_ENVELOPE_THREADS",
                               "ENVELOPE_NODE_THREADS must be a whole number from 1 to 64");
        st = napi_pending_exception;
        goto fail;
    }
    if ((pool->workers = calloc(pool->n_threads, sizeof(*pool->workers))) == NULL)
        goto fail;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    if ((st = napi_create_string_utf8(env, "envelope", NAPI_AUTO_LENGTH, &name)) != napi_ok ||
        (st = napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, pool, on_finalize,
                                              pool, on_done, &pool->done)) != napi_ok) {
        pthread_mutex_destroy(&pool->lock);
        pthread_cond_destroy(&pool->wake);
        goto fail;
    }
    /* From now on on_finalize frees the pool. Added after the thread-safe
     * function so that it runs before that function's own clean-up. */
    napi_unref_threadsafe_function(env, pool->done);
    if ((st = napi_add_env_cleanup_hook(env, on_cleanup, pool)) != napi_ok) {
        napi_release_threadsafe_function(pool->done, napi_tsfn_abort);
        return st;
    }
    pthread_once(&exit_handler_once, register_exit_handler);
    pthread_mutex_lock(&pools_lock);
    pool->next_pool = pools;
    pools = pool;
    pthread_mutex_unlock(&pools_lock);
    *out = pool;
    return napi_ok;
fail:
    if (pool != NULL)
        free(pool->workers);
    free(pool);
    return st;
}

napi_status pool_submit(napi_env env, nd_pool *pool, nd_job *job)
{
    int err;

    if (pool->started < pool->n_threads && (err = start_threads(pool)) != 0) {
        job_fail(job, ENVELOPE_E_NOMEM, "cannot start a worker thread: %s", strerror(err));
        settle(env, job);
        return napi_ok;
    }
    if (pool->pending++ == 0)
        napi_ref_threadsafe_function(env, pool->done);
    pthread_mutex_lock(&pool->lock);
    if (pool->tail != NULL)
        pool->tail->next = job;
    else
        pool->head = job;
    pool->tail = job;
    pthread_cond_signal(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    return napi_ok;
}

unsigned pool_threads(const nd_pool *pool)
{
    return pool->n_threads;
}
