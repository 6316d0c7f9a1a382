"""An independent implementation of the libenvelope v1 format (docs/FORMAT.md).

Written from the specification alone, to cross-check the C library: `open`
applies every check of FORMAT.md, "Opening, in order", in order, and raises EnvelopeError
carrying the library's error name (envelope_rc_name() without the prefix);
`seal` writes envelopes, and its knobs write deliberately broken ones for the
test vectors. The inner tar is read and written here byte by byte: Python's
tarfile module accepts far more than FORMAT.md, "Inner archive" allows.

Everything works on bytes in memory: fine for test vectors, not for big files.
"""

import base64
import datetime
import hashlib
import json
import re
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89ENV\r\n\x1a\n"
VERSION = 1
SUITE = 1
CHUNK_SIZE = 65536
TAG_SIZE = 16
FIXED_LEN = 37
MIN_HEADER_LEN = 297
MAX_HEADER_LEN = 65536
MAX_STANZAS = 16
MAX_LABEL_LEN = 1024
WRAPPED_LENS = (256, 384, 512)
DATA_KEY_LEN = 32
HKDF_INFO = b"libenvelope/1 payload"
MANIFEST_PREFIX = b'{"format":"libenvelope/1",'
MAX_MANIFEST = 4096
MAX_SIG = 139
MAX_SKEW_DEFAULT = 300       # seconds a creation time may be ahead of the clock
MAX_SKEW_LIMIT = 86400       # the most a caller may allow
BLOCK = 512

ERROR_NAMES = (
    "NOT_ENVELOPE", "UNKNOWN_VERSION", "BAD_HEADER", "NOT_RECIPIENT", "TAMPERED",
    "TRUNCATED", "TRAILING_DATA", "BAD_ARCHIVE", "UNTRUSTED_SIGNER", "BAD_MANIFEST",
    "FORWARDED", "MESSAGE_MISMATCH", "TOO_LARGE", "TOO_OLD",
)


class EnvelopeError(Exception):
    """An envelope that must not open; .name is the C library's error name."""

    def __init__(self, name, detail=""):
        assert name in ERROR_NAMES, name
        super().__init__(f"{name}: {detail}" if detail else name)
        self.name = name
        self.detail = detail


# ------------------------------------------------------------------- keys


def load_key(path):
    """A PEM private or public key from a file."""
    with open(path, "rb") as f:
        data = f.read()
    if b"PRIVATE KEY" in data:
        return serialization.load_pem_private_key(data, password=None)
    return serialization.load_pem_public_key(data)


def public_of(key):
    return key.public_key() if hasattr(key, "public_key") else key


def key_id(key):
    """FORMAT.md, "Key identities": "sha256:" + hex SHA-256 of the SubjectPublicKeyInfo DER."""
    der = public_of(key).public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()


OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                    algorithm=hashes.SHA256(), label=None)


def wrap(rsa_key, data_key):
    return public_of(rsa_key).encrypt(data_key, OAEP)


def sign(ec_key, data):
    return ec_key.sign(data, ec.ECDSA(hashes.SHA512()))


def payload_key(data_key, header):
    """FORMAT.md, "Keys"."""
    return HKDF(algorithm=hashes.SHA256(), length=32,
                salt=hashlib.sha256(header).digest(), info=HKDF_INFO).derive(data_key)


def chunk_nonce(i, final):
    return i.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


# -------------------------------------------------------- key identities

SHA256_ID = re.compile(rb"sha256:[0-9a-f]{64}\Z")
# FORMAT.md, "Key identities": what a reader checks of a KMS key ARN is its form.
ARN_ID = re.compile(rb"arn:[A-Za-z0-9:/_+=.,@-]+\Z")
MAX_ARN = 256


def identity_kind(ident):
    """'key' or 'kms' for a well-formed identity (bytes), else None."""
    if SHA256_ID.match(ident):
        return "key"
    if len(ident) <= MAX_ARN and ARN_ID.match(ident):
        return "kms"
    return None


def parse_label(label):
    """The identities of a non-empty label, or BAD_HEADER (FORMAT.md, "Header",
    "Key identities")."""
    idents = label.split(b" ")
    kinds = [identity_kind(i) for i in idents]
    if None in kinds or len(set(kinds)) != len(kinds):
        raise EnvelopeError("BAD_HEADER", f"malformed stanza label {label!r}")
    return idents


# ------------------------------------------------------------------ header


@dataclass
class Stanza:
    label: bytes
    wrapped: bytes


@dataclass
class Header:
    raw: bytes
    salt: bytes
    stanzas: list


def encode_stanza(label, wrapped, label_len=None, wrapped_len=None):
    return (struct.pack(">H", len(label) if label_len is None else label_len) + label +
            struct.pack(">H", len(wrapped) if wrapped_len is None else wrapped_len) + wrapped)


