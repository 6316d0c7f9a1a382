"""seal, open and their streaming variants, and inspect."""

from __future__ import annotations

import contextlib
import ctypes
import datetime as _dt
import math
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional, Tuple, Union

from . import _lib
from ._call import Borrowed, CallbackGuard, Context, c_str, check_uint64, fail, lib, take_bytes
from ._sealer import seal_pieces, seal_pieces_to_path
from ._session import Session, using
from ._streams import (Input, Output, PathLike, _seekable, is_path, path_arg, read_callback,
                       read_some, write_callback)
from .errors import ErrorCode
from .keys import Key, KeyArg, KeyKind, require_key, resolve_key

MAX_RECIPIENTS = 16
MAX_TRUSTED = 64
MAX_DECRYPT = 16
HEADER_MAX = 65536
# The header armored (docs/FORMAT.md, "ASCII armor"): 66 characters of text,
# CRLF included, for every 48 bytes, with room for blank lines and white
# space at line ends.
ARMORED_HEADER_MAX = 2 * HEADER_MAX
_FORMATS = {1: "v1", 2: "compat"}

Progress = Callable[[int, int], Any]
Keys = Union[KeyArg, Iterable[KeyArg]]
Age = Union[int, float, _dt.timedelta]


@dataclass(frozen=True)
class Opened:
    """What :func:`open` and the streaming variants verified and released.

    Attributes:
        message: the message (only from :func:`open`; None when it was
            written to a file or directory).
        name: the message's name, as signed.
        size: its size in bytes.
        sha512: its SHA-512, 128 lowercase hex digits.
        signer: the fingerprint of the trusted key that verified it.
        signer_hint: the identities the sender claimed for itself (a hint).
        recipients: the recipients as the manifest names them; each entry
            holds one recipient's identities separated by spaces.
        created: when it was sealed (aware, UTC); None for compat envelopes.
        format: ``"v1"`` or ``"compat"``.
        path: where the message was written (:func:`open_file` to a path,
            :func:`open_extract`), else None.
    """

    message: Optional[bytes] = field(repr=False)
    name: str
    size: int
    sha512: str
    signer: str
    signer_hint: str
    recipients: Tuple[str, ...]
    created: Optional[_dt.datetime]
    format: str
    path: Optional[str] = None


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza of the cleartext header."""

    label: str  #: the recipient's key identities, "" when hidden
    bits: int  #: the RSA modulus size the wrapped key implies

    @property
    def hidden(self) -> bool:
        return not self.label


@dataclass(frozen=True)
class Info:
    """The cleartext header of an envelope: nothing here is verified."""

    version: int  #: 1; 0 for a compat envelope, of which only the size is known
    suite: int
    chunk_size: int
    header_size: int
    payload_size: int  #: bytes after the header; 0 when unknown (a stream)
    recipients: Tuple[Stanza, ...]


# ------------------------------------------------------------ arguments


def _key_list(keys: Any, what: str, session: Optional[Session]) -> Tuple[Key, ...]:
    """One key or an iterable of them, each a Key, a path or an awskms://
    reference, as Keys."""
    if isinstance(keys, (Key, str, bytes, os.PathLike)):
        return (resolve_key(keys, what, session),)
    try:
        items = tuple(keys)
    except TypeError:
        raise TypeError(f"{what} must be a key (a Key, a path or an awskms:// reference) "
                        f"or an iterable of keys, not {type(keys).__name__}") from None
    return tuple(resolve_key(key, f"{what} {i + 1}", session) for i, key in enumerate(items))


def _recipients(recipients: Any, session: Optional[Session]) -> Tuple[Key, ...]:
    keys = _key_list(recipients, "recipients", session)
    if not 1 <= len(keys) <= MAX_RECIPIENTS:
        fail(ErrorCode.TOO_MANY_RECIPIENTS,
             f"{len(keys)} recipients given; 1 to {MAX_RECIPIENTS} are allowed")
    for i, key in enumerate(keys):
        require_key(key, KeyKind.ENCRYPTION, False, f"recipient {i + 1}")
    return keys


def _decrypt_keys(decrypt_key: Any, session: Optional[Session]) -> Tuple[Key, ...]:
    keys = _key_list(decrypt_key, "decrypt_key", session)
    if not 1 <= len(keys) <= MAX_DECRYPT:
        fail(ErrorCode.INVALID_ARGUMENT,
             f"{len(keys)} decrypt keys given; 1 to {MAX_DECRYPT} are allowed")
    for i, key in enumerate(keys):
        require_key(key, KeyKind.ENCRYPTION, True,
                    "decrypt_key" if len(keys) == 1 else f"decrypt key {i + 1}")
    return keys


def _verify_keys(verify_keys: Any, session: Optional[Session]) -> Tuple[Key, ...]:
    keys = _key_list(verify_keys, "verify_keys", session)
    if not 1 <= len(keys) <= MAX_TRUSTED:
        fail(ErrorCode.INVALID_ARGUMENT,
             f"{len(keys)} verify keys given; 1 to {MAX_TRUSTED} are allowed")
    for i, key in enumerate(keys):
        require_key(key, KeyKind.SIGNING, False, f"verify key {i + 1}")
    return keys


def _name(name: Any) -> bytes:
    if not isinstance(name, str):
        raise TypeError(f"name must be str, not {type(name).__name__}")
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        raw = None
    if raw is None or b"\0" in raw:
        # C would cut the name at a NUL: refuse rather than sign another name.
        fail(ErrorCode.BAD_NAME, f"name {name!r} is not allowed: it must be UTF-8 text "
             "without NUL")
    return raw


def _name_refusal(name: str, raw: bytes) -> str:
    # The one rule the name breaks, as the library words it.
    rule = lib.envelope_message_name_rule(raw)
    return f"name {name!r}: a message name {(rule or b'is not allowed').decode()}"


def _created(created: Any) -> int:
    if isinstance(created, _dt.datetime):
        if created.tzinfo is None:
            raise ValueError("created must be an aware datetime (e.g. with tzinfo=timezone.utc)")
        created = math.floor(created.timestamp())
    if isinstance(created, bool) or not isinstance(created, int):
        raise TypeError(f"created must be a datetime or an int, not {type(created).__name__}")
    if not 1 <= created < 2**63:
        raise ValueError("created must be after 1970-01-01T00:00:00Z")
    return created


def _max_size(max_size: Any) -> int:
    if max_size is None:
        return 0
    return check_uint64(max_size, "max_size", minimum=1)


def _max_age(max_age: Any) -> int:
    if max_age is None:
        return 0
    if isinstance(max_age, _dt.timedelta):
        max_age = max_age.total_seconds()
    if isinstance(max_age, float):
        if not math.isfinite(max_age):
            raise ValueError("max_age must be finite; use None for no limit")
        max_age = math.floor(max_age)  # whole seconds; rounding down is the stricter choice
    return check_uint64(max_age, "max_age (whole seconds)", minimum=1)


MAX_SKEW_DEFAULT = 300  # ENVELOPE_MAX_SKEW_DEFAULT
MAX_SKEW_LIMIT = 86400  # ENVELOPE_MAX_SKEW_LIMIT


def _max_skew(max_skew: Any) -> int:
    if max_skew is None:
        return MAX_SKEW_DEFAULT
    if isinstance(max_skew, _dt.timedelta):
        max_skew = max_skew.total_seconds()
    if isinstance(max_skew, float):
        if not math.isfinite(max_skew):
            raise ValueError(f"max_skew must be at most {MAX_SKEW_LIMIT} seconds")
        max_skew = math.floor(max_skew)  # whole seconds; rounding down is the stricter choice
    skew = check_uint64(max_skew, "max_skew (whole seconds)")
    if skew > MAX_SKEW_LIMIT:
        raise ValueError(f"max_skew must be at most {MAX_SKEW_LIMIT} seconds (one day), "
                         f"not {skew}")
    return skew


def _progress(progress: Optional[Progress], guard: CallbackGuard):
    if progress is None:
        return _lib.PROGRESS_FN()
    if not callable(progress):
        raise TypeError("progress must be callable")

    def report(_arg: Optional[int], done: int, total: int) -> int:
        return 1 if progress(done, total) else 0

    return _lib.PROGRESS_FN(guard.wrap(report, 1))


# -------------------------------------------------------------- options


def _check_set(rc: int, detail: str, *, kms: bool = False) -> None:
    # Option setters report through their return code alone.
    if rc != ErrorCode.OK:
        fail(rc, detail, kms=kms)


def _seal_keys(sign_key: Any, recipients: Any,
               session: Optional[Session]) -> Tuple[Key, Tuple[Key, ...]]:
    signer = require_key(resolve_key(sign_key, "sign_key", session), KeyKind.SIGNING, True,
                         "sign_key")
    return signer, _recipients(recipients, session)


def _open_keys(decrypt_key: Any, verify_keys: Any,
               session: Optional[Session]) -> Tuple[Tuple[Key, ...], Tuple[Key, ...]]:
    return _decrypt_keys(decrypt_key, session), _verify_keys(verify_keys, session)


@contextlib.contextmanager
def _seal_opts(sign_key: Key, keys: Tuple[Key, ...], name: Optional[str], hide: bool,
               created: Any, progress_fn: Any, armor: bool = False) -> Iterator[Any]:
    raw_name = _name(name) if name is not None else None
    when = _created(created) if created is not None else None
    opts = _lib.SealOptsP()
    _check_set(lib.envelope_seal_opts_new(ctypes.byref(opts)), "seal options")
    try:
        with sign_key._borrow() as ptr:
            _check_set(lib.envelope_seal_opts_set_sign_key(opts, ptr), "sign_key",
                       kms=sign_key.is_kms)
        for i, key in enumerate(keys):
            with key._borrow() as ptr:
                _check_set(lib.envelope_seal_opts_add_recipient(opts, ptr),
                           f"recipient {i + 1}", kms=key.is_kms)
        if raw_name is not None:
            rc = lib.envelope_seal_opts_set_name(opts, raw_name)
            if rc != ErrorCode.OK:
                fail(rc, _name_refusal(name, raw_name))
        _check_set(lib.envelope_seal_opts_set_hide_recipients(opts, 1 if hide else 0), "hide")
        _check_set(lib.envelope_seal_opts_set_armor(opts, 1 if armor else 0), "armor")
        if when is not None:
            _check_set(lib.envelope_seal_opts_set_created(opts, when), "created")
        _check_set(lib.envelope_seal_opts_set_progress(opts, progress_fn, None), "progress")
        yield opts
    finally:
        lib.envelope_seal_opts_free(opts)


@contextlib.contextmanager
def _open_opts(decrypters: Tuple[Key, ...], trusted: Tuple[Key, ...], max_size: Any,
               max_age: Any, max_skew: Any, allow_compat: bool,
               progress_fn: Any) -> Iterator[Any]:
    size_limit, age_limit, skew_limit = _max_size(max_size), _max_age(max_age), _max_skew(max_skew)
    opts = _lib.OpenOptsP()
    _check_set(lib.envelope_open_opts_new(ctypes.byref(opts)), "open options")
    try:
        for i, key in enumerate(decrypters):
            add = (lib.envelope_open_opts_set_decrypt_key if i == 0
                   else lib.envelope_open_opts_add_decrypt_key)
            with key._borrow() as ptr:
                _check_set(add(opts, ptr), "decrypt_key" if len(decrypters) == 1
                           else f"decrypt key {i + 1}", kms=key.is_kms)
        for i, key in enumerate(trusted):
            with key._borrow() as ptr:
                _check_set(lib.envelope_open_opts_add_trusted_key(opts, ptr),
                           f"verify key {i + 1}", kms=key.is_kms)
        _check_set(lib.envelope_open_opts_set_max_size(opts, size_limit), "max_size")
        _check_set(lib.envelope_open_opts_set_max_age(opts, age_limit), "max_age")
        _check_set(lib.envelope_open_opts_set_max_skew(opts, skew_limit), "max_skew")
        _check_set(lib.envelope_open_opts_set_allow_compat(opts, 1 if allow_compat else 0),
                   "allow_compat")
        _check_set(lib.envelope_open_opts_set_progress(opts, progress_fn, None), "progress")
        yield opts
    finally:
        lib.envelope_open_opts_free(opts)


def _any_kms(*groups: Tuple[Key, ...]) -> bool:
    return any(key.is_kms for group in groups for key in group)


def _opened(result: Any, message: Optional[bytes], path: Optional[str]) -> Opened:
    try:
        fmt = lib.envelope_result_format(result)
        created = int(lib.envelope_result_created(result))
        count = lib.envelope_result_recipient_count(result)
        return Opened(
            message=message,
            name=c_str(lib.envelope_result_name(result)),
            size=int(lib.envelope_result_size(result)),
            sha512=c_str(lib.envelope_result_sha512(result)),
            signer=c_str(lib.envelope_result_signer(result)),
            signer_hint=c_str(lib.envelope_result_signer_hint(result)),
            recipients=tuple(c_str(lib.envelope_result_recipient(result, i))
                             for i in range(count)),
            created=(_dt.datetime.fromtimestamp(created, tz=_dt.timezone.utc)
                     if created else None),
            format=_FORMATS.get(fmt, str(fmt)),
            path=path,
        )
    finally:
        lib.envelope_result_free(result)


# ------------------------------------------------------------ in memory


def seal(data: Union[bytes, bytearray, memoryview], *, sign_key: KeyArg, recipients: Keys,
         name: str = "message", hide_recipients: bool = False,
         created: Optional[Union[_dt.datetime, int]] = None,
         progress: Optional[Progress] = None, session: Optional[Session] = None,
         armor: bool = False) -> bytes:
    """Signs ``data`` with ``sign_key`` and encrypts it to ``recipients``.

    Args:
        data: the message (any bytes-like object; anything but bytes is
            copied first).
        sign_key: a private signing (P-521) key, local or KMS: a
            :class:`Key`, a key file's path or an ``awskms://`` reference.
        recipients: one encryption (RSA) key or an iterable of 1 to 16
            (each as ``sign_key``); public keys suffice.
        name: the message's name inside the envelope (UTF-8, 1 to 255
            bytes, no ``/``, no leading ``.``, not ``manifest.*``).
        hide_recipients: leave the recipients' fingerprints out of the
            cleartext header (the signed manifest still names them).
        created: the creation time to sign (default: now); for
            reproducible tests.
        progress: called as ``progress(done, total)``; return True to
            cancel (:class:`CancelledError`).
        session: the :class:`Session` to use; None: this thread's own.
        armor: write the envelope as ASCII armor, text that channels
            carrying only text pass on: base64 in lines of 64 characters
            between ``-----BEGIN LIBENVELOPE ENVELOPE-----`` and
            ``-----END LIBENVELOPE ENVELOPE-----`` (docs/FORMAT.md section
            12). :func:`open` and :func:`inspect` recognise it.

    Returns:
        The envelope (ASCII text with ``armor``).
    """
    buf = Borrowed(data, "data")
    guard = CallbackGuard()
    progress_fn = _progress(progress, guard)
    out = _lib.BytesP()
    size = ctypes.c_size_t()
    try:
        signer, to = _seal_keys(sign_key, recipients, session)
        with _seal_opts(signer, to, name, hide_recipients, created,
                        progress_fn, armor) as opts, using(session) as ctx:
            rc = lib.envelope_seal_mem(ctx.ptr, opts, buf.ptr, buf.size, ctypes.byref(out),
                                       ctypes.byref(size))
            guard.reraise()
            ctx.check(rc, kms=_any_kms((signer,), to))
            return take_bytes(out, size.value)
    finally:
        buf.release()


def open(data: Union[bytes, bytearray, memoryview], *, decrypt_key: Keys, verify_keys: Keys,
         max_size: Optional[int] = None, max_age: Optional[Age] = None,
         max_skew: Optional[Age] = None, allow_compat: bool = False,
         progress: Optional[Progress] = None, session: Optional[Session] = None) -> Opened:
    """Decrypts ``data`` with ``decrypt_key`` and verifies it under one of
    ``verify_keys``; returns the message only if every check passed.

    Args:
        data: the envelope (any bytes-like object; anything but bytes is
            copied first).
        decrypt_key: a private encryption (RSA) key, local or KMS (a
            :class:`Key`, a key file's path or an ``awskms://``
            reference), or an iterable of 1 to 16, all tried: a stanza whose label names one
            of them goes to that key alone; hidden stanzas are tried with
            the local keys first, then the KMS keys, which make at most 16
            KMS Decrypt calls per envelope between them.
        verify_keys: one signing key or an iterable of 1 to 64 trusted
            signers (public keys suffice).
        max_size: refuse messages larger than this many bytes (enforced
            while reading, before verification); None: no limit.
        max_age: refuse envelopes created longer ago than this (seconds,
            or a timedelta; whole seconds); None: any age.
        max_skew: how far ahead of this machine's clock the creation time
            may be (seconds or a timedelta, 0 to 86400); None: 300. A later
            envelope raises VerificationError TOO_OLD whatever ``max_age``,
            its detail giving both times and the difference.
        allow_compat: also accept the compat format, which lacks recipient
            binding.
        progress: called as ``progress(done, total)``; return True to cancel.
        session: the :class:`Session` to use; None: this thread's own.

    Raises:
        VerificationError: tampered, truncated, not addressed to this key,
            untrusted signer, forwarded, too large, too old...
        FormatError: not an envelope, unknown version, malformed header.
    """
    buf = Borrowed(data, "data")
    guard = CallbackGuard()
    progress_fn = _progress(progress, guard)
    out = _lib.BytesP()
    size = ctypes.c_size_t()
    result = _lib.ResultP()
    try:
        decrypters, trusted = _open_keys(decrypt_key, verify_keys, session)
        with _open_opts(decrypters, trusted, max_size, max_age, max_skew, allow_compat,
                        progress_fn) as opts, using(session) as ctx:
            rc = lib.envelope_open_mem(ctx.ptr, opts, buf.ptr, buf.size, ctypes.byref(out),
                                       ctypes.byref(size), ctypes.byref(result))
            message = take_bytes(out, size.value, secret=True)
            if rc != ErrorCode.OK or guard.error is not None:
                lib.envelope_result_free(result)
                guard.reraise()
                ctx.check(rc, kms=_any_kms(decrypters, trusted))
            return _opened(result, message, None)
    finally:
        buf.release()


# ------------------------------------------------------------ streaming


def seal_file(src: Union[PathLike, BinaryIO], dst: Union[PathLike, BinaryIO], *,
              sign_key: KeyArg, recipients: Keys, name: Optional[str] = None,
              hide_recipients: bool = False, force: bool = False,
              created: Optional[Union[_dt.datetime, int]] = None,
              progress: Optional[Progress] = None, session: Optional[Session] = None,
              armor: bool = False) -> None:
    """Seals a file or stream into a file or stream, in one pass with
    bounded memory.

    ``src`` is a path or a readable binary file object (read from its
    current position to its end). The envelope states the message's size
    before its bytes: a source whose length cannot be known in advance is
    read to its end first, into a spool encrypted under a key that never
    leaves memory (as :func:`seal_stream` does); the message itself is
    never written to disk. ``name`` defaults to the base name of a ``src``
    path, else ``"message"``.

    ``dst`` as a path: the envelope is written under a temporary name and
    renamed into place when complete; an existing file is refused
    (:class:`EnvelopeIOError`, OUTPUT_EXISTS) unless ``force``. ``dst`` as
    a file object: the envelope is written to it as it is made; if sealing
    fails, what was written is garbage. ``armor``: as for :func:`seal`.
    """
    guard = CallbackGuard()
    progress_fn = _progress(progress, guard)
    dst_path = path_arg(dst, "dst") if is_path(dst) or isinstance(dst, bytes) else None
    signer, to = _seal_keys(sign_key, recipients, session)
    with Input(src, "src") as source:
        if name is None:
            name = _default_name(source.path)
        with _seal_opts(signer, to, name, hide_recipients, created,
                        progress_fn, armor) as opts, using(session) as ctx:
            in_fd = source.fd() if dst_path is not None else None
            if dst_path is not None and in_fd is not None:
                rc = lib.envelope_seal_file(ctx.ptr, opts, in_fd, dst_path, 1 if force else 0)
            elif dst_path is not None:
                rc = seal_pieces_to_path(ctx, opts, source.size_left(), source.f, dst_path,
                                         force, guard)
            else:
                with Output(dst, "dst") as sink:
                    rc = _seal_to_object(ctx, opts, source, sink, guard)
            guard.reraise()
            ctx.check(rc, kms=_any_kms((signer,), to))


def _default_name(path: Optional[str]) -> str:
    if path is None:
        return "message"
    return os.path.basename(path.rstrip("/")) or "message"


def _seal_to_object(ctx: Context, opts: Any, source: Input, sink: Output,
                    guard: CallbackGuard) -> int:
    size = source.size_left()
    if size is not None and source.usable_fd() and sink.usable_fd():
        return lib.envelope_seal_fd(ctx.ptr, opts, source.fd(), sink.fd())
    return seal_pieces(ctx, opts, size, source.f, sink.f, guard)


def open_file(src: Union[PathLike, BinaryIO], dst: Union[PathLike, BinaryIO], *,
              decrypt_key: Keys, verify_keys: Keys, max_size: Optional[int] = None,
              max_age: Optional[Age] = None, max_skew: Optional[Age] = None,
              allow_compat: bool = False, force: bool = False,
              progress: Optional[Progress] = None, session: Optional[Session] = None) -> Opened:
    """Opens an envelope from a file or stream into a file or stream.

    Nothing unverified is ever released. ``dst`` as a path: the message is
    written to an unnamed file in the destination's directory and linked
    into place only after every check; an existing file is refused unless
    ``force``; on failure nothing is left. ``dst`` as a file object:
    nothing is written to it until the envelope has been verified (the
    message waits in an unnamed 0600 temporary file), then the whole
    message is written; only a failure while writing that copy (e.g. a full
    disk, :class:`EnvelopeIOError` or the object's own exception) can leave
    part of a verified message in it.

    Once the inner archive states the message's size, before any of it is
    read, a size over the free space of the destination's file system (or
    of ``$TMPDIR``'s, where the envelope is spooled) raises
    :class:`EnvelopeIOError` naming the place and both numbers; a write
    that finds the disk full says "no space left on the device holding
    PATH". The stated size is the sender's claim: ``max_size`` is what
    bounds the disk used.

    The returned :class:`Opened` has ``message=None``; ``path`` is the
    destination path when there is one.
    """
    guard = CallbackGuard()
    progress_fn = _progress(progress, guard)
    dst_path = path_arg(dst, "dst") if is_path(dst) or isinstance(dst, bytes) else None
    decrypters, trusted = _open_keys(decrypt_key, verify_keys, session)
    kms = _any_kms(decrypters, trusted)
    result = _lib.ResultP()
    with Input(src, "src") as source, _open_opts(decrypters, trusted, max_size, max_age,
                                                 max_skew, allow_compat, progress_fn) as opts, \
            using(session) as ctx:
        if dst_path is not None:
            rc = lib.envelope_open_file(ctx.ptr, opts, source.fd_or_spool(), dst_path,
                                        1 if force else 0, ctypes.byref(result))
        else:
            with Output(dst, "dst") as sink:
                rc = _open_to_object(ctx, opts, source, sink, guard, result)
        if rc != ErrorCode.OK or guard.error is not None:
            lib.envelope_result_free(result)
            guard.reraise()
            ctx.check(rc, kms=kms)
        return _opened(result, None, os.fsdecode(dst_path) if dst_path is not None else None)


def _open_to_object(ctx: Context, opts: Any, source: Input, sink: Output,
                    guard: CallbackGuard, result: Any) -> int:
    if source.usable_fd() and sink.usable_fd():
        return lib.envelope_open_fd(ctx.ptr, opts, source.fd(), sink.fd(),
                                    ctypes.byref(result))
    return lib.envelope_open_cb(ctx.ptr, opts, read_callback(source.f, guard), None,
                                write_callback(sink.f, guard), None, ctypes.byref(result))


def open_extract(src: Union[PathLike, BinaryIO], directory: PathLike, *, decrypt_key: Keys,
                 verify_keys: Keys, max_size: Optional[int] = None,
                 max_age: Optional[Age] = None, max_skew: Optional[Age] = None,
                 allow_compat: bool = False, progress: Optional[Progress] = None,
                 session: Optional[Session] = None) -> Opened:
    """Opens an envelope into a new directory (which must not exist) holding
    the message under its signed name, ``manifest.json`` and
    ``manifest.sig``, so that the signature can be checked again later, also
    with plain openssl. The directory is filled under a temporary name
    beside it and renamed into place only after every check.

    The returned :class:`Opened` has ``message=None`` and ``path`` set to
    the message's path inside ``directory``.
    """
    guard = CallbackGuard()
    progress_fn = _progress(progress, guard)
    dir_path = path_arg(directory, "directory")
    decrypters, trusted = _open_keys(decrypt_key, verify_keys, session)
    kms = _any_kms(decrypters, trusted)
    result = _lib.ResultP()
    with Input(src, "src") as source, _open_opts(decrypters, trusted, max_size, max_age,
                                                 max_skew, allow_compat, progress_fn) as opts, \
            using(session) as ctx:
        rc = lib.envelope_open_extract(ctx.ptr, opts, source.fd_or_spool(), dir_path,
                                       ctypes.byref(result))
        if rc != ErrorCode.OK or guard.error is not None:
            lib.envelope_result_free(result)
            guard.reraise()
            ctx.check(rc, kms=kms)
        name = c_str(lib.envelope_result_name(result))
        return _opened(result, None, os.path.join(os.fsdecode(dir_path), name))


# ------------------------------------------------------------ inspection


def inspect(data_or_path: Union[bytes, bytearray, memoryview, PathLike, BinaryIO]) -> Info:
    """Reads an envelope's cleartext header: no key needed, nothing verified.

    Accepts the envelope's bytes, a path (str or os.PathLike), or a
    readable binary file object. A file object is read from its current
    position; a seekable one is put back there afterwards, a stream loses
    what was read (up to 128 KiB). ASCII armor is read as far as the
    header (its payload size is then 0: unknown). A compat envelope has
    version 0, one unlabelled recipient whose bits its size gives, and its
    size as payload size. Raises :class:`FormatError` for anything
    that is not a well-formed header.
    """
    if isinstance(data_or_path, (bytes, bytearray, memoryview)):
        view = memoryview(data_or_path).cast("B")
        return _inspect_head(view[:ARMORED_HEADER_MAX].tobytes(), view.nbytes)
    with Input(data_or_path, "data_or_path") as source:
        f = source.f
        seekable = _seekable(f)
        if seekable and source.usable_fd():
            fd = source.fd()
            start = os.lseek(fd, 0, os.SEEK_CUR)
            try:
                return _inspect_fd(fd, None)
            finally:
                os.lseek(fd, start, os.SEEK_SET)  # the object goes back there on exit
        start = f.tell() if seekable else 0
        head = _read_up_to(f, ARMORED_HEADER_MAX)
        total = None
        if seekable:
            total = f.seek(0, os.SEEK_END) - start
            f.seek(start, os.SEEK_SET)
        return _inspect_head(head, total)


def _read_up_to(f: Any, n: int) -> bytes:
    parts, left = [], n
    while left:
        chunk = read_some(f, left)
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _inspect_head(head: bytes, total: Optional[int]) -> Info:
    """Inspects the first bytes of an envelope held in memory; total is the
    envelope's whole length when known."""
    with tempfile.TemporaryFile() as tmp:
        tmp.write(head)
        tmp.flush()
        tmp.seek(0)
        # Armor's length says nothing exact of the envelope's: unknown.
        return _inspect_fd(tmp.fileno(), None if _armored(head) else total)


def _armored(head: bytes) -> bool:
    """As the library tells armor (docs/FORMAT.md, "ASCII armor")."""
    return head.lstrip(b" \t\r\n").startswith(b"-----BEGIN ")


def _inspect_fd(fd: int, total: Optional[int]) -> Info:
    info = _lib.InfoP()
    with using() as ctx:
        ctx.check(lib.envelope_inspect_fd(ctx.ptr, fd, ctypes.byref(info)))
    try:
        header_size = int(lib.envelope_info_header_size(info))
        payload = int(lib.envelope_info_payload_size(info))
        if total is not None and int(lib.envelope_info_version(info)) != 0:
            payload = max(0, total - header_size)
        return Info(
            version=int(lib.envelope_info_version(info)),
            suite=int(lib.envelope_info_suite(info)),
            chunk_size=int(lib.envelope_info_chunk_size(info)),
            header_size=header_size,
            payload_size=payload,
            recipients=tuple(
                Stanza(c_str(lib.envelope_info_recipient_label(info, i)),
                       int(lib.envelope_info_recipient_bits(info, i)))
                for i in range(lib.envelope_info_recipient_count(info))),
        )
    finally:
        lib.envelope_info_free(info)
