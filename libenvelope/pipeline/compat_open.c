/* Opening: tell v1 from compat by the first bytes, and open compat
 * envelopes, when allowed, under the same strict entry rules as v1. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/algs.h"
#include "base/buf.h"
#include "format/bundle.h"
#include "pipeline/archive_dl.h"
#include "pipeline/compat.h"
#include "base/context.h"
#include "pipeline/opts.h"
#include "io/space.h"

#define COMPAT_IN_MAX (COMPAT_MAX + 1)

/* Where both entries' headers must lie in the tar: two entries of at most
 * 512 bytes and their headers take far less. */
#define TAR_HEAD_MAX 8192

/* The first bytes of the tar inside the gzip: the headers' own bytes, which
 * tar_headers_check reads by their lengths where libarchive gives C
 * strings. */
struct tar_head {
    uint8_t p[TAR_HEAD_MAX];
    size_t len;
};

/* The headers of entry `entry`, which libarchive has just read, by their
 * bytes. */
static envelope_rc check_headers(envelope_ctx *ctx, const struct archive_api *la,
                                 struct archive *a, const struct tar_head *head, int entry,
                                 const char *path, uint64_t size)
{
    int64_t pos = la->read_header_position(a);
    int64_t end = la->filter_bytes(a, 0); /* in the uncompressed tar */

    if (pos < 0 || end < pos || (uint64_t)end > head->len)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "compat archive: entry %d's headers lie past its first %d bytes", entry,
                    TAR_HEAD_MAX);
    return tar_headers_check(ctx, entry, 0, head->p + pos, (uint64_t)(end - pos), path, size);
}

static envelope_rc read_entry(envelope_ctx *ctx, const struct archive_api *la,
                              struct archive *a, struct archive_entry *e,
                              const struct tar_head *head, int entry, const char *want,
                              size_t max, uint8_t *buf, size_t *len, char *name)
{
    const char *path, *why;
    la_ssize_t n;
    uint8_t extra;
    envelope_rc rc;

    if (la->read_next_header2(a, e) != ARCHIVE_OK)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "compat archive: %s",
                    la->error_string(a) ? la->error_string(a) : "entry missing");
    path = la->entry_pathname_utf8(e);
    if (path == NULL || la->entry_filetype(e) != AE_IFREG ||
        la->entry_hardlink(e) != NULL || la->entry_symlink(e) != NULL ||
        la->entry_sparse_count(e) != 0 || la->entry_size(e) < 0 ||
        (uint64_t)la->entry_size(e) > max)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "compat archive: entry is not a small "
                                                 "regular file");
    if (want ? strcmp(path, want) != 0
             : message_name_check(path, strlen(path), &why) != 0 || strcmp(path, "message.sig") == 0)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "compat archive: unexpected entry \"%.64s\"",
                    path);
    if ((rc = check_headers(ctx, la, a, head, entry, path, (uint64_t)la->entry_size(e))) !=
        ENVELOPE_OK)
        return rc;
    if (name)
        strcpy(name, path);
    n = la->read_data(a, buf, (size_t)la->entry_size(e));
    if (n != la->entry_size(e) || la->read_data(a, &extra, 1) != 0)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "compat archive: entry size mismatch");
    *len = (size_t)n;
    return ENVELOPE_OK;
}

/* The whole decrypted archive as one block. */
struct memory {
    const uint8_t *p;
    size_t left;
};

static la_ssize_t memory_read(struct archive *a, void *arg, const void **buf)
{
    struct memory *m = arg;
    size_t n = m->left;

    (void)a;
    *buf = m->p;
    m->p += n;
    m->left = 0;
    return (la_ssize_t)n;
}

/* The first TAR_HEAD_MAX bytes of the tar, through a reader of its own. */
static envelope_rc gunzip_head(envelope_ctx *ctx, const struct archive_api *la,
                               const uint8_t *p, size_t n, struct tar_head *out)
{
    struct archive *a = la->read_new();
    struct archive_entry *e = la->entry_new();
    struct memory mem = {p, n};
    la_ssize_t got = 0;
    envelope_rc rc = ENVELOPE_E_BAD_ARCHIVE;

    out->len = 0;
    if (a == NULL || e == NULL) {
        rc = fail(ctx, ENVELOPE_E_NOMEM, "archive reader");
        goto out;
    }
    if (la->read_support_filter_gzip(a) != ARCHIVE_OK ||
        la->read_support_format_raw(a) != ARCHIVE_OK ||
        la->read_set_read_callback(a, memory_read) != ARCHIVE_OK ||
        la->read_set_callback_data(a, &mem) != ARCHIVE_OK ||
        la->read_open1(a) != ARCHIVE_OK || la->read_next_header2(a, e) != ARCHIVE_OK) {
        fail(ctx, rc, "compat archive: not a gzip'd tar");
        goto out;
    }
    while (out->len < sizeof(out->p) &&
           (got = la->read_data(a, out->p + out->len, sizeof(out->p) - out->len)) > 0)
        out->len += (size_t)got;
    if (got < 0) {
        fail(ctx, rc, "compat archive: %s",
             la->error_string(a) ? la->error_string(a) : "unreadable");
        goto out;
    }
    rc = ENVELOPE_OK;
out:
    if (e)
        la->entry_free(e);
    if (a)
        la->read_free(a);
    return rc;
}