def encode_header(salt, stanzas, *, magic=MAGIC, version=VERSION, suite=SUITE, flags=0,
                  header_len=None, chunk_size=CHUNK_SIZE, stanza_count=None, extra=b""):
    """FORMAT.md, "Header". stanzas: encoded stanza bytes. The keyword arguments other
    than the defaults make malformed headers; extra is appended after the
    stanzas and counted in header_len."""
    body = (salt + struct.pack(">I", chunk_size) +
            bytes([len(stanzas) if stanza_count is None else stanza_count]) +
            b"".join(stanzas) + extra)
    total = 16 + len(body)
    return (magic + bytes([version, suite]) + struct.pack(">H", flags) +
            struct.pack(">I", total if header_len is None else header_len) + body)


class Cursor:
    """Bounded reads over the header bytes; running out is BAD_HEADER."""

    def __init__(self, data, pos):
        self.data, self.pos = data, pos

    def take(self, n, what):
        if n > len(self.data) - self.pos:
            raise EnvelopeError("BAD_HEADER", f"{what} runs past header_len")
        piece = self.data[self.pos:self.pos + n]
        self.pos += n
        return piece

    def u16(self, what):
        return struct.unpack(">H", self.take(2, what))[0]


def parse_header(data):
    """FORMAT.md, "Header", in the order it gives. Returns (Header, payload bytes)."""
    if data and len(data) < len(MAGIC) and MAGIC.startswith(data):
        raise EnvelopeError("TRUNCATED", "input ends inside the magic")
    if data[:len(MAGIC)] != MAGIC:
        raise EnvelopeError("NOT_ENVELOPE")
    if len(data) < 16:
        raise EnvelopeError("TRUNCATED", "input ends inside the header")
    version, suite, flags = data[8], data[9], struct.unpack(">H", data[10:12])[0]
    if version != VERSION or suite != SUITE or flags != 0:
        raise EnvelopeError("UNKNOWN_VERSION", f"version {version} suite {suite} flags {flags}")
    header_len = struct.unpack(">I", data[12:16])[0]
    if not MIN_HEADER_LEN <= header_len <= MAX_HEADER_LEN:
        raise EnvelopeError("BAD_HEADER", f"header_len {header_len}")
    if len(data) < header_len:
        raise EnvelopeError("TRUNCATED", "input ends inside the header")
    raw = data[:header_len]
    cur = Cursor(raw, 16)
    salt = cur.take(16, "salt")
    chunk_size = struct.unpack(">I", cur.take(4, "chunk_size"))[0]
    if chunk_size != CHUNK_SIZE:
        raise EnvelopeError("BAD_HEADER", f"chunk_size {chunk_size}")
    count = cur.take(1, "stanza_count")[0]
    if not 1 <= count <= MAX_STANZAS:
        raise EnvelopeError("BAD_HEADER", f"stanza_count {count}")
    stanzas = []
    for _ in range(count):
        label_len = cur.u16("label_len")
        if label_len > MAX_LABEL_LEN:
            raise EnvelopeError("BAD_HEADER", f"label_len {label_len}")
        label = cur.take(label_len, "label")
        if label:
            parse_label(label)
        wrapped_len = cur.u16("wrapped_len")
        if wrapped_len not in WRAPPED_LENS:
            raise EnvelopeError("BAD_HEADER", f"wrapped_len {wrapped_len}")
        stanzas.append(Stanza(label, cur.take(wrapped_len, "wrapped_key")))
    if cur.pos != header_len:
        raise EnvelopeError("BAD_HEADER", f"{header_len - cur.pos} bytes after the stanzas")
    return Header(raw, salt, stanzas), data[header_len:]


def stanza_trials(header, rsa_privates):
    """FORMAT.md, "Key identities": (stanza, key) pairs in the order a reader tries them. A
    stanza whose label names one of the keys goes to that key alone; then
    each key in turn tries the stanzas no key claims and whose label holds
    no fingerprint (empty, or KMS ARNs only). Local keys only: a reader's
    KMS keys come after these, within the KMS budget."""
    ids = [key_id(k).encode() for k in rsa_privates]
    labels = [parse_label(st.label) if st.label else [] for st in header.stanzas]
    claimed = [any(i in idents for i in ids) for idents in labels]
    for key, mine in zip(rsa_privates, ids):
        for st, idents in zip(header.stanzas, labels):
            if mine in idents:
                yield st, key
    for key in rsa_privates:
        for st, idents, taken in zip(header.stanzas, labels, claimed):
            if not taken and not any(identity_kind(i) == "key" for i in idents):
                yield st, key


