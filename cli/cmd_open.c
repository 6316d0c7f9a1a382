/* envelope open: decrypt, verify, and only then release the message. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_VERIFY 64
#define MAX_DECRYPT 16
/* Anyone holding the receiver's public key can make a well-formed envelope
 * that fills a disk before its signature is reached: open is bounded unless
 * told otherwise. */
#define DEFAULT_MAX_SIZE ((uint64_t)4 << 30)
#define TOO_LARGE_HINT "--max-size N raises the limit (default 4G); --max-size unlimited lifts it"
#define FUTURE_HINT "--max-skew SECONDS allows a larger clock difference (at most 86400)"
#define COMPAT_WARNING                                                                         \
    "compat envelope: its signature is not bound to its recipients, so it may have been "     \
    "forwarded to you"

static const char open_help[] =
    "usage: envelope open --decrypt-key KEY [--decrypt-key KEY ...]\n"
    "                     --verify-key KEY [--verify-key KEY ...]\n"
    "                     [--max-size N] [--max-age DURATION] [--max-skew SECONDS]\n"
    "                     [--allow-compat]\n"
    "                     [-o OUT | --extract DIR] [--force] [--quiet] [--json]\n"
    "                     [--passphrase-file F | --passphrase-fd N] [IN|-]\n"
    "       envelope open --decrypt-key KEY --verify-key KEY [...] --out-dir DIR [-j N]\n"
    "                     [--json] [--files-from F|- [--null]] [--force] [--quiet]\n"
    "                     [ENVELOPE...]\n"
    "\n"
    "Decrypts IN (default: stdin) with the RSA --decrypt-key, checks that a trusted\n"
    "--verify-key signed it for this very envelope, and only then writes the\n"
    "message: to OUT (never replacing a file without --force), to stdout, or with\n"
    "--extract into a new directory DIR holding the message, manifest.json and\n"
    "manifest.sig (see 'envelope verify'). Nothing unverified is ever written.\n"
    "Several --decrypt-key (at most 16) are all tried: the key a recipient label\n"
    "names, else local keys before KMS keys, with at most 16 KMS Decrypt calls.\n"
    "--max-size refuses larger messages (suffixes K, M, G, T; default 4G;\n"
    "'unlimited' for no limit); --max-age refuses older envelopes (suffixes\n"
    "s, m, h, d). An envelope created more than --max-skew SECONDS ahead of this\n"
    "machine's clock is refused too, with or without --max-age (default 300,\n"
    "at most 86400; suffixes as for --max-age); the refusal gives both times.\n"
    "Before writing, the message's stated size is compared with\n"
    "the free space where it goes (and in $TMPDIR where it is spooled).\n"
    "--allow-compat also opens the tutorial's compat format, which lacks\n"
    "recipient binding. IN may be ASCII armor (seal --armor), CRLF line ends\n"
    "and white space at line ends included. A KMS alias as --verify-key trusts whoever can move the\n"
    "alias: prefer key ARNs or exported public keys. An encrypted\n"
    "--decrypt-key's passphrase comes from the options, else\n"
    "ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD, else the terminal.\n"
    "--json prints one JSON object saying what was opened, or why not (envelope(1)\n"
    "gives its members): on stdout, or on stderr when the message goes to stdout.\n"
    "Batch mode: --out-dir DIR opens each ENVELOPE (and each name --files-from\n"
    "lists, one a line, or NUL-separated with --null; '-' reads the list from\n"
    "stdin) into DIR, under the name its verified manifest gives, which must be a\n"
    "plain file name: never outside DIR. DIR must exist. The keys are loaded once;\n"
    "-j N workers (1 to 64; default: the online cores) each keep one KMS\n"
    "connection. Each message is flushed, then named, and DIR flushed once at the\n"
    "end. A name already made for an earlier input is refused to the later one,\n"
    "even with --force, in input order whatever the timing; an existing file is\n"
    "refused unless --force. One line per input on stderr, then a summary;\n"
    "--json prints one JSON object per input on stdout, then a summary object\n"
    "(JSON Lines: envelope(1) gives the members). A failed input leaves no output\n"
    "and does not stop the others; the exit status is the highest of the inputs'\n"
    "(0 when all succeeded).\n"
    "An option that takes one value may be given once.\n";

struct open_args {
    const char *decrypt[MAX_DECRYPT], *verify[MAX_VERIFY], *out, *extract, *in;
    size_t n_decrypt, n_verify;
    uint64_t max_size, max_age, max_skew;
    int force, allow_compat;
    struct passphrase pass;
    struct out_target t;
    struct key_set trusted; /* to name the --verify-key that matched */
    envelope_key *decrypt_keys[MAX_DECRYPT]; /* loaded once, for every worker */
    struct batch_args batch;
    char **operands; /* batch mode's ENVELOPE... */
    size_t n_operands;
};

