/* The standard retry mode's quota (botocore's numbers: a bucket of 500, 5 a
 * retry, 10 after a timeout, the last cost or 1 back on success, never above
 * 500), shared by threads; and where retry_mode and max_attempts come from.
 * tests/kms/run.sh drains and refills it against the KMS test server. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/call_settings.h"
#include "aws/kms.h"
#include "aws/retry_quota.h"
#include "testutil.h"

static struct retry_quota q;

static void take(int timeout, unsigned want_cost, unsigned want_left)
{
    unsigned got = retry_quota_acquire(&q, timeout);

    ck_assert_msg(got == want_cost && retry_quota_available(&q) == want_left,
                  "acquire(timeout=%d): took %u leaving %u, want %u leaving %u", timeout, got,
                  retry_quota_available(&q), want_cost, want_left);
}

static void give(unsigned last, unsigned want_left)
{
    retry_quota_release(&q, last);
    ck_assert_msg(retry_quota_available(&q) == want_left, "release(%u): %u left, want %u", last,
                  retry_quota_available(&q), want_left);
}

START_TEST(costs_and_refunds)
{
    retry_quota_init(&q);
    ck_assert_uint_eq(retry_quota_available(&q), 500);
    take(0, 5, 495);
    take(1, 10, 485);
    give(10, 495); /* the last acquisition back */
    give(0, 496);  /* a call without a retry: 1 */
    give(5, 500);  /* 501 would be past the maximum */
    give(0, 500);
    give(10, 500);
}
END_TEST

START_TEST(an_empty_bucket_refuses_then_refills)
{
    retry_quota_init(&q);
    for (unsigned i = 1; i <= 100; i++)
        take(0, 5, 500 - 5 * i);
    take(0, 0, 0);
    take(1, 0, 0);
    for (unsigned i = 1; i <= 4; i++) {
        give(0, i);
        take(0, 0, i); /* 1 to 4: not enough for a retry, and nothing taken */
    }
    give(0, 5);
    take(1, 0, 5); /* a timeout's retry needs 10 */
    take(0, 5, 0);
    give(5, 5);
    for (unsigned i = 6; i <= 10; i++)
        give(0, i);
    take(1, 10, 0);
}
END_TEST

#define THREADS 8
#define TRIES 100

static void *grab(void *arg)
{
    unsigned *won = arg;

    for (int i = 0; i < TRIES; i++)
        if (retry_quota_acquire(&q, 0) == RETRY_QUOTA_COST)
            (*won)++;
    return NULL;
}

static void *refill(void *arg)
{
    (void)arg;
    for (int i = 0; i < TRIES; i++)
        retry_quota_release(&q, 0);
    return NULL;
}

/* 800 tries at 5 on a bucket of 500: exactly 100 succeed, whatever the
 * interleaving; 800 refills of 1 stop at 500. */
START_TEST(shared_by_threads)
{
    pthread_t th[THREADS];
    unsigned won[THREADS] = {0}, total = 0;

    retry_quota_init(&q);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, grab, &won[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        total += won[i];
    }
    ck_assert_msg(total == 100 && retry_quota_available(&q) == 0,
                  "%u retries granted, %u left; want 100 and 0", total,
                  retry_quota_available(&q));
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, refill, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_eq(retry_quota_available(&q), 500);
}
END_TEST

/* ----------------------------------------------- retry_mode, max_attempts */

static envelope_ctx *ctx;
static char *dir;
static char config[4200], credentials[4200];

