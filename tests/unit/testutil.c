/* Helpers shared by the Check suites. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *key_path(const char *name)
{
    static __thread char path[PATH_MAX];

    snprintf(path, sizeof(path), "tests/keys/%s", name);
    return path;
}

envelope_key *load_test_key(envelope_ctx *ctx, const char *name)
{
    envelope_key *key = NULL;
    envelope_rc rc = envelope_key_load(ctx, key_path(name), NULL, NULL, &key);

    ck_assert_msg(rc == ENVELOPE_OK, "loading %s: %s (%s)", name, envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    return key;
}

char *make_temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char *dir;

    ck_assert_int_ge(asprintf(&dir, "%s/envelope-test-XXXXXX", base && *base ? base : "/tmp"), 0);
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
    return dir;
}

void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];
    struct stat st;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;

    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}

/* ------------------------------------------------------------ environment */

int test_slow(void)
{
    const char *v = getenv("ENVELOPE_TEST_SLOW");

    return !(v && strcmp(v, "0") == 0);
}

int test_exhaustive(void)
{
    const char *v = getenv("ENVELOPE_TEST_SLOW");

    return v && strcmp(v, "2") == 0;
}

envelope_ctx *new_ctx(void)
{
    envelope_ctx *ctx = NULL;

    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    return ctx;
}

/* ------------------------------------------------------------------ bytes */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint8_t *hex_decode(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    uint8_t *p;

    ck_assert_msg(n % 2 == 0, "odd hex length %zu", n);
    p = malloc(n / 2 + 1);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

        ck_assert_msg(hi >= 0 && lo >= 0, "bad hex at %zu", 2 * i);
        p[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return p;
}

static void digest_hex(const EVP_MD *md, const uint8_t *p, size_t n, char *out)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    static const char digits[] = "0123456789abcdef";

    ck_assert_msg(EVP_Digest(p, n, d, &dn, md, NULL) == 1, "EVP_Digest(%s) failed",
                  EVP_MD_get0_name(md));
    for (unsigned i = 0; i < dn; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * dn] = '\0';
}

void sha512_hex(const uint8_t *p, size_t n, char out[129])
{
    digest_hex(EVP_sha512(), p, n, out);
}

void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    digest_hex(EVP_sha256(), p, n, out);
}

uint8_t *fd_contents(int fd, size_t *len)
{
    size_t cap = 65536, n = 0;
    uint8_t *p = malloc(cap + 1);
    ssize_t r;

    ck_assert_ptr_nonnull(p);
    ck_assert_msg(lseek(fd, 0, SEEK_SET) == 0, "lseek fd %d: %s", fd, strerror(errno));
    while ((r = read(fd, p + n, cap - n)) != 0) {
        ck_assert_msg(r > 0, "read: %s", strerror(errno));
        n += (size_t)r;
        if (n == cap) {
            cap *= 2;
            p = realloc(p, cap + 1);
            ck_assert_ptr_nonnull(p);
        }
    }
    p[n] = '\0';
    *len = n;
    return p;
}

uint8_t *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t *p;

    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    p = fd_contents(fd, len);
    close(fd);
    return p;
}

void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_msg(fwrite(p, 1, n, f) == n, "%s: short write: %s", path, strerror(errno));
    ck_assert_msg(fclose(f) == 0, "%s: %s", path, strerror(errno));
}

int mem_fd(const uint8_t *p, size_t n)
{
    int fd = memfd_create("envelope-test", MFD_CLOEXEC);
    size_t done = 0;

    ck_assert_msg(fd >= 0, "memfd_create: %s", strerror(errno));
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);

        ck_assert_msg(w > 0, "write: %s", strerror(errno));
        done += (size_t)w;
    }
    ck_assert_msg(lseek(fd, 0, SEEK_SET) == 0, "lseek: %s", strerror(errno));
    return fd;
}

/* ------------------------------------------------------- whole envelopes */

