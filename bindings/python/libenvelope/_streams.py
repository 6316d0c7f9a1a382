"""Sources and sinks for the streaming calls: paths, and binary file objects
with or without a descriptor the C library can use directly."""

from __future__ import annotations

import ctypes
import io
import os
import stat
import tempfile
from typing import Any, BinaryIO, Optional, Union

from . import _lib
from ._call import CallbackGuard, cstring

PathLike = Union[str, "os.PathLike[str]", "os.PathLike[bytes]"]
Source = Union[PathLike, BinaryIO]

COPY_SIZE = 1 << 16
_BUFFERED = (io.BufferedReader, io.BufferedWriter, io.BufferedRandom)


def is_path(obj: Any) -> bool:
    return isinstance(obj, (str, os.PathLike))


def stream_arg(obj: Any, what: str, instead: str) -> Any:
    """A file object argument of the *_stream calls: paths go elsewhere."""
    if is_path(obj) or isinstance(obj, bytes):
        raise TypeError(f"{what} must be a binary file object; for paths use {instead}()")
    return obj


def path_arg(obj: Any, what: str) -> bytes:
    if isinstance(obj, bytes):
        raise TypeError(f"{what}: pass paths as str or os.PathLike, not bytes")
    return cstring(obj, what)


def real_fd(f: Any) -> Optional[int]:
    """The descriptor behind f when reading or writing it is exactly what
    f.read()/f.write() would do: a plain file object from open() (FileIO,
    or a Buffered* over one). Objects that merely have a fileno(), such as
    gzip.GzipFile (whose fileno() is the compressed file's), are not used
    that way."""
    raw = f.raw if type(f) in _BUFFERED else f
    if type(raw) is not io.FileIO:
        return None
    try:
        return raw.fileno()
    except (OSError, ValueError):
        return None


def _unwrap(f: Any) -> Any:
    # NamedTemporaryFile returns a wrapper whose .file is the real object.
    if isinstance(f, tempfile._TemporaryFileWrapper):  # type: ignore[attr-defined]
        return f.file
    return f


def _check_fileobj(f: Any, what: str, method: str) -> None:
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"{what} must be a binary file object (open it with 'b'), not text")
    if not callable(getattr(f, method, None)):
        raise TypeError(f"{what} must be a path or a binary file object, not {type(f).__name__}")
    if getattr(f, "closed", False):
        raise ValueError(f"{what}: I/O operation on closed file")
    able = getattr(f, "readable" if method == "read" else "writable", None)
    if callable(able) and not able():
        raise io.UnsupportedOperation(f"{what} is not open for {method}ing")


def _seekable(f: Any) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, OSError, ValueError):
        return False


class _End:
    """Puts a file object's position where the C library left its
    descriptor, dropping any read-ahead the object buffered before."""

    def __init__(self, f: Any, fd: int) -> None:
        self.f, self.fd = f, fd

    def __call__(self) -> None:
        try:
            where = os.lseek(self.fd, 0, os.SEEK_CUR)
            # SEEK_END always leaves the buffer; then the absolute seek is exact.
            self.f.seek(0, os.SEEK_END)
            self.f.seek(where, os.SEEK_SET)
        except (OSError, ValueError):
            pass


