/* The command line's --files-from list (cli/names_list.c), fed any bytes,
 * the first byte choosing the separator (odd: NUL, as with --null; else
 * newline). The names given back must be exactly the non-empty pieces of
 * the input between separators, in order, each without the separator; a
 * newline list holding a NUL is refused whole, giving no name. */
#include "common.h"

#include "../cli/names_list.c" /* the command line's, not the library's */

struct seen {
    const uint8_t *in; /* the original list */
    size_t len, at;    /* where the next name must start, at or after */
    char sep;
    size_t names;
};

static int check_name(void *arg, const char *name)
{
    struct seen *s = arg;
    size_t n = strlen(name);

    /* Skip the separators (empty names) before it. */
    while (s->at < s->len && s->in[s->at] == (uint8_t)s->sep)
        s->at++;
    CHECK(n > 0 && s->at + n <= s->len && memcmp(s->in + s->at, name, n) == 0);
    CHECK(memchr(name, s->sep, n) == NULL);
    s->at += n;
    /* A name ends at a separator or at the end. */
    CHECK(s->at == s->len || s->in[s->at] == (uint8_t)s->sep);
    s->names++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen s = {0};
    char *text;
    int null, r;

    if (size == 0)
        return 0;
    null = data[0] & 1;
    s.in = data + 1;
    s.len = size - 1;
    s.sep = null ? '\0' : '\n';
    if ((text = malloc(s.len + 1)) == NULL)
        return 0;
    memcpy(text, s.in, s.len);
    r = names_split(text, s.len, null, check_name, &s);
    /* Refused only for a NUL in a newline list, before any name. */
    CHECK(r == 0 || r == -1);
    CHECK(r == 0 || (!null && memchr(s.in, '\0', s.len) != NULL && s.names == 0));
    CHECK(r == -1 || null || memchr(s.in, '\0', s.len) == NULL);
    if (r == 0) {
        /* Every name was seen: only separators may follow the last. */
        while (s.at < s.len && s.in[s.at] == (uint8_t)s.sep)
            s.at++;
        CHECK(s.at == s.len);
    }
    free(text);
    return 0;
}
