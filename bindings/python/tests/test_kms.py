"""KMS keys through the bindings, against the project's KMS test server
(tests/kms-server). Skipped when the library has no KMS support (it answers
UNSUPPORTED for awskms:// references) or the server cannot run here."""

import json
import subprocess

import pytest

import libenvelope
from libenvelope import ErrorCode

from conftest import REPO

KMSCTL = REPO / "tests" / "kms-server" / "kmsctl.sh"
SIGN_REF = "awskms:///alias/sample-sign-verify-key"
ENCRYPT_REF = "awskms:///alias/sample-encrypt-decrypt-key"
ADMIN = ("AKIAKMSTESTADMIN0001", "kms-test/admin/SECRET/00000000000000000000")


@pytest.fixture(scope="module")
def kms(tmp_path_factory):
    probe = None
    try:
        libenvelope.Key.load(SIGN_REF)
    except libenvelope.EnvelopeError as e:
        probe = e
    if probe is not None and probe.code == ErrorCode.UNSUPPORTED:
        pytest.skip(f"this libenvelope has no KMS support: {probe.detail}")

    root = tmp_path_factory.mktemp("kms")
    seed = root / "seed.json"
    seed.write_text(json.dumps({"keys": [
        {"key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT",
         "aliases": ["alias/sample-encrypt-decrypt-key"]},
        {"key_spec": "ECC_NIST_P521", "aliases": ["alias/sample-sign-verify-key"]},
    ]}))
    state = root / "state"
    start = subprocess.run(["bash", str(KMSCTL), "start", str(state), "--seed", str(seed)],
                           capture_output=True, text=True, timeout=120,
                           env={"PATH": "/usr/bin:/bin", "KMS_SERVER_MAX_LIFETIME": "900"})
    if start.returncode != 0:
        # Without the server's packages it cannot run here; with them, a
        # start that fails is a failure, not a reason to skip.
        deps = subprocess.run(["/usr/bin/python3", "-c", "import cryptography, botocore"],
                              capture_output=True, text=True, timeout=120)
        if deps.returncode != 0:
            pytest.skip(f"the KMS test server cannot run here: {deps.stderr.strip()}")
        pytest.fail(f"the KMS test server did not start (exit {start.returncode}): "
                    f"{start.stderr.strip()}")
    endpoint = start.stdout.strip()
    mp = pytest.MonkeyPatch()
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        mp.delenv(var, raising=False)
    mp.setenv("AWS_ENDPOINT_URL_KMS", endpoint)
    mp.setenv("AWS_CA_BUNDLE", str(state / "ca.pem"))
    mp.setenv("AWS_REGION", "us-east-1")
    mp.setenv("AWS_ACCESS_KEY_ID", ADMIN[0])
    mp.setenv("AWS_SECRET_ACCESS_KEY", ADMIN[1])
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setenv("AWS_CONFIG_FILE", str(root / "no-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "no-credentials"))
    try:
        yield endpoint
    finally:
        mp.undo()
        subprocess.run(["bash", str(KMSCTL), "stop", str(state)], capture_output=True,
                       timeout=60)


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
