"""Finding libenvelope.so.1 and declaring its C ABI for ctypes.

Every function the package calls is declared here with its exact argument
and result types, so that ctypes converts and checks arguments instead of
guessing (a guessed ``int`` result would truncate a 64-bit pointer).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
from typing import Optional, Tuple

#: The major version of the C library these bindings are written for. In
#: 0.x a new minor version may also change the ABI, so the minor version must
#: be at least MIN_MINOR and the major version must match exactly.
ABI_MAJOR = 0
MIN_MINOR = 1

SONAME = "libenvelope.so.1"


class _Ctx(ctypes.Structure):
    """Opaque envelope_ctx."""


class _Key(ctypes.Structure):
    """Opaque envelope_key."""


class _SealOpts(ctypes.Structure):
    """Opaque envelope_seal_opts."""


class _OpenOpts(ctypes.Structure):
    """Opaque envelope_open_opts."""


class _Result(ctypes.Structure):
    """Opaque envelope_result."""


class _Info(ctypes.Structure):
    """Opaque envelope_info."""


class _Sealer(ctypes.Structure):
    """Opaque envelope_sealer."""


CtxP = ctypes.POINTER(_Ctx)
KeyP = ctypes.POINTER(_Key)
SealOptsP = ctypes.POINTER(_SealOpts)
OpenOptsP = ctypes.POINTER(_OpenOpts)
ResultP = ctypes.POINTER(_Result)
InfoP = ctypes.POINTER(_Info)
SealerP = ctypes.POINTER(_Sealer)
BytesP = ctypes.POINTER(ctypes.c_uint8)

# time_t is a signed long on every Linux ABI glibc supports with 64-bit time.
time_t = ctypes.c_long
rc_t = ctypes.c_int
#: ENVELOPE_SIZE_UNKNOWN: the size given to envelope_sealer_new for a
#: message whose length is not known in advance.
SIZE_UNKNOWN = 2**64 - 1

# Buffers handed to callbacks arrive as plain addresses (c_void_p gives an
# int or None), which the callbacks turn into memoryviews of the right size.
PASSPHRASE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
READ_FN = ctypes.CFUNCTYPE(ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
WRITE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)

_c = ctypes
_PROTOTYPES = {
    # name: (restype, argtypes)
    "envelope_version": (_c.c_char_p, []),
    "envelope_version_number": (_c.c_ulong, []),
    "envelope_strerror": (_c.c_char_p, [rc_t]),
    "envelope_rc_name": (_c.c_char_p, [rc_t]),
    "envelope_ctx_new": (rc_t, [_c.POINTER(CtxP)]),
    "envelope_ctx_free": (None, [CtxP]),
    "envelope_ctx_detail": (_c.c_char_p, [CtxP]),
    "envelope_free": (None, [_c.c_void_p]),
    "envelope_free_secret": (None, [_c.c_void_p, _c.c_size_t]),
    "envelope_key_load": (rc_t, [CtxP, _c.c_char_p, PASSPHRASE_FN, _c.c_void_p,
                                 _c.POINTER(KeyP)]),
    "envelope_key_from_memory": (rc_t, [CtxP, _c.c_void_p, _c.c_size_t, PASSPHRASE_FN,
                                        _c.c_void_p, _c.POINTER(KeyP)]),
    "envelope_keys_load": (rc_t, [CtxP, _c.c_char_p, PASSPHRASE_FN, _c.c_void_p,
                                  _c.POINTER(_c.POINTER(KeyP)), _c.POINTER(_c.c_size_t)]),
    "envelope_keys_free": (None, [_c.POINTER(KeyP), _c.c_size_t]),
    "envelope_key_generate": (rc_t, [CtxP, _c.c_int, _c.c_uint, _c.POINTER(KeyP)]),
    "envelope_key_ref": (KeyP, [KeyP]),
    "envelope_key_free": (None, [KeyP]),
    "envelope_key_get_kind": (_c.c_int, [KeyP]),
    "envelope_key_is_private": (_c.c_int, [KeyP]),
    "envelope_key_bits": (_c.c_uint, [KeyP]),
    "envelope_key_arn": (_c.c_char_p, [KeyP]),
    "envelope_fingerprint_size": (_c.c_size_t, []),
    "envelope_key_fingerprint": (rc_t, [CtxP, KeyP, _c.c_char_p]),
    "envelope_key_public_pem": (rc_t, [CtxP, KeyP, _c.POINTER(BytesP), _c.POINTER(_c.c_size_t)]),
    "envelope_key_public_der": (rc_t, [CtxP, KeyP, _c.POINTER(BytesP), _c.POINTER(_c.c_size_t)]),
    "envelope_key_private_pem": (rc_t, [CtxP, KeyP, _c.c_char_p, _c.c_size_t,
                                        _c.POINTER(BytesP), _c.POINTER(_c.c_size_t)]),
    "envelope_seal_opts_new": (rc_t, [_c.POINTER(SealOptsP)]),
    "envelope_seal_opts_free": (None, [SealOptsP]),
    "envelope_seal_opts_set_sign_key": (rc_t, [SealOptsP, KeyP]),
    "envelope_seal_opts_add_recipient": (rc_t, [SealOptsP, KeyP]),
    "envelope_seal_opts_set_name": (rc_t, [SealOptsP, _c.c_char_p]),
    "envelope_message_name_rule": (_c.c_char_p, [_c.c_char_p]),
    "envelope_seal_opts_set_hide_recipients": (rc_t, [SealOptsP, _c.c_int]),
    "envelope_seal_opts_set_created": (rc_t, [SealOptsP, time_t]),
    "envelope_seal_opts_set_progress": (rc_t, [SealOptsP, PROGRESS_FN, _c.c_void_p]),
    "envelope_seal_opts_set_armor": (rc_t, [SealOptsP, _c.c_int]),
    "envelope_seal_fd": (rc_t, [CtxP, SealOptsP, _c.c_int, _c.c_int]),
    "envelope_seal_file": (rc_t, [CtxP, SealOptsP, _c.c_int, _c.c_char_p, _c.c_int]),
    "envelope_seal_mem": (rc_t, [CtxP, SealOptsP, _c.c_void_p, _c.c_size_t, _c.POINTER(BytesP),
                                 _c.POINTER(_c.c_size_t)]),
    "envelope_seal_cb": (rc_t, [CtxP, SealOptsP, _c.c_uint64, READ_FN, _c.c_void_p, WRITE_FN,
                                _c.c_void_p]),
    "envelope_seal_opts_set_max_size": (rc_t, [SealOptsP, _c.c_uint64]),
    "envelope_sealer_new": (rc_t, [CtxP, SealOptsP, _c.c_uint64, WRITE_FN, _c.c_void_p,
                                   _c.POINTER(SealerP)]),
    "envelope_sealer_update": (rc_t, [SealerP, _c.c_void_p, _c.c_size_t]),
    "envelope_sealer_final": (rc_t, [SealerP]),
    "envelope_sealer_free": (None, [SealerP]),
    "envelope_open_opts_new": (rc_t, [_c.POINTER(OpenOptsP)]),
    "envelope_open_opts_free": (None, [OpenOptsP]),
    "envelope_open_opts_set_decrypt_key": (rc_t, [OpenOptsP, KeyP]),
    "envelope_open_opts_add_decrypt_key": (rc_t, [OpenOptsP, KeyP]),
    "envelope_open_opts_add_trusted_key": (rc_t, [OpenOptsP, KeyP]),
    "envelope_open_opts_set_max_size": (rc_t, [OpenOptsP, _c.c_uint64]),
    "envelope_open_opts_set_max_age": (rc_t, [OpenOptsP, _c.c_uint64]),
    "envelope_open_opts_set_max_skew": (rc_t, [OpenOptsP, _c.c_uint64]),
    "envelope_open_opts_set_allow_compat": (rc_t, [OpenOptsP, _c.c_int]),
    "envelope_open_opts_set_progress": (rc_t, [OpenOptsP, PROGRESS_FN, _c.c_void_p]),
    "envelope_result_free": (None, [ResultP]),
    "envelope_result_format": (_c.c_int, [ResultP]),
    "envelope_result_name": (_c.c_char_p, [ResultP]),
    "envelope_result_size": (_c.c_uint64, [ResultP]),
    "envelope_result_sha512": (_c.c_char_p, [ResultP]),
    "envelope_result_signer": (_c.c_char_p, [ResultP]),
    "envelope_result_signer_hint": (_c.c_char_p, [ResultP]),
    "envelope_result_recipient_count": (_c.c_size_t, [ResultP]),
    "envelope_result_recipient": (_c.c_char_p, [ResultP, _c.c_size_t]),
    "envelope_result_created": (time_t, [ResultP]),
    "envelope_open_fd": (rc_t, [CtxP, OpenOptsP, _c.c_int, _c.c_int, _c.POINTER(ResultP)]),
    "envelope_open_file": (rc_t, [CtxP, OpenOptsP, _c.c_int, _c.c_char_p, _c.c_int,
                                  _c.POINTER(ResultP)]),
    "envelope_open_extract": (rc_t, [CtxP, OpenOptsP, _c.c_int, _c.c_char_p,
                                     _c.POINTER(ResultP)]),
    "envelope_open_mem": (rc_t, [CtxP, OpenOptsP, _c.c_void_p, _c.c_size_t, _c.POINTER(BytesP),
                                 _c.POINTER(_c.c_size_t), _c.POINTER(ResultP)]),
    "envelope_open_cb": (rc_t, [CtxP, OpenOptsP, READ_FN, _c.c_void_p, WRITE_FN, _c.c_void_p,
                                _c.POINTER(ResultP)]),
    "envelope_verify_manifest": (rc_t, [CtxP, _c.c_void_p, _c.c_size_t, _c.c_void_p,
                                        _c.c_size_t, _c.POINTER(KeyP), _c.c_size_t,
                                        _c.POINTER(ResultP)]),
    "envelope_verify_message_fd": (rc_t, [CtxP, ResultP, _c.c_int]),
    "envelope_inspect_fd": (rc_t, [CtxP, _c.c_int, _c.POINTER(InfoP)]),
    "envelope_info_free": (None, [InfoP]),
    "envelope_info_version": (_c.c_uint, [InfoP]),
    "envelope_info_suite": (_c.c_uint, [InfoP]),
    "envelope_info_chunk_size": (_c.c_uint32, [InfoP]),
    "envelope_info_header_size": (_c.c_size_t, [InfoP]),
    "envelope_info_payload_size": (_c.c_uint64, [InfoP]),
    "envelope_info_recipient_count": (_c.c_size_t, [InfoP]),
    "envelope_info_recipient_label": (_c.c_char_p, [InfoP, _c.c_size_t]),
    "envelope_info_recipient_bits": (_c.c_uint, [InfoP, _c.c_size_t]),
}


def _pkg_config_libdir() -> Tuple[Optional[str], str]:
    """The libdir pkg-config reports for envelope, and what was tried."""
    try:
        out = subprocess.run(
            ["pkg-config", "--variable=libdir", "envelope"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"pkg-config --variable=libdir envelope: {e}"
    libdir = out.stdout.strip()
    if out.returncode != 0 or not libdir:
        why = out.stderr.strip().splitlines()[0] if out.stderr.strip() else "no such package"
        return None, f"pkg-config --variable=libdir envelope: {why}"
    return libdir, ""


def _load() -> Tuple[ctypes.CDLL, str]:
    explicit = os.environ.get("ENVELOPE_LIBRARY")
    if explicit:
        # An explicit choice that fails is an error, not a reason to pick
        # some other copy of the library behind the user's back.
        try:
            return ctypes.CDLL(explicit), explicit
        except OSError as e:
            raise ImportError(
                f"libenvelope: ENVELOPE_LIBRARY={explicit!r} cannot be loaded: {e}"
            ) from None
    tried = ["ENVELOPE_LIBRARY: not set"]
    candidates = []
    libdir, why = _pkg_config_libdir()
    if libdir:
        candidates.append((os.path.join(libdir, SONAME), "pkg-config libdir"))
    else:
        tried.append(why)
    name = ctypes.util.find_library("envelope")
    if name:
        candidates.append((name, "ctypes.util.find_library('envelope')"))
    else:
        tried.append("ctypes.util.find_library('envelope'): not found")
    candidates.append((SONAME, "system loader"))
    for path, how in candidates:
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{how}: {e}")
    raise ImportError(
        "libenvelope: cannot find libenvelope.so.1. Tried, in order:\n  "
        + "\n  ".join(tried)
        + "\nSet ENVELOPE_LIBRARY to the library's path, or install the library "
        "where pkg-config or the system loader finds it."
    )


def _declare(lib: ctypes.CDLL, path: str, names) -> None:
    for name in names:
        restype, argtypes = _PROTOTYPES[name]
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise ImportError(f"libenvelope: {path} lacks {name}: not a usable libenvelope") from None
        fn.restype = restype
        fn.argtypes = argtypes


def _check_version(lib: ctypes.CDLL, path: str) -> int:
    _declare(lib, path, ["envelope_version", "envelope_version_number"])
    number = int(lib.envelope_version_number())
    major, minor = (number >> 16) & 0xFF, (number >> 8) & 0xFF
    if major != ABI_MAJOR or minor < MIN_MINOR:
        raise ImportError(
            f"libenvelope: {path} is version "
            f"{lib.envelope_version().decode('ascii', 'replace')}; these bindings need "
            f"{ABI_MAJOR}.{MIN_MINOR} or a later {ABI_MAJOR}.x"
        )
    return number


lib, path = _load()
version_number = _check_version(lib, path)
_declare(lib, path, _PROTOTYPES)
