/* Fault injection: outputs that cannot be written, inputs that end early,
 * and (under failalloc.so) every allocation of a seal (also through the
 * incremental sealer, of a known and an unknown size), an open and a key
 * load failing in turn. Each case asserts the exact error, that no output
 * and no temporary file is left, and that no detail text carries a secret
 * this program knows: the passphrase, the message, the private keys, and
 * the data and payload keys of the envelope it opens.
 *
 *   faults io KEYS_DIR SCRATCH_DIR
 *   faults alloc KEYS_DIR SCRATCH_DIR [STRIDE]   (LD_PRELOAD=failalloc.so)
 *
 * STRIDE n > 1 fails only every n-th allocation (for the valgrind run).
 * Ends with "N passed, N failed". */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envelope.h"
#include "faults_secrets.h"

#define PASSPHRASE "correct horse battery staple"
#define KEY_LOAD_STRIDE 47
#define WRONG_PASSPHRASE "wrong-passphrase-Zq9Xv"

static int passed, failed;
static const char *keys_dir;
static char scratch[2048], out_dir[4096], tmp_dir[4096];

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        passed++;
        return;
    }
    failed++;
    fputs("FAIL: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void die(const char *what)
{
    fprintf(stderr, "faults: %s: %s\n", what, strerror(errno));
    exit(2);
}

static const char *path_in(const char *dir, const char *name)
{
    static char buf[4][4096];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
    return buf[i];
}

/* Entries in dir, "." and ".." aside; removes them when clear is set. */
static int entries(const char *dir, int clear)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        die(dir);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (clear)
            unlink(path_in(dir, e->d_name));
    }
    closedir(d);
    return n;
}

/* Nothing may be left behind by a failure: no output, no temporary file
 * beside it, none under $TMPDIR. */
static void check_nothing_left(const char *what)
{
    int out = entries(out_dir, 1), tmp = entries(tmp_dir, 1);

    check(out == 0 && tmp == 0, "%s: left %d file(s) in the output directory, %d in TMPDIR",
          what, out, tmp);
}

