"""The offline install: a venv that sees Debian's packages, pip without
build isolation (no network, no PyPI), then use from outside the source
tree."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import HERE, KEYS

SOURCE = HERE.parent


def _venv(venv, *extra):
    return subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", *extra,
                           str(venv)], capture_output=True, text=True, timeout=300)


def _pip_works(py):
    return subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True,
                          text=True, timeout=60).returncode == 0


def _venv_or_skip(venv):
    """A venv that sees Debian's packages. Debian's own pip (python3-pip)
    works inside it, which saves bootstrapping a second pip with ensurepip
    (seconds); without it, the venv gets its pip from ensurepip."""
    py = venv / "bin" / "python"
    r = _venv(venv, "--without-pip")
    if r.returncode == 0 and _pip_works(py):
        return py
    shutil.rmtree(venv, ignore_errors=True)
    r = _venv(venv)
    if r.returncode != 0:
        if "ensurepip" in r.stderr or "No module named venv" in r.stderr:
            pytest.skip("python venv/ensurepip unavailable; apt-get install python3-venv "
                        f"python3-pip ({r.stderr.strip().splitlines()[-1]})")
        pytest.fail(f"python3 -m venv failed: {r.stderr}")
    if not _pip_works(py):
        pytest.skip("pip unavailable in the venv; apt-get install python3-pip")
    return py


def test_offline_install_into_a_venv(tmp_path):
    lib = os.environ.get("ENVELOPE_LIBRARY")
    if not lib:
        pytest.skip("ENVELOPE_LIBRARY not set: nothing to point the installed package at")
    # Build from a copy, so that setuptools' build/ and egg-info stay out of
    # the source tree.
    src = tmp_path / "src"
    shutil.copytree(SOURCE, src, ignore=shutil.ignore_patterns(
        "tests", "__pycache__", "build", "*.egg-info", ".pytest_cache"))
    py = _venv_or_skip(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_INDEX_URL")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    r = subprocess.run([str(py), "-m", "pip", "install", "--no-build-isolation", "--no-index",
                        "--no-deps", str(src)], capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = textwrap.dedent(f"""
        import os, sys
        import libenvelope
        where = os.path.realpath(libenvelope.__file__)
        assert where.startswith(os.path.realpath({str(tmp_path / "venv")!r})), where
        assert os.path.exists(os.path.join(os.path.dirname(where), "py.typed"))
        keys = {str(KEYS)!r}
        signer = libenvelope.Key.load(os.path.join(keys, "signer.pem"))
        sealed = libenvelope.seal(b"installed", sign_key=signer,
                               recipients=[libenvelope.Key.load(os.path.join(keys, "bob.pub"))])
        opened = libenvelope.open(sealed, decrypt_key=libenvelope.Key.load(os.path.join(keys, "bob.pem")),
                               verify_keys=[signer.public_key()])
        assert opened.message == b"installed"
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import envelope  # the old name, installed too, for this release
        assert envelope.seal is libenvelope.seal, envelope.__file__
        assert [w.category for w in caught] == [DeprecationWarning], caught
        print("ok", libenvelope.library_version, where)
    """)
    r = subprocess.run([str(py), "-c", script], cwd=elsewhere, capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok ")
    # pip knows it, and can remove it again.
    r = subprocess.run([str(py), "-m", "pip", "show", "libenvelope"], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0 and "Version: 0.1.0" in r.stdout
