"""Shared fixtures: the fixed test keys in tests/keys and the CLI binary."""

import json
import os
import pathlib
import random
import shutil
import subprocess

import pytest

import libenvelope

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
KEYS = REPO / "tests" / "keys"
HEADER = REPO / "include" / "envelope.h"


def key_path(name: str) -> str:
    return str(KEYS / name)


@pytest.fixture(scope="session")
def keys():
    """The fixed keys, loaded once (keys are immutable and shareable)."""

    class Keys:
        signer = libenvelope.Key.load(key_path("signer.pem"))
        signer_pub = libenvelope.Key.load(key_path("signer.pub"))
        other_signer = libenvelope.Key.load(key_path("other-signer.pem"))
        alice = libenvelope.Key.load(key_path("alice.pem"))
        alice_pub = libenvelope.Key.load(key_path("alice.pub"))
        bob = libenvelope.Key.load(key_path("bob.pem"))
        bob_pub = libenvelope.Key.load(key_path("bob.pub"))
        carol_pub = libenvelope.Key.load(key_path("carol.pub"))

    return Keys


@pytest.fixture(scope="session")
def passphrase():
    return (KEYS / "passphrase.txt").read_text().strip()


@pytest.fixture(scope="session")
def cli():
    """The envelope CLI: ENVELOPE_CLI, else the binary built beside
    ENVELOPE_LIBRARY, else `envelope` on PATH."""
    candidates = [os.environ.get("ENVELOPE_CLI")]
    lib = os.environ.get("ENVELOPE_LIBRARY")
    if lib:
        candidates.append(os.path.join(os.path.dirname(lib), "envelope"))
    candidates.append(shutil.which("envelope"))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    pytest.skip("no envelope CLI: set ENVELOPE_CLI to the built binary")


@pytest.fixture
def message_300k():
    # Pseudo-random but seeded: a failure reproduces with the same bytes.
    return random.Random(300).randbytes(300 * 1024 + 17)


KMSCTL = REPO / "tests" / "kms-server" / "kmsctl.sh"
KMS_SIGN_REF = "awskms:///alias/sample-sign-verify-key"
KMS_ENCRYPT_REF = "awskms:///alias/sample-encrypt-decrypt-key"
KMS_ADMIN = ("AKIAKMSTESTADMIN0001", "kms-test/admin/SECRET/00000000000000000000")


class KMSServer:
    """The running test server: its endpoint, and its control API."""

    def __init__(self, endpoint, state):
        self.endpoint, self.state = endpoint, state

    def control(self, method, name, body=None):
        args = ["bash", str(KMSCTL), "control", str(self.state), method, name]
        if body is not None:
            args.append(json.dumps(body))
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"kmsctl control {method} {name}: exit {r.returncode}: " \
                                  f"{r.stderr[-500:]}"
        return json.loads(r.stdout)

    def stats(self):
        return self.control("GET", "stats")

    def reset_stats(self):
        self.control("POST", "reset-stats", {})


@pytest.fixture(scope="module")
def kms(tmp_path_factory):
    """The project's KMS test server (tests/kms-server), with the AWS_*
    environment pointing at it. Skipped when the library has no KMS support
    (it answers UNSUPPORTED for awskms:// references) or the server cannot
    run here."""
    probe = None
    try:
        libenvelope.Key.load(KMS_SIGN_REF)
    except libenvelope.EnvelopeError as e:
        probe = e
    if probe is not None and probe.code == libenvelope.ErrorCode.UNSUPPORTED:
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
    mp.setenv("AWS_ACCESS_KEY_ID", KMS_ADMIN[0])
    mp.setenv("AWS_SECRET_ACCESS_KEY", KMS_ADMIN[1])
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setenv("AWS_CONFIG_FILE", str(root / "no-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(root / "no-credentials"))
    # A context reads the KMS settings once: this thread's must be new.
    libenvelope.thread_session().close()
    try:
        yield KMSServer(endpoint, state)
    finally:
        libenvelope.thread_session().close()
        mp.undo()
        subprocess.run(["bash", str(KMSCTL), "stop", str(state)], capture_output=True,
                       timeout=60)