def unwrap_data_key(header, rsa_private):
    """FORMAT.md, "Key identities" with one RSA private key or a list of them; any failure is
    NOT_RECIPIENT."""
    keys = rsa_private if isinstance(rsa_private, (list, tuple)) else [rsa_private]
    for st, key in stanza_trials(header, keys):
        try:
            data_key = key.decrypt(st.wrapped, OAEP)
        except ValueError:
            continue
        if len(data_key) == DATA_KEY_LEN:
            return data_key
    raise EnvelopeError("NOT_RECIPIENT")


# ------------------------------------------------------------------ stream


def encrypt_payload(pkey, archive, chunk_size=CHUNK_SIZE):
    """FORMAT.md, "Payload: STREAM": the list of encrypted chunks."""
    assert archive, "the archive is never empty"
    pieces = [archive[i:i + chunk_size] for i in range(0, len(archive), chunk_size)]
    gcm = AESGCM(pkey)
    return [gcm.encrypt(chunk_nonce(i, i == len(pieces) - 1), p, None)
            for i, p in enumerate(pieces)]


def decrypt_chunks(pkey, payload):
    """FORMAT.md, "Payload: STREAM", as a generator of authenticated plaintext chunks, so that
    the archive reader sees chunk i only after it authenticates and its
    errors come before those of later chunks (FORMAT.md, "Opening, in order")."""
    gcm = AESGCM(pkey)
    full = CHUNK_SIZE + TAG_SIZE
    if not payload:
        raise EnvelopeError("TRUNCATED", "no chunk after the header")
    pos, i = 0, 0
    while True:
        piece = payload[pos:pos + full]
        last = pos + full >= len(payload)
        if len(piece) <= TAG_SIZE:  # a chunk is never empty: the input ends inside one
            raise EnvelopeError("TRUNCATED", f"input ends inside chunk {i}")
        opened = try_open(gcm, i, piece, final=last)
        if opened is not None:
            yield opened
            if last:
                return
            pos, i = pos + full, i + 1
            continue
        if try_open(gcm, i, piece, final=not last) is None:
            raise EnvelopeError("TAMPERED", f"chunk {i} fails authentication")
        if last:
            raise EnvelopeError("TRUNCATED", f"chunk {i} is not the final chunk")
        raise EnvelopeError("TRAILING_DATA", f"data after the final chunk {i}")


def try_open(gcm, i, piece, final):
    try:
        return gcm.decrypt(chunk_nonce(i, final), piece, None)
    except InvalidTag:
        return None


