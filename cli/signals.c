/* SIGINT, SIGTERM, SIGHUP and SIGPIPE: a command that has a library call
 * running (signals_watch) lets that call stop (envelope_cancel) and remove
 * what it created, then dies of the same signal, so that a shell loop stops
 * on Ctrl-C as it would for any command. A running credential_process
 * command is killed first, whatever the case. Elsewhere, and on a second signal,
 * the default action happens at once: also the way out should a signal land
 * between the library's last check and a read that then blocks.
 * Batch mode watches every worker's context, and wakes each worker with
 * SIGURG (a handler that does nothing, without SA_RESTART), so that a read
 * or an open blocked in any thread returns EINTR and sees the cancellation:
 * the signal itself may have been delivered to another thread. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "cli.h"

static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
static volatile sig_atomic_t caught;
static envelope_ctx *volatile watched;
static envelope_ctx *const *volatile batch_ctxs;
static const pthread_t *volatile batch_threads;
static volatile sig_atomic_t batch_n;

static void set_default(int sig)
{
    struct sigaction sa;
    sigset_t set;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Only async-signal-safe calls from here on (pthread_kill is one). */
static void cancel_batch(void)
{
    size_t n = (size_t)batch_n;

    for (size_t i = 0; i < n; i++)
        envelope_cancel(batch_ctxs[i]);
    for (size_t i = 0; i < n; i++)
        pthread_kill(batch_threads[i], SIGURG);
}

static void on_signal(int sig)
{
    int saved = errno;

    /* A credential_process command would outlive us, or hold the call. */
    envelope_kill_helpers();
    if (caught || (watched == NULL && batch_n == 0)) {
        set_default(sig);
        raise(sig);
    } else {
        caught = sig;
        if (watched)
            envelope_cancel(watched);
        cancel_batch();
    }
    errno = saved;
}

static void on_wake(int sig)
{
    (void)sig; /* the EINTR it causes is the point */
}

void signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
        sigaddset(&sa.sa_mask, handled[i]);
    /* No SA_RESTART: a read blocked on the input must return (EINTR) for
     * the library to see the cancellation. */
    sa.sa_flags = 0;
    for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
        sigaction(handled[i], &sa, NULL);
    sa.sa_handler = on_wake;
    sigaction(SIGURG, &sa, NULL);
}

void signals_watch(envelope_ctx *ctx)
{
    watched = ctx;
}

void signals_watch_batch(envelope_ctx *const *ctxs, const pthread_t *threads, size_t n)
{
    /* The arrays before the count that makes the handler read them. */
    batch_n = 0;
    batch_ctxs = ctxs;
    batch_threads = threads;
    batch_n = (sig_atomic_t)n;
}

/* A worker that saw SIGPIPE: the workers block it, and a signal a write
 * causes goes to the thread that wrote, where it stays pending. Acted on
 * as the handler would, and at once: nothing more is placed. */
void signals_stop(int sig)
{
    if (caught)
        return;
    caught = sig;
    if (watched)
        envelope_cancel(watched);
    cancel_batch();
}

int signals_caught(void)
{
    return caught;
}

int signals_finish(int code)
{
    int sig = caught;

    watched = NULL;
    batch_n = 0;
    if (sig == 0)
        return code;
    fflush(NULL);
    set_default(sig);
    raise(sig);
    return code; /* not reached: every signal handled here ends the process */
}
