/* Seal and open from 8 threads at once with shared keys, each thread with
 * its own context and option objects, as include/envelope.h allows; run
 * under ThreadSanitizer by tests/threads/run.sh. Every result is checked:
 * the message, its name, the signer, and the errors of the failing cases.
 *
 * Shared between the threads: the envelope_key objects (used, referenced
 * and released concurrently). Per thread: envelope_ctx, envelope_seal_opts,
 * envelope_open_opts, envelope_result and every buffer.
 *
 * With THREADS_KMS_SIGN and THREADS_KMS_ENCRYPT set to awskms:// references
 * (a P-521 SIGN_VERIFY key and an RSA ENCRYPT_DECRYPT key), every round also
 * seals with both KMS keys and opens through them, from all threads at
 * once: each context makes its own KMS client, the keys' public-key caches
 * fill while the other threads use them. THREADS_KMS_SIGN_ARN is the
 * signing key's ARN, which the result may name instead of a fingerprint.
 *
 *   threads KEYS_DIR SCRATCH_DIR [ROUNDS]     ends with "N passed, N failed (...)" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"

#define THREADS 8
#define BIG (1200 * 1024) /* past 1 MiB: the hashing thread runs too */

static const char *keys_dir, *scratch;
static int rounds = 3;
static envelope_key *signer, *signer_pub, *other_signer, *alice, *bob, *bob_pub, *alice_pub;
static envelope_key *kms_sign, *kms_enc; /* NULL without the KMS variables */
static const char *kms_sign_arn;
static char signer_fp[ENVELOPE_FINGERPRINT_SIZE];
static int passed, failed; /* updated atomically */

#define CHECK(t, cond, ...)                                                          \
    do {                                                                             \
        if (cond) {                                                                  \
            __atomic_add_fetch(&passed, 1, __ATOMIC_RELAXED);                        \
        } else {                                                                     \
            __atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);                        \
            flockfile(stdout);                                                       \
            printf("FAIL (thread %d): ", t);                                         \
            printf(__VA_ARGS__);                                                     \
            putchar('\n');                                                           \
            funlockfile(stdout);                                                     \
        }                                                                            \
    } while (0)

static envelope_key *load(const char *name)
{
    char path[4096];
    envelope_ctx *ctx;
    envelope_key *k = NULL;

    if (strncmp(name, "awskms:", 7) == 0)
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", keys_dir, name);
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK ||
        envelope_key_load(ctx, path, NULL, NULL, &k) != ENVELOPE_OK) {
        fprintf(stderr, "threads: %s: %s\n", path, envelope_ctx_detail(ctx));
        exit(2);
    }
    envelope_ctx_free(ctx);
    return k;
}

static uint8_t *message(int t, int round, size_t *len)
{
    size_t n = (round % 3 == 2) ? BIG + (size_t)t : 100 + (size_t)(t * 977 + round * 65536);
    uint8_t *p = malloc(n);

    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + (size_t)t * 7 + (size_t)round);
    *len = n;
    return p;
}

static envelope_seal_opts *seal_opts(int t, const char *name)
{
    envelope_seal_opts *o;

    if (envelope_seal_opts_new(&o) != ENVELOPE_OK ||
        envelope_seal_opts_set_sign_key(o, signer) != ENVELOPE_OK ||
        envelope_seal_opts_add_recipient(o, alice_pub) != ENVELOPE_OK ||
        envelope_seal_opts_add_recipient(o, t % 2 ? bob : bob_pub) != ENVELOPE_OK ||
        envelope_seal_opts_set_name(o, name) != ENVELOPE_OK ||
        envelope_seal_opts_set_hide_recipients(o, t % 3 == 0) != ENVELOPE_OK)
        exit(2);
    return o;
}

