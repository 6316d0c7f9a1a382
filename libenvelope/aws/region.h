/* The region AWS calls are made in: a name's shape, and where the
 * configuration gives one. */
#ifndef ENVELOPE_REGION_H
#define ENVELOPE_REGION_H

#include <stddef.h>

#include "envelope.h"

#define REGION_MAX 32

/* The region from AWS_REGION, else AWS_DEFAULT_REGION, else the profile's
 * "region" in the config (or credentials) file: ENVELOPE_OK with out ""
 * when none has one; ENVELOPE_E_INVALID_ARGUMENT when the value is not a
 * region name or a file cannot be read. */
envelope_rc region_resolve(envelope_ctx *ctx, char out[REGION_MAX + 1]);
/* 1 if s looks like a region name ("us-east-1", "cn-north-1"). */
int region_is_valid(const char *s, size_t len);

#endif
