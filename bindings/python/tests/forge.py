"""A second, minimal implementation of the v1 envelope (docs/FORMAT.md),
written with python3-cryptography, for making envelopes the library must
refuse: re-encrypted to another recipient (surreptitious forwarding), or
with an inner archive that breaks the rules."""

import hashlib
import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89ENV\r\n\x1a\n"
CHUNK = 65536
INFO = b"libenvelope/1 payload"
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _payload_key(data_key: bytes, header: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=hashlib.sha256(header).digest(),
                info=INFO).derive(data_key)


def _nonce(i: int, final: bool) -> bytes:
    return i.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def _fingerprint(pub) -> str:
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def parse_header(env: bytes):
    """(header bytes, [(label, wrapped)])"""
    assert env[:8] == MAGIC
    (header_len,) = struct.unpack(">I", env[12:16])
    header = env[:header_len]
    count, pos, stanzas = header[36], 37, []
    for _ in range(count):
        (label_len,) = struct.unpack(">H", header[pos:pos + 2])
        label = header[pos + 2:pos + 2 + label_len].decode()
        pos += 2 + label_len
        (wrapped_len,) = struct.unpack(">H", header[pos:pos + 2])
        stanzas.append((label, header[pos + 2:pos + 2 + wrapped_len]))
        pos += 2 + wrapped_len
    assert pos == header_len
    return header, stanzas


def decrypt(env: bytes, private_pem: bytes) -> bytes:
    """The inner archive of env, for the recipient holding private_pem."""
    priv = serialization.load_pem_private_key(private_pem, password=None)
    header, stanzas = parse_header(env)
    data_key = None
    for _, wrapped in stanzas:
        try:
            data_key = priv.decrypt(wrapped, OAEP)
            break
        except ValueError:
            continue
    assert data_key is not None and len(data_key) == 32
    aead = AESGCM(_payload_key(data_key, header))
    payload, out, i = env[len(header):], [], 0
    while payload:
        piece, payload = payload[:CHUNK + 16], payload[CHUNK + 16:]
        out.append(aead.decrypt(_nonce(i, not payload), piece, None))
        i += 1
    return b"".join(out)


def encrypt(archive: bytes, public_pem: bytes, label: bool = True) -> bytes:
    """An envelope whose payload is archive, addressed to public_pem."""
    pub = serialization.load_pem_public_key(public_pem)
    data_key = os.urandom(32)
    wrapped = pub.encrypt(data_key, OAEP)
    lab = _fingerprint(pub).encode() if label else b""
    stanza = struct.pack(">H", len(lab)) + lab + struct.pack(">H", len(wrapped)) + wrapped
    fixed_len = 37
    header = (MAGIC + b"\x01\x01\x00\x00" + struct.pack(">I", fixed_len + len(stanza))
              + os.urandom(16) + struct.pack(">I", CHUNK) + b"\x01" + stanza)
    aead = AESGCM(_payload_key(data_key, header))
    chunks = [archive[i:i + CHUNK] for i in range(0, len(archive), CHUNK)] or [b""]
    body = b"".join(aead.encrypt(_nonce(i, i == len(chunks) - 1), c, None)
                    for i, c in enumerate(chunks))
    return header + body
