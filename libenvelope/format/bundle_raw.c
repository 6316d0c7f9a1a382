/* The raw bytes of each entry's headers, read beside libarchive.
 *
 * libarchive hands out an entry's name as a C string and its size as a
 * number, which hides what the bytes said: a pax `path` of "m.txt", a NUL
 * and more bytes comes out as "m.txt", a pax `size` of "14" and a NUL as 14.
 * So the bytes of every entry's headers are kept as they pass to libarchive,
 * parsed here by the rules of docs/FORMAT.md, "Inner archive", each field by its
 * length, and must say exactly what libarchive made of them. This also
 * tells where an entry's data starts, which libarchive's header position
 * (that of the pax header, when there is one) does not. The compat reader
 * (compat_open.c) checks its entries' names and sizes here too. */
#include <archive.h>
#include <string.h>

#include "format/bundle.h"
#include "base/context.h"

#define TAR_BLOCK 512
#define OFF_NAME 0
#define LEN_NAME 100
#define OFF_SIZE 124
#define LEN_SIZE 12
#define OFF_CHKSUM 148
#define LEN_CHKSUM 8
#define OFF_TYPE 156
#define OFF_MAGIC 257
#define OFF_PREFIX 345

/* One entry's header bytes, and what they said, each value by its length. */
struct headers {
    envelope_ctx *ctx;
    int entry;
    int strict;                  /* v1: pax path and size records only */
    const uint8_t *path, *size;  /* pax records, or NULL */
    size_t path_len, size_len;
    const uint8_t *longname;     /* GNU 'L' name (compat), or NULL */
    size_t longname_len;
};

static uint64_t padded(uint64_t n)
{
    return (n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
}

/* Keeps the bytes of [p, p + n), which start at archive offset at, that
 * follow those kept so far, up to HEADERS_MAX. */
static void keep(struct bundle_reader *r, const uint8_t *p, size_t n, uint64_t at)
{
    uint64_t next = r->headers_at + r->headers_len;
    size_t take;

    if (r->headers_len == HEADERS_MAX || next >= at + n)
        return;
    if (next < at) { /* bytes of the headers went by unkept */
        r->headers_lost = 1;
        return;
    }
    take = (size_t)(at + n - next);
    if (take > HEADERS_MAX - r->headers_len)
        take = HEADERS_MAX - r->headers_len;
    memcpy(r->headers + r->headers_len, p + (next - at), take);
    r->headers_len += take;
}

void bundle_raw_pass(struct bundle_reader *r, const uint8_t *p, size_t n, uint64_t at)
{
    r->block = p;
    r->block_len = n;
    r->block_at = at;
    keep(r, p, n, at);
}

void bundle_raw_expect(struct bundle_reader *r, uint64_t at)
{
    r->headers_at = at;
    r->headers_len = 0;
    r->headers_lost = 0;
    /* libarchive may already have pulled the block these bytes are in */
    if (r->block != NULL)
        keep(r, r->block, r->block_len, r->block_at);
}

/* A ustar number: optional leading spaces, octal digits, then only NULs
 * and spaces (FORMAT.md, "Inner archive"). */
static int ustar_number(const uint8_t *p, size_t len, uint64_t *v)
{
    size_t i = 0, digits = 0;

    *v = 0;
    while (i < len && p[i] == ' ')
        i++;
    for (; i < len && p[i] >= '0' && p[i] <= '7' && digits < 21; i++, digits++)
        *v = *v * 8 + (uint64_t)(p[i] - '0');
    for (; i < len; i++)
        if (p[i] != '\0' && p[i] != ' ')
            return -1;
    return digits > 0 ? 0 : -1;
}

/* A pax size: decimal, no leading zero, no sign, nothing else. */
static int pax_number(const uint8_t *p, size_t len, uint64_t *v)
{
    *v = 0;
    if (len == 0 || len > 19 || (p[0] == '0' && len > 1))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        *v = *v * 10 + (uint64_t)(p[i] - '0');
    }
    return 0;
}

