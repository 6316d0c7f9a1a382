/* The compat format (docs/COMPAT.md): the tutorial's message.enc. One
 * RSA-OAEP-SHA-256 ciphertext over a gzip'd tar of message.sig (ECDSA
 * P-521/SHA-512 over the raw message) and the message. It has no recipient
 * binding, so open accepts it only when asked to. */
#include "pipeline/compat.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "base/buf.h"
#include "pipeline/archive_dl.h"
#include "format/bundle.h"
#include "base/context.h"
#include "pipeline/opts.h"
#include "io/space.h"

#define OAEP_SHA256_OVERHEAD 66 /* 2 * 32 + 2 */
#define COMPAT_RSA_BITS_MAX 4096
/* A plain ustar name field, as the tutorial's tar reads it without the
 * pax or GNU extensions a longer name would need. */
#define COMPAT_NAME_MAX 100
/* The most a compat message can be: all of RSA-4096's OAEP block. */
#define COMPAT_MESSAGE_MAX (COMPAT_RSA_BITS_MAX / 8 - OAEP_SHA256_OVERHEAD)
_Static_assert(COMPAT_MESSAGE_MAX <= WRAPPED_MAX, "compat message buffer");

static la_ssize_t to_bytes(struct archive *a, void *arg, const void *p, size_t n)
{
    (void)a;
    return bytes_append(arg, p, n) == 0 ? (la_ssize_t)n : -1;
}

static int add_entry(const struct archive_api *la, struct archive *a, const char *name,
                     const uint8_t *p, size_t n, time_t mtime)
{
    struct archive_entry *e = la->entry_new();
    int ok;

    if (e == NULL)
        return 0;
    la->entry_set_pathname_utf8(e, name);
    la->entry_set_filetype(e, AE_IFREG);
    la->entry_set_perm(e, 0600);
    la->entry_set_size(e, (la_int64_t)n);
    la->entry_set_mtime(e, bundle_mtime(mtime), 0);
    ok = la->write_header(a, e) == ARCHIVE_OK &&
         (n == 0 || la->write_data(a, p, n) == (la_ssize_t)n);
    la->entry_free(e);
    return ok;
}

/* The gzip'd ustar archive of message.sig then the message, as
 * `tar -czf message.tar.gz message.sig message` makes it. */
static envelope_rc compat_archive(envelope_ctx *ctx, const struct archive_api *la,
                                  const char *name, const uint8_t *msg, size_t msg_len,
                                  const uint8_t *sig, size_t sig_len, time_t mtime,
                                  struct bytes *out)
{
    struct archive *a = la->write_new();
    envelope_rc rc;
    int ok;

    out->len = 0;
    /* Blocking applies to the compressed stream: leave it unpadded. */
    ok = a && la->write_set_format_ustar(a) == ARCHIVE_OK &&
         la->write_add_filter_gzip(a) == ARCHIVE_OK &&
         la->write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
         la->write_open2(a, out, NULL, to_bytes, NULL, NULL) == ARCHIVE_OK &&
         add_entry(la, a, "message.sig", sig, sig_len, mtime) &&
         add_entry(la, a, name, msg, msg_len, mtime) && la->write_close(a) == ARCHIVE_OK;
    rc = ok ? ENVELOPE_OK
            : fail(ctx, ENVELOPE_E_INTERNAL, "building the compat archive: %s",
                   a && la->error_string(a) ? la->error_string(a) : "out of memory");
    if (a)
        la->write_free(a);
    return rc;
}

/* What the recipient's OAEP block holds. A KMS key's size is known only
 * once KMS has answered for it; until then (bits 0) the message is bounded
 * by the largest modulus the format allows, and KMS Encrypt refuses an
 * archive too long for a smaller key (kms_error_code). */
struct compat_limit {
    size_t bytes;
    unsigned bits; /* 0: the recipient's size is not known yet */
};

