/* header.c and identity.c: the v1 header codec
 * (docs/FORMAT.md, "Header") and how labels name keys ("Key identities"). */
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "testutil.h"

#define FP_ALICE "sha256:a1f8a346d3292f918ae0985f8b23a16726b3e1a538af86a91f1b86738e676a28"
#define FP_OTHER "sha256:0000000000000000000000000000000000000000000000000000000000000000"
#define ARN_A "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#define ARN_B "arn:aws:kms:eu-west-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab"

/* Offsets of the fixed fields. */
#define OFF_VERSION 8
#define OFF_SUITE 9
#define OFF_FLAGS 10
#define OFF_LEN 12
#define OFF_SALT 16
#define OFF_CHUNK 32
#define OFF_COUNT 36
#define OFF_STANZA 37

/* A stanza as raw bytes: lengths written as given, whatever they are. */
struct raw_stanza {
    const char *label;
    size_t label_len;   /* written in the label_len field */
    size_t wrapped_len; /* written, and that many bytes follow */
};

/* Builds header bytes field by field so that every field can be wrong.
 * header_len 0: the true length (plus trailing). */
static uint8_t *raw_header(const struct raw_stanza *st, size_t n, unsigned count,
                           uint32_t chunk, uint32_t header_len, size_t trailing, size_t *len)
{
    struct bytes b = {0};
    size_t total = HEADER_FIXED_LEN + trailing;
    static const uint8_t salt[SALT_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t wrapped[1024];

    memset(wrapped, 0x5a, sizeof(wrapped));
    for (size_t i = 0; i < n; i++)
        total += 4 + strlen(st[i].label) + st[i].wrapped_len;
    ck_assert_int_eq(bytes_append(&b, MAGIC, MAGIC_LEN), 0);
    ck_assert_int_eq(bytes_put_u8(&b, 1), 0);
    ck_assert_int_eq(bytes_put_u8(&b, 1), 0);
    ck_assert_int_eq(bytes_put_u16(&b, 0), 0);
    ck_assert_int_eq(bytes_put_u32(&b, header_len ? header_len : (uint32_t)total), 0);
    ck_assert_int_eq(bytes_append(&b, salt, SALT_LEN), 0);
    ck_assert_int_eq(bytes_put_u32(&b, chunk), 0);
    ck_assert_int_eq(bytes_put_u8(&b, (uint8_t)count), 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(bytes_put_u16(&b, (uint16_t)st[i].label_len), 0);
        ck_assert_int_eq(bytes_append(&b, st[i].label, strlen(st[i].label)), 0);
        ck_assert_int_eq(bytes_put_u16(&b, (uint16_t)st[i].wrapped_len), 0);
        ck_assert_int_eq(bytes_append(&b, wrapped, st[i].wrapped_len), 0);
    }
    for (size_t i = 0; i < trailing; i++)
        ck_assert_int_eq(bytes_put_u8(&b, 0), 0);
    return bytes_steal(&b, len);
}

/* One well-formed stanza with the given label. */
static uint8_t *one_stanza(const char *label, size_t *len)
{
    struct raw_stanza st = {label, strlen(label), 256};

    return raw_header(&st, 1, 1, CHUNK_SIZE, 0, 0, len);
}

static envelope_rc parse(const uint8_t *p, size_t len)
{
    struct header h;

    return header_parse(NULL, p, len, &h);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------ round trips */

START_TEST(encode_gives_documented_bytes)
{
    struct header h = {0};
    struct bytes b = {0};
    static const uint8_t fixed[] = {0x89, 'E', 'N', 'V', '\r', '\n', 0x1a, '\n', 1, 1, 0, 0};
    const size_t want_len = 37 + 2 + 71 + 2 + 256;

    for (int i = 0; i < SALT_LEN; i++)
        h.salt[i] = (uint8_t)(0xf0 + i);
    h.n_stanzas = 1;
    strcpy(h.stanzas[0].label, FP_ALICE);
    memset(h.stanzas[0].wrapped, 0xab, 256);
    h.stanzas[0].wrapped_len = 256;
    ck_assert_rc(header_encode(NULL, &h, &b), ENVELOPE_OK);
    ck_assert_uint_eq(b.len, want_len);
    ck_assert_mem_eq(b.p, fixed, sizeof(fixed));
    ck_assert_mem_eq(b.p + OFF_LEN, "\x00\x00\x01\x70", 4); /* 368 */
    ck_assert_mem_eq(b.p + OFF_SALT, h.salt, SALT_LEN);
    ck_assert_mem_eq(b.p + OFF_CHUNK, "\x00\x01\x00\x00", 4);
    ck_assert_uint_eq(b.p[OFF_COUNT], 1);
    ck_assert_mem_eq(b.p + OFF_STANZA, "\x00\x47", 2); /* 71 */
    ck_assert_mem_eq(b.p + OFF_STANZA + 2, FP_ALICE, 71);
    ck_assert_mem_eq(b.p + OFF_STANZA + 73, "\x01\x00", 2);
    ck_assert_mem_eq(b.p + OFF_STANZA + 75, h.stanzas[0].wrapped, 256);
    bytes_free(&b);
}
END_TEST

START_TEST(round_trip_sixteen_stanzas)
{
    static const size_t sizes[] = {256, 384, 512};
    struct header h = {0}, back;
    struct bytes b = {0};
    uint32_t len = 0;

    for (int i = 0; i < SALT_LEN; i++)
        h.salt[i] = (uint8_t)i;
    h.n_stanzas = STANZA_MAX;
    for (size_t i = 0; i < STANZA_MAX; i++) {
        struct stanza *s = &h.stanzas[i];

        switch (i % 4) {
        case 0: s->label[0] = '\0'; break;
        case 1: strcpy(s->label, FP_ALICE); break;
        case 2: strcpy(s->label, ARN_A); break;
        default: strcpy(s->label, FP_OTHER " " ARN_B); break;
        }
        s->wrapped_len = sizes[i % 3];
        memset(s->wrapped, (int)i, s->wrapped_len);
    }
    /* the longest label an identity list makes: a fingerprint and a
     * 256-byte ARN */
    strcpy(h.stanzas[15].label, FP_ALICE " arn:");
    memset(h.stanzas[15].label + 76, 'k', IDENTITY_MAX - 4);
    h.stanzas[15].label[76 + IDENTITY_MAX - 4] = '\0';
    ck_assert_rc(header_encode(NULL, &h, &b), ENVELOPE_OK);
    ck_assert_rc(header_peek(NULL, b.p, HEADER_PREFIX_LEN, &len), ENVELOPE_OK);
    ck_assert_uint_eq(len, b.len);
    ck_assert_rc(header_parse(NULL, b.p, b.len, &back), ENVELOPE_OK);
    ck_assert_uint_eq(back.n_stanzas, STANZA_MAX);
    ck_assert_mem_eq(back.salt, h.salt, SALT_LEN);
    for (size_t i = 0; i < STANZA_MAX; i++) {
        ck_assert_str_eq(back.stanzas[i].label, h.stanzas[i].label);
        ck_assert_uint_eq(back.stanzas[i].wrapped_len, h.stanzas[i].wrapped_len);
        ck_assert_mem_eq(back.stanzas[i].wrapped, h.stanzas[i].wrapped,
                         h.stanzas[i].wrapped_len);
    }
    bytes_free(&b);
}
END_TEST

START_TEST(encode_refuses_zero_and_seventeen_stanzas)
{
    struct header h = {0};
    struct bytes b = {0};

    h.n_stanzas = 0;
    ck_assert_rc(header_encode(NULL, &h, &b), ENVELOPE_E_TOO_MANY_RECIPIENTS);
    h.n_stanzas = STANZA_MAX + 1;
    ck_assert_rc(header_encode(NULL, &h, &b), ENVELOPE_E_TOO_MANY_RECIPIENTS);
    ck_assert_uint_eq(b.len, 0);
    bytes_free(&b);
}
END_TEST

/* -------------------------------------------------------- the fixed part */

START_TEST(magic_each_byte)
{
    size_t len;
    uint8_t *p = one_stanza(FP_ALICE, &len);
    uint32_t hl = 99;

    for (int i = 0; i < MAGIC_LEN; i++) {
        for (int bit = 0; bit < 8; bit++) {
            p[i] ^= (uint8_t)(1 << bit);
            ck_assert_rc(header_peek(NULL, p, len, &hl), ENVELOPE_E_NOT_ENVELOPE);
            ck_assert_uint_eq(hl, 0);
            ck_assert_rc(parse(p, len), ENVELOPE_E_NOT_ENVELOPE);
            p[i] ^= (uint8_t)(1 << bit);
        }
    }
    ck_assert_rc(parse(p, len), ENVELOPE_OK);
    free(p);
}
END_TEST

/* Input that stops inside the fixed prefix: not an envelope if empty or if
 * the bytes there are not the magic, truncated if they are. */
START_TEST(peek_short_input)
{
    size_t len;
    uint8_t *p = one_stanza(FP_ALICE, &len);
    uint32_t hl;

    ck_assert_rc(header_peek(NULL, p, 0, &hl), ENVELOPE_E_NOT_ENVELOPE);
    for (size_t n = 1; n < HEADER_PREFIX_LEN; n++)
        ck_assert_rc(header_peek(NULL, p, n, &hl), ENVELOPE_E_TRUNCATED);
    p[0] = 'x';
    for (size_t n = 1; n < HEADER_PREFIX_LEN; n++)
        ck_assert_rc(header_peek(NULL, p, n, &hl), ENVELOPE_E_NOT_ENVELOPE);
    free(p);
}
END_TEST

START_TEST(version_suite_flags_are_unknown_version)
{
    static const struct {
        int off;
        uint8_t value;
    } cases[] = {
        {OFF_VERSION, 0}, {OFF_VERSION, 2}, {OFF_VERSION, 0xff},   {OFF_SUITE, 0},
        {OFF_SUITE, 2},   {OFF_SUITE, 0xff}, {OFF_FLAGS, 0x80},     {OFF_FLAGS, 0x01},
        {OFF_FLAGS + 1, 0x01}, {OFF_FLAGS + 1, 0x80},
    };
    size_t len;
    uint8_t *p = one_stanza(FP_ALICE, &len);
    uint32_t hl;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t old = p[cases[i].off];

        p[cases[i].off] = cases[i].value;
        ck_assert_rc(header_peek(NULL, p, len, &hl), ENVELOPE_E_UNKNOWN_VERSION);
        ck_assert_rc(parse(p, len), ENVELOPE_E_UNKNOWN_VERSION);
        /* an unknown version is reported before a bad length */
        put_u32(p + OFF_LEN, 5);
        ck_assert_rc(header_peek(NULL, p, len, &hl), ENVELOPE_E_UNKNOWN_VERSION);
        put_u32(p + OFF_LEN, (uint32_t)len);
        p[cases[i].off] = old;
    }
    ck_assert_rc(parse(p, len), ENVELOPE_OK);
    free(p);
}
END_TEST

START_TEST(header_len_bounds)
{
    static const uint32_t bad[] = {0, 16, HEADER_MIN_LEN - 1, HEADER_MAX_LEN + 1, 0x01000000,
                                   0xffffffffu};
    size_t len;
    uint8_t *p = one_stanza("", &len); /* the smallest header: 297 bytes */
    uint32_t hl = 0;

    ck_assert_uint_eq(len, HEADER_MIN_LEN);
    ck_assert_uint_eq(HEADER_MIN_LEN, 297);
    ck_assert_rc(header_peek(NULL, p, len, &hl), ENVELOPE_OK);
    ck_assert_uint_eq(hl, 297);
    ck_assert_rc(parse(p, len), ENVELOPE_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put_u32(p + OFF_LEN, bad[i]);
        ck_assert_rc(header_peek(NULL, p, len, &hl), ENVELOPE_E_BAD_HEADER);
        ck_assert_uint_eq(hl, bad[i]);
    }
    /* the largest length passes the peek: a reader may then read that much */
    put_u32(p + OFF_LEN, HEADER_MAX_LEN);
    ck_assert_rc(header_peek(NULL, p, len, &hl), ENVELOPE_OK);
    ck_assert_uint_eq(hl, HEADER_MAX_LEN);
    free(p);
}
END_TEST

/* header_parse is handed exactly header_len bytes; anything else is a bug
 * in its caller, not bad input. */
START_TEST(parse_wants_exact_length)
{
    size_t len;
    uint8_t *p = one_stanza(FP_ALICE, &len);

    ck_assert_rc(parse(p, len - 1), ENVELOPE_E_INTERNAL);
    free(p);
}
END_TEST

START_TEST(chunk_size_must_be_64k)
{
    static const uint32_t bad[] = {0, 1, 65535, 65537, 131072, 0xffffffffu};
    struct raw_stanza st = {FP_ALICE, 71, 256};
    size_t len;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *p = raw_header(&st, 1, 1, bad[i], 0, 0, &len);

        ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
        free(p);
    }
}
END_TEST

