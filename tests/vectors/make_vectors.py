#!/usr/bin/python3
"""Makes the test vectors in this directory with tests/envelope_ref.py.

    /usr/bin/python3 tests/vectors/make_vectors.py [--out DIR]

writes every envelope (*.env), the messages the positive ones hold
(messages/), index.tsv and README.md. The salt and the data key of each
envelope come from a generator seeded with the vector's file name; RSA-OAEP
and ECDSA draw their own randomness inside OpenSSL, so a new run gives other
bytes with the same meaning. The committed files are the vectors; this script
is how they were made, and how to make more.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import zipfile
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import envelope_ref as ref  # noqa: E402

CREATED = "2024-01-01T00:00:00Z"
FULL_CHUNK = ref.CHUNK_SIZE + ref.TAG_SIZE
HELLO = b"Hello, world.\n"


@dataclass
class Vector:
    file: str
    data: bytes
    expect: str                       # "OK" or an error name
    doc: str
    decrypt: str = "alice.pem"
    trusted: tuple = ("signer.pub",)
    max_size: int = 0
    max_age: int = 0
    max_skew: int = None              # None: the default, 300
    name: bytes = b""                 # OK: the message's name
    message: bytes = b""              # OK: the message
    message_file: str = ""            # OK: where the message is kept

    def options(self):
        opts = [f"{k}={v}" for k, v in (("max_size", self.max_size),
                                        ("max_age", self.max_age)) if v]
        if self.max_skew is not None:
            opts.append(f"max_skew={self.max_skew}")
        return ",".join(opts) or "-"


class Keys:
    """Keys in keys/, loaded once: k.get("alice.pem"), or k.alice for alice.pub."""

    def __init__(self, directory):
        self.dir = directory
        self.cache = {}

    def __getattr__(self, stem):
        if stem.startswith("_"):
            raise AttributeError(stem)
        return self.get(stem + ".pub")

    def get(self, file):
        if file not in self.cache:
            self.cache[file] = ref.load_key(os.path.join(self.dir, file))
        return self.cache[file]


class Builder:
    """Collects the vectors; each seal draws its salt and data key from a
    generator seeded with the vector's file name."""

    def __init__(self, keys):
        self.k = keys
        self.vectors = []

    def seal(self, file, message=HELLO, name=b"hello.txt", to=("alice",), sign="signer",
             **knobs):
        knobs.setdefault("created", CREATED)
        return ref.seal(message, name=name, sign_key=self.k.get(sign + ".pem"),
                        recipients=[self.k.get(r + ".pub") for r in to],
                        random=ref.SeededRandom(file), **knobs)

    def ok(self, file, doc, message=HELLO, name=b"hello.txt", openers=("alice.pem",),
           message_file=None, **knobs):
        sealed = self.seal(file, message, name, **knobs)
        mfile = message_file or "messages/" + file[:-len(".env")] + ".msg"
        for dec in openers:
            self.vectors.append(Vector(file, sealed.envelope, "OK", doc, decrypt=dec,
                                       name=name, message=message, message_file=mfile))
        return sealed

    def bad(self, file, expect, doc, data, **opts):
        self.vectors.append(Vector(file, data, expect, doc, **opts))

    def bad_seal(self, file, expect, doc, opts=None, **knobs):
        sealed = self.seal(file, **knobs)
        self.bad(file, expect, doc, sealed.envelope, **(opts or {}))
        return sealed


# ------------------------------------------------------------ archives


def entry(name, data, **knobs):
    return ref.tar_entry(name, data, mtime=1704067200, **knobs)


def archive_of(*entries, end_zeros=2 * ref.BLOCK):
    return ref.tar_archive(list(entries), end_zeros)


def with_archive(make):
    """An `archive` knob for seal: make(msg_entry, manifest_entry, sig_entry,
    name, message) returns the archive bytes."""
    def build(name, message, manifest, sig, mtime=0):
        return make(entry(name, message), entry(b"manifest.json", manifest),
                    entry(b"manifest.sig", sig), name, message)
    return build


def from_parts(make):
    """An `archive` knob for seal: make(name, message, manifest, sig) returns
    the archive bytes."""
    def build(name, message, manifest, sig, mtime=0):
        return make(name, message, manifest, sig)
    return build


def retouch(data, **fields):
    """The entry `data` with fields of its ustar header (the last header
    block, after any pax header) set to the given bytes, each padded with
    NULs to the field's width, and the checksum made right again unless
    given too. Field names are those of envelope_ref without F_."""
    pos = 0
    if data[ref.F_TYPE[0]:ref.F_TYPE[0] + 1] == b"x":
        size = ref.parse_octal(ref.get(data, ref.F_SIZE), "pax size")
        pos = ref.BLOCK + len(ref.padded(bytes(size)))
    h = bytearray(data[pos:pos + ref.BLOCK])
    for key, value in fields.items():
        off, width = getattr(ref, "F_" + key.upper())
        assert len(value) <= width, (key, value)
        h[off:off + width] = value + bytes(width - len(value))
    if "chksum" not in fields:
        h[148:156] = b"%06o\x00 " % ref.checksum(h)
    return data[:pos] + bytes(h) + data[pos + ref.BLOCK:]


def dirty_padding(data, size, fill=b"\xa5"):
    """The entry `data` (header and data of `size` bytes) with its zero
    padding replaced by `fill` bytes."""
    pad = -size % ref.BLOCK
    return data[:len(data) - pad] + fill * pad if pad else data


def sized_archive(total):
    """An `archive` knob making the archive exactly `total` bytes long by the
    number of zeros after the end-of-archive marker."""
    def build(name, message, manifest, sig, mtime=0):
        body = b"".join([entry(name, message), entry(b"manifest.json", manifest),
                         entry(b"manifest.sig", sig)])
        assert total - len(body) >= 2 * ref.BLOCK, (total, len(body))
        return body + bytes(total - len(body))
    return build


def message_for_archive(total, name, room=0):
    """A message as large as fits an archive of `total` bytes with 1024 zeros
    at the end (less `room` bytes), assuming a manifest of at most 1024."""
    fixed = 3 * ref.BLOCK + 2 * ref.BLOCK + 2 * ref.BLOCK  # headers, manifest, sig
    size = (total - 2 * ref.BLOCK - fixed) // ref.BLOCK * ref.BLOCK - room
    return pattern(size, name)


def pattern(n, seed):
    return ref.SeededRandom(b"message " + seed)(n) if n else b""


