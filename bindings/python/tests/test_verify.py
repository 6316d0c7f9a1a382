"""libenvelope.verify: the CLI's `verify DIR`, offline, public keys only."""

import os
import subprocess

import pytest

import libenvelope
from libenvelope import ErrorCode

from conftest import key_path

MESSAGE = b'{"hello": "verify"}\n' * 100


@pytest.fixture
def extracted(keys, tmp_path):
    sealed = libenvelope.seal(MESSAGE, sign_key=keys.signer,
                              recipients=[keys.alice_pub, keys.bob_pub], name="message.json")
    src = tmp_path / "m.env"
    src.write_bytes(sealed)
    opened = libenvelope.open_extract(src, tmp_path / "dir", decrypt_key=keys.alice,
                                      verify_keys=keys.signer_pub)
    return tmp_path / "dir", opened


def _cli_verify(cli, directory, *extra):
    r = subprocess.run([cli, "verify", "--verify-key", key_path("signer.pub"), *extra,
                        str(directory)], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stderr


def test_verify_gives_what_open_gave(extracted, keys):
    directory, opened = extracted
    verified = libenvelope.verify(directory, [key_path("other-signer.pem"), keys.signer_pub])
    assert verified == opened, (verified, opened)
    assert verified.path == str(directory / "message.json") and verified.message is None
    assert libenvelope.verify(directory, key_path("signer.pub"),
                              recipient=[key_path("alice.pub"), keys.bob]) == opened


def test_a_directory_the_cli_extracted(cli, keys, tmp_path):
    env = tmp_path / "m.env"
    libenvelope.seal_file(__file__, env, sign_key=key_path("signer.pem"),
                          recipients=key_path("bob.pub"))
    r = subprocess.run([cli, "open", "--decrypt-key", key_path("bob.pem"), "--verify-key",
                        key_path("signer.pub"), "--extract", str(tmp_path / "d"), str(env)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    verified = libenvelope.verify(tmp_path / "d", key_path("signer.pub"))
    assert verified.name == os.path.basename(__file__)
    assert verified.size == os.path.getsize(__file__)


def _fails(exc, code, directory, verify_keys, detail, **kw):
    with pytest.raises(exc) as ei:
        libenvelope.verify(directory, verify_keys, **kw)
    assert ei.value.code == code, ei.value
    assert detail in ei.value.detail, ei.value.detail
    return ei.value


def test_rejections_agree_with_the_cli(extracted, keys, cli, tmp_path):
    directory, _ = extracted
    msg = directory / "message.json"
    cases = []

    def case(code, detail, change, undo, **kw):
        change()
        try:
            _fails(libenvelope.VerificationError, code, directory, keys.signer_pub, detail, **kw)
            extra = [] if "recipient" not in kw else ["--recipient", key_path("carol.pub")]
            status, stderr = _cli_verify(cli, directory, *extra)
            cases.append((code.name, status))
            assert status == 1, (code, status, stderr)
        finally:
            undo()
        assert libenvelope.verify(directory, keys.signer_pub).size == len(MESSAGE)

    data = msg.read_bytes()
    case(ErrorCode.MESSAGE_MISMATCH, "message.json",
         lambda: msg.write_bytes(data[:-1] + b"!"), lambda: msg.write_bytes(data))
    case(ErrorCode.MESSAGE_MISMATCH, "message.json",
         lambda: msg.write_bytes(data + b"\n"), lambda: msg.write_bytes(data))
    case(ErrorCode.MESSAGE_MISMATCH, "message.json: missing",
         lambda: msg.rename(tmp_path / "aside"), lambda: (tmp_path / "aside").rename(msg))
    case(ErrorCode.MESSAGE_MISMATCH, "a symbolic link",
         lambda: (msg.rename(tmp_path / "aside"), msg.symlink_to(tmp_path / "aside")),
         lambda: (msg.unlink(), (tmp_path / "aside").rename(msg)))
    case(ErrorCode.BAD_MANIFEST, "holds 'extra.txt', which the manifest does not name",
         lambda: (directory / "extra.txt").write_text("x"),
         lambda: (directory / "extra.txt").unlink())
    sig = directory / "manifest.sig"
    sig_data = sig.read_bytes()
    case(ErrorCode.BAD_MANIFEST, "manifest.sig: missing",
         lambda: sig.unlink(), lambda: sig.write_bytes(sig_data))
    case(ErrorCode.UNTRUSTED_SIGNER, "",
         lambda: sig.write_bytes(sig_data[:-2] + bytes([sig_data[-2] ^ 1]) + sig_data[-1:]),
         lambda: sig.write_bytes(sig_data))
    man = directory / "manifest.json"
    man_data = man.read_bytes()
    case(ErrorCode.UNTRUSTED_SIGNER, "",
         lambda: man.write_bytes(man_data.replace(b"message.json", b"massage.json")),
         lambda: man.write_bytes(man_data))
    case(ErrorCode.BAD_MANIFEST, "larger than 4096 bytes",
         lambda: man.write_bytes(man_data + b" " * 5000), lambda: man.write_bytes(man_data))
    case(ErrorCode.NOT_RECIPIENT, "is not among the manifest's recipients",
         lambda: None, lambda: None, recipient=key_path("carol.pub"))
    assert len(cases) == 10


def test_an_untrusted_signer(extracted, keys):
    directory, _ = extracted
    _fails(libenvelope.VerificationError, ErrorCode.UNTRUSTED_SIGNER, directory,
           key_path("other-signer.pem"), "")


def test_wrong_keys_and_places(extracted, keys, tmp_path):
    directory, _ = extracted
    with pytest.raises(libenvelope.KeyUsageError) as ei:
        libenvelope.verify(directory, key_path("alice.pub"))
    assert ei.value.code == ErrorCode.KEY_TYPE
    with pytest.raises(libenvelope.KeyUsageError) as ei:
        libenvelope.verify(directory, keys.signer_pub, recipient=keys.signer_pub)
    assert ei.value.code == ErrorCode.KEY_TYPE
    with pytest.raises(FileNotFoundError):
        libenvelope.verify(tmp_path / "nowhere", keys.signer_pub)
    with pytest.raises(NotADirectoryError):
        libenvelope.verify(directory / "message.json", keys.signer_pub)
    with pytest.raises(FileNotFoundError) as ei:
        libenvelope.verify(directory, tmp_path / "no.pub")
    assert ei.value.filename == str(tmp_path / "no.pub")
    empty = tmp_path / "empty"
    empty.mkdir()
    _fails(libenvelope.VerificationError, ErrorCode.BAD_MANIFEST, empty, keys.signer_pub,
           "manifest.json: missing")


def test_a_compat_directory(keys, tmp_path):
    compat = tmp_path / "compat"
    compat.mkdir()
    (compat / "message.json").write_text("{}")
    (compat / "message.sig").write_bytes(b"sig")
    _fails(libenvelope.FormatError, ErrorCode.COMPAT_REFUSED, compat, keys.signer_pub,
           "check message.sig with 'openssl dgst")