/* One record "LEN KEY=VALUE\n" at the start of p; its length in *len.
 * -1: malformed; -2: a keyword the rules refuse, or one given twice. */
static int pax_record(struct headers *h, const uint8_t *p, size_t n, size_t *len)
{
    size_t i = 0, rec = 0, key_len;
    const uint8_t *key, *eq, *value;

    if (n == 0 || p[0] < '1' || p[0] > '9')
        return -1;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        rec = rec * 10 + (size_t)(p[i] - '0');
        if (rec > n)
            return -1;
    }
    if (i == n || p[i] != ' ' || rec < i + 2 || p[rec - 1] != '\n')
        return -1;
    key = p + i + 1;
    if ((eq = memchr(key, '=', (size_t)(p + rec - 1 - key))) == NULL)
        return -1;
    *len = rec;
    key_len = (size_t)(eq - key);
    value = eq + 1;
    if (key_len == 4 && memcmp(key, "path", 4) == 0 && h->path == NULL) {
        h->path = value;
        h->path_len = (size_t)(p + rec - 1 - value);
    } else if (key_len == 4 && memcmp(key, "size", 4) == 0 && h->size == NULL) {
        h->size = value;
        h->size_len = (size_t)(p + rec - 1 - value);
    } else if (h->strict || memchr(key, '\0', key_len) != NULL ||
               (key_len == 4 && (memcmp(key, "path", 4) == 0 || memcmp(key, "size", 4) == 0))) {
        return -2;
    }
    return 0;
}

static envelope_rc parse_pax(struct headers *h, const uint8_t *p, size_t n)
{
    size_t len;
    int err;

    for (size_t pos = 0; pos < n; pos += len) {
        if ((err = pax_record(h, p + pos, n - pos, &len)) == -2)
            return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE,
                        "entry %d: a pax record other than one path and one size", h->entry);
        if (err != 0)
            return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: malformed pax record",
                        h->entry);
    }
    return ENVELOPE_OK;
}

/* A GNU long name: the name, then NULs only. */
static envelope_rc parse_longname(struct headers *h, const uint8_t *p, size_t n)
{
    const uint8_t *nul = memchr(p, '\0', n);

    h->longname = p;
    h->longname_len = nul ? (size_t)(nul - p) : n;
    for (size_t i = h->longname_len; i < n; i++)
        if (p[i] != '\0')
            return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: long name holds a NUL",
                        h->entry);
    return ENVELOPE_OK;
}

/* v1 headers are POSIX ustar, a pax header too (libarchive takes one with
 * GNU tar's magic and goes on), and their checksum a ustar number
 * (libarchive has checked its value, but reads "012345", NUL, "0" as
 * 012345). */
static envelope_rc check_block(struct headers *h, const uint8_t *block)
{
    uint64_t sum;

    if (!h->strict)
        return ENVELOPE_OK;
    if (memcmp(block + OFF_MAGIC, "ustar\0", 6) != 0)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: a header without the ustar magic",
                    h->entry);
    if (ustar_number(block + OFF_CHKSUM, LEN_CHKSUM, &sum) != 0)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: header checksum is not a number",
                    h->entry);
    return ENVELOPE_OK;
}

/* The headers are extension headers (v1: one pax header; compat: pax or
 * GNU long name headers), each with its data, then the ustar header that
 * ends at `len`: nothing else fits. Sets *ustar to the last. */
