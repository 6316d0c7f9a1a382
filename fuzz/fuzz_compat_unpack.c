/* The compat archive reader (compat_open.c), fed bytes as if RSA-OAEP had
 * just decrypted them: a gzip'd tar of message.sig and the message, at most
 * 512 bytes (one RSA-4096 block). */
#include "common.h"
#include "pipeline/compat.h"
#include "keys/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    envelope_ctx *ctx = fuzz_ctx();
    struct opened raw;
    uint8_t msg[WRAPPED_MAX];
    char name[MESSAGE_NAME_MAX + 1] = "";
    size_t msg_len = 0;
    const char *why;
    envelope_rc rc;

    if (size > WRAPPED_MAX) /* RSA-OAEP never gives more */
        return 0;
    memset(&raw, 0, sizeof(raw));
    rc = compat_unpack(ctx, data, size, &raw, msg, &msg_len, name);
    check_detail(ctx);
    if (rc != ENVELOPE_OK) {
        CHECK(rc == ENVELOPE_E_BAD_ARCHIVE || rc == ENVELOPE_E_NOMEM);
        return 0;
    }
    CHECK(raw.sig_len <= SIG_MAX && msg_len <= WRAPPED_MAX);
    CHECK(message_name_check(name, strlen(name), &why) == 0);
    CHECK(strcmp(name, "message.sig") != 0);
    return 0;
}
