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

int load_key(envelope_ctx *ctx, const char *flag, const char *ref, envelope_key_kind kind,
             int need_private, struct passphrase *pass, envelope_key **out)
{
    envelope_rc rc;
    char buf[64];

    pass->ref = ref;
    pass->why[0] = '\0';
    rc = envelope_key_load(ctx, ref, passphrase_cb, pass, out);
    if (rc == ENVELOPE_E_KEY_PASSPHRASE && pass->why[0])
        return fail_with(EXIT_KEY, "%s %s: %s", flag, ref, pass->why);
    if (rc == ENVELOPE_E_KEY_PASSPHRASE)
        return fail_with(EXIT_KEY, "%s %s: wrong passphrase for %s", flag, ref,
                         strncmp(ref, "file:", 5) == 0 ? ref + 5 : ref);
    if (rc != ENVELOPE_OK)
        return report_key(ctx, rc, flag, ref);
    /* A KMS key's kind may be unknown (0) until it is used: KMS says then. */
    if (kind && envelope_key_get_kind(*out) != 0 && envelope_key_get_kind(*out) != kind) {
        fail_with(EXIT_KEY, "%s %s: %s; %s takes %s", flag, ref, describe(*out, buf), flag,
                  kind == ENVELOPE_KEY_SIGNING ? "an ECDSA P-521 key"
                                               : "an RSA key (2048, 3072 or 4096 bits)");
    } else if (need_private && !envelope_key_is_private(*out)) {
        fail_with(EXIT_KEY, "%s %s: a public key; %s needs the private key (or a KMS key)", flag,
                  ref, flag);
    } else {
        return EXIT_OK;
    }
    envelope_key_free(*out);
    *out = NULL;
    return EXIT_KEY;
}
