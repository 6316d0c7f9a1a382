"""Every exception family with a real failing input, and bad arguments
refused in Python before anything reaches C."""

import errno
import io
import os
import struct

import pytest

import libenvelope
from libenvelope import ErrorCode

import forge
from conftest import KEYS, key_path


@pytest.fixture(scope="module")
def sealed(keys):
    return libenvelope.seal(b"m" * 200000, sign_key=keys.signer, recipients=[keys.alice_pub])


def _open(keys, data, **kw):
    kw.setdefault("decrypt_key", keys.alice)
    kw.setdefault("verify_keys", [keys.signer_pub])
    return libenvelope.open(data, **kw)


def _fails(exc, code, fn, *args, **kw):
    with pytest.raises(exc) as ei:
        fn(*args, **kw)
    err = ei.value
    assert type(err) is exc
    assert err.code == code and err.name == code.name
    assert isinstance(err.code, int) and isinstance(err.detail, str)
    assert code.name in str(err)
    return err


# ------------------------------------------------------ VerificationError


def test_tampered_byte(keys, sealed):
    info = libenvelope.inspect(sealed)
    bad = bytearray(sealed)
    bad[info.header_size + 100] ^= 0x01
    err = _fails(libenvelope.VerificationError, ErrorCode.TAMPERED, _open, keys, bytes(bad))
    assert "chunk 0" in err.detail


def test_tampered_header_breaks_every_chunk(keys, sealed):
    bad = bytearray(sealed)
    bad[20] ^= 0x80  # inside the salt
    _fails(libenvelope.VerificationError, ErrorCode.TAMPERED, _open, keys, bytes(bad))


def test_wrong_key_is_not_recipient(keys, sealed):
    _fails(libenvelope.VerificationError, ErrorCode.NOT_RECIPIENT, _open, keys, sealed,
           decrypt_key=keys.bob)


CHUNK = 65536 + 16  # one encrypted chunk: ciphertext and tag


def test_truncated(keys, sealed):
    header_size = libenvelope.inspect(sealed).header_size
    assert len(sealed) > header_size + 3 * CHUNK
    # Dropping the last chunks leaves a last piece that is not flagged final.
    _fails(libenvelope.VerificationError, ErrorCode.TRUNCATED, _open, keys,
           sealed[:header_size + 2 * CHUNK])
    _fails(libenvelope.VerificationError, ErrorCode.TRUNCATED, _open, keys, sealed[:header_size])
    _fails(libenvelope.VerificationError, ErrorCode.TRUNCATED, _open, keys,
           sealed[:header_size - 1])


def test_trailing_data(keys):
    # 61952 bytes make an inner archive of exactly one chunk (FORMAT.md,
    # "Inner archive"), so the final chunk is whole and what follows it is
    # recognisably trailing. After a shorter final chunk, extra bytes
    # change that chunk itself: TAMPERED.
    sealed = libenvelope.seal(b"t" * 61952, sign_key=keys.signer, recipients=keys.alice_pub)
    assert libenvelope.inspect(sealed).payload_size == CHUNK
    _fails(libenvelope.VerificationError, ErrorCode.TRAILING_DATA, _open, keys, sealed + b"\0")
    _fails(libenvelope.VerificationError, ErrorCode.TRAILING_DATA, _open, keys,
           sealed + sealed[-CHUNK:])


def test_extra_bytes_after_a_short_final_chunk(keys, sealed):
    _fails(libenvelope.VerificationError, ErrorCode.TAMPERED, _open, keys, sealed + b"\0")


def test_untrusted_signer(keys, sealed):
    other_pub = keys.other_signer.public_key()
    _fails(libenvelope.VerificationError, ErrorCode.UNTRUSTED_SIGNER, _open, keys, sealed,
           verify_keys=[other_pub])


def test_forwarded(keys, sealed):
    """Alice decrypts and re-encrypts the signed archive to Bob: the
    signature still verifies, but it was made for Alice's header."""
    archive = forge.decrypt(sealed, (KEYS / "alice.pem").read_bytes())
    forwarded = forge.encrypt(archive, (KEYS / "bob.pub").read_bytes())
    _fails(libenvelope.VerificationError, ErrorCode.FORWARDED, _open, keys, forwarded,
           decrypt_key=keys.bob)


