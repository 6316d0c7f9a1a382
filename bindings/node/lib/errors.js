'use strict';
// The errors the library reports: one class per family of its error codes,
// with the same names as the Python bindings' classes. Each carries .code,
// the library's stable name for the failure ("TAMPERED"), and .detail, what
// exactly failed (which file, which key, what OpenSSL or KMS said; never
// key material).

class EnvelopeError extends Error {
  constructor(code, detail = '', reason = undefined) {
    const why = reason || code;
    super(`${detail ? `${why}: ${detail}` : why} [${code}]`);
    this.name = new.target.name;
    this.code = code;
    this.detail = detail;
    this.rc = null; // the library's number for code, when the failure came from it
  }
}

/** The envelope failed a check; nothing of the message was released. */
class VerificationError extends EnvelopeError {}
/** Not an envelope this library opens. */
class FormatError extends EnvelopeError {}
/** A key could not be read: missing file, not a key, passphrase, bad reference. */
class KeyLoadError extends EnvelopeError {}
/** A key of the wrong kind or size, or public where private is needed. */
class KeyUsageError extends EnvelopeError {}
/** Reading the input or writing the output failed, or the output exists. */
class EnvelopeIOError extends EnvelopeError {}
/** An argument the library refused: a bad name, no or too many recipients. */
class ArgumentError extends EnvelopeError {}
/** The operation was cancelled. */
class CancelledError extends EnvelopeError {}
/** A feature this build or setup of the library does not have. */
class UnsupportedError extends EnvelopeError {}
/** A bug in the library, or OpenSSL failing unexpectedly. */
class InternalError extends EnvelopeError {}
/** The library ran out of memory. */
class OutOfMemoryError extends EnvelopeError {}

/** AWS KMS, the network, TLS, a timeout or the credentials failed. */
class KMSError extends EnvelopeError {
  constructor(code, detail = '', reason = undefined) {
    super(code, detail, reason);
    const [type, message] = parseKmsDetail(detail);
    this.kmsType = type;
    this.kmsMessage = message;
  }
}

const FAMILIES = [
  [InternalError, ['INTERNAL']],
  [OutOfMemoryError, ['NOMEM']],
  [ArgumentError, ['INVALID_ARGUMENT', 'BAD_NAME', 'TOO_MANY_RECIPIENTS', 'COMPAT_TOO_LARGE']],
  [EnvelopeIOError, ['IO', 'OUTPUT_EXISTS']],
  [KeyLoadError, ['KEY_LOAD', 'KEY_PASSPHRASE', 'KEY_REF']],
  [KeyUsageError, ['KEY_TYPE', 'KEY_NOT_PRIVATE']],
  [FormatError, ['NOT_ENVELOPE', 'UNKNOWN_VERSION', 'BAD_HEADER', 'COMPAT_REFUSED']],
  [VerificationError, ['NOT_RECIPIENT', 'TAMPERED', 'TRUNCATED', 'TRAILING_DATA', 'BAD_ARCHIVE',
                       'UNTRUSTED_SIGNER', 'BAD_MANIFEST', 'FORWARDED', 'MESSAGE_MISMATCH',
                       'TOO_LARGE', 'TOO_OLD']],
  [CancelledError, ['CANCELLED']],
  [UnsupportedError, ['UNSUPPORTED']],
  [KMSError, ['KMS', 'KMS_ACCESS_DENIED', 'KMS_NOT_FOUND', 'KMS_DISABLED', 'KMS_KEY_USAGE',
              'KMS_AUTH', 'KMS_THROTTLED', 'KMS_UNAVAILABLE', 'KMS_BAD_RESPONSE', 'NETWORK',
              'TLS', 'TIMEOUT', 'CREDENTIALS']],
];
const CLASS_OF = new Map();
for (const [cls, codes] of FAMILIES) for (const code of codes) CLASS_OF.set(code, cls);

/**
 * The class for a code. `kms` says the failing call involved an awskms://
 * key: UNSUPPORTED (a library without KMS support) is then a KMSError, so
 * that code catching KMS failures catches it too. An unknown code gives
 * EnvelopeError.
 */
function errorClass(code, kms = false) {
  if (kms && code === 'UNSUPPORTED') return KMSError;
  return CLASS_OF.get(code) || EnvelopeError;
}

/** The EnvelopeError for a failure the addon reported (an Error with .code, .detail). */
function fromAddon(e, kms) {
  if (!(e instanceof Error) || typeof e.detail !== 'string') return e;
  const Cls = errorClass(e.code, kms);
  const err = new Cls(e.code, e.detail, e.message);
  err.rc = e.rc;
  return err;
}

// AWS errors are {"__type": "...", "message": "..."}; the type may carry a
// namespace ("com.amazonaws.kms#NotFoundException"). The detail is the
// library's text, so accept the shapes it takes: JSON members, or
// "SomethingException: message" / "SomethingException (message)".
const JSON_TYPE = /"__type"\s*:\s*"(?:[^"#]*#)?([A-Za-z0-9_.]+)"/;
const JSON_MESSAGE = /"[Mm]essage"\s*:\s*"((?:[^"\\]|\\.)*)"/;
const TYPE = /(?:[\w.]+#)?\b([A-Z][A-Za-z0-9]*(?:Exception|Fault))\b/;

function parseKmsDetail(detail) {
  if (!detail) return [null, null];
  let m = JSON_TYPE.exec(detail);
  if (m) {
    const msg = JSON_MESSAGE.exec(detail);
    return [m[1], msg ? msg[1] : null];
  }
  m = TYPE.exec(detail);
  if (!m) return [null, null];
  const rest = detail.slice(m.index + m[0].length).trimStart();
  let message = null;
  if (rest.startsWith(':')) message = rest.slice(1).trim() || null;
  else if (rest.startsWith('(') && rest.endsWith(')')) message = rest.slice(1, -1).trim() || null;
  return [m[1], message];
}

module.exports = {
  EnvelopeError, VerificationError, FormatError, KeyLoadError, KeyUsageError, KMSError,
  EnvelopeIOError, ArgumentError, CancelledError, UnsupportedError, InternalError,
  OutOfMemoryError, errorClass, fromAddon, parseKmsDetail,
};
