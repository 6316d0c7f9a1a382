/* Loading the key behind an option, and checking it fits the option's role
 * before any work is done. */
#include <string.h>

#include "cli.h"

static const char *describe(const envelope_key *key, char buf[64])
{
    if (envelope_key_get_kind(key) == ENVELOPE_KEY_SIGNING)
        return "an ECDSA P-521 signing key";
    snprintf(buf, 64, "an RSA-%u encryption key", envelope_key_bits(key));
    return buf;
}

/* Whether key can play FLAG's role; a message and EXIT_KEY if not. */
static int check_role(const char *flag, const char *ref, const envelope_key *key,
                      envelope_key_kind kind, int need_private)
{
    char buf[64];

    /* A KMS key's kind may be unknown (0) until it is used: KMS says then. */
    if (kind && envelope_key_get_kind(key) != 0 && envelope_key_get_kind(key) != kind)
        return fail_as(ENVELOPE_E_KEY_TYPE, "%s %s: %s; %s takes %s", flag, ref,
                       describe(key, buf), flag,
                       kind == ENVELOPE_KEY_SIGNING ? "an ECDSA P-521 key"
                                                    : "an RSA key (2048, 3072 or 4096 bits)");
    if (need_private && !envelope_key_is_private(key))
        return fail_as(ENVELOPE_E_KEY_NOT_PRIVATE,
                       "%s %s: a public key; %s needs the private key (or a KMS key)", flag, ref,
                       flag);
    return EXIT_OK;
}

int load_key(envelope_ctx *ctx, const char *flag, const char *ref, envelope_key_kind kind,
             int need_private, struct passphrase *pass, envelope_key **out)
{
    envelope_rc rc;
    int code;

    pass->ref = ref;
    pass->why[0] = '\0';
    rc = envelope_key_load(ctx, ref, passphrase_cb, pass, out);
    if (rc == ENVELOPE_E_KEY_PASSPHRASE && pass->why[0])
        return fail_as(rc, "%s %s: %s", flag, ref, pass->why);
    if (rc == ENVELOPE_E_KEY_PASSPHRASE)
        return fail_as(rc, "%s %s: wrong passphrase for %s", flag, ref,
                       strncmp(ref, "file:", 5) == 0 ? ref + 5 : ref);
    if (rc != ENVELOPE_OK)
        return report_key(ctx, rc, flag, ref);
    if ((code = check_role(flag, ref, *out, kind, need_private)) != EXIT_OK) {
        envelope_key_free(*out);
        *out = NULL;
    }
    return code;
}

static int is_kms_ref(const char *ref)
{
    return strncmp(ref, "awskms://", 9) == 0; /* as the library reads references */
}

/* Whether the key from ref is entry i of set: the same KMS reference (a KMS
 * key's public key may cost a call), or the same local key's fingerprint. */
static int same_key(const struct key_set *set, size_t i, const char *ref, const char *fp)
{
    if (is_kms_ref(ref) || is_kms_ref(set->refs[i]))
        return strcmp(ref, set->refs[i]) == 0;
    return strcmp(fp, set->fingerprints[i]) == 0;
}

/* Adds key to set unless the same key is there already, which a note says. */
static int set_add(envelope_ctx *ctx, struct key_set *set, const char *flag, const char *ref,
                   envelope_key *key)
{
    char fp[ENVELOPE_FINGERPRINT_SIZE] = "", a[SHOWN_MAX], b[SHOWN_MAX];
    envelope_rc rc;

    if (!is_kms_ref(ref) && (rc = envelope_key_fingerprint(ctx, key, fp)) != ENVELOPE_OK)
        return report_key(ctx, rc, flag, ref);
    for (size_t i = 0; i < set->n; i++) {
        if (!same_key(set, i, ref, fp))
            continue;
        if (!cli_quiet && !json_owns(stderr))
            fprintf(stderr, "envelope: note: %s %s: the same key as %s %s, used once\n", flag,
                    shown(ref, a), flag, shown(set->refs[i], b));
        return EXIT_OK;
    }
    if (set->n == KEY_SET_MAX)
        return fail_with(EXIT_USAGE, "%s %s: more than %d keys in all", flag, ref, KEY_SET_MAX);
    set->keys[set->n] = envelope_key_ref(key);
    set->refs[set->n] = ref;
    memcpy(set->fingerprints[set->n++], fp, sizeof(fp));
    return EXIT_OK;
}

int load_key_set(envelope_ctx *ctx, const char *flag, const char *ref, envelope_key_kind kind,
                 struct passphrase *pass, struct key_set *set)
{
    envelope_key **keys = NULL;
    size_t n = 0;
    envelope_rc rc;
    int code = EXIT_OK;
    char buf[SHOWN_MAX];

    pass->ref = ref;
    pass->why[0] = '\0';
    rc = envelope_keys_load(ctx, ref, passphrase_cb, pass, &keys, &n);
    if (rc == ENVELOPE_E_KEY_PASSPHRASE && pass->why[0])
        return fail_as(rc, "%s %s: %s", flag, ref, pass->why);
    if (rc != ENVELOPE_OK)
        return report_key(ctx, rc, flag, ref);
    for (size_t i = 0; code == EXIT_OK && i < n; i++)
        if ((code = check_role(flag, ref, keys[i], kind, 0)) == EXIT_OK)
            code = set_add(ctx, set, flag, ref, keys[i]);
    if (code == EXIT_OK && n > 1 && !cli_quiet && !json_owns(stderr))
        fprintf(stderr, "envelope: %s %s: %zu keys\n", flag, shown(ref, buf), n);
    envelope_keys_free(keys, n);
    return code;
}

void key_set_free(struct key_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        envelope_key_free(set->keys[i]);
    set->n = 0;
}