START_TEST(stanza_count_bounds)
{
    struct raw_stanza st[STANZA_MAX + 1];
    size_t len;
    uint8_t *p;

    for (size_t i = 0; i <= STANZA_MAX; i++)
        st[i] = (struct raw_stanza){"", 0, 256};
    /* 0 stanzas; and a count of 0 in front of a real stanza */
    p = raw_header(st, 0, 0, CHUNK_SIZE, HEADER_MIN_LEN, HEADER_MIN_LEN - HEADER_FIXED_LEN,
                   &len);
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
    p = raw_header(st, 1, 0, CHUNK_SIZE, 0, 0, &len);
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
    /* 17 well-formed stanzas */
    p = raw_header(st, STANZA_MAX + 1, STANZA_MAX + 1, CHUNK_SIZE, 0, 0, &len);
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
    /* 16 is fine */
    p = raw_header(st, STANZA_MAX, STANZA_MAX, CHUNK_SIZE, 0, 0, &len);
    ck_assert_rc(parse(p, len), ENVELOPE_OK);
    free(p);
    /* a count above the stanzas present */
    p = raw_header(st, 2, 3, CHUNK_SIZE, 0, 0, &len);
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
}
END_TEST

/* ------------------------------------------------------------- stanzas */

START_TEST(label_length_bounds)
{
    char *label = malloc(LABEL_MAX + 2);
    struct raw_stanza st;
    size_t len;
    uint8_t *p;
    struct header h;

    /* past LABEL_MAX: refused on the length alone */
    memset(label, 'a', LABEL_MAX + 1);
    label[LABEL_MAX + 1] = '\0';
    st = (struct raw_stanza){label, LABEL_MAX + 1, 256};
    p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 0, &len);
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
    /* an ARN of IDENTITY_MAX bytes is an identity; one byte more is not */
    memcpy(label, "arn:", 4);
    memset(label + 4, 'k', IDENTITY_MAX - 4);
    label[IDENTITY_MAX] = '\0';
    st = (struct raw_stanza){label, IDENTITY_MAX, 256};
    p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 0, &len);
    ck_assert_rc(header_parse(NULL, p, len, &h), ENVELOPE_OK);
    ck_assert_uint_eq(strlen(h.stanzas[0].label), IDENTITY_MAX);
    free(p);
    label[IDENTITY_MAX] = 'k';
    label[IDENTITY_MAX + 1] = '\0';
    st = (struct raw_stanza){label, IDENTITY_MAX + 1, 256};
    p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 0, &len);
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
    /* a label length that runs past the header */
    st = (struct raw_stanza){"abc", 600, 256};
    p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 0, &len);
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
    free(label);
}
END_TEST

