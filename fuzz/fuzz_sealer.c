/* The incremental sealer: one message handed over in pieces of random
 * sizes, under a declared size that is right, unknown, too large or too
 * small, with or without armor. Input: byte 0 the mode (below; bit 2:
 * armor), byte 1 how many times the rest is
 * repeated (1 to 32, so that messages cross 64 KiB chunks), bytes 2..9
 * eight piece sizes (cycled, scaled by the repeat), then the message.
 *
 * A right or unknown size must seal, and the envelope must open to the
 * message, and an armored one must be the armor's text; a wrong size must
 * fail with ENVELOPE_E_INVALID_ARGUMENT, and whatever was written must not
 * open. */
#include "armor_text.h"
#include "common.h"

#define MODE_UNKNOWN 1 /* ENVELOPE_SIZE_UNKNOWN */
#define MODE_MORE 2    /* declare one byte more than given */
#define MODE_LESS 3    /* declare one byte less (for a non-empty message) */

struct out {
    uint8_t *p;
    size_t len, cap;
};

static int out_write(void *arg, const uint8_t *p, size_t n)
{
    struct out *o = arg;

    if (o->len + n > o->cap) {
        size_t cap = (o->len + n) * 2;
        uint8_t *q = realloc(o->p, cap);

        if (q == NULL)
            return -1;
        o->p = q;
        o->cap = cap;
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
    return 0;
}

static envelope_seal_opts *seal_opts, *armor_opts;
static envelope_open_opts *open_opts;

static void set_up(void)
{
    envelope_key *signer = fuzz_key("signer.pem"), *to = fuzz_key("alice.pub");
    envelope_key *dec = fuzz_key("alice.pem"), *trusted = fuzz_key("signer.pub");

    CHECK(envelope_seal_opts_new(&seal_opts) == ENVELOPE_OK);
    CHECK(envelope_seal_opts_set_sign_key(seal_opts, signer) == ENVELOPE_OK);
    CHECK(envelope_seal_opts_add_recipient(seal_opts, to) == ENVELOPE_OK);
    CHECK(envelope_seal_opts_new(&armor_opts) == ENVELOPE_OK);
    CHECK(envelope_seal_opts_set_sign_key(armor_opts, signer) == ENVELOPE_OK);
    CHECK(envelope_seal_opts_add_recipient(armor_opts, to) == ENVELOPE_OK);
    CHECK(envelope_seal_opts_set_armor(armor_opts, 1) == ENVELOPE_OK);
    CHECK(envelope_open_opts_new(&open_opts) == ENVELOPE_OK);
    CHECK(envelope_open_opts_set_decrypt_key(open_opts, dec) == ENVELOPE_OK);
    CHECK(envelope_open_opts_add_trusted_key(open_opts, trusted) == ENVELOPE_OK);
    envelope_key_free(signer);
    envelope_key_free(to);
    envelope_key_free(dec);
    envelope_key_free(trusted);
}

/* Feeds msg in pieces; returns the first failure, or final's result. */
static envelope_rc feed(envelope_sealer *s, const uint8_t *msg, size_t n, const uint8_t *sizes,
                        size_t scale)
{
    size_t at = 0;
    envelope_rc rc;

    for (size_t i = 0; at < n; i++) {
        size_t take = (size_t)sizes[i % 8] * scale;

        if (take == 0 && i % 8 == 7) /* empty updates, but never only those */
            take = 1;
        if (take > n - at)
            take = n - at;
        if ((rc = envelope_sealer_update(s, msg + at, take)) != ENVELOPE_OK)
            return rc;
        at += take;
    }
    return envelope_sealer_final(s);
}

static void check_opens(envelope_ctx *ctx, const struct out *o, const uint8_t *msg, size_t n,
                        int must_open)
{
    uint8_t *got = NULL;
    size_t got_len = 0;
    envelope_rc rc = envelope_open_mem(ctx, open_opts, o->p, o->len, &got, &got_len, NULL);

    check_detail(ctx);
    if (must_open) {
        CHECK(rc == ENVELOPE_OK);
        CHECK(got_len == n && (n == 0 || memcmp(got, msg, n) == 0));
    } else {
        CHECK(rc != ENVELOPE_OK && got == NULL);
    }
    envelope_free_secret(got, got_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    envelope_sealer *s = NULL;
    struct out o = {0};
    uint8_t *msg;
    size_t repeat, n, part;
    int mode, armor;
    uint64_t declared;
    envelope_rc rc;

    if (size < 10)
        return 0;
    if (seal_opts == NULL)
        set_up();
    mode = data[0] % 4;
    armor = (data[0] >> 2) & 1;
    repeat = 1 + data[1] % 32;
    part = size - 10;
    n = part * repeat;
    if ((msg = malloc(n ? n : 1)) == NULL)
        return 0;
    for (size_t i = 0; i < repeat; i++)
        memcpy(msg + i * part, data + 10, part);
    if (mode == MODE_LESS && n == 0)
        mode = 0;
    declared = mode == MODE_UNKNOWN ? ENVELOPE_SIZE_UNKNOWN
               : mode == MODE_MORE  ? n + 1
               : mode == MODE_LESS  ? n - 1
                                    : n;
    CHECK(envelope_sealer_new(ctx, armor ? armor_opts : seal_opts, declared, out_write, &o, &s) ==
          ENVELOPE_OK);
    rc = feed(s, msg, n, data + 2, repeat);
    check_detail(ctx);
    if (mode == MODE_MORE || mode == MODE_LESS)
        CHECK(rc == ENVELOPE_E_INVALID_ARGUMENT);
    else
        CHECK(rc == ENVELOPE_OK);
    envelope_sealer_free(s);
    if (armor && rc == ENVELOPE_OK)
        check_armor_text(o.p, o.len);
    check_opens(ctx, &o, msg, n, rc == ENVELOPE_OK);
    free(o.p);
    free(msg);
    return 0;
}
