"""seal() and open() in memory: round trips and what Opened reports."""

import datetime as dt
import hashlib
import time

import pytest

import libenvelope
from libenvelope import ErrorCode


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 3 * 65536 + 5])
def test_round_trip_sizes(keys, size):
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    sealed = libenvelope.seal(data, sign_key=keys.signer, recipients=[keys.alice_pub])
    assert data not in sealed or size < 8
    opened = libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=[keys.signer_pub])
    assert opened.message == data
    assert opened.size == size
    assert opened.sha512 == hashlib.sha512(data).hexdigest()


def test_opened_fields(keys):
    before = int(time.time())
    sealed = libenvelope.seal(b"payload", sign_key=keys.signer,
                           recipients=[keys.alice_pub, keys.bob_pub], name="report.json")
    opened = libenvelope.open(sealed, decrypt_key=keys.bob,
                           verify_keys=[keys.other_signer, keys.signer_pub])
    assert opened.message == b"payload"
    assert opened.name == "report.json"
    assert opened.signer == keys.signer.fingerprint
    assert opened.signer_hint == keys.signer.fingerprint
    assert opened.recipients == (keys.alice_pub.fingerprint, keys.bob_pub.fingerprint)
    assert opened.format == "v1" and opened.path is None
    assert opened.created.tzinfo is dt.timezone.utc
    assert before <= opened.created.timestamp() <= time.time() + 1
    assert "payload" not in repr(opened)  # the message stays out of reprs


def test_bytes_like_inputs(keys):
    for data in (bytearray(b"abc"), memoryview(b"xabcx")[1:4], memoryview(bytearray(b"abc"))):
        sealed = libenvelope.seal(data, sign_key=keys.signer, recipients=keys.alice_pub)
        assert libenvelope.open(bytearray(sealed), decrypt_key=keys.alice,
                             verify_keys=keys.signer_pub).message == b"abc"
        assert libenvelope.open(memoryview(sealed), decrypt_key=keys.alice,
                             verify_keys=keys.signer_pub).message == b"abc"


def test_recipients_as_any_iterable(keys):
    sealed = libenvelope.seal(b"x", sign_key=keys.signer,
                           recipients=(k for k in [keys.alice_pub, keys.carol_pub]))
    assert len(libenvelope.inspect(sealed).recipients) == 2


def test_hidden_recipients(keys):
    sealed = libenvelope.seal(b"x", sign_key=keys.signer,
                           recipients=[keys.alice_pub, keys.bob_pub], hide_recipients=True)
    info = libenvelope.inspect(sealed)
    assert [s.label for s in info.recipients] == ["", ""]
    assert all(s.hidden for s in info.recipients)
    # Opening tries every stanza; the signed manifest still names them.
    opened = libenvelope.open(sealed, decrypt_key=keys.bob, verify_keys=keys.signer)
    assert opened.recipients == (keys.alice_pub.fingerprint, keys.bob_pub.fingerprint)


def test_inspect_bytes(keys):
    sealed = libenvelope.seal(b"y" * 100000, sign_key=keys.signer,
                           recipients=[keys.alice_pub, keys.carol_pub])
    info = libenvelope.inspect(sealed)
    assert (info.version, info.suite, info.chunk_size) == (1, 1, 65536)
    assert info.header_size + info.payload_size == len(sealed)
    assert [(s.label, s.bits) for s in info.recipients] == [
        (keys.alice_pub.fingerprint, 2048), (keys.carol_pub.fingerprint, 3072)]


def test_created_and_max_age(keys):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
    sealed = libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub, created=old)
    opened = libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer,
                           max_age=dt.timedelta(hours=3))
    assert opened.created == old.replace(microsecond=0)
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer, max_age=3600)
    assert ei.value.code == ErrorCode.TOO_OLD and ei.value.name == "TOO_OLD"
    future = int(time.time()) + 86400
    sealed = libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub,
                           created=future)
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer)
    assert ei.value.code == ErrorCode.TOO_OLD


