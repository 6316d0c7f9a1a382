/* The signed manifest's parser, on its own: in open it runs only after the
 * signature has verified, so this is the way to reach it with arbitrary
 * bytes. A manifest that parses holds values within their rules and encodes
 * back to the same bytes. */
#include <stdlib.h>

#include "base/buf.h"
#include "common.h"
#include "format/format.h"

static void check_identity(const struct identity *id, int may_be_empty)
{
    char label[LABEL_MAX + 1];

    CHECK(may_be_empty || id->key[0] || id->kms[0]);
    CHECK(!id->key[0] || identity_is_valid_fingerprint(id->key));
    CHECK(!id->kms[0] || identity_is_valid_arn(id->kms, strlen(id->kms)));
    identity_label(id, label);
    CHECK(label_matches(label, id) == (id->key[0] || id->kms[0] ? 1 : -1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    struct manifest *m = malloc(sizeof(*m));
    struct bytes again = {0};
    const char *why;
    envelope_rc rc;

    CHECK(m != NULL);
    rc = manifest_parse(ctx, data, size, m);
    check_detail(ctx);
    if (rc != ENVELOPE_OK) {
        CHECK(rc == ENVELOPE_E_BAD_MANIFEST || rc == ENVELOPE_E_NOMEM);
        goto out;
    }
    CHECK(size <= MANIFEST_MAX);
    CHECK(message_name_check(m->name, strlen(m->name), &why) == 0);
    CHECK(is_lower_hex(m->sha512, 128) && is_lower_hex(m->header_sha256, 64));
    CHECK(m->size <= (uint64_t)INT64_MAX);
    CHECK(m->n_recipients >= 1 && m->n_recipients <= STANZA_MAX);
    for (size_t i = 0; i < m->n_recipients; i++)
        check_identity(&m->recipients[i], 0);
    check_identity(&m->signer, 1);
    CHECK(manifest_encode(ctx, m, &again) == ENVELOPE_OK);
    CHECK(again.len == size && memcmp(again.p, data, size) == 0);
out:
    bytes_free(&again);
    free(m);
    return 0;
}
