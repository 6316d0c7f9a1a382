/* envelope keygen and envelope pubkey. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char keygen_help[] =
    "usage: envelope keygen (--sign | --encrypt [--bits 2048|3072|4096]) -o KEY.pem\n"
    "                       [--pub PUB.pem] [--force] [--quiet] [--json]\n"
    "                       [--passphrase-file F | --passphrase-fd N |\n"
    "                        --ask-passphrase]\n"
    "\n"
    "Creates a private key (PKCS#8 PEM, mode 0600): --sign an ECDSA P-521 key for\n"
    "signing, --encrypt an RSA key (4096 bits by default) for receiving. --pub also\n"
    "writes its public key (mode 0644), to hand to the other party. With\n"
    "--passphrase-file or --passphrase-fd the private key is encrypted under the\n"
    "first line read there: AES-256-CBC, its key derived from the passphrase by\n"
    "PBKDF2-HMAC-SHA-256 with 600,000 iterations and a random salt (PKCS#8 PBES2,\n"
    "which openssl reads too). That slows guessing; only a long passphrase makes\n"
    "it hopeless. --ask-passphrase asks for the passphrase twice on the terminal\n"
    "instead; ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD stand for the\n"
    "options when none is given. Prints the key's fingerprint, then its short form\n"
    "to read aloud when keys are exchanged: (e47b-4ca1-c04a-b8db), the first 16\n"
    "hex digits. --json prints one JSON object saying what was made or why not\n"
    "(its members: envelope(1)): on stdout, or on stderr with --pub -.\n";

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

/* The new key's passphrase, if any, before the key is made: an RSA key
 * takes seconds, and a mistyped passphrase should not waste them. Its
 * length, 0 for none, or -1 after a message. */
static int new_passphrase(struct passphrase *pass, const char *out, char *secret, size_t size)
{
    if (pass->ask)
        return passphrase_ask_new(pass, out, secret, size);
    if (pass->file || pass->fd >= 0)
        return passphrase_read_given(pass, secret, size);
    return 0;
}

/* The private key's PEM, encrypted under the passphrase if there is one
 * (len > 0). */
static int private_pem(envelope_ctx *ctx, envelope_key *key, const char *out,
                       const char *secret, int len, uint8_t **pem, size_t *pem_len)
{
    envelope_rc rc = envelope_key_private_pem(ctx, key, len > 0 ? secret : NULL,
                                              len > 0 ? (size_t)len : 0, pem, pem_len);

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
                      const char *secret, int secret_len, int force)
{
    uint8_t *pem[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    envelope_rc rc;
    int code;

    if ((code = private_pem(ctx, key, t[0].path, secret, secret_len, &pem[0], &len[0])) !=
        EXIT_OK)
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
    case 'a': a->pass.ask = 1; return EXIT_OK;
    case 'f': a->force = 1; return EXIT_OK;
    case 'q': cli_quiet = 1; return EXIT_OK;
    case 'J': json_enable(); return EXIT_OK;
    case 'h': fputs(keygen_help, stdout); exit(stdout_close(EXIT_OK));
    default: return bad_option("keygen", c, argv);
    }
}

/* Whether a key goes to stdout, as far as the options say (-o - is
 * refused later). */
static int keygen_to_stdout(const struct keygen_args *a)
{
    return (a->out && is_std_stream(a->out)) || (a->pub && is_std_stream(a->pub));
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
    if (a->pub && (code = out_target_check(a->pub, a->force, &a->t[1])) != EXIT_OK)
        return code;
    json_data_on_stdout(a->pub && a->t[1].kind == OUT_DESCRIPTOR && a->t[1].fd == STDOUT_FILENO);
    return EXIT_OK;
}

