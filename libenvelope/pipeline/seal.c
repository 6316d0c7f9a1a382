/* The seal pipeline (docs/FORMAT.md): wrap a fresh data key to every
 * recipient, write the header, then stream the message through the tar
 * writer into STREAM while the second core hashes it; sign the manifest
 * last, when the hash is known. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "base/algs.h"
#include "base/context.h"
#include "pipeline/opts.h"
#include "pipeline/pipeline.h"
#include "io/space.h"
#include "format/stream.h"

/* Hash on a second thread only where it pays for the thread. */
#define THREADED_MIN (4 * HASHER_SLOT_SIZE)

struct seal_state {
    struct header header;
    struct manifest manifest;
    struct bytes header_bytes;
    uint8_t data_key[DATA_KEY_LEN];
    uint8_t payload_key[PAYLOAD_KEY_LEN];
    struct stream_enc stream;
    struct bundle_writer tar;
    struct hasher hasher;
};

static envelope_rc add_stanzas(envelope_ctx *ctx, const envelope_seal_opts *opts,
                               struct seal_state *s)
{
    envelope_rc rc;

    for (size_t i = 0; i < opts->n_recipients; i++) {
        struct stanza *st = &s->header.stanzas[i];
        struct identity *id = &s->manifest.recipients[i];

        rc = key_wrap(ctx, opts->recipients[i], s->data_key, DATA_KEY_LEN, st->wrapped,
                      &st->wrapped_len);
        if (rc == ENVELOPE_OK)
            rc = key_identities(ctx, opts->recipients[i], id->key, id->kms);
        if (rc != ENVELOPE_OK) {
            detail_prefix(ctx, "recipient %zu", i + 1);
            return rc;
        }
        if (!opts->hide_recipients)
            identity_label(id, st->label);
    }
    s->header.n_stanzas = s->manifest.n_recipients = opts->n_recipients;
    return ENVELOPE_OK;
}

static envelope_rc begin(envelope_ctx *ctx, const envelope_seal_opts *opts,
                         struct seal_state *s, const struct sink *out)
{
    uint8_t digest[32];
    envelope_rc rc;

    if (RAND_bytes(s->data_key, DATA_KEY_LEN) != 1 ||
        RAND_bytes(s->header.salt, SALT_LEN) != 1)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "random data key");
    if ((rc = add_stanzas(ctx, opts, s)) != ENVELOPE_OK ||
        (rc = header_encode(ctx, &s->header, &s->header_bytes)) != ENVELOPE_OK)
        return rc;
    if (EVP_Digest(s->header_bytes.p, s->header_bytes.len, digest, NULL, algs_sha256(ctx),
                   NULL) != 1)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "SHA-256");
    hex_lower(digest, sizeof(digest), s->manifest.header_sha256);
    if ((rc = payload_key_derive(ctx, s->data_key, DATA_KEY_LEN, s->header_bytes.p,
                                 s->header_bytes.len, s->payload_key)) != ENVELOPE_OK)
        return rc;
    OPENSSL_cleanse(s->data_key, sizeof(s->data_key));
    if (out->write(out->arg, s->header_bytes.p, s->header_bytes.len) != 0)
        return fail_write(ctx, errno, out->where, "writing the envelope");
    if ((rc = stream_enc_init(ctx, &s->stream, s->payload_key, out->write, out->arg)) ==
        ENVELOPE_OK)
        s->stream.where = out->where;
    return rc;
}

static envelope_rc to_stream(envelope_ctx *ctx, void *arg, const uint8_t *p, size_t n)
{
    return stream_enc_update(ctx, arg, p, n);
}

static envelope_rc copy_message(envelope_ctx *ctx, const envelope_seal_opts *opts,
                                struct seal_state *s, uint64_t size, const struct source *in)
{
    uint64_t done = 0;
    envelope_rc rc;

    while (done < size) {
        size_t want = size - done < HASHER_SLOT_SIZE ? (size_t)(size - done) : HASHER_SLOT_SIZE;
        uint8_t *slot = hasher_slot(&s->hasher, want);
        size_t got;

        if ((rc = source_read_full(ctx, in, slot, want, &got)) != ENVELOPE_OK)
            return rc;
        if (got < want)
            return source_ended(ctx, in, done + got, size);
        hasher_submit(&s->hasher, got);
        if ((rc = bundle_write_data(&s->tar, slot, got)) != ENVELOPE_OK)
            return rc;
        done += got;
        if (opts->progress && opts->progress(opts->progress_arg, done, size) != 0)
            return fail(ctx, ENVELOPE_E_CANCELLED, "cancelled by the progress callback");
    }
    /* Before the manifest is signed: a file that grew is not sealed cut. */
    return source_ended(ctx, in, done, size);
}

