/* The seal side: fuzzed messages and options (format, name, 1 to 16
 * recipients, hidden recipients, creation time, armor, memory or
 * callbacks) over a fixed set of local keys and of KMS keys loaded afresh
 * for every input, so that their size is not known until KMS answers. No network: this file
 * defines the HTTP layer (http.h) itself, as fuzz_kms_json.c does, and
 * answers as KMS would: Sign and Encrypt with the key material of
 * tests/keys, Encrypt's ValidationException for a Plaintext over the key's
 * OAEP limit, GetPublicKey refused or answered as the input says.
 *
 * Every envelope sealed is opened again and must give back the message, its
 * name, its format and (v1) its recipients and creation time; a refusal
 * must be one of the codes a seal can have, leave no output, and a compat
 * message longer than any recipient holds must be refused before any KMS
 * call. An armored envelope must be text only, in the armor's lines; armor
 * asked for a compat envelope must be refused before any call.
 *
 * Input: byte 0 flags (FLAG_*), byte 1 the number of recipients - 1 (low 4
 * bits), the signing key (bits 4 to 6) and armor (bit 7), then one byte
 * per recipient (an index into `recipients`), then the creation time (4
 * bytes) and the name (a length byte, then the name) if the flags say so;
 * the rest is the message. */
#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common.h"
#include "base/context.h"
#include "aws/http.h"
#include "armor_text.h"

#define FLAG_COMPAT 0x01
#define FLAG_HIDE 0x02
#define FLAG_CREATED 0x04
#define FLAG_NAME 0x08
#define FLAG_GET_PUBLIC_KEY 0x10 /* the sender may GetPublicKey */
#define FLAG_CALLBACKS 0x20      /* envelope_seal_cb, not envelope_seal_mem */
#define FLAG_SHORT 0x40          /* with callbacks: one byte fewer than declared */
#define FLAG_AGAIN 0x80          /* seal twice with the same options and keys */

#define ARN_PREFIX "arn:aws:kms:us-east-1:111122223333:key/"
#define COMPAT_MAX 446 /* RSA-4096's OAEP-SHA-256 block */

/* ------------------------------------------------------ the fake KMS */

struct kms_fake {
    const char *alias, *key_id, *file, *spec;
    EVP_PKEY *pkey;
};

#define KEY_ID "5e1f0000-0000-4000-8000-00000000000"
static struct kms_fake kms_keys[] = {
    {"alias/fuzz-sign", KEY_ID "1", "signer.pem", "ECC_NIST_P521", NULL},
    {"alias/fuzz-rsa2048", KEY_ID "2", "alice.pem", "RSA_2048", NULL},
    {"alias/fuzz-rsa3072", KEY_ID "3", "carol.pem", "RSA_3072", NULL},
    {"alias/fuzz-rsa4096", KEY_ID "4", "dave.pem", "RSA_4096", NULL},
};
#define N_KMS (sizeof(kms_keys) / sizeof(kms_keys[0]))

struct http_client {
    uint8_t *buf; /* HTTP_RESPONSE_MAX + 1, as http.c has it */
    size_t len;
};

static int allow_get_public_key;
static int sends;

envelope_rc http_client_new(envelope_ctx *ctx, struct http_client **out)
{
    struct http_client *c = calloc(1, sizeof(*c));

    (void)ctx;
    if (c == NULL || (c->buf = calloc(1, HTTP_RESPONSE_MAX + 1)) == NULL)
        abort();
    *out = c;
    return ENVELOPE_OK;
}

