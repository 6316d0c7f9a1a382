/* Telling a compat envelope from what only has its size (docs/COMPAT.md,
 * "Telling a compat envelope"). A compat envelope is one bare RSA
 * ciphertext: nothing in it says what it is. So before anything is
 * decrypted, an input of the right size that a ciphertext would be with
 * negligible probability is refused as what it looks like instead: text,
 * or a v1 envelope whose magic is damaged. No key is used here, so this
 * says nothing about any key (no padding oracle). */
#include <string.h>

#include "format/armor.h"
#include "format/format.h"
#include "base/context.h"
#include "base/text.h"

/* The first bytes of every v1 envelope: magic, version 1, suite 1, flags 0. */
static const uint8_t V1_START[12] = {0x89, 'E', 'N', 'V', '\r', '\n', 0x1a, '\n', 1, 1, 0, 0};
/* At most this many of them may differ for an input to start like one. */
#define V1_START_DAMAGE 3

/* 1 if the first bytes differ from a v1 envelope's in at most
 * V1_START_DAMAGE of the *m compared: 12, or as many as an input of 8 to
 * 11 bytes has. */
static int starts_like_v1(const uint8_t *p, size_t n, size_t *differ, size_t *m)
{
    *m = n < sizeof(V1_START) ? n : sizeof(V1_START);
    *differ = 0;
    if (n < MAGIC_LEN)
        return 0;
    for (size_t i = 0; i < *m; i++)
        *differ += p[i] != V1_START[i];
    return *differ <= V1_START_DAMAGE;
}

/* 1 if p..end, shorter than the character it starts, is how a
 * well-formed character begins: the cut split it. */
static int split_char(const uint8_t *p, const uint8_t *end)
{
    size_t need = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
    uint8_t lo = p[0] == 0xe0 ? 0xa0 : p[0] == 0xf0 ? 0x90 : 0x80;
    uint8_t hi = p[0] == 0xed ? 0x9f : p[0] == 0xf4 ? 0x8f : 0xbf;

    if (p[0] < 0xc2 || p[0] > 0xf4 || (size_t)(end - p) >= need)
        return 0;
    if (end - p >= 2 && (p[1] < lo || p[1] > hi))
        return 0;
    for (const uint8_t *q = p + 2; q < end; q++)
        if ((*q & 0xc0) != 0x80)
            return 0;
    return 1;
}

/* 1 if p is text: well-formed UTF-8 with no control byte but tab, LF and
 * CR. cut: p is only the start of the input, and may stop inside a
 * character. */
static int is_text(const uint8_t *p, size_t n, int cut)
{
    const uint8_t *end = p + n;

    while (p < end) {
        uint32_t c;
        size_t len = utf8_decode(p, end, &c);

        if (len == 0)
            return cut && split_char(p, end);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            return 0;
        p += len;
    }
    return 1;
}

/* One RSA-2048, 3072 or 4096 ciphertext. */
static int compat_size_ok(size_t n)
{
    return n == 256 || n == 384 || n == 512;
}

envelope_rc compat_check(envelope_ctx *ctx, const uint8_t *p, size_t n)
{
    int cut = n > COMPAT_MAX, text;
    size_t differ, m;

    if (n == 0)
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE, "empty input");
    if (starts_like_v1(p, n, &differ, &m))
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE,
                    "the input starts like a v1 envelope whose magic is damaged (%zu of its "
                    "first %zu bytes differ)", differ, m);
    text = is_text(p, n, cut);
    if (text && memmem(p, n, ARMOR_BEGIN, strlen(ARMOR_BEGIN)) != NULL)
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE,
                    "text before the armor's BEGIN line: an armored envelope must start the "
                    "input (blank lines aside)");
    if (text)
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE,
                    "the input is text (UTF-8 without control characters), not an envelope");
    if (cut)
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE,
                    "no envelope magic, and the input is longer than a compat envelope (at "
                    "most %d bytes)", COMPAT_MAX);
    if (!compat_size_ok(n))
        return fail(ctx, ENVELOPE_E_NOT_ENVELOPE,
                    "no envelope magic, and %zu bytes is not the size of a compat envelope "
                    "(256, 384 or 512)", n);
    return ENVELOPE_OK;
}
