/* The armor reader (armor_read.c): bytes as they might come from a text
 * channel. Read in one large piece and in pieces of 1 to 7 bytes, it must
 * give the same bytes and the same fault, of the one kind an armor has
 * (NOT_ENVELOPE, with a detail). What it accepts must be, once the
 * transport it allows is taken away (white space at line ends, blank
 * lines), exactly what the armor writer makes of the bytes decoded:
 * one armor per envelope. And the first bytes tell armor as the whole
 * input would. */
#include "format/armor.h"
#include "common.h"
#include "format/format.h"
#include "pipeline/pipeline.h"

/* A source handing out at most step bytes a read (0: all asked for). */
struct stepped {
    const uint8_t *p;
    size_t left, step, calls;
};

static ssize_t stepped_read(void *arg, uint8_t *buf, size_t len)
{
    struct stepped *s = arg;
    size_t n = len < s->left ? len : s->left;

    if (s->step && n > s->step)
        n = s->step;
    memcpy(buf, s->p, n);
    s->p += n;
    s->left -= n;
    s->calls++;
    return (ssize_t)n;
}

struct decoded {
    uint8_t *p;
    size_t len;
    envelope_rc rc;
    char why[sizeof(((struct armor_reader *)0)->why)];
};

/* Decodes data through a reader whose input comes step bytes at a time,
 * asking for want bytes a read. */
static void decode(const uint8_t *data, size_t size, size_t step, size_t want,
                   struct decoded *out)
{
    struct stepped s = {data, size, step, 0};
    struct source in = {stepped_read, &s, 0};
    struct armor_reader *r = malloc(sizeof(*r));
    ssize_t n;

    CHECK(r != NULL);
    armor_reader_init(r, fuzz_ctx(), &in);
    out->p = malloc(size + 1);
    out->len = 0;
    CHECK(out->p != NULL);
    /* Base64 never decodes to more bytes than it has characters. */
    while ((n = armor_read(r, out->p + out->len, want)) > 0) {
        out->len += (size_t)n;
        CHECK(out->len <= size);
    }
    out->rc = r->rc;
    memcpy(out->why, r->why, sizeof(out->why));
    CHECK(n == 0 ? r->rc == ENVELOPE_OK : r->rc == ENVELOPE_E_NOT_ENVELOPE);
    CHECK(r->rc == ENVELOPE_OK || (r->why[0] != '\0' && strnlen(r->why, sizeof(r->why)) <
                                                            sizeof(r->why)));
    /* Read again after the end or the fault: nothing more, the same answer. */
    CHECK(armor_read(r, out->p, 1) == n);
    free(r);
}

static int collect(void *arg, const uint8_t *p, size_t n)
{
    struct bytes *b = arg;

    return bytes_append(b, p, n);
}

/* The input without what transport may add: white space at line ends,
 * blank lines; each line ended by LF. */
static void normalized(const uint8_t *data, size_t size, struct bytes *out)
{
    size_t start = 0;

    for (size_t i = 0; i <= size; i++) {
        size_t end = i;

        if (i < size && data[i] != '\n')
            continue;
        while (end > start && (data[end - 1] == ' ' || data[end - 1] == '\t' ||
                               data[end - 1] == '\r'))
            end--;
        if (end > start) {
            CHECK(bytes_append(out, data + start, end - start) == 0);
            CHECK(bytes_append(out, "\n", 1) == 0);
        }
        start = i + 1;
    }
}

/* Accepted: the writer makes the same text of the decoded bytes. */
static void check_canonical(const uint8_t *data, size_t size, const struct decoded *d)
{
    struct bytes text = {0}, norm = {0};
    struct sink out = {collect, &text, NULL, NULL};
    struct armor_writer w;

    CHECK(d->len > 0);
    CHECK(memcmp(d->p, MAGIC, d->len < MAGIC_LEN ? d->len : MAGIC_LEN) == 0);
    CHECK(armor_writer_init(&w, &out) == 0);
    CHECK(armor_write(&w, d->p, d->len) == 0 && armor_writer_finish(&w) == 0);
    armor_writer_free(&w);
    normalized(data, size, &norm);
    CHECK(norm.len == text.len && memcmp(norm.p, text.p, text.len) == 0);
    bytes_free(&text);
    bytes_free(&norm);
}

/* Telling armor by the first bytes agrees with the whole input: one that
 * starts, after any blank bytes, with the BEGIN prefix is armor, however
 * many blank bytes push the prefix past the bytes looked at. */
static void check_detect(const uint8_t *data, size_t size)
{
    size_t n = size < ARMOR_SNIFF_LEN ? size : ARMOR_SNIFF_LEN, i = 0;
    size_t k = strlen(ARMOR_BEGIN_PREFIX);

    while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (size - i >= k && memcmp(data + i, ARMOR_BEGIN_PREFIX, k) == 0)
        CHECK(armor_detect(data, n, n == ARMOR_SNIFF_LEN) == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct decoded whole, pieces;
    size_t step = size ? (size_t)data[0] % 7 + 1 : 1;

    check_detect(data, size);
    decode(data, size, 0, 65536, &whole);
    decode(data, size, step, step + 3, &pieces);
    check_detail(fuzz_ctx());
    CHECK(whole.rc == pieces.rc && strcmp(whole.why, pieces.why) == 0);
    /* A fault may come after some bytes were handed out, at the same
     * point whatever the pieces. */
    CHECK(whole.len == pieces.len && memcmp(whole.p, pieces.p, whole.len) == 0);
    if (whole.rc == ENVELOPE_OK)
        check_canonical(data, size, &whole);
    free(whole.p);
    free(pieces.p);
    return 0;
}
