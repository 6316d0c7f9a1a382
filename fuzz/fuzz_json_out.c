/* The command line's JSON writer (cli/json_out.c), fed any bytes as the
 * strings of an object, as file names and names from envelopes reach it.
 * The input, split at each NUL, gives the strings of
 * {"first": S0, "all": [S0, S1, ...], "n": N}. What is written must parse
 * (json-c, strict, validating UTF-8) back to those strings: each one
 * exactly when it is valid UTF-8 (checked here by the byte ranges of the
 * Unicode standard's table 3-7, not by the writer's code), else as valid
 * UTF-8 holding U+FFFD; and the raw text holds no control character. */
#include <json-c/json.h>

#include "common.h"

#include "../cli/json_out.c" /* the writer is the command line's, not the library's */

#define PIECES_MAX 64

/* Well-formed UTF-8 (Unicode, table 3-7). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0, len, k;
    unsigned c, lo, hi;

    while (i < n) {
        c = s[i];
        lo = 0x80;
        hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c == 0xE0)
            len = 3, lo = 0xA0;
        else if (c == 0xED)
            len = 3, hi = 0x9F;
        else if (c >= 0xE1 && c <= 0xEF)
            len = 3;
        else if (c == 0xF0)
            len = 4, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3)
            len = 4;
        else if (c == 0xF4)
            len = 4, hi = 0x8F;
        else
            return 0;
        if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return 0;
        i += len;
    }
    return 1;
}

/* The string j holds, compared with what was written. */
static void check_string(json_object *j, const char *written)
{
    const char *got;
    size_t len;

    CHECK(json_object_is_type(j, json_type_string));
    got = json_object_get_string(j);
    len = (size_t)json_object_get_string_len(j);
    CHECK(strlen(got) == len); /* no NUL was written */
    CHECK(valid_utf8((const unsigned char *)got, len));
    if (valid_utf8((const unsigned char *)written, strlen(written)))
        CHECK(strcmp(got, written) == 0);
    else
        CHECK(strstr(got, "\xEF\xBF\xBD") != NULL);
}

static json_object *parse(const char *text)
{
    struct json_tokener *tok = json_tokener_new();
    json_object *root;

    if (tok == NULL)
        abort();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, text, (int)strlen(text));
    CHECK(root != NULL && json_tokener_get_error(tok) == json_tokener_success);
    json_tokener_free(tok);
    return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    const char *pieces[PIECES_MAX];
    size_t n = 0, i;
    struct json_out j;
    json_object *root, *member;
    const char *text;

    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (i = 0; i <= size && n < PIECES_MAX; i += strlen(copy + i) + 1)
        pieces[n++] = copy + i;

    json_out_init(&j);
    json_out_begin_object(&j);
    json_out_member_string(&j, "first", pieces[0]);
    json_out_key(&j, "all");
    json_out_begin_array(&j);
    for (i = 0; i < n; i++)
        json_out_string(&j, pieces[i]);
    json_out_end_array(&j);
    json_out_member_uint(&j, "n", n);
    json_out_end_object(&j);
    CHECK((text = json_out_text(&j)) != NULL);
    for (const char *p = text; *p; p++)
        CHECK((unsigned char)*p >= 0x20 && *p != 0x7F);

    root = parse(text);
    CHECK(json_object_object_length(root) == 3);
    CHECK(json_object_object_get_ex(root, "first", &member));
    check_string(member, pieces[0]);
    CHECK(json_object_object_get_ex(root, "n", &member) && json_object_get_int(member) == (int)n);
    CHECK(json_object_object_get_ex(root, "all", &member) &&
          json_object_array_length(member) == n);
    for (i = 0; i < n; i++)
        check_string(json_object_array_get_idx(member, i), pieces[i]);

    json_object_put(root);
    json_out_free(&j);
    free(copy);
    return 0;
}
