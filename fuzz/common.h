/* Shared by the fuzz targets: a context made once, the fixed test keys, and
 * CHECK(), which turns a broken invariant into a crash that libFuzzer
 * reports and saves. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

#ifndef FUZZ_KEYS_DIR
#define FUZZ_KEYS_DIR "tests/keys"
#endif

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                        \
            abort();                                                               \
        }                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline envelope_ctx *fuzz_ctx(void)
{
    static envelope_ctx *ctx;

    if (ctx == NULL && envelope_ctx_new(&ctx) != ENVELOPE_OK)
        abort();
    return ctx;
}

/* The detail text must always be a terminated string of bounded length.
 * FUZZ_VERBOSE=1 prints it, to see what a given input does. */
static inline void check_detail(const envelope_ctx *ctx)
{
    const char *d = envelope_ctx_detail(ctx);

    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "detail: %s\n", d && *d ? d : "(none)");

    CHECK(d != NULL);
    CHECK(strnlen(d, 4096) < 4096);
}

/* A key from tests/keys (FUZZ_KEYS_DIR, or $FUZZ_KEYS_DIR at run time). */
static inline envelope_key *fuzz_key(const char *file)
{
    const char *dir = getenv("FUZZ_KEYS_DIR");
    char path[4096];
    envelope_key *key = NULL;

    snprintf(path, sizeof(path), "%s/%s", dir ? dir : FUZZ_KEYS_DIR, file);
    if (envelope_key_load(fuzz_ctx(), path, NULL, NULL, &key) != ENVELOPE_OK) {
        fprintf(stderr, "fuzz: cannot load %s: %s\n", path, envelope_ctx_detail(fuzz_ctx()));
        abort();
    }
    return key;
}

#endif
