/* The STS answers: an HTTP status and an XML body, as STS would send them,
 * read by sts_parse_answer through libxml2 (loaded with dlopen, as in the
 * library; it is not instrumented, the code around it is).
 *
 * Input: byte 0 picks the action (bit 0: AssumeRoleWithWebIdentity), byte 1
 * the HTTP status (below 0xa0: 200), the rest is the body.
 *
 * Invariants: only a 200 gives credentials, and then all of them, with an
 * expiration; every failure is one of the codes STS answers map to, leaves
 * *out empty, and has a printable detail that never holds the redacted
 * strings. */
#include "common.h"
#include "base/context.h"
#include "aws/creds.h"
#include "aws/sts.h"

static const char *const redact[] = {"FuzzSourceSecret/Q2xlYXJseU5vdA",
                                     "FuzzWebIdentityToken.eyJzdWIi", NULL};
static const long statuses[] = {400, 403, 404, 429, 500, 502, 503, 504, 301, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    const char *action;
    char code[STS_CODE_MAX];
    struct aws_creds c;
    envelope_rc rc;
    long status;

    if (size < 2)
        return -1;
    action = data[0] & 1 ? "AssumeRoleWithWebIdentity" : "AssumeRole";
    status = data[1] < 0xa0 ? 200 : statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))];
    detail_clear(ctx);
    rc = sts_parse_answer(ctx, "STS fuzz", action, status, data + 2, size - 2, redact, &c, code);
    check_detail(ctx);
    CHECK(strnlen(code, STS_CODE_MAX) < STS_CODE_MAX);
    if (rc == ENVELOPE_OK) {
        CHECK(status == 200);
        CHECK(c.access_key_id[0] != '\0' && c.secret_access_key && c.session_token);
        CHECK(c.expiration != 0);
        creds_free(&c);
        return 0;
    }
    CHECK(rc == ENVELOPE_E_CREDENTIALS || rc == ENVELOPE_E_KMS_THROTTLED ||
          rc == ENVELOPE_E_KMS_UNAVAILABLE);
    CHECK(c.secret_access_key == NULL && c.session_token == NULL);
    for (const char *d = envelope_ctx_detail(ctx); *d; d++)
        CHECK(*d >= 0x20 && *d < 0x7f);
    for (size_t i = 0; redact[i]; i++)
        CHECK(strstr(envelope_ctx_detail(ctx), redact[i]) == NULL);
    return 0;
}
