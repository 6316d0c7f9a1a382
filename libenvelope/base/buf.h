/* Bounded buffers: a read cursor that cannot step past its end, and a
 * growable byte string that knows whether to wipe itself. */
#ifndef ENVELOPE_BUF_H
#define ENVELOPE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
    const uint8_t *p;
    size_t left;
};

/* Each returns 0, or -1 without moving when fewer bytes are left. */
int cur_u8(struct cursor *c, uint8_t *v);
int cur_u16(struct cursor *c, uint16_t *v);
int cur_u32(struct cursor *c, uint32_t *v);
int cur_take(struct cursor *c, size_t n, const uint8_t **out);

struct bytes {
    uint8_t *p;
    size_t len, cap;
    size_t limit;   /* appending past this fails; 0 means SIZE_MAX */
    int secret;     /* wipe on growth and on free */
};

int bytes_append(struct bytes *b, const void *p, size_t n);
int bytes_put_u8(struct bytes *b, uint8_t v);
int bytes_put_u16(struct bytes *b, uint16_t v);
int bytes_put_u32(struct bytes *b, uint32_t v);
/* Gives up ownership of the contents, leaving b empty. */
uint8_t *bytes_steal(struct bytes *b, size_t *len);
void bytes_free(struct bytes *b);

/* Lowercase hex of n bytes into out (2n+1 bytes with the NUL). OpenSSL's
 * hex helpers write uppercase with separators; identities need lowercase. */
void hex_lower(const uint8_t *p, size_t n, char *out);



/* 1 if s holds exactly n lowercase hex digits. */
int is_lower_hex(const char *s, size_t n);
#endif