static int keygen_parse(int argc, char **argv, struct keygen_args *a)
{
    static const struct option opts[] = {
        {"sign", no_argument, NULL, 's'},       {"encrypt", no_argument, NULL, 'e'},
        {"bits", required_argument, NULL, 'b'}, {"pub", required_argument, NULL, 'p'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"passphrase-fd", required_argument, NULL, 'D'},
        {"ask-passphrase", no_argument, NULL, 'a'},
        {"force", no_argument, NULL, 'f'},      {"quiet", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    struct options given;
    int c, code;

    options_init(&given, "keygen", opts, "bopPD", "se PD Pa Da");
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:q", opts, NULL)) != -1) {
        if ((code = options_seen(&given, c, optarg)) != EXIT_OK ||
            (code = keygen_option(c, a, argv)) != EXIT_OK)
            return code;
        json_data_on_stdout(keygen_to_stdout(a));
    }
    if (a->kind == 0 || a->out == NULL || optind != argc)
        return usage_error("keygen", "need --sign or --encrypt, and -o KEY.pem");
    if (is_std_stream(a->out))
        return usage_error("keygen", "-o needs a file: a private key is never written to stdout");
    if (a->kind == ENVELOPE_KEY_SIGNING && a->bits != 0)
        return usage_error("keygen", "--bits is for --encrypt keys");
    if ((code = passphrase_from_env(&a->pass, "keygen")) != EXIT_OK)
        return code;
    return keygen_outputs(a);
}

/* The new key's fingerprint on stderr, and the members of --json. A local
 * key's fingerprint cannot fail but for memory: then there is nothing to
 * tell. */
static void keygen_tell(envelope_ctx *ctx, const struct keygen_args *a, const envelope_key *key)
{
    char fp[ENVELOPE_FINGERPRINT_SIZE], out[SHOWN_MAX];
    const char *outputs[2] = {a->out, a->pub};

    if (envelope_key_fingerprint(ctx, key, fp) != ENVELOPE_OK)
        return;
    if (json_on())
        json_put_key(key, NULL, fp, outputs, a->pub ? 2 : 1);
    if (cli_quiet || json_owns(stderr))
        return;
    fprintf(stderr, "envelope: %s key ",
            a->kind == ENVELOPE_KEY_SIGNING ? "ECDSA P-521 signing" : "RSA encryption");
    fingerprint_print(stderr, fp);
    fprintf(stderr, " written to %s\n", shown(a->out, out));
}

int cmd_keygen(int argc, char **argv)
{
    struct keygen_args a = {0};
    char secret[1024];
    envelope_ctx *ctx = NULL;
    envelope_key *key = NULL;
    envelope_rc rc;
    int code, len;

    passphrase_init(&a.pass);
    if ((code = keygen_parse(argc, argv, &a)) != EXIT_OK)
        return code;
    if ((len = new_passphrase(&a.pass, a.out, secret, sizeof(secret))) < 0)
        code = EXIT_USAGE;
    else if (envelope_ctx_new(&ctx) != ENVELOPE_OK)
        code = fail_with(EXIT_IO, "out of memory");
    else if ((rc = envelope_key_generate(ctx, a.kind, a.bits, &key)) != ENVELOPE_OK)
        code = report(ctx, rc, "keygen");
    else
        code = write_keys(ctx, key, a.t, a.pub ? 2 : 1, secret, len, a.force);
    explicit_bzero(secret, sizeof(secret));
    if (code == EXIT_OK)
        keygen_tell(ctx, &a, key);
    passphrase_wipe(&a.pass);
    envelope_key_free(key);
    envelope_ctx_free(ctx);
    return code;
}

static const char pubkey_help[] =
    "usage: envelope pubkey KEYREF [-o PUB.pem] [--force] [--quiet] [--json]\n"
    "                       [--passphrase-file F | --passphrase-fd N]\n"
    "\n"
    "Writes the public key (SubjectPublicKeyInfo PEM) of a key file or KMS key to\n"
    "PUB.pem (mode 0644) or stdout, for partners and offline verifiers, and prints\n"
    "its fingerprint (sha256: of the DER public key) on stderr, then its short form\n"
    "to read aloud, (e47b-4ca1-c04a-b8db): the first 16 hex digits. Keys are\n"
    "always matched on the full fingerprint. An encrypted key's passphrase comes\n"
    "from --passphrase-file or --passphrase-fd, else from\n"
    "ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD, else the terminal.\n"
    "--json prints one JSON object saying what was written or why not (its\n"
    "members: envelope(1)): on stderr when the key goes to stdout, else stdout.\n";

/* The fingerprint on stderr, and the members of --json. */
static int pubkey_tell(envelope_ctx *ctx, envelope_key *key, const char *ref, const char *out)
{
    char fp[ENVELOPE_FINGERPRINT_SIZE];
    const char *outputs[1] = {out ? out : "-"};
    envelope_rc rc = envelope_key_fingerprint(ctx, key, fp);

    if (rc != ENVELOPE_OK)
        return report_key(ctx, rc, "pubkey", ref);
    if (json_on())
        json_put_key(key, ref, fp, outputs, 1);
    if (!cli_quiet && !json_owns(stderr)) {
        fingerprint_print(stderr, fp);
        fputc('\n', stderr);
    }
    return EXIT_OK;
}

int cmd_pubkey(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"passphrase-fd", required_argument, NULL, 'D'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},  {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int c, force = 0, code;
    envelope_ctx *ctx;
    envelope_key *key = NULL;
    struct passphrase pass;
    struct options given;
    struct out_target t;
    struct named outs[1] = {{NULL, "-"}}, ins[2] = {{"KEYREF", NULL}, {"--passphrase-file", NULL}};

    passphrase_init(&pass);
    json_data_on_stdout(1); /* without -o */
    options_init(&given, "pubkey", opts, "oPD", "PD");
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:q", opts, NULL)) != -1) {
        if ((code = options_seen(&given, c, optarg)) != EXIT_OK)
            return code;
        switch (c) {
        case 'o': out = optarg; json_data_on_stdout(is_std_stream(optarg)); break;
        case 'J': json_enable(); break;
        case 'f': force = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'P': pass.file = optarg; break;
        case 'D':
            if ((code = passphrase_set_fd(&pass, "pubkey", optarg)) != EXIT_OK)
                return code;
            break;
        case 'h': fputs(pubkey_help, stdout); exit(stdout_close(EXIT_OK));
        default: return bad_option("pubkey", c, argv);
        }
    }
    if (optind != argc - 1)
        return usage_error("pubkey", "need exactly one KEYREF");
    if ((code = passphrase_from_env(&pass, "pubkey")) != EXIT_OK)
        return code;
    if (out)
        outs[0] = (struct named){"-o", out};
    ins[0].path = keyref_file(argv[optind]);
    ins[1].path = pass.file;
    if ((code = outputs_distinct("pubkey", outs, 1, ins, 2)) != EXIT_OK ||
        (code = out_target_check(out, force, &t)) != EXIT_OK)
        return code;
    json_data_on_stdout(t.kind == OUT_DESCRIPTOR && t.fd == STDOUT_FILENO);
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK)
        return fail_with(EXIT_IO, "out of memory");
    if ((code = load_key(ctx, "pubkey", argv[optind], 0, 0, &pass, &key)) == EXIT_OK &&
        (code = write_public(ctx, key, &t, force)) == EXIT_OK && (!cli_quiet || json_on()))
        code = pubkey_tell(ctx, key, argv[optind], out);
    passphrase_wipe(&pass);
    envelope_key_free(key);
    envelope_ctx_free(ctx);
    return code;
}