/* message.sig, then the message, then nothing: gzip'd tar only. */
static envelope_rc unpack(envelope_ctx *ctx, const struct archive_api *la, const uint8_t *p,
                          size_t n, struct opened *raw, uint8_t *msg, size_t *msg_len,
                          char *name)
{
    struct archive *a = la->read_new();
    /* archive_read_new() does not check the allocation of the entry that
     * archive_read_next_header() fills: read into one of our own. */
    struct archive_entry *e = la->entry_new();
    struct memory mem = {p, n};
    struct tar_head *head = malloc(sizeof(*head));
    envelope_rc rc;

    if (a == NULL || e == NULL || head == NULL) {
        rc = fail(ctx, ENVELOPE_E_NOMEM, "archive reader");
        goto out;
    }
    /* archive_read_open_memory() ignores a failure to allocate the
     * callback data and goes on to crash: set it up here, checking each. */
    if (la->read_support_filter_gzip(a) != ARCHIVE_OK ||
        la->read_support_format_tar(a) != ARCHIVE_OK ||
        la->read_set_read_callback(a, memory_read) != ARCHIVE_OK ||
        la->read_set_callback_data(a, &mem) != ARCHIVE_OK ||
        la->read_open1(a) != ARCHIVE_OK) {
        rc = fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "compat archive: not a gzip'd tar");
        goto out;
    }
    if ((rc = gunzip_head(ctx, la, p, n, head)) != ENVELOPE_OK ||
        (rc = read_entry(ctx, la, a, e, head, 1, "message.sig", SIG_MAX, raw->sig, &raw->sig_len,
                         NULL)) != ENVELOPE_OK ||
        (rc = read_entry(ctx, la, a, e, head, 2, NULL, WRAPPED_MAX, msg, msg_len, name)) !=
            ENVELOPE_OK)
        goto out;
    if (la->filter_code(a, 0) != ARCHIVE_FILTER_GZIP)
        rc = fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "compat archive is not gzip'd");
    else if (la->read_next_header2(a, e) != ARCHIVE_EOF)
        rc = fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "compat archive: more than two entries");
out:
    if (head) /* the tar's first bytes: the signature and the message */
        OPENSSL_cleanse(head, sizeof(*head));
    free(head);
    if (e)
        la->entry_free(e);
    if (a)
        la->read_free(a);
    return rc;
}

envelope_rc compat_unpack(envelope_ctx *ctx, const uint8_t *p, size_t n, struct opened *raw,
                          uint8_t *msg, size_t *msg_len, char *name)
{
    const struct archive_api *la;
    envelope_rc rc = archive_dl_get(ctx, &la);

    return rc != ENVELOPE_OK ? rc : unpack(ctx, la, p, n, raw, msg, msg_len, name);
}

static envelope_rc verify_compat(envelope_ctx *ctx, const envelope_open_opts *opts,
                                 const uint8_t *msg, size_t len, const struct opened *raw,
                                 envelope_result *result)
{
    envelope_rc rc;

    /* A v1 manifest is signed by the same keys: replayed as a compat
     * message with its manifest.sig it would verify. */
    if (len >= MANIFEST_PREFIX_LEN && memcmp(msg, MANIFEST_PREFIX, MANIFEST_PREFIX_LEN) == 0)
        return fail(ctx, ENVELOPE_E_COMPAT_REFUSED,
                    "compat message is a v1 manifest: a replayed signature");
    for (size_t i = 0; i < opts->n_trusted; i++) {
        rc = key_verify(ctx, opts->trusted[i], msg, len, raw->sig, raw->sig_len);
        if (rc == ENVELOPE_OK) {
            key_verified_by(opts->trusted[i], result->signer);
            return ENVELOPE_OK;
        }
        if (rc != ENVELOPE_E_UNTRUSTED_SIGNER)
            return rc;
    }
    return fail(ctx, ENVELOPE_E_UNTRUSTED_SIGNER,
                "message.sig verifies under none of the %zu trusted keys", opts->n_trusted);
}

