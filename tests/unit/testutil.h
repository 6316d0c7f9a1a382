/* Helpers shared by the Check suites. */
#ifndef ENVELOPE_TESTUTIL_H
#define ENVELOPE_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

/* Path of a fixed key in tests/keys/ (the suites run from the top). */
const char *key_path(const char *name);
/* Loads tests/keys/NAME, failing the test on error. */
envelope_key *load_test_key(envelope_ctx *ctx, const char *name);
/* A fresh empty directory under $TMPDIR; removed by rm_tree. */
char *make_temp_dir(void);
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

#endif
