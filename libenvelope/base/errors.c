/* The error table. Switches without a default, so that -Wswitch names any
 * code added to the enum without a sentence here. */
#include "envelope.h"

const char *envelope_strerror(envelope_rc rc)
{
    switch (rc) {
    case ENVELOPE_OK: return "success";
    case ENVELOPE_E_INTERNAL: return "internal error";
    case ENVELOPE_E_NOMEM: return "out of memory";
    case ENVELOPE_E_INVALID_ARGUMENT: return "invalid argument";
    case ENVELOPE_E_IO: return "input/output error";
    case ENVELOPE_E_OUTPUT_EXISTS: return "output already exists";
    case ENVELOPE_E_KEY_LOAD: return "cannot load key";
    case ENVELOPE_E_KEY_PASSPHRASE: return "wrong or missing passphrase for key";
    case ENVELOPE_E_KEY_TYPE: return "key is of the wrong type or size for this use";
    case ENVELOPE_E_KEY_NOT_PRIVATE: return "a private key is needed";
    case ENVELOPE_E_BAD_NAME: return "message name not allowed";
    case ENVELOPE_E_TOO_MANY_RECIPIENTS: return "need 1 to 16 recipients";
    case ENVELOPE_E_NOT_ENVELOPE: return "not an envelope";
    case ENVELOPE_E_UNKNOWN_VERSION: return "unknown envelope version";
    case ENVELOPE_E_BAD_HEADER: return "malformed envelope header";
    case ENVELOPE_E_NOT_RECIPIENT: return "envelope not addressed to this key";
    case ENVELOPE_E_TAMPERED: return "envelope tampered with: authentication failed";
    case ENVELOPE_E_TRUNCATED: return "envelope truncated";
    case ENVELOPE_E_TRAILING_DATA: return "data after the end of the envelope";
    case ENVELOPE_E_BAD_ARCHIVE: return "inner archive breaks the envelope rules";
    case ENVELOPE_E_UNTRUSTED_SIGNER: return "signature does not verify under any trusted key";
    case ENVELOPE_E_BAD_MANIFEST: return "malformed manifest";
    case ENVELOPE_E_FORWARDED: return "manifest was signed for another envelope (forwarded)";
    case ENVELOPE_E_MESSAGE_MISMATCH: return "message does not match its manifest";
    case ENVELOPE_E_TOO_LARGE: return "message larger than allowed";
    case ENVELOPE_E_TOO_OLD: return "envelope older than allowed, or dated in the future";
    case ENVELOPE_E_COMPAT_REFUSED: return "compat envelope refused: it lacks recipient binding";
    case ENVELOPE_E_COMPAT_TOO_LARGE: return "message too large for the compat format";
    case ENVELOPE_E_CANCELLED: return "cancelled";
    case ENVELOPE_E_UNSUPPORTED: return "not supported";
    case ENVELOPE_E_KMS: return "KMS request failed";
    case ENVELOPE_E_KMS_ACCESS_DENIED: return "KMS access denied";
    case ENVELOPE_E_KMS_NOT_FOUND: return "KMS key not found";
    case ENVELOPE_E_KMS_DISABLED: return "KMS key disabled";
    case ENVELOPE_E_KMS_KEY_USAGE: return "KMS key cannot be used for this operation";
    case ENVELOPE_E_KMS_AUTH: return "KMS rejected the credentials";
    case ENVELOPE_E_KMS_THROTTLED: return "KMS throttled the request";
    case ENVELOPE_E_KMS_UNAVAILABLE: return "KMS unavailable";
    case ENVELOPE_E_KMS_BAD_RESPONSE: return "malformed KMS response";
    case ENVELOPE_E_NETWORK: return "network error";
    case ENVELOPE_E_TLS: return "TLS error";
    case ENVELOPE_E_TIMEOUT: return "timed out";
    case ENVELOPE_E_CREDENTIALS: return "no usable AWS credentials";
    case ENVELOPE_E_KEY_REF: return "malformed key reference";
    }
    return "unknown error";
}

