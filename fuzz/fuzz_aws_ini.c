/* The AWS config and credentials files: aws_ini_parse on a buffer, and the
 * profile layer above it (creds_profile.c) on real files.
 *
 * Byte 0 picks what runs:
 *   even: aws_ini_parse on the rest. Every item lies inside the text,
 *         trimmed and within the bounds aws_ini.h states, in line order;
 *         the text with CRLF line ends gives the same items and the same
 *         verdict; a callback that stops at item k stops the parse there.
 *   odd:  the rest, up to the first NUL, is the credentials file and what
 *         follows it the config file; profile_load reads them for a profile
 *         that byte 0 names, then region_resolve. Values are copies of text
 *         from the files, within their bounds. Nothing is ever run: the
 *         credential_process value is only read. */
#include <fcntl.h>
#include <unistd.h>

#include "aws/aws_ini.h"
#include "common.h"
#include "base/context.h"
#include "aws/creds.h"
#include "aws/region.h"

#define ITEMS_MAX 4096

struct item {
    size_t section, section_len, key, key_len, value, value_len, parent, parent_len;
    int nested;
    unsigned line;
};

struct run {
    const char *text;
    size_t len;
    unsigned lines;   /* line count of the text */
    struct item items[ITEMS_MAX];
    size_t n;
    size_t stop_at;   /* stop (return 7) at this item; 0: never */
};

static int inside(const struct run *r, const char *p, size_t len)
{
    return p >= r->text && len <= r->len && (size_t)(p - r->text) <= r->len - len;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void check_trimmed(const char *p, size_t len)
{
    if (len > 0)
        CHECK(!is_blank(p[0]) && !is_blank(p[len - 1]));
    for (size_t i = 0; i < len; i++)
        CHECK(p[i] == '\t' || ((unsigned char)p[i] >= 0x20 && p[i] != 0x7f));
}

static int on_item(void *arg, const struct aws_ini_item *it)
{
    struct run *r = arg;
    struct item *m;

    CHECK(inside(r, it->section, it->section_len));
    CHECK(inside(r, it->key, it->key_len));
    CHECK(inside(r, it->value, it->value_len));
    CHECK(it->section_len > 0 && it->section_len <= AWS_INI_NAME_MAX);
    CHECK(it->key_len > 0 && it->key_len <= AWS_INI_KEY_MAX);
    CHECK(memchr(it->section, '[', it->section_len) == NULL);
    CHECK(it->value_len <= AWS_INI_LINE_MAX);
    check_trimmed(it->section, it->section_len);
    check_trimmed(it->key, it->key_len);
    check_trimmed(it->value, it->value_len);
    for (size_t i = 0; i < it->key_len; i++)
        CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.",
                     it->key[i]) != NULL);
    if (it->nested) {
        CHECK(it->parent != NULL && inside(r, it->parent, it->parent_len));
        CHECK(it->parent_len > 0 && it->value_len > 0);
    }
    CHECK(it->line >= 1 && it->line <= r->lines);
    if (r->n > 0)
        CHECK(it->line > r->items[r->n - 1].line);
    if (r->n < ITEMS_MAX) {
        m = &r->items[r->n];
        m->section = (size_t)(it->section - r->text);
        m->section_len = it->section_len;
        m->key = (size_t)(it->key - r->text);
        m->key_len = it->key_len;
        m->value = (size_t)(it->value - r->text);
        m->value_len = it->value_len;
        m->parent = it->nested ? (size_t)(it->parent - r->text) : 0;
        m->parent_len = it->nested ? it->parent_len : 0;
        m->nested = it->nested;
        m->line = it->line;
    }
    r->n++;
    return r->stop_at && r->n == r->stop_at ? 7 : 0;
}

static unsigned count_lines(const char *p, size_t len)
{
    unsigned n = 0;

    for (size_t i = 0; i < len; i++)
        n += p[i] == '\n';
    return n + (len > 0 && p[len - 1] != '\n');
}

static int parse(struct run *r, const char *text, size_t len, size_t stop_at,
                 struct aws_ini_error *err)
{
    int rc;

    r->text = text;
    r->len = len;
    r->lines = count_lines(text, len);
    r->n = 0;
    r->stop_at = stop_at;
    rc = aws_ini_parse(text, len, on_item, r, err);
    CHECK(rc == 0 || rc == -1 || rc == 7);
    if (rc == -1) {
        CHECK(err->reason != NULL && *err->reason);
        CHECK(err->line <= r->lines + 1);
    } else {
        CHECK(err->reason == NULL);
    }
    CHECK(rc != 7 || r->n == stop_at);
    return rc;
}

