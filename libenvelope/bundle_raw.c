/* The raw bytes of each entry's headers, read beside libarchive.
 *
 * libarchive hands out an entry's name as a C string and its size as a
 * number, which hides what the bytes said: a pax `path` of "m.txt", a NUL
 * and more bytes comes out as "m.txt", a pax `size` of "14" and a NUL as 14.
 * So the bytes of every entry's headers are kept as they pass to libarchive,
 * parsed here by the rules of docs/FORMAT.md section 5, each field by its
 * length, and must say exactly what libarchive made of them. This also
 * tells where an entry's data starts, which libarchive's header position
 * (that of the pax header, when there is one) does not. */
#include <archive.h>
#include <string.h>

#include "bundle.h"
#include "context.h"

#define TAR_BLOCK 512
#define OFF_NAME 0
#define LEN_NAME 100
#define OFF_SIZE 124
#define LEN_SIZE 12
#define OFF_TYPE 156
#define OFF_PREFIX 345

/* What a pax extended header said, each value by its length. */
struct pax {
    const uint8_t *path, *size;
    size_t path_len, size_len;
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
 * and spaces (section 5). */
static int ustar_number(const uint8_t *p, size_t len, uint64_t *v)
{
    size_t i = 0, digits = 0;

    *v = 0;
    while (i < len && p[i] == ' ')
        i++;
    for (; i < len && p[i] >= '0' && p[i] <= '7'; i++, digits++)
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

/* One record "LEN KEY=VALUE\n" at the start of p; its length in *len. */
static int pax_record(const uint8_t *p, size_t n, size_t *len, struct pax *out)
{
    size_t i = 0, rec = 0;
    const uint8_t *key, *eq;

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
    if (eq - key == 4 && memcmp(key, "path", 4) == 0 && out->path == NULL) {
        out->path = eq + 1;
        out->path_len = (size_t)(p + rec - 1 - out->path);
    } else if (eq - key == 4 && memcmp(key, "size", 4) == 0 && out->size == NULL) {
        out->size = eq + 1;
        out->size_len = (size_t)(p + rec - 1 - out->size);
    } else {
        return -2; /* another keyword, or one given twice */
    }
    return 0;
}

static envelope_rc parse_pax(struct bundle_reader *r, const uint8_t *p, size_t n,
                             struct pax *out)
{
    size_t len;
    int err;

    for (size_t pos = 0; pos < n; pos += len) {
        if ((err = pax_record(p + pos, n - pos, &len, out)) == -2)
            return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE,
                        "entry %d: a pax record other than one path and one size", r->entries);
        if (err != 0)
            return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: malformed pax record",
                        r->entries);
    }
    return ENVELOPE_OK;
}

/* The headers are a ustar header, or a pax header, its records and a ustar
 * header: nothing else fits in `len` bytes with data starting after them. */
static envelope_rc split_headers(struct bundle_reader *r, uint64_t len, struct pax *pax,
                                 const uint8_t **ustar)
{
    uint64_t body;

    memset(pax, 0, sizeof(*pax));
    *ustar = r->headers + len - TAR_BLOCK;
    if (len == TAR_BLOCK)
        return ENVELOPE_OK;
    if (r->headers[OFF_TYPE] != 'x' ||
        ustar_number(r->headers + OFF_SIZE, LEN_SIZE, &body) != 0 ||
        len != TAR_BLOCK + padded(body) + TAR_BLOCK)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: headers other than one pax and one ustar header", r->entries);
    return parse_pax(r, r->headers + TAR_BLOCK, (size_t)body, pax);
}

static envelope_rc check_name(struct bundle_reader *r, const struct pax *pax,
                              const uint8_t *ustar, const char *path)
{
    const uint8_t *name = pax->path;
    size_t len = pax->path_len;
    const uint8_t *nul;

    if (ustar[OFF_PREFIX] != '\0')
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: ustar prefix is not empty",
                    r->entries);
    if (name == NULL) {
        name = ustar + OFF_NAME;
        len = (nul = memchr(name, '\0', LEN_NAME)) ? (size_t)(nul - name) : LEN_NAME;
    } else if (memchr(name, '\0', len) != NULL) {
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: pax path holds a NUL",
                    r->entries);
    }
    if (strlen(path) != len || memcmp(path, name, len) != 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: name differs from its header's bytes", r->entries);
    return ENVELOPE_OK;
}

static envelope_rc check_size(struct bundle_reader *r, const struct pax *pax,
                              const uint8_t *ustar, uint64_t size)
{
    uint64_t v;

    if (pax->size != NULL ? pax_number(pax->size, pax->size_len, &v) != 0
                          : ustar_number(ustar + OFF_SIZE, LEN_SIZE, &v) != 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: size is not a number",
                    r->entries);
    if (v != size)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: size differs from its header's bytes", r->entries);
    return ENVELOPE_OK;
}

envelope_rc bundle_raw_check(struct bundle_reader *r, const char *path, uint64_t size,
                             uint64_t *data_at)
{
    int64_t pos = archive_read_header_position(r->a);
    int64_t end = archive_filter_bytes(r->a, 0);
    const uint8_t *ustar;
    struct pax pax;
    envelope_rc rc;

    if (pos < 0 || (uint64_t)pos != r->headers_at || end < pos)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: does not start where the previous one ended", r->entries);
    if ((uint64_t)(end - pos) > HEADERS_MAX)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: %lld bytes of headers; at most %d",
                    r->entries, (long long)(end - pos), HEADERS_MAX);
    if (r->headers_lost || r->headers_len < (size_t)(end - pos) || end - pos < TAR_BLOCK)
        return fail(r->ctx, ENVELOPE_E_INTERNAL, "entry %d: header bytes not kept", r->entries);
    if ((rc = split_headers(r, (uint64_t)(end - pos), &pax, &ustar)) != ENVELOPE_OK ||
        (rc = check_name(r, &pax, ustar, path)) != ENVELOPE_OK ||
        (rc = check_size(r, &pax, ustar, size)) != ENVELOPE_OK)
        return rc;
    *data_at = (uint64_t)end;
    bundle_raw_expect(r, (uint64_t)end + padded(size));
    return ENVELOPE_OK;
}