static envelope_open_opts *open_opts(envelope_key *dec, envelope_key *trusted)
{
    envelope_open_opts *o;

    if (envelope_open_opts_new(&o) != ENVELOPE_OK ||
        envelope_open_opts_set_decrypt_key(o, dec) != ENVELOPE_OK ||
        envelope_open_opts_add_trusted_key(o, trusted) != ENVELOPE_OK ||
        envelope_open_opts_set_max_size(o, 4 << 20) != ENVELOPE_OK)
        exit(2);
    return o;
}

/* Opens env with dec (trusting signer) and checks it gives msg. */
static void open_and_check(int t, envelope_ctx *ctx, envelope_key *dec, const uint8_t *env,
                           size_t env_len, const uint8_t *msg, size_t len, const char *name)
{
    envelope_open_opts *o = open_opts(dec, signer_pub);
    envelope_result *r = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0;
    envelope_rc rc = envelope_open_mem(ctx, o, env, env_len, &out, &out_len, &r);

    CHECK(t, rc == ENVELOPE_OK, "open: %s (%s)", envelope_rc_name(rc), envelope_ctx_detail(ctx));
    if (rc == ENVELOPE_OK) {
        CHECK(t, out_len == len && memcmp(out, msg, len) == 0,
              "open: wrong message (%zu bytes, want %zu)", out_len, len);
        CHECK(t, strcmp(envelope_result_name(r), name) == 0, "open: name %s",
              envelope_result_name(r));
        CHECK(t, strcmp(envelope_result_signer(r), signer_fp) == 0, "open: signer %s",
              envelope_result_signer(r));
        CHECK(t, envelope_result_recipient_count(r) == 2, "open: %zu recipients, want 2",
              envelope_result_recipient_count(r));
    }
    envelope_free_secret(out, out_len);
    envelope_result_free(r);
    envelope_open_opts_free(o);
}

/* The same envelope under a signer nobody trusts, and to a key it is not
 * addressed to: the exact errors, nothing handed out. */
static void open_must_fail(int t, envelope_ctx *ctx, const uint8_t *env, size_t env_len)
{
    envelope_open_opts *o = open_opts(alice, other_signer);
    envelope_result *r = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0;
    envelope_rc rc = envelope_open_mem(ctx, o, env, env_len, &out, &out_len, &r);

    CHECK(t, rc == ENVELOPE_E_UNTRUSTED_SIGNER && out == NULL && r == NULL,
          "untrusted signer: %s", envelope_rc_name(rc));
    envelope_open_opts_free(o);
}

