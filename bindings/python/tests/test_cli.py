"""Interoperability with the envelope command-line tool, both ways."""

import io
import subprocess

import libenvelope

from conftest import key_path


def _run(cli, *args, stdin=None):
    return subprocess.run([cli, *args], input=stdin, capture_output=True, timeout=120)


def test_python_seals_cli_opens(cli, keys, tmp_path, message_300k):
    src = tmp_path / "data.bin"
    src.write_bytes(message_300k)
    libenvelope.seal_file(src, tmp_path / "data.env", sign_key=keys.signer,
                       recipients=[keys.alice_pub, keys.carol_pub])
    r = _run(cli, "open", "--decrypt-key", key_path("alice.pem"),
             "--verify-key", key_path("signer.pub"), "-o", str(tmp_path / "out"),
             str(tmp_path / "data.env"))
    assert r.returncode == 0, r.stderr.decode()
    assert (tmp_path / "out").read_bytes() == message_300k
    # In memory, to stdout, with a hidden recipient list.
    sealed = libenvelope.seal(b"small message", sign_key=keys.signer, recipients=keys.bob_pub,
                           hide_recipients=True)
    r = _run(cli, "open", "--decrypt-key", key_path("bob.pem"),
             "--verify-key", key_path("signer.pub"), "-", stdin=sealed)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == b"small message"


def test_cli_seals_python_opens(cli, keys, tmp_path, message_300k):
    src = tmp_path / "from-cli.bin"
    src.write_bytes(message_300k)
    r = _run(cli, "seal", "--sign-key", key_path("signer.pem"), "--to", key_path("bob.pub"),
             "--to", key_path("alice.pub"), "-o", str(tmp_path / "e"), str(src))
    assert r.returncode == 0, r.stderr.decode()
    out = io.BytesIO()
    opened = libenvelope.open_file(tmp_path / "e", out, decrypt_key=keys.alice,
                                verify_keys=keys.signer_pub)
    assert out.getvalue() == message_300k
    assert opened.name == "from-cli.bin"
    assert opened.signer == keys.signer_pub.fingerprint
    assert opened.recipients == (keys.bob_pub.fingerprint, keys.alice_pub.fingerprint)
    info = libenvelope.inspect(tmp_path / "e")
    assert [s.label for s in info.recipients] == [keys.bob_pub.fingerprint,
                                                  keys.alice_pub.fingerprint]


def test_cli_refuses_what_python_refuses(cli, keys, tmp_path):
    sealed = bytearray(libenvelope.seal(b"x" * 1000, sign_key=keys.signer,
                                     recipients=keys.alice_pub))
    sealed[-20] ^= 1
    r = _run(cli, "open", "--decrypt-key", key_path("alice.pem"),
             "--verify-key", key_path("signer.pub"), "-", stdin=bytes(sealed))
    assert r.returncode == 1 and r.stdout == b""
    try:
        libenvelope.open(bytes(sealed), decrypt_key=keys.alice, verify_keys=keys.signer_pub)
    except libenvelope.VerificationError as e:
        assert e.name == "TAMPERED"
    else:
        raise AssertionError("tampered envelope opened")


def test_keys_exported_by_python_work_in_the_cli(cli, tmp_path):
    signer = libenvelope.Key.generate_signing()
    rsa = libenvelope.Key.generate_encryption(2048)
    (tmp_path / "s.pem").write_bytes(signer.private_pem())
    (tmp_path / "r.pub").write_bytes(rsa.public_pem())
    (tmp_path / "m").write_bytes(b"generated keys")
    r = _run(cli, "seal", "--sign-key", str(tmp_path / "s.pem"), "--to", str(tmp_path / "r.pub"),
             "-o", str(tmp_path / "m.env"), str(tmp_path / "m"))
    assert r.returncode == 0, r.stderr.decode()
    opened = libenvelope.open((tmp_path / "m.env").read_bytes(), decrypt_key=rsa,
                           verify_keys=signer.public_key())
    assert opened.message == b"generated keys"
