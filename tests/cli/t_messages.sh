# Messages that must name the right thing: a directory given as a key, the
# argument an unknown option is in, a compat envelope given to inspect, and
# output to stdout that could not be written.

mkdir -p msg/keydir
printf 'the message\n' >msg/m.txt
printf 'x' >msg/x.txt
run "$E" seal -q --sign-key "$K/signer.pem" --to "$K/alice.pub" -o msg/m.env msg/m.txt
check "messages: a v1 envelope to work with" test "$rc" -eq 0
run "$E" seal -q --format compat --sign-key "$K/signer.pem" --to "$K/dave.pub" \
    -o msg/message.enc msg/x.txt
check "messages: a compat envelope to work with" test "$rc" -eq 0
run "$E" open -q --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" --extract msg/xd msg/m.env
check "messages: an extracted directory to work with" test "$rc" -eq 0

# A directory as a key: said to be one, for every key option.
D=msg/keydir
dir_key() {
    local name=$1 flag=$2
    shift 2
    run "$@"
    failed "$name: a directory as $flag says so, exit 3" 3 \
        "^envelope: $flag $D: cannot load key \(is a directory, not a key file\)$" msg/out.env msg/out.txt
}
dir_key "seal" --to "$E" seal --sign-key "$K/signer.pem" --to "$D" -o msg/out.env msg/m.txt
dir_key "seal" --sign-key "$E" seal --sign-key "$D" --to "$K/alice.pub" -o msg/out.env msg/m.txt
dir_key "open" --decrypt-key "$E" open --decrypt-key "$D" --verify-key "$K/signer.pub" \
    -o msg/out.txt msg/m.env
dir_key "open" --verify-key "$E" open --decrypt-key "$K/alice.pem" --verify-key "$D" \
    -o msg/out.txt msg/m.env
dir_key "verify" --verify-key "$E" verify --verify-key "$D" msg/xd
dir_key "verify" --recipient "$E" verify --verify-key "$K/signer.pub" --recipient "$D" msg/xd
run "$E" pubkey "$D"
failed "pubkey of a directory says so, exit 3" 3 \
    "^envelope: pubkey $D: cannot load key \(is a directory, not a key file\)$"

# An unknown option names the argument it is in, wherever the options are.
run "$E" seal -o msg/w2.env -weird.json
failed "seal -o OUT -weird.json: names '-weird.json', not OUT, exit 2" 2 \
    "^envelope seal: unknown option '-w' in '-weird.json' \(a file name that begins with '-': write '\./-weird\.json', or put '--' before it\) \(see 'envelope seal --help'\)$" \
    msg/w2.env
run "$E" seal -weird.json -o msg/w2.env
failed "seal -weird.json -o OUT: the same message" 2 \
    "^envelope seal: unknown option '-w' in '-weird.json' " msg/w2.env
run "$E" open -o msg/out.txt -qx msg/m.env
failed "open -qx: the letter is the last of its argument, exit 2" 2 \
    "^envelope open: unknown option '-x' in '-qx' " msg/out.txt
run "$E" pubkey -o msg/out.pub -z "$K/alice.pub"
failed "pubkey -z: a lone letter is named alone, exit 2" 2 \
    "^envelope pubkey: unknown option '-z' \(see 'envelope pubkey --help'\)$" msg/out.pub
run "$E" verify --verify-key "$K/signer.pub" msg/xd --bogus=1
failed "verify --bogus=1: the long option is named, exit 2" 2 \
    "^envelope verify: unknown option '--bogus=1' \(see 'envelope verify --help'\)$"
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" msg/m.txt -o
failed "seal ... -o at the end: needs a value, exit 2" 2 \
    "^envelope seal: option '-o' needs a value \(see 'envelope seal --help'\)$"
# '--' ends the options: a file whose name begins with '-' is an input.
printf 'dash\n' >msg/-weird.json
run_in msg "$E" seal -q --sign-key "$K/signer.pem" --to "$K/alice.pub" -o w2.env -- -weird.json
check "seal -- -weird.json seals that file" test "$rc" -eq 0 -a -s msg/w2.env
run_in msg "$E" inspect -- -weird.json
failed "inspect -- -weird.json reads it as an input, exit 1" 1 \
    "^envelope: -weird.json: not an envelope "

# inspect of a compat envelope: what it is, exit 0.
run "$E" inspect msg/message.enc
if [ "$rc" -eq 0 ] && [ ! -s "$ERR" ] &&
    [ "$(cat "$OUT")" = "format: compat (tutorial) envelope, recognised by its size
size: 512 bytes: one RSA-OAEP-SHA-256 ciphertext for an RSA-4096 key
header: none: a compat envelope has no cleartext header; its recipient, signer
  and name are known only once it is opened ('envelope open --allow-compat')" ]; then
    pass "inspect of a compat envelope: says what it is, exit 0"
else
    flunk "inspect of a compat envelope: says what it is, exit 0" "$(last_run)"
fi
run "$E" inspect - <msg/message.enc
check "inspect of a compat envelope on stdin (a file): the same" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "^size: 512 bytes: .* RSA-4096 key$" "$1"' _ "$OUT"
run "$E" open -q --allow-compat --decrypt-key "$K/dave.pem" --verify-key "$K/signer.pub" \
    -o - msg/message.enc
check "the compat envelope inspect named opens with --allow-compat" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$(cat "$1")" = x ]' _ "$OUT"
head -c 511 msg/message.enc >msg/short.enc
run "$E" inspect msg/short.enc
failed "inspect of 511 bytes: not an envelope, exit 1" 1 \
    "^envelope: msg/short.enc: not an envelope \(no envelope magic, and 511 bytes is not the size of a compat envelope \(256, 384 or 512\)\)$"

# Output to stdout that cannot be written: exit 4, never success.
full() {
    local name=$1
    shift
    "$@" >/dev/full 2>"$ERR"
    rc=$?
    : >"$OUT"
    failed "$name > /dev/full: exit 4" 4 \
        "^envelope: (.*: )?(standard output: write error \(No space left on device\)|no space left on the device holding (stdout|the output))$"
}
full "inspect" "$E" inspect msg/m.env
full "inspect of a compat envelope" "$E" inspect msg/message.enc
full "verify" "$E" verify --verify-key "$K/signer.pub" msg/xd
full "pubkey" "$E" pubkey "$K/alice.pub"
full "open -o -" "$E" open -q --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o - msg/m.env
full "envelope --help" "$E" --help
full "envelope --version" "$E" --version
"$E" inspect msg/m.env 2>"$ERR" | cat >"$OUT"
check "inspect to a pipe still works" grep -q "^format: libenvelope v1$" "$OUT"
for c in seal open keygen verify inspect; do
    full "$c --help" "$E" $c --help
done
