"""Several decryption keys on one open: the recipient among them opens,
wherever it stands; none of them is NOT_RECIPIENT with the count; bad
lists are refused before anything reaches C."""

import pytest

import libenvelope
from libenvelope import ErrorCode

from conftest import key_path


@pytest.fixture(scope="module")
def carol(keys):
    return libenvelope.Key.load(key_path("carol.pem"))


@pytest.fixture(scope="module", params=[False, True], ids=["labelled", "hidden"])
def to_bob(request, keys):
    return libenvelope.seal(b"for bob", sign_key=keys.signer, recipients=[keys.bob_pub],
                         hide_recipients=request.param)


@pytest.mark.parametrize("order", ["bob last", "bob first"])
def test_the_recipient_among_several_opens(keys, carol, to_bob, order):
    decrypt = [keys.alice, carol, keys.bob] if order == "bob last" else [keys.bob, keys.alice]
    opened = libenvelope.open(to_bob, decrypt_key=decrypt, verify_keys=keys.signer_pub)
    assert opened.message == b"for bob"


def test_a_tuple_and_a_generator_do_too(keys, to_bob):
    for decrypt in ((keys.alice, keys.bob), (k for k in [keys.alice, keys.bob])):
        opened = libenvelope.open(to_bob, decrypt_key=decrypt, verify_keys=[keys.signer_pub])
        assert opened.message == b"for bob"


def test_none_of_them_is_not_recipient(keys, carol, to_bob):
    with pytest.raises(libenvelope.VerificationError) as ei:
        libenvelope.open(to_bob, decrypt_key=[keys.alice, carol], verify_keys=keys.signer_pub)
    assert ei.value.code == ErrorCode.NOT_RECIPIENT, ei.value
    assert ei.value.detail == "no recipient stanza opens with any of the 2 decryption keys"


def test_open_file_takes_a_list(keys, to_bob, tmp_path):
    src = tmp_path / "m.env"
    src.write_bytes(to_bob)
    dst = tmp_path / "m.txt"
    libenvelope.open_file(str(src), str(dst), decrypt_key=[keys.alice, keys.bob],
                       verify_keys=keys.signer_pub)
    assert dst.read_bytes() == b"for bob"


@pytest.mark.parametrize("bad, code, detail", [
    ([], ErrorCode.INVALID_ARGUMENT, "0 decrypt keys given; 1 to 16 are allowed"),
    (17, ErrorCode.INVALID_ARGUMENT, "17 decrypt keys given; 1 to 16 are allowed"),
    ("pub", ErrorCode.KEY_NOT_PRIVATE, "decrypt key 2"),
], ids=["empty", "seventeen", "a public key"])
def test_bad_lists_refused(keys, to_bob, bad, code, detail):
    if bad == 17:
        bad = [keys.alice] * 17
    elif bad == "pub":
        bad = [keys.alice, keys.bob_pub]
    with pytest.raises(libenvelope.EnvelopeError) as ei:
        libenvelope.open(to_bob, decrypt_key=bad, verify_keys=keys.signer_pub)
    assert ei.value.code == code, ei.value
    assert detail in ei.value.detail, ei.value.detail


def test_paths_in_a_list_of_decrypt_keys(keys, to_bob):
    opened = libenvelope.open(to_bob, decrypt_key=[key_path("alice.pem"), key_path("bob.pem")],
                              verify_keys=key_path("signer.pub"))
    assert opened.message == b"for bob"
