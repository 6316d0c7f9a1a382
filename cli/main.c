/* envelope: sign-then-encrypt envelopes from the command line. A thin layer
 * over the public API: parse, call, report. */
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
    "\n"
    "'envelope COMMAND --help' describes each command; envelope(1) has examples.\n"
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

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"keygen", cmd_keygen}, {"pubkey", cmd_pubkey}, {"seal", cmd_seal},
        {"open", cmd_open},     {"verify", cmd_verify}, {"inspect", cmd_inspect},
    };

    no_core_dumps();
    if (argc < 2)
        return fputs(usage_text, stderr), EXIT_USAGE;
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return fputs(usage_text, stdout), stdout_close(EXIT_OK);
    if (strcmp(argv[1], "--version") == 0) {
        printf("envelope %s (library %s)\n", ENVELOPE_VERSION_STRING, envelope_version());
        return stdout_close(EXIT_OK);
    }
    signals_install();
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return signals_finish(stdout_close(commands[i].run(argc - 1, argv + 1)));
    return fail_with(EXIT_USAGE, "unknown command '%s' (see 'envelope --help')", argv[1]);
}
