/*
 * Per-operation cost of libenvelope in one process, for small messages: how
 * many envelopes per second envelope_seal_mem() makes and envelope_open_mem()
 * opens, and what loading each key costs. bench/bench.py compares the
 * results with `openssl speed` (one P-521 sign + one RSA public operation per
 * seal; one RSA private operation + one P-521 verify per open).
 *
 * usage: ops [-t SECONDS | -n COUNT] [-s SIZE] [-p seal|open|both] [-T TAG]
 *            SIGN_KEY VERIFY_KEY DECRYPT_KEY RECIPIENT_KEY
 *
 *   -t  time each loop for SECONDS (default 3), each key load for a quarter
 *   -n  run each loop exactly COUNT times and load each key once (to count
 *       KMS requests: the difference between two counts is per envelope)
 *   -s  message size in bytes (default 1024)
 *   -p  which loops to run (default both); open first seals one envelope
 *
 * Keys are any references envelope_key_load() takes: files, or awskms://
 * references once the library has its KMS client. Prints one "TAG.name value"
 * line per figure (TAG defaults to "ops"): load_{sign,verify,decrypt,
 * recipient}_us, seal_n, seal_per_s, seal_us, open_n, open_per_s, open_us,
 * envelope_bytes. Exits 1, saying why on stderr, if any call fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <envelope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long a loop runs: for `seconds`, or exactly `count` times when count
 * is non-zero. */