/* A label is empty or a list of key identities (FORMAT.md, "Header" and
 * 6): a fingerprint, a KMS ARN, or one of each, separated by one space. */
START_TEST(label_characters)
{
    static const char *bad[] = {
        " ",  "a ",  " a", "a  b", "a\tb", "a\x7f", "\x80", "a\xff b", "a\nb", "a\x01",
        "!",  "~",  "a b", "x y z", "alias/mykey", "sha256:a1f8", FP_ALICE " ", " " FP_ALICE,
        FP_ALICE "  " ARN_A, FP_ALICE " " FP_OTHER, ARN_A " " ARN_B,
        "sha256:A1F8A346D3292F918AE0985F8B23A16726B3E1A538AF86A91F1B86738E676A28",
        FP_ALICE "0", "arn:a b",
    };
    static const char *good[] = {"", FP_ALICE, ARN_A, FP_ALICE " " ARN_A, FP_OTHER " " ARN_B};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len;
        uint8_t *p = one_stanza(bad[i], &len);

        ck_assert_msg(parse(p, len) == ENVELOPE_E_BAD_HEADER, "label %zu accepted", i);
        free(p);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        size_t len;
        uint8_t *p = one_stanza(good[i], &len);
        struct header h;

        ck_assert_rc(header_parse(NULL, p, len, &h), ENVELOPE_OK);
        ck_assert_str_eq(h.stanzas[0].label, good[i]);
        free(p);
    }
}
END_TEST

