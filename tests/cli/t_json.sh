# --json: one object per run, parsed by Python's json module
# (tests/cli/json_check.py checks every member and its type), for each
# command's success and each class of failure; on stdout, or on stderr when
# the command's data goes to stdout, with nothing else on that stream.

mkdir js && cd js || exit 2
printf '{"order": 7}\n' >note.json
run "$E" seal -q --sign-key "$K/signer.pem" --to "$K/alice.pub" --to "$K/bob.pub" \
    --created 2024-05-01T12:00:00Z -o m.env note.json
check "json: an envelope to open" test "$rc" -eq 0 -a -s m.env
ALICE=$(fingerprint "$K/alice.pub")
BOB=$(fingerprint "$K/bob.pub")
SIGNER=$(fingerprint "$K/signer.pub")
SHA=$(sha512sum note.json | cut -c1-128)

# json_is NAME COMMAND FILE EXIT CODE [PATH=VALUE ...]: the last run exited
# EXIT and FILE holds exactly one object for COMMAND, as json_check.py says.
json_is() {
    local name=$1 cmd=$2 file=$3 want=$4 code=$5 why
    shift 5
    if [ "$rc" -ne "$want" ]; then
        flunk "$name" "exit $rc, want $want
$(last_run)"
    elif ! why=$("$PY" "$HERE/json_check.py" "$file" "$cmd" "$want" "$code" "$@" 2>&1); then
        flunk "$name" "$why
$(last_run)"
    else
        pass "$name"
    fi
}
# empty NAME FILE: the last run wrote nothing to FILE ($OUT or $ERR).
empty() {
    if [ -s "$2" ]; then flunk "$1" "not empty
$(last_run)"; else pass "$1"; fi
}
# says NAME REGEX: the last run's stderr is one human line matching REGEX.
says() {
    if [ "$(wc -l <"$ERR")" -ne 1 ] || ! grep -Eq -- "$2" "$ERR"; then
        flunk "$1" "stderr is not one line matching /$2/
$(last_run)"
    else
        pass "$1"
    fi
}
opener() { run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" "$@"; }

# ------------------------------------------------------------- successes

run "$E" inspect m.env
header=$(sed -n 's/^header size: //p' "$OUT")
payload=$(sed -n 's/^payload size: //p' "$OUT")
run "$E" inspect --json m.env
json_is "inspect --json: every member, on stdout" inspect "$OUT" 0 "" format=v1 version=1 \
    suite=1 chunk_size=65536 header_size="$header" payload_size="$payload" \
    recipients.0.fingerprint="$ALICE" recipients.0.arn=null recipients.0.bits=2048 \
    recipients.1.fingerprint="$BOB" "recipients.2=(absent)"
empty "inspect --json: nothing on stderr" "$ERR"
run "$E" inspect --json < <(cat m.env)
json_is "inspect --json from a pipe: payload_size null (not known)" inspect "$OUT" 0 "" \
    payload_size=null header_size="$header"
printf 'x\n' >x.txt
run "$E" seal -q --sign-key "$K/signer.pem" --to "$K/dave.pub" --format compat -o compat.enc x.txt
check "json: a compat envelope to inspect and open" test "$rc" -eq 0 -a -s compat.enc
run "$E" inspect compat.enc --json
json_is "inspect --json of a compat envelope (--json after IN)" inspect "$OUT" 0 "" \
    format=compat version=null suite=null chunk_size=null header_size=null payload_size=512 \
    recipients.0.bits=4096 recipients.0.fingerprint=null "recipients.1=(absent)"

opener --json -o got.json m.env
json_is "open --json -o FILE: every member, on stdout" open "$OUT" 0 "" name=note.json \
    size=13 sha512="$SHA" created=2024-05-01T12:00:00Z signer.fingerprint="$SIGNER" \
    signer.arn=null signer.matched_key="$K/signer.pub" recipients.0.fingerprint="$ALICE" \
    recipients.0.arn=null recipients.1.fingerprint="$BOB" output=got.json
check "open --json -o FILE: the message written" cmp -s got.json note.json
says "open --json -o FILE: stderr keeps its human line" '^envelope: verified "note.json"'

opener m.env
cp "$OUT" plain.out
opener --json -o - m.env
json_is "open --json -o -: the object on stderr" open "$ERR" 0 "" output=- name=note.json
check "open --json -o -: stdout is the message, byte for byte as without --json" \
    bash -c 'cmp -s "$1" note.json && cmp -s "$1" plain.out' _ "$OUT"
opener --json m.env
json_is "open --json to stdout (no -o): the object on stderr" open "$ERR" 0 "" output=-
check "open --json to stdout: the message alone on stdout" cmp -s "$OUT" note.json
opener --json -o /dev/stdout m.env
json_is "open --json -o /dev/stdout: the object on stderr" open "$ERR" 0 "" output=/dev/stdout
check "open --json -o /dev/stdout: the message alone on stdout" cmp -s "$OUT" note.json

run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/other-signer.pub" \
    --verify-key "$K/signer.pub" --json --extract x m.env
json_is "open --json --extract: output is DIR, matched_key the second --verify-key" open \
    "$OUT" 0 "" output=x signer.matched_key="$K/signer.pub" signer.fingerprint="$SIGNER"
run "$E" open --json --allow-compat --decrypt-key "$K/dave.pem" --verify-key "$K/signer.pub" \
    -o c.out compat.enc
json_is "open --json of a compat envelope: created null" open "$OUT" 0 "" created=null \
    name=x.txt size=2 signer.fingerprint="$SIGNER" output=c.out

run "$E" verify --json --verify-key "$K/other-signer.pub" --verify-key "$K/signer.pub" x
json_is "verify --json: every member but output, on stdout" verify "$OUT" 0 "" \
    name=note.json size=13 sha512="$SHA" created=2024-05-01T12:00:00Z \
    signer.matched_key="$K/signer.pub" signer.fingerprint="$SIGNER" \
    recipients.0.fingerprint="$ALICE" recipients.1.fingerprint="$BOB" "output=(absent)"
empty "verify --json: nothing on stderr" "$ERR"
run "$E" verify --json --quiet --verify-key "$K/signer.pub" x
json_is "verify --json --quiet: the object still" verify "$OUT" 0 "" name=note.json

run "$E" keygen --json --encrypt --bits 2048 -o r.pem --pub r.pub
json_is "keygen --json: every member, on stdout" keygen "$OUT" 0 "" kind=encryption \
    bits=2048 fingerprint="$(fingerprint r.pub)" outputs='["r.pem", "r.pub"]' arn=null
fp=$(fingerprint r.pub)
json_is "keygen --json: short_fingerprint is the first 16 hex digits" keygen "$OUT" 0 "" \
    short_fingerprint="${fp:7:4}-${fp:11:4}-${fp:15:4}-${fp:19:4}"
says "keygen --json -o FILE: stderr keeps its human line" "written to r.pem$"
run "$E" keygen --json --sign -o s.pem --pub -
json_is "keygen --json --pub -: the object on stderr" keygen "$ERR" 0 "" kind=signing \
    bits=521 outputs='["s.pem", "-"]'
check "keygen --json --pub -: the public key alone on stdout" \
    bash -c 'openssl pkey -pubin -in "$1" -noout && [ "$(head -1 "$1")" = "-----BEGIN PUBLIC KEY-----" ]' \
    _ "$OUT"
run "$E" pubkey --json "$K/signer.pem"
json_is "pubkey --json to stdout: the object on stderr" pubkey "$ERR" 0 "" kind=signing \
    fingerprint="$SIGNER" 'outputs=["-"]'
check "pubkey --json to stdout: the public key alone on stdout" cmp -s "$OUT" "$K/signer.pub"
run "$E" pubkey --json "$K/alice.pub" -o a.pub
json_is "pubkey --json -o FILE: on stdout" pubkey "$OUT" 0 "" kind=encryption bits=2048 \
    fingerprint="$ALICE" 'outputs=["a.pub"]'

# --help says it, for each command that takes it.
run "$E" --help
check "--help names the commands that take --json" grep -q \
    "^keygen, pubkey, open, verify and inspect take --json" "$OUT"
for sub in keygen pubkey open verify inspect; do
    run "$E" "$sub" --help
    check "$sub --help: --json in the usage and explained" bash -c \
        'head -6 "$1" | grep -q "\[--json\]" && grep -q "^--json prints\| --json prints" "$1"' _ "$OUT"
done

# The bash completion offers --json to the commands that take it.
for sub in keygen pubkey open verify inspect; do
    run bash -c '. "$1" && COMP_WORDS=(envelope "$2" --js) && COMP_CWORD=2 && _envelope &&
        echo "${COMPREPLY[*]}"' _ "$TOP/cli/envelope.bash-completion" "$sub"
    check "completion: $sub --js gives --json" bash -c '[ "$(cat "$1")" = --json ]' _ "$OUT"
done
run bash -c '. "$1" && COMP_WORDS=(envelope seal --js) && COMP_CWORD=2 && _envelope &&
    echo "${COMPREPLY[*]}"' _ "$TOP/cli/envelope.bash-completion"
check "completion: seal --js: --json (batch mode's JSON Lines)" bash -c '[ "$(cat "$1")" = "--json" ]' _ "$OUT"

# KMS keys, against the KMS test server, when this build has a KMS client:
# arn from the reference, matched_key for a key ARN and for an alias.
run env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true "$E" pubkey --json awskms:///alias/probe
if grep -q '"code":"UNSUPPORTED"' "$ERR"; then
    echo "# KMS checks skipped: this build has no KMS client"
else
    KID=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
    ARN=arn:aws:kms:us-east-1:111122223333:key/$KID
    SIGN_ALIAS=alias/sample-sign-verify-key
    cat >"$T/json-kms.json" <<JSON
{"keys": [{"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY", "key_id": "$KID",
           "aliases": ["$SIGN_ALIAS"], "private_key_file": "$K/signer.pem"},
          {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY",
           "aliases": ["alias/other-sign-key"], "private_key_file": "$K/other-signer.pem"}]}
JSON
    if kms_start "$T/json-kms" "$T/json-kms.json"; then
        as receiver-plus "$E" pubkey --json "awskms:///$ARN"
        json_is "KMS: pubkey --json of a key ARN: its arn and fingerprint, on stderr" pubkey \
            "$ERR" 0 "" arn="$ARN" fingerprint="$SIGNER" kind=signing bits=521 'outputs=["-"]'
        as receiver-plus "$E" pubkey --json "awskms:///$SIGN_ALIAS" -o kms.pub
        json_is "KMS: pubkey --json of an alias: arn null" pubkey "$OUT" 0 "" arn=null \
            fingerprint="$SIGNER"
        as receiver "$E" open --json --decrypt-key "$K/alice.pem" --verify-key \
            "$K/other-signer.pub" --verify-key "awskms:///$ARN" -o kms1.out m.env
        json_is "KMS: open, a key ARN as --verify-key: matched_key and arn" open "$OUT" 0 "" \
            signer.matched_key="awskms:///$ARN" signer.arn="$ARN"
        as receiver "$E" open --json --decrypt-key "$K/alice.pem" --verify-key \
            "$K/other-signer.pub" --verify-key "awskms:///$SIGN_ALIAS" -o kms2.out m.env
        json_is "KMS: open, an alias as --verify-key: matched_key is the alias" open "$OUT" 0 \
            "" signer.matched_key="awskms:///$SIGN_ALIAS" signer.arn="$ARN" signer.fingerprint=null
        # Two aliases: the one whose Verify matched (the first: the second,
        # which receiver may not use, is not tried), its ARN learnt from
        # KMS's answer.
        as receiver "$E" open --json --decrypt-key "$K/alice.pem" --verify-key \
            "awskms:///$SIGN_ALIAS" --verify-key awskms:///alias/other-sign-key -o kms3.out m.env
        json_is "KMS: open, two aliases as --verify-key: matched_key is the one that verified" \
            open "$OUT" 0 "" signer.matched_key="awskms:///$SIGN_ALIAS" signer.arn="$ARN"
        "$KMSCTL" stop "$T/json-kms" >/dev/null 2>&1
    fi
fi

# -------------------------------------------------------------- failures

run "$E" inspect --json --bogus m.env
json_is "usage: inspect --json --bogus" inspect "$OUT" 2 USAGE
says "usage, JSON on stdout: stderr keeps the human line" "^envelope inspect: unknown option '--bogus'"
run "$E" open --max-size lots --json m.env
json_is "usage: open with a bad value before --json, object on stderr" open "$ERR" 2 USAGE
empty "usage: open --json: nothing on stdout" "$OUT"
run "$E" open --decrypt-key --json
json_is "usage: --json as an option's value still counts" open "$ERR" 2 USAGE
run "$E" keygen --json --sign
json_is "usage: keygen --json without -o" keygen "$OUT" 2 USAGE
run "$E" verify --json x y
json_is "usage: verify --json with two DIRs" verify "$OUT" 2 USAGE
run "$E" pubkey --json
json_is "usage: pubkey --json without KEYREF, object on stderr" pubkey "$ERR" 2 USAGE

run "$E" inspect --json missing.env
json_is "a missing input: inspect, IO" inspect "$OUT" 4 IO error.detail="missing.env: No such file or directory"
opener --json missing.env
json_is "a missing input: open, IO, object on stderr" open "$ERR" 4 IO
run "$E" verify --json --verify-key "$K/signer.pub" nowhere
json_is "a missing DIR: verify, IO" verify "$OUT" 4 IO

run "$E" inspect --json note.json
json_is "not an envelope: inspect" inspect "$OUT" 1 NOT_ENVELOPE
opener --json -o n.out note.json
json_is "not an envelope: open, nothing written" open "$OUT" 1 NOT_ENVELOPE
check "not an envelope: no output" test ! -e n.out

cp m.env t.env && flip t.env -40
opener --json t.env
json_is "tampered: open to stdout, object on stderr" open "$ERR" 1 TAMPERED
empty "tampered: nothing on stdout" "$OUT"
rm -rf tx && cp -a x tx && flip tx/note.json 2
run "$E" verify --json --verify-key "$K/signer.pub" tx
json_is "tampered: verify of an altered message" verify "$OUT" 1 MESSAGE_MISMATCH
echo extra >tx/more.txt
run "$E" verify --json --verify-key "$K/signer.pub" tx
json_is "verify: a file the manifest does not name" verify "$OUT" 1 BAD_ARCHIVE

run "$E" open --json --decrypt-key "$K/carol.pem" --verify-key "$K/signer.pub" -o c.json m.env
json_is "not a recipient: open" open "$OUT" 1 NOT_RECIPIENT
check "not a recipient: no output" test ! -e c.json
run "$E" verify --json --verify-key "$K/signer.pub" --recipient "$K/carol.pub" x
json_is "not a recipient: verify --recipient" verify "$OUT" 1 NOT_RECIPIENT

run "$E" open --json --decrypt-key "$K/alice.pem" --verify-key "$K/other-signer.pub" m.env
json_is "untrusted signer: open" open "$ERR" 1 UNTRUSTED_SIGNER
empty "untrusted signer: nothing on stdout" "$OUT"
run "$E" verify --json --verify-key "$K/other-signer.pub" x
json_is "untrusted signer: verify" verify "$OUT" 1 UNTRUSTED_SIGNER

run "$E" open --json --decrypt-key nokey.pem --verify-key "$K/signer.pub" -o k.out m.env
json_is "key load failure: a missing --decrypt-key" open "$OUT" 3 KEY_LOAD
run "$E" open --json --decrypt-key "$K/alice.pub" --verify-key "$K/signer.pub" -o k.out m.env
json_is "key load failure: a public --decrypt-key" open "$OUT" 3 KEY_NOT_PRIVATE
run "$E" open --json --decrypt-key "$K/alice-encrypted.pem" --passphrase-file note.json \
    --verify-key "$K/signer.pub" -o k.out m.env
json_is "key load failure: a wrong passphrase" open "$OUT" 3 KEY_PASSPHRASE
run "$E" pubkey --json "$K/ed25519.pem"
json_is "key load failure: pubkey of an Ed25519 key, object on stderr" pubkey "$ERR" 3 KEY_TYPE
empty "key load failure: pubkey wrote nothing on stdout" "$OUT"

opener --json -o got.json m.env
json_is "output exists: open -o" open "$OUT" 4 OUTPUT_EXISTS
check "output exists: left as it was" cmp -s got.json note.json
run "$E" keygen --json --sign -o s.pem
json_is "output exists: keygen -o" keygen "$OUT" 4 OUTPUT_EXISTS
opener --json --extract x m.env
json_is "output exists: open --extract" open "$OUT" 4 OUTPUT_EXISTS

opener --json -o /dev/full m.env
json_is "write error: open -o /dev/full" open "$OUT" 4 IO
# run sends stdout to $OUT: these two give it /dev/full themselves.
: >"$OUT"
"$E" open --json --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" m.env \
    2>"$ERR" >/dev/full
rc=$?
json_is "write error: open to a full stdout, the object on stderr" open "$ERR" 4 IO
"$E" inspect --json m.env 2>"$ERR" >/dev/full
rc=$?
check "write error: inspect --json >/dev/full exits 4, saying so" \
    bash -c '[ '"$rc"' -eq 4 ] && grep -q "^envelope: standard output: write error" "$1"' _ "$ERR"

run "$E" open --json --max-age 1d --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" \
    -o old.out m.env
json_is "too old: open --max-age" open "$OUT" 1 TOO_OLD
check "too old: no output" test ! -e old.out

run "$E" keygen --json --sign -o - --pub s2.pub
json_is "usage: keygen --json -o -, the object on stderr" keygen "$ERR" 2 USAGE
check "usage: keygen -o -: no key anywhere" bash -c '! [ -s "$1" ] && ! [ -e s2.pub ]' _ "$OUT"
run "$E" open --json --help
check "open --json --help: the help alone, no object" bash -c '[ '"$rc"' -eq 0 ] &&
    head -1 "$1" | grep -q "^usage: envelope open" && ! grep -q "schema" "$1" && ! [ -s "$2" ]' \
    _ "$OUT" "$ERR"
run "$E" seal --json --sign-key "$K/signer.pem" --to "$K/alice.pub" -o sj.env note.json
json_is "seal --json without --out-dir: a usage error, as the one object" seal "$OUT" 2 USAGE
check "seal --json without --out-dir: no envelope" test ! -e sj.env

# A signal: the object still, then the command dies of it.
fate=$("$PY" "$HERE/interrupt.py" m.env 10 SIGTERM "$E" open --json \
    --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o - 2>"$ERR")
check "signal: open --json dies of SIGTERM" bash -c '[ "$1" = "signal 15" ] ||
    { echo "     fate: $1"; false; }' _ "$fate"
rc=143 # what a shell reports for it
json_is "signal: the object on stderr, CANCELLED, exit 143" open "$ERR" 143 CANCELLED \
    error.detail="interrupted by signal 15"

# Names come from users and envelopes: any byte still gives valid JSON, the
# raw text without control characters (json_check.py checks both).
odd=$(printf 'o\001\377\342\200\256.json')
opener --json -o "$odd" m.env
json_is "odd output name: control escaped, invalid byte U+FFFD, bidi control escaped" open \
    "$OUT" 0 "" output="$(printf '"o\\u0001\\ufffd\\u202e.json"')"
check "odd output name: the raw text spells the escapes" \
    grep -qF '"output":"o\u0001\ufffd\u202e.json"' "$OUT"
run "$E" inspect --json "$odd"
json_is "odd name in a failure's detail: still one valid object" inspect "$OUT" 1 NOT_ENVELOPE

cd ..
