/* Writing the inner archive as docs/FORMAT.md, "Inner archive" says writers
 * write it: a ustar header per entry, with a pax extended header before it
 * only where ustar cannot hold the name (over 100 bytes, or not ASCII) or
 * the size (8 GiB or more). Data goes straight to the sink; the sink does
 * its own chunking. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "format/bundle.h"
#include "base/context.h"

#define USTAR_NAME_MAX 100
#define USTAR_SIZE_LIMIT ((uint64_t)1 << 33) /* 11 octal digits */
/* A pax body: "NNN path=" + a name of at most 255 bytes + "\n", and
 * "NN size=" + 20 digits + "\n". */
#define PAX_BODY_MAX 320

static const uint8_t zeros[TAR_BLOCK];

time_t bundle_mtime(time_t created)
{
    return created < 0 ? 0 : created > BUNDLE_MTIME_MAX ? BUNDLE_MTIME_MAX : created;
}

/* An octal number in a field of len bytes: len - 1 digits, then a NUL. */
static void put_octal(uint8_t *field, size_t len, uint64_t v)
{
    for (size_t i = len - 1; i > 0; i--) {
        field[i - 1] = (uint8_t)('0' + (v & 7));
        v >>= 3;
    }
    field[len - 1] = '\0';
}

/* A ustar header: the fields FORMAT.md fixes, then the checksum over the
 * whole block with its own field taken as spaces. */
static void ustar_header(uint8_t block[TAR_BLOCK], const uint8_t *name, size_t name_len,
                         char type, uint64_t size, time_t mtime)
{
    uint64_t sum = 0;

    memset(block, 0, TAR_BLOCK);
    memcpy(block, name, name_len);
    put_octal(block + 100, 8, 0600);    /* mode */
    put_octal(block + 108, 8, 0);       /* uid */
    put_octal(block + 116, 8, 0);       /* gid */
    put_octal(block + 124, 12, size);
    put_octal(block + 136, 12, (uint64_t)mtime);
    block[156] = (uint8_t)type;
    memcpy(block + 257, "ustar\0" "00", 8);
    memset(block + 148, ' ', 8);
    for (size_t i = 0; i < TAR_BLOCK; i++)
        sum += block[i];
    put_octal(block + 148, 7, sum);     /* six digits, a NUL, then the space */
}

/* One record "LEN KEY=VALUE\n", LEN counting its own digits. */
static size_t pax_record(uint8_t *out, const char *key, const uint8_t *value, size_t value_len)
{
    size_t base = 1 + strlen(key) + 1 + value_len + 1, len = base + 1, digits;

    while ((digits = (size_t)snprintf(NULL, 0, "%zu", len)) != len - base)
        len = base + digits;
    snprintf((char *)out, digits + 1, "%zu", len);
    out[digits] = ' ';
    memcpy(out + digits + 1, key, strlen(key));
    out[digits + 1 + strlen(key)] = '=';
    memcpy(out + digits + 2 + strlen(key), value, value_len);
    out[len - 1] = '\n';
    return len;
}

static int needs_pax_name(const char *name, size_t len)
{
    if (len > USTAR_NAME_MAX)
        return 1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] >= 0x80)
            return 1;
    return 0;
}

envelope_rc bundle_writer_open(envelope_ctx *ctx, struct bundle_writer *w, time_t mtime,
                               bundle_sink_fn sink, void *sink_arg)
{
    memset(w, 0, sizeof(*w));
    w->ctx = ctx;
    w->sink = sink;
    w->sink_arg = sink_arg;
    w->mtime = bundle_mtime(mtime);
    return ENVELOPE_OK;
}

/* The previous entry must be whole: then its padding. */
static envelope_rc end_entry(struct bundle_writer *w)
{
    envelope_rc rc;

    if (w->left != 0)
        return fail(w->ctx, ENVELOPE_E_INTERNAL, "archive entry %llu bytes short",
                    (unsigned long long)w->left);
    if (w->pad > 0 && (rc = w->sink(w->ctx, w->sink_arg, zeros, w->pad)) != ENVELOPE_OK)
        return rc;
    w->pad = 0;
    return ENVELOPE_OK;
}

envelope_rc bundle_write_header(struct bundle_writer *w, const char *name, uint64_t size)
{
    /* a pax header, its body (one block), the ustar header */
    uint8_t out[3 * TAR_BLOCK], body[PAX_BODY_MAX], digits[24];
    size_t name_len = strlen(name), body_len = 0, at = 0;
    envelope_rc rc;

    if (name_len == 0 || name_len > MESSAGE_NAME_MAX)
        return fail(w->ctx, ENVELOPE_E_INTERNAL, "archive entry name of %zu bytes", name_len);
    if ((rc = end_entry(w)) != ENVELOPE_OK)
        return rc;
    if (needs_pax_name(name, name_len))
        body_len += pax_record(body, "path", (const uint8_t *)name, name_len);
    if (size >= USTAR_SIZE_LIMIT)
        body_len += pax_record(body + body_len, "size", digits,
                               (size_t)snprintf((char *)digits, sizeof(digits), "%llu",
                                                (unsigned long long)size));
    if (body_len > 0) {
        ustar_header(out, (const uint8_t *)"PaxHeader", 9, 'x', body_len, w->mtime);
        memset(out + TAR_BLOCK, 0, TAR_BLOCK);
        memcpy(out + TAR_BLOCK, body, body_len);
        at = 2 * TAR_BLOCK;
    }
    /* Where pax holds the name, the ustar name field holds what fits of it,
     * in ASCII; readers take the pax path. */
    if (needs_pax_name(name, name_len)) {
        uint8_t ascii[USTAR_NAME_MAX];
        size_t n = name_len < USTAR_NAME_MAX ? name_len : USTAR_NAME_MAX;

        for (size_t i = 0; i < n; i++)
            ascii[i] = (unsigned char)name[i] < 0x80 ? (uint8_t)name[i] : '_';
        ustar_header(out + at, ascii, n, '0', size < USTAR_SIZE_LIMIT ? size : 0, w->mtime);
        OPENSSL_cleanse(ascii, sizeof(ascii));
    } else {
        ustar_header(out + at, (const uint8_t *)name, name_len, '0', size, w->mtime);
    }
    at += TAR_BLOCK;
    rc = w->sink(w->ctx, w->sink_arg, out, at);
    /* the name is the message's, and plaintext */
    OPENSSL_cleanse(out, sizeof(out));
    OPENSSL_cleanse(body, sizeof(body));
    if (rc != ENVELOPE_OK)
        return rc;
    w->left = size;
    w->pad = (size_t)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);
    return ENVELOPE_OK;
}

envelope_rc bundle_write_data(struct bundle_writer *w, const uint8_t *p, size_t n)
{
    envelope_rc rc;

    if (n > w->left)
        return fail(w->ctx, ENVELOPE_E_INTERNAL, "archive entry longer than its header says");
    if (n > 0 && (rc = w->sink(w->ctx, w->sink_arg, p, n)) != ENVELOPE_OK)
        return rc;
    w->left -= n;
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
    envelope_rc rc;

    if ((rc = end_entry(w)) != ENVELOPE_OK ||
        (rc = w->sink(w->ctx, w->sink_arg, zeros, TAR_BLOCK)) != ENVELOPE_OK)
        return rc;
    return w->sink(w->ctx, w->sink_arg, zeros, TAR_BLOCK);
}

void bundle_writer_free(struct bundle_writer *w)
{
    memset(w, 0, sizeof(*w));
}
