"""The README's Python example, run as a new user would: keys and an
envelope made by the CLI, then the example, then the CLI opening what
Python sealed."""

import os
import re
import subprocess
import sys

from conftest import HERE, REPO


def _python_blocks():
    text = (REPO / "README.md").read_text()
    section = text[text.index("\n## Python\n"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def _run(args, cwd, **kw):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, **kw)
    assert r.returncode == 0, f"{args}: exit {r.returncode}: {r.stderr[-1500:]}"
    return r.stdout


def test_the_readme_example(cli, tmp_path):
    blocks = _python_blocks()
    assert len(blocks) == 2 and "awskms://" in blocks[1], blocks
    _run([cli, "keygen", "--sign", "-o", "sender.pem", "--pub", "sender.pub"], tmp_path)
    _run([cli, "keygen", "--encrypt", "--bits", "2048", "-o", "receiver.pem",
          "--pub", "receiver.pub"], tmp_path)
    (tmp_path / "message.json").write_text('{"from": "the CLI"}\n')
    _run([cli, "seal", "--sign-key", "sender.pem", "--to", "receiver.pub", "-o", "message.env",
          "message.json"], tmp_path)

    path = os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])
    out = _run([sys.executable, "-W", "error", "-c", blocks[0]], tmp_path,
               env=dict(os.environ, PYTHONPATH=path))
    lines = out.splitlines()
    assert lines[0].startswith("message.json 20 sha256:"), out
    assert re.fullmatch(r"[0-9a-f]{128}", lines[1]), out
    assert lines[2] == "UNTRUSTED_SIGNER", out
    assert (tmp_path / "message.out").read_text() == '{"from": "the CLI"}\n'

    _run([cli, "open", "--decrypt-key", "receiver.pem", "--verify-key", "sender.pub",
          "-o", "hello.json", "hello.env"], tmp_path)
    assert (tmp_path / "hello.json").read_text() == '{"hello": "world"}\n'
