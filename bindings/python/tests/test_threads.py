"""Many threads sealing and opening at once with shared keys."""

import hashlib
import io
import threading

import libenvelope

THREADS = 8
ROUNDS = 6


def test_eight_threads_share_keys(keys):
    barrier = threading.Barrier(THREADS)
    failures = []
    done = []

    def work(n):
        try:
            barrier.wait(timeout=30)
            for i in range(ROUNDS):
                data = hashlib.sha512(f"{n}/{i}".encode()).digest() * (1000 + 300 * n)
                recipients = [keys.alice_pub, keys.bob_pub] if i % 2 else [keys.bob_pub]
                sealed = libenvelope.seal(data, sign_key=keys.signer, recipients=recipients,
                                       name=f"t{n}-{i}")
                opened = libenvelope.open(sealed, decrypt_key=keys.bob,
                                       verify_keys=[keys.other_signer, keys.signer_pub])
                assert opened.message == data and opened.name == f"t{n}-{i}"
                # The streaming flavours too, through callbacks.
                out = io.BytesIO()
                libenvelope.open_file(io.BytesIO(sealed), out, decrypt_key=keys.bob,
                                   verify_keys=keys.signer_pub)
                assert out.getvalue() == data
                # And a failure, whose detail must be this thread's own.
                try:
                    libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer)
                    assert i % 2, "alice is a recipient only in odd rounds"
                except libenvelope.VerificationError as e:
                    assert not i % 2 and e.name == "NOT_RECIPIENT"
                    assert "no recipient stanza" in e.detail
            done.append(n)
        except BaseException as e:  # reported below, with the thread's number
            failures.append((n, repr(e)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    stuck = [n for n, t in enumerate(threads) if t.is_alive()]
    assert stuck == [], f"threads still running after 300 s: {stuck}; done: {sorted(done)}"
    assert failures == []
    assert sorted(done) == list(range(THREADS))


def test_closing_a_key_during_a_call(keys):
    """close() drops only the Python object's reference: a call in flight
    keeps its own, and finishes."""
    signer = libenvelope.Key.load(keys.signer.reference)
    sealed = libenvelope.seal(b"x" * 200000, sign_key=signer, recipients=keys.alice_pub,
                           progress=lambda done, total: signer.close())
    assert signer.closed
    assert libenvelope.open(sealed, decrypt_key=keys.alice,
                         verify_keys=keys.signer_pub).size == 200000


def test_closing_a_key_other_threads_use(keys):
    """Threads sealing in a loop with a key another thread closes: each
    call either works or raises ValueError; nothing crashes."""
    signer = libenvelope.Key.load(keys.signer.reference)
    started = threading.Barrier(5, timeout=60)
    outcome = {}

    def work(n):
        ok = 0
        try:
            libenvelope.seal(b"x", sign_key=signer, recipients=keys.alice_pub)
            ok += 1
            started.wait()
            while True:
                libenvelope.seal(b"x" * 5000, sign_key=signer, recipients=keys.alice_pub)
                ok += 1
        except ValueError as e:
            outcome[n] = (ok, str(e))
        except BaseException as e:
            outcome[n] = (ok, repr(e))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    started.wait()
    signer.close()
    for t in threads:
        t.join(timeout=300)
    assert sorted(outcome) == [0, 1, 2, 3], f"threads that ended: {outcome}"
    for ok, why in outcome.values():
        assert ok >= 1 and "closed" in why, why
