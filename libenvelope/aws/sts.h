/* The STS client: AssumeRole (SigV4-signed with the source credentials) and
 * AssumeRoleWithWebIdentity (unsigned), over the HTTP layer KMS uses
 * (sts.c), through the process's cache (sts_cache.h), with their XML
 * answers read by libxml2 (sts_xml.c, xml_dl.h). Where STS is (endpoint
 * and region) is decided here too. The chain that decides which role to
 * assume with what lives in creds_assume.c. */
#ifndef ENVELOPE_STS_H
#define ENVELOPE_STS_H

#include <stddef.h>
#include <stdint.h>

#include "aws/creds.h"
#include "aws/http.h"
#include "aws/kms.h"

#define STS_ANSWER_MAX HTTP_RESPONSE_MAX
#define ROLE_ARN_MAX 2048
#define SESSION_NAME_MAX 64
#define EXTERNAL_ID_MAX 1224
#define WEB_TOKEN_MAX 20000          /* STS's limit on WebIdentityToken */
#define DURATION_MIN 900
#define DURATION_MAX 43200
#define STS_CODE_MAX 64

/* Where STS is reached, and the region its signatures are scoped to. */
struct sts_place {
    char region[REGION_MAX + 1];
    char url[KMS_URL_MAX + 1];
    int allow_http;
};

/* The regional endpoint's host for region, FIPS or not: 0, or -1 when
 * there is no FIPS endpoint of STS in that region. */
int sts_default_host(const char *region, int fips, char *out, size_t size);

/* AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else profile_url (the
 * profile's endpoint_url, may be NULL), else the regional endpoint. The
 * region: AWS_REGION / AWS_DEFAULT_REGION, else the profile's, else
 * region_hint (the KMS key's, may be NULL or ""). FIPS: AWS_USE_FIPS_ENDPOINT,
 * else profile_fips (the profile's use_fips_endpoint, may be NULL).
 * ENVELOPE_E_CREDENTIALS naming what is missing or wrong. */
envelope_rc sts_place_resolve(envelope_ctx *ctx, const char *profile_url,
                              const char *profile_fips, const char *region_hint,
                              struct sts_place *out);

/* What to ask STS for. source names where the request comes from, for
 * details: "profile x", "environment AWS_ROLE_ARN". */
struct sts_role {
    const char *role_arn;
    const char *session_name;  /* NULL: "libenvelope-session-TIME" */
    const char *external_id;   /* NULL: none */
    unsigned long duration;    /* 0: STS's default */
    const char *source;
};

/* Checks the request's values (ARN, session name, external id, duration):
 * ENVELOPE_E_CREDENTIALS naming the bad one. */
envelope_rc sts_role_check(envelope_ctx *ctx, const struct sts_role *r);

/* AssumeRole signed with src. On success *out holds the role's temporary
 * credentials, refreshable, their source naming the role. */
envelope_rc sts_assume_role(envelope_ctx *ctx, const struct sts_place *where,
                            const struct sts_role *r, const struct aws_creds *src,
                            struct aws_creds *out);
/* AssumeRoleWithWebIdentity with the token read from token_file now. */
envelope_rc sts_assume_role_web_identity(envelope_ctx *ctx, const struct sts_place *where,
                                         const struct sts_role *r, const char *token_file,
                                         struct aws_creds *out);

/* Reads one STS answer of action ("AssumeRole", ...) with HTTP status:
 * for 200, the credentials into *out (Expiration required); otherwise the
 * error: its code in code ("" if none could be read) and the rc it maps
 * to, with a detail "what: Code: Message" (printable, bounded, with any of
 * the strings in redact, NULL-terminated, starred out). A body larger than
 * STS_ANSWER_MAX, not well-formed, holding a DTD or missing an element is
 * ENVELOPE_E_CREDENTIALS. The document's text is wiped before it is freed. */
envelope_rc sts_parse_answer(envelope_ctx *ctx, const char *what, const char *action,
                             long status, const uint8_t *body, size_t len,
                             const char *const *redact, struct aws_creds *out,
                             char code[STS_CODE_MAX]);
/* The envelope code for an STS error code and status. */
envelope_rc sts_error_code(const char *code, long status);
/* 1 when another attempt may help: throttling, IDPCommunicationError,
 * 5xx, the network. */
int sts_retryable(envelope_rc rc, const char *code, long status);

#endif
