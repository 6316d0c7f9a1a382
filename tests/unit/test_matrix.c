/* The adversarial sweep: every truncation and single-bit flips of a small
 * golden envelope made at test time, each opened with envelope_open_mem
 * and envelope_open_file, asserting the exact error the region it hits
 * must give and that nothing is left behind; and chunks of a multi-chunk
 * envelope swapped, duplicated, dropped and extended.
 *
 * Every open past the header costs an RSA decryption, so by default the
 * sweep flips every bit of the header but one bit of each payload byte
 * (the bit position turning with the byte, so all eight are covered): the
 * payload is one AES-GCM chunk, where each flip meets the same tag check.
 * ENVELOPE_TEST_SLOW=2 flips every payload bit too (about a minute);
 * ENVELOPE_TEST_SLOW=0 (the valgrind run) samples: one bit of each fixed
 * and length field, of both ends of labels and wrapped keys, and of every
 * 61st byte; cuts around the magic and the header's end and every 61st. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "testutil.h"

#define SEALED_CHUNK (CHUNK_SIZE + 16)
#define SAMPLE 61

static envelope_ctx *ctx;
static envelope_key *alice, *bob;
static envelope_open_opts *opts; /* alice decrypts, signer.pub trusted */
static char *scratch;

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    bob = load_test_key(ctx, "bob.pub");
    opts = open_opts_for(ctx, alice);
    scratch = make_temp_dir();
}

