/* The whole open path from the first byte: envelope_open_mem with the fixed
 * test keys (tests/keys: alice.pem decrypts, signer.pub is trusted). Built
 * twice: fuzz_open (v1 only) and, with FUZZ_ALLOW_COMPAT, fuzz_open_compat,
 * which opens compat envelopes too and decrypts with dave.pem (RSA-4096, the
 * only size a compat archive fits).
 *
 * Random mutations rarely get past RSA-OAEP and GCM, so this mostly covers
 * the header, the stanza choice and the failure paths; the plaintext layers
 * have targets of their own (fuzz_open_plain, fuzz_bundle, fuzz_manifest,
 * fuzz_compat_unpack). */
#include "common.h"

#ifdef FUZZ_ALLOW_COMPAT
#define DECRYPT_KEY "dave.pem"
#else
#define DECRYPT_KEY "alice.pem"
#endif

static envelope_open_opts *make_opts(void)
{
    envelope_open_opts *opts;
    envelope_key *dec = fuzz_key(DECRYPT_KEY), *trusted = fuzz_key("signer.pub");

    if (envelope_open_opts_new(&opts) != ENVELOPE_OK ||
        envelope_open_opts_set_decrypt_key(opts, dec) != ENVELOPE_OK ||
        envelope_open_opts_add_trusted_key(opts, trusted) != ENVELOPE_OK ||
        envelope_open_opts_set_max_size(opts, 1 << 20) != ENVELOPE_OK)
        abort();
    envelope_key_free(dec);
    envelope_key_free(trusted);
#ifdef FUZZ_ALLOW_COMPAT
    if (envelope_open_opts_set_allow_compat(opts, 1) != ENVELOPE_OK)
        abort();
#endif
    return opts;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static envelope_open_opts *opts;
    envelope_ctx *ctx = fuzz_ctx();
    envelope_result *result = (envelope_result *)1;
    uint8_t *out = (uint8_t *)1;
    size_t out_len = 1;
    envelope_rc rc;

    if (opts == NULL)
        opts = make_opts();
    rc = envelope_open_mem(ctx, opts, data, size, &out, &out_len, &result);
    check_detail(ctx);
    if (rc != ENVELOPE_OK) {
        /* Nothing is handed out on failure. */
        CHECK(out == NULL && out_len == 0 && result == NULL);
        CHECK(rc >= ENVELOPE_E_NOT_ENVELOPE && rc <= ENVELOPE_E_COMPAT_REFUSED);
        return 0;
    }
    CHECK(result != NULL && envelope_result_size(result) == out_len);
    CHECK(envelope_verify_message_mem(ctx, result, out, out_len) == ENVELOPE_OK);
    envelope_free_secret(out, out_len);
    envelope_result_free(result);
    return 0;
}