def test_bad_archive(keys):
    junk = forge.encrypt(b"not a tar archive" * 100, (KEYS / "alice.pub").read_bytes())
    _fails(libenvelope.VerificationError, ErrorCode.BAD_ARCHIVE, _open, keys, junk)


# ------------------------------------------------------------ FormatError


def test_garbage_is_not_an_envelope(keys):
    _fails(libenvelope.FormatError, ErrorCode.NOT_ENVELOPE, _open, keys, b"garbage" * 100)
    _fails(libenvelope.FormatError, ErrorCode.NOT_ENVELOPE, _open, keys, b"")
    _fails(libenvelope.FormatError, ErrorCode.NOT_ENVELOPE, libenvelope.inspect, b"garbage" * 100)


def test_unknown_version(keys, sealed):
    bad = bytearray(sealed)
    bad[8] = 2
    _fails(libenvelope.FormatError, ErrorCode.UNKNOWN_VERSION, _open, keys, bytes(bad))
    _fails(libenvelope.FormatError, ErrorCode.UNKNOWN_VERSION, libenvelope.inspect, bytes(bad))


def test_bad_header(keys, sealed):
    bad = bytearray(sealed)
    bad[12:16] = struct.pack(">I", 100)  # header_len below the minimum
    _fails(libenvelope.FormatError, ErrorCode.BAD_HEADER, _open, keys, bytes(bad))


# ----------------------------------------------------------- key errors


def test_missing_key_file(tmp_path):
    """A KeyLoadError that is also a FileNotFoundError naming the path."""
    missing = tmp_path / "no-such-key.pem"
    err = _fails(libenvelope.KeyFileNotFoundError, ErrorCode.KEY_LOAD, libenvelope.Key.load,
                 missing)
    assert isinstance(err, libenvelope.KeyLoadError) and isinstance(err, FileNotFoundError)
    assert err.filename == str(missing) and type(err.filename) is str
    assert err.errno == errno.ENOENT and "no-such-key.pem" in err.detail
    err = _fails(libenvelope.KeyFileNotFoundError, ErrorCode.KEY_LOAD, libenvelope.Key.load,
                 f"file:{missing}")
    assert err.filename == str(missing)


def test_public_key_as_decrypt_key(keys, sealed):
    err = _fails(libenvelope.KeyUsageError, ErrorCode.KEY_NOT_PRIVATE, _open, keys, sealed,
                 decrypt_key=keys.alice_pub)
    assert "decrypt_key" in err.detail


def test_public_key_as_sign_key(keys):
    _fails(libenvelope.KeyUsageError, ErrorCode.KEY_NOT_PRIVATE, libenvelope.seal, b"x",
           sign_key=keys.signer_pub, recipients=keys.alice_pub)


def test_signing_key_as_recipient(keys):
    err = _fails(libenvelope.KeyUsageError, ErrorCode.KEY_TYPE, libenvelope.seal, b"x",
                 sign_key=keys.signer, recipients=[keys.alice_pub, keys.signer_pub])
    assert "recipient 2" in err.detail


def test_encryption_key_as_signer_or_verifier(keys, sealed):
    _fails(libenvelope.KeyUsageError, ErrorCode.KEY_TYPE, libenvelope.seal, b"x",
           sign_key=keys.alice, recipients=keys.alice_pub)
    _fails(libenvelope.KeyUsageError, ErrorCode.KEY_TYPE, _open, keys, sealed,
           verify_keys=[keys.alice_pub])
    _fails(libenvelope.KeyUsageError, ErrorCode.KEY_TYPE, _open, keys, sealed,
           decrypt_key=keys.signer)


