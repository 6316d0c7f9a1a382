# seal --armor: the text it writes, an armored envelope sent through a
# channel that adds CRLF and a trailing newline and opened, each fault of
# the armor refused with its line and no output; inputs that only have a
# compat envelope's size (text, a damaged v1 magic) refused as what they
# are; a compat envelope inspected from a pipe.

mkdir -p ar
printf 'the armored message\n' >ar/m.txt
head -c 150000 /dev/urandom >ar/big.bin
OPEN_KEYS=(--decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub")

run "$E" seal -q --armor --sign-key "$K/signer.pem" --to "$K/alice.pub" -o ar/m.asc ar/m.txt
check "seal --armor: exit 0, nothing said" bash -c '[ '"$rc"' -eq 0 ] && ! [ -s "$1" ]' _ "$ERR"
# BEGIN, base64 lines of 64 but the last, END, each ending in LF.
armor_layout() {
    "$PY" - "$1" <<'PYEOF'
import re, sys
text = open(sys.argv[1], "rb").read()
lines = text.split(b"\n")
assert lines[-1] == b"", "no LF at the end"
lines = lines[:-1]
assert lines[0] == b"-----BEGIN LIBENVELOPE ENVELOPE-----", lines[0]
assert lines[-1] == b"-----END LIBENVELOPE ENVELOPE-----", lines[-1]
body = lines[1:-1]
assert body and all(len(l) == 64 for l in body[:-1]), [len(l) for l in body]
assert 4 <= len(body[-1]) <= 64 and len(body[-1]) % 4 == 0, body[-1]
assert all(re.fullmatch(rb"[A-Za-z0-9+/]+=?=?", l) for l in body)
PYEOF
}
check "seal --armor: BEGIN line, base64 lines of 64, END line, LF ends" armor_layout ar/m.asc
run "$E" seal -q --armor --sign-key "$K/signer.pem" --to "$K/alice.pub" ar/big.bin
cp "$OUT" ar/big.asc
check "seal --armor to stdout, 150000 bytes: the same layout" armor_layout ar/big.asc

# The channel: CRLF line ends and one more line end at the very end.
sed 's/$/\r/' ar/m.asc >ar/sent.asc
printf '\r\n' >>ar/sent.asc
run "$E" open "${OPEN_KEYS[@]}" -o ar/got.txt ar/sent.asc
check "open of armor sent with CRLF and a trailing newline: the message" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$2"' _ ar/m.txt ar/got.txt
run "$E" open -q "${OPEN_KEYS[@]}" -o - - <ar/sent.asc
check "the same from stdin to stdout" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$2"' _ ar/m.txt "$OUT"
cat ar/big.asc | "$E" open -q "${OPEN_KEYS[@]}" -o - >"$OUT" 2>"$ERR"
rc=$?
check "a 150000-byte message armored, through a pipe: the message" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$2"' _ ar/big.bin "$OUT"
run "$E" open -q "${OPEN_KEYS[@]}" --extract ar/xd ar/sent.asc
check "open --extract of the armor sent: the message and the signed manifest" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$2/m.txt" && [ -s "$2/manifest.sig" ]' _ ar/m.txt ar/xd
run "$E" inspect ar/sent.asc
check "inspect of the armor sent: the header, no payload size" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "^format: libenvelope v1$" "$1" && grep -q "^  1: RSA-2048 sha256:" "$1" && ! grep -q "^payload size" "$1"' _ "$OUT"

# Each fault of the armor: exit 1, the line and the fault, no output.
# armor_edit IN OUT PYTHON: OUT is IN's lines (no LF), L, as PYTHON leaves them.
armor_edit() {
    "$PY" - "$1" "$2" "$3" <<'PYEOF'
import sys
L = open(sys.argv[1]).read().split("\n")[:-1]
exec(sys.argv[3])
open(sys.argv[2], "w").write("\n".join(L) + "\n")
PYEOF
}
B64=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/
refused() {
    local name=$1 file=$2 re=$3
    run "$E" open "${OPEN_KEYS[@]}" -o ar/out.txt "$file"
    failed "open, $name: not an envelope, exit 1" 1 "^envelope: $file: not an envelope \($re\)$" \
        ar/out.txt
    run "$E" open "${OPEN_KEYS[@]}" --extract ar/outdir - <"$file"
    failed "open --extract from stdin, $name: the same" 1 "^envelope: stdin: not an envelope \($re\)$" \
        ar/outdir
}
cat ar/m.asc ar/m.asc >ar/two.asc
N=$(wc -l <ar/m.asc)
refused "a second block" ar/two.asc "armor, line $((N + 1)): a second armor block"
{ cat ar/m.asc; echo "Thanks, see you"; } >ar/after.asc
refused "text after the END line" ar/after.asc "armor, line $((N + 1)): text after the END line"
{ echo "Here it is:"; cat ar/m.asc; } >ar/before.asc
refused "text before the BEGIN line" ar/before.asc \
    "text before the armor's BEGIN line: an armored envelope must start the input \(blank lines aside\)"
armor_edit ar/m.asc ar/noend.asc 'L.pop()'
refused "no END line" ar/noend.asc \
    "armor, line $N: the input ends before the END line '-----END LIBENVELOPE ENVELOPE-----'"
armor_edit ar/m.asc ar/eq.asc 'L[2] = L[2][:20] + "=" + L[2][21:]'
refused "'=' in the middle" ar/eq.asc "armor, line 3: '=' inside the data, at column 21"
armor_edit ar/m.asc ar/short.asc 'L[2] = L[2][:48]'
refused "a line of 48 that is not the last" ar/short.asc \
    "armor, line 3: 48 base64 characters; every line but the last has 64"
# The last base64 line of this envelope (4477 bytes or so) ends in padding:
# set a bit the padding leaves unused in the character before it.
armor_edit ar/m.asc ar/bits.asc '
s = L[-2]; p = len(s.rstrip("=")) - 1
assert p < len(s) - 1, "no padding in " + s
L[-2] = s[:p] + "'$B64'"["'$B64'".index(s[p]) ^ 1] + s[p + 1:]'
refused "padding bits set (non-canonical)" ar/bits.asc \
    "armor, line $((N - 1)): non-canonical base64: the bits before the '=' padding are not zero"

# Armor is for v1 only.
run "$E" seal --armor --format compat --sign-key "$K/signer.pem" --to "$K/dave.pub" -o ar/c.asc ar/m.txt
failed "seal --armor --format compat: usage error, exit 2" 2 \
    "^envelope seal: --armor is for v1 envelopes: --format compat writes the bare ciphertext" ar/c.asc
# Nor are a compat envelope's absent recipient labels hidden: refused, not ignored.
run "$E" seal --hide-recipients --format compat --sign-key "$K/signer.pem" --to "$K/dave.pub" -o ar/c.enc ar/m.txt
failed "seal --hide-recipients --format compat: usage error, exit 2" 2 \
    "^envelope seal: --hide-recipients is for v1 envelopes: a compat envelope has no recipient labels to hide" ar/c.enc
run "$E" seal --help
check "seal --help describes --armor" grep -q -- "--armor writes the envelope as text" "$OUT"

# Inputs with only a compat envelope's size: said to be what they are,
# with --allow-compat or without, and by inspect; nothing is decrypted.
"$PY" -c 'import sys; t = (b"Dear Bob, here is the plan. " * 40)[:int(sys.argv[2])]; open(sys.argv[1], "wb").write(t)' ar/t256.txt 256
"$PY" -c 'import sys; t = ("Grüße, Bob: le café est prêt ✓\r\n" * 40).encode()[:512]; open(sys.argv[1], "wb").write(t)' ar/t512.txt 512
for f in ar/t256.txt ar/t512.txt; do
    size=$(wc -c <"$f")
    for allow in "" --allow-compat; do
        run "$E" open $allow "${OPEN_KEYS[@]}" -o ar/out.txt "$f"
        failed "open ${allow:+$allow }of $size bytes of text: not an envelope, exit 1" 1 \
            "^envelope: $f: not an envelope \(the input is text \(UTF-8 without control characters\), not an envelope\)$" \
            ar/out.txt
    done
    run "$E" inspect "$f"
    failed "inspect of $size bytes of text: not an envelope, exit 1" 1 \
        "^envelope: $f: not an envelope \(the input is text "
done
run "$E" seal -q --sign-key "$K/signer.pem" --to "$K/alice.pub" -o ar/v1.env ar/m.txt
"$PY" -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()[:513]); d[1] ^= 0x20; open(sys.argv[2], "wb").write(d)' ar/v1.env ar/dmg513.env
run "$E" open --allow-compat "${OPEN_KEYS[@]}" -o ar/out.txt ar/dmg513.env
failed "open of 513 bytes with a damaged v1 magic: says so, exit 1" 1 \
    "^envelope: ar/dmg513.env: not an envelope \(the input starts like a v1 envelope whose magic is damaged \(1 of its first 12 bytes differ\)\)$" \
    ar/out.txt
