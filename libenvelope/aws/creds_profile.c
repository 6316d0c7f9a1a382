/* The profile in the shared credentials and config files, as the AWS CLI
 * finds it: AWS_PROFILE picks it ("default" otherwise), it is [NAME] in
 * the credentials file and [profile NAME] in the config file ([default] for
 * the default profile), and AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE
 * move the files from ~/.aws/. The files are parsed by aws_ini.c; only the
 * profile's own values are kept, and wiped when freed. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws/aws_ini.h"
#include "base/context.h"
#include "aws/creds.h"

static const struct {
    const char *name;
    int key;
} keys[] = {
    {"aws_access_key_id", PROFILE_ACCESS_KEY_ID},
    {"aws_secret_access_key", PROFILE_SECRET_ACCESS_KEY},
    {"aws_session_token", PROFILE_SESSION_TOKEN},
    {"aws_security_token", PROFILE_SESSION_TOKEN},
    {"region", PROFILE_REGION},
    {"retry_mode", PROFILE_RETRY_MODE},
    {"max_attempts", PROFILE_MAX_ATTEMPTS},
    {"credential_process", PROFILE_CREDENTIAL_PROCESS},
    {"role_arn", PROFILE_ROLE_ARN},
    {"sso_session", PROFILE_SSO},
    {"sso_start_url", PROFILE_SSO},
    {"web_identity_token_file", PROFILE_WEB_IDENTITY},
    {"source_profile", PROFILE_SOURCE_PROFILE},
    {"credential_source", PROFILE_CREDENTIAL_SOURCE},
    {"external_id", PROFILE_EXTERNAL_ID},
    {"role_session_name", PROFILE_ROLE_SESSION_NAME},
    {"duration_seconds", PROFILE_DURATION_SECONDS},
    {"mfa_serial", PROFILE_MFA_SERIAL},
    {"endpoint_url", PROFILE_ENDPOINT_URL},
    {"use_fips_endpoint", PROFILE_USE_FIPS_ENDPOINT},
};

struct match {
    const char *profile;
    int config;           /* 1: [profile NAME] (and [default]); 0: [NAME] */
    struct profile_file *out;
    int nomem;
    unsigned dup_line;    /* a value set twice: its second line */
    unsigned seen;        /* bit i: keys[i] was given */
};

static int name_eq(const char *p, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(p, name, len) == 0;
}

/* Does this section belong to the profile? In the config file "profile"
 * and the name are separated by white space, as the AWS CLI writes it. */
static int section_matches(const struct match *m, const char *s, size_t len)
{
    if (!m->config || (name_eq(s, len, "default") && strcmp(m->profile, "default") == 0))
        return name_eq(s, len, m->profile);
    if (len < 8 || memcmp(s, "profile", 7) != 0 || (s[7] != ' ' && s[7] != '\t'))
        return 0;
    s += 8;
    len -= 8;
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    return name_eq(s, len, m->profile);
}

static int on_item(void *arg, const struct aws_ini_item *it)
{
    struct match *m = arg;

    if (it->nested || !section_matches(m, it->section, it->section_len))
        return 0;
    m->out->present = 1;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        int k = keys[i].key;

        /* Names are case-insensitive, as Python's configparser has them. */
        if (strlen(keys[i].name) != it->key_len ||
            strncasecmp(keys[i].name, it->key, it->key_len) != 0)
            continue;
        if (m->seen & (1u << i)) {
            m->dup_line = it->line;
            return 2;
        }
        m->seen |= 1u << i;
        if (m->out->value[k] != NULL) /* two names for one thing: the first */
            return 0;
        if ((m->out->value[k] = creds_strdup(it->value, it->value_len)) == NULL) {
            m->nomem = 1;
            return 3;
        }
        m->out->line[k] = it->line;
        return 0;
    }
    return 0;
}

