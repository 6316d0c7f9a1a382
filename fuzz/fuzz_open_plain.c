/* The open pipeline past decryption: the input is the plaintext inner tar.
 * The target encrypts it under the header of a real envelope (one of
 * fuzz/data/NAME.header, from envelopes sealed to alice.pem by
 * fuzz/make-seeds.sh) with the data key it unwrapped at start-up, then
 * opens the result with envelope_open_mem. Every byte the fuzzer changes thus reaches the tar rules, the signature check over the
 * raw manifest, the manifest parser and the claims, in open.c's own order,
 * through the real chunking.
 *
 * A manifest is bound to its header, so each input is encrypted under the
 * base envelope whose header hash (hex) it contains, or under the first. */
#include <dirent.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/buf.h"
#include "common.h"
#include "format/format.h"
#include "keys/keys.h"
#include "pipeline/pipeline.h"
#include "format/stream.h"

#ifndef FUZZ_DATA_DIR
#define FUZZ_DATA_DIR "fuzz/data"
#endif
#define BASES_MAX 8

struct base {
    uint8_t header[HEADER_MAX_LEN];
    size_t header_len;
    char header_hex[65];
    uint8_t payload_key[PAYLOAD_KEY_LEN];
};

static struct base bases[BASES_MAX];
static size_t n_bases;
static envelope_open_opts *opts;

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        abort();
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* Parses a real envelope's header and recovers its payload key. */
static void load_base(const char *path, envelope_key *alice)
{
    static uint8_t buf[HEADER_MAX_LEN];
    struct base *b = &bases[n_bases];
    struct header *h = malloc(sizeof(*h));
    uint8_t data_key[WRAPPED_MAX], digest[32];
    size_t n = read_file(path, buf, sizeof(buf)), len = 0;
    uint32_t header_len;
    envelope_ctx *ctx = fuzz_ctx();

    CHECK(h != NULL);
    CHECK(header_peek(ctx, buf, n, &header_len) == ENVELOPE_OK && header_len <= n);
    CHECK(header_parse(ctx, buf, header_len, h) == ENVELOPE_OK);
    for (size_t i = 0; i < h->n_stanzas && len != DATA_KEY_LEN; i++)
        if (key_unwrap(ctx, alice, h->stanzas[i].wrapped, h->stanzas[i].wrapped_len, data_key,
                       sizeof(data_key), &len) != ENVELOPE_OK)
            len = 0;
    CHECK(len == DATA_KEY_LEN);
    memcpy(b->header, buf, header_len);
    b->header_len = header_len;
    CHECK(payload_key_derive(ctx, data_key, len, b->header, b->header_len, b->payload_key) ==
          ENVELOPE_OK);
    CHECK(EVP_Digest(b->header, b->header_len, digest, NULL, EVP_sha256(), NULL) == 1);
    hex_lower(digest, sizeof(digest), b->header_hex);
    OPENSSL_cleanse(data_key, sizeof(data_key));
    free(h);
    n_bases++;
}

static void init(void)
{
    const char *dir = getenv("FUZZ_DATA_DIR") ? getenv("FUZZ_DATA_DIR") : FUZZ_DATA_DIR;
    envelope_key *alice = fuzz_key("alice.pem"), *signer = fuzz_key("signer.pub");
    struct dirent **names;
    char path[4096];
    int n = scandir(dir, &names, NULL, alphasort);

    CHECK(n > 0);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);

        if (len > 7 && strcmp(names[i]->d_name + len - 7, ".header") == 0 &&
            n_bases < BASES_MAX) {
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            load_base(path, alice);
        }
        free(names[i]);
    }
    free(names);
    CHECK(n_bases > 0);
    if (envelope_open_opts_new(&opts) != ENVELOPE_OK ||
        envelope_open_opts_set_decrypt_key(opts, alice) != ENVELOPE_OK ||
        envelope_open_opts_add_trusted_key(opts, signer) != ENVELOPE_OK ||
        envelope_open_opts_set_max_size(opts, 1 << 20) != ENVELOPE_OK)
        abort();
    envelope_key_free(alice);
    envelope_key_free(signer);
}

static const struct base *pick(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < n_bases; i++)
        if (memmem(data, size, bases[i].header_hex, 64) != NULL)
            return &bases[i];
    return &bases[0];
}

/* header || STREAM(plaintext); an empty plaintext gives the header alone. */
static void seal_plain(const struct base *b, const uint8_t *data, size_t size, struct bytes *out)
{
    struct stream_enc s;

    CHECK(bytes_append(out, b->header, b->header_len) == 0);
    if (size == 0)
        return;
    CHECK(stream_enc_init(NULL, &s, b->payload_key, bytes_write, out) == ENVELOPE_OK);
    CHECK(stream_enc_update(NULL, &s, data, size) == ENVELOPE_OK);
    CHECK(stream_enc_finish(NULL, &s) == ENVELOPE_OK);
    stream_enc_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    struct bytes env = {0};
    envelope_result *result = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0;
    envelope_rc rc;

    if (opts == NULL)
        init();
    seal_plain(pick(data, size), data, size, &env);
    rc = envelope_open_mem(ctx, opts, env.p, env.len, &out, &out_len, &result);
    check_detail(ctx);
    bytes_free(&env);
    if (rc != ENVELOPE_OK) {
        CHECK(out == NULL && out_len == 0 && result == NULL);
        /* Everything it reaches: the archive and everything after it, and
         * a header-only envelope's truncation. */
        CHECK(rc == ENVELOPE_E_TRUNCATED || (rc >= ENVELOPE_E_BAD_ARCHIVE &&
                                             rc <= ENVELOPE_E_TOO_OLD));
        return 0;
    }
    CHECK(result != NULL && envelope_result_size(result) == out_len);
    CHECK(envelope_verify_message_mem(ctx, result, out, out_len) == ENVELOPE_OK);
    envelope_free_secret(out, out_len);
    envelope_result_free(result);
    return 0;
}
