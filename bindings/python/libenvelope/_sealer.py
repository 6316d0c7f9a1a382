"""Sealing a message read piece by piece from a file object, through the
library's incremental sealer: bounded memory whether or not the length is
known in advance, and never the message on disk."""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
from typing import Any, Optional

from . import _lib
from ._call import CallbackGuard, Context, fail, lib
from ._streams import read_some, write_callback
from .errors import ErrorCode

PIECE = 1 << 18  # what each update hands the library


def seal_pieces(ctx: Context, opts: Any, size: Optional[int], reader: Any, sink: Any,
                guard: CallbackGuard) -> int:
    """Seals what reader.read() gives until its end into sink.write(). With
    size None the library spools the message encrypted under a key that
    never leaves memory, and writes nothing before the whole message has
    been read; with a size it streams, and a source that gives more or
    fewer bytes fails (INVALID_ARGUMENT). Returns the library's code; an
    exception of reader or sink is left in guard."""
    sealer = _lib.SealerP()
    writer = write_callback(sink, guard)
    declared = _lib.SIZE_UNKNOWN if size is None else size
    rc = lib.envelope_sealer_new(ctx.ptr, opts, declared, writer, None, ctypes.byref(sealer))
    try:
        while rc == ErrorCode.OK:
            try:
                piece = read_some(reader, PIECE)
            except BaseException as e:  # noqa: B036 - re-raised by the caller
                guard.error = e
                return ErrorCode.IO
            if not piece:
                return lib.envelope_sealer_final(sealer)
            # bytes: immutable, so what C reads cannot change under it.
            rc = lib.envelope_sealer_update(sealer, piece, len(piece))
        return rc
    finally:
        lib.envelope_sealer_free(sealer)


def seal_pieces_to_path(ctx: Context, opts: Any, size: Optional[int], reader: Any,
                        path: bytes, force: bool, guard: CallbackGuard) -> int:
    """Seals what reader.read() gives into a new file at path, as
    envelope_seal_file does for a descriptor: the envelope (ciphertext
    only; the message is never on disk) is written to a hidden file beside
    path, flushed, then given its name (never replacing a file unless
    force), and the directory flushed. On failure nothing is left."""
    if not force and os.path.lexists(path):
        fail(ErrorCode.OUTPUT_EXISTS, f"{os.fsdecode(path)} exists")
    directory = os.path.dirname(path) or b"."
    tmp = os.path.join(directory, b".envelope-" + secrets.token_hex(8).encode() + b".tmp")
    # 0644 less the umask, as the library creates envelopes.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    placed = False
    try:
        with os.fdopen(fd, "wb") as out:
            rc = seal_pieces(ctx, opts, size, reader, out, guard)
            if rc != ErrorCode.OK or guard.error is not None:
                return rc
            out.flush()
            os.fsync(out.fileno())
        _place(tmp, path, force)
        placed = True
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return ErrorCode.OK
    finally:
        if not placed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _place(tmp: bytes, path: bytes, force: bool) -> None:
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails, rather than replaces, if path appeared
    except FileExistsError:
        fail(ErrorCode.OUTPUT_EXISTS, f"{os.fsdecode(path)} exists")
    os.unlink(tmp)