static envelope_rc split_headers(struct headers *h, const uint8_t *p, uint64_t len,
                                 const uint8_t **ustar)
{
    uint64_t pos = 0, body;
    envelope_rc rc;

    while (pos + TAR_BLOCK < len) {
        uint8_t type = p[pos + OFF_TYPE];

        if ((rc = check_block(h, p + pos)) != ENVELOPE_OK)
            return rc;
        if ((type != 'x' && (h->strict || type != 'L')) || (h->strict && pos > 0) ||
            ustar_number(p + pos + OFF_SIZE, LEN_SIZE, &body) != 0 ||
            body > len - pos - 2 * TAR_BLOCK)
            return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE,
                        "entry %d: headers other than one pax and one ustar header", h->entry);
        pos += TAR_BLOCK;
        if ((rc = type == 'x' ? parse_pax(h, p + pos, (size_t)body)
                              : parse_longname(h, p + pos, (size_t)body)) != ENVELOPE_OK)
            return rc;
        pos += padded(body);
    }
    if (pos + TAR_BLOCK != len)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: headers other than one pax and one ustar header", h->entry);
    *ustar = p + pos;
    return check_block(h, *ustar);
}

static envelope_rc check_name(struct headers *h, const uint8_t *ustar, const char *path)
{
    const uint8_t *name = h->path ? h->path : h->longname;
    size_t len = h->path ? h->path_len : h->longname_len;
    const uint8_t *nul;

    /* A POSIX prefix makes a name "prefix/name", which no entry may have;
     * GNU headers keep other fields there. */
    if (memcmp(ustar + OFF_MAGIC, "ustar\0", 6) == 0 && ustar[OFF_PREFIX] != '\0')
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: ustar prefix is not empty",
                    h->entry);
    if (name == NULL) {
        name = ustar + OFF_NAME;
        len = (nul = memchr(name, '\0', LEN_NAME)) ? (size_t)(nul - name) : LEN_NAME;
    } else if (memchr(name, '\0', len) != NULL) {
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: pax path holds a NUL",
                    h->entry);
    }
    if (strlen(path) != len || memcmp(path, name, len) != 0)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: name differs from its header's bytes", h->entry);
    return ENVELOPE_OK;
}

static envelope_rc check_size(struct headers *h, const uint8_t *ustar, uint64_t size)
{
    uint64_t v;

    if (h->size != NULL ? pax_number(h->size, h->size_len, &v) != 0
                        : ustar_number(ustar + OFF_SIZE, LEN_SIZE, &v) != 0)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: size is not a number",
                    h->entry);
    if (v != size)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: size differs from its header's bytes", h->entry);
    return ENVELOPE_OK;
}

envelope_rc tar_headers_check(envelope_ctx *ctx, int entry, int strict, const uint8_t *p,
                              uint64_t len, const char *path, uint64_t size)
{
    struct headers h = {ctx, entry, strict, NULL, NULL, 0, 0, NULL, 0};
    const uint8_t *ustar = NULL;
    envelope_rc rc;

    if (len < TAR_BLOCK || len % TAR_BLOCK != 0)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: headers of %llu bytes", entry,
                    (unsigned long long)len);
    if ((rc = split_headers(&h, p, len, &ustar)) != ENVELOPE_OK ||
        (rc = check_name(&h, ustar, path)) != ENVELOPE_OK)
        return rc;
    return check_size(&h, ustar, size);
}

envelope_rc bundle_raw_check(struct bundle_reader *r, const char *path, uint64_t size,
                             uint64_t *data_at)
{
    int64_t pos = archive_read_header_position(r->a);
    int64_t end = archive_filter_bytes(r->a, 0);
    envelope_rc rc;

    if (pos < 0 || (uint64_t)pos != r->headers_at || end < pos)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: does not start where the previous one ended", r->entries);
    if ((uint64_t)(end - pos) > HEADERS_MAX)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: %lld bytes of headers; at most %d",
                    r->entries, (long long)(end - pos), HEADERS_MAX);
    if (r->headers_lost || r->headers_len < (size_t)(end - pos))
        return fail(r->ctx, ENVELOPE_E_INTERNAL, "entry %d: header bytes not kept", r->entries);
    if ((rc = tar_headers_check(r->ctx, r->entries, 1, r->headers, (uint64_t)(end - pos), path,
                                size)) != ENVELOPE_OK)
        return rc;
    *data_at = (uint64_t)end;
    bundle_raw_expect(r, (uint64_t)end + padded(size));
    return ENVELOPE_OK;
}
