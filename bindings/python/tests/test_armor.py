"""ASCII armor (docs/FORMAT.md, "ASCII armor"): seal(armor=True) and
seal_file(armor=True) write it; open, open_file and inspect read it, also
after a channel changed its line ends; a damaged armor is a FormatError
NOT_ENVELOPE naming the line. Compat envelopes are never armored."""

import io

import pytest

import libenvelope
from libenvelope import ErrorCode

BEGIN = b"-----BEGIN LIBENVELOPE ENVELOPE-----"
END = b"-----END LIBENVELOPE ENVELOPE-----"


def _seal(keys, data=b"armored in python\n", **kw):
    return libenvelope.seal(data, sign_key=keys.signer, recipients=[keys.alice_pub],
                         name="note.txt", **kw)


def _open(keys, data):
    return libenvelope.open(data, decrypt_key=keys.alice, verify_keys=[keys.signer_pub])


def test_seal_armor_writes_the_layout(keys):
    text = _seal(keys, armor=True)
    lines = text.split(b"\n")
    assert lines[0] == BEGIN and lines[-2] == END and lines[-1] == b"", lines[:1] + lines[-2:]
    body = lines[1:-2]
    assert all(len(line) == 64 for line in body[:-1]), [len(line) for line in body]
    assert 0 < len(body[-1]) <= 64
    assert _open(keys, text).message == b"armored in python\n"


def test_armor_opens_after_crlf_and_a_trailing_newline(keys, message_300k):
    text = _seal(keys, message_300k, armor=True)
    sent = text.replace(b"\n", b"\r\n") + b"\r\n"
    assert _open(keys, sent).message == message_300k


def test_seal_file_armor_and_open_file(keys, tmp_path):
    src = tmp_path / "note.txt"
    src.write_bytes(b"to a file\n")
    dst = tmp_path / "note.asc"
    libenvelope.seal_file(src, dst, sign_key=keys.signer, recipients=[keys.alice_pub], armor=True)
    assert dst.read_bytes().startswith(BEGIN + b"\n")
    out = tmp_path / "opened.txt"
    got = libenvelope.open_file(dst, out, decrypt_key=keys.alice, verify_keys=[keys.signer_pub])
    assert out.read_bytes() == b"to a file\n" and got.name == "note.txt"
    stream = io.BytesIO()
    libenvelope.seal_file(io.BytesIO(b"to a stream\n"), stream, sign_key=keys.signer,
                       recipients=[keys.alice_pub], armor=True)
    assert _open(keys, stream.getvalue()).message == b"to a stream\n"


def test_inspect_reads_armor(keys, tmp_path):
    text = _seal(keys, armor=True)
    plain = _seal(keys)
    info = libenvelope.inspect(text)
    assert info.version == 1 and info.payload_size == 0  # armored: unknown
    assert info.header_size == libenvelope.inspect(plain).header_size
    assert [s.bits for s in info.recipients] == [2048]
    path = tmp_path / "m.asc"
    path.write_bytes(text)
    assert libenvelope.inspect(str(path)).header_size == info.header_size


@pytest.mark.parametrize("damage, detail", [
    (lambda t: t + t, "a second armor block"),
    (lambda t: t + b"thanks!\n", "text after the END line"),
    (lambda t: t.replace(END + b"\n", b""), "ends before the END line"),
    (lambda t: b"Hi,\n" + t, "text before the armor's BEGIN line"),
], ids=["second-block", "text-after", "no-end", "text-before"])
def test_a_damaged_armor_is_not_an_envelope(keys, damage, detail):
    text = _seal(keys, armor=True)
    with pytest.raises(libenvelope.FormatError) as e:
        _open(keys, damage(text))
    assert e.value.code == ErrorCode.NOT_ENVELOPE
    assert detail in e.value.detail, e.value.detail

