/* Batch mode's inputs and options: the operands, then the names that
 * --files-from lists (one a line, or NUL-separated with --null), and the
 * directory the outputs go to. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* A list longer than this is more likely a mistake (a binary file given to
 * --files-from) than a batch. */
#define LIST_MAX ((size_t)64 << 20)

int batch_parse_jobs(const char *cmd, const char *arg, unsigned *jobs)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] < '0' || arg[0] > '9' || v < 1 ||
        v > BATCH_JOBS_MAX)
        return usage_error(cmd, "-j '%s': a number of workers from 1 to %d", arg,
                           BATCH_JOBS_MAX);
    *jobs = (unsigned)v;
    return EXIT_OK;
}

static int add_input(struct batch *b, size_t *cap, const char *name)
{
    char **p;

    if (b->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        if ((p = realloc(b->inputs, *cap * sizeof(*p))) == NULL)
            return fail_with(EXIT_IO, "out of memory");
        b->inputs = p;
    }
    if ((b->inputs[b->n] = strdup(name)) == NULL)
        return fail_with(EXIT_IO, "out of memory");
    b->n++;
    return EXIT_OK;
}

/* The whole list, from a file or stdin, with room for one more byte. */
static int read_list(const char *from, char **text, size_t *len)
{
    int fd = open_input(from);
    size_t cap = 0;
    char *p;
    ssize_t n;

    *text = NULL;
    *len = 0;
    if (fd < 0)
        return EXIT_IO;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 4096;
            if (cap > LIST_MAX || (p = realloc(*text, cap)) == NULL) {
                if (fd != STDIN_FILENO)
                    close(fd);
                return fail_with(EXIT_IO, "--files-from %s: %s", input_name(from),
                                 cap > LIST_MAX ? "longer than 64 MiB" : "out of memory");
            }
            *text = p;
        }
        if ((n = read(fd, *text + *len, cap - *len)) < 0 && errno == EINTR && !signals_caught())
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    if (n < 0)
        return fail_with(EXIT_IO, "--files-from %s: %s", input_name(from), strerror(errno));
    return EXIT_OK;
}

struct adding {
    struct batch *b;
    size_t *cap;
};

static int add_named(void *arg, const char *name)
{
    struct adding *a = arg;

    return add_input(a->b, a->cap, name);
}

/* Each name of the list, in order, after the operands. */
static int add_list(const char *cmd, const struct batch_args *a, struct batch *b, size_t *cap)
{
    struct adding to = {b, cap};
    char *text;
    size_t len;
    int code = read_list(a->files_from, &text, &len);

    if (code == EXIT_OK && (code = names_split(text, len, a->null, add_named, &to)) < 0)
        code = usage_error(cmd, "--files-from %s: holds a NUL byte; is it a list for --null?",
                           input_name(a->files_from));
    free(text);
    return code;
}

/* DIR must be a directory that exists: a mistyped name would otherwise
 * scatter the outputs in a new one. */
static int check_dir(const char *cmd, const char *dir)
{
    struct stat st;

    if (dir[0] == '\0')
        return usage_error(cmd, "--out-dir: an empty name");
    if (stat(dir, &st) != 0)
        return fail_with(EXIT_IO, "--out-dir %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail_with(EXIT_IO, "--out-dir %s: not a directory", dir);
    return EXIT_OK;
}

int batch_inputs(const char *cmd, const struct batch_args *a, char **operands, size_t n_ops,
                 struct batch *b)
{
    size_t cap = 0;
    int code = check_dir(cmd, a->dir);

    b->dir = a->dir;
    b->jobs = a->jobs;
    for (size_t i = 0; code == EXIT_OK && i < n_ops; i++)
        code = add_input(b, &cap, operands[i]);
    if (code == EXIT_OK && a->files_from)
        code = add_list(cmd, a, b, &cap);
    for (size_t i = 0; code == EXIT_OK && i < b->n; i++)
        if (strcmp(b->inputs[i], "-") == 0)
            code = usage_error(cmd, "--out-dir: every input is a file; '-' (stdin) is not one");
    if (code == EXIT_OK && b->n == 0)
        code = usage_error(cmd, "--out-dir: no input (give FILE... or --files-from)");
    return code;
}

void batch_inputs_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->inputs[i]);
    free(b->inputs);
    b->inputs = NULL;
    b->n = 0;
}
