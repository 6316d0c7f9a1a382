/* The v1 header (docs/FORMAT.md, "Header"). Every length is checked against
 * what is left before it is used. */
#include <string.h>

#include "base/context.h"
#include "format/format.h"

envelope_rc header_peek(envelope_ctx *ctx, const uint8_t *p, size_t len, uint32_t *header_len)
{
    struct cursor c = {p, len};
    const uint8_t *magic;
    uint8_t version, suite;
    uint16_t flags;

    *header_len = 0;
    /* Input that stops inside the magic, after bytes that match it, ends
     * inside the header: truncated (FORMAT.md, "Payload: STREAM"), not foreign. */
    if (len > 0 && len < MAGIC_LEN && memcmp(p, MAGIC, len) == 0)
        return fail(ctx, ENVELOPE_E_TRUNCATED, "input ends inside the envelope magic");
    if (cur_take(&c, MAGIC_LEN, &magic) != 0 || memcmp(magic, MAGIC, MAGIC_LEN) != 0)
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE, "no envelope magic at the start");
    if (cur_u8(&c, &version) != 0 || cur_u8(&c, &suite) != 0 || cur_u16(&c, &flags) != 0 ||
        cur_u32(&c, header_len) != 0)
        return fail(ctx, ENVELOPE_E_TRUNCATED, "input ends inside the header");
    if (version != FORMAT_VERSION || suite != SUITE_P521_OAEP256_AES256GCM || flags != 0)
        return fail(ctx, ENVELOPE_E_UNKNOWN_VERSION,
                    "version %u, suite %u, flags 0x%04x; this library reads version 1, suite 1",
                    version, suite, flags);
    if (*header_len < HEADER_MIN_LEN || *header_len > HEADER_MAX_LEN)
        return fail(ctx, ENVELOPE_E_BAD_HEADER, "header length %u outside %u..%u", *header_len,
                    HEADER_MIN_LEN, HEADER_MAX_LEN);
    return ENVELOPE_OK;
}

/* A label is empty, or one or two identities (FORMAT.md, "Key identities": a fingerprint, a
 * KMS ARN, at most one of each) separated by single spaces. The label is
 * label_len bytes, NUL being no character of an identity: the checks below
 * see C strings, which would otherwise end early and pass whatever follows
 * the NUL (inspect would then show only the part before it). */
static int label_is_valid(const uint8_t *p, size_t len)
{
    int keys = 0, arns = 0;
    size_t start = 0;

    if (memchr(p, '\0', len) != NULL)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        char id[IDENTITY_MAX + 1];
        size_t n = i - start;

        if (i < len && p[i] != ' ')
            continue;
        /* an identity ends here: it must be non-empty */
        if (n == 0 || n > IDENTITY_MAX)
            return len == 0;
        memcpy(id, p + start, n);
        id[n] = '\0';
        if (identity_is_valid_fingerprint(id))
            keys++;
        else if (identity_is_valid_arn(id, n))
            arns++;
        else
            return 0;
        start = i + 1;
    }
    return keys <= 1 && arns <= 1;
}

static envelope_rc parse_stanza(envelope_ctx *ctx, struct cursor *c, struct stanza *s, size_t i)
{
    uint16_t label_len, wrapped_len;
    const uint8_t *label, *wrapped;

    if (cur_u16(c, &label_len) != 0 || label_len > LABEL_MAX ||
        cur_take(c, label_len, &label) != 0)
        return fail(ctx, ENVELOPE_E_BAD_HEADER, "stanza %zu: label length out of bounds", i + 1);
    if (!label_is_valid(label, label_len))
        return fail(ctx, ENVELOPE_E_BAD_HEADER, "stanza %zu: label is not a list of identities",
                    i + 1);
    if (cur_u16(c, &wrapped_len) != 0 ||
        (wrapped_len != 256 && wrapped_len != 384 && wrapped_len != 512) ||
        cur_take(c, wrapped_len, &wrapped) != 0)
        return fail(ctx, ENVELOPE_E_BAD_HEADER, "stanza %zu: wrapped key length out of bounds",
                    i + 1);
    memcpy(s->label, label, label_len);
    s->label[label_len] = '\0';
    memcpy(s->wrapped, wrapped, wrapped_len);
    s->wrapped_len = wrapped_len;
    return ENVELOPE_OK;
}

