/* Key files: every key of a PEM file of several blocks (or one DER key),
 * as envelope_keys_load and envelope_key_from_memory read them. Whatever
 * the bytes, the result is a list of usable keys or an error with nothing
 * out, and a file of one key reads the same both ways. */
#include "common.h"
#include "keys/keys.h"

static int never(void *arg, char *buf, size_t size)
{
    (void)arg;
    (void)buf;
    (void)size;
    return -1; /* encrypted keys stay closed: the decoder's error path */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    envelope_key **keys = (envelope_key **)1, *one = (envelope_key *)1;
    size_t n = 99;
    envelope_rc rc, rc_one;

    rc = keys_from_memory(ctx, data, size, never, NULL, &keys, &n);
    check_detail(ctx);
    if (rc != ENVELOPE_OK) {
        CHECK(keys == NULL && n == 0);
    } else {
        CHECK(keys != NULL && n >= 1);
        for (size_t i = 0; i < n; i++) {
            envelope_key_kind kind = envelope_key_get_kind(keys[i]);

            CHECK(kind == ENVELOPE_KEY_SIGNING || kind == ENVELOPE_KEY_ENCRYPTION);
            CHECK(n == 1 || !envelope_key_is_private(keys[i]));
        }
    }
    rc_one = envelope_key_from_memory(ctx, data, size, never, NULL, &one);
    check_detail(ctx);
    CHECK((rc_one == ENVELOPE_OK) == (rc == ENVELOPE_OK && n == 1));
    CHECK((rc_one == ENVELOPE_OK) == (one != NULL));
    envelope_key_free(one);
    envelope_keys_free(rc == ENVELOPE_OK ? keys : NULL, n);
    return 0;
}