def test_kms_error(monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises((libenvelope.KMSError, libenvelope.KeyLoadError)) as ei:
        libenvelope.Key.load("awskms://127.0.0.1:9/alias/none").fingerprint
    assert isinstance(ei.value, libenvelope.EnvelopeError)
    assert type(ei.value) is libenvelope.exception_class(ei.value.code, kms=True)


# ------------------------------------------------------- EnvelopeIOError


def test_existing_output(keys, tmp_path, sealed):
    src = tmp_path / "in.env"
    src.write_bytes(sealed)
    dst = tmp_path / "out"
    dst.write_bytes(b"keep me")
    err = _fails(libenvelope.EnvelopeIOError, ErrorCode.OUTPUT_EXISTS, libenvelope.open_file,
                 src, dst, decrypt_key=keys.alice, verify_keys=keys.signer)
    assert isinstance(err, OSError) and err.errno == 17
    assert dst.read_bytes() == b"keep me"
    _fails(libenvelope.EnvelopeIOError, ErrorCode.OUTPUT_EXISTS, libenvelope.seal_file,
           src, dst, sign_key=keys.signer, recipients=keys.alice_pub)
    assert dst.read_bytes() == b"keep me"
    (tmp_path / "dir").mkdir()
    _fails(libenvelope.EnvelopeIOError, ErrorCode.OUTPUT_EXISTS, libenvelope.open_extract,
           src, tmp_path / "dir", decrypt_key=keys.alice, verify_keys=keys.signer)


def test_output_in_missing_directory(keys, tmp_path, sealed):
    err = _fails(libenvelope.EnvelopeIOError, ErrorCode.IO, libenvelope.open_file,
                 io.BytesIO(sealed), tmp_path / "nodir" / "out",
                 decrypt_key=keys.alice, verify_keys=keys.signer)
    assert isinstance(err, OSError)


# ---------------------------------------------------------- ArgumentError


def test_bad_names(keys):
    for name in ("a/b", ".hidden", "manifest.json", "x" * 256, ""):
        _fails(libenvelope.ArgumentError, ErrorCode.BAD_NAME, libenvelope.seal, b"x",
               sign_key=keys.signer, recipients=keys.alice_pub, name=name)
    # A NUL would cut the name in C: refused in Python.
    _fails(libenvelope.ArgumentError, ErrorCode.BAD_NAME, libenvelope.seal, b"x",
           sign_key=keys.signer, recipients=keys.alice_pub, name="ok\0evil")
    assert issubclass(libenvelope.ArgumentError, ValueError)


def test_bad_name_names_its_rule(keys):
    # The detail names the one rule the name breaks, not the whole list.
    cases = {
        ".env.secret": "a message name must not start with '.'",
        "manifest.json": "a message name must not start with 'manifest.' (reserved",
        "a/b": "a message name must not contain '/' or NUL",
        "a\x1b[2Jb": "a message name must not contain control characters",
        "x" * 256: "a message name must be 1 to 255 bytes",
        "": "a message name must be 1 to 255 bytes",
    }
    for name, rule in cases.items():
        err = _fails(libenvelope.ArgumentError, ErrorCode.BAD_NAME, libenvelope.seal, b"x",
                     sign_key=keys.signer, recipients=keys.alice_pub, name=name)
        assert rule in err.detail, (name, err.detail)
        assert "leading" not in err.detail and "UTF-8, 1 to 255" not in err.detail, err.detail


def test_recipient_count(keys):
    _fails(libenvelope.ArgumentError, ErrorCode.TOO_MANY_RECIPIENTS, libenvelope.seal, b"x",
           sign_key=keys.signer, recipients=[])
    _fails(libenvelope.ArgumentError, ErrorCode.TOO_MANY_RECIPIENTS, libenvelope.seal, b"x",
           sign_key=keys.signer, recipients=[keys.alice_pub] * 17)
    _fails(libenvelope.ArgumentError, ErrorCode.INVALID_ARGUMENT, libenvelope.open, b"x",
           decrypt_key=keys.alice, verify_keys=[])


# ------------------------------------------------- plain Python argument errors


def test_wrong_types(keys, sealed):
    with pytest.raises(TypeError):
        libenvelope.seal("text", sign_key=keys.signer, recipients=keys.alice_pub)
    with pytest.raises(TypeError):
        libenvelope.seal(12, sign_key=keys.signer, recipients=keys.alice_pub)
    with pytest.raises(TypeError, match="not bytes"):  # a path as bytes, or key data?
        libenvelope.seal(b"x", sign_key=os.fsencode(key_path("signer.pem")),
                         recipients=keys.alice_pub)
    with pytest.raises(TypeError, match="recipients 2 must be a libenvelope.Key, a path"):
        libenvelope.seal(b"x", sign_key=keys.signer, recipients=[keys.alice_pub, 12])
    with pytest.raises(TypeError, match="session must be a libenvelope.Session"):
        libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub, session=1)
    with pytest.raises(TypeError):
        libenvelope.seal(b"x", sign_key=keys.signer, recipients=[None])
    with pytest.raises(TypeError):
        libenvelope.seal(b"x", sign_key=keys.signer, recipients=keys.alice_pub, name=b"n")
    with pytest.raises(TypeError):
        libenvelope.open(sealed, decrypt_key=None, verify_keys=keys.signer)
    with pytest.raises(TypeError):
        libenvelope.seal_file(b"/etc/hostname", io.BytesIO(), sign_key=keys.signer,
                           recipients=keys.alice_pub)
    with pytest.raises(TypeError):
        libenvelope.inspect(12)


