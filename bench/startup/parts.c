/* One start-up part at a time, over libcrypto alone, so that each part's
 * cost is the difference of two whole-process medians:
 *
 *   parts STEP KEY.pem
 *
 * Every step but "none" initialises OpenSSL and asks for no clean-up at
 * exit, and adds one thing to the step before it:
 *   none        nothing (libcrypto linked, never called)
 *   noconf      OPENSSL_init_crypto without the configuration file
 *   conf        with the configuration file (what the first EVP call does)
 *   atexit      conf, and OpenSSL's clean-up at exit left on
 *   decode      conf + the key through OSSL_DECODER, narrowed by input type,
 *               structure and key type as libenvelope does (key_decode.c)
 *   decode_any  conf + the key through an OSSL_DECODER that tries everything
 *   encode      decode + i2d_PUBKEY, i.e. OpenSSL's encoders (a fingerprint
 *               before key_spki.c)
 *   rand        conf + 32 random bytes: the DRBG's set-up, which fetches the
 *               first cipher
 *   thread      conf + one thread started and joined (the hasher's, which
 *               libenvelope starts only for large messages) */
#define _POSIX_C_SOURCE 200809L
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static unsigned char *read_der(const char *path, long *len)
{
    FILE *f = fopen(path, "r");
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;

    if (f == NULL || PEM_read(f, &name, &header, &der, len) != 1)
        der = NULL;
    if (f)
        fclose(f);
    OPENSSL_free(name);
    OPENSSL_free(header);
    return der;
}

static EVP_PKEY *decode(const char *path, int narrowed)
{
    long len = 0;
    unsigned char *der = read_der(path, &len);
    const unsigned char *p = der;
    size_t left = (size_t)len;
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *d;

    if (der == NULL)
        return NULL;
    d = narrowed ? OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo", "EC",
                                                  OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL)
                 : OSSL_DECODER_CTX_new_for_pkey(&pkey, NULL, NULL, NULL, 0, NULL, NULL);
    if (d == NULL || OSSL_DECODER_from_data(d, &p, &left) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(d);
    OPENSSL_clear_free(der, (size_t)len);
    return pkey;
}

static void *idle(void *arg)
{
    return arg;
}

static int step(const char *s, const char *key)
{
    EVP_PKEY *pkey = NULL;
    unsigned char *der = NULL, rnd[32];
    int ok = 1;

    if (strcmp(s, "decode") == 0 || strcmp(s, "encode") == 0 || strcmp(s, "decode_any") == 0) {
        ok = (pkey = decode(key, strcmp(s, "decode_any") != 0)) != NULL;
        if (ok && strcmp(s, "encode") == 0)
            ok = i2d_PUBKEY(pkey, &der) > 0;
    } else if (strcmp(s, "rand") == 0) {
        ok = RAND_bytes(rnd, sizeof(rnd)) == 1;
    } else if (strcmp(s, "thread") == 0) {
        pthread_t t;

        ok = pthread_create(&t, NULL, idle, NULL) == 0 && pthread_join(t, NULL) == 0;
    } else if (strcmp(s, "conf") != 0 && strcmp(s, "atexit") != 0) {
        ok = 0;
    }
    OPENSSL_free(der);
    EVP_PKEY_free(pkey);
    return ok;
}

int main(int argc, char **argv)
{
    uint64_t opts = OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_LOAD_CONFIG;

    if (argc != 3) {
        fprintf(stderr, "usage: parts STEP KEY.pem\n");
        return 2;
    }
    if (strcmp(argv[1], "none") == 0)
        return 0;
    if (strcmp(argv[1], "noconf") == 0)
        opts = OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG;
    else if (strcmp(argv[1], "atexit") == 0)
        opts = OPENSSL_INIT_LOAD_CONFIG;
    if (OPENSSL_init_crypto(opts, NULL) != 1)
        return 1;
    if (strcmp(argv[1], "noconf") == 0)
        return 0;
    return step(argv[1], argv[2]) ? 0 : 1;
}
