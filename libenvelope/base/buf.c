/* Bounded buffers: every length read from input passes through here. */
#include "base/buf.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int cur_take(struct cursor *c, size_t n, const uint8_t **out)
{
    if (n > c->left)
        return -1;
    *out = c->p;
    c->p += n;
    c->left -= n;
    return 0;
}

int cur_u8(struct cursor *c, uint8_t *v)
{
    const uint8_t *p;

    if (cur_take(c, 1, &p) != 0)
        return -1;
    *v = p[0];
    return 0;
}

int cur_u16(struct cursor *c, uint16_t *v)
{
    const uint8_t *p;

    if (cur_take(c, 2, &p) != 0)
        return -1;
    *v = (uint16_t)((p[0] << 8) | p[1]);
    return 0;
}

int cur_u32(struct cursor *c, uint32_t *v)
{
    const uint8_t *p;

    if (cur_take(c, 4, &p) != 0)
        return -1;
    *v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    return 0;
}

static int grow(struct bytes *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 256;
    uint8_t *p;

    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    /* realloc could leave a copy of a secret behind in freed memory. */
    if ((p = malloc(cap)) == NULL)
        return -1;
    if (b->len)
        memcpy(p, b->p, b->len);
    if (b->secret && b->p)
        OPENSSL_cleanse(b->p, b->cap);
    free(b->p);
    b->p = p;
    b->cap = cap;
    return 0;
}

int bytes_append(struct bytes *b, const void *p, size_t n)
{
    size_t limit = b->limit ? b->limit : SIZE_MAX;

    if (n > limit - b->len)
        return -1;
    if (b->len + n > b->cap && grow(b, b->len + n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int bytes_put_u8(struct bytes *b, uint8_t v)
{
    return bytes_append(b, &v, 1);
}

int bytes_put_u16(struct bytes *b, uint16_t v)
{
    uint8_t p[2] = {(uint8_t)(v >> 8), (uint8_t)v};

    return bytes_append(b, p, 2);
}

int bytes_put_u32(struct bytes *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

    return bytes_append(b, p, 4);
}

uint8_t *bytes_steal(struct bytes *b, size_t *len)
{
    uint8_t *p = b->p;

    *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void bytes_free(struct bytes *b)
{
    if (b->secret && b->p)
        OPENSSL_cleanse(b->p, b->cap);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void hex_lower(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int is_lower_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}