def cpio_newc(name, data):
    """A one-file cpio archive (SVR4 "newc"), for a payload that is not tar."""
    def record(nm, body, mode):
        fields = [1, mode, 0, 0, 1, 1704067200, len(body), 0, 0, 0, 0, len(nm) + 1, 0]
        head = b"070701" + b"".join(b"%08X" % f for f in fields) + nm + b"\x00"
        return head + bytes(-len(head) % 4) + body + bytes(-len(body) % 4)
    out = record(name, data, 0o100600) + record(b"TRAILER!!!", b"", 0)
    return out + bytes(-len(out) % 512)


def zip_of(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo(name.decode(), (2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def gnu_header(block):
    """The same header with GNU tar's magic ("ustar  \\0") instead of POSIX's."""
    h = bytearray(block[:ref.BLOCK])
    h[257:265] = b"ustar  \x00"
    h[148:156] = b"%06o\x00 " % ref.checksum(h)
    return bytes(h) + block[ref.BLOCK:]


# ------------------------------------------------------------ manifests


def edit(change):
    """An edit_manifest knob: change(dict) returns the dict (or bytes) to sign."""
    def run(obj):
        out = change(obj)
        return out if isinstance(out, bytes) else ref.encode_manifest(out)
    return run


def reorder(obj, first, second):
    keys = list(obj)
    i, j = keys.index(first), keys.index(second)
    keys[i], keys[j] = keys[j], keys[i]
    return {k: obj[k] for k in keys}


def replace(obj, key, value):
    return {k: (value if k == key else v) for k, v in obj.items()}


# ------------------------------------------------------------ the vectors


def positive(b):
    k = b.k
    b.ok("ok-one-recipient.env", "One recipient (alice, RSA-2048), labelled.")
    b.ok("ok-three-recipients.env",
         "Three recipients: alice (RSA-2048), carol (RSA-3072), dave (RSA-4096); each "
         "key opens it.", to=("alice", "carol", "dave"),
         openers=("alice.pem", "carol.pem", "dave.pem"))
    b.ok("ok-empty.env", "An empty message.", message=b"", name=b"empty")
    b.ok("ok-binary.env", "The 256 byte values, 0 to 255.", message=bytes(range(256)),
         name=b"bytes.bin")
    b.ok("ok-multi-chunk.env", "A 200 KiB message: four chunks, the last one short.",
         message=pattern(200 * 1024, b"multi"), name=b"multi.bin")
    for total in (65535, 65536, 65537, 2 * 65536):
        name = b"archive-%d.bin" % total
        msg = message_for_archive(total, name, room=100 if total % 512 else 0)
        sealed = b.ok(f"ok-archive-{total}.env",
                      f"The inner archive is exactly {total} bytes "
                      f"({-(-total // 65536)} chunk(s), the last of "
                      f"{(total - 1) % 65536 + 1} bytes); zero padding of any length "
                      "(at least 1024) may end it.",
                      message=msg, name=name, archive=sized_archive(total))
        assert len(sealed.archive) == total
    b.ok("ok-hidden-labels.env",
         "Two recipients, labels hidden (empty): bob's key tries the first stanza, "
         "then opens the second.", to=("alice", "bob"), hide=True,
         openers=("bob.pem", "alice.pem"))
    b.ok("ok-long-name.env",
         "A 200-byte message name: a pax extended header carries it.",
         name=b"n" * 196 + b".txt")
    b.ok("ok-utf8-name.env", "A non-ASCII UTF-8 name, in a pax extended header.",
         name="résumé – 履歴書 ✓.txt".encode())
    arn = b"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    b.ok("ok-arn-label.env",
         "The stanza for alice is labelled with a KMS ARN only (an identity the "
         "reader's local key lacks), another with bob's fingerprint: the reader skips "
         "bob's and tries the ARN one.", to=("bob", "alice"),
         labels=[ref.key_id(k.bob).encode(), arn])
    b.ok("ok-label-two-ids.env",
         "A stanza label holding both kinds of identity, fingerprint and ARN.",
         labels=[ref.key_id(k.alice).encode() + b" " + arn])
    b.ok("ok-name-escapes.env", "A name with a double quote and a backslash, which the "
         "manifest escapes.", name=b'say "hi" \\ bye.txt')
    b.ok("ok-name-255.env", "A name of 255 bytes, the longest allowed.", name=b"x" * 255)
    b.ok("ok-manifest-hints.env",
         "The manifest's recipients (two, neither alice) and signer (other-signer) "
         "disagree with the header and the real signer: they are informational.",
         edit_manifest=edit(lambda o: {**o, "recipients": [{"key": ref.key_id(k.bob)},
                                                             {"kms": arn.decode()}],
                                       "signer": {"key": ref.key_id(k.get("other-signer.pub"))}}))
    b.ok("ok-pax-size.env", "The message's size in a pax `size` record, its ustar size "
         "field 0: the pax record counts.",
         archive=with_archive(lambda m, j, s, n, d: archive_of(
             entry(n, d, pax=[(b"size", b"%d" % len(d))], size_field=0), j, s)))
    b.ok("ok-pax-path.env", "An ASCII name in a pax `path` record (not needed) while "
         "the ustar name field says other.txt: the pax record counts.",
         archive=with_archive(lambda m, j, s, n, d: archive_of(
             entry(b"other.txt", d, pax=[(b"path", n)]), j, s)))
    b.ok("ok-pax-each.env", "A pax extended header before each of the three entries, "
         "each with a `path` record ustar could have held; the `x` entries have names of "
         "their own and manifest.json's ustar name field is empty. The archive ends "
         "right after manifest.sig's data, wherever its header began.",
         archive=from_parts(lambda n, d, j, s: archive_of(
             entry(n, d, pax=[(b"path", n)]),
             retouch(entry(b"manifest.json", j, pax=[(b"path", b"manifest.json")]), name=b""),
             entry(b"manifest.sig", s, pax=[(b"path", b"manifest.sig")]))))
    b.ok("ok-pax-sig-size.env", "Only manifest.sig has a pax extended header: a `size` "
         "record, with 100 in its ustar size field; the record counts.",
         archive=from_parts(lambda n, d, j, s: archive_of(
             entry(n, d), entry(b"manifest.json", j),
             entry(b"manifest.sig", s, pax=[(b"size", b"%d" % len(s))], size_field=100))))
    b.ok("ok-pax-sig-end-zeros.env", "A pax header (`path`) before manifest.sig, then "
         "the end-of-archive marker and 1000 more zero bytes (not a whole block).",
         archive=from_parts(lambda n, d, j, s: archive_of(
             entry(n, d), entry(b"manifest.json", j),
             entry(b"manifest.sig", s, pax=[(b"path", b"manifest.sig")]),
             end_zeros=2 * ref.BLOCK + 1000)))
    b.ok("ok-octal-forms.env", "Numbers written other ways than writers do: sizes with "
         "leading spaces and a space at the end, or few digits and NULs after them; "
         "mode, uid, gid, mtime and checksum with leading spaces and a space at the end.",
         archive=from_parts(lambda n, d, j, s: archive_of(
             retouch(entry(n, d), size=b"   %o " % len(d)),
             retouch(entry(b"manifest.json", j), size=b"%o" % len(j)),
             retouch(entry(b"manifest.sig", s), mode=b"   600 ", uid=b"     0 ",
                     gid=b"     0 ", mtime=b"%o " % 1704067200))))
    b.ok("ok-header-fields.env", "Mode, uid, gid, user and group names and mtime other "
         "than writers write (0755, 1000, 1000, alice, staff, 0 and the largest octal "
         "time): none of them is interpreted.",
         archive=from_parts(lambda n, d, j, s: archive_of(*(
             retouch(entry(nm, data), mode=b"0000755\x00", uid=b"0001750\x00",
                     gid=b"0001750\x00", uname=b"alice", gname=b"staff",
                     mtime=b"%011o\x00" % t)
             for nm, data, t in ((n, d, 0), (b"manifest.json", j, 8 ** 11 - 1),
                                 (b"manifest.sig", s, 0))))))
    b.ok("ok-data-padding.env", "The padding after each entry's data, manifest.sig's "
         "included, is 0xA5 bytes instead of zeros: it is not looked at.",
         archive=from_parts(lambda n, d, j, s: archive_of(
             dirty_padding(entry(n, d), len(d)), dirty_padding(entry(b"manifest.json", j),
                                                               len(j)),
             dirty_padding(entry(b"manifest.sig", s), len(s)))))
    b.ok("ok-name-100.env", "A name of exactly 100 bytes, filling the ustar name field "
         "with no NUL after it and no pax header.", name=b"h" * 96 + b".txt")
    b.vectors.append(Vector("ok-one-recipient.env", b.vectors[0].data, "OK",
                            "Second trusted key verifies: each is tried in turn.",
                            trusted=("other-signer.pub", "signer.pub"), name=b"hello.txt",
                            message=HELLO, message_file="messages/ok-one-recipient.msg"))
    b.vectors.append(Vector("ok-one-recipient.env", b.vectors[0].data, "OK",
                            "max_size equal to the message size.", max_size=len(HELLO),
                            name=b"hello.txt", message=HELLO,
                            message_file="messages/ok-one-recipient.msg"))


def header_faults(b):
    k = b.k
    good = b.vectors[0].data
    hl = struct.unpack(">I", good[12:16])[0]
    b.bad("bad-magic.env", "NOT_ENVELOPE", "The magic's first byte is 0x88.",
          b"\x88" + good[1:])
    b.bad("bad-garbage.env", "NOT_ENVELOPE", "1000 pseudo-random bytes.",
          ref.SeededRandom("garbage")(1000))
    b.bad("bad-empty-file.env", "NOT_ENVELOPE", "An empty file.", b"")
    b.bad("bad-cut-in-magic.env", "TRUNCATED",
          "The first 5 bytes of the magic and nothing more.", good[:5])
    for what, knobs in (("version", {"version": 2}), ("suite", {"suite": 2}),
                        ("flags", {"flags": 1})):
        b.bad_seal(f"bad-{what}.env", "UNKNOWN_VERSION",
                   f"{what} is {list(knobs.values())[0]}.", header_knobs=knobs)
    b.bad_seal("bad-chunk-size.env", "BAD_HEADER", "chunk_size is 32768 (and so are "
               "the chunks).", header_knobs={"chunk_size": 32768}, chunk_size=32768)
    b.bad("bad-header-len-296.env", "BAD_HEADER", "header_len 296, below the minimum.",
          good[:12] + struct.pack(">I", 296) + good[16:])
    b.bad("bad-header-len-65537.env", "BAD_HEADER",
          "header_len 65537, above the maximum.",
          good[:12] + struct.pack(">I", 65537) + good[16:])
    b.bad("bad-header-len-short.env", "BAD_HEADER",
          "header_len one byte short of the stanzas: the wrapped key runs past it.",
          good[:12] + struct.pack(">I", hl - 1) + good[16:])
    b.bad_seal("bad-header-trailing.env", "BAD_HEADER",
               "Four zero bytes after the last stanza, counted in header_len.",
               header_knobs={"extra": bytes(4)})
    b.bad_seal("bad-stanzas-0.env", "BAD_HEADER",
               "stanza_count 0 (the stanza bytes still follow).",
               header_knobs={"stanza_count": 0})
    b.bad_seal("bad-stanzas-17.env", "BAD_HEADER",
               "17 stanzas, all to alice.", to=("alice",) * 17)
    # A 300-byte wrapped key: the field and the bytes agree, the value is not allowed.
    salt = bytes(16)
    stanza = ref.encode_stanza(ref.key_id(k.alice).encode(), bytes(300))
    b.bad("bad-wrapped-len.env", "BAD_HEADER", "wrapped_len 300.",
          ref.encode_header(salt, [stanza]) + bytes(100))
    stanza = ref.encode_stanza(b"a" * 1025, ref.wrap(k.alice, bytes(32)))
    b.bad("bad-label-len.env", "BAD_HEADER", "label_len 1025.",
          ref.encode_header(salt, [stanza]) + bytes(100))
    for tag, label, why in (
            ("word", b"alice", "a word that is no identity"),
            ("upper-hex", ref.key_id(k.alice).upper().replace("SHA256", "sha256").encode(),
             "a fingerprint in upper-case hex"),
            ("two-spaces", ref.key_id(k.alice).encode() + b"  " + ref.key_id(k.bob).encode(),
             "two identities separated by two spaces"),
            ("two-fingerprints", ref.key_id(k.alice).encode() + b" " + ref.key_id(k.bob).encode(),
             "two fingerprints (one of each kind at most)")):
        b.bad_seal(f"bad-label-{tag}.env", "BAD_HEADER", f"A stanza label holding {why}.",
                   labels=[label])
    b.bad_seal("bad-label-nul.env", "BAD_HEADER", "A stanza label holding alice's "
               "fingerprint, a NUL and more bytes (a reader must not stop at the NUL).",
               labels=[ref.key_id(k.alice).encode() + b"\x00junk"])


def recipient_faults(b):
    k = b.k
    b.bad_seal("bad-not-recipient.env", "NOT_RECIPIENT",
               "Sealed to bob, opened with alice's key.", to=("bob",))
    b.bad_seal("bad-not-recipient-hidden.env", "NOT_RECIPIENT",
               "Sealed to bob and carol with hidden labels, opened with alice's key.",
               to=("bob", "carol"), hide=True)
    b.bad_seal("bad-mislabelled.env", "NOT_RECIPIENT",
               "The only stanza is wrapped to alice but labelled with bob's fingerprint: "
               "alice's key skips it.", labels=[ref.key_id(k.bob).encode()])


def chunks_of(sealed):
    hl = len(sealed.header)
    p = sealed.envelope[hl:]
    return sealed.header, [p[i:i + FULL_CHUNK] for i in range(0, len(p), FULL_CHUNK)]


def stream_faults(b):
    three = b.seal("stream-base", message=pattern(2 * 65536 + 1000, b"three"),
                   name=b"three.bin")
    header, chunks = chunks_of(three)
    assert len(chunks) == 3 and len(chunks[2]) < FULL_CHUNK
    flip = bytearray(three.envelope)
    flip[len(header) + 1000] ^= 1
    b.bad("bad-tampered-chunk.env", "TAMPERED", "One bit flipped in chunk 0 of 3.",
          bytes(flip))
    one = b.vectors[0].data
    for file, pos, doc in (
            ("bad-tampered-tag.env", len(one) - 1, "One bit flipped in the (only) chunk's tag."),
            ("bad-tampered-salt.env", 20,
             "One bit flipped in the header's salt: the payload key changes.")):
        flip = bytearray(one)
        flip[pos] ^= 1
        b.bad(file, "TAMPERED", doc, bytes(flip))
    b.bad("bad-swapped-chunks.env", "TAMPERED", "Chunks 0 and 1 swapped.",
          header + chunks[1] + chunks[0] + chunks[2])
    b.bad("bad-duplicated-chunk.env", "TAMPERED", "Chunk 0 twice, then chunks 1 and 2.",
          header + chunks[0] + chunks[0] + chunks[1] + chunks[2])
    b.bad("bad-dropped-chunk.env", "TAMPERED", "Chunk 1 left out.",
          header + chunks[0] + chunks[2])
    b.bad("bad-truncated-final-missing.env", "TRUNCATED",
          "The final chunk left out: the input ends after a whole chunk that opens "
          "only as non-final.", header + chunks[0] + chunks[1])
    b.bad("bad-truncated-mid-chunk.env", "TAMPERED",
          "Cut in the middle of chunk 1: the last piece opens neither as final nor "
          "as non-final, which is tampering (FORMAT.md, 'Payload: STREAM').",
          header + chunks[0] + chunks[1][:30000])
    b.bad("bad-truncated-short-piece.env", "TRUNCATED",
          "Cut 10 bytes into chunk 1: a last piece too short to be a chunk (at most 16 "
          "bytes) is truncation.",
          header + chunks[0] + chunks[1][:10])
    b.bad("bad-truncated-after-header.env", "TRUNCATED",
          "The header and no chunk at all.", header)
    b.bad("bad-truncated-in-header.env", "TRUNCATED",
          "Cut inside the header's wrapped key.", header[:200])
    b.bad("bad-trailing-after-short-final.env", "TAMPERED",
          "A short final chunk followed by 7 bytes: read as one piece, it opens "
          "neither way.", three.envelope + b"trailer")
    full = b.seal("stream-full", message=message_for_archive(2 * 65536, b"full"),
                  name=b"full.bin", archive=sized_archive(2 * 65536))
    header, chunks = chunks_of(full)
    assert [len(c) for c in chunks] == [FULL_CHUNK, FULL_CHUNK]
    b.bad("bad-trailing-data.env", "TRAILING_DATA",
          "A whole final chunk followed by 7 bytes.", full.envelope + b"trailer")
    # An empty final chunk after a whole one: a writer must not make it.
    pkey = ref.payload_key(full.data_key, header)
    gcm = ref.AESGCM(pkey)
    c0 = gcm.encrypt(ref.chunk_nonce(0, False), full.archive[:65536], None)
    c1 = gcm.encrypt(ref.chunk_nonce(1, False), full.archive[65536:], None)
    c2 = gcm.encrypt(ref.chunk_nonce(2, True), b"", None)
    b.bad("bad-empty-final-chunk.env", "TRUNCATED",
          "Two whole non-final chunks, then an empty final chunk (16 bytes, the tag "
          "alone): a final chunk is never empty.", header + c0 + c1 + c2)


def archive_faults(b):
    bad = "BAD_ARCHIVE"

    def tar(file, doc, make, **kw):
        b.bad_seal(file, bad, doc, archive=with_archive(make), **kw)

    tar("bad-tar-symlink.env", "The first entry is a symbolic link to hello.txt.",
        lambda m, j, s, n, d: archive_of(entry(b"link", b"", typeflag=b"2",
                                               linkname=b"hello.txt"), j, s))
    tar("bad-tar-hardlink.env", "The first entry is a hard link to manifest.json.",
        lambda m, j, s, n, d: archive_of(entry(b"link", b"", typeflag=b"1",
                                               linkname=b"manifest.json"), j, s))
    tar("bad-tar-directory.env", "The first entry is a directory.",
        lambda m, j, s, n, d: archive_of(entry(b"dir", b"", typeflag=b"5"), j, s))
    tar("bad-tar-fifo.env", "The first entry is a FIFO.",
        lambda m, j, s, n, d: archive_of(entry(b"fifo", b"", typeflag=b"6"), j, s))
    tar("bad-tar-chardev.env", "The first entry is a character device.",
        lambda m, j, s, n, d: archive_of(entry(b"tty", b"", typeflag=b"3"), j, s))
    for tag, name in (("dotdot", b"../x"), ("slash", b"a/b"), ("dot", b".hidden"),
                      ("manifest-txt", b"manifest.txt"), ("control", b"a\x01b"),
                      ("del", b"a\x7fb"), ("256", b"x" * 256),
                      ("not-utf8", b"\xff\xfe.bin")):
        b.bad_seal(f"bad-tar-name-{tag}.env", bad,
                   f"The message is named {name!r} (name and manifest agree).", name=name)
    tar("bad-tar-duplicate.env", "The message twice, then the manifest and signature.",
        lambda m, j, s, n, d: archive_of(m, m, j, s))
    tar("bad-tar-fourth-entry.env", "A fourth entry after manifest.sig.",
        lambda m, j, s, n, d: archive_of(m, j, s, entry(b"extra.txt", b"extra\n")))
    tar("bad-tar-order.env", "manifest.json first, then the message.",
        lambda m, j, s, n, d: archive_of(j, m, s))
    tar("bad-tar-order-sig.env", "manifest.sig before manifest.json.",
        lambda m, j, s, n, d: archive_of(m, s, j))
    tar("bad-tar-no-sig.env", "No manifest.sig: the end-of-archive marker after "
        "manifest.json.", lambda m, j, s, n, d: archive_of(m, j))
    tar("bad-tar-gzip.env", "The right tar archive, gzip-compressed.",
        lambda m, j, s, n, d: gzip.compress(archive_of(m, j, s), mtime=0))
    tar("bad-tar-cpio.env", "A cpio (newc) archive of the message.",
        lambda m, j, s, n, d: cpio_newc(n, d))
    tar("bad-tar-zip.env", "A zip archive of the message.",
        lambda m, j, s, n, d: zip_of(n, d))
    tar("bad-tar-padding.env", "Non-zero bytes after the end-of-archive marker.",
        lambda m, j, s, n, d: archive_of(m, j, s) + b"junk" + bytes(508))
    tar("bad-tar-marker-half.env", "One zero block after manifest.sig, then the end.",
        lambda m, j, s, n, d: archive_of(m, j, s, end_zeros=512))
    tar("bad-tar-no-marker.env", "The archive ends right after manifest.sig's data.",
        lambda m, j, s, n, d: archive_of(m, j, s, end_zeros=0))
    tar("bad-tar-short-data.env", "The message's header says 100 bytes more than "
        "follow; the archive ends early.",
        lambda m, j, s, n, d: ref.ustar_header(n, len(d) + 100) + d)
    tar("bad-tar-gnu-magic.env", "The message's header has GNU tar's magic "
        "(\"ustar  \\0\"), not POSIX ustar's.",
        lambda m, j, s, n, d: archive_of(gnu_header(m), j, s))
    tar("bad-tar-checksum.env", "The message's header checksum is off by one.",
        lambda m, j, s, n, d: archive_of(entry(n, d, bad_checksum=True), j, s))
    tar("bad-tar-manifest-large.env", "manifest.json of 4097 bytes (spaces).",
        lambda m, j, s, n, d: archive_of(m, entry(b"manifest.json", b" " * 4097), s))
    tar("bad-tar-sig-large.env", "manifest.sig of 140 bytes.",
        lambda m, j, s, n, d: archive_of(m, j, entry(b"manifest.sig", bytes(140))))

    def parts(file, doc, make):
        b.bad_seal(file, bad, doc, archive=from_parts(make))

    parts("bad-tar-pax-path-nul.env", "The message's pax `path` record is hello.txt, a "
          "NUL, then more bytes (the manifest says hello.txt).",
          lambda n, d, j, s: archive_of(entry(n, d, pax=[(b"path", n + b"\x00junk")]),
                                        entry(b"manifest.json", j), entry(b"manifest.sig", s)))
    parts("bad-tar-pax-sig-path-nul.env", "manifest.sig's pax `path` record is "
          "manifest.sig, a NUL, then more bytes.",
          lambda n, d, j, s: archive_of(entry(n, d), entry(b"manifest.json", j),
                                        entry(b"manifest.sig", s,
                                              pax=[(b"path", b"manifest.sig\x00x")])))
    parts("bad-tar-pax-size-nul.env", "The message's pax `size` record is its size "
          "followed by a NUL.",
          lambda n, d, j, s: archive_of(entry(n, d, pax=[(b"size", b"%d\x00" % len(d))]),
                                        entry(b"manifest.json", j), entry(b"manifest.sig", s)))
    parts("bad-tar-pax-key-nul.env", "The message's pax record has the keyword "
          "\"path\", a NUL and \"x\", with hello.txt as its value.",
          lambda n, d, j, s: archive_of(entry(b"other.txt", d, pax=[(b"path\x00x", n)]),
                                        entry(b"manifest.json", j), entry(b"manifest.sig", s)))
    parts("bad-tar-pax-keyword.env", "The message's pax header holds an `mtime` record "
          "besides its `path`.",
          lambda n, d, j, s: archive_of(entry(n, d, pax=[(b"path", n), (b"mtime", b"0")]),
                                        entry(b"manifest.json", j), entry(b"manifest.sig", s)))
    parts("bad-tar-pax-gnu-magic.env", "The message's pax extended header has GNU tar's "
          "magic (\"ustar  \\0\"); the message's own header is POSIX.",
          lambda n, d, j, s: archive_of(gnu_header(entry(n, d, pax=[(b"path", n)])),
                                        entry(b"manifest.json", j), entry(b"manifest.sig", s)))
    parts("bad-tar-checksum-digit.env", "manifest.sig's header checksum is right, but an "
          "octal digit follows its NUL: no ustar number.",
          lambda n, d, j, s: archive_of(entry(n, d), entry(b"manifest.json", j),
                                        retouch(entry(b"manifest.sig", s),
                                                chksum=b"%06o\x000" % ref.checksum(
                                                    ref.ustar_header(b"manifest.sig", len(s),
                                                                     mtime=1704067200)))))
    parts("bad-tar-pax-path-twice.env", "The message's pax header gives its `path` twice, "
          "the same both times.",
          lambda n, d, j, s: archive_of(entry(n, d, pax=[(b"path", n), (b"path", n)]),
                                        entry(b"manifest.json", j), entry(b"manifest.sig", s)))
    parts("bad-tar-size-junk.env", "manifest.json's ustar size field is its octal size, a "
          "NUL, then letters.",
          lambda n, d, j, s: archive_of(entry(n, d),
                                        retouch(entry(b"manifest.json", j),
                                                size=b"%o\x00abc" % len(j)),
                                        entry(b"manifest.sig", s)))
    for file, expect, doc, size in (
            ("bad-tar-pax-size-over-64-bits.env", "TOO_LARGE",
             "The message's pax `size` record is 18446744073709551616, opened with "
             "max_size 9999: too large, whatever the number of digits.",
             b"18446744073709551616"),
            ("bad-tar-pax-long.env", bad,
             "The message's pax `size` record has 590 digits, its records 600 bytes, "
             "opened with max_size 9999: records over one block are refused at their "
             "header.", b"1" * 590)):
        b.bad_seal(file, expect, doc, opts={"max_size": 9999},
                   archive=from_parts(lambda n, d, j, s, size=size: archive_of(
                       entry(n, d, pax=[(b"size", size)]), entry(b"manifest.json", j),
                       entry(b"manifest.sig", s))))
    parts("bad-tar-prefix-pax.env", "The message's ustar prefix field says junk while a "
          "pax `path` record gives its name: a non-empty prefix is refused all the same.",
          lambda n, d, j, s: archive_of(entry(n, d, pax=[(b"path", n)], prefix=b"junk"),
                                        entry(b"manifest.json", j), entry(b"manifest.sig", s)))


def signature_faults(b):
    b.bad_seal("bad-untrusted-signer.env", "UNTRUSTED_SIGNER",
               "Signed by other-signer; only signer is trusted.", sign="other-signer")
    b.bad_seal("bad-signature-garbage.env", "UNTRUSTED_SIGNER",
               "manifest.sig holds 139 zero bytes.", sig=bytes(139))
    other = b.seal("other-manifest", message=b"other")
    b.bad_seal("bad-signature-other-manifest.env", "UNTRUSTED_SIGNER",
               "manifest.sig is a valid signature by signer, of another manifest.",
               sig=other.sig)


def manifest_faults(b):
    bad = "BAD_MANIFEST"
    cases = [
        ("json", "Not JSON: the closing brace is missing.",
         lambda o: ref.encode_manifest(o)[:-1]),
        ("whitespace", "Valid JSON with a space after each separator.",
         lambda o: json.dumps(o, ensure_ascii=False).encode()),
        ("order", "The members name and size swapped.", lambda o: reorder(o, "name", "size")),
        ("unknown-member", "An extra member at the end.", lambda o: {**o, "extra": 1}),
        ("duplicate-member", "The member created twice.",
         lambda o: ref.encode_manifest(o)[:-1] + b',"created":"' + o["created"].encode()
         + b'"}'),
        ("missing-member", "No signer member.",
         lambda o: {k: v for k, v in o.items() if k != "signer"}),
        ("format", "format is libenvelope/2.", lambda o: replace(o, "format", "libenvelope/2")),
        ("upper-hex", "sha512 in upper-case hex.",
         lambda o: replace(o, "sha512", o["sha512"].upper())),
        ("size-string", "size as a string.", lambda o: replace(o, "size", str(o["size"]))),
        ("size-float", "size written 14.0.",
         lambda o: ref.encode_manifest(o).replace(b'"size":14,', b'"size":14.0,')),
        ("escape", "The name written with a \\u escape for its first letter.",
         lambda o: ref.encode_manifest(o).replace(b'"name":"h', b'"name":"\\u0068')),
        ("created", "created on 30 February.",
         lambda o: replace(o, "created", "2024-02-30T00:00:00Z")),
        ("leap-second", "created at 23:59:60.",
         lambda o: replace(o, "created", "2016-12-31T23:59:60Z")),
        ("kms-before-key", "A recipient object with kms before key.",
         lambda o: replace(o, "recipients", [{"kms": "arn:aws:kms:eu-west-1:111122223333:key/k",
                                              "key": o["recipients"][0]["key"]}])),
        ("created-year", "created in the year 0999.",
         lambda o: replace(o, "created", "0999-12-31T00:00:00Z")),
        ("created-form", "created without the Z.",
         lambda o: replace(o, "created", "2024-01-01T00:00:00")),
        ("recipient-empty", "A recipient object with no identity.",
         lambda o: replace(o, "recipients", [{}])),
        ("recipients-empty", "An empty recipients array.",
         lambda o: replace(o, "recipients", [])),
        ("recipient-alias", "A recipient named by a KMS alias.",
         lambda o: replace(o, "recipients", [{"kms": "alias/sample"}])),
        ("name", "The manifest names the message ../x (the archive says hello.txt).",
         lambda o: replace(o, "name", "../x")),
        ("not-utf8", "A byte 0xFF inside the name string.",
         lambda o: ref.encode_manifest(o).replace(b'"name":"h', b'"name":"\xffh')),
        ("name-nul", "The name is hello.txt, an escaped NUL (\\u0000) and more: a reader "
         "of C strings would see hello.txt.",
         lambda o: ref.encode_manifest(o).replace(b'"name":"hello.txt"',
                                                  b'"name":"hello.txt\\u0000junk"')),
        ("key-nul", "The signer's fingerprint followed by an escaped NUL and more.",
         lambda o: ref.encode_manifest(o).replace(b'"},"created"', b'\\u0000x"},"created"')),
    ]
    for tag, doc, change in cases:
        b.bad_seal(f"bad-manifest-{tag}.env", bad, doc + " Correctly signed.",
                   edit_manifest=edit(change))
    b.bad_seal("bad-manifest-nan.env", bad, "size is NaN. Correctly signed.",
               edit_manifest=edit(lambda o: ref.encode_manifest(o).replace(
                   b'"size":14,', b'"size":NaN,')))


def binding_faults(b):
    k = b.k
    mm = "MESSAGE_MISMATCH"
    b.bad_seal("bad-mismatch-name.env", mm, "The manifest names other.txt.",
               edit_manifest=edit(lambda o: replace(o, "name", "other.txt")))
    b.bad_seal("bad-mismatch-size.env", mm, "The manifest's size is one more.",
               edit_manifest=edit(lambda o: replace(o, "size", o["size"] + 1)))
    b.bad_seal("bad-mismatch-sha512.env", mm, "The manifest's sha512 is of other bytes.",
               edit_manifest=edit(lambda o: replace(o, "sha512",
                                                    hashlib.sha512(b"other").hexdigest())))
    orig = b.seal("bad-forwarded.env/original")
    b.bad("bad-forwarded.env", "FORWARDED",
          "alice opened an envelope for her and sealed its inner archive, signature "
          "untouched, to bob under a fresh header (surreptitious forwarding).",
          ref.reencrypt(orig.archive, [k.bob], random=ref.SeededRandom("bad-forwarded.env")),
          decrypt="bob.pem")
    b.bad_seal("bad-forwarded-hash.env", "FORWARDED",
               "header_sha256 is the hash of another header.",
               edit_manifest=edit(lambda o: replace(o, "header_sha256", "00" * 32)))
    big = pattern(10000, b"large")
    b.bad_seal("bad-too-large.env", "TOO_LARGE",
               "A 10000-byte message, opened with max_size 9999.",
               opts={"max_size": 9999}, message=big, name=b"large.bin")
    b.bad_seal("bad-too-old.env", "TOO_OLD",
               f"Created {CREATED}, opened with max_age one day.",
               opts={"max_age": 86400})
    future = b.bad_seal("bad-future.env", "TOO_OLD",
                        "Created 2099-01-01T00:00:00Z: more than 5 minutes in the future.",
                        created="2099-01-01T00:00:00Z")
    b.bad("bad-future.env", "TOO_OLD",
          "Created 2099-01-01T00:00:00Z: more than the widest skew a reader may allow, "
          "one day, in the future.", future.envelope, max_skew=86400)


def precedence(b):
    """Envelopes with two faults: the earlier step of FORMAT.md, "Opening, in order" wins."""
    b.bad_seal("order-untrusted-before-manifest.env", "UNTRUSTED_SIGNER",
               "A malformed manifest signed by an untrusted key: step 7 before step 8.",
               sign="other-signer", edit_manifest=edit(lambda o: ref.encode_manifest(o)[:-1]))
    b.bad_seal("order-manifest-before-forwarded.env", "BAD_MANIFEST",
               "A non-canonical manifest whose header_sha256 is wrong too.",
               edit_manifest=edit(lambda o: json.dumps(
                   replace(o, "header_sha256", "00" * 32)).encode()))
    b.bad_seal("order-forwarded-before-mismatch.env", "FORWARDED",
               "Wrong header_sha256 and wrong sha512.",
               edit_manifest=edit(lambda o: replace(replace(
                   o, "header_sha256", "00" * 32), "sha512", "00" * 64)))
    b.bad_seal("order-mismatch-before-age.env", "MESSAGE_MISMATCH",
               "Wrong size, opened with max_age one day.", opts={"max_age": 86400},
               edit_manifest=edit(lambda o: replace(o, "size", o["size"] + 1)))
    b.bad_seal("order-too-large-before-signature.env", "TOO_LARGE",
               "Over max_size and signed by an untrusted key: the size is checked as "
               "the archive is read (step 5).", sign="other-signer",
               opts={"max_size": 4})
    two_chunks = 70000  # zeros that carry the archive into a second chunk
    for file, expect, doc, tail in (
            ("order-archive-before-later-chunk.env", "BAD_ARCHIVE",
             "A fourth entry in chunk 0, and chunk 1 (all zeros) tampered: the archive "
             "fault is reached first.", lambda: entry(b"extra", b"") + bytes(two_chunks)),
            ("order-chunk-before-padding.env", "TAMPERED",
             "A non-zero byte after the marker in chunk 0, and chunk 1 tampered: the "
             "padding is checked only after the final chunk.",
             lambda: bytes(1024) + b"x" + bytes(two_chunks))):
        sealed = b.seal(file, archive=with_archive(
            lambda m, j, s, n, d, tail=tail: archive_of(m, j, s, end_zeros=0) + tail()))
        data = bytearray(sealed.envelope)
        data[len(sealed.header) + FULL_CHUNK + 5] ^= 1
        b.bad(file, expect, doc, bytes(data))
    sealed = b.seal("order-pax-before-later-chunk.env", message=bytes(64000), name=b"zeros.bin",
                    archive=with_archive(lambda m, j, s, n, d: archive_of(
                        m, entry(b"manifest.json", j, pax=[(b"mtime", b"0")]), s)))
    assert sealed.archive[ref.CHUNK_SIZE:ref.CHUNK_SIZE + 13] == b"manifest.json"
    data = bytearray(sealed.envelope)
    data[len(sealed.header) + FULL_CHUNK + 5] ^= 1
    b.bad("order-pax-before-later-chunk.env", "BAD_ARCHIVE",
          "manifest.json's pax header, with an `mtime` record, ends chunk 0, and chunk 1 "
          "(its ustar header) is tampered: the pax fault is reached first.", bytes(data))
    sealed = b.seal("order-truncated-before-signature.env", sign="other-signer",
                    archive=with_archive(lambda m, j, s, n, d: archive_of(
                        m, j, s, end_zeros=two_chunks)))
    b.bad("order-truncated-before-signature.env", "TRUNCATED",
          "Signed by an untrusted key, and the final chunk left out.",
          sealed.envelope[:len(sealed.header) + FULL_CHUNK])
    b.bad_seal("order-archive-before-signature.env", "BAD_ARCHIVE",
               "A fourth entry, and signed by an untrusted key.", sign="other-signer",
               archive=with_archive(lambda m, j, s, n, d: archive_of(
                   m, j, s, entry(b"extra", b""))))


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def armor_lines(text):
    return text.decode("ascii").split("\n")


def edit_line(text, no, change):
    """text with line no (from 1) replaced by change(line), a str; None drops it."""
    lines = armor_lines(text)
    new = change(lines[no - 1])
    lines[no - 1:no] = [] if new is None else [new]
    return "\n".join(lines).encode("ascii")


def armor_vectors(b):
    """FORMAT.md, "ASCII armor": armor that opens, through what channels do to text, and
    one fault of the armor per vector; the envelope inside opens otherwise."""
    good = b.vectors[0].data  # ok-one-recipient.env
    text = ref.armor(good)
    # 4480 bytes: the base64 ends in "==", which the padding vector needs
    assert len(good) % 3 == 1, len(good)
    last = len(armor_lines(text)) - 1  # the END line's number (a LF ends it)
    hello = dict(name=b"hello.txt", message=HELLO,
                 message_file="messages/ok-one-recipient.msg")
    b.vectors.append(Vector("ok-armor.env", text, "OK", "ok-one-recipient.env armored as "
                            "writers write it: BEGIN line, base64 in lines of 64, END line, "
                            "each ending in LF.", **hello))
    channel = (b"\r\n \t\r\n" + ref.armor(good, line_end=b" \t\r\n") + b"\r\n\r\n")
    b.vectors.append(Vector("ok-armor-channel.env", channel, "OK",
                            "The same through a channel: CRLF line ends, a space and a tab at "
                            "the end of every line, blank lines before the BEGIN line and "
                            "after the END line.", **hello))
    b.vectors.append(Vector("ok-armor-no-last-lf.env", text[:-1], "OK",
                            "No LF after the END line.", **hello))
    b.vectors.append(Vector("ok-armor-long-blank.env", b"\r\n" * 30 + text, "OK",
                            "60 bytes of blank lines before the BEGIN line: more than a "
                            "reader that looks at the first 64 bytes sees of it.", **hello))
    for file, doc, data in (
            ("bad-armor-second-block.env", "Two armored envelopes, one after the other.",
             text + text),
            ("bad-armor-text-after.env", "A line of text after the END line.",
             text + b"thanks!\n"),
            ("bad-armor-text-before.env", "A line of text before the BEGIN line.",
             b"Hi,\n" + text),
            ("bad-armor-no-end.env", "The END line left out.",
             edit_line(text, last, lambda s: None)),
            ("bad-armor-padding-bits.env", "Non-canonical base64: the character before "
             "the '==' padding of the last line has a bit set that the padding leaves "
             "unused (a lax decoder gives the same bytes).",
             edit_line(text, last - 1, lambda s: s[:-3] + B64[B64.index(s[-3]) ^ 1] + s[-2:])),
            ("bad-armor-equals-inside.env", "'=' in the middle of the third line.",
             edit_line(text, 3, lambda s: s[:10] + "=" + s[11:])),
            ("bad-armor-short-line.env", "The third line cut to 60 characters, the "
             "lines after it kept.", edit_line(text, 3, lambda s: s[:60])),
            ("bad-armor-long-line.env", "The third line with 4 more characters.",
             edit_line(text, 3, lambda s: s + "AAAA")),
            ("bad-armor-not-base64.env", "A '*' in the third line.",
             edit_line(text, 3, lambda s: s[:5] + "*" + s[6:])),
            ("bad-armor-empty-line.env", "An empty line between two base64 lines.",
             edit_line(text, 3, lambda s: s + "\n")),
            ("bad-armor-space-inside.env", "A space inside the third line.",
             edit_line(text, 3, lambda s: s[:32] + " " + s[33:])),
            ("bad-armor-begin-other.env", "Another kind of armor: the BEGIN line says "
             "PGP MESSAGE.", text.replace(b"BEGIN LIBENVELOPE ENVELOPE", b"BEGIN PGP MESSAGE")),
            ("bad-armor-no-envelope.env", "Armor around 300 zero bytes: no v1 envelope "
             "inside.", ref.armor(bytes(300)))):
        assert data != text
        b.bad(file, "NOT_ENVELOPE", doc, data)
    tampered = next(v for v in b.vectors if v.file == "bad-tampered-chunk.env")
    b.bad("bad-armor-tampered.env", "TAMPERED", "bad-tampered-chunk.env armored: the armor "
          "is sound, the envelope inside is checked as any other.", ref.armor(tampered.data))


def build(keys_dir):
    b = Builder(Keys(keys_dir))
    for part in (positive, header_faults, recipient_faults, stream_faults, archive_faults,
                 signature_faults, manifest_faults, binding_faults, precedence, armor_vectors):
        part(b)
    return b.vectors


# ------------------------------------------------------------ output


INDEX_HEAD = ("# file\tdecrypt_key\ttrusted_keys\toptions\texpect\tmessage_file\t"
              "message_name\tmessage_sha512\n")


def index_line(v):
    msg = (v.message_file, v.name.decode(), hashlib.sha512(v.message).hexdigest()) \
        if v.expect == "OK" else ("-", "-", "-")
    return "\t".join((v.file, v.decrypt, ",".join(v.trusted), v.options(), v.expect) +
                     msg) + "\n"


def write(vectors, out, envelopes=True):
    os.makedirs(os.path.join(out, "messages"), exist_ok=True)
    for v in vectors if envelopes else ():
        with open(os.path.join(out, v.file), "wb") as f:
            f.write(v.data)
        if v.expect == "OK":
            with open(os.path.join(out, v.message_file), "wb") as f:
                f.write(v.message)
    with open(os.path.join(out, "index.tsv"), "w", encoding="utf-8") as f:
        f.write(INDEX_HEAD)
        f.writelines(index_line(v) for v in vectors)
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme(vectors))


README_HEAD = """\
# Test vectors

Envelopes in the v1 format (docs/FORMAT.md) that must open, and envelopes
that must fail with one exact error. They were made by `make_vectors.py`
with `tests/envelope_ref.py`, an implementation of docs/FORMAT.md written
from the text alone; the C library (`tests/unit/test_vectors.c`) and that
implementation (`tests/test_reference.py`) must agree with every line of
`index.tsv`. This file is written by `make_vectors.py` too.

    /usr/bin/python3 tests/vectors/make_vectors.py               # remake them all
    /usr/bin/python3 tests/vectors/make_vectors.py --docs-only   # index and README only

The salt and data key of each envelope come from SHAKE-256 seeded with the
file name; OAEP and ECDSA take fresh randomness from OpenSSL, so a new run
makes different bytes that mean the same. Every envelope is signed on
{created} unless said otherwise.

## Keys (`keys/`)

Copies of keys from `tests/keys/` (made with the openssl CLI, see its
README), never to be used for anything else:

| file | key | fingerprint (`sha256:` + hex SHA-256 of the SPKI DER) |
| --- | --- | --- |
{keys}

## index.tsv

One line per way of opening a vector (an envelope may have several), tab
separated, `#` starts a comment:

| column | meaning |
| --- | --- |
| file | the envelope |
| decrypt_key | the private RSA key in `keys/` to open with |
| trusted_keys | the P-521 public keys in `keys/` to trust, comma separated |
| options | `-`, or `max_size=N`, `max_age=SECONDS` and/or `max_skew=SECONDS` (default 300), comma separated |
| expect | `OK`, or the error: `envelope_rc_name()` of the `envelope_rc` |
| message_file | OK: the message, in `messages/`; else `-` |
| message_name | OK: the message's name (UTF-8); else `-` |
| message_sha512 | OK: SHA-512 of the message, hex; else `-` |

Nothing in the index needs the current time except `max_age`, whose
envelopes are years old, and the future one, made for 2099.

## The vectors

"""


def readme(vectors):
    keys = {
        "signer": "ECDSA P-521, the trusted signer", "other-signer": "ECDSA P-521, untrusted",
        "alice": "RSA-2048", "bob": "RSA-2048", "carol": "RSA-3072", "dave": "RSA-4096",
    }
    k = Keys(os.path.join(HERE, "keys"))
    rows = "\n".join(f"| {n}.pem / {n}.pub | {what} | `{ref.key_id(k.get(n + '.pub'))}` |"
                     for n, what in keys.items())
    out = README_HEAD.format(created=CREATED, keys=rows)
    out += "| file | opened with | expect | what |\n| --- | --- | --- | --- |\n"
    for v in vectors:
        how = v.decrypt.replace(".pem", "")
        if v.trusted != ("signer.pub",):
            how += ", trusting " + " then ".join(t.replace(".pub", "") for t in v.trusted)
        if v.options() != "-":
            how += ", " + v.options()
        out += f"| {v.file} | {how} | {v.expect} | {v.doc.replace('|', '/')} |\n"
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=HERE, help="where to write (default: beside the script)")
    p.add_argument("--docs-only", action="store_true",
                   help="write index.tsv and README.md only, keeping the envelopes")
    a = p.parse_args()
    vectors = build(os.path.join(HERE, "keys"))
    write(vectors, a.out, envelopes=not a.docs_only)
    print(f"{len(vectors)} index lines, {len({v.file for v in vectors})} envelopes in {a.out}")


if __name__ == "__main__":
    main()
