"""libenvelope for Python: sign-then-encrypt envelopes.

A sender signs a message with an ECDSA P-521 key and encrypts it to one or
more RSA keys (RSA-OAEP-SHA-256, AES-256-GCM payload); a receiver decrypts
and verifies, and gets the message only if every check passed. Keys are
local files or AWS KMS keys (``awskms://`` references).

    import libenvelope

    signer = libenvelope.Key.load("signer.pem")
    bob = libenvelope.Key.load("bob.pub")
    sealed = libenvelope.seal(b"hello", sign_key=signer, recipients=[bob])

    opened = libenvelope.open(sealed, decrypt_key=libenvelope.Key.load("bob.pem"),
                           verify_keys=[libenvelope.Key.load("signer.pub")])
    assert opened.message == b"hello"

This package calls ``libenvelope.so.1`` through ctypes. It is found through
the ``ENVELOPE_LIBRARY`` environment variable (a path), else pkg-config's
libdir for ``envelope``, else the system's loader.
"""

from . import _lib
from ._api import Info, Opened, Stanza, inspect, open_extract, open_file, seal, seal_file
# Public as libenvelope.open, but not in __all__ (see there).
from ._api import open as open
from ._session import Session, thread_session
from ._stream_api import open_stream, seal_stream
from ._verify import verify
from .errors import (
    ArgumentError,
    CancelledError,
    EnvelopeError,
    EnvelopeIOError,
    ErrorCode,
    FormatError,
    InternalError,
    KeyFileNotFoundError,
    KeyLoadError,
    KeyUsageError,
    KMSError,
    OutOfMemoryError,
    UnsupportedError,
    VerificationError,
    exception_class,
)
from .keys import Key, KeyArg, KeyKind

__version__ = "0.1.0"

#: The C library's version string ("0.1.0").
library_version: str = _lib.lib.envelope_version().decode("ascii", "replace")
#: Where the C library was loaded from.
library_path: str = _lib.path

# Not "open": `from libenvelope import *` must leave the built-in open alone.
__all__ = [
    "Key", "KeyKind", "KeyArg", "Session", "thread_session",
    "seal", "seal_file", "seal_stream", "open_file", "open_stream", "open_extract", "verify",
    "inspect",
    "Opened", "Info", "Stanza", "ErrorCode", "EnvelopeError", "VerificationError",
    "FormatError", "KeyLoadError", "KeyFileNotFoundError", "KeyUsageError", "KMSError",
    "EnvelopeIOError", "ArgumentError", "CancelledError", "UnsupportedError", "InternalError",
    "OutOfMemoryError", "exception_class", "library_version", "library_path",
]
