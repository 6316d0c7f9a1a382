/* The KMS client a context holds (kms_client.h): made at the context's
 * first KMS call or setting, found by a tag only this file knows, freed
 * with the context. */
#include <stdlib.h>

#include "base/context.h"
#include "aws/kms.h"
#include "aws/kms_client.h"

/* The tag under which a context holds its KMS client (base/context.h). */
static const char client_tag;

/* With the context: its connections closed, its credentials wiped. */
static void client_release(void *state)
{
    struct kms_client *c = state;

    http_client_free(c->http);
    creds_free(&c->creds);
    free(c);
}

struct kms_client *kms_client_of(const envelope_ctx *ctx)
{
    return ctx_state(ctx, &client_tag);
}

envelope_rc kms_client_alloc(envelope_ctx *ctx, struct kms_client **out)
{
    envelope_rc rc;

    if ((*out = kms_client_of(ctx)) != NULL)
        return ENVELOPE_OK;
    if ((*out = calloc(1, sizeof(**out))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "KMS client");
    retry_quota_init(&(*out)->quota);
    if ((rc = ctx_state_attach(ctx, &client_tag, *out, client_release)) != ENVELOPE_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}
