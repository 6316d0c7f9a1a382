/* Byte sources and sinks: callbacks over descriptors, memory and a replay
 * of bytes already read, and the checks on how an input ends. */
#ifndef ENVELOPE_IO_H
#define ENVELOPE_IO_H

#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "envelope.h"

struct source {
    envelope_read_fn read;
    void *arg;
    int check_end; /* the size came from the file itself, which must end there */
};

struct space;

struct sink {
    envelope_write_fn write;
    void *arg;
    const char *where;         /* names the destination in errors; may be NULL */
    const struct space *space; /* checked once the message's size is known */
};

/* Reads until n bytes or the end; *got says how many came. */
envelope_rc source_read_full(envelope_ctx *ctx, const struct source *in, uint8_t *buf, size_t n,
                             size_t *got);

/* After size bytes were asked of in and got came: fails unless the input
 * ended there, saying that it shrank or, for a check_end source (whose size
 * fstat gave, as a hint), that it grew. One byte past size is read to tell. */
envelope_rc source_ended(envelope_ctx *ctx, const struct source *in, uint64_t got,
                         uint64_t size);

/* Non-zero if fd is on a pseudo file system (procfs, sysfs, debugfs, ...)
 * whose files report a size unrelated to what reading them gives. */
int fd_size_is_made_up(int fd);
/* Appends what fd holds from its position to its end to out, failing
 * (ENVELOPE_E_IO) if that is more than max bytes: for the small files of
 * pseudo file systems, whose size only reading tells. */
envelope_rc read_fd_whole(envelope_ctx *ctx, int fd, size_t max, struct bytes *out);

/* The fd and memory flavours of sources and sinks. */
ssize_t fd_read(void *arg, uint8_t *buf, size_t len);   /* arg: int * */
int fd_write(void *arg, const uint8_t *buf, size_t len); /* arg: int * */
struct mem_reader {
    const uint8_t *p;
    size_t left;
};
ssize_t mem_read(void *arg, uint8_t *buf, size_t len);  /* arg: struct mem_reader * */
int bytes_write(void *arg, const uint8_t *buf, size_t len); /* arg: struct bytes * */
/* Hands out bytes already read, then reads on from inner. */
struct replay {
    const uint8_t *p;
    size_t left;
    const struct source *inner;
};
ssize_t replay_read(void *arg, uint8_t *buf, size_t len); /* arg: struct replay * */

#endif
