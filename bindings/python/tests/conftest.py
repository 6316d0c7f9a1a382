"""Shared fixtures: the fixed test keys in tests/keys and the CLI binary."""

import os
import pathlib
import random
import shutil

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
