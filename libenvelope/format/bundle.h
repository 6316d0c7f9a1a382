/* The inner archive: a strict three-entry tar, written and read by the
 * library's own code (docs/FORMAT.md, "Inner archive"). */
#ifndef ENVELOPE_BUNDLE_H
#define ENVELOPE_BUNDLE_H

#include <stdint.h>
#include <time.h>

#include "envelope.h"
#include "format/format.h"

#define TAR_BLOCK 512

/* Where the writer's bytes go, and where the reader's come from. */
typedef envelope_rc (*bundle_sink_fn)(envelope_ctx *ctx, void *arg, const uint8_t *p, size_t n);
/* Sets *p and *n to the next block, *n = 0 at the end. */
typedef envelope_rc (*bundle_source_fn)(envelope_ctx *ctx, void *arg, const uint8_t **p,
                                        size_t *n);

struct bundle_writer {
    envelope_ctx *ctx;
    bundle_sink_fn sink;
    void *sink_arg;
    time_t mtime;
    uint64_t left;    /* bytes of the current entry still to come */
    size_t pad;       /* zeros after them, to the next block */
};

/* The tar mtime for a creation time: clamped to 0 .. 2^31 - 2, so that
 * no pax mtime record is ever needed, which readers refuse (docs/FORMAT.md,
 * "Inner archive"). */
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
    envelope_ctx *ctx;
    bundle_source_fn source;
    void *source_arg;
    const uint8_t *block;     /* the source's latest block */
    size_t block_len, block_pos;
    int source_done;
    int entries;              /* headers read so far */
    uint64_t left;            /* bytes of the current entry not yet handed out */
    size_t pad;               /* the zeros after them, not looked at */
    /* The current entry's headers: they hold the message's name, and are
     * wiped at the end. */
    uint8_t headers[HEADERS_MAX];
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

/* tar_headers.c: an entry's name (by its bytes, not NUL-terminated) and
 * size, as its headers say. */
struct tar_fields {
    const uint8_t *name;
    size_t name_len;
    uint64_t size;
};

/* Reads len bytes of one entry's headers at p, from its first header block
 * to its data. strict: v1's rules (docs/FORMAT.md, "Inner archive"); else
 * (compat, whose headers libarchive has read) pax records of any keyword
 * and GNU long names are allowed, the name and size still read by their
 * bytes. out points into p. */
envelope_rc tar_headers_parse(envelope_ctx *ctx, int entry, int strict, const uint8_t *p,
                              uint64_t len, struct tar_fields *out);
/* A ustar number field: optional leading spaces, octal digits, then only
 * NULs and spaces. -1 if it is not one. */
int tar_octal(const uint8_t *p, size_t len, uint64_t *v);
/* v1's rules on a pax header as soon as it is read, before the ustar
 * header after it (docs/FORMAT.md, "Opening, in order"): the header block,
 * then its records (a size record must be a number). */
envelope_rc tar_block_check(envelope_ctx *ctx, int entry, const uint8_t *block);
envelope_rc tar_pax_check(envelope_ctx *ctx, int entry, const uint8_t *body, size_t len);
/* Parses them and checks that they say path and size. */
envelope_rc tar_headers_check(envelope_ctx *ctx, int entry, int strict, const uint8_t *p,
                              uint64_t len, const char *path, uint64_t size);

#endif
