/* The library's version, and the sizes callers allocate. */
#include "envelope.h"

const char *envelope_version(void)
{
    return ENVELOPE_VERSION_STRING;
}

unsigned long envelope_version_number(void)
{
    return ENVELOPE_VERSION_NUMBER;
}

size_t envelope_fingerprint_size(void)
{
    return ENVELOPE_FINGERPRINT_SIZE;
}
