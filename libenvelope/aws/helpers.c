/* The table of running commands that envelope_kill_helpers() reads. A
 * signal handler may neither lock nor allocate, so it is a fixed array of
 * lock-free atomics: a slot holds what kill() is given, or 0 when free. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "envelope.h"
#include "aws/helpers.h"

#define HELPERS_MAX 64

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler needs lock-free atomics");
_Static_assert(sizeof(pid_t) == sizeof(int), "a pid is kept in an atomic_int");

static atomic_int helpers[HELPERS_MAX];
/* Bumped by every envelope_kill_helpers(), so that a command started while
 * one ran, before its slot was filled, is killed by its own caller. */
static atomic_uint kill_requests;

int helper_add(pid_t target)
{
    for (int i = 0; i < HELPERS_MAX; i++) {
        int free_slot = 0;

        if (atomic_compare_exchange_strong(&helpers[i], &free_slot, target))
            return i;
    }
    return -1;
}

void helper_remove(int slot)
{
    if (slot >= 0 && slot < HELPERS_MAX)
        atomic_store(&helpers[slot], 0);
}

unsigned helper_kill_requests(void)
{
    return atomic_load(&kill_requests);
}

void envelope_kill_helpers(void)
{
    int saved = errno;
    pid_t own = getpgrp();

    atomic_fetch_add(&kill_requests, 1);

    for (int i = 0; i < HELPERS_MAX; i++) {
        int t = atomic_load(&helpers[i]);

        /* Never 0, -1 or 1 (the caller's group, every process, init), nor
         * the caller's own group, whatever a slot might hold. */
        if (t > 1 || (t < -1 && -t != own))
            kill(t, SIGKILL);
    }
    errno = saved;
}
