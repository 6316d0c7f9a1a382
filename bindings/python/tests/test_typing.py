"""The public API's type hints (the package ships py.typed): a typed user
of every call checks clean under mypy --strict, and wrong arguments are
caught, so the hints are real and not Any. Needs python3-mypy."""

import importlib.util
import subprocess
import sys
import textwrap

import pytest

from conftest import HERE

GOOD = '''
import io
import pathlib
from typing import List

import libenvelope
from libenvelope import Key, KeyArg, Opened, Session, VerificationError


def use(tmp: pathlib.Path) -> List[str]:
    signer: Key = Key.load("signer.pem")
    keys: List[KeyArg] = [pathlib.Path("alice.pub"), "awskms:///alias/x", signer]
    sealed: bytes = libenvelope.seal(bytearray(b"m"), sign_key="signer.pem", recipients=keys,
                                     name="m.txt", progress=lambda done, total: False)
    with Session() as session:
        opened: Opened = libenvelope.open(sealed, decrypt_key="alice.pem", verify_keys=signer,
                                          max_size=1 << 20, session=session)
    dst = io.BytesIO()
    libenvelope.seal_stream(io.BytesIO(b"x"), dst, sign_key=signer, recipients="alice.pub",
                            max_size=10, session=libenvelope.thread_session())
    with open(tmp / "out", "wb") as out:
        streamed: Opened = libenvelope.open_stream(io.BytesIO(dst.getvalue()), out,
                                                   decrypt_key=["alice.pem"],
                                                   verify_keys=("signer.pub",))
    verified: Opened = libenvelope.verify(tmp, "signer.pub", recipient="alice.pub")
    try:
        libenvelope.verify(str(tmp), [signer])
    except VerificationError as e:
        return [e.name, e.detail]
    except FileNotFoundError as e:
        return [str(e.filename)]
    return [opened.name, streamed.sha512, verified.name, str(verified.path)]
'''

BAD = '''
import io
import libenvelope

libenvelope.seal(b"m", sign_key=42, recipients="alice.pub")
libenvelope.seal_stream("path.txt", io.BytesIO(), sign_key="s.pem", recipients="a.pub")
libenvelope.verify(7, "signer.pub")
libenvelope.open(b"e", decrypt_key="a.pem", verify_keys="s.pub", session="no")
name: int = libenvelope.open(b"e", decrypt_key="a.pem", verify_keys="s.pub").name
'''


def _mypy(tmp_path, source):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (apt-get install python3-mypy)")
    path = tmp_path / "user.py"
    path.write_text(textwrap.dedent(source))
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                        "--no-incremental", "--cache-dir=/dev/null", str(path)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={"MYPYPATH": str(HERE.parent), "PATH": "/usr/bin:/bin"})
    return r.returncode, r.stdout + r.stderr


def test_a_typed_user_checks_clean(tmp_path):
    code, out = _mypy(tmp_path, GOOD)
    assert code == 0, out


def test_wrong_arguments_are_type_errors(tmp_path):
    code, out = _mypy(tmp_path, BAD)
    assert code == 1, out
    lines = [line for line in out.splitlines() if ": error:" in line]
    assert [int(line.split(":")[1]) for line in lines] == [5, 6, 7, 8, 9], out