static void check_rc(envelope_rc got, envelope_rc want, envelope_ctx *ctx, const char *what)
{
    check(got == want, "%s: got %s (%s), want %s", what, envelope_rc_name(got),
          envelope_ctx_detail(ctx), envelope_rc_name(want));
    check(secrets_absent(envelope_ctx_detail(ctx)), "%s: the detail text holds a secret: %s",
          what, envelope_ctx_detail(ctx));
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
        die(path);
    rewind(f);
    if ((p = malloc((size_t)n + 1)) == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
        die(path);
    p[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        die(path);
}

static int pass_cb(void *arg, char *buf, size_t size)
{
    const char *pass = arg;
    size_t n = strlen(pass);

    if (n > size)
        return -1;
    memcpy(buf, pass, n);
    return (int)n;
}

static envelope_key *key(envelope_ctx *ctx, const char *name)
{
    envelope_key *k = NULL;

    if (envelope_key_load(ctx, path_in(keys_dir, name), pass_cb, (void *)PASSPHRASE, &k) !=
        ENVELOPE_OK) {
        fprintf(stderr, "faults: %s: %s\n", name, envelope_ctx_detail(ctx));
        exit(2);
    }
    return k;
}

/* ---------------------------------------------------------------- fixture */

struct fixture {
    envelope_ctx *ctx;
    envelope_key *signer, *alice, *alice_pub;
    envelope_seal_opts *seal;
    envelope_open_opts *open;
    uint8_t msg[300];
    const char *msg_path, *env_path, *big_env_path;
    uint8_t *env; /* the envelope at env_path */
    size_t env_len, big_env_len;
};

static void make_dirs(const char *base)
{
    if (strlen(base) >= sizeof(scratch)) {
        fprintf(stderr, "faults: %s: path too long\n", base);
        exit(2);
    }
    snprintf(scratch, sizeof(scratch), "%s", base);
    snprintf(out_dir, sizeof(out_dir), "%s/out", base);
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/tmp", base);
    mkdir(scratch, 0700);
    if ((mkdir(out_dir, 0700) != 0 && errno != EEXIST) ||
        (mkdir(tmp_dir, 0700) != 0 && errno != EEXIST))
        die(scratch);
    entries(out_dir, 1);
    entries(tmp_dir, 1);
    setenv("TMPDIR", tmp_dir, 1);
}

static void seal_to(struct fixture *f, const uint8_t *msg, size_t n, const char *path,
                    size_t *len)
{
    uint8_t *env;

    if (envelope_seal_mem(f->ctx, f->seal, msg, n, &env, len) != ENVELOPE_OK) {
        fprintf(stderr, "faults: seal: %s\n", envelope_ctx_detail(f->ctx));
        exit(2);
    }
    spit(path, env, *len);
    envelope_free(env);
}

static void setup(struct fixture *f)
{
    static char msg_path[4096], env_path[4096], big_path[4096];
    uint8_t *big;

    memset(f, 0, sizeof(*f));
    if (envelope_ctx_new(&f->ctx) != ENVELOPE_OK)
        exit(2);
    f->signer = key(f->ctx, "signer.pem");
    f->alice = key(f->ctx, "alice-encrypted.pem");
    f->alice_pub = key(f->ctx, "alice.pub");
    for (size_t i = 0; i < sizeof(f->msg); i++)
        f->msg[i] = (uint8_t)"SECRET-PLAINTEXT-"[i % 17];
    if (envelope_seal_opts_new(&f->seal) != ENVELOPE_OK ||
        envelope_seal_opts_set_sign_key(f->seal, f->signer) != ENVELOPE_OK ||
        envelope_seal_opts_add_recipient(f->seal, f->alice_pub) != ENVELOPE_OK ||
        envelope_seal_opts_set_name(f->seal, "secret.txt") != ENVELOPE_OK ||
        envelope_open_opts_new(&f->open) != ENVELOPE_OK ||
        envelope_open_opts_set_decrypt_key(f->open, f->alice) != ENVELOPE_OK ||
        envelope_open_opts_add_trusted_key(f->open, f->signer) != ENVELOPE_OK)
        exit(2);
    snprintf(msg_path, sizeof(msg_path), "%s/message", scratch);
    snprintf(env_path, sizeof(env_path), "%s/message.env", scratch);
    snprintf(big_path, sizeof(big_path), "%s/big.env", scratch);
    f->msg_path = msg_path;
    f->env_path = env_path;
    f->big_env_path = big_path;
    spit(msg_path, f->msg, sizeof(f->msg));
    seal_to(f, f->msg, sizeof(f->msg), env_path, &f->env_len);
    /* Two chunks, to cut between them. */
    if ((big = calloc(1, 70000)) == NULL)
        exit(2);
    memcpy(big, f->msg, sizeof(f->msg));
    seal_to(f, big, 70000, big_path, &f->big_env_len);
    free(big);
    secrets_learn(keys_dir, PASSPHRASE, WRONG_PASSPHRASE, f->msg, sizeof(f->msg), env_path);
    f->env = slurp(env_path, &f->env_len);
}

static void teardown(struct fixture *f)
{
    envelope_seal_opts_free(f->seal);
    envelope_open_opts_free(f->open);
    envelope_key_free(f->signer);
    envelope_key_free(f->alice);
    envelope_key_free(f->alice_pub);
    envelope_ctx_free(f->ctx);
    free(f->env);
    secrets_forget();
}

/* 1 if path holds exactly the fixture's message. */
static int holds_message(const struct fixture *f, const char *path)
{
    size_t n;
    uint8_t *p = slurp(path, &n);
    int same = n == sizeof(f->msg) && memcmp(p, f->msg, n) == 0;

    free(p);
    return same;
}

/* 1 if env (a file) opens to the fixture's message, checked without faults. */
static int opens_to_message(struct fixture *f, const char *env_path)
{
    size_t n, len;
    uint8_t *env = slurp(env_path, &n), *out = NULL;
    envelope_rc rc = envelope_open_mem(f->ctx, f->open, env, n, &out, &len, NULL);
    int ok = rc == ENVELOPE_OK && len == sizeof(f->msg) && memcmp(out, f->msg, len) == 0;

    if (!ok)
        printf("%s does not open to the message: %s (%s)\n", env_path, envelope_rc_name(rc),
               envelope_ctx_detail(f->ctx));

    envelope_free_secret(out, len);
    free(env);
    return ok;
}

/* ------------------------------------------------------------------ io */

static int open_fd(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);

    if (fd < 0)
        die(path);
    return fd;
}

static void devfull(struct fixture *f)
{
    int full = open_fd("/dev/full", O_WRONLY), in;
    envelope_result *r = (envelope_result *)1;

    in = open_fd(f->msg_path, O_RDONLY);
    check_rc(envelope_seal_fd(f->ctx, f->seal, in, full), ENVELOPE_E_IO, f->ctx,
             "seal_fd to /dev/full");
    close(in);
    check_nothing_left("seal_fd to /dev/full");
    in = open_fd(f->env_path, O_RDONLY);
    check_rc(envelope_open_fd(f->ctx, f->open, in, full, &r), ENVELOPE_E_IO, f->ctx,
             "open_fd to /dev/full");
    check(r == NULL, "open_fd to /dev/full: a result was handed out");
    close(in);
    check_nothing_left("open_fd to /dev/full");
    close(full);
}

static int failing_write(void *arg, const uint8_t *buf, size_t len)
{
    (void)arg, (void)buf, (void)len;
    errno = ENOSPC;
    return -1;
}

struct short_reader {
    const uint8_t *p;
    size_t left;
};

static ssize_t short_read(void *arg, uint8_t *buf, size_t len)
{
    struct short_reader *s = arg;
    size_t n = len < s->left ? len : s->left;

    memcpy(buf, s->p, n);
    s->p += n;
    s->left -= n;
    return (ssize_t)n;
}

static ssize_t failing_read(void *arg, uint8_t *buf, size_t len)
{
    (void)arg, (void)buf, (void)len;
    errno = EIO;
    return -1;
}

static void callbacks(struct fixture *f)
{
    size_t n;
    uint8_t *env = slurp(f->env_path, &n);
    struct short_reader in = {env, n}, msg = {f->msg, sizeof(f->msg)};
    envelope_result *r = (envelope_result *)1;

    check_rc(envelope_open_cb(f->ctx, f->open, short_read, &in, failing_write, NULL, &r),
             ENVELOPE_E_IO, f->ctx, "open_cb, write fails");
    check(r == NULL, "open_cb, write fails: a result was handed out");
    check_rc(envelope_open_cb(f->ctx, f->open, failing_read, NULL, failing_write, NULL, &r),
             ENVELOPE_E_IO, f->ctx, "open_cb, read fails");
    check_rc(envelope_seal_cb(f->ctx, f->seal, sizeof(f->msg), short_read, &msg, failing_write,
                              NULL),
             ENVELOPE_E_IO, f->ctx, "seal_cb, write fails");
    msg.p = f->msg;
    msg.left = sizeof(f->msg) / 2;
    check_rc(envelope_seal_cb(f->ctx, f->seal, sizeof(f->msg), short_read, &msg, failing_write,
                              NULL),
             ENVELOPE_E_IO, f->ctx, "seal_cb, input shorter than stated");
    check_rc(envelope_seal_cb(f->ctx, f->seal, sizeof(f->msg), failing_read, NULL,
                              failing_write, NULL),
             ENVELOPE_E_IO, f->ctx, "seal_cb, read fails");
    check_nothing_left("callbacks");
    free(env);
}

/* A directory as input: reading it fails (EISDIR) after the output file
 * has been started. */
static void unreadable_input(struct fixture *f)
{
    int in = open_fd(scratch, O_RDONLY | O_DIRECTORY);
    envelope_result *r = (envelope_result *)1;

    check_rc(envelope_seal_file(f->ctx, f->seal, in, path_in(out_dir, "env"), 0),
             ENVELOPE_E_IO, f->ctx, "seal_file from an unreadable input");
    check_nothing_left("seal_file from an unreadable input");
    check_rc(envelope_open_file(f->ctx, f->open, in, path_in(out_dir, "msg"), 0, &r),
             ENVELOPE_E_IO, f->ctx, "open_file from an unreadable input");
    check(r == NULL, "open_file from an unreadable input: a result was handed out");
    check_nothing_left("open_file from an unreadable input");
    close(in);
}

/* A pipe whose writer sends the first cut bytes, then closes it. */
static int pipe_of(const uint8_t *p, size_t cut)
{
    int fds[2];
    pid_t pid;

    if (pipe(fds) != 0)
        die("pipe");
    if ((pid = fork()) < 0)
        die("fork");
    if (pid == 0) {
        close(fds[0]);
        while (cut > 0) {
            ssize_t w = write(fds[1], p, cut);

            if (w <= 0)
                _exit(1);
            p += w;
            cut -= (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    return fds[0];
}

static void cut_at(struct fixture *f, const uint8_t *env, size_t cut, envelope_rc want,
                   const char *what)
{
    int in = pipe_of(env, cut), status;
    envelope_result *r = (envelope_result *)1;
    char label[160];

    snprintf(label, sizeof(label), "pipe closed after %zu bytes (%s)", cut, what);
    check_rc(envelope_open_file(f->ctx, f->open, in, path_in(out_dir, "msg"), 0, &r), want,
             f->ctx, label);
    if (want == ENVELOPE_OK) {
        check(r != NULL && holds_message(f, path_in(out_dir, "msg")), "%s: wrong output",
              label);
        envelope_result_free(r);
        entries(out_dir, 1);
    } else {
        check(r == NULL, "%s: a result was handed out", label);
        check_nothing_left(label);
    }
    close(in);
    wait(&status);
}

static void truncated_pipes(struct fixture *f)
{
    size_t n, big_n, hlen;
    uint8_t *env = slurp(f->env_path, &n), *big = slurp(f->big_env_path, &big_n);

    hlen = ((size_t)env[12] << 24) | ((size_t)env[13] << 16) | ((size_t)env[14] << 8) | env[15];
    cut_at(f, env, 0, ENVELOPE_E_NOT_ENVELOPE, "empty");
    cut_at(f, env, 5, ENVELOPE_E_TRUNCATED, "inside the magic");
    cut_at(f, env, 12, ENVELOPE_E_TRUNCATED, "inside the fixed fields");
    cut_at(f, env, hlen - 1, ENVELOPE_E_TRUNCATED, "inside the header");
    cut_at(f, env, hlen, ENVELOPE_E_TRUNCATED, "right after the header");
    cut_at(f, env, hlen + 10, ENVELOPE_E_TRUNCATED, "inside the tag-sized start");
    /* Inside the only chunk: it opens neither as final nor as not final,
     * which FORMAT.md, "Payload: STREAM" calls tampering. */
    cut_at(f, env, hlen + 1000, ENVELOPE_E_TAMPERED, "inside the final chunk");
    cut_at(f, env, n - 1, ENVELOPE_E_TAMPERED, "one byte short");
    cut_at(f, big, hlen + 65552, ENVELOPE_E_TRUNCATED, "after the first of two chunks");
    cut_at(f, big, hlen + 65552 + 1, ENVELOPE_E_TRUNCATED, "one byte into the second chunk");
    cut_at(f, big, hlen + 65552 + 100, ENVELOPE_E_TAMPERED, "inside the second chunk");
    cut_at(f, env, n, ENVELOPE_OK, "whole");
    free(env);
    free(big);
}

static void passphrases(struct fixture *f)
{
    envelope_key *k = NULL;
    envelope_rc rc;

    rc = envelope_key_load(f->ctx, path_in(keys_dir, "alice-encrypted.pem"), pass_cb,
                           (void *)WRONG_PASSPHRASE, &k);
    check_rc(rc, ENVELOPE_E_KEY_PASSPHRASE, f->ctx, "wrong passphrase");
    check(k == NULL, "wrong passphrase: a key was handed out");
    rc = envelope_key_load(f->ctx, path_in(keys_dir, "alice-encrypted.pem"), NULL, NULL, &k);
    check_rc(rc, ENVELOPE_E_KEY_PASSPHRASE, f->ctx, "no passphrase");
    envelope_key_free(k);
}

/* A compat envelope has no creation time: with a maximum age set, opening
 * it must fail (it once opened, the limit silently dropped). */
static void compat_max_age(struct fixture *f)
{
    envelope_key *dave = key(f->ctx, "dave.pem"), *dave_pub = key(f->ctx, "dave.pub");
    envelope_seal_opts *so = NULL;
    envelope_open_opts *oo = NULL;
    uint8_t *env = NULL, *out = NULL;
    size_t env_len = 0, out_len = 0;
    envelope_rc rc;

    if (envelope_seal_opts_new(&so) != ENVELOPE_OK ||
        envelope_seal_opts_set_sign_key(so, f->signer) != ENVELOPE_OK ||
        envelope_seal_opts_add_recipient(so, dave_pub) != ENVELOPE_OK ||
        envelope_seal_opts_set_format(so, ENVELOPE_FORMAT_COMPAT) != ENVELOPE_OK ||
        envelope_seal_mem(f->ctx, so, (const uint8_t *)"{}", 2, &env, &env_len) != ENVELOPE_OK ||
        envelope_open_opts_new(&oo) != ENVELOPE_OK ||
        envelope_open_opts_set_decrypt_key(oo, dave) != ENVELOPE_OK ||
        envelope_open_opts_add_trusted_key(oo, f->signer) != ENVELOPE_OK) {
        fprintf(stderr, "faults: compat set-up: %s\n", envelope_ctx_detail(f->ctx));
        exit(2);
    }
    check_rc(envelope_open_opts_set_allow_compat(oo, 1), ENVELOPE_OK, f->ctx, "open options");
    rc = envelope_open_mem(f->ctx, oo, env, env_len, &out, &out_len, NULL);
    check_rc(rc, ENVELOPE_OK, f->ctx, "compat, no maximum age");
    envelope_free_secret(out, out_len);
    check_rc(envelope_open_opts_set_max_age(oo, 86400), ENVELOPE_OK, f->ctx, "open options");
    out = (uint8_t *)1;
    rc = envelope_open_mem(f->ctx, oo, env, env_len, &out, &out_len, NULL);
    check_rc(rc, ENVELOPE_E_TOO_OLD, f->ctx, "compat with a maximum age");
    check(out == NULL, "compat with a maximum age: a message was handed out");
    envelope_free(env);
    envelope_seal_opts_free(so);
    envelope_open_opts_free(oo);
    envelope_key_free(dave);
    envelope_key_free(dave_pub);
}

static void run_io(struct fixture *f)
{
    devfull(f);
    callbacks(f);
    unreadable_input(f);
    truncated_pipes(f);
    passphrases(f);
    compat_max_age(f);
}

/* ---------------------------------------------------------------- alloc */

static void (*fa_arm)(long);
static long (*fa_disarm)(void);
static int (*fa_hit)(void);

/* What an allocation failure may be reported as, per operation. */
struct outcome_table {
    int count[64];
};

static void tally(struct outcome_table *t, envelope_rc rc)
{
    t->count[(unsigned)rc < 64 ? rc : 63]++;
}

static void report(const char *op, const struct outcome_table *t, long runs)
{
    printf("%s: %ld runs;", op, runs);
    for (int i = 0; i < 64; i++)
        if (t->count[i])
            printf(" %s %d", envelope_rc_name((envelope_rc)i), t->count[i]);
    putchar('\n');
}

static int allowed(envelope_rc rc, const envelope_rc *ok)
{
    for (; *ok != ENVELOPE_OK; ok++)
        if (rc == *ok)
            return 1;
    return 0;
}

typedef envelope_rc (*op_fn)(struct fixture *f, int *out_ok);

static envelope_rc op_seal_file(struct fixture *f, int *out_ok)
{
    int in = open_fd(f->msg_path, O_RDONLY);
    const char *out = path_in(out_dir, "env");
    envelope_rc rc = envelope_seal_file(f->ctx, f->seal, in, out, 0);

    close(in);
    *out_ok = 1; /* a failure is checked by the caller: nothing left */
    if (rc == ENVELOPE_OK) {
        fa_disarm();
        *out_ok = opens_to_message(f, out);
    }
    return rc;
}

/* The sealer's output, kept where no allocation can fail. */
struct sealed {
    uint8_t p[8192];
    size_t len;
};

static int sealed_write(void *arg, const uint8_t *buf, size_t n)
{
    struct sealed *s = arg;

    if (n > sizeof(s->p) - s->len)
        return -1;
    memcpy(s->p + s->len, buf, n);
    s->len += n;
    return 0;
}

/* The message in two pieces. Whatever the sealer wrote before failing
 * must not open: it is not an envelope. Opened in a context of its own,
 * which keeps the sealer's detail for the checks that follow. */
static envelope_rc op_sealer(struct fixture *f, uint64_t size, int *out_ok)
{
    static struct sealed out;
    envelope_sealer *s = NULL;
    envelope_ctx *octx = NULL;
    uint8_t *msg = NULL;
    size_t len = 0;
    envelope_rc rc, opened;

    out.len = 0;
    if ((rc = envelope_sealer_new(f->ctx, f->seal, size, sealed_write, &out, &s)) ==
            ENVELOPE_OK &&
        (rc = envelope_sealer_update(s, f->msg, 100)) == ENVELOPE_OK &&
        (rc = envelope_sealer_update(s, f->msg + 100, sizeof(f->msg) - 100)) == ENVELOPE_OK)
        rc = envelope_sealer_final(s);
    envelope_sealer_free(s);
    fa_disarm();
    if (envelope_ctx_new(&octx) != ENVELOPE_OK)
        die("context");
    opened = envelope_open_mem(octx, f->open, out.p, out.len, &msg, &len, NULL);
    if (rc == ENVELOPE_OK)
        *out_ok = opened == ENVELOPE_OK && len == sizeof(f->msg) &&
                  memcmp(msg, f->msg, len) == 0;
    else
        *out_ok = opened != ENVELOPE_OK;
    envelope_free_secret(msg, len);
    envelope_ctx_free(octx);
    return rc;
}

static envelope_rc op_sealer_known(struct fixture *f, int *out_ok)
{
    return op_sealer(f, sizeof(f->msg), out_ok);
}

static envelope_rc op_sealer_unknown(struct fixture *f, int *out_ok)
{
    return op_sealer(f, ENVELOPE_SIZE_UNKNOWN, out_ok);
}

static envelope_rc op_open_file(struct fixture *f, int *out_ok)
{
    int in = open_fd(f->env_path, O_RDONLY);
    const char *out = path_in(out_dir, "msg");
    envelope_result *r = (envelope_result *)1;
    envelope_rc rc = envelope_open_file(f->ctx, f->open, in, out, 0, &r);

    close(in);
    if (rc == ENVELOPE_OK) {
        fa_disarm();
        *out_ok = r != NULL && holds_message(f, out) &&
                  strcmp(envelope_result_name(r), "secret.txt") == 0;
    } else {
        *out_ok = r == NULL;
    }
    envelope_result_free(r);
    return rc;
}

static envelope_rc op_open_mem(struct fixture *f, int *out_ok)
{
    size_t len = 1;
    uint8_t *out = (uint8_t *)1;
    envelope_rc rc = envelope_open_mem(f->ctx, f->open, f->env, f->env_len, &out, &len, NULL);

    if (rc == ENVELOPE_OK)
        *out_ok = len == sizeof(f->msg) && memcmp(out, f->msg, len) == 0;
    else
        *out_ok = out == NULL && len == 0;
    if (rc == ENVELOPE_OK)
        envelope_free_secret(out, len);
    return rc;
}

static envelope_rc op_key_load(struct fixture *f, int *out_ok)
{
    envelope_key *k = (envelope_key *)1;
    envelope_rc rc = envelope_key_load(f->ctx, path_in(keys_dir, "alice-encrypted.pem"),
                                       pass_cb, (void *)PASSPHRASE, &k);

    *out_ok = rc == ENVELOPE_OK ? k != NULL && envelope_key_is_private(k) : k == NULL;
    if (rc == ENVELOPE_OK)
        envelope_key_free(k);
    return rc;
}

/* What one run with allocation n failing gave, sent from the child. */
struct record {
    envelope_rc rc;
    int hit, passed, failed;
};

/* The child: fails allocation n of op, checks what came of it. */
static void child_run(struct fixture *f, const char *name, op_fn op, const envelope_rc *ok,
                      long n, int fd)
{
    struct record rec = {0};
    int out_ok = 0;

    passed = failed = 0;
    fa_arm(n);
    rec.rc = op(f, &out_ok);
    rec.hit = fa_hit();
    fa_disarm();
    check(out_ok, "%s, allocation %ld fails: %s, with a wrong output", name, n,
          envelope_rc_name(rec.rc));
    if (rec.rc != ENVELOPE_OK) {
        check(rec.hit, "%s: %s without a failed allocation (%s)", name,
              envelope_rc_name(rec.rc), envelope_ctx_detail(f->ctx));
        check(allowed(rec.rc, ok), "%s, allocation %ld fails: %s (%s) is not a documented "
              "outcome of running out of memory", name, n, envelope_rc_name(rec.rc),
              envelope_ctx_detail(f->ctx));
        check(secrets_absent(envelope_ctx_detail(f->ctx)),
              "%s, allocation %ld fails: the detail holds a secret: %s", name, n,
              envelope_ctx_detail(f->ctx));
        check_nothing_left(name);
    } else {
        entries(out_dir, 1);
        check(entries(tmp_dir, 1) == 0, "%s: a file left in TMPDIR", name);
    }
    rec.passed = passed;
    rec.failed = failed;
    if (write(fd, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
        _exit(3);
    teardown(f);
    exit(0); /* exit, not _exit: valgrind checks for leaks here */
}

/* Known failures of dependencies under out of memory, which the library
 * cannot catch: libarchive exits the process (archive_string.c calls
 * __archive_errx), and json-c's parser passes the result of a failed
 * strdup() of an object key on as a key (json_tokener_parse_ex). A child
 * that died so is told apart by its stderr: libarchive's message, or the
 * stack failalloc.so wrote at the failed call. 0 if it is none of them. */
enum death { DEATH_OURS, DEATH_LIBARCHIVE_EXIT, DEATH_JSONC_STRDUP };

static enum death known_death(const char *err_path, int status)
{
    size_t n;
    uint8_t *err = slurp(err_path, &n);
    const char *trace = strstr((char *)err, "failalloc: this allocation fails:");
    enum death d = DEATH_OURS;

    if (WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
        strstr((char *)err, "Fatal Internal Error in libarchive") != NULL)
        d = DEATH_LIBARCHIVE_EXIT;
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV && trace != NULL &&
             strstr(trace, "strdup") != NULL && strstr(trace, "json_tokener_parse_ex") != NULL)
        d = DEATH_JSONC_STRDUP;
    free(err);
    return d;
}

static void show(const char *path)
{
    size_t n;
    uint8_t *p = slurp(path, &n);

    fwrite(p, 1, n, stdout);
    free(p);
}

/* Runs op with allocation n failing in a child process, so that each run
 * starts from the same state and a dependency that exits takes only the
 * child. 1 if the child reached the fault. */
static int one_run(struct fixture *f, const char *name, op_fn op, const envelope_rc *ok, long n,
                   struct outcome_table *t, int exits[3])
{
    const char *err_path = path_in(scratch, "child.err");
    struct record rec;
    int fds[2], status, err;
    ssize_t got;
    pid_t pid;

    fflush(stdout);
    if (pipe(fds) != 0 || (pid = fork()) < 0)
        die("fork");
    if (pid == 0) {
        close(fds[0]);
        if ((err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
            dup2(err, 2) < 0)
            _exit(3);
        child_run(f, name, op, ok, n, fds[1]);
    }
    close(fds[1]);
    got = read(fds[0], &rec, sizeof(rec));
    close(fds[0]);
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    if (got != (ssize_t)sizeof(rec)) {
        enum death d = known_death(err_path, status);

        if (d != DEATH_OURS) {
            exits[d]++;
            check_nothing_left(name);
            return 1;
        }
        check(0, "%s, allocation %ld fails: the process died (status 0x%x)", name, n, status);
        show(err_path);
        return 0;
    }
    passed += rec.passed;
    failed += rec.failed;
    tally(t, rec.rc);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "%s, allocation %ld fails: exit status 0x%x", name, n, status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        show(err_path);
    return rec.hit;
}

/* Fails allocation 1, 2, 3, ... (every stride-th) of op until a run does
 * not reach the fault. Every failure must be one of ok[], leave nothing
 * behind and name no secret; a success despite a fault must give the
 * right output. */
static void alloc_loop(struct fixture *f, const char *name, op_fn op, const envelope_rc *ok,
                       long stride)
{
    struct outcome_table t = {{0}};
    int exits[3] = {0, 0, 0};
    long n, runs = 0;

    if (getenv("FAULTS_OPS") && strstr(getenv("FAULTS_OPS"), name) == NULL)
        return;
    if (getenv("FAULTS_ONLY")) { /* one run, in this process: for a debugger */
        int out_ok;

        fa_arm(atol(getenv("FAULTS_ONLY")));
        printf("%s: %s\n", name, envelope_rc_name(op(f, &out_ok)));
        fa_disarm();
        return;
    }
    for (n = 1;; n += stride) {
        runs++;
        if (!one_run(f, name, op, ok, n, &t, exits))
            break;
    }
    report(name, &t, runs);
    if (exits[DEATH_LIBARCHIVE_EXIT])
        printf("%s: libarchive exited the process in %d run(s) (known, not ours)\n", name,
               exits[DEATH_LIBARCHIVE_EXIT]);
    if (exits[DEATH_JSONC_STRDUP])
        printf("%s: json-c's parser crashed on a failed strdup in %d run(s) (known, not ours)\n",
               name, exits[DEATH_JSONC_STRDUP]);
}

static void run_alloc(struct fixture *f, long stride)
{
    /* Out of memory, open may also fail closed under the name of the check
     * it was in: OpenSSL, libarchive and json-c do not always say that
     * memory ran out, and unwrap and verify give one error for any failure
     * by design. It never succeeds with a wrong message. */
    static const envelope_rc seal_ok[] = {ENVELOPE_E_NOMEM, ENVELOPE_E_INTERNAL, ENVELOPE_E_IO,
                                          ENVELOPE_OK};
    static const envelope_rc open_ok[] = {
        ENVELOPE_E_NOMEM,       ENVELOPE_E_INTERNAL,    ENVELOPE_E_IO,
        ENVELOPE_E_NOT_RECIPIENT, ENVELOPE_E_BAD_ARCHIVE, ENVELOPE_E_UNTRUSTED_SIGNER,
        ENVELOPE_E_BAD_MANIFEST, ENVELOPE_OK};
    static const envelope_rc load_ok[] = {ENVELOPE_E_NOMEM, ENVELOPE_E_INTERNAL,
                                          ENVELOPE_E_KEY_LOAD, ENVELOPE_E_KEY_PASSPHRASE,
                                          ENVELOPE_E_KEY_TYPE, ENVELOPE_OK};

    fa_arm = (void (*)(long))dlsym(RTLD_DEFAULT, "failalloc_arm");
    fa_disarm = (long (*)(void))dlsym(RTLD_DEFAULT, "failalloc_disarm");
    fa_hit = (int (*)(void))dlsym(RTLD_DEFAULT, "failalloc_hit");
    if (!fa_arm || !fa_disarm || !fa_hit) {
        fprintf(stderr, "faults alloc: run with LD_PRELOAD=failalloc.so\n");
        exit(2);
    }
    /* Warm up: OpenSSL and libarchive set up their global tables once, at
     * first use, and a failure there is remembered for the process. */
    {
        int ok;

        op_seal_file(f, &ok);
        op_sealer_known(f, &ok);
        op_open_file(f, &ok);
        op_key_load(f, &ok);
        entries(out_dir, 1);
    }
    alloc_loop(f, "seal_file", op_seal_file, seal_ok, stride);
    alloc_loop(f, "sealer_known", op_sealer_known, seal_ok, stride);
    alloc_loop(f, "sealer_unknown", op_sealer_unknown, seal_ok, stride);
    alloc_loop(f, "open_file", op_open_file, open_ok, stride);
    alloc_loop(f, "open_mem", op_open_mem, open_ok, stride);
    /* Decoding an encrypted PEM tries OpenSSL's decoders in turn: some
     * 14000 allocations. Every KEY_LOAD_STRIDE-th is enough here. */
    alloc_loop(f, "key_load", op_key_load, load_ok, stride * KEY_LOAD_STRIDE);
}

int main(int argc, char **argv)
{
    struct fixture f;

    if (argc < 4 || (strcmp(argv[1], "io") != 0 && strcmp(argv[1], "alloc") != 0)) {
        fprintf(stderr, "usage: faults io|alloc KEYS_DIR SCRATCH_DIR [STRIDE]\n");
        return 2;
    }
    keys_dir = argv[2];
    make_dirs(argv[3]);
    setup(&f);
    if (strcmp(argv[1], "io") == 0)
        run_io(&f);
    else
        run_alloc(&f, argc > 4 ? atol(argv[4]) : 1);
    teardown(&f);
    printf("faults-%s: %d passed, %d failed\n", argv[1], passed, failed);
    return failed ? 1 : 0;
}