/* A NUL inside a label is a bad character too (labels become C strings). */
START_TEST(label_with_nul)
{
    size_t len;
    uint8_t *p = one_stanza(FP_ALICE, &len);

    p[OFF_STANZA + 2 + 10] = '\0';
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
}
END_TEST

/* Bytes after a NUL that follows a whole identity are part of the label
 * too: the label is label_len bytes, not the C string before the NUL. */
START_TEST(label_nul_after_identity)
{
    static const char *labels[] = {FP_ALICE "@junk", ARN_A "@junk", FP_ALICE " " ARN_A "@",
                                   FP_ALICE "@ " ARN_A, FP_ALICE "@"};

    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        size_t len, at = strchr(labels[i], '@') - labels[i];
        uint8_t *p = one_stanza(labels[i], &len);
        envelope_ctx *ctx;
        struct header h;

        ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
        p[OFF_STANZA + 2 + at] = '\0';
        ck_assert_msg(header_parse(ctx, p, len, &h) == ENVELOPE_E_BAD_HEADER,
                      "label %zu with a NUL at %zu: %s (%s)", i, at,
                      envelope_rc_name(header_parse(ctx, p, len, &h)), envelope_ctx_detail(ctx));
        ck_assert_str_eq(envelope_ctx_detail(ctx),
                         "stanza 1: label is not a list of identities");
        envelope_ctx_free(ctx);
        free(p);
    }
}
END_TEST