head -c 512 ar/dmg513.env >ar/dmg512.env
run "$E" inspect ar/dmg512.env
failed "inspect of 512 bytes with a damaged v1 magic: not taken for compat, exit 1" 1 \
    "^envelope: ar/dmg512.env: not an envelope \(the input starts like a v1 envelope whose magic is damaged "

# A compat message.enc on a pipe: inspect tells it by its size.
run "$E" seal -q --format compat --sign-key "$K/signer.pem" --to "$K/dave.pub" -o ar/message.enc ar/m.txt
cat ar/message.enc | "$E" inspect >"$OUT" 2>"$ERR"
rc=$?
check "inspect of a compat message.enc on a pipe: a compat envelope for RSA-4096, exit 0" \
    bash -c '[ '"$rc"' -eq 0 ] && ! [ -s "$2" ] && grep -q "^format: compat (tutorial) envelope, recognised by its size$" "$1" && grep -q "^size: 512 bytes: one RSA-OAEP-SHA-256 ciphertext for an RSA-4096 key$" "$1"' _ "$OUT" "$ERR"

# Armor is text: it may go to a terminal, without a progress bar.
"$PY" -c 'import sys; open(sys.argv[1], "wb").write(b"x" * 300000)' ar/300k.txt
run "$PY" "$HERE/pty_run.py" -- "$E" seal --armor --sign-key "$K/signer.pem" --to "$K/alice.pub" ar/300k.txt
tr -d '\r' <"$OUT" >ar/tty.txt
check "seal --armor to a terminal: the armor shown, whole, no progress bar, exit 0" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "^-----BEGIN LIBENVELOPE ENVELOPE-----$" "$1" &&
        grep -q "^-----END LIBENVELOPE ENVELOPE-----$" "$1" && ! grep -q "sealing" "$1" &&
        sed -n "/^-----BEGIN/,/^-----END/p" "$1" >"$2" &&
        "$3" open -q --decrypt-key "$4/alice.pem" --verify-key "$4/signer.pub" -o - "$2" | cmp -s - "$5"' \
    _ ar/tty.txt ar/tty.asc "$E" "$K" ar/300k.txt
