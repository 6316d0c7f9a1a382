/* The cleartext header: header_peek on the first bytes, then header_parse
 * on exactly header_len bytes, as open and inspect call them. A header that
 * parses must encode back to the same bytes, and its labels must survive
 * label_matches. */
#include <stdlib.h>

#include "base/buf.h"
#include "common.h"
#include "format/format.h"

static void check_labels(const struct header *h)
{
    struct identity me = {"sha256:0000000000000000000000000000000000000000000000000000000000000000",
                          "arn:aws:kms:eu-west-1:111122223333:key/1"};
    struct identity none = {"", ""};

    for (size_t i = 0; i < h->n_stanzas; i++) {
        int m = label_matches(h->stanzas[i].label, &me);

        CHECK(m >= -1 && m <= 1);
        CHECK(label_matches(h->stanzas[i].label, &none) == -1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    struct header *h = malloc(sizeof(*h));
    struct bytes again = {0};
    uint32_t len;
    envelope_rc rc;

    CHECK(h != NULL);
    rc = header_peek(ctx, data, size, &len);
    check_detail(ctx);
    if (rc != ENVELOPE_OK) {
        CHECK(len == 0 || rc == ENVELOPE_E_BAD_HEADER || rc == ENVELOPE_E_UNKNOWN_VERSION);
        goto out;
    }
    CHECK(len >= HEADER_MIN_LEN && len <= HEADER_MAX_LEN);
    if (size < len)
        goto out;
    rc = header_parse(ctx, data, len, h);
    check_detail(ctx);
    if (rc != ENVELOPE_OK) {
        CHECK(rc == ENVELOPE_E_BAD_HEADER);
        goto out;
    }
    CHECK(h->n_stanzas >= 1 && h->n_stanzas <= STANZA_MAX);
    for (size_t i = 0; i < h->n_stanzas; i++) {
        size_t w = h->stanzas[i].wrapped_len;

        CHECK(strlen(h->stanzas[i].label) <= LABEL_MAX);
        CHECK(w == 256 || w == 384 || w == 512);
    }
    check_labels(h);
    CHECK(header_encode(ctx, h, &again) == ENVELOPE_OK);
    CHECK(again.len == len && memcmp(again.p, data, len) == 0);
out:
    bytes_free(&again);
    free(h);
    return 0;
}
