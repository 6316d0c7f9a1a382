"""KMS keys through the bindings, against the project's KMS test server
(tests/kms-server). Skipped when the library has no KMS support (it answers
UNSUPPORTED for awskms:// references) or the server cannot run here."""

import dataclasses
import json
import subprocess

import pytest

import libenvelope
from libenvelope import ErrorCode

from conftest import REPO, key_path
from conftest import KMS_ENCRYPT_REF as ENCRYPT_REF
from conftest import KMS_SIGN_REF as SIGN_REF


def test_kms_keys_seal_and_open(kms):
    sign = libenvelope.Key.load(SIGN_REF)
    box = libenvelope.Key.load(ENCRYPT_REF)
    assert sign.is_kms and sign.is_private and sign.reference == SIGN_REF
    sealed = libenvelope.seal(b"through KMS" * 1000, sign_key=sign, recipients=[box])
    opened = libenvelope.open(sealed, decrypt_key=box, verify_keys=[sign])
    assert opened.message == b"through KMS" * 1000
    assert opened.signer  # the key ARN (or fingerprint) that verified
    assert opened.recipients[0].startswith("arn:aws:kms:us-east-1:111122223333:key/")
    assert sign.kind == libenvelope.KeyKind.SIGNING and box.bits == 2048


def test_kms_mixed_with_exported_public_keys(kms):
    """A partner without AWS access encrypts to the exported public key and
    verifies with the exported signing key; the receiver decrypts in KMS."""
    sign = libenvelope.Key.load(SIGN_REF)
    box = libenvelope.Key.load(ENCRYPT_REF)
    box_pub = libenvelope.Key.from_pem(box.public_pem())
    sign_pub = libenvelope.Key.from_pem(sign.public_pem())
    assert box_pub.fingerprint == box.fingerprint and not box_pub.is_private
    local = libenvelope.Key.generate_signing()
    sealed = libenvelope.seal(b"mixed", sign_key=local, recipients=[box_pub])
    assert libenvelope.open(sealed, decrypt_key=box, verify_keys=local).message == b"mixed"
    sealed = libenvelope.seal(b"mixed 2", sign_key=sign, recipients=[box_pub])
    opened = libenvelope.open(sealed, decrypt_key=box, verify_keys=[sign_pub])
    assert opened.message == b"mixed 2" and opened.signer == sign_pub.fingerprint


def test_kms_errors_carry_the_service_error(kms):
    with pytest.raises(libenvelope.KMSError) as ei:
        libenvelope.Key.load("awskms:///alias/does-not-exist").fingerprint
    assert ei.value.code == ErrorCode.KMS_NOT_FOUND
    assert ei.value.kms_type == "NotFoundException"
    assert ei.value.kms_message and "not found" in ei.value.kms_message
    wrong = libenvelope.Key.load(ENCRYPT_REF)  # an RSA key asked to sign
    with pytest.raises((libenvelope.KMSError, libenvelope.KeyUsageError)) as ei:
        libenvelope.seal(b"x", sign_key=wrong, recipients=libenvelope.Key.load(ENCRYPT_REF))
    if isinstance(ei.value, libenvelope.KMSError):
        assert ei.value.code == ErrorCode.KMS_KEY_USAGE
        assert ei.value.kms_type == "InvalidKeyUsageException"
    else:
        assert ei.value.code == ErrorCode.KEY_TYPE


def _as(monkeypatch, name):
    """Calls from here on as another principal of tests/kms-server."""
    principals = json.loads((REPO / "tests" / "kms-server" / "principals.json").read_text())
    p = next(p for p in principals["principals"] if p["name"] == name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", p["access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", p["secret_access_key"])
    libenvelope.thread_session().close()  # a context reads credentials once


def test_a_recipient_named_only_by_its_arn(kms, monkeypatch, tmp_path, cli):
    """A sender without GetPublicKey names a KMS recipient by its ARN alone;
    verify(recipient=) matches it by the key's ARN, also for a verifier that
    may not fetch the public key either."""
    _as(monkeypatch, "sender")
    sealed = libenvelope.seal(b"to an ARN", sign_key=SIGN_REF, recipients=ENCRYPT_REF)
    _as(monkeypatch, "admin")
    (tmp_path / "e").write_bytes(sealed)
    opened = libenvelope.open_extract(tmp_path / "e", tmp_path / "d", decrypt_key=ENCRYPT_REF,
                                      verify_keys=SIGN_REF)
    arn = opened.recipients[0]
    assert arn.startswith("arn:aws:kms:") and "sha256:" not in arn, opened.recipients
    # admin may fetch the public key: the alias's ARN is learnt on the way.
    key = libenvelope.Key.load(ENCRYPT_REF)
    assert key.arn is None
    signer = libenvelope.Key.load(SIGN_REF)
    signer_ids = {signer.fingerprint, signer.arn}

    def same(verified):
        # The signer is named by its fingerprint, or by its ARN where its
        # public key was not fetched: either names the same key.
        assert verified.signer in signer_ids, (verified.signer, signer_ids)
        assert dataclasses.replace(verified, signer=opened.signer) == opened

    same(libenvelope.verify(tmp_path / "d", SIGN_REF, recipient=key))
    assert key.arn == arn
    _as(monkeypatch, "receiver")  # no GetPublicKey
    same(libenvelope.verify(tmp_path / "d", SIGN_REF, recipient="awskms:///" + arn))
    # The CLI's verify --recipient agrees.
    for ref, status in (("awskms:///" + arn, 0), (ENCRYPT_REF, 3), (key_path("alice.pub"), 1)):
        r = subprocess.run([cli, "verify", "--quiet", "--verify-key", SIGN_REF, "--recipient",
                            ref, str(tmp_path / "d")], capture_output=True, text=True, timeout=60)
        assert r.returncode == status, (ref, r.returncode, r.stderr[-500:])
    with pytest.raises(libenvelope.KMSError) as ei:  # an alias: its ARN is not known
        libenvelope.verify(tmp_path / "d", SIGN_REF, recipient=ENCRYPT_REF)
    assert ei.value.code == ErrorCode.KMS_ACCESS_DENIED, ei.value
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.verify(tmp_path / "d", SIGN_REF, recipient=key_path("alice.pub"))
    assert ei.value.code == ErrorCode.NOT_RECIPIENT, ei.value
    assert libenvelope.Key.load(key_path("alice.pub")).arn is None
    _as(monkeypatch, "admin")