struct budget {
    double seconds;
    long count;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int more(const struct budget *b, long n, double elapsed)
{
    if (b->count > 0)
        return n < b->count;
    return n < 3 || elapsed < b->seconds;
}

static int failed(envelope_ctx *ctx, const char *what, envelope_rc rc)
{
    fprintf(stderr, "ops: %s: %s (%s)\n", what, envelope_strerror(rc),
            envelope_ctx_detail(ctx));
    return 1;
}

/* Microseconds per envelope_key_load() of ref; *out keeps the last key. */
static int time_load(envelope_ctx *ctx, const char *ref, const struct budget *b, double *us,
                     envelope_key **out)
{
    double t0 = now(), t = 0;
    long n = 0;
    envelope_rc rc;

    *out = NULL;
    while (n == 0 || more(b, n, t)) {
        envelope_key_free(*out);
        if ((rc = envelope_key_load(ctx, ref, NULL, NULL, out)) != ENVELOPE_OK)
            return failed(ctx, ref, rc);
        n++;
        t = now() - t0;
    }
    *us = t * 1e6 / (double)n;
    return 0;
}

static int time_seal(envelope_ctx *ctx, const envelope_seal_opts *opts, const uint8_t *msg,
                     size_t len, const struct budget *b, long *n, double *per_s)
{
    double t0 = now(), t = 0;
    uint8_t *env;
    size_t env_len;
    envelope_rc rc;

    for (*n = 0; more(b, *n, t); (*n)++, t = now() - t0) {
        if ((rc = envelope_seal_mem(ctx, opts, msg, len, &env, &env_len)) != ENVELOPE_OK)
            return failed(ctx, "seal", rc);
        envelope_free(env);
    }
    *per_s = t > 0 ? (double)*n / t : 0;
    return 0;
}

static int time_open(envelope_ctx *ctx, const envelope_open_opts *opts, const uint8_t *env,
                     size_t env_len, size_t want, const struct budget *b, long *n,
                     double *per_s)
{
    double t0 = now(), t = 0;
    uint8_t *msg;
    size_t len;
    envelope_result *res;
    envelope_rc rc;

    for (*n = 0; more(b, *n, t); (*n)++, t = now() - t0) {
        if ((rc = envelope_open_mem(ctx, opts, env, env_len, &msg, &len, &res)) != ENVELOPE_OK)
            return failed(ctx, "open", rc);
        envelope_free_secret(msg, len);
        envelope_result_free(res);
        if (len != want) {
            fprintf(stderr, "ops: open gave %zu bytes, sealed %zu\n", len, want);
            return 1;
        }
    }
    *per_s = t > 0 ? (double)*n / t : 0;
    return 0;
}

struct args {
    struct budget budget;
    size_t size;
    int seal, open;
    const char *tag;
    const char *keys[4]; /* sign, verify, decrypt, recipient */
};

static int parse_args(int argc, char **argv, struct args *a)
{
    int c;

    *a = (struct args){{3.0, 0}, 1024, 1, 1, "ops", {NULL}};
    while ((c = getopt(argc, argv, "t:n:s:p:T:")) != -1) {
        switch (c) {
        case 't': a->budget.seconds = strtod(optarg, NULL); break;
        case 'n': a->budget.count = strtol(optarg, NULL, 10); break;
        case 's': a->size = strtoul(optarg, NULL, 10); break;
        case 'p':
            a->seal = strcmp(optarg, "open") != 0;
            a->open = strcmp(optarg, "seal") != 0;
            break;
        case 'T': a->tag = optarg; break;
        default: return -1;
        }
    }
    if (argc - optind != 4 || a->size == 0 || a->budget.seconds <= 0 || a->budget.count < 0)
        return -1;
    for (int i = 0; i < 4; i++)
        a->keys[i] = argv[optind + i];
    return 0;
}

int main(int argc, char **argv)
{
    struct args a;
    envelope_ctx *ctx = NULL;
    envelope_key *k[4] = {NULL}; /* sign, verify, decrypt, recipient */
    envelope_seal_opts *sopts = NULL;
    envelope_open_opts *oopts = NULL;
    uint8_t *msg = NULL, *env = NULL;
    size_t env_len = 0;
    double us[4], seal_s = 0, open_s = 0;
    struct budget load;
    long seal_n = 0, open_n = 0;
    envelope_rc rc;
    int status = 1;

    if (parse_args(argc, argv, &a) != 0) {
        fprintf(stderr, "usage: ops [-t SECONDS | -n COUNT] [-s SIZE] [-p seal|open|both] "
                        "[-T TAG] SIGN_KEY VERIFY_KEY DECRYPT_KEY RECIPIENT_KEY\n");
        return 2;
    }
    if (!(msg = malloc(a.size)))
        return 1;
    for (size_t i = 0; i < a.size; i++)
        msg[i] = (uint8_t)(i * 131u + 7u);
    if ((rc = envelope_ctx_new(&ctx)) != ENVELOPE_OK) {
        fprintf(stderr, "ops: context: %s\n", envelope_strerror(rc));
        goto out;
    }
    load = a.budget.count ? (struct budget){1, 1} : (struct budget){a.budget.seconds / 4, 0};
    for (int i = 0; i < 4; i++)
        if (time_load(ctx, a.keys[i], &load, &us[i], &k[i]))
            goto out;
    if ((rc = envelope_seal_opts_new(&sopts)) != ENVELOPE_OK ||
        (rc = envelope_seal_opts_set_sign_key(sopts, k[0])) != ENVELOPE_OK ||
        (rc = envelope_seal_opts_add_recipient(sopts, k[3])) != ENVELOPE_OK ||
        (rc = envelope_seal_opts_set_name(sopts, "message.bin")) != ENVELOPE_OK ||
        (rc = envelope_open_opts_new(&oopts)) != ENVELOPE_OK ||
        (rc = envelope_open_opts_set_decrypt_key(oopts, k[2])) != ENVELOPE_OK ||
        (rc = envelope_open_opts_add_trusted_key(oopts, k[1])) != ENVELOPE_OK) {
        failed(ctx, "options", rc);
        goto out;
    }
    if (a.seal && time_seal(ctx, sopts, msg, a.size, &a.budget, &seal_n, &seal_s))
        goto out;
    if (a.open) {
        /* An untimed seal first: it leaves the envelope the loop reopens. */
        if ((rc = envelope_seal_mem(ctx, sopts, msg, a.size, &env, &env_len)) != ENVELOPE_OK) {
            failed(ctx, "seal", rc);
            goto out;
        }
        if (time_open(ctx, oopts, env, env_len, a.size, &a.budget, &open_n, &open_s))
            goto out;
    }
    printf("%s.load_sign_us %.1f\n%s.load_verify_us %.1f\n", a.tag, us[0], a.tag, us[1]);
    printf("%s.load_decrypt_us %.1f\n%s.load_recipient_us %.1f\n", a.tag, us[2], a.tag, us[3]);
    if (a.seal)
        printf("%s.seal_n %ld\n%s.seal_per_s %.2f\n%s.seal_us %.1f\n", a.tag, seal_n, a.tag,
               seal_s, a.tag, seal_s > 0 ? 1e6 / seal_s : 0);
    if (a.open)
        printf("%s.open_n %ld\n%s.open_per_s %.2f\n%s.open_us %.1f\n%s.envelope_bytes %zu\n",
               a.tag, open_n, a.tag, open_s, a.tag, open_s > 0 ? 1e6 / open_s : 0, a.tag,
               env_len);
    status = 0;
out:
    envelope_free(env);
    envelope_seal_opts_free(sopts);
    envelope_open_opts_free(oopts);
    for (int i = 0; i < 4; i++)
        envelope_key_free(k[i]);
    envelope_ctx_free(ctx);
    free(msg);
    return status;
}
