/* fuzz_open with compat envelopes allowed: see fuzz_open.c. */
#define FUZZ_ALLOW_COMPAT 1
#include "fuzz_open.c"