static envelope_rc open_compat(envelope_ctx *ctx, const envelope_open_opts *opts,
                               const uint8_t *ct, size_t ct_len, const struct sink *out,
                               struct opened *raw, envelope_result *result)
{
    uint8_t archive[WRAPPED_MAX], msg[WRAPPED_MAX], digest[64];
    size_t archive_len, msg_len;
    const struct archive_api *la;
    envelope_rc rc;

    memset(raw, 0, sizeof(*raw));
    /* No creation time to check: a maximum age the caller set cannot be
     * met, and is not silently dropped; refused before a key (a KMS call)
     * is used, as the answer cannot depend on what it decrypts. */
    if (opts->max_age) {
        rc = fail(ctx, ENVELOPE_E_TOO_OLD,
                  "a compat envelope carries no creation time, so its age cannot be checked "
                  "against the maximum of %llu seconds", (unsigned long long)opts->max_age);
        goto out;
    }
    /* Before a key is used: the archive cannot be read without it. */
    if ((rc = archive_dl_get(ctx, &la)) != ENVELOPE_OK ||
        (rc = unwrap_compat(ctx, opts->decrypt_keys, opts->n_decrypt, ct, ct_len, archive,
                            sizeof(archive), &archive_len)) != ENVELOPE_OK ||
        (rc = unpack(ctx, la, archive, archive_len, raw, msg, &msg_len,
                     result->manifest.name)) != ENVELOPE_OK ||
        (rc = verify_compat(ctx, opts, msg, msg_len, raw, result)) != ENVELOPE_OK)
        goto out;
    if (opts->max_size && msg_len > opts->max_size) {
        rc = fail(ctx, ENVELOPE_E_TOO_LARGE, "message of %zu bytes; the limit is %llu", msg_len,
                  (unsigned long long)opts->max_size);
        goto out;
    }
    if (EVP_Digest(msg, msg_len, digest, NULL, algs_sha512(ctx), NULL) != 1) {
        rc = fail_ossl(ctx, ENVELOPE_E_INTERNAL, "SHA-512");
        goto out;
    }
    if (out->write(out->arg, msg, msg_len) != 0) {
        rc = fail_write(ctx, errno, out->where, "writing the message");
        goto out;
    }
    hex_lower(digest, sizeof(digest), result->manifest.sha512);
    result->manifest.size = msg_len;
    result->format = ENVELOPE_FORMAT_COMPAT;
out:
    OPENSSL_cleanse(archive, sizeof(archive));
    OPENSSL_cleanse(msg, sizeof(msg));
    OPENSSL_cleanse(digest, sizeof(digest));
    return rc;
}

envelope_rc open_any(envelope_ctx *ctx, const envelope_open_opts *opts, const struct source *in,
                     const struct sink *msg, struct opened *raw, envelope_result *result)
{
    uint8_t first[COMPAT_IN_MAX];
    size_t got, more;
    struct replay replay = {first, 0, in};
    struct source again = {replay_read, &replay};
    envelope_rc rc;

    if (opts == NULL || opts->n_decrypt == 0 || opts->n_trusted == 0)
        return open_envelope(ctx, opts, in, msg, raw, result); /* names what is missing */
    if ((rc = source_read_full(ctx, in, first, MAGIC_LEN, &got)) != ENVELOPE_OK)
        return rc;
    /* v1, or a v1 envelope cut inside its magic (the header parser calls
     * that truncated). */
    if (got > 0 && memcmp(first, MAGIC, got) == 0) {
        replay.left = got;
        return open_envelope(ctx, opts, &again, msg, raw, result);
    }
    if ((rc = source_read_full(ctx, in, first + got, sizeof(first) - got, &more)) !=
        ENVELOPE_OK)
        return rc;
    got += more;
    /* Before any key is used: what only has a compat envelope's size. */
    if ((rc = compat_check(ctx, first, got)) != ENVELOPE_OK)
        return rc;
    if (!opts->allow_compat)
        return fail(ctx, ENVELOPE_E_COMPAT_REFUSED,
                    "this looks like a compat (tutorial) envelope: it lacks the binding of "
                    "signature to recipient; open it anyway with --allow-compat");
    return open_compat(ctx, opts, first, got, msg, raw, result);
}
