"""Sealing a message read piece by piece from a file object, through the
library's incremental sealer: bounded memory whether or not the length is
known in advance."""

from __future__ import annotations

import ctypes
from typing import Any, Optional

from . import _lib
from ._call import CallbackGuard, Context, lib
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
