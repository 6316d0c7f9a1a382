/* Room on the disk: whether a message whose size the inner archive states
 * can fit where it is going, and what to say when a write finds no room. */
#ifndef ENVELOPE_SPACE_H
#define ENVELOPE_SPACE_H

#include <stdint.h>

#include "envelope.h"

#define SPACE_PLACES 2

/* A file system that will hold the message (or a spool as large): by an
 * open fd, or where fd is -1 by the directory holding path. shown names it
 * in errors. Neither string is copied. */
struct space_place {
    int fd;
    const char *path;
    const char *shown;
};

struct space {
    struct space_place at[SPACE_PLACES];
    size_t n;
};

/* Adds a place; one beyond SPACE_PLACES is ignored. */
void space_add_fd(struct space *s, int fd, const char *shown);
void space_add_beside(struct space *s, const char *path, const char *shown);
/* ENVELOPE_E_IO, naming the place and both numbers, if size bytes (twice
 * that where two places share a file system) exceed what statvfs says an
 * unprivileged user may still write there. A place that is no regular file
 * or directory (a pipe, a device), that statvfs cannot measure, or whose
 * file system states no size (f_blocks 0: a memfd) is not checked. s may be NULL: nothing to check. */
envelope_rc space_check(envelope_ctx *ctx, const struct space *s, uint64_t size);

/* The failure of a write that set errno err, to where (may be NULL): "no
 * space left on the device holding WHERE" for ENOSPC and EDQUOT, else
 * "WHAT: strerror(err)" (just WHAT if err is 0). ENVELOPE_E_IO; errno is
 * left as err. */
envelope_rc fail_write(envelope_ctx *ctx, int err, const char *where, const char *what);

#endif
