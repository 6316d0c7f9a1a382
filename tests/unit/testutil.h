/* Helpers shared by the Check suites. */
#ifndef ENVELOPE_TESTUTIL_H
#define ENVELOPE_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "envelope.h"

/* Path of a fixed key in tests/keys/ (the suites run from the top). */
const char *key_path(const char *name);
/* Loads tests/keys/NAME, failing the test on error. */
envelope_key *load_test_key(envelope_ctx *ctx, const char *name);
/* A fresh empty directory under $TMPDIR; removed by rm_tree. */
char *make_temp_dir(void);
/* Unsets every AWS setting of the environment; points the shared files at
 * /dev/null and turns instance metadata off. */
void isolate_aws_env(void);
void rm_tree(const char *dir);
/* Number of entries in a directory, "." and ".." aside. */
int count_entries(const char *dir);
/* n bytes of a fixed pseudo-random pattern (seeded). Free with free(). */
uint8_t *pattern(size_t n, unsigned seed);
/* Runs a suite and returns the number of failures. */
int run_suite(Suite *s);

#define ck_assert_rc(got, want)                                                        \
    do {                                                                               \
        envelope_rc got_ = (got), want_ = (want);                                      \
        ck_assert_msg(got_ == want_, "got %s, want %s", envelope_rc_name(got_),        \
                      envelope_rc_name(want_));                                        \
    } while (0)

/* ------------------------------------------------------------ environment */

/* 0 when ENVELOPE_TEST_SLOW=0 (the valgrind run): skip the largest cases
 * and sample the long sweeps; 1 otherwise. */
int test_slow(void);
/* 1 when ENVELOPE_TEST_SLOW=2: the sweeps leave nothing out, however long
 * that takes (every bit of every payload byte, not one bit per byte). */
int test_exhaustive(void);
/* A context, failing the test if none can be had. */
envelope_ctx *new_ctx(void);

/* ------------------------------------------------------------------ bytes */

/* Decodes lowercase or uppercase hex (no separators) into a malloc'd buffer;
 * *len is its length. Fails the test on malformed hex. */
uint8_t *hex_decode(const char *hex, size_t *len);
/* Lowercase hex of SHA-512 / SHA-256 of p (out: 129 / 65 bytes with NUL). */
void sha512_hex(const uint8_t *p, size_t n, char out[129]);
void sha256_hex(const uint8_t *p, size_t n, char out[65]);
/* Reads a whole file into a malloc'd buffer (NUL-terminated, not counted). */
uint8_t *read_file(const char *path, size_t *len);
void write_file(const char *path, const uint8_t *p, size_t n);
/* An unnamed in-memory file holding p, positioned at its start. */
int mem_fd(const uint8_t *p, size_t n);
/* Everything from fd's start to its end (malloc'd). */
uint8_t *fd_contents(int fd, size_t *len);

/* ------------------------------------------------------- whole envelopes */

/* 2023-11-14T22:13:20Z: the fixed creation time of reproducible manifests. */
#define TEST_CREATED ((time_t)1700000000)

/* Seal options: signed by tests/keys/signer.pem, to the given recipients;
 * created fixed (a reproducible manifest) unless created is 0. */
envelope_seal_opts *seal_opts_for(envelope_ctx *ctx, envelope_key *const *recipients,
                                  size_t n, time_t created);
/* Open options: decrypt with key, trust tests/keys/signer.pub. */
envelope_open_opts *open_opts_for(envelope_ctx *ctx, envelope_key *decrypt);
/* Seals msg to alice (RSA-2048) with the options above; *len set. */
uint8_t *seal_to_alice(envelope_ctx *ctx, const uint8_t *msg, size_t n, size_t *len);

/* Opens env with envelope_open_mem and envelope_open_file (into an empty
 * scratch directory) and asserts both fail with want, that the memory
 * output and the result are NULL and that the directory is left empty.
 * file_too: 0 to try only envelope_open_mem (for long sweeps). */
void assert_open_fails(envelope_ctx *ctx, const envelope_open_opts *opts, const uint8_t *env,
                       size_t len, envelope_rc want, const char *scratch, int file_too,
                       const char *what);

/* Opens env with envelope_open_mem and asserts it succeeds. */
void assert_open_ok(envelope_ctx *ctx, const envelope_open_opts *opts, const uint8_t *env,
                    size_t len, const char *what);

#endif