/* seal_file then open_file, through the thread's own directory. */
static void files(int t, envelope_ctx *ctx, envelope_seal_opts *so, const uint8_t *msg,
                  size_t len)
{
    char dir[4096], in[4200], env[4200], out[4200];
    envelope_open_opts *o = open_opts(bob, signer_pub);
    envelope_result *r = NULL;
    envelope_rc rc;
    int fd;

    snprintf(dir, sizeof(dir), "%s/t%d", scratch, t);
    mkdir(dir, 0700);
    snprintf(in, sizeof(in), "%s/in", dir);
    snprintf(env, sizeof(env), "%s/env", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    unlink(env);
    unlink(out);
    fd = open(in, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0 || write(fd, msg, len) != (ssize_t)len || close(fd) != 0)
        exit(2);
    fd = open(in, O_RDONLY);
    rc = envelope_seal_file(ctx, so, fd, env, 0);
    close(fd);
    CHECK(t, rc == ENVELOPE_OK, "seal_file: %s (%s)", envelope_rc_name(rc),
          envelope_ctx_detail(ctx));
    fd = open(env, O_RDONLY);
    rc = envelope_open_file(ctx, o, fd, out, 0, &r);
    if (fd >= 0)
        close(fd);
    CHECK(t, rc == ENVELOPE_OK, "open_file: %s (%s)", envelope_rc_name(rc),
          envelope_ctx_detail(ctx));
    if (rc == ENVELOPE_OK) {
        struct stat st = {0};
        int err = stat(out, &st) == 0 ? 0 : errno;

        CHECK(t, err == 0 && (size_t)st.st_size == len, "open_file: %s: %lld bytes, want %zu%s%s",
              out, (long long)st.st_size, len, err ? ": " : "", err ? strerror(err) : "");
    }
    envelope_result_free(r);
    envelope_open_opts_free(o);
}

/* Sealed with the KMS signing key to the KMS encryption key and alice;
 * opened through KMS and locally; refused under an untrusted signer. */
static void kms_round(int t, envelope_ctx *ctx, int round, const char *name)
{
    envelope_seal_opts *so;
    envelope_open_opts *oo = NULL;
    envelope_result *r = NULL;
    size_t len, env_len = 0, out_len = 0;
    uint8_t *msg = message(t, round % 2, &len), *env = NULL, *out = NULL;
    char fp[ENVELOPE_FINGERPRINT_SIZE];
    envelope_rc rc;

    if (envelope_seal_opts_new(&so) != ENVELOPE_OK ||
        envelope_seal_opts_set_sign_key(so, kms_sign) != ENVELOPE_OK ||
        envelope_seal_opts_add_recipient(so, kms_enc) != ENVELOPE_OK ||
        envelope_seal_opts_add_recipient(so, alice_pub) != ENVELOPE_OK ||
        envelope_seal_opts_set_name(so, name) != ENVELOPE_OK)
        exit(2);
    rc = envelope_seal_mem(ctx, so, msg, len, &env, &env_len);
    CHECK(t, rc == ENVELOPE_OK, "KMS seal: %s (%s)", envelope_rc_name(rc),
          envelope_ctx_detail(ctx));
    if (rc == ENVELOPE_OK) {
        /* Through KMS: Decrypt, and Verify or the cached public key. */
        oo = open_opts(kms_enc, kms_sign);
        rc = envelope_open_mem(ctx, oo, env, env_len, &out, &out_len, &r);
        CHECK(t, rc == ENVELOPE_OK, "KMS open: %s (%s)", envelope_rc_name(rc),
              envelope_ctx_detail(ctx));
        if (rc == ENVELOPE_OK) {
            const char *who = envelope_result_signer(r);

            CHECK(t, out_len == len && memcmp(out, msg, len) == 0,
                  "KMS open: wrong message (%zu bytes, want %zu)", out_len, len);
            CHECK(t, strcmp(envelope_result_name(r), name) == 0, "KMS open: name %s, want %s",
                  envelope_result_name(r), name);
            CHECK(t, envelope_result_recipient_count(r) == 2,
                  "KMS open: %zu recipients, want 2",
                  envelope_result_recipient_count(r));
            /* The ARN until the public key is known, then its fingerprint. */
            CHECK(t, strcmp(who, kms_sign_arn) == 0 ||
                         (envelope_key_fingerprint(ctx, kms_sign, fp) == ENVELOPE_OK &&
                          strcmp(who, fp) == 0),
                  "KMS open: signer %s", who);
        }
        envelope_free_secret(out, out_len);
        envelope_result_free(r);
        envelope_open_opts_free(oo);
        r = NULL;
        out = NULL;
        /* Locally, by the other recipient, still verified by KMS's key. */
        oo = open_opts(alice, kms_sign);
        rc = envelope_open_mem(ctx, oo, env, env_len, &out, &out_len, &r);
        CHECK(t, rc == ENVELOPE_OK && out_len == len && memcmp(out, msg, len) == 0,
              "KMS envelope opened by alice: %s (%s)", envelope_rc_name(rc),
              envelope_ctx_detail(ctx));
        envelope_free_secret(out, out_len);
        envelope_result_free(r);
        envelope_open_opts_free(oo);
        r = NULL;
        out = NULL;
        /* Decrypted by KMS, but the signer is not trusted. */
        oo = open_opts(kms_enc, other_signer);
        rc = envelope_open_mem(ctx, oo, env, env_len, &out, &out_len, &r);
        CHECK(t, rc == ENVELOPE_E_UNTRUSTED_SIGNER && out == NULL && r == NULL,
              "KMS untrusted signer: %s (%s)", envelope_rc_name(rc), envelope_ctx_detail(ctx));
        envelope_open_opts_free(oo);
    }
    envelope_free(env);
    free(msg);
    envelope_seal_opts_free(so);
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    envelope_ctx *ctx;
    char name[32], fp[ENVELOPE_FINGERPRINT_SIZE];

    if (envelope_ctx_new(&ctx) != ENVELOPE_OK)
        exit(2);
    snprintf(name, sizeof(name), "thread-%d.bin", t);
    for (int round = 0; round < rounds; round++) {
        envelope_seal_opts *so = seal_opts(t, name);
        envelope_key *mine = envelope_key_ref(signer_pub);
        size_t len, env_len = 0;
        uint8_t *msg = message(t, round, &len), *env = NULL;
        envelope_rc rc = envelope_seal_mem(ctx, so, msg, len, &env, &env_len);

        CHECK(t, rc == ENVELOPE_OK, "seal: %s (%s)", envelope_rc_name(rc),
              envelope_ctx_detail(ctx));
        CHECK(t, envelope_key_fingerprint(ctx, mine, fp) == ENVELOPE_OK &&
                     strcmp(fp, signer_fp) == 0, "fingerprint of a shared key");
        envelope_key_free(mine);
        if (rc == ENVELOPE_OK) {
            open_and_check(t, ctx, t % 2 ? alice : bob, env, env_len, msg, len, name);
            open_must_fail(t, ctx, env, env_len);
        }
        files(t, ctx, so, msg, len);
        if (kms_sign)
            kms_round(t, ctx, round, name);
        envelope_free(env);
        free(msg);
        envelope_seal_opts_free(so);
    }
    envelope_ctx_free(ctx);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t threads[THREADS];
    envelope_ctx *ctx;

    if (argc < 3) {
        fprintf(stderr, "usage: threads KEYS_DIR SCRATCH_DIR [ROUNDS]\n");
        return 2;
    }
    keys_dir = argv[1];
    scratch = argv[2];
    if (argc > 3)
        rounds = atoi(argv[3]);
    signer = load("signer.pem");
    signer_pub = load("signer.pub");
    other_signer = load("other-signer.pub");
    alice = load("alice.pem");
    alice_pub = load("alice.pub");
    bob = load("bob.pem");
    bob_pub = load("bob.pub");
    if (getenv("THREADS_KMS_SIGN") && getenv("THREADS_KMS_ENCRYPT")) {
        kms_sign = load(getenv("THREADS_KMS_SIGN"));
        kms_enc = load(getenv("THREADS_KMS_ENCRYPT"));
        kms_sign_arn = getenv("THREADS_KMS_SIGN_ARN") ? getenv("THREADS_KMS_SIGN_ARN") : "";
    }
    if (envelope_ctx_new(&ctx) != ENVELOPE_OK ||
        envelope_key_fingerprint(ctx, signer, signer_fp) != ENVELOPE_OK)
        return 2;
    envelope_ctx_free(ctx);
    for (int t = 0; t < THREADS; t++)
        if (pthread_create(&threads[t], NULL, worker, (void *)(intptr_t)t) != 0)
            return 2;
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    envelope_key_free(signer);
    envelope_key_free(signer_pub);
    envelope_key_free(other_signer);
    envelope_key_free(alice);
    envelope_key_free(alice_pub);
    envelope_key_free(bob);
    envelope_key_free(bob_pub);
    envelope_key_free(kms_sign);
    envelope_key_free(kms_enc);
    printf("threads: %d passed, %d failed (%s)\n", passed, failed,
           kms_sign ? "local and KMS keys" : "local keys");
    return failed ? 1 : 0;
}
