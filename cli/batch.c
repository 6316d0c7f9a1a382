/* Batch mode: many inputs, each made into one output in DIR, by -j workers.
 *
 * Keys are loaded once and shared (keys may be used from many threads at
 * once, each with its own context: include/envelope.h); each worker has its
 * own context, hence its own KMS connection, and its own options.
 *
 * A worker makes input k's output under a hidden name of its own in DIR
 * (".envelope-PID-K.tmp"): the library writes it unnamed (or under a
 * temporary name it removes on failure), flushes it and only then gives it
 * that name, without flushing DIR. Outputs are then placed IN INPUT ORDER,
 * whatever the order the workers finish in: whichever worker completes the
 * run of finished inputs places each one of it (names checked, moved into
 * place without replacing a file unless --force, reported), under one
 * lock, and so the outcome never depends on timing. A name placed for an
 * earlier input is refused to a later one, --force or not. DIR is flushed
 * once, after the last output: each file, then the renames, then the
 * directory.
 *
 * A signal cancels every worker's context and wakes each worker from a
 * blocking read (signals.c); the outputs not yet placed are removed before
 * the process dies of the signal. */
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

struct job {
    const char *path;
    char *tmp;       /* the hidden name in DIR, relative to it */
    int made;        /* tmp exists: the library made the output */
    char *name;      /* the output's name in DIR */
    envelope_rc rc;
    char *detail;    /* the failure's detail, copied from the worker */
    const char *warning; /* the success's warning, if any (static text) */
    uint64_t bytes;  /* the input's size, for the progress bar */
    int done;        /* the worker is through with it */
};

struct kept {
    dev_t dev;
    ino_t ino;
};

struct pool {
    struct batch *b;
    struct job *jobs;
    size_t next;     /* the next input to hand out */
    size_t placed;   /* inputs before this one are placed and reported */
    pthread_mutex_t lock;
    unsigned running; /* workers not yet out of worker_main */
    pthread_cond_t all_out; /* running reached 0 */
    int dir_fd;
    const char *slash; /* between DIR and a name: "" when DIR ends in one */
    int json;
    size_t ok, failed;
    int worst;       /* the highest per-input exit code */
    struct hsearch_data names; /* names placed in this run */
    struct kept *kept; /* files no output may replace: inputs and keys */
    size_t n_kept;
    uint64_t bytes_done, bytes_total;
    struct progress bar;
};

struct worker {
    struct pool *pool;
    envelope_ctx *ctx;
    void *state;
};

/* ------------------------------------------------------------- a worker */

/* Opens the input: a regular file, or anything that reads like one (a
 * FIFO); a directory is refused. */
static envelope_rc open_in(struct job *j, struct batch_input *in)
{
    struct stat st;
    int err;

    if ((in->fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
        err = errno;
        snprintf(in->why, sizeof(in->why), "%s", strerror(err));
        return err == EINTR && signals_caught() ? ENVELOPE_E_CANCELLED : ENVELOPE_E_IO;
    }
    if (fstat(in->fd, &st) != 0)
        return ENVELOPE_OK; /* the read says what is wrong */
    if (S_ISDIR(st.st_mode)) {
        snprintf(in->why, sizeof(in->why), "is a directory");
        return ENVELOPE_E_IO;
    }
    if (S_ISREG(st.st_mode))
        j->bytes = (uint64_t)st.st_size;
    return ENVELOPE_OK;
}

static void process(struct worker *w, struct job *j)
{
    struct pool *p = w->pool;
    struct batch_input in = {.path = j->path, .fd = -1};
    char *tmp = NULL;

    if (asprintf(&tmp, "%s%s%s", p->b->dir, p->slash, j->tmp) < 0) {
        j->rc = ENVELOPE_E_NOMEM;
        j->detail = strdup("out of memory");
        return;
    }
    in.tmp = tmp;
    if ((j->rc = open_in(j, &in)) == ENVELOPE_OK)
        j->rc = p->b->run(w->state, w->ctx, &in);
    if (in.fd >= 0)
        close(in.fd);
    free(tmp);
    if (j->rc == ENVELOPE_OK) {
        j->made = 1;
        j->name = in.name;
        j->warning = in.warning;
        return;
    }
    free(in.name);
    j->detail = strdup(in.why[0] ? in.why : envelope_ctx_detail(w->ctx));
}

static void place_ready(struct pool *p);

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *p = w->pool;
    size_t k;

    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (signals_caught() || p->next == p->b->n) {
            if (--p->running == 0)
                pthread_cond_signal(&p->all_out);
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        k = p->next++;
        pthread_mutex_unlock(&p->lock);
        process(w, &p->jobs[k]);
        pthread_mutex_lock(&p->lock);
        p->jobs[k].done = 1;
        place_ready(p);
        pthread_mutex_unlock(&p->lock);
    }
}

