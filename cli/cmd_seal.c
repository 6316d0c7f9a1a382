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
    "                     [--hide-recipients] [--format v1|compat] [--armor] [--created TIME]\n"
    "                     [-o OUT] [--force] [--quiet] [--passphrase-file F | --passphrase-fd N]\n"
    "                     [IN|-]\n"
    "\n"
    "Signs IN (default: stdin) with the P-521 --sign-key and encrypts it to each\n"
    "--to RSA key (1 to 16 keys; public keys suffice; a PEM file may hold several,\n"
    "all used; a key given twice is used once). The envelope goes to OUT (never\n"
    "replacing a file without --force), or to stdout, but never to a terminal\n"
    "unless --armor makes it text.\n"
    "The message keeps IN's base name, or 'message' for stdin; --name sets another.\n"
    "--hide-recipients leaves the recipients' fingerprints out of the cleartext\n"
    "header. --format compat makes the tutorial's message.enc (small messages,\n"
    "RSA-4096, no recipient binding). --armor writes the envelope as text, for\n"
    "channels that carry only text: base64 in lines of 64 characters between\n"
    "-----BEGIN LIBENVELOPE ENVELOPE----- and -----END LIBENVELOPE ENVELOPE-----;\n"
    "open and inspect recognise it (v1 only, not with --format compat); being\n"
    "text, it may go to a terminal, as no other envelope may.\n"
    "--created sets the creation time the signed\n"
    "manifest records (2024-05-01T12:00:00Z or @SECONDS; default now), for\n"
    "reproducible manifests. KEY is a PEM/DER file, file:PATH or\n"
    "awskms://[HOST[:PORT]]/KEY; an encrypted --sign-key asks for its passphrase\n"
    "on the terminal unless --passphrase-file or --passphrase-fd gives it (or,\n"
    "when neither is given, ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD).\n"
    "An option that takes one value may be given once.\n";

struct seal_args {
    const char *sign_ref, *to[KEY_SET_MAX], *name, *out, *in;
    size_t n_to;
    int hide, force, armor;
    envelope_format format;
    time_t created;
    struct passphrase pass;
    struct out_target t;
};

static int parse_option(int c, struct seal_args *a, char **argv)
{
    switch (c) {
    case 's': a->sign_ref = optarg; return EXIT_OK;
    case 't':
        /* The limit of MAX_TO counts keys, after loading (a file may hold
         * several, a key given twice counts once): this bounds the options. */
        if (a->n_to == KEY_SET_MAX)
            return usage_error("seal", "at most %d --to options (and %d recipients)",
                               KEY_SET_MAX, MAX_TO);
        a->to[a->n_to++] = optarg;
        return EXIT_OK;
    case 'n': a->name = optarg; return EXIT_OK;
    case 'H': a->hide = 1; return EXIT_OK;
    case 'A': a->armor = 1; return EXIT_OK;
    case 'F':
        if (strcmp(optarg, "v1") == 0)
            a->format = ENVELOPE_FORMAT_V1;
        else if (strcmp(optarg, "compat") == 0)
            a->format = ENVELOPE_FORMAT_COMPAT;
        else
            return usage_error("seal", "--format '%s': v1 or compat", optarg);
        return EXIT_OK;
    case 'c':
        if (parse_time(optarg, &a->created) != 0)
            return usage_error("seal", "--created '%s': a UTC time like 2024-05-01T12:00:00Z "
                                       "or @SECONDS", optarg);
        return EXIT_OK;
    case 'P': a->pass.file = optarg; return EXIT_OK;
    case 'D': return passphrase_set_fd(&a->pass, "seal", optarg);
    case 'f': a->force = 1; return EXIT_OK;
    case 'q': cli_quiet = 1; return EXIT_OK;
    case 'o': a->out = optarg; return EXIT_OK;
    case 'h': fputs(seal_help, stdout); exit(stdout_close(EXIT_OK));
    default: return bad_option("seal", c, argv);
    }
}

/* The envelope must not replace the message or a key it is made from. */
static int outputs_differ(const struct seal_args *a)
{
    struct named outs[1] = {{a->out ? "-o" : NULL, a->out ? a->out : "-"}};
    struct named ins[KEY_SET_MAX + 3]; /* IN, --sign-key, --passphrase-file, each --to */
    size_t n = 0;

    ins[n++] = is_std_stream(a->in) ? (struct named){NULL, "/dev/stdin"}
                                      : (struct named){"IN", a->in};
    ins[n++] = (struct named){"--sign-key", keyref_file(a->sign_ref)};
    ins[n++] = (struct named){"--passphrase-file", a->pass.file};
    for (size_t i = 0; i < a->n_to; i++)
        ins[n++] = (struct named){"--to", keyref_file(a->to[i])};
    return outputs_distinct("seal", outs, 1, ins, n);
}