START_TEST(wrapped_len_values)
{
    static const size_t bad[] = {0, 1, 32, 255, 257, 383, 385, 511, 513, 1024};
    static const size_t good[] = {256, 384, 512};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct raw_stanza st = {FP_ALICE, 71, bad[i]};
        size_t len;
        uint8_t *p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 0, &len);

        ck_assert_msg(parse(p, len) == ENVELOPE_E_BAD_HEADER, "wrapped_len %zu", bad[i]);
        free(p);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct raw_stanza st = {FP_ALICE, 71, good[i]};
        size_t len;
        uint8_t *p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 0, &len);
        struct header h;

        ck_assert_rc(header_parse(NULL, p, len, &h), ENVELOPE_OK);
        ck_assert_uint_eq(h.stanzas[0].wrapped_len, good[i]);
        free(p);
    }
}
END_TEST

/* header_len must be exactly the fixed fields plus the stanzas. */
START_TEST(trailing_and_missing_bytes)
{
    struct raw_stanza st = {FP_ALICE, 71, 256};
    size_t len;
    uint8_t *p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 1, &len);

    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
    p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 200, &len);
    ck_assert_rc(parse(p, len), ENVELOPE_E_BAD_HEADER);
    free(p);
    /* a header_len that ends inside the wrapped key */
    p = raw_header(&st, 1, 1, CHUNK_SIZE, 0, 0, &len);
    put_u32(p + OFF_LEN, (uint32_t)len - 1);
    ck_assert_rc(parse(p, len - 1), ENVELOPE_E_BAD_HEADER);
    free(p);
}
END_TEST

/* --------------------------------------------------------- identities */

START_TEST(identity_forms)
{
    char arn256[IDENTITY_MAX + 2];

    ck_assert_int_eq(identity_is_valid_fingerprint(FP_ALICE), 1);
    ck_assert_int_eq(identity_is_valid_fingerprint(FP_OTHER), 1);
    ck_assert_int_eq(identity_is_valid_fingerprint(""), 0);
    ck_assert_int_eq(identity_is_valid_fingerprint("sha256:"), 0);
    ck_assert_int_eq(identity_is_valid_fingerprint(
                         "sha256:A1F8A346D3292F918AE0985F8B23A16726B3E1A538AF86A91F1B86738E676A28"),
                     0);
    ck_assert_int_eq(identity_is_valid_fingerprint(FP_ALICE "0"), 0);
    ck_assert_int_eq(identity_is_valid_fingerprint(
                         "sha512:a1f8a346d3292f918ae0985f8b23a16726b3e1a538af86a91f1b86738e676a28"),
                     0);
    ck_assert_int_eq(identity_is_valid_arn(ARN_A, strlen(ARN_A)), 1);
    ck_assert_int_eq(identity_is_valid_arn("alias/foo", 9), 0);
    ck_assert_int_eq(identity_is_valid_arn("arn:", 4), 0);
    ck_assert_int_eq(identity_is_valid_arn("arn:a b", 7), 0);
    ck_assert_int_eq(identity_is_valid_arn("arn:a\"b", 7), 0);
    ck_assert_int_eq(identity_is_valid_arn("arn:a\\b", 7), 0);
    memcpy(arn256, "arn:", 4);
    memset(arn256 + 4, 'k', IDENTITY_MAX - 4);
    arn256[IDENTITY_MAX] = '\0';
    ck_assert_int_eq(identity_is_valid_arn(arn256, IDENTITY_MAX), 1);
    arn256[IDENTITY_MAX] = 'k';
    arn256[IDENTITY_MAX + 1] = '\0';
    ck_assert_int_eq(identity_is_valid_arn(arn256, IDENTITY_MAX + 1), 0);
}
END_TEST