class Plaintext:
    """Pulls authenticated chunks on demand: read(n) returns fewer than n
    bytes only at the end of the payload."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.buf = bytearray()
        self.done = False

    def read(self, n):
        while len(self.buf) < n and not self.done:
            try:
                self.buf += next(self.chunks)
            except StopIteration:
                self.done = True
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def rest(self):
        out = bytearray(self.read(len(self.buf)))
        while not self.done:
            out += self.read(CHUNK_SIZE)
        return bytes(out)


# ------------------------------------------------------------- inner tar

# ustar header fields: (offset, size)
F_NAME, F_MODE, F_UID, F_GID = (0, 100), (100, 8), (108, 8), (116, 8)
F_SIZE, F_MTIME, F_CHKSUM, F_TYPE = (124, 12), (136, 12), (148, 8), (156, 1)
F_LINK, F_MAGIC, F_VERSION = (157, 100), (257, 6), (263, 2)
F_UNAME, F_GNAME, F_DEVMAJ, F_DEVMIN, F_PREFIX = (265, 32), (297, 32), (329, 8), (337, 8), (345, 155)
USTAR_MAGIC, USTAR_VERSION = b"ustar\x00", b"00"
MAX_OCTAL_SIZE = 8 ** 11 - 1
MAX_MTIME = 2 ** 31 - 2  # the largest mtime writers write (FORMAT.md, "Inner archive")


def octal(value, size):
    """size-1 octal digits and a NUL, as ustar writes numbers."""
    text = b"%0*o" % (size - 1, value)
    assert len(text) == size - 1, (value, size)
    return text + b"\x00"


def checksum(block):
    return sum(block[:148]) + 8 * 32 + sum(block[156:])


def ustar_header(name, size, *, typeflag=b"0", mtime=0, mode=0o600, linkname=b"",
                 magic=USTAR_MAGIC, version=USTAR_VERSION, prefix=b"", bad_checksum=False,
                 size_field=None):
    """One 512-byte ustar header, as FORMAT.md, "Inner archive" says writers make it (mode
    0600, uid/gid 0, empty user and group names); the keyword arguments make
    hostile ones. name longer than 100 bytes is cut (a pax path then holds it)."""
    h = bytearray(BLOCK)

    def put(fld, value):
        off, size_ = fld
        assert len(value) <= size_, (fld, value)
        h[off:off + len(value)] = value

    put(F_NAME, name[:100])
    put(F_MODE, octal(mode, 8))
    put(F_UID, octal(0, 8))
    put(F_GID, octal(0, 8))
    put(F_SIZE, octal(min(size, MAX_OCTAL_SIZE) if size_field is None else size_field, 12))
    put(F_MTIME, octal(mtime, 12))
    put(F_TYPE, typeflag)
    put(F_LINK, linkname)
    put(F_MAGIC, magic)
    put(F_VERSION, version)
    put(F_DEVMAJ, octal(0, 8))
    put(F_DEVMIN, octal(0, 8))
    put(F_PREFIX, prefix)
    put(F_CHKSUM, b"%06o\x00 " % (checksum(h) + (1 if bad_checksum else 0)))
    return bytes(h)


def pax_records(pairs):
    """The body of a pax extended header: "LEN KEY=VALUE\\n" records."""
    out = b""
    for key, value in pairs:
        body = b" " + key + b"=" + value + b"\n"
        n = len(body) + 1
        while len(str(n)) + len(body) != n:
            n += 1
        out += str(n).encode() + body
    return out


def padded(data):
    return data + b"\x00" * (-len(data) % BLOCK)


def needs_pax(name, size):
    return len(name) > 100 or any(b >= 0x80 for b in name) or size > MAX_OCTAL_SIZE


def tar_entry(name, data, *, mtime=0, pax=None, **header_knobs):
    """A regular-file entry with its data, preceded by a pax extended header
    only where ustar cannot hold the name or size (FORMAT.md, "Inner archive"). pax=True
    forces one, pax=False forbids it, a list of (key, value) gives its records."""
    if pax is None:
        pax = needs_pax(name, len(data))
    out = b""
    if pax:
        records = pax if isinstance(pax, list) else []
        if pax is True:
            if len(name) > 100 or any(b >= 0x80 for b in name):
                records.append((b"path", name))
            if len(data) > MAX_OCTAL_SIZE:
                records.append((b"size", str(len(data)).encode()))
        body = pax_records(records)
        out += ustar_header(b"PaxHeader", len(body), typeflag=b"x", mtime=mtime) + padded(body)
    return out + ustar_header(name, len(data), mtime=mtime, **header_knobs) + padded(data)


def tar_archive(entries, end_zeros=2 * BLOCK):
    """entries (bytes from tar_entry), then the end-of-archive zeros."""
    return b"".join(entries) + b"\x00" * end_zeros


def valid_message_name(name):
    """FORMAT.md, "Inner archive", on bytes."""
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return (1 <= len(name) <= 255 and not name.startswith(b".") and
            not name.startswith(b"manifest.") and
            not any(b == 0x2F or b < 0x20 or b == 0x7F for b in name))


def parse_octal(field_, what):
    text = field_.rstrip(b"\x00 ").lstrip(b" ")
    if not text or not re.fullmatch(rb"[0-7]+", text):
        raise EnvelopeError("BAD_ARCHIVE", f"{what} is not an octal number: {field_!r}")
    return int(text, 8)


def cstring(field_):
    """A NUL-terminated (or full-width) header string."""
    return field_.split(b"\x00", 1)[0]


def get(block, fld):
    off, size = fld
    return block[off:off + size]


def parse_pax(body):
    """Records of a pax extended header: only `path` and `size`, once each."""
    out, pos = {}, 0
    while pos < len(body):
        m = re.match(rb"([1-9][0-9]*) ", body[pos:pos + 24])
        if not m:
            raise EnvelopeError("BAD_ARCHIVE", "malformed pax record")
        n = int(m.group(1))
        rec = body[pos + len(m.group(0)):pos + n]
        if pos + n > len(body) or not rec.endswith(b"\n") or b"=" not in rec:
            raise EnvelopeError("BAD_ARCHIVE", "malformed pax record")
        key, value = rec[:-1].split(b"=", 1)
        if key not in (b"path", b"size") or key in out:
            raise EnvelopeError("BAD_ARCHIVE", f"pax record {key!r} not allowed")
        out[key] = value
        pos += n
    if b"size" in out and not re.fullmatch(rb"(0|[1-9][0-9]*)", out[b"size"]):
        raise EnvelopeError("BAD_ARCHIVE", "malformed pax size")
    return out


def read_header_block(src):
    block = src.read(BLOCK)
    if len(block) < BLOCK:
        raise EnvelopeError("BAD_ARCHIVE", "archive ends inside the entries")
    if block == bytes(BLOCK):
        raise EnvelopeError("BAD_ARCHIVE", "end of archive before three entries")
    if parse_octal(get(block, F_CHKSUM), "checksum") != checksum(block):
        raise EnvelopeError("BAD_ARCHIVE", "header checksum")
    if get(block, F_MAGIC) != USTAR_MAGIC or get(block, F_VERSION) != USTAR_VERSION:
        raise EnvelopeError("BAD_ARCHIVE", "not a POSIX ustar header")
    return block


def read_data(src, size):
    data = src.read(size)
    if len(data) < size or len(src.read(-size % BLOCK)) < -size % BLOCK:
        raise EnvelopeError("BAD_ARCHIVE", "archive ends inside an entry's data")
    return data


def read_entry(src, index, max_size):
    """Entry `index` (0: message, 1: manifest.json, 2: manifest.sig): its
    header (with an optional pax header first) and data, by FORMAT.md, "Inner archive"."""
    block = read_header_block(src)
    pax = {}
    if get(block, F_TYPE) == b"x":
        pax_len = parse_octal(get(block, F_SIZE), "pax size")
        if pax_len > BLOCK:
            raise EnvelopeError("BAD_ARCHIVE", f"{pax_len} bytes of pax records")
        pax = parse_pax(read_data(src, pax_len))
        block = read_header_block(src)
    if get(block, F_TYPE) != b"0":
        raise EnvelopeError("BAD_ARCHIVE", f"entry type {get(block, F_TYPE)!r}")
    if cstring(get(block, F_LINK)) or cstring(get(block, F_PREFIX)):
        raise EnvelopeError("BAD_ARCHIVE", "linkname or prefix set")
    name = pax.get(b"path", cstring(get(block, F_NAME)))
    size = int(pax[b"size"]) if b"size" in pax else parse_octal(get(block, F_SIZE), "size")
    if index == 0:
        if not valid_message_name(name):
            raise EnvelopeError("BAD_ARCHIVE", f"message name {name!r}")
        if max_size and size > max_size:
            raise EnvelopeError("TOO_LARGE", f"{size} bytes")
    else:
        want, limit = ((b"manifest.json", MAX_MANIFEST) if index == 1
                       else (b"manifest.sig", MAX_SIG))
        if name != want:
            raise EnvelopeError("BAD_ARCHIVE", f"entry {index + 1} is {name!r}, not {want!r}")
        if size > limit:
            raise EnvelopeError("BAD_ARCHIVE", f"{want!r} of {size} bytes")
    return name, read_data(src, size)


def read_archive(src, max_size):
    """Steps 5 and 6: the three entries, the end-of-archive marker, and only
    zeros after it up to the end of the payload."""
    entries = [read_entry(src, i, max_size) for i in range(3)]
    end = src.read(BLOCK)  # judged before the next block is pulled
    if end != bytes(BLOCK) and len(end) == BLOCK:
        raise EnvelopeError("BAD_ARCHIVE", "a fourth entry")
    if len(end) == BLOCK:
        end += src.read(BLOCK)
    if end != bytes(2 * BLOCK):
        raise EnvelopeError("BAD_ARCHIVE", "no end-of-archive marker")
    if src.rest().strip(b"\x00"):
        raise EnvelopeError("BAD_ARCHIVE", "non-zero bytes after the end of the archive")
    return entries


# ---------------------------------------------------------------- manifest


def encode_manifest(obj):
    """FORMAT.md, "Manifest": the canonical bytes for a dict built in the order it gives."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_manifest(name, message, header, recipients, signer, created):
    """recipients: one {"key": ID} (and/or "kms") dict per stanza."""
    return encode_manifest({
        "format": "libenvelope/1",
        "name": name.decode("utf-8", "replace"),  # hostile names may be invalid
        "size": len(message),
        "sha512": hashlib.sha512(message).hexdigest(),
        "header_sha256": hashlib.sha256(header).hexdigest(),
        "recipients": recipients,
        "signer": signer,
        "created": created,
    })


