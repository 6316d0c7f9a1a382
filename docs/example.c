/* Seals a message for a receiver, then opens it as the receiver would.
 *   cc example.c $(pkg-config --cflags --libs envelope)
 *   ./a.out sender.pem receiver.pub receiver.pem sender.pub */
#include <envelope.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *msg = "{\"greeting\": \"hello\"}\n";
    envelope_ctx *ctx = NULL;
    envelope_key *decrypt_key = NULL, *verify_key = NULL;
    envelope_open_opts *opts = NULL;
    envelope_result *result = NULL;
    uint8_t *env = NULL, *out = NULL;
    size_t env_len = 0, out_len = 0;
    char name[1024];
    envelope_rc rc;
    int status = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: %s SENDER.pem RECEIVER.pub RECEIVER.pem SENDER.pub\n", argv[0]);
        return 2;
    }
    if ((rc = envelope_ctx_new(&ctx)) != ENVELOPE_OK) {
        fprintf(stderr, "example: %s\n", envelope_strerror(rc));
        return 1;
    }

    /* The sender, in one call: keys by path (or awskms:// reference). */
    rc = envelope_seal_simple(ctx, argv[1], (const char *const *)&argv[2], 1, "message.json",
                              (const uint8_t *)msg, strlen(msg), &env, &env_len);
    if (rc != ENVELOPE_OK)
        goto out;

    /* The receiver, with options: loaded keys can be reused across calls. */
    if ((rc = envelope_key_load(ctx, argv[3], NULL, NULL, &decrypt_key)) != ENVELOPE_OK ||
        (rc = envelope_key_load(ctx, argv[4], NULL, NULL, &verify_key)) != ENVELOPE_OK ||
        (rc = envelope_open_opts_new(&opts)) != ENVELOPE_OK ||
        (rc = envelope_open_opts_set_decrypt_key(opts, decrypt_key)) != ENVELOPE_OK ||
        (rc = envelope_open_opts_add_trusted_key(opts, verify_key)) != ENVELOPE_OK ||
        (rc = envelope_open_opts_set_max_size(opts, ENVELOPE_MAX_SIZE_DEFAULT)) != ENVELOPE_OK)
        goto out;
    /* The message comes out only once it is decrypted and verified. */
    rc = envelope_open_mem(ctx, opts, env, env_len, &out, &out_len, &result);
    if (rc != ENVELOPE_OK)
        goto out;
    /* The name is the sender's choice: escaped before it meets a terminal. */
    envelope_escape(name, sizeof(name), envelope_result_name(result));
    printf("%s: %zu bytes, signed by %s\n", name, out_len, envelope_result_signer(result));
    status = out_len == strlen(msg) && memcmp(out, msg, out_len) == 0 ? 0 : 1;

out:
    if (rc != ENVELOPE_OK)
        fprintf(stderr, "example: %s (%s)\n", envelope_strerror(rc), envelope_ctx_detail(ctx));
    envelope_free_secret(out, out_len); /* the plaintext: wiped, then freed */
    envelope_result_free(result);
    envelope_open_opts_free(opts);
    envelope_key_free(verify_key);
    envelope_key_free(decrypt_key);
    envelope_free(env); /* ciphertext: no need to wipe */
    envelope_ctx_free(ctx);
    return status;
}
