"""Inputs are copied before the C call: ctypes releases the GIL, so a
buffer another thread (or a callback) changes must not change what C reads."""

import array
import ctypes
import random

import libenvelope
from libenvelope._call import Borrowed

SIZE = 1 << 20  # 16 chunks: progress is reported several times while C reads


def _message():
    return random.Random(20).randbytes(SIZE)


def test_seal_reads_a_snapshot_of_a_bytearray(keys):
    """The progress callback runs while C reads the message: it overwrites
    the caller's bytearray, and the envelope still holds the bytes as they
    were at the call."""
    original = _message()
    data = bytearray(original)
    calls = []

    def scribble(done, total):
        calls.append(done)
        data[:] = b"\xee" * len(data)  # same length, so the buffer stays put
        return False

    sealed = libenvelope.seal(data, sign_key=keys.signer, recipients=keys.alice_pub,
                              progress=scribble)
    assert len(calls) >= 2, f"progress called {len(calls)} times; the test needs it mid-read"
    assert data == b"\xee" * SIZE
    opened = libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer_pub)
    assert opened.message == original, (
        f"opened {opened.size} bytes, first difference at "
        f"{next((i for i, (a, b) in enumerate(zip(opened.message, original)) if a != b), None)}")


def test_open_reads_a_snapshot_of_a_bytearray(keys):
    sealed = libenvelope.seal(_message(), sign_key=keys.signer, recipients=keys.alice_pub)
    data = bytearray(sealed)

    def scribble(done, total):
        data[:] = b"\0" * len(data)
        return False

    opened = libenvelope.open(data, decrypt_key=keys.alice, verify_keys=keys.signer_pub,
                              progress=scribble)
    assert data == b"\0" * len(sealed)
    assert opened.message == _message()


def _address(obj):
    return ctypes.addressof((ctypes.c_char * len(obj)).from_buffer(obj))


def test_writable_buffers_are_copied_and_the_copy_wiped():
    data = bytearray(b"secret" * 100)
    buf = Borrowed(data, "data")
    copy = buf.ptr
    assert ctypes.addressof(copy) != _address(data)
    assert bytes(copy) == bytes(data) and buf.size == len(data)
    data[0:6] = b"SECRET"
    assert bytes(copy[0:6]) == b"secret"  # a snapshot, not a view
    buf.release()
    assert bytes(copy) == b"\0" * len(data), "the copy was not wiped"
    assert buf.ptr is None


def test_bytes_go_as_they_are():
    data = b"immutable" * 10
    assert Borrowed(data, "data").ptr is data


def test_other_buffer_shapes_seal_as_their_bytes(keys):
    ints = array.array("i", range(1000))
    matrix = memoryview(bytearray(range(256)) * 4).cast("B", (32, 32))
    strided = memoryview(bytes(range(200)))[::2]  # not contiguous
    for data in (ints, matrix, strided, memoryview(bytearray(b"ro")).toreadonly()):
        want = memoryview(data).tobytes()
        sealed = libenvelope.seal(data, sign_key=keys.signer, recipients=keys.alice_pub)
        got = libenvelope.open(sealed, decrypt_key=keys.alice, verify_keys=keys.signer_pub)
        assert got.message == want, (type(data), len(got.message), len(want))
