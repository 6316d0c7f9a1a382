"""envelope.Key: loading, generation, export, lifetime."""

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

import libenvelope
from libenvelope import ErrorCode, KeyKind

from conftest import KEYS, key_path


def _spki_fingerprint(pub_file: str) -> str:
    pub = serialization.load_pem_public_key((KEYS / pub_file).read_bytes())
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("name,kind,bits,private", [
    ("signer.pem", KeyKind.SIGNING, 521, True),
    ("signer.pub", KeyKind.SIGNING, 521, False),
    ("signer.der", KeyKind.SIGNING, 521, True),
    ("signer-traditional.pem", KeyKind.SIGNING, 521, True),
    ("alice.pem", KeyKind.ENCRYPTION, 2048, True),
    ("alice.pub", KeyKind.ENCRYPTION, 2048, False),
    ("alice.pub.der", KeyKind.ENCRYPTION, 2048, False),
    ("carol.pub", KeyKind.ENCRYPTION, 3072, False),
    ("dave.pem", KeyKind.ENCRYPTION, 4096, True),
])
def test_load_files(name, kind, bits, private):
    key = libenvelope.Key.load(key_path(name))
    assert (key.kind, key.bits, key.is_private) == (kind, bits, private)
    assert key.reference == key_path(name)
    stem = "signer" if kind == KeyKind.SIGNING else name.split(".")[0]
    assert key.fingerprint == _spki_fingerprint(f"{stem}.pub")


def test_load_accepts_pathlike_and_file_prefix():
    a = libenvelope.Key.load(KEYS / "alice.pub")
    b = libenvelope.Key.load("file:" + key_path("alice.pub"))
    assert a.fingerprint == b.fingerprint == _spki_fingerprint("alice.pub")


def test_from_memory():
    pem = (KEYS / "signer.pem").read_bytes()
    der = (KEYS / "signer.der").read_bytes()
    a = libenvelope.Key.from_pem(pem)
    b = libenvelope.Key.from_pem(pem.decode())
    c = libenvelope.Key.from_der(der)
    d = libenvelope.Key.from_der(bytearray(der))
    assert {a.fingerprint, b.fingerprint, c.fingerprint, d.fingerprint} == {
        _spki_fingerprint("signer.pub")}
    assert a.reference is None and c.is_private


@pytest.mark.parametrize("make", [
    lambda p: p,
    lambda p: p.encode(),
    lambda p: (lambda: p),
    lambda p: (lambda: p.encode()),
])
def test_passphrase_forms(passphrase, make):
    key = libenvelope.Key.load(key_path("alice-encrypted.pem"), passphrase=make(passphrase))
    assert key.is_private and key.fingerprint == _spki_fingerprint("alice.pub")
    pem = (KEYS / "alice-encrypted.pem").read_bytes()
    assert libenvelope.Key.from_pem(pem, passphrase=make(passphrase)).is_private


class _NoCopy(bytearray):
    """A passphrase its owner means to wipe: copying it into bytes, which
    cannot be wiped, fails the test."""

    def __bytes__(self):
        raise AssertionError("the bytearray passphrase was copied into bytes")


def test_bytearray_passphrase_is_read_in_place(passphrase):
    key = libenvelope.Key.load(key_path("alice-encrypted.pem"),
                               passphrase=_NoCopy(passphrase.encode()))
    assert key.fingerprint == _spki_fingerprint("alice.pub")
    pem = (KEYS / "alice-encrypted.pem").read_bytes()
    from_callable = libenvelope.Key.from_pem(pem, passphrase=lambda: _NoCopy(passphrase.encode()))
    assert from_callable.fingerprint == key.fingerprint
    locked = key.private_pem(passphrase=_NoCopy(b"s3cret"))
    assert locked.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert libenvelope.Key.from_pem(locked, passphrase="s3cret").fingerprint == key.fingerprint


def test_passphrase_callable_not_called_for_plain_keys():
    def never():
        raise AssertionError("asked for a passphrase")

    assert libenvelope.Key.load(key_path("alice.pem"), passphrase=never).is_private


def test_wrong_and_missing_passphrase():
    with pytest.raises(libenvelope.KeyLoadError) as ei:
        libenvelope.Key.load(key_path("alice-encrypted.pem"), passphrase="wrong")
    assert ei.value.code == ErrorCode.KEY_PASSPHRASE and ei.value.name == "KEY_PASSPHRASE"
    assert "alice-encrypted.pem" in ei.value.detail
    # What to fix, not OpenSSL's "bad decrypt"
    assert ei.value.detail.endswith("wrong passphrase for the key"), ei.value.detail
    assert "error:" not in ei.value.detail, ei.value.detail
    with pytest.raises(libenvelope.KeyLoadError) as ei:
        libenvelope.Key.load(key_path("alice-encrypted.pem"))
    assert ei.value.code == ErrorCode.KEY_PASSPHRASE


