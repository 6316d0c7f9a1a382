/* What each command records for its --json object: the members of the
 * schema in envelope(1), built while the library's objects still exist. */
#include <string.h>

#include "cli.h"

#define IDENTITY_MAX 1024 /* a label's bound (docs/FORMAT.md, "Keys") */

/* The key of an awskms://HOST/KEY reference when it is a key ARN, else
 * NULL: an alias or a key id names no ARN. */
static const char *kms_arn(const char *ref)
{
    const char *key;

    if (ref == NULL || strncmp(ref, "awskms://", 9) != 0 || (key = strchr(ref + 9, '/')) == NULL)
        return NULL;
    return strncmp(key + 1, "arn:", 4) == 0 ? key + 1 : NULL;
}

/* Splits identities ("sha256:HEX", "arn:...", or both with a space) into
 * the one of each kind; either may stay empty. */
static void split_identities(const char *ids, char fp[IDENTITY_MAX + 1],
                             char arn[IDENTITY_MAX + 1])
{
    fp[0] = arn[0] = '\0';
    while (*ids) {
        size_t n = strcspn(ids, " ");
        char *to = strncmp(ids, "sha256:", 7) == 0 ? fp : strncmp(ids, "arn:", 4) == 0 ? arn
                                                                                     : NULL;

        if (to && n <= IDENTITY_MAX) {
            memcpy(to, ids, n);
            to[n] = '\0';
        }
        ids += n + (ids[n] == ' ');
    }
}

static void identity_members(struct json_out *j, const char *ids)
{
    char fp[IDENTITY_MAX + 1], arn[IDENTITY_MAX + 1];

    split_identities(ids, fp, arn);
    json_out_member_string(j, "fingerprint", fp[0] ? fp : NULL);
    json_out_member_string(j, "arn", arn[0] ? arn : NULL);
}

static void bits_member(struct json_out *j, unsigned bits)
{
    if (bits)
        json_out_member_uint(j, "bits", bits);
    else
        json_out_member_null(j, "bits");
}

void json_put_info(const envelope_info *info)
{
    struct json_out *j = json_members();
    uint64_t payload = envelope_info_payload_size(info);

    json_out_begin_object(j);
    json_out_member_string(j, "format", "v1");
    json_out_member_uint(j, "version", envelope_info_version(info));
    json_out_member_uint(j, "suite", envelope_info_suite(info));
    json_out_member_uint(j, "chunk_size", envelope_info_chunk_size(info));
    json_out_member_uint(j, "header_size", envelope_info_header_size(info));
    if (payload) /* 0: not known, the input could not be measured */
        json_out_member_uint(j, "payload_size", payload);
    else
        json_out_member_null(j, "payload_size");
    json_out_key(j, "recipients");
    json_out_begin_array(j);
    for (size_t i = 0; i < envelope_info_recipient_count(info); i++) {
        json_out_begin_object(j);
        identity_members(j, envelope_info_recipient_label(info, i));
        bits_member(j, envelope_info_recipient_bits(info, i));
        json_out_end_object(j);
    }
    json_out_end_array(j);
    json_out_end_object(j);
}

void json_put_compat(unsigned bits)
{
    struct json_out *j = json_members();

    json_out_begin_object(j);
    json_out_member_string(j, "format", "compat");
    json_out_member_null(j, "version");
    json_out_member_null(j, "suite");
    json_out_member_null(j, "chunk_size");
    json_out_member_null(j, "header_size");
    json_out_member_uint(j, "payload_size", bits / 8); /* the whole file: one ciphertext */
    json_out_key(j, "recipients");
    json_out_begin_array(j);
    json_out_begin_object(j);
    json_out_member_null(j, "fingerprint");
    json_out_member_null(j, "arn");
    json_out_member_uint(j, "bits", bits);
    json_out_end_object(j);
    json_out_end_array(j);
    json_out_end_object(j);
}

/* The KMS entries of set: keys with no fingerprint in it (none computed,
 * which could cost a KMS call). Their number; the last in *last. */