MEMBERS = ("format", "name", "size", "sha512", "header_sha256", "recipients", "signer",
           "created")
HEX128 = re.compile(r"[0-9a-f]{128}\Z")
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")


def bad_manifest(why):
    return EnvelopeError("BAD_MANIFEST", why)


def reject_constant(name):
    raise bad_manifest(f"JSON constant {name}")


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise bad_manifest("duplicate member")
    return dict(pairs)


def check_identities(obj, allow_empty, what):
    if type(obj) is not dict or list(obj) not in ([], ["key"], ["kms"], ["key", "kms"]):
        raise bad_manifest(f"{what} is not an identity object (key, then kms)")
    if not obj and not allow_empty:
        raise bad_manifest(f"{what} has no identity")
    for kind, ident in obj.items():
        if type(ident) is not str or identity_kind(ident.encode("utf-8")) != kind:
            raise bad_manifest(f"{what}: malformed {kind} identity")


def parse_created(text):
    if type(text) is not str or not CREATED.match(text):
        raise bad_manifest("created")
    try:
        when = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise bad_manifest(f"created {text!r} is not a real time") from None
    if when.year < 1000:
        raise bad_manifest(f"created {text!r} is before the year 1000")
    return when


def parse_manifest(raw):
    """FORMAT.md, "Manifest": strict JSON, every member checked, canonical bytes."""
    try:
        text = raw.decode("utf-8")
        obj = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        if isinstance(e, EnvelopeError):
            raise
        raise bad_manifest(f"not JSON: {e}") from None
    if type(obj) is not dict or tuple(obj) != MEMBERS:
        raise bad_manifest("members missing, unknown or out of order")
    if obj["format"] != "libenvelope/1":
        raise bad_manifest("format")
    if type(obj["name"]) is not str or not valid_message_name(
            obj["name"].encode("utf-8", "surrogatepass")):
        raise bad_manifest("name")
    if type(obj["size"]) is not int or not 0 <= obj["size"] < 2 ** 63:
        raise bad_manifest("size")
    for member, pattern in (("sha512", HEX128), ("header_sha256", HEX64)):
        if type(obj[member]) is not str or not pattern.match(obj[member]):
            raise bad_manifest(member)
    if type(obj["recipients"]) is not list or not obj["recipients"]:
        raise bad_manifest("recipients")
    for i, r in enumerate(obj["recipients"]):
        check_identities(r, False, f"recipient {i}")
    check_identities(obj["signer"], True, "signer")
    created = parse_created(obj["created"])
    if encode_manifest(obj) != raw:
        raise bad_manifest("not the canonical encoding")
    return obj, created


