/* envelope verify: re-checks a directory written by 'open --extract',
 * offline, with public keys only: the signature over manifest.json, the
 * manifest itself, the message against it, and that nothing else is there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MAX_VERIFY 64
#define MAX_RECIPIENT 16
#define MANIFEST_CAP 4096
#define SIG_CAP 139

static const char verify_help[] =
    "usage: envelope verify --verify-key KEY [--verify-key KEY ...] [--recipient KEY ...]\n"
    "                       [--quiet] DIR\n"
    "\n"
    "Checks a directory made by 'envelope open --extract', with public keys only:\n"
    "that manifest.sig is a signature over manifest.json by a --verify-key, that\n"
    "the manifest is well formed, that the message it names has its size and\n"
    "SHA-512, and that DIR holds nothing else. --recipient also checks that the\n"
    "key was among the manifest's recipients. Prints the signer's fingerprint, the\n"
    "message's name, size and SHA-512, the recipients and the creation time\n"
    "(nothing with --quiet: the exit status tells).\n"
    "Whether the envelope itself was addressed to those recipients was checked by\n"
    "'open'; the directory alone cannot show it.\n";

struct verify_args {
    const char *verify[MAX_VERIFY], *recipient[MAX_RECIPIENT], *dir;
    size_t n_verify, n_recipient;
    struct passphrase pass;
};

static int parse(int argc, char **argv, struct verify_args *a)
{
    static const struct option opts[] = {
        {"verify-key", required_argument, NULL, 'v'}, {"recipient", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},           {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":q", opts, NULL)) != -1) {
        switch (c) {
        case 'v':
            if (a->n_verify == MAX_VERIFY)
                return usage_error("verify", "at most %d --verify-key", MAX_VERIFY);
            a->verify[a->n_verify++] = optarg;
            break;
        case 'r':
            if (a->n_recipient == MAX_RECIPIENT)
                return usage_error("verify", "at most %d --recipient", MAX_RECIPIENT);
            a->recipient[a->n_recipient++] = optarg;
            break;
        case 'q': cli_quiet = 1; break;
        case 'h': fputs(verify_help, stdout); exit(stdout_close(EXIT_OK));
        default: return bad_option("verify", c, argv);
        }
    }
    if (optind != argc - 1)
        return usage_error("verify", "need exactly one DIR");
    if (a->n_verify == 0)
        return usage_error("verify", "need at least one --verify-key");
    a->dir = argv[optind];
    return passphrase_from_env(&a->pass, "verify");
}

/* Opens DIR/name, a regular file, not a link. */
static int open_entry(int dir_fd, const char *dir, const char *name, int *fd)
{
    struct stat st;

    *fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0 && errno == ENOENT)
        return fail_with(EXIT_REJECTED, "%s/%s: missing", dir, name);
    if (*fd < 0 && errno == ELOOP)
        return fail_with(EXIT_REJECTED, "%s/%s: a symbolic link, not the file itself", dir, name);
    if (*fd < 0)
        return fail_with(EXIT_IO, "%s/%s: %s", dir, name, strerror(errno));
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return fail_with(EXIT_REJECTED, "%s/%s: not a regular file", dir, name);
    }
    return EXIT_OK;
}

static int read_small(int dir_fd, const char *dir, const char *name, uint8_t *buf, size_t cap,
                      size_t *len)
{
    ssize_t n;
    int fd, code = open_entry(dir_fd, dir, name, &fd);

    if (code != EXIT_OK)
        return code;
    *len = 0;
    while ((n = read(fd, buf + *len, cap + 1 - *len)) > 0 && (*len += (size_t)n) <= cap)
        ;
    close(fd);
    if (n < 0)
        return fail_with(EXIT_IO, "%s/%s: %s", dir, name, strerror(errno));
    if (*len > cap)
        return fail_with(EXIT_REJECTED, "%s/%s: larger than %zu bytes: not an envelope's", dir,
                         name, cap);
    return EXIT_OK;
}

static int check_entries(int dir_fd, const char *dir, const char *name)
{
    DIR *d = fdopendir(dup(dir_fd));
    struct dirent *e;
    int code = EXIT_OK;

    if (d == NULL)
        return fail_with(EXIT_IO, "%s: %s", dir, strerror(errno));
    while (code == EXIT_OK && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, name) &&
            strcmp(e->d_name, "manifest.json") && strcmp(e->d_name, "manifest.sig"))
            code = fail_with(EXIT_REJECTED, "%s: holds '%s', which the manifest does not name "
                             "(only the message, manifest.json and manifest.sig belong)",
                             dir, e->d_name);
    closedir(d);
    return code;
}

static int check_message(envelope_ctx *ctx, int dir_fd, const char *dir,
                         const envelope_result *r)
{
    char path[4096];
    int fd, code = open_entry(dir_fd, dir, envelope_result_name(r), &fd);
    envelope_rc rc;

    if (code != EXIT_OK)
        return code;
    rc = envelope_verify_message_fd(ctx, r, fd);
    close(fd);
    snprintf(path, sizeof(path), "%s/%s", dir, envelope_result_name(r));
    return rc == ENVELOPE_OK ? EXIT_OK : report(ctx, rc, path);
}

