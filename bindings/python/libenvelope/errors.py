"""Exceptions raised by the bindings, one class per family of C error codes.

Every exception the library reports derives from :class:`EnvelopeError` and
carries the C error code (``.code``), its enumerator name without the prefix
(``.name``, e.g. ``"TAMPERED"``) and the library's detail message
(``.detail``: which file, which key, what OpenSSL or KMS said).
"""

from __future__ import annotations

import enum
import errno as _errno
import re
from typing import Dict, Optional, Type


class ErrorCode(enum.IntEnum):
    """The C library's ``envelope_rc`` values (stable, only ever appended to)."""

    OK = 0
    INTERNAL = 1
    NOMEM = 2
    INVALID_ARGUMENT = 3
    IO = 4
    OUTPUT_EXISTS = 5
    KEY_LOAD = 6
    KEY_PASSPHRASE = 7
    KEY_TYPE = 8
    KEY_NOT_PRIVATE = 9
    BAD_NAME = 10
    TOO_MANY_RECIPIENTS = 11
    NOT_ENVELOPE = 12
    UNKNOWN_VERSION = 13
    BAD_HEADER = 14
    NOT_RECIPIENT = 15
    TAMPERED = 16
    TRUNCATED = 17
    TRAILING_DATA = 18
    BAD_ARCHIVE = 19
    UNTRUSTED_SIGNER = 20
    BAD_MANIFEST = 21
    FORWARDED = 22
    MESSAGE_MISMATCH = 23
    TOO_LARGE = 24
    TOO_OLD = 25
    COMPAT_REFUSED = 26
    COMPAT_TOO_LARGE = 27
    CANCELLED = 28
    UNSUPPORTED = 29
    KMS = 30
    KMS_ACCESS_DENIED = 31
    KMS_NOT_FOUND = 32
    KMS_DISABLED = 33
    KMS_KEY_USAGE = 34
    KMS_AUTH = 35
    KMS_THROTTLED = 36
    KMS_UNAVAILABLE = 37
    KMS_BAD_RESPONSE = 38
    NETWORK = 39
    TLS = 40
    TIMEOUT = 41
    CREDENTIALS = 42
    KEY_REF = 43


class EnvelopeError(Exception):
    """Base class of every error the library reports.

    Attributes:
        code: the C error code (an :class:`ErrorCode` when this version of
            the bindings knows it, else a plain int).
        name: the code's name without the ``ENVELOPE_E_`` prefix.
        detail: the library's detail message ("" when there is none).
    """

    code: int
    name: str
    detail: str

    def __init__(self, code: int, detail: str = "", reason: Optional[str] = None) -> None:
        try:
            self.code = ErrorCode(code)
            self.name = self.code.name
        except ValueError:
            self.code = code
            self.name = "UNKNOWN"
        self.detail = detail
        self.reason = reason if reason is not None else _strerror(code)
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.reason}: {self.detail}" if self.detail else self.reason
        return f"{text} [{self.name}]"

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self):  # keeps the attributes when pickled (e.g. across processes)
        return (_rebuild, (type(self), int(self.code), self.detail, self.reason))


def _strerror(code: int) -> str:
    """The C library's sentence for code (envelope_strerror)."""
    from . import _lib

    return _lib.lib.envelope_strerror(code).decode("utf-8", "replace")


def _rebuild(cls, code, detail, reason):
    return cls(code, detail, reason)


class VerificationError(EnvelopeError):
    """The envelope failed a check: tampered, truncated, not for this key,
    untrusted signer, forwarded, or outside the caller's policy. Nothing of
    the message was released."""


class FormatError(EnvelopeError):
    """The input is not an envelope this library opens (not an envelope,
    unknown version, malformed header, compat refused)."""


class KeyLoadError(EnvelopeError):
    """A key could not be read: missing or unreadable file, not a key, wrong
    or missing passphrase, malformed key reference."""


class KeyFileNotFoundError(KeyLoadError, FileNotFoundError):
    """A key file that does not exist: a :class:`KeyLoadError` (code
    ``KEY_LOAD``) and a :class:`FileNotFoundError` whose ``filename`` is the
    path, a str."""

    def __init__(self, code: int, detail: str = "", reason: Optional[str] = None,
                 filename: Optional[str] = None) -> None:
        super().__init__(code, detail, reason)
        self.errno = _errno.ENOENT
        self.strerror = self._message()
        self.filename = filename

    def __reduce__(self):
        return (_rebuild_file, (type(self), int(self.code), self.detail, self.reason,
                                self.filename))


def _rebuild_file(cls, code, detail, reason, filename):
    return cls(code, detail, reason, filename)


class KeyUsageError(EnvelopeError):
    """A key of the wrong kind or size for this use, or a public key where
    a private one is needed."""


class KMSError(EnvelopeError):
    """AWS KMS, the network, TLS, a timeout or the credentials failed.

    ``kms_type`` and ``kms_message`` hold the service's error type (e.g.
    ``"AccessDeniedException"``) and text when the detail carries them,
    else None.
    """

    kms_type: Optional[str]
    kms_message: Optional[str]

    def __init__(self, code: int, detail: str = "", reason: Optional[str] = None) -> None:
        super().__init__(code, detail, reason)
        self.kms_type, self.kms_message = parse_kms_detail(detail)


