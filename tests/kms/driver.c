/* A test program over the public API, for what the command line cannot
 * show: several envelopes with the same loaded keys in one process, keys
 * shared between threads, and which libraries the process has mapped.
 * Built by tests/kms/run.sh against the library under test.
 *
 *   driver seal-open N SIGN TO DECRYPT VERIFY DIR
 *       seals N messages with one context and one set of keys into
 *       DIR/1.env ... N.env, then opens them all with another
 *   driver seal N SIGN TO OUTDIR       seals N messages into OUTDIR
 *   driver open N DECRYPT VERIFY INDIR opens INDIR/1.env ... N.env
 *   driver threads T N SIGN TO DECRYPT VERIFY
 *       T threads, each with its own context, seal and open N messages
 *       with the same four key objects, each reading every key's ARN
 *       (envelope_key_arn) after each message: the same string in every
 *       thread, NULL for a local key; then prints "arns: SIGN TO DECRYPT
 *       VERIFY" ("(none)" for NULL)
 *   driver arn SIGN TO
 *       prints "before: sign ARN, to ARN" once loaded, seals one message,
 *       then prints "after: sign ARN, to ARN" ("(none)" for NULL)
 *   driver open-each N DECRYPT VERIFY FILE
 *       opens the envelope FILE N times with one context, going on after
 *       a failure: one line per open, "open I: OK" or "open I: CODE
 *       (detail)"; exit 0 once all N were tried
 *
 * DRIVER_CONNECT_MS, DRIVER_TOTAL_MS and DRIVER_MAX_ATTEMPTS, when set, go
 * to envelope_ctx_set_kms_timeouts() and envelope_ctx_set_kms_max_attempts()
 * on every context the driver makes. With DRIVER_STEPS set, `seal` prints
 * "sealed I" after each message but the last and waits for a line on its
 * standard input before the next: a test changes the world in between.
 *
 * Every command ends with the lines "elapsed: N ms" and "libcurl mapped:
 * yes" or "no" (from /proc/self/maps). Exit 0 on success, 1 on the first
 * failure (with the error's name and detail on stderr). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"

struct keys {
    envelope_key *sign, *to, *decrypt, *verify;
    int kms[4]; /* threads: which of the four are KMS keys */
};

static int failed(envelope_ctx *ctx, envelope_rc rc, const char *what)
{
    fprintf(stderr, "driver: %s: %s (%s)\n", what, envelope_rc_name(rc), envelope_ctx_detail(ctx));
    return 1;
}

static int curl_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, "/libcurl.so") || strstr(line, "/libcurl-"))
            found = 1;
    fclose(f);
    return found;
}

static unsigned long env_num(const char *name)
{
    const char *v = getenv(name);

    return v ? strtoul(v, NULL, 10) : 0;
}

/* A context with the KMS settings the environment asks the driver for. */
static int new_ctx(envelope_ctx **ctx)
{
    envelope_rc rc;

    if (envelope_ctx_new(ctx) != ENVELOPE_OK)
        return 1;
    if ((getenv("DRIVER_CONNECT_MS") || getenv("DRIVER_TOTAL_MS")) &&
        (rc = envelope_ctx_set_kms_timeouts(*ctx, env_num("DRIVER_CONNECT_MS"),
                                            env_num("DRIVER_TOTAL_MS"))) != ENVELOPE_OK)
        return failed(*ctx, rc, "set_kms_timeouts");
    if (getenv("DRIVER_MAX_ATTEMPTS") &&
        (rc = envelope_ctx_set_kms_max_attempts(*ctx, (unsigned)env_num("DRIVER_MAX_ATTEMPTS"))) !=
            ENVELOPE_OK)
        return failed(*ctx, rc, "set_kms_max_attempts");
    return 0;
}

