/* The manifest as it is signed: encoded, then read back. */
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "format/format.h"

static int identity_equal(const struct identity *a, const struct identity *b)
{
    return strcmp(a->key, b->key) == 0 && strcmp(a->kms, b->kms) == 0;
}

static int manifest_equal(const struct manifest *a, const struct manifest *b)
{
    if (strcmp(a->name, b->name) != 0 || a->size != b->size ||
        strcmp(a->sha512, b->sha512) != 0 || strcmp(a->header_sha256, b->header_sha256) != 0 ||
        a->n_recipients != b->n_recipients || !identity_equal(&a->signer, &b->signer) ||
        a->created != b->created)
        return 0;
    for (size_t i = 0; i < a->n_recipients; i++)
        if (!identity_equal(&a->recipients[i], &b->recipients[i]))
            return 0;
    return 1;
}

/* A signature cannot be taken back: what is about to be signed is read
 * back with the strict parser and must hold exactly the values it was made
 * from, whatever went wrong in writing it. */
envelope_rc manifest_encode(envelope_ctx *ctx, const struct manifest *m, struct bytes *out)
{
    struct manifest *again = malloc(sizeof(*again));
    size_t start = out->len;
    envelope_rc rc;

    if (again == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "manifest");
    if ((rc = manifest_encode_raw(ctx, m, out)) == ENVELOPE_OK &&
        (manifest_parse(ctx, out->p + start, out->len - start, again) != ENVELOPE_OK ||
         !manifest_equal(m, again))) {
        out->len = start;
        rc = fail(ctx, ENVELOPE_E_INTERNAL,
                  "the manifest does not read back as written (out of memory?)");
    }
    free(again);
    return rc;
}
