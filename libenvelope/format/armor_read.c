/* Reading armor (docs/FORMAT.md, "ASCII armor"), strict about what it carries
 * and lenient only about transport: a line ends at LF, and the spaces,
 * tabs and CRs at its end are dropped; blank lines may come before the
 * BEGIN line and after the END line. Anything else is a fault, reported
 * with the line it is on. Memory: one line, one read buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format/armor.h"
#include "base/context.h"
#include "format/format.h"

enum {
    BEFORE,    /* blank lines, then the BEGIN line */
    BODY,      /* full base64 lines, then the last one */
    LAST_DONE, /* the last base64 line was short or padded: END must follow */
    AFTER,     /* after the END line: blank lines only */
    DONE,      /* the input ended where it may */
};

void armor_reader_init(struct armor_reader *r, envelope_ctx *ctx, const struct source *in)
{
    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->in = in;
    r->state = BEFORE;
    r->line_no = 1;
}

static int fault(struct armor_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first fault; always -1, for `return fault(...)`. Nothing of
 * the faulty line is handed out. */
static int fault(struct armor_reader *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    r->out_pos = r->out_len = 0;
    if (r->rc != ENVELOPE_OK)
        return -1;
    r->rc = ENVELOPE_E_NOT_ENVELOPE;
    n = snprintf(r->why, sizeof(r->why), "armor, line %llu: ", r->line_no);
    va_start(ap, fmt);
    vsnprintf(r->why + n, sizeof(r->why) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int line_is(const struct armor_reader *r, const char *s)
{
    return r->line_len == strlen(s) && memcmp(r->line, s, r->line_len) == 0;
}

static int line_starts(const struct armor_reader *r, const char *s)
{
    return r->line_len >= strlen(s) && memcmp(r->line, s, strlen(s)) == 0;
}

/* The value of a base64 character, or -1. */
static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Where the '=' padding of the line starts (line_len without any), after
 * checking that only '=' follow it, at most two, ending a quantum. */
static int padding_start(struct armor_reader *r, size_t *pad)
{
    const char *eq = memchr(r->line, '=', r->line_len);
    size_t p = eq ? (size_t)(eq - r->line) : r->line_len;

    for (size_t i = p; i < r->line_len; i++)
        if (r->line[i] != '=')
            return fault(r, "'=' inside the data, at column %zu", p + 1);
    if (r->line_len - p > 2 || (p < r->line_len && r->line_len % 4 != 0))
        return fault(r, "'=' inside the data, at column %zu", p + 1);
    *pad = p;
    return 0;
}

/* Decodes the line into out. The bits that the padding leaves unused must
 * be zero: one encoding per envelope. */
static int decode_line(struct armor_reader *r)
{
    uint32_t acc = 0;
    size_t pad = 0, bits = 0, n = 0;

    if (padding_start(r, &pad) != 0)
        return -1;
    for (size_t i = 0; i < pad; i++) {
        int v = b64_value(r->line[i]);

        if (v < 0)
            return fault(r, "column %zu: byte 0x%02x is not a base64 character", i + 1,
                         (unsigned char)r->line[i]);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            r->out[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (pad < r->line_len && (acc & ((1u << bits) - 1)) != 0)
        return fault(r, "non-canonical base64: the bits before the '=' padding are not zero");
    r->out_pos = 0;
    r->out_len = n;
    return 0;
}

/* The envelope inside must be v1: its first bytes are checked here, so
 * that what the armor holds is never taken for anything else. */
static int check_magic(struct armor_reader *r)
{
    size_t n = r->out_len < MAGIC_LEN ? r->out_len : MAGIC_LEN;

    if (r->decoded == 0 && memcmp(r->out, MAGIC, n) != 0)
        return fault(r, "the armor holds no v1 envelope (no envelope magic)");
    return 0;
}

static int body_line(struct armor_reader *r)
{
    if (r->line_len == 0)
        return fault(r, "an empty line inside the armor");
    if (line_is(r, ARMOR_END))
        return r->decoded == 0 ? fault(r, "the END line, with no data before it")
                               : (r->state = AFTER, 0);
    if (line_starts(r, "-----"))
        return fault(r, "a BEGIN or END line of another kind, or in the wrong place");
    if (decode_line(r) != 0 || check_magic(r) != 0)
        return -1;
    r->last_padded = memchr(r->line, '=', r->line_len) != NULL;
    r->last_len = r->line_len;
    if (r->line_len < ARMOR_COLUMNS || r->last_padded) {
        if (r->line_len % 4 != 0)
            return fault(r, "%zu base64 characters, not a multiple of 4", r->line_len);
        r->state = LAST_DONE;
    }
    return 0;
}

/* A line is complete: its characters are in line, its white space gone. */
static int end_line(struct armor_reader *r)
{
    switch (r->state) {
    case BEFORE:
        if (r->line_len == 0)
            return 0;
        if (!line_is(r, ARMOR_BEGIN))
            return fault(r, "not the BEGIN line '%s'", ARMOR_BEGIN);
        r->state = BODY;
        return 0;
    case BODY:
        return body_line(r);
    case LAST_DONE:
        if (line_is(r, ARMOR_END)) {
            r->state = AFTER;
            return 0;
        }
        if (r->line_len == 0)
            return fault(r, "an empty line inside the armor");
        r->line_no--; /* the line before is the one at fault */
        return r->last_padded
                   ? fault(r, "ends the data with '=' padding, but the next line is not the "
                              "END line")
                   : fault(r, "%zu base64 characters; every line but the last has %d",
                           r->last_len, ARMOR_COLUMNS);
    case AFTER:
        if (r->line_len == 0)
            return 0;
        return line_starts(r, ARMOR_BEGIN_PREFIX) ? fault(r, "a second armor block")
                                                  : fault(r, "text after the END line");
    default:
        return fault(r, "text after the end");
    }
}

/* White space: kept while it fits, and counted, until the line shows
 * whether it is at the end (dropped) or inside (part of the line). */
static void add_space(struct armor_reader *r, uint8_t c)
{
    if (r->line_len + r->spaces < sizeof(r->line))
        r->line[r->line_len + r->spaces] = (char)c;
    r->spaces++;
}

/* A line longer than any the armor has, told by what it starts with. */
static int too_long(struct armor_reader *r)
{
    if (r->state == BEFORE)
        return fault(r, "not the BEGIN line '%s'", ARMOR_BEGIN);
    if (r->state == AFTER)
        return line_starts(r, ARMOR_BEGIN_PREFIX) ? fault(r, "a second armor block")
                                                  : fault(r, "text after the END line");
    return fault(r, "longer than %d characters", ARMOR_COLUMNS);
}

/* A character that is not white space: the white space before it is
 * inside the line. */
static int add_char(struct armor_reader *r, uint8_t c)
{
    size_t n = r->line_len + r->spaces;

    r->line_len = n < sizeof(r->line) ? n : sizeof(r->line); /* what was kept */
    r->spaces = 0;
    if (r->line_len == sizeof(r->line))
        return too_long(r);
    r->line[r->line_len++] = (char)c;
    return 0;
}

/* Looks at the text read until a line gives bytes, the text runs out, or
 * a fault. */
static int scan(struct armor_reader *r)
{
    while (r->raw_pos < r->raw_len && r->out_pos == r->out_len) {
        uint8_t c = r->raw[r->raw_pos++];

        if (c == '\n') {
            if (end_line(r) != 0)
                return -1;
            r->line_no++;
            r->line_len = r->spaces = 0;
        } else if (is_space(c)) {
            add_space(r, c);
        } else if (add_char(r, c) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The input ended: the line it ended in counts as one, LF or not. */
static int at_end(struct armor_reader *r)
{
    if ((r->line_len > 0 || r->spaces > 0) && end_line(r) != 0)
        return -1;
    r->line_len = r->spaces = 0;
    if (r->state == BEFORE)
        return fault(r, "the input ends with no BEGIN line");
    if (r->state == BODY || r->state == LAST_DONE)
        return fault(r, "the input ends before the END line '%s'", ARMOR_END);
    r->state = DONE;
    return 0;
}

/* Reads more text; 0 at the end of the input. */
static ssize_t refill(struct armor_reader *r)
{
    ssize_t n;

    if (check_cancelled(r->ctx) != ENVELOPE_OK) {
        errno = EINTR; /* the caller sees the context cancelled */
        return -1;
    }
    if ((n = r->in->read(r->in->arg, r->raw, sizeof(r->raw))) > 0) {
        r->raw_pos = 0;
        r->raw_len = (size_t)n;
    }
    return n;
}

ssize_t armor_read(void *arg, uint8_t *buf, size_t len)
{
    struct armor_reader *r = arg;
    size_t got = 0;

    while (got < len) {
        if (r->out_pos < r->out_len) {
            size_t n = r->out_len - r->out_pos < len - got ? r->out_len - r->out_pos : len - got;

            memcpy(buf + got, r->out + r->out_pos, n);
            r->out_pos += n;
            r->decoded += n;
            got += n;
            continue;
        }
        if (r->rc != ENVELOPE_OK || r->state == DONE)
            break;
        if (r->raw_pos < r->raw_len) {
            if (scan(r) != 0)
                break;
            continue;
        }
        if (got > 0) /* hand out what there is before waiting for more */
            break;
        if (r->ended) {
            if (at_end(r) != 0)
                break;
            continue;
        }
        ssize_t n = refill(r);

        if (n < 0)
            return -1; /* errno as the read left it: EINTR is retried */
        r->ended = n == 0;
    }
    if (got == 0 && r->rc != ENVELOPE_OK) {
        errno = EIO;
        return -1;
    }
    return (ssize_t)got;
}

int armor_detect(const uint8_t *p, size_t n, int more)
{
    size_t i = 0, k = strlen(ARMOR_BEGIN_PREFIX);

    while (i < n && (is_space(p[i]) || p[i] == '\n'))
        i++;
    /* Blank lines may push the prefix past the bytes looked at: a part of
     * it that ends them is armor too when more follows. */
    if (n - i < k)
        return more && n > 0 && memcmp(p + i, ARMOR_BEGIN_PREFIX, n - i) == 0;
    return memcmp(p + i, ARMOR_BEGIN_PREFIX, k) == 0;
}

envelope_rc unarmor_begin(envelope_ctx *ctx, const struct source *in, struct unarmor *u,
                          const struct source **out)
{
    size_t got;
    envelope_rc rc;

    memset(u, 0, sizeof(*u));
    *out = NULL;
    if ((rc = source_read_full(ctx, in, u->first, sizeof(u->first), &got)) != ENVELOPE_OK)
        return rc;
    u->replay = (struct replay){u->first, got, in};
    u->raw = (struct source){replay_read, &u->replay, in->check_end};
    *out = &u->raw;
    if (!armor_detect(u->first, got, got == sizeof(u->first)))
        return ENVELOPE_OK;
    armor_reader_init(&u->dec, ctx, &u->raw);
    u->src = (struct source){armor_read, &u->dec, 0};
    u->armored = 1;
    *out = &u->src;
    return ENVELOPE_OK;
}

envelope_rc unarmor_end(envelope_ctx *ctx, const struct unarmor *u, envelope_rc rc)
{
    if (rc != ENVELOPE_OK && u->armored && u->dec.rc != ENVELOPE_OK)
        return fail(ctx, u->dec.rc, "%s", u->dec.why);
    return rc;
}
