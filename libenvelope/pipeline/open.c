/* The open pipeline, in the order of docs/FORMAT.md, "Opening, in order": header,
 * unwrap, payload key, chunks authenticated before the tar reader sees them,
 * entry rules, the signature over the raw manifest, then the manifest's
 * claims. The message goes to a sink nobody sees until the caller releases
 * it. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/bundle.h"
#include "base/algs.h"
#include "base/context.h"
#include "pipeline/opts.h"
#include "pipeline/pipeline.h"
#include "io/space.h"
#include "format/stream.h"
#include "pipeline/verify.h"

#define THREADED_MIN (4 * HASHER_SLOT_SIZE)

struct open_state {
    struct header header;
    uint8_t header_bytes[HEADER_MAX_LEN];
    size_t header_len;
    uint8_t payload_key[PAYLOAD_KEY_LEN];
    struct stream_dec stream;
    struct bundle_reader tar;
    struct hasher hasher;
    uint8_t sha512[SHA512_LEN];
    uint64_t size;
};

static envelope_rc read_header(envelope_ctx *ctx, const struct source *in, struct open_state *s)
{
    uint32_t len;
    size_t got;
    envelope_rc rc;

    if ((rc = source_read_full(ctx, in, s->header_bytes, HEADER_PREFIX_LEN, &got)) !=
        ENVELOPE_OK)
        return rc;
    if (got == 0)
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE, "empty input");
    if ((rc = header_peek(ctx, s->header_bytes, got, &len)) != ENVELOPE_OK)
        return rc;
    if ((rc = source_read_full(ctx, in, s->header_bytes + HEADER_PREFIX_LEN,
                               len - HEADER_PREFIX_LEN, &got)) != ENVELOPE_OK)
        return rc;
    if (got < len - HEADER_PREFIX_LEN)
        return fail(ctx, ENVELOPE_E_TRUNCATED, "input ends inside the %u-byte header", len);
    s->header_len = len;
    return header_parse(ctx, s->header_bytes, len, &s->header);
}

static envelope_rc from_stream(envelope_ctx *ctx, void *arg, const uint8_t **p, size_t *n)
{
    int final;

    return stream_dec_next(ctx, arg, p, n, &final);
}

static envelope_rc read_message(envelope_ctx *ctx, const envelope_open_opts *opts,
                                struct open_state *s, const struct sink *msg)
{
    uint64_t done = 0;
    envelope_rc rc;

    for (;;) {
        /* The entry holds s->size - done more bytes; one more asks for its end. */
        size_t cap = s->size - done < HASHER_SLOT_SIZE ? (size_t)(s->size - done) + 1
                                                       : HASHER_SLOT_SIZE;
        uint8_t *slot = hasher_slot(&s->hasher, cap);
        size_t n;

        if ((rc = bundle_read(&s->tar, slot, cap, &n)) != ENVELOPE_OK)
            return rc;
        if (n == 0)
            break;
        hasher_submit(&s->hasher, n);
        if (msg->write(msg->arg, slot, n) != 0)
            return fail_write(ctx, errno, msg->where, "writing the message");
        done += n;
        if (opts && opts->progress && opts->progress(opts->progress_arg, done, s->size) != 0)
            return fail(ctx, ENVELOPE_E_CANCELLED, "cancelled by the progress callback");
    }
    if (done != s->size)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "message of %llu bytes; its header says %llu",
                    (unsigned long long)done, (unsigned long long)s->size);
    return hasher_finish(ctx, &s->hasher, s->sha512);
}

static envelope_rc read_archive(envelope_ctx *ctx, const envelope_open_opts *opts,
                                struct open_state *s, const struct sink *msg, struct opened *raw,
                                char name[MESSAGE_NAME_MAX + 1])
{
    char other[MESSAGE_NAME_MAX + 1];
    uint64_t size;
    envelope_rc rc;

    if ((rc = bundle_reader_open(ctx, &s->tar, from_stream, &s->stream)) != ENVELOPE_OK ||
        (rc = bundle_next(&s->tar, NULL, opts->max_size, name, &s->size)) != ENVELOPE_OK ||
        (rc = space_check(ctx, msg->space, s->size)) != ENVELOPE_OK ||
        (rc = hasher_start(ctx, &s->hasher, s->size >= THREADED_MIN)) != ENVELOPE_OK ||
        (rc = read_message(ctx, opts, s, msg)) != ENVELOPE_OK)
        return rc;
    if ((rc = bundle_next(&s->tar, "manifest.json", MANIFEST_MAX, other, &size)) != ENVELOPE_OK ||
        (rc = bundle_read_all(&s->tar, raw->manifest, size)) != ENVELOPE_OK)
        return rc;
    raw->manifest_len = (size_t)size;
    if ((rc = bundle_next(&s->tar, "manifest.sig", SIG_MAX, other, &size)) != ENVELOPE_OK ||
        (rc = bundle_read_all(&s->tar, raw->sig, size)) != ENVELOPE_OK)
        return rc;
    raw->sig_len = (size_t)size;
    return bundle_reader_finish(&s->tar);
}

