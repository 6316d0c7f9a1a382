/* What the seal and open pipelines share with their public entry points:
 * byte sources and sinks, and the pipelines themselves. */
#ifndef ENVELOPE_PIPELINE_H
#define ENVELOPE_PIPELINE_H

#include <stdint.h>

#include "base/buf.h"
#include "envelope.h"
#include "format/format.h"
#include "pipeline/hasher.h"

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

/* Seals exactly size bytes from in, writing the envelope to out. */
envelope_rc seal_v1(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                    const struct source *in, const struct sink *out);

/* The same in steps, for a caller that pushes the message (sealer.c):
 * begin writes the header and the tar header stating size; push takes the
 * message's bytes, exactly size of them in all, which the caller counts;
 * end signs and writes the rest. Whatever happened, seal_v1_free(*state)
 * (NULL is a no-op). out is used only by begin. */
struct seal_state;
envelope_rc seal_v1_begin(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                          const struct sink *out, struct seal_state **state);
envelope_rc seal_v1_push(struct seal_state *s, const uint8_t *p, size_t n);
envelope_rc seal_v1_end(envelope_ctx *ctx, const envelope_seal_opts *opts, struct seal_state *s);
void seal_v1_free(struct seal_state *s);

/* What open leaves for its caller to release once it returns ENVELOPE_OK:
 * the signed manifest, and (v1) what a second pass over the same envelope
 * needs to release the message it verified. Secret: wiped after use. */
struct opened {
    uint8_t manifest[MANIFEST_MAX];
    size_t manifest_len;
    uint8_t sig[SIG_MAX];
    size_t sig_len;
    uint8_t payload_key[32];
    size_t header_len;
    char name[MESSAGE_NAME_MAX + 1];
    uint64_t size;
    uint8_t sha512[SHA512_LEN];
};

/* Opens from in, writing the message to msg as it is read: msg must be a
 * place nobody sees until the caller releases it. */
envelope_rc open_envelope(envelope_ctx *ctx, const envelope_open_opts *opts,
                          const struct source *in, const struct sink *msg, struct opened *raw,
                          envelope_result *result);
/* Decrypts again the envelope that open_envelope verified into raw, from
 * in (a copy this process kept), writing the message to msg; fails with
 * ENVELOPE_E_MESSAGE_MISMATCH unless name, size and SHA-512 come out as
 * verified. */
envelope_rc open_release(envelope_ctx *ctx, const struct opened *raw, const struct source *in,
                         const struct sink *msg);
/* Opens into msg, a place nobody sees until the caller releases it:
 * open_any, decoding any armor first (armor.h), with a fresh result handed
 * out only on success. raw may be NULL. */
envelope_rc open_into(envelope_ctx *ctx, const envelope_open_opts *opts,
                      const struct source *in, const struct sink *msg, struct opened *raw,
                      envelope_result **result);
/* The same for an input already past the armor. */
envelope_rc open_into_bare(envelope_ctx *ctx, const envelope_open_opts *opts,
                           const struct source *in, const struct sink *msg, struct opened *raw,
                           envelope_result **result);

#endif
