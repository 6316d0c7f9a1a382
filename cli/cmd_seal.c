/* envelope seal: sign, then encrypt to one or more recipients. */
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_TO 16

static const char seal_help[] =
    "usage: envelope seal --sign-key KEY --to KEY [--to KEY ...] [--name NAME]\n"
    "                     [--hide-recipients] [-o OUT] [--force] [IN|-]\n"
    "\n"
    "Signs IN (default: stdin) with the P-521 --sign-key and encrypts it to each\n"
    "--to RSA key (1 to 16; public keys suffice). The envelope goes to OUT, or to\n"
    "stdout when that is not a terminal. The message keeps IN's base name, or\n"
    "'message' for stdin; --name sets another. --hide-recipients leaves the\n"
    "recipients' key fingerprints out of the cleartext header.\n"
    "KEY is a PEM/DER file, file:PATH or awskms://[HOST[:PORT]]/KEY.\n";

struct seal_args {
    const char *sign_ref, *to[MAX_TO], *name, *out, *in, *pass_file;
    size_t n_to;
    int hide, force;
};

static int parse(int argc, char **argv, struct seal_args *a)
{
    static const struct option opts[] = {
        {"sign-key", required_argument, NULL, 's'},
        {"to", required_argument, NULL, 't'},
        {"name", required_argument, NULL, 'n'},
        {"hide-recipients", no_argument, NULL, 'H'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"force", no_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    while ((c = getopt_long(argc, argv, "o:q", opts, NULL)) != -1) {
        switch (c) {
        case 's': a->sign_ref = optarg; break;
        case 't':
            if (a->n_to == MAX_TO)
                return usage_error("seal", "at most %d recipients", MAX_TO);
            a->to[a->n_to++] = optarg;
            break;
        case 'n': a->name = optarg; break;
        case 'H': a->hide = 1; break;
        case 'P': a->pass_file = optarg; break;
        case 'f': a->force = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'o': a->out = optarg; break;
        case 'h': fputs(seal_help, stdout); exit(EXIT_OK);
        default: return usage_error("seal", "bad option");
        }
    }
    if (optind < argc)
        a->in = argv[optind++];
    if (optind != argc)
        return usage_error("seal", "one input at most");
    if (a->sign_ref == NULL || a->n_to == 0)
        return usage_error("seal", "need --sign-key and at least one --to");
    if (a->out == NULL && isatty(STDOUT_FILENO))
        return usage_error("seal", "will not write an envelope to a terminal; use -o OUT");
    return EXIT_OK;
}

/* The message's name: --name, else the input's base name. */
static int choose_name(envelope_seal_opts *opts, const struct seal_args *a)
{
    char *copy;
    envelope_rc rc;

    if (a->name) {
        if (envelope_seal_opts_set_name(opts, a->name) != ENVELOPE_OK)
            return usage_error("seal", "--name '%s' is not allowed: UTF-8, 1-255 bytes, no '/', "
                                       "no leading dot, not manifest.*", a->name);
        return EXIT_OK;
    }
    if (a->in == NULL || strcmp(a->in, "-") == 0)
        return EXIT_OK; /* "message" */
    if ((copy = strdup(a->in)) == NULL)
        return EXIT_IO;
    rc = envelope_seal_opts_set_name(opts, basename(copy));
    free(copy);
    if (rc != ENVELOPE_OK)
        return usage_error("seal", "'%s' cannot name the message (no leading dot, not "
                                   "manifest.*, UTF-8): choose one with --name", a->in);
    return EXIT_OK;
}

static int build_opts(envelope_ctx *ctx, const struct seal_args *a, envelope_seal_opts *opts)
{
    struct passphrase_source pass = {a->pass_file};
    envelope_key *key = NULL;
    envelope_rc rc;
    int code;

    if ((code = load_key(ctx, a->sign_ref, &pass, &key)) != EXIT_OK)
        return code;
    rc = envelope_seal_opts_set_sign_key(opts, key);
    envelope_key_free(key);
    if (rc != ENVELOPE_OK)
        return report(ctx, rc, a->sign_ref);
    for (size_t i = 0; i < a->n_to; i++) {
        if ((code = load_key(ctx, a->to[i], &pass, &key)) != EXIT_OK)
            return code;
        rc = envelope_seal_opts_add_recipient(opts, key);
        envelope_key_free(key);
        if (rc != ENVELOPE_OK)
            return report(ctx, rc, a->to[i]);
    }
    envelope_seal_opts_set_hide_recipients(opts, a->hide);
    return choose_name(opts, a);
}

int cmd_seal(int argc, char **argv)
{
    struct seal_args a = {0};
    envelope_ctx *ctx = NULL;
    envelope_seal_opts *opts = NULL;
    struct progress bar;
    int code, in_fd = -1;
    envelope_rc rc;

    if ((code = parse(argc, argv, &a)) != EXIT_OK)
        return code;
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK || envelope_seal_opts_new(&opts) != ENVELOPE_OK) {
        code = EXIT_IO;
        goto out;
    }
    if ((code = build_opts(ctx, &a, opts)) != EXIT_OK)
        goto out;
    if ((in_fd = open_input(a.in)) < 0) {
        code = EXIT_IO;
        goto out;
    }
    progress_init(&bar, "sealing");
    envelope_seal_opts_set_progress(opts, progress_cb, &bar);
    rc = a.out ? envelope_seal_file(ctx, opts, in_fd, a.out, a.force)
               : envelope_seal_fd(ctx, opts, in_fd, STDOUT_FILENO);
    progress_done(&bar);
    if (rc != ENVELOPE_OK)
        code = report(ctx, rc, a.in ? a.in : "stdin");
out:
    if (in_fd > STDIN_FILENO)
        close(in_fd);
    envelope_seal_opts_free(opts);
    envelope_ctx_free(ctx);
    return code;
}