/* Marks the section present for a profile with no properties: it exists. */
static int on_section_only(const char *text, size_t len, struct match *m)
{
    /* Cheap second look for "[NAME]" headers with nothing under them. */
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *close;

        if (*p == '[' && (close = memchr(p, ']', (size_t)(e - p))) != NULL) {
            const char *s = p + 1;
            size_t n = (size_t)(close - s);

            while (n > 0 && (*s == ' ' || *s == '\t'))
                s++, n--;
            while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
            if (section_matches(m, s, n))
                return 1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* The file's path: the variable, with a leading "~/" expanded as the AWS
 * CLI does, else ~/.aws/NAME; "" when there is no home to look in. */
static void file_path(const char *var, const char *name, char *out, size_t size)
{
    const char *v = creds_env(var), *home = creds_env("HOME");

    out[0] = '\0';
    if (v && strncmp(v, "~/", 2) == 0 && home)
        snprintf(out, size, "%s/%s", home, v + 2);
    else if (v)
        snprintf(out, size, "%s", v);
    else if (home)
        snprintf(out, size, "%s/.aws/%s", home, name);
}

/* The whole file, at most AWS_INI_MAX bytes; *text NULL when it does not
 * exist. The caller wipes and frees it: it holds secrets. */
static envelope_rc read_text(envelope_ctx *ctx, envelope_rc err_code, const char *path,
                             char **text, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n;

    *text = NULL;
    *len = 0;
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return ENVELOPE_OK;
        return fail(ctx, err_code, "cannot read %s: %s", path, strerror(errno));
    }
    if ((*text = malloc(AWS_INI_MAX + 1)) == NULL) {
        close(fd);
        return fail(ctx, ENVELOPE_E_NOMEM, "reading %s", path);
    }
    while (*len <= AWS_INI_MAX &&
           ((n = read(fd, *text + *len, AWS_INI_MAX + 1 - *len)) > 0 ||
            (n < 0 && errno == EINTR)))
        if (n > 0)
            *len += (size_t)n;
    if (*len <= AWS_INI_MAX && n < 0) {
        int e = errno;

        close(fd);
        return fail(ctx, err_code, "cannot read %s: %s", path, strerror(e));
    }
    close(fd);
    if (*len > AWS_INI_MAX)
        return fail(ctx, err_code, "%s: larger than 1 MiB: not an AWS config file", path);
    return ENVELOPE_OK;
}

static envelope_rc load_file(envelope_ctx *ctx, envelope_rc err_code, const char *profile,
                             int config, struct profile_file *f)
{
    struct match m = {profile, config, f, 0, 0, 0};
    struct aws_ini_error err;
    char *text;
    size_t len;
    envelope_rc rc;
    int r;

    if (f->path[0] == '\0')
        return ENVELOPE_OK;
    if ((rc = read_text(ctx, err_code, f->path, &text, &len)) != ENVELOPE_OK || text == NULL) {
        if (text) {
            OPENSSL_cleanse(text, AWS_INI_MAX + 1);
            free(text);
        }
        return rc;
    }
    r = aws_ini_parse(text, len, on_item, &m, &err);
    if (r == 0 && !f->present)
        f->present = on_section_only(text, len, &m);
    OPENSSL_cleanse(text, len);
    free(text);
    if (r == -1)
        return fail(ctx, err_code, "%s line %u: %s", f->path, err.line, err.reason);
    if (r == 2)
        return fail(ctx, err_code, "%s line %u: a setting of profile %s given twice", f->path,
                    m.dup_line, profile);
    if (m.nomem)
        return fail(ctx, ENVELOPE_E_NOMEM, "reading %s", f->path);
    return ENVELOPE_OK;
}

/* Names the AWS CLI would accept in a section header, within bounds. */
static int profile_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > PROFILE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '[' || s[i] == ']')
            return 0;
    return 1;
}

/* Both files read for out->name, already set and checked. */
static envelope_rc load_files(envelope_ctx *ctx, envelope_rc err_code, struct aws_profile *out)
{
    envelope_rc rc;

    file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", out->file[0].path,
              sizeof(out->file[0].path));
    file_path("AWS_CONFIG_FILE", "config", out->file[1].path, sizeof(out->file[1].path));
    if ((rc = load_file(ctx, err_code, out->name, 0, &out->file[0])) != ENVELOPE_OK)
        return rc;
    return load_file(ctx, err_code, out->name, 1, &out->file[1]);
}

envelope_rc profile_load(envelope_ctx *ctx, envelope_rc err_code, struct aws_profile *out)
{
    static const char *const vars[] = {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"};
    const char *name = "default";

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        if (creds_env(vars[i])) {
            name = creds_env(vars[i]);
            out->name_from = vars[i];
            break;
        }
    }
    if (!profile_name_ok(name))
        return fail(ctx, err_code,
                    "%s is not a profile name (printable, no spaces or brackets, at most %d "
                    "characters)", out->name_from, PROFILE_NAME_MAX);
    memcpy(out->name, name, strlen(name) + 1);
    return load_files(ctx, err_code, out);
}

envelope_rc profile_load_named(envelope_ctx *ctx, envelope_rc err_code, const char *name,
                               struct aws_profile *out)
{
    memset(out, 0, sizeof(*out));
    if (!profile_name_ok(name))
        return fail(ctx, err_code,
                    "%.200s is not a profile name (printable, no spaces or brackets, at most "
                    "%d characters)", name, PROFILE_NAME_MAX);
    memcpy(out->name, name, strlen(name) + 1);
    return load_files(ctx, err_code, out);
}

void profile_free(struct aws_profile *p)
{
    if (p == NULL)
        return;
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < PROFILE_KEYS; k++)
            creds_wipe_free(p->file[f].value[k]);
    memset(p, 0, sizeof(*p));
}

const char *profile_get(const struct aws_profile *p, int key, int *from)
{
    for (int f = 0; f < 2; f++) {
        if (p->file[f].value[key]) {
            *from = f;
            return p->file[f].value[key];
        }
    }
    *from = 0;
    return NULL;
}
