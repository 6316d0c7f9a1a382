/* Outputs that appear whole and checked, or not at all
 * (docs/DESIGN.md, "Outputs appear whole, or not at all"):
 * files, extracted directories, descriptors, callbacks and spools, on
 * success and on failure, with and without force. */
/* RAND_set_rand_method: the one way to fix the temporary name output.c draws. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testutil.h"
#include "io/output.h"

static envelope_ctx *ctx;
static envelope_key *alice;
static envelope_open_opts *opts;
static char *dir;
static uint8_t *msg, *env, *bad_env; /* bad_env: env with a payload byte flipped */
static size_t msg_len = 100000, env_len;
static mode_t old_umask;

/* The modes asserted below are of files the library creates; files the
 * tests make themselves come out 0644 under this umask. */
static void setup(void)
{
    old_umask = umask(022);
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    opts = open_opts_for(ctx, alice);
    dir = make_temp_dir();
    msg = pattern(msg_len, 31);
    env = seal_to_alice(ctx, msg, msg_len, &env_len);
    bad_env = malloc(env_len);
    memcpy(bad_env, env, env_len);
    bad_env[env_len - 100] ^= 0x01;
}

static void teardown(void)
{
    free(bad_env);
    free(env);
    free(msg);
    rm_tree(dir);
    free(dir);
    envelope_open_opts_free(opts);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
    umask(old_umask);
}

static const char *in_dir(const char *name)
{
    static char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

static envelope_rc open_to(const uint8_t *e, size_t len, const char *path, int force)
{
    envelope_result *r = (envelope_result *)1;
    int fd = mem_fd(e, len);
    envelope_rc rc = envelope_open_file(ctx, opts, fd, path, force, &r);

    close(fd);
    if (rc == ENVELOPE_OK)
        envelope_result_free(r);
    else
        ck_assert_ptr_null(r);
    return rc;
}

static void assert_file(const char *path, const uint8_t *want, size_t n, mode_t mode)
{
    struct stat st;
    size_t len;
    uint8_t *got = read_file(path, &len);

    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file", path);
    ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %o, want %o", path,
                  (unsigned)(st.st_mode & 07777), (unsigned)mode);
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(got, want, n);
    free(got);
}

static const uint8_t precious[] = "precious, not to be lost";

/* ------------------------------------------------------------ open_file */