envelope_rc header_parse(envelope_ctx *ctx, const uint8_t *p, size_t len, struct header *h)
{
    struct cursor c = {p, len};
    const uint8_t *skip, *salt;
    uint32_t header_len, chunk_size;
    uint8_t count;
    envelope_rc rc;

    memset(h, 0, sizeof(*h));
    if ((rc = header_peek(ctx, p, len, &header_len)) != ENVELOPE_OK)
        return rc;
    if (header_len != len)
        return fail(ctx, ENVELOPE_E_INTERNAL, "header length mismatch");
    (void)cur_take(&c, HEADER_PREFIX_LEN, &skip); /* checked by header_peek */
    if (cur_take(&c, SALT_LEN, &salt) != 0 || cur_u32(&c, &chunk_size) != 0 ||
        cur_u8(&c, &count) != 0)
        return fail(ctx, ENVELOPE_E_BAD_HEADER, "header too short for its fixed fields");
    if (chunk_size != CHUNK_SIZE)
        return fail(ctx, ENVELOPE_E_BAD_HEADER, "chunk size %u; version 1 uses %u", chunk_size,
                    CHUNK_SIZE);
    if (count < 1 || count > STANZA_MAX)
        return fail(ctx, ENVELOPE_E_BAD_HEADER, "%u recipient stanzas; 1 to %u allowed", count,
                    STANZA_MAX);
    memcpy(h->salt, salt, SALT_LEN);
    for (size_t i = 0; i < count; i++)
        if ((rc = parse_stanza(ctx, &c, &h->stanzas[i], i)) != ENVELOPE_OK)
            return rc;
    if (c.left != 0)
        return fail(ctx, ENVELOPE_E_BAD_HEADER, "%zu bytes after the last stanza", c.left);
    h->n_stanzas = count;
    return ENVELOPE_OK;
}

envelope_rc header_encode(envelope_ctx *ctx, const struct header *h, struct bytes *out)
{
    size_t total = HEADER_FIXED_LEN;
    int err = 0;

    if (h->n_stanzas < 1 || h->n_stanzas > STANZA_MAX)
        return fail(ctx, ENVELOPE_E_TOO_MANY_RECIPIENTS, "%zu recipients; 1 to %u allowed",
                    h->n_stanzas, STANZA_MAX);
    for (size_t i = 0; i < h->n_stanzas; i++)
        total += 4 + strlen(h->stanzas[i].label) + h->stanzas[i].wrapped_len;
    err |= bytes_append(out, MAGIC, MAGIC_LEN);
    err |= bytes_put_u8(out, FORMAT_VERSION);
    err |= bytes_put_u8(out, SUITE_P521_OAEP256_AES256GCM);
    err |= bytes_put_u16(out, 0);
    err |= bytes_put_u32(out, (uint32_t)total);
    err |= bytes_append(out, h->salt, SALT_LEN);
    err |= bytes_put_u32(out, CHUNK_SIZE);
    err |= bytes_put_u8(out, (uint8_t)h->n_stanzas);
    for (size_t i = 0; i < h->n_stanzas; i++) {
        const struct stanza *s = &h->stanzas[i];
        size_t label_len = strlen(s->label);

        err |= bytes_put_u16(out, (uint16_t)label_len);
        err |= bytes_append(out, s->label, label_len);
        err |= bytes_put_u16(out, (uint16_t)s->wrapped_len);
        err |= bytes_append(out, s->wrapped, s->wrapped_len);
    }
    return err ? fail(ctx, ENVELOPE_E_NOMEM, "header") : ENVELOPE_OK;
}