envelope_seal_opts *seal_opts_for(envelope_ctx *ctx, envelope_key *const *recipients,
                                  size_t n, time_t created)
{
    envelope_seal_opts *opts = NULL;
    envelope_key *signer = load_test_key(ctx, "signer.pem");

    ck_assert_rc(envelope_seal_opts_new(&opts), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_sign_key(opts, signer), ENVELOPE_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_rc(envelope_seal_opts_add_recipient(opts, recipients[i]), ENVELOPE_OK);
    if (created)
        ck_assert_rc(envelope_seal_opts_set_created(opts, created), ENVELOPE_OK);
    envelope_key_free(signer);
    return opts;
}

envelope_open_opts *open_opts_for(envelope_ctx *ctx, envelope_key *decrypt)
{
    envelope_open_opts *opts = NULL;
    envelope_key *trusted = load_test_key(ctx, "signer.pub");

    ck_assert_rc(envelope_open_opts_new(&opts), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(opts, decrypt), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(opts, trusted), ENVELOPE_OK);
    envelope_key_free(trusted);
    return opts;
}

uint8_t *seal_to_alice(envelope_ctx *ctx, const uint8_t *msg, size_t n, size_t *len)
{
    envelope_key *alice = load_test_key(ctx, "alice.pub");
    envelope_seal_opts *opts = seal_opts_for(ctx, &alice, 1, TEST_CREATED);
    uint8_t *env = NULL;
    envelope_rc rc = envelope_seal_mem(ctx, opts, msg, n, &env, len);

    ck_assert_msg(rc == ENVELOPE_OK, "seal: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    envelope_seal_opts_free(opts);
    envelope_key_free(alice);
    return env;
}

void assert_open_fails(envelope_ctx *ctx, const envelope_open_opts *opts, const uint8_t *env,
                       size_t len, envelope_rc want, const char *scratch, int file_too,
                       const char *what)
{
    uint8_t *out = (uint8_t *)"not touched";
    size_t out_len = 12345;
    envelope_result *result = (envelope_result *)&out_len;
    envelope_rc rc = envelope_open_mem(ctx, opts, env, len, &out, &out_len, &result);
    char path[PATH_MAX];
    int fd, n_left;

    ck_assert_msg(rc == want, "%s: open_mem gave %s (%s), want %s", what, envelope_rc_name(rc),
                  envelope_ctx_detail(ctx), envelope_rc_name(want));
    ck_assert_msg(out == NULL && out_len == 0 && result == NULL,
                  "%s: open_mem failed but left output %p (%zu bytes), result %p", what,
                  (void *)out, out_len, (void *)result);
    if (!file_too)
        return;
    snprintf(path, sizeof(path), "%s/out", scratch);
    fd = mem_fd(env, len);
    result = (envelope_result *)&out_len;
    rc = envelope_open_file(ctx, opts, fd, path, 0, &result);
    close(fd);
    ck_assert_msg(rc == want, "%s: open_file gave %s (%s), want %s", what,
                  envelope_rc_name(rc), envelope_ctx_detail(ctx), envelope_rc_name(want));
    ck_assert_msg(result == NULL, "%s: open_file failed but left result %p", what,
                  (void *)result);
    n_left = count_entries(scratch);
    ck_assert_msg(n_left == 0, "%s: open_file failed but left %d entries in %s", what, n_left,
                  scratch);
}

void assert_open_ok(envelope_ctx *ctx, const envelope_open_opts *opts, const uint8_t *env,
                    size_t len, const char *what)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    envelope_rc rc = envelope_open_mem(ctx, opts, env, len, &out, &out_len, NULL);

    ck_assert_msg(rc == ENVELOPE_OK, "%s: open_mem gave %s (%s)", what, envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_msg(out != NULL, "%s: open_mem succeeded with no output (%zu bytes)", what,
                  out_len);
    envelope_free_secret(out, out_len);
}

/* Every AWS and library KMS setting of the environment unset, and the
 * shared files and instance metadata out of reach: never the real ones. */
void isolate_aws_env(void)
{
    static const char *const names[] = {
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_STS",
        "AWS_USE_FIPS_ENDPOINT", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_SESSION_NAME", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_METADATA_SERVICE_TIMEOUT",
        "AWS_METADATA_SERVICE_NUM_ATTEMPTS", "ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS",
        "ENVELOPE_KMS_TIMEOUT_MS", "ENVELOPE_KMS_CONNECT_TIMEOUT_MS"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

/* The envelope and archive forger shares the suites' link line: the
 * Makefile links testutil.c, and only it, into each suite. */
#include "forge.c"