/* 0 (no skew at all) is a valid choice, unlike a maximum age of 0. */
static int parse_skew(const char *s, uint64_t *out)
{
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    return parse_duration(s, out) != 0 || *out > ENVELOPE_MAX_SKEW_LIMIT ? -1 : 0;
}

static int parse_option(int c, struct open_args *a, char **argv)
{
    switch (c) {
    case 'd':
        if (a->n_decrypt == MAX_DECRYPT)
            return usage_error("open", "at most %d --decrypt-key", MAX_DECRYPT);
        a->decrypt[a->n_decrypt++] = optarg;
        return EXIT_OK;
    case 'v':
        if (a->n_verify == MAX_VERIFY)
            return usage_error("open", "at most %d --verify-key", MAX_VERIFY);
        a->verify[a->n_verify++] = optarg;
        return EXIT_OK;
    case 'S':
        if (strcmp(optarg, "unlimited") == 0)
            a->max_size = 0;
        else if (parse_size(optarg, &a->max_size) != 0)
            return usage_error("open", "--max-size '%s': a size like 512, 10M or 2G, or "
                                       "'unlimited'", optarg);
        return EXIT_OK;
    case 'A':
        if (parse_duration(optarg, &a->max_age) != 0)
            return usage_error("open", "--max-age '%s': a duration like 90s, 15m, 12h or 7d",
                               optarg);
        return EXIT_OK;
    case 'K':
        if (parse_skew(optarg, &a->max_skew) != 0)
            return usage_error("open", "--max-skew '%s': seconds from 0 to %d (or 15m, 12h, 1d)",
                               optarg, ENVELOPE_MAX_SKEW_LIMIT);
        return EXIT_OK;
    case 'C': a->allow_compat = 1; return EXIT_OK;
    case 'x': a->extract = optarg; json_data_on_stdout(0); return EXIT_OK;
    case 'P': a->pass.file = optarg; return EXIT_OK;
    case 'D': return passphrase_set_fd(&a->pass, "open", optarg);
    case 'f': a->force = 1; return EXIT_OK;
    case 'q': cli_quiet = 1; return EXIT_OK;
    case 'o': a->out = optarg; json_data_on_stdout(is_std_stream(optarg)); return EXIT_OK;
    case 'J': json_enable(); return EXIT_OK;
    case 'O': a->batch.dir = optarg; json_data_on_stdout(0); return EXIT_OK;
    case 'I': a->batch.files_from = optarg; return EXIT_OK;
    case '0': a->batch.null = 1; return EXIT_OK;
    case 'j': return batch_parse_jobs("open", optarg, &a->batch.jobs);
    case 'h': fputs(open_help, stdout); exit(stdout_close(EXIT_OK));
    default: return bad_option("open", c, argv);
    }
}

/* The message must not replace the envelope or a key it is opened with. */
static int outputs_differ(const struct open_args *a)
{
    struct named outs[1] = {{a->out ? "-o" : NULL, a->out ? a->out : "-"}};
    struct named ins[MAX_VERIFY + MAX_DECRYPT + 2];
    size_t n = 0;

    ins[n++] = is_std_stream(a->in) ? (struct named){NULL, "/dev/stdin"}
                                      : (struct named){"IN", a->in};
    for (size_t i = 0; i < a->n_decrypt; i++)
        ins[n++] = (struct named){"--decrypt-key", keyref_file(a->decrypt[i])};
    ins[n++] = (struct named){"--passphrase-file", a->pass.file};
    for (size_t i = 0; i < a->n_verify; i++)
        ins[n++] = (struct named){"--verify-key", keyref_file(a->verify[i])};
    return outputs_distinct("open", outs, 1, ins, n);
}

/* Batch mode: the operands are inputs; -o and --extract are excluded by
 * the options' table, each message being named by its manifest. */
static int parse_batch(int argc, char **argv, struct open_args *a)
{
    if (a->batch.null && a->batch.files_from == NULL)
        return usage_error("open", "--null says how --files-from separates names: give both");
    if (a->n_decrypt == 0 || a->n_verify == 0)
        return usage_error("open", "need --decrypt-key and at least one --verify-key");
    a->operands = argv + optind;
    a->n_operands = (size_t)(argc - optind);
    return passphrase_from_env(&a->pass, "open");
}

