/* A public key's SubjectPublicKeyInfo DER, byte for byte what i2d_PUBKEY
 * writes, built from the key's parameters for the two kinds of key used
 * here. OpenSSL 3's i2d_PUBKEY goes through its encoder framework, whose
 * first use in a process collects every encoder of every provider (about 4
 * million instructions, over a millisecond): the fingerprint taken at every
 * key load made every one-shot seal and open pay it. Any other key (another
 * curve, a compressed point, explicit curve parameters, another type) is
 * left to i2d_PUBKEY. */
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <string.h>

#include "keys/keys.h"

#define P521_POINT_LEN 133 /* 0x04, then x and y of 66 bytes each */

/* 1 if the EC key is on P-521, named, and shows its point uncompressed:
 * the form whose SPKI is the named curve and the plain point. */
static int ec_plain_p521(EVP_PKEY *pkey)
{
    char group[32], encoding[32], form[32];

    return EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                          sizeof(group), NULL) == 1 &&
           strcmp(group, SN_secp521r1) == 0 &&
           EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                          sizeof(encoding), NULL) == 1 &&
           strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) == 0 &&
           EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                          form, sizeof(form), NULL) == 1 &&
           strcmp(form, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) == 0;
}

/* The SPKI of a P-521 key: algorithm id-ecPublicKey with the curve's OID,
 * then the point as the bit string. */
static int ec_spki(EVP_PKEY *pkey, X509_PUBKEY *spki)
{
    unsigned char *point = NULL;
    size_t len = 0;

    if (!ec_plain_p521(pkey) || (point = OPENSSL_malloc(P521_POINT_LEN)) == NULL)
        return 0;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, P521_POINT_LEN,
                                        &len) != 1 ||
        len != P521_POINT_LEN || point[0] != POINT_CONVERSION_UNCOMPRESSED ||
        X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                               OBJ_nid2obj(NID_secp521r1), point, (int)len) != 1) {
        OPENSSL_free(point);
        return 0;
    }
    return 1; /* spki owns the point */
}

/* Appends a BIGNUM parameter of pkey to seq as an INTEGER. */
static int push_integer(STACK_OF(ASN1_TYPE) *seq, EVP_PKEY *pkey, const char *name)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *i = NULL;
    ASN1_TYPE *t = NULL;
    int ok = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1 &&
             (i = BN_to_ASN1_INTEGER(bn, NULL)) != NULL && (t = ASN1_TYPE_new()) != NULL;

    if (ok) {
        ASN1_TYPE_set(t, V_ASN1_INTEGER, i); /* t owns i */
        i = NULL;
        ok = sk_ASN1_TYPE_push(seq, t) > 0;
        if (ok)
            t = NULL;
    }
    ASN1_TYPE_free(t);
    ASN1_INTEGER_free(i);
    BN_free(bn);
    return ok;
}

/* The SPKI of an RSA key: rsaEncryption with NULL parameters, then the
 * RSAPublicKey SEQUENCE { modulus, publicExponent } as the bit string. */
static int rsa_spki(EVP_PKEY *pkey, X509_PUBKEY *spki)
{
    STACK_OF(ASN1_TYPE) *seq = sk_ASN1_TYPE_new_null();
    unsigned char *der = NULL;
    int len = 0, ok;

    ok = seq != NULL && push_integer(seq, pkey, OSSL_PKEY_PARAM_RSA_N) &&
         push_integer(seq, pkey, OSSL_PKEY_PARAM_RSA_E) &&
         (len = i2d_ASN1_SEQUENCE_ANY(seq, &der)) > 0 &&
         X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_rsaEncryption), V_ASN1_NULL, NULL, der,
                                len) == 1;
    if (!ok)
        OPENSSL_free(der);
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
    return ok;
}

int key_spki_build(EVP_PKEY *pkey, unsigned char **der)
{
    X509_PUBKEY *spki = NULL;
    int n = 0, made = 0;

    *der = NULL;
    /* EVP_PKEY_is_a, not the type id: RSA-PSS keys are "RSA-PSS" and have
     * parameters of their own. */
    if (EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_is_a(pkey, "RSA")) {
        if ((spki = X509_PUBKEY_new()) != NULL)
            made = EVP_PKEY_is_a(pkey, "EC") ? ec_spki(pkey, spki) : rsa_spki(pkey, spki);
        if (made && (n = i2d_X509_PUBKEY(spki, der)) <= 0)
            n = 0;
        X509_PUBKEY_free(spki);
    }
    ERR_clear_error(); /* a declined key is not an error */
    return n;
}

int key_spki_der(EVP_PKEY *pkey, unsigned char **der)
{
    int n = key_spki_build(pkey, der);

    return n > 0 ? n : i2d_PUBKEY(pkey, der);
}
