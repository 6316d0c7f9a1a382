/* What the fault tests look for in detail texts: every secret they can know
 * from outside the library, in the forms it could leak in. The data and
 * payload keys are recovered here with OpenSSL from the envelope and
 * alice.pem, so that the library needs no hook to show them. */
#define _GNU_SOURCE
#include "faults_secrets.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRETS_MAX 256
#define PROBE 12 /* bytes of a binary secret looked for, raw and in hex */

static struct {
    char *p;
    size_t len;
} secrets[SECRETS_MAX];
static size_t n_secrets;

static void add(const void *p, size_t len)
{
    if (len == 0 || n_secrets == SECRETS_MAX || (secrets[n_secrets].p = malloc(len)) == NULL)
        return;
    memcpy(secrets[n_secrets].p, p, len);
    secrets[n_secrets++].len = len;
}

/* A binary secret: its first bytes raw, and in lower and upper case hex. */
static void add_binary(const uint8_t *p, size_t len)
{
    char lo[2 * PROBE + 1], up[2 * PROBE + 1];
    size_t n = len < PROBE ? len : PROBE;

    add(p, n);
    for (size_t i = 0; i < n; i++) {
        snprintf(lo + 2 * i, 3, "%02x", p[i]);
        snprintf(up + 2 * i, 3, "%02X", p[i]);
    }
    add(lo, 2 * n);
    add(up, 2 * n);
}

static EVP_PKEY *load_private(const char *keys_dir, const char *name, const char *pass)
{
    char path[4096];
    FILE *f;
    EVP_PKEY *k;

    snprintf(path, sizeof(path), "%s/%s", keys_dir, name);
    if ((f = fopen(path, "r")) == NULL)
        return NULL;
    k = PEM_read_PrivateKey(f, NULL, NULL, (void *)pass);
    fclose(f);
    return k;
}

/* Each base64 line of the PEM body (its first 24 characters). */
static void add_pem_lines(const char *keys_dir, const char *name)
{
    char path[4096], line[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", keys_dir, name);
    if ((f = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "-----", 5) != 0 && strlen(line) > 24)
            add(line, 24);
    fclose(f);
}

static void add_bn_param(EVP_PKEY *k, const char *param)
{
    BIGNUM *bn = NULL;
    uint8_t buf[1024];
    int n;

    if (EVP_PKEY_get_bn_param(k, param, &bn) == 1 && (n = BN_bn2bin(bn, buf)) > 0) {
        add_binary(buf, (size_t)n);
        OPENSSL_cleanse(buf, sizeof(buf));
    }
    BN_clear_free(bn);
}

/* Unwraps the first stanza the key opens (FORMAT.md, "Header" and "Keys"). */
static int data_and_payload_key(EVP_PKEY *alice, const uint8_t *env, size_t n, uint8_t dk[32],
                                uint8_t pk[32])
{
    size_t hlen, pos = 37, len;
    uint8_t salt[32], out[512];
    EVP_PKEY_CTX *c;
    int ok = 0;

    if (n < 37)
        return 0;
    hlen = ((size_t)env[12] << 24) | ((size_t)env[13] << 16) | ((size_t)env[14] << 8) | env[15];
    for (unsigned i = 0; i < env[36] && pos + 4 <= hlen && hlen <= n && !ok; i++) {
        size_t label = ((size_t)env[pos] << 8) | env[pos + 1], wlen;

        pos += 2 + label;
        wlen = ((size_t)env[pos] << 8) | env[pos + 1];
        pos += 2;
        len = sizeof(out);
        c = EVP_PKEY_CTX_new(alice, NULL);
        ok = c && EVP_PKEY_decrypt_init(c) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) == 1 &&
             EVP_PKEY_decrypt(c, out, &len, env + pos, wlen) == 1 && len == 32;
        EVP_PKEY_CTX_free(c);
        pos += wlen;
    }
    if (!ok)
        return 0;
    memcpy(dk, out, 32);
    OPENSSL_cleanse(out, sizeof(out));
    if (EVP_Digest(env, hlen, salt, NULL, EVP_sha256(), NULL) != 1)
        return 0;
    {
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        EVP_KDF_CTX *k = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, dk, 32),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, 32),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, "libenvelope/1 payload", 21),
            OSSL_PARAM_construct_end()};

        ok = k && EVP_KDF_derive(k, pk, 32, params) == 1;
        EVP_KDF_CTX_free(k);
        EVP_KDF_free(kdf);
    }
    return ok;
}

void secrets_learn(const char *keys_dir, const char *passphrase, const char *wrong_passphrase,
                   const uint8_t *msg, size_t msg_len, const char *env_path)
{
    EVP_PKEY *signer = load_private(keys_dir, "signer.pem", NULL);
    EVP_PKEY *alice = load_private(keys_dir, "alice.pem", NULL);
    uint8_t env[65536 + 4096], dk[32], pk[32];
    FILE *f = fopen(env_path, "rb");
    size_t n = f ? fread(env, 1, sizeof(env), f) : 0;

    if (f)
        fclose(f);
    if (signer == NULL || alice == NULL) {
        fprintf(stderr, "faults: cannot read the test keys\n");
        exit(2);
    }
    add(passphrase, strlen(passphrase));
    add(wrong_passphrase, strlen(wrong_passphrase));
    add(msg, msg_len < 16 ? msg_len : 16);
    add_pem_lines(keys_dir, "signer.pem");
    add_pem_lines(keys_dir, "alice.pem");
    add_pem_lines(keys_dir, "alice-encrypted.pem");
    add_bn_param(signer, OSSL_PKEY_PARAM_PRIV_KEY);
    add_bn_param(alice, OSSL_PKEY_PARAM_RSA_D);
    add_bn_param(alice, OSSL_PKEY_PARAM_RSA_FACTOR1);
    add_bn_param(alice, OSSL_PKEY_PARAM_RSA_FACTOR2);
    if (!data_and_payload_key(alice, env, n, dk, pk)) {
        fprintf(stderr, "faults: cannot recover the data key of %s\n", env_path);
        exit(2);
    }
    add_binary(dk, sizeof(dk));
    add_binary(pk, sizeof(pk));
    OPENSSL_cleanse(dk, sizeof(dk));
    OPENSSL_cleanse(pk, sizeof(pk));
    EVP_PKEY_free(signer);
    EVP_PKEY_free(alice);
}

int secrets_absent(const char *text)
{
    size_t len = strlen(text);

    for (size_t i = 0; i < n_secrets; i++)
        if (memmem(text, len, secrets[i].p, secrets[i].len) != NULL)
            return 0;
    return 1;
}

void secrets_forget(void)
{
    for (size_t i = 0; i < n_secrets; i++) {
        OPENSSL_cleanse(secrets[i].p, secrets[i].len);
        free(secrets[i].p);
    }
    n_secrets = 0;
}