def test_closed_and_wrong_files(keys, tmp_path):
    closed = io.BytesIO(b"abc")
    closed.close()
    kw = dict(sign_key=keys.signer, recipients=keys.alice_pub)
    with pytest.raises(ValueError, match="closed"):
        libenvelope.seal_file(closed, io.BytesIO(), **kw)
    with pytest.raises(ValueError, match="closed"):
        libenvelope.seal_file(io.BytesIO(b"abc"), closed, **kw)
    with pytest.raises(TypeError, match="binary"):
        libenvelope.seal_file(io.StringIO("abc"), io.BytesIO(), **kw)
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    with open(path, "rb") as f, pytest.raises(io.UnsupportedOperation):
        libenvelope.seal_file(io.BytesIO(b"abc"), f, **kw)
    with open(path, "ab") as f, pytest.raises(io.UnsupportedOperation):
        libenvelope.seal_file(f, io.BytesIO(), **kw)
    with pytest.raises(FileNotFoundError):
        libenvelope.seal_file(tmp_path / "missing", io.BytesIO(), **kw)


def test_callback_exceptions_are_reraised(keys, sealed):
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise ConnectionResetError("source went away")

    with pytest.raises(ConnectionResetError, match="went away"):
        libenvelope.open_file(Broken(), io.BytesIO(), decrypt_key=keys.alice,
                           verify_keys=keys.signer)

    class Full(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space") as ei:
        libenvelope.open_file(io.BytesIO(sealed), Full(), decrypt_key=keys.alice,
                           verify_keys=keys.signer)
    assert not isinstance(ei.value, libenvelope.EnvelopeError)


def test_exceptions_pickle():
    import pickle

    err = libenvelope.VerificationError(ErrorCode.TAMPERED, "chunk 3 fails authentication")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is libenvelope.VerificationError
    assert (back.code, back.name, back.detail) == (16, "TAMPERED", err.detail)


def test_misbehaving_file_objects(keys, sealed):
    class Liar(io.RawIOBase):
        def __init__(self, result):
            self.result = result

        def readable(self):
            return True

        def read(self, n=-1):
            return self.result(n)

    kw = dict(decrypt_key=keys.alice, verify_keys=keys.signer)
    with pytest.raises(ValueError, match="returned"):
        libenvelope.open_file(Liar(lambda n: b"\0" * (n + 1)), io.BytesIO(), **kw)
    with pytest.raises(TypeError, match="str"):
        libenvelope.open_file(Liar(lambda n: "text"), io.BytesIO(), **kw)
    with pytest.raises(BlockingIOError):
        libenvelope.open_file(Liar(lambda n: None), io.BytesIO(), **kw)

    class Stuck(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            return None

    with pytest.raises(BlockingIOError):
        libenvelope.open_file(io.BytesIO(sealed), Stuck(), **kw)


def test_damage_sweep_never_crashes(keys, sealed):
    """Truncations and bit flips all over a real envelope: each is refused
    with an EnvelopeError of the documented family, never anything else."""
    header_size = libenvelope.inspect(sealed).header_size
    cases = [sealed[:n] for n in range(0, len(sealed), 4099)]
    cases += [sealed[:header_size + k * CHUNK] for k in range(3)] + [sealed[:header_size // 2]]
    for pos in list(range(0, header_size, 7)) + list(range(header_size, len(sealed), 5003)):
        bad = bytearray(sealed)
        bad[pos] ^= 1 << (pos % 8)
        cases.append(bytes(bad))
    seen = set()
    for case in cases:
        with pytest.raises((libenvelope.VerificationError, libenvelope.FormatError)) as ei:
            _open(keys, case)
        assert type(ei.value) is libenvelope.exception_class(ei.value.code)
        seen.add(ei.value.name)
    assert {"TRUNCATED", "TAMPERED", "NOT_ENVELOPE"} <= seen
