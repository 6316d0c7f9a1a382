/* The inner archive: a strict three-entry tar written and read through
 * libarchive callbacks (docs/FORMAT.md, "Inner archive"). */
#ifndef ENVELOPE_BUNDLE_H
#define ENVELOPE_BUNDLE_H

#include <locale.h>
#include <stdint.h>
#include <time.h>

#include "envelope.h"
#include "format/format.h"

struct archive;
struct archive_entry;

/* libarchive converts entry names between UTF-8 (pax `path`) and the
 * locale's character set, and the calling thread's locale is usually "C",
 * which holds no non-ASCII name: the pax writer then crashes and the reader
 * refuses the name. Message names are UTF-8 whatever the caller's locale, so
 * libarchive's header calls run under C.UTF-8, on this thread only. Where
 * that locale is missing, names stay limited to ASCII (bundle_locale.c). */
locale_t bundle_utf8_enter(void);
void bundle_utf8_leave(locale_t previous);

/* Where the writer's bytes go, and where the reader's come from. */
typedef envelope_rc (*bundle_sink_fn)(envelope_ctx *ctx, void *arg, const uint8_t *p, size_t n);
/* Sets *p and *n to the next block, *n = 0 at the end. */
typedef envelope_rc (*bundle_source_fn)(envelope_ctx *ctx, void *arg, const uint8_t **p,
                                        size_t *n);

struct bundle_writer {
    struct archive *a;
    envelope_ctx *ctx;
    bundle_sink_fn sink;
    void *sink_arg;
    envelope_rc rc;   /* the sink's failure, surfaced past libarchive */
    time_t mtime;
};

/* The tar mtime for a creation time: clamped to 0 .. 2^31 - 2, which a
 * ustar header holds without the pax mtime record libarchive would add for
 * any other value, and which readers refuse (docs/FORMAT.md, "Inner archive"). */
#define BUNDLE_MTIME_MAX ((time_t)0x7ffffffe)
time_t bundle_mtime(time_t created);

/* mtime: a creation time, written as bundle_mtime() makes it. */
envelope_rc bundle_writer_open(envelope_ctx *ctx, struct bundle_writer *w, time_t mtime,
                               bundle_sink_fn sink, void *sink_arg);
envelope_rc bundle_write_header(struct bundle_writer *w, const char *name, uint64_t size);
envelope_rc bundle_write_data(struct bundle_writer *w, const uint8_t *p, size_t n);
/* A whole small entry: header and data. */
envelope_rc bundle_write_file(struct bundle_writer *w, const char *name, const uint8_t *p,
                              size_t n);
/* Writes the end-of-archive marker. */
envelope_rc bundle_writer_close(struct bundle_writer *w);
void bundle_writer_free(struct bundle_writer *w);

/* An entry's headers: a pax header, its records (path and size: one block)
 * and the ustar header. */
#define HEADERS_MAX (3 * 512)

struct bundle_reader {
    struct archive *a;
    struct archive_entry *entry; /* ours: libarchive's own may be NULL */
    envelope_ctx *ctx;
    bundle_source_fn source;
    void *source_arg;
    envelope_rc rc;
    int entries;              /* headers read so far */
    int source_done;
    uint64_t offset;          /* archive bytes handed to libarchive */
    uint64_t nonzero_end;     /* one past the last non-zero byte seen */
    uint64_t last_data_at;    /* where the current entry's data starts */
    uint64_t last_size;
    uint64_t entry_read;      /* bytes of the current entry handed out */
    /* The source's latest block, which libarchive may still be reading. */
    const uint8_t *block;
    size_t block_len;
    uint64_t block_at;
    /* The bytes of the next entry's headers, from headers_at (bundle_raw.c). */
    uint64_t headers_at;
    uint8_t headers[HEADERS_MAX];
    size_t headers_len;
    int headers_lost;
};

envelope_rc bundle_reader_open(envelope_ctx *ctx, struct bundle_reader *r,
                               bundle_source_fn source, void *source_arg);
/* The next entry, which must be a regular file: the message (want_name NULL:
 * any allowed name, at most max_size bytes if max_size != 0), then
 * "manifest.json" (at most max_size bytes), then "manifest.sig". */
envelope_rc bundle_next(struct bundle_reader *r, const char *want_name, uint64_t max_size,
                        char name[MESSAGE_NAME_MAX + 1], uint64_t *size);
/* Up to cap bytes of the current entry; *n = 0 at its end. */
envelope_rc bundle_read(struct bundle_reader *r, uint8_t *buf, size_t cap, size_t *n);
/* Reads a whole small entry of exactly size bytes into buf. */
envelope_rc bundle_read_all(struct bundle_reader *r, uint8_t *buf, uint64_t size);
/* Checks there is no further entry and only zero padding to the end. */
envelope_rc bundle_reader_finish(struct bundle_reader *r);
void bundle_reader_free(struct bundle_reader *r);

/* bundle_raw.c: each block of the source as it goes to libarchive, at
 * archive offset at. */
void bundle_raw_pass(struct bundle_reader *r, const uint8_t *p, size_t n, uint64_t at);
/* The next entry's headers start at archive offset at. */
void bundle_raw_expect(struct bundle_reader *r, uint64_t at);
/* Checks the headers libarchive has just read against their bytes: path
 * and size must be what they say, by their lengths. Sets *data_at to where
 * the entry's data starts, and expects the next entry after it. */
envelope_rc bundle_raw_check(struct bundle_reader *r, const char *path, uint64_t size,
                             uint64_t *data_at);
/* The same for len bytes of one entry's headers at p, from its first
 * header block to its data, wherever they come from. strict: v1's rules;
 * else (compat) pax records of any keyword and GNU long names are allowed,
 * the name and size still read by their bytes. */
envelope_rc tar_headers_check(envelope_ctx *ctx, int entry, int strict, const uint8_t *p,
                              uint64_t len, const char *path, uint64_t size);

#endif
