"""What every call into the C library shares: a context per call, turning
return codes into exceptions, borrowing Python buffers, and callbacks that
never let a Python exception unwind through C."""

from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, Optional

from . import _lib
from .errors import ErrorCode, exception_class

lib = _lib.lib


class Context:
    """A borrowed envelope_ctx for the length of one call: where the call's
    failure detail is read from. Sessions own and reuse the contexts."""

    __slots__ = ("ptr",)

    def __init__(self, ptr: Any) -> None:
        self.ptr = ptr

    def detail(self) -> str:
        raw = lib.envelope_ctx_detail(self.ptr)
        return raw.decode("utf-8", "replace") if raw else ""

    def check(self, rc: int, *, kms: bool = False) -> None:
        """Raises the exception for rc (nothing for ENVELOPE_OK), with this
        context's detail. kms: the call involved an awskms:// key."""
        if rc != ErrorCode.OK:
            raise exception_class(rc, kms=kms)(rc, self.detail())


def new_context() -> Any:
    """A fresh envelope_ctx pointer (the caller frees it)."""
    ptr = _lib.CtxP()
    rc = lib.envelope_ctx_new(ctypes.byref(ptr))
    if rc != ErrorCode.OK or not ptr:
        raise exception_class(rc)(rc, "creating a library context")
    return ptr


def fail(code: int, detail: str, *, kms: bool = False) -> None:
    """Raises the exception for a code the bindings detect themselves."""
    raise exception_class(code, kms=kms)(code, detail)


def cstring(value: Any, what: str) -> bytes:
    """A str/bytes/PathLike as bytes for a char * argument, refusing NUL
    (C would silently cut the string there)."""
    if isinstance(value, str):
        raw = os.fsencode(value)
    elif isinstance(value, bytes):
        raw = value
    elif isinstance(value, os.PathLike):
        raw = os.fsencode(value)
    else:
        raise TypeError(f"{what} must be str, bytes or os.PathLike, not {type(value).__name__}")
    if b"\0" in raw:
        raise ValueError(f"{what} contains a NUL byte")
    return raw


class Borrowed:
    """A bytes-like object as C will see it: bytes as they are, anything
    else copied first.

    ctypes releases the GIL during the call, so another thread could change
    a bytearray, array, mmap or any writable buffer while the library reads
    it (and a read-only view may sit over a writable object): only bytes is
    immutable. The copy is a ctypes array, wiped by release(), since it may
    hold a message or key material. ``.ptr`` is a c_void_p-compatible
    argument and ``.size`` its length.
    """

    __slots__ = ("ptr", "size", "_copy")

    def __init__(self, data: Any, what: str) -> None:
        if isinstance(data, str):
            raise TypeError(f"{what} must be bytes-like, not str (encode it first)")
        self._copy: Any = None
        if type(data) is bytes:
            self.ptr, self.size = data, len(data)
            return
        try:
            view = memoryview(data)
        except TypeError:
            raise TypeError(f"{what} must be bytes-like, not {type(data).__name__}") from None
        with view:
            # Under the GIL: one consistent snapshot, whatever other threads do.
            flat = view if view.c_contiguous else memoryview(view.tobytes())
            self._copy = (ctypes.c_uint8 * flat.nbytes).from_buffer_copy(flat)
        self.ptr, self.size = self._copy, len(self._copy)

    def release(self) -> None:
        if self._copy is not None:
            ctypes.memset(self._copy, 0, self.size)
        self._copy = None
        self.ptr = None


class CallbackGuard:
    """Runs Python code called from C: any exception (KeyboardInterrupt
    included) is kept for re-raising once C has returned, and C sees the
    failure value instead. Raising through ctypes would print the error and
    hand C a zero, which for a read callback means end of input."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: Optional[BaseException] = None

    def wrap(self, fn: Callable[..., int], failure: int) -> Callable[..., int]:
        def guarded(*args: Any) -> int:
            if self.error is not None:
                return failure
            try:
                return fn(*args)
            except BaseException as e:  # noqa: B036 - re-raised after the C call
                self.error = e
                return failure

        return guarded

    def reraise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def take_bytes(ptr: Any, size: int, *, secret: bool = False) -> bytes:
    """Copies memory the library returned into bytes, then frees (and for
    secrets wipes) the C copy."""
    if not ptr:
        return b""
    try:
        return ctypes.string_at(ptr, size)
    finally:
        if secret:
            lib.envelope_free_secret(ptr, size)
        else:
            lib.envelope_free(ptr)


def c_str(raw: Optional[bytes]) -> str:
    return raw.decode("utf-8", "surrogateescape") if raw else ""


def check_uint64(value: Any, what: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not minimum <= value < 2**64:
        raise ValueError(f"{what} must be between {minimum} and 2**64-1, not {value}")
    return value
