"""Seeds for the fuzz targets, taken apart from real envelopes.

    seedtool.py split ENVELOPE DECRYPT_KEY OUTDIR NAME
        writes NAME.header (the header bytes), NAME.tar (the decrypted inner
        tar), NAME.manifest (manifest.json from it)
    seedtool.py compat MESSAGE_FILE NAME TAR_FORMAT SIGN_KEY RECIPIENT_PUB OUT_ARCHIVE OUT_ENVELOPE
        the tutorial's flow: message.sig (ECDSA P-521/SHA-512), tar -czf of
        message.sig and the message (GNU tar, --format TAR_FORMAT), then
        RSA-OAEP-SHA-256 to the recipient (skipped when it does not fit)

Only what the fuzz corpus needs; docs/FORMAT.md is the specification.
"""

import io
import os
import struct
import subprocess
import sys
import tarfile
import tempfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHUNK = 65536
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def load_private(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def split_header(env):
    (header_len,) = struct.unpack(">I", env[12:16])
    header = env[:header_len]
    count = header[36]
    pos, wrapped = 37, []
    for _ in range(count):
        (label_len,) = struct.unpack(">H", header[pos:pos + 2])
        pos += 2 + label_len
        (wlen,) = struct.unpack(">H", header[pos:pos + 2])
        wrapped.append(header[pos + 2:pos + 2 + wlen])
        pos += 2 + wlen
    return header, wrapped


def decrypt(env, key):
    header, wrapped = split_header(env)
    data_key = None
    for w in wrapped:
        try:
            data_key = key.decrypt(w, OAEP)
            break
        except ValueError:
            continue
    salt = hashes.Hash(hashes.SHA256())
    salt.update(header)
    pkey = HKDF(hashes.SHA256(), 32, salt.finalize(), b"libenvelope/1 payload").derive(data_key)
    gcm, payload, plain, i = AESGCM(pkey), env[len(header):], b"", 0
    while payload:
        piece, payload = payload[:CHUNK + 16], payload[CHUNK + 16:]
        nonce = i.to_bytes(11, "big") + (b"\x01" if not payload else b"\x00")
        plain += gcm.decrypt(nonce, piece, None)
        i += 1
    return header, plain


def split(env_path, key_path, outdir, name):
    with open(env_path, "rb") as f:
        env = f.read()
    header, plain = decrypt(env, load_private(key_path))
    with tarfile.open(fileobj=io.BytesIO(plain), format=tarfile.PAX_FORMAT) as t:
        manifest = t.extractfile("manifest.json").read()
    for ext, data in (("header", header), ("tar", plain), ("manifest", manifest)):
        with open(os.path.join(outdir, f"{name}.{ext}"), "wb") as f:
            f.write(data)


def compat(msg_path, name, tar_format, sign_key, recipient_pub, out_archive, out_env):
    with open(msg_path, "rb") as f:
        message = f.read()
    sig = load_private(sign_key).sign(message, ec.ECDSA(hashes.SHA512()))
    with tempfile.TemporaryDirectory() as d:
        for n, data in (("message.sig", sig), (name, message)):
            with open(os.path.join(d, n), "wb") as f:
                f.write(data)
        archive = subprocess.run(["tar", "--format", tar_format, "-C", d, "-czf", "-", "message.sig", name],
                                 check=True, stdout=subprocess.PIPE).stdout
    with open(out_archive, "wb") as f:
        f.write(archive)
    with open(recipient_pub, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    if len(archive) <= pub.key_size // 8 - 66:
        with open(out_env, "wb") as f:
            f.write(pub.encrypt(archive, OAEP))


if __name__ == "__main__":
    {"split": split, "compat": compat}[sys.argv[1]](*sys.argv[2:])
