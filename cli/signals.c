/* SIGINT, SIGTERM, SIGHUP and SIGPIPE: a command that has a library call
 * running (signals_watch) lets that call stop (envelope_cancel) and remove
 * what it created, then dies of the same signal, so that a shell loop stops
 * on Ctrl-C as it would for any command. A running credential_process
 * command is killed first, whatever the case. Elsewhere, and on a second signal,
 * the default action happens at once: also the way out should a signal land
 * between the library's last check and a read that then blocks. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "cli.h"

static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
static volatile sig_atomic_t caught;
static envelope_ctx *volatile watched;

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

/* Only async-signal-safe calls from here on. */
static void on_signal(int sig)
{
    int saved = errno;

    /* A credential_process command would outlive us, or hold the call. */
    envelope_kill_helpers();
    if (caught || watched == NULL) {
        set_default(sig);
        raise(sig);
    } else {
        caught = sig;
        envelope_cancel(watched);
    }
    errno = saved;
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
}

void signals_watch(envelope_ctx *ctx)
{
    watched = ctx;
}

int signals_caught(void)
{
    return caught;
}

int signals_finish(int code)
{
    int sig = caught;

    watched = NULL;
    if (sig == 0)
        return code;
    fflush(NULL);
    set_default(sig);
    raise(sig);
    return code; /* not reached: every signal handled here ends the process */
}
