/* Writing the inner archive. ustar, with libarchive's restricted pax writer
 * adding an extended header only where ustar cannot hold a name or size. */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "format/bundle.h"
#include "base/context.h"

static la_ssize_t write_cb(struct archive *a, void *arg, const void *p, size_t n)
{
    struct bundle_writer *w = arg;

    (void)a;
    if (w->rc != ENVELOPE_OK)
        return -1;
    if ((w->rc = w->sink(w->ctx, w->sink_arg, p, n)) != ENVELOPE_OK)
        return -1;
    return (la_ssize_t)n;
}

/* A libarchive failure is the sink's when it reported one, else libarchive's. */
static envelope_rc archive_fail(struct bundle_writer *w, const char *what)
{
    if (w->rc != ENVELOPE_OK)
        return w->rc;
    return fail(w->ctx, ENVELOPE_E_INTERNAL, "%s: %s", what, archive_error_string(w->a));
}

time_t bundle_mtime(time_t created)
{
    return created < 0 ? 0 : created > BUNDLE_MTIME_MAX ? BUNDLE_MTIME_MAX : created;
}

envelope_rc bundle_writer_open(envelope_ctx *ctx, struct bundle_writer *w, time_t mtime,
                               bundle_sink_fn sink, void *sink_arg)
{
    memset(w, 0, sizeof(*w));
    w->ctx = ctx;
    w->sink = sink;
    w->sink_arg = sink_arg;
    w->mtime = bundle_mtime(mtime);
    if ((w->a = archive_write_new()) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "archive writer");
    /* Block size 0: hand every piece straight to the sink, which does its own
     * chunking; no 10240-byte record padding. */
    if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
        archive_write_open2(w->a, w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK)
        return archive_fail(w, "archive writer");
    return ENVELOPE_OK;
}

envelope_rc bundle_write_header(struct bundle_writer *w, const char *name, uint64_t size)
{
    struct archive_entry *e = archive_entry_new();
    locale_t previous;
    int r;

    if (e == NULL)
        return fail(w->ctx, ENVELOPE_E_NOMEM, "archive entry");
    archive_entry_set_pathname_utf8(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, w->mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    previous = bundle_utf8_enter();
    r = archive_write_header(w->a, e);
    bundle_utf8_leave(previous);
    archive_entry_free(e);
    return r == ARCHIVE_OK ? ENVELOPE_OK : archive_fail(w, "archive header");
}

envelope_rc bundle_write_data(struct bundle_writer *w, const uint8_t *p, size_t n)
{
    while (n > 0) {
        la_ssize_t done = archive_write_data(w->a, p, n);

        if (done <= 0)
            return archive_fail(w, "archive data");
        p += done;
        n -= (size_t)done;
    }
    return ENVELOPE_OK;
}

envelope_rc bundle_write_file(struct bundle_writer *w, const char *name, const uint8_t *p,
                              size_t n)
{
    envelope_rc rc = bundle_write_header(w, name, n);

    return rc != ENVELOPE_OK ? rc : bundle_write_data(w, p, n);
}

envelope_rc bundle_writer_close(struct bundle_writer *w)
{
    if (archive_write_close(w->a) != ARCHIVE_OK)
        return archive_fail(w, "archive end");
    return ENVELOPE_OK;
}

void bundle_writer_free(struct bundle_writer *w)
{
    /* Freeing closes the archive: let nothing more reach the sink. */
    w->rc = w->rc != ENVELOPE_OK ? w->rc : ENVELOPE_E_CANCELLED;
    if (w->a)
        archive_write_free(w->a);
    w->a = NULL;
}
