/* envelope keygen and envelope pubkey. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char keygen_help[] =
    "usage: envelope keygen (--sign | --encrypt [--bits 2048|3072|4096]) -o KEY.pem\n"
    "                       [--pub PUB.pem] [--passphrase-file F | --passphrase-fd N]\n"
    "                       [--force] [--quiet]\n"
    "\n"
    "Creates a private key (PKCS#8 PEM, mode 0600): --sign an ECDSA P-521 key for\n"
    "signing, --encrypt an RSA key (4096 bits by default) for receiving. --pub also\n"
    "writes its public key (mode 0644), to hand to the other party. With\n"
    "--passphrase-file or --passphrase-fd the private key is encrypted under the\n"
    "first line read there: AES-256-CBC, its key derived from the passphrase by\n"
    "PBKDF2-HMAC-SHA-256 with 600,000 iterations and a random salt (PKCS#8 PBES2,\n"
    "which openssl reads too). That slows guessing; only a long passphrase makes\n"
    "it hopeless. Prints the key's fingerprint.\n";

/* Writes the public key to a target checked by out_target_check. */
static int write_public(envelope_ctx *ctx, envelope_key *key, struct out_target *t, int force)
{
    uint8_t *pem;
    size_t len;
    envelope_rc rc = envelope_key_public_pem(ctx, key, &pem, &len);
    int code;

    if (rc != ENVELOPE_OK)
        return report(ctx, rc, "public key");
    code = t->kind == OUT_NEW_FILE ? write_new_file(t->path, pem, len, 0, force)
                                   : write_through(t, pem, len);
    envelope_free(pem);
    return code;
}

/* The private key's PEM, encrypted under the given passphrase if any. */
static int private_pem(envelope_ctx *ctx, envelope_key *key, const char *out,
                       struct passphrase *pass, uint8_t **pem, size_t *pem_len)
{
    char secret[1024];
    int len = -1;
    envelope_rc rc;

    if ((pass->file || pass->fd >= 0) &&
        (len = passphrase_read_given(pass, secret, sizeof(secret))) < 0)
        return EXIT_USAGE;
    rc = envelope_key_private_pem(ctx, key, len >= 0 ? secret : NULL,
                                  len >= 0 ? (size_t)len : 0, pem, pem_len);
    explicit_bzero(secret, sizeof(secret));
    return rc == ENVELOPE_OK ? EXIT_OK : report(ctx, rc, out);
}

/* Writes both keys or neither: the files are made whole under temporary
 * names first, then anything else is written, then the files are named; a
 * failure removes every name this made. */
static int write_all_or_none(struct out_target t[2], uint8_t *pem[2], size_t len[2], int n,
                             int force)
{
    struct new_file f[2] = {{0}, {0}};
    int code = EXIT_OK, i;

    for (i = 0; code == EXIT_OK && i < n; i++)
        if (t[i].kind == OUT_NEW_FILE)
            code = new_file_prepare(&f[i], t[i].path, pem[i], len[i], i == 0);
    if (code == EXIT_OK && t[0].kind == OUT_INTO && (code = out_target_open(&t[0])) == EXIT_OK &&
        isatty(t[0].fd))
        code = usage_error("keygen", "-o %s is a terminal: a private key is never shown",
                           t[0].path);
    for (i = 0; code == EXIT_OK && i < n; i++)
        if (t[i].kind != OUT_NEW_FILE)
            code = write_through(&t[i], pem[i], len[i]);
    out_target_close(&t[0]);
    for (i = 0; code == EXIT_OK && i < n; i++)
        if (t[i].kind == OUT_NEW_FILE)
            code = new_file_place(&f[i], force);
    for (i = 0; i < n; i++)
        new_file_discard(&f[i], code != EXIT_OK);
    return code;
}

