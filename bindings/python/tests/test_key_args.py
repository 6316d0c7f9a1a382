"""Wherever a Key is expected, a path (str or os.PathLike) or an awskms://
reference is accepted too; key files are read at every call."""

import io
import os
import pathlib
import shutil

import pytest

import libenvelope
from libenvelope import ErrorCode

from conftest import key_path


def test_paths_everywhere(tmp_path):
    sealed = libenvelope.seal(b"by path", sign_key=key_path("signer.pem"),
                              recipients=[pathlib.Path(key_path("alice.pub")),
                                          key_path("bob.pub")])
    opened = libenvelope.open(sealed, decrypt_key=pathlib.Path(key_path("bob.pem")),
                              verify_keys=key_path("signer.pub"))
    assert opened.message == b"by path"
    assert opened.signer == libenvelope.Key.load(key_path("signer.pub")).fingerprint
    libenvelope.seal_file(io.BytesIO(b"file"), tmp_path / "e", sign_key=key_path("signer.pem"),
                          recipients=f"file:{key_path('alice.pub')}")
    out = io.BytesIO()
    libenvelope.open_file(tmp_path / "e", out, decrypt_key=key_path("alice.pem"),
                          verify_keys=[key_path("other-signer.pem"), key_path("signer.pub")])
    assert out.getvalue() == b"file"


def _signer_of(sealed):
    return libenvelope.open(sealed, decrypt_key=key_path("alice.pem"),
                            verify_keys=[key_path("signer.pub"),
                                         key_path("other-signer.pem")]).signer


def test_a_file_replaced_under_the_same_name_is_read_anew(tmp_path):
    signer = libenvelope.Key.load(key_path("signer.pem")).fingerprint
    other = libenvelope.Key.load(key_path("other-signer.pem")).fingerprint
    path = tmp_path / "sign.pem"
    shutil.copy(key_path("signer.pem"), path)
    seal = lambda: libenvelope.seal(b"x", sign_key=str(path),  # noqa: E731
                                    recipients=key_path("alice.pub"))
    assert _signer_of(seal()) == signer
    # Renamed over it (a new inode)...
    shutil.copy(key_path("other-signer.pem"), tmp_path / "new.pem")
    os.replace(tmp_path / "new.pem", path)
    assert _signer_of(seal()) == other
    # ...or rewritten in place (the same inode), with its old times put back.
    st = path.stat()
    path.write_bytes(pathlib.Path(key_path("signer.pem")).read_bytes())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _signer_of(seal()) == signer


@pytest.mark.parametrize("as_type", [str, pathlib.Path])
def test_a_missing_key_file(tmp_path, as_type):
    missing = tmp_path / "nope.pem"
    dst = tmp_path / "out.env"
    with pytest.raises(FileNotFoundError) as ei:
        libenvelope.seal_file(io.BytesIO(b"m"), dst, sign_key=as_type(missing),
                              recipients=key_path("alice.pub"))
    err = ei.value
    assert type(err.filename) is str and err.filename == str(missing), repr(err.filename)
    assert isinstance(err, libenvelope.KeyLoadError) and err.code == ErrorCode.KEY_LOAD
    assert not dst.exists() and os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError) as ei:
        libenvelope.open(b"whatever", decrypt_key=key_path("alice.pem"),
                         verify_keys=[key_path("signer.pub"), as_type(missing)])
    assert ei.value.filename == str(missing)


def test_a_path_that_is_not_a_key(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key\n")
    with pytest.raises(libenvelope.KeyLoadError) as ei:
        libenvelope.seal(b"m", sign_key=junk, recipients=key_path("alice.pub"))
    assert ei.value.code == ErrorCode.KEY_LOAD and "junk.pem" in ei.value.detail
    assert not isinstance(ei.value, FileNotFoundError)


def test_keys_of_the_wrong_kind_by_path():
    with pytest.raises(libenvelope.KeyUsageError) as ei:
        libenvelope.seal(b"m", sign_key=key_path("alice.pem"), recipients=key_path("bob.pub"))
    assert ei.value.code == ErrorCode.KEY_TYPE and "sign_key" in ei.value.detail
    with pytest.raises(libenvelope.KeyUsageError) as ei:
        libenvelope.seal(b"m", sign_key=key_path("signer.pem"),
                         recipients=[key_path("bob.pub"), key_path("signer.pub")])
    assert ei.value.code == ErrorCode.KEY_TYPE and "recipient 2" in ei.value.detail
    with pytest.raises(libenvelope.KeyUsageError) as ei:
        libenvelope.seal(b"m", sign_key=key_path("signer.pub"), recipients=key_path("bob.pub"))
    assert ei.value.code == ErrorCode.KEY_NOT_PRIVATE


def test_kms_references_are_kept_per_session(monkeypatch):
    """An awskms:// string is loaded once per session (loading makes no
    network call: this needs no server)."""
    loads = []
    real = libenvelope.Key.load.__func__

    def counting(cls, ref, passphrase=None):
        loads.append(os.fspath(ref))
        return real(cls, ref, passphrase)

    monkeypatch.setattr(libenvelope.Key, "load", classmethod(counting))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    from libenvelope.keys import resolve_key
    ref = "awskms:///alias/some-key"
    try:
        with libenvelope.Session() as s:
            first = resolve_key(ref, "k", s)
            assert resolve_key(ref, "k", s) is first
            with libenvelope.Session() as t:
                assert resolve_key(ref, "k", t) is not first
    except libenvelope.UnsupportedError:
        pytest.skip("this libenvelope has no KMS support")
    assert loads == [ref, ref]
    # Files are never kept.
    with libenvelope.Session() as s:
        assert resolve_key(key_path("alice.pub"), "k", s) is not \
            resolve_key(key_path("alice.pub"), "k", s)
