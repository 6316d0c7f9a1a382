/* Key references: which backend a string names. */
#include "keyref.h"

#include <string.h>

int keyref_is_kms(const char *ref)
{
    return strncmp(ref, "awskms://", 9) == 0;
}

const char *keyref_file_path(const char *ref)
{
    return strncmp(ref, "file:", 5) == 0 ? ref + 5 : ref;
}
