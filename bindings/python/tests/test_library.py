"""Loading the C library, its version, and the error-code mapping."""

import ctypes
import ctypes.util
import os
import re
import subprocess
import sys

import pytest

import libenvelope
from libenvelope import errors

from conftest import HEADER, HERE

PKG_DIR = str(HERE.parent)


def _header_codes():
    text = HEADER.read_text()
    body = text[text.index("typedef enum envelope_rc"):text.index("} envelope_rc;")]
    codes = {m.group(1): int(m.group(2))
             for m in re.finditer(r"ENVELOPE_(?:E_)?(\w+)\s*=\s*(\d+)", body)}
    assert codes["OK"] == 0 and len(codes) > 40
    return codes


def test_version_matches_header():
    text = HEADER.read_text()
    major = int(re.search(r"#define ENVELOPE_VERSION_MAJOR (\d+)", text).group(1))
    assert libenvelope._lib.ABI_MAJOR == major
    assert libenvelope._lib.version_number >> 16 == major
    assert re.fullmatch(r"\d+\.\d+\.\d+", libenvelope.library_version)


def test_library_comes_from_environment():
    want = os.environ.get("ENVELOPE_LIBRARY")
    if not want:
        pytest.skip("ENVELOPE_LIBRARY not set: the library came from the system")
    assert libenvelope.library_path == want


def test_every_c_code_maps_to_a_class():
    """Every enumerator in include/envelope.h has an ErrorCode member of the
    same value and name (as envelope_rc_name gives it) and a dedicated
    exception class."""
    lib = libenvelope._lib.lib
    for name, value in _header_codes().items():
        assert errors.ErrorCode[name] == value
        assert lib.envelope_rc_name(value).decode() == name
        if name == "OK":
            continue
        cls = errors.exception_class(value)
        assert issubclass(cls, libenvelope.EnvelopeError) and cls is not libenvelope.EnvelopeError, name
        err = cls(value, "detail")
        assert (err.code, err.name, err.detail) == (value, name, "detail")
        assert lib.envelope_strerror(value).decode() in str(err)
    assert len(errors.ErrorCode) == len(_header_codes())


def test_mapping_is_the_documented_one():
    C = errors.ErrorCode
    groups = {
        libenvelope.VerificationError: ["TAMPERED", "TRUNCATED", "TRAILING_DATA",
                                     "UNTRUSTED_SIGNER", "FORWARDED", "NOT_RECIPIENT",
                                     "MESSAGE_MISMATCH", "TOO_LARGE", "TOO_OLD", "BAD_ARCHIVE",
                                     "BAD_MANIFEST"],
        libenvelope.FormatError: ["NOT_ENVELOPE", "UNKNOWN_VERSION", "BAD_HEADER",
                               "COMPAT_REFUSED"],
        libenvelope.KeyLoadError: ["KEY_LOAD", "KEY_PASSPHRASE", "KEY_REF"],
        libenvelope.KeyUsageError: ["KEY_TYPE", "KEY_NOT_PRIVATE"],
        libenvelope.KMSError: [c.name for c in C if c.name.startswith("KMS")]
        + ["NETWORK", "TLS", "TIMEOUT", "CREDENTIALS"],
        libenvelope.EnvelopeIOError: ["IO", "OUTPUT_EXISTS"],
    }
    for cls, names in groups.items():
        for name in names:
            assert errors.exception_class(C[name]) is cls, name
    assert len(groups[libenvelope.KMSError]) == 13
    assert issubclass(libenvelope.EnvelopeIOError, OSError)
    assert errors.exception_class(C.UNSUPPORTED) is libenvelope.UnsupportedError
    assert errors.exception_class(C.UNSUPPORTED, kms=True) is libenvelope.KMSError
    # A code from a newer library still raises something catchable.
    assert errors.exception_class(999) is libenvelope.EnvelopeError
    assert libenvelope.EnvelopeError(999).name == "UNKNOWN"


def test_kms_detail_parsing():
    e = libenvelope.KMSError(errors.ErrorCode.KMS_ACCESS_DENIED,
                          "Decrypt: AccessDeniedException: User: arn:x is not authorized")
    assert (e.kms_type, e.kms_message) == ("AccessDeniedException",
                                           "User: arn:x is not authorized")
    e = libenvelope.KMSError(errors.ErrorCode.KMS_NOT_FOUND,
                          'Sign: {"__type":"com.amazonaws.kms#NotFoundException",'
                          '"message":"Key does not exist"}')
    assert (e.kms_type, e.kms_message) == ("NotFoundException", "Key does not exist")
    e = libenvelope.KMSError(errors.ErrorCode.NETWORK, "connect to kms.example: refused")
    assert (e.kms_type, e.kms_message) == (None, None)


def _import_in_subprocess(env_changes):
    env = {k: v for k, v in os.environ.items() if k not in ("ENVELOPE_LIBRARY",
                                                              "LD_LIBRARY_PATH")}
    env.update(env_changes)
    env["PYTHONPATH"] = PKG_DIR
    return subprocess.run([sys.executable, "-c", "import envelope"], env=env,
                          capture_output=True, text=True, timeout=60)


def test_import_error_names_everything_tried(tmp_path):
    # An empty pkg-config path, no LD_LIBRARY_PATH: nothing can be found
    # (unless the library is installed system-wide, which the test then skips).
    probe = _import_in_subprocess({"PKG_CONFIG_PATH": str(tmp_path),
                                   "PKG_CONFIG_LIBDIR": str(tmp_path)})
    if probe.returncode == 0:
        pytest.skip("libenvelope is installed system-wide: the import cannot fail")
    assert "ImportError" in probe.stderr
    for tried in ("ENVELOPE_LIBRARY", "pkg-config", "find_library", "libenvelope.so.1"):
        assert tried in probe.stderr, tried


def test_import_error_for_a_bad_explicit_path(tmp_path):
    missing = tmp_path / "nowhere" / "libenvelope.so.1"
    probe = _import_in_subprocess({"ENVELOPE_LIBRARY": str(missing)})
    assert probe.returncode != 0
    assert "ImportError" in probe.stderr and str(missing) in probe.stderr


def test_import_error_for_another_library(tmp_path):
    # A shared library that is not libenvelope is refused at import.
    libc = ctypes.util.find_library("c") or "libc.so.6"
    probe = _import_in_subprocess({"ENVELOPE_LIBRARY": libc})
    assert probe.returncode != 0
    assert "ImportError" in probe.stderr and "envelope_version" in probe.stderr


def _header_returns():
    """Each function of include/envelope.h and whether it returns void."""
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    found = {}
    decl = r"ENVELOPE_API\s+(?:ENVELOPE_MUST_CHECK\s+)?([^;{(]*?)\b(envelope_\w+)\s*\("
    for m in re.finditer(decl, text):
        found[m.group(2)] = m.group(1).split() == ["void"]
    assert len(found) > 80, sorted(found)
    return found


def test_ctypes_result_types_follow_the_header():
    """Every declared function exists in the header with the same kind of
    result: None exactly for void, and rc_t for every setter (setters return
    envelope_rc, so the bindings can check them)."""
    returns = _header_returns()
    for name, (restype, _) in libenvelope._lib._PROTOTYPES.items():
        assert name in returns, f"{name}: not in include/envelope.h"
        assert (restype is None) == returns[name], (name, restype)
        if re.search(r"_opts_(set|add)_", name):
            assert restype is libenvelope._lib.rc_t, (name, restype)
    setters = [n for n in returns if re.search(r"_opts_(set|add)_", n)]
    assert setters and not [n for n in setters if returns[n]], setters
