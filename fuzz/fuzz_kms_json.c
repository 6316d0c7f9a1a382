/* The KMS answers: an HTTP status and body, as KMS would send them, handed
 * to the real Sign, Verify, Encrypt, Decrypt and GetPublicKey code through
 * kms_call. No network: this file defines the HTTP layer (http.h) itself,
 * so the archive's http.o (and libcurl) never gets linked, and http_send
 * answers with the input. Everything above it runs as in the library:
 * kms_json_parse, the error mapping (`__type`, `message`), base64, the
 * ARN, the public key and its spec.
 *
 * Input: byte 0 picks the operation, byte 1 the HTTP status (below 0xa0:
 * 200), the rest is the body.
 *
 * At start-up, a fixed set of Decrypt answers carrying a known Plaintext
 * (well-formed, too long, truncated at each interesting place, escaped,
 * nested, in an error answer) runs with a free hook that scans every block freed
 * during the call: no copy of the Plaintext, in base64 or decoded, may be
 * freed unwiped. */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <sanitizer/allocator_interface.h>

#include "common.h"
#include "base/context.h"
#include "format/format.h"
#include "aws/http.h"
#include "aws/kms.h"

/* ---------------------------------------------------- the HTTP layer */

struct http_client {
    uint8_t *buf; /* HTTP_RESPONSE_MAX + 1, as http.c has it */
    size_t len;
};

static struct http_client *client; /* the context's: there is one */

static struct {
    const uint8_t *body;
    size_t len;
    long status;
    int sends;
} answer;

envelope_rc http_client_new(envelope_ctx *ctx, struct http_client **out)
{
    struct http_client *c = calloc(1, sizeof(*c));

    (void)ctx;
    if (c == NULL || (c->buf = calloc(1, HTTP_RESPONSE_MAX + 1)) == NULL)
        abort();
    *out = client = c;
    return ENVELOPE_OK;
}

void http_client_free(struct http_client *c)
{
    if (c) {
        if (c == client)
            client = NULL;
        free(c->buf);
        free(c);
    }
}

envelope_rc http_client_set_auth(envelope_ctx *ctx, struct http_client *c, const char *user,
                                 const char *secret)
{
    (void)ctx;
    (void)c;
    CHECK(user && *user && secret && *secret);
    return ENVELOPE_OK;
}

void http_response_wipe(struct http_client *c)
{
    if (c) {
        memset(c->buf, 0, HTTP_RESPONSE_MAX + 1);
        c->len = 0;
    }
}

/* The request must be one JSON object naming the key. */
static void check_request(const struct http_request *req)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;

    CHECK(tok != NULL);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    CHECK(req->body != NULL && req->body_len > 0 && req->body_len < HTTP_RESPONSE_MAX);
    o = json_tokener_parse_ex(tok, (const char *)req->body, (int)req->body_len);
    CHECK(o != NULL && json_object_is_type(o, json_type_object));
    CHECK(json_tokener_get_parse_end(tok) == req->body_len);
    CHECK(json_object_object_get_ex(o, "KeyId", NULL));
    json_object_put(o);
    json_tokener_free(tok);
    CHECK(req->sigv4 != NULL && strncmp(req->sigv4, "aws:amz:", 8) == 0);
}

envelope_rc http_send(envelope_ctx *ctx, struct http_client *c, const struct http_request *req,
                      struct http_response *resp)
{
    (void)ctx;
    check_request(req);
    answer.sends++;
    memset(resp, 0, sizeof(*resp));
    http_response_wipe(c);
    memcpy(c->buf, answer.body, answer.len);
    c->buf[answer.len] = '\0';
    c->len = answer.len;
    resp->status = answer.status;
    resp->body = c->buf;
    resp->len = c->len;
    return ENVELOPE_OK;
}

/* Nothing of the answer may stay in the buffer once the call returns. */
static void check_wiped(void)
{
    CHECK(client != NULL);
    for (size_t i = 0; i < HTTP_RESPONSE_MAX + 1; i++)
        CHECK(client->buf[i] == 0);
}

/* ------------------------------------------------------ the secret hook */

/* base64("SECRET-DATA-KEY-0123456789abcdef") and the key itself. */
#define SECRET_B64 "U0VDUkVULURBVEEtS0VZLTAxMjM0NTY3ODlhYmNkZWY="
#define SECRET_RAW "SECRET-DATA-KEY-0123456789abcdef"

static volatile int scanning;
static volatile const char *leak;

static int contains(const uint8_t *p, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (p[i] == (uint8_t)s[0] && memcmp(p + i, s, len) == 0)
            return 1;
    return 0;
}

static void malloc_hook(const volatile void *ptr, size_t size)
{
    (void)ptr;
    (void)size;
}

static void free_hook(const volatile void *ptr)
{
    size_t n;

    if (!scanning || ptr == NULL || leak)
        return;
    n = __sanitizer_get_allocated_size((const void *)ptr);
    /* 12 characters of either form: no other string here has them. */
    if (contains((const uint8_t *)ptr, n, SECRET_B64, 12) ||
        contains((const uint8_t *)ptr, n, SECRET_RAW, 12))
        leak = "a block freed with a copy of the Plaintext in it";
}