static int load(envelope_ctx *ctx, const char *ref, envelope_key **out)
{
    envelope_rc rc = envelope_key_load(ctx, ref, NULL, NULL, out);

    return rc == ENVELOPE_OK ? 0 : failed(ctx, rc, ref);
}

static void message(unsigned i, char *buf, size_t size)
{
    snprintf(buf, size, "message %u of the KMS driver\n", i);
}

static int seal_one(envelope_ctx *ctx, const struct keys *k, unsigned i, uint8_t **env,
                    size_t *env_len)
{
    envelope_seal_opts *so = NULL;
    char msg[64];
    envelope_rc rc;

    message(i, msg, sizeof(msg));
    if ((rc = envelope_seal_opts_new(&so)) != ENVELOPE_OK ||
        (rc = envelope_seal_opts_set_sign_key(so, k->sign)) != ENVELOPE_OK ||
        (rc = envelope_seal_opts_add_recipient(so, k->to)) != ENVELOPE_OK)
        rc = rc ? rc : ENVELOPE_E_INTERNAL;
    else
        rc = envelope_seal_mem(ctx, so, (const uint8_t *)msg, strlen(msg), env, env_len);
    envelope_seal_opts_free(so);
    return rc == ENVELOPE_OK ? 0 : failed(ctx, rc, "seal");
}

static int open_one(envelope_ctx *ctx, const struct keys *k, unsigned i, const uint8_t *env,
                    size_t env_len)
{
    envelope_open_opts *oo = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0;
    char msg[64];
    envelope_rc rc;

    message(i, msg, sizeof(msg));
    if ((rc = envelope_open_opts_new(&oo)) != ENVELOPE_OK ||
        (rc = envelope_open_opts_set_decrypt_key(oo, k->decrypt)) != ENVELOPE_OK ||
        (rc = envelope_open_opts_add_trusted_key(oo, k->verify)) != ENVELOPE_OK)
        rc = rc ? rc : ENVELOPE_E_INTERNAL;
    else
        rc = envelope_open_mem(ctx, oo, env, env_len, &out, &out_len, NULL);
    envelope_open_opts_free(oo);
    if (rc != ENVELOPE_OK)
        return failed(ctx, rc, "open");
    if (out_len != strlen(msg) || memcmp(out, msg, out_len) != 0) {
        fprintf(stderr, "driver: opened message %u differs\n", i);
        rc = ENVELOPE_E_INTERNAL;
    }
    envelope_free_secret(out, out_len);
    return rc == ENVELOPE_OK ? 0 : 1;
}

static int write_file(const char *dir, unsigned i, const uint8_t *p, size_t n)
{
    char path[4096];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%u.env", dir, i);
    if ((f = fopen(path, "wb")) == NULL)
        return 1;
    ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : 1;
}

