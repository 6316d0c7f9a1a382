/* The inner tar reader (bundle_read.c) on plaintext, with the entry calls in
 * the order open makes them: the message, manifest.json, manifest.sig, then
 * the end. STREAM authentication keeps mutated bytes away from this code in
 * a real open, so it is fuzzed here directly.
 *
 * Each input is read twice: in 64 KiB pieces, as the chunk decryptor hands
 * them out, and in 509-byte pieces, which cut tar blocks anywhere. How the
 * bytes are cut must change nothing: both runs must agree. */
#include <stdlib.h>

#include "format/bundle.h"
#include "common.h"
#include "keys/keys.h"

#define MESSAGE_MAX (1 << 20)

struct pieces {
    const uint8_t *p;
    size_t left, piece;
};

static envelope_rc next_piece(envelope_ctx *ctx, void *arg, const uint8_t **p, size_t *n)
{
    struct pieces *s = arg;

    (void)ctx;
    *p = s->p;
    *n = s->left < s->piece ? s->left : s->piece;
    s->p += *n;
    s->left -= *n;
    return ENVELOPE_OK;
}

struct outcome {
    envelope_rc rc;
    int stage;                 /* how far it got */
    uint64_t size, read;       /* the message: declared, delivered */
    size_t manifest_len, sig_len;
};

static envelope_rc read_message(struct bundle_reader *r, struct outcome *o)
{
    static uint8_t buf[4096];
    size_t n;
    envelope_rc rc;

    do {
        if ((rc = bundle_read(r, buf, sizeof(buf), &n)) != ENVELOPE_OK)
            return rc;
        o->read += n;
        CHECK(o->read <= o->size);
    } while (n > 0);
    return ENVELOPE_OK;
}

static void run(const uint8_t *data, size_t size, size_t piece, struct outcome *o)
{
    envelope_ctx *ctx = fuzz_ctx();
    struct pieces src = {data, size, piece};
    struct bundle_reader r;
    static uint8_t manifest[MANIFEST_MAX], sig[SIG_MAX];
    char name[MESSAGE_NAME_MAX + 1], other[MESSAGE_NAME_MAX + 1];
    uint64_t n;
    envelope_rc rc;

    memset(o, 0, sizeof(*o));
    if ((rc = bundle_reader_open(ctx, &r, next_piece, &src)) != ENVELOPE_OK)
        goto out;
    o->stage = 1;
    if ((rc = bundle_next(&r, NULL, MESSAGE_MAX, name, &o->size)) != ENVELOPE_OK)
        goto out;
    CHECK(o->size <= MESSAGE_MAX && strlen(name) >= 1 && strlen(name) <= MESSAGE_NAME_MAX);
    o->stage = 2;
    if ((rc = read_message(&r, o)) != ENVELOPE_OK)
        goto out;
    o->stage = 3;
    if ((rc = bundle_next(&r, "manifest.json", MANIFEST_MAX, other, &n)) != ENVELOPE_OK)
        goto out;
    CHECK(n <= MANIFEST_MAX && strcmp(other, "manifest.json") == 0);
    if ((rc = bundle_read_all(&r, manifest, n)) != ENVELOPE_OK)
        goto out;
    o->manifest_len = (size_t)n;
    o->stage = 4;
    if ((rc = bundle_next(&r, "manifest.sig", SIG_MAX, other, &n)) != ENVELOPE_OK)
        goto out;
    CHECK(n <= SIG_MAX && strcmp(other, "manifest.sig") == 0);
    if ((rc = bundle_read_all(&r, sig, n)) != ENVELOPE_OK)
        goto out;
    o->sig_len = (size_t)n;
    o->stage = 5;
    rc = bundle_reader_finish(&r);
    /* An archive that passes every rule delivered the message whole. */
    CHECK(rc != ENVELOPE_OK || o->read == o->size);
out:
    check_detail(ctx);
    CHECK(rc == ENVELOPE_OK || rc == ENVELOPE_E_BAD_ARCHIVE || rc == ENVELOPE_E_TOO_LARGE ||
          rc == ENVELOPE_E_NOMEM);
    bundle_reader_free(&r);
    o->rc = rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct outcome whole, cut;

    run(data, size, 65536, &whole);
    run(data, size, 509, &cut);
    if (whole.rc != cut.rc || whole.stage != cut.stage || whole.read != cut.read) {
        fprintf(stderr, "64 KiB pieces: %s at stage %d, %llu bytes; 509-byte pieces: %s at "
                        "stage %d, %llu bytes\n",
                envelope_rc_name(whole.rc), whole.stage, (unsigned long long)whole.read,
                envelope_rc_name(cut.rc), cut.stage, (unsigned long long)cut.read);
        CHECK(!"the result depends on how the input is cut");
    }
    return 0;
}
