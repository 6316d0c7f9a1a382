"""The reference implementation (tests/envelope_ref.py) against the test
vectors and against the C command-line tool, in both directions.

    make B=build all
    ENVELOPE_CLI=build/envelope /usr/bin/python3 -m pytest -q tests/test_reference.py

ENVELOPE_CLI defaults to build/envelope. Everything runs offline, with the
keys in tests/vectors/keys/.
"""

import datetime
import hashlib
import json
import os
import random
import subprocess
import sys

import pytest

import envelope_ref as ref

TESTS = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(TESTS, "vectors")
KEYS = os.path.join(VECTORS, "keys")
CLI = os.environ.get("ENVELOPE_CLI", os.path.join(os.path.dirname(TESTS), "build", "envelope"))


def key_file(name):
    return os.path.join(KEYS, name)


def key(name):
    return ref.load_key(key_file(name))


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- vectors


def index_lines():
    with open(os.path.join(VECTORS, "index.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    return [pytest.param(row, id=f"{row[0]}:{row[1]}:{row[2]}:{row[3]}") for row in rows]


def options(text):
    out = {}
    for opt in text.split(","):
        if opt != "-":
            name, value = opt.split("=")
            out[name] = int(value)
    return out


@pytest.mark.parametrize("row", index_lines())
def test_reference_opens_vector_as_indexed(row):
    file, decrypt, trusted, opts, expect, message_file, name, sha512 = row
    data = read(os.path.join(VECTORS, file))
    trusted_keys = [key(t) for t in trusted.split(",")]
    if expect != "OK":
        with pytest.raises(ref.EnvelopeError) as e:
            ref.open_envelope(data, key(decrypt), trusted_keys, **options(opts))
        assert e.value.name == expect, e.value.detail
        return
    got = ref.open_envelope(data, key(decrypt), trusted_keys, **options(opts))
    assert got.message == read(os.path.join(VECTORS, message_file))
    assert hashlib.sha512(got.message).hexdigest() == sha512
    assert got.name == name.encode("utf-8")
    assert got.signer == ref.key_id(key("signer.pub"))  # every vector's signer


def test_index_covers_every_error():
    expected = {row.values[0][4] for row in index_lines()}
    assert expected == {"OK"} | set(ref.ERROR_NAMES)


def test_make_vectors_still_makes_this_index(tmp_path):
    """The committed vectors are what make_vectors.py makes: its index and
    README (which hold no random bytes) come out the same."""
    proc = subprocess.run([sys.executable, os.path.join(VECTORS, "make_vectors.py"), "--out",
                           str(tmp_path)], capture_output=True, timeout=600)
    assert proc.returncode == 0, "make_vectors.py: exit %d: %s" % (
        proc.returncode, proc.stderr.decode(errors="replace")[-2000:])
    for name in ("index.tsv", "README.md"):
        assert (tmp_path / name).read_bytes() == read(os.path.join(VECTORS, name)), name
    committed = {f for f in os.listdir(VECTORS) if f.endswith(".env")}
    assert {f for f in os.listdir(tmp_path) if f.endswith(".env")} == committed


# ------------------------------------------------- across implementations

RECIPIENT_SETS = {
    "alice": ["alice"],
    "alice+carol+dave": ["alice", "carol", "dave"],
}
# 0, 1, one byte short of a whole first chunk of message, several chunks
SIZES = [0, 1, 65535, 200_000]


def message_of(size):
    return hashlib.shake_256(b"round trip %d" % size).digest(size) if size else b""


def run_cli(*args, ok=True):
    assert os.access(CLI, os.X_OK), f"{CLI}: build the CLI first, or set ENVELOPE_CLI"
    proc = subprocess.run([CLI, *args], capture_output=True, timeout=120)
    if ok:
        assert proc.returncode == 0, "%s: exit %d: %s" % (
            " ".join(args[:1]), proc.returncode, proc.stderr.decode(errors="replace")[-2000:])
    return proc


def cli_seal(tmp_path, message, name, recipients, hide=False):
    src = tmp_path / name
    src.write_bytes(message)
    out = tmp_path / "sealed.env"
    args = ["seal", "--sign-key", key_file("signer.pem"), "-o", str(out)]
    for r in recipients:
        args += ["--to", key_file(r + ".pub")]
    if hide:
        args.append("--hide-recipients")
    run_cli(*args, str(src))
    return out.read_bytes()


def cli_open(tmp_path, envelope, decrypt, ok=True):
    src = tmp_path / "to-open.env"
    src.write_bytes(envelope)
    out = tmp_path / "opened"
    if out.exists():
        out.unlink()
    proc = run_cli("open", "--decrypt-key", key_file(decrypt + ".pem"), "--verify-key",
                   key_file("signer.pub"), "-o", str(out), str(src), ok=ok)
    return proc, out


@pytest.mark.parametrize("hide", [False, True], ids=["labelled", "hidden"])
@pytest.mark.parametrize("recipients", list(RECIPIENT_SETS), ids=list(RECIPIENT_SETS))
@pytest.mark.parametrize("size", SIZES)
def test_c_seals_reference_opens(tmp_path, size, recipients, hide):
    message = message_of(size)
    names = RECIPIENT_SETS[recipients]
    envelope = cli_seal(tmp_path, message, "m.bin", names, hide)
    header, _ = ref.parse_header(envelope)
    assert len(header.stanzas) == len(names)
    assert all((st.label == b"") == hide for st in header.stanzas)
    for r in names:
        got = ref.open_envelope(envelope, key(r + ".pem"), [key("signer.pub")])
        assert got.message == message
        assert got.name == b"m.bin"
        assert got.manifest["recipients"] == [{"key": ref.key_id(key(n + ".pub"))}
                                              for n in names]
    with pytest.raises(ref.EnvelopeError) as e:
        ref.open_envelope(envelope, key("bob.pem"), [key("signer.pub")])
    assert e.value.name == "NOT_RECIPIENT"


@pytest.mark.parametrize("hide", [False, True], ids=["labelled", "hidden"])
@pytest.mark.parametrize("recipients", list(RECIPIENT_SETS), ids=list(RECIPIENT_SETS))
@pytest.mark.parametrize("size", SIZES)
def test_reference_seals_c_opens(tmp_path, size, recipients, hide):
    message = message_of(size)
    names = RECIPIENT_SETS[recipients]
    sealed = ref.seal(message, name=b"m.bin", sign_key=key("signer.pem"),
                      recipients=[key(r + ".pub") for r in names], hide=hide)
    for r in names:
        _, out = cli_open(tmp_path, sealed.envelope, r)
        assert out.read_bytes() == message
    proc, out = cli_open(tmp_path, sealed.envelope, "bob", ok=False)
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")
    assert not out.exists()


@pytest.mark.parametrize("size", [0, 200_000])
def test_armor_crosses_both_ways(tmp_path, size):
    """FORMAT.md, "ASCII armor": C's armor is the reference's byte for byte, and each
    reader opens the other's, also after a channel added CRLF."""
    message = message_of(size)
    src = tmp_path / "m.bin"
    src.write_bytes(message)
    out = tmp_path / "sealed.asc"
    run_cli("seal", "--armor", "--sign-key", key_file("signer.pem"), "--to",
            key_file("alice.pub"), "-o", str(out), str(src))
    text = out.read_bytes()
    assert text == ref.armor(ref.dearmor(text))
    for sent in (text, text.replace(b"\n", b"\r\n") + b"\r\n"):
        got = ref.open_envelope(sent, key("alice.pem"), [key("signer.pub")])
        assert got.message == message
    sealed = ref.seal(message, name=b"m.bin", sign_key=key("signer.pem"),
                      recipients=[key("alice.pub")])
    _, opened = cli_open(tmp_path, ref.armor(sealed.envelope, line_end=b"\r\n"), "alice")
    assert opened.read_bytes() == message


def open_with_keys(tmp_path, envelope, decrypt):
    """Opens envelope with both readers and several decryption keys: what
    each gave (the message, or the error's name and the C exit status)."""
    try:
        ref_got = ref.open_envelope(envelope, [key(d + ".pem") for d in decrypt],
                                    [key("signer.pub")]).message
    except ref.EnvelopeError as e:
        ref_got = e.name
    src = tmp_path / "several.env"
    src.write_bytes(envelope)
    out = tmp_path / "several.out"
    if out.exists():
        out.unlink()
    args = ["open"]
    for d in decrypt:
        args += ["--decrypt-key", key_file(d + ".pem")]
    proc = run_cli(*args, "--verify-key", key_file("signer.pub"), "-o", str(out), str(src),
                   ok=False)
    c_got = out.read_bytes() if proc.returncode == 0 else proc.returncode
    return ref_got, c_got, proc.stderr.decode(errors="replace")


@pytest.mark.parametrize("hide", [False, True], ids=["labelled", "hidden"])
def test_several_decrypt_keys_both_readers(tmp_path, hide):
    message = message_of(1)
    envelope = cli_seal(tmp_path, message, "m.bin", ["carol", "dave"], hide)
    for decrypt in (["alice", "dave"], ["dave", "alice"], ["bob", "alice", "carol"]):
        ref_got, c_got, err = open_with_keys(tmp_path, envelope, decrypt)
        assert (ref_got, c_got) == (message, message), (decrypt, ref_got, c_got, err)
    ref_got, c_got, err = open_with_keys(tmp_path, envelope, ["alice", "bob"])
    assert (ref_got, c_got) == ("NOT_RECIPIENT", 1), (ref_got, c_got, err)
    assert "no recipient stanza opens with any of the 2 decryption keys" in err, err
    assert not (tmp_path / "several.out").exists()


@pytest.mark.parametrize("name", ["résumé – 履歴書 ✓.txt", "n" * 200 + ".txt",
                                  'say "hi" \\ bye.txt'], ids=["utf8", "long", "escapes"])
def test_names_cross_both_ways(tmp_path, name):
    message = b"named\n"
    envelope = cli_seal(tmp_path, message, name, ["alice"])
    got = ref.open_envelope(envelope, key("alice.pem"), [key("signer.pub")])
    assert (got.name, got.message) == (name.encode(), message)
    sealed = ref.seal(message, name=name.encode(), sign_key=key("signer.pem"),
                      recipients=[key("alice.pub")])
    _, out = cli_open(tmp_path, sealed.envelope, "alice")
    assert out.read_bytes() == message  # and the name matched the manifest's


def tar_headers(archive):
    """(header block, data) of each entry, and the offset where they end."""
    entries, pos = [], 0
    while archive[pos:pos + 512] != bytes(512):
        block = archive[pos:pos + 512]
        size = ref.parse_octal(ref.get(block, ref.F_SIZE), "size")
        entries.append((block, archive[pos + 512:pos + 512 + size]))
        pos += 512 + -(-size // 512) * 512
    return entries, pos


def test_c_seal_is_what_writers_write(tmp_path):
    """The inner archive the CLI writes follows the writer rules of FORMAT.md, "Inner archive":
    three ustar entries, mode 0600, uid and gid 0, no user or group name,
    the creation time as mtime, no pax header for a short ASCII name, and
    nothing but zeros, at least two blocks, after manifest.sig."""
    envelope = cli_seal(tmp_path, b"x" * 1000, "m.bin", ["alice"])
    archive = ref.decrypt_archive(envelope, key("alice.pem"))
    got = ref.open_envelope(envelope, key("alice.pem"), [key("signer.pub")])
    entries, end = tar_headers(archive)
    assert [ref.cstring(ref.get(b, ref.F_NAME)) for b, _ in entries] == [
        b"m.bin", b"manifest.json", b"manifest.sig"]
    for block, _ in entries:
        assert ref.get(block, ref.F_TYPE) == b"0"
        assert ref.get(block, ref.F_MAGIC) + ref.get(block, ref.F_VERSION) == b"ustar\x0000"
        for fld in (ref.F_MODE, ref.F_UID, ref.F_GID, ref.F_MTIME):
            want = {ref.F_MODE: 0o600, ref.F_MTIME: ref.created_seconds(
                got.manifest["created"])}.get(fld, 0)
            assert ref.parse_octal(ref.get(block, fld), "field") == want
        for fld in (ref.F_LINK, ref.F_UNAME, ref.F_GNAME, ref.F_PREFIX):
            assert ref.cstring(ref.get(block, fld)) == b""
    assert [data for _, data in entries][:1] == [b"x" * 1000]
    assert len(archive) - end >= 1024 and archive[end:] == bytes(len(archive) - end)


def test_reference_rejects_what_c_rejects(tmp_path):
    """Broken envelopes from the reference sealer: the CLI refuses them with
    exit status 1 and writes nothing."""
    kw = dict(name=b"m.bin", sign_key=key("signer.pem"), recipients=[key("alice.pub")])
    cases = {
        "untrusted": ref.seal(b"m", **{**kw, "sign_key": key("other-signer.pem")}).envelope,
        "tampered": bytes(b ^ (i == 400) for i, b in
                          enumerate(ref.seal(b"m", **kw).envelope)),
        "not canonical": ref.seal(b"m", edit_manifest=lambda o: json.dumps(o).encode(),
                                  **kw).envelope,
    }
    for what, envelope in cases.items():
        proc, out = cli_open(tmp_path, envelope, "alice", ok=False)
        assert proc.returncode == 1, (what, proc.stderr.decode(errors="replace"))
        assert not out.exists(), what
        assert list(tmp_path.iterdir()) == [tmp_path / "to-open.env"], what


# Where each reader says an archive fault is, by step: FORMAT.md, "Opening, in order".
CLI_ERRORS = {"BAD_ARCHIVE": "inner archive breaks the envelope rules",
              "TAMPERED": "envelope tampered with: authentication failed"}


@pytest.mark.parametrize("fault", ["none", "record", "size", "long"])
def test_pax_fault_before_next_chunk_fails(tmp_path, fault):
    """manifest.json's pax header and its records end chunk 0, and chunk 1
    fails to open: a fault in the pax header or its records is reported by
    both readers first, as the bytes that show it come before chunk 1."""
    pax = {"none": [(b"path", b"manifest.json")], "record": [(b"mtime", b"1")],
           "size": [(b"size", b"02")], "long": [(b"path", b"manifest.json")]}[fault]
    # the message's header and 64000 bytes, then the pax header and one block of records
    json_entry = ref.tar_entry(b"manifest.json", b"{}", pax=pax)
    if fault == "long":  # the pax header says its records take three blocks
        head = bytearray(json_entry[:ref.BLOCK])
        head[124:136] = ref.octal(3 * ref.BLOCK, 12)
        head[148:156] = b"%06o\x00 " % ref.checksum(head)
        json_entry = bytes(head) + json_entry[ref.BLOCK:]
    archive = ref.tar_archive([ref.tar_entry(b"m.bin", b"x" * 64000), json_entry,
                               ref.tar_entry(b"manifest.sig", b"s")])
    assert archive[ref.CHUNK_SIZE:ref.CHUNK_SIZE + 5] == b"manif"  # chunk 1: the ustar header
    envelope = bytearray(ref.reencrypt(archive, [key("alice.pub")]))
    _, payload = ref.parse_header(bytes(envelope))
    envelope[len(envelope) - len(payload) + ref.CHUNK_SIZE + ref.TAG_SIZE + 10] ^= 1
    want = "TAMPERED" if fault == "none" else "BAD_ARCHIVE"
    with pytest.raises(ref.EnvelopeError) as e:
        ref.open_envelope(bytes(envelope), key("alice.pem"), [key("signer.pub")])
    assert e.value.name == want, e.value
    proc, out = cli_open(tmp_path, bytes(envelope), "alice", ok=False)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1 and CLI_ERRORS[want] in err, (proc.returncode, err[-500:])
    assert not out.exists()


@pytest.mark.parametrize("fourth", [False, True], ids=["marker", "fourth entry"])
def test_fourth_entry_before_next_chunk_fails(tmp_path, fourth):
    """A fourth entry's header ends chunk 0, and chunk 1 fails to open: both
    readers report the fourth entry first; with the marker there instead,
    the failing chunk."""
    entries = [ref.tar_entry(b"m.bin", b"x" * 62464), ref.tar_entry(b"manifest.json", b"{}"),
               ref.tar_entry(b"manifest.sig", b"s")]
    if fourth:
        entries.append(ref.tar_entry(b"four", b"4"))
    archive = ref.tar_archive(entries)
    # chunk 0 ends with the fourth header or the marker's first block
    assert archive[ref.CHUNK_SIZE - 512:ref.CHUNK_SIZE].startswith(b"four") == fourth
    assert len(archive) > ref.CHUNK_SIZE
    envelope = bytearray(ref.reencrypt(archive, [key("alice.pub")]))
    _, payload = ref.parse_header(bytes(envelope))
    envelope[len(envelope) - len(payload) + ref.CHUNK_SIZE + ref.TAG_SIZE + 10] ^= 1
    want = "BAD_ARCHIVE" if fourth else "TAMPERED"
    with pytest.raises(ref.EnvelopeError) as e:
        ref.open_envelope(bytes(envelope), key("alice.pem"), [key("signer.pub")])
    assert e.value.name == want, e.value
    proc, out = cli_open(tmp_path, bytes(envelope), "alice", ok=False)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1 and CLI_ERRORS[want] in err, (proc.returncode, err[-500:])
    assert not out.exists()


# Names that pass and break the rules, by the byte (FORMAT.md, "Inner archive").
DIFF_NAMES = [b"m.txt", b"a" * 100, b"b" * 101, b"c" * 255, "h\u00e9llo".encode(),
              b"d" * 256, b"\xff\xfe", b"x\x00y", b".hid", b"manifest.x", b"a/b",
              b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"e\x7f"]


def diff_entry(rng, name, data):
    """An entry as writers make it, or with a pax header of chosen records, or
    with one header field wrong."""
    if rng.random() < 0.7:
        return ref.tar_entry(name, data, pax=rng.choice([None, True]))
    records = []
    if rng.random() < 0.7:
        records.append((b"path", name))
    if rng.random() < 0.5:
        records.append((b"size", rng.choice([
            str(len(data)).encode(), b"0" + str(len(data)).encode(), b"18446744073709551615",
            b"18446744073709551616", b"1" * 30, b"1" * 500, b"", b"12a"])))
    if rng.random() < 0.1:
        records.append((rng.choice([b"mtime", b"path", b"GNU.sparse.size", b""]), b"1"))
    rng.shuffle(records)
    knobs = rng.choice([{}, {}, {}, {"typeflag": b"7"}, {"typeflag": b"x"}, {"prefix": b"p"},
                        {"linkname": b"l"}, {"bad_checksum": True}, {"magic": b"ustar "},
                        {"version": b" \x00"}, {"size_field": len(data) + 1}])
    return ref.tar_entry(name, data, pax=records if rng.random() < 0.6 else None, **knobs)


def diff_archive(rng):
    """Three entries, perhaps a fourth or one fewer, the marker and zeros,
    then perhaps a few bytes changed or the end cut off."""
    entries = [diff_entry(rng, rng.choice(DIFF_NAMES[:5] if rng.random() < 0.7 else DIFF_NAMES),
                          b"m" * rng.choice([0, 1, 511, 3000, 62464, 64000, 65000])),
               diff_entry(rng, rng.choice([b"manifest.json"] * 12 + [b"manifest.jso"]),
                          b"{}" * rng.choice([1, 1, 1, 2049])),
               diff_entry(rng, rng.choice([b"manifest.sig"] * 12 + [b"m.txt"]),
                          b"s" * rng.choice([1, 139, 139, 140]))]
    if rng.random() < 0.05:
        entries.append(ref.tar_entry(b"four", b"4"))
    if rng.random() < 0.05:
        entries.pop(rng.randrange(3))
    archive = bytearray(ref.tar_archive(entries, rng.choice([0, 512, 1024, 1024, 1500, 10240])))
    for _ in range(rng.choice([0, 0, 0, 1, 3])):
        archive[rng.randrange(len(archive))] = rng.randrange(256)
    if rng.random() < 0.05:
        del archive[rng.randrange(len(archive)):]
    return bytes(archive) or b"\x00"


def test_archive_rules_both_readers_agree(tmp_path):
    """Seeded archives in many shapes, right and wrong, in envelopes whose
    chunk 1 (where there is one) sometimes fails: the reference and the CLI
    (batch mode, --json) give the same error for each (no signature in them
    verifies: a well-formed archive is "untrusted signer" to both)."""
    rng = random.Random(20261207)
    paths, want = [], {}
    for i in range(200):
        envelope = bytearray(ref.reencrypt(diff_archive(rng), [key("alice.pub")]))
        _, payload = ref.parse_header(bytes(envelope))
        if len(payload) > ref.CHUNK_SIZE + ref.TAG_SIZE and rng.random() < 0.3:
            envelope[len(envelope) - len(payload) + ref.CHUNK_SIZE + ref.TAG_SIZE + 7] ^= 1
        path = tmp_path / f"{i}.env"
        path.write_bytes(envelope)
        paths.append(str(path))
        try:
            ref.open_envelope(bytes(envelope), key("alice.pem"), [key("signer.pub")],
                              max_size=1 << 20)
            want[str(path)] = "OK"
        except ref.EnvelopeError as e:
            want[str(path)] = e.name
    (tmp_path / "out").mkdir()
    proc = run_cli("open", "--decrypt-key", key_file("alice.pem"), "--verify-key",
                   key_file("signer.pub"), "--max-size", "1M", "--out-dir", str(tmp_path / "out"),
                   "-j", "1", "--json", *paths, ok=False)
    got = {}
    for line in proc.stdout.decode().splitlines():
        obj = json.loads(line)
        if "input" in obj:
            got[obj["input"]] = (obj["error"] or {"code": "OK"})["code"], obj["error"]
    differ = [(p, want[p], got.get(p)) for p in paths if got.get(p, ("?",))[0] != want[p]]
    assert not differ, differ[:5]
    assert len(set(want.values())) >= 3, want  # the cases reach more than one rule
    assert list((tmp_path / "out").iterdir()) == []


# ------------------------------------------------------------- clock skew


def test_future_dated_both_readers_agree(tmp_path):
    """The skew rule of FORMAT.md, "Opening, in order": 15 minutes ahead is refused at the default
    300 s by both readers with the same detail, and opened at 1200 s; the
    rule is `created > now + skew`; more than a day of skew is refused."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    ahead = now + datetime.timedelta(seconds=900)
    sealed = ref.seal(b"early", name=b"early.txt", sign_key=key("signer.pem"),
                      recipients=[key("alice.pub")], created=ref.utc_text(ahead)).envelope
    kw = dict(decrypt_key=key("alice.pem"), trusted_keys=[key("signer.pub")])
    with pytest.raises(ref.EnvelopeError) as e:
        ref.open_envelope(sealed, now=now, **kw)
    want = (f"created {ref.utc_text(ahead)}, 900 s ahead of this machine's clock "
            f"({ref.utc_text(now)}); the allowed skew is 300 s")
    assert (e.value.name, e.value.detail) == ("TOO_OLD", want)
    assert ref.open_envelope(sealed, now=now, max_skew=1200, **kw).message == b"early"
    assert ref.open_envelope(sealed, now=now, max_skew=900, **kw).message == b"early"
    with pytest.raises(ref.EnvelopeError) as e:
        ref.open_envelope(sealed, now=now, max_skew=899, **kw)
    assert e.value.detail.endswith("900 s ahead of this machine's clock "
                                   f"({ref.utc_text(now)}); the allowed skew is 899 s")
    with pytest.raises(ValueError):
        ref.open_envelope(sealed, now=now, max_skew=86401, **kw)

    before = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    proc, out = cli_open(tmp_path, sealed, "alice", ok=False)
    after = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1 and not out.exists(), err
    here = err.split("machine's clock (")[1].split(")")[0]
    t = datetime.datetime.strptime(here, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    assert before <= t.timestamp() <= after, err
    with pytest.raises(ref.EnvelopeError) as e:
        ref.open_envelope(sealed, now=t, **kw)
    assert f"({e.value.detail})" in err, err
    src = tmp_path / "to-open.env"
    run_cli("open", "--decrypt-key", key_file("alice.pem"), "--verify-key",
            key_file("signer.pub"), "--max-skew", "1200", "-o", str(out), str(src))
    assert out.read_bytes() == b"early"
