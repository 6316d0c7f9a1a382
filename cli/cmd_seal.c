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
    "       envelope seal --sign-key KEY --to KEY [...] --out-dir DIR [-j N] [--json]\n"
    "                     [--files-from F|- [--null]] [--force] [--quiet] [FILE...]\n"
    "\n"
    "Signs IN (default: stdin) with the P-521 --sign-key and encrypts it to each\n"
    "--to RSA key (1 to 16 keys; public keys suffice; a PEM file may hold several,\n"
    "all used; a key given twice is used once). The envelope goes to OUT (never\n"
    "replacing a file without --force), or to stdout, but never to a terminal\n"
    "unless --armor makes it text.\n"
    "The message keeps IN's base name, or 'message' for stdin; --name sets another.\n"
    "--hide-recipients leaves the recipients' fingerprints out of the cleartext\n"
    "header (v1 only). --format compat makes the tutorial's message.enc (small\n"
    "messages, RSA-4096, no recipient binding).\n"
    "--armor writes the envelope as text, for channels that carry only text:\n"
    "base64 in lines of 64 characters between -----BEGIN LIBENVELOPE ENVELOPE-----\n"
    "and -----END LIBENVELOPE ENVELOPE-----;\n"
    "open and inspect recognise it (v1 only, not with --format compat); being\n"
    "text, it may go to a terminal, as no other envelope may.\n"
    "--created sets the creation time the signed\n"
    "manifest records (2024-05-01T12:00:00Z or @SECONDS; default now), for\n"
    "reproducible manifests. KEY is a PEM/DER file, file:PATH or\n"
    "awskms://[HOST[:PORT]]/KEY; an encrypted --sign-key asks for its passphrase\n"
    "on the terminal unless --passphrase-file or --passphrase-fd gives it (or,\n"
    "when neither is given, ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD).\n"
    "Batch mode: --out-dir DIR seals each FILE (and each name --files-from lists,\n"
    "one a line, or NUL-separated with --null; '-' reads the list from stdin) into\n"
    "DIR/NAME.env, NAME being the file's base name; DIR must exist. The keys are\n"
    "loaded once; -j N workers (1 to 64; default: the online cores) each keep one\n"
    "KMS connection. Each output is flushed, then named, and DIR flushed once at\n"
    "the end. An output name already made for an earlier input is refused to the\n"
    "later one, even with --force, in input order whatever the timing; an existing\n"
    "file is refused unless --force. One line per input on stderr, then a summary;\n"
    "--json prints one JSON object per input on stdout, then a summary object\n"
    "(JSON Lines: envelope(1) gives the members). A failed input leaves no output\n"
    "and does not stop the others; the exit status is the highest of the inputs'\n"
    "(0 when all succeeded).\n"
    "An option that takes one value may be given once.\n";

struct seal_args {
    const char *sign_ref, *to[KEY_SET_MAX], *name, *out, *in;
    size_t n_to;
    int hide, force, armor, json;
    envelope_format format;
    time_t created;
    struct passphrase pass;
    struct out_target t;
    struct batch_args batch;
    char **operands; /* batch mode's FILE... */
    size_t n_operands;
};