static int write_keys(envelope_ctx *ctx, envelope_key *key, struct out_target t[2], int n,
                      struct passphrase *pass, int force)
{
    uint8_t *pem[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    envelope_rc rc;
    int code;

    if ((code = private_pem(ctx, key, t[0].path, pass, &pem[0], &len[0])) != EXIT_OK)
        return code;
    if (n == 2 && (rc = envelope_key_public_pem(ctx, key, &pem[1], &len[1])) != ENVELOPE_OK)
        code = report(ctx, rc, "public key");
    else
        code = write_all_or_none(t, pem, len, n, force);
    envelope_free_secret(pem[0], len[0]);
    envelope_free(pem[1]);
    return code;
}

struct keygen_args {
    const char *out, *pub;
    envelope_key_kind kind;
    unsigned bits;
    int force;
    struct passphrase pass;
    struct out_target t[2]; /* -o, --pub */
};

static int keygen_option(int c, struct keygen_args *a, char **argv)
{
    switch (c) {
    case 's': a->kind = ENVELOPE_KEY_SIGNING; return EXIT_OK;
    case 'e': a->kind = ENVELOPE_KEY_ENCRYPTION; return EXIT_OK;
    case 'b':
        if (strcmp(optarg, "2048") && strcmp(optarg, "3072") && strcmp(optarg, "4096"))
            return usage_error("keygen", "--bits must be 2048, 3072 or 4096");
        a->bits = (unsigned)atoi(optarg);
        return EXIT_OK;
    case 'o': a->out = optarg; return EXIT_OK;
    case 'p': a->pub = optarg; return EXIT_OK;
    case 'P': a->pass.file = optarg; return EXIT_OK;
    case 'D': return passphrase_set_fd(&a->pass, "keygen", optarg);
    case 'f': a->force = 1; return EXIT_OK;
    case 'q': cli_quiet = 1; return EXIT_OK;
    case 'h': fputs(keygen_help, stdout); exit(EXIT_OK);
    default: return bad_option("keygen", c, argv);
    }
}

/* Checked before the key is made: nothing is written unless all can be. */
static int keygen_outputs(struct keygen_args *a)
{
    const struct named outs[] = {{"-o", a->out}, {"--pub", a->pub}};
    const struct named ins[] = {{"--passphrase-file", a->pass.file}};
    int code;

    if ((code = outputs_distinct("keygen", outs, 2, ins, 1)) != EXIT_OK ||
        (code = out_target_check(a->out, a->force, &a->t[0])) != EXIT_OK)
        return code;
    if (a->t[0].kind == OUT_DESCRIPTOR && a->t[0].fd <= STDERR_FILENO)
        return usage_error("keygen", "-o needs a file: a private key is never written to stdout");
    return a->pub ? out_target_check(a->pub, a->force, &a->t[1]) : EXIT_OK;
}

static int keygen_parse(int argc, char **argv, struct keygen_args *a)
{
    static const struct option opts[] = {
        {"sign", no_argument, NULL, 's'},       {"encrypt", no_argument, NULL, 'e'},
        {"bits", required_argument, NULL, 'b'}, {"pub", required_argument, NULL, 'p'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"passphrase-fd", required_argument, NULL, 'D'},
        {"force", no_argument, NULL, 'f'},      {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    int c, code;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:q", opts, NULL)) != -1)
        if ((code = keygen_option(c, a, argv)) != EXIT_OK)
            return code;
    if (a->kind == 0 || a->out == NULL || optind != argc)
        return usage_error("keygen", "need --sign or --encrypt, and -o KEY.pem");
    if (is_std_stream(a->out))
        return usage_error("keygen", "-o needs a file: a private key is never written to stdout");
    if (a->kind == ENVELOPE_KEY_SIGNING && a->bits != 0)
        return usage_error("keygen", "--bits is for --encrypt keys");
    if (a->pass.file && a->pass.fd >= 0)
        return usage_error("keygen", "--passphrase-file and --passphrase-fd exclude each other");
    return keygen_outputs(a);
}

int cmd_keygen(int argc, char **argv)
{
    struct keygen_args a = {0};
    char fp[ENVELOPE_FINGERPRINT_SIZE], out[SHOWN_MAX];
    envelope_ctx *ctx = NULL;
    envelope_key *key = NULL;
    envelope_rc rc;
    int code;

    passphrase_init(&a.pass);
    if ((code = keygen_parse(argc, argv, &a)) != EXIT_OK)
        return code;
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK)
        return fail_with(EXIT_IO, "out of memory");
    if ((rc = envelope_key_generate(ctx, a.kind, a.bits, &key)) != ENVELOPE_OK)
        code = report(ctx, rc, "keygen");
    else
        code = write_keys(ctx, key, a.t, a.pub ? 2 : 1, &a.pass, a.force);
    if (code == EXIT_OK && !cli_quiet && envelope_key_fingerprint(ctx, key, fp) == ENVELOPE_OK)
        fprintf(stderr, "envelope: %s key %s written to %s\n",
                a.kind == ENVELOPE_KEY_SIGNING ? "ECDSA P-521 signing" : "RSA encryption", fp,
                shown(a.out, out));
    passphrase_wipe(&a.pass);
    envelope_key_free(key);
    envelope_ctx_free(ctx);
    return code;
}

static const char pubkey_help[] =
    "usage: envelope pubkey KEYREF [-o PUB.pem] [--force] [--quiet]\n"
    "                       [--passphrase-file F | --passphrase-fd N]\n"
    "\n"
    "Writes the public key (SubjectPublicKeyInfo PEM) of a key file or KMS key to\n"
    "PUB.pem (mode 0644) or stdout, for partners and offline verifiers, and prints\n"
    "its fingerprint (sha256: of the DER public key) on stderr.\n";

int cmd_pubkey(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"passphrase-fd", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},  {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int c, force = 0, code;
    char fp[ENVELOPE_FINGERPRINT_SIZE];
    envelope_ctx *ctx;
    envelope_key *key = NULL;
    struct passphrase pass;
    struct out_target t;
    struct named outs[1] = {{NULL, "-"}}, ins[2] = {{"KEYREF", NULL}, {"--passphrase-file", NULL}};

    passphrase_init(&pass);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:q", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f': force = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'P': pass.file = optarg; break;
        case 'D':
            if ((code = passphrase_set_fd(&pass, "pubkey", optarg)) != EXIT_OK)
                return code;
            break;
        case 'h': fputs(pubkey_help, stdout); return EXIT_OK;
        default: return bad_option("pubkey", c, argv);
        }
    }
    if (optind != argc - 1)
        return usage_error("pubkey", "need exactly one KEYREF");
    if (out)
        outs[0] = (struct named){"-o", out};
    ins[0].path = keyref_file(argv[optind]);
    ins[1].path = pass.file;
    if ((code = outputs_distinct("pubkey", outs, 1, ins, 2)) != EXIT_OK ||
        (code = out_target_check(out, force, &t)) != EXIT_OK)
        return code;
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK)
        return fail_with(EXIT_IO, "out of memory");
    if ((code = load_key(ctx, "pubkey", argv[optind], 0, 0, &pass, &key)) == EXIT_OK &&
        (code = write_public(ctx, key, &t, force)) == EXIT_OK && !cli_quiet) {
        envelope_rc rc = envelope_key_fingerprint(ctx, key, fp);

        if (rc == ENVELOPE_OK)
            fprintf(stderr, "%s\n", fp);
        else
            code = report_key(ctx, rc, "pubkey", argv[optind]);
    }
    passphrase_wipe(&pass);
    envelope_key_free(key);
    envelope_ctx_free(ctx);
    return code;
}