# ------------------------------------------------------------------- armor

ARMOR_BEGIN = b"-----BEGIN LIBENVELOPE ENVELOPE-----"
ARMOR_END = b"-----END LIBENVELOPE ENVELOPE-----"
ARMOR_COLUMNS = 64
B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def armor(envelope, line_end=b"\n"):
    """FORMAT.md, "ASCII armor", as writers write it (line_end other than LF for vectors)."""
    text = base64.b64encode(envelope)
    lines = [text[i:i + ARMOR_COLUMNS] for i in range(0, len(text), ARMOR_COLUMNS)]
    return b"".join(line + line_end for line in [ARMOR_BEGIN, *lines, ARMOR_END])


def is_armored(data):
    """FORMAT.md, "ASCII armor": after blank-line bytes, "-----BEGIN " (with the space)."""
    return data.lstrip(b" \t\r\n").startswith(b"-----BEGIN ")


def armor_fault(line_no, why):
    return EnvelopeError("NOT_ENVELOPE", f"armor, line {line_no}: {why}")


def base64_line_faults(lines):
    """The base64 lines (number, text) between BEGIN and END (FORMAT.md, "ASCII armor", item 3)."""
    if not lines:
        raise armor_fault(1, "the END line, with no data before it")
    for k, (no, line) in enumerate(lines):
        last = k == len(lines) - 1
        if not line:
            raise armor_fault(no, "an empty line inside the armor")
        if len(line) > ARMOR_COLUMNS:
            raise armor_fault(no, f"longer than {ARMOR_COLUMNS} characters")
        if any(c not in B64_ALPHABET and c != ord("=") for c in line):
            raise armor_fault(no, "a byte that is not a base64 character")
        data = line.rstrip(b"=")
        if b"=" in data or len(line) - len(data) > 2 or (b"=" in line and not last):
            raise armor_fault(no, "'=' inside the data")
        if not last and len(line) != ARMOR_COLUMNS:
            raise armor_fault(no, f"{len(line)} base64 characters; every line but the last "
                                  f"has {ARMOR_COLUMNS}")
        if last and len(line) % 4:
            raise armor_fault(no, f"{len(line)} base64 characters, not a multiple of 4")


def dearmor(data):
    """FORMAT.md, "ASCII armor": the envelope an armored input holds, or NOT_ENVELOPE."""
    # Lines end at LF; spaces, tabs and CRs at their ends are transport.
    lines = [(no, line.rstrip(b" \t\r")) for no, line in enumerate(data.split(b"\n"), 1)]
    i = 0
    while i < len(lines) and lines[i][1] == b"":
        i += 1
    if i == len(lines):
        raise EnvelopeError("NOT_ENVELOPE", "armor: no BEGIN line")
    if lines[i][1] != ARMOR_BEGIN:
        raise armor_fault(lines[i][0], "not the BEGIN line")
    end = next((j for j in range(i + 1, len(lines)) if lines[j][1] == ARMOR_END), None)
    if end is None:
        raise armor_fault(lines[-1][0], "the input ends before the END line")
    base64_line_faults(lines[i + 1:end])
    text = b"".join(line for _, line in lines[i + 1:end])
    try:
        decoded = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error; the checks above leave no case for it
        raise armor_fault(lines[end - 1][0], "not base64") from None
    if base64.b64encode(decoded) != text:
        raise armor_fault(lines[end - 1][0], "non-canonical base64")
    for no, line in lines[end + 1:]:
        if line:
            raise armor_fault(no, "a second armor block" if line.startswith(b"-----BEGIN ")
                              else "text after the END line")
    if decoded[:len(MAGIC)] != MAGIC[:len(decoded[:len(MAGIC)])]:
        raise armor_fault(lines[i + 1][0], "the armor holds no v1 envelope")
    return decoded


