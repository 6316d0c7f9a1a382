/* A strict reader for the AWS config and credentials files (aws_ini.h).
 * Every line is read through its bounds; nothing is copied or allocated. */
#include "aws/aws_ini.h"

#include <string.h>

struct state {
    const char *section;    /* NULL until the first section */
    size_t section_len;
    const char *parent;     /* the last "key =" with an empty value, or NULL */
    size_t parent_len;
    int after_value;        /* the last property had a non-empty value */
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **p, size_t *len)
{
    while (*len > 0 && is_blank(**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && is_blank((*p)[*len - 1]))
        (*len)--;
}

/* Tab, and bytes from space up, DEL aside: UTF-8 passes through. */
static int text_ok(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];

        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

static int key_ok(const char *p, size_t len)
{
    if (len == 0 || len > AWS_INI_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

static int fail(struct aws_ini_error *err, unsigned line, const char *reason)
{
    if (err) {
        err->line = line;
        err->reason = reason;
    }
    return -1;
}

/* "[name]" then nothing but white space or a comment. */
static int section_line(struct state *st, const char *p, size_t len, unsigned line,
                        struct aws_ini_error *err)
{
    const char *close = memchr(p, ']', len);
    const char *name = p + 1, *rest;
    size_t name_len, rest_len;

    if (close == NULL)
        return fail(err, line, "a section header without its closing ']'");
    name_len = (size_t)(close - name);
    rest = close + 1;
    rest_len = len - (size_t)(rest - p);
    trim(&name, &name_len);
    trim(&rest, &rest_len);
    if (name_len == 0)
        return fail(err, line, "an empty section name");
    if (name_len > AWS_INI_NAME_MAX)
        return fail(err, line, "a section name longer than 255 characters");
    if (memchr(name, '[', name_len) != NULL)
        return fail(err, line, "a '[' inside a section name");
    if (rest_len > 0 && rest[0] != '#' && rest[0] != ';')
        return fail(err, line, "text after a section header");
    st->section = name;
    st->section_len = name_len;
    st->parent = NULL;
    st->after_value = 0;
    return 0;
}

/* "key = value", at the start of a line or indented under a parent. */
static int property_line(struct state *st, const char *p, size_t len, int indented,
                         unsigned line, aws_ini_fn fn, void *arg, struct aws_ini_error *err)
{
    const char *eq = memchr(p, '=', len);
    struct aws_ini_item item = {0};

    if (st->section == NULL)
        return fail(err, line, "a property before any section header");
    if (indented && st->parent == NULL)
        return fail(err, line, st->after_value
                                   ? "an indented line continuing a value (not supported)"
                                   : "an indented line outside a nested setting");
    if (eq == NULL)
        return fail(err, line, "a line that is neither a section, a property nor a comment");
    item.key = p;
    item.key_len = (size_t)(eq - p);
    item.value = eq + 1;
    item.value_len = len - item.key_len - 1;
    trim(&item.key, &item.key_len);
    trim(&item.value, &item.value_len);
    if (!key_ok(item.key, item.key_len))
        return fail(err, line, "a property name that is empty, longer than 128 characters, or "
                               "not made of letters, digits, '_', '-' and '.'");
    item.section = st->section;
    item.section_len = st->section_len;
    item.line = line;
    if (indented) {
        if (item.value_len == 0)
            return fail(err, line, "a nested setting without a value");
        item.nested = 1;
        item.parent = st->parent;
        item.parent_len = st->parent_len;
    } else {
        st->parent = item.value_len == 0 ? item.key : NULL;
        st->parent_len = item.value_len == 0 ? item.key_len : 0;
        st->after_value = item.value_len > 0;
    }
    return fn ? fn(arg, &item) : 0;
}

static int one_line(struct state *st, const char *p, size_t len, unsigned line, aws_ini_fn fn,
                    void *arg, struct aws_ini_error *err)
{
    const char *s = p;
    size_t n = len;
    int indented = len > 0 && is_blank(p[0]);

    if (len > 0 && p[len - 1] == '\r')
        n = --len;
    if (len > AWS_INI_LINE_MAX)
        return fail(err, line, "a line longer than 16384 characters");
    if (!text_ok(p, len))
        return fail(err, line, "a control character");
    trim(&s, &n);
    if (n == 0 || s[0] == '#' || s[0] == ';')
        return 0;
    if (s[0] == '[') {
        if (indented)
            return fail(err, line, "an indented section header");
        return section_line(st, s, n, line, err);
    }
    return property_line(st, s, n, indented, line, fn, arg, err);
}

int aws_ini_parse(const char *text, size_t len, aws_ini_fn fn, void *arg,
                  struct aws_ini_error *err)
{
    struct state st = {0};
    unsigned line = 0;
    size_t at = 0;
    int rc;

    if (err) {
        err->line = 0;
        err->reason = NULL;
    }
    if (len > AWS_INI_MAX)
        return fail(err, 0, "larger than 1 MiB");
    if (len > 0 && (text == NULL || memchr(text, '\0', len) != NULL))
        return fail(err, 0, "a NUL byte: not a text file");
    while (at < len) {
        const char *p = text + at;
        const char *nl = memchr(p, '\n', len - at);
        size_t n = nl ? (size_t)(nl - p) : len - at;

        line++;
        if ((rc = one_line(&st, p, n, line, fn, arg, err)) != 0)
            return rc;
        at += n + (nl != NULL);
    }
    return 0;
}
