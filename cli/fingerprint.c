/* Fingerprints as they are shown: the full one, then a short form to read
 * aloud when keys are exchanged, the first 16 hex digits of the SHA-256 in
 * groups of four ("sha256:e47b4ca1c04ab8db..." shows "(e47b-4ca1-c04a-b8db)").
 * Display only: keys are always matched on the full fingerprint. */
#include <string.h>

#include "cli.h"

#define PREFIX "sha256:"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define HEX_LEN 64

const char *fingerprint_shown(const char *fp, char out[FINGERPRINT_SHOWN])
{
    size_t at = 0;

    /* A KMS key ARN, or anything else, is shown as it is. */
    if (strncmp(fp, PREFIX, PREFIX_LEN) != 0 ||
        strspn(fp + PREFIX_LEN, "0123456789abcdef") != HEX_LEN || fp[PREFIX_LEN + HEX_LEN])
        return fp;
    memcpy(out, fp, PREFIX_LEN + HEX_LEN);
    at = PREFIX_LEN + HEX_LEN;
    memcpy(out + at, " (", 2);
    at += 2;
    for (size_t group = 0; group < 4; group++) {
        memcpy(out + at, fp + PREFIX_LEN + 4 * group, 4);
        at += 4;
        out[at++] = group < 3 ? '-' : ')';
    }
    out[at] = '\0';
    return out;
}