void http_client_free(struct http_client *c)
{
    if (c) {
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

static EVP_PKEY *read_private(const char *file)
{
    const char *dir = getenv("FUZZ_KEYS_DIR");
    char path[4096];
    EVP_PKEY *pkey;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir ? dir : FUZZ_KEYS_DIR, file);
    if ((f = fopen(path, "r")) == NULL)
        abort();
    pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    CHECK(pkey != NULL);
    return pkey;
}

static char *b64(const uint8_t *p, size_t n)
{
    char *s = malloc(4 * ((n + 2) / 3) + 1);

    CHECK(s != NULL);
    EVP_EncodeBlock((unsigned char *)s, p, (int)n);
    return s;
}

static uint8_t *unb64(const char *s, size_t *n)
{
    size_t len = strlen(s);
    uint8_t *p = malloc(len / 4 * 3 + 1);
    int got;

    CHECK(p != NULL && len % 4 == 0);
    got = EVP_DecodeBlock(p, (const unsigned char *)s, (int)len);
    CHECK(got >= 0);
    *n = (size_t)got - (len >= 1 && s[len - 1] == '=') - (len >= 2 && s[len - 2] == '=');
    return p;
}

static const char *member(json_object *o, const char *name)
{
    json_object *v;

    CHECK(json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string));
    return json_object_get_string(v);
}

static struct kms_fake *find_key(const char *key_id)
{
    for (size_t i = 0; i < N_KMS; i++)
        if (strcmp(key_id, kms_keys[i].alias) == 0)
            return &kms_keys[i];
    CHECK(!"a request for a key the target never loaded");
    return NULL;
}

/* The answer: status and a JSON body (taken). */
static long answer_error(json_object **r, const char *type, const char *message)
{
    *r = json_object_new_object();
    json_object_object_add(*r, "__type", json_object_new_string(type));
    json_object_object_add(*r, "message", json_object_new_string(message));
    return 400;
}

static void add_arn(json_object *r, const struct kms_fake *k)
{
    char arn[128];

    snprintf(arn, sizeof(arn), ARN_PREFIX "%s", k->key_id);
    json_object_object_add(r, "KeyId", json_object_new_string(arn));
}

static void add_blob(json_object *r, const char *name, const uint8_t *p, size_t n)
{
    char *s = b64(p, n);

    json_object_object_add(r, name, json_object_new_string(s));
    free(s);
}

static long op_sign(json_object *req, const struct kms_fake *k, json_object **r)
{
    const char *type = member(req, "MessageType");
    uint8_t *msg, sig[160];
    size_t len, sig_len = sizeof(sig);
    EVP_PKEY_CTX *pc = NULL;
    EVP_MD_CTX *md = NULL;
    int ok;

    CHECK(strcmp(member(req, "SigningAlgorithm"), "ECDSA_SHA_512") == 0);
    if (!EVP_PKEY_is_a(k->pkey, "EC"))
        return answer_error(r, "InvalidKeyUsageException", "not a signing key");
    msg = unb64(member(req, "Message"), &len);
    if (strcmp(type, "RAW") == 0) {
        CHECK(len >= 1 && len <= 4096);
        ok = (md = EVP_MD_CTX_new()) != NULL &&
             EVP_DigestSignInit(md, NULL, EVP_sha512(), NULL, k->pkey) == 1 &&
             EVP_DigestSign(md, sig, &sig_len, msg, len) == 1;
    } else {
        CHECK(strcmp(type, "DIGEST") == 0 && len == 64);
        ok = (pc = EVP_PKEY_CTX_new(k->pkey, NULL)) != NULL && EVP_PKEY_sign_init(pc) == 1 &&
             EVP_PKEY_CTX_set_signature_md(pc, EVP_sha512()) == 1 &&
             EVP_PKEY_sign(pc, sig, &sig_len, msg, len) == 1;
    }
    CHECK(ok);
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pc);
    free(msg);
    *r = json_object_new_object();
    add_arn(*r, k);
    add_blob(*r, "Signature", sig, sig_len);
    json_object_object_add(*r, "SigningAlgorithm", json_object_new_string("ECDSA_SHA_512"));
    return 200;
}