static void teardown(void)
{
    rm_tree(scratch);
    free(scratch);
    envelope_open_opts_free(opts);
    envelope_key_free(bob);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

/* ---------------------------------------------------------- the golden */

/* Where each field of a stanza lies, read back from the bytes. */
struct layout {
    size_t label_len_off, label_off, label_len, wrapped_len_off, wrapped_off, wrapped_len;
};

struct golden {
    uint8_t *env;
    size_t len, hl;
    size_t n_stanzas, mine; /* alice's stanza */
    struct layout st[STANZA_MAX];
};

static size_t be16(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

static size_t be32(const uint8_t *p)
{
    return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

/* Seals msg to the recipients (alice last) and records the layout. */
static void make_golden(struct golden *g, envelope_key **to, size_t n, int hide,
                        const uint8_t *msg, size_t msg_len)
{
    envelope_seal_opts *so = seal_opts_for(ctx, to, n, TEST_CREATED);
    size_t off = HEADER_FIXED_LEN;

    ck_assert_rc(envelope_seal_opts_set_hide_recipients(so, hide), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, msg, msg_len, &g->env, &g->len), ENVELOPE_OK);
    envelope_seal_opts_free(so);
    g->hl = be32(g->env + 12);
    g->n_stanzas = n;
    g->mine = n - 1;
    for (size_t i = 0; i < n; i++) {
        struct layout *l = &g->st[i];

        l->label_len_off = off;
        l->label_len = be16(g->env + off);
        l->label_off = off + 2;
        l->wrapped_len_off = l->label_off + l->label_len;
        l->wrapped_len = be16(g->env + l->wrapped_len_off);
        l->wrapped_off = l->wrapped_len_off + 2;
        off = l->wrapped_off + l->wrapped_len;
    }
    ck_assert_uint_eq(off, g->hl);
    ck_assert_uint_eq(g->env[36], n);
}

static void golden_free(struct golden *g)
{
    envelope_free(g->env);
}

/* ------------------------------------------------------ what to expect */

/* "sha256:" and 64 lowercase hex digits: written out here rather than
 * taken from the library, which is what is under test. */
static int is_fingerprint(const uint8_t *p, size_t n)
{
    if (n != 71 || memcmp(p, "sha256:", 7) != 0)
        return 0;
    for (size_t i = 7; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

/* A label changed by one bit. Still a fingerprint: it names another key,
 * so alice skips her own stanza (NOT_RECIPIENT), or, on another stanza,
 * opens hers under a changed header (TAMPERED). Anything else is not a
 * list of identities (BAD_HEADER). */
static envelope_rc expect_label(const struct golden *g, size_t i, size_t byte, uint8_t value)
{
    const struct layout *l = &g->st[i];
    uint8_t label[LABEL_MAX];

    memcpy(label, g->env + l->label_off, l->label_len);
    label[byte - l->label_off] = value;
    if (!is_fingerprint(label, l->label_len))
        return ENVELOPE_E_BAD_HEADER;
    return i == g->mine ? ENVELOPE_E_NOT_RECIPIENT : ENVELOPE_E_TAMPERED;
}

/* A new header_len: out of bounds, past the input, or not where the
 * stanzas end. */
static envelope_rc expect_header_len(const struct golden *g, size_t byte, uint8_t value)
{
    uint8_t p[4];
    size_t v;

    memcpy(p, g->env + 12, 4);
    p[byte - 12] = value;
    v = be32(p);
    if (v < HEADER_MIN_LEN || v > HEADER_MAX_LEN)
        return ENVELOPE_E_BAD_HEADER;
    return v > g->len ? ENVELOPE_E_TRUNCATED : ENVELOPE_E_BAD_HEADER;
}

static envelope_rc expect_stanza(const struct golden *g, size_t i, size_t byte, uint8_t value)
{
    const struct layout *l = &g->st[i];

    if (byte < l->label_off || (byte >= l->wrapped_len_off && byte < l->wrapped_off))
        return ENVELOPE_E_BAD_HEADER; /* a length field */
    if (byte < l->wrapped_len_off)
        return expect_label(g, i, byte, value);
    /* a wrapped key: alice's no longer unwraps; another's changes only the
     * header, and with it the payload key */
    return i == g->mine ? ENVELOPE_E_NOT_RECIPIENT : ENVELOPE_E_TAMPERED;
}

static envelope_rc expect_flip(const struct golden *g, size_t byte, uint8_t value)
{
    if (byte < 8)
        return ENVELOPE_E_NOT_ENVELOPE;
    if (byte < 12)
        return ENVELOPE_E_UNKNOWN_VERSION;
    if (byte < 16)
        return expect_header_len(g, byte, value);
    if (byte < 32)
        return ENVELOPE_E_TAMPERED; /* the salt: the header hash, the payload key */
    if (byte < HEADER_FIXED_LEN)
        return ENVELOPE_E_BAD_HEADER; /* chunk size, stanza count */
    for (size_t i = 0; i < g->n_stanzas; i++)
        if (byte < g->st[i].wrapped_off + g->st[i].wrapped_len)
            return expect_stanza(g, i, byte, value);
    return ENVELOPE_E_TAMPERED; /* the payload */
}

/* A single-chunk golden cut at n bytes (FORMAT.md, "Payload: STREAM"). */
static envelope_rc expect_cut(const struct golden *g, size_t n)
{
    if (n == 0)
        return ENVELOPE_E_NOT_ENVELOPE;
    if (n <= g->hl + 16)
        return ENVELOPE_E_TRUNCATED; /* in the header, or too short for a tag */
    return ENVELOPE_E_TAMPERED; /* a final chunk cut short authenticates under neither flag */
}

/* ------------------------------------------------------------- sweeps */

static void flip_and_check(struct golden *g, size_t bit, int file_too)
{
    size_t byte = bit / 8;
    uint8_t mask = (uint8_t)(1u << (bit % 8));
    envelope_rc want = expect_flip(g, byte, g->env[byte] ^ mask);
    char what[64];

    snprintf(what, sizeof(what), "bit %zu (byte %zu of %zu, header %zu)", bit, byte, g->len,
             g->hl);
    g->env[byte] ^= mask;
    assert_open_fails(ctx, opts, g->env, g->len, want, scratch, file_too, what);
    g->env[byte] ^= mask;
}

/* The bytes the valgrind run keeps: every fixed field, every length
 * field, both ends of each label and wrapped key, and every 61st byte. */
static int sampled(const struct golden *g, size_t byte)
{
    if (byte < HEADER_FIXED_LEN || byte % SAMPLE == 0)
        return 1;
    for (size_t i = 0; i < g->n_stanzas; i++) {
        const struct layout *l = &g->st[i];

        if (byte == l->label_len_off || byte == l->label_len_off + 1 ||
            byte == l->label_off || byte + 1 == l->wrapped_len_off ||
            byte == l->wrapped_len_off || byte == l->wrapped_len_off + 1 ||
            byte == l->wrapped_off || byte + 1 == l->wrapped_off + l->wrapped_len)
            return 1;
    }
    return 0;
}

/* The header, both ways of opening: every bit if all_bits, else one bit of
 * each byte; with ENVELOPE_TEST_SLOW=0, one bit of the sampled bytes. */
static void sweep_header(struct golden *g, int all_bits)
{
    int slow = test_slow();

    all_bits = (all_bits && slow) || test_exhaustive();
    for (size_t bit = 0; bit < 8 * g->hl; bit++) {
        if (all_bits)
            flip_and_check(g, bit, 1);
        else if (bit % 8 == (bit / 8) % 8 && (slow || sampled(g, bit / 8)))
            flip_and_check(g, bit, 1);
    }
}

static const uint8_t golden_msg[] = "a golden envelope\n";

START_TEST(every_bit_one_recipient)
{
    struct golden g;
    envelope_key *to[] = {alice};
    int slow = test_slow();

    make_golden(&g, to, 1, 0, golden_msg, sizeof(golden_msg) - 1);
    ck_assert_uint_eq(g.st[0].label_len, 71);
    sweep_header(&g, 1);
    for (size_t bit = 8 * g.hl; bit < 8 * g.len; bit++) {
        int one_per_byte = bit % 8 == (bit / 8) % 8;

        if (test_exhaustive() || (one_per_byte && (slow || (bit / 8) % SAMPLE == 0)))
            flip_and_check(&g, bit, one_per_byte);
    }
    assert_open_ok(ctx, opts, g.env, g.len, "restored");
    golden_free(&g);
}
END_TEST

START_TEST(every_truncation)
{
    struct golden g;
    envelope_key *to[] = {alice};
    int slow = test_slow();

    make_golden(&g, to, 1, 0, golden_msg, sizeof(golden_msg) - 1);
    for (size_t n = 0; n < g.len; n++) {
        char what[64];

        if (!slow && n > 17 && (n + 18 < g.hl || n > g.hl + 18) && n % SAMPLE != 0 &&
            n != g.len - 1)
            continue;
        snprintf(what, sizeof(what), "cut at %zu of %zu (header %zu)", n, g.len, g.hl);
        assert_open_fails(ctx, opts, g.env, n, expect_cut(&g, n), scratch, 1, what);
    }
    golden_free(&g);
}
END_TEST

/* Two stanzas, bob's then alice's, labels shown (_i = 0) or hidden (1):
 * one bit of every header byte (every bit with ENVELOPE_TEST_SLOW=2). A
 * flip in bob's stanza must not stop alice reaching hers, and then breaks
 * the payload instead. */
START_TEST(header_bits_two_recipients)
{
    struct golden g;
    envelope_key *to[] = {bob, alice};

    make_golden(&g, to, 2, _i, golden_msg, sizeof(golden_msg) - 1);
    ck_assert_uint_eq(g.st[0].label_len, _i ? 0 : 71);
    sweep_header(&g, 0);
    golden_free(&g);
}
END_TEST

/* ------------------------------------------------------------- chunks */

static uint8_t *splice(const uint8_t *env, const size_t (*pieces)[2], size_t n, size_t *len)
{
    size_t total = 0;
    uint8_t *out;

    for (size_t i = 0; i < n; i++)
        total += pieces[i][1];
    out = malloc(total ? total : 1);
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(out + *len, env + pieces[i][0], pieces[i][1]);
        *len += pieces[i][1];
    }
    return out;
}

/* A four-chunk envelope (the last chunk short): chunk k at hl + k * 65552. */
START_TEST(chunks_rearranged)
{
    struct golden g;
    envelope_key *to[] = {alice};
    uint8_t *msg = pattern(3 * CHUNK_SIZE, 21), *p;
    size_t len, c[5], last;

    make_golden(&g, to, 1, 0, msg, 3 * CHUNK_SIZE);
    for (int k = 0; k < 5; k++)
        c[k] = g.hl + (size_t)k * SEALED_CHUNK;
    ck_assert_uint_gt(g.len, c[3]);
    ck_assert_uint_lt(g.len, c[4]);
    last = g.len - c[3];
    {
        const size_t swapped[][2] = {{0, g.hl}, {c[1], SEALED_CHUNK}, {c[0], SEALED_CHUNK},
                                     {c[2], g.len - c[2]}};
        p = splice(g.env, swapped, 4, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TAMPERED, scratch, 1, "swapped");
        free(p);
    }
    {
        const size_t duplicated[][2] = {{0, c[2]}, {c[1], g.len - c[1]}};
        p = splice(g.env, duplicated, 2, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TAMPERED, scratch, 1, "duplicated");
        free(p);
    }
    {
        const size_t dropped[][2] = {{0, c[1]}, {c[2], g.len - c[2]}};
        p = splice(g.env, dropped, 2, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TAMPERED, scratch, 1, "dropped");
        free(p);
    }
    {
        const size_t final_first[][2] = {{0, c[1]}, {c[3], last}, {c[1], c[3] - c[1]}};
        p = splice(g.env, final_first, 3, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TAMPERED, scratch, 1, "final moved");
        free(p);
    }
    /* the final chunk missing: the stream ends after a non-final chunk */
    assert_open_fails(ctx, opts, g.env, c[3], ENVELOPE_E_TRUNCATED, scratch, 1, "no final");
    assert_open_fails(ctx, opts, g.env, c[2], ENVELOPE_E_TRUNCATED, scratch, 1, "two chunks");
    assert_open_fails(ctx, opts, g.env, c[1] + 1000, ENVELOPE_E_TAMPERED, scratch, 1,
                      "cut inside chunk 1");
    assert_open_fails(ctx, opts, g.env, c[2] + 16, ENVELOPE_E_TRUNCATED, scratch, 1,
                      "a tag's worth of chunk 2");
    /* data after a short final chunk cannot be told from the chunk */
    {
        const size_t appended[][2] = {{0, g.len}, {0, 1}};
        p = splice(g.env, appended, 2, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TAMPERED, scratch, 1, "1 byte after");
        free(p);
    }
    {
        const size_t repeated[][2] = {{0, g.len}, {c[3], last}};
        p = splice(g.env, repeated, 2, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TAMPERED, scratch, 1, "final twice");
        free(p);
    }
    golden_free(&g);
    free(msg);
}
END_TEST

/* A payload of exactly two whole chunks: data after the final chunk is
 * TRAILING_DATA. The message size comes from the archive overhead of a
 * 1-byte message (FORMAT.md, "Inner archive": headers and data in 512-byte
 * blocks, then the 1024-byte end marker). */
START_TEST(data_after_whole_final_chunk)
{
    struct golden g;
    envelope_key *to[] = {alice};
    uint8_t one = 1, *msg, *p;
    size_t overhead, m, len;

    make_golden(&g, to, 1, 0, &one, 1);
    overhead = g.len - g.hl - 16 - 512;
    golden_free(&g);
    m = 2 * CHUNK_SIZE - overhead;
    msg = pattern(m, 22);
    make_golden(&g, to, 1, 0, msg, m);
    ck_assert_uint_eq(g.len - g.hl, 2 * SEALED_CHUNK);
    {
        const size_t one_more[][2] = {{0, g.len}, {0, 1}};
        p = splice(g.env, one_more, 2, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TRAILING_DATA, scratch, 1, "1 byte");
        free(p);
    }
    {
        const size_t final_twice[][2] = {{0, g.len}, {g.hl + SEALED_CHUNK, SEALED_CHUNK}};
        p = splice(g.env, final_twice, 2, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TRAILING_DATA, scratch, 1, "twice");
        free(p);
    }
    {
        const size_t whole_twice[][2] = {{0, g.len}, {0, g.len}};
        p = splice(g.env, whole_twice, 2, &len);
        assert_open_fails(ctx, opts, p, len, ENVELOPE_E_TRAILING_DATA, scratch, 1, "envelope");
        free(p);
    }
    assert_open_fails(ctx, opts, g.env, g.hl + SEALED_CHUNK, ENVELOPE_E_TRUNCATED, scratch, 1,
                      "final dropped");
    assert_open_ok(ctx, opts, g.env, g.len, "whole");
    golden_free(&g);
    free(msg);
}
END_TEST

static Suite *matrix_suite(void)
{
    Suite *s = suite_create("matrix");
    TCase *sweep = tcase_create("sweep"), *chunks = tcase_create("chunks");

    tcase_add_checked_fixture(sweep, setup, teardown);
    tcase_add_checked_fixture(chunks, setup, teardown);
    tcase_add_test(sweep, every_bit_one_recipient);
    tcase_add_test(sweep, every_truncation);
    tcase_add_loop_test(sweep, header_bits_two_recipients, 0, 2);
    tcase_add_test(chunks, chunks_rearranged);
    tcase_add_test(chunks, data_after_whole_final_chunk);
    tcase_set_timeout(sweep, test_exhaustive() ? 3600 : 600);
    tcase_set_timeout(chunks, 60);
    suite_add_tcase(s, sweep);
    suite_add_tcase(s, chunks);
    return s;
}

int main(void)
{
    return run_suite(matrix_suite()) ? 1 : 0;
}