/* The keys, loaded once: batch mode fills each worker's options with them. */
struct seal_keys {
    envelope_key *sign;
    struct key_set to;
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
    case 'O': a->batch.dir = optarg; return EXIT_OK;
    case 'I': a->batch.files_from = optarg; return EXIT_OK;
    case '0': a->batch.null = 1; return EXIT_OK;
    case 'j': return batch_parse_jobs("seal", optarg, &a->batch.jobs);
    case 'J': a->json = 1; json_enable(); return EXIT_OK;
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

/* Options that mean nothing for a compat envelope, which is one bare RSA
 * ciphertext: refused rather than silently ignored. */
static int compat_conflicts(const struct seal_args *a)
{
    if (a->format != ENVELOPE_FORMAT_COMPAT)
        return EXIT_OK;
    if (a->armor)
        return usage_error("seal", "--armor is for v1 envelopes: --format compat writes the "
                                   "bare ciphertext that the tutorial's commands read");
    if (a->hide)
        return usage_error("seal", "--hide-recipients is for v1 envelopes: a compat envelope "
                                   "has no recipient labels to hide");
    return EXIT_OK;
}

/* Batch mode: the operands are inputs; -o and --name are excluded by the
 * options' table, each output being named after its input. */
static int parse_batch(int argc, char **argv, struct seal_args *a)
{
    int code;

    if (a->batch.null && a->batch.files_from == NULL)
        return usage_error("seal", "--null says how --files-from separates names: give both");
    if (a->sign_ref == NULL || a->n_to == 0)
        return usage_error("seal", "need --sign-key and at least one --to");
    if ((code = compat_conflicts(a)) != EXIT_OK)
        return code;
    if ((code = passphrase_from_env(&a->pass, "seal")) != EXIT_OK)
        return code;
    a->operands = argv + optind;
    a->n_operands = (size_t)(argc - optind);
    return EXIT_OK;
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
        {"out-dir", required_argument, NULL, 'O'},  {"files-from", required_argument, NULL, 'I'},
        {"null", no_argument, NULL, '0'},           {"jobs", required_argument, NULL, 'j'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    struct options given;
    int c, code;

    options_init(&given, "seal", opts, "snFcPDoOIj", "PD oO nO");
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qj:", opts, NULL)) != -1)
        if ((code = options_seen(&given, c, optarg)) != EXIT_OK ||
            (code = parse_option(c, a, argv)) != EXIT_OK)
            return code;
    if (a->batch.dir)
        return parse_batch(argc, argv, a);
    if (a->batch.files_from || a->batch.null || a->batch.jobs || a->json)
        return usage_error("seal", "--files-from, --null, -j and --json are for batch mode: "
                                   "give --out-dir DIR");
    if (optind < argc)
        a->in = argv[optind++];
    if (optind != argc)
        return usage_error("seal", "one input at most");
    if (a->sign_ref == NULL || a->n_to == 0)
        return usage_error("seal", "need --sign-key and at least one --to");
    if ((code = compat_conflicts(a)) != EXIT_OK)
        return code;
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

/* The --sign-key, and every key of every --to file, each once; the limit
 * counts keys. */
static int load_keys(envelope_ctx *ctx, struct seal_args *a, struct seal_keys *k)
{
    int code = load_key(ctx, "--sign-key", a->sign_ref, ENVELOPE_KEY_SIGNING, 1, &a->pass,
                        &k->sign);

    for (size_t i = 0; code == EXIT_OK && i < a->n_to; i++)
        code = load_key_set(ctx, "--to", a->to[i], ENVELOPE_KEY_ENCRYPTION, &a->pass, &k->to);
    if (code == EXIT_OK && k->to.n > MAX_TO)
        code = usage_error("seal", "at most %d recipients; the --to options give %zu keys",
                           MAX_TO, k->to.n);
    return code;
}

static void free_keys(struct seal_keys *k)
{
    envelope_key_free(k->sign);
    k->sign = NULL;
    key_set_free(&k->to);
}

static int fill_opts(const struct seal_args *a, const struct seal_keys *k,
                     envelope_seal_opts *opts)
{
    int code = EXIT_OK;

    if (envelope_seal_opts_set_sign_key(opts, k->sign) != ENVELOPE_OK)
        return fail_with(EXIT_KEY, "--sign-key %s: cannot sign with this key", a->sign_ref);
    for (size_t i = 0; i < k->to.n; i++)
        if (envelope_seal_opts_add_recipient(opts, k->to.keys[i]) != ENVELOPE_OK)
            return fail_with(EXIT_KEY, "--to %s: cannot encrypt to this key", k->to.refs[i]);
    /* These fail only without options, which the caller made. */
    if (envelope_seal_opts_set_hide_recipients(opts, a->hide) != ENVELOPE_OK ||
        (a->created && envelope_seal_opts_set_created(opts, a->created) != ENVELOPE_OK))
        code = fail_with(EXIT_USAGE, "cannot set the seal options");
    if (code == EXIT_OK && envelope_seal_opts_set_format(opts, a->format) != ENVELOPE_OK)
        code = usage_error("seal", "this library does not know that --format");
    if (code == EXIT_OK && envelope_seal_opts_set_armor(opts, a->armor) != ENVELOPE_OK)
        code = usage_error("seal", "this library cannot write --armor");
    return code;
}

static int build_opts(envelope_ctx *ctx, struct seal_args *a, envelope_seal_opts *opts)
{
    struct seal_keys k = {0};
    int code;

    if ((code = choose_name(opts, a)) == EXIT_OK && (code = load_keys(ctx, a, &k)) == EXIT_OK)
        code = fill_opts(a, &k, opts);
    free_keys(&k);
    return code;
}

/* ------------------------------------------------------------ batch mode */

struct seal_batch {
    const struct seal_args *a;
    struct seal_keys keys;
};

static int worker_new(void *arg, void **worker)
{
    struct seal_batch *sb = arg;
    envelope_seal_opts *opts = NULL;
    int code;

    if (envelope_seal_opts_new(&opts) != ENVELOPE_OK)
        return fail_with(EXIT_IO, "out of memory");
    *worker = opts;
    if ((code = fill_opts(sb->a, &sb->keys, opts)) != EXIT_OK)
        return code;
    /* batch_run flushes DIR once, after the last output. */
    (void)envelope_seal_opts_set_sync_dir(opts, 0);
    return EXIT_OK;
}

static void worker_free(void *worker)
{
    envelope_seal_opts_free(worker);
}

/* One input: its base name names the message, and the output NAME.env. */
static envelope_rc seal_one(void *worker, envelope_ctx *ctx, struct batch_input *in)
{
    envelope_seal_opts *opts = worker;
    char *copy = strdup(in->path);
    const char *name, *rule;
    envelope_rc rc;

    if (copy == NULL)
        return ENVELOPE_E_NOMEM;
    name = basename(copy);
    if ((rule = envelope_message_name_rule(name)) != NULL) {
        snprintf(in->why, sizeof(in->why), "'%s': a message name %s: seal it alone with --name",
                 name, rule);
        rc = ENVELOPE_E_BAD_NAME;
    } else if ((rc = envelope_seal_opts_set_name(opts, name)) == ENVELOPE_OK &&
               (rc = envelope_seal_file(ctx, opts, in->fd, in->tmp, 0)) == ENVELOPE_OK &&
               asprintf(&in->name, "%s.env", name) < 0) {
        in->name = NULL;
        unlink(in->tmp);
        rc = ENVELOPE_E_NOMEM;
    }
    free(copy);
    return rc;
}

static int seal_batch(struct seal_args *a)
{
    struct seal_batch sb = {.a = a};
    struct batch b = {.cmd = "seal", .verb = "sealed", .force = a->force,
                      .worker_new = worker_new, .worker_free = worker_free,
                      .run = seal_one, .arg = &sb};
    envelope_ctx *ctx = NULL;
    int code;

    if ((code = batch_inputs("seal", &a->batch, a->operands, a->n_operands, &b)) != EXIT_OK)
        goto out;
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK) {
        code = fail_with(EXIT_IO, "out of memory");
        goto out;
    }
    b.keep[b.n_keep++] = keyref_file(a->sign_ref);
    b.keep[b.n_keep++] = a->pass.file;
    for (size_t i = 0; i < a->n_to; i++)
        b.keep[b.n_keep++] = keyref_file(a->to[i]);
    if ((code = load_keys(ctx, a, &sb.keys)) == EXIT_OK)
        code = batch_run(&b);
out:
    free_keys(&sb.keys);
    envelope_ctx_free(ctx);
    batch_inputs_free(&b);
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
    if (a.batch.dir) {
        code = seal_batch(&a);
        passphrase_wipe(&a.pass);
        return code;
    }
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