static envelope_rc verify_signer(envelope_ctx *ctx, const envelope_open_opts *opts,
                                 const struct opened *raw, envelope_result *result)
{
    return manifest_verify_signer(ctx, raw->manifest, raw->manifest_len, raw->sig, raw->sig_len,
                                  opts->trusted, opts->n_trusted, result->signer);
}

static void utc_time(time_t t, char out[32])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "@%lld", (long long)t);
}

/* Both times and the difference: which clock is wrong is for the reader
 * to judge. */
static envelope_rc future_dated(envelope_ctx *ctx, const envelope_open_opts *opts,
                                time_t created, time_t now)
{
    char then[32], here[32];

    utc_time(created, then);
    utc_time(now, here);
    return fail(ctx, ENVELOPE_E_TOO_OLD,
                "created %s, %lld s ahead of this machine's clock (%s); the allowed skew is "
                "%llu s",
                then, (long long)(created - now), here, (unsigned long long)opts->max_skew);
}

/* Every value compared here is public (hashes of public data, names,
 * sizes): plain comparisons are fine. */
static envelope_rc check_claims(envelope_ctx *ctx, const envelope_open_opts *opts,
                                const struct open_state *s, const char *name,
                                const struct manifest *m)
{
    uint8_t digest[32];
    char hex[129];
    time_t now = time(NULL);

    if (EVP_Digest(s->header_bytes, s->header_len, digest, NULL, algs_sha256(ctx), NULL) != 1)
        return fail_ossl(ctx, ENVELOPE_E_INTERNAL, "SHA-256");
    hex_lower(digest, sizeof(digest), hex);
    if (strcmp(hex, m->header_sha256) != 0)
        return fail(ctx, ENVELOPE_E_FORWARDED,
                    "the signed manifest names header %.16s..., this envelope has %.16s...: "
                    "it was re-encrypted by someone other than the signer",
                    m->header_sha256, hex);
    if (strcmp(name, m->name) != 0 || s->size != m->size)
        return fail(ctx, ENVELOPE_E_MESSAGE_MISMATCH, "message name or size differs");
    hex_lower(s->sha512, SHA512_LEN, hex);
    if (strcmp(hex, m->sha512) != 0)
        return fail(ctx, ENVELOPE_E_MESSAGE_MISMATCH, "message SHA-512 differs from manifest");
    if (m->created > now + (time_t)opts->max_skew)
        return future_dated(ctx, opts, m->created, now);
    if (opts->max_age && now - m->created > (time_t)opts->max_age)
        return fail(ctx, ENVELOPE_E_TOO_OLD, "created %lld seconds ago; the limit is %llu",
                    (long long)(now - m->created), (unsigned long long)opts->max_age);
    return ENVELOPE_OK;
}

static void fill_result(envelope_result *r)
{
    r->format = ENVELOPE_FORMAT_V1;
    identity_label(&r->manifest.signer, r->signer_hint);
    for (size_t i = 0; i < r->manifest.n_recipients; i++)
        identity_label(&r->manifest.recipients[i], r->recipients[i]);
}

/* What open_release needs to decrypt the same envelope again. */
static void keep_for_release(const struct open_state *s, const char *name, struct opened *raw)
{
    memcpy(raw->payload_key, s->payload_key, PAYLOAD_KEY_LEN);
    raw->header_len = s->header_len;
    strcpy(raw->name, name);
    raw->size = s->size;
    memcpy(raw->sha512, s->sha512, SHA512_LEN);
}