static long op_encrypt(json_object *req, const struct kms_fake *k, json_object **r)
{
    uint8_t *pt, ct[512];
    size_t len, ct_len = sizeof(ct), limit;
    EVP_PKEY_CTX *pc;
    char why[160];

    CHECK(strcmp(member(req, "EncryptionAlgorithm"), "RSAES_OAEP_SHA_256") == 0);
    if (!EVP_PKEY_is_a(k->pkey, "RSA"))
        return answer_error(r, "InvalidKeyUsageException", "not an encryption key");
    pt = unb64(member(req, "Plaintext"), &len);
    limit = (size_t)EVP_PKEY_get_size(k->pkey) - 66;
    if (len > limit) {
        free(pt);
        snprintf(why, sizeof(why),
                 "Algorithm RSAES_OAEP_SHA_256 and key spec %s cannot encrypt data larger than "
                 "%zu bytes.", k->spec, limit);
        return answer_error(r, "ValidationException", why);
    }
    pc = EVP_PKEY_CTX_new(k->pkey, NULL);
    CHECK(pc != NULL && EVP_PKEY_encrypt_init(pc) == 1 &&
          EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) == 1 &&
          EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256()) == 1 &&
          EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) == 1 &&
          EVP_PKEY_encrypt(pc, ct, &ct_len, pt, len) == 1);
    EVP_PKEY_CTX_free(pc);
    free(pt);
    *r = json_object_new_object();
    add_arn(*r, k);
    add_blob(*r, "CiphertextBlob", ct, ct_len);
    json_object_object_add(*r, "EncryptionAlgorithm", json_object_new_string("RSAES_OAEP_SHA_256"));
    return 200;
}

static long op_get_public_key(const struct kms_fake *k, json_object **r)
{
    unsigned char *der = NULL;
    int len;

    if (!allow_get_public_key)
        return answer_error(r, "AccessDeniedException",
                            "User: arn:aws:iam::111122223333:user/sender is not authorized to "
                            "perform: kms:GetPublicKey");
    len = i2d_PUBKEY(k->pkey, &der);
    CHECK(len > 0);
    *r = json_object_new_object();
    add_arn(*r, k);
    add_blob(*r, "PublicKey", der, (size_t)len);
    OPENSSL_free(der);
    json_object_object_add(*r, "KeySpec", json_object_new_string(k->spec));
    json_object_object_add(*r, "KeyUsage", json_object_new_string(EVP_PKEY_is_a(k->pkey, "EC")
                                                                      ? "SIGN_VERIFY"
                                                                      : "ENCRYPT_DECRYPT"));
    return 200;
}

#define TARGET "X-Amz-Target: TrentService."

/* One JSON object, all of the body (which has no terminating NUL). */
static json_object *parse_request(const struct http_request *req)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;

    CHECK(tok != NULL && req->body != NULL && req->body_len > 0 &&
          req->body_len < HTTP_RESPONSE_MAX);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, (const char *)req->body, (int)req->body_len);
    CHECK(o != NULL && json_object_is_type(o, json_type_object));
    CHECK(json_tokener_get_parse_end(tok) == req->body_len);
    json_tokener_free(tok);
    return o;
}

envelope_rc http_send(envelope_ctx *ctx, struct http_client *c, const struct http_request *req,
                      struct http_response *resp)
{
    const char *op;
    json_object *body, *r = NULL;
    const struct kms_fake *k;
    const char *text;
    long status;

    (void)ctx;
    sends++;
    CHECK(req->sigv4 != NULL && strncmp(req->sigv4, "aws:amz:", 8) == 0);
    CHECK(req->headers[0] != NULL && strncmp(req->headers[0], TARGET, strlen(TARGET)) == 0);
    op = req->headers[0] + strlen(TARGET);
    body = parse_request(req);
    k = find_key(member(body, "KeyId"));
    if (strcmp(op, "Sign") == 0)
        status = op_sign(body, k, &r);
    else if (strcmp(op, "Encrypt") == 0)
        status = op_encrypt(body, k, &r);
    else if (strcmp(op, "GetPublicKey") == 0)
        status = op_get_public_key(k, &r);
    else
        CHECK(!"an operation a seal never calls");
    json_object_put(body);
    text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    memset(resp, 0, sizeof(*resp));
    http_response_wipe(c);
    c->len = strlen(text);
    CHECK(c->len <= HTTP_RESPONSE_MAX);
    memcpy(c->buf, text, c->len);
    json_object_put(r);
    resp->status = status;
    resp->body = c->buf;
    resp->len = c->len;
    return ENVELOPE_OK;
}

