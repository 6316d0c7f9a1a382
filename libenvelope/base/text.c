/* Text that is safe to print: every detail the library records passes
 * through envelope_escape(), and so does every line the CLI prints. Names
 * in an envelope are chosen by whoever holds the recipient's public key,
 * and a failure detail repeats them before anything has been verified. */
#include <stdio.h>
#include <string.h>

#include "envelope.h"
#include "base/text.h"

size_t utf8_decode(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
    uint32_t c = p[0], min;
    size_t n;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        n = 1, min = 0x80, c &= 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 2, min = 0x800, c &= 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 3, min = 0x10000, c &= 0x07;
    else
        return 0;
    if ((size_t)(end - p) <= n)
        return 0;
    for (size_t i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n + 1;
}

/* Characters that are valid UTF-8 but act on a terminal or reorder what it
 * shows: C1 controls (U+009B is CSI), the line and paragraph separators,
 * and the bidirectional marks, embeddings, overrides and isolates. */
static int is_active(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
           cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The next character of the text as it is shown, into piece: itself, or
 * \u{XXXX} for an active one; a byte that does not start valid UTF-8 is
 * \xXX on its own. Advances *p past it; returns the length of piece. */
static size_t next_piece(const unsigned char **p, const unsigned char *end, char piece[16])
{
    uint32_t cp = 0;
    size_t n = utf8_decode(*p, end, &cp);
    const unsigned char *at = *p;

    *p += n ? n : 1;
    if (n == 0 || (n == 1 && is_active(cp)))
        return (size_t)snprintf(piece, 16, "\\x%02X", at[0]);
    if (is_active(cp))
        return (size_t)snprintf(piece, 16, "\\u{%04X}", (unsigned)cp);
    memcpy(piece, at, n);
    return n;
}

size_t envelope_escape(char *out, size_t size, const char *text)
{
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    const unsigned char *end = p + strlen((const char *)p);
    size_t need = 0, kept = 0, len;
    int cut = 0;
    char piece[16];

    while (p < end) {
        len = next_piece(&p, end, piece);
        /* What does not fit whole is dropped, and all after it: no half
         * escape, no half character. */
        if (!cut && kept + len < size) {
            memcpy(out + kept, piece, len);
            kept += len;
        } else {
            cut = 1;
        }
        need += len;
    }
    if (size > 0)
        out[kept] = '\0';
    return need;
}
