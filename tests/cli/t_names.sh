# Names that would act on a terminal: in envelopes (chosen by anyone who has
# the recipient's public key) and on the command line. Every line printed
# shows them escaped (\xXX, \u{XXXX}), never as raw control characters.

"$PY" "$HERE/forge_names.py" "$K" .
ALICE_OPEN=(open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub")

# plain FILE: FILE's lines hold no C0 or C1 control, DEL, bidirectional
# control, line separator or invalid UTF-8.
plain() {
    "$PY" - "$1" <<'PYEOF'
import re, sys
data = open(sys.argv[1], "rb").read()
try:
    s = data.decode("utf-8").replace("\n", "")
except UnicodeDecodeError as e:
    sys.exit(f"     invalid UTF-8 at byte {e.start}: {data!r}")
bad = re.search("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]", s)
if bad:
    sys.exit(f"     U+{ord(bad.group()):04X}: {data!r}")
PYEOF
}

run "$E" "${ALICE_OPEN[@]}" -o esc.out name-esc.env
failed "a message name with ESC: exit 1, BAD_ARCHIVE, the name escaped" 1 \
    '^envelope: name-esc.env: inner archive breaks the envelope rules \(message name "a\\x1B\[2Jb": must not contain control characters\)$' esc.out
check "a message name with ESC: stderr holds no control" plain "$ERR"

run "$E" "${ALICE_OPEN[@]}" -o evil.out entry2-evil.env
failed "entry 2 named RLO, LRI, CSI, ESC: exit 1, before the signature, escaped" 1 \
    '^envelope: entry2-evil.env: inner archive breaks the envelope rules \(entry 2 is "\\u\{202E\}\\u\{2066\}\\u\{009B\}x\\x1B", expected manifest.json\)$' evil.out
check "entry 2 named RLO, LRI, CSI, ESC: stderr holds no control" plain "$ERR"

run "$E" "${ALICE_OPEN[@]}" -o csi.out name-csi.env
succeeded "a signed message named with CSI (U+009B) opens; the name escaped" \
    '^envelope: verified "a\\u\{009B\}31mb" \(6 bytes\), signed by sha256:[0-9a-f]{64} on .*, into csi.out$'
check "a message named with CSI: stderr holds no control" plain "$ERR"
check "a message named with CSI: the message is what was sealed" bash -c '[ "$(cat csi.out)" = hello ]'

run "$E" "${ALICE_OPEN[@]}" --extract bidi name-bidi.env
succeeded "a signed message named with RLO and LRI opens; the name escaped" \
    '^envelope: verified "\\u\{202E\}txt.exe\\u\{2066\}" \(6 bytes\).*, into bidi$'
check "a message named with RLO and LRI: stderr holds no control" plain "$ERR"
run "$E" verify --verify-key "$K/signer.pub" bidi
check "verify prints the name RLO, LRI escaped" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -qx "name: \\\\u{202E}txt.exe\\\\u{2066}" "$1"' _ "$OUT"
check "verify: stdout holds no control" plain "$OUT"

run "$E" "${ALICE_OPEN[@]}" -o nope.out $'no\xff\x1b[2Jsuch.env'
failed "an input path with invalid UTF-8 and ESC: exit 4, escaped byte-wise" 4 \
    '^envelope: no\\xFF\\x1B\[2Jsuch.env: No such file or directory$' nope.out
check "an input path with invalid UTF-8 and ESC: stderr holds no control" plain "$ERR"

run "$E" open $'--\xc2\x9b2J'
failed "an unknown option holding CSI: exit 2, escaped" 2 \
    "^envelope open: unknown option '--\\\\u\{009B\}2J' \(see 'envelope open --help'\)$"
check "an unknown option holding CSI: stderr holds no control" plain "$ERR"

run "$E" keygen --sign -o $'k\x1b[2J.pem'
succeeded "keygen to a path with ESC: the path escaped" '^envelope: ECDSA P-521 signing key sha256:[0-9a-f]{64} \([0-9a-f-]{19}\) written to k\\x1B\[2J.pem$'
check "keygen to a path with ESC: stderr holds no control" plain "$ERR"

# The passphrase prompt names the key file: escaped too.
cp "$K/alice-encrypted.pem" $'enc\x1b[2J.pem'
run "$PY" "$HERE/pty_run.py" --answer "Passphrase for " "$(head -1 "$K/passphrase.txt")" -- \
    "$E" open --decrypt-key $'enc\x1b[2J.pem' --verify-key "$K/signer.pub" -o prompted.out note.enc
check "the passphrase prompt shows a key path with ESC escaped, no ESC" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -q "Passphrase for enc\\\\x1B\[2J.pem: " "$1" && ! grep -q $'"'"'\x1b'"'"' "$1" ||
    { echo "exit '"$rc"'; transcript: $(cat -v "$1")"; false; }' _ "$OUT"

run "$E" open --decrypt-key $'nokey\x1b[2J.pem' --verify-key "$K/signer.pub" -o nokey.out note.enc
failed "a missing key path with ESC: exit 3, escaped, said once" 3 \
    '^envelope: --decrypt-key nokey\\x1B\[2J.pem: cannot load key \(No such file or directory\)$' nokey.out
check "a missing key path with ESC: stderr holds no control" plain "$ERR"

# A name that seal refuses is blamed on the one rule it breaks, with the
# way out; nothing is written. Each rule of FORMAT.md, "Inner archive" once.
mkdir -p rules && echo secret >rules/.env.secret && echo '{}' >rules/manifest.json
NAME_SEAL=(seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -o rule.enc)
run "$E" "${NAME_SEAL[@]}" rules/.env.secret
failed "seal .env.secret: exit 2, the leading-dot rule alone, --name offered" 2 \
    "^envelope seal: '.env.secret': a message name must not start with '.': give another with --name \(see 'envelope seal --help'\)$" rule.enc
run "$E" "${NAME_SEAL[@]}" rules/manifest.json
failed "seal manifest.json: exit 2, the manifest. rule alone, --name offered" 2 \
    "^envelope seal: 'manifest.json': a message name must not start with 'manifest.' \(reserved for the envelope's own files\): give another with --name " rule.enc
run "$E" "${NAME_SEAL[@]}" --name "a/b" rules/manifest.json
failed "seal --name a/b: exit 2, the '/' rule alone" 2 \
    "^envelope seal: --name 'a/b': a message name must not contain '/' or NUL \(see" rule.enc
run "$E" "${NAME_SEAL[@]}" --name $'a\x1b[2Jb' rules/manifest.json
failed "seal --name with ESC: exit 2, the control rule alone, escaped" 2 \
    "^envelope seal: --name 'a\\\\x1B\[2Jb': a message name must not contain control characters \(see" rule.enc
run "$E" "${NAME_SEAL[@]}" --name $'\xc0\xaf' rules/manifest.json
failed "seal --name not UTF-8: exit 2, the UTF-8 rule alone" 2 \
    "^envelope seal: --name '\\\\xC0\\\\xAF': a message name must be valid UTF-8 \(see" rule.enc
run "$E" "${NAME_SEAL[@]}" --name "$(printf 'n%.0s' $(seq 256))" rules/manifest.json
failed "seal --name of 256 bytes: exit 2, the length rule alone" 2 \
    "^envelope seal: --name 'n{256}': a message name must be 1 to 255 bytes \(see" rule.enc
run "$E" "${NAME_SEAL[@]}" --name "" rules/manifest.json
failed "seal --name '': exit 2, the length rule alone" 2 \
    "^envelope seal: --name '': a message name must be 1 to 255 bytes \(see" rule.enc
run "$E" "${NAME_SEAL[@]}" --name env.secret rules/.env.secret
succeeded "seal .env.secret --name env.secret: the way out works"