static size_t kms_entries(const struct key_set *set, size_t *last)
{
    size_t n = 0;

    for (size_t i = 0; i < set->n; i++)
        if (set->fingerprints[i][0] == '\0') {
            *last = i;
            n++;
        }
    return n;
}

const char *json_signer_ref(envelope_ctx *ctx, const struct key_set *set, const char *signer)
{
    char fp[ENVELOPE_FINGERPRINT_SIZE];
    const char *arn;
    size_t last = 0, n_kms = kms_entries(set, &last);

    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->fingerprints[i], signer) == 0)
            return set->refs[i];
    /* Not a local key: one of the KMS keys verified it. */
    if (n_kms == 1)
        return set->refs[last];
    for (size_t i = 0; i < set->n; i++) {
        if (set->fingerprints[i][0])
            continue;
        /* Known from a key ARN reference, or learnt from KMS's answer to
         * the Verify that matched: an alias too. */
        if ((arn = envelope_key_arn(set->keys[i])) != NULL && strcmp(arn, signer) == 0)
            return set->refs[i];
        /* The verifier's public key, if it was fetched, is cached in it. */
        if (strncmp(signer, "sha256:", 7) == 0 &&
            envelope_key_fingerprint(ctx, set->keys[i], fp) == ENVELOPE_OK &&
            strcmp(fp, signer) == 0)
            return set->refs[i];
    }
    return NULL; /* several KMS keys: which one cannot be told */
}

static void signer_member(struct json_out *j, const char *signer, const char *ref)
{
    int is_fp = strncmp(signer, "sha256:", 7) == 0;

    json_out_key(j, "signer");
    json_out_begin_object(j);
    json_out_member_string(j, "fingerprint", is_fp ? signer : NULL);
    json_out_member_string(j, "arn", is_fp ? kms_arn(ref) : signer);
    json_out_member_string(j, "matched_key", ref);
    json_out_end_object(j);
}

void json_put_result(const envelope_result *r, const char *signer_ref, const char *output)
{
    struct json_out *j = json_members();
    char when[32];

    json_out_begin_object(j);
    json_out_member_string(j, "name", envelope_result_name(r));
    json_out_member_uint(j, "size", envelope_result_size(r));
    json_out_member_string(j, "sha512", envelope_result_sha512(r));
    if (envelope_result_format(r) == ENVELOPE_FORMAT_COMPAT) {
        json_out_member_null(j, "created"); /* a compat envelope has no time */
    } else {
        format_time(envelope_result_created(r), when);
        json_out_member_string(j, "created", when);
    }
    signer_member(j, envelope_result_signer(r), signer_ref);
    json_out_key(j, "recipients");
    json_out_begin_array(j);
    for (size_t i = 0; i < envelope_result_recipient_count(r); i++) {
        json_out_begin_object(j);
        identity_members(j, envelope_result_recipient(r, i));
        json_out_end_object(j);
    }
    json_out_end_array(j);
    if (output) /* verify has none */
        json_out_member_string(j, "output", output);
    json_out_end_object(j);
}

void json_put_key(const envelope_key *key, const char *ref, const char *fp,
                  const char *const *outputs, size_t n_outputs)
{
    struct json_out *j = json_members();
    envelope_key_kind kind = envelope_key_get_kind(key);
    char short_fp[FINGERPRINT_SHORT];

    json_out_begin_object(j);
    json_out_member_string(j, "kind", kind == ENVELOPE_KEY_SIGNING      ? "signing"
                                  : kind == ENVELOPE_KEY_ENCRYPTION ? "encryption"
                                                                    : NULL);
    bits_member(j, envelope_key_bits(key));
    json_out_member_string(j, "fingerprint", fp);
    json_out_member_string(j, "short_fingerprint",
                       fingerprint_short(fp, short_fp) ? short_fp : NULL);
    json_out_member_string(j, "arn", kms_arn(ref));
    json_out_key(j, "outputs");
    json_out_begin_array(j);
    for (size_t i = 0; i < n_outputs; i++)
        json_out_string(j, outputs[i]);
    json_out_end_array(j);
    json_out_end_object(j);
}