def test_passphrase_callback_exception_is_reraised():
    class Refused(Exception):
        pass

    def refuse():
        raise Refused("user pressed cancel")

    with pytest.raises(Refused, match="cancel"):
        libenvelope.Key.load(key_path("alice-encrypted.pem"), passphrase=refuse)


def test_passphrase_of_wrong_type():
    with pytest.raises(TypeError):
        libenvelope.Key.load(key_path("alice-encrypted.pem"), passphrase=1234)
    with pytest.raises(TypeError):  # a callable returning the wrong type: raised after C
        libenvelope.Key.load(key_path("alice-encrypted.pem"), passphrase=lambda: 1234)


def test_load_errors(tmp_path):
    with pytest.raises(libenvelope.KeyLoadError) as ei:
        libenvelope.Key.load(tmp_path / "missing.pem")
    assert ei.value.code == ErrorCode.KEY_LOAD and "missing.pem" in ei.value.detail
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN NOTHING-----\nAAAA\n-----END NOTHING-----\n")
    with pytest.raises(libenvelope.KeyLoadError) as ei:
        libenvelope.Key.load(junk)
    assert ei.value.code == ErrorCode.KEY_LOAD
    with pytest.raises(libenvelope.KeyLoadError) as ei:
        libenvelope.Key.from_pem(b"")
    assert ei.value.code == ErrorCode.KEY_LOAD


@pytest.mark.parametrize("name", ["p256.pem", "rsa1024.pem", "ed25519.pem"])
def test_wrong_kind_of_key(name):
    with pytest.raises(libenvelope.KeyUsageError) as ei:
        libenvelope.Key.load(key_path(name))
    assert ei.value.code == ErrorCode.KEY_TYPE


def test_bad_reference_arguments():
    with pytest.raises(TypeError):
        libenvelope.Key.load(42)
    with pytest.raises(ValueError, match="NUL"):
        libenvelope.Key.load("tests/keys/alice.pem\0.pub")
    with pytest.raises(TypeError):
        libenvelope.Key.from_pem(12)


