/*
 * The public-key work of one envelope, done directly through OpenSSL's EVP
 * API in one process, each call set up afresh as a library must (new
 * EVP_MD_CTX / EVP_PKEY_CTX per operation, OAEP parameters set each time):
 * a second floor beside `openssl speed`, which reuses its contexts. The gap
 * between the two is OpenSSL 3's per-call cost; the gap between this and
 * bench/ops.c is libenvelope's own.
 *
 * usage: evp_floor SIGN_KEY.pem DECRYPT_KEY.pem SECONDS
 * Prints "evp.NAME_us VALUE" lines: ecdsa_sign, ecdsa_verify, oaep_encrypt,
 * oaep_decrypt (microseconds per operation).
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MANIFEST_LEN 700 /* about the size of a one-recipient manifest */
#define DATA_KEY_LEN 32

static uint8_t manifest[MANIFEST_LEN], sig[256], data_key[DATA_KEY_LEN], wrapped[1024];
static size_t sig_len, wrapped_len;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sign(EVP_PKEY *k)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    sig_len = sizeof(sig);
    ok = md && EVP_DigestSignInit(md, NULL, EVP_sha512(), NULL, k) == 1 &&
         EVP_DigestSign(md, sig, &sig_len, manifest, sizeof(manifest)) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static int verify(EVP_PKEY *k)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha512(), NULL, k) == 1 &&
         EVP_DigestVerify(md, sig, sig_len, manifest, sizeof(manifest)) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static int oaep(EVP_PKEY_CTX *p)
{
    return EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_OAEP_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(p, EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(p, EVP_sha256()) == 1;
}

static int encrypt(EVP_PKEY *k)
{
    EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    int ok;

    wrapped_len = sizeof(wrapped);
    ok = p && EVP_PKEY_encrypt_init(p) == 1 && oaep(p) &&
         EVP_PKEY_encrypt(p, wrapped, &wrapped_len, data_key, sizeof(data_key)) == 1;
    EVP_PKEY_CTX_free(p);
    return ok;
}

static int decrypt(EVP_PKEY *k)
{
    EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    uint8_t out[512];
    size_t out_len = sizeof(out);
    int ok;

    ok = p && EVP_PKEY_decrypt_init(p) == 1 && oaep(p) &&
         EVP_PKEY_decrypt(p, out, &out_len, wrapped, wrapped_len) == 1 &&
         out_len == DATA_KEY_LEN;
    EVP_PKEY_CTX_free(p);
    return ok;
}

/* Microseconds per call of op(k) over the time budget; -1 on failure. */
static double time_op(int (*op)(EVP_PKEY *), EVP_PKEY *k, double seconds)
{
    double t0 = now(), t = 0;
    long n = 0;

    while (n < 3 || t < seconds) {
        if (!op(k))
            return -1;
        n++;
        t = now() - t0;
    }
    return t * 1e6 / (double)n;
}

static EVP_PKEY *load(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

    if (f)
        fclose(f);
    if (!k)
        fprintf(stderr, "evp_floor: cannot load %s\n", path);
    return k;
}

int main(int argc, char **argv)
{
    EVP_PKEY *signer, *recipient;
    double seconds, us[4];

    if (argc != 4 || (seconds = strtod(argv[3], NULL)) <= 0) {
        fprintf(stderr, "usage: evp_floor SIGN_KEY.pem DECRYPT_KEY.pem SECONDS\n");
        return 2;
    }
    if (!(signer = load(argv[1])) || !(recipient = load(argv[2])))
        return 1;
    for (size_t i = 0; i < sizeof(manifest); i++)
        manifest[i] = (uint8_t)('a' + i % 26);
    /* sign and encrypt first: verify and decrypt reuse their output */
    us[0] = time_op(sign, signer, seconds / 4);
    us[1] = time_op(verify, signer, seconds / 4);
    us[2] = time_op(encrypt, recipient, seconds / 4);
    us[3] = time_op(decrypt, recipient, seconds / 4);
    EVP_PKEY_free(signer);
    EVP_PKEY_free(recipient);
    for (int i = 0; i < 4; i++) {
        if (us[i] < 0) {
            fprintf(stderr, "evp_floor: an OpenSSL call failed\n");
            return 1;
        }
    }
    printf("evp.ecdsa_sign_us %.1f\nevp.ecdsa_verify_us %.1f\n", us[0], us[1]);
    printf("evp.oaep_encrypt_us %.1f\nevp.oaep_decrypt_us %.1f\n", us[2], us[3]);
    return 0;
}
