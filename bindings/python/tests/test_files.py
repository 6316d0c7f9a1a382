"""Streaming: seal_file, open_file, open_extract and inspect over paths,
real files, pipes and in-memory file objects, with messages larger than a
chunk."""

import hashlib
import io
import os
import stat
import tempfile
import threading

import pytest

import libenvelope
from libenvelope import ErrorCode


def _kw_seal(keys, **kw):
    return dict(sign_key=keys.signer, recipients=[keys.alice_pub], **kw)


def _kw_open(keys, **kw):
    return dict(decrypt_key=keys.alice, verify_keys=[keys.signer_pub], **kw)


def test_paths(keys, tmp_path, message_300k):
    src = tmp_path / "data.bin"
    src.write_bytes(message_300k)
    env = tmp_path / "data.env"
    assert libenvelope.seal_file(src, env, **_kw_seal(keys)) is None
    assert stat.S_IMODE(env.stat().st_mode) == 0o644  # ciphertext, to be handed on
    out = tmp_path / "out.bin"
    opened = libenvelope.open_file(str(env), str(out), **_kw_open(keys))
    assert out.read_bytes() == message_300k
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert opened.name == "data.bin"  # the source's base name by default
    assert opened.path == str(out) and opened.message is None
    assert opened.size == len(message_300k)
    assert opened.sha512 == hashlib.sha512(message_300k).hexdigest()
    # In-memory open of the streamed envelope agrees.
    assert libenvelope.open(env.read_bytes(), **_kw_open(keys)).message == message_300k


def test_force_replaces(keys, tmp_path):
    src = tmp_path / "m"
    src.write_bytes(b"new")
    env, out = tmp_path / "m.env", tmp_path / "m.out"
    env.write_bytes(b"old envelope")
    out.write_bytes(b"old")
    libenvelope.seal_file(src, env, force=True, **_kw_seal(keys))
    libenvelope.open_file(env, out, force=True, **_kw_open(keys))
    assert out.read_bytes() == b"new"


def test_real_file_objects_keep_their_positions(keys, tmp_path, message_300k):
    """File objects are used from their current position, and are left
    where the data ended, however much they had buffered."""
    src = tmp_path / "src"
    src.write_bytes(b"HEAD" + message_300k)
    with open(src, "rb") as f, open(tmp_path / "env", "wb") as g:
        assert f.read(4) == b"HEAD"  # the object has buffered far more than 4 bytes
        g.write(b"prefix")  # still in Python's buffer
        libenvelope.seal_file(f, g, name="m.bin", **_kw_seal(keys))
        assert f.read() == b""
        g.write(b"suffix")
    raw = (tmp_path / "env").read_bytes()
    assert raw.startswith(b"prefix") and raw.endswith(b"suffix")
    sealed = raw[len(b"prefix"):-len(b"suffix")]
    with open(tmp_path / "env2", "wb") as g:
        g.write(sealed + b"")
    with open(tmp_path / "env2", "rb") as f, open(tmp_path / "plain", "w+b") as g:
        g.write(b"0123")
        opened = libenvelope.open_file(f, g, **_kw_open(keys))
        assert g.tell() == 4 + len(message_300k)
        g.seek(0)
        assert g.read() == b"0123" + message_300k
    assert opened.name == "m.bin" and opened.path is None


def test_bytesio_without_fileno(keys, message_300k):
    src = io.BytesIO(b"skip" + message_300k)
    src.seek(4)
    dst = io.BytesIO()
    libenvelope.seal_file(src, dst, **_kw_seal(keys))
    assert src.tell() == 4 + len(message_300k)
    sealed = dst.getvalue()
    out = io.BytesIO()
    opened = libenvelope.open_file(io.BytesIO(sealed), out, **_kw_open(keys))
    assert out.getvalue() == message_300k
    assert opened.name == "message" and opened.size == len(message_300k)


def test_mixed_sources_and_destinations(keys, tmp_path, message_300k):
    src = tmp_path / "src"
    src.write_bytes(message_300k)
    # path -> BytesIO (callbacks), BytesIO -> path (spooled), path -> real file (fds)
    mem = io.BytesIO()
    libenvelope.seal_file(src, mem, **_kw_seal(keys))
    libenvelope.open_file(io.BytesIO(mem.getvalue()), tmp_path / "a", **_kw_open(keys))
    assert (tmp_path / "a").read_bytes() == message_300k
    libenvelope.seal_file(io.BytesIO(message_300k), tmp_path / "e", **_kw_seal(keys))
    with open(tmp_path / "b", "wb") as f:
        libenvelope.open_file(tmp_path / "e", f, **_kw_open(keys))
    assert (tmp_path / "b").read_bytes() == message_300k
    with tempfile.NamedTemporaryFile() as tmp:
        libenvelope.open_file(tmp_path / "e", tmp, **_kw_open(keys))
        tmp.seek(0)
        assert tmp.read() == message_300k


def _feed(data):
    """A pipe whose read end gets data from a thread."""
    r, w = os.pipe()

    def writer():
        with open(w, "wb") as f:
            f.write(data)

    t = threading.Thread(target=writer)
    t.start()
    return r, t


