/* Reading the inner archive by the rules of docs/FORMAT.md, "Inner archive":
 * exactly three regular files, each behind a ustar header and perhaps one
 * pax header (tar_headers.c reads those), then the end-of-archive marker and
 * zeros only. Nothing but this layout is read: no other tar dialect, no
 * compression, no other entry type. */
#include <openssl/crypto.h>
#include <string.h>

#include "format/bundle.h"
#include "base/context.h"

#define OFF_SIZE 124
#define OFF_TYPE 156
#define END_MARKER (2 * TAR_BLOCK)

static uint64_t padded(uint64_t n)
{
    return (n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
}

envelope_rc bundle_reader_open(envelope_ctx *ctx, struct bundle_reader *r,
                               bundle_source_fn source, void *source_arg)
{
    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->source = source;
    r->source_arg = source_arg;
    return ENVELOPE_OK;
}

/* Up to want bytes where the source's current block stands, pulling the
 * next block when it is used up; *n = 0 at the end of the source. */
static envelope_rc take(struct bundle_reader *r, size_t want, const uint8_t **p, size_t *n)
{
    envelope_rc rc;

    *n = 0;
    while (r->block_pos == r->block_len) {
        if (r->source_done)
            return ENVELOPE_OK;
        r->block_pos = 0;
        r->block_len = 0;
        if ((rc = r->source(r->ctx, r->source_arg, &r->block, &r->block_len)) != ENVELOPE_OK)
            return rc;
        if (r->block_len == 0)
            r->source_done = 1;
    }
    *p = r->block + r->block_pos;
    *n = r->block_len - r->block_pos < want ? r->block_len - r->block_pos : want;
    r->block_pos += *n;
    return ENVELOPE_OK;
}

/* n bytes into buf; *got < n where the source ends first. */
static envelope_rc take_into(struct bundle_reader *r, uint8_t *buf, size_t n, size_t *got)
{
    const uint8_t *p;
    size_t k;
    envelope_rc rc;

    for (*got = 0; *got < n; *got += k) {
        if ((rc = take(r, n - *got, &p, &k)) != ENVELOPE_OK)
            return rc;
        if (k == 0)
            break;
        memcpy(buf + *got, p, k);
    }
    return ENVELOPE_OK;
}

/* Skips n bytes, which are not looked at; *got < n where the source ends. */
static envelope_rc skip(struct bundle_reader *r, uint64_t n, uint64_t *got)
{
    const uint8_t *p;
    size_t k;
    envelope_rc rc;

    for (*got = 0; *got < n; *got += k) {
        if ((rc = take(r, n - *got < SIZE_MAX ? (size_t)(n - *got) : SIZE_MAX, &p, &k)) !=
            ENVELOPE_OK)
            return rc;
        if (k == 0)
            break;
    }
    return ENVELOPE_OK;
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t any = 0;

    for (size_t i = 0; i < n; i++)
        any |= p[i];
    return any == 0;
}

/* The rest of the current entry, its data unread (and its padding), which
 * the caller has no use for; the source may not end inside it. */
static envelope_rc skip_entry(struct bundle_reader *r)
{
    uint64_t got;
    envelope_rc rc;

    /* the data, then the padding: their sum may not fit a size up to 2^64 - 1 */
    if ((rc = skip(r, r->left, &got)) != ENVELOPE_OK)
        return rc;
    r->left -= got;
    if (r->left == 0 && (rc = skip(r, r->pad, &got)) != ENVELOPE_OK)
        return rc;
    if (r->left > 0 || got < r->pad)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: archive ends inside its data",
                    r->entries);
    r->pad = 0;
    return ENVELOPE_OK;
}

/* n more header bytes at r->headers + at. */
static envelope_rc take_header(struct bundle_reader *r, size_t at, size_t n)
{
    size_t got;
    envelope_rc rc;

    if ((rc = take_into(r, r->headers + at, n, &got)) != ENVELOPE_OK)
        return rc;
    if (got < n)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: archive ends inside its header",
                    r->entries);
    return ENVELOPE_OK;
}

