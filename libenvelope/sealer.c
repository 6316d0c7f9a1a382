/* The incremental sealer: the caller pushes the message in pieces. A
 * known size in the default format streams through the seal pipeline as
 * the pieces come (seal.c in steps: no thread, no copy of the pipeline);
 * an unknown size, or the compat format, is spooled encrypted under a
 * random in-memory key (input_spool.c) and sealed from the spool at the
 * end, since the archive states the message's size before its bytes. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "format/armor.h"
#include "base/context.h"
#include "pipeline/compat.h"
#include "pipeline/input_spool.h"
#include "pipeline/opts.h"
#include "pipeline/pipeline.h"
#include "io/space.h"

struct envelope_sealer {
    envelope_ctx *ctx;
    envelope_seal_opts *opts;  /* the caller's, copied */
    uint64_t size;             /* declared, or ENVELOPE_SIZE_UNKNOWN */
    uint64_t done;             /* bytes given so far */
    envelope_write_fn write;
    void *write_arg;
    int spooling;
    struct seal_state *stream; /* streaming */
    struct input_spool spool;  /* spooling */
    struct sink base;          /* the caller's callback, which an armor writes to */
    struct armor_writer armor; /* streaming with armor */
    int armored;
    int finished;
    envelope_rc rc;            /* the first failure, returned ever after */
};

/* A copy holding its own key references, so that the caller may free or
 * change its options while the sealer runs. */