class EnvelopeIOError(EnvelopeError, OSError):
    """Reading the input or writing the output failed, or the output exists.
    Also an :class:`OSError` (``errno`` is ``EEXIST`` for an existing output)."""

    def __init__(self, code: int, detail: str = "", reason: Optional[str] = None) -> None:
        super().__init__(code, detail, reason)
        self.errno = _errno.EEXIST if code == ErrorCode.OUTPUT_EXISTS else None
        self.strerror = self._message()


class ArgumentError(EnvelopeError, ValueError):
    """An argument the library refused: a bad message name, no or too many
    recipients, an invalid option. Also a :class:`ValueError`."""


class CancelledError(EnvelopeError):
    """The progress callback asked to stop."""


class UnsupportedError(EnvelopeError):
    """A feature this build or setup of the library does not have."""


class InternalError(EnvelopeError):
    """A bug in the library, or OpenSSL failing unexpectedly."""


class OutOfMemoryError(EnvelopeError, MemoryError):
    """The library ran out of memory. Also a :class:`MemoryError`."""


_C = ErrorCode
_CLASSES: Dict[int, Type[EnvelopeError]] = {}
for _cls, _codes in (
    (InternalError, [_C.INTERNAL]),
    (OutOfMemoryError, [_C.NOMEM]),
    (ArgumentError, [_C.INVALID_ARGUMENT, _C.BAD_NAME, _C.TOO_MANY_RECIPIENTS,
                     _C.COMPAT_TOO_LARGE]),
    (EnvelopeIOError, [_C.IO, _C.OUTPUT_EXISTS]),
    (KeyLoadError, [_C.KEY_LOAD, _C.KEY_PASSPHRASE, _C.KEY_REF]),
    (KeyUsageError, [_C.KEY_TYPE, _C.KEY_NOT_PRIVATE]),
    (FormatError, [_C.NOT_ENVELOPE, _C.UNKNOWN_VERSION, _C.BAD_HEADER, _C.COMPAT_REFUSED]),
    (VerificationError, [_C.NOT_RECIPIENT, _C.TAMPERED, _C.TRUNCATED, _C.TRAILING_DATA,
                         _C.BAD_ARCHIVE, _C.UNTRUSTED_SIGNER, _C.BAD_MANIFEST,
                         _C.FORWARDED, _C.MESSAGE_MISMATCH, _C.TOO_LARGE, _C.TOO_OLD]),
    (CancelledError, [_C.CANCELLED]),
    (UnsupportedError, [_C.UNSUPPORTED]),
    (KMSError, [_C.KMS, _C.KMS_ACCESS_DENIED, _C.KMS_NOT_FOUND, _C.KMS_DISABLED,
                _C.KMS_KEY_USAGE, _C.KMS_AUTH, _C.KMS_THROTTLED, _C.KMS_UNAVAILABLE,
                _C.KMS_BAD_RESPONSE, _C.NETWORK, _C.TLS, _C.TIMEOUT, _C.CREDENTIALS]),
):
    for _code in _codes:
        _CLASSES[_code] = _cls


def exception_class(code: int, *, kms: bool = False) -> Type[EnvelopeError]:
    """The exception class for a C error code.

    ``kms`` says the failing call involved an ``awskms://`` key: then
    UNSUPPORTED (a library built or configured without KMS) is a
    :class:`KMSError`, so that code catching KMS failures also catches this
    one. A code newer than these bindings gives :class:`EnvelopeError`.
    """
    if kms and code == ErrorCode.UNSUPPORTED:
        return KMSError
    return _CLASSES.get(code, EnvelopeError)


# AWS errors are {"__type": "...", "message": "..."}; the type may carry a
# namespace ("com.amazonaws.kms#NotFoundException"). The detail is free text
# written by the C library, so accept the shapes it may reasonably take:
# JSON members, or "SomethingException: message" / "SomethingException (message)".
_JSON_TYPE = re.compile(r'"__type"\s*:\s*"(?:[^"#]*#)?([A-Za-z0-9_.]+)"')
_JSON_MESSAGE = re.compile(r'"[Mm]essage"\s*:\s*"((?:[^"\\]|\\.)*)"')
_TYPE = re.compile(r"(?:[\w.]+#)?\b([A-Z][A-Za-z0-9]*(?:Exception|Fault))\b")


def parse_kms_detail(detail: str):
    """(type, message) of the KMS error named in a detail string, or (None, None)."""
    if not detail:
        return None, None
    m = _JSON_TYPE.search(detail)
    if m:
        msg = _JSON_MESSAGE.search(detail)
        return m.group(1), (msg.group(1) if msg else None)
    m = _TYPE.search(detail)
    if not m:
        return None, None
    rest = detail[m.end():].lstrip()
    if rest.startswith(":"):
        message = rest[1:].strip() or None
    elif rest.startswith("(") and rest.endswith(")"):
        message = rest[1:-1].strip() or None
    else:
        message = None
    return m.group(1), message


__all__ = [
    "ErrorCode", "EnvelopeError", "VerificationError", "FormatError", "KeyLoadError",
    "KeyFileNotFoundError",
    "KeyUsageError", "KMSError", "EnvelopeIOError", "ArgumentError", "CancelledError",
    "UnsupportedError", "InternalError", "OutOfMemoryError", "exception_class",
    "parse_kms_detail",
]