static int parse(int argc, char **argv, struct open_args *a)
{
    static const struct option opts[] = {
        {"decrypt-key", required_argument, NULL, 'd'},
        {"verify-key", required_argument, NULL, 'v'},
        {"max-size", required_argument, NULL, 'S'},
        {"max-age", required_argument, NULL, 'A'},
        {"max-skew", required_argument, NULL, 'K'},
        {"allow-compat", no_argument, NULL, 'C'},
        {"extract", required_argument, NULL, 'x'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"passphrase-fd", required_argument, NULL, 'D'},
        {"force", no_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'J'},
        {"out-dir", required_argument, NULL, 'O'},
        {"files-from", required_argument, NULL, 'I'},
        {"null", no_argument, NULL, '0'},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct options given;
    int c, code;

    /* --decrypt-key and --verify-key may come several times. */
    options_init(&given, "open", opts, "SAKxPDoOIj", "ox PD oO xO");
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qj:", opts, NULL)) != -1)
        if ((code = options_seen(&given, c, optarg)) != EXIT_OK ||
            (code = parse_option(c, a, argv)) != EXIT_OK)
            return code;
    if (a->batch.dir)
        return parse_batch(argc, argv, a);
    if (a->batch.files_from || a->batch.null || a->batch.jobs)
        return usage_error("open", "--files-from, --null and -j are for batch mode: give "
                                   "--out-dir DIR");
    if (optind < argc)
        a->in = argv[optind++];
    if (optind != argc)
        return usage_error("open", "one input at most");
    if (a->n_decrypt == 0 || a->n_verify == 0)
        return usage_error("open", "need --decrypt-key and at least one --verify-key");
    if (a->extract && a->force)
        return usage_error("open", "--extract makes a new directory; --force does not apply");
    if ((code = passphrase_from_env(&a->pass, "open")) != EXIT_OK)
        return code;
    if (is_std_stream(a->in) && isatty(STDIN_FILENO))
        return usage_error("open", "will not read an envelope from a terminal; give IN");
    if (a->extract)
        return refuse_existing(a->extract, 0, "--extract makes a new directory");
    if ((code = outputs_differ(a)) != EXIT_OK ||
        (code = out_target_check(a->out, a->force, &a->t)) != EXIT_OK)
        return code;
    json_data_on_stdout(a->t.kind == OUT_DESCRIPTOR && a->t.fd == STDOUT_FILENO);
    return EXIT_OK;
}

/* Every --decrypt-key, and every key of every --verify-key file, each once:
 * loaded once, into a. */
static int load_keys(envelope_ctx *ctx, struct open_args *a)
{
    int code = EXIT_OK;

    for (size_t i = 0; code == EXIT_OK && i < a->n_decrypt; i++)
        code = load_key(ctx, "--decrypt-key", a->decrypt[i], ENVELOPE_KEY_ENCRYPTION, 1,
                        &a->pass, &a->decrypt_keys[i]);
    for (size_t i = 0; code == EXIT_OK && i < a->n_verify; i++)
        code = load_key_set(ctx, "--verify-key", a->verify[i], ENVELOPE_KEY_SIGNING, &a->pass,
                            &a->trusted);
    return code;
}

static void free_keys(struct open_args *a)
{
    for (size_t i = 0; i < a->n_decrypt; i++) {
        envelope_key_free(a->decrypt_keys[i]);
        a->decrypt_keys[i] = NULL;
    }
    key_set_free(&a->trusted);
}

/* The first decrypt key replaces the (empty) list, the others join it. */
static int fill_opts(const struct open_args *a, envelope_open_opts *opts)
{
    envelope_rc rc;

    for (size_t i = 0; i < a->n_decrypt; i++) {
        rc = i == 0 ? envelope_open_opts_set_decrypt_key(opts, a->decrypt_keys[i])
                    : envelope_open_opts_add_decrypt_key(opts, a->decrypt_keys[i]);
        if (rc != ENVELOPE_OK)
            return fail_as(ENVELOPE_E_KEY_TYPE, "--decrypt-key %s: cannot decrypt with this key",
                           a->decrypt[i]);
    }
    for (size_t i = 0; i < a->trusted.n; i++)
        if (envelope_open_opts_add_trusted_key(opts, a->trusted.keys[i]) != ENVELOPE_OK)
            return fail_as(ENVELOPE_E_KEY_TYPE, "--verify-key %s: cannot verify with this key",
                           a->trusted.refs[i]);
    if (envelope_open_opts_set_max_skew(opts, a->max_skew) != ENVELOPE_OK) /* parse checked */
        return fail_with(EXIT_USAGE, "--max-skew %llu: more than %d",
                         (unsigned long long)a->max_skew, ENVELOPE_MAX_SKEW_LIMIT);
    /* These fail only without options, which the caller made. */
    if (envelope_open_opts_set_max_size(opts, a->max_size) != ENVELOPE_OK ||
        envelope_open_opts_set_max_age(opts, a->max_age) != ENVELOPE_OK ||
        envelope_open_opts_set_allow_compat(opts, a->allow_compat) != ENVELOPE_OK)
        return fail_with(EXIT_USAGE, "cannot set the open options");
    return EXIT_OK;
}

static int build_opts(envelope_ctx *ctx, struct open_args *a, envelope_open_opts *opts)
{
    int code = load_keys(ctx, a);

    return code == EXIT_OK ? fill_opts(a, opts) : code;
}

static void describe(const envelope_result *r, const char *where)
{
    char when[32], name[SHOWN_MAX], into[SHOWN_MAX];

    if (json_owns(stderr))
        return; /* the object is there, created null for compat */
    if (envelope_result_format(r) == ENVELOPE_FORMAT_COMPAT)
        fprintf(stderr, "envelope: warning: " COMPAT_WARNING "\n");
    if (cli_quiet)
        return;
    format_time(envelope_result_created(r), when);
    fprintf(stderr, "envelope: verified \"%s\" (%llu bytes), signed by %s",
            shown(envelope_result_name(r), name), (unsigned long long)envelope_result_size(r),
            envelope_result_signer(r));
    if (envelope_result_format(r) != ENVELOPE_FORMAT_COMPAT)
        fprintf(stderr, " on %s", when);
    fprintf(stderr, "%s%s\n", where ? ", into " : "", where ? shown(where, into) : "");
}

/* A device or FIFO as output, opened at the first byte of the verified
 * message: the library writes only after every check. */
struct late_output {
    struct out_target *t;
    int code; /* EXIT_OK, or the exit code of a failure already reported */
};

static ssize_t read_in(void *arg, uint8_t *buf, size_t len)
{
    return read(*(int *)arg, buf, len);
}

static int write_late(void *arg, const uint8_t *buf, size_t len)
{
    struct late_output *o = arg;

    if (o->code == EXIT_OK && signals_caught())
        o->code = EXIT_IO; /* the signal says it all */
    if (o->code == EXIT_OK && (o->code = out_target_open(o->t)) == EXIT_OK &&
        write_all(o->t->fd, buf, len) != 0)
        o->code = fail_with(EXIT_IO, "%s: %s", o->t->path, strerror(errno));
    return o->code == EXIT_OK ? 0 : -1;
}

static envelope_rc open_late(envelope_ctx *ctx, struct open_args *a, envelope_open_opts *opts,
                             int in_fd, envelope_result **result, int *code)
{
    struct late_output o = {&a->t, EXIT_OK};
    envelope_rc rc = envelope_open_cb(ctx, opts, read_in, &in_fd, write_late, &o, result);

    /* An empty message still opens its output, as "> OUT" would. */
    if (rc == ENVELOPE_OK && (o.code = out_target_open(&a->t)) != EXIT_OK)
        rc = ENVELOPE_E_IO;
    out_target_close(&a->t);
    *code = o.code;
    return rc;
}

static envelope_rc run(envelope_ctx *ctx, struct open_args *a, envelope_open_opts *opts,
                       int in_fd, envelope_result **result, int *code)
{
    if (a->extract)
        return envelope_open_extract(ctx, opts, in_fd, a->extract, result);
    if (a->t.kind == OUT_NEW_FILE)
        return envelope_open_file(ctx, opts, in_fd, a->out, a->force, result);
    if (a->t.kind == OUT_INTO)
        return open_late(ctx, a, opts, in_fd, result, code);
    return envelope_open_fd(ctx, opts, in_fd, a->t.fd, result);
}

/* ------------------------------------------------------------ batch mode */

static int worker_new(void *arg, void **worker)
{
    envelope_open_opts *opts = NULL;
    int code;

    if (envelope_open_opts_new(&opts) != ENVELOPE_OK)
        return fail_with(EXIT_IO, "out of memory");
    *worker = opts;
    if ((code = fill_opts(arg, opts)) != EXIT_OK)
        return code;
    /* batch_run flushes DIR once, after the last output. */
    (void)envelope_open_opts_set_sync_dir(opts, 0);
    return EXIT_OK;
}

static void worker_free(void *worker)
{
    envelope_open_opts_free(worker);
}

/* One envelope, into its hidden name in DIR; its verified manifest names
 * the output, which batch_run checks and places. */
static envelope_rc open_one(void *worker, envelope_ctx *ctx, struct batch_input *in)
{
    envelope_result *result = NULL;
    envelope_rc rc = envelope_open_file(ctx, worker, in->fd, in->tmp, 0, &result);

    if (rc == ENVELOPE_OK && (in->name = strdup(envelope_result_name(result))) == NULL) {
        unlink(in->tmp);
        rc = ENVELOPE_E_NOMEM;
    }
    if (rc == ENVELOPE_OK && envelope_result_format(result) == ENVELOPE_FORMAT_COMPAT)
        in->warning = COMPAT_WARNING;
    envelope_result_free(result);
    return rc;
}

static int open_batch(struct open_args *a)
{
    struct batch b = {.cmd = "open", .verb = "opened", .force = a->force,
                      .worker_new = worker_new, .worker_free = worker_free,
                      .run = open_one, .arg = a};
    envelope_ctx *ctx = NULL;
    int code;

    if ((code = batch_inputs("open", &a->batch, a->operands, a->n_operands, &b)) != EXIT_OK)
        goto out;
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK) {
        code = fail_with(EXIT_IO, "out of memory");
        goto out;
    }
    b.keep[b.n_keep++] = a->pass.file;
    for (size_t i = 0; i < a->n_decrypt; i++)
        b.keep[b.n_keep++] = keyref_file(a->decrypt[i]);
    for (size_t i = 0; i < a->n_verify && b.n_keep < sizeof(b.keep) / sizeof(b.keep[0]); i++)
        b.keep[b.n_keep++] = keyref_file(a->verify[i]);
    if ((code = load_keys(ctx, a)) == EXIT_OK)
        code = batch_run(&b);
out:
    free_keys(a);
    envelope_ctx_free(ctx);
    batch_inputs_free(&b);
    return code;
}

