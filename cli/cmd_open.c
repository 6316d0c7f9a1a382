/* envelope open: decrypt, verify, and only then release the message. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_VERIFY 64

static const char open_help[] =
    "usage: envelope open --decrypt-key KEY --verify-key KEY [--verify-key KEY ...]\n"
    "                     [--max-size N] [--max-age DURATION] [-o OUT | --extract DIR]\n"
    "                     [--force] [IN|-]\n"
    "\n"
    "Decrypts IN (default: stdin) with the RSA --decrypt-key, checks that a trusted\n"
    "--verify-key signed it for this very envelope, and only then writes the\n"
    "message: to OUT (never replacing a file without --force), to stdout, or with\n"
    "--extract into a new directory DIR holding the message, manifest.json and\n"
    "manifest.sig (see 'envelope verify'). Nothing unverified is ever written.\n"
    "--max-size refuses larger messages (suffixes K, M, G); --max-age refuses\n"
    "older envelopes (suffixes s, m, h, d). A KMS alias as --verify-key trusts\n"
    "whoever can move the alias: prefer key ARNs or exported public keys.\n";

struct open_args {
    const char *decrypt_ref, *verify[MAX_VERIFY], *out, *extract, *in, *pass_file;
    size_t n_verify;
    uint64_t max_size, max_age;
    int force, allow_compat;
};

/* "10M", "2G", "512": bytes (binary multiples). */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    int shift = 0;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    switch (*end) {
    case '\0': break;
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: return -1;
    }
    if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

/* "90", "90s", "15m", "12h", "7d": seconds. */
static int parse_duration(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v, mult = 1;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    switch (*end) {
    case '\0': case 's': break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    default: return -1;
    }
    if ((*end && end[1] != '\0') || v == 0 || v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

static int parse(int argc, char **argv, struct open_args *a)
{
    static const struct option opts[] = {
        {"decrypt-key", required_argument, NULL, 'd'},
        {"verify-key", required_argument, NULL, 'v'},
        {"max-size", required_argument, NULL, 'S'},
        {"max-age", required_argument, NULL, 'A'},
        {"allow-compat", no_argument, NULL, 'C'},
        {"extract", required_argument, NULL, 'x'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"force", no_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    while ((c = getopt_long(argc, argv, "o:q", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->decrypt_ref = optarg; break;
        case 'v':
            if (a->n_verify == MAX_VERIFY)
                return usage_error("open", "at most %d --verify-key", MAX_VERIFY);
            a->verify[a->n_verify++] = optarg;
            break;
        case 'S':
            if (parse_size(optarg, &a->max_size) != 0)
                return usage_error("open", "--max-size '%s': a size like 512, 10M or 2G", optarg);
            break;
        case 'A':
            if (parse_duration(optarg, &a->max_age) != 0)
                return usage_error("open", "--max-age '%s': a duration like 90s, 15m or 7d",
                                   optarg);
            break;
        case 'C': a->allow_compat = 1; break;
        case 'x': a->extract = optarg; break;
        case 'P': a->pass_file = optarg; break;
        case 'f': a->force = 1; break;
        case 'q': cli_quiet = 1; break;
        case 'o': a->out = optarg; break;
        case 'h': fputs(open_help, stdout); exit(EXIT_OK);
        default: return usage_error("open", "bad option");
        }
    }
    if (optind < argc)
        a->in = argv[optind++];
    if (optind != argc)
        return usage_error("open", "one input at most");
    if (a->decrypt_ref == NULL || a->n_verify == 0)
        return usage_error("open", "need --decrypt-key and at least one --verify-key");
    if (a->out && a->extract)
        return usage_error("open", "-o and --extract exclude each other");
    return EXIT_OK;
}

static int build_opts(envelope_ctx *ctx, const struct open_args *a, envelope_open_opts *opts)
{
    struct passphrase_source pass = {a->pass_file};
    envelope_key *key = NULL;
    envelope_rc rc;
    int code;

    if ((code = load_key(ctx, a->decrypt_ref, &pass, &key)) != EXIT_OK)
        return code;
    rc = envelope_open_opts_set_decrypt_key(opts, key);
    envelope_key_free(key);
    if (rc != ENVELOPE_OK)
        return report(ctx, rc, a->decrypt_ref);
    for (size_t i = 0; i < a->n_verify; i++) {
        if ((code = load_key(ctx, a->verify[i], &pass, &key)) != EXIT_OK)
            return code;
        rc = envelope_open_opts_add_trusted_key(opts, key);
        envelope_key_free(key);
        if (rc != ENVELOPE_OK)
            return report(ctx, rc, a->verify[i]);
    }
    envelope_open_opts_set_max_size(opts, a->max_size);
    envelope_open_opts_set_max_age(opts, a->max_age);
    envelope_open_opts_set_allow_compat(opts, a->allow_compat);
    return EXIT_OK;
}

static void describe(const envelope_result *r)
{
    char when[32];
    time_t created = envelope_result_created(r);
    struct tm tm;

    if (cli_quiet)
        return;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&created, &tm));
    fprintf(stderr, "envelope: verified \"%s\" (%llu bytes), signed by %s on %s\n",
            envelope_result_name(r), (unsigned long long)envelope_result_size(r),
            envelope_result_signer(r), when);
}

int cmd_open(int argc, char **argv)
{
    struct open_args a = {0};
    envelope_ctx *ctx = NULL;
    envelope_open_opts *opts = NULL;
    envelope_result *result = NULL;
    struct progress bar;
    int code, in_fd = -1;
    envelope_rc rc;

    if ((code = parse(argc, argv, &a)) != EXIT_OK)
        return code;
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK || envelope_open_opts_new(&opts) != ENVELOPE_OK) {
        code = EXIT_IO;
        goto out;
    }
    if ((code = build_opts(ctx, &a, opts)) != EXIT_OK)
        goto out;
    if ((in_fd = open_input(a.in)) < 0) {
        code = EXIT_IO;
        goto out;
    }
    progress_init(&bar, "opening");
    envelope_open_opts_set_progress(opts, progress_cb, &bar);
    if (a.extract)
        rc = envelope_open_extract(ctx, opts, in_fd, a.extract, &result);
    else if (a.out)
        rc = envelope_open_file(ctx, opts, in_fd, a.out, a.force, &result);
    else
        rc = envelope_open_fd(ctx, opts, in_fd, STDOUT_FILENO, &result);
    progress_done(&bar);
    if (rc != ENVELOPE_OK)
        code = report(ctx, rc, a.in ? a.in : "stdin");
    else
        describe(result);
out:
    if (in_fd > STDIN_FILENO)
        close(in_fd);
    envelope_result_free(result);
    envelope_open_opts_free(opts);
    envelope_ctx_free(ctx);
    return code;
}