/* ---------------------------------------------------------- the keys */

/* A recipient: a local public or private key, or a KMS key (by alias,
 * loaded for each input), and the local private key that opens for it. */
static const struct {
    const char *ref; /* a tests/keys file, or an awskms:// reference */
    const char *opener;
    unsigned bits; /* 0: not an encryption key */
} recipients[] = {
    {"alice.pub", "alice.pem", 2048},
    {"bob.pub", "bob.pem", 2048},
    {"carol.pub", "carol.pem", 3072},
    {"dave.pub", "dave.pem", 4096},
    {"dave.pem", "dave.pem", 4096},
    {"awskms:///alias/fuzz-rsa2048", "alice.pem", 2048},
    {"awskms:///alias/fuzz-rsa3072", "carol.pem", 3072},
    {"awskms:///alias/fuzz-rsa4096", "dave.pem", 4096},
    {"awskms:///alias/fuzz-sign", NULL, 0},
};
#define N_RECIPIENTS (sizeof(recipients) / sizeof(recipients[0]))

static envelope_key *local_keys[N_RECIPIENTS], *openers[N_RECIPIENTS], *signer, *trusted;

static int is_kms(size_t i)
{
    return strncmp(recipients[i].ref, "awskms:", 7) == 0;
}

static envelope_key *kms_key(const char *ref)
{
    envelope_key *key = NULL;

    if (envelope_key_load(fuzz_ctx(), ref, NULL, NULL, &key) != ENVELOPE_OK)
        abort();
    CHECK(envelope_key_bits(key) == 0);
    return key;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("AWS_ACCESS_KEY_ID", "AKIAFUZZFUZZFUZZFUZZ", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFUZZSECRETKEY", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_KMS");
    /* One attempt: a retry would only sleep and get the same answer. */
    if (envelope_ctx_set_kms_max_attempts(fuzz_ctx(), 1) != ENVELOPE_OK)
        abort();
    for (size_t i = 0; i < N_KMS; i++)
        kms_keys[i].pkey = read_private(kms_keys[i].file);
    for (size_t i = 0; i < N_RECIPIENTS; i++) {
        if (!is_kms(i))
            local_keys[i] = fuzz_key(recipients[i].ref);
        if (recipients[i].opener)
            openers[i] = fuzz_key(recipients[i].opener);
    }
    signer = fuzz_key("signer.pem");
    trusted = fuzz_key("signer.pub");
    return 0;
}

/* ------------------------------------------------------------ the input */

struct plan {
    unsigned flags;
    size_t n;
    size_t idx[16];
    int sign_with; /* 0 local, 1 KMS signing key, 2 a KMS RSA key (refused by KMS) */
    int armor;
    int32_t created; /* signed: before 1970 too */
    char name[256];
    int name_set;
    const uint8_t *msg;
    size_t len;
};

