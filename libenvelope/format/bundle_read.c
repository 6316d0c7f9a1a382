/* Reading the inner archive under the entry rules of docs/FORMAT.md,
 * "Inner archive". Only libarchive's tar reader is enabled: no filter, no other
 * format can be smuggled in. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "format/bundle.h"
#include "base/context.h"

#define TAR_BLOCK 512
#define END_MARKER (2 * TAR_BLOCK)

/* Remembers where the last non-zero byte was, so that the padding after the
 * archive can be checked once its end is known. Data blocks end in a
 * non-zero byte almost always, so this rarely looks at more than one. */
static void track_nonzero(struct bundle_reader *r, const uint8_t *p, size_t n)
{
    for (size_t i = n; i > 0; i--) {
        if (p[i - 1] != 0) {
            r->nonzero_end = r->offset + i;
            break;
        }
    }
    r->offset += n;
}

static envelope_rc pull(struct bundle_reader *r, const uint8_t **p, size_t *n)
{
    envelope_rc rc;

    *n = 0;
    if (r->source_done)
        return ENVELOPE_OK;
    if ((rc = r->source(r->ctx, r->source_arg, p, n)) != ENVELOPE_OK)
        return rc;
    if (*n == 0)
        r->source_done = 1;
    bundle_raw_pass(r, *p, *n, r->offset);
    track_nonzero(r, *p, *n);
    return ENVELOPE_OK;
}

static la_ssize_t read_cb(struct archive *a, void *arg, const void **buf)
{
    struct bundle_reader *r = arg;
    const uint8_t *p = NULL;
    size_t n;

    (void)a;
    if (r->rc != ENVELOPE_OK)
        return -1;
    if ((r->rc = pull(r, &p, &n)) != ENVELOPE_OK)
        return -1;
    *buf = p;
    return (la_ssize_t)n;
}

/* A libarchive failure is the source's (tampering, I/O) when it reported
 * one; otherwise the archive itself is at fault. */
static envelope_rc archive_fail(struct bundle_reader *r, const char *what)
{
    if (r->rc != ENVELOPE_OK)
        return r->rc;
    if (archive_errno(r->a) == ENOMEM)
        return fail(r->ctx, ENVELOPE_E_NOMEM, "%s: out of memory", what);
    return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "%s: %s", what,
                archive_error_string(r->a) ? archive_error_string(r->a) : "unreadable");
}

envelope_rc bundle_reader_open(envelope_ctx *ctx, struct bundle_reader *r,
                               bundle_source_fn source, void *source_arg)
{
    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->source = source;
    r->source_arg = source_arg;
    /* archive_read_new() does not check the allocation of the entry that
     * archive_read_next_header() fills: read into one of our own. */
    if ((r->a = archive_read_new()) == NULL || (r->entry = archive_entry_new()) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "archive reader");
    /* archive_read_open() ignores a failure to allocate its callback data
     * and goes on to crash: set the callbacks one by one, checking each. */
    if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
        archive_read_set_read_callback(r->a, read_cb) != ARCHIVE_OK ||
        archive_read_set_callback_data(r->a, r) != ARCHIVE_OK ||
        archive_read_open1(r->a) != ARCHIVE_OK)
        return archive_fail(r, "inner archive");
    return ENVELOPE_OK;
}

static envelope_rc check_entry(struct bundle_reader *r, struct archive_entry *e,
                               const char *want_name, const char *name)
{
    const char *why;
    int format = archive_format(r->a);

    if (format != ARCHIVE_FORMAT_TAR_USTAR && format != ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE &&
        format != ARCHIVE_FORMAT_TAR_PAX_RESTRICTED)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: %s, not POSIX ustar/pax",
                    r->entries, archive_format_name(r->a));
    if (name == NULL)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: name is not UTF-8", r->entries);
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != NULL ||
        archive_entry_symlink(e) != NULL || archive_entry_sparse_count(e) != 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d (%.64s): not a regular file",
                    r->entries, name);
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: no size", r->entries);
    if (want_name != NULL && strcmp(name, want_name) != 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d is \"%.64s\", expected %s",
                    r->entries, name, want_name);
    if (want_name == NULL && message_name_check(name, strlen(name), &why) != 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "message name \"%.64s\": %s", name, why);
    return ENVELOPE_OK;
}

