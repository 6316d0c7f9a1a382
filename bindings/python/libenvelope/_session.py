"""Library contexts kept for reuse: one per thread, or a Session the caller
holds.

A context holds the library's KMS client, whose HTTPS connection stays open
from one call to the next: reusing contexts is what lets a hundred seals
with KMS keys share one TLS connection. A context belongs to one thread at
a time, so each thread gets its own, and a Session serialises its calls.

After fork() the child must not free a context it inherited: that would
shut down a TLS connection the parent still uses. A context remembers the
process that made it; any other process abandons it (the memory stays
allocated) and makes its own.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
from typing import Any, Iterator, Optional

from ._call import Context, lib, new_context

#: awskms:// keys a session keeps, by reference string (FIFO beyond this).
KMS_KEYS_KEPT = 256


class Session:
    """A library context the caller holds, with what it caches.

    Pass it as ``session=`` to any call. Calls on one session run one at a
    time (a thread waits for another's call to end); a call made from a
    callback while its session is busy gets a context of its own. Without
    ``session=``, each thread uses a session of its own
    (:func:`thread_session`), made at its first call and freed when the
    thread ends.

    A context reads the KMS settings (``AWS_*`` variables, static
    credentials, ``AWS_CA_BUNDLE``) at its first KMS call and keeps them;
    credentials that expire are fetched again. After changing them, use a
    new session (or close :func:`thread_session`).

    What a session keeps: the library context (and with it the KMS client
    and its HTTPS connection), and the :class:`Key` loaded for each
    ``awskms://`` reference given as a string (so its public key is
    fetched once). Key files named by path are loaded at every call.

    ``close()`` (or leaving a ``with`` block) frees the context and closes
    the connection; a closed session raises ValueError when used.
    """

    __slots__ = ("_ptr", "_pid", "_lock", "_owner", "_closed", "kms_keys", "__weakref__")

    def __init__(self) -> None:
        self._ptr: Any = None  # made at the first call
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._owner: Optional[int] = None  # the thread inside a call
        self._closed = False
        #: awskms:// reference -> Key, for the bindings' own use.
        self.kms_keys: "collections.OrderedDict[str, Any]" = collections.OrderedDict()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Frees the context (idempotent). Waits for a call in progress in
        another thread; called back from a call on this session, it frees
        the context when that call ends."""
        self._adopt()
        if self._owner == threading.get_ident():
            self._closed = True  # the call that holds the lock drops it on its way out
            return
        with self._lock:
            self._closed = True
            self._drop()

    def __del__(self) -> None:
        try:
            self._drop()
        except Exception:  # interpreter shutdown: nothing useful to do
            pass

    def _drop(self) -> None:
        ptr, self._ptr = self._ptr, None
        self.kms_keys = collections.OrderedDict()
        if ptr and self._pid == os.getpid():
            lib.envelope_ctx_free(ptr)
        # else: made by the parent before a fork; abandoned, never freed.

    def _adopt(self) -> None:
        """In a forked child: forget the parent's context and lock state (a
        lock another parent thread held stays held here forever)."""
        if self._pid != os.getpid():
            with _adopting:
                if self._pid != os.getpid():
                    self._ptr = None  # the parent's: abandoned, not freed
                    self._lock = threading.Lock()
                    self._owner = None
                    self.kms_keys = collections.OrderedDict()
                    self._pid = os.getpid()

    @contextlib.contextmanager
    def _context(self) -> Iterator[Context]:
        self._adopt()
        if self._owner == threading.get_ident():
            # Called back from C during a call on this session: that call
            # still uses the context, so this one gets its own.
            with _temporary() as ctx:
                yield ctx
            return
        with self._lock:
            if self._closed:
                raise ValueError("session is closed")
            if not self._ptr:
                self._ptr = new_context()
            self._owner = threading.get_ident()
            try:
                yield Context(self._ptr)
            finally:
                self._owner = None
                if self._closed:  # closed by a callback during the call
                    self._drop()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._ptr else "unused"
        return f"<libenvelope.Session {state}>"


@contextlib.contextmanager
def _temporary() -> Iterator[Context]:
    ptr = new_context()
    try:
        yield Context(ptr)
    finally:
        lib.envelope_ctx_free(ptr)


_adopting = threading.Lock()
_local = threading.local()


def _after_fork_in_child() -> None:
    global _adopting, _local
    _adopting = threading.Lock()
    # The forking thread's session came from the parent: the next call makes
    # a new one (the old one is abandoned by its own pid check).
    _local = threading.local()


os.register_at_fork(after_in_child=_after_fork_in_child)


def thread_session() -> Session:
    """This thread's own session, which calls without ``session=`` use.

    Closing it frees its context (and KMS connection); the thread's next
    call makes a new one, which reads the KMS settings (``AWS_*``
    variables, credentials, ``AWS_CA_BUNDLE``) afresh.
    """
    own = getattr(_local, "session", None)
    if own is None or own.closed:
        own = _local.session = Session()
    return own


def session_for(session: Optional[Session]) -> Session:
    """The caller's session, else this thread's own."""
    if session is None:
        return thread_session()
    if not isinstance(session, Session):
        raise TypeError(f"session must be a libenvelope.Session, not {type(session).__name__}")
    return session


@contextlib.contextmanager
def using(session: Optional[Session] = None) -> Iterator[Context]:
    """A context for one call: the session's (by default, this thread's)."""
    with session_for(session)._context() as ctx:
        yield ctx


__all__ = ["Session", "thread_session"]