# -------------------------------------------------------------------- open


@dataclass
class Opened:
    name: bytes
    message: bytes
    manifest: dict
    signer: str  # key_id of the trusted key that verified the signature
    header: Header = field(repr=False)


def verify_any(trusted, manifest, sig):
    for key in trusted:
        try:
            public_of(key).verify(sig, manifest, ec.ECDSA(hashes.SHA512()))
            return key
        except InvalidSignature:
            continue
    raise EnvelopeError("UNTRUSTED_SIGNER")


def open_envelope(data, decrypt_key, trusted_keys, *, max_size=0, max_age=0,
                  max_skew=MAX_SKEW_DEFAULT, now=None):
    """FORMAT.md, "Opening, in order", after decoding any armor ("ASCII armor");
    the first failing step raises EnvelopeError.
    decrypt_key: an RSA private key, or a list of them; trusted_keys: P-521 keys; max_size and
    max_age (seconds) 0 for no limit; max_skew: seconds the creation time may be ahead of now,
    0 to MAX_SKEW_LIMIT (else ValueError); now: a datetime, default the clock."""
    if not 0 <= max_skew <= MAX_SKEW_LIMIT:
        raise ValueError(f"max_skew {max_skew}: 0 to {MAX_SKEW_LIMIT} seconds")
    if is_armored(data):                                                # FORMAT.md, "ASCII armor"
        data = dearmor(data)
    header, payload = parse_header(data)                                # 1
    data_key = unwrap_data_key(header, decrypt_key)                     # 2
    pkey = payload_key(data_key, header.raw)                            # 3
    src = Plaintext(decrypt_chunks(pkey, payload))                      # 4
    (name, message), (_, manifest), (_, sig) = read_archive(src, max_size)  # 5, 6
    signer = verify_any(trusted_keys, manifest, sig)                    # 7
    obj, created = parse_manifest(manifest)                             # 8
    if obj["header_sha256"] != hashlib.sha256(header.raw).hexdigest():
        raise EnvelopeError("FORWARDED")
    if (obj["name"].encode("utf-8") != name or obj["size"] != len(message) or
            obj["sha512"] != hashlib.sha512(message).hexdigest()):
        raise EnvelopeError("MESSAGE_MISMATCH")
    if max_size and len(message) > max_size:
        raise EnvelopeError("TOO_LARGE")
    # whole seconds, as the creation time has them
    now = (now or datetime.datetime.now(datetime.timezone.utc)).replace(microsecond=0)
    if created > now + datetime.timedelta(seconds=max_skew):
        ahead = int((created - now).total_seconds())
        raise EnvelopeError("TOO_OLD", f"created {utc_text(created)}, {ahead} s ahead of this "
                                       f"machine's clock ({utc_text(now)}); the allowed skew is "
                                       f"{max_skew} s")
    if max_age and created < now - datetime.timedelta(seconds=max_age):
        raise EnvelopeError("TOO_OLD")
    return Opened(name, message, obj, key_id(signer), header)           # 9


# -------------------------------------------------------------------- seal


class SeededRandom:
    """Deterministic bytes from a seed (SHAKE-256 in counter mode), for the
    salt and the data key of reproducible vectors."""

    def __init__(self, seed):
        self.seed, self.counter = seed.encode() if isinstance(seed, str) else seed, 0

    def __call__(self, n):
        self.counter += 1
        return hashlib.shake_256(self.seed + self.counter.to_bytes(8, "big")).digest(n)


def default_random(n):
    import os
    return os.urandom(n)


