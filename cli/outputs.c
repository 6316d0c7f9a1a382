/* What an output path names, and outputs that must not meet. A path naming
 * a descriptor is written through it; a character device or one's own FIFO
 * is written into, never replaced; a regular file is made whole beside its
 * name and renamed into place; anything else is refused. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The descriptor a path names, or -1: "-", /dev/stdin|stdout|stderr,
 * /dev/fd/N, /proc/self/fd/N. */
static int named_descriptor(const char *path)
{
    static const char *const prefixes[] = {"/dev/fd/", "/proc/self/fd/"};
    char *end;
    long n;

    if (is_std_stream(path) || strcmp(path, "/dev/stdout") == 0)
        return STDOUT_FILENO;
    if (strcmp(path, "/dev/stdin") == 0)
        return STDIN_FILENO;
    if (strcmp(path, "/dev/stderr") == 0)
        return STDERR_FILENO;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t len = strlen(prefixes[i]);

        if (strncmp(path, prefixes[i], len) != 0 || path[len] < '0' || path[len] > '9')
            continue;
        errno = 0;
        n = strtol(path + len, &end, 10);
        if (*end == '\0' && errno == 0 && n <= 65535)
            return (int)n;
    }
    return -1;
}

/* What a node is, for a refusal; NULL for what may be written into. */
static const char *refused_kind(const struct stat *st)
{
    if (S_ISDIR(st->st_mode))
        return "is a directory";
    if (S_ISBLK(st->st_mode))
        return "is a block device; envelope never writes to one";
    if (S_ISSOCK(st->st_mode))
        return "is a socket; envelope never writes to one";
    if (S_ISFIFO(st->st_mode) && st->st_uid != geteuid())
        return "is a named pipe owned by someone else; envelope writes only into its own";
    return NULL;
}

static int writable_into(const struct stat *st)
{
    return S_ISCHR(st->st_mode) || (S_ISFIFO(st->st_mode) && st->st_uid == geteuid());
}

int out_target_check(const char *path, int force, struct out_target *t)
{
    struct stat st;
    const char *why;
    int flags;

    *t = (struct out_target){.path = path, .kind = OUT_NEW_FILE, .fd = -1};
    if (path != NULL && !is_std_stream(path) && named_descriptor(path) < 0) {
        /* stat, not lstat: a link to a device is written into, like "> link". */
        if (stat(path, &st) != 0)
            return refuse_existing(path, force, "--force replaces it");
        if ((why = refused_kind(&st)) != NULL)
            return fail_with(EXIT_IO, "%s: %s", path, why);
        if (writable_into(&st)) {
            t->kind = OUT_INTO;
            return EXIT_OK;
        }
        return refuse_existing(path, force, "--force replaces it");
    }
    t->kind = OUT_DESCRIPTOR;
    t->fd = path == NULL ? STDOUT_FILENO : named_descriptor(path);
    if ((flags = fcntl(t->fd, F_GETFL)) < 0)
        return fail_with(EXIT_IO, "%s: descriptor %d is not open", path ? path : "-", t->fd);
    if ((flags & O_ACCMODE) == O_RDONLY)
        return fail_with(EXIT_IO, "%s: descriptor %d is not open for writing", path ? path : "-",
                         t->fd);
    return EXIT_OK;
}

int out_target_open(struct out_target *t)
{
    struct stat st;
    const char *why;

    if (t->kind != OUT_INTO || t->fd >= 0)
        return EXIT_OK;
    /* No O_CREAT, no O_TRUNC: this writes into what is there, never makes
     * or empties a file. A FIFO's open waits for its reader, as "> fifo". */
    if ((t->fd = open(t->path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0 && errno == EINTR &&
        signals_caught())
        return EXIT_IO; /* the signal says it all: see signals_finish */
    if (t->fd < 0)
        return fail_with(EXIT_IO, "%s: %s", t->path, strerror(errno));
    /* The node may have been swapped since it was checked. */
    if (fstat(t->fd, &st) != 0)
        why = strerror(errno);
    else if (writable_into(&st))
        return EXIT_OK;
    else if ((why = refused_kind(&st)) == NULL)
        why = "replaced by a file while envelope ran";
    out_target_close(t);
    return fail_with(EXIT_IO, "%s: %s", t->path, why);
}

void out_target_close(struct out_target *t)
{
    if (t->kind == OUT_INTO && t->fd >= 0)
        close(t->fd);
    if (t->kind == OUT_INTO)
        t->fd = -1;
}

/* ------------------------------------------------ outputs that must differ */

/* One file as a command sees it: the file (if it exists and is regular)
 * and the directory entry (if its directory exists). */
struct ident {
    int file, entry;
    dev_t dev, dir_dev;
    ino_t ino, dir_ino;
    char *base;
};

static void ident_of(const char *path, struct ident *id)
{
    struct stat st;
    int fd = named_descriptor(path);
    char *a = NULL, *b = NULL;

    memset(id, 0, sizeof(*id));
    if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) == 0 && S_ISREG(st.st_mode)) {
        id->file = 1;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
    }
    if (fd >= 0 || (a = strdup(path)) == NULL || (b = strdup(path)) == NULL)
        goto out;
    if (stat(dirname(a), &st) == 0 && (id->base = strdup(basename(b))) != NULL) {
        id->entry = 1;
        id->dir_dev = st.st_dev;
        id->dir_ino = st.st_ino;
    }
out:
    free(a);
    free(b);
}

/* Only a regular file can be destroyed by being written: two writers of a
 * device or a pipe lose nothing. */
static int same(const struct ident *x, const struct ident *y)
{
    if (x->file && y->file && x->dev == y->dev && x->ino == y->ino)
        return 1;
    return x->entry && y->entry && x->dir_dev == y->dir_dev && x->dir_ino == y->dir_ino &&
           strcmp(x->base, y->base) == 0;
}

/* "-o PATH"; "stdout" or "stdin" where no option named it. */
static const char *label(const struct named *n, char buf[SHOWN_MAX])
{
    if (n->flag == NULL)
        return strcmp(n->path, "-") == 0 ? "stdout" : "stdin";
    snprintf(buf, SHOWN_MAX, "%s %s", n->flag, n->path);
    return buf;
}

int outputs_distinct(const char *cmd, const struct named *outs, size_t n_out,
                     const struct named *ins, size_t n_in)
{
    struct ident a, b;
    char x[SHOWN_MAX], y[SHOWN_MAX];
    int code = EXIT_OK;

    for (size_t i = 0; code == EXIT_OK && i < n_out; i++) {
        if (outs[i].path == NULL)
            continue;
        ident_of(outs[i].path, &a);
        for (size_t j = 0; code == EXIT_OK && j < n_out + n_in; j++) {
            const struct named *o = j < n_out ? &outs[j] : &ins[j - n_out];

            if (j <= i || o->path == NULL)
                continue;
            ident_of(o->path, &b);
            /* An input is only ever a file: its entry names what it reads. */
            if (j >= n_out)
                b.entry = 0;
            if (same(&a, &b))
                code = usage_error(cmd, "%s and %s are the same file", label(&outs[i], x),
                                   label(o, y));
            free(b.base);
        }
        free(a.base);
    }
    return code;
}

const char *keyref_file(const char *ref)
{
    if (ref == NULL || strncmp(ref, "awskms://", 9) == 0)
        return NULL;
    return strncmp(ref, "file:", 5) == 0 ? ref + 5 : ref;
}