/* Each identity in the manifest's list is "sha256:..." and/or a KMS ARN. */
static int names(const char *identities, const char *fp)
{
    size_t n = strlen(fp);

    for (const char *p = identities; (p = strstr(p, fp)) != NULL; p += n)
        if ((p == identities || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return 1;
    return 0;
}

static int listed(const envelope_result *r, const char *id)
{
    for (size_t i = 0; id && i < envelope_result_recipient_count(r); i++)
        if (names(envelope_result_recipient(r, i), id))
            return 1;
    return 0;
}

/* A sender without GetPublicKey names a KMS recipient by its ARN alone:
 * the ARN is compared first (known from a key ARN reference without a
 * call), then the fingerprint, then the ARN that fetching it revealed. */
static int check_recipient(envelope_ctx *ctx, struct verify_args *a, const char *ref,
                           const envelope_result *r)
{
    char fp[ENVELOPE_FINGERPRINT_SIZE];
    envelope_key *key = NULL;
    envelope_rc rc;
    int code = load_key(ctx, "--recipient", ref, ENVELOPE_KEY_ENCRYPTION, 0, &a->pass, &key);

    if (code != EXIT_OK)
        return code;
    if (listed(r, envelope_key_arn(key)))
        code = EXIT_OK;
    else if ((rc = envelope_key_fingerprint(ctx, key, fp)) != ENVELOPE_OK)
        code = report_key(ctx, rc, "--recipient", ref);
    else if (!listed(r, fp) && !listed(r, envelope_key_arn(key)))
        code = fail_with(EXIT_REJECTED, "--recipient %s: %s is not among the manifest's "
                         "recipients", ref, fp);
    envelope_key_free(key);
    return code;
}

static void print_result(const envelope_result *r)
{
    char when[32], name[SHOWN_MAX];

    format_time(envelope_result_created(r), when);
    printf("signer: %s\n", envelope_result_signer(r));
    printf("name: %s\n", shown(envelope_result_name(r), name));
    printf("size: %llu\n", (unsigned long long)envelope_result_size(r));
    printf("sha512: %s\n", envelope_result_sha512(r));
    printf("recipients: %zu\n", envelope_result_recipient_count(r));
    for (size_t i = 0; i < envelope_result_recipient_count(r); i++)
        printf("  %s\n", envelope_result_recipient(r, i));
    printf("created: %s\n", when);
}

static int load_trusted(envelope_ctx *ctx, struct verify_args *a, struct key_set *set)
{
    int code = EXIT_OK;

    for (size_t i = 0; code == EXIT_OK && i < a->n_verify; i++)
        code = load_key_set(ctx, "--verify-key", a->verify[i], ENVELOPE_KEY_SIGNING, &a->pass,
                            set);
    return code;
}

static int verify_dir(envelope_ctx *ctx, struct verify_args *a, int dir_fd, struct key_set *keys)
{
    static uint8_t manifest[MANIFEST_CAP + 1], sig[SIG_CAP + 1];
    char path[4096];
    size_t manifest_len, sig_len;
    envelope_result *r = NULL;
    envelope_rc rc;
    int code;

    if (faccessat(dir_fd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) != 0 &&
        faccessat(dir_fd, "message.sig", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return fail_with(EXIT_REJECTED, "%s: a compat envelope's directory, with no manifest: "
                         "check message.sig with 'openssl dgst -sha512 -verify KEY.pub "
                         "-signature message.sig MESSAGE'", a->dir);
    if ((code = read_small(dir_fd, a->dir, "manifest.json", manifest, MANIFEST_CAP,
                           &manifest_len)) != EXIT_OK ||
        (code = read_small(dir_fd, a->dir, "manifest.sig", sig, SIG_CAP, &sig_len)) != EXIT_OK ||
        (code = load_trusted(ctx, a, keys)) != EXIT_OK)
        return code;
    rc = envelope_verify_manifest(ctx, manifest, manifest_len, sig, sig_len, keys->keys, keys->n,
                                  &r);
    snprintf(path, sizeof(path), "%s/manifest.json", a->dir);
    if (rc != ENVELOPE_OK)
        return report(ctx, rc, path);
    if ((code = check_entries(dir_fd, a->dir, envelope_result_name(r))) == EXIT_OK &&
        (code = check_message(ctx, dir_fd, a->dir, r)) == EXIT_OK)
        for (size_t i = 0; code == EXIT_OK && i < a->n_recipient; i++)
            code = check_recipient(ctx, a, a->recipient[i], r);
    if (code == EXIT_OK && !cli_quiet)
        print_result(r);
    envelope_result_free(r);
    return code;
}

int cmd_verify(int argc, char **argv)
{
    struct verify_args a = {0};
    struct key_set keys = {0};
    envelope_ctx *ctx = NULL;
    int code, dir_fd;

    passphrase_init(&a.pass);
    if ((code = parse(argc, argv, &a)) != EXIT_OK)
        return code;
    if ((dir_fd = open(a.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return fail_with(EXIT_IO, "%s: %s", a.dir, strerror(errno));
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK)
        code = fail_with(EXIT_IO, "out of memory");
    else
        code = verify_dir(ctx, &a, dir_fd, &keys);
    key_set_free(&keys);
    passphrase_wipe(&a.pass);
    envelope_ctx_free(ctx);
    close(dir_fd);
    return code;
}