START_TEST(open_file_private_and_alone)
{
    ck_assert_rc(open_to(env, env_len, in_dir("out"), 0), ENVELOPE_OK);
    assert_file(in_dir("out"), msg, msg_len, 0600);
    ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

START_TEST(open_file_existing)
{
    write_file(in_dir("out"), precious, sizeof(precious));
    chmod(in_dir("out"), 0644);
    ck_assert_rc(open_to(env, env_len, in_dir("out"), 0), ENVELOPE_E_OUTPUT_EXISTS);
    assert_file(in_dir("out"), precious, sizeof(precious), 0644);
    /* forced but failing: the old file stays as it was */
    ck_assert_rc(open_to(bad_env, env_len, in_dir("out"), 1), ENVELOPE_E_TAMPERED);
    assert_file(in_dir("out"), precious, sizeof(precious), 0644);
    ck_assert_int_eq(count_entries(dir), 1);
    /* forced: replaced, private */
    ck_assert_rc(open_to(env, env_len, in_dir("out"), 1), ENVELOPE_OK);
    assert_file(in_dir("out"), msg, msg_len, 0600);
    ck_assert_int_eq(count_entries(dir), 1);
}
END_TEST

/* A symlink at the destination is an existing file; forcing replaces the
 * link, never what it points to. */
START_TEST(open_file_symlink)
{
    write_file(in_dir("victim"), precious, sizeof(precious));
    ck_assert_int_eq(symlink("victim", in_dir("link")), 0);
    ck_assert_int_eq(symlink("nowhere", in_dir("dangling")), 0);
    ck_assert_rc(open_to(env, env_len, in_dir("link"), 0), ENVELOPE_E_OUTPUT_EXISTS);
    ck_assert_rc(open_to(env, env_len, in_dir("dangling"), 0), ENVELOPE_E_OUTPUT_EXISTS);
    ck_assert_int_eq(access(in_dir("nowhere"), F_OK), -1);
    ck_assert_rc(open_to(env, env_len, in_dir("link"), 1), ENVELOPE_OK);
    assert_file(in_dir("link"), msg, msg_len, 0600);
    assert_file(in_dir("victim"), precious, sizeof(precious), 0644);
}
END_TEST

START_TEST(open_file_failures_leave_nothing)
{
    envelope_key *other = load_test_key(ctx, "other-signer.pub");
    envelope_open_opts *o = NULL;
    char what[] = "untrusted";

    assert_open_fails(ctx, opts, bad_env, env_len, ENVELOPE_E_TAMPERED, dir, 1, "tampered");
    assert_open_fails(ctx, opts, env, env_len - 1, ENVELOPE_E_TAMPERED, dir, 1, "cut");
    /* a failure after the whole message was written out */
    ck_assert_int_eq(envelope_open_opts_new(&o), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(o, alice), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(o, other), ENVELOPE_OK);
    assert_open_fails(ctx, o, env, env_len, ENVELOPE_E_UNTRUSTED_SIGNER, dir, 1, what);
    envelope_open_opts_free(o);
    envelope_key_free(other);
    /* no such directory */
    ck_assert_rc(open_to(env, env_len, in_dir("missing/out"), 0), ENVELOPE_E_IO);
    ck_assert_int_eq(count_entries(dir), 0);
}
END_TEST

/* --------------------------------------------------------------- extract */

static envelope_rc extract_to(const uint8_t *e, size_t len, const char *path,
                              const envelope_open_opts *o)
{
    envelope_result *r = (envelope_result *)1;
    int fd = mem_fd(e, len);
    envelope_rc rc = envelope_open_extract(ctx, o, fd, path, &r);

    close(fd);
    if (rc == ENVELOPE_OK)
        envelope_result_free(r);
    else
        ck_assert_ptr_null(r);
    return rc;
}

/* manifest.sig verifies over manifest.json with plain OpenSSL, as the
 * offline check of FORMAT.md, "Signature" does. */
static void assert_signed(const char *json_path, const char *sig_path)
{
    envelope_key *pub = load_test_key(ctx, "signer.pub");
    uint8_t *der = NULL, *json, *sig;
    size_t der_len, json_len, sig_len;
    const unsigned char *p;
    EVP_PKEY *pkey;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    ck_assert_rc(envelope_key_public_der(ctx, pub, &der, &der_len), ENVELOPE_OK);
    p = der;
    pkey = d2i_PUBKEY(NULL, &p, (long)der_len);
    ck_assert_ptr_nonnull(pkey);
    json = read_file(json_path, &json_len);
    sig = read_file(sig_path, &sig_len);
    ck_assert_int_eq(EVP_DigestVerifyInit_ex(md, NULL, "SHA512", NULL, NULL, pkey, NULL), 1);
    ck_assert_int_eq(EVP_DigestVerify(md, sig, sig_len, json, json_len), 1);
    ck_assert_mem_eq(json, "{\"format\":\"libenvelope/1\",", 26);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    envelope_free(der);
    free(json);
    free(sig);
    envelope_key_free(pub);
}

START_TEST(extract_directory)
{
    char path[PATH_MAX];

    ck_assert_rc(extract_to(env, env_len, in_dir("x"), opts), ENVELOPE_OK);
    ck_assert_int_eq(count_entries(dir), 1);
    ck_assert_int_eq(count_entries(in_dir("x")), 3);
    snprintf(path, sizeof(path), "%s/x/message", dir);
    assert_file(path, msg, msg_len, 0600);
    {
        char json[PATH_MAX], sig[PATH_MAX];
        struct stat st;

        snprintf(json, sizeof(json), "%s/x/manifest.json", dir);
        snprintf(sig, sizeof(sig), "%s/x/manifest.sig", dir);
        ck_assert_int_eq(stat(json, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
        assert_signed(json, sig);
    }
}
END_TEST

START_TEST(extract_refuses_existing)
{
    ck_assert_int_eq(mkdir(in_dir("x"), 0755), 0);
    write_file(in_dir("x/keep"), precious, sizeof(precious));
    ck_assert_rc(extract_to(env, env_len, in_dir("x"), opts), ENVELOPE_E_OUTPUT_EXISTS);
    ck_assert_int_eq(count_entries(in_dir("x")), 1);
    write_file(in_dir("f"), precious, sizeof(precious));
    ck_assert_rc(extract_to(env, env_len, in_dir("f"), opts), ENVELOPE_E_OUTPUT_EXISTS);
    assert_file(in_dir("f"), precious, sizeof(precious), 0644);
    ck_assert_int_eq(count_entries(dir), 2);
}
END_TEST

/* renameat2() as a file system without RENAME_NOREPLACE gives it (NFS,
 * CIFS, many FUSE file systems): EINVAL for any flag. Defined here, it
 * stands in for the C library's for the library's code linked into this
 * test. */
static int renameat2_lacks_flags;

int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags)
{
    if (renameat2_lacks_flags && flags != 0) {
        errno = EINVAL;
        return -1;
    }
    return (int)syscall(SYS_renameat2, from_dir, from, to_dir, to, flags);
}

/* Something appears where the extracted directory is to go while it is
 * being filled: it is never replaced, with RENAME_NOREPLACE or without
 * it, not even an empty directory where the file system has the flag. */
START_TEST(extract_commit_never_replaces)
{
    for (int lacks = 0; lacks < 2; lacks++) {
        for (int what = 0; what < 4; what++) {
            struct out_dir d;
            char y[PATH_MAX];
            int fd;

            renameat2_lacks_flags = lacks;
            snprintf(y, sizeof(y), "%s", in_dir("y"));
            ck_assert_rc(out_dir_begin(ctx, &d, y), ENVELOPE_OK);
            ck_assert_rc(out_dir_create(ctx, &d, "message", &fd), ENVELOPE_OK);
            ck_assert_int_eq(write(fd, msg, 100), 100);
            close(fd);
            if (what == 1 || what == 2)
                ck_assert_int_eq(mkdir(y, 0755), 0);
            if (what == 2)
                write_file(in_dir("y/keep"), precious, sizeof(precious));
            if (what == 3)
                write_file(y, precious, sizeof(precious));
            ck_assert_msg(out_dir_commit(ctx, &d, 0) ==
                              (what == 0 ? ENVELOPE_OK : ENVELOPE_E_OUTPUT_EXISTS),
                          "without the flag %d, case %d: %s", lacks, what,
                          envelope_ctx_detail(ctx));
            out_dir_abort(&d);
            if (what == 0 || what == 1)
                ck_assert_int_eq(count_entries(y), what == 0 ? 1 : 0);
            if (what == 2) {
                ck_assert_int_eq(count_entries(y), 1);
                assert_file(in_dir("y/keep"), precious, sizeof(precious), 0644);
                ck_assert_int_eq(unlink(in_dir("y/keep")), 0);
            }
            if (what == 3) {
                assert_file(y, precious, sizeof(precious), 0644);
                ck_assert_int_eq(unlink(y), 0);
            } else {
                if (what == 0)
                    ck_assert_int_eq(unlink(in_dir("y/message")), 0);
                ck_assert_int_eq(rmdir(y), 0);
            }
            ck_assert_int_eq(count_entries(dir), 0); /* no temporary directory left */
        }
    }
    renameat2_lacks_flags = 0;
}
END_TEST

START_TEST(extract_failures_leave_nothing)
{
    envelope_key *other = load_test_key(ctx, "other-signer.pub");
    envelope_open_opts *o = NULL;

    ck_assert_rc(extract_to(bad_env, env_len, in_dir("x"), opts), ENVELOPE_E_TAMPERED);
    ck_assert_int_eq(count_entries(dir), 0);
    ck_assert_int_eq(envelope_open_opts_new(&o), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(o, alice), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(o, other), ENVELOPE_OK);
    ck_assert_rc(extract_to(env, env_len, in_dir("x"), o), ENVELOPE_E_UNTRUSTED_SIGNER);
    ck_assert_int_eq(count_entries(dir), 0);
    envelope_open_opts_free(o);
    envelope_key_free(other);
}
END_TEST

/* ------------------------------------------------------------ seal_file */

static envelope_rc seal_to_path(const char *path, int force, int cancel);

static int cancel_now(void *arg, uint64_t done, uint64_t total)
{
    (void)arg;
    (void)done;
    (void)total;
    return 1;
}

static envelope_rc seal_to_path(const char *path, int force, int cancel)
{
    envelope_key *pub = load_test_key(ctx, "alice.pub");
    envelope_seal_opts *so = seal_opts_for(ctx, &pub, 1, TEST_CREATED);
    int fd = mem_fd(msg, msg_len);
    envelope_rc rc;

    if (cancel)
        ck_assert_rc(envelope_seal_opts_set_progress(so, cancel_now, NULL), ENVELOPE_OK);
    rc = envelope_seal_file(ctx, so, fd, path, force);
    close(fd);
    envelope_seal_opts_free(so);
    envelope_key_free(pub);
    return rc;
}

START_TEST(seal_file_outputs)
{
    struct stat st;
    size_t len;
    uint8_t *sealed;

    ck_assert_rc(seal_to_path(in_dir("e"), 0, 0), ENVELOPE_OK);
    ck_assert_int_eq(stat(in_dir("e"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644); /* ciphertext, to be handed on */
    sealed = read_file(in_dir("e"), &len);
    assert_open_ok(ctx, opts, sealed, len, "sealed file");
    free(sealed);
    ck_assert_rc(seal_to_path(in_dir("e"), 0, 0), ENVELOPE_E_OUTPUT_EXISTS);
    /* a failed seal leaves neither a file nor a temporary */
    ck_assert_rc(seal_to_path(in_dir("f"), 0, 1), ENVELOPE_E_CANCELLED);
    ck_assert_int_eq(count_entries(dir), 1);
    /* nor harms what it was forced to replace */
    write_file(in_dir("p"), precious, sizeof(precious));
    ck_assert_rc(seal_to_path(in_dir("p"), 1, 1), ENVELOPE_E_CANCELLED);
    assert_file(in_dir("p"), precious, sizeof(precious), 0644);
    ck_assert_rc(seal_to_path(in_dir("p"), 1, 0), ENVELOPE_OK);
    sealed = read_file(in_dir("p"), &len);
    assert_open_ok(ctx, opts, sealed, len, "forced");
    free(sealed);
    ck_assert_int_eq(count_entries(dir), 2);
}
END_TEST

/* ---------------------------------------------- descriptors, callbacks */

/* Nothing reaches the caller's descriptor before every check passed. */
START_TEST(open_fd_writes_nothing_on_failure)
{
    envelope_result *r = (envelope_result *)1;
    int in = mem_fd(bad_env, env_len), out = mem_fd(NULL, 0);
    struct stat st;

    ck_assert_rc(envelope_open_fd(ctx, opts, in, out, &r), ENVELOPE_E_TAMPERED);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(fstat(out, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    close(in);
    close(out);
}
END_TEST

static int count_writes(void *arg, const uint8_t *p, size_t n)
{
    (void)p;
    (void)n;
    ++*(int *)arg;
    return 0;
}

struct mem_src {
    const uint8_t *p;
    size_t left;
};

static ssize_t mem_src_read(void *arg, uint8_t *buf, size_t len)
{
    struct mem_src *s = arg;
    size_t n = len < s->left ? len : s->left;

    memcpy(buf, s->p, n);
    s->p += n;
    s->left -= n;
    return (ssize_t)n;
}

START_TEST(open_cb_writes_nothing_on_failure)
{
    struct mem_src src = {bad_env, env_len};
    int writes = 0;
    envelope_result *r = (envelope_result *)1;

    ck_assert_rc(envelope_open_cb(ctx, opts, mem_src_read, &src, count_writes, &writes, &r),
                 ENVELOPE_E_TAMPERED);
    ck_assert_int_eq(writes, 0);
    ck_assert_ptr_null(r);
    src = (struct mem_src){env, env_len};
    ck_assert_rc(envelope_open_cb(ctx, opts, mem_src_read, &src, count_writes, &writes, NULL),
                 ENVELOPE_OK);
    ck_assert_int_gt(writes, 0);
}
END_TEST

/* A write callback that fails after the checks: IO, and no result. */
static int fail_write(void *arg, const uint8_t *p, size_t n)
{
    (void)arg;
    (void)p;
    (void)n;
    return -1;
}

START_TEST(open_cb_write_error)
{
    struct mem_src src = {env, env_len};
    envelope_result *r = (envelope_result *)1;

    ck_assert_rc(envelope_open_cb(ctx, opts, mem_src_read, &src, fail_write, NULL, &r),
                 ENVELOPE_E_IO);
    ck_assert_ptr_null(r);
}
END_TEST

/* Spools are unnamed: $TMPDIR holds nothing during or after. */
START_TEST(spools_leave_no_names)
{
    char *tmp = make_temp_dir(), *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    int in, out, pipefd[2];
    envelope_key *pub = load_test_key(ctx, "alice.pub");
    envelope_seal_opts *so = seal_opts_for(ctx, &pub, 1, TEST_CREATED);

    setenv("TMPDIR", tmp, 1);
    in = mem_fd(env, env_len);
    out = mem_fd(NULL, 0);
    ck_assert_rc(envelope_open_fd(ctx, opts, in, out, NULL), ENVELOPE_OK);
    close(in);
    close(out);
    in = mem_fd(bad_env, env_len);
    out = mem_fd(NULL, 0);
    ck_assert_rc(envelope_open_fd(ctx, opts, in, out, NULL), ENVELOPE_E_TAMPERED);
    close(in);
    close(out);
    ck_assert_int_eq(pipe(pipefd), 0);
    ck_assert_int_eq(write(pipefd[1], "piped message", 13), 13);
    close(pipefd[1]);
    out = mem_fd(NULL, 0);
    ck_assert_rc(envelope_seal_fd(ctx, so, pipefd[0], out), ENVELOPE_OK);
    close(pipefd[0]);
    close(out);
    ck_assert_int_eq(count_entries(tmp), 0);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    envelope_seal_opts_free(so);
    envelope_key_free(pub);
    rm_tree(tmp);
    free(tmp);
}
END_TEST

static int rand_zeros(unsigned char *buf, int num)
{
    memset(buf, 0, (size_t)num);
    return 1;
}

/* Where the temporary name is taken already (here: the random draw fixed,
 * and a file of the user's at that name), the output fails and its abort
 * leaves that file alone: it removes only what it made. */
START_TEST(named_output_spares_a_file_at_its_temporary_name)
{
    static const RAND_METHOD zeros = {.bytes = rand_zeros, .pseudorand = rand_zeros};
    struct out_file f;
    char path[PATH_MAX], taken[PATH_MAX + 32];
    struct stat st;
    envelope_rc rc;

    snprintf(path, sizeof(path), "%s/out.env", dir);
    snprintf(taken, sizeof(taken), "%s.0000000000000000.tmp", path);
    write_file(taken, (const uint8_t *)"the user's", 10);
    ck_assert(RAND_set_rand_method(&zeros) == 1);
    rc = out_file_begin_named(ctx, &f, path, 0);
    ck_assert(RAND_set_rand_method(RAND_OpenSSL()) == 1);
    ck_assert_msg(rc == ENVELOPE_E_IO && strstr(envelope_ctx_detail(ctx), "File exists"),
                  "begin: %s (%s)", envelope_rc_name(rc), envelope_ctx_detail(ctx));
    out_file_abort(&f);
    ck_assert_msg(stat(taken, &st) == 0 && st.st_size == 10, "the file at %s is gone", taken);
    ck_assert_msg(stat(path, &st) != 0, "%s appeared", path);
}
END_TEST

static Suite *outputs_suite(void)
{
    Suite *s = suite_create("outputs");
    TCase *files = tcase_create("files"), *streams = tcase_create("streams");

    tcase_add_checked_fixture(files, setup, teardown);
    tcase_add_checked_fixture(streams, setup, teardown);
    tcase_add_test(files, open_file_private_and_alone);
    tcase_add_test(files, open_file_existing);
    tcase_add_test(files, open_file_symlink);
    tcase_add_test(files, open_file_failures_leave_nothing);
    tcase_add_test(files, extract_directory);
    tcase_add_test(files, extract_refuses_existing);
    tcase_add_test(files, extract_commit_never_replaces);
    tcase_add_test(files, extract_failures_leave_nothing);
    tcase_add_test(files, seal_file_outputs);
    tcase_add_test(streams, open_fd_writes_nothing_on_failure);
    tcase_add_test(streams, open_cb_writes_nothing_on_failure);
    tcase_add_test(streams, open_cb_write_error);
    tcase_add_test(streams, spools_leave_no_names);
    tcase_add_test(streams, named_output_spares_a_file_at_its_temporary_name);
    tcase_set_timeout(files, 30);
    tcase_set_timeout(streams, 30);
    suite_add_tcase(s, files);
    suite_add_tcase(s, streams);
    return s;
}

int main(void)
{
    return run_suite(outputs_suite()) ? 1 : 0;
}