def test_max_skew(keys, tmp_path):
    """15 minutes ahead: refused by default with both times and the
    difference, opened with max_skew 1200 (or 20 minutes)."""
    created = int(time.time()) + 900
    sealed = libenvelope.seal(b"early", sign_key=keys.signer, recipients=keys.alice_pub,
                           created=created)
    kw = dict(decrypt_key=keys.alice, verify_keys=keys.signer)
    before = int(time.time())
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open(sealed, **kw)
    after = int(time.time())
    assert ei.value.code == ErrorCode.TOO_OLD, ei.value
    detail = ei.value.detail
    here = detail.split("machine's clock (")[1].split(")")[0]
    now = int(dt.datetime.strptime(here, "%Y-%m-%dT%H:%M:%SZ")
              .replace(tzinfo=dt.timezone.utc).timestamp())
    assert before <= now <= after, (detail, before, after)
    then = dt.datetime.fromtimestamp(created, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert detail == (f"created {then}, {created - now} s ahead of this machine's clock "
                      f"({here}); the allowed skew is 300 s")
    out = tmp_path / "early.txt"
    (tmp_path / "e.env").write_bytes(sealed)
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open_file(tmp_path / "e.env", out, **kw)
    assert ei.value.code == ErrorCode.TOO_OLD and not out.exists(), ei.value
    assert libenvelope.open(sealed, max_skew=1200, **kw).message == b"early"
    assert libenvelope.open(sealed, max_skew=dt.timedelta(minutes=20), max_age=60,
                         **kw).message == b"early"
    libenvelope.open_file(tmp_path / "e.env", out, max_skew=1200, **kw)
    assert out.read_bytes() == b"early"
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open(sealed, max_skew=0, **kw)
    assert ei.value.detail.endswith("the allowed skew is 0 s"), ei.value


def test_max_skew_bounds(keys):
    sealed = libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub)
    kw = dict(decrypt_key=keys.alice, verify_keys=keys.signer)
    assert libenvelope.open(sealed, max_skew=86400, **kw).message == b"x"
    for bad in (86401, dt.timedelta(days=2), float("inf"), -1, 2**64):
        with pytest.raises(ValueError) as ei:
            libenvelope.open(sealed, max_skew=bad, **kw)
        assert "max_skew" in str(ei.value), ei.value
    for bad in ("300", True):
        with pytest.raises(TypeError):
            libenvelope.open(sealed, max_skew=bad, **kw)


def test_max_size(keys):
    sealed = libenvelope.seal(b"z" * 1000, sign_key=keys.signer, recipients=keys.alice_pub)
    assert libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer,
                         max_size=1000).size == 1000
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer, max_size=999)
    assert ei.value.code == ErrorCode.TOO_LARGE


def test_policy_argument_checks(keys):
    sealed = libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub)
    kw = dict(decrypt_key=keys.alice, verify_keys=keys.signer)
    for bad in (0, -1, 2**64):
        with pytest.raises(ValueError):
            libenvelope.open(sealed, max_size=bad, **kw)
    for bad in (0, 0.5, dt.timedelta(milliseconds=10), float("inf")):
        with pytest.raises(ValueError):
            libenvelope.open(sealed, max_age=bad, **kw)
    for bad in ("10", True):
        with pytest.raises(TypeError):
            libenvelope.open(sealed, max_size=bad, **kw)
    with pytest.raises(ValueError):
        libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub,
                      created=dt.datetime(2020, 1, 1))  # naive


def test_progress_and_cancel(keys):
    seen = []
    data = b"p" * 300000
    sealed = libenvelope.seal(data, sign_key=keys.signer, recipients=keys.alice_pub,
                           progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (len(data), len(data))
    assert all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))
    with pytest.raises(libenvelope.CancelledError) as ei:
        libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer,
                      progress=lambda done, total: done > 100000)
    assert ei.value.code == ErrorCode.CANCELLED


def test_progress_exception_is_reraised(keys):
    def boom(done, total):
        raise KeyError("from the progress callback")

    with pytest.raises(KeyError, match="progress callback"):
        libenvelope.seal(b"x" * 10, sign_key=keys.signer, recipients=keys.alice_pub,
                      progress=boom)
