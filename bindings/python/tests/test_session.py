"""Sessions and per-thread contexts, without KMS (tests/test_kms_sessions.py
counts connections against the KMS test server)."""

import ctypes
import os
import threading

import pytest

import libenvelope
from libenvelope import _session


def _address(ptr):
    return ctypes.cast(ptr, ctypes.c_void_p).value


def test_session_as_a_context_manager(keys):
    with libenvelope.Session() as s:
        assert "unused" in repr(s)
        sealed = libenvelope.seal(b"s", sign_key=keys.signer, recipients=keys.alice_pub,
                                  session=s)
        assert "open" in repr(s) and not s.closed
        assert libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer_pub,
                                session=s).message == b"s"
    assert s.closed and "closed" in repr(s)
    with pytest.raises(ValueError, match="session is closed"):
        libenvelope.seal(b"s", sign_key=keys.signer, recipients=keys.alice_pub, session=s)
    s.close()  # idempotent


def test_each_thread_has_its_own_session(keys):
    mine = libenvelope.thread_session()
    assert libenvelope.thread_session() is mine
    theirs = []
    t = threading.Thread(target=lambda: theirs.append(libenvelope.thread_session()))
    t.start()
    t.join()
    assert theirs and theirs[0] is not mine


def test_a_closed_thread_session_is_replaced(keys):
    old = libenvelope.thread_session()
    old.close()
    libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub)
    assert libenvelope.thread_session() is not old and not libenvelope.thread_session().closed


def test_calls_reuse_the_thread_context(keys):
    libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub)
    ptr = _address(libenvelope.thread_session()._ptr)
    for _ in range(3):
        libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub)
        assert _address(libenvelope.thread_session()._ptr) == ptr


def test_a_call_from_a_callback_gets_a_context_of_its_own(keys):
    """The outer call still uses the session's context while its progress
    callback runs: the inner call must not take it over."""
    inner = []

    def progress(done, total):
        if not inner:
            inner.append(libenvelope.seal(b"inner", sign_key=keys.signer,
                                          recipients=keys.bob_pub))
        return False

    with libenvelope.Session() as s:
        outer = libenvelope.seal(b"o" * 300000, sign_key=keys.signer,
                                 recipients=keys.alice_pub, progress=progress, session=s)
        # and the same session named explicitly from inside
        libenvelope.seal(b"o" * 300000, sign_key=keys.signer, recipients=keys.alice_pub,
                         session=s,
                         progress=lambda d, t: bool(libenvelope.seal(
                             b"i", sign_key=keys.signer, recipients=keys.bob_pub, session=s))
                         and False)
    assert libenvelope.open(outer, decrypt_key=keys.alice,
                            verify_keys=keys.signer_pub).size == 300000
    assert libenvelope.open(inner[0], decrypt_key=keys.bob,
                            verify_keys=keys.signer_pub).message == b"inner"


def test_closing_a_session_from_its_own_callback(keys):
    s = libenvelope.Session()
    sealed = libenvelope.seal(b"c" * 300000, sign_key=keys.signer, recipients=keys.alice_pub,
                              session=s, progress=lambda done, total: s.close())
    assert s.closed and s._ptr is None
    assert libenvelope.open(sealed, decrypt_key=keys.alice,
                            verify_keys=keys.signer_pub).size == 300000
    with pytest.raises(ValueError, match="session is closed"):
        libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer_pub, session=s)


def test_a_session_shared_by_threads(keys):
    s = libenvelope.Session()
    failures = []

    def work(n):
        try:
            for i in range(5):
                data = b"%d-%d" % (n, i)
                sealed = libenvelope.seal(data, sign_key=keys.signer,
                                          recipients=keys.alice_pub, session=s)
                assert libenvelope.open(sealed, decrypt_key=keys.alice,
                                        verify_keys=keys.signer_pub,
                                        session=s).message == data
        except BaseException as e:
            failures.append((n, repr(e)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s.close()
    assert failures == []


class _Recorder:
    """Stands for the C library in the session module, noting which
    contexts get freed."""

    def __init__(self, real):
        self.real, self.freed = real, []

    def envelope_ctx_free(self, ptr):
        self.freed.append(_address(ptr))
        self.real.envelope_ctx_free(ptr)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_forked_child_abandons_inherited_contexts(keys, monkeypatch):
    recorder = _Recorder(_session.lib)
    monkeypatch.setattr(_session, "lib", recorder)  # also sees what fork itself drops
    held = libenvelope.Session()
    libenvelope.seal(b"p", sign_key=keys.signer, recipients=keys.alice_pub, session=held)
    libenvelope.seal(b"p", sign_key=keys.signer, recipients=keys.alice_pub)
    inherited = {_address(held._ptr), _address(libenvelope.thread_session()._ptr)}
    r, w = os.pipe()
    recorder.freed.clear()
    pid = os.fork()
    if pid == 0:
        said = b"?"
        try:
            os.close(r)
            sealed = libenvelope.seal(b"c", sign_key=keys.signer, recipients=keys.alice_pub,
                                      session=held)
            libenvelope.seal(b"c", sign_key=keys.signer, recipients=keys.alice_pub)
            mine = {_address(held._ptr), _address(libenvelope.thread_session()._ptr)}
            held.close()
            libenvelope.thread_session().close()
            opened = libenvelope.open(sealed, decrypt_key=keys.alice,
                                      verify_keys=keys.signer_pub)
            said = repr((sorted(inherited & set(recorder.freed)),
                         sorted(mine - set(recorder.freed)), opened.message)).encode()
        except BaseException as e:
            said = repr(e).encode()
        finally:
            os.write(w, said[:4000])
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        said = f.read().decode()
    os.waitpid(pid, 0)
    # Nothing inherited was freed; the child's own contexts were.
    assert said == repr(([], [], b"c")), said
    assert _address(held._ptr) in inherited  # the parent's session is untouched
    libenvelope.seal(b"p", sign_key=keys.signer, recipients=keys.alice_pub, session=held)
    held.close()
