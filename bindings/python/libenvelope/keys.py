"""Keys: local (PEM/DER, file or memory) or in AWS KMS (awskms:// references)."""

from __future__ import annotations

import contextlib
import ctypes
import enum
import os
import threading
from typing import Any, Callable, Iterator, Optional, Union

from . import _lib
from ._call import CallbackGuard, Borrowed, cstring, fail, lib, take_bytes
from ._session import KMS_KEYS_KEPT, Session, session_for, using
from .errors import ErrorCode, KeyFileNotFoundError

Passphrase = Union[str, bytes, bytearray, Callable[[], Union[str, bytes]]]
PathOrRef = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
#: Wherever a key is expected: a Key, a key file's path, or an awskms:// reference.
KeyArg = Union["Key", str, "os.PathLike[str]"]

_KMS_PREFIX = b"awskms://"


class KeyKind(enum.IntEnum):
    """What a key is for."""

    #: ECDSA P-521: signs (private) or verifies (public).
    SIGNING = 1
    #: RSA 2048/3072/4096: unwraps (private) or wraps (public).
    ENCRYPTION = 2


def _passphrase_bytes(value: Union[str, bytes, bytearray]) -> Any:
    """The passphrase's bytes for C: a bytearray in place (its owner may wipe
    it, which a copy into bytes would defeat), str encoded, bytes as is."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytearray):
        return (ctypes.c_char * len(value)).from_buffer(value)
    if isinstance(value, bytes):
        return value
    raise TypeError(f"passphrase must be str or bytes, not {type(value).__name__}")


def _passphrase_callback(passphrase: Optional[Passphrase], guard: CallbackGuard):
    """The C passphrase callback for passphrase (a NULL one for None)."""
    if passphrase is None:
        return _lib.PASSPHRASE_FN()
    if not callable(passphrase):
        _passphrase_bytes(passphrase)  # TypeError now, not inside the callback

    def give(_arg: Optional[int], buf: Optional[int], size: int) -> int:
        raw = _passphrase_bytes(passphrase() if callable(passphrase) else passphrase)
        if len(raw) > size:
            raise ValueError(f"passphrase longer than the {size} bytes the library accepts")
        if raw:
            ctypes.memmove(buf, raw, len(raw))
        return len(raw)

    return _lib.PASSPHRASE_FN(guard.wrap(give, -1))


class Key:
    """A signing (ECDSA P-521) or encryption (RSA) key, local or in KMS.

    Keys are immutable and may be shared by any number of threads. Make them
    with :meth:`load`, :meth:`from_pem`, :meth:`from_der`,
    :meth:`generate_signing` or :meth:`generate_encryption`. The C key is
    released by :meth:`close`, by leaving a ``with`` block, or when the
    object is garbage-collected; calls already running keep their own
    reference, so closing a key another thread is using is safe.
    """

    __slots__ = ("_ptr", "_lock", "_ref", "_fingerprint", "__weakref__")

    def __init__(self) -> None:
        raise TypeError("use Key.load(), Key.from_pem(), Key.from_der() or Key.generate_*()")

    @classmethod
    def _wrap(cls, ptr: "ctypes._Pointer", ref: Optional[str]) -> "Key":
        self = object.__new__(cls)
        self._ptr = ptr
        self._lock = threading.Lock()
        self._ref = ref
        self._fingerprint = None
        return self

    # ------------------------------------------------------------ creation

    @classmethod
    def load(cls, path_or_ref: PathOrRef, passphrase: Optional[Passphrase] = None) -> "Key":
        """Loads a key from a file (PEM or DER; a path or ``file:PATH``) or
        an ``awskms://[HOST[:PORT]]/KEY`` reference.

        ``passphrase`` (str, bytes, or a callable returning one) decrypts an
        encrypted PEM key; a callable is called only if the key is
        encrypted. Raises :class:`KeyLoadError` (not a key, wrong or
        missing passphrase, malformed reference; a missing file raises
        :class:`KeyFileNotFoundError`, also a FileNotFoundError),
        :class:`KeyUsageError` (a key of an unusable type or size) or, for
        KMS references, :class:`KMSError`.
        """
        ref = cstring(path_or_ref, "key path or reference")
        kms = ref.startswith(_KMS_PREFIX)
        guard = CallbackGuard()
        callback = _passphrase_callback(passphrase, guard)
        out = _lib.KeyP()
        with using() as ctx:
            rc = lib.envelope_key_load(ctx.ptr, ref, callback, None, ctypes.byref(out))
            guard.reraise()
            _check_load(ctx, rc, ref, kms)
        return cls._wrap(out, os.fsdecode(ref))

    @classmethod
    def load_all(cls, path_or_ref: PathOrRef,
                 passphrase: Optional[Passphrase] = None) -> "list[Key]":
        """Every key of a file, in file order: for files holding several
        public keys (``cat alice.pub bob.pub > team.pub``), as recipients or
        as trusted signers. An ``EC PARAMETERS`` block naming P-521 is
        skipped; a DER file or an ``awskms://`` reference gives one key.
        Raises :class:`KeyLoadError` when the file mixes a private key with
        other keys, holds any other block or no key (the message names the
        file and the block's number), and otherwise as :meth:`load` does.
        :meth:`load` refuses a file of several keys.
        """
        ref = cstring(path_or_ref, "key path or reference")
        kms = ref.startswith(_KMS_PREFIX)
        guard = CallbackGuard()
        callback = _passphrase_callback(passphrase, guard)
        array = ctypes.POINTER(_lib.KeyP)()
        n = ctypes.c_size_t()
        with using() as ctx:
            rc = lib.envelope_keys_load(ctx.ptr, ref, callback, None, ctypes.byref(array),
                                        ctypes.byref(n))
            try:
                guard.reraise()
                _check_load(ctx, rc, ref, kms)
                # Each Key holds a reference of its own; the array's go with it.
                return [cls._wrap(lib.envelope_key_ref(array[i]), os.fsdecode(ref))
                        for i in range(n.value)]
            finally:
                lib.envelope_keys_free(array, n.value)

    @classmethod
    def _from_memory(cls, data: object, passphrase: Optional[Passphrase], what: str) -> "Key":
        buf = Borrowed(data, what)
        guard = CallbackGuard()
        callback = _passphrase_callback(passphrase, guard)
        out = _lib.KeyP()
        try:
            with using() as ctx:
                rc = lib.envelope_key_from_memory(ctx.ptr, buf.ptr, buf.size, callback, None,
                                                  ctypes.byref(out))
                guard.reraise()
                ctx.check(rc)
        finally:
            buf.release()
        return cls._wrap(out, None)

    @classmethod
    def from_pem(cls, data: Union[bytes, str], passphrase: Optional[Passphrase] = None) -> "Key":
        """A key from PEM text (private PKCS#8 or traditional, or public
        SubjectPublicKeyInfo), encrypted when ``passphrase`` is given."""
        if isinstance(data, str):
            data = data.encode("ascii")
        return cls._from_memory(data, passphrase, "PEM data")

    @classmethod
    def from_der(cls, data: bytes, passphrase: Optional[Passphrase] = None) -> "Key":
        """A key from DER bytes (private PKCS#8 or public SPKI)."""
        return cls._from_memory(data, passphrase, "DER data")

    @classmethod
    def _generate(cls, kind: KeyKind, bits: int) -> "Key":
        out = _lib.KeyP()
        with using() as ctx:
            ctx.check(lib.envelope_key_generate(ctx.ptr, int(kind), bits, ctypes.byref(out)))
        return cls._wrap(out, None)

    @classmethod
    def generate_signing(cls) -> "Key":
        """A fresh ECDSA P-521 private key."""
        return cls._generate(KeyKind.SIGNING, 0)

    @classmethod
    def generate_encryption(cls, bits: int = 4096) -> "Key":
        """A fresh RSA private key of 2048, 3072 or 4096 bits (4096 takes
        seconds)."""
        if isinstance(bits, bool) or not isinstance(bits, int):
            raise TypeError(f"bits must be an int, not {type(bits).__name__}")
        if bits not in (2048, 3072, 4096):
            raise ValueError(f"RSA keys have 2048, 3072 or 4096 bits, not {bits}")
        return cls._generate(KeyKind.ENCRYPTION, bits)

    # ------------------------------------------------------------ lifetime

    @contextlib.contextmanager
    def _borrow(self) -> Iterator["ctypes._Pointer"]:
        """The C key with a reference of our own for the length of a call."""
        with self._lock:
            if not self._ptr:
                raise ValueError("key is closed")
            ptr = lib.envelope_key_ref(self._ptr)
        try:
            yield ptr
        finally:
            lib.envelope_key_free(ptr)

    def close(self) -> None:
        """Drops this object's reference to the C key (idempotent)."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            ptr, self._ptr = self._ptr, None
        if ptr:
            lib.envelope_key_free(ptr)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing useful to do
            pass

    def __enter__(self) -> "Key":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return not self._ptr

    def __reduce__(self):
        raise TypeError("keys cannot be pickled; export them with public_pem()/private_pem()")

    # ---------------------------------------------------------- properties

    @property
    def kind(self) -> Optional[KeyKind]:
        """:attr:`KeyKind.SIGNING` or :attr:`KeyKind.ENCRYPTION`; None for a
        KMS key whose kind the library learns only when the key is first
        used (KMS keys load without a network call)."""
        with self._borrow() as ptr:
            kind = lib.envelope_key_get_kind(ptr)
        return KeyKind(kind) if kind in (KeyKind.SIGNING, KeyKind.ENCRYPTION) else None

    @property
    def is_private(self) -> bool:
        """True if the key can sign or unwrap (a local private key or a KMS key)."""
        with self._borrow() as ptr:
            return bool(lib.envelope_key_is_private(ptr))

    @property
    def bits(self) -> Optional[int]:
        """The RSA modulus size, or 521 for P-521; None while unknown (a KMS
        key not used yet)."""
        with self._borrow() as ptr:
            return int(lib.envelope_key_bits(ptr)) or None

    @property
    def reference(self) -> Optional[str]:
        """The path or reference the key was loaded from (None if from memory)."""
        return self._ref

    @property
    def is_kms(self) -> bool:
        return self._ref is not None and self._ref.startswith("awskms://")

    @property
    def arn(self) -> Optional[str]:
        """A KMS key's ARN once the library knows it (from a key ARN
        reference at once, else after the key's first use or
        :attr:`fingerprint`); None until then, and for local keys. Makes no
        call. Envelopes from a sender without GetPublicKey rights name a
        KMS recipient by its ARN alone."""
        with self._borrow() as ptr:
            raw = lib.envelope_key_arn(ptr)
        return raw.decode("utf-8", "replace") if raw else None

    @property
    def fingerprint(self) -> str:
        """``sha256:`` + hex SHA-256 of the public key's SPKI DER. For a KMS
        key the first use may call GetPublicKey; the value is then kept."""
        if self._fingerprint is None:
            buf = ctypes.create_string_buffer(lib.envelope_fingerprint_size())
            with self._borrow() as ptr, using() as ctx:
                ctx.check(lib.envelope_key_fingerprint(ctx.ptr, ptr, buf), kms=self.is_kms)
            self._fingerprint = buf.value.decode("ascii")
        return self._fingerprint

    def _export(self, fn, *extra) -> bytes:
        out = _lib.BytesP()
        size = ctypes.c_size_t()
        with self._borrow() as ptr, using() as ctx:
            rc = fn(ctx.ptr, ptr, *extra, ctypes.byref(out), ctypes.byref(size))
            try:
                ctx.check(rc, kms=self.is_kms)
            finally:
                data = take_bytes(out, size.value, secret=fn is lib.envelope_key_private_pem)
        return data

    def public_pem(self) -> bytes:
        """The public key as SubjectPublicKeyInfo PEM."""
        return self._export(lib.envelope_key_public_pem)

    def public_der(self) -> bytes:
        """The public key as SubjectPublicKeyInfo DER."""
        return self._export(lib.envelope_key_public_der)

    def public_key(self) -> "Key":
        """A public-only copy of this key (for handing to others, or for
        checking that nothing needs the private half)."""
        return Key.from_der(self.public_der())

    def private_pem(self, passphrase: Optional[Union[str, bytes, bytearray]] = None) -> bytes:
        """A local private key as PKCS#8 PEM, encrypted (AES-256-CBC, its key
        derived by PBKDF2-HMAC-SHA-256 with 600,000 iterations) when
        ``passphrase`` is given. The returned bytes hold key
        material: Python cannot wipe them, so keep their lifetime short."""
        if not self.is_private:
            fail(ErrorCode.KEY_NOT_PRIVATE, "this is a public key; it has no private part")
        if passphrase is None:
            return self._export(lib.envelope_key_private_pem, None, 0)
        raw = _passphrase_bytes(passphrase)
        return self._export(lib.envelope_key_private_pem, raw, len(raw))

    def __repr__(self) -> str:
        try:
            kind, bits, private = self.kind, self.bits, self.is_private
        except ValueError:
            return "<libenvelope.Key closed>"
        if kind == KeyKind.SIGNING:
            what = "signing P-521"
        elif kind == KeyKind.ENCRYPTION:
            what = f"encryption RSA-{bits}"
        else:
            what = "kind not yet known"
        what += " private" if private else " public"
        where = f" {self._ref!r}" if self._ref else ""
        fp = f" {self._fingerprint}" if self._fingerprint else ""
        return f"<libenvelope.Key {what}{where}{fp}>"


def _check_load(ctx: Any, rc: int, ref: bytes, kms: bool) -> None:
    """ctx.check for a key load, where a file that does not exist raises
    KeyFileNotFoundError (a KeyLoadError and a FileNotFoundError)."""
    if rc == ErrorCode.KEY_LOAD and not kms:
        path = os.fsdecode(ref[len(b"file:"):] if ref.startswith(b"file:") else ref)
        try:
            os.stat(path)
        except FileNotFoundError:
            raise KeyFileNotFoundError(rc, ctx.detail(), filename=path) from None
        except OSError:
            pass  # there, or unreachable: the library's KeyLoadError says which
    ctx.check(rc, kms=kms)


def resolve_key(key: object, what: str, session: Optional[Session]) -> Key:
    """A Key for a key argument: a Key as it is; an awskms:// reference
    through the session's keys (so each is loaded, and its public key
    fetched, once per session); a file's path loaded now, at every call, so
    that a file replaced under the same name is read anew."""
    if isinstance(key, Key):
        return key
    if isinstance(key, bytes):
        raise TypeError(f"{what}: give a key file's path as str or os.PathLike, not bytes "
                        "(key data goes through Key.from_pem() or Key.from_der())")
    if not isinstance(key, (str, os.PathLike)):
        raise TypeError(f"{what} must be a libenvelope.Key, a path or an awskms:// "
                        f"reference, not {type(key).__name__}")
    ref = os.fsdecode(os.fspath(key))
    if not ref.startswith("awskms://"):
        return Key.load(ref)
    kept = session_for(session).kms_keys
    found = kept.get(ref)
    if found is None or found.closed:
        found = kept[ref] = Key.load(ref)
        while len(kept) > KMS_KEYS_KEPT:
            kept.popitem(last=False)
    return found


def require_key(key: object, kind: KeyKind, private: bool, what: str) -> Key:
    """Checks a key argument before anything reaches C. A key whose kind is
    not known yet (KMS) passes; the library refuses it at use if it does
    not fit."""
    if not isinstance(key, Key):
        raise TypeError(f"{what} must be a libenvelope.Key, not {type(key).__name__}")
    actual = key.kind  # ValueError if closed
    if actual is not None and actual != kind:
        need = "a signing (P-521)" if kind == KeyKind.SIGNING else "an encryption (RSA)"
        fail(ErrorCode.KEY_TYPE, f"{what}: need {need} key, got a {actual.name.lower()} key")
    if private and not key.is_private:
        fail(ErrorCode.KEY_NOT_PRIVATE, f"{what}: a private key is needed, this one is public")
    return key


__all__ = ["Key", "KeyKind", "KeyArg"]
