/* One tar entry's headers, read from their bytes by the rules of
 * docs/FORMAT.md, "Inner archive": every field by its length, so that a pax
 * `path` of "m.txt", a NUL and more bytes is that whole name and a pax `size`
 * of "14" and a NUL no number. The v1 reader (bundle_read.c) takes an
 * entry's name and size from here; the compat reader (compat_open.c), which
 * reads GNU tar's output through libarchive, checks here that libarchive's
 * name and size are what the bytes say. */
#include <string.h>

#include "format/bundle.h"
#include "base/context.h"

#define OFF_NAME 0
#define LEN_NAME 100
#define OFF_SIZE 124
#define LEN_SIZE 12
#define OFF_CHKSUM 148
#define LEN_CHKSUM 8
#define OFF_TYPE 156
#define OFF_LINK 157
#define OFF_MAGIC 257
#define OFF_VERSION 263
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

/* A ustar number: optional leading spaces, octal digits, then only NULs
 * and spaces (FORMAT.md, "Inner archive"). */
int tar_octal(const uint8_t *p, size_t len, uint64_t *v)
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

/* A pax size: decimal, no leading zero, no sign, nothing else, of any
 * length. One over 2^64 - 1 is read as 2^64 - 1: too large for any limit,
 * and for any archive, as the rules have it. */
static int pax_number(const uint8_t *p, size_t len, uint64_t *v)
{
    *v = 0;
    if (len == 0 || (p[0] == '0' && len > 1))
        return -1;
    for (size_t i = 0; i < len; i++) {
        uint64_t digit;

        if (p[i] < '0' || p[i] > '9')
            return -1;
        digit = (uint64_t)(p[i] - '0');
        *v = *v > (UINT64_MAX - digit) / 10 ? UINT64_MAX : *v * 10 + digit;
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

/* The unsigned sum of a header's bytes, its checksum field taken as spaces. */
static uint64_t header_sum(const uint8_t *block)
{
    uint64_t sum = 8 * ' ';

    for (size_t i = 0; i < TAR_BLOCK; i++)
        if (i < OFF_CHKSUM || i >= OFF_CHKSUM + LEN_CHKSUM)
            sum += block[i];
    return sum;
}

/* v1 headers are POSIX ustar, a pax header too, version 00, with a
 * checksum that is a ustar number and matches. Compat headers were checked
 * by libarchive, GNU tar's magic allowed. */
static envelope_rc check_block(struct headers *h, const uint8_t *block)
{
    uint64_t sum;

    if (!h->strict)
        return ENVELOPE_OK;
    if (memcmp(block + OFF_MAGIC, "ustar\0", 6) != 0)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: a header without the ustar magic",
                    h->entry);
    if (memcmp(block + OFF_VERSION, "00", 2) != 0)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: a ustar version other than 00",
                    h->entry);
    if (tar_octal(block + OFF_CHKSUM, LEN_CHKSUM, &sum) != 0)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: header checksum is not a number",
                    h->entry);
    if (sum != header_sum(block))
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: header checksum does not match",
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
            tar_octal(p + pos + OFF_SIZE, LEN_SIZE, &body) != 0 ||
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

/* v1's entry is a regular file of type '0' and no link name: types NUL and
 * '7', which POSIX reads as regular files too, are refused, as writers never
 * write them (what docs/FORMAT.md, "Inner archive", leaves to the reader). */
static envelope_rc check_type(struct headers *h, const uint8_t *ustar)
{
    uint8_t type = ustar[OFF_TYPE];

    if (!h->strict)
        return ENVELOPE_OK;
    if (type != '0')
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: not a regular file (type %s%c)", h->entry,
                    type >= 0x21 && type < 0x7f ? "" : "byte ",
                    type >= 0x21 && type < 0x7f ? (char)type : '?');
    if (ustar[OFF_LINK] != '\0')
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: a regular file with a link name",
                    h->entry);
    return ENVELOPE_OK;
}

static envelope_rc take_name(struct headers *h, const uint8_t *ustar, struct tar_fields *out)
{
    const uint8_t *nul;

    /* A POSIX prefix makes a name "prefix/name", which no entry may have;
     * GNU headers keep other fields there. */
    if (memcmp(ustar + OFF_MAGIC, "ustar\0", 6) == 0 && ustar[OFF_PREFIX] != '\0')
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: ustar prefix is not empty",
                    h->entry);
    if (h->path != NULL || h->longname != NULL) {
        out->name = h->path ? h->path : h->longname;
        out->name_len = h->path ? h->path_len : h->longname_len;
        if (h->path != NULL && memchr(h->path, '\0', h->path_len) != NULL)
            return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: pax path holds a NUL",
                        h->entry);
    } else {
        out->name = ustar + OFF_NAME;
        nul = memchr(out->name, '\0', LEN_NAME);
        out->name_len = nul ? (size_t)(nul - out->name) : LEN_NAME;
    }
    return ENVELOPE_OK;
}

static envelope_rc take_size(struct headers *h, const uint8_t *ustar, struct tar_fields *out)
{
    if (h->size != NULL ? pax_number(h->size, h->size_len, &out->size) != 0
                        : tar_octal(ustar + OFF_SIZE, LEN_SIZE, &out->size) != 0)
        return fail(h->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: size is not a number",
                    h->entry);
    return ENVELOPE_OK;
}

envelope_rc tar_block_check(envelope_ctx *ctx, int entry, const uint8_t *block)
{
    struct headers h = {ctx, entry, 1, NULL, NULL, 0, 0, NULL, 0};

    return check_block(&h, block);
}

envelope_rc tar_pax_check(envelope_ctx *ctx, int entry, const uint8_t *body, size_t len)
{
    struct headers h = {ctx, entry, 1, NULL, NULL, 0, 0, NULL, 0};
    uint64_t size;
    envelope_rc rc;

    if ((rc = parse_pax(&h, body, len)) != ENVELOPE_OK)
        return rc;
    if (h.size != NULL && pax_number(h.size, h.size_len, &size) != 0)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: size is not a number", entry);
    return ENVELOPE_OK;
}

envelope_rc tar_headers_parse(envelope_ctx *ctx, int entry, int strict, const uint8_t *p,
                              uint64_t len, struct tar_fields *out)
{
    struct headers h = {ctx, entry, strict, NULL, NULL, 0, 0, NULL, 0};
    const uint8_t *ustar = NULL;
    envelope_rc rc;

    memset(out, 0, sizeof(*out));
    if (len < TAR_BLOCK || len % TAR_BLOCK != 0)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: headers of %llu bytes", entry,
                    (unsigned long long)len);
    if ((rc = split_headers(&h, p, len, &ustar)) != ENVELOPE_OK ||
        (rc = check_type(&h, ustar)) != ENVELOPE_OK ||
        (rc = take_name(&h, ustar, out)) != ENVELOPE_OK)
        return rc;
    return take_size(&h, ustar, out);
}

envelope_rc tar_headers_check(envelope_ctx *ctx, int entry, int strict, const uint8_t *p,
                              uint64_t len, const char *path, uint64_t size)
{
    struct tar_fields f;
    envelope_rc rc;

    if ((rc = tar_headers_parse(ctx, entry, strict, p, len, &f)) != ENVELOPE_OK)
        return rc;
    if (strlen(path) != f.name_len || memcmp(path, f.name, f.name_len) != 0)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: name differs from its header's bytes", entry);
    if (f.size != size)
        return fail(ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: size differs from its header's bytes", entry);
    return ENVELOPE_OK;
}
