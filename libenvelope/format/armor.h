/* ASCII armor (docs/FORMAT.md, "ASCII armor"): an envelope as base64 lines
 * between a BEGIN and an END line, for channels that carry only text.
 * Written and read as a stream, in bounded memory. */
#ifndef ENVELOPE_ARMOR_H
#define ENVELOPE_ARMOR_H

#include <stddef.h>
#include <stdint.h>

#include "io/io.h"

#define ARMOR_BEGIN "-----BEGIN LIBENVELOPE ENVELOPE-----"
#define ARMOR_END "-----END LIBENVELOPE ENVELOPE-----"
/* What marks an input as armor, after any blank lines. */
#define ARMOR_BEGIN_PREFIX "-----BEGIN "
#define ARMOR_COLUMNS 64    /* base64 characters in every line but the last */
#define ARMOR_LINE_BYTES 48 /* what a full line holds */

/* A sink that armors what is written to it and passes the text to out. */
struct armor_writer {
    const struct sink *out;
    uint8_t line[ARMOR_LINE_BYTES]; /* bytes waiting for a full line */
    size_t line_len;
    char *text;                     /* lines waiting to be written */
    size_t text_len;
    int begun;                      /* the BEGIN line is out */
};

/* 0, or -1 when out of memory. */
int armor_writer_init(struct armor_writer *w, const struct sink *out);
/* An envelope_write_fn: arg is the writer. -1 with out's errno. */
int armor_write(void *arg, const uint8_t *p, size_t n);
/* Writes the last line and the END line: 0, or -1 with out's errno. */
int armor_writer_finish(struct armor_writer *w);
void armor_writer_free(struct armor_writer *w);

/* A source that decodes the armor read from in. Once the armor shows a
 * fault, its reads fail (EIO) and rc (ENVELOPE_E_NOT_ENVELOPE) and why say
 * what it was; a caller reports that instead of the failed read. */
struct armor_reader {
    envelope_ctx *ctx;
    const struct source *in;
    envelope_rc rc;
    char why[160];
    int state;
    int ended;                   /* in has ended */
    uint8_t raw[4096];           /* text read, not yet looked at */
    size_t raw_pos, raw_len;
    char line[ARMOR_COLUMNS];    /* the current line, white space at its end left out */
    size_t line_len;
    size_t spaces;               /* white space after the line's characters so far */
    unsigned long long line_no;  /* from 1 */
    size_t last_len;             /* characters of the last base64 line */
    int last_padded;             /* it ended in '=' */
    uint64_t decoded;            /* bytes handed out */
    uint8_t out[ARMOR_LINE_BYTES];
    size_t out_pos, out_len;
};

void armor_reader_init(struct armor_reader *r, envelope_ctx *ctx, const struct source *in);
/* An envelope_read_fn: arg is the reader. */
ssize_t armor_read(void *arg, uint8_t *buf, size_t len);

/* 1 if the n bytes that start an input begin an armor: any blank lines
 * (spaces, tabs, CR and LF), then ARMOR_BEGIN_PREFIX; or, where more may
 * follow (more non-zero), blank lines and then only the start of it, or
 * nothing. */
int armor_detect(const uint8_t *p, size_t n, int more);

/* How many bytes open and inspect look at to tell armor. */
#define ARMOR_SNIFF_LEN 64

/* What open and inspect read through: the armor decoded, or anything else
 * as it came. */
struct unarmor {
    uint8_t first[ARMOR_SNIFF_LEN];
    struct replay replay;
    struct source raw;
    struct armor_reader dec;
    struct source src;
    int armored;
};

/* Reads the first bytes of in and sets *out to the source to read the
 * envelope from. u must stay in place until unarmor_end. */
envelope_rc unarmor_begin(envelope_ctx *ctx, const struct source *in, struct unarmor *u,
                          const struct source **out);
/* rc, or the armor's own fault where the armor showed one. */
envelope_rc unarmor_end(envelope_ctx *ctx, const struct unarmor *u, envelope_rc rc);

#endif
