/* UTF-8 text from untrusted sources: decoding, and spelling out what a
 * terminal would act on. */
#ifndef ENVELOPE_TEXT_H
#define ENVELOPE_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF) into *cp and returns its length, or 0
 * if p (p < end) does not start one. */
size_t utf8_decode(const unsigned char *p, const unsigned char *end, uint32_t *cp);

#endif