const char *envelope_rc_name(envelope_rc rc)
{
    switch (rc) {
    case ENVELOPE_OK: return "OK";
    case ENVELOPE_E_INTERNAL: return "INTERNAL";
    case ENVELOPE_E_NOMEM: return "NOMEM";
    case ENVELOPE_E_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case ENVELOPE_E_IO: return "IO";
    case ENVELOPE_E_OUTPUT_EXISTS: return "OUTPUT_EXISTS";
    case ENVELOPE_E_KEY_LOAD: return "KEY_LOAD";
    case ENVELOPE_E_KEY_PASSPHRASE: return "KEY_PASSPHRASE";
    case ENVELOPE_E_KEY_TYPE: return "KEY_TYPE";
    case ENVELOPE_E_KEY_NOT_PRIVATE: return "KEY_NOT_PRIVATE";
    case ENVELOPE_E_BAD_NAME: return "BAD_NAME";
    case ENVELOPE_E_TOO_MANY_RECIPIENTS: return "TOO_MANY_RECIPIENTS";
    case ENVELOPE_E_NOT_ENVELOPE: return "NOT_ENVELOPE";
    case ENVELOPE_E_UNKNOWN_VERSION: return "UNKNOWN_VERSION";
    case ENVELOPE_E_BAD_HEADER: return "BAD_HEADER";
    case ENVELOPE_E_NOT_RECIPIENT: return "NOT_RECIPIENT";
    case ENVELOPE_E_TAMPERED: return "TAMPERED";
    case ENVELOPE_E_TRUNCATED: return "TRUNCATED";
    case ENVELOPE_E_TRAILING_DATA: return "TRAILING_DATA";
    case ENVELOPE_E_BAD_ARCHIVE: return "BAD_ARCHIVE";
    case ENVELOPE_E_UNTRUSTED_SIGNER: return "UNTRUSTED_SIGNER";
    case ENVELOPE_E_BAD_MANIFEST: return "BAD_MANIFEST";
    case ENVELOPE_E_FORWARDED: return "FORWARDED";
    case ENVELOPE_E_MESSAGE_MISMATCH: return "MESSAGE_MISMATCH";
    case ENVELOPE_E_TOO_LARGE: return "TOO_LARGE";
    case ENVELOPE_E_TOO_OLD: return "TOO_OLD";
    case ENVELOPE_E_COMPAT_REFUSED: return "COMPAT_REFUSED";
    case ENVELOPE_E_COMPAT_TOO_LARGE: return "COMPAT_TOO_LARGE";
    case ENVELOPE_E_CANCELLED: return "CANCELLED";
    case ENVELOPE_E_UNSUPPORTED: return "UNSUPPORTED";
    case ENVELOPE_E_KMS: return "KMS";
    case ENVELOPE_E_KMS_ACCESS_DENIED: return "KMS_ACCESS_DENIED";
    case ENVELOPE_E_KMS_NOT_FOUND: return "KMS_NOT_FOUND";
    case ENVELOPE_E_KMS_DISABLED: return "KMS_DISABLED";
    case ENVELOPE_E_KMS_KEY_USAGE: return "KMS_KEY_USAGE";
    case ENVELOPE_E_KMS_AUTH: return "KMS_AUTH";
    case ENVELOPE_E_KMS_THROTTLED: return "KMS_THROTTLED";
    case ENVELOPE_E_KMS_UNAVAILABLE: return "KMS_UNAVAILABLE";
    case ENVELOPE_E_KMS_BAD_RESPONSE: return "KMS_BAD_RESPONSE";
    case ENVELOPE_E_NETWORK: return "NETWORK";
    case ENVELOPE_E_TLS: return "TLS";
    case ENVELOPE_E_TIMEOUT: return "TIMEOUT";
    case ENVELOPE_E_CREDENTIALS: return "CREDENTIALS";
    case ENVELOPE_E_KEY_REF: return "KEY_REF";
    }
    return "UNKNOWN";
}