static void setup(void)
{
    static const char *const names[] = {"AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PROFILE",
                                        "AWS_DEFAULT_PROFILE", "ENVELOPE_KMS_TIMEOUT_MS",
                                        "ENVELOPE_KMS_CONNECT_TIMEOUT_MS"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
    dir = make_temp_dir();
    snprintf(config, sizeof(config), "%s/config", dir);
    snprintf(credentials, sizeof(credentials), "%s/credentials", dir);
    setenv("AWS_CONFIG_FILE", config, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", credentials, 1);
    ctx = new_ctx();
}

static void teardown(void)
{
    envelope_ctx_free(ctx);
    rm_tree(dir);
    free(dir);
    unsetenv("AWS_RETRY_MODE");
    unsetenv("AWS_MAX_ATTEMPTS");
    unsetenv("AWS_PROFILE");
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
}

static void put(const char *path, const char *text)
{
    write_file(path, (const uint8_t *)text, strlen(text));
}

static void settings_are(enum retry_mode mode, unsigned attempts)
{
    struct kms_settings set;
    envelope_rc rc = kms_settings(ctx, NULL, &set);

    ck_assert_msg(rc == ENVELOPE_OK && set.mode == mode && set.max_attempts == attempts,
                  "kms_settings: %s (%s), mode %d, %u attempts; want mode %d, %u attempts",
                  envelope_rc_name(rc), envelope_ctx_detail(ctx), (int)set.mode,
                  set.max_attempts, (int)mode, attempts);
}

static void settings_refused(envelope_rc want_rc, const char *want_detail)
{
    struct kms_settings set;

    ck_assert_rc(kms_settings(ctx, NULL, &set), want_rc);
    ck_assert_str_eq(envelope_ctx_detail(ctx), want_detail);
}

/* A client reads the retry settings at its first call and keeps them: the
 * files are not read again at every KMS call. */
START_TEST(settings_read_once_per_client)
{
    struct kms_settings set;

    put(config, "[default]\nretry_mode = legacy\nmax_attempts = 5\n");
    ck_assert_rc(envelope_ctx_set_kms_timeouts(ctx, 0, 0), ENVELOPE_OK); /* makes the context's KMS client */
    ck_assert_rc(kms_settings(ctx, kms_client_of(ctx), &set), ENVELOPE_OK);
    ck_assert_msg(set.mode == RETRY_MODE_LEGACY && set.max_attempts == 5,
                  "first call: mode %d, %u attempts", (int)set.mode, set.max_attempts);
    put(config, "[default]\nretry_mode = standard\nmax_attempts = 2\n");
    ck_assert_rc(kms_settings(ctx, kms_client_of(ctx), &set), ENVELOPE_OK);
    ck_assert_msg(set.mode == RETRY_MODE_LEGACY && set.max_attempts == 5,
                  "second call: mode %d, %u attempts: the file was read again", (int)set.mode,
                  set.max_attempts);
    put(config, "[default\n"); /* broken: a read fails, as without a client */
    ck_assert_rc(kms_settings(ctx, kms_client_of(ctx), &set), ENVELOPE_OK);
    ck_assert_rc(kms_settings(ctx, NULL, &set), ENVELOPE_E_CREDENTIALS);
}
END_TEST

START_TEST(mode_and_attempts_from_environment_then_profile)
{
    settings_are(RETRY_MODE_STANDARD, 3); /* no files: the defaults */
    put(config, "[default]\nretry_mode = legacy\nmax_attempts = 5\n");
    settings_are(RETRY_MODE_LEGACY, 5);
    setenv("AWS_RETRY_MODE", "adaptive", 1); /* the environment first; adaptive is standard */
    settings_are(RETRY_MODE_STANDARD, 5);
    setenv("AWS_MAX_ATTEMPTS", "2", 1);
    settings_are(RETRY_MODE_STANDARD, 2);
    unsetenv("AWS_RETRY_MODE");
    settings_are(RETRY_MODE_LEGACY, 2);
    unsetenv("AWS_MAX_ATTEMPTS");
    setenv("AWS_PROFILE", "team", 1); /* another profile, which says nothing */
    settings_are(RETRY_MODE_STANDARD, 3);
    put(config, "[default]\nretry_mode = legacy\n[profile team]\nmax_attempts = 7\n"
                "retry_mode = standard\n");
    settings_are(RETRY_MODE_STANDARD, 7);
    /* The credentials file's value wins, as the SDKs merge the files. */
    put(credentials, "[team]\nmax_attempts = 4\n");
    settings_are(RETRY_MODE_STANDARD, 4);
}
END_TEST

START_TEST(bad_settings_refused)
{
    char want[5000];

    setenv("AWS_RETRY_MODE", "Standard", 1);
    settings_refused(ENVELOPE_E_INVALID_ARGUMENT, "AWS_RETRY_MODE=Standard: not standard, adaptive or legacy");
    setenv("AWS_RETRY_MODE", "standard", 1);
    setenv("AWS_MAX_ATTEMPTS", "11", 1);
    settings_refused(ENVELOPE_E_INVALID_ARGUMENT, "AWS_MAX_ATTEMPTS=11: not a number from 1 to 10");
    unsetenv("AWS_RETRY_MODE");
    unsetenv("AWS_MAX_ATTEMPTS");
    put(config, "[default]\nregion = us-east-1\nretry_mode = fast\n");
    snprintf(want, sizeof(want), "%s line 3: retry_mode = fast: not standard, adaptive or legacy",
             config);
    settings_refused(ENVELOPE_E_INVALID_ARGUMENT, want);
    setenv("AWS_RETRY_MODE", "legacy", 1); /* the environment's value: the file's is not read */
    settings_are(RETRY_MODE_LEGACY, 3);
    unsetenv("AWS_RETRY_MODE");
    static const char *const bad_attempts[] = {"0", "11", "-1", "+3", " 3", "3x", "",
                                               "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_attempts) / sizeof(bad_attempts[0]); i++) {
        char text[200];

        snprintf(text, sizeof(text), "[default]\nmax_attempts = %s\n", bad_attempts[i]);
        put(config, text);
        /* The INI reader trims values: " 3" is "3". */
        if (strcmp(bad_attempts[i], " 3") == 0) {
            settings_are(RETRY_MODE_STANDARD, 3);
            continue;
        }
        snprintf(want, sizeof(want), "%s line 2: max_attempts = %.20s: not a number from 1 to 10",
                 config, bad_attempts[i]);
        settings_refused(ENVELOPE_E_INVALID_ARGUMENT, want);
    }
    /* A config file the SDKs could not read either: the credential
     * chain's error, whoever reads the file first. */
    put(config, "[default\nmax_attempts = 2\n");
    snprintf(want, sizeof(want), "%s line 1: a section header without its closing ']'", config);
    settings_refused(ENVELOPE_E_CREDENTIALS, want);
}
END_TEST

static Suite *quota_suite(void)
{
    Suite *s = suite_create("retry_quota");
    TCase *quota = tcase_create("quota"), *settings = tcase_create("settings");

    tcase_add_test(quota, costs_and_refunds);
    tcase_add_test(quota, an_empty_bucket_refuses_then_refills);
    tcase_add_test(quota, shared_by_threads);
    tcase_add_checked_fixture(settings, setup, teardown);
    tcase_add_test(settings, mode_and_attempts_from_environment_then_profile);
    tcase_add_test(settings, bad_settings_refused);
    tcase_add_test(settings, settings_read_once_per_client);
    suite_add_tcase(s, quota);
    suite_add_tcase(s, settings);
    return s;
}

int main(void)
{
    return run_suite(quota_suite()) ? 1 : 0;
}