static envelope_rc recipient_limit(envelope_ctx *ctx, const envelope_key *to,
                                   struct compat_limit *lim)
{
    envelope_key_kind kind = envelope_key_get_kind(to);
    unsigned bits = envelope_key_bits(to);

    if (kind != 0 && kind != ENVELOPE_KEY_ENCRYPTION)
        return fail(ctx, ENVELOPE_E_KEY_TYPE,
                    "the compat recipient is not an RSA encryption key");
    if (bits > COMPAT_RSA_BITS_MAX || (bits != 0 && bits / 8 <= OAEP_SHA256_OVERHEAD))
        return fail(ctx, ENVELOPE_E_KEY_TYPE,
                    "the compat recipient is RSA-%u: RSA-2048 to RSA-%u only", bits,
                    COMPAT_RSA_BITS_MAX);
    lim->bits = bits;
    lim->bytes = (bits ? bits : COMPAT_RSA_BITS_MAX) / 8 - OAEP_SHA256_OVERHEAD;
    return ENVELOPE_OK;
}

/* what ("the message", "the compat archive") takes len bytes. */
static envelope_rc check_fits(envelope_ctx *ctx, const char *what, uint64_t len,
                              const struct compat_limit *lim)
{
    if (len <= lim->bytes)
        return ENVELOPE_OK;
    if (lim->bits == 0)
        return fail(ctx, ENVELOPE_E_COMPAT_TOO_LARGE,
                    "%s takes %llu bytes; a compat archive holds at most %zu, with an RSA-%u "
                    "recipient: use the default format, which has no size limit",
                    what, (unsigned long long)len, lim->bytes, COMPAT_RSA_BITS_MAX);
    return fail(ctx, ENVELOPE_E_COMPAT_TOO_LARGE,
                "%s takes %llu bytes; RSA-%u with OAEP-SHA-256 holds at most %zu: use the "
                "default format, which has no size limit",
                what, (unsigned long long)len, lim->bits, lim->bytes);
}

envelope_rc compat_message_fits(envelope_ctx *ctx, const envelope_key *to, uint64_t size)
{
    struct compat_limit lim = {0};
    envelope_rc rc = recipient_limit(ctx, to, &lim);

    return rc != ENVELOPE_OK ? rc : check_fits(ctx, "the message", size, &lim);
}

/* The archive built with a placeholder signature (SIG_MAX random bytes) is
 * within a few bytes of the real one, either way: how gzip codes the tar
 * headers depends on every byte of the signature and on its length (137 to
 * 139). Only an archive this far past the limit is refused before signing,
 * so that whether a message fits never depends on the placeholder's draw. */
#define COMPAT_PLACEHOLDER_SLACK 16

static envelope_rc check_cannot_fit(envelope_ctx *ctx, size_t placeholder_len,
                                    const struct compat_limit *lim)
{
    if (placeholder_len <= lim->bytes + COMPAT_PLACEHOLDER_SLACK)
        return ENVELOPE_OK;
    return check_fits(ctx, "the compat archive with a placeholder signature", placeholder_len,
                      lim);
}

static envelope_rc read_small_message(envelope_ctx *ctx, uint64_t size,
                                      const struct compat_limit *lim, const struct source *in,
                                      uint8_t buf[COMPAT_MESSAGE_MAX])
{
    size_t got;
    envelope_rc rc;

    /* The limit is the buffer's bound too: never read past it. */
    if (size > lim->bytes || size > COMPAT_MESSAGE_MAX)
        return check_fits(ctx, "the message", size, lim);
    if ((rc = source_read_full(ctx, in, buf, (size_t)size, &got)) != ENVELOPE_OK ||
        (rc = source_ended(ctx, in, got, size)) != ENVELOPE_OK)
        return rc;
    if (size >= MANIFEST_PREFIX_LEN && memcmp(buf, MANIFEST_PREFIX, MANIFEST_PREFIX_LEN) == 0)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "a message that begins like a v1 manifest cannot be sent in compat format");
    return ENVELOPE_OK;
}

