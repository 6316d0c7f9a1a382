/* Key references that name files (docs/KEYS.md): a path or file:PATH. */
#ifndef ENVELOPE_KEYREF_H
#define ENVELOPE_KEYREF_H

#include "envelope.h"

/* The path in "file:PATH", or ref itself. */
const char *keyref_file_path(const char *ref);

#endif