envelope_rc bundle_next(struct bundle_reader *r, const char *want_name, uint64_t max_size,
                        char name[MESSAGE_NAME_MAX + 1], uint64_t *size)
{
    struct archive_entry *e = r->entry;
    const char *path = NULL;
    envelope_rc rc;
    locale_t previous;
    int ar;

    *size = 0;
    name[0] = '\0';
    previous = bundle_utf8_enter();
    ar = archive_read_next_header2(r->a, e);
    if (ar == ARCHIVE_OK)
        path = archive_entry_pathname_utf8(e);
    bundle_utf8_leave(previous);
    r->entries++;
    if (ar == ARCHIVE_EOF)
        return r->rc != ENVELOPE_OK ? r->rc
                                    : fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE,
                                           "archive ends before %s",
                                           want_name ? want_name : "the message");
    if (ar != ARCHIVE_OK)
        return archive_fail(r, "inner archive header");
    if ((rc = check_entry(r, e, want_name, path)) != ENVELOPE_OK ||
        (rc = bundle_raw_check(r, path, (uint64_t)archive_entry_size(e), &r->last_data_at)) !=
            ENVELOPE_OK)
        return rc;
    *size = (uint64_t)archive_entry_size(e);
    if (max_size != 0 && *size > max_size)
        return want_name ? fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "%s of %llu bytes exceeds %llu",
                                want_name, (unsigned long long)*size,
                                (unsigned long long)max_size)
                         : fail(r->ctx, ENVELOPE_E_TOO_LARGE,
                                "message of %llu bytes; the limit is %llu",
                                (unsigned long long)*size, (unsigned long long)max_size);
    if (strlen(path) > MESSAGE_NAME_MAX)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry name too long");
    strcpy(name, path);
    r->last_size = *size;
    r->entry_read = 0;
    return ENVELOPE_OK;
}

envelope_rc bundle_read(struct bundle_reader *r, uint8_t *buf, size_t cap, size_t *n)
{
    la_ssize_t got = archive_read_data(r->a, buf, cap);

    *n = 0;
    if (got < 0)
        return archive_fail(r, "inner archive data");
    /* libarchive takes some pax keywords (GNU.sparse.size) as the real
     * size: what reaches the caller must never exceed what the header
     * stated, which is what the size limits were checked against. */
    if ((uint64_t)got > r->last_size - r->entry_read)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry longer than its stated %llu bytes",
                    (unsigned long long)r->last_size);
    r->entry_read += (uint64_t)got;
    *n = (size_t)got;
    return ENVELOPE_OK;
}

envelope_rc bundle_read_all(struct bundle_reader *r, uint8_t *buf, uint64_t size)
{
    uint64_t have = 0;
    size_t n;
    uint8_t extra;
    envelope_rc rc;

    while (have < size) {
        if ((rc = bundle_read(r, buf + have, (size_t)(size - have), &n)) != ENVELOPE_OK)
            return rc;
        if (n == 0)
            return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry shorter than its size");
        have += n;
    }
    if ((rc = bundle_read(r, &extra, 1, &n)) != ENVELOPE_OK)
        return rc;
    return n == 0 ? ENVELOPE_OK
                  : fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry longer than its size");
}

envelope_rc bundle_reader_finish(struct bundle_reader *r)
{
    const uint8_t *p;
    size_t n;
    uint64_t end;
    envelope_rc rc;
    int ar = archive_read_next_header2(r->a, r->entry);

    if (ar == ARCHIVE_OK)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "more than three entries");
    if (ar != ARCHIVE_EOF)
        return archive_fail(r, "inner archive end");
    do { /* read on to the final chunk */
        if ((rc = pull(r, &p, &n)) != ENVELOPE_OK)
            return rc;
    } while (n > 0);
    /* The last entry's data ends on a block boundary; from there, zeros. */
    end = r->last_data_at + (r->last_size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    if (r->nonzero_end > end)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "non-zero bytes after the archive");
    if (r->offset < end + END_MARKER)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "no end-of-archive marker");
    return ENVELOPE_OK;
}

void bundle_reader_free(struct bundle_reader *r)
{
    if (r->a)
        archive_read_free(r->a);
    if (r->entry)
        archive_entry_free(r->entry);
    r->a = NULL;
    r->entry = NULL;
    /* the header bytes kept run on into the entries' data: plaintext */
    OPENSSL_cleanse(r->headers, sizeof(r->headers));
}
