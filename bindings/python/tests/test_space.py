"""Free space: opening to a file compares the size the inner archive states
with the free space where the message goes, before any of it is read, and
the error names the place and both numbers. The forged archive states 1 EiB,
more than any disk holds, so the outcome does not depend on the machine."""

import io
import os

import pytest

import libenvelope
from libenvelope import ErrorCode

import forge
from conftest import KEYS

EIB = 1 << 60
BLOCK = 512


def _octal(value, size):
    return b"%0*o" % (size - 1, value) + b"\x00"


def _ustar(name, size, typeflag):
    h = bytearray(BLOCK)
    h[0:len(name)] = name
    h[100:108] = _octal(0o600, 8)
    h[108:116] = _octal(0, 8)
    h[116:124] = _octal(0, 8)
    h[124:136] = _octal(min(size, 8 ** 11 - 1), 12)
    h[136:148] = _octal(0, 12)
    h[156:157] = typeflag
    h[257:263] = b"ustar\x00"
    h[263:265] = b"00"
    h[329:337] = _octal(0, 8)
    h[337:345] = _octal(0, 8)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\x00 " % sum(h)
    return bytes(h)


def _pax_size(size):
    body = b" size=%d\n" % size
    n = len(body) + 1
    while len(b"%d" % n) + len(body) != n:
        n += 1
    record = b"%d" % n + body
    return _ustar(b"PaxHeader", len(record), b"x") + record + b"\x00" * (-len(record) % BLOCK)


@pytest.fixture(scope="module")
def states_an_eib():
    """A message entry whose pax header states 1 EiB, then one block."""
    archive = _pax_size(EIB) + _ustar(b"big.bin", EIB, b"0") + bytes(BLOCK)
    return forge.encrypt(archive, (KEYS / "alice.pub").read_bytes())


def _kw(keys, **kw):
    return dict(decrypt_key=keys.alice, verify_keys=[keys.signer_pub], **kw)


def test_stated_size_over_free_space(keys, tmp_path, states_an_eib):
    out = tmp_path / "out"
    with pytest.raises(libenvelope.EnvelopeIOError) as ei:
        libenvelope.open_file(io.BytesIO(states_an_eib), out, **_kw(keys))
    err = ei.value
    assert err.code == ErrorCode.IO, err
    assert ("not enough space: the message states %d bytes; the file system holding %s has "
            % (EIB, out)) in str(err), str(err)
    assert " bytes free" in str(err), str(err)
    assert os.listdir(tmp_path) == []


def test_extract_checks_too(keys, tmp_path, states_an_eib):
    with pytest.raises(libenvelope.EnvelopeIOError) as ei:
        libenvelope.open_extract(io.BytesIO(states_an_eib), tmp_path / "dir", **_kw(keys))
    assert "the file system holding %s has " % (tmp_path / "dir") in str(ei.value), str(ei.value)
    assert os.listdir(tmp_path) == []


def test_max_size_comes_first(keys, tmp_path, states_an_eib):
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open_file(io.BytesIO(states_an_eib), tmp_path / "out",
                           **_kw(keys, max_size=1 << 20))
    assert ei.value.code == ErrorCode.TOO_LARGE, ei.value
    assert "message of %d bytes; the limit is 1048576" % EIB in str(ei.value), str(ei.value)
    assert os.listdir(tmp_path) == []
