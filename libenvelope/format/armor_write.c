/* Writing armor (docs/FORMAT.md, "ASCII armor"): 48 bytes make a line of 64
 * base64 characters and LF; lines are gathered and written many at a time,
 * so that a descriptor sees few large writes. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "format/armor.h"

/* Lines gathered before a write: about 64 KiB of text. */
#define TEXT_LINES 1024
#define TEXT_MAX (TEXT_LINES * (ARMOR_COLUMNS + 1))

int armor_writer_init(struct armor_writer *w, const struct sink *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->text = malloc(TEXT_MAX);
    return w->text ? 0 : -1;
}

static int flush(struct armor_writer *w)
{
    int r = w->text_len ? w->out->write(w->out->arg, (const uint8_t *)w->text, w->text_len) : 0;

    w->text_len = 0;
    return r;
}

/* Appends a line of text and its LF, writing first if it would not fit. */
static int put_line(struct armor_writer *w, const char *s, size_t n)
{
    if (w->text_len + n + 1 > TEXT_MAX && flush(w) != 0)
        return -1;
    memcpy(w->text + w->text_len, s, n);
    w->text[w->text_len + n] = '\n';
    w->text_len += n + 1;
    return 0;
}

/* The waiting bytes as one base64 line. */
static int put_data_line(struct armor_writer *w)
{
    char chars[ARMOR_COLUMNS + 1]; /* EVP_EncodeBlock adds a NUL */
    int n = EVP_EncodeBlock((unsigned char *)chars, w->line, (int)w->line_len);

    w->line_len = 0;
    return put_line(w, chars, (size_t)n);
}

int armor_write(void *arg, const uint8_t *p, size_t n)
{
    struct armor_writer *w = arg;

    if (!w->begun && put_line(w, ARMOR_BEGIN, strlen(ARMOR_BEGIN)) != 0)
        return -1;
    w->begun = 1;
    while (n > 0) {
        size_t take = ARMOR_LINE_BYTES - w->line_len < n ? ARMOR_LINE_BYTES - w->line_len : n;

        memcpy(w->line + w->line_len, p, take);
        w->line_len += take;
        p += take;
        n -= take;
        if (w->line_len == ARMOR_LINE_BYTES && put_data_line(w) != 0)
            return -1;
    }
    return 0;
}

int armor_writer_finish(struct armor_writer *w)
{
    if (!w->begun && armor_write(w, NULL, 0) != 0)
        return -1;
    if (w->line_len > 0 && put_data_line(w) != 0)
        return -1;
    if (put_line(w, ARMOR_END, strlen(ARMOR_END)) != 0)
        return -1;
    return flush(w);
}

void armor_writer_free(struct armor_writer *w)
{
    free(w->text);
    w->text = NULL;
}
