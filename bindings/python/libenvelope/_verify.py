"""Offline verification of a directory written by open_extract (or by the
CLI's ``open --extract``), with public keys only, by the rules of the CLI's
``envelope verify DIR``: manifest.sig over manifest.json by a trusted key,
the manifest well formed, the message it names of its size and SHA-512,
and nothing else in the directory."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import stat
from typing import Any, Iterator, List, Optional, Tuple

from . import _lib
from ._api import Keys, Opened, _key_list, _opened, _verify_keys
from ._call import c_str, fail, lib
from ._session import Session, using
from ._streams import PathLike, path_arg
from .errors import ErrorCode
from .keys import Key, KeyKind, require_key

MANIFEST_CAP = 4096  # larger than any manifest the library writes
SIG_CAP = 139  # a DER ECDSA P-521 signature
BELONG = ("manifest.json", "manifest.sig")


def _open_entry(dir_fd: int, where: str, name: str, code: int) -> int:
    """A descriptor of DIR/name, a regular file and not a link; a file that
    is not there or not a file fails with code."""
    path = f"{where}/{name}"
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        fail(code, f"{path}: missing")
    except OSError as e:
        if e.errno == errno.ELOOP:
            fail(code, f"{path}: a symbolic link, not the file itself")
        fail(ErrorCode.IO, f"{path}: {e.strerror}")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        fail(code, f"{path}: not a regular file")
    return fd


def _read_small(dir_fd: int, where: str, name: str, cap: int) -> bytes:
    fd = _open_entry(dir_fd, where, name, ErrorCode.BAD_MANIFEST)
    try:
        data = b""
        while len(data) <= cap:
            chunk = os.read(fd, cap + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except OSError as e:
        fail(ErrorCode.IO, f"{where}/{name}: {e.strerror}")
    finally:
        os.close(fd)
    if len(data) > cap:
        fail(ErrorCode.BAD_MANIFEST, f"{where}/{name}: larger than {cap} bytes: "
             "not an envelope's")
    return data


def _check_entries(dir_fd: int, where: str, name: str) -> None:
    for entry in sorted(os.listdir(dir_fd)):
        if entry != name and entry not in BELONG:
            fail(ErrorCode.BAD_MANIFEST, f"{where}: holds {entry!r}, which the manifest does "
                 "not name (only the message, manifest.json and manifest.sig belong)")


def _names(identities: str, identity: str) -> bool:
    # Each recipient is "sha256:..." and/or a KMS ARN, separated by spaces.
    return identity in identities.split(" ")


def _listed(named: List[str], identity: Optional[str]) -> bool:
    return identity is not None and any(_names(ids, identity) for ids in named)


def _check_recipients(recipients: Tuple[Key, ...], result: Any) -> None:
    """As the CLI's verify --recipient: a sender without GetPublicKey names
    a KMS recipient by its ARN alone, so the key's ARN is compared first
    (known without a call for a key ARN reference), then its fingerprint,
    then the ARN that fetching the fingerprint revealed."""
    named = [c_str(lib.envelope_result_recipient(result, i))
             for i in range(lib.envelope_result_recipient_count(result))]
    for i, key in enumerate(recipients):
        if _listed(named, key.arn):
            continue
        fingerprint = key.fingerprint
        if _listed(named, fingerprint) or _listed(named, key.arn):
            continue
        what = key.reference or (f"recipient {i + 1}" if len(recipients) > 1 else "recipient")
        fail(ErrorCode.NOT_RECIPIENT,
             f"{what}: {fingerprint} is not among the manifest's recipients")


@contextlib.contextmanager
def _key_array(keys: Tuple[Key, ...]) -> Iterator[Any]:
    with contextlib.ExitStack() as stack:
        yield (_lib.KeyP * len(keys))(*(stack.enter_context(k._borrow()) for k in keys))


def verify(directory: PathLike, verify_keys: Keys, recipient: Optional[Keys] = None, *,
           session: Optional[Session] = None) -> Opened:
    """Checks again, offline and with public keys only, a directory that
    :func:`open_extract` (or ``envelope open --extract``) wrote, as
    ``envelope verify DIR`` does: that ``manifest.sig`` is a signature over
    ``manifest.json`` by one of ``verify_keys``, that the manifest is well
    formed, that the message it names has its size and SHA-512, and that
    the directory holds nothing else.

    Args:
        directory: the directory.
        verify_keys: one signing key or an iterable of 1 to 64 trusted
            signers (Keys, paths or ``awskms://`` references).
        recipient: a key or an iterable of keys that must each be among the
            manifest's recipients (matched by fingerprint, or for a KMS key
            by its ARN too: see :attr:`Key.arn`); None: no check.
            Whether the envelope itself was addressed to them was checked
            when it was opened: the directory alone cannot show it.
        session: the :class:`Session` to use; None: this thread's own.

    Returns:
        An :class:`Opened` as :func:`open_extract` returned it
        (``message`` None, ``path`` the message's path).

    Raises:
        VerificationError: ``UNTRUSTED_SIGNER``; ``BAD_MANIFEST`` (a
            manifest or signature missing, a link, not a regular file,
            malformed, or another file in the directory);
            ``MESSAGE_MISMATCH`` (the message missing, a link, or not the
            bytes signed); ``NOT_RECIPIENT``.
        FormatError: ``COMPAT_REFUSED`` for a compat envelope's directory
            (no manifest; check ``message.sig`` with openssl).
        OSError: the directory cannot be opened (FileNotFoundError...).
    """
    where = os.fsdecode(path_arg(directory, "directory"))
    trusted = _verify_keys(verify_keys, session)
    recipients = () if recipient is None else _key_list(recipient, "recipient", session)
    for i, key in enumerate(recipients):
        require_key(key, KeyKind.ENCRYPTION, False, f"recipient {i + 1}")
    dir_fd = os.open(where, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return _verify_dir(dir_fd, where, trusted, recipients, session)
    finally:
        os.close(dir_fd)


def _verify_dir(dir_fd: int, where: str, trusted: Tuple[Key, ...],
                recipients: Tuple[Key, ...], session: Optional[Session]) -> Opened:
    entries = os.listdir(dir_fd)
    if "manifest.json" not in entries and "message.sig" in entries:
        fail(ErrorCode.COMPAT_REFUSED, f"{where}: a compat envelope's directory, with no "
             "manifest: check message.sig with 'openssl dgst -sha512 -verify KEY.pub "
             "-signature message.sig MESSAGE'")
    manifest = _read_small(dir_fd, where, "manifest.json", MANIFEST_CAP)
    sig = _read_small(dir_fd, where, "manifest.sig", SIG_CAP)
    result = _lib.ResultP()
    with _key_array(trusted) as array, using(session) as ctx:
        rc = lib.envelope_verify_manifest(ctx.ptr, manifest, len(manifest), sig, len(sig),
                                          array, len(trusted), ctypes.byref(result))
        ctx.check(rc, kms=any(k.is_kms for k in trusted))
    try:
        name = c_str(lib.envelope_result_name(result))
        _check_entries(dir_fd, where, name)
        fd = _open_entry(dir_fd, where, name, ErrorCode.MESSAGE_MISMATCH)
        try:
            with using(session) as ctx:
                rc = lib.envelope_verify_message_fd(ctx.ptr, result, fd)
                if rc != ErrorCode.OK:
                    fail(rc, f"{where}/{name}: {ctx.detail()}")
        finally:
            os.close(fd)
        _check_recipients(recipients, result)
    except BaseException:
        lib.envelope_result_free(result)
        raise
    return _opened(result, None, os.path.join(where, name))


__all__ = ["verify"]
