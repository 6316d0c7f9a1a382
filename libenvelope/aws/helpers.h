/* Commands the library runs (credential_process), kept where
 * envelope_kill_helpers() can end them from a signal handler. */
#ifndef ENVELOPE_HELPERS_H
#define ENVELOPE_HELPERS_H

#include <sys/types.h>

/* Records what kill() ends a running command with: -pgid for a command in
 * a process group of its own, else its pid. Returns the slot, or -1 when
 * the table is full (the command still has its deadline). Call before the
 * command can be reaped. */
int helper_add(pid_t target);
/* Forgets a slot (-1 is a no-op). Call before reaping the command, so that
 * a handler never kills a pid that has been reused. */
void helper_remove(int slot);
/* How many times envelope_kill_helpers() has run: read before starting a
 * command and again once its slot is filled, a change means a kill came
 * in between, which the slot could not yet receive. */
unsigned helper_kill_requests(void);

#endif