static const struct kms_target target = {
    .key_id = "alias/fuzz", .region = "us-east-1", .url = "https://127.0.0.1:1/"};

#define ARN "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

static const struct {
    const char *why;
    long status;
    size_t cap;
    const char *body;
} secret_cases[] = {
    {"a good answer", 200, 32,
     "{\"KeyId\":\"" ARN "\",\"Plaintext\":\"" SECRET_B64
     "\",\"EncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\"}"},
    {"a Plaintext too long for the buffer", 200, 16,
     "{\"KeyId\":\"" ARN "\",\"Plaintext\":\"" SECRET_B64 "\"}"},
    {"Plaintext first", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "\",\"KeyId\":\"" ARN "\"}"},
    {"bad base64", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "==\"}"},
    {"escaped", 200, 32,
     "{\"Plaintext\":\"U0VDUkVULURBVEEtS0VZLTAxMjM0NTY3ODlh\\u0059\\u006dNkZWY=\"}"},
    {"trailing bytes", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "\"} x"},
    {"two objects", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "\"}{}"},
    {"truncated in the string", 200, 32, "{\"Plaintext\":\"" SECRET_B64},
    {"truncated after the string", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "\""},
    {"truncated after the member", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "\","},
    {"a bad member after", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "\",\"x\":tru}"},
    {"a control character", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "\n\"}"},
    {"a bad escape", 200, 32, "{\"Plaintext\":\"" SECRET_B64 "\\q\"}"},
    {"an array", 200, 32, "[\"" SECRET_B64 "\"]"},
    {"in an array", 200, 32, "{\"Plaintext\":[\"" SECRET_B64 "\"]}"},
    {"nested", 200, 32, "{\"x\":{\"Plaintext\":\"" SECRET_B64 "\"}}"},
    {"nested, truncated", 200, 32, "{\"x\":{\"Plaintext\":\"" SECRET_B64 "\"}"},
    {"deeply nested, truncated", 200, 32,
     "{\"a\":[[[{\"b\":[{\"Plaintext\":\"" SECRET_B64 "\"},"},
    {"an error answer", 400, 32,
     "{\"__type\":\"InvalidCiphertextException\",\"Plaintext\":\"" SECRET_B64 "\"}"},
    {"a 500", 500, 32, "{\"Plaintext\":\"" SECRET_B64 "\"}"},
};

/* Not in the list: a member given twice ({"Plaintext":"A","Plaintext":"B"}).
 * json-c replaces the first value while it parses and frees it unwiped,
 * out of reach of kms_json_parse; KMS never sends that, and the answer
 * comes over verified TLS. */

/* Runs every case; aborts naming the first that leaves a copy behind. */
static void check_secret_wiping(void)
{
    envelope_ctx *ctx = fuzz_ctx();
    uint8_t out[64];
    size_t out_len;
    char arn[IDENTITY_MAX + 1];
    int failed = 0;
    char *volatile probe = malloc(64);

    /* The hook must see what it is meant to find. */
    CHECK(probe != NULL);
    memcpy((char *)probe, "x" SECRET_B64, sizeof(SECRET_B64) + 1);
    scanning = 1;
    free(probe);
    scanning = 0;
    CHECK(leak != NULL);
    for (size_t i = 0; i < sizeof(secret_cases) / sizeof(secret_cases[0]); i++) {
        envelope_rc rc;

        answer.body = (const uint8_t *)secret_cases[i].body;
        answer.len = strlen(secret_cases[i].body);
        answer.status = secret_cases[i].status;
        memset(out, 0, sizeof(out));
        leak = NULL;
        scanning = 1;
        rc = kms_decrypt(ctx, &target, (const uint8_t *)"x", 1, out, secret_cases[i].cap,
                         &out_len, arn);
        scanning = 0;
        check_wiped();
        if (rc != ENVELOPE_OK)
            CHECK(out_len == 0 && !contains(out, sizeof(out), SECRET_RAW, 12));
        else
            CHECK(out_len == 32 && memcmp(out, SECRET_RAW, 32) == 0);
        if (leak) {
            fprintf(stderr, "fuzz_kms_json: Decrypt answer with %s: %s\n",
                    secret_cases[i].why, leak);
            failed = 1;
        }
    }
    CHECK(!failed);
}

/* ------------------------------------------------------------ the target */

static const char *const secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFUZZSECRETKEY";
static const char *const session_token = "FuzzSessionToken/Q2xlYXJseU5vdEFUb2tlbg==";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("AWS_ACCESS_KEY_ID", "AKIAFUZZFUZZFUZZFUZZ", 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret_key, 1);
    setenv("AWS_SESSION_TOKEN", session_token, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_MAX_ATTEMPTS");
    /* One attempt: a retry would only sleep and send the same answer. */
    if (envelope_ctx_set_kms_max_attempts(fuzz_ctx(), 1) != ENVELOPE_OK)
        abort();
    /* Both or none: the sanitizers refuse a NULL hook. */
    if (__sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook) == 0)
        abort();
    check_secret_wiping();
    return 0;
}

