/* STS's XML answers (sts.h, sts_parse_answer): credentials or an error,
 * read with libxml2 safely inside someone else's process: from memory, no
 * network, no entity substitution, no DTD, no reports. Every text node is
 * wiped before the document is freed: an answer holds a secret key and a
 * session token. Fuzzed by fuzz/fuzz_sts_xml.c. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "base/context.h"
#include "aws/sts.h"
#include "aws/xml_dl.h"

#define STS_MESSAGE_MAX 400

/* The one element child named name: NULL when there is none or several. */
static const xmlNode *child(const xmlNode *n, const char *name)
{
    const xmlNode *found = NULL;

    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
            continue;
        if (found)
            return NULL;
        found = c;
    }
    return found;
}

/* The element's text, surrounding white space trimmed, into out: -1 when
 * it holds an element or is longer than cap - 1. */
static int text_of(const xmlNode *n, char *out, size_t cap, size_t *len)
{
    size_t j = 0, start = 0;

    for (const xmlNode *c = n->children; c; c = c->next) {
        size_t k;

        if (c->type == XML_ELEMENT_NODE)
            return -1;
        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        k = strlen((const char *)c->content);
        if (k >= cap - j)
            return -1;
        memcpy(out + j, c->content, k);
        j += k;
    }
    while (j > 0 && strchr(" \t\r\n", out[j - 1]))
        j--;
    out[j] = '\0';
    while (start < j && strchr(" \t\r\n", out[start]))
        start++;
    memmove(out, out + start, j - start + 1);
    *len = j - start;
    return 0;
}

/* The whole document's text wiped: libxml2 frees without wiping. With
 * XML_PARSE_NODICT no text is shared through a dictionary. */
static void wipe_tree(xmlNode *n, int depth)
{
    for (; n && depth < 1024; n = n->next) {
        if (n->content)
            OPENSSL_cleanse(n->content, strlen((const char *)n->content));
        if (n->type == XML_ELEMENT_NODE)
            wipe_tree(n->children, depth + 1);
    }
}

