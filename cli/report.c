/* Telling the user what went wrong: one line on stderr naming the file or
 * key and the cause, and the exit code that goes with it. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"

#define REPORT_LINE 4096

int cli_quiet;

int exit_code_for(envelope_rc rc)
{
    switch (rc) {
    case ENVELOPE_OK:
        return EXIT_OK;
    case ENVELOPE_E_INVALID_ARGUMENT:
    case ENVELOPE_E_BAD_NAME:
    case ENVELOPE_E_TOO_MANY_RECIPIENTS:
    case ENVELOPE_E_COMPAT_TOO_LARGE:
        return EXIT_USAGE;
    case ENVELOPE_E_IO:
    case ENVELOPE_E_OUTPUT_EXISTS:
        return EXIT_IO;
    case ENVELOPE_E_KEY_LOAD:
    case ENVELOPE_E_KEY_PASSPHRASE:
    case ENVELOPE_E_KEY_TYPE:
    case ENVELOPE_E_KEY_NOT_PRIVATE:
    case ENVELOPE_E_KEY_REF:
    case ENVELOPE_E_UNSUPPORTED:
    case ENVELOPE_E_KMS:
    case ENVELOPE_E_KMS_ACCESS_DENIED:
    case ENVELOPE_E_KMS_NOT_FOUND:
    case ENVELOPE_E_KMS_DISABLED:
    case ENVELOPE_E_KMS_KEY_USAGE:
    case ENVELOPE_E_KMS_AUTH:
    case ENVELOPE_E_KMS_THROTTLED:
    case ENVELOPE_E_KMS_UNAVAILABLE:
    case ENVELOPE_E_KMS_BAD_RESPONSE:
    case ENVELOPE_E_NETWORK:
    case ENVELOPE_E_TLS:
    case ENVELOPE_E_TIMEOUT:
    case ENVELOPE_E_CREDENTIALS:
        return EXIT_KEY;
    case ENVELOPE_E_INTERNAL:
    case ENVELOPE_E_NOMEM:
    case ENVELOPE_E_CANCELLED:
    case ENVELOPE_E_NOT_ENVELOPE:
    case ENVELOPE_E_UNKNOWN_VERSION:
    case ENVELOPE_E_BAD_HEADER:
    case ENVELOPE_E_NOT_RECIPIENT:
    case ENVELOPE_E_TAMPERED:
    case ENVELOPE_E_TRUNCATED:
    case ENVELOPE_E_TRAILING_DATA:
    case ENVELOPE_E_BAD_ARCHIVE:
    case ENVELOPE_E_UNTRUSTED_SIGNER:
    case ENVELOPE_E_BAD_MANIFEST:
    case ENVELOPE_E_FORWARDED:
    case ENVELOPE_E_MESSAGE_MISMATCH:
    case ENVELOPE_E_TOO_LARGE:
    case ENVELOPE_E_TOO_OLD:
    case ENVELOPE_E_COMPAT_REFUSED:
        return EXIT_REJECTED;
    }
    return EXIT_REJECTED;
}

/* The library's sentence, in the command line's words where the user
 * would otherwise have to translate. */
static const char *reason(envelope_rc rc)
{
    switch (rc) {
    case ENVELOPE_E_UNTRUSTED_SIGNER:
        return "signature does not verify under any --verify-key";
    case ENVELOPE_E_NOT_RECIPIENT:
        return "envelope not addressed to the --decrypt-key";
    default:
        return envelope_strerror(rc);
    }
}

/* A message being composed, the pieces that come from users and files
 * escaped: file names, names in envelopes and details keep the line one
 * line, and the terminal out of their hands. */
struct line {
    char text[4 * (4 * REPORT_LINE) + 1]; /* what, why, detail, hint: each escaped */
    size_t len;
};

static void add_clean(struct line *l, const char *s)
{
    envelope_escape(l->text + l->len, sizeof(l->text) - l->len, s);
    l->len += strlen(l->text + l->len);
}

static void add(struct line *l, const char *s)
{
    snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s", s);
    l->len += strlen(l->text + l->len);
}

const char *exit_code_name(int code)
{
    switch (code) {
    case EXIT_USAGE: return "USAGE";
    case EXIT_KEY: return "KEY_LOAD";
    case EXIT_IO: return "IO";
    default: return "INTERNAL";
    }
}

/* A failure told: on stderr ("PREFIXTEXTSUFFIX"), unless the --json object
 * goes there, and recorded for --json under name. Returns code. */
static const char *last_line = "";

static int emit(const char *name, int code, const char *prefix, const struct line *l,
                const char *suffix)
{
    last_line = l->text;
    json_error(name, code, l->text);
    if (!json_owns(stderr))
        fprintf(stderr, "%s%s%s\n", prefix, l->text, suffix);
    return code;
}

const char *shown(const char *s, char buf[SHOWN_MAX])
{
    envelope_escape(buf, SHOWN_MAX, s);
    return buf;
}

/* If detail begins "NAME: ", the length of that; else 0. Details are
 * escaped: so is name, to compare. */
static size_t names_first(const char *detail, const char *name)
{
    char buf[4 * REPORT_LINE + 1];
    size_t n;

    if (name == NULL || *name == '\0')
        return 0;
    n = envelope_escape(buf, sizeof(buf), name);
    if (n >= sizeof(buf) || strncmp(detail, buf, n) != 0 || strncmp(detail + n, ": ", 2) != 0)
        return 0;
    return n + 2;
}