def utc_text(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Sealed:
    """What seal made, the pieces kept for building broken variants."""
    envelope: bytes
    header: bytes
    data_key: bytes
    archive: bytes
    manifest: bytes
    sig: bytes


def seal(message, *, name, sign_key, recipients, hide=False, created=None,
         random=default_random, labels=None, header_knobs=None, manifest=None,
         edit_manifest=None, sig=None, archive=None, chunk_size=CHUNK_SIZE):
    """Seals message (bytes) under name (bytes) to the RSA recipients, signed
    with the P-521 sign_key. Knobs, all for broken envelopes:
      labels        a label (bytes) per stanza instead of the key ids
      header_knobs  passed to encode_header (magic, version, flags, ...)
      edit_manifest called with the manifest dict, returns the bytes to sign
      manifest      the manifest bytes to sign, as is
      sig           the signature bytes to store
      archive       called with (name, message, manifest, sig), returns the
                    inner archive bytes to encrypt
    """
    created = created or utc_text(datetime.datetime.now(datetime.timezone.utc))
    salt, data_key = random(16), random(DATA_KEY_LEN)
    ids = [key_id(r) for r in recipients]
    if labels is None:
        labels = [b"" if hide else i.encode() for i in ids]
    stanzas = [encode_stanza(lb, wrap(r, data_key)) for lb, r in zip(labels, recipients)]
    header = encode_header(salt, stanzas, **(header_knobs or {}))
    fields = ([{"key": i} for i in ids], {"key": key_id(sign_key)}, created)
    if manifest is None:
        manifest = make_manifest(name, message, header, *fields)
        if edit_manifest:
            manifest = edit_manifest(json.loads(manifest))
    if sig is None:
        sig = sign(sign_key, manifest)
    if archive is None:
        archive = default_archive
    inner = archive(name, message, manifest, sig, mtime=created_seconds(created))
    chunks = encrypt_payload(payload_key(data_key, header), inner, chunk_size)
    return Sealed(header + b"".join(chunks), header, data_key, inner, manifest, sig)


def created_seconds(created):
    """The tar mtime for a creation time: clamped to 0 .. 2**31 - 2 (FORMAT.md, "Inner archive")."""
    try:
        t = int(datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp())
    except ValueError:
        return 0
    return min(max(t, 0), MAX_MTIME)


def default_archive(name, message, manifest, sig, mtime=0, end_zeros=2 * BLOCK):
    """The inner archive as FORMAT.md, "Inner archive" says writers make it."""
    return tar_archive([tar_entry(name, message, mtime=mtime),
                        tar_entry(b"manifest.json", manifest, mtime=mtime),
                        tar_entry(b"manifest.sig", sig, mtime=mtime)], end_zeros)


def reencrypt(archive, recipients, *, random=default_random, hide=False):
    """A fresh header and payload around an existing inner archive: what a
    recipient who forwards a signed message to a third party does."""
    salt, data_key = random(16), random(DATA_KEY_LEN)
    stanzas = [encode_stanza(b"" if hide else key_id(r).encode(), wrap(r, data_key))
               for r in recipients]
    header = encode_header(salt, stanzas)
    return header + b"".join(encrypt_payload(payload_key(data_key, header), archive))


def decrypt_archive(data, decrypt_key):
    """The authenticated inner archive of an envelope, unchecked: for
    building variants of an existing envelope."""
    header, payload = parse_header(data)
    pkey = payload_key(unwrap_data_key(header, decrypt_key), header.raw)
    return b"".join(decrypt_chunks(pkey, payload))


# --------------------------------------------------------------------- CLI


def main(argv=None):
    import argparse
    import sys

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("open", help="open an envelope, print the message to stdout")
    o.add_argument("--decrypt-key", action="append", required=True)
    o.add_argument("--verify-key", action="append", required=True)
    o.add_argument("--max-size", type=int, default=0)
    o.add_argument("--max-age", type=int, default=0)
    o.add_argument("--max-skew", type=int, default=MAX_SKEW_DEFAULT)
    o.add_argument("envelope")
    s = sub.add_parser("seal", help="seal a file, write the envelope to stdout")
    s.add_argument("--sign-key", required=True)
    s.add_argument("--to", action="append", required=True)
    s.add_argument("--name")
    s.add_argument("--hide-recipients", action="store_true")
    s.add_argument("--armor", action="store_true",
                   help="write ASCII armor (FORMAT.md, 'ASCII armor')")
    s.add_argument("input")
    a = p.parse_args(argv)
    if a.cmd == "open":
        with open(a.envelope, "rb") as f:
            data = f.read()
        try:
            got = open_envelope(data, [load_key(k) for k in a.decrypt_key],
                                [load_key(k) for k in a.verify_key],
                                max_size=a.max_size, max_age=a.max_age,
                                max_skew=a.max_skew)
        except EnvelopeError as e:
            print(f"envelope_ref: {e}", file=sys.stderr)
            return 1
        sys.stdout.buffer.write(got.message)
        return 0
    import os
    with open(a.input, "rb") as f:
        message = f.read()
    name = (a.name or os.path.basename(a.input)).encode()
    out = seal(message, name=name, sign_key=load_key(a.sign_key),
               recipients=[load_key(k) for k in a.to], hide=a.hide_recipients)
    sys.stdout.buffer.write(armor(out.envelope) if a.armor else out.envelope)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
