"""Connection reuse with KMS keys: one library context per thread, or a
Session, each keeping its HTTPS connection; awskms:// keys given as strings
loaded (and their public keys fetched) once per session; fork-safe.
Counted with the test server's counters."""

import os
import threading

import libenvelope

from conftest import KMS_ENCRYPT_REF, KMS_SIGN_REF, key_path

SEALS = 100
THREADS = 8


def _seal(n, **kw):
    return libenvelope.seal(b"reused %d" % n, sign_key=KMS_SIGN_REF,
                            recipients=[KMS_ENCRYPT_REF, key_path("alice.pub")], **kw)


def _opens(sealed, n):
    opened = libenvelope.open(sealed, decrypt_key=key_path("alice.pem"),
                              verify_keys=KMS_SIGN_REF)
    assert opened.message == b"reused %d" % n


def _calls(stats, op):
    return stats["requests"].get(op, 0)


def test_a_hundred_seals_in_one_thread_use_one_connection(kms):
    libenvelope.thread_session().close()  # a new context, and no keys kept yet
    kms.reset_stats()
    for n in range(SEALS):
        _seal(n)
    stats = kms.stats()
    assert stats["tls_handshakes"] == 1, stats
    assert _calls(stats, "Sign") == SEALS, stats
    # The recipient's reference loaded once per session: its public key is
    # fetched once (its first wrap may go through Encrypt), not per seal.
    assert _calls(stats, "GetPublicKey") <= 1 and _calls(stats, "Encrypt") <= 1, stats
    _opens(_seal(SEALS), SEALS)


def test_a_session_keeps_its_connection_until_closed(kms):
    kms.reset_stats()
    with libenvelope.Session() as session:
        for n in range(10):
            _opens(_seal(n, session=session), n)
        assert kms.stats()["tls_handshakes"] == 1
    assert session.closed
    with libenvelope.Session() as other:
        _seal(0, session=other)
    stats = kms.stats()
    assert stats["tls_handshakes"] == 2, stats  # a new session: a new connection
    assert _calls(stats, "GetPublicKey") <= 4, stats  # keys kept per session


def test_eight_threads(kms):
    kms.reset_stats()
    barrier = threading.Barrier(THREADS, timeout=60)
    failures, done = [], []

    def work(t):
        try:
            barrier.wait()
            for n in range(5):
                _opens(_seal(100 * t + n), 100 * t + n)
            done.append(t)
        except BaseException as e:  # reported below with the thread's number
            failures.append((t, repr(e)))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and sorted(done) == list(range(THREADS)), failures
    stats = kms.stats()
    assert 1 <= stats["tls_handshakes"] <= THREADS, stats
    assert _calls(stats, "Sign") == THREADS * 5, stats


def _wait_child(pid):
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_fork_child_makes_its_own_connection_parent_keeps_its_own(kms):
    libenvelope.thread_session().close()
    kms.reset_stats()
    _seal(0)  # the parent's connection
    held = libenvelope.Session()
    _seal(1, session=held)  # and a session's
    assert kms.stats()["tls_handshakes"] == 2
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        code = 1
        try:
            os.close(r)
            _opens(_seal(2), 2)
            _opens(_seal(3, session=held), 3)
            held.close()
            os.write(w, b"ok")
            code = 0
        except BaseException as e:
            os.write(w, repr(e).encode()[:4000])
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        said = f.read().decode()
    assert _wait_child(pid) == 0 and said == "ok", said
    after_child = kms.stats()["tls_handshakes"]
    # The child made its own two; had it freed what it inherited, the
    # parent's connections would be shut down and make new ones below.
    assert after_child == 4, kms.stats()
    _opens(_seal(4), 4)
    _opens(_seal(5, session=held), 5)
    stats = kms.stats()
    assert stats["tls_handshakes"] == 4, stats
    held.close()