static int parse(const uint8_t *data, size_t size, struct plan *p)
{
    size_t at = 2;

    memset(p, 0, sizeof(*p));
    if (size < 2)
        return -1;
    p->flags = data[0];
    p->n = (data[1] & 0x0f) + 1u;
    p->sign_with = (data[1] >> 4) % 8 == 7 ? 2 : (data[1] >> 4) % 8 >= 4;
    p->armor = data[1] >> 7;
    if (size - at < p->n)
        return -1;
    for (size_t i = 0; i < p->n; i++)
        p->idx[i] = data[at++] % N_RECIPIENTS;
    if (p->flags & FLAG_CREATED) {
        if (size - at < 4)
            return -1;
        p->created = (int32_t)((uint32_t)data[at] << 24 | (uint32_t)data[at + 1] << 16 |
                               (uint32_t)data[at + 2] << 8 | data[at + 3]);
        at += 4;
    }
    if (p->flags & FLAG_NAME) {
        size_t l;

        if (size - at < 1 || size - at - 1 < (l = data[at]))
            return -1;
        memcpy(p->name, data + at + 1, l);
        p->name[l] = '\0';
        p->name_set = 1;
        at += 1 + l;
    }
    p->msg = data + at;
    p->len = size - at;
    return 0;
}

/* --------------------------------------------------------- the checks */

/* What a seal may answer, given what it was asked. */
static int allowed_failure(envelope_rc rc, const struct plan *p)
{
    switch (rc) {
    case ENVELOPE_E_COMPAT_TOO_LARGE:
        return (p->flags & FLAG_COMPAT) != 0;
    case ENVELOPE_E_INVALID_ARGUMENT: /* compat: not one recipient, a v1 manifest, a long name */
        return (p->flags & FLAG_COMPAT) != 0;
    case ENVELOPE_E_KMS_KEY_USAGE: /* a KMS signing key as recipient, or RSA as signer */
    case ENVELOPE_E_KEY_TYPE:      /* the same, once the key's kind is known */
        return 1;
    case ENVELOPE_E_IO: /* fewer bytes than declared */
        return (p->flags & (FLAG_CALLBACKS | FLAG_SHORT)) == (FLAG_CALLBACKS | FLAG_SHORT);
    default:
        return 0;
    }
}

static int has_wrong_kind(const struct plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (recipients[p->idx[i]].bits == 0)
            return 1;
    return p->sign_with == 2;
}

struct reader {
    const uint8_t *p;
    size_t left;
};

static ssize_t read_cb(void *arg, uint8_t *buf, size_t len)
{
    struct reader *r = arg;
    size_t n = len < r->left ? len : r->left;

    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    return (ssize_t)n;
}

struct writer {
    uint8_t *p;
    size_t len, cap;
};

static int write_cb(void *arg, const uint8_t *buf, size_t len)
{
    struct writer *w = arg;

    if (w->len + len > w->cap) {
        size_t cap = (w->len + len) * 2;
        uint8_t *p = realloc(w->p, cap);

        CHECK(p != NULL);
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, buf, len);
    w->len += len;
    return 0;
}

/* Opens env with the private key of the first recipient, and checks that
 * it is what was sealed. */
static void check_round_trip(const struct plan *p, const uint8_t *env, size_t env_len)
{
    envelope_ctx *ctx = fuzz_ctx();
    envelope_open_opts *oo = NULL;
    envelope_result *r = NULL;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    envelope_rc rc;

    CHECK(envelope_open_opts_new(&oo) == ENVELOPE_OK);
    CHECK(envelope_open_opts_set_decrypt_key(oo, openers[p->idx[0]]) == ENVELOPE_OK);
    CHECK(envelope_open_opts_add_trusted_key(oo, trusted) == ENVELOPE_OK);
    CHECK(envelope_open_opts_set_allow_compat(oo, (p->flags & FLAG_COMPAT) != 0) == ENVELOPE_OK);
    rc = envelope_open_mem(ctx, oo, env, env_len, &msg, &msg_len, &r);
    /* Open refuses a v1 envelope dated in the future, and only that. */
    if (rc == ENVELOPE_E_TOO_OLD && !(p->flags & FLAG_COMPAT) && p->created > time(NULL) &&
        strstr(envelope_ctx_detail(ctx), " ahead of this machine's clock (") != NULL) {
        envelope_open_opts_free(oo);
        return;
    }
    if (rc != ENVELOPE_OK)
        fprintf(stderr, "fuzz_seal: open: %s (%s)\n", envelope_rc_name(rc),
                envelope_ctx_detail(ctx));
    CHECK(rc == ENVELOPE_OK);
    CHECK(msg_len == p->len && (p->len == 0 || memcmp(msg, p->msg, p->len) == 0));
    CHECK(strcmp(envelope_result_name(r), p->name_set ? p->name : "message") == 0);
    CHECK(envelope_result_size(r) == p->len);
    if (p->flags & FLAG_COMPAT) {
        CHECK(envelope_result_format(r) == ENVELOPE_FORMAT_COMPAT);
        CHECK(env_len == recipients[p->idx[0]].bits / 8);
    } else {
        CHECK(envelope_result_format(r) == ENVELOPE_FORMAT_V1);
        CHECK(envelope_result_recipient_count(r) == p->n);
        if (p->created)
            CHECK(envelope_result_created(r) == (time_t)p->created);
    }
    envelope_free_secret(msg, msg_len);
    envelope_result_free(r);
    envelope_open_opts_free(oo);
}

