"""seal_stream and open_stream: binary file objects in, binary file objects
out, in bounded memory."""

from __future__ import annotations

import datetime as _dt
from typing import BinaryIO, Optional, Union

from . import _lib
from ._api import (Age, Keys, Opened, Progress, _any_kms, _check_set, _max_size, _open_keys,
                   _open_opts, _open_to_object, _opened, _progress, _seal_keys, _seal_opts,
                   _seal_to_object)
from ._call import CallbackGuard, lib
from ._session import Session, using
from ._streams import Input, Output, stream_arg
from .errors import ErrorCode
from .keys import KeyArg


def seal_stream(src: BinaryIO, dst: BinaryIO, *, sign_key: KeyArg, recipients: Keys,
                name: str = "message", hide_recipients: bool = False,
                created: Optional[Union[_dt.datetime, int]] = None,
                max_size: Optional[int] = None, progress: Optional[Progress] = None,
                session: Optional[Session] = None) -> None:
    """Seals what ``src`` holds from its position to its end into ``dst``,
    in bounded memory whatever the size.

    ``src`` is a readable binary file object: a file from ``open(...,
    "rb")``, a pipe, a socket's ``makefile("rb")``, ``io.BytesIO``, or any
    object with ``read()``. Its length is taken from ``os.fstat`` for a
    regular file, else by seeking when it is seekable. When it cannot be
    known in advance (a pipe, a socket, a device, a non-seekable object),
    the library reads it to its end first into an unnamed 0600 spool under
    ``$TMPDIR``, encrypted under a random key that never leaves memory (no
    plaintext on disk; temporary space: the message's size), and
    ``max_size`` bounds that spool (:class:`VerificationError`
    ``TOO_LARGE``, with nothing written to ``dst``). Otherwise the envelope
    is written as it is made, about 1.5 MiB of memory, no temporary file.

    ``dst`` is a writable binary file object. If sealing fails, what was
    written to it is not an envelope (no reader accepts it): discard it.

    The other arguments are :func:`seal`'s. Paths go to :func:`seal_file`.
    """
    src = stream_arg(src, "src", "seal_file")
    dst = stream_arg(dst, "dst", "seal_file")
    guard = CallbackGuard()
    progress_fn = _progress(progress, guard)
    limit = _max_size(max_size)
    signer, to = _seal_keys(sign_key, recipients, session)
    with Input(src, "src") as source, Output(dst, "dst") as sink, \
            _seal_opts(signer, to, name, hide_recipients, created, progress_fn) as opts:
        _check_set(lib.envelope_seal_opts_set_max_size(opts, limit), "max_size")
        with using(session) as ctx:
            rc = _seal_to_object(ctx, opts, source, sink, guard)
            guard.reraise()
            ctx.check(rc, kms=_any_kms((signer,), to))


def open_stream(src: BinaryIO, dst: BinaryIO, *, decrypt_key: Keys, verify_keys: Keys,
                max_size: Optional[int] = None, max_age: Optional[Age] = None,
                max_skew: Optional[Age] = None, allow_compat: bool = False,
                progress: Optional[Progress] = None,
                session: Optional[Session] = None) -> Opened:
    """Opens the envelope ``src`` holds from its position to its end, and
    writes the message to ``dst`` only once every check has passed.

    Nothing unverified reaches ``dst``: this is the library's own release
    step (``envelope_open_fd``, or ``envelope_open_cb`` for objects without
    a descriptor). The envelope as read, ciphertext only, goes to an unnamed
    0600 spool under ``$TMPDIR``; once the signature and every other check
    have passed, the message is decrypted again from that spool, its name,
    size and SHA-512 checked again on the way, and written to ``dst``. A
    failure before that point writes nothing at all; afterwards, only a
    failure of the copy itself (``dst`` raising, a full disk, or
    ``MESSAGE_MISMATCH`` when the spool was changed under the process) can
    leave part of the verified message in ``dst``. Memory stays bounded
    (a few chunks); temporary space: the envelope's size.

    Both arguments are binary file objects (paths go to
    :func:`open_file`); the other arguments are :func:`open`'s. Returns an
    :class:`Opened` with ``message`` and ``path`` None.
    """
    src = stream_arg(src, "src", "open_file")
    dst = stream_arg(dst, "dst", "open_file")
    guard = CallbackGuard()
    progress_fn = _progress(progress, guard)
    decrypters, trusted = _open_keys(decrypt_key, verify_keys, session)
    result = _lib.ResultP()
    with Input(src, "src") as source, Output(dst, "dst") as sink, \
            _open_opts(decrypters, trusted, max_size, max_age, max_skew, allow_compat,
                       progress_fn) as opts, using(session) as ctx:
        rc = _open_to_object(ctx, opts, source, sink, guard, result)
        if rc != ErrorCode.OK or guard.error is not None:
            lib.envelope_result_free(result)
            guard.reraise()
            ctx.check(rc, kms=_any_kms(decrypters, trusted))
        return _opened(result, None, None)


__all__ = ["seal_stream", "open_stream"]