static envelope_rc opts_copy(envelope_ctx *ctx, const envelope_seal_opts *from,
                             envelope_seal_opts **to)
{
    if ((*to = malloc(sizeof(**to))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "sealer options");
    **to = *from;
    envelope_key_ref((*to)->sign_key);
    for (size_t i = 0; i < (*to)->n_recipients; i++)
        envelope_key_ref((*to)->recipients[i]);
    return ENVELOPE_OK;
}

/* What the pipelines would refuse only at the end when spooling. */
static envelope_rc check_opts(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size)
{
    envelope_rc rc;

    if (opts->sign_key == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no signing key");
    if (opts->n_recipients == 0)
        return fail(ctx, ENVELOPE_E_TOO_MANY_RECIPIENTS, "no recipient");
    if (opts->format == ENVELOPE_FORMAT_COMPAT && opts->armor)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "armor is for v1 envelopes: a compat envelope stays the bare RSA "
                    "ciphertext that the tutorial's commands read");
    if (opts->format == ENVELOPE_FORMAT_COMPAT &&
        (rc = compat_seal_check(ctx, opts)) != ENVELOPE_OK)
        return rc;
    if (size == ENVELOPE_SIZE_UNKNOWN)
        return ENVELOPE_OK;
    if (opts->max_size && size > opts->max_size)
        return fail(ctx, ENVELOPE_E_TOO_LARGE,
                    "the declared size, %llu bytes, is over the maximum of %llu",
                    (unsigned long long)size, (unsigned long long)opts->max_size);
    if (opts->format == ENVELOPE_FORMAT_COMPAT)
        return compat_message_fits(ctx, opts->recipients[0], size);
    return ENVELOPE_OK;
}

/* A spooled message is armored by envelope_seal_cb at the end; a streamed
 * one goes through an armor writer of the sealer's own. */
static envelope_rc start(envelope_sealer *s)
{
    struct sink text = {armor_write, &s->armor, NULL, NULL};

    s->base = (struct sink){s->write, s->write_arg, NULL, NULL};
    s->spooling = s->size == ENVELOPE_SIZE_UNKNOWN || s->opts->format != ENVELOPE_FORMAT_V1;
    if (s->spooling)
        return input_spool_begin(s->ctx, &s->spool);
    if (!s->opts->armor)
        return seal_v1_begin(s->ctx, s->opts, s->size, &s->base, &s->stream);
    if (armor_writer_init(&s->armor, &s->base) != 0)
        return fail(s->ctx, ENVELOPE_E_NOMEM, "armor");
    s->armored = 1;
    return seal_v1_begin(s->ctx, s->opts, s->size, &text, &s->stream);
}

envelope_rc envelope_sealer_new(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                                envelope_write_fn write, void *write_arg, envelope_sealer **out)
{
    envelope_sealer *s;
    envelope_rc rc;

    if (out == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no sealer to return");
    *out = NULL;
    detail_clear(ctx);
    if (ctx == NULL || opts == NULL || write == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no context, options or write callback");
    if ((rc = check_opts(ctx, opts, size)) != ENVELOPE_OK)
        return rc;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "sealer");
    s->ctx = ctx;
    s->size = size;
    s->write = write;
    s->write_arg = write_arg;
    s->spool.fd = -1;
    if ((rc = opts_copy(ctx, opts, &s->opts)) == ENVELOPE_OK && (rc = start(s)) == ENVELOPE_OK) {
        *out = s;
        return ENVELOPE_OK;
    }
    envelope_sealer_free(s);
    return rc;
}

/* Refuses a call on a sealer that is finished or failed. */
static envelope_rc usable(envelope_sealer *s)
{
    if (s->rc != ENVELOPE_OK)
        return fail(s->ctx, s->rc, "an earlier call on this sealer failed (%s): free it",
                    envelope_rc_name(s->rc));
    if (s->finished)
        return fail(s->ctx, ENVELOPE_E_INVALID_ARGUMENT, "the sealer has finished");
    return check_cancelled(s->ctx);
}

/* Checked before the bytes go anywhere. */
static envelope_rc check_more(envelope_sealer *s, size_t len)
{
    uint64_t max = s->opts->max_size;

    if (s->size != ENVELOPE_SIZE_UNKNOWN && len > s->size - s->done)
        return fail(s->ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "the message is longer than the %llu bytes declared",
                    (unsigned long long)s->size);
    if (max && len > max - s->done) /* done <= max: every byte was checked */
        return fail(s->ctx, ENVELOPE_E_TOO_LARGE, "the message is over the maximum of %llu bytes",
                    (unsigned long long)max);
    /* A compat message is a few hundred bytes: the spool stops there, not
     * at the maximum size. done fits: every byte was checked. */
    if (s->opts->format == ENVELOPE_FORMAT_COMPAT)
        return compat_message_fits(s->ctx, s->opts->recipients[0],
                                   len > UINT64_MAX - s->done ? UINT64_MAX : s->done + len);
    return ENVELOPE_OK;
}

static envelope_rc push(envelope_sealer *s, const uint8_t *p, size_t len)
{
    envelope_rc rc;
    uint64_t total = s->spooling ? 0 : s->size;

    if (s->spooling)
        rc = input_spool_add(s->ctx, &s->spool, p, len);
    else
        rc = seal_v1_push(s->stream, p, len);
    if (rc != ENVELOPE_OK)
        return rc;
    s->done += len;
    if (s->opts->progress && s->opts->progress(s->opts->progress_arg, s->done, total) != 0)
        return fail(s->ctx, ENVELOPE_E_CANCELLED, "cancelled by the progress callback");
    return ENVELOPE_OK;
}

envelope_rc envelope_sealer_update(envelope_sealer *s, const uint8_t *p, size_t len)
{
    envelope_rc rc;

    if (s == NULL || (p == NULL && len != 0))
        return ENVELOPE_E_INVALID_ARGUMENT;
    if ((rc = usable(s)) != ENVELOPE_OK)
        return rc; /* a misuse does not spoil the sealer */
    if (len == 0)
        return ENVELOPE_OK;
    if ((rc = check_more(s, len)) != ENVELOPE_OK || (rc = push(s, p, len)) != ENVELOPE_OK)
        s->rc = rc;
    return rc;
}

/* The spool, read back, sealed as envelope_seal_cb seals any input. */
static envelope_rc seal_spool(envelope_sealer *s)
{
    envelope_rc rc = input_spool_end(s->ctx, &s->spool);

    if (rc != ENVELOPE_OK)
        return rc;
    rc = envelope_seal_cb(s->ctx, s->opts, s->spool.size, input_spool_read, &s->spool, s->write,
                          s->write_arg);
    if (rc != ENVELOPE_OK && s->spool.rc != ENVELOPE_OK && s->spool.rc != ENVELOPE_E_CANCELLED)
        rc = fail(s->ctx, s->spool.rc, "the spool of the message changed while it was read");
    return rc;
}

static envelope_rc finish(envelope_sealer *s)
{
    envelope_rc rc;

    if (s->size != ENVELOPE_SIZE_UNKNOWN && s->done != s->size)
        return fail(s->ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "the message ended after %llu of the %llu bytes declared",
                    (unsigned long long)s->done, (unsigned long long)s->size);
    if (s->spooling)
        return seal_spool(s);
    if ((rc = seal_v1_end(s->ctx, s->opts, s->stream)) != ENVELOPE_OK || !s->armored)
        return rc;
    if (armor_writer_finish(&s->armor) != 0)
        return fail_write(s->ctx, errno, NULL, "writing the envelope");
    return ENVELOPE_OK;
}

envelope_rc envelope_sealer_final(envelope_sealer *s)
{
    envelope_rc rc;

    if (s == NULL)
        return ENVELOPE_E_INVALID_ARGUMENT;
    if ((rc = usable(s)) != ENVELOPE_OK)
        return rc;
    if ((rc = finish(s)) != ENVELOPE_OK)
        s->rc = rc;
    s->finished = 1;
    return rc;
}

void envelope_sealer_free(envelope_sealer *s)
{
    if (s == NULL)
        return;
    seal_v1_free(s->stream);
    if (s->armored)
        armor_writer_free(&s->armor);
    input_spool_free(&s->spool);
    envelope_seal_opts_free(s->opts);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}