static int same_text(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* The same items, with offsets that differ by the CRs before them. */
static void check_same(const struct run *a, const struct run *b)
{
    size_t n = a->n < ITEMS_MAX ? a->n : ITEMS_MAX;

    CHECK(a->n == b->n);
    for (size_t i = 0; i < n; i++) {
        const struct item *x = &a->items[i], *y = &b->items[i];

        CHECK(x->line == y->line && x->nested == y->nested);
        CHECK(same_text(a->text + x->section, x->section_len, b->text + y->section,
                        y->section_len));
        CHECK(same_text(a->text + x->key, x->key_len, b->text + y->key, y->key_len));
        CHECK(same_text(a->text + x->value, x->value_len, b->text + y->value, y->value_len));
        CHECK(same_text(a->text + x->parent, x->parent_len, b->text + y->parent,
                        y->parent_len));
    }
}

static struct run run_a, run_b;

static void fuzz_parser(uint8_t mode, const char *text, size_t len)
{
    struct aws_ini_error err, err2;
    int rc = parse(&run_a, text, len, 0, &err), rc2;
    char *crlf;
    size_t n = 0;

    CHECK(aws_ini_parse(text, len, NULL, NULL, NULL) == rc);
    /* Stopping at an item the parse reaches. */
    if (run_a.n > 0) {
        size_t k = 1 + (size_t)(mode >> 1) % run_a.n;

        CHECK(parse(&run_b, text, len, k, &err2) == 7);
    }
    /* CRLF line ends: the same items, the same verdict, the same line. */
    if (memchr(text, '\r', len) != NULL || (crlf = malloc(2 * len + 1)) == NULL)
        return;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n')
            crlf[n++] = '\r';
        crlf[n++] = text[i];
    }
    rc2 = parse(&run_b, crlf, n, 0, &err2);
    if (n <= AWS_INI_MAX) {
        CHECK(rc2 == rc);
        if (rc == -1)
            CHECK(err2.line == err.line);
        else
            check_same(&run_a, &run_b);
    }
    free(crlf);
}

/* ------------------------------------------------------- the profile layer */

static char dir[64];
static char cred_path[128], config_path[128];

static void remove_dir(void)
{
    unlink(cred_path);
    unlink(config_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(dir, sizeof(dir), "%s/fuzz-aws-ini.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(cred_path, sizeof(cred_path), "%s/credentials", dir);
    snprintf(config_path, sizeof(config_path), "%s/config", dir);
    atexit(remove_dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred_path, 1);
    setenv("AWS_CONFIG_FILE", config_path, 1);
    unsetenv("AWS_DEFAULT_PROFILE");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    return 0;
}

static void write_file(const char *path, const uint8_t *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    CHECK(fd >= 0);
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        CHECK(n > 0);
        p += n;
        len -= (size_t)n;
    }
    close(fd);
}

static const char *const profiles[] = {"default", "dev", "prod", "a.b-c_d", "x"};

static void fuzz_profile(uint8_t mode, const uint8_t *p, size_t len)
{
    const uint8_t *nul = memchr(p, '\0', len);
    size_t cred_len = nul ? (size_t)(nul - p) : len;
    envelope_ctx *ctx = fuzz_ctx();
    struct aws_profile prof;
    char region[REGION_MAX + 1];
    envelope_rc rc;

    write_file(cred_path, p, cred_len);
    write_file(config_path, nul ? nul + 1 : p, nul ? len - cred_len - 1 : 0);
    setenv("AWS_PROFILE", profiles[(mode >> 1) % (sizeof(profiles) / sizeof(profiles[0]))], 1);
    detail_clear(ctx);
    rc = profile_load(ctx, ENVELOPE_E_CREDENTIALS, &prof);
    CHECK(rc == ENVELOPE_OK || rc == ENVELOPE_E_CREDENTIALS);
    if (rc == ENVELOPE_OK) {
        for (int f = 0; f < 2; f++) {
            for (int k = 0; k < PROFILE_KEYS; k++) {
                const char *v = prof.file[f].value[k];

                if (v == NULL)
                    continue;
                CHECK(prof.file[f].present && prof.file[f].line[k] >= 1);
                CHECK(strlen(v) <= AWS_INI_LINE_MAX);
                check_trimmed(v, strlen(v));
            }
        }
    }
    check_detail(ctx);
    profile_free(&prof);
    rc = region_resolve(ctx, region);
    CHECK(rc == ENVELOPE_OK || rc == ENVELOPE_E_INVALID_ARGUMENT);
    if (rc == ENVELOPE_OK)
        CHECK(region[0] == '\0' || region_is_valid(region, strlen(region)));
    check_detail(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_profile(data[0], data + 1, size - 1);
    else
        fuzz_parser(data[0], (const char *)data + 1, size - 1);
    return 0;
}