/* Builds, signs and appends the manifest once the message's hash is known. */
static envelope_rc finish(envelope_ctx *ctx, const envelope_seal_opts *opts,
                          struct seal_state *s)
{
    uint8_t digest[SHA512_LEN], sig[SIG_MAX];
    size_t sig_len;
    struct bytes manifest = {.secret = 1}; /* sent encrypted: wiped */
    envelope_rc rc;

    if ((rc = hasher_finish(ctx, &s->hasher, digest)) != ENVELOPE_OK)
        return rc;
    hex_lower(digest, sizeof(digest), s->manifest.sha512);
    if ((rc = key_identities(ctx, opts->sign_key, s->manifest.signer.key,
                             s->manifest.signer.kms)) != ENVELOPE_OK ||
        (rc = manifest_encode(ctx, &s->manifest, &manifest)) != ENVELOPE_OK)
        goto out;
    if ((rc = key_sign(ctx, opts->sign_key, manifest.p, manifest.len, sig, &sig_len)) !=
        ENVELOPE_OK) {
        detail_prefix(ctx, "signing the manifest");
        goto out;
    }
    if ((rc = bundle_write_file(&s->tar, "manifest.json", manifest.p, manifest.len)) !=
            ENVELOPE_OK ||
        (rc = bundle_write_file(&s->tar, "manifest.sig", sig, sig_len)) != ENVELOPE_OK ||
        (rc = bundle_writer_close(&s->tar)) != ENVELOPE_OK)
        goto out;
    rc = stream_enc_finish(ctx, &s->stream);
out:
    bytes_free(&manifest);
    return rc;
}

static envelope_rc check_opts(envelope_ctx *ctx, const envelope_seal_opts *opts)
{
    if (opts == NULL || opts->sign_key == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no signing key");
    if (opts->n_recipients == 0)
        return fail(ctx, ENVELOPE_E_TOO_MANY_RECIPIENTS, "no recipient");
    return ENVELOPE_OK;
}

envelope_rc seal_v1_begin(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                          const struct sink *out, struct seal_state **state)
{
    struct seal_state *s;
    envelope_rc rc;

    *state = NULL;
    if ((rc = check_opts(ctx, opts)) != ENVELOPE_OK)
        return rc;
    if (size > INT64_MAX)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "message too large");
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "seal state");
    *state = s;
    strcpy(s->manifest.name, opts->name);
    s->manifest.size = size;
    s->manifest.created = opts->created ? opts->created : time(NULL);
    if ((rc = begin(ctx, opts, s, out)) != ENVELOPE_OK ||
        (rc = hasher_start(ctx, &s->hasher, size >= THREADED_MIN)) != ENVELOPE_OK ||
        (rc = bundle_writer_open(ctx, &s->tar, s->manifest.created, to_stream, &s->stream)) !=
            ENVELOPE_OK)
        return rc;
    return bundle_write_header(&s->tar, opts->name, size);
}

envelope_rc seal_v1_push(struct seal_state *s, const uint8_t *p, size_t n)
{
    envelope_rc rc;

    while (n > 0) {
        size_t take = n < HASHER_SLOT_SIZE ? n : HASHER_SLOT_SIZE;
        uint8_t *slot = hasher_slot(&s->hasher, take);

        /* Through a slot, so that the hasher never reads the caller's
         * buffer after this returns. */
        memcpy(slot, p, take);
        hasher_submit(&s->hasher, take);
        if ((rc = bundle_write_data(&s->tar, slot, take)) != ENVELOPE_OK)
            return rc;
        p += take;
        n -= take;
    }
    return ENVELOPE_OK;
}

envelope_rc seal_v1_end(envelope_ctx *ctx, const envelope_seal_opts *opts, struct seal_state *s)
{
    return finish(ctx, opts, s);
}

void seal_v1_free(struct seal_state *s)
{
    if (s == NULL)
        return;
    hasher_free(&s->hasher);
    bundle_writer_free(&s->tar);
    stream_enc_free(&s->stream);
    bytes_free(&s->header_bytes);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

envelope_rc seal_v1(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                    const struct source *in, const struct sink *out)
{
    struct seal_state *s;
    envelope_rc rc;

    if ((rc = seal_v1_begin(ctx, opts, size, out, &s)) == ENVELOPE_OK &&
        (rc = copy_message(ctx, opts, s, size, in)) == ENVELOPE_OK)
        rc = finish(ctx, opts, s);
    seal_v1_free(s);
    return rc;
}