/* ------------------------------------------------------------ the target */

/* The KMS signing key as recipient i while it also signs: one object. */
static int shares_signer(const struct plan *p, size_t i)
{
    return p->sign_with == 1 && p->idx[i] == N_RECIPIENTS - 1;
}

static envelope_seal_opts *make_opts(const struct plan *p, envelope_key **keys,
                                     envelope_key **kms_signer)
{
    envelope_seal_opts *so = NULL;
    envelope_key *sign = signer;

    CHECK(envelope_seal_opts_new(&so) == ENVELOPE_OK);
    *kms_signer = NULL;
    if (p->sign_with)
        sign = *kms_signer = kms_key(p->sign_with == 1 ? "awskms:///alias/fuzz-sign"
                                                       : "awskms:///alias/fuzz-rsa4096");
    CHECK(envelope_seal_opts_set_sign_key(so, sign) == ENVELOPE_OK);
    for (size_t i = 0; i < p->n; i++) {
        size_t k = p->idx[i];

        /* The same KMS reference twice is one key object, as a caller
         * holding it would pass it: what the first use learns, the next
         * knows. */
        keys[i] = shares_signer(p, i) ? envelope_key_ref(*kms_signer) : NULL;
        for (size_t j = 0; j < i && is_kms(k) && keys[i] == NULL; j++)
            if (p->idx[j] == k)
                keys[i] = envelope_key_ref(keys[j]);
        if (keys[i] == NULL)
            keys[i] = is_kms(k) ? kms_key(recipients[k].ref) : envelope_key_ref(local_keys[k]);
        CHECK(envelope_seal_opts_add_recipient(so, keys[i]) == ENVELOPE_OK);
    }
    CHECK(envelope_seal_opts_set_hide_recipients(so, (p->flags & FLAG_HIDE) != 0) == ENVELOPE_OK);
    CHECK(envelope_seal_opts_set_format(so, p->flags & FLAG_COMPAT ? ENVELOPE_FORMAT_COMPAT
                                                                   : ENVELOPE_FORMAT_V1) ==
          ENVELOPE_OK);
    if (p->flags & FLAG_CREATED)
        CHECK(envelope_seal_opts_set_created(so, (time_t)p->created) == ENVELOPE_OK);
    CHECK(envelope_seal_opts_set_armor(so, p->armor) == ENVELOPE_OK);
    return so;
}

/* One seal with the options, and the checks on what it gave.
 * signing_recipient: the first recipient is the KMS signing key, and has
 * shown itself to be one by signing in an earlier seal. */
