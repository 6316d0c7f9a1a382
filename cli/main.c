/* envelope: sign-then-encrypt envelopes from the command line. A thin layer
 * over the public API: parse, call, report. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"

static const char usage_text[] =
    "usage: envelope COMMAND [OPTIONS]\n"
    "\n"
    "Sign a message with an ECDSA P-521 key and encrypt it to RSA keys; decrypt\n"
    "and verify. Keys are files (PEM or DER) or awskms:// references.\n"
    "\n"
    "commands:\n"
    "  keygen  (--sign | --encrypt [--bits N]) -o KEY.pem [--pub PUB.pem]\n"
    "  pubkey  KEYREF [-o PUB.pem]\n"
    "  seal    --sign-key KEY --to KEY [--to KEY ...] [--name NAME] [-o OUT] [IN]\n"
    "  open    --decrypt-key KEY --verify-key KEY [...] [-o OUT | --extract DIR] [IN]\n"
    "  verify  --verify-key KEY [...] [--recipient KEY] DIR\n"
    "  inspect [IN]\n"
    "  seal|open ... --out-dir DIR [-j N] [--files-from F] FILE...   many inputs at once\n"
    "\n"
    "'envelope help COMMAND' (or 'envelope COMMAND --help') describes each command;\n"
    "envelope(1) has examples. 'envelope --version' (-V, version) prints the version.\n"
    "keygen, pubkey, open, verify and inspect take --json: one JSON object saying\n"
    "what was done or why not, for scripts (envelope(1) lists its members); with\n"
    "--out-dir, seal and open print one per input, then a summary (JSON Lines).\n"
    "\n"
    "exit status:\n"
    "  0  success\n"
    "  1  the envelope cannot be opened or verified (not an envelope, unknown\n"
    "     version, not addressed to this key, tampered, truncated, untrusted\n"
    "     signer, forwarded, too large, too old)\n"
    "  2  usage error\n"
    "  3  key or KMS problem\n"
    "  4  input/output error\n";

/* A crash must not leave private keys, passphrases or plaintext in a core
 * file: no core dumps, and a process that other processes of the same user
 * cannot ptrace or read through /proc/PID/mem. Lowering both always
 * succeeds, so there is nothing to report. */
static void no_core_dumps(void)
{
    const struct rlimit none = {0, 0};

    (void)setrlimit(RLIMIT_CORE, &none);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* OpenSSL frees all of its state at exit (OPENSSL_cleanup): about 1.4
 * million instructions, a twentieth of a one-shot seal, for memory the
 * ending process gives back anyway. The request must come before any other
 * OpenSSL call; if it fails, OpenSSL initialises itself at its first use as
 * it would have, and reports any failure there. The configuration file
 * still loads at that first use: system policy keeps applying. */
static void no_openssl_exit_cleanup(void)
{
    (void)OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}

struct command {
    const char *name;
    int (*run)(int, char **);
    int json; /* takes --json */
};

static const struct command commands[] = {
    {"keygen", cmd_keygen, 1}, {"pubkey", cmd_pubkey, 1}, {"seal", cmd_seal, 1},
    {"open", cmd_open, 1},     {"verify", cmd_verify, 1}, {"inspect", cmd_inspect, 1},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* 'envelope help [COMMAND]', as git and go have it: the general usage, or
 * exactly what 'envelope COMMAND --help' prints. */
static int help(int argc, char **argv)
{
    const struct command *c;
    char *args[3];

    if (argc < 3)
        return fputs(usage_text, stdout), EXIT_OK;
    if (argc > 3)
        return fail_with(EXIT_USAGE, "help takes one command (see 'envelope --help')");
    if ((c = find_command(argv[2])) == NULL)
        return fail_with(EXIT_USAGE, "unknown command '%s' (see 'envelope --help')", argv[2]);
    args[0] = argv[2];
    args[1] = "--help";
    args[2] = NULL;
    return c->run(2, args);
}

static int is_any(const char *arg, const char *a, const char *b, const char *c)
{
    return strcmp(arg, a) == 0 || strcmp(arg, b) == 0 || strcmp(arg, c) == 0;
}

int main(int argc, char **argv)
{
    const struct command *c;

    no_core_dumps();
    no_openssl_exit_cleanup();
    if (argc < 2)
        return fputs(usage_text, stderr), EXIT_USAGE;
    if (is_any(argv[1], "--help", "-h", "help"))
        return stdout_close(help(argc, argv));
    if (is_any(argv[1], "--version", "-V", "version")) {
        printf("envelope %s (library %s)\n", ENVELOPE_VERSION_STRING, envelope_version());
        return stdout_close(EXIT_OK);
    }
    signals_install();
    if ((c = find_command(argv[1])) != NULL) {
        if (c->json)
            json_setup(c->name, argc - 1, argv + 1);
        return signals_finish(stdout_close(json_finish(c->run(argc - 1, argv + 1))));
    }
    return fail_with(EXIT_USAGE, "unknown command '%s' (see 'envelope --help')", argv[1]);
}