int cmd_open(int argc, char **argv)
{
    struct open_args a = {.max_size = DEFAULT_MAX_SIZE, .max_skew = ENVELOPE_MAX_SKEW_DEFAULT};
    envelope_ctx *ctx = NULL;
    envelope_open_opts *opts = NULL;
    envelope_result *result = NULL;
    struct progress bar;
    int code, in_fd = -1;
    envelope_rc rc;

    passphrase_init(&a.pass);
    json_data_on_stdout(1); /* without -o, --extract or --out-dir */
    if ((code = parse(argc, argv, &a)) != EXIT_OK)
        return code;
    if (a.batch.dir) {
        code = open_batch(&a);
        passphrase_wipe(&a.pass);
        return code;
    }
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK || envelope_open_opts_new(&opts) != ENVELOPE_OK) {
        code = fail_with(EXIT_IO, "out of memory");
        goto out;
    }
    if ((in_fd = open_input(a.in)) < 0) {
        code = EXIT_IO;
        goto out;
    }
    if ((code = build_opts(ctx, &a, opts)) != EXIT_OK)
        goto out;
    progress_init(&bar, "opening");
    if (envelope_open_opts_set_progress(opts, progress_cb, &bar) != ENVELOPE_OK) {
        code = fail_with(EXIT_USAGE, "cannot set the open options");
        goto out;
    }
    signals_watch(ctx);
    rc = run(ctx, &a, opts, in_fd, &result, &code);
    signals_watch(NULL);
    progress_done(&bar);
    if (rc == ENVELOPE_OK && json_on())
        json_put_result(result, json_signer_ref(ctx, &a.trusted, envelope_result_signer(result)),
                        a.extract ? a.extract : a.out ? a.out : "-");
    if (rc == ENVELOPE_OK)
        describe(result, a.extract ? a.extract : is_std_stream(a.out) ? NULL : a.out);
    else if (code == EXIT_OK && signals_caught()) /* it says it all: see signals_finish */
        code = EXIT_IO;
    else if (code != EXIT_OK)
        ; /* the output's own failure was said already */
    else if (rc == ENVELOPE_E_TOO_LARGE)
        code = report_hint(ctx, rc, input_name(a.in), TOO_LARGE_HINT);
    else if (rc == ENVELOPE_E_TOO_OLD && strstr(envelope_ctx_detail(ctx), " ahead of this machine"))
        code = report_hint(ctx, rc, input_name(a.in), FUTURE_HINT);
    else
        code = report_in_out(ctx, rc, input_name(a.in),
                             a.extract ? a.extract : is_std_stream(a.out) ? NULL : a.out);
out:
    free_keys(&a);
    passphrase_wipe(&a.pass);
    if (in_fd > STDIN_FILENO)
        close(in_fd);
    envelope_result_free(result);
    envelope_open_opts_free(opts);
    envelope_ctx_free(ctx);
    return code;
}
