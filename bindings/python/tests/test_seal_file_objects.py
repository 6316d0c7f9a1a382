"""seal_file from a file object with no descriptor (io.BytesIO, a generator
wrapped in a reader) to a path: the message is never written to disk, the
envelope appears whole under its name or not at all, and an existing file
is kept unless force."""

import io
import os
import tempfile

import pytest

import libenvelope
from libenvelope import ErrorCode


@pytest.fixture
def no_plaintext_spool(monkeypatch):
    """Any temporary file made while sealing would hold the message."""
    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file was made for the message")
    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)


class Unsized(io.RawIOBase):
    """A reader whose length cannot be known in advance; fails after
    fail_after bytes when set."""

    def __init__(self, data, fail_after=None):
        self.data, self.pos, self.fail_after = data, 0, fail_after

    def readable(self):
        return True

    def readinto(self, b):
        if self.fail_after is not None and self.pos >= self.fail_after:
            raise OSError("the source broke")
        n = min(len(b), len(self.data) - self.pos, 4096)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


def _seal(keys, src, dst, **kw):
    libenvelope.seal_file(src, dst, sign_key=keys.signer, recipients=[keys.alice_pub],
                          name="m.bin", **kw)


def _opens_to(keys, path, data):
    with open(path, "rb") as f:
        got = libenvelope.open(f.read(), decrypt_key=keys.alice, verify_keys=[keys.signer_pub])
    assert got.message == data


@pytest.mark.parametrize("make", [io.BytesIO, Unsized], ids=["BytesIO", "unsized"])
def test_seals_to_a_path_without_a_plaintext_file(keys, tmp_path, no_plaintext_spool, make):
    data = os.urandom(300_000)
    dst = tmp_path / "out.env"
    _seal(keys, make(data), dst)
    _opens_to(keys, dst, data)
    assert sorted(os.listdir(tmp_path)) == ["out.env"]


def test_an_existing_file_is_kept(keys, tmp_path, no_plaintext_spool):
    dst = tmp_path / "out.env"
    dst.write_bytes(b"keep me")
    with pytest.raises(libenvelope.EnvelopeIOError) as e:
        _seal(keys, io.BytesIO(b"new"), dst)
    assert e.value.code == ErrorCode.OUTPUT_EXISTS, e.value
    assert dst.read_bytes() == b"keep me"
    assert sorted(os.listdir(tmp_path)) == ["out.env"]
    _seal(keys, io.BytesIO(b"new"), dst, force=True)
    _opens_to(keys, dst, b"new")
    assert sorted(os.listdir(tmp_path)) == ["out.env"]


def test_a_failing_source_leaves_nothing(keys, tmp_path, no_plaintext_spool):
    dst = tmp_path / "out.env"
    with pytest.raises(OSError, match="the source broke"):
        _seal(keys, Unsized(b"x" * 100_000, fail_after=50_000), dst)
    assert os.listdir(tmp_path) == []


def test_a_wrong_declared_size_leaves_nothing(keys, tmp_path, no_plaintext_spool):
    class Liar(io.BytesIO):
        """Says it is seekable and longer than what it gives."""
        def read(self, n=-1):
            return super().read(min(n, 10) if n and n > 0 else 10) if self.tell() < 20 else b""

    dst = tmp_path / "out.env"
    with pytest.raises(libenvelope.EnvelopeError):
        _seal(keys, Liar(b"y" * 1000), dst)
    assert os.listdir(tmp_path) == []
