/* envelope inspect: what the cleartext header says, with no key. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char inspect_help[] =
    "usage: envelope inspect [--json] [IN|-]\n"
    "\n"
    "Prints what anyone can read of an envelope without a key: format version,\n"
    "algorithm suite, chunk size, header and payload sizes, and each recipient's\n"
    "key size and label: its key fingerprint, followed by the short form to read\n"
    "aloud (e47b-4ca1-c04a-b8db, the first 16 hex digits), and/or its KMS key ARN,\n"
    "or 'hidden'. Nothing is decrypted or verified: the labels are the sender's\n"
    "claims.\n"
    "\n"
    "An armored envelope (seal --armor) is read as far as its header.\n"
    "A compat (tutorial) envelope is one bare RSA ciphertext: inspect names it\n"
    "by its size (256, 384 or 512 bytes: RSA-2048, 3072 or 4096), from a file or\n"
    "a pipe, unless it is text or starts like a damaged v1 envelope, and has no\n"
    "header to show. 'envelope open --allow-compat' opens it.\n"
    "--json prints one JSON object instead, with the same facts or why there are\n"
    "none (its members: envelope(1)).\n"
    "'--' before IN ends the options (for a file whose name begins with '-').\n";

static void print_info(const envelope_info *info)
{
    if (json_on()) {
        json_put_info(info);
        return;
    }
    printf("format: libenvelope v%u\n", envelope_info_version(info));
    printf("suite: %u (ECDSA P-521/SHA-512, RSA-OAEP-SHA-256, HKDF-SHA-256, AES-256-GCM)\n",
           envelope_info_suite(info));
    printf("chunk size: %u\n", envelope_info_chunk_size(info));
    printf("header size: %zu\n", envelope_info_header_size(info));
    if (envelope_info_payload_size(info))
        printf("payload size: %llu\n", (unsigned long long)envelope_info_payload_size(info));
    printf("recipients: %zu\n", envelope_info_recipient_count(info));
    for (size_t i = 0; i < envelope_info_recipient_count(info); i++) {
        const char *label = envelope_info_recipient_label(info, i);

        printf("  %zu: RSA-%u ", i + 1, envelope_info_recipient_bits(info, i));
        fingerprint_print(stdout, *label ? label : "hidden");
        putchar('\n');
    }
}

static void print_compat(unsigned bits)
{
    if (json_on()) {
        json_put_compat(bits);
        return;
    }
    printf("format: compat (tutorial) envelope, recognised by its size\n");
    printf("size: %u bytes: one RSA-OAEP-SHA-256 ciphertext for an RSA-%u key\n", bits / 8,
           bits);
    printf("header: none: a compat envelope has no cleartext header; its recipient, signer\n"
           "  and name are known only once it is opened ('envelope open --allow-compat')\n");
}

/* [--json] [--help] [IN], in any order; "--" ends the options. */
static int parse(int argc, char **argv, const char **in)
{
    int i, options = 1;

    for (i = 1; i < argc; i++) {
        if (options && strcmp(argv[i], "--") == 0) {
            options = 0;
        } else if (options && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
            fputs(inspect_help, stdout);
            exit(stdout_close(EXIT_OK));
        } else if (options && strcmp(argv[i], "--json") == 0) {
            json_enable();
        } else if (options && argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage_error("inspect", "unknown option '%s'", argv[i]);
        } else if (*in != NULL) {
            return usage_error("inspect", "one input at most");
        } else {
            *in = argv[i];
        }
    }
    return EXIT_OK;
}

int cmd_inspect(int argc, char **argv)
{
    envelope_ctx *ctx = NULL;
    envelope_info *info = NULL;
    const char *in = NULL;
    int fd, code;
    envelope_rc rc;

    if ((code = parse(argc, argv, &in)) != EXIT_OK)
        return code;
    if (is_std_stream(in) && isatty(STDIN_FILENO))
        return usage_error("inspect", "will not read an envelope from a terminal; give IN");
    if ((fd = open_input(in)) < 0)
        return EXIT_IO;
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK) {
        code = fail_with(EXIT_IO, "out of memory");
        goto out;
    }
    rc = envelope_inspect_fd(ctx, fd, &info);
    if (rc != ENVELOPE_OK)
        code = report(ctx, rc, input_name(in));
    else if (envelope_info_version(info) == 0) /* compat: its size is all it shows */
        print_compat(envelope_info_recipient_bits(info, 0));
    else
        print_info(info);
out:
    envelope_info_free(info);
    envelope_ctx_free(ctx);
    if (fd > STDIN_FILENO)
        close(fd);
    return code;
}