@pytest.mark.parametrize("buffering", [0, -1])
def test_pipes(keys, tmp_path, message_300k, buffering):
    """Non-seekable sources: a raw pipe is used as a descriptor (the library
    spools it); a buffered one, whose read-ahead C cannot see, goes through
    Python."""
    r, t = _feed(message_300k)
    with open(r, "rb", buffering=buffering) as f:
        if buffering:
            assert f.read(1) == message_300k[:1]  # leaves read-ahead behind
        out = io.BytesIO()
        libenvelope.seal_file(f, out, **_kw_seal(keys))
    t.join()
    expected = message_300k[1:] if buffering else message_300k
    assert libenvelope.open(out.getvalue(), **_kw_open(keys)).message == expected
    r, t = _feed(out.getvalue())
    with open(r, "rb", buffering=buffering) as f:
        libenvelope.open_file(f, tmp_path / "out", **_kw_open(keys))
    t.join()
    assert (tmp_path / "out").read_bytes() == expected


def test_open_to_file_object_writes_nothing_unverified(keys, message_300k):
    sealed = libenvelope.seal(message_300k, sign_key=keys.signer, recipients=keys.alice_pub)
    bad = bytearray(sealed)
    bad[-40] ^= 1  # in the last chunk: every earlier chunk authenticates
    for make_dst in (io.BytesIO, lambda: tempfile.TemporaryFile()):
        dst = make_dst()
        with pytest.raises(libenvelope.VerificationError) as ei:
            libenvelope.open_file(io.BytesIO(bytes(bad)), dst, **_kw_open(keys))
        assert ei.value.code == ErrorCode.TAMPERED
        dst.seek(0, os.SEEK_END)
        assert dst.tell() == 0
        dst.close()


def test_failed_open_leaves_no_file(keys, tmp_path, message_300k):
    sealed = libenvelope.seal(message_300k, sign_key=keys.signer, recipients=keys.alice_pub)
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open_file(io.BytesIO(sealed), tmp_path / "out", decrypt_key=keys.alice,
                           verify_keys=keys.other_signer)
    assert ei.value.code == ErrorCode.UNTRUSTED_SIGNER
    assert os.listdir(tmp_path) == []
    with pytest.raises(libenvelope.VerificationError):
        libenvelope.open_extract(io.BytesIO(sealed), tmp_path / "dir", decrypt_key=keys.alice,
                              verify_keys=keys.other_signer)
    assert os.listdir(tmp_path) == []


def test_open_extract(keys, tmp_path, message_300k):
    libenvelope.seal_file(io.BytesIO(message_300k), tmp_path / "e", name="report.csv",
                       **_kw_seal(keys))
    opened = libenvelope.open_extract(tmp_path / "e", tmp_path / "out", **_kw_open(keys))
    assert opened.path == str(tmp_path / "out" / "report.csv")
    assert sorted(os.listdir(tmp_path / "out")) == ["manifest.json", "manifest.sig",
                                                    "report.csv"]
    assert (tmp_path / "out" / "report.csv").read_bytes() == message_300k
    manifest = (tmp_path / "out" / "manifest.json").read_bytes()
    assert manifest.startswith(b'{"format":"libenvelope/1",')
    assert hashlib.sha512(message_300k).hexdigest().encode() in manifest


def test_inspect_sources(keys, tmp_path, message_300k):
    sealed = libenvelope.seal(message_300k, sign_key=keys.signer,
                           recipients=[keys.alice_pub, keys.bob_pub])
    path = tmp_path / "e"
    path.write_bytes(sealed)
    expected = libenvelope.inspect(sealed)
    assert expected.header_size + expected.payload_size == len(sealed)
    assert libenvelope.inspect(path) == expected
    assert libenvelope.inspect(str(path)) == expected
    with open(path, "rb") as f:
        f.read(10)
        f.seek(0)
        assert libenvelope.inspect(f) == expected
        assert f.tell() == 0 and f.read(8) == b"\x89ENV\r\n\x1a\n"
    mem = io.BytesIO(b"xx" + sealed)
    mem.seek(2)
    assert libenvelope.inspect(mem) == expected
    assert mem.tell() == 2
    with pytest.raises(libenvelope.FormatError) as ei:
        libenvelope.inspect(io.BytesIO(b"\x89ENV\r\n\x1a\n\x01\x01\x00\x00\xff\xff\xff\xff"))
    assert ei.value.code == ErrorCode.BAD_HEADER


def test_seal_file_name_from_path_must_be_valid(keys, tmp_path):
    src = tmp_path / ".hidden"
    src.write_bytes(b"x")
    with pytest.raises(libenvelope.ArgumentError) as ei:
        libenvelope.seal_file(src, io.BytesIO(), **_kw_seal(keys))
    assert ei.value.code == ErrorCode.BAD_NAME and "name" in ei.value.detail
    out = io.BytesIO()
    libenvelope.seal_file(src, out, name="visible", **_kw_seal(keys))
    assert libenvelope.open(out.getvalue(), **_kw_open(keys)).name == "visible"
