#!/bin/sh
# Rebuilds the seed corpora and fuzz/data from real envelopes:
#   fuzz/make-seeds.sh PATH/TO/envelope
# The envelope CLI seals with the fixed test keys; seedtool.py takes the
# envelopes apart (header, decrypted inner tar, manifest) and makes compat
# envelopes the tutorial's way; the hand-made tars break one entry rule
# each. Seeds are committed: run this only to change them.
set -eu
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
keys=tests/keys
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for t in header open open_compat open_plain bundle manifest compat_unpack; do
    rm -rf "fuzz/corpus/$t"
    mkdir -p "fuzz/corpus/$t"
done
rm -rf fuzz/data && mkdir -p fuzz/data

seal() { # NAME MESSAGE_FILE SIGNER [seal options...]
    name=$1 msg=$2 signer=$3
    shift 3
    "$cli" seal --sign-key "$keys/$signer" "$@" -o "$tmp/$name.env" "$msg"
}

printf 'hello\n' > "$tmp/hello.txt"
: > "$tmp/empty"
head -c 70000 /dev/zero | tr '\0' 'x' > "$tmp/big.bin"
printf '{"message":"Hello, World!"}\n' > "$tmp/message.json"

seal hello "$tmp/hello.txt" signer.pem --to $keys/alice.pub
seal empty "$tmp/empty" signer.pem --to $keys/alice.pub
seal multi "$tmp/hello.txt" signer.pem --to $keys/bob.pub --to $keys/carol.pub --to $keys/alice.pub
seal hidden "$tmp/hello.txt" signer.pem --hide-recipients --to $keys/bob.pub --to $keys/alice.pub
seal unicode "$tmp/hello.txt" signer.pem --to $keys/alice.pub \
    --name "$(printf 'nachricht-%.0s\303\274' $(seq 1 12)).txt"
seal big "$tmp/big.bin" signer.pem --to $keys/alice.pub
seal untrusted "$tmp/hello.txt" other-signer.pem --to $keys/alice.pub
seal dave "$tmp/message.json" signer.pem --to $keys/dave.pub

for n in hello empty multi hidden unicode big untrusted; do
    $py fuzz/seedtool.py split "$tmp/$n.env" $keys/alice.pem "$tmp" "$n"
    cp "$tmp/$n.env" fuzz/corpus/open/
    cp "$tmp/$n.header" fuzz/corpus/header/
    cp "$tmp/$n.header" fuzz/data/
    cp "$tmp/$n.tar" fuzz/corpus/open_plain/
    cp "$tmp/$n.manifest" fuzz/corpus/manifest/
    [ "$n" = big ] || cp "$tmp/$n.tar" fuzz/corpus/bundle/
done
cp "$tmp/dave.env" fuzz/corpus/open_compat/

for f in gnu ustar pax; do
    $py fuzz/seedtool.py compat "$tmp/message.json" message.json $f $keys/signer.pem \
        $keys/dave.pub "fuzz/corpus/compat_unpack/message-$f.tar.gz" "$tmp/compat-$f.enc"
    cp "$tmp/compat-$f.enc" fuzz/corpus/open_compat/ 2>/dev/null || true
done
$py fuzz/seedtool.py compat "$tmp/empty" empty gnu $keys/signer.pem $keys/dave.pub \
    fuzz/corpus/compat_unpack/empty.tar.gz "$tmp/compat-empty.enc"
cp "$tmp/compat-empty.enc" fuzz/corpus/open_compat/
head -c 256 /dev/zero > fuzz/corpus/open/zero-256
head -c 512 /dev/zero > fuzz/corpus/open_compat/zero-512

# Hand-made tars, each breaking one rule of docs/FORMAT.md, "Inner archive".
$py - "$tmp/hello.tar" fuzz/corpus/bundle <<'PY'
import io, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
entries = []
with tarfile.open(src) as t:
    for m in t.getmembers():
        entries.append((m.name, t.extractfile(m).read()))
def write(name, members, fmt=tarfile.USTAR_FORMAT, mode="w"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    with open(f"{out}/{name}", "wb") as f:
        f.write(buf.getvalue())
def reg(name, data):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o600
    return (i, data)
def special(name, kind, link=""):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link
    return (i, None)
good = [reg(n, d) for n, d in entries]
write("gnu-format.tar", good, tarfile.GNU_FORMAT)
write("four-entries.tar", good + [reg("extra", b"x")])
write("wrong-order.tar", [good[1], good[0], good[2]])
write("symlink.tar", [special("hello.txt", tarfile.SYMTYPE, "/etc/passwd")] + good[1:])
write("hardlink.tar", [good[0], special("manifest.json", tarfile.LNKTYPE, "hello.txt"), good[2]])
write("directory.tar", [special("dir", tarfile.DIRTYPE)] + good)
write("fifo.tar", [special("hello.txt", tarfile.FIFOTYPE)] + good[1:])
write("dot-name.tar", [reg(".hidden", entries[0][1])] + good[1:])
write("slash-name.tar", [reg("a/b", entries[0][1])] + good[1:])
write("gzip.tar.gz", good, mode="w:gz")
write("pax-long-name.tar", [reg("n" * 200, entries[0][1])] + good[1:], tarfile.PAX_FORMAT)
PY
printf 'not a tar' > fuzz/corpus/bundle/garbage

# A plain tar.gz with the wrong entries, and the v1 manifest as a compat message.
(cd "$tmp" && tar -czf "$OLDPWD/fuzz/corpus/compat_unpack/wrong-entries.tar.gz" hello.txt)
printf '{"format":"libenvelope/1","name":"x"}' > "$tmp/v1-prefix"
$py fuzz/seedtool.py compat "$tmp/v1-prefix" message.json gnu $keys/signer.pem \
    $keys/dave.pub fuzz/corpus/compat_unpack/manifest-as-message.tar.gz "$tmp/unused.enc"
echo "seeds written: $(find fuzz/corpus fuzz/data -type f | wc -l) files"