static const xmlNode *root_of(const xmlDoc *doc)
{
    for (const xmlNode *c = doc->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

/* Stars out the start of secret when out ends with it: the bound cut the
 * secret there, and its first characters are still secret. */
static void redact_cut(char *out, size_t len, const char *secret, size_t n)
{
    for (size_t k = len < n ? len : n - 1; k >= 8; k--)
        if (memcmp(out + len - k, secret, k) == 0) {
            memset(out + len - k, '*', k);
            return;
        }
}

/* Printable ASCII, bounded, up to the first line break, with the secrets
 * starred out: STS's words reach the caller's terminal. */
static void clean_text(const char *s, char *out, size_t cap, const char *const *redact)
{
    size_t j = 0;

    for (size_t i = 0; s[i] && s[i] != '\n' && s[i] != '\r' && j + 1 < cap; i++)
        out[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[j] = '\0';
    for (size_t r = 0; redact && redact[r]; r++) {
        size_t n = strlen(redact[r]);
        char *p = out;

        while (n >= 8 && (p = strstr(p, redact[r])) != NULL) {
            memset(p, '*', n);
            p += n;
        }
        if (n > 8)
            redact_cut(out, j, redact[r], n);
    }
}

envelope_rc sts_error_code(const char *code, long status)
{
    static const char *const throttling[] = {"Throttling", "ThrottlingException",
                                             "RequestLimitExceeded", "TooManyRequestsException"};

    for (size_t i = 0; code && i < sizeof(throttling) / sizeof(throttling[0]); i++)
        if (strcmp(code, throttling[i]) == 0)
            return ENVELOPE_E_KMS_THROTTLED;
    if ((code && strcmp(code, "IDPCommunicationError") == 0) || status >= 500)
        return ENVELOPE_E_KMS_UNAVAILABLE;
    /* AccessDenied, ExpiredToken, InvalidIdentityToken, IDPRejectedClaim,
     * RegionDisabledException, InvalidClientTokenId, ...: these
     * credentials cannot be had. */
    return ENVELOPE_E_CREDENTIALS;
}

int sts_retryable(envelope_rc rc, const char *code, long status)
{
    if (rc == ENVELOPE_E_NETWORK || rc == ENVELOPE_E_TIMEOUT)
        return 1;
    if (rc == ENVELOPE_E_TLS || rc == ENVELOPE_E_NOMEM || rc == ENVELOPE_E_INTERNAL ||
        rc == ENVELOPE_E_UNSUPPORTED || status == 0)
        return 0;
    return sts_error_code(code, status) != ENVELOPE_E_CREDENTIALS;
}

static envelope_rc read_error(envelope_ctx *ctx, const char *what, long status,
                              const xmlNode *root, const char *const *redact,
                              char code[STS_CODE_MAX])
{
    const xmlNode *err = root && strcmp((const char *)root->name, "ErrorResponse") == 0
                             ? child(root, "Error")
                             : NULL;
    const xmlNode *c = child(err, "Code"), *m = child(err, "Message");
    char raw[4 * STS_MESSAGE_MAX], message[STS_MESSAGE_MAX + 1];
    size_t len;
    envelope_rc rc;

    message[0] = '\0';
    if (c == NULL || text_of(c, raw, STS_CODE_MAX, &len) != 0 || len == 0)
        return fail(ctx, sts_error_code(NULL, status), "%s: HTTP %ld without an STS error",
                    what, status);
    clean_text(raw, code, STS_CODE_MAX, redact);
    if (m && text_of(m, raw, sizeof(raw), &len) == 0)
        clean_text(raw, message, sizeof(message), redact);
    rc = fail(ctx, sts_error_code(code, status), "%s: %s%s%s", what, code,
              message[0] ? ": " : "", message);
    /* The raw text may echo what was redacted from the message. */
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(message, sizeof(message));
    return rc;
}

/* AccessKeyId, SecretAccessKey, SessionToken, Expiration of the answer's
 * Credentials element. A wrong root element is named with the secrets
 * starred out: an XML name can spell a web identity token. */
static envelope_rc read_creds(envelope_ctx *ctx, const char *what, const char *action,
                              const xmlNode *root, const char *const *redact,
                              struct aws_creds *out)
{
    char name[64], root_name[41], id[ACCESS_KEY_ID_MAX + 1], secret[SECRET_KEY_MAX + 1];
    char token[SESSION_TOKEN_MAX + 1], exp[64];
    size_t id_len, secret_len, token_len, exp_len;
    const xmlNode *creds, *n[4];
    envelope_rc rc = ENVELOPE_E_CREDENTIALS;
    time_t expiration;

    snprintf(name, sizeof(name), "%sResponse", action);
    if (strcmp((const char *)root->name, name) != 0) {
        clean_text((const char *)root->name, root_name, sizeof(root_name), redact);
        return fail(ctx, rc, "%s: the answer is <%s>, not <%s>", what, root_name, name);
    }
    snprintf(name, sizeof(name), "%sResult", action);
    if ((creds = child(child(root, name), "Credentials")) == NULL)
        return fail(ctx, rc, "%s: the answer has no single %s/Credentials", what, name);
    n[0] = child(creds, "AccessKeyId");
    n[1] = child(creds, "SecretAccessKey");
    n[2] = child(creds, "SessionToken");
    n[3] = child(creds, "Expiration");
    if (!n[0] || !n[1] || !n[2] || !n[3])
        return fail(ctx, rc, "%s: the answer's Credentials have no single %s", what,
                    !n[0] ? "AccessKeyId" : !n[1] ? "SecretAccessKey"
                                          : !n[2] ? "SessionToken" : "Expiration");
    if (text_of(n[0], id, sizeof(id), &id_len) != 0 ||
        text_of(n[1], secret, sizeof(secret), &secret_len) != 0 ||
        text_of(n[2], token, sizeof(token), &token_len) != 0)
        rc = fail(ctx, rc, "%s: the answer's credentials are not text of the expected size",
                  what);
    else if (text_of(n[3], exp, sizeof(exp), &exp_len) != 0 ||
             creds_parse_time(exp, exp_len, &expiration) != 0)
        rc = fail(ctx, rc, "%s: Expiration is not an RFC 3339 time (2024-05-01T12:00:00Z)",
                  what);
    else if ((rc = creds_set(ctx, what, id, id_len, secret, secret_len, token, token_len,
                             out)) == ENVELOPE_OK)
        out->expiration = expiration;
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(token, sizeof(token));
    return rc;
}

envelope_rc sts_parse_answer(envelope_ctx *ctx, const char *what, const char *action,
                             long status, const uint8_t *body, size_t len,
                             const char *const *redact, struct aws_creds *out,
                             char code[STS_CODE_MAX])
{
    /* No network, no entities substituted, no external DTD, no reports. */
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                        XML_PARSE_NODICT;
    const struct xml_api *x;
    const xmlNode *root;
    xmlDoc *doc;
    envelope_rc rc;

    memset(out, 0, sizeof(*out));
    code[0] = '\0';
    if (len > STS_ANSWER_MAX)
        return fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: answer larger than %d bytes", what,
                    STS_ANSWER_MAX);
    if ((rc = xml_dl_get(ctx, &x)) != ENVELOPE_OK)
        return rc;
    if ((doc = x->read_memory((const char *)body, (int)len, NULL, NULL, options)) == NULL)
        return fail(ctx, status == 200 ? ENVELOPE_E_CREDENTIALS : sts_error_code(NULL, status),
                    "%s: the answer (HTTP %ld, %zu bytes) is not well-formed XML", what, status,
                    len);
    root = root_of(doc);
    if (doc->intSubset || doc->extSubset)
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the answer holds a DTD, which STS never "
                                               "sends", what);
    else if (root == NULL)
        rc = fail(ctx, ENVELOPE_E_CREDENTIALS, "%s: the answer has no element", what);
    else if (status != 200)
        rc = read_error(ctx, what, status, root, redact, code);
    else
        rc = read_creds(ctx, what, action, root, redact, out);
    wipe_tree(doc->children, 0);
    x->free_doc(doc);
    return rc;
}