START_TEST(identity_label_forms)
{
    struct identity id = {0};
    char label[LABEL_MAX + 1];

    identity_label(&id, label);
    ck_assert_str_eq(label, "");
    strcpy(id.key, FP_ALICE);
    identity_label(&id, label);
    ck_assert_str_eq(label, FP_ALICE);
    strcpy(id.kms, ARN_A);
    identity_label(&id, label);
    ck_assert_str_eq(label, FP_ALICE " " ARN_A);
    id.key[0] = '\0';
    identity_label(&id, label);
    ck_assert_str_eq(label, ARN_A);
}
END_TEST

/* 1: names this key; 0: names another key of a kind this key has (skip);
 * -1: cannot tell (try it). */
START_TEST(label_matches_semantics)
{
    struct identity fp = {0}, kms = {0}, both = {0}, none = {0};

    strcpy(fp.key, FP_ALICE);
    strcpy(kms.kms, ARN_A);
    strcpy(both.key, FP_ALICE);
    strcpy(both.kms, ARN_A);

    ck_assert_int_eq(label_matches("", &fp), -1);
    ck_assert_int_eq(label_matches("", &none), -1);
    ck_assert_int_eq(label_matches(FP_ALICE, &none), -1);
    ck_assert_int_eq(label_matches(FP_ALICE, &fp), 1);
    ck_assert_int_eq(label_matches(FP_OTHER, &fp), 0);
    ck_assert_int_eq(label_matches(ARN_A, &fp), -1);  /* no kind in common */
    ck_assert_int_eq(label_matches(FP_ALICE, &kms), -1);
    ck_assert_int_eq(label_matches(ARN_A, &kms), 1);
    ck_assert_int_eq(label_matches(ARN_B, &kms), 0);
    ck_assert_int_eq(label_matches(FP_OTHER " " ARN_A, &kms), 1);
    ck_assert_int_eq(label_matches(FP_OTHER " " ARN_A, &fp), 0);
    ck_assert_int_eq(label_matches(FP_ALICE " " ARN_B, &both), 1);
    ck_assert_int_eq(label_matches(FP_OTHER " " ARN_A, &both), 1);
    ck_assert_int_eq(label_matches(FP_OTHER " " ARN_B, &both), 0);
    /* a prefix of my fingerprint is not my fingerprint */
    ck_assert_int_eq(label_matches("sha256:a1f8", &kms), 0);
    ck_assert_int_eq(label_matches("sha256:a1f8", &fp), -1);
}
END_TEST

static Suite *header_suite(void)
{
    Suite *s = suite_create("header");
    TCase *codec = tcase_create("codec"), *bounds = tcase_create("bounds"),
          *ids = tcase_create("identities");

    tcase_add_test(codec, encode_gives_documented_bytes);
    tcase_add_test(codec, round_trip_sixteen_stanzas);
    tcase_add_test(codec, encode_refuses_zero_and_seventeen_stanzas);
    tcase_add_test(bounds, magic_each_byte);
    tcase_add_test(bounds, peek_short_input);
    tcase_add_test(bounds, version_suite_flags_are_unknown_version);
    tcase_add_test(bounds, header_len_bounds);
    tcase_add_test(bounds, parse_wants_exact_length);
    tcase_add_test(bounds, chunk_size_must_be_64k);
    tcase_add_test(bounds, stanza_count_bounds);
    tcase_add_test(bounds, label_length_bounds);
    tcase_add_test(bounds, label_characters);
    tcase_add_test(bounds, label_with_nul);
    tcase_add_test(bounds, label_nul_after_identity);
    tcase_add_test(bounds, wrapped_len_values);
    tcase_add_test(bounds, trailing_and_missing_bytes);
    tcase_add_test(ids, identity_forms);
    tcase_add_test(ids, identity_label_forms);
    tcase_add_test(ids, label_matches_semantics);
    suite_add_tcase(s, codec);
    suite_add_tcase(s, bounds);
    suite_add_tcase(s, ids);
    return s;
}

int main(void)
{
    return run_suite(header_suite()) ? 1 : 0;
}
