"""seal_stream / open_stream: file objects, bounded memory, streams of
unknown length through the library's incremental sealer, and nothing
unverified released."""

import hashlib
import io
import os
import random
import subprocess
import sys
import textwrap
import threading

import pytest

import libenvelope
from libenvelope import ErrorCode

from conftest import KEYS, key_path

SEAL = dict(sign_key=key_path("signer.pem"), recipients=key_path("alice.pub"))
OPEN = dict(decrypt_key=key_path("alice.pem"), verify_keys=key_path("signer.pub"))


class Stream(io.RawIOBase):
    """A non-seekable source without a descriptor: its length cannot be
    known in advance. Calls on_end once read() reaches the end; raises
    `fail` once `fail_at` bytes have been given."""

    def __init__(self, data, on_end=None, fail_at=None, fail=None):
        self.data, self.pos, self.on_end = data, 0, on_end
        self.fail_at, self.fail = fail_at, fail

    def readable(self):
        return True

    def readinto(self, b):
        if self.fail_at is not None and self.pos >= self.fail_at:
            raise self.fail
        n = min(len(b), len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        if n == 0 and self.on_end:
            self.on_end()
            self.on_end = None
        return n


class Sink(io.RawIOBase):
    """A writable object without a descriptor that notes every write."""

    def __init__(self):
        self.buf, self.writes = bytearray(), 0

    def writable(self):
        return True

    def write(self, b):
        self.writes += 1
        self.buf += b
        return len(b)


def _data(n, seed=7):
    return random.Random(seed).randbytes(n)


def _opened_bytes(envelope):
    return libenvelope.open(bytes(envelope), **OPEN).message


def test_round_trip_through_objects():
    data = _data(300_000)
    sink = Sink()
    libenvelope.seal_stream(io.BytesIO(data), sink, name="r.bin", **SEAL)
    out = io.BytesIO()
    opened = libenvelope.open_stream(io.BytesIO(bytes(sink.buf)), out, **OPEN)
    assert out.getvalue() == data
    assert opened.name == "r.bin" and opened.size == len(data)
    assert opened.message is None and opened.path is None
    assert opened.sha512 == hashlib.sha512(data).hexdigest()


def test_unknown_length_goes_through_the_sealer_and_writes_nothing_before_the_end():
    data = _data(1_000_003)
    sink = Sink()
    seen_at_end = []
    src = Stream(data, on_end=lambda: seen_at_end.append(sink.writes))
    libenvelope.seal_stream(io.BufferedReader(src), sink, **SEAL)
    assert seen_at_end == [0], f"writes before the whole message was read: {seen_at_end}"
    assert _opened_bytes(sink.buf) == data


def test_a_pipe(tmp_path):
    """A real descriptor that is not a regular file: unknown length."""
    data = _data(3 << 20)
    r, w = os.pipe()

    def feed():
        with os.fdopen(w, "wb") as f:
            f.write(data)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        with os.fdopen(r, "rb") as src, open(tmp_path / "p.env", "wb") as dst:
            libenvelope.seal_stream(src, dst, **SEAL)
    finally:
        feeder.join()
    with open(tmp_path / "p.env", "rb") as src, open(tmp_path / "p.out", "wb") as dst:
        libenvelope.open_stream(src, dst, **OPEN)
    assert (tmp_path / "p.out").read_bytes() == data


def test_a_file_from_its_position(tmp_path):
    path = tmp_path / "m"
    data = _data(200_000)
    path.write_bytes(data)
    sink = io.BytesIO()
    with open(path, "rb") as f:
        f.read(1000)
        libenvelope.seal_stream(f, sink, **SEAL)
        assert f.tell() == len(data)
    assert _opened_bytes(sink.getvalue()) == data[1000:]


def test_a_failing_source_leaves_nothing_in_dst():
    sink = Sink()
    src = Stream(_data(2 << 20), fail_at=1 << 20, fail=ConnectionResetError("peer went away"))
    with pytest.raises(ConnectionResetError, match="peer went away"):
        libenvelope.seal_stream(src, sink, **SEAL)
    assert sink.writes == 0 and sink.buf == b""


def test_max_size_bounds_a_stream_of_unknown_length():
    sink = Sink()
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.seal_stream(Stream(_data(100_001)), sink, max_size=100_000, **SEAL)
    assert ei.value.code == ErrorCode.TOO_LARGE, ei.value
    assert "100000" in ei.value.detail, ei.value.detail
    assert sink.writes == 0
    libenvelope.seal_stream(Stream(_data(100_000)), sink, max_size=100_000, **SEAL)
    assert _opened_bytes(sink.buf) == _data(100_000)


def _tampered(n=300_000, where=-20):
    env = bytearray(libenvelope.seal(_data(n), **SEAL))
    env[where] ^= 1
    return bytes(env)


def _truncated():
    """Cut after two whole chunks: nothing marks the end."""
    env = libenvelope.seal(_data(300_000), **SEAL)
    info = libenvelope.inspect(env)
    return env[:info.header_size + 2 * (info.chunk_size + 16)]


@pytest.mark.parametrize("how", ["objects", "descriptors"])
@pytest.mark.parametrize("bad,code", [
    (lambda: _tampered(), ErrorCode.TAMPERED),
    (lambda: _truncated(), ErrorCode.TRUNCATED),
    (lambda: libenvelope.seal(_data(300_000), sign_key=key_path("other-signer.pem"),
                              recipients=key_path("alice.pub")), ErrorCode.UNTRUSTED_SIGNER),
], ids=["tampered", "truncated", "untrusted"])
def test_nothing_unverified_reaches_dst(bad, code, how, tmp_path):
    envelope = bad()
    if how == "objects":
        src, dst = io.BytesIO(envelope), Sink()
    else:
        (tmp_path / "e").write_bytes(envelope)
        src, dst = open(tmp_path / "e", "rb"), open(tmp_path / "out", "wb")
    with src, dst:
        with pytest.raises(libenvelope.VerificationError) as ei:
            libenvelope.open_stream(src, dst, **OPEN)
    assert ei.value.code == code, ei.value
    if how == "objects":
        assert dst.writes == 0 and dst.buf == b""
    else:
        assert (tmp_path / "out").read_bytes() == b""


def test_paths_are_for_the_file_calls(tmp_path):
    with pytest.raises(TypeError, match="for paths use seal_file"):
        libenvelope.seal_stream(str(tmp_path / "a"), io.BytesIO(), **SEAL)
    with pytest.raises(TypeError, match="for paths use open_file"):
        libenvelope.open_stream(io.BytesIO(), tmp_path / "b", **OPEN)
    with pytest.raises(TypeError, match="binary"):
        libenvelope.seal_stream(io.StringIO("text"), io.BytesIO(), **SEAL)
    assert os.listdir(tmp_path) == []


def test_bounded_memory(tmp_path):
    """96 MiB sealed from a stream of unknown length and from a known one,
    and opened to a hashing sink, in a fresh process: its peak memory grows
    by far less than the message."""
    script = textwrap.dedent(f"""
        import hashlib, io, resource, sys
        import libenvelope
        SIZE = 96 << 20
        class Gen(io.RawIOBase):
            def __init__(self, seekable):
                self.pos, self._seekable = 0, seekable
            def readable(self): return True
            def seekable(self): return self._seekable
            def tell(self): return self.pos
            def seek(self, off, whence=0):
                self.pos = {{0: off, 1: self.pos + off, 2: SIZE + off}}[whence]
                return self.pos
            def readinto(self, b):
                n = min(len(b), SIZE - self.pos)
                b[:n] = bytes([self.pos // 65536 % 251]) * n
                self.pos += n
                return n
        class Hash(io.RawIOBase):
            def __init__(self): self.h = hashlib.sha512()
            def writable(self): return True
            def write(self, b): self.h.update(b); return len(b)
        keys = {str(KEYS) + "/"!r}
        def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        start = peak()
        for seekable in (False, True):
            with open({str(tmp_path / "big.env")!r}, "wb") as dst:
                libenvelope.seal_stream(Gen(seekable), dst, sign_key=keys + "signer.pem",
                                        recipients=keys + "alice.pub")
            sink = Hash()
            with open({str(tmp_path / "big.env")!r}, "rb") as src:
                opened = libenvelope.open_stream(src, sink, decrypt_key=keys + "alice.pem",
                                                 verify_keys=keys + "signer.pub")
            assert opened.size == SIZE and opened.sha512 == sink.h.hexdigest()
        print(start, peak())
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=600, env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert r.returncode == 0, r.stderr[-2000:]
    start, end = map(int, r.stdout.split())
    assert end - start < 32, f"peak memory grew from {start} MiB to {end} MiB"
