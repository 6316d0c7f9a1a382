/* A list of file names, as --files-from gives it: one a line, or separated
 * by NUL bytes (--null). Kept apart from the rest of the command line, with
 * nothing but the C library, so that fuzz/ can feed it any bytes. */
#include <string.h>

#include "cli.h"

int names_split(char *text, size_t len, int null, int (*add)(void *arg, const char *name),
                void *arg)
{
    char sep = null ? '\0' : '\n';
    size_t start = 0;
    int r = 0;

    /* A NUL cannot be part of a name: such a list is meant for --null. */
    if (!null && memchr(text, '\0', len) != NULL)
        return -1;
    text[len] = sep; /* the last name ends too, separator or not */
    for (size_t i = 0; r == 0 && i <= len; i++) {
        if (text[i] != sep)
            continue;
        text[i] = '\0';
        if (i > start)
            r = add(arg, text + start);
        start = i + 1;
    }
    return r;
}