/* A pax header (in r->headers), its records and the ustar header after
 * them. Each part is checked once read, before the next is pulled: a fault
 * in it comes before a later chunk fails to open
 * (docs/FORMAT.md, "Opening, in order"). */
static envelope_rc read_pax_headers(struct bundle_reader *r, size_t *len)
{
    uint64_t body = 0;
    envelope_rc rc;

    if ((rc = tar_block_check(r->ctx, r->entries, r->headers)) != ENVELOPE_OK)
        return rc;
    if (tar_octal(r->headers + OFF_SIZE, 12, &body) != 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE,
                    "entry %d: headers other than one pax and one ustar header", r->entries);
    if (body > HEADERS_MAX - 2 * TAR_BLOCK)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: %llu bytes of headers; at most %d",
                    r->entries, (unsigned long long)(2 * TAR_BLOCK + padded(body)), HEADERS_MAX);
    if ((rc = take_header(r, TAR_BLOCK, (size_t)padded(body))) != ENVELOPE_OK ||
        (rc = tar_pax_check(r->ctx, r->entries, r->headers + TAR_BLOCK, (size_t)body)) !=
            ENVELOPE_OK ||
        (rc = take_header(r, TAR_BLOCK + (size_t)padded(body), TAR_BLOCK)) != ENVELOPE_OK)
        return rc;
    *len = 2 * TAR_BLOCK + (size_t)padded(body);
    return ENVELOPE_OK;
}

/* An entry's headers, into r->headers: one ustar header block, or a pax
 * header, its records and the ustar header. *len = 0: the archive ended
 * (the source, or the end-of-archive marker) where an entry was due. */
static envelope_rc read_headers(struct bundle_reader *r, size_t *len)
{
    size_t got;
    envelope_rc rc;

    *len = 0;
    if ((rc = take_into(r, r->headers, TAR_BLOCK, &got)) != ENVELOPE_OK)
        return rc;
    if (got == 0 || (got == TAR_BLOCK && all_zero(r->headers, TAR_BLOCK)))
        return ENVELOPE_OK;
    if (got < TAR_BLOCK)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: archive ends inside its header",
                    r->entries);
    if (r->headers[OFF_TYPE] == 'x')
        return read_pax_headers(r, len);
    *len = TAR_BLOCK;
    return ENVELOPE_OK;
}

/* The entry's name: want_name's bytes exactly, or the message's, by the
 * name rules. */
static envelope_rc check_name(struct bundle_reader *r, const struct tar_fields *f,
                              const char *want_name)
{
    const char *why;

    if (want_name != NULL) {
        if (f->name_len != strlen(want_name) || memcmp(f->name, want_name, f->name_len) != 0)
            return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d is \"%.*s\", expected %s",
                        r->entries, (int)(f->name_len < 64 ? f->name_len : 64),
                        (const char *)f->name, want_name);
        return ENVELOPE_OK;
    }
    if (message_name_check((const char *)f->name, f->name_len, &why) != 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "message name \"%.*s\": %s",
                    (int)(f->name_len < 64 ? f->name_len : 64), (const char *)f->name, why);
    return ENVELOPE_OK;
}