def test_kms_reference_today(monkeypatch, tmp_path):
    """awskms:// references reach the C library unchanged. This build has no
    KMS support: it says UNSUPPORTED, which for a KMS key is a KMSError.
    Once KMS works, the same references (no credentials anywhere, an
    endpoint nobody listens on) still fail, as KMSError or KeyLoadError,
    either at load or at the first use of the key."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:9")
    for ref in ("awskms:///alias/python-bindings-test",
                "awskms://127.0.0.1:9/arn:aws:kms:eu-west-1:111122223333:key/"
                "1234abcd-12ab-34cd-56ef-1234567890ab"):
        with pytest.raises((libenvelope.KMSError, libenvelope.KeyLoadError)) as ei:
            key = libenvelope.Key.load(ref)
            assert key.is_kms and key.reference == ref
            key.fingerprint  # a KMS key that loaded lazily fails at first use
        err = ei.value
        assert type(err) is libenvelope.exception_class(err.code, kms=True)
        if err.code == ErrorCode.UNSUPPORTED:
            assert type(err) is libenvelope.KMSError and err.name == "UNSUPPORTED"
            assert "KMS" in err.detail and ref in err.detail


def test_exports(passphrase, tmp_path):
    key = libenvelope.Key.load(key_path("signer.pem"))
    assert key.public_pem() == (KEYS / "signer.pub").read_bytes()
    pub = libenvelope.Key.load(key_path("alice.pub"))
    assert pub.public_der() == (KEYS / "alice.pub.der").read_bytes()
    assert pub.public_key().fingerprint == pub.fingerprint
    assert not key.public_key().is_private

    plain = key.private_pem()
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert libenvelope.Key.from_pem(plain).fingerprint == key.fingerprint
    locked = key.private_pem(passphrase="s3cret")
    assert locked.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(libenvelope.KeyLoadError):
        libenvelope.Key.from_pem(locked)
    assert libenvelope.Key.from_pem(locked, passphrase="s3cret").fingerprint == key.fingerprint
    # The encrypted export opens with openssl's own reader, too.
    loaded = serialization.load_pem_private_key(locked, password=b"s3cret")
    assert loaded.key_size == 521


def test_private_pem_of_public_key():
    with pytest.raises(libenvelope.KeyUsageError) as ei:
        libenvelope.Key.load(key_path("alice.pub")).private_pem()
    assert ei.value.code == ErrorCode.KEY_NOT_PRIVATE


def test_generate():
    s = libenvelope.Key.generate_signing()
    assert (s.kind, s.bits, s.is_private) == (KeyKind.SIGNING, 521, True)
    r = libenvelope.Key.generate_encryption(bits=2048)
    assert (r.kind, r.bits, r.is_private) == (KeyKind.ENCRYPTION, 2048, True)
    assert s.fingerprint != libenvelope.Key.generate_signing().fingerprint
    sealed = libenvelope.seal(b"x", sign_key=s, recipients=r.public_key())
    assert libenvelope.open(sealed, decrypt_key=r, verify_keys=s.public_key()).message == b"x"
    with pytest.raises(ValueError):
        libenvelope.Key.generate_encryption(bits=1024)
    with pytest.raises(TypeError):
        libenvelope.Key.generate_encryption(bits="4096")


def test_close_and_context_manager():
    with libenvelope.Key.load(key_path("alice.pub")) as key:
        assert not key.closed
    assert key.closed
    key.close()  # idempotent
    assert "closed" in repr(key)
    with pytest.raises(ValueError, match="closed"):
        key.fingerprint
    with pytest.raises(ValueError, match="closed"):
        key.public_pem()
    signer = libenvelope.Key.load(key_path("signer.pem"))
    with pytest.raises(ValueError, match="closed"):
        libenvelope.seal(b"x", sign_key=signer, recipients=[key])


def test_keys_cannot_be_made_directly_or_pickled():
    import pickle

    with pytest.raises(TypeError):
        libenvelope.Key()
    with pytest.raises(TypeError):
        pickle.dumps(libenvelope.Key.load(key_path("alice.pub")))


# ------------------------------------------------------- files of several keys

def _concat(tmp_path, name, *parts):
    path = tmp_path / name
    path.write_bytes(b"".join(p if isinstance(p, bytes) else (KEYS / p).read_bytes()
                              for p in parts))
    return str(path)


P521_PARAMS = b"-----BEGIN EC PARAMETERS-----\nBgUrgQQAIw==\n-----END EC PARAMETERS-----\n"


def test_load_all_gives_every_key_in_order(tmp_path, keys):
    team = _concat(tmp_path, "team.pub", "alice.pub", "bob.pub", "carol.pub")
    got = libenvelope.Key.load_all(team)
    assert [k.fingerprint for k in got] == [
        _spki_fingerprint(f) for f in ("alice.pub", "bob.pub", "carol.pub")]
    assert all(k.reference == team for k in got)
    sealed = libenvelope.seal(b"to the team", sign_key=keys.signer, recipients=got[:2])
    for reader in (keys.alice, keys.bob):
        opened = libenvelope.open(sealed, decrypt_key=reader, verify_keys=[keys.signer_pub])
        assert opened.message == b"to the team"
    for k in got:
        k.close()


def test_load_refuses_a_file_of_several_keys(tmp_path):
    team = _concat(tmp_path, "team.pub", "alice.pub", "bob.pub")
    with pytest.raises(libenvelope.KeyLoadError) as err:
        libenvelope.Key.load(team)
    assert err.value.code == ErrorCode.KEY_LOAD
    assert "2 keys where one is needed" in str(err.value)


def test_load_all_of_one_key_files():
    assert len(libenvelope.Key.load_all(key_path("signer.der"))) == 1
    [key] = libenvelope.Key.load_all(key_path("alice.pub"))
    assert key.fingerprint == _spki_fingerprint("alice.pub")


def test_ec_parameters_before_the_key(tmp_path):
    path = _concat(tmp_path, "k.pem", P521_PARAMS, "signer.pem")
    key = libenvelope.Key.load(path)
    assert key.is_private and key.fingerprint == _spki_fingerprint("signer.pub")
    [same] = libenvelope.Key.load_all(path)
    assert same.fingerprint == key.fingerprint


@pytest.mark.parametrize("parts,words", [
    (("alice.pub", "bob.pem"), ["block 2", "private key (block 2)"]),
    (("signer.pem", "signer.pub"), ["block 2", "private key (block 1)"]),
    (("alice.pub", b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"),
     ["block 2", '"CERTIFICATE" block, not a key']),
    ((P521_PARAMS,), ["no key"]),
])
def test_load_all_refusals(tmp_path, parts, words):
    path = _concat(tmp_path, "bad.pem", *parts)
    with pytest.raises(libenvelope.KeyLoadError) as err:
        libenvelope.Key.load_all(path)
    assert err.value.code == ErrorCode.KEY_LOAD
    for word in words + [path]:
        assert word in str(err.value)