class Input:
    """The envelope or message to read: a path or a readable binary file."""

    def __init__(self, src: Any, what: str = "src") -> None:
        self.what = what
        self.owned = False
        self.spool: Optional[Any] = None
        self._restore: Optional[_End] = None
        self.path: Optional[str] = None
        if is_path(src) or isinstance(src, bytes):
            raw = path_arg(src, what)
            self.f: Any = open(raw, "rb", buffering=0)
            self.owned = True
            self.path = os.fsdecode(raw)
        else:
            src = _unwrap(src)
            _check_fileobj(src, what, "read")
            self.f = src

    def __enter__(self) -> "Input":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._restore:
            self._restore()
        if self.spool is not None:
            self.spool.close()
        if self.owned:
            self.f.close()

    def usable_fd(self) -> bool:
        """Whether fd() would give a descriptor (no side effects)."""
        if real_fd(self.f) is None:
            return False
        # A buffered pipe's read-ahead is invisible to C: read it in Python.
        return _seekable(self.f) or type(self.f) is io.FileIO

    def fd(self) -> Optional[int]:
        """A descriptor positioned where the object's next read would be
        (the object is put where C left it on exit), or None if the object
        cannot be used as a descriptor."""
        if not self.usable_fd():
            return None
        fd = real_fd(self.f)
        if _seekable(self.f):
            self.f.flush()
            os.lseek(fd, self.f.tell(), os.SEEK_SET)
            self._restore = _End(self.f, fd)
        return fd

    def fd_or_spool(self) -> int:
        """A descriptor: the object's own, or an unnamed 0600 temporary file
        (under $TMPDIR) holding the rest of its contents."""
        fd = self.fd()
        if fd is not None:
            return fd
        self._spool()
        return self.spool.fileno()

    def _spool(self) -> None:
        self.spool = tempfile.TemporaryFile()
        while True:
            chunk = read_some(self.f, COPY_SIZE)
            if not chunk:
                break
            self.spool.write(chunk)
        self.spool.flush()
        self.spool.seek(0)

    def size_left(self) -> Optional[int]:
        """The number of bytes left from the object's position: from fstat
        for a regular file behind a plain file object, by seeking for other
        seekable objects; None when not known in advance (a pipe, a socket,
        a device, a stream)."""
        fd = real_fd(self.f)
        if fd is not None and not stat.S_ISREG(os.fstat(fd).st_mode):
            return None  # a device may claim to seek, and read on forever
        if not _seekable(self.f):
            return None
        pos = self.f.tell()
        if fd is not None:
            return max(0, os.fstat(fd).st_size - pos)
        end = self.f.seek(0, os.SEEK_END)
        self.f.seek(pos, os.SEEK_SET)
        return max(0, end - pos)


class Output:
    """Where a message or envelope goes: a writable binary file object."""

    def __init__(self, dst: Any, what: str = "dst") -> None:
        dst = _unwrap(dst)
        _check_fileobj(dst, what, "write")
        self.f = dst
        self._restore: Optional[_End] = None

    def __enter__(self) -> "Output":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._restore:
            self._restore()

    def usable_fd(self) -> bool:
        return real_fd(self.f) is not None

    def fd(self) -> Optional[int]:
        """A descriptor positioned where the object's next write would go
        (what the object buffered is flushed first), or None."""
        fd = real_fd(self.f)
        if fd is None:
            return None
        self.f.flush()
        if _seekable(self.f):
            os.lseek(fd, self.f.tell(), os.SEEK_SET)
            self._restore = _End(self.f, fd)
        return fd


def read_some(f: Any, n: int) -> bytes:
    data = f.read(n)
    if data is None:
        raise BlockingIOError("the source is non-blocking and has no data ready")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"read() returned {type(data).__name__}, not bytes")
    data = bytes(data)
    if len(data) > n:
        raise ValueError(f"read({n}) returned {len(data)} bytes")
    return data


def write_all(f: Any, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = f.write(view)
        if n is None:
            raise BlockingIOError("the destination is non-blocking and not ready")
        if not isinstance(n, int) or n < 0 or n > len(view):
            raise ValueError(f"write() returned {n!r}")
        if n == 0:
            raise OSError("write() wrote nothing")
        view = view[n:]


def read_callback(f: Any, guard: CallbackGuard):
    """An envelope_read_fn over f.read(). The bytes are copied into the C
    buffer, so no Python object ever holds a view of C memory."""

    def read(_arg: Optional[int], buf: Optional[int], size: int) -> int:
        data = read_some(f, min(size, COPY_SIZE * 4))
        if data:
            ctypes.memmove(buf, data, len(data))
        return len(data)

    return _lib.READ_FN(guard.wrap(read, -1))


def write_callback(f: Any, guard: CallbackGuard):
    """An envelope_write_fn over f.write(), given a copy of the C buffer."""

    def write(_arg: Optional[int], buf: Optional[int], size: int) -> int:
        if size:
            write_all(f, ctypes.string_at(buf, size))
        return 0

    return _lib.WRITE_FN(guard.wrap(write, -1))