static void seal_once(const struct plan *p, const envelope_seal_opts *so, int signing_recipient)
{
    envelope_ctx *ctx = fuzz_ctx();
    uint8_t *env = NULL;
    size_t env_len = 0;
    struct writer w = {0};
    envelope_rc rc;

    sends = 0;
    detail_clear(ctx);
    if (p->flags & FLAG_CALLBACKS) {
        struct reader rd = {p->msg, p->len};
        uint64_t declared = p->len + ((p->flags & FLAG_SHORT) != 0);

        rc = envelope_seal_cb(ctx, so, declared, read_cb, &rd, write_cb, &w);
        env = w.p;
        env_len = w.len;
    } else {
        rc = envelope_seal_mem(ctx, so, p->msg, p->len, &env, &env_len);
    }
    check_detail(ctx);
    /* Armor is for v1: refused first, before any call, with no output. */
    if (p->armor && (p->flags & FLAG_COMPAT)) {
        CHECK(rc == ENVELOPE_E_INVALID_ARGUMENT && sends == 0 && env == NULL && env_len == 0);
        CHECK(strncmp(envelope_ctx_detail(ctx), "armor is for v1 envelopes", 25) == 0);
        return;
    }
    /* A compat message no recipient can hold: refused, before any call. */
    if ((p->flags & FLAG_COMPAT) && p->n == 1 && p->len > COMPAT_MAX)
        CHECK(rc == ENVELOPE_E_COMPAT_TOO_LARGE && sends == 0);
    /* Not even an empty message's archive fits RSA-2048's 190 bytes. */
    if ((p->flags & FLAG_COMPAT) && p->n == 1 && recipients[p->idx[0]].bits == 2048)
        CHECK(rc != ENVELOPE_OK);
    /* A key known not to be RSA as the compat recipient: refused before
     * any call. */
    if (signing_recipient && (p->flags & FLAG_COMPAT) && p->n == 1)
        CHECK(rc == ENVELOPE_E_KEY_TYPE && sends == 0 &&
              strcmp(envelope_ctx_detail(ctx),
                     "the compat recipient is not an RSA encryption key") == 0);
    if (rc == ENVELOPE_OK) {
        CHECK(!has_wrong_kind(p) && !((p->flags & FLAG_CALLBACKS) && (p->flags & FLAG_SHORT)));
        if (p->armor)
            check_armor_text(env, env_len);
        check_round_trip(p, env, env_len);
    } else {
        if (!allowed_failure(rc, p))
            fprintf(stderr, "fuzz_seal: seal: %s (%s)\n", envelope_rc_name(rc),
                    envelope_ctx_detail(ctx));
        CHECK(allowed_failure(rc, p));
        if (!(p->flags & FLAG_CALLBACKS))
            CHECK(env == NULL && env_len == 0);
        if (rc == ENVELOPE_E_COMPAT_TOO_LARGE)
            CHECK(strstr(envelope_ctx_detail(ctx), "bytes") != NULL);
    }
    if (p->flags & FLAG_CALLBACKS)
        free(w.p);
    else
        envelope_free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_key *keys[16], *kms_signer;
    envelope_seal_opts *so;
    struct plan p;

    if (parse(data, size, &p) != 0)
        return -1;
    so = make_opts(&p, keys, &kms_signer);
    allow_get_public_key = (p.flags & FLAG_GET_PUBLIC_KEY) != 0;
    /* The name rules are the header and manifest targets'. */
    if (!p.name_set || envelope_seal_opts_set_name(so, p.name) == ENVELOPE_OK)
        for (int round = 0; round < (p.flags & FLAG_AGAIN ? 2 : 1); round++)
            /* The second, as a long-lived caller makes it: the KMS keys
             * know what KMS showed of them in the first. */
            seal_once(&p, so, round == 1 && shares_signer(&p, 0) &&
                                  envelope_key_get_kind(keys[0]) == ENVELOPE_KEY_SIGNING);
    envelope_seal_opts_free(so);
    for (size_t i = 0; i < p.n; i++)
        envelope_key_free(keys[i]);
    envelope_key_free(kms_signer);
    return 0;
}
