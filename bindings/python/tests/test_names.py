"""The import names: libenvelope, and the deprecated envelope shim."""

import builtins
import importlib
import subprocess
import sys

import pytest

import libenvelope


def test_star_import_leaves_the_builtin_open_alone():
    scope = {}
    exec("from libenvelope import *", scope)
    assert "open" not in scope, f"star import bound open to {scope.get('open')!r}"
    assert "open" not in libenvelope.__all__
    assert libenvelope.open is not builtins.open  # still there by name
    for name in libenvelope.__all__:
        assert hasattr(libenvelope, name), name


def test_old_name_warns_and_gives_the_same_objects():
    sys.modules.pop("envelope", None)
    with pytest.warns(DeprecationWarning, match="import 'libenvelope' instead"):
        old = importlib.import_module("envelope")
    for name in libenvelope.__all__ + ["open", "__version__"]:
        assert getattr(old, name) is getattr(libenvelope, name), name
    import envelope.errors
    import envelope.keys
    assert envelope.errors is libenvelope.errors and envelope.keys is libenvelope.keys


def test_old_name_warning_points_at_the_importer():
    """Under -W error the old name fails at the importing line, so callers
    find it; without it, importing works."""
    r = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c",
                        "import envelope"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "DeprecationWarning" in r.stderr, (r.returncode, r.stderr)
    assert 'File "<string>", line 1' in r.stderr, r.stderr[-800:]
    r = subprocess.run([sys.executable, "-c", "import envelope, libenvelope\n"
                        "assert envelope.seal is libenvelope.seal"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-800:]


def test_new_name_imports_without_warnings():
    r = subprocess.run([sys.executable, "-W", "error", "-c", "import libenvelope"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-800:]