static const long statuses[] = {400, 401, 403, 404, 408, 429, 500, 502, 503, 504, 301, 0};

/* The detail reaches a terminal: printable ASCII, and never a secret. */
static void check_detail_text(envelope_ctx *ctx)
{
    const char *d = envelope_ctx_detail(ctx);

    check_detail(ctx);
    for (const char *p = d; *p; p++)
        CHECK(*p >= 0x20 && *p < 0x7f);
    CHECK(strstr(d, secret_key) == NULL);
    CHECK(strstr(d, session_token) == NULL);
}

static void check_arn(const char *arn)
{
    CHECK(arn[0] == '\0' || (identity_is_valid_arn(arn, strlen(arn)) && strstr(arn, ":key/")));
}

/* Codes an answer may be turned into: the service's errors, or a bad
 * response. */
static int kms_rc(envelope_rc rc)
{
    return rc == ENVELOPE_E_KMS_BAD_RESPONSE || (rc >= ENVELOPE_E_KMS && rc <= ENVELOPE_E_KMS_UNAVAILABLE) ||
           rc == ENVELOPE_E_UNTRUSTED_SIGNER || rc == ENVELOPE_E_NOT_RECIPIENT ||
           rc == ENVELOPE_E_COMPAT_TOO_LARGE;
}

/* A failed Decrypt leaves nothing of the answer in the caller's buffer:
 * it is as the caller left it (0xa5), or wiped. */
static int untouched_or_wiped(const uint8_t *p, size_t n)
{
    size_t a5 = 0, zero = 0;

    for (size_t i = 0; i < n; i++) {
        a5 += p[i] == 0xa5;
        zero += p[i] == 0;
    }
    return a5 == n || zero == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    uint8_t msg[5000], buf[WRAPPED_MAX];
    char arn[IDENTITY_MAX + 1];
    size_t len = 1;
    struct kms_public_key pk;
    envelope_rc rc;

    if (size < 2 || size - 2 > HTTP_RESPONSE_MAX)
        return -1;
    answer.body = data + 2;
    answer.len = size - 2;
    answer.status = data[1] < 0xa0 ? 200 : statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))];
    answer.sends = 0;
    memset(msg, 'm', sizeof(msg));
    memset(buf, 0xa5, sizeof(buf));
    detail_clear(ctx);
    switch (data[0] % 5) {
    case 0: /* a RAW message, or a DIGEST for a long one */
        rc = kms_sign(ctx, &target, msg, data[0] & 0x80 ? sizeof(msg) : 100, buf, &len, arn);
        CHECK(rc == ENVELOPE_OK ? len >= 8 && len <= SIG_MAX : len == 0);
        break;
    case 1:
        rc = kms_verify(ctx, &target, msg, data[0] & 0x80 ? sizeof(msg) : 100, buf, 139, arn);
        break;
    case 2:
        rc = kms_encrypt(ctx, &target, msg, 32, buf, &len, arn);
        CHECK(rc == ENVELOPE_OK ? len == 256 || len == 384 || len == 512 : len == 0);
        break;
    case 3:
        rc = kms_decrypt(ctx, &target, msg, 512, buf, data[0] & 0x80 ? 32 : sizeof(buf), &len,
                         arn);
        if (rc == ENVELOPE_OK)
            CHECK(len <= (data[0] & 0x80 ? 32 : sizeof(buf)));
        else
            CHECK(len == 0 && untouched_or_wiped(buf, data[0] & 0x80 ? 32 : sizeof(buf)));
        break;
    default:
        rc = kms_get_public_key(ctx, &target, &pk);
        if (rc == ENVELOPE_OK) {
            CHECK(pk.pkey != NULL);
            CHECK(pk.kind == ENVELOPE_KEY_SIGNING || pk.kind == ENVELOPE_KEY_ENCRYPTION);
            memcpy(arn, pk.arn, sizeof(arn));
            EVP_PKEY_free(pk.pkey);
        } else {
            CHECK(pk.pkey == NULL && pk.kind == 0);
            arn[0] = '\0';
        }
        break;
    }
    CHECK(answer.sends == 1);
    check_wiped();
    check_arn(arn);
    CHECK(rc == ENVELOPE_OK || kms_rc(rc));
    /* Only a 200 succeeds, and a 200 is never taken for a service error. */
    if (rc == ENVELOPE_OK)
        CHECK(answer.status == 200);
    if (answer.status == 200)
        CHECK(rc == ENVELOPE_OK || rc == ENVELOPE_E_KMS_BAD_RESPONSE ||
              rc == ENVELOPE_E_KMS_KEY_USAGE || rc == ENVELOPE_E_UNTRUSTED_SIGNER);
    else
        CHECK(rc != ENVELOPE_E_KMS_BAD_RESPONSE);
    check_detail_text(ctx);
    return 0;
}