static uint8_t *read_file(const char *dir, unsigned i, size_t *n)
{
    static uint8_t buf[1 << 20];
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%u.env", dir, i);
    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    *n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

/* Says how far it got, and waits to be told to go on. */
static int step(unsigned i)
{
    char line[64];

    printf("sealed %u\n", i);
    fflush(stdout);
    return fgets(line, sizeof(line), stdin) == NULL;
}

static int cmd_seal(unsigned n, const char *sign, const char *to, const char *dir)
{
    envelope_ctx *ctx = NULL;
    struct keys k = {0};
    int bad = new_ctx(&ctx) || load(ctx, sign, &k.sign) ||
              load(ctx, to, &k.to);

    for (unsigned i = 1; !bad && i <= n; i++) {
        uint8_t *env = NULL;
        size_t len = 0;

        bad = seal_one(ctx, &k, i, &env, &len) || write_file(dir, i, env, len);
        envelope_free(env);
        if (!bad && i < n && getenv("DRIVER_STEPS"))
            bad = step(i);
    }
    envelope_key_free(k.sign);
    envelope_key_free(k.to);
    envelope_ctx_free(ctx);
    return bad;
}

static int cmd_open(unsigned n, const char *decrypt, const char *verify, const char *dir)
{
    envelope_ctx *ctx = NULL;
    struct keys k = {0};
    int bad = new_ctx(&ctx) || load(ctx, decrypt, &k.decrypt) ||
              load(ctx, verify, &k.verify);

    for (unsigned i = 1; !bad && i <= n; i++) {
        size_t len = 0;
        const uint8_t *env = read_file(dir, i, &len);

        bad = env == NULL || open_one(ctx, &k, i, env, len);
    }
    envelope_key_free(k.decrypt);
    envelope_key_free(k.verify);
    envelope_ctx_free(ctx);
    return bad;
}

struct job {
    const struct keys *k;
    unsigned n;
    int bad;
    const char *arns[4]; /* as this thread last read them */
};

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

/* Reads the four keys' ARNs, which must be known for a KMS key (each key
 * was used) and NULL for a local one, and the very strings read before, if
 * any: an ARN never changes once set. */
static int read_arns(const struct keys *k, const char *arns[4])
{
    const envelope_key *keys[4] = {k->sign, k->to, k->decrypt, k->verify};

    for (int i = 0; i < 4; i++) {
        const char *arn = envelope_key_arn(keys[i]);

        if ((arn == NULL) == k->kms[i] || (arns[i] && arns[i] != arn)) {
            fprintf(stderr, "driver: key %d: ARN %s after a use, was %s\n", i,
                    arn ? arn : "(none)", arns[i] ? arns[i] : "(none)");
            return 1;
        }
        arns[i] = arn;
    }
    return 0;
}

static void *run_job(void *arg)
{
    struct job *j = arg;
    envelope_ctx *ctx = NULL;

    j->bad = new_ctx(&ctx);
    for (unsigned i = 1; !j->bad && i <= j->n; i++) {
        uint8_t *env = NULL;
        size_t len = 0;

        j->bad = seal_one(ctx, j->k, i, &env, &len) || open_one(ctx, j->k, i, env, len) ||
                 read_arns(j->k, j->arns);
        envelope_free(env);
    }
    envelope_ctx_free(ctx);
    return NULL;
}

static int cmd_threads(unsigned t, unsigned n, char **refs)
{
    envelope_ctx *ctx = NULL;
    struct keys k = {0};
    pthread_t th[16];
    struct job jobs[16];
    int bad = t == 0 || t > 16 || new_ctx(&ctx) ||
              load(ctx, refs[0], &k.sign) || load(ctx, refs[1], &k.to) ||
              load(ctx, refs[2], &k.decrypt) || load(ctx, refs[3], &k.verify);

    for (int i = 0; i < 4; i++)
        k.kms[i] = strncmp(refs[i], "awskms:", 7) == 0;
    for (unsigned i = 0; !bad && i < t; i++) {
        jobs[i] = (struct job){&k, n, 0, {NULL}};
        if (pthread_create(&th[i], NULL, run_job, &jobs[i]) != 0)
            t = i, bad = 1;
    }
    for (unsigned i = 0; i < t && ctx && k.verify; i++) {
        pthread_join(th[i], NULL);
        bad |= jobs[i].bad || read_arns(&k, jobs[0].arns) || read_arns(&k, jobs[i].arns);
    }
    if (!bad)
        printf("arns: %s %s %s %s\n", or_none(jobs[0].arns[0]), or_none(jobs[0].arns[1]),
               or_none(jobs[0].arns[2]), or_none(jobs[0].arns[3]));
    envelope_key_free(k.sign);
    envelope_key_free(k.to);
    envelope_key_free(k.decrypt);
    envelope_key_free(k.verify);
    envelope_ctx_free(ctx);
    return bad;
}

static const char *arn_or_none(const envelope_key *key)
{
    const char *arn = envelope_key_arn(key);

    return arn ? arn : "(none)";
}

static int cmd_arn(const char *sign, const char *to)
{
    envelope_ctx *ctx = NULL;
    struct keys k = {0};
    uint8_t *env = NULL;
    size_t len = 0;
    int bad = new_ctx(&ctx) || load(ctx, sign, &k.sign) || load(ctx, to, &k.to);

    if (!bad)
        printf("before: sign %s, to %s\n", arn_or_none(k.sign), arn_or_none(k.to));
    if (!bad && !(bad = seal_one(ctx, &k, 1, &env, &len)))
        printf("after: sign %s, to %s\n", arn_or_none(k.sign), arn_or_none(k.to));
    envelope_free(env);
    envelope_key_free(k.sign);
    envelope_key_free(k.to);
    envelope_ctx_free(ctx);
    return bad;
}

/* Opens one envelope n times, whatever each open gives: what a context
 * carries from call to call (its retry quota) shows in the lines. */
static int cmd_open_each(unsigned n, const char *decrypt, const char *verify, const char *file)
{
    envelope_ctx *ctx = NULL;
    struct keys k = {0};
    uint8_t *env = NULL, *out = NULL;
    size_t env_len = 0, out_len = 0;
    FILE *f = fopen(file, "rb");
    int bad = f == NULL || new_ctx(&ctx) || load(ctx, decrypt, &k.decrypt) ||
              load(ctx, verify, &k.verify);

    if (!bad) {
        static uint8_t buf[1 << 16];

        env_len = fread(buf, 1, sizeof(buf), f);
        env = buf;
    }
    for (unsigned i = 1; !bad && i <= n; i++) {
        envelope_open_opts *oo = NULL;
        envelope_rc rc;

        if ((rc = envelope_open_opts_new(&oo)) == ENVELOPE_OK &&
            (rc = envelope_open_opts_set_decrypt_key(oo, k.decrypt)) == ENVELOPE_OK &&
            (rc = envelope_open_opts_add_trusted_key(oo, k.verify)) == ENVELOPE_OK)
            rc = envelope_open_mem(ctx, oo, env, env_len, &out, &out_len, NULL);
        envelope_open_opts_free(oo);
        if (rc == ENVELOPE_OK)
            printf("open %u: OK\n", i);
        else
            printf("open %u: %s (%s)\n", i, envelope_rc_name(rc), envelope_ctx_detail(ctx));
        envelope_free_secret(out, out_len);
        out = NULL;
        out_len = 0;
    }
    if (f)
        fclose(f);
    envelope_key_free(k.decrypt);
    envelope_key_free(k.verify);
    envelope_ctx_free(ctx);
    return bad;
}

int main(int argc, char **argv)
{
    unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
    struct timespec t0, t1;
    int bad;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (argc == 8 && strcmp(argv[1], "seal-open") == 0)
        bad = cmd_seal(n, argv[3], argv[4], argv[7]) || cmd_open(n, argv[5], argv[6], argv[7]);
    else if (argc == 6 && strcmp(argv[1], "seal") == 0)
        bad = cmd_seal(n, argv[3], argv[4], argv[5]);
    else if (argc == 6 && strcmp(argv[1], "open") == 0)
        bad = cmd_open(n, argv[3], argv[4], argv[5]);
    else if (argc == 4 && strcmp(argv[1], "arn") == 0)
        bad = cmd_arn(argv[2], argv[3]);
    else if (argc == 6 && strcmp(argv[1], "open-each") == 0)
        bad = cmd_open_each(n, argv[3], argv[4], argv[5]);
    else if (argc == 8 && strcmp(argv[1], "threads") == 0)
        bad = cmd_threads(n, (unsigned)strtoul(argv[3], NULL, 10), argv + 4);
    else {
        fputs("usage: see the comment at the top of tests/kms/driver.c\n", stderr);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("elapsed: %ld ms\n",
           (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    printf("libcurl mapped: %s\n", curl_mapped() ? "yes" : "no");
    return bad;
}