/* Frees s and wipes what it held: keys, headers, the hash state. */
static void open_state_free(struct open_state *s)
{
    hasher_free(&s->hasher);
    bundle_reader_free(&s->tar);
    stream_dec_free(&s->stream);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

static envelope_rc check_opts(envelope_ctx *ctx, const envelope_open_opts *opts)
{
    if (opts == NULL || opts->n_decrypt == 0)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no decryption key");
    if (opts->n_trusted == 0)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no trusted signer key");
    return ENVELOPE_OK;
}

envelope_rc open_envelope(envelope_ctx *ctx, const envelope_open_opts *opts,
                          const struct source *in, const struct sink *msg, struct opened *raw,
                          envelope_result *result)
{
    struct open_state *s;
    uint8_t data_key[WRAPPED_MAX];
    char name[MESSAGE_NAME_MAX + 1];
    envelope_rc rc;

    if ((rc = check_opts(ctx, opts)) != ENVELOPE_OK)
        return rc;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "open state");
    if ((rc = read_header(ctx, in, s)) != ENVELOPE_OK ||
        (rc = unwrap_stanzas(ctx, opts->decrypt_keys, opts->n_decrypt, &s->header, data_key)) != ENVELOPE_OK)
        goto out;
    rc = payload_key_derive(ctx, data_key, DATA_KEY_LEN, s->header_bytes, s->header_len,
                            s->payload_key);
    OPENSSL_cleanse(data_key, sizeof(data_key));
    if (rc != ENVELOPE_OK ||
        (rc = stream_dec_init(ctx, &s->stream, s->payload_key, in->read, in->arg)) !=
            ENVELOPE_OK ||
        (rc = read_archive(ctx, opts, s, msg, raw, name)) != ENVELOPE_OK ||
        (rc = verify_signer(ctx, opts, raw, result)) != ENVELOPE_OK)
        goto out;
    if ((rc = manifest_parse(ctx, raw->manifest, raw->manifest_len, &result->manifest)) !=
            ENVELOPE_OK ||
        (rc = check_claims(ctx, opts, s, name, &result->manifest)) != ENVELOPE_OK)
        goto out;
    fill_result(result);
    keep_for_release(s, name, raw);
out:
    open_state_free(s);
    return rc;
}

/* The second pass reads only the header (skipped: the payload key is
 * already bound to it) and the message entry; what follows it was checked
 * in the first pass, and the message must come out as it was then. */
static envelope_rc release_message(envelope_ctx *ctx, const struct opened *raw,
                                   const struct source *in, const struct sink *msg,
                                   struct open_state *s)
{
    char name[MESSAGE_NAME_MAX + 1];
    size_t got;
    envelope_rc rc;

    if ((rc = source_read_full(ctx, in, s->header_bytes, raw->header_len, &got)) != ENVELOPE_OK)
        return rc;
    if (got != raw->header_len)
        return fail(ctx, ENVELOPE_E_MESSAGE_MISMATCH, "the spooled envelope is shorter than "
                                                      "the one verified");
    if ((rc = stream_dec_init(ctx, &s->stream, raw->payload_key, in->read, in->arg)) !=
            ENVELOPE_OK ||
        (rc = bundle_reader_open(ctx, &s->tar, from_stream, &s->stream)) != ENVELOPE_OK ||
        (rc = bundle_next(&s->tar, NULL, raw->size, name, &s->size)) != ENVELOPE_OK)
        return rc;
    /* Before a byte is written: a max_size of 0 (an empty message) is no
     * limit to bundle_next. */
    if (s->size != raw->size)
        return fail(ctx, ENVELOPE_E_MESSAGE_MISMATCH,
                    "the released message differs from the verified one");
    if ((rc = hasher_start(ctx, &s->hasher, s->size >= THREADED_MIN)) != ENVELOPE_OK ||
        (rc = read_message(ctx, NULL, s, msg)) != ENVELOPE_OK)
        return rc;
    if (strcmp(name, raw->name) != 0 || s->size != raw->size ||
        memcmp(s->sha512, raw->sha512, SHA512_LEN) != 0)
        return fail(ctx, ENVELOPE_E_MESSAGE_MISMATCH,
                    "the released message differs from the verified one");
    return ENVELOPE_OK;
}

envelope_rc open_release(envelope_ctx *ctx, const struct opened *raw, const struct source *in,
                         const struct sink *msg)
{
    struct open_state *s = calloc(1, sizeof(*s));
    envelope_rc rc;

    if (s == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "open state");
    if (raw->header_len == 0 || raw->header_len > HEADER_MAX_LEN)
        rc = fail(ctx, ENVELOPE_E_INTERNAL, "nothing verified to release");
    else
        rc = release_message(ctx, raw, in, msg, s);
    open_state_free(s);
    return rc;
}
