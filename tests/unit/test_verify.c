/* envelope_verify_manifest and envelope_verify_message_*: the offline check
 * of what envelope_open_extract() leaves. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

struct extracted {
    char *dir;
    uint8_t manifest[4200], sig[200], msg[64];
    size_t manifest_len, sig_len, msg_len;
};

static size_t slurp(const char *dir, const char *name, uint8_t *buf, size_t cap)
{
    char path[4096];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/out/%s", dir, name);
    ck_assert_ptr_nonnull(f = fopen(path, "rb"));
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* Seals "hello" as hello.txt to alice, opens it into DIR/out. */
static void extract(envelope_ctx *ctx, struct extracted *x)
{
    envelope_seal_opts *so;
    envelope_open_opts *oo;
    envelope_key *signer = load_test_key(ctx, "signer.pem"), *alice = load_test_key(ctx, "alice.pem");
    uint8_t *env;
    size_t env_len;
    char path[4096];
    int fd;

    ck_assert_rc(envelope_seal_opts_new(&so), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_sign_key(so, signer), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_add_recipient(so, alice), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_name(so, "hello.txt"), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, so, (const uint8_t *)"hello", 5, &env, &env_len),
                 ENVELOPE_OK);
    x->dir = make_temp_dir();
    snprintf(path, sizeof(path), "%s/env", x->dir);
    ck_assert_int_ge(fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600), 0);
    ck_assert_int_eq(write(fd, env, env_len), (ssize_t)env_len);
    lseek(fd, 0, SEEK_SET);
    ck_assert_rc(envelope_open_opts_new(&oo), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(oo, alice), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(oo, signer), ENVELOPE_OK);
    snprintf(path, sizeof(path), "%s/out", x->dir);
    ck_assert_rc(envelope_open_extract(ctx, oo, fd, path, NULL), ENVELOPE_OK);
    close(fd);
    x->manifest_len = slurp(x->dir, "manifest.json", x->manifest, sizeof(x->manifest));
    x->sig_len = slurp(x->dir, "manifest.sig", x->sig, sizeof(x->sig));
    x->msg_len = slurp(x->dir, "hello.txt", x->msg, sizeof(x->msg));
    envelope_free(env);
    envelope_open_opts_free(oo);
    envelope_seal_opts_free(so);
    envelope_key_free(signer);
    envelope_key_free(alice);
}

START_TEST(verifies_and_describes)
{
    envelope_ctx *ctx;
    struct extracted x;
    envelope_key *other, *signer;
    envelope_result *r = (envelope_result *)1;
    char fp[ENVELOPE_FINGERPRINT_SIZE];

    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    extract(ctx, &x);
    other = load_test_key(ctx, "other-signer.pub");
    signer = load_test_key(ctx, "signer.pub");
    envelope_key *keys[] = {other, signer};
    ck_assert_rc(envelope_verify_manifest(ctx, x.manifest, x.manifest_len, x.sig, x.sig_len,
                                          keys, 2, &r), ENVELOPE_OK);
    ck_assert_rc(envelope_key_fingerprint(ctx, signer, fp), ENVELOPE_OK);
    ck_assert_str_eq(envelope_result_signer(r), fp);
    ck_assert_str_eq(envelope_result_name(r), "hello.txt");
    ck_assert_uint_eq(envelope_result_size(r), 5);
    ck_assert_uint_eq(envelope_result_recipient_count(r), 1);
    ck_assert_ptr_nonnull(strstr(envelope_result_recipient(r, 0), "sha256:"));
    ck_assert_rc(envelope_verify_message_mem(ctx, r, x.msg, x.msg_len), ENVELOPE_OK);
    ck_assert_rc(envelope_verify_message_mem(ctx, r, (const uint8_t *)"hellO", 5),
                 ENVELOPE_E_MESSAGE_MISMATCH);
    ck_assert_rc(envelope_verify_message_mem(ctx, r, (const uint8_t *)"hello!", 6),
                 ENVELOPE_E_MESSAGE_MISMATCH);
    ck_assert_ptr_nonnull(strstr(envelope_ctx_detail(ctx), "longer"));
    envelope_result_free(r);
    rm_tree(x.dir);
    free(x.dir);
    envelope_key_free(other);
    envelope_key_free(signer);
    envelope_ctx_free(ctx);
}
END_TEST

START_TEST(rejects_untrusted_and_altered)
{
    envelope_ctx *ctx;
    struct extracted x;
    envelope_key *other, *signer;
    envelope_result *r = (envelope_result *)1;

    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    extract(ctx, &x);
    other = load_test_key(ctx, "other-signer.pub");
    signer = load_test_key(ctx, "signer.pub");
    ck_assert_rc(envelope_verify_manifest(ctx, x.manifest, x.manifest_len, x.sig, x.sig_len,
                                          &other, 1, &r), ENVELOPE_E_UNTRUSTED_SIGNER);
    ck_assert_ptr_null(r);
    /* The manifest is not parsed before its signature verifies: the
     * signer it names is not repeated. */
    ck_assert_str_eq(envelope_ctx_detail(ctx), "signer unknown; 1 key tried");
    x.manifest[40] ^= 1;
    ck_assert_rc(envelope_verify_manifest(ctx, x.manifest, x.manifest_len, x.sig, x.sig_len,
                                          &signer, 1, &r), ENVELOPE_E_UNTRUSTED_SIGNER);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "signer unknown; 1 key tried");
    ck_assert_rc(envelope_verify_manifest(ctx, x.manifest, x.manifest_len, x.sig, 0, &signer, 1,
                                          &r), ENVELOPE_E_UNTRUSTED_SIGNER);
    ck_assert_rc(envelope_verify_manifest(ctx, x.manifest, x.manifest_len, x.sig, x.sig_len,
                                          &signer, 0, &r), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_rc(envelope_verify_manifest(ctx, x.manifest, 5000, x.sig, x.sig_len, &signer, 1,
                                          &r), ENVELOPE_E_BAD_MANIFEST);
    rm_tree(x.dir);
    free(x.dir);
    envelope_key_free(other);
    envelope_key_free(signer);
    envelope_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("verify");

    tcase_add_test(tc, verifies_and_describes);
    tcase_add_test(tc, rejects_untrusted_and_altered);
    suite_add_tcase(s, tc);
    return run_suite(s) ? 1 : 0;
}
