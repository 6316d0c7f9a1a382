/* The AWS shared config and credentials files (~/.aws/config,
 * ~/.aws/credentials): a strict, bounded INI reader that knows nothing of
 * profiles. Pure: no I/O, no allocation, so it can be fuzzed on a buffer.
 *
 * What it takes, as the AWS CLI writes these files:
 *   - lines end in LF or CRLF; no NUL byte anywhere;
 *   - blank lines, and comment lines whose first non-blank character is
 *     '#' or ';';
 *   - "[name]" at the start of a line opens a section; the name is trimmed
 *     and may be followed by white space and a comment;
 *   - "key = value" at the start of a line, inside a section; key and value
 *     are trimmed; the value is everything after the first '=' (a '#' in a
 *     value is part of it, as in the AWS CLI);
 *   - indented "sub = value" lines after a "key =" with an empty value (the
 *     nested settings of e.g. "s3 ="): checked, reported with nested set.
 * Anything else is an error with its line number: an indented line
 * continuing a non-empty value, a property before any section, a line with
 * no '=', an empty key or section name, a control character, or something
 * past the bounds below. */
#ifndef ENVELOPE_AWS_INI_H
#define ENVELOPE_AWS_INI_H

#include <stddef.h>

#define AWS_INI_MAX (1024 * 1024)   /* a whole file */
#define AWS_INI_LINE_MAX 16384      /* a session token fits on one line */
#define AWS_INI_NAME_MAX 255        /* a section name */
#define AWS_INI_KEY_MAX 128

struct aws_ini_item {
    const char *section; /* trimmed; not NUL-terminated: use the lengths */
    size_t section_len;
    const char *key;
    size_t key_len;
    const char *value;   /* may be empty */
    size_t value_len;
    int nested;          /* 1: "sub = value" under the key named in parent */
    const char *parent;
    size_t parent_len;
    unsigned line;       /* 1-based */
};

/* Called for each property, in file order. Returns 0 to go on; any other
 * value stops the parse, and aws_ini_parse returns it. */
typedef int (*aws_ini_fn)(void *arg, const struct aws_ini_item *item);

struct aws_ini_error {
    unsigned line;       /* 0 when the file as a whole is refused */
    const char *reason;  /* a fixed English phrase; never quotes the input */
};

/* 0 when the whole text parsed; -1 on a syntax or bounds error (err, if not
 * NULL, says where and why); else what fn returned. The text is not
 * modified and need not be NUL-terminated. */
int aws_ini_parse(const char *text, size_t len, aws_ini_fn fn, void *arg,
                  struct aws_ini_error *err);

#endif
