/* The manifest (docs/FORMAT.md, "Manifest"): its canonical encoding,
 * written directly (one fixed shape, so no JSON library is needed to write
 * it). Parsing is strict by construction (manifest_parse.c): the bytes must
 * be exactly what this encoder gives for the values they hold, which rules
 * out white space, other member orders, duplicate members and alternative
 * escapes in one comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/context.h"
#include "format/format.h"

/* "created" has four-digit years (FORMAT.md, "Manifest"). */
static int created_in_range(time_t t)
{
    struct tm tm;

    return gmtime_r(&t, &tm) != NULL && tm.tm_year + 1900 >= 1000 && tm.tm_year + 1900 <= 9999;
}

/* A JSON string as the canonical form writes it: `"` and `\` escaped, the
 * control characters as \b \f \n \r \t or \u00xx (lower-case hex), every
 * other byte as it is, UTF-8 included. */
static int put_string(struct bytes *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    int err = bytes_append(out, "\"", 1);

    while (*p && !err) {
        char esc[6] = {'\\', 0, '0', '0', 0, 0};
        size_t run = 0, n = 2;

        while (p[run] >= 0x20 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > 0) { /* a run of bytes written as they are */
            err |= bytes_append(out, p, run);
            p += run;
            continue;
        }
        switch (*p) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            n = 6;
        }
        err |= bytes_append(out, esc, n);
        p++;
    }
    return err | bytes_append(out, "\"", 1);
}

static int put_text(struct bytes *out, const char *text)
{
    return bytes_append(out, text, strlen(text));
}

/* {"key":...,"kms":...}, each member only where the identity has it.
 * The appends are chained with || (C leaves the order in which the
 * operands of | are evaluated unspecified), which also stops at the first
 * failure. */
static int put_identity(struct bytes *out, const struct identity *id)
{
    int err = put_text(out, "{");

    if (id->key[0])
        err = err || put_text(out, "\"key\":") || put_string(out, id->key);
    if (id->key[0] && id->kms[0])
        err = err || put_text(out, ",");
    if (id->kms[0])
        err = err || put_text(out, "\"kms\":") || put_string(out, id->kms);
    return err || put_text(out, "}");
}

/* The members in the order FORMAT.md gives, with no white space. */
static int put_manifest(struct bytes *out, const struct manifest *m, const char *created)
{
    char size[24];
    int err;

    snprintf(size, sizeof(size), "%llu", (unsigned long long)m->size);
    /* || and not |: the appends must happen in this order (put_identity) */
    err = put_text(out, "{\"format\":\"libenvelope/1\",\"name\":") || put_string(out, m->name) ||
          put_text(out, ",\"size\":") || put_text(out, size) || put_text(out, ",\"sha512\":") ||
          put_string(out, m->sha512) || put_text(out, ",\"header_sha256\":") ||
          put_string(out, m->header_sha256) || put_text(out, ",\"recipients\":[");
    for (size_t i = 0; i < m->n_recipients && !err; i++)
        err = (i > 0 && put_text(out, ",")) || put_identity(out, &m->recipients[i]);
    err = err || put_text(out, "],\"signer\":") || put_identity(out, &m->signer) ||
          put_text(out, ",\"created\":") || put_string(out, created) || put_text(out, "}");
    return err;
}

envelope_rc manifest_encode_raw(envelope_ctx *ctx, const struct manifest *m, struct bytes *out)
{
    size_t start = out->len;
    char created[32];
    struct tm tm;

    if (m->size > INT64_MAX)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "message size out of range");
    if (!created_in_range(m->created) || gmtime_r(&m->created, &tm) == NULL ||
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "creation time %lld is outside the years 1000 to 9999",
                    (long long)m->created);
    if (put_manifest(out, m, created) != 0) {
        out->len = start;
        return fail(ctx, ENVELOPE_E_NOMEM, "writing the manifest");
    }
    if (out->len - start > MANIFEST_MAX) {
        size_t len = out->len - start;

        out->len = start;
        return fail(ctx, ENVELOPE_E_TOO_MANY_RECIPIENTS,
                    "manifest of %zu bytes exceeds %u: fewer recipients or a shorter name", len,
                    MANIFEST_MAX);
    }
    return ENVELOPE_OK;
}
