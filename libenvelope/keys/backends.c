/* The key backends that references reach by their scheme. This table is the
 * one place the key layer names another backend: a new one is a folder of
 * its own and a line here. */
#include <string.h>

#include "keys/keys.h"
#include "aws/kms_key.h"

static const struct key_backend *const by_scheme[] = {
    &kms_backend,
};

const struct key_backend *key_backend_for_ref(const char *ref)
{
    for (size_t i = 0; i < sizeof(by_scheme) / sizeof(by_scheme[0]); i++)
        if (strncmp(ref, by_scheme[i]->scheme, strlen(by_scheme[i]->scheme)) == 0)
            return by_scheme[i];
    return NULL;
}