/* ------------------------------------------- placing, in input order */

/* A name an envelope gives is the library's to check (docs/FORMAT.md,
 * "Inner archive"); this is the last word on what may be made in DIR: one plain,
 * visible component. */
static const char *name_refused(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return "is empty";
    if (strchr(name, '/'))
        return "holds a '/'";
    if (name[0] == '.')
        return "starts with '.'";
    if (strlen(name) > 255)
        return "is longer than 255 bytes";
    return NULL;
}

/* The output would replace an input or a key of this run. */
static int is_kept(const struct pool *p, const char *name)
{
    struct stat st;

    /* A link there is replaced, not what it points to. */
    if (fstatat(p->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return 0;
    for (size_t i = 0; i < p->n_kept; i++)
        if (p->kept[i].dev == st.st_dev && p->kept[i].ino == st.st_ino)
            return 1;
    return 0;
}

static int placed_before(struct pool *p, const char *name)
{
    ENTRY e = {.key = (char *)name}, *found = NULL;

    return hsearch_r(e, FIND, &found, &p->names) != 0 && found != NULL;
}

/* Fails job j with rc and a detail of ours. */
static void refuse(struct job *j, envelope_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(struct job *j, envelope_rc rc, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    j->rc = rc;
    free(j->detail);
    j->detail = strdup(buf);
}

/* Gives the hidden output its name. Without --force an existing file is
 * never replaced: renameat2's RENAME_NOREPLACE in one step, or, where the
 * file system lacks it (NFS, CIFS, some FUSE), link() and the hidden name
 * removed later; with --force, rename() replaces atomically. */
static int move_into_place(struct pool *p, struct job *j)
{
    int r = p->b->force ? renameat(p->dir_fd, j->tmp, p->dir_fd, j->name)
                        : renameat2(p->dir_fd, j->tmp, p->dir_fd, j->name, RENAME_NOREPLACE);

    if (r == 0) {
        j->made = 0; /* renamed: tmp is gone */
        return 0;
    }
    if (p->b->force || (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP))
        return -1;
    return linkat(p->dir_fd, j->tmp, p->dir_fd, j->name, 0);
}

/* Gives job j's output its name: never replacing a file unless --force. */
static void place(struct pool *p, struct job *j, const char *out)
{
    ENTRY e = {.key = j->name}, *entered;
    const char *why = name_refused(j->name);

    if (why) {
        refuse(j, ENVELOPE_E_BAD_NAME, "the output's name '%s' %s", j->name, why);
        return;
    }
    if (placed_before(p, j->name)) {
        refuse(j, ENVELOPE_E_OUTPUT_EXISTS, "%s was made from an earlier input of this run",
               out);
        return;
    }
    if (is_kept(p, j->name)) {
        refuse(j, ENVELOPE_E_OUTPUT_EXISTS, "%s is an input or a key of this run", out);
        return;
    }
    if (move_into_place(p, j) != 0) {
        if (errno == EEXIST)
            refuse(j, ENVELOPE_E_OUTPUT_EXISTS, "%s: already exists; --force replaces it",
                   out);
        else
            refuse(j, ENVELOPE_E_IO, "%s: %s", out, strerror(errno));
        return;
    }
    if (hsearch_r(e, ENTER, &entered, &p->names) == 0)
        refuse(j, ENVELOPE_E_NOMEM, "%s: out of memory", out); /* placed, yet failed */
}

static void json_line(struct pool *p, const struct job *j, const char *out, int code)
{
    struct json_out o;
    const char *text;

    json_out_init(&o);
    json_out_begin_object(&o);
    json_out_member_uint(&o, "schema", 1);
    json_out_member_string(&o, "command", p->b->cmd);
    json_out_member_string(&o, "input", j->path);
    json_out_member_string(&o, "output", j->rc == ENVELOPE_OK ? out : NULL);
    json_out_key(&o, "ok");
    json_out_bool(&o, j->rc == ENVELOPE_OK);
    json_out_key(&o, "error");
    if (j->rc == ENVELOPE_OK) {
        json_out_null(&o);
    } else {
        json_out_begin_object(&o);
        json_out_member_string(&o, "code", envelope_rc_name(j->rc));
        json_out_key(&o, "exit");
        json_out_int(&o, code);
        json_out_member_string(&o, "detail", report_last());
        json_out_end_object(&o);
    }
    json_out_end_object(&o);
    if ((text = json_out_text(&o)) != NULL)
        printf("%s\n", text);
    fflush(stdout); /* a reader of the lines sees each as it comes */
    json_out_free(&o);
}

/* A reader of stdout or stderr that went away: the write raised SIGPIPE
 * in this worker, which blocks it (the main thread takes the signals), and
 * the batch would go on to its end unheard. It stops here, as on the
 * signal: the outputs not yet placed are removed, and the process dies of
 * it. */
static void stop_on_sigpipe(void)
{
    sigset_t pending;

    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
        signals_stop(SIGPIPE);
}

/* One line on stderr for the input, and one object with --json. */
static void tell(struct pool *p, struct job *j, const char *out)
{
    char a[SHOWN_MAX], b[SHOWN_MAX];
    int code = exit_code_for(j->rc);

    progress_done(&p->bar);
    if (j->rc != ENVELOPE_OK) {
        report_detail(j->rc, j->path, j->detail ? j->detail : "out of memory");
        p->failed++;
        if (code > p->worst)
            p->worst = code;
    } else {
        if (j->warning) /* even with --quiet, as for one input */
            fprintf(stderr, "envelope: warning: %s: %s\n", shown(j->path, a), j->warning);
        if (!cli_quiet)
            fprintf(stderr, "envelope: %s %s -> %s\n", p->b->verb, shown(j->path, a),
                    shown(out, b));
        p->ok++;
    }
    if (p->json)
        json_line(p, j, out, code);
    p->bytes_done += j->bytes;
    progress_files(&p->bar, p->ok + p->failed, p->b->n, p->bytes_done, p->bytes_total);
    stop_on_sigpipe();
}

/* Places and reports every finished input that follows the last placed
 * one; called with the lock held. After a signal nothing is placed: the
 * process is about to die of it, and the cleanup removes what was made. */
static void place_ready(struct pool *p)
{
    while (p->placed < p->b->n && p->jobs[p->placed].done && !signals_caught()) {
        struct job *j = &p->jobs[p->placed++];
        char *out = NULL;

        if (j->rc == ENVELOPE_OK && asprintf(&out, "%s%s%s", p->b->dir, p->slash, j->name) < 0) {
            out = NULL;
            refuse(j, ENVELOPE_E_NOMEM, "out of memory");
        }
        if (j->rc == ENVELOPE_OK)
            place(p, j, out);
        if (j->made && (j->rc != ENVELOPE_OK || !p->b->force)) {
            unlinkat(p->dir_fd, j->tmp, 0); /* linked into place, or refused */
            j->made = 0;
        }
        tell(p, j, out);
        free(out);
    }
}

/* --------------------------------------------------------- the whole run */

static unsigned workers_for(const struct batch *b)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = b->jobs ? b->jobs : online > 0 ? (unsigned)online : 1;

    if (n > BATCH_JOBS_MAX)
        n = BATCH_JOBS_MAX;
    return (size_t)n > b->n ? (unsigned)b->n : n;
}

/* Files that no output may replace, even with --force. */
static int keep(struct pool *p, const char *path)
{
    struct stat st;

    if (path == NULL || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return EXIT_OK;
    p->kept[p->n_kept].dev = st.st_dev;
    p->kept[p->n_kept++].ino = st.st_ino;
    return EXIT_OK;
}

static int pool_init(struct pool *p, struct batch *b)
{
    p->b = b;
    p->dir_fd = -1;
    p->slash = b->dir[strlen(b->dir) - 1] == '/' ? "" : "/";
    p->worst = EXIT_OK;
    if ((p->jobs = calloc(b->n, sizeof(*p->jobs))) == NULL ||
        (p->kept = calloc(b->n + b->n_keep, sizeof(*p->kept))) == NULL ||
        hcreate_r(b->n * 2 + 16, &p->names) == 0)
        return fail_with(EXIT_IO, "out of memory");
    if ((p->dir_fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return fail_with(EXIT_IO, "--out-dir %s: %s", b->dir, strerror(errno));
    for (size_t i = 0; i < b->n; i++) {
        p->jobs[i].path = b->inputs[i];
        if (asprintf(&p->jobs[i].tmp, ".envelope-%ld-%zu.tmp", (long)getpid(), i) < 0) {
            p->jobs[i].tmp = NULL;
            return fail_with(EXIT_IO, "out of memory");
        }
        keep(p, b->inputs[i]);
    }
    for (size_t i = 0; i < b->n_keep; i++)
        keep(p, b->keep[i]);
    for (size_t i = 0; i < b->n; i++) {
        struct stat st;

        if (stat(b->inputs[i], &st) == 0 && S_ISREG(st.st_mode))
            p->bytes_total += (uint64_t)st.st_size;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->all_out, NULL);
    return EXIT_OK;
}

/* What a signal or a failure left: every output not placed. */
static void pool_free(struct pool *p)
{
    for (size_t i = 0; p->jobs && i < p->b->n; i++) {
        if (p->jobs[i].made)
            unlinkat(p->dir_fd, p->jobs[i].tmp, 0);
        free(p->jobs[i].tmp);
        free(p->jobs[i].name);
        free(p->jobs[i].detail);
    }
    if (p->jobs) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->all_out);
    }
    hdestroy_r(&p->names);
    if (p->dir_fd >= 0)
        close(p->dir_fd);
    free(p->jobs);
    free(p->kept);
}

static void handled(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGPIPE);
}

/* The workers run with the handled signals blocked: the main thread takes
 * them, cancels every context, and wakes the workers (signals.c). */
static int start_workers(struct pool *p, struct worker *w, pthread_t *threads,
                         envelope_ctx **ctxs, unsigned n, unsigned *started)
{
    sigset_t block, old;
    int code = EXIT_OK;

    handled(&block);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    p->running = n; /* before any worker can leave */
    for (*started = 0; *started < n; (*started)++) {
        ctxs[*started] = w[*started].ctx;
        if (pthread_create(&threads[*started], NULL, worker_main, &w[*started]) != 0) {
            code = fail_with(EXIT_IO, "cannot start worker %u of %u", *started + 1, n);
            break;
        }
    }
    signals_watch_batch(ctxs, threads, *started);
    if (code != EXIT_OK) { /* the started ones stop at once */
        pthread_mutex_lock(&p->lock);
        p->next = p->b->n;
        p->running -= n - *started;
        if (p->running == 0)
            pthread_cond_signal(&p->all_out);
        pthread_mutex_unlock(&p->lock);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return code;
}

/* Until every worker is out of worker_main. A signal meanwhile wakes each
 * by its thread id, which stays valid until it is joined: none may be
 * joined before the signals are no longer watched. */
static void wait_workers(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->running > 0)
        pthread_cond_wait(&p->all_out, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

static int make_workers(struct batch *b, struct pool *p, struct worker *w, unsigned n)
{
    int code = EXIT_OK;

    for (unsigned i = 0; code == EXIT_OK && i < n; i++) {
        w[i].pool = p;
        if (envelope_ctx_new(&w[i].ctx) != ENVELOPE_OK)
            return fail_with(EXIT_IO, "out of memory");
        code = b->worker_new(b->arg, &w[i].state);
    }
    return code;
}

/* Each file was flushed before it got its name; now the names. */
static int sync_dir(struct pool *p)
{
    if (p->ok == 0 || fsync(p->dir_fd) == 0 || errno == EINVAL)
        return EXIT_OK;
    return fail_with(EXIT_IO, "--out-dir %s: flushing the directory: %s", p->b->dir,
                     strerror(errno));
}

static void summary(struct pool *p)
{
    char dir[SHOWN_MAX];
    struct json_out o;

    json_out_init(&o);
    json_out_begin_object(&o);
    json_out_member_uint(&o, "schema", 1);
    json_out_key(&o, "summary");
    json_out_begin_object(&o);
    json_out_member_uint(&o, "ok", p->ok);
    json_out_member_uint(&o, "failed", p->failed);
    json_out_end_object(&o);
    json_out_end_object(&o);
    if (p->json && json_out_text(&o) != NULL)
        printf("%s\n", json_out_text(&o));
    json_out_free(&o);
    if (!cli_quiet || p->failed)
        fprintf(stderr, "envelope: %s %zu of %zu input%s into %s, %zu failed\n", p->b->verb,
                p->ok, p->b->n, p->b->n == 1 ? "" : "s", shown(p->b->dir, dir), p->failed);
}

int batch_run(struct batch *b)
{
    struct pool p = {0};
    struct worker w[BATCH_JOBS_MAX] = {{0}};
    pthread_t threads[BATCH_JOBS_MAX];
    envelope_ctx *ctxs[BATCH_JOBS_MAX];
    unsigned n = workers_for(b), started = 0;
    int code, sync;
    sigset_t block, old;

    p.json = json_take_over();
    if ((code = pool_init(&p, b)) == EXIT_OK && (code = make_workers(b, &p, w, n)) == EXIT_OK) {
        progress_init(&p.bar, strcmp(b->cmd, "seal") == 0 ? "sealing" : "opening");
        code = start_workers(&p, w, threads, ctxs, n, &started);
    }
    if (started > 0)
        wait_workers(&p);
    /* A signal from now on waits until what was made is removed. */
    handled(&block);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    signals_watch_batch(NULL, NULL, 0);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (started > 0 && !signals_caught()) {
        progress_done(&p.bar);
        sync = sync_dir(&p);
        summary(&p);
        code = code > p.worst ? code : p.worst;
        code = sync > code ? sync : code;
    } else if (signals_caught()) {
        code = EXIT_IO; /* the process dies of the signal: signals_finish */
    }
    for (unsigned i = 0; i < n; i++) {
        if (w[i].state)
            b->worker_free(w[i].state);
        envelope_ctx_free(w[i].ctx);
    }
    pool_free(&p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return code;
}
