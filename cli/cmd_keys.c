/* envelope keygen and envelope pubkey. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char keygen_help[] =
    "usage: envelope keygen (--sign | --encrypt [--bits 2048|3072|4096]) -o KEY.pem\n"
    "                       [--pub PUB.pem] [--passphrase-file F] [--force]\n"
    "\n"
    "Creates a private key (PKCS#8 PEM, mode 0600): --sign an ECDSA P-521 key for\n"
    "signing, --encrypt an RSA key (4096 bits by default) for receiving. --pub also\n"
    "writes its public key, to hand to the other party. With --passphrase-file the\n"
    "private key is encrypted (AES-256-CBC, PBKDF2) under the file's first line.\n";

static int write_public(envelope_ctx *ctx, envelope_key *key, const char *path, int force)
{
    uint8_t *pem;
    size_t len;
    envelope_rc rc = envelope_key_public_pem(ctx, key, &pem, &len);
    int code;

    if (rc != ENVELOPE_OK)
        return report(ctx, rc, "public key");
    code = path ? write_new_file(path, pem, len, 0, force)
                : (fwrite(pem, 1, len, stdout) == len ? EXIT_OK : EXIT_IO);
    envelope_free(pem);
    return code;
}

static int keygen_write(envelope_ctx *ctx, envelope_key *key, const char *out,
                        const char *pub, const char *pass_file, int force)
{
    char pass[1024];
    int pass_len = -1, code;
    uint8_t *pem;
    size_t len;
    envelope_rc rc;

    if (pass_file) {
        struct passphrase_source src = {pass_file};

        if ((pass_len = passphrase_cb(&src, pass, sizeof(pass))) < 0) {
            warnx_("%s: cannot read the passphrase", pass_file);
            return EXIT_IO;
        }
    }
    rc = envelope_key_private_pem(ctx, key, pass_len >= 0 ? pass : NULL,
                                  pass_len >= 0 ? (size_t)pass_len : 0, &pem, &len);
    explicit_bzero(pass, sizeof(pass));
    if (rc != ENVELOPE_OK)
        return report(ctx, rc, "private key");
    code = write_new_file(out, pem, len, 1, force);
    envelope_free_secret(pem, len);
    if (code == EXIT_OK && pub)
        code = write_public(ctx, key, pub, force);
    return code;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sign", no_argument, NULL, 's'},       {"encrypt", no_argument, NULL, 'e'},
        {"bits", required_argument, NULL, 'b'}, {"pub", required_argument, NULL, 'p'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"force", no_argument, NULL, 'f'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *out = NULL, *pub = NULL, *pass_file = NULL;
    envelope_key_kind kind = 0;
    unsigned bits = 0;
    int c, force = 0, code;
    char fp[ENVELOPE_FINGERPRINT_SIZE];
    envelope_ctx *ctx;
    envelope_key *key = NULL;
    envelope_rc rc;

    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 's': kind = ENVELOPE_KEY_SIGNING; break;
        case 'e': kind = ENVELOPE_KEY_ENCRYPTION; break;
        case 'b': bits = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        case 'p': pub = optarg; break;
        case 'P': pass_file = optarg; break;
        case 'f': force = 1; break;
        case 'h': fputs(keygen_help, stdout); return EXIT_OK;
        default: return usage_error("keygen", "bad option");
        }
    }
    if (kind == 0 || out == NULL || optind != argc)
        return usage_error("keygen", "need --sign or --encrypt, and -o KEY.pem");
    if (kind == ENVELOPE_KEY_SIGNING && bits != 0)
        return usage_error("keygen", "--bits is for --encrypt keys");
    if (kind == ENVELOPE_KEY_ENCRYPTION && bits != 0 && bits != 2048 && bits != 3072 &&
        bits != 4096)
        return usage_error("keygen", "--bits must be 2048, 3072 or 4096");
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK)
        return EXIT_IO;
    if ((rc = envelope_key_generate(ctx, kind, bits, &key)) != ENVELOPE_OK)
        code = report(ctx, rc, "keygen");
    else if ((code = keygen_write(ctx, key, out, pub, pass_file, force)) == EXIT_OK &&
             envelope_key_fingerprint(ctx, key, fp) == ENVELOPE_OK && !cli_quiet)
        fprintf(stderr, "%s key %s written to %s\n",
                kind == ENVELOPE_KEY_SIGNING ? "signing" : "encryption", fp, out);
    envelope_key_free(key);
    envelope_ctx_free(ctx);
    return code;
}

static const char pubkey_help[] =
    "usage: envelope pubkey KEYREF [-o PUB.pem] [--force]\n"
    "\n"
    "Writes the public key (SubjectPublicKeyInfo PEM) of a key file or KMS key, for\n"
    "partners and offline verifiers, and prints its fingerprint on stderr.\n";

int cmd_pubkey(int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int c, force = 0, code;
    char fp[ENVELOPE_FINGERPRINT_SIZE];
    envelope_ctx *ctx;
    envelope_key *key = NULL;
    struct passphrase_source pass = {NULL};

    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f': force = 1; break;
        case 'h': fputs(pubkey_help, stdout); return EXIT_OK;
        default: return usage_error("pubkey", "bad option");
        }
    }
    if (optind != argc - 1)
        return usage_error("pubkey", "need exactly one KEYREF");
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK)
        return EXIT_IO;
    if ((code = load_key(ctx, argv[optind], &pass, &key)) == EXIT_OK &&
        (code = write_public(ctx, key, out, force)) == EXIT_OK && !cli_quiet &&
        envelope_key_fingerprint(ctx, key, fp) == ENVELOPE_OK)
        fprintf(stderr, "%s\n", fp);
    envelope_key_free(key);
    envelope_ctx_free(ctx);
    return code;
}