/* To a new file, or through a descriptor, or into a device or FIFO. Armor
 * is text, and may go to a terminal (to be copied from there), with no
 * progress bar across its lines. */
static envelope_rc seal_to(envelope_ctx *ctx, struct seal_args *a, envelope_seal_opts *opts,
                           int in_fd, struct progress *bar, int *code)
{
    envelope_rc rc;

    if (a->t.kind == OUT_NEW_FILE)
        return envelope_seal_file(ctx, opts, in_fd, a->out, a->force);
    if ((*code = out_target_open(&a->t)) != EXIT_OK)
        return ENVELOPE_E_IO;
    if (isatty(a->t.fd) && a->armor)
        bar->enabled = 0;
    else if (isatty(a->t.fd)) {
        *code = usage_error("seal", "will not write an envelope to a terminal (%s)", a->out);
        out_target_close(&a->t);
        return ENVELOPE_E_INVALID_ARGUMENT;
    }
    rc = envelope_seal_fd(ctx, opts, in_fd, a->t.fd);
    out_target_close(&a->t);
    return rc;
}

static int parse(int argc, char **argv, struct seal_args *a)
{
    static const struct option opts[] = {
        {"sign-key", required_argument, NULL, 's'}, {"to", required_argument, NULL, 't'},
        {"name", required_argument, NULL, 'n'},     {"hide-recipients", no_argument, NULL, 'H'},
        {"format", required_argument, NULL, 'F'},   {"created", required_argument, NULL, 'c'},
        {"armor", no_argument, NULL, 'A'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"passphrase-fd", required_argument, NULL, 'D'},
        {"force", no_argument, NULL, 'f'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    struct options given;
    int c, code;

    options_init(&given, "seal", opts, "snFcPDo", "PD");
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:q", opts, NULL)) != -1)
        if ((code = options_seen(&given, c, optarg)) != EXIT_OK ||
            (code = parse_option(c, a, argv)) != EXIT_OK)
            return code;
    if (optind < argc)
        a->in = argv[optind++];
    if (optind != argc)
        return usage_error("seal", "one input at most");
    if (a->sign_ref == NULL || a->n_to == 0)
        return usage_error("seal", "need --sign-key and at least one --to");
    if (a->armor && a->format == ENVELOPE_FORMAT_COMPAT)
        return usage_error("seal", "--armor is for v1 envelopes: --format compat writes the "
                                   "bare ciphertext that the tutorial's commands read");
    if ((code = passphrase_from_env(&a->pass, "seal")) != EXIT_OK)
        return code;
    if ((code = outputs_differ(a)) != EXIT_OK ||
        (code = out_target_check(a->out, a->force, &a->t)) != EXIT_OK)
        return code;
    if (a->t.kind == OUT_DESCRIPTOR && isatty(a->t.fd) && !a->armor)
        return usage_error("seal", "will not write an envelope to a terminal; use -o OUT, "
                                   "redirect stdout, or --armor for text");
    return EXIT_OK;
}

/* The message's name: --name, else the input's base name. A refused name
 * is blamed on the one rule it breaks, with the way out. */
static int choose_name(envelope_seal_opts *opts, const struct seal_args *a)
{
    char *copy;
    const char *name, *rule;
    int code = EXIT_OK;

    if (a->name) {
        if ((rule = envelope_message_name_rule(a->name)) != NULL ||
            envelope_seal_opts_set_name(opts, a->name) != ENVELOPE_OK)
            return usage_error("seal", "--name '%s': a message name %s", a->name,
                               rule ? rule : "is not allowed");
        return EXIT_OK;
    }
    if (a->in == NULL || strcmp(a->in, "-") == 0)
        return EXIT_OK; /* "message" */
    if ((copy = strdup(a->in)) == NULL)
        return fail_with(EXIT_IO, "out of memory");
    name = basename(copy);
    if ((rule = envelope_message_name_rule(name)) != NULL ||
        envelope_seal_opts_set_name(opts, name) != ENVELOPE_OK)
        code = usage_error("seal", "'%s': a message name %s: give another with --name", name,
                           rule ? rule : "is not allowed");
    free(copy);
    return code;
}

/* Every key of every --to file, each once; the limit counts keys. */
static int add_recipients(envelope_ctx *ctx, struct seal_args *a, envelope_seal_opts *opts)
{
    struct key_set set = {0};
    int code = EXIT_OK;

    for (size_t i = 0; code == EXIT_OK && i < a->n_to; i++)
        code = load_key_set(ctx, "--to", a->to[i], ENVELOPE_KEY_ENCRYPTION, &a->pass, &set);
    if (code == EXIT_OK && set.n > MAX_TO)
        code = usage_error("seal", "at most %d recipients; the --to options give %zu keys",
                           MAX_TO, set.n);
    for (size_t i = 0; code == EXIT_OK && i < set.n; i++)
        if (envelope_seal_opts_add_recipient(opts, set.keys[i]) != ENVELOPE_OK)
            code = fail_with(EXIT_KEY, "--to %s: cannot encrypt to this key", set.refs[i]);
    key_set_free(&set);
    return code;
}

static int build_opts(envelope_ctx *ctx, struct seal_args *a, envelope_seal_opts *opts)
{
    envelope_key *key = NULL;
    int code;

    if ((code = choose_name(opts, a)) != EXIT_OK ||
        (code = load_key(ctx, "--sign-key", a->sign_ref, ENVELOPE_KEY_SIGNING, 1, &a->pass,
                         &key)) != EXIT_OK)
        return code;
    if (envelope_seal_opts_set_sign_key(opts, key) != ENVELOPE_OK)
        code = fail_with(EXIT_KEY, "--sign-key %s: cannot sign with this key", a->sign_ref);
    envelope_key_free(key);
    if (code == EXIT_OK)
        code = add_recipients(ctx, a, opts);
    /* These fail only without options, which the caller made. */
    if (code == EXIT_OK &&
        (envelope_seal_opts_set_hide_recipients(opts, a->hide) != ENVELOPE_OK ||
         (a->created && envelope_seal_opts_set_created(opts, a->created) != ENVELOPE_OK)))
        code = fail_with(EXIT_USAGE, "cannot set the seal options");
    if (code == EXIT_OK && envelope_seal_opts_set_format(opts, a->format) != ENVELOPE_OK)
        code = usage_error("seal", "this library does not know that --format");
    if (code == EXIT_OK && envelope_seal_opts_set_armor(opts, a->armor) != ENVELOPE_OK)
        code = usage_error("seal", "this library cannot write --armor");
    return code;
}

int cmd_seal(int argc, char **argv)
{
    struct seal_args a = {.format = ENVELOPE_FORMAT_V1};
    envelope_ctx *ctx = NULL;
    envelope_seal_opts *opts = NULL;
    struct progress bar;
    int code, in_fd = -1;
    envelope_rc rc;

    passphrase_init(&a.pass);
    if ((code = parse(argc, argv, &a)) != EXIT_OK)
        return code;
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK || envelope_seal_opts_new(&opts) != ENVELOPE_OK) {
        code = fail_with(EXIT_IO, "out of memory");
        goto out;
    }
    if ((in_fd = open_input(a.in)) < 0) {
        code = EXIT_IO;
        goto out;
    }
    if ((code = build_opts(ctx, &a, opts)) != EXIT_OK)
        goto out;
    progress_init(&bar, "sealing");
    if (envelope_seal_opts_set_progress(opts, progress_cb, &bar) != ENVELOPE_OK) {
        code = fail_with(EXIT_USAGE, "cannot set the seal options");
        goto out;
    }
    signals_watch(ctx);
    rc = seal_to(ctx, &a, opts, in_fd, &bar, &code);
    signals_watch(NULL);
    progress_done(&bar);
    if (rc != ENVELOPE_OK && code == EXIT_OK && signals_caught()) /* the signal says it all */
        code = EXIT_IO;
    else if (rc != ENVELOPE_OK && code == EXIT_OK) /* else the output's failure was said */
        code = report_in_out(ctx, rc, input_name(a.in), is_std_stream(a.out) ? NULL : a.out);
out:
    passphrase_wipe(&a.pass);
    if (in_fd > STDIN_FILENO)
        close(in_fd);
    envelope_seal_opts_free(opts);
    envelope_ctx_free(ctx);
    return code;
}
