/* Fingerprints as they are shown: the full one, then a short form to read
 * aloud when keys are exchanged, the first 16 hex digits of the SHA-256 in
 * groups of four ("sha256:e47b4ca1c04ab8db..." shows "(e47b-4ca1-c04a-b8db)").
 * Display only: keys are always matched on the full fingerprint. */
#include <string.h>

#include "cli.h"

#define PREFIX "sha256:"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define HEX_LEN 64

size_t fingerprint_short(const char *s, char out[FINGERPRINT_SHORT])
{
    size_t at = 0;

    /* A KMS key ARN, or anything else, has none. */
    if (strncmp(s, PREFIX, PREFIX_LEN) != 0 ||
        strspn(s + PREFIX_LEN, "0123456789abcdef") != HEX_LEN ||
        (s[PREFIX_LEN + HEX_LEN] != '\0' && s[PREFIX_LEN + HEX_LEN] != ' '))
        return 0;
    for (size_t group = 0; group < 4; group++) {
        memcpy(out + at, s + PREFIX_LEN + 4 * group, 4);
        at += 4;
        out[at++] = group < 3 ? '-' : '\0';
    }
    return PREFIX_LEN + HEX_LEN;
}

void fingerprint_print(FILE *f, const char *s)
{
    char short_form[FINGERPRINT_SHORT];
    size_t n = fingerprint_short(s, short_form);

    if (n == 0)
        fputs(s, f);
    else
        fprintf(f, "%.*s (%s)%s", (int)n, s, short_form, s + n);
}