envelope_rc bundle_next(struct bundle_reader *r, const char *want_name, uint64_t max_size,
                        char name[MESSAGE_NAME_MAX + 1], uint64_t *size)
{
    struct tar_fields f;
    size_t len;
    envelope_rc rc;

    *size = 0;
    name[0] = '\0';
    if ((rc = skip_entry(r)) != ENVELOPE_OK)
        return rc;
    r->entries++;
    if ((rc = read_headers(r, &len)) != ENVELOPE_OK)
        return rc;
    if (len == 0)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "archive ends before %s",
                    want_name ? want_name : "the message");
    if ((rc = tar_headers_parse(r->ctx, r->entries, 1, r->headers, len, &f)) != ENVELOPE_OK ||
        (rc = check_name(r, &f, want_name)) != ENVELOPE_OK)
        return rc;
    if (max_size != 0 && f.size > max_size)
        return want_name ? fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "%s of %llu bytes exceeds %llu",
                                want_name, (unsigned long long)f.size,
                                (unsigned long long)max_size)
                         : fail(r->ctx, ENVELOPE_E_TOO_LARGE,
                                "message of %llu bytes; the limit is %llu",
                                (unsigned long long)f.size, (unsigned long long)max_size);
    /* check_name has bounded the length */
    memcpy(name, f.name, f.name_len);
    name[f.name_len] = '\0';
    *size = f.size;
    r->left = f.size;
    r->pad = (size_t)((TAR_BLOCK - f.size % TAR_BLOCK) % TAR_BLOCK);
    return ENVELOPE_OK;
}

envelope_rc bundle_read(struct bundle_reader *r, uint8_t *buf, size_t cap, size_t *n)
{
    size_t want = r->left < cap ? (size_t)r->left : cap;
    envelope_rc rc;

    *n = 0;
    if (want == 0)
        return ENVELOPE_OK;
    if ((rc = take_into(r, buf, want, n)) != ENVELOPE_OK)
        return rc;
    r->left -= *n;
    if (*n < want)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "entry %d: archive ends inside its data",
                    r->entries);
    return ENVELOPE_OK;
}

envelope_rc bundle_read_all(struct bundle_reader *r, uint8_t *buf, uint64_t size)
{
    size_t n;
    envelope_rc rc;

    if (size != r->left)
        return fail(r->ctx, ENVELOPE_E_INTERNAL, "entry of %llu bytes read as %llu",
                    (unsigned long long)r->left, (unsigned long long)size);
    if ((rc = bundle_read(r, buf, (size_t)size, &n)) != ENVELOPE_OK)
        return rc;
    return ENVELOPE_OK;
}

/* After manifest.sig's padded data: the end-of-archive marker, two zero
 * blocks, each checked as it is reached (a fourth entry is an archive fault
 * of step 5 in docs/FORMAT.md, "Opening, in order", reported before a chunk
 * after its header fails); then any number of zero bytes, checked once the
 * source has ended (step 6), so that a later chunk that fails to open is
 * reported first. */
envelope_rc bundle_reader_finish(struct bundle_reader *r)
{
    uint8_t marker[END_MARKER];
    const uint8_t *p;
    size_t n, got, more = 0;
    int nonzero = 0;
    envelope_rc rc;

    if ((rc = skip_entry(r)) != ENVELOPE_OK ||
        (rc = take_into(r, marker, TAR_BLOCK, &got)) != ENVELOPE_OK)
        return rc;
    if (got == TAR_BLOCK && !all_zero(marker, TAR_BLOCK))
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "more than three entries");
    if (got == TAR_BLOCK &&
        (rc = take_into(r, marker + TAR_BLOCK, TAR_BLOCK, &more)) != ENVELOPE_OK)
        return rc;
    if (got + more < END_MARKER || !all_zero(marker, END_MARKER))
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "no end-of-archive marker");
    do {
        if ((rc = take(r, SIZE_MAX, &p, &n)) != ENVELOPE_OK)
            return rc;
        nonzero |= !all_zero(p, n);
    } while (n > 0);
    if (nonzero)
        return fail(r->ctx, ENVELOPE_E_BAD_ARCHIVE, "non-zero bytes after the archive");
    return ENVELOPE_OK;
}

void bundle_reader_free(struct bundle_reader *r)
{
    /* the header bytes kept run on into the entries' data: plaintext */
    OPENSSL_cleanse(r->headers, sizeof(r->headers));
    r->block = NULL;
    r->block_len = r->block_pos = 0;
}
