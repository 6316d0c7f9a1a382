/* JSON text, written into memory: objects, arrays, strings, integers,
 * booleans and null, with the commas between them. Strings come from files,
 * envelopes and users, so any bytes are made into valid, printable JSON:
 * valid UTF-8 is kept exactly, control and formatting characters are
 * written as \u escapes (the parsed value is unchanged, the raw text stays
 * safe on a terminal), and a byte that is not part of valid UTF-8 becomes
 * U+FFFD. Each struct json_out holds one object: --json prints one per
 * run; a mode printing JSON Lines would build one per input, each printed
 * on its own line (the text never holds a newline). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void json_out_init(struct json_out *j)
{
    memset(j, 0, sizeof(*j));
    j->first[0] = 1;
}

void json_out_free(struct json_out *j)
{
    free(j->buf);
    json_out_init(j);
}

const char *json_out_text(const struct json_out *j)
{
    return j->failed || j->buf == NULL ? NULL : j->buf;
}

static void put(struct json_out *j, const char *s, size_t n)
{
    size_t cap = j->cap ? j->cap : 512;
    char *p;

    if (j->failed)
        return;
    while (cap - j->len <= n) /* room for the NUL too */
        cap *= 2;
    if (cap != j->cap) {
        if ((p = realloc(j->buf, cap)) == NULL) {
            j->failed = 1;
            return;
        }
        j->buf = p;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void puts_(struct json_out *j, const char *s)
{
    put(j, s, strlen(s));
}

/* The comma before a value, unless it is the first of its object or array,
 * or follows its key. */
static void before_value(struct json_out *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (!j->first[j->depth])
        put(j, ",", 1);
    j->first[j->depth] = 0;
}

static void open_(struct json_out *j, const char *c)
{
    before_value(j);
    put(j, c, 1);
    if (j->depth + 1 >= JSON_DEPTH) {
        j->failed = 1; /* a bug: nothing this deep is ever written */
        return;
    }
    j->first[++j->depth] = 1;
}

static void close_(struct json_out *j, const char *c)
{
    if (j->depth > 0)
        j->depth--;
    put(j, c, 1);
}

void json_out_begin_object(struct json_out *j) { open_(j, "{"); }
void json_out_end_object(struct json_out *j) { close_(j, "}"); }
void json_out_begin_array(struct json_out *j) { open_(j, "["); }
void json_out_end_array(struct json_out *j) { close_(j, "]"); }

/* The length of the valid UTF-8 sequence at s (at most n bytes) and its
 * code point, or 0: overlong forms, surrogates and values above U+10FFFF
 * are not valid. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};

    if (len == 0 || s[0] > 0xF4 || len > n)
        return 0;
    *cp = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min[len] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

/* Characters that change how text looks rather than showing: C1
 * controls, line and paragraph separators, bidirectional controls. */
static int is_format_char(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0x061C ||
           cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

static void put_escape(struct json_out *j, uint32_t cp)
{
    char esc[16];

    snprintf(esc, sizeof(esc), "\\u%04" PRIx32, cp);
    puts_(j, esc);
}

static void put_string(struct json_out *j, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text), len;
    uint32_t cp;

    put(j, "\"", 1);
    while (n > 0) {
        if (*s == '"' || *s == '\\') {
            put(j, "\\", 1);
            put(j, (const char *)s, 1);
            len = 1;
        } else if (*s == '\n' || *s == '\t') {
            puts_(j, *s == '\n' ? "\\n" : "\\t");
            len = 1;
        } else if (*s < 0x20 || *s == 0x7F) {
            put_escape(j, *s);
            len = 1;
        } else if (*s < 0x80) {
            put(j, (const char *)s, 1);
            len = 1;
        } else if ((len = utf8_char(s, n, &cp)) == 0) {
            put_escape(j, 0xFFFD); /* one per byte that is not valid UTF-8 */
            len = 1;
        } else if (is_format_char(cp)) {
            put_escape(j, cp);
        } else {
            put(j, (const char *)s, len);
        }
        s += len;
        n -= len;
    }
    put(j, "\"", 1);
}

void json_out_key(struct json_out *j, const char *key)
{
    before_value(j);
    put_string(j, key);
    put(j, ":", 1);
    j->after_key = 1;
}

void json_out_string(struct json_out *j, const char *s)
{
    if (s == NULL) {
        json_out_null(j);
        return;
    }
    before_value(j);
    put_string(j, s);
}

void json_out_uint(struct json_out *j, uint64_t v)
{
    char num[24];

    before_value(j);
    snprintf(num, sizeof(num), "%" PRIu64, v);
    puts_(j, num);
}

void json_out_int(struct json_out *j, int v)
{
    char num[16];

    before_value(j);
    snprintf(num, sizeof(num), "%d", v);
    puts_(j, num);
}

void json_out_bool(struct json_out *j, int v)
{
    before_value(j);
    puts_(j, v ? "true" : "false");
}

void json_out_null(struct json_out *j)
{
    before_value(j);
    puts_(j, "null");
}

void json_out_member_string(struct json_out *j, const char *key, const char *s)
{
    json_out_key(j, key);
    json_out_string(j, s);
}

void json_out_member_uint(struct json_out *j, const char *key, uint64_t v)
{
    json_out_key(j, key);
    json_out_uint(j, v);
}

void json_out_member_null(struct json_out *j, const char *key)
{
    json_out_key(j, key);
    json_out_null(j);
}

void json_out_members_of(struct json_out *j, const struct json_out *obj)
{
    const char *text = json_out_text(obj);
    size_t n;

    if (text == NULL || (n = strlen(text)) < 2 || text[0] != '{') {
        j->failed = 1;
        return;
    }
    if (n == 2)
        return; /* {} */
    before_value(j);
    put(j, text + 1, n - 2);
}
