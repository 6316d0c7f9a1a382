/* The KMS client: JSON 1.1 requests (json-c) over the HTTP layer, SigV4 by
 * libcurl, KMS errors mapped to envelope codes. */
#ifndef ENVELOPE_KMS_H
#define ENVELOPE_KMS_H

#include <json-c/json.h>
#include <openssl/evp.h>

#include "base/buf.h"
#include "aws/call_settings.h"
#include "aws/creds.h"
#include "envelope.h"
#include "keys/keys.h"
#include "aws/region.h"

#define KMS_KEY_ID_MAX 256   /* a key id, alias/NAME, or a key or alias ARN */
#define KMS_HOST_MAX 255
#define KMS_URL_MAX 300
#define KMS_SPKI_MAX 2048     /* RSA-4096 SubjectPublicKeyInfo is 550 bytes */

/* An awskms:// reference, parsed (kms_ref.c). */
struct kms_ref {
    char host[KMS_HOST_MAX + 1]; /* "" for awskms:///KEY; IPv6 in brackets */
    unsigned port;               /* 0 when the reference names none */
    char key_id[KMS_KEY_ID_MAX + 1];
    char region[REGION_MAX + 1]; /* from a key or alias ARN, else "" */
    int is_key_arn;              /* key_id is a key ARN: the key's identity */
};

envelope_rc kms_ref_parse(envelope_ctx *ctx, const char *ref, struct kms_ref *out);

/* Where and how to reach a key: fixed when the key is loaded. */
struct kms_target {
    char key_id[KMS_KEY_ID_MAX + 1]; /* as the reference gave it */
    char region[REGION_MAX + 1];
    char url[KMS_URL_MAX + 1];
    int allow_http;
};

/* The region (the ARN's, else AWS_REGION / AWS_DEFAULT_REGION) and the
 * endpoint (the reference's host, else AWS_ENDPOINT_URL_KMS, else
 * AWS_ENDPOINT_URL, else https://kms[-fips].REGION.amazonaws.com/). */
envelope_rc kms_target_resolve(envelope_ctx *ctx, const struct kms_ref *ref,
                               struct kms_target *out);
/* An endpoint URL named by a setting (name, for the detail): scheme,
 * host[:port] and at most a "/" after it. *http 1 for http://. err_code on
 * anything else. */
envelope_rc kms_endpoint_parse(envelope_ctx *ctx, envelope_rc err_code, const char *name,
                               const char *url, int *http, char *authority, size_t size);

/* The context's client, made at the first call: loads libcurl and the
 * credentials. Freed (and its secrets wiped) with the context. */
struct kms_client;
/* The context's client, or NULL before its first KMS call or setting. */
struct kms_client *kms_client_of(const envelope_ctx *ctx);

/* Whether a failed attempt is worth another: rc is the attempt's code;
 * type and status the service's error when it answered one (rc OK then).
 * KMS_RETRY_EXPIRED: the credentials expired; worth one more attempt only
 * with fresh ones. */
enum kms_retry kms_retry_kind(envelope_rc rc, const char *type, long status);

/* One KMS call: the request body (wiped by the caller), and the parsed
 * answer on success, which the caller frees with kms_json_free. Every
 * failure has its code and a detail naming the operation and the key. */
envelope_rc kms_call(envelope_ctx *ctx, const struct kms_target *t, const char *op,
                     const struct bytes *body, json_object **out);
/* The code for a KMS error type (`__type`, namespace stripped) answered to
 * op, and for an HTTP status when there is no type. */
envelope_rc kms_error_code(const char *op, const char *type, long status);

/* The operations. Each fills arn with the key ARN KMS answered ("" if it
 * did not answer one). */
envelope_rc kms_sign(envelope_ctx *ctx, const struct kms_target *t, const uint8_t *msg,
                     size_t len, uint8_t sig[SIG_MAX], size_t *sig_len,
                     char arn[IDENTITY_MAX + 1]);
/* ENVELOPE_OK, or ENVELOPE_E_UNTRUSTED_SIGNER when KMS finds the signature
 * invalid. */
envelope_rc kms_verify(envelope_ctx *ctx, const struct kms_target *t, const uint8_t *msg,
                       size_t len, const uint8_t *sig, size_t sig_len,
                       char arn[IDENTITY_MAX + 1]);
envelope_rc kms_encrypt(envelope_ctx *ctx, const struct kms_target *t, const uint8_t *in,
                        size_t in_len, uint8_t out[WRAPPED_MAX], size_t *out_len,
                        char arn[IDENTITY_MAX + 1]);
/* ENVELOPE_E_NOT_RECIPIENT when KMS cannot decrypt with this key. */
envelope_rc kms_decrypt(envelope_ctx *ctx, const struct kms_target *t, const uint8_t *in,
                        size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                        char arn[IDENTITY_MAX + 1]);

struct kms_public_key {
    EVP_PKEY *pkey;
    envelope_key_kind kind;  /* from KeySpec and KeyUsage, checked against pkey */
    char arn[IDENTITY_MAX + 1];
};
/* GetPublicKey. A key we cannot use (another spec or usage) is
 * ENVELOPE_E_KMS_KEY_USAGE. */
envelope_rc kms_get_public_key(envelope_ctx *ctx, const struct kms_target *t,
                               struct kms_public_key *out);

/* kms_json.c: strict JSON and base64, wiping what may be secret. */
/* One JSON object and nothing but white space after it; NULL if not. */
json_object *kms_json_parse(const uint8_t *p, size_t len);
/* Frees o after wiping the string member named secret (may be NULL). */
void kms_json_free(json_object *o, const char *secret);
/* Frees o after wiping every string in it: for answers that carry
 * credentials. */
void kms_json_free_all(json_object *o);
/* The string member name, or NULL if absent or not a string. */
const char *kms_json_string(json_object *o, const char *name, size_t *len);
/* Strict base64 of a string member into out: -1 if absent, malformed or
 * longer than cap. */
int kms_json_blob(json_object *o, const char *name, uint8_t *out, size_t cap,
                  size_t *out_len);
int kms_json_add_string(json_object *o, const char *name, const char *value);
int kms_json_add_blob(json_object *o, const char *name, const uint8_t *p, size_t len);
/* The body for o, then the member secret_name with the base64 of secret
 * appended by hand: json-c grows its output with realloc, which would leave
 * unwiped copies of a secret behind. out is a secret bytes buffer. */
int kms_json_body(json_object *o, const char *secret_name, const uint8_t *secret,
                  size_t secret_len, struct bytes *out);
/* Copies a KeyId answer into arn when it is a valid ARN, else "". */
void kms_json_arn(json_object *o, char arn[IDENTITY_MAX + 1]);

#endif