/* KMS refused the archive as longer than its key holds: say so with the
 * size, in front of KMS's words, which name the key's limit. */
static envelope_rc refused_by_kms(envelope_ctx *ctx, size_t archive_len)
{
    detail_prefix(ctx,
                  "the compat archive takes %zu bytes, more than the recipient's RSA-OAEP-SHA-256 "
                  "limit (190, 318 or 446 bytes for RSA-2048, 3072 or 4096): use the default "
                  "format, which has no size limit",
                  archive_len);
    return ENVELOPE_E_COMPAT_TOO_LARGE;
}

/* What a compat seal needs before the message is read or a key is used. */
static envelope_rc check_opts(envelope_ctx *ctx, const envelope_seal_opts *opts,
                              const struct archive_api **la, struct compat_limit *lim)
{
    envelope_rc rc;

    if (opts->sign_key == NULL || opts->n_recipients != 1)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "the compat format takes a signing key and exactly one recipient");
    if (strlen(opts->name) > COMPAT_NAME_MAX)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "the compat format's tar holds names of at most %d bytes, and this one has "
                    "%zu: give a shorter name, or use the default format",
                    COMPAT_NAME_MAX, strlen(opts->name));
    if ((rc = archive_dl_get(ctx, la)) != ENVELOPE_OK)
        return rc;
    return recipient_limit(ctx, opts->recipients[0], lim);
}

envelope_rc compat_seal_check(envelope_ctx *ctx, const envelope_seal_opts *opts)
{
    const struct archive_api *la;
    struct compat_limit lim = {0};

    return check_opts(ctx, opts, &la, &lim);
}

envelope_rc seal_compat(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                        const struct source *in, const struct sink *out)
{
    uint8_t msg[COMPAT_MESSAGE_MAX], sig[SIG_MAX], wrapped[WRAPPED_MAX];
    size_t sig_len, wrapped_len;
    struct compat_limit lim = {0};
    struct bytes archive = {.secret = 1};
    time_t mtime = opts->created ? opts->created : time(NULL);
    const struct archive_api *la;
    envelope_key *to;
    envelope_rc rc;

    /* Before the message is read or a key is used. */
    if ((rc = check_opts(ctx, opts, &la, &lim)) != ENVELOPE_OK ||
        (rc = read_small_message(ctx, size, &lim, in, msg)) != ENVELOPE_OK)
        goto out;
    to = opts->recipients[0];
    if (RAND_bytes(sig, SIG_MAX) != 1) {
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "random placeholder signature");
        goto out;
    }
    /* Refuse a message that cannot fit before anything costs a KMS call;
     * the archive with the real signature decides. */
    if ((rc = compat_archive(ctx, la, opts->name, msg, (size_t)size, sig, SIG_MAX, mtime,
                             &archive)) != ENVELOPE_OK ||
        (rc = check_cannot_fit(ctx, archive.len, &lim)) != ENVELOPE_OK ||
        (rc = key_sign(ctx, opts->sign_key, msg, (size_t)size, sig, &sig_len)) != ENVELOPE_OK ||
        (rc = compat_archive(ctx, la, opts->name, msg, (size_t)size, sig, sig_len, mtime,
                             &archive)) != ENVELOPE_OK ||
        (rc = check_fits(ctx, "the compat archive", archive.len, &lim)) != ENVELOPE_OK)
        goto out;
    rc = key_wrap(ctx, to, archive.p, archive.len, wrapped, &wrapped_len);
    if (rc == ENVELOPE_E_COMPAT_TOO_LARGE)
        rc = refused_by_kms(ctx, archive.len);
    if (rc != ENVELOPE_OK)
        goto out;
    if (out->write(out->arg, wrapped, wrapped_len) != 0)
        rc = fail_write(ctx, errno, out->where, "writing the envelope");
out:
    OPENSSL_cleanse(msg, sizeof(msg));
    bytes_free(&archive);
    return rc;
}
