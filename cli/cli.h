/* The envelope command: shared helpers of the subcommands. */
#ifndef ENVELOPE_CLI_H
#define ENVELOPE_CLI_H

#include <stdio.h>

#include "envelope.h"

/* Exit codes: stable, documented in --help and envelope(1). */
enum {
    EXIT_OK = 0,
    EXIT_REJECTED = 1, /* the envelope cannot be opened or verified */
    EXIT_USAGE = 2,
    EXIT_KEY = 3,      /* key or KMS problem */
    EXIT_IO = 4,
};

int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

/* "envelope: what: reason (detail)" on stderr; returns the exit code. */
int report(envelope_ctx *ctx, envelope_rc rc, const char *what);
int exit_code_for(envelope_rc rc);
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Global flags. */
extern int cli_quiet;

/* Passphrases: from --passphrase-file, else a terminal prompt. */
struct passphrase_source {
    const char *file;
};
int passphrase_cb(void *arg, char *buf, size_t size);

/* Loads a key, with a clear message on failure. */
int load_key(envelope_ctx *ctx, const char *ref, struct passphrase_source *pass,
             envelope_key **out);

/* Opens IN for reading ("-" or NULL: stdin). Returns fd or -1 after a message. */
int open_input(const char *path);
/* Writes len bytes to a new file (0600 if secret, else 0644), refusing to
 * replace one unless force. Returns an exit code. */
int write_new_file(const char *path, const uint8_t *p, size_t len, int secret, int force);

/* A progress bar on stderr when it is a terminal. */
struct progress {
    int enabled;
    const char *label;
    long long start_ns;
    long long last_ns;
};
void progress_init(struct progress *p, const char *label);
int progress_cb(void *arg, uint64_t done, uint64_t total);
void progress_done(struct progress *p);

#endif