static int say(envelope_rc rc, const char *what, const char *why, const char *detail,
               const char *known, const char *hint)
{
    static struct line l; /* too large for the stack */

    /* "PATH: No such file" under "--sign-key PATH": say PATH once. */
    detail += names_first(detail, known);
    l.len = 0;
    add_clean(&l, what);
    add(&l, ": ");
    add_clean(&l, why);
    if (*detail) {
        add(&l, " (");
        add_clean(&l, detail);
        add(&l, ")");
    }
    if (hint) {
        add(&l, ": ");
        add_clean(&l, hint);
    }
    return emit(envelope_rc_name(rc), exit_code_for(rc), "envelope: ", &l, "");
}

/* A full disk is not an "input/output error": the detail says it all. */
static int is_space_detail(envelope_rc rc, const char *detail)
{
    return rc == ENVELOPE_E_IO && (strncmp(detail, "no space left on ", 17) == 0 ||
                                   strncmp(detail, "not enough space: ", 18) == 0);
}

int report(envelope_ctx *ctx, envelope_rc rc, const char *what)
{
    return report_detail(rc, what, envelope_ctx_detail(ctx));
}

int report_detail(envelope_rc rc, const char *what, const char *detail)
{
    if (is_space_detail(rc, detail))
        return say(rc, what, detail, "", what, NULL);
    return say(rc, what, reason(rc), detail, what, NULL);
}

const char *report_last(void)
{
    return last_line;
}

int report_hint(envelope_ctx *ctx, envelope_rc rc, const char *what, const char *hint)
{
    return say(rc, what, reason(rc), envelope_ctx_detail(ctx), what, hint);
}

int report_in_out(envelope_ctx *ctx, envelope_rc rc, const char *in, const char *out)
{
    if (out && (rc == ENVELOPE_E_OUTPUT_EXISTS || names_first(envelope_ctx_detail(ctx), out)))
        return report(ctx, rc, out);
    return report(ctx, rc, in);
}

int report_key(envelope_ctx *ctx, envelope_rc rc, const char *flag, const char *ref)
{
    char what[REPORT_LINE];
    const char *path = strncmp(ref, "file:", 5) == 0 ? ref + 5 : ref;

    snprintf(what, sizeof(what), "%s %s", flag, ref);
    return say(rc, what, reason(rc), envelope_ctx_detail(ctx), path, NULL);
}

/* A formatted message, escaped. */
static void vcompose(struct line *l, const char *fmt, va_list ap)
{
    char raw[REPORT_LINE];

    vsnprintf(raw, sizeof(raw), fmt, ap);
    l->len = 0;
    add_clean(l, raw);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    static struct line l;
    char prefix[64], suffix[96];
    va_list ap;

    va_start(ap, fmt);
    vcompose(&l, fmt, ap);
    va_end(ap);
    snprintf(prefix, sizeof(prefix), "envelope %s: ", cmd);
    snprintf(suffix, sizeof(suffix), " (see 'envelope %s --help')", cmd);
    return emit("USAGE", EXIT_USAGE, prefix, &l, suffix);
}

/* The argument getopt was reading when it stopped at option c. A short
 * option inside a cluster ("-weird.json" is -w -e -i ...) leaves optind on
 * its argument until the cluster's last letter; after that letter, a long
 * option or a missing value, optind has moved past it. */
static const char *stopped_at(int c, char **argv)
{
    extern int optind, optopt;
    const char *cur = argv[optind]; /* argv ends with NULL */
    const char *inside;

    if (c == '?' && optopt != 0 && cur && cur[0] == '-' && cur[1] != '-' &&
        (inside = strchr(cur + 1, optopt)) != NULL && inside[1] != '\0')
        return cur;
    return argv[optind - 1];
}

int bad_option(const char *cmd, int c, char **argv)
{
    extern int optopt;
    const char *arg = stopped_at(c, argv);

    if (c == ':')
        return usage_error(cmd, "option '%s' needs a value", arg);
    if (optopt == 0 || strlen(arg) == 2)
        return usage_error(cmd, "unknown option '%s'", arg);
    /* "-weird.json" may be a file: say how to name one that begins with '-'. */
    return usage_error(cmd, "unknown option '-%c' in '%s' (a file name that begins with '-': "
                            "write './%s', or put '--' before it)",
                       optopt, arg, arg);
}

int fail_with(int code, const char *fmt, ...)
{
    static struct line l;
    va_list ap;

    va_start(ap, fmt);
    vcompose(&l, fmt, ap);
    va_end(ap);
    return emit(exit_code_name(code), code, "envelope: ", &l, "");
}

int fail_as(envelope_rc rc, const char *fmt, ...)
{
    static struct line l;
    va_list ap;

    va_start(ap, fmt);
    vcompose(&l, fmt, ap);
    va_end(ap);
    return emit(envelope_rc_name(rc), exit_code_for(rc), "envelope: ", &l, "");
}

/* What a command printed to stdout (inspect, verify, pubkey, help) may be
 * lost in stdio's buffer: a full disk or a closed pipe shows only when it
 * is flushed and closed. A command that lost its output did not succeed. */
int stdout_close(int code)
{
    int err = fflush(stdout) != 0 ? errno : 0;
    int failed = err != 0 || ferror(stdout);

    /* An error met by an earlier write left no errno worth showing. */
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        err = errno;
    }
    if (!failed || code != EXIT_OK)
        return code;
    if (err == 0)
        return fail_with(EXIT_IO, "standard output: write error");
    return fail_with(EXIT_IO, "standard output: write error (%s)", strerror(err));
}
